//! `kura demo`: the story on synthetic data — 72 client companies and 130,000 employees imported encrypted,
//! the service desk's 299 staff, a lookup by any notation that the policy allows, masks or refuses depending on
//! who asks and why, the access log of it, an erasure, and a thief's-eye scan of the database files.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use kura::audit::{Entry, Outcome};
use kura::generate;
use kura::keys::keyfile::KdfParams;
use kura::policy::Visibility;
use kura::principal::{Kind, Principal, Role};
use kura::vault::{CardView, EraseReport, ReadError, Record};
use secrecy::SecretString;

use crate::cli::{DemoArgs, Global};
use crate::{open, progress};

pub(super) fn step(n: u32, title: &str) {
    println!("\n== {n}. {title}");
}

/// Another notation of a Japanese mobile number: `090-1234-5678` → `+81 90 1234 5678`.
fn international(mobile: &str) -> String {
    let digits: String = mobile.chars().filter(char::is_ascii_digit).collect();
    let rest = digits.strip_prefix('0').unwrap_or(&digits);
    let (a, b) = rest.split_at(rest.len().min(2));
    let (b, c) = b.split_at(b.len().min(4));
    format!("+81 {a} {b} {c}")
}

/// Another notation of an address: full-width digits and dashes, as many forms are typed.
fn full_width(address: &str) -> String {
    address
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
            '-' => '－',
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// How the breakdown names a kind of principal.
fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Employee => "employees",
        Kind::Dispatched => "dispatched staff (派遣)",
        Kind::Contractor => "subcontractor staff (委託先)",
        Kind::Service => "service accounts",
        _ => k.as_str(),
    }
}

/// How the breakdown names a role, in the plural.
fn role_label(r: Role) -> &'static str {
    match r {
        Role::Operator => "operators",
        Role::Supervisor => "supervisors",
        Role::Auditor => "auditors",
        Role::SecurityOfficer => "security officers",
        Role::Administrator => "administrators",
        _ => r.as_str(),
    }
}

/// `h.sato: operator, dispatched, team desk-3, assigned to 3 client companies`.
fn describe(p: &Principal) -> String {
    let roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
    format!(
        "{}: {}, {}, team {}, {}",
        p.name,
        roles.join("+"),
        p.kind.as_str(),
        p.team.as_deref().unwrap_or("none"),
        match p.companies.len() {
            0 => "no client company assigned".to_owned(),
            1 => "assigned to 1 client company".to_owned(),
            n => format!("assigned to {n} client companies"),
        }
    )
}

/// How the policy let the caller see a field.
fn shown(r: &Record, field: &str) -> Option<Visibility> {
    r.fields.iter().find(|f| f.name == field).map(|f| f.shown)
}

/// Prints a record's fields as the caller sees them.
fn show(r: &Record) {
    for f in &r.fields {
        let value = match (f.shown, &f.value) {
            (Visibility::Hidden, _) => "(hidden)".to_owned(),
            (Visibility::Masked, Some(v)) => format!("{}   (masked)", v.expose()),
            (_, Some(v)) => v.expose().to_owned(),
            (_, None) => String::new(),
        };
        println!("      {:<20} {value}", f.name);
    }
}

/// Prints access-log entries: who, what, allowed or refused, why.
fn print_entries(entries: &[Entry]) {
    for e in entries {
        let outcome = match e.outcome {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Fail => "fail",
            _ => "other",
        };
        println!(
            "   #{:<7} {:<18} {:<16} {:<6} purpose={:<36} {}",
            e.seq,
            e.principal,
            e.action.as_str(),
            outcome,
            e.purpose,
            e.detail
        );
    }
}

