//! Cranelift's incremental compilation cache: compiled function bodies keyed
//! by a hash of their code, so that compiling a new script plugin's snapshot
//! does not compile its engine again.
//!
//! A snapshot is the engine component (QuickJS, Lua or Rhai) with its memory
//! pre-initialised: every function body is the engine's own, only the data
//! differs. Without this cache each new or changed script plugin costs a full
//! compilation of its engine (seconds); with it, the first plugin of each
//! engine compiles the functions and every later one finds them.
//!
//! Entries live in memory for the life of the process and, when the compile
//! cache is on, as files under `cache/functions/` so that a restart starts
//! warm. Like the compiled artifacts beside them, the files are machine code:
//! the directory must be trusted. A damaged or stale entry is not a risk to
//! correctness beyond that: Cranelift checks an entry's version and shape
//! before it uses it and recompiles otherwise.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::RwLock;
use wasmtime::CacheStore;

/// Compiled functions, in memory and optionally on disk.
#[derive(Debug, Default)]
pub struct FunctionCache {
    dir: Option<PathBuf>,
    memory: RwLock<HashMap<Vec<u8>, Vec<u8>>>,
}

impl FunctionCache {
    /// A cache kept in memory only.
    pub fn in_memory() -> FunctionCache {
        FunctionCache::default()
    }

    /// A cache kept in memory and in `dir` (created on first write).
    pub fn on_disk(dir: PathBuf) -> FunctionCache {
        // Entries are tied to the compiler that wrote them: a new version of
        // the server starts a directory of its own.
        let dir = dir.join(env!("CARGO_PKG_VERSION"));
        FunctionCache {
            dir: Some(dir),
            memory: RwLock::default(),
        }
    }

    fn path(&self, key: &[u8]) -> Option<PathBuf> {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let (shard, rest) = hex.split_at(2.min(hex.len()));
        self.dir.as_ref().map(|d| d.join(shard).join(rest))
    }
}

#[cfg(test)]
impl FunctionCache {
    /// Entries held in memory.
    pub fn len(&self) -> usize {
        self.memory.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether nothing is held in memory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        if let Some(v) = self.memory.read().ok()?.get(key) {
            return Some(Cow::Owned(v.clone()));
        }
        let value = std::fs::read(self.path(key)?).ok()?;
        if let Ok(mut m) = self.memory.write() {
            m.insert(key.to_vec(), value.clone());
        }
        Some(Cow::Owned(value))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        if let Some(path) = self.path(key) {
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|_| {
                    let tmp = super::cache::temp_path(&path);
                    std::fs::write(&tmp, &value)?;
                    std::fs::rename(&tmp, &path)
                });
            if let Err(e) = written {
                tracing::debug!("cannot write the function cache {}: {e}", path.display());
            }
        }
        match self.memory.write() {
            Ok(mut m) => {
                m.insert(key.to_vec(), value);
                true
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_a_restart_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let a = FunctionCache::on_disk(tmp.path().to_path_buf());
        assert!(a.get(b"key").is_none());
        assert!(a.insert(b"key", b"code".to_vec()));
        assert_eq!(a.get(b"key").as_deref(), Some(&b"code"[..]));
        let b = FunctionCache::on_disk(tmp.path().to_path_buf());
        assert!(b.is_empty());
        assert_eq!(b.get(b"key").as_deref(), Some(&b"code"[..]));
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn in_memory_holds_what_it_was_given() {
        let c = FunctionCache::in_memory();
        c.insert(&[1, 2], vec![3]);
        assert_eq!(c.get(&[1, 2]).as_deref(), Some(&[3][..]));
        assert!(c.get(&[9]).is_none());
    }
}
