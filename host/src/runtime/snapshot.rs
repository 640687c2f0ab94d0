//! Script plugins, pre-initialised: the engine component (QuickJS, Lua or
//! Rhai) is instantiated once, loads and evaluates the plugin's source, and
//! is snapshotted (wasmtime-wizer). Every call then instantiates that
//! snapshot from a copy-on-write image: per-request isolation without paying
//! for interpreter start-up and parsing on each call.
//!
//! Snapshots are cached on disk, keyed by the engine, the plugin's source
//! files and its configuration (top-level code may read it), so a restart
//! neither re-runs the plugin's top-level code nor recompiles anything.

use super::error::LoadError;
use super::state::HostState;
use super::{Limits, Runtime, script_engines, split};
use crate::host_api::bindings::engine_world::ScriptEngine;
use crate::host_api::bindings::engine_world::exports::raisfast::plugin::engine::SourceFile;
use crate::host_api::{CallState, HostError, PluginContext};
use crate::manifest::RuntimeKind;
use crate::toolchain::nesting;
use crate::toolchain::typescript::{self, SourceMaps};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::Store;
use wasmtime::component::{Instance, Lift, WasmList};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

/// Largest source file of a script plugin.
pub const MAX_SOURCE_FILE: u64 = 4 * 1024 * 1024;
/// Largest total of a script plugin's source files.
pub const MAX_SOURCE_TOTAL: u64 = 32 * 1024 * 1024;
/// Deadline of a plugin's top-level code.
const LOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// A loaded-and-snapshotted script plugin.
pub struct Snapshot {
    /// Names the snapshot: its engine, its source files and its
    /// configuration. Its compiled state is cached under this name.
    pub key: String,
    /// Its state, a data-only core module (memory image and globals) that
    /// its runtime's shared engine imports (see [`super::split`]), when it
    /// was just taken; a snapshot found in the cache is read only if its
    /// compiled state is missing.
    pub state: Option<Vec<u8>>,
    /// The handlers the plugin exports.
    pub handlers: Vec<String>,
}

