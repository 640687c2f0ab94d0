//! Hook call latency per runtime, tiny handler (parse the payload, log a line):
//!
//! - `wasm_fresh`: a fresh instance from the plugin's snapshot for the call
//!   (what script plugins get: per-request isolation);
//! - `wasm_reused`: one instance reused across calls (the lower bound; what
//!   pooled wasm plugins get);
//! - `native_fresh`: the baseline, an in-process interpreter created for the
//!   call with the SDK registered and the plugin loaded (the model RaisFast
//!   replaces); for Rust, the handler as a native function.

use criterion::{Criterion, criterion_group, criterion_main};
use raisfast::manifest::RuntimeKind;
use raisfast_benches::{Fixture, PAYLOAD, native};
use std::hint::black_box;

fn hook_call(c: &mut Criterion) {
    let fixture = Fixture::new();
    let rhai_ast = native::rhai_ast();
    for kind in [
        RuntimeKind::Js,
        RuntimeKind::Lua,
        RuntimeKind::Rhai,
        RuntimeKind::Wasm,
    ] {
        let name = if kind == RuntimeKind::Wasm {
            "rust"
        } else {
            kind.as_str()
        };
        let mut g = c.benchmark_group(format!("hook_call/tiny/{name}"));
        let normal = fixture.plugin(kind);
        let other = fixture.other_policy(kind);
        let (fresh, reused) = if kind == RuntimeKind::Wasm {
            (&other, &*normal)
        } else {
            (&*normal, &other)
        };
        g.bench_function("wasm_fresh", |b| {
            b.iter(|| {
                fresh
                    .call_hook("on_content_created", black_box(PAYLOAD), 0)
                    .unwrap()
            })
        });
        g.bench_function("wasm_reused", |b| {
            b.iter(|| {
                reused
                    .call_hook("on_content_created", black_box(PAYLOAD), 0)
                    .unwrap()
            })
        });
        g.bench_function("native_fresh", |b| match kind {
            RuntimeKind::Js => b.iter(|| native::js(black_box(PAYLOAD))),
            RuntimeKind::Lua => b.iter(|| native::lua(black_box(PAYLOAD))),
            RuntimeKind::Rhai => b.iter(|| native::rhai(&rhai_ast, black_box(PAYLOAD))),
            RuntimeKind::Wasm => b.iter(|| native::rust(black_box(PAYLOAD))),
        });
        g.finish();
    }
}

criterion_group!(benches, hook_call);
criterion_main!(benches);
