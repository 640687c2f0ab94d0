//! The admin API under `/api/v1/admin/plugins` (administrators only): list,
//! detail with health and metrics, reload, disable, enable, uninstall.

use super::auth::User as Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::manager::{PluginEntry, PluginState};
use crate::runtime::HandlerMetrics;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[derive(Tags)]
enum Tag {
    /// Plugin management (administrators).
    Admin,
}

/// The admin API.
pub struct AdminApi;

/// A plugin in a listing.
#[derive(Debug, Object)]
pub struct PluginSummary {
    /// Its id.
    id: String,
    /// Its name.
    name: String,
    /// Its version.
    version: String,
    /// `js`, `lua`, `rhai` or `wasm`.
    runtime: String,
    /// `active`, `disabled`, `failed` or `uninstalled`.
    state: String,
    /// Why it is not active.
    #[oai(nullable)]
    reason: Option<String>,
    /// Its description.
    #[oai(nullable)]
    description: Option<String>,
    /// Its directory.
    dir: String,
    /// The last failure of its current version, if it failed since it was loaded.
    #[oai(nullable)]
    last_error: Option<String>,
}

/// Health of a plugin.
#[derive(Debug, Object)]
struct Health {
    /// Failed calls in a row (the plugin is disabled at the server's limit).
    consecutive_errors: u64,
    /// The last failure.
    #[oai(nullable)]
    last_error: Option<String>,
    /// The error of the last reload that did not take (the previous version serves).
    #[oai(nullable)]
    reload_error: Option<String>,
}

/// Metrics of one handler.
#[derive(Debug, Object)]
struct Metrics {
    calls: u64,
    errors: u64,
    denials: u64,
    timeouts: u64,
    p50_us: u64,
    p99_us: u64,
}

impl From<HandlerMetrics> for Metrics {
    fn from(m: HandlerMetrics) -> Metrics {
        Metrics {
            calls: m.calls,
            errors: m.errors,
            denials: m.denials,
            timeouts: m.timeouts,
            p50_us: m.p50_us,
            p99_us: m.p99_us,
        }
    }
}

/// One run of a cron job.
#[derive(Debug, Object)]
struct CronRun {
    job: String,
    /// The tick it ran for (ms since the Unix epoch).
    scheduled_at: i64,
    started_at: i64,
    #[oai(nullable)]
    duration_ms: Option<i64>,
    /// `running`, `ok`, `error` or `skipped`.
    outcome: String,
    #[oai(nullable)]
    error: Option<String>,
}

/// A plugin in detail.
#[derive(Debug, Object)]
struct PluginDetail {
    plugin: PluginSummary,
    /// The manifest, as JSON.
    manifest: serde_json::Value,
    /// What it may do, in plain words (the consent it was installed with).
    permissions: Vec<super::packages::Grant>,
    /// Handlers the entry exports (scripts), or none (a wasm component).
    #[oai(nullable)]
    handlers: Option<Vec<String>>,
    health: Health,
    /// Totals over every handler.
    totals: Metrics,
    /// Per hook, route handler or cron handler.
    metrics: BTreeMap<String, Metrics>,
    /// When the current version was loaded (ms since the Unix epoch).
    loaded_at: i64,
    /// The latest cron runs, newest first.
    cron_runs: Vec<CronRun>,
    /// Its latest log lines (and failed calls), newest first.
    logs: Vec<LogLine>,
}

/// A log line of a plugin.
#[derive(Debug, Object)]
struct LogLine {
    /// When (ms since the Unix epoch).
    at_ms: i64,
    /// `trace`, `debug`, `info`, `warn` or `error`.
    level: String,
    /// The hook, route handler or cron job that logged it.
    handler: String,
    /// The message, with its fields.
    message: String,
}

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

pub(super) fn require_admin(c: &Caller) -> Result<(), ApiError> {
    if c.0.is_admin() {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "forbidden",
            "the admin API is for administrators",
            None,
        ))
    }
}

pub(super) fn summary(id: &str, e: &PluginEntry) -> PluginSummary {
    PluginSummary {
        id: id.to_string(),
        name: e.manifest.plugin.name.clone(),
        version: e.manifest.plugin.version.get_ref().clone(),
        runtime: e.manifest.runtime().as_str().to_string(),
        state: e.state.name().to_string(),
        reason: e.state.reason(),
        description: e.manifest.plugin.description.clone(),
        dir: e.dir.display().to_string(),
        last_error: match &e.state {
            PluginState::Active(p) => p.metrics.last_error.lock().expect("metrics lock").clone(),
            _ => None,
        },
    }
}

fn entry(state: &AppState, id: &str) -> Result<PluginEntry, ApiError> {
    state
        .manager
        .entry(id)
        .ok_or_else(|| ApiError::new(404, "not_found", format!("no plugin `{id}`"), None))
}

pub(super) fn manager_error(e: crate::manager::ManagerError) -> ApiError {
    match e {
        crate::manager::ManagerError::NotFound(id) => {
            ApiError::new(404, "not_found", format!("no plugin `{id}`"), None)
        }
        crate::manager::ManagerError::Load(why) => {
            ApiError::new(422, "plugin_load_failed", why.to_string(), None)
        }
        crate::manager::ManagerError::IdTaken(why) => {
            ApiError::new(422, "plugin_load_failed", why, None)
        }
        crate::manager::ManagerError::Store(e) => {
            tracing::error!("{e}");
            ApiError::new(500, "internal", "the server failed; see its log", None)
        }
    }
}

