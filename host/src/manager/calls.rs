//! Calling plugins: hooks and routes, on behalf of a [`Cause`] that decides
//! whether a failure counts toward auto-disable; what a call emits goes to the
//! background work (the event bus), which also runs actions.

use super::{Cause, PluginManager};
use crate::hooks::Envelope;
use crate::runtime::bindings::raisfast::plugin::types::{RouteRequest, RouteResponse};
use crate::runtime::{CallFailure, CallOutcome};
use std::sync::Arc;

impl PluginManager {
    /// Starts delivering the events plugins emit (without it, they are dropped).
    pub fn start_events(self: &Arc<Self>) {
        let _ = self.events.set(crate::hooks::events::EventBus::start(self));
    }

    /// Delivers what is queued and stops delivering events.
    pub fn stop_events(&self) {
        if let Some(bus) = self.events.get() {
            bus.shutdown();
        }
    }

    /// Queues an action in the background; `false` when the background work
    /// is not running (the caller then runs it itself).
    pub fn queue_action(&self, env: &Envelope) -> bool {
        self.events.get().is_some_and(|bus| bus.action(env))
    }

    fn queue_events(&self, id: &str, events: &[crate::host_api::EmittedEvent]) {
        if let (Some(bus), false) = (self.events.get(), events.is_empty()) {
            bus.queue(id, events.to_vec());
        }
    }

    /// Calls handler `hook` of plugin `id` with a JSON payload.
    pub fn call_hook(
        &self,
        id: &str,
        hook: &str,
        payload: &str,
    ) -> Result<CallOutcome<Option<String>>, CallFailure> {
        self.call_hook_at(id, hook, payload, 0, Cause::Direct)
    }

    /// Calls handler `hook` of plugin `id` at `depth` in an event chain, on
    /// behalf of `cause` (which decides whether a failure counts toward
    /// auto-disable: see [`Cause`]).
    pub fn call_hook_at(
        &self,
        id: &str,
        hook: &str,
        payload: &str,
        depth: u32,
        cause: Cause,
    ) -> Result<CallOutcome<Option<String>>, CallFailure> {
        let p = self.plugin(id)?;
        let r = p.call_hook(hook, payload, depth);
        if let Ok(out) = &r {
            self.queue_events(id, &out.events);
        }
        self.record_health(id, &p, cause.counts(r.as_ref().err().map(|f| &f.error)));
        r
    }

    /// Serves a route of plugin `id`.
    pub fn call_route(
        &self,
        id: &str,
        request: &RouteRequest,
    ) -> Result<CallOutcome<RouteResponse>, CallFailure> {
        let p = self.plugin(id)?;
        let r = p.call_route(request);
        if let Ok(out) = &r {
            self.queue_events(id, &out.events);
        }
        let error = r.as_ref().err().map(|f| &f.error);
        self.record_health(id, &p, Cause::Route.counts(error));
        r
    }
}
