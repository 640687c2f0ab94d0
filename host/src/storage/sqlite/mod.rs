//! The SQLite backend: one file under the data directory, WAL mode, a small
//! pool of connections, the core schema, who owns which table prefix, and
//! the plugin-facing SQL ([`plugin_sql`]) with its authorizer.

mod comments;
mod content;
mod cron_runs;
mod kv;
pub mod plugin_sql;
mod plugins;
mod users;
mod writer;

pub use writer::{CORE_PATIENCE, CORE_WRITE_WAIT, Preempt, WriteError, WriteGuard};

use super::StorageError;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The core schema, one migration per entry; `PRAGMA user_version` counts those applied.
const CORE_MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user',
    created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE content (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft',
    data TEXT NOT NULL DEFAULT '{}',
    author_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    published_at INTEGER
);
CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    content_id TEXT NOT NULL REFERENCES content(id) ON DELETE CASCADE,
    author_id TEXT,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE raisfast_kv (
    plugin_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (plugin_id, key)
) WITHOUT ROWID;
CREATE TABLE raisfast_plugin_prefixes (
    prefix TEXT PRIMARY KEY,
    plugin_id TEXT NOT NULL
);
CREATE TABLE raisfast_plugin_state (
    plugin_id TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE raisfast_plugin_migrations (
    plugin_id TEXT NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (plugin_id, name)
);
"#,
    r#"
ALTER TABLE raisfast_plugin_state ADD COLUMN reason TEXT;
ALTER TABLE raisfast_plugin_state ADD COLUMN uninstalled INTEGER NOT NULL DEFAULT 0;
CREATE TABLE raisfast_cron_runs (
    plugin_id TEXT NOT NULL,
    job TEXT NOT NULL,
    scheduled_at INTEGER NOT NULL,
    node TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    duration_ms INTEGER,
    outcome TEXT NOT NULL DEFAULT 'running',
    error TEXT,
    PRIMARY KEY (plugin_id, job, scheduled_at)
);
CREATE INDEX content_listing ON content (type, status, created_at);
CREATE INDEX comments_by_content ON comments (content_id, created_at);
CREATE INDEX sessions_by_user ON sessions (user_id);
"#,
    r#"
CREATE TABLE raisfast_plugin_installs (
    plugin_id TEXT PRIMARY KEY,
    dir TEXT NOT NULL,
    installed_at INTEGER NOT NULL
);
"#,
    r#"
ALTER TABLE raisfast_cron_runs ADD COLUMN lease_until INTEGER;
"#,
];

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 16;

/// An open connection with the authorizer it was opened with.
struct Pooled {
    conn: Connection,
    auth: Arc<plugin_sql::AuthSlot>,
}

