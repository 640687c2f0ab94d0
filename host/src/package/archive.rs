//! Making and reading `.rfp` archives (see the module above for the format
//! and what reading refuses).

use super::{FORMAT, MAX_FILES, MAX_PACKAGE_BYTES, MAX_UNPACKED_BYTES, PackageError};
use crate::manifest::consent::{Permission, permissions};
use crate::manifest::{Manifest, RuntimeKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// The checksum manifest's name in the archive.
const META: &str = "raisfast-package.json";
/// The folder of the plugin's files in the archive.
const FILES: &str = "plugin/";

/// `raisfast-package.json`.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    format: u32,
    id: String,
    version: String,
    /// Path (relative, `/`-separated) to lowercase hex SHA-256.
    files: BTreeMap<String, String>,
}

/// What `pack` wrote.
#[derive(Debug, Clone)]
pub struct PackInfo {
    /// The plugin id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Files packed.
    pub files: usize,
    /// Size of the package in bytes.
    pub bytes: u64,
}

/// Whether `rel` (a path inside the plugin directory) belongs in its package.
fn packaged(rel: &Path, compiled: bool) -> bool {
    let mut parts = rel.components().filter_map(|c| match c {
        Component::Normal(s) => s.to_str(),
        _ => None,
    });
    let Some(first) = parts.next() else {
        return false;
    };
    if first == "target" || (compiled && first == "sdk") {
        return false;
    }
    rel.components().all(|c| match c {
        Component::Normal(s) => {
            let s = s.to_string_lossy();
            !s.starts_with('.') && !s.ends_with('~') && !s.contains(".tmp")
        }
        _ => false,
    })
}

/// The files of `dir` that go into its package, sorted, relative.
fn files(dir: &Path, compiled: bool) -> Result<Vec<PathBuf>, PackageError> {
    let mut out = Vec::new();
    let mut todo = vec![PathBuf::new()];
    while let Some(rel) = todo.pop() {
        let here = dir.join(&rel);
        let entries = std::fs::read_dir(&here).map_err(|e| PackageError::io(&here, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| PackageError::io(&here, e))?;
            let rel = rel.join(entry.file_name());
            if !packaged(&rel, compiled) {
                continue;
            }
            let kind = entry
                .file_type()
                .map_err(|e| PackageError::io(&entry.path(), e))?;
            if kind.is_symlink() {
                return Err(PackageError::Entry {
                    path: rel.display().to_string(),
                    why: "a symbolic link; packages hold plain files only".into(),
                });
            }
            if kind.is_dir() {
                todo.push(rel);
            } else if kind.is_file() {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn tar_path(rel: &Path) -> String {
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// Packs the plugin in `dir` into `out`.
pub fn pack(dir: &Path, out: &Path) -> Result<PackInfo, PackageError> {
    let loaded = Manifest::load(dir).map_err(|e| PackageError::Manifest(e.to_string()))?;
    let m = &loaded.manifest;
    let compiled = m.runtime() == RuntimeKind::Wasm;
    let files = files(dir, compiled)?;
    let mut meta = Meta {
        format: FORMAT,
        id: m.id().to_string(),
        version: m.plugin.version.get_ref().clone(),
        files: BTreeMap::new(),
    };
    for rel in &files {
        let path = dir.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| PackageError::io(&path, e))?;
        meta.files
            .insert(tar_path(rel), hex(&Sha256::digest(&bytes)));
    }
    let file = std::fs::File::create(out).map_err(|e| PackageError::io(out, e))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let io = |e| PackageError::io(out, e);
    let append = |tar: &mut tar::Builder<_>, name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, bytes)
    };
    let meta_json = serde_json::to_vec_pretty(&meta).expect("plain data");
    append(&mut tar, META, &meta_json).map_err(io)?;
    for rel in &files {
        let path = dir.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| PackageError::io(&path, e))?;
        append(&mut tar, &format!("{FILES}{}", tar_path(rel)), &bytes).map_err(io)?;
    }
    let mut gz = tar.into_inner().map_err(io)?;
    gz.flush().map_err(io)?;
    gz.finish().map_err(io)?;
    let bytes = std::fs::metadata(out)
        .map_err(|e| PackageError::io(out, e))?
        .len();
    Ok(PackInfo {
        id: meta.id,
        version: meta.version,
        files: files.len(),
        bytes,
    })
}

/// A package read and checked, unpacked in its staging directory.
#[derive(Debug)]
pub struct Package {
    /// The plugin's manifest.
    pub manifest: Manifest,
    /// Where it is unpacked (removed by [`Package::discard`] or moved by install).
    pub dir: PathBuf,
}

/// Removes a staging directory unless disarmed.
struct Cleanup<'a>(Option<&'a Path>);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if let Some(dir) = self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A clean relative path inside the package, or why not.
fn clean(path: &str) -> Result<PathBuf, String> {
    if path.is_empty() || path.len() > 1024 {
        return Err("an empty or over-long path".into());
    }
    if path.contains('\\') || path.contains('\0') {
        return Err("a backslash or NUL in the path".into());
    }
    let mut out = PathBuf::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." || part.len() > 255 {
            return Err("`.`, `..` or an over-long name in the path".into());
        }
        out.push(part);
    }
    if out.as_os_str().is_empty() || path.starts_with('/') {
        return Err("an absolute or empty path".into());
    }
    Ok(out)
}

