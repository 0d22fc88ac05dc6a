//! The access log: who saw a person, what a principal did, signed checkpoints, inclusion proofs.

use axum::extract::State;
use http::StatusCode;
use kura::audit::Entry;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::errors::VaultResponses;
use super::{access, blocking, ApiState, Params, PurposeHeaders};
use crate::auth::{Caller, Purpose};
use crate::error::{AuthResponses, PurposeResponses};
use crate::{ApiError, Json};

pub(super) fn routes(state: ApiState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(who_saw))
        .routes(routes!(activity))
        .routes(routes!(checkpoint, sign))
        .routes(routes!(proof))
        .with_state(state)
}

/// An access-log entry (no personal values: people are named by keyed commitments).
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryOut {
    /// Index in the log.
    pub seq: u64,
    /// Unix milliseconds.
    pub time_ms: i64,
    /// Who.
    pub principal: String,
    /// What (`read`, `search`, `update`, …).
    pub action: String,
    /// Collection.
    pub collection: Option<String>,
    /// How many people it names.
    pub subjects: usize,
    /// Fields involved.
    pub fields: Vec<String>,
    /// Why.
    pub purpose: String,
    /// `allow`, `deny` or `fail`.
    pub outcome: String,
    /// From where.
    pub origin: String,
    /// Request id.
    pub request: String,
    /// Detail.
    pub detail: String,
}

impl From<Entry> for EntryOut {
    fn from(e: Entry) -> EntryOut {
        EntryOut {
            seq: e.seq,
            time_ms: e.time_ms,
            principal: e.principal,
            action: e.action.as_str().to_owned(),
            collection: e.collection,
            subjects: e.subjects.len(),
            fields: e.fields,
            purpose: e.purpose,
            outcome: format!("{:?}", e.outcome).to_lowercase(),
            origin: e.origin,
            request: e.request,
            detail: e.detail,
        }
    }
}

/// Every access to one person's record (auditors and security officers).
#[utoipa::path(get, path = "/v1/collections/{collection}/records/{id}/accesses", tag = "audit",
    params(("collection" = String, Path, description = "Collection"), ("id" = String, Path, description = "Record id"),
        PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The entries", body = Vec<EntryOut>), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn who_saw(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<Vec<EntryOut>>, ApiError> {
    let collection = p.get("collection")?.to_owned();
    let id = p.get("id")?.parse().map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record"))?;
    let entries = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.who_saw(&a, &collection, id)?)
    })
    .await?;
    Ok(Json(entries.into_iter().map(Into::into).collect()))
}

/// Everything one principal did (auditors and security officers).
#[utoipa::path(get, path = "/v1/principals/{name}/activity", tag = "audit",
    params(("name" = String, Path, description = "Login name"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The entries", body = Vec<EntryOut>), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn activity(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<Vec<EntryOut>>, ApiError> {
    let name = p.get("name")?.to_owned();
    let entries = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.activity(&a, &name, i64::MIN, i64::MAX)?)
    })
    .await?;
    Ok(Json(entries.into_iter().map(Into::into).collect()))
}

/// A signed checkpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointOut {
    /// Tree size.
    pub size: u64,
    /// The C2SP signed note.
    pub note: String,
}

/// The newest signed checkpoint of the access log (anyone signed in: it holds no personal data).
#[utoipa::path(get, path = "/v1/audit/checkpoint", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "The checkpoint", body = CheckpointOut),
        (status = 404, description = "Nothing signed yet (`not_found`)", body = crate::ErrorResponse), AuthResponses))]
async fn checkpoint(State(s): State<ApiState>, _caller: Caller) -> Result<Json<CheckpointOut>, ApiError> {
    let (size, note) = blocking(move || {
        kura::audit::proof::newest_checkpoint(s.vault.audit_log().store()).map_err(|e| match e {
            kura::audit::proof::Error::NoCheckpoint => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            other => ApiError::internal(other.to_string()),
        })
    })
    .await?;
    Ok(Json(CheckpointOut { size, note }))
}

/// Signs a checkpoint of the log as it is now (auditors and security officers; the server also signs
/// periodically). The signer refuses a log that is not an extension of what it signed before.
#[utoipa::path(post, path = "/v1/audit/checkpoint", tag = "audit", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 201, description = "Signed", body = CheckpointOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn sign(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
) -> Result<(StatusCode, Json<CheckpointOut>), ApiError> {
    let out = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        s.vault.log_access(&a, "checkpoint requested")?;
        let dir = s.signer_dir.as_ref().ok_or_else(|| ApiError::unavailable("this server has no checkpoint signer"))?;
        let signer = s.vault.signer(dir).map_err(|e| ApiError::unavailable(e.to_string()))?;
        let (cp, note) = signer.sign(s.vault.audit_log().store()).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(CheckpointOut { size: cp.size, note })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// An inclusion proof.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProofOut {
    /// The log's origin.
    pub log: String,
    /// The entry's index.
    pub index: u64,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// RFC 6962 leaf hash, base64.
    pub leaf_hash: String,
    /// The entry (JSON, no personal values).
    pub entry: String,
    /// Audit path, base64.
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint.
    pub checkpoint: String,
}

impl From<kura::audit::proof::Proof> for ProofOut {
    fn from(p: kura::audit::proof::Proof) -> ProofOut {
        ProofOut {
            log: p.log,
            index: p.index,
            tree_size: p.tree_size,
            leaf_hash: p.leaf_hash,
            entry: p.entry,
            inclusion_proof: p.inclusion_proof,
            checkpoint: p.checkpoint,
        }
    }
}

/// A proof that entry `seq` is in the log of the newest signed checkpoint, checkable offline with the
/// verifier key (`kura audit check-proof`). Auditors and security officers.
#[utoipa::path(get, path = "/v1/audit/entries/{seq}/proof", tag = "audit",
    params(("seq" = u64, Path, description = "Entry index"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The proof", body = ProofOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn proof(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<ProofOut>, ApiError> {
    let seq: u64 =
        p.get("seq")?.parse().map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such entry"))?;
    let out = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        s.vault.log_access(&a, &format!("inclusion proof of entry {seq}"))?;
        kura::audit::proof::prove(s.vault.audit_log().store(), seq).map_err(|e| match e {
            kura::audit::proof::Error::NoCheckpoint | kura::audit::proof::Error::NotCovered(..) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            other => ApiError::internal(other.to_string()),
        })
    })
    .await?;
    Ok(Json(out.into()))
}
