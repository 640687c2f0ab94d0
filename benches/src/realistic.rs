//! Native baselines of the realistic handler: parse the payload, read a row of
//! the plugin's own table, write a KV key, return the body with a field added.
//!
//! Each call creates an interpreter in the host process, registers the SDK's
//! host functions, loads the plugin and calls the handler, as the tiny
//! baselines do. `dbQuery` and `kvSet` run RaisFast's own host API (the same
//! permission checks, the same SQLite connection pool), so the baseline does
//! exactly the host work the sandboxed plugin does; what differs is the
//! sandbox.

use super::SDK_NAMES;
use raisfast::host_api::{CallState, PluginContext, db, kv};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// The host side of one native call: the plugin's context and the call's state.
pub struct Host {
    ctx: Arc<PluginContext>,
    call: RefCell<CallState>,
}

impl Host {
    /// A call of the realistic hook for the plugin of `ctx`.
    pub fn new(ctx: Arc<PluginContext>) -> Rc<Host> {
        Rc::new(Host {
            ctx,
            call: RefCell::new(CallState::new(
                "on_content_creating",
                Duration::from_secs(5),
                0,
            )),
        })
    }

    /// `dbQuery`: rows as JSON text.
    pub fn query(&self, sql: &str, params: &str) -> String {
        db::query(&self.ctx, &mut self.call.borrow_mut(), sql, params).unwrap()
    }

    /// `kvSet` with a JSON value.
    pub fn kv_set(&self, key: &str, value: &str) {
        kv::set(&self.ctx, &mut self.call.borrow_mut(), key, value, None).unwrap()
    }
}

/// The realistic handler as a global QuickJS script.
pub const JS: &str = "function on_content_creating(input) {\n  const data = JSON.parse(input);\n  const rows = sdk.dbQuery('SELECT title FROM js_items WHERE id = ?', [1]);\n  sdk.kvSet('last-created', data.id);\n  data.body.related = rows[0].title;\n  return data.body;\n}\n";

/// The JS side of the SDK functions that take and return JSON values.
const JS_GLUE: &str = "sdk.dbQuery = (sql, params) => JSON.parse(sdk.__query(sql, JSON.stringify(params ?? null)));\nsdk.kvSet = (key, value) => sdk.__kvSet(key, JSON.stringify(value));\n";

/// One call with a fresh QuickJS runtime and context.
pub fn js(ctx: &Arc<PluginContext>, payload: &str) -> String {
    use rquickjs::{Context, Function, Object, Runtime, Value};
    let host = Host::new(Arc::clone(ctx));
    let rt = Runtime::new().unwrap();
    let context = Context::full(&rt).unwrap();
    context.with(|ctx| {
        let sdk = Object::new(ctx.clone()).unwrap();
        for name in SDK_NAMES {
            sdk.set(name, Function::new(ctx.clone(), || ()).unwrap())
                .unwrap();
        }
        // JSON crosses as text, with the conversions on the JS side.
        let h = Rc::clone(&host);
        let query = move |sql: String, params: String| h.query(&sql, &params);
        sdk.set("__query", Function::new(ctx.clone(), query).unwrap())
            .unwrap();
        let h = Rc::clone(&host);
        let kv_set = move |key: String, value: String| h.kv_set(&key, &value);
        sdk.set("__kvSet", Function::new(ctx.clone(), kv_set).unwrap())
            .unwrap();
        ctx.globals().set("sdk", sdk).unwrap();
        ctx.eval::<(), _>(JS_GLUE).unwrap();
        ctx.eval::<(), _>(JS).unwrap();
        let f: Function = ctx.globals().get("on_content_creating").unwrap();
        let out: Value = f.call((payload,)).unwrap();
        ctx.json_stringify(out)
            .unwrap()
            .unwrap()
            .to_string()
            .unwrap()
    })
}

/// The realistic handler in Lua, with `sdk` a global table.
pub const LUA: &str = "Plugin = {}\nPlugin.on_content_creating = function(input)\n  local data = sdk.extractJson(input, '')\n  local rows = sdk.dbQuery('SELECT title FROM lua_items WHERE id = ?', {1})\n  sdk.kvSet('last-created', data.id)\n  data.body.related = rows[1].title\n  return data.body\nend\n";

