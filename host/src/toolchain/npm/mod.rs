//! npm packages for JS plugins: `import dayjs from 'dayjs'` works when the
//! author has run `npm install` in the plugin directory. At load, the host
//! follows the plugin's imports into `node_modules` with Node's resolution
//! (`oxc_resolver`: `exports` conditions, `module`/`main`, directory
//! indexes), inside the plugin directory only, and hands the engine the files
//! reached and a table of what each specifier of each file resolved to. No
//! Node is needed, and nothing is bundled into one file.
//!
//! CommonJS files become modules the way bundlers treat them: each one
//! registers a factory (run on its first `require`, as in Node, cycles
//! included) and ES modules importing it get a facade whose default export
//! is `module.exports` (or its `default` when it was compiled from ESM,
//! `__esModule`) and whose named exports are the names found assigned to
//! `exports` (as `cjs-module-lexer` finds them). JSON files are modules whose
//! default export is their value. Node's built-in modules (`fs`, `node:path`)
//! are not there: an `import` of one fails the load naming the file, a
//! `require` of one throws when it runs.

mod commonjs;
mod scan;

use commonjs::{commonjs_module, facade};
use oxc_resolver::{ResolveOptions, Resolver, Restriction};
use scan::{Requests, scan};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// The table of resolved specifiers the engine reads: file -> specifier -> file.
pub const RESOLUTIONS: &str = ".raisfast/resolve.json";
/// The module that runs CommonJS factories.
pub const CJS_RUNTIME: &str = ".raisfast/cjs.js";
/// The suffix of the ES facade of a CommonJS file.
pub(super) const FACADE: &str = "#esm";

/// Why a plugin's packages could not be linked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// An `import` of a module Node has built in.
    #[error("{file}: `{specifier}` is a Node built-in module, which plugins do not have")]
    Builtin {
        /// The importing file.
        file: String,
        /// What it imports.
        specifier: String,
    },
    /// An `import` that resolves to nothing.
    #[error("{file}: cannot import `{specifier}`: {message} (is it installed in node_modules?)")]
    Unresolved {
        /// The importing file.
        file: String,
        /// What it imports.
        specifier: String,
        /// The resolver's reason.
        message: String,
    },
    /// A file that cannot be read or parsed.
    #[error("{file}: {message}")]
    Unreadable {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// One package file is over the size limit of a source file.
    #[error("{file} is {len} bytes; a source file may have at most {limit}")]
    FileTooLarge {
        /// The file.
        file: String,
        /// Its size.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// Everything reached is over the size limit.
    #[error("the plugin's sources and the package files they import exceed {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
}

/// How a file is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Esm,
    CommonJs,
    Json,
}

fn is_bare(specifier: &str) -> bool {
    !(specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier.starts_with('/')
        || specifier == "."
        || specifier == ".."
        || specifier == "sdk")
}

/// The CommonJS runtime: factories by file, run once on their first `require`.
fn cjs_runtime() -> &'static str {
    include_str!("cjs_runtime.js")
}

