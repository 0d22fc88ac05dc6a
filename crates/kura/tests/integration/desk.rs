//! The service desk: personal data read through orders — the order's fields of the order's people, by its
//! assignee or team, while it is open; partners only during their escalation and only their view;
//! break-glass with a reason and an alert.

use std::collections::BTreeSet;

use kura::alerts::rules::Rule;
use kura::audit::{Action, Entry};
use kura::desk::order::{OrderType, PartnerKind, Party, Priority, Status};
use kura::principal::{Kind, Principal, Role};
use kura::vault::desk::{Change, DeskError};
use kura::vault::CardView;
use kura::{Access, RecordId, Vault};

use crate::support::{backends, corporate_csv, custodian, rows};

const C: &str = "corporate-mobile";

fn principal(vault: &Vault, name: &str, kind: Kind, role: Role, team: &str, company: &str) -> Access {
    let companies: BTreeSet<String> = if company.is_empty() { BTreeSet::new() } else { [company.to_owned()].into() };
    let p = Principal::new(name, kind, [role].into(), Some(team.to_owned()), companies).unwrap();
    vault.add_principal(&custodian(), &p).unwrap();
    vault.access(name, "DESK-1", "test").unwrap()
}

struct Setup {
    vault: Vault,
    company: String,
    people: Vec<RecordId>,
    /// Someone of another company.
    outsider: RecordId,
    _fx: crate::support::Fixture,
}

fn setup() -> Setup {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    let csv = corporate_csv(300, 41);
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    // Only the alerts under test: nothing fires by the clock.
    vault.set_alert_rules(&custodian(), "[off_hours]\nenabled = false\n").unwrap();
    let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    let ids = vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap().ids;
    let all = rows(&csv);
    // The company with the most people whose home address is on file.
    let mut counts = std::collections::BTreeMap::new();
    for p in all.iter().filter(|p| !p["home_address"].is_empty()) {
        *counts.entry(p["company"].clone()).or_insert(0) += 1;
    }
    let company = counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0;
    let people: Vec<RecordId> = all
        .iter()
        .zip(&ids)
        .filter(|(p, _)| p["company"] == company && !p["home_address"].is_empty())
        .map(|(_, id)| *id)
        .collect();
    assert!(people.len() >= 2, "the fixture needs two people with home addresses in one company");
    let outsider = all.iter().zip(&ids).find(|(p, _)| p["company"] != company).map(|(_, id)| *id).unwrap();
    let company =
        kura::normalize::canonical(kura::schema::FieldType::Organisation, &company).unwrap().as_str().to_owned();
    Setup { vault, company, people, outsider, _fx: fx }
}

fn shown(r: &kura::vault::Record) -> Vec<&str> {
    r.fields.iter().filter(|f| f.value.is_some()).map(|f| f.name.as_str()).collect()
}

fn last_read(vault: &Vault) -> Entry {
    let log = vault.audit_log().store();
    log.entries(0, log.size().unwrap())
        .unwrap()
        .into_iter()
        .map(|(_, d)| Entry::from_leaf(&d).unwrap())
        .rfind(|e| e.action == Action::Read)
        .unwrap()
}

