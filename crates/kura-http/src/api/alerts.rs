//! Alerts: the stored alerts, the anomaly rules, canary-hit reports (the webhook a mail-drop service, phone
//! system or mail server calls) and honey records. The vault decides who may do what, and logs it.

use axum::extract::State;
use http::StatusCode;
use kura::vault::alerts::{Alert, CanaryHit};
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
        .routes(routes!(list))
        .routes(routes!(rules, set_rules))
        .routes(routes!(canary_hit))
        .routes(routes!(plant_honey))
        .with_state(state)
}

/// An alert (no personal values: counts, limits, times, principals, export ids).
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertOut {
    /// Id.
    pub id: String,
    /// The rule that fired: `read_rate_minute`, `read_rate_hour`, `read_rate_day`, `own_history`,
    /// `team_baseline`, `off_hours`, `denied_burst`, `download_after_expiry`, `honey`, `canary_hit`, `break_glass` or
    /// `incident_deadline`.
    pub rule: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The principal it is about (for a canary hit, the export's requester).
    pub principal: String,
    /// When (Unix seconds).
    pub at: i64,
    /// What happened.
    pub detail: String,
    /// Whether the principal was suspended because of it.
    pub suspended: bool,
    /// The export, for canary hits.
    pub export: Option<String>,
    /// A note for the reviewers kept only in the sealed alert (a break-glass reason).
    pub note: Option<String>,
}

/// The serde name of a library enum value (`canary_hit`, `critical`).
pub(super) fn name(v: impl Serialize) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl From<Alert> for AlertOut {
    fn from(a: Alert) -> AlertOut {
        AlertOut {
            rule: name(a.rule),
            severity: name(a.severity),
            id: a.id,
            principal: a.principal,
            at: a.at,
            detail: a.detail,
            suspended: a.suspended,
            export: a.export,
            note: a.note,
        }
    }
}

/// Every stored alert, newest first (security officers and auditors; logged).
#[utoipa::path(get, path = "/v1/alerts", tag = "alerts", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The alerts", body = Vec<AlertOut>), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn list(State(s): State<ApiState>, caller: Caller, purpose: Purpose) -> Result<Json<Vec<AlertOut>>, ApiError> {
    let all = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.alerts(&a)?)
    })
    .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// The anomaly rules as TOML.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The rules (TOML; empty means the defaults). See `kura::alerts::rules::Config` for the keys.
    pub rules: String,
}

/// The anomaly rules in force (administrators, auditors and security officers; the read is logged).
#[utoipa::path(get, path = "/v1/alerts/rules", tag = "alerts", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The rules", body = Rules), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn rules(State(s): State<ApiState>, caller: Caller, purpose: Purpose) -> Result<Json<Rules>, ApiError> {
    blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(Json(Rules { rules: s.vault.alert_rules(&a)? }))
    })
    .await
}

/// Replaces the anomaly rules (administrators and security officers; validated first, logged).
#[utoipa::path(put, path = "/v1/alerts/rules", tag = "alerts", params(PurposeHeaders), request_body = Rules,
    security(("bearer" = [])),
    responses((status = 200, description = "In force", body = Rules),
        (status = 400, description = "The rules are not valid (`invalid_rules`)", body = crate::ErrorResponse),
        AuthResponses, BodyResponses, PurposeResponses, VaultResponses))]
async fn set_rules(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    Json(body): Json<Rules>,
) -> Result<Json<Rules>, ApiError> {
    blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        s.vault.set_alert_rules(&a, &body.rules).map_err(|e| match e {
            kura::vault::alerts::AlertError::Invalid(m) => ApiError::bad_request("invalid_rules", without_source(&m)),
            other => other.into(),
        })?;
        Ok(Json(body))
    })
    .await
}

/// A TOML error without the quoted source lines (`1 | text`, `  |   ^`) and with quoted strings elided (`invalid
/// type: string "…"`) and unknown keys (`unknown field`): the position and the reason stay, the text sent does
/// not come back.
fn without_source(message: &str) -> String {
    let mut kept = message.lines().filter(|l| !l.contains('|') && !l.trim().is_empty()).collect::<Vec<_>>().join("; ");
    const UNKNOWN: &str = "unknown field `";
    if let Some(start) = kept.find(UNKNOWN) {
        let key = start + UNKNOWN.len();
        if let Some(end) = kept.get(key..).and_then(|rest| rest.find('`')) {
            kept.replace_range(start + UNKNOWN.len() - 2..key + end + 1, "");
        }
    }
    let mut out = String::with_capacity(kept.len());
    let mut quoted = false;
    for c in kept.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…");
            }
            quoted = !quoted;
        }
        if !quoted && c != '"' {
            out.push(c);
        }
    }
    out
}

