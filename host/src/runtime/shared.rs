//! The compiled script engines, one per runtime, shared by all its plugins.
//!
//! The first script plugin of a runtime prepares its engine: wizer
//! instruments the engine component (exports that read its state, used to
//! take snapshots), [`super::split`] makes the engine part that imports its
//! state, and that part is compiled once (through the compile cache, so once
//! per machine). Every plugin of the runtime is then linked against that one
//! compiled component with its own state module: loading a script plugin
//! compiles no code, and a hundred plugins run one copy of the engine's
//! machine code.

use super::error::LoadError;
use super::split::{self, STATE_IMPORT};
use super::{InstancePolicy, Limits, LoadedPlugin, Runtime, Snapshot, script_engines};
use crate::host_api::PluginContext;
use crate::host_api::bindings::PluginPre;
use crate::manifest::RuntimeKind;
use std::sync::{Arc, OnceLock};
use wasmtime::Module;
use wasmtime::component::{Component, InstancePre};
use wasmtime_wizer::{ComponentContext, Wizer};

/// Bumped when the split's output changes, so that engines compiled by an
/// older split are not taken from the cache.
const SPLIT_FORMAT: u32 = 1;

/// One runtime's engine, compiled, shared by all its plugins.
pub struct SharedEngine {
    kind: RuntimeKind,
    /// The engine part, compiled once.
    pub(super) component: Component,
    /// What taking a snapshot needs, prepared when first needed (a start
    /// with every snapshot in the cache never reads the engine's bytes).
    snapshots: OnceLock<Result<Arc<SnapshotParts>, String>>,
}

/// What taking a snapshot with a shared engine needs.
pub struct SnapshotParts {
    /// wizer's view of the engine component, to take snapshots with.
    pub(super) wizer_cx: ComponentContext<'static>,
    /// The engine's own initial state: the instance that loads a plugin.
    pub(super) initial_state: Module,
    /// Which core module of the component holds the state.
    pub(super) main_module: usize,
}

/// The shared engines of a [`Runtime`], prepared on first use.
#[derive(Default)]
pub struct SharedEngines {
    slots: [OnceLock<Result<Arc<SharedEngine>, String>>; 3],
}

impl Runtime {
    /// The shared engine of a script runtime, prepared (and compiled, or taken
    /// from the compile cache) by the first caller.
    pub(super) fn shared_engine(&self, kind: RuntimeKind) -> Result<Arc<SharedEngine>, String> {
        let slot = match kind {
            RuntimeKind::Js => 0,
            RuntimeKind::Lua => 1,
            RuntimeKind::Rhai => 2,
            RuntimeKind::Wasm => return Err("not a script runtime".into()),
        };
        self.shared.slots[slot]
            .get_or_init(|| self.prepare_engine(kind).map(Arc::new))
            .clone()
    }

    /// The compiled engine part, from the cache by the engine's fingerprint,
    /// or split and compiled now.
    fn prepare_engine(&self, kind: RuntimeKind) -> Result<SharedEngine, String> {
        let mut parts = None;
        let mut split_now = || -> wasmtime::Result<Vec<u8>> {
            let (p, wasm) = self.split_engine(kind).map_err(wasmtime::Error::msg)?;
            parts = Some(Arc::new(p));
            Ok(wasm)
        };
        let component = match &self.cache {
            Some(c) => {
                let key = format!(
                    "{}-engine-{}-split{SPLIT_FORMAT}",
                    kind.as_str(),
                    script_engines::hash(kind)
                );
                c.load_or_compile_keyed(&self.engine, &key, split_now)
            }
            None => split_now().and_then(|wasm| Component::new(&self.engine, &wasm)),
        }
        .map_err(|e| format!("compiling the {} engine: {e:#}", kind.as_str()))?;
        Ok(SharedEngine {
            kind,
            component,
            snapshots: parts.map(Ok).map(OnceLock::from).unwrap_or_default(),
        })
    }

    /// The engine instrumented by wizer and split; its initial state compiled.
    fn split_engine(&self, kind: RuntimeKind) -> Result<(SnapshotParts, Vec<u8>), String> {
        let wasm = script_engines::component(kind).ok_or("not a script runtime")?;
        let (wizer_cx, instrumented) = Wizer::new()
            .instrument_component(wasm)
            .map_err(|e| format!("instrumenting the {} engine: {e:#}", kind.as_str()))?;
        let parts = split::split(&instrumented)
            .map_err(|e| format!("splitting the {} engine: {e}", kind.as_str()))?;
        let initial_state = self
            .compile_module(&parts.initial_state)
            .map_err(|e| format!("the {} engine's initial state: {e:#}", kind.as_str()))?;
        let snapshot = SnapshotParts {
            wizer_cx,
            initial_state,
            main_module: parts.main_module,
        };
        Ok((snapshot, parts.engine))
    }

    /// What taking a snapshot with `engine` needs.
    pub(super) fn snapshot_parts(
        &self,
        engine: &SharedEngine,
    ) -> Result<Arc<SnapshotParts>, String> {
        engine
            .snapshots
            .get_or_init(|| self.split_engine(engine.kind).map(|(p, _)| Arc::new(p)))
            .clone()
    }

    /// The shared engine linked with one state module.
    pub(super) fn link_state(
        &self,
        engine: &SharedEngine,
        state: &Module,
    ) -> wasmtime::Result<InstancePre<super::HostState>> {
        let mut linker = self.linker.clone();
        linker.root().module(STATE_IMPORT, state)?;
        linker.instantiate_pre(&engine.component)
    }

    /// Links a snapshotted script plugin: its state module with its runtime's
    /// shared engine. Compiles no code.
    pub fn load_script(
        &self,
        ctx: Arc<PluginContext>,
        kind: RuntimeKind,
        snapshot: &Snapshot,
        limits: Limits,
        policy: InstancePolicy,
    ) -> Result<LoadedPlugin, LoadError> {
        let plugin = ctx.id.clone();
        self.check_limits(&plugin, limits)?;
        let fail = |message: String| LoadError::Script {
            plugin: plugin.clone(),
            message,
        };
        let engine = self.shared_engine(kind).map_err(fail)?;
        let state = self
            .compile_module(&snapshot.state)
            .map_err(|e| fail(format!("its snapshot: {e:#}")))?;
        let pre = self
            .link_state(&engine, &state)
            .and_then(PluginPre::new)
            .map_err(|e| LoadError::Link {
                plugin: plugin.clone(),
                message: format!("linking its snapshot: {e:#}"),
            })?;
        Ok(
            LoadedPlugin::new(ctx, pre, self.engine.clone(), limits, policy)
                .with_handlers(snapshot.handlers.clone()),
        )
    }
}
