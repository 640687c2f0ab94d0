//! Plugin writes under concurrency, over HTTP on loopback, driven by `wrk`.
//!
//! The real server application serves one JS plugin with two public routes:
//! `GET /write` stores one KV entry (one write transaction), `GET /read` reads
//! one. Each runs at 16 and at 256 open connections, the rounds interleaved;
//! the read-only route is the baseline measured in the same run. Writers wait
//! in the process's writer line ([`raisfast::storage`]), requests beyond the
//! in-flight bound in the server's line: the goal is that 256 connections
//! keep at least 90% of the requests/s of 16, with p99 at most 50 ms.
//!
//! `cargo bench -p raisfast-benches --bench route_write` (needs `wrk`).
//! `RAISFAST_BENCH_SECONDS` sets each run's length (default 10),
//! `RAISFAST_BENCH_ROUNDS` the interleaved rounds (default 3).

use raisfast_benches::load::{Run, env_or, get_text, serve_app, wrk_with};
use raisfast_benches::{root, settings};
use std::process::Command;

const MANIFEST: &str = r#"[plugin]
id = "bench.writer"
name = "writer"
version = "0.1.0"
runtime = "js"

[[routes]]
method = "GET"
path = "/write"
handler = "write"
auth = "public"

[[routes]]
method = "GET"
path = "/read"
handler = "read"
auth = "public"
"#;

const SOURCE: &str = "import { kvGet, kvSet } from 'sdk';\n\
export function write() { kvSet('last', Date.now()); return 'ok'; }\n\
export function read() { return kvGet('last') ?? 0; }\n";

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benches; this one needs a load generator.
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("route_write: wrk is not installed (apt-get install wrk)");
        std::process::exit(1);
    }
    let tmp = tempfile::tempdir().unwrap();
    let settings = settings(tmp.path(), &root().join("target/bench-compile-cache"));
    let dir = settings.plugin_dir.join("writer");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("manifest.toml"), MANIFEST).unwrap();
    std::fs::write(dir.join("main.js"), SOURCE).unwrap();
    let limit = settings.server.inflight_limit();
    let served = serve_app(settings);
    let server = served.addr;
    let base = format!("http://{server}/api/v1/plugins/bench.writer");
    assert!(get_text(&format!("{base}/write")).contains("200 OK"));
    println!(
        "route_write: GET /write (one KV write) beside GET /read; wrk -t1, {}s runs; {} cores; in-flight bound {}",
        env_or("RAISFAST_BENCH_SECONDS", 10),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        limit,
    );
    let rounds = env_or("RAISFAST_BENCH_ROUNDS", 3).max(1) as usize;
    let targets: Vec<(&str, u64)> =
        vec![("read", 16), ("read", 256), ("write", 16), ("write", 256)];
    let mut runs: Vec<Vec<Run>> = targets.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds {
        for (i, (route, conns)) in targets.iter().enumerate() {
            runs[i].push(wrk_with(&format!("{base}/{route}"), *conns));
        }
    }
    let medians: Vec<Run> = runs
        .iter_mut()
        .map(|r| {
            r.sort_by(|a, b| a.rps.total_cmp(&b.rps));
            r[r.len() / 2]
        })
        .collect();
    println!("median of {rounds} interleaved rounds");
    println!(
        "{:<6} {:>6} {:>10} {:>10} {:>10} {:>12}",
        "route", "conns", "req/s", "p50 ms", "p99 ms", "vs 16 conns"
    );
    for (i, (route, conns)) in targets.iter().enumerate() {
        let r = medians[i];
        let at16 = medians[i - i % 2];
        let all: Vec<String> = runs[i].iter().map(|r| format!("{:.0}", r.rps)).collect();
        println!(
            "{:<6} {:>6} {:>10.0} {:>10.3} {:>10.3} {:>12.2}   (rounds: {})",
            route,
            conns,
            r.rps,
            r.p50_ms,
            r.p99_ms,
            r.rps / at16.rps,
            all.join(", ")
        );
    }
    served.dispatcher.shutdown();
}
