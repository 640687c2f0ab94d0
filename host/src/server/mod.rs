//! `raisfast serve`: the HTTP server (poem on tokio).
//!
//! Routes: the CMS API and the admin API (both described by the OpenAPI
//! document at `/api/v1/openapi.json`), plugin routes under
//! `/api/v1/plugins/{plugin}/`, and `/health`. Plugin calls and SQLite run on
//! blocking threads, off the async reactor.

mod admin;
mod api;
mod auth;
mod console;
mod error;
mod guard;
mod login;
mod observe;
mod packages;
mod plugins;
mod slots;

use crate::cms::Cms;
use crate::cron::Scheduler;
use crate::dispatch::Dispatcher;
use crate::manager::PluginManager;
use crate::settings::Settings;
use crate::watch::HotReload;
use error::ApiError;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route, get, handler};
use poem_openapi::OpenApiService;
use std::sync::Arc;
use std::time::Duration;

/// What every request handler can reach.
pub struct AppState {
    /// The CMS services.
    pub cms: Arc<Cms>,
    /// The plugins.
    pub manager: Arc<PluginManager>,
    /// The settings.
    pub settings: Arc<Settings>,
    /// The bound on requests running plugin code or CMS work.
    pub slots: slots::CallSlots,
    /// Login throttling and the bound on password hashes.
    pub login: login::LoginGuard,
    /// The plugins are loaded: the server serves its site (see `/readyz`).
    pub ready: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// The state for `cms` and `manager` under `settings`.
    pub fn new(cms: Arc<Cms>, manager: Arc<PluginManager>, settings: Arc<Settings>) -> AppState {
        let slots = slots::CallSlots::new(
            settings.server.inflight_limit(),
            Duration::from_millis(settings.server.queue_timeout_ms),
        );
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        AppState {
            cms,
            manager,
            settings,
            slots,
            login: login::LoginGuard::new(cores),
            ready: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// Runs blocking work (SQLite, plugin calls) off the reactor.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    // The work belongs to the request's span (traces show plugin calls in it).
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .unwrap_or_else(|e| {
            tracing::error!("a blocking task failed: {e}");
            Err(ApiError::new(
                500,
                "internal",
                "the server failed; see its log",
                None,
            ))
        })
}

/// Runs CMS work (which may call plugins) in one of the in-flight slots:
/// waits in line for a slot, answers 503 when none comes in time.
pub async fn work<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = state.slots.acquire().await?;
    // The permit moves into the task: the slot stays taken until the work
    // ends, even when the client goes away first.
    blocking(move || {
        let r = f();
        drop(permit);
        r
    })
    .await
}

#[handler]
fn health() -> &'static str {
    "ok"
}

/// The HTTP application.
pub fn app(state: Arc<AppState>) -> impl poem::Endpoint {
    let api = OpenApiService::new((api::CmsApi, admin::AdminApi, packages::PackagesApi), "RaisFast", env!("CARGO_PKG_VERSION"))
        .description("A small CMS extended by sandboxed WebAssembly plugins. Plugin routes live under /api/v1/plugins/{plugin}/.");
    let routes = Arc::new(observe::RouteTemplates::new(&api.spec()));
    let spec = api.spec_endpoint();
    let limit = state.settings.server.max_body_bytes;
    let observed = Arc::clone(&state);
    Route::new()
        .at("/api/v1/openapi.json", spec)
        .at("/api/v1/plugins/:plugin", plugins::root)
        .at("/api/v1/plugins/:plugin/*rest", plugins::nested)
        .at("/health", get(health))
        .at("/healthz", get(observe::healthz))
        .at("/readyz", get(observe::readyz))
        .at("/metrics", get(observe::metrics))
        .at("/admin", get(console::root))
        .at("/admin/", get(console::index))
        .at("/admin/:file", get(console::file))
        .nest("/", api)
        .data(state)
        .around(move |ep, req| guard::guard(ep, req, limit))
        .around(move |ep, req| {
            observe::observe(ep, req, Arc::clone(&observed), Arc::clone(&routes))
        })
}

/// Starts everything, serves until Ctrl-C or SIGTERM, then shuts down
/// gracefully: in-flight requests, plugin calls, actions and events finish.
pub fn serve(settings: Settings) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("raisfast-http")
        .build()?;
    rt.block_on(run(settings))
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    std::fs::create_dir_all(&settings.data_dir)?;
    std::fs::create_dir_all(&settings.plugin_dir)?;
    // Packages staged before a restart are dropped (see `packages`).
    let _ = std::fs::remove_dir_all(settings.plugin_dir.join(".staging"));
    let settings = Arc::new(settings);
    // Storage is synchronous (PostgreSQL's client runs its own runtime): it is
    // opened, used and dropped on blocking threads only.
    let s = Arc::clone(&settings);
    let db = tokio::task::spawn_blocking(move || crate::storage::open(&s)).await??;
    let services = crate::host_api::Services::new(Arc::clone(&settings), Arc::clone(&db));
    let manager = Arc::new(PluginManager::with_services(services)?);
    let dispatcher = Dispatcher::start(Arc::clone(&manager));
    let cms = Arc::new(Cms::new(db, Arc::clone(&dispatcher), Arc::clone(&settings)));
    let state = Arc::new(AppState::new(
        Arc::clone(&cms),
        Arc::clone(&manager),
        Arc::clone(&settings),
    ));
    // Listening first: `/healthz` answers while the plugins load, `/readyz`
    // and every other path say the server is starting.
    let acceptor = TcpListener::bind(settings.server.bind.as_str())
        .into_acceptor()
        .await?;
    let addrs: Vec<_> = acceptor
        .local_addr()
        .into_iter()
        .filter_map(|a| a.as_socket_addr().copied())
        .collect();
    for a in &addrs {
        println!("RaisFast starting on http://{a} (loading plugins; /healthz answers)");
    }
    let server = tokio::spawn(
        poem::Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
            app(Arc::clone(&state)),
            shutdown_signal(),
            Some(Duration::from_secs(30)),
        ),
    );
    let m = Arc::clone(&manager);
    let report = tokio::task::spawn_blocking(move || m.load_all()).await?;
    for id in &report.loaded {
        println!("plugin loaded: {id}");
    }
    for id in &report.disabled {
        println!("plugin disabled: {id}");
    }
    for (id, why) in &report.failed {
        println!("plugin failed: {id}: {}", why.replace('\n', "\n    "));
    }
    let c = Arc::clone(&cms);
    if let Some((user, password)) = tokio::task::spawn_blocking(move || c.ensure_admin()).await?? {
        println!(
            "administrator created: username `{user}`, password `{password}` (shown once; set [server] admin_password to choose it)"
        );
    }
    manager.follow_changes();
    let scheduler = Scheduler::start(&manager, manager.node().to_string());
    let hot_reload = if settings.server.hot_reload {
        let debounce = Duration::from_millis(settings.server.reload_debounce_ms);
        Some(HotReload::start(&manager, &settings.plugin_dir, debounce)?)
    } else {
        None
    };
    state
        .ready
        .store(true, std::sync::atomic::Ordering::Release);
    for a in addrs {
        println!("RaisFast listening on http://{a}");
    }
    let kept = state;
    server.await??;
    println!("shutting down: finishing plugin work");
    if let Some(h) = hot_reload {
        h.stop();
    }
    tokio::task::spawn_blocking(move || {
        scheduler.stop();
        dispatcher.shutdown();
        drop((kept, manager, dispatcher));
    })
    .await?;
    println!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
