//! Comments on content, with their hooks.

use super::{Cms, CmsError, CmsResult, Principal, new_id};
use crate::store::now_ms;
use poem_openapi::Object;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

/// A comment, as the API and the hooks show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Object)]
#[oai(rename_all = "snake_case")]
pub struct Comment {
    /// Its id.
    pub id: String,
    /// The content it is on.
    pub content_id: String,
    /// The author's user id.
    pub author_id: Option<String>,
    /// Text.
    pub body: String,
    /// Creation time, ms since the Unix epoch.
    pub created_at: i64,
}

/// What creating a comment takes.
#[derive(Debug, Clone, Deserialize, Object)]
pub struct NewComment {
    /// Text, 1 to 10 000 characters.
    pub body: String,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
    Ok(Comment {
        id: r.get(0)?,
        content_id: r.get(1)?,
        author_id: r.get(2)?,
        body: r.get(3)?,
        created_at: r.get(4)?,
    })
}

fn check(body: &str) -> Result<(), String> {
    let n = body.trim().chars().count();
    if (1..=10_000).contains(&n) {
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
        let conn = self.db.connection()?;
        let mut stmt = conn
            .prepare("SELECT id, content_id, author_id, body, created_at FROM comments WHERE content_id = ?1 ORDER BY created_at, id")
            .map_err(|e| self.sql(e))?;
        stmt.query_map([&c.id], row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))
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
        check(&input.body).map_err(CmsError::Invalid)?;
        let comment = Comment {
            id: new_id(),
            content_id: c.id.clone(),
            author_id: Some(user.id.clone()),
            body: input.body,
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
        self.write(
            |conn| {
                conn.execute(
                    "INSERT INTO comments (id, content_id, author_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    rusqlite::params![comment.id, comment.content_id, comment.author_id, comment.body, comment.created_at],
                )
            },
            |e| self.sql(e),
        )?;
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
        let conn = self.db.connection()?;
        let comment = conn
            .query_row(
                "SELECT id, content_id, author_id, body, created_at FROM comments WHERE id = ?1",
                [id],
                row,
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or_else(|| CmsError::NotFound(format!("comment {id}")))?;
        drop(conn);
        let content = self.visible(&comment.content_id, Some(user))?;
        let allowed = user.is_admin()
            || comment.author_id.as_deref() == Some(&user.id)
            || content.author_id.as_deref() == Some(&user.id);
        if !allowed {
            return Err(CmsError::Forbidden(
                "only the comment's author, the content's author or an admin may delete it".into(),
            ));
        }
        self.write(
            |conn| conn.execute("DELETE FROM comments WHERE id = ?1", [id]),
            |e| self.sql(e),
        )?;
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
