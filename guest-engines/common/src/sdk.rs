//! The SDK function table: every host function a script can call, by name,
//! with JSON values in and out. JS and Lua use the camelCase names
//! (`dbQuery`), Rhai the snake_case ones (`db_query`). Each language's glue
//! only converts its values to and from JSON and calls [`call`].

use crate::Error;
use crate::bindings::raisfast::plugin::types::Header;
use crate::bindings::raisfast::plugin::{config, db, events, http, ids, kv, log, vfs};
use serde_json::{Map, Value, json};

/// One SDK function: its camelCase and snake_case names.
#[derive(Debug, Clone, Copy)]
pub struct SdkFn {
    /// The JS and Lua name.
    pub name: &'static str,
    /// The Rhai name.
    pub snake: &'static str,
}

const fn f(name: &'static str, snake: &'static str) -> SdkFn {
    SdkFn { name, snake }
}

/// Every SDK function.
pub const FUNCTIONS: &[SdkFn] = &[
    f("dbQuery", "db_query"),
    f("dbExecute", "db_execute"),
    f("dbBegin", "db_begin"),
    f("dbCommit", "db_commit"),
    f("dbRollback", "db_rollback"),
    f("httpFetch", "http_fetch"),
    f("httpGet", "http_get"),
    f("httpPost", "http_post"),
    f("vfsRead", "vfs_read"),
    f("vfsWrite", "vfs_write"),
    f("vfsDelete", "vfs_delete"),
    f("vfsList", "vfs_list"),
    f("vfsStat", "vfs_stat"),
    f("vfsExists", "vfs_exists"),
    f("kvGet", "kv_get"),
    f("kvSet", "kv_set"),
    f("kvDelete", "kv_delete"),
    f("kvList", "kv_list"),
    f("configGet", "config_get"),
    f("configAll", "config_all"),
    f("emit", "emit"),
    f("log", "log"),
    f("logDebug", "log_debug"),
    f("logInfo", "log_info"),
    f("logWarn", "log_warn"),
    f("logError", "log_error"),
    f("newId", "new_id"),
    f("ok", "ok"),
    f("fail", "fail"),
    f("extractJson", "extract_json"),
];

/// The key marking a route response built by `ok` / `fail`.
pub const RESPONSE_KEY: &str = "__raisfast_response";

fn invalid(func: &str, what: &str) -> Error {
    Error::Invalid(format!("{func}: {what}"))
}

fn str_arg<'a>(args: &'a [Value], i: usize, func: &str, name: &str) -> Result<&'a str, Error> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        other => Err(invalid(
            func,
            &format!(
                "`{name}` must be a string, not {}",
                other.map_or("nothing".into(), kind)
            ),
        )),
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn opt(args: &[Value], i: usize) -> Option<&Value> {
    args.get(i).filter(|v| !v.is_null())
}

