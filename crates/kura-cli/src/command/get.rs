//! `kura get` and `kura find`.

use anyhow::Result;
use kura::vault::Record;

use super::{card_view, resolve, value_arg};
use crate::cli::{DetokeniseArgs, FindArgs, GetArgs, Global};
use crate::open;

pub(super) fn print(records: &[Record], json: bool) -> Result<()> {
    if json {
        let out: Vec<serde_json::Value> = records
            .iter()
            .map(|r| {
                let mut m = serde_json::Map::new();
                m.insert("id".into(), r.id.to_string().into());
                for f in &r.fields {
                    m.insert(f.name.clone(), f.value.as_ref().map(|v| v.expose().to_owned()).into());
                }
                serde_json::Value::Object(m)
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("{:<22} {}", "id", r.id);
        for f in &r.fields {
            println!("{:<22} {}", f.name, f.value.as_ref().map_or("", |v| v.expose()));
        }
    }
    Ok(())
}

pub fn get(g: &Global, a: &GetArgs) -> Result<()> {
    let session = open::open_for(g, &a.purpose.purpose, &a.purpose.purpose_kind)?;
    let (vault, access) = (&session.vault, &session.access);
    let id = resolve(vault, access, &a.target)?;
    let record = vault.get(access, &a.target.collection, id, card_view(a.card))?;
    print(&[record], a.json)?;
    session.close()
}

pub fn find(g: &Global, a: &FindArgs) -> Result<()> {
    let value = value_arg(&a.value)?;
    let session = open::open_for(g, &a.purpose.purpose, &a.purpose.purpose_kind)?;
    let records = session.vault.find(&session.access, &a.collection, &a.field, &value, a.limit, card_view(a.card))?;
    if records.is_empty() && !a.json {
        eprintln!("no match");
    } else {
        print(&records, a.json)?;
    }
    session.close()
}

pub fn detokenise(g: &Global, a: &DetokeniseArgs) -> Result<()> {
    let token = value_arg(&a.token)?;
    let session = open::open_for(g, &a.purpose.purpose, &a.purpose.purpose_kind)?;
    let pan = session.vault.detokenise(&session.access, &a.collection, &token)?;
    println!("{}", pan.expose());
    session.close()
}
