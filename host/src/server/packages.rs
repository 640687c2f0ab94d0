//! Installing plugin packages through the admin API, with consent:
//!
//! 1. `POST /api/v1/admin/plugins` (served by the admin API, which owns the
//!    path, through [`upload`]) with a package (`.rfp`) as the body: it is
//!    read and checked (see [`crate::package`]) and staged, not installed; the
//!    answer says what the plugin may do and, for an upgrade, what it asks
//!    for in addition to the installed version;
//! 2. `POST /api/v1/admin/packages/{token}/approve` installs it and loads it
//!    (a downgrade only with `force=true`); `DELETE .../{token}` drops it.
//!
//! A refused package leaves nothing behind. Staged packages live in the
//! plugin directory's hidden `.staging/` and do not survive a restart.

use super::admin::{PluginSummary, manager_error, require_admin, summary};
use super::auth::User as Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::manifest::consent::Permission;
use crate::package::{self, Package, PackageError, Plan};
use poem::Body;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

#[derive(Tags)]
enum Tag {
    /// Plugin packages (administrators).
    Packages,
}

/// The package API.
pub struct PackagesApi;

/// One thing a plugin may do.
#[derive(Debug, Object)]
pub(super) struct Grant {
    /// `database`, `http`, `files`, `personal_data`, `config`, `routes`, `cron` or `limits`.
    capability: String,
    /// As the manifest writes it.
    grant: String,
    /// In plain words.
    text: String,
}

impl From<&Permission> for Grant {
    fn from(p: &Permission) -> Grant {
        Grant {
            capability: p.capability.clone(),
            grant: p.grant.clone(),
            text: p.text.clone(),
        }
    }
}

/// A package checked and waiting for approval.
#[derive(Debug, Object)]
pub(super) struct Staged {
    /// Names it in `/api/v1/admin/packages/{token}`.
    token: String,
    /// The plugin id.
    id: String,
    /// The plugin's name.
    name: String,
    /// The package's version.
    version: String,
    /// Everything the plugin may do once installed.
    permissions: Vec<Grant>,
    /// The installed version it replaces.
    #[oai(nullable)]
    replaces: Option<String>,
    /// What it asks for that the installed version did not (an upgrade).
    added: Vec<Grant>,
    /// What the installed version asked for and it no longer does.
    removed: Vec<Grant>,
    /// It is older than the installed version: approving needs `force`.
    downgrade: bool,
}

fn staged(token: &str, plan: &Plan) -> Staged {
    let grants = |v: &[Permission]| v.iter().map(Grant::from).collect();
    Staged {
        token: token.to_string(),
        id: plan.id.clone(),
        name: plan.name.clone(),
        version: plan.version.clone(),
        permissions: grants(&plan.permissions),
        replaces: plan.previous.as_ref().map(|p| p.version.clone()),
        added: plan
            .diff
            .as_ref()
            .map(|d| grants(&d.added))
            .unwrap_or_default(),
        removed: plan
            .diff
            .as_ref()
            .map(|d| grants(&d.removed))
            .unwrap_or_default(),
        downgrade: plan.downgrade,
    }
}

#[derive(ApiResponse)]
pub(super) enum StagedResponse {
    /// Checked and staged: approve it to install it.
    #[oai(status = 201)]
    Created(Json<Staged>),
}

#[derive(ApiResponse)]
enum Dropped {
    /// Dropped.
    #[oai(status = 204)]
    Done,
}

fn package_error(e: PackageError) -> ApiError {
    match e {
        PackageError::TooLarge(_) => ApiError::new(413, "too_large", e.to_string(), None),
        PackageError::Downgrade { .. } => ApiError::new(409, "downgrade", e.to_string(), None),
        PackageError::Io { .. } => {
            tracing::error!("{e}");
            ApiError::new(500, "internal", "the server failed; see its log", None)
        }
        other => ApiError::new(422, "invalid_package", other.to_string(), None),
    }
}

/// The staging directory of `token` (a UUID: nothing else reaches the disk).
fn staging(state: &AppState, token: &str) -> Result<std::path::PathBuf, ApiError> {
    let token = uuid::Uuid::parse_str(token)
        .map_err(|_| ApiError::new(404, "not_found", "no such staged package", None))?;
    let dir = state
        .settings
        .plugin_dir
        .join(".staging")
        .join(token.to_string());
    if !dir.is_dir() {
        return Err(ApiError::new(
            404,
            "not_found",
            "no such staged package",
            None,
        ));
    }
    Ok(dir)
}

