//! Comments in SQLite.

use super::SqliteStorage;
use crate::storage::{Comment, CommentStore, StorageError};
use rusqlite::OptionalExtension;

const COLUMNS: &str = "id, content_id, author_id, body, created_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
    Ok(Comment {
        id: r.get(0)?,
        content_id: r.get(1)?,
        author_id: r.get(2)?,
        body: r.get(3)?,
        created_at: r.get(4)?,
    })
}

impl CommentStore for SqliteStorage {
    fn comments(&self, content_id: &str) -> Result<Vec<Comment>, StorageError> {
        let conn = self.connection()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM comments WHERE content_id = ?1 ORDER BY created_at, id"
            ))
            .map_err(|e| self.err(e))?;
        stmt.query_map([content_id], row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    fn comment(&self, id: &str) -> Result<Option<Comment>, StorageError> {
        self.connection()?
            .query_row(
                &format!("SELECT {COLUMNS} FROM comments WHERE id = ?1"),
                [id],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn insert_comment(&self, c: &Comment) -> Result<(), StorageError> {
        self.write(|conn| {
            conn.execute(
                &format!("INSERT INTO comments ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                rusqlite::params![c.id, c.content_id, c.author_id, c.body, c.created_at],
            )
        })
        .map(|_| ())
        .map_err(|e| self.write_err(e))
    }

    fn delete_comment(&self, id: &str) -> Result<(), StorageError> {
        self.write(|conn| conn.execute("DELETE FROM comments WHERE id = ?1", [id]))
            .map(|_| ())
            .map_err(|e| self.write_err(e))
    }
}
