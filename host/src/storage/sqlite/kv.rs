//! The plugins' KV store in SQLite (`raisfast_kv`), on the call's connection:
//! a write joins the plugin's open transaction, if it has one.

use super::plugin_sql::CallConnection;
use crate::storage::kv_quota::{self, KvCounter};
use crate::storage::{SqlError, now_ms};
use rusqlite::OptionalExtension;

fn failed(e: rusqlite::Error) -> SqlError {
    super::plugin_sql::sql_error(e)
}

const LIVE: &str = "(expires_at IS NULL OR expires_at > ?3)";

pub(super) fn get(c: &CallConnection, key: &str) -> Result<Option<String>, SqlError> {
    let id = &c.access().id;
    c.host(|conn| {
        conn.prepare_cached(&format!(
            "SELECT value FROM raisfast_kv WHERE plugin_id = ?1 AND key = ?2 AND {LIVE}"
        ))?
        .query_row(rusqlite::params![id, key, now_ms()], |r| r.get(0))
        .optional()
    })
    .map_err(failed)
}

pub(super) fn set(
    c: &CallConnection,
    key: &str,
    value: &str,
    expires: Option<i64>,
) -> Result<(), SqlError> {
    let ctx = c.access();
    let id = &ctx.id;
    c.host_write(|conn| -> Result<(), SqlError> {
        // The size of the value this write replaces.
        let old: Option<u64> = conn
            .prepare_cached(
                "SELECT octet_length(value) FROM raisfast_kv WHERE plugin_id = ?1 AND key = ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(rusqlite::params![id, key], |r| {
                    r.get::<_, i64>(0).map(|n| n as u64)
                })
                .optional()
            })
            .map_err(failed)?;
        kv_quota::admit(ctx, key, value, old, &mut Counter { conn, id })?;
        conn.prepare_cached(
            "INSERT INTO raisfast_kv (plugin_id, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(plugin_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
        )
        .and_then(|mut stmt| stmt.execute(rusqlite::params![id, key, value, expires]))
        .map_err(failed)?;
        Ok(())
    })
}

/// Counting and expiring for the quota, on the call's connection.
struct Counter<'a> {
    conn: &'a rusqlite::Connection,
    id: &'a str,
}

impl KvCounter for Counter<'_> {
    fn count(&mut self) -> Result<(u64, u64), SqlError> {
        count(self.conn, self.id)
    }

    fn expire(&mut self) -> Result<(), SqlError> {
        self.conn
            .execute(
                "DELETE FROM raisfast_kv WHERE plugin_id = ?1 AND expires_at <= ?2",
                rusqlite::params![self.id, now_ms()],
            )
            .map(|_| ())
            .map_err(failed)
    }
}

/// The plugin's keys and their bytes (keys and values), counted exactly.
fn count(conn: &rusqlite::Connection, id: &str) -> Result<(u64, u64), SqlError> {
    conn.query_row(
        "SELECT count(*), total(octet_length(key) + octet_length(value)) FROM raisfast_kv WHERE plugin_id = ?1",
        [id],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, f64>(1)? as u64)),
    )
    .map_err(failed)
}

pub(super) fn delete(c: &CallConnection, key: &str) -> Result<bool, SqlError> {
    let id = &c.access().id;
    c.host_write(|conn| {
        conn.query_row(
            &format!("DELETE FROM raisfast_kv WHERE plugin_id = ?1 AND key = ?2 RETURNING {LIVE}"),
            rusqlite::params![id, key, now_ms()],
            |r| r.get(0),
        )
        .optional()
        .map(|live| live.unwrap_or(false))
        .map_err(failed)
    })
}

pub(super) fn list(
    c: &CallConnection,
    prefix: &str,
    limit: usize,
) -> Result<Vec<String>, SqlError> {
    let id = &c.access().id;
    c.host(|conn| {
        let mut stmt = conn.prepare(&format!(
            "SELECT key FROM raisfast_kv WHERE plugin_id = ?1 AND key >= ?2
             AND substr(key, 1, length(?2)) = ?2 AND {LIVE} ORDER BY key LIMIT {limit}"
        ))?;
        let rows = stmt.query_map(rusqlite::params![id, prefix, now_ms()], |r| r.get(0))?;
        rows.collect::<Result<Vec<String>, _>>()
    })
    .map_err(failed)
}
