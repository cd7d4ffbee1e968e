//! `eggsec advisories`: import a full OSV export into the user's cache directory (replacing
//! the embedded default database for `deps`, `watch` and `audit`), or show which is in use.

use crate::cli::{AdvisoriesAction, AdvisoriesArgs};
use anyhow::{bail, Context, Result};
use eggsec_deps::db::{self, Database};
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: AdvisoriesArgs) -> Result<ExitCode> {
    match args.action {
        AdvisoriesAction::Status => {
            let d = db::installed();
            println!("{} ({} advisories)", d.source, d.len());
            for p in &d.problems {
                eprintln!("eggsec: warning: {}: {}", p.file, p.message);
            }
            Ok(ExitCode::SUCCESS)
        }
        AdvisoriesAction::Update { from } => {
            let loaded = if from.starts_with("http://") || from.starts_with("https://") {
                let agent: ureq_agent::Agent = ureq_agent::agent();
                let bytes = agent
                    .get(&from)
                    .call()
                    .and_then(|mut r| r.body_mut().with_config().limit(2 << 30).read_to_vec());
                let bytes = bytes
                    .with_context(|| format!("downloading {}", eggsec_deps::redact_url(&from)))?;
                Database::load_bytes(&bytes, &eggsec_deps::redact_url(&from))?
            } else {
                let p = Path::new(&from);
                if !p.exists() {
                    bail!("{from}: no such file or directory");
                }
                Database::load_path(p)?
            };
            for p in loaded.problems.iter().take(20) {
                eprintln!("eggsec: warning: {}: {} (skipped)", p.file, p.message);
            }
            if loaded.problems.len() > 20 {
                eprintln!(
                    "eggsec: warning: {} more records skipped",
                    loaded.problems.len() - 20
                );
            }
            if loaded.is_empty() {
                bail!("{from}: no npm advisory found; the installed database is unchanged");
            }
            let target = db::installed_path();
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let text = loaded.to_compact(&format!(
                "OSV export from {}",
                eggsec_deps::redact_url(&from)
            ));
            super::emit(&text, Some(&target))?;
            println!(
                "installed {} npm advisories ({} skipped) into {}",
                loaded.len(),
                loaded.problems.len(),
                target.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// ureq, as eggsec_deps configures it (timeouts, no redirects off the given URL).
mod ureq_agent {
    pub use ureq::Agent;
    pub fn agent() -> Agent {
        Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(300)))
            .build()
            .into()
    }
}
