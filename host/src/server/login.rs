//! Guessing passwords is slow and finds nothing out:
//!
//! - **rate limits**: failed logins are counted per client address and per
//!   username (governor's GCRA, keyed); past the budget, further attempts get
//!   `429 Too Many Requests` with `Retry-After` before any password is hashed,
//!   until the budget refills;
//! - **bounded hashing**: at most one password hash per core is computed at
//!   once (argon2 is memory- and CPU-hard on purpose); others wait in line;
//! - **no enumeration**: the CMS hashes against a dummy hash when the username
//!   does not exist ([`crate::cms`]), so an unknown and a known user cost the same.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Failed logins allowed per username; one more throttles it (then one more
/// attempt is allowed every [`USER_REFILL`]).
pub const USER_BURST: u32 = 5;
/// How often a throttled username gets one more attempt.
pub const USER_REFILL: Duration = Duration::from_secs(12);
/// Failed logins allowed per client address; one more throttles it.
pub const ADDR_BURST: u32 = 20;
/// How often a throttled address gets one more attempt.
pub const ADDR_REFILL: Duration = Duration::from_secs(3);
/// Keys remembered before the limiters forget idle ones.
const PRUNE_EVERY: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Addr(IpAddr),
    User(String),
}

/// Login throttling and the bound on concurrent password hashes.
pub struct LoginGuard {
    by_addr: DefaultKeyedRateLimiter<IpAddr>,
    by_user: DefaultKeyedRateLimiter<String>,
    blocked: Mutex<HashMap<Key, Instant>>,
    hashing: Semaphore,
}

/// Too many failed attempts: retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Seconds until the next attempt is allowed.
    pub retry_after_secs: u64,
}

fn quota(burst: u32, refill: Duration) -> Quota {
    Quota::with_period(refill)
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("a non-zero burst"))
}

fn user_key(username: &str) -> String {
    username.trim().to_lowercase()
}

impl LoginGuard {
    /// A guard allowing `hashers` password hashes at once.
    pub fn new(hashers: usize) -> LoginGuard {
        LoginGuard {
            by_addr: DefaultKeyedRateLimiter::keyed(quota(ADDR_BURST, ADDR_REFILL)),
            by_user: DefaultKeyedRateLimiter::keyed(quota(USER_BURST, USER_REFILL)),
            blocked: Mutex::new(HashMap::new()),
            hashing: Semaphore::new(hashers.max(1)),
        }
    }

    /// Whether `addr` or `username` is throttled now (checked before hashing).
    pub fn check(&self, addr: Option<IpAddr>, username: &str) -> Result<(), Throttled> {
        let now = Instant::now();
        let blocked = self.blocked.lock().expect("login lock");
        let until = [addr.map(Key::Addr), Some(Key::User(user_key(username)))]
            .into_iter()
            .flatten()
            .filter_map(|k| blocked.get(&k).copied())
            .filter(|until| *until > now)
            .max();
        match until {
            Some(t) => Err(Throttled {
                retry_after_secs: (t - now).as_secs_f64().ceil().max(1.0) as u64,
            }),
            None => Ok(()),
        }
    }

    /// Counts a failed login; a key over its budget is throttled until the
    /// budget allows one more attempt.
    pub fn failed(&self, addr: Option<IpAddr>, username: &str) {
        let clock = DefaultClock::default();
        let mut blocked = self.blocked.lock().expect("login lock");
        let now = Instant::now();
        let user = user_key(username);
        if let Err(not_until) = self.by_user.check_key(&user) {
            blocked.insert(Key::User(user), now + not_until.wait_time_from(clock.now()));
        }
        if let Some(a) = addr
            && let Err(not_until) = self.by_addr.check_key(&a)
        {
            blocked.insert(Key::Addr(a), now + not_until.wait_time_from(clock.now()));
        }
        if blocked.len() + self.by_user.len() > PRUNE_EVERY {
            blocked.retain(|_, until| *until > now);
            self.by_user.retain_recent();
            self.by_addr.retain_recent();
        }
    }

    /// Waits for one of the password-hashing slots.
    pub async fn hashing_slot(&self) -> SemaphorePermit<'_> {
        self.hashing
            .acquire()
            .await
            .expect("the semaphore is never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_is_throttled_after_its_budget_of_failures() {
        let g = LoginGuard::new(1);
        let addr: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        // The budget: USER_BURST failures pass; the next one throttles.
        for _ in 0..=USER_BURST {
            assert!(g.check(addr, "Alice").is_ok());
            g.failed(addr, "alice");
        }
        let t = g.check(None, " ALICE ").unwrap_err();
        assert!(
            (1..=USER_REFILL.as_secs()).contains(&t.retry_after_secs),
            "{t:?}"
        );
        // Another username from another address is not affected.
        assert!(g.check(Some("192.0.2.2".parse().unwrap()), "bob").is_ok());
    }

    #[test]
    fn an_address_is_throttled_whatever_usernames_it_tries() {
        let g = LoginGuard::new(1);
        let addr: Option<IpAddr> = Some("192.0.2.9".parse().unwrap());
        for i in 0..=ADDR_BURST {
            g.failed(addr, &format!("user{i}"));
        }
        assert!(g.check(addr, "someone-new").is_err());
        assert!(g.check(None, "someone-new").is_ok());
    }
}
