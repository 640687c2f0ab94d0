//! The plugin's own files (`[permissions] filesystem = ["read", "write"]`).

use crate::Result;
use crate::bindings::raisfast::plugin::vfs as wit;

pub use wit::Entry;

/// Reads a whole file.
pub fn read(path: &str) -> Result<Vec<u8>> {
    Ok(wit::read(path)?)
}

/// Reads a whole file as UTF-8 text.
pub fn read_to_string(path: &str) -> Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|_| crate::Error::invalid(format!("{path} is not UTF-8")))
}

/// Creates or replaces a file (atomically), creating parent directories.
pub fn write(path: &str, data: impl AsRef<[u8]>) -> Result<()> {
    Ok(wit::write(path, data.as_ref())?)
}

/// Deletes a file or an empty directory.
pub fn delete(path: &str) -> Result<()> {
    Ok(wit::delete(path)?)
}

/// Lists a directory (`""` for the root), sorted by name.
pub fn list(path: &str) -> Result<Vec<Entry>> {
    Ok(wit::list(path)?)
}

/// Describes a file or directory.
pub fn stat(path: &str) -> Result<Entry> {
    Ok(wit::stat(path)?)
}

/// Whether a file or directory exists.
pub fn exists(path: &str) -> Result<bool> {
    Ok(wit::exists(path)?)
}