/// A report that mail, a call or an e-mail reached a contact point.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CanaryHitReport {
    /// The phone number, e-mail address or postal address as it reached us (any notation).
    #[schema(min_length = 1, max_length = 1024)]
    pub contact: String,
    /// How it arrived: `mail`, `phone`, `email`, … (at most 64 bytes).
    #[schema(min_length = 1, max_length = 64)]
    pub channel: String,
    /// A reference for the log (e.g. the carrier's tracking number; one line, at most 512 bytes).
    #[serde(default)]
    #[schema(max_length = 512, pattern = "^[^\\r\\n]*$")]
    pub note: String,
}

/// What the vault made of a canary hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct CanaryHitOut {
    /// The canary whose contact point was reached.
    pub canary: String,
    /// The export it was placed in (or the honey batch, `honey:…`).
    pub export: String,
    /// Which kind of contact point (phone, e-mail, mail drop, card).
    pub contact: String,
    /// The export's requester.
    pub requester: Option<String>,
    /// Who approved the export.
    pub approver: Option<String>,
    /// The alert raised.
    pub alert: AlertOut,
}

impl From<CanaryHit> for CanaryHitOut {
    fn from(h: CanaryHit) -> CanaryHitOut {
        CanaryHitOut {
            canary: h.canary,
            export: h.export,
            contact: h.contact,
            requester: h.requester,
            approver: h.approver,
            alert: h.alert.into(),
        }
    }
}

/// Reports that mail, a call or an e-mail reached a contact point (security officers, or a service with
/// `audit:read` acting for one). A canary's names its export at once, raises an alert against the export's
/// requester and, under the default rules, suspends them. Any other contact point is 404, without saying more.
#[utoipa::path(post, path = "/v1/canary-hits", tag = "alerts", params(PurposeHeaders), request_body = CanaryHitReport,
    security(("bearer" = [])),
    responses((status = 201, description = "A canary's: the export and the alert", body = CanaryHitOut),
        (status = 400, description = "Channel or note too long, or the note has a line break (`invalid_request`)",
            body = crate::ErrorResponse),
        AuthResponses, BodyResponses, PurposeResponses, VaultResponses))]
async fn canary_hit(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    Json(body): Json<CanaryHitReport>,
) -> Result<(StatusCode, Json<CanaryHitOut>), ApiError> {
    let hit = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.canary_hit(&a, &body.contact, &body.channel, &body.note)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(hit.into())))
}

/// How many honey records to plant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHoney {
    /// 1 to 1000.
    #[schema(minimum = 1, maximum = 1000)]
    pub count: usize,
}

/// How many honey records were planted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Planted {
    /// Records written.
    pub planted: usize,
}

/// Plants honey records (administrators): synthetic people imitating the collection's rows, with contact points
/// from the canary pools. Any read, search or export that touches one raises an alert.
#[utoipa::path(post, path = "/v1/collections/{collection}/honey", tag = "alerts",
    params(("collection" = String, Path, description = "Collection"), PurposeHeaders), request_body = NewHoney,
    security(("bearer" = [])),
    responses((status = 201, description = "Planted", body = Planted),
        (status = 400, description = "A count out of range, or nothing to imitate (`invalid_request`)",
            body = crate::ErrorResponse),
        AuthResponses, BodyResponses, PurposeResponses, VaultResponses))]
async fn plant_honey(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<NewHoney>,
) -> Result<(StatusCode, Json<Planted>), ApiError> {
    let collection = p.get("collection")?.to_owned();
    let planted = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        s.vault.plant_honey(&a, &collection, body.count).map_err(ApiError::from)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Planted { planted })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_lose_their_source_lines() {
        let e = kura::alerts::rules::Config::from_toml("[read_rate]\nper_minute = \"secret-ish\"\n").err();
        let m = without_source(&e.map(|e| e.to_string()).unwrap_or_default());
        assert!(!m.is_empty() && !m.contains("per_minute = ") && !m.contains("secret"), "{m}");
        assert!(m.contains("line 2"), "{m}");
    }
}
