//! `kura bench incident` (issue #8): how long an incident's exact exposure takes on the full dataset.
//!
//! A SQLite vault with `--employees` generated people (130,000 by default). An insider assigned to every
//! company copies 50,000 of them with reads of 500 at a time; 20,000 single reads by other operators fill the
//! log around it. Timed in the same run:
//!
//! - **log scan** (the baseline): every entry of the access log read and decoded, nothing else;
//! - **access incident**: `Vault::incident_exposure` with the insider in scope — the log walked and matched
//!   against every record's commitment, the exposed people's companies decrypted, and "could have viewed"
//!   decided by the policy for all records;
//! - **stolen copy**: the same for a copy of the database files with the keys kept apart — every stored value
//!   decrypted and searched for in the files.
//!
//! The figures are checked, not just timed: the access incident must find exactly the 50,000 people read.

use std::time::Instant;

use anyhow::{ensure, Context, Result};
use kura::incident::Scenario;
use kura::principal::{Kind, Principal, Role};
use kura::store::sqlite::SqliteStore;
use kura::vault::incidents::{NewIncident, Scope};
use kura::vault::CardView;

use crate::cli::BenchArgs;

const COLLECTION: &str = "corporate-mobile";
const COPIED: usize = 50_000;
const OTHER_READS: usize = 20_000;

pub fn run(a: &BenchArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kura-bench-incident-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(a: &BenchArgs, dir: &std::path::Path) -> Result<()> {
    let employees = a.employees.max(COPIED + 1_000);
    println!("-- incident response: exact exposure over {employees} employees");
    let t = Instant::now();
    let mut csv = Vec::new();
    let params = kura::generate::CorporateParams { companies: 72, employees, seed: 8 };
    kura::generate::corporate(&params, &mut csv, &mut |_| {})?;
    let store = Box::new(SqliteStore::open(&dir.join("vault"), true)?);
    let vault = super::bench::vault_in(dir, store)?;
    let custodian = super::bench::bench_access()?;
    vault.set_alert_rules(&custodian, "[off_hours]\nenabled = false\n[read_rate]\nenabled = false\n")?;
    let parsed = kura::import::parse("bench.csv", &csv, &vault.schema(COLLECTION)?, kura::import::Encoding::Auto)?;
    let ids = vault.write(&custodian, COLLECTION, parsed.rows, &mut |_| {})?.ids;
    let mut r = csv::Reader::from_reader(&csv[..]);
    let col = r.headers()?.iter().position(|h| h == "company").context("no company column")?;
    let mut companies = std::collections::BTreeSet::new();
    for rec in r.records() {
        companies.insert(rec?.get(col).unwrap_or_default().to_owned());
    }
    let insider = Principal::new("op.insider", Kind::Employee, [Role::Operator].into(), None, companies.clone())?;
    let other = Principal::new("op.other", Kind::Employee, [Role::Operator].into(), None, companies)?;
    let officer = Principal::new("sec.bench", Kind::Employee, [Role::SecurityOfficer].into(), None, [].into())?;
    for p in [&insider, &other, &officer] {
        vault.add_principal(&custodian, p)?;
    }
    let copying = vault.access("op.insider", "BENCH-COPY", "bench")?;
    for chunk in ids.get(..COPIED).context("too few records")?.chunks(500) {
        vault.get_many(&copying, COLLECTION, chunk, CardView::Masked)?;
    }
    let working = vault.access("op.other", "BENCH-WORK", "bench")?;
    let step = (ids.len() / OTHER_READS).max(1);
    for i in 0..OTHER_READS {
        vault.get(&working, COLLECTION, *ids.get((i * step) % ids.len()).context("id")?, CardView::Masked)?;
    }
    let entries = vault.audit_log().store().size()?;
    println!(
        "setup   import, {COPIED} records copied by one insider, {OTHER_READS} other reads: {entries} log entries  {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Baseline: the log read and decoded once.
    let log = vault.audit_log().store();
    let t = Instant::now();
    let mut decoded = 0u64;
    let mut at = 0u64;
    while at < entries {
        let batch = log.entries(at, 10_000)?;
        if batch.is_empty() {
            break;
        }
        for (seq, data) in batch {
            at = seq + 1;
            kura::audit::Entry::from_leaf(&data).map_err(|e| anyhow::anyhow!(e))?;
            decoded += 1;
        }
    }
    let scan = t.elapsed().as_secs_f64();
    ensure!(decoded == entries, "the log scan decoded {decoded} of {entries} entries");

    let sec = vault.access("sec.bench", "BENCH-INC", "bench")?;
    let now = kura::store::now();
    let open = |scenario, scope| {
        vault.open_incident(
            &sec,
            NewIncident {
                title: "bench".to_owned(),
                detected_at: now,
                learned_at: now,
                scenario,
                unauthorised_purpose: true,
                scope,
            },
        )
    };
    let access = open(
        Scenario::Access,
        Scope {
            collections: [COLLECTION.to_owned()].into(),
            principals: ["op.insider".to_owned()].into(),
            ..Scope::default()
        },
    )?;
    let t = Instant::now();
    let exposure = vault.incident_exposure(&sec, &access.id)?;
    let exact = t.elapsed().as_secs_f64();
    ensure!(exposure.exposure.subjects == COPIED as u64, "found {} people, not {COPIED}", exposure.exposure.subjects);

    let copy = kura::scan::walk(&dir.join("vault"))?;
    let stolen = open(
        Scenario::StolenDatabase { keys_separate: true },
        Scope { collections: [COLLECTION.to_owned()].into(), copy: copy.clone(), ..Scope::default() },
    )?;
    let t = Instant::now();
    let copied = vault.incident_exposure(&sec, &stolen.id)?;
    let scanned = t.elapsed().as_secs_f64();
    ensure!(copied.exposure.subjects == 0, "the copy exposed {} people without the keys", copied.exposure.subjects);
    let bytes: u64 = copy.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    println!(
        "scan    the log read and decoded ({entries} entries)          {scan:>7.2} s\n\
         access  exposure of the insider: {} did view, {} could have viewed  {exact:>7.2} s   = {:.1}x the log scan\n\
         stolen  copy of {:.0} MB scanned for {} people's values: {} readable  {scanned:>7.2} s",
        exposure.exposure.subjects,
        exposure.exposure.could_have_viewed,
        exact / scan,
        bytes as f64 / 1e6,
        copied.exposure.could_have_viewed,
        copied.exposure.readable_without_keys.len(),
    );
    Ok(())
}
