//! The JavaScript engine component: QuickJS (rquickjs) running one plugin.
//!
//! `load` evaluates the plugin's entry as an ES module (relative imports
//! resolved among the plugin's files, `sdk` provided by the host glue), keeps
//! its namespace, and is followed by a snapshot: every call then starts from a
//! fresh copy of this loaded engine. Handlers are the module's exported
//! functions; hooks get the payload as JSON text, routes a request object.
//! The web platform APIs ([`web`]) are installed before the plugin's module.

mod convert;
mod web;

use raisfast_engine::sdk::{self, FUNCTIONS};
use raisfast_engine::{Error, ScriptEngine, SourceFile, export_engine, failed};
use rquickjs::loader::{Loader, Resolver};
use rquickjs::promise::PromiseState;
use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Exception, Function, Module, Object, Persistent,
    Runtime, Value,
};
use std::cell::RefCell;
use std::collections::HashMap;

struct Loaded {
    _runtime: Runtime,
    context: Context,
    exports: Persistent<Object<'static>>,
    /// Runs the next due timer (see `web/timers.js`).
    run_timers: Persistent<Function<'static>>,
}

thread_local! {
    static LOADED: RefCell<Option<Loaded>> = const { RefCell::new(None) };
}

/// The `sdk` module: each SDK function forwards to the native `__raisfast_call`.
fn sdk_source() -> String {
    let mut s = String::from("const __call = globalThis.__raisfast_call;\n");
    for f in FUNCTIONS {
        s.push_str(&format!(
            "export function {0}(...args) {{ return __call(\"{0}\", args); }}\n",
            f.name
        ));
    }
    s
}

/// Plugin files by normalised path, and what the host resolved the
/// specifiers of each to (npm packages: `.raisfast/resolve.json`).
#[derive(Clone)]
struct PluginFiles(
    HashMap<String, String>,
    HashMap<String, HashMap<String, String>>,
);

/// The table of resolved specifiers the host writes when a plugin imports
/// npm packages (see the host's `toolchain::npm`).
const RESOLUTIONS: &str = ".raisfast/resolve.json";

/// Bytes a call may allocate before QuickJS first collects cycles (see
/// `load`); a call that allocates more collects as usual.
const CALL_GC_HEADROOM: usize = 4 << 20;

impl PluginFiles {
    fn new(files: HashMap<String, String>) -> PluginFiles {
        let table = files
            .get(RESOLUTIONS)
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        PluginFiles(files, table)
    }
}

fn normalize(base: &str, name: &str) -> Option<String> {
    let dir = base.rsplit_once('/').map_or("", |(d, _)| d);
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for seg in name.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

impl Resolver for PluginFiles {
    fn resolve<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<rquickjs::loader::ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        if name == "sdk" {
            return Ok("sdk".into());
        }
        if let Some(target) = self.1.get(base).and_then(|t| t.get(name)) {
            return Ok(target.clone());
        }
        // Files the host generated refer to each other from the plugin's root.
        if let Some(rooted) = name.strip_prefix('/')
            && self.0.contains_key(rooted)
        {
            return Ok(rooted.to_string());
        }
        let relative = name.starts_with("./") || name.starts_with("../");
        let found = relative
            .then(|| normalize(base, name))
            .flatten()
            .and_then(|p| {
                // TypeScript's habit: `./lib.js` names `lib.ts` when there is
                // no `lib.js` (the host has made it JavaScript already).
                let ts = p
                    .strip_suffix(".js")
                    .map(|stem| format!("{stem}.ts"))
                    .unwrap_or_default();
                [
                    p.clone(),
                    format!("{p}.js"),
                    format!("{p}.mjs"),
                    format!("{p}.ts"),
                    format!("{p}.mts"),
                    ts,
                ]
                .into_iter()
                .find(|c| self.0.contains_key(c))
            });
        found.ok_or_else(|| {
            Exception::throw_message(
                ctx,
                &format!("cannot import `{name}` from {base}: a plugin imports 'sdk', its own files (`./lib.js`) and the packages installed in its node_modules"),
            )
        })
    }
}

impl Loader for PluginFiles {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<rquickjs::loader::ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, rquickjs::module::Declared>> {
        if name == "sdk" {
            return Module::declare(ctx.clone(), "sdk", sdk_source());
        }
        match self.0.get(name) {
            Some(src) => Module::declare(ctx.clone(), name, src.clone()),
            None => Err(Exception::throw_message(ctx, &format!("no module {name}"))),
        }
    }
}