/// Links the plugin's imports of npm packages: adds to `files` what they
/// reach in `node_modules` (CommonJS and JSON made modules) and the table
/// of resolved specifiers. `files` holds the plugin's own JavaScript.
pub fn link(
    dir: &Path,
    files: &mut Vec<(String, Vec<u8>)>,
    max_file: u64,
    limit: u64,
) -> Result<(), PackageError> {
    let root = dir.canonicalize().map_err(|e| PackageError::Unreadable {
        file: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let options = |conditions: &[&str]| ResolveOptions {
        condition_names: conditions.iter().map(|c| c.to_string()).collect(),
        extensions: [".js", ".mjs", ".cjs", ".json", ".ts", ".mts"]
            .map(String::from)
            .to_vec(),
        main_fields: vec!["module".into(), "main".into()],
        restrictions: vec![Restriction::Fn(std::sync::Arc::new({
            let root = root.clone();
            move |p: &Path| p.starts_with(&root)
        }))],
        symlinks: true,
        builtin_modules: true,
        ..ResolveOptions::default()
    };
    // A runtime with web APIs and no Node built-ins: a worker's conditions,
    // as bundlers for Workers set them (`worker`, then `browser`).
    let esm = Resolver::new(options(&[
        "worker", "browser", "import", "module", "default",
    ]));
    let cjs = Resolver::new(options(&["worker", "browser", "require", "default"]));
    let mut total: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let mut table: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut formats: BTreeMap<String, Format> = BTreeMap::new();
    let mut queue: VecDeque<(String, String)> = files
        .iter()
        .filter(|(p, _)| !p.ends_with(".json"))
        .map(|(p, b)| (p.clone(), String::from_utf8_lossy(b).into_owned()))
        .collect();
    let own: BTreeSet<String> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut added: Vec<(String, Vec<u8>)> = Vec::new();
    let mut commonjs = Vec::new();
    while let Some((file, code)) = queue.pop_front() {
        let in_packages = !own.contains(&file);
        let forced = match () {
            _ if file.ends_with(".cjs") => Some(Format::CommonJs),
            _ if file.ends_with(".mjs") || !in_packages => Some(Format::Esm),
            _ => None,
        };
        let (format, requests) = if file.ends_with(".json") {
            (Format::Json, Requests::default())
        } else {
            scan(&file, &code, forced)?
        };
        formats.insert(file.clone(), format);
        let from = root.join(&file);
        let from_dir = from.parent().unwrap_or(&root).to_path_buf();
        let mut deps = BTreeMap::new();
        let wanted = requests
            .imports
            .iter()
            .map(|s| (s, true))
            .chain(requests.requires.iter().map(|s| (s, false)));
        for (specifier, is_import) in wanted {
            if !in_packages && !is_bare(specifier) {
                continue; // the engine resolves the plugin's own relative imports
            }
            let resolver = if is_import { &esm } else { &cjs };
            let target = match resolver.resolve(&from_dir, specifier) {
                Ok(r) => r.full_path(),
                Err(oxc_resolver::ResolveError::Builtin { .. }) => {
                    if is_import && format == Format::Esm {
                        return Err(PackageError::Builtin {
                            file,
                            specifier: specifier.clone(),
                        });
                    }
                    continue; // a `require` of it throws when it runs
                }
                Err(e) if is_import && format == Format::Esm => {
                    return Err(PackageError::Unresolved {
                        file,
                        specifier: specifier.clone(),
                        message: e.to_string(),
                    });
                }
                Err(_) => continue, // a `require` of it throws when it runs
            };
            let rel = relative(&root, &target).ok_or_else(|| PackageError::Unresolved {
                file: file.clone(),
                specifier: specifier.clone(),
                message: format!("{} is outside the plugin's directory", target.display()),
            })?;
            if !own.contains(&rel)
                && !formats.contains_key(&rel)
                && !added.iter().any(|(p, _)| *p == rel)
            {
                let bytes = std::fs::read(&target).map_err(|e| PackageError::Unreadable {
                    file: rel.clone(),
                    message: e.to_string(),
                })?;
                if bytes.len() as u64 > max_file {
                    return Err(PackageError::FileTooLarge {
                        file: rel,
                        len: bytes.len() as u64,
                        limit: max_file,
                    });
                }
                total += bytes.len() as u64;
                if total > limit {
                    return Err(PackageError::TooLarge { limit });
                }
                let text = String::from_utf8(bytes).map_err(|_| PackageError::Unreadable {
                    file: rel.clone(),
                    message: "not UTF-8 text".into(),
                })?;
                added.push((rel.clone(), Vec::new()));
                queue.push_back((rel.clone(), text));
            }
            deps.insert(specifier.clone(), (rel, is_import));
        }
        let entries: BTreeMap<String, String> = deps
            .iter()
            .map(|(spec, (rel, _))| (spec.clone(), rel.clone()))
            .collect();
        let module = match format {
            Format::Esm if in_packages => Some(code),
            Format::Esm => None,
            Format::Json => Some(format!("export default {code};\n")),
            Format::CommonJs => {
                // Made a module once every format is known (below).
                added.push((
                    format!("{file}{FACADE}"),
                    facade(&file, &requests).into_bytes(),
                ));
                commonjs.push((file.clone(), code, entries.clone(), requests));
                None
            }
        };
        if let Some(m) = module {
            set(&mut added, &file, m.into_bytes());
        }
        if !entries.is_empty() {
            table.insert(file, entries);
        }
    }
    let uses_cjs = !commonjs.is_empty();
    for (file, code, deps, requests) in commonjs {
        let m = commonjs_module(&file, &code, &deps, &requests, &formats);
        set(&mut added, &file, m.into_bytes());
    }
    // An ES module importing a CommonJS file gets its facade.
    for (file, entries) in table.iter_mut() {
        let importer_is_cjs = formats.get(file) == Some(&Format::CommonJs);
        for target in entries.values_mut() {
            if !importer_is_cjs && formats.get(target.as_str()) == Some(&Format::CommonJs) {
                target.push_str(FACADE);
            }
        }
    }
    if uses_cjs {
        added.push((CJS_RUNTIME.into(), cjs_runtime().as_bytes().to_vec()));
    }
    if !table.is_empty() {
        let json = serde_json::to_vec(&table).expect("a table of strings");
        added.push((RESOLUTIONS.into(), json));
    }
    files.extend(added);
    Ok(())
}

/// Sets the contents of `file` among `added`.
fn set(added: &mut Vec<(String, Vec<u8>)>, file: &str, contents: Vec<u8>) {
    match added.iter_mut().find(|(p, _)| p == file) {
        Some(slot) => slot.1 = contents,
        None => added.push((file.to_string(), contents)),
    }
}

/// `target` relative to `root`, `/`-separated, if it is inside.
fn relative(root: &Path, target: &Path) -> Option<String> {
    let rel: PathBuf = target.strip_prefix(root).ok()?.to_path_buf();
    Some(rel.to_string_lossy().replace('\\', "/"))
}
