//! `http`: outbound requests to the hosts a plugin's manifest allows.
//!
//! - **linker**: `raisfast:plugin/http`.
//! - **load**: the allow-list parsed ([`crate::manifest::grants::HttpRule`]).
//! - **per call**: nothing kept; each request is bounded by the call's deadline.
//!
//! The host resolves names itself ([`Resolve`]) and connects only to the
//! addresses it checked ([`addr`]), so a name pointing at 127.0.0.1 and DNS
//! rebinding are refused like a literal private address. Redirects are
//! followed here, hop by hop, each checked again; proxies from the
//! environment are ignored.

pub mod addr;

use super::{CallState, HostError, PluginContext};
use super::{HasPluginHost, PluginHost, PluginHostView};
use crate::host_api::bindings::raisfast::plugin::http::{self as wit, Request, Response};
use crate::host_api::bindings::raisfast::plugin::types::{Error as WitError, Header};
use ipnet::IpNet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use ureq::http;
use wasmtime::component::Linker;

/// Adds `raisfast:plugin/http` to the linker.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasPluginHost>(linker, T::plugin_host)
}

/// Name resolution used for outbound HTTP.
pub trait Resolve: Send + Sync {
    /// The addresses of `host` (a name or an IP literal) on `port`.
    fn resolve(&self, host: &str, port: u16, timeout: Duration)
    -> std::io::Result<Vec<SocketAddr>>;
}

/// The operating system's resolver (`getaddrinfo`), bounded by a timeout.
pub struct SystemResolver;

/// Most DNS lookups waiting at once, over all plugins.
pub const MAX_LOOKUPS: usize = 64;

impl Resolve for SystemResolver {
    fn resolve(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> std::io::Result<Vec<SocketAddr>> {
        // A lookup runs on a thread of its own, which outlives a timed-out
        // wait until the system resolver gives up: their number is bounded, so
        // a plugin looping on a name that never resolves cannot pile them up.
        static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
        if IN_FLIGHT.fetch_add(1, Ordering::SeqCst) >= MAX_LOOKUPS {
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            return Err(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("{MAX_LOOKUPS} DNS lookups are already waiting; try later"),
            ));
        }
        let target = format!("{host}:{port}");
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        std::thread::spawn(move || {
            let _ = tx.send(target.to_socket_addrs().map(Iterator::collect));
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        });
        rx.recv_timeout(timeout).unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "DNS lookup timed out",
            ))
        })
    }
}

/// A refused address, carried through ureq's error type.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// ureq's resolver: resolves with [`Resolve`], then refuses internal addresses.
struct GuardedResolver {
    inner: Arc<dyn Resolve>,
    allowed: Vec<IpNet>,
}

impl std::fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedResolver").finish()
    }
}

impl ureq::unversioned::resolver::Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        _config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let host = uri
            .host()
            .ok_or_else(|| ureq::Error::BadUri("no host".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        let wait = (*timeout.after).min(Duration::from_secs(30));
        let addrs = self
            .inner
            .resolve(host, port, wait)
            .map_err(ureq::Error::Io)?;
        let mut out = self.empty();
        for a in addrs {
            addr::check(a.ip(), &self.allowed).map_err(|why| {
                ureq::Error::Other(Box::new(Refused(format!(
                    "http: `{host}` resolves to {why}; plugins may not reach internal networks (the operator can allow one in [http] allowed_private_networks)"
                ))))
            })?;
            if out.len() < 16 {
                out.push(a);
            }
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(out)
    }
}

/// The HTTP client shared by every plugin of one server: no proxy, no automatic
/// redirects, and the guarded resolver.
pub fn agent(settings: &crate::settings::HttpSettings, resolver: Arc<dyn Resolve>) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .proxy(None)
        .user_agent("raisfast-plugin/0.1")
        .build();
    let resolver = GuardedResolver {
        inner: resolver,
        allowed: settings.allowed_private_networks.clone(),
    };
    ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::new(),
        resolver,
    )
}

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const HOST_SET_HEADERS: &[&str] = &["host", "content-length", "transfer-encoding", "connection"];

