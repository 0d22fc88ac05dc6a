//! The HTTP face of kura: everything a server needs around the vault's routes.
//!
//! - [`Config`]: listen address, TLS, limits, timeouts (TOML file + `KURA_HTTP_*` variables).
//! - [`app`]: wraps the application's routes with the server's own (`/health`, `/ready`, `/metrics`,
//!   `/openapi.json`), JSON errors for unknown routes and methods, panics turned into a JSON 500, request
//!   ids, body limits, timeouts, security headers, request logs and metrics.
//! - [`serve`]: plain TCP or TLS (rustls), graceful shutdown.
//! - [`Json`], [`ApiError`]: one JSON error shape; malformed input is a 4xx that never echoes the body.
//! - [`auth::Caller`], [`auth::Purpose`]: bearer tokens checked by the application's [`Authenticator`]
//!   (cached briefly), per-principal rate limits, scope checks, purpose headers.
//! - [`webhook`]: the vault's alerts POSTed to `alert_webhook` from a background thread.
//!
//! The server holds no rules of its own: routes call the vault, which decides and logs.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use kura_http::{auth, Config, Hooks};
//! struct Tokens;
//! impl auth::Authenticator for Tokens {
//!     fn authenticate(&self, _token: &str, _origin: &str) -> Result<auth::Identity, auth::AuthFailure> {
//!         Err(auth::AuthFailure::Refused)
//!     }
//! }
//! let config = Config::load(None)?;
//! let routes = utoipa_axum::router::OpenApiRouter::new(); // .routes(routes!(handler)) for each resource
//! let router = kura_http::app(routes, &config, Hooks::new(Tokens));
//! kura_http::serve(router, &config, kura_http::shutdown_signal()).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod json;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod rate;
mod serve;
mod system;
pub mod webhook;

use std::sync::{Arc, OnceLock};

use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use http::StatusCode;
use prometheus_client::registry::Registry;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use auth::{AuthFailure, Authenticator, Caller, Identity, Purpose};
pub use config::{Config, ConfigError};
pub use error::{ApiError, ErrorResponse};
pub use json::Json;
pub use metrics::Metrics;
pub use observe::RequestId;
pub use openapi::ApiDoc;
pub use serve::{bind, serve, shutdown_signal, Listener, ServeError};
pub use system::{Readiness, Status};

/// What the embedding application supplies to [`app`].
pub struct Hooks {
    authenticator: Arc<dyn Authenticator>,
    readiness: Arc<dyn Readiness>,
    registry: Registry,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

impl Hooks {
    /// Hooks with the token check; always ready, no metrics of the application's own.
    pub fn new(authenticator: impl Authenticator) -> Hooks {
        Hooks { authenticator: Arc::new(authenticator), readiness: Arc::new(|| true), registry: Registry::default() }
    }

    /// The readiness check behind `GET /ready`.
    #[must_use]
    pub fn readiness(mut self, readiness: impl Readiness) -> Hooks {
        self.readiness = Arc::new(readiness);
        self
    }

    /// A registry holding the application's own metrics, served with the server's at `GET /metrics`.
    #[must_use]
    pub fn registry(mut self, registry: Registry) -> Hooks {
        self.registry = registry;
        self
    }
}

/// The router to [`serve`]: the application's `routes` (registered with `routes!`, so they are documented),
/// the server's own routes, and every layer described in the crate documentation.
pub fn app(routes: OpenApiRouter, config: &Config, hooks: Hooks) -> Router {
    let metrics = Arc::new(Metrics::new(hooks.registry));
    let document = Arc::new(OnceLock::new());
    let state = system::SystemState {
        metrics: Arc::clone(&metrics),
        readiness: hooks.readiness,
        document: Arc::clone(&document),
    };
    let (router, doc) = assemble(routes, state);
    // Serialising a document built from types cannot fail; should it, `/openapi.json` answers 500.
    if let Ok(json) = doc.to_pretty_json() {
        let _ = document.set(json);
    }
    let gate =
        Arc::new(auth::Gate::new(hooks.authenticator, config.auth_cache_ttl(), rate::RateLimiter::from_config(config)));
    let observer = Arc::new(observe::Observer { metrics, timeout: config.request_timeout(), hsts: config.tls() });
    router
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panicked))
        .layer(Extension(gate))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(axum::middleware::from_fn_with_state(observer, observe::middleware))
}

/// The OpenAPI document of `routes` together with the server's own routes (what `GET /openapi.json`
/// serves), e.g. to write it to a file.
pub fn document(routes: OpenApiRouter) -> utoipa::openapi::OpenApi {
    let state = system::SystemState {
        metrics: Arc::new(Metrics::default()),
        readiness: Arc::new(|| true),
        document: Arc::new(OnceLock::new()),
    };
    assemble(routes, state).1
}

fn assemble(routes: OpenApiRouter, state: system::SystemState) -> (Router, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(system::routes(state)).merge(routes).split_for_parts()
}

/// The code of a 404 for a path no route matches (a handler's own 404 is `not_found`).
pub const NO_ROUTE: &str = "no_route";

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, NO_ROUTE, "no such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

fn panicked(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The payload is not logged: a panic message may quote a value.
    ApiError::internal("a handler panicked").into_response()
}
