//! The one error type of the HTTP face, and the JSON shape every error response has.
//!
//! ```json
//! {"error": {"code": "machine_code", "message": "human text", "request_id": "…"}}
//! ```
//!
//! The message shown to the client is separate from the detail that is logged: a 5xx body is always generic,
//! and no message ever repeats a value from the request (values may be personal data).

use std::borrow::Cow;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{header, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::observe::RequestId;

/// An error answered to an HTTP client as JSON.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Logged with the request id, never sent.
    detail: Option<String>,
}

/// The body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for machines (`code`) and for people (`message`).
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `invalid_body`, `unauthorized`, `rate_limited`.
    pub code: String,
    /// A human-readable explanation; never contains values from the request.
    pub message: String,
    /// The request's id, also in the `X-Request-Id` header; quote it when reporting a problem.
    pub request_id: String,
}

impl ApiError {
    /// An error with the given status, machine code and client-facing message.
    ///
    /// For a 5xx status the message should be generic: the cause belongs in [`ApiError::with_detail`].
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError { status, code, message: message.into(), headers: Vec::new(), detail: None }
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }

    /// Adds a detail that is logged with the request id but never sent to the client.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> ApiError {
        self.detail = Some(detail.into());
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 with `WWW-Authenticate: Bearer`: no valid credentials.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"kura\""))
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: nothing here.
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed for this resource")
    }

    /// 429 with `Retry-After` (whole seconds, at least 1).
    pub fn rate_limited(retry_after: Duration) -> ApiError {
        let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests; retry later")
            .with_header(header::RETRY_AFTER, HeaderValue::from(secs.max(1)))
    }

    /// 500 with a generic message; `detail` is logged only.
    pub fn internal(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error").with_detail(detail)
    }

    /// 503: a dependency (the vault, the token check) is unavailable; `detail` is logged only.
    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "service temporarily unavailable")
            .with_detail(detail)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The client-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = RequestId::current().map(|id| id.to_string()).unwrap_or_default();
        if let Some(detail) = &self.detail {
            if self.status.is_server_error() {
                tracing::error!(request_id, code = self.code, detail, "request failed");
            } else {
                tracing::info!(request_id, code = self.code, detail, "request refused");
            }
        }
        let body = ErrorResponse {
            error: ErrorDetail { code: self.code.to_owned(), message: self.message.into_owned(), request_id },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// Documents the errors of an operation that requires a bearer token: 401, 403, 429, 503. Use it in
/// `#[utoipa::path(responses((status = 200, …), error::AuthResponses))]`.
#[derive(Debug)]
pub struct AuthResponses;

/// Documents the errors of an operation that reads a JSON body: 400, 413, 415, 422.
#[derive(Debug)]
pub struct BodyResponses;

/// Documents the error of an operation that requires a purpose ([`crate::Purpose`]): 400.
#[derive(Debug)]
pub struct PurposeResponses;

fn error_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorResponse"))).build();
    ResponseBuilder::new().description(description).content("application/json", content).build()
}

fn integer_header(description: &str) -> utoipa::openapi::header::Header {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
        .description(Some(description))
        .build()
}

fn responses(
    list: Vec<(&str, utoipa::openapi::Response)>,
) -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
    list.into_iter().map(|(status, response)| (status.to_owned(), response.into())).collect()
}

impl utoipa::IntoResponses for AuthResponses {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        let mut unauthorized = error_response("No valid bearer token (`unauthorized`)");
        unauthorized.headers.insert(
            "WWW-Authenticate".to_owned(),
            utoipa::openapi::header::Header::new(
                utoipa::openapi::schema::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String),
            ),
        );
        let mut limited = error_response("The principal's rate limit is exhausted (`rate_limited`)");
        limited.headers.insert("Retry-After".to_owned(), integer_header("Seconds to wait"));
        responses(vec![
            ("401", unauthorized),
            ("403", error_response("The token lacks a scope (`forbidden`)")),
            ("429", limited),
            ("503", error_response("The token check is unavailable (`unavailable`)")),
        ])
    }
}

impl utoipa::IntoResponses for BodyResponses {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        responses(vec![
            ("400", error_response("The body is not JSON (`malformed_json`), or a header is malformed")),
            ("413", error_response("The body is larger than the limit (`body_too_large`)")),
            ("415", error_response("The body is not `application/json` (`unsupported_media_type`)")),
            ("422", error_response("The JSON does not fit the schema (`invalid_body`)")),
        ])
    }
}

impl utoipa::IntoResponses for PurposeResponses {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        responses(vec![(
            "400",
            error_response(
                "`Kura-Purpose` is missing (`missing_purpose`) or a purpose header is malformed (`invalid_purpose`)",
            ),
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let r = ApiError::rate_limited(Duration::from_millis(1500)).into_response();
        assert_eq!(r.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("2"));
        let r = ApiError::rate_limited(Duration::ZERO).into_response();
        assert_eq!(r.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("1"));
    }

    #[test]
    fn unauthorized_asks_for_a_bearer_token() {
        let r = ApiError::unauthorized("missing token").into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let challenge = r.headers().get(header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(challenge.starts_with("Bearer"));
    }
}
