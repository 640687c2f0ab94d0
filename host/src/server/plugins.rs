//! Plugin routes: `[[routes]]` of every active plugin, mounted under
//! `/api/v1/plugins/{plugin-id}/`. The caller's credentials never reach the
//! plugin: `Authorization`, `Cookie` and `Proxy-Authorization` are removed;
//! the plugin gets the authenticated principal instead.

use super::AppState;
use super::auth;
use super::error::response;
use crate::host_api::HostError;
use crate::host_api::bindings::raisfast::plugin::types::{
    Header, Principal, RouteRequest, RouteResponse,
};
use crate::manager::PluginState;
use crate::manifest::{Method, RouteAuth};
use crate::routes::Lookup;
use crate::runtime::{CallError, CallErrorKind};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use std::sync::Arc;

/// Request headers a plugin never sees.
const PRIVATE_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];
/// Response headers a plugin may not set: those of the connection (the
/// server frames the response), and those that change how a browser treats
/// the whole origin rather than this one response (cookies are shared by
/// every path of the origin; a service worker, HSTS, site data, security
/// policies and isolation headers apply to all of it).
pub const FORBIDDEN_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "proxy-authenticate",
    "proxy-authorization",
    "set-cookie",
    "set-cookie2",
    "clear-site-data",
    "service-worker-allowed",
    "strict-transport-security",
    "content-security-policy",
    "content-security-policy-report-only",
    "x-content-type-options",
    "x-frame-options",
    "cross-origin-opener-policy",
    "cross-origin-embedder-policy",
    "cross-origin-resource-policy",
    "origin-agent-cluster",
    "permissions-policy",
    "feature-policy",
    "refresh",
    "link",
    "alt-svc",
    "access-control-allow-credentials",
];
/// Most headers a plugin's response may carry.
pub const MAX_RESPONSE_HEADERS: usize = 64;
/// Largest header (name and value) a plugin's response may carry, in bytes.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

fn method_of(m: &poem::http::Method) -> Option<Method> {
    Some(match m.as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        _ => return None,
    })
}

/// `/api/v1/plugins/:plugin` (the plugin's `/` route).
#[handler]
pub async fn root(
    req: &Request,
    body: Body,
    state: Data<&Arc<AppState>>,
    Path(plugin): Path<String>,
) -> Response {
    serve(req, body, &state, plugin, String::new()).await
}

/// `/api/v1/plugins/:plugin/*rest`.
#[handler]
pub async fn nested(
    req: &Request,
    body: Body,
    state: Data<&Arc<AppState>>,
    Path((plugin, rest)): Path<(String, String)>,
) -> Response {
    serve(req, body, &state, plugin, rest).await
}

async fn serve(
    req: &Request,
    body: Body,
    state: &Arc<AppState>,
    plugin: String,
    rest: String,
) -> Response {
    let Some(entry) = state.manager.entry(&plugin) else {
        return response(404, "not_found", &format!("no plugin `{plugin}`"), None);
    };
    if !matches!(entry.state, PluginState::Active(_)) {
        return response(
            503,
            "plugin_unavailable",
            &format!("plugin {plugin} is {}", entry.state.name()),
            Some(&plugin),
        );
    }
    let path = format!("/{}", rest.trim_start_matches('/'));
    let method = method_of(req.method());
    let (route, params) = match entry.routes.lookup(method, &path) {
        Lookup::Found { index, params } => (entry.manifest.routes[index].clone(), params),
        Lookup::MethodNotAllowed => {
            return response(
                405,
                "method_not_allowed",
                &format!("{} is not allowed on {path}", req.method()),
                Some(&plugin),
            );
        }
        Lookup::NotFound => {
            return response(
                404,
                "not_found",
                &format!("plugin {plugin} has no route {path}"),
                Some(&plugin),
            );
        }
    };
    let caller = match auth::optional(state, req).await {
        Ok(c) => c,
        Err(_) => {
            return response(
                401,
                "unauthorized",
                "the bearer token is invalid or expired",
                None,
            );
        }
    };
    match (route.auth, &caller) {
        (RouteAuth::User | RouteAuth::Admin, None) => {
            return response(
                401,
                "unauthorized",
                "sign in first (Authorization: Bearer <token>)",
                None,
            );
        }
        (RouteAuth::Admin, Some(c)) if !c.is_admin() => {
            return response(403, "forbidden", "this route is for administrators", None);
        }
        _ => {}
    }
    let limit = state.settings.server.max_body_bytes;
    let bytes = match body.into_bytes_limit(limit).await {
        Ok(b) => b.to_vec(),
        Err(_) => {
            return response(
                413,
                "too_large",
                &format!("the request body is over {limit} bytes"),
                None,
            );
        }
    };
    let query = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .filter(|(name, _)| !PRIVATE_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            Some(Header {
                name: name.as_str().to_string(),
                value: value.to_str().ok()?.to_string(),
            })
        })
        .collect();
    let request = RouteRequest {
        handler: route.handler.clone(),
        method: req.method().as_str().to_string(),
        path,
        params,
        query,
        headers,
        body: bytes,
        caller: caller.map(|c| Principal {
            user_id: c.id,
            username: c.username,
            role: c.role,
        }),
    };
    let permit = match state.slots.acquire().await {
        Ok(p) => p,
        Err(e) => return overloaded(&e),
    };
    let manager = Arc::clone(&state.manager);
    let id = plugin.clone();
    let span = tracing::Span::current();
    let result = tokio::task::spawn_blocking(move || {
        let r = span.in_scope(|| manager.call_route(&id, &request));
        drop(permit);
        r
    })
    .await;
    match result {
        Ok(Ok(out)) => plugin_response(&plugin, out.value),
        Ok(Err(failure)) => {
            tracing::warn!(plugin = %plugin, "route {} failed: {}", route.handler, failure.error);
            failed(&plugin, &failure.error)
        }
        Err(e) => {
            tracing::error!(plugin = %plugin, "route task failed: {e}");
            response(
                500,
                "plugin_failed",
                &format!("plugin {plugin} failed to handle the request"),
                Some(&plugin),
            )
        }
    }
}

