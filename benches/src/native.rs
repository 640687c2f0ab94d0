//! Native baselines: each call creates an interpreter in the host process,
//! registers the SDK's 20 host functions, loads the plugin, calls the handler
//! and turns its result into JSON, then drops everything.

use super::SDK_NAMES;
use std::cell::RefCell;

thread_local! {
    /// What the native `logInfo` and friends write.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn log(line: String) {
    LOG.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() > 1000 {
            l.clear();
        }
        l.push(line);
    });
}

/// The tiny handler as a global script (QuickJS native).
pub const JS: &str = "function on_content_created(input) {\n  const data = JSON.parse(input);\n  sdk.logInfo('created: ' + data.id);\n}\n";

/// One call with a fresh QuickJS runtime and context.
pub fn js(payload: &str) -> Option<String> {
    use rquickjs::{Context, Function, Object, Runtime, Value, prelude::Rest};
    let rt = Runtime::new().unwrap();
    let ctx = Context::full(&rt).unwrap();
    ctx.with(|ctx| {
        let sdk = Object::new(ctx.clone()).unwrap();
        for name in SDK_NAMES {
            let f = Function::new(ctx.clone(), move |args: Rest<Value>| {
                if let Some(s) = args.first().and_then(|v| v.as_string()) {
                    log(format!("{name}: {}", s.to_string().unwrap_or_default()));
                }
            })
            .unwrap();
            sdk.set(name, f).unwrap();
        }
        ctx.globals().set("sdk", sdk).unwrap();
        ctx.eval::<(), _>(JS).unwrap();
        let f: Function = ctx.globals().get("on_content_created").unwrap();
        let out: Value = f.call((payload,)).unwrap();
        if out.is_undefined() {
            None
        } else {
            ctx.json_stringify(out)
                .unwrap()
                .map(|s| s.to_string().unwrap())
        }
    })
}

/// The tiny handler in Lua, with `sdk` a global table (mlua native).
pub const LUA: &str = "Plugin = {}\nPlugin.on_content_created = function(input)\n  local data = sdk.extractJson(input, 'body')\n  sdk.logInfo('created: ' .. tostring(data.id))\nend\n";

/// One call with a fresh Lua state.
pub fn lua(payload: &str) -> Option<String> {
    use mlua::{Function, Lua, Table, Value};
    let lua = Lua::new();
    let sdk = lua.create_table().unwrap();
    for name in SDK_NAMES {
        let f = if name == "extractJson" {
            lua.create_function(|lua, (input, path): (String, String)| {
                let v: serde_json::Value = serde_json::from_str(&input).unwrap_or_default();
                let t = lua.create_table()?;
                if let Some(obj) = v.get(&path).and_then(|b| b.as_object()) {
                    for (k, v) in obj {
                        t.set(k.as_str(), v.as_str().unwrap_or_default())?;
                    }
                }
                Ok(Value::Table(t))
            })
        } else {
            lua.create_function(move |_, msg: mlua::MultiValue| {
                log(format!("{name}: {}", msg.len()));
                Ok(())
            })
        }
        .unwrap();
        sdk.set(name, f).unwrap();
    }
    lua.globals().set("sdk", sdk).unwrap();
    lua.load(LUA).exec().unwrap();
    let plugin: Table = lua.globals().get("Plugin").unwrap();
    let f: Function = plugin.get("on_content_created").unwrap();
    let out: Value = f.call(payload).unwrap();
    (!out.is_nil()).then(|| format!("{out:?}"))
}

/// The tiny handler in Rhai.
pub const RHAI: &str =
    "fn on_content_created(input) {\n  log(\"info\", \"created: \" + input.id);\n}\n";

/// Compiles the Rhai plugin once (the native model caches the AST).
pub fn rhai_ast() -> rhai::AST {
    rhai::Engine::new().compile(RHAI).unwrap()
}

/// One call with a fresh Rhai engine and the cached AST.
pub fn rhai(ast: &rhai::AST, payload: &str) -> Option<String> {
    use rhai::{Dynamic, Engine, Map, Scope};
    let mut engine = Engine::new();
    for name in SDK_NAMES {
        engine.register_fn(name, move |a: Dynamic| log(format!("{name}: {a}")));
    }
    engine.register_fn("log", |level: &str, msg: &str| {
        log(format!("{level}: {msg}"))
    });
    let v: serde_json::Value = serde_json::from_str(payload).unwrap();
    let mut input = Map::new();
    if let Some(id) = v["id"].as_str() {
        input.insert("id".into(), id.into());
    }
    let out: Dynamic = engine
        .call_fn(&mut Scope::new(), ast, "on_content_created", (input,))
        .unwrap();
    (!out.is_unit()).then(|| out.to_string())
}

/// The tiny handler as native Rust: parse the payload, log.
pub fn rust(payload: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap();
    log(format!("created: {}", v["id"]));
    None
}
