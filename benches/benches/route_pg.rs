//! A plugin route that reads one row, on SQLite and on PostgreSQL; and read
//! throughput of one node against three nodes on one PostgreSQL. Over HTTP
//! on loopback, driven by `wrk`, rounds interleaved; SQLite (and one node)
//! is the baseline measured in the same run.
//!
//! On a machine of two cores, three nodes and the database share the same
//! two cores: the 3-node figure shows the cost of sharing a database, not
//! the gain of more machines.
//!
//! `cargo bench -p raisfast-benches --bench route_pg` (needs `wrk` and
//! PostgreSQL's programs). `RAISFAST_BENCH_SECONDS` sets each run's length
//! (default 10), `RAISFAST_BENCH_ROUNDS` the interleaved rounds (default 3).

use raisfast_benches::load::{Run, env_or, get_text, serve_app, wrk_with};
use raisfast_benches::pg::PgCluster;
use raisfast_benches::{root, settings};
use std::process::Command;

const MANIFEST: &str = r#"[plugin]
id = "bench.reader"
name = "reader"
version = "0.1.0"
runtime = "js"

[[routes]]
method = "GET"
path = "/row"
handler = "row"
auth = "public"
"#;

const SOURCE: &str = "import { dbQuery } from 'sdk';\n\
export function row() { return dbQuery('SELECT id, name FROM reader_items WHERE id = ?', [1])[0]; }\n";

const MIGRATION: &str = "CREATE TABLE reader_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
     INSERT INTO reader_items (id, name) VALUES (1, 'one');\n";

/// Serves the reader plugin on a fresh data directory, on `url` if given.
fn node(url: Option<&str>) -> (tempfile::TempDir, raisfast_benches::load::Served) {
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = settings(tmp.path(), &root().join("target/bench-compile-cache"));
    settings.database.url = url.map(str::to_string);
    let dir = settings.plugin_dir.join("reader");
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(dir.join("manifest.toml"), MANIFEST).unwrap();
    std::fs::write(dir.join("main.js"), SOURCE).unwrap();
    std::fs::write(dir.join("migrations/001.sql"), MIGRATION).unwrap();
    let served = serve_app(settings);
    (tmp, served)
}

fn url_of(served: &raisfast_benches::load::Served) -> String {
    format!("http://{}/api/v1/plugins/bench.reader/row", served.addr)
}

/// `wrk` on every URL at once; the sum of their requests/s.
fn together(urls: &[String], connections: u64) -> Run {
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = urls
            .iter()
            .map(|u| s.spawn(move || wrk_with(u, connections)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    Run {
        rps: runs.iter().map(|r| r.rps).sum(),
        p50_ms: runs.iter().map(|r| r.p50_ms).fold(0.0, f64::max),
        p99_ms: runs.iter().map(|r| r.p99_ms).fold(0.0, f64::max),
    }
}

fn median(mut runs: Vec<Run>) -> (Run, String) {
    let all: Vec<String> = runs.iter().map(|r| format!("{:.0}", r.rps)).collect();
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    (runs[runs.len() / 2], all.join(", "))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benches; this one needs a load generator.
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("route_pg: wrk is not installed (apt-get install wrk)");
        std::process::exit(1);
    }
    let pg = PgCluster::start();
    let url = pg.database();
    let sqlite = node(None);
    let nodes: Vec<_> = (0..3).map(|_| node(Some(&url))).collect();
    let urls: Vec<String> = nodes.iter().map(|(_, s)| url_of(s)).collect();
    for u in urls.iter().chain([url_of(&sqlite.1)].iter()) {
        assert!(get_text(u).contains("200 OK"), "{u}");
    }
    println!(
        "route_pg: GET /row (one row by primary key); wrk -t1, 16 connections per node, {}s runs; {} cores",
        env_or("RAISFAST_BENCH_SECONDS", 10),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let rounds = env_or("RAISFAST_BENCH_ROUNDS", 3).max(1) as usize;
    let (mut lite, mut one, mut three) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        lite.push(wrk_with(&url_of(&sqlite.1), 16));
        one.push(wrk_with(&urls[0], 16));
        three.push(together(&urls, 16));
    }
    let (lite, lite_all) = median(lite);
    let (one, one_all) = median(one);
    let (three, three_all) = median(three);
    println!("median of {rounds} interleaved rounds");
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>14}",
        "setup", "req/s", "p50 ms", "p99 ms", "vs baseline"
    );
    let row = |name: &str, r: Run, base: Run, all: &str| {
        println!(
            "{:<26} {:>10.0} {:>10.3} {:>10.3} {:>14.2}   (rounds: {all})",
            name,
            r.rps,
            r.p50_ms,
            r.p99_ms,
            r.rps / base.rps
        );
    };
    row("SQLite, 1 node (baseline)", lite, lite, &lite_all);
    row("PostgreSQL, 1 node", one, lite, &one_all);
    row("PostgreSQL, 3 nodes", three, one, &three_all);
    println!("(the 3-node ratio is against 1 node on PostgreSQL)");
    for (_, s) in &nodes {
        s.dispatcher.shutdown();
    }
    sqlite.1.dispatcher.shutdown();
}
