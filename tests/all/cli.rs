//! The `raisfast` binary: `plugin check`, `new`, `build`, `call` and `list`.

use crate::support::{guests, root};
use std::process::{Command, Output};

/// Runs `raisfast ARGS` in `cwd` (without the caller's `RAISFAST_CONFIG`).
pub fn raisfast(args: &[&str], cwd: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raisfast"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RAISFAST_CONFIG")
        .output()
        .unwrap()
}

/// What a command printed, stdout then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn check_passes_on_the_example_plugins() {
    assert!(guests().hello.is_file()); // builds extensions/plugins/hello-rust/plugin.wasm
    assert!(guests().polyglot.iter().all(|p| p.is_file())); // and the C, Zig and Go examples
    let o = raisfast(&["plugin", "check", "extensions/plugins"], &root());
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("ok   com.raisfast.hello-rust 0.1.0 (wasm)"),
        "{out}"
    );
    assert!(
        out.contains("grants database: own tables hello_rust_*"),
        "{out}"
    );
}

#[test]
fn check_fails_on_broken_plugins_with_every_error() {
    let o = raisfast(&["plugin", "check", "tests/fixtures/broken"], &root());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    for needle in [
        "tests/fixtures/broken/typo/manifest.toml:8:1: `hooks.on_content_created.priorty`: unknown key `priorty`",
        "help: did you mean `priority`?",
        "tests/fixtures/broken/bad-id/manifest.toml:2:6: `plugin.id`: invalid plugin id `My Plugin`",
        "error: dependency cycle: test.cycle-a -> test.cycle-b -> test.cycle-a",
        "plugin id test.dup is declared by tests/fixtures/broken/dup-1 and tests/fixtures/broken/dup-2",
        "`plugin.entry`: entry file `tests/fixtures/broken/no-entry/init.lua` does not exist",
        "`cron.schedule`: invalid cron expression `61 * * * *`",
        "with errors",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    let o = raisfast(
        &["plugin", "check", "tests/fixtures/broken", "--json"],
        &root(),
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["ok"] == false || p["id"] == "test.dup")
    );
}