/// `file:line: message` for an exception (or any other caught error).
fn describe(e: CaughtError<'_>) -> String {
    match e {
        CaughtError::Exception(ex) => {
            let msg = ex.message().unwrap_or_default();
            let name: String = ex.get("name").unwrap_or_else(|_| "Error".into());
            let at = ex
                .stack()
                .and_then(|s| {
                    s.lines()
                        .map(str::trim)
                        .find(|l| l.starts_with("at "))
                        .map(|l| l.trim_start_matches("at ").to_string())
                })
                .map(|l| format!(" (at {l})"))
                .unwrap_or_default();
            format!("{name}: {msg}{at}")
        }
        CaughtError::Value(v) => format!("uncaught {}", v.type_name()),
        CaughtError::Error(e) => e.to_string(),
    }
}

/// The native side of every SDK function: JSON in, JSON out, host errors thrown.
fn install_host<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<()> {
    let call = Function::new(
        ctx.clone(),
        |ctx: Ctx<'js>, name: String, args: Value<'js>| -> rquickjs::Result<Value<'js>> {
            let json = ctx
                .json_stringify(args)?
                .map(|s| s.to_string())
                .transpose()?;
            let args: Vec<serde_json::Value> = json
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default();
            match sdk::call(&name, &args) {
                Ok(v) => convert::to_js(&ctx, &v),
                Err(e) => {
                    let ex = Exception::from_message(ctx.clone(), &sdk::error_text(&e))?;
                    ex.set("kind", sdk::error_kind(&e))?;
                    Err(ctx.throw(ex.into_value()))
                }
            }
        },
    )?;
    let globals = ctx.globals();
    globals.set("__raisfast_call", call)?;
    // Randomness from the host on every call: a generator seeded before the
    // snapshot would repeat in every instance.
    let random = Function::new(ctx.clone(), || -> f64 {
        (raisfast_engine::random_seed() >> 11) as f64 / (1u64 << 53) as f64
    })?;
    let math: Object = globals.get("Math")?;
    math.set("random", random)?;
    Ok(())
}

/// The event loop of a call: runs pending jobs and due timers until `value`
/// (a promise or not) is settled, sleeping until the next timer when nothing
/// else can run. The host bounds every sleep by the call's deadline.
fn settle<'js>(
    ctx: &Ctx<'js>,
    value: Value<'js>,
    run_timers: &Function<'js>,
) -> rquickjs::Result<Value<'js>> {
    loop {
        while ctx.execute_pending_job() {}
        let Some(p) = value.as_promise() else {
            return Ok(value);
        };
        if p.state() != PromiseState::Pending {
            return p.clone().finish::<Value>();
        }
        let wait: f64 = run_timers.call(())?;
        if wait < 0.0 {
            return Err(Exception::throw_message(
                ctx,
                "the handler's promise never settles: no job or timer is left that could settle it",
            ));
        }
        if wait > 0.0 {
            // Never more than a day at a time (the host wakes the call at its
            // deadline long before); a bound also keeps the conversion finite.
            let ms = wait.min(86_400_000.0);
            std::thread::sleep(std::time::Duration::from_secs_f64(ms / 1000.0));
        }
    }
}

struct Js;

