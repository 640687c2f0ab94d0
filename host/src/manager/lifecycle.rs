//! Changing one plugin while the others run: disable, enable, reload, unload,
//! uninstall, and the directory-level entry points hot reload uses. (Calling
//! plugins is in `calls`, their health in `health`.)

use super::subscribers::subscription;
use super::{LoadError, ManagerError, PluginManager, PluginState};
use crate::manifest::hooks::Envelope;
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::runtime::LoadedPlugin;
use crate::storage::StoredState;
use std::path::Path;
use std::sync::Arc;

/// Calls a lifecycle hook (`on_load`, `on_unload`) on one plugin, if it handles it.
pub(super) fn notify(plugin: &LoadedPlugin, manifest: &Manifest, hook: &str) {
    let Some((handler, _)) = subscription(plugin, manifest, hook) else {
        return;
    };
    let envelope = Envelope::new(hook, serde_json::json!({ "plugin": plugin.id() })).to_json();
    if let Err(e) = plugin.call_hook(&handler, &envelope, 0) {
        tracing::warn!(plugin = plugin.id(), "{hook} failed: {e}");
    }
}

impl PluginManager {
    /// Stores an operator's (or the server's) decision and tells the other nodes.
    pub(super) fn set_stored(&self, id: &str, s: StoredState) -> Result<(), ManagerError> {
        self.services.db.set_plugin_state(id, &s)?;
        self.announce(id);
        Ok(())
    }

    /// Swaps a plugin's state; an active plugin leaving gets `on_unload`.
    pub(super) fn replace_state(&self, id: &str, state: PluginState) {
        let old = {
            let mut plugins = self.plugins.write().expect("plugins lock");
            let Some(e) = plugins.get_mut(id) else { return };
            let manifest = Arc::clone(&e.manifest);
            (std::mem::replace(&mut e.state, state), manifest)
        };
        if let (PluginState::Active(p), manifest) = old {
            notify(&p, &manifest, "on_unload");
        }
    }

    /// Turns a plugin off: its instances are dropped; it stays off across restarts.
    pub fn disable(&self, id: &str) -> Result<(), ManagerError> {
        self.entry(id)
            .ok_or_else(|| ManagerError::NotFound(id.into()))?;
        self.set_stored(
            id,
            StoredState {
                disabled: true,
                reason: None,
                uninstalled: false,
            },
        )?;
        self.replace_state(id, PluginState::Disabled(None));
        Ok(())
    }

    /// Turns a plugin back on (and reinstalls an uninstalled one), loading it from its directory.
    pub fn enable(&self, id: &str) -> Result<(), ManagerError> {
        self.entry(id)
            .ok_or_else(|| ManagerError::NotFound(id.into()))?;
        self.set_stored(id, StoredState::default())?;
        self.reload(id)
    }

    /// Reads the plugin's directory again and swaps the new version in; calls
    /// in flight finish on the old one. If the new version cannot load, the old
    /// one keeps serving and the error is returned (and shown by the admin API).
    pub fn reload(&self, id: &str) -> Result<(), ManagerError> {
        let entry = self
            .entry(id)
            .ok_or_else(|| ManagerError::NotFound(id.into()))?;
        let stored = self.services.db.plugin_state(id)?;
        let result = Manifest::load(&entry.dir)
            .map_err(LoadError::from)
            .and_then(|m| {
                if m.manifest.id() != id {
                    return Err(LoadError::IdChanged {
                        dir: entry.dir.display().to_string(),
                        old: id.to_string(),
                        new: m.manifest.id().to_string(),
                    });
                }
                if stored.uninstalled || stored.disabled {
                    let state = if stored.uninstalled {
                        PluginState::Uninstalled
                    } else {
                        PluginState::Disabled(stored.reason.clone())
                    };
                    self.insert(id, &m, state);
                    return Ok(());
                }
                let p = self.build(&m)?;
                self.insert(id, &m, PluginState::Active(Arc::new(p)));
                Ok(())
            });
        if let Err(why) = &result {
            tracing::error!(
                plugin = id,
                "reload failed, the previous version keeps serving: {why}"
            );
            let mut plugins = self.plugins.write().expect("plugins lock");
            if let Some(e) = plugins.get_mut(id) {
                if matches!(e.state, PluginState::Active(_)) {
                    e.reload_error = Some(why.to_string());
                } else {
                    e.state = PluginState::Failed(why.clone());
                }
            }
        }
        result.map_err(ManagerError::Load)
    }

