//! Plugin routes: `[[routes]]` of every active plugin, mounted under
//! `/api/v1/plugins/{plugin-id}/`. The caller's credentials never reach the
//! plugin: `Authorization`, `Cookie` and `Proxy-Authorization` are removed;
//! the plugin gets the authenticated principal instead.

use super::AppState;
use super::auth;
use super::error::response;
use crate::host_api::HostError;
use crate::manager::PluginState;
use crate::manifest::{Method, RouteAuth};
use crate::routes::RoutePattern;
use crate::runtime::CallError;
use crate::runtime::bindings::raisfast::plugin::types::{Header, Principal, RouteRequest};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use std::sync::Arc;

/// Request headers a plugin never sees.
const PRIVATE_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];
/// Response headers a plugin may not set.
const HOP_HEADERS: &[&str] = &[
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
];

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
    let mut path_matched = false;
    let mut found = None;
    for route in &entry.manifest.routes {
        let Ok(pattern) = RoutePattern::parse(route.path.get_ref()) else {
            continue;
        };
        if let Some(params) = pattern.matches(&path) {
            path_matched = true;
            if Some(route.method) == method {
                found = Some((route.clone(), params));
                break;
            }
        }
    }
    let Some((route, params)) = found else {
        return if path_matched {
            response(
                405,
                "method_not_allowed",
                &format!("{} is not allowed on {path}", req.method()),
                Some(&plugin),
            )
        } else {
            response(
                404,
                "not_found",
                &format!("plugin {plugin} has no route {path}"),
                Some(&plugin),
            )
        };
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
    let manager = Arc::clone(&state.manager);
    let id = plugin.clone();
    let result = tokio::task::spawn_blocking(move || manager.call_route(&id, &request)).await;
    match result {
        Ok(Ok(out)) => {
            let r = out.value;
            let mut builder = Response::builder().status(
                poem::http::StatusCode::from_u16(r.status)
                    .unwrap_or(poem::http::StatusCode::INTERNAL_SERVER_ERROR),
            );
            for h in &r.headers {
                if !HOP_HEADERS.contains(&h.name.to_ascii_lowercase().as_str()) {
                    builder = builder.header(h.name.as_str(), h.value.as_str());
                }
            }
            builder.body(r.body)
        }
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

/// The response for a failed route call: a status for what happened, the
/// plugin named, no internals (the details are in the server's log).
fn failed(plugin: &str, e: &CallError) -> Response {
    let generic = format!("plugin {plugin} failed to handle the request");
    match e {
        CallError::Plugin {
            error: HostError::NotFound,
            ..
        } => response(404, "not_found", "not found", Some(plugin)),
        CallError::Plugin {
            error: HostError::Invalid(m),
            ..
        } => response(400, "invalid", m, Some(plugin)),
        CallError::Timeout { .. } => response(
            504,
            "plugin_timeout",
            &format!("plugin {plugin} did not answer in time"),
            Some(plugin),
        ),
        CallError::Unavailable { reason, .. } => response(
            503,
            "plugin_unavailable",
            &format!("plugin {plugin} is not available: {reason}"),
            Some(plugin),
        ),
        _ => response(500, "plugin_failed", &generic, Some(plugin)),
    }
}
