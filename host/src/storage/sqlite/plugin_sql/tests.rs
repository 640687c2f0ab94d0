//! The call's rules on a pooled connection, and what a call leaves behind.

use super::*;
use crate::storage::KvQuota;
use rusqlite::StatementStatus;
use std::sync::Mutex;
use std::time::Duration;

fn access() -> Arc<PluginAccess> {
    Arc::new(PluginAccess {
        id: "test.p".into(),
        table_prefix: "p_".into(),
        grants: Default::default(),
        max_table_bytes: 1 << 20,
        kv: KvQuota {
            max_keys: 10,
            max_bytes: 1 << 10,
        },
        table_bytes: Mutex::new(None),
        kv_usage: Mutex::new(None),
    })
}

/// Counts the host's query on `conn`, returning how often SQLite had to
/// prepare the cached statement again.
fn host_count(conn: &Connection) -> i32 {
    let mut stmt = conn
        .prepare_cached("SELECT count(*) FROM raisfast_kv")
        .unwrap();
    let n: i64 = stmt.query_row([], |r| r.get(0)).unwrap();
    assert_eq!(n, 0);
    stmt.get_status(StatementStatus::RePrepare)
}

#[test]
fn a_plugin_call_applies_its_rules_and_leaves_the_hosts_statements_prepared() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(&dir.path().join("t.db")).unwrap();
    let conn = db.connection().unwrap();
    assert_eq!(host_count(&conn), 0);
    drop(conn);

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut call =
        CallConnection::open(Arc::clone(&db), access(), deadline, Arc::default()).unwrap();
    assert_eq!(
        query(&mut call, "SELECT 1 AS one", "[]").unwrap(),
        r#"[{"one":1}]"#
    );
    let denied = query(&mut call, "SELECT count(*) FROM raisfast_kv", "[]");
    assert!(
        matches!(&denied, Err(SqlError::Denied(m)) if m.contains("core table")),
        "{denied:?}"
    );
    drop(call);

    // The same pooled connection: the host's rules again, and its cached
    // statement was not expired by the call.
    let conn = db.connection().unwrap();
    assert_eq!(host_count(&conn), 0);
    // What each call used to do, setting an authorizer, expires it.
    conn.authorizer(Some(|_: rusqlite::hooks::AuthContext<'_>| {
        rusqlite::hooks::Authorization::Allow
    }))
    .unwrap();
    assert_eq!(host_count(&conn), 1);
}
