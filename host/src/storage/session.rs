//! [`PluginSession`]: one plugin call's SQL and KV, under the plugin's grants.
//!
//! The backend enforces the grants itself (SQLite: an authorizer on every
//! prepared statement; never by reading the SQL text), bounds the work by the
//! call's deadline, and rolls back what the call left open when the session
//! is dropped.

use crate::manifest::grants::DbGrants;
use std::sync::Mutex;

/// What a plugin may do in the database, fixed when it loads.
#[derive(Debug)]
pub struct PluginAccess {
    /// The plugin id.
    pub id: String,
    /// The table prefix it owns.
    pub table_prefix: String,
    /// Its table grants.
    pub grants: DbGrants,
    /// The quota of its own tables, in bytes.
    pub max_table_bytes: u64,
    /// Its KV quota.
    pub kv: KvQuota,
    /// The size of its tables when last measured and the database's page
    /// count then (the backend's cache for the table quota).
    pub table_bytes: Mutex<Option<(u64, u64)>>,
    /// Its KV keys and bytes as last counted and adjusted since (an upper
    /// bound: counted again before a write is refused for the quota).
    pub kv_usage: Mutex<Option<(u64, u64)>>,
}

/// A plugin's KV quota.
#[derive(Debug, Clone, Copy)]
pub struct KvQuota {
    /// Keys at most.
    pub max_keys: u64,
    /// Bytes of keys and values at most.
    pub max_bytes: u64,
}

/// Why a plugin's SQL or KV operation failed; the host API passes it on as
/// the WIT error of the same name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// A grant is missing; the message names it.
    #[error("denied: {0}")]
    Denied(String),
    /// Malformed SQL or parameters.
    #[error("invalid: {0}")]
    Invalid(String),
    /// A quota, size cap or the deadline was reached.
    #[error("limit: {0}")]
    Limit(String),
    /// The database failed.
    #[error("failed: {0}")]
    Failed(String),
}

/// A plugin migration that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("migrations/{file}: {error}")]
pub struct MigrationError {
    /// The migration file (empty when the database could not be reached).
    pub file: String,
    /// Why it failed.
    pub error: SqlError,
}

/// What a statement changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecResult {
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
    /// The id of the last row inserted by this statement (0 when none).
    pub last_insert_id: i64,
}

/// The SQL dialect of a backend: plugins may ship migrations for each
/// (`migrations/postgres/*.sql` beside `migrations/*.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// Where a plugin's migrations for this dialect are, if not the common
    /// `migrations/`.
    pub fn migrations_dir(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("migrations/postgres"),
        }
    }
}

/// A transaction operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxOp {
    /// Opens a transaction.
    Begin,
    /// Commits the open transaction.
    Commit,
    /// Rolls the open transaction back.
    Rollback,
}

/// One plugin call's database session. Dropping it rolls back an open
/// transaction and gives back what it holds.
pub trait PluginSession: Send {
    /// Runs one statement; its rows as a JSON array of objects. `params` is a
    /// JSON array (positional) or object (named).
    fn query(&mut self, sql: &str, params: &str) -> Result<String, SqlError>;
    /// Runs one statement and reports what it changed.
    fn execute(&mut self, sql: &str, params: &str) -> Result<ExecResult, SqlError>;
    /// Opens, commits or rolls back a transaction.
    fn transaction(&mut self, op: TxOp) -> Result<(), SqlError>;
    /// The live value under `key`.
    fn kv_get(&mut self, key: &str) -> Result<Option<String>, SqlError>;
    /// Stores `value` under `key`, expiring at `expires_at` (ms) if given,
    /// within the plugin's KV quota.
    fn kv_set(&mut self, key: &str, value: &str, expires_at: Option<i64>) -> Result<(), SqlError>;
    /// Removes `key`; whether a live value was there.
    fn kv_delete(&mut self, key: &str) -> Result<bool, SqlError>;
    /// Live keys starting with `prefix`, sorted, at most `limit`.
    fn kv_list(&mut self, prefix: &str, limit: usize) -> Result<Vec<String>, SqlError>;
}
