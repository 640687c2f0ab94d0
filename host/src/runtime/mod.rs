//! The wasm runtime: one engine, one linker with the whole host API, and the
//! plugins loaded into it.
//!
//! Every plugin, whatever its language, is a WebAssembly component run by
//! this module: it is compiled once (and cached on disk), linked once
//! (`InstancePre`), and instantiated per call or per pool slot
//! ([`instance`]). A call has a deadline (epoch interruption), a memory cap
//! (a resource limiter) and a stack limit; breaking one fails that call only.

mod cache;
mod engine_config;
mod error;
mod instance;
mod metrics;
pub mod script_engines;
mod shared;
mod snapshot;
mod split;
mod state;
mod warm;
mod wasi;

pub use error::{CallError, CallErrorKind, CallFailure, LoadError};
pub use instance::{CallOutcome, InstancePolicy, Limits, LoadedPlugin, MAX_RESULT_BYTES};
pub use metrics::{HandlerMetrics, Metrics};
pub use snapshot::{MAX_SOURCE_FILE, MAX_SOURCE_TOTAL, Snapshot, SourceError, collect_sources};
pub use state::HostState;
pub use warm::WarmStats;

use crate::host_api::bindings::PluginPre;
use crate::host_api::{self, PluginContext};
use crate::settings::Settings;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

/// The engine, the linker and the compile cache.
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    cache: Option<cache::CompileCache>,
    cache_dir: Option<PathBuf>,
    pooling: bool,
    max_memory_mb: u32,
    max_timeout_ms: u64,
    epoch_tick_ms: u64,
    shared: shared::SharedEngines,
    warm: Arc<warm::WarmSet>,
}

impl Runtime {
    /// Builds the engine (pooling when possible), links the host API and WASI,
    /// and starts the epoch ticker.
    pub fn new(settings: &Settings) -> wasmtime::Result<Runtime> {
        let rs = &settings.runtime;
        let cache_dir = rs.compile_cache.then(|| settings.cache_dir());
        if let Some(d) = &cache_dir {
            cache::remove_function_cache(d);
        }
        let (engine, pooling) = engine_config::build(rs)?;
        engine_config::start_ticker(&engine, rs.epoch_tick_ms);
        let mut linker = Linker::new(&engine);
        // Components built for wasm32-wasip2 import WASI even when unused: the
        // context is empty (no files, no environment, no network), and no
        // wait outlasts the call's deadline.
        wasi::add_to_linker(&mut linker)?;
        host_api::add_to_linker(&mut linker)?;
        let cache = cache_dir
            .as_ref()
            .map(|d| cache::CompileCache::new(d, &engine));
        Ok(Runtime {
            engine,
            linker: Arc::new(linker),
            cache,
            cache_dir,
            pooling,
            max_memory_mb: rs.max_memory_mb,
            max_timeout_ms: rs.max_timeout_ms,
            epoch_tick_ms: rs.epoch_tick_ms,
            shared: shared::SharedEngines::default(),
            warm: warm::WarmSet::new(u64::from(rs.warm_memory_mb) * 1024 * 1024),
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The script plugins kept warm now, within `[runtime] warm_memory_mb`.
    pub fn warm(&self) -> WarmStats {
        self.warm.stats()
    }

    /// Whether the pooling allocator is in use (else on-demand allocation).
    pub fn uses_pooling(&self) -> bool {
        self.pooling
    }

    /// Compiles a component, through the on-disk cache when enabled.
    pub fn compile(&self, wasm: &[u8]) -> wasmtime::Result<Component> {
        match &self.cache {
            Some(c) => c.load_or_compile(&self.engine, wasm),
            None => Component::new(&self.engine, wasm),
        }
    }

    /// Compiles a core module (a script plugin's state), through the cache.
    pub fn compile_module(&self, wasm: &[u8]) -> wasmtime::Result<wasmtime::Module> {
        match &self.cache {
            Some(c) => c.load_or_compile_module(&self.engine, wasm),
            None => wasmtime::Module::new(&self.engine, wasm),
        }
    }

    fn link(&self, component: &Component) -> wasmtime::Result<PluginPre<HostState>> {
        self.linker
            .instantiate_pre(component)
            .and_then(PluginPre::new)
    }

    /// Refuses limits above the operator's ceilings (`[runtime] max_memory_mb`
    /// and `max_timeout_ms`), naming both numbers.
    pub fn check_limits(&self, plugin: &str, limits: Limits) -> Result<(), LoadError> {
        let refuse = |message: String| LoadError::Limits {
            plugin: plugin.to_string(),
            message,
        };
        let mb = limits.max_memory_bytes / (1024 * 1024);
        if mb > self.max_memory_mb as usize {
            return Err(refuse(format!(
                "max_memory_mb = {mb} is above the server's limit of {} ([runtime] max_memory_mb in raisfast.toml)",
                self.max_memory_mb
            )));
        }
        let ms = limits.timeout.as_millis() as u64;
        if ms > self.max_timeout_ms {
            return Err(refuse(format!(
                "timeout_ms = {ms} is above the server's limit of {} ([runtime] max_timeout_ms in raisfast.toml)",
                self.max_timeout_ms
            )));
        }
        Ok(())
    }

    /// Compiles and links a plugin's component.
    pub fn load(
        &self,
        ctx: Arc<PluginContext>,
        entry: &str,
        wasm: &[u8],
        limits: Limits,
        policy: InstancePolicy,
    ) -> Result<LoadedPlugin, LoadError> {
        let plugin = ctx.id.clone();
        self.check_limits(&plugin, limits)?;
        let component = self.compile(wasm).map_err(|e| LoadError::Compile {
            plugin: plugin.clone(),
            path: entry.to_string(),
            message: format!("{e:#}"),
        })?;
        let pre = self.link(&component).map_err(|e| LoadError::Link {
            plugin: plugin.clone(),
            message: format!(
                "{entry} does not fit the raisfast:plugin@0.1.0 `plugin` world: {e:#}"
            ),
        })?;
        Ok(LoadedPlugin::new(
            ctx,
            warm::Link::Fixed(pre),
            self.engine.clone(),
            limits,
            policy,
        ))
    }
}
