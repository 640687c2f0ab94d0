//! The dispatcher: runs a hook's subscribers in order, the way its kind says,
//! and hands the events they emit to the event bus.
//!
//! Calls are synchronous (the runtime is); the server runs them on blocking
//! threads, and actions after the response.

use super::events::EventBus;
use crate::manager::{Cause, PluginManager};
use crate::manifest::OnError;
use crate::manifest::hooks::Envelope;
use serde_json::Value;
use std::sync::Arc;

/// A filter aborted the operation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("plugin {plugin} refused `{hook}`: {message}")]
pub struct HookError {
    /// The plugin whose handler failed (or returned a body of the wrong shape).
    pub plugin: String,
    /// The hook.
    pub hook: String,
    /// What the plugin said, or why its result was refused.
    pub message: String,
}

/// Runs hooks for the core services and owns the background work.
pub struct Dispatcher {
    manager: Arc<PluginManager>,
    bus: Arc<EventBus>,
}

impl Dispatcher {
    /// A dispatcher over `manager`; starts the event bus (actions and events
    /// in the background, on a fair queue per plugin) and makes it the
    /// manager's event sink.
    pub fn start(manager: Arc<PluginManager>) -> Arc<Dispatcher> {
        let bus = EventBus::start(&manager);
        Arc::new(Dispatcher { manager, bus })
    }

    /// Runs an action after the caller returns (in the background, fairly per
    /// plugin); once the server is stopping, on the caller's thread.
    pub fn action_later(&self, env: Envelope) {
        if !self.bus.action(&env) {
            self.action(&env);
        }
    }

    /// Finishes queued actions and events, then stops the workers.
    pub fn shutdown(&self) {
        self.bus.shutdown();
    }

    /// The plugin manager.
    pub fn manager(&self) -> &Arc<PluginManager> {
        &self.manager
    }

    /// Runs a filter: the body passes through each subscriber; a returned value
    /// (accepted by `check`) replaces it. A failing subscriber aborts with an
    /// error naming it, unless its subscription says `on_error = "continue"`.
    /// A draft passes only through the filters of plugins granted drafts (the
    /// others see the item once it is published).
    pub fn filter<E: std::fmt::Display>(
        &self,
        env: &Envelope,
        check: impl Fn(&Value) -> Result<(), E>,
    ) -> Result<Value, HookError> {
        let mut body = env.body.clone();
        for s in self
            .manager
            .subscribers_of(env)
            .into_iter()
            .filter(|s| s.sees_in_full(env))
        {
            let payload = Envelope {
                body: body.clone(),
                ..env.clone()
            }
            .to_json();
            let refused = |message: String| HookError {
                plugin: s.id.clone(),
                hook: env.hook.clone(),
                message,
            };
            let result = self
                .manager
                .call_loaded(&s.id, &s.plugin, &s.handler, &payload, 0, Cause::Filter)
                .map_err(|f| refused(f.error.to_string()))
                .and_then(
                    |out| match out.value.as_deref().map(serde_json::from_str::<Value>) {
                        None | Some(Ok(Value::Null)) => Ok(None),
                        Some(Ok(v)) => check(&v)
                            .map(|_| Some(v))
                            .map_err(|why| refused(format!("its result was refused: {why}"))),
                        Some(Err(e)) => Err(refused(format!("its result is not JSON: {e}"))),
                    },
                );
            match result {
                Ok(Some(v)) => body = v,
                Ok(None) => {}
                Err(e) if s.options.on_error == OnError::Continue => {
                    tracing::warn!(plugin = %s.id, hook = %env.hook, "{e} (on_error = continue)");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(body)
    }

    /// Runs an action: every subscriber, in order; failures are logged and
    /// counted, never returned. A draft reaches a plugin not granted it as
    /// its metadata only ([`Envelope::redacted`]).
    pub fn action(&self, env: &Envelope) {
        let full = env.to_json();
        let redacted = env.redacted().to_json();
        for s in self.manager.subscribers_of(env) {
            let payload = if s.sees_in_full(env) {
                &full
            } else {
                &redacted
            };
            match self
                .manager
                .call_loaded(&s.id, &s.plugin, &s.handler, payload, 0, Cause::Action)
            {
                Ok(_) => {}
                Err(f) => tracing::warn!(plugin = %s.id, hook = %env.hook, "{}", f.error),
            }
        }
    }

    /// Runs a render override: the first subscriber that returns a string wins.
    pub fn render(&self, env: &Envelope) -> Option<(String, String)> {
        let payload = env.to_json();
        // A render override needs the whole item: a plugin not granted a
        // draft does not render it.
        for s in self
            .manager
            .subscribers_of(env)
            .into_iter()
            .filter(|s| s.sees_in_full(env))
        {
            match self
                .manager
                .call_loaded(&s.id, &s.plugin, &s.handler, &payload, 0, Cause::Render)
            {
                Ok(out) => {
                    if let Some(Ok(Value::String(html))) =
                        out.value.as_deref().map(serde_json::from_str)
                    {
                        return Some((s.id, html));
                    }
                }
                Err(f) => tracing::warn!(plugin = %s.id, hook = %env.hook, "{}", f.error),
            }
        }
        None
    }
}
