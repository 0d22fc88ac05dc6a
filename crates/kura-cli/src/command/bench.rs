//! `kura bench`: import and lookup speed, each against a baseline measured in the same run.
//!
//! Figures: kura import (parse, validate, normalise, encrypt, index, durable commit) of the corporate
//! dataset on SQLite; the same rows into a plain indexed SQLite table without protection; the same fields
//! encrypted with pgcrypto's `pgp_sym_encrypt` in PostgreSQL (when reachable; rate extrapolated from a
//! sample); kura import on PostgreSQL; blind-index lookups/s against a plaintext indexed lookup; and audited
//! decrypted reads/s.

use std::time::Instant;

use anyhow::{Context, Result};
use kura::keys::keyfile::{KdfParams, KeyFile};
use kura::store::sqlite::SqliteStore;
use kura::vault::CardView;
use kura::Vault;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use secrecy::SecretString;

use crate::cli::{BenchArgs, Global};

struct Dataset {
    csv: Vec<u8>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn dataset(employees: usize) -> Result<Dataset> {
    let mut csv = Vec::new();
    let params = kura::generate::CorporateParams { companies: 72, employees, seed: 1 };
    kura::generate::corporate(&params, &mut csv, &mut |_| {})?;
    let mut r = csv::Reader::from_reader(&csv[..]);
    let header = r.headers()?.iter().map(str::to_owned).collect();
    let rows = r.records().map(|x| x.map(|r| r.iter().map(str::to_owned).collect())).collect::<Result<_, _>>()?;
    Ok(Dataset { csv, header, rows })
}

pub(super) fn vault_in(dir: &std::path::Path, store: Box<dyn kura::store::Store>) -> Result<Vault> {
    let pass = SecretString::from("benchmark passphrase".to_owned());
    let keys = KeyFile::create(&dir.join("root.key"), "bench", &pass, KdfParams::default())?;
    let vault = Vault::create(store, Box::new(keys))?;
    vault.create_collection(&bench_access()?, kura::schema::builtin("corporate-mobile").context("schema")?)?;
    Ok(vault)
}

fn kura_import(vault: &Vault, data: &Dataset) -> Result<f64> {
    let schema = vault.schema("corporate-mobile")?;
    let t = Instant::now();
    let parsed = kura::import::parse("bench.csv", &data.csv, &schema, kura::import::Encoding::Auto)?;
    anyhow::ensure!(parsed.rejects.is_empty(), "generated data has invalid rows");
    vault.write(&bench_access()?, "corporate-mobile", parsed.rows, &mut |_| {})?;
    Ok(t.elapsed().as_secs_f64())
}

fn plain_sqlite(dir: &std::path::Path, data: &Dataset) -> Result<(rusqlite::Connection, f64)> {
    let conn = rusqlite::Connection::open(dir.join("plain.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let cols: Vec<String> = data.header.iter().map(|h| format!("{h} TEXT")).collect();
    conn.execute_batch(&format!(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, {});
         CREATE UNIQUE INDEX p_ext ON people(employee_id);
         CREATE INDEX p_company ON people(company); CREATE INDEX p_name ON people(user_name);
         CREATE INDEX p_kana ON people(user_name_kana); CREATE INDEX p_mobile ON people(mobile);
         CREATE INDEX p_email ON people(email); CREATE INDEX p_home ON people(home_address);",
        cols.join(", ")
    ))?;
    let placeholders: Vec<String> = (1..=data.header.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT INTO people ({}) VALUES ({})", data.header.join(", "), placeholders.join(", "));
    let t = Instant::now();
    // Parse the CSV too, as kura does.
    let mut r = csv::Reader::from_reader(&data.csv[..]);
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt = tx.prepare(&sql)?;
        for rec in r.records() {
            let rec = rec?;
            stmt.execute(rusqlite::params_from_iter(rec.iter()))?;
        }
    }
    tx.commit()?;
    Ok((conn, t.elapsed().as_secs_f64()))
}

fn pgcrypto(url: &str, data: &Dataset, n: usize) -> Result<f64> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    client.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS pgcrypto;
         DROP TABLE IF EXISTS kura_bench_pgcrypto;
         CREATE TEMP TABLE kura_bench_pgcrypto (id SERIAL PRIMARY KEY, employee_id TEXT, company BYTEA, department BYTEA,
           user_name BYTEA, user_name_kana BYTEA, mobile BYTEA, email BYTEA, company_postal_code BYTEA,
           company_address BYTEA, home_postal_code BYTEA, home_address BYTEA)",
    )?;
    let t = Instant::now();
    let mut tx = client.transaction()?;
    let stmt = tx.prepare(
        "INSERT INTO kura_bench_pgcrypto (employee_id, company, department, user_name, user_name_kana, mobile, email,
           company_postal_code, company_address, home_postal_code, home_address)
         VALUES ($1, pgp_sym_encrypt($2, $12), pgp_sym_encrypt($3, $12), pgp_sym_encrypt($4, $12), pgp_sym_encrypt($5, $12),
           pgp_sym_encrypt($6, $12), pgp_sym_encrypt($7, $12), pgp_sym_encrypt($8, $12), pgp_sym_encrypt($9, $12),
           pgp_sym_encrypt($10, $12), pgp_sym_encrypt($11, $12))",
    )?;
    let key = "benchmark passphrase";
    for row in data.rows.iter().take(n) {
        let v: Vec<&str> = row.iter().map(String::as_str).collect();
        let get = |i: usize| v.get(i).copied().unwrap_or("");
        tx.execute(
            &stmt,
            &[&get(0), &get(1), &get(2), &get(3), &get(4), &get(5), &get(6), &get(7), &get(8), &get(9), &get(10), &key],
        )?;
    }
    tx.commit()?;
    Ok(t.elapsed().as_secs_f64() / n.min(data.rows.len()) as f64)
}

