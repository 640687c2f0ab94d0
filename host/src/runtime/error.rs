//! Errors of loading a plugin into the runtime and of calling it.

use crate::host_api::HostError;
use crate::host_api::bindings::raisfast::plugin::types::Error as WitError;

impl From<WitError> for HostError {
    fn from(e: WitError) -> HostError {
        match e {
            WitError::Denied(m) => HostError::Denied(m),
            WitError::Invalid(m) => HostError::Invalid(m),
            WitError::NotFound => HostError::NotFound,
            WitError::Limit(m) => HostError::Limit(m),
            WitError::Failed(m) => HostError::Failed(m),
        }
    }
}

/// Why a plugin could not be loaded into the runtime.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The entry file could not be read.
    #[error("plugin {plugin}: cannot read {path}: {message}")]
    Read {
        /// The plugin id.
        plugin: String,
        /// The entry file.
        path: String,
        /// Why.
        message: String,
    },
    /// The entry is not a valid component, or does not compile.
    #[error("plugin {plugin}: {path} is not a valid WebAssembly component: {message}")]
    Compile {
        /// The plugin id.
        plugin: String,
        /// The entry file.
        path: String,
        /// wasmtime's reason.
        message: String,
    },
    /// The component needs imports the host does not provide or lacks the `guest` export.
    #[error("plugin {plugin}: {message}")]
    Link {
        /// The plugin id.
        plugin: String,
        /// wasmtime's reason.
        message: String,
    },
    /// A script plugin failed to load in its engine (a syntax error, an error
    /// thrown by its top-level code); the message names file and line.
    #[error("plugin {plugin}: {message}")]
    Script {
        /// The plugin id.
        plugin: String,
        /// The engine's message.
        message: String,
    },
    /// The manifest asks for more than the operator allows.
    #[error("plugin {plugin}: {message}")]
    Limits {
        /// The plugin id.
        plugin: String,
        /// What is over.
        message: String,
    },
}

/// Why one call into a plugin failed. Only that call fails: the next one runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The plugin returned an error (or threw).
    #[error("plugin {plugin} failed in `{hook}`: {error}")]
    Plugin {
        /// The plugin id.
        plugin: String,
        /// The hook or route handler.
        hook: String,
        /// What the plugin returned.
        error: HostError,
    },
    /// The call ran past its deadline and was stopped.
    #[error(
        "plugin {plugin} timed out in `{hook}` after {timeout_ms} ms (timeout_ms in [permissions])"
    )]
    Timeout {
        /// The plugin id.
        plugin: String,
        /// The hook or route handler.
        hook: String,
        /// The deadline.
        timeout_ms: u64,
    },
    /// The server took the database writer turn back from the call, which held
    /// it (in a transaction) while a core write waited.
    #[error(
        "plugin {plugin} was stopped in `{hook}`: it held the database write lock while the server needed to write; its transaction was rolled back (keep transactions short)"
    )]
    Preempted {
        /// The plugin id.
        plugin: String,
        /// The hook or route handler.
        hook: String,
    },
    /// The instance needed more memory than its cap.
    #[error(
        "plugin {plugin} ran out of memory in `{hook}` (limit {limit_mb} MiB, max_memory_mb in [permissions])"
    )]
    OutOfMemory {
        /// The plugin id.
        plugin: String,
        /// The hook or route handler.
        hook: String,
        /// The cap.
        limit_mb: u64,
    },
    /// The instance exhausted its stack (unbounded recursion).
    #[error("plugin {plugin} overflowed its stack in `{hook}` (unbounded recursion?)")]
    StackOverflow {
        /// The plugin id.
        plugin: String,
        /// The hook or route handler.
        hook: String,
    },
    /// The instance trapped (a panic, `unreachable`, a bad memory access).
    #[error("plugin {plugin} crashed in `{hook}`: {message}")]
    Trap {
        /// The plugin id.
        plugin: String,
        /// The hook or route handler.
        hook: String,
        /// The trap and the top of the wasm backtrace.
        message: String,
    },
    /// A new instance could not be created.
    #[error("plugin {plugin}: cannot create an instance: {message}")]
    Instantiate {
        /// The plugin id.
        plugin: String,
        /// Why.
        message: String,
    },
    /// The plugin is not loaded or is disabled.
    #[error("plugin {plugin} is not available: {reason}")]
    Unavailable {
        /// The plugin id.
        plugin: String,
        /// Why.
        reason: String,
    },
}

impl CallError {
    /// Whether the call hit its deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(self, CallError::Timeout { .. })
    }

    /// Whether the plugin was refused a permission.
    pub fn is_denied(&self) -> bool {
        matches!(
            self,
            CallError::Plugin {
                error: HostError::Denied(_),
                ..
            }
        )
    }
}

/// The trap raised in a call that the core preempted.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("preempted by a core database write")]
pub struct Preempted;

/// A failed call with the log lines the plugin wrote before failing.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct CallFailure {
    /// Why the call failed.
    pub error: CallError,
    /// Log lines written before the failure.
    pub logs: Vec<crate::host_api::LogLine>,
}

impl From<CallError> for CallFailure {
    fn from(error: CallError) -> CallFailure {
        CallFailure {
            error,
            logs: Vec::new(),
        }
    }
}