impl ScriptEngine for Js {
    fn load(entry: &str, files: Vec<SourceFile>) -> Result<Vec<String>, Error> {
        let (files, source) = raisfast_engine::sources(entry, files)?;
        let runtime = Runtime::new().map_err(|e| failed(format!("QuickJS: {e}")))?;
        let plugin_files = PluginFiles::new(files);
        runtime.set_loader(plugin_files.clone(), plugin_files);
        let context = Context::full(&runtime).map_err(|e| failed(format!("QuickJS: {e}")))?;
        let (exports, run_timers, names) = context.with(|ctx| -> Result<_, Error> {
            install_host(&ctx).map_err(|e| failed(e.to_string()))?;
            let web = web::install(&ctx)
                .catch(&ctx)
                .map_err(|e| failed(format!("the web APIs: {}", describe(e))))?;
            let module = Module::declare(ctx.clone(), entry, source)
                .catch(&ctx)
                .map_err(|e| Error::Invalid(format!("{entry}: {}", describe(e))))?;
            let (module, promise) = module
                .eval()
                .catch(&ctx)
                .map_err(|e| Error::Invalid(format!("{entry}: {}", describe(e))))?;
            promise
                .finish::<()>()
                .catch(&ctx)
                .map_err(|e| failed(format!("{entry}: {}", describe(e))))?;
            let ns = module.namespace().map_err(|e| failed(e.to_string()))?;
            let mut names = Vec::new();
            for key in ns.keys::<String>() {
                let key = key.map_err(|e| failed(e.to_string()))?;
                let v: Value = ns.get(&key).map_err(|e| failed(e.to_string()))?;
                if v.is_function() {
                    names.push(key);
                }
            }
            // Timers set by top-level code would fire in some later call.
            web.clear_timers
                .call::<_, ()>(())
                .map_err(|e| failed(e.to_string()))?;
            Ok((
                Persistent::save(&ctx, ns),
                Persistent::save(&ctx, web.run_timers),
                names,
            ))
        })?;
        runtime.run_gc();
        // Every call runs on a fresh instance of this snapshot, discarded
        // after it. A cycle collection in a short call would only write a
        // mark into every object of the heap, pages the host then copies
        // back: collection starts once a call has allocated
        // `CALL_GC_HEADROOM`, and runs as usual from then on.
        let used = usize::try_from(runtime.memory_usage().malloc_size).unwrap_or(0);
        runtime.set_gc_threshold(used.saturating_add(CALL_GC_HEADROOM));
        LOADED.with(|l| {
            *l.borrow_mut() = Some(Loaded {
                _runtime: runtime,
                context,
                exports,
                run_timers,
            })
        });
        Ok(names)
    }

    fn handle(handler: &str, payload: String) -> Result<Option<String>, Error> {
        with_handler(handler, |ctx, f, timers| {
            let Some(f) = f else { return Ok(None) };
            let out = f
                .call::<_, Value>((payload,))
                .and_then(|v| settle(&ctx, v, &timers))
                .catch(&ctx)
                .map_err(|e| failed(describe(e)))?;
            if out.is_undefined() || out.is_function() {
                return Ok(None);
            }
            let json = ctx
                .json_stringify(out)
                .catch(&ctx)
                .map_err(|e| failed(format!("the return value is not JSON: {}", describe(e))))?;
            json.map(|s| s.to_string())
                .transpose()
                .map_err(|e| failed(e.to_string()))
        })
    }

    fn route(handler: &str, request: serde_json::Value) -> Result<serde_json::Value, Error> {
        with_handler(handler, |ctx, f, timers| {
            let Some(f) = f else {
                return Err(Error::NotFound);
            };
            let req = convert::to_js(&ctx, &request).map_err(|e| failed(e.to_string()))?;
            let out = f
                .call::<_, Value>((req,))
                .and_then(|v| settle(&ctx, v, &timers))
                .catch(&ctx)
                .map_err(|e| failed(describe(e)))?;
            if out.is_undefined() {
                return Ok(serde_json::Value::Null);
            }
            let json = ctx
                .json_stringify(out)
                .catch(&ctx)
                .map_err(|e| failed(format!("the return value is not JSON: {}", describe(e))))?
                .map(|s| s.to_string())
                .transpose()
                .map_err(|e| failed(e.to_string()))?;
            Ok(json
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or(serde_json::Value::Null))
        })
    }
}

/// Runs `f` with the exported function `name` (or `None` if the plugin has none).
fn with_handler<R>(
    name: &str,
    f: impl for<'js> FnOnce(Ctx<'js>, Option<Function<'js>>, Function<'js>) -> Result<R, Error>,
) -> Result<R, Error> {
    LOADED.with(|l| {
        let l = l.borrow();
        let loaded = l
            .as_ref()
            .ok_or_else(|| failed("the plugin is not loaded"))?;
        loaded.context.with(|ctx| {
            let ns = loaded
                .exports
                .clone()
                .restore(&ctx)
                .map_err(|e| failed(e.to_string()))?;
            let v: Value = ns.get(name).map_err(|e| failed(e.to_string()))?;
            let func = v.into_function();
            let timers = loaded
                .run_timers
                .clone()
                .restore(&ctx)
                .map_err(|e| failed(e.to_string()))?;
            f(ctx, func, timers)
        })
    })
}

export_engine!(Js);
