//! Plugin route throughput and latency over HTTP on loopback, driven by `wrk`.
//!
//! The real server application (`raisfast::server::app`: routing, auth,
//! header filtering, a fresh or pooled instance per request) serves the
//! fixture plugins' `GET /items/:id` route in each runtime: read the row of
//! that id from the plugin's own table, answer it as JSON. The baseline,
//! measured in the same run on the same tokio runtime and the same SQLite
//! pool: a native poem handler doing the same work (the same query through
//! RaisFast's host API, the row as JSON).
//!
//! `cargo bench -p raisfast-benches --bench route_http` (needs `wrk`:
//! `apt-get install wrk`). `RAISFAST_BENCH_SECONDS` sets each run's length
//! (default 10), `RAISFAST_BENCH_CONNECTIONS` the open connections (default
//! 16), `RAISFAST_BENCH_ROUNDS` the interleaved rounds (default 3),
//! `RAISFAST_BENCH_ONLY` a runtime to load besides the native baseline
//! (`js`, `lua`, `rhai` or `rust`; for profiling one of them).

use poem::web::{Json, Path};
use poem::{EndpointExt, IntoResponse, Response, Route, get, handler};
use raisfast::host_api::{CallState, PluginContext, db};
use raisfast_benches::load::{Run, Served, env_or, get_text, listen, serve_app, wrk};
use raisfast_benches::{RUNTIMES, id, install_fixture, label, root, settings};
use serde_json::Value;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// The native baseline's handler: the same query through the host API.
#[handler]
async fn native_item(Path(item): Path<i64>, ctx: poem::web::Data<&Arc<PluginContext>>) -> Response {
    let ctx = Arc::clone(&ctx);
    let rows = tokio::task::spawn_blocking(move || {
        let mut call = CallState::new("get_item", Duration::from_secs(5), 0);
        let params = format!("[{item}]");
        db::query(
            &ctx,
            &mut call,
            "SELECT id, title FROM js_items WHERE id = ?",
            &params,
        )
    })
    .await
    .unwrap()
    .unwrap();
    let rows: Vec<Value> = serde_json::from_str(&rows).unwrap();
    match rows.into_iter().next() {
        Some(row) => Json(row).into_response(),
        None => Response::builder()
            .status(poem::http::StatusCode::NOT_FOUND)
            .finish(),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benches; this one needs a load generator.
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("route_http needs wrk on the PATH: apt-get install wrk");
        std::process::exit(1);
    }
    let tmp = tempfile::tempdir().unwrap();
    let settings = settings(tmp.path(), &root().join("target/bench-compile-cache"));
    install_fixture(&settings.plugin_dir);
    let Served {
        rt,
        addr: server,
        manager,
        dispatcher,
    } = serve_app(settings);
    let js_ctx = Arc::clone(manager.plugin(&id(RUNTIMES[0])).unwrap().context());
    let native = rt.block_on(listen(
        Route::new().at("/items/:id", get(native_item)).data(js_ctx),
    ));
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    println!(
        "route_http: GET /items/1 (row read, JSON); wrk -t1 -c{} -d{}s; {} cores, {machine}",
        env_or("RAISFAST_BENCH_CONNECTIONS", 16),
        env_or("RAISFAST_BENCH_SECONDS", 10),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let rounds = env_or("RAISFAST_BENCH_ROUNDS", 3).max(1) as usize;
    let mut targets = vec![("native".to_string(), format!("http://{native}/items/1"))];
    for kind in RUNTIMES {
        let url = format!("http://{server}/api/v1/plugins/{}/items/1", id(kind));
        let check = get_text(&url);
        assert!(check.contains("Related post"), "{url}: {check}");
        targets.push((label(kind).to_string(), url));
    }
    // Rounds interleave the targets, so that a noisy neighbour on the
    // machine spreads over all of them; each figure is the median round.
    let mut runs: Vec<Vec<Run>> = targets.iter().map(|_| Vec::new()).collect();
    let only = std::env::var("RAISFAST_BENCH_ONLY").ok();
    for _ in 0..rounds {
        for (i, (name, url)) in targets.iter().enumerate() {
            if only.as_deref().is_some_and(|o| i > 0 && o != name) {
                continue;
            }
            runs[i].push(wrk(url));
        }
    }
    let median = |runs: &mut Vec<Run>| -> Run {
        runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
        let m = &runs[runs.len() / 2];
        *m
    };
    println!("median of {rounds} interleaved rounds");
    println!(
        "{:<8} {:>10} {:>10} {:>10} {:>14}",
        "runtime", "req/s", "p50 ms", "p99 ms", "vs native"
    );
    let baseline = median(&mut runs[0]);
    for (i, (name, _)) in targets.iter().enumerate() {
        if runs[i].is_empty() {
            continue;
        }
        let r = median(&mut runs[i]);
        let all: Vec<String> = runs[i].iter().map(|r| format!("{:.0}", r.rps)).collect();
        println!(
            "{:<8} {:>10.0} {:>10.3} {:>10.3} {:>14.2}   (rounds: {})",
            name,
            r.rps,
            r.p50_ms,
            r.p99_ms,
            r.rps / baseline.rps,
            all.join(", ")
        );
    }
    dispatcher.shutdown();
}
