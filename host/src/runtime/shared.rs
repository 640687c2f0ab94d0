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
use super::split::{self, STATE_IMPORT, SplitError};
use super::warm::{Link, Linked};
use super::{HostState, InstancePolicy, Limits, LoadedPlugin, Runtime, Snapshot, script_engines};
use crate::host_api::PluginContext;
use crate::host_api::bindings::PluginPre;
use crate::manifest::RuntimeKind;
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, Module};
use wasmtime_wizer::{ComponentContext, Wizer};

/// Bumped when the split's output changes, so that engines compiled by an
/// older split are not taken from the cache.
const SPLIT_FORMAT: u32 = 1;

/// Why a script runtime's shared engine could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The plugin's runtime has no script engine (a wasm component).
    #[error("{0} is not a script runtime")]
    NotScript(&'static str),
    /// wizer could not instrument the engine component.
    #[error("instrumenting the {kind} engine: {message}")]
    Instrument {
        /// The runtime.
        kind: &'static str,
        /// wizer's message.
        message: String,
    },
    /// The engine component has a shape the split does not handle.
    #[error("splitting the {kind} engine: {error}")]
    Split {
        /// The runtime.
        kind: &'static str,
        /// Why.
        error: SplitError,
    },
    /// wasmtime could not compile the engine part or its initial state.
    #[error("compiling the {kind} engine: {message}")]
    Compile {
        /// The runtime.
        kind: &'static str,
        /// wasmtime's message.
        message: String,
    },
}

/// One runtime's engine, compiled, shared by all its plugins.
pub struct SharedEngine {
    kind: RuntimeKind,
    /// The engine part, compiled once.
    pub(super) component: Component,
    /// What taking a snapshot needs, prepared when first needed (a start
    /// with every snapshot in the cache never reads the engine's bytes).
    snapshots: OnceLock<Result<Arc<SnapshotParts>, Arc<EngineError>>>,
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

/// What links one script plugin's state with its runtime's shared engine:
/// at load, and again whenever it was made cold ([`super::warm`]).
struct StateLink {
    plugin: String,
    engine: Arc<SharedEngine>,
    linker: Arc<Linker<HostState>>,
    wasm: Engine,
    cache: Option<super::cache::CompileCache>,
    key: String,
    snapshot_file: Option<PathBuf>,
}

impl StateLink {
    /// Maps the compiled state (from the cache, or compiled now from `fresh`
    /// or the cached snapshot) and links it.
    fn link(&self, fresh: Option<&[u8]>) -> Result<Linked, LoadError> {
        let fail = |message: String| LoadError::Script {
            plugin: self.plugin.clone(),
            message,
        };
        let state_bytes = || -> wasmtime::Result<Cow<'_, [u8]>> {
            match (fresh, &self.snapshot_file) {
                (Some(b), _) => Ok(Cow::Borrowed(b)),
                (None, Some(path)) => std::fs::read(path)
                    .map(Cow::Owned)
                    .map_err(|e| wasmtime::format_err!("{}: {e}", path.display())),
                (None, None) => Err(wasmtime::format_err!("no snapshot to link")),
            }
        };
        let (state, cost) = match &self.cache {
            Some(c) => {
                let m = c.load_or_compile_state(&self.wasm, &self.key, state_bytes);
                // Counted twice: the module's own mapping of its image, and a
                // pool slot's, each hold pages of it resident.
                let cost = std::fs::metadata(c.state_path(&self.key)).map_or(0, |m| 2 * m.len());
                (m, cost)
            }
            None => (state_bytes().and_then(|b| Module::new(&self.wasm, &b)), 0),
        };
        let state = state.map_err(|e| fail(format!("its snapshot: {e:#}")))?;
        let pre = link_state(&self.linker, &self.engine, &state)
            .and_then(PluginPre::new)
            .map_err(|e| LoadError::Link {
                plugin: self.plugin.clone(),
                message: format!("linking its snapshot: {e:#}"),
            })?;
        Ok(Linked { pre, cost })
    }
}

/// The shared engine linked with one state module.
fn link_state(
    linker: &Linker<HostState>,
    engine: &SharedEngine,
    state: &Module,
) -> wasmtime::Result<InstancePre<HostState>> {
    let mut linker = linker.clone();
    linker.root().module(STATE_IMPORT, state)?;
    linker.instantiate_pre(&engine.component)
}

