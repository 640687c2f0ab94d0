//! Which directory each plugin id was installed from. The first directory to
//! declare an id owns it (its KV, files, tables and the operator's settings for
//! it); another directory declaring the same id later is refused, whatever the
//! directory order or when it arrives. Uninstalling releases the id.

use super::SqliteStorage;
use crate::storage::{StorageError, now_ms};
use rusqlite::OptionalExtension;
use std::path::{Path, PathBuf};

impl SqliteStorage {
    /// The directory `plugin_id` is installed from, if it is.
    pub fn install_dir(&self, plugin_id: &str) -> Result<Option<PathBuf>, StorageError> {
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
    pub fn bind_install(&self, plugin_id: &str, dir: &Path) -> Result<(), StorageError> {
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
    pub fn release_install(&self, plugin_id: &str) -> Result<(), StorageError> {
        self.write(|conn| {
            conn.execute(
                "DELETE FROM raisfast_plugin_installs WHERE plugin_id = ?1",
                [plugin_id],
            )
        })
        .map(|_| ())
        .map_err(|e| self.write_err(e))
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
