//! Fixtures shared by the benchmarks: plugins loaded through the real
//! manager and runtime, and the native baselines they are compared with.
//!
//! The baseline for a script runtime is the model of the product RaisFast
//! replaces: an in-process interpreter created for each call, with the SDK's
//! host functions registered and the plugin loaded, then the handler called
//! and its result turned into JSON.

use raisfast::manager::PluginManager;
use raisfast::manifest::RuntimeKind;
use raisfast::runtime::{InstancePolicy, LoadedPlugin};
use raisfast::settings::Settings;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The payload of every benchmarked hook call: a content envelope of about 200 bytes.
pub const PAYLOAD: &str = r#"{"hook":"on_content_created","id":"0193f2a4-7c1e-7b3a-9d2e-5f6a7b8c9d0e","content_type":"post","body":{"id":"0193f2a4-7c1e-7b3a-9d2e-5f6a7b8c9d0e","title":"Hello","status":"draft"}}"#;

/// The benchmarked handlers in each script language: `on_content_created` is
/// the tiny one (parse the payload, log a line), `on_content_creating` the
/// realistic one (parse the payload, read a row of the plugin's own table,
/// write a KV key, return the body with a field added).
pub fn plugin_source(kind: RuntimeKind) -> (&'static str, &'static str) {
    match kind {
        RuntimeKind::Js => (
            "main.js",
            r#"import { logInfo, dbQuery, kvSet, ok, fail } from 'sdk';
export function on_content_created(input) {
  const data = JSON.parse(input);
  logInfo('created: ' + data.id);
}
export function on_content_creating(input) {
  const data = JSON.parse(input);
  const rows = dbQuery('SELECT title FROM js_items WHERE id = ?', [1]);
  kvSet('last-created', data.id);
  data.body.related = rows[0].title;
  return data.body;
}
export function spin(input) {
  let x = 0;
  for (let i = 0; i < 3000000; i++) { x = (x + i) % 1000003; }
  return String(x);
}
export function get_item(req) {
  const rows = dbQuery('SELECT id, title FROM js_items WHERE id = ?', [Number(req.params.id)]);
  return rows.length ? ok(rows[0]) : fail(404, 'no such item');
}
"#,
        ),
        RuntimeKind::Lua => (
            "init.lua",
            r#"local sdk = require('sdk')
Plugin = {}
Plugin.on_content_created = function(input)
  local data = sdk.extractJson(input, 'body')
  sdk.logInfo('created: ' .. tostring(data.id))
end
Plugin.on_content_creating = function(input)
  local data = sdk.extractJson(input, '')
  local rows = sdk.dbQuery('SELECT title FROM lua_items WHERE id = ?', {1})
  sdk.kvSet('last-created', data.id)
  data.body.related = rows[1].title
  return data.body
end
Plugin.spin = function(input)
  local x = 0
  for i = 1, 3000000 do x = (x + i) % 1000003 end
  return tostring(x)
end
Plugin.get_item = function(req)
  local rows = sdk.dbQuery('SELECT id, title FROM lua_items WHERE id = ?', {tonumber(req.params.id)})
  if #rows > 0 then return sdk.ok(rows[1]) end
  return sdk.fail(404, 'no such item')
end
"#,
        ),
        RuntimeKind::Rhai => (
            "init.rhai",
            r#"fn on_content_created(input) {
  log("info", "created: " + input.id);
}
fn on_content_creating(input) {
  let rows = db_query("SELECT title FROM rhai_items WHERE id = ?", [1]);
  kv_set("last-created", input.id);
  let body = input.body;
  body.related = rows[0].title;
  body
}
fn spin(input) {
  let x = 0;
  for i in 0..300000 { x = (x + i) % 1000003; }
  x
}
fn get_item(req) {
  let rows = db_query("SELECT id, title FROM rhai_items WHERE id = ?", [parse_int(req.params.id)]);
  if rows.is_empty() { fail(404, "no such item") } else { ok(rows[0]) }
}
"#,
        ),
        RuntimeKind::Wasm => ("plugin.wasm", ""),
    }
}

/// The migration every fixture plugin ships: its table with the row the
/// realistic handler reads.
fn migration(kind: RuntimeKind) -> String {
    let t = format!("{}_items", prefix(kind));
    format!(
        "CREATE TABLE {t} (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\nINSERT INTO {t} (id, title) VALUES (1, 'Related post');\n"
    )
}

fn prefix(kind: RuntimeKind) -> &'static str {
    match kind {
        RuntimeKind::Wasm => "rust",
        k => k.as_str(),
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Settings for a scratch server in `dir` with the compile cache in `cache`,
/// and the runtime knobs of the environment (`RAISFAST_KEEP_RESIDENT_KB`...).
pub fn settings(dir: &Path, cache: &Path) -> Settings {
    let mut settings = Settings {
        data_dir: dir.join("data"),
        plugin_dir: dir.join("plugins"),
        ..Default::default()
    };
    settings.runtime.cache_dir = Some(cache.to_path_buf());
    settings.apply_env(|k| std::env::var(k).ok()).unwrap();
    settings
}

/// The benchmarks' Rust guest (`tests/plugins/tiny`), built once.
pub fn rust_guest() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            raisfast::toolchain::build_plugin(
                &root().join("tests/plugins/tiny"),
                Some(&root().join("target/test-guests")),
                true,
            )
            .unwrap()
        })
        .clone()
}

