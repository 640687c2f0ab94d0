//! Operator settings: `raisfast.toml` (every key optional) and `RAISFAST_*`
//! environment variables, which win over the file.
//!
//! ```toml
//! data_dir = "data"
//! plugin_dir = "extensions/plugins"
//!
//! [server]
//! bind = "127.0.0.1:8080"
//! hot_reload = true
//!
//! [runtime]
//! pool_size = 4            # instances kept per wasm plugin
//!
//! [http]
//! allowed_private_networks = ["10.1.0.0/16"]   # reachable despite being private
//!
//! [plugins."com.example.crm".config]
//! api_key = "..."          # overrides the plugin's own [config]
//! ```

mod server;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
pub use server::ServerSettings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors reading the settings.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The settings file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid settings TOML.
    #[error("{path}: {message}")]
    Parse {
        /// The settings file.
        path: PathBuf,
        /// TOML's message, with line and column.
        message: String,
    },
    /// An environment variable has a bad value.
    #[error("environment variable {name}: {message}")]
    Env {
        /// The variable.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// Every operator setting.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the database, plugin files and the compile cache live.
    pub data_dir: PathBuf,
    /// Where plugins are discovered, one directory each.
    pub plugin_dir: PathBuf,
    /// The HTTP server.
    pub server: ServerSettings,
    /// The wasm runtime.
    pub runtime: RuntimeSettings,
    /// Outbound HTTP from plugins.
    pub http: HttpSettings,
    /// Plugin filesystems.
    pub vfs: VfsSettings,
    /// Plugin KV stores.
    pub kv: KvSettings,
    /// Plugins' tables in the database.
    pub database: DatabaseSettings,
    /// Public site settings plugins may be granted.
    pub site: SiteSettings,
    /// Per-plugin operator overrides, keyed by plugin id.
    pub plugins: BTreeMap<String, PluginOverrides>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            plugin_dir: PathBuf::from("extensions/plugins"),
            server: ServerSettings::default(),
            runtime: RuntimeSettings::default(),
            http: HttpSettings::default(),
            vfs: VfsSettings::default(),
            kv: KvSettings::default(),
            database: DatabaseSettings::default(),
            site: SiteSettings::default(),
            plugins: BTreeMap::new(),
        }
    }
}

/// `[runtime]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeSettings {
    /// Instances kept per wasm plugin, used round-robin. More serve more
    /// concurrent calls; each holds its own memory.
    pub pool_size: usize,
    /// Largest `max_memory_mb` a manifest may ask for. The pooling allocator
    /// reserves address space for this much per instance slot.
    pub max_memory_mb: u32,
    /// Largest `timeout_ms` a manifest may ask for: the longest a plugin call
    /// (and whatever it holds meanwhile, such as a database transaction) lasts.
    pub max_timeout_ms: u64,
    /// Instance slots reserved by the pooling allocator. More slots allow more
    /// instances at once and reserve more virtual address space.
    pub pool_slots: u32,
    /// Use the pooling allocator (falls back to on-demand allocation when the
    /// address space cannot be reserved).
    pub pooling: bool,
    /// Keep compiled plugins on disk so that a restart compiles nothing.
    pub compile_cache: bool,
    /// Where compiled plugins are kept (default `data_dir/cache`). Must be trusted:
    /// a cached artifact is machine code the server runs.
    pub cache_dir: Option<PathBuf>,
    /// Granularity of call deadlines in milliseconds: a ticker thread wakes this
    /// often. Lower is more precise and costs more wake-ups.
    pub epoch_tick_ms: u64,
    /// Kibibytes of each instance slot's linear memory kept resident between
    /// instances (pooling allocator only). When a fresh instance is dropped,
    /// the pages it dirtied within this prefix are restored from the memory
    /// image by a copy (only the dirty ones, where the kernel offers
    /// `PAGEMAP_SCAN`) instead of being unmapped, so the next instance in
    /// that slot takes no page faults on them. Higher is faster for plugins
    /// that touch more memory per call and holds more resident memory per
    /// warm slot; 0 unmaps everything (the lowest memory, the slowest).
    pub keep_resident_kb: u32,
    /// Mebibytes the server may keep resident to make plugins' next calls
    /// fast, all plugins together. Unused pool slots stay warm (the last
    /// plugin they ran mapped, its pages restored) at about 1 MiB each, and
    /// script plugins stay linked (their compiled state mapped) at twice its
    /// size each, in a segmented LRU (`runtime::warm`): the least recently
    /// called are made cold and linked again from the compile cache by their
    /// next call. Higher keeps more plugins warm (faster fan-out to many
    /// plugins); lower holds less memory.
    pub warm_memory_mb: u32,
    /// Threads that compile and snapshot plugins at start-up (0: one per
    /// core). Fewer leave more of the machine to whatever else is starting.
    pub load_threads: usize,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            pool_size: 4,
            max_memory_mb: 256,
            max_timeout_ms: 30_000,
            pool_slots: 1000,
            pooling: true,
            compile_cache: true,
            cache_dir: None,
            epoch_tick_ms: 10,
            keep_resident_kb: 4096,
            warm_memory_mb: 256,
            load_threads: 0,
        }
    }
}

