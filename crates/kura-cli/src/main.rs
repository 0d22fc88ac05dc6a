//! The `kura` command: a thin face on the kura library.
#![forbid(unsafe_code)]

mod cli;
mod command;
mod exit;
mod open;
mod progress;

use clap::Parser;

// glibc's allocator spends a fifth of a busy server's CPU consolidating small blocks (`kura bench http`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args = cli::Cli::parse();
    let code = match command::run(args) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("error: {err:#}");
            if let Some(hint) = exit::hint(&err) {
                eprintln!("hint: {hint}");
            }
            exit::code(&err)
        }
    };
    std::process::exit(code);
}
