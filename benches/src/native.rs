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

/// The busy handler of the memory benchmark, per script language.
const SPIN_JS: &str = "let x = 0; for (let i = 0; i < 3000000; i++) { x = (x + i) % 1000003; } x";
const SPIN_LUA: &str = "local x = 0 for i = 1, 3000000 do x = (x + i) % 1000003 end return x";
const SPIN_RHAI: &str = "let x = 0; for i in 0..300000 { x = (x + i) % 1000003; } x";

/// Runs the busy loop in a fresh interpreter of `kind` (the native model of
/// a call in flight).
pub fn spin(kind: raisfast::manifest::RuntimeKind) {
    use raisfast::manifest::RuntimeKind;
    match kind {
        RuntimeKind::Js => {
            let rt = rquickjs::Runtime::new().unwrap();
            let ctx = rquickjs::Context::full(&rt).unwrap();
            ctx.with(|ctx| ctx.eval::<i64, _>(SPIN_JS).unwrap());
        }
        RuntimeKind::Lua => {
            let lua = mlua::Lua::new();
            lua.load(SPIN_LUA).eval::<i64>().unwrap();
        }
        RuntimeKind::Rhai => {
            rhai::Engine::new().eval::<i64>(SPIN_RHAI).unwrap();
        }
        RuntimeKind::Wasm => {
            let mut x: u64 = 0;
            for i in 0..30_000_000u64 {
                x = std::hint::black_box((x + i) % 1_000_003);
            }
        }
    }
}

/// A QuickJS runtime and context with the SDK's functions registered (as
/// no-ops) and `source` evaluated.
fn js_loaded(source: &str) -> (rquickjs::Context, rquickjs::Runtime) {
    let rt = rquickjs::Runtime::new().unwrap();
    let ctx = rquickjs::Context::full(&rt).unwrap();
    ctx.with(|ctx| {
        let sdk = rquickjs::Object::new(ctx.clone()).unwrap();
        for name in SDK_NAMES {
            let f = rquickjs::Function::new(ctx.clone(), || ()).unwrap();
            sdk.set(name, f).unwrap();
        }
        ctx.globals().set("sdk", sdk).unwrap();
        ctx.eval::<(), _>(source).unwrap();
    });
    (ctx, rt)
}

/// A Lua state with the SDK's functions registered (as no-ops) and `source`
/// run.
fn lua_loaded(source: &str) -> mlua::Lua {
    let lua = mlua::Lua::new();
    let sdk = lua.create_table().unwrap();
    for name in SDK_NAMES {
        sdk.set(name, lua.create_function(|_, ()| Ok(())).unwrap())
            .unwrap();
    }
    lua.globals().set("sdk", sdk).unwrap();
    lua.load(source).exec().unwrap();
    lua
}

/// A Rhai engine with the SDK's functions registered (as no-ops).
fn rhai_engine() -> rhai::Engine {
    let mut engine = rhai::Engine::new();
    for name in SDK_NAMES {
        engine.register_fn(name, |_: rhai::Dynamic| ());
    }
    engine
}

/// Keeps `n` interpreters of `kind` alive, each with the SDK registered and
/// the plugin loaded (the native model of `n` loaded plugins).
pub fn keep_loaded(kind: raisfast::manifest::RuntimeKind, n: usize) -> Box<dyn std::any::Any> {
    use raisfast::manifest::RuntimeKind;
    match kind {
        RuntimeKind::Js => Box::new((0..n).map(|_| js_loaded(JS)).collect::<Vec<_>>()),
        RuntimeKind::Lua => Box::new((0..n).map(|_| lua_loaded(LUA)).collect::<Vec<_>>()),
        RuntimeKind::Rhai => Box::new(
            (0..n)
                .map(|_| (rhai_engine(), rhai_ast()))
                .collect::<Vec<_>>(),
        ),
        RuntimeKind::Wasm => Box::new(()),
    }
}

/// Native interpreters kept alive, one per source, each with the SDK
/// registered, the source loaded and `on_content_created` called once: the
/// native model of [`crate::sized_source`] plugins loaded and called once.
pub fn keep_called(
    kind: raisfast::manifest::RuntimeKind,
    sources: &[String],
) -> Box<dyn std::any::Any> {
    use raisfast::manifest::RuntimeKind;
    let payload = crate::PAYLOAD;
    match kind {
        RuntimeKind::Js => Box::new(
            sources
                .iter()
                .map(|src| {
                    let (ctx, rt) = js_loaded(src);
                    ctx.with(|ctx| {
                        let f: rquickjs::Function =
                            ctx.globals().get("on_content_created").unwrap();
                        let _: String = f.call((payload,)).unwrap();
                    });
                    (ctx, rt)
                })
                .collect::<Vec<_>>(),
        ),
        RuntimeKind::Lua => Box::new(
            sources
                .iter()
                .map(|src| {
                    let lua = lua_loaded(src);
                    let plugin: mlua::Table = lua.globals().get("Plugin").unwrap();
                    let f: mlua::Function = plugin.get("on_content_created").unwrap();
                    let _: String = f.call(payload).unwrap();
                    lua
                })
                .collect::<Vec<_>>(),
        ),
        _ => Box::new(
            sources
                .iter()
                .map(|src| {
                    let engine = rhai_engine();
                    let ast = engine.compile(src.as_str()).unwrap();
                    let mut scope = rhai::Scope::new();
                    engine.run_ast_with_scope(&mut scope, &ast).unwrap();
                    let _: String = engine
                        .call_fn(
                            &mut scope,
                            &ast,
                            "on_content_created",
                            (payload.to_string(),),
                        )
                        .unwrap();
                    (engine, ast, scope)
                })
                .collect::<Vec<_>>(),
        ),
    }
}