/// A value as JSON text, strings passed through when they already are JSON.
fn params_text(v: Option<&Value>) -> String {
    match v {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// A value as text: strings as they are, anything else as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|_| Value::String(json.to_string()))
}

fn headers(v: Option<&Value>) -> Vec<Header> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| Header {
                name: k.clone(),
                value: text(v),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn response(r: http::Response) -> Value {
    let mut h = Map::new();
    for x in r.headers {
        h.insert(x.name, Value::String(x.value));
    }
    json!({
        "status": r.status,
        "headers": h,
        "body": String::from_utf8_lossy(&r.body),
    })
}

fn fetch(
    method: &str,
    url: &str,
    hdrs: Vec<Header>,
    body: Option<Vec<u8>>,
    timeout: Option<u32>,
) -> Result<Value, Error> {
    let req = http::Request {
        method: method.to_string(),
        url: url.to_string(),
        headers: hdrs,
        body,
        timeout_ms: timeout,
    };
    http::fetch(&req).map(response)
}

fn entry(e: vfs::Entry) -> Value {
    json!({ "name": e.name, "isDir": e.is_dir, "size": e.size, "modifiedMs": e.modified_ms })
}

fn log_line(level: log::Level, args: &[Value]) {
    let msg: Vec<String> = args.iter().map(text).collect();
    log::log(level, &msg.join(" "), &[]);
}

/// Walks a dotted path (`body.items.0.id`) into JSON; `None` if absent.
pub fn extract(input: &Value, path: &str) -> Value {
    let mut cur = input;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let next = match cur {
            Value::Object(m) => m.get(part),
            Value::Array(a) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return Value::Null,
        }
    }
    cur.clone()
}

/// Calls the SDK function `name` (either spelling) with `args`.
pub fn call(name: &str, args: &[Value]) -> Result<Value, Error> {
    let func = FUNCTIONS
        .iter()
        .find(|f| f.name == name || f.snake == name)
        .map(|f| f.name)
        .ok_or_else(|| Error::Invalid(format!("no SDK function `{name}`")))?;
    let s = |i: usize, n: &str| str_arg(args, i, func, n);
    Ok(match func {
        "dbQuery" => parse(&db::query(s(0, "sql")?, &params_text(opt(args, 1)))?),
        "dbExecute" => {
            let r = db::execute(s(0, "sql")?, &params_text(opt(args, 1)))?;
            json!({ "rowsAffected": r.rows_affected, "lastInsertId": r.last_insert_id })
        }
        "dbBegin" => db::begin().map(|_| Value::Null)?,
        "dbCommit" => db::commit().map(|_| Value::Null)?,
        "dbRollback" => db::rollback().map(|_| Value::Null)?,
        "httpFetch" => {
            let req = opt(args, 0)
                .ok_or_else(|| invalid(func, "pass { method, url, headers, body, timeoutMs }"))?;
            let url = req
                .get("url")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(func, "`url` is missing"))?;
            let method = req.get("method").and_then(Value::as_str).unwrap_or("GET");
            let body = req
                .get("body")
                .filter(|b| !b.is_null())
                .map(|b| text(b).into_bytes());
            let timeout = req
                .get("timeoutMs")
                .and_then(Value::as_u64)
                .map(|t| t.min(u32::MAX as u64) as u32);
            fetch(method, url, headers(req.get("headers")), body, timeout)?
        }
        "httpGet" => fetch("GET", s(0, "url")?, headers(opt(args, 1)), None, None)?,
        "httpPost" => {
            let mut h = headers(opt(args, 2));
            let body = match opt(args, 1) {
                None => Vec::new(),
                Some(Value::String(b)) => b.clone().into_bytes(),
                Some(v) => {
                    if !h
                        .iter()
                        .any(|x| x.name.eq_ignore_ascii_case("content-type"))
                    {
                        h.push(Header {
                            name: "content-type".into(),
                            value: "application/json".into(),
                        });
                    }
                    v.to_string().into_bytes()
                }
            };
            fetch("POST", s(0, "url")?, h, Some(body), None)?
        }
        "vfsRead" => {
            Value::String(String::from_utf8_lossy(&vfs::read(s(0, "path")?)?).into_owned())
        }
        "vfsWrite" => {
            let data = opt(args, 1).map(text).unwrap_or_default();
            vfs::write(s(0, "path")?, data.as_bytes()).map(|_| Value::Null)?
        }
        "vfsDelete" => vfs::delete(s(0, "path")?).map(|_| Value::Null)?,
        "vfsList" => {
            let path = opt(args, 0).and_then(Value::as_str).unwrap_or("");
            Value::Array(vfs::list(path)?.into_iter().map(entry).collect())
        }
        "vfsStat" => entry(vfs::stat(s(0, "path")?)?),
        "vfsExists" => Value::Bool(vfs::exists(s(0, "path")?)?),
        "kvGet" => kv::get(s(0, "key")?)?
            .map(|j| parse(&j))
            .unwrap_or(Value::Null),
        "kvSet" => {
            let value = opt(args, 1).cloned().unwrap_or(Value::Null).to_string();
            let ttl = opt(args, 2)
                .and_then(Value::as_u64)
                .map(|t| t.min(u32::MAX as u64) as u32);
            kv::set(s(0, "key")?, &value, ttl).map(|_| Value::Null)?
        }
        "kvDelete" => Value::Bool(kv::delete(s(0, "key")?)?),
        "kvList" => {
            let prefix = opt(args, 0).and_then(Value::as_str).unwrap_or("");
            json!(kv::list(prefix)?)
        }
        "configGet" => config::get(s(0, "key")?)?
            .map(|j| parse(&j))
            .unwrap_or(Value::Null),
        "configAll" => parse(&config::all()),
        "emit" => {
            let payload = opt(args, 1).cloned().unwrap_or(Value::Null).to_string();
            events::emit(s(0, "name")?, &payload).map(|_| Value::Null)?
        }
        "log" => {
            let level = match s(0, "level")?.to_ascii_lowercase().as_str() {
                "trace" => log::Level::Trace,
                "debug" => log::Level::Debug,
                "info" => log::Level::Info,
                "warn" | "warning" => log::Level::Warn,
                "error" => log::Level::Error,
                other => {
                    return Err(invalid(
                        func,
                        &format!("unknown level `{other}`: use trace, debug, info, warn or error"),
                    ));
                }
            };
            log_line(level, &args[1..]);
            Value::Null
        }
        "logDebug" => {
            log_line(log::Level::Debug, args);
            Value::Null
        }
        "logInfo" => {
            log_line(log::Level::Info, args);
            Value::Null
        }
        "logWarn" => {
            log_line(log::Level::Warn, args);
            Value::Null
        }
        "logError" => {
            log_line(log::Level::Error, args);
            Value::Null
        }
        "newId" => Value::String(ids::new_id()),
        "ok" => {
            let status = opt(args, 1).and_then(Value::as_u64).unwrap_or(200);
            json!({ RESPONSE_KEY: { "status": status, "body": opt(args, 0).cloned().unwrap_or(Value::Null) } })
        }
        "fail" => {
            let status = opt(args, 0).and_then(Value::as_u64).unwrap_or(500);
            let message = opt(args, 1).map(text).unwrap_or_default();
            json!({ RESPONSE_KEY: { "status": status, "body": { "error": { "status": status, "message": message } } } })
        }
        "extractJson" => {
            let input = match opt(args, 0) {
                Some(Value::String(t)) => serde_json::from_str(t)
                    .map_err(|e| invalid(func, &format!("the input is not valid JSON: {e}")))?,
                Some(v) => v.clone(),
                None => Value::Null,
            };
            extract(&input, opt(args, 1).and_then(Value::as_str).unwrap_or(""))
        }
        other => return Err(Error::Invalid(format!("no SDK function `{other}`"))),
    })
}

/// The error as the text scripts see in an exception: `kind: message`.
pub fn error_text(e: &Error) -> String {
    match e {
        Error::Denied(m) => format!("denied: {m}"),
        Error::Invalid(m) => format!("invalid: {m}"),
        Error::NotFound => "not-found".into(),
        Error::Limit(m) => format!("limit: {m}"),
        Error::Failed(m) => format!("failed: {m}"),
    }
}

/// The error's kind: `denied`, `invalid`, `not-found`, `limit` or `failed`.
pub fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Denied(_) => "denied",
        Error::Invalid(_) => "invalid",
        Error::NotFound => "not-found",
        Error::Limit(_) => "limit",
        Error::Failed(_) => "failed",
    }
}
