//! The vault's HTTP API: records, sessions, principals and tokens, policies, audit queries, proofs and
//! checkpoints, exports, leak tracing, alerts, canary-hit reports, honey records, the service desk's orders and incident response. Handlers hold no rules: each builds an [`kura::Access`] for the authenticated principal (its
//! stored attributes, the request's purpose, the token's scopes) and calls the [`Vault`], which decides, logs
//! and answers. Vault calls block (the log is durable before data leaves), so they run on blocking threads.

mod alerts;
mod audit;
mod errors;
mod exports;
mod incidents;
mod orders;
mod policy;
mod principals;
mod records;
mod trace;

use std::path::PathBuf;

pub use incidents::{watch_deadlines, DEADLINE_CHECK_EVERY};
use std::sync::Arc;
pub use trace::BODY_LIMIT_BYTES as TRACE_BODY_LIMIT_BYTES;

use kura::Vault;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{AuthFailure, Authenticator, Caller, Identity, Purpose};
use crate::ApiError;

/// What every handler shares: the vault and where its checkpoint signer lives.
#[derive(Debug, Clone)]
pub struct ApiState {
    vault: Arc<Vault>,
    signer_dir: Option<Arc<PathBuf>>,
}

impl ApiState {
    /// The state for `vault`; `signer_dir` is the vault directory holding the checkpoint signer (without it,
    /// `POST /v1/audit/checkpoint` answers 503).
    pub fn new(vault: Arc<Vault>, signer_dir: Option<PathBuf>) -> ApiState {
        ApiState { vault, signer_dir: signer_dir.map(Arc::new) }
    }

    /// The vault.
    pub fn vault(&self) -> &Arc<Vault> {
        &self.vault
    }
}

/// Every route of the vault's API, documented.
pub fn routes(state: ApiState) -> OpenApiRouter {
    OpenApiRouter::new()
        .merge(records::routes(state.clone()))
        .merge(principals::routes(state.clone()))
        .merge(policy::routes(state.clone()))
        .merge(audit::routes(state.clone()))
        .merge(exports::routes(state.clone()))
        .merge(trace::routes(state.clone()))
        .merge(alerts::routes(state.clone()))
        .merge(orders::routes(state.clone()))
        .merge(incidents::routes(state))
}

/// Bearer tokens checked by the vault: services' API tokens and people's session tokens. Every check is
/// logged by the vault (the server caches accepted tokens briefly, see `auth_cache_ttl_secs`).
#[derive(Debug, Clone)]
pub struct VaultTokens(pub Arc<Vault>);

impl Authenticator for VaultTokens {
    fn authenticate(&self, token: &str, origin: &str) -> Result<Identity, AuthFailure> {
        match self.0.authenticate_token(token, &format!("http:{origin}")) {
            Ok((who, scopes)) => Ok(Identity { name: who.name, scopes }),
            Err(kura::vault::principals::AuthError::Principal(e)) => Err(AuthFailure::Unavailable(e.to_string())),
            Err(_) => Err(AuthFailure::Refused),
        }
    }
}

/// The access of an authenticated caller for a purpose: the principal as stored now (a suspension takes
/// effect at once), the purpose and its kind, and the token's scopes.
fn access(vault: &Vault, caller: &Caller, purpose: &Purpose) -> Result<kura::Access, ApiError> {
    let a = vault.access(&caller.identity.name, &purpose.reference, &format!("http:{}", caller.origin))?;
    let a = match &purpose.kind {
        Some(kind) => a.with_kind(kind).map_err(|e| ApiError::bad_request("invalid_purpose", e.to_string()))?,
        None => a,
    };
    Ok(a.with_scopes(caller.identity.scopes.clone()))
}

/// The purpose headers as the vault accepts them, for `params(PurposeHeaders)` in the API's operations.
///
/// [`Purpose`] checks and documents a header's form; the vault is stricter about the kind (1 to 32 lower-case
/// letters or `-`, see [`kura::Access::with_kind`]), and a kind the document allowed but the vault refused
/// would be a 400 for a request the document calls valid. The reference's rule is the same on both sides.
#[derive(Debug)]
pub(crate) struct PurposeHeaders;

/// The vault's rule for a purpose kind.
const VAULT_KIND_PATTERN: &str = "^[a-z-]+$";
const VAULT_KIND_MAX: usize = 32;

impl utoipa::IntoParams for PurposeHeaders {
    fn into_params(
        parameter_in: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::{RefOr, Schema};
        let mut params = <Purpose as utoipa::IntoParams>::into_params(parameter_in);
        for param in params.iter_mut().filter(|p| p.name.eq_ignore_ascii_case(crate::auth::PURPOSE_KIND_HEADER)) {
            if let Some(RefOr::T(Schema::Object(schema))) = param.schema.as_mut() {
                schema.pattern = Some(VAULT_KIND_PATTERN.to_owned());
                schema.max_length = Some(VAULT_KIND_MAX);
            }
        }
        params
    }
}

/// The path's parameters, percent-decoded; a path that does not decode is a clean 400.
#[derive(Debug)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Result<&str, ApiError> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::internal(format!("route has no parameter `{name}`")))
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Params, ApiError> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("invalid_path", "the path does not decode as UTF-8"))?;
        Ok(Params(raw.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()))
    }
}

/// The client's address, for the sign-in log (no token needed).
#[derive(Debug)]
pub(crate) struct Origin(String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Origin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Origin, ApiError> {
        Ok(Origin(crate::auth::origin(parts)))
    }
}

/// Runs a vault call on a blocking thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| ApiError::internal("a vault call panicked"))?
}
