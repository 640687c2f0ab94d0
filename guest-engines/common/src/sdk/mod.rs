//! The SDK function table: every host function a script can call, by name,
//! with JSON values in and out. JS and Lua use the camelCase names
//! (`dbQuery`), Rhai the snake_case ones (`db_query`). Each language's glue
//! only converts its values to and from JSON and calls [`call`].

mod convert;
mod table;

pub use convert::{RESPONSE_KEY, extract, json_text, text};
pub use table::FUNCTIONS;

use crate::Error;
use convert::{invalid, opt, str_arg};
use serde_json::Value;

/// One SDK function: its names, its signature, and what it does. The JS `sdk`
/// module, the Lua `sdk` table and Rhai's globals are all made from
/// [`FUNCTIONS`]; a function added here exists in every language.
#[derive(Clone, Copy)]
pub struct SdkFn {
    /// The JS and Lua name.
    pub name: &'static str,
    /// The Rhai name.
    pub snake: &'static str,
    /// Its parameters: `?` marks an optional one, `...` the rest.
    pub params: &'static [&'static str],
    run: fn(Args<'_>) -> Result<Value, Error>,
}

impl std::fmt::Debug for SdkFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.name, self.params.join(", "))
    }
}

/// The arguments of one SDK call, with the function's name for messages.
#[derive(Clone, Copy)]
struct Args<'a> {
    func: &'static str,
    values: &'a [Value],
}

impl<'a> Args<'a> {
    /// Argument `i`, which must be a string called `name`.
    fn str(&self, i: usize, name: &str) -> Result<&'a str, Error> {
        str_arg(self.values, i, self.func, name)
    }

    /// Argument `i`, if given and not null.
    fn opt(&self, i: usize) -> Option<&'a Value> {
        opt(self.values, i)
    }

    fn invalid(&self, what: &str) -> Error {
        invalid(self.func, what)
    }
}

/// Calls the SDK function `name` (either spelling) with `args`.
pub fn call(name: &str, args: &[Value]) -> Result<Value, Error> {
    let f = FUNCTIONS
        .iter()
        .find(|f| f.name == name || f.snake == name)
        .ok_or_else(|| Error::Invalid(format!("no SDK function `{name}`")))?;
    (f.run)(Args {
        func: f.name,
        values: args,
    })
}

/// The error as the text scripts see in an exception: `kind: message`.
pub fn error_text(e: &Error) -> String {
    match e {
        Error::Denied(m) => format!("denied: {m}"),
        Error::Invalid(m) => format!("invalid: {m}"),
        Error::NotFound => "not-found".into(),
        Error::Limit(m) => format!("limit: {m}"),
        Error::Failed(m) => format!("failed: {m}"),
    }
}

/// The error's kind: `denied`, `invalid`, `not-found`, `limit` or `failed`.
pub fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Denied(_) => "denied",
        Error::Invalid(_) => "invalid",
        Error::NotFound => "not-found",
        Error::Limit(_) => "limit",
        Error::Failed(_) => "failed",
    }
}
