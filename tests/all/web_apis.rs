//! The web platform APIs of the JS engine, checked in the real engine by a
//! plugin (`tests/plugins/web-js`): each API behaves as its standard says,
//! `console` writes the plugin's log at its levels, and `fetch` goes through
//! the host's HTTP capability, so the allow-list and the address guard apply.

use crate::support::{Harness, TestServer, script_manifest};
use raisfast::runtime::CallErrorKind;
use serde_json::{Value, json};
use std::collections::HashMap;

fn harness(port: u16) -> Harness {
    let h = Harness::with(
        // The operator allows the test's loopback server; nothing else private.
        |s| s.http.allowed_private_networks = vec!["127.0.0.1/32".parse().unwrap()],
        HashMap::new(),
    );
    h.install_fixture(
        "web-js",
        "web-js",
        &script_manifest(
            "web.js",
            "js",
            &format!(
                "[permissions]\nhttp = [\"http://127.0.0.1:{port}\", \"http://10.0.0.1\", \"http://127.0.0.2:{port}\"]\ntimeout_ms = 5000\n"
            ),
        ),
    );
    h.load_ok();
    h
}

#[test]
fn every_web_api_behaves_as_specified() {
    let server = TestServer::start();
    let h = harness(server.port);
    let out = h
        .manager
        .call_hook(
            "web.js",
            "check_all",
            &json!({"hook": "check_all", "body": {}}).to_string(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let report: Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
    let failed: Vec<String> = report
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| **v != json!(true))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert_eq!(report.as_object().unwrap().len(), 18, "{report}");
    // console: one log line per call, at the method's level, formatted as Node.
    let lines: Vec<(String, String)> = out
        .logs
        .iter()
        .map(|l| (l.level.to_string(), l.message.clone()))
        .collect();
    for (level, text) in [
        ("info", "log cart has 3 items { a: 1 }"),
        ("info", "info line"),
        ("warn", "warn line"),
        ("debug", "debug line"),
    ] {
        assert!(
            lines.contains(&(level.to_string(), text.to_string())),
            "{level} {text:?} not in {lines:?}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|(l, m)| l == "error" && m.starts_with("Error: error line")),
        "{lines:?}"
    );
}

#[test]
fn fetch_reaches_an_allowed_server_and_rejects_with_the_guards_message() {
    let server = TestServer::start();
    let h = harness(server.port);
    let call = |handler: &str, url: String| -> Value {
        let env = json!({"hook": handler, "body": {"url": url}}).to_string();
        let out = h
            .manager
            .call_hook("web.js", handler, &env)
            .unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_str(out.value.as_deref().unwrap()).unwrap()
    };
    assert_eq!(
        call(
            "fetch_text",
            format!("http://127.0.0.1:{}/echo", server.port)
        ),
        json!({"status": 200, "ok": true, "body": "POST ping", "length": "9"})
    );
    // Listed in the manifest, but a private address the operator did not allow.
    let refused = call("fetch_error", "http://10.0.0.1/".into());
    assert_eq!(refused["name"], "TypeError", "{refused}");
    assert_eq!(refused["kind"], "denied", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("internal networks"),
        "{refused}"
    );
    // Not on the allow-list at all.
    let unlisted = call("fetch_error", "http://example.com/".into());
    assert_eq!(unlisted["kind"], "denied", "{unlisted}");
    assert!(
        unlisted["message"].as_str().unwrap().contains("allow-list"),
        "{unlisted}"
    );
}

#[test]
fn a_promise_nothing_can_settle_fails_the_call_at_once() {
    let server = TestServer::start();
    let h = harness(server.port);
    let e = h
        .manager
        .call_hook(
            "web.js",
            "never_settles",
            &json!({"hook": "never_settles", "body": {}}).to_string(),
        )
        .unwrap_err();
    // Not a timeout at the deadline: it fails as soon as nothing is left to run.
    assert!(
        !matches!(e.error.kind, CallErrorKind::Timeout { .. })
            && e.error.to_string().contains("never settles"),
        "{}",
        e.error
    );
}

#[test]
fn the_web_api_sample_of_the_docs_runs_as_written() {
    let md =
        std::fs::read_to_string(crate::support::root().join("docs/script-plugins.md")).unwrap();
    let start = md
        .find("```js\nexport async function summary")
        .expect("the web API sample")
        + "```js\n".len();
    let sample = &md[start..start + md[start..].find("```").unwrap()];
    let h = Harness::new();
    h.install_files(
        "sample",
        &script_manifest("sample.js", "js", ""),
        &[("main.js", sample)],
    );
    h.load_ok();
    let out = h
        .manager
        .call_hook(
            "sample.js",
            "summary",
            &json!({"hook": "summary", "body": {}}).to_string(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let v: Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"query": "web apis", "bytes": 8, "sha256": "0a374d2e",
               "copy": {"at": "https://example.com/search?q=web+apis"}})
    );
    assert!(
        out.logs
            .iter()
            .any(|l| l.level == "info" && l.message == "searched /search"),
        "{:?}",
        out.logs
    );
}
