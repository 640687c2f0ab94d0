//! A loaded plugin: its linked component (`PluginPre`), its limits, and how
//! its instances are kept.
//!
//! Two instance policies:
//!
//! - **fresh** (script plugins): every call gets a new instance and drops it,
//!   so nothing leaks between calls;
//! - **pooled** (wasm plugins, as the seed describes): `pool_size` instances
//!   used round-robin; state in an instance persists between its calls.
//!
//! Either way, an instance that traps, times out or runs out of memory is
//! discarded; the next call gets a new one.

use super::error::{CallError, CallErrorKind, CallFailure, Preempted};
use super::metrics::{Counted, Metrics};
use super::state::HostState;
use super::warm::Link;
use crate::host_api::bindings::Plugin;
use crate::host_api::bindings::raisfast::plugin::types::{RouteRequest, RouteResponse};
use crate::host_api::{CallState, EmittedEvent, HostError, LogLine, PluginContext};
use crate::toolchain::typescript::SourceMaps;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

type GuestResult<T> =
    wasmtime::Result<Result<T, crate::host_api::bindings::raisfast::plugin::types::Error>>;
use std::time::{Duration, Instant};
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

/// Limits applied to every call of one plugin.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deadline of one call.
    pub timeout: Duration,
    /// Memory cap of one instance in bytes.
    pub max_memory_bytes: usize,
}

/// Largest result a handler may return (a hook's JSON, a route's body).
pub const MAX_RESULT_BYTES: usize = 16 * 1024 * 1024;

/// The size of what a handler returned.
pub trait ResultSize {
    /// Bytes.
    fn size(&self) -> usize;
}

impl ResultSize for Option<String> {
    fn size(&self) -> usize {
        self.as_ref().map_or(0, String::len)
    }
}

impl ResultSize for RouteResponse {
    fn size(&self) -> usize {
        self.body.len()
            + self
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.len())
                .sum::<usize>()
    }
}

/// How a plugin's instances are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstancePolicy {
    /// A new instance for every call.
    Fresh,
    /// This many instances, used round-robin.
    Pooled(usize),
}

/// What a call returned, with what the plugin did on the way.
#[derive(Debug, Clone)]
pub struct CallOutcome<T> {
    /// The value returned.
    pub value: T,
    /// Log lines written.
    pub logs: Vec<LogLine>,
    /// Events emitted, to deliver.
    pub events: Vec<EmittedEvent>,
    /// Host calls refused.
    pub denials: u32,
    /// Wall-clock time of the call.
    pub elapsed: Duration,
}

struct Live {
    store: Store<HostState>,
    plugin: Plugin,
    _counted: Counted,
}

/// A plugin ready to be called.
pub struct LoadedPlugin {
    ctx: Arc<PluginContext>,
    link: Link,
    engine: Engine,
    limits: Limits,
    slots: Vec<Mutex<Option<Live>>>,
    next: AtomicUsize,
    handlers: Option<Vec<String>>,
    /// Where a TypeScript plugin's generated lines came from.
    source_maps: Option<Arc<SourceMaps>>,
    /// Call counters.
    pub metrics: Metrics,
}

impl LoadedPlugin {
    pub(crate) fn new(
        ctx: Arc<PluginContext>,
        link: Link,
        engine: Engine,
        limits: Limits,
        policy: InstancePolicy,
    ) -> LoadedPlugin {
        let n = match policy {
            InstancePolicy::Fresh => 0,
            InstancePolicy::Pooled(n) => n.max(1),
        };
        LoadedPlugin {
            ctx,
            link,
            engine,
            limits,
            slots: (0..n).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            handlers: None,
            source_maps: None,
            metrics: Metrics::default(),
        }
    }

    /// Records the handlers a script plugin exports.
    pub fn with_handlers(mut self, handlers: Vec<String>) -> LoadedPlugin {
        self.handlers = Some(handlers);
        self
    }

    /// Records where a TypeScript plugin's code came from, so that its errors
    /// name `.ts` lines.
    pub fn with_source_maps(mut self, maps: SourceMaps) -> LoadedPlugin {
        self.source_maps = (!maps.is_empty()).then(|| Arc::new(maps));
        self
    }

    /// The handlers the plugin exports: a script's exported functions, or for a
    /// wasm plugin `None` (a component exports one `handle` function).
    pub fn handlers(&self) -> Option<&[String]> {
        self.handlers.as_deref()
    }

    /// Whether the plugin handles `hook`: it exports a handler of that name,
    /// or (a wasm plugin) it may handle anything.
    pub fn exports(&self, handler: &str) -> bool {
        self.handlers
            .as_ref()
            .is_none_or(|h| h.iter().any(|n| n == handler))
    }

