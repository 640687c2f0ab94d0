//! JSON at the `db` boundary on PostgreSQL: parameters encoded for the types
//! PostgreSQL infers, rows decoded to JSON with the same bounds as on SQLite.

use super::numeric::{numeric, numeric_bytes};
use super::placeholders::Rewritten;
use crate::storage::SqlError;
use crate::storage::sqlite::plugin_sql::{MAX_RESULT_BYTES, MAX_ROWS};
use base64::Engine as _;
use postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};
use serde_json::{Map, Value};

/// The values for a statement's parameters, from the plugin's JSON `params`
/// (an array for `?`, an object for names, empty or `null` for none).
pub fn params(rewritten: &Rewritten, count: usize, params: &str) -> Result<Vec<Param>, SqlError> {
    let value: Value = if params.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(params)
            .map_err(|e| SqlError::Invalid(format!("database: params are not valid JSON: {e}")))?
    };
    let given = match value {
        Value::Null => Vec::new(),
        Value::Array(items) if rewritten.names.is_empty() => items,
        Value::Array(_) => {
            return Err(SqlError::Invalid(
                "database: the statement has named parameters; pass params as a JSON object".into(),
            ));
        }
        Value::Object(mut map) => {
            let mut values = Vec::with_capacity(rewritten.names.len());
            for name in &rewritten.names {
                values.push(map.remove(name).ok_or_else(|| {
                    SqlError::Invalid(format!("database: no value given for parameter `:{name}`"))
                })?);
            }
            if let Some(extra) = map.keys().next() {
                return Err(SqlError::Invalid(format!(
                    "database: the statement has no parameter `:{extra}`"
                )));
            }
            values
        }
        other => {
            return Err(SqlError::Invalid(format!(
                "database: params must be a JSON array or object, not {other}"
            )));
        }
    };
    if given.len() != count {
        return Err(SqlError::Invalid(format!(
            "database: the statement has {count} parameter(s) but {} value(s) were given",
            given.len()
        )));
    }
    Ok(given.into_iter().map(Param).collect())
}

/// One parameter: a JSON value encoded as whatever type PostgreSQL expects.
#[derive(Debug)]
pub struct Param(Value);

