//! `kura init`: a new vault directory, key file and database.

use anyhow::Result;
use kura::keys::keyfile::KdfParams;

use crate::cli::{Global, InitArgs};
use crate::open;

pub fn run(g: &Global, a: &InitArgs) -> Result<()> {
    let pass = open::passphrase(true)?;
    let vault = open::init(g, a.database.as_deref(), KdfParams::default(), &pass)?;
    let signer = vault.create_signer(&g.vault)?;
    let config = open::read_config(&g.vault)?;
    println!("created vault `{}` ({} backend)", g.vault.display(), vault.backend());
    println!(
        "root key: {} (Argon2id-protected; keep a copy on other storage than the database)",
        config.key_file.display()
    );
    println!(
        "access-log checkpoints are signed by `{}`; verifier key in {}",
        signer.origin(),
        g.vault.join(kura::audit::signer::VERIFIER_FILE).display()
    );
    println!("next: kura collection create --builtin corporate-mobile");
    Ok(())
}