pub fn run(g: &Global, a: &BenchArgs) -> Result<()> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("kura bench — {} cores, {}", cores, kura_version());
    if matches!(a.part, crate::cli::BenchPart::All | crate::cli::BenchPart::Import) {
        import_bench(g, a)?;
    }
    if matches!(a.part, crate::cli::BenchPart::All | crate::cli::BenchPart::Log) {
        super::bench_log::run(a)?;
    }
    if matches!(a.part, crate::cli::BenchPart::All | crate::cli::BenchPart::Http) {
        super::bench_http::run(a)?;
    }
    if matches!(a.part, crate::cli::BenchPart::All | crate::cli::BenchPart::Export) {
        super::bench_export::run_export(a)?;
    }
    if matches!(a.part, crate::cli::BenchPart::All | crate::cli::BenchPart::Trace) {
        super::bench_export::run_trace(a)?;
    }
    if matches!(a.part, crate::cli::BenchPart::All | crate::cli::BenchPart::Registry) {
        super::bench_trace::run(a)?;
    }
    if matches!(a.part, crate::cli::BenchPart::All | crate::cli::BenchPart::Desk) {
        super::bench_desk::run(a)?;
    }
    if matches!(a.part, crate::cli::BenchPart::All | crate::cli::BenchPart::Incident) {
        super::bench_incident::run(a)?;
    }
    Ok(())
}

