//! The OpenAPI 3.1 document, assembled from `#[utoipa::path]` annotations by `utoipa-axum`.
//!
//! Routes are registered with `OpenApiRouter::routes(routes!(handler))`, which adds the handler to the axum
//! router *and* its annotation to the document in one call, so the served API and the document cannot
//! drift. [`operations`] lists the documented (method, path) pairs, so a test can call each one and check it
//! is routed (the integration tests do this for every route).

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorDetail, ErrorResponse};

/// The name of the bearer-token security scheme, for `security(("bearer" = []))` in annotations.
pub const BEARER: &str = "bearer";

/// The document's skeleton: title, shared schemas, the bearer scheme. Paths come from the routers.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "kura",
        description = "kura, a personal-data vault. Every error has the shape `{\"error\": {\"code\", \"message\", \"request_id\"}}`."
    ),
    components(schemas(ErrorResponse, ErrorDetail)),
    modifiers(&BearerScheme),
    tags((name = "system", description = "Liveness, readiness, metrics and this document"))
)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(BEARER, SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// Every documented operation as (method in upper case, path template), sorted.
pub fn operations(doc: &Document) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("PUT", item.put.is_some()),
            ("POST", item.post.is_some()),
            ("DELETE", item.delete.is_some()),
            ("OPTIONS", item.options.is_some()),
            ("HEAD", item.head.is_some()),
            ("PATCH", item.patch.is_some()),
            ("TRACE", item.trace.is_some()),
        ];
        out.extend(methods.iter().filter(|(_, present)| *present).map(|(m, _)| ((*m).to_owned(), path.clone())));
    }
    out.sort();
    out
}
