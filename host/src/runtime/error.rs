//! Errors of loading a plugin into the runtime and of calling it.

use crate::host_api::HostError;

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

/// Why one call into a plugin failed: which plugin, which handler, and what
/// happened. Only that call fails: the next one runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct CallError {
    /// The plugin id.
    pub plugin: String,
    /// The hook or route handler; `None` when the call never reached one (no
    /// instance could be created, or the plugin is not available).
    pub handler: Option<String>,
    /// What happened.
    pub kind: CallErrorKind,
}

/// What went wrong in a [`CallError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallErrorKind {
    /// The plugin returned an error (or threw).
    Plugin {
        /// What the plugin returned.
        error: HostError,
    },
    /// The call ran past its deadline and was stopped.
    Timeout {
        /// The deadline.
        timeout_ms: u64,
    },
    /// The server took the database writer turn back from the call, which held
    /// it (in a transaction) while a core write waited.
    Preempted,
    /// The instance needed more memory than its cap.
    OutOfMemory {
        /// The cap.
        limit_mb: u64,
    },
    /// The instance exhausted its stack (unbounded recursion).
    StackOverflow,
    /// The instance trapped (a panic, `unreachable`, a bad memory access).
    Trap {
        /// The trap and the top of the wasm backtrace.
        message: String,
    },
    /// A new instance could not be created.
    Instantiate {
        /// Why.
        message: String,
    },
    /// The plugin is not loaded or is disabled.
    Unavailable {
        /// Why.
        reason: String,
    },
}

impl CallError {
    /// A failure of `handler` of `plugin`.
    pub fn new(plugin: &str, handler: &str, kind: CallErrorKind) -> CallError {
        CallError {
            plugin: plugin.to_string(),
            handler: Some(handler.to_string()),
            kind,
        }
    }

    /// A failure before any handler ran (instantiation, availability).
    pub fn before_call(plugin: &str, kind: CallErrorKind) -> CallError {
        CallError {
            plugin: plugin.to_string(),
            handler: None,
            kind,
        }
    }

    /// Whether the call hit its deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, CallErrorKind::Timeout { .. })
    }

    /// Whether the plugin was refused a permission.
    pub fn is_denied(&self) -> bool {
        matches!(
            self.kind,
            CallErrorKind::Plugin {
                error: HostError::Denied(_)
            }
        )
    }

    fn describe(&self) -> String {
        let plugin = &self.plugin;
        let hook = self.handler.as_deref().unwrap_or("?");
        match &self.kind {
            CallErrorKind::Plugin { error } => {
                format!("plugin {plugin} failed in `{hook}`: {error}")
            }
            CallErrorKind::Timeout { timeout_ms } => format!(
                "plugin {plugin} timed out in `{hook}` after {timeout_ms} ms (timeout_ms in [permissions])"
            ),
            CallErrorKind::Preempted => format!(
                "plugin {plugin} was stopped in `{hook}`: it held the database write lock while the server needed to write; its transaction was rolled back (keep transactions short)"
            ),
            CallErrorKind::OutOfMemory { limit_mb } => format!(
                "plugin {plugin} ran out of memory in `{hook}` (limit {limit_mb} MiB, max_memory_mb in [permissions])"
            ),
            CallErrorKind::StackOverflow => {
                format!("plugin {plugin} overflowed its stack in `{hook}` (unbounded recursion?)")
            }
            CallErrorKind::Trap { message } => {
                format!("plugin {plugin} crashed in `{hook}`: {message}")
            }
            CallErrorKind::Instantiate { message } => {
                format!("plugin {plugin}: cannot create an instance: {message}")
            }
            CallErrorKind::Unavailable { reason } => {
                format!("plugin {plugin} is not available: {reason}")
            }
        }
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
