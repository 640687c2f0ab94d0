//! npm packages in JS plugins: real packages installed with `npm install`
//! (ESM-only and CommonJS) give the same results in the engine as in the
//! Node on this machine; CommonJS files behave as bundlers make them
//! (named exports, JSON, cycles, directory-less requires); export
//! conditions are a worker's; nothing outside the plugin is reachable.

use crate::support::{Harness, root, script_manifest};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// The packages of `tests/plugins/npm-js/package.json`, installed once per
/// target directory with the npm on this machine.
fn installed() -> std::path::PathBuf {
    let dir = root().join("target/npm-plugin-packages");
    let spec = std::fs::read_to_string(root().join("tests/plugins/npm-js/package.json")).unwrap();
    let stamp = dir.join("package.json");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(spec.as_str())
        || !dir.join("node_modules").is_dir()
    {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&stamp, &spec).unwrap();
        let st = Command::new("npm")
            .args([
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
            ])
            .current_dir(&dir)
            .status()
            .expect("npm (Node.js) installs the test's packages");
        assert!(st.success(), "npm install failed");
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else if ft.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Packages the test writes itself: CommonJS shapes and export conditions.
fn local_packages(modules: &Path) {
    write(
        &modules.join("local-cjs"),
        &[
            (
                "package.json",
                r#"{"name": "local-cjs", "version": "1.2.3", "main": "index.js"}"#,
            ),
            (
                "index.js",
                "'use strict';\nconst helper = require('./lib/helper');\nconst data = require('./config.json');\n\
                 exports.add = (a, b) => a + b;\nmodule.exports.mul = (a, b) => a * b;\n\
                 Object.defineProperty(exports, 'RATE', { enumerable: true, value: 2.5 });\n\
                 exports.version = data.version;\nexports.nested = { deep: helper.answer };\n\
                 exports.loop = () => require('./lib/cycle').fromIndex();\n",
            ),
            ("lib/helper.js", "module.exports = { answer: 42 };\n"),
            (
                "lib/cycle.js",
                "const index = require('../index');\nexports.fromIndex = () => typeof index.add;\n",
            ),
            ("config.json", r#"{"name": "local", "version": "1.2.3"}"#),
        ],
    );
    write(
        &modules.join("local-conditions"),
        &[
            (
                "package.json",
                r#"{"name": "local-conditions", "type": "module", "exports": {".": {"node": "./node.js", "worker": "./worker.js", "default": "./default.js"}}}"#,
            ),
            ("node.js", "export default () => 'node';\n"),
            ("worker.js", "export default () => 'worker';\n"),
            ("default.js", "export default () => 'default';\n"),
        ],
    );
}

/// A plugin directory with `tests/plugins/npm-js` and its packages.
fn plugin(h: &Harness) -> std::path::PathBuf {
    let dir = h.plugin_dir().join("npm-js");
    copy_tree(&root().join("tests/plugins/npm-js"), &dir);
    copy_tree(&installed().join("node_modules"), &dir.join("node_modules"));
    local_packages(&dir.join("node_modules"));
    dir
}

#[test]
fn real_npm_packages_give_the_same_results_as_node() {
    let h = Harness::new();
    let dir = plugin(&h);
    let node = Command::new("node")
        .arg("compare.mjs")
        .current_dir(&dir)
        .output()
        .expect("node runs the same function");
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    let mut expected: Value = serde_json::from_slice(&node.stdout).unwrap();
    assert_eq!(expected["conditions"], "node");
    expected["conditions"] = json!("worker"); // a worker's conditions, not Node's
    h.load_ok();
    let out = h
        .manager
        .call_hook(
            "test.npm",
            "run",
            &json!({"hook": "run", "body": {}}).to_string(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let got: Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
    assert_eq!(got, expected);
    assert_eq!(got["cjs"], json!([5, 20, 2.5, "1.2.3", 42, "function"]));
}

#[test]
fn node_built_ins_and_paths_outside_the_plugin_are_refused() {
    let h = Harness::new();
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        &[
            ("package.json", r#"{"name": "evil", "main": "index.js"}"#),
            ("index.js", "exports.x = 1;\n"),
        ],
    );
    let manifest = |id: &str| script_manifest(id, "js", "");
    let make = |name: &str, main: &str, extra: &dyn Fn(&Path)| {
        let dir = h.plugin_dir().join(name);
        write(
            &dir,
            &[
                ("manifest.toml", &manifest(&format!("npm.{name}"))),
                ("main.js", main),
                ("package.json", "{}"),
            ],
        );
        std::fs::create_dir_all(dir.join("node_modules")).unwrap();
        extra(&dir);
    };
    make(
        "builtin",
        "import fs from 'node:fs';\nexport function f() { return 1; }\n",
        &|_| {},
    );
    make(
        "escape",
        "import { x } from 'evil';\nexport function f() { return x; }\n",
        &|d| {
            std::os::unix::fs::symlink(outside.path(), d.join("node_modules/evil")).unwrap();
        },
    );
    make(
        "missing",
        "import left from 'left-pad';\nexport function f() { return left; }\n",
        &|_| {},
    );
    make(
        "lazy",
        "import lib from 'uses-fs';\nexport function f() { try { lib.read(); return 'no error'; } catch (e) { return e.message; } }\n",
        &|d| {
            write(
                &d.join("node_modules/uses-fs"),
                &[(
                    "index.js",
                    "exports.read = () => require('fs').readFileSync('/etc/passwd');\n",
                )],
            );
        },
    );
    let report = h.manager.load_all();
    let failed = |id: &str| {
        report
            .failed
            .iter()
            .find(|(p, _)| p == id)
            .map(|(_, why)| why.clone())
            .unwrap_or_else(|| panic!("{id} loaded: {:?}", report.failed))
    };
    let why = failed("npm.builtin");
    assert!(
        why.contains("main.js") && why.contains("node:fs") && why.contains("built-in"),
        "{why}"
    );
    let why = failed("npm.escape");
    assert!(why.contains("main.js") && why.contains("evil"), "{why}");
    let why = failed("npm.missing");
    assert!(why.contains("main.js") && why.contains("left-pad"), "{why}");
    // A `require` of a built-in only fails when it runs.
    let out = h
        .manager
        .call_hook(
            "npm.lazy",
            "f",
            &json!({"hook": "f", "body": {}}).to_string(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let msg: Value = serde_json::from_str(out.value.as_deref().unwrap()).unwrap();
    assert!(
        msg.as_str().unwrap().contains("Cannot find module 'fs'"),
        "{msg}"
    );
}
