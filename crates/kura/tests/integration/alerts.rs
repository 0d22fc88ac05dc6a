//! Alerts end to end: a honey record touched, a canary's phone called, a read rate exceeded, a burst of
//! refusals — each raises exactly one alert and one log entry, and suspends the principal where the rule
//! says so.

use std::collections::BTreeSet;

use kura::alerts::rules::Rule;
use kura::audit::{Action, Entry};
use kura::principal::{Kind, Principal, Role};
use kura::vault::alerts::AlertError;
use kura::vault::exports::{ExportSpec, Format};
use kura::vault::CardView;
use kura::{Access, Vault};

use crate::support::{backends, corporate_csv, custodian, rows};

const C: &str = "corporate-mobile";

/// Rules for tests: nothing fires by the clock (off-hours) or on volumes the tests do not aim at.
const QUIET: &str = r#"
[off_hours]
enabled = false
[own_history]
enabled = false
[team_baseline]
enabled = false
"#;

fn pools() -> String {
    let phones: Vec<String> = (0..20).map(|i| format!("\"090-0000-{:04}\"", 3000 + i)).collect();
    let mut s = format!("phones = [{}]\n\n[email]\ndomains = [\"mail.canary-example.jp\"]\n", phones.join(", "));
    for i in 0..20 {
        s.push_str(&format!(
            "\n[[mail_drop]]\npostal_code = \"530-0001\"\naddress = \"大阪府大阪市北区梅田1-1-{} 梅田ビル {}号室\"\n",
            i + 1,
            500 + i
        ));
    }
    s
}

fn principal(vault: &Vault, name: &str, role: Role, companies: &BTreeSet<String>) -> Access {
    let p = Principal::new(name, Kind::Employee, [role].into(), None, companies.clone()).unwrap();
    vault.add_principal(&custodian(), &p).unwrap();
    vault.access(name, "ORDER-5", "test").unwrap()
}

struct Setup {
    vault: Vault,
    companies: BTreeSet<String>,
    officer: Access,
    _fx: crate::support::Fixture,
}

fn setup(rules: &str) -> Setup {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    let csv = corporate_csv(60, 33);
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap();
    vault.set_canary_pools(&custodian(), &pools()).unwrap();
    let officer = principal(&vault, "officer", Role::SecurityOfficer, &BTreeSet::new());
    vault.set_alert_rules(&officer, rules).unwrap();
    let companies = rows(&csv).into_iter().map(|p| p["company"].clone()).collect();
    Setup { vault, companies, officer, _fx: fx }
}

fn alert_entries(vault: &Vault) -> Vec<Entry> {
    let log = vault.audit_log().store();
    log.entries(0, log.size().unwrap())
        .unwrap()
        .into_iter()
        .map(|(_, d)| Entry::from_leaf(&d).unwrap())
        .filter(|e| e.action == Action::Alert && e.detail.starts_with("ALERT "))
        .collect()
}

fn suspended(vault: &Vault, name: &str) -> bool {
    vault.show_principal(&custodian(), name).unwrap().suspended
}

