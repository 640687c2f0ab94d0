//! The plugin-facing database on SQLite: one pooled connection per call,
//! checked out on first use, with an authorizer for the plugin ([`policy`])
//! and a progress handler and watchdog for the call's deadline; an unfinished
//! transaction is rolled back when the call ends.
//!
//! Grants are enforced by SQLite's authorizer on each prepared statement,
//! never by looking at the SQL text.

mod bounds;
mod policy;
mod schema;
mod values;
mod watchdog;

pub use bounds::{MAX_RESULT_BYTES, MAX_ROWS, PLUGIN_LIMITS, sql_error};
pub use policy::{AuthSlot, SchemaLookup, TablePolicy};
pub use schema::migrate;

use super::{PooledConnection, Preempt, SqliteStorage, WriteGuard};
use crate::storage::{
    Dialect, ExecResult, MigrationError, PluginAccess, PluginSession, PluginSql, SqlError, TxOp,
};
use rusqlite::Connection;
use rusqlite::limits::Limit;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// The connection a call uses, with the plugin's authorizer installed.
///
/// Writes wait in the process's writer line ([`super::writer`]): the call takes
/// its turn before a statement that writes (or at `begin`, which opens an
/// immediate transaction) and gives it back when the statement or the
/// transaction ends, or the call does. Reads never wait.
pub struct CallConnection {
    db: Arc<SqliteStorage>,
    access: Arc<PluginAccess>,
    // Dropped first: the watchdog forgets the connection before it can go
    // back to the pool.
    _watch: watchdog::Watch,
    // Then the connection: an open transaction rolls back before the turn is
    // given back.
    conn: PooledConnection,
    policy: Arc<TablePolicy>,
    deadline: Instant,
    turn: RefCell<Option<WriteGuard>>,
    /// The pool's limits, restored when the call ends.
    saved_limits: Vec<(Limit, i32)>,
    /// Raised when the core preempts the call's writer turn.
    preempted: Arc<AtomicBool>,
}

impl CallConnection {
    /// Checks a connection out for a call of `ctx` that must end at `deadline`.
    /// `preempted` is raised if the core takes the writer turn back from the call.
    pub fn open(
        db: Arc<SqliteStorage>,
        access: Arc<PluginAccess>,
        deadline: Instant,
        preempted: Arc<AtomicBool>,
    ) -> Result<CallConnection, SqlError> {
        let conn = db
            .connection()
            .map_err(|e| SqlError::Failed(e.to_string()))?;
        // SAFETY: the lookup lives in the policy, which only this connection's
        // authorizer consults; it leaves the connection's slot (in `drop`)
        // before the connection goes back to the pool.
        let tables = unsafe { SchemaLookup::new(&conn) };
        let policy = Arc::new(TablePolicy::new(&access, Arc::clone(&db), tables));
        // SAFETY: the handle is this connection's, used on this thread only.
        unsafe { rusqlite::ffi::sqlite3_set_last_insert_rowid(conn.handle(), 0) };
        conn.auth().set(Some(Arc::clone(&policy)));
        conn.progress_handler(1000, Some(move || Instant::now() >= deadline))
            .and_then(|_| conn.busy_timeout(deadline.saturating_duration_since(Instant::now())))
            .map_err(|e| SqlError::Failed(e.to_string()))?;
        let mut saved_limits = Vec::with_capacity(PLUGIN_LIMITS.len());
        for &(limit, value) in PLUGIN_LIMITS {
            let old = conn
                .set_limit(limit, value)
                .map_err(|e| SqlError::Failed(e.to_string()))?;
            saved_limits.push((limit, old));
        }
        let watch = watchdog::watch(conn.get_interrupt_handle(), deadline);
        Ok(CallConnection {
            db,
            access,
            _watch: watch,
            saved_limits,
            conn,
            policy,
            deadline,
            turn: RefCell::new(None),
            preempted,
        })
    }

    /// What the plugin may do.
    pub(in crate::storage::sqlite) fn access(&self) -> &PluginAccess {
        &self.access
    }

    /// Waits in the writer line for this call's turn (until its deadline),
    /// unless it has it already.
    fn take_turn(&self) -> Result<(), SqlError> {
        if self.turn.borrow().is_some() {
            return Ok(());
        }
        let preempt = Preempt {
            flag: Arc::clone(&self.preempted),
            sql: self.conn.get_interrupt_handle(),
        };
        let guard = self.db.write_lock(self.deadline, preempt).map_err(|_| {
            SqlError::Limit(
                "database: busy; other writers held the line until the call's deadline".into(),
            )
        })?;
        *self.turn.borrow_mut() = Some(guard);
        Ok(())
    }

