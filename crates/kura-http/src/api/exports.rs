//! Governed exports: request, approve or deny (a second person), download the file, attest disposal.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::response::IntoResponse;
use http::{header, HeaderValue, StatusCode};
use kura::vault::exports::{Export, ExportError, ExportSpec, Format};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::errors::VaultResponses;
use super::{access, blocking, ApiState, Params, PurposeHeaders};
use crate::auth::{Caller, Purpose};
use crate::error::{AuthResponses, BodyResponses, PurposeResponses};
use crate::{ApiError, Json};

pub(super) fn routes(state: ApiState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list, request))
        .routes(routes!(approve))
        .routes(routes!(deny))
        .routes(routes!(download))
        .routes(routes!(dispose))
        .with_state(state)
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> ApiError {
        match e {
            ExportError::Denied(_) => ApiError::new(StatusCode::FORBIDDEN, "denied", e.to_string()),
            ExportError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_export", e.to_string()),
            ExportError::Render(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_renderable", e.to_string()),
            ExportError::Unknown => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            ExportError::State(_) => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            ExportError::Read(r) => r.into(),
            ExportError::Principal(p) => p.into(),
            ExportError::Log(_) => ApiError::unavailable(e.to_string()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

/// An export request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExport {
    /// Collection.
    pub collection: String,
    /// Client companies whose records are exported (at least one).
    #[schema(min_items = 1)]
    pub companies: Vec<String>,
    /// Departments to keep (empty: all).
    #[serde(default)]
    pub departments: Vec<String>,
    /// Record ids (UUIDs) to keep (empty: every record of the companies and departments).
    #[serde(default)]
    #[schema(max_items = 100000)]
    pub records: Vec<String>,
    /// Fields in output order.
    #[schema(min_items = 1)]
    pub fields: Vec<String>,
    /// `csv-utf8`, `csv-shift-jis`, `xlsx` or `labels`.
    #[schema(pattern = "^(csv-utf8|csv-shift-jis|xlsx|labels)$")]
    pub format: String,
    /// Who receives it (a reference).
    pub recipient: String,
    /// Days until it expires (1 to 90).
    #[schema(minimum = 1, maximum = 90)]
    pub expires_days: u32,
    /// Downloads allowed (1 to 10).
    #[schema(minimum = 1, maximum = 10)]
    pub max_downloads: u32,
    /// Days after expiry by which disposal must be attested (1 to 90).
    #[schema(minimum = 1, maximum = 90)]
    pub dispose_within_days: u32,
    /// Canary records mixed into the file (1 to 20; default 1).
    #[schema(minimum = 1, maximum = 20)]
    pub canaries: Option<u32>,
}

/// An export and its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportOut {
    /// Id.
    pub id: String,
    /// `requested`, `approved`, `denied` or `disposed`.
    pub state: String,
    /// Collection.
    pub collection: String,
    /// Number of selected companies.
    pub companies: usize,
    /// Fields.
    pub fields: Vec<String>,
    /// Format.
    pub format: String,
    /// Recipient.
    pub recipient: String,
    /// Requester.
    pub requester: String,
    /// Purpose.
    pub purpose: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
    /// Downloads so far.
    pub downloads: usize,
    /// Downloads allowed.
    pub max_downloads: u32,
    /// Disposal due (Unix seconds).
    pub dispose_by: i64,
}

/// A format by the name a request body gives it.
pub(super) fn format(name: &str) -> Result<Format, ApiError> {
    match name {
        "csv-utf8" => Ok(Format::CsvUtf8),
        "csv-shift-jis" => Ok(Format::CsvShiftJis),
        "xlsx" => Ok(Format::Xlsx),
        "labels" => Ok(Format::Labels),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "`format` must be csv-utf8, csv-shift-jis, xlsx or labels",
        )),
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::CsvUtf8 => "csv-utf8",
        Format::CsvShiftJis => "csv-shift-jis",
        Format::Xlsx => "xlsx",
        Format::Labels => "labels",
    }
}

impl From<Export> for ExportOut {
    fn from(e: Export) -> ExportOut {
        ExportOut {
            state: format!("{:?}", e.state).to_lowercase(),
            collection: e.spec.collection.clone(),
            companies: e.spec.companies.len(),
            fields: e.spec.fields.clone(),
            format: format_name(e.spec.format).to_owned(),
            recipient: e.spec.recipient.clone(),
            requester: e.requester.clone(),
            purpose: e.purpose.clone(),
            decided_by: e.decided_by.clone(),
            expires_at: e.spec.expires_at,
            downloads: e.downloads.len(),
            max_downloads: e.spec.max_downloads,
            dispose_by: e.dispose_by(),
            id: e.id,
        }
    }
}

