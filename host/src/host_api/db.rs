//! `db`: SQL on the server's database, table by table.
//!
//! - **linker**: `raisfast:plugin/db`.
//! - **load**: table grants parsed ([`super::grants::DbGrants`]); the plugin's
//!   table prefix claimed; its `migrations/*.sql` applied under the same rules.
//! - **per call**: one pooled connection, checked out on first use, with an
//!   authorizer for this plugin and a progress handler for the call's deadline;
//!   an unfinished transaction is rolled back when the call ends.
//!
//! Grants are enforced by SQLite's authorizer ([`policy`]) on each prepared
//! statement, never by looking at the SQL text.

mod policy;
mod values;

pub use policy::TablePolicy;

use super::{CallState, HostError, PluginContext};
use crate::runtime::HostState;
use crate::runtime::bindings::raisfast::plugin::db as wit;
use crate::runtime::bindings::raisfast::plugin::types::Error as WitError;
use crate::store::PooledConnection;
use rusqlite::hooks::{AuthContext, Authorization};
use rusqlite::{Connection, ErrorCode};
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::{HasSelf, Linker};

/// Most rows one query returns.
pub const MAX_ROWS: usize = 10_000;
/// Most bytes of JSON one query returns.
pub const MAX_RESULT_BYTES: usize = 16 * 1024 * 1024;

/// Adds `raisfast:plugin/db` to the linker.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<HostState, HasSelf<HostState>>(linker, |s| s)
}

/// The connection a call uses, with the plugin's authorizer installed.
pub struct CallConnection {
    conn: PooledConnection,
    policy: Arc<TablePolicy>,
}

impl CallConnection {
    /// Checks a connection out for a call of `ctx` that must end at `deadline`.
    pub fn open(ctx: &PluginContext, deadline: Instant) -> Result<CallConnection, HostError> {
        let conn = ctx
            .services
            .db
            .connection()
            .map_err(|e| HostError::Failed(e.to_string()))?;
        let policy = Arc::new(TablePolicy::new(ctx));
        // SAFETY: the handle is this connection's, used on this thread only.
        unsafe { rusqlite::ffi::sqlite3_set_last_insert_rowid(conn.handle(), 0) };
        let p = Arc::clone(&policy);
        conn.authorizer(Some(move |a: AuthContext<'_>| p.authorize(a)))
            .and_then(|_| conn.progress_handler(1000, Some(move || Instant::now() >= deadline)))
            .and_then(|_| conn.busy_timeout(deadline.saturating_duration_since(Instant::now())))
            .map_err(|e| HostError::Failed(e.to_string()))?;
        Ok(CallConnection { conn, policy })
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
    fn prepare(&self, sql: &str) -> Result<rusqlite::Statement<'_>, HostError> {
        self.policy.begin_statement(&self.conn).map_err(sql_error)?;
        let stmt = self.conn.prepare(sql).map_err(|e| self.error(e))?;
        self.policy
            .finish_statement()
            .map_err(|m| HostError::Denied(format!("database: {m}")))?;
        Ok(stmt)
    }

    /// Runs every statement of `sql` in order under the plugin's rules.
    fn run_batch(&self, sql: &str) -> Result<(), HostError> {
        use rusqlite::fallible_iterator::FallibleIterator;
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        loop {
            self.policy.begin_statement(&self.conn).map_err(sql_error)?;
            let next = batch.next().map_err(|e| self.error(e))?;
            let Some(mut stmt) = next else { return Ok(()) };
            self.policy
                .finish_statement()
                .map_err(|m| HostError::Denied(format!("database: {m}")))?;
            let mut rows = stmt.raw_query();
            while rows.next().map_err(|e| self.error(e))?.is_some() {}
        }
    }

    /// Converts a SQLite error, preferring the authorizer's reason for a denial.
    fn error(&self, e: rusqlite::Error) -> HostError {
        if let Some(reason) = self.policy.take_denial() {
            return HostError::Denied(format!("database: {reason}"));
        }
        sql_error(e)
    }
}

impl Drop for CallConnection {
    fn drop(&mut self) {
        // The pool's own rollback must not pass through the plugin's authorizer.
        let _ = self
            .conn
            .authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
        let _ = self.conn.progress_handler(0, None::<fn() -> bool>);
        let _ = self.conn.busy_timeout(std::time::Duration::from_secs(5));
    }
}

/// Maps a SQLite error to what the plugin sees.
pub fn sql_error(e: rusqlite::Error) -> HostError {
    match &e {
        rusqlite::Error::MultipleStatement => HostError::Invalid(
            "one SQL statement per call; run each statement with its own call".into(),
        ),
        rusqlite::Error::SqliteFailure(f, msg) => match f.code {
            ErrorCode::AuthorizationForStatementDenied => {
                HostError::Denied(format!("database: {}", msg.as_deref().unwrap_or("not authorized")))
            }
            ErrorCode::OperationInterrupted => HostError::Limit(
                "database: the call's deadline passed during the query (raise `timeout_ms` in [permissions])".into(),
            ),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => HostError::Limit(
                "database: busy; another writer held the lock until the call's deadline".into(),
            ),
            ErrorCode::Unknown | ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch => {
                HostError::Invalid(format!("database: {}", msg.as_deref().unwrap_or("error")))
            }
            _ => HostError::Failed(format!("database: {e}")),
        },
        rusqlite::Error::InvalidParameterCount(..) | rusqlite::Error::InvalidParameterName(_) => {
            HostError::Invalid(format!("database: {e}"))
        }
        rusqlite::Error::SqlInputError { msg, offset, .. } => {
            HostError::Invalid(format!("database: {msg} (at offset {offset})"))
        }
        _ => HostError::Failed(format!("database: {e}")),
    }
}

pub(crate) fn connection<'a>(
    ctx: &PluginContext,
    call: &'a mut CallState,
) -> Result<&'a mut CallConnection, HostError> {
    if call.db.is_none() {
        call.db = Some(CallConnection::open(ctx, call.deadline)?);
    }
    Ok(call.db.as_mut().expect("just set"))
}

