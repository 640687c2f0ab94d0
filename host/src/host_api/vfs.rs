//! `vfs`: a private directory per plugin under `data_dir/plugins/ID/files`,
//! or, when the storage keeps files (PostgreSQL: every node sees the same),
//! in the storage's [`FileStore`].
//!
//! - **linker**: `raisfast:plugin/vfs`.
//! - **load**: the root directory's path ([`PluginFs::new`]); it is created and
//!   opened as a capability (`cap-std`) on first use, so no path, `..` or
//!   symbolic link can lead out of it.
//! - **per call**: nothing; the plugin's usage is tracked across calls for its quota.

use super::{HasPluginHost, PluginHost, PluginHostView};
use super::{HostError, PluginContext};
use crate::host_api::bindings::raisfast::plugin::types::Error as WitError;
use crate::host_api::bindings::raisfast::plugin::vfs::{self as wit, Entry};
use crate::storage::{FileEntry, FileError, FileQuota, FileStore};
use cap_std::fs::Dir;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::UNIX_EPOCH;
use wasmtime::component::Linker;

/// Longest path in bytes.
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest path component in bytes.
pub const MAX_NAME_BYTES: usize = 255;
/// Prefix of the temporary files behind atomic writes (hidden from `list`).
const TMP_PREFIX: &str = ".raisfast-tmp-";

/// Adds `raisfast:plugin/vfs` to the linker.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasPluginHost>(linker, T::plugin_host)
}

/// One plugin's filesystem.
pub struct PluginFs {
    root: PathBuf,
    dir: OnceLock<Dir>,
    /// What is used, computed on first write; writes hold this lock.
    usage: Mutex<Option<Usage>>,
}

/// A plugin's use of its quota: bytes of files, and entries (files and
/// directories: an empty file or directory costs nothing in bytes but still
/// costs the host an inode and a directory entry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Usage {
    bytes: u64,
    entries: u64,
}

impl PluginFs {
    /// The filesystem rooted at `root` (created on first use).
    pub fn new(root: PathBuf) -> PluginFs {
        PluginFs {
            root,
            dir: OnceLock::new(),
            usage: Mutex::new(None),
        }
    }

    /// The root directory on the host.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self) -> Result<&Dir, HostError> {
        if let Some(d) = self.dir.get() {
            return Ok(d);
        }
        std::fs::create_dir_all(&self.root)
            .and_then(|_| Dir::open_ambient_dir(&self.root, cap_std::ambient_authority()))
            .map(|d| self.dir.get_or_init(|| d))
            .map_err(|e| HostError::Failed(format!("vfs: cannot open the plugin's directory: {e}")))
    }
}

/// Checks and normalises a plugin path: relative, `/`-separated, no `..`.
/// Returns `""` for the root.
pub fn normalize(path: &str) -> Result<String, HostError> {
    if path.len() > MAX_PATH_BYTES {
        return Err(HostError::Invalid(format!(
            "vfs: the path is {} bytes; the limit is {MAX_PATH_BYTES}",
            path.len()
        )));
    }
    if path.contains('\0') || path.contains('\\') {
        return Err(HostError::Invalid(
            "vfs: paths may not contain NUL bytes or backslashes".into(),
        ));
    }
    if path.starts_with('/') {
        return Err(HostError::Denied(format!(
            "vfs: `{path}` is absolute; paths are relative to the plugin's own directory"
        )));
    }
    let mut parts = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                return Err(HostError::Denied(format!(
                    "vfs: `{path}` uses `..`; a plugin can only reach its own directory"
                )));
            }
            s if s.len() > MAX_NAME_BYTES => {
                return Err(HostError::Invalid(format!(
                    "vfs: a path component is longer than {MAX_NAME_BYTES} bytes"
                )));
            }
            s => parts.push(s),
        }
    }
    Ok(parts.join("/"))
}

fn io_error(path: &str, e: io::Error) -> HostError {
    match e.kind() {
        io::ErrorKind::NotFound => HostError::NotFound,
        io::ErrorKind::PermissionDenied => HostError::Denied(format!(
            "vfs: `{path}` leads outside the plugin's directory (a symbolic link?)"
        )),
        _ => HostError::Failed(format!("vfs: `{path}`: {e}")),
    }
}

fn need(ctx: &PluginContext, write: bool) -> Result<&Dir, HostError> {
    granted(ctx, write)?;
    ctx.vfs.dir()
}

/// The files of the storage, when it keeps them (every node sees the same).
fn shared(ctx: &PluginContext) -> Option<&dyn FileStore> {
    ctx.services.db.files()
}

fn file_error(e: FileError) -> HostError {
    match e {
        FileError::NotFound => HostError::NotFound,
        FileError::Invalid(m) => HostError::Invalid(m),
        FileError::Limit(m) => HostError::Limit(m),
        FileError::Failed(m) => HostError::Failed(m),
    }
}

