//! Comments on content, with their hooks.

use super::{Cms, CmsError, CmsResult, Principal, new_id};
use crate::storage::now_ms;
use poem_openapi::Object;
use serde::Deserialize;

pub use crate::storage::Comment;

/// What creating a comment takes.
#[derive(Debug, Clone, Deserialize, Object)]
pub struct NewComment {
    /// Text, 1 to 10 000 characters, not only blanks.
    #[oai(validator(min_length = 1, max_length = 10000, pattern = r"\S"))]
    pub body: super::Text,
}

fn check(body: &str) -> Result<(), String> {
    let n = body.chars().count();
    if (1..=10_000).contains(&n) && !super::content_model::blank(body) {
        Ok(())
    } else {
        Err("body: 1 to 10 000 characters".into())
    }
}

impl Cms {
    /// Comments on `content_id` the caller may see, oldest first.
    pub fn list_comments(
        &self,
        content_id: &str,
        user: Option<&Principal>,
    ) -> CmsResult<Vec<Comment>> {
        let c = self.visible(content_id, user)?;
        Ok(self.db.comments(&c.id)?)
    }

    /// Adds a comment: `on_comment_creating` (filter on the comment), then
    /// `on_comment_created`.
    pub fn create_comment(
        &self,
        content_id: &str,
        input: NewComment,
        user: &Principal,
    ) -> CmsResult<Comment> {
        let c = self.visible(content_id, Some(user))?;
        check(input.body.as_ref()).map_err(CmsError::Invalid)?;
        let comment = Comment {
            id: new_id(),
            content_id: c.id.clone(),
            author_id: Some(user.id.clone()),
            body: input.body.into(),
            created_at: now_ms(),
        };
        let body = serde_json::to_value(&comment).unwrap_or_default();
        let env = self.envelope(
            "on_comment_creating",
            Some(&comment.id),
            Some(&c.content_type),
            body,
            Some(user),
        );
        let out = self.hooks.filter(&env, |v| {
            let f: Comment =
                serde_json::from_value(v.clone()).map_err(|e| format!("not a comment: {e}"))?;
            check(&f.body)
        })?;
        let filtered: Comment =
            serde_json::from_value(out).map_err(|e| CmsError::Invalid(e.to_string()))?;
        let comment = Comment {
            body: filtered.body,
            ..comment
        };
        self.db.insert_comment(&comment)?;
        let body = serde_json::to_value(&comment).unwrap_or_default();
        self.action(self.envelope(
            "on_comment_created",
            Some(&comment.id),
            Some(&c.content_type),
            body,
            Some(user),
        ));
        Ok(comment)
    }

    /// Deletes a comment (its author, the content's author, or an admin);
    /// fires `on_comment_deleted`.
    pub fn delete_comment(&self, id: &str, user: &Principal) -> CmsResult<()> {
        let comment = self
            .db
            .comment(id)?
            .ok_or_else(|| CmsError::NotFound(format!("comment {id}")))?;
        let content = self.visible(&comment.content_id, Some(user))?;
        let allowed = user.is_admin()
            || comment.author_id.as_deref() == Some(&user.id)
            || content.author_id.as_deref() == Some(&user.id);
        if !allowed {
            return Err(CmsError::Forbidden(
                "only the comment's author, the content's author or an admin may delete it".into(),
            ));
        }
        self.db.delete_comment(id)?;
        let body = serde_json::to_value(&comment).unwrap_or_default();
        self.action(self.envelope(
            "on_comment_deleted",
            Some(&comment.id),
            Some(&content.content_type),
            body,
            Some(user),
        ));
        Ok(())
    }
}
