//! Errors of the plugin manager: why a plugin is not loaded ([`LoadError`],
//! kept in [`PluginState::Failed`](super::PluginState::Failed)) and why an
//! operation on plugins failed ([`ManagerError`]).

use crate::manifest::ManifestErrors;
use crate::runtime::SourceError;
use crate::storage::{MigrationError, StorageError};

/// Why a plugin could not be loaded; what the admin API and the CLI show.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// Its manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestErrors),
    /// Its directory now declares another id.
    #[error("{dir} now declares id {new}; the old id {old} keeps its last version")]
    IdChanged {
        /// The plugin directory.
        dir: String,
        /// The id it was loaded as.
        old: String,
        /// The id it declares now.
        new: String,
    },
    /// The runtime refused it (unreadable entry, invalid component, a script
    /// that fails to load, limits over the operator's ceilings).
    #[error(transparent)]
    Runtime(#[from] crate::runtime::LoadError),
    /// Its script sources could not be collected.
    #[error("plugin {plugin}: {error}")]
    Sources {
        /// The plugin id.
        plugin: String,
        /// Why.
        error: SourceError,
    },
    /// Its table prefix is one the server keeps for itself.
    #[error(
        "plugin {plugin}: its table prefix `{prefix}` is reserved by the server; choose another last id segment"
    )]
    ReservedPrefix {
        /// The plugin id.
        plugin: String,
        /// The prefix.
        prefix: String,
    },
    /// Its table prefix could not be claimed (another plugin owns it).
    #[error("{message}")]
    Prefix {
        /// The storage's reason, naming both plugins.
        message: String,
    },
    /// A migration failed; it was rolled back.
    #[error("plugin {plugin}: {error}")]
    Migration {
        /// The plugin id.
        plugin: String,
        /// The migration and why.
        error: MigrationError,
    },
    /// A dependency is missing, of the wrong version, in a cycle, or failed.
    #[error("{reason}")]
    Dependency {
        /// Which, and why.
        reason: String,
    },
}

/// Errors of managing plugins.
#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    /// No plugin has that id.
    #[error("no plugin with id `{0}`")]
    NotFound(String),
    /// The plugin could not be (re)loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Another directory holds the plugin id (identity is bound at install).
    #[error("{0}")]
    IdTaken(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StorageError),
}
