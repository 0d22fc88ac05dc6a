//! `kura alerts`, `kura canary hit` and `kura honey plant`.

use anyhow::{Context, Result};
use kura::vault::alerts::Alert;

use crate::cli::{AlertsCmd, CanaryCmd, Global, HoneyCmd};
use crate::open;

pub(super) fn show(a: &Alert) {
    println!(
        "{}  {:<9} {:<22} {:<14} {}{}{}",
        a.id,
        format!("{:?}", a.severity).to_lowercase(),
        serde_json::to_value(a.rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        a.principal,
        a.detail,
        a.export.as_ref().map(|e| format!(" [export {e}]")).unwrap_or_default(),
        if a.suspended { " — principal suspended" } else { "" }
    );
}

pub fn run(g: &Global, c: AlertsCmd) -> Result<()> {
    match c {
        AlertsCmd::List { json, purpose } => {
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let all = s.vault.alerts(&s.access)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no alerts");
            } else {
                all.iter().for_each(show);
            }
            s.close()
        }
        AlertsCmd::Rules { purpose } => {
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let rules = s.vault.alert_rules(&s.access)?;
            if rules.trim().is_empty() {
                println!("# the default rules are in force (see docs/ALERTS.md)");
            } else {
                print!("{rules}");
            }
            s.close()
        }
        AlertsCmd::SetRules { file, purpose } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read `{}`", file.display()))?;
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            s.vault.set_alert_rules(&s.access, &text)?;
            println!("alert rules set from `{}`", file.display());
            s.close()
        }
    }
}

pub fn canary(g: &Global, c: CanaryCmd) -> Result<()> {
    match c {
        CanaryCmd::Hit { contact, channel, note, purpose } => {
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let hit = s.vault.canary_hit(&s.access, &contact, &channel, &note)?;
            match &hit.requester {
                Some(r) => println!(
                    "canary {} of export {} ({}): requested by {}, approved by {}",
                    hit.canary,
                    hit.export,
                    hit.contact,
                    r,
                    hit.approver.as_deref().unwrap_or("-")
                ),
                None => println!(
                    "canary {} of {} ({}): a honey record; the vault's data is outside it",
                    hit.canary, hit.export, hit.contact
                ),
            }
            show(&hit.alert);
            s.close()
        }
    }
}

pub fn honey(g: &Global, c: HoneyCmd) -> Result<()> {
    match c {
        HoneyCmd::Plant { count, collection } => {
            let s = open::open(g, "honey records")?;
            let n = s.vault.plant_honey(&s.access, &collection, count)?;
            println!("{n} honey records planted in `{collection}`");
            s.close()
        }
    }
}
