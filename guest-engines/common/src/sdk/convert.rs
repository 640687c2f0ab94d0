//! Converting between the scripts' JSON values and the WIT types.

use crate::Error;
use crate::bindings::raisfast::plugin::types::Header;
use crate::bindings::raisfast::plugin::{http, log, vfs};
use serde_json::{Map, Value, json};

/// The key marking a route response built by `ok` / `fail`.
pub const RESPONSE_KEY: &str = "__raisfast_response";

pub(super) fn invalid(func: &str, what: &str) -> Error {
    Error::Invalid(format!("{func}: {what}"))
}

pub(super) fn str_arg<'a>(
    args: &'a [Value],
    i: usize,
    func: &str,
    name: &str,
) -> Result<&'a str, Error> {
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

pub(super) fn opt(args: &[Value], i: usize) -> Option<&Value> {
    args.get(i).filter(|v| !v.is_null())
}

/// A value as JSON text, strings passed through when they already are JSON.
pub(super) fn params_text(v: Option<&Value>) -> String {
    match v {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => json_text(v),
    }
}

/// A value as text: strings as they are, anything else as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => json_text(v),
    }
}

/// A value as JSON text, written straight into a buffer (`Value`'s
/// `Display` goes through the formatting machinery, several times slower).
pub fn json_text(v: &Value) -> String {
    // A `Value` always serialises: its map keys are strings.
    serde_json::to_string(v).unwrap_or_default()
}

pub(super) fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|_| Value::String(json.to_string()))
}

pub(super) fn headers(v: Option<&Value>) -> Vec<Header> {
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

pub(super) fn response(r: http::Response) -> Value {
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

pub(super) fn fetch(
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

pub(super) fn entry(e: vfs::Entry) -> Value {
    json!({ "name": e.name, "isDir": e.is_dir, "size": e.size, "modifiedMs": e.modified_ms })
}

pub(super) fn log_line(level: log::Level, args: &[Value]) {
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
