//! The whole host API from Go and Zig: the Go and Zig conformance guests
//! answer the Rust probe's protocol (`tests/plugins/probe`), so one sequence
//! of host calls (every function of every interface: KV with TTLs, database
//! statements and transactions, VFS list and stat, outbound HTTP to a
//! loopback server the operator allows, config, events, logs, ids, errors)
//! runs in the three languages and must report exactly the same.

use crate::support::{Harness, TestServer, guests};
use serde_json::{Value, json};
use std::collections::HashMap;

const LANGS: [&str; 3] = ["rust", "go", "zig"];

fn harness(port: u16) -> Harness {
    let names = HashMap::from([("public.test".to_string(), "127.0.0.1".parse().unwrap())]);
    let h = Harness::with(
        |s| s.http.allowed_private_networks = vec!["127.0.0.1/32".parse().unwrap()],
        names,
    );
    for lang in LANGS {
        let wasm = match lang {
            "rust" => &guests().probe,
            "go" => &guests().conformance_go,
            _ => &guests().conformance_zig,
        };
        let manifest = format!(
            "[plugin]\nid = \"test.wa-{lang}\"\nname = \"Whole API\"\nversion = \"0.1.0\"\nruntime = \"wasm\"\n\n\
             [hooks.probe]\n\n[permissions]\nfilesystem = [\"read\", \"write\"]\nhttp = [\"http://public.test:{port}\"]\n\n\
             [config]\ngreeting = \"hi\"\n"
        );
        h.install(&format!("wa-{lang}"), wasm, &manifest);
    }
    h.load_ok();
    h
}

/// Every host function, with the errors a plugin meets most.
fn ops(lang: &str, port: u16) -> Value {
    let t = format!("wa_{lang}_items");
    let web = format!("http://public.test:{port}");
    json!({"op": "seq", "ops": [
        {"op": "kv.set", "key": "a", "value": {"x": [1, 2], "s": "é"}, "ttl": 60},
        {"op": "kv.set", "key": "b", "value": 7},
        {"op": "kv.get", "key": "a"},
        {"op": "kv.list", "prefix": ""},
        {"op": "kv.delete", "key": "a"},
        {"op": "kv.delete", "key": "a"},
        {"op": "kv.get", "key": "a"},
        {"op": "kv.set_raw", "key": "c", "value": "not json"},
        {"op": "db.execute", "sql": format!("CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")},
        {"op": "db.begin"},
        {"op": "db.execute", "sql": format!("INSERT INTO {t} (name) VALUES (?)"), "params": ["lamp"]},
        {"op": "db.rollback"},
        {"op": "db.query", "sql": format!("SELECT COUNT(*) AS n FROM {t}")},
        {"op": "db.begin"},
        {"op": "db.execute", "sql": format!("INSERT INTO {t} (name) VALUES (?), (?)"), "params": ["lamp", "desk"]},
        {"op": "db.commit"},
        {"op": "db.commit"},
        {"op": "db.query", "sql": format!("SELECT name FROM {t} WHERE name = :n"), "params": {"n": "desk"}},
        {"op": "db.execute", "sql": format!("UPDATE {t} SET name = upper(name)")},
        {"op": "db.query", "sql": format!("SELECT name FROM {t} ORDER BY id")},
        {"op": "db.query", "sql": "SELECT * FROM users"},
        {"op": "db.query", "sql": "SELEC 1"},
        {"op": "vfs.write", "path": "notes/a.txt", "data": "hello"},
        {"op": "vfs.write", "path": "notes/sub/b.txt", "size": 3},
        {"op": "vfs.list", "path": "notes"},
        {"op": "vfs.stat", "path": "notes/a.txt"},
        {"op": "vfs.stat", "path": "notes/sub"},
        {"op": "vfs.exists", "path": "notes/sub/b.txt"},
        {"op": "vfs.read", "path": "notes/a.txt"},
        {"op": "vfs.delete", "path": "notes/a.txt"},
        {"op": "vfs.read", "path": "notes/a.txt"},
        {"op": "vfs.stat", "path": "notes/none"},
        {"op": "vfs.read", "path": "../secret"},
        {"op": "http.fetch", "url": format!("{web}/hello"), "timeout_ms": 5000},
        {"op": "http.fetch", "method": "POST", "url": format!("{web}/echo"), "body": "ping",
         "headers": {"x-probe": "1"}, "timeout_ms": 5000},
        {"op": "http.fetch", "url": format!("{web}/missing"), "timeout_ms": 5000},
        {"op": "http.fetch", "url": format!("http://127.0.0.1:{port}/hello")},
        {"op": "http.fetch", "url": "ftp://example.com/"},
        {"op": "config.get", "key": "greeting"},
        {"op": "config.get", "key": "absent"},
        {"op": "config.all"},
        {"op": "events.emit", "name": "wa.done", "payload": {"n": 1}},
        {"op": "log", "level": "warn", "message": "from the probe"},
        {"op": "ids.new"},
        {"op": "nope"},
    ]})
}

