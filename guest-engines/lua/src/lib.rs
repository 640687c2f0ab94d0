//! The Lua engine component: Lua 5.4 (mlua, vendored) running one plugin.
//!
//! The sandbox has the `table`, `string`, `math`, `utf8` and `coroutine`
//! libraries, a base library without `dofile`, `loadfile` or binary chunks
//! (`load` otherwise as upstream, `env` included), and of `debug` only
//! `traceback`, `getinfo`, `upvalueid` and `upvaluejoin`; no `io`, `os` or
//! `package`. `require` knows `"sdk"`, the standard libraries and the
//! plugin's own modules. Sources are bytes, as Lua's are. Handlers are the
//! functions of the global `Plugin` table; hooks get the payload as JSON
//! text, routes a request table.

use mlua::serde::{DeserializeOptions, SerializeOptions};
use mlua::{Function, Lua, LuaOptions, LuaSerdeExt, MultiValue, StdLib, Table, Value};
use raisfast_engine::sdk::{self, FUNCTIONS};
use raisfast_engine::{Error, ScriptEngine, SourceFile, export_engine, failed};
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static LUA: RefCell<Option<Lua>> = const { RefCell::new(None) };
}

fn to_json(lua: &Lua, v: Value) -> mlua::Result<serde_json::Value> {
    lua.from_value_with(v, DeserializeOptions::new().deny_unsupported_types(false))
}

fn from_json(lua: &Lua, v: &serde_json::Value) -> mlua::Result<Value> {
    lua.to_value_with(
        v,
        SerializeOptions::new()
            .serialize_none_to_null(false)
            .serialize_unit_to_null(false),
    )
}

