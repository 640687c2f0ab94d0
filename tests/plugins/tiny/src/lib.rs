//! The benchmarks' handlers in Rust:
//!
//! - `on_content_created` (tiny): parse the payload, log a line;
//! - `on_content_creating` (realistic): parse the payload, read a row of the
//!   plugin's own table, write a KV key, return the body with a field added;
//! - `spin`: a busy loop, so that many calls are in flight at once;
//! - route `get_item` (`GET /items/:id`): the row of that id as JSON, or 404.

use raisfast_sdk::{
    HookResult, Input, Plugin, Request, Response, Result, Value, db, fail, kv, log, ok,
};

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
            "spin" => {
                let mut x: u64 = 0;
                for i in 0..30_000_000u64 {
                    x = std::hint::black_box((x + i) % 1_000_003);
                }
                Ok(Some(Value::from(x)))
            }
            _ => Ok(None),
        }
    }

    fn route(req: Request) -> Result<Response> {
        let id: i64 = req.param("id").unwrap_or("").parse().unwrap_or(0);
        let rows = db::query("SELECT id, title FROM rust_items WHERE id = ?", [id])?;
        match rows.into_iter().next() {
            Some(row) => ok(row),
            None => fail(404, "no such item"),
        }
    }
}

raisfast_sdk::export_plugin!(Tiny);
