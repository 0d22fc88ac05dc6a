//! Leak tracing end to end: exports by several people over the same records, a leak from one of them
//! (re-formatted, mixed with outside rows, pooled with another, or too small), and what `Vault::trace` says.

use std::collections::BTreeSet;

use kura::audit::Action;
use kura::principal::{Kind, Principal, Role};
use kura::trace::parse::{self, Format};
use kura::vault::exports::{Export, ExportSpec, Format as FileFormat};
use kura::vault::trace::{Finding, Options, TraceError};
use kura::{Access, Vault};
use unicode_normalization::UnicodeNormalization;

use crate::support::{backends, corporate_csv, custodian, rows};

const C: &str = "corporate-mobile";

const FIELDS: &[&str] =
    &["user_name", "user_name_kana", "mobile", "email", "company", "company_postal_code", "company_address"];

fn pools() -> String {
    let phones: Vec<String> = (0..30).map(|i| format!("\"090-0000-{:04}\"", 2000 + i)).collect();
    let mut s = format!("phones = [{}]\n\n[email]\ndomains = [\"mail.canary-example.jp\"]\n", phones.join(", "));
    for i in 0..30 {
        s.push_str(&format!(
            "\n[[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-{} 丸の内ビル {}号室\"\n",
            i + 1,
            300 + i
        ));
    }
    s
}

fn principal(vault: &Vault, name: &str, role: Role, companies: &[String]) -> Access {
    let p = Principal::new(name, Kind::Employee, [role].into(), None, companies.iter().cloned().collect()).unwrap();
    vault.add_principal(&custodian(), &p).unwrap();
    vault.access(name, "ORDER-9", "test").unwrap()
}

/// A vault with one company's staff; `n` supervisors each download one export of the same company.
struct Setup {
    vault: Vault,
    officer: Access,
    exports: Vec<(Export, Vec<Vec<String>>)>,
    /// Rows of another company, in no export.
    outside: Vec<std::collections::HashMap<String, String>>,
    _fx: crate::support::Fixture,
}

fn setup(n: usize) -> Setup {
    let fx = backends().remove(0);
    let vault = fx.create_default();
    let csv = corporate_csv(400, 21);
    let people = rows(&csv);
    let company = people[0]["company"].clone();
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap();
    vault.set_canary_pools(&custodian(), &pools()).unwrap();
    let approver = principal(&vault, "approver", Role::Supervisor, std::slice::from_ref(&company));
    let officer = principal(&vault, "officer", Role::SecurityOfficer, &[]);
    let mut exports = Vec::new();
    for i in 0..n {
        let lead = principal(&vault, &format!("lead-{i}"), Role::Supervisor, std::slice::from_ref(&company));
        let spec = ExportSpec {
            collection: C.to_owned(),
            companies: [company.clone()].into(),
            departments: BTreeSet::new(),
            records: Default::default(),
            fields: FIELDS.iter().map(|f| (*f).to_owned()).collect(),
            format: FileFormat::CsvUtf8,
            recipient: format!("desk {i}"),
            expires_at: kura::store::now() + 3600,
            max_downloads: 1,
            dispose_within_days: 7,
            canaries: 1,
        };
        let e = vault.request_export(&lead, &spec).unwrap();
        vault.decide_export(&approver, &e.id, true, "").unwrap();
        let file = vault.export_file(&lead, &e.id, &kura::render::Options::default()).unwrap();
        let mut r = csv::Reader::from_reader(&file.bytes[..]);
        let table: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(str::to_owned).collect()).collect();
        let e = vault.exports(&officer).unwrap().into_iter().find(|x| x.id == e.id).unwrap();
        exports.push((e, table));
    }
    let outside = people.into_iter().filter(|p| p["company"] != company).take(20).collect();
    Setup { vault, officer, exports, outside, _fx: fx }
}

