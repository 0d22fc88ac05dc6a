//! The access policy: the version in force, its history, and changing it.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::errors::VaultResponses;
use super::{access, blocking, ApiState, PurposeHeaders};
use crate::auth::{Caller, Purpose};
use crate::error::{AuthResponses, BodyResponses, PurposeResponses};
use crate::{ApiError, Json};

pub(super) fn routes(state: ApiState) -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(active, replace)).routes(routes!(history)).with_state(state)
}

/// A policy version.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyOut {
    /// Version (0: the default policy shipped with kura).
    pub version: u64,
    /// SHA-256 of the text, hex.
    pub sha256: String,
    /// The Cedar text (omitted in the history).
    pub text: Option<String>,
}

/// The policy in force (administrators, auditors and security officers).
#[utoipa::path(get, path = "/v1/policy", tag = "policy", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The policy in force", body = PolicyOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn active(State(s): State<ApiState>, caller: Caller, purpose: Purpose) -> Result<Json<PolicyOut>, ApiError> {
    let out = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let history = s.vault.policy_history(&a)?;
        let active = s.vault.active_policy()?;
        let text = if active.version == 0 {
            kura::policy::DEFAULT_POLICY.to_owned()
        } else {
            history.into_iter().find(|v| v.version == active.version).map(|v| v.text).unwrap_or_default()
        };
        Ok(PolicyOut { version: active.version, sha256: active.digest.clone(), text: Some(text) })
    })
    .await?;
    Ok(Json(out))
}

/// Every stored version, oldest first (administrators, auditors and security officers).
#[utoipa::path(get, path = "/v1/policy/versions", tag = "policy", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The versions", body = Vec<PolicyOut>), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn history(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
) -> Result<Json<Vec<PolicyOut>>, ApiError> {
    let out = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.policy_history(&a)?)
    })
    .await?;
    Ok(Json(out.into_iter().map(|v| PolicyOut { version: v.version, sha256: v.digest, text: None }).collect()))
}

/// A new policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicy {
    /// Cedar policy text, validated against kura's schema before it takes effect.
    pub text: String,
}

/// Replaces the policy (administrators): validated first, announced in the log, stored as the next version.
#[utoipa::path(put, path = "/v1/policy", tag = "policy", params(PurposeHeaders), request_body = NewPolicy,
    security(("bearer" = [])),
    responses((status = 200, description = "In force", body = PolicyOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn replace(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    Json(body): Json<NewPolicy>,
) -> Result<Json<PolicyOut>, ApiError> {
    caller.require_scope("principals:admin")?;
    let out = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let version = s.vault.set_policy(&a, &body.text)?;
        let active = s.vault.active_policy()?;
        Ok(PolicyOut { version, sha256: active.digest.clone(), text: None })
    })
    .await?;
    Ok(Json(out))
}