/// Refuses a path that a server could read as another path than the one the
/// allow-list matched: dot segments (`.`, `..`) and encoded separators, in any
/// spelling (`%2e%2E`, `%2f`, `%5c`, backslashes).
fn check_path(url: &str, path: &str) -> Result<(), HostError> {
    let refuse = || {
        HostError::Invalid(format!(
            "http: the path of `{url}` has a dot segment or an encoded separator; send the resolved path"
        ))
    };
    if path.contains('\\') {
        return Err(refuse());
    }
    for segment in path.split('/') {
        let decoded = percent_decode(segment);
        if decoded == "." || decoded == ".." || decoded.contains(['/', '\\']) {
            return Err(refuse());
        }
    }
    Ok(())
}

/// `%XX` escapes decoded (repeatedly, so `%252e` counts as a dot too).
fn percent_decode(s: &str) -> String {
    let mut current = s.to_string();
    for _ in 0..3 {
        let bytes = current.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if bytes[i] == b'%'
                && let (Some(h), Some(l)) = (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                )
            {
                out.push((h * 16 + l) as u8);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        let next = String::from_utf8_lossy(&out).into_owned();
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// Sends `req`, following redirects, within the allow-list and the limits.
pub fn fetch(ctx: &PluginContext, call: &CallState, req: Request) -> Result<Response, HostError> {
    let limits = &ctx.services.settings.http;
    let mut method = req.method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(HostError::Invalid(format!(
            "http: unsupported method `{}`; use one of {}",
            req.method,
            METHODS.join(", ")
        )));
    }
    let wanted = Duration::from_millis(u64::from(req.timeout_ms.unwrap_or(u32::MAX)));
    let budget = wanted
        .min(Duration::from_millis(limits.max_timeout_ms))
        .min(call.remaining());
    let deadline = Instant::now() + budget;
    let mut url = req.url.clone();
    let mut body = req.body;
    let mut origin = None;
    for _hop in 0..=limits.max_redirects {
        let uri = check_url(ctx, &url)?;
        // The plugin's headers (API keys...) go to the origin it asked for
        // only, never to the host a redirect leads to.
        let here = (
            uri.scheme_str().map(str::to_string),
            uri.authority().map(|a| a.as_str().to_ascii_lowercase()),
        );
        let same_origin = *origin.get_or_insert_with(|| here.clone()) == here;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HostError::Limit(format!(
                "http: no time left for `{url}` (the call's deadline or the request's timeout)"
            )));
        }
        let mut builder = http::Request::builder()
            .method(method.as_str())
            .uri(uri.clone());
        for h in req.headers.iter().filter(|_| same_origin) {
            if HOST_SET_HEADERS.contains(&h.name.to_ascii_lowercase().as_str()) {
                continue;
            }
            builder = builder.header(h.name.as_str(), h.value.as_str());
        }
        let agent = &ctx.services.http_agent;
        let result = match &body {
            Some(b) => {
                let r = builder.body(b.clone()).map_err(invalid)?;
                agent.run(
                    agent
                        .configure_request(r)
                        .timeout_global(Some(left))
                        .build(),
                )
            }
            None => {
                let r = builder.body(()).map_err(invalid)?;
                agent.run(
                    agent
                        .configure_request(r)
                        .timeout_global(Some(left))
                        .build(),
                )
            }
        };
        let mut resp = result.map_err(|e| transport_error(&url, e))?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let (300..=399, Some(loc)) = (status, location) {
            url = join_url(&uri, &loc);
            if status == 303 || (matches!(status, 301 | 302) && method == "POST") {
                method = "GET".into();
                body = None;
            }
            continue;
        }
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| Header {
                name: k.as_str().to_string(),
                value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
            })
            .collect();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(limits.max_response_bytes)
            .read_to_vec()
            .map_err(|e| transport_error(&url, e))?;
        return Ok(Response {
            status,
            headers,
            body: bytes,
        });
    }
    Err(HostError::Limit(format!(
        "http: more than {} redirects",
        limits.max_redirects
    )))
}

