//! What the three script engines (QuickJS, Lua, Rhai) share, so that each
//! language adds only thin glue:
//!
//! - the guest bindings of the `script-engine` world and [`export_engine!`];
//! - the SDK function table ([`sdk`]): every host function a script can call,
//!   implemented once over the WIT imports, taking and returning JSON values;
//! - route requests and responses as JSON ([`route`]), `ok` / `fail` included;
//! - the load prologue ([`sources`]): the plugin's files and its entry;
//! - fresh randomness for engines restored from a snapshot ([`random_seed`]).

extern crate self as raisfast_engine;

pub mod route;
pub mod sdk;

/// Guest bindings of `raisfast:plugin@0.1.0`, world `script-engine`.
pub mod bindings {
    wit_bindgen::generate!({
        world: "script-engine",
        path: "../../wit/0.1.0",
        pub_export_macro: true,
        export_macro_name: "__export_script_engine",
        default_bindings_module: "raisfast_engine::bindings",
        runtime_path: "raisfast_engine::__wit_bindgen::rt",
    });
}

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

pub use bindings::raisfast::plugin::types::{Error, RouteRequest, RouteResponse};

/// One source file of the plugin.
pub type SourceFile = bindings::exports::raisfast::plugin::engine::SourceFile;

/// A script engine: loads a plugin once (before the snapshot), then serves calls.
pub trait ScriptEngine {
    /// Loads and evaluates the plugin; returns the handlers it exports.
    fn load(entry: &str, files: Vec<SourceFile>) -> Result<Vec<String>, Error>;
    /// Calls `handler` with the payload (JSON text); `None` if the handler
    /// returned nothing (or the plugin has no such handler).
    fn handle(handler: &str, payload: String) -> Result<Option<String>, Error>;
    /// Calls the route handler with the request as a JSON value; returns what it returned.
    fn route(handler: &str, request: serde_json::Value) -> Result<serde_json::Value, Error>;
}

#[doc(hidden)]
pub fn __route<E: ScriptEngine>(req: RouteRequest) -> Result<RouteResponse, Error> {
    let handler = req.handler.clone();
    let value = E::route(&handler, route::request_to_json(&req))?;
    Ok(route::response_from_json(value))
}

/// Free heap a snapshot keeps for its calls (see [`__load`]).
const CALL_HEAP_HEADROOM: usize = 1 << 20;

/// Loads the plugin, then leaves [`CALL_HEAP_HEADROOM`] of free heap at the
/// top of the snapshot's memory. Without it, whether a call fits in the heap
/// depends on how much the load happened to leave free; a call that must
/// grow the memory costs every later instance of its slot a page-protection
/// change (and a TLB shootdown) when the slot shrinks back to the snapshot's
/// size. The block is allocated and freed untouched: its pages stay zero,
/// adding nothing to the snapshot's image or to resident memory.
#[doc(hidden)]
pub fn __load<E: ScriptEngine>(entry: &str, files: Vec<SourceFile>) -> Result<Vec<String>, Error> {
    let names = E::load(entry, files)?;
    drop(std::hint::black_box(Vec::<u8>::with_capacity(
        CALL_HEAP_HEADROOM,
    )));
    Ok(names)
}

/// A seed from the host's randomness (WASI), for engines whose generators
/// were frozen into the snapshot.
pub fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("WASI randomness");
    u64::from_le_bytes(b)
}

/// A plugin's files by path (relative to its directory, `/`-separated).
pub type Files<T> = std::collections::HashMap<String, T>;

/// The plugin's files by path and its entry's source, as bytes: the
/// prologue of an engine whose sources are bytes (Lua). Fails with `invalid`
/// when the entry is not among them.
pub fn byte_sources(
    entry: &str,
    files: Vec<SourceFile>,
) -> Result<(Files<Vec<u8>>, Vec<u8>), Error> {
    let files: std::collections::HashMap<String, Vec<u8>> =
        files.into_iter().map(|f| (f.path, f.contents)).collect();
    let source = files
        .get(entry)
        .cloned()
        .ok_or_else(|| Error::Invalid(format!("entry {entry} is missing")))?;
    Ok((files, source))
}

/// The plugin's files by path and its entry's source, as text: the prologue
/// of an engine whose sources are UTF-8 (JS, Rhai). Fails with `invalid`
/// naming the file that is not UTF-8, or when the entry is missing.
pub fn sources(entry: &str, files: Vec<SourceFile>) -> Result<(Files<String>, String), Error> {
    let (files, _) = byte_sources(entry, files)?;
    let mut text = std::collections::HashMap::with_capacity(files.len());
    for (path, bytes) in files {
        let s = String::from_utf8(bytes)
            .map_err(|e| Error::Invalid(format!("{path}: not UTF-8 text ({e})")))?;
        text.insert(path, s);
    }
    let source = text[entry].clone();
    Ok((text, source))
}

/// A plugin error: `failed` with the message.
pub fn failed(msg: impl Into<String>) -> Error {
    Error::Failed(msg.into())
}

/// Exports an engine implementing [`ScriptEngine`] as the component's `guest` and `engine`.
#[macro_export]
macro_rules! export_engine {
    ($engine:ty) => {
        #[doc(hidden)]
        pub struct __RaisfastEngine;

        impl $crate::bindings::exports::raisfast::plugin::guest::Guest for __RaisfastEngine {
            fn handle(
                hook: ::std::string::String,
                payload: ::std::string::String,
            ) -> ::std::result::Result<::std::option::Option<::std::string::String>, $crate::Error> {
                <$engine as $crate::ScriptEngine>::handle(&hook, payload)
            }

            fn route(request: $crate::RouteRequest) -> ::std::result::Result<$crate::RouteResponse, $crate::Error> {
                $crate::__route::<$engine>(request)
            }
        }

        impl $crate::bindings::exports::raisfast::plugin::engine::Guest for __RaisfastEngine {
            fn load(
                entry: ::std::string::String,
                files: ::std::vec::Vec<$crate::SourceFile>,
            ) -> ::std::result::Result<::std::vec::Vec<::std::string::String>, $crate::Error> {
                $crate::__load::<$engine>(&entry, files)
            }
        }

        $crate::bindings::__export_script_engine!(__RaisfastEngine with_types_in $crate::bindings);
    };
}
