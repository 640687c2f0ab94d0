//! The plugin-facing database on PostgreSQL: isolated by PostgreSQL itself.
//!
//! Each plugin's calls use connections that log in as the plugin's own role
//! ([`roles`]); what that role may touch is what PostgreSQL's privileges say,
//! whatever the SQL. A call's session bounds every statement by the call's
//! deadline (`statement_timeout`, re-armed before each statement), rolls back
//! what it left open and discards the connection's session state (settings,
//! prepared statements, advisory locks) before another call gets it.

mod kv;
mod numeric;
mod placeholders;
mod roles;
mod session;
mod values;

use super::PgStorage;
use crate::storage::{
    Dialect, MigrationError, PluginAccess, PluginSession, PluginSql, SqlError, now_ms,
};
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;
use session::PgSession;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// A plugin's connections. Its role is provisioned when the pool is made;
/// every (re)load of the plugin drops the pool ([`PluginSql::migrate_plugin`]),
/// so new grants take effect then.
pub struct PluginPool {
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
}

/// Idle connections kept per plugin on each node.
const PLUGIN_POOL: u32 = 4;

impl PgStorage {
    /// The plugin's pool, provisioning its role first when there is none.
    fn plugin_pool(
        &self,
        access: &PluginAccess,
    ) -> Result<r2d2::Pool<PostgresConnectionManager<NoTls>>, SqlError> {
        if let Some(p) = self.plugins.lock().expect("plugin pools").get(&access.id) {
            return Ok(p.pool.clone());
        }
        let password = self.provision(access)?;
        let mut config = self.config.clone();
        config.user(&self.role_of(&access.id)).password(password);
        let pool = r2d2::Pool::builder()
            .max_size(PLUGIN_POOL)
            .min_idle(Some(0))
            .idle_timeout(Some(Duration::from_secs(60)))
            .connection_timeout(Duration::from_secs(10))
            .build_unchecked(PostgresConnectionManager::new(config, NoTls));
        self.plugins
            .lock()
            .expect("plugin pools")
            .insert(access.id.clone(), PluginPool { pool: pool.clone() });
        Ok(pool)
    }

    /// Closes a plugin's idle connections and forgets its pool.
    pub(super) fn forget_pool(&self, plugin_id: &str) {
        self.plugins.lock().expect("plugin pools").remove(plugin_id);
    }
}

impl PgStorage {
    /// A session of the plugin's role for a call that ends at `deadline`.
    fn open_session(
        &self,
        access: Arc<PluginAccess>,
        deadline: Instant,
    ) -> Result<PgSession, SqlError> {
        let pool = self.plugin_pool(&access)?;
        let wait = deadline.saturating_duration_since(Instant::now());
        let conn = pool
            .get_timeout(wait.max(Duration::from_millis(1)))
            .map_err(|e| {
                SqlError::Limit(format!(
                    "database: no connection for the plugin before the call's deadline: {e}"
                ))
            })?;
        Ok(PgSession::new(conn, access, deadline))
    }
}

impl PluginSql for PgStorage {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn plugin_session(
        self: Arc<Self>,
        access: Arc<PluginAccess>,
        deadline: Instant,
        _preempted: Arc<AtomicBool>,
    ) -> Result<Box<dyn PluginSession>, SqlError> {
        // No writer line to preempt: PostgreSQL orders writers itself.
        Ok(Box::new(self.open_session(access, deadline)?))
    }

    fn migrate_plugin(
        self: Arc<Self>,
        access: Arc<PluginAccess>,
        files: Vec<(String, String)>,
        deadline: Instant,
    ) -> Result<Vec<String>, MigrationError> {
        let failed = |file: &str, error: SqlError| MigrationError {
            file: file.to_string(),
            error,
        };
        // Provisioning happens at every load: the grants may have changed.
        self.forget_pool(&access.id);
        // Nodes starting together migrate a plugin once: the first holds this
        // lock while the others wait, then find the migrations applied.
        let mut guard = self
            .connection()
            .map_err(|e| failed("", SqlError::Failed(e.to_string())))?;
        let key = self.lock_key(&format!("migrate:{}", access.id));
        guard
            .execute("SELECT pg_advisory_lock($1)", &[&key])
            .map_err(|e| failed("", session::sql_error(e)))?;
        let result = self.run_migrations(access, files, deadline);
        let _ = guard.execute("SELECT pg_advisory_unlock($1)", &[&key]);
        result
    }
}

impl PgStorage {
    fn run_migrations(
        &self,
        access: Arc<PluginAccess>,
        files: Vec<(String, String)>,
        deadline: Instant,
    ) -> Result<Vec<String>, MigrationError> {
        let failed = |file: &str, error: SqlError| MigrationError {
            file: file.to_string(),
            error,
        };
        let mut session = self
            .open_session(access, deadline)
            .map_err(|e| failed("", e))?;
        let mut applied = Vec::new();
        for (name, sql) in files {
            if session
                .migration_applied(&name)
                .map_err(|e| failed(&name, e))?
            {
                continue;
            }
            session
                .migrate(&sql, &name, now_ms())
                .map_err(|e| failed(&name, e))?;
            applied.push(name);
        }
        Ok(applied)
    }
}
