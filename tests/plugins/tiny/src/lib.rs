//! The benchmarks' handlers in Rust:
//!
//! - `on_content_created` (tiny): parse the payload, log a line;
//! - `on_content_creating` (realistic): parse the payload, read a row of the
//!   plugin's own table, write a KV key, return the body with a field added.

use raisfast_sdk::{HookResult, Input, Plugin, Value, db, kv, log};

struct Tiny;

impl Plugin for Tiny {
    fn handle(hook: &str, input: Input) -> HookResult {
        match hook {
            "on_content_created" => {
                let event = input.event::<Value>()?;
                log::info(&format!("created: {}", event.id_str()));
                Ok(None)
            }
            "on_content_creating" => {
                let mut event = input.event::<Value>()?;
                let rows = db::query("SELECT title FROM rust_items WHERE id = ?", [1])?;
                kv::set("last-created", &event.id_str())?;
                let title = rows
                    .first()
                    .and_then(|r| r.get("title"))
                    .cloned()
                    .unwrap_or(Value::Null);
                event.body["related"] = title;
                Ok(Some(event.body))
            }
            _ => Ok(None),
        }
    }
}

raisfast_sdk::export_plugin!(Tiny);
