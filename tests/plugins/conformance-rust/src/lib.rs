//! The conformance scenario in Rust (see tests/plugins/conformance-js/main.js).

use raisfast_sdk::{
    Error, HookResult, Input, Plugin, Request, Response, Result, Value, config, db, events, fail,
    http, ids, json, kv, log, ok, vfs,
};

struct Conformance;

fn kind(e: &Error) -> &'static str {
    match e {
        Error::Denied(_) => "denied",
        Error::Invalid(_) => "invalid",
        Error::NotFound => "not-found",
        Error::Limit(_) => "limit",
        Error::Failed(_) => "failed",
    }
}

fn attempt(name: &str, f: impl FnOnce() -> Result<Value>) -> Value {
    match f() {
        Ok(v) => json!([name, "ok", v]),
        Err(e) => json!([name, "error", kind(&e)]),
    }
}

fn scenario(input: &Input) -> Result<Value> {
    let event = input.event::<Value>()?;
    let prefix = event.body["prefix"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let t = format!("{prefix}items");
    Ok(json!([
        attempt("kv.set", || kv::set(
            "k",
            &json!({ "a": 1, "list": [1, 2] })
        )
        .map(|_| Value::Null)),
        attempt("kv.get", || Ok(kv::get::<Value>("k")?.unwrap_or_default())),
        attempt("kv.list", || Ok(json!(kv::list("")?))),
        attempt("kv.delete", || Ok(json!(kv::delete("k")?))),
        attempt("kv.get.missing", || Ok(
            kv::get::<Value>("k")?.unwrap_or_default()
        )),
        attempt("db.create", || {
            let r = db::execute(
                &format!("CREATE TABLE IF NOT EXISTS {t} (name TEXT NOT NULL)"),
                (),
            )?;
            Ok(json!({ "rowsAffected": r.rows_affected, "lastInsertId": r.last_insert_id }))
        }),
        attempt("db.insert", || {
            Ok(json!(
                db::execute(
                    &format!("INSERT INTO {t} (name) VALUES (?)"),
                    json!(["lamp"])
                )?
                .rows_affected
            ))
        }),
        attempt("db.query", || {
            Ok(json!(db::query(
                &format!("SELECT name FROM {t} WHERE name = :n"),
                json!({ "n": "lamp" })
            )?))
        }),
        attempt("db.protected", || Ok(json!(db::query(
            "SELECT * FROM users",
            ()
        )?))),
        attempt("db.invalid", || Ok(json!(db::query("SELEC 1", ())?))),
        attempt("vfs.write", || vfs::write("notes/a.txt", "hello")
            .map(|_| Value::Null)),
        attempt("vfs.read", || Ok(json!(vfs::read_to_string(
            "notes/a.txt"
        )?))),
        attempt("vfs.list", || Ok(json!(
            vfs::list("notes")?
                .into_iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
        ))),
        attempt("vfs.exists", || Ok(json!(vfs::exists("notes/b.txt")?))),
        attempt("vfs.escape", || Ok(json!(vfs::read_to_string(
            "../secret"
        )?))),
        attempt("config.get", || Ok(
            config::get::<Value>("greeting")?.unwrap_or_default()
        )),
        attempt("config.site", || Ok(
            config::get::<Value>("site.url")?.unwrap_or_default()
        )),
        attempt("events.emit", || events::emit(
            "conf.happened",
            &json!({ "n": 1 })
        )
        .map(|_| Value::Null)),
        attempt("ids.len", || Ok(json!(ids::new_id().len()))),
        attempt("http.denied", || Ok(json!(
            http::get("https://not-allowed.example/")?.status()
        ))),
        attempt("log", || {
            log::info("conformance rust");
            Ok(Value::Null)
        }),
    ]))
}

impl Plugin for Conformance {
    fn handle(hook: &str, input: Input) -> HookResult {
        match hook {
            "scenario" => scenario(&input).map(Some),
            "filter_title" => {
                let mut body = input.event::<Value>()?.body;
                let title = body["title"].as_str().unwrap_or_default().to_uppercase();
                body["title"] = json!(title);
                Ok(Some(body))
            }
            "render" => {
                let event = input.event::<Value>()?;
                Ok(Some(json!(format!(
                    "<p>{}</p>",
                    event.body["title"].as_str().unwrap_or_default()
                ))))
            }
            "action" => {
                log::info("action ran");
                Ok(None)
            }
            "boom" => Err(Error::failed("boom")),
            _ => Ok(None),
        }
    }

    fn route(req: Request) -> Result<Response> {
        match req.handler() {
            "echo" => ok(json!({
                "method": req.method(),
                "id": req.param("id"),
                "q": req.query("q"),
                "body": req.json::<Value>().ok(),
            })),
            "refuse" => fail(418, "no coffee"),
            _ => Err(Error::NotFound),
        }
    }
}

raisfast_sdk::export_plugin!(Conformance);
