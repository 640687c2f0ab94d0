//! The CMS core: users, content and comments in [`crate::storage`], each operation firing
//! its hooks through the [`Dispatcher`]. Services are synchronous (SQLite and
//! plugin calls are); the HTTP layer runs them on blocking threads.

mod comments;
mod content;
mod content_model;
mod render;
mod text;
mod users;

pub use comments::{Comment, NewComment};
pub use content_model::{
    Content, ContentPage, ContentPatch, ListQuery, MAX_BODY_CHARS, MAX_DATA_BYTES, NewContent,
    slugify,
};
pub use render::{markdown_to_html, sanitize_html};
pub use text::Text;
pub use users::{Principal, User};

use crate::dispatch::{Dispatcher, HookError};
use crate::manifest::grants::PersonalData;
use crate::manifest::hooks::Envelope;
use crate::settings::Settings;
use crate::storage::{Storage, StorageError};
use serde_json::Value;
use std::sync::Arc;

/// Why a CMS operation failed; each maps to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    /// Not signed in, or the session is unknown or expired.
    #[error("sign in first (Authorization: Bearer <token>)")]
    Unauthorized,
    /// Wrong username or password.
    #[error("invalid username or password")]
    BadCredentials,
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such record.
    #[error("{0} not found")]
    NotFound(String),
    /// Malformed input.
    #[error("{0}")]
    Invalid(String),
    /// Conflicts with what exists (a taken username).
    #[error("{0}")]
    Conflict(String),
    /// A plugin's filter refused the operation.
    #[error(transparent)]
    Hook(#[from] HookError),
    /// The database failed.
    #[error(transparent)]
    Store(StorageError),
}

impl CmsError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            CmsError::Unauthorized | CmsError::BadCredentials => 401,
            CmsError::Forbidden(_) => 403,
            CmsError::NotFound(_) => 404,
            CmsError::Invalid(_) => 400,
            CmsError::Conflict(_) => 409,
            CmsError::Hook(_) => 422,
            CmsError::Store(_) => 500,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CmsError::Unauthorized => "unauthorized",
            CmsError::BadCredentials => "bad_credentials",
            CmsError::Forbidden(_) => "forbidden",
            CmsError::NotFound(_) => "not_found",
            CmsError::Invalid(_) => "invalid",
            CmsError::Conflict(_) => "conflict",
            CmsError::Hook(_) => "plugin_refused",
            CmsError::Store(_) => "internal",
        }
    }
}

impl From<StorageError> for CmsError {
    fn from(e: StorageError) -> CmsError {
        match e {
            StorageError::Taken(_) => CmsError::Conflict(e.to_string()),
            e => CmsError::Store(e),
        }
    }
}

/// `Result` with [`CmsError`].
pub type CmsResult<T> = Result<T, CmsError>;

/// The CMS services.
pub struct Cms {
    db: Arc<dyn Storage>,
    hooks: Arc<Dispatcher>,
    settings: Arc<Settings>,
}

impl Cms {
    /// The services over `db`, firing hooks through `hooks`.
    pub fn new(db: Arc<dyn Storage>, hooks: Arc<Dispatcher>, settings: Arc<Settings>) -> Cms {
        Cms {
            db,
            hooks,
            settings,
        }
    }

    /// The dispatcher.
    pub fn hooks(&self) -> &Arc<Dispatcher> {
        &self.hooks
    }

    /// An envelope for `hook` about `body`, caused by `user`.
    fn envelope(
        &self,
        hook: &str,
        id: Option<&str>,
        content_type: Option<&str>,
        body: Value,
        user: Option<&Principal>,
    ) -> Envelope {
        let body_status = body
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_string);
        Envelope {
            hook: hook.to_string(),
            id: id.map(|i| Value::String(i.to_string())),
            content_type: content_type.map(str::to_string),
            body,
            user: user.map(|u| serde_json::to_value(u).unwrap_or_default()),
            emitter: None,
            personal: personal_data(hook, &body_status),
        }
    }

    /// Fires an action after the request: it never delays or fails it.
    fn action(&self, env: Envelope) {
        self.hooks.action_later(env);
    }
}

/// What personal data a core hook's payload carries: the user hooks carry an
/// account; a content hook about an unpublished item carries a draft.
fn personal_data(hook: &str, status: &Option<String>) -> Option<PersonalData> {
    if hook.starts_with("on_user_") {
        Some(PersonalData::Users)
    } else if status.as_deref().is_some_and(|s| s != "published") {
        Some(PersonalData::Drafts)
    } else {
        None
    }
}

/// A new random id (UUIDv7).
fn new_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}