/// Why a script plugin's sources could not be collected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// A directory or file could not be read.
    #[error("{path}: {message}")]
    Unreadable {
        /// The directory or file.
        path: String,
        /// Why.
        message: String,
    },
    /// One file is over [`MAX_SOURCE_FILE`].
    #[error("{file} is {len} bytes; a source file may have at most {MAX_SOURCE_FILE}")]
    FileTooLarge {
        /// The file, relative to the plugin directory.
        file: String,
        /// Its size.
        len: u64,
    },
    /// All files together are over [`MAX_SOURCE_TOTAL`].
    #[error("the plugin's source files exceed {MAX_SOURCE_TOTAL} bytes")]
    TooLarge,
    /// The npm packages the plugin imports could not be linked.
    #[error(transparent)]
    Packages(#[from] crate::toolchain::npm::PackageError),
    /// A TypeScript file could not be made JavaScript.
    #[error(transparent)]
    TypeScript(#[from] crate::toolchain::typescript::TypeScriptError),
    /// A JS or Rhai source is not UTF-8 (Lua sources are bytes).
    #[error("{file}: not UTF-8 text (byte {offset}); JS and Rhai sources are UTF-8")]
    NotUtf8 {
        /// The file, relative to the plugin directory.
        file: String,
        /// Where the first invalid byte is.
        offset: usize,
    },
}

/// A script plugin's sources, as its engine loads them.
#[derive(Debug, Default)]
pub struct Sources {
    /// Each file's `/`-separated path relative to the plugin directory and
    /// its contents (a `.ts` file's already made JavaScript).
    pub files: Vec<(String, Vec<u8>)>,
    /// Where the JavaScript of `.ts` files came from, for error positions.
    pub maps: SourceMaps,
}

/// The plugin's source files: every file with the runtime's extension under
/// `dir` (hidden directories skipped), as `/`-separated relative paths and
/// their bytes (checked to be UTF-8 for JS and Rhai; TypeScript made
/// JavaScript, see [`crate::toolchain::typescript`]).
pub fn collect_sources(dir: &Path, kind: RuntimeKind) -> Result<Sources, SourceError> {
    let unreadable = |path: &Path, e: &dyn std::fmt::Display| SourceError::Unreadable {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let exts: &[&str] = match kind {
        RuntimeKind::Js => &["js", "mjs", "json", "ts", "mts"],
        RuntimeKind::Lua => &["lua"],
        RuntimeKind::Rhai => &["rhai"],
        RuntimeKind::Wasm => &[],
    };
    let mut out = Vec::new();
    let mut maps = SourceMaps::default();
    let mut total = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| unreadable(&d, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| unreadable(&d, &e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            let ft = entry.file_type().map_err(|e| unreadable(&path, &e))?;
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file()
                && path
                    .extension()
                    .is_some_and(|e| exts.contains(&e.to_str().unwrap_or("")))
            {
                let len = entry.metadata().map_err(|e| unreadable(&path, &e))?.len();
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                if len > MAX_SOURCE_FILE {
                    return Err(SourceError::FileTooLarge { file: rel, len });
                }
                total += len;
                if total > MAX_SOURCE_TOTAL {
                    return Err(SourceError::TooLarge);
                }
                let bytes = crate::plugin_dir::read(dir, Path::new(&rel)).map_err(|e| {
                    SourceError::Unreadable {
                        path: rel.clone(),
                        message: e.to_string(),
                    }
                })?;
                if kind != RuntimeKind::Lua
                    && let Err(e) = std::str::from_utf8(&bytes)
                {
                    return Err(SourceError::NotUtf8 {
                        file: rel,
                        offset: e.valid_up_to(),
                    });
                }
                if kind == RuntimeKind::Js && typescript::is_typescript(&rel) {
                    let text = String::from_utf8(bytes).expect("checked to be UTF-8");
                    let stripped = nesting::on_parser_stack(|| typescript::strip(&rel, &text))?;
                    maps.insert(rel.clone(), stripped.lines);
                    out.push((rel, stripped.code.into_bytes()));
                } else if kind != RuntimeKind::Js || !rel.ends_with(".d.ts") {
                    out.push((rel, bytes));
                }
            }
        }
    }
    out.sort();
    if kind == RuntimeKind::Js
        && (dir.join("package.json").is_file() || dir.join("node_modules").is_dir())
    {
        nesting::on_parser_stack(|| {
            crate::toolchain::npm::link(dir, &mut out, MAX_SOURCE_FILE, MAX_SOURCE_TOTAL)
        })?;
    }
    Ok(Sources { files: out, maps })
}

impl Runtime {
    /// Loads a script plugin into its engine and snapshots it (or takes the
    /// snapshot from the cache).
    pub fn snapshot(
        &self,
        kind: RuntimeKind,
        ctx: Arc<PluginContext>,
        entry: &str,
        files: &[(String, Vec<u8>)],
        limits: Limits,
    ) -> Result<Snapshot, LoadError> {
        let plugin = ctx.id.clone();
        let fail = |message: String| LoadError::Script {
            plugin: plugin.clone(),
            message,
        };
        let key = cache_key(kind, entry, files, &ctx.config);
        let cached = self.snapshot_file(&key);
        if let Some(path) = &cached
            && let Some(handlers) = read_cached(path)
        {
            return Ok(Snapshot {
                key,
                state: None,
                handlers,
            });
        }
        let shared = self.shared_engine(kind).map_err(|e| fail(e.to_string()))?;
        let parts = self
            .snapshot_parts(&shared)
            .map_err(|e| fail(e.to_string()))?;
        let pre = self
            .link_initial(&shared, &parts)
            .map_err(|e| fail(format!("linking the engine: {e:#}")))?;
        let mut store = Store::new(
            self.engine(),
            HostState::new(Arc::clone(&ctx), limits.max_memory_bytes),
        );
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(LOAD_TIMEOUT.as_millis() as u64 / self.epoch_tick_ms + 1);
        let mut call = CallState::new("<load>", LOAD_TIMEOUT, 0);
        call.loading = true;
        store.data_mut().call = call;
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| fail(format!("instantiating the engine: {e:#}")))?;
        let engine =
            ScriptEngine::new(&mut store, &instance).map_err(|e| fail(format!("{e:#}")))?;
        let sources: Vec<SourceFile> = files
            .iter()
            .map(|(path, contents)| SourceFile {
                path: path.clone(),
                contents: contents.clone(),
            })
            .collect();
        let handlers = match engine
            .raisfast_plugin_engine()
            .call_load(&mut store, entry, &sources)
        {
            Ok(Ok(names)) => names,
            Ok(Err(e)) => {
                let e = HostError::from(e);
                let msg = match e {
                    HostError::Invalid(m) | HostError::Failed(m) => m,
                    other => other.to_string(),
                };
                return Err(fail(msg));
            }
            Err(trap) => {
                let why = match trap.downcast_ref::<wasmtime::Trap>() {
                    Some(wasmtime::Trap::Interrupt) => format!(
                        "its top-level code ran for more than {} s",
                        LOAD_TIMEOUT.as_secs()
                    ),
                    _ if store.data().limiter.memory_refused => format!(
                        "its top-level code needed more than {} MiB (max_memory_mb)",
                        limits.max_memory_bytes / (1024 * 1024)
                    ),
                    _ => format!("the engine crashed while loading it: {trap:#}"),
                };
                return Err(fail(why));
            }
        };
        let whole = block_on(Wizer::new().snapshot_component(
            &parts.wizer_cx,
            &mut Access {
                store: &mut store,
                instance,
            },
        ))
        .map_err(|e| fail(format!("taking the snapshot: {e:#}")))?;
        let state = split::state_of(&whole, parts.main_module)
            .map_err(|e| fail(format!("taking the snapshot: {e}")))?;
        if let Some(path) = &cached {
            write_cached(path, &state, &handlers);
        }
        Ok(Snapshot {
            key,
            state: Some(state),
            handlers,
        })
    }

    /// Where the snapshot named `key` is kept, with the compile cache.
    pub(super) fn snapshot_file(&self, key: &str) -> Option<PathBuf> {
        let dir = self.cache_dir.as_ref()?.join("snapshots");
        Some(dir.join(format!("{key}.state")))
    }
}

fn cache_key(
    kind: RuntimeKind,
    entry: &str,
    files: &[(String, Vec<u8>)],
    config: &serde_json::Value,
) -> String {
    let mut h = Sha256::new();
    h.update(script_engines::hash(kind));
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(entry);
    for (path, text) in files {
        h.update((path.len() as u64).to_le_bytes());
        h.update(path);
        h.update((text.len() as u64).to_le_bytes());
        h.update(text);
    }
    h.update(config.to_string());
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", kind.as_str())
}

/// The handlers of the snapshot cached at `path`, if it is there (its
/// state is left on disk until needed).
fn read_cached(path: &Path) -> Option<Vec<String>> {
    if !path.is_file() {
        return None;
    }
    let handlers = std::fs::read_to_string(path.with_extension("handlers")).ok()?;
    Some(handlers.lines().map(str::to_string).collect())
}

fn write_cached(path: &Path, state: &[u8], handlers: &[String]) {
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        let tmp = super::cache::temp_path(path);
        std::fs::write(path.with_extension("handlers"), handlers.join("\n"))?;
        std::fs::write(&tmp, state)?;
        std::fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        tracing::warn!("cannot cache the snapshot {}: {e}", path.display());
    }
}

