//! Cron: `[[cron]]` jobs of active plugins, run by a scheduler thread.
//!
//! - Schedules are 5-field expressions, or 6 with seconds first (`croner`), in
//!   UTC unless the job names a `timezone`.
//! - A job never overlaps itself: a tick that comes while the previous run is
//!   still going is recorded as `skipped`.
//! - Missed ticks (the server was down) run once at start, not in a burst.
//! - Every run is claimed by inserting its row in `raisfast_cron_runs`, keyed by
//!   plugin, job and tick: several servers on one database run each tick once
//!   (the row is the lease). The row then records duration and outcome.

use crate::hooks::Envelope;
use crate::manager::{Cause, PluginManager, PluginState};
use crate::store::{Database, StoreError, now_ms};
use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use rusqlite::OptionalExtension;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// Runs kept per job in the history (`raisfast_cron_runs`); older ones are deleted.
pub const HISTORY: usize = 100;

/// Parses a schedule; the error says what is wrong with it.
pub fn parse_schedule(expr: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expr)
        .map_err(|e| format!("invalid cron expression `{expr}`: {e}"))
}

/// The first tick of `cron` strictly after `after`, in time zone `tz`.
pub fn next_after(cron: &Cron, tz: chrono_tz::Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = after.with_timezone(&tz);
    cron.find_next_occurrence(&local, false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// One recorded run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The job.
    pub job: String,
    /// The tick (ms since the Unix epoch).
    pub scheduled_at: i64,
    /// When it started.
    pub started_at: i64,
    /// How long it took.
    pub duration_ms: Option<i64>,
    /// `running`, `ok`, `error` or `skipped`.
    pub outcome: String,
    /// The failure, if any.
    pub error: Option<String>,
}

/// The latest runs of a plugin's jobs, newest first.
pub fn recent_runs(db: &Arc<Database>, plugin: &str, limit: u32) -> Result<Vec<Run>, StoreError> {
    let conn = db.connection()?;
    let mut stmt = conn
        .prepare(
            "SELECT job, scheduled_at, started_at, duration_ms, outcome, error FROM raisfast_cron_runs
             WHERE plugin_id = ?1 ORDER BY scheduled_at DESC, job LIMIT ?2",
        )
        .map_err(|e| db.err(e))?;
    stmt.query_map(rusqlite::params![plugin, limit], |r| {
        Ok(Run {
            job: r.get(0)?,
            scheduled_at: r.get(1)?,
            started_at: r.get(2)?,
            duration_ms: r.get(3)?,
            outcome: r.get(4)?,
            error: r.get(5)?,
        })
    })
    .and_then(|rows| rows.collect())
    .map_err(|e| db.err(e))
}

struct Job {
    schedule: String,
    next: DateTime<Utc>,
    running: Arc<AtomicBool>,
}

/// The scheduler thread.
pub struct Scheduler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Scheduler {
    /// Starts scheduling the jobs of `manager`'s active plugins. `node` names
    /// this server in the run records.
    pub fn start(manager: &Arc<PluginManager>, node: String) -> Scheduler {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = Arc::downgrade(manager);
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("raisfast-cron".into())
            .spawn(move || run(weak, node, flag))
            .expect("spawning the cron thread");
        Scheduler {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops scheduling; runs in progress finish on their own threads.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(manager: Weak<PluginManager>, node: String, stop: Arc<AtomicBool>) {
    let mut jobs: HashMap<(String, String), Job> = HashMap::new();
    while !stop.load(Ordering::SeqCst) {
        let Some(m) = manager.upgrade() else { return };
        tick(&m, &node, &mut jobs);
        drop(m);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn last_tick(db: &Arc<Database>, plugin: &str, job: &str) -> Option<i64> {
    let conn = db.connection().ok()?;
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

fn tick(m: &Arc<PluginManager>, node: &str, jobs: &mut HashMap<(String, String), Job>) {
    let now = Utc::now();
    let db = Arc::clone(&m.services().db);
    let mut seen = Vec::new();
    for (id, entry) in m.entries() {
        if !matches!(entry.state, PluginState::Active(_)) {
            continue;
        }
        for spec in &entry.manifest.cron {
            let key = (id.clone(), spec.name.clone());
            seen.push(key.clone());
            let Ok(cron) = parse_schedule(spec.schedule.get_ref()) else {
                continue;
            };
            let tz: chrono_tz::Tz = spec
                .timezone
                .as_ref()
                .and_then(|t| t.get_ref().parse().ok())
                .unwrap_or(chrono_tz::UTC);
            let fresh = jobs
                .get(&key)
                .is_none_or(|j| j.schedule != *spec.schedule.get_ref());
            if fresh {
                // A tick missed while the server was down runs once, now.
                let missed = last_tick(&db, &id, &spec.name)
                    .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
                    .and_then(|last| next_after(&cron, tz, last))
                    .filter(|t| *t <= now);
                let next = missed.unwrap_or_else(|| {
                    next_after(&cron, tz, now).unwrap_or(now + chrono::Duration::days(3650))
                });
                jobs.insert(
                    key.clone(),
                    Job {
                        schedule: spec.schedule.get_ref().clone(),
                        next,
                        running: Arc::new(AtomicBool::new(false)),
                    },
                );
            }
            let job = jobs.get_mut(&key).expect("inserted above");
            if now < job.next {
                continue;
            }
            let scheduled = job.next;
            job.next = next_after(&cron, tz, now).unwrap_or(now + chrono::Duration::days(3650));
            start_run(
                m,
                &db,
                node,
                &id,
                &spec.name,
                &spec.handler,
                spec.schedule.get_ref(),
                scheduled,
                &job.running,
            );
        }
    }
    jobs.retain(|k, _| seen.contains(k));
}

#[allow(clippy::too_many_arguments)]
fn start_run(
    m: &Arc<PluginManager>,
    db: &Arc<Database>,
    node: &str,
    plugin: &str,
    job: &str,
    handler: &str,
    schedule: &str,
    scheduled: DateTime<Utc>,
    running: &Arc<AtomicBool>,
) {
    let at = scheduled.timestamp_millis();
    let overlapping = running.load(Ordering::SeqCst);
    let outcome = if overlapping { "skipped" } else { "running" };
    // The lease: one row per (plugin, job, tick); whoever inserts it runs it.
    let claimed = db
        .write(|conn| {
            conn.execute(
                "INSERT INTO raisfast_cron_runs (plugin_id, job, scheduled_at, node, started_at, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                rusqlite::params![plugin, job, at, node, now_ms(), outcome],
            )
        })
        .unwrap_or(0);
    if claimed == 0 || overlapping {
        if overlapping {
            tracing::warn!(
                plugin,
                job,
                "cron tick skipped: the previous run is still going"
            );
        }
        return;
    }
    running.store(true, Ordering::SeqCst);
    let (m, db, running) = (Arc::clone(m), Arc::clone(db), Arc::clone(running));
    let (plugin, job, handler, schedule) = (
        plugin.to_string(),
        job.to_string(),
        handler.to_string(),
        schedule.to_string(),
    );
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let body = serde_json::json!({ "job": job, "schedule": schedule, "scheduled_at": at });
        let envelope = Envelope::new("on_cron_tick", body).to_json();
        let result = m.call_hook_at(&plugin, &handler, &envelope, 0, Cause::Cron);
        let (outcome, error) = match &result {
            Ok(_) => ("ok", None),
            Err(f) => ("error", Some(f.error.to_string())),
        };
        if let Some(e) = &error {
            tracing::warn!(plugin = %plugin, job = %job, "cron run failed: {e}");
        }
        let elapsed = started.elapsed().as_millis() as i64;
        let _ = db.write(|conn| {
            conn.execute(
                "UPDATE raisfast_cron_runs SET duration_ms = ?4, outcome = ?5, error = ?6
                 WHERE plugin_id = ?1 AND job = ?2 AND scheduled_at = ?3",
                rusqlite::params![plugin, job, at, elapsed, outcome, error],
            )?;
            // The history keeps the latest runs of each job.
            conn.execute(
                "DELETE FROM raisfast_cron_runs WHERE plugin_id = ?1 AND job = ?2 AND scheduled_at <
                 (SELECT scheduled_at FROM raisfast_cron_runs WHERE plugin_id = ?1 AND job = ?2
                  ORDER BY scheduled_at DESC LIMIT 1 OFFSET ?3)",
                rusqlite::params![plugin, job, HISTORY as i64 - 1],
            )
        });
        running.store(false, Ordering::SeqCst);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_and_six_fields() {
        assert!(parse_schedule("*/5 * * * *").is_ok());
        assert!(parse_schedule("* * * * * *").is_ok());
        assert!(parse_schedule("61 * * * *").is_err());
        assert!(parse_schedule("every minute").is_err());
    }

    #[test]
    fn next_ticks_respect_time_zones() {
        let cron = parse_schedule("0 9 * * *").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        let utc = next_after(&cron, chrono_tz::UTC, at).unwrap();
        assert_eq!(utc, Utc.with_ymd_and_hms(2026, 1, 16, 9, 0, 0).unwrap());
        let paris = next_after(&cron, chrono_tz::Europe::Paris, at).unwrap();
        assert_eq!(paris, Utc.with_ymd_and_hms(2026, 1, 16, 8, 0, 0).unwrap());
    }
}
