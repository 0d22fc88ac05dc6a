//! The service desk: orders from client companies (take, list, show, assign, move, escalate), reads of an
//! order's people *through the order*, break-glass reads, and the switch that makes desk staff read only
//! through orders. The vault decides every step (the order's type, people, status, assignee and escalation,
//! intersected with the policy) and logs it; a read through an order is logged with the order id as purpose.

use axum::extract::State;
use axum::response::IntoResponse;
use http::{header, HeaderValue, StatusCode};
use kura::desk::order::{Escalation, Order, OrderId, OrderType, PartnerKind, Party, Priority, Status};
use kura::vault::desk::{Change, DeskError};
use kura::vault::CardView;
use kura::RecordId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::errors::VaultResponses;
use super::records::RecordOut;
use super::{access, blocking, ApiState, Params, PurposeHeaders};
use crate::auth::{Caller, Purpose};
use crate::error::{AuthResponses, BodyResponses, PurposeResponses};
use crate::{ApiError, Json};

pub(super) fn routes(state: ApiState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(import))
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(assign))
        .routes(routes!(status))
        .routes(routes!(escalate, end_escalation))
        .routes(routes!(read_person))
        .routes(routes!(break_glass))
        .routes(routes!(labels))
        .routes(routes!(require))
        .routes(routes!(desk_report))
        .routes(routes!(desk_chart))
        .with_state(state)
}

/// What a client company asks for.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// New lines for employees.
    NewLine,
    /// A new handset for an existing line.
    DeviceChange,
    /// A broken handset.
    Repair,
    /// Replacement battery packs shipped to employees.
    BatteryShipment,
    /// Lines to be cancelled.
    Cancellation,
    /// A change of delivery or billing address.
    AddressChange,
    /// A question.
    Inquiry,
}

impl From<OrderKind> for OrderType {
    fn from(k: OrderKind) -> OrderType {
        match k {
            OrderKind::NewLine => OrderType::NewLine,
            OrderKind::DeviceChange => OrderType::DeviceChange,
            OrderKind::Repair => OrderType::Repair,
            OrderKind::BatteryShipment => OrderType::BatteryShipment,
            OrderKind::Cancellation => OrderType::Cancellation,
            OrderKind::AddressChange => OrderType::AddressChange,
            OrderKind::Inquiry => OrderType::Inquiry,
        }
    }
}

/// How urgent an order is; with the type, it decides the SLA.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// No hurry.
    Low,
    /// The usual.
    #[default]
    Normal,
    /// Soon.
    High,
    /// Someone cannot work.
    Urgent,
}

impl From<Urgency> for Priority {
    fn from(u: Urgency) -> Priority {
        match u {
            Urgency::Low => Priority::Low,
            Urgency::Normal => Priority::Normal,
            Urgency::High => Priority::High,
            Urgency::Urgent => Priority::Urgent,
        }
    }
}

/// A status an order can be moved to.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Back to work (from received, escalated or waiting).
    InProgress,
    /// Handed on (prefer `POST …/escalation`, which names the party and the window).
    Escalated,
    /// Waiting for the client company.
    Waiting,
    /// Finished (final).
    Done,
    /// Withdrawn (final).
    Cancelled,
}

impl From<Step> for Status {
    fn from(s: Step) -> Status {
        match s {
            Step::InProgress => Status::InProgress,
            Step::Escalated => Status::Escalated,
            Step::Waiting => Status::Waiting,
            Step::Done => Status::Done,
            Step::Cancelled => Status::Cancelled,
        }
    }
}

/// The kind of outside partner.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Partner {
    /// Delivers parcels.
    Courier,
    /// Repairs and replaces handsets.
    HandsetMaker,
    /// Runs the mobile network.
    Carrier,
}

impl From<Partner> for PartnerKind {
    fn from(p: Partner) -> PartnerKind {
        match p {
            Partner::Courier => PartnerKind::Courier,
            Partner::HandsetMaker => PartnerKind::HandsetMaker,
            Partner::Carrier => PartnerKind::Carrier,
        }
    }
}

/// A new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// The client company (one the caller serves).
    #[schema(min_length = 1)]
    pub company: String,
    /// What it asks for.
    #[serde(rename = "type")]
    pub kind: OrderKind,
    /// The people it is about: record ids (UUIDs) of the company's staff; only an inquiry may name nobody.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub people: Vec<String>,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Urgency,
}

/// One status change.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionOut {
    /// When (Unix seconds).
    pub at: i64,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Who (principal name).
    pub by: String,
    /// A note (no personal values).
    pub note: String,
}

