//! RaisFast: a small CMS server extended by sandboxed, polyglot plugins.
//!
//! # Concepts
//!
//! - A **plugin** is a directory with a `manifest.toml` ([`manifest`]) and an
//!   entry file: `main.js`, `init.lua`, `init.rhai` or `plugin.wasm`.
//! - **Every plugin runs as a WebAssembly component** in one wasmtime engine
//!   ([`runtime`]). Script plugins run inside engine components (QuickJS, Lua,
//!   Rhai compiled to wasm); wasm plugins are components built by their
//!   authors against the WIT contract in `wit/`.
//! - The **host API** ([`host_api`]) is what a plugin can ask of the server:
//!   database, outbound HTTP, files, KV, config, events, logs and ids. It is
//!   implemented once for all runtimes and denies what the manifest does not
//!   grant.
//! - The **plugin manager** ([`manager`]) discovers plugins, orders them by
//!   dependencies, loads, enables, disables and reloads them.

pub mod cli;
pub mod cms;
pub mod cron;
pub mod dispatch;
pub mod host_api;
pub mod manager;
pub mod manifest;
pub mod package;
pub mod plugin_dir;
pub mod routes;
pub mod runtime;
pub mod server;
pub mod settings;
pub mod storage;
pub mod telemetry;
pub mod toolchain;
pub mod watch;
