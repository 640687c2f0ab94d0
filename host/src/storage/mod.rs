//! Storage: everything the server keeps, behind one interface.
//!
//! The rest of the server sees only the traits of this module: [`Storage`]
//! (one trait per topic: users and sessions, content, comments, plugin state,
//! installs and table prefixes, cron runs) and [`PluginSession`] (one plugin call's SQL and KV,
//! with the plugin's grants enforced by the backend). No SQL engine's types
//! appear outside this module.
//!
//! The backend today is embedded SQLite ([`sqlite`]): one file in WAL mode, a
//! small connection pool, one fair writer line, and an authorizer per plugin
//! call. A second backend (PostgreSQL, say) implements the same two traits in
//! a sibling module and is chosen where the server opens its storage; see
//! `docs/architecture.md`.

mod backend;
mod cron_lease;
mod files;
mod kv_quota;
pub mod postgres;
mod records;
mod session;
pub mod sqlite;

pub use backend::{
    ChangeFeed, CommentStore, ContentStore, CronClaim, CronStore, PluginSql, PluginStore, Storage,
    UserStore,
};
pub use files::{FileEntry, FileError, FileQuota, FileStore};
pub use postgres::PgStorage;
pub use records::{
    Comment, Content, ContentFilter, CronRun, Principal, StoredState, User, Visibility,
};
pub use session::{
    Dialect, ExecResult, KvQuota, MigrationError, PluginAccess, PluginSession, SqlError, TxOp,
};
pub use sqlite::SqliteStorage;

use std::path::PathBuf;
use std::sync::Arc;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// SQLite failed.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// PostgreSQL failed.
    #[error("database {location}: {source}")]
    Postgres {
        /// The database, as its URL without password.
        location: String,
        /// What PostgreSQL (or the connection) said.
        source: ::postgres::Error,
    },
    /// No connection could be had from the pool.
    #[error("database {location}: no connection: {message}")]
    Pool {
        /// The database, as its URL without password.
        location: String,
        /// Why.
        message: String,
    },
    /// A unique value is taken (a username, a slug).
    #[error("{0} is taken")]
    Taken(String),
    /// A plugin's table prefix is owned by another plugin.
    #[error(
        "table prefix `{prefix}` belongs to plugin {owner}; plugin {plugin} cannot own it (rename its id's last segment)"
    )]
    PrefixTaken {
        /// The contested prefix.
        prefix: String,
        /// Its owner.
        owner: String,
        /// The plugin that asked for it.
        plugin: String,
    },
    /// The writer line did not reach this writer in time.
    #[error("database busy: waited {waited_ms} ms for the other writers in line")]
    Busy {
        /// How long it waited.
        waited_ms: u64,
    },
}

/// Opens the server's storage: PostgreSQL when `[database] url` is set,
/// else the SQLite database in the data directory; created and brought up to
/// date if needed. The choice of backend is made here and nowhere else.
pub fn open(settings: &crate::settings::Settings) -> Result<Arc<dyn Storage>, StorageError> {
    match &settings.database.url {
        Some(url) => Ok(Arc::new(PgStorage::open(url)?)),
        None => Ok(SqliteStorage::open(&settings.database_path())?),
    }
}

/// Runs kept per cron job in the history; older ones are deleted.
pub const CRON_HISTORY: usize = 100;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
