//! Script plugins (JS, Lua, Rhai): the seed's examples run unchanged, every
//! call gets a fresh instance, load errors name file and line, and limits hold
//! in every language.

use crate::support::{Harness, script_manifest};
use raisfast::host_api::bindings::raisfast::plugin::types::RouteRequest;
use raisfast::runtime::{CallError, CallErrorKind};
use serde_json::{Value, json};
use std::path::Path;

fn products(h: &Harness) {
    h.sql(
        "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL);
         INSERT INTO products (name, price) VALUES ('lamp', 12.5), ('desk', 99.5);",
    );
}

fn route(handler: &str) -> RouteRequest {
    RouteRequest {
        handler: handler.into(),
        method: "GET".into(),
        path: "/products".into(),
        params: vec![],
        query: vec![],
        headers: vec![],
        body: vec![],
        caller: None,
    }
}

const SEED_JS: &str = r#"import { dbQuery, ok, logInfo } from 'sdk';
export function on_content_created(input) {
const data = JSON.parse(input);
logInfo("created: " + data.id);
}
export function getProducts() {
const rows = dbQuery("SELECT * FROM products");
return ok(rows);
}"#;

const SEED_LUA: &str = r#"local sdk = require("sdk")
Plugin = {}
Plugin.on_content_created = function(input)
local data = sdk.extractJson(input, "body")
sdk.logInfo("created: " .. tostring(data.id))
end
Plugin.getProducts = function(input)
local rows = sdk.dbQuery("SELECT * FROM products")
return sdk.ok(rows)
end"#;

const SEED_RHAI: &str = r#"fn on_content_created(input) {
log("info", "created: " + input.id);
}
fn get_products(input) {
let rows = db_query("SELECT * FROM products", "");
rows
}"#;

#[test]
fn the_seeds_examples_run_unchanged() {
    let h = Harness::new();
    products(&h);
    let grants = "[permissions]\ndatabase = [\"read:products\"]\n";
    h.install_files(
        "seed-js",
        &script_manifest("seed.js", "js", grants),
        &[("main.js", SEED_JS)],
    );
    h.install_files(
        "seed-lua",
        &script_manifest("seed.lua", "lua", grants),
        &[("init.lua", SEED_LUA)],
    );
    h.install_files(
        "seed-rhai",
        &script_manifest("seed.rhai", "rhai", grants),
        &[("init.rhai", SEED_RHAI)],
    );
    h.load_ok();
    let expected_rows =
        json!([{"id": 1, "name": "lamp", "price": 12.5}, {"id": 2, "name": "desk", "price": 99.5}]);
    for (id, handler) in [
        ("seed.js", "getProducts"),
        ("seed.lua", "getProducts"),
        ("seed.rhai", "get_products"),
    ] {
        let envelope = json!({"hook": "on_content_created", "id": 7, "content_type": "post", "body": {"id": 7, "title": "t"}});
        let out = h
            .manager
            .call_hook(id, "on_content_created", &envelope.to_string())
            .unwrap();
        assert_eq!(out.value, None, "{id}");
        assert_eq!(out.logs[0].message, "created: 7", "{id}");
        let plugin = h.manager.plugin(id).unwrap();
        let r = plugin.call_route(&route(handler)).unwrap().value;
        assert_eq!(r.status, 200, "{id}");
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap(),
            expected_rows,
            "{id}"
        );
        let mut handlers = plugin.handlers().unwrap().to_vec();
        handlers.sort();
        assert_eq!(handlers, [handler, "on_content_created"], "{id}");
    }
}

