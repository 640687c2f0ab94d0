//! `kv`: a key-value store private to each plugin, in the server's database.
//!
//! - **linker**: `raisfast:plugin/kv`.
//! - **load**: nothing; every plugin has its namespace (its id).
//! - **per call**: the call's database connection, so KV writes made inside a
//!   `db` transaction commit or roll back with it; outside one, each write is
//!   its own transaction, taken in turn in the writer line.

use super::{CallState, HostError, PluginContext, db};
use super::{HasPluginHost, PluginHost, PluginHostView};
use crate::host_api::bindings::raisfast::plugin::kv as wit;
use crate::host_api::bindings::raisfast::plugin::types::Error as WitError;
use crate::storage::now_ms;
use wasmtime::component::Linker;

/// Longest key in bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Most keys one `list` returns.
pub const MAX_LIST: usize = 1000;

/// Adds `raisfast:plugin/kv` to the linker.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasPluginHost>(linker, T::plugin_host)
}

fn check_key(key: &str) -> Result<(), HostError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES || key.contains('\0') {
        Err(HostError::Invalid(format!(
            "kv: keys are 1 to {MAX_KEY_BYTES} bytes without NUL (got {} bytes)",
            key.len()
        )))
    } else {
        Ok(())
    }
}

/// The live value under `key`.
pub fn get(
    ctx: &PluginContext,
    call: &mut CallState,
    key: &str,
) -> Result<Option<String>, HostError> {
    check_key(key)?;
    Ok(db::session(ctx, call)?.kv_get(key)?)
}

/// Stores `value` under `key`, optionally expiring after `ttl` seconds.
pub fn set(
    ctx: &PluginContext,
    call: &mut CallState,
    key: &str,
    value: &str,
    ttl: Option<u32>,
) -> Result<(), HostError> {
    check_key(key)?;
    let limits = &ctx.services.settings.kv;
    if value.len() > limits.max_value_bytes {
        return Err(HostError::Limit(format!(
            "kv: the value is {} bytes; the limit is {} bytes",
            value.len(),
            limits.max_value_bytes
        )));
    }
    serde_json::from_str::<serde::de::IgnoredAny>(value)
        .map_err(|e| HostError::Invalid(format!("kv: the value is not valid JSON: {e}")))?;
    let expires = ttl.map(|s| now_ms() + i64::from(s) * 1000);
    Ok(db::session(ctx, call)?.kv_set(key, value, expires)?)
}

/// Removes `key`; whether a live value was there.
pub fn delete(ctx: &PluginContext, call: &mut CallState, key: &str) -> Result<bool, HostError> {
    check_key(key)?;
    Ok(db::session(ctx, call)?.kv_delete(key)?)
}

/// Live keys starting with `prefix`, sorted, at most [`MAX_LIST`].
pub fn list(
    ctx: &PluginContext,
    call: &mut CallState,
    prefix: &str,
) -> Result<Vec<String>, HostError> {
    if prefix.len() > MAX_KEY_BYTES {
        return Err(HostError::Invalid(format!(
            "kv: the prefix is longer than {MAX_KEY_BYTES} bytes"
        )));
    }
    Ok(db::session(ctx, call)?.kv_list(prefix, MAX_LIST)?)
}

impl wit::Host for PluginHost<'_> {
    fn get(&mut self, key: String) -> Result<Option<String>, WitError> {
        self.run("kv.get", |p, c| get(p, c, &key))
    }

    fn set(&mut self, key: String, value: String, ttl: Option<u32>) -> Result<(), WitError> {
        self.run("kv.set", |p, c| set(p, c, &key, &value, ttl))
    }

    fn delete(&mut self, key: String) -> Result<bool, WitError> {
        self.run("kv.delete", |p, c| delete(p, c, &key))
    }

    fn list(&mut self, prefix: String) -> Result<Vec<String>, WitError> {
        self.run("kv.list", |p, c| list(p, c, &prefix))
    }
}
