//! `events`: custom events from one plugin to the others.
//!
//! - **linker**: `raisfast:plugin/events`.
//! - **load**: nothing.
//! - **per call**: the events emitted, delivered by the manager after the
//!   call succeeds; the call's depth in an event chain, which bounds loops.

use super::{CallState, EmittedEvent, HostError};
use crate::hooks::{check_event_name, core_hook};
use crate::runtime::HostState;
use crate::runtime::bindings::raisfast::plugin::events as wit;
use crate::runtime::bindings::raisfast::plugin::types::Error as WitError;
use wasmtime::component::{HasSelf, Linker};

/// Largest event payload in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Most events one call may emit.
pub const MAX_PER_CALL: usize = 100;
/// Deepest event chain: an event handled by a plugin emitting an event, and so on.
pub const MAX_DEPTH: u32 = 8;

/// Adds `raisfast:plugin/events` to the linker.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<HostState, HasSelf<HostState>>(linker, |s| s)
}

/// Queues an event for delivery after the call.
pub fn emit(call: &mut CallState, name: &str, payload: &str) -> Result<(), HostError> {
    check_event_name(name).map_err(|m| HostError::Invalid(format!("events: {m}")))?;
    if core_hook(name).is_some() {
        return Err(HostError::Invalid(format!(
            "events: `{name}` is a server hook; only the server fires it. Pick another event name"
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
    call.events.push(EmittedEvent {
        name: name.to_string(),
        payload: payload.to_string(),
        depth: call.event_depth + 1,
    });
    Ok(())
}

impl wit::Host for HostState {
    fn emit(&mut self, name: String, payload: String) -> Result<(), WitError> {
        self.run("events.emit", |_, c| emit(c, &name, &payload))
    }
}
