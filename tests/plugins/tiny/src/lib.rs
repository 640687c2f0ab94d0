//! The tiny handler of the benchmarks, in Rust: parse the payload, log a line.

use raisfast_sdk::{HookResult, Input, Plugin, Value, log};

struct Tiny;

impl Plugin for Tiny {
    fn handle(hook: &str, input: Input) -> HookResult {
        if hook == "on_content_created" {
            let event = input.event::<Value>()?;
            log::info(&format!("created: {}", event.id_str()));
        }
        Ok(None)
    }
}

raisfast_sdk::export_plugin!(Tiny);