fn import_bench(_g: &Global, a: &BenchArgs) -> Result<()> {
    println!("-- vault core: {} employees", a.employees);
    let data = dataset(a.employees)?;
    let n = data.rows.len() as f64;
    let tmp = tempfile_dir()?;

    let store = Box::new(SqliteStore::open(&tmp.join("vault"), true)?);
    let vault = vault_in(&tmp, store)?;
    let kura_s = kura_import(&vault, &data)?;
    println!("import  kura (SQLite)          {:>8.2} s  {:>9.0} records/s", kura_s, n / kura_s);
    let (plain, plain_s) = plain_sqlite(&tmp, &data)?;
    println!(
        "import  plain SQLite table     {:>8.2} s  {:>9.0} records/s   kura/plain = {:.2}x",
        plain_s,
        n / plain_s,
        kura_s / plain_s
    );

    match pgcrypto(&a.postgres, &data, a.pgcrypto_rows) {
        Ok(per_row) => {
            let est = per_row * n;
            println!(
                "import  pgcrypto (PostgreSQL)  {:>8.2} s  {:>9.0} records/s   (extrapolated from {} rows) pgcrypto/kura = {:.1}x",
                est,
                1.0 / per_row,
                a.pgcrypto_rows.min(data.rows.len()),
                est / kura_s
            );
        }
        Err(e) => println!("import  pgcrypto (PostgreSQL)  skipped: {e:#}"),
    }
    match pg_kura(&a.postgres, &tmp, &data) {
        Ok(s) => println!(
            "import  kura (PostgreSQL)      {:>8.2} s  {:>9.0} records/s   pg/sqlite = {:.2}x",
            s,
            n / s,
            s / kura_s
        ),
        Err(e) => println!("import  kura (PostgreSQL)      skipped: {e:#}"),
    }

    // Lookups: the same random phone numbers, typed as stored.
    let mobile_col = data.header.iter().position(|h| h == "mobile").context("no mobile column")?;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let mut queries: Vec<&str> = data.rows.iter().filter_map(|r| r.get(mobile_col).map(String::as_str)).collect();
    queries.shuffle(&mut rng);
    let queries: Vec<&str> = queries.into_iter().cycle().take(a.lookups).collect();

    let t = Instant::now();
    let mut hits = 0usize;
    let mut stmt = plain.prepare("SELECT id FROM people WHERE mobile = ?1")?;
    for q in &queries {
        hits += stmt.query_map([q], |r| r.get::<_, i64>(0))?.count();
    }
    let plain_l = t.elapsed().as_secs_f64();
    anyhow::ensure!(hits >= queries.len(), "plain lookups missed");
    println!("lookup  plain indexed SQLite   {:>9.0} lookups/s", queries.len() as f64 / plain_l);

    // Every kura lookup is an audited search: its log entry is durable before the ids are returned. One
    // caller pays an fsync per lookup; concurrent callers share commits (group commit).
    let access = reader_for(&data.csv)?;
    let threads = 32usize;
    let run_parallel = |f: &(dyn Fn(&str) -> Result<usize> + Sync)| -> Result<(f64, usize)> {
        let t = Instant::now();
        let per = queries.len().div_ceil(threads);
        let hits = std::thread::scope(|s| -> Result<usize> {
            let hs: Vec<_> = queries
                .chunks(per)
                .map(|chunk| {
                    s.spawn(move || -> Result<usize> {
                        let mut n = 0;
                        for q in chunk {
                            n += f(q)?;
                        }
                        Ok(n)
                    })
                })
                .collect();
            let mut n = 0;
            for h in hs {
                n += h.join().map_err(|_| anyhow::anyhow!("lookup thread panicked"))??;
            }
            Ok(n)
        })?;
        Ok((t.elapsed().as_secs_f64(), hits))
    };
    let single = queries.len().min(500);
    let t = Instant::now();
    for q in queries.iter().take(single) {
        vault.find_ids(&access, "corporate-mobile", "mobile", q)?;
    }
    let one = t.elapsed().as_secs_f64();
    println!(
        "lookup  kura, 1 caller          {:>9.0} lookups/s   (each durably logged: fsync-bound)",
        single as f64 / one
    );
    let (kura_l, hits) = run_parallel(&|q| Ok(vault.find_ids(&access, "corporate-mobile", "mobile", q)?.len()))?;
    anyhow::ensure!(hits >= queries.len(), "blind-index lookups missed");
    println!(
        "lookup  kura, {threads} callers        {:>9.0} lookups/s   plain/kura time = {:.2}x",
        queries.len() as f64 / kura_l,
        kura_l / plain_l
    );
    let (get_s, _) = run_parallel(&|q| {
        let ids = vault.find_ids(&access, "corporate-mobile", "mobile", q)?;
        let id = ids.first().copied().context("lookup missed")?;
        vault.get(&access, "corporate-mobile", id, CardView::Masked)?;
        Ok(1)
    })?;
    println!(
        "read    kura find + get, {threads} callers {:>7.0} reads/s     (search, decrypt, two durable log entries)",
        queries.len() as f64 / get_s
    );
    drop(vault);
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

fn pg_kura(url: &str, tmp: &std::path::Path, data: &Dataset) -> Result<f64> {
    let schema = format!("kura_bench_{}", uuid::Uuid::new_v4().simple());
    let full = format!("{url}{}options=-csearch_path%3D{schema}", if url.contains('?') { "&" } else { "?" });
    let store = Box::new(kura::store::postgres::PgStore::open(&full)?);
    let dir = tmp.join("pg");
    std::fs::create_dir_all(&dir)?;
    let vault = vault_in(&dir, store)?;
    let s = kura_import(&vault, data);
    drop(vault);
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))?;
    s
}

/// The custodian: creates the collection and loads the data.
pub(super) fn bench_access() -> Result<kura::Access> {
    Ok(kura::Access::custodian("bench", "BENCH-1", "bench")?)
}

/// The reader of the benchmarks: an operator assigned to every company of the generated CSV, so each read
/// goes through the default policy's real decisions (plain for most fields, home address hidden).
pub(super) fn reader_for(csv: &[u8]) -> Result<kura::Access> {
    let mut r = csv::Reader::from_reader(csv);
    let col = r.headers()?.iter().position(|h| h == "company").context("no company column")?;
    let mut names = std::collections::BTreeSet::new();
    for rec in r.records() {
        if let Some(c) = rec?.get(col) {
            names.insert(c.to_owned());
        }
    }
    let who = kura::principal::Summary {
        name: "bench-operator".to_owned(),
        kind: kura::principal::Kind::Employee,
        roles: [kura::principal::Role::Operator].into_iter().collect(),
        team: None,
        companies: kura::principal::canonical_companies(&names)?,
        suspended: false,
        password: true,
        totp: true,
        tokens: Vec::new(),
    };
    Ok(kura::Access::new(who, "BENCH-1", "bench")?)
}

fn kura_version() -> String {
    format!("kura {}", env!("CARGO_PKG_VERSION"))
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("kura-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
