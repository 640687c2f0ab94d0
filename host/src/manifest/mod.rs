//! `manifest.toml`: what a plugin is, what it may do, and what it reacts to.
//!
//! The smallest manifest names the plugin and its runtime:
//!
//! ```toml
//! [plugin]
//! id = "com.example.my-plugin"
//! name = "My Plugin"
//! version = "0.1.0"
//! runtime = "js"
//! entry = "main.js"
//! ```
//!
//! Parsing is strict: an unknown key, a value of the wrong type, a bad id,
//! version, semver range, route or cron expression is an error naming the
//! file, line, column and field, with the nearest valid key when one is close.
//! [`Manifest::load`] returns every problem it finds, not just the first.

pub mod consent;
mod entry_points;
mod error;
pub mod grants;
pub mod hooks;
pub mod schedule;
mod validate;

pub use error::{ManifestError, ManifestErrors, line_column, nearest};
pub use validate::{InvalidId, check_id};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name of a plugin manifest inside its directory.
pub const MANIFEST_FILE: &str = "manifest.toml";

/// Manifests larger than this are refused before parsing.
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024;

/// A parsed and validated `manifest.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `[plugin]`: identity and entry point.
    pub plugin: PluginInfo,
    /// `[permissions]`: what the host API lets the plugin do (nothing by default).
    #[serde(default)]
    pub permissions: Permissions,
    /// `[hooks.NAME]`: options of hook subscriptions, keyed by hook name
    /// (hyphens are read as underscores).
    #[serde(default)]
    pub hooks: BTreeMap<String, HookOptions>,
    /// `[[routes]]`: HTTP routes served by the plugin.
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// `[[cron]]`: scheduled jobs.
    #[serde(default)]
    pub cron: Vec<CronSpec>,
    /// `[dependencies]`: plugin id = semver range.
    #[serde(default)]
    pub dependencies: BTreeMap<String, Spanned<String>>,
    /// `[config]`: the plugin's settings, readable through the `config` host API.
    #[serde(default)]
    pub config: toml::Table,
}

/// `[plugin]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PluginInfo {
    /// Reverse-DNS id, e.g. `com.example.my-plugin`.
    pub id: Spanned<String>,
    /// Human-readable name.
    pub name: String,
    /// Semantic version of the plugin.
    pub version: Spanned<String>,
    /// Which engine runs the entry file.
    pub runtime: Spanned<RuntimeKind>,
    /// Entry file, relative to the plugin directory; defaults per runtime.
    pub entry: Option<Spanned<String>>,
    /// One-line description.
    pub description: Option<String>,
    /// Author name and contact.
    pub author: Option<String>,
}

/// The runtime a plugin is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeKind {
    /// JavaScript (QuickJS), entry `main.js`.
    Js,
    /// Lua 5.4, entry `init.lua`.
    Lua,
    /// Rhai, entry `init.rhai`.
    Rhai,
    /// A WebAssembly component (Rust, C, Go, Zig), entry `plugin.wasm`.
    Wasm,
}

impl RuntimeKind {
    /// The entry file used when the manifest names none.
    pub fn default_entry(self) -> &'static str {
        match self {
            RuntimeKind::Js => "main.js",
            RuntimeKind::Lua => "init.lua",
            RuntimeKind::Rhai => "init.rhai",
            RuntimeKind::Wasm => "plugin.wasm",
        }
    }

    /// The manifest spelling: `js`, `lua`, `rhai` or `wasm`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeKind::Js => "js",
            RuntimeKind::Lua => "lua",
            RuntimeKind::Rhai => "rhai",
            RuntimeKind::Wasm => "wasm",
        }
    }
}

/// `[permissions]`: deny by default; each entry grants one capability.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Table grants: `read:TABLE`, `write:TABLE`, `TABLE` (both) or `*`.
    #[serde(default)]
    pub database: Vec<Spanned<String>>,
    /// Outbound HTTP allow-list: `scheme://host[:port][/path-prefix]`, `*.domain` allowed.
    #[serde(default)]
    pub http: Vec<Spanned<String>>,
    /// Virtual filesystem grants: `read`, `write`.
    #[serde(default)]
    pub filesystem: Vec<Spanned<String>>,
    /// Server settings the plugin may read besides its own `[config]` (`site.name`, `site.url`).
    #[serde(default)]
    pub config: Vec<Spanned<String>>,
    /// Personal data the plugin's hooks may receive: `users` (accounts, with
    /// their email, in `on_user_*`), `drafts` (content not yet published).
    #[serde(default)]
    pub personal_data: Vec<Spanned<String>>,
    /// Memory cap of one instance in MiB (default 32).
    pub max_memory_mb: Option<Spanned<u32>>,
    /// Deadline of one call in milliseconds (default 5000).
    pub timeout_ms: Option<Spanned<u64>>,
}

/// `[hooks.NAME]`: options of one hook subscription.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HookOptions {
    /// Lower runs first; default 100.
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// What a failing filter does to the operation; default `abort`.
    #[serde(default)]
    pub on_error: OnError,
    /// Only these content types reach the handler (empty: all).
    #[serde(default)]
    pub content_types: Vec<String>,
    /// The handler to call (default: the hook name, `.`, `:` and `-` read as `_`).
    pub handler: Option<String>,
}

