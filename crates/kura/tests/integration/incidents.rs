//! Incident response against synthetic scenarios whose ground truth the test knows: exactly who read or
//! exported whose data and which fields, what the policies would have allowed, a stolen database, the duties,
//! the report drafts and their versions, the notice list through the governed-export path, and deadline
//! alerts.

use std::collections::{BTreeMap, BTreeSet};

use kura::incident::duties::Step;
use kura::incident::Scenario;
use kura::principal::{Kind, Principal, Role};
use kura::vault::exports::{ExportSpec, Format};
use kura::vault::incidents::{IncidentError, NewIncident, Scope, Status, Update};
use kura::vault::CardView;
use kura::{Access, RecordId, Vault};

use crate::support::{backends, corporate_csv, custodian, rows};

const C: &str = "corporate-mobile";

fn staff(vault: &Vault, name: &str, role: Role, companies: &[&str], purpose: &str) -> Access {
    let p =
        Principal::new(name, Kind::Employee, [role].into(), None, companies.iter().map(|c| (*c).to_owned()).collect())
            .unwrap();
    vault.add_principal(&custodian(), &p).unwrap();
    vault.access(name, purpose, "test").unwrap()
}

struct World {
    vault: Vault,
    ids: Vec<RecordId>,
    people: Vec<std::collections::HashMap<String, String>>,
    /// The company with the most people, and a second one.
    x: String,
    y: String,
    fx: crate::support::Fixture,
}

/// Canary contact points enough for a few exports and honey records.
fn pools() -> String {
    let phones: Vec<String> = (0..20).map(|i| format!("\"090-0000-{:04}\"", 5000 + i)).collect();
    let mut s = format!("phones = [{}]\n\n[email]\ndomains = [\"mail.canary-example.jp\"]\n", phones.join(", "));
    for i in 0..20 {
        s.push_str(&format!(
            "\n[[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-{} 丸の内ビル {}号室\"\n",
            1 + i,
            301 + i
        ));
    }
    s
}

fn canonical(company: &str) -> String {
    kura::normalize::canonical(kura::schema::FieldType::Organisation, company).unwrap().as_str().to_owned()
}

fn world() -> World {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    let csv = corporate_csv(200, 88);
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    vault.set_alert_rules(&custodian(), "[off_hours]\nenabled = false\n").unwrap();
    vault.set_canary_pools(&custodian(), &pools()).unwrap();
    let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    let ids = vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap().ids;
    let people = rows(&csv);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in &people {
        *counts.entry(p["company"].clone()).or_default() += 1;
    }
    let mut by_size: Vec<(String, usize)> = counts.into_iter().collect();
    by_size.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let (x, y) = (by_size[0].0.clone(), by_size[1].0.clone());
    World { vault, ids, people, x, y, fx }
}

impl World {
    fn of(&self, company: &str) -> Vec<RecordId> {
        self.people.iter().zip(&self.ids).filter(|(p, _)| p["company"] == company).map(|(_, id)| *id).collect()
    }
}

fn open(vault: &Vault, officer: &Access, scenario: Scenario, scope: Scope) -> String {
    let now = kura::store::now();
    vault
        .open_incident(
            officer,
            NewIncident {
                title: "customer list found outside".to_owned(),
                detected_at: now - 3_600,
                learned_at: now - 1_800,
                scenario,
                unauthorised_purpose: true,
                scope,
            },
        )
        .unwrap()
        .id
}

