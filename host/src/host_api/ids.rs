//! `ids`: time-ordered unique ids (UUIDv7).
//!
//! - **linker**: `raisfast:plugin/ids`.
//! - **load**, **per call**: nothing.

use super::{HasPluginHost, PluginHost, PluginHostView};
use crate::host_api::bindings::raisfast::plugin::ids as wit;
use wasmtime::component::Linker;

/// Adds `raisfast:plugin/ids` to the linker.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasPluginHost>(linker, T::plugin_host)
}

impl wit::Host for PluginHost<'_> {
    fn new_id(&mut self) -> String {
        uuid::Uuid::now_v7().hyphenated().to_string()
    }
}