/// An order's escalation: to an internal `team`, or to a `partner` of a `partner_kind`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationOut {
    /// The internal team.
    pub team: Option<String>,
    /// The outside partner (its principals are those whose team is this name).
    pub partner: Option<String>,
    /// `courier`, `handset_maker` or `carrier`.
    pub partner_kind: Option<String>,
    /// Since when (Unix seconds).
    pub at: i64,
    /// Until when, exclusive (Unix seconds); null while it runs with no planned end.
    pub until: Option<i64>,
    /// Why.
    pub reason: String,
}

/// An order (no personal values: record ids, principals, times, notes).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOut {
    /// Id, e.g. `ORD-00000042`.
    pub id: String,
    /// The collection its people are in.
    pub collection: String,
    /// The client company.
    pub company: String,
    /// The order type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The people (record ids).
    pub people: Vec<String>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// `received`, `in_progress`, `escalated`, `waiting`, `done` or `cancelled`.
    pub status: String,
    /// Arrival (Unix seconds).
    pub received_at: i64,
    /// SLA due time (Unix seconds).
    pub due_at: i64,
    /// The operator working on it.
    pub assignee: Option<String>,
    /// The team responsible.
    pub team: Option<String>,
    /// Status changes, oldest first.
    pub history: Vec<TransitionOut>,
    /// Notes (no personal values).
    pub notes: Vec<String>,
    /// The current or last escalation.
    pub escalation: Option<EscalationOut>,
}

impl From<Escalation> for EscalationOut {
    fn from(e: Escalation) -> EscalationOut {
        let (team, partner, partner_kind) = match e.to {
            Party::Team(t) => (Some(t), None, None),
            Party::Partner { name, kind } => (None, Some(name), Some(kind.as_str().to_owned())),
            // A party this server does not know yet: shown by its label.
            other => (Some(other.label()), None, None),
        };
        EscalationOut { team, partner, partner_kind, at: e.at, until: e.until, reason: e.reason }
    }
}

impl OrderOut {
    fn new(collection: String, o: Order) -> OrderOut {
        OrderOut {
            id: o.id.to_string(),
            collection,
            status: o.status().as_str().to_owned(),
            company: o.company,
            kind: o.kind.as_str().to_owned(),
            people: o.people.iter().map(ToString::to_string).collect(),
            priority: o.priority.as_str().to_owned(),
            received_at: o.received_at,
            due_at: o.due_at,
            assignee: o.assignee,
            team: o.team,
            history: o
                .history
                .into_iter()
                .map(|t| TransitionOut {
                    at: t.at,
                    from: t.from.as_str().to_owned(),
                    to: t.to.as_str().to_owned(),
                    by: t.by,
                    note: t.note,
                })
                .collect(),
            notes: o.notes,
            escalation: o.escalation.map(Into::into),
        }
    }
}

impl From<kura::vault::desk::Stored> for OrderOut {
    fn from(s: kura::vault::desk::Stored) -> OrderOut {
        OrderOut::new(s.collection, s.order)
    }
}

/// The order id in the path; one that is not an order id is a 404 like an unknown one.
fn order_id(p: &Params) -> Result<OrderId, ApiError> {
    p.get("id")?.parse().map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such order"))
}

fn unprocessable(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", message)
}

/// Takes an order from a client company (its operators and supervisors, token scope `records:write`): its
/// people must be records of that company. Logged.
#[utoipa::path(post, path = "/v1/collections/{collection}/orders", tag = "orders",
    params(("collection" = String, Path, description = "Collection"), PurposeHeaders), request_body = NewOrder,
    security(("bearer" = [])),
    responses((status = 201, description = "Received", body = OrderOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn create(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<NewOrder>,
) -> Result<(StatusCode, Json<OrderOut>), ApiError> {
    let collection = p.get("collection")?.to_owned();
    let people = body
        .people
        .iter()
        .map(|r| r.parse::<RecordId>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| unprocessable("`people` holds ids that are not UUIDs"))?;
    let order = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        s.vault
            .create_order(&a, &collection, &body.company, body.kind.into(), people, body.priority.into())
            .map(|o| OrderOut::new(collection, o))
            .map_err(|e| match e {
                // The vault's message names the record; the client sent it, so it is not repeated.
                DeskError::Invalid(m) if m.starts_with("record ") => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_order",
                    "`people` names a record that is not a person of the order's company",
                ),
                other => other.into(),
            })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// A file of orders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrdersFile {
    /// The CSV text: a header with `company`, `type`, `people` (record ids separated by `;`) and optionally
    /// `priority` (or 会社, 種別, 対象者, 優先度), then one order per line.
    #[schema(min_length = 1)]
    pub csv: String,
}

/// Takes every order of a CSV file for the caller's companies (operators and supervisors, token scope
/// `records:write`). The whole file is checked first; any problem refuses all of it with `422
/// invalid_orders_file`, naming lines and columns, never values. Each order taken is logged.
#[utoipa::path(post, path = "/v1/collections/{collection}/orders/import", tag = "orders",
    params(("collection" = String, Path, description = "Collection"), PurposeHeaders), request_body = OrdersFile,
    security(("bearer" = [])),
    responses((status = 201, description = "Every order taken, in file order", body = Vec<OrderOut>), AuthResponses,
        BodyResponses, PurposeResponses, VaultResponses))]
