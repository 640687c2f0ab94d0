//! Resident memory per loaded plugin and per in-flight call, per runtime.
//!
//! Each figure is measured in a child process of its own (this binary run
//! again with `--child ...`), so that one measurement's allocations do not
//! hide in the next one's:
//!
//! - **per loaded plugin**: RSS after loading `N` distinct plugins of one
//!   runtime from a warm compile cache, minus RSS of the same process with the
//!   manager started and no plugin, divided by `N`. Baseline, in the same run:
//!   the native model keeps one interpreter per plugin with its script loaded
//!   (`N` fresh interpreters kept alive).
//! - **per in-flight call**: `C` threads call a busy handler (`spin`) at once
//!   (fresh instances for scripts, a pool for Rust); the peak RSS while all are
//!   running minus RSS before, divided by `C`. Baseline: `C` native
//!   interpreters running the same loop at once.
//!
//! `cargo bench -p raisfast-benches --bench memory`

use raisfast::manager::PluginManager;
use raisfast::manifest::RuntimeKind;
use raisfast_benches::{
    PAYLOAD, RUNTIMES, id, install_fixture, install_many, label, native, root, run_child, settings,
};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Plugins loaded for the per-plugin figure.
const PLUGINS: usize = 40;
/// Calls in flight at once for the per-call figure.
const CALLS: usize = 32;

fn rss_kb() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

fn kind_of(name: &str) -> RuntimeKind {
    RUNTIMES.into_iter().find(|k| label(*k) == name).unwrap()
}

/// Child: KiB per loaded plugin of `kind`, then of its native model.
fn loaded(kind: RuntimeKind) -> (f64, f64) {
    let tmp = tempfile::tempdir().unwrap();
    let s = settings(tmp.path(), &root().join("target/bench-compile-cache"));
    std::fs::create_dir_all(&s.plugin_dir).unwrap();
    // Only plugins of `kind`: install 4N of the mixed set, keep one in four.
    install_many(&s.plugin_dir, PLUGINS * 4, "memory");
    for entry in std::fs::read_dir(&s.plugin_dir).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = std::fs::read_to_string(dir.join("manifest.toml")).unwrap();
        if !manifest.contains(&format!("runtime = \"{}\"", kind.as_str())) {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }
    let manager = PluginManager::new(s).unwrap();
    let before = rss_kb();
    let report = manager.load_all();
    assert_eq!(report.loaded.len(), PLUGINS, "{:?}", report.failed);
    let wasm = (rss_kb() - before) as f64 / PLUGINS as f64;
    let before = rss_kb();
    let kept = native::keep_loaded(kind, PLUGINS);
    let native = (rss_kb() - before) as f64 / PLUGINS as f64;
    drop(kept);
    (wasm, native)
}

/// Runs `call` on `CALLS` threads at once; KiB of peak RSS per call.
fn in_flight(call: impl Fn() + Sync) -> f64 {
    let before = rss_kb();
    let peak = AtomicU64::new(before);
    let done = AtomicBool::new(false);
    let start = Barrier::new(CALLS + 1);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kb(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_micros(500));
            }
        });
        let workers: Vec<_> = (0..CALLS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    call();
                })
            })
            .collect();
        start.wait();
        for w in workers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    (peak.load(Ordering::Relaxed) - before) as f64 / CALLS as f64
}

/// Child: KiB per in-flight call of `kind`, then of its native model.
fn calls(kind: RuntimeKind) -> (f64, f64) {
    let tmp = tempfile::tempdir().unwrap();
    let s = settings(tmp.path(), &root().join("target/bench-compile-cache"));
    install_fixture(&s.plugin_dir);
    let manager = PluginManager::new(s).unwrap();
    let report = manager.load_all();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let plugin = id(kind);
    let call = || {
        manager
            .call_hook_at(
                &plugin,
                "spin",
                PAYLOAD,
                0,
                raisfast::manager::Cause::Direct,
            )
            .map_err(|f| f.error)
            .unwrap();
    };
    call(); // warm: the first call maps the image.
    let wasm = in_flight(call);
    let native = in_flight(|| native::spin(kind));
    (wasm, native)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let kind = kind_of(&args[i + 2]);
        let (wasm, native) = match args[i + 1].as_str() {
            "loaded" => loaded(kind),
            _ => calls(kind),
        };
        println!("{wasm:.0} {native:.0}");
        return;
    }
    let child = |what: &str, kind: RuntimeKind| -> (f64, f64) {
        let n = run_child(what, label(kind));
        (n[0], n[1])
    };
    println!(
        "memory: KiB resident per loaded plugin ({PLUGINS} distinct plugins, warm cache) and per in-flight call ({CALLS} at once); native = in-process interpreters"
    );
    println!(
        "{:<8} {:>12} {:>12} {:>12} {:>12}",
        "runtime", "plugin", "native", "call", "native"
    );
    for kind in RUNTIMES {
        child("loaded", kind); // fills the compile cache: the figure is a warm start
        let (p, pn) = child("loaded", kind);
        let (c, cn) = child("calls", kind);
        println!(
            "{:<8} {:>12.0} {:>12.0} {:>12.0} {:>12.0}",
            label(kind),
            p,
            pn,
            c,
            cn
        );
    }
}
