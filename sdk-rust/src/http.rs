//! Outbound HTTP to the hosts in `[permissions] http`.
//!
//! ```no_run
//! use raisfast_sdk::http;
//! # fn main() -> raisfast_sdk::Result<()> {
//! let resp = http::get("https://api.example.com/items")?;
//! let items: serde_json::Value = resp.json()?;
//! # Ok(()) }
//! ```

use crate::Result;
use crate::bindings::raisfast::plugin::http as wit;
use crate::bindings::raisfast::plugin::types::Header;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An outbound request, built step by step.
#[derive(Debug, Clone)]
pub struct Request(wit::Request);

impl Request {
    /// A request with `method` to `url`.
    pub fn new(method: &str, url: &str) -> Request {
        Request(wit::Request {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout_ms: None,
        })
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.0.headers.push(Header {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.0.body = Some(body.into());
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json<T: Serialize>(self, value: &T) -> Result<Request> {
        let body = serde_json::to_vec(value)?;
        Ok(self.header("content-type", "application/json").body(body))
    }

    /// Limits the request to `ms` milliseconds.
    pub fn timeout_ms(mut self, ms: u32) -> Request {
        self.0.timeout_ms = Some(ms);
        self
    }

    /// Sends it.
    pub fn send(self) -> Result<Response> {
        Ok(Response(wit::fetch(&self.0)?))
    }
}

/// A response (any status: a 404 is a response, not an error).
#[derive(Debug, Clone)]
pub struct Response(wit::Response);

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// A header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The body.
    pub fn bytes(&self) -> &[u8] {
        &self.0.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_slice(&self.0.body)?)
    }
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response> {
    Request::new("GET", url).send()
}

/// `POST url` with a JSON body.
pub fn post_json<T: Serialize>(url: &str, body: &T) -> Result<Response> {
    Request::new("POST", url).json(body)?.send()
}