/// `[http]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Networks plugins may reach although they are loopback, private or
    /// link-local (e.g. `["127.0.0.1/32"]` for a local service). Empty by default.
    pub allowed_private_networks: Vec<IpNet>,
    /// Largest response body in bytes.
    pub max_response_bytes: u64,
    /// Longest request, in milliseconds.
    pub max_timeout_ms: u64,
    /// Redirects followed (each one checked again).
    pub max_redirects: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            allowed_private_networks: Vec::new(),
            max_response_bytes: 10 * 1024 * 1024,
            max_timeout_ms: 30_000,
            max_redirects: 5,
        }
    }
}

/// `[vfs]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VfsSettings {
    /// Largest file in bytes.
    pub max_file_bytes: u64,
    /// Largest total per plugin in bytes.
    pub max_total_bytes: u64,
    /// Most files and directories per plugin.
    pub max_entries: u64,
}

impl Default for VfsSettings {
    fn default() -> Self {
        VfsSettings {
            max_file_bytes: 8 * 1024 * 1024,
            max_total_bytes: 64 * 1024 * 1024,
            max_entries: 10_000,
        }
    }
}

/// `[kv]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KvSettings {
    /// Largest value in bytes of JSON.
    pub max_value_bytes: usize,
    /// Most keys per plugin.
    pub max_keys: u64,
    /// Most bytes of keys and values per plugin.
    pub max_total_bytes: u64,
}

