//! The web console at `/admin/`: one small static page (HTML, a script and a
//! style sheet, embedded in the binary: no CDN, works offline) that signs in
//! with the administrator's account and drives the admin API. It lists the
//! plugins with their state and health, shows one plugin's metrics per
//! handler, permissions in plain words, configuration, cron runs and recent
//! log lines, enables, disables, reloads and uninstalls (each after a
//! confirmation), and installs a package through the consent screen (for an
//! upgrade, the permission diff).
//!
//! Its content security policy allows its own script and style only: no
//! inline script, nothing from elsewhere, no framing.

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Response, handler, web::Path};

/// What the console's pages may load: their own files and the API.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const INDEX: &str = include_str!("console/index.html");
const SCRIPT: &str = include_str!("console/app.js");
const STYLE: &str = include_str!("console/app.css");

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut resp = Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body);
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    resp
}

/// `GET /admin`: to `/admin/`.
#[handler]
pub fn root() -> Response {
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(header::LOCATION, "/admin/")
        .finish()
}

/// `GET /admin/`: the page.
#[handler]
pub fn index() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

/// `GET /admin/{file}`: the script and the style sheet.
#[handler]
pub fn file(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "app.js" => asset(SCRIPT, "text/javascript; charset=utf-8"),
        "app.css" => asset(STYLE, "text/css; charset=utf-8"),
        "index.html" => asset(INDEX, "text/html; charset=utf-8"),
        _ => super::error::response(404, "not_found", "no such file in the console", None),
    }
}
