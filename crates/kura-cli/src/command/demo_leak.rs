//! `kura demo`, second half: governed exports, the leak of one as fourteen letters, the trace that names
//! it, and a stolen API token copying the vault that trips a honey record.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use kura::principal::{Kind, Principal, Role};
use kura::trace::parse;
use kura::vault::exports::{Export, ExportError, ExportSpec, Format};
use kura::vault::trace::{Finding, Options};
use kura::vault::CardView;
use kura::Vault;
use unicode_normalization::UnicodeNormalization;

use super::demo::step;
use crate::cli::Global;

const C: &str = "corporate-mobile";
/// What a mailing list needs: name, reading, phone, e-mail, where the person works.
const FIELDS: &[&str] =
    &["user_name", "user_name_kana", "mobile", "email", "company", "company_postal_code", "company_address"];

/// The organisation's canary contact points: numbers, mail drops and an e-mail domain it owns.
fn pools() -> String {
    let phones: Vec<String> = (0..40).map(|i| format!("\"090-0000-{:04}\"", 7000 + i)).collect();
    let mut s = format!("phones = [{}]\n\n[email]\ndomains = [\"mail.canary-example.jp\"]\n", phones.join(", "));
    for i in 0..40 {
        s.push_str(&format!(
            "\n[[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-{}-{} 丸の内ビル {}号室\"\n",
            1 + i / 10,
            1 + i % 10,
            301 + i
        ));
    }
    s
}

/// The demo's anomaly rules: the defaults, except the clock (the demo runs at any hour).
pub const RULES: &str = r#"
[off_hours]
enabled = false
[read_rate]
per_minute = 500
per_hour = 5000
per_day = 20000
"#;

fn retyped(s: &str, reformat: bool) -> String {
    if !reformat {
        return s.to_owned();
    }
    let s: String = s.nfkc().collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub struct Cast<'a> {
    pub staff: &'a [Principal],
    pub scope: &'a str,
    pub outsider: &'a Principal,
    pub officer: &'a Principal,
}

/// What the incident response of the demo's end starts from.
pub struct Leak {
    /// The export the trace named.
    pub export: String,
    /// The service account whose stolen token copied the vault.
    pub portal: String,
    /// When the letters were traced (seconds since the epoch): when the organisation learned of the leak.
    pub traced_at: i64,
}

