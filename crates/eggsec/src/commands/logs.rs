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
    /// Follow log files as they grow (across egg-logrotator's rotation, truncation and
    /// restarts) and raise alerts in real time: secrets or personal data written to a log,
    /// CSRF-failure bursts, brute-force logins, scanners, error spikes, injection payloads.
    /// Alerts go to stdout as JSON lines, and to webhooks and log-shipper sockets. Runs until
    /// SIGTERM/SIGINT (exit 0), `--for` elapses or, with `--once`, after one round.
    Watch(WatchArgs),
    /// Convert log records to Elastic Common Schema events (NDJSON, secrets redacted), the
    /// fields the Sigma rules use: ship them to Elasticsearch, Splunk or Loki.
    Ecs(EcsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookFormat {
    /// Chosen from the URL (DingTalk, Feishu/Lark, Slack robot hosts), else json.
    Auto,
    Json,
    Slack,
    Dingtalk,
    Feishu,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Log directories (`~/logs/<app>/`) or files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where read offsets are kept across restarts (default: a file per set of paths in
    /// eggsec's cache directory).
    #[arg(long, value_name = "FILE", conflicts_with = "no_state")]
    pub state: Option<PathBuf>,
    /// Keep no state: every start reads only what is appended from then on.
    #[arg(long)]
    pub no_state: bool,
    /// Files found at the first start are read from their beginning, not their end.
    #[arg(long)]
    pub from_start: bool,
    /// How often the files are checked, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub interval: u64,
    /// POST alerts to URL (repeatable): Slack, DingTalk, Feishu robots or any JSON endpoint.
    #[arg(long, value_name = "URL")]
    pub webhook: Vec<String>,
    #[arg(long, value_enum, default_value_t = HookFormat::Auto)]
    pub webhook_format: HookFormat,
    /// The robot's signing secret (DingTalk `SEC...`, Feishu); also EGGSEC_WEBHOOK_SECRET.
    #[arg(long, value_name = "SECRET")]
    pub webhook_secret: Option<String>,
    /// Send alerts as Elastic Common Schema JSON lines to a Logstash/Filebeat socket
    /// (`tcp://host:port` or `udp://host:port`).
    #[arg(long, value_name = "ADDR")]
    pub ecs_socket: Option<String>,
    /// Send alerts as GELF 1.1 to a Graylog input (`tcp://host:port` or `udp://host:port`).
    #[arg(long, value_name = "ADDR")]
    pub gelf_socket: Option<String>,
    /// Alerts per rule per minute; the rest are summed up in a digest.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub rate: usize,
    /// Seconds between digests of held-back alerts.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub digest_every: u64,
    /// CSRF rejections within a minute that make a burst.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub csrf_threshold: usize,
    /// Authentication failures per IP or account within 5 minutes that make a brute force.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub brute_threshold: usize,
    /// Client errors (4xx) per IP within a minute that make a scan.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub scan_threshold: usize,
    /// Server errors within a minute that make a spike.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub error_threshold: usize,
    /// An extra phrase that marks an authentication failure in your app's logs (repeatable).
    #[arg(long = "auth-pattern", value_name = "TEXT")]
    pub auth_patterns: Vec<String>,
    /// One round, then exit (1 when it raised an alert, else 0): for cron and tests.
    #[arg(long)]
    pub once: bool,
    /// Stop after SECS seconds.
    #[arg(long = "for", value_name = "SECS")]
    pub for_secs: Option<u64>,
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
    /// Replace IN atomically (temporary file + rename; IN is untouched on any error). Lines
    /// appended during the run are followed and redacted too. A file another process holds
    /// open for writing (the running app's log) is masked in the file itself instead (each
    /// value overwritten by as many `*`), so that process's next lines are not lost.
    #[arg(long)]
    pub in_place: bool,
    /// With --in-place on a symlink: redact the file it points to (the link is kept). Without
    /// it a symlink is refused, since the link would be replaced while its target keeps every
    /// secret.
    #[arg(long, requires = "in_place")]
    pub follow: bool,
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
        LogsCommand::Watch(a) => watch(a),
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
        LogsFormat::Sarif => {
            // Log paths are as scanned (relative to the current directory, or absolute).
            let _ = &root;
            eggsec_report::render_sarif_with(
                &eggsec_logs::output::as_report(&result, "."),
                &eggsec_rules::docs::all_descriptors(),
                &super::sarif_options("logs", std::path::Path::new("."))?,
            )
        }
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
        eggsec_logs::redact::redact_in_place(&a.input, a.follow)?
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
    if !stats.masked_in_place_for.is_empty() {
        let pids: Vec<String> = stats
            .masked_in_place_for
            .iter()
            .map(u32::to_string)
            .collect();
        eprintln!(
            "eggsec: {}: process {} writes to it, so the values were masked in the file itself (same length, `*`) rather than the file replaced; lines it writes from now on are not redacted",
            a.input.display(),
            pids.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The default state file: one per set of watched paths, in eggsec's cache directory.
fn default_state(paths: &[PathBuf]) -> PathBuf {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in paths {
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        h.update(abs.to_string_lossy().as_bytes());
        h.update(b"\0");
    }
    let hex: String = h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    eggsec_deps::registry::cache_dir()
        .join("watch")
        .join(format!("{hex}.json"))
}

fn watch(a: WatchArgs) -> Result<ExitCode> {
    use eggsec_logs::watch::{HookKind, Outbox, Sink, SocketFormat, SocketSink, Watcher, Webhook};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let scan = eggsec_logs::ScanOptions {
        auth_patterns: a.auth_patterns.clone(),
        csrf_threshold: a.csrf_threshold,
        brute_threshold: a.brute_threshold,
        burst_threshold: a.scan_threshold,
        spike_threshold: a.error_threshold,
        ..eggsec_logs::ScanOptions::default()
    };
    let state = if a.no_state {
        None
    } else {
        Some(a.state.clone().unwrap_or_else(|| default_state(&a.paths)))
    };
    let opts = eggsec_logs::watch::WatchOptions {
        scan,
        state,
        from_start: a.from_start,
        per_rule_per_minute: a.rate.max(1),
        digest_every: std::time::Duration::from_secs(a.digest_every.max(1)),
    };
    let mut watcher = Watcher::new(a.paths.clone(), opts).map_err(anyhow::Error::msg)?;
    let secret = a
        .webhook_secret
        .clone()
        .or_else(|| std::env::var("EGGSEC_WEBHOOK_SECRET").ok())
        .filter(|s| !s.is_empty());
    let mut sinks: Vec<Box<dyn Sink>> =
        vec![Box::new(eggsec_logs::watch::JsonLines(std::io::stdout()))];
    for url in &a.webhook {
        let kind = match a.webhook_format {
            HookFormat::Json => HookKind::Json,
            HookFormat::Slack => HookKind::Slack,
            HookFormat::Dingtalk => HookKind::Dingtalk(secret.clone()),
            HookFormat::Feishu => HookKind::Feishu(secret.clone()),
            HookFormat::Auto if url.contains("oapi.dingtalk.com") => {
                HookKind::Dingtalk(secret.clone())
            }
            HookFormat::Auto
                if url.contains("open.feishu.cn") || url.contains("open.larksuite.com") =>
            {
                HookKind::Feishu(secret.clone())
            }
            HookFormat::Auto if url.contains("hooks.slack.com") => HookKind::Slack,
            HookFormat::Auto => HookKind::Json,
        };
        sinks.push(Box::new(Webhook::new(url.clone(), kind)));
    }
    if let Some(s) = &a.ecs_socket {
        sinks.push(Box::new(
            SocketSink::parse(s, SocketFormat::Ecs).map_err(anyhow::Error::msg)?,
        ));
    }
    if let Some(s) = &a.gelf_socket {
        sinks.push(Box::new(
            SocketSink::parse(s, SocketFormat::Gelf).map_err(anyhow::Error::msg)?,
        ));
    }
    let mut outbox = Outbox::new(sinks);
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handlers")?;
    }
    let deadline = a
        .for_secs
        .map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s));
    let interval = std::time::Duration::from_millis(a.interval.max(10));
    let mut reported = 0;
    let mut raised = false;
    let mut last_errors: Vec<String> = Vec::new();
    loop {
        let alerts = watcher.poll();
        raised |= !alerts.is_empty();
        for d in &watcher.diagnostics[reported..] {
            eprintln!("eggsec: warning: {d}");
        }
        reported = watcher.diagnostics.len();
        let errors = outbox.send(&alerts);
        for e in &errors {
            if !last_errors.contains(e) {
                eprintln!("eggsec: warning: {e}");
            }
        }
        last_errors = errors;
        let done = a.once
            || stop.load(Ordering::Relaxed)
            || deadline.is_some_and(|d| std::time::Instant::now() >= d);
        if done {
            break;
        }
        // Sleep in small steps so a signal ends the run promptly.
        let until = std::time::Instant::now() + interval;
        while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(20).min(interval));
        }
    }
    if watcher.has_suppressed() {
        let digest = watcher.digest();
        outbox.send(&[digest]);
    }
    if outbox.pending() > 0 {
        eprintln!(
            "eggsec: warning: {} alerts could not be delivered before shutdown",
            outbox.pending()
        );
    }
    if outbox.dropped > 0 {
        eprintln!(
            "eggsec: warning: {} alerts were dropped (a sink was down for too long)",
            outbox.dropped
        );
    }
    Ok(if a.once && raised {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
