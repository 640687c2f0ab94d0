//! Content operations: creating, listing, reading, updating, publishing and
//! deleting items, each firing its hooks; rendering an item to HTML (the
//! markdown and the sanitizer are in `render`, the model in `content_model`).

use super::content_model::{check, filtered, slugify};
use super::{
    Cms, CmsError, CmsResult, Content, ContentPage, ContentPatch, ListQuery, NewContent, Principal,
    new_id,
};
use crate::store::now_ms;
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

impl Cms {
    /// The content item `id`, if `user` may see it (published, or theirs, or admin).
    pub(super) fn visible(&self, id: &str, user: Option<&Principal>) -> CmsResult<Content> {
        let conn = self.db.connection()?;
        let c = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM content WHERE id = ?1 OR slug = ?1"),
                [id],
                row,
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or_else(|| CmsError::NotFound(format!("content {id}")))?;
        let mine = user.is_some_and(|u| u.is_admin() || c.author_id.as_deref() == Some(&u.id));
        if c.status == "published" || mine {
            Ok(c)
        } else {
            Err(CmsError::NotFound(format!("content {id}")))
        }
    }

    fn editable(&self, id: &str, user: &Principal) -> CmsResult<Content> {
        let c = self.visible(id, Some(user))?;
        if user.is_admin() || c.author_id.as_deref() == Some(&user.id) {
            Ok(c)
        } else {
            Err(CmsError::Forbidden(
                "only the author or an admin may change this content".into(),
            ))
        }
    }

