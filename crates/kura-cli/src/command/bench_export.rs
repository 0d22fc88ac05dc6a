//! `kura bench export` and `kura bench trace` (issue #5).
//!
//! **export**: the corporate dataset in a SQLite vault; one approved export of every company's corporate
//! fields (no home address: the purpose is not shipping) with one canary; `export_file` (select, decrypt,
//! fingerprint every value, mix in the canary, render CSV UTF-8 with BOM, log the manifest) timed against a
//! plain CSV dump of the same fields decrypted in the same run (`get_many` in chunks of 1000 by an operator
//! assigned to every company, written with the `csv` crate).
//!
//! **trace**: the decoder's evaluation without a vault. Generated corporate rows with fresh record ids;
//! [`CANDIDATES`] exports under one registry key, all of the same rows (the hardest case: every export
//! covers every leaked record). Each trial picks the leaker(s) at random, leaks `k` random rows rendered by
//! the leaker's fingerprint, applies the attack and runs the library's `decode::trace` against every
//! candidate with ε = 1e-6. Reported per attack and `k`: identification rate (the accused export is the
//! leaker, or one of the colluders), false accusations (trials in which any innocent export scored above
//! the threshold) and code positions read per row of the leak (outside rows included). A position "read"
//! after full normalisation is the canonical form's notation, the same in every export: it carries nothing. [`TRIALS`] trials per cell (a fixed constant),
//! then the target cell (one leaker, k = 14, NFKC + collapsed white space) for up to [`TARGET_TRIALS`]
//! trials or [`TARGET_BUDGET`], whichever comes first.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use kura::fingerprint::decode::{self, Leaked, Verdict};
use kura::fingerprint::{ExportId, Fingerprinter};
use kura::principal::{Kind, Principal, Role};
use kura::schema::FieldType;
use kura::store::sqlite::SqliteStore;
use kura::vault::exports::{ExportSpec, Format};
use kura::vault::CardView;
use kura::RecordId;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::cli::BenchArgs;

const COLLECTION: &str = "corporate-mobile";
/// The exported fields: the corporate ones (home address and postal code need a shipping purpose).
const FIELDS: &[&str] = &[
    "employee_id",
    "company",
    "department",
    "user_name",
    "user_name_kana",
    "mobile",
    "email",
    "company_postal_code",
    "company_address",
];
/// Contact points for the canaries (enough for one per export).
const POOLS: &str = r#"
phones = ["090-0000-1001", "090-0000-1002", "090-0000-1003", "090-0000-1004"]

[email]
domains = ["mail.canary-example.jp"]

[[mail_drop]]
postal_code = "100-0005"
address = "東京都千代田区丸の内1-2-3 丸の内ビル 301号室"

[[mail_drop]]
postal_code = "530-0001"
address = "大阪府大阪市北区梅田1-1-1 梅田ビル 502号室"
"#;