impl Default for KvSettings {
    fn default() -> Self {
        KvSettings {
            max_value_bytes: 1024 * 1024,
            max_keys: 100_000,
            max_total_bytes: 64 * 1024 * 1024,
        }
    }
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host:port/database` to keep everything in
    /// PostgreSQL (several nodes may share it); none: SQLite in `data_dir`.
    /// Never written out (it may hold a password).
    #[serde(skip_serializing)]
    pub url: Option<String>,
    /// Most bytes a plugin's own tables (and their indexes) may hold; past it,
    /// statements that add to them fail with `limit` (deletes still work).
    pub max_plugin_bytes: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: None,
            max_plugin_bytes: 256 * 1024 * 1024,
        }
    }
}

/// `[site]`: public settings, readable by plugins granted them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteSettings {
    /// The site's name.
    pub name: String,
    /// The site's public URL.
    pub url: String,
    /// A one-line description.
    pub description: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            name: "RaisFast".into(),
            url: "http://127.0.0.1:8080".into(),
            description: String::new(),
        }
    }
}

/// `[plugins."ID"]`: what the operator sets for one plugin.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginOverrides {
    /// Keys replacing the plugin's own `[config]` values.
    pub config: toml::Table,
}

impl Settings {
    /// Reads `path` if it exists (defaults otherwise), then applies `RAISFAST_*`
    /// environment variables.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let mut s = if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            toml::from_str(&text).map_err(|e| SettingsError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        } else {
            Settings::default()
        };
        s.apply_env(|k| std::env::var(k).ok())?;
        Ok(s)
    }

    /// Applies `RAISFAST_DATA_DIR`, `RAISFAST_PLUGIN_DIR`, `RAISFAST_DATABASE_URL`, `RAISFAST_BIND`,
    /// `RAISFAST_HOT_RELOAD` (or `PLUGIN_HOT_RELOAD`), `RAISFAST_LOG`,
    /// `RAISFAST_ADMIN_USERNAME`, `RAISFAST_ADMIN_PASSWORD`, `RAISFAST_METRICS_TOKEN`, `RAISFAST_POOL_SIZE`,
    /// `RAISFAST_KEEP_RESIDENT_KB`, `RAISFAST_WARM_MEMORY_MB`, `RAISFAST_LOAD_THREADS`, `RAISFAST_MAX_INFLIGHT`
    /// and `RAISFAST_QUEUE_TIMEOUT_MS`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), SettingsError> {
        let flag = |name: &str, v: String| -> Result<bool, SettingsError> {
            match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(SettingsError::Env {
                    name: name.into(),
                    message: format!("`{v}` is not true or false"),
                }),
            }
        };
        if let Some(v) = get("RAISFAST_DATABASE_URL") {
            self.database.url = Some(v);
        }
        if let Some(v) = get("RAISFAST_BIND") {
            self.server.bind = v;
        }
        for name in ["PLUGIN_HOT_RELOAD", "RAISFAST_HOT_RELOAD"] {
            if let Some(v) = get(name) {
                self.server.hot_reload = flag(name, v)?;
            }
        }
        if let Some(v) = get("RAISFAST_LOG") {
            self.server.log = v;
        }
        if let Some(v) = get("RAISFAST_ADMIN_USERNAME") {
            self.server.admin_username = v;
        }
        if let Some(v) = get("RAISFAST_ADMIN_PASSWORD") {
            self.server.admin_password = Some(v);
        }
        if let Some(v) = get("RAISFAST_METRICS_TOKEN") {
            self.server.metrics_token = Some(v);
        }
        if let Some(v) = get("RAISFAST_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("RAISFAST_PLUGIN_DIR") {
            self.plugin_dir = v.into();
        }
        let number = |name: &str, v: String| -> Result<u64, SettingsError> {
            v.parse().map_err(|_| SettingsError::Env {
                name: name.into(),
                message: format!("`{v}` is not a number"),
            })
        };
        if let Some(v) = get("RAISFAST_POOL_SIZE") {
            self.runtime.pool_size = number("RAISFAST_POOL_SIZE", v)? as usize;
        }
        if let Some(v) = get("RAISFAST_MAX_INFLIGHT") {
            self.server.max_inflight = number("RAISFAST_MAX_INFLIGHT", v)? as usize;
        }
        if let Some(v) = get("RAISFAST_QUEUE_TIMEOUT_MS") {
            self.server.queue_timeout_ms = number("RAISFAST_QUEUE_TIMEOUT_MS", v)?;
        }
        if let Some(v) = get("RAISFAST_LOAD_THREADS") {
            self.runtime.load_threads = number("RAISFAST_LOAD_THREADS", v)? as usize;
        }
        if let Some(v) = get("RAISFAST_WARM_MEMORY_MB") {
            self.runtime.warm_memory_mb = number("RAISFAST_WARM_MEMORY_MB", v)?
                .try_into()
                .unwrap_or(u32::MAX);
        }
        if let Some(v) = get("RAISFAST_KEEP_RESIDENT_KB") {
            self.runtime.keep_resident_kb = number("RAISFAST_KEEP_RESIDENT_KB", v)?
                .try_into()
                .unwrap_or(u32::MAX);
        }
        Ok(())
    }

    /// Where compiled plugins are cached.
    pub fn cache_dir(&self) -> PathBuf {
        self.runtime
            .cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("cache"))
    }

    /// The database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("raisfast.db")
    }

    /// The root of a plugin's virtual filesystem.
    pub fn vfs_root(&self, plugin_id: &str) -> PathBuf {
        self.data_dir.join("plugins").join(plugin_id).join("files")
    }
}
