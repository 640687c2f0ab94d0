//! The authorizer: SQLite asks it about every table, column, function and
//! schema change a statement touches while the statement is prepared, so no
//! spelling of the SQL (joins, subqueries, CTEs, UNION, `INSERT ... SELECT`,
//! quoted names, views) can reach a table the plugin was not granted.

use super::super::SqliteStorage;
use crate::manifest::grants::{Access, DbGrants, is_protected};
use crate::storage::PluginAccess;
use crate::storage::PluginStore;
use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// PRAGMAs a plugin may run, each on a table it can read.
const TABLE_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "index_list",
    "foreign_key_list",
];
/// SQL functions refused to plugins.
const REFUSED_FUNCTIONS: &[&str] = &["load_extension", "fts3_tokenizer", "readfile", "writefile"];

/// Whose rules a pooled connection's authorizer applies: those of the plugin
/// call the connection serves, or none while the host uses it (allowed). The
/// authorizer is installed once per connection and reads this slot, so a call
/// never sets one (which would expire every prepared statement).
#[derive(Default)]
pub struct AuthSlot(Mutex<Option<Arc<TablePolicy>>>);

impl AuthSlot {
    /// Applies `policy` to the statements prepared from now on (`None`: the host's).
    pub fn set(&self, policy: Option<Arc<TablePolicy>>) {
        *self.0.lock().expect("auth slot lock") = policy;
    }

    /// The authorizer callback: the current call's rules, if any.
    pub fn authorize(&self, ctx: AuthContext<'_>) -> Authorization {
        let policy = self.0.lock().expect("auth slot lock").clone();
        match policy {
            Some(p) => p.authorize(ctx),
            None => Authorization::Allow,
        }
    }
}

/// One plugin's table rules, consulted by the authorizer.
pub struct TablePolicy {
    plugin_id: String,
    prefix: String,
    grants: DbGrants,
    db: Arc<SqliteStorage>,
    host_mode: AtomicBool,
    denial: Mutex<Option<String>>,
    audit: Mutex<Audit>,
    tables: SchemaLookup,
}

/// Asks a connection's own in-memory schema whether a table exists: the
/// schema the statement being prepared is compiled against, so the answer is
/// never stale (another connection's DDL, or a rolled-back one, cannot make
/// it wrong), and costs no SQL. SQLite reports a table used without columns
/// (`count(*)`) and a CTE alike; this tells them apart.
#[derive(Clone, Copy)]
pub struct SchemaLookup(*mut rusqlite::ffi::sqlite3);

// SAFETY: the handle is only used from the authorizer, which SQLite calls on
// the thread that is preparing a statement on this very connection.
unsafe impl Send for SchemaLookup {}
// SAFETY: as above; the lookup reads the connection's schema, never shares it.
unsafe impl Sync for SchemaLookup {}

impl SchemaLookup {
    /// A lookup on `conn`.
    ///
    /// # Safety
    /// Use it only inside `conn`'s authorizer, while `conn` is open.
    pub unsafe fn new(conn: &Connection) -> SchemaLookup {
        // SAFETY: the caller keeps the lookup within the connection's life.
        SchemaLookup(unsafe { conn.handle() })
    }

    /// Whether `table` is a table of any attached schema (a name SQLite
    /// cannot take, with a NUL in it, counts as one: it is then checked).
    fn is_table(&self, table: &str) -> bool {
        let Ok(name) = std::ffi::CString::new(table) else {
            return true;
        };
        // SAFETY: the handle is live (see `new`); with no column name SQLite
        // only looks the table up in the schema it has loaded for the
        // statement being prepared, and writes nothing through the nulls.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_table_column_metadata(
                self.0,
                std::ptr::null(),
                name.as_ptr(),
                std::ptr::null(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        rc == rusqlite::ffi::SQLITE_OK
    }
}

/// What the statement being prepared did, for rules that span several
/// authorizer calls: SQLite touches its schema tables while preparing DDL, and
/// only DDL on the plugin's own tables may do so.
#[derive(Debug, Default, Clone, Copy)]
struct Audit {
    /// A SELECT is part of the statement.
    select: bool,
    /// DDL on one of the plugin's own tables was allowed.
    ddl: bool,
    /// A schema table (`sqlite_master`, `sqlite_sequence`) was touched.
    schema: bool,
    /// Rows are inserted or updated in, or an index created on, the plugin's
    /// own tables: the statement may make them larger.
    grows: bool,
}

impl TablePolicy {
    /// The rules of the plugin `ctx` on `db`, for statements prepared on the
    /// connection `tables` looks into.
    pub fn new(ctx: &PluginAccess, db: Arc<SqliteStorage>, tables: SchemaLookup) -> TablePolicy {
        TablePolicy {
            plugin_id: ctx.id.clone(),
            prefix: ctx.table_prefix.clone(),
            grants: ctx.grants.clone(),
            db,
            host_mode: AtomicBool::new(false),
            denial: Mutex::new(None),
            audit: Mutex::new(Audit::default()),
            tables,
        }
    }