    /// Gives the turn back once no transaction is open.
    fn end_statement(&self) {
        if self.conn.is_autocommit() {
            self.turn.borrow_mut().take();
        }
    }

    /// Runs host-side writes (KV) as one atomic step: inside the plugin's open
    /// transaction if it has one, else in a transaction of their own; either
    /// way with the call's turn in the writer line.
    pub fn host_write<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        self.take_turn()?;
        let own = self.conn.is_autocommit();
        let r = self.host(|conn| {
            if own {
                conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_error)?;
            }
            let r = f(conn);
            if own {
                match &r {
                    Ok(_) => conn.execute_batch("COMMIT").map_err(sql_error)?,
                    Err(_) => {
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                }
            }
            r
        });
        if own && !self.conn.is_autocommit() {
            let _ = self.host(|conn| conn.execute_batch("ROLLBACK"));
        }
        self.end_statement();
        r
    }

    /// Runs host-side SQL (KV, transaction control) on this connection, unchecked
    /// by the plugin's authorizer but inside its transaction.
    pub fn host<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        self.policy.set_host_mode(true);
        let r = f(&self.conn);
        self.policy.set_host_mode(false);
        r
    }

    /// Resets SQLite's last insert rowid, which belongs to the connection: a
    /// pooled connection must not tell one plugin what another inserted.
    fn forget_last_insert(&self) {
        // SAFETY: the handle is this connection's, used on this thread only.
        unsafe { rusqlite::ffi::sqlite3_set_last_insert_rowid(self.conn.handle(), 0) };
    }

    /// Prepares one statement under the plugin's rules.
    fn prepare(&self, sql: &str) -> Result<rusqlite::Statement<'_>, SqlError> {
        self.policy.begin_statement();
        let stmt = self.conn.prepare(sql).map_err(|e| self.error(e))?;
        self.policy
            .finish_statement()
            .map_err(|m| SqlError::Denied(format!("database: {m}")))?;
        Ok(stmt)
    }

    /// Runs every statement of `sql` in order under the plugin's rules.
    fn run_batch(&self, sql: &str) -> Result<(), SqlError> {
        use rusqlite::fallible_iterator::FallibleIterator;
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        loop {
            self.policy.begin_statement();
            let next = batch.next().map_err(|e| self.error(e))?;
            let Some(mut stmt) = next else { return Ok(()) };
            self.policy
                .finish_statement()
                .map_err(|m| SqlError::Denied(format!("database: {m}")))?;
            let mut rows = stmt.raw_query();
            while rows.next().map_err(|e| self.error(e))?.is_some() {}
        }
    }

    /// Converts a SQLite error, preferring the authorizer's reason for a denial.
    fn error(&self, e: rusqlite::Error) -> SqlError {
        if let Some(reason) = self.policy.take_denial() {
            return SqlError::Denied(format!("database: {reason}"));
        }
        sql_error(e)
    }
}

impl Drop for CallConnection {
    fn drop(&mut self) {
        // The pool's own rollback must not pass through the plugin's authorizer.
        self.conn.auth().set(None);
        let _ = self.conn.progress_handler(0, None::<fn() -> bool>);
        let _ = self.conn.busy_timeout(std::time::Duration::from_secs(5));
        for &(limit, value) in &self.saved_limits {
            let _ = self.conn.set_limit(limit, value);
        }
        // An unfinished transaction rolls back while the call still holds the
        // turn; the turn (and the core's way to interrupt this connection) is
        // given up before the connection can go back to the pool.
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.turn.borrow_mut().take();
    }
}

/// Runs one statement and returns its rows as a JSON array.
fn query(c: &mut CallConnection, sql: &str, params: &str) -> Result<String, SqlError> {
    let ctx = Arc::clone(&c.access);
    let mut stmt = c.prepare(sql)?;
    values::bind(&mut stmt, params)?;
    if c.policy.grows_own() {
        c.host(|conn| schema::within_quota(conn, &ctx))?;
    }
    if !stmt.readonly() {
        c.take_turn()?;
    }
    let rows = values::rows_to_json(&mut stmt).map_err(|e| match e {
        values::RowsError::Sql(e) => c.error(e),
        values::RowsError::Host(h) => h,
    });
    drop(stmt);
    c.end_statement();
    rows
}

