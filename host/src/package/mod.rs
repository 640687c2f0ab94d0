//! Plugin packages (`.rfp`): one file an operator installs, with consent.
//!
//! A package is a gzip-compressed tar archive holding
//!
//! - `raisfast-package.json`: the format version, the plugin's id and
//!   version, and the SHA-256 of every file (the checksum manifest);
//! - `plugin/...`: the plugin directory's files, without what a build or an
//!   editor leaves behind (`target/`, the generated `sdk/` of a compiled
//!   plugin, hidden files, `*~`, `*.tmp*`).
//!
//! Reading one trusts nothing: the archive is read as a stream with caps on
//! its size, its unpacked size and its number of files; only plain files and
//! directories with clean relative paths are accepted (no links, no `..`, no
//! absolute paths, no devices); every file must match its checksum and none
//! may be missing or extra; the manifest must validate and name the id and
//! version the package claims. A refused package leaves nothing behind.
//!
//! [`install`] then places a read package in the plugin directory: a new id
//! gets a directory named after it, an installed id has its directory
//! replaced in one rename (a downgrade only when forced). Approval is the
//! caller's: the CLI asks on the terminal, the server stages the package
//! until an administrator approves it.

mod archive;
mod install;

pub use archive::{PackInfo, Package, pack};
pub use install::{Installed, Plan, Previous, install, plan, staging_dir};

/// The file name extension of packages.
pub const EXTENSION: &str = "rfp";
/// The largest package file read, in bytes.
pub const MAX_PACKAGE_BYTES: u64 = 64 * 1024 * 1024;
/// The most bytes a package may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// The most files a package may hold.
pub const MAX_FILES: usize = 20_000;
/// The version of the package format this server writes and reads.
pub const FORMAT: u32 = 1;

/// Why a package was refused, or could not be made or installed.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The file is not a package, or is damaged.
    #[error("not a RaisFast package (.rfp): {0}")]
    Corrupt(String),
    /// An entry of the archive is not allowed.
    #[error("the package holds `{path}`: {why}")]
    Entry {
        /// The entry's path in the archive.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// A cap was reached.
    #[error("the package is too large: {0}")]
    TooLarge(String),
    /// A file does not match the checksum manifest.
    #[error("`{0}` does not match its checksum: the package was changed after it was made")]
    Checksum(String),
    /// The plugin inside does not validate.
    #[error("the plugin in the package is not valid:\n{0}")]
    Manifest(String),
    /// An older version would replace a newer one.
    #[error(
        "{id} {installed} is installed; the package holds {offered}, an older version (install it with --force to downgrade)"
    )]
    Downgrade {
        /// The plugin id.
        id: String,
        /// The installed version.
        installed: String,
        /// The package's version.
        offered: String,
    },
    /// Reading or writing files failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

impl PackageError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> PackageError {
        PackageError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