/// Rows of an export that are not its canaries.
fn real_rows<'a>(e: &Export, table: &'a [Vec<String>]) -> Vec<&'a Vec<String>> {
    let canary_phones: BTreeSet<String> = e
        .canaries
        .iter()
        .flat_map(|k| k.contacts.iter().filter(|c| c.kind == kura::canary::ContactKind::Phone))
        .map(|c| c.canonical.clone())
        .collect();
    table
        .iter()
        .filter(|r| {
            let phone = kura::normalize::canonical(kura::schema::FieldType::Phone, &r[2]).unwrap();
            !canary_phones.contains(phone.as_str())
        })
        .collect()
}

fn nfkc_collapse(s: &str) -> String {
    let s: String = s.nfkc().collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn csv_of(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FIELDS).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.into_inner().unwrap()
}

fn trace(s: &Setup, input: &[u8], format: Format) -> kura::vault::trace::Report {
    let leak = parse::parse(input, format).unwrap();
    s.vault.trace(&s.officer, C, &leak, Options::default()).unwrap()
}

#[test]
fn a_reformatted_leak_names_its_export_with_its_history() {
    let s = setup(6);
    let (guilty, table) = &s.exports[3];
    let leaked: Vec<Vec<String>> =
        real_rows(guilty, table).iter().take(14).map(|r| r.iter().map(|v| nfkc_collapse(v)).collect()).collect();
    let report = trace(&s, &csv_of(&leaked), Format::Csv);
    assert_eq!(report.finding, Finding::Accused, "{}", report.to_markdown());
    assert_eq!(report.accused, vec![guilty.id.clone()], "{}", report.to_markdown());
    assert_eq!(report.basis, "fingerprint");
    assert_eq!(report.linked, 14);
    // Every export held these people: membership alone cannot tell them apart.
    assert_eq!(report.candidates.len(), 6);
    let top = &report.candidates[0];
    assert_eq!((top.requester.as_str(), top.approver.as_deref()), ("lead-3", Some("approver")));
    assert!(top.false_accusation <= 1e-6, "{}", top.false_accusation);
    assert!(report.candidates[1..].iter().all(|c| !c.accused && c.score < report.threshold));
    // The accused export's request, approval, manifest and download, from the log.
    let steps: Vec<&str> = report.steps.iter().map(|st| st.detail.as_str()).collect();
    assert!(steps.iter().any(|d| d.contains("requested")), "{steps:?}");
    assert!(steps.iter().any(|d| d.contains("approved")), "{steps:?}");
    assert!(steps.iter().any(|d| d.contains("manifest part 1")), "{steps:?}");
    assert!(steps.iter().any(|d| d.contains("download 1 of 1")), "{steps:?}");
    for st in &report.steps {
        let e = kura::audit::Entry::from_leaf(
            &s.vault.audit_log().store().entries(st.seq, 1).unwrap().into_iter().next().unwrap().1,
        )
        .unwrap();
        assert_eq!(e.action, Action::Export);
    }
    // The trace itself is in the log, naming the fourteen people.
    let (_, data) = s.vault.audit_log().store().entries(report.trace_entry, 1).unwrap().into_iter().next().unwrap();
    let e = kura::audit::Entry::from_leaf(&data).unwrap();
    assert_eq!((e.action, e.principal.as_str(), e.subjects.len()), (Action::Trace, "officer", 14));
    // The report holds no leaked value.
    let json = serde_json::to_string(&report).unwrap();
    let md = report.to_markdown();
    for r in &leaked {
        assert!(!json.contains(&r[0]) && !md.contains(&r[0]), "a name is in the report");
        assert!(!json.contains(&r[2]) && !md.contains(&r[2]), "a phone number is in the report");
    }
}

