//! The record of cron runs in PostgreSQL: the row of a tick is its lease, so
//! of all the nodes on one database exactly one runs each tick.

use super::PgStorage;
use crate::storage::cron_lease::{DEAD_RUNS, claim};
use crate::storage::{CRON_HISTORY, CronClaim, CronRun, CronStore, StorageError, now_ms};

impl CronStore for PgStorage {
    fn recent_runs(&self, plugin: &str, limit: u32) -> Result<Vec<CronRun>, StorageError> {
        self.connection()?
            .query(
                "SELECT job, scheduled_at, started_at, duration_ms, outcome, error
                 FROM raisfast_cron_runs WHERE plugin_id = $1
                 ORDER BY scheduled_at DESC, job LIMIT $2",
                &[&plugin, &i64::from(limit)],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| CronRun {
                        job: r.get(0),
                        scheduled_at: r.get(1),
                        started_at: r.get(2),
                        duration_ms: r.get(3),
                        outcome: r.get(4),
                        error: r.get(5),
                    })
                    .collect()
            })
            .map_err(|e| self.err(e))
    }

    fn last_tick(&self, plugin: &str, job: &str) -> Option<i64> {
        self.connection()
            .ok()?
            .query_one(
                "SELECT max(scheduled_at) FROM raisfast_cron_runs WHERE plugin_id = $1 AND job = $2",
                &[&plugin, &job],
            )
            .ok()?
            .get(0)
    }

    fn claim_tick(&self, plugin: &str, job: &str, at: i64, node: &str, lease_ms: i64) -> CronClaim {
        let now = now_ms();
        // One claim of a job at a time across every node.
        let lock = self.lock_key(&format!("cron:{plugin}:{job}"));
        let claimed = self.write(|tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])?;
            tx.execute(&DEAD_RUNS.replace('?', "$"), &[&plugin, &job, &now])?;
            let overlap: bool = tx
                .query_one(
                    "SELECT EXISTS(SELECT 1 FROM raisfast_cron_runs
                     WHERE plugin_id = $1 AND job = $2 AND outcome = 'running')",
                    &[&plugin, &job],
                )?
                .get(0);
            let outcome = if overlap { "skipped" } else { "running" };
            let n = tx.execute(
                "INSERT INTO raisfast_cron_runs (plugin_id, job, scheduled_at, node, started_at, outcome, lease_until)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[&plugin, &job, &at, &node, &now, &outcome, &(now + lease_ms)],
            )?;
            Ok(claim(n as usize, overlap))
        });
        claimed.unwrap_or_else(|e| {
            tracing::warn!(plugin, job, "cron: cannot claim tick {at}: {e}");
            CronClaim::Taken
        })
    }

    fn finish_tick(
        &self,
        plugin: &str,
        job: &str,
        at: i64,
        elapsed_ms: i64,
        outcome: &str,
        error: Option<&str>,
    ) {
        let keep = CRON_HISTORY as i64 - 1;
        let _ = self.write(|tx| {
            tx.execute(
                "UPDATE raisfast_cron_runs SET duration_ms = $4, outcome = $5, error = $6
                 WHERE plugin_id = $1 AND job = $2 AND scheduled_at = $3",
                &[&plugin, &job, &at, &elapsed_ms, &outcome, &error],
            )?;
            tx.execute(
                "DELETE FROM raisfast_cron_runs WHERE plugin_id = $1 AND job = $2 AND scheduled_at <
                 (SELECT scheduled_at FROM raisfast_cron_runs WHERE plugin_id = $1 AND job = $2
                  ORDER BY scheduled_at DESC LIMIT 1 OFFSET $3)",
                &[&plugin, &job, &keep],
            )
        });
    }
}
