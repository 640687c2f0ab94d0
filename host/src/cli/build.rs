//! `raisfast plugin build`: builds Rust plugins into their `plugin.wasm`.

use super::GlobalArgs;
use crate::manager::plugin_dirs;
use crate::manifest::{Manifest, RuntimeKind};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Arguments of `plugin build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// A plugin directory, or a directory of plugins (default: the plugin directory).
    path: Option<PathBuf>,
    /// Cargo's target directory (default: cargo's own choice).
    #[arg(long)]
    target_dir: Option<PathBuf>,
    /// Build without optimisations.
    #[arg(long)]
    debug: bool,
}

/// Builds every Rust plugin found; exit code 1 if one fails.
pub fn build(global: &GlobalArgs, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let settings = global.settings()?;
    let root = args.path.unwrap_or(settings.plugin_dir);
    let mut failed = 0;
    let mut built = 0;
    for dir in plugin_dirs(&root)? {
        if !dir.join("Cargo.toml").is_file() {
            continue;
        }
        match build_plugin(&dir, args.target_dir.as_deref(), !args.debug) {
            Ok(out) => {
                built += 1;
                println!("built {}", out.display());
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", dir.display());
            }
        }
    }
    if built + failed == 0 {
        println!(
            "no Rust plugin (Cargo.toml beside manifest.toml) under {}",
            root.display()
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Builds the Rust plugin in `dir` for `wasm32-wasip2` and copies the component
/// to the manifest's entry; returns the entry's path.
pub fn build_plugin(
    dir: &Path,
    target_dir: Option<&Path>,
    release: bool,
) -> anyhow::Result<PathBuf> {
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
    let cargo_toml = dir.join("Cargo.toml");
    let package: toml::Table = toml::from_str(&std::fs::read_to_string(&cargo_toml)?)?;
    let name = package
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .ok_or_else(|| anyhow::anyhow!("{}: no [package] name", cargo_toml.display()))?
        .replace('-', "_");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.arg("build")
        .arg("--target")
        .arg("wasm32-wasip2")
        .arg("--manifest-path")
        .arg(&cargo_toml);
    if release {
        cmd.arg("--release");
    }
    if let Some(t) = target_dir {
        cmd.arg("--target-dir").arg(t);
    }
    let status = cmd.status()?;
    if !status.success() {
        anyhow::bail!(
            "cargo build failed ({status}); is the target installed? `rustup target add wasm32-wasip2`"
        );
    }
    let target = match target_dir {
        Some(t) => t.to_path_buf(),
        None => cargo_target_dir(&cargo, &cargo_toml)?,
    };
    let profile = if release { "release" } else { "debug" };
    let artifact = target
        .join("wasm32-wasip2")
        .join(profile)
        .join(format!("{name}.wasm"));
    let out = dir.join(&entry);
    std::fs::copy(&artifact, &out)
        .map_err(|e| anyhow::anyhow!("copying {} to {}: {e}", artifact.display(), out.display()))?;
    Ok(out)
}

fn entry_from_text(dir: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(dir.join(crate::manifest::MANIFEST_FILE))?;
    let t: toml::Table = toml::from_str(&text)?;
    Ok(t.get("plugin")
        .and_then(|p| p.get("entry"))
        .and_then(|e| e.as_str())
        .unwrap_or(RuntimeKind::Wasm.default_entry())
        .to_string())
}

fn cargo_target_dir(cargo: &str, cargo_toml: &Path) -> anyhow::Result<PathBuf> {
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(cargo_toml)
        .output()?;
    if !out.status.success() {
        anyhow::bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("cargo metadata gave no target_directory"))
}
