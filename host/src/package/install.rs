//! Placing a read package in the plugin directory: what it would change
//! ([`plan`], shown to the operator for approval), then the change itself
//! ([`install`]), in one rename.

use super::{Package, PackageError};
use crate::manager::discover;
use crate::manifest::consent::{Diff, Permission, diff, permissions};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The installed version a package would replace.
#[derive(Debug, Clone, Serialize)]
pub struct Previous {
    /// Its version.
    pub version: String,
    /// Its directory.
    pub dir: PathBuf,
}

/// What installing a package would do, for the operator to approve.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The plugin id.
    pub id: String,
    /// The package's version.
    pub version: String,
    /// The plugin's name.
    pub name: String,
    /// Everything the plugin asks for.
    pub permissions: Vec<Permission>,
    /// The version it replaces, if any.
    pub previous: Option<Previous>,
    /// What changes from that version's permissions (an upgrade only).
    pub diff: Option<Diff>,
    /// The package is older than the installed version.
    pub downgrade: bool,
    /// Where the plugin will be.
    pub target: PathBuf,
}

/// What [`install`] did.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The plugin's directory.
    pub dir: PathBuf,
    /// The version replaced, if any.
    pub replaced: Option<String>,
}

/// What installing `pkg` into `plugin_dir` would do.
pub fn plan(pkg: &Package, plugin_dir: &Path) -> Result<Plan, PackageError> {
    let m = &pkg.manifest;
    let id = m.id().to_string();
    let found = discover(plugin_dir).map_err(|e| PackageError::io(plugin_dir, e))?;
    let installed = found.into_iter().flatten().find(|l| l.manifest.id() == id);
    let new_permissions = permissions(m);
    let (previous, diff, downgrade, target) = match installed {
        Some(old) => {
            let d = diff(&permissions(&old.manifest), &new_permissions);
            let downgrade = m.version() < old.manifest.version();
            let prev = Previous {
                version: old.manifest.plugin.version.get_ref().clone(),
                dir: old.dir.clone(),
            };
            (Some(prev), Some(d), downgrade, old.dir)
        }
        None => {
            let target = plugin_dir.join(&id);
            if target.exists() {
                return Err(PackageError::Io {
                    path: target.display().to_string(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "exists and is not this plugin; move it away first",
                    ),
                });
            }
            (None, None, false, target)
        }
    };
    Ok(Plan {
        id,
        version: m.plugin.version.get_ref().clone(),
        name: m.plugin.name.clone(),
        permissions: new_permissions,
        previous,
        diff,
        downgrade,
        target,
    })
}

/// Moves the staged `pkg` to `plan.target`, replacing the previous version in
/// one rename. A downgrade needs `force`. On failure the previous version
/// stays and the staged files are deleted.
pub fn install(pkg: Package, plan: &Plan, force: bool) -> Result<Installed, PackageError> {
    if plan.downgrade && !force {
        let installed = plan
            .previous
            .as_ref()
            .map(|p| p.version.clone())
            .unwrap_or_default();
        pkg.discard();
        return Err(PackageError::Downgrade {
            id: plan.id.clone(),
            installed,
            offered: plan.version.clone(),
        });
    }
    let target = &plan.target;
    let result = match &plan.previous {
        None => std::fs::rename(&pkg.dir, target).map_err(|e| PackageError::io(target, e)),
        Some(prev) => {
            let old = pkg.dir.with_extension("replaced");
            std::fs::rename(&prev.dir, &old).map_err(|e| PackageError::io(&prev.dir, e))?;
            match std::fs::rename(&pkg.dir, target) {
                Ok(()) => {
                    let _ = std::fs::remove_dir_all(&old);
                    Ok(())
                }
                Err(e) => {
                    let _ = std::fs::rename(&old, &prev.dir);
                    Err(PackageError::io(target, e))
                }
            }
        }
    };
    if let Err(e) = result {
        pkg.discard();
        return Err(e);
    }
    Ok(Installed {
        dir: target.clone(),
        replaced: plan.previous.as_ref().map(|p| p.version.clone()),
    })
}

/// A staging directory for a package, inside the plugin directory (so that
/// installing is a rename) and hidden (so that neither discovery nor hot
/// reload sees it).
pub fn staging_dir(plugin_dir: &Path) -> PathBuf {
    plugin_dir
        .join(".staging")
        .join(uuid::Uuid::now_v7().to_string())
}
