//! The CMS REST API under `/api/v1`: accounts, content, comments, rendering.

use super::auth::{self, User as Caller};
use super::error::ApiError;
use super::{AppState, work};
use crate::cms::Text;
use crate::cms::{
    CmsError, Comment, Content, ContentPage, ContentPatch, ListQuery, NewComment, NewContent, User,
};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Html, Json};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum Tag {
    /// Accounts and sessions.
    Auth,
    /// Content items and their rendering.
    Content,
    /// Comments on content.
    Comments,
}

/// The CMS API.
pub struct CmsApi;

/// Registration.
#[derive(Debug, Object)]
struct Register {
    /// 3 to 32 letters, digits, `_`, `.`, `-`.
    #[oai(validator(pattern = r"^[A-Za-z0-9_.-]{3,32}$"))]
    username: Text,
    /// 8 to 1024 characters.
    #[oai(validator(min_length = 8, max_length = 1024))]
    password: Text,
    /// Optional email address, at most 254 characters.
    #[oai(nullable, validator(max_length = 254))]
    email: Option<Text>,
}

/// Credentials.
#[derive(Debug, Object)]
struct Login {
    username: Text,
    password: Text,
}

/// A session.
#[derive(Debug, Object)]
struct Session {
    /// Send it as `Authorization: Bearer <token>`.
    token: String,
    /// The signed-in user.
    user: User,
}

#[derive(ApiResponse)]
enum Created<T: poem_openapi::types::ToJSON + Send + Sync> {
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>),
}

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

type ApiResult<T> = Result<T, ApiError>;

