//! Every code sample in `docs/` is run or compiled, so the docs cannot drift:
//! manifests are parsed, settings are parsed, JSON is parsed, `raisfast`
//! command lines are parsed by the real CLI, and Rust samples are compiled as
//! doctests of `raisfast-sdk` (which includes each page that has them).

use crate::support::root;
use clap::Parser;
use raisfast::manifest::Manifest;
use raisfast::settings::Settings;
use std::path::{Path, PathBuf};

/// A fenced code block: its info string, first line number and text.
pub struct Block {
    pub info: String,
    pub line: usize,
    pub text: String,
}

pub fn blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in md.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut current, fence) {
            (None, true) => {
                current = Some(Block {
                    info: line.trim_start().trim_start_matches('`').trim().to_string(),
                    line: i + 1,
                    text: String::new(),
                })
            }
            (Some(_), true) => out.push(current.take().unwrap()),
            (Some(b), false) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            (None, false) => {}
        }
    }
    assert!(current.is_none(), "unclosed code block");
    out
}

fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.push(root().join("README.md"));
    pages.sort();
    pages
}

/// Splits a shell line into words (quotes respected, comments dropped).
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, '#') if !started && cur.is_empty() => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, c) => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    out
}

fn check_block(page: &Path, b: &Block) -> Result<(), String> {
    let name = Path::new("docs-sample.toml");
    match b.info.as_str() {
        "toml" => Manifest::parse(name, &b.text, None)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "toml settings" => toml::from_str::<Settings>(&b.text)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "toml cargo" => toml::from_str::<toml::Table>(&b.text)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "json" => serde_json::from_str::<serde_json::Value>(&b.text)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "sh" => {
            for line in b.text.lines() {
                let mut w = words(line);
                // Leading `NAME=value` words set the environment.
                while w
                    .first()
                    .is_some_and(|x| x.contains('=') && !x.starts_with('-'))
                {
                    w.remove(0);
                }
                match w.first().map(String::as_str) {
                    None => {}
                    Some("raisfast") => {
                        raisfast::cli::Cli::try_parse_from(&w)
                            .map_err(|e| format!("`{line}`: {e}"))?;
                    }
                    Some(
                        "cargo" | "rustup" | "npm" | "cd" | "scripts/start.sh" | "scripts/test.sh",
                    ) => {}
                    Some(other) => return Err(format!("unknown command `{other}` in `{line}`")),
                }
            }
            Ok(())
        }
        "rust" | "rust,no_run" => {
            let rel = page.strip_prefix(root()).unwrap().display().to_string();
            let sdk = std::fs::read_to_string(root().join("sdk-rust/src/lib.rs")).unwrap();
            if sdk.contains(&format!("include_str!(\"../../{rel}\")")) {
                Ok(())
            } else {
                Err(format!(
                    "{rel} has Rust samples: include it as a doctest in sdk-rust/src/lib.rs"
                ))
            }
        }
        "js" | "lua" | "rhai" => Ok(()), // loaded in their engines by `script_samples_load`
        // Run by `typescript` and `getting_started`: a TypeScript sample must be
        // the `plugin new` template or part of the TypeScript test plugin.
        "ts" => {
            let sources = [
                "host/src/cli/new.rs",
                "tests/plugins/typescript/main.ts",
                "tests/plugins/typescript/lib/shapes.ts",
            ]
            .map(|f| std::fs::read_to_string(root().join(f)).unwrap());
            if sources.iter().any(|s| s.contains(b.text.trim_end())) {
                Ok(())
            } else {
                Err("a TypeScript sample that no test runs: make it part of tests/plugins/typescript".into())
            }
        }
        // Built and run by `languages` and `cli`: a sample must be part of an
        // example plugin or a `plugin new` template, word for word.
        "c" | "zig" | "go" => compiled_sample(&b.text),
        "text" | "wit" => Ok(()),
        other => Err(format!(
            "code block with unknown language `{other}`; tag it"
        )),
    }
}

/// Files the tests build from source, in C, Zig and Go.
fn compiled_sources() -> Vec<String> {
    let mut out = Vec::new();
    for dir in [
        "extensions/plugins/hello-c",
        "extensions/plugins/hello-zig",
        "extensions/plugins/hello-go",
        "tests/plugins/conformance-go",
        "tests/plugins/conformance-zig",
        "host/src/cli/templates",
    ] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension()
                .is_some_and(|x| x == "c" || x == "zig" || x == "go")
            {
                out.push(std::fs::read_to_string(p).unwrap());
            }
        }
    }
    out
}

fn compiled_sample(text: &str) -> Result<(), String> {
    if compiled_sources().iter().any(|f| f.contains(text)) {
        Ok(())
    } else {
        Err("this sample is not part of an example plugin or template that the tests build".into())
    }
}

#[test]
fn every_code_sample_in_the_docs_runs() {
    let mut failures = Vec::new();
    let mut count = 0;
    for page in pages() {
        let md = std::fs::read_to_string(&page).unwrap();
        for b in blocks(&md) {
            count += 1;
            if let Err(e) = check_block(&page, &b) {
                failures.push(format!("{}:{}: {e}", page.display(), b.line));
            }
        }
    }
    assert!(count > 10, "only {count} samples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_shell_splitter_splits_like_a_shell() {
    assert_eq!(
        words(r#"raisfast plugin call x --payload '{"id": 1}'  # try it"#),
        [
            "raisfast",
            "plugin",
            "call",
            "x",
            "--payload",
            r#"{"id": 1}"#
        ]
    );
}

#[test]
fn script_samples_load_in_their_engines() {
    let h = crate::support::Harness::new();
    let mut count = 0;
    for page in pages() {
        let md = std::fs::read_to_string(&page).unwrap();
        for b in blocks(&md) {
            let (runtime, entry) = match b.info.as_str() {
                "js" => ("js", "main.js"),
                "lua" => ("lua", "init.lua"),
                "rhai" => ("rhai", "init.rhai"),
                _ => continue,
            };
            count += 1;
            let stem = page
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .replace(['.', '_'], "-")
                .to_lowercase();
            let id = format!("docs.s{count}-{stem}");
            let manifest = crate::support::script_manifest(&id, runtime, "");
            h.install_files(
                &format!("{stem}-{}", b.line),
                &manifest,
                &[(entry, &b.text)],
            );
        }
    }
    assert!(count >= 9, "only {count} script samples");
    let r = h.manager.load_all();
    assert!(
        r.failed.is_empty(),
        "script samples that do not load: {:#?}",
        r.failed
    );
}

#[test]
fn every_test_docs_security_names_exists() {
    let md = std::fs::read_to_string(root().join("docs/security.md")).unwrap();
    let mut named = 0;
    let mut missing = Vec::new();
    for cell in md.split('`').skip(1).step_by(2) {
        let Some((module, name)) = cell.split_once("::") else {
            continue;
        };
        let file = root().join("tests/all").join(format!("{module}.rs"));
        let is_test_name = name.contains('_')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !is_test_name || !file.is_file() {
            continue;
        }
        named += 1;
        let source = std::fs::read_to_string(&file).unwrap();
        if !source.contains(&format!("fn {name}(")) {
            missing.push(format!("{module}::{name}"));
        }
    }
    assert!(named >= 20, "only {named} tests named in docs/security.md");
    assert!(
        missing.is_empty(),
        "docs/security.md names tests that do not exist: {missing:?}"
    );
}
