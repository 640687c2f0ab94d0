//! The plugin's own schema: its migrations, and the rule that its tables may
//! refer only to its own tables.
//!
//! A foreign key from a plugin's table to a core table (or another plugin's)
//! would make the core's deletes fail (`foreign_keys` is on): a plugin could
//! keep users or content from being deleted. Triggers are refused by the
//! authorizer; foreign keys are checked here after every DDL statement and
//! migration, which is undone if one points outside the plugin's tables.

use super::{CallConnection, sql_error};
use crate::host_api::{HostError, PluginContext};
use rusqlite::Connection;
use std::sync::Arc;
use std::time::Instant;

/// Fails with `limit` if the plugin's own tables (with their indexes) hold
/// more than `[database] max_plugin_bytes`. Called before a statement that may
/// make them larger. Measuring (SQLite's `dbstat`) walks the tables, so it is
/// done once, then the size is estimated from how much the database file grew
/// since (`page_count`, constant time, an upper bound); only an estimate over
/// the quota is measured again. A plugin overshoots by one statement at most.
pub fn within_quota(conn: &Connection, ctx: &PluginContext) -> Result<(), HostError> {
    let max = ctx.services.settings.database.max_plugin_bytes;
    let pages = |conn: &Connection| -> Result<(u64, u64), HostError> {
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
        return Err(HostError::Limit(format!(
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
pub fn own_references_only(conn: &Connection, ctx: &PluginContext) -> Result<(), HostError> {
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
        Some((table, target)) => Err(HostError::Denied(format!(
            "database: table `{table}` of plugin {} has a foreign key to `{target}`; a plugin's tables may refer only to its own tables ({}*)",
            ctx.id, ctx.table_prefix
        ))),
        None => Ok(()),
    }
}

/// Applies the plugin's `migrations/*.sql` (in name order) that have not run
/// yet, each in a transaction, under the plugin's own table rules.
pub fn migrate(ctx: &PluginContext, dir: &std::path::Path) -> Result<Vec<String>, String> {
    let mdir = std::path::Path::new("migrations");
    // Regular files inside the plugin directory only: a link leads nowhere.
    let files: Vec<String> = crate::plugin_dir::files_in(dir, mdir)
        .map_err(|e| format!("migrations: {e}"))?
        .into_iter()
        .filter(|name| name.ends_with(".sql"))
        .collect();
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    let c = CallConnection::open(ctx, deadline, Arc::default()).map_err(|e| e.to_string())?;
    let mut applied = Vec::new();
    for name in files {
        let done: bool = c
            .host(|conn| {
                conn.query_row(
                    "SELECT EXISTS(SELECT 1 FROM raisfast_plugin_migrations WHERE plugin_id = ?1 AND name = ?2)",
                    [&ctx.id, &name],
                    |r| r.get(0),
                )
            })
            .map_err(|e| format!("migrations/{name}: {e}"))?;
        if done {
            continue;
        }
        let sql = crate::plugin_dir::read_to_string(dir, &mdir.join(&name))
            .map_err(|e| format!("migrations/{name}: {e}"))?;
        c.take_turn(&ctx.services)
            .map_err(|e| format!("migrations/{name}: {e}"))?;
        c.host(|conn| conn.execute_batch("BEGIN IMMEDIATE"))
            .map_err(|e| format!("migrations/{name}: {e}"))?;
        let run = c
            .run_batch(&sql)
            .and_then(|_| c.host(|conn| own_references_only(conn, ctx)));
        let record = run.and_then(|_| {
            c.host(|conn| {
                conn.execute(
                    "INSERT INTO raisfast_plugin_migrations (plugin_id, name, applied_at) VALUES (?1, ?2, ?3)",
                    rusqlite::params![ctx.id, name, crate::store::now_ms()],
                )?;
                conn.execute_batch("COMMIT")
            })
            .map_err(sql_error)
        });
        if let Err(e) = record {
            let _ = c.host(|conn| conn.execute_batch("ROLLBACK"));
            c.end_statement();
            return Err(format!("migrations/{name}: {e}"));
        }
        c.end_statement();
        applied.push(name);
    }
    Ok(applied)
}