#[test]
fn letters_typed_as_free_text_with_outside_rows_are_traced() {
    let s = setup(4);
    let (guilty, table) = &s.exports[1];
    let mut text = String::new();
    for r in real_rows(guilty, table).iter().take(14) {
        // A letter: postal code and address on one line, company, name with an honorific, phone.
        text.push_str(&format!("〒{} {}\n{}\n{} 様\n{}\n\n", r[5], r[6], r[4], r[0], r[2]));
    }
    for p in &s.outside {
        text.push_str(&format!("{} 様\n{}\n\n", p["user_name"], p["mobile"]));
    }
    let report = trace(&s, text.as_bytes(), Format::Text);
    assert_eq!(report.rows, 14 + s.outside.len());
    assert_eq!(report.accused, vec![guilty.id.clone()], "{}", report.to_markdown());
    // Outside rows link to their records but no export held them.
    let outside: Vec<_> = report.evidence.iter().skip(14).collect();
    assert!(outside.iter().all(|e| e.exports.is_empty()), "{outside:?}");
}

#[test]
fn a_canary_names_its_export_outright() {
    let s = setup(3);
    let (guilty, table) = &s.exports[2];
    let canary_phone =
        &guilty.canaries[0].contacts.iter().find(|c| c.kind == kura::canary::ContactKind::Phone).unwrap();
    let row = table
        .iter()
        .find(|r| {
            kura::normalize::canonical(kura::schema::FieldType::Phone, &r[2]).unwrap().as_str()
                == canary_phone.canonical
        })
        .unwrap()
        .clone();
    let report = trace(&s, &csv_of(&[row]), Format::Csv);
    assert_eq!(report.accused, vec![guilty.id.clone()]);
    assert_eq!(report.basis, "canary");
    assert_eq!(report.evidence[0].canary.as_ref().map(|(_, e)| e.as_str()), Some(guilty.id.as_str()));
}

#[test]
fn pooled_copies_rank_both_colluders_and_too_little_is_not_attributable() {
    let s = setup(5);
    let (a, ta) = &s.exports[0];
    let (b, tb) = &s.exports[4];
    let mut leaked: Vec<Vec<String>> = real_rows(a, ta).iter().take(20).map(|r| (*r).clone()).collect();
    leaked.extend(real_rows(b, tb).iter().skip(20).take(20).map(|r| (*r).clone()));
    let report = trace(&s, &csv_of(&leaked), Format::Csv);
    let top: BTreeSet<&str> = report.candidates.iter().take(2).map(|c| c.export.as_str()).collect();
    assert_eq!(top, [a.id.as_str(), b.id.as_str()].into(), "{}", report.to_markdown());
    assert!(report.accused.iter().all(|x| x == &a.id || x == &b.id), "an innocent export was accused");
    assert!(!report.accused.is_empty(), "{}", report.to_markdown());

    // Two rows, fully normalised: nothing of the fingerprint survives.
    let few: Vec<Vec<String>> = real_rows(a, ta)
        .iter()
        .take(2)
        .map(|r| {
            FIELDS
                .iter()
                .zip(r.iter())
                .map(|(f, v)| {
                    let kind = kura::schema::builtin(C).unwrap().fields.iter().find(|x| x.name == *f).unwrap().kind;
                    kura::normalize::canonical(kind, v).map(|c| c.as_str().to_owned()).unwrap_or_else(|_| v.clone())
                })
                .collect()
        })
        .collect();
    let report = trace(&s, &csv_of(&few), Format::Csv);
    assert_eq!(report.finding, Finding::NotAttributable, "{}", report.to_markdown());
    assert!(report.accused.is_empty());
    assert_eq!(report.candidates.len(), 5, "the candidate set is every export holding the rows");
    assert!(report.to_markdown().contains("not attributable"));
}

#[test]
fn only_security_officers_trace() {
    let s = setup(1);
    let clerk = principal(&s.vault, "clerk", Role::Operator, &[]);
    let leak = parse::parse("山田 太郎\n090-1234-5678\n".as_bytes(), Format::Text).unwrap();
    match s.vault.trace(&clerk, C, &leak, Options::default()) {
        Err(TraceError::Denied(_)) => {}
        other => panic!("an operator traced: {other:?}"),
    }
}
