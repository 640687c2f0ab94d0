//! `events`: custom events from one plugin to the others.
//!
//! - **linker**: `raisfast:plugin/events`.
//! - **load**: nothing.
//! - **per call**: the events emitted, delivered by the manager after the
//!   call succeeds; the call's depth in an event chain, which bounds loops.
//!
//! What a plugin may emit is bounded by construction:
//! - a name that is, or normalises to (the way subscriptions match handler
//!   names), a core hook or lifecycle name, or the reserved `raisfast`
//!   prefix, is refused: no plugin can forge the server's hooks;
//! - the queue holds at most [`QUEUE_BYTES`] of payloads, at most
//!   [`QUEUE_BYTES_PER_PLUGIN`] from one emitter, counted when the event is
//!   emitted: past that, `emit` fails with `limit` (the plugin knows; an
//!   event of a call that succeeds is never dropped silently).

use super::{CallState, EmittedEvent, HostError, PluginContext};
use super::{HasPluginHost, PluginHost, PluginHostView};
use crate::host_api::bindings::raisfast::plugin::events as wit;
use crate::host_api::bindings::raisfast::plugin::types::Error as WitError;
use crate::manifest::hooks::{CORE_HOOKS, check_event_name, handler_name};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wasmtime::component::Linker;

/// Largest event payload in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Most events one call may emit.
pub const MAX_PER_CALL: usize = 100;
/// Deepest event chain: an event handled by a plugin emitting an event, and so on.
pub const MAX_DEPTH: u32 = 8;
/// Bytes of event payloads the queue holds, from all plugins.
pub const QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// Bytes of event payloads the queue holds from one emitter: a fair share.
pub const QUEUE_BYTES_PER_PLUGIN: usize = 16 * 1024 * 1024;

/// The server's hook an event name would pass for, if any: the name itself, or
/// what it normalises to (`on-content-created`, `on.content.created`), or the
/// reserved `raisfast` prefix.
pub fn reserved(name: &str) -> Option<String> {
    let normalised = handler_name(name, None);
    if let Some(h) = CORE_HOOKS.iter().find(|h| h.name == normalised) {
        return Some(h.name.to_string());
    }
    normalised
        .starts_with("raisfast")
        .then(|| "the reserved `raisfast` prefix".to_string())
}

/// Bytes of queued event payloads, in all and per emitter.
pub struct EventBudget {
    total_max: usize,
    per_plugin_max: usize,
    used: Mutex<(usize, HashMap<String, usize>)>,
}

/// Bytes held in the budget; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<EventBudget>,
    plugin: String,
    bytes: usize,
}

impl std::fmt::Debug for EventBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = self.used.lock().expect("budget lock");
        write!(f, "EventBudget({} of {} bytes)", used.0, self.total_max)
    }
}

impl EventBudget {
    /// A budget of `total_max` bytes, `per_plugin_max` per emitter.
    pub fn new(total_max: usize, per_plugin_max: usize) -> EventBudget {
        EventBudget {
            total_max,
            per_plugin_max,
            used: Mutex::new((0, HashMap::new())),
        }
    }

    /// Holds `bytes` for `plugin`, or says which share is full.
    pub fn reserve(self: &Arc<Self>, plugin: &str, bytes: usize) -> Result<Reservation, HostError> {
        let mut used = self.used.lock().expect("budget lock");
        let mine = used.1.get(plugin).copied().unwrap_or(0);
        if mine + bytes > self.per_plugin_max {
            return Err(HostError::Limit(format!(
                "events: {} MiB of this plugin's events are waiting for delivery, its share of the queue; emit later or less",
                self.per_plugin_max / (1024 * 1024)
            )));
        }
        if used.0 + bytes > self.total_max {
            return Err(HostError::Limit(format!(
                "events: the event queue is full ({} MiB waiting); emit later",
                self.total_max / (1024 * 1024)
            )));
        }
        used.0 += bytes;
        *used.1.entry(plugin.to_string()).or_default() += bytes;
        Ok(Reservation {
            budget: Arc::clone(self),
            plugin: plugin.to_string(),
            bytes,
        })
    }

    /// Bytes held now, in all.
    pub fn used(&self) -> usize {
        self.used.lock().expect("budget lock").0
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().expect("budget lock");
        used.0 -= self.bytes;
        if let Some(mine) = used.1.get_mut(&self.plugin) {
            *mine -= self.bytes;
            if *mine == 0 {
                used.1.remove(&self.plugin);
            }
        }
    }
}

/// Adds `raisfast:plugin/events` to the linker.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasPluginHost>(linker, T::plugin_host)
}

/// Queues an event for delivery after the call.
pub fn emit(
    ctx: &PluginContext,
    call: &mut CallState,
    name: &str,
    payload: &str,
) -> Result<(), HostError> {
    check_event_name(name).map_err(|m| HostError::Invalid(format!("events: {m}")))?;
    if let Some(hook) = reserved(name) {
        return Err(HostError::Invalid(format!(
            "events: `{name}` stands for {hook}, which only the server fires. Pick another event name"
        )));
    }
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(HostError::Limit(format!(
            "events: the payload is {} bytes; the limit is {MAX_PAYLOAD_BYTES}",
            payload.len()
        )));
    }
    let payload = if payload.trim().is_empty() {
        "null"
    } else {
        payload
    };
    serde_json::from_str::<serde::de::IgnoredAny>(payload)
        .map_err(|e| HostError::Invalid(format!("events: the payload is not valid JSON: {e}")))?;
    if call.events.len() >= MAX_PER_CALL {
        return Err(HostError::Limit(format!(
            "events: at most {MAX_PER_CALL} events per call"
        )));
    }
    if call.event_depth >= MAX_DEPTH {
        return Err(HostError::Limit(format!(
            "events: the event chain is {MAX_DEPTH} deep (an event loop?); `{name}` was not emitted"
        )));
    }
    let reservation = ctx
        .services
        .event_budget
        .reserve(&ctx.id, payload.len() + name.len())?;
    call.events.push(EmittedEvent {
        name: name.to_string(),
        payload: payload.to_string(),
        depth: call.event_depth + 1,
        reservation: Some(Arc::new(reservation)),
    });
    Ok(())
}

impl wit::Host for PluginHost<'_> {
    fn emit(&mut self, name: String, payload: String) -> Result<(), WitError> {
        self.run("events.emit", |p, c| emit(p, c, &name, &payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_spelling_of_a_server_hook_can_be_emitted() {
        for name in [
            "on_content_created",
            "on-content-created",
            "on.content.created",
            "on:content:created",
            "on_load",
            "on-unload",
            "filter-html",
            "raisfast:handlers",
            "raisfast.anything",
        ] {
            assert!(reserved(name).is_some(), "{name}");
        }
        for name in ["crm.deal_won", "on_contents_created", "content.created"] {
            assert!(reserved(name).is_none(), "{name}");
        }
    }

    #[test]
    fn the_budget_has_a_fair_share_per_emitter_and_is_given_back() {
        let b = Arc::new(EventBudget::new(100, 60));
        let a1 = b.reserve("a", 50).unwrap();
        assert!(
            matches!(b.reserve("a", 20), Err(HostError::Limit(_))),
            "a's share"
        );
        let b1 = b.reserve("b", 50).unwrap();
        assert!(
            matches!(b.reserve("c", 1), Err(HostError::Limit(_))),
            "the whole queue"
        );
        drop(a1);
        assert_eq!(b.used(), 50);
        assert!(b.reserve("c", 40).is_ok());
        drop(b1);
    }
}
