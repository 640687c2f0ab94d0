//! The PostgreSQL backend: several `raisfast` nodes on one database.
//!
//! The server's own connections log in as the role of the database URL and
//! keep the core tables in the database's `public` schema. The schema is
//! brought up to date at start-up under an advisory lock, so nodes starting
//! together migrate it once. Unlike the SQLite backend there is no
//! in-process writer line: PostgreSQL's row locks and transactions order the
//! writers of every node.
//!
//! This module implements the core topics of [`crate::storage`] (users and
//! sessions, content, comments, plugin state and installs, table prefixes,
//! cron runs). Plugins' own SQL, KV and files on PostgreSQL (a schema and a
//! login role per plugin) are the next step; until they exist the server
//! cannot be started on this backend.

mod comments;
mod content;
mod cron_runs;
mod plugins;
mod users;

use crate::storage::StorageError;
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;
use std::time::Duration;

/// A pooled connection of the server's role.
pub type PgConnection = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// Connections the server keeps open per node.
const POOL_SIZE: u32 = 16;

/// Locks every node takes in turn to migrate the core schema.
const MIGRATION_LOCK: i64 = 0x7261_6973_6661_7374; // "raisfast"

/// The core schema, one migration per entry; `raisfast_schema` records those applied.
const CORE_MIGRATIONS: &[&str] = &[r#"
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user',
    created_at BIGINT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE TABLE content (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft',
    data TEXT NOT NULL DEFAULT '{}',
    author_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX content_listing ON content (type, status, created_at);
CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    content_id TEXT NOT NULL REFERENCES content(id) ON DELETE CASCADE,
    author_id TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_by_content ON comments (content_id, created_at);
CREATE TABLE raisfast_kv (
    plugin_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (plugin_id, key)
);
CREATE TABLE raisfast_plugin_prefixes (
    prefix TEXT PRIMARY KEY,
    plugin_id TEXT NOT NULL
);
CREATE TABLE raisfast_plugin_state (
    plugin_id TEXT PRIMARY KEY,
    enabled BOOLEAN NOT NULL,
    reason TEXT,
    uninstalled BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at BIGINT NOT NULL
);
CREATE TABLE raisfast_plugin_migrations (
    plugin_id TEXT NOT NULL,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (plugin_id, name)
);
CREATE TABLE raisfast_plugin_installs (
    plugin_id TEXT PRIMARY KEY,
    dir TEXT NOT NULL,
    installed_at BIGINT NOT NULL
);
CREATE TABLE raisfast_cron_runs (
    plugin_id TEXT NOT NULL,
    job TEXT NOT NULL,
    scheduled_at BIGINT NOT NULL,
    node TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    duration_ms BIGINT,
    outcome TEXT NOT NULL DEFAULT 'running',
    error TEXT,
    PRIMARY KEY (plugin_id, job, scheduled_at)
);
"#];

/// The server's storage on PostgreSQL.
pub struct PgStorage {
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
    location: String,
}

impl PgStorage {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and
    /// brings the core schema up to date.
    pub fn open(url: &str) -> Result<PgStorage, StorageError> {
        let location = redact(url);
        let config: postgres::Config = url.parse().map_err(|e| StorageError::Postgres {
            location: location.clone(),
            source: e,
        })?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| StorageError::Pool {
                location: location.clone(),
                message: e.to_string(),
            })?;
        let db = PgStorage { pool, location };
        db.migrate()?;
        Ok(db)
    }

    /// A connection of the server's role.
    pub fn connection(&self) -> Result<PgConnection, StorageError> {
        self.pool.get().map_err(|e| StorageError::Pool {
            location: self.location.clone(),
            message: e.to_string(),
        })
    }

    /// Wraps a PostgreSQL error with where the database is.
    pub fn err(&self, source: postgres::Error) -> StorageError {
        StorageError::Postgres {
            location: self.location.clone(),
            source,
        }
    }

    fn migrate(&self) -> Result<(), StorageError> {
        let mut conn = self.connection()?;
        let mut tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(|e| self.err(e))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS raisfast_schema (version INTEGER NOT NULL)")
            .map_err(|e| self.err(e))?;
        let version: i32 = tx
            .query_opt("SELECT max(version) FROM raisfast_schema", &[])
            .map_err(|e| self.err(e))?
            .and_then(|r| r.get::<_, Option<i32>>(0))
            .unwrap_or(0);
        for (i, sql) in CORE_MIGRATIONS
            .iter()
            .enumerate()
            .skip(version.max(0) as usize)
        {
            tx.batch_execute(sql).map_err(|e| self.err(e))?;
            tx.execute(
                "INSERT INTO raisfast_schema (version) VALUES ($1)",
                &[&(i as i32 + 1)],
            )
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Runs `f` in a transaction that commits when it succeeds.
    pub fn write<R>(
        &self,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<R, postgres::Error>,
    ) -> Result<R, StorageError> {
        let mut conn = self.connection()?;
        let mut tx = conn.transaction().map_err(|e| self.err(e))?;
        let r = f(&mut tx).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(r)
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_password_never_reaches_a_message() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/site"),
            "postgres://app@db:5432/site"
        );
        assert_eq!(redact("postgres://db/site"), "postgres://db/site");
    }
}