/// The shared engines of a [`Runtime`], prepared on first use.
#[derive(Default)]
pub struct SharedEngines {
    slots: [OnceLock<Result<Arc<SharedEngine>, Arc<EngineError>>>; 3],
}

impl Runtime {
    /// The shared engine of a script runtime, prepared (and compiled, or taken
    /// from the compile cache) by the first caller.
    pub(super) fn shared_engine(
        &self,
        kind: RuntimeKind,
    ) -> Result<Arc<SharedEngine>, Arc<EngineError>> {
        let slot = match kind {
            RuntimeKind::Js => 0,
            RuntimeKind::Lua => 1,
            RuntimeKind::Rhai => 2,
            RuntimeKind::Wasm => return Err(Arc::new(EngineError::NotScript(kind.as_str()))),
        };
        self.shared.slots[slot]
            .get_or_init(|| self.prepare_engine(kind).map(Arc::new).map_err(Arc::new))
            .clone()
    }

    /// The compiled engine part, from the cache by the engine's fingerprint,
    /// or split and compiled now.
    fn prepare_engine(&self, kind: RuntimeKind) -> Result<SharedEngine, EngineError> {
        let mut parts = None;
        let mut failed = None;
        let mut split_now = || -> wasmtime::Result<Vec<u8>> {
            match self.split_engine(kind) {
                Ok((p, wasm)) => {
                    parts = Some(Arc::new(p));
                    Ok(wasm)
                }
                Err(e) => {
                    let message = e.to_string();
                    failed = Some(e);
                    Err(wasmtime::Error::msg(message))
                }
            }
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
        };
        let component = component.map_err(|e| {
            failed.take().unwrap_or_else(|| EngineError::Compile {
                kind: kind.as_str(),
                message: format!("{e:#}"),
            })
        })?;
        Ok(SharedEngine {
            kind,
            component,
            snapshots: parts.map(Ok).map(OnceLock::from).unwrap_or_default(),
        })
    }

    /// The engine instrumented by wizer and split; its initial state compiled.
    fn split_engine(&self, kind: RuntimeKind) -> Result<(SnapshotParts, Vec<u8>), EngineError> {
        let name = kind.as_str();
        let wasm = script_engines::component(kind).ok_or(EngineError::NotScript(name))?;
        let (wizer_cx, instrumented) =
            Wizer::new()
                .instrument_component(wasm)
                .map_err(|e| EngineError::Instrument {
                    kind: name,
                    message: format!("{e:#}"),
                })?;
        let parts = split::split(&instrumented)
            .map_err(|error| EngineError::Split { kind: name, error })?;
        let initial_state =
            self.compile_module(&parts.initial_state)
                .map_err(|e| EngineError::Compile {
                    kind: name,
                    message: format!("its initial state: {e:#}"),
                })?;
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
    ) -> Result<Arc<SnapshotParts>, Arc<EngineError>> {
        engine
            .snapshots
            .get_or_init(|| {
                self.split_engine(engine.kind)
                    .map(|(p, _)| Arc::new(p))
                    .map_err(Arc::new)
            })
            .clone()
    }

    /// The shared engine linked with the engine's own initial state: the
    /// instance that loads a plugin to snapshot it.
    pub(super) fn link_initial(
        &self,
        engine: &SharedEngine,
        parts: &SnapshotParts,
    ) -> wasmtime::Result<InstancePre<HostState>> {
        link_state(&self.linker, engine, &parts.initial_state)
    }

    /// Links a snapshotted script plugin: its state module with its runtime's
    /// shared engine. Compiles no code. With the compile cache, the plugin
    /// joins the server's warm set ([`super::warm`]).
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
        let engine = self.shared_engine(kind).map_err(|e| LoadError::Script {
            plugin: plugin.clone(),
            message: e.to_string(),
        })?;
        let link = StateLink {
            plugin,
            engine,
            linker: Arc::clone(&self.linker),
            wasm: self.engine.clone(),
            cache: self.cache.clone(),
            key: snapshot.key.clone(),
            snapshot_file: self.snapshot_file(&snapshot.key),
        };
        let linked = link.link(snapshot.state.as_deref())?;
        let link = match self.cache {
            Some(_) => Link::Warm(self.warm.join(linked, move || link.link(None))),
            None => Link::Fixed(linked.pre),
        };
        Ok(
            LoadedPlugin::new(ctx, link, self.engine.clone(), limits, policy)
                .with_handlers(snapshot.handlers.clone()),
        )
    }
}
