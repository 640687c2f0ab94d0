//! What a wasmtime `Store` holds for one plugin instance: the plugin's context,
//! the current call's state, WASI's (empty) context and the resource limiter.

use crate::host_api::{CallState, HostError, PluginContext};
use crate::runtime::bindings::raisfast::plugin::types::Error as WitError;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The data of every store: one per instance.
pub struct HostState {
    /// The plugin this instance belongs to.
    pub plugin: Arc<PluginContext>,
    /// The call in progress (a fresh one between calls).
    pub call: CallState,
    wasi: WasiCtx,
    table: ResourceTable,
    /// Caps memory and table growth; remembers a refused growth.
    pub limiter: Limiter,
}

impl HostState {
    /// State for a new instance of `plugin`, with a memory cap in bytes.
    pub fn new(plugin: Arc<PluginContext>, max_memory_bytes: usize) -> HostState {
        HostState {
            plugin,
            call: CallState::new("", Duration::ZERO, 0),
            // No preopens, no environment, no arguments, no stdin; stdout and
            // stderr go nowhere. Clocks and randomness are the host's.
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limiter: Limiter::new(max_memory_bytes),
        }
    }

    /// Runs one host call: refused while the plugin is being loaded (its
    /// top-level code), denials counted, the result converted for the guest.
    pub fn run<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&PluginContext, &mut CallState) -> Result<T, HostError>,
    ) -> Result<T, WitError> {
        let r = if self.call.loading {
            Err(HostError::Invalid(format!(
                "{what} is not available while the plugin loads (its top-level code); call it from a handler"
            )))
        } else {
            f(&self.plugin, &mut self.call)
        };
        self.done(r)
    }

    /// Counts a denial and converts the result for the guest.
    pub fn done<T>(&mut self, r: Result<T, HostError>) -> Result<T, WitError> {
        if let Err(HostError::Denied(msg)) = &r {
            self.call.denials += 1;
            tracing::warn!(plugin = %self.plugin.id, hook = %self.call.hook, "denied: {msg}");
        }
        r.map_err(WitError::from)
    }
}

impl crate::runtime::bindings::raisfast::plugin::types::Host for HostState {}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Table elements an instance may grow to.
const MAX_TABLE_ELEMENTS: usize = 100_000;
/// Instances, memories and tables per store (a component holds several core instances).
const MAX_OBJECTS: usize = 64;

/// Caps linear memory per instance at the manifest's `max_memory_mb`.
pub struct Limiter {
    max_memory_bytes: usize,
    /// Set when a memory growth was refused: a trap that follows is out-of-memory.
    pub memory_refused: bool,
}

impl Limiter {
    fn new(max_memory_bytes: usize) -> Limiter {
        Limiter {
            max_memory_bytes,
            memory_refused: false,
        }
    }

    /// The memory cap in bytes.
    pub fn max_memory_bytes(&self) -> usize {
        self.max_memory_bytes
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.max_memory_bytes && maximum.is_none_or(|m| desired <= m);
        if !ok {
            self.memory_refused = true;
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS && maximum.is_none_or(|m| desired <= m))
    }

    fn instances(&self) -> usize {
        MAX_OBJECTS
    }

    fn tables(&self) -> usize {
        MAX_OBJECTS
    }

    fn memories(&self) -> usize {
        MAX_OBJECTS
    }
}
