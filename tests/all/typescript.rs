//! TypeScript plugins: a `.ts` entry and `.ts` imports load directly (types
//! stripped in-process at load, enums and parameter properties transformed),
//! through `plugin call` and the server; errors name `.ts` lines.

use crate::cli::{raisfast, text};
use crate::server_support::{Server, plugin};
use crate::support::root;
use serde_json::{Value, json};

/// The fixture `tests/plugins/typescript` copied under `root/plugins/ts`.
fn install(root_dir: &std::path::Path) -> std::path::PathBuf {
    let src = root().join("tests/plugins/typescript");
    let read = |p: &str| std::fs::read_to_string(src.join(p)).unwrap();
    plugin(
        root_dir,
        "ts",
        &read("manifest.toml"),
        &[
            ("main.ts", &read("main.ts")),
            ("lib/shapes.ts", &read("lib/shapes.ts")),
        ],
    )
}

const EXPECTED: fn() -> Value = || json!({"total": 13 + 9 + 16, "totals": {"circle": 13, "square": 25}, "unit": "cm", "level": "High", "square": "big:4"});

#[test]
fn a_typescript_plugin_runs_through_plugin_call_and_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = install(tmp.path());
    let o = raisfast(
        &[
            "plugin",
            "call",
            dir.to_str().unwrap(),
            "shapes",
            "--route",
            "--path",
            "/shapes",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["body"], EXPECTED(), "{}", text(&o));
    let o = raisfast(
        &[
            "plugin",
            "call",
            dir.to_str().unwrap(),
            "on_content_created",
            "--payload",
            r#"{"id": "c9"}"#,
        ],
        tmp.path(),
    );
    assert!(
        o.status.success() && text(&o).contains("created c9"),
        "{}",
        text(&o)
    );

    let server = Server::start(tmp.path());
    let (status, body) = server.call("GET", "/api/v1/plugins/test.typescript/shapes", None, None);
    assert_eq!((status, body), (200, EXPECTED()));
}

#[test]
fn an_error_names_the_typescript_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = install(tmp.path());
    let main = std::fs::read_to_string(dir.join("main.ts")).unwrap();
    let line = main
        .lines()
        .position(|l| l.contains("throw new Error('boom"))
        .unwrap()
        + 1;
    let o = raisfast(
        &["plugin", "call", dir.to_str().unwrap(), "boom"],
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains(&format!("main.ts:{line}:")),
        "expected main.ts:{line}: {}",
        text(&o)
    );
}

#[test]
fn check_reports_a_typescript_syntax_error_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = install(tmp.path());
    std::fs::write(
        dir.join("lib/broken.ts"),
        "export const ok = 1;\nexport const bad: = 2;\n",
    )
    .unwrap();
    let o = raisfast(&["plugin", "check", dir.to_str().unwrap()], tmp.path());
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("lib/broken.ts:2:"), "{}", text(&o));
}

#[test]
fn plugin_new_writes_a_typescript_plugin_that_checks_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("typed", &["--runtime", "ts"][..]),
        ("flagged", &["--runtime", "js", "--typescript"][..]),
    ] {
        let mut all = vec!["--plugin-dir", "p", "plugin", "new", name];
        all.extend_from_slice(args);
        let o = raisfast(&all, tmp.path());
        assert!(o.status.success(), "{}", text(&o));
        let dir = tmp.path().join("p").join(name);
        assert!(dir.join("main.ts").is_file() && dir.join("tsconfig.json").is_file());
        let o = raisfast(&["plugin", "check", dir.to_str().unwrap()], tmp.path());
        assert!(o.status.success(), "{}", text(&o));
        let o = raisfast(
            &[
                "plugin",
                "call",
                dir.to_str().unwrap(),
                "on_content_created",
                "--payload",
                r#"{"id": 7}"#,
            ],
            tmp.path(),
        );
        assert!(
            o.status.success() && text(&o).contains("new content: 7"),
            "{}",
            text(&o)
        );
    }
    let o = raisfast(
        &[
            "--plugin-dir",
            "p",
            "plugin",
            "new",
            "wrong",
            "--runtime",
            "lua",
            "--typescript",
        ],
        tmp.path(),
    );
    assert!(
        !o.status.success() && text(&o).contains("--typescript"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_source_nested_a_million_levels_is_refused_and_the_server_lives_on() {
    // The host parses TypeScript and the files a plugin imports from npm
    // packages; a parser recursing a million levels would overflow the
    // server's stack. Such a file is refused at load with its line.
    let h = crate::support::Harness::new();
    let tower = format!(
        "export const x = {}1{};\n",
        "(".repeat(1_000_000),
        ")".repeat(1_000_000)
    );
    h.install_files(
        "tower-ts",
        &crate::support::script_manifest("tower.ts", "js", "entry = \"main.ts\"\n"),
        &[("main.ts", &format!("// a tower\n{tower}"))],
    );
    h.install_files(
        "tower-pkg",
        &crate::support::script_manifest("tower.pkg", "js", ""),
        &[
            (
                "main.js",
                "import t from 'tower';\nexport function f() { return t; }\n",
            ),
            ("package.json", "{}"),
            (
                "node_modules/tower/index.js",
                &format!(
                    "\n\n{}",
                    tower.replace("export const x =", "module.exports =")
                ),
            ),
        ],
    );
    h.install_files(
        "fine",
        &crate::support::script_manifest("fine.js", "js", ""),
        &[("main.js", "export function f() { return 'still here'; }\n")],
    );
    let report = h.manager.load_all();
    let why = |id: &str| {
        report
            .failed
            .iter()
            .find(|(p, _)| p == id)
            .map(|(_, w)| w.clone())
            .unwrap_or_else(|| panic!("{id} loaded"))
    };
    assert!(
        why("tower.ts").contains("main.ts:2:1: nested more than"),
        "{}",
        why("tower.ts")
    );
    assert!(
        why("tower.pkg").contains("node_modules/tower/index.js")
            && why("tower.pkg").contains("line 3"),
        "{}",
        why("tower.pkg")
    );
    assert_eq!(
        h.hook("fine.js", "f", json!({})).unwrap(),
        Some(json!("still here"))
    );
}
