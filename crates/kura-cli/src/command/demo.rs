//! `kura demo`: the story on synthetic data — 72 client companies and 130,000 employees imported encrypted,
//! a lookup by any notation, an erasure, and a thief's-eye scan of the database files.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use kura::generate;
use kura::keys::keyfile::KdfParams;
use kura::principal::{Kind, Principal, Role};
use kura::vault::{CardView, EraseReport, ReadError};
use secrecy::SecretString;

use crate::cli::{DemoArgs, Global};
use crate::{open, progress};

fn step(n: u32, title: &str) {
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

    step(4, "look a person up by phone and by home address, typed differently than stored");
    let mut reader = csv::Reader::from_path(&csv)?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(mobile_col), Some(home_col), Some(id_col), Some(company_col)) =
        (col("mobile"), col("home_address"), col("employee_id"), col("company"))
    else {
        bail!("generated CSV lacks expected columns");
    };
    let person = reader
        .records()
        .filter_map(Result::ok)
        .skip(a.employees / 2)
        .find(|r| r.get(home_col).is_some_and(|v| !v.is_empty()))
        .context("no employee with a home address in the generated data")?;
    let mobile = person.get(mobile_col).unwrap_or_default().to_owned();
    let home = person.get(home_col).unwrap_or_default().to_owned();
    let ext = person.get(id_col).unwrap_or_default().to_owned();
    let company = person.get(company_col).unwrap_or_default().to_owned();
    let staff = [
        ("aiko.tanaka", Kind::Employee, Role::Operator, vec![company]),
        ("ken.mori", Kind::Employee, Role::SecurityOfficer, vec![]),
        ("rin.ito", Kind::Employee, Role::Auditor, vec![]),
    ];
    for (name, kind, role, companies) in staff {
        let p = Principal::new(name, kind, [role].into_iter().collect(), None, companies.into_iter().collect())?;
        vault.add_principal(&admin, &p)?;
    }
    let access = vault.access("aiko.tanaka", "DEMO-0001 battery-pack shipment", "demo")?.with_kind("shipping")?;
    let query = international(&mobile);
    let t = Instant::now();
    let found = vault.find(&access, "corporate-mobile", "mobile", &query, 5, CardView::Masked)?;
    let dt = t.elapsed();
    println!(
        "   find mobile = \"{query}\" → {} record(s) in {:.0} µs (blind index; nothing else decrypted)",
        found.len(),
        dt.as_secs_f64() * 1e6
    );
    for r in &found {
        for f in &r.fields {
            println!("      {:<20} {}", f.name, f.value.as_ref().map_or("", |v| v.expose()));
        }
    }
    let query = full_width(&home);
    let by_home = vault.find_ids(&access, "corporate-mobile", "home_address", &query)?;
    println!("   find home_address = \"{query}\" → {} record(s)", by_home.len());
    if found.is_empty() || by_home.is_empty() {
        bail!("lookup by another notation failed");
    }

    step(5, "erase one person (crypto-shredding): their key is destroyed");
    let id = vault.by_external_id(&access, "corporate-mobile", &ext)?;
    let officer = vault.access("ken.mori", "DEMO-0003 erasure request", "demo")?;
    match vault.erase(&officer, "corporate-mobile", id)? {
        EraseReport::Erased { fields, index_entries, .. } => {
            println!(
                "   record {id}: subject key destroyed, {fields} fields and {index_entries} index entries removed"
            );
        }
        EraseReport::AlreadyErased { .. } => bail!("record unexpectedly erased already"),
    }
    match vault.get(&access, "corporate-mobile", id, CardView::Masked) {
        Err(ReadError::Erased(_)) => println!("   reading it now: erased (no key exists that could decrypt any copy)"),
        other => bail!("erased record still readable: {other:?}"),
    }
    println!("   other people are intact: {} records remain", vault.count("corporate-mobile")?);

    step(6, "the access log: who saw this person, signed and verifiable by outsiders");
    let auditor = vault.access("rin.ito", "DEMO-0002 privacy office review", "demo")?;
    let seen = vault.who_saw(&auditor, "corporate-mobile", found.first().map(|r| r.id).context("no record")?)?;
    for e in &seen {
        println!("   #{:<6} {:<10} {:<8} purpose={} {}", e.seq, e.principal, e.action.as_str(), e.purpose, e.detail);
    }
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
    drop(vault);

    step(7, "steal the database: scan every vault file (data, keyring, access log) for every plaintext value");
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
    println!("\nkura keeps the data unreadable to whoever copies the database, and every access on the record; next: policies, fingerprinted exports.");
    Ok(())
}
