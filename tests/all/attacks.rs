//! The adversarial suite: every attack of docs/security.md, run in each
//! runtime it applies to (hostile plugins in `tests/plugins/attacks-*`, the
//! `hostile` and `probe` Rust guests), each with its expected outcome. The
//! table in docs/security.md must list exactly these attacks with these
//! outcomes: the test fails if the docs and the behaviour part.

use crate::backend::{Backend, TestDb};
use crate::support::{TableResolver, TestServer, guests, root, settings};
use raisfast::cron::Scheduler;
use raisfast::dispatch::Dispatcher;
use raisfast::host_api::Services;
use raisfast::manager::{PluginManager, PluginState};
use raisfast::manifest::Manifest;
use raisfast::manifest::hooks::Envelope;
use raisfast::runtime::{CallError, CallErrorKind};

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    Js,
    Lua,
    Rhai,
    Rust,
}

use Lang::*;
const ALL: &[Lang] = &[Js, Lua, Rhai, Rust];
const SCRIPTS: &[Lang] = &[Js, Lua, Rhai];

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Js => "js",
            Lua => "lua",
            Rhai => "rhai",
            Rust => "rust",
        }
    }
}

struct Ctx {
    _tmp: tempfile::TempDir,
    manager: Arc<PluginManager>,
    hooks: Arc<Dispatcher>,
    server: TestServer,
    vfs_root: std::path::PathBuf,
    /// The database, and the data directory (SQLite's file is there).
    db: TestDb,
    data_dir: std::path::PathBuf,
    /// Another plugin's table, as SQL names it on this backend.
    other_table: String,
}

fn grants(port: u16) -> String {
    let hosts = [
        format!("http://127.0.0.2:{port}"),
        format!("http://2130706434:{port}"),
        format!("http://0177.0.0.2:{port}"),
        format!("http://0x7f000002:{port}"),
        format!("http://[::1]:{port}"),
        format!("http://[::ffff:127.0.0.2]:{port}"),
        format!("http://evil.test:{port}"),
        format!("http://public.test:{port}"),
        format!("http://internal.test:{port}"),
        format!("http://127.0.0.1:{port}"),
        "http://169.254.169.254".into(),
        "http://10.0.0.1".into(),
    ];
    let list: Vec<String> = hosts.iter().map(|h| format!("\"{h}\"")).collect();
    format!(
        "[permissions]\ndatabase = [\"*\"]\nfilesystem = [\"read\", \"write\"]\ntimeout_ms = 1500\nmax_memory_mb = 64\nhttp = [{}]\n",
        list.join(", ")
    )
}

fn manifest(id: &str, runtime: &str, extra: &str) -> String {
    format!(
        "[plugin]\nid = \"{id}\"\nname = \"{id}\"\nversion = \"0.1.0\"\nruntime = \"{runtime}\"\n\n{extra}\n"
    )
}

fn install(dir: &Path, name: &str, manifest: &str, files: &[(&str, &str)], wasm: Option<&Path>) {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("manifest.toml"), manifest).unwrap();
    for (p, t) in files {
        std::fs::write(d.join(p), t).unwrap();
    }
    if let Some(w) = wasm {
        std::fs::copy(w, d.join("plugin.wasm")).unwrap();
    }
}

