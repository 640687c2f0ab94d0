//! What the operator (or the server) decided about each plugin, kept across
//! restarts, and the purge of a plugin's data.

use super::SqliteStorage;
use crate::storage::{StorageError, StoredState, now_ms};
use rusqlite::OptionalExtension;

impl SqliteStorage {
    /// The stored state of a plugin (all off when never set).
    pub fn plugin_state(&self, plugin_id: &str) -> Result<StoredState, StorageError> {
        self.connection()?
            .query_row(
                "SELECT enabled, reason, uninstalled FROM raisfast_plugin_state WHERE plugin_id = ?1",
                [plugin_id],
                |r| {
                    Ok(StoredState {
                        disabled: !r.get::<_, bool>(0)?,
                        reason: r.get(1)?,
                        uninstalled: r.get(2)?,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.err(e))
    }

    /// Records the state of a plugin.
    pub fn set_plugin_state(&self, plugin_id: &str, s: &StoredState) -> Result<(), StorageError> {
        self.write(|conn| {
            conn.execute(
                "INSERT INTO raisfast_plugin_state (plugin_id, enabled, reason, uninstalled, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(plugin_id) DO UPDATE SET enabled = excluded.enabled, reason = excluded.reason,
                 uninstalled = excluded.uninstalled, updated_at = excluded.updated_at",
                rusqlite::params![plugin_id, !s.disabled, s.reason, s.uninstalled, now_ms()],
            )
        })
        .map(|_| ())
        .map_err(|e| self.write_err(e))
    }

    /// Deletes what a plugin stored in the database: its tables, KV entries,
    /// migration records, cron runs and prefix claim (uninstall with `purge`).
    pub fn purge_plugin(&self, plugin_id: &str) -> Result<(), StorageError> {
        let conn = self.connection()?;
        let prefix: Option<String> = conn
            .query_row(
                "SELECT prefix FROM raisfast_plugin_prefixes WHERE plugin_id = ?1",
                [plugin_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let mut batch = String::from("BEGIN;");
        if let Some(p) = prefix {
            let mut stmt = conn
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(lower(name), 1, length(?1)) = ?1",
                )
                .map_err(|e| self.err(e))?;
            let tables: Vec<String> = stmt
                .query_map([&p], |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(|e| self.err(e))?;
            for t in tables {
                batch.push_str(&format!("DROP TABLE \"{}\";", t.replace('"', "\"\"")));
            }
        }
        for table in [
            "raisfast_kv",
            "raisfast_plugin_migrations",
            "raisfast_cron_runs",
            "raisfast_plugin_state",
            "raisfast_plugin_prefixes",
            "raisfast_plugin_installs",
        ] {
            batch.push_str(&format!(
                "DELETE FROM {table} WHERE plugin_id = '{}';",
                plugin_id.replace('\'', "''")
            ));
        }
        batch.push_str("COMMIT;");
        let _turn = self.core_write_lock()?;
        conn.execute_batch(&batch).map_err(|e| self.err(e))?;
        self.forget_prefixes(plugin_id);
        Ok(())
    }
}
