//! Orders: one work item from a client company, with its people, priority, SLA due time, assignee,
//! status history and escalation.
//!
//! Guarantees:
//! - **The transition table holds.** A status changes only along [`Status::can_move`]; `Done` and
//!   `Cancelled` are final, and no method changes a closed order.
//! - **History moves forward.** Every change happens at or after the order's arrival and its previous
//!   transition, so [`Order::status_at`] answers for any instant.
//! - **One escalation at a time.** An order is escalated to one [`Party`]; the escalation's window runs from
//!   its start to its end ([`Escalation::active_at`]), and a new escalation needs the previous one ended.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::needs::Sla;
use crate::id::RecordId;

/// An order's id, shown as `ORD-00000042`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ORD-{:08}", self.0)
    }
}

impl fmt::Debug for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderId({self})")
    }
}

/// A string is not an order id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an order id (expected `ORD-` and digits, e.g. `ORD-00000042`)")]
pub struct ParseOrderIdError;

impl FromStr for OrderId {
    type Err = ParseOrderIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.trim().strip_prefix("ORD-").ok_or(ParseOrderIdError)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseOrderIdError);
        }
        digits.parse().map(OrderId).map_err(|_| ParseOrderIdError)
    }
}

/// What a client company asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderType {
    /// New lines for employees.
    NewLine,
    /// A new handset for an existing line.
    DeviceChange,
    /// A broken handset.
    Repair,
    /// Replacement battery packs shipped to employees (the recall of the second incident).
    BatteryShipment,
    /// Lines to be cancelled.
    Cancellation,
    /// A change of delivery or billing address.
    AddressChange,
    /// A question.
    Inquiry,
}

impl OrderType {
    /// Every order type.
    pub const ALL: [OrderType; 7] = [
        OrderType::NewLine,
        OrderType::DeviceChange,
        OrderType::Repair,
        OrderType::BatteryShipment,
        OrderType::Cancellation,
        OrderType::AddressChange,
        OrderType::Inquiry,
    ];

