//! `log`: plugin log lines into `tracing`, tagged with plugin id and hook.
//!
//! - **linker**: `raisfast:plugin/log`.
//! - **load**: nothing.
//! - **per call**: the lines written (for `raisfast plugin call` and tests),
//!   capped at [`MAX_LINES`].

use super::LogLine;
use super::{HasPluginHost, PluginHost, PluginHostView};
use crate::host_api::bindings::raisfast::plugin::log::{self as wit, Level};
use wasmtime::component::Linker;

/// Longest message kept, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;
/// Most lines kept per call.
pub const MAX_LINES: usize = 1000;

/// Adds `raisfast:plugin/log` to the linker.
pub fn add_to_linker<T: PluginHostView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasPluginHost>(linker, T::plugin_host)
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("… [truncated]");
    }
    s
}

impl wit::Host for PluginHost<'_> {
    fn log(&mut self, level: Level, message: String, fields: Vec<(String, String)>) {
        if self.call.logs.len() >= MAX_LINES {
            self.call.dropped_logs += 1;
            return;
        }
        let message = truncate(message, MAX_MESSAGE_BYTES);
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .take(32)
            .map(|(k, v)| (truncate(k, 64), truncate(v, 1024)))
            .collect();
        let plugin = self.plugin.id.as_str();
        let hook = self.call.handler.as_str();
        let extra = if fields.is_empty() {
            String::new()
        } else {
            let kv: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(" {}", kv.join(" "))
        };
        let name = match level {
            Level::Trace => {
                tracing::trace!(target: "plugin", plugin, hook, "{message}{extra}");
                "trace"
            }
            Level::Debug => {
                tracing::debug!(target: "plugin", plugin, hook, "{message}{extra}");
                "debug"
            }
            Level::Info => {
                tracing::info!(target: "plugin", plugin, hook, "{message}{extra}");
                "info"
            }
            Level::Warn => {
                tracing::warn!(target: "plugin", plugin, hook, "{message}{extra}");
                "warn"
            }
            Level::Error => {
                tracing::error!(target: "plugin", plugin, hook, "{message}{extra}");
                "error"
            }
        };
        let rings = &self.plugin.services.telemetry.logs;
        rings.push(plugin, name, hook, &format!("{message}{extra}"));
        self.call.logs.push(LogLine {
            level: name,
            message,
            fields,
        });
    }
}
