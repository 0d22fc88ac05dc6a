//! `kura bench log`: the access log's speed, with baselines measured in the same run.
//!
//! - durable appends/s: one at a time (each its own fsync) and from many concurrent callers (group commit);
//! - inclusion-proof generation and verification at the on-disk size (default 1M) and on an in-memory tree
//!   (default 10M);
//! - full-log verification in entries/s;
//! - the cost the log adds to a read: audited `get` (one durable entry per read) against the same reads in
//!   batches of 1,000 under one entry (the log's cost amortised away).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use kura::audit::merkle::{self, MemNodes};
use kura::audit::store::{LogStore, SqliteLog, StoreNodes};
use kura::audit::{Action, Entry, Log, Outcome};
use kura::keys::keyfile::{KdfParams, KeyFile};
use kura::store::sqlite::SqliteStore;
use kura::vault::CardView;
use kura::Vault;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;

use crate::cli::BenchArgs;

fn entry(i: u64) -> Entry {
    Entry {
        seq: 0,
        time_ms: 0,
        principal: format!("operator-{}", i % 299),
        action: Action::Read,
        collection: Some("corporate-mobile".to_owned()),
        subjects: vec![format!("c{:021}", i)],
        fields: ["user_name", "mobile", "home_address"].iter().map(|s| s.to_string()).collect(),
        purpose: format!("ORDER-{}", i % 10_000),
        outcome: Outcome::Allow,
        origin: "10.0.0.7".to_owned(),
        request: format!("{:032x}", i),
        detail: String::new(),
    }
}

fn per_sec(n: u64, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}

/// Mean microseconds of `f` over `items`.
fn time_us<T>(items: &[T], mut f: impl FnMut(&T) -> Result<()>) -> Result<f64> {
    let t = Instant::now();
    for item in items {
        f(item)?;
    }
    Ok(t.elapsed().as_secs_f64() * 1e6 / items.len().max(1) as f64)
}

pub fn run(a: &BenchArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kura-bench-log-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(a: &BenchArgs, dir: &std::path::Path) -> Result<()> {
    println!("-- access log");
    // Appends: one caller, one entry per commit (fsync-bound) — the baseline.
    let log = Arc::new(Log::new(Box::new(SqliteLog::open(dir)?)));
    let single = 300u64;
    let t = Instant::now();
    for i in 0..single {
        log.append(vec![entry(i)]).map_err(|e| anyhow::anyhow!(e))?;
    }
    let single_rate = per_sec(single, t.elapsed().as_secs_f64());
    println!("append  1 caller, 1 entry/commit   {single_rate:>10.0} entries/s (each its own fsync)");
    // Many concurrent callers: group commit.
    let threads = 64u64;
    let each = 2_000u64;
    let t = Instant::now();
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let log = Arc::clone(&log);
                s.spawn(move || -> Result<()> {
                    for i in 0..each {
                        log.append(vec![entry(k * each + i)]).map_err(|e| anyhow::anyhow!(e))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("append thread panicked"))??;
        }
        Ok(())
    })?;
    let group_rate = per_sec(threads * each, t.elapsed().as_secs_f64());
    println!(
        "append  {threads} callers (group commit)   {group_rate:>10.0} entries/s   ×{:.0} the single-caller rate",
        group_rate / single_rate
    );
    // Bulk: batches of 4,096 per call (half the writer's largest commit), up to the on-disk size for the proof figures.
    let mut size = log.store().size()?;
    let t = Instant::now();
    let start = size;
    let pb = crate::progress::bar(a.log_entries, "filling log", false);
    while size < a.log_entries {
        let n = (a.log_entries - size).min(4096);
        let batch: Vec<Entry> = (size..size + n).map(entry).collect();
        log.append(batch).map_err(|e| anyhow::anyhow!(e))?;
        size += n;
        pb.set_position(size);
    }
    pb.finish_and_clear();
    if size > start {
        println!(
            "append  batches of 4,096            {:>10.0} entries/s   (filled to {size} entries)",
            per_sec(size - start, t.elapsed().as_secs_f64())
        );
    }
    drop(log);

    // Proofs on disk.
    let store = SqliteLog::open(dir)?;
    let size = store.size()?;
    let nodes = StoreNodes(&store);
    let root = merkle::root(&nodes, size)?;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let idx: Vec<u64> = (0..2000).map(|_| rng.gen_range(0..size)).collect();
    let proofs: Vec<Vec<merkle::Hash>> =
        idx.iter().map(|i| merkle::inclusion_proof(&nodes, *i, size)).collect::<Result<_, _>>()?;
    let gen = time_us(&idx, |i| {
        merkle::inclusion_proof(&nodes, *i, size)?;
        Ok(())
    })?;
    let leaves: Vec<merkle::Hash> = idx.iter().map(|i| merkle::Nodes::node(&nodes, 0, *i)).collect::<Result<_, _>>()?;
    let cases: Vec<(u64, &merkle::Hash, &Vec<merkle::Hash>)> =
        idx.iter().zip(leaves.iter()).zip(proofs.iter()).map(|((i, l), p)| (*i, l, p)).collect();
    let ver = time_us(&cases, |(i, leaf, proof)| {
        merkle::verify_inclusion(*leaf, *i, size, proof, &root)?;
        Ok(())
    })?;
    println!("proof   {size} entries (SQLite)      generate {gen:>7.1} µs   verify {ver:>5.1} µs");

    // Proofs on a large in-memory tree.
    if a.tree_entries > 0 {
        let leaves: Vec<merkle::Hash> = (0..a.tree_entries).map(|i| merkle::leaf_hash(&i.to_be_bytes())).collect();
        let mem = MemNodes::from_leaves(&leaves)?;
        drop(leaves);
        let n = a.tree_entries;
        let root = merkle::root(&mem, n)?;
        let idx: Vec<u64> = (0..20_000).map(|_| rng.gen_range(0..n)).collect();
        let proofs: Vec<Vec<merkle::Hash>> =
            idx.iter().map(|i| merkle::inclusion_proof(&mem, *i, n)).collect::<Result<_, _>>()?;
        let gen = time_us(&idx, |i| {
            merkle::inclusion_proof(&mem, *i, n)?;
            Ok(())
        })?;
        let cases: Vec<(u64, merkle::Hash, &Vec<merkle::Hash>)> =
            idx.iter().zip(proofs.iter()).map(|(i, p)| (*i, merkle::leaf_hash(&i.to_be_bytes()), p)).collect();
        let ver = time_us(&cases, |(i, leaf, proof)| {
            merkle::verify_inclusion(leaf, *i, n, proof, &root)?;
            Ok(())
        })?;
        println!("proof   {n} entries (memory)      generate {gen:>7.1} µs   verify {ver:>5.1} µs");
    }

    // Full verification.
    let t = Instant::now();
    let report =
        kura::audit::verify::verify(&store, &Default::default(), &mut |_| {}).map_err(|e| anyhow::anyhow!(e))?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "verify  full log                   {:>10.0} entries/s   ({} entries, {} tree rows, {secs:.2} s)",
        per_sec(report.entries, secs),
        report.entries,
        report.nodes
    );
    drop(store);

    read_cost(dir)
}

