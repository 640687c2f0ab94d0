//! The writer line. SQLite lets one connection write at a time; a second
//! writer that finds the lock taken sleeps and retries (its busy handler),
//! which under load turns into a lottery with a long tail: at 256 concurrent
//! writers, p99 grew from 10 ms to nearly a second. Here every writer of the
//! process waits in one fair, first-come first-served queue instead, and
//! SQLite's lock is only ever taken by the head of that queue; readers never
//! wait (WAL lets them read beside the writer).
//!
//! Core writes go through [`SqliteStorage::write`], plugin writes through the call's
//! connection, which holds a [`WriteGuard`] from its first write until its
//! statement (or its transaction) ends.
//!
//! **The core goes first.** A plugin may hold its turn through a transaction
//! for as long as its call lasts. A core write (a login, a comment) that has
//! waited [`CORE_PATIENCE`] preempts whoever holds the turn: the plugin's
//! running SQL is interrupted and its call is stopped at the next epoch tick,
//! which rolls its transaction back and frees the line. The core never fails
//! for a plugin's transaction; the plugin gets a clear error.

use super::{SqliteStorage, StorageError};
use parking_lot::lock_api::ArcMutexGuard;
use parking_lot::{FairMutex, Mutex, RawFairMutex};
use rusqlite::{Connection, InterruptHandle};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a core write waits for its turn before it reports the database busy.
pub const CORE_WRITE_WAIT: Duration = Duration::from_secs(30);
/// How long a core write waits before it preempts a plugin holding the turn.
pub const CORE_PATIENCE: Duration = Duration::from_millis(250);

/// How to make a plugin call give its turn back: raise its flag (its call
/// stops at the next epoch tick) and interrupt the SQL it may be running.
pub struct Preempt {
    /// The call's preemption flag.
    pub flag: Arc<AtomicBool>,
    /// Its connection's interrupt.
    pub sql: InterruptHandle,
}

/// The process-wide writer queue.
#[derive(Default)]
pub struct WriterLine {
    lock: Arc<FairMutex<()>>,
    holder: Arc<Mutex<Option<Preempt>>>,
}

/// The right to write, held from the first write to the end of the statement
/// or transaction; dropping it lets the next writer in line proceed.
pub struct WriteGuard {
    holder: Arc<Mutex<Option<Preempt>>>,
    _guard: ArcMutexGuard<RawFairMutex, ()>,
}

impl Drop for WriteGuard {
    fn drop(&mut self) {
        // Forgotten before the lock is released (the field drops after).
        self.holder.lock().take();
    }
}

impl WriterLine {
    /// Waits in line until `deadline`; `None` when the turn did not come in
    /// time. With `preempt`, the core may take the turn back from its holder.
    pub fn acquire_as(&self, deadline: Instant, preempt: Option<Preempt>) -> Option<WriteGuard> {
        let wait = deadline.saturating_duration_since(Instant::now());
        let guard = FairMutex::try_lock_arc_for(&self.lock, wait)?;
        *self.holder.lock() = preempt;
        Some(WriteGuard {
            holder: Arc::clone(&self.holder),
            _guard: guard,
        })
    }

    /// [`WriterLine::acquire_as`] for a writer that cannot be preempted.
    pub fn acquire(&self, deadline: Instant) -> Option<WriteGuard> {
        self.acquire_as(deadline, None)
    }

    /// Asks the holder of the turn, if preemptible, to give it back.
    fn preempt_holder(&self) {
        if let Some(p) = self.holder.lock().as_ref() {
            p.flag.store(true, Ordering::SeqCst);
            p.sql.interrupt();
        }
    }

    /// The turn for the core: waits [`CORE_PATIENCE`], then preempts each
    /// plugin that holds the turn in front of it, until `deadline`.
    pub fn acquire_for_core(&self, deadline: Instant) -> Option<WriteGuard> {
        loop {
            let now = Instant::now();
            if let Some(g) = self.acquire((now + CORE_PATIENCE).min(deadline)) {
                return Some(g);
            }
            if Instant::now() >= deadline {
                return None;
            }
            self.preempt_holder();
        }
    }
}

impl SqliteStorage {
    /// Waits in the writer line until `deadline`, as a plugin call that the
    /// core may preempt through `preempt`.
    pub fn write_lock(
        &self,
        deadline: Instant,
        preempt: Preempt,
    ) -> Result<WriteGuard, StorageError> {
        let started = Instant::now();
        self.writers
            .acquire_as(deadline, Some(preempt))
            .ok_or_else(|| StorageError::Busy {
                waited_ms: started.elapsed().as_millis() as u64,
            })
    }

    /// Takes the core's turn in the writer line, preempting plugins that hold
    /// it for too long (see the module's documentation).
    pub fn core_write_lock(&self) -> Result<WriteGuard, StorageError> {
        let started = Instant::now();
        self.writers
            .acquire_for_core(started + CORE_WRITE_WAIT)
            .ok_or_else(|| StorageError::Busy {
                waited_ms: started.elapsed().as_millis() as u64,
            })
    }

    /// Runs `f` as the process's one writer, in a transaction that commits when
    /// `f` succeeds and rolls back when it fails.
    pub fn write<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R, WriteError> {
        let conn = self.connection()?;
        let _turn = self.core_write_lock()?;
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))?;
        match f(&conn) {
            Ok(r) => {
                conn.execute_batch("COMMIT").map_err(|e| self.err(e))?;
                Ok(r)
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(WriteError::Sql(e))
            }
        }
    }
}

impl SqliteStorage {
    /// A [`WriteError`] as a [`StorageError`] (the SQL error with the database path).
    pub fn write_err(&self, e: WriteError) -> StorageError {
        match e {
            WriteError::Store(s) => s,
            WriteError::Sql(e) => self.err(e),
        }
    }
}

/// Why a core write failed: the storage layer, or the SQL that `f` ran (kept
/// as is so that callers can tell a constraint violation from a failure).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Connecting, waiting in line, or committing failed.
    #[error(transparent)]
    Store(#[from] StorageError),
    /// The caller's SQL failed; the transaction was rolled back.
    #[error(transparent)]
    Sql(rusqlite::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_waits_for_its_turn_until_its_deadline() {
        let line = Arc::new(WriterLine::default());
        let first = line.acquire(Instant::now()).expect("free line");
        assert!(line.acquire(Instant::now()).is_none(), "the line is held");
        let l = Arc::clone(&line);
        let second = std::thread::spawn(move || {
            l.acquire(Instant::now() + Duration::from_secs(600))
                .is_some()
        });
        drop(first);
        assert!(second.join().unwrap(), "the next in line got its turn");
        assert!(line.acquire(Instant::now()).is_some(), "and gave it back");
    }

    #[test]
    fn core_writes_commit_or_roll_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(&dir.path().join("t.db")).unwrap();
        let r: Result<(), _> = db.write(|c| {
            c.execute("INSERT INTO raisfast_kv VALUES ('p', 'a', '1', NULL)", [])?;
            c.execute("INSERT INTO raisfast_kv VALUES ('p', 'a', '2', NULL)", [])?;
            Ok(())
        });
        assert!(matches!(r, Err(WriteError::Sql(_))));
        let n: i64 = db
            .connection()
            .unwrap()
            .query_row("SELECT COUNT(*) FROM raisfast_kv", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "the first insert was rolled back with the second");
    }
}