/// Requests an export (decided by the policy: `export` on every field for every selected company).
#[utoipa::path(post, path = "/v1/exports", tag = "exports", params(PurposeHeaders), request_body = NewExport,
    security(("bearer" = [])),
    responses((status = 201, description = "Requested", body = ExportOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn request(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    Json(body): Json<NewExport>,
) -> Result<impl IntoResponse, ApiError> {
    let format = format(&body.format)?;
    let mut records = BTreeSet::new();
    for r in &body.records {
        let id = r.parse::<kura::RecordId>().map_err(|_| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "`records` holds ids that are not UUIDs")
        })?;
        records.insert(id);
    }
    let spec = ExportSpec {
        collection: body.collection,
        companies: body.companies.into_iter().collect::<BTreeSet<_>>(),
        departments: body.departments.into_iter().collect(),
        records,
        fields: body.fields,
        format,
        recipient: body.recipient,
        expires_at: kura::store::now() + i64::from(body.expires_days) * 86_400,
        max_downloads: body.max_downloads,
        dispose_within_days: body.dispose_within_days,
        canaries: body.canaries.unwrap_or(1),
    };
    let e = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.request_export(&a, &spec)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(ExportOut::from(e))))
}

/// Exports: all for supervisors, security officers, auditors and administrators; otherwise the caller's own.
#[utoipa::path(get, path = "/v1/exports", tag = "exports", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The exports", body = Vec<ExportOut>), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn list(State(s): State<ApiState>, caller: Caller, purpose: Purpose) -> Result<Json<Vec<ExportOut>>, ApiError> {
    let all = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.exports(&a)?)
    })
    .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Approves a requested export (a supervisor other than the requester).
#[utoipa::path(post, path = "/v1/exports/{id}/approve", tag = "exports",
    params(("id" = String, Path, description = "Export id"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "Approved", body = ExportOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn approve(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<ExportOut>, ApiError> {
    step(s, caller, purpose, p, |v, a, id| v.decide_export(a, id, true, "")).await
}

/// One workflow step on the export named in the path, as the caller, on a blocking thread.
async fn step(
    s: ApiState,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    f: impl FnOnce(&kura::Vault, &kura::Access, &str) -> Result<Export, ExportError> + Send + 'static,
) -> Result<Json<ExportOut>, ApiError> {
    let id = p.get("id")?.to_owned();
    let e = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(f(&s.vault, &a, &id)?)
    })
    .await?;
    Ok(Json(e.into()))
}

/// Why an export is denied.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Denial {
    /// A reference (e.g. a ticket), not free text.
    pub reason: String,
}

/// Denies a requested export.
#[utoipa::path(post, path = "/v1/exports/{id}/deny", tag = "exports",
    params(("id" = String, Path, description = "Export id"), PurposeHeaders), request_body = Denial,
    security(("bearer" = [])),
    responses((status = 200, description = "Denied", body = ExportOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn deny(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<Denial>,
) -> Result<Json<ExportOut>, ApiError> {
    step(s, caller, purpose, p, move |v, a, id| v.decide_export(a, id, false, &body.reason)).await
}

/// Downloads an approved export (its requester, before expiry, within the download count). The file's
/// SHA-256 is in the `Kura-Export-Digest` header and, with the manifest, in the access log.
#[utoipa::path(get, path = "/v1/exports/{id}/file", tag = "exports",
    params(("id" = String, Path, description = "Export id"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The file in the export's format", content(
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "application/pdf"))),
        AuthResponses, PurposeResponses, VaultResponses))]
async fn download(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<impl IntoResponse, ApiError> {
    let id = p.get("id")?.to_owned();
    let file = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.export_file(&a, &id, &kura::render::Options::default())?)
    })
    .await?;
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.media_type));
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"export-{}.{}\"", file.export.id, file.extension))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&file.digest) {
        headers.insert("kura-export-digest", v);
    }
    Ok(response)
}

/// Attests that every copy of a downloaded export was destroyed (its requester).
#[utoipa::path(post, path = "/v1/exports/{id}/disposal", tag = "exports",
    params(("id" = String, Path, description = "Export id"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "Disposal attested", body = ExportOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn dispose(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<ExportOut>, ApiError> {
    step(s, caller, purpose, p, |v, a, id| v.attest_disposal(a, id)).await
}