    /// The name used in configuration files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::NewLine => "new_line",
            OrderType::DeviceChange => "device_change",
            OrderType::Repair => "repair",
            OrderType::BatteryShipment => "battery_shipment",
            OrderType::Cancellation => "cancellation",
            OrderType::AddressChange => "address_change",
            OrderType::Inquiry => "inquiry",
        }
    }

    /// Position in [`OrderType::ALL`], for dense tables.
    pub fn index(self) -> usize {
        match self {
            OrderType::NewLine => 0,
            OrderType::DeviceChange => 1,
            OrderType::Repair => 2,
            OrderType::BatteryShipment => 3,
            OrderType::Cancellation => 4,
            OrderType::AddressChange => 5,
            OrderType::Inquiry => 6,
        }
    }

    /// The order type with this name.
    pub fn parse(name: &str) -> Option<OrderType> {
        OrderType::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for OrderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How urgent an order is; with the type, it decides the SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Priority {
    /// No hurry.
    Low,
    /// The usual.
    Normal,
    /// Soon.
    High,
    /// Someone cannot work.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

    /// The name used in configuration files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// Position in [`Priority::ALL`].
    pub fn index(self) -> usize {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Arrived, nobody working on it yet.
    Received,
    /// An operator is working on it.
    InProgress,
    /// Handed to another team or a partner.
    Escalated,
    /// Waiting for the client company.
    Waiting,
    /// Finished (final).
    Done,
    /// Withdrawn (final).
    Cancelled,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 6] =
        [Status::Received, Status::InProgress, Status::Escalated, Status::Waiting, Status::Done, Status::Cancelled];

    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::InProgress => "in_progress",
            Status::Escalated => "escalated",
            Status::Waiting => "waiting",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
        }
    }

    /// Position in [`Status::ALL`].
    pub fn index(self) -> usize {
        match self {
            Status::Received => 0,
            Status::InProgress => 1,
            Status::Escalated => 2,
            Status::Waiting => 3,
            Status::Done => 4,
            Status::Cancelled => 5,
        }
    }

    /// Whether nothing follows: `Done` or `Cancelled`.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Done | Status::Cancelled)
    }

    /// The transition table. An order is taken up before anything else happens to it (or withdrawn);
    /// work, escalation and waiting alternate; any open order can be finished or cancelled except one nobody
    /// has taken up, which can only be cancelled. Staying in the same status is not a move.
    pub fn can_move(self, to: Status) -> bool {
        use Status::{Cancelled, Done, Escalated, InProgress, Received, Waiting};
        match self {
            Received => matches!(to, InProgress | Cancelled),
            InProgress => matches!(to, Escalated | Waiting | Done | Cancelled),
            Escalated => matches!(to, InProgress | Waiting | Done | Cancelled),
            Waiting => matches!(to, InProgress | Escalated | Done | Cancelled),
            Done | Cancelled => false,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of outside partner an order is escalated to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PartnerKind {
    /// Delivers parcels (battery packs, handsets).
    Courier,
    /// Repairs and replaces handsets.
    HandsetMaker,
    /// Runs the mobile network.
    Carrier,
}

impl PartnerKind {
    /// Every partner kind.
    pub const ALL: [PartnerKind; 3] = [PartnerKind::Courier, PartnerKind::HandsetMaker, PartnerKind::Carrier];

    /// The name used in configuration files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerKind::Courier => "courier",
            PartnerKind::HandsetMaker => "handset_maker",
            PartnerKind::Carrier => "carrier",
        }
    }

    /// The partner kind with this name.
    pub fn parse(name: &str) -> Option<PartnerKind> {
        PartnerKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Whom an order is escalated to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Party {
    /// An internal team, by its team name (e.g. `account-team`, `network-operations`).
    Team(String),
    /// An outside partner. Its principals are those whose team is `name` (see [`crate::desk::bind`]).
    Partner {
        /// The partner's name.
        name: String,
        /// What it does.
        kind: PartnerKind,
    },
}

impl Party {
    /// A short label for reports: `team:account-team`, `courier:hayate-express`.
    pub fn label(&self) -> String {
        match self {
            Party::Team(t) => format!("team:{t}"),
            Party::Partner { name, kind } => format!("{}:{name}", kind.as_str()),
        }
    }
}

/// An order's escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Who takes it over.
    pub to: Party,
    /// When it was handed over.
    pub at: i64,
    /// When the handover ends (exclusive); `None` while it runs with no planned end.
    pub until: Option<i64>,
    /// Why.
    pub reason: String,
}

impl Escalation {
    /// Whether `t` is inside the escalation's window: `at <= t < until`.
    pub fn active_at(&self, t: i64) -> bool {
        self.at <= t && self.until.is_none_or(|u| t < u)
    }
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// When.
    pub at: i64,
    /// From.
    pub from: Status,
    /// To.
    pub to: Status,
    /// Who (principal name).
    pub by: String,
    /// Why or what was done (may be empty). Never personal values.
    pub note: String,
}

/// One order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// The client company (canonical form, as in principals' assigned companies).
    pub company: String,
    /// Order type.
    pub kind: OrderType,
    /// The people (records) the order is about.
    #[serde(with = "record_ids")]
    pub people: Vec<RecordId>,
    /// Priority.
    pub priority: Priority,
    /// Arrival.
    pub received_at: i64,
    /// SLA due time.
    pub due_at: i64,
    /// The operator working on it.
    pub assignee: Option<String>,
    /// The team responsible (the assignee's desk).
    pub team: Option<String>,
    /// Status changes, oldest first.
    pub history: Vec<Transition>,
    /// Free notes. Never personal values.
    pub notes: Vec<String>,
    /// The current or last escalation.
    pub escalation: Option<Escalation>,
}

/// Record ids as UUID strings.
mod record_ids {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::id::RecordId;