/// Runs one statement and reports what it changed.
fn execute(c: &mut CallConnection, sql: &str, params: &str) -> Result<ExecResult, SqlError> {
    let ctx = Arc::clone(&c.access);
    c.forget_last_insert();
    let before = c.conn.total_changes();
    let mut stmt = c.prepare(sql)?;
    values::bind(&mut stmt, params)?;
    let ddl = c.policy.was_ddl();
    if c.policy.grows_own() {
        c.host(|conn| schema::within_quota(conn, &ctx))?;
    }
    if !stmt.readonly() {
        c.take_turn()?;
    }
    if ddl {
        // DDL runs in a savepoint, undone if the new schema breaks the rules.
        c.host(|conn| conn.execute_batch("SAVEPOINT raisfast_ddl"))
            .map_err(sql_error)?;
    }
    let mut rows = stmt.raw_query();
    let stepped = loop {
        match rows.next() {
            Ok(Some(_)) => {}
            Ok(None) => break Ok(()),
            Err(e) => break Err(c.error(e)),
        }
    };
    drop(rows);
    drop(stmt);
    // `changes()` would report the connection's last DML, not this statement's.
    let result = ExecResult {
        rows_affected: c.conn.total_changes().saturating_sub(before),
        last_insert_id: c.conn.last_insert_rowid(),
    };
    let stepped = if ddl {
        // The first table a plugin creates claims its prefix for it; its
        // tables may refer only to its own tables.
        let checked = stepped
            .and_then(|_| c.host(|conn| schema::own_references_only(conn, &ctx)))
            .and_then(|_| {
                c.host(|conn| c.db.claim_prefix_on(conn, &ctx.table_prefix, &ctx.id))
                    .map_err(|e| SqlError::Denied(format!("database: {e}")))
            });
        let end = match checked {
            Ok(_) => "RELEASE raisfast_ddl",
            Err(_) => "ROLLBACK TO raisfast_ddl; RELEASE raisfast_ddl",
        };
        let _ = c.host(|conn| conn.execute_batch(end));
        checked
    } else {
        stepped
    };
    if let Err(e) = stepped {
        c.end_statement();
        return Err(e);
    }
    c.end_statement();
    Ok(result)
}

fn transaction(c: &mut CallConnection, op: TxOp) -> Result<(), SqlError> {
    let op = match op {
        TxOp::Begin => "BEGIN",
        TxOp::Commit => "COMMIT",
        TxOp::Rollback => "ROLLBACK",
    };
    let open = !c.conn.is_autocommit();
    match (op, open) {
        ("BEGIN", true) => {
            return Err(SqlError::Invalid(
                "database: a transaction is already open".into(),
            ));
        }
        ("COMMIT" | "ROLLBACK", false) => {
            return Err(SqlError::Invalid("database: no transaction is open".into()));
        }
        _ => {}
    }
    let r = if op == "BEGIN" {
        // Immediate: the transaction holds the write lock from its start, so
        // it never fails half-way on a snapshot another writer moved on from.
        c.take_turn()?;
        c.host(|conn| conn.execute_batch("BEGIN IMMEDIATE"))
    } else {
        c.host(|conn| conn.execute_batch(op))
    };
    if let Err(e) = r {
        if op == "COMMIT" {
            let _ = c.host(|conn| conn.execute_batch("ROLLBACK"));
        }
        c.end_statement();
        return Err(sql_error(e));
    }
    c.end_statement();
    Ok(())
}

impl PluginSql for SqliteStorage {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn plugin_session(
        self: Arc<Self>,
        access: Arc<PluginAccess>,
        deadline: Instant,
        preempted: Arc<AtomicBool>,
    ) -> Result<Box<dyn PluginSession>, SqlError> {
        let c = CallConnection::open(self, access, deadline, preempted)?;
        Ok(Box::new(c))
    }

    fn migrate_plugin(
        self: Arc<Self>,
        access: Arc<PluginAccess>,
        files: Vec<(String, String)>,
        deadline: Instant,
    ) -> Result<Vec<String>, MigrationError> {
        migrate(self, access, files, deadline)
    }
}

impl PluginSession for CallConnection {
    fn query(&mut self, sql: &str, params: &str) -> Result<String, SqlError> {
        query(self, sql, params)
    }

    fn execute(&mut self, sql: &str, params: &str) -> Result<ExecResult, SqlError> {
        execute(self, sql, params)
    }

    fn transaction(&mut self, op: TxOp) -> Result<(), SqlError> {
        transaction(self, op)
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

#[cfg(test)]
mod tests;
