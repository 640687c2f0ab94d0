//! `raisfast plugin pack` and `raisfast plugin install`: one file to hand
//! over, installed only once the operator has seen what it may do.

use super::GlobalArgs;
use crate::package::{self, Package, Plan};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `plugin pack`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// The plugin directory.
    dir: PathBuf,
    /// The package to write (default: `<id>-<version>.rfp` in the current directory).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Arguments of `plugin install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The package (`.rfp`).
    file: PathBuf,
    /// Approve without asking (what the plugin may do is still printed).
    #[arg(long)]
    yes: bool,
    /// Install an older version over a newer one.
    #[arg(long)]
    force: bool,
}

/// Packs a plugin directory.
pub(super) fn pack(args: PackArgs) -> anyhow::Result<ExitCode> {
    let tmp = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(".raisfast-pack.tmp"));
    let info = package::pack(&args.dir, &tmp).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    let out = match args.output {
        Some(o) => o,
        None => {
            let name = format!("{}-{}.{}", info.id, info.version, package::EXTENSION);
            std::fs::rename(&tmp, &name)?;
            PathBuf::from(name)
        }
    };
    println!(
        "packed {} {} ({} files, {} bytes) into {}",
        info.id,
        info.version,
        info.files,
        info.bytes,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints what the plan would change and what the plugin may do.
pub fn print_plan(plan: &Plan) {
    match &plan.previous {
        Some(prev) => println!(
            "{} {} ({}) replaces version {} in {}",
            plan.id,
            plan.version,
            plan.name,
            prev.version,
            prev.dir.display()
        ),
        None => println!(
            "{} {} ({}) will be installed in {}",
            plan.id,
            plan.version,
            plan.name,
            plan.target.display()
        ),
    }
    match &plan.diff {
        Some(d) => {
            if d.added.is_empty() {
                println!("It asks for nothing new.");
            } else {
                println!("It asks for more than the installed version:");
                for p in &d.added {
                    println!("  + {}", p.text);
                }
            }
            for p in &d.removed {
                println!("  - {} (no longer)", p.text);
            }
            if !d.kept.is_empty() {
                println!("As before, it may:");
                for p in &d.kept {
                    println!("    {}", p.text);
                }
            }
        }
        None => {
            println!("It may:");
            for p in &plan.permissions {
                println!("    {}", p.text);
            }
        }
    }
    if plan.downgrade {
        println!("This is an older version than the one installed.");
    }
}

/// Installs a package into the plugin directory, after approval.
pub(super) fn install(global: &GlobalArgs, args: InstallArgs) -> anyhow::Result<ExitCode> {
    let settings = global.settings()?;
    let plugin_dir = &settings.plugin_dir;
    std::fs::create_dir_all(plugin_dir)?;
    let file = std::fs::File::open(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let staging = package::staging_dir(plugin_dir);
    let pkg = Package::read(std::io::BufReader::new(file), &staging)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let plan = match package::plan(&pkg, plugin_dir) {
        Ok(p) => p,
        Err(e) => {
            pkg.discard();
            return Err(e.into());
        }
    };
    print_plan(&plan);
    if plan.downgrade && !args.force {
        pkg.discard();
        anyhow::bail!(
            "{} {} is older than the installed {}; pass --force to downgrade",
            plan.id,
            plan.version,
            plan.previous
                .as_ref()
                .map(|p| p.version.as_str())
                .unwrap_or("")
        );
    }
    if !args.yes {
        match approved() {
            Ok(true) => {}
            Ok(false) => {
                pkg.discard();
                println!("not installed");
                return Ok(ExitCode::from(1));
            }
            Err(e) => {
                pkg.discard();
                return Err(e);
            }
        }
    }
    let done = package::install(pkg, &plan, args.force)?;
    match done.replaced {
        Some(old) => println!(
            "upgraded {} {old} -> {} in {}",
            plan.id,
            plan.version,
            done.dir.display()
        ),
        None => println!(
            "installed {} {} in {}",
            plan.id,
            plan.version,
            done.dir.display()
        ),
    }
    println!("a running server with hot reload picks it up; otherwise restart it");
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal; without one, refuses (use `--yes`).
fn approved() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "not installed: approve on a terminal, or pass --yes after reading what it may do"
        );
    }
    print!("Install it? [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}
