//! `eggsec logs`: scan Egg.js logs for secrets, personal data and attacks; redact them;
//! export the event detections as Sigma rules.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use eggsec_report::Severity;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(subcommand)]
    pub command: LogsCommand,
}

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Scan log files and directories (`~/logs/<app>/`): text and JSON logs, schedule logs,
    /// rotated (`.YYYY-MM-DD`, `-HH`, `.N`) and `.gz` files. Exit 1 when a finding is at or
    /// above --fail-on.
    Scan(ScanArgs),
    /// Redact secrets and personal data from a log, keeping every line's structure.
    Redact(RedactArgs),
    /// Write the event detections as Sigma rules (YAML) into DIR.
    Sigma(SigmaArgs),
    /// Convert log records to Elastic Common Schema events (NDJSON, secrets redacted), the
    /// fields the Sigma rules use: ship them to Elasticsearch, Splunk or Loki.
    Ecs(EcsArgs),
}

#[derive(Debug, Args)]
pub struct EcsArgs {
    /// Log files or directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogsFormat {
    Text,
    Json,
    /// Elastic Common Schema NDJSON (one alert per line).
    Ecs,
    /// Graylog GELF 1.1 NDJSON.
    Gelf,
    Sarif,
    /// One self-contained HTML page: the summary and the findings.
    Html,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Log files or directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only records logged at or after T: `2026-11-29`, `2026-11-29 01:00`, or `2h`, `7d` back
    /// from now (log times are local wall-clock times without a zone).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value_t = LogsFormat::Text)]
    pub format: LogsFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// POST a summary (masked) to URL: Slack, DingTalk, Feishu robots or any JSON endpoint.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,
    /// An extra phrase that marks an authentication failure in your app's logs (repeatable).
    #[arg(long = "auth-pattern", value_name = "TEXT")]
    pub auth_patterns: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The log to redact (`.gz` is read transparently).
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Write the redacted log to OUT (default: stdout). A name ending in `.gz` is gzipped.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUT",
        conflicts_with = "in_place"
    )]
    pub output: Option<PathBuf>,
    /// Replace IN atomically (temporary file + rename; IN is untouched on any error).
    #[arg(long)]
    pub in_place: bool,
}

#[derive(Debug, Args)]
pub struct SigmaArgs {
    /// Directory to write the rules into (created if missing).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
}

pub fn run(args: LogsArgs) -> Result<ExitCode> {
    match args.command {
        LogsCommand::Scan(a) => scan(a),
        LogsCommand::Redact(a) => redact(a),
        LogsCommand::Ecs(a) => ecs(a),
        LogsCommand::Sigma(a) => {
            let written =
                eggsec_logs::sigma::write(&a.output, &eggsec_logs::ScanOptions::default())
                    .with_context(|| format!("writing Sigma rules to {}", a.output.display()))?;
            for p in written {
                eprintln!("wrote {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn scan(a: ScanArgs) -> Result<ExitCode> {
    let fail_on: Severity = a.fail_on.parse().map_err(anyhow::Error::msg)?;
    let mut opts = eggsec_logs::ScanOptions {
        auth_patterns: a.auth_patterns.clone(),
        ..Default::default()
    };
    if let Some(s) = &a.since {
        opts.since = Some(eggsec_logs::parse_since(s, now_ms()).map_err(anyhow::Error::msg)?);
    }
    for p in &a.paths {
        if !p.exists() {
            bail!("{}: no such file or directory", p.display());
        }
    }
    let result = eggsec_logs::scan_paths(&a.paths, &opts);
    for e in &result.errors {
        eprintln!("eggsec: warning: {e}");
    }
    let root = a
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let text = match a.format {
        LogsFormat::Text => eggsec_logs::output::render_text(&result),
        LogsFormat::Json => eggsec_logs::output::render_json(&result),
        LogsFormat::Ecs => eggsec_logs::output::render_ecs(&result),
        LogsFormat::Gelf => eggsec_logs::output::render_gelf(&result),
        LogsFormat::Sarif => eggsec_logs::output::render_sarif(&result, &root),
        LogsFormat::Html => {
            let command = format!(
                "eggsec logs scan {} --format html",
                a.paths
                    .iter()
                    .map(|p| super::html::shell_word(&p.display().to_string()))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let mut doc = super::html::document("Egg.js log scan", command);
            doc.logs = Some(super::html::logs_section(&result));
            let report = eggsec_report::Report {
                apps: vec![eggsec_report::AppReport {
                    root: root.clone(),
                    env: String::new(),
                    findings: result.findings.iter().map(|f| f.finding.clone()).collect(),
                    posture: Vec::new(),
                    diagnostics: result.errors.clone(),
                }],
            };
            eggsec_report::render_html(&report, &doc, &Default::default())
        }
    };
    if !(text.is_empty() && a.output.is_none()) {
        super::emit(&text, a.output.as_deref())?;
    }
    if let Some(url) = &a.webhook {
        match eggsec_logs::webhook::post(url, &result) {
            Ok(_) => {}
            Err(e) => eprintln!("eggsec: warning: {e}"),
        }
    }
    if result.files.is_empty() && !result.errors.is_empty() {
        bail!("no log file could be read");
    }
    let failing = result
        .findings
        .iter()
        .any(|f| f.finding.severity >= fail_on);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn ecs(a: EcsArgs) -> Result<ExitCode> {
    use std::io::Write;
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in &a.paths {
        if !p.exists() {
            bail!("{}: no such file or directory", p.display());
        }
        eggsec_logs::kind::walk(p, &mut files, &mut errors);
    }
    let sink: Box<dyn Write> = match &a.output {
        Some(p) => {
            Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 20, sink);
    let mut total = 0;
    for f in &files {
        match eggsec_logs::ecs::export(f, &mut w) {
            Ok(n) => total += n,
            Err(e) => errors.push(e),
        }
    }
    w.flush()?;
    for e in &errors {
        eprintln!("eggsec: warning: {e}");
    }
    eprintln!("eggsec: {total} ECS events from {} files", files.len());
    Ok(ExitCode::SUCCESS)
}

fn redact(a: RedactArgs) -> Result<ExitCode> {
    if !a.input.is_file() {
        bail!("{}: not a file", a.input.display());
    }
    let stats = if a.in_place {
        eggsec_logs::redact::redact_in_place(&a.input)?
    } else {
        if a.output.as_deref() == Some(a.input.as_path()) {
            bail!("-o names the input file: use --in-place to replace it atomically");
        }
        eggsec_logs::redact::redact_to(&a.input, a.output.as_deref())?
    };
    eprintln!(
        "eggsec: {}: {} lines, {} values redacted",
        a.input.display(),
        stats.lines,
        stats.redactions
    );
    Ok(ExitCode::SUCCESS)
}
