//! Plugins' SQL and KV on PostgreSQL, isolated by PostgreSQL's own roles: what
//! a plugin may do, and every attack of the issue refused with a clear error.

use crate::pg_support::PgCluster;
use raisfast::manifest::Manifest;
use raisfast::manifest::grants::Grants;
use raisfast::storage::{
    KvQuota, PgStorage, PluginAccess, PluginSession, PluginSql, SqlError, TxOp,
};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn access(id: &str, database: &[&str]) -> Arc<PluginAccess> {
    let toml = format!(
        "[plugin]\nid = \"{id}\"\nname = \"t\"\nversion = \"0.1.0\"\nruntime = \"js\"\nentry = \"main.js\"\n\
         [permissions]\ndatabase = {database:?}\n"
    );
    let (m, _) = Manifest::parse(Path::new("manifest.toml"), &toml, None).unwrap();
    let grants = Grants::from_manifest(&m);
    Arc::new(PluginAccess {
        id: id.into(),
        table_prefix: raisfast::manifest::grants::table_prefix(id),
        grants: grants.db,
        max_table_bytes: 64 * 1024 * 1024,
        kv: KvQuota {
            max_keys: 3,
            max_bytes: 1024,
        },
        table_bytes: Default::default(),
        kv_usage: Default::default(),
    })
}

fn session(db: &Arc<PgStorage>, a: &Arc<PluginAccess>, secs: u64) -> Box<dyn PluginSession> {
    Arc::clone(db)
        .plugin_session(
            Arc::clone(a),
            Instant::now() + Duration::from_secs(secs),
            Arc::default(),
        )
        .unwrap()
}

fn setup() -> (PgCluster, Arc<PgStorage>) {
    let pg = PgCluster::start();
    let db = Arc::new(PgStorage::open(&pg.database()).unwrap());
    // A core table plugins may be granted, and a row in it.
    let mut c = db.connection().unwrap();
    c.batch_execute(
        "INSERT INTO users (id, username, password_hash, role, created_at) VALUES ('u1', 'root', 'h', 'admin', 1);
         INSERT INTO content (id, type, title, slug, created_at, updated_at) VALUES ('c1', 'post', 'Hello', 'hello', 1, 1);
         CREATE TABLE products (id SERIAL PRIMARY KEY, name TEXT);",
    )
    .unwrap();
    (pg, db)
}

