//! The plugin's own schema: its migrations, and the rule that its tables may
//! refer only to its own tables.
//!
//! A foreign key from a plugin's table to a core table (or another plugin's)
//! would make the core's deletes fail (`foreign_keys` is on): a plugin could
//! keep users or content from being deleted. Triggers are refused by the
//! authorizer; foreign keys are checked here after every DDL statement and
//! migration, which is undone if one points outside the plugin's tables.

use super::super::SqliteStorage;
use super::{CallConnection, sql_error};
use crate::storage::MigrationError;
use crate::storage::{PluginAccess, SqlError};
use rusqlite::Connection;
use std::sync::Arc;
use std::time::Instant;

/// Fails with `limit` if the plugin's own tables (with their indexes) hold
/// more than `[database] max_plugin_bytes`. Called before a statement that may
/// make them larger. Measuring (SQLite's `dbstat`) walks the tables, so it is
/// done once, then the size is estimated from how much the database file grew
/// since (`page_count`, constant time, an upper bound); only an estimate over
/// the quota is measured again. A plugin overshoots by one statement at most.
pub fn within_quota(conn: &Connection, ctx: &PluginAccess) -> Result<(), SqlError> {
    let max = ctx.max_table_bytes;
    let pages = |conn: &Connection| -> Result<(u64, u64), SqlError> {
        let count: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(sql_error)?;
        let size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(sql_error)?;
        Ok((count as u64, size as u64))
    };
    let (count, size) = pages(conn)?;
    let mut cached = ctx.table_bytes.lock().expect("table size lock");
    if let Some((bytes, at_count)) = *cached
        && bytes + count.saturating_sub(at_count) * size <= max
    {
        return Ok(());
    }
    let bytes: f64 = conn
        .query_row(
            "SELECT total(pgsize) FROM dbstat WHERE name IN
             (SELECT name FROM sqlite_master WHERE substr(lower(tbl_name), 1, length(?1)) = ?1)",
            [ctx.table_prefix.to_ascii_lowercase()],
            |r| r.get(0),
        )
        .map_err(sql_error)?;
    let bytes = bytes as u64;
    *cached = Some((bytes, count));
    if bytes > max {
        return Err(SqlError::Limit(format!(
            "database: plugin {}'s tables hold {} KiB; the quota is {} KiB ([database] max_plugin_bytes): delete rows first",
            ctx.id,
            bytes / 1024,
            max / 1024
        )));
    }
    Ok(())
}

/// Fails if a table of the plugin has a foreign key to a table that is not
/// its own.
pub fn own_references_only(conn: &Connection, ctx: &PluginAccess) -> Result<(), SqlError> {
    let prefix = ctx.table_prefix.to_ascii_lowercase();
    let mut stmt = conn
        .prepare(
            "SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
             WHERE m.type = 'table' AND substr(lower(m.name), 1, length(?1)) = ?1",
        )
        .map_err(sql_error)?;
    let refs: Vec<(String, String)> = stmt
        .query_map([&prefix], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .map_err(sql_error)?;
    match refs
        .into_iter()
        .find(|(_, target)| !target.to_ascii_lowercase().starts_with(&prefix))
    {
        Some((table, target)) => Err(SqlError::Denied(format!(
            "database: table `{table}` of plugin {} has a foreign key to `{target}`; a plugin's tables may refer only to its own tables ({}*)",
            ctx.id, ctx.table_prefix
        ))),
        None => Ok(()),
    }
}

/// Applies the plugin's migrations (`(name, sql)`, in name order) that have
/// not run yet, each in a transaction, under the plugin's own table rules.
pub fn migrate(
    db: Arc<SqliteStorage>,
    ctx: Arc<PluginAccess>,
    files: Vec<(String, String)>,
    deadline: Instant,
) -> Result<Vec<String>, MigrationError> {
    let failed = |file: &str, error: SqlError| MigrationError {
        file: file.to_string(),
        error,
    };
    let c = CallConnection::open(db, Arc::clone(&ctx), deadline, Arc::default())
        .map_err(|e| failed("", e))?;
    let mut applied = Vec::new();
    for (name, sql) in files {
        let done: bool = c
            .host(|conn| {
                conn.query_row(
                    "SELECT EXISTS(SELECT 1 FROM raisfast_plugin_migrations WHERE plugin_id = ?1 AND name = ?2)",
                    [&ctx.id, &name],
                    |r| r.get(0),
                )
            })
            .map_err(|e| failed(&name, sql_error(e)))?;
        if done {
            continue;
        }
        c.take_turn().map_err(|e| failed(&name, e))?;
        c.host(|conn| conn.execute_batch("BEGIN IMMEDIATE"))
            .map_err(|e| failed(&name, sql_error(e)))?;
        let run = c
            .run_batch(&sql)
            .and_then(|_| c.host(|conn| own_references_only(conn, &ctx)));
        let record = run.and_then(|_| {
            c.host(|conn| {
                conn.execute(
                    "INSERT INTO raisfast_plugin_migrations (plugin_id, name, applied_at) VALUES (?1, ?2, ?3)",
                    rusqlite::params![ctx.id, name, crate::storage::now_ms()],
                )?;
                conn.execute_batch("COMMIT")
            })
            .map_err(sql_error)
        });
        if let Err(e) = record {
            let _ = c.host(|conn| conn.execute_batch("ROLLBACK"));
            c.end_statement();
            return Err(failed(&name, e));
        }
        c.end_statement();
        applied.push(name);
    }
    Ok(applied)
}
