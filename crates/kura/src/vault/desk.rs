//! The service desk in the vault: orders from client companies stored sealed, every change logged, and
//! personal data read *through an order* — exactly the fields its type needs, of exactly its people, while
//! it is open and assigned to the reader or the reader's team (or, for a partner, during its escalation and
//! only its view). The decision is [`crate::desk::bind::decide`], intersected with the Cedar policy for the
//! order type's purpose kind, with the order itself as the policy's `context.order` (type, company, status,
//! priority, whether it is assigned to the reader, the running escalation, the number of people); the log
//! entry's purpose is the order id.
//!
//! - **Orders required** ([`Vault::require_orders`]): when switched on, operators and supervisors read no
//!   personal data outside an order (plain reads and searches are refused, logged as `deny`); security
//!   officers, auditors and services keep their policy. Switched off by default, so a vault without a desk
//!   works as before.
//! - **Break-glass** ([`Vault::break_glass`]): an emergency read with a written reason (at least 20
//!   characters), under the normal policy; it raises a `break_glass` alert for the security officers, and
//!   the reason is kept in the sealed alert, not in the log.
//! - Needs per order type come from the collection's desk configuration ([`Vault::set_desk_needs`], TOML,
//!   validated against the schema), or [`Needs::default_for`].

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::exports::ExportError;
use super::{Access, CardView, Loaded, ReadError, Record, Vault};
use crate::audit::{Action, Outcome};
use crate::desk::bind::{self, BreakGlass};
use crate::desk::needs::Needs;
use crate::desk::order::{Order, OrderError, OrderId, OrderType, Party, Priority, Status};
use crate::id::RecordId;
use crate::policy::Visibility;
use crate::principal::{Kind, Principal, Role};
use crate::store;

const ORDER_KIND: &str = "order";
const DESK_KIND: &str = "desk";
const SETTINGS_ID: &str = "settings";
const REFRESH: Duration = Duration::from_secs(1);