impl Ctx {
    fn new(backend: Backend) -> Ctx {
        let tmp = tempfile::tempdir().unwrap();
        let server = TestServer::start();
        let p = server.port;
        let mut s = settings(tmp.path());
        let test_db = backend.database();
        test_db.apply(&mut s);
        s.runtime.pool_size = 1;
        s.http.allowed_private_networks = vec!["127.0.0.1/32".parse().unwrap()];
        s.vfs.max_file_bytes = 50_000;
        s.vfs.max_total_bytes = 100_000;
        s.vfs.max_entries = 200;
        s.kv.max_total_bytes = 4 * 1024 * 1024;
        s.database.max_plugin_bytes = 1024 * 1024;
        std::fs::create_dir_all(&s.plugin_dir).unwrap();
        std::fs::create_dir_all(&s.data_dir).unwrap();
        // A table an operator made for plugins, there before they load.
        test_db.batch(
            &s.data_dir,
            match backend {
                Backend::Sqlite => "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT);",
                Backend::Postgres => "CREATE TABLE products (id SERIAL PRIMARY KEY, name TEXT);",
            },
        );
        let data_dir = s.data_dir.clone();
        let plugins = s.plugin_dir.clone();
        let g = grants(p);
        // Another plugin, whose migration makes a table of its own.
        install(
            &plugins,
            "someone-other",
            &manifest("someone.other", "js", ""),
            &[("main.js", "export function ping() { return 'pong'; }")],
            None,
        );
        std::fs::create_dir_all(plugins.join("someone-other/migrations")).unwrap();
        std::fs::write(
            plugins.join("someone-other/migrations/001.sql"),
            "CREATE TABLE other_secrets (x TEXT); INSERT INTO other_secrets VALUES ('key');",
        )
        .unwrap();
        for (lang, entry) in [(Js, "main.js"), (Lua, "init.lua"), (Rhai, "init.rhai")] {
            let src = std::fs::read_to_string(
                root().join(format!("tests/plugins/attacks-{}/{entry}", lang.name())),
            )
            .unwrap();
            let extra = match lang {
                Js => format!(
                    "{g}\n[hooks.on_content_creating]\nhandler = \"spin\"\n\n[hooks.\"loop.evt\"]\nhandler = \"spin\"\n"
                ),
                Lua => format!("{g}\n[hooks.on_content_updating]\nhandler = \"wrong_type\"\n"),
                _ => g.clone(),
            };
            install(
                &plugins,
                &format!("atk-{}", lang.name()),
                &manifest(&format!("atk.{}", lang.name()), lang.name(), &extra),
                &[(entry, &src)],
                None,
            );
        }
        install(
            &plugins,
            "atk-rust",
            &manifest("atk.rust", "wasm", &g),
            &[],
            Some(&guests().probe),
        );
        install(
            &plugins,
            "atk-hostile",
            &manifest(
                "atk.hostile",
                "wasm",
                "[permissions]\ntimeout_ms = 1500\nmax_memory_mb = 64\n",
            ),
            &[],
            Some(&guests().hostile),
        );
        install(
            &plugins,
            "atk-thrower",
            &manifest("atk.thrower", "js", ""),
            &[(
                "main.js",
                "export function on_content_created(input) { throw new Error('always'); }",
            )],
            None,
        );
        install(
            &plugins,
            "atk-listener",
            &manifest(
                "atk.listener",
                "js",
                "[hooks.\"loop.evt\"]\nhandler = \"heard\"\n\n[[routes]]\nmethod = \"POST\"\npath = \"/wipe\"\nhandler = \"admin_wipe\"\nauth = \"admin\"\n",
            ),
            &[(
                "main.js",
                "import { kvGet, kvSet } from 'sdk';\nexport function heard(input) { kvSet('heard', true); }\nexport function was_heard() { return kvGet('heard') ?? false; }\nexport function admin_wipe() { kvSet('wiped', true); }\nexport function was_wiped() { return kvGet('wiped') ?? false; }",
            )],
            None,
        );
        install(
            &plugins,
            "atk-cron",
            &manifest(
                "atk.cron",
                "js",
                "[permissions]\ntimeout_ms = 300\n\n[[cron]]\nname = \"spin\"\nschedule = \"* * * * * *\"\nhandler = \"spin\"\n",
            ),
            &[("main.js", "export function spin() { while (true) {} }")],
            None,
        );
        let mut names: HashMap<String, IpAddr> = HashMap::new();
        names.insert("evil.test".into(), "127.0.0.3".parse().unwrap());
        names.insert("public.test".into(), "127.0.0.1".parse().unwrap());
        names.insert("internal.test".into(), "127.0.0.2".parse().unwrap());
        let vfs_root = s.vfs_root("atk.js");
        let db = raisfast::storage::open(&s).unwrap();
        let services = Services::with_resolver(Arc::new(s), db, Arc::new(TableResolver(names)));
        let manager = Arc::new(PluginManager::with_services(services).unwrap());
        let report = manager.load_all();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let hooks = Dispatcher::start(Arc::clone(&manager));
        let other_table = match test_db.plugin_schema("someone.other") {
            Some(schema) => format!("{schema}.other_secrets"),
            None => "other_secrets".into(),
        };
        Ctx {
            _tmp: tmp,
            manager,
            hooks,
            server,
            vfs_root,
            db: test_db,
            data_dir,
            other_table,
        }
    }

    fn id(&self, lang: Lang) -> String {
        format!("atk.{}", lang.name())
    }

    /// Calls a handler of the attack plugin in `lang` with `body`.
    fn call(&self, lang: Lang, handler: &str, body: Value) -> Result<Value, CallError> {
        let env = json!({"hook": handler, "body": body}).to_string();
        self.manager
            .call_hook(&self.id(lang), handler, &env)
            .map(|o| {
                o.value
                    .map(|v| serde_json::from_str(&v).unwrap())
                    .unwrap_or(Value::Null)
            })
            .map_err(|f| f.error)
    }

    /// A probe op in the Rust plugin; the error kind or "ok".
    fn probe(&self, op: Value) -> String {
        let v = self.call(Rust, "probe", op).unwrap();
        match v.get("err") {
            Some(e) => e["kind"].as_str().unwrap().to_string(),
            None => "ok".into(),
        }
    }

    /// Whether the plugin still answers.
    fn recovers(&self, lang: Lang) -> bool {
        match lang {
            Rust => self.manager.call_hook("atk.hostile", "count", "{}").is_ok(),
            l => self.call(l, "ping", json!({})).ok() == Some(json!("pong")),
        }
    }
}

