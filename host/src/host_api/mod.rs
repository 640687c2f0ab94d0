//! The host API: what a plugin can ask of the server, implemented once for
//! every runtime and gated by the plugin's [`Grants`](crate::manifest::grants::Grants).
//!
//! Each capability lives in its own module with the same shape (Spin's
//! factors are the model):
//!
//! - **linker**: `add_to_linker` adds the WIT interface to the one linker;
//! - **load**: what is checked and prepared when a plugin loads (grants
//!   parsed, VFS root, table prefix claimed);
//! - **per call**: what [`CallState`] keeps for the length of one call (the
//!   database connection and its transaction, emitted events, log lines).
//!
//! Every refusal is a [`HostError::Denied`] whose message names the
//! permission to add to `manifest.toml`.

pub mod bindings;
pub mod config;
pub mod db;
pub mod events;
pub mod http;
pub mod ids;
pub mod kv;
pub mod log;
pub mod vfs;
mod view;

pub use view::{HasPluginHost, PluginHost, PluginHostView, add_to_linker};

use crate::settings::Settings;
use crate::storage::{PluginAccess, SqlError, Storage};
use bindings::raisfast::plugin::types::Error as WitError;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a host call failed; becomes the WIT `error` the plugin sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// A permission is missing; the message names it.
    #[error("denied: {0}")]
    Denied(String),
    /// Malformed arguments.
    #[error("invalid: {0}")]
    Invalid(String),
    /// No such thing.
    #[error("not found")]
    NotFound,
    /// A quota, size cap or deadline was reached.
    #[error("limit: {0}")]
    Limit(String),
    /// The operation failed.
    #[error("failed: {0}")]
    Failed(String),
}

impl HostError {
    /// The same error with its message passed through `f`.
    pub fn map_message(self, f: impl FnOnce(String) -> String) -> HostError {
        match self {
            HostError::Denied(m) => HostError::Denied(f(m)),
            HostError::Invalid(m) => HostError::Invalid(f(m)),
            HostError::NotFound => HostError::NotFound,
            HostError::Limit(m) => HostError::Limit(f(m)),
            HostError::Failed(m) => HostError::Failed(f(m)),
        }
    }
}

impl From<SqlError> for HostError {
    fn from(e: SqlError) -> HostError {
        match e {
            SqlError::Denied(m) => HostError::Denied(m),
            SqlError::Invalid(m) => HostError::Invalid(m),
            SqlError::Limit(m) => HostError::Limit(m),
            SqlError::Failed(m) => HostError::Failed(m),
        }
    }
}

impl From<WitError> for HostError {
    fn from(e: WitError) -> HostError {
        match e {
            WitError::Denied(m) => HostError::Denied(m),
            WitError::Invalid(m) => HostError::Invalid(m),
            WitError::NotFound => HostError::NotFound,
            WitError::Limit(m) => HostError::Limit(m),
            WitError::Failed(m) => HostError::Failed(m),
        }
    }
}

impl From<HostError> for WitError {
    fn from(e: HostError) -> WitError {
        match e {
            HostError::Denied(m) => WitError::Denied(m),
            HostError::Invalid(m) => WitError::Invalid(m),
            HostError::NotFound => WitError::NotFound,
            HostError::Limit(m) => WitError::Limit(m),
            HostError::Failed(m) => WitError::Failed(m),
        }
    }
}

/// Services shared by every plugin of one server.
pub struct Services {
    /// The server's settings.
    pub settings: Arc<Settings>,
    /// The database.
    pub db: Arc<dyn Storage>,
    /// The outbound HTTP client.
    pub http_agent: ureq::Agent,
    /// The byte budget of queued events.
    pub event_budget: Arc<events::EventBudget>,
    /// Metrics and the plugins' recent log lines.
    pub telemetry: Arc<crate::telemetry::Telemetry>,
}

impl Services {
    /// Services on `db` with `settings` and the system DNS resolver.
    pub fn new(settings: Arc<Settings>, db: Arc<dyn Storage>) -> Arc<Services> {
        Self::with_resolver(settings, db, Arc::new(http::SystemResolver))
    }

