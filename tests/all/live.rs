//! End to end, over time: cron ticks, events between runtimes, hot reload,
//! and the admin API across restarts.

use crate::backend::{Backend, TestDb};
use crate::server_support::{Server, plugin, wait_until};
use crate::support::script_manifest;
use serde_json::{Value, json};
use std::time::Duration;

const PUBLIC: &str = "auth = \"public\"";

crate::backend::on_both_backends!(
    a_cron_job_runs_once_per_tick,
    events_cross_runtimes_and_a_loop_stops_at_the_depth_limit,
    admin_changes_survive_a_restart,
);

fn a_cron_job_runs_once_per_tick(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let db = backend.database();
    plugin(
        tmp.path(),
        "ticker",
        &script_manifest(
            "e2e.ticker",
            "js",
            &format!(
                "[[cron]]\nname = \"every-second\"\nschedule = \"* * * * * *\"\nhandler = \"tick\"\n\n[[routes]]\nmethod = \"GET\"\npath = \"/ticks\"\nhandler = \"ticks\"\n{PUBLIC}\n"
            ),
        ),
        &[(
            "main.js",
            "import { kvGet, kvSet } from 'sdk';\n\
             export function tick(input) {\n  const at = JSON.parse(input).body.scheduled_at;\n  const seen = kvGet('ticks') ?? [];\n  seen.push(at);\n  kvSet('ticks', seen);\n}\n\
             export function ticks() { return kvGet('ticks') ?? []; }\n",
        )],
    );
    let server = Server::start_on(tmp.path(), &db);
    let ticks = || {
        server
            .call("GET", "/api/v1/plugins/e2e.ticker/ticks", None, None)
            .1
    };
    assert!(
        wait_until(Duration::from_secs(15), || ticks()
            .as_array()
            .is_some_and(|t| t.len() >= 3)),
        "{}",
        server.output()
    );
    let t: Vec<i64> = ticks()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    for pair in t.windows(2) {
        assert!(pair[1] - pair[0] >= 1000, "one run per tick: {t:?}");
        assert_eq!(pair[1] % 1000, 0);
    }
    let admin = server.admin();
    let (_, detail) = server.call(
        "GET",
        "/api/v1/admin/plugins/e2e.ticker",
        Some(&admin),
        None,
    );
    let runs = detail["cron_runs"].as_array().unwrap();
    assert!(
        runs.iter()
            .any(|r| r["outcome"] == "ok" && r["job"] == "every-second"),
        "{detail}"
    );
    // Ticks missed while the server is down run once when it is back, not in a burst.
    drop(server.stop());
    let last = *ticks_of(&tmp, &db).last().unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let restarted_at = now_ms();
    let server = Server::start_on(tmp.path(), &db);
    assert!(
        wait_until(Duration::from_secs(15), || ticks_of(&tmp, &db)
            .iter()
            .any(|t| *t > restarted_at)),
        "{}",
        server.output()
    );
    let missed: Vec<i64> = ticks_of(&tmp, &db)
        .into_iter()
        .filter(|t| *t > last && *t < restarted_at)
        .collect();
    assert_eq!(
        missed.len(),
        1,
        "one catch-up run for the missed ticks: {missed:?}"
    );
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The ticks the ticker recorded, read from its KV in the database.
fn ticks_of(tmp: &tempfile::TempDir, db: &TestDb) -> Vec<i64> {
    db.text(
        &tmp.path().join("data"),
        "SELECT value FROM raisfast_kv WHERE plugin_id = 'e2e.ticker' AND key = 'ticks'",
    )
    .and_then(|v| serde_json::from_str::<Vec<i64>>(&v).ok())
    .unwrap_or_default()
}

fn events_cross_runtimes_and_a_loop_stops_at_the_depth_limit(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    plugin(
        root,
        "pinger",
        &script_manifest(
            "e2e.pinger",
            "js",
            &format!(
                "[hooks.\"e2e.loop\"]\nhandler = \"loop_a\"\n\n[[routes]]\nmethod = \"POST\"\npath = \"/ping\"\nhandler = \"ping\"\n{PUBLIC}\n\n[[routes]]\nmethod = \"POST\"\npath = \"/loop\"\nhandler = \"start_loop\"\n{PUBLIC}\n\n[[routes]]\nmethod = \"GET\"\npath = \"/loops\"\nhandler = \"loops\"\n{PUBLIC}\n"
            ),
        ),
        &[(
            "main.js",
            "import { emit, kvGet, kvSet } from 'sdk';\n\
             export function ping() { emit('e2e.ping', { n: 1 }); return 'sent'; }\n\
             export function start_loop() { emit('e2e.loop', {}); return 'started'; }\n\
             export function loop_a(input) { kvSet('loops', (kvGet('loops') ?? 0) + 1); emit('e2e.loop', {}); }\n\
             export function loops() { return kvGet('loops') ?? 0; }\n",
        )],
    );
    plugin(
        root,
        "ponger",
        &script_manifest(
            "e2e.ponger",
            "rhai",
            &format!(
                "[[routes]]\nmethod = \"GET\"\npath = \"/got\"\nhandler = \"got\"\n{PUBLIC}\n"
            ),
        ),
        &[(
            "init.rhai",
            "fn e2e_ping(input) {\n    kv_set(\"got\", input.body.n);\n    kv_set(\"from\", input.emitter);\n}\n\
             fn got(req) { #{ got: kv_get(\"got\"), from: kv_get(\"from\") } }\n",
        )],
    );
    let server = Server::start_on(root, &backend.database());
    assert_eq!(
        server
            .call("POST", "/api/v1/plugins/e2e.pinger/ping", None, None)
            .1,
        "sent"
    );
    assert!(
        wait_until(Duration::from_secs(10), || server
            .call("GET", "/api/v1/plugins/e2e.ponger/got", None, None)
            .1
            == json!({"got": 1, "from": "e2e.pinger"})),
        "the Rhai plugin got the JS plugin's event: {}",
        server.output()
    );
    server.call("POST", "/api/v1/plugins/e2e.pinger/loop", None, None);
    let loops = || {
        server
            .call("GET", "/api/v1/plugins/e2e.pinger/loops", None, None)
            .1
    };
    assert!(
        wait_until(Duration::from_secs(10), || loops() == json!(8)),
        "{}",
        loops()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(loops(), json!(8), "the loop stopped at depth 8");
    assert!(
        server.output().contains("event chain is 8 deep"),
        "{}",
        server.output()
    );
}

#[test]
fn hot_reload_swaps_versions_and_keeps_serving_through_a_broken_one() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let manifest = script_manifest(
        "e2e.hot",
        "js",
        &format!("[[routes]]\nmethod = \"GET\"\npath = \"/v\"\nhandler = \"v\"\n{PUBLIC}\n"),
    );
    let dir = plugin(
        root,
        "hot",
        &manifest,
        &[("main.js", "export function v() { return 'v1'; }\n")],
    );
    let server = Server::start(root);
    let v = || {
        server
            .call("GET", "/api/v1/plugins/e2e.hot/v", None, None)
            .1
    };
    assert_eq!(v(), json!("v1"));
    std::fs::write(
        dir.join("main.js"),
        "export function v() { return 'v2'; }\n",
    )
    .unwrap();
    assert!(
        wait_until(Duration::from_secs(3), || v() == json!("v2")),
        "changed within 3 s: {}",
        server.output()
    );
    std::fs::write(dir.join("main.js"), "export function v( { return 'v3';\n").unwrap();
    assert!(
        server.wait_for_output(
            "reload failed, the previous version keeps serving",
            Duration::from_secs(5)
        ),
        "{}",
        server.output()
    );
    assert_eq!(v(), json!("v2"), "the old version keeps serving");
    let admin = server.admin();
    let (_, detail) = server.call("GET", "/api/v1/admin/plugins/e2e.hot", Some(&admin), None);
    assert!(
        detail["health"]["reload_error"]
            .as_str()
            .unwrap_or("")
            .contains("SyntaxError"),
        "{detail}"
    );
    // A new plugin directory loads; a deleted one unloads.
    plugin(
        root,
        "late",
        &script_manifest(
            "e2e.late",
            "lua",
            &format!("[[routes]]\nmethod = \"GET\"\npath = \"/x\"\nhandler = \"x\"\n{PUBLIC}\n"),
        ),
        &[(
            "init.lua",
            "Plugin = { x = function() return 'late' end }\n",
        )],
    );
    assert!(wait_until(Duration::from_secs(5), || server
        .call("GET", "/api/v1/plugins/e2e.late/x", None, None)
        .1
        == json!("late")));
    std::fs::remove_dir_all(root.join("plugins/late")).unwrap();
    assert!(wait_until(Duration::from_secs(5), || server
        .call("GET", "/api/v1/plugins/e2e.late/x", None, None)
        .0
        == 404));
}

fn state(server: &Server, token: &str, id: &str) -> Value {
    server
        .call(
            "GET",
            &format!("/api/v1/admin/plugins/{id}"),
            Some(token),
            None,
        )
        .1["plugin"]["state"]
        .clone()
}

fn admin_changes_survive_a_restart(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let db = backend.database();
    let root = tmp.path();
    let route = format!("[[routes]]\nmethod = \"GET\"\npath = \"/v\"\nhandler = \"v\"\n{PUBLIC}\n");
    plugin(
        root,
        "a",
        &script_manifest("e2e.a", "js", &route),
        &[("main.js", "export function v() { return 'a'; }\n")],
    );
    plugin(
        root,
        "b",
        &script_manifest("e2e.b", "js", &route),
        &[(
            "main.js",
            "import { kvSet } from 'sdk';\nexport function v() { kvSet('seen', true); return 'b'; }\n",
        )],
    );
    let server = Server::start_on(root, &db);
    let admin = server.admin();
    let user = server.user("carol");
    let (status, _) = server.call("GET", "/api/v1/admin/plugins", Some(&user), None);
    assert_eq!(status, 403, "the admin API is for admins");
    let (status, list) = server.call("GET", "/api/v1/admin/plugins", Some(&admin), None);
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        server.call("GET", "/api/v1/plugins/e2e.b/v", None, None).1,
        json!("b")
    );
    let (status, s) = server.call(
        "POST",
        "/api/v1/admin/plugins/e2e.a/disable",
        Some(&admin),
        None,
    );
    assert_eq!((status, s["state"].clone()), (200, json!("disabled")));
    assert_eq!(
        server.call("GET", "/api/v1/plugins/e2e.a/v", None, None).0,
        503
    );
    let (status, _) = server.call(
        "DELETE",
        "/api/v1/admin/plugins/e2e.b?purge=true",
        Some(&admin),
        None,
    );
    assert_eq!(status, 204);
    assert_eq!(
        server.call("GET", "/api/v1/plugins/e2e.b/v", None, None).0,
        503
    );
    let (_, detail) = server.call("GET", "/api/v1/admin/plugins/e2e.b", Some(&admin), None);
    assert_eq!(detail["plugin"]["state"], "uninstalled");
    drop(server.stop());
    let server = Server::start_on(root, &db);
    let admin = server.admin();
    assert_eq!(state(&server, &admin, "e2e.a"), "disabled");
    assert_eq!(state(&server, &admin, "e2e.b"), "uninstalled");
    assert!(
        server.output().contains("plugin disabled: e2e.a"),
        "{}",
        server.output()
    );
    let (status, s) = server.call(
        "POST",
        "/api/v1/admin/plugins/e2e.a/enable",
        Some(&admin),
        None,
    );
    assert_eq!((status, s["state"].clone()), (200, json!("active")));
    assert_eq!(
        server.call("GET", "/api/v1/plugins/e2e.a/v", None, None).1,
        json!("a")
    );
    let (status, _) = server.call(
        "POST",
        "/api/v1/admin/plugins/e2e.b/enable",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "enable reinstalls");
    assert_eq!(
        server.call("GET", "/api/v1/plugins/e2e.b/v", None, None).1,
        json!("b")
    );
    let (_, detail) = server.call("GET", "/api/v1/admin/plugins/e2e.b", Some(&admin), None);
    assert!(
        detail["metrics"]["v"]["calls"].as_u64().unwrap() >= 1,
        "{detail}"
    );
    assert!(detail["manifest"]["plugin"]["id"] == "e2e.b", "{detail}");
    let out = server.stop();
    assert!(
        out.contains("shutting down") && out.contains("stopped"),
        "{out}"
    );
}
