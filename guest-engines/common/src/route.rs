//! Route requests as JSON for scripts, and what scripts return as responses.

use crate::bindings::raisfast::plugin::types::Header;
use crate::sdk::{RESPONSE_KEY, json_text};
use crate::{RouteRequest, RouteResponse};
use serde_json::{Map, Value, json};

fn pairs(p: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in p {
        m.entry(k.clone())
            .or_insert_with(|| Value::String(v.clone()));
    }
    Value::Object(m)
}

/// The request a script handler receives: `handler`, `method`, `path`,
/// `params`, `query`, `headers` (objects), `body` (text), `json` (the body
/// parsed, or null) and `caller` (`{id, username, role}` or null).
pub fn request_to_json(r: &RouteRequest) -> Value {
    let body = String::from_utf8_lossy(&r.body).into_owned();
    let parsed = serde_json::from_str::<Value>(&body).unwrap_or(Value::Null);
    let mut headers = Map::new();
    for h in &r.headers {
        headers.insert(h.name.to_ascii_lowercase(), Value::String(h.value.clone()));
    }
    json!({
        "handler": r.handler,
        "method": r.method,
        "path": r.path,
        "params": pairs(&r.params),
        "query": pairs(&r.query),
        "headers": headers,
        "body": body,
        "json": parsed,
        "caller": r.caller.as_ref().map(|c| json!({ "id": c.user_id, "username": c.username, "role": c.role })),
    })
}

/// The response for what a handler returned: `ok(...)` / `fail(...)` as
/// built, a string as text, nothing as 204, anything else as JSON with 200.
pub fn response_from_json(v: Value) -> RouteResponse {
    let (status, body) = match v {
        Value::Object(mut m) if m.contains_key(RESPONSE_KEY) => {
            let r = m.remove(RESPONSE_KEY).unwrap_or(Value::Null);
            let status = r
                .get("status")
                .and_then(Value::as_u64)
                .unwrap_or(200)
                .clamp(100, 599) as u16;
            (status, r.get("body").cloned().unwrap_or(Value::Null))
        }
        Value::Null => {
            return RouteResponse {
                status: 204,
                headers: Vec::new(),
                body: Vec::new(),
            };
        }
        other => (200, other),
    };
    let (content_type, bytes) = match &body {
        Value::String(s) => ("text/plain; charset=utf-8", s.clone().into_bytes()),
        other => ("application/json", json_text(other).into_bytes()),
    };
    RouteResponse {
        status,
        headers: vec![Header {
            name: "content-type".into(),
            value: content_type.into(),
        }],
        body: bytes,
    }
}
