//! Many plugins: start-up from an empty compile cache and resident memory
//! per plugin, with mid-sized distinct script plugins (issue 17's figures).
//!
//! `N` distinct plugins of one runtime ([`sized_source`]: about 10 KB, a
//! 200-entry table and 100 small functions), each in a child process of its
//! own:
//!
//! - **cold start**: the plugin manager started and every plugin loaded
//!   (snapshotted, linked) with an empty compile cache, in seconds.
//!   Baseline: `N` native interpreters with the source loaded.
//! - **per plugin, called once**: RSS after loading them all (warm cache)
//!   and calling each plugin's hook once, minus RSS of the started manager
//!   with no plugin, divided by `N` (also printed: after loading, before any
//!   call), and what each plugin after the first adds (the first call of a
//!   runtime also maps engine code that every later call shares).
//!   Baseline: `N` native interpreters kept alive, each with its source
//!   loaded and the hook called once. With the default `warm_memory_mb`,
//!   plugins called once wait on probation (1/64 of the budget), so all but
//!   the last few called are cold again; the figure is also taken with a
//!   budget of [`SMALL_WARM_MB`].
//!
//! `cargo bench -p raisfast-benches --bench many_plugins`

use raisfast::manager::{Cause, PluginManager};
use raisfast::manifest::RuntimeKind;
use raisfast_benches::{PAYLOAD, install_sized, native, run_child, settings, sized_native_source};
use std::time::Instant;

/// Plugins per runtime.
const PLUGINS: usize = 40;
/// A warm budget (`[runtime] warm_memory_mb`) that keeps a few plugins warm.
const SMALL_WARM_MB: u32 = 4;
const KINDS: [RuntimeKind; 3] = [RuntimeKind::Js, RuntimeKind::Lua, RuntimeKind::Rhai];

fn rss_kb() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

/// With `MANY_PLUGINS_MAPPINGS` set: resident KiB per mapped file (the
/// compiled state modules and engines summed), to stderr.
fn mappings(when: &str) {
    if std::env::var_os("MANY_PLUGINS_MAPPINGS").is_none() {
        return;
    }
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut by: std::collections::BTreeMap<String, u64> = Default::default();
    let mut name = String::new();
    for line in smaps.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() >= 5 && t[0].contains('-') && t[1].len() == 4 {
            let path = t.get(5).copied().unwrap_or("[anon]");
            name = if path.ends_with(".state.cwasm") {
                "*.state.cwasm (plugins)".into()
            } else if path.ends_with(".cwasm") {
                "*.cwasm (engines)".into()
            } else {
                path.into()
            };
        } else if t[0] == "Rss:" {
            *by.entry(name.clone()).or_default() += t[1].parse::<u64>().unwrap();
        }
    }
    let mut v: Vec<_> = by.into_iter().filter(|(_, k)| *k >= 512).collect();
    v.sort_by_key(|(_, k)| std::cmp::Reverse(*k));
    eprintln!("{when}: {v:?}");
}

/// Resident anonymous memory (heap, and the pages instances wrote): the
/// memory that is the process's own, unlike clean pages of mapped files,
/// which the page cache shares and the kernel can drop.
fn anon_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Child: seconds to start with an empty compile cache, then native.
fn cold(kind: RuntimeKind) -> (f64, f64) {
    let tmp = tempfile::tempdir().unwrap();
    let s = settings(tmp.path(), &tmp.path().join("empty-cache"));
    install_sized(&s.plugin_dir, kind, PLUGINS);
    let started = Instant::now();
    let manager = PluginManager::new(s).unwrap();
    let report = manager.load_all();
    let wasm = started.elapsed().as_secs_f64();
    assert_eq!(report.loaded.len(), PLUGINS, "{:?}", report.failed);
    let sources: Vec<String> = (0..PLUGINS).map(|i| sized_native_source(kind, i)).collect();
    let started = Instant::now();
    let kept = native::keep_called(kind, &sources);
    let native = started.elapsed().as_secs_f64();
    drop(kept);
    (wasm, native)
}