/// A handler's answer as text (a string as it is, anything else as JSON or the error).
fn text(r: Result<Value, CallError>) -> String {
    match r {
        Ok(Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}

impl<T> Pipe for T {}

/// How a failed or successful call reads in the table.
fn fate(r: &Result<Value, CallError>) -> &'static str {
    match r {
        Err(CallError {
            kind: CallErrorKind::Timeout { .. },
            ..
        }) => "timeout",
        Err(CallError {
            kind: CallErrorKind::OutOfMemory { .. },
            ..
        }) => "out of memory",
        Err(CallError {
            kind:
                CallErrorKind::Plugin {
                    error: raisfast::host_api::HostError::Limit(_),
                    ..
                },
            ..
        }) => "limit",
        Err(_) => "call fails",
        Ok(_) => "ok",
    }
}

fn with_recovery(ctx: &Ctx, lang: Lang, fate: &str) -> String {
    if ctx.recovers(lang) {
        format!("{fate}; the next call works")
    } else {
        format!("{fate}; the plugin is broken")
    }
}

fn cpu(ctx: &Ctx, lang: Lang, script: &str, rust: &str) -> String {
    let r = match lang {
        Rust => ctx
            .manager
            .call_hook("atk.hostile", rust, "{}")
            .map(|_| Value::Null)
            .map_err(|f| f.error),
        l => ctx.call(l, script, json!({})),
    };
    with_recovery(ctx, lang, fate(&r))
}

fn memory(ctx: &Ctx, lang: Lang, handler: &str) -> String {
    let r = match lang {
        Rust => ctx
            .manager
            .call_hook("atk.hostile", "alloc", "{}")
            .map(|_| Value::Null)
            .map_err(|f| f.error),
        l => ctx.call(l, handler, json!({})),
    };
    with_recovery(ctx, lang, fate(&r))
}

/// Whichever cap stops it first: memory, the engine's own (QuickJS refuses a string
/// over its maximum length), the 16 MiB result cap, or the deadline.
fn capped(ctx: &Ctx, lang: Lang, handler: &str) -> String {
    let r = ctx.call(lang, handler, json!({}));
    let f = match (&r, fate(&r)) {
        (_, "out of memory" | "limit" | "timeout") => "refused at a cap",
        (
            Err(CallError {
                kind: CallErrorKind::Plugin { .. },
                ..
            }),
            _,
        ) => "refused at a cap",
        (_, other) => other,
    };
    with_recovery(ctx, lang, f)
}

fn sql(ctx: &Ctx, lang: Lang, handler: &str, sql: &str) -> String {
    match lang {
        Rust => ctx.probe(
            json!({"op": if handler == "exec" { "db.execute" } else { "db.query" }, "sql": sql}),
        ),
        l => ctx.call(l, handler, json!({"sql": sql})).pipe(text),
    }
}

fn http(ctx: &Ctx, lang: Lang, url: &str, timeout: u32) -> String {
    match lang {
        Rust => ctx.probe(json!({"op": "http.fetch", "url": url, "timeout_ms": timeout})),
        l => ctx
            .call(l, "http", json!({"url": url, "timeout": timeout}))
            .pipe(text),
    }
}

fn fs(ctx: &Ctx, lang: Lang, handler: &str, path: &str, size: usize) -> String {
    match lang {
        Rust => ctx.probe(json!({"op": if handler == "write_file" { "vfs.write" } else { "vfs.read" }, "path": path, "size": size})),
        l => ctx.call(l, handler, json!({"path": path, "size": size})).pipe(text),
    }
}

fn log_outcome(ctx: &Ctx, lang: Lang, handler: &str) -> String {
    let env = json!({"hook": handler, "body": {}}).to_string();
    let out = match lang {
        Rust => {
            let op = if handler == "huge_log" {
                json!({"op": "log", "size": 1024 * 1024})
            } else {
                json!({"op": "seq", "ops": vec![json!({"op": "log", "message": "line"}); 5000]})
            };
            let env = json!({"hook": "probe", "body": op}).to_string();
            ctx.manager.call_hook("atk.rust", "probe", &env).unwrap()
        }
        l => ctx.manager.call_hook(&ctx.id(l), handler, &env).unwrap(),
    };
    if handler == "huge_log" {
        let m = &out.logs[0].message;
        if m.len() <= 8 * 1024 + 32 && m.ends_with("[truncated]") {
            "truncated at 8 KiB".into()
        } else {
            format!("{} bytes kept", m.len())
        }
    } else {
        format!("{} lines kept", out.logs.len())
    }
}

/// An `exec` of `sql` (built per runtime).
fn sql_attack(ctx: &Ctx, lang: Lang, sql_text: &str) -> String {
    sql(ctx, lang, "exec", sql_text)
}

/// What emitting `name` gives: the error kind, or "ok".
fn emitted(ctx: &Ctx, lang: Lang, name: &str) -> String {
    match lang {
        Rust => ctx.probe(json!({"op": "events.emit", "name": name, "payload": {}})),
        l => ctx.call(l, "emit_named", json!({"name": name})).pipe(text),
    }
}

fn manifest_refused(text: &str) -> String {
    match Manifest::parse(Path::new("manifest.toml"), text, None) {
        Ok(_) => "accepted".into(),
        Err(e) if e.0.iter().all(|x| x.line > 0) => "refused, naming the line".into(),
        Err(_) => "refused".into(),
    }
}

const MINIMAL: &str =
    "[plugin]\nid = \"a.b\"\nname = \"x\"\nversion = \"1.0.0\"\nruntime = \"js\"\n";

type Run = fn(&Ctx, Lang) -> String;

struct Attack {
    id: &'static str,
    langs: &'static [Lang],
    expect: &'static str,
    run: Run,
}

macro_rules! attack {
    ($id:literal, $langs:expr, $expect:literal, $run:expr) => {
        Attack {
            id: $id,
            langs: $langs,
            expect: $expect,
            run: $run,
        }
    };
}

fn attacks() -> Vec<Attack> {
    vec![
        attack!("CPU-01", ALL, "timeout; the next call works", |c, l| cpu(
            c, l, "spin", "spin"
        )),
        attack!("CPU-02", ALL, "timeout; the next call works", |c, l| cpu(
            c,
            l,
            "spin_host",
            "spin_in_host_calls"
        )),
        attack!(
            "CPU-03",
            &[Js],
            "the operation is refused naming the plugin",
            |c, _| {
                let env = Envelope::new("on_content_creating", json!({"title": "t"}));
                match c.hooks.filter(&env, |_| Ok::<(), String>(())) {
                    Err(e) if e.plugin == "atk.js" && e.message.contains("timed out") => {
                        "the operation is refused naming the plugin".into()
                    }
                    other => format!("{other:?}"),
                }
            }
        ),
        attack!(
            "CPU-04",
            &[Js],
            "each run ends at the deadline and is recorded; later ticks run",
            |c, _| {
                let s = Scheduler::start(&c.manager, "attacks".into());
                std::thread::sleep(Duration::from_millis(2600));
                s.stop();
                std::thread::sleep(Duration::from_millis(400));
                let runs = c.manager.services().db.recent_runs("atk.cron", 10).unwrap();
                let failed = runs
                    .iter()
                    .filter(|r| {
                        r.outcome == "error"
                            && r.error.as_deref().unwrap_or("").contains("timed out")
                    })
                    .count();
                if failed >= 2 {
                    "each run ends at the deadline and is recorded; later ticks run".into()
                } else {
                    format!("{runs:?}")
                }
            }
        ),
        attack!(
            "CPU-05",
            &[Js],
            "the handler times out; the other subscribers get the event",
            |c, _| {
                let _dispatcher = Dispatcher::start(Arc::clone(&c.manager));
                let env = json!({"hook": "probe", "body": {"op": "events.emit", "name": "loop.evt", "payload": {}}}).to_string();
                c.manager.call_hook("atk.rust", "probe", &env).unwrap();
                let heard = crate::server_support::wait_until(Duration::from_secs(5), || {
                    c.manager
                        .call_hook("atk.listener", "was_heard", "{}")
                        .ok()
                        .and_then(|o| o.value)
                        .as_deref()
                        == Some("true")
                });
                if heard {
                    "the handler times out; the other subscribers get the event".into()
                } else {
                    "not delivered".into()
                }
            }
        ),
        attack!("CPU-06", &[Rust], "timeout; the next call works", |c, l| {
            cpu(c, l, "", "sleep")
        }),
        attack!("CPU-07", &[Js], "timeout; the next call works", |c, l| {
            cpu(c, l, "timer_forever", "")
        }),
        attack!(
            "MEM-01",
            ALL,
            "out of memory; the next call works",
            |c, l| memory(c, l, "bomb")
        ),
        attack!(
            "MEM-02",
            SCRIPTS,
            "refused at a cap; the next call works",
            |c, l| capped(c, l, "double")
        ),
        attack!(
            "MEM-03",
            SCRIPTS,
            "refused at a cap; the next call works",
            |c, l| capped(c, l, "huge_array")
        ),
        attack!(
            "MEM-04",
            SCRIPTS,
            "refused at a cap; the next call works",
            |c, l| capped(c, l, "huge_return")
        ),
        attack!("MEM-05", ALL, "truncated at 8 KiB", |c, l| log_outcome(
            c, l, "huge_log"
        )),
        attack!("MEM-06", ALL, "1000 lines kept", |c, l| log_outcome(
            c,
            l,
            "many_logs"
        )),
        attack!("MEM-07", ALL, "limit", |c, l| match l {
            Rust => c.probe(json!({"op": "kv.set", "key": "big", "size": 2 * 1024 * 1024})),
            l => c.call(l, "huge_kv", json!({})).pipe(text),
        }),
        attack!("MEM-08", SCRIPTS, "limit", |c, l| c
            .call(l, "kv_fill", json!({}))
            .pipe(text)),
        attack!("FS-08", SCRIPTS, "limit", |c, l| c
            .call(l, "many_files", json!({}))
            .pipe(text)),
        attack!(
            "STACK-01",
            ALL,
            "call fails; the next call works",
            |c, l| {
                let r = match l {
                    Rust => c
                        .manager
                        .call_hook("atk.hostile", "recurse", "{}")
                        .map(|_| Value::Null)
                        .map_err(|f| f.error),
                    l => c.call(l, "deep", json!({})),
                };
                with_recovery(c, l, if r.is_err() { "call fails" } else { "returned" })
            }
        ),
        attack!("DB-01", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT p.name, u.password_hash FROM products p JOIN users u ON 1 = 1"
        )),
        attack!("DB-02", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT u.password_hash FROM products p, users u"
        )),
        attack!("DB-03", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT name FROM products WHERE name IN (SELECT id FROM users)"
        )),
        attack!("DB-04", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "WITH leak AS (SELECT password_hash FROM users) SELECT * FROM leak"
        )),
        attack!("DB-05", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT name FROM products UNION SELECT password_hash FROM users"
        )),
        attack!("DB-06", ALL, "denied", |c, l| sql(
            c,
            l,
            "exec",
            "INSERT INTO products (name) SELECT password_hash FROM users"
        )),
        attack!("DB-07", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT count(*) FROM sessions"
        )),
        attack!("DB-08", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT sql FROM sqlite_master"
        )),
        attack!("DB-09", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT * FROM \"USERS\""
        )),
        attack!("DB-10", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT * FROM main.users"
        )),
        attack!("DB-11", ALL, "denied", |c, l| sql(
            c,
            l,
            "exec",
            "CREATE TRIGGER steal AFTER INSERT ON products BEGIN DELETE FROM users; END"
        )),
        attack!("DB-12", ALL, "denied", |c, l| {
            // Made and then read: where making it is allowed, reading is not.
            let view = format!("{}_everyone", l.name());
            let made = sql(
                c,
                l,
                "exec",
                &format!("CREATE VIEW {view} AS SELECT * FROM users"),
            );
            if made != "ok" {
                return made;
            }
            sql(c, l, "sql", &format!("SELECT * FROM {view}"))
        }),
        attack!("DB-13", ALL, "denied", |c, l| sql(
            c,
            l,
            "exec",
            "ATTACH DATABASE '/tmp/x.db' AS x"
        )),
        attack!("DB-14", ALL, "denied", |c, l| sql(
            c,
            l,
            "exec",
            "PRAGMA writable_schema = 1"
        )),
        attack!("DB-15", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT load_extension('/tmp/evil.so')"
        )),
        attack!("DB-16", ALL, "invalid", |c, l| sql(
            c,
            l,
            "exec",
            "UPDATE products SET name = 'a'; UPDATE products SET name = 'b'"
        )),
        attack!("DB-17", ALL, "denied", |c, l| sql(
            c,
            l,
            "sql",
            &format!("SELECT * FROM {}", c.other_table)
        )),
        attack!("DB-18", ALL, "denied", |c, l| sql(
            c,
            l,
            "exec",
            "CREATE TEMP TABLE t (x TEXT)"
        )),
        attack!(
            "DB-19",
            SCRIPTS,
            "rolled back when the call ends",
            |c, l| {
                let _ = c.call(
                    l,
                    "open_txn",
                    json!({"sql": "INSERT INTO products (name) VALUES ('uncommitted')"}),
                );
                let n = c.db.count(
                    &c.data_dir,
                    "SELECT count(*) FROM products WHERE name = 'uncommitted'",
                );
                if n == 0 {
                    "rolled back when the call ends".into()
                } else {
                    "kept".into()
                }
            }
        ),
        attack!("DB-20", &[Js, Rust], "stopped at the deadline", |c, l| {
            let q = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r";
            let r = match l {
                Rust => c.call(Rust, "probe", json!({"op": "db.query", "sql": q})),
                l => c.call(l, "sql", json!({"sql": q})),
            };
            match r {
                Err(CallError {
                    kind: CallErrorKind::Timeout { .. },
                    ..
                }) => "stopped at the deadline".into(),
                Ok(v) if v == json!("limit") || v["err"]["kind"] == "limit" => {
                    "stopped at the deadline".into()
                }
                other => format!("{other:?}"),
            }
        }),
        attack!("DB-21", ALL, "limit", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT length(zeroblob(1000000000))"
        )),
        attack!("DB-22", ALL, "limit", |c, l| sql(
            c,
            l,
            "sql",
            "SELECT length(hex(zeroblob(12000000)))"
        )),
        attack!("DB-24", ALL, "denied", |c, l| {
            // A foreign key from its own table to a core table would make the
            // core's deletes fail.
            let sql = format!(
                "CREATE TABLE {}_pins (content_id TEXT REFERENCES content(id) ON DELETE RESTRICT)",
                l.name()
            );
            sql_attack(c, l, &sql)
        }),
        attack!("NET-15", ALL, "invalid", |c, l| http(
            c,
            l,
            &format!("http://public.test:{}/v1/%2e%2e/hello", c.server.port),
            250
        )),
        attack!("DB-23", &[Js], "limit", |c, _| c
            .call(Js, "table_fill", json!({}))
            .pipe(text)),
        attack!("NET-01", ALL, "denied", |c, l| http(
            c,
            l,
            &format!("http://127.0.0.2:{}/hello", c.server.port),
            250
        )),
        attack!("NET-02", ALL, "denied", |c, l| http(
            c,
            l,
            "http://10.0.0.1/",
            250
        )),
        attack!("NET-03", ALL, "denied", |c, l| http(
            c,
            l,
            &format!("http://2130706434:{}/hello", c.server.port),
            250
        )),
        attack!("NET-04", ALL, "denied", |c, l| http(
            c,
            l,
            &format!("http://0177.0.0.2:{}/hello", c.server.port),
            250
        )),
        attack!("NET-05", ALL, "denied", |c, l| http(
            c,
            l,
            &format!("http://0x7f000002:{}/hello", c.server.port),
            250
        )),
        attack!("NET-06", ALL, "denied", |c, l| http(
            c,
            l,
            &format!("http://[::1]:{}/hello", c.server.port),
            250
        )),
        attack!("NET-07", ALL, "denied", |c, l| http(
            c,
            l,
            &format!("http://[::ffff:127.0.0.2]:{}/hello", c.server.port),
            250
        )),
        attack!("NET-08", ALL, "denied", |c, l| http(
            c,
            l,
            &format!("http://evil.test:{}/hello", c.server.port),
            250
        )),
        attack!("NET-09", ALL, "denied", |c, l| http(
            c,
            l,
            "http://169.254.169.254/latest/meta-data/",
            250
        )),
        attack!("NET-10", ALL, "denied", |c, l| {
            let to = format!("http://internal.test:{}/hello", c.server.port);
            http(
                c,
                l,
                &format!("http://public.test:{}/redirect?to={to}", c.server.port),
                250,
            )
        }),
        attack!("NET-11", ALL, "denied", |c, l| http(
            c,
            l,
            &format!("http://127.0.0.1:{}/hello", c.server.port + 1),
            250
        )),
        attack!("NET-12", ALL, "denied", |c, l| http(
            c,
            l,
            "https://attacker.example/exfiltrate",
            250
        )),
        attack!("NET-13", ALL, "limit", |c, l| http(
            c,
            l,
            &format!("http://127.0.0.1:{}/big?bytes=20000000", c.server.port),
            250
        )),
        attack!("NET-14", ALL, "limit", |c, l| http(
            c,
            l,
            &format!("http://127.0.0.1:{}/slow?ms=2000", c.server.port),
            150
        )),
        attack!("FS-01", ALL, "denied", |c, l| fs(
            c,
            l,
            "read_file",
            "../../raisfast.db",
            1
        )),
        attack!("FS-02", ALL, "denied", |c, l| fs(
            c,
            l,
            "read_file",
            "/etc/passwd",
            1
        )),
        attack!("FS-03", &[Js], "denied", |c, l| {
            std::fs::create_dir_all(&c.vfs_root).unwrap();
            let link = c.vfs_root.join("passwd");
            if !link.exists() {
                std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
            }
            fs(c, l, "read_file", "passwd", 1)
        }),
        attack!("FS-04", ALL, "invalid", |c, l| fs(
            c,
            l,
            "read_file",
            "a\u{0}b",
            1
        )),
        attack!("FS-05", ALL, "invalid", |c, l| fs(
            c,
            l,
            "read_file",
            &"a/".repeat(600),
            1
        )),
        attack!("FS-06", ALL, "limit", |c, l| fs(
            c,
            l,
            "write_file",
            "big.bin",
            60_000
        )),
        attack!("FS-07", ALL, "denied", |c, l| fs(
            c,
            l,
            "read_file",
            "../../atk.lua/files/secret",
            1
        )),
        attack!("EVT-01", &[Rust], "limit", |c, _| {
            let env = json!({"hook": "probe", "body": {"op": "events.emit", "name": "again", "payload": 1}}).to_string();
            let out = c
                .manager
                .plugin("atk.rust")
                .unwrap()
                .call_hook("probe", &env, raisfast::host_api::events::MAX_DEPTH)
                .unwrap();
            let v: Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
            v["err"]["kind"].as_str().unwrap_or("ok").to_string()
        }),
        attack!("EVT-02", SCRIPTS, "100 sent, then limit", |c, l| {
            let v = c.call(l, "emit_flood", json!({})).unwrap();
            format!("{} sent, then {}", v[0], v[1].as_str().unwrap_or(""))
        }),
        attack!(
            "EVT-03",
            &[Lua],
            "the operation is refused naming the plugin",
            |c, _| {
                let body = json!({"id": "x", "type": "post", "title": "t", "slug": "t", "body": "", "status": "draft", "data": {}, "author_id": null, "created_at": 0, "updated_at": 0, "published_at": null});
                let env = Envelope::new("on_content_updating", body);
                match c.hooks.filter(&env, |v| {
                    v.is_object()
                        .then_some(())
                        .ok_or_else(|| "not content".to_string())
                }) {
                    Err(e) if e.plugin == "atk.lua" => {
                        "the operation is refused naming the plugin".into()
                    }
                    other => format!("{other:?}"),
                }
            }
        ),
        attack!(
            "EVT-04",
            &[Js],
            "each failure counted; stays enabled",
            |c, _| {
                // Content anyone can create makes the action fail: the input's
                // fault as much as the plugin's, so it never switches it off.
                let env = Envelope::new("on_content_created", json!({}));
                for _ in 0..8 {
                    c.hooks.action(&env);
                }
                let errors = c
                    .manager
                    .plugin("atk.thrower")
                    .map(|p| p.metrics.errors.load(std::sync::atomic::Ordering::Relaxed))
                    .unwrap_or(0);
                match c.manager.state("atk.thrower") {
                    Some(PluginState::Active(_)) if errors >= 8 => {
                        "each failure counted; stays enabled".into()
                    }
                    other => format!(
                        "{} after {errors} errors",
                        other.map(|s| s.name().to_string()).unwrap_or_default()
                    ),
                }
            }
        ),
        attack!(
            "EVT-10",
            &[Js],
            "disabled after 5 consecutive failures",
            |c, _| {
                // A cron job has no outside input: its failures are the plugin's.
                for _ in 0..5 {
                    let _ = c.manager.call_hook_at(
                        "atk.cron",
                        "spin",
                        "{}",
                        0,
                        raisfast::manager::Cause::Cron,
                    );
                }
                match c.manager.state("atk.cron") {
                    Some(PluginState::Disabled(Some(why))) if why.contains("5 consecutive") => {
                        "disabled after 5 consecutive failures".into()
                    }
                    other => other.map(|s| s.name().to_string()).unwrap_or_default(),
                }
            }
        ),
        attack!("EVT-05", ALL, "invalid", |c, l| emitted(
            c,
            l,
            "on-content-created"
        )),
        attack!("EVT-06", ALL, "invalid", |c, l| emitted(c, l, "on.unload")),
        attack!("EVT-07", ALL, "invalid", |c, l| emitted(
            c,
            l,
            "raisfast:handlers"
        )),
        attack!(
            "EVT-08",
            &[Rust],
            "not delivered: the handler serves a route",
            |c, _| {
                let _dispatcher = Dispatcher::start(Arc::clone(&c.manager));
                // atk.listener exports `admin_wipe` as an admin-only route handler.
                let env = json!({"hook": "probe", "body": {"op": "events.emit", "name": "admin_wipe", "payload": {}}}).to_string();
                c.manager.call_hook("atk.rust", "probe", &env).unwrap();
                std::thread::sleep(Duration::from_millis(1500));
                let wiped = c
                    .manager
                    .call_hook("atk.listener", "was_wiped", "{}")
                    .ok()
                    .and_then(|o| o.value);
                if wiped.as_deref() == Some("false") {
                    "not delivered: the handler serves a route".into()
                } else {
                    format!("{wiped:?}")
                }
            }
        ),
        attack!(
            "EVT-09",
            &[Js],
            "queued up to its share, then limit; nothing dropped silently",
            |c, _| {
                // 100 events of 900 KiB from one call: the plugin's share of the
                // queue (16 MiB) fills, and `emit` says so.
                let r = c.call(Js, "emit_big", json!({}));
                let budget = &c.manager.services().event_budget;
                let drained = crate::server_support::wait_until(Duration::from_secs(30), || {
                    budget.used() == 0
                });
                match r {
                    Ok(v)
                        if (17..=18).contains(&v[0].as_u64().unwrap_or(0))
                            && v[1] == "limit"
                            && drained =>
                    {
                        "queued up to its share, then limit; nothing dropped silently".into()
                    }
                    other => format!("{other:?}, drained: {drained}"),
                }
            }
        ),
        attack!(
            "RT-01",
            &[Rust],
            "the plugin sees no credentials",
            |_, _| route_attack("credentials")
        ),
        attack!("RT-02", &[Rust], "refused, naming the line", |_, _| {
            manifest_refused(&format!(
                "{MINIMAL}\n[[routes]]\nmethod = \"GET\"\npath = \"/../../auth/login\"\nhandler = \"x\"\n"
            ))
        }),
        attack!("RT-03", &[Rust], "413", |_, _| route_attack("body")),
        attack!("MF-01", &[Js], "refused, naming the line", |_, _| {
            manifest_refused("[plugin\nid = ")
        }),
        attack!("MF-02", &[Js], "refused, naming the line", |_, _| {
            manifest_refused(&format!("{MINIMAL}evil = true\n"))
        }),
        attack!("MF-03", &[Js], "refused, naming the line", |_, _| {
            manifest_refused(&MINIMAL.replace("\"1.0.0\"", "1"))
        }),
        attack!("MF-04", &[Js], "the second copy is not loaded", |c, _| {
            let plugins = c.manager.services().settings.plugin_dir.clone();
            install(
                &plugins,
                "zz-duplicate",
                &manifest("atk.js", "js", ""),
                &[("main.js", "export function ping() { return 'evil'; }")],
                None,
            );
            let r = c.manager.sync_dir(&plugins.join("zz-duplicate"));
            std::fs::remove_dir_all(plugins.join("zz-duplicate")).unwrap();
            let held = c.call(Js, "ping", json!({})).ok() == Some(json!("pong"));
            match r {
                Err(e) if held && e.to_string().contains("declares it too") => {
                    "the second copy is not loaded".into()
                }
                other => format!("{:?}", other.map_err(|e| e.to_string())),
            }
        }),
        attack!(
            "MF-05",
            &[Js],
            "both are kept out, the cycle named",
            |_, _| {
                use raisfast::manager::order::{Node, plan};
                let n = |d: &str| Node {
                    version: semver::Version::new(1, 0, 0),
                    deps: vec![(d.to_string(), semver::VersionReq::STAR)],
                };
                let g: BTreeMap<String, Node> =
                    [("x.a".to_string(), n("x.b")), ("x.b".to_string(), n("x.a"))]
                        .into_iter()
                        .collect();
                let p = plan(&g);
                if p.order.is_empty()
                    && p.excluded
                        .values()
                        .all(|w| w.contains("dependency cycle: x.a -> x.b -> x.a"))
                {
                    "both are kept out, the cycle named".into()
                } else {
                    format!("{p:?}")
                }
            }
        ),
        attack!("MF-06", &[Js], "refused, naming the line", |_, _| {
            manifest_refused(&format!("{MINIMAL}entry = \"../../../etc/passwd\"\n"))
        }),
        attack!("MF-07", &[Js], "refused before parsing", |_, _| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(
                dir.path().join("manifest.toml"),
                format!("{MINIMAL}# {}", "x".repeat(1 << 20)),
            )
            .unwrap();
            match Manifest::load(dir.path()) {
                Err(e) if e.to_string().contains("the limit is") => "refused before parsing".into(),
                other => format!("{:?}", other.is_ok()),
            }
        }),
    ]
}

