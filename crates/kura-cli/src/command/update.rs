//! `kura update`: change fields of one record.

use anyhow::{bail, Result};

use super::resolve;
use crate::cli::{Global, UpdateArgs};
use crate::open;

pub fn run(g: &Global, a: &UpdateArgs) -> Result<()> {
    let mut changes = Vec::new();
    for s in &a.set {
        let Some((k, v)) = s.split_once('=') else {
            bail!("`--set` takes FIELD=VALUE (got a value without `=`)");
        };
        let v = super::value_arg(v)?;
        let v = v.trim();
        changes.push((k.trim().to_owned(), (!v.is_empty()).then(|| v.to_owned())));
    }
    let session = open::open_for(g, &a.purpose.purpose, &a.purpose.purpose_kind)?;
    let id = resolve(&session.vault, &session.access, &a.target)?;
    session.vault.update(&session.access, &a.target.collection, id, &changes)?;
    let names: Vec<&str> = changes.iter().map(|(k, _)| k.as_str()).collect();
    println!("updated record {id}: {}", names.join(", "));
    session.close()
}
