//! Identity is bound at install: a plugin id belongs to the directory it was
//! first installed from ([`crate::storage`] records it). Whoever else declares
//! that id, in whatever directory order or at whatever time (start-up, hot
//! reload), is refused with both directories named, and the installed plugin
//! keeps loading. The record moves only when it is stale: its directory no
//! longer holds a manifest, or holds one with another id. Uninstall releases it.
//!
//! A directory inside the plugin directory is recorded by its path relative
//! to it (`crm`), so that several nodes on one database, each with its own
//! copy of the plugin directory laid out alike, agree on who owns an id.

use super::PluginManager;
use crate::manifest::{LoadedManifest, MANIFEST_FILE, Manifest};
use std::path::{Path, PathBuf};

fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// Whether the directory recorded for `id` no longer declares it.
fn stale(bound: &Path, id: &str) -> bool {
    if !bound.join(MANIFEST_FILE).is_file() {
        return true;
    }
    // A manifest that does not parse may still be the installed plugin's,
    // broken for now: it keeps its id.
    Manifest::load(bound).is_ok_and(|m| m.manifest.id() != id)
}

impl PluginManager {
    /// How `dir` is recorded: relative to the plugin directory when inside it.
    fn install_record(&self, dir: &Path) -> PathBuf {
        let dir = canonical(dir);
        match dir.strip_prefix(canonical(&self.settings.plugin_dir)) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => dir,
        }
    }

    /// The directory a record names, on this node.
    fn installed_dir(&self, record: &Path) -> PathBuf {
        if record.is_relative() {
            canonical(&self.settings.plugin_dir).join(record)
        } else {
            record.to_path_buf()
        }
    }

    /// Picks, among the directories that declare `id`, the one that owns it
    /// (binding it on first install); the others are returned with why each is
    /// refused.
    pub(super) fn owner_of(
        &self,
        id: &str,
        mut claimants: Vec<LoadedManifest>,
    ) -> (Option<LoadedManifest>, Vec<(PathBuf, String)>) {
        let db = &self.services.db;
        let bound = match db.install_dir(id) {
            Ok(b) => b.map(|r| self.installed_dir(&r)),
            Err(e) => {
                let why = format!("plugin id {id}: cannot read its install record: {e}");
                return (
                    None,
                    claimants
                        .into_iter()
                        .map(|m| (m.dir, why.clone()))
                        .collect(),
                );
            }
        };
        let dirs: Vec<String> = claimants
            .iter()
            .map(|m| m.dir.display().to_string())
            .collect();
        let owner = match &bound {
            Some(b) => claimants.iter().position(|m| canonical(&m.dir) == *b),
            None => None,
        };
        let winner = match (owner, &bound) {
            (Some(i), _) => Some(claimants.remove(i)),
            (None, Some(b)) if !stale(b, id) => {
                let why = |dir: &str| {
                    format!(
                        "plugin id {id} is installed from {}; {dir} declares it too and is not loaded (uninstall {id} first to install it from elsewhere)",
                        b.display()
                    )
                };
                let refused = dirs.iter().map(|d| (PathBuf::from(d), why(d))).collect();
                return (None, refused);
            }
            (None, _) if claimants.len() == 1 => {
                let m = claimants.remove(0);
                if let Some(b) = &bound {
                    tracing::warn!(
                        plugin = id,
                        "installed from {} now (was {})",
                        m.dir.display(),
                        b.display()
                    );
                }
                if let Err(e) = db.bind_install(id, &self.install_record(&m.dir)) {
                    let why = format!("plugin id {id}: cannot record its install: {e}");
                    return (None, vec![(m.dir, why)]);
                }
                Some(m)
            }
            (None, _) => {
                let why = format!(
                    "plugin id {id} is declared by {}; none is loaded until only one directory declares it",
                    dirs.join(" and ")
                );
                let refused = dirs
                    .iter()
                    .map(|d| (PathBuf::from(d), why.clone()))
                    .collect();
                return (None, refused);
            }
        };
        let taken = winner
            .as_ref()
            .map(|w| w.dir.display().to_string())
            .unwrap_or_default();
        let refused = claimants
            .into_iter()
            .map(|m| {
                let why = format!(
                    "plugin id {id} is installed from {taken}; {} declares it too and is not loaded",
                    m.dir.display()
                );
                (m.dir, why)
            })
            .collect();
        (winner, refused)
    }
}
