//! Governed exports on every backend: four eyes, policy per field and company, limited downloads until expiry,
//! disposal and its overdue alert, every step in the log.

use std::collections::BTreeSet;

use kura::audit::{Action, Outcome};
use kura::principal::{Kind, Principal, Role};
use kura::vault::exports::{ExportError, ExportSpec, Format, State};
use kura::{Access, Vault};

use crate::support::{backends, corporate_csv, custodian, rows};

const C: &str = "corporate-mobile";

/// Contact points the organisation controls, for canaries.
pub const POOLS: &str = r#"
phones = ["090-0000-1001", "090-0000-1002", "090-0000-1003", "090-0000-1004", "090-0000-1005", "090-0000-1006"]

[email]
domains = ["mail.canary-example.jp"]

[[mail_drop]]
postal_code = "100-0005"
address = "東京都千代田区丸の内1-2-3 丸の内ビル 301号室"

[[mail_drop]]
postal_code = "530-0001"
address = "大阪府大阪市北区梅田1-1-1 梅田ビル 502号室"
"#;

fn staff(vault: &Vault, name: &str, kind: Kind, role: Role, companies: &[&str]) -> Access {
    let p =
        Principal::new(name, kind, [role].into(), None, companies.iter().map(|c| (*c).to_owned()).collect()).unwrap();
    vault.add_principal(&custodian(), &p).unwrap();
    vault.access(name, "ORDER-77", "test").unwrap()
}

fn spec(company: &str, expires_in: i64, downloads: u32) -> ExportSpec {
    ExportSpec {
        collection: C.to_owned(),
        companies: [company.to_owned()].into(),
        departments: BTreeSet::new(),
        records: Default::default(),
        fields: vec!["employee_id".to_owned(), "user_name".to_owned(), "mobile".to_owned()],
        format: Format::CsvUtf8,
        recipient: "desk-3 mailing".to_owned(),
        expires_at: kura::store::now() + expires_in,
        max_downloads: downloads,
        dispose_within_days: 7,
        canaries: 2,
    }
}

fn export_entries(vault: &Vault) -> Vec<kura::audit::Entry> {
    let log = vault.audit_log().store();
    log.entries(0, log.size().unwrap())
        .unwrap()
        .into_iter()
        .map(|(_, d)| kura::audit::Entry::from_leaf(&d).unwrap())
        .filter(|e| e.action == Action::Export)
        .collect()
}

