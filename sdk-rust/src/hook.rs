//! Hook payloads: the envelope every handler receives and typed bodies for
//! the server's own hooks.

use crate::Result;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The JSON payload a handler receives.
#[derive(Debug, Clone)]
pub struct Input(pub(crate) String);

impl Input {
    /// Wraps JSON text (tests use it to call handlers directly).
    pub fn new(json: impl Into<String>) -> Input {
        Input(json.into())
    }

    /// The payload as JSON text.
    pub fn raw(&self) -> &str {
        &self.0
    }

    /// The envelope with its body as `T` (e.g. [`Content`]).
    pub fn event<T: DeserializeOwned>(&self) -> Result<HookEvent<T>> {
        Ok(serde_json::from_str(&self.0)?)
    }

    /// The payload deserialised as any type.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_str(&self.0)?)
    }
}

/// The envelope of every hook, event, cron and lifecycle call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HookEvent<T = Value> {
    /// The hook or event name.
    pub hook: String,
    /// Id of the record the hook is about, if any.
    #[serde(default)]
    pub id: Option<Value>,
    /// Content type of that record, for content hooks.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The record or value the hook is about.
    pub body: T,
    /// The user who caused it, if any.
    #[serde(default)]
    pub user: Option<User>,
    /// The plugin that emitted a custom event.
    #[serde(default)]
    pub emitter: Option<String>,
}

impl<T> HookEvent<T> {
    /// The record id as text (`""` if none).
    pub fn id_str(&self) -> String {
        match &self.id {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }
}

/// A content item (body of the `on_content_*` hooks and `render_content`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Content {
    /// Its id.
    #[serde(default)]
    pub id: String,
    /// Its type (`post`, `page`, ...).
    #[serde(default, rename = "type")]
    pub content_type: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// URL slug.
    #[serde(default)]
    pub slug: String,
    /// Markdown body.
    #[serde(default)]
    pub body: String,
    /// `draft` or `published`.
    #[serde(default)]
    pub status: String,
    /// Free-form JSON data.
    #[serde(default)]
    pub data: Value,
    /// Author's user id.
    #[serde(default)]
    pub author_id: Option<String>,
    /// Creation time, ms since the Unix epoch.
    #[serde(default)]
    pub created_at: i64,
    /// Last update, ms since the Unix epoch.
    #[serde(default)]
    pub updated_at: i64,
    /// Publication time, if published.
    #[serde(default)]
    pub published_at: Option<i64>,
}

/// A comment (body of the `on_comment_*` hooks).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Comment {
    /// Its id.
    #[serde(default)]
    pub id: String,
    /// The content it is on.
    #[serde(default)]
    pub content_id: String,
    /// Author's user id.
    #[serde(default)]
    pub author_id: Option<String>,
    /// Text.
    #[serde(default)]
    pub body: String,
    /// Creation time, ms since the Unix epoch.
    #[serde(default)]
    pub created_at: i64,
}

/// A user (body of the `on_user_*` hooks, and `user` of the envelope).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    #[serde(default)]
    pub id: String,
    /// Login name.
    #[serde(default)]
    pub username: String,
    /// `admin` or `user`.
    #[serde(default)]
    pub role: String,
}
