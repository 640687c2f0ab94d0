//! The script engine components, built from `guest-engines/` by the build
//! script and carried inside the binary.

use crate::manifest::RuntimeKind;

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

/// A fingerprint of the engine component (computed when the server was
/// built), part of every snapshot's cache key and of the compiled engine's.
/// Reading it pages in nothing: the engines' bytes are read only when a
/// snapshot has to be taken or the engine compiled.
pub fn hash(kind: RuntimeKind) -> &'static str {
    match kind {
        RuntimeKind::Js => include_str!(concat!(env!("OUT_DIR"), "/engines/js.hash")),
        RuntimeKind::Lua => include_str!(concat!(env!("OUT_DIR"), "/engines/lua.hash")),
        RuntimeKind::Rhai | RuntimeKind::Wasm => {
            include_str!(concat!(env!("OUT_DIR"), "/engines/rhai.hash"))
        }
    }
}