    pub(super) fn serialize<S: Serializer>(ids: &[RecordId], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(ids.iter().map(ToString::to_string))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RecordId>, D::Error> {
        let raw: Vec<String> = Vec::deserialize(d)?;
        raw.iter().map(|s| s.parse().map_err(D::Error::custom)).collect()
    }
}

/// Why an order could not be created or changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderError {
    /// The company name is empty.
    #[error("an order needs a client company")]
    Company,
    /// Only inquiries may name nobody.
    #[error("a `{0}` order must name at least one person")]
    NoPeople(OrderType),
    /// The same person is named twice.
    #[error("a person is named twice in the order")]
    DuplicatePerson,
    /// The order is closed.
    #[error("the order is `{0}` and cannot change")]
    Final(Status),
    /// The move is not in the transition table.
    #[error("an order cannot move from `{from}` to `{to}`")]
    NotAllowed {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// The change is dated before the order's last change.
    #[error("a change cannot be dated before the order's last change")]
    Backwards,
    /// A name is empty.
    #[error("the principal making the change must be named")]
    NoActor,
    /// An escalation is still running.
    #[error("the order is already escalated to `{0}`")]
    AlreadyEscalated(String),
    /// No escalation is running.
    #[error("the order is not escalated")]
    NotEscalated,
    /// An escalation window ends before it starts.
    #[error("an escalation must end after it starts")]
    Window,
}

impl Order {
    /// A new order, `Received` at `received_at`, due by the SLA for its type and priority.
    pub fn new(
        id: OrderId,
        company: &str,
        kind: OrderType,
        people: Vec<RecordId>,
        priority: Priority,
        received_at: i64,
        sla: &Sla,
    ) -> Result<Order, OrderError> {
        if company.trim().is_empty() {
            return Err(OrderError::Company);
        }
        if people.is_empty() && kind != OrderType::Inquiry {
            return Err(OrderError::NoPeople(kind));
        }
        let mut seen = std::collections::HashSet::with_capacity(people.len());
        if !people.iter().all(|p| seen.insert(*p)) {
            return Err(OrderError::DuplicatePerson);
        }
        Ok(Order {
            id,
            company: company.to_owned(),
            kind,
            people,
            priority,
            received_at,
            due_at: received_at.saturating_add(sla.seconds(kind, priority)),
            assignee: None,
            team: None,
            history: Vec::new(),
            notes: Vec::new(),
            escalation: None,
        })
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.history.last().map_or(Status::Received, |t| t.to)
    }

    /// The status at instant `t`, or `None` before the order arrived.
    pub fn status_at(&self, t: i64) -> Option<Status> {
        if t < self.received_at {
            return None;
        }
        // History is in time order (guaranteed by `transition`).
        let done = self.history.partition_point(|h| h.at <= t);
        Some(done.checked_sub(1).and_then(|i| self.history.get(i)).map_or(Status::Received, |h| h.to))
    }

    /// Whether the order is open (not `Done` or `Cancelled`).
    pub fn is_open(&self) -> bool {
        !self.status().is_final()
    }

    /// Whether the order was open at instant `t`: arrived, and not yet finished or cancelled.
    pub fn open_at(&self, t: i64) -> bool {
        self.status_at(t).is_some_and(|s| !s.is_final())
    }

    /// When the order was finished, if it was.
    pub fn done_at(&self) -> Option<i64> {
        self.history.iter().find(|t| t.to == Status::Done).map(|t| t.at)
    }

    /// When the order was closed (finished or cancelled), if it was.
    pub fn closed_at(&self) -> Option<i64> {
        self.history.iter().find(|t| t.to.is_final()).map(|t| t.at)
    }

    /// Whether finishing at `at_done` meets the SLA (due time included).
    pub fn sla_met(&self, at_done: i64) -> bool {
        at_done <= self.due_at
    }

    /// The time of the order's latest change (its arrival if none).
    fn last_at(&self) -> i64 {
        self.history.last().map_or(self.received_at, |t| t.at)
    }