/// The first line of a Lua error (the traceback is dropped).
fn describe(e: &mlua::Error) -> String {
    let text = match e {
        mlua::Error::CallbackError { cause, .. } => return describe(cause),
        mlua::Error::ExternalError(inner) => inner.to_string(),
        other => other.to_string(),
    };
    text.split("\nstack traceback:")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// `require` of a plugin module: `lib.util` -> `lib/util.lua`.
fn module_path(name: &str) -> String {
    format!("{}.lua", name.replace('.', "/"))
}

/// The functions of `debug` a plugin keeps: they read, or rewire the
/// plugin's own closures; none reaches the registry, hooks or another
/// function's locals.
const DEBUG_KEPT: [&str; 4] = ["traceback", "getinfo", "upvalueid", "upvaluejoin"];

fn install(lua: &Lua, files: HashMap<String, Vec<u8>>) -> mlua::Result<()> {
    let globals = lua.globals();
    for unsafe_fn in ["dofile", "loadfile"] {
        globals.raw_remove(unsafe_fn)?;
    }
    let full_debug: Table = globals.get("debug")?;
    let debug = lua.create_table()?;
    for name in DEBUG_KEPT {
        debug.set(name, full_debug.get::<Function>(name)?)?;
    }
    globals.set("debug", debug)?;
    // `load` of text chunks only (a binary chunk can break the VM's
    // invariants); otherwise as upstream: the arguments the caller gave are
    // passed on as given, so a missing `env` means the globals and an
    // explicit nil means none.
    let load: Function = globals.get("load")?;
    globals.set(
        "load",
        lua.create_function(move |lua, args: MultiValue| {
            let mut args: Vec<Value> = args.into_iter().collect();
            if args.len() < 3 {
                args.resize(3, Value::Nil);
            }
            let mode = match &args[2] {
                Value::Nil => "t".to_string(),
                Value::String(m) => m.to_string_lossy().replace('b', ""),
                other => {
                    return Err(mlua::Error::runtime(format!(
                        "bad argument #3 to 'load' (string expected, got {})",
                        other.type_name()
                    )));
                }
            };
            args[2] = Value::String(lua.create_string(&mode)?);
            load.call::<MultiValue>(MultiValue::from_iter(args))
        })?,
    )?;
    // Natives answer (true, value) or (false, "kind: message"); the Lua side
    // raises the message as a plain string error, catchable with pcall.
    let natives = lua.create_table()?;
    for f in FUNCTIONS {
        let name = f.name;
        let func = lua.create_function(move |lua, args: MultiValue| {
            let args = args
                .into_iter()
                .map(|v| to_json(lua, v))
                .collect::<mlua::Result<Vec<_>>>()?;
            Ok(match sdk::call(name, &args) {
                Ok(v) => (true, from_json(lua, &v)?),
                Err(e) => (
                    false,
                    Value::String(lua.create_string(sdk::error_text(&e))?),
                ),
            })
        })?;
        natives.set(name, func)?;
    }
    let sdk_table: Table = lua
        .load(
            r#"
            local natives = ...
            local sdk = {}
            for name, native in pairs(natives) do
              sdk[name] = function(...)
                local ok, value = native(...)
                if ok then return value end
                error(value, 0)
              end
            end
            return sdk
            "#,
        )
        .set_name("=sdk")
        .call(natives)?;
    let print_fn = lua.create_function(|lua, args: MultiValue| {
        let args = args
            .into_iter()
            .map(|v| {
                lua.coerce_string(v)
                    .map(|s| s.map(|s| s.to_string_lossy()).unwrap_or_default())
            })
            .collect::<mlua::Result<Vec<_>>>()?;
        let _ = sdk::call("logInfo", &[serde_json::Value::String(args.join("\t"))]);
        Ok(())
    })?;
    globals.set("print", print_fn)?;
    let loaded = lua.create_table()?;
    loaded.set("sdk", sdk_table)?;
    // `require` of a standard library gives it, as upstream's preloaded
    // `package.loaded` does.
    loaded.set("_G", globals.clone())?;
    for lib in ["string", "table", "math", "utf8", "coroutine", "debug"] {
        loaded.set(lib, globals.get::<Value>(lib)?)?;
    }
    globals.set(
        "require",
        lua.create_function(move |lua, name: String| -> mlua::Result<Value> {
            if let Some(m) = loaded.get::<Option<Value>>(name.as_str())? {
                return Ok(m);
            }
            let path = module_path(&name);
            let src = files.get(&path).ok_or_else(|| {
                mlua::Error::runtime(format!(
                    "module '{name}' not found: a plugin requires only \"sdk\" and its own files ({path})"
                ))
            })?;
            let value: Value = lua.load(&src[..]).set_name(format!("@{path}")).call(name.as_str())?;
            let value = if value.is_nil() { Value::Boolean(true) } else { value };
            loaded.set(name.as_str(), value.clone())?;
            Ok(value)
        })?,
    )?;
    Ok(())
}

fn with_handler<R>(
    name: &str,
    f: impl FnOnce(&Lua, Option<Function>) -> Result<R, Error>,
) -> Result<R, Error> {
    LUA.with(|l| {
        let l = l.borrow();
        let lua = l
            .as_ref()
            .ok_or_else(|| failed("the plugin is not loaded"))?;
        // A generator seeded before the snapshot would repeat in every instance.
        let math: Table = lua
            .globals()
            .get("math")
            .map_err(|e| failed(e.to_string()))?;
        let reseed: Function = math.get("randomseed").map_err(|e| failed(e.to_string()))?;
        let seed = raisfast_engine::random_seed();
        reseed
            .call::<()>(((seed >> 32) as i64, (seed & 0xffff_ffff) as i64))
            .map_err(|e| failed(e.to_string()))?;
        let plugin: Option<Table> = lua
            .globals()
            .get("Plugin")
            .map_err(|e| failed(e.to_string()))?;
        let func = match plugin {
            Some(p) => p
                .get::<Option<Function>>(name)
                .map_err(|e| failed(describe(&e)))?,
            None => None,
        };
        f(lua, func)
    })
}

struct LuaEngine;

impl ScriptEngine for LuaEngine {
    fn load(entry: &str, files: Vec<SourceFile>) -> Result<Vec<String>, Error> {
        let (files, source) = raisfast_engine::byte_sources(entry, files)?;
        let libs = StdLib::TABLE
            | StdLib::STRING
            | StdLib::MATH
            | StdLib::UTF8
            | StdLib::COROUTINE
            | StdLib::DEBUG;
        // SAFETY: `debug` is loaded only to keep the four functions of
        // `DEBUG_KEPT`; `install` replaces the global before any plugin code runs.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::default()) };
        install(&lua, files).map_err(|e| failed(e.to_string()))?;
        let chunk = lua.load(&source[..]).set_name(format!("@{entry}"));
        let function = chunk
            .into_function()
            .map_err(|e| Error::Invalid(describe(&e)))?;
        function.call::<()>(()).map_err(|e| failed(describe(&e)))?;
        let mut names = Vec::new();
        if let Some(plugin) = lua
            .globals()
            .get::<Option<Table>>("Plugin")
            .map_err(|e| failed(e.to_string()))?
        {
            for pair in plugin.pairs::<Value, Value>() {
                let (k, v) = pair.map_err(|e| failed(e.to_string()))?;
                if let (Value::String(k), Value::Function(_)) = (k, v) {
                    names.push(k.to_string_lossy());
                }
            }
        }
        names.sort();
        lua.gc_collect().map_err(|e| failed(e.to_string()))?;
        LUA.with(|l| *l.borrow_mut() = Some(lua));
        Ok(names)
    }

    fn handle(handler: &str, payload: String) -> Result<Option<String>, Error> {
        with_handler(handler, |lua, f| {
            let Some(f) = f else { return Ok(None) };
            let out: Value = f.call(payload).map_err(|e| failed(describe(&e)))?;
            if out.is_nil() {
                return Ok(None);
            }
            let json = to_json(lua, out)
                .map_err(|e| failed(format!("the return value is not JSON: {e}")))?;
            Ok(Some(raisfast_engine::sdk::json_text(&json)))
        })
    }

    fn route(handler: &str, request: serde_json::Value) -> Result<serde_json::Value, Error> {
        with_handler(handler, |lua, f| {
            let Some(f) = f else {
                return Err(Error::NotFound);
            };
            let req = from_json(lua, &request).map_err(|e| failed(e.to_string()))?;
            let out: Value = f.call(req).map_err(|e| failed(describe(&e)))?;
            to_json(lua, out).map_err(|e| failed(format!("the return value is not JSON: {e}")))
        })
    }
}

export_engine!(LuaEngine);