#[test]
fn every_call_gets_a_fresh_instance() {
    let h = Harness::new();
    h.install_files(
        "fresh-js",
        &script_manifest("fresh.js", "js", ""),
        &[("main.js", "let n = 0;\nglobalThis.seen = globalThis.seen || [];\nexport function bump() { n += 1; globalThis.seen.push(n); return [n, globalThis.seen.length, Math.random()]; }")],
    );
    h.install_files(
        "fresh-lua",
        &script_manifest("fresh.lua", "lua", ""),
        &[("init.lua", "n = 0\nPlugin = {}\nPlugin.bump = function() n = n + 1; return { n, math.random() } end")],
    );
    h.install_files(
        "fresh-rhai",
        &script_manifest("fresh.rhai", "rhai", ""),
        &[(
            "init.rhai",
            "fn bump(input) { let m = #{}; m.n = 1; [1, m.n] }",
        )],
    );
    h.load_ok();
    for id in ["fresh.js", "fresh.lua", "fresh.rhai"] {
        let a = h.hook(id, "bump", json!({})).unwrap().unwrap();
        let b = h.hook(id, "bump", json!({})).unwrap().unwrap();
        assert_eq!(a[0], 1, "{id}: {a}");
        assert_eq!(
            b[0], 1,
            "{id}: a global set in one call is not visible in the next ({b})"
        );
        if id != "fresh.rhai" {
            assert_ne!(
                a[a.as_array().unwrap().len() - 1],
                b[b.as_array().unwrap().len() - 1],
                "{id}: randomness is re-seeded"
            );
        }
    }
}

#[test]
fn a_syntax_error_fails_that_plugin_with_file_and_line() {
    let h = Harness::new();
    h.install_files(
        "bad-js",
        &script_manifest("bad.js", "js", ""),
        &[("main.js", "export function f() {\n  return 1 +;\n}\n")],
    );
    h.install_files(
        "bad-lua",
        &script_manifest("bad.lua", "lua", ""),
        &[("init.lua", "Plugin = {}\nPlugin.f = function(\n")],
    );
    h.install_files(
        "bad-rhai",
        &script_manifest("bad.rhai", "rhai", ""),
        &[("init.rhai", "fn f(input) {\n  let x = ;\n}\n")],
    );
    h.install_files(
        "good",
        &script_manifest("good.js", "js", ""),
        &[("main.js", "export function f() { return 1; }")],
    );
    let r = h.manager.load_all();
    assert_eq!(r.loaded, ["good.js"]);
    let why = |id: &str| r.failed.iter().find(|(k, _)| k == id).unwrap().1.clone();
    let js = why("bad.js");
    assert!(
        js.contains("main.js") && js.contains("SyntaxError") && js.contains(":2:"),
        "{js}"
    );
    let lua = why("bad.lua");
    assert!(lua.contains("init.lua:3:"), "{lua}");
    let rhai = why("bad.rhai");
    assert!(rhai.contains("init.rhai:2:"), "{rhai}");
}

#[test]
fn top_level_code_cannot_use_the_host_api_but_can_log() {
    let h = Harness::new();
    h.install_files(
        "top",
        &script_manifest("top.js", "js", "[config]\nmode = \"fast\""),
        &[("main.js", "import { kvGet, logInfo, configGet } from 'sdk';\nconst mode = configGet('mode');\nlogInfo('loading ' + mode);\nkvGet('x');\nexport function f() {}")],
    );
    let r = h.manager.load_all();
    assert!(
        r.failed[0]
            .1
            .contains("kv.get is not available while the plugin loads"),
        "{:?}",
        r.failed
    );
}

#[test]
fn js_has_modules_async_and_modern_syntax() {
    let h = Harness::new();
    h.install_files(
        "modern",
        &script_manifest("modern.js", "js", ""),
        &[
            ("main.js", "import { double } from './lib/math.js';\nimport { kvGet } from 'sdk';\n\
                export async function run(input) {\n\
                  const v = await Promise.resolve(double(21));\n\
                  const bytes = new Uint8Array([1, 2, 3]);\n\
                  const o = { a: { b: null } };\n\
                  let caught = null;\n\
                  try { kvGet(''); } catch (e) { caught = e.kind; }\n\
                  return { v, sum: bytes.reduce((a, b) => a + b, 0), deep: o.a?.b?.c ?? 'none', year: new Date(0).getUTCFullYear(), pi: Math.round(Math.PI * 100), caught, json: JSON.parse(input).body.x };\n\
                }"),
            ("lib/math.js", "export const double = (x) => x * 2;"),
        ],
    );
    h.load_ok();
    let r = h
        .hook("modern.js", "run", json!({"x": 5}))
        .unwrap()
        .unwrap();
    assert_eq!(
        r,
        json!({"v": 42, "sum": 6, "deep": "none", "year": 1970, "pi": 314, "caught": "invalid", "json": 5})
    );
}

