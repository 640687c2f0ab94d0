//! Table grants are enforced by SQLite's authorizer on every statement: no
//! spelling of the SQL reaches a table the plugin was not granted.

use crate::support::{Harness, err, ok};
use serde_json::{Value, json};

fn harness(grants: &str) -> Harness {
    let h = Harness::new();
    h.sql(
        "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO products (name) VALUES ('lamp');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, product_id INTEGER);
         INSERT INTO users (id, username, password_hash, role, created_at) VALUES ('u1', 'root', 'secret-hash', 'admin', 0);",
    );
    h.install_probe(
        "test.probe",
        &format!("[permissions]\ndatabase = {grants}\n"),
    );
    h.load_ok();
    h
}

fn q(h: &Harness, sql: &str) -> Value {
    h.probe("test.probe", json!({"op": "db.query", "sql": sql}))
}

fn x(h: &Harness, sql: &str) -> Value {
    h.probe("test.probe", json!({"op": "db.execute", "sql": sql}))
}

#[test]
fn an_ungranted_table_is_denied_naming_the_grant() {
    let h = harness("[]");
    err(
        &q(&h, "SELECT * FROM products"),
        "denied",
        "add \"read:products\" to [permissions] database",
    );
    err(
        &x(&h, "DELETE FROM products"),
        "denied",
        "add \"write:products\"",
    );
}

