//! Back-pressure: a bounded number of requests run plugin code or CMS work at
//! once ([`crate::settings::ServerSettings::max_inflight`]); the others wait in
//! a first-come first-served line for at most `queue_timeout_ms`, then get
//! `503 Service Unavailable` with `Retry-After` and the JSON error shape.
//!
//! Without the bound, every extra connection adds a blocking thread, a plugin
//! instance and its memory, and latency grows for everyone without limit; with
//! it, latency stays near `in-flight / throughput` and an overload is answered
//! at once, in a way load balancers and clients understand.

use super::error::ApiError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a client is told to wait after a 503 for overload.
pub const RETRY_AFTER_SECS: u32 = 1;

/// The in-flight bound and its line.
pub struct CallSlots {
    permits: Arc<Semaphore>,
    limit: usize,
    wait: Duration,
}

/// The line was too long: the request was not started.
#[derive(Debug, thiserror::Error)]
#[error(
    "the server is at capacity ({limit} requests in flight; waited {waited_ms} ms); retry in {RETRY_AFTER_SECS} s"
)]
pub struct Overloaded {
    /// The in-flight bound.
    pub limit: usize,
    /// How long the request waited.
    pub waited_ms: u64,
}

impl CallSlots {
    /// `limit` requests at once; a request waits at most `wait` for its turn.
    pub fn new(limit: usize, wait: Duration) -> CallSlots {
        let limit = limit.max(1);
        CallSlots {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            wait,
        }
    }

    /// Waits for a slot; the slot is free again when the permit is dropped.
    pub async fn acquire(&self) -> Result<OwnedSemaphorePermit, Overloaded> {
        let sem = Arc::clone(&self.permits);
        match tokio::time::timeout(self.wait, sem.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Overloaded {
                limit: self.limit,
                waited_ms: self.wait.as_millis() as u64,
            }),
        }
    }
}

impl From<Overloaded> for ApiError {
    fn from(e: Overloaded) -> ApiError {
        ApiError::new(503, "overloaded", e.to_string(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_bound_a_request_waits_then_is_refused() {
        let slots = CallSlots::new(1, Duration::from_millis(50));
        let held = slots.acquire().await.expect("a free slot");
        let refused = slots.acquire().await.expect_err("no slot within the wait");
        assert_eq!(refused.waited_ms, 50);
        drop(held);
        assert!(slots.acquire().await.is_ok(), "the slot is free again");
    }
}