/// One call with a fresh Lua state.
pub fn lua(ctx: &Arc<PluginContext>, payload: &str) -> String {
    use mlua::{Function, Lua, LuaSerdeExt, Table, Value};
    let host = Host::new(Arc::clone(ctx));
    let lua = Lua::new();
    let sdk = lua.create_table().unwrap();
    for name in SDK_NAMES {
        sdk.set(name, lua.create_function(|_, ()| Ok(())).unwrap())
            .unwrap();
    }
    let extract = lua
        .create_function(|lua, (input, _path): (String, String)| {
            let v: serde_json::Value =
                serde_json::from_str(&input).map_err(mlua::Error::external)?;
            lua.to_value(&v)
        })
        .unwrap();
    sdk.set("extractJson", extract).unwrap();
    let h = Rc::clone(&host);
    let query = lua
        .create_function(move |lua, (sql, params): (String, Value)| {
            let params: serde_json::Value = lua.from_value(params)?;
            let rows: serde_json::Value =
                serde_json::from_str(&h.query(&sql, &params.to_string())).unwrap();
            lua.to_value(&rows)
        })
        .unwrap();
    sdk.set("dbQuery", query).unwrap();
    let h = Rc::clone(&host);
    let kv_set = lua
        .create_function(move |lua, (key, value): (String, Value)| {
            let value: serde_json::Value = lua.from_value(value)?;
            h.kv_set(&key, &value.to_string());
            Ok(())
        })
        .unwrap();
    sdk.set("kvSet", kv_set).unwrap();
    lua.globals().set("sdk", sdk).unwrap();
    lua.load(LUA).exec().unwrap();
    let plugin: Table = lua.globals().get("Plugin").unwrap();
    let f: Function = plugin.get("on_content_creating").unwrap();
    let out: Value = f.call(payload).unwrap();
    let out: serde_json::Value = lua.from_value(out).unwrap();
    out.to_string()
}

/// The realistic handler in Rhai.
pub const RHAI: &str = "fn on_content_creating(input) {\n  let rows = db_query(\"SELECT title FROM rhai_items WHERE id = ?\", [1]);\n  kv_set(\"last-created\", input.id);\n  let body = input.body;\n  body.related = rows[0].title;\n  body\n}\n";

/// Compiles the Rhai plugin once (the native model caches the AST).
pub fn rhai_ast() -> rhai::AST {
    rhai::Engine::new().compile(RHAI).unwrap()
}

/// One call with a fresh Rhai engine and the cached AST.
pub fn rhai(ctx: &Arc<PluginContext>, ast: &rhai::AST, payload: &str) -> String {
    use rhai::serde::{from_dynamic, to_dynamic};
    use rhai::{Array, Dynamic, Engine, Scope};
    let host = Host::new(Arc::clone(ctx));
    let mut engine = Engine::new();
    for name in SDK_NAMES {
        engine.register_fn(name, |_: Dynamic| ());
    }
    let h = Rc::clone(&host);
    engine.register_fn("db_query", move |sql: &str, params: Array| {
        let params: serde_json::Value = from_dynamic(&params.into()).unwrap();
        let rows: serde_json::Value =
            serde_json::from_str(&h.query(sql, &params.to_string())).unwrap();
        to_dynamic(rows).unwrap()
    });
    let h = Rc::clone(&host);
    engine.register_fn("kv_set", move |key: &str, value: Dynamic| {
        let value: serde_json::Value = from_dynamic(&value).unwrap();
        h.kv_set(key, &value.to_string());
    });
    let input: serde_json::Value = serde_json::from_str(payload).unwrap();
    let input = to_dynamic(input).unwrap();
    let out: Dynamic = engine
        .call_fn(&mut Scope::new(), ast, "on_content_creating", (input,))
        .unwrap();
    let out: serde_json::Value = from_dynamic(&out).unwrap();
    out.to_string()
}

/// The realistic handler as native Rust, on the same host API.
pub fn rust(ctx: &Arc<PluginContext>, payload: &str) -> String {
    let host = Host::new(Arc::clone(ctx));
    let mut event: serde_json::Value = serde_json::from_str(payload).unwrap();
    let rows: serde_json::Value =
        serde_json::from_str(&host.query("SELECT title FROM rust_items WHERE id = ?", "[1]"))
            .unwrap();
    host.kv_set("last-created", &event["id"].to_string());
    event["body"]["related"] = rows[0]["title"].clone();
    event["body"].to_string()
}