#[test]
fn exposure_is_exactly_what_was_read_and_what_could_have_been() {
    let w = world();
    let officer = staff(&w.vault, "sec.a", Role::SecurityOfficer, &[], "INC-1");
    let insider = staff(&w.vault, "op.insider", Role::Operator, &[&w.x], "T-1");
    let bystander = staff(&w.vault, "op.other", Role::Operator, &[&w.y], "T-2");
    let xs = w.of(&w.x);
    let ys = w.of(&w.y);
    assert!(xs.len() >= 8 && ys.len() >= 2, "the fixture needs people in two companies");

    // The insider: three single reads (masked card view), a read of four at once, one record twice.
    for id in &xs[..3] {
        w.vault.get(&insider, C, *id, CardView::Masked).unwrap();
    }
    w.vault.get_many(&insider, C, &xs[2..6], CardView::Masked).unwrap();
    // Someone else's reads are out of scope; so are the insider's refused reads of another company.
    w.vault.get(&bystander, C, ys[0], CardView::Masked).unwrap();
    assert!(w.vault.get(&insider, C, ys[1], CardView::Masked).is_err());
    let investigator = staff(&w.vault, "sec.inv", Role::SecurityOfficer, &[], "INV-1");
    for id in [xs[6], xs[7]] {
        w.vault.get(&investigator, C, id, CardView::Masked).unwrap();
    }

    let scope =
        Scope { collections: [C.to_owned()].into(), principals: ["op.insider".to_owned()].into(), ..Scope::default() };
    let id = open(&w.vault, &officer, Scenario::Access, scope);
    let a = w.vault.incident_exposure(&officer, &id).unwrap();
    let want: BTreeSet<RecordId> = xs[..6].iter().copied().collect();
    assert_eq!(a.subjects.iter().copied().collect::<BTreeSet<_>>(), want);
    assert_eq!(a.exposure.subjects, 6);
    assert_eq!(a.exposure.by_company, vec![(canonical(&w.x), 6)]);
    // Every field the operator's reads disclosed, for each of the six, in the clear.
    let name = a.exposure.fields.iter().find(|f| f.name == "user_name").unwrap();
    assert_eq!((name.subjects, name.plain), (6, 6));
    assert!(a.exposure.fields.iter().all(|f| f.name != "home_address"), "home addresses are for shipping only");
    // Could have viewed: every person of the insider's company.
    assert_eq!(a.could_have_viewed.iter().copied().collect::<BTreeSet<_>>(), xs.iter().copied().collect());
    assert_eq!(a.exposure.could_have_viewed, xs.len() as u64);
    assert_eq!((a.exposure.honey, a.exposure.canaries), (0, 0));
    // The timeline names the insider's first and last disclosure; never a value.
    assert!(a.timeline.iter().any(|e| e.text.starts_with("op.insider: first of 4 disclosures")), "{:?}", a.timeline);
    for e in &a.timeline {
        for p in &w.people[..10] {
            assert!(!e.text.contains(&p["user_name"]), "{}", e.text);
        }
    }

    // With the investigator in scope too: eight people, two of them seen masked only.
    let both = Scope {
        collections: [C.to_owned()].into(),
        principals: ["op.insider".to_owned(), "sec.inv".to_owned()].into(),
        ..Scope::default()
    };
    let id3 = open(&w.vault, &officer, Scenario::Access, both);
    let b = w.vault.incident_exposure(&officer, &id3).unwrap();
    assert_eq!(b.exposure.subjects, 8);
    let name = b.exposure.fields.iter().find(|f| f.name == "user_name").unwrap();
    assert_eq!((name.subjects, name.plain), (8, 6), "the investigator saw names masked");
    // An unknown principal cannot be put in scope (a typo would report nobody).
    let typo =
        Scope { collections: [C.to_owned()].into(), principals: ["op.insidr".to_owned()].into(), ..Scope::default() };
    let now = kura::store::now();
    let refused = w.vault.open_incident(
        &officer,
        NewIncident {
            title: "typo".to_owned(),
            detected_at: now,
            learned_at: now,
            scenario: Scenario::Access,
            unauthorised_purpose: false,
            scope: typo,
        },
    );
    assert!(matches!(refused, Err(IncidentError::Invalid(_))));

    // A window before the reads: nothing.
    let early = Scope {
        collections: [C.to_owned()].into(),
        principals: ["op.insider".to_owned()].into(),
        window: Some((1, 2)),
        ..Scope::default()
    };
    let id2 = open(&w.vault, &officer, Scenario::Access, early);
    assert_eq!(w.vault.incident_exposure(&officer, &id2).unwrap().exposure.subjects, 0);

    // Only security officers.
    assert!(matches!(w.vault.incident_exposure(&insider, &id), Err(IncidentError::Denied(_))));
    assert!(matches!(
        w.vault.open_incident(
            &insider,
            NewIncident {
                title: "x".to_owned(),
                detected_at: 1,
                learned_at: 1,
                scenario: Scenario::Access,
                unauthorised_purpose: false,
                scope: Scope { collections: [C.to_owned()].into(), ..Scope::default() },
            }
        ),
        Err(IncidentError::Denied(_))
    ));
}

