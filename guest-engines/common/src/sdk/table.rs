//! [`FUNCTIONS`]: every SDK function with its signature and implementation.

use super::convert::{
    RESPONSE_KEY, entry, extract, fetch, headers, json_text, log_line, params_text, parse, text,
};
use super::{Args, SdkFn};
use crate::Error;
use crate::bindings::raisfast::plugin::types::Header;
use crate::bindings::raisfast::plugin::{config, db, events, ids, kv, log, vfs};
use serde_json::{Value, json};

const NULL: Result<Value, Error> = Ok(Value::Null);

/// Every SDK function.
pub const FUNCTIONS: &[SdkFn] = &[
    SdkFn {
        name: "dbQuery",
        snake: "db_query",
        params: &["sql", "params?"],
        run: |a| Ok(parse(&db::query(a.str(0, "sql")?, &params_text(a.opt(1)))?)),
    },
    SdkFn {
        name: "dbExecute",
        snake: "db_execute",
        params: &["sql", "params?"],
        run: |a| {
            let r = db::execute(a.str(0, "sql")?, &params_text(a.opt(1)))?;
            Ok(json!({ "rowsAffected": r.rows_affected, "lastInsertId": r.last_insert_id }))
        },
    },
    SdkFn {
        name: "dbBegin",
        snake: "db_begin",
        params: &[],
        run: |_| db::begin().and(NULL),
    },
    SdkFn {
        name: "dbCommit",
        snake: "db_commit",
        params: &[],
        run: |_| db::commit().and(NULL),
    },
    SdkFn {
        name: "dbRollback",
        snake: "db_rollback",
        params: &[],
        run: |_| db::rollback().and(NULL),
    },
    SdkFn {
        name: "httpFetch",
        snake: "http_fetch",
        params: &["request"],
        run: http_fetch,
    },
    SdkFn {
        name: "httpGet",
        snake: "http_get",
        params: &["url", "headers?"],
        run: |a| fetch("GET", a.str(0, "url")?, headers(a.opt(1)), None, None),
    },
    SdkFn {
        name: "httpPost",
        snake: "http_post",
        params: &["url", "body?", "headers?"],
        run: http_post,
    },
    SdkFn {
        name: "vfsRead",
        snake: "vfs_read",
        params: &["path"],
        run: |a| {
            Ok(Value::String(
                String::from_utf8_lossy(&vfs::read(a.str(0, "path")?)?).into_owned(),
            ))
        },
    },
    SdkFn {
        name: "vfsWrite",
        snake: "vfs_write",
        params: &["path", "data"],
        run: |a| {
            let data = a.opt(1).map(text).unwrap_or_default();
            vfs::write(a.str(0, "path")?, data.as_bytes()).and(NULL)
        },
    },
    SdkFn {
        name: "vfsDelete",
        snake: "vfs_delete",
        params: &["path"],
        run: |a| vfs::delete(a.str(0, "path")?).and(NULL),
    },
    SdkFn {
        name: "vfsList",
        snake: "vfs_list",
        params: &["path?"],
        run: |a| {
            let path = a.opt(0).and_then(Value::as_str).unwrap_or("");
            Ok(Value::Array(
                vfs::list(path)?.into_iter().map(entry).collect(),
            ))
        },
    },
    SdkFn {
        name: "vfsStat",
        snake: "vfs_stat",
        params: &["path"],
        run: |a| Ok(entry(vfs::stat(a.str(0, "path")?)?)),
    },
    SdkFn {
        name: "vfsExists",
        snake: "vfs_exists",
        params: &["path"],
        run: |a| Ok(Value::Bool(vfs::exists(a.str(0, "path")?)?)),
    },
    SdkFn {
        name: "kvGet",
        snake: "kv_get",
        params: &["key"],
        run: |a| {
            Ok(kv::get(a.str(0, "key")?)?
                .map(|j| parse(&j))
                .unwrap_or(Value::Null))
        },
    },
    SdkFn {
        name: "kvSet",
        snake: "kv_set",
        params: &["key", "value", "ttlSeconds?"],
        run: |a| {
            let value = a.opt(1).map_or_else(|| "null".into(), json_text);
            let ttl = a
                .opt(2)
                .and_then(Value::as_u64)
                .map(|t| t.min(u32::MAX as u64) as u32);
            kv::set(a.str(0, "key")?, &value, ttl).and(NULL)
        },
    },
    SdkFn {
        name: "kvDelete",
        snake: "kv_delete",
        params: &["key"],
        run: |a| Ok(Value::Bool(kv::delete(a.str(0, "key")?)?)),
    },
    SdkFn {
        name: "kvList",
        snake: "kv_list",
        params: &["prefix?"],
        run: |a| {
            let prefix = a.opt(0).and_then(Value::as_str).unwrap_or("");
            Ok(json!(kv::list(prefix)?))
        },
    },
    SdkFn {
        name: "configGet",
        snake: "config_get",
        params: &["key"],
        run: |a| {
            Ok(config::get(a.str(0, "key")?)?
                .map(|j| parse(&j))
                .unwrap_or(Value::Null))
        },
    },
    SdkFn {
        name: "configAll",
        snake: "config_all",
        params: &[],
        run: |_| Ok(parse(&config::all())),
    },
    SdkFn {
        name: "emit",
        snake: "emit",
        params: &["name", "payload?"],
        run: |a| {
            let payload = a.opt(1).map_or_else(|| "null".into(), json_text);
            events::emit(a.str(0, "name")?, &payload).and(NULL)
        },
    },
    SdkFn {
        name: "log",
        snake: "log",
        params: &["level", "..."],
        run: log_at,
    },
    SdkFn {
        name: "logDebug",
        snake: "log_debug",
        params: &["..."],
        run: |a| {
            log_line(log::Level::Debug, a.values);
            NULL
        },
    },
    SdkFn {
        name: "logInfo",
        snake: "log_info",
        params: &["..."],
        run: |a| {
            log_line(log::Level::Info, a.values);
            NULL
        },
    },
    SdkFn {
        name: "logWarn",
        snake: "log_warn",
        params: &["..."],
        run: |a| {
            log_line(log::Level::Warn, a.values);
            NULL
        },
    },
    SdkFn {
        name: "logError",
        snake: "log_error",
        params: &["..."],
        run: |a| {
            log_line(log::Level::Error, a.values);
            NULL
        },
    },
    SdkFn {
        name: "newId",
        snake: "new_id",
        params: &[],
        run: |_| Ok(Value::String(ids::new_id())),
    },
    SdkFn {
        name: "ok",
        snake: "ok",
        params: &["body?", "status?"],
        run: |a| {
            let status = a.opt(1).and_then(Value::as_u64).unwrap_or(200);
            Ok(
                json!({ RESPONSE_KEY: { "status": status, "body": a.opt(0).cloned().unwrap_or(Value::Null) } }),
            )
        },
    },
    SdkFn {
        name: "fail",
        snake: "fail",
        params: &["status?", "message?"],
        run: |a| {
            let status = a.opt(0).and_then(Value::as_u64).unwrap_or(500);
            let message = a.opt(1).map(text).unwrap_or_default();
            Ok(
                json!({ RESPONSE_KEY: { "status": status, "body": { "error": { "status": status, "message": message } } } }),
            )
        },
    },
    SdkFn {
        name: "extractJson",
        snake: "extract_json",
        params: &["input", "path"],
        run: |a| {
            let input = match a.opt(0) {
                Some(Value::String(t)) => serde_json::from_str(t)
                    .map_err(|e| a.invalid(&format!("the input is not valid JSON: {e}")))?,
                Some(v) => v.clone(),
                None => Value::Null,
            };
            Ok(extract(
                &input,
                a.opt(1).and_then(Value::as_str).unwrap_or(""),
            ))
        },
    },
];