/// The server's database.
pub struct SqliteStorage {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Pooled>>>,
    prefixes: RwLock<BTreeMap<String, String>>,
    writers: writer::WriterLine,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database file and brings the core schema up to date.
    pub fn open(path: &Path) -> Result<Arc<SqliteStorage>, StorageError> {
        let db = SqliteStorage {
            path: path.to_path_buf(),
            idle: Arc::default(),
            prefixes: RwLock::new(BTreeMap::new()),
            writers: writer::WriterLine::default(),
        };
        let pooled = db.connect()?;
        let conn = &pooled.conn;
        db.migrate(conn)?;
        let prefixes = {
            let mut stmt = conn
                .prepare("SELECT prefix, plugin_id FROM raisfast_plugin_prefixes")
                .map_err(|e| db.err(e))?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|rows| rows.collect::<Result<BTreeMap<String, String>, _>>())
                .map_err(|e| db.err(e))?
        };
        *db.prefixes.write().expect("prefix lock") = prefixes;
        db.idle.lock().expect("pool lock").push(pooled);
        Ok(Arc::new(db))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Wraps a SQLite error with the database path.
    pub fn err(&self, source: rusqlite::Error) -> StorageError {
        StorageError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Opens a connection with its authorizer installed once for its whole
    /// life: it applies the rules of the plugin call the connection serves
    /// (see [`plugin_sql::AuthSlot`]). Setting an authorizer expires every
    /// prepared statement of the connection, so the host's cached statements
    /// would be prepared again after every call if each call set its own.
    fn connect(&self) -> Result<Pooled, StorageError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(|e| self.err(e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .and_then(|_| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| conn.pragma_update(None, "foreign_keys", "ON"))
            .map_err(|e| self.err(e))?;
        let auth = Arc::new(plugin_sql::AuthSlot::default());
        let slot = Arc::clone(&auth);
        conn.authorizer(Some(move |a: rusqlite::hooks::AuthContext<'_>| {
            slot.authorize(a)
        }))
        .map_err(|e| self.err(e))?;
        Ok(Pooled { conn, auth })
    }

    fn migrate(&self, conn: &Connection) -> Result<(), StorageError> {
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let version = version.max(0) as usize;
        for (i, sql) in CORE_MIGRATIONS.iter().enumerate().skip(version) {
            let batch = format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1);
            conn.execute_batch(&batch).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// A connection from the pool, returned to it when dropped.
    pub fn connection(&self) -> Result<PooledConnection, StorageError> {
        let idle = self.idle.lock().expect("pool lock").pop();
        let conn = match idle {
            Some(c) => c,
            None => self.connect()?,
        };
        Ok(PooledConnection {
            conn: Some(conn),
            idle: Arc::clone(&self.idle),
        })
    }

    /// [`PluginStore::claim_prefix`] on a given connection (inside its transaction).
    pub fn claim_prefix_on(
        &self,
        conn: &Connection,
        prefix: &str,
        plugin_id: &str,
    ) -> Result<(), StorageError> {
        let taken = |owner: &str| StorageError::PrefixTaken {
            prefix: prefix.to_string(),
            owner: owner.to_string(),
            plugin: plugin_id.to_string(),
        };
        {
            let prefixes = self.prefixes.read().expect("prefix lock");
            for (p, owner) in prefixes.iter() {
                if owner != plugin_id && (p.starts_with(prefix) || prefix.starts_with(p.as_str())) {
                    return Err(taken(owner));
                }
            }
            if prefixes.get(prefix).map(String::as_str) == Some(plugin_id) {
                return Ok(());
            }
        }
        let owner: Option<String> = conn
            .query_row(
                "INSERT INTO raisfast_plugin_prefixes (prefix, plugin_id) VALUES (?1, ?2)
                 ON CONFLICT(prefix) DO UPDATE SET prefix = prefix RETURNING plugin_id",
                [prefix, plugin_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match owner {
            Some(o) if o != plugin_id => Err(taken(&o)),
            _ => {
                self.prefixes
                    .write()
                    .expect("prefix lock")
                    .insert(prefix.to_string(), plugin_id.to_string());
                Ok(())
            }
        }
    }

    /// Forgets the prefixes held by `plugin_id` (after a purge removed them).
    pub(super) fn forget_prefixes(&self, plugin_id: &str) {
        self.prefixes
            .write()
            .expect("prefix lock")
            .retain(|_, owner| owner != plugin_id);
    }
}

impl crate::storage::Storage for SqliteStorage {
    fn location(&self) -> String {
        self.path().display().to_string()
    }

    fn files(&self) -> Option<&dyn crate::storage::FileStore> {
        None
    }
}

/// One node per SQLite file: nobody to tell.
impl crate::storage::ChangeFeed for SqliteStorage {
    fn announce(&self, _node: &str, _plugin_id: &str) {}

    fn subscribe(&self) -> Option<std::sync::mpsc::Receiver<(String, String)>> {
        None
    }
}

/// A pooled connection; goes back to the pool on drop unless it is mid-transaction.
pub struct PooledConnection {
    conn: Option<Pooled>,
    idle: Arc<Mutex<Vec<Pooled>>>,
}

impl PooledConnection {
    /// The authorizer's rules for this connection (see [`plugin_sql::AuthSlot`]).
    pub(in crate::storage::sqlite) fn auth(&self) -> &plugin_sql::AuthSlot {
        &self
            .conn
            .as_ref()
            .expect("connection present until drop")
            .auth
    }
}

impl Deref for PooledConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self
            .conn
            .as_ref()
            .expect("connection present until drop")
            .conn
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self
            .conn
            .as_mut()
            .expect("connection present until drop")
            .conn
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // Never back in the pool with a plugin's rules.
        conn.auth.set(None);
        if !conn.conn.is_autocommit() && conn.conn.execute_batch("ROLLBACK").is_err() {
            return; // a connection we cannot reset is closed, not reused
        }
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::PluginStore;

    #[test]
    fn prefixes_are_owned_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(&dir.path().join("t.db")).unwrap();
        db.claim_prefix("crm_", "com.a.crm").unwrap();
        db.claim_prefix("crm_", "com.a.crm").unwrap();
        assert!(db.claim_prefix("crm_", "com.b.crm").is_err());
        assert!(db.claim_prefix("crm_x_", "com.b.crm-x").is_err());
        assert_eq!(db.table_owner("CRM_deals").as_deref(), Some("com.a.crm"));
        drop(db);
        let db = SqliteStorage::open(&dir.path().join("t.db")).unwrap();
        assert!(db.claim_prefix("crm_", "com.b.crm").is_err());
    }
}
