//! `ids`: time-ordered unique ids (UUIDv7).
//!
//! - **linker**: `raisfast:plugin/ids`.
//! - **load**, **per call**: nothing.

use crate::runtime::HostState;
use crate::runtime::bindings::raisfast::plugin::ids as wit;
use wasmtime::component::{HasSelf, Linker};

/// Adds `raisfast:plugin/ids` to the linker.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<HostState, HasSelf<HostState>>(linker, |s| s)
}

impl wit::Host for HostState {
    fn new_id(&mut self) -> String {
        uuid::Uuid::now_v7().hyphenated().to_string()
    }
}