#[test]
fn reads_go_through_open_assigned_orders_only() {
    let s = setup();
    let (p1, p2) = (s.people[0], s.people[1]);
    let op = principal(&s.vault, "op.a", Kind::Employee, Role::Operator, "desk-1", &s.company);
    let mate = principal(&s.vault, "op.b", Kind::Employee, Role::Operator, "desk-1", &s.company);
    let other = principal(&s.vault, "op.c", Kind::Employee, Role::Operator, "desk-2", &s.company);
    s.vault.require_orders(&custodian(), true).unwrap();
    // Outside any order: refused.
    assert!(matches!(s.vault.get(&op, C, p1, CardView::Masked), Err(kura::vault::ReadError::Denied(_))));

    let order =
        s.vault.create_order(&op, C, &s.company, OrderType::BatteryShipment, vec![p1], Priority::Normal).unwrap();
    s.vault
        .change_order(
            &op,
            order.id,
            Change::Assign { assignee: Some("op.a".to_owned()), team: Some("desk-1".to_owned()) },
        )
        .unwrap();
    s.vault.change_order(&op, order.id, Change::Move { to: Status::InProgress, note: String::new() }).unwrap();

    // The assignee reads exactly what a battery shipment needs.
    let r = s.vault.read_for_order(&op, order.id, p1, CardView::Masked).unwrap();
    assert_eq!(shown(&r), vec!["user_name", "home_postal_code", "home_address"]);
    let e = last_read(&s.vault);
    assert_eq!((e.purpose.as_str(), e.principal.as_str()), (order.id.to_string().as_str(), "op.a"));
    assert_eq!(e.fields, vec!["user_name", "home_postal_code", "home_address"]);
    // A teammate too; not another team, not another person.
    assert!(s.vault.read_for_order(&mate, order.id, p1, CardView::Masked).is_ok());
    assert!(matches!(s.vault.read_for_order(&other, order.id, p1, CardView::Masked), Err(DeskError::Read(_))));
    assert!(matches!(s.vault.read_for_order(&op, order.id, p2, CardView::Masked), Err(DeskError::Read(_))));
    // Closed: nothing.
    s.vault.change_order(&op, order.id, Change::Move { to: Status::Done, note: String::new() }).unwrap();
    assert!(s.vault.read_for_order(&op, order.id, p1, CardView::Masked).is_err());
    // An inquiry needs nothing personal.
    let inquiry = s.vault.create_order(&op, C, &s.company, OrderType::Inquiry, vec![p2], Priority::Low).unwrap();
    s.vault.change_order(&op, inquiry.id, Change::Assign { assignee: Some("op.a".to_owned()), team: None }).unwrap();
    assert!(s.vault.read_for_order(&op, inquiry.id, p2, CardView::Masked).is_err());
    // An order for someone of another company is refused at intake.
    let outsider = principal(&s.vault, "op.d", Kind::Employee, Role::Operator, "desk-9", "");
    assert!(s.vault.create_order(&outsider, C, &s.company, OrderType::Repair, vec![p1], Priority::Low).is_err());
}

#[test]
fn a_partner_sees_its_view_during_the_escalation_only() {
    let s = setup();
    let p1 = s.people[0];
    let op = principal(&s.vault, "op.a", Kind::Employee, Role::Operator, "desk-1", &s.company);
    let courier = principal(&s.vault, "hayate.courier", Kind::Contractor, Role::Operator, "hayate-express", &s.company);
    let order = s.vault.create_order(&op, C, &s.company, OrderType::BatteryShipment, vec![p1], Priority::High).unwrap();
    s.vault.change_order(&op, order.id, Change::Assign { assignee: Some("op.a".to_owned()), team: None }).unwrap();
    s.vault.change_order(&op, order.id, Change::Move { to: Status::InProgress, note: String::new() }).unwrap();
    // Before the escalation the courier sees nothing.
    assert!(s.vault.read_for_order(&courier, order.id, p1, CardView::Masked).is_err());
    let party = Party::Partner { name: "hayate-express".to_owned(), kind: PartnerKind::Courier };
    let until = kura::store::now() + 3600;
    s.vault
        .change_order(
            &op,
            order.id,
            Change::Escalate { party, until: Some(until), reason: "ship the battery".to_owned() },
        )
        .unwrap();
    let r = s.vault.read_for_order(&courier, order.id, p1, CardView::Masked).unwrap();
    assert_eq!(shown(&r), vec!["user_name", "home_postal_code", "home_address"], "a shipping label, not the record");
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    s.vault.change_order(&op, order.id, Change::EndEscalation).unwrap();
    assert!(
        s.vault.read_for_order(&courier, order.id, p1, CardView::Masked).is_err(),
        "the view outlived the escalation"
    );
}

