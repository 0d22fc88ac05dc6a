//! Bearer tokens, scopes, purpose headers and the per-principal rate limit.

use axum::body::Body;
use http::Request;
use kura_http::Config;

use crate::support::{app, assert_error, call, default_app};

fn item(token: Option<&str>) -> Request<Body> {
    let mut request = Request::get("/test/items/1");
    if let Some(t) = token {
        request = request.header("authorization", t);
    }
    request.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn a_missing_or_refused_token_is_401_with_a_bearer_challenge() {
    let app = default_app();
    for header in [None, Some("Bearer nope"), Some("Basic cmVhZGVyOg=="), Some("Bearer")] {
        let reply = call(&app, item(header)).await;
        assert_error(&reply, 401, "unauthorized");
        assert!(reply.header("www-authenticate").starts_with("Bearer"), "{header:?}");
    }
    assert_eq!(call(&app, item(Some("Bearer reader"))).await.status, 200);
    assert_error(
        &call(
            &app,
            Request::get("/test/items/2").header("authorization", "Bearer reader").body(Body::empty()).unwrap(),
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_missing_scope_is_403() {
    let reply = call(&default_app(), item(Some("Bearer writer"))).await;
    assert_error(&reply, 403, "forbidden");
    assert!(reply.text.contains("records:read"));
}

#[tokio::test]
async fn a_purpose_is_required_and_checked() {
    let app = default_app();
    let echo = |purpose: Option<&str>, kind: Option<&str>| {
        let mut r = Request::post("/test/echo")
            .header("authorization", "Bearer writer")
            .header("content-type", "application/json");
        if let Some(p) = purpose {
            r = r.header("kura-purpose", p);
        }
        if let Some(k) = kind {
            r = r.header("kura-purpose-kind", k);
        }
        r.body(Body::from(r#"{"name": "x", "count": 1}"#)).unwrap()
    };
    assert_error(&call(&app, echo(None, None)).await, 400, "missing_purpose");
    assert_error(&call(&app, echo(Some("   "), None)).await, 400, "invalid_purpose");
    assert_error(&call(&app, echo(Some("T-1"), Some("Support!"))).await, 400, "invalid_purpose");
    assert_eq!(call(&app, echo(Some("ORDER 42"), Some("shipping"))).await.status, 200);
}

#[tokio::test]
async fn the_rate_limit_is_per_principal_and_answers_429_with_retry_after() {
    let app = app(&Config { rate_limit_per_second: 1, rate_limit_burst: 2, ..Config::default() });
    assert_eq!(call(&app, item(Some("Bearer reader"))).await.status, 200);
    assert_eq!(call(&app, item(Some("Bearer reader"))).await.status, 200);
    let reply = call(&app, item(Some("Bearer reader"))).await;
    assert_error(&reply, 429, "rate_limited");
    assert!(reply.header("retry-after").parse::<u64>().unwrap() >= 1);
    // Another principal has its own budget (and is then refused by scope, not by rate).
    assert_error(&call(&app, item(Some("Bearer writer"))).await, 403, "forbidden");
    let metrics = crate::support::get(&app, "/metrics").await;
    assert!(
        metrics.text.contains(r#"kura_http_rate_limited_total{route="/test/items/{id}",method="GET"} 1"#),
        "{}",
        metrics.text
    );
}
