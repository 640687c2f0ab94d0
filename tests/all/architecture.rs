//! The host's layers hold (see `docs/architecture.md`): each top-level module
//! of `host/src` uses only the modules of the layers below it, no SQL engine
//! is used outside `storage`, and no file grows past 450 lines.
//!
//! Uses are read from the source: every `crate::name` path (also inside
//! `use crate::{a, b}` groups), in code and in doc links, outside plain `//`
//! comments and `#[cfg(test)]` code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first; a module may use the modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["settings", "plugin_dir", "routes", "telemetry"],
    &["manifest"],
    &["storage", "toolchain"],
    &["host_api"],
    &["runtime"],
    &["manager"],
    &["dispatch", "cron", "watch", "package"],
    &["cms"],
    &["server"],
    &["cli"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without plain comments (doc comments stay: their links are
/// uses too) and without its `#[cfg(test)]` tail.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if l[i..].starts_with("///") || l[i..].starts_with("//!") => l,
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module names a source uses through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e}}`: the names at the group's top level.
            let (mut depth, mut item) = (1, String::new());
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        found.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if depth == 1 {
                    item.push(ch);
                }
            }
            found.insert(ident(&item));
        } else {
            found.insert(ident(rest));
        }
    }
    found.remove("");
    found
}

fn ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn top_module(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unknown = BTreeSet::new();
    for file in &files {
        let module = top_module(file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(mine) = layer_of(&module) else {
            unknown.insert(module);
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&code(&text)) {
            if used == module || used == "self" || used == "super" {
                continue;
            }
            match layer_of(&used) {
                Some(theirs) if theirs < mine => {}
                Some(_) => {
                    let rel = file.strip_prefix(src()).unwrap().display().to_string();
                    wrong.entry(rel).or_default().insert(used);
                }
                None => {
                    unknown.insert(used);
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "modules missing from LAYERS (add each to its layer and to docs/architecture.md): {unknown:?}"
    );
    assert!(
        wrong.is_empty(),
        "files that use a module of their own or a higher layer: {wrong:#?}"
    );
}

#[test]
fn the_layer_check_sees_a_use_that_goes_up() {
    let code = code(
        "use crate::{manifest::Manifest, server};\n// crate::cli in a comment\n/// [`crate::watch`]\nfn f() { crate::cms::x(); }",
    );
    let found = uses(&code);
    assert_eq!(
        found,
        ["cms", "manifest", "server", "watch"]
            .map(String::from)
            .into()
    );
    assert!(layer_of("server") > layer_of("manager"));
}

#[test]
fn no_sql_engine_outside_storage_and_no_file_over_450_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut sql = Vec::new();
    let mut long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let rel = file.strip_prefix(src()).unwrap().display().to_string();
        if top_module(file) != "storage" && code(&text).contains("rusqlite") {
            sql.push(rel.clone());
        }
        let lines = text.lines().count();
        if lines > 450 {
            long.push(format!("{rel}: {lines} lines"));
        }
    }
    assert!(sql.is_empty(), "rusqlite used outside storage: {sql:?}");
    assert!(long.is_empty(), "files over 450 lines: {long:?}");
}
