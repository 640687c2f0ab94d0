//! `config`: the plugin's settings and the public server settings it was granted.
//!
//! - **linker**: `raisfast:plugin/config`.
//! - **load**: the manifest's `[config]` merged with the operator's
//!   `[plugins."ID".config]` into one JSON object ([`merged`]).
//! - **per call**: nothing.

use super::{HasPluginHost, PluginHost, PluginHostView};
use super::{HostError, PluginContext};
use crate::host_api::bindings::raisfast::plugin::config as wit;
use crate::host_api::bindings::raisfast::plugin::types::Error as WitError;
use crate::settings::Settings;
use serde_json::Value;
use wasmtime::component::Linker;

/// Adds `raisfast:plugin/config` to the linker.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasPluginHost>(linker, T::plugin_host)
}

/// The plugin's configuration: its `[config]`, with the operator's keys on top.
pub fn merged(own: &toml::Table, plugin_id: &str, settings: &Settings) -> Value {
    let mut table = own.clone();
    if let Some(o) = settings.plugins.get(plugin_id) {
        for (k, v) in &o.config {
            table.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_value(table).unwrap_or(Value::Object(Default::default()))
}

/// The value at a dotted `key`, or a granted `site.*` server setting.
pub fn get(ctx: &PluginContext, key: &str) -> Result<Option<String>, HostError> {
    if let Some(setting) = key.strip_prefix("site.") {
        if !ctx.grants.server_settings.iter().any(|s| s == key) {
            return Err(HostError::Denied(format!(
                "config: reading the server setting `{key}` needs config = [\"{key}\"] in [permissions] of manifest.toml"
            )));
        }
        let site = &ctx.services.settings.site;
        let v = match setting {
            "name" => &site.name,
            "url" => &site.url,
            "description" => &site.description,
            _ => return Ok(None),
        };
        return Ok(Some(Value::String(v.clone()).to_string()));
    }
    if key.is_empty() {
        return Err(HostError::Invalid("config: the key is empty".into()));
    }
    let mut cur = &ctx.config;
    for part in key.split('.') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => return Ok(None),
        }
    }
    Ok(Some(cur.to_string()))
}

impl wit::Host for PluginHost<'_> {
    fn get(&mut self, key: String) -> Result<Option<String>, WitError> {
        // Allowed while loading: the snapshot's cache key covers the configuration.
        let r = get(self.plugin, &key);
        self.done("config.get", r)
    }

    fn all(&mut self) -> String {
        self.plugin.config.to_string()
    }
}
