//! The plugin toolchain: builds a wasm plugin's sources into the component
//! its manifest names (`plugin.wasm`). `raisfast plugin build` runs it, the
//! host's build script lays out the wasm sysroot with [`sysroot`], and the
//! tests build their guest plugins with it.
//!
//! - **Rust** (`Cargo.toml`): `cargo build --target wasm32-wasip2`.
//! - **C** (`*.c`): bindings from wit-bindgen's C generator in `sdk/`, clang-22
//!   against Debian's wasi-libc, then [`component::componentize`].
//! - **Zig** (`main.zig`): `sdk/raisfast.zig`, `zig build-exe` for
//!   `wasm32-wasi`, then [`component::componentize`].
//! - **Go** (`go.mod`): `sdk/raisfast.go`, `go build -buildmode=c-shared` for
//!   `wasip1/wasm`, then [`component::componentize`] with a WASI adapter made
//!   for Go's runtime.
//!
//! And for script plugins, [`typescript`] makes a JS plugin's `.ts` files
//! JavaScript at load, and [`npm`] links the npm packages it imports.

pub mod c;
pub mod component;
pub mod go;
pub mod nesting;
pub mod npm;
mod rust;
pub mod sysroot;
pub mod typescript;
pub mod zig;

use crate::manifest::{Manifest, RuntimeKind};
use component::{Adapter, componentize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `dir` holds the sources of a wasm plugin (not a script plugin).
pub fn is_wasm_source_dir(dir: &Path) -> bool {
    let runtime = plugin_key(dir, "runtime").ok().flatten();
    runtime.as_deref() == Some(RuntimeKind::Wasm.as_str()) && Language::detect(dir).is_ok()
}

/// Builds the wasm plugin in `dir` and writes the component to the manifest's
/// entry; returns the entry's path.
pub fn build_plugin(
    dir: &Path,
    target_dir: Option<&Path>,
    release: bool,
) -> anyhow::Result<PathBuf> {
    // Compilers run in the plugin's directory: every path is made absolute.
    let dir = &dir
        .canonicalize()
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let manifest = Manifest::load(dir).map_or_else(
        |e| {
            // A missing entry is what we are about to build; other errors stop us.
            if e.0
                .iter()
                .all(|x| x.field == "plugin.entry" && x.message.contains("does not exist"))
            {
                Ok(None)
            } else {
                Err(anyhow::anyhow!("{e}"))
            }
        },
        |m| Ok(Some(m)),
    )?;
    let entry = match &manifest {
        Some(m) if m.manifest.runtime() != RuntimeKind::Wasm => {
            anyhow::bail!("runtime is `{}`, not `wasm`", m.manifest.runtime().as_str())
        }
        Some(m) => m.manifest.entry().to_string(),
        None => entry_from_text(dir)?,
    };
    let work = || -> anyhow::Result<PathBuf> {
        let work = match target_dir {
            Some(t) => std::path::absolute(t)?,
            None => dir.join("target"),
        }
        .join("raisfast");
        std::fs::create_dir_all(&work)?;
        Ok(work)
    };
    let component = match Language::detect(dir)? {
        Language::Rust => rust::build(dir, target_dir, release)?,
        Language::C => componentize(&c::build(dir, &work()?, release)?, Adapter::Reactor)?,
        Language::Zig => componentize(&zig::build(dir, &work()?, release)?, Adapter::Reactor)?,
        Language::Go => componentize(&go::build(dir, &work()?, release)?, Adapter::Go)?,
    };
    let out = dir.join(&entry);
    std::fs::write(&out, component)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
    Ok(out)
}

/// The language of a wasm plugin's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// `Cargo.toml`: a Rust crate using `raisfast-sdk`.
    Rust,
    /// `*.c` files: C against the bindings in `sdk/`.
    C,
    /// `main.zig`: Zig with `sdk/raisfast.zig`.
    Zig,
    /// `go.mod`: Go with the package in `sdk/`.
    Go,
}

impl Language {
    /// Which language the sources in `dir` are written in.
    pub fn detect(dir: &Path) -> anyhow::Result<Language> {
        if dir.join("Cargo.toml").is_file() {
            return Ok(Language::Rust);
        }
        if dir.join("go.mod").is_file() {
            return Ok(Language::Go);
        }
        if dir.join("main.zig").is_file() {
            return Ok(Language::Zig);
        }
        if !c::sources(dir)?.is_empty() {
            return Ok(Language::C);
        }
        anyhow::bail!(
            "no plugin sources to build: expected Cargo.toml (Rust), go.mod (Go), main.zig (Zig) or *.c files (C) beside manifest.toml"
        )
    }
}

/// Runs a build tool; its output goes to the terminal, a failure names it.
fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .map_err(|e| anyhow::anyhow!("running {what}: {e}"))?;
    if !status.success() {
        anyhow::bail!("{what} failed ({status})");
    }
    Ok(())
}

fn entry_from_text(dir: &Path) -> anyhow::Result<String> {
    Ok(plugin_key(dir, "entry")?.unwrap_or_else(|| RuntimeKind::Wasm.default_entry().to_string()))
}

/// `[plugin] key` of the manifest in `dir`, read as plain TOML (the manifest
/// may not validate yet: its entry is what we are building).
fn plugin_key(dir: &Path, key: &str) -> anyhow::Result<Option<String>> {
    let text = std::fs::read_to_string(dir.join(crate::manifest::MANIFEST_FILE))?;
    let t: toml::Table = toml::from_str(&text)?;
    Ok(t.get("plugin")
        .and_then(|p| p.get(key))
        .and_then(|e| e.as_str())
        .map(str::to_string))
}