/// Why a desk operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    /// Not allowed (the refusal is in the log).
    #[error("denied: {0}")]
    Denied(String),
    /// No such order.
    #[error("no such order")]
    Unknown,
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// The order does not allow the change.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// Reading, storage or the log.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The order id is not a valid purpose.
    #[error(transparent)]
    Access(#[from] super::AccessError),
    /// Storage and documents.
    #[error(transparent)]
    Store(#[from] ExportError),
    /// A file of orders was refused, with every problem found.
    #[error(transparent)]
    Intake(#[from] crate::desk::intake::IntakeError),
}

impl From<super::gate::Denied> for DeskError {
    fn from(d: super::gate::Denied) -> DeskError {
        DeskError::Denied(d.0)
    }
}

impl From<store::Error> for DeskError {
    fn from(e: store::Error) -> DeskError {
        DeskError::Store(e.into())
    }
}

impl From<crate::audit::log::AppendError> for DeskError {
    fn from(e: crate::audit::log::AppendError) -> DeskError {
        DeskError::Read(e.into())
    }
}

/// An order as stored: with its collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    /// The collection its people are in.
    pub collection: String,
    /// The order.
    pub order: Order,
}

/// A change to an order.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Change {
    /// Assign to a principal and/or team.
    Assign {
        /// The assignee.
        assignee: Option<String>,
        /// The team.
        team: Option<String>,
    },
    /// Move to a status.
    Move {
        /// The new status.
        to: Status,
        /// A note (no personal data).
        note: String,
    },
    /// Escalate to an internal team or a partner until a time.
    Escalate {
        /// To whom.
        party: Party,
        /// Until when (seconds since the epoch).
        until: Option<i64>,
        /// Why.
        reason: String,
    },
    /// End the running escalation.
    EndEscalation,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Settings {
    require_orders: bool,
}

/// The per-process copy of the desk settings.
#[derive(Default)]
pub(crate) struct Cache {
    settings: std::sync::Mutex<Option<(Instant, bool)>>,
}

/// The signed-in principal's attributes as the order decision needs them (already validated when stored;
/// no credentials).
fn principal_of(access: &Access) -> Option<Principal> {
    let w = access.who();
    if w.name.starts_with("custodian:") {
        return None;
    }
    Some(Principal {
        name: w.name.clone(),
        kind: w.kind,
        roles: w.roles.clone(),
        team: w.team.clone(),
        companies: w.companies.clone(),
        suspended: w.suspended,
        password: None,
        totp: None,
        tokens: Vec::new(),
        lockout: Default::default(),
        version: 0,
    })
}

/// The order as the policies see it (`context.order`) for `who` at `now`.
fn order_context(order: &Order, who: &Principal, now: i64) -> crate::policy::OrderContext {
    let escalation = order.escalation.as_ref().filter(|e| e.active_at(now));
    crate::policy::OrderContext {
        id: order.id.to_string(),
        kind: order.kind.as_str().to_owned(),
        company: order.company.clone(),
        status: order.status().as_str().to_owned(),
        priority: order.priority.as_str().to_owned(),
        assigned: order.assignee.as_deref() == Some(who.name.as_str())
            || (who.team.is_some() && who.team == order.team),
        escalated: escalation.is_some(),
        partner: match escalation.map(|e| &e.to) {
            Some(Party::Partner { name, .. }) => name.clone(),
            _ => String::new(),
        },
        people: u32::try_from(order.people.len()).unwrap_or(u32::MAX),
    }
}

/// Whether the principal is desk staff, whose reads must go through orders when orders are required.
fn is_desk_staff(access: &Access) -> bool {
    let w = access.who();
    w.kind != Kind::Service
        && (w.roles.contains(&Role::Operator) || w.roles.contains(&Role::Supervisor))
        && !w.roles.contains(&Role::SecurityOfficer)
}

impl Vault {
    /// The needs per order type of a collection: its stored desk configuration, or the defaults.
    pub fn desk_needs(&self, collection: &str) -> Result<Needs, DeskError> {
        let c = self.collection(collection)?;
        match self.open_document(DESK_KIND, &format!("needs/{collection}"))? {
            Some((text, _)) => {
                let text =
                    String::from_utf8(text).map_err(|_| DeskError::Invalid("the desk needs are damaged".to_owned()))?;
                Needs::from_toml(&text, &c.schema).map_err(|e| DeskError::Invalid(e.to_string()))
            }
            None => Ok(Needs::default_for(&c.schema)),
        }
    }

    /// Replaces a collection's needs per order type (administrators); validated against the schema, logged.
    pub fn set_desk_needs(&self, access: &Access, collection: &str, toml: &str) -> Result<(), DeskError> {
        self.require_role(access, &[Role::Administrator], "principals:admin", Action::Order, "setting desk needs")?;
        let c = self.collection(collection)?;
        Needs::from_toml(toml, &c.schema).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let mut e = self.entry(access, Action::Order, Some(collection), Outcome::Allow);
        e.detail = "desk needs per order type replaced".to_owned();
        self.log(vec![e])?;
        self.put_desk(&format!("needs/{collection}"), toml.as_bytes())
    }

    fn put_desk(&self, id: &str, bytes: &[u8]) -> Result<(), DeskError> {
        let sealed = self.seal_document(DESK_KIND, id, bytes)?;
        for _ in 0..8 {
            let previous = self.store.document(DESK_KIND, id)?;
            match self.store.put_document(DESK_KIND, id, &sealed, previous.as_deref()) {
                Err(store::Error::Conflict) => continue,
                other => return Ok(other?),
            }
        }
        Err(DeskError::Invalid("too many concurrent changes; try again".to_owned()))
    }

    /// Switches "reads only through orders" on or off for desk staff (administrators); logged.
    pub fn require_orders(&self, access: &Access, on: bool) -> Result<(), DeskError> {
        self.require_role(access, &[Role::Administrator], "principals:admin", Action::Order, "requiring orders")?;
        let mut e = self.entry(access, Action::Order, None, Outcome::Allow);
        e.detail = format!("reads through orders only: {}", if on { "on" } else { "off" });
        self.log(vec![e])?;
        let json =
            serde_json::to_vec(&Settings { require_orders: on }).map_err(|e| DeskError::Invalid(e.to_string()))?;
        self.put_desk(SETTINGS_ID, &json)?;
        if let Ok(mut s) = self.desk.settings.lock() {
            *s = None;
        }
        Ok(())
    }

    /// Whether desk staff must read through orders (cached for a second; unreadable settings count as on).
    fn orders_required(&self) -> bool {
        if let Ok(s) = self.desk.settings.lock() {
            if let Some((at, on)) = *s {
                if at.elapsed() < REFRESH {
                    return on;
                }
            }
        }
        let on = match self.open_document(DESK_KIND, SETTINGS_ID) {
            Ok(Some((json, _))) => serde_json::from_slice::<Settings>(&json).map_or(true, |s| s.require_orders),
            Ok(None) => false,
            Err(_) => true,
        };
        if let Ok(mut s) = self.desk.settings.lock() {
            *s = Some((Instant::now(), on));
        }
        on
    }

    /// Refuses a plain read or search by desk staff when orders are required (see the module docs).
    pub(super) fn check_unbound_read(&self, access: &Access) -> Result<(), ReadError> {
        if is_desk_staff(access) && self.orders_required() {
            return Err(ReadError::Denied(format!(
                "`{}` reads personal data only through an assigned order (or break-glass)",
                access.principal()
            )));
        }
        Ok(())
    }

    fn load_order(&self, id: OrderId) -> Result<(Stored, Vec<u8>), DeskError> {
        let key = id.to_string();
        let (json, sealed) = self.open_document(ORDER_KIND, &key)?.ok_or(DeskError::Unknown)?;
        let stored: Stored =
            serde_json::from_slice(&json).map_err(|_| DeskError::Invalid(format!("order `{key}` is damaged")))?;
        if stored.order.id != id {
            return Err(DeskError::Invalid(format!("order `{key}` is damaged")));
        }
        Ok((stored, sealed))
    }

    fn order_entry(&self, access: &Access, s: &Stored, outcome: Outcome, detail: String) -> crate::audit::Entry {
        let mut e = self.entry(access, Action::Order, Some(&s.collection), outcome);
        if let Ok(c) = self.collection(&s.collection) {
            e.subjects.push(c.committer.commit_tag("order", &s.order.id.to_string()));
            e.subjects.extend(s.order.people.iter().map(|p| c.committer.commit(*p)));
        }
        // The client company stays out of the published log (the order's commitments name it for who holds the
        // key); so do people and values.
        e.detail = format!("order {} ({}): {detail}", s.order.id, s.order.kind.as_str());
        e
    }

    /// Takes an order from a client company (its desk staff, or a service of the client's system assigned to
    /// the company): its people must be records of that company. Logged.
    pub fn create_order(
        &self,
        access: &Access,
        collection: &str,
        company: &str,
        kind: OrderType,
        people: Vec<RecordId>,
        priority: Priority,
    ) -> Result<Order, DeskError> {
        self.require_role(
            access,
            &[Role::Operator, Role::Supervisor],
            "records:write",
            Action::Order,
            "taking an order",
        )?;
        let c = self.collection(collection)?;
        let company = self.check_intake(access, &c, company, &people)?;
        let needs = self.desk_needs(collection)?;
        self.store_order(access, collection, &company, kind, people, priority, &needs)
    }

    /// Takes every order of a CSV file (see [`crate::desk::intake`] for the format) for the caller's
    /// companies: the whole file is checked first — its form, then each line's company against the caller's
    /// and each person against the line's company — and any problem refuses all of it, by line, naming no
    /// value (the refusal is logged). Each order taken is logged as by [`Vault::create_order`]. A storage
    /// failure while taking them stops there, and the error says how many were taken.
    pub fn import_orders(&self, access: &Access, collection: &str, bytes: &[u8]) -> Result<Vec<Order>, DeskError> {
        self.require_role(
            access,
            &[Role::Operator, Role::Supervisor],
            "records:write",
            Action::Order,
            "taking orders from a file",
        )?;
        let c = self.collection(collection)?;
        let refuse = |problems: Vec<crate::desk::intake::Problem>| -> Result<Vec<Order>, DeskError> {
            let mut e = self.entry(access, Action::Order, Some(collection), Outcome::Deny);
            e.detail = format!("orders file refused: {} problem(s)", problems.len());
            self.log(vec![e])?;
            Err(DeskError::Intake(crate::desk::intake::IntakeError { problems }))
        };
        let intakes = match crate::desk::intake::parse(bytes) {
            Ok(i) => i,
            Err(e) => return refuse(e.problems),
        };
        let mut checked = Vec::with_capacity(intakes.len());
        let mut problems = Vec::new();
        for i in intakes {
            match self.check_intake(access, &c, &i.company, &i.people) {
                Ok(company) => checked.push((company, i)),
                Err(e) => problems.push(crate::desk::intake::Problem {
                    line: i.line,
                    message: match e {
                        DeskError::Denied(_) => "the caller does not serve this `company`".to_owned(),
                        DeskError::Invalid(m) if m.starts_with("company") => {
                            "`company` is not a company name".to_owned()
                        }
                        DeskError::Invalid(_) => {
                            "`people` names a record that is not a person of the company".to_owned()
                        }
                        _ => "`people` names a record that cannot be read".to_owned(),
                    },
                }),
            }
        }
        if !problems.is_empty() {
            return refuse(problems);
        }
        let needs = self.desk_needs(collection)?;
        let total = checked.len();
        let mut taken = Vec::with_capacity(total);
        for (company, i) in checked {
            match self.store_order(access, collection, &company, i.kind, i.people, i.priority, &needs) {
                Ok(o) => taken.push(o),
                Err(e) => {
                    return Err(DeskError::Invalid(format!(
                        "{} of {total} orders were taken before line {} failed ({e}); the rest were not",
                        taken.len(),
                        i.line
                    )))
                }
            }
        }
        Ok(taken)
    }

    /// The order's company in canonical form, once the caller is found to serve it and every person to be
    /// one of its records.
    fn check_intake(
        &self,
        access: &Access,
        c: &Loaded,
        company: &str,
        people: &[RecordId],
    ) -> Result<String, DeskError> {
        let company = crate::normalize::canonical(crate::schema::FieldType::Organisation, company)
            .map_err(|e| DeskError::Invalid(format!("company: {e}")))?
            .as_str()
            .to_owned();
        if !access.who().companies.contains(&company) {
            return Err(DeskError::Denied(format!("`{}` does not serve this company", access.principal())));
        }
        for p in people {
            if Vault::company_of(c, &self.unseal(c, *p)?)? != company {
                return Err(DeskError::Invalid(format!("record {p} is not a person of the order's company")));
            }
        }
        Ok(company)
    }

    #[expect(clippy::too_many_arguments, reason = "the order's parts, checked by the callers")]
    fn store_order(
        &self,
        access: &Access,
        collection: &str,
        company: &str,
        kind: OrderType,
        people: Vec<RecordId>,
        priority: Priority,
        needs: &Needs,
    ) -> Result<Order, DeskError> {
        for _ in 0..8 {
            let id = OrderId(u64::from(rand::random::<u32>() % 99_999_999) + 1);
            let order = Order::new(id, company, kind, people.clone(), priority, store::now(), needs.sla())?;
            let stored = Stored { collection: collection.to_owned(), order };
            let entry =
                self.order_entry(access, &stored, Outcome::Allow, format!("received, priority {}", priority.as_str()));
            let json = serde_json::to_vec(&stored).map_err(|e| DeskError::Invalid(e.to_string()))?;
            let sealed = self.seal_document(ORDER_KIND, &id.to_string(), &json)?;
            match self.store.put_document(ORDER_KIND, &id.to_string(), &sealed, None) {
                Ok(()) => {
                    self.log(vec![entry])?;
                    return Ok(stored.order);
                }
                Err(store::Error::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DeskError::Invalid("no free order number; try again".to_owned()))
    }

    /// An order (desk staff of its company, security officers, auditors).
    pub fn order(&self, access: &Access, id: OrderId) -> Result<Stored, DeskError> {
        let (s, _) = self.load_order(id)?;
        let w = access.who();
        let staff = w.companies.contains(&s.order.company);
        let oversight = w.roles.contains(&Role::SecurityOfficer) || w.roles.contains(&Role::Auditor);
        let partner =
            s.order.escalation.as_ref().is_some_and(
                |e| matches!(&e.to, Party::Partner { name, .. } if w.team.as_deref() == Some(name.as_str())),
            );
        if !(staff || oversight || partner) {
            let e = self.order_entry(access, &s, Outcome::Deny, "refused: not this company's staff".to_owned());
            self.log(vec![e])?;
            return Err(DeskError::Denied(format!("`{}` may not see this order", access.principal())));
        }
        Ok(s)
    }

    /// Every order of the caller's companies (security officers and auditors: every order).
    pub fn orders(&self, access: &Access) -> Result<Vec<Stored>, DeskError> {
        let w = access.who();
        let all = w.roles.contains(&Role::SecurityOfficer) || w.roles.contains(&Role::Auditor);
        let mut out = Vec::new();
        for id in self.store.document_ids(ORDER_KIND)? {
            let Ok(id) = id.parse::<OrderId>() else { continue };
            let (s, _) = self.load_order(id)?;
            if all || w.companies.contains(&s.order.company) {
                out.push(s);
            }
        }
        out.sort_by_key(|s| (s.order.received_at, s.order.id));
        Ok(out)
    }

    /// Changes an order (its company's desk staff); every change logged.
    pub fn change_order(&self, access: &Access, id: OrderId, change: Change) -> Result<Order, DeskError> {
        self.require_role(
            access,
            &[Role::Operator, Role::Supervisor],
            "records:write",
            Action::Order,
            "changing an order",
        )?;
        for _ in 0..8 {
            let (mut s, sealed) = self.load_order(id)?;
            if !access.who().companies.contains(&s.order.company) {
                let e = self.order_entry(access, &s, Outcome::Deny, "refused: not this company's staff".to_owned());
                self.log(vec![e])?;
                return Err(DeskError::Denied(format!("`{}` does not serve this company", access.principal())));
            }
            let now = store::now().max(s.order.history.last().map_or(0, |t| t.at));
            let by = access.principal().to_owned();
            let detail = match &change {
                Change::Assign { assignee, team } => {
                    s.order.assign(assignee.as_deref(), team.as_deref(), &by, now)?;
                    format!(
                        "assigned to {} / team {}",
                        assignee.as_deref().unwrap_or("-"),
                        team.as_deref().unwrap_or("-")
                    )
                }
                Change::Move { to, note } => {
                    s.order.transition(*to, &by, now, note)?;
                    format!("moved to {}", to.as_str())
                }
                Change::Escalate { party, until, reason } => {
                    s.order.escalate(party.clone(), &by, now, *until, reason)?;
                    format!("escalated to {} until {}", party.label(), until.map_or("-".to_owned(), |u| u.to_string()))
                }
                Change::EndEscalation => {
                    s.order.end_escalation(&by, now.max(s.order.escalation.as_ref().map_or(0, |e| e.at + 1)))?;
                    "escalation ended".to_owned()
                }
            };
            let entry = self.order_entry(access, &s, Outcome::Allow, detail);
            let json = serde_json::to_vec(&s).map_err(|e| DeskError::Invalid(e.to_string()))?;
            let new = self.seal_document(ORDER_KIND, &id.to_string(), &json)?;
            match self.store.put_document(ORDER_KIND, &id.to_string(), &new, Some(&sealed)) {
                Ok(()) => {
                    self.log(vec![entry])?;
                    return Ok(s.order);
                }
                Err(store::Error::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DeskError::Invalid("too many concurrent changes; try again".to_owned()))
    }

    /// Reads one of an order's people through the order: each field shown only if the order allows it
    /// ([`bind::decide`]) *and* the policy does for the order type's purpose kind. The log's purpose is the
    /// order id. A read the order allows nothing of is refused and logged.
    pub fn read_for_order(
        &self,
        access: &Access,
        order: OrderId,
        record: RecordId,
        view: CardView,
    ) -> Result<Record, DeskError> {
        let (s, _) = self.load_order(order)?;
        let c = self.collection(&s.collection)?;
        let needs = self.desk_needs(&s.collection)?;
        let bound = access.clone().with_purpose(&order.to_string())?.with_kind(needs.purpose(s.order.kind))?;
        let result = self.read_bound(&bound, &c, &needs, &s.order, record, view);
        let mut e = self.entry(&bound, Action::Read, Some(&s.collection), Vault::outcome_of(&result));
        e.subjects = vec![c.committer.commit(record)];
        match &result {
            Ok(r) => {
                e.fields = r.fields.iter().filter(|f| f.value.is_some()).map(|f| f.name.clone()).collect();
                e.detail = format!("through order {} ({})", order, s.order.kind.as_str());
                let masked = super::masked_detail(r, view);
                if !masked.is_empty() {
                    e.detail = format!("{}; {masked}", e.detail);
                }
            }
            Err(err) => e.detail = format!("through order {order}: {}", super::read_failure(err)),
        }
        self.log(vec![e])?;
        Ok(result?)
    }

    fn read_bound(
        &self,
        access: &Access,
        c: &Loaded,
        needs: &Needs,
        order: &Order,
        record: RecordId,
        view: CardView,
    ) -> Result<Record, ReadError> {
        Vault::require_scope(access, "records:read")?;
        let who = principal_of(access)
            .ok_or_else(|| ReadError::Denied(format!("`{}` is not a desk principal", access.principal())))?;
        let now = store::now();
        let wanted: Vec<bool> =
            c.schema.fields.iter().map(|f| bind::decide(needs, &who, order, record, &f.name, now).allow).collect();
        if !wanted.iter().any(|w| *w) {
            let first = c.schema.fields.first().map(|f| f.name.as_str()).unwrap_or_default();
            let gate = bind::decide(needs, &who, order, record, first, now);
            let why = if gate.reason == bind::Reason::Field {
                "the order needs no personal field".to_owned()
            } else {
                gate.reason.as_str().to_owned()
            };
            return Err(ReadError::Denied(format!("order {}: {why}", order.id)));
        }
        let u = self.unseal(c, record)?;
        let company = Vault::company_of(c, &u)?;
        let access = access.clone().with_order(order_context(order, &who, now));
        let views = self.active_policy()?.views_for(&access, c, &company, &wanted);
        if views.iter().all(|v| *v == Visibility::Hidden) {
            return Err(ReadError::Denied(format!("order {}: the policy shows none of the order's fields", order.id)));
        }
        Vault::disclose(c, &u, &views, view)
    }

    /// An emergency read outside the orders: the reason is validated (at least 20 characters), the record is
    /// read under the normal policy, and a `break_glass` alert goes to the security officers with the reason
    /// (sealed in the alert; the log names the alert).
    pub fn break_glass(
        &self,
        access: &Access,
        collection: &str,
        record: RecordId,
        reason: &str,
        order: Option<OrderId>,
        view: CardView,
    ) -> Result<Record, DeskError> {
        let who = principal_of(access)
            .ok_or_else(|| DeskError::Denied(format!("`{}` is not a desk principal", access.principal())))?;
        let glass =
            BreakGlass::new(order, reason, &who, store::now()).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let c = self.collection(collection)?;
        let alert = crate::alerts::rules::Alert {
            rule: crate::alerts::rules::Rule::BreakGlass,
            severity: crate::alerts::rules::Severity::High,
            principal: access.principal().to_owned(),
            at: glass.at,
            detail: format!(
                "break-glass read of one record of `{collection}`{}; the written reason is in the alert",
                order.map(|o| format!(" (order {o})")).unwrap_or_default(),
            ),
            suspend: false,
        };
        let raised = self
            .raise_noted(alert, None, Some(format!("reason: {}", glass.reason)))
            .map_err(|e| DeskError::Invalid(e.to_string()))?;
        let result = self.read_one(access, &c, record, view);
        let mut e = self.entry(access, Action::Read, Some(collection), Vault::outcome_of(&result));
        e.subjects = vec![c.committer.commit(record)];
        match &result {
            Ok(r) => {
                e.fields = r.fields.iter().filter(|f| f.value.is_some()).map(|f| f.name.clone()).collect();
                e.detail = format!("BREAK-GLASS (alert {}; reviewed by the security officers)", raised.id);
                let masked = super::masked_detail(r, view);
                if !masked.is_empty() {
                    e.detail = format!("{}; {masked}", e.detail);
                }
            }
            Err(err) => e.detail = format!("BREAK-GLASS (alert {}): {}", raised.id, super::read_failure(err)),
        }
        self.log(vec![e])?;
        Ok(result?)
    }

    /// Requests the shipping labels of a shipping order as a governed print job: PDF labels of the order's
    /// people with exactly the fields the order needs, fingerprinted, with a canary, for `recipient` (the
    /// courier or print room). The caller must be bound to the order for every label field; a supervisor
    /// approves the job like any export; the caller downloads it (purpose: the order id, kind `shipping`),
    /// confirms dispatch by closing the order, and attests the paper's disposal. Logged.
    pub fn ship_order(
        &self,
        access: &Access,
        id: OrderId,
        recipient: &str,
    ) -> Result<super::exports::Export, DeskError> {
        let (s, _) = self.load_order(id)?;
        let needs = self.desk_needs(&s.collection)?;
        if needs.purpose(s.order.kind) != "shipping" {
            return Err(DeskError::Invalid(format!(
                "a {} order ships nothing; only shipping orders print labels",
                s.order.kind.as_str()
            )));
        }
        let who = principal_of(access)
            .ok_or_else(|| DeskError::Denied(format!("`{}` is not a desk principal", access.principal())))?;
        let fields: Vec<String> = needs.fields(s.order.kind).to_vec();
        let now = store::now();
        for person in &s.order.people {
            for f in &fields {
                let d = bind::decide(&needs, &who, &s.order, *person, f, now);
                if !d.allow {
                    let e =
                        self.order_entry(access, &s, Outcome::Deny, format!("labels refused: {}", d.reason.as_str()));
                    self.log(vec![e])?;
                    return Err(DeskError::Denied(format!("order {id}: {}", d.reason.as_str())));
                }
            }
        }
        let bound = access
            .clone()
            .with_purpose(&id.to_string())?
            .with_kind("shipping")?
            .with_order(order_context(&s.order, &who, now));
        let spec = super::exports::ExportSpec {
            collection: s.collection.clone(),
            companies: [s.order.company.clone()].into(),
            departments: Default::default(),
            records: s.order.people.iter().copied().collect(),
            fields,
            format: super::exports::Format::Labels,
            recipient: recipient.to_owned(),
            expires_at: now + 3 * 86_400,
            max_downloads: 1,
            dispose_within_days: 7,
            canaries: 1,
        };
        let export = self.request_export(&bound, &spec)?;
        let e = self.order_entry(
            access,
            &s,
            Outcome::Allow,
            format!("shipping labels requested as export `{}`", export.id),
        );
        self.log(vec![e])?;
        Ok(export)
    }

    /// Every read of personal data in the access log, as the desk's reports take them: who, the order cited as
    /// the purpose (if the purpose is an order id), whose record (one of the order's people, found by
    /// commitment; the nil id when the read named nobody of the order) and which fields. Security officers and
    /// auditors; the query is logged.
    pub fn desk_reads(&self, access: &Access) -> Result<Vec<crate::desk::report::Read>, DeskError> {
        self.require_role(
            access,
            &[Role::SecurityOfficer, Role::Auditor],
            "audit:read",
            Action::LogAccess,
            "auditing desk reads",
        )?;
        let mut e = self.entry(access, Action::LogAccess, None, Outcome::Allow);
        e.detail = "desk reads audited against the orders".to_owned();
        self.log(vec![e])?;
        let log = self.log.store();
        let size = log.size().map_err(|e| ReadError::Audit(e.to_string()))?;
        let mut orders: std::collections::HashMap<OrderId, Option<Vec<(String, RecordId)>>> = Default::default();
        let mut out = Vec::new();
        let mut at = 0u64;
        while at < size {
            let batch = log.entries(at, 10_000).map_err(|e| ReadError::Audit(e.to_string()))?;
            if batch.is_empty() {
                break;
            }
            for (seq, data) in batch {
                at = seq + 1;
                let entry = crate::audit::Entry::from_leaf(&data).map_err(|e| ReadError::Audit(e.to_string()))?;
                if entry.action != Action::Read || entry.outcome != Outcome::Allow || entry.fields.is_empty() {
                    continue;
                }
                let order = entry.purpose.parse::<OrderId>().ok();
                let people = match order {
                    Some(id) => orders
                        .entry(id)
                        .or_insert_with(|| {
                            let (s, _) = self.load_order(id).ok()?;
                            let c = self.collection(&s.collection).ok()?;
                            Some(s.order.people.iter().map(|p| (c.committer.commit(*p), *p)).collect())
                        })
                        .clone(),
                    None => None,
                };
                for subject in &entry.subjects {
                    let record = people
                        .as_ref()
                        .and_then(|p| p.iter().find(|(c, _)| c == subject).map(|(_, r)| *r))
                        .unwrap_or(RecordId([0; 16]));
                    out.push(crate::desk::report::Read {
                        principal: entry.principal.clone(),
                        order,
                        record,
                        fields: entry.fields.clone(),
                        at: entry.time_ms / 1000,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The desk's reports over a collection's orders and every read in the access log (security officers and
    /// auditors; logged): the orders by type, company and status, per hour, SLA, escalations and backlog as
    /// they stand at `at`, and the reads held against what the orders needed.
    pub fn desk_report(
        &self,
        access: &Access,
        collection: &str,
        at: i64,
    ) -> Result<(crate::desk::report::Summary, crate::desk::report::ReadAudit), DeskError> {
        let reads = self.desk_reads(access)?;
        self.collection(collection)?;
        let orders: Vec<Order> =
            self.orders(access)?.into_iter().filter(|s| s.collection == collection).map(|s| s.order).collect();
        let needs = self.desk_needs(collection)?;
        let summary = crate::desk::report::summary(&orders, at);
        let audit = crate::desk::report::reads(&orders, &needs, &reads);
        Ok((summary, audit))
    }
}
