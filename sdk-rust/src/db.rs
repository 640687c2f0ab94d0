//! The database, through the plugin's table grants (`[permissions] database`).
//!
//! ```no_run
//! use raisfast_sdk::{db, json};
//! # fn main() -> raisfast_sdk::Result<()> {
//! db::execute("CREATE TABLE IF NOT EXISTS hello_notes (id INTEGER PRIMARY KEY, text TEXT)", ())?;
//! db::execute("INSERT INTO hello_notes (text) VALUES (?)", json!(["hi"]))?;
//! let rows = db::query("SELECT id, text FROM hello_notes WHERE id > :min", json!({"min": 0}))?;
//! # Ok(()) }
//! ```

use crate::Result;
use crate::bindings::raisfast::plugin::db as wit;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// One row: column name to value.
pub type Row = Map<String, Value>;

fn params_json<P: Serialize>(params: P) -> Result<String> {
    Ok(serde_json::to_string(&params)?)
}

/// Runs one statement and returns its rows. `params` is a JSON array (or tuple)
/// for `?` placeholders, an object for `:name` ones, or `()` for none.
pub fn query<P: Serialize>(sql: &str, params: P) -> Result<Vec<Row>> {
    query_as(sql, params)
}

/// Like [`query`], with each row deserialised into `T`.
pub fn query_as<T: DeserializeOwned, P: Serialize>(sql: &str, params: P) -> Result<Vec<T>> {
    let json = wit::query(sql, &params_json(params)?)?;
    Ok(serde_json::from_str(&json)?)
}

/// What a changing statement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Executed {
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
    /// Rowid of the last inserted row.
    pub last_insert_id: i64,
}

/// Runs one statement that changes data or the plugin's own schema.
pub fn execute<P: Serialize>(sql: &str, params: P) -> Result<Executed> {
    let r = wit::execute(sql, &params_json(params)?)?;
    Ok(Executed {
        rows_affected: r.rows_affected,
        last_insert_id: r.last_insert_id,
    })
}

/// Runs `f` in a transaction: committed if it returns `Ok`, rolled back otherwise.
/// (A transaction still open when the plugin call ends is rolled back too.)
pub fn transaction<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    wit::begin()?;
    match f() {
        Ok(r) => {
            wit::commit()?;
            Ok(r)
        }
        Err(e) => {
            let _ = wit::rollback();
            Err(e)
        }
    }
}

/// Starts a transaction by hand (see [`transaction`]).
pub fn begin() -> Result<()> {
    Ok(wit::begin()?)
}

/// Commits the open transaction.
pub fn commit() -> Result<()> {
    Ok(wit::commit()?)
}

/// Rolls the open transaction back.
pub fn rollback() -> Result<()> {
    Ok(wit::rollback()?)
}