#[test]
fn exports_need_a_second_person_and_run_out() {
    for fx in backends() {
        let vault = fx.create_default();
        let csv = corporate_csv(60, 21);
        vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
        let parsed =
            kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
        vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap();
        let people = rows(&csv);
        let company = people[0]["company"].clone();
        let expected = people.iter().filter(|p| p["company"] == company).count();

        let lead = staff(&vault, "lead", Kind::Employee, Role::Supervisor, &[&company]);
        let other_lead = staff(&vault, "other-lead", Kind::Employee, Role::Supervisor, &[&company]);
        let operator = staff(&vault, "op", Kind::Employee, Role::Operator, &[&company]);
        let contractor = staff(&vault, "sub", Kind::Contractor, Role::Supervisor, &[&company]);

        // Operators and contractors do not export; the refusals are logged.
        assert!(matches!(vault.request_export(&operator, &spec(&company, 3600, 1)), Err(ExportError::Denied(_))));
        assert!(matches!(vault.request_export(&contractor, &spec(&company, 3600, 1)), Err(ExportError::Denied(_))));
        assert_eq!(export_entries(&vault).iter().filter(|e| e.outcome == Outcome::Deny).count(), 2);
        // Invalid requests are refused before anything.
        let mut bad = spec(&company, 3600, 1);
        bad.fields.push("colour".to_owned());
        assert!(matches!(vault.request_export(&lead, &bad), Err(ExportError::Invalid(_))));
        assert!(matches!(vault.request_export(&lead, &spec(&company, -5, 1)), Err(ExportError::Invalid(_))));

        let e = vault.request_export(&lead, &spec(&company, 3600, 1)).unwrap();
        assert_eq!(e.state, State::Requested);
        // Not downloadable before approval; the requester cannot approve; an operator cannot either.
        assert!(matches!(
            vault.export_file(&lead, &e.id, &kura::render::Options::default()),
            Err(ExportError::Denied(_))
        ));
        assert!(matches!(vault.decide_export(&lead, &e.id, true, ""), Err(ExportError::Denied(_))));
        assert!(matches!(vault.decide_export(&operator, &e.id, true, ""), Err(ExportError::Denied(_))));
        // Every export carries canaries: no approval before the organisation's contact points are configured.
        assert!(matches!(vault.decide_export(&other_lead, &e.id, true, ""), Err(ExportError::State(_))));
        assert!(matches!(vault.set_canary_pools(&operator, POOLS), Err(ExportError::Denied(_))));
        assert!(matches!(vault.set_canary_pools(&custodian(), "phones = [\"x\"]"), Err(ExportError::Invalid(_))));
        vault.set_canary_pools(&custodian(), POOLS).unwrap();
        let approved = vault.decide_export(&other_lead, &e.id, true, "").unwrap();
        assert_eq!(approved.canaries.len(), 2);
        assert_eq!((approved.state, approved.decided_by.as_deref()), (State::Approved, Some("other-lead")));
        // Only the requester downloads, once; the file is CSV (UTF-8 with BOM) of the company's people.
        let opts = kura::render::Options::default();
        assert!(matches!(vault.export_file(&other_lead, &e.id, &opts), Err(ExportError::Denied(_))));
        let file = vault.export_file(&lead, &e.id, &opts).unwrap();
        assert_eq!((file.records, file.extension), (expected, "csv"));
        let text = std::str::from_utf8(&file.bytes).unwrap().strip_prefix('\u{feff}').unwrap().to_owned();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), ["employee_id", "user_name", "mobile"]);
        let got: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(got.len(), expected + 2, "the company's people and two canaries");
        // Every value is in a notation that normalises to the stored one (the fingerprint changes notation only).
        let canon = |kind, v: &str| kura::normalize::canonical(kind, v).unwrap().to_string();
        let stored: BTreeSet<String> = people
            .iter()
            .filter(|p| p["company"] == company)
            .map(|p| canon(kura::schema::FieldType::Phone, &p["mobile"]))
            .collect();
        let registry = vault.canary_registry().unwrap();
        let mut canaries = 0;
        for row in &got {
            let mobile = canon(kura::schema::FieldType::Phone, &row[2]);
            match registry.lookup(&row[2]) {
                Some(hit) => {
                    assert_eq!(hit.export.as_str(), e.id);
                    canaries += 1;
                }
                None => assert!(stored.contains(&mobile), "a real row's phone changed its canonical form"),
            }
        }
        assert_eq!(canaries, 2);
        // The file differs in notation from the stored values somewhere (the fingerprint is there). Phone and
        // name notations both vary; that every row of the company keeps both stored forms has a probability
        // well under 1e-3.
        let stored_text: BTreeSet<&str> =
            people.iter().flat_map(|p| [p["mobile"].as_str(), p["user_name"].as_str()]).collect();
        assert!(got
            .iter()
            .filter(|row| registry.lookup(&row[2]).is_none())
            .any(|row| { !stored_text.contains(&row[1]) || !stored_text.contains(&row[2]) }));
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(&file.bytes));
        assert_eq!(
            (file.digest.as_str(), file.export.downloads[0].digest.as_str()),
            (digest.as_str(), digest.as_str())
        );
        assert!(matches!(vault.export_file(&lead, &e.id, &opts), Err(ExportError::Denied(_))));
        // The manifest names every record and the file's digest; each step is in the log.
        let entries = export_entries(&vault);
        // Each manifest entry names the export itself and then its records.
        let manifest: usize =
            entries.iter().filter(|x| x.detail.contains("manifest")).map(|x| x.subjects.len() - 1).sum();
        assert_eq!(manifest, expected);
        for step in ["requested", "approved", "download 1 of 1", &format!("file sha256 {digest}")] {
            assert!(entries.iter().any(|x| x.detail.contains(step)), "{step} missing");
        }
        // Disposal: overdue after the deadline until attested; the alert is logged.
        let officer = staff(&vault, "so", Kind::Employee, Role::SecurityOfficer, &[]);
        let later = kura::store::now() + 3600 + 8 * 86_400;
        assert!(vault.overdue_disposals(&officer, kura::store::now()).unwrap().is_empty());
        assert_eq!(vault.overdue_disposals(&officer, later).unwrap().len(), 1);
        assert!(export_entries(&vault).iter().any(|x| x.detail.contains("ALERT disposal overdue")));
        assert!(matches!(vault.attest_disposal(&other_lead, &e.id), Err(ExportError::Denied(_))));
        assert_eq!(vault.attest_disposal(&lead, &e.id).unwrap().state, State::Disposed);
        assert!(vault.overdue_disposals(&officer, later).unwrap().is_empty());
        // A denied export stays denied.
        let d = vault.request_export(&lead, &spec(&company, 3600, 2)).unwrap();
        assert_eq!(vault.decide_export(&other_lead, &d.id, false, "TICKET-9").unwrap().state, State::Denied);
        assert!(matches!(
            vault.export_file(&lead, &d.id, &kura::render::Options::default()),
            Err(ExportError::Denied(_))
        ));
        assert_eq!(vault.exports(&officer).unwrap().len(), 2);
        assert!(vault.exports(&operator).unwrap().is_empty());
    }
}

