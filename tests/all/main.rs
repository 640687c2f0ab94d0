//! RaisFast's integration tests: one binary, one file per topic (the model is
//! wasmtime's `tests/all`). Guest plugins live in `tests/plugins/`, one folder
//! per scenario, and are built once per run by [`support::guests`].

mod api_contract;
mod architecture;
mod attacks;
mod backend;
mod cli;
mod cms;
mod conformance;
mod console;
mod crm;
mod db;
mod docs;
mod entry;
mod fuzz;
mod getting_started;
mod host_api;
mod http;
mod languages;
mod limits;
mod live;
mod lua_testes;
mod manager;
mod manifest;
mod npm;
mod observability;
mod packages;
mod pg_plugins;
mod pg_server;
mod pg_support;
mod production;
mod sandbox;
mod scripts;
mod sdk_types;
mod server;
mod server_support;
mod soak;
mod storage;
mod support;
mod typescript;
mod vfs;
mod web_apis;
mod whole_api;