#[test]
fn break_glass_needs_a_reason_and_alerts_the_security_officers() {
    let s = setup();
    let p1 = s.people[0];
    let op = principal(&s.vault, "op.a", Kind::Employee, Role::Operator, "desk-1", &s.company);
    let officer = principal(&s.vault, "sec.a", Kind::Employee, Role::SecurityOfficer, "security", "");
    s.vault.require_orders(&custodian(), true).unwrap();
    assert!(matches!(s.vault.break_glass(&op, C, p1, "urgent", None, CardView::Masked), Err(DeskError::Invalid(_))));
    assert!(s.vault.alerts(&officer).unwrap().is_empty());
    let r = s
        .vault
        .break_glass(&op, C, p1, "caller reports a stolen phone, order system down", None, CardView::Masked)
        .unwrap();
    assert!(shown(&r).contains(&"mobile"));
    let alerts = s.vault.alerts(&officer).unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].rule, alerts[0].principal.as_str()), (Rule::BreakGlass, "op.a"));
    assert!(alerts[0].note.as_deref().is_some_and(|n| n.contains("stolen phone")), "the reason is in the sealed alert");
    let e = last_read(&s.vault);
    assert!(e.detail.starts_with("BREAK-GLASS"), "{}", e.detail);
    let log = s.vault.audit_log().store();
    let all = log.entries(0, log.size().unwrap()).unwrap();
    assert!(
        all.iter().all(|(_, d)| !String::from_utf8_lossy(d).contains("stolen phone")),
        "the reason stays out of the published log"
    );
}

#[test]
fn the_read_audit_finds_reads_without_need() {
    let s = setup();
    let (p1, p2) = (s.people[0], s.people[1]);
    let op = principal(&s.vault, "op.a", Kind::Employee, Role::Operator, "desk-1", &s.company);
    let officer = principal(&s.vault, "sec.a", Kind::Employee, Role::SecurityOfficer, "security", "");
    let order = s.vault.create_order(&op, C, &s.company, OrderType::DeviceChange, vec![p1], Priority::Normal).unwrap();
    s.vault.change_order(&op, order.id, Change::Assign { assignee: Some("op.a".to_owned()), team: None }).unwrap();
    s.vault.read_for_order(&op, order.id, p1, CardView::Masked).unwrap();
    // Orders are not required here: a plain read of someone else, citing no order.
    s.vault.get(&op, C, p2, CardView::Masked).unwrap();
    let reads = s.vault.desk_reads(&officer).unwrap();
    let mine: Vec<_> = reads.iter().filter(|r| r.principal == "op.a").collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert_eq!((mine[0].order, mine[0].record), (Some(order.id), p1));
    assert_eq!(mine[0].fields, vec!["user_name", "mobile"]);
    let orders: Vec<_> = s.vault.orders(&officer).unwrap().into_iter().map(|o| o.order).collect();
    let audit = kura::desk::report::reads(&orders, &s.vault.desk_needs(C).unwrap(), &reads);
    let findings: Vec<_> = audit.findings.iter().filter(|f| f.principal == "op.a").collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!((findings[0].order.as_deref(), findings[0].finding), (None, kura::desk::report::FindingKind::NoOrder));
    // Only the log's readers audit it.
    assert!(matches!(s.vault.desk_reads(&op), Err(DeskError::Denied(_))));
}

