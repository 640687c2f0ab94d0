//! Script plugins kept warm within one memory budget.
//!
//! A script plugin's link (its snapshot's compiled state module, linked with
//! its runtime's shared engine) holds memory resident: the module's mapping
//! of its memory image, and the pool slots that ran it, which keep that
//! image mapped and the pages a call dirtied restored, so that the plugin's
//! next call takes no page faults. That is what makes a plugin called often
//! cheap to call, and it is memory per plugin ever called.
//!
//! [`WarmSet`] bounds it for the whole server: every warm plugin counts
//! twice the size of its compiled state (the module's mapping of its image,
//! and a pool slot's) against `[runtime] warm_memory_mb`. When a
//! plugin becomes warm past the budget, the least recently called plugins
//! are made **cold**: their link is dropped, and wasmtime then unmaps their
//! image from every pool slot and releases those slots' pages. A cold
//! plugin stays loaded (its manifest, routes, handlers, metrics); its next
//! call links it again from the compile cache (a file mapping: nothing is
//! compiled, nothing is re-run), runs on a slot without its pages (page
//! faults), and makes it warm again. So resident memory follows the plugins
//! called often, and a site with hundreds of plugins pays for the rest only
//! their bookkeeping.
//!
//! Without the compile cache there is nothing to link a cold plugin again
//! from, so every plugin stays warm ([`Link::Fixed`]).

use super::error::LoadError;
use super::state::HostState;
use crate::host_api::bindings::PluginPre;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

/// A plugin's link, and what it counts against the budget while warm.
pub struct Linked {
    /// The linked component, ready to instantiate.
    pub pre: PluginPre<HostState>,
    /// Bytes counted against the budget: twice the size of its compiled
    /// state (the module's mapping of its image, and a pool slot's).
    pub cost: u64,
}

/// How a plugin reaches its linked component.
pub enum Link {
    /// Linked for as long as the plugin is loaded (a component plugin, or a
    /// script plugin without the compile cache).
    Fixed(PluginPre<HostState>),
    /// Linked while warm, linked again on its first call after it was made
    /// cold.
    Warm(Arc<Warm>),
}

impl Link {
    /// The linked component, linked again first if the plugin was cold.
    pub fn pre(&self) -> Result<Cow<'_, PluginPre<HostState>>, LoadError> {
        match self {
            Link::Fixed(pre) => Ok(Cow::Borrowed(pre)),
            Link::Warm(w) => w.pre().map(Cow::Owned),
        }
    }

    /// Whether the plugin is linked now.
    pub fn is_warm(&self) -> bool {
        match self {
            Link::Fixed(_) => true,
            Link::Warm(w) => lock_read(&w.linked).is_some(),
        }
    }
}

type Relink = Box<dyn Fn() -> Result<Linked, LoadError> + Send + Sync>;

/// One script plugin's place in the [`WarmSet`].
pub struct Warm {
    set: Arc<WarmSet>,
    linked: RwLock<Option<Linked>>,
    /// When it was last called, on the set's clock.
    last_used: AtomicU64,
    relink: Relink,
}

/// The plugins kept warm, and the budget they share.
pub struct WarmSet {
    budget: u64,
    clock: AtomicU64,
    members: Mutex<Vec<Weak<Warm>>>,
    bytes: AtomicU64,
    relinks: AtomicU64,
}

/// What the warm set holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmStats {
    /// Plugins linked now.
    pub plugins: usize,
    /// Bytes they count against the budget.
    pub bytes: u64,
    /// The budget in bytes.
    pub budget: u64,
    /// Times a cold plugin was linked again since the start.
    pub relinks: u64,
}

impl WarmSet {
    /// An empty set with a budget of `budget` bytes.
    pub fn new(budget: u64) -> Arc<WarmSet> {
        Arc::new(WarmSet {
            budget,
            clock: AtomicU64::new(0),
            members: Mutex::new(Vec::new()),
            bytes: AtomicU64::new(0),
            relinks: AtomicU64::new(0),
        })
    }

    /// Adds a plugin, warm with `linked`, that `relink` links again after it
    /// was made cold; others may be made cold to make room.
    pub fn join(
        self: &Arc<Self>,
        linked: Linked,
        relink: impl Fn() -> Result<Linked, LoadError> + Send + Sync + 'static,
    ) -> Arc<Warm> {
        let cost = linked.cost;
        let warm = Arc::new(Warm {
            set: Arc::clone(self),
            linked: RwLock::new(Some(linked)),
            last_used: AtomicU64::new(self.tick()),
            relink: Box::new(relink),
        });
        self.admit(&warm, cost);
        warm
    }

    /// What the set holds now.
    pub fn stats(&self) -> WarmStats {
        let members = self.members.lock().unwrap_or_else(|p| p.into_inner());
        WarmStats {
            plugins: members.iter().filter(|w| w.strong_count() > 0).count(),
            bytes: self.bytes.load(Ordering::Relaxed),
            budget: self.budget,
            relinks: self.relinks.load(Ordering::Relaxed),
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// Counts `member`, just linked, and makes the least recently called
    /// other members cold until the set is within its budget again.
    fn admit(&self, member: &Arc<Warm>, cost: u64) {
        let mut cold = Vec::new();
        {
            let mut members = self.members.lock().unwrap_or_else(|p| p.into_inner());
            members.push(Arc::downgrade(member));
            let mut bytes = self.bytes.fetch_add(cost, Ordering::Relaxed) + cost;
            while bytes > self.budget {
                members.retain(|w| w.strong_count() > 0);
                let victim = members
                    .iter()
                    .enumerate()
                    .filter_map(|(i, w)| w.upgrade().map(|m| (i, m)))
                    .filter(|(_, m)| !Arc::ptr_eq(m, member))
                    .min_by_key(|(_, m)| m.last_used.load(Ordering::Relaxed));
                let Some((i, victim)) = victim else { break };
                members.swap_remove(i);
                let linked = lock_write(&victim.linked).take();
                if let Some(l) = linked {
                    bytes = self.bytes.fetch_sub(l.cost, Ordering::Relaxed) - l.cost;
                    cold.push(l);
                }
            }
        }
        // Dropping a link unmaps its image from the pool's slots: done
        // outside the lock.
        drop(cold);
    }
}

impl Warm {
    /// The linked component, linked again first if the plugin was cold.
    fn pre(self: &Arc<Self>) -> Result<PluginPre<HostState>, LoadError> {
        self.last_used.store(self.set.tick(), Ordering::Relaxed);
        if let Some(l) = &*lock_read(&self.linked) {
            return Ok(l.pre.clone());
        }
        let (pre, cost) = {
            let mut linked = lock_write(&self.linked);
            if let Some(l) = &*linked {
                return Ok(l.pre.clone());
            }
            let l = (self.relink)()?;
            let out = (l.pre.clone(), l.cost);
            *linked = Some(l);
            out
        };
        self.set.relinks.fetch_add(1, Ordering::Relaxed);
        // Counted with this member's lock released: `admit` takes other
        // members' locks.
        self.set.admit(self, cost);
        Ok(pre)
    }
}

impl Drop for Warm {
    fn drop(&mut self) {
        let linked = self.linked.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = linked.take() {
            self.set.bytes.fetch_sub(l.cost, Ordering::Relaxed);
        }
    }
}

fn lock_read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn lock_write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}
