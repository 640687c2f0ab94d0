//! Comments in PostgreSQL.

use super::PgStorage;
use crate::storage::{Comment, CommentStore, StorageError};
use postgres::Row;

const COLUMNS: &str = "id, content_id, author_id, body, created_at";

fn comment(r: &Row) -> Comment {
    Comment {
        id: r.get(0),
        content_id: r.get(1),
        author_id: r.get(2),
        body: r.get(3),
        created_at: r.get(4),
    }
}

impl CommentStore for PgStorage {
    fn comments(&self, content_id: &str) -> Result<Vec<Comment>, StorageError> {
        self.connection()?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM comments WHERE content_id = $1 ORDER BY created_at, id"
                ),
                &[&content_id],
            )
            .map(|rows| rows.iter().map(comment).collect())
            .map_err(|e| self.err(e))
    }

    fn comment(&self, id: &str) -> Result<Option<Comment>, StorageError> {
        self.connection()?
            .query_opt(
                &format!("SELECT {COLUMNS} FROM comments WHERE id = $1"),
                &[&id],
            )
            .map(|r| r.as_ref().map(comment))
            .map_err(|e| self.err(e))
    }

    fn insert_comment(&self, c: &Comment) -> Result<(), StorageError> {
        self.write(|tx| {
            tx.execute(
                &format!("INSERT INTO comments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
                &[&c.id, &c.content_id, &c.author_id, &c.body, &c.created_at],
            )
        })
        .map(|_| ())
    }

    fn delete_comment(&self, id: &str) -> Result<(), StorageError> {
        self.write(|tx| tx.execute("DELETE FROM comments WHERE id = $1", &[&id]))
            .map(|_| ())
    }
}
