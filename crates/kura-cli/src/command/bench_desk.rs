//! `kura bench desk` (issue #7): order-bound reads against the plain policy path, and the desk report over
//! 1,000,000 orders.
//!
//! **reads**: a SQLite vault with 20,000 generated employees; an operator of desk 1 assigned to every
//! company; 2,000 battery-shipment orders of one person each, assigned to the operator and in progress. Timed
//! in the same run: `Vault::get` of the 2,000 people under the purpose kind `shipping` (the plain policy path:
//! Cedar decision, decryption, one log entry per read), then `Vault::read_for_order` of the same people
//! through their orders (the order loaded and checked field by field, intersected with the same policy, one
//! log entry per read naming the order).
//!
//! **report**: a simulated day of 1,000,000 orders (`desk::simulate::day`) on the generated companies and the
//! service desk's staff; `desk::report::summary` and `desk::report::reads` timed separately.

use std::time::Instant;

use anyhow::{Context, Result};
use kura::desk::order::{OrderType, Priority, Status};
use kura::principal::{Kind, Principal, Role};
use kura::store::sqlite::SqliteStore;
use kura::vault::desk::Change;
use kura::vault::CardView;

use crate::cli::BenchArgs;

const COLLECTION: &str = "corporate-mobile";
const ORDERS: usize = 2_000;
const REPORT_ORDERS: usize = 1_000_000;

pub fn run(a: &BenchArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kura-bench-desk-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(a: &BenchArgs, dir: &std::path::Path) -> Result<()> {
    let employees = a.employees.min(20_000);
    println!("-- service desk: order-bound reads ({ORDERS} orders over {employees} employees), report over {REPORT_ORDERS} orders");
    let t = Instant::now();
    let mut csv = Vec::new();
    let params = kura::generate::CorporateParams { companies: 72, employees, seed: 3 };
    kura::generate::corporate(&params, &mut csv, &mut |_| {})?;
    let store = Box::new(SqliteStore::open(&dir.join("vault"), true)?);
    let vault = super::bench::vault_in(dir, store)?;
    let custodian = super::bench::bench_access()?;
    vault.set_alert_rules(&custodian, "[off_hours]\nenabled = false\n[read_rate]\nenabled = false\n")?;
    let parsed = kura::import::parse("bench.csv", &csv, &vault.schema(COLLECTION)?, kura::import::Encoding::Auto)?;
    let ids = vault.write(&custodian, COLLECTION, parsed.rows, &mut |_| {})?.ids;
    let mut r = csv::Reader::from_reader(&csv[..]);
    let col = r.headers()?.iter().position(|h| h == "company").context("no company column")?;
    let mut companies = Vec::new();
    for rec in r.records() {
        companies.push(rec?.get(col).unwrap_or_default().to_owned());
    }
    let all: std::collections::BTreeSet<String> = companies.iter().cloned().collect();
    let op =
        Principal::new("op.bench", Kind::Employee, [Role::Operator].into(), Some("desk-1".to_owned()), all.clone())?;
    vault.add_principal(&custodian, &op)?;
    let access = vault.access("op.bench", "BENCH-DESK", "bench")?;
    let mut orders = Vec::with_capacity(ORDERS);
    let step = (ids.len() / ORDERS).max(1);
    for i in 0..ORDERS {
        let k = (i * step) % ids.len();
        let (id, company) = (*ids.get(k).context("id")?, companies.get(k).context("company")?);
        let o =
            vault.create_order(&access, COLLECTION, company, OrderType::BatteryShipment, vec![id], Priority::Normal)?;
        vault.change_order(&access, o.id, Change::Assign { assignee: Some("op.bench".to_owned()), team: None })?;
        vault.change_order(&access, o.id, Change::Move { to: Status::InProgress, note: String::new() })?;
        orders.push((o.id, id));
    }
    println!(
        "setup   import, 1 operator, {ORDERS} orders taken, assigned and in progress  {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let shipping = access.clone().with_kind("shipping")?;
    let t = Instant::now();
    for (_, id) in &orders {
        vault.get(&shipping, COLLECTION, *id, CardView::Masked)?;
    }
    let plain = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for (order, id) in &orders {
        vault.read_for_order(&access, *order, *id, CardView::Masked)?;
    }
    let bound = t.elapsed().as_secs_f64();
    println!(
        "reads   plain policy path   {:>8.0} reads/s\nreads   through orders      {:>8.0} reads/s   order-bound/plain time = {:.2}x",
        ORDERS as f64 / plain,
        ORDERS as f64 / bound,
        bound / plain
    );

    // The report over a million orders.
    let staff = kura::generate::staff::service_desk(&all.iter().cloned().collect::<Vec<_>>(), 2014)?;
    let mut by_company: std::collections::BTreeMap<String, Vec<kura::RecordId>> = Default::default();
    for (c, id) in companies.iter().zip(&ids) {
        by_company.entry(c.clone()).or_default().push(*id);
    }
    let clients: Vec<(String, Vec<kura::RecordId>)> = by_company.into_iter().collect();
    let needs = vault.desk_needs(COLLECTION)?;
    let t = Instant::now();
    let day = kura::desk::simulate::day(
        &clients,
        &staff,
        &needs,
        &kura::desk::simulate::Params { orders: REPORT_ORDERS, ..Default::default() },
    )?;
    let simulated = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let summary = kura::desk::report::summary(&day.orders, day.until);
    let report = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let audit = kura::desk::report::reads(&day.orders, &needs, &day.reads);
    let reads = t.elapsed().as_secs_f64();
    println!(
        "report  {} orders (simulated in {simulated:.1} s): summary {:.2} s ({} type × company × status rows, {} \
         SLA rows); reads against needs {:.2} s ({} reads, {} findings)",
        summary.orders,
        report,
        summary.by_type_company_status.len(),
        summary.sla.len(),
        reads,
        day.reads.len(),
        audit.findings.len()
    );
    Ok(())
}
