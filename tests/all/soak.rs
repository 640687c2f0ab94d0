//! Load, soak and crash safety, bounded and on loopback. The test suite runs
//! short versions; `RAISFAST_SOAK=1` runs the long ones (a million instances,
//! a minute of load, 50 plugins reloading), whose figures are recorded in
//! docs/security.md. Each test prints its figures (`--nocapture`).

use crate::server_support::{Server, plugin, wait_until};
use crate::support::{Harness, script_manifest};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn soak() -> bool {
    std::env::var("RAISFAST_SOAK").is_ok_and(|v| v == "1")
}

/// Resident memory of a process in MiB (Linux).
fn rss_mib(pid: u32) -> f64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

#[test]
fn fresh_instances_leave_resident_memory_flat() {
    let (total, warm) = if soak() {
        (1_000_000, 100_000)
    } else {
        (40_000, 10_000)
    };
    let h = Harness::new();
    let dir = h.plugin_dir().join("tiny");
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = raisfast::toolchain::build_plugin(
        &crate::support::root().join("tests/plugins/tiny"),
        Some(&crate::support::root().join("target/test-guests")),
        true,
    )
    .unwrap();
    std::fs::copy(wasm, dir.join("plugin.wasm")).unwrap();
    std::fs::write(
        dir.join("manifest.toml"),
        "[plugin]\nid = \"soak.tiny\"\nname = \"t\"\nversion = \"0.1.0\"\nruntime = \"wasm\"\n",
    )
    .unwrap();
    h.load_ok();
    let p = h.manager.plugin("soak.tiny").unwrap();
    let fresh = h
        .manager
        .runtime()
        .load(
            Arc::clone(p.context()),
            "plugin.wasm",
            &std::fs::read(dir.join("plugin.wasm")).unwrap(),
            p.limits(),
            raisfast::runtime::InstancePolicy::Fresh,
        )
        .unwrap();
    let payload = r#"{"hook":"on_content_created","id":"x","body":{}}"#;
    let pid = std::process::id();
    let started = Instant::now();
    let mut after_warmup = 0.0;
    for i in 0..total {
        fresh.call_hook("on_content_created", payload, 0).unwrap();
        if i + 1 == warm {
            after_warmup = rss_mib(pid);
        }
    }
    let end = rss_mib(pid);
    let took = started.elapsed();
    println!(
        "SOAK instances: {total} fresh instances in {:.1} s ({:.1} us each); RSS after warm-up {after_warmup:.1} MiB, at the end {end:.1} MiB ({:+.1}%)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / total as f64,
        (end - after_warmup) / after_warmup * 100.0
    );
    assert!(
        end <= after_warmup * 1.10,
        "resident memory grew from {after_warmup:.1} to {end:.1} MiB"
    );
}

