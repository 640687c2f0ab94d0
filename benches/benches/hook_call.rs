//! Hook call latency per runtime, for two handlers:
//!
//! - `tiny`: parse the payload, log a line;
//! - `realistic`: parse the payload, read a row of the plugin's own table,
//!   write a KV key, return the body with a field added.
//!
//! Each measured three ways:
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
use raisfast_benches::{Fixture, PAYLOAD, native, realistic};
use std::hint::black_box;

const RUNTIMES: [RuntimeKind; 4] = [
    RuntimeKind::Js,
    RuntimeKind::Lua,
    RuntimeKind::Rhai,
    RuntimeKind::Wasm,
];

fn hook_call(c: &mut Criterion) {
    let fixture = Fixture::new();
    let tiny_ast = native::rhai_ast();
    let real_ast = realistic::rhai_ast();
    for (scenario, hook) in [
        ("tiny", "on_content_created"),
        ("realistic", "on_content_creating"),
    ] {
        for kind in RUNTIMES {
            let name = raisfast_benches::label(kind);
            let mut g = c.benchmark_group(format!("hook_call/{scenario}/{name}"));
            let normal = fixture.plugin(kind);
            let other = fixture.other_policy(kind);
            let (fresh, reused) = if kind == RuntimeKind::Wasm {
                (&other, &*normal)
            } else {
                (&*normal, &other)
            };
            g.bench_function("wasm_fresh", |b| {
                b.iter(|| fresh.call_hook(hook, black_box(PAYLOAD), 0).unwrap())
            });
            g.bench_function("wasm_reused", |b| {
                b.iter(|| reused.call_hook(hook, black_box(PAYLOAD), 0).unwrap())
            });
            let ctx = normal.context();
            g.bench_function("native_fresh", |b| match (scenario, kind) {
                ("tiny", RuntimeKind::Js) => b.iter(|| native::js(black_box(PAYLOAD))),
                ("tiny", RuntimeKind::Lua) => b.iter(|| native::lua(black_box(PAYLOAD))),
                ("tiny", RuntimeKind::Rhai) => {
                    b.iter(|| native::rhai(&tiny_ast, black_box(PAYLOAD)))
                }
                ("tiny", _) => b.iter(|| native::rust(black_box(PAYLOAD))),
                (_, RuntimeKind::Js) => b.iter(|| realistic::js(ctx, black_box(PAYLOAD))),
                (_, RuntimeKind::Lua) => b.iter(|| realistic::lua(ctx, black_box(PAYLOAD))),
                (_, RuntimeKind::Rhai) => {
                    b.iter(|| realistic::rhai(ctx, &real_ast, black_box(PAYLOAD)))
                }
                _ => b.iter(|| realistic::rust(ctx, black_box(PAYLOAD))),
            });
            g.finish();
        }
    }
}

criterion_group!(benches, hook_call);
criterion_main!(benches);