#[test]
fn an_expired_export_cannot_be_downloaded() {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    let csv = corporate_csv(10, 5);
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap();
    let company = rows(&csv)[0]["company"].clone();
    let lead = staff(&vault, "lead", Kind::Employee, Role::Supervisor, &[&company]);
    let other = staff(&vault, "other", Kind::Employee, Role::Supervisor, &[&company]);
    vault.set_canary_pools(&custodian(), POOLS).unwrap();
    let e = vault.request_export(&lead, &spec(&company, 2, 3)).unwrap();
    vault.decide_export(&other, &e.id, true, "").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    match vault.export_file(&lead, &e.id, &kura::render::Options::default()) {
        Err(ExportError::Denied(why)) => assert!(why.contains("expired"), "{why}"),
        other => panic!("expired export downloaded: {other:?}"),
    }
}

/// A blind-index row of the company field edited to point at another company's person does not carry that
/// person into the export.
#[test]
fn an_edited_index_row_exports_nobody_else() {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    let csv = corporate_csv(30, 8);
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    let ids = vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap().ids;
    let people = rows(&csv);
    let company = people[0]["company"].clone();
    let outsider = people.iter().position(|p| p["company"] != company).unwrap();
    drop(vault);
    let db = rusqlite::Connection::open(fx.vault_dir().join("vault.db")).unwrap();
    let seq_of = |i: usize| -> i64 {
        db.query_row("SELECT seq FROM record WHERE id = ?1", [&ids[i].0[..]], |r| r.get(0)).unwrap()
    };
    // Field 1 is `company`: the first employee's company token now points at the outsider.
    let n = db
        .execute("UPDATE blind_index SET seq = ?1 WHERE field = 1 AND seq = ?2", [seq_of(outsider), seq_of(0)])
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    let vault = fx.open();
    let lead = staff(&vault, "lead", Kind::Employee, Role::Supervisor, &[&company]);
    let other = staff(&vault, "other", Kind::Employee, Role::Supervisor, &[&company]);
    vault.set_canary_pools(&custodian(), POOLS).unwrap();
    let e = vault.request_export(&lead, &spec(&company, 3600, 1)).unwrap();
    vault.decide_export(&other, &e.id, true, "").unwrap();
    let file = vault.export_file(&lead, &e.id, &kura::render::Options::default()).unwrap();
    let text = String::from_utf8(file.bytes).unwrap();
    assert!(!text.contains(&people[outsider]["employee_id"]), "another company's person was exported");
    assert_eq!(file.records, people.iter().filter(|p| p["company"] == company).count() - 1);
}