/// KiB gained from `then` to `now`; negative when memory was given back
/// (plugins made cold release their slots).
fn kb_since(now: u64, then: u64) -> f64 {
    now as f64 - then as f64
}

/// Child: KiB per plugin loaded and called once (warm cache), then native,
/// then KiB per plugin loaded and not called yet, then the anonymous part of
/// the first figure.
fn resident(kind: RuntimeKind, cache: &std::path::Path, warm_mb: Option<u32>) -> [f64; 5] {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = settings(tmp.path(), cache);
    if let Some(mb) = warm_mb {
        s.runtime.warm_memory_mb = mb;
    }
    install_sized(&s.plugin_dir, kind, PLUGINS);
    let manager = PluginManager::new(s).unwrap();
    let before = rss_kb();
    let anon_before = anon_kb();
    mappings("before");
    let report = manager.load_all();
    mappings("loaded");
    assert_eq!(report.loaded.len(), PLUGINS, "{:?}", report.failed);
    let loaded = kb_since(rss_kb(), before) / PLUGINS as f64;
    let mut first = 0;
    for i in 0..PLUGINS {
        if i == 1 {
            first = rss_kb();
        }
        manager
            .call_hook_at(
                &format!("sized.p{i}"),
                "on_content_created",
                PAYLOAD,
                0,
                Cause::Direct,
            )
            .map_err(|f| f.error)
            .unwrap();
    }
    let wasm = kb_since(rss_kb(), before) / PLUGINS as f64;
    // What each plugin after the first adds: the first call of a runtime
    // also maps the engine code that every later call shares.
    let marginal = kb_since(rss_kb(), first) / (PLUGINS - 1) as f64;
    let anon = kb_since(anon_kb(), anon_before) / PLUGINS as f64;
    mappings("called");
    let sources: Vec<String> = (0..PLUGINS).map(|i| sized_native_source(kind, i)).collect();
    let before = rss_kb();
    let kept = native::keep_called(kind, &sources);
    let native = kb_since(rss_kb(), before) / PLUGINS as f64;
    drop(kept);
    [wasm, native, loaded, anon, marginal]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let cache = raisfast_benches::root().join("target/bench-many-cache");
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let kind = KINDS
            .into_iter()
            .find(|k| k.as_str() == args[i + 2])
            .unwrap();
        let figures = match args[i + 1].as_str() {
            "cold" => {
                let (w, n) = cold(kind);
                [w, n, 0.0, 0.0, 0.0]
            }
            "resident-small" => resident(kind, &cache, Some(SMALL_WARM_MB)),
            _ => resident(kind, &cache, None),
        };
        let line: Vec<String> = figures.iter().map(|f| format!("{f:.3}")).collect();
        println!("{}", line.join(" "));
        return;
    }
    let child = |what: &str, kind: RuntimeKind| -> Vec<f64> { run_child(what, kind.as_str()) };
    println!("many_plugins: {PLUGINS} distinct ~10 KB plugins per runtime");
    println!(
        "{:<6} {:>12} {:>12} {:>12} {:>16} {:>10} {:>14} {:>16} {:>12}",
        "",
        "cold start s",
        "native s",
        "KiB loaded",
        "KiB called once",
        "anon KiB",
        "KiB, 2nd-40th",
        "KiB, warm 4 MiB",
        "native KiB"
    );
    for kind in KINDS {
        let cold = child("cold", kind);
        child("resident", kind); // fills the compile cache: the figure is a warm start
        let r = child("resident", kind);
        let small = child("resident-small", kind);
        println!(
            "{:<6} {:>12.2} {:>12.3} {:>12.0} {:>16.0} {:>10.0} {:>14.0} {:>16.0} {:>12.0}",
            kind.as_str(),
            cold[0],
            cold[1],
            r[2],
            r[0],
            r[3],
            r[4],
            small[0],
            r[1]
        );
    }
}