/// What may differ between languages: the plugin's own names, the time a
/// file was written (checked to be set) and the new id (checked to be a UUID).
fn normalize(lang: &str, report: &Value) -> Value {
    let text = report
        .to_string()
        .replace(&format!("wa_{lang}_"), "wa_LANG_")
        .replace(&format!("wa-{lang}"), "wa-LANG");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for item in v.as_array_mut().unwrap() {
        if let Some(ok) = item.get_mut("ok") {
            if let Some(m) = ok.get_mut("modified_ms") {
                assert!(m.as_u64().unwrap() > 1_700_000_000_000, "{lang}: {m}");
                *m = json!("set");
            }
            if let Some(id) = ok.as_str().filter(|s| s.len() == 36 && s.contains('-')) {
                assert_eq!(id.as_bytes()[14], b'7', "{lang}: a UUIDv7: {id}");
                *ok = json!("uuid");
            }
        }
    }
    v
}

#[test]
fn go_and_zig_reach_the_whole_host_api_as_rust_does() {
    let server = TestServer::start();
    let h = harness(server.port);
    let mut reports = Vec::new();
    for lang in LANGS {
        let id = format!("test.wa-{lang}");
        let envelope = json!({"hook": "probe", "id": null, "content_type": null, "body": ops(lang, server.port)});
        let out = h
            .manager
            .call_hook(&id, "probe", &envelope.to_string())
            .unwrap_or_else(|e| panic!("{lang}: {e}"));
        let report: Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
        assert_eq!(out.events.len(), 1, "{lang}");
        assert_eq!(out.events[0].name, "wa.done");
        assert_eq!(out.events[0].payload, r#"{"n":1}"#, "{lang}");
        assert!(
            out.logs.iter().any(|l| l.level == "warn"
                && l.message == "from the probe"
                && l.fields == [("probe".to_string(), "1".to_string())]),
            "{lang}: {:?}",
            out.logs
        );
        reports.push((lang, normalize(lang, &report)));
    }
    let (_, rust) = &reports[0];
    // The reference itself says what the API does.
    let at = |i: usize| &rust[i];
    assert_eq!(at(2), &json!({"ok": {"x": [1, 2], "s": "é"}}));
    assert_eq!(at(4), &json!({"ok": true}));
    assert_eq!(at(5), &json!({"ok": false}));
    assert_eq!(at(7)["err"]["kind"], "invalid");
    assert_eq!(at(12), &json!({"ok": [{"n": 0}]}), "rolled back");
    assert_eq!(at(16)["err"]["kind"], "invalid", "commit without begin");
    assert_eq!(at(19), &json!({"ok": [{"name": "LAMP"}, {"name": "DESK"}]}));
    assert_eq!(at(20)["err"]["kind"], "denied");
    assert_eq!(
        at(24),
        &json!({"ok": [{"name": "a.txt", "is_dir": false, "size": 5}, {"name": "sub", "is_dir": true, "size": 0}]})
    );
    assert_eq!(at(30)["err"]["kind"], "not-found");
    assert_eq!(at(33)["ok"]["body"], "hello");
    assert_eq!(at(34)["ok"]["body"], "POST ping");
    assert_eq!(at(35)["ok"]["status"], 404);
    assert_eq!(at(36)["err"]["kind"], "denied");
    assert_eq!(at(40), &json!({"ok": {"greeting": "hi"}}));
    assert_eq!(at(43), &json!({"ok": "uuid"}));
    for (lang, report) in &reports[1..] {
        let pairs = rust
            .as_array()
            .unwrap()
            .iter()
            .zip(report.as_array().unwrap());
        for (i, (want, got)) in pairs.enumerate() {
            assert_eq!(got, want, "{lang} differs from Rust at op {i}");
        }
        assert_eq!(
            report.as_array().unwrap().len(),
            rust.as_array().unwrap().len(),
            "{lang}"
        );
    }
}
