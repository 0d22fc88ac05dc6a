//! `/health`, `/ready`, `/metrics` and `/openapi.json`, and the document against the router.

use axum::body::Body;
use http::{Method, Request};
use kura_http::{Config, Hooks};

use crate::support::{assert_error, call, default_app, get, routes, TestTokens};

#[tokio::test]
async fn health_and_readiness() {
    let reply = get(&default_app(), "/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json, serde_json::json!({"status": "ok"}));

    let ready = kura_http::app(routes(), &Config::default(), Hooks::new(TestTokens).readiness(|| true));
    assert_eq!(get(&ready, "/ready").await.json, serde_json::json!({"status": "ready"}));
    let not_ready = kura_http::app(routes(), &Config::default(), Hooks::new(TestTokens).readiness(|| false));
    assert_error(&get(&not_ready, "/ready").await, 503, "not_ready");
}

#[tokio::test]
async fn metrics_count_by_route_template_not_raw_path() {
    let app = default_app();
    let _ = call(
        &app,
        Request::get("/test/items/C001-000042").header("authorization", "Bearer reader").body(Body::empty()).unwrap(),
    )
    .await;
    let _ = get(&app, "/no/such/C001-000042").await;
    let reply = get(&app, "/metrics").await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").starts_with("application/openmetrics-text"));
    assert!(
        reply.text.contains(r#"kura_http_requests_total{route="/test/items/{id}",method="GET",status="404"} 1"#),
        "{}",
        reply.text
    );
    assert!(reply.text.contains(r#"route="(unmatched)""#), "{}", reply.text);
    assert!(reply.text.contains("kura_http_request_duration_seconds_bucket"), "{}", reply.text);
    assert!(!reply.text.contains("C001"), "raw paths never become labels");
}

#[tokio::test]
async fn application_metrics_are_served_with_the_server_metrics() {
    use prometheus_client::metrics::counter::Counter;
    let mut registry = prometheus_client::registry::Registry::default();
    let imports = Counter::<u64>::default();
    registry.register("kura_imports", "Imports", imports.clone());
    imports.inc();
    let app = kura_http::app(routes(), &Config::default(), Hooks::new(TestTokens).registry(registry));
    assert!(get(&app, "/metrics").await.text.contains("kura_imports_total 1"));
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_route() {
    let reply = get(&default_app(), "/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc = &reply.json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."), "{}", doc["openapi"]);
    for path in ["/health", "/ready", "/metrics", "/openapi.json", "/test/echo", "/test/items/{id}"] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the document");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["ErrorResponse"].is_object());
    let echo = &doc["paths"]["/test/echo"]["post"];
    for status in ["200", "400", "401", "403", "413", "415", "422", "429", "503"] {
        assert!(echo["responses"][status].is_object(), "{status} not documented: {echo}");
    }
    let headers: Vec<&str> = echo["parameters"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(headers, ["Kura-Purpose", "Kura-Purpose-Kind"]);
    assert_eq!(echo["security"][0]["bearer"], serde_json::json!([]));
    // The served document is the one `document` builds.
    let built = serde_json::to_value(kura_http::document(routes())).unwrap();
    assert_eq!(&built, doc);
}

/// Every documented operation is routed: neither the no-route 404 nor a 405. Path parameters get a sample
/// value. Routes added with `routes!` cannot fail this; a path typed twice by hand could. Covers the test
/// routes and the vault's API.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let (_dir, vault) = crate::api::bare_vault();
    let all = || routes().merge(kura_http::api::routes(kura_http::api::ApiState::new(vault.clone(), None)));
    let app = kura_http::app(all(), &Config::default(), Hooks::new(TestTokens));
    let doc = kura_http::document(all());
    let operations = kura_http::openapi::operations(&doc);
    assert!(operations.len() >= 30, "{operations:?}");
    for (method, path) in operations {
        let concrete = path
            .replace("{id}", "1")
            .replace("{collection}", "corporate-mobile")
            .replace("{name}", "nobody")
            .replace("{seq}", "0")
            .replace("{record}", "1");
        assert!(!concrete.contains('{'), "add a sample value for the parameters of {path}");
        let request = Request::builder().method(Method::from_bytes(method.as_bytes()).unwrap()).uri(&concrete);
        let reply = call(&app, request.body(Body::empty()).unwrap()).await;
        assert_ne!(reply.code(), kura_http::NO_ROUTE, "{method} {path} is documented but not routed");
        assert_ne!(reply.status, 405, "{method} {path} is documented but routed for other methods only");
    }
}