fn wrong(ty: &Type, v: &Value) -> Box<dyn std::error::Error + Sync + Send> {
    format!("cannot pass {v} as {ty}; cast the parameter in SQL (`CAST(? AS text)`)").into()
}

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let v = &self.0;
        if v.is_null() {
            return Ok(IsNull::Yes);
        }
        let int = || v.as_i64().or_else(|| v.as_bool().map(i64::from));
        match *ty {
            Type::BOOL => match v {
                Value::Bool(b) => b.to_sql(ty, out),
                Value::Number(n) => (n.as_i64() != Some(0)).to_sql(ty, out),
                _ => Err(wrong(ty, v)),
            },
            Type::INT2 => i16::try_from(int().ok_or_else(|| wrong(ty, v))?)?.to_sql(ty, out),
            Type::INT4 => i32::try_from(int().ok_or_else(|| wrong(ty, v))?)?.to_sql(ty, out),
            Type::INT8 => int().ok_or_else(|| wrong(ty, v))?.to_sql(ty, out),
            Type::FLOAT4 => (v.as_f64().ok_or_else(|| wrong(ty, v))? as f32).to_sql(ty, out),
            Type::FLOAT8 => v.as_f64().ok_or_else(|| wrong(ty, v))?.to_sql(ty, out),
            Type::NUMERIC => match v {
                Value::Number(n) => {
                    let text = match n.as_i64() {
                        Some(i) => i.to_string(),
                        None => format!("{}", n.as_f64().unwrap_or(f64::NAN)),
                    };
                    out.extend_from_slice(&numeric_bytes(&text).ok_or_else(|| wrong(ty, v))?);
                    Ok(IsNull::No)
                }
                _ => Err(wrong(ty, v)),
            },
            Type::JSON | Type::JSONB => v.to_sql(ty, out),
            Type::BYTEA => match v {
                Value::String(s) => s.as_bytes().to_sql(ty, out),
                _ => Err(wrong(ty, v)),
            },
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => match v {
                Value::String(s) => s.to_sql(ty, out),
                other => other.to_string().to_sql(&Type::TEXT, out),
            },
            _ => Err(wrong(ty, v)),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A column value as JSON, for the types a plugin's tables use; others are
/// refused with the advice to cast them to text.
struct Column(Value);

impl<'a> FromSql<'a> for Column {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Column, Box<dyn std::error::Error + Sync + Send>> {
        let v = match *ty {
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => Value::from(i16::from_sql(ty, raw)?),
            Type::INT4 => Value::from(i32::from_sql(ty, raw)?),
            Type::INT8 => Value::from(i64::from_sql(ty, raw)?),
            Type::OID => Value::from(u32::from_sql(ty, raw)?),
            Type::FLOAT4 => number(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => number(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::JSON | Type::JSONB => Value::from_sql(ty, raw)?,
            Type::BYTEA => Value::String(base64::engine::general_purpose::STANDARD.encode(raw)),
            Type::TIMESTAMP => Value::String(
                chrono::NaiveDateTime::from_sql(ty, raw)?
                    .format("%Y-%m-%dT%H:%M:%S%.f")
                    .to_string(),
            ),
            Type::TIMESTAMPTZ => {
                Value::String(chrono::DateTime::<chrono::Utc>::from_sql(ty, raw)?.to_rfc3339())
            }
            Type::DATE => Value::String(chrono::NaiveDate::from_sql(ty, raw)?.to_string()),
            _ if matches!(ty.kind(), Kind::Simple) && <&str as FromSql>::accepts(ty) => {
                Value::String(<&str>::from_sql(ty, raw)?.to_string())
            }
            _ => {
                return Err(format!(
                    "columns of type {ty} cannot be returned as JSON; cast it (`col::text`)"
                )
                .into());
            }
        };
        Ok(Column(v))
    }

    fn from_sql_null(_: &Type) -> Result<Column, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Column(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn number(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// The rows as a JSON array of objects, at most [`MAX_ROWS`] rows and
/// [`MAX_RESULT_BYTES`] bytes (counted as they are read).
pub fn rows_to_json(
    rows: impl Iterator<Item = Result<postgres::Row, postgres::Error>>,
) -> Result<String, RowsError> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    for row in rows {
        let row = row.map_err(RowsError::Sql)?;
        if out.len() == MAX_ROWS {
            return Err(RowsError::Host(SqlError::Limit(format!(
                "database: the query returns more than {MAX_ROWS} rows; use LIMIT and OFFSET"
            ))));
        }
        let mut obj = Map::with_capacity(row.len());
        for (i, col) in row.columns().iter().enumerate() {
            bytes += col.name().len() + 8 + row.as_ref_len(i);
            if bytes > MAX_RESULT_BYTES {
                return Err(RowsError::Host(SqlError::Limit(format!(
                    "database: the result is larger than {} MiB; select fewer rows or columns",
                    MAX_RESULT_BYTES / (1024 * 1024)
                ))));
            }
            let Column(v) = row
                .try_get(i)
                .map_err(|e| RowsError::Host(SqlError::Invalid(format!("database: {e}"))))?;
            obj.insert(col.name().to_string(), v);
        }
        out.push(Value::Object(obj));
    }
    Ok(Value::Array(out).to_string())
}

/// A failure while reading rows.
pub enum RowsError {
    /// From PostgreSQL.
    Sql(postgres::Error),
    /// A cap was reached, or a value cannot be JSON.
    Host(SqlError),
}

/// The raw size of a row's value, for the result cap.
trait RawLen {
    fn as_ref_len(&self, i: usize) -> usize;
}

impl RawLen for postgres::Row {
    fn as_ref_len(&self, i: usize) -> usize {
        self.try_get::<_, Option<RawBytes>>(i)
            .ok()
            .flatten()
            .map_or(0, |r| r.0)
    }
}

/// The length of a value's wire bytes, whatever its type.
struct RawBytes(usize);

impl<'a> FromSql<'a> for RawBytes {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> Result<RawBytes, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawBytes(raw.len()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}