/// Runs one statement and returns its rows as a JSON array.
pub fn query(
    ctx: &PluginContext,
    call: &mut CallState,
    sql: &str,
    params: &str,
) -> Result<String, HostError> {
    let c = connection(ctx, call)?;
    let mut stmt = c.prepare(sql)?;
    values::bind(&mut stmt, params)?;
    values::rows_to_json(&mut stmt).map_err(|e| match e {
        values::RowsError::Sql(e) => c.error(e),
        values::RowsError::Host(h) => h,
    })
}

/// Runs one statement and reports what it changed.
pub fn execute(
    ctx: &PluginContext,
    call: &mut CallState,
    sql: &str,
    params: &str,
) -> Result<wit::ExecResult, HostError> {
    let c = connection(ctx, call)?;
    c.forget_last_insert();
    let before = c.conn.total_changes();
    let mut stmt = c.prepare(sql)?;
    values::bind(&mut stmt, params)?;
    let ddl = c.policy.was_ddl();
    let mut rows = stmt.raw_query();
    while rows.next().map_err(|e| c.error(e))?.is_some() {}
    drop(rows);
    drop(stmt);
    // `changes()` would report the connection's last DML, not this statement's.
    let result = wit::ExecResult {
        rows_affected: c.conn.total_changes().saturating_sub(before),
        last_insert_id: c.conn.last_insert_rowid(),
    };
    if ddl {
        // The first table a plugin creates claims its prefix for it.
        c.host(|conn| {
            ctx.services
                .db
                .claim_prefix_on(conn, &ctx.table_prefix, &ctx.id)
        })
        .map_err(|e| HostError::Denied(format!("database: {e}")))?;
    }
    Ok(result)
}

fn transaction(ctx: &PluginContext, call: &mut CallState, op: &str) -> Result<(), HostError> {
    let c = connection(ctx, call)?;
    let open = !c.conn.is_autocommit();
    match (op, open) {
        ("BEGIN", true) => {
            return Err(HostError::Invalid(
                "database: a transaction is already open".into(),
            ));
        }
        ("COMMIT" | "ROLLBACK", false) => {
            return Err(HostError::Invalid(
                "database: no transaction is open".into(),
            ));
        }
        _ => {}
    }
    let r = c.host(|conn| conn.execute_batch(op));
    if let Err(e) = r {
        if op == "COMMIT" {
            let _ = c.host(|conn| conn.execute_batch("ROLLBACK"));
        }
        return Err(sql_error(e));
    }
    Ok(())
}

impl wit::Host for HostState {
    fn query(&mut self, sql: String, params: String) -> Result<String, WitError> {
        self.run("db.query", |p, c| query(p, c, &sql, &params))
    }

    fn execute(&mut self, sql: String, params: String) -> Result<wit::ExecResult, WitError> {
        self.run("db.execute", |p, c| execute(p, c, &sql, &params))
    }

    fn begin(&mut self) -> Result<(), WitError> {
        self.run("db.begin", |p, c| transaction(p, c, "BEGIN"))
    }

    fn commit(&mut self) -> Result<(), WitError> {
        self.run("db.commit", |p, c| transaction(p, c, "COMMIT"))
    }

    fn rollback(&mut self) -> Result<(), WitError> {
        self.run("db.rollback", |p, c| transaction(p, c, "ROLLBACK"))
    }
}

/// Applies the plugin's `migrations/*.sql` (in name order) that have not run
/// yet, each in a transaction, under the plugin's own table rules.
pub fn migrate(ctx: &PluginContext, dir: &std::path::Path) -> Result<Vec<String>, String> {
    let mdir = dir.join("migrations");
    let Ok(entries) = std::fs::read_dir(&mdir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    let c = CallConnection::open(ctx, deadline).map_err(|e| e.to_string())?;
    let mut applied = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let done: bool = c
            .host(|conn| {
                conn.query_row(
                    "SELECT EXISTS(SELECT 1 FROM raisfast_plugin_migrations WHERE plugin_id = ?1 AND name = ?2)",
                    [&ctx.id, &name],
                    |r| r.get(0),
                )
            })
            .map_err(|e| format!("migrations/{name}: {e}"))?;
        if done {
            continue;
        }
        let sql = std::fs::read_to_string(&file).map_err(|e| format!("migrations/{name}: {e}"))?;
        c.host(|conn| conn.execute_batch("BEGIN"))
            .map_err(|e| format!("migrations/{name}: {e}"))?;
        let run = c.run_batch(&sql);
        let record = run.and_then(|_| {
            c.host(|conn| {
                conn.execute(
                    "INSERT INTO raisfast_plugin_migrations (plugin_id, name, applied_at) VALUES (?1, ?2, ?3)",
                    rusqlite::params![ctx.id, name, crate::store::now_ms()],
                )?;
                conn.execute_batch("COMMIT")
            })
            .map_err(sql_error)
        });
        if let Err(e) = record {
            let _ = c.host(|conn| conn.execute_batch("ROLLBACK"));
            return Err(format!("migrations/{name}: {e}"));
        }
        applied.push(name);
    }
    Ok(applied)
}
