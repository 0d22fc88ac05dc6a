//! One module per subcommand.

mod alerts;
mod audit;
mod bench;
mod bench_desk;
mod bench_export;
mod bench_http;
mod bench_incident;
mod bench_log;
mod bench_trace;
mod collection;
mod demo;
mod demo_desk;
mod demo_incident;
mod demo_leak;
mod desk;
mod erase;
mod export;
mod generate;
mod get;
mod import;
mod incident;
mod init;
mod order;
mod policy;
mod principal;
mod scan;
mod serve;
mod trace;
mod update;

use anyhow::Result;

pub use self::audit::LogTampered;

use crate::cli::{CardArg, Cli, Command, Target};

pub fn run(cli: Cli) -> Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Init(a) => init::run(g, &a),
        Command::Collection(c) => collection::run(g, c),
        Command::Import(a) => import::run(g, &a),
        Command::Get(a) => get::get(g, &a),
        Command::Find(a) => get::find(g, &a),
        Command::Update(a) => update::run(g, &a),
        Command::Detokenise(a) => get::detokenise(g, &a),
        Command::Erase(a) => erase::run(g, &a),
        Command::Generate(c) => generate::run(g, c),
        Command::Audit(c) => audit::run(g, c),
        Command::Principal(c) => principal::run(g, c),
        Command::Policy(c) => policy::run(g, c),
        Command::Login(a) => principal::login(g, &a),
        Command::Logout => principal::logout(g),
        Command::Scan(a) => scan::run(g, &a),
        Command::Demo(a) => demo::run(g, &a),
        Command::Bench(a) => bench::run(g, &a),
        Command::Serve(a) => serve::run(g, &a),
        Command::Export(c) => export::run(g, c),
        Command::Trace(a) => trace::run(g, a),
        Command::Alerts(c) => alerts::run(g, c),
        Command::Canary(c) => alerts::canary(g, c),
        Command::Honey(c) => alerts::honey(g, c),
        Command::Order(c) => order::run(g, c),
        Command::Desk(c) => desk::run(g, c),
        Command::Incident(c) => incident::run(g, c),
    }
}

fn card_view(c: CardArg) -> kura::vault::CardView {
    match c {
        CardArg::Masked => kura::vault::CardView::Masked,
        CardArg::Token => kura::vault::CardView::Token,
        CardArg::Full => kura::vault::CardView::Full,
    }
}

/// A value given on the command line, or read from standard input when it is `-`.
fn value_arg(v: &str) -> Result<zeroize::Zeroizing<String>> {
    if v != "-" {
        return Ok(zeroize::Zeroizing::new(v.to_owned()));
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().read_line(&mut line)?;
    Ok(zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Resolves a record id or external id.
fn resolve(vault: &kura::Vault, access: &kura::Access, t: &Target) -> Result<kura::RecordId> {
    if t.external_id {
        Ok(vault.by_external_id(access, &t.collection, &t.id)?)
    } else {
        Ok(t.id.parse()?)
    }
}
