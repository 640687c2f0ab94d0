//! The conformance suite: one scenario written in JS, Lua, Rhai, Rust, Go and
//! Zig (`tests/plugins/conformance-*`) calls every host interface, hits
//! denials, and implements each hook kind and two routes. All six must give
//! the same observable results. The Go and Zig guests also answer the Rust
//! probe's protocol, so the whole host API is compared call by call.

use crate::backend::Backend;
use crate::support::{Harness, guests, script_manifest};
use raisfast::host_api::bindings::raisfast::plugin::types::{Header, RouteRequest};
use raisfast::runtime::{CallError, CallErrorKind};
use serde_json::{Value, json};

const LANGS: [&str; 6] = ["js", "lua", "rhai", "rust", "go", "zig"];

const GRANTS: &str = r#"
[permissions]
filesystem = ["read", "write"]

[config]
greeting = "hi"
"#;

fn harness(backend: Backend) -> Harness {
    let h = Harness::on(&backend.database());
    for lang in LANGS {
        let id = format!("test.conf-{lang}");
        let compiled = match lang {
            "rust" => Some(&guests().conformance),
            "go" => Some(&guests().conformance_go),
            "zig" => Some(&guests().conformance_zig),
            _ => None,
        };
        if let Some(wasm) = compiled {
            let m = script_manifest(&id, "wasm", GRANTS);
            h.install(&format!("conformance-{lang}"), wasm, &m);
        } else {
            h.install_fixture(
                &format!("conformance-{lang}"),
                &format!("conformance-{lang}"),
                &script_manifest(&id, lang, GRANTS),
            );
        }
    }
    h.load_ok();
    h
}

/// Drops object keys whose value is null and trailing nulls of arrays: Lua has
/// no way to keep a nil in a table.
fn normalize(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, normalize(v)))
                .collect(),
        ),
        Value::Array(mut a) => {
            while a.last().is_some_and(Value::is_null) {
                a.pop();
            }
            Value::Array(a.into_iter().map(normalize).collect())
        }
        other => other,
    }
}

crate::backend::on_both_backends!(every_runtime_reports_the_same_scenario);

fn every_runtime_reports_the_same_scenario(backend: Backend) {
    let h = harness(backend);
    let expected = normalize(json!([
        ["kv.set", "ok", null],
        ["kv.get", "ok", {"a": 1, "list": [1, 2]}],
        ["kv.list", "ok", ["k"]],
        ["kv.delete", "ok", true],
        ["kv.get.missing", "ok", null],
        ["db.create", "ok", {"rowsAffected": 0, "lastInsertId": 0}],
        ["db.insert", "ok", 1],
        ["db.query", "ok", [{"name": "lamp"}]],
        ["db.protected", "error", "denied"],
        ["db.invalid", "error", "invalid"],
        ["vfs.write", "ok", null],
        ["vfs.read", "ok", "hello"],
        ["vfs.list", "ok", ["a.txt"]],
        ["vfs.exists", "ok", false],
        ["vfs.escape", "error", "denied"],
        ["config.get", "ok", "hi"],
        ["config.site", "error", "denied"],
        ["events.emit", "ok", null],
        ["ids.len", "ok", 36],
        ["http.denied", "error", "denied"],
        ["log", "ok", null],
    ]));
    for lang in LANGS {
        let id = format!("test.conf-{lang}");
        let env = json!({"hook": "scenario", "body": {"prefix": format!("conf_{lang}_")}});
        let out = h
            .manager
            .call_hook(&id, "scenario", &env.to_string())
            .unwrap_or_else(|e| panic!("{lang}: {e}"));
        let report: Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
        assert_eq!(normalize(report), expected, "{lang} differs");
        assert_eq!(out.events.len(), 1, "{lang}");
        assert_eq!(out.events[0].name, "conf.happened");
        assert_eq!(out.events[0].payload, r#"{"n":1}"#, "{lang}");
        assert!(
            out.logs
                .iter()
                .any(|l| l.level == "info" && l.message.starts_with("conformance")),
            "{lang}: {:?}",
            out.logs
        );
        assert_eq!(
            out.denials, 4,
            "{lang}: db, vfs, config and http denials are counted"
        );
    }
}

#[test]
fn every_runtime_implements_each_hook_kind_alike() {
    let h = harness(Backend::Sqlite);
    for lang in LANGS {
        let id = format!("test.conf-{lang}");
        let filtered = h
            .hook(&id, "filter_title", json!({"title": "hello", "n": 1}))
            .unwrap();
        assert_eq!(filtered, Some(json!({"title": "HELLO", "n": 1})), "{lang}");
        let rendered = h.hook(&id, "render", json!({"title": "hi"})).unwrap();
        assert_eq!(rendered, Some(json!("<p>hi</p>")), "{lang}");
        assert_eq!(h.hook(&id, "action", json!({})).unwrap(), None, "{lang}");
        assert_eq!(
            h.hook(&id, "no_such_hook", json!({})).unwrap(),
            None,
            "{lang}"
        );
        let e = h.hook(&id, "boom", json!({})).unwrap_err();
        match &e.error {
            CallError {
                kind: CallErrorKind::Plugin { error, .. },
                ..
            } => {
                assert!(error.to_string().contains("boom"), "{lang}: {error}")
            }
            other => panic!("{lang}: {other}"),
        }
    }
}

#[test]
fn script_errors_name_the_file_and_line() {
    let h = harness(Backend::Sqlite);
    for (lang, at) in [
        ("js", "main.js:"),
        ("lua", "init.lua:"),
        ("rhai", "init.rhai:"),
    ] {
        let e = h
            .hook(&format!("test.conf-{lang}"), "boom", json!({}))
            .unwrap_err();
        assert!(e.to_string().contains(at), "{lang}: {e}");
    }
}

fn request(handler: &str) -> RouteRequest {
    RouteRequest {
        handler: handler.into(),
        method: "POST".into(),
        path: "/echo/42".into(),
        params: vec![("id".into(), "42".into())],
        query: vec![("q".into(), "x".into())],
        headers: vec![Header {
            name: "content-type".into(),
            value: "application/json".into(),
        }],
        body: br#"{"a": 1}"#.to_vec(),
        caller: None,
    }
}

#[test]
fn every_runtime_serves_routes_alike() {
    let h = harness(Backend::Sqlite);
    for lang in LANGS {
        let p = h.manager.plugin(&format!("test.conf-{lang}")).unwrap();
        let r = p
            .call_route(&request("echo"))
            .unwrap_or_else(|e| panic!("{lang}: {e}"))
            .value;
        assert_eq!(r.status, 200, "{lang}");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            normalize(body),
            json!({"method": "POST", "id": "42", "q": "x", "body": {"a": 1}}),
            "{lang}"
        );
        assert!(
            r.headers
                .iter()
                .any(|h| h.name == "content-type" && h.value == "application/json"),
            "{lang}"
        );
        let r = p.call_route(&request("refuse")).unwrap().value;
        assert_eq!(r.status, 418, "{lang}");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            json!({"error": {"status": 418, "message": "no coffee"}}),
            "{lang}"
        );
        let missing = p.call_route(&request("nope")).unwrap_err();
        assert!(
            matches!(
                &missing.error,
                CallError {
                    kind: CallErrorKind::Plugin {
                        error: raisfast::host_api::HostError::NotFound,
                        ..
                    },
                    ..
                }
            ),
            "{lang}: {missing}"
        );
    }
}
