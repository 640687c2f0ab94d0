//! Content as the API and the hooks see it: the item, what creating and
//! updating it take, a listing's query and page, and the rules an item must
//! keep (sizes, slug, status), whoever changed it last, a user or a filter.

use super::text::Text;
pub use crate::storage::Content;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What creating content takes.
#[derive(Debug, Clone, Deserialize, Object)]
#[oai(rename_all = "snake_case")]
pub struct NewContent {
    /// Its type, 1 to 64 characters; default (absent or null) `post`.
    #[serde(default = "default_type", rename = "type")]
    #[oai(
        default = "default_type",
        rename = "type",
        nullable,
        validator(min_length = 1, max_length = 64)
    )]
    pub content_type: Text,
    /// Title: 1 to 500 characters, not only blanks.
    #[oai(validator(min_length = 1, max_length = 500, pattern = r"\S"))]
    pub title: Text,
    /// Slug: 1 to 200 ASCII letters, digits, `-` or `_`; derived from the
    /// title when absent.
    #[oai(nullable, validator(pattern = r"^[A-Za-z0-9_-]{1,200}$"))]
    pub slug: Option<Text>,
    /// Markdown body; absent or null: empty.
    #[serde(default)]
    #[oai(default, nullable, validator(max_length = 524288))]
    pub body: Text,
    /// `draft` (default) or `published`.
    #[oai(nullable, validator(pattern = "^(draft|published)$"))]
    pub status: Option<Text>,
    /// Free-form JSON object (at most 64 KiB of JSON).
    #[oai(nullable)]
    pub data: Option<BTreeMap<String, Value>>,
}

fn default_type() -> Text {
    Text("post".into())
}

/// What updating content takes: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, Object)]
#[oai(rename_all = "snake_case")]
pub struct ContentPatch {
    /// New title: 1 to 500 characters, not only blanks.
    #[oai(nullable, validator(min_length = 1, max_length = 500, pattern = r"\S"))]
    pub title: Option<Text>,
    /// New slug: 1 to 200 ASCII letters, digits, `-` or `_`.
    #[oai(nullable, validator(pattern = r"^[A-Za-z0-9_-]{1,200}$"))]
    pub slug: Option<Text>,
    /// New markdown body (at most 524 288 characters).
    #[oai(nullable, validator(max_length = 524288))]
    pub body: Option<Text>,
    /// New status: `draft` or `published`.
    #[oai(nullable, validator(pattern = "^(draft|published)$"))]
    pub status: Option<Text>,
    /// New data: a JSON object (at most 64 KiB of JSON).
    #[oai(nullable)]
    pub data: Option<BTreeMap<String, Value>>,
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

/// Whether `text` is empty or only blanks (whitespace, and the separators
/// U+001C to U+001F that JSON Schema's `\S` also counts as blanks).
pub fn blank(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// A slug from a title: lowercase ASCII letters and digits, `-` between words.
pub fn slugify(title: &str) -> String {
    let mut s = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').chars().take(80).collect::<String>();
    if s.is_empty() { "untitled".into() } else { s }
}

/// Largest content body (markdown), in characters.
pub const MAX_BODY_CHARS: usize = 512 * 1024;
/// Largest `data` object, in bytes of JSON.
pub const MAX_DATA_BYTES: usize = 64 * 1024;

pub(super) fn check(c: &Content) -> Result<(), String> {
    if blank(&c.title) || c.title.chars().count() > 500 {
        return Err("title: 1 to 500 characters, not only blanks".into());
    }
    if c.slug.is_empty()
        || c.slug.len() > 200
        || !c
            .slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("slug: 1 to 200 ASCII letters, digits, `-` or `_`".into());
    }
    if !matches!(c.status.as_str(), "draft" | "published") {
        return Err(format!("status `{}`: use draft or published", c.status));
    }
    if !c.data.is_object() {
        return Err("data must be a JSON object".into());
    }
    if c.body.chars().count() > MAX_BODY_CHARS {
        return Err(format!("body: at most {MAX_BODY_CHARS} characters"));
    }
    if c.data.to_string().len() > MAX_DATA_BYTES {
        return Err(format!("data: at most {MAX_DATA_BYTES} bytes of JSON"));
    }
    if c.content_type.is_empty() || c.content_type.chars().count() > 64 {
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