pub fn run(g: &Global, a: &DemoArgs) -> Result<()> {
    let (dir, temporary) = match &a.dir {
        Some(d) => (d.clone(), false),
        None => (std::env::temp_dir().join(format!("kura-demo-{}", uuid::Uuid::new_v4().simple())), true),
    };
    if dir.exists() {
        bail!("`{}` already exists; the demo needs a fresh directory", dir.display());
    }
    std::fs::create_dir_all(dir.join("input")).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let result = story(g, a, &dir);
    if temporary && !a.keep {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("\ndemo files kept in {}", dir.display());
    }
    result
}

fn story(g: &Global, a: &DemoArgs, dir: &std::path::Path) -> Result<()> {
    println!(
        "kura demo — a corporate mobile service desk with {} client companies and {} employees",
        a.companies, a.employees
    );

    step(1, "generate synthetic employee data (what the service desk's CRM held)");
    let csv: PathBuf = dir.join("input").join("employees.csv");
    let t = Instant::now();
    let pb = progress::bar(a.employees as u64, "generating", g.quiet);
    let file = std::io::BufWriter::new(std::fs::File::create(&csv)?);
    let params = generate::CorporateParams { companies: a.companies, employees: a.employees, seed: 2014 };
    let summary = generate::corporate(&params, file, &mut |n| pb.set_position(n))?;
    pb.finish_and_clear();
    println!("   {} rows written to {} in {:.2} s", summary.rows, csv.display(), t.elapsed().as_secs_f64());

    step(2, "create a vault (SQLite) with a passphrase-protected root key");
    let global = Global {
        vault: dir.join("vault"),
        key_file: Some(dir.join("keys-elsewhere").join("root.key")),
        sign_in_as: None,
        quiet: g.quiet,
    };
    std::fs::create_dir_all(dir.join("keys-elsewhere"))?;
    let pass = match std::env::var("KURA_PASSPHRASE") {
        Ok(p) => SecretString::from(p),
        Err(_) => SecretString::from(format!("demo-{}", uuid::Uuid::new_v4().simple())),
    };
    let t = Instant::now();
    let vault = open::init(&global, None, KdfParams::default(), &pass)?;
    vault.create_signer(&global.vault)?;
    let admin = open::custodian("DEMO-0000 setup")?;
    vault.login(&admin, "demo vault created")?;
    let schema = kura::schema::builtin("corporate-mobile").context("shipped schema missing")?;
    vault.create_collection(&admin, schema.clone())?;
    vault.set_alert_rules(&admin, super::demo_leak::RULES)?;
    println!(
        "   vault {} — root key in {} (Argon2id, {:.2} s)",
        global.vault.display(),
        dir.join("keys-elsewhere/root.key").display(),
        t.elapsed().as_secs_f64()
    );

    step(3, "import: validate and normalise every row, encrypt every field under a per-person key, index");
    let t = Instant::now();
    let parsed = kura::import::read(&csv, &schema, kura::import::Encoding::Auto)?;
    if !parsed.rejects.is_empty() {
        bail!(
            "generated data has {} invalid rows: {}",
            parsed.rejects.len(),
            parsed.rejects.iter().take(3).map(ToString::to_string).collect::<Vec<_>>().join("; ")
        );
    }
    let parse_s = t.elapsed().as_secs_f64();
    let pb = progress::bar(parsed.rows.len() as u64, "encrypting", g.quiet);
    let rows = parsed.rows.len();
    let w = vault.write(&admin, "corporate-mobile", parsed.rows, &mut |n| pb.set_position(n))?;
    let imported = w.ids.clone();
    pb.finish_and_clear();
    let total = t.elapsed().as_secs_f64();
    println!(
        "   {} records imported in {:.2} s ({:.0} records/s; validation {:.2} s) — {} new, {} updated",
        rows,
        total,
        rows as f64 / total,
        parse_s,
        w.inserted,
        w.updated
    );

    step(4, "create the service desk's staff: employees, dispatched staff (派遣), a subcontractor's staff (委託先)");
    let mut reader = csv::Reader::from_path(&csv)?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(mobile_col), Some(home_col), Some(id_col), Some(company_col)) =
        (col("mobile"), col("home_address"), col("employee_id"), col("company"))
    else {
        bail!("generated CSV lacks expected columns");
    };
    let mut companies: Vec<String> = Vec::new();
    // Someone from the middle of the file with a home address on file; earlier rows if the later have none.
    let (mut person, mut early) = (None, None);
    for (i, r) in reader.records().enumerate() {
        let r = r?;
        let c = r.get(company_col).unwrap_or_default();
        if !companies.iter().any(|k| k == c) {
            companies.push(c.to_owned());
        }
        if person.is_none() && r.get(home_col).is_some_and(|v| !v.is_empty()) {
            if i >= a.employees / 2 {
                person = Some(r);
            } else if early.is_none() {
                early = Some(r);
            }
        }
    }
    let person = person.or(early).context("no employee with a home address in the generated data")?;
    let mobile = person.get(mobile_col).unwrap_or_default().to_owned();
    let home = person.get(home_col).unwrap_or_default().to_owned();
    let ext = person.get(id_col).unwrap_or_default().to_owned();
    let company = person.get(company_col).unwrap_or_default().to_owned();
    let t = Instant::now();
    let staff = generate::staff::service_desk(&companies, 2014)?;
    let pb = progress::bar(staff.len() as u64, "staff", g.quiet);
    for p in &staff {
        vault.add_principal(&admin, p)?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    println!(
        "   {} principals created in {:.2} s (each sealed, each creation in the access log)",
        staff.len(),
        t.elapsed().as_secs_f64()
    );
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut roles: BTreeMap<Role, usize> = BTreeMap::new();
    for p in &staff {
        *kinds.entry(p.kind).or_default() += 1;
        for r in &p.roles {
            *roles.entry(*r).or_default() += 1;
        }
    }
    println!(
        "   by kind: {}",
        kinds.iter().map(|(k, n)| format!("{n} {}", kind_label(*k))).collect::<Vec<_>>().join(", ")
    );
    println!(
        "   by role: {}",
        roles.iter().map(|(r, n)| format!("{n} {}", role_label(*r))).collect::<Vec<_>>().join(", ")
    );
    println!(
        "   teams: {} … {} share the {} client companies (the last two desks are the subcontractor's);\n   \
         escalation, security, audit, it; only the client portal's service account holds every company",
        generate::staff::desk_team(0),
        generate::staff::desk_team(generate::staff::DESKS - 1),
        companies.len()
    );

    let scope = kura::normalize::canonical(kura::schema::FieldType::Organisation, &company)
        .map_err(|e| anyhow::anyhow!("company of the chosen person: {e}"))?;
    let human = |p: &&Principal, role: Role| p.kind != Kind::Service && p.roles.contains(&role);
    // The person's own desk answers first; escalation only when no desk operator holds the company.
    let assigned = |p: &&Principal| human(p, Role::Operator) && p.companies.contains(&scope);
    let on_desk = |p: &&Principal| p.team.as_deref().is_some_and(|t| t.starts_with("desk-"));
    let operator = staff
        .iter()
        .find(|p| assigned(p) && on_desk(p))
        .or_else(|| staff.iter().find(assigned))
        .context("no operator is assigned to the person's company")?;
    let officer = staff
        .iter()
        .find(|p| human(p, Role::SecurityOfficer) && p.kind == Kind::Employee)
        .context("the staff has no security officer")?;
    let outsider = staff
        .iter()
        .find(|p| human(p, Role::Operator) && p.kind == Kind::Contractor && !p.companies.contains(&scope))
        .context("no subcontractor operator works for another company")?;
    let auditor = staff.iter().find(|p| human(p, Role::Auditor)).context("the staff has no auditor")?;

    step(5, "allowed: an operator assigned to the person's company looks them up, typed differently than stored");
    println!("   {} (the person's company among them)", describe(operator));
    let support = vault.access(&operator.name, "DEMO-0001 device change", "demo")?;
    let query = international(&mobile);
    let t = Instant::now();
    let found = vault.find(&support, "corporate-mobile", "mobile", &query, 5, CardView::Masked)?;
    let dt = t.elapsed();
    println!(
        "   find mobile = \"{query}\" → {} record(s) in {:.0} µs (blind index; nothing else decrypted)",
        found.len(),
        dt.as_secs_f64() * 1e6
    );
    let Some(record) = found.first() else {
        bail!("the assigned operator's lookup by another notation found nothing");
    };
    show(record);
    if ["user_name", "mobile", "email"].iter().any(|f| shown(record, f) != Some(Visibility::Plain)) {
        bail!("the assigned operator does not see the person's name, mobile and e-mail in the clear");
    }
    if record.value("home_address").is_some() {
        bail!("the home address was shown for support work");
    }
    println!("   the home address is hidden: this is support work, and home addresses are for shipping only");
    let shipping = vault.access(&operator.name, "DEMO-0002 battery-pack shipment", "demo")?.with_kind("shipping")?;
    let query = full_width(&home);
    let by_home = vault.find(&shipping, "corporate-mobile", "home_address", &query, 5, CardView::Masked)?;
    let shipped_to = by_home.iter().find(|r| r.id == record.id).and_then(|r| r.value("home_address"));
    println!(
        "   same operator, purpose kind `shipping`: find home_address = \"{query}\" → {} record(s), home_address {}",
        by_home.len(),
        shipped_to.unwrap_or("(hidden)")
    );
    if shipped_to.is_none() {
        bail!("lookup by home address for a shipment failed");
    }
    let id = record.id;

    step(6, "masked and denied: the same person through the eyes of an investigator and of another desk");
    println!("   {}", describe(officer));
    let investigation = vault.access(&officer.name, "DEMO-0003 investigation", "demo")?;
    let query = international(&mobile);
    let masked = vault.find(&investigation, "corporate-mobile", "mobile", &query, 5, CardView::Masked)?;
    println!("   find mobile = \"{query}\" → {} record(s), masked", masked.len());
    let Some(view) = masked.first() else {
        bail!("the security officer's search found nothing");
    };
    show(view);
    for f in ["user_name", "mobile", "email"] {
        if shown(view, f) != Some(Visibility::Masked) || view.value(f).is_none() || view.value(f) == record.value(f) {
            bail!("the investigator's view of `{f}` is not masked");
        }
    }
    println!("   {} (not the person's)", describe(outsider));
    let elsewhere = vault.access(&outsider.name, "DEMO-0004 device change", "demo")?;
    let none = vault.find(&elsewhere, "corporate-mobile", "mobile", &query, 5, CardView::Masked)?;
    println!("   find mobile = \"{query}\" → {} record(s): not their company, so not even that it exists", none.len());
    if !none.is_empty() {
        bail!("an operator not assigned to the person's company found them");
    }
    match vault.get(&elsewhere, "corporate-mobile", id, CardView::Masked) {
        Err(ReadError::Denied(why)) => println!("   get by record id → denied ({why})"),
        Ok(_) => bail!("an operator not assigned to the person's company read their record"),
        Err(e) => bail!("reading another company's record failed otherwise than by denial: {e}"),
    }
    let review = vault.access(&auditor.name, "DEMO-0005 privacy office review", "demo")?;
    let seen = vault.who_saw(&review, "corporate-mobile", id)?;
    println!("   the access log for this person, as auditor {} reads it (no personal data in it):", auditor.name);
    print_entries(&seen);
    let logged = |who: &str, outcome: Outcome| seen.iter().any(|e| e.principal == who && e.outcome == outcome);
    if !logged(&operator.name, Outcome::Allow) || !logged(&officer.name, Outcome::Allow) {
        bail!("the allowed lookups are missing from the access log");
    }
    if !logged(&outsider.name, Outcome::Deny) {
        bail!("the refused lookups are missing from the access log");
    }
    let last_seen = seen.iter().map(|e| e.seq).max().unwrap_or(0);

    step(7, "erase one person (crypto-shredding): their key is destroyed");
    let id = vault.by_external_id(&support, "corporate-mobile", &ext)?;
    let erasure = vault.access(&officer.name, "DEMO-0006 erasure request", "demo")?;
    match vault.erase(&erasure, "corporate-mobile", id)? {
        EraseReport::Erased { fields, index_entries, .. } => {
            println!(
                "   record {id}: subject key destroyed, {fields} fields and {index_entries} index entries removed"
            );
        }
        EraseReport::AlreadyErased { .. } => bail!("record unexpectedly erased already"),
    }
    match vault.get(&support, "corporate-mobile", id, CardView::Masked) {
        Err(ReadError::Erased(_)) => println!("   reading it now: erased (no key exists that could decrypt any copy)"),
        other => bail!("erased record still readable: {other:?}"),
    }
    println!("   other people are intact: {} records remain", vault.count("corporate-mobile")?);

    step(8, "the access log: the erasure is on the record too, signed and verifiable by outsiders");
    let seen = vault.who_saw(&review, "corporate-mobile", id)?;
    print_entries(&seen.into_iter().filter(|e| e.seq > last_seen).collect::<Vec<_>>());
    let signer = vault.signer(&global.vault)?;
    let (cp, _) = signer.sign(vault.audit_log().store())?;
    let report = kura::audit::verify::verify(
        vault.audit_log().store(),
        &kura::audit::verify::Options { verifier: Some(&signer.verifier()), ..Default::default() },
        &mut |_| {},
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    println!(
        "   checkpoint signed at {} entries by {}; verified: {} entries, {} tree rows (verifier key in log-verifier.pub)",
        cp.size,
        signer.origin(),
        report.entries,
        report.nodes
    );
    let (mut row_companies, mut homes) = (Vec::new(), Vec::new());
    for r in csv::Reader::from_path(&csv)?.records() {
        let r = r?;
        row_companies.push(r.get(company_col).unwrap_or_default().to_owned());
        homes.push(r.get(home_col).is_some_and(|h| !h.is_empty()));
    }
    super::demo_desk::story(
        &vault,
        dir,
        &super::demo_desk::Cast { staff: &staff, ids: &imported, companies: &row_companies, homes: &homes, officer },
        9,
    )?;
    let leak = super::demo_leak::story(
        &vault,
        &global,
        dir,
        &super::demo_leak::Cast { staff: &staff, scope: scope.as_str(), outsider, officer },
        10,
    )?;

    step(14, "steal the database: copy every vault file (data, WAL, keyring, access log) and scan it for every plaintext value");
    let schema = kura::schema::builtin("corporate-mobile").context("shipped schema missing")?;
    let needles = kura::scan::needles_from_csv(&csv, &schema)?;
    let files = kura::scan::walk(&global.vault)?;
    let report = kura::scan::files(&files, needles.clone())?;
    let bytes: u64 = report.files.iter().map(|(_, n)| n).sum();
    println!(
        "   {} files ({:.1} MB: {}) searched for {} distinct values as given and normalised: {} hits",
        report.files.len(),
        bytes as f64 / 1e6,
        report
            .files
            .iter()
            .filter_map(|(p, _)| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", "),
        report.needles,
        report.hits.len()
    );
    let control = kura::scan::files(std::slice::from_ref(&csv), needles)?;
    println!("   control: the same scan over the input CSV finds {} hits", control.hits.len());
    if !report.hits.is_empty() {
        bail!("plaintext personal values found in the vault files");
    }
    super::demo_incident::story(
        &vault,
        dir,
        &super::demo_incident::Cast { staff: &staff, officer, copy: &files },
        &leak,
        15,
    )?;
    drop(vault);
    println!("\nkura keeps the data unreadable to whoever copies the database, shows each of the staff only what their work needs, and keeps every access on the record, makes every export traceable, notices theft, and answers for an incident with exact figures and drafted reports.");
    Ok(())
}