#[test]
fn a_shipping_order_prints_its_labels_as_a_governed_print_job() {
    let s = setup();
    let p1 = s.people[0];
    let op = principal(&s.vault, "op.a", Kind::Employee, Role::Operator, "desk-1", &s.company);
    let lead = principal(&s.vault, "lead.a", Kind::Employee, Role::Supervisor, "desk-1", &s.company);
    s.vault.set_canary_pools(&custodian(), crate::exports::POOLS).unwrap();
    let order = s.vault.create_order(&op, C, &s.company, OrderType::BatteryShipment, vec![p1], Priority::High).unwrap();
    // Not assigned yet: no labels.
    assert!(matches!(s.vault.ship_order(&op, order.id, "courier hayate"), Err(DeskError::Denied(_))));
    s.vault.change_order(&op, order.id, Change::Assign { assignee: Some("op.a".to_owned()), team: None }).unwrap();
    let job = s.vault.ship_order(&op, order.id, "courier hayate").unwrap();
    assert_eq!(job.spec.format, kura::vault::exports::Format::Labels);
    assert_eq!(job.spec.records, [p1].into());
    assert_eq!(job.spec.fields, vec!["user_name", "home_postal_code", "home_address"]);
    // Four eyes: the operator cannot approve its own job; the supervisor does.
    assert!(s.vault.decide_export(&op, &job.id, true, "").is_err());
    // The supervisor approves it as shipping work (home addresses are for shipping only).
    s.vault.decide_export(&lead.clone().with_kind("shipping").unwrap(), &job.id, true, "").unwrap();
    let print = op.clone().with_purpose(&order.id.to_string()).unwrap().with_kind("shipping").unwrap();
    let file = s.vault.export_file(&print, &job.id, &kura::render::Options::default()).unwrap();
    assert!(file.bytes.starts_with(b"%PDF"));
    assert_eq!(file.records, 1);
    // Dispatch confirmed by closing the order; the paper's disposal attested.
    s.vault.change_order(&op, order.id, Change::Move { to: Status::InProgress, note: String::new() }).unwrap();
    s.vault.change_order(&op, order.id, Change::Move { to: Status::Done, note: "dispatched".to_owned() }).unwrap();
    s.vault.attest_disposal(&print, &job.id).unwrap();
    // A device change ships nothing.
    let other = s.vault.create_order(&op, C, &s.company, OrderType::DeviceChange, vec![p1], Priority::Low).unwrap();
    assert!(matches!(s.vault.ship_order(&op, other.id, "courier"), Err(DeskError::Invalid(_))));
}

