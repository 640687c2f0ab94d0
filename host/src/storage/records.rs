//! The records the server keeps, as every layer above storage sees them.

use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user as the API and hooks show it (never the password hash).
#[derive(Debug, Clone, Serialize, Object)]
#[oai(rename_all = "snake_case")]
pub struct User {
    /// Its id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Email address, if given.
    #[oai(nullable)]
    pub email: Option<String>,
    /// `admin` or `user`.
    pub role: String,
    /// Creation time, ms since the Unix epoch.
    pub created_at: i64,
}

/// Who is calling: the signed-in user.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Object)]
pub struct Principal {
    /// The user's id.
    pub id: String,
    /// The user's name.
    pub username: String,
    /// `admin` or `user`.
    pub role: String,
}

impl Principal {
    /// Whether the user is an administrator.
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// A content item, as the API and the hooks show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Object)]
#[oai(rename_all = "snake_case")]
pub struct Content {
    /// Its id.
    pub id: String,
    /// Its type (`post`, `page`, anything).
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub content_type: String,
    /// Title.
    pub title: String,
    /// URL slug, unique.
    pub slug: String,
    /// Markdown body.
    pub body: String,
    /// `draft` or `published`.
    pub status: String,
    /// Free-form JSON object.
    pub data: Value,
    /// The author's user id.
    #[oai(nullable)]
    pub author_id: Option<String>,
    /// Creation time, ms since the Unix epoch.
    pub created_at: i64,
    /// Last update.
    pub updated_at: i64,
    /// Publication time (null while a draft).
    #[oai(nullable)]
    pub published_at: Option<i64>,
}

/// A comment, as the API and the hooks show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Object)]
#[oai(rename_all = "snake_case")]
pub struct Comment {
    /// Its id.
    pub id: String,
    /// The content it is on.
    pub content_id: String,
    /// The author's user id.
    #[oai(nullable)]
    pub author_id: Option<String>,
    /// Text.
    pub body: String,
    /// Creation time, ms since the Unix epoch.
    pub created_at: i64,
}

/// Which items a listing may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every item (an administrator).
    All,
    /// Published items and this author's own.
    PublishedOr(String),
    /// Published items only (anonymous).
    Published,
}

/// A content listing's filters and page.
#[derive(Debug, Clone)]
pub struct ContentFilter {
    /// Only this type.
    pub content_type: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this author.
    pub author: Option<String>,
    /// Title contains this, ignoring case.
    pub title_contains: Option<String>,
    /// What the caller may see.
    pub visibility: Visibility,
    /// Items per page.
    pub limit: u32,
    /// Items skipped.
    pub offset: u64,
}

/// The stored state of one plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredState {
    /// Off by decision of the operator, or auto-disabled.
    pub disabled: bool,
    /// Why it was disabled, when the server did it.
    pub reason: Option<String>,
    /// Uninstalled through the admin API.
    pub uninstalled: bool,
}

/// One recorded cron run.
#[derive(Debug, Clone)]
pub struct CronRun {
    /// The job.
    pub job: String,
    /// The tick (ms since the Unix epoch).
    pub scheduled_at: i64,
    /// When it started.
    pub started_at: i64,
    /// How long it took.
    pub duration_ms: Option<i64>,
    /// `running`, `ok`, `error` or `skipped`.
    pub outcome: String,
    /// The failure, if any.
    pub error: Option<String>,
}