/// Polls a future that never waits on I/O (wizer's, over synchronous calls).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// What wizer needs to read the loaded instance's state.
struct Access<'a> {
    store: &'a mut Store<HostState>,
    instance: Instance,
}

impl Access<'_> {
    fn call<R: Lift + Send + Sync + 'static>(&mut self, instance: &str, func: &str) -> R {
        let (_, inst) = self
            .instance
            .get_export(&mut *self.store, None, instance)
            .unwrap_or_else(|| panic!("wizer instrumentation exports {instance}"));
        let (_, f) = self
            .instance
            .get_export(&mut *self.store, Some(&inst), func)
            .unwrap_or_else(|| panic!("wizer instrumentation exports {instance}#{func}"));
        let typed = self
            .instance
            .get_typed_func::<(), (R,)>(&mut *self.store, f)
            .unwrap_or_else(|e| panic!("{instance}#{func}: {e}"));
        typed
            .call(&mut *self.store, ())
            .unwrap_or_else(|e| panic!("{instance}#{func}: {e}"))
            .0
    }
}

impl ComponentInstanceState for Access<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        let list: WasmList<u8> = self.call(instance, func);
        contents(list.as_le_slice(&*self.store));
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call::<f32>(instance, func).to_bits()
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call::<f64>(instance, func).to_bits()
    }
}
