//! `kura bench registry` (leak tracing at scale): the corporate dataset in a SQLite vault, `--exports`
//! governed exports (10,000 by default) made through the whole workflow — request, approval with a canary,
//! download — each of one department of one company, by 20 supervisors in turn; then leaks of 14 rows of
//! one export (NFKC and white space collapsed, as CSV) traced with `Vault::trace` as a security officer.
//!
//! Reported: the time to build the registry and what it costs to store (database growth per export), the
//! trace time per leak (median and worst of the leaks, parse included; target ≤ 1 s), whether each trace
//! named its export, and the fingerprint decoder scoring the same evidence against *every* export of the
//! registry (what a trace would cost if membership could not narrow the candidates).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use anyhow::{Context, Result};
use kura::principal::{Kind, Principal, Role};
use kura::store::sqlite::SqliteStore;
use kura::vault::exports::{ExportSpec, Format};
use kura::vault::trace::{Finding, Options};
use unicode_normalization::UnicodeNormalization;

use crate::cli::BenchArgs;

const COLLECTION: &str = "corporate-mobile";
const FIELDS: &[&str] =
    &["user_name", "user_name_kana", "mobile", "email", "company", "company_postal_code", "company_address"];
const SUPERVISORS: usize = 20;
const LEAKS: usize = 7;