/// A person whose contact point is a canary's (a canary fed back into the CRM, or a pool number reused) is
/// left out of the organisation's own exports, so its own mailings never reach a canary drop.
#[test]
fn canary_contact_points_are_left_out_of_exports() {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    let csv = String::from_utf8(corporate_csv(80, 9)).unwrap();
    let people = rows(csv.as_bytes());
    let company = people[0]["company"].clone();
    let same: Vec<usize> = (0..people.len()).filter(|i| people[*i]["company"] == company).collect();
    assert!(same.len() >= 3, "the fixture needs three people of one company");
    // The first person's mobile is a pool number that no canary holds yet.
    let csv = csv.replacen(&people[same[0]]["mobile"], "090-0000-1006", 1);
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    let parsed =
        kura::import::parse("t.csv", csv.as_bytes(), &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    let ids = vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap().ids;
    let lead = staff(&vault, "lead", Kind::Employee, Role::Supervisor, &[&company]);
    let other = staff(&vault, "other", Kind::Employee, Role::Supervisor, &[&company]);
    vault.set_canary_pools(&custodian(), POOLS).unwrap();
    let first = vault.request_export(&lead, &spec(&company, 3600, 1)).unwrap();
    vault.decide_export(&other, &first.id, true, "").unwrap();
    let first = vault.exports(&lead).unwrap().into_iter().find(|e| e.id == first.id).unwrap();
    let file = vault.export_file(&lead, &first.id, &kura::render::Options::default()).unwrap();
    let text = String::from_utf8(file.bytes).unwrap();
    assert!(!text.contains(&people[same[0]]["employee_id"]), "a person at a pool number was exported");
    assert_eq!(file.records, same.len() - 1);
    let manifest = export_entries(&vault).into_iter().find(|e| e.detail.contains("manifest part 1")).unwrap();
    assert!(manifest.detail.contains("1 records at canary contact points left out"), "{}", manifest.detail);

    // The second person takes the phone of one of the first export's canaries: the next export leaves them out.
    let phone = first.canaries[0]
        .contacts
        .iter()
        .find(|c| c.kind == kura::canary::ContactKind::Phone)
        .unwrap()
        .canonical
        .clone();
    let national = format!("0{}", phone.trim_start_matches("+81"));
    let clerk = staff(&vault, "clerk", Kind::Employee, Role::Operator, &[&company]);
    vault.update(&clerk, C, ids[same[1]], &[("mobile".to_owned(), Some(national))]).unwrap();
    let second = vault.request_export(&lead, &spec(&company, 3600, 1)).unwrap();
    vault.decide_export(&other, &second.id, true, "").unwrap();
    let file = vault.export_file(&lead, &second.id, &kura::render::Options::default()).unwrap();
    let text = String::from_utf8(file.bytes).unwrap();
    assert!(!text.contains(&people[same[1]]["employee_id"]), "a person at a canary's phone was exported");
    assert_eq!(file.records, same.len() - 2);
}

/// A selection by record ids (a shipping label for one order's people) exports those records only.
#[test]
fn a_selection_by_record_ids_exports_those_records_only() {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    let csv = corporate_csv(80, 12);
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    let ids = vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap().ids;
    let people = rows(&csv);
    let company = people[0]["company"].clone();
    let same: Vec<usize> = (0..people.len()).filter(|i| people[*i]["company"] == company).collect();
    assert!(same.len() >= 3);
    let lead = staff(&vault, "lead", Kind::Employee, Role::Supervisor, &[&company]);
    let other = staff(&vault, "other", Kind::Employee, Role::Supervisor, &[&company]);
    vault.set_canary_pools(&custodian(), POOLS).unwrap();
    let mut s = spec(&company, 3600, 1);
    // Two of the company's people, and one of another company (never exported: not in the selection).
    let outsider = (0..people.len()).find(|i| people[*i]["company"] != company).unwrap();
    s.records = [ids[same[0]], ids[same[2]], ids[outsider]].into();
    let e = vault.request_export(&lead, &s).unwrap();
    vault.decide_export(&other, &e.id, true, "").unwrap();
    let file = vault.export_file(&lead, &e.id, &kura::render::Options::default()).unwrap();
    assert_eq!(file.records, 2);
    // The file's real rows (not canaries: their phones are canary contact points) are exactly the two.
    let registry = vault.canary_registry().unwrap();
    let mut r = csv::Reader::from_reader(&file.bytes[3..]);
    let real: BTreeSet<String> =
        r.records().map(|x| x.unwrap()).filter(|x| registry.lookup(&x[2]).is_none()).map(|x| x[0].to_owned()).collect();
    let want: BTreeSet<String> = [same[0], same[2]].iter().map(|i| people[*i]["employee_id"].clone()).collect();
    assert_eq!(real, want);
}