#[test]
fn a_honey_record_found_by_a_search_raises_one_alert_and_suspends() {
    let s = setup(QUIET);
    assert_eq!(s.vault.plant_honey(&custodian(), C, 3).unwrap(), 3);
    // Planting raised nothing, and an administrator cannot plant twice the same contact points.
    assert!(alert_entries(&s.vault).is_empty());
    let clerk = principal(&s.vault, "clerk", Role::Operator, &s.companies);
    // Ordinary work: reading real people raises nothing.
    let some = s.vault.find(&clerk, C, "company", s.companies.first().unwrap(), 5, CardView::Masked).unwrap();
    assert!(!some.is_empty());
    assert!(alert_entries(&s.vault).is_empty(), "{:?}", alert_entries(&s.vault));
    // The honey records' phones are pool numbers; a search that finds one trips it.
    let mut hits = 0;
    for i in 0..20 {
        let phone = format!("090-0000-{:04}", 3000 + i);
        match s.vault.find(&clerk, C, "mobile", &phone, 5, CardView::Masked) {
            Ok(found) => hits += found.len(),
            Err(_) => break, // suspended after the first hit
        }
        if hits > 0 {
            break;
        }
    }
    assert_eq!(hits, 1, "a honey record should be found by its phone");
    let alerts = s.vault.alerts(&s.officer).unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].rule, alerts[0].principal.as_str(), alerts[0].suspended), (Rule::Honey, "clerk", true));
    assert_eq!(alert_entries(&s.vault).len(), 1);
    assert!(suspended(&s.vault, "clerk"));
    // Honey records are never exported.
    let lead = principal(&s.vault, "lead", Role::Supervisor, &s.companies);
    let other = principal(&s.vault, "other", Role::Supervisor, &s.companies);
    let spec = ExportSpec {
        collection: C.to_owned(),
        companies: s.companies.clone(),
        departments: BTreeSet::new(),
        records: Default::default(),
        fields: vec!["employee_id".to_owned(), "user_name".to_owned(), "mobile".to_owned()],
        format: Format::CsvUtf8,
        recipient: "desk".to_owned(),
        expires_at: kura::store::now() + 3600,
        max_downloads: 1,
        dispose_within_days: 7,
        canaries: 1,
    };
    let e = s.vault.request_export(&lead, &spec).unwrap();
    s.vault.decide_export(&other, &e.id, true, "").unwrap();
    let file = s.vault.export_file(&lead, &e.id, &kura::render::Options::default()).unwrap();
    assert_eq!(file.records, 60, "the three honey records were left out of the export");
    assert_eq!(s.vault.alerts(&s.officer).unwrap().len(), 1, "exporting raised an alert");
}

#[test]
fn a_canary_hit_names_the_export_and_suspends_its_requester() {
    let s = setup(QUIET);
    let lead = principal(&s.vault, "lead", Role::Supervisor, &s.companies);
    let other = principal(&s.vault, "other", Role::Supervisor, &s.companies);
    let spec = ExportSpec {
        collection: C.to_owned(),
        companies: s.companies.clone(),
        departments: BTreeSet::new(),
        records: Default::default(),
        fields: vec!["user_name".to_owned(), "mobile".to_owned()],
        format: Format::CsvUtf8,
        recipient: "desk".to_owned(),
        expires_at: kura::store::now() + 3600,
        max_downloads: 1,
        dispose_within_days: 7,
        canaries: 1,
    };
    let e = s.vault.request_export(&lead, &spec).unwrap();
    let e = s.vault.decide_export(&other, &e.id, true, "").unwrap();
    let phone = &e.canaries[0].contacts.iter().find(|c| c.kind == kura::canary::ContactKind::Phone).unwrap().canonical;
    // As the phone system reports it: international, spaced.
    let reported = format!("+81 {}", phone.trim_start_matches("+81"));
    let hit = s.vault.canary_hit(&s.officer, &reported, "phone", "call from an unknown caller").unwrap();
    assert_eq!((hit.export.as_str(), hit.requester.as_deref()), (e.id.as_str(), Some("lead")));
    assert_eq!((hit.alert.rule, hit.alert.suspended), (Rule::CanaryHit, true));
    assert!(suspended(&s.vault, "lead"));
    assert_eq!(s.vault.alerts(&s.officer).unwrap().len(), 1);
    assert_eq!(alert_entries(&s.vault).len(), 1);
    // A number no canary holds is no hit, and raises nothing.
    assert!(matches!(s.vault.canary_hit(&s.officer, "090-9999-9999", "phone", ""), Err(AlertError::NotCanary)));
    assert_eq!(s.vault.alerts(&s.officer).unwrap().len(), 1);
    // Only security officers report hits.
    assert!(matches!(s.vault.canary_hit(&other, &reported, "phone", ""), Err(AlertError::Denied(_))));
}

