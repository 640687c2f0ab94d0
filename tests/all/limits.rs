//! Limits hold: a runaway call is stopped and fails alone; the plugin's next
//! call works; a crashed instance is discarded and only that one.

use crate::support::{Harness, guests};
use raisfast::runtime::{CallError, CallErrorKind};
use std::time::{Duration, Instant};

const MANIFEST: &str = r#"
[plugin]
id = "test.hostile"
name = "Hostile"
version = "0.1.0"
runtime = "wasm"

[permissions]
timeout_ms = 300
max_memory_mb = 16
"#;

fn harness(pool: usize) -> Harness {
    let h = Harness::with(|s| s.runtime.pool_size = pool, Default::default());
    h.install("hostile", &guests().hostile, MANIFEST);
    h.load_ok();
    h
}

fn call(h: &Harness, hook: &str) -> Result<Option<String>, CallError> {
    h.manager
        .call_hook("test.hostile", hook, r#"{"hook":"x","body":null}"#)
        .map(|o| o.value)
        .map_err(|f| f.error)
}

#[test]
fn an_infinite_loop_stops_at_its_deadline_and_the_next_call_works() {
    let h = harness(1);
    assert_eq!(call(&h, "count").unwrap().as_deref(), Some("1"));
    for hook in ["spin", "spin_in_host_calls"] {
        let started = Instant::now();
        let e = call(&h, hook).unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(
                e,
                CallError {
                    kind: CallErrorKind::Timeout {
                        timeout_ms: 300,
                        ..
                    },
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            took >= Duration::from_millis(290) && took < Duration::from_secs(3),
            "{took:?}"
        );
        assert!(e.to_string().contains("timed out in `") && e.to_string().contains("after 300 ms"));
        // The next call succeeds, on a fresh instance (the looping one was discarded).
        assert_eq!(call(&h, "count").unwrap().as_deref(), Some("1"));
    }
    let m = &h.manager.plugin("test.hostile").unwrap().metrics;
    assert_eq!(m.timeouts.load(std::sync::atomic::Ordering::Relaxed), 2);
}

#[test]
fn a_memory_bomb_fails_at_its_cap() {
    let h = harness(1);
    let e = call(&h, "alloc").unwrap_err();
    assert!(
        matches!(
            e,
            CallError {
                kind: CallErrorKind::OutOfMemory { limit_mb: 16, .. },
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("max_memory_mb"));
    assert_eq!(call(&h, "count").unwrap().as_deref(), Some("1"));
}

#[test]
fn a_trap_discards_only_that_instance() {
    let h = harness(2);
    // Round-robin over two instances: A, B, A, B.
    assert_eq!(call(&h, "count").unwrap().as_deref(), Some("1")); // A
    assert_eq!(call(&h, "count").unwrap().as_deref(), Some("1")); // B
    assert_eq!(call(&h, "count").unwrap().as_deref(), Some("2")); // A
    let e = call(&h, "panic").unwrap_err(); // B crashes
    match &e {
        CallError {
            kind: CallErrorKind::Trap { message, .. },
            ..
        } => assert!(message.contains("unreachable"), "{message}"),
        other => panic!("expected a trap, got {other}"),
    }
    assert_eq!(
        call(&h, "count").unwrap().as_deref(),
        Some("3"),
        "A survived"
    ); // A
    assert_eq!(call(&h, "count").unwrap().as_deref(), Some("1"), "B is new"); // B
}

#[test]
fn unbounded_recursion_fails_the_call_only() {
    let h = harness(1);
    let e = call(&h, "recurse").unwrap_err();
    assert!(
        matches!(
            e,
            CallError {
                kind: CallErrorKind::StackOverflow,
                ..
            } | CallError {
                kind: CallErrorKind::Trap { .. },
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(call(&h, "count").unwrap().as_deref(), Some("1"));
}

#[test]
fn a_manifest_cannot_ask_for_more_memory_than_the_operator_allows() {
    let h = Harness::with(|s| s.runtime.max_memory_mb = 64, Default::default());
    h.install(
        "hostile",
        &guests().hostile,
        &MANIFEST.replace("max_memory_mb = 16", "max_memory_mb = 512"),
    );
    let r = h.manager.load_all();
    assert!(
        r.failed[0].1.contains("above the server's limit of 64"),
        "{:?}",
        r.failed
    );
}

#[test]
fn the_on_demand_allocator_enforces_the_same_limits() {
    let h = Harness::with(|s| s.runtime.pooling = false, Default::default());
    h.install("hostile", &guests().hostile, MANIFEST);
    h.load_ok();
    assert!(!h.manager.runtime().uses_pooling());
    assert!(matches!(
        call(&h, "spin").unwrap_err(),
        CallError {
            kind: CallErrorKind::Timeout { .. },
            ..
        }
    ));
    assert!(matches!(
        call(&h, "alloc").unwrap_err(),
        CallError {
            kind: CallErrorKind::OutOfMemory { .. },
            ..
        }
    ));
    assert_eq!(call(&h, "count").unwrap().as_deref(), Some("1"));
}

/// A hand-written component (a language cannot express it): one core module
/// with `extra` memories of 12 MiB besides its own, answering every hook with
/// nothing.
fn many_memories(extra: usize) -> Vec<u8> {
    let mems: String = (0..extra)
        .map(|i| format!("(memory $m{i} 192)\n"))
        .collect();
    let wat = format!(
        r#"(module
          (memory (export "memory") 1)
          {mems}
          (global $bump (mut i32) (i32.const 1024))
          (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
            (local $p i32)
            global.get $bump
            i32.const 7
            i32.add
            i32.const -8
            i32.and
            local.tee $p
            local.get 3
            i32.add
            global.set $bump
            local.get $p)
          (func (export "raisfast:plugin/guest@0.1.0#handle") (param i32 i32 i32 i32) (result i32)
            i32.const 16)
          (func (export "raisfast:plugin/guest@0.1.0#route") (param i32) (result i32)
            unreachable))"#
    );
    let core = wat::parse_str(&wat).unwrap();
    raisfast::toolchain::component::componentize(
        &core,
        raisfast::toolchain::component::Adapter::Reactor,
    )
    .unwrap()
}

#[test]
fn the_memory_cap_is_summed_over_every_memory_of_a_component() {
    // On-demand allocation: nothing but the cap limits the number of memories.
    let h = Harness::with(|s| s.runtime.pooling = false, Default::default());
    let tmp = tempfile::tempdir().unwrap();
    for (name, extra) in [("two", 2), ("three", 3)] {
        let wasm = tmp.path().join(format!("{name}.wasm"));
        std::fs::write(&wasm, many_memories(extra)).unwrap();
        let manifest = format!(
            "[plugin]\nid = \"test.mem-{name}\"\nname = \"m\"\nversion = \"0.1.0\"\nruntime = \"wasm\"\n\n[permissions]\nmax_memory_mb = 32\n"
        );
        h.install(name, &wasm, &manifest);
    }
    h.load_ok();
    // 1 page + 2 x 12 MiB fits under 32 MiB.
    let two = h.manager.call_hook("test.mem-two", "anything", "{}");
    assert!(two.is_ok(), "{:?}", two.err().map(|f| f.error));
    // 1 page + 3 x 12 MiB does not, though each memory alone would.
    let three = h
        .manager
        .call_hook("test.mem-three", "anything", "{}")
        .unwrap_err()
        .error;
    match three {
        CallError {
            kind: CallErrorKind::Instantiate { message, .. },
            ..
        } => {
            assert!(message.contains("exceeds memory limits"), "{message}")
        }
        other => panic!("{other}"),
    }
}