async fn import(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<OrdersFile>,
) -> Result<(StatusCode, Json<Vec<OrderOut>>), ApiError> {
    let collection = p.get("collection")?.to_owned();
    let orders = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let taken = s.vault.import_orders(&a, &collection, body.csv.as_bytes())?;
        Ok(taken.into_iter().map(|o| OrderOut::new(collection.clone(), o)).collect::<Vec<_>>())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(orders)))
}

/// The orders of the caller's companies, oldest first (security officers and auditors: every order).
#[utoipa::path(get, path = "/v1/orders", tag = "orders", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The orders", body = Vec<OrderOut>), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn list(State(s): State<ApiState>, caller: Caller, purpose: Purpose) -> Result<Json<Vec<OrderOut>>, ApiError> {
    let all = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.orders(&a)?)
    })
    .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// An order (its company's staff, security officers, auditors, and the partner it is escalated to).
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Order id (`ORD-00000042`)"), PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The order", body = OrderOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn show(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<OrderOut>, ApiError> {
    let id = order_id(&p)?;
    let order = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.order(&a, id)?)
    })
    .await?;
    Ok(Json(order.into()))
}

/// One change to the order named in the path, as the caller, on a blocking thread.
async fn change(
    s: ApiState,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    change: Change,
) -> Result<Json<OrderOut>, ApiError> {
    let id = order_id(&p)?;
    let order = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let changed = s.vault.change_order(&a, id, change)?;
        // The collection is not part of the order itself; the stored order has it.
        let collection = s.vault.order(&a, id).map(|stored| stored.collection).unwrap_or_default();
        Ok(OrderOut::new(collection, changed))
    })
    .await?;
    Ok(Json(order))
}

/// Whom an order is assigned to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// The operator (principal name), or null to take it away.
    pub assignee: Option<String>,
    /// The team, or null.
    pub team: Option<String>,
}

