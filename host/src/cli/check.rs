//! `raisfast plugin check` and `raisfast plugin list`.

use super::GlobalArgs;
use super::output::grants_summary;
use crate::manager::{PluginManager, PluginState, discover};
use crate::manifest::{LoadedManifest, ManifestError, nearest};
use crate::runtime::LoadedPlugin;
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
    // Load everything with the real pipeline in a scratch data directory: the
    // dependency graph, migrations, compiling and linking components, loading
    // scripts in their engines (syntax errors, top-level errors, handlers).
    let scratch = tempfile::tempdir()?;
    let mut s = Settings {
        data_dir: scratch.path().to_path_buf(),
        ..settings.clone()
    };
    s.runtime.pooling = false;
    s.runtime.cache_dir = Some(settings.cache_dir());
    let manager = PluginManager::new(s)?;
    let loaded = manager.load_from(&root);
    let failures: BTreeMap<String, String> = loaded.failed.into_iter().collect();
    let mut reports = Vec::new();
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
                let id = m.manifest.id().to_string();
                let dir = m.dir.display().to_string();
                let mut errors: Vec<String> = [failures.get(&dir), failures.get(&id)]
                    .into_iter()
                    .flatten()
                    .map(|why| {
                        why.strip_prefix(&format!("plugin {id}: "))
                            .unwrap_or(why)
                            .to_string()
                    })
                    .collect();
                if let Ok(p) = manager.plugin(&id)
                    && manager.entry(&id).is_some_and(|e| e.dir == m.dir)
                {
                    errors.extend(missing_handlers(&m, &p));
                }
                reports.push(PluginReport {
                    dir,
                    id: Some(id),
                    version: Some(m.manifest.plugin.version.get_ref().clone()),
                    runtime: Some(m.manifest.runtime().as_str()),
                    ok: errors.is_empty(),
                    errors,
                    warnings: m.warnings.iter().map(ManifestError::to_string).collect(),
                    grants: grants_summary(&m.manifest),
                });
            }
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

/// Handlers the manifest names (routes, cron, hooks) that a script does not export.
fn missing_handlers(m: &LoadedManifest, p: &LoadedPlugin) -> Vec<String> {
    let Some(exported) = p.handlers() else {
        return Vec::new();
    };
    let entry = m.manifest.entry();
    let named = m
        .manifest
        .routes
        .iter()
        .map(|r| ("routes.handler", r.handler.as_str()))
        .chain(
            m.manifest
                .cron
                .iter()
                .map(|c| ("cron.handler", c.handler.as_str())),
        )
        .map(|(f, n)| (f, n.to_string()))
        .chain(
            m.manifest
                .hooks
                .iter()
                .map(|(h, o)| ("hooks", crate::manifest::hooks::handler_name(h, Some(o)))),
        );
    named
        .filter(|(_, name)| !exported.iter().any(|e| e == name))
        .map(|(field, name)| {
            let mut msg = format!("`{field}`: {entry} exports no handler `{name}`");
            if let Some(best) = nearest(&name, exported.iter().map(String::as_str)) {
                msg.push_str(&format!(" (did you mean `{best}`?)"));
            }
            msg
        })
        .collect()
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
                PluginState::Failed(why) => Some(why.to_string()),
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
