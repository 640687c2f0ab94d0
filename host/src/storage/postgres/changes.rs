//! Plugin changes between nodes: PostgreSQL's `NOTIFY` on the channel
//! `raisfast_plugins`, heard by a `LISTEN` on a connection of its own (which
//! reconnects after a failure).

use super::PgStorage;
use crate::storage::ChangeFeed;
use postgres::NoTls;
use postgres::fallible_iterator::FallibleIterator;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

const CHANNEL: &str = "raisfast_plugins";

impl ChangeFeed for PgStorage {
    fn announce(&self, node: &str, plugin_id: &str) {
        let payload = format!("{node}\n{plugin_id}");
        let sent = self.connection().map(|mut c| {
            c.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
                .map_err(|e| self.err(e))
        });
        if let Err(e) | Ok(Err(e)) = sent {
            tracing::warn!(plugin = plugin_id, "cannot tell the other nodes: {e}");
        }
    }

    fn subscribe(&self) -> Option<Receiver<(String, String)>> {
        let (tx, rx) = channel();
        let config = self.config.clone();
        let location = self.location.clone();
        std::thread::Builder::new()
            .name("raisfast-changes".into())
            .spawn(move || listen(config, location, tx))
            .ok()?;
        Some(rx)
    }
}

/// Forwards notifications until the receiver is dropped.
fn listen(config: postgres::Config, location: String, tx: Sender<(String, String)>) {
    loop {
        match config.connect(NoTls) {
            Ok(mut client) => {
                if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
                    tracing::warn!("{location}: cannot listen for plugin changes: {e}");
                } else {
                    let mut notifications = client.notifications();
                    let mut iter = notifications.timeout_iter(Duration::from_secs(5));
                    loop {
                        match iter.next() {
                            Ok(Some(n)) => {
                                let Some((node, id)) = n.payload().split_once('\n') else {
                                    continue;
                                };
                                if tx.send((node.to_string(), id.to_string())).is_err() {
                                    return;
                                }
                            }
                            Ok(None) => continue, // quiet for a while
                            Err(e) => {
                                tracing::warn!("{location}: plugin changes: {e}; reconnecting");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("{location}: cannot listen for plugin changes: {e}"),
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