#[test]
fn js_imports_stay_inside_the_plugin() {
    let h = Harness::new();
    h.install_files(
        "esc",
        &script_manifest("esc.js", "js", ""),
        &[(
            "main.js",
            "import x from '../../etc/passwd';\nexport function f() {}",
        )],
    );
    h.install_files(
        "bare",
        &script_manifest("bare.js", "js", ""),
        &[("main.js", "import fs from 'fs';\nexport function f() {}")],
    );
    let r = h.manager.load_all();
    assert_eq!(r.failed.len(), 2);
    for (_, why) in &r.failed {
        assert!(
            why.contains("a plugin imports 'sdk', its own files"),
            "{why}"
        );
    }
}

#[test]
fn lua_is_sandboxed() {
    let h = Harness::new();
    h.install_files(
        "sand",
        &script_manifest("sand.lua", "lua", ""),
        &[
            ("init.lua", "local util = require('lib.util')\nPlugin = {}\nPlugin.probe = function()\n\
                local bin_ok = select(1, load(string.dump(function() return 1 end)))\n\
                local bin_b = select(1, load(string.dump(function() return 1 end), 'x', 'b'))\n\
                local escaped = pcall(require, '../secret')\n\
                local kept = {}\n\
                for k in pairs(debug) do kept[#kept + 1] = k end\n\
                table.sort(kept)\n\
                return { io = type(io), os = type(os), debug = kept, package = type(package), dofile = type(dofile), loadfile = type(loadfile), binary = bin_ok ~= nil or bin_b ~= nil, text = load('return 2')(), util = util.answer, escaped = escaped }\n\
                end"),
            ("lib/util.lua", "return { answer = 42 }"),
        ],
    );
    h.load_ok();
    let r = h.hook("sand.lua", "probe", json!({})).unwrap().unwrap();
    assert_eq!(
        r,
        json!({"io": "nil", "os": "nil", "debug": ["getinfo", "traceback", "upvalueid", "upvaluejoin"], "package": "nil", "dofile": "nil", "loadfile": "nil", "binary": false, "text": 2, "util": 42, "escaped": false})
    );
}

#[test]
fn lua_load_and_sources_behave_as_lua_5_4() {
    let h = Harness::new();
    // A Latin-1 byte (0xE9) in a string literal: Lua sources are bytes.
    let mut init = b"Plugin = {}\nlocal e = '\xE9t\xE9'\nPlugin.probe = function()\n".to_vec();
    init.extend_from_slice(
        b"  local env = { x = 7 }\n\
          return {\n\
            globals = load(\"return string.rep('ab', 3)\")(),\n\
            named = load('return 1 + 1', '=chunk', 't')(),\n\
            with_env = load('return x', 'c', 't', env)(),\n\
            nil_env = select(2, pcall(load('return string', 'c', 't', nil))),\n\
            reader = load(coroutine.wrap(function() coroutine.yield('return ') coroutine.yield('5') end))(),\n\
            bad = select(2, load('return +', '=bad')),\n\
            bytes = #e, first = string.byte(e, 1),\n\
            utf8 = require('utf8') == utf8, string = require('string') == string,\n\
          }\n\
        end\n",
    );
    let dir = h.plugin_dir().join("bytes");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("init.lua"), init).unwrap();
    std::fs::write(
        dir.join("manifest.toml"),
        script_manifest("bytes.lua", "lua", ""),
    )
    .unwrap();
    h.load_ok();
    let r = h.hook("bytes.lua", "probe", json!({})).unwrap().unwrap();
    assert_eq!(
        r,
        json!({
            "globals": "ababab", "named": 2, "with_env": 7,
            "nil_env": "[string \"c\"]:1: attempt to index a nil value (upvalue '_ENV')",
            "reader": 5, "bad": "bad:1: unexpected symbol near '+'",
            "bytes": 3, "first": 233, "utf8": true, "string": true,
        })
    );
}