    /// Call before preparing a statement.
    pub fn begin_statement(&self) {
        self.take_denial();
        *self.audit.lock().expect("audit lock") = Audit::default();
    }

    /// Whether the statement just prepared may make the plugin's own tables larger.
    pub fn grows_own(&self) -> bool {
        self.audit.lock().expect("audit lock").grows
    }

    /// Whether the statement just prepared is DDL on the plugin's own tables.
    pub fn was_ddl(&self) -> bool {
        self.audit.lock().expect("audit lock").ddl
    }

    /// Call after a statement was prepared: refuses statements that touched
    /// SQLite's schema tables without being DDL on the plugin's own tables.
    pub fn finish_statement(&self) -> Result<(), String> {
        let a = *self.audit.lock().expect("audit lock");
        if a.schema && !a.ddl {
            Err("SQLite's schema tables (sqlite_master, sqlite_sequence) are not available to plugins".into())
        } else {
            Ok(())
        }
    }

    /// While on, the host's own statements pass unchecked.
    pub fn set_host_mode(&self, on: bool) {
        self.host_mode.store(on, Ordering::SeqCst);
    }

    /// The reason of the last refusal, cleared.
    pub fn take_denial(&self) -> Option<String> {
        self.denial.lock().expect("denial lock").take()
    }

    /// The authorizer callback.
    pub fn authorize(&self, ctx: AuthContext<'_>) -> Authorization {
        if self.host_mode.load(Ordering::SeqCst) {
            return Authorization::Allow;
        }
        match self.check(&ctx) {
            Ok(()) => Authorization::Allow,
            Err(reason) => {
                let mut d = self.denial.lock().expect("denial lock");
                if d.is_none() {
                    *d = Some(reason);
                }
                Authorization::Deny
            }
        }
    }