fn export_of(w: &World, company: &str) -> (String, Access) {
    let lead = staff(&w.vault, "lead.x", Role::Supervisor, &[company], "MAIL-1");
    let second = staff(&w.vault, "lead.x2", Role::Supervisor, &[company], "MAIL-1");
    let spec = ExportSpec {
        collection: C.to_owned(),
        companies: [company.to_owned()].into(),
        departments: BTreeSet::new(),
        records: Default::default(),
        fields: vec!["employee_id".to_owned(), "user_name".to_owned(), "mobile".to_owned(), "email".to_owned()],
        format: Format::CsvUtf8,
        recipient: "mailing house".to_owned(),
        expires_at: kura::store::now() + 86_400,
        max_downloads: 1,
        dispose_within_days: 7,
        canaries: 1,
    };
    let e = w.vault.request_export(&lead, &spec).unwrap();
    w.vault.decide_export(&second, &e.id, true, "").unwrap();
    w.vault.export_file(&lead, &e.id, &kura::render::Options::default()).unwrap();
    (e.id, lead)
}

#[test]
fn an_exported_file_reports_whose_data_left_drafts_versions_and_the_notice_list() {
    let w = world();
    let officer = staff(&w.vault, "sec.a", Role::SecurityOfficer, &[], "INC-1");
    let officer2 = staff(&w.vault, "sec.b", Role::SecurityOfficer, &[], "INC-1");
    let (export, _lead) = export_of(&w, &w.x);
    let xs = w.of(&w.x);

    let scope = Scope { collections: [C.to_owned()].into(), exports: [export.clone()].into(), ..Scope::default() };
    let id = open(&w.vault, &officer, Scenario::Export, scope);
    let a = w.vault.incident_exposure(&officer, &id).unwrap();
    assert_eq!(a.subjects.iter().copied().collect::<BTreeSet<_>>(), xs.iter().copied().collect());
    let fields: BTreeMap<&str, (u64, u64)> =
        a.exposure.fields.iter().map(|f| (f.name.as_str(), (f.subjects, f.plain))).collect();
    let n = xs.len() as u64;
    assert_eq!(fields, [("employee_id", (n, n)), ("user_name", (n, n)), ("mobile", (n, n)), ("email", (n, n))].into());
    assert_eq!(a.exposure.canaries, 1, "the export's canary, counted apart");
    assert_eq!(a.exposure.could_have_viewed, n, "the requester's company");
    assert!(a.timeline.iter().any(|e| e.text.contains("approved")), "{:?}", a.timeline);

    // The duties of a file that left with an unauthorised purpose; the drafts, version 1.
    let v1 = w.vault.draft_incident_reports(&officer, &id, false).unwrap();
    assert_eq!(v1.facts.version, 1);
    assert!(v1.assessment.duty(Step::AppiPreliminary).unwrap().required, "不正の目的 at any count");
    let stems: Vec<&str> = v1.documents.iter().map(|(s, _)| *s).collect();
    assert!(stems.contains(&"ppc-report") && stems.contains(&"notice-to-individuals"), "{stems:?}");
    let (_, ppc) = v1.documents.iter().find(|(s, _)| *s == "ppc-report").unwrap();
    let md = kura::render::document::to_markdown(ppc);
    assert!(md.contains(&format!("{n}")), "the number of people is in the report");
    for item in kura::incident::drafts::PPC_ITEMS {
        assert!(md.contains(item), "{item} missing");
    }
    for p in &w.people {
        assert!(!md.contains(&p["user_name"]) && !md.contains(&p["mobile"]), "a personal value in the report");
    }

    // Statements fill blanks; version 2 is the final report; the history keeps both.
    let statements = kura::incident::Statements {
        cause: Some("委託先担当者による持ち出し".to_owned()),
        ..Default::default()
    };
    let mut update = Update::default();
    update.statements = Some(statements);
    w.vault.update_incident(&officer, &id, update).unwrap();
    let v2 = w.vault.draft_incident_reports(&officer, &id, true).unwrap();
    assert_eq!((v2.facts.version, v2.facts.is_final), (2, true));
    assert!(
        v2.documents.iter().map(|(_, d)| d.fills().len()).sum::<usize>()
            < v1.documents.iter().map(|(_, d)| d.fills().len()).sum::<usize>()
    );
    let i = w.vault.incident(&officer, &id).unwrap();
    assert_eq!(i.reports.iter().map(|r| (r.version, r.is_final)).collect::<Vec<_>>(), vec![(1, false), (2, true)]);
    assert_ne!(i.reports[0].digest, i.reports[1].digest, "the statements changed the facts");
    assert_eq!(i.status, Status::Reported);
    assert!(w.vault.draft_incident_reports(&officer, &id, false).is_err(), "no preliminary after the final");

    // The notice list: the exposed people's contact fields as a governed export, four eyes, once.
    let fields = vec!["user_name".to_owned(), "email".to_owned()];
    let list =
        w.vault.request_notice_list(&officer, &id, C, fields.clone(), Format::CsvUtf8, "notice mailing").unwrap();
    assert_eq!(list.purpose, id);
    assert!(w.vault.decide_export(&officer, &list.id, true, "").is_err(), "four eyes");
    let approver = officer2.clone().with_purpose(&id).unwrap().with_kind("incident-notice").unwrap();
    w.vault.decide_export(&approver, &list.id, true, "").unwrap();
    let download = officer.clone().with_purpose(&id).unwrap().with_kind("incident-notice").unwrap();
    let file = w.vault.export_file(&download, &list.id, &kura::render::Options::default()).unwrap();
    assert_eq!(file.records, xs.len(), "one line per person concerned");
    let text = String::from_utf8(file.bytes.clone()).unwrap();
    assert_eq!(text.lines().count(), xs.len() + 1 + 1, "people, one canary, the header");
    // The incident's own notice list is not part of its exposure.
    let again = w.vault.incident_exposure(&officer, &id).unwrap();
    assert_eq!(
        (again.exposure.subjects, again.exposure.could_have_viewed, again.exposure.canaries),
        (a.exposure.subjects, a.exposure.could_have_viewed, a.exposure.canaries)
    );
    // A notice list cannot be made up: not under an invented incident, not by kind alone, and a security
    // officer approves no ordinary export.
    let forged = ExportSpec {
        collection: C.to_owned(),
        companies: [canonical(&w.y)].into(),
        departments: BTreeSet::new(),
        records: Default::default(),
        fields: vec!["user_name".to_owned(), "email".to_owned()],
        format: Format::CsvUtf8,
        recipient: "x".to_owned(),
        expires_at: kura::store::now() + 3_600,
        max_downloads: 1,
        dispose_within_days: 7,
        canaries: 1,
    };
    let fake = officer.clone().with_purpose("INC-FAKE").unwrap().with_kind("incident-notice").unwrap();
    assert!(w.vault.request_export(&fake, &forged).is_err());
    let lead_y = staff(&w.vault, "lead.y", Role::Supervisor, &[&w.y], "MAIL-2");
    let lead_y_notice = lead_y.clone().with_kind("incident-notice").unwrap();
    assert!(w.vault.request_export(&lead_y_notice, &forged).is_err());
    let ordinary = w.vault.request_export(&lead_y, &forged).unwrap();
    assert!(w.vault.decide_export(&officer2, &ordinary.id, true, "").is_err(), "officers approve notice lists only");

    // Notes and statements are sealed: their text is nowhere in the log.
    w.vault.note_incident(&officer, &id, kura::store::now(), "電話で山田さんが漏えいを申告").unwrap();
    let log = w.vault.audit_log().store();
    let all: Vec<kura::audit::Entry> = log
        .entries(0, log.size().unwrap())
        .unwrap()
        .into_iter()
        .map(|(_, d)| kura::audit::Entry::from_leaf(&d).unwrap())
        .collect();
    for e in &all {
        let text = format!("{} {} {:?}", e.detail, e.purpose, e.fields);
        assert!(!text.contains("山田さん") && !text.contains("委託先担当者"), "{text}");
    }
    assert!(all.iter().any(|e| e.detail.ends_with("timeline note added")));

    // Home addresses and cards never go on a notice list.
    let bad = vec!["user_name".to_owned(), "home_address".to_owned()];
    assert!(w.vault.request_notice_list(&officer, &id, C, bad, Format::CsvUtf8, "x").is_err());
}

