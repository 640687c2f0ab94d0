//! JSON at the `db` boundary: parameters in, rows out.

use super::{MAX_RESULT_BYTES, MAX_ROWS};
use crate::storage::SqlError;
use base64::Engine as _;
use rusqlite::Statement;
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::{Map, Value};

/// Binds `params` (a JSON array, a JSON object, or empty/`null` for none).
pub fn bind(stmt: &mut Statement<'_>, params: &str) -> Result<(), SqlError> {
    let count = stmt.parameter_count();
    let value: Value = if params.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(params)
            .map_err(|e| SqlError::Invalid(format!("database: params are not valid JSON: {e}")))?
    };
    match value {
        Value::Null => expect_count(count, 0),
        Value::Array(items) => {
            expect_count(count, items.len())?;
            for (i, v) in items.into_iter().enumerate() {
                bind_one(stmt, i + 1, v)?;
            }
            Ok(())
        }
        Value::Object(mut map) => {
            for i in 1..=count {
                let Some(name) = stmt.parameter_name(i).map(str::to_string) else {
                    return Err(SqlError::Invalid(format!(
                        "database: parameter {i} is positional (`?`); pass params as a JSON array"
                    )));
                };
                let key = name.trim_start_matches([':', '@', '$']);
                let v = map.remove(key).ok_or_else(|| {
                    SqlError::Invalid(format!("database: no value given for parameter `{name}`"))
                })?;
                bind_one(stmt, i, v)?;
            }
            match map.keys().next() {
                Some(extra) => Err(SqlError::Invalid(format!(
                    "database: the statement has no parameter `:{extra}`"
                ))),
                None => Ok(()),
            }
        }
        other => Err(SqlError::Invalid(format!(
            "database: params must be a JSON array or object, not {other}"
        ))),
    }
}

fn expect_count(expected: usize, given: usize) -> Result<(), SqlError> {
    if expected == given {
        Ok(())
    } else {
        Err(SqlError::Invalid(format!(
            "database: the statement has {expected} parameter(s) but {given} value(s) were given"
        )))
    }
}

fn bind_one(stmt: &mut Statement<'_>, index: usize, v: Value) -> Result<(), SqlError> {
    let sql = match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(b as i64),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SqlValue::Text(s),
        v @ (Value::Array(_) | Value::Object(_)) => SqlValue::Text(v.to_string()),
    };
    stmt.raw_bind_parameter(index, sql)
        .map_err(|e| SqlError::Invalid(format!("database: parameter {index}: {e}")))
}

/// A failure while reading rows.
pub enum RowsError {
    /// From SQLite (the caller maps it, knowing the authorizer's reason).
    Sql(rusqlite::Error),
    /// A cap was reached.
    Host(SqlError),
}

fn too_large() -> RowsError {
    RowsError::Host(SqlError::Limit(format!(
        "database: the result is larger than {} MiB; select fewer rows or columns",
        MAX_RESULT_BYTES / (1024 * 1024)
    )))
}

/// Steps the statement and collects its rows as a JSON array of objects. The
/// size of each value is counted before it is copied or encoded, so a result
/// over the cap fails without the host ever holding it.
pub fn rows_to_json(stmt: &mut Statement<'_>) -> Result<String, RowsError> {
    let names: Vec<String> = stmt
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    let mut bytes = 0usize;
    while let Some(row) = rows.next().map_err(RowsError::Sql)? {
        if out.len() == MAX_ROWS {
            return Err(RowsError::Host(SqlError::Limit(format!(
                "database: the query returns more than {MAX_ROWS} rows; use LIMIT and OFFSET"
            ))));
        }
        let mut obj = Map::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let value = row.get_ref(i).map_err(RowsError::Sql)?;
            bytes += name.len()
                + 8
                + match value {
                    ValueRef::Text(t) => t.len(),
                    ValueRef::Blob(b) => b.len().div_ceil(3) * 4,
                    _ => 24,
                };
            if bytes > MAX_RESULT_BYTES {
                return Err(too_large());
            }
            let v = match value {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(f) => {
                    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
                }
                ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => {
                    Value::String(base64::engine::general_purpose::STANDARD.encode(b))
                }
            };
            obj.insert(name.clone(), v);
        }
        out.push(Value::Object(obj));
    }
    Ok(Value::Array(out).to_string())
}
