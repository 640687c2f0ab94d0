//! Finding plugins: every directory under the plugin directory that holds a
//! `manifest.toml`.

use crate::manifest::{LoadedManifest, MANIFEST_FILE, Manifest, ManifestErrors};
use std::path::{Path, PathBuf};

/// One plugin directory, with its manifest or the errors in it.
pub type Found = Result<LoadedManifest, (PathBuf, ManifestErrors)>;

/// The plugin directories directly under `root`, sorted by name; hidden
/// directories and directories without a manifest are skipped. A `root` that is
/// itself a plugin directory is returned alone.
pub fn plugin_dirs(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    if root.join(MANIFEST_FILE).is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                && p.join(MANIFEST_FILE).is_file()
        })
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Reads the manifest of every plugin directory under `root`.
pub fn discover(root: &Path) -> std::io::Result<Vec<Found>> {
    Ok(plugin_dirs(root)?
        .into_iter()
        .map(|dir| Manifest::load(&dir).map_err(|e| (dir, e)))
        .collect())
}