/// Assigns an open order to an operator and/or a team (its company's operators and supervisors).
#[utoipa::path(post, path = "/v1/orders/{id}/assign", tag = "orders",
    params(("id" = String, Path, description = "Order id (`ORD-00000042`)"), PurposeHeaders),
    request_body = Assignment, security(("bearer" = [])),
    responses((status = 200, description = "Assigned", body = OrderOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn assign(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<Assignment>,
) -> Result<Json<OrderOut>, ApiError> {
    change(s, caller, purpose, p, Change::Assign { assignee: body.assignee, team: body.team }).await
}

/// A move to another status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// The new status.
    pub status: Step,
    /// What was done (no personal values).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Moves an order along its transition table (received → in_progress → escalated/waiting → done; cancelled
/// from any open status). A move the order's status does not allow is 409 `conflict`.
#[utoipa::path(post, path = "/v1/orders/{id}/status", tag = "orders",
    params(("id" = String, Path, description = "Order id (`ORD-00000042`)"), PurposeHeaders),
    request_body = Move, security(("bearer" = [])),
    responses((status = 200, description = "Moved", body = OrderOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn status(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<Move>,
) -> Result<Json<OrderOut>, ApiError> {
    change(s, caller, purpose, p, Change::Move { to: body.status.into(), note: body.note }).await
}

/// The longest escalation window: 90 days.
const MAX_ESCALATION_HOURS: u32 = 2160;

/// An escalation: to an internal `team`, or to a `partner` with its `partner_kind` (exactly one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEscalation {
    /// An internal team (e.g. `account-team`).
    #[schema(min_length = 1)]
    pub team: Option<String>,
    /// An outside partner's name; its principals are those whose team is this name.
    #[schema(min_length = 1)]
    pub partner: Option<String>,
    /// The partner's kind (with `partner`).
    pub partner_kind: Option<Partner>,
    /// How long the partner or team may work on it (1 to 2160 hours).
    #[schema(minimum = 1, maximum = 2160)]
    pub hours: u32,
    /// Why (no personal values).
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Escalates an order to an internal team or an outside partner for a number of hours (its company's
/// operators and supervisors). During the window a partner reads the order's people, only its view.
#[utoipa::path(post, path = "/v1/orders/{id}/escalation", tag = "orders",
    params(("id" = String, Path, description = "Order id (`ORD-00000042`)"), PurposeHeaders),
    request_body = NewEscalation, security(("bearer" = [])),
    responses((status = 200, description = "Escalated", body = OrderOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn escalate(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<NewEscalation>,
) -> Result<Json<OrderOut>, ApiError> {
    let party = match (body.team, body.partner, body.partner_kind) {
        (Some(team), None, None) => Party::Team(team),
        (None, Some(name), Some(kind)) => Party::Partner { name, kind: kind.into() },
        (None, Some(_), None) => return Err(unprocessable("`partner` needs `partner_kind`")),
        _ => return Err(unprocessable("name either `team`, or `partner` with `partner_kind`")),
    };
    if !(1..=MAX_ESCALATION_HOURS).contains(&body.hours) {
        return Err(unprocessable("`hours` must be 1 to 2160"));
    }
    let until = kura::store::now() + i64::from(body.hours) * 3600;
    change(s, caller, purpose, p, Change::Escalate { party, until: Some(until), reason: body.reason }).await
}

/// Ends an order's running escalation (its company's operators and supervisors); the partner's view closes.
#[utoipa::path(delete, path = "/v1/orders/{id}/escalation", tag = "orders",
    params(("id" = String, Path, description = "Order id (`ORD-00000042`)"), PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "Escalation ended", body = OrderOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn end_escalation(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<OrderOut>, ApiError> {
    change(s, caller, purpose, p, Change::EndEscalation).await
}

/// Reads one of an order's people through the order: only the fields its type needs (a partner: only its
/// view), while it is open and the caller works on it, and only as the policy allows for the order type's
/// purpose. Logged with the order id as purpose. Card numbers are masked.
#[utoipa::path(get, path = "/v1/orders/{id}/people/{record}", tag = "orders",
    params(("id" = String, Path, description = "Order id (`ORD-00000042`)"),
        ("record" = String, Path, description = "Record id of one of the order's people"), PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The record, each field shown or hidden", body = RecordOut),
        AuthResponses, PurposeResponses, VaultResponses))]
async fn read_person(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<RecordOut>, ApiError> {
    let id = order_id(&p)?;
    let record: RecordId =
        p.get("record")?.parse().map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record"))?;
    let r = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.read_for_order(&a, id, record, CardView::Masked)?)
    })
    .await?;
    Ok(Json(r.into()))
}

/// An emergency read outside the orders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlass {
    /// Why (at least 20 characters, 6 of them different; at most 2000; no personal values). Kept in the sealed
    /// alert for the security officers, not in the log.
    #[schema(min_length = 20, max_length = 2000)]
    pub reason: String,
    /// The order it relates to (`ORD-00000042`), if any.
    #[schema(pattern = "^ORD-[0-9]{1,19}$")]
    pub order: Option<String>,
}

/// Break-glass: reads a record outside the orders under the normal policy (staff who are people, not services),
/// with a written reason. Raises a `break_glass` alert for the security officers; the log names the alert.
#[utoipa::path(post, path = "/v1/collections/{collection}/records/{id}/break-glass", tag = "orders",
    params(("collection" = String, Path, description = "Collection"), ("id" = String, Path, description = "Record id"),
        PurposeHeaders),
    request_body = BreakGlass, security(("bearer" = [])),
    responses((status = 200, description = "The record as the policy shows it", body = RecordOut), AuthResponses,
        BodyResponses, PurposeResponses, VaultResponses))]
async fn break_glass(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<BreakGlass>,
) -> Result<Json<RecordOut>, ApiError> {
    let collection = p.get("collection")?.to_owned();
    let record: RecordId =
        p.get("id")?.parse().map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record"))?;
    let order = match body.order.as_deref() {
        Some(o) => Some(o.parse::<OrderId>().map_err(|_| unprocessable("`order` is not an order id"))?),
        None => None,
    };
    let r = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        s.vault.break_glass(&a, &collection, record, &body.reason, order, CardView::Masked).map_err(|e| match e {
            DeskError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_break_glass", m),
            other => other.into(),
        })
    })
    .await?;
    Ok(Json(r.into()))
}

