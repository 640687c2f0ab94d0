//! The PostgreSQL backend: several `raisfast` nodes on one database.
//!
//! The server's own connections log in as the role of the database URL and
//! keep the core tables in the database's `public` schema. The schema is
//! brought up to date at start-up under an advisory lock, so nodes starting
//! together migrate it once. Unlike the SQLite backend there is no
//! in-process writer line: PostgreSQL's row locks and transactions order the
//! writers of every node.
//!
//! Plugins' own SQL and KV run as a login role per plugin, in a schema of
//! their own ([`plugin_sql`]): PostgreSQL's privileges isolate them, not a
//! reading of their SQL. The server's role must own the database and have
//! `CREATEROLE`.

mod changes;
mod comments;
mod content;
mod cron_runs;
mod files;
mod plugin_sql;
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
const CORE_MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
CREATE TABLE raisfast_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE raisfast_plugin_roles (role TEXT PRIMARY KEY, plugin_id TEXT NOT NULL UNIQUE);
-- Plugins create nothing outside their own schema, and no temporary tables.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END $$;
DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), current_user); END $$;
-- The plugin a login role belongs to; NULL for any other role. `session_user`
-- is the role the connection logged in as, which no SET ROLE changes.
CREATE FUNCTION raisfast_plugin() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT plugin_id FROM raisfast_plugin_roles WHERE role = session_user $$;
CREATE FUNCTION raisfast_kv_get(k text, now bigint) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT value FROM raisfast_kv WHERE plugin_id = raisfast_plugin() AND key = k
        AND (expires_at IS NULL OR expires_at > now) $$;
CREATE FUNCTION raisfast_kv_size(k text) RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT octet_length(value)::bigint FROM raisfast_kv WHERE plugin_id = raisfast_plugin() AND key = k $$;
CREATE FUNCTION raisfast_kv_put(k text, v text, expires bigint) RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ INSERT INTO raisfast_kv (plugin_id, key, value, expires_at) VALUES (raisfast_plugin(), k, v, expires)
        ON CONFLICT (plugin_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at $$;
CREATE FUNCTION raisfast_kv_delete(k text, now bigint) RETURNS boolean LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ WITH gone AS (DELETE FROM raisfast_kv WHERE plugin_id = raisfast_plugin() AND key = k
        RETURNING (expires_at IS NULL OR expires_at > now) AS live)
        SELECT coalesce((SELECT live FROM gone), false) $$;
CREATE FUNCTION raisfast_kv_list(prefix text, now bigint, lim integer) RETURNS SETOF text LANGUAGE sql STABLE
  SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT key FROM raisfast_kv WHERE plugin_id = raisfast_plugin() AND starts_with(key, prefix)
        AND (expires_at IS NULL OR expires_at > now) ORDER BY key COLLATE "C" LIMIT lim $$;
CREATE FUNCTION raisfast_kv_usage(OUT keys bigint, OUT bytes bigint) LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT count(*), coalesce(sum(octet_length(key) + octet_length(value)), 0)::bigint
        FROM raisfast_kv WHERE plugin_id = raisfast_plugin() $$;
CREATE FUNCTION raisfast_kv_expire(now bigint) RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ DELETE FROM raisfast_kv WHERE plugin_id = raisfast_plugin() AND expires_at <= now $$;
CREATE FUNCTION raisfast_migration_applied(n text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT EXISTS(SELECT 1 FROM raisfast_plugin_migrations WHERE plugin_id = raisfast_plugin() AND name = n) $$;
CREATE FUNCTION raisfast_migration_record(n text, at bigint) RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ INSERT INTO raisfast_plugin_migrations (plugin_id, name, applied_at) VALUES (raisfast_plugin(), n, at) $$;
REVOKE EXECUTE ON FUNCTION raisfast_plugin(), raisfast_kv_get(text, bigint), raisfast_kv_size(text),
  raisfast_kv_put(text, text, bigint), raisfast_kv_delete(text, bigint), raisfast_kv_list(text, bigint, integer),
  raisfast_kv_usage(), raisfast_kv_expire(bigint), raisfast_migration_applied(text),
  raisfast_migration_record(text, bigint) FROM PUBLIC;
"#,
    r#"
ALTER TABLE raisfast_cron_runs ADD COLUMN lease_until BIGINT;
CREATE TABLE raisfast_files (
    plugin_id TEXT NOT NULL,
    path TEXT NOT NULL,
    parent TEXT NOT NULL,
    is_dir BOOLEAN NOT NULL,
    data BYTEA,
    modified_ms BIGINT NOT NULL,
    PRIMARY KEY (plugin_id, path)
);
CREATE INDEX raisfast_files_by_parent ON raisfast_files (plugin_id, parent);
"#,
];

/// The server's storage on PostgreSQL.
pub struct PgStorage {
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
    location: String,
    /// Where plugins' own connections go (the URL's host, port and database).
    config: postgres::Config,
    /// The server's secret: plugin roles' passwords and advisory lock keys
    /// derive from it, so a plugin can neither log in as another nor take
    /// the server's locks.
    secret: String,
    /// Each plugin's connection pool, by plugin id.
    plugins: std::sync::Mutex<std::collections::HashMap<String, plugin_sql::PluginPool>>,
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
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| StorageError::Pool {
                location: location.clone(),
                message: e.to_string(),
            })?;
        let mut db = PgStorage {
            pool,
            location,
            config,
            secret: String::new(),
            plugins: Default::default(),
        };
        db.migrate()?;
        db.secret = db.load_secret()?;
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
        let fresh = tx
            .query_one("SELECT to_regclass('raisfast_schema') IS NULL", &[])
            .map_err(|e| self.err(e))?
            .get::<_, bool>(0);
        if fresh {
            tx.batch_execute("CREATE TABLE raisfast_schema (version INTEGER NOT NULL)")
                .map_err(|e| self.err(e))?;
        }
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

    /// The server's secret, made on the first start of any node.
    fn load_secret(&self) -> Result<String, StorageError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StorageError::Pool {
            location: self.location.clone(),
            message: format!("no randomness for the server's secret: {e}"),
        })?;
        let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO raisfast_secrets (name, value) VALUES ('server', $1)
                 ON CONFLICT (name) DO NOTHING",
                &[&fresh],
            )?;
            tx.query_one(
                "SELECT value FROM raisfast_secrets WHERE name = 'server'",
                &[],
            )
            .map(|r| r.get(0))
        })
    }

    /// An advisory lock key for `name` that plugins cannot compute.
    pub fn lock_key(&self, name: &str) -> i64 {
        use sha2::Digest;
        let h = sha2::Sha256::digest(format!("{}:lock:{name}", self.secret).as_bytes());
        i64::from_be_bytes(h[..8].try_into().expect("8 bytes"))
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

impl crate::storage::Storage for PgStorage {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn files(&self) -> Option<&dyn crate::storage::FileStore> {
        Some(self)
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
