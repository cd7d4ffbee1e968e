//! `eggsec watch`: advisories and releases new since the last run, printed and optionally
//! posted to a webhook; state in `.eggsec/watch.json`, saved only after delivery.

use crate::cli::{WatchArgs, WebhookFormatArg};
use anyhow::{bail, Result};
use eggsec_deps::watch::{self, WebhookFormat};
use std::process::ExitCode;

pub fn run(args: WatchArgs) -> Result<ExitCode> {
    if !args.path.join("package.json").is_file() {
        bail!("{}: no package.json here", args.path.display());
    }
    let db = super::deps::database(args.advisories.as_deref())?;
    let mut report = eggsec_deps::analyze::analyze(&args.path, db);
    super::deps::online(&mut report, &args.path, db, args.offline, false, 8);
    for p in &report.problems {
        eprintln!("eggsec: warning: {p}");
    }
    let state = watch::read_state(&args.path).map_err(anyhow::Error::msg)?;
    let (events, next) = watch::new_events(&report, &state);
    let app = args
        .path
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| args.path.display().to_string());
    if events.is_empty() {
        println!("eggsec watch: nothing new for {app}");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", watch::text(&app, &events));
    if let Some(url) = &args.webhook {
        let format = match args.webhook_format {
            WebhookFormatArg::Json => WebhookFormat::Json,
            WebhookFormatArg::Slack => WebhookFormat::Slack,
            WebhookFormatArg::Dingtalk => WebhookFormat::Dingtalk,
            WebhookFormatArg::Feishu => WebhookFormat::Feishu,
        };
        // Not delivered → state not saved, so the next run sends these again.
        watch::post(url, &watch::payload(format, &app, &events)).map_err(anyhow::Error::msg)?;
        println!(
            "sent {} event(s) to {}",
            events.len(),
            eggsec_deps::redact_url(url)
        );
    }
    watch::write_state(&args.path, &next).map_err(anyhow::Error::msg)?;
    Ok(ExitCode::SUCCESS)
}