#[test]
fn host_errors_are_catchable_in_each_language() {
    let h = Harness::new();
    h.install_files("c-js", &script_manifest("c.js", "js", ""), &[("main.js", "import { dbQuery } from 'sdk';\nexport function f() { try { dbQuery('SELECT * FROM users'); } catch (e) { return [e.kind, e.message.startsWith('denied: ')]; } }")]);
    h.install_files("c-lua", &script_manifest("c.lua", "lua", ""), &[("init.lua", "local sdk = require('sdk')\nPlugin = {}\nPlugin.f = function() local ok, err = pcall(sdk.dbQuery, 'SELECT * FROM users'); return { ok, string.sub(err, 1, 8) } end")]);
    h.install_files("c-rhai", &script_manifest("c.rhai", "rhai", ""), &[("init.rhai", "fn f(input) { try { db_query(\"SELECT * FROM users\", \"\"); } catch (e) { return [false, e.sub_string(0, 8)]; } }")]);
    h.load_ok();
    assert_eq!(
        h.hook("c.js", "f", json!({})).unwrap().unwrap(),
        json!(["denied", true])
    );
    assert_eq!(
        h.hook("c.lua", "f", json!({})).unwrap().unwrap(),
        json!([false, "denied: "])
    );
    assert_eq!(
        h.hook("c.rhai", "f", json!({})).unwrap().unwrap(),
        json!([false, "denied: "])
    );
}

fn limits_harness() -> Harness {
    let h = Harness::new();
    let m = |id: &str, rt: &str| {
        script_manifest(
            id,
            rt,
            "[permissions]\ntimeout_ms = 1500\nmax_memory_mb = 32\n",
        )
    };
    h.install_files("l-js", &m("l.js", "js"), &[("main.js", "export function spin() { while (true) {} }\n\
        export function bomb() { const a = []; while (true) { a.push(new Array(100000).fill(7)); } }\n\
        export function deep() { function f(n) { return f(n + 1) + 1; } return f(0); }\n\
        export function ok() { return 'fine'; }\n\
        export function cycles() { for (let i = 0; i < 150000; i++) { const a = { pad: 'x'.repeat(200) + i }; a.self = { a }; } return 'collected'; }")]);
    h.install_files("l-lua", &m("l.lua", "lua"), &[("init.lua", "Plugin = {}\n\
        Plugin.spin = function() while true do end end\n\
        Plugin.bomb = function() local t = {} local i = 0 while true do i = i + 1 t[i] = string.rep('x', 100000) .. i end end\n\
        Plugin.deep = function() local function f(n) return f(n + 1) + 1 end return f(0) end\n\
        Plugin.ok = function() return 'fine' end\n\
        Plugin.cycles = function() for i = 1, 150000 do local a = { pad = string.rep('x', 200) .. i } a.self = { a = a } end return 'collected' end")]);
    h.install_files(
        "l-rhai",
        &m("l.rhai", "rhai"),
        &[(
            "init.rhai",
            "fn spin(input) { loop { } }\n\
        fn bomb(input) { let s = \"xxxxxxxxxx\"; loop { s += s; } }\n\
        fn f(n) { f(n + 1) + 1 }\n\
        fn deep(input) { f(0) }\n\
        fn ok(input) { \"fine\" }",
        )],
    );
    h.load_ok();
    h
}