fn invalid(e: http::Error) -> HostError {
    HostError::Invalid(format!("http: {e}"))
}

/// Parses `url` and checks it against the plugin's allow-list.
fn check_url(ctx: &PluginContext, url: &str) -> Result<http::Uri, HostError> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("https://") {
        return Err(HostError::Invalid(format!(
            "http: `{url}` must be an absolute http:// or https:// URL"
        )));
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|e| HostError::Invalid(format!("http: `{url}` is not a valid URL: {e}")))?;
    let scheme = uri.scheme_str().unwrap_or("");
    if scheme != "http" && scheme != "https" {
        return Err(HostError::Invalid(format!(
            "http: `{url}` must be an absolute http:// or https:// URL"
        )));
    }
    let host = uri
        .host()
        .ok_or_else(|| HostError::Invalid(format!("http: `{url}` has no host")))?;
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(HostError::Invalid(format!(
            "http: `{url}` may not carry credentials"
        )));
    }
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    let path = uri.path();
    check_path(url, path)?;
    if !ctx
        .grants
        .http
        .iter()
        .any(|r| r.allows(scheme, host, port, path))
    {
        let default = if (scheme, port) == ("https", 443) || (scheme, port) == ("http", 80) {
            String::new()
        } else {
            format!(":{port}")
        };
        return Err(HostError::Denied(format!(
            "http: `{scheme}://{host}{default}{path}` is not on the plugin's allow-list; add \"{scheme}://{host}{default}\" to [permissions] http in manifest.toml"
        )));
    }
    Ok(uri)
}

fn transport_error(url: &str, e: ureq::Error) -> HostError {
    match e {
        ureq::Error::Other(b) if b.is::<Refused>() => HostError::Denied(b.to_string()),
        ureq::Error::BodyExceedsLimit(n) => HostError::Limit(format!(
            "http: the response from `{url}` is larger than {n} bytes"
        )),
        ureq::Error::Timeout(_) => HostError::Limit(format!(
            "http: `{url}` did not answer in time (the request's timeout or the call's deadline)"
        )),
        ureq::Error::BadUri(m) => HostError::Invalid(format!("http: `{url}`: {m}")),
        ureq::Error::Http(e) => HostError::Invalid(format!("http: `{url}`: {e}")),
        other => HostError::Failed(format!("http: `{url}`: {other}")),
    }
}

/// Resolves a redirect's `Location` against the URL that answered it.
fn join_url(base: &http::Uri, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map(|a| a.as_str()).unwrap_or("");
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let dir = base.path().rsplit_once('/').map_or("", |(d, _)| d);
    format!("{scheme}://{authority}{dir}/{location}")
}

impl wit::Host for PluginHost<'_> {
    fn fetch(&mut self, request: Request) -> Result<Response, WitError> {
        self.run("http.fetch", |p, c| fetch(p, c, request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_and_encoded_separators_are_refused_in_every_spelling() {
        for path in [
            "/v1/../admin",
            "/v1/./x",
            "/v1/%2e%2e/admin",
            "/v1/%2E%2e/admin",
            "/v1/.%2E/admin",
            "/v1/%252e%252e/admin",
            "/v1/a%2fb",
            "/v1/a%5Cb",
            "/v1\\..\\admin",
            "/v1/..",
        ] {
            assert!(check_path("u", path).is_err(), "{path}");
        }
        for path in ["/v1/items", "/v1/a.b/c..d", "/v1/%20x", "/", ""] {
            assert!(check_path("u", path).is_ok(), "{path}");
        }
    }

    #[test]
    fn joins_redirects() {
        let base: http::Uri = "https://a.example/x/y?q=1".parse().unwrap();
        assert_eq!(join_url(&base, "http://b.example/z"), "http://b.example/z");
        assert_eq!(join_url(&base, "//c.example/"), "https://c.example/");
        assert_eq!(join_url(&base, "/root"), "https://a.example/root");
        assert_eq!(join_url(&base, "rel"), "https://a.example/x/rel");
    }
}
