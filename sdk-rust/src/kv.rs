//! The plugin's key-value store (no permission needed).

use crate::Result;
use crate::bindings::raisfast::plugin::kv as wit;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The value under `key`, deserialised.
pub fn get<T: DeserializeOwned>(key: &str) -> Result<Option<T>> {
    match wit::get(key)? {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

/// Stores `value` under `key`.
pub fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<()> {
    Ok(wit::set(key, &serde_json::to_string(value)?, None)?)
}

/// Stores `value` under `key` for `ttl_seconds`.
pub fn set_with_ttl<T: Serialize + ?Sized>(key: &str, value: &T, ttl_seconds: u32) -> Result<()> {
    Ok(wit::set(
        key,
        &serde_json::to_string(value)?,
        Some(ttl_seconds),
    )?)
}

/// Removes `key`; whether it was there.
pub fn delete(key: &str) -> Result<bool> {
    Ok(wit::delete(key)?)
}

/// Keys starting with `prefix`, sorted (at most 1000).
pub fn list(prefix: &str) -> Result<Vec<String>> {
    Ok(wit::list(prefix)?)
}
