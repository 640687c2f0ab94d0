//! The Rhai engine component: Rhai running one plugin.
//!
//! Host functions are globals with snake_case names (`db_query(sql, params)`,
//! `log(level, message)`, `kv_get(key)`...). Handlers are the script's `fn`s;
//! hooks get the payload as a map (`input.id`), routes the request as a map.
//! `import "lib" as lib;` loads `lib.rhai` from the plugin directory.

use raisfast_engine::sdk::{self, FUNCTIONS};
use raisfast_engine::{Error, ScriptEngine, SourceFile, export_engine, failed};
use rhai::module_resolvers::StaticModuleResolver;
use rhai::serde::{from_dynamic, to_dynamic};
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, Module, Position, Scope};
use std::cell::RefCell;

struct Loaded {
    engine: Engine,
    ast: AST,
    entry: String,
}

thread_local! {
    static LOADED: RefCell<Option<Loaded>> = const { RefCell::new(None) };
}

type RhaiResult = Result<Dynamic, Box<EvalAltResult>>;

fn call(name: &'static str, args: &[Dynamic]) -> RhaiResult {
    let args = args
        .iter()
        .map(from_dynamic::<serde_json::Value>)
        .collect::<Result<Vec<_>, _>>()?;
    match sdk::call(name, &args) {
        Ok(v) => to_dynamic(v),
        Err(e) => Err(Box::new(EvalAltResult::ErrorRuntime(
            sdk::error_text(&e).into(),
            Position::NONE,
        ))),
    }
}

/// Every SDK function as a global, with zero to three arguments.
fn register(engine: &mut Engine) {
    for f in FUNCTIONS {
        let n = f.snake;
        engine.register_fn(n, move || call(n, &[]));
        engine.register_fn(n, move |a: Dynamic| call(n, &[a]));
        engine.register_fn(n, move |a: Dynamic, b: Dynamic| call(n, &[a, b]));
        engine.register_fn(n, move |a: Dynamic, b: Dynamic, c: Dynamic| {
            call(n, &[a, b, c])
        });
    }
    engine.on_print(|s| {
        let _ = sdk::call("logInfo", &[serde_json::Value::String(s.into())]);
    });
    engine.on_debug(|s, _, pos| {
        let _ = sdk::call(
            "logDebug",
            &[serde_json::Value::String(format!("{s} ({pos})"))],
        );
    });
}

/// `file:line:column: message` for a Rhai error.
fn describe(file: &str, e: &EvalAltResult) -> String {
    let pos = e.position();
    let mut msg = e.to_string();
    // Rhai appends " (line L, position P)"; the location goes in front instead.
    if let Some(i) = msg.rfind(" (line ") {
        msg.truncate(i);
    }
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}: {msg}"),
        (Some(l), None) => format!("{file}:{l}: {msg}"),
        _ => format!("{file}: {msg}"),
    }
}

fn with_loaded<R>(f: impl FnOnce(&Loaded) -> Result<R, Error>) -> Result<R, Error> {
    LOADED.with(|l| {
        let l = l.borrow();
        f(l.as_ref()
            .ok_or_else(|| failed("the plugin is not loaded"))?)
    })
}

/// Calls script function `name` with `arg` (if it takes one); `None` if absent.
fn invoke(l: &Loaded, name: &str, arg: serde_json::Value) -> Result<Option<Dynamic>, Error> {
    let Some(params) = l
        .ast
        .iter_functions()
        .find(|f| f.name == name)
        .map(|f| f.params.len())
    else {
        return Ok(None);
    };
    let arg = to_dynamic(arg).map_err(|e| failed(e.to_string()))?;
    let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
    let mut scope = Scope::new();
    let r: Result<Dynamic, _> = match params {
        0 => l
            .engine
            .call_fn_with_options(options, &mut scope, &l.ast, name, ()),
        _ => l
            .engine
            .call_fn_with_options(options, &mut scope, &l.ast, name, (arg,)),
    };
    r.map(Some).map_err(|e| failed(describe(&l.entry, &e)))
}

fn to_json(d: Dynamic) -> Result<serde_json::Value, Error> {
    from_dynamic::<serde_json::Value>(&d)
        .map_err(|e| failed(format!("the return value is not JSON: {e}")))
}

struct Rhai;

impl ScriptEngine for Rhai {
    fn load(entry: &str, files: Vec<SourceFile>) -> Result<Vec<String>, Error> {
        let mut engine = Engine::new();
        register(&mut engine);
        let mut resolver = StaticModuleResolver::new();
        let (files, source) = raisfast_engine::sources(entry, files)?;
        let mut modules: Vec<_> = files.iter().filter(|(p, _)| *p != entry).collect();
        modules.sort();
        for (path, contents) in modules {
            if let Some(name) = path.strip_suffix(".rhai") {
                let ast = engine
                    .compile(contents)
                    .map_err(|e| Error::Invalid(describe(path, &e.into())))?;
                let module = Module::eval_ast_as_new(Scope::new(), &ast, &engine)
                    .map_err(|e| failed(describe(path, &e)))?;
                resolver.insert(name, module);
            }
        }
        engine.set_module_resolver(resolver);
        let ast = engine
            .compile(&source)
            .map_err(|e| Error::Invalid(describe(entry, &e.into())))?;
        let mut scope = Scope::new();
        engine
            .run_ast_with_scope(&mut scope, &ast)
            .map_err(|e| failed(describe(entry, &e)))?;
        // Rhai functions are pure: they reach the script's top-level constants
        // through `global::NAME`, which a call made from outside (`call_fn`)
        // does not set up. A static module named `global` holding them does.
        let mut constants = Module::new();
        for (name, is_constant, value) in scope.iter_raw() {
            if is_constant {
                constants.set_var(name, value.clone());
            }
        }
        engine.register_static_module("global", constants.into());
        let mut names: Vec<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
        names.sort();
        names.dedup();
        LOADED.with(|l| {
            *l.borrow_mut() = Some(Loaded {
                engine,
                ast,
                entry: entry.to_string(),
            })
        });
        Ok(names)
    }

    fn handle(handler: &str, payload: String) -> Result<Option<String>, Error> {
        let input: serde_json::Value =
            serde_json::from_str(&payload).unwrap_or(serde_json::Value::String(payload));
        with_loaded(|l| match invoke(l, handler, input)? {
            None => Ok(None),
            Some(d) if d.is_unit() => Ok(None),
            Some(d) => Ok(Some(raisfast_engine::sdk::json_text(&to_json(d)?))),
        })
    }

    fn route(handler: &str, request: serde_json::Value) -> Result<serde_json::Value, Error> {
        with_loaded(|l| match invoke(l, handler, request)? {
            None => Err(Error::NotFound),
            Some(d) if d.is_unit() => Ok(serde_json::Value::Null),
            Some(d) => to_json(d),
        })
    }
}

export_engine!(Rhai);
