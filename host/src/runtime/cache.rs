//! Compiled components on disk, keyed by the wasm's content hash and the
//! engine's compatibility hash, so a restart compiles nothing it compiled
//! before. The cache directory must be trusted: loading a compiled artifact
//! runs its machine code.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

/// A directory of `.cwasm` files.
#[derive(Clone)]
pub struct CompileCache {
    dir: PathBuf,
    engine_key: String,
}

impl CompileCache {
    /// A cache in `dir` for artifacts of `engine`.
    pub fn new(dir: &Path, engine: &Engine) -> CompileCache {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        CompileCache {
            dir: dir.to_path_buf(),
            engine_key: format!("{:016x}", h.finish()),
        }
    }

    /// `<sha256>-<engine>.cwasm` for a component, `.module.cwasm` for a core
    /// module.
    fn path_for(&self, wasm: &[u8], ext: &str) -> PathBuf {
        let digest = Sha256::digest(wasm);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}-{}.{ext}", self.engine_key))
    }

    /// The compiled component, from the cache or compiled now (and stored).
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Component> {
        self.load_or_compile_as(
            &self.path_for(wasm, "cwasm"),
            || engine.precompile_component(wasm),
            // SAFETY: the file was written by `precompile_component` of an
            // engine with the same compatibility hash, in the server's own
            // data directory (or just now).
            |path| unsafe { Component::deserialize_file(engine, path) },
            // SAFETY: produced just now by this engine.
            |bytes| unsafe { Component::deserialize(engine, bytes) },
        )
    }

    /// The compiled component stored under `key` (a script engine, named by
    /// its fingerprint), or compiled now from what `wasm` returns: a cache
    /// hit does not need the component's bytes at all.
    pub fn load_or_compile_keyed(
        &self,
        engine: &Engine,
        key: &str,
        wasm: impl FnOnce() -> wasmtime::Result<Vec<u8>>,
    ) -> wasmtime::Result<Component> {
        self.load_or_compile_as(
            &self.dir.join(format!("{key}-{}.cwasm", self.engine_key)),
            || engine.precompile_component(&wasm()?),
            // SAFETY: as above.
            |path| unsafe { Component::deserialize_file(engine, path) },
            // SAFETY: produced just now by this engine.
            |bytes| unsafe { Component::deserialize(engine, bytes) },
        )
    }

    /// The compiled core module (an engine's initial state), likewise.
    pub fn load_or_compile_module(&self, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Module> {
        self.load_or_compile_as(
            &self.path_for(wasm, "module.cwasm"),
            || engine.precompile_module(wasm),
            // SAFETY: as for components.
            |path| unsafe { Module::deserialize_file(engine, path) },
            // SAFETY: produced just now by this engine.
            |bytes| unsafe { Module::deserialize(engine, bytes) },
        )
    }

    /// Where the compiled state module of the snapshot named `key` is kept.
    pub fn state_path(&self, key: &str) -> PathBuf {
        self.dir
            .join(format!("{key}-{}.state.cwasm", self.engine_key))
    }

    /// The compiled state module of the snapshot named `key`, or compiled now
    /// from what `wasm` returns: a warm start maps the file and reads none of
    /// the snapshot's bytes.
    pub fn load_or_compile_state<'a>(
        &self,
        engine: &Engine,
        key: &str,
        wasm: impl FnOnce() -> wasmtime::Result<std::borrow::Cow<'a, [u8]>>,
    ) -> wasmtime::Result<Module> {
        self.load_or_compile_as(
            &self.state_path(key),
            || engine.precompile_module(&wasm()?),
            // SAFETY: as for components.
            |path| unsafe { Module::deserialize_file(engine, path) },
            // SAFETY: produced just now by this engine.
            |bytes| unsafe { Module::deserialize(engine, bytes) },
        )
    }

    /// The artifact at `path`, or compiled now and stored there. Either way
    /// it is mapped from its file when it can be: its code pages (and a
    /// module's memory image) are then shared through the page cache, by
    /// every process of this machine that uses it, rather than copied.
    fn load_or_compile_as<T>(
        &self,
        path: &Path,
        compile: impl FnOnce() -> wasmtime::Result<Vec<u8>>,
        from_file: impl Fn(&Path) -> wasmtime::Result<T>,
        from_bytes: impl FnOnce(&[u8]) -> wasmtime::Result<T>,
    ) -> wasmtime::Result<T> {
        if path.is_file() {
            match from_file(path) {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!("discarding cached {}: {e}", path.display());
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        let compiled = compile()?;
        match self.store(path, &compiled) {
            Ok(()) => match from_file(path) {
                Ok(c) => return Ok(c),
                Err(e) => tracing::warn!("cannot map {}: {e}", path.display()),
            },
            Err(e) => tracing::warn!("cannot write the compile cache {}: {e}", path.display()),
        }
        from_bytes(&compiled)
    }

    fn store(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = temp_path(path);
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    }
}

/// Removes `functions/` from a cache directory: compiled function bodies
/// that versions before the shared script engines kept (tens of MiB), and
/// that nothing reads now.
pub(super) fn remove_function_cache(dir: &Path) {
    let old = dir.join("functions");
    if old.is_dir() {
        match std::fs::remove_dir_all(&old) {
            Ok(()) => tracing::info!("removed the unused function cache {}", old.display()),
            Err(e) => tracing::warn!(
                "cannot remove the unused function cache {}: {e}",
                old.display()
            ),
        }
    }
}

/// A temporary name beside `path`, unique to this process and call, for a
/// write that is then renamed into place (so readers never see half a file,
/// even when two threads write the same entry).
pub(super) fn temp_path(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    path.with_extension(format!("tmp-{}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_function_cache_goes_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join("functions/0.1.0/ab");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("cdef"), b"code").unwrap();
        std::fs::write(tmp.path().join("x.cwasm"), b"kept").unwrap();
        remove_function_cache(tmp.path());
        assert!(!tmp.path().join("functions").exists());
        assert_eq!(std::fs::read(tmp.path().join("x.cwasm")).unwrap(), b"kept");
        // Nothing to remove is not an error.
        remove_function_cache(tmp.path());
    }
}