/// Hammers `paths` from `threads` clients until `stop`; counts successes and failures.
fn load(
    server: &Server,
    paths: Vec<String>,
    threads: usize,
    stop: Arc<AtomicBool>,
) -> (
    Arc<AtomicU64>,
    Arc<AtomicU64>,
    Vec<std::thread::JoinHandle<()>>,
) {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let paths = Arc::new(paths);
    let handles = (0..threads)
        .map(|t| {
            let (ok, failed, stop, paths) = (
                Arc::clone(&ok),
                Arc::clone(&failed),
                Arc::clone(&stop),
                Arc::clone(&paths),
            );
            let base = server.base.clone();
            std::thread::spawn(move || {
                let agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .new_agent();
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let url = format!("{base}{}", paths[i % paths.len()]);
                    i += 1;
                    match agent.get(&url).call() {
                        Ok(r) if r.status() == 200 => ok.fetch_add(1, Ordering::Relaxed),
                        Ok(r) => {
                            eprintln!("{url}: {}", r.status());
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                        Err(e) => {
                            eprintln!("{url}: {e}");
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
        })
        .collect();
    (ok, failed, handles)
}

#[test]
fn a_route_under_concurrent_load_has_no_errors_and_bounded_memory() {
    let secs = if soak() { 60 } else { 3 };
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "busy",
        &script_manifest(
            "soak.busy",
            "js",
            "[[routes]]\nmethod = \"GET\"\npath = \"/work\"\nhandler = \"work\"\nauth = \"public\"\n",
        ),
        &[(
            "main.js",
            "import { kvGet, kvSet, ok } from 'sdk';\nexport function work(req) {\n  const n = (kvGet('n') ?? 0) + 1;\n  kvSet('n', n);\n  return ok({ n, items: Array.from({ length: 20 }, (_, i) => i * n) });\n}\n",
        )],
    );
    let server = Server::start(tmp.path());
    let pid = server.pid();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed, handles) = load(
        &server,
        vec!["/api/v1/plugins/soak.busy/work".into()],
        8,
        Arc::clone(&stop),
    );
    std::thread::sleep(Duration::from_secs(1));
    let warm = rss_mib(pid);
    std::thread::sleep(Duration::from_secs(secs));
    let end = rss_mib(pid);
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!(
        "SOAK route: {secs} s, 8 clients: {ok} requests ({:.0}/s), {failed} failed; server RSS after warm-up {warm:.1} MiB, at the end {end:.1} MiB",
        ok as f64 / (secs as f64 + 1.0)
    );
    assert_eq!(failed, 0);
    assert!(ok > 0);
    assert!(
        end <= warm * 1.5 + 64.0,
        "server memory grew from {warm:.1} to {end:.1} MiB"
    );
}

#[test]
fn plugins_hot_reloaded_in_a_loop_under_load_fail_no_request() {
    let (count, rounds) = if soak() { (50, 10) } else { (8, 2) };
    let tmp = tempfile::tempdir().unwrap();
    let manifest = |i: usize| {
        script_manifest(
            &format!("soak.p{i}"),
            "js",
            "[[routes]]\nmethod = \"GET\"\npath = \"/v\"\nhandler = \"v\"\nauth = \"public\"\n",
        )
    };
    let dirs: Vec<_> = (0..count)
        .map(|i| {
            plugin(
                tmp.path(),
                &format!("p{i}"),
                &manifest(i),
                &[("main.js", "export function v() { return 0; }\n")],
            )
        })
        .collect();
    let server = Server::start(tmp.path());
    let stop = Arc::new(AtomicBool::new(false));
    let paths = (0..count)
        .map(|i| format!("/api/v1/plugins/soak.p{i}/v"))
        .collect();
    let (ok, failed, handles) = load(&server, paths, 4, Arc::clone(&stop));
    let started = Instant::now();
    for round in 1..=rounds {
        for dir in &dirs {
            std::fs::write(
                dir.join("main.js"),
                format!("export function v() {{ return {round}; }}\n"),
            )
            .unwrap();
        }
        let all_new = wait_until(Duration::from_secs(60), || {
            (0..count).all(|i| {
                server
                    .call("GET", &format!("/api/v1/plugins/soak.p{i}/v"), None, None)
                    .1
                    == json!(round)
            })
        });
        assert!(all_new, "round {round} did not apply: {}", server.output());
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!(
        "SOAK reload: {count} plugins reloaded {rounds} times in {:.1} s under load: {ok} requests, {failed} failed",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(failed, 0);
}

#[test]
fn kill_9_during_writes_loses_no_acknowledged_write() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    plugin(
        root,
        "ledger",
        &script_manifest(
            "soak.ledger",
            "js",
            "[[routes]]\nmethod = \"POST\"\npath = \"/entries\"\nhandler = \"add\"\nauth = \"public\"\n",
        ),
        &[
            (
                "main.js",
                "import { dbExecute, newId, ok } from 'sdk';\nexport function add(req) {\n  const id = newId();\n  dbExecute('INSERT INTO ledger_entries (id, amount) VALUES (?, ?)', [id, req.json.amount]);\n  return ok({ id });\n}\n",
            ),
            (
                "migrations/001.sql",
                "CREATE TABLE ledger_entries (id TEXT PRIMARY KEY, amount INTEGER NOT NULL);",
            ),
        ],
    );
    let mut server = Server::start(root);
    let token = server.admin();
    let acked_plugin = Arc::new(std::sync::Mutex::new(Vec::new()));
    let acked_core = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for t in 0..4 {
        let (base, stop, token) = (server.base.clone(), Arc::clone(&stop), token.clone());
        let (acked_plugin, acked_core) = (Arc::clone(&acked_plugin), Arc::clone(&acked_core));
        handles.push(std::thread::spawn(move || {
            let agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(5)))
                .build()
                .new_agent();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let (path, body) = if t % 2 == 0 {
                    (
                        "/api/v1/plugins/soak.ledger/entries".to_string(),
                        json!({"amount": n}),
                    )
                } else {
                    (
                        "/api/v1/content".to_string(),
                        json!({"title": format!("post {t}-{n}")}),
                    )
                };
                let resp = agent
                    .post(format!("{base}{path}"))
                    .header("authorization", &format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .send(body.to_string());
                // Only a complete 200/201 answer is an acknowledged write.
                if let Ok(mut r) = resp
                    && (r.status() == 200 || r.status() == 201)
                    && let Ok(text) = r.body_mut().read_to_string()
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
                {
                    let id = v["id"].as_str().unwrap_or_default().to_string();
                    if t % 2 == 0 {
                        acked_plugin.lock().unwrap().push(id)
                    } else {
                        acked_core.lock().unwrap().push(id)
                    }
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(if soak() { 10_000 } else { 1500 }));
    server.kill_9();
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let db = rusqlite::Connection::open(root.join("data/raisfast.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let plugin_ids = acked_plugin.lock().unwrap().clone();
    let core_ids = acked_core.lock().unwrap().clone();
    for id in &plugin_ids {
        let n: i64 = db
            .query_row(
                "SELECT count(*) FROM ledger_entries WHERE id = ?",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "acknowledged plugin write {id} is missing");
    }
    for id in &core_ids {
        let n: i64 = db
            .query_row("SELECT count(*) FROM content WHERE id = ?", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1, "acknowledged content {id} is missing");
    }
    println!(
        "SOAK crash: kill -9 under write load; {} plugin writes and {} content items acknowledged, all present; integrity_check ok",
        plugin_ids.len(),
        core_ids.len()
    );
    assert!(!plugin_ids.is_empty() && !core_ids.is_empty());
    // And the server starts again on that database.
    let server = Server::start(root);
    assert_eq!(server.call("GET", "/api/v1/content", None, None).0, 200);
}
