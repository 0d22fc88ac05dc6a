//! `kura serve`: the HTTP API on the vault.
//!
//! The server unlocks the vault once (key file and passphrase, as the custodian), logs that it started, and
//! answers requests of principals signed in with bearer tokens. While the access log grows it signs a
//! checkpoint every `--checkpoint-every` seconds, and once more when it stops (SIGINT or SIGTERM: in-flight
//! requests finish first). Every five minutes it raises the alerts of incident reports due within a day or
//! overdue.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use kura_http::api::{self, ApiState, VaultTokens};
use kura_http::Hooks;

use crate::cli::{Global, ServeArgs};
use crate::open;

/// How often the server checks the incidents' reporting deadlines.
const DEADLINES_EVERY: Duration = kura_http::api::DEADLINE_CHECK_EVERY;

pub fn run(g: &Global, a: &ServeArgs) -> Result<()> {
    if a.openapi {
        let dir = tempfile_dir()?;
        let doc = open_for_document(&dir).map(|v| kura_http::document(api::routes(ApiState::new(Arc::new(v), None))));
        std::fs::remove_dir_all(&dir)?;
        println!("{}", doc?.to_pretty_json()?);
        return Ok(());
    }
    let config = kura_http::Config::load(a.config.as_deref())?;
    let session = open::open(g, "server start")?;
    let vault = Arc::new(session.vault);
    if kura_http::webhook::register_configured(&vault, &config).map_err(anyhow::Error::msg)? {
        eprintln!("kura serve: alerts are posted to the configured webhook");
    }
    // Panic messages may quote values: only the location is printed.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("kura serve: a request handler panicked at {at}");
    }));
    let _ = tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(g, a, &config, vault))
}

async fn serve(g: &Global, a: &ServeArgs, config: &kura_http::Config, vault: Arc<kura::Vault>) -> Result<()> {
    let state = ApiState::new(Arc::clone(&vault), Some(g.vault.clone()));
    let ready = Arc::clone(&vault);
    let hooks = Hooks::new(VaultTokens(Arc::clone(&vault))).readiness(move || ready.audit_log().store().size().is_ok());
    let router = kura_http::app(api::routes(state), config, hooks);
    let listener = kura_http::bind(config).await?;
    let addr = listener.local_addr()?;
    eprintln!("kura serve: listening on {}://{addr}", if config.tls() { "https" } else { "http" });
    let signer_task = (a.checkpoint_every > 0).then(|| {
        let vault = Arc::clone(&vault);
        let dir = g.vault.clone();
        let every = Duration::from_secs(a.checkpoint_every);
        tokio::spawn(async move {
            let mut signed = 0u64;
            loop {
                tokio::time::sleep(every).await;
                let (vault, dir) = (Arc::clone(&vault), dir.clone());
                let result = tokio::task::spawn_blocking(move || sign(&vault, &dir, signed)).await;
                match result {
                    Ok(Ok(size)) => signed = size,
                    Ok(Err(e)) => tracing::error!("checkpoint not signed: {e:#}"),
                    Err(_) => tracing::error!("checkpoint signer panicked"),
                }
            }
        })
    });
    // Incident deadlines: an alert (and the webhook) when a required report is due within a day or overdue.
    let deadline_task = tokio::spawn(kura_http::api::watch_deadlines(Arc::clone(&vault), DEADLINES_EVERY));
    listener.serve(router, kura_http::shutdown_signal()).await;
    deadline_task.abort();
    if let Some(task) = signer_task {
        task.abort();
    }
    let dir = g.vault.clone();
    let size = tokio::task::spawn_blocking(move || sign(&vault, &dir, 0)).await.context("signer panicked")??;
    eprintln!("kura serve: stopped; checkpoint signed at {size} entries");
    Ok(())
}

/// Signs a checkpoint when the log grew past `signed`; returns the signed size.
fn sign(vault: &kura::Vault, dir: &std::path::Path, signed: u64) -> Result<u64> {
    let size = vault.audit_log().store().size()?;
    if size == signed {
        return Ok(signed);
    }
    let (cp, _) = vault.signer(dir)?.sign(vault.audit_log().store())?;
    Ok(cp.size)
}

/// A throwaway vault in `dir`: the document lists routes, it reads no vault.
fn open_for_document(dir: &std::path::Path) -> Result<kura::Vault> {
    let keys = kura::keys::keyfile::KeyFile::create(
        &dir.join("root.key"),
        "openapi",
        &secrecy::SecretString::from("openapi document".to_owned()),
        kura::keys::keyfile::KdfParams::dangerous_for_tests(),
    )?;
    let store = kura::store::sqlite::SqliteStore::open(&dir.join("vault"), true)?;
    Ok(kura::Vault::create(Box::new(store), Box::new(keys))?)
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("kura-openapi-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