    fn unique_slug(&self, wanted: &str, except: Option<&str>) -> CmsResult<String> {
        let conn = self.db.connection()?;
        for n in 1..1000 {
            let slug = if n == 1 {
                wanted.to_string()
            } else {
                format!("{wanted}-{n}")
            };
            let taken: bool = conn
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM content WHERE slug = ?1 AND id IS NOT ?2)",
                    rusqlite::params![slug, except],
                    |r| r.get(0),
                )
                .map_err(|e| self.sql(e))?;
            if !taken {
                return Ok(slug);
            }
        }
        Err(CmsError::Conflict(format!("the slug `{wanted}` is taken")))
    }

    fn save(&self, c: &Content, insert: bool) -> CmsResult<()> {
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
        self.write(
            |conn| conn.execute(&sql, params),
            |e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    CmsError::Conflict(format!("the slug `{}` is taken", c.slug))
                }
                e => self.sql(e),
            },
        )?;
        Ok(())
    }

    /// Runs `on_content_<verb>ing` and keeps what the filters may change.
    fn filter_content(&self, hook: &str, c: Content, user: &Principal) -> CmsResult<Content> {
        let body = serde_json::to_value(&c).unwrap_or_default();
        let env = self.envelope(hook, Some(&c.id), Some(&c.content_type), body, Some(user));
        let out = self.hooks.filter(&env, filtered)?;
        let f: Content =
            serde_json::from_value(out).map_err(|e| CmsError::Invalid(e.to_string()))?;
        // Identity, authorship and timestamps are the server's.
        Ok(Content {
            content_type: f.content_type,
            title: f.title,
            slug: f.slug,
            body: f.body,
            status: f.status,
            data: f.data,
            ..c
        })
    }

    fn after(&self, hook: &str, c: &Content, user: Option<&Principal>) {
        let body = serde_json::to_value(c).unwrap_or_default();
        self.action(self.envelope(hook, Some(&c.id), Some(&c.content_type), body, user));
    }

    /// Creates content: `on_content_creating` (filter), then `on_content_created`
    /// and, if published, `on_content_published`.
    pub fn create_content(&self, input: NewContent, user: &Principal) -> CmsResult<Content> {
        let now = now_ms();
        let status = input.status.unwrap_or_else(|| "draft".into());
        let slug = match input.slug {
            Some(s) => s,
            None => self.unique_slug(&slugify(&input.title), None)?,
        };
        let c = Content {
            id: new_id(),
            content_type: input.content_type,
            title: input.title,
            slug,
            body: input.body,
            published_at: (status == "published").then_some(now),
            status,
            data: input.data.unwrap_or(Value::Object(Default::default())),
            author_id: Some(user.id.clone()),
            created_at: now,
            updated_at: now,
        };
        check(&c).map_err(CmsError::Invalid)?;
        let mut c = self.filter_content("on_content_creating", c, user)?;
        check(&c).map_err(CmsError::Invalid)?;
        c.published_at = (c.status == "published").then_some(now);
        self.save(&c, true)?;
        self.after("on_content_created", &c, Some(user));
        if c.status == "published" {
            self.after("on_content_published", &c, Some(user));
        }
        Ok(c)
    }

    /// One item (by id or slug); fires `on_content_viewed`.
    pub fn get_content(&self, id: &str, user: Option<&Principal>) -> CmsResult<Content> {
        let c = self.visible(id, user)?;
        self.after("on_content_viewed", &c, user);
        Ok(c)
    }

    /// A page of items the caller may see, newest first.
    pub fn list_content(&self, q: &ListQuery, user: Option<&Principal>) -> CmsResult<ContentPage> {
        let per_page = q.per_page.unwrap_or(20).clamp(1, 100);
        let page = q.page.unwrap_or(1).max(1);
        let mut filters = vec!["1 = 1".to_string()];
        let mut params: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |sql: &str, v: String| {
            params.push(v.into());
            filters.push(sql.replace('?', &format!("?{}", params.len())));
        };
        if let Some(t) = &q.content_type {
            add("type = ?", t.clone());
        }
        if let Some(s) = &q.status {
            add("status = ?", s.clone());
        }
        if let Some(a) = &q.author {
            add("author_id = ?", a.clone());
        }
        if let Some(text) = &q.q {
            add("instr(lower(title), lower(?)) > 0", text.clone());
        }
        match user {
            Some(u) if u.is_admin() => {}
            Some(u) => add("(status = 'published' OR author_id = ?)", u.id.clone()),
            None => filters.push("status = 'published'".into()),
        }
        let filter = filters.join(" AND ");
        let conn = self.db.connection()?;
        let total: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM content WHERE {filter}"),
                rusqlite::params_from_iter(&params),
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        let sql = format!(
            "SELECT {COLUMNS} FROM content WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT {per_page} OFFSET {}",
            (page - 1) as u64 * per_page as u64
        );
        let mut stmt = conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let items = stmt
            .query_map(rusqlite::params_from_iter(&params), row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(ContentPage {
            items,
            page,
            per_page,
            total: total as u64,
        })
    }

    /// Updates content: `on_content_updating` (filter), `on_content_updated`,
    /// and `on_content_published` when it becomes published.
    pub fn update_content(
        &self,
        id: &str,
        patch: ContentPatch,
        user: &Principal,
    ) -> CmsResult<Content> {
        let old = self.editable(id, user)?;
        let mut c = old.clone();
        if let Some(t) = patch.title {
            c.title = t;
        }
        if let Some(s) = patch.slug {
            c.slug = s;
        }
        if let Some(b) = patch.body {
            c.body = b;
        }
        if let Some(s) = patch.status {
            c.status = s;
        }
        if let Some(d) = patch.data {
            c.data = d;
        }
        check(&c).map_err(CmsError::Invalid)?;
        let mut c = self.filter_content("on_content_updating", c, user)?;
        check(&c).map_err(CmsError::Invalid)?;
        c.updated_at = now_ms();
        let published_now = c.status == "published" && old.status != "published";
        if published_now {
            c.published_at = Some(c.updated_at);
        }
        self.save(&c, false)?;
        self.after("on_content_updated", &c, Some(user));
        if published_now {
            self.after("on_content_published", &c, Some(user));
        }
        Ok(c)
    }

    /// Publishes content (an update of its status).
    pub fn publish_content(&self, id: &str, user: &Principal) -> CmsResult<Content> {
        let patch = ContentPatch {
            status: Some("published".into()),
            ..Default::default()
        };
        self.update_content(id, patch, user)
    }

    /// Deletes content: `on_content_deleting` may veto, then `on_content_deleted`.
    pub fn delete_content(&self, id: &str, user: &Principal) -> CmsResult<()> {
        let c = self.editable(id, user)?;
        let body = serde_json::to_value(&c).unwrap_or_default();
        let env = self.envelope(
            "on_content_deleting",
            Some(&c.id),
            Some(&c.content_type),
            body,
            Some(user),
        );
        self.hooks.filter(&env, |_| Ok(()))?;
        self.write(
            |conn| conn.execute("DELETE FROM content WHERE id = ?1", [&c.id]),
            |e| self.sql(e),
        )?;
        self.after("on_content_deleted", &c, Some(user));
        Ok(())
    }

    /// Renders an item to HTML: `render_content` may replace the markdown
    /// rendering, then `filter_html` filters the HTML; whatever comes out is
    /// sanitized ([`sanitize_html`]) before it is served.
    pub fn render_content(&self, id: &str, user: Option<&Principal>) -> CmsResult<String> {
        let c = self.get_content(id, user)?;
        let body = serde_json::to_value(&c).unwrap_or_default();
        let env = self.envelope(
            "render_content",
            Some(&c.id),
            Some(&c.content_type),
            body,
            user,
        );
        let html = match self.hooks.render(&env) {
            Some((_, html)) => html,
            None => super::render::markdown_to_html(&c.body),
        };
        let mut env = self.envelope(
            "filter_html",
            Some(&c.id),
            Some(&c.content_type),
            Value::String(html),
            user,
        );
        if c.status != "published" {
            env.personal = Some(crate::manifest::grants::PersonalData::Drafts);
        }
        let out = self.hooks.filter(&env, |v| {
            v.is_string()
                .then_some(())
                .ok_or_else(|| "filter_html must return a string".to_string())
        })?;
        Ok(super::render::sanitize_html(
            out.as_str().unwrap_or_default(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Hello, World!  Again"), "hello-world-again");
        assert_eq!(slugify("!!!"), "untitled");
    }
}
