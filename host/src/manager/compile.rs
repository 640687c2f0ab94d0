//! Turning a manifest into a loaded plugin, in two steps:
//!
//! - **compile** (slow, no side effects): the plugin's context, its script
//!   snapshot or its component, compiled and linked. Independent plugins
//!   compile in parallel at start-up ([`PluginManager::compile_all`]).
//! - **activate** (fast, in dependency order): the table prefix checked and
//!   claimed, the migrations applied.

use super::{LoadError, PluginManager};
use crate::host_api::{self, PluginContext};
use crate::manifest::grants::{Grants, is_protected, table_prefix};
use crate::manifest::{LoadedManifest, RuntimeKind};
use crate::runtime::{InstancePolicy, Limits, LoadError as RuntimeLoadError, LoadedPlugin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

impl PluginManager {
    /// Compiles and activates one plugin.
    pub(super) fn build(&self, m: &LoadedManifest) -> Result<LoadedPlugin, LoadError> {
        let compiled = self.compile(m);
        self.activate(m, compiled)
    }

    /// Compiles `plugins` on up to `[runtime] load_threads` threads; the
    /// results are in the same order.
    pub(super) fn compile_all(
        &self,
        plugins: &[&LoadedManifest],
    ) -> Vec<Result<LoadedPlugin, LoadError>> {
        let threads = match self.settings.runtime.load_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(plugins.len());
        if threads <= 1 {
            return plugins.iter().map(|m| self.compile(m)).collect();
        }
        let next = AtomicUsize::new(0);
        let mut results: Vec<(usize, Result<LoadedPlugin, LoadError>)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(m) = plugins.get(i) else { break };
                            done.push((i, self.compile(m)));
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("a plugin compile thread panicked"))
                .collect()
        });
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }

    /// Builds the plugin's context and compiles its entry: a script is
    /// snapshotted in its engine, a component read; both are linked.
    pub(super) fn compile(&self, m: &LoadedManifest) -> Result<LoadedPlugin, LoadError> {
        let manifest = &m.manifest;
        let id = manifest.id().to_string();
        let ctx = Arc::new(PluginContext::new(
            &id,
            Grants::from_manifest(manifest),
            host_api::config::merged(&manifest.config, &id, &self.settings),
            Arc::clone(&self.services),
        ));
        let limits = Limits {
            timeout: Duration::from_millis(manifest.timeout_ms()),
            max_memory_bytes: manifest.max_memory_mb() as usize * 1024 * 1024,
        };
        self.runtime.check_limits(&id, limits)?;
        let entry = manifest.entry();
        match manifest.runtime() {
            RuntimeKind::Wasm => {
                let path = m.dir.join(entry);
                let wasm =
                    crate::plugin_dir::read(&m.dir, std::path::Path::new(entry)).map_err(|e| {
                        crate::runtime::LoadError::Read {
                            plugin: id.clone(),
                            path: path.display().to_string(),
                            message: e.to_string(),
                        }
                    })?;
                let pool = InstancePolicy::Pooled(self.settings.runtime.pool_size);
                self.runtime
                    .load(ctx, entry, &wasm, limits, pool)
                    .map(|p| match declared_handlers(&p) {
                        Some(names) => p.with_handlers(names),
                        None => p,
                    })
                    .map_err(LoadError::from)
            }
            kind => {
                let sources = crate::runtime::collect_sources(&m.dir, kind).map_err(|error| {
                    LoadError::Sources {
                        plugin: id.clone(),
                        error,
                    }
                })?;
                let snapshot = self
                    .runtime
                    .snapshot(kind, Arc::clone(&ctx), entry, &sources.files, limits)
                    .map_err(|e| match e {
                        // An error of top-level TypeScript code names its `.ts` line.
                        RuntimeLoadError::Script { plugin, message } => RuntimeLoadError::Script {
                            plugin,
                            message: sources.maps.rewrite(&message),
                        },
                        other => other,
                    })?;
                self.runtime
                    .load_script(ctx, kind, &snapshot, limits, InstancePolicy::Fresh)
                    .map(|p| p.with_source_maps(sources.maps))
                    .map_err(LoadError::from)
            }
        }
    }

    /// Checks and claims the plugin's table prefix and applies its migrations.
    pub(super) fn activate(
        &self,
        m: &LoadedManifest,
        compiled: Result<LoadedPlugin, LoadError>,
    ) -> Result<LoadedPlugin, LoadError> {
        let id = m.manifest.id();
        let prefix = table_prefix(id);
        if is_protected(&format!("{prefix}x")) {
            return Err(LoadError::ReservedPrefix {
                plugin: id.to_string(),
                prefix,
            });
        }
        let plugin = compiled?;
        // A plugin that ships migrations owns its prefix from the start; others
        // claim it with their first CREATE TABLE.
        if m.dir.join("migrations").is_dir() {
            self.services
                .db
                .claim_prefix(&prefix, id)
                .map_err(|e| LoadError::Prefix {
                    message: e.to_string(),
                })?;
        }
        host_api::db::migrate(plugin.context(), &m.dir).map_err(|error| LoadError::Migration {
            plugin: id.to_string(),
            error,
        })?;
        Ok(plugin)
    }
}

/// The reserved hook through which a component declares its handlers: it
/// answers with a JSON array of the names its `handle` and `route` serve
/// (the SDKs do it for the plugin: Rust `Plugin::HANDLERS`, Go
/// `raisfast.Handlers`, Zig `pub const handlers`). A component that does not
/// answer, or fails, leaves them unknown: the manifest is trusted.
pub const HANDLERS_HOOK: &str = "raisfast:handlers";

/// Asks a component for the names of its handlers.
fn declared_handlers(p: &LoadedPlugin) -> Option<Vec<String>> {
    let envelope =
        crate::manifest::hooks::Envelope::new(HANDLERS_HOOK, serde_json::json!({})).to_json();
    let out = p.call_hook(HANDLERS_HOOK, &envelope, 0).ok()?.value?;
    serde_json::from_str(&out).ok()
}
