//! `raisfast plugin build`: builds every wasm plugin's sources under a
//! directory with the [`crate::toolchain`].

use super::GlobalArgs;
use crate::manager::plugin_dirs;
use crate::toolchain::{build_plugin, is_wasm_source_dir};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `plugin build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// A plugin directory, or a directory of plugins (default: the plugin directory).
    path: Option<PathBuf>,
    /// Build directory: cargo's target directory for Rust (default: cargo's
    /// choice); intermediate files under `raisfast/` for C and Zig (default:
    /// `target/` in the plugin).
    #[arg(long)]
    target_dir: Option<PathBuf>,
    /// Build without optimisations.
    #[arg(long)]
    debug: bool,
}

/// Builds every wasm plugin found; exit code 1 if one fails.
pub(super) fn build(global: &GlobalArgs, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let settings = global.settings()?;
    let root = args.path.unwrap_or(settings.plugin_dir);
    let mut failed = 0;
    let mut built = 0;
    for dir in plugin_dirs(&root)? {
        if !is_wasm_source_dir(&dir) {
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
            "no wasm plugin sources (Cargo.toml, go.mod, main.zig or *.c beside manifest.toml) under {}",
            root.display()
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
