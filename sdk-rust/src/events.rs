//! Custom events for other plugins.

use crate::Result;
use crate::bindings::raisfast::plugin::events as wit;
use serde::Serialize;

/// Emits `name` with `payload` to every plugin subscribed to it, after this call.
pub fn emit<T: Serialize + ?Sized>(name: &str, payload: &T) -> Result<()> {
    Ok(wit::emit(name, &serde_json::to_string(payload)?)?)
}