#[test]
fn a_read_rate_over_the_limit_raises_one_alert() {
    let s = setup(&format!("{QUIET}\n[read_rate]\nper_minute = 5\nper_hour = 1000\nper_day = 5000\n"));
    let clerk = principal(&s.vault, "clerk", Role::Operator, &s.companies);
    let ids: Vec<kura::RecordId> =
        s.companies.iter().flat_map(|c| s.vault.find_ids(&clerk, C, "company", c).unwrap()).collect();
    assert!(ids.len() >= 9);
    let before = s.vault.alerts(&s.officer).unwrap().len();
    let reader = principal(&s.vault, "reader", Role::Operator, &s.companies);
    for id in ids.iter().take(5) {
        s.vault.get(&reader, C, *id, CardView::Masked).unwrap();
    }
    assert_eq!(s.vault.alerts(&s.officer).unwrap().len(), before, "5 reads a minute is the limit, not over it");
    for id in ids.iter().skip(5).take(4) {
        s.vault.get(&reader, C, *id, CardView::Masked).unwrap();
    }
    let alerts: Vec<_> = s.vault.alerts(&s.officer).unwrap().into_iter().filter(|a| a.principal == "reader").collect();
    // The minute may roll over between the reads; within one minute exactly one alert.
    assert!(alerts.len() == 1 || alerts.len() == 2, "{alerts:?}");
    assert!(alerts.iter().all(|a| a.rule == Rule::ReadRateMinute && !a.suspended), "{alerts:?}");
    assert!(!suspended(&s.vault, "reader"));
}

#[test]
fn a_burst_of_refusals_suspends_automatically() {
    let s = setup(&format!("{QUIET}\n[denied_burst]\ncount = 3\nwindow_minutes = 5\nsuspend = true\n"));
    // A contractor with no companies is refused every record.
    let p = Principal::new("temp", Kind::Contractor, [Role::Operator].into(), None, BTreeSet::new()).unwrap();
    s.vault.add_principal(&custodian(), &p).unwrap();
    let temp = s.vault.access("temp", "ORDER-5", "test").unwrap();
    let clerk = principal(&s.vault, "clerk", Role::Operator, &s.companies);
    let ids = s.vault.find_ids(&clerk, C, "company", s.companies.first().unwrap()).unwrap();
    for id in ids.iter().take(3) {
        assert!(s.vault.get(&temp, C, *id, CardView::Masked).is_err());
    }
    let alerts: Vec<_> = s.vault.alerts(&s.officer).unwrap().into_iter().filter(|a| a.principal == "temp").collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].rule, alerts[0].suspended), (Rule::DeniedBurst, true));
    assert!(suspended(&s.vault, "temp"));
    assert_eq!(alert_entries(&s.vault).iter().filter(|e| e.detail.contains("`temp`")).count(), 1);
    // The suspension is itself in the log, by the alert system.
    let log = s.vault.audit_log().store();
    let changes: Vec<Entry> = log
        .entries(0, log.size().unwrap())
        .unwrap()
        .into_iter()
        .map(|(_, d)| Entry::from_leaf(&d).unwrap())
        .filter(|e| e.action == Action::PrincipalChange && e.detail.contains("suspended"))
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].principal.contains(kura::vault::alerts::SYSTEM));
}

#[test]
fn downloads_after_expiry_raise_one_alert() {
    let s = setup(QUIET);
    let lead = principal(&s.vault, "lead", Role::Supervisor, &s.companies);
    let other = principal(&s.vault, "other", Role::Supervisor, &s.companies);
    let spec = ExportSpec {
        collection: C.to_owned(),
        companies: s.companies.clone(),
        departments: BTreeSet::new(),
        records: Default::default(),
        fields: vec!["user_name".to_owned()],
        format: Format::CsvUtf8,
        recipient: "desk".to_owned(),
        expires_at: kura::store::now() + 2,
        max_downloads: 3,
        dispose_within_days: 7,
        canaries: 1,
    };
    let e = s.vault.request_export(&lead, &spec).unwrap();
    s.vault.decide_export(&other, &e.id, true, "").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    // Two attempts after expiry: one incident, one alert.
    for _ in 0..2 {
        assert!(s.vault.export_file(&lead, &e.id, &kura::render::Options::default()).is_err());
    }
    let alerts: Vec<_> = s.vault.alerts(&s.officer).unwrap().into_iter().filter(|a| a.principal == "lead").collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].rule, alerts[0].suspended), (Rule::DownloadAfterExpiry, false));
}
