//! Plugins' files in PostgreSQL (`raisfast_files`): one row per file or
//! directory, shared by every node. A write creates the missing parent
//! directories; writes of one plugin take turns (an advisory lock) so its
//! quota holds across nodes.

use super::PgStorage;
use crate::storage::{FileEntry, FileError, FileQuota, FileStore, now_ms};
use postgres::Row;

fn failed(e: postgres::Error) -> FileError {
    FileError::Failed(format!("vfs: {e}"))
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn entry(name: String, r: &Row) -> FileEntry {
    let size: Option<i64> = r.get("size");
    FileEntry {
        name,
        is_dir: r.get("is_dir"),
        size: size.unwrap_or(0).max(0) as u64,
        modified_ms: r.get::<_, i64>("modified_ms").max(0) as u64,
    }
}

const ENTRY: &str = "is_dir, octet_length(data)::bigint AS size, modified_ms";

impl PgStorage {
    fn file_row(&self, plugin: &str, path: &str) -> Result<Option<Row>, FileError> {
        self.connection()
            .map_err(|e| FileError::Failed(e.to_string()))?
            .query_opt(
                &format!("SELECT {ENTRY} FROM raisfast_files WHERE plugin_id = $1 AND path = $2"),
                &[&plugin, &path],
            )
            .map_err(failed)
    }
}

impl FileStore for PgStorage {
    fn file_read(&self, plugin: &str, path: &str) -> Result<Vec<u8>, FileError> {
        let row = self
            .connection()
            .map_err(|e| FileError::Failed(e.to_string()))?
            .query_opt(
                "SELECT is_dir, data FROM raisfast_files WHERE plugin_id = $1 AND path = $2",
                &[&plugin, &path],
            )
            .map_err(failed)?
            .ok_or(FileError::NotFound)?;
        if row.get::<_, bool>(0) || path.is_empty() {
            return Err(FileError::Invalid(format!("vfs: `{path}` is a directory")));
        }
        Ok(row.get::<_, Option<Vec<u8>>>(1).unwrap_or_default())
    }

    fn file_write(
        &self,
        plugin: &str,
        path: &str,
        data: &[u8],
        quota: FileQuota,
    ) -> Result<(), FileError> {
        let lock = self.lock_key(&format!("files:{plugin}"));
        let mut conn = self
            .connection()
            .map_err(|e| FileError::Failed(e.to_string()))?;
        let mut tx = conn.transaction().map_err(failed)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
            .map_err(failed)?;
        // The parents that exist (each must be a directory) and those to make.
        let mut missing = Vec::new();
        let mut parent = parent_of(path);
        while !parent.is_empty() {
            let row = tx
                .query_opt(
                    "SELECT is_dir FROM raisfast_files WHERE plugin_id = $1 AND path = $2",
                    &[&plugin, &parent],
                )
                .map_err(failed)?;
            match row {
                Some(r) if r.get::<_, bool>(0) => break,
                Some(_) => {
                    return Err(FileError::Invalid(format!("vfs: `{parent}` is a file")));
                }
                None => missing.push(parent),
            }
            parent = parent_of(parent);
        }
        let old = tx
            .query_opt(
                "SELECT is_dir, octet_length(data)::bigint FROM raisfast_files
                 WHERE plugin_id = $1 AND path = $2",
                &[&plugin, &path],
            )
            .map_err(failed)?;
        let old_bytes = match &old {
            Some(r) if r.get::<_, bool>(0) => {
                return Err(FileError::Invalid(format!("vfs: `{path}` is a directory")));
            }
            Some(r) => r.get::<_, Option<i64>>(1).unwrap_or(0).max(0) as u64,
            None => 0,
        };
        let used = tx
            .query_one(
                "SELECT coalesce(sum(octet_length(data)), 0)::bigint, count(*) FROM raisfast_files
                 WHERE plugin_id = $1",
                &[&plugin],
            )
            .map_err(failed)?;
        let (bytes, entries) = (used.get::<_, i64>(0) as u64, used.get::<_, i64>(1) as u64);
        let new_bytes = bytes - old_bytes.min(bytes) + data.len() as u64;
        let new_entries = entries + missing.len() as u64 + u64::from(old.is_none());
        if new_bytes > quota.max_total_bytes {
            return Err(FileError::Limit(format!(
                "vfs: the plugin's quota of {} bytes would be exceeded ({bytes} bytes in use)",
                quota.max_total_bytes
            )));
        }
        if new_entries > quota.max_entries {
            return Err(FileError::Limit(format!(
                "vfs: the plugin's quota of {} files and directories would be exceeded ({entries} in use)",
                quota.max_entries
            )));
        }
        let now = now_ms();
        for dir in missing {
            tx.execute(
                "INSERT INTO raisfast_files (plugin_id, path, parent, is_dir, modified_ms)
                 VALUES ($1, $2, $3, TRUE, $4) ON CONFLICT DO NOTHING",
                &[&plugin, &dir, &parent_of(dir), &now],
            )
            .map_err(failed)?;
        }
        tx.execute(
            "INSERT INTO raisfast_files (plugin_id, path, parent, is_dir, data, modified_ms)
             VALUES ($1, $2, $3, FALSE, $4, $5)
             ON CONFLICT (plugin_id, path) DO UPDATE SET data = excluded.data,
             modified_ms = excluded.modified_ms",
            &[&plugin, &path, &parent_of(path), &data, &now],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)
    }

    fn file_delete(&self, plugin: &str, path: &str) -> Result<(), FileError> {
        let mut conn = self
            .connection()
            .map_err(|e| FileError::Failed(e.to_string()))?;
        let children: bool = conn
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM raisfast_files WHERE plugin_id = $1 AND parent = $2)",
                &[&plugin, &path],
            )
            .map_err(failed)?
            .get(0);
        if children {
            return Err(FileError::Failed(format!(
                "vfs: `{path}`: the directory is not empty"
            )));
        }
        let n = conn
            .execute(
                "DELETE FROM raisfast_files WHERE plugin_id = $1 AND path = $2",
                &[&plugin, &path],
            )
            .map_err(failed)?;
        if n == 0 {
            return Err(FileError::NotFound);
        }
        Ok(())
    }

    fn file_list(&self, plugin: &str, path: &str) -> Result<Vec<FileEntry>, FileError> {
        if !path.is_empty() {
            let dir = self.file_row(plugin, path)?.ok_or(FileError::NotFound)?;
            if !dir.get::<_, bool>("is_dir") {
                return Err(FileError::Invalid(format!(
                    "vfs: `{path}` is not a directory"
                )));
            }
        }
        let rows = self
            .connection()
            .map_err(|e| FileError::Failed(e.to_string()))?
            .query(
                &format!(
                    "SELECT path, {ENTRY} FROM raisfast_files WHERE plugin_id = $1 AND parent = $2
                     ORDER BY path COLLATE \"C\""
                ),
                &[&plugin, &path],
            )
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|r| {
                let full: String = r.get("path");
                let name = full.rsplit('/').next().unwrap_or(&full).to_string();
                entry(name, r)
            })
            .collect())
    }

    fn file_stat(&self, plugin: &str, path: &str) -> Result<FileEntry, FileError> {
        if path.is_empty() {
            return Ok(FileEntry {
                name: String::new(),
                is_dir: true,
                size: 0,
                modified_ms: 0,
            });
        }
        let row = self.file_row(plugin, path)?.ok_or(FileError::NotFound)?;
        Ok(entry(path.to_string(), &row))
    }
}
