//! The event bus: custom events emitted by plugins and the actions of core
//! operations, run in the background on the [`FairQueue`] (a queue per
//! subscriber, taken in turn), so one slow plugin delays only itself.
//!
//! The bus is the plugin manager's [`EventSink`]: the manager hands it the
//! events of every successful call (hooks, routes, cron, events themselves);
//! each subscriber receives them in emission
//! order, with `emitter` set. An event handled by a plugin that emits more
//! events goes one level deeper; the host API refuses to emit beyond
//! [`MAX_DEPTH`](crate::host_api::events::MAX_DEPTH), so a loop stops there.
//! An event's bytes stay reserved in the event budget until its last delivery.

use super::queue::{FairQueue, Job};
use crate::host_api::EmittedEvent;
use crate::manager::{Cause, EventSink, PluginManager};
use crate::manifest::hooks::Envelope;
use std::sync::{Arc, Weak};

/// Delivers plugins' events and core actions to their subscribers.
pub struct EventBus {
    queue: FairQueue,
    manager: Weak<PluginManager>,
}

impl EventBus {
    /// Starts the workers and registers the bus as `manager`'s event sink.
    pub fn start(manager: &Arc<PluginManager>) -> Arc<EventBus> {
        let bus = Arc::new(EventBus {
            queue: FairQueue::start("raisfast-background"),
            manager: Arc::downgrade(manager),
        });
        manager.set_event_sink(Arc::clone(&bus) as Arc<dyn EventSink>);
        bus
    }
}

impl EventSink for EventBus {
    /// Queues the events a call of `emitter` emitted, one job per subscriber.
    /// A delivery looks its plugin up again when it runs: a plugin disabled
    /// or reloaded meanwhile is not called in its old version.
    fn emitted(&self, emitter: &str, events: Vec<EmittedEvent>) {
        let Some(manager) = self.manager.upgrade() else {
            return;
        };
        for event in events {
            let body: serde_json::Value = serde_json::from_str(&event.payload).unwrap_or_default();
            let content_type = body
                .get("content_type")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            let envelope = Arc::new(
                Envelope {
                    emitter: Some(emitter.to_string()),
                    content_type: content_type.clone(),
                    ..Envelope::new(&event.name, body)
                }
                .to_json(),
            );
            for s in manager.subscribers(&event.name, content_type.as_deref()) {
                let (weak, envelope) = (self.manager.clone(), Arc::clone(&envelope));
                let (name, depth, reservation) =
                    (event.name.clone(), event.depth, event.reservation.clone());
                let plugin = s.id.clone();
                let queued = self.queue.push(Job {
                    plugin: s.id.clone(),
                    run: Box::new(move || {
                        if let Some(m) = weak.upgrade()
                            && let Err(f) =
                                m.call_hook_at(&s.id, &s.handler, &envelope, depth, Cause::Event)
                        {
                            tracing::warn!(plugin = %s.id, event = %name, "{}", f.error);
                        }
                        drop(reservation);
                    }),
                });
                if !queued {
                    tracing::warn!(
                        plugin = %plugin,
                        "the server is stopping; event `{}` from {emitter} was not delivered",
                        event.name
                    );
                }
            }
        }
    }
}

impl EventBus {
    /// Queues an action for each of its subscribers; `false` when the bus is
    /// stopped (the caller then runs it itself).
    pub fn action(&self, env: &Envelope) -> bool {
        let Some(manager) = self.manager.upgrade() else {
            return false;
        };
        let full = Arc::new(env.to_json());
        let redacted = Arc::new(env.redacted().to_json());
        for s in manager.subscribers_of(env) {
            // A draft reaches a plugin not granted it as its metadata only.
            let payload = if s.sees_in_full(env) {
                &full
            } else {
                &redacted
            };
            let (weak, payload, hook) =
                (self.manager.clone(), Arc::clone(payload), env.hook.clone());
            let plugin = s.id.clone();
            let run = move || {
                if let Some(m) = weak.upgrade()
                    && let Err(f) = m.call_hook_at(&s.id, &s.handler, &payload, 0, Cause::Action)
                {
                    tracing::warn!(plugin = %s.id, hook = %hook, "{}", f.error);
                }
            };
            if !self.queue.push(Job {
                plugin,
                run: Box::new(run),
            }) {
                return false;
            }
        }
        true
    }

    /// Runs what is queued, then stops the workers.
    pub fn shutdown(&self) {
        self.queue.shutdown();
    }
}