/// Writes the fixture plugin of `kind` as `plugin_dir/name` with id `id`;
/// `variant` is appended to a script so that each copy is a distinct plugin
/// (its own snapshot) rather than a cache hit.
pub fn install(plugin_dir: &Path, kind: RuntimeKind, id: &str, variant: &str) {
    let dir = plugin_dir.join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let (entry, source) = plugin_source(kind);
    if kind == RuntimeKind::Wasm {
        std::fs::copy(rust_guest(), dir.join(entry)).unwrap();
    } else {
        let comment = if kind == RuntimeKind::Lua { "--" } else { "//" };
        std::fs::write(dir.join(entry), format!("{source}{comment} {variant}\n")).unwrap();
    }
    // A component that does not list its handlers subscribes in its manifest.
    let hooks = if kind == RuntimeKind::Wasm {
        "\n[hooks.on_content_created]\n"
    } else {
        ""
    };
    let manifest = format!(
        "[plugin]\nid = \"{id}\"\nname = \"bench\"\nversion = \"0.1.0\"\nruntime = \"{}\"\n{hooks}",
        kind.as_str()
    );
    std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
}

/// Installs `n` plugins, the four runtimes in turn, ids `bench.p0`...
pub fn install_many(plugin_dir: &Path, n: usize, variant: &str) {
    for i in 0..n {
        let kind = [
            RuntimeKind::Js,
            RuntimeKind::Lua,
            RuntimeKind::Rhai,
            RuntimeKind::Wasm,
        ][i % 4];
        install(
            plugin_dir,
            kind,
            &format!("bench.p{i}"),
            &format!("{variant} {i}"),
        );
    }
}

/// Installs the fixture plugins, one per runtime (ids from [`id`]), each with
/// its table `<runtime>_items` (one row) and the route `GET /items/:id`.
pub fn install_fixture(plugin_dir: &Path) {
    for kind in RUNTIMES {
        let dir = plugin_dir.join(prefix(kind));
        install(plugin_dir, kind, prefix(kind), "");
        std::fs::remove_file(dir.join("manifest.toml")).unwrap();
        std::fs::write(dir.join("manifest.toml"), manifest(kind)).unwrap();
        std::fs::create_dir_all(dir.join("migrations")).unwrap();
        std::fs::write(dir.join("migrations/001_items.sql"), migration(kind)).unwrap();
    }
}

/// The four runtimes, in the order of every table.
pub const RUNTIMES: [RuntimeKind; 4] = [
    RuntimeKind::Js,
    RuntimeKind::Lua,
    RuntimeKind::Rhai,
    RuntimeKind::Wasm,
];

/// A plugin manager in a scratch directory with one plugin per runtime.
pub struct Fixture {
    _tmp: tempfile::TempDir,
    /// The manager.
    pub manager: PluginManager,
}

impl Fixture {
    /// Builds the Rust guest, installs one plugin per runtime and loads them.
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let settings = settings(tmp.path(), &root().join("target/bench-compile-cache"));
        install_fixture(&settings.plugin_dir);
        let manager = PluginManager::new(settings).unwrap();
        let report = manager.load_all();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        Fixture { _tmp: tmp, manager }
    }

    /// The loaded plugin of `kind`, with its normal policy (fresh for scripts, pooled for wasm).
    pub fn plugin(&self, kind: RuntimeKind) -> Arc<LoadedPlugin> {
        self.manager.plugin(&id(kind)).unwrap()
    }

    /// The same plugin with the other policy: one reused instance for a script,
    /// a fresh instance per call for wasm.
    pub fn other_policy(&self, kind: RuntimeKind) -> LoadedPlugin {
        let p = self.plugin(kind);
        let runtime = self.manager.runtime();
        let (entry, policy) = match kind {
            RuntimeKind::Wasm => ("plugin.wasm", InstancePolicy::Fresh),
            k => (plugin_source(k).0, InstancePolicy::Pooled(1)),
        };
        match kind {
            RuntimeKind::Wasm => {
                let wasm =
                    std::fs::read(self.manager.entry(&id(kind)).unwrap().dir.join(entry)).unwrap();
                runtime.load(Arc::clone(p.context()), entry, &wasm, p.limits(), policy)
            }
            k => {
                let (_, source) = plugin_source(k);
                let files = vec![(entry.to_string(), source.as_bytes().to_vec())];
                let snapshot = runtime
                    .snapshot(k, Arc::clone(p.context()), entry, &files, p.limits())
                    .unwrap();
                runtime.load_script(Arc::clone(p.context()), k, &snapshot, p.limits(), policy)
            }
        }
        .unwrap()
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

/// The name of `kind` in benchmark ids (`rust` for a wasm component).
pub fn label(kind: RuntimeKind) -> &'static str {
    prefix(kind)
}

/// The id of the fixture plugin of `kind`.
pub fn id(kind: RuntimeKind) -> String {
    format!("bench.{}", prefix(kind))
}

