//! A PostgreSQL role and schema per plugin, and its grants.
//!
//! Each plugin logs in as its own role (`rf_` and a hash of the server's
//! secret and the plugin's id, so two sites sharing one PostgreSQL cluster
//! never share a role: roles are cluster-wide, unlike schemas), whose
//! password is derived from a secret only the server's role can read, and
//! owns a schema of the same name, first on its `search_path`: its tables go
//! there. It is granted, on the core tables of `public`, exactly what its
//! manifest's `database` grants say (never `users`, `sessions` or the
//! server's own `raisfast_*` tables), and the execution of the KV functions.
//! It is not a member of any other role, so `SET ROLE`, `RESET ROLE` and
//! `set_config('role', ...)` cannot leave it.

use super::super::PgStorage;
use crate::manifest::grants::is_protected;
use crate::storage::{PluginAccess, SqlError};
use sha2::{Digest, Sha256};

/// Connections one plugin may hold at once, on every node together.
const CONNECTION_LIMIT: u32 = 16;

/// The role (and schema) of plugin `id` on the site whose secret is `secret`.
fn role_name(secret: &str, id: &str) -> String {
    let h = Sha256::digest(format!("{secret}:role:{id}").as_bytes());
    let hex: String = h.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("rf_{hex}")
}

/// The password of `role`, derived from the server's secret.
pub fn password_of(secret: &str, role: &str) -> String {
    let h = Sha256::digest(format!("{secret}:{role}").as_bytes());
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn failed(e: postgres::Error) -> SqlError {
    SqlError::Failed(format!("database: preparing the plugin's role: {e}"))
}

impl PgStorage {
    /// The PostgreSQL role of plugin `id`, also the name of its schema (the
    /// table `raisfast_plugin_roles` lists them for operators).
    pub fn role_of(&self, id: &str) -> String {
        role_name(&self.secret, id)
    }

    /// Creates (or brings up to date) the plugin's role, schema and grants.
    pub(super) fn provision(&self, access: &PluginAccess) -> Result<String, SqlError> {
        let role = self.role_of(&access.id);
        let password = password_of(&self.secret, &role);
        let mut conn = self
            .connection()
            .map_err(|e| SqlError::Failed(e.to_string()))?;
        let mut tx = conn.transaction().map_err(failed)?;
        // One provisioning of a role at a time across nodes.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&self.lock_key(&role)])
            .map_err(failed)?;
        let exists = tx
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
            .map_err(failed)?
            .is_some();
        // The names are `rf_` and hex, the password hex: safe to format.
        let verb = if exists { "ALTER" } else { "CREATE" };
        let mut sql = format!(
            "{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION \
             NOBYPASSRLS CONNECTION LIMIT {CONNECTION_LIMIT} PASSWORD '{password}';
             CREATE SCHEMA IF NOT EXISTS {role} AUTHORIZATION {role};
             ALTER ROLE {role} SET search_path = {role}, public;
             ALTER ROLE {role} SET client_min_messages = 'error';
             REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};
             REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role};
             GRANT USAGE ON SCHEMA public TO {role};
             GRANT EXECUTE ON FUNCTION raisfast_kv_get(text, bigint), raisfast_kv_put(text, text, bigint),
               raisfast_kv_delete(text, bigint), raisfast_kv_list(text, bigint, integer),
               raisfast_kv_size(text), raisfast_kv_usage(), raisfast_kv_expire(bigint),
               raisfast_migration_applied(text), raisfast_migration_record(text, bigint) TO {role};"
        );
        let public: Vec<String> = tx
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                &[],
            )
            .map_err(failed)?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .filter(|t| !is_protected(t))
            .collect();
        let grants = &access.grants;
        for table in &public {
            use crate::manifest::grants::Access;
            let read = grants.wildcard(Access::Read) || grants.names(table, Access::Read);
            let write = grants.wildcard(Access::Write) || grants.names(table, Access::Write);
            let privileges = match (read, write) {
                (true, true) => "SELECT, INSERT, UPDATE, DELETE",
                (true, false) => "SELECT",
                (false, true) => "INSERT, UPDATE, DELETE",
                (false, false) => continue,
            };
            sql.push_str(&format!(
                "GRANT {privileges} ON TABLE public.\"{}\" TO {role};",
                table.replace('"', "\"\"")
            ));
            if write {
                // Inserting into a table with a serial column uses its sequence.
                let sequences = tx
                    .query(
                        "SELECT s.relname::text FROM pg_class s
                         JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
                         JOIN pg_class t ON t.oid = d.refobjid
                         WHERE s.relkind = 'S' AND t.relname = $1
                         AND t.relnamespace = 'public'::regnamespace",
                        &[table],
                    )
                    .map_err(failed)?;
                for seq in sequences {
                    let name: String = seq.get(0);
                    sql.push_str(&format!(
                        "GRANT USAGE ON SEQUENCE public.\"{}\" TO {role};",
                        name.replace('"', "\"\"")
                    ));
                }
            }
        }
        tx.batch_execute(&sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO raisfast_plugin_roles (role, plugin_id) VALUES ($1, $2)
             ON CONFLICT (role) DO UPDATE SET plugin_id = excluded.plugin_id",
            &[&role, &access.id],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(password)
    }

    /// Drops the plugin's schema (its tables) and its role.
    pub(in crate::storage::postgres) fn drop_plugin_role(
        &self,
        plugin_id: &str,
    ) -> Result<(), postgres::Error> {
        let role = self.role_of(plugin_id);
        self.forget_pool(plugin_id);
        let mut conn = match self.connection() {
            Ok(c) => c,
            Err(_) => return Ok(()),
        };
        let exists = conn
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])?
            .is_some();
        if exists {
            conn.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {role} CASCADE; DROP OWNED BY {role}; DROP ROLE {role};"
            ))?;
        }
        Ok(())
    }
}
