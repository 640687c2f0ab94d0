//! Cron: `[[cron]]` jobs of active plugins, run by a scheduler thread.
//!
//! - Schedules are 5-field expressions, or 6 with seconds first (`croner`), in
//!   UTC unless the job names a `timezone`.
//! - A job never overlaps itself, on any node: a tick that comes while the
//!   previous run is still going is recorded as `skipped`. A run holds a lease
//!   of its timeout plus [`LEASE_MARGIN_MS`]; one whose node died is recorded
//!   as failed once its lease is over, and the job runs again.
//! - Missed ticks (the server was down) run once at start, not in a burst.
//! - Every run is claimed by inserting its row in `raisfast_cron_runs`, keyed by
//!   plugin, job and tick: several servers on one database run each tick once
//!   (the row is the lease). The row then records duration and outcome.
//!
//! This module is the scheduler thread; [`crate::manifest::schedule`] parses
//! expressions and finds the next tick, the storage keeps the run records
//! ([`Storage::recent_runs`] and the claims).

pub use crate::manifest::schedule::{next_after, parse_schedule};

use crate::manager::{Cause, PluginManager, PluginState};
use crate::manifest::hooks::Envelope;
use crate::storage::{CronClaim, Storage};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

struct Job {
    schedule: String,
    next: DateTime<Utc>,
}

/// How long past a run's own timeout its node may take to record its end
/// before the run counts as lost (see [`crate::storage::CronStore::claim_tick`]).
const LEASE_MARGIN_MS: i64 = 10_000;

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
                let missed = db
                    .last_tick(&id, &spec.name)
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
                    },
                );
            }
            let job = jobs.get_mut(&key).expect("inserted above");
            if now < job.next {
                continue;
            }
            let scheduled = job.next;
            job.next = next_after(&cron, tz, now).unwrap_or(now + chrono::Duration::days(3650));
            let lease_ms = entry.manifest.timeout_ms() as i64 + LEASE_MARGIN_MS;
            start_run(
                m,
                &db,
                node,
                &id,
                &spec.name,
                &spec.handler,
                spec.schedule.get_ref(),
                scheduled,
                lease_ms,
            );
        }
    }
    jobs.retain(|k, _| seen.contains(k));
}

#[allow(clippy::too_many_arguments)]
fn start_run(
    m: &Arc<PluginManager>,
    db: &Arc<dyn Storage>,
    node: &str,
    plugin: &str,
    job: &str,
    handler: &str,
    schedule: &str,
    scheduled: DateTime<Utc>,
    lease_ms: i64,
) {
    let at = scheduled.timestamp_millis();
    match db.claim_tick(plugin, job, at, node, lease_ms) {
        CronClaim::Claimed => {}
        CronClaim::Taken => return,
        CronClaim::Overlap => {
            tracing::warn!(
                plugin,
                job,
                "cron tick skipped: the previous run is still going"
            );
            return;
        }
    }
    let (m, db) = (Arc::clone(m), Arc::clone(db));
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
        db.finish_tick(&plugin, &job, at, elapsed, outcome, error.as_deref());
    });
}
