//! Hello Rust: the smallest useful RaisFast plugin written in Rust.
//!
//! - `on_content_created` (an action hook) logs the new item and counts it in KV;
//! - `GET /hello` greets with the configured greeting and both counters.

use raisfast_sdk::{
    Content, HookResult, Input, Plugin, Request, Response, Result, config, fail, json, kv, log, ok,
};

struct HelloRust;

impl Plugin for HelloRust {
    // The names `handle` and `route` answer to: `plugin check` compares them
    // with the manifest.
    const HANDLERS: &'static [&'static str] = &["on_content_created", "hello"];

    fn handle(hook: &str, input: Input) -> HookResult {
        if hook == "on_content_created" {
            let event = input.event::<Content>()?;
            log::info(&format!(
                "new content: {} ({})",
                event.id_str(),
                event.body.title
            ));
            let created: u64 = kv::get("created")?.unwrap_or(0) + 1;
            kv::set("created", &created)?;
        }
        Ok(None)
    }

    fn route(req: Request) -> Result<Response> {
        match req.handler() {
            "hello" => {
                let greeting: String = config::get("greeting")?.unwrap_or_else(|| "Hello".into());
                let who = req.query("name").unwrap_or("world");
                let visits: u64 = kv::get("visits")?.unwrap_or(0) + 1;
                kv::set("visits", &visits)?;
                let created: u64 = kv::get("created")?.unwrap_or(0);
                ok(json!({
                    "message": format!("{greeting}, {who}!"),
                    "visits": visits,
                    "contents_created": created,
                }))
            }
            other => fail(404, &format!("no handler {other}")),
        }
    }
}

raisfast_sdk::export_plugin!(HelloRust);
