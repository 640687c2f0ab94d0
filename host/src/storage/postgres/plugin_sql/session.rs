//! One plugin call's session on PostgreSQL, as the plugin's own role.

use super::values::{self, RowsError};
use crate::storage::{ExecResult, PluginAccess, PluginSession, SqlError, TxOp, now_ms};
use postgres::NoTls;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use r2d2_postgres::PostgresConnectionManager;
use std::sync::Arc;
use std::time::Instant;

type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// The session of one call.
pub struct PgSession {
    pub(super) conn: Conn,
    pub(super) access: Arc<PluginAccess>,
    deadline: Instant,
    in_transaction: bool,
}

/// What the plugin sees of a PostgreSQL error.
pub(super) fn sql_error(e: postgres::Error) -> SqlError {
    let Some(db) = e.as_db_error() else {
        // A parameter that does not fit its column names why.
        return match std::error::Error::source(&e) {
            Some(why) if e.to_string().contains("serializing") => {
                SqlError::Invalid(format!("database: {e}: {why}"))
            }
            _ => SqlError::Failed(format!("database: {e}")),
        };
    };
    let msg = format!("database: {}", db.message());
    match db.code() {
        &SqlState::INSUFFICIENT_PRIVILEGE if msg.contains("for table") => {
            SqlError::Denied(format!(
                "{msg} (grant tables in manifest.toml: [permissions] database = [\"read:TABLE\"])"
            ))
        }
        &SqlState::INSUFFICIENT_PRIVILEGE => SqlError::Denied(msg),
        &SqlState::QUERY_CANCELED => SqlError::Limit(
            "database: the statement ran past the call's deadline and was cancelled".into(),
        ),
        &SqlState::PROGRAM_LIMIT_EXCEEDED
        | &SqlState::OUT_OF_MEMORY
        | &SqlState::DISK_FULL
        | &SqlState::CONFIGURATION_LIMIT_EXCEEDED
        | &SqlState::TOO_MANY_CONNECTIONS => SqlError::Limit(msg),
        c if c.code().starts_with("42")
            || c.code().starts_with("22")
            || c.code().starts_with("23") =>
        {
            SqlError::Invalid(msg)
        }
        _ => SqlError::Failed(msg),
    }
}

impl PgSession {
    pub(super) fn new(conn: Conn, access: Arc<PluginAccess>, deadline: Instant) -> PgSession {
        PgSession {
            conn,
            access,
            deadline,
            in_transaction: false,
        }
    }

    /// Arms the deadline for the next statement: what is left of the call.
    pub(super) fn arm(&mut self) -> Result<(), SqlError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(SqlError::Limit(
                "database: the call's deadline has passed".into(),
            ));
        }
        let ms = left.as_millis().max(1);
        self.conn
            .batch_execute(&format!(
                "SET statement_timeout = {ms}; SET lock_timeout = {ms}"
            ))
            .map_err(sql_error)
    }

    /// Fails with `limit` once the plugin's own tables hold more than its quota.
    fn within_quota(&mut self) -> Result<(), SqlError> {
        let max = self.access.max_table_bytes;
        let now = now_ms() as u64;
        {
            let cached = self.access.table_bytes.lock().expect("table size lock");
            // Measured less than a second ago and under the quota: go on.
            if let Some((bytes, at)) = *cached
                && now.saturating_sub(at) < 1000
                && bytes <= max
            {
                return Ok(());
            }
        }
        let bytes: i64 = self
            .conn
            .query_one(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_user AND c.relkind IN ('r', 'm', 'p')",
                &[],
            )
            .map_err(sql_error)?
            .get(0);
        let bytes = bytes.max(0) as u64;
        *self.access.table_bytes.lock().expect("table size lock") = Some((bytes, now));
        if bytes > max {
            return Err(SqlError::Limit(format!(
                "database: plugin {}'s tables hold {} KiB; the quota is {} KiB ([database] max_plugin_bytes): delete rows first",
                self.access.id,
                bytes / 1024,
                max / 1024
            )));
        }
        Ok(())
    }

    fn prepare(
        &mut self,
        sql: &str,
        params: &str,
    ) -> Result<(postgres::Statement, Vec<values::Param>), SqlError> {
        let rewritten = super::placeholders::rewrite(sql)?;
        self.arm()?;
        let stmt = self.conn.prepare(&rewritten.sql).map_err(sql_error)?;
        let params = values::params(&rewritten, stmt.params().len(), params)?;
        Ok((stmt, params))
    }

    /// Whether the migration `name` ran already.
    pub(super) fn migration_applied(&mut self, name: &str) -> Result<bool, SqlError> {
        self.arm()?;
        self.conn
            .query_one("SELECT raisfast_migration_applied($1)", &[&name])
            .map(|r| r.get(0))
            .map_err(sql_error)
    }

    /// Runs a migration and records it, in one transaction.
    pub(super) fn migrate(&mut self, sql: &str, name: &str, at: i64) -> Result<(), SqlError> {
        self.arm()?;
        let mut tx = self.conn.transaction().map_err(sql_error)?;
        tx.batch_execute(sql).map_err(sql_error)?;
        tx.execute("SELECT raisfast_migration_record($1, $2)", &[&name, &at])
            .map_err(sql_error)?;
        tx.commit().map_err(sql_error)
    }
}

