//! The plugins' KV store on PostgreSQL, through the server's `raisfast_kv_*`
//! functions: they run with the server's rights on `raisfast_kv` but only on
//! the rows of the plugin whose role is logged in, and on the call's
//! connection, so a write joins the plugin's open transaction.

use super::session::{PgSession, sql_error};
use crate::storage::kv_quota::{self, KvCounter};
use crate::storage::{SqlError, now_ms};

pub(super) fn get(s: &mut PgSession, key: &str) -> Result<Option<String>, SqlError> {
    s.arm()?;
    s.conn
        .query_one("SELECT raisfast_kv_get($1, $2)", &[&key, &now_ms()])
        .map(|r| r.get(0))
        .map_err(sql_error)
}

pub(super) fn set(
    s: &mut PgSession,
    key: &str,
    value: &str,
    expires: Option<i64>,
) -> Result<(), SqlError> {
    s.arm()?;
    let access = std::sync::Arc::clone(&s.access);
    // Inside the plugin's open transaction, a savepoint; outside one (where
    // a savepoint is refused), a transaction of its own.
    let nested = s.conn.batch_execute("SAVEPOINT raisfast_kv").is_ok();
    if !nested {
        s.conn.batch_execute("BEGIN").map_err(sql_error)?;
    }
    let r = put(&mut s.conn, &access, key, value, expires);
    let end = match (nested, r.is_ok()) {
        (true, true) => "RELEASE SAVEPOINT raisfast_kv",
        (true, false) => "ROLLBACK TO SAVEPOINT raisfast_kv; RELEASE SAVEPOINT raisfast_kv",
        (false, true) => "COMMIT",
        (false, false) => "ROLLBACK",
    };
    let ended = s.conn.batch_execute(end).map_err(sql_error);
    r.and(ended)
}

fn put(
    conn: &mut postgres::Client,
    access: &crate::storage::PluginAccess,
    key: &str,
    value: &str,
    expires: Option<i64>,
) -> Result<(), SqlError> {
    let old: Option<i64> = conn
        .query_one("SELECT raisfast_kv_size($1)", &[&key])
        .map_err(sql_error)?
        .get(0);
    kv_quota::admit(
        access,
        key,
        value,
        old.map(|n| n.max(0) as u64),
        &mut Counter { conn },
    )?;
    conn.execute(
        "SELECT raisfast_kv_put($1, $2, $3)",
        &[&key, &value, &expires],
    )
    .map(|_| ())
    .map_err(sql_error)
}

/// Counting and expiring for the quota, in the write's transaction.
struct Counter<'a> {
    conn: &'a mut postgres::Client,
}

impl KvCounter for Counter<'_> {
    fn count(&mut self) -> Result<(u64, u64), SqlError> {
        let r = self
            .conn
            .query_one("SELECT keys, bytes FROM raisfast_kv_usage()", &[])
            .map_err(sql_error)?;
        Ok((
            r.get::<_, i64>(0).max(0) as u64,
            r.get::<_, i64>(1).max(0) as u64,
        ))
    }

    fn expire(&mut self) -> Result<(), SqlError> {
        self.conn
            .execute("SELECT raisfast_kv_expire($1)", &[&now_ms()])
            .map(|_| ())
            .map_err(sql_error)
    }
}

pub(super) fn delete(s: &mut PgSession, key: &str) -> Result<bool, SqlError> {
    s.arm()?;
    s.conn
        .query_one("SELECT raisfast_kv_delete($1, $2)", &[&key, &now_ms()])
        .map(|r| r.get(0))
        .map_err(sql_error)
}

pub(super) fn list(s: &mut PgSession, prefix: &str, limit: usize) -> Result<Vec<String>, SqlError> {
    s.arm()?;
    let limit = limit.min(i32::MAX as usize) as i32;
    s.conn
        .query(
            "SELECT raisfast_kv_list($1, $2, $3)",
            &[&prefix, &now_ms(), &limit],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .map_err(sql_error)
}