#[test]
fn limits_hold_in_every_script_runtime() {
    let h = limits_harness();
    for id in ["l.js", "l.lua", "l.rhai"] {
        let e = h.hook(id, "spin", json!({})).unwrap_err().error;
        assert!(
            matches!(
                e,
                CallError {
                    kind: CallErrorKind::Timeout {
                        timeout_ms: 1500,
                        ..
                    },
                    ..
                }
            ),
            "{id}: {e}"
        );
        assert_eq!(
            h.hook(id, "ok", json!({})).unwrap(),
            Some(json!("fine")),
            "{id}"
        );
        let e = h.hook(id, "bomb", json!({})).unwrap_err().error;
        assert!(
            matches!(
                e,
                CallError {
                    kind: CallErrorKind::OutOfMemory { limit_mb: 32, .. },
                    ..
                }
            ),
            "{id}: {e}"
        );
        assert_eq!(
            h.hook(id, "ok", json!({})).unwrap(),
            Some(json!("fine")),
            "{id}"
        );
        let e = h.hook(id, "deep", json!({})).unwrap_err().error;
        assert!(
            matches!(
                e,
                CallError {
                    kind: CallErrorKind::StackOverflow,
                    ..
                } | CallError {
                    kind: CallErrorKind::Trap { .. },
                    ..
                } | CallError {
                    kind: CallErrorKind::Plugin { .. },
                    ..
                } | CallError {
                    kind: CallErrorKind::OutOfMemory { .. },
                    ..
                }
            ),
            "{id}: {e}"
        );
        assert_eq!(
            h.hook(id, "ok", json!({})).unwrap(),
            Some(json!("fine")),
            "{id}: the next call works"
        );
    }
}

#[test]
fn cyclic_garbage_is_collected_within_a_call() {
    // About 50 MiB of objects that reference each other, made and dropped in
    // one call under a 32 MiB cap: the call completes only if the collector
    // runs during it (the engines defer it for short calls, not disable it).
    let h = limits_harness();
    for id in ["l.js", "l.lua"] {
        assert_eq!(
            h.hook(id, "cycles", json!({})).unwrap(),
            Some(json!("collected")),
            "{id}"
        );
    }
}

#[test]
fn rhai_functions_read_top_level_constants_through_global() {
    // The sample of docs/script-plugins.md, run as written.
    let md =
        std::fs::read_to_string(crate::support::root().join("docs/script-plugins.md")).unwrap();
    let start = md.find("```rhai\nconst GREETING").expect("the Rhai sample") + "```rhai\n".len();
    let sample = &md[start..start + md[start..].find("```").unwrap()];
    let h = Harness::new();
    h.install_files(
        "greet",
        &script_manifest("greet.rhai", "rhai", ""),
        &[("init.rhai", sample)],
    );
    h.install_files(
        "missing",
        &script_manifest("missing.rhai", "rhai", ""),
        &[("init.rhai", "fn f(input) { global::NOPE }\n")],
    );
    h.load_ok();
    assert_eq!(
        h.hook("greet.rhai", "greet", json!({"name": "Ada"}))
            .unwrap(),
        Some(json!("hello, Ada"))
    );
    let e = h.hook("missing.rhai", "f", json!({})).unwrap_err();
    assert!(
        e.error.to_string().contains("init.rhai:1") && e.error.to_string().contains("global::NOPE"),
        "{}",
        e.error
    );
}

/// Two plugins of each runtime, linked to that runtime's one compiled engine.
const SHARED: [(&str, &str, &str); 3] = [
    (
        "js",
        "main.js",
        "globalThis.who = 'WHO'; globalThis.secretWHO = 'kept by WHO';\nexport function who() { const seen = [globalThis.who, typeof globalThis.secreta, typeof globalThis.secretb, typeof globalThis.written]; globalThis.written = 'by WHO'; return seen; }",
    ),
    (
        "lua",
        "init.lua",
        "WHO_NAME = 'WHO'\nSECRET_WHO = 'kept by WHO'\nPlugin = {}\nPlugin.who = function() local seen = { WHO_NAME, type(SECRET_a), type(SECRET_b), type(WRITTEN) }\nWRITTEN = 'by WHO'\nreturn seen end",
    ),
    (
        "rhai",
        "init.rhai",
        "const WHO = \"WHO\";\nfn who(input) { [global::WHO] }",
    ),
];

/// Six plugins (two per runtime) in a harness with its own compile cache.
fn shared_harness(cache: &Path, warm_memory_mb: u32) -> Harness {
    let cache_dir = cache.to_path_buf();
    let h = Harness::with(
        |s| {
            s.runtime.cache_dir = Some(cache_dir);
            s.runtime.warm_memory_mb = warm_memory_mb;
        },
        Default::default(),
    );
    for (runtime, entry, source) in SHARED {
        for who in ["a", "b"] {
            let id = format!("shared.{runtime}.{who}");
            h.install_files(
                &id,
                &script_manifest(&id, runtime, ""),
                &[(entry, &source.replace("WHO", who))],
            );
        }
    }
    h.load_ok();
    h
}

