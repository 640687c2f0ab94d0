//! The record of cron runs in `raisfast_cron_runs`: one row per (plugin, job,
//! tick), inserted to claim the tick (the row is the lease, so several servers
//! on one database run each tick once), then updated with the outcome; the
//! latest [`CRON_HISTORY`](crate::storage::CRON_HISTORY) runs of each job are kept.

use super::SqliteStorage;
use crate::storage::cron_lease::{DEAD_RUNS, claim};
use crate::storage::{CRON_HISTORY, CronClaim, CronRun, CronStore, StorageError, now_ms};
use rusqlite::OptionalExtension;

/// The latest runs of a plugin's jobs, newest first.
impl CronStore for SqliteStorage {
    fn recent_runs(&self, plugin: &str, limit: u32) -> Result<Vec<CronRun>, StorageError> {
        let conn = self.connection()?;
        let mut stmt = conn
            .prepare(
                "SELECT job, scheduled_at, started_at, duration_ms, outcome, error FROM raisfast_cron_runs
                 WHERE plugin_id = ?1 ORDER BY scheduled_at DESC, job LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(rusqlite::params![plugin, limit], |r| {
            Ok(CronRun {
                job: r.get(0)?,
                scheduled_at: r.get(1)?,
                started_at: r.get(2)?,
                duration_ms: r.get(3)?,
                outcome: r.get(4)?,
                error: r.get(5)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// The latest tick recorded for a job.
    fn last_tick(&self, plugin: &str, job: &str) -> Option<i64> {
        let conn = self.connection().ok()?;
        conn.query_row(
            "SELECT max(scheduled_at) FROM raisfast_cron_runs WHERE plugin_id = ?1 AND job = ?2",
            [plugin, job],
            |r| r.get::<_, Option<i64>>(0),
        )
        .optional()
        .ok()
        .flatten()
        .flatten()
    }

    /// Claims the tick `at` of a job for `node` with `outcome` (`running` or
    /// `skipped`); `false` when another server (or an earlier start) has it.
    fn claim_tick(&self, plugin: &str, job: &str, at: i64, node: &str, lease_ms: i64) -> CronClaim {
        let now = now_ms();
        let claimed = self.write(|conn| {
            conn.execute(DEAD_RUNS, rusqlite::params![plugin, job, now])?;
            let overlap: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM raisfast_cron_runs
                 WHERE plugin_id = ?1 AND job = ?2 AND outcome = 'running')",
                rusqlite::params![plugin, job],
                |r| r.get(0),
            )?;
            let outcome = if overlap { "skipped" } else { "running" };
            let n = conn.execute(
                "INSERT INTO raisfast_cron_runs (plugin_id, job, scheduled_at, node, started_at, outcome, lease_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                rusqlite::params![plugin, job, at, node, now, outcome, now + lease_ms],
            )?;
            Ok(claim(n, overlap))
        });
        claimed.unwrap_or_else(|e| {
            tracing::warn!(plugin, job, "cron: cannot claim tick {at}: {e}");
            CronClaim::Taken
        })
    }

    /// Records how the run of tick `at` ended, and trims the job's history.
    fn finish_tick(
        &self,
        plugin: &str,
        job: &str,
        at: i64,
        elapsed_ms: i64,
        outcome: &str,
        error: Option<&str>,
    ) {
        let _ = self.write(|conn| {
            conn.execute(
                "UPDATE raisfast_cron_runs SET duration_ms = ?4, outcome = ?5, error = ?6
                 WHERE plugin_id = ?1 AND job = ?2 AND scheduled_at = ?3",
                rusqlite::params![plugin, job, at, elapsed_ms, outcome, error],
            )?;
            conn.execute(
                "DELETE FROM raisfast_cron_runs WHERE plugin_id = ?1 AND job = ?2 AND scheduled_at <
                 (SELECT scheduled_at FROM raisfast_cron_runs WHERE plugin_id = ?1 AND job = ?2
                  ORDER BY scheduled_at DESC LIMIT 1 OFFSET ?3)",
                rusqlite::params![plugin, job, CRON_HISTORY as i64 - 1],
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_is_claimed_once_and_the_history_is_trimmed() {
        let tmp = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(&tmp.path().join("t.db")).unwrap();
        assert_eq!(
            db.claim_tick("p", "j", 1, "node-a", 60_000),
            CronClaim::Claimed
        );
        assert_eq!(
            db.claim_tick("p", "j", 1, "node-b", 60_000),
            CronClaim::Taken,
            "the lease is taken"
        );
        db.finish_tick("p", "j", 1, 5, "ok", None);
        for at in 2..=(CRON_HISTORY as i64 + 20) {
            assert_eq!(
                db.claim_tick("p", "j", at, "node-a", 60_000),
                CronClaim::Claimed
            );
            db.finish_tick("p", "j", at, 5, "ok", None);
        }
        let runs = db.recent_runs("p", 1000).unwrap();
        assert_eq!(runs.len(), CRON_HISTORY);
        assert_eq!(runs[0].scheduled_at, CRON_HISTORY as i64 + 20);
        assert_eq!(runs.last().unwrap().scheduled_at, 21);
        assert_eq!(db.last_tick("p", "j"), Some(CRON_HISTORY as i64 + 20));
    }
}
