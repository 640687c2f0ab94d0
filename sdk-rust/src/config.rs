//! The plugin's `[config]` (with the operator's overrides) and granted server settings.

use crate::Result;
use crate::bindings::raisfast::plugin::config as wit;
use serde::de::DeserializeOwned;

/// The value at a dotted `key` (`smtp.port`), or a granted `site.*` setting.
pub fn get<T: DeserializeOwned>(key: &str) -> Result<Option<T>> {
    match wit::get(key)? {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

/// The whole configuration as a JSON object.
pub fn all() -> serde_json::Value {
    serde_json::from_str(&wit::all()).unwrap_or_default()
}
