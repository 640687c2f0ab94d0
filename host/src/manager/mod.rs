//! The plugin manager: discovers plugins, orders them by dependencies, loads
//! them into the runtime, and enables, disables, unloads or reloads one at a
//! time while the others keep running.
//!
//! A plugin that cannot load (a broken manifest, a missing dependency, a
//! component that does not link) is kept out with its reason; the others load.

mod calls;
mod compile;
mod discover;
mod error;
mod health;
mod identity;
mod lifecycle;
pub mod order;
mod subscribers;
mod sync;

pub use calls::EventSink;
pub use discover::{discover, plugin_dirs};
pub use error::{LoadError, ManagerError};
pub use health::Cause;
pub use subscribers::Subscriber;
pub use sync::node_name;

use crate::host_api::Services;
use crate::manifest::{LoadedManifest, Manifest, ManifestError};
use crate::runtime::{CallError, CallErrorKind, LoadedPlugin, Runtime};
use crate::settings::Settings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Where a plugin stands.
#[derive(Clone)]
pub enum PluginState {
    /// Loaded and serving calls.
    Active(Arc<LoadedPlugin>),
    /// Turned off: by the operator (no reason) or by the server (why).
    Disabled(Option<String>),
    /// Could not load; why.
    Failed(LoadError),
    /// Uninstalled through the admin API; its files are left in place.
    Uninstalled,
}

impl PluginState {
    /// `active`, `disabled`, `failed` or `uninstalled`.
    pub fn name(&self) -> &'static str {
        match self {
            PluginState::Active(_) => "active",
            PluginState::Disabled(_) => "disabled",
            PluginState::Failed(_) => "failed",
            PluginState::Uninstalled => "uninstalled",
        }
    }

    /// Why the plugin is not active, if it is not.
    pub fn reason(&self) -> Option<String> {
        match self {
            PluginState::Active(_) => None,
            PluginState::Disabled(r) => Some(
                r.clone()
                    .unwrap_or_else(|| "disabled by an administrator".into()),
            ),
            PluginState::Failed(e) => Some(e.to_string()),
            PluginState::Uninstalled => Some("uninstalled".into()),
        }
    }
}

/// A known plugin.
#[derive(Clone)]
pub struct PluginEntry {
    /// Its directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Arc<Manifest>,
    /// Its state.
    pub state: PluginState,
    /// Manifest warnings.
    pub warnings: Vec<ManifestError>,
    /// Position in load order (dependencies first; ties of hook priority follow it).
    pub order: u64,
    /// When the current version was loaded (ms since the Unix epoch).
    pub loaded_at: i64,
    /// The last error of a reload that did not take, while the old version serves.
    pub reload_error: Option<String>,
    /// Its `[[routes]]`, compiled once.
    pub routes: Arc<crate::routes::RouteTable<crate::manifest::Method>>,
}

/// What one `load_all` did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct LoadReport {
    /// Ids loaded, in load order.
    pub loaded: Vec<String>,
    /// Ids (or directories, when the manifest is unreadable) that failed, with why.
    pub failed: Vec<(String, String)>,
    /// Ids left disabled (by the operator or the server) or uninstalled.
    pub disabled: Vec<String>,
}

/// Every plugin of one server.
pub struct PluginManager {
    settings: Arc<Settings>,
    services: Arc<Services>,
    runtime: Runtime,
    plugins: RwLock<BTreeMap<String, PluginEntry>>,
    broken: RwLock<Vec<(PathBuf, String)>>,
    next_order: std::sync::atomic::AtomicU64,
    events: std::sync::OnceLock<Arc<dyn EventSink>>,
    node: String,
}

impl PluginManager {
    /// A manager with its own database and runtime, from `settings`.
    pub fn new(settings: Settings) -> anyhow::Result<PluginManager> {
        std::fs::create_dir_all(&settings.data_dir)?;
        let settings = Arc::new(settings);
        let db = crate::storage::open(&settings)?;
        let services = Services::new(Arc::clone(&settings), db);
        Self::with_services(services)
    }