    fn check_change(&self, by: &str, at: i64) -> Result<(), OrderError> {
        let status = self.status();
        if status.is_final() {
            return Err(OrderError::Final(status));
        }
        if by.trim().is_empty() {
            return Err(OrderError::NoActor);
        }
        if at < self.last_at() {
            return Err(OrderError::Backwards);
        }
        Ok(())
    }

    /// Moves the order to `to`, along the transition table. Finishing or cancelling an order ends a running
    /// escalation at the same instant.
    pub fn transition(&mut self, to: Status, by: &str, at: i64, note: &str) -> Result<(), OrderError> {
        self.check_change(by, at)?;
        let from = self.status();
        if !from.can_move(to) {
            return Err(OrderError::NotAllowed { from, to });
        }
        if to.is_final() {
            if let Some(e) = self.escalation.as_mut() {
                if e.active_at(at) {
                    e.until = Some(at.max(e.at));
                }
            }
        }
        self.history.push(Transition { at, from, to, by: by.to_owned(), note: note.to_owned() });
        Ok(())
    }

    /// Assigns the order to `assignee` of `team` (or takes it away with `None`). Allowed while the order is
    /// open; the status does not change.
    pub fn assign(&mut self, assignee: Option<&str>, team: Option<&str>, by: &str, at: i64) -> Result<(), OrderError> {
        self.check_change(by, at)?;
        self.assignee = assignee.map(str::to_owned);
        self.team = team.map(str::to_owned);
        Ok(())
    }

    /// Escalates the order to `party` from `at` until `until` (exclusive; `None` for no planned end) and
    /// moves it to `Escalated`.
    pub fn escalate(
        &mut self,
        party: Party,
        by: &str,
        at: i64,
        until: Option<i64>,
        reason: &str,
    ) -> Result<(), OrderError> {
        self.check_change(by, at)?;
        if let Some(e) = &self.escalation {
            if e.active_at(at) {
                return Err(OrderError::AlreadyEscalated(e.to.label()));
            }
        }
        if until.is_some_and(|u| u <= at) {
            return Err(OrderError::Window);
        }
        let from = self.status();
        if !from.can_move(Status::Escalated) {
            return Err(OrderError::NotAllowed { from, to: Status::Escalated });
        }
        self.history.push(Transition {
            at,
            from,
            to: Status::Escalated,
            by: by.to_owned(),
            note: format!("escalated to {}", party.label()),
        });
        self.escalation = Some(Escalation { to: party, at, until, reason: reason.to_owned() });
        Ok(())
    }

