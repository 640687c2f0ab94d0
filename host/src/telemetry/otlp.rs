//! OpenTelemetry traces over OTLP/HTTP, when the standard variables ask for
//! them: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! set turns them on; `OTEL_EXPORTER_OTLP_PROTOCOL` is `http/protobuf` (the
//! default) or `http/json`; `OTEL_SERVICE_NAME` names the service (default
//! `raisfast`); `OTEL_BSP_*` tune the batches. gRPC is not offered: point the
//! exporter at the collector's HTTP port (4318).
//!
//! The server makes three kinds of span, under the target [`TARGET`] at debug
//! level (so that without an exporter they cost next to nothing): one per
//! HTTP request (`GET /api/v1/content/{id}`, with the route template and the
//! status), one per plugin call (`plugin.call`, with the plugin and the
//! handler) and one per host call (`host.call`, with the function, e.g.
//! `kv.get`), each the child of the one before. Spans go out in batches from
//! a thread of the SDK's, over the same HTTP client as the host API.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::time::Duration;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;

/// The target of the spans that go to traces.
pub const TARGET: &str = "raisfast::trace";

/// Why traces could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// A protocol this server does not speak.
    #[error(
        "OTEL_EXPORTER_OTLP_PROTOCOL `{0}` is not supported: use `http/protobuf` or `http/json` (the collector's HTTP port, 4318)"
    )]
    Protocol(String),
    /// The exporter refused its configuration.
    #[error("OTLP exporter: {0}")]
    Exporter(String),
}

/// The trace pipeline: keep it while the server runs, then shut it down to
/// send the last spans.
pub struct Traces {
    provider: SdkTracerProvider,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Traces {
    /// The pipeline the environment asks for; `None` when no endpoint is set.
    pub fn from_env() -> Result<Option<Traces>, TraceError> {
        if var("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
            && var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_none()
        {
            return Ok(None);
        }
        let protocol = var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"));
        let protocol = match protocol.as_deref() {
            None | Some("http/protobuf") => Protocol::HttpBinary,
            Some("http/json") => Protocol::HttpJson,
            Some(other) => return Err(TraceError::Protocol(other.to_string())),
        };
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(protocol)
            .with_timeout(Duration::from_secs(10))
            .with_http_client(Client::new())
            .build()
            .map_err(|e| TraceError::Exporter(e.to_string()))?;
        let mut resource = Resource::builder();
        if var("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name("raisfast");
        }
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build();
        Ok(Some(Traces { provider }))
    }

    /// The `tracing` layer that turns the server's spans into OpenTelemetry
    /// spans (only those of [`TARGET`]).
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("raisfast"))
            .with_filter(Targets::new().with_target(TARGET, tracing::Level::TRACE))
    }

    /// Sends what is left and stops.
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("traces: {e}");
        }
    }
}

/// OTLP over the `ureq` client (blocking: the SDK exports from a thread of
/// its own).
#[derive(Debug)]
struct Client(ureq::Agent);

impl Client {
    fn new() -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build();
        Client(config.into())
    }
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for Client {
    async fn send_bytes(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let resp = self.0.run(request.map(|b| b.to_vec()))?;
        let (parts, mut body) = resp.into_parts();
        let bytes = body.with_config().limit(1024 * 1024).read_to_vec()?;
        Ok(http::Response::from_parts(parts, bytes.into()))
    }
}