#[test]
fn a_stolen_database_exposes_nothing_readable_and_counts_its_honey() {
    let w = world();
    let officer = staff(&w.vault, "sec.a", Role::SecurityOfficer, &[], "INC-1");
    w.vault.plant_honey(&custodian(), C, 3).unwrap();
    let copy = kura::scan::walk(&w.fx.vault_dir()).unwrap();
    let scope = Scope { collections: [C.to_owned()].into(), copy: copy.clone(), ..Scope::default() };
    let id = open(&w.vault, &officer, Scenario::StolenDatabase { keys_separate: true }, scope);
    let a = w.vault.incident_exposure(&officer, &id).unwrap();
    assert!(a.exposure.readable_without_keys.is_empty(), "{:?}", a.exposure.readable_without_keys);
    assert_eq!(a.exposure.subjects, 0);
    assert_eq!(a.exposure.could_have_viewed, w.ids.len() as u64, "every real record is in the copy");
    assert_eq!(a.exposure.honey, 3);
    let drafts = w.vault.draft_incident_reports(&officer, &id, false).unwrap();
    assert!(drafts.assessment.exempt.is_some(), "encrypted, keys kept apart");
    assert!(!drafts.assessment.duty(Step::AppiPreliminary).unwrap().required);

    // Control: a plaintext dump of ten people lying next to the database is found, person by person.
    let text = String::from_utf8(corporate_csv(200, 88)).unwrap();
    let ten: String = text.lines().take(11).map(|l| format!("{l}\n")).collect();
    let dump = w.fx.dir.path().join("old-dump.csv");
    std::fs::write(&dump, ten).unwrap();
    let mut with_dump = copy.clone();
    with_dump.push(dump);
    let scope = Scope { collections: [C.to_owned()].into(), copy: with_dump, ..Scope::default() };
    let id = open(&w.vault, &officer, Scenario::StolenDatabase { keys_separate: true }, scope);
    let a = w.vault.incident_exposure(&officer, &id).unwrap();
    let first_ten: BTreeSet<RecordId> = w.ids[..10].iter().copied().collect();
    assert_eq!(a.by_field["mobile"], first_ten, "exactly the dumped people's phones");
    assert_eq!(a.by_field["email"], first_ten);
    assert_eq!(a.exposure.subjects, 10, "{:?}", a.by_field.iter().map(|(f, s)| (f, s.len())).collect::<Vec<_>>());
    assert!(!a.by_field.contains_key("company"), "a company name exposes nobody on its own");
    let drafts = w.vault.draft_incident_reports(&officer, &id, false).unwrap();
    assert!(drafts.assessment.exempt.is_none());
    assert!(drafts.assessment.duty(Step::AppiPreliminary).unwrap().required, "不正の目的");

    // The keys taken with the copy: everyone, every field.
    let scope = Scope { collections: [C.to_owned()].into(), copy, ..Scope::default() };
    let id = open(&w.vault, &officer, Scenario::StolenDatabase { keys_separate: false }, scope);
    let a = w.vault.incident_exposure(&officer, &id).unwrap();
    assert_eq!(a.exposure.subjects, w.ids.len() as u64);
    assert_eq!(a.exposure.honey, 3);
    assert!(a.by_field["home_address"].len() > 10 && a.by_field["user_name"].len() == w.ids.len());
    let drafts = w.vault.draft_incident_reports(&officer, &id, false).unwrap();
    assert!(drafts.assessment.exempt.is_none(), "no exemption when the keys went too");
    assert!(drafts.assessment.duty(Step::AppiPreliminary).unwrap().required);
}

