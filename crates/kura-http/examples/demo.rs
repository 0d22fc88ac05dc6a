//! A server with the infrastructure routes and two demonstration routes, for trying the server and for
//! `tests/schemathesis.sh`:
//!
//! ```sh
//! KURA_DEMO_TOKEN=demo-token cargo run -p kura-http --example demo [config.toml]
//! curl -s -H 'Authorization: Bearer demo-token' -H 'Kura-Purpose: T-1' -H 'Content-Type: application/json' \
//!      -d '{"message": "hello", "count": 2}' http://127.0.0.1:8080/demo/echo
//! ```
//!
//! The token is `KURA_DEMO_TOKEN` (default `demo-token`); configuration comes from the optional file and the
//! `KURA_HTTP_*` variables.

use kura_http::auth::{AuthFailure, Authenticator, Caller, Identity, Purpose};
use kura_http::error::{AuthResponses, BodyResponses, PurposeResponses};
use kura_http::{ApiError, Config, ErrorResponse, Hooks, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

struct DemoToken(String);

impl Authenticator for DemoToken {
    fn authenticate(&self, token: &str, _origin: &str) -> Result<Identity, AuthFailure> {
        // A demonstration only: kura's vault compares token hashes in constant time.
        if token == self.0 {
            Ok(Identity { name: "demo".to_owned(), scopes: vec!["demo:echo".to_owned()] })
        } else {
            Err(AuthFailure::Refused)
        }
    }
}

/// What to echo.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EchoRequest {
    /// Any text.
    #[schema(max_length = 1000)]
    message: String,
    /// How many times.
    #[schema(minimum = 0, maximum = 10)]
    count: u8,
}

/// The echo.
#[derive(Debug, Serialize, ToSchema)]
struct EchoResponse {
    /// The message, `count` times.
    echo: Vec<String>,
    /// Who asked.
    principal: String,
    /// Why.
    purpose: String,
}

/// Echoes a message; needs the scope `demo:echo` and a purpose.
#[utoipa::path(post, path = "/demo/echo", tag = "demo", request_body = EchoRequest, params(Purpose),
    security(("bearer" = [])),
    responses((status = 200, description = "The echo", body = EchoResponse), AuthResponses, PurposeResponses, BodyResponses))]
async fn echo(caller: Caller, purpose: Purpose, Json(body): Json<EchoRequest>) -> Result<Json<EchoResponse>, ApiError> {
    caller.require_scope("demo:echo")?;
    if body.count > 10 || body.message.chars().count() > 1000 {
        return Err(ApiError::new(
            http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "`count` must be at most 10 and `message` at most 1000 characters",
        ));
    }
    Ok(Json(EchoResponse {
        echo: vec![body.message; usize::from(body.count)],
        principal: caller.identity.name,
        purpose: purpose.reference,
    }))
}

/// An item.
#[derive(Debug, Serialize, ToSchema)]
struct Item {
    /// Its id.
    id: String,
    /// Its name.
    name: String,
}

/// An item by id: only `1` exists.
#[utoipa::path(get, path = "/demo/items/{id}", tag = "demo", params(("id" = String, Path, description = "The item", example = "1")),
    security(("bearer" = [])),
    responses((status = 200, description = "The item", body = Item),
        (status = 404, description = "No such item (`not_found`)", body = ErrorResponse), AuthResponses))]
async fn item(_caller: Caller, axum::extract::Path(id): axum::extract::Path<String>) -> Result<Json<Item>, ApiError> {
    if id == "1" {
        Ok(Json(Item { id, name: "one".to_owned() }))
    } else {
        Err(ApiError::not_found())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).init();
    let path = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let config = Config::load(path.as_deref())?;
    let token = std::env::var("KURA_DEMO_TOKEN").unwrap_or_else(|_| "demo-token".to_owned());
    let routes = OpenApiRouter::new().routes(routes!(echo)).routes(routes!(item));
    let router = kura_http::app(routes, &config, Hooks::new(DemoToken(token)));
    kura_http::serve(router, &config, kura_http::shutdown_signal()).await?;
    Ok(())
}
