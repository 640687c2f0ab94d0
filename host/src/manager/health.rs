//! Auto-disable: a plugin whose own calls keep failing is switched off, with
//! its last error as the reason. Only failures the plugin causes itself count:
//! what an outside party can provoke must never switch a plugin off for
//! everyone (anonymous callers answered 404 on purpose, a crafted title that
//! makes a filter time out, another plugin's event payload).
//!
//! | cause | a failure counts |
//! |---|---|
//! | cron jobs, lifecycle hooks, direct calls (`plugin call`, tests) | yes: no outside input |
//! | routes, filters, actions, render hooks, events | no: the input may be the cause; the failure is logged and counted in the plugin's metrics, and a filter that fails refuses the operation (fail closed) |
//! | any call whose instance cannot even be created | yes, whatever the cause |
//!
//! A success of any kind resets the count.

use super::{PluginManager, PluginState};
use crate::runtime::{CallError, CallErrorKind, LoadedPlugin};
use crate::storage::StoredState;
use std::sync::atomic::Ordering;

/// On whose behalf a plugin is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Called directly (the CLI's `plugin call`, a test, a lifecycle hook).
    Direct,
    /// A cron job's tick.
    Cron,
    /// A filter on the request path (its failure refuses the operation).
    Filter,
    /// An action after an operation.
    Action,
    /// A render override.
    Render,
    /// Another plugin's event.
    Event,
    /// A route, with the caller's request.
    Route,
}

impl Cause {
    /// Whether a call's outcome counts toward auto-disable: `Some(false)` (a
    /// success) resets the count, `Some(true)` adds a failure, `None` leaves
    /// it as it is.
    pub fn counts(self, error: Option<&CallError>) -> Option<bool> {
        match error {
            None => Some(false),
            Some(CallError {
                kind: CallErrorKind::Instantiate { .. },
                ..
            }) => Some(true),
            Some(_) => matches!(self, Cause::Direct | Cause::Cron).then_some(true),
        }
    }
}

impl PluginManager {
    /// Counts a success or failure; disables the plugin after too many failures in a row.
    pub(super) fn record_health(&self, id: &str, p: &LoadedPlugin, failed: Option<bool>) {
        let m = &p.metrics;
        match failed {
            Some(false) => m.consecutive_failures.store(0, Ordering::Relaxed),
            Some(true) => {
                let n = m.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
                let limit = self.settings.server.auto_disable_after;
                if limit > 0 && n >= limit {
                    let last = m
                        .last_error
                        .lock()
                        .expect("metrics lock")
                        .clone()
                        .unwrap_or_default();
                    let why = format!("disabled after {n} consecutive failures; the last: {last}");
                    tracing::error!(plugin = id, "{why}");
                    let _ = self.set_stored(
                        id,
                        StoredState {
                            disabled: true,
                            reason: Some(why.clone()),
                            uninstalled: false,
                        },
                    );
                    self.replace_state(id, PluginState::Disabled(Some(why)));
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host_api::HostError;

    #[test]
    fn only_failures_without_outside_input_count() {
        let timeout = CallError::new("p", "h", CallErrorKind::Timeout { timeout_ms: 1 });
        let not_found = CallError::new(
            "p",
            "h",
            CallErrorKind::Plugin {
                error: HostError::NotFound,
            },
        );
        for cause in [
            Cause::Filter,
            Cause::Action,
            Cause::Render,
            Cause::Event,
            Cause::Route,
        ] {
            assert_eq!(cause.counts(Some(&timeout)), None, "{cause:?}");
            assert_eq!(cause.counts(Some(&not_found)), None, "{cause:?}");
            assert_eq!(cause.counts(None), Some(false), "{cause:?}");
        }
        assert_eq!(Cause::Cron.counts(Some(&timeout)), Some(true));
        assert_eq!(Cause::Direct.counts(Some(&not_found)), Some(true));
        let broken = CallError::before_call(
            "p",
            CallErrorKind::Instantiate {
                message: "m".into(),
            },
        );
        assert_eq!(Cause::Route.counts(Some(&broken)), Some(true));
    }
}