    /// The plugin id.
    pub fn id(&self) -> &str {
        &self.ctx.id
    }

    /// What the host API knows of the plugin.
    pub fn context(&self) -> &Arc<PluginContext> {
        &self.ctx
    }

    /// Whether it is linked now (a script plugin made cold to stay within
    /// `[runtime] warm_memory_mb` is linked again by its next call).
    pub fn is_warm(&self) -> bool {
        self.link.is_warm()
    }

    /// Its limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Runs `handle(hook, payload)`: a hook, event, cron job or lifecycle call.
    pub fn call_hook(
        &self,
        handler: &str,
        payload: &str,
        event_depth: u32,
    ) -> Result<CallOutcome<Option<String>>, CallFailure> {
        self.call(handler, event_depth, |store, p| {
            p.raisfast_plugin_guest()
                .call_handle(store, handler, &payload.to_string())
        })
    }

    /// Runs `route(request)` for one of the plugin's routes.
    pub fn call_route(
        &self,
        request: &RouteRequest,
    ) -> Result<CallOutcome<RouteResponse>, CallFailure> {
        self.call(&request.handler, 0, |store, p| {
            p.raisfast_plugin_guest().call_route(store, request)
        })
    }

    fn instantiate(&self) -> Result<Live, CallError> {
        let mut store = Store::new(
            &self.engine,
            HostState::new(Arc::clone(&self.ctx), self.limits.max_memory_bytes),
        );
        store.limiter(|s| &mut s.limiter);
        // Each epoch tick checks the call: past its deadline, or preempted by
        // a core write, it stops here.
        store.epoch_deadline_callback(|ctx| {
            let call = &ctx.data().call;
            if call.preempted.load(Ordering::Relaxed) {
                return Err(wasmtime::Error::new(Preempted));
            }
            if Instant::now() >= call.deadline {
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Continue(1))
        });
        // Instantiation (a component's start functions) gets the call's limits.
        store.data_mut().call = CallState::new("<instantiate>", self.limits.timeout, 0);
        store.set_epoch_deadline(1);
        let failed = |message: String| {
            CallError::before_call(&self.ctx.id, CallErrorKind::Instantiate { message })
        };
        let pre = self.link.pre().map_err(|e| failed(e.to_string()))?;
        let plugin = pre
            .instantiate(&mut store)
            .map_err(|e| failed(format!("{e:#}")))?;
        Ok(Live {
            store,
            plugin,
            _counted: Counted::new(&self.metrics, &self.ctx),
        })
    }

