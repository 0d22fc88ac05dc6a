//! `kura collection`: create, list, show.

use anyhow::{Context, Result};
use kura::schema::Schema;

use crate::cli::{CollectionCmd, Global};
use crate::open;

pub fn run(g: &Global, c: CollectionCmd) -> Result<()> {
    let purpose = match &c {
        CollectionCmd::Create { .. } => "collection create",
        CollectionCmd::List => "collection list",
        CollectionCmd::Show { .. } => "collection show",
    };
    let session = open::open(g, purpose)?;
    let vault = &session.vault;
    match c {
        CollectionCmd::Create { schema, builtin } => {
            let schema = match (schema, builtin) {
                (Some(path), _) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read schema `{}`", path.display()))?;
                    Schema::from_toml(&text).with_context(|| format!("schema `{}` refused", path.display()))?
                }
                (None, Some(name)) => kura::schema::builtin(&name).with_context(|| {
                    format!("no shipped schema `{name}` (shipped: corporate-mobile, consumer-wireless)")
                })?,
                (None, None) => anyhow::bail!("give --schema FILE or --builtin NAME"),
            };
            let name = schema.name.clone();
            let fields = schema.fields.len();
            vault.create_collection(&session.access, schema)?;
            println!("created collection `{name}` ({fields} fields, fresh keys)");
        }
        CollectionCmd::List => {
            for s in vault.collections() {
                println!("{}\t{} records\t{}", s.name, vault.count(&s.name)?, s.description);
            }
        }
        CollectionCmd::Show { name } => {
            let s = vault.schema(&name)?;
            println!("{} — {}", s.name, s.description);
            for f in &s.fields {
                let mut flags = Vec::new();
                if f.external_id {
                    flags.push("external id");
                }
                if f.searchable {
                    flags.push("searchable");
                }
                if f.scope {
                    flags.push("scopes access");
                }
                if !f.required {
                    flags.push("optional");
                }
                if f.derived_from.is_some() {
                    flags.push("derived");
                }
                println!(
                    "  {:<22} {:<20} {:<10} {}",
                    f.name,
                    f.kind.as_str(),
                    format!("{:?}", f.classification).to_lowercase(),
                    flags.join(", ")
                );
            }
        }
    }
    session.close()
}