    /// Forgets a plugin (its directory is gone); calls in flight finish.
    pub fn unload(&self, id: &str) -> Result<(), ManagerError> {
        let e = self
            .plugins
            .write()
            .expect("plugins lock")
            .remove(id)
            .ok_or_else(|| ManagerError::NotFound(id.into()))?;
        if let PluginState::Active(p) = e.state {
            notify(&p, &e.manifest, "on_unload");
        }
        Ok(())
    }

    /// Uninstalls a plugin: it stops, its cron jobs with it, and it stays
    /// uninstalled across restarts (files left in place; `enable` reinstalls).
    /// With `purge`, its tables, KV entries, files and records are deleted too.
    pub fn uninstall(&self, id: &str, purge: bool) -> Result<(), ManagerError> {
        self.entry(id)
            .ok_or_else(|| ManagerError::NotFound(id.into()))?;
        self.replace_state(id, PluginState::Uninstalled);
        // The id is free again: another directory may install it.
        self.services.db.release_install(id)?;
        if purge {
            self.services.db.purge_plugin(id)?;
            let root = self.settings.vfs_root(id);
            if let Some(dir) = root.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        self.set_stored(
            id,
            StoredState {
                disabled: false,
                reason: None,
                uninstalled: true,
            },
        )?;
        Ok(())
    }

    /// The id of the plugin loaded from `dir`, if any.
    pub fn id_of_dir(&self, dir: &Path) -> Option<String> {
        self.plugins
            .read()
            .expect("plugins lock")
            .iter()
            .find(|(_, e)| e.dir == dir)
            .map(|(id, _)| id.clone())
    }

    /// Brings a plugin directory up to date: loads a new plugin, reloads a
    /// known one, unloads one whose directory (or manifest) is gone.
    pub fn sync_dir(&self, dir: &Path) -> Result<Option<String>, ManagerError> {
        let known = self.id_of_dir(dir);
        if !dir.join(MANIFEST_FILE).is_file() {
            if let Some(id) = &known {
                self.unload(id)?;
            }
            return Ok(known);
        }
        if let Some(id) = known {
            self.reload(&id)?;
            return Ok(Some(id));
        }
        let m = Manifest::load(dir).map_err(LoadError::from)?;
        let id = m.manifest.id().to_string();
        if let Some(other) = self.entry(&id) {
            return Err(ManagerError::IdTaken(format!(
                "plugin id {id} is installed from {}; {} declares it too and is not loaded",
                other.dir.display(),
                dir.display()
            )));
        }
        let (owner, refused) = self.owner_of(&id, vec![m]);
        let Some(m) = owner else {
            let why = refused
                .into_iter()
                .map(|(_, w)| w)
                .collect::<Vec<_>>()
                .join("; ");
            return Err(ManagerError::IdTaken(why));
        };
        for (dep, req) in m.manifest.dependency_reqs() {
            let ok = self.plugin(dep).is_ok()
                && self
                    .entry(dep)
                    .is_some_and(|e| req.matches(&e.manifest.version()));
            if !ok {
                let why = LoadError::Dependency {
                    reason: format!("requires plugin {dep} {req}, which is not active"),
                };
                self.insert(&id, &m, PluginState::Failed(why.clone()));
                return Err(ManagerError::Load(why));
            }
        }
        let stored = self.services.db.plugin_state(&id)?;
        let state = if stored.uninstalled {
            PluginState::Uninstalled
        } else if stored.disabled {
            PluginState::Disabled(stored.reason)
        } else {
            match self.build(&m) {
                Ok(p) => PluginState::Active(Arc::new(p)),
                Err(why) => {
                    self.insert(&id, &m, PluginState::Failed(why.clone()));
                    return Err(ManagerError::Load(why));
                }
            }
        };
        self.insert(&id, &m, state);
        Ok(Some(id))
    }
}
