//! `raisfast plugin check` and `raisfast plugin list`.

use super::GlobalArgs;
use super::output::grants_summary;
use crate::manager::{PluginManager, PluginState, discover, order};
use crate::manifest::{LoadedManifest, ManifestError, RuntimeKind};
use crate::runtime::Runtime;
use crate::settings::Settings;
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `plugin check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A plugin directory, or a directory of plugins (default: the plugin directory).
    path: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `plugin list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct PluginReport {
    dir: String,
    id: Option<String>,
    version: Option<String>,
    runtime: Option<&'static str>,
    ok: bool,
    errors: Vec<String>,
    warnings: Vec<String>,
    grants: Vec<String>,
}

/// Validates plugins; exit code 1 if any has an error.
pub fn check(global: &GlobalArgs, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let settings = global.settings()?;
    let root = args.path.unwrap_or_else(|| settings.plugin_dir.clone());
    let found = discover(&root).map_err(|e| anyhow::anyhow!("{}: {e}", root.display()))?;
    if found.is_empty() {
        anyhow::bail!(
            "{}: no plugin found (no manifest.toml in it or its subdirectories)",
            root.display()
        );
    }
    let runtime = check_runtime()?;
    let mut reports = Vec::new();
    let mut valid: BTreeMap<String, LoadedManifest> = BTreeMap::new();
    for f in found {
        match f {
            Err((dir, errors)) => reports.push(PluginReport {
                dir: dir.display().to_string(),
                id: None,
                version: None,
                runtime: None,
                ok: false,
                errors: errors.0.iter().map(ManifestError::to_string).collect(),
                warnings: Vec::new(),
                grants: Vec::new(),
            }),
            Ok(m) => {
                let mut errors = Vec::new();
                let id = m.manifest.id().to_string();
                if let Some(first) = valid.get(&id) {
                    errors.push(format!(
                        "duplicate plugin id {id}: also declared by {}",
                        first.dir.display()
                    ));
                }
                if m.manifest.runtime() == RuntimeKind::Wasm
                    && let Err(e) = check_component(&runtime, &m)
                {
                    errors.push(e);
                }
                reports.push(PluginReport {
                    dir: m.dir.display().to_string(),
                    id: Some(id.clone()),
                    version: Some(m.manifest.plugin.version.get_ref().clone()),
                    runtime: Some(m.manifest.runtime().as_str()),
                    ok: errors.is_empty(),
                    errors,
                    warnings: m.warnings.iter().map(ManifestError::to_string).collect(),
                    grants: grants_summary(&m.manifest),
                });
                valid.entry(id).or_insert(m);
            }
        }
    }
    let nodes = valid
        .iter()
        .map(|(id, m)| {
            let deps = m
                .manifest
                .dependency_reqs()
                .map(|(d, r)| (d.to_string(), r))
                .collect();
            (
                id.clone(),
                order::Node {
                    version: m.manifest.version(),
                    deps,
                },
            )
        })
        .collect();
    let plan = order::plan(&nodes);
    for r in &mut reports {
        if let Some(why) = r.id.as_ref().and_then(|id| plan.excluded.get(id)) {
            r.errors.push(format!("dependencies: {why}"));
            r.ok = false;
        }
    }
    let failed = reports.iter().filter(|r| !r.ok).count();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            print_report(r);
        }
        println!(
            "{} plugin(s) checked: {} ok, {failed} with errors",
            reports.len(),
            reports.len() - failed
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(r: &PluginReport) {
    let mark = if r.ok { "ok  " } else { "FAIL" };
    match (&r.id, &r.version, r.runtime) {
        (Some(id), Some(v), Some(rt)) => println!("{mark} {id} {v} ({rt})  {}", r.dir),
        _ => println!("{mark} {}", r.dir),
    }
    for e in &r.errors {
        for (i, line) in e.lines().enumerate() {
            println!("{}{line}", if i == 0 { "     error: " } else { "       " });
        }
    }
    for w in &r.warnings {
        for (i, line) in w.lines().enumerate() {
            println!(
                "{}{line}",
                if i == 0 { "     warning: " } else { "       " }
            );
        }
    }
    if r.ok {
        for g in &r.grants {
            println!("     grants {g}");
        }
    }
}

/// A runtime for checks only: no pooling, no compile cache, nothing written.
fn check_runtime() -> anyhow::Result<Runtime> {
    let mut s = Settings::default();
    s.runtime.pooling = false;
    s.runtime.compile_cache = false;
    Runtime::new(&s).map_err(|e| anyhow::anyhow!("{e:#}"))
}

/// Compiles the component and links it against the host's WIT world.
fn check_component(runtime: &Runtime, m: &LoadedManifest) -> Result<(), String> {
    let path = m.dir.join(m.manifest.entry());
    let wasm = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let component = runtime.compile(&wasm).map_err(|e| {
        format!(
            "{}: not a valid WebAssembly component: {e:#}",
            path.display()
        )
    })?;
    runtime
        .link_check(&component)
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Debug, Serialize)]
struct ListRow {
    id: String,
    version: String,
    runtime: &'static str,
    state: &'static str,
    reason: Option<String>,
    dir: String,
}

/// Loads every plugin and prints its state.
pub fn list(global: &GlobalArgs, args: ListArgs) -> anyhow::Result<ExitCode> {
    let settings = global.settings()?;
    let manager = PluginManager::new(settings)?;
    let report = manager.load_all();
    let mut rows: Vec<ListRow> = manager
        .entries()
        .into_iter()
        .map(|(id, e)| ListRow {
            id,
            version: e.manifest.plugin.version.get_ref().clone(),
            runtime: e.manifest.runtime().as_str(),
            state: e.state.name(),
            reason: match &e.state {
                PluginState::Failed(why) => Some(why.clone()),
                _ => None,
            },
            dir: e.dir.display().to_string(),
        })
        .collect();
    for (dir, why) in manager.broken() {
        rows.push(ListRow {
            id: "?".into(),
            version: "?".into(),
            runtime: "?",
            state: "failed",
            reason: Some(why),
            dir: dir.display().to_string(),
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if rows.is_empty() {
        println!(
            "no plugins in {}",
            manager.services().settings.plugin_dir.display()
        );
    } else {
        println!(
            "{:<36} {:<10} {:<8} {:<9} DIR",
            "ID", "VERSION", "RUNTIME", "STATE"
        );
        for r in &rows {
            println!(
                "{:<36} {:<10} {:<8} {:<9} {}",
                r.id, r.version, r.runtime, r.state, r.dir
            );
            if let Some(why) = &r.reason {
                for line in why.lines() {
                    println!("    {line}");
                }
            }
        }
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
