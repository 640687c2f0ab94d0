//! What a wasmtime `Store` holds for one plugin instance: the plugin's context,
//! the current call's state, WASI's (empty) context and the resource limiter.

use crate::host_api::{CallState, PluginContext, PluginHost, PluginHostView};
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
}

impl PluginHostView for HostState {
    fn plugin_host(&mut self) -> PluginHost<'_> {
        PluginHost {
            plugin: &self.plugin,
            call: &mut self.call,
        }
    }
}

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

/// Bytes a table element is counted for against the memory cap.
const TABLE_ELEMENT_BYTES: usize = 16;

/// Caps the memory of one instance at the manifest's `max_memory_mb`: every
/// linear memory and table of the component counts, summed. A component holds
/// several core instances, each of which may define memories; a cap per memory
/// would let it multiply its share by the number of memories it declares.
pub struct Limiter {
    max_memory_bytes: usize,
    /// Bytes held now by all memories and tables of the instance.
    used_bytes: usize,
    /// Set when a memory growth was refused: a trap that follows is out-of-memory.
    pub memory_refused: bool,
}

impl Limiter {
    fn new(max_memory_bytes: usize) -> Limiter {
        Limiter {
            max_memory_bytes,
            used_bytes: 0,
            memory_refused: false,
        }
    }

    /// Grants `current -> desired` if the sum stays within the cap.
    fn grow(&mut self, current: usize, desired: usize) -> bool {
        let more = desired.saturating_sub(current);
        let total = self.used_bytes.saturating_add(more);
        let ok = total <= self.max_memory_bytes;
        if ok {
            self.used_bytes = total;
        }
        ok
    }

    /// Bytes of memory and tables the instance holds.
    pub fn used_bytes(&self) -> usize {
        self.used_bytes
    }

    /// The memory cap in bytes.
    pub fn max_memory_bytes(&self) -> usize {
        self.max_memory_bytes
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = maximum.is_none_or(|m| desired <= m) && self.grow(current, desired);
        if !ok {
            self.memory_refused = true;
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= MAX_TABLE_ELEMENTS
            && maximum.is_none_or(|m| desired <= m)
            && self.grow(
                current.saturating_mul(TABLE_ELEMENT_BYTES),
                desired.saturating_mul(TABLE_ELEMENT_BYTES),
            );
        if !ok {
            self.memory_refused = true;
        }
        Ok(ok)
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ResourceLimiter;

    #[test]
    fn the_cap_is_summed_over_every_memory_and_table() {
        let mib = 1024 * 1024;
        let mut l = Limiter::new(32 * mib);
        // Three memories of 10 MiB fit, a fourth does not.
        for _ in 0..3 {
            assert!(l.memory_growing(0, 10 * mib, None).unwrap());
        }
        assert!(!l.memory_growing(0, 10 * mib, None).unwrap());
        assert!(l.memory_refused);
        // Growing one of them by 1 MiB fits, by 3 MiB does not.
        assert!(l.memory_growing(10 * mib, 11 * mib, None).unwrap());
        assert!(!l.memory_growing(11 * mib, 14 * mib, None).unwrap());
        // Tables count too.
        assert!(!l.table_growing(0, 100_000, None).unwrap());
        assert_eq!(l.used_bytes(), 31 * mib);
    }
}