/// Route attacks run against a real server.
fn route_attack(what: &str) -> String {
    use crate::server_support::Server;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plugins/probe");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&guests().probe, dir.join("plugin.wasm")).unwrap();
    std::fs::write(
        dir.join("manifest.toml"),
        "[plugin]\nid = \"atk.route\"\nname = \"r\"\nversion = \"0.1.0\"\nruntime = \"wasm\"\n\n[[routes]]\nmethod = \"POST\"\npath = \"/echo\"\nhandler = \"echo\"\n",
    )
    .unwrap();
    let server = Server::start(tmp.path());
    let token = server.user("victim");
    match what {
        "credentials" => {
            let agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent();
            let mut resp = agent
                .post(server.url("/api/v1/plugins/atk.route/echo"))
                .header("authorization", &format!("Bearer {token}"))
                .header("cookie", "session=secret")
                .header("proxy-authorization", "Basic c2VjcmV0")
                .send("x")
                .unwrap();
            let body = resp.body_mut().read_to_string().unwrap();
            if !body.contains(&token)
                && !body.contains("secret")
                && !body.contains("c2VjcmV0")
                && body.contains("\"caller\":\"victim\"")
            {
                "the plugin sees no credentials".into()
            } else {
                body
            }
        }
        _ => oversized_body(&server, &token),
    }
}