/// Uploads a plugin package (`.rfp`, at most 64 MiB): it is checked and
/// staged, not installed. The answer lists what the plugin may do, and
/// for an upgrade what it asks for in addition; approve it to install it.
pub(super) async fn upload(
    state: &Arc<AppState>,
    caller: Caller,
    body: Binary<Body>,
) -> Result<StagedResponse, ApiError> {
    require_admin(&caller)?;
    let token = uuid::Uuid::now_v7().to_string();
    let root = state.settings.plugin_dir.join(".staging");
    let file = root.join(format!("{token}.rfp"));
    let io = |e: std::io::Error| package_error(PackageError::io(&root, e));
    tokio::fs::create_dir_all(&root).await.map_err(io)?;
    // Into a file first, within the cap: the body is never all in memory.
    let mut reader = body.0.into_async_read();
    let mut out = tokio::fs::File::create(&file).await.map_err(io)?;
    let mut limited = tokio::io::AsyncReadExt::take(&mut reader, package::MAX_PACKAGE_BYTES + 1);
    let copied = tokio::io::copy(&mut limited, &mut out).await;
    let _ = out.flush().await;
    drop(out);
    let refuse = |e: ApiError| {
        let _ = std::fs::remove_file(&file);
        e
    };
    let n = copied.map_err(|e| {
        refuse(ApiError::new(
            400,
            "invalid",
            format!("cannot read the upload: {e}"),
            None,
        ))
    })?;
    if n > package::MAX_PACKAGE_BYTES {
        return Err(refuse(package_error(PackageError::TooLarge(format!(
            "over {} MiB",
            package::MAX_PACKAGE_BYTES >> 20
        )))));
    }
    let dir = root.join(&token);
    let plugin_dir = state.settings.plugin_dir.clone();
    let t = token.clone();
    let plan = blocking(move || {
        let input =
            std::fs::File::open(&file).map_err(|e| package_error(PackageError::io(&file, e)));
        let read = input
            .and_then(|f| Package::read(std::io::BufReader::new(f), &dir).map_err(package_error));
        let _ = std::fs::remove_file(&file);
        let pkg = read?;
        package::plan(&pkg, &plugin_dir).map_err(|e| {
            pkg.discard();
            package_error(e)
        })
    })
    .await?;
    Ok(StagedResponse::Created(Json(staged(&t, &plan))))
}

#[OpenApi(prefix_path = "/api/v1/admin")]
impl PackagesApi {
    /// A staged package: what it would install and what the plugin may do.
    #[oai(path = "/packages/:token", method = "get", tag = "Tag::Packages")]
    async fn show(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        token: Path<String>,
    ) -> Result<Json<Staged>, ApiError> {
        require_admin(&caller)?;
        let dir = staging(&state, &token.0)?;
        let plugin_dir = state.settings.plugin_dir.clone();
        let plan = blocking(move || {
            let pkg = Package::staged(&dir).map_err(package_error)?;
            package::plan(&pkg, &plugin_dir).map_err(package_error)
        })
        .await?;
        Ok(Json(staged(&token.0, &plan)))
    }

    /// Installs a staged package and loads the plugin (replacing the installed
    /// version of an upgrade; an older version needs `force=true`).
    #[oai(
        path = "/packages/:token/approve",
        method = "post",
        tag = "Tag::Packages"
    )]
    async fn approve(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        token: Path<String>,
        force: Query<Option<bool>>,
    ) -> Result<Json<PluginSummary>, ApiError> {
        require_admin(&caller)?;
        let dir = staging(&state, &token.0)?;
        let plugin_dir = state.settings.plugin_dir.clone();
        let manager = Arc::clone(&state.manager);
        let force = force.0.unwrap_or(false);
        let id = blocking(move || {
            let pkg = Package::staged(&dir).map_err(package_error)?;
            let plan = package::plan(&pkg, &plugin_dir).map_err(package_error)?;
            if plan.downgrade && !force {
                return Err(package_error(PackageError::Downgrade {
                    id: plan.id.clone(),
                    installed: plan.previous.map(|p| p.version).unwrap_or_default(),
                    offered: plan.version.clone(),
                }));
            }
            let done = package::install(pkg, &plan, force).map_err(package_error)?;
            manager.sync_dir(&done.dir).map_err(manager_error)?;
            manager.announce(&plan.id);
            Ok(plan.id)
        })
        .await?;
        let e = state
            .manager
            .entry(&id)
            .ok_or_else(|| ApiError::new(500, "internal", "the plugin did not load", None))?;
        Ok(Json(summary(&id, &e)))
    }

    /// Drops a staged package.
    #[oai(path = "/packages/:token", method = "delete", tag = "Tag::Packages")]
    async fn drop_staged(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        token: Path<String>,
    ) -> Result<Dropped, ApiError> {
        require_admin(&caller)?;
        let dir = staging(&state, &token.0)?;
        blocking(move || {
            let _ = std::fs::remove_dir_all(&dir);
            Ok(())
        })
        .await?;
        Ok(Dropped::Done)
    }
}
