//! A Rust component plugin calls every host interface through the real
//! runtime and gets the documented results.

use crate::backend::Backend;
use crate::support::{Harness, TestServer, err, ok};
use serde_json::json;
use std::collections::HashMap;

const ALL: &str = r#"
[permissions]
database = ["read:products"]
filesystem = ["read", "write"]
config = ["site.name"]

[config]
greeting = "hi"
smtp = { port = 25, host = "mail.local" }
"#;

crate::backend::on_both_backends!(
    db_transactions_commit_roll_back_and_end_with_the_call,
    migrations_create_the_plugins_tables_once,
    kv_roundtrip_ttl_list_and_isolation,
    kv_value_cap_is_a_limit,
);

#[test]
fn db_own_tables_params_and_rows() {
    let h = Harness::new();
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "db.execute", "sql": "CREATE TABLE probe_notes (id INTEGER PRIMARY KEY, text TEXT, n REAL, meta TEXT)"},
            {"op": "db.execute", "sql": "INSERT INTO probe_notes (text, n, meta) VALUES (?, ?, ?)", "params": ["one", 1.5, {"a": 1}]},
            {"op": "db.execute", "sql": "INSERT INTO probe_notes (text, n) VALUES (:text, :n)", "params": {"text": "two", "n": 2}},
            {"op": "db.query", "sql": "SELECT id, text, n, meta FROM probe_notes ORDER BY id"},
            {"op": "db.query", "sql": "SELECT count(*) AS c FROM probe_notes WHERE n > ?1", "params": [1.9]},
        ]}),
    );
    assert_eq!(ok(&r[1])["rows_affected"], 1);
    assert_eq!(ok(&r[1])["last_insert_id"], 1);
    assert_eq!(ok(&r[2])["last_insert_id"], 2);
    assert_eq!(
        ok(&r[3]),
        &json!([
            {"id": 1, "text": "one", "n": 1.5, "meta": "{\"a\":1}"},
            {"id": 2, "text": "two", "n": 2.0, "meta": null},
        ])
    );
    assert_eq!(ok(&r[4]), &json!([{"c": 1}]));
}

#[test]
fn db_reads_a_granted_table() {
    let h = Harness::new();
    h.sql("CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO products (name) VALUES ('lamp');");
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "db.query", "sql": "SELECT * FROM products"}),
    );
    assert_eq!(ok(&r), &json!([{"id": 1, "name": "lamp"}]));
}

fn db_transactions_commit_roll_back_and_end_with_the_call(backend: Backend) {
    let h = Harness::on(&backend.database());
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let count = |h: &Harness| {
        let r = h.probe(
            "test.probe",
            json!({"op": "db.query", "sql": "SELECT count(*) AS c FROM probe_t"}),
        );
        ok(&r)[0]["c"].as_i64().unwrap()
    };
    h.probe(
        "test.probe",
        json!({"op": "db.execute", "sql": "CREATE TABLE probe_t (x INTEGER)"}),
    );
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "db.begin"},
            {"op": "db.execute", "sql": "INSERT INTO probe_t VALUES (1)"},
            {"op": "kv.set", "key": "in-txn", "value": true},
            {"op": "db.commit"},
            {"op": "db.commit"},
        ]}),
    );
    err(&r[4], "invalid", "no transaction is open");
    assert_eq!(count(&h), 1);
    h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "db.begin"},
            {"op": "db.execute", "sql": "INSERT INTO probe_t VALUES (2)"},
            {"op": "db.rollback"},
        ]}),
    );
    assert_eq!(count(&h), 1);
    // Left open: rolled back when the call ends, KV writes inside it too.
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "db.begin"},
            {"op": "db.begin"},
            {"op": "db.execute", "sql": "INSERT INTO probe_t VALUES (3)"},
            {"op": "kv.set", "key": "lost", "value": 1},
        ]}),
    );
    err(&r[1], "invalid", "already open");
    assert_eq!(count(&h), 1);
    let r = h.probe("test.probe", json!({"op": "kv.get", "key": "lost"}));
    assert_eq!(ok(&r), &json!(null));
    let r = h.probe("test.probe", json!({"op": "kv.get", "key": "in-txn"}));
    assert_eq!(ok(&r), &json!(true));
}

#[test]
fn db_bad_sql_and_params_are_invalid() {
    let h = Harness::new();
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "db.execute", "sql": "CREATE TABLE probe_a (x)"},
            {"op": "db.query", "sql": "SELEC 1"},
            {"op": "db.query", "sql": "SELECT 1; SELECT 2"},
            {"op": "db.query", "sql": "SELECT ?", "params": []},
            {"op": "db.query", "sql": "SELECT :a", "params": {"b": 1}},
            {"op": "db.query", "sql": "SELECT 1", "params": "nope"},
            {"op": "db.query", "sql": "SELECT * FROM probe_missing"},
        ]}),
    );
    err(&r[1], "invalid", "syntax error");
    err(&r[2], "invalid", "one SQL statement per call");
    err(&r[3], "invalid", "1 parameter(s) but 0 value(s)");
    err(&r[4], "invalid", "no value given for parameter `:a`");
    err(&r[5], "invalid", "params must be a JSON array or object");
    err(&r[6], "invalid", "no such table");
}

