//! Lua 5.4's own test files run in the Lua engine: the plugin sandbox keeps
//! the language and the standard libraries it offers exactly as upstream.
//!
//! The files are read from `../shared/conformance/lua-5.4-testes/` (a subset
//! of the official suite, kept unchanged there, never copied into the
//! project), written into a scratch plugin as modules, and each is required
//! by a handler of its own: a fresh instance per call, so a file that clears
//! `_G` (nextvar) cannot disturb the next. A file passes when it runs to its
//! end without an error, with the suite's switches `_soft` (smaller loops)
//! and `_port` (no checks of the C library's locales).

use crate::support::{Harness, root, script_manifest};
use serde_json::json;

/// The files that must pass.
const FILES: [&str; 9] = [
    "math", "pm", "vararg", "tpack", "strings", "sort", "utf8", "nextvar", "closure",
];

/// The suite's switches, and harmless stand-ins for the three places the
/// files touch what the sandbox leaves out, each for a print or a key only:
/// - `strings.lua` formats `io.stdin` with `%p` and `nextvar.lua` uses it as a
///   table key: any table will do;
/// - `sort.lua` times loops with `os.clock()` for a print;
/// - `nextvar.lua` keeps the entries of `package.loaded` when it clears `_G`
///   (upstream's lists the standard libraries, `package` itself included).
const PRELUDE: &str = "_soft = true\n_port = true\n\
    io = { stdin = {} }\n\
    os = { clock = function() return 0 end }\n\
    package = { loaded = { _G = _G, string = string, table = table, math = math, utf8 = utf8, coroutine = coroutine, debug = debug } }\n\
    package.loaded.package, package.loaded.io, package.loaded.os = package, io, os\n";

#[test]
fn lua_5_4s_own_test_files_pass() {
    let testes = root().join("../shared/conformance/lua-5.4-testes");
    assert!(
        testes.is_dir(),
        "Lua's test files are expected in {} (the shared conformance data)",
        testes.display()
    );
    let h = Harness::new();
    let dir = h.plugin_dir().join("testes");
    std::fs::create_dir_all(dir.join("testes")).unwrap();
    let mut init = format!("{PRELUDE}Plugin = {{}}\n");
    for f in FILES {
        // Bytes, unchanged: strings.lua holds Latin-1 string literals.
        let bytes = std::fs::read(testes.join(format!("{f}.lua"))).unwrap();
        std::fs::write(dir.join(format!("testes/{f}.lua")), bytes).unwrap();
        init.push_str(&format!(
            "Plugin.{f} = function() require('testes.{f}') return 'passed' end\n"
        ));
    }
    std::fs::write(dir.join("init.lua"), init).unwrap();
    std::fs::write(
        dir.join("manifest.toml"),
        script_manifest(
            "lua.testes",
            "lua",
            "[permissions]\ntimeout_ms = 30000\nmax_memory_mb = 256\n",
        ),
    )
    .unwrap();
    h.load_ok();
    let mut failures = Vec::new();
    for f in FILES {
        match h.hook("lua.testes", f, json!({})) {
            Ok(Some(v)) if v == json!("passed") => {}
            Ok(other) => failures.push(format!("{f}.lua: returned {other:?}")),
            Err(e) => failures.push(format!("{f}.lua: {}", e.error)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