impl PluginSession for PgSession {
    fn query(&mut self, sql: &str, params: &str) -> Result<String, SqlError> {
        let (stmt, params) = self.prepare(sql, params)?;
        let rows = self
            .conn
            .query_raw(
                &stmt,
                params.iter().map(|p| p as &dyn postgres::types::ToSql),
            )
            .map_err(sql_error)?;
        values::rows_to_json(rows.iterator()).map_err(|e| match e {
            RowsError::Sql(e) => sql_error(e),
            RowsError::Host(h) => h,
        })
    }

    fn execute(&mut self, sql: &str, params: &str) -> Result<ExecResult, SqlError> {
        self.within_quota()?;
        let (stmt, params) = self.prepare(sql, params)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows_affected = self.conn.execute(&stmt, &refs).map_err(sql_error)?;
        Ok(ExecResult {
            rows_affected,
            last_insert_id: 0,
        })
    }

    fn transaction(&mut self, op: TxOp) -> Result<(), SqlError> {
        let sql = match (op, self.in_transaction) {
            (TxOp::Begin, true) => {
                return Err(SqlError::Invalid(
                    "database: a transaction is already open".into(),
                ));
            }
            (TxOp::Commit | TxOp::Rollback, false) => {
                return Err(SqlError::Invalid("database: no transaction is open".into()));
            }
            (TxOp::Begin, false) => "BEGIN",
            (TxOp::Commit, true) => "COMMIT",
            (TxOp::Rollback, true) => "ROLLBACK",
        };
        self.arm()?;
        let r = self.conn.batch_execute(sql).map_err(sql_error);
        self.in_transaction = op == TxOp::Begin && r.is_ok();
        if op == TxOp::Commit && r.is_err() {
            let _ = self.conn.batch_execute("ROLLBACK");
        }
        r
    }

    fn kv_get(&mut self, key: &str) -> Result<Option<String>, SqlError> {
        super::kv::get(self, key)
    }

    fn kv_set(&mut self, key: &str, value: &str, expires_at: Option<i64>) -> Result<(), SqlError> {
        super::kv::set(self, key, value, expires_at)
    }

    fn kv_delete(&mut self, key: &str) -> Result<bool, SqlError> {
        super::kv::delete(self, key)
    }

    fn kv_list(&mut self, prefix: &str, limit: usize) -> Result<Vec<String>, SqlError> {
        super::kv::list(self, prefix, limit)
    }
}

impl Drop for PgSession {
    fn drop(&mut self) {
        // Whatever the call left: its transaction, its settings, its prepared
        // statements and advisory locks. A connection that cannot be reset is
        // not given to another call.
        let reset = self
            .conn
            .batch_execute("ROLLBACK")
            .and_then(|_| self.conn.batch_execute("DISCARD ALL"));
        if reset.is_err() {
            let _ = self
                .conn
                .batch_execute("SELECT pg_terminate_backend(pg_backend_pid())");
        }
    }
}
