//! What an operator watches: Prometheus metrics, the recent log lines of
//! each plugin, and (when `OTEL_EXPORTER_OTLP_ENDPOINT` is set) traces.
//!
//! Metrics go through the `metrics` facade into a recorder of
//! `metrics-exporter-prometheus` that this value owns (none is installed
//! globally, so two servers in one process, as in the tests, keep apart);
//! `GET /metrics` renders it in the Prometheus text format. Every label set
//! is bounded: plugin ids and handler names come from installed manifests,
//! HTTP routes are the API's path templates (never a raw path), statuses
//! are HTTP codes.
//!
//! | series | type | labels |
//! |---|---|---|
//! | `raisfast_plugin_calls_total` | counter | `plugin`, `handler`, `outcome` (`ok`, `error`, `timeout`) |
//! | `raisfast_plugin_call_duration_seconds` | histogram | `plugin`, `handler` |
//! | `raisfast_plugin_denials_total` | counter | `plugin`, `capability` (`db`, `http`, `vfs`, `kv`, `config`, `events`) |
//! | `raisfast_plugin_instances_live` | gauge | `plugin` |
//! | `raisfast_plugins_warm` | gauge | |
//! | `raisfast_plugins_warm_bytes` | gauge | |
//! | `raisfast_plugins_warm_budget_bytes` | gauge | |
//! | `raisfast_plugin_relinks_total` | counter | |
//! | `raisfast_http_requests_total` | counter | `route`, `status` |
//! | `raisfast_http_request_duration_seconds` | histogram | `route` |
//!
//! Traces are in [`otlp`].

mod logs;
pub mod otlp;

pub use logs::{LogEntry, LogRings};
use metrics::{Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::time::Duration;

/// Histogram buckets for call and request durations, in seconds: from 100 us
/// (a fresh script call) to the 30 s a call may be given at most.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

const CALLS: &str = "raisfast_plugin_calls_total";
const CALL_SECONDS: &str = "raisfast_plugin_call_duration_seconds";
const DENIALS: &str = "raisfast_plugin_denials_total";
const INSTANCES: &str = "raisfast_plugin_instances_live";
const WARM: &str = "raisfast_plugins_warm";
const WARM_BYTES: &str = "raisfast_plugins_warm_bytes";
const WARM_BUDGET: &str = "raisfast_plugins_warm_budget_bytes";
const RELINKS: &str = "raisfast_plugin_relinks_total";
const REQUESTS: &str = "raisfast_http_requests_total";
const REQUEST_SECONDS: &str = "raisfast_http_request_duration_seconds";

/// How a plugin call ended, for `raisfast_plugin_calls_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It returned.
    Ok,
    /// It failed (an error, a trap, a refused instance).
    Error,
    /// It was stopped at its deadline.
    Timeout,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
        }
    }
}

/// One plugin handler's call series.
pub struct CallSeries {
    seconds: metrics::Histogram,
    ok: metrics::Counter,
    error: metrics::Counter,
    timeout: metrics::Counter,
}

impl CallSeries {
    /// Records one call.
    pub fn record(&self, outcome: Outcome, elapsed: Duration) {
        self.seconds.record(elapsed.as_secs_f64());
        match outcome {
            Outcome::Ok => &self.ok,
            Outcome::Error => &self.error,
            Outcome::Timeout => &self.timeout,
        }
        .increment(1);
    }
}

impl std::fmt::Debug for CallSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallSeries")
    }
}

/// The metrics registry and the plugins' recent logs of one server.
pub struct Telemetry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// Recent log lines, per plugin.
    pub logs: LogRings,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

static META: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    let labels: Vec<Label> = labels
        .iter()
        .map(|(k, v)| Label::new(*k, v.to_string()))
        .collect();
    Key::from_parts(name, labels)
}

