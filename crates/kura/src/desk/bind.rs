//! Access bound to orders: may principal P read field F of record R under order O at time T?
//!
//! [`decide`] allows only when every condition holds, and says which one failed otherwise:
//! - P is not suspended, and O was open at T (arrived, not yet done or cancelled);
//! - P works on O: it is O's assignee, or a member of O's team (by [`Principal::team`]), or — while O's
//!   escalation to an internal team is in its window — a member of that team; such staff hold the operator
//!   or supervisor role, and the assignee and its team also hold O's company;
//! - or P acts for the partner O is escalated to (a contractor or service principal whose team is the
//!   partner's name), and T is inside the escalation's window;
//! - R is one of O's people;
//! - F is a field O's type needs ([`Needs::fields`]); for a partner, F is also in the partner kind's view.
//!
//! This is an authorisation: it returns a [`Decision`], never an error, so the default is deny. It is a
//! layer on top of the vault's policy, not a replacement: the policy still decides, with the order's
//! [`Needs::purpose`] as the purpose kind.
//!
//! [`BreakGlass`] is the exception path: reading without an order (or beyond it) with a written reason,
//! which a supervisor reviews afterwards. Its validation guarantees the reason is a real sentence, not a
//! placeholder.

use serde::Serialize;

use super::needs::Needs;
use super::order::{Order, OrderId, Party};
use crate::id::RecordId;
use crate::principal::{Kind, Principal, Role};

/// Why a read was allowed or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Allowed: P is the order's assignee.
    Assignee,
    /// Allowed: P is in the order's team.
    Team,
    /// Allowed: P is in the internal team the order is escalated to.
    EscalationTeam,
    /// Allowed: P acts for the partner the order is escalated to.
    Partner,
    /// P is suspended.
    Suspended,
    /// The order had not arrived at T.
    NotReceived,
    /// The order was done or cancelled at T.
    Closed,
    /// P is neither assignee, team member, escalation team member nor the escalation partner.
    NotAssigned,
    /// P lacks the operator or supervisor role.
    Role,
    /// P is not assigned to the order's company.
    Company,
    /// P acts for the partner, but T is outside the escalation's window.
    OutsideEscalation,
    /// R is not one of the order's people.
    Person,
    /// The order's type does not need F.
    Field,
    /// F is not in the partner's view.
    PartnerView,
}

impl Reason {
    /// A short machine-readable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Assignee => "assignee",
            Reason::Team => "team",
            Reason::EscalationTeam => "escalation_team",
            Reason::Partner => "partner",
            Reason::Suspended => "suspended",
            Reason::NotReceived => "not_received",
            Reason::Closed => "closed",
            Reason::NotAssigned => "not_assigned",
            Reason::Role => "role",
            Reason::Company => "company",
            Reason::OutsideEscalation => "outside_escalation",
            Reason::Person => "person",
            Reason::Field => "field",
            Reason::PartnerView => "partner_view",
        }
    }
}

/// The answer of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Whether the read is allowed.
    pub allow: bool,
    /// Why.
    pub reason: Reason,
}

impl Decision {
    fn allow(reason: Reason) -> Decision {
        Decision { allow: true, reason }
    }

    fn deny(reason: Reason) -> Decision {
        Decision { allow: false, reason }
    }
}

/// How P relates to O.
enum Relation {
    Assignee,
    Team,
    EscalationTeam,
    Partner(super::order::PartnerKind),
}

/// Whether `who` acts for the partner `name`: a contractor or service principal of the partner's team.
fn acts_for(who: &Principal, name: &str) -> bool {
    matches!(who.kind, Kind::Contractor | Kind::Service) && who.team.as_deref() == Some(name)
}

fn is_staff(who: &Principal) -> bool {
    who.roles.contains(&Role::Operator) || who.roles.contains(&Role::Supervisor)
}

