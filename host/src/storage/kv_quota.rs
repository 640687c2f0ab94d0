//! The KV quota of a plugin, the same on every backend: at most `max_keys`
//! keys and `max_bytes` bytes of keys and values.
//!
//! Counting a plugin's keys on every write would cost a scan, so the count is
//! kept in [`PluginAccess::kv_usage`] and adjusted by each write. That figure
//! is an upper bound (expired entries still count, and so may a write its
//! transaction rolled back): only when a write would exceed the quota are the
//! expired entries removed and the keys counted exactly, and the decision
//! taken on that.

use super::{PluginAccess, SqlError};

/// What a backend does for [`admit`], on the call's connection.
pub trait KvCounter {
    /// The keys and bytes the plugin holds, counted exactly.
    fn count(&mut self) -> Result<(u64, u64), SqlError>;
    /// Removes the plugin's expired entries.
    fn expire(&mut self) -> Result<(), SqlError>;
}

/// Decides whether writing `value` under `key` (replacing a value of `old`
/// bytes, if any) stays within the quota; on success, records the usage the
/// write will leave. Call it, then write, in one transaction.
pub fn admit(
    access: &PluginAccess,
    key: &str,
    value: &str,
    old: Option<u64>,
    counter: &mut dyn KvCounter,
) -> Result<(), SqlError> {
    let (max_keys, max_bytes) = (access.kv.max_keys, access.kv.max_bytes);
    let added_keys = u64::from(old.is_none());
    let added_bytes = (value.len() as u64 + if old.is_none() { key.len() as u64 } else { 0 })
        .saturating_sub(old.unwrap_or(0));
    let removed_bytes = old.unwrap_or(0).saturating_sub(value.len() as u64);
    let mut usage = access.kv_usage.lock().expect("kv usage lock");
    let (mut keys, mut bytes) = match *usage {
        Some(u) => u,
        None => counter.count()?,
    };
    if keys + added_keys > max_keys || bytes + added_bytes > max_bytes {
        counter.expire()?;
        (keys, bytes) = counter.count()?;
        *usage = Some((keys, bytes));
        if keys + added_keys > max_keys {
            return Err(SqlError::Limit(format!(
                "kv: the plugin already holds {max_keys} keys, the limit"
            )));
        }
        if bytes + added_bytes > max_bytes {
            return Err(SqlError::Limit(format!(
                "kv: the plugin's quota of {max_bytes} bytes of keys and values would be exceeded ({bytes} bytes in use)"
            )));
        }
    }
    *usage = Some((
        keys + added_keys,
        (bytes + added_bytes).saturating_sub(removed_bytes),
    ));
    Ok(())
}
