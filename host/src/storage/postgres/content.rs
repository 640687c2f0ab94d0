//! Content items in PostgreSQL.

use super::PgStorage;
use crate::storage::{Content, ContentFilter, ContentStore, StorageError, Visibility};
use postgres::Row;
use postgres::error::SqlState;
use postgres::types::ToSql;
use serde_json::Value;

const COLUMNS: &str =
    "id, type, title, slug, body, status, data, author_id, created_at, updated_at, published_at";

fn content(r: &Row) -> Content {
    let data: String = r.get(6);
    Content {
        id: r.get(0),
        content_type: r.get(1),
        title: r.get(2),
        slug: r.get(3),
        body: r.get(4),
        status: r.get(5),
        data: serde_json::from_str(&data).unwrap_or(Value::Object(Default::default())),
        author_id: r.get(7),
        created_at: r.get(8),
        updated_at: r.get(9),
        published_at: r.get(10),
    }
}

impl ContentStore for PgStorage {
    fn content(&self, id_or_slug: &str) -> Result<Option<Content>, StorageError> {
        self.connection()?
            .query_opt(
                &format!("SELECT {COLUMNS} FROM content WHERE id = $1 OR slug = $1"),
                &[&id_or_slug],
            )
            .map(|r| r.as_ref().map(content))
            .map_err(|e| self.err(e))
    }

    fn slug_taken(&self, slug: &str, except: Option<&str>) -> Result<bool, StorageError> {
        self.connection()?
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM content WHERE slug = $1 AND id IS DISTINCT FROM $2)",
                &[&slug, &except],
            )
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn save_content(&self, c: &Content, insert: bool) -> Result<(), StorageError> {
        let sql = if insert {
            format!(
                "INSERT INTO content ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )
        } else {
            "UPDATE content SET type = $2, title = $3, slug = $4, body = $5, status = $6, data = $7,
             author_id = $8, created_at = $9, updated_at = $10, published_at = $11 WHERE id = $1"
                .to_string()
        };
        let data = c.data.to_string();
        let mut conn = self.connection()?;
        let r = conn.execute(
            &sql,
            &[
                &c.id,
                &c.content_type,
                &c.title,
                &c.slug,
                &c.body,
                &c.status,
                &data,
                &c.author_id,
                &c.created_at,
                &c.updated_at,
                &c.published_at,
            ],
        );
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                Err(StorageError::Taken(format!("the slug `{}`", c.slug)))
            }
            Err(e) => Err(self.err(e)),
        }
    }

    fn list_content(&self, f: &ContentFilter) -> Result<(u64, Vec<Content>), StorageError> {
        let mut filters = vec!["TRUE".to_string()];
        let mut values: Vec<&String> = Vec::new();
        let mut add = |sql: &str, v| {
            values.push(v);
            filters.push(sql.replace('?', &format!("${}", values.len())));
        };
        if let Some(t) = &f.content_type {
            add("type = ?", t);
        }
        if let Some(s) = &f.status {
            add("status = ?", s);
        }
        if let Some(a) = &f.author {
            add("author_id = ?", a);
        }
        if let Some(text) = &f.title_contains {
            add("strpos(lower(title), lower(?)) > 0", text);
        }
        match &f.visibility {
            Visibility::All => {}
            Visibility::PublishedOr(a) => add("(status = 'published' OR author_id = ?)", a),
            Visibility::Published => filters.push("status = 'published'".into()),
        }
        let filter = filters.join(" AND ");
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| *v as &(dyn ToSql + Sync)).collect();
        let mut conn = self.connection()?;
        let total: i64 = conn
            .query_one(
                &format!("SELECT count(*) FROM content WHERE {filter}"),
                &params,
            )
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))?;
        let sql = format!(
            "SELECT {COLUMNS} FROM content WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
            f.limit, f.offset
        );
        let items = conn
            .query(&sql, &params)
            .map(|rows| rows.iter().map(content).collect())
            .map_err(|e| self.err(e))?;
        Ok((total as u64, items))
    }

    fn delete_content(&self, id: &str) -> Result<(), StorageError> {
        self.write(|tx| tx.execute("DELETE FROM content WHERE id = $1", &[&id]))
            .map(|_| ())
    }
}
