//! One module per command; `run` dispatches.

mod advisories;
mod audit;
mod config;
mod deps;
mod fix;
mod html;
pub mod logs;
mod plugins;
mod probe;
mod routes;
mod rules;
mod watch;
// (new command modules go above this line)

use crate::cli::{AppArgs, Cli, Command};
use anyhow::{bail, Context, Result};
use eggsec_app::{AppModel, DiagnosticLevel, LoadOptions};
use std::process::ExitCode;

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Audit(a) => audit::run(a),
        Command::Config(a) => config::run(a),
        Command::Plugins(a) => plugins::run(a),
        Command::Rules(a) => rules::list(a),
        Command::Rule(a) => rules::show(a),
        Command::Routes(a) => routes::run(a),
        Command::Fix(a) => fix::run(a),
        Command::Scaffold(a) => fix::scaffold(a),
        Command::Testgen(a) => fix::testgen(a),
        Command::Probe(a) => probe::run(a),
        Command::Deps(a) => deps::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Advisories(a) => advisories::run(a),
        Command::Logs(a) => logs::run(a),
        // (new command arms go above this line)
    }
}

/// Builds the model of every app under `args.path` (or from a runtime dump) for `env`.
/// Load diagnostics are printed to stderr, naming the file; the run goes on.
pub fn load_models(args: &AppArgs, env: Option<&str>) -> Result<Vec<AppModel>> {
    Ok(load_models_and_failures(args, env)?.0)
}

/// An app that was found but could not be loaded: its root and why.
pub type FailedApp = (std::path::PathBuf, String);

/// Like [`load_models`], also returning each app found that could not be loaded (its root and
/// why), so that a monorepo run never drops an app silently.
pub fn load_models_and_failures(
    args: &AppArgs,
    env: Option<&str>,
) -> Result<(Vec<AppModel>, Vec<FailedApp>)> {
    if let Some(dir) = &args.runtime_dump {
        let dump = eggsec_app::read_runtime_dump(dir)
            .with_context(|| format!("reading runtime dump in {}", dir.display()))?;
        let model = eggsec_app::model_from_dump(&dump);
        print_diagnostics(&model);
        return Ok((vec![model], Vec::new()));
    }
    if !args.path.exists() {
        bail!("{}: no such file or directory", args.path.display());
    }
    let roots = eggsec_app::discover(&args.path);
    if roots.is_empty() {
        bail!(eggsec_app::AppError::NotAnApp(args.path.clone()));
    }
    let opts = LoadOptions {
        env: env.map(str::to_string),
        scope: None,
        embedded_defaults_only: args.embedded_defaults,
    };
    let mut models = Vec::with_capacity(roots.len());
    let mut failed = Vec::new();
    for root in roots {
        match eggsec_app::load(&root, &opts) {
            Ok(m) => {
                print_diagnostics(&m);
                models.push(m);
            }
            Err(e) => {
                eprintln!("eggsec: error: {e}");
                failed.push((root, e.to_string()));
            }
        }
    }
    if models.is_empty() && failed.is_empty() {
        bail!(eggsec_app::AppError::NotAnApp(args.path.clone()));
    }
    if models.is_empty() && failed.len() == 1 {
        bail!("{}", failed[0].1);
    }
    Ok((models, failed))
}

fn print_diagnostics(m: &AppModel) {
    for d in &m.diagnostics {
        if d.level == DiagnosticLevel::Info {
            continue;
        }
        let level = d.level.label();
        match &d.file {
            Some(f) if d.line > 0 => {
                eprintln!("eggsec: {level}: {}:{}: {}", f.display(), d.line, d.message)
            }
            Some(f) => eprintln!("eggsec: {level}: {}: {}", f.display(), d.message),
            None => eprintln!("eggsec: {level}: {}", d.message),
        }
    }
}

/// Writes `text` to `path` atomically (temp file in the same directory, then rename), or to stdout.
pub fn emit(text: &str, path: Option<&std::path::Path>) -> Result<()> {
    let text = crate::out::clean(text);
    emit_raw(&text, path)
}

/// Like [`emit`], without masking (data files such as an advisory database).
pub fn emit_raw(text: &str, path: Option<&std::path::Path>) -> Result<()> {
    use std::io::Write;
    match path {
        None => {
            crate::out::stdout_raw(text.as_bytes());
            if !text.ends_with('\n') {
                crate::out::stdout_raw(b"\n");
            }
            Ok(())
        }
        Some(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
            tmp.write_all(text.as_bytes())?;
            tmp.persist(p)
                .with_context(|| format!("writing {}", p.display()))?;
            Ok(())
        }
    }
}
