//! How the host API reaches a plugin's state inside any wasmtime store.
//!
//! The capabilities implement the WIT interfaces on [`PluginHost`]: a borrow
//! of the plugin's [`PluginContext`] and the current call's [`CallState`],
//! nothing else. Whatever a store keeps (the runtime's `HostState` adds WASI
//! and the resource limiter) it hands the host API this view through
//! [`PluginHostView`], the way `wasmtime-wasi`'s `WasiView` works. A
//! capability is therefore testable without a store: build a
//! `PluginHost` from a context and a call state and call its methods.
//!
//! [`add_to_linker`] adds every capability to a linker: a new capability is
//! its own file, its WIT interface, and one line there.

use super::bindings::raisfast::plugin::types::Error as WitError;
use super::{CallState, HostError, PluginContext};
use wasmtime::component::{HasData, Linker};

/// One plugin instance's view for the host API: whose it is and which call runs.
pub struct PluginHost<'a> {
    /// The plugin the instance belongs to.
    pub plugin: &'a PluginContext,
    /// The call in progress.
    pub call: &'a mut CallState,
}

/// Store data that can lend the host API its [`PluginHost`] view.
pub trait PluginHostView: Send + 'static {
    /// The view on this instance's plugin and call.
    fn plugin_host(&mut self) -> PluginHost<'_>;
}

/// Marks [`PluginHost`] as the data the generated `add_to_linker` functions reach.
pub struct HasPluginHost;

impl HasData for HasPluginHost {
    type Data<'a> = PluginHost<'a>;
}

impl PluginHost<'_> {
    /// Runs one host call: refused while the plugin is being loaded (its
    /// top-level code), denials counted, the result converted for the guest.
    pub fn run<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&PluginContext, &mut CallState) -> Result<T, HostError>,
    ) -> Result<T, WitError> {
        let r = if self.call.loading {
            Err(HostError::Invalid(format!(
                "{what} is not available while the plugin loads (its top-level code); call it from a handler"
            )))
        } else {
            f(self.plugin, self.call)
        };
        self.done(r)
    }

    /// Counts a denial and converts the result for the guest.
    pub fn done<T>(&mut self, r: Result<T, HostError>) -> Result<T, WitError> {
        if let Err(HostError::Denied(msg)) = &r {
            self.call.denials += 1;
            tracing::warn!(plugin = %self.plugin.id, hook = %self.call.hook, "denied: {msg}");
        }
        r.map_err(WitError::from)
    }
}

impl super::bindings::raisfast::plugin::types::Host for PluginHost<'_> {}

/// Adds every capability of the host API to `linker`.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    super::bindings::raisfast::plugin::types::add_to_linker::<T, HasPluginHost>(
        linker,
        T::plugin_host,
    )?;
    super::db::add_to_linker(linker)?;
    super::http::add_to_linker(linker)?;
    super::vfs::add_to_linker(linker)?;
    super::kv::add_to_linker(linker)?;
    super::config::add_to_linker(linker)?;
    super::events::add_to_linker(linker)?;
    super::log::add_to_linker(linker)?;
    super::ids::add_to_linker(linker)?;
    Ok(())
}
