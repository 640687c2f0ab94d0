//! `db`: SQL on the server's database, table by table.
//!
//! - **linker**: `raisfast:plugin/db`.
//! - **load**: table grants parsed ([`crate::manifest::grants::DbGrants`]); the plugin's
//!   table prefix claimed; its `migrations/*.sql` applied under the same rules.
//! - **per call**: a [`PluginSession`] of the storage backend, opened on first
//!   use, bounded by the call's deadline; an unfinished transaction is rolled
//!   back when the call ends.
//!
//! The backend enforces the grants (on SQLite, an authorizer on each prepared
//! statement, never by looking at the SQL text): see
//! [`crate::storage::sqlite::plugin_sql`].

pub use crate::storage::sqlite::plugin_sql::{MAX_RESULT_BYTES, MAX_ROWS};

use super::{CallState, HostError, PluginContext};
use super::{HasPluginHost, PluginHost, PluginHostView};
use crate::host_api::bindings::raisfast::plugin::db as wit;
use crate::host_api::bindings::raisfast::plugin::types::Error as WitError;
use crate::storage::{MigrationError, PluginSession, TxOp};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::Linker;

/// Adds `raisfast:plugin/db` to the linker.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasPluginHost>(linker, T::plugin_host)
}

/// The call's database session, opened on first use.
pub(crate) fn session<'a>(
    ctx: &PluginContext,
    call: &'a mut CallState,
) -> Result<&'a mut Box<dyn PluginSession>, HostError> {
    if call.db.is_none() {
        let db = Arc::clone(&ctx.services.db);
        call.db = Some(db.plugin_session(
            Arc::clone(&ctx.access),
            call.deadline,
            Arc::clone(&call.preempted),
        )?);
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
    Ok(session(ctx, call)?.query(sql, params)?)
}

/// Runs one statement and reports what it changed.
pub fn execute(
    ctx: &PluginContext,
    call: &mut CallState,
    sql: &str,
    params: &str,
) -> Result<wit::ExecResult, HostError> {
    let r = session(ctx, call)?.execute(sql, params)?;
    Ok(wit::ExecResult {
        rows_affected: r.rows_affected,
        last_insert_id: r.last_insert_id,
    })
}

fn transaction(ctx: &PluginContext, call: &mut CallState, op: TxOp) -> Result<(), HostError> {
    Ok(session(ctx, call)?.transaction(op)?)
}

/// Applies the plugin's `migrations/*.sql` (in name order) that have not run
/// yet, each in a transaction, under the plugin's own table rules. On a
/// backend with its own dialect directory (`migrations/postgres/`), that
/// directory's files are used instead when it has any.
pub fn migrate(ctx: &PluginContext, dir: &Path) -> Result<Vec<String>, MigrationError> {
    let dialect_dir = ctx.services.db.dialect().migrations_dir().map(Path::new);
    let has_sql = |d: &Path| {
        crate::plugin_dir::files_in(dir, d).is_ok_and(|f| f.iter().any(|n| n.ends_with(".sql")))
    };
    let mdir = match dialect_dir {
        Some(d) if has_sql(d) => d,
        _ => Path::new("migrations"),
    };
    let unreadable = |file: &str, e: &dyn std::fmt::Display| MigrationError {
        file: file.to_string(),
        error: crate::storage::SqlError::Invalid(format!("cannot read: {e}")),
    };
    // Regular files inside the plugin directory only: a link leads nowhere.
    let mut files = Vec::new();
    for name in crate::plugin_dir::files_in(dir, mdir).map_err(|e| unreadable("", &e))? {
        if name.ends_with(".sql") {
            let sql = crate::plugin_dir::read_to_string(dir, &mdir.join(&name))
                .map_err(|e| unreadable(&name, &e))?;
            files.push((name, sql));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    Arc::clone(&ctx.services.db).migrate_plugin(Arc::clone(&ctx.access), files, deadline)
}

impl wit::Host for PluginHost<'_> {
    fn query(&mut self, sql: String, params: String) -> Result<String, WitError> {
        self.run("db.query", |p, c| query(p, c, &sql, &params))
    }

    fn execute(&mut self, sql: String, params: String) -> Result<wit::ExecResult, WitError> {
        self.run("db.execute", |p, c| execute(p, c, &sql, &params))
    }

    fn begin(&mut self) -> Result<(), WitError> {
        self.run("db.begin", |p, c| transaction(p, c, TxOp::Begin))
    }

    fn commit(&mut self) -> Result<(), WitError> {
        self.run("db.commit", |p, c| transaction(p, c, TxOp::Commit))
    }

    fn rollback(&mut self) -> Result<(), WitError> {
        self.run("db.rollback", |p, c| transaction(p, c, TxOp::Rollback))
    }
}