/// Who the shipping labels go to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// The courier or print room that receives the print job (no personal data).
    #[schema(min_length = 1, max_length = 200)]
    pub recipient: String,
}

/// Requests the shipping labels of a shipping order as a governed print job (the operator the order is
/// assigned to, token scope `exports:request`): PDF labels of the order's people carrying exactly the fields the
/// order needs, fingerprinted, with a canary, under the order id as purpose. A supervisor approves it
/// (`POST /v1/exports/{id}/approve`); the requester downloads it once within three days and attests the
/// paper's disposal within seven. Logged.
#[utoipa::path(post, path = "/v1/orders/{id}/labels", tag = "orders",
    params(("id" = String, Path, description = "Order id"), PurposeHeaders), request_body = Labels,
    security(("bearer" = [])),
    responses((status = 201, description = "The print job, waiting for approval", body = super::exports::ExportOut),
        AuthResponses, BodyResponses, PurposeResponses, VaultResponses))]
async fn labels(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<Labels>,
) -> Result<(StatusCode, Json<super::exports::ExportOut>), ApiError> {
    let id = order_id(&p)?;
    let export = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        s.vault.ship_order(&a, id, &body.recipient).map_err(|e| match e {
            DeskError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_order", m),
            other => other.into(),
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(export.into())))
}

/// Whether desk staff read personal data only through orders.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Required {
    /// `true`: operators and supervisors (people, not services) read only through assigned orders or
    /// break-glass; plain reads and searches are refused and logged.
    pub required: bool,
}

/// Switches "reads only through orders" on or off (administrators, token scope `principals:admin`); logged.
#[utoipa::path(put, path = "/v1/orders/required", tag = "orders", params(PurposeHeaders), request_body = Required,
    security(("bearer" = [])),
    responses((status = 200, description = "In force", body = Required), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn require(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    Json(body): Json<Required>,
) -> Result<Json<Required>, ApiError> {
    blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        s.vault.require_orders(&a, body.required)?;
        Ok(Json(body))
    })
    .await
}

/// The desk's reports: orders by type, company and status, per hour, SLA per type, escalations and backlog,
/// and every read of personal data held against what the orders needed.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskReportOut {
    /// The orders as they stand now (`at`, `orders`, `by_type_company_status`, `per_hour`, `sla`,
    /// `escalations`, `backlog`).
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    /// The reads against the orders' needs (`per_type`, `per_principal`, `findings`: reads without need).
    #[schema(value_type = Object)]
    pub reads: serde_json::Value,
    /// The chart names for `GET /v1/collections/{collection}/desk/charts/{name}`.
    pub charts: Vec<String>,
}

/// The service desk's reports over a collection's orders and the access log (security officers and auditors,
/// token scope `audit:read`). Logged.
#[utoipa::path(get, path = "/v1/collections/{collection}/desk/report", tag = "orders",
    params(("collection" = String, Path, description = "Collection"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The reports", body = DeskReportOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn desk_report(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<DeskReportOut>, ApiError> {
    let collection = p.get("collection")?.to_owned();
    let out = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let (summary, audit) = s.vault.desk_report(&a, &collection, kura::store::now())?;
        let charts = kura::desk::report::charts(&summary, &audit).into_iter().map(|(n, _)| n.to_owned()).collect();
        let summary = serde_json::to_value(&summary).map_err(|e| ApiError::internal(e.to_string()))?;
        let reads = serde_json::to_value(&audit).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(DeskReportOut { summary, reads, charts })
    })
    .await?;
    Ok(Json(out))
}

/// One chart of the desk's reports as an SVG document: `orders_by_type`, `sla_missed` or
/// `findings_per_principal` (security officers and auditors, token scope `audit:read`). Logged.
#[utoipa::path(get, path = "/v1/collections/{collection}/desk/charts/{name}", tag = "orders",
    params(("collection" = String, Path, description = "Collection"),
        ("name" = String, Path, description = "`orders_by_type`, `sla_missed` or `findings_per_principal`"),
        PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The chart", content((String = "image/svg+xml"))), AuthResponses,
        PurposeResponses, VaultResponses))]
async fn desk_chart(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<impl IntoResponse, ApiError> {
    let collection = p.get("collection")?.to_owned();
    let name = p.get("name")?.to_owned();
    let svg = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let (summary, audit) = s.vault.desk_report(&a, &collection, kura::store::now())?;
        kura::desk::report::charts(&summary, &audit)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, svg)| svg)
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such chart"))
    })
    .await?;
    let mut response = svg.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    Ok(response)
}
