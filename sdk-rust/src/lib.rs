//! Write [RaisFast](https://github.com/raisfast/raisfast) plugins in Rust.
//!
//! A plugin is a WebAssembly component: implement [`Plugin`], export it with
//! [`export_plugin!`], and build with `cargo build --target wasm32-wasip2`
//! (or `raisfast plugin build`, which also copies the result to `plugin.wasm`).
//!
//! ```no_run
//! use raisfast_sdk::{Content, HookResult, Input, Plugin, Request, Response, Result, kv, log, ok};
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn handle(hook: &str, input: Input) -> HookResult {
//!         if hook == "on_content_created" {
//!             let event = input.event::<Content>()?;
//!             log::info(&format!("new content: {}", event.body.title));
//!         }
//!         Ok(None)
//!     }
//!
//!     fn route(req: Request) -> Result<Response> {
//!         let n: u64 = kv::get("visits")?.unwrap_or(0) + 1;
//!         kv::set("visits", &n)?;
//!         ok(serde_json::json!({ "handler": req.handler(), "visits": n }))
//!     }
//! }
//!
//! raisfast_sdk::export_plugin!(Hello);
//! ```
//!
//! Every host module ([`db`], [`http`], [`vfs`], [`kv`], [`config`],
//! [`events`], [`log`], [`ids`]) calls the host through the WIT contract; a
//! refused permission comes back as [`Error::Denied`] naming what to add to
//! `manifest.toml`.
//!
//! Instances of wasm plugins are pooled: state kept in statics survives
//! between calls served by the same instance (and is lost when an instance is
//! discarded after a crash). Keep durable state in [`kv`] or [`db`].

#![warn(missing_docs)]

extern crate self as raisfast_sdk;

pub mod bindings;
pub mod config;
pub mod db;
mod error;
pub mod events;
mod hook;
pub mod http;
pub mod ids;
pub mod kv;
pub mod log;
mod route;
pub mod vfs;

pub use error::{Error, Result};
pub use hook::{Comment, Content, HookEvent, Input, User};
pub use route::{Request, Response, fail, ok};
pub use serde_json::{Value, json};

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

/// What a hook handler returns: `Ok(None)` to leave a filter's payload as it
/// is (and for actions), `Ok(Some(value))` to replace it, `Err` to fail.
pub type HookResult = Result<Option<Value>>;

/// The reserved hook through which the host asks a component for the names
/// of its handlers, when it loads it (see [`Plugin::HANDLERS`]).
pub const HANDLERS_HOOK: &str = "raisfast:handlers";

/// A plugin: handlers for hooks (and events, cron jobs, lifecycle) and routes.
pub trait Plugin {
    /// The names [`handle`](Plugin::handle) and [`route`](Plugin::route)
    /// answer to: hook handlers, event and cron handlers, route handlers.
    /// When declared, `raisfast plugin check` fails on a manifest that names
    /// a handler missing from this list (a typo, a forgotten match arm) and
    /// the host subscribes the plugin only to these. Empty (the default):
    /// the host cannot tell, and trusts the manifest.
    const HANDLERS: &'static [&'static str] = &[];

    /// Handles `hook` (a hook, custom event, cron handler name, `on_load`...).
    /// The default ignores every hook.
    fn handle(hook: &str, input: Input) -> HookResult {
        let _ = (hook, input);
        Ok(None)
    }

    /// Serves a route; `req.handler()` names the `[[routes]]` handler. The
    /// default answers 404.
    fn route(req: Request) -> Result<Response> {
        let _ = req;
        Err(Error::NotFound)
    }
}

#[doc(hidden)]
pub fn __handle<P: Plugin>(
    hook: String,
    payload: String,
) -> std::result::Result<Option<String>, bindings::raisfast::plugin::types::Error> {
    if hook == HANDLERS_HOOK && !P::HANDLERS.is_empty() {
        return Ok(Some(json!(P::HANDLERS).to_string()));
    }
    match P::handle(&hook, Input(payload)) {
        Ok(Some(v)) => Ok(Some(v.to_string())),
        Ok(None) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[doc(hidden)]
pub fn __route<P: Plugin>(
    req: bindings::raisfast::plugin::types::RouteRequest,
) -> std::result::Result<
    bindings::raisfast::plugin::types::RouteResponse,
    bindings::raisfast::plugin::types::Error,
> {
    P::route(Request(req)).map(|r| r.0).map_err(Into::into)
}

/// Exports a [`Plugin`] implementation as the component's `guest` interface.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __RaisfastGuest;

        impl $crate::bindings::exports::raisfast::plugin::guest::Guest for __RaisfastGuest {
            fn handle(
                hook: ::std::string::String,
                payload: ::std::string::String,
            ) -> ::std::result::Result<
                ::std::option::Option<::std::string::String>,
                $crate::bindings::raisfast::plugin::types::Error,
            > {
                $crate::__handle::<$plugin>(hook, payload)
            }

            fn route(
                request: $crate::bindings::raisfast::plugin::types::RouteRequest,
            ) -> ::std::result::Result<
                $crate::bindings::raisfast::plugin::types::RouteResponse,
                $crate::bindings::raisfast::plugin::types::Error,
            > {
                $crate::__route::<$plugin>(request)
            }
        }

        $crate::bindings::__export_guest!(__RaisfastGuest with_types_in $crate::bindings);
    };
}

/// The Rust samples of `docs/wasm-plugins.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/wasm-plugins.md")]
pub struct DocsWasmPlugins;