pub fn run_export(a: &BenchArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kura-bench-export-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = export_in(a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn export_in(a: &BenchArgs, dir: &std::path::Path) -> Result<()> {
    println!("-- fingerprinted export: {} employees, fields {}", a.employees, FIELDS.join(","));
    let t = Instant::now();
    let mut csv = Vec::new();
    let params = kura::generate::CorporateParams { companies: 72, employees: a.employees, seed: 1 };
    kura::generate::corporate(&params, &mut csv, &mut |_| {})?;
    let store = Box::new(SqliteStore::open(&dir.join("vault"), true)?);
    let vault = super::bench::vault_in(dir, store)?;
    let custodian = super::bench::bench_access()?;
    let parsed = kura::import::parse("bench.csv", &csv, &vault.schema(COLLECTION)?, kura::import::Encoding::Auto)?;
    anyhow::ensure!(parsed.rejects.is_empty(), "generated data has invalid rows");
    let written = vault.write(&custodian, COLLECTION, parsed.rows, &mut |_| {})?;
    let ids = written.ids;

    let mut r = csv::Reader::from_reader(&csv[..]);
    let col = r.headers()?.iter().position(|h| h == "company").context("no company column")?;
    let mut companies = BTreeSet::new();
    for rec in r.records() {
        companies.insert(rec?.get(col).unwrap_or_default().to_owned());
    }
    for name in ["bench-lead", "bench-approver"] {
        let p = Principal::new(name, Kind::Employee, [Role::Supervisor].into(), None, companies.clone())?;
        vault.add_principal(&custodian, &p)?;
    }
    let lead = vault.access("bench-lead", "BENCH-1", "bench")?;
    let approver = vault.access("bench-approver", "BENCH-1", "bench")?;
    vault.set_canary_pools(&custodian, POOLS)?;
    let spec = ExportSpec {
        collection: COLLECTION.to_owned(),
        companies: companies.clone(),
        departments: BTreeSet::new(),
        records: Default::default(),
        fields: FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        format: Format::CsvUtf8,
        recipient: "bench-desk".to_owned(),
        expires_at: kura::store::now() + 3600,
        max_downloads: 1,
        dispose_within_days: 7,
        canaries: 1,
    };
    let e = vault.request_export(&lead, &spec)?;
    vault.decide_export(&approver, &e.id, true, "")?;
    println!(
        "setup   vault, import, 2 supervisors ({} companies), pools, request + approval  {:.1} s",
        companies.len(),
        t.elapsed().as_secs_f64()
    );

    // Baseline first: the same fields of the same records, decrypted by an operator, written as CSV.
    let reader = super::bench::reader_for(&csv)?;
    let t = Instant::now();
    let mut out = csv::Writer::from_writer(Vec::with_capacity(32 << 20));
    out.write_record(FIELDS)?;
    let mut plain_rows = 0usize;
    for chunk in ids.chunks(kura::audit::MAX_SUBJECTS) {
        for rec in vault.get_many(&reader, COLLECTION, chunk, CardView::Masked)? {
            out.write_record(FIELDS.iter().map(|f| rec.value(f).unwrap_or("")))?;
            plain_rows += 1;
        }
    }
    let mut plain = vec![0xEF, 0xBB, 0xBF];
    plain.extend(out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
    let plain_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let file = vault.export_file(&lead, &e.id, &kura::render::Options::default())?;
    let kura_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(file.records == ids.len(), "export has {} records, expected {}", file.records, ids.len());

    println!(
        "export  kura export_file (CSV UTF-8)   {:>7.2} s  {:>9.0} records/s  {} rows + 1 canary, {:.1} MB",
        kura_s,
        file.records as f64 / kura_s,
        file.records,
        file.bytes.len() as f64 / 1e6
    );
    println!(
        "export  plain decrypt + csv dump       {:>7.2} s  {:>9.0} records/s  {} rows, {:.1} MB",
        plain_s,
        plain_rows as f64 / plain_s,
        plain_rows,
        plain.len() as f64 / 1e6
    );
    println!(
        "export  kura/plain = {:.2}x   targets: <= 2 s {}, <= 2x {}",
        kura_s / plain_s,
        if kura_s <= 2.0 { "met" } else { "NOT met" },
        if kura_s / plain_s <= 2.0 { "met" } else { "NOT met" }
    );
    Ok(())
}

/// Candidate exports scored in every trial.
const CANDIDATES: usize = 1_000;
/// Trials per (attack, k) cell.
const TRIALS: usize = 200;
/// Trials wanted for the target cell.
const TARGET_TRIALS: usize = 10_000;
/// Time allowed for the target cell.
const TARGET_BUDGET: Duration = Duration::from_secs(240);
/// Generated employees the leaks are drawn from.
const POOL: usize = 20_000;
/// Rows from outside any export mixed into a leak.
const OUTSIDE: usize = 14;
const EPSILON: f64 = kura::fingerprint::tardos::DEFAULT_EPSILON;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attack {
    None,
    Nfkc,
    NfkcCollapse,
    Canonical,
    NameAddress,
    Retype,
    Outside,
    Collusion2,
    Collusion3,
}

impl Attack {
    fn label(self) -> &'static str {
        match self {
            Attack::None => "none",
            Attack::Nfkc => "NFKC",
            Attack::NfkcCollapse => "NFKC + collapsed white space",
            Attack::Canonical => "full normalisation (canonical)",
            Attack::NameAddress => "dropped fields (name + address)",
            Attack::Retype => "retyping noise (typo in 15% of values)",
            Attack::Outside => "14 outside rows mixed in",
            Attack::Collusion2 => "collusion c = 2",
            Attack::Collusion3 => "collusion c = 3",
        }
    }

    fn colluders(self) -> usize {
        match self {
            Attack::Collusion2 => 2,
            Attack::Collusion3 => 3,
            _ => 1,
        }
    }
}

struct Data {
    /// (field name, type) per column.
    columns: Vec<(String, FieldType)>,
    ids: Vec<RecordId>,
    rows: Vec<Vec<String>>,
    candidates: Vec<Fingerprinter>,
    code: kura::fingerprint::Code,
}

/// NFKC as far as the notations here need it: full-width ASCII forms, the ideographic space and the
/// parenthesised ideographs. Every attacked leak is checked with the decoder's own (full) NFKC detection.
fn nfkc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{FF01}'..='\u{FF5E}' => out.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
            '\u{3000}' => out.push(' '),
            '\u{3231}' => out.push_str("(株)"),
            '\u{3232}' => out.push_str("(有)"),
            '\u{FF70}' => out.push('ｰ'),
            _ => out.push(c),
        }
    }
    out
}

/// Share of values a retyping leaker mistypes.
const TYPO_RATE: f64 = 0.15;