    /// Whether the action is allowed, and if not, why.
    pub fn check(&self, ctx: &AuthContext<'_>) -> Result<(), String> {
        if let Some(db) = ctx.database_name
            && db != "main"
        {
            return Err(format!(
                "only the main database is available to plugins, not `{db}` (temporary objects and attached databases are refused)"
            ));
        }
        use AuthAction as A;
        let mut audit = self.audit.lock().expect("audit lock");
        match ctx.action {
            A::Select => {
                audit.select = true;
                Ok(())
            }
            A::Recursive => Ok(()),
            // No schema: a table used without columns (`count(*)`), or a CTE.
            A::Read { table_name, .. } if ctx.database_name.is_none() => {
                if is_protected(table_name) || self.tables.is_table(table_name) {
                    self.table(table_name, Access::Read)
                } else {
                    // A CTE or subquery by name; what it reads is checked on its own.
                    Ok(())
                }
            }
            A::Read { table_name, .. }
            | A::Insert { table_name }
            | A::Delete { table_name }
            | A::Update { table_name, .. }
            | A::CreateTable { table_name }
                if is_schema_table(table_name) =>
            {
                // SQLite reads and writes its schema while preparing DDL; a plain
                // query of the schema (or one mixed with a SELECT) is refused.
                audit.schema = true;
                if audit.select {
                    Err("SQLite's schema tables (sqlite_master, sqlite_sequence) are not available to plugins; CREATE TABLE ... AS SELECT neither (create the table, then INSERT ... SELECT)".into())
                } else {
                    Ok(())
                }
            }
            A::Read { table_name, .. } => self.table(table_name, Access::Read),
            A::Insert { table_name } | A::Update { table_name, .. } => {
                audit.grows |= table_name.to_ascii_lowercase().starts_with(&self.prefix);
                self.table(table_name, Access::Write)
            }
            A::Delete { table_name } => self.table(table_name, Access::Write),
            A::CreateTable { table_name }
            | A::DropTable { table_name }
            | A::AlterTable { table_name, .. }
            | A::CreateIndex { table_name, .. }
            | A::DropIndex { table_name, .. } => {
                audit.grows |= matches!(ctx.action, A::CreateIndex { .. });
                let r = self.own(table_name);
                audit.ddl |= r.is_ok();
                r
            }
            A::Reindex { .. } if audit.ddl => Ok(()),
            A::CreateTrigger { .. } | A::DropTrigger { .. } => {
                Err("triggers are not available to plugins".into())
            }
            A::CreateView { .. } | A::DropView { .. } => {
                Err("views are not available to plugins".into())
            }
            A::CreateTempIndex { .. }
            | A::CreateTempTable { .. }
            | A::CreateTempTrigger { .. }
            | A::CreateTempView { .. }
            | A::DropTempIndex { .. }
            | A::DropTempTable { .. }
            | A::DropTempTrigger { .. }
            | A::DropTempView { .. } => {
                Err("temporary tables, indexes, views and triggers are not available to plugins".into())
            }
            A::Pragma {
                pragma_name,
                pragma_value,
            } => {
                let name = pragma_name.to_ascii_lowercase();
                match pragma_value {
                    Some(table) if TABLE_PRAGMAS.contains(&name.as_str()) => {
                        self.table(table, Access::Read)
                    }
                    _ => Err(format!("PRAGMA {pragma_name} is not available to plugins")),
                }
            }
            A::Function { function_name } => {
                if REFUSED_FUNCTIONS.contains(&function_name.to_ascii_lowercase().as_str()) {
                    Err(format!("the SQL function {function_name}() is not available to plugins"))
                } else {
                    Ok(())
                }
            }
            A::Transaction { .. } | A::Savepoint { .. } => Err(
                "SQL transaction statements are not available to plugins; use db.begin, db.commit and db.rollback"
                    .into(),
            ),
            A::Attach { .. } | A::Detach { .. } => {
                Err("ATTACH and DETACH are not available to plugins".into())
            }
            A::CreateVtable { .. } | A::DropVtable { .. } => {
                Err("virtual tables are not available to plugins".into())
            }
            A::Analyze { .. } | A::Reindex { .. } => {
                Err("ANALYZE and REINDEX are not available to plugins".into())
            }
            _ => Err("this SQL operation is not available to plugins".into()),
        }
    }

    fn table(&self, table: &str, access: Access) -> Result<(), String> {
        let t = table.to_ascii_lowercase();
        let verb = match access {
            Access::Read => "read",
            Access::Write => "write to",
        };
        if is_protected(&t) {
            return Err(format!(
                "table `{t}` is a core table; plugins cannot {verb} it, whatever their grants"
            ));
        }
        let owner = self.db.table_owner(&t);
        let foreign = owner.as_ref().is_some_and(|o| *o != self.plugin_id);
        if (t.starts_with(&self.prefix) && !foreign) || self.grants.names(&t, access) {
            return Ok(());
        }
        let grant = format!("\"{}:{t}\"", access.as_str());
        if let Some(owner) = owner.filter(|_| foreign) {
            return Err(format!(
                "table `{t}` belongs to plugin {owner}; `*` does not reach it: add {grant} to [permissions] database in manifest.toml"
            ));
        }
        if self.grants.wildcard(access) {
            return Ok(());
        }
        Err(format!(
            "plugin {} may not {verb} table `{t}`: add {grant} to [permissions] database in manifest.toml",
            self.plugin_id
        ))
    }

    fn own(&self, table: &str) -> Result<(), String> {
        let t = table.to_ascii_lowercase();
        if t.starts_with(&self.prefix) && !is_protected(&t) {
            match self.db.table_owner(&t) {
                Some(owner) if owner != self.plugin_id => Err(format!(
                    "plugin {} may create, alter and drop only its own tables: the prefix `{}` already belongs to plugin {owner}",
                    self.plugin_id, self.prefix
                )),
                _ => Ok(()),
            }
        } else {
            Err(format!(
                "plugin {} may create, alter and drop only its own tables, whose names start with `{}` (not `{t}`)",
                self.plugin_id, self.prefix
            ))
        }
    }
}

fn is_schema_table(table: &str) -> bool {
    matches!(
        table.to_ascii_lowercase().as_str(),
        "sqlite_master" | "sqlite_schema" | "sqlite_sequence"
    )
}