impl Package {
    /// Reads a package from `input` into `staging` (which must not exist yet),
    /// checking everything; on any refusal `staging` is removed.
    pub fn read(input: impl Read, staging: &Path) -> Result<Package, PackageError> {
        std::fs::create_dir_all(staging).map_err(|e| PackageError::io(staging, e))?;
        let mut cleanup = Cleanup(Some(staging));
        let package = Self::unpack(input, staging)?;
        cleanup.0 = None;
        Ok(package)
    }

    /// Reopens a package that [`Package::read`] staged in `dir`.
    pub fn staged(dir: &Path) -> Result<Package, PackageError> {
        let loaded = Manifest::load(dir).map_err(|e| PackageError::Manifest(e.to_string()))?;
        Ok(Package {
            manifest: loaded.manifest,
            dir: dir.to_path_buf(),
        })
    }

    /// What the plugin asks for.
    pub fn permissions(&self) -> Vec<Permission> {
        permissions(&self.manifest)
    }

    /// Deletes the staged files.
    pub fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    fn unpack(input: impl Read, staging: &Path) -> Result<Package, PackageError> {
        let limited = input.take(MAX_PACKAGE_BYTES + 1);
        let counted = Counted {
            inner: limited,
            read: 0,
        };
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(counted));
        let corrupt = |e: std::io::Error| PackageError::Corrupt(e.to_string());
        let mut meta: Option<Meta> = None;
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let mut unpacked = 0u64;
        let entries = tar.entries().map_err(corrupt)?;
        for entry in entries {
            let mut entry = entry.map_err(|e| too_large_or(e, corrupt))?;
            let raw = entry.path_bytes().into_owned();
            let name = String::from_utf8(raw).map_err(|_| PackageError::Entry {
                path: "<not UTF-8>".into(),
                why: "a path that is not UTF-8".into(),
            })?;
            let refuse = |why: &str| PackageError::Entry {
                path: name.clone(),
                why: why.into(),
            };
            let kind = entry.header().entry_type();
            if meta.is_none() {
                if name != META || !kind.is_file() || entry.size() > 4 * 1024 * 1024 {
                    return Err(PackageError::Corrupt(format!(
                        "the archive does not start with {META}"
                    )));
                }
                let mut text = Vec::new();
                entry.read_to_end(&mut text).map_err(corrupt)?;
                let m: Meta = serde_json::from_slice(&text)
                    .map_err(|e| PackageError::Corrupt(format!("{META}: {e}")))?;
                if m.format != FORMAT {
                    return Err(PackageError::Corrupt(format!(
                        "package format {} (this server reads format {FORMAT})",
                        m.format
                    )));
                }
                meta = Some(m);
                continue;
            }
            let Some(rel) = name.strip_prefix(FILES) else {
                return Err(refuse(&format!("an entry outside `{FILES}`")));
            };
            if kind.is_dir() {
                continue;
            }
            if !kind.is_file() {
                return Err(refuse(
                    "a link, device or other special file; packages hold plain files only",
                ));
            }
            let rel_path = clean(rel).map_err(|why| refuse(&why))?;
            if seen.len() >= super::MAX_FILES {
                return Err(PackageError::TooLarge(format!(
                    "more than {MAX_FILES} files"
                )));
            }
            unpacked += entry.size();
            if unpacked > MAX_UNPACKED_BYTES {
                return Err(PackageError::TooLarge(format!(
                    "it unpacks to more than {} MiB",
                    MAX_UNPACKED_BYTES >> 20
                )));
            }
            let to = staging.join(&rel_path);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| PackageError::io(parent, e))?;
            }
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&to)
                .map_err(|_| refuse("twice in the archive, or under a file of the same name"))?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0; 64 * 1024];
            loop {
                let n = entry.read(&mut buf).map_err(|e| too_large_or(e, corrupt))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])
                    .map_err(|e| PackageError::io(&to, e))?;
            }
            let key = rel_path
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            seen.insert(key, hex(&hasher.finalize()));
        }
        let meta = meta.ok_or_else(|| PackageError::Corrupt("an empty archive".into()))?;
        for (path, sum) in &meta.files {
            match seen.get(path) {
                Some(s) if s == sum => {}
                Some(_) => return Err(PackageError::Checksum(path.clone())),
                None => return Err(PackageError::Checksum(path.clone())),
            }
        }
        if let Some(extra) = seen.keys().find(|k| !meta.files.contains_key(*k)) {
            return Err(PackageError::Entry {
                path: format!("{FILES}{extra}"),
                why: "a file the checksum manifest does not list".into(),
            });
        }
        let loaded = Manifest::load(staging).map_err(|e| PackageError::Manifest(e.to_string()))?;
        let m = loaded.manifest;
        if m.id() != meta.id || m.plugin.version.get_ref() != &meta.version {
            return Err(PackageError::Corrupt(format!(
                "{META} names {} {} but the manifest says {} {}",
                meta.id,
                meta.version,
                m.id(),
                m.plugin.version.get_ref()
            )));
        }
        Ok(Package {
            manifest: m,
            dir: staging.to_path_buf(),
        })
    }
}

