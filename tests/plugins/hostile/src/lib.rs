//! Test guest: what a buggy or malicious plugin does to its host. Each hook
//! breaks one limit; `count` shows whether an instance survived.

use raisfast_sdk::{HookResult, Input, Plugin, Value, kv};
use std::sync::atomic::{AtomicU64, Ordering};

static CALLS: AtomicU64 = AtomicU64::new(0);

struct Hostile;

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let buf = std::hint::black_box([n; 64]);
    recurse(n + 1) + buf[3]
}

impl Plugin for Hostile {
    fn handle(hook: &str, _input: Input) -> HookResult {
        match hook {
            "spin" => {
                let mut x = 0u64;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "spin_in_host_calls" => loop {
                let _ = kv::get::<Value>("k");
            },
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![7u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            // A blocking WASI wait (a monotonic-clock pollable) far past the deadline.
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(600));
                Ok(None)
            }
            "recurse" => Ok(Some(Value::from(recurse(0)))),
            "count" => Ok(Some(Value::from(CALLS.fetch_add(1, Ordering::SeqCst) + 1))),
            _ => Ok(None),
        }
    }
}

raisfast_sdk::export_plugin!(Hostile);