impl Default for HookOptions {
    fn default() -> Self {
        HookOptions {
            priority: default_priority(),
            on_error: OnError::Abort,
            content_types: Vec::new(),
            handler: None,
        }
    }
}

fn default_priority() -> i32 {
    100
}

/// What happens when a filter hook's handler fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// The operation is aborted and the caller gets an error naming the plugin.
    #[default]
    Abort,
    /// The error is logged and the payload passes on unchanged.
    Continue,
}

/// `[[routes]]`: one HTTP route, mounted under `/api/v1/plugins/{plugin-id}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path below the mount point, `/`-separated, `:name` for parameters.
    pub path: Spanned<String>,
    /// The handler the plugin exports.
    pub handler: String,
    /// Who may call it; default `user` (never public by accident).
    #[serde(default)]
    pub auth: RouteAuth,
}

/// HTTP methods a plugin route can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

/// Who may call a plugin route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteAuth {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    #[default]
    User,
    /// Administrators only.
    Admin,
}

/// `[[cron]]`: one scheduled job.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CronSpec {
    /// Unique name of the job within the plugin.
    pub name: String,
    /// Cron expression: 5 fields, or 6 with seconds first.
    pub schedule: Spanned<String>,
    /// The handler the plugin exports; it receives an `on_cron_tick` envelope.
    pub handler: String,
    /// Time zone of the schedule (IANA name, e.g. `Europe/Paris`); default UTC.
    pub timezone: Option<Spanned<String>>,
}

/// A manifest with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedManifest {
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The plugin directory.
    pub dir: PathBuf,
    /// Problems that do not stop the plugin from loading.
    pub warnings: Vec<ManifestError>,
}

impl Manifest {
    /// Reads and validates `dir/manifest.toml`.
    pub fn load(dir: &Path) -> Result<LoadedManifest, ManifestErrors> {
        let file = dir.join(MANIFEST_FILE);
        let fail = |msg: String| ManifestErrors::from(ManifestError::at(&file, "", None, "", msg));
        let rel = Path::new(MANIFEST_FILE);
        let len =
            crate::plugin_dir::file_len(dir, rel).map_err(|e| fail(format!("cannot read: {e}")))?;
        if len > MAX_MANIFEST_BYTES {
            return Err(fail(format!(
                "the manifest is {len} bytes; the limit is {MAX_MANIFEST_BYTES}"
            )));
        }
        let source = crate::plugin_dir::read_to_string(dir, rel)
            .map_err(|e| fail(format!("cannot read: {e}")))?;
        let (manifest, warnings) = Self::parse(&file, &source, Some(dir))?;
        Ok(LoadedManifest {
            manifest,
            dir: dir.to_path_buf(),
            warnings,
        })
    }

    /// Parses and validates manifest text. `file` is used in error messages; with
    /// `dir`, the entry file is checked to exist inside it.
    pub fn parse(
        file: &Path,
        source: &str,
        dir: Option<&Path>,
    ) -> Result<(Manifest, Vec<ManifestError>), ManifestErrors> {
        let mut manifest: Manifest = toml::from_str(source)
            .map_err(|e| ManifestErrors::from(validate::from_toml_error(file, source, &e)))?;
        manifest.hooks = std::mem::take(&mut manifest.hooks)
            .into_iter()
            .map(|(k, v)| (k.replace('-', "_"), v))
            .collect();
        let report = validate::check(&manifest, file, source, dir);
        if report.errors.is_empty() {
            Ok((manifest, report.warnings))
        } else {
            Err(ManifestErrors(report.errors))
        }
    }

    /// The plugin id.
    pub fn id(&self) -> &str {
        self.plugin.id.get_ref()
    }

    /// The runtime that runs the plugin.
    pub fn runtime(&self) -> RuntimeKind {
        *self.plugin.runtime.get_ref()
    }

    /// The plugin version.
    pub fn version(&self) -> semver::Version {
        semver::Version::parse(self.plugin.version.get_ref()).expect("validated at parse")
    }

    /// The entry file, relative to the plugin directory.
    pub fn entry(&self) -> &str {
        self.plugin
            .entry
            .as_ref()
            .map(|e| e.get_ref().as_str())
            .unwrap_or(self.runtime().default_entry())
    }

    /// The dependency ranges, parsed.
    pub fn dependency_reqs(&self) -> impl Iterator<Item = (&str, semver::VersionReq)> {
        self.dependencies.iter().map(|(id, req)| {
            (
                id.as_str(),
                semver::VersionReq::parse(req.get_ref()).expect("validated at parse"),
            )
        })
    }

    /// Memory cap of one instance in MiB.
    pub fn max_memory_mb(&self) -> u32 {
        self.permissions
            .max_memory_mb
            .as_ref()
            .map(|v| *v.get_ref())
            .unwrap_or(DEFAULT_MAX_MEMORY_MB)
    }

    /// Deadline of one call in milliseconds.
    pub fn timeout_ms(&self) -> u64 {
        self.permissions
            .timeout_ms
            .as_ref()
            .map(|v| *v.get_ref())
            .unwrap_or(DEFAULT_TIMEOUT_MS)
    }
}

/// Memory cap of one instance when the manifest sets none.
pub const DEFAULT_MAX_MEMORY_MB: u32 = 32;
/// Call deadline when the manifest sets none.
pub const DEFAULT_TIMEOUT_MS: u64 = 5000;
