//! The one `wasmtime::Engine`: component model, epoch interruption, and the
//! pooling allocator with copy-on-write memory images.
//!
//! Trade-offs of the knobs (all in [`RuntimeSettings`]):
//!
//! - **pooling** reserves address space for `pool_slots` instances up front
//!   (each memory slot spans `max_memory_mb` plus guard pages) and makes
//!   instantiation a matter of resetting a slot. Where the reservation is
//!   refused (a low `ulimit -v`, a 32-bit address space), the engine falls back
//!   to on-demand allocation: slower instantiation, same behaviour.
//! - **epoch interruption** costs a check on loop back-edges and function
//!   entries, far cheaper than fuel; deadlines are as precise as
//!   `epoch_tick_ms`.
//! - **copy-on-write images** map a module's initial memory from one shared
//!   image, so a fresh instance costs page faults, not a copy;
//!   **keep-resident** memory (`keep_resident_kb`) then restores only the
//!   pages an instance dirtied and keeps them mapped, so the next instance in
//!   that slot takes no page faults at all. Unused slots stay warm (keep
//!   their plugin's image and resident pages) within a budget for the whole
//!   server (`warm_memory_mb`, about 1 MiB per slot), and the plugins whose
//!   images they may hold are bounded by the same budget ([`super::warm`]):
//!   the most recently called plugins stay warm, the others are made cold
//!   and their slots emptied, so resident memory follows the plugins called
//!   often rather than every plugin ever called.

use crate::settings::RuntimeSettings;
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
};

/// Core instances reserved per component slot (a component holds its main
/// module plus a few adapter and shim modules; a script engine also its
/// plugin's state module and wizer's state accessor).
const CORE_INSTANCES_PER_SLOT: u32 = 6;

/// Bytes of each table slot reset in place rather than unmapped (the engines'
/// function tables are a few thousand entries).
const TABLE_KEEP_RESIDENT: usize = 64 * 1024;

fn base_config() -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true)
        .epoch_interruption(true)
        .memory_init_cow(true)
        .cranelift_opt_level(OptLevel::Speed)
        .parallel_compilation(true)
        .wasm_exceptions(true)
        .max_wasm_stack(1024 * 1024);
    c
}

fn pooling_config(s: &RuntimeSettings) -> PoolingAllocationConfig {
    let mut p = PoolingAllocationConfig::default();
    let slots = s.pool_slots.max(1);
    p.total_component_instances(slots)
        .total_core_instances(slots * CORE_INSTANCES_PER_SLOT)
        .total_memories(slots)
        .total_tables(slots * 2)
        .max_memory_size(s.max_memory_mb as usize * 1024 * 1024)
        .linear_memory_keep_resident(s.keep_resident_kb as usize * 1024)
        .table_keep_resident(TABLE_KEEP_RESIDENT)
        .max_unused_warm_slots(warm_slots(s).min(slots))
        .pagemap_scan(Enabled::Auto);
    p
}

/// What an unused warm slot holds, as counted against the budget: the pages
/// of its image a call read and the ones it dirtied (restored), measured at
/// 0.4 to 0.7 MiB for the script engines' tiny calls.
const WARM_SLOT_KB: u64 = 1024;

/// Unused slots that may stay warm within `[runtime] warm_memory_mb`. Which
/// plugins' images they hold is bounded by the warm set ([`super::warm`]):
/// a plugin made cold has its slots emptied.
pub fn warm_slots(s: &RuntimeSettings) -> u32 {
    let per_slot_kb = WARM_SLOT_KB.min(u64::from(s.keep_resident_kb).max(256));
    ((u64::from(s.warm_memory_mb) * 1024) / per_slot_kb).max(1) as u32
}

/// Builds the engine; returns whether the pooling allocator is in use.
pub fn build(s: &RuntimeSettings) -> wasmtime::Result<(Engine, bool)> {
    if s.pooling {
        let mut c = base_config();
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(s)));
        match Engine::new(&c) {
            Ok(engine) => return Ok((engine, true)),
            Err(e) => tracing::warn!(
                "the pooling allocator could not reserve its memory ({e}); falling back to on-demand allocation"
            ),
        }
    }
    Ok((Engine::new(&base_config())?, false))
}

/// Increments the engine's epoch every `tick` until the engine is dropped.
pub fn start_ticker(engine: &Engine, tick_ms: u64) {
    let weak = engine.weak();
    let tick = std::time::Duration::from_millis(tick_ms.max(1));
    std::thread::Builder::new()
        .name("raisfast-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(tick);
            }
        })
        .expect("spawning the epoch thread");
}