/// One typing error at a random character: a deletion, a doubled character or a character replaced by
/// another one of the same value.
fn typo(s: &str, rng: &mut impl Rng) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return s.to_owned();
    }
    let at = rng.gen_range(0..chars.len());
    let other = chars.get(rng.gen_range(0..chars.len())).copied().unwrap_or('x');
    let mut out = String::with_capacity(s.len() + 4);
    let op = rng.gen_range(0..3u8);
    for (i, c) in chars.iter().enumerate() {
        if i != at {
            out.push(*c);
            continue;
        }
        match op {
            0 => {}
            1 => {
                out.push(*c);
                out.push(*c);
            }
            _ => out.push(if other == *c { '0' } else { other }),
        }
    }
    out
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn at<T>(v: &[T], i: usize) -> Result<&T> {
    v.get(i).context("index out of range")
}

struct Outcome {
    identified: bool,
    false_accusation: bool,
    positions: usize,
    rows: usize,
}

fn trial(d: &Data, attack: Attack, k: usize, seed: u64) -> Result<Outcome> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let guilty: Vec<usize> = rand::seq::index::sample(&mut rng, d.candidates.len(), attack.colluders()).into_vec();
    let rows: Vec<usize> = rand::seq::index::sample(&mut rng, d.rows.len(), k).into_vec();
    let keep: Vec<usize> = match attack {
        Attack::NameAddress => {
            ["user_name", "home_address"].iter().filter_map(|n| d.columns.iter().position(|(c, _)| c == n)).collect()
        }
        _ => d.columns.iter().enumerate().filter(|(_, (n, _))| n != "employee_id").map(|(c, _)| c).collect(),
    };
    // (row, column, text)
    let mut texts: Vec<(usize, usize, String)> = Vec::new();
    for &r in &rows {
        for &c in &keep {
            let (name, kind) = at(&d.columns, c)?;
            let stored = at(at(&d.rows, r)?, c)?;
            let who = *at(&guilty, rng.gen_range(0..guilty.len()))?;
            let shown = at(&d.candidates, who)?.render(at(&d.ids, r)?, name, *kind, stored);
            let text = match attack {
                Attack::Nfkc => nfkc(&shown),
                Attack::NfkcCollapse => collapse(&nfkc(&shown)),
                Attack::Canonical => kura::normalize::canonical(*kind, &shown).unwrap_or(shown),
                Attack::Retype if rng.gen_bool(TYPO_RATE) => typo(&shown, &mut rng),
                _ => shown,
            };
            texts.push((r, c, text));
        }
    }
    if attack == Attack::Outside {
        let chosen: BTreeSet<usize> = rows.iter().copied().collect();
        let mut n = 0;
        while n < OUTSIDE {
            let r = rng.gen_range(0..d.rows.len());
            if chosen.contains(&r) {
                continue;
            }
            n += 1;
            for &c in &keep {
                texts.push((r, c, at(at(&d.rows, r)?, c)?.clone()));
            }
        }
    }
    let leak: Vec<Leaked<'_>> = texts
        .iter()
        .map(|(r, c, text)| {
            let (field, kind) = at(&d.columns, *c)?;
            Ok(Leaked {
                record: *at(&d.ids, *r)?,
                field: field.as_str(),
                kind: *kind,
                stored: at(at(&d.rows, *r)?, *c)?.as_str(),
                text: text.as_str(),
            })
        })
        .collect::<Result<_>>()?;
    if matches!(attack, Attack::Nfkc | Attack::NfkcCollapse) {
        anyhow::ensure!(decode::detect(&leak).nfkc, "the simulated NFKC left text NFKC would change");
    }
    let evidence = decode::Evidence::read(&d.code, &leak);
    let verdict = decode::judge(&evidence, &d.candidates, EPSILON);
    let is_guilty = |e: &ExportId| guilty.iter().any(|&g| d.candidates.get(g).is_some_and(|c| c.export() == e));
    let (identified, false_accusation) = match &verdict {
        Verdict::Accused { export, threshold, ranking, .. } => {
            (is_guilty(export), ranking.iter().any(|x| x.score >= *threshold && !is_guilty(&x.export)))
        }
        Verdict::NotAttributable { .. } => (false, false),
    };
    let leaked_rows = rows.len() + if attack == Attack::Outside { OUTSIDE } else { 0 };
    Ok(Outcome { identified, false_accusation, positions: evidence.len(), rows: leaked_rows })
}

struct Cell {
    trials: usize,
    identified: usize,
    false_accusations: usize,
    positions_per_row: f64,
    seconds: f64,
}