#[test]
fn deadlines_alert_once_when_due_soon_and_again_when_overdue() {
    let w = world();
    let officer = staff(&w.vault, "sec.a", Role::SecurityOfficer, &[], "INC-1");
    let (export, _) = export_of(&w, &w.x);
    let scope = Scope { collections: [C.to_owned()].into(), exports: [export].into(), ..Scope::default() };
    let id = open(&w.vault, &officer, Scenario::Export, scope);
    let drafts = w.vault.draft_incident_reports(&officer, &id, false).unwrap();
    let due = drafts.assessment.duty(Step::AppiFinal).unwrap().due_at.unwrap();
    let alerts = |now: i64| -> Vec<String> {
        w.vault.check_incident_deadlines(now).unwrap().into_iter().map(|a| a.detail.clone()).collect()
    };
    assert!(alerts(due - 3 * 86_400).iter().all(|d| !d.contains("final")), "not yet");
    let soon = alerts(due - 3_600);
    assert!(soon.iter().any(|d| d.contains(&id) && d.contains("due within a day")), "{soon:?}");
    assert!(alerts(due - 1_800).iter().all(|d| !d.contains("due within a day")), "once");
    let late = alerts(due + 60);
    assert!(late.iter().any(|d| d.contains("overdue")), "{late:?}");
    // The final report sent: nothing more about it.
    w.vault.draft_incident_reports(&officer, &id, true).unwrap();
    let mut update = Update::default();
    update.status = Some(Status::Closed);
    w.vault.update_incident(&officer, &id, update).unwrap();
    assert!(alerts(due + 86_400).is_empty());
}