fn migrations_create_the_plugins_tables_once(backend: Backend) {
    let h = Harness::on(&backend.database());
    let dir = h.install_probe("test.probe", ALL);
    std::fs::create_dir_all(dir.join("migrations/postgres")).unwrap();
    std::fs::write(
        dir.join("migrations/001_init.sql"),
        "CREATE TABLE probe_items (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO probe_items (name) VALUES ('seed');",
    )
    .unwrap();
    // The dialect's own file where SQLite's automatic key has no equivalent.
    std::fs::write(
        dir.join("migrations/postgres/001_init.sql"),
        "CREATE TABLE probe_items (id SERIAL PRIMARY KEY, name TEXT);\nINSERT INTO probe_items (name) VALUES ('seed');",
    )
    .unwrap();
    h.load_ok();
    h.manager.reload("test.probe").unwrap();
    let r = h.probe(
        "test.probe",
        json!({"op": "db.query", "sql": "SELECT name FROM probe_items"}),
    );
    assert_eq!(ok(&r), &json!([{"name": "seed"}]));
}

#[test]
fn a_migration_cannot_touch_other_tables() {
    let h = Harness::new();
    let dir = h.install_probe("test.probe", ALL);
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(dir.join("migrations/001.sql"), "CREATE TABLE content2 (x);").unwrap();
    let report = h.manager.load_all();
    let (_, why) = &report.failed[0];
    assert!(
        why.contains("migrations/001.sql") && why.contains("only its own tables"),
        "{why}"
    );
}

fn kv_roundtrip_ttl_list_and_isolation(backend: Backend) {
    let h = Harness::on(&backend.database());
    h.install_probe("test.probe", ALL);
    h.install_probe("test.other", ALL);
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "kv.set", "key": "user:1", "value": {"name": "ada"}},
            {"op": "kv.set", "key": "user:2", "value": [1, 2]},
            {"op": "kv.set", "key": "other", "value": "x"},
            {"op": "kv.get", "key": "user:1"},
            {"op": "kv.list", "prefix": "user:"},
            {"op": "kv.delete", "key": "user:2"},
            {"op": "kv.delete", "key": "user:2"},
            {"op": "kv.get", "key": "missing"},
            {"op": "kv.set", "key": "short", "value": 1, "ttl": 1},
            {"op": "kv.get", "key": "short"},
            {"op": "kv.set_raw", "key": "bad", "value": "{not json"},
            {"op": "kv.set", "key": "", "value": 1},
        ]}),
    );
    assert_eq!(ok(&r[3]), &json!({"name": "ada"}));
    assert_eq!(ok(&r[4]), &json!(["user:1", "user:2"]));
    assert_eq!(ok(&r[5]), &json!(true));
    assert_eq!(ok(&r[6]), &json!(false));
    assert_eq!(ok(&r[7]), &json!(null));
    assert_eq!(ok(&r[9]), &json!(1));
    err(&r[10], "invalid", "not valid JSON");
    err(&r[11], "invalid", "keys are 1 to 512 bytes");
    // Another plugin has its own namespace.
    let r = h.probe("test.other", json!({"op": "kv.get", "key": "user:1"}));
    assert_eq!(ok(&r), &json!(null));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = h.probe("test.probe", json!({"op": "kv.get", "key": "short"}));
    assert_eq!(ok(&r), &json!(null), "expired");
}

fn kv_value_cap_is_a_limit(backend: Backend) {
    let db = backend.database();
    let h = Harness::with(
        |s| {
            db.apply(s);
            s.kv.max_value_bytes = 1000;
        },
        HashMap::new(),
    );
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "kv.set", "key": "big", "size": 2000}),
    );
    err(&r, "limit", "the limit is 1000 bytes");
}

#[test]
fn config_reads_own_settings_operator_overrides_and_granted_site_settings() {
    let h = Harness::with(
        |s| {
            s.site.name = "My Site".into();
            let mut o = raisfast::settings::PluginOverrides::default();
            o.config.insert(
                "greeting".into(),
                toml::Value::String("hello from the operator".into()),
            );
            s.plugins.insert("test.probe".into(), o);
        },
        HashMap::new(),
    );
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "config.get", "key": "greeting"},
            {"op": "config.get", "key": "smtp.port"},
            {"op": "config.get", "key": "nope"},
            {"op": "config.get", "key": "site.name"},
            {"op": "config.get", "key": "site.url"},
            {"op": "config.all"},
        ]}),
    );
    assert_eq!(ok(&r[0]), "hello from the operator");
    assert_eq!(ok(&r[1]), 25);
    assert_eq!(ok(&r[2]), &json!(null));
    assert_eq!(ok(&r[3]), "My Site");
    err(&r[4], "denied", "config = [\"site.url\"]");
    assert_eq!(ok(&r[5])["smtp"]["host"], "mail.local");
}

