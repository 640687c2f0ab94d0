//! Content items in SQLite.

use super::SqliteStorage;
use crate::storage::{Content, ContentFilter, ContentStore, StorageError, Visibility};
use rusqlite::OptionalExtension;
use serde_json::Value;

const COLUMNS: &str =
    "id, type, title, slug, body, status, data, author_id, created_at, updated_at, published_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Content> {
    let data: String = r.get(6)?;
    Ok(Content {
        id: r.get(0)?,
        content_type: r.get(1)?,
        title: r.get(2)?,
        slug: r.get(3)?,
        body: r.get(4)?,
        status: r.get(5)?,
        data: serde_json::from_str(&data).unwrap_or(Value::Object(Default::default())),
        author_id: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        published_at: r.get(10)?,
    })
}

impl ContentStore for SqliteStorage {
    fn content(&self, id_or_slug: &str) -> Result<Option<Content>, StorageError> {
        self.connection()?
            .query_row(
                &format!("SELECT {COLUMNS} FROM content WHERE id = ?1 OR slug = ?1"),
                [id_or_slug],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn slug_taken(&self, slug: &str, except: Option<&str>) -> Result<bool, StorageError> {
        self.connection()?
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM content WHERE slug = ?1 AND id IS NOT ?2)",
                rusqlite::params![slug, except],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    fn save_content(&self, c: &Content, insert: bool) -> Result<(), StorageError> {
        let sql = if insert {
            format!(
                "INSERT INTO content ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            )
        } else {
            "UPDATE content SET type = ?2, title = ?3, slug = ?4, body = ?5, status = ?6, data = ?7,
             author_id = ?8, created_at = ?9, updated_at = ?10, published_at = ?11 WHERE id = ?1"
                .to_string()
        };
        let params = rusqlite::params![
            c.id,
            c.content_type,
            c.title,
            c.slug,
            c.body,
            c.status,
            c.data.to_string(),
            c.author_id,
            c.created_at,
            c.updated_at,
            c.published_at
        ];
        self.write(|conn| conn.execute(&sql, params))
            .map(|_| ())
            .map_err(|e| match e {
                super::WriteError::Sql(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StorageError::Taken(format!("the slug `{}`", c.slug))
                }
                e => self.write_err(e),
            })
    }

    fn list_content(&self, f: &ContentFilter) -> Result<(u64, Vec<Content>), StorageError> {
        let mut filters = vec!["1 = 1".to_string()];
        let mut params: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |sql: &str, v: String| {
            params.push(v.into());
            filters.push(sql.replace('?', &format!("?{}", params.len())));
        };
        if let Some(t) = &f.content_type {
            add("type = ?", t.clone());
        }
        if let Some(s) = &f.status {
            add("status = ?", s.clone());
        }
        if let Some(a) = &f.author {
            add("author_id = ?", a.clone());
        }
        if let Some(text) = &f.title_contains {
            add("instr(lower(title), lower(?)) > 0", text.clone());
        }
        match &f.visibility {
            Visibility::All => {}
            Visibility::PublishedOr(author) => {
                add("(status = 'published' OR author_id = ?)", author.clone())
            }
            Visibility::Published => filters.push("status = 'published'".into()),
        }
        let filter = filters.join(" AND ");
        let conn = self.connection()?;
        let total: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM content WHERE {filter}"),
                rusqlite::params_from_iter(&params),
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let sql = format!(
            "SELECT {COLUMNS} FROM content WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
            f.limit, f.offset
        );
        let mut stmt = conn.prepare(&sql).map_err(|e| self.err(e))?;
        let items = stmt
            .query_map(rusqlite::params_from_iter(&params), row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))?;
        Ok((total as u64, items))
    }

    fn delete_content(&self, id: &str) -> Result<(), StorageError> {
        self.write(|conn| conn.execute("DELETE FROM content WHERE id = ?1", [id]))
            .map(|_| ())
            .map_err(|e| self.write_err(e))
    }
}
