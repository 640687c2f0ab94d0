//! What the server keeps about each plugin in SQLite: the operator's (or the
//! server's) decision, kept across restarts; which directory each plugin id
//! was installed from; which table prefix it owns; the purge of its data.
//! The sessions of its calls are in [`super::plugin_sql`].
//!
//! The first directory to declare an id owns it (its KV, files, tables and
//! the operator's settings for it); another directory declaring the same id
//! later is refused, whatever the directory order or when it arrives.
//! Uninstalling releases the id.

use super::SqliteStorage;
use crate::storage::{PluginStore, StorageError, StoredState, now_ms};
use rusqlite::OptionalExtension;
use std::path::{Path, PathBuf};

impl PluginStore for SqliteStorage {
    /// The stored state of a plugin (all off when never set).
    fn plugin_state(&self, plugin_id: &str) -> Result<StoredState, StorageError> {
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
    fn set_plugin_state(&self, plugin_id: &str, s: &StoredState) -> Result<(), StorageError> {
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
    fn purge_plugin(&self, plugin_id: &str) -> Result<(), StorageError> {
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

    /// The directory `plugin_id` is installed from, if it is.
    fn install_dir(&self, plugin_id: &str) -> Result<Option<PathBuf>, StorageError> {
        self.connection()?
            .query_row(
                "SELECT dir FROM raisfast_plugin_installs WHERE plugin_id = ?1",
                [plugin_id],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map(|d| d.map(PathBuf::from))
            .map_err(|e| self.err(e))
    }

    /// Records that `plugin_id` is installed from `dir` (replacing a stale record).
    fn bind_install(&self, plugin_id: &str, dir: &Path) -> Result<(), StorageError> {
        let dir = dir.to_string_lossy().into_owned();
        self.write(|conn| {
            conn.execute(
                "INSERT INTO raisfast_plugin_installs (plugin_id, dir, installed_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(plugin_id) DO UPDATE SET dir = excluded.dir, installed_at = excluded.installed_at",
                rusqlite::params![plugin_id, dir, now_ms()],
            )
        })
        .map(|_| ())
        .map_err(|e| self.write_err(e))
    }

    /// Forgets where `plugin_id` was installed from (uninstall).
    fn release_install(&self, plugin_id: &str) -> Result<(), StorageError> {
        self.write(|conn| {
            conn.execute(
                "DELETE FROM raisfast_plugin_installs WHERE plugin_id = ?1",
                [plugin_id],
            )
        })
        .map(|_| ())
        .map_err(|e| self.write_err(e))
    }

    /// Records that `plugin_id` owns tables starting with `prefix`. Fails when another
    /// plugin owns it, or a prefix that overlaps it.
    fn claim_prefix(&self, prefix: &str, plugin_id: &str) -> Result<(), StorageError> {
        let conn = self.connection()?;
        let _turn = self.core_write_lock()?;
        self.claim_prefix_on(&conn, prefix, plugin_id)
    }

    /// The plugin that owns `table` by its prefix, if any.
    fn table_owner(&self, table: &str) -> Option<String> {
        let t = table.to_ascii_lowercase();
        self.prefixes
            .read()
            .expect("prefix lock")
            .iter()
            .find(|(p, _)| t.starts_with(p.as_str()))
            .map(|(_, owner)| owner.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_bound_until_released_and_survives_a_restart() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.db");
        let db = SqliteStorage::open(&path).unwrap();
        assert_eq!(db.install_dir("a.b").unwrap(), None);
        db.bind_install("a.b", Path::new("/srv/p/one")).unwrap();
        drop(db);
        let db = SqliteStorage::open(&path).unwrap();
        assert_eq!(
            db.install_dir("a.b").unwrap(),
            Some(PathBuf::from("/srv/p/one"))
        );
        db.release_install("a.b").unwrap();
        assert_eq!(db.install_dir("a.b").unwrap(), None);
    }
}