/// Pools with one phone number and one mail drop per export.
fn pools(n: usize) -> String {
    let phones: Vec<String> = (0..n).map(|i| format!("\"090-{:04}-{:04}\"", 2000 + i / 10_000, i % 10_000)).collect();
    let mut s = format!("phones = [{}]\n\n[email]\ndomains = [\"mail.canary-example.jp\"]\n", phones.join(", "));
    for i in 0..n {
        s.push_str(&format!(
            "\n[[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内{}-{}-{} 丸の内ビル {}号室\"\n",
            1 + i / 10_000,
            1 + (i / 100) % 100,
            1 + i % 100,
            101 + i % 900
        ));
    }
    s
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| it.filter_map(|e| e.ok()).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

pub fn run(a: &BenchArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kura-bench-registry-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(a: &BenchArgs, dir: &std::path::Path) -> Result<()> {
    let n = a.exports;
    println!("-- trace against a registry of {n} exports over {} employees", a.employees);
    let t = Instant::now();
    let mut csv = Vec::new();
    let params = kura::generate::CorporateParams { companies: 72, employees: a.employees, seed: 1 };
    kura::generate::corporate(&params, &mut csv, &mut |_| {})?;
    let store = Box::new(SqliteStore::open(&dir.join("vault"), true)?);
    let vault = super::bench::vault_in(dir, store)?;
    let custodian = super::bench::bench_access()?;
    let parsed = kura::import::parse("bench.csv", &csv, &vault.schema(COLLECTION)?, kura::import::Encoding::Auto)?;
    vault.write(&custodian, COLLECTION, parsed.rows, &mut |_| {})?;
    let mut r = csv::Reader::from_reader(&csv[..]);
    let h = r.headers()?.clone();
    let col = |name: &str| h.iter().position(|x| x == name).context("column missing");
    let (cc, dc) = (col("company")?, col("department")?);
    let mut pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec?;
        *pairs.entry((rec.get(cc).unwrap_or("").to_owned(), rec.get(dc).unwrap_or("").to_owned())).or_default() += 1;
    }
    let pairs: Vec<(String, String)> = pairs.into_keys().filter(|(_, d)| !d.is_empty()).collect();
    let companies: BTreeSet<String> = pairs.iter().map(|(c, _)| c.clone()).collect();
    for i in 0..SUPERVISORS {
        let p = Principal::new(
            &format!("lead-{i:02}"),
            Kind::Employee,
            [Role::Supervisor].into(),
            None,
            companies.clone(),
        )?;
        vault.add_principal(&custodian, &p)?;
    }
    let officer = Principal::new("officer", Kind::Employee, [Role::SecurityOfficer].into(), None, BTreeSet::new())?;
    vault.add_principal(&custodian, &officer)?;
    vault.set_canary_pools(&custodian, &pools(n + 16))?;
    println!(
        "setup   import, {SUPERVISORS} supervisors, pools of {} phones and mail drops; {} department selections  {:.1} s",
        n + 16,
        pairs.len(),
        t.elapsed().as_secs_f64()
    );

    let before = dir_bytes(&dir.join("vault"));
    let t = Instant::now();
    let pb = crate::progress::bar(n as u64, "exports", false);
    let mut made: Vec<(String, usize)> = Vec::with_capacity(n);
    let mut files: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
    let keep: BTreeSet<usize> = (0..LEAKS).map(|k| (k * n) / LEAKS + n / (2 * LEAKS)).collect();
    for i in 0..n {
        let (company, dept) = pairs.get(i % pairs.len()).context("no selections")?;
        let spec = ExportSpec {
            collection: COLLECTION.to_owned(),
            companies: [company.clone()].into(),
            departments: [dept.clone()].into(),
            records: Default::default(),
            fields: FIELDS.iter().map(|f| (*f).to_owned()).collect(),
            format: Format::CsvUtf8,
            recipient: format!("desk mailing {i}"),
            expires_at: kura::store::now() + 86_400,
            max_downloads: 1,
            dispose_within_days: 7,
            canaries: 1,
        };
        let lead = vault.access(&format!("lead-{:02}", i % SUPERVISORS), &format!("BENCH-{i}"), "bench")?;
        let approver = vault.access(&format!("lead-{:02}", (i + 1) % SUPERVISORS), "BENCH-A", "bench")?;
        let e = vault.request_export(&lead, &spec)?;
        vault.decide_export(&approver, &e.id, true, "")?;
        let file = vault.export_file(&lead, &e.id, &kura::render::Options::default())?;
        made.push((e.id.clone(), file.records));
        if keep.contains(&i) {
            files.insert(i, file.bytes);
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let build = t.elapsed().as_secs_f64();
    let grown = dir_bytes(&dir.join("vault")).saturating_sub(before);
    let rows: usize = made.iter().map(|(_, r)| r).sum();
    println!(
        "build   {n} exports (request, approval with a canary, download) in {build:.1} s ({:.0} per second), {rows} \
         rows in all; the vault grew {:.1} MB ({:.1} kB per export: sealed workflow and canary documents, log \
         entries with the manifests and their subject index)",
        n as f64 / build,
        grown as f64 / 1e6,
        grown as f64 / 1e3 / n as f64
    );

    let tracer = vault.access("officer", "BENCH-TRACE", "bench")?;
    let mut times = Vec::new();
    let mut named = 0;
    let mut candidates = Vec::new();
    let mut evidence_for_all = None;
    for (i, bytes) in &files {
        let (id, _) = made.get(*i).context("export")?;
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
        let mut r = csv::Reader::from_reader(body);
        let table: Vec<Vec<String>> =
            r.records().map(|x| x.map(|x| x.iter().map(str::to_owned).collect())).collect::<Result<_, _>>()?;
        let e = vault.exports(&tracer)?.into_iter().find(|x| &x.id == id).context("export vanished")?;
        let canary: BTreeSet<String> =
            e.canaries.iter().flat_map(|k| k.contacts.iter()).map(|c| c.canonical.clone()).collect();
        let real: Vec<&Vec<String>> = table
            .iter()
            .filter(|r| {
                r.get(2)
                    .and_then(|p| kura::normalize::canonical(kura::schema::FieldType::Phone, p).ok())
                    .is_some_and(|p| !canary.contains(p.as_str()))
            })
            .collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(FIELDS)?;
        for row in real.iter().take(14) {
            w.write_record(row.iter().map(|v| {
                let s: String = v.nfkc().collect();
                s.split_whitespace().collect::<Vec<_>>().join(" ")
            }))?;
        }
        let leak = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        let t = Instant::now();
        let rows = kura::trace::parse::parse(&leak, kura::trace::parse::Format::Auto)?;
        let report = vault.trace(&tracer, COLLECTION, &rows, Options::default())?;
        times.push(t.elapsed().as_secs_f64());
        candidates.push(report.candidates.len());
        if report.finding == Finding::Accused && report.accused.first() == Some(id) {
            named += 1;
        }
        if evidence_for_all.is_none() {
            evidence_for_all = Some(rows);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    let worst = times.last().copied().unwrap_or(f64::NAN);
    println!(
        "trace   14 leaked rows (NFKC, white space collapsed), {} leaks: median {:.3} s, worst {:.3} s (parse, link, \
         membership from the log, canaries, fingerprint, log entry); {} candidates per leak (median); export \
         named {named} of {}   target <= 1 s {}",
        times.len(),
        median,
        worst,
        {
            let mut c = candidates.clone();
            c.sort_unstable();
            c.get(c.len() / 2).copied().unwrap_or(0)
        },
        times.len(),
        if worst <= 1.0 { "met" } else { "NOT met" }
    );

    // The decoder alone against every export of the registry, as if membership said nothing.
    if let Some(rows) = evidence_for_all {
        let report = vault.trace(&tracer, COLLECTION, &rows, Options::default())?;
        let code = kura::fingerprint::Code::new(&kura::crypto::SecretKey::from_bytes(rand::random()))?;
        let t = Instant::now();
        let all: Vec<kura::fingerprint::Fingerprinter> = made
            .iter()
            .map(|(id, _)| {
                kura::fingerprint::Fingerprinter::with_code(code.clone(), kura::fingerprint::ExportId::new(id.clone()))
            })
            .collect();
        let setup = t.elapsed().as_secs_f64();
        // Synthetic evidence with the trace's number of positions: the scoring cost depends only on them.
        let observed: Vec<kura::fingerprint::tardos::Observed> = (0..report.positions.max(1))
            .map(|i| kura::fingerprint::tardos::Observed { bias: 0.3 + (i % 5) as f64 * 0.05, symbol: i % 3 == 0 })
            .collect();
        let t = Instant::now();
        let mut best = f64::MIN;
        for fp in &all {
            let s = kura::fingerprint::tardos::score(
                &observed,
                observed.iter().enumerate().map(|(i, o)| fp.bit(i as u64, o.bias)),
            );
            best = best.max(s);
        }
        let score = t.elapsed().as_secs_f64();
        std::hint::black_box(best);
        println!(
            "score   every one of the {} exports against {} positions: {:.1} ms (+ {:.1} ms to derive their keys)",
            all.len(),
            observed.len(),
            score * 1e3,
            setup * 1e3
        );
    }
    Ok(())
}
