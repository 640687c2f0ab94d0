//! The error every host call and handler returns.

use crate::bindings::raisfast::plugin::types::Error as WitError;
use std::fmt;

/// Why a host call or a handler failed; mirrors the WIT `error` variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A permission is missing; the message names the one to add to `manifest.toml`.
    Denied(String),
    /// Malformed arguments or input.
    Invalid(String),
    /// The thing asked for does not exist.
    NotFound,
    /// A quota, size cap or deadline was reached.
    Limit(String),
    /// Anything else.
    Failed(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`Error::Failed`] with a message.
    pub fn failed(msg: impl Into<String>) -> Error {
        Error::Failed(msg.into())
    }

    /// An [`Error::Invalid`] with a message.
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Denied(m) => write!(f, "denied: {m}"),
            Error::Invalid(m) => write!(f, "invalid: {m}"),
            Error::NotFound => f.write_str("not found"),
            Error::Limit(m) => write!(f, "limit: {m}"),
            Error::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<WitError> for Error {
    fn from(e: WitError) -> Error {
        match e {
            WitError::Denied(m) => Error::Denied(m),
            WitError::Invalid(m) => Error::Invalid(m),
            WitError::NotFound => Error::NotFound,
            WitError::Limit(m) => Error::Limit(m),
            WitError::Failed(m) => Error::Failed(m),
        }
    }
}

impl From<Error> for WitError {
    fn from(e: Error) -> WitError {
        match e {
            Error::Denied(m) => WitError::Denied(m),
            Error::Invalid(m) => WitError::Invalid(m),
            Error::NotFound => WitError::NotFound,
            Error::Limit(m) => WitError::Limit(m),
            Error::Failed(m) => WitError::Failed(m),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::Invalid(format!("JSON: {e}"))
    }
}
