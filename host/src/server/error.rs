//! Errors of the HTTP API, all with one JSON shape:
//! `{"error": {"code": "not_found", "message": "...", "plugin": "..."}}`.

use crate::cms::CmsError;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// The body of every error response.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Object)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `invalid`, `conflict`, `plugin_refused`,
    /// `plugin_failed`, `too_large`, `unsupported_media_type`, `overloaded`,
    /// `starting`, `throttled`, `internal`, ...).
    pub code: String,
    /// For people.
    pub message: String,
    /// The plugin involved, when one is.
    #[oai(skip_serializing_if_is_none)]
    pub plugin: Option<String>,
}

/// An error response.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "bad_request")]
pub enum ApiError {
    /// The request is malformed.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Sign in first.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Not allowed.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such thing.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Conflicts with what exists.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// A plugin refused the operation.
    #[oai(status = 422)]
    Refused(Json<ErrorBody>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// Too many failed logins (`throttled`): retry after the given seconds.
    #[oai(status = 429)]
    TooManyRequests(
        Json<ErrorBody>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// The request body is over `[server] max_body_bytes`.
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// The body is not of a media type the operation reads (`Content-Type`).
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// The server is at capacity (`overloaded`): retry after the given seconds.
    #[oai(status = 503)]
    Unavailable(
        Json<ErrorBody>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u32,
    ),
}

fn bad_request(e: poem::Error) -> ApiError {
    ApiError::new(400, "invalid", e.to_string(), None)
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(
        status: u16,
        code: &str,
        message: impl Into<String>,
        plugin: Option<String>,
    ) -> ApiError {
        let body = Json(ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: message.into(),
                plugin,
            },
        });
        match status {
            400 => ApiError::BadRequest(body),
            401 => ApiError::Unauthorized(body),
            403 => ApiError::Forbidden(body),
            404 => ApiError::NotFound(body),
            409 => ApiError::Conflict(body),
            422 => ApiError::Refused(body),
            503 => ApiError::Unavailable(body, super::slots::RETRY_AFTER_SECS),
            413 => ApiError::TooLarge(body),
            415 => ApiError::UnsupportedMediaType(body),
            429 => ApiError::TooManyRequests(body, 1),
            _ => ApiError::Internal(body),
        }
    }
}

impl ApiError {
    /// 429 `throttled` with `Retry-After: secs`.
    pub fn throttled(secs: u64) -> ApiError {
        let body = Json(ErrorBody {
            error: ErrorDetail {
                code: "throttled".into(),
                message: format!("too many failed logins; retry in {secs} s"),
                plugin: None,
            },
        });
        ApiError::TooManyRequests(body, secs)
    }
}

impl From<CmsError> for ApiError {
    fn from(e: CmsError) -> ApiError {
        let plugin = match &e {
            CmsError::Hook(h) => Some(h.plugin.clone()),
            _ => None,
        };
        let message = match &e {
            CmsError::Store(inner) => {
                tracing::error!("{inner}");
                "the server failed; see its log".to_string()
            }
            other => other.to_string(),
        };
        ApiError::new(e.status(), e.code(), message, plugin)
    }
}

/// The code of an error response with `status` that came without one (from
/// the framework: a parameter that does not parse, a missing `Content-Type`,
/// a method the path does not serve).
pub fn code_of(status: u16) -> &'static str {
    match status {
        400 => "invalid",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "invalid",
        429 => "throttled",
        503 => "unavailable",
        _ => "internal",
    }
}

/// The JSON error body as a plain poem response (for non-OpenAPI endpoints).
pub fn response(status: u16, code: &str, message: &str, plugin: Option<&str>) -> poem::Response {
    let mut error = serde_json::json!({ "code": code, "message": message });
    if let Some(p) = plugin {
        error["plugin"] = p.into();
    }
    let body = serde_json::json!({ "error": error });
    poem::Response::builder()
        .status(
            poem::http::StatusCode::from_u16(status)
                .unwrap_or(poem::http::StatusCode::INTERNAL_SERVER_ERROR),
        )
        .content_type("application/json")
        .body(body.to_string())
}
