//! What the server keeps about each plugin in PostgreSQL: its state, the
//! directory it was installed from, its table prefix, and the purge of all
//! of it. Every node reads the same rows, so a decision taken on one node
//! holds on all of them.

use super::PgStorage;
use crate::storage::{PluginStore, StorageError, StoredState, now_ms};
use std::path::{Path, PathBuf};

/// Tables that keep rows per plugin, emptied by a purge.
const PLUGIN_TABLES: &[&str] = &[
    "raisfast_kv",
    "raisfast_files",
    "raisfast_plugin_migrations",
    "raisfast_cron_runs",
    "raisfast_plugin_state",
    "raisfast_plugin_prefixes",
    "raisfast_plugin_installs",
];

impl PluginStore for PgStorage {
    fn plugin_state(&self, plugin_id: &str) -> Result<StoredState, StorageError> {
        self.connection()?
            .query_opt(
                "SELECT enabled, reason, uninstalled FROM raisfast_plugin_state WHERE plugin_id = $1",
                &[&plugin_id],
            )
            .map(|r| {
                r.map(|r| StoredState {
                    disabled: !r.get::<_, bool>(0),
                    reason: r.get(1),
                    uninstalled: r.get(2),
                })
                .unwrap_or_default()
            })
            .map_err(|e| self.err(e))
    }

    fn set_plugin_state(&self, plugin_id: &str, s: &StoredState) -> Result<(), StorageError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO raisfast_plugin_state (plugin_id, enabled, reason, uninstalled, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (plugin_id) DO UPDATE SET enabled = excluded.enabled,
                 reason = excluded.reason, uninstalled = excluded.uninstalled,
                 updated_at = excluded.updated_at",
                &[&plugin_id, &!s.disabled, &s.reason, &s.uninstalled, &now_ms()],
            )
        })
        .map(|_| ())
    }

    fn purge_plugin(&self, plugin_id: &str) -> Result<(), StorageError> {
        self.drop_plugin_role(plugin_id).map_err(|e| self.err(e))?;
        self.write(|tx| {
            for table in PLUGIN_TABLES {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE plugin_id = $1"),
                    &[&plugin_id],
                )?;
            }
            Ok(())
        })
    }

    fn install_dir(&self, plugin_id: &str) -> Result<Option<PathBuf>, StorageError> {
        self.connection()?
            .query_opt(
                "SELECT dir FROM raisfast_plugin_installs WHERE plugin_id = $1",
                &[&plugin_id],
            )
            .map(|r| r.map(|r| PathBuf::from(r.get::<_, String>(0))))
            .map_err(|e| self.err(e))
    }

    fn bind_install(&self, plugin_id: &str, dir: &Path) -> Result<(), StorageError> {
        let dir = dir.to_string_lossy().into_owned();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO raisfast_plugin_installs (plugin_id, dir, installed_at) VALUES ($1, $2, $3)
                 ON CONFLICT (plugin_id) DO UPDATE SET dir = excluded.dir,
                 installed_at = excluded.installed_at",
                &[&plugin_id, &dir, &now_ms()],
            )
        })
        .map(|_| ())
    }

    fn release_install(&self, plugin_id: &str) -> Result<(), StorageError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM raisfast_plugin_installs WHERE plugin_id = $1",
                &[&plugin_id],
            )
        })
        .map(|_| ())
    }

    fn claim_prefix(&self, prefix: &str, plugin_id: &str) -> Result<(), StorageError> {
        // One claim at a time across every node: the overlap check and the
        // insert see the same rows.
        let lock = self.lock_key("prefixes");
        let owner = self.write(|tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])?;
            let other = tx.query_opt(
                "SELECT plugin_id FROM raisfast_plugin_prefixes
                 WHERE plugin_id <> $2 AND (starts_with($1, prefix) OR starts_with(prefix, $1))
                 LIMIT 1",
                &[&prefix, &plugin_id],
            )?;
            if let Some(r) = other {
                return Ok(Some(r.get::<_, String>(0)));
            }
            tx.execute(
                "INSERT INTO raisfast_plugin_prefixes (prefix, plugin_id) VALUES ($1, $2)
                 ON CONFLICT (prefix) DO NOTHING",
                &[&prefix, &plugin_id],
            )?;
            Ok(None)
        })?;
        match owner {
            Some(owner) => Err(StorageError::PrefixTaken {
                prefix: prefix.to_string(),
                owner,
                plugin: plugin_id.to_string(),
            }),
            None => Ok(()),
        }
    }

    fn table_owner(&self, table: &str) -> Option<String> {
        let t = table.to_ascii_lowercase();
        self.connection()
            .ok()?
            .query_opt(
                "SELECT plugin_id FROM raisfast_plugin_prefixes WHERE starts_with($1, prefix) LIMIT 1",
                &[&t],
            )
            .ok()
            .flatten()
            .map(|r| r.get(0))
    }
}
