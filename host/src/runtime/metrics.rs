//! Call metrics of a loaded plugin: totals, and per handler the calls, errors,
//! denials, timeouts and latency percentiles (over the last 1024 calls); and
//! the count of its live instances in the server's telemetry.

use super::error::CallError;
use crate::host_api::PluginContext;
use crate::telemetry::{CallSeries, Outcome};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts a live instance in `raisfast_plugin_instances_live` until dropped.
pub(super) struct Counted {
    gauge: metrics::Gauge,
}

impl Counted {
    pub(super) fn new(metrics: &Metrics, ctx: &PluginContext) -> Counted {
        let gauge = metrics
            .instances
            .get_or_init(|| ctx.services.telemetry.instances(&ctx.id))
            .clone();
        gauge.increment(1.0);
        Counted { gauge }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.gauge.decrement(1.0);
    }
}

/// Calls per handler whose latencies the percentiles are taken over.
const WINDOW: usize = 1024;

/// Counters of one loaded plugin.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Calls made.
    pub calls: AtomicU64,
    /// Calls that failed.
    pub errors: AtomicU64,
    /// Calls stopped at their deadline.
    pub timeouts: AtomicU64,
    /// Host calls refused for a missing permission.
    pub denials: AtomicU64,
    /// Failures since the last success (kept by the plugin manager).
    pub consecutive_failures: AtomicU64,
    /// The last failure's message.
    pub last_error: Mutex<Option<String>>,
    handlers: Mutex<BTreeMap<String, Window>>,
    /// The plugin's live-instances gauge, registered on first use.
    instances: std::sync::OnceLock<metrics::Gauge>,
}

#[derive(Debug, Default)]
struct Window {
    calls: u64,
    errors: u64,
    denials: u64,
    timeouts: u64,
    latencies_us: VecDeque<u64>,
    /// Its Prometheus series, registered on its first observed call.
    series: Option<CallSeries>,
}

impl Window {
    /// Counts one call and keeps its latency, the oldest dropped past
    /// [`WINDOW`].
    fn record(&mut self, elapsed: Duration, denials: u32, error: Option<&CallError>) {
        self.calls += 1;
        self.denials += u64::from(denials);
        if let Some(e) = error {
            self.errors += 1;
            self.timeouts += u64::from(e.is_timeout());
        }
        if self.latencies_us.len() == WINDOW {
            self.latencies_us.pop_front();
        }
        self.latencies_us.push_back(elapsed.as_micros() as u64);
    }
}

/// Metrics of one handler, as the admin API shows them.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct HandlerMetrics {
    /// Calls made.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Host calls refused.
    pub denials: u64,
    /// Calls stopped at their deadline.
    pub timeouts: u64,
    /// Median latency in microseconds.
    pub p50_us: u64,
    /// 99th percentile latency in microseconds.
    pub p99_us: u64,
}

impl Metrics {
    /// Records one call of `handler` in the plugin's totals and the
    /// handler's window (what the admin API shows).
    pub fn record(
        &self,
        handler: &str,
        elapsed: Duration,
        denials: u32,
        error: Option<&CallError>,
    ) {
        self.record_with(handler, elapsed, denials, error, |_| {});
    }

    /// Records one call as [`Metrics::record`] does, and in the server's
    /// telemetry: the handler's Prometheus series (registered on its first
    /// call) and, for a failure, a line in the plugin's recent logs.
    pub(super) fn observe(
        &self,
        ctx: &PluginContext,
        handler: &str,
        elapsed: Duration,
        denials: u32,
        error: Option<&CallError>,
    ) {
        let telemetry = &ctx.services.telemetry;
        let outcome = match error {
            None => Outcome::Ok,
            Some(e) if e.is_timeout() => Outcome::Timeout,
            Some(_) => Outcome::Error,
        };
        self.record_with(handler, elapsed, denials, error, |w| {
            w.series
                .get_or_insert_with(|| telemetry.call_series(&ctx.id, handler))
                .record(outcome, elapsed)
        });
        if let Some(e) = error {
            telemetry
                .logs
                .push(&ctx.id, "error", handler, &e.to_string());
        }
    }

    /// Counts the call in the totals and in `handler`'s window (created on
    /// its first call, without allocating on later ones), then runs `also`
    /// on that window under the same lock.
    fn record_with(
        &self,
        handler: &str,
        elapsed: Duration,
        denials: u32,
        error: Option<&CallError>,
        also: impl FnOnce(&mut Window),
    ) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.denials
            .fetch_add(u64::from(denials), Ordering::Relaxed);
        if let Some(e) = error {
            self.errors.fetch_add(1, Ordering::Relaxed);
            if e.is_timeout() {
                self.timeouts.fetch_add(1, Ordering::Relaxed);
            }
            *self.last_error.lock().expect("metrics lock") = Some(e.to_string());
        }
        let mut handlers = self.handlers.lock().expect("metrics lock");
        if !handlers.contains_key(handler) {
            handlers.insert(handler.to_string(), Window::default());
        }
        if let Some(w) = handlers.get_mut(handler) {
            w.record(elapsed, denials, error);
            also(w);
        }
    }

    /// Metrics per handler.
    pub fn handlers(&self) -> BTreeMap<String, HandlerMetrics> {
        let handlers = self.handlers.lock().expect("metrics lock");
        handlers
            .iter()
            .map(|(name, w)| {
                let (p50_us, p99_us) = percentiles(w.latencies_us.iter().copied().collect());
                let m = HandlerMetrics {
                    calls: w.calls,
                    errors: w.errors,
                    denials: w.denials,
                    timeouts: w.timeouts,
                    p50_us,
                    p99_us,
                };
                (name.clone(), m)
            })
            .collect()
    }

    /// Totals over every handler: the counters summed, the percentiles over the
    /// union of the handlers' latency windows.
    pub fn totals(&self) -> HandlerMetrics {
        let handlers = self.handlers.lock().expect("metrics lock");
        let mut all = Vec::new();
        let mut t = HandlerMetrics::default();
        for w in handlers.values() {
            t.calls += w.calls;
            t.errors += w.errors;
            t.denials += w.denials;
            t.timeouts += w.timeouts;
            all.extend(w.latencies_us.iter().copied());
        }
        (t.p50_us, t.p99_us) = percentiles(all);
        t
    }
}

/// The median and 99th percentile of `latencies` (nearest rank below), 0 when empty.
fn percentiles(mut latencies: Vec<u64>) -> (u64, u64) {
    latencies.sort_unstable();
    let pct = |p: usize| {
        latencies
            .get(latencies.len().saturating_sub(1) * p / 100)
            .copied()
            .unwrap_or(0)
    };
    (pct(50), pct(99))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_over_the_window() {
        let m = Metrics::default();
        for i in 1..=100 {
            m.record("h", Duration::from_micros(i), 0, None);
        }
        let h = &m.handlers()["h"];
        assert_eq!((h.calls, h.p50_us, h.p99_us), (100, 50, 99));
    }

    #[test]
    fn totals_merge_every_handler() {
        let m = Metrics::default();
        for i in 1..=50 {
            m.record("a", Duration::from_micros(i), 1, None);
            m.record("b", Duration::from_micros(50 + i), 0, None);
        }
        let t = m.totals();
        assert_eq!((t.calls, t.denials, t.p50_us, t.p99_us), (100, 50, 50, 99));
        assert_eq!(Metrics::default().totals().p99_us, 0);
    }
}
