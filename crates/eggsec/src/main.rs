//! `eggsec` — a fast, single-binary security auditor for Egg.js applications.
//!
//! This crate is thin: it parses arguments (clap), wires the library crates together, prints,
//! and maps outcomes to exit codes: 0 nothing at or above `--fail-on`, 1 findings at or above it,
//! 2 usage or runtime error.

mod cli;
mod commands;
mod output;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("eggsec: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