/// Posts a 2 MiB body over a raw connection and returns the status line's
/// code. The server may answer 413 and close before the body is sent whole,
/// so the body is written from another thread and write errors are expected.
fn oversized_body(server: &crate::server_support::Server, token: &str) -> String {
    use std::io::{Read, Write};
    let addr = server
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!(
        "POST /api/v1/plugins/atk.route/echo HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&vec![b'x'; 2 * 1024 * 1024]);
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = sender.join();
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .unwrap_or("no response")
        .to_string()
}

/// The attack table of docs/security.md: id -> outcome.
fn documented() -> BTreeMap<String, (String, String)> {
    let md = std::fs::read_to_string(root().join("docs/security.md")).unwrap();
    let start = md
        .find("<!-- attacks:start -->")
        .expect("attack table start marker");
    let end = md
        .find("<!-- attacks:end -->")
        .expect("attack table end marker");
    md[start..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| id") && !l.starts_with("|---"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (
                cells[0].to_string(),
                (cells[3].to_string(), cells[4].to_string()),
            )
        })
        .collect()
}

#[test]
fn every_attack_in_docs_security_fails_as_documented() {
    let ctx = Ctx::new(Backend::Sqlite);
    let docs = documented();
    let attacks = attacks();
    let mut failures = Vec::new();
    for a in &attacks {
        let langs: Vec<&str> = a.langs.iter().map(|l| l.name()).collect();
        match docs.get(a.id) {
            None => failures.push(format!("{}: not in docs/security.md", a.id)),
            Some((runtimes, outcome)) => {
                if *runtimes != langs.join(", ") {
                    failures.push(format!(
                        "{}: docs say runtimes `{runtimes}`, the suite runs `{}`",
                        a.id,
                        langs.join(", ")
                    ));
                }
                if outcome != a.expect {
                    failures.push(format!(
                        "{}: docs say `{outcome}`, the suite expects `{}`",
                        a.id, a.expect
                    ));
                }
            }
        }
        for &lang in a.langs {
            let got = (a.run)(&ctx, lang);
            if got != a.expect {
                failures.push(format!(
                    "{} in {}: expected `{}`, got `{got}`",
                    a.id,
                    lang.name(),
                    a.expect
                ));
            }
        }
    }
    for id in docs.keys() {
        if !attacks.iter().any(|a| a.id == id) {
            failures.push(format!("{id}: documented but not in the suite"));
        }
    }
    assert!(attacks.len() >= 40);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The database attacks' outcomes on PostgreSQL (docs/security.md, second
/// table): id -> outcome.
fn documented_on_postgres() -> BTreeMap<String, String> {
    let md = std::fs::read_to_string(root().join("docs/security.md")).unwrap();
    let start = md
        .find("<!-- pg-attacks:start -->")
        .expect("PostgreSQL attack table start marker");
    let end = md
        .find("<!-- pg-attacks:end -->")
        .expect("PostgreSQL attack table end marker");
    md[start..end]
        .lines()
        .filter(|l| l.starts_with("| DB-"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (cells[0].to_string(), cells[2].to_string())
        })
        .collect()
}

#[test]
fn every_database_attack_fails_on_postgresql_as_documented() {
    let ctx = Ctx::new(Backend::Postgres);
    let docs = documented_on_postgres();
    let mut failures = Vec::new();
    let db_attacks: Vec<Attack> = attacks()
        .into_iter()
        .filter(|a| a.id.starts_with("DB-"))
        .collect();
    for a in &db_attacks {
        let Some(expect) = docs.get(a.id) else {
            failures.push(format!(
                "{}: not in the PostgreSQL table of docs/security.md",
                a.id
            ));
            continue;
        };
        for &lang in a.langs {
            let got = (a.run)(&ctx, lang);
            if got != *expect {
                failures.push(format!(
                    "{} in {} on PostgreSQL: expected `{expect}`, got `{got}`",
                    a.id,
                    lang.name(),
                ));
            }
        }
    }
    for id in docs.keys() {
        if !db_attacks.iter().any(|a| a.id == id) {
            failures.push(format!("{id}: documented but not in the suite"));
        }
    }
    assert!(db_attacks.len() >= 24);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
