//! What operators and their tools read, and what every request reports:
//!
//! - `GET /healthz`: the process serves (liveness): `200 ok`, from the moment
//!   it listens;
//! - `GET /readyz`: it can serve its site (readiness): plugins loaded and the
//!   database answering; otherwise `503` with what is missing. Until the
//!   plugins are loaded every other path answers `503 starting` with
//!   `Retry-After`, so a load balancer never sends traffic too early;
//! - `GET /metrics`: every series of [`crate::telemetry`] in the Prometheus
//!   text format, for administrators or for the bearer `[server]
//!   metrics_token` (what Prometheus is configured to send);
//! - every response is counted in `raisfast_http_requests_total` under its
//!   route template (`/api/v1/content/{id}`: never the raw path, so the label
//!   set stays bounded; `other` for paths the server does not serve).

use super::AppState;
use super::auth;
use super::error::response;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tracing::Instrument;

/// The label of paths that match no route.
const OTHER: &str = "other";

/// The server's path templates, to name a request's route in metrics, with
/// the methods each serves (for `Allow`).
pub struct RouteTemplates(matchit::Router<(String, Vec<String>)>);

impl RouteTemplates {
    /// The templates of the OpenAPI document's `paths` (JSON), with the
    /// routes the document does not describe.
    pub fn new(openapi: &str) -> RouteTemplates {
        let mut router = matchit::Router::new();
        let spec: serde_json::Value = serde_json::from_str(openapi).unwrap_or_default();
        let described: Vec<(String, Vec<String>)> = spec["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, ops)| {
                        let methods = ops
                            .as_object()
                            .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                            .unwrap_or_default();
                        (path.clone(), methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let fixed = [
            "/api/v1/openapi.json",
            "/api/v1/plugins/{plugin}",
            "/health",
            "/healthz",
            "/readyz",
            "/metrics",
            "/admin",
            "/admin/",
            "/admin/{*asset}",
        ];
        for (path, methods) in &described {
            let _ = router.insert(path.as_str(), (path.clone(), methods.clone()));
        }
        for path in fixed {
            let _ = router.insert(path, (path.to_string(), vec!["GET".to_string()]));
        }
        let _ = router.insert(
            "/api/v1/plugins/{plugin}/{*rest}",
            ("/api/v1/plugins/{plugin}/*".to_string(), Vec::new()),
        );
        RouteTemplates(router)
    }

    /// The template `path` matches, or `other`.
    pub fn of(&self, path: &str) -> &str {
        self.0.at(path).map_or(OTHER, |m| m.value.0.as_str())
    }

    /// The methods `path` serves (empty when unknown).
    pub fn methods(&self, path: &str) -> &[String] {
        self.0.at(path).map_or(&[], |m| m.value.1.as_slice())
    }
}

/// Paths served while the plugins load.
fn always_served(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/health")
}

/// Counts the response under its route; before the server is ready, refuses
/// what needs the plugins.
pub async fn observe<E: Endpoint>(
    ep: Arc<E>,
    req: Request,
    state: Arc<AppState>,
    routes: Arc<RouteTemplates>,
) -> poem::Result<Response> {
    let started = Instant::now();
    let path = req.uri().path().to_string();
    let route = routes.of(&path).to_string();
    let method = req.method().to_string();
    let span = tracing::debug_span!(
        target: crate::telemetry::otlp::TARGET,
        "http.request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    );
    let resp = if !state.ready.load(Ordering::Acquire) && !always_served(req.uri().path()) {
        let mut r = response(
            503,
            "starting",
            "the server is loading its plugins; retry in a moment",
            None,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        r
    } else {
        match ep.call(req).instrument(span.clone()).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        }
    };
    let resp = if path.starts_with("/api/v1/plugins/") {
        resp // a plugin's own answer, whatever its shape
    } else {
        as_json_error(resp, routes.methods(&path)).await
    };
    span.record(
        "http.response.status_code",
        i64::from(resp.status().as_u16()),
    );
    let telemetry = &state.manager.services().telemetry;
    telemetry.http_request(&route, resp.status().as_u16(), started.elapsed());
    Ok(resp)
}

/// Gives an error response the framework made (a parameter that does not
/// parse, a missing `Content-Type`, an unserved method, a failed sign-in
/// check) the API's JSON error shape; a `405` also says which methods the
/// path serves (`Allow`).
async fn as_json_error(resp: Response, methods: &[String]) -> Response {
    let status = resp.status();
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if status.as_u16() < 400 || json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = body.into_string().await.unwrap_or_default();
    let mut message: String = text.trim().chars().take(500).collect();
    if message.is_empty() {
        message = status.canonical_reason().unwrap_or("error").to_string();
    }
    let status = status.as_u16();
    let mut out = response(status, super::error::code_of(status), &message, None);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if status == 405
        && !methods.is_empty()
        && let Ok(allow) = HeaderValue::from_str(&methods.join(", "))
    {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// `GET /healthz`.
#[poem::handler]
pub fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`.
#[poem::handler]
pub async fn readyz(state: poem::web::Data<&Arc<AppState>>) -> Response {
    let loaded = state.ready.load(Ordering::Acquire);
    let db = Arc::clone(&state.cms);
    let database = super::blocking(move || Ok(db.storage_answers()))
        .await
        .unwrap_or_else(|_| Err("the check did not run".into()));
    let checks = serde_json::json!({
        "plugins": if loaded { "loaded" } else { "loading" },
        "database": match &database { Ok(()) => "ok", Err(e) => e.as_str() },
    });
    let ready = loaded && database.is_ok();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "ready": ready, "checks": checks });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// `GET /metrics`.
#[poem::handler]
pub async fn metrics(req: &Request, state: poem::web::Data<&Arc<AppState>>) -> Response {
    let token = auth::bearer_token(req);
    let by_token = match (&state.settings.server.metrics_token, &token) {
        (Some(want), Some(got)) => constant_time_eq(want.as_bytes(), got.as_bytes()),
        _ => false,
    };
    if !by_token {
        let admin = match token {
            Some(t) => auth::principal(&state, t).await.ok(),
            None => None,
        };
        if !admin.is_some_and(|p| p.is_admin()) {
            return response(
                401,
                "unauthorized",
                "metrics are for administrators, or for the bearer token [server] metrics_token",
                None,
            );
        }
    }
    let telemetry = &state.manager.services().telemetry;
    let warm = state.manager.runtime().warm();
    telemetry.warm(warm.plugins, warm.bytes, warm.budget, warm.relinks);
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(telemetry.render())
}

/// Compares two secrets in time that does not depend on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_named_by_their_template() {
        let spec = r#"{"paths": {"/api/v1/content": {}, "/api/v1/content/{id}": {}}}"#;
        let t = RouteTemplates::new(spec);
        assert_eq!(t.of("/api/v1/content/42"), "/api/v1/content/{id}");
        assert_eq!(t.of("/api/v1/content"), "/api/v1/content");
        assert_eq!(t.of("/api/v1/plugins/x/a/b"), "/api/v1/plugins/{plugin}/*");
        assert_eq!(t.of("/api/v1/plugins/x"), "/api/v1/plugins/{plugin}");
        assert_eq!(t.of("/wp-login.php"), "other");
        assert_eq!(t.of("/metrics"), "/metrics");
    }
}
