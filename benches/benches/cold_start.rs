//! Start-up and reload: what the server does before it listens (open the
//! database, discover, validate, snapshot and compile, link every plugin),
//! with 10 and 100 plugins (the four runtimes in turn), from a warm compile
//! cache and from an empty one; and the reload of one JS plugin whose source
//! changed (what hot reload runs after its debounce).
//!
//! Baseline, measured in the same run: the model RaisFast replaces, which at
//! start-up creates an interpreter per script plugin and loads its source
//! (`native_load`).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use raisfast::manager::PluginManager;
use raisfast::manifest::RuntimeKind;
use raisfast_benches::{install, install_many, plugin_source, root, settings};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn start(plugins: &std::path::Path, cache: &std::path::Path) -> Duration {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = settings(tmp.path(), cache);
    s.plugin_dir = plugins.to_path_buf();
    let t = Instant::now();
    let manager = PluginManager::new(s).unwrap();
    let report = manager.load_all();
    let elapsed = t.elapsed();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    elapsed
}

fn cold_start(c: &mut Criterion) {
    let mut g = c.benchmark_group("cold_start");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for n in [10, 100] {
        let plugins = tempfile::tempdir().unwrap();
        install_many(plugins.path(), n, "start");
        let warm = root().join(format!("target/bench-cold-cache-{n}"));
        start(plugins.path(), &warm);
        g.bench_function(format!("{n}_plugins/warm_cache"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| start(plugins.path(), &warm)).sum())
        });
        g.bench_function(format!("{n}_plugins/empty_cache"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let empty = tempfile::tempdir().unwrap();
                        start(plugins.path(), empty.path())
                    })
                    .sum()
            })
        });
        g.bench_function(format!("{n}_plugins/native_load"), |b| {
            b.iter(|| native_load(n))
        });
    }
    g.finish();
}

/// A QuickJS runtime and context with an `sdk` global and `sources` evaluated:
/// what the native model does to load a JS plugin.
fn native_js_load(sources: &[&str]) {
    let rt = rquickjs::Runtime::new().unwrap();
    let ctx = rquickjs::Context::full(&rt).unwrap();
    ctx.with(|ctx| {
        ctx.globals()
            .set("sdk", rquickjs::Object::new(ctx.clone()).unwrap())
            .unwrap();
        for source in sources {
            ctx.eval::<(), _>(*source).unwrap();
        }
    });
}

/// The baseline start-up: an interpreter per script plugin, its source loaded.
fn native_load(n: usize) {
    use raisfast_benches::{native, realistic};
    for i in 0..n {
        match i % 4 {
            0 => native_js_load(&[native::JS, realistic::JS]),
            1 => {
                let lua = mlua::Lua::new();
                lua.load(native::LUA).exec().unwrap();
            }
            2 => {
                rhai::Engine::new().compile(realistic::RHAI).unwrap();
            }
            _ => {}
        }
    }
}

fn reload(c: &mut Criterion) {
    let mut g = c.benchmark_group("reload");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let tmp = tempfile::tempdir().unwrap();
    let cache = root().join("target/bench-compile-cache");
    let s = settings(tmp.path(), &cache);
    install(&s.plugin_dir, RuntimeKind::Js, "bench.reload", "v0");
    let dir = s.plugin_dir.join("bench.reload");
    let manager = PluginManager::new(s).unwrap();
    assert!(manager.load_all().failed.is_empty());
    let version = AtomicUsize::new(1);
    g.bench_function("js_changed_source", |b| {
        b.iter_batched(
            || {
                // A new source every time: a real change, never a cache hit.
                let v = version.fetch_add(1, Ordering::Relaxed);
                let (entry, source) = plugin_source(RuntimeKind::Js);
                std::fs::write(
                    dir.join(entry),
                    format!("{source}// v{v} {:?}\n", Instant::now()),
                )
                .unwrap();
            },
            |_| manager.reload("bench.reload").unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("native_reload", |b| {
        b.iter(|| native_js_load(&[raisfast_benches::realistic::JS]))
    });
    g.finish();
}

criterion_group!(benches, cold_start, reload);
criterion_main!(benches);
