//! Hot reload: a filesystem watcher on the plugin directory. A plugin whose
//! files (manifest included) changed is brought up to date once they have
//! been quiet for the debounce time: a new directory loads, a deleted one
//! unloads, a changed one is rebuilt to the side and swapped in (a broken new
//! version leaves the old one serving; the error goes to the log and the admin
//! API). Where native notifications are unavailable, the directory is polled
//! every 2 seconds.

use crate::manager::PluginManager;
use notify::{Event, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Interval of the polling fallback.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// A running watcher; stops when dropped or stopped.
pub struct HotReload {
    _watcher: Box<dyn notify::Watcher + Send>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HotReload {
    /// Watches `root` and keeps `manager`'s plugins in step with it.
    pub fn start(
        manager: &Arc<PluginManager>,
        root: &Path,
        debounce: Duration,
    ) -> notify::Result<HotReload> {
        let (tx, rx) = channel::<notify::Result<Event>>();
        let watcher: Box<dyn notify::Watcher + Send> =
            match RecommendedWatcher::new(tx.clone(), notify::Config::default()) {
                Ok(mut w) => {
                    w.watch(root, RecursiveMode::Recursive)?;
                    Box::new(w)
                }
                Err(e) => {
                    tracing::warn!(
                        "file notifications unavailable ({e}); polling every {POLL_INTERVAL:?}"
                    );
                    let mut w = PollWatcher::new(
                        tx,
                        notify::Config::default().with_poll_interval(POLL_INTERVAL),
                    )?;
                    w.watch(root, RecursiveMode::Recursive)?;
                    Box::new(w)
                }
            };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let weak = Arc::downgrade(manager);
        let root = root.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("raisfast-hot-reload".into())
            .spawn(move || run(weak, root, rx, debounce, flag))
            .expect("spawning the hot reload thread");
        Ok(HotReload {
            _watcher: watcher,
            stop,
            thread: Some(thread),
        })
    }

    /// Stops watching.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The plugin directory a changed path belongs to (`root/<plugin>/...`), unless
/// it is build output or hidden.
fn plugin_dir(root: &Path, path: &Path) -> Option<PathBuf> {
    let rel = path.strip_prefix(root).ok()?;
    let mut parts = rel.components().filter_map(|c| match c {
        Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
        _ => None,
    });
    let first = parts.next()?;
    let rest: Vec<String> = parts.collect();
    let ignored = first.starts_with('.')
        || rest
            .iter()
            .any(|p| p == "target" || p == "node_modules" || p.starts_with('.'))
        || rest
            .last()
            .is_some_and(|f| f.contains(".tmp") || f.ends_with('~'));
    (!ignored).then(|| root.join(first))
}

fn run(
    manager: Weak<PluginManager>,
    root: PathBuf,
    rx: std::sync::mpsc::Receiver<notify::Result<Event>>,
    debounce: Duration,
    stop: Arc<AtomicBool>,
) {
    let mut dirty: HashMap<PathBuf, Instant> = HashMap::new();
    while !stop.load(Ordering::SeqCst) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(event)) => {
                for p in &event.paths {
                    if let Some(dir) = plugin_dir(&root, p) {
                        dirty.insert(dir, Instant::now());
                    }
                }
                continue;
            }
            Ok(Err(e)) => tracing::warn!("file watcher: {e}"),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let ready: Vec<PathBuf> = dirty
            .iter()
            .filter(|(_, at)| at.elapsed() >= debounce)
            .map(|(d, _)| d.clone())
            .collect();
        let Some(m) = manager.upgrade() else { return };
        for dir in ready {
            dirty.remove(&dir);
            match m.sync_dir(&dir) {
                Ok(Some(id)) => tracing::info!(plugin = %id, "reloaded {}", dir.display()),
                Ok(None) => {}
                Err(e) => tracing::error!("hot reload of {}: {e}", dir.display()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_map_to_plugin_directories() {
        let root = Path::new("/p");
        assert_eq!(
            plugin_dir(root, Path::new("/p/crm/main.js")),
            Some(PathBuf::from("/p/crm"))
        );
        assert_eq!(
            plugin_dir(root, Path::new("/p/crm")),
            Some(PathBuf::from("/p/crm"))
        );
        assert_eq!(plugin_dir(root, Path::new("/p/rust/target/x.rlib")), None);
        assert_eq!(plugin_dir(root, Path::new("/p/.git/HEAD")), None);
        assert_eq!(plugin_dir(root, Path::new("/elsewhere/x")), None);
    }
}
