//! `kura order`: service-desk orders, and personal data read through them.

use anyhow::{anyhow, bail, Context, Result};
use kura::desk::order::{OrderId, OrderType, PartnerKind, Party, Priority, Status};
use kura::vault::desk::{Change, DeskError, Stored};
use kura::vault::CardView;
use kura::RecordId;

use crate::cli::{Global, OrderCmd};
use crate::open;

fn order_id(s: &str) -> Result<OrderId> {
    s.parse().map_err(|_| anyhow!("`{s}` is not an order id (ORD-00000042)"))
}

fn record_id(s: &str) -> Result<RecordId> {
    s.parse().map_err(|_| anyhow!("`{s}` is not a record id (a UUID)"))
}

fn status(s: &str) -> Result<Status> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| anyhow!("`{s}` is not a status: in_progress, escalated, waiting, done or cancelled"))
}

fn show(s: &Stored) {
    let o = &s.order;
    println!(
        "{}  {:<16} {:<9} {:<10} {} people  {}  assignee {} / team {}  due {}{}",
        o.id,
        o.kind.as_str(),
        o.priority.as_str(),
        o.status().as_str(),
        o.people.len(),
        o.company,
        o.assignee.as_deref().unwrap_or("-"),
        o.team.as_deref().unwrap_or("-"),
        o.due_at,
        o.escalation.as_ref().map(|e| format!("  escalated to {}", e.to.label())).unwrap_or_default()
    );
}

pub fn run(g: &Global, c: OrderCmd) -> Result<()> {
    match c {
        OrderCmd::Create { collection, company, kind, people, priority, purpose } => {
            let kind = OrderType::parse(&kind).with_context(|| format!("`{kind}` is not an order type"))?;
            let priority: Priority = serde_json::from_value(serde_json::Value::String(priority.clone()))
                .map_err(|_| anyhow!("`{priority}` is not a priority: low, normal, high or urgent"))?;
            let people = people.iter().map(|p| record_id(p)).collect::<Result<Vec<_>>>()?;
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let o = s.vault.create_order(&s.access, &collection, &company, kind, people, priority)?;
            println!("{}", o.id);
            s.close()
        }
        OrderCmd::Import { collection, file, purpose } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read `{}`", file.display()))?;
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            match s.vault.import_orders(&s.access, &collection, &bytes) {
                Ok(taken) => {
                    for o in &taken {
                        println!("{}\t{}\t{}\t{} people", o.id, o.kind.as_str(), o.priority.as_str(), o.people.len());
                    }
                    eprintln!("{} orders taken from `{}`", taken.len(), file.display());
                }
                Err(DeskError::Intake(e)) => {
                    for p in &e.problems {
                        eprintln!("{}: line {}: {}", file.display(), p.line, p.message);
                    }
                    s.close()?;
                    bail!("{} problem(s) in `{}`; no order was taken", e.problems.len(), file.display());
                }
                Err(e) => return Err(e.into()),
            }
            s.close()
        }
        OrderCmd::List { json, purpose } => {
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let all = s.vault.orders(&s.access)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no orders");
            } else {
                all.iter().for_each(show);
            }
            s.close()
        }
        OrderCmd::Assign { id, to, team, purpose } => {
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            s.vault.change_order(&s.access, order_id(&id)?, Change::Assign { assignee: to, team })?;
            println!("{id} assigned");
            s.close()
        }
        OrderCmd::Move { id, status: to, note, purpose } => {
            let to = status(&to)?;
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            s.vault.change_order(&s.access, order_id(&id)?, Change::Move { to, note })?;
            println!("{id} moved to {}", to.as_str());
            s.close()
        }
        OrderCmd::Escalate { id, team, partner, partner_kind, hours, reason, purpose } => {
            let party = match (team, partner) {
                (Some(t), None) => Party::Team(t),
                (None, Some(name)) => {
                    let k = partner_kind.unwrap_or_default();
                    let kind = PartnerKind::parse(&k)
                        .with_context(|| format!("`{k}` is not a partner kind: courier, handset_maker or carrier"))?;
                    Party::Partner { name, kind }
                }
                _ => anyhow::bail!("name a --team or a --partner"),
            };
            anyhow::ensure!((1..=24 * 90).contains(&hours), "an escalation lasts 1 hour to 90 days");
            let until = Some(kura::store::now() + hours * 3600);
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            s.vault.change_order(&s.access, order_id(&id)?, Change::Escalate { party, until, reason })?;
            println!("{id} escalated for {hours} hours");
            s.close()
        }
        OrderCmd::EndEscalation { id, purpose } => {
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            s.vault.change_order(&s.access, order_id(&id)?, Change::EndEscalation)?;
            println!("{id}: escalation ended");
            s.close()
        }
        OrderCmd::Read { id, record, json } => {
            let order = order_id(&id)?;
            let record = record_id(&record)?;
            // The order is the purpose; its type decides the purpose kind.
            let s = open::open_for(g, &id, kura::vault::DEFAULT_PURPOSE_KIND)?;
            let r = s.vault.read_for_order(&s.access, order, record, CardView::Masked)?;
            super::get::print(&[r], json)?;
            s.close()
        }
        OrderCmd::BreakGlass { collection, record, reason, order, purpose } => {
            let record = record_id(&record)?;
            let order = order.as_deref().map(order_id).transpose()?;
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let r = s.vault.break_glass(&s.access, &collection, record, &reason, order, CardView::Masked)?;
            eprintln!("break-glass read logged; the security officers are alerted and will review it");
            super::get::print(&[r], false)?;
            s.close()
        }
        OrderCmd::Ship { id, recipient, purpose } => {
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let job = s.vault.ship_order(&s.access, order_id(&id)?, &recipient)?;
            println!("{}", job.id);
            eprintln!(
                "labels requested as print job {}; a supervisor approves it with `kura export approve {} --purpose-kind shipping`",
                job.id, job.id
            );
            s.close()
        }
        OrderCmd::Require { state } => {
            let on = match state.as_str() {
                "on" => true,
                "off" => false,
                other => anyhow::bail!("`{other}`: say on or off"),
            };
            let s = open::open(g, "desk settings")?;
            s.vault.require_orders(&s.access, on)?;
            println!("reads through orders only: {state}");
            s.close()
        }
    }
}