fn shared_entry(e: FileEntry) -> Entry {
    Entry {
        name: e.name,
        is_dir: e.is_dir,
        size: e.size,
        modified_ms: e.modified_ms,
    }
}

fn granted(ctx: &PluginContext, write: bool) -> Result<(), HostError> {
    let (granted, what) = if write {
        (ctx.grants.fs_write, "write")
    } else {
        (ctx.grants.fs_read, "read")
    };
    if !granted {
        return Err(HostError::Denied(format!(
            "vfs: {what} access needs filesystem = [\"{what}\"] in [permissions] of manifest.toml"
        )));
    }
    Ok(())
}

fn rel(p: &str) -> &str {
    if p.is_empty() { "." } else { p }
}

/// Reads a whole file.
pub fn read(ctx: &PluginContext, path: &str) -> Result<Vec<u8>, HostError> {
    let p = normalize(path)?;
    if let Some(files) = shared(ctx) {
        granted(ctx, false)?;
        return files.file_read(&ctx.id, &p).map_err(file_error);
    }
    let dir = need(ctx, false)?;
    dir.read(rel(&p)).map_err(|e| io_error(path, e))
}

/// Bytes and entries under `dir`.
fn usage_of(dir: &Dir) -> io::Result<Usage> {
    let mut total = Usage::default();
    for entry in dir.entries()? {
        let entry = entry?;
        let ft = entry.file_type()?;
        total.entries += 1;
        if ft.is_dir() {
            let inner = usage_of(&entry.open_dir()?)?;
            total.bytes += inner.bytes;
            total.entries += inner.entries;
        } else if ft.is_file() {
            total.bytes += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// The entries a write of `p` creates: the file if new, and each missing parent.
fn new_entries(dir: &Dir, p: &str, file_exists: bool) -> u64 {
    let mut n = u64::from(!file_exists);
    let mut parent = p;
    while let Some((up, _)) = parent.rsplit_once('/') {
        if dir.symlink_metadata(up).is_ok() {
            break;
        }
        n += 1;
        parent = up;
    }
    n
}

/// Creates or replaces a file atomically, within the quotas.
pub fn write(ctx: &PluginContext, path: &str, data: &[u8]) -> Result<(), HostError> {
    let p = normalize(path)?;
    granted(ctx, true)?;
    if p.is_empty() {
        return Err(HostError::Invalid(
            "vfs: cannot write to the root directory".into(),
        ));
    }
    let limits = &ctx.services.settings.vfs;
    if data.len() as u64 > limits.max_file_bytes {
        return Err(HostError::Limit(format!(
            "vfs: the file is {} bytes; the per-file quota is {} bytes",
            data.len(),
            limits.max_file_bytes
        )));
    }
    if let Some(files) = shared(ctx) {
        let quota = FileQuota {
            max_total_bytes: limits.max_total_bytes,
            max_entries: limits.max_entries,
        };
        return files
            .file_write(&ctx.id, &p, data, quota)
            .map_err(file_error);
    }
    let dir = ctx.vfs.dir()?;
    let mut usage = ctx.vfs.usage.lock().expect("vfs usage lock");
    let used = match *usage {
        Some(u) => u,
        None => usage_of(dir).map_err(|e| io_error(path, e))?,
    };
    let old = match dir.symlink_metadata(&p) {
        Ok(m) if m.is_dir() => {
            return Err(HostError::Invalid(format!("vfs: `{path}` is a directory")));
        }
        Ok(m) => Some(m.len()),
        Err(_) => None,
    };
    let new_total = Usage {
        bytes: used.bytes - old.unwrap_or(0).min(used.bytes) + data.len() as u64,
        entries: used.entries + new_entries(dir, &p, old.is_some()),
    };
    if new_total.bytes > limits.max_total_bytes {
        return Err(HostError::Limit(format!(
            "vfs: the plugin's quota of {} bytes would be exceeded ({} bytes in use)",
            limits.max_total_bytes, used.bytes
        )));
    }
    if new_total.entries > limits.max_entries {
        return Err(HostError::Limit(format!(
            "vfs: the plugin's quota of {} files and directories would be exceeded ({} in use)",
            limits.max_entries, used.entries
        )));
    }
    let parent = p.rsplit_once('/').map_or("", |(parent, _)| parent);
    if !parent.is_empty() {
        dir.create_dir_all(parent)
            .map_err(|e| match dir.metadata(parent) {
                // A link on the way that leads out is reported as the escape it is.
                Err(m) if m.kind() == io::ErrorKind::PermissionDenied => io_error(path, m),
                _ => io_error(path, e),
            })?;
    }
    let tmp = format!(
        "{}/{TMP_PREFIX}{}",
        rel(parent),
        uuid::Uuid::now_v7().simple()
    );
    let result = dir
        .write(&tmp, data)
        .and_then(|_| dir.rename(&tmp, dir, &p));
    if let Err(e) = result {
        let _ = dir.remove_file(&tmp);
        return Err(io_error(path, e));
    }
    *usage = Some(new_total);
    Ok(())
}

/// Deletes a file or an empty directory.
pub fn delete(ctx: &PluginContext, path: &str) -> Result<(), HostError> {
    let p = normalize(path)?;
    granted(ctx, true)?;
    if p.is_empty() {
        return Err(HostError::Invalid(
            "vfs: cannot delete the root directory".into(),
        ));
    }
    if let Some(files) = shared(ctx) {
        return files.file_delete(&ctx.id, &p).map_err(file_error);
    }
    let dir = ctx.vfs.dir()?;
    let mut usage = ctx.vfs.usage.lock().expect("vfs usage lock");
    let meta = dir.symlink_metadata(&p).map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        dir.remove_dir(&p).map_err(|e| io_error(path, e))?;
    } else {
        dir.remove_file(&p).map_err(|e| io_error(path, e))?;
    }
    if let Some(u) = usage.as_mut() {
        u.entries = u.entries.saturating_sub(1);
        if !meta.is_dir() {
            u.bytes = u.bytes.saturating_sub(meta.len());
        }
    }
    Ok(())
}

fn entry(name: String, meta: &cap_std::fs::Metadata) -> Entry {
    let modified_ms = meta
        .modified()
        .ok()
        .and_then(|t| t.into_std().duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Entry {
        name,
        is_dir: meta.is_dir(),
        size: if meta.is_dir() { 0 } else { meta.len() },
        modified_ms,
    }
}

/// Lists a directory, sorted by name.
pub fn list(ctx: &PluginContext, path: &str) -> Result<Vec<Entry>, HostError> {
    let p = normalize(path)?;
    if let Some(files) = shared(ctx) {
        granted(ctx, false)?;
        let entries = files.file_list(&ctx.id, &p).map_err(file_error)?;
        return Ok(entries.into_iter().map(shared_entry).collect());
    }
    let dir = need(ctx, false)?;
    let mut out = Vec::new();
    for e in dir.read_dir(rel(&p)).map_err(|e| io_error(path, e))? {
        let e = e.map_err(|e| io_error(path, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(TMP_PREFIX) {
            continue;
        }
        let meta = e.metadata().map_err(|e| io_error(path, e))?;
        out.push(entry(name, &meta));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Describes a file or directory.
pub fn stat(ctx: &PluginContext, path: &str) -> Result<Entry, HostError> {
    let p = normalize(path)?;
    if let Some(files) = shared(ctx) {
        granted(ctx, false)?;
        return files
            .file_stat(&ctx.id, &p)
            .map(shared_entry)
            .map_err(file_error);
    }
    let dir = need(ctx, false)?;
    let meta = dir.metadata(rel(&p)).map_err(|e| io_error(path, e))?;
    Ok(entry(p, &meta))
}

/// Whether a file or directory exists.
pub fn exists(ctx: &PluginContext, path: &str) -> Result<bool, HostError> {
    let p = normalize(path)?;
    if let Some(files) = shared(ctx) {
        granted(ctx, false)?;
        return match files.file_stat(&ctx.id, &p) {
            Ok(_) => Ok(true),
            Err(FileError::NotFound) => Ok(false),
            Err(e) => Err(file_error(e)),
        };
    }
    let dir = need(ctx, false)?;
    match dir.metadata(rel(&p)) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(path, e)),
    }
}

impl wit::Host for PluginHost<'_> {
    fn read(&mut self, path: String) -> Result<Vec<u8>, WitError> {
        self.run("vfs.read", |p, _| read(p, &path))
    }

    fn write(&mut self, path: String, data: Vec<u8>) -> Result<(), WitError> {
        self.run("vfs.write", |p, _| write(p, &path, &data))
    }

    fn delete(&mut self, path: String) -> Result<(), WitError> {
        self.run("vfs.delete", |p, _| delete(p, &path))
    }

    fn list(&mut self, path: String) -> Result<Vec<Entry>, WitError> {
        self.run("vfs.list", |p, _| list(p, &path))
    }

    fn stat(&mut self, path: String) -> Result<Entry, WitError> {
        self.run("vfs.stat", |p, _| stat(p, &path))
    }

    fn exists(&mut self, path: String) -> Result<bool, WitError> {
        self.run("vfs.exists", |p, _| exists(p, &path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("a/./b//c").unwrap(), "a/b/c");
        assert_eq!(normalize("").unwrap(), "");
        assert!(matches!(normalize("../x"), Err(HostError::Denied(_))));
        assert!(matches!(normalize("a/../../x"), Err(HostError::Denied(_))));
        assert!(matches!(
            normalize("/etc/passwd"),
            Err(HostError::Denied(_))
        ));
        assert!(matches!(normalize("a\0b"), Err(HostError::Invalid(_))));
        assert!(matches!(
            normalize(&"a".repeat(300)),
            Err(HostError::Invalid(_))
        ));
        assert!(matches!(
            normalize(&"a/".repeat(600)),
            Err(HostError::Invalid(_))
        ));
    }
}