#[test]
fn read_does_not_grant_write() {
    let h = harness(r#"["read:products"]"#);
    assert_eq!(
        ok(&q(&h, "SELECT name FROM products")),
        &json!([{"name": "lamp"}])
    );
    err(
        &x(&h, "UPDATE products SET name = 'x'"),
        "denied",
        "\"write:products\"",
    );
    err(
        &x(&h, "INSERT INTO products (name) VALUES ('x')"),
        "denied",
        "\"write:products\"",
    );
}

#[test]
fn protected_tables_stay_out_of_reach_whatever_the_sql() {
    // Even with `*`, every route to `users` is refused.
    let h = harness(r#"["*"]"#);
    let attacks = [
        "SELECT * FROM users",
        "SELECT p.name, u.password_hash FROM products p JOIN users u",
        "SELECT p.name, u.password_hash FROM products p, users u",
        "SELECT name FROM products WHERE id IN (SELECT rowid FROM users)",
        "SELECT (SELECT password_hash FROM users LIMIT 1) AS h",
        "WITH leak AS (SELECT password_hash FROM users) SELECT * FROM leak",
        "SELECT name FROM products UNION SELECT password_hash FROM users",
        "SELECT * FROM \"users\"",
        "SELECT * FROM [USERS]",
        "SELECT * FROM main.users",
        "SELECT * FROM sessions",
        "SELECT * FROM raisfast_kv",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM pragma_table_info('users')",
        "SELECT count(*) FROM users",
        "SELECT 1 FROM sessions LIMIT 1",
        "SELECT EXISTS(SELECT 1 FROM users)",
        "SELECT count(*) FROM orders, users",
        "WITH users AS (SELECT 1) SELECT count(*) FROM users",
    ];
    for sql in attacks {
        let r = q(&h, sql);
        assert_eq!(r["err"]["kind"], "denied", "{sql} -> {r}");
    }
    let writes = [
        "INSERT INTO products (name) SELECT password_hash FROM users",
        "UPDATE users SET role = 'admin'",
        "DELETE FROM users",
        "INSERT INTO orders (product_id) SELECT count(*) FROM sessions",
    ];
    for sql in writes {
        let r = x(&h, sql);
        assert_eq!(r["err"]["kind"], "denied", "{sql} -> {r}");
    }
    err(
        &q(&h, "SELECT * FROM users"),
        "denied",
        "`users` is a core table",
    );
    // CTEs are not tables: they work.
    assert_eq!(
        ok(&q(
            &h,
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3) SELECT count(*) AS n FROM c"
        )),
        &json!([{"n": 3}])
    );
    // The wildcard reaches ordinary tables.
    assert_eq!(
        ok(&q(&h, "SELECT count(*) AS n FROM orders")),
        &json!([{"n": 0}])
    );
}

#[test]
fn a_table_read_without_columns_is_checked_against_the_live_schema() {
    // `count(*)` reads no column, and SQLite reports it like a CTE's name: the
    // authorizer tells them apart by the schema the statement is compiled
    // against, so a table created after the plugin's previous statement, by
    // another connection, is a table all the same.
    let h = harness(r#"["read:products"]"#);
    assert_eq!(
        ok(&q(&h, "SELECT count(*) AS n FROM products")),
        &json!([{"n": 1}])
    );
    err(
        &q(&h, "SELECT count(*) FROM orders"),
        "denied",
        "add \"read:orders\"",
    );
    h.sql("CREATE TABLE secrets (id INTEGER PRIMARY KEY); INSERT INTO secrets DEFAULT VALUES;");
    for sql in [
        "SELECT count(*) FROM secrets",
        "SELECT count(*) FROM SECRETS",
        "SELECT count(*) FROM \"secrets\"",
        "SELECT 1 FROM products, secrets",
        "SELECT count(*) FROM products WHERE EXISTS (SELECT 1 FROM secrets)",
    ] {
        err(&q(&h, sql), "denied", "add \"read:secrets\"");
    }
    // A CTE named like a table that does not exist is a CTE.
    assert_eq!(
        ok(&q(
            &h,
            "WITH phantom AS (SELECT 1) SELECT count(*) AS n FROM phantom"
        )),
        &json!([{"n": 1}])
    );
}

#[test]
fn schema_attach_pragma_and_extensions_are_refused() {
    let h = harness(r#"["*"]"#);
    let r = x(&h, "ATTACH DATABASE '/tmp/evil.db' AS evil");
    err(&r, "denied", "ATTACH");
    err(
        &x(&h, "PRAGMA writable_schema = 1"),
        "denied",
        "PRAGMA writable_schema",
    );
    err(&q(&h, "PRAGMA table_info(users)"), "denied", "core table");
    assert_eq!(ok(&q(&h, "PRAGMA table_info(products)"))[0]["name"], "id");
    err(
        &q(&h, "SELECT load_extension('/tmp/x.so')"),
        "denied",
        "load_extension",
    );
    err(
        &x(&h, "CREATE TABLE stolen AS SELECT * FROM products"),
        "denied",
        "only its own tables",
    );
    err(
        &x(&h, "DROP TABLE products"),
        "denied",
        "only its own tables",
    );
    err(
        &x(&h, "CREATE VIEW probe_v AS SELECT * FROM users"),
        "denied",
        "views",
    );
    err(&x(&h, "CREATE TEMP TABLE t (x)"), "denied", "temporary");
    err(&x(&h, "BEGIN"), "denied", "use db.begin");
    err(&x(&h, "SAVEPOINT s"), "denied", "use db.begin");
}

#[test]
fn triggers_cannot_smuggle_writes() {
    let h = harness(r#"["*"]"#);
    ok(&x(&h, "CREATE TABLE probe_log (x)"));
    let r = x(
        &h,
        "CREATE TRIGGER probe_tr AFTER INSERT ON probe_log BEGIN DELETE FROM users; END",
    );
    err(&r, "denied", "triggers");
}

#[test]
fn own_tables_need_no_grant_and_others_plugins_tables_need_an_explicit_one() {
    let h = Harness::new();
    h.install_probe("test.probe", "");
    h.install_probe("test.crm", "");
    h.install_probe("test.spy", "[permissions]\ndatabase = [\"*\"]\n");
    h.install_probe(
        "test.friend",
        "[permissions]\ndatabase = [\"read:crm_deals\"]\n",
    );
    h.load_ok();
    ok(&h.probe("test.crm", json!({"op": "db.execute", "sql": "CREATE TABLE crm_deals (id INTEGER PRIMARY KEY, amount INT)"})));
    ok(&h.probe(
        "test.crm",
        json!({"op": "db.execute", "sql": "INSERT INTO crm_deals (amount) VALUES (10)"}),
    ));
    let spy = h.probe(
        "test.spy",
        json!({"op": "db.query", "sql": "SELECT * FROM crm_deals"}),
    );
    err(&spy, "denied", "belongs to plugin test.crm");
    let friend = h.probe(
        "test.friend",
        json!({"op": "db.query", "sql": "SELECT amount FROM crm_deals"}),
    );
    assert_eq!(ok(&friend), &json!([{"amount": 10}]));
    let friend_w = h.probe(
        "test.friend",
        json!({"op": "db.execute", "sql": "DELETE FROM crm_deals"}),
    );
    err(&friend_w, "denied", "\"write:crm_deals\"");
    let other = h.probe(
        "test.probe",
        json!({"op": "db.execute", "sql": "DROP TABLE crm_deals"}),
    );
    err(&other, "denied", "only its own tables");
}

#[test]
fn a_long_query_stops_at_the_deadline() {
    let h = Harness::new();
    h.install_probe("test.probe", "[permissions]\ntimeout_ms = 300\n");
    h.load_ok();
    let started = std::time::Instant::now();
    let envelope = json!({"hook": "probe", "body": {"op": "db.query",
        "sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"}});
    // Either the query reports the deadline to the plugin, or the call ends at it.
    match h
        .manager
        .call_hook("test.probe", "probe", &envelope.to_string())
    {
        Ok(out) => {
            let r: Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
            err(&r, "limit", "deadline");
        }
        Err(f) => assert!(f.error.is_timeout(), "{f}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(ok(&q(&h, "SELECT 1 AS one")), &json!([{"one": 1}]));
}

#[test]
fn a_plugin_table_cannot_constrain_core_tables() {
    // A foreign key to a core table would make the core's deletes fail.
    let h = crate::support::Harness::new();
    h.install_files(
        "fk",
        &crate::support::script_manifest(
            "test.fk",
            "js",
            "[permissions]\ndatabase = [\"*\"]\n",
        ),
        &[(
            "main.js",
            "import { dbExecute } from 'sdk';\n\
             export function make(input) { try { dbExecute(JSON.parse(input).body.sql, []); return 'ok'; } catch (e) { return e.message; } }\n",
        )],
    );
    h.load_ok();
    let make = |sql: &str| {
        let env = serde_json::json!({"body": {"sql": sql}}).to_string();
        h.manager
            .call_hook("test.fk", "make", &env)
            .unwrap()
            .value
            .unwrap()
    };
    for sql in [
        "CREATE TABLE fk_pins (content_id TEXT REFERENCES content(id))",
        "CREATE TABLE fk_owners (user_id TEXT, FOREIGN KEY (user_id) REFERENCES \"USERS\"(id) ON DELETE RESTRICT)",
    ] {
        let out = make(sql);
        assert!(
            out.contains("may refer only to its own tables"),
            "{sql}: {out}"
        );
    }
    // Undone: the table does not exist; its own references are fine.
    assert!(make("CREATE TABLE fk_tags (id INTEGER PRIMARY KEY)").contains("ok"));
    assert!(make("CREATE TABLE fk_pins (tag INTEGER REFERENCES fk_tags(id))").contains("ok"));
    assert!(
        make("ALTER TABLE fk_tags ADD COLUMN owner TEXT REFERENCES users(id)")
            .contains("may refer only")
    );
}
