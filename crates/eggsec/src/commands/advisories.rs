//! `eggsec advisories`: import a full OSV export into the user's cache directory (replacing
//! the embedded default database for `deps`, `watch` and `audit`), or show which is in use.

use crate::cli::{AdvisoriesAction, AdvisoriesArgs};
use anyhow::{bail, Result};
use eggsec_deps::db::{self, Database};
use eggsec_deps::update;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: AdvisoriesArgs) -> Result<ExitCode> {
    match args.action {
        AdvisoriesAction::Status => {
            let d = db::installed();
            let age = d
                .meta
                .updated_at
                .as_deref()
                .map(|at| {
                    let days = update::age_days(d, eggsec_deps::dates::now()).unwrap_or(0);
                    format!(", updated {at}, {days} days ago")
                })
                .unwrap_or_default();
            println!("{} ({} advisories{age})", d.source, d.len());
            for p in &d.problems {
                eprintln!("eggsec: warning: {}: {}", p.file, p.message);
            }
            Ok(ExitCode::SUCCESS)
        }
        AdvisoriesAction::Update {
            from,
            url,
            full,
            replace,
        } => update(from, url, full, replace),
    }
}

/// The installed database when there is one (not the embedded fallback).
fn installed_db(target: &Path) -> Option<Database> {
    let text = eggsec_report::input::read_text_limited(target, 1 << 30).ok()?;
    Database::from_compact(&text, &target.display().to_string()).ok()
}

fn update(
    from: Option<String>,
    url: Option<String>,
    full: bool,
    replace: bool,
) -> Result<ExitCode> {
    let target = db::installed_path();
    let previous = installed_db(&target);
    if let Some(from) = from {
        let p = Path::new(&from);
        if !p.exists() {
            bail!("{from}: no such file or directory");
        }
        let loaded = Database::load_path(p)?;
        report_problems(&loaded);
        if loaded.is_empty() {
            bail!("{from}: no valid npm advisory found; the installed database is unchanged");
        }
        let n = loaded.len();
        let (mut out, added, replaced) = match (previous, replace) {
            (Some(prev), false) => prev.merged_with(loaded),
            _ => (loaded, n, 0),
        };
        out.meta.updated_at = Some(eggsec_deps::dates::format_rfc3339(eggsec_deps::dates::now()));
        update::install(&out, &target)?;
        println!(
            "imported {n} npm advisories from {from}: {added} new, {replaced} updated; {} in {}{}",
            out.len(),
            target.display(),
            if replace { " (replaced)" } else { "" }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let settings = eggsec_rules::config::Settings::load(&cwd);
    let url = url
        .or(settings.advisories.url.clone())
        .unwrap_or_else(|| update::DEFAULT_URL.to_string());
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("--url {url}: not an http(s) URL (use --from for a local file or directory)");
    }
    let opts = update::UpdateOptions {
        url: url.clone(),
        full,
        allow_shrink: replace,
        ..update::UpdateOptions::default()
    };
    eprintln!(
        "eggsec: fetching npm advisories from {}",
        eggsec_deps::redact_url(&url)
    );
    let (outcome, db) = update::fetch(&opts, previous.as_ref())?;
    report_problems(&db);
    update::install(&db, &target)?;
    match outcome {
        update::Outcome::UpToDate => println!(
            "up to date: {} npm advisories in {}",
            db.len(),
            target.display()
        ),
        update::Outcome::Full { records, skipped } => println!(
            "installed {records} npm advisories ({skipped} invalid records skipped) into {}",
            target.display()
        ),
        update::Outcome::Incremental {
            fetched,
            added,
            replaced,
        } => println!(
            "fetched {fetched} changed records: {added} new, {replaced} updated; {} npm advisories in {}",
            db.len(),
            target.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn report_problems(db: &Database) {
    for p in db.problems.iter().take(20) {
        eprintln!("eggsec: warning: {}: {} (skipped)", p.file, p.message);
    }
    if db.problems.len() > 20 {
        eprintln!(
            "eggsec: warning: {} more invalid records skipped",
            db.problems.len() - 20
        );
    }
}