fn cell(d: &Data, attack: Attack, k: usize, trials: usize, budget: Option<Duration>, base: u64) -> Result<Cell> {
    let t = Instant::now();
    let mut outcomes = Vec::new();
    // Batches so that a time budget can stop between them.
    let batch = 64usize;
    let mut next = 0usize;
    while next < trials {
        let end = (next + batch).min(trials);
        let got: Result<Vec<Outcome>> =
            (next..end).into_par_iter().map(|i| trial(d, attack, k, base.wrapping_add(i as u64))).collect();
        outcomes.extend(got?);
        next = end;
        if budget.is_some_and(|b| t.elapsed() >= b) {
            break;
        }
    }
    let n = outcomes.len();
    Ok(Cell {
        trials: n,
        identified: outcomes.iter().filter(|o| o.identified).count(),
        false_accusations: outcomes.iter().filter(|o| o.false_accusation).count(),
        positions_per_row: outcomes.iter().map(|o| o.positions as f64 / o.rows.max(1) as f64).sum::<f64>()
            / n.max(1) as f64,
        seconds: t.elapsed().as_secs_f64(),
    })
}

pub fn run_trace(_a: &BenchArgs) -> Result<()> {
    let t = Instant::now();
    let mut csv = Vec::new();
    let params = kura::generate::CorporateParams { companies: 72, employees: POOL, seed: 5 };
    kura::generate::corporate(&params, &mut csv, &mut |_| {})?;
    let schema = kura::schema::builtin(COLLECTION).context("schema")?;
    let mut r = csv::Reader::from_reader(&csv[..]);
    let header: Vec<String> = r.headers()?.iter().map(str::to_owned).collect();
    let columns: Vec<(String, FieldType)> = header
        .iter()
        .map(|h| {
            let f = schema.fields.iter().find(|f| &f.name == h).context("column not in schema")?;
            Ok((h.clone(), f.kind))
        })
        .collect::<Result<_>>()?;
    let rows: Vec<Vec<String>> =
        r.records().map(|x| x.map(|r| r.iter().map(str::to_owned).collect())).collect::<Result<_, _>>()?;
    let ids: Vec<RecordId> = rows.iter().map(|_| RecordId::generate()).collect();
    let key = kura::crypto::SecretKey::from_bytes(rand::random());
    let candidates: Vec<Fingerprinter> = (0..CANDIDATES)
        .map(|i| Fingerprinter::new(&key, ExportId::new(format!("bench-export-{i:05}"))))
        .collect::<Result<_, _>>()?;
    let code = candidates.first().context("no candidates")?.code().clone();
    let d = Data { columns, ids, rows, candidates, code };
    println!(
        "-- trace harness: {} candidate exports of the same {} generated rows, ε = {EPSILON:e}, {TRIALS} trials per cell \
         (fixed), {} threads; setup {:.1} s",
        CANDIDATES,
        POOL,
        rayon::current_num_threads(),
        t.elapsed().as_secs_f64()
    );
    println!(
        "{:<40} {:>3}  {:>7}  {:>10}  {:>16}  {:>13}  {:>6}",
        "attack", "k", "trials", "identified", "false accusations", "positions/row", "time"
    );
    let attacks = [
        Attack::None,
        Attack::Nfkc,
        Attack::NfkcCollapse,
        Attack::Canonical,
        Attack::NameAddress,
        Attack::Retype,
        Attack::Outside,
        Attack::Collusion2,
        Attack::Collusion3,
    ];
    let print = |attack: Attack, k: usize, c: &Cell| {
        println!(
            "{:<40} {:>3}  {:>7}  {:>9.1}%  {:>16}  {:>13.1}  {:>5.1}s",
            attack.label(),
            k,
            c.trials,
            100.0 * c.identified as f64 / c.trials.max(1) as f64,
            c.false_accusations,
            c.positions_per_row,
            c.seconds
        );
    };
    let mut base = 1u64;
    for attack in attacks {
        for k in [5usize, 14, 50] {
            let c = cell(&d, attack, k, TRIALS, None, base << 32)?;
            base += 1;
            print(attack, k, &c);
        }
    }
    let c = cell(&d, Attack::NfkcCollapse, 14, TARGET_TRIALS, Some(TARGET_BUDGET), 1_000u64 << 32)?;
    println!(
        "target  one leaker, k = 14, NFKC + collapsed white space: {} trials (wanted {TARGET_TRIALS}, budget {} s): \
         identified {:.2}%, false accusations {}  — >= 99% {}, 0 false {}{}",
        c.trials,
        TARGET_BUDGET.as_secs(),
        100.0 * c.identified as f64 / c.trials.max(1) as f64,
        c.false_accusations,
        if c.identified * 100 >= 99 * c.trials { "met" } else { "NOT met" },
        if c.false_accusations == 0 { "met" } else { "NOT met" },
        if c.trials < TARGET_TRIALS { " (fewer trials than the issue asks)" } else { "" }
    );
    Ok(())
}