#[test]
fn call_runs_a_hook_and_a_route_and_prints_logs() {
    guests();
    let o = raisfast(
        &[
            "plugin",
            "call",
            "extensions/plugins/hello-rust",
            "on_content_created",
            "--payload",
            r#"{"id": "c1", "title": "First"}"#,
        ],
        &root(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("[info] new content: c1 (First)"),
        "{}",
        text(&o)
    );
    let o = raisfast(
        &[
            "plugin",
            "call",
            "extensions/plugins/hello-rust",
            "hello",
            "--route",
            "--path",
            "/hello",
        ],
        &root(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["body"]["message"], "Hello, world!");
}

#[test]
fn call_reports_a_failing_plugin_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("hostile");
    std::fs::create_dir_all(&plugin).unwrap();
    std::fs::copy(&guests().hostile, plugin.join("plugin.wasm")).unwrap();
    std::fs::copy(
        root().join("tests/plugins/hostile/manifest.toml"),
        plugin.join("manifest.toml"),
    )
    .unwrap();
    let o = raisfast(
        &["plugin", "call", plugin.to_str().unwrap(), "spin"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("error: plugin test.hostile timed out in `spin` after 300 ms"),
        "{}",
        text(&o)
    );
}

#[test]
fn new_creates_a_rust_plugin_that_builds_checks_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let o = raisfast(
        &[
            "--plugin-dir",
            plugins.to_str().unwrap(),
            "plugin",
            "new",
            "greeter",
            "--runtime",
            "rust",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let p = plugins.join("greeter");
    // Reuse the workspace's lock file and build directory: same dependency versions, no rebuild.
    std::fs::copy(root().join("Cargo.lock"), p.join("Cargo.lock")).unwrap();
    let target = root().join("target/test-guests");
    let o = raisfast(
        &[
            "plugin",
            "build",
            p.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = raisfast(&["plugin", "check", p.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let o = raisfast(
        &[
            "plugin",
            "call",
            p.to_str().unwrap(),
            "on_content_created",
            "--payload",
            r#"{"id": 42}"#,
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("[info] new content: 42"),
        "{}",
        text(&o)
    );
}

#[test]
fn new_creates_c_zig_and_go_plugins_that_build_check_and_run() {
    let dir = tempfile::tempdir().unwrap();
    for rt in ["c", "zig", "go"] {
        let name = format!("my-{rt}");
        let o = raisfast(
            &["--plugin-dir", "p", "plugin", "new", &name, "--runtime", rt],
            dir.path(),
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("build it with: raisfast plugin build"));
        let p = format!("p/{name}");
        let readme = std::fs::read_to_string(dir.path().join(&p).join("README.md")).unwrap();
        assert!(
            readme.contains(&format!("raisfast plugin build {name}")),
            "{readme}"
        );
        // The SDK is there before the first build, for editors.
        assert!(dir.path().join(&p).join("sdk").is_dir(), "{rt}");
        let go_mod = dir.path().join(&p).join("go.mod");
        if rt == "go" {
            // A go.mod from before the generated bindings: the build adds
            // what they need, as `go get` would.
            std::fs::write(&go_mod, "module my-go\n\ngo 1.24\n").unwrap();
        }
        let o = raisfast(&["plugin", "build", &p], dir.path());
        assert!(o.status.success(), "{rt}: {}", text(&o));
        // The bindings are generated by the build, not written by hand.
        let sdk = dir.path().join(&p).join("sdk");
        let generated = match rt {
            "c" => sdk.join("plugin.h"),
            "zig" => sdk.join("plugin.zig"),
            _ => sdk.join("wit/imports/raisfast_plugin_http/wit_bindings.go"),
        };
        let generated = std::fs::read_to_string(&generated).unwrap();
        assert!(generated.contains("raisfast_plugin_http"), "{rt}");
        if rt == "go" {
            assert!(generated.contains("Generated by `wit-bindgen`"));
            assert!(sdk.join("go-pkg/wit/runtime/runtime.go").is_file());
            let go_mod = std::fs::read_to_string(&go_mod).unwrap();
            assert!(go_mod.contains("go 1.27.1"), "{go_mod}");
            assert!(
                go_mod.contains("replace go.bytecodealliance.org/pkg => ./sdk/go-pkg"),
                "{go_mod}"
            );
        }
        let o = raisfast(&["plugin", "check", &p], dir.path());
        assert!(o.status.success(), "{rt}: {}", text(&o));
        let o = raisfast(
            &[
                "--data-dir",
                "data",
                "plugin",
                "call",
                &p,
                "on_content_created",
                "--payload",
                r#"{"id": 42}"#,
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{rt}: {}", text(&o));
        let logged = String::from_utf8_lossy(&o.stderr).to_string();
        let expected = if rt == "c" {
            "[info] new content ("
        } else {
            "[info] new content: 42"
        };
        assert!(logged.contains(expected), "{rt}: {}", text(&o));
    }
}

#[test]
fn cargo_component_builds_a_plugin_the_host_runs() {
    // The Rust example as its author would keep it: a crate of its own.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("greeter");
    std::fs::create_dir_all(p.join("src")).unwrap();
    let example = root().join("extensions/plugins/hello-rust");
    std::fs::copy(example.join("src/lib.rs"), p.join("src/lib.rs")).unwrap();
    std::fs::copy(example.join("manifest.toml"), p.join("manifest.toml")).unwrap();
    std::fs::copy(root().join("Cargo.lock"), p.join("Cargo.lock")).unwrap();
    let sdk = root().join("sdk-rust");
    std::fs::write(
        p.join("Cargo.toml"),
        format!(
            "[package]\nname = \"hello-rust\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\nraisfast-sdk = {{ path = {:?} }}\n\n[workspace]\n",
            sdk.display().to_string()
        ),
    )
    .unwrap();
    let target = root().join("target/test-cargo-component");
    let o = Command::new("cargo")
        .args(["component", "build", "--release", "--target-dir"])
        .arg(&target)
        .current_dir(&p)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "cargo component build (scripts/test.sh installs cargo-component): {}",
        text(&o)
    );
    std::fs::copy(
        target.join("wasm32-wasip1/release/hello_rust.wasm"),
        p.join("plugin.wasm"),
    )
    .unwrap();
    let o = raisfast(&["plugin", "check", "greeter"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let o = raisfast(
        &[
            "--data-dir",
            "data",
            "plugin",
            "call",
            "greeter",
            "hello",
            "--route",
            "--path",
            "/hello",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Hello, world!"), "{}", text(&o));
}

#[test]
fn new_creates_script_plugins_with_valid_manifests() {
    let dir = tempfile::tempdir().unwrap();
    for rt in ["js", "lua", "rhai"] {
        let name = format!("hello-{rt}");
        let o = raisfast(
            &["--plugin-dir", "p", "plugin", "new", &name, "--runtime", rt],
            dir.path(),
        );
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = raisfast(&["plugin", "check", "p"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let o = raisfast(
        &["--plugin-dir", "p", "plugin", "new", "hello-js"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("already exists"));
}

#[test]
fn list_shows_states() {
    guests();
    let dir = tempfile::tempdir().unwrap();
    let o = raisfast(
        &["--data-dir", dir.path().to_str().unwrap(), "plugin", "list"],
        &root(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("com.raisfast.hello-rust"), "{}", text(&o));
    assert!(text(&o).contains("active"));
}

#[test]
fn check_loads_scripts_in_their_engines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p");
    let write = |name: &str, manifest: &str, file: &str, text: &str| {
        std::fs::create_dir_all(p.join(name)).unwrap();
        std::fs::write(p.join(name).join("manifest.toml"), manifest).unwrap();
        std::fs::write(p.join(name).join(file), text).unwrap();
    };
    write(
        "syntax",
        &crate::support::script_manifest("t.syntax", "js", ""),
        "main.js",
        "export function f( {\n",
    );
    write(
        "handlers",
        &crate::support::script_manifest(
            "t.handlers",
            "lua",
            "[hooks.on_content_created]\n\n[[routes]]\nmethod = \"GET\"\npath = \"/x\"\nhandler = \"listDeals\"\n",
        ),
        "init.lua",
        "Plugin = {}\nPlugin.listDeal = function() end\n",
    );
    let o = raisfast(&["plugin", "check", "p"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("main.js: SyntaxError"), "{out}");
    assert!(
        out.contains(
            "`routes.handler`: init.lua exports no handler `listDeals` (did you mean `listDeal`?)"
        ),
        "{out}"
    );
    assert!(
        out.contains("`hooks`: init.lua exports no handler `on_content_created`"),
        "{out}"
    );
}

#[test]
fn check_names_a_handler_the_entry_lacks_in_every_runtime() {
    // Each example plugin, its manifest naming one route handler it lacks:
    // scripts export their handlers, components declare theirs (Rust
    // `Plugin::HANDLERS`, C by answering `raisfast:handlers`, Zig `handlers`,
    // Go `raisfast.Handlers`).
    let guests = guests();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p");
    let examples = root().join("extensions/plugins");
    let mut built = vec![guests.hello.clone()];
    built.extend(guests.polyglot.iter().cloned());
    for name in ["hello-js", "hello-lua", "hello-rhai"] {
        built.push(examples.join(name).join("manifest.toml"));
    }
    for file in &built {
        let from = file.parent().unwrap();
        let name = from.file_name().unwrap();
        let to = p.join(name);
        raisfast::toolchain::sysroot::copy_dir(from, &to).unwrap();
        for generated in ["sdk", "target"] {
            let _ = std::fs::remove_dir_all(to.join(generated));
        }
        let manifest = std::fs::read_to_string(to.join("manifest.toml")).unwrap();
        std::fs::write(
            to.join("manifest.toml"),
            format!("{manifest}\n[[routes]]\nmethod = \"GET\"\npath = \"/typo\"\nhandler = \"helo\"\nauth = \"public\"\n"),
        )
        .unwrap();
    }
    let o = raisfast(&["plugin", "check", "p"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    for (name, entry) in [
        ("hello-js", "main.js"),
        ("hello-lua", "init.lua"),
        ("hello-rhai", "init.rhai"),
        ("hello-rust", "plugin.wasm"),
        ("hello-c", "plugin.wasm"),
        ("hello-zig", "plugin.wasm"),
        ("hello-go", "plugin.wasm"),
    ] {
        // This plugin's report: its first line, then the indented ones.
        let mut lines = out
            .lines()
            .skip_while(|l| !l.contains(&format!("com.raisfast.{name} ")));
        let first = lines.next().unwrap_or_default();
        let rest: Vec<&str> = lines.take_while(|l| l.starts_with(' ')).collect();
        let report = format!("{first}\n{}", rest.join("\n"));
        assert!(report.starts_with("FAIL"), "{name}: {out}");
        assert!(
            report.contains(&format!(
                "`routes.handler`: {entry} exports no handler `helo` (did you mean `hello`?)"
            )),
            "{name}: {report}"
        );
    }
}

#[test]
fn call_of_a_route_matches_params_and_decodes_the_query() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("items");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(
        p.join("manifest.toml"),
        "[plugin]\nid = \"test.items\"\nname = \"items\"\nversion = \"0.1.0\"\nruntime = \"js\"\n\n[[routes]]\nmethod = \"GET\"\npath = \"/items/:id\"\nhandler = \"item\"\nauth = \"public\"\n",
    )
    .unwrap();
    std::fs::write(
        p.join("main.js"),
        "import { ok } from 'sdk';\nexport function item(req) { return ok({ id: req.params.id, q: req.query.q, path: req.path }); }\n",
    )
    .unwrap();
    let o = raisfast(
        &[
            "plugin",
            "call",
            "items",
            "item",
            "--route",
            "--path",
            "/items/7?q=a%20b",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        out["body"],
        serde_json::json!({"id": "7", "q": "a b", "path": "/items/7"})
    );
}

#[test]
fn building_a_c_plugin_reads_no_file_outside_it() {
    // `plugin build` runs the author's toolchain with the operator's rights: a
    // source that `#embed`s or `#include`s a file outside the plugin (the
    // operator's keys, /etc) is refused before anything is compiled in.
    let dir = new_c_plugin("leaky");
    let secret = dir.path().join("secret.h");
    std::fs::write(&secret, "#define SECRET \"operator's key\"\n").unwrap();
    for (name, line) in [
        (
            "embed.c",
            "static const unsigned char leak[] = {\n#embed \"/etc/hostname\"\n};\n".to_string(),
        ),
        (
            "absolute.c",
            format!(
                "#include \"{}\"\nconst char *leak = SECRET;\n",
                secret.display()
            ),
        ),
        (
            "relative.c",
            "#include \"../../secret.h\"\nconst char *leak = SECRET;\n".to_string(),
        ),
    ] {
        let file = dir.path().join("p/leaky").join(name);
        std::fs::write(&file, line).unwrap();
        let o = raisfast(&["plugin", "build", "p/leaky"], dir.path());
        let out = text(&o);
        assert!(!o.status.success(), "{name}: {out}");
        assert!(
            out.contains("outside the plugin directory and the SDK"),
            "{name}: {out}"
        );
        std::fs::remove_file(&file).unwrap();
    }
    // Its own files are fine.
    let o = raisfast(&["plugin", "build", "p/leaky"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn top_level_code_blocked_in_wasi_cannot_hang_check_or_list() {
    // A C constructor runs when the component is instantiated; this one sleeps
    // for ten minutes in a WASI wait. The wait ends at the deadline.
    let dir = new_c_plugin("sleepy");
    std::fs::write(
        dir.path().join("p/sleepy/sleep.c"),
        "#include <unistd.h>\n__attribute__((constructor)) static void nap(void) { sleep(600); }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("p/sleepy/manifest.toml"),
        std::fs::read_to_string(dir.path().join("p/sleepy/manifest.toml"))
            .unwrap()
            .replace("[permissions]\n", "[permissions]\ntimeout_ms = 1000\n"),
    )
    .unwrap();
    let o = raisfast(&["plugin", "build", "p/sleepy"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    for args in [
        &["plugin", "check", "p/sleepy"][..],
        &["--plugin-dir", "p", "plugin", "list"][..],
    ] {
        let started = std::time::Instant::now();
        let o = raisfast(args, dir.path());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "{args:?} took {:?}: {}",
            started.elapsed(),
            text(&o)
        );
    }
}

#[test]
fn check_refuses_routes_the_router_cannot_tell_apart_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p/clash");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(
        p.join("manifest.toml"),
        "[plugin]\nid = \"test.clash\"\nname = \"clash\"\nversion = \"0.1.0\"\nruntime = \"js\"\n\n\
         [[routes]]\nmethod = \"GET\"\npath = \"/a/:x\"\nhandler = \"one\"\n\n\
         [[routes]]\nmethod = \"GET\"\npath = \"/a/:y\"\nhandler = \"two\"\n",
    )
    .unwrap();
    std::fs::write(
        p.join("main.js"),
        "export function one() {}\nexport function two() {}\n",
    )
    .unwrap();
    let o = raisfast(&["plugin", "check", "p/clash"], dir.path());
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("route Get /a/:y conflicts with route Get /a/:x"),
        "{out}"
    );
}

/// A new C plugin `p/<name>` (from `plugin new`) in a scratch directory.
fn new_c_plugin(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = raisfast(
        &["--plugin-dir", "p", "plugin", "new", name, "--runtime", "c"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    dir
}
