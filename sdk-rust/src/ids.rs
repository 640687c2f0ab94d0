//! Unique ids.

/// A new UUIDv7 (time-ordered), hyphenated.
pub fn new_id() -> String {
    crate::bindings::raisfast::plugin::ids::new_id()
}
