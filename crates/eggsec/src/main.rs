//! `eggsec` — a fast, single-binary security auditor for Egg.js applications.
//!
//! This crate is thin: it parses arguments (clap), wires the library crates together, prints,
//! and maps outcomes to exit codes: 0 nothing at or above `--fail-on`, 1 findings at or above it,
//! 2 usage or runtime error.

// Every print of this crate goes through `out` (masking, control-character escaping, and
// exit 2 instead of a panic when stdout/stderr cannot be written): these shadow std's macros
// for all modules declared below.
macro_rules! print {
    ($($arg:tt)*) => { $crate::out::stdout(&format!($($arg)*)) };
}
macro_rules! println {
    () => { $crate::out::stdout("\n") };
    ($($arg:tt)*) => { $crate::out::stdout(&format!("{}\n", format_args!($($arg)*))) };
}
macro_rules! eprintln {
    () => { $crate::out::stderr("\n") };
    ($($arg:tt)*) => { $crate::out::stderr(&format!("{}\n", format_args!($($arg)*))) };
}

mod cli;
mod commands;
mod guard;
mod out;
mod output;

/// Counts heap bytes only when `--max-memory` is given (see `guard`).
#[global_allocator]
static ALLOC: guard::Counting = guard::Counting;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    eggsec_js::timing::start();
    commands::prestart(
        std::env::args_os()
            .skip(1)
            .find(|a| !a.as_encoded_bytes().starts_with(b"-"))
            .as_deref(),
    );
    let cli = cli::Cli::parse();
    guard::start(cli.timeout, cli.max_memory);
    let result = commands::run(cli);
    if eggsec_js::timing::enabled() {
        eprint!("{}", eggsec_js::timing::report());
    }
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("eggsec: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