/// Counts the compressed bytes read, to refuse a package over
/// [`MAX_PACKAGE_BYTES`].
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > MAX_PACKAGE_BYTES {
            return Err(std::io::Error::other(TOO_LARGE));
        }
        Ok(n)
    }
}

const TOO_LARGE: &str = "package over the size limit";

fn too_large_or(e: std::io::Error, other: impl Fn(std::io::Error) -> PackageError) -> PackageError {
    if e.to_string().contains(TOO_LARGE) {
        PackageError::TooLarge(format!("over {} MiB", MAX_PACKAGE_BYTES >> 20))
    } else {
        other(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_leftovers_stay_out() {
        assert!(packaged(Path::new("main.js"), false));
        assert!(packaged(Path::new("node_modules/dayjs/index.js"), false));
        assert!(packaged(Path::new("sdk/plugin.h"), false));
        assert!(!packaged(Path::new("sdk/plugin.h"), true));
        assert!(!packaged(Path::new("target/x"), true));
        assert!(!packaged(Path::new(".git/config"), false));
        assert!(!packaged(Path::new("lib/notes.txt~"), false));
    }

    #[test]
    fn paths_must_stay_inside() {
        assert_eq!(clean("lib/a.js").unwrap(), PathBuf::from("lib/a.js"));
        for bad in ["../x", "/etc/passwd", "a/../../b", "a\\b", "", "./"] {
            assert!(clean(bad).is_err(), "{bad}");
        }
    }
}