#[test]
fn a_stolen_copy_of_several_collections_with_its_keys_exposes_cards_and_calls_for_pci() {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    for name in [C, "consumer-wireless"] {
        vault.create_collection(&custodian(), kura::schema::builtin(name).unwrap()).unwrap();
    }
    let load = |name: &str, csv: &[u8]| {
        let parsed =
            kura::import::parse("t.csv", csv, &vault.schema(name).unwrap(), kura::import::Encoding::Auto).unwrap();
        vault.write(&custodian(), name, parsed.rows, &mut |_| {}).unwrap().ids.len()
    };
    let corporate = load(C, &corporate_csv(40, 5));
    let consumers = load("consumer-wireless", &crate::support::consumer_csv(25, 6));
    let officer = staff(&vault, "sec.a", Role::SecurityOfficer, &[], "INC-1");
    let now = kura::store::now();
    let scope = Scope {
        collections: [C.to_owned(), "consumer-wireless".to_owned()].into(),
        copy: kura::scan::walk(&fx.vault_dir()).unwrap(),
        ..Scope::default()
    };
    let i = vault
        .open_incident(
            &officer,
            NewIncident {
                title: "backup tape with the key file lost".to_owned(),
                detected_at: now,
                learned_at: now,
                scenario: Scenario::StolenDatabase { keys_separate: false },
                unauthorised_purpose: false,
                scope,
            },
        )
        .unwrap();
    let a = vault.incident_exposure(&officer, &i.id).unwrap();
    assert_eq!(a.exposure.subjects, (corporate + consumers) as u64);
    assert_eq!(a.by_collection["consumer-wireless"].len(), consumers);
    assert_eq!(a.by_collection[C].len(), corporate);
    let card = a.exposure.fields.iter().find(|f| f.name == "consumer-wireless.card_number").unwrap();
    assert_eq!((card.subjects, card.plain), (consumers as u64, consumers as u64));
    assert!(a.exposure.fields.iter().any(|f| f.name == "corporate-mobile.user_name"));
    let drafts = vault.draft_incident_reports(&officer, &i.id, false).unwrap();
    assert!(drafts.assessment.duty(Step::PciNotification).unwrap().required, "card numbers readable");
    assert!(drafts.assessment.duty(Step::AppiPreliminary).unwrap().required, "財産的被害のおそれ at any count");
    // A notice list names one collection of the incident.
    let fields = vec!["user_name".to_owned()];
    assert!(vault.request_notice_list(&officer, &i.id, "nonexistent", fields, Format::CsvUtf8, "x").is_err());
}

#[test]
fn each_report_version_keeps_what_it_reported() {
    let w = world();
    let officer = staff(&w.vault, "sec.a", Role::SecurityOfficer, &[], "INC-1");
    let auditor = staff(&w.vault, "aud.a", Role::Auditor, &[], "AUD-1");
    let (export, _) = export_of(&w, &w.x);
    let scope = Scope { collections: [C.to_owned()].into(), exports: [export].into(), ..Scope::default() };
    let id = open(&w.vault, &officer, Scenario::Export, scope);
    let v1 = w.vault.draft_incident_reports(&officer, &id, false).unwrap();
    let mut update = Update::default();
    update.statements = Some(kura::incident::Statements {
        cause: Some("委託先担当者による持ち出し".to_owned()),
        ..Default::default()
    });
    w.vault.update_incident(&officer, &id, update).unwrap();
    let v2 = w.vault.draft_incident_reports(&officer, &id, true).unwrap();
    // Version 1 read back is version 1 as drafted: the cause still blank, preliminary.
    let again = w.vault.incident_report_version(&auditor, &id, Some(1)).unwrap();
    assert_eq!((again.facts.version, again.facts.is_final), (1, false));
    assert_eq!(again.facts.statements.cause, None);
    assert_eq!(again.facts, v1.facts);
    let blanks = |d: &kura::vault::incidents::Drafts| d.documents.iter().map(|(_, d)| d.fills().len()).sum::<usize>();
    assert_eq!(blanks(&again), blanks(&v1));
    // The latest is the final one.
    let latest = w.vault.incident_report_version(&auditor, &id, None).unwrap();
    assert_eq!(latest.facts, v2.facts);
    assert!(w.vault.incident_report_version(&auditor, &id, Some(9)).is_err());
    let op = staff(&w.vault, "op.z", Role::Operator, &[&w.x], "T-9");
    assert!(matches!(w.vault.incident_report_version(&op, &id, None), Err(IncidentError::Denied(_))));
}