#[OpenApi(prefix_path = "/api/v1/admin")]
impl AdminApi {
    /// Every plugin, with its state.
    #[oai(path = "/plugins", method = "get", tag = "Tag::Admin")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
    ) -> Result<Json<Vec<PluginSummary>>, ApiError> {
        require_admin(&caller)?;
        let list = state
            .manager
            .entries()
            .iter()
            .map(|(id, e)| summary(id, e))
            .collect();
        Ok(Json(list))
    }

    /// Uploads a plugin package (`.rfp`, at most 64 MiB): it is checked and
    /// staged, not installed. The answer lists what the plugin may do, and
    /// for an upgrade what it asks for in addition; approve it at
    /// `/api/v1/admin/packages/{token}/approve` to install it.
    #[oai(path = "/plugins", method = "post", tag = "Tag::Admin")]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: poem_openapi::payload::Binary<poem::Body>,
    ) -> Result<super::packages::StagedResponse, ApiError> {
        super::packages::upload(&state, caller, body).await
    }

    /// One plugin: manifest, state, health, metrics per handler, cron runs,
    /// recent log lines.
    #[oai(path = "/plugins/:id", method = "get", tag = "Tag::Admin")]
    async fn detail(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
    ) -> Result<Json<PluginDetail>, ApiError> {
        require_admin(&caller)?;
        let e = entry(&state, &id.0)?;
        let (health, totals, metrics, handlers) = match &e.state {
            PluginState::Active(p) => {
                let m = &p.metrics;
                let health = Health {
                    consecutive_errors: m.consecutive_failures.load(Ordering::Relaxed),
                    last_error: m.last_error.lock().expect("metrics lock").clone(),
                    reload_error: e.reload_error.clone(),
                };
                let totals = m.totals().into();
                let per = m
                    .handlers()
                    .into_iter()
                    .map(|(k, v)| (k, v.into()))
                    .collect();
                (health, totals, per, p.handlers().map(<[String]>::to_vec))
            }
            other => (
                Health {
                    consecutive_errors: 0,
                    last_error: other.reason(),
                    reload_error: e.reload_error.clone(),
                },
                HandlerMetrics::default().into(),
                BTreeMap::new(),
                None,
            ),
        };
        let db = Arc::clone(&state.manager.services().db);
        let pid = id.0.clone();
        let runs = blocking(move || {
            db.recent_runs(&pid, 20).map_err(|e| {
                tracing::error!("{e}");
                ApiError::new(500, "internal", "the server failed; see its log", None)
            })
        })
        .await?;
        let cron_runs = runs
            .into_iter()
            .map(|r| CronRun {
                job: r.job,
                scheduled_at: r.scheduled_at,
                started_at: r.started_at,
                duration_ms: r.duration_ms,
                outcome: r.outcome,
                error: r.error,
            })
            .collect();
        Ok(Json(PluginDetail {
            plugin: summary(&id.0, &e),
            manifest: serde_json::to_value(&*e.manifest).unwrap_or_default(),
            permissions: crate::manifest::consent::permissions(&e.manifest)
                .iter()
                .map(Into::into)
                .collect(),
            handlers,
            health,
            totals,
            metrics,
            loaded_at: e.loaded_at,
            cron_runs,
            logs: state
                .manager
                .services()
                .telemetry
                .logs
                .recent(&id.0, 50)
                .into_iter()
                .map(|l| LogLine {
                    at_ms: l.at_ms,
                    level: l.level,
                    handler: l.handler,
                    message: l.message,
                })
                .collect(),
        }))
    }

    /// Loads the plugin again from its directory; a broken new version leaves the
    /// old one serving and the error is returned.
    #[oai(path = "/plugins/:id/reload", method = "post", tag = "Tag::Admin")]
    async fn reload(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
    ) -> Result<Json<PluginSummary>, ApiError> {
        require_admin(&caller)?;
        self.change(&state, id.0, |m, id| {
            m.reload(id)?;
            m.announce(id);
            Ok(())
        })
        .await
    }

    /// Turns the plugin off (kept across restarts).
    #[oai(path = "/plugins/:id/disable", method = "post", tag = "Tag::Admin")]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
    ) -> Result<Json<PluginSummary>, ApiError> {
        require_admin(&caller)?;
        self.change(&state, id.0, |m, id| m.disable(id)).await
    }

    /// Turns the plugin on (and reinstalls an uninstalled one).
    #[oai(path = "/plugins/:id/enable", method = "post", tag = "Tag::Admin")]
    async fn enable(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
    ) -> Result<Json<PluginSummary>, ApiError> {
        require_admin(&caller)?;
        self.change(&state, id.0, |m, id| m.enable(id)).await
    }

    /// Uninstalls the plugin (kept across restarts; its files stay). With
    /// `purge=true`, its tables, KV entries and files are deleted too.
    #[oai(path = "/plugins/:id", method = "delete", tag = "Tag::Admin")]
    async fn uninstall(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
        purge: Query<Option<bool>>,
    ) -> Result<NoContent, ApiError> {
        require_admin(&caller)?;
        let purge = purge.0.unwrap_or(false);
        self.change(&state, id.0, move |m, id| m.uninstall(id, purge))
            .await?;
        Ok(NoContent::Done)
    }
}

impl AdminApi {
    async fn change(
        &self,
        state: &Arc<AppState>,
        id: String,
        f: impl FnOnce(&crate::manager::PluginManager, &str) -> Result<(), crate::manager::ManagerError>
        + Send
        + 'static,
    ) -> Result<Json<PluginSummary>, ApiError> {
        let manager = Arc::clone(&state.manager);
        let pid = id.clone();
        blocking(move || f(&manager, &pid).map_err(manager_error)).await?;
        let e = entry(state, &id)?;
        Ok(Json(summary(&id, &e)))
    }
}
