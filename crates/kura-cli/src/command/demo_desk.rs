//! `kura demo`: a day at the service desk — a simulated day of orders and its reports, then orders taken
//! live in the vault with reads bound to them, a refused read outside any order, and a break-glass.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use kura::desk::order::{OrderType, Priority, Status};
use kura::principal::Principal;
use kura::vault::desk::Change;
use kura::vault::CardView;
use kura::{RecordId, Vault};

use super::demo::step;

const C: &str = "corporate-mobile";

pub struct Cast<'a> {
    pub staff: &'a [Principal],
    pub ids: &'a [RecordId],
    pub companies: &'a [String],
    /// Whether each record has a home address on file (in the order of `ids`).
    pub homes: &'a [bool],
    pub officer: &'a Principal,
}

pub fn story(vault: &Vault, dir: &Path, cast: &Cast<'_>, n: u32) -> Result<()> {
    step(n, "a day at the service desk: orders from the client companies, and personal data read through them");
    let needs = vault.desk_needs(C)?;
    let mut by_company: BTreeMap<String, Vec<RecordId>> = BTreeMap::new();
    for (c, id) in cast.companies.iter().zip(cast.ids) {
        by_company.entry(c.clone()).or_default().push(*id);
    }
    let clients: Vec<(String, Vec<RecordId>)> = by_company.into_iter().collect();
    let day = kura::desk::simulate::day(&clients, cast.staff, &needs, &kura::desk::simulate::Params::default())?;
    let out = dir.join("desk-report");
    let (summary, audit) = super::desk::write_reports(&out, &day.orders, &needs, &day.reads, day.until)?;
    let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &summary.by_type_company_status {
        *by_type.entry(r.kind.as_str()).or_default() += r.orders;
    }
    println!(
        "   {} orders in the simulated day: {}",
        summary.orders,
        by_type.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
    );
    let (met, missed) = summary.sla.iter().fold((0, 0), |(m, x), r| (m + r.met, x + r.missed + r.open_overdue));
    println!(
        "   SLA met {met}, missed or overdue {missed}; {} escalations; backlog at day's end {}",
        summary.escalations.iter().map(|e| e.orders).sum::<u64>(),
        summary.backlog.open
    );
    println!(
        "   {} reads of personal data; {} without need (no order, another person, a field the order does not need) — \
         the day's planted misuse was {}",
        day.reads.len(),
        audit.findings.len(),
        day.misuse.len()
    );
    if audit.findings.len() != day.misuse.len() {
        bail!("the read audit does not match the simulated day's ground truth");
    }
    println!("   reports and charts: {}", out.display());

    // Live: reads only through orders.
    let admin = crate::open::custodian("DEMO-0008 desk settings")?;
    vault.require_orders(&admin, true)?;
    let with_home: std::collections::HashSet<RecordId> =
        cast.ids.iter().zip(cast.homes).filter(|(_, h)| **h).map(|(id, _)| *id).collect();
    let sim = day
        .orders
        .iter()
        .find(|o| {
            o.kind == OrderType::BatteryShipment
                && o.assignee.is_some()
                && o.people.first().is_some_and(|p| with_home.contains(p))
        })
        .context("no battery shipment to someone with a home address in the simulated day")?;
    let who = sim.assignee.as_deref().context("assignee")?;
    let op = vault.access(who, "DEMO-0009 desk", "demo")?;
    let person = *sim.people.first().context("people")?;
    match vault.get(&op, C, person, CardView::Masked) {
        Err(kura::vault::ReadError::Denied(why)) => {
            println!("   {who} reads a person outside any order: refused — {why}")
        }
        other => bail!("a read outside any order was not refused: {other:?}"),
    }
    let order = vault.create_order(&op, C, &sim.company, OrderType::BatteryShipment, vec![person], Priority::High)?;
    vault.change_order(&op, order.id, Change::Assign { assignee: Some(who.to_owned()), team: sim.team.clone() })?;
    vault.change_order(&op, order.id, Change::Move { to: Status::InProgress, note: String::new() })?;
    let r = vault.read_for_order(&op, order.id, person, CardView::Masked)?;
    let shown: Vec<&str> = r.fields.iter().filter(|f| f.value.is_some()).map(|f| f.name.as_str()).collect();
    println!("   {} (battery shipment) taken and assigned to {who}; read through it: {}", order.id, shown.join(", "));
    vault.change_order(&op, order.id, Change::Move { to: Status::Done, note: "shipped".to_owned() })?;
    if vault.read_for_order(&op, order.id, person, CardView::Masked).is_ok() {
        bail!("a closed order still opened the record");
    }
    println!("   the order is done: the same read is refused");
    vault.break_glass(
        &op,
        C,
        person,
        "customer on the phone reports the phone stolen abroad",
        None,
        CardView::Masked,
    )?;
    let officer = vault.access(&cast.officer.name, "DEMO-0009 review", "demo")?;
    let glass = vault
        .alerts(&officer)?
        .into_iter()
        .find(|a| a.rule == kura::alerts::rules::Rule::BreakGlass)
        .context("no break-glass alert")?;
    println!(
        "   break-glass read with a written reason: alert {} for the security officers to review (the reason is \
         sealed in the alert, not written to the log)",
        glass.id
    );
    vault.require_orders(&admin, false)?;
    Ok(())
}
