//! Production paths, run the way an operator runs the server: the plugin
//! directory spelt as operators spell it, many concurrent writers, more
//! requests than the server takes at once, and the admin figures they read.

use crate::server_support::{Server, plugin, wait_until};
use crate::support::script_manifest;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const PUBLIC: &str = "auth = \"public\"";

fn route(method: &str, path: &str, handler: &str) -> String {
    format!(
        "[[routes]]\nmethod = \"{method}\"\npath = \"{path}\"\nhandler = \"{handler}\"\n{PUBLIC}\n\n"
    )
}

/// Three plugins, one per script runtime, each with a route that reads and
/// writes its KV store (the plugin's own activity, which must not reload it).
fn three_plugins(root: &Path) {
    plugin(
        root,
        "js",
        &script_manifest("e2e.reload-js", "js", &route("GET", "/n", "n")),
        &[(
            "main.js",
            "import { kvGet, kvSet } from 'sdk';\nexport function n() { const v = (kvGet('n') ?? 0) + 1; kvSet('n', v); return v; }\n",
        )],
    );
    plugin(
        root,
        "lua",
        &script_manifest("e2e.reload-lua", "lua", &route("GET", "/n", "n")),
        &[("init.lua", "Plugin = { n = function() return 1 end }\n")],
    );
    plugin(
        root,
        "rhai",
        &script_manifest("e2e.reload-rhai", "rhai", &route("GET", "/n", "n")),
        &[("init.rhai", "fn n(req) { 1 }\n")],
    );
}

fn reloads(server: &Server) -> Vec<String> {
    server
        .output()
        .lines()
        .filter(|l| l.contains("reloaded "))
        .map(str::to_string)
        .collect()
}

#[test]
fn hot_reload_reloads_once_per_real_change_whatever_the_directory_spelling() {
    // One server per spelling, side by side: absolute, through a symlink,
    // relative with `..`.
    let tmps: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut servers = Vec::new();
    for (i, tmp) in tmps.iter().enumerate() {
        let root = tmp.path();
        three_plugins(root);
        let dir = match i {
            0 => root.join("plugins"),
            1 => {
                std::os::unix::fs::symlink(root.join("plugins"), root.join("linked")).unwrap();
                root.join("linked")
            }
            _ => {
                std::fs::create_dir(root.join("sub")).unwrap();
                Path::new("sub/../plugins").to_path_buf()
            }
        };
        servers.push(Server::start_in(root, &dir, &[]));
    }
    // Ten quiet seconds, with the plugins busy reading and writing their own
    // data and the server reading their files: no reload.
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < end {
        for s in &servers {
            for id in ["e2e.reload-js", "e2e.reload-lua", "e2e.reload-rhai"] {
                let (status, body) = s.call("GET", &format!("/api/v1/plugins/{id}/n"), None, None);
                assert_eq!(status, 200, "{id}: {body}");
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for (i, s) in servers.iter().enumerate() {
        assert!(
            reloads(s).is_empty(),
            "server {i} reloaded with nothing changed: {:?}",
            reloads(s)
        );
    }
    // Touching a file or rewriting it unchanged is no change either.
    for tmp in &tmps {
        let f = tmp.path().join("plugins/lua/init.lua");
        let text = std::fs::read(&f).unwrap();
        std::fs::write(&f, text).unwrap();
    }
    // One real edit: exactly one reload of that plugin, serving the new code.
    for tmp in &tmps {
        std::fs::write(
            tmp.path().join("plugins/rhai/init.rhai"),
            "fn n(req) { 2 }\n",
        )
        .unwrap();
    }
    for (i, s) in servers.iter().enumerate() {
        assert!(
            wait_until(Duration::from_secs(10), || {
                s.call("GET", "/api/v1/plugins/e2e.reload-rhai/n", None, None)
                    .1
                    == json!(2)
            }),
            "server {i} serves the edit: {}",
            s.output()
        );
    }
    // Several debounce periods later, still exactly one.
    std::thread::sleep(Duration::from_secs(3));
    for (i, s) in servers.iter().enumerate() {
        let r = reloads(s);
        assert_eq!(r.len(), 1, "server {i}: {r:?}");
        assert!(r[0].contains("e2e.reload-rhai"), "{r:?}");
    }
}

#[test]
fn concurrent_writers_wait_in_line_and_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "counter",
        &script_manifest("e2e.counter", "js", &route("POST", "/inc", "inc")),
        &[(
            "main.js",
            // A read-modify-write in a transaction: lost updates or a busy
            // error would show in the final count.
            "import { dbBegin, dbCommit, kvGet, kvSet } from 'sdk';\n\
             export function inc() { dbBegin(); const n = (kvGet('n') ?? 0) + 1; kvSet('n', n); dbCommit(); return n; }\n",
        )],
    );
    // More clients than requests in flight: they wait in line (long enough
    // here that a loaded machine never turns one away).
    let server = Server::start_with(tmp.path(), &[("RAISFAST_QUEUE_TIMEOUT_MS", "120000")]);
    let (threads, each) = (32, 20);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..each {
                    let (status, body) =
                        server.call("POST", "/api/v1/plugins/e2e.counter/inc", None, None);
                    assert_eq!(status, 200, "{body}");
                }
            });
        }
        // Core writes go through the same line meanwhile.
        s.spawn(|| {
            let admin = server.admin();
            for i in 0..20 {
                let (status, body) = server.call(
                    "POST",
                    "/api/v1/content",
                    Some(&admin),
                    Some(json!({"title": format!("post {i}"), "body": "x"})),
                );
                assert_eq!(status, 201, "{body}");
            }
        });
    });
    let (_, last) = server.call("POST", "/api/v1/plugins/e2e.counter/inc", None, None);
    assert_eq!(last, json!(threads * each + 1), "{}", server.output());
}