fn manifest(kind: RuntimeKind) -> String {
    format!(
        "[plugin]\nid = \"{}\"\nname = \"bench\"\nversion = \"0.1.0\"\nruntime = \"{}\"\n\n[[routes]]\nmethod = \"GET\"\npath = \"/items/:id\"\nhandler = \"get_item\"\nauth = \"public\"\n",
        id(kind),
        kind.as_str()
    )
}

/// The names of the SDK's host functions, registered by every native baseline.
pub const SDK_NAMES: [&str; 20] = [
    "dbQuery",
    "dbExecute",
    "httpGet",
    "httpPost",
    "vfsRead",
    "vfsWrite",
    "vfsList",
    "kvGet",
    "kvSet",
    "kvDelete",
    "configGet",
    "emit",
    "logInfo",
    "logWarn",
    "logError",
    "logDebug",
    "newId",
    "ok",
    "fail",
    "extractJson",
];

pub mod load;
pub mod native;
/// A throwaway PostgreSQL cluster, the tests' own.
#[path = "../../tests/all/pg_support.rs"]
pub mod pg;
pub mod realistic;

/// A mid-sized script plugin (about 10 KB): a 200-entry table and 100 small
/// functions, with a tiny `on_content_created` hook that reads the table.
/// `n` makes each one distinct. Returns the entry file and the source; the
/// JS source is a module (`export`), [`sized_native_source`] the same code as
/// a native interpreter loads it.
pub fn sized_source(kind: RuntimeKind, n: usize) -> (&'static str, String) {
    // Per language: entry, table opening, row, table closing, function, hook.
    // `{i}`, `{n}` and `{p}` (the price) are filled in below.
    let (entry, open, row, close, func, hook) = match kind {
        RuntimeKind::Js => (
            "main.js",
            "const TABLE = [\n",
            "  { id: {i}, name: \"item-{i}-{n}\", price: {p} },\n",
            "];\n",
            "function f{i}(x) { return x * {i} + {n}; }\n",
            "export function on_content_created(input) {\n  let sum = 0;\n  for (const row of TABLE) sum += row.price;\n  return String(f7(sum));\n}\n",
        ),
        RuntimeKind::Lua => (
            "init.lua",
            "local TABLE = {\n",
            "  { id = {i}, name = \"item-{i}-{n}\", price = {p} },\n",
            "}\nlocal F = {}\n",
            "F[{i}] = function(x) return x * {i} + {n} end\n",
            "Plugin = {}\nPlugin.on_content_created = function(input)\n  local sum = 0\n  for _, row in ipairs(TABLE) do sum = sum + row.price end\n  return tostring(F[7](sum))\nend\n",
        ),
        RuntimeKind::Rhai | RuntimeKind::Wasm => (
            "init.rhai",
            "const TABLE = [\n",
            "  #{ id: {i}, name: \"item-{i}-{n}\", price: {p} },\n",
            "];\n",
            "fn f{i}(x) { x * {i} + {n} }\n",
            "fn on_content_created(input) {\n  let sum = 0;\n  for row in global::TABLE { sum += row.price; }\n  `${f7(sum)}`\n}\n",
        ),
    };
    let fill = |template: &str, i: usize| {
        template
            .replace("{i}", &i.to_string())
            .replace("{n}", &n.to_string())
            .replace("{p}", &(i * 7 + n).to_string())
    };
    let mut s = String::from(open);
    (0..200).for_each(|i| s.push_str(&fill(row, i)));
    s.push_str(close);
    (0..100).for_each(|i| s.push_str(&fill(func, i)));
    s.push_str(hook);
    (entry, s)
}

/// [`sized_source`] as a native interpreter loads it (a JS script rather than
/// a module; Lua and Rhai unchanged).
pub fn sized_native_source(kind: RuntimeKind, n: usize) -> String {
    let (_, s) = sized_source(kind, n);
    s.replace("export function", "function")
}

/// Installs `n` distinct [`sized_source`] plugins of `kind`, ids `sized.p0`...
pub fn install_sized(plugin_dir: &Path, kind: RuntimeKind, n: usize) {
    for i in 0..n {
        let id = format!("sized.p{i}");
        let dir = plugin_dir.join(&id);
        std::fs::create_dir_all(&dir).unwrap();
        let (entry, source) = sized_source(kind, i);
        std::fs::write(dir.join(entry), source).unwrap();
        let manifest = format!(
            "[plugin]\nid = \"{id}\"\nname = \"sized\"\nversion = \"0.1.0\"\nruntime = \"{}\"\n",
            kind.as_str()
        );
        std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
    }
}

/// Runs this benchmark binary again as `--child what label` (a process of
/// its own, so that one measurement's memory does not hide in the next) and
/// returns the numbers of the last line it printed.
pub fn run_child(what: &str, label: &str) -> Vec<f64> {
    let me = std::env::args().next().expect("the binary's path");
    let out = std::process::Command::new(me)
        .args(["--child", what, label])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} {label}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .last()
        .unwrap()
        .split(' ')
        .map(|n| n.parse::<f64>().unwrap())
        .collect()
}
