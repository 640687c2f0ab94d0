//! Content operations: creating, listing, reading, updating, publishing and
//! deleting items, each firing its hooks; rendering an item to HTML (the
//! markdown and the sanitizer are in `render`, the model in `content_model`).

use super::content_model::{check, filtered, slugify};
use super::{
    Cms, CmsError, CmsResult, Content, ContentPage, ContentPatch, ListQuery, NewContent, Principal,
    new_id,
};
use crate::storage::{ContentFilter, Visibility, now_ms};
use serde_json::Value;

impl Cms {
    /// The content item `id`, if `user` may see it (published, or theirs, or admin).
    pub(super) fn visible(&self, id: &str, user: Option<&Principal>) -> CmsResult<Content> {
        let c = self
            .db
            .content(id)?
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
        for n in 1..1000 {
            let slug = if n == 1 {
                wanted.to_string()
            } else {
                format!("{wanted}-{n}")
            };
            if !self.db.slug_taken(&slug, except)? {
                return Ok(slug);
            }
        }
        Err(CmsError::Conflict(format!("the slug `{wanted}` is taken")))
    }

    fn save(&self, c: &Content, insert: bool) -> CmsResult<()> {
        Ok(self.db.save_content(c, insert)?)
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
        let status = input.status.map_or_else(|| "draft".into(), String::from);
        let slug = match input.slug {
            Some(s) => s.into(),
            None => self.unique_slug(&slugify(input.title.as_ref()), None)?,
        };
        let c = Content {
            id: new_id(),
            content_type: input.content_type.into(),
            title: input.title.into(),
            slug,
            body: input.body.into(),
            published_at: (status == "published").then_some(now),
            status,
            data: Value::Object(input.data.unwrap_or_default().into_iter().collect()),
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
        let filter = ContentFilter {
            content_type: q.content_type.clone(),
            status: q.status.clone(),
            author: q.author.clone(),
            title_contains: q.q.clone(),
            visibility: match user {
                Some(u) if u.is_admin() => Visibility::All,
                Some(u) => Visibility::PublishedOr(u.id.clone()),
                None => Visibility::Published,
            },
            limit: per_page,
            offset: (page - 1) as u64 * per_page as u64,
        };
        let (total, items) = self.db.list_content(&filter)?;
        Ok(ContentPage {
            items,
            page,
            per_page,
            total,
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
            c.title = t.into();
        }
        if let Some(s) = patch.slug {
            c.slug = s.into();
        }
        if let Some(b) = patch.body {
            c.body = b.into();
        }
        if let Some(s) = patch.status {
            c.status = s.into();
        }
        if let Some(d) = patch.data {
            c.data = Value::Object(d.into_iter().collect());
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
        self.hooks
            .filter(&env, |_| Ok::<(), std::convert::Infallible>(()))?;
        self.db.delete_content(&c.id)?;
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
