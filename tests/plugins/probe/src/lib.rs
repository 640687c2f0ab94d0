//! Test guest: each call's payload names host API operations; the result of
//! each (value or error kind and message) is returned, so tests can assert
//! exactly what a plugin sees.
//!
//! Payload: `{"op": "kv.set", "key": "a", "value": 1}` or
//! `{"op": "seq", "ops": [ ... ]}` (all run, results in order).

use raisfast_sdk::bindings::raisfast::plugin::types::{Error, Header};
use raisfast_sdk::bindings::raisfast::plugin::{config, db, events, http, ids, kv, log, vfs};
use raisfast_sdk::{HookResult, Input, Plugin, Request, Response, Result, Value, json};

struct Probe;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn params(v: &Value) -> String {
    v.get("params").map(Value::to_string).unwrap_or_default()
}

fn report(r: std::result::Result<Value, Error>) -> Value {
    match r {
        Ok(v) => json!({ "ok": v }),
        Err(e) => {
            let (kind, msg) = match e {
                Error::Denied(m) => ("denied", m),
                Error::Invalid(m) => ("invalid", m),
                Error::NotFound => ("not-found", String::new()),
                Error::Limit(m) => ("limit", m),
                Error::Failed(m) => ("failed", m),
            };
            json!({ "err": { "kind": kind, "message": msg } })
        }
    }
}

fn parse(json_text: String) -> Value {
    serde_json::from_str(&json_text).unwrap_or(Value::String(json_text))
}

fn run(op: &Value) -> Value {
    let r: std::result::Result<Value, Error> = match s(op, "op") {
        "seq" => {
            let ops = op.get("ops").and_then(Value::as_array).cloned().unwrap_or_default();
            return Value::Array(ops.iter().map(run).collect());
        }
        "db.query" => db::query(s(op, "sql"), &params(op)).map(parse),
        "db.execute" => db::execute(s(op, "sql"), &params(op))
            .map(|r| json!({ "rows_affected": r.rows_affected, "last_insert_id": r.last_insert_id })),
        "db.begin" => db::begin().map(|_| Value::Null),
        "db.commit" => db::commit().map(|_| Value::Null),
        "db.rollback" => db::rollback().map(|_| Value::Null),
        "http.fetch" => {
            let headers = op
                .get("headers")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| Header { name: k.clone(), value: v.as_str().unwrap_or("").into() })
                        .collect()
                })
                .unwrap_or_default();
            let req = http::Request {
                method: op.get("method").and_then(Value::as_str).unwrap_or("GET").into(),
                url: s(op, "url").into(),
                headers,
                body: op.get("body").and_then(Value::as_str).map(|b| b.as_bytes().to_vec()),
                timeout_ms: op.get("timeout_ms").and_then(Value::as_u64).map(|t| t as u32),
            };
            http::fetch(&req).map(|r| {
                json!({
                    "status": r.status,
                    "body": String::from_utf8_lossy(&r.body),
                    "headers": r.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect::<Vec<_>>(),
                })
            })
        }
        "vfs.read" => vfs::read(s(op, "path")).map(|b| Value::String(String::from_utf8_lossy(&b).into())),
        "vfs.write" => {
            let data = match op.get("size").and_then(Value::as_u64) {
                Some(n) => vec![b'x'; n as usize],
                None => s(op, "data").as_bytes().to_vec(),
            };
            vfs::write(s(op, "path"), &data).map(|_| Value::Null)
        }
        "vfs.delete" => vfs::delete(s(op, "path")).map(|_| Value::Null),
        "vfs.list" => vfs::list(s(op, "path")).map(|es| {
            es.iter()
                .map(|e| json!({ "name": e.name, "is_dir": e.is_dir, "size": e.size }))
                .collect()
        }),
        "vfs.stat" => vfs::stat(s(op, "path"))
            .map(|e| json!({ "name": e.name, "is_dir": e.is_dir, "size": e.size, "modified_ms": e.modified_ms })),
        "vfs.exists" => vfs::exists(s(op, "path")).map(Value::Bool),
        "kv.get" => kv::get(s(op, "key")).map(|v| v.map(parse).unwrap_or(Value::Null)),
        "kv.set" => {
            let value = match op.get("size").and_then(Value::as_u64) {
                Some(n) => Value::String("x".repeat(n as usize)).to_string(),
                None => op.get("value").cloned().unwrap_or(Value::Null).to_string(),
            };
            let ttl = op.get("ttl").and_then(Value::as_u64).map(|t| t as u32);
            kv::set(s(op, "key"), &value, ttl).map(|_| Value::Null)
        }
        "kv.set_raw" => kv::set(s(op, "key"), s(op, "value"), None).map(|_| Value::Null),
        "kv.delete" => kv::delete(s(op, "key")).map(Value::Bool),
        "kv.list" => kv::list(s(op, "prefix")).map(|ks| json!(ks)),
        "config.get" => config::get(s(op, "key")).map(|v| v.map(parse).unwrap_or(Value::Null)),
        "config.all" => Ok(parse(config::all())),
        "events.emit" => events::emit(s(op, "name"), &op.get("payload").cloned().unwrap_or(Value::Null).to_string())
            .map(|_| Value::Null),
        "log" => {
            let level = match s(op, "level") {
                "trace" => log::Level::Trace,
                "debug" => log::Level::Debug,
                "warn" => log::Level::Warn,
                "error" => log::Level::Error,
                _ => log::Level::Info,
            };
            let msg = match op.get("size").and_then(Value::as_u64) {
                Some(n) => "y".repeat(n as usize),
                None => s(op, "message").to_string(),
            };
            log::log(level, &msg, &[("probe".to_string(), "1".to_string())]);
            Ok(Value::Null)
        }
        "ids.new" => Ok(Value::String(ids::new_id())),
        "fail" => Err(Error::Failed(s(op, "message").into())),
        other => Err(Error::Invalid(format!("probe: unknown op {other}"))),
    };
    report(r)
}

impl Plugin for Probe {
    fn handle(hook: &str, input: Input) -> HookResult {
        let payload: Value = input.json()?;
        let op = payload.get("body").cloned().unwrap_or(payload);
        if hook == "probe" || hook.starts_with("probe.") {
            if op.get("op").and_then(Value::as_str) == Some("fail") {
                return Err(raisfast_sdk::Error::failed(s(&op, "message")));
            }
            return Ok(Some(run(&op)));
        }
        Ok(None)
    }

    fn route(req: Request) -> Result<Response> {
        if req.handler() == "probe" {
            let op: Value = req.json()?;
            return Ok(Response::json(200, &run(&op)));
        }
        let caller = req.caller().map(|c| c.username.clone());
        let auth = req.header("authorization").map(str::to_string);
        Ok(Response::json(
            200,
            &json!({
                "handler": req.handler(),
                "method": req.method(),
                "path": req.path(),
                "params": req.params(),
                "body": String::from_utf8_lossy(req.body()),
                "caller": caller,
                "authorization": auth,
            }),
        ))
    }
}

raisfast_sdk::export_plugin!(Probe);
