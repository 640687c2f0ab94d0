//! What both backends share of a cron tick's claim: the SQL that fails the
//! runs of dead nodes (its placeholders are `?1` plugin, `?2` job, `?3` now;
//! PostgreSQL reads them as `$1`...), and what an insert's count means.

use super::CronClaim;

/// Marks as failed the runs still `running` past their lease (or from before
/// leases existed): their node stopped before the run ended.
pub const DEAD_RUNS: &str = "UPDATE raisfast_cron_runs SET outcome = 'error',
     error = 'the run was lost: node ' || node || ' stopped before it ended (its lease expired)'
     WHERE plugin_id = ?1 AND job = ?2 AND outcome = 'running'
     AND (lease_until IS NULL OR lease_until <= ?3)";

/// The claim, from the rows an insert of the tick added and whether a run
/// of the job was still going.
pub fn claim(inserted: usize, overlap: bool) -> CronClaim {
    match (inserted, overlap) {
        (0, _) => CronClaim::Taken,
        (_, true) => CronClaim::Overlap,
        (_, false) => CronClaim::Claimed,
    }
}