    /// Services resolving outbound HTTP names with `resolver` (tests use a fixed table).
    pub fn with_resolver(
        settings: Arc<Settings>,
        db: Arc<dyn Storage>,
        resolver: Arc<dyn http::Resolve>,
    ) -> Arc<Services> {
        let http_agent = http::agent(&settings.http, resolver);
        Arc::new(Services {
            settings,
            db,
            http_agent,
            event_budget: Arc::new(events::EventBudget::new(
                events::QUEUE_BYTES,
                events::QUEUE_BYTES_PER_PLUGIN,
            )),
            telemetry: Arc::default(),
        })
    }
}

/// What the host API knows about one loaded plugin.
pub struct PluginContext {
    /// The plugin id.
    pub id: String,
    /// The table prefix the plugin owns.
    pub table_prefix: String,
    /// What it is allowed.
    pub grants: crate::manifest::grants::Grants,
    /// Its configuration: the manifest's `[config]` with operator overrides.
    pub config: serde_json::Value,
    /// Its virtual filesystem.
    pub vfs: vfs::PluginFs,
    /// What it may do in the database and KV (and the backend's quota caches).
    pub access: Arc<PluginAccess>,
    /// Shared services.
    pub services: Arc<Services>,
}

impl PluginContext {
    /// The context of plugin `id` with its grants and merged configuration:
    /// its table prefix, VFS root and database access follow from the id and
    /// the server's settings.
    pub fn new(
        id: &str,
        grants: crate::manifest::grants::Grants,
        config: serde_json::Value,
        services: Arc<Services>,
    ) -> PluginContext {
        let settings = &services.settings;
        let table_prefix = crate::manifest::grants::table_prefix(id);
        let access = Arc::new(PluginAccess {
            id: id.to_string(),
            table_prefix: table_prefix.clone(),
            grants: grants.db.clone(),
            max_table_bytes: settings.database.max_plugin_bytes,
            kv: crate::storage::KvQuota {
                max_keys: settings.kv.max_keys,
                max_bytes: settings.kv.max_total_bytes,
            },
            table_bytes: Default::default(),
            kv_usage: Default::default(),
        });
        PluginContext {
            id: id.to_string(),
            table_prefix,
            grants,
            config,
            vfs: vfs::PluginFs::new(settings.vfs_root(id)),
            access,
            services,
        }
    }
}

/// A log line written by a plugin during one call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The message (truncated at 8 KiB).
    pub message: String,
    /// Structured fields.
    pub fields: Vec<(String, String)>,
}

/// A custom event emitted by a plugin during one call.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EmittedEvent {
    /// The event name.
    pub name: String,
    /// Its payload (JSON).
    pub payload: String,
    /// How deep in an event chain the emitting call was (0: not an event).
    pub depth: u32,
    /// Its bytes in the event queue's budget, released when the last delivery
    /// is done (or the event is dropped with its failed call).
    #[serde(skip)]
    pub reservation: Option<Arc<events::Reservation>>,
}

/// State kept for the length of one plugin call.
pub struct CallState {
    /// The handler being run (of a hook, event, route or cron job).
    pub handler: String,
    /// When the call must end.
    pub deadline: Instant,
    /// Depth of this call in a chain of events (0 for a direct call).
    pub event_depth: u32,
    /// The database connection, checked out on first use.
    pub db: Option<Box<dyn crate::storage::PluginSession>>,
    /// Events emitted, delivered after the call.
    pub events: Vec<EmittedEvent>,
    /// Log lines written.
    pub logs: Vec<LogLine>,
    /// Log lines dropped over the per-call cap.
    pub dropped_logs: usize,
    /// Host calls refused for a missing permission.
    pub denials: u32,
    /// The plugin's top-level code is running (before a snapshot): only
    /// `log`, `ids` and `config` are available.
    pub loading: bool,
    /// Raised when the core takes the database writer turn back from this
    /// call: the runtime stops the call at its next epoch tick.
    pub preempted: Arc<std::sync::atomic::AtomicBool>,
}

impl CallState {
    /// State for a call of `handler` that must end within `timeout`.
    pub fn new(handler: &str, timeout: Duration, event_depth: u32) -> CallState {
        CallState {
            handler: handler.to_string(),
            deadline: Instant::now() + timeout,
            event_depth,
            db: None,
            events: Vec::new(),
            logs: Vec::new(),
            dropped_logs: 0,
            denials: 0,
            loading: false,
            preempted: Arc::default(),
        }
    }

    /// Time left before the deadline (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}
