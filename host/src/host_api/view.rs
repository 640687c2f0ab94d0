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
        let _span =
            tracing::debug_span!(target: crate::telemetry::otlp::TARGET, "host.call", call = what)
                .entered();
        let r = if self.call.loading {
            Err(HostError::Invalid(format!(
                "{what} is not available while the plugin loads (its top-level code); call it from a handler"
            )))
        } else {
            f(self.plugin, self.call)
        };
        self.done(what, r)
    }

    /// Counts a denial of `what` (`kv.get`, ...: the capability is the part
    /// before the dot) and converts the result for the guest.
    pub fn done<T>(&mut self, what: &str, r: Result<T, HostError>) -> Result<T, WitError> {
        if let Err(HostError::Denied(msg)) = &r {
            self.call.denials += 1;
            let capability = what.split('.').next().unwrap_or(what);
            let services = &self.plugin.services;
            services.telemetry.denial(&self.plugin.id, capability);
            tracing::warn!(plugin = %self.plugin.id, hook = %self.call.handler, "denied: {msg}");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host_api::bindings::raisfast::plugin::{kv, log, vfs};
    use crate::host_api::{PluginContext, Services};
    use crate::manifest::grants::Grants;
    use crate::settings::Settings;
    use serde_json::Value;
    use std::sync::Arc;
    use std::time::Duration;

    /// A capability runs on a context and a call state alone: no engine, no
    /// store, no component.
    #[test]
    fn capabilities_run_on_the_view_without_a_store() {
        let tmp = tempfile::tempdir().unwrap();
        let settings = Arc::new(Settings {
            data_dir: tmp.path().join("data"),
            ..Settings::default()
        });
        std::fs::create_dir_all(&settings.data_dir).unwrap();
        let db = crate::storage::open(&settings).unwrap();
        let services = Services::new(Arc::clone(&settings), db);
        let ctx = PluginContext::new("com.example.view", Grants::default(), Value::Null, services);
        let mut call = CallState::new("handler", Duration::from_secs(5), 0);
        let mut host = PluginHost {
            plugin: &ctx,
            call: &mut call,
        };

        log::Host::log(&mut host, log::Level::Info, "hello".into(), vec![]);
        kv::Host::set(&mut host, "k".into(), "[1,2]".into(), None).unwrap();
        assert_eq!(
            kv::Host::get(&mut host, "k".into()).unwrap().as_deref(),
            Some("[1,2]")
        );
        // Not granted `vfs = ["write"]`: denied, and the denial counted.
        let denied = vfs::Host::write(&mut host, "a.txt".into(), b"x".to_vec());
        assert!(matches!(denied, Err(WitError::Denied(_))), "{denied:?}");
        assert_eq!(call.logs.len(), 1);
        assert_eq!(call.logs[0].message, "hello");
        assert_eq!(call.denials, 1);
    }
}
