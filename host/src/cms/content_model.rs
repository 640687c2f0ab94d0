//! Content as the API and the hooks see it: the item, what creating and
//! updating it take, a listing's query and page, and the rules an item must
//! keep (sizes, slug, status), whoever changed it last, a user or a filter.

pub use crate::storage::Content;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What creating content takes.
#[derive(Debug, Clone, Deserialize, Object)]
#[oai(rename_all = "snake_case")]
pub struct NewContent {
    /// Its type; default `post`.
    #[serde(default = "default_type", rename = "type")]
    #[oai(default = "default_type", rename = "type")]
    pub content_type: String,
    /// Title.
    pub title: String,
    /// Slug; derived from the title when absent.
    pub slug: Option<String>,
    /// Markdown body.
    #[serde(default)]
    #[oai(default)]
    pub body: String,
    /// `draft` (default) or `published`.
    pub status: Option<String>,
    /// Free-form JSON object.
    pub data: Option<Value>,
}

fn default_type() -> String {
    "post".into()
}

/// What updating content takes: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, Object)]
#[oai(rename_all = "snake_case")]
pub struct ContentPatch {
    /// New title.
    pub title: Option<String>,
    /// New slug.
    pub slug: Option<String>,
    /// New markdown body.
    pub body: Option<String>,
    /// New status.
    pub status: Option<String>,
    /// New data.
    pub data: Option<Value>,
}

/// Filters and paging of a listing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// Only this type.
    #[serde(rename = "type")]
    pub content_type: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this author.
    pub author: Option<String>,
    /// Title contains this.
    pub q: Option<String>,
    /// Page, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
}

/// One page of a listing.
#[derive(Debug, Clone, Serialize, Object)]
#[oai(rename_all = "snake_case")]
pub struct ContentPage {
    /// The items.
    pub items: Vec<Content>,
    /// This page.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Items in all pages.
    pub total: u64,
}

/// A slug from a title: lowercase letters and digits, `-` between words.
pub fn slugify(title: &str) -> String {
    let mut s = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').chars().take(80).collect::<String>();
    if s.is_empty() { "untitled".into() } else { s }
}

/// Largest content body (markdown), in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// Largest `data` object, in bytes of JSON.
pub const MAX_DATA_BYTES: usize = 64 * 1024;

pub(super) fn check(c: &Content) -> Result<(), String> {
    if c.title.trim().is_empty() || c.title.len() > 500 {
        return Err("title: 1 to 500 characters".into());
    }
    if c.slug.is_empty()
        || c.slug.len() > 200
        || !c
            .slug
            .chars()
            .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_')
    {
        return Err("slug: 1 to 200 letters, digits, `-` or `_`".into());
    }
    if !matches!(c.status.as_str(), "draft" | "published") {
        return Err(format!("status `{}`: use draft or published", c.status));
    }
    if !c.data.is_object() {
        return Err("data must be a JSON object".into());
    }
    if c.body.len() > MAX_BODY_BYTES {
        return Err(format!("body: at most {MAX_BODY_BYTES} bytes"));
    }
    if c.data.to_string().len() > MAX_DATA_BYTES {
        return Err(format!("data: at most {MAX_DATA_BYTES} bytes of JSON"));
    }
    if c.content_type.is_empty() || c.content_type.len() > 64 {
        return Err("type: 1 to 64 characters".into());
    }
    Ok(())
}

/// Accepts a filter's returned body if it is still a valid content item.
pub(super) fn filtered(v: &Value) -> Result<(), String> {
    let c: Content =
        serde_json::from_value(v.clone()).map_err(|e| format!("not a content item: {e}"))?;
    check(&c)
}
