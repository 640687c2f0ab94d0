//! The deadline watchdog for plugin SQL. SQLite's progress handler stops a
//! statement between virtual-machine steps, but a single step can run for a
//! long time (one expression of expensive functions, a huge `printf` width,
//! `zeroblob` arithmetic): such work never reaches the handler. The watchdog
//! thread interrupts the connection itself (`sqlite3_interrupt`) when the
//! call's deadline passes, so no SQL runs past it.
//!
//! A connection is registered while a call holds it and unregistered (under
//! the same lock the watchdog interrupts with) before it goes back to the
//! pool, so an interrupt never reaches another user of the connection.
//!
//! Registering costs a lock and a map insert, never a wake-up: the watchdog
//! looks every [`TICK`] (it is the backstop for the progress handler, which
//! stops ordinary queries on time), so a long step ends at most one tick
//! after its deadline.

use rusqlite::InterruptHandle;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// How often the watchdog looks for connections past their deadline.
pub const TICK: Duration = Duration::from_millis(20);

#[derive(Default)]
struct Watched {
    next_id: u64,
    by_deadline: BTreeMap<(Instant, u64), InterruptHandle>,
}

struct Watchdog {
    watched: Mutex<Watched>,
}

static WATCHDOG: LazyLock<Arc<Watchdog>> = LazyLock::new(|| {
    let w = Arc::new(Watchdog {
        watched: Mutex::new(Watched::default()),
    });
    let thread = Arc::clone(&w);
    std::thread::Builder::new()
        .name("raisfast-sql-watchdog".into())
        .spawn(move || thread.run())
        .expect("spawning the SQL watchdog");
    w
});

/// A connection watched until this value is dropped.
pub struct Watch {
    key: (Instant, u64),
}

/// Interrupts the connection of `handle` if it is still watched at `deadline`.
pub fn watch(handle: InterruptHandle, deadline: Instant) -> Watch {
    let w = &*WATCHDOG;
    let mut watched = w.watched.lock().expect("watchdog lock");
    watched.next_id += 1;
    let key = (deadline, watched.next_id);
    watched.by_deadline.insert(key, handle);
    Watch { key }
}

impl Drop for Watch {
    fn drop(&mut self) {
        WATCHDOG
            .watched
            .lock()
            .expect("watchdog lock")
            .by_deadline
            .remove(&self.key);
    }
}

impl Watchdog {
    fn run(&self) {
        loop {
            {
                let mut watched = self.watched.lock().expect("watchdog lock");
                let now = Instant::now();
                while let Some(entry) = watched.by_deadline.first_entry() {
                    if entry.key().0 > now {
                        break;
                    }
                    // Interrupted under the lock: the owner cannot unregister
                    // (and hand the connection to someone else) in between.
                    entry.remove().interrupt();
                }
            }
            std::thread::sleep(TICK);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_expensive_step_stops_at_the_deadline() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let _watch = watch(
            conn.get_interrupt_handle(),
            Instant::now() + Duration::from_millis(200),
        );
        let started = Instant::now();
        // Billions of rows: hours of work if nothing stops it.
        let r: rusqlite::Result<i64> = conn.query_row(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
            [],
            |r| r.get(0),
        );
        let err = r.unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted)
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "stopped near its deadline"
        );
    }
}