    /// A manager on existing services (shared database, custom resolver).
    pub fn with_services(services: Arc<Services>) -> anyhow::Result<PluginManager> {
        let settings = Arc::clone(&services.settings);
        let runtime = Runtime::new(&settings).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        Ok(PluginManager {
            settings,
            services,
            runtime,
            plugins: RwLock::new(BTreeMap::new()),
            broken: RwLock::new(Vec::new()),
            next_order: std::sync::atomic::AtomicU64::new(0),
            events: std::sync::OnceLock::new(),
            node: sync::node_name(),
        })
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The shared services.
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// Discovers and loads every plugin in the plugin directory, dependencies first.
    pub fn load_all(&self) -> LoadReport {
        let root = self.settings.plugin_dir.clone();
        self.load_from(&root)
    }

    /// Discovers and loads every plugin under `root` (or `root` itself).
    pub fn load_from(&self, root: &Path) -> LoadReport {
        let mut report = LoadReport::default();
        let found = match discover(root) {
            Ok(f) => f,
            Err(e) => {
                report.failed.push((
                    root.display().to_string(),
                    format!("cannot read the plugin directory: {e}"),
                ));
                return report;
            }
        };
        let mut manifests: BTreeMap<String, LoadedManifest> = BTreeMap::new();
        let mut broken = Vec::new();
        let mut claims: BTreeMap<String, Vec<LoadedManifest>> = BTreeMap::new();
        for f in found {
            match f {
                Err((dir, errors)) => {
                    report
                        .failed
                        .push((dir.display().to_string(), errors.to_string()));
                    broken.push((dir, errors.to_string()));
                }
                Ok(m) => claims
                    .entry(m.manifest.id().to_string())
                    .or_default()
                    .push(m),
            }
        }
        // Each id goes to the directory that owns it (identity bound at install).
        for (id, claimants) in claims {
            let (owner, refused) = self.owner_of(&id, claimants);
            for (dir, why) in refused {
                report.failed.push((dir.display().to_string(), why.clone()));
                broken.push((dir, why));
            }
            if let Some(m) = owner {
                manifests.insert(id, m);
            }
        }
        let nodes = manifests
            .iter()
            .map(|(id, m)| {
                let node = order::Node {
                    version: m.manifest.version(),
                    deps: m
                        .manifest
                        .dependency_reqs()
                        .map(|(d, r)| (d.to_string(), r))
                        .collect(),
                };
                (id.clone(), node)
            })
            .collect();
        let plan = order::plan(&nodes);
        for (id, why) in &plan.excluded {
            let m = &manifests[id];
            report.failed.push((id.clone(), why.clone()));
            let reason = why.clone();
            self.insert(id, m, PluginState::Failed(LoadError::Dependency { reason }));
        }
        // Compiling and snapshotting (the slow part, with no side effects) runs
        // in parallel; migrations and activation then go in dependency order.
        let wanted: Vec<&LoadedManifest> = plan
            .order
            .iter()
            .map(|id| &manifests[id])
            .filter(|m| {
                let stored = self.services.db.plugin_state(m.manifest.id());
                stored.is_ok_and(|s| !s.uninstalled && !s.disabled)
            })
            .collect();
        let mut compiled: BTreeMap<String, Result<LoadedPlugin, LoadError>> = self
            .compile_all(&wanted)
            .into_iter()
            .zip(&wanted)
            .map(|(r, m)| (m.manifest.id().to_string(), r))
            .collect();
        for id in &plan.order {
            let m = &manifests[id];
            let deps_ok = m
                .manifest
                .dependencies
                .keys()
                .all(|d| matches!(self.state(d), Some(PluginState::Active(_))));
            let stored = self.services.db.plugin_state(id).unwrap_or_default();
            let state = if stored.uninstalled {
                PluginState::Uninstalled
            } else if stored.disabled {
                PluginState::Disabled(stored.reason)
            } else if !deps_ok {
                PluginState::Failed(LoadError::Dependency {
                    reason: "a dependency failed to load".into(),
                })
            } else {
                let loaded = compiled.remove(id).unwrap_or_else(|| self.compile(m));
                match self.activate(m, loaded) {
                    Ok(p) => PluginState::Active(Arc::new(p)),
                    Err(e) => PluginState::Failed(e),
                }
            };
            match &state {
                PluginState::Active(_) => report.loaded.push(id.clone()),
                PluginState::Disabled(_) | PluginState::Uninstalled => {
                    report.disabled.push(id.clone())
                }
                PluginState::Failed(why) => report.failed.push((id.clone(), why.to_string())),
            }
            self.insert(id, m, state);
        }
        *self.broken.write().expect("broken lock") = broken;
        report
    }

    /// Records a plugin's new state; returns the state it replaces. An active
    /// plugin that is replaced gets `on_unload`, a newly active one `on_load`.
    fn insert(&self, id: &str, m: &LoadedManifest, state: PluginState) -> Option<PluginState> {
        let order = self
            .next_order
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let new = match &state {
            PluginState::Active(p) => Some(Arc::clone(p)),
            _ => None,
        };
        let old = self.plugins.write().expect("plugins lock").insert(
            id.to_string(),
            PluginEntry {
                dir: m.dir.clone(),
                manifest: Arc::new(m.manifest.clone()),
                state,
                warnings: m.warnings.clone(),
                order,
                loaded_at: crate::storage::now_ms(),
                reload_error: None,
                routes: Arc::new(
                    crate::routes::RouteTable::build(
                        m.manifest
                            .routes
                            .iter()
                            .map(|r| (r.method, r.path.get_ref().as_str())),
                    )
                    .unwrap_or_default(),
                ),
            },
        );
        let old_state = old.map(|e| (e.state, e.manifest));
        if let Some((PluginState::Active(p), manifest)) = &old_state {
            lifecycle::notify(p, manifest, "on_unload");
        }
        if let Some(p) = new {
            lifecycle::notify(&p, &m.manifest, "on_load");
        }
        old_state.map(|(s, _)| s)
    }

    /// The state of a plugin.
    pub fn state(&self, id: &str) -> Option<PluginState> {
        self.plugins
            .read()
            .expect("plugins lock")
            .get(id)
            .map(|e| e.state.clone())
    }

    /// A known plugin.
    pub fn entry(&self, id: &str) -> Option<PluginEntry> {
        self.plugins.read().expect("plugins lock").get(id).cloned()
    }

    /// Every known plugin, by id.
    pub fn entries(&self) -> Vec<(String, PluginEntry)> {
        self.plugins
            .read()
            .expect("plugins lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Directories whose manifest could not be read, with why.
    pub fn broken(&self) -> Vec<(PathBuf, String)> {
        self.broken.read().expect("broken lock").clone()
    }

    /// The loaded plugin, if active.
    pub fn plugin(&self, id: &str) -> Result<Arc<LoadedPlugin>, CallError> {
        let reason = match self.state(id) {
            Some(PluginState::Active(p)) => return Ok(p),
            Some(PluginState::Disabled(_)) => "it is disabled".to_string(),
            Some(PluginState::Uninstalled) => "it is uninstalled".to_string(),
            Some(PluginState::Failed(why)) => format!("it failed to load: {why}"),
            None => "it is not installed".to_string(),
        };
        Err(CallError::before_call(
            id,
            CallErrorKind::Unavailable { reason },
        ))
    }
}