/// Whether `who` may read `field` of `record` under `order` at `at` (Unix seconds). See the module docs.
pub fn decide(needs: &Needs, who: &Principal, order: &Order, record: RecordId, field: &str, at: i64) -> Decision {
    if who.suspended {
        return Decision::deny(Reason::Suspended);
    }
    match order.status_at(at) {
        None => return Decision::deny(Reason::NotReceived),
        Some(s) if s.is_final() => return Decision::deny(Reason::Closed),
        Some(_) => {}
    }
    let escalation = order.escalation.as_ref();
    let partner = escalation.and_then(|e| match &e.to {
        Party::Partner { name, kind } if acts_for(who, name) => Some((*kind, e.active_at(at))),
        _ => None,
    });
    let relation = if let Some((kind, active)) = partner {
        if !active {
            return Decision::deny(Reason::OutsideEscalation);
        }
        Relation::Partner(kind)
    } else if order.assignee.as_deref() == Some(who.name.as_str()) {
        Relation::Assignee
    } else if who.team.is_some() && who.team == order.team {
        Relation::Team
    } else if escalation
        .is_some_and(|e| e.active_at(at) && matches!(&e.to, Party::Team(t) if who.team.as_deref() == Some(t.as_str())))
    {
        Relation::EscalationTeam
    } else {
        return Decision::deny(Reason::NotAssigned);
    };
    if !matches!(relation, Relation::Partner(_)) && !is_staff(who) {
        return Decision::deny(Reason::Role);
    }
    if matches!(relation, Relation::Assignee | Relation::Team) && !who.companies.contains(&order.company) {
        return Decision::deny(Reason::Company);
    }
    if !order.people.contains(&record) {
        return Decision::deny(Reason::Person);
    }
    if !needs.needs(order.kind, field) {
        return Decision::deny(Reason::Field);
    }
    match relation {
        Relation::Assignee => Decision::allow(Reason::Assignee),
        Relation::Team => Decision::allow(Reason::Team),
        Relation::EscalationTeam => Decision::allow(Reason::EscalationTeam),
        Relation::Partner(kind) => {
            if needs.partner_needs(kind, order.kind, field) {
                Decision::allow(Reason::Partner)
            } else {
                Decision::deny(Reason::PartnerView)
            }
        }
    }
}

/// The fewest characters (after trimming) a break-glass reason has.
pub const MIN_REASON_CHARS: usize = 20;
/// The fewest distinct characters a break-glass reason has, so `aaaaaaaaaaaaaaaaaaaa` is not a reason.
pub const MIN_DISTINCT_CHARS: usize = 6;
/// The most characters a break-glass reason has.
pub const MAX_REASON_CHARS: usize = 2_000;

/// An emergency read outside (or without) an order, with a written reason, reviewed afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakGlass {
    /// The order it relates to, if any.
    pub order: Option<OrderId>,
    /// Why; never personal values.
    pub reason: String,
    /// Who (principal name).
    pub by: String,
    /// When (Unix seconds).
    pub at: i64,
}

/// Why a break-glass request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakGlassError {
    /// The reason is too short or too repetitive.
    #[error("a break-glass reason needs at least 20 characters, 6 of them different")]
    ReasonTooShort,
    /// The reason is too long.
    #[error("a break-glass reason has at most 2000 characters")]
    ReasonTooLong,
    /// The principal name is not valid.
    #[error("`{0}` is not a valid principal name")]
    By(String),
    /// The principal is suspended or may not read personal data at all.
    #[error("`{0}` may not break the glass")]
    NotAllowed(String),
}

impl BreakGlass {
    /// A checked break-glass request by `who`.
    pub fn new(order: Option<OrderId>, reason: &str, who: &Principal, at: i64) -> Result<BreakGlass, BreakGlassError> {
        let b = BreakGlass { order, reason: reason.trim().to_owned(), by: who.name.clone(), at };
        b.validate()?;
        if who.suspended || !is_staff(who) || matches!(who.kind, Kind::Service) {
            return Err(BreakGlassError::NotAllowed(who.name.clone()));
        }
        Ok(b)
    }