impl Telemetry {
    /// An empty registry with the series described.
    pub fn new() -> Telemetry {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let describe = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            recorder.describe_counter(name.into(), unit, help.into());
        };
        describe(CALLS, None, "Plugin calls, by plugin, handler and outcome.");
        describe(
            DENIALS,
            None,
            "Host calls refused for a missing permission.",
        );
        describe(
            REQUESTS,
            None,
            "HTTP requests, by route template and status.",
        );
        recorder.describe_histogram(
            CALL_SECONDS.into(),
            Some(Unit::Seconds),
            "Duration of plugin calls, by plugin and handler.".into(),
        );
        recorder.describe_histogram(
            REQUEST_SECONDS.into(),
            Some(Unit::Seconds),
            "Duration of HTTP requests, by route template.".into(),
        );
        describe(
            RELINKS,
            None,
            "Calls that linked a cold script plugin again (see warm_memory_mb).",
        );
        let gauge = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            recorder.describe_gauge(name.into(), unit, help.into());
        };
        gauge(WARM, None, "Script plugins linked now, kept warm.");
        gauge(
            WARM_BYTES,
            Some(Unit::Bytes),
            "Compiled state of the script plugins kept warm.",
        );
        gauge(
            WARM_BUDGET,
            Some(Unit::Bytes),
            "[runtime] warm_memory_mb: the most the warm plugins may count.",
        );
        recorder.describe_gauge(
            INSTANCES.into(),
            None,
            "Plugin instances alive (pooled or running), by plugin.".into(),
        );
        let handle = recorder.handle();
        Telemetry {
            recorder,
            handle,
            logs: LogRings::default(),
        }
    }

    /// The series of one plugin handler's calls, registered once: recording
    /// through them on every call costs no key building or registry lookup.
    pub fn call_series(&self, plugin: &str, handler: &str) -> CallSeries {
        let labels = [("plugin", plugin), ("handler", handler)];
        let counter = |outcome: Outcome| {
            let labels = [labels[0], labels[1], ("outcome", outcome.label())];
            self.recorder.register_counter(&key(CALLS, &labels), &META)
        };
        CallSeries {
            seconds: self
                .recorder
                .register_histogram(&key(CALL_SECONDS, &labels), &META),
            ok: counter(Outcome::Ok),
            error: counter(Outcome::Error),
            timeout: counter(Outcome::Timeout),
        }
    }

    /// Records one plugin call (through [`Telemetry::call_series`]; a caller
    /// that calls often keeps the series).
    pub fn plugin_call(&self, plugin: &str, handler: &str, outcome: Outcome, elapsed: Duration) {
        self.call_series(plugin, handler).record(outcome, elapsed);
    }

    /// Records a host call refused for a missing `capability`.
    pub fn denial(&self, plugin: &str, capability: &str) {
        let labels = [("plugin", plugin), ("capability", capability)];
        self.recorder
            .register_counter(&key(DENIALS, &labels), &META)
            .increment(1);
    }

    /// The gauge of `plugin`'s live instances (registered once per plugin).
    pub fn instances(&self, plugin: &str) -> metrics::Gauge {
        self.recorder
            .register_gauge(&key(INSTANCES, &[("plugin", plugin)]), &META)
    }

    /// Records what the warm set holds (read when the metrics are rendered).
    pub fn warm(&self, plugins: usize, bytes: u64, budget: u64, relinks: u64) {
        let gauge = |name| self.recorder.register_gauge(&key(name, &[]), &META);
        gauge(WARM).set(plugins as f64);
        gauge(WARM_BYTES).set(bytes as f64);
        gauge(WARM_BUDGET).set(budget as f64);
        self.recorder
            .register_counter(&key(RELINKS, &[]), &META)
            .absolute(relinks);
    }

    /// Records one HTTP request answered on `route` (a path template).
    pub fn http_request(&self, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        self.recorder
            .register_counter(
                &key(REQUESTS, &[("route", route), ("status", &status)]),
                &META,
            )
            .increment(1);
        self.recorder
            .register_histogram(&key(REQUEST_SECONDS, &[("route", route)]), &META)
            .record(elapsed.as_secs_f64());
    }

    /// Every series in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_render_as_counters_and_histograms() {
        let t = Telemetry::new();
        t.plugin_call("a.b", "on_x", Outcome::Ok, Duration::from_millis(2));
        t.plugin_call("a.b", "on_x", Outcome::Ok, Duration::from_millis(3));
        t.plugin_call("a.b", "on_x", Outcome::Timeout, Duration::from_secs(5));
        t.denial("a.b", "http");
        let live = t.instances("a.b");
        live.increment(1.0);
        live.increment(1.0);
        t.instances("a.b").decrement(1.0);
        t.http_request("/api/v1/content/{id}", 404, Duration::from_millis(1));
        let text = t.render();
        for line in [
            "# TYPE raisfast_plugin_calls_total counter",
            r#"raisfast_plugin_calls_total{plugin="a.b",handler="on_x",outcome="ok"} 2"#,
            r#"raisfast_plugin_calls_total{plugin="a.b",handler="on_x",outcome="timeout"} 1"#,
            "# TYPE raisfast_plugin_call_duration_seconds histogram",
            r#"raisfast_plugin_call_duration_seconds_bucket{plugin="a.b",handler="on_x",le="0.0025"} 1"#,
            r#"raisfast_plugin_call_duration_seconds_count{plugin="a.b",handler="on_x"} 3"#,
            r#"raisfast_plugin_denials_total{plugin="a.b",capability="http"} 1"#,
            r#"raisfast_plugin_instances_live{plugin="a.b"} 1"#,
            r#"raisfast_http_requests_total{route="/api/v1/content/{id}",status="404"} 1"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
    }
}
