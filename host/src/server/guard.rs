//! What every HTTP response and request goes through, whichever endpoint
//! serves it (CMS, admin, plugin routes, the OpenAPI document):
//!
//! - **one body limit**: a request body over `[server] max_body_bytes` is
//!   answered `413` with the JSON error shape before any endpoint reads it,
//!   whether it declares its length or streams it (chunked);
//! - **safe defaults for browsers**: `X-Content-Type-Options: nosniff` on every
//!   response, and on every HTML response a restrictive
//!   `Content-Security-Policy` (no script, no plugin, no frame; plugin pages
//!   are also `sandbox`ed, so they never act as the server's origin).

use super::error::response;
use poem::http::{HeaderValue, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// The policy of HTML the server renders (content pages): markup, styles,
/// images and media; never scripts, plugins, frames or forms.
pub const HTML_CSP: &str = "default-src 'none'; img-src 'self' https: data:; media-src 'self' https:; style-src 'unsafe-inline'; font-src 'self' https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy of HTML a plugin route answers: the same, in a sandbox (an
/// opaque origin: the page cannot read the server's cookies or storage, nor
/// call its API as the signed-in user).
pub const PLUGIN_HTML_CSP: &str = "sandbox; default-src 'none'; img-src 'self' https: data:; media-src 'self' https:; style-src 'unsafe-inline'; font-src 'self' https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The one path whose body is not held to `[server] max_body_bytes`.
const PACKAGE_UPLOAD: &str = "/api/v1/admin/plugins";

/// Wraps `ep` with the body limit and the response headers above.
pub async fn guard<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    limit: usize,
) -> poem::Result<Response> {
    // A package upload streams to disk under its own cap, once the caller is
    // known to be an administrator (see `packages`).
    if req.method() == poem::http::Method::POST && req.uri().path() == PACKAGE_UPLOAD {
        let mut resp = match ep.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        secure(&mut resp, HTML_CSP);
        return Ok(resp);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        linger(req.take_body()).await;
        return Ok(too_large(limit));
    }
    if declared != Some(0) && has_body(&req) {
        let mut body = req.take_body().into_async_read();
        let mut bytes = Vec::new();
        let read = (&mut body)
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .await;
        match read {
            Ok(n) if n <= limit => req.set_body(bytes),
            Ok(_) => {
                linger(Body::from_async_read(body)).await;
                return Ok(too_large(limit));
            }
            Err(e) => {
                return Ok(response(
                    400,
                    "invalid",
                    &format!("cannot read the request body: {e}"),
                    None,
                ));
            }
        }
    }
    let mut resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    secure(&mut resp, HTML_CSP);
    Ok(resp)
}

/// Reads and discards what the client is still sending (at most
/// [`LINGER_BYTES`], for at most [`LINGER`]) before the refusal is sent, so
/// that closing the connection does not reset it under the client's feet and
/// lose the answer (what servers call a lingering close).
async fn linger(body: Body) {
    let mut reader = body.into_async_read().take(LINGER_BYTES);
    let _ =
        tokio::time::timeout(LINGER, tokio::io::copy(&mut reader, &mut tokio::io::sink())).await;
}

/// Most bytes of a refused body read and discarded.
const LINGER_BYTES: u64 = 16 * 1024 * 1024;
/// Longest time spent discarding a refused body.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

fn has_body(req: &Request) -> bool {
    req.headers().contains_key(header::CONTENT_LENGTH)
        || req.headers().contains_key(header::TRANSFER_ENCODING)
}

fn too_large(limit: usize) -> Response {
    response(
        413,
        "too_large",
        &format!("the request body is over {limit} bytes ([server] max_body_bytes)"),
        None,
    )
}

/// Adds `nosniff`, and `csp` to an HTML response that has no policy yet.
pub fn secure(resp: &mut Response, csp: &str) {
    let headers = resp.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html
        && !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(v) = HeaderValue::from_str(csp)
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
}
