//! Comments in SQLite.

use super::SqliteStorage;
use crate::storage::{Comment, StorageError};
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

pub(super) fn on(db: &SqliteStorage, content_id: &str) -> Result<Vec<Comment>, StorageError> {
    let conn = db.connection()?;
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {COLUMNS} FROM comments WHERE content_id = ?1 ORDER BY created_at, id"
        ))
        .map_err(|e| db.err(e))?;
    stmt.query_map([content_id], row)
        .and_then(|rows| rows.collect())
        .map_err(|e| db.err(e))
}

pub(super) fn by_id(db: &SqliteStorage, id: &str) -> Result<Option<Comment>, StorageError> {
    db.connection()?
        .query_row(
            &format!("SELECT {COLUMNS} FROM comments WHERE id = ?1"),
            [id],
            row,
        )
        .optional()
        .map_err(|e| db.err(e))
}

pub(super) fn insert(db: &SqliteStorage, c: &Comment) -> Result<(), StorageError> {
    db.write(|conn| {
        conn.execute(
            &format!("INSERT INTO comments ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
            rusqlite::params![c.id, c.content_id, c.author_id, c.body, c.created_at],
        )
    })
    .map(|_| ())
    .map_err(|e| db.write_err(e))
}

pub(super) fn delete(db: &SqliteStorage, id: &str) -> Result<(), StorageError> {
    db.write(|conn| conn.execute("DELETE FROM comments WHERE id = ?1", [id]))
        .map(|_| ())
        .map_err(|e| db.write_err(e))
}
