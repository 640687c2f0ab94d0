//! Route requests and responses, with the `ok` / `fail` helpers every SDK has.

use crate::Result;
use crate::bindings::raisfast::plugin::types::{Header, Principal, RouteRequest, RouteResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A request to one of the plugin's `[[routes]]`.
#[derive(Debug, Clone)]
pub struct Request(pub(crate) RouteRequest);

impl Request {
    /// Wraps a raw request (tests use it to call handlers directly).
    pub fn new(raw: RouteRequest) -> Request {
        Request(raw)
    }

    /// The `handler` named by the matched route.
    pub fn handler(&self) -> &str {
        &self.0.handler
    }

    /// The HTTP method.
    pub fn method(&self) -> &str {
        &self.0.method
    }

    /// The path below the plugin's mount point.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// A `:name` parameter of the route.
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.0.params, name)
    }

    /// Every `:name` parameter, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.0.params
    }

    /// Every query-string pair, in order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.0.query
    }

    /// The first query-string value of `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        find(&self.0.query, name)
    }

    /// A request header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_slice(&self.0.body)?)
    }

    /// The authenticated caller, if any.
    pub fn caller(&self) -> Option<&Principal> {
        self.0.caller.as_ref()
    }
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What a route handler answers.
#[derive(Debug, Clone)]
pub struct Response(pub(crate) RouteResponse);

impl Response {
    /// A response with `status`, no headers and an empty body.
    pub fn new(status: u16) -> Response {
        Response(RouteResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        })
    }

    /// A JSON response with `status`.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        Response::new(status)
            .header("content-type", "application/json")
            .body(body)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.0.headers.push(Header {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.0.body = body.into();
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The body bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0.body
    }
}

/// 200 with `data` as the JSON body.
pub fn ok<T: Serialize>(data: T) -> Result<Response> {
    Ok(Response::json(200, &data))
}

/// An error response: `status` with `{"error": {"status": ..., "message": ...}}`.
pub fn fail(status: u16, message: &str) -> Result<Response> {
    Ok(Response::json(
        status,
        &serde_json::json!({ "error": { "status": status, "message": message } }),
    ))
}
