//! [`FileStore`]: plugins' files kept by the storage backend, so that every
//! node on one database sees the same files. A backend that serves a single
//! node leaves them on that node's disk (the host API's own directory per
//! plugin) and offers no file store.

/// One file or directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Its name (the path, for `stat`).
    pub name: String,
    /// A directory.
    pub is_dir: bool,
    /// Bytes (0 for a directory).
    pub size: u64,
    /// Last change, ms since the Unix epoch.
    pub modified_ms: u64,
}

/// A plugin's file quota.
#[derive(Debug, Clone, Copy)]
pub struct FileQuota {
    /// Bytes of all its files.
    pub max_total_bytes: u64,
    /// Files and directories.
    pub max_entries: u64,
}

/// Why a file operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// No such file or directory.
    #[error("not found")]
    NotFound,
    /// Not possible on this path (a directory read, a file listed...).
    #[error("invalid: {0}")]
    Invalid(String),
    /// A quota would be exceeded.
    #[error("limit: {0}")]
    Limit(String),
    /// The storage failed.
    #[error("failed: {0}")]
    Failed(String),
}

/// Plugins' files in the storage. Paths are normalised by the caller:
/// relative, `/`-separated, no `.` or `..`, `""` for the root.
pub trait FileStore: Send + Sync {
    /// A file's bytes.
    fn file_read(&self, plugin: &str, path: &str) -> Result<Vec<u8>, FileError>;
    /// Writes a file whole, creating its parent directories, within `quota`.
    fn file_write(
        &self,
        plugin: &str,
        path: &str,
        data: &[u8],
        quota: FileQuota,
    ) -> Result<(), FileError>;
    /// Deletes a file or an empty directory.
    fn file_delete(&self, plugin: &str, path: &str) -> Result<(), FileError>;
    /// A directory's entries, sorted by name.
    fn file_list(&self, plugin: &str, path: &str) -> Result<Vec<FileEntry>, FileError>;
    /// A file's or directory's entry.
    fn file_stat(&self, plugin: &str, path: &str) -> Result<FileEntry, FileError>;
}
