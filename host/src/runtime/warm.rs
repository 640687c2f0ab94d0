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
//! and a pool slot's) against `[runtime] warm_memory_mb`. Past the budget,
//! the least recently called plugins are made **cold**: their link is
//! dropped, and wasmtime then unmaps their image from every pool slot and
//! releases those slots' pages. A cold plugin stays loaded (its manifest,
//! routes, handlers, metrics); its next call links it again from the
//! compile cache (a file mapping: nothing is compiled, nothing re-run), runs
//! on a slot without its pages (page faults), and makes it warm again.
//!
//! The set is a segmented LRU, as caches protect their hot entries from a
//! scan: a plugin loaded or called once is **on probation**, in a small
//! share of the budget ([`PROBATION_SHARE`]); its second call makes it
//! **protected**, and only protected plugins fill the rest. A burst of
//! plugins called once each (a cron minute, an operator clicking through
//! the console) then evicts only other plugins on probation, never the
//! hooks called on every request; and a site with hundreds of rarely
//! called plugins pays for them only their bookkeeping.
//!
//! Without the compile cache there is nothing to link a cold plugin again
//! from, so every plugin stays warm ([`Link::Fixed`]).

use super::error::LoadError;
use super::state::HostState;
use crate::host_api::bindings::PluginPre;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

/// The share of the budget for plugins on probation: 1/64 (4 MiB of the
/// default 256 MiB: two small JS plugins, four Rhai, up to a dozen Lua).
pub const PROBATION_SHARE: u64 = 64;

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
    /// Calls since it was loaded.
    calls: AtomicU64,
    relink: Relink,
}

/// A warm plugin as the set counts it.
struct Member {
    warm: Weak<Warm>,
    cost: u64,
    protected: bool,
}

/// The plugins kept warm, and the budget they share.
pub struct WarmSet {
    budget: u64,
    probation: u64,
    clock: AtomicU64,
    members: Mutex<Vec<Member>>,
    relinks: AtomicU64,
}

/// What the warm set holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmStats {
    /// Plugins linked now.
    pub plugins: usize,
    /// Of which called at least twice (protected).
    pub protected: usize,
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
            probation: budget / PROBATION_SHARE,
            clock: AtomicU64::new(0),
            members: Mutex::new(Vec::new()),
            relinks: AtomicU64::new(0),
        })
    }

    /// Adds a plugin, warm (on probation) with `linked`, that `relink` links
    /// again after it was made cold; others may be made cold to make room.
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
            calls: AtomicU64::new(0),
            relink: Box::new(relink),
        });
        self.admit(&warm, cost, false);
        warm
    }

    /// What the set holds now.
    pub fn stats(&self) -> WarmStats {
        let members = self.lock();
        let live = || members.iter().filter(|m| m.warm.strong_count() > 0);
        WarmStats {
            plugins: live().count(),
            protected: live().filter(|m| m.protected).count(),
            bytes: live().map(|m| m.cost).sum(),
            budget: self.budget,
            relinks: self.relinks.load(Ordering::Relaxed),
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Member>> {
        self.members.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts `member`, just linked, and makes others cold until the set is
    /// within its budget again.
    fn admit(&self, member: &Arc<Warm>, cost: u64, protected: bool) {
        let cold = {
            let mut members = self.lock();
            members.push(Member {
                warm: Arc::downgrade(member),
                cost,
                protected,
            });
            self.evict(&mut members, member)
        };
        // Dropping a link unmaps its image from the pool's slots: done
        // outside the lock.
        drop(cold);
    }

    /// Moves `member`, warm and called a second time, out of probation.
    fn promote(&self, member: &Arc<Warm>) {
        let cold = {
            let mut members = self.lock();
            let me = Arc::downgrade(member);
            if let Some(m) = members.iter_mut().find(|m| m.warm.ptr_eq(&me)) {
                m.protected = true;
            }
            self.evict(&mut members, member)
        };
        drop(cold);
    }

    /// Takes the links of the least recently called plugins (on probation
    /// first) until probation and the whole set are within their shares;
    /// `keep`, the plugin being called, stays.
    fn evict(&self, members: &mut Vec<Member>, keep: &Arc<Warm>) -> Vec<Linked> {
        members.retain(|m| m.warm.strong_count() > 0);
        let keep = Arc::downgrade(keep);
        let mut cold = Vec::new();
        loop {
            let on_probation: u64 = members
                .iter()
                .filter(|m| !m.protected)
                .map(|m| m.cost)
                .sum();
            let total: u64 = members.iter().map(|m| m.cost).sum();
            let protected_too = total > self.budget;
            if on_probation <= self.probation && !protected_too {
                return cold;
            }
            let lru = |protected: bool| {
                members
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.protected == protected && !m.warm.ptr_eq(&keep))
                    .filter_map(|(i, m)| m.warm.upgrade().map(|w| (i, w)))
                    .min_by_key(|(_, w)| w.last_used.load(Ordering::Relaxed))
            };
            let victim = lru(false).or_else(|| if protected_too { lru(true) } else { None });
            let Some((i, victim)) = victim else {
                return cold;
            };
            members.swap_remove(i);
            cold.extend(lock_write(&victim.linked).take());
        }
    }
}

impl Warm {
    /// The linked component, linked again first if the plugin was cold.
    fn pre(self: &Arc<Self>) -> Result<PluginPre<HostState>, LoadError> {
        self.last_used.store(self.set.tick(), Ordering::Relaxed);
        let calls = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        // The read lock is released before the set's lock is taken: eviction
        // takes members' locks under the set's.
        let warm = lock_read(&self.linked).as_ref().map(|l| l.pre.clone());
        if let Some(pre) = warm {
            if calls == 2 {
                self.set.promote(self);
            }
            return Ok(pre);
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
        // Counted with this member's lock released: eviction takes other
        // members' locks.
        self.set.admit(self, cost, calls >= 2);
        Ok(pre)
    }
}

fn lock_read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn lock_write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}
