//! Background plugin work, scheduled fairly: actions (run after the response
//! that caused them) and events (delivered after the call that emitted them).
//!
//! Every job is one call of one subscriber. Jobs wait in a queue per plugin,
//! in order; workers take the plugins in turn (round robin) and run at most
//! one job of a plugin at a time. A plugin whose handlers are slow (or run to
//! their deadline every time) only delays its own queue: the other plugins'
//! jobs keep running on the other workers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// Worker threads per core (calls wait on I/O and deadlines as much as they compute).
const WORKERS_PER_CORE: usize = 4;

/// One call to make in the background.
pub struct Job {
    /// The subscriber.
    pub plugin: String,
    /// What to run: the call itself, given the plugin id.
    pub run: Box<dyn FnOnce() + Send>,
}

#[derive(Default)]
struct State {
    queues: HashMap<String, VecDeque<Job>>,
    /// Plugins with queued jobs and none running, in turn order.
    ready: VecDeque<String>,
    running: HashSet<String>,
    /// Shutting down: workers leave once nothing is queued or running (jobs
    /// may still queue more, such as the events of an action).
    closed: bool,
    /// The workers are gone: nothing runs any more.
    stopped: bool,
}

/// The per-plugin queues and their workers.
pub struct FairQueue {
    state: Arc<(Mutex<State>, Condvar)>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl FairQueue {
    /// Starts the workers (named `name-N`).
    pub fn start(name: &str) -> FairQueue {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_workers(name, cores * WORKERS_PER_CORE)
    }

    /// Starts `n` workers.
    pub fn with_workers(name: &str, n: usize) -> FairQueue {
        let state = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let workers = (0..n.max(1))
            .map(|i| {
                let state = Arc::clone(&state);
                std::thread::Builder::new()
                    .name(format!("{name}-{i}"))
                    .spawn(move || work(&state))
                    .expect("spawning a background worker")
            })
            .collect();
        FairQueue {
            state,
            workers: Mutex::new(workers),
        }
    }

    /// Queues a job behind the plugin's earlier ones; `false` once stopped.
    pub fn push(&self, job: Job) -> bool {
        let (lock, wake) = &*self.state;
        let mut s = lock.lock().expect("queue lock");
        if s.stopped {
            return false;
        }
        let plugin = job.plugin.clone();
        let queue = s.queues.entry(plugin.clone()).or_default();
        queue.push_back(job);
        let first = queue.len() == 1;
        if first && !s.running.contains(&plugin) {
            s.ready.push_back(plugin);
            wake.notify_one();
        }
        true
    }

    /// Jobs waiting, in all.
    pub fn len(&self) -> usize {
        let s = self.state.0.lock().expect("queue lock");
        s.queues.values().map(VecDeque::len).sum()
    }

    /// Whether no job is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs what is queued, then stops the workers.
    pub fn shutdown(&self) {
        {
            let (lock, wake) = &*self.state;
            lock.lock().expect("queue lock").closed = true;
            wake.notify_all();
        }
        for w in self.workers.lock().expect("queue lock").drain(..) {
            let _ = w.join();
        }
        self.state.0.lock().expect("queue lock").stopped = true;
    }
}

impl Drop for FairQueue {
    fn drop(&mut self) {
        let (lock, wake) = &*self.state;
        if let Ok(mut s) = lock.lock() {
            s.closed = true;
            s.stopped = true;
        }
        wake.notify_all();
    }
}

fn work(state: &(Mutex<State>, Condvar)) {
    let (lock, wake) = state;
    let mut s = lock.lock().expect("queue lock");
    loop {
        let Some(plugin) = s.ready.pop_front() else {
            if s.closed && s.running.is_empty() && s.queues.values().all(VecDeque::is_empty) {
                wake.notify_all();
                return;
            }
            s = wake.wait(s).expect("queue lock");
            continue;
        };
        let job = s
            .queues
            .get_mut(&plugin)
            .and_then(VecDeque::pop_front)
            .expect("a ready plugin has a job");
        s.running.insert(plugin.clone());
        drop(s);
        (job.run)();
        s = lock.lock().expect("queue lock");
        s.running.remove(&plugin);
        match s.queues.get(&plugin).map(VecDeque::len) {
            Some(0) | None => {
                s.queues.remove(&plugin);
                if s.closed {
                    wake.notify_all();
                }
            }
            Some(_) => {
                s.ready.push_back(plugin);
                wake.notify_one();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    #[test]
    fn a_slow_plugin_delays_only_its_own_queue() {
        let q = FairQueue::with_workers("test", 2);
        let (gate_tx, gate_rx) = channel::<()>();
        let gate = Arc::new(Mutex::new(gate_rx));
        // The slow plugin's jobs block until released.
        for _ in 0..5 {
            let gate = Arc::clone(&gate);
            q.push(Job {
                plugin: "slow".into(),
                run: Box::new(move || {
                    let _ = gate.lock().unwrap().recv();
                }),
            });
        }
        let (done_tx, done_rx) = channel();
        for i in 0..10 {
            let done = done_tx.clone();
            q.push(Job {
                plugin: "quick".into(),
                run: Box::new(move || done.send(i).unwrap()),
            });
        }
        let got: Vec<i32> = (0..10)
            .map(|_| done_rx.recv_timeout(Duration::from_secs(60)).unwrap())
            .collect();
        assert_eq!(
            got,
            (0..10).collect::<Vec<_>>(),
            "in order, while `slow` is stuck"
        );
        for _ in 0..5 {
            gate_tx.send(()).unwrap();
        }
        q.shutdown();
        assert!(q.is_empty());
    }
}
