//! The event bus: custom events emitted by plugins, delivered asynchronously,
//! in emission order, to every plugin subscribed to the event's name.
//!
//! The plugin manager queues the events of every successful call (hooks,
//! routes, cron, events themselves); one delivery thread takes them off a
//! bounded queue in order. An event handled by a plugin that emits more events
//! goes one level deeper; the host API refuses to emit beyond
//! [`MAX_DEPTH`](crate::host_api::events::MAX_DEPTH), so a loop stops there.
//! Each subscriber receives the envelope with `emitter` set.

use super::Envelope;
use crate::host_api::EmittedEvent;
use crate::manager::PluginManager;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;

/// Events waiting for delivery, at most.
pub const QUEUE: usize = 10_000;

struct Queued {
    emitter: String,
    event: EmittedEvent,
}

/// Delivers plugins' events to their subscribers.
pub struct EventBus {
    tx: Mutex<Option<SyncSender<Queued>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl EventBus {
    /// Starts the delivery thread.
    pub fn start(manager: &Arc<PluginManager>) -> EventBus {
        let (tx, rx) = sync_channel(QUEUE);
        let weak = Arc::downgrade(manager);
        let worker = std::thread::Builder::new()
            .name("raisfast-events".into())
            .spawn(move || deliver(weak, rx))
            .expect("spawning the event thread");
        EventBus {
            tx: Mutex::new(Some(tx)),
            worker: Mutex::new(Some(worker)),
        }
    }

    /// Queues the events a call of `emitter` emitted.
    pub fn queue(&self, emitter: &str, events: Vec<EmittedEvent>) {
        let tx = self.tx.lock().expect("event lock");
        let Some(tx) = tx.as_ref() else { return };
        for event in events {
            let name = event.name.clone();
            let q = Queued {
                emitter: emitter.to_string(),
                event,
            };
            if let Err(TrySendError::Full(_)) = tx.try_send(q) {
                tracing::warn!(
                    plugin = emitter,
                    "the event queue is full ({QUEUE}); `{name}` was dropped"
                );
            }
        }
    }

    /// Delivers what is queued, then stops the delivery thread.
    pub fn shutdown(&self) {
        self.tx.lock().expect("event lock").take();
        if let Some(w) = self.worker.lock().expect("event lock").take() {
            let _ = w.join();
        }
    }
}

impl Drop for EventBus {
    fn drop(&mut self) {
        self.tx.lock().expect("event lock").take();
    }
}

fn deliver(manager: Weak<PluginManager>, rx: Receiver<Queued>) {
    while let Ok(q) = rx.recv() {
        let Some(manager) = manager.upgrade() else {
            return;
        };
        let body = serde_json::from_str(&q.event.payload).unwrap_or_default();
        let envelope = Envelope {
            emitter: Some(q.emitter.clone()),
            ..Envelope::new(&q.event.name, body)
        }
        .to_json();
        for s in manager.subscribers(&q.event.name, None) {
            // What the handler emits is queued by the manager, one level deeper.
            if let Err(f) = manager.call_hook_at(&s.id, &s.handler, &envelope, q.event.depth, false)
            {
                tracing::warn!(plugin = %s.id, event = %q.event.name, "{}", f.error);
            }
        }
    }
}
