//! What a plugin directory holds, as one hash: the names, kinds and contents of
//! its files. Hot reload compares it before reloading, so that only a real
//! change reloads a plugin: reading its files (inotify reports every open),
//! touching them, or saving them unchanged does not.

use sha2::{Digest, Sha256};
use std::path::Path;

/// Files larger than this are fingerprinted by size and modification time
/// instead of their bytes.
const HASH_LIMIT: u64 = 64 * 1024 * 1024;

/// The hash of a plugin directory's sources.
pub type Fingerprint = [u8; 32];

/// Whether a name inside a plugin directory is build output, editor scratch or
/// hidden: never part of the plugin, never a reason to reload it.
pub fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name == "target"
        || name == "node_modules"
        || name.contains(".tmp")
        || name.ends_with('~')
}

/// The fingerprint of `dir`; `None` when it is not a readable directory.
/// Symbolic links are not followed: their target path is what counts.
pub fn of(dir: &Path) -> Option<Fingerprint> {
    let meta = std::fs::symlink_metadata(dir).ok()?;
    if !meta.is_dir() {
        return None;
    }
    let mut hasher = Sha256::new();
    walk(dir, Path::new(""), &mut hasher);
    Some(hasher.finalize().into())
}

fn walk(dir: &Path, rel: &Path, h: &mut Sha256) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        h.update(b"unreadable\0");
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if ignored(&name.to_string_lossy()) {
            continue;
        }
        let path = e.path();
        let rel = rel.join(&name);
        h.update(rel.as_os_str().as_encoded_bytes());
        h.update(b"\0");
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            h.update(b"d\0");
            walk(&path, &rel, h);
        } else if meta.is_symlink() {
            h.update(b"l\0");
            if let Ok(target) = std::fs::read_link(&path) {
                h.update(target.as_os_str().as_encoded_bytes());
            }
        } else if meta.len() > HASH_LIMIT {
            h.update(b"L\0");
            h.update(meta.len().to_le_bytes());
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            h.update(mtime.to_le_bytes());
        } else {
            h.update(b"f\0");
            match std::fs::read(&path) {
                Ok(bytes) => {
                    h.update((bytes.len() as u64).to_le_bytes());
                    h.update(&bytes);
                }
                Err(_) => h.update(b"unreadable"),
            }
        }
        h.update(b"\0");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_contents_and_names_count() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("main.js"), "export function a() {}").unwrap();
        std::fs::create_dir(p.join("lib")).unwrap();
        std::fs::write(p.join("lib/x.js"), "1").unwrap();
        let first = of(p).unwrap();
        // Reads, a rewrite with the same bytes, scratch and build output: no change.
        let _ = std::fs::read(p.join("main.js")).unwrap();
        std::fs::write(p.join("main.js"), "export function a() {}").unwrap();
        std::fs::write(p.join("main.js~"), "old").unwrap();
        std::fs::create_dir(p.join("target")).unwrap();
        std::fs::write(p.join("target/out.wasm"), "x").unwrap();
        assert_eq!(of(p), Some(first));
        // A changed byte, a new file, a renamed file: each a change.
        std::fs::write(p.join("lib/x.js"), "2").unwrap();
        let second = of(p).unwrap();
        assert_ne!(second, first);
        std::fs::write(p.join("README.md"), "").unwrap();
        let third = of(p).unwrap();
        assert_ne!(third, second);
        std::fs::rename(p.join("README.md"), p.join("NOTES.md")).unwrap();
        assert_ne!(of(p).unwrap(), third);
        assert_eq!(of(&p.join("missing")), None);
    }
}
