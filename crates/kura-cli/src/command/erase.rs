//! `kura erase`: crypto-shredding of one person.

use anyhow::{bail, Result};
use kura::vault::EraseReport;

use super::resolve;
use crate::cli::{EraseArgs, Global};
use crate::open;

pub fn run(g: &Global, a: &EraseArgs) -> Result<()> {
    let session = open::open_for(g, &a.purpose.purpose, &a.purpose.purpose_kind)?;
    let (vault, access) = (&session.vault, &session.access);
    let id = resolve(vault, access, &a.target)?;
    if !a.yes {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            bail!("erasure cannot be undone: pass --yes to confirm");
        }
        eprint!("erase record {id} from `{}` for good? type `erase` to confirm: ", a.target.collection);
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != "erase" {
            bail!("not confirmed; nothing was erased");
        }
    }
    match vault.erase(access, &a.target.collection, id)? {
        EraseReport::Erased { id, fields, index_entries } => {
            println!(
                "erased record {id}: subject key destroyed, {fields} encrypted fields and {index_entries} index entries removed"
            );
            println!("copies of the data in backups can no longer be decrypted (their key is gone)");
        }
        EraseReport::AlreadyErased { id, at } => {
            println!("record {id} was already erased (at Unix time {at}); nothing left to destroy");
        }
    }
    session.close()
}
