//! The dispatcher layer: runs hooks (filters, actions, render overrides) over
//! their subscribers, and delivers actions and plugins' events in the
//! background on a fair queue per plugin.
//!
//! It sits above the plugin manager: the manager knows plugins and calls
//! them; this layer decides who is called, in which order, and when. The
//! hook contract itself (names, kinds, the envelope) is in
//! [`crate::manifest::hooks`].

mod dispatcher;
pub mod events;
pub mod queue;

pub use dispatcher::{Dispatcher, HookError};
