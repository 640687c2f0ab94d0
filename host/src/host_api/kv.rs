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
use crate::store::now_ms;
use rusqlite::OptionalExtension;
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

fn failed(e: rusqlite::Error) -> HostError {
    db::sql_error(e)
}

const LIVE: &str = "(expires_at IS NULL OR expires_at > ?3)";

/// The live value under `key`.
pub fn get(
    ctx: &PluginContext,
    call: &mut CallState,
    key: &str,
) -> Result<Option<String>, HostError> {
    check_key(key)?;
    let c = db::connection(ctx, call)?;
    c.host(|conn| {
        conn.prepare_cached(&format!(
            "SELECT value FROM raisfast_kv WHERE plugin_id = ?1 AND key = ?2 AND {LIVE}"
        ))?
        .query_row(rusqlite::params![ctx.id, key, now_ms()], |r| r.get(0))
        .optional()
    })
    .map_err(failed)
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
    let now = now_ms();
    let expires = ttl.map(|s| now + i64::from(s) * 1000);
    let (max_keys, max_bytes) = (limits.max_keys, limits.max_total_bytes);
    let c = db::connection(ctx, call)?;
    c.host_write(&ctx.services, |conn| -> Result<(), HostError> {
        // The size of the value this write replaces.
        let old: Option<u64> = conn
            .prepare_cached(
                "SELECT octet_length(value) FROM raisfast_kv WHERE plugin_id = ?1 AND key = ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(rusqlite::params![ctx.id, key], |r| {
                    r.get::<_, i64>(0).map(|n| n as u64)
                })
                .optional()
            })
            .map_err(failed)?;
        let added_keys = u64::from(old.is_none());
        let added_bytes = (value.len() as u64 + if old.is_none() { key.len() as u64 } else { 0 })
            .saturating_sub(old.unwrap_or(0));
        let removed_bytes = old.unwrap_or(0).saturating_sub(value.len() as u64);
        let mut usage = ctx.kv_usage.lock().expect("kv usage lock");
        let (keys, bytes) = match *usage {
            Some(u) => u,
            None => count(conn, ctx)?,
        };
        if keys + added_keys > max_keys || bytes + added_bytes > max_bytes {
            // The running figure is an upper bound: expired entries still count,
            // and so may a write its transaction rolled back. Remove the
            // expired ones, count exactly, then decide.
            conn.execute(
                "DELETE FROM raisfast_kv WHERE plugin_id = ?1 AND expires_at <= ?2",
                rusqlite::params![ctx.id, now],
            )
            .map_err(failed)?;
            let (keys, bytes) = count(conn, ctx)?;
            *usage = Some((keys, bytes));
            if keys + added_keys > max_keys {
                return Err(HostError::Limit(format!(
                    "kv: the plugin already holds {max_keys} keys, the limit"
                )));
            }
            if bytes + added_bytes > max_bytes {
                return Err(HostError::Limit(format!(
                    "kv: the plugin's quota of {max_bytes} bytes of keys and values would be exceeded ({bytes} bytes in use)"
                )));
            }
        }
        conn.prepare_cached(
            "INSERT INTO raisfast_kv (plugin_id, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(plugin_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
        )
        .and_then(|mut stmt| stmt.execute(rusqlite::params![ctx.id, key, value, expires]))
        .map_err(failed)?;
        let (keys, bytes) = usage.unwrap_or((keys, bytes));
        *usage = Some((keys + added_keys, (bytes + added_bytes).saturating_sub(removed_bytes)));
        Ok(())
    })
}

/// The plugin's keys and their bytes (keys and values), counted exactly.
fn count(conn: &rusqlite::Connection, ctx: &PluginContext) -> Result<(u64, u64), HostError> {
    conn.query_row(
        "SELECT count(*), total(octet_length(key) + octet_length(value)) FROM raisfast_kv WHERE plugin_id = ?1",
        [&ctx.id],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, f64>(1)? as u64)),
    )
    .map_err(failed)
}

/// Removes `key`; whether a live value was there.
pub fn delete(ctx: &PluginContext, call: &mut CallState, key: &str) -> Result<bool, HostError> {
    check_key(key)?;
    let c = db::connection(ctx, call)?;
    c.host_write(&ctx.services, |conn| {
        conn.query_row(
            &format!("DELETE FROM raisfast_kv WHERE plugin_id = ?1 AND key = ?2 RETURNING {LIVE}"),
            rusqlite::params![ctx.id, key, now_ms()],
            |r| r.get(0),
        )
        .optional()
        .map(|live| live.unwrap_or(false))
        .map_err(failed)
    })
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
    let c = db::connection(ctx, call)?;
    c.host(|conn| {
        let mut stmt = conn.prepare(&format!(
            "SELECT key FROM raisfast_kv WHERE plugin_id = ?1 AND key >= ?2
             AND substr(key, 1, length(?2)) = ?2 AND {LIVE} ORDER BY key LIMIT {MAX_LIST}"
        ))?;
        let rows = stmt.query_map(rusqlite::params![ctx.id, prefix, now_ms()], |r| r.get(0))?;
        rows.collect::<Result<Vec<String>, _>>()
    })
    .map_err(failed)
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