    /// Checks the reason and the name.
    pub fn validate(&self) -> Result<(), BreakGlassError> {
        let reason = self.reason.trim();
        let chars = reason.chars().count();
        let distinct: std::collections::HashSet<char> = reason.chars().filter(|c| !c.is_whitespace()).collect();
        if chars < MIN_REASON_CHARS || distinct.len() < MIN_DISTINCT_CHARS {
            return Err(BreakGlassError::ReasonTooShort);
        }
        if chars > MAX_REASON_CHARS {
            return Err(BreakGlassError::ReasonTooLong);
        }
        if !crate::principal::valid_name(&self.by) {
            return Err(BreakGlassError::By(self.by.clone()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use std::collections::BTreeSet;

    use super::*;
    use crate::desk::order::{OrderType, PartnerKind, Priority, Status};

    const T0: i64 = 1_800_000_000;
    const ALICE: RecordId = RecordId([1; 16]);
    const BOB: RecordId = RecordId([2; 16]);
    const CAROL: RecordId = RecordId([3; 16]);

    fn company() -> String {
        crate::normalize::canonical(crate::schema::FieldType::Organisation, "サクラ商事株式会社").unwrap()
    }

    fn staff(name: &str, role: Role, team: &str, companies: &[String]) -> Principal {
        Principal::new(
            name,
            Kind::Employee,
            [role].into_iter().collect(),
            Some(team.to_owned()),
            companies.iter().cloned().collect(),
        )
        .unwrap()
    }

    fn partner(name: &str, team: &str) -> Principal {
        Principal::new(
            name,
            Kind::Contractor,
            [Role::Operator].into_iter().collect(),
            Some(team.into()),
            BTreeSet::new(),
        )
        .unwrap()
    }

    fn needs() -> Needs {
        Needs::default_for(&crate::schema::builtin("corporate-mobile").unwrap())
    }

    /// A battery shipment for Alice and Bob, assigned to `a.op` of desk-1 at T0+60, escalated to the courier
    /// from T0+600 to T0+1200.
    fn shipment() -> Order {
        let mut o = Order::new(
            OrderId(7),
            &company(),
            OrderType::BatteryShipment,
            vec![ALICE, BOB],
            Priority::Normal,
            T0,
            needs().sla(),
        )
        .unwrap();
        o.assign(Some("a.op"), Some("desk-1"), "s.sup", T0 + 60).unwrap();
        o.transition(Status::InProgress, "a.op", T0 + 60, "").unwrap();
        let courier = Party::Partner { name: "hayate-express".into(), kind: PartnerKind::Courier };
        o.escalate(courier, "a.op", T0 + 600, Some(T0 + 1200), "ship battery packs").unwrap();
        o
    }

    #[test]
    fn assignee_reads_needed_fields_of_the_orders_people_only() {
        let n = needs();
        let o = shipment();
        let a = staff("a.op", Role::Operator, "desk-1", &[company()]);
        for who in [ALICE, BOB] {
            for f in ["user_name", "home_postal_code", "home_address"] {
                assert_eq!(decide(&n, &a, &o, who, f, T0 + 100), Decision::allow(Reason::Assignee), "{f}");
            }
            for f in ["mobile", "email", "department", "employee_id"] {
                assert_eq!(decide(&n, &a, &o, who, f, T0 + 100), Decision::deny(Reason::Field), "{f}");
            }
        }
        assert_eq!(decide(&n, &a, &o, CAROL, "user_name", T0 + 100), Decision::deny(Reason::Person));
        assert_eq!(decide(&n, &a, &o, ALICE, "user_name", T0 - 1), Decision::deny(Reason::NotReceived));
    }

    #[test]
    fn nothing_after_the_order_is_done() {
        let n = needs();
        let mut o = shipment();
        let a = staff("a.op", Role::Operator, "desk-1", &[company()]);
        o.end_escalation("a.op", T0 + 1500).unwrap();
        o.transition(Status::Done, "a.op", T0 + 2000, "").unwrap();
        assert!(decide(&n, &a, &o, ALICE, "user_name", T0 + 1999).allow);
        assert_eq!(decide(&n, &a, &o, ALICE, "user_name", T0 + 2000), Decision::deny(Reason::Closed));
        assert_eq!(decide(&n, &a, &o, ALICE, "user_name", T0 + 9999), Decision::deny(Reason::Closed));
    }

    #[test]
    fn someone_elses_order_only_within_the_team() {
        let n = needs();
        let o = shipment();
        let mate = staff("b.op", Role::Operator, "desk-1", &[company()]);
        let sup = staff("s.sup", Role::Supervisor, "desk-1", &[company()]);
        let other = staff("c.op", Role::Operator, "desk-2", &[company()]);
        let mate_without_company = staff("d.op", Role::Operator, "desk-1", &[]);
        assert_eq!(decide(&n, &mate, &o, ALICE, "home_address", T0 + 100), Decision::allow(Reason::Team));
        assert_eq!(decide(&n, &sup, &o, ALICE, "home_address", T0 + 100), Decision::allow(Reason::Team));
        assert_eq!(decide(&n, &other, &o, ALICE, "home_address", T0 + 100), Decision::deny(Reason::NotAssigned));
        assert_eq!(
            decide(&n, &mate_without_company, &o, ALICE, "user_name", T0 + 100),
            Decision::deny(Reason::Company)
        );
        let mut suspended = mate.clone();
        suspended.suspended = true;
        assert_eq!(decide(&n, &suspended, &o, ALICE, "user_name", T0 + 100), Decision::deny(Reason::Suspended));
        // An unassigned order without a team: nobody.
        let mut bare = o.clone();
        bare.assignee = None;
        bare.team = None;
        let a = staff("a.op", Role::Operator, "desk-1", &[company()]);
        assert_eq!(decide(&n, &a, &bare, ALICE, "user_name", T0 + 100), Decision::deny(Reason::NotAssigned));
    }

    #[test]
    fn partner_only_in_the_window_and_only_its_view() {
        let n = needs();
        let o = shipment();
        let courier = partner("hayate.api", "hayate-express");
        let stranger = partner("kaze.api", "kaze-logistics");
        assert_eq!(
            decide(&n, &courier, &o, ALICE, "home_address", T0 + 599),
            Decision::deny(Reason::OutsideEscalation)
        );
        assert_eq!(decide(&n, &courier, &o, ALICE, "home_address", T0 + 600), Decision::allow(Reason::Partner));
        assert_eq!(decide(&n, &courier, &o, BOB, "user_name", T0 + 1199), Decision::allow(Reason::Partner));
        assert_eq!(decide(&n, &courier, &o, BOB, "user_name", T0 + 1200), Decision::deny(Reason::OutsideEscalation));
        assert_eq!(decide(&n, &courier, &o, CAROL, "user_name", T0 + 700), Decision::deny(Reason::Person));
        assert_eq!(decide(&n, &courier, &o, ALICE, "mobile", T0 + 700), Decision::deny(Reason::Field));
        assert_eq!(decide(&n, &stranger, &o, ALICE, "home_address", T0 + 700), Decision::deny(Reason::NotAssigned));

        // A handset maker on a repair sees name and number, not the company address the operator needs.
        let mut r =
            Order::new(OrderId(8), &company(), OrderType::Repair, vec![ALICE], Priority::High, T0, n.sla()).unwrap();
        r.assign(Some("a.op"), Some("desk-1"), "a.op", T0).unwrap();
        r.transition(Status::InProgress, "a.op", T0 + 1, "").unwrap();
        let maker = Party::Partner { name: "minato-devices".into(), kind: PartnerKind::HandsetMaker };
        r.escalate(maker, "a.op", T0 + 10, None, "broken screen").unwrap();
        let m = partner("minato.api", "minato-devices");
        assert_eq!(decide(&n, &m, &r, ALICE, "mobile", T0 + 20), Decision::allow(Reason::Partner));
        assert_eq!(decide(&n, &m, &r, ALICE, "company_address", T0 + 20), Decision::deny(Reason::PartnerView));
        let a = staff("a.op", Role::Operator, "desk-1", &[company()]);
        assert_eq!(decide(&n, &a, &r, ALICE, "company_address", T0 + 20), Decision::allow(Reason::Assignee));
        // A desk employee whose team happens to carry the partner's name is not the partner.
        let impostor = staff("x.op", Role::Operator, "minato-devices", &[company()]);
        assert_eq!(decide(&n, &impostor, &r, ALICE, "mobile", T0 + 20), Decision::deny(Reason::NotAssigned));
    }

    #[test]
    fn escalation_team_during_the_window() {
        let n = needs();
        let mut o =
            Order::new(OrderId(9), &company(), OrderType::NewLine, vec![ALICE], Priority::Normal, T0, n.sla()).unwrap();
        o.assign(Some("a.op"), Some("desk-1"), "a.op", T0).unwrap();
        o.transition(Status::InProgress, "a.op", T0 + 1, "").unwrap();
        o.escalate(Party::Team("account-team".into()), "a.op", T0 + 10, Some(T0 + 100), "contract").unwrap();
        let acct = staff("k.acct", Role::Operator, "account-team", &[]);
        assert_eq!(decide(&n, &acct, &o, ALICE, "email", T0 + 50), Decision::allow(Reason::EscalationTeam));
        assert_eq!(decide(&n, &acct, &o, ALICE, "mobile", T0 + 50), Decision::deny(Reason::Field));
        assert_eq!(decide(&n, &acct, &o, ALICE, "email", T0 + 100), Decision::deny(Reason::NotAssigned));
        let auditor = Principal::new(
            "q.audit",
            Kind::Employee,
            [Role::Auditor].into_iter().collect(),
            Some("account-team".into()),
            BTreeSet::new(),
        )
        .unwrap();
        assert_eq!(decide(&n, &auditor, &o, ALICE, "email", T0 + 50), Decision::deny(Reason::Role));
    }

    #[test]
    fn break_glass_reasons() {
        let a = staff("a.op", Role::Operator, "desk-1", &[company()]);
        let ok =
            BreakGlass::new(Some(OrderId(7)), "  client called: lost handset, lock the line now  ", &a, T0).unwrap();
        assert_eq!(ok.reason, "client called: lost handset, lock the line now");
        assert_eq!(BreakGlass::new(None, "urgent", &a, T0), Err(BreakGlassError::ReasonTooShort));
        assert_eq!(
            BreakGlass::new(None, "                              x", &a, T0),
            Err(BreakGlassError::ReasonTooShort)
        );
        assert_eq!(BreakGlass::new(None, &"a".repeat(40), &a, T0), Err(BreakGlassError::ReasonTooShort));
        assert_eq!(BreakGlass::new(None, &"abcdefgh".repeat(300), &a, T0), Err(BreakGlassError::ReasonTooLong));
        // Japanese reasons count characters, not bytes.
        assert_eq!(BreakGlass::new(None, "端末紛失の連絡", &a, T0), Err(BreakGlassError::ReasonTooShort));
        assert!(BreakGlass::new(None, "端末紛失の連絡あり。回線停止のため利用者の携帯番号を確認する", &a, T0).is_ok());
        let mut off = a.clone();
        off.suspended = true;
        assert_eq!(
            BreakGlass::new(None, "client called: lost handset, lock it", &off, T0),
            Err(BreakGlassError::NotAllowed("a.op".into()))
        );
        assert!(BreakGlassError::ReasonTooShort.to_string().contains(&MIN_REASON_CHARS.to_string()));
        assert!(BreakGlassError::ReasonTooLong.to_string().contains(&MAX_REASON_CHARS.to_string()));
        let bad =
            BreakGlass { order: None, reason: "client called: lost handset, lock it".into(), by: "A B".into(), at: T0 };
        assert_eq!(bad.validate(), Err(BreakGlassError::By("A B".into())));
    }
}