#[test]
fn events_are_queued_for_delivery_and_checked() {
    let h = Harness::new();
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let envelope = json!({"hook": "probe", "body": {"op": "seq", "ops": [
        {"op": "events.emit", "name": "crm.deal_won", "payload": {"deal": 7}},
        {"op": "events.emit", "name": "Bad Name", "payload": 1},
        {"op": "events.emit", "name": "on_content_created", "payload": 1},
    ]}});
    let out = h
        .manager
        .call_hook("test.probe", "probe", &envelope.to_string())
        .unwrap();
    let r: serde_json::Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
    assert_eq!(ok(&r[0]), &json!(null));
    err(&r[1], "invalid", "invalid hook or event name");
    err(&r[2], "invalid", "which only the server fires");
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].name, "crm.deal_won");
    assert_eq!(out.events[0].payload, r#"{"deal":7}"#);
    assert_eq!(out.events[0].depth, 1);
    // A call deep in an event chain cannot emit further: loops end.
    let deep = h
        .manager
        .plugin("test.probe")
        .unwrap()
        .call_hook(
            "probe",
            &json!({"hook": "probe", "body": {"op": "events.emit", "name": "again", "payload": 1}})
                .to_string(),
            raisfast::host_api::events::MAX_DEPTH,
        )
        .unwrap();
    let r: serde_json::Value = serde_json::from_str(deep.value.as_deref().unwrap()).unwrap();
    err(&r, "limit", "event chain is 8 deep");
    assert!(deep.events.is_empty());
}

#[test]
fn logs_are_captured_tagged_and_truncated() {
    let h = Harness::new();
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let envelope = json!({"hook": "probe", "body": {"op": "seq", "ops": [
        {"op": "log", "level": "warn", "message": "careful"},
        {"op": "log", "level": "info", "size": 100000},
    ]}});
    let out = h
        .manager
        .call_hook("test.probe", "probe", &envelope.to_string())
        .unwrap();
    assert_eq!(out.logs[0].level, "warn");
    assert_eq!(out.logs[0].message, "careful");
    assert_eq!(
        out.logs[0].fields,
        vec![("probe".to_string(), "1".to_string())]
    );
    assert!(out.logs[1].message.len() < 9000);
    assert!(out.logs[1].message.ends_with("[truncated]"));
}

#[test]
fn ids_are_uuid_v7() {
    let h = Harness::new();
    h.install_probe("test.probe", ALL);
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [{"op": "ids.new"}, {"op": "ids.new"}]}),
    );
    let a = ok(&r[0]).as_str().unwrap();
    let b = ok(&r[1]).as_str().unwrap();
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "7", "version nibble of {a}");
    assert!(a < b, "time-ordered");
}

#[test]
fn http_fetch_reaches_an_allowed_host() {
    let server = TestServer::start();
    let h = Harness::with(
        |s| s.http.allowed_private_networks = vec!["127.0.0.1/32".parse().unwrap()],
        HashMap::new(),
    );
    let p = server.port;
    h.install_probe(
        "test.probe",
        &format!("[permissions]\nhttp = [\"http://127.0.0.1:{p}\"]\n"),
    );
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "http.fetch", "url": format!("http://127.0.0.1:{p}/hello")},
            {"op": "http.fetch", "method": "POST", "url": format!("http://127.0.0.1:{p}/echo"), "body": "ping"},
            {"op": "http.fetch", "url": format!("http://127.0.0.1:{p}/missing")},
            {"op": "http.fetch", "url": format!("http://127.0.0.1:{p}/redirect?to=/hello")},
            {"op": "http.fetch", "method": "BREW", "url": format!("http://127.0.0.1:{p}/hello")},
        ]}),
    );
    assert_eq!(ok(&r[0])["status"], 200);
    assert_eq!(ok(&r[0])["body"], "hello");
    assert_eq!(ok(&r[1])["body"], "POST ping");
    assert_eq!(ok(&r[2])["status"], 404);
    assert_eq!(ok(&r[3])["body"], "hello", "redirect followed");
    err(&r[4], "invalid", "unsupported method");
}

#[test]
fn http_size_and_time_are_capped() {
    let server = TestServer::start();
    let h = Harness::with(
        |s| {
            s.http.allowed_private_networks = vec!["127.0.0.1/32".parse().unwrap()];
            s.http.max_response_bytes = 1000;
        },
        HashMap::new(),
    );
    let p = server.port;
    h.install_probe(
        "test.probe",
        &format!("[permissions]\nhttp = [\"http://127.0.0.1:{p}\"]\n"),
    );
    h.load_ok();
    let r = h.probe(
        "test.probe",
        json!({"op": "seq", "ops": [
            {"op": "http.fetch", "url": format!("http://127.0.0.1:{p}/big?bytes=5000")},
            {"op": "http.fetch", "url": format!("http://127.0.0.1:{p}/slow?ms=2000"), "timeout_ms": 200},
        ]}),
    );
    err(&r[0], "limit", "larger than 1000 bytes");
    err(&r[1], "limit", "did not answer in time");
}
