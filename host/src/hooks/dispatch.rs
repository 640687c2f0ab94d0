//! The dispatcher: runs a hook's subscribers in order, the way its kind says,
//! and hands the events they emit to the event bus.
//!
//! Calls are synchronous (the runtime is); the server runs them on blocking
//! threads, and actions after the response.

use super::Envelope;
use crate::manager::PluginManager;
use crate::manifest::OnError;
use serde_json::Value;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

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

/// Threads running actions after the responses that caused them.
const ACTION_WORKERS: usize = 2;
/// Actions waiting for a worker, at most (beyond, an action runs on the caller's thread).
const ACTION_QUEUE: usize = 10_000;

/// Runs hooks for the core services.
pub struct Dispatcher {
    manager: Arc<PluginManager>,
    actions: Mutex<Option<SyncSender<Envelope>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Dispatcher {
    /// A dispatcher over `manager` (whose events it starts delivering), with
    /// its action workers.
    pub fn new(manager: Arc<PluginManager>) -> Arc<Dispatcher> {
        manager.start_events();
        let (tx, rx) = sync_channel::<Envelope>(ACTION_QUEUE);
        let dispatcher = Arc::new(Dispatcher {
            manager,
            actions: Mutex::new(Some(tx)),
            workers: Mutex::new(Vec::new()),
        });
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..ACTION_WORKERS {
            let rx = Arc::clone(&rx);
            let weak = Arc::downgrade(&dispatcher);
            let worker = std::thread::Builder::new()
                .name(format!("raisfast-actions-{i}"))
                .spawn(move || {
                    loop {
                        let next = rx.lock().expect("action lock").recv();
                        let Ok(env) = next else { return };
                        let Some(d) = weak.upgrade() else { return };
                        d.action(&env);
                    }
                })
                .expect("spawning an action worker");
            dispatcher.workers.lock().expect("action lock").push(worker);
        }
        dispatcher
    }

    /// Runs an action after the caller returns (on a worker thread).
    pub fn action_later(&self, env: Envelope) {
        let Some(tx) = self.actions.lock().expect("action lock").clone() else {
            return;
        };
        if let Err(TrySendError::Full(env) | TrySendError::Disconnected(env)) = tx.try_send(env) {
            // Beyond the queue, the caller runs the action itself.
            self.action(&env);
        }
    }

    /// Finishes queued actions and events, then stops the workers.
    pub fn shutdown(&self) {
        self.actions.lock().expect("action lock").take();
        for w in self.workers.lock().expect("action lock").drain(..) {
            let _ = w.join();
        }
        self.manager.stop_events();
    }

    /// The plugin manager.
    pub fn manager(&self) -> &Arc<PluginManager> {
        &self.manager
    }

    /// Runs a filter: the body passes through each subscriber; a returned value
    /// (accepted by `check`) replaces it. A failing subscriber aborts with an
    /// error naming it, unless its subscription says `on_error = "continue"`.
    pub fn filter(
        &self,
        env: &Envelope,
        check: impl Fn(&Value) -> Result<(), String>,
    ) -> Result<Value, HookError> {
        let mut body = env.body.clone();
        for s in self
            .manager
            .subscribers(&env.hook, env.content_type.as_deref())
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
                .call_hook_at(&s.id, &s.handler, &payload, 0, true)
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
    /// counted, never returned.
    pub fn action(&self, env: &Envelope) {
        let payload = env.to_json();
        for s in self
            .manager
            .subscribers(&env.hook, env.content_type.as_deref())
        {
            match self
                .manager
                .call_hook_at(&s.id, &s.handler, &payload, 0, false)
            {
                Ok(_) => {}
                Err(f) => tracing::warn!(plugin = %s.id, hook = %env.hook, "{}", f.error),
            }
        }
    }

    /// Runs a render override: the first subscriber that returns a string wins.
    pub fn render(&self, env: &Envelope) -> Option<(String, String)> {
        let payload = env.to_json();
        for s in self
            .manager
            .subscribers(&env.hook, env.content_type.as_deref())
        {
            match self
                .manager
                .call_hook_at(&s.id, &s.handler, &payload, 0, false)
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