    fn slot(&self) -> MutexGuard<'_, Option<Live>> {
        let n = self.slots.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(guard) = self.slots[(start + i) % n].try_lock() {
                return guard;
            }
        }
        self.slots[start % n]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn call<T: ResultSize>(
        &self,
        handler: &str,
        event_depth: u32,
        f: impl FnOnce(&mut Store<HostState>, &Plugin) -> GuestResult<T>,
    ) -> Result<CallOutcome<T>, CallFailure> {
        if self.slots.is_empty() {
            match self.instantiate() {
                Ok(mut live) => self.run(&mut live, handler, event_depth, f).0,
                Err(e) => {
                    self.observe(handler, Duration::ZERO, 0, Some(&e));
                    Err(e.into())
                }
            }
        } else {
            let mut guard = self.slot();
            if guard.is_none() {
                match self.instantiate() {
                    Ok(live) => *guard = Some(live),
                    Err(e) => {
                        self.observe(handler, Duration::ZERO, 0, Some(&e));
                        return Err(e.into());
                    }
                }
            }
            let live = guard.as_mut().expect("filled above");
            let (result, poisoned) = self.run(live, handler, event_depth, f);
            if poisoned {
                // A trapped instance must never run again.
                *guard = None;
            }
            result
        }
    }

    /// Records a call (see [`Metrics::observe`]).
    fn observe(&self, handler: &str, elapsed: Duration, denials: u32, error: Option<&CallError>) {
        self.metrics
            .observe(&self.ctx, handler, elapsed, denials, error);
    }

    /// Runs one call on `live`; also says whether the instance trapped.
    fn run<T: ResultSize>(
        &self,
        live: &mut Live,
        handler: &str,
        event_depth: u32,
        f: impl FnOnce(&mut Store<HostState>, &Plugin) -> GuestResult<T>,
    ) -> (Result<CallOutcome<T>, CallFailure>, bool) {
        let started = Instant::now();
        let span = tracing::debug_span!(
            target: crate::telemetry::otlp::TARGET,
            "plugin.call",
            plugin = %self.ctx.id,
            handler = %handler,
            otel.status_code = tracing::field::Empty,
        );
        let _entered = span.enter();
        let data = live.store.data_mut();
        data.call = CallState::new(handler, self.limits.timeout, event_depth);
        data.limiter.memory_refused = false;
        live.store.set_epoch_deadline(1);
        let result = f(&mut live.store, &live.plugin);
        // Ending the call drops its database connection: an open transaction rolls back.
        let call = std::mem::replace(
            &mut live.store.data_mut().call,
            CallState::new("", Duration::ZERO, 0),
        );
        let denials = call.denials;
        let memory_refused = live.store.data().limiter.memory_refused;
        let (result, poisoned) = self.outcome(handler, result, call, memory_refused, started);
        let error = result.as_ref().err().map(|f| &f.error);
        self.observe(handler, started.elapsed(), denials, error);
        if error.is_some() {
            span.record("otel.status_code", "ERROR");
        }
        (result, poisoned)
    }

    /// The call's outcome, and whether its instance must be discarded.
    fn outcome<T: ResultSize>(
        &self,
        handler: &str,
        result: GuestResult<T>,
        call: CallState,
        memory_refused: bool,
        started: Instant,
    ) -> (Result<CallOutcome<T>, CallFailure>, bool) {
        match result {
            Ok(Ok(value)) if value.size() > MAX_RESULT_BYTES => {
                let error = CallError::new(
                    &self.ctx.id,
                    handler,
                    CallErrorKind::Plugin {
                        error: HostError::Limit(format!(
                            "the handler returned {} bytes; the limit is {MAX_RESULT_BYTES}",
                            value.size()
                        )),
                    },
                );
                (
                    Err(CallFailure {
                        error,
                        logs: call.logs,
                    }),
                    false,
                )
            }
            Ok(Ok(value)) => {
                let outcome = CallOutcome {
                    value,
                    logs: call.logs,
                    events: call.events,
                    denials: call.denials,
                    elapsed: started.elapsed(),
                };
                (Ok(outcome), false)
            }
            Ok(Err(e)) => {
                // An engine that survives a refused allocation (QuickJS throws
                // "out of memory") still failed for lack of memory.
                let error = if memory_refused {
                    self.out_of_memory(handler)
                } else {
                    let mut error = HostError::from(e);
                    if let Some(maps) = &self.source_maps {
                        error = error.map_message(|m| maps.rewrite(&m));
                    }
                    CallError::new(&self.ctx.id, handler, CallErrorKind::Plugin { error })
                };
                let logs = call.logs;
                (Err(CallFailure { error, logs }), false)
            }
            Err(trap) => {
                let error = self.classify(handler, trap, memory_refused);
                let logs = call.logs;
                (Err(CallFailure { error, logs }), true)
            }
        }
    }

    fn classify(&self, handler: &str, trap: wasmtime::Error, memory_refused: bool) -> CallError {
        let kind = if trap.downcast_ref::<Preempted>().is_some() {
            CallErrorKind::Preempted
        } else {
            match trap.downcast_ref::<Trap>() {
                Some(Trap::Interrupt) => CallErrorKind::Timeout {
                    timeout_ms: self.limits.timeout.as_millis() as u64,
                },
                Some(Trap::StackOverflow) => CallErrorKind::StackOverflow,
                _ if memory_refused => return self.out_of_memory(handler),
                _ => CallErrorKind::Trap {
                    message: trap_message(&trap),
                },
            }
        };
        CallError::new(&self.ctx.id, handler, kind)
    }

    fn out_of_memory(&self, handler: &str) -> CallError {
        CallError::new(
            &self.ctx.id,
            handler,
            CallErrorKind::OutOfMemory {
                limit_mb: (self.limits.max_memory_bytes / (1024 * 1024)) as u64,
            },
        )
    }
}

/// The trap's reason and the top frames of its wasm backtrace.
fn trap_message(e: &wasmtime::Error) -> String {
    // The chain without the backtrace (added below, shortened): a host
    // function's refusal to lift a guest's value is in an inner cause.
    let mut msg = match e.downcast_ref::<Trap>() {
        Some(t) => t.to_string(),
        None => e
            .chain()
            .map(ToString::to_string)
            .filter(|c| !c.starts_with("error while executing at wasm backtrace"))
            .collect::<Vec<_>>()
            .join(": "),
    };
    if let Some(bt) = e.downcast_ref::<wasmtime::WasmBacktrace>() {
        for frame in bt.frames().iter().take(4) {
            let name = frame.func_name().unwrap_or("<unknown>");
            msg.push_str(&format!("\n    at {name}"));
        }
    }
    msg
}
