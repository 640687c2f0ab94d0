//! The editor typings shipped by `plugin new` (sdk-types/): they declare every
//! SDK function, and TypeScript accepts the generated JS plugin and rejects a
//! wrong call.

use crate::support::root;
use std::process::Command;

/// The SDK functions of the engines' one table (guest-engines/common/src/sdk/table.rs).
fn sdk_functions() -> Vec<String> {
    let src =
        std::fs::read_to_string(root().join("guest-engines/common/src/sdk/table.rs")).unwrap();
    let table = src.split("pub const FUNCTIONS").nth(1).unwrap();
    let table = table.split("\n];").next().unwrap();
    table
        .lines()
        .filter_map(|l| l.trim().strip_prefix("name: \""))
        .map(|l| l.split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn the_typings_declare_every_sdk_function() {
    let names = sdk_functions();
    assert!(names.len() >= 30, "{names:?}");
    let dts = std::fs::read_to_string(root().join("sdk-types/sdk.d.ts")).unwrap();
    let lua = std::fs::read_to_string(root().join("sdk-types/sdk.lua")).unwrap();
    for n in &names {
        assert!(
            dts.contains(&format!("export function {n}("))
                || dts.contains(&format!("export function {n}<")),
            "sdk.d.ts lacks {n}"
        );
        assert!(
            lua.contains(&format!("function sdk.{n}(")),
            "sdk.lua lacks {n}"
        );
    }
}

#[test]
fn typescript_checks_a_new_js_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_raisfast"))
        .args([
            "--plugin-dir",
            "p",
            "plugin",
            "new",
            "typed",
            "--runtime",
            "js",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = tmp.path().join("p/typed");
    assert!(dir.join("sdk.d.ts").is_file() && dir.join("jsconfig.json").is_file());
    // TypeScript from the npm registry, installed once per target directory.
    let ts = root().join("target/npm-typescript");
    let tsc = ts.join("node_modules/.bin/tsc");
    if !tsc.is_file() {
        std::fs::create_dir_all(&ts).unwrap();
        let st = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&ts)
            .arg("typescript@5")
            .status()
            .expect("npm (Node.js) is needed to type-check the SDK declarations");
        assert!(st.success());
    }
    let check = |d: &std::path::Path| {
        Command::new(&tsc)
            .args(["-p", "jsconfig.json"])
            .current_dir(d)
            .output()
            .unwrap()
    };
    let o = check(&dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // The web APIs are declared, and nothing of the DOM the engine lacks.
    std::fs::write(
        dir.join("web.js"),
        "// @ts-check
         export async function f() {
           const u = new URL('/a?b=1', 'https://example.com');
           const r = await fetch(u, { method: 'POST', body: new URLSearchParams({ q: u.searchParams.get('b') ?? '' }) });
           const bytes = new TextEncoder().encode(await r.text());
           const hash = await crypto.subtle.digest('SHA-256', bytes);
           const c = new AbortController();
           setTimeout(() => c.abort(), 10);
           console.log(crypto.randomUUID(), structuredClone({ n: hash.byteLength }), c.signal.aborted);
         }
",
    )
    .unwrap();
    let o = check(&dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    std::fs::write(
        dir.join("dom.js"),
        "// @ts-check
export const t = document.title;
",
    )
    .unwrap();
    let o = check(&dir);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Cannot find name 'document'"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    std::fs::remove_file(dir.join("dom.js")).unwrap();
    // The TypeScript template type-checks under `strict` as written.
    let out = Command::new(env!("CARGO_BIN_EXE_raisfast"))
        .args([
            "--plugin-dir",
            "p",
            "plugin",
            "new",
            "typed-ts",
            "--runtime",
            "ts",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let o = Command::new(&tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(tmp.path().join("p/typed-ts"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let main = dir.join("main.js");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        format!("{text}\nimport {{ dbQuery }} from 'sdk';\ndbQuery(42);\n"),
    )
    .unwrap();
    let o = check(&dir);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("not assignable to parameter of type 'string'")
    );
}