fn get_with_headers(server: &Server, path: &str) -> (u16, Option<String>, Value) {
    let (status, headers, text) = server.raw("GET", path, &[], Vec::new());
    let retry = headers
        .into_iter()
        .find(|(k, _)| k == "retry-after")
        .map(|(_, v)| v);
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, retry, body)
}

#[test]
fn beyond_the_in_flight_bound_requests_get_503_with_retry_after() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "slow",
        &script_manifest(
            "e2e.slow",
            "js",
            &format!(
                "[permissions]\ntimeout_ms = 10000\n\n{}",
                route("GET", "/slow", "slow")
            ),
        ),
        &[(
            "main.js",
            "export function slow() { const end = Date.now() + 4000; while (Date.now() < end) {} return 'done'; }\n",
        )],
    );
    let server = Server::start_with(
        tmp.path(),
        &[
            ("RAISFAST_MAX_INFLIGHT", "1"),
            ("RAISFAST_QUEUE_TIMEOUT_MS", "200"),
        ],
    );
    let admin = server.admin();
    std::thread::scope(|s| {
        // Three at once: one holds the only slot for 4 s, the others wait
        // 200 ms in line and are turned away.
        let calls: Vec<_> = (0..3)
            .map(|_| s.spawn(|| get_with_headers(&server, "/api/v1/plugins/e2e.slow/slow")))
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        // While the slot is taken: the CMS API is turned away the same way,
        // the admin API still answers.
        let (status, retry, body) = get_with_headers(&server, "/api/v1/content");
        assert_eq!((status, retry.as_deref()), (503, Some("1")), "{body}");
        assert_eq!(body["error"]["code"], "overloaded", "{body}");
        let (status, _) = server.call("GET", "/api/v1/admin/plugins", Some(&admin), None);
        assert_eq!(status, 200);
        let mut results: Vec<_> = calls.into_iter().map(|c| c.join().unwrap()).collect();
        results.sort_by_key(|r| r.0);
        assert_eq!(results[0].0, 200, "{results:?}");
        assert_eq!(results[0].2, json!("done"));
        for (status, retry, body) in &results[1..] {
            assert_eq!((*status, retry.as_deref()), (503, Some("1")), "{body}");
            assert_eq!(body["error"]["code"], "overloaded", "{body}");
        }
    });
    // Once the slot is free, requests are served again.
    let (status, _, _) = get_with_headers(&server, "/api/v1/content");
    assert_eq!(status, 200);
}

#[test]
fn admin_totals_are_computed_from_the_handlers() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "m",
        &script_manifest(
            "e2e.metrics",
            "lua",
            &format!("{}{}", route("GET", "/a", "a"), route("GET", "/b", "b")),
        ),
        &[(
            "init.lua",
            "Plugin = { a = function() return 1 end, b = function() local s = 0 for i = 1, 20000 do s = s + i end return s end }\n",
        )],
    );
    let server = Server::start(tmp.path());
    for _ in 0..5 {
        server.call("GET", "/api/v1/plugins/e2e.metrics/a", None, None);
        server.call("GET", "/api/v1/plugins/e2e.metrics/b", None, None);
    }
    let admin = server.admin();
    let (status, d) = server.call(
        "GET",
        "/api/v1/admin/plugins/e2e.metrics",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "{d}");
    let (a, b, t) = (&d["metrics"]["a"], &d["metrics"]["b"], &d["totals"]);
    assert_eq!(t["calls"], json!(10), "{d}");
    assert_eq!(
        a["calls"].as_u64().unwrap() + b["calls"].as_u64().unwrap(),
        10
    );
    let p50 = t["p50_us"].as_u64().unwrap();
    let p99 = t["p99_us"].as_u64().unwrap();
    assert!(p50 > 0 && p99 >= p50, "{t}");
    // Percentiles over the union of both windows: at least the smaller
    // median, and the union's p99 at least the larger median.
    let (a50, b50) = (a["p50_us"].as_u64().unwrap(), b["p50_us"].as_u64().unwrap());
    assert!(p50 >= a50.min(b50) && p99 >= a50.max(b50), "{d}");
}