fn http_fetch(a: Args<'_>) -> Result<Value, Error> {
    let req = a
        .opt(0)
        .ok_or_else(|| a.invalid("pass { method, url, headers, body, timeoutMs }"))?;
    let url = req
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| a.invalid("`url` is missing"))?;
    let method = req.get("method").and_then(Value::as_str).unwrap_or("GET");
    let body = req
        .get("body")
        .filter(|b| !b.is_null())
        .map(|b| text(b).into_bytes());
    let timeout = req
        .get("timeoutMs")
        .and_then(Value::as_u64)
        .map(|t| t.min(u32::MAX as u64) as u32);
    fetch(method, url, headers(req.get("headers")), body, timeout)
}

fn http_post(a: Args<'_>) -> Result<Value, Error> {
    let mut h = headers(a.opt(2));
    let body = match a.opt(1) {
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
            json_text(v).into_bytes()
        }
    };
    fetch("POST", a.str(0, "url")?, h, Some(body), None)
}

fn log_at(a: Args<'_>) -> Result<Value, Error> {
    let level = match a.str(0, "level")?.to_ascii_lowercase().as_str() {
        "trace" => log::Level::Trace,
        "debug" => log::Level::Debug,
        "info" => log::Level::Info,
        "warn" | "warning" => log::Level::Warn,
        "error" => log::Level::Error,
        other => {
            return Err(a.invalid(&format!(
                "unknown level `{other}`: use trace, debug, info, warn or error"
            )));
        }
    };
    log_line(level, &a.values[1..]);
    NULL
}
