//! The WASI a plugin gets: only the interfaces the script engines and
//! compiled plugins import, and none that can outlast the call.
//!
//! Components built for `wasm32-wasip2` import WASI (their standard library's
//! start-up, clocks, randomness) even when the plugin never uses it, so WASI is
//! linked, but narrowly:
//!
//! - **linked**: `cli` (no arguments, no environment, stdin empty, stdout and
//!   stderr discarded), `clocks`, `random`, `filesystem` (with no preopened
//!   directory, so no file can be opened), `io` (streams over the above);
//! - **not linked**: `sockets` (a plugin reaches the network only through the
//!   host API's allow-listed `http`): a component importing it fails to load
//!   with the import named;
//! - **bounded**: every wait that WASI can express is a pollable of the
//!   monotonic clock (the other streams are always ready), and the clock's
//!   `subscribe-duration` and `subscribe-instant` are clamped to the call's
//!   deadline. A plugin that sleeps, polls or blocks for ten minutes wakes at
//!   its deadline, where the epoch check stops it at once. At load time, the
//!   deadline is the load deadline, so top-level code cannot hang a start-up.

use super::state::HostState;
use std::time::{Duration, Instant};
use wasmtime::component::{HasData, Linker, Resource};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::{WasiCli, WasiCliView};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksCtxView, WasiClocksView};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, io, random, sync};
use wasmtime_wasi::random::WasiRandom;

/// The monotonic clock of one call: WASI's, with every subscription ending at
/// the call's deadline at the latest.
pub struct DeadlineClock<'a> {
    clocks: WasiClocksCtxView<'a>,
    remaining: Duration,
}

struct DeadlineClocks;

impl HasData for DeadlineClocks {
    type Data<'a> = DeadlineClock<'a>;
}

impl<'a> DeadlineClock<'a> {
    /// The clock for a call that must end `remaining` from now.
    pub fn new(clocks: WasiClocksCtxView<'a>, remaining: Duration) -> DeadlineClock<'a> {
        DeadlineClock { clocks, remaining }
    }

    fn remaining_nanos(&self) -> u64 {
        u64::try_from(self.remaining.as_nanos()).unwrap_or(u64::MAX)
    }
}

impl clocks::monotonic_clock::Host for DeadlineClock<'_> {
    fn now(&mut self) -> wasmtime::Result<u64> {
        clocks::monotonic_clock::Host::now(&mut self.clocks)
    }

    fn resolution(&mut self) -> wasmtime::Result<u64> {
        clocks::monotonic_clock::Host::resolution(&mut self.clocks)
    }

    fn subscribe_duration(&mut self, duration: u64) -> wasmtime::Result<Resource<DynPollable>> {
        let bounded = duration.min(self.remaining_nanos());
        clocks::monotonic_clock::Host::subscribe_duration(&mut self.clocks, bounded)
    }

    fn subscribe_instant(&mut self, when: u64) -> wasmtime::Result<Resource<DynPollable>> {
        let now = clocks::monotonic_clock::Host::now(&mut self.clocks)?;
        let latest = now.saturating_add(self.remaining_nanos());
        clocks::monotonic_clock::Host::subscribe_instant(&mut self.clocks, when.min(latest))
    }
}

fn deadline_clock(s: &mut HostState) -> DeadlineClock<'_> {
    let remaining = s.call.deadline.saturating_duration_since(Instant::now());
    DeadlineClock::new(s.clocks(), remaining)
}

struct Io;

impl HasData for Io {
    type Data<'a> = &'a mut wasmtime::component::ResourceTable;
}

/// Adds the WASI interfaces described above to `linker`.
pub fn add_to_linker(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    clocks::wall_clock::add_to_linker::<HostState, WasiClocks>(l, |s| s.clocks())?;
    clocks::monotonic_clock::add_to_linker::<HostState, DeadlineClocks>(l, deadline_clock)?;
    random::random::add_to_linker::<HostState, WasiRandom>(l, |s| s.ctx().ctx.random())?;
    random::insecure::add_to_linker::<HostState, WasiRandom>(l, |s| s.ctx().ctx.random())?;
    random::insecure_seed::add_to_linker::<HostState, WasiRandom>(l, |s| s.ctx().ctx.random())?;
    cli::exit::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::environment::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::stdin::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::stdout::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::stderr::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::terminal_input::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::terminal_output::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::terminal_stdin::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::terminal_stdout::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    cli::terminal_stderr::add_to_linker::<HostState, WasiCli>(l, |s| s.cli())?;
    filesystem::preopens::add_to_linker::<HostState, WasiFilesystem>(l, |s| s.filesystem())?;
    sync::filesystem::types::add_to_linker::<HostState, WasiFilesystem>(l, |s| s.filesystem())?;
    io::error::add_to_linker::<HostState, Io>(l, |s| s.ctx().table)?;
    sync::io::poll::add_to_linker::<HostState, Io>(l, |s| s.ctx().table)?;
    sync::io::streams::add_to_linker::<HostState, Io>(l, |s| s.ctx().table)?;
    Ok(())
}
