//! Records: create (or replace by external id), read, search, update, erase; collections.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::IntoResponse;
use http::StatusCode;
use kura::policy::Visibility;
use kura::vault::{CardView, EraseReport, Record};
use kura::RecordId;
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
        .routes(routes!(collections))
        .routes(routes!(create))
        .routes(routes!(get, update, erase))
        .routes(routes!(search))
        .with_state(state)
}

/// A field as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldOut {
    /// The value: plain, masked by the vault, or null when hidden or empty.
    pub value: Option<String>,
    /// How the policy let it out: `plain`, `masked` or `hidden`.
    #[schema(pattern = "^(plain|masked|hidden)$")]
    pub shown: String,
}

/// A record as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordOut {
    /// The record id.
    pub id: String,
    /// Every field of the collection, by name.
    pub fields: BTreeMap<String, FieldOut>,
}

fn shown(v: Visibility) -> &'static str {
    match v {
        Visibility::Plain => "plain",
        Visibility::Masked => "masked",
        Visibility::Hidden => "hidden",
    }
}

impl From<Record> for RecordOut {
    fn from(r: Record) -> RecordOut {
        RecordOut {
            id: r.id.to_string(),
            fields: r
                .fields
                .into_iter()
                .map(|f| {
                    (
                        f.name,
                        FieldOut { value: f.value.map(|v| v.expose().to_owned()), shown: shown(f.shown).to_owned() },
                    )
                })
                .collect(),
        }
    }
}

/// A field of a collection's schema.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldInfo {
    /// Name.
    pub name: String,
    /// Type (`phone`, `jp_address`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it can be searched by exact match.
    pub searchable: bool,
}

/// A collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionInfo {
    /// Name.
    pub name: String,
    /// Its fields in order.
    pub fields: Vec<FieldInfo>,
}

/// The collections and their fields (no data).
#[utoipa::path(get, path = "/v1/collections", tag = "records", security(("bearer" = [])),
    responses((status = 200, description = "The collections", body = Vec<CollectionInfo>), AuthResponses))]
async fn collections(State(s): State<ApiState>, _caller: Caller) -> Json<Vec<CollectionInfo>> {
    Json(
        s.vault
            .collections()
            .into_iter()
            .map(|c| CollectionInfo {
                name: c.name,
                fields: c
                    .fields
                    .iter()
                    .map(|f| FieldInfo {
                        name: f.name.clone(),
                        kind: f.kind.as_str().to_owned(),
                        searchable: f.indexed(),
                    })
                    .collect(),
            })
            .collect(),
    )
}

/// A new record (or the replacement of the record with the same external id).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    /// Field name → value, in any notation the field type accepts; the vault validates and normalises.
    pub values: BTreeMap<String, String>,
}

/// What a create did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The record id.
    pub id: String,
    /// `false` when a record with the same external id was replaced.
    pub created: bool,
}

fn collection_of(p: &Params) -> Result<String, ApiError> {
    Ok(p.get("collection")?.to_owned())
}

fn record_id(p: &Params) -> Result<RecordId, ApiError> {
    p.get("id")?.parse().map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record"))
}

/// Creates a record, or replaces the record with the same external id. Validated and normalised like an
/// import; problems name the field, never the value.
#[utoipa::path(post, path = "/v1/collections/{collection}/records", tag = "records",
    params(("collection" = String, Path, description = "Collection"), PurposeHeaders), request_body = NewRecord,
    security(("bearer" = [])),
    responses((status = 201, description = "Stored", body = Created), AuthResponses, BodyResponses, PurposeResponses,
        VaultResponses))]
async fn create(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<NewRecord>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_scope("records:write")?;
    let collection = collection_of(&p)?;
    let out = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let schema = s.vault.schema(&collection)?;
        for name in body.values.keys() {
            if schema.field(name).is_none() {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_values",
                    format!("collection `{collection}` has no field named like this one"),
                ));
            }
        }
        let raw: Vec<Option<&str>> =
            schema.fields.iter().map(|f| body.values.get(&f.name).map(String::as_str)).collect();
        let values = kura::vault::input::validate(&schema, &raw).map_err(|problems| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_values",
                problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            )
        })?;
        let w = s.vault.write(&a, &collection, vec![values], &mut |_| {})?;
        let id = w.ids.first().map(ToString::to_string).unwrap_or_default();
        Ok(Created { id, created: w.inserted == 1 })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

fn card_view(query: Option<&str>) -> Result<CardView, ApiError> {
    let mut view = CardView::Masked;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("card", "masked")) => view = CardView::Masked,
            Some(("card", "token")) => view = CardView::Token,
            Some(("card", "full")) => view = CardView::Full,
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    "the only query parameter is `card`: `masked`, `token` or `full`",
                ))
            }
        }
    }
    Ok(view)
}

