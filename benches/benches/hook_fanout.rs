//! One hook with 1, 10 and 100 subscribed plugins (the four runtimes in turn,
//! each with the tiny `on_content_created` handler), run as the server runs an
//! action: every subscriber in priority order, each in a fresh instance
//! (scripts) or a pooled one (Rust components).
//!
//! Baseline, measured in the same run: the same subscribers run the way the
//! product RaisFast replaces runs them, a fresh in-process interpreter per
//! subscriber per call (`native_fresh`).

use criterion::{Criterion, criterion_group, criterion_main};
use raisfast::dispatch::Dispatcher;
use raisfast::manager::PluginManager;
use raisfast::manifest::hooks::Envelope;
use raisfast_benches::{PAYLOAD, install_many, native, root, settings};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;

fn hook_fanout(c: &mut Criterion) {
    let rhai_ast = native::rhai_ast();
    let env = Envelope {
        id: Some(json!("0193f2a4-7c1e-7b3a-9d2e-5f6a7b8c9d0e")),
        content_type: Some("post".into()),
        ..Envelope::new(
            "on_content_created",
            json!({"id": "0193f2a4-7c1e-7b3a-9d2e-5f6a7b8c9d0e", "title": "Hello", "status": "draft"}),
        )
    };
    for n in [1, 10, 100] {
        let tmp = tempfile::tempdir().unwrap();
        let s = settings(tmp.path(), &root().join("target/bench-compile-cache"));
        install_many(&s.plugin_dir, n, "fanout");
        let manager = Arc::new(PluginManager::new(s).unwrap());
        let report = manager.load_all();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(
            manager
                .subscribers("on_content_created", Some("post"))
                .len(),
            n
        );
        let dispatcher = Dispatcher::start(Arc::clone(&manager));
        let mut g = c.benchmark_group(format!("hook_fanout/{n}_subscribers"));
        g.bench_function("wasm_fresh", |b| {
            b.iter(|| dispatcher.action(black_box(&env)))
        });
        g.bench_function("native_fresh", |b| {
            b.iter(|| {
                for i in 0..n {
                    match i % 4 {
                        0 => native::js(black_box(PAYLOAD)),
                        1 => native::lua(black_box(PAYLOAD)),
                        2 => native::rhai(&rhai_ast, black_box(PAYLOAD)),
                        _ => native::rust(black_box(PAYLOAD)),
                    };
                }
            })
        });
        g.finish();
        dispatcher.shutdown();
    }
}

criterion_group!(benches, hook_fanout);
criterion_main!(benches);
