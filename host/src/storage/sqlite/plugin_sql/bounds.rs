//! What bounds a plugin's SQL (rows, bytes, SQLite's own limits at the scale
//! of one call) and what a failure looks like to the plugin.

use crate::storage::SqlError;
use rusqlite::ErrorCode;
use rusqlite::limits::Limit;

/// Most rows one query returns.
pub const MAX_ROWS: usize = 10_000;
/// Most bytes of JSON one query returns.
pub const MAX_RESULT_BYTES: usize = 16 * 1024 * 1024;

/// SQLite's limits on a connection while a plugin holds it: at the scale of
/// one plugin call rather than SQLite's defaults (a billion bytes per value),
/// so that what a statement builds in the host's memory stays bounded. The
/// pool's defaults come back when the call ends.
pub const PLUGIN_LIMITS: &[(Limit, i32)] = &[
    (Limit::SQLITE_LIMIT_LENGTH, MAX_RESULT_BYTES as i32),
    (Limit::SQLITE_LIMIT_SQL_LENGTH, 1024 * 1024),
    (Limit::SQLITE_LIMIT_COLUMN, 500),
    (Limit::SQLITE_LIMIT_EXPR_DEPTH, 200),
    (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 50),
    (Limit::SQLITE_LIMIT_VDBE_OP, 100_000),
    (Limit::SQLITE_LIMIT_FUNCTION_ARG, 100),
    (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 10_000),
    (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 1000),
];

/// Maps a SQLite error to what the plugin sees.
pub fn sql_error(e: rusqlite::Error) -> SqlError {
    match &e {
        rusqlite::Error::MultipleStatement => SqlError::Invalid(
            "one SQL statement per call; run each statement with its own call".into(),
        ),
        rusqlite::Error::SqliteFailure(f, msg) => match f.code {
            ErrorCode::AuthorizationForStatementDenied => {
                SqlError::Denied(format!("database: {}", msg.as_deref().unwrap_or("not authorized")))
            }
            ErrorCode::OperationInterrupted => SqlError::Limit(
                "database: the call's deadline passed during the query (raise `timeout_ms` in [permissions])".into(),
            ),
            ErrorCode::TooBig => SqlError::Limit(format!(
                "database: a string, blob or statement is over the plugin limit ({} MiB per value, 1 MiB of SQL)",
                MAX_RESULT_BYTES / (1024 * 1024)
            )),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => SqlError::Limit(
                "database: busy; another writer held the lock until the call's deadline".into(),
            ),
            ErrorCode::Unknown | ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch => {
                SqlError::Invalid(format!("database: {}", msg.as_deref().unwrap_or("error")))
            }
            _ => SqlError::Failed(format!("database: {e}")),
        },
        rusqlite::Error::InvalidParameterCount(..) | rusqlite::Error::InvalidParameterName(_) => {
            SqlError::Invalid(format!("database: {e}"))
        }
        rusqlite::Error::SqlInputError { msg, offset, .. } => {
            SqlError::Invalid(format!("database: {msg} (at offset {offset})"))
        }
        _ => SqlError::Failed(format!("database: {e}")),
    }
}
