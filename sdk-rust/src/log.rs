//! Log lines, tagged by the host with the plugin id and the hook.

use crate::bindings::raisfast::plugin::log as wit;

pub use wit::Level;

/// Writes a line at `level` with structured `fields`.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    wit::log(level, message, &fields);
}

/// A `trace` line.
pub fn trace(message: &str) {
    log(Level::Trace, message, &[]);
}

/// A `debug` line.
pub fn debug(message: &str) {
    log(Level::Debug, message, &[]);
}

/// An `info` line.
pub fn info(message: &str) {
    log(Level::Info, message, &[]);
}

/// A `warn` line.
pub fn warn(message: &str) {
    log(Level::Warn, message, &[]);
}

/// An `error` line.
pub fn error(message: &str) {
    log(Level::Error, message, &[]);
}
