//! The recent log lines of each plugin, for the console: a ring per plugin
//! (the newest [`PER_PLUGIN`] lines), each line capped, so memory stays
//! bounded however much a plugin logs.

use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Lines kept per plugin.
pub const PER_PLUGIN: usize = 200;
/// Bytes kept of one line's message.
pub const MESSAGE_BYTES: usize = 2048;

/// One log line of a plugin.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LogEntry {
    /// When (ms since the Unix epoch).
    pub at_ms: i64,
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// The hook, route handler or cron job that logged it.
    pub handler: String,
    /// The message with its fields (`key=value`), capped at [`MESSAGE_BYTES`].
    pub message: String,
}

/// Recent log lines, per plugin id.
#[derive(Debug, Default)]
pub struct LogRings {
    rings: Mutex<HashMap<String, VecDeque<LogEntry>>>,
}

impl LogRings {
    /// Keeps a line of `plugin`, dropping its oldest beyond [`PER_PLUGIN`].
    pub fn push(&self, plugin: &str, level: &str, handler: &str, message: &str) {
        let mut cut = message.len().min(MESSAGE_BYTES);
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        let entry = LogEntry {
            at_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            level: level.to_string(),
            handler: handler.to_string(),
            message: message[..cut].to_string(),
        };
        let mut rings = self.rings.lock().unwrap_or_else(|p| p.into_inner());
        let ring = rings.entry(plugin.to_string()).or_default();
        if ring.len() == PER_PLUGIN {
            ring.pop_front();
        }
        ring.push_back(entry);
    }

    /// The newest `n` lines of `plugin`, newest first.
    pub fn recent(&self, plugin: &str, n: usize) -> Vec<LogEntry> {
        let rings = self.rings.lock().unwrap_or_else(|p| p.into_inner());
        rings
            .get(plugin)
            .map(|r| r.iter().rev().take(n).cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets `plugin`'s lines (it was uninstalled).
    pub fn forget(&self, plugin: &str) {
        self.rings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(plugin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_keeps_the_newest_lines_capped() {
        let rings = LogRings::default();
        for i in 0..PER_PLUGIN + 5 {
            rings.push("p", "info", "h", &format!("line {i}"));
        }
        rings.push("q", "warn", "h", &"é".repeat(MESSAGE_BYTES));
        let recent = rings.recent("p", 3);
        assert_eq!(recent[0].message, format!("line {}", PER_PLUGIN + 4));
        assert_eq!(rings.recent("p", 1000).len(), PER_PLUGIN);
        assert_eq!(rings.recent("p", 1000).last().unwrap().message, "line 5");
        assert_eq!(rings.recent("q", 1)[0].message.len(), MESSAGE_BYTES);
        rings.forget("p");
        assert!(rings.recent("p", 10).is_empty());
    }
}