/// The HTTP response for what a route handler answered, within the rules: a
/// status in 200..=599 (never an informational one, never a protocol switch),
/// at most [`MAX_RESPONSE_HEADERS`] headers of at most [`MAX_HEADER_BYTES`]
/// each, none of [`FORBIDDEN_HEADERS`]; an HTML page in a CSP sandbox.
fn plugin_response(plugin: &str, r: RouteResponse) -> Response {
    let refuse = |why: String| {
        tracing::warn!(plugin = %plugin, "route response refused: {why}");
        response(
            500,
            "plugin_failed",
            &format!("plugin {plugin} failed to handle the request"),
            Some(plugin),
        )
    };
    let status = match poem::http::StatusCode::from_u16(r.status) {
        Ok(s) if (200..=599).contains(&r.status) => s,
        _ => return refuse(format!("status {} is outside 200..=599", r.status)),
    };
    if r.headers.len() > MAX_RESPONSE_HEADERS {
        return refuse(format!(
            "{} headers; at most {MAX_RESPONSE_HEADERS}",
            r.headers.len()
        ));
    }
    let mut builder = Response::builder().status(status);
    for h in &r.headers {
        let name = h.name.to_ascii_lowercase();
        if h.name.len() + h.value.len() > MAX_HEADER_BYTES {
            return refuse(format!("header `{name}` is over {MAX_HEADER_BYTES} bytes"));
        }
        if FORBIDDEN_HEADERS.contains(&name.as_str()) || name.starts_with("sec-") {
            tracing::warn!(plugin = %plugin, "route response header `{name}` dropped: plugins may not set it");
            continue;
        }
        builder = builder.header(h.name.as_str(), h.value.as_str());
    }
    let mut resp = builder.body(r.body);
    super::guard::secure(&mut resp, super::guard::PLUGIN_HTML_CSP);
    resp
}

/// 503 with `Retry-After`: the server is at its in-flight bound.
fn overloaded(e: &super::slots::Overloaded) -> Response {
    let mut r = response(503, "overloaded", &e.to_string(), None);
    r.headers_mut().insert(
        poem::http::header::RETRY_AFTER,
        poem::http::HeaderValue::from(super::slots::RETRY_AFTER_SECS),
    );
    r
}

/// The response for a failed route call: a status for what happened, the
/// plugin named, no internals (the details are in the server's log).
fn failed(plugin: &str, e: &CallError) -> Response {
    let generic = format!("plugin {plugin} failed to handle the request");
    match &e.kind {
        CallErrorKind::Plugin {
            error: HostError::NotFound,
        } => response(404, "not_found", "not found", Some(plugin)),
        CallErrorKind::Plugin {
            error: HostError::Invalid(m),
        } => response(400, "invalid", m, Some(plugin)),
        CallErrorKind::Timeout { .. } => response(
            504,
            "plugin_timeout",
            &format!("plugin {plugin} did not answer in time"),
            Some(plugin),
        ),
        CallErrorKind::Unavailable { reason } => response(
            503,
            "plugin_unavailable",
            &format!("plugin {plugin} is not available: {reason}"),
            Some(plugin),
        ),
        _ => response(500, "plugin_failed", &generic, Some(plugin)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)]) -> Response {
        let headers = headers
            .iter()
            .map(|(n, v)| Header {
                name: n.to_string(),
                value: v.to_string(),
            })
            .collect();
        plugin_response(
            "p",
            RouteResponse {
                status,
                headers,
                body: b"<b>hi</b>".to_vec(),
            },
        )
    }

    #[test]
    fn origin_wide_headers_are_dropped_and_html_is_sandboxed() {
        let r = answer(
            200,
            &[
                ("Content-Type", "text/html"),
                ("Set-Cookie", "session=x; Path=/"),
                ("service-worker-allowed", "/"),
                ("Content-Security-Policy", "script-src 'unsafe-inline'"),
                ("Strict-Transport-Security", "max-age=0"),
                ("Clear-Site-Data", "\"*\""),
                ("Link", "</sw.js>; rel=serviceworker"),
                ("x-plugin", "kept"),
            ],
        );
        let h = r.headers();
        for gone in [
            "set-cookie",
            "service-worker-allowed",
            "strict-transport-security",
            "clear-site-data",
            "link",
        ] {
            assert!(h.get(gone).is_none(), "{gone}");
        }
        assert_eq!(h["x-plugin"], "kept");
        assert_eq!(
            h["content-security-policy"],
            super::super::guard::PLUGIN_HTML_CSP
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
    }

    #[test]
    fn statuses_and_header_counts_are_bounded() {
        for status in [0, 100, 101, 199, 600, 999] {
            assert_eq!(answer(status, &[]).status().as_u16(), 500, "{status}");
        }
        assert_eq!(answer(418, &[]).status().as_u16(), 418);
        let many: Vec<(String, String)> = (0..100)
            .map(|i| (format!("x-{i}"), "v".to_string()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(answer(200, &many).status().as_u16(), 500);
        let long = "v".repeat(MAX_HEADER_BYTES);
        assert_eq!(answer(200, &[("x-long", &long)]).status().as_u16(), 500);
        // Invalid names and values are skipped, never a panic.
        let r = answer(200, &[("bad name", "v"), ("x-ok", "line\nbreak")]);
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.headers().get("x-ok").is_none());
    }
}
