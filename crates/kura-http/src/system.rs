//! The server's own resources: `GET /health`, `GET /ready`, `GET /metrics`, `GET /openapi.json`.
//!
//! None of them needs a token: they reveal no personal data. `/metrics` shows route templates and counts;
//! listen on an address only trusted clients reach, or filter it at the proxy, if that matters.

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorResponse};
use crate::json::Json;
use crate::metrics::Metrics;

/// Whether the embedding application can serve requests (its vault is open, its storage reachable).
///
/// Called from a blocking thread on every `GET /ready`. Closures `Fn() -> bool` implement it.
pub trait Readiness: Send + Sync + 'static {
    /// `true` when requests can be served.
    fn ready(&self) -> bool;
}

impl<F: Fn() -> bool + Send + Sync + 'static> Readiness for F {
    fn ready(&self) -> bool {
        self()
    }
}

#[derive(Clone)]
pub(crate) struct SystemState {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) readiness: Arc<dyn Readiness>,
    /// The serialised document, set once the routers are assembled.
    pub(crate) document: Arc<OnceLock<String>>,
}

/// The answer of `/health` and `/ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok` (live) or `ready`.
    #[schema(example = "ok")]
    pub status: String,
}

pub(crate) fn routes(state: SystemState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
        .with_state(state)
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "system", responses(
    (status = 200, description = "The server is running", body = Status),
))]
async fn health() -> Json<Status> {
    Json(Status { status: "ok".to_owned() })
}

/// Readiness: the embedding application can serve requests.
#[utoipa::path(get, path = "/ready", tag = "system", responses(
    (status = 200, description = "Ready to serve requests", body = Status),
    (status = 503, description = "Not ready (code `not_ready`)", body = ErrorResponse),
))]
async fn ready(State(state): State<SystemState>) -> Result<Json<Status>, ApiError> {
    let readiness = Arc::clone(&state.readiness);
    let ready = tokio::task::spawn_blocking(move || readiness.ready()).await.unwrap_or(false);
    if ready {
        Ok(Json(Status { status: "ready".to_owned() }))
    } else {
        Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "not ready to serve requests"))
    }
}

/// Prometheus metrics in the OpenMetrics text format.
#[utoipa::path(get, path = "/metrics", tag = "system", responses(
    (status = 200, description = "Request counts, latencies, rate-limit refusals", body = String,
     content_type = "application/openmetrics-text"),
))]
async fn metrics(State(state): State<SystemState>) -> Result<Response, ApiError> {
    let text = state.metrics.encode().map_err(|e| ApiError::internal(format!("encoding metrics: {e}")))?;
    let content_type = HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// This OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "system", responses(
    (status = 200, description = "The OpenAPI document", body = Object, content_type = "application/json"),
))]
async fn openapi(State(state): State<SystemState>) -> Result<Response, ApiError> {
    let document = state.document.get().ok_or_else(|| ApiError::internal("document not assembled"))?;
    let content_type = HeaderValue::from_static("application/json");
    Ok(([(header::CONTENT_TYPE, content_type)], document.clone()).into_response())
}