/// Reads a record: each field plain, masked or hidden as the policy decides for the caller and purpose.
/// Logged before it is returned.
#[utoipa::path(get, path = "/v1/collections/{collection}/records/{id}", tag = "records",
    params(("collection" = String, Path, description = "Collection"), ("id" = String, Path, description = "Record id"),
        ("card" = Option<String>, Query, description = "Card numbers: `masked` (default), `token` or `full` (if the policy shows them in full)",
            pattern = "^(masked|token|full)$"),
        PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The record", body = RecordOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn get(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Json<RecordOut>, ApiError> {
    let view = card_view(query.as_deref())?;
    let collection = collection_of(&p)?;
    let id = record_id(&p)?;
    let r = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.get(&a, &collection, id, view)?)
    })
    .await?;
    Ok(Json(r.into()))
}

/// An exact-match search on a searchable field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// A searchable field.
    pub field: String,
    /// The value in any notation (`090-1234-5678` finds `+81 90 1234 5678`).
    pub value: String,
    /// At most this many records (default 20, at most 1000).
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Found records.
#[derive(Debug, Serialize, ToSchema)]
pub struct Found {
    /// The records the caller may see, each as the policy shows it.
    pub records: Vec<RecordOut>,
}

/// Finds records by exact match (normalised). Matches the caller may not see are withheld and logged as
/// `deny`; the answer does not say they exist.
#[utoipa::path(post, path = "/v1/collections/{collection}/search", tag = "records",
    params(("collection" = String, Path, description = "Collection"), PurposeHeaders), request_body = Search,
    security(("bearer" = [])),
    responses((status = 200, description = "The records", body = Found), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn search(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<Search>,
) -> Result<Json<Found>, ApiError> {
    let collection = collection_of(&p)?;
    let limit = body.limit.unwrap_or(20);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "`limit` must be 1 to 1000"));
    }
    let records = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.find(&a, &collection, &body.field, &body.value, limit as usize, CardView::Masked)?)
    })
    .await?;
    Ok(Json(Found { records: records.into_iter().map(Into::into).collect() }))
}

/// Changes to a record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    /// Field name → new value (null or "" clears an optional field); at least one.
    #[schema(schema_with = changes_schema)]
    pub set: BTreeMap<String, Option<String>>,
}

/// `set` as an object of nullable strings with at least one property (a change of nothing is refused).
fn changes_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
    let value = ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("Field name → new value (null or \"\" clears an optional field); at least one."))
        .additional_properties(Some(AdditionalProperties::RefOr(value.into())))
        .property_names(Some(ObjectBuilder::new().schema_type(Type::String)))
        .min_properties(Some(1))
        .build()
}

/// Changes fields of a record (validated like an import; decided per field by the policy).
#[utoipa::path(patch, path = "/v1/collections/{collection}/records/{id}", tag = "records",
    params(("collection" = String, Path, description = "Collection"), ("id" = String, Path, description = "Record id"),
        PurposeHeaders),
    request_body = Changes, security(("bearer" = [])),
    responses((status = 204, description = "Changed"), AuthResponses, BodyResponses, PurposeResponses,
        VaultResponses))]
async fn update(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<Changes>,
) -> Result<StatusCode, ApiError> {
    let collection = collection_of(&p)?;
    let id = record_id(&p)?;
    if body.set.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "`set` names no field"));
    }
    blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let changes: Vec<(String, Option<String>)> = body.set.into_iter().collect();
        Ok(s.vault.update(&a, &collection, id, &changes)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an erasure did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erased {
    /// The record id.
    pub id: String,
    /// `true`: destroyed now; `false`: it had been erased before (`at`).
    pub erased_now: bool,
    /// Fields that were stored (erased now).
    pub fields: Option<u64>,
    /// Blind-index entries removed (erased now).
    pub index_entries: Option<u64>,
    /// When it was erased before (Unix seconds).
    pub at: Option<i64>,
}

/// Erases a person: their key is destroyed (crypto-shredding), then their data and index entries.
#[utoipa::path(delete, path = "/v1/collections/{collection}/records/{id}", tag = "records",
    params(("collection" = String, Path, description = "Collection"), ("id" = String, Path, description = "Record id"),
        PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "Erased", body = Erased), AuthResponses, PurposeResponses, VaultResponses))]
async fn erase(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<Erased>, ApiError> {
    let collection = collection_of(&p)?;
    let id = record_id(&p)?;
    let report = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.erase(&a, &collection, id)?)
    })
    .await?;
    Ok(Json(match report {
        EraseReport::Erased { id, fields, index_entries } => Erased {
            id: id.to_string(),
            erased_now: true,
            fields: Some(fields as u64),
            index_entries: Some(index_entries as u64),
            at: None,
        },
        EraseReport::AlreadyErased { id, at } => {
            Erased { id: id.to_string(), erased_now: false, fields: None, index_entries: None, at: Some(at) }
        }
    }))
}
