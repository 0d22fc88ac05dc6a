//! Every kind of failure is a JSON error of one shape, a 4xx for the client's mistakes, and never repeats a
//! value from the request.

use axum::body::Body;
use http::Request;
use kura_http::Config;

use crate::support::{assert_error, call, default_app, get, post_echo};

#[tokio::test]
async fn a_good_request_passes_through_every_layer() {
    let app = default_app();
    let reply = post_echo(&app, Some("application/json"), r#"{"name": "Tanaka", "count": 3}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["principal"], "writer");
    assert_eq!(reply.json["purpose"], "T-1");
}

#[tokio::test]
async fn malformed_json_is_400() {
    let reply = post_echo(&default_app(), Some("application/json"), r#"{"name": "Tanaka Taro", "count": "#).await;
    assert_error(&reply, 400, "malformed_json");
    assert!(!reply.text.contains("Tanaka"), "{}", reply.text);
}

#[tokio::test]
async fn wrong_types_unknown_and_missing_fields_are_422_without_values() {
    let app = default_app();
    for body in [
        r#"{"name": "x", "count": "090-1234-5678"}"#,
        r#"{"name": "x", "count": 1, "phone": "090-1234-5678"}"#,
        r#"{"name": "x", "count": 1, "090-1234-5678": 1}"#,
        r#"{"name": "x"}"#,
        r#"["090-1234-5678"]"#,
    ] {
        let reply = post_echo(&app, Some("application/json"), body).await;
        assert_error(&reply, 422, "invalid_body");
        // The message, not the whole body: the random request id may itself contain `090`.
        assert!(!reply.json["error"]["message"].as_str().unwrap().contains("090"), "{}", reply.text);
    }
}

#[tokio::test]
async fn a_missing_or_wrong_content_type_is_415() {
    let app = default_app();
    assert_error(&post_echo(&app, None, r#"{"name": "x", "count": 1}"#).await, 415, "unsupported_media_type");
    assert_error(
        &post_echo(&app, Some("text/plain"), r#"{"name": "x", "count": 1}"#).await,
        415,
        "unsupported_media_type",
    );
}

#[tokio::test]
async fn an_oversize_body_is_413() {
    let app = crate::support::app(&Config { body_limit_bytes: 100, ..Config::default() });
    let big = format!(r#"{{"name": "{}", "count": 1}}"#, "x".repeat(200));
    assert_error(&post_echo(&app, Some("application/json"), big).await, 413, "body_too_large");
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_as_json() {
    let app = default_app();
    assert_error(&get(&app, "/nothing/here?secret=1").await, 404, kura_http::NO_ROUTE);
    let reply = call(&app, Request::delete("/health").body(Body::empty()).unwrap()).await;
    assert_error(&reply, 405, "method_not_allowed");
    assert!(reply.header("allow").contains("GET"), "405 names the allowed methods: {:?}", reply.headers);
    let reply = call(&app, Request::get("/test/echo").body(Body::empty()).unwrap()).await;
    assert_error(&reply, 405, "method_not_allowed");
}

#[tokio::test]
async fn a_panic_is_a_generic_json_500() {
    let reply = get(&default_app(), "/test/panic").await;
    assert_error(&reply, 500, "internal");
    assert_eq!(reply.json["error"]["message"], "internal error");
}

#[tokio::test]
async fn a_slow_request_times_out_with_503() {
    let app = crate::support::app(&Config { request_timeout_secs: 1, ..Config::default() });
    assert_eq!(get(&app, "/test/slow").await.status, 200, "700 ms is within the limit");
    // The limit is in whole seconds: a handler taking 1.5 s is cut at 1 s.
    let slower = kura_http::app(
        utoipa_axum::router::OpenApiRouter::new().route(
            "/slower",
            axum::routing::get(|| async {
                tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                "late"
            }),
        ),
        &Config { request_timeout_secs: 1, ..Config::default() },
        kura_http::Hooks::new(crate::support::TestTokens),
    );
    assert_error(&get(&slower, "/slower").await, 503, "timeout");
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = default_app();
    let ok = get(&app, "/health").await;
    let err = get(&app, "/nothing").await;
    for reply in [ok, err] {
        assert_eq!(reply.header("cache-control"), "no-store");
        assert_eq!(reply.header("x-content-type-options"), "nosniff");
        assert!(reply.header("content-security-policy").starts_with("default-src 'none'"));
        assert_eq!(reply.header("x-request-id").len(), 36);
    }
    let a = get(&app, "/health").await;
    let b = get(&app, "/health").await;
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
}