#[test]
fn policies_see_the_order_as_context() {
    let s = setup();
    let p1 = s.people[0];
    let op = principal(&s.vault, "op.a", Kind::Employee, Role::Operator, "desk-1", &s.company);
    // The default policy, plus: nothing in the clear for orders waiting on someone else, and home addresses
    // only for urgent battery shipments.
    let policy = format!(
        "{}\n{}",
        kura::policy::DEFAULT_POLICY,
        r#"
@id("waiting-orders-masked")
forbid (principal, action == Kura::Action::"read_plain", resource)
when { context has order && context.order.status == "waiting" };

@id("home-only-urgent-battery")
forbid (principal, action in [Kura::Action::"read_plain", Kura::Action::"read_masked"], resource)
when { resource.home && context has order && !(context.order.type == "battery_shipment" && context.order.priority == "urgent") };
"#
    );
    s.vault.set_policy(&custodian(), &policy).unwrap();
    let normal =
        s.vault.create_order(&op, C, &s.company, OrderType::BatteryShipment, vec![p1], Priority::Normal).unwrap();
    let urgent =
        s.vault.create_order(&op, C, &s.company, OrderType::BatteryShipment, vec![p1], Priority::Urgent).unwrap();
    for o in [normal.id, urgent.id] {
        s.vault.change_order(&op, o, Change::Assign { assignee: Some("op.a".to_owned()), team: None }).unwrap();
        s.vault.change_order(&op, o, Change::Move { to: Status::InProgress, note: String::new() }).unwrap();
    }
    // The order allows name and home address; the policy takes the home address away unless urgent.
    let r = s.vault.read_for_order(&op, normal.id, p1, CardView::Masked).unwrap();
    assert_eq!(shown(&r), vec!["user_name"]);
    assert_eq!(last_read(&s.vault).fields, vec!["user_name"]);
    let r = s.vault.read_for_order(&op, urgent.id, p1, CardView::Masked).unwrap();
    assert_eq!(shown(&r), vec!["user_name", "home_postal_code", "home_address"]);
    let plain = |r: &kura::vault::Record| {
        r.fields
            .iter()
            .filter(|f| f.shown == kura::policy::Visibility::Plain)
            .map(|f| f.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(plain(&r), vec!["user_name", "home_postal_code", "home_address"]);
    // Waiting: the same fields, masked only (the decision cache keys on the order's status).
    s.vault.change_order(&op, urgent.id, Change::Move { to: Status::Waiting, note: String::new() }).unwrap();
    let r = s.vault.read_for_order(&op, urgent.id, p1, CardView::Masked).unwrap();
    assert_eq!(shown(&r), vec!["user_name", "home_postal_code", "home_address"]);
    assert!(plain(&r).is_empty(), "a waiting order shows nothing in the clear");
}

#[test]
fn a_file_of_orders_is_taken_whole_or_not_at_all() {
    let s = setup();
    let op = principal(&s.vault, "op.a", Kind::Employee, Role::Operator, "desk-1", &s.company);
    let (p1, p2) = (s.people[0], s.people[1]);
    let count = |v: &Vault| v.orders(&op).unwrap().len();
    let refusals = |v: &Vault| {
        let log = v.audit_log().store();
        log.entries(0, log.size().unwrap())
            .unwrap()
            .into_iter()
            .map(|(_, d)| Entry::from_leaf(&d).unwrap())
            .filter(|e| e.detail.starts_with("orders file refused"))
            .count()
    };

    // One line names someone of another company: nothing is taken, the line is named, the id is not.
    let bad = format!(
        "company,type,people,priority\n{c},battery_shipment,{p1};{p2},urgent\n{c},repair,{o},\n",
        c = s.company,
        o = s.outsider
    );
    let err = s.vault.import_orders(&op, C, bad.as_bytes()).unwrap_err();
    let DeskError::Intake(e) = &err else { panic!("{err}") };
    assert_eq!(e.problems.len(), 1, "{err}");
    assert_eq!(e.problems[0].line, 3);
    assert!(!err.to_string().contains(&s.outsider.to_string()), "{err}");
    assert_eq!((count(&s.vault), refusals(&s.vault)), (0, 1));

    // A company the operator does not serve: refused likewise.
    let foreign = format!("company,type,people\n株式会社どこか別,inquiry,\n{},inquiry,\n", s.company);
    let err = s.vault.import_orders(&op, C, foreign.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("line 2: the caller does not serve this `company`"), "{err}");
    assert_eq!((count(&s.vault), refusals(&s.vault)), (0, 2));

    // A good file: every order taken, in file order, each logged like a single order.
    let good = format!(
        "会社,種別,対象者,優先度\n{c},battery_shipment,{p1};{p2},urgent\n{c},device_change,{p2},\n{c},inquiry,,low\n",
        c = s.company
    );
    let taken = s.vault.import_orders(&op, C, good.as_bytes()).unwrap();
    let kinds: Vec<_> = taken.iter().map(|o| (o.kind, o.priority, o.people.len())).collect();
    assert_eq!(
        kinds,
        vec![
            (OrderType::BatteryShipment, Priority::Urgent, 2),
            (OrderType::DeviceChange, Priority::Normal, 1),
            (OrderType::Inquiry, Priority::Low, 0)
        ]
    );
    assert_eq!(count(&s.vault), 3);
    let log = s.vault.audit_log().store();
    let received = log
        .entries(0, log.size().unwrap())
        .unwrap()
        .into_iter()
        .map(|(_, d)| Entry::from_leaf(&d).unwrap())
        .filter(|e| e.action == Action::Order && e.detail.ends_with("received, priority urgent"))
        .count();
    assert_eq!(received, 1);
    // Someone without desk roles takes nothing.
    let officer = principal(&s.vault, "sec.a", Kind::Employee, Role::SecurityOfficer, "sec", &s.company);
    assert!(matches!(s.vault.import_orders(&officer, C, good.as_bytes()), Err(DeskError::Denied(_))));
}
