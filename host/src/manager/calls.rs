//! Calling plugins: hooks and routes, on behalf of a [`Cause`] that decides
//! whether a failure counts toward auto-disable; what a call emits goes to the
//! [`EventSink`] the dispatcher registered.

use super::{Cause, PluginManager};
use crate::host_api::EmittedEvent;
use crate::host_api::bindings::raisfast::plugin::types::{RouteRequest, RouteResponse};
use crate::runtime::{CallFailure, CallOutcome, LoadedPlugin};
use std::sync::Arc;

/// Where the events a call emitted go once it succeeded: the dispatcher's
/// event bus, registered with [`PluginManager::set_event_sink`]. Without
/// one, emitted events are dropped.
pub trait EventSink: Send + Sync {
    /// Takes the events a call of `emitter` emitted, in emission order.
    fn emitted(&self, emitter: &str, events: Vec<EmittedEvent>);
}

impl PluginManager {
    /// Sends the events of every successful call to `sink` from now on (the
    /// first sink set stays).
    pub fn set_event_sink(&self, sink: Arc<dyn EventSink>) {
        let _ = self.events.set(sink);
    }

    fn queue_events(&self, id: &str, events: &[EmittedEvent]) {
        if let (Some(sink), false) = (self.events.get(), events.is_empty()) {
            sink.emitted(id, events.to_vec());
        }
    }

    /// Calls `handler` of plugin `id` with a JSON payload.
    pub fn call_hook(
        &self,
        id: &str,
        handler: &str,
        payload: &str,
    ) -> Result<CallOutcome<Option<String>>, CallFailure> {
        self.call_hook_at(id, handler, payload, 0, Cause::Direct)
    }

    /// Calls `handler` of plugin `id` at `depth` in an event chain, on
    /// behalf of `cause` (which decides whether a failure counts toward
    /// auto-disable: see [`Cause`]).
    pub fn call_hook_at(
        &self,
        id: &str,
        handler: &str,
        payload: &str,
        depth: u32,
        cause: Cause,
    ) -> Result<CallOutcome<Option<String>>, CallFailure> {
        let p = self.plugin(id)?;
        self.call_loaded(id, &p, handler, payload, depth, cause)
    }

    /// Calls `handler` of `plugin` (loaded as `id`) as found earlier, such as
    /// a [`Subscriber`](super::Subscriber) carries it, without looking it up.
    pub fn call_loaded(
        &self,
        id: &str,
        plugin: &LoadedPlugin,
        handler: &str,
        payload: &str,
        depth: u32,
        cause: Cause,
    ) -> Result<CallOutcome<Option<String>>, CallFailure> {
        let r = plugin.call_hook(handler, payload, depth);
        if let Ok(out) = &r {
            self.queue_events(id, &out.events);
        }
        self.record_health(id, plugin, cause.counts(r.as_ref().err().map(|f| &f.error)));
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