#[OpenApi(prefix_path = "/api/v1")]
impl CmsApi {
    /// Creates a `user` account; fires `on_user_registered`.
    #[oai(path = "/auth/register", method = "post", tag = "Tag::Auth")]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<Register>,
    ) -> ApiResult<Created<User>> {
        let cms = Arc::clone(&state.cms);
        let b = body.0;
        let _hashing = hashing_slot(&state).await?;
        let user = work(&state, move || {
            Ok(cms.register(
                b.username.as_ref(),
                b.password.as_ref(),
                b.email.as_ref().map(|e| e.0.as_str()),
            )?)
        })
        .await?;
        Ok(Created::Created(Json(user)))
    }

    /// Opens a session; fires `on_user_login`.
    #[oai(path = "/auth/login", method = "post", tag = "Tag::Auth")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<Login>,
    ) -> ApiResult<Json<Session>> {
        let cms = Arc::clone(&state.cms);
        let b = body.0;
        let addr = req.remote_addr().as_socket_addr().map(|a| a.ip());
        state
            .login
            .check(addr, b.username.as_ref())
            .map_err(|t| ApiError::throttled(t.retry_after_secs))?;
        let username = b.username.0.clone();
        let _hashing = hashing_slot(&state).await?;
        let outcome = work(&state, move || {
            Ok(cms.login(b.username.as_ref(), b.password.as_ref()))
        })
        .await?;
        match outcome {
            Ok((token, user)) => Ok(Json(Session { token, user })),
            Err(e) => {
                if matches!(e, CmsError::BadCredentials) {
                    state.login.failed(addr, &username);
                }
                Err(e.into())
            }
        }
    }

    /// Closes the caller's session; fires `on_user_logout`.
    #[oai(path = "/auth/logout", method = "post", tag = "Tag::Auth")]
    async fn logout(
        &self,
        state: Data<&Arc<AppState>>,
        _caller: Caller,
        req: &Request,
    ) -> ApiResult<NoContent> {
        let cms = Arc::clone(&state.cms);
        let token = auth::bearer_token(req).unwrap_or_default();
        work(&state, move || Ok(cms.logout(&token)?)).await?;
        Ok(NoContent::Done)
    }

    /// The signed-in user.
    #[oai(path = "/auth/me", method = "get", tag = "Tag::Auth")]
    async fn me(&self, state: Data<&Arc<AppState>>, caller: Caller) -> ApiResult<Json<User>> {
        let cms = Arc::clone(&state.cms);
        let user = work(&state, move || Ok(cms.user(&caller.0.id)?)).await?;
        Ok(Json(user))
    }

    /// Lists content the caller may see, newest first (published items, plus
    /// the caller's drafts; everything for an admin).
    #[oai(path = "/content", method = "get", tag = "Tag::Content")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        #[oai(name = "type")] content_type: Query<Option<String>>,
        status: Query<Option<String>>,
        author: Query<Option<String>>,
        q: Query<Option<String>>,
        /// Page number, from 1.
        #[oai(validator(minimum(value = "1"), maximum(value = "1000000")))]
        page: Query<Option<u32>>,
        /// Items per page (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        per_page: Query<Option<u32>>,
    ) -> ApiResult<Json<ContentPage>> {
        let user = auth::optional(&state, req).await?;
        let cms = Arc::clone(&state.cms);
        let query = ListQuery {
            content_type: content_type.0,
            status: status.0,
            author: author.0,
            q: q.0,
            page: page.0,
            per_page: per_page.0,
        };
        let page = work(&state, move || Ok(cms.list_content(&query, user.as_ref())?)).await?;
        Ok(Json(page))
    }

    /// Creates content: `on_content_creating` may change or refuse it; then
    /// `on_content_created` (and `on_content_published`).
    #[oai(path = "/content", method = "post", tag = "Tag::Content")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<NewContent>,
    ) -> ApiResult<Created<Content>> {
        let cms = Arc::clone(&state.cms);
        let c = work(&state, move || Ok(cms.create_content(body.0, &caller.0)?)).await?;
        Ok(Created::Created(Json(c)))
    }

    /// One item, by id or slug; fires `on_content_viewed`.
    #[oai(path = "/content/:id", method = "get", tag = "Tag::Content")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        id: Path<String>,
    ) -> ApiResult<Json<Content>> {
        let user = auth::optional(&state, req).await?;
        let cms = Arc::clone(&state.cms);
        let c = work(&state, move || Ok(cms.get_content(&id.0, user.as_ref())?)).await?;
        Ok(Json(c))
    }

    /// Changes the given fields: `on_content_updating` may change or refuse it;
    /// then `on_content_updated`.
    #[oai(path = "/content/:id", method = "patch", tag = "Tag::Content")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
        body: Json<ContentPatch>,
    ) -> ApiResult<Json<Content>> {
        let cms = Arc::clone(&state.cms);
        let c = work(&state, move || {
            Ok(cms.update_content(&id.0, body.0, &caller.0)?)
        })
        .await?;
        Ok(Json(c))
    }

    /// Publishes an item; fires `on_content_published`.
    #[oai(path = "/content/:id/publish", method = "post", tag = "Tag::Content")]
    async fn publish(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
    ) -> ApiResult<Json<Content>> {
        let cms = Arc::clone(&state.cms);
        let c = work(&state, move || Ok(cms.publish_content(&id.0, &caller.0)?)).await?;
        Ok(Json(c))
    }

    /// Deletes an item: `on_content_deleting` may veto; then `on_content_deleted`.
    #[oai(path = "/content/:id", method = "delete", tag = "Tag::Content")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        let cms = Arc::clone(&state.cms);
        work(&state, move || Ok(cms.delete_content(&id.0, &caller.0)?)).await?;
        Ok(NoContent::Done)
    }

    /// The item rendered to HTML: markdown (or a `render_content` override),
    /// then `filter_html`.
    #[oai(path = "/content/:id/html", method = "get", tag = "Tag::Content")]
    async fn html(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        id: Path<String>,
    ) -> ApiResult<Html<String>> {
        let user = auth::optional(&state, req).await?;
        let cms = Arc::clone(&state.cms);
        let html = work(
            &state,
            move || Ok(cms.render_content(&id.0, user.as_ref())?),
        )
        .await?;
        Ok(Html(html))
    }

    /// Comments on an item, oldest first.
    #[oai(path = "/content/:id/comments", method = "get", tag = "Tag::Comments")]
    async fn comments(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        id: Path<String>,
    ) -> ApiResult<Json<Vec<Comment>>> {
        let user = auth::optional(&state, req).await?;
        let cms = Arc::clone(&state.cms);
        let list = work(&state, move || Ok(cms.list_comments(&id.0, user.as_ref())?)).await?;
        Ok(Json(list))
    }

    /// Comments on an item: `on_comment_creating` may change or refuse it; then
    /// `on_comment_created`.
    #[oai(path = "/content/:id/comments", method = "post", tag = "Tag::Comments")]
    async fn comment(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
        body: Json<NewComment>,
    ) -> ApiResult<Created<Comment>> {
        let cms = Arc::clone(&state.cms);
        let c = work(&state, move || {
            Ok(cms.create_comment(&id.0, body.0, &caller.0)?)
        })
        .await?;
        Ok(Created::Created(Json(c)))
    }

    /// Deletes a comment; fires `on_comment_deleted`.
    #[oai(path = "/comments/:id", method = "delete", tag = "Tag::Comments")]
    async fn delete_comment(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        let cms = Arc::clone(&state.cms);
        work(&state, move || Ok(cms.delete_comment(&id.0, &caller.0)?)).await?;
        Ok(NoContent::Done)
    }
}

/// One of the password-hashing slots, waited for at most `queue_timeout_ms`.
async fn hashing_slot(state: &AppState) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
    let wait = std::time::Duration::from_millis(state.settings.server.queue_timeout_ms);
    tokio::time::timeout(wait, state.login.hashing_slot())
        .await
        .map_err(|_| {
            ApiError::new(
                503,
                "overloaded",
                "too many logins are being checked at once; retry in 1 s",
                None,
            )
        })
}
