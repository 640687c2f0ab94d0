//! The script engine components, built from `guest-engines/` by the build
//! script and carried inside the binary.

use crate::manifest::RuntimeKind;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

static JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/engines/js.wasm"));
static LUA: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/engines/lua.wasm"));
static RHAI: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/engines/rhai.wasm"));

/// The engine component for a script runtime (`None` for `wasm`).
pub fn component(kind: RuntimeKind) -> Option<&'static [u8]> {
    match kind {
        RuntimeKind::Js => Some(JS),
        RuntimeKind::Lua => Some(LUA),
        RuntimeKind::Rhai => Some(RHAI),
        RuntimeKind::Wasm => None,
    }
}

/// A short hash of the engine component, part of every snapshot's cache key.
pub fn hash(kind: RuntimeKind) -> &'static str {
    static HASHES: OnceLock<[String; 3]> = OnceLock::new();
    let h = HASHES.get_or_init(|| {
        [JS, LUA, RHAI].map(|bytes| {
            Sha256::digest(bytes)
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect()
        })
    });
    match kind {
        RuntimeKind::Js => &h[0],
        RuntimeKind::Lua => &h[1],
        RuntimeKind::Rhai | RuntimeKind::Wasm => &h[2],
    }
}
