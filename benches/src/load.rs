//! Load over HTTP for the route benches: `wrk` driving a server on loopback,
//! its figures parsed, and the helpers to serve an endpoint and check it first.

use poem::listener::{Acceptor, Listener, TcpListener};
use raisfast::cms::Cms;
use raisfast::dispatch::Dispatcher;
use raisfast::host_api::Services;
use raisfast::manager::PluginManager;
use raisfast::server::{AppState, app};
use raisfast::settings::Settings;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

/// The real server application on a loopback port, with its plugins loaded.
pub struct Served {
    /// The runtime it serves on (other endpoints may join it).
    pub rt: tokio::runtime::Runtime,
    /// Its address.
    pub addr: SocketAddr,
    /// Its plugins.
    pub manager: Arc<PluginManager>,
    /// Its hooks (shut down at the end).
    pub dispatcher: Arc<Dispatcher>,
}

/// Loads the plugins of `settings` (every one must load) and serves the
/// server application on a free loopback port.
pub fn serve_app(settings: Settings) -> Served {
    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let settings = Arc::new(settings);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = raisfast::storage::open(&settings).unwrap();
    let services = Services::new(Arc::clone(&settings), Arc::clone(&db));
    let manager = Arc::new(PluginManager::with_services(services).unwrap());
    let report = manager.load_all();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let dispatcher = Dispatcher::start(Arc::clone(&manager));
    let cms = Arc::new(Cms::new(db, Arc::clone(&dispatcher), Arc::clone(&settings)));
    let state = Arc::new(AppState::new(cms, Arc::clone(&manager), settings));
    state
        .ready
        .store(true, std::sync::atomic::Ordering::Release);
    let addr = rt.block_on(listen(app(state)));
    Served {
        rt,
        addr,
        manager,
        dispatcher,
    }
}

/// One wrk run's figures.
#[derive(Clone, Copy)]
pub struct Run {
    /// Requests per second.
    pub rps: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
}

/// A number from the environment, or `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `1.23ms`, `456.00us`, `2.1s` as milliseconds.
fn millis(text: &str) -> f64 {
    let (number, unit) = text.split_at(text.find(|c: char| c.is_alphabetic()).unwrap());
    let n: f64 = number.parse().unwrap();
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        other => panic!("unknown wrk unit {other}"),
    }
}

/// One `wrk` run against `url` with `connections` open connections, for
/// `RAISFAST_BENCH_SECONDS` (default 10); panics on any non-2xx answer.
pub fn wrk_with(url: &str, connections: u64) -> Run {
    let seconds = env_or("RAISFAST_BENCH_SECONDS", 10);
    let out = Command::new("wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .args(["--latency", url])
        .output()
        .expect("running wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}");
    assert!(
        !text.contains("Non-2xx"),
        "{url} answered errors under load:\n{text}"
    );
    let field = |line: &str, at: usize| -> String {
        text.lines()
            .find(|l| l.trim_start().starts_with(line))
            .and_then(|l| l.split_whitespace().nth(at))
            .unwrap_or_else(|| panic!("no `{line}` in wrk's output:\n{text}"))
            .to_string()
    };
    Run {
        rps: field("Requests/sec:", 1).parse().unwrap(),
        p50_ms: millis(&field("50%", 1)),
        p99_ms: millis(&field("99%", 1)),
    }
}

/// Serves `endpoint` on a free loopback port.
pub async fn listen(endpoint: impl poem::Endpoint + 'static) -> SocketAddr {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
    addr
}

/// One plain GET, the whole response as text (a check before the load).
pub fn get_text(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// [`wrk_with`] at `RAISFAST_BENCH_CONNECTIONS` (default 16) connections.
pub fn wrk(url: &str) -> Run {
    wrk_with(url, env_or("RAISFAST_BENCH_CONNECTIONS", 16))
}