/// Calls interleaved between the two plugins of each runtime: each sees only
/// its own top-level state, and nothing a call of the other one wrote.
fn assert_interleaved_calls_see_their_own_state(h: &Harness) {
    for _ in 0..3 {
        for (runtime, ..) in SHARED {
            for who in ["a", "b"] {
                let id = format!("shared.{runtime}.{who}");
                let seen = h.hook(&id, "who", json!({})).unwrap().unwrap();
                assert_eq!(seen[0], who, "{id} sees its own top-level state: {seen}");
                let absent = if runtime == "js" { "undefined" } else { "nil" };
                if runtime != "rhai" {
                    assert_eq!(
                        seen,
                        json!([
                            who,
                            if who == "a" { "string" } else { absent },
                            if who == "b" { "string" } else { absent },
                            absent
                        ]),
                        "{id} sees nothing of the other plugin, nor of its own earlier call"
                    );
                }
            }
        }
    }
}

#[test]
fn plugins_sharing_their_engines_code_share_no_state() {
    let cache = tempfile::tempdir().unwrap();
    let h = shared_harness(cache.path(), 256);
    assert_interleaved_calls_see_their_own_state(&h);
    // One compiled engine per runtime: six plugins, three compiled
    // components in the cache (the rest are core modules: state modules and
    // the engines' initial states).
    let components: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.ends_with(".cwasm") && !n.ends_with(".state.cwasm") && !n.ends_with(".module.cwasm")
        })
        .collect();
    assert_eq!(
        components.len(),
        3,
        "one compiled engine per runtime: {components:?}"
    );
    // Called more than once, all six are protected and fit in 256 MiB.
    let warm = h.manager.runtime().warm();
    assert_eq!((warm.plugins, warm.protected), (6, 6), "{warm:?}");
}

/// Plugins loaded or called once stay on probation, a small share of the
/// warm budget, and are the first made cold; a second call protects a
/// plugin: a burst of one-off calls does not push out the plugins called
/// all the time.
#[test]
fn plugins_called_once_do_not_push_out_the_plugins_called_often() {
    let cache = tempfile::tempdir().unwrap();
    // 64 MiB: 1 MiB on probation, less than one JS or Rhai plugin counts.
    let h = shared_harness(cache.path(), 64);
    let loaded = h.manager.runtime().warm();
    assert!(loaded.plugins <= 2 && loaded.protected == 0, "{loaded:?}");
    for _ in 0..2 {
        let seen = h.hook("shared.js.a", "who", json!({})).unwrap().unwrap();
        assert_eq!(seen[0], "a");
    }
    let hot = h.manager.runtime().warm();
    assert_eq!(
        hot.protected, 1,
        "called twice, shared.js.a is protected: {hot:?}"
    );
    assert!(h.manager.plugin("shared.js.a").unwrap().is_warm());
    // A burst of one-off calls of the five others.
    for (runtime, ..) in SHARED {
        for who in ["a", "b"] {
            let id = format!("shared.{runtime}.{who}");
            if id != "shared.js.a" {
                assert_eq!(h.hook(&id, "who", json!({})).unwrap().unwrap()[0], who);
            }
        }
    }
    let after = h.manager.runtime().warm();
    assert!(
        h.manager.plugin("shared.js.a").unwrap().is_warm(),
        "the hot plugin stayed warm through the burst: {after:?}"
    );
    assert!(
        after.plugins <= 3 && after.protected == 1,
        "the one-off calls left at most two plugins on probation: {after:?}"
    );
    let relinks = after.relinks;
    assert_eq!(
        h.hook("shared.js.a", "who", json!({})).unwrap().unwrap()[0],
        "a"
    );
    assert_eq!(
        h.manager.runtime().warm().relinks,
        relinks,
        "no relink for the hot plugin"
    );
}

