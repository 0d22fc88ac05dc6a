//! A test application: the infrastructure plus a few routes exercising it.

use std::time::Duration;

use axum::body::Body;
use axum::Router;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use kura_http::auth::{AuthFailure, Authenticator, Caller, Identity, Purpose};
use kura_http::error::{AuthResponses, BodyResponses, PurposeResponses};
use kura_http::{ApiError, Config, ErrorResponse, Hooks, Json};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Tokens `reader` (scope `records:read`) and `writer` (scope `records:write`); everything else is refused.
pub struct TestTokens;

impl Authenticator for TestTokens {
    fn authenticate(&self, token: &str, _origin: &str) -> Result<Identity, AuthFailure> {
        match token {
            "reader" => Ok(Identity { name: "reader".into(), scopes: vec!["records:read".into()] }),
            "writer" => Ok(Identity { name: "writer".into(), scopes: vec!["records:write".into()] }),
            _ => Err(AuthFailure::Refused),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Echo {
    pub name: String,
    pub count: u8,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Echoed {
    pub name: String,
    pub count: u8,
    pub principal: String,
    pub purpose: String,
}

/// Echoes the body; needs `records:write` and a purpose.
#[utoipa::path(post, path = "/test/echo", request_body = Echo, params(Purpose), security(("bearer" = [])), responses(
    (status = 200, body = Echoed), AuthResponses, PurposeResponses, BodyResponses,
))]
async fn echo(caller: Caller, purpose: Purpose, Json(body): Json<Echo>) -> Result<Json<Echoed>, ApiError> {
    caller.require_scope("records:write")?;
    Ok(Json(Echoed { name: body.name, count: body.count, principal: caller.identity.name, purpose: purpose.reference }))
}

/// One item, `1`; needs `records:read`.
#[utoipa::path(get, path = "/test/items/{id}", params(("id" = String, Path)), security(("bearer" = [])), responses(
    (status = 200, body = String), (status = 404, body = ErrorResponse), AuthResponses,
))]
async fn item(caller: Caller, axum::extract::Path(id): axum::extract::Path<String>) -> Result<Json<String>, ApiError> {
    caller.require_scope("records:read")?;
    if id == "1" {
        Ok(Json("one".to_owned()))
    } else {
        Err(ApiError::not_found())
    }
}

#[utoipa::path(get, path = "/test/panic", responses((status = 500)))]
async fn panics() -> &'static str {
    panic!("secret value 090-1234-5678 in a panic message")
}

#[utoipa::path(get, path = "/test/slow", responses((status = 200, body = String)))]
async fn slow() -> Json<&'static str> {
    tokio::time::sleep(Duration::from_millis(700)).await;
    Json("done")
}

pub fn routes() -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(echo)).routes(routes!(item)).routes(routes!(panics)).routes(routes!(slow))
}

pub fn app(config: &Config) -> Router {
    kura_http::app(routes(), config, Hooks::new(TestTokens))
}

pub fn default_app() -> Router {
    app(&Config::default())
}

/// A response, its headers and its body as JSON (or `Null` when it is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: serde_json::Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

pub async fn call(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Reply { status, headers, text, json }
}

pub async fn get(router: &Router, path: &str) -> Reply {
    call(router, Request::get(path).body(Body::empty()).unwrap()).await
}

/// `POST /test/echo` as `writer` with a purpose, the given content type and body.
pub async fn post_echo(router: &Router, content_type: Option<&str>, body: impl Into<Body>) -> Reply {
    let mut request =
        Request::post("/test/echo").header("authorization", "Bearer writer").header("kura-purpose", "T-1");
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    call(router, request.body(body.into()).unwrap()).await
}

/// Checks the uniform error shape and that the body's request id is the header's.
pub fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(reply.code(), code, "{}", reply.text);
    assert!(reply.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", reply.text);
    let id = reply.json["error"]["request_id"].as_str().unwrap_or("");
    assert!(!id.is_empty(), "{}", reply.text);
    assert_eq!(reply.header("x-request-id"), id);
    assert!(reply.header("content-type").starts_with("application/json"));
}
