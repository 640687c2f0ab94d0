//! Rust plugins: `cargo build --target wasm32-wasip2`, which makes the
//! component itself.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the crate in `dir`; returns the component's bytes.
pub fn build(dir: &Path, target_dir: Option<&Path>, release: bool) -> anyhow::Result<Vec<u8>> {
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
    std::fs::read(&artifact).map_err(|e| anyhow::anyhow!("reading {}: {e}", artifact.display()))
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