#[test]
fn a_plugin_owns_its_schema_and_reads_what_it_is_granted() {
    let (_pg, db) = setup();
    let crm = access("com.example.crm", &["read:content", "products"]);
    let mut s = session(&db, &crm, 10);
    // An operator's table with a serial key, granted for writing.
    let added = s
        .query(
            "INSERT INTO products (name) VALUES (?) RETURNING id",
            r#"["lamp"]"#,
        )
        .unwrap();
    assert_eq!(added, r#"[{"id":1}]"#);
    s.execute(
        "CREATE TABLE crm_deals (id SERIAL PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(10,2), won BOOLEAN)",
        "",
    )
    .unwrap();
    let r = s
        .execute(
            "INSERT INTO crm_deals (name, amount, won) VALUES (?, ?, ?)",
            &json!(["Acme", 12.5, true]).to_string(),
        )
        .unwrap();
    assert_eq!(r.rows_affected, 1);
    s.execute(
        "INSERT INTO crm_deals (name, won) VALUES (:n, :w)",
        &json!({"n": "Globex", "w": false}).to_string(),
    )
    .unwrap();
    let rows: serde_json::Value = serde_json::from_str(
        &s.query("SELECT name, amount, won FROM crm_deals ORDER BY id", "")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        rows,
        json!([{"name": "Acme", "amount": 12.5, "won": true}, {"name": "Globex", "amount": null, "won": false}])
    );
    let returning = s
        .query(
            "INSERT INTO crm_deals (name) VALUES (?) RETURNING id",
            &json!(["Initech"]).to_string(),
        )
        .unwrap();
    assert_eq!(returning, json!([{"id": 3}]).to_string());
    // Granted: reading content. Not granted: writing it.
    assert!(
        s.query("SELECT title FROM content", "")
            .unwrap()
            .contains("Hello")
    );
    let e = s.execute("DELETE FROM content", "").unwrap_err();
    assert!(matches!(e, SqlError::Denied(_)), "{e}");
}

#[test]
fn attacks_on_postgresql_are_refused_by_postgresql() {
    let (_pg, db) = setup();
    let crm = access("com.example.crm", &["read:content"]);
    let shop = access("com.example.shop", &[]);
    let mut other = session(&db, &shop, 10);
    other
        .execute("CREATE TABLE shop_secrets (s TEXT)", "")
        .unwrap();
    other
        .execute("INSERT INTO shop_secrets VALUES ('key')", "")
        .unwrap();
    drop(other);
    let shop_role = db.role_of("com.example.shop");
    let mut s = session(&db, &crm, 10);
    let denied = |s: &mut Box<dyn PluginSession>, sql: &str| {
        let e = s
            .query(sql, "")
            .err()
            .unwrap_or_else(|| panic!("`{sql}` was allowed"));
        assert!(
            matches!(e, SqlError::Denied(_) | SqlError::Invalid(_)),
            "`{sql}`: {e}"
        );
        e
    };
    // Leaving its role.
    denied(&mut s, &format!("SET ROLE {shop_role}"));
    denied(&mut s, "SET ROLE raisfast");
    denied(&mut s, "SELECT set_config('role', 'raisfast', false)");
    denied(&mut s, "SET SESSION AUTHORIZATION raisfast");
    s.query("RESET ROLE", "").unwrap();
    // Still itself: the core's protected tables and other plugins stay shut.
    for sql in [
        "SELECT * FROM users",
        "SELECT * FROM sessions",
        "SELECT * FROM raisfast_kv",
        "SELECT * FROM raisfast_secrets",
        &format!("SELECT * FROM {shop_role}.shop_secrets"),
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT lo_import('/etc/passwd')",
        "COPY (SELECT 1) TO PROGRAM 'id'",
        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        &format!("CREATE FUNCTION {shop_role}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
        "CREATE TABLE public.t (x int)",
        "CREATE TEMP TABLE t (x int)",
        "SELECT raisfast_plugin_migrations FROM raisfast_plugin_migrations",
    ] {
        denied(&mut s, sql);
    }
    // The server's functions see only the caller's rows.
    assert_eq!(
        s.query("SELECT raisfast_kv_get('x', 0) AS v", "").unwrap(),
        json!([{"v": null}]).to_string()
    );
    drop(s);
    // A statement past the call's deadline is cancelled.
    let mut s = session(&db, &crm, 1);
    let started = Instant::now();
    let e = s.query("SELECT pg_sleep(30)", "").unwrap_err();
    assert!(matches!(e, SqlError::Limit(_)), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(s);
    // A huge result stops at the cap.
    let mut s = session(&db, &crm, 10);
    let e = s
        .query("SELECT generate_series(1, 100000000) AS n", "")
        .unwrap_err();
    assert!(matches!(e, SqlError::Limit(_)), "{e}");
}

#[test]
fn transactions_end_with_the_call_and_kv_joins_them() {
    let (_pg, db) = setup();
    let crm = access("com.example.crm", &[]);
    let mut s = session(&db, &crm, 10);
    s.execute("CREATE TABLE crm_t (x INT)", "").unwrap();
    s.transaction(TxOp::Begin).unwrap();
    s.execute("INSERT INTO crm_t VALUES (1)", "").unwrap();
    s.kv_set("k", "1", None).unwrap();
    drop(s); // the call ends with its transaction open
    let mut s = session(&db, &crm, 10);
    assert_eq!(
        s.query("SELECT count(*) AS n FROM crm_t", "").unwrap(),
        r#"[{"n":0}]"#
    );
    assert_eq!(s.kv_get("k").unwrap(), None, "rolled back with the call");
    // KV: set, get, list, delete, and the quota of 3 keys.
    s.kv_set("a", "\"A\"", None).unwrap();
    s.kv_set("b", "2", None).unwrap();
    s.kv_set("c", "3", Some(raisfast::storage::now_ms() - 1))
        .unwrap();
    assert_eq!(s.kv_get("a").unwrap().as_deref(), Some("\"A\""));
    assert_eq!(s.kv_get("c").unwrap(), None, "expired");
    assert_eq!(s.kv_list("", 10).unwrap(), vec!["a", "b"]);
    // The expired key makes room when counted exactly.
    s.kv_set("d", "4", None).unwrap();
    let e = s.kv_set("e", "5", None).unwrap_err();
    assert!(matches!(e, SqlError::Limit(_)), "{e}");
    assert!(s.kv_delete("a").unwrap());
    assert!(!s.kv_delete("a").unwrap());
    // Another plugin sees none of it.
    let mut other = session(&db, &access("com.example.shop", &[]), 10);
    assert_eq!(other.kv_list("", 10).unwrap(), Vec::<String>::new());
}

#[test]
fn migrations_run_once_as_the_plugin_and_a_failing_one_leaves_nothing() {
    let (_pg, db) = setup();
    let crm = access("com.example.crm", &[]);
    let deadline = || Instant::now() + Duration::from_secs(30);
    let files = vec![(
        "001.sql".to_string(),
        "CREATE TABLE crm_a (x INT); INSERT INTO crm_a VALUES (1);".to_string(),
    )];
    let applied = Arc::clone(&db)
        .migrate_plugin(Arc::clone(&crm), files.clone(), deadline())
        .unwrap();
    assert_eq!(applied, ["001.sql"]);
    let again = Arc::clone(&db)
        .migrate_plugin(Arc::clone(&crm), files, deadline())
        .unwrap();
    assert!(again.is_empty());
    let bad = vec![(
        "002.sql".to_string(),
        "CREATE TABLE crm_b (x INT); SELECT * FROM users;".to_string(),
    )];
    let e = Arc::clone(&db)
        .migrate_plugin(Arc::clone(&crm), bad, deadline())
        .unwrap_err();
    assert_eq!(e.file, "002.sql");
    assert!(matches!(e.error, SqlError::Denied(_)), "{e}");
    let mut s = session(&db, &crm, 10);
    assert!(s.query("SELECT * FROM crm_b", "").is_err(), "rolled back");
    assert_eq!(s.query("SELECT x FROM crm_a", "").unwrap(), r#"[{"x":1}]"#);
}

#[test]
fn two_sites_on_one_cluster_never_share_a_plugins_role() {
    // Roles are cluster-wide: a plugin id installed on two sites (two
    // databases of one cluster) must get two roles, or the second site's
    // provisioning would take over (and re-password) the first one's.
    let pg = PgCluster::start();
    let a = Arc::new(PgStorage::open(&pg.database()).unwrap());
    let b = Arc::new(PgStorage::open(&pg.database()).unwrap());
    assert_ne!(a.role_of("com.example.crm"), b.role_of("com.example.crm"));
    let crm = access("com.example.crm", &[]);
    let mut on_a = session(&a, &crm, 10);
    on_a.execute("CREATE TABLE crm_notes (n TEXT)", "").unwrap();
    on_a.execute("INSERT INTO crm_notes VALUES ('a')", "")
        .unwrap();
    let mut on_b = session(&b, &crm, 10);
    on_b.execute("CREATE TABLE crm_notes (n TEXT)", "").unwrap();
    // Site A opens a new connection for its plugin after B provisioned its own.
    let mut again = session(&a, &crm, 10);
    assert_eq!(
        again.query("SELECT n FROM crm_notes", "").unwrap(),
        r#"[{"n":"a"}]"#
    );
    assert_eq!(on_b.query("SELECT n FROM crm_notes", "").unwrap(), "[]");
    drop((on_a, on_b));
}
