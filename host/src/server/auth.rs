//! Who is calling: `Authorization: Bearer <session token>`.

use super::AppState;
use super::error::ApiError;
use crate::cms::Principal;
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use std::sync::Arc;

/// A signed-in caller (required).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check")]
pub struct User(pub Principal);

async fn check(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(|| poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR))?;
    principal(state, bearer.token).await.map_err(|e| {
        let resp = match e {
            ApiError::Unauthorized(j) => {
                super::error::response(401, "unauthorized", &j.0.error.message, None)
            }
            _ => super::error::response(500, "internal", "the server failed; see its log", None),
        };
        poem::Error::from_response(resp)
    })
}

/// The principal of a session token.
pub async fn principal(state: &Arc<AppState>, token: String) -> Result<Principal, ApiError> {
    let cms = Arc::clone(&state.cms);
    super::blocking(move || cms.authenticate(&token).map_err(ApiError::from)).await
}

/// The caller, if the request carries a bearer token (which must be valid).
pub async fn optional(state: &Arc<AppState>, req: &Request) -> Result<Option<Principal>, ApiError> {
    match bearer_token(req) {
        Some(token) => principal(state, token).await.map(Some),
        None => Ok(None),
    }
}

/// The bearer token of a request, if any.
pub fn bearer_token(req: &Request) -> Option<String> {
    let value = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}
