//! Hot reload: a filesystem watcher on the plugin directory. A plugin whose
//! files (manifest included) changed is brought up to date once they have
//! been quiet for the debounce time: a new directory loads, a deleted one
//! unloads, a changed one is rebuilt to the side and swapped in (a broken new
//! version leaves the old one serving; the error goes to the log and the admin
//! API). Where native notifications are unavailable, the directory is polled
//! every 2 seconds.
//!
//! Only a real change reloads a plugin, whatever reported it:
//! - the directory is watched under its canonical path (a relative spelling,
//!   `..` or a symlink all name the same place) and events are mapped back to
//!   the plugin directory as the manager knows it;
//! - reads are not changes (inotify reports every open: loading a plugin
//!   would otherwise schedule its next reload, forever);
//! - the server's own files (data directory, compile cache) are ignored even
//!   when they sit inside the plugin directory;
//! - before reloading, the directory's [`fingerprint`] (names and contents of
//!   its files) is compared with the one of the version loaded; equal means no
//!   reload.

mod fingerprint;

use crate::manager::{PluginManager, plugin_dirs};
use crate::manifest::MANIFEST_FILE;
use fingerprint::Fingerprint;
use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{Event, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};
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

/// Where the watched directory is, and what inside it is not the plugins'.
struct Layout {
    /// The plugin directory as the manager knows it.
    root: PathBuf,
    /// Its canonical path, which the watcher reports.
    canonical: PathBuf,
    /// Whether `root` is itself one plugin's directory.
    single: bool,
    /// The server's own directories (canonical), never plugin sources.
    own: Vec<PathBuf>,
}

impl HotReload {
    /// Watches `root` and keeps `manager`'s plugins in step with it.
    pub fn start(
        manager: &Arc<PluginManager>,
        root: &Path,
        debounce: Duration,
    ) -> notify::Result<HotReload> {
        let settings = &manager.services().settings;
        let canonical = root.canonicalize()?;
        let own = [settings.data_dir.clone(), settings.cache_dir()]
            .iter()
            .filter_map(|d| d.canonicalize().ok())
            .collect();
        let layout = Layout {
            root: root.to_path_buf(),
            single: root.join(MANIFEST_FILE).is_file(),
            canonical,
            own,
        };
        // What is loaded now is the baseline a change is measured against.
        let loaded: HashMap<PathBuf, Fingerprint> = plugin_dirs(root)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|d| Some((d.clone(), fingerprint::of(&d)?)))
            .collect();
        let (tx, rx) = channel::<notify::Result<Event>>();
        let watcher: Box<dyn notify::Watcher + Send> =
            match RecommendedWatcher::new(tx.clone(), notify::Config::default()) {
                Ok(mut w) => {
                    w.watch(&layout.canonical, RecursiveMode::Recursive)?;
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
                    w.watch(&layout.canonical, RecursiveMode::Recursive)?;
                    Box::new(w)
                }
            };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let weak = Arc::downgrade(manager);
        let thread = std::thread::Builder::new()
            .name("raisfast-hot-reload".into())
            .spawn(move || run(weak, layout, loaded, rx, debounce, flag))
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

/// Whether an event can mean that files changed (opens, reads and closes
/// without writing cannot; neither can a new access time).
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        _ => true,
    }
}

impl Layout {
    /// The plugin directory (as the manager knows it) that a changed path
    /// belongs to, unless the path is build output, hidden, or the server's own.
    fn plugin_dir(&self, path: &Path) -> Option<PathBuf> {
        if self.own.iter().any(|o| path.starts_with(o)) {
            return None;
        }
        let rel = path
            .strip_prefix(&self.canonical)
            .or_else(|_| path.strip_prefix(&self.root))
            .ok()?;
        let mut parts = rel.components().filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        });
        if self.single {
            return parts
                .all(|p| !fingerprint::ignored(&p))
                .then(|| self.root.clone());
        }
        let first = parts.next()?;
        let ignored = fingerprint::ignored(&first) || parts.any(|p| fingerprint::ignored(&p));
        (!ignored).then(|| self.root.join(first))
    }
}

fn run(
    manager: Weak<PluginManager>,
    layout: Layout,
    mut loaded: HashMap<PathBuf, Fingerprint>,
    rx: std::sync::mpsc::Receiver<notify::Result<Event>>,
    debounce: Duration,
    stop: Arc<AtomicBool>,
) {
    let mut dirty: HashMap<PathBuf, Instant> = HashMap::new();
    while !stop.load(Ordering::SeqCst) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(event)) => {
                if is_change(&event.kind) {
                    for p in &event.paths {
                        if let Some(dir) = layout.plugin_dir(p) {
                            dirty.insert(dir, Instant::now());
                        }
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
            let now = fingerprint::of(&dir);
            if now.is_some() && now.as_ref() == loaded.get(&dir) {
                continue; // touched, read or rewritten unchanged
            }
            match now {
                Some(f) => loaded.insert(dir.clone(), f),
                None => loaded.remove(&dir),
            };
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

    fn layout(single: bool) -> Layout {
        Layout {
            root: PathBuf::from("plugins"),
            canonical: PathBuf::from("/srv/p"),
            single,
            own: vec![PathBuf::from("/srv/p/data")],
        }
    }

    #[test]
    fn changes_map_to_plugin_directories_as_the_manager_knows_them() {
        let l = layout(false);
        let crm = Some(PathBuf::from("plugins/crm"));
        assert_eq!(l.plugin_dir(Path::new("/srv/p/crm/main.js")), crm);
        assert_eq!(l.plugin_dir(Path::new("/srv/p/crm")), crm);
        assert_eq!(l.plugin_dir(Path::new("plugins/crm/lib/a.js")), crm);
        assert_eq!(l.plugin_dir(Path::new("/srv/p/rust/target/x.rlib")), None);
        assert_eq!(l.plugin_dir(Path::new("/srv/p/.git/HEAD")), None);
        assert_eq!(l.plugin_dir(Path::new("/srv/p/crm/main.js~")), None);
        assert_eq!(l.plugin_dir(Path::new("/srv/p/data/raisfast.db")), None);
        assert_eq!(l.plugin_dir(Path::new("/elsewhere/x")), None);
        let one = layout(true);
        assert_eq!(
            one.plugin_dir(Path::new("/srv/p/main.js")),
            Some(PathBuf::from("plugins"))
        );
    }

    #[test]
    fn reads_are_not_changes() {
        use notify::event::{CreateKind, DataChange, RemoveKind};
        assert!(!is_change(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(!is_change(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::AccessTime
        ))));
        assert!(is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(is_change(&EventKind::Create(CreateKind::File)));
        assert!(is_change(&EventKind::Modify(ModifyKind::Data(
            DataChange::Content
        ))));
        assert!(is_change(&EventKind::Remove(RemoveKind::Any)));
    }
}
