//! A JSON body extractor whose every refusal is a 4xx [`ApiError`] that names the problem and the place, but
//! never repeats a value from the body (it may be personal data).
//!
//! | problem | status | code |
//! |---|---|---|
//! | no `Content-Type: application/json` | 415 | `unsupported_media_type` |
//! | body larger than `body_limit_bytes` | 413 | `body_too_large` |
//! | body unreadable (connection broken) | 400 | `unreadable_body` |
//! | not JSON | 400 | `malformed_json` |
//! | wrong type, unknown field, missing field | 422 | `invalid_body` |
//!
//! Request types should carry `#[serde(deny_unknown_fields)]`, so a misspelt field is refused, not ignored.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;

/// A JSON request body (extractor) or response body (responder).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Json<T>, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected `Content-Type: application/json`",
            ));
        }
        let body = Bytes::from_request(request, state).await.map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the request body is too large")
            }
            other => ApiError::bad_request("unreadable_body", "the request body could not be read")
                .with_detail(other.body_text()),
        })?;
        parse(&body).map(Json)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Parses a JSON body into `T`, with errors that name the place but not the value.
///
/// A number with a zero fraction (`2.0`, `1e3`) counts as an integer, as JSON Schema (and so the OpenAPI
/// document) says it is.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| syntax(&e))?;
    integral_floats_to_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| describe(&e))
}

fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let Some(f) = n.as_f64() else { return };
            // Exactly representable integers only (|f| < 2^53).
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                #[expect(clippy::cast_possible_truncation, reason = "INVARIANT: integral and below 2^53")]
                let i = f as i64;
                *value = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else { return false };
    kind == "application" && (subtype == "json" || subtype.ends_with("+json"))
}

fn syntax(e: &serde_json::Error) -> ApiError {
    let message = if e.is_eof() {
        "the request body is not valid JSON: it ends too early".to_owned()
    } else {
        format!("the request body is not valid JSON (line {}, column {})", e.line(), e.column())
    };
    ApiError::bad_request("malformed_json", message)
}

fn describe(e: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return syntax(inner);
    }
    // serde's message, without the position serde_json appends, e.g. "invalid type: string \"Tanaka\", expected
    // u8". Only the parts written by the request type (field names, expectations) are kept.
    let full = inner.to_string();
    let message = full.rfind(" at line ").and_then(|i| full.get(..i)).unwrap_or(&full);
    // For an unknown field, the path ends with the client's key: leave it out.
    let unknown_field = message.starts_with("unknown field");
    let path = safe_path(e.path(), unknown_field);
    let at = if path.is_empty() { "the body".to_owned() } else { format!("`{path}`") };
    let expected = message.rsplit_once(", expected ").map(|(_, expected)| expected);
    let text = if let Some(field) = message.strip_prefix("missing field ") {
        format!("{at}: missing field {field}")
    } else if unknown_field {
        match expected {
            Some(expected) => format!("{at}: unknown field; expected {expected}"),
            None => format!("{at}: unknown field; none are allowed here"),
        }
    } else if message.starts_with("unknown variant") {
        format!("{at}: unknown value; expected {}", expected.unwrap_or("another value"))
    } else if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length")
    {
        format!("{at}: wrong type or value; expected {}", expected.unwrap_or("another value"))
    } else if message.starts_with("duplicate field ") {
        format!("{at}: {message}")
    } else {
        format!("{at}: invalid value")
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", text)
}

/// The path to the bad value, keeping segments that look like field names or indices; anything else (a map
/// key chosen by the client) becomes `?`.
fn safe_path(path: &serde_path_to_error::Path, drop_last: bool) -> String {
    use serde_path_to_error::Segment;
    let name = |s: &str| {
        let ok = !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            s.to_owned()
        } else {
            "?".to_owned()
        }
    };
    let segments: Vec<_> = path.iter().collect();
    let keep = if drop_last { segments.len().saturating_sub(1) } else { segments.len() };
    let mut out = String::new();
    for segment in segments.into_iter().take(keep) {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&name(key));
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u8,
        tags: Option<Vec<u8>>,
    }

    fn refusal(body: &str) -> (u16, String, String) {
        match parse::<Body>(body.as_bytes()) {
            Ok(_) => (200, String::new(), String::new()),
            Err(e) => (e.status().as_u16(), e.code().to_owned(), e.message().to_owned()),
        }
    }

    #[test]
    fn accepts_a_good_body() {
        assert_eq!(refusal(r#"{"name": "x", "count": 3}"#).0, 200);
    }

    #[test]
    fn integral_floats_are_integers_as_in_json_schema() {
        assert_eq!(refusal(r#"{"name": "x", "count": 2.0}"#).0, 200);
        assert_eq!(refusal(r#"{"name": "x", "count": 1e2}"#).0, 200);
        assert_eq!(refusal(r#"{"name": "x", "count": 2.5}"#).0, 422);
        assert_eq!(refusal(r#"{"name": "x", "count": -0.0}"#).0, 200);
    }

    #[test]
    fn malformed_json_is_400_with_position() {
        let (status, code, message) = refusal(r#"{"name": "Tanaka Taro""#);
        assert_eq!((status, code.as_str()), (400, "malformed_json"));
        assert!(!message.contains("Tanaka"), "{message}");
        let (status, _, message) = refusal(r#"{"name": "x", "count": 3} trailing"#);
        assert_eq!(status, 400);
        assert!(message.contains("line 1"), "{message}");
    }

    #[test]
    fn wrong_types_name_the_field_but_not_the_value() {
        let (status, code, message) = refusal(r#"{"name": "x", "count": "Tanaka, expected 090-1234-5678"}"#);
        assert_eq!((status, code.as_str()), (422, "invalid_body"));
        assert!(message.contains("`count`") && message.contains("expected u8"), "{message}");
        assert!(!message.contains("Tanaka") && !message.contains("090"), "{message}");
        let (_, _, message) = refusal(r#"{"name": "x", "count": 300}"#);
        assert!(!message.contains("300"), "{message}");
        let (_, _, message) = refusal(r#"{"name": "x", "count": 1, "tags": [1, "secret"]}"#);
        assert!(message.contains("`tags[1]`"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let (status, _, message) = refusal(r#"{"name": "x", "count": 1, "田中太郎": 1}"#);
        assert_eq!(status, 422);
        assert!(message.contains("unknown field") && !message.contains("田中"), "{message}");
        let (status, _, message) = refusal(r#"{"name": "x"}"#);
        assert_eq!(status, 422);
        assert!(message.contains("missing field `count`"), "{message}");
    }

    #[test]
    fn content_type_must_be_json() {
        let mut headers = HeaderMap::new();
        assert!(!is_json(&headers));
        headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("application/json; charset=utf-8"));
        assert!(is_json(&headers));
        headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("application/merge-patch+json"));
        assert!(is_json(&headers));
        headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
        assert!(!is_json(&headers));
    }

    #[test]
    fn client_chosen_map_keys_are_not_echoed_in_paths() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Fields {
            fields: std::collections::HashMap<String, u8>,
        }
        let e = parse::<Fields>(r#"{"fields": {"田中": "x"}}"#.as_bytes()).err();
        let message = e.map(|e| e.message().to_owned()).unwrap_or_default();
        assert!(message.starts_with("`fields.?`"), "{message}");
    }
}
