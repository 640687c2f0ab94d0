//! Several nodes on one database: an operator's change to a plugin on one
//! node (enable, disable, reload, uninstall, or the server's auto-disable)
//! reaches every other node through the storage's [`ChangeFeed`], and each
//! applies it by reloading the plugin from its own copy of the plugin
//! directory, under the state now stored.
//!
//! [`ChangeFeed`]: crate::storage::ChangeFeed

use super::PluginManager;
use std::sync::Arc;

/// This node's name: its host name and process id.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "raisfast".into());
    format!("{host}-{}", std::process::id())
}

impl PluginManager {
    /// This node's name, as cron runs and change announcements record it.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Tells the other nodes that plugin `id` changed here.
    pub fn announce(&self, id: &str) {
        self.services.db.announce(&self.node, id);
    }

    /// Applies the other nodes' changes as they come, on a thread of its
    /// own; does nothing on a storage that only one node uses.
    pub fn follow_changes(self: &Arc<Self>) {
        let Some(changes) = self.services.db.subscribe() else {
            return;
        };
        let manager = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("raisfast-follow".into())
            .spawn(move || {
                for (node, id) in changes {
                    let Some(m) = manager.upgrade() else { return };
                    if node == m.node || m.entry(&id).is_none() {
                        continue;
                    }
                    match m.reload(&id) {
                        Ok(()) => tracing::info!(plugin = %id, "applied a change made on {node}"),
                        Err(e) => tracing::warn!(plugin = %id, "a change made on {node}: {e}"),
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot follow the other nodes' plugin changes: {e}");
        }
    }
}