/// The cost the log adds to a read.
fn read_cost(dir: &std::path::Path) -> Result<()> {
    let vdir = dir.join("vault");
    let keys = KeyFile::create(
        &dir.join("root.key"),
        "bench",
        &SecretString::from("benchmark passphrase".to_owned()),
        KdfParams::default(),
    )?;
    let vault = Vault::create(Box::new(SqliteStore::open(&vdir, true)?), Box::new(keys))?;
    let admin = kura::Access::custodian("bench", "BENCH-READ", "bench")?;
    vault.create_collection(&admin, kura::schema::builtin("corporate-mobile").context("schema")?)?;
    let mut csv = Vec::new();
    kura::generate::corporate(
        &kura::generate::CorporateParams { companies: 10, employees: 20_000, seed: 4 },
        &mut csv,
        &mut |_| {},
    )?;
    let schema = vault.schema("corporate-mobile")?;
    let parsed = kura::import::parse("bench.csv", &csv, &schema, kura::import::Encoding::Auto)?;
    vault.write(&admin, "corporate-mobile", parsed.rows, &mut |_| {})?;
    let access = super::bench::reader_for(&csv)?;
    let ids: Vec<kura::RecordId> = {
        let mut r = csv::Reader::from_reader(&csv[..]);
        let mut out = Vec::new();
        for rec in r.records().take(8_000) {
            let rec = rec?;
            out.push(vault.by_external_id(&access, "corporate-mobile", rec.get(0).unwrap_or(""))?);
        }
        out
    };
    let vault = Arc::new(vault);
    let threads = 32usize;
    let per = ids.len() / threads;
    let t = Instant::now();
    std::thread::scope(|s| -> Result<()> {
        let hs: Vec<_> = ids
            .chunks(per)
            .map(|chunk| {
                let vault = Arc::clone(&vault);
                let access = access.clone();
                s.spawn(move || -> Result<()> {
                    for id in chunk {
                        vault.get(&access, "corporate-mobile", *id, CardView::Masked)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in hs {
            h.join().map_err(|_| anyhow::anyhow!("read thread panicked"))??;
        }
        Ok(())
    })?;
    let audited = per_sec(ids.len() as u64, t.elapsed().as_secs_f64());
    let t = Instant::now();
    for chunk in ids.chunks(1000) {
        vault.get_many(&access, "corporate-mobile", chunk, CardView::Masked)?;
    }
    let batched = per_sec(ids.len() as u64, t.elapsed().as_secs_f64());
    println!("read    audited get, {threads} callers      {audited:>10.0} reads/s    one durable entry per read");
    println!(
        "read    get_many (1 entry/1,000)    {batched:>10.0} reads/s    log cost amortised away; audited/batched time = {:.2}x",
        batched / audited
    );
    Ok(())
}