/// With a warm budget too small for them, plugins are made cold and linked
/// again by their next call: same answers, same isolation, memory bounded.
#[test]
fn plugins_made_cold_by_the_warm_budget_answer_as_before() {
    let cache = tempfile::tempdir().unwrap();
    let h = shared_harness(cache.path(), 1);
    let loaded = h.manager.runtime().warm();
    assert!(
        loaded.plugins < 6 && loaded.plugins >= 1,
        "1 MiB keeps few of six plugins warm: {loaded:?}"
    );
    assert_interleaved_calls_see_their_own_state(&h);
    let warm = h.manager.runtime().warm();
    assert!(warm.plugins <= 2, "the budget holds: {warm:?}");
    assert!(
        warm.bytes <= warm.budget || warm.plugins == 1,
        "past the budget only with the one plugin just called: {warm:?}"
    );
    assert!(
        warm.relinks >= 17,
        "each of 18 calls but the first found its plugin cold: {warm:?}"
    );
    // A cold plugin whose compiled state left the compile cache is compiled
    // again from its snapshot.
    for e in std::fs::read_dir(cache.path()).unwrap() {
        let path = e.unwrap().path();
        if path.to_string_lossy().ends_with(".state.cwasm") {
            std::fs::remove_file(path).unwrap();
        }
    }
    assert_interleaved_calls_see_their_own_state(&h);
    // Without its snapshot either, the call fails naming the plugin.
    std::fs::remove_dir_all(cache.path().join("snapshots")).unwrap();
    for e in std::fs::read_dir(cache.path()).unwrap() {
        let path = e.unwrap().path();
        if path.to_string_lossy().ends_with(".state.cwasm") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let err = h
        .hook("shared.js.a", "who", json!({}))
        .unwrap_err()
        .error
        .to_string();
    assert!(
        err.contains("shared.js.a") && err.contains("snapshot"),
        "{err}"
    );
}

/// A JS route's request and the host's answers reach the script as the
/// values `JSON.parse` would build from their text (the engine builds them
/// directly): keys are own data properties, `__proto__` among them, and
/// numbers are doubles.
#[test]
fn a_js_route_sees_its_request_and_host_answers_as_json_parse_builds_them() {
    let h = Harness::new();
    h.install_files(
        "shape-js",
        &script_manifest("shape.js", "js", ""),
        &[(
            "main.js",
            r#"import { dbQuery, kvSet, kvGet } from 'sdk';
const probe = (o) => ({
  own: Object.getOwnPropertyNames(o),
  plain: Object.getPrototypeOf(o) === Object.prototype,
});
export function inspect(req) {
  kvSet('doc', JSON.parse('{"__proto__": {"polluted": true}, "list": [1, 2.5, null, "x"]}'));
  const doc = kvGet('doc');
  const [row] = dbQuery('SELECT 9007199254740993 AS big, -2147483649 AS low, 1.5 AS half');
  return {
    query: probe(req.query), queryProto: req.query['__proto__'], param: req.params.id,
    doc: probe(doc), docProto: doc['__proto__'], polluted: doc.polluted === undefined,
    list: doc.list, isArray: Array.isArray(doc.list), listProto: Object.getPrototypeOf(doc.list) === Array.prototype,
    big: row.big === 9007199254740992, low: row.low, half: row.half,
  };
}"#,
        )],
    );
    h.load_ok();
    let mut request = route("inspect");
    request.params = vec![("id".into(), "7".into())];
    request.query = vec![("__proto__".into(), "x".into()), ("a".into(), "1".into())];
    let plugin = h.manager.plugin("shape.js").unwrap();
    let r = plugin.call_route(&request).unwrap().value;
    assert_eq!(r.status, 200);
    let seen: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        seen,
        json!({
            "query": {"own": ["__proto__", "a"], "plain": true}, "queryProto": "x", "param": "7",
            "doc": {"own": ["__proto__", "list"], "plain": true}, "docProto": {"polluted": true},
            "polluted": true, "list": [1, 2.5, null, "x"], "isArray": true, "listProto": true,
            "big": true, "low": -2147483649i64, "half": 1.5,
        })
    );
}