    /// Ends the running escalation at `at` and, if the order is `Escalated`, takes it back `InProgress` (also
    /// when the escalation's planned end has already passed).
    pub fn end_escalation(&mut self, by: &str, at: i64) -> Result<(), OrderError> {
        self.check_change(by, at)?;
        let escalated = self.status() == Status::Escalated;
        let Some(e) = self.escalation.as_mut() else {
            return Err(OrderError::NotEscalated);
        };
        // A window with a planned end may already be over while the order is still `Escalated`.
        if !e.active_at(at) && !escalated {
            return Err(OrderError::NotEscalated);
        }
        if at <= e.at {
            return Err(OrderError::Window);
        }
        if e.active_at(at) {
            e.until = Some(at);
        }
        let label = e.to.label();
        if escalated {
            self.history.push(Transition {
                at,
                from: Status::Escalated,
                to: Status::InProgress,
                by: by.to_owned(),
                note: format!("back from {label}"),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;

    const T0: i64 = 1_800_000_000;

    fn order(kind: OrderType, priority: Priority) -> Order {
        Order::new(OrderId(1), "sakura", kind, vec![RecordId([1; 16])], priority, T0, &Sla::default()).unwrap()
    }

    #[test]
    fn transition_table() {
        use Status::*;
        let allowed = [
            (Received, InProgress),
            (Received, Cancelled),
            (InProgress, Escalated),
            (InProgress, Waiting),
            (InProgress, Done),
            (InProgress, Cancelled),
            (Escalated, InProgress),
            (Escalated, Waiting),
            (Escalated, Done),
            (Escalated, Cancelled),
            (Waiting, InProgress),
            (Waiting, Escalated),
            (Waiting, Done),
            (Waiting, Cancelled),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(from.can_move(to), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
        for s in Status::ALL {
            assert_eq!(s.is_final(), matches!(s, Done | Cancelled));
            assert!(!s.can_move(s), "{s} -> {s}");
        }
    }

    #[test]
    fn transitions_follow_the_table_and_finals_stay_final() {
        let mut o = order(OrderType::Repair, Priority::Normal);
        assert_eq!(o.status(), Status::Received);
        assert_eq!(
            o.transition(Status::Done, "a.op", T0 + 1, ""),
            Err(OrderError::NotAllowed { from: Status::Received, to: Status::Done })
        );
        o.transition(Status::InProgress, "a.op", T0 + 10, "taken").unwrap();
        assert_eq!(o.transition(Status::Waiting, "a.op", T0 + 5, ""), Err(OrderError::Backwards));
        assert_eq!(o.transition(Status::Waiting, "", T0 + 20, ""), Err(OrderError::NoActor));
        o.transition(Status::Waiting, "a.op", T0 + 20, "").unwrap();
        o.transition(Status::Done, "a.op", T0 + 30, "").unwrap();
        assert!(!o.is_open());
        for to in Status::ALL {
            assert_eq!(o.transition(to, "a.op", T0 + 40, ""), Err(OrderError::Final(Status::Done)));
        }
        assert_eq!(o.assign(Some("b.op"), None, "a.op", T0 + 40), Err(OrderError::Final(Status::Done)));
        assert_eq!(o.history.len(), 3);
        assert_eq!(o.status_at(T0 - 1), None);
        assert_eq!(o.status_at(T0), Some(Status::Received));
        assert_eq!(o.status_at(T0 + 10), Some(Status::InProgress));
        assert_eq!(o.status_at(T0 + 25), Some(Status::Waiting));
        assert_eq!(o.status_at(T0 + 30), Some(Status::Done));
        assert!(o.open_at(T0 + 29) && !o.open_at(T0 + 30));
        assert_eq!(o.done_at(), Some(T0 + 30));

        let mut c = order(OrderType::Inquiry, Priority::Low);
        c.transition(Status::Cancelled, "a.op", T0 + 1, "withdrawn").unwrap();
        assert_eq!(c.transition(Status::InProgress, "a.op", T0 + 2, ""), Err(OrderError::Final(Status::Cancelled)));
        assert_eq!(c.done_at(), None);
        assert_eq!(c.closed_at(), Some(T0 + 1));
    }

    #[test]
    fn sla_due_time_by_type_and_priority() {
        let sla = Sla::default();
        for kind in OrderType::ALL {
            for p in Priority::ALL {
                let o = order(kind, p);
                assert_eq!(o.due_at, T0 + i64::from(sla.hours(kind, p)) * 3600);
                assert!(o.sla_met(o.due_at));
                assert!(!o.sla_met(o.due_at + 1));
            }
            // Urgent is never slower than low.
            assert!(sla.hours(kind, Priority::Urgent) <= sla.hours(kind, Priority::Low));
        }
        assert_eq!(order(OrderType::BatteryShipment, Priority::Normal).due_at, T0 + 48 * 3600);
        assert_eq!(order(OrderType::Inquiry, Priority::Urgent).due_at, T0 + 3600);
    }

    #[test]
    fn new_order_checks() {
        let sla = Sla::default();
        let p = vec![RecordId([1; 16])];
        assert_eq!(
            Order::new(OrderId(1), " ", OrderType::Repair, p.clone(), Priority::Low, T0, &sla),
            Err(OrderError::Company)
        );
        assert_eq!(
            Order::new(OrderId(1), "x", OrderType::Repair, vec![], Priority::Low, T0, &sla),
            Err(OrderError::NoPeople(OrderType::Repair))
        );
        assert!(Order::new(OrderId(1), "x", OrderType::Inquiry, vec![], Priority::Low, T0, &sla).is_ok());
        assert_eq!(
            Order::new(OrderId(1), "x", OrderType::NewLine, vec![p[0], p[0]], Priority::Low, T0, &sla),
            Err(OrderError::DuplicatePerson)
        );
    }

    #[test]
    fn escalation_window() {
        let mut o = order(OrderType::BatteryShipment, Priority::High);
        let courier = Party::Partner { name: "hayate-express".into(), kind: PartnerKind::Courier };
        assert_eq!(
            o.escalate(courier.clone(), "a.op", T0 + 5, None, "ship"),
            Err(OrderError::NotAllowed { from: Status::Received, to: Status::Escalated })
        );
        o.transition(Status::InProgress, "a.op", T0 + 10, "").unwrap();
        assert_eq!(o.end_escalation("a.op", T0 + 11), Err(OrderError::NotEscalated));
        assert_eq!(o.escalate(courier.clone(), "a.op", T0 + 20, Some(T0 + 20), "ship"), Err(OrderError::Window));
        o.escalate(courier.clone(), "a.op", T0 + 20, None, "ship").unwrap();
        assert_eq!(o.status(), Status::Escalated);
        assert_eq!(
            o.escalate(Party::Team("account-team".into()), "a.op", T0 + 25, None, ""),
            Err(OrderError::AlreadyEscalated("courier:hayate-express".into()))
        );
        let e = o.escalation.clone().unwrap();
        assert!(!e.active_at(T0 + 19) && e.active_at(T0 + 20) && e.active_at(T0 + 1_000_000));
        o.end_escalation("a.op", T0 + 100).unwrap();
        assert_eq!(o.status(), Status::InProgress);
        let e = o.escalation.clone().unwrap();
        assert!(e.active_at(T0 + 99) && !e.active_at(T0 + 100));
        // A second escalation after the first ended.
        o.escalate(Party::Team("account-team".into()), "a.op", T0 + 200, Some(T0 + 300), "contract").unwrap();
        // Finishing ends a running escalation.
        o.transition(Status::Done, "a.op", T0 + 250, "").unwrap();
        assert_eq!(o.escalation.as_ref().unwrap().until, Some(T0 + 250));
    }

    #[test]
    fn orders_round_trip_through_json() {
        let mut o = order(OrderType::Repair, Priority::High);
        o.transition(Status::InProgress, "a.op", T0 + 1, "").unwrap();
        let maker = Party::Partner { name: "minato-devices".into(), kind: PartnerKind::HandsetMaker };
        o.escalate(maker, "a.op", T0 + 2, None, "screen").unwrap();
        let json = serde_json::to_string(&o).unwrap();
        assert!(json.contains("\"people\":[\"01010101-0101-0101-0101-010101010101\"]"), "{json}");
        assert!(json.contains("\"kind\":\"repair\""), "{json}");
        assert_eq!(serde_json::from_str::<Order>(&json).unwrap(), o);
        let bad = json.replace("01010101-0101", "nope");
        assert!(serde_json::from_str::<Order>(&bad).is_err());
    }

    #[test]
    fn order_ids_round_trip() {
        let id = OrderId(42);
        assert_eq!(id.to_string(), "ORD-00000042");
        assert_eq!("ORD-00000042".parse::<OrderId>(), Ok(id));
        assert!("42".parse::<OrderId>().is_err());
        assert!("ORD-".parse::<OrderId>().is_err());
        assert!("ORD-+1".parse::<OrderId>().is_err());
        assert_eq!(serde_json::to_string(&OrderType::BatteryShipment).unwrap(), "\"battery_shipment\"");
        for k in OrderType::ALL {
            assert_eq!(OrderType::parse(k.as_str()), Some(k));
            assert_eq!(OrderType::ALL[k.index()], k);
        }
        for s in Status::ALL {
            assert_eq!(Status::ALL[s.index()], s);
        }
    }
}