pub fn story(vault: &Vault, global: &Global, dir: &Path, cast: &Cast<'_>, first: u32) -> Result<Leak> {
    let admin = crate::open::custodian("DEMO-0010 canary pools")?;
    vault.set_canary_pools(&admin, &pools())?;
    let honey = vault.plant_honey(&admin, C, 20)?;

    step(first, "governed exports: a subcontractor tries to pull a list; supervisors export under four eyes");
    let scope = cast.scope.to_owned();
    let spec = |recipient: &str| ExportSpec {
        collection: C.to_owned(),
        companies: [scope.clone()].into(),
        departments: BTreeSet::new(),
        records: Default::default(),
        fields: FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        format: Format::CsvUtf8,
        recipient: recipient.to_owned(),
        expires_at: kura::store::now() + 7 * 86_400,
        max_downloads: 1,
        dispose_within_days: 7,
        canaries: 2,
    };
    let pull = vault.access(&cast.outsider.name, "DEMO-0012 customer list", "demo")?;
    let mut contractor_spec = spec("subcontractor desk");
    contractor_spec.companies = cast.outsider.companies.iter().take(1).cloned().collect();
    match vault.request_export(&pull, &contractor_spec) {
        Err(ExportError::Denied(why)) => {
            println!("   {} (委託先) asks for a list: refused — {why}", cast.outsider.name)
        }
        other => bail!("a subcontractor's export request was not refused: {other:?}"),
    }
    let supervisors: Vec<&Principal> = cast
        .staff
        .iter()
        .filter(|p| p.kind == Kind::Employee && p.roles.contains(&Role::Supervisor) && p.companies.contains(&scope))
        .collect();
    if supervisors.len() < 2 {
        bail!("the company needs two supervisors for four eyes");
    }
    std::fs::create_dir_all(dir.join("exports"))?;
    let mut exports: Vec<(Export, Vec<Vec<String>>)> = Vec::new();
    for (i, lead) in supervisors.iter().enumerate() {
        let approver = supervisors.get((i + 1) % supervisors.len()).context("approver")?;
        for (n, recipient) in ["account review", "device refresh mailing"].iter().enumerate() {
            let req = vault.access(&lead.name, &format!("DEMO-002{i}{n} {recipient}"), "demo")?;
            let e = vault.request_export(&req, &spec(recipient))?;
            let ok = vault.access(&approver.name, &format!("DEMO-002{i}{n} approval"), "demo")?;
            vault.decide_export(&ok, &e.id, true, "")?;
            let file = vault.export_file(&req, &e.id, &kura::render::Options::default())?;
            std::fs::write(dir.join("exports").join(format!("{}.csv", e.id)), &file.bytes)?;
            let mut r =
                csv::Reader::from_reader(file.bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&file.bytes));
            let table: Vec<Vec<String>> =
                r.records().map(|x| x.map(|x| x.iter().map(str::to_owned).collect())).collect::<Result<_, _>>()?;
            let e = vault.exports(&req)?.into_iter().find(|x| x.id == e.id).context("export vanished")?;
            println!(
                "   {} exports {} rows of {scope} for `{recipient}`, approved by {}: {} (sha256 {}…)",
                lead.name,
                file.records,
                approver.name,
                e.id,
                file.digest.get(..12).unwrap_or_default()
            );
            exports.push((e, table));
        }
    }
    println!(
        "   {} files, each with 2 canary people and every value in its own choice of notations; {honey} honey records \
         in the vault are left out of all of them",
        exports.len()
    );

    step(first + 1, "a list leaks: fourteen letters reach employees' homes, typed off one of the files");
    let (guilty, table) = exports.get(exports.len() / 2).context("no exports")?;
    let canary_phones: BTreeSet<String> = guilty
        .canaries
        .iter()
        .flat_map(|k| k.contacts.iter())
        .filter(|c| c.kind == kura::canary::ContactKind::Phone)
        .map(|c| c.canonical.clone())
        .collect();
    let real: Vec<&Vec<String>> = table
        .iter()
        .filter(|r| {
            r.get(2)
                .and_then(|p| kura::normalize::canonical(kura::schema::FieldType::Phone, p).ok())
                .is_some_and(|p| !canary_phones.contains(p.as_str()))
        })
        .collect();
    let mut letters = String::new();
    for (i, r) in real.iter().step_by((real.len() / 14).max(1)).take(14).enumerate() {
        let f = |k: usize| retyped(r.get(k).map(String::as_str).unwrap_or_default(), i % 2 == 1);
        letters.push_str(&format!("〒{} {}\n{}\n{} 様\nTEL {}\n\n", f(5), f(6), f(4), f(0), f(2)));
    }
    let leak_dir = dir.join("leak");
    std::fs::create_dir_all(&leak_dir)?;
    std::fs::write(leak_dir.join("letters.txt"), &letters)?;
    println!(
        "   {} (half of them re-typed: full-width digits made ASCII, spaces collapsed):",
        leak_dir.join("letters.txt").display()
    );
    for line in letters.lines().take(5) {
        println!("     {line}");
    }

    step(first + 2, "kura trace: the security officer types the letters in; kura names the export and the people");
    let rows = parse::parse(letters.as_bytes(), parse::Format::Text)?;
    let traced_at = kura::store::now();
    let tracer = vault.access(&cast.officer.name, "DEMO-0030 leak investigation", "demo")?;
    let report = vault.trace(&tracer, C, &rows, Options::default())?;
    if report.finding != Finding::Accused || report.accused.first() != Some(&guilty.id) {
        bail!("the trace did not name the leaked export: {}", report.basis);
    }
    let top = report.candidates.first().context("no candidates")?;
    println!(
        "   {} letters, {} linked to records; {} exports held them all — membership alone cannot tell them apart",
        report.rows,
        report.linked,
        report.candidates.iter().filter(|c| c.records == report.linked).count()
    );
    println!(
        "   accused: export {} — requested and downloaded by {}, approved by {} ({}, {} code positions; probability \
         that an innocent export scores this high ≤ {:.0e}); next best score {:.1} against the threshold {:.1}",
        top.export,
        top.requester,
        top.approver.as_deref().unwrap_or("-"),
        report.basis,
        report.positions,
        top.false_accusation,
        report.candidates.get(1).map_or(0.0, |c| c.score),
        report.threshold
    );
    let signer = vault.signer(&global.vault)?;
    let (_, note) = signer.sign(vault.audit_log().store())?;
    let mut proofs = Vec::new();
    for seq in report.steps.iter().map(|s| s.seq).chain(std::iter::once(report.trace_entry)) {
        let proof = kura::audit::proof::prove(vault.audit_log().store(), seq)?;
        kura::audit::proof::check(&proof, &signer.verifier())?;
        proofs.push(proof);
    }
    let json = serde_json::json!({ "report": &report, "checkpoint": note, "proofs": proofs });
    std::fs::write(leak_dir.join("trace.json"), serde_json::to_string_pretty(&json)?)?;
    std::fs::write(leak_dir.join("trace.md"), report.to_markdown())?;
    println!(
        "   the export's history ({} log entries: request, approval, manifest, download) and the trace itself, each \
         with an inclusion proof checked against a checkpoint signed now: {}",
        report.steps.len(),
        leak_dir.join("trace.json").display()
    );
    let canary = guilty.canaries.first().context("no canary")?;
    let drop = canary.contacts.iter().find(|c| c.kind == kura::canary::ContactKind::Phone).context("canary phone")?;
    let hit = vault.canary_hit(&tracer, &drop.canonical, "phone", "a caller asked for the person by name")?;
    println!(
        "   and the canary person in that file gets a call: canary {} → export {} (requested by {}); alert {}, {}",
        hit.canary,
        hit.export,
        hit.requester.as_deref().unwrap_or("-"),
        hit.alert.id,
        if hit.alert.suspended { "the requester is suspended" } else { "no suspension" }
    );

    step(first + 3, "a stolen API token copies the vault: a honey record trips, the token's principal is suspended");
    let portal = cast
        .staff
        .iter()
        .find(|p| p.kind == Kind::Service && p.roles.contains(&Role::Operator))
        .context("no client-portal service account")?;
    // Each request authenticates again, as the API does: a suspension stops the next one.
    let mut copied = 0usize;
    let companies: Vec<String> = portal.companies.iter().cloned().collect();
    'copy: for company in &companies {
        let Ok(stolen) = vault.access(&portal.name, "DEMO-0040 portal sync", "203.0.113.7") else { break };
        let Ok(ids) = vault.find_ids(&stolen, C, "company", company) else { break };
        for chunk in ids.chunks(500) {
            let Ok(stolen) = vault.access(&portal.name, "DEMO-0040 portal sync", "203.0.113.7") else { break 'copy };
            match vault.get_many(&stolen, C, chunk, CardView::Masked) {
                Ok(records) => copied += records.len(),
                Err(_) => break 'copy,
            }
        }
    }
    let alerts = vault.alerts(&tracer)?;
    println!("   {} records copied before the vault stopped answering; alerts:", copied);
    for a in alerts.iter().rev() {
        println!(
            "     {} {:?} {:?} `{}`: {}{}",
            a.id,
            a.severity,
            a.rule,
            a.principal,
            a.detail,
            if a.suspended { " — suspended" } else { "" }
        );
    }
    if !alerts.iter().any(|a| a.rule == kura::alerts::rules::Rule::Honey && a.principal == portal.name) {
        bail!("the honey record did not fire");
    }
    Ok(Leak { export: guilty.id.clone(), portal: portal.name.clone(), traced_at })
}
