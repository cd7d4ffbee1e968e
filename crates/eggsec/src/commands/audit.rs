//! `eggsec audit`: every static rule over each app and env, the posture report, exit codes.

use crate::cli::{AuditArgs, Format};
use anyhow::{Context, Result};
use eggsec_report::Strategy;
use eggsec_report::{render_json, render_markdown, render_text, Report, Severity, TextOptions};
use eggsec_rules::baseline::Baseline;
use eggsec_rules::posture::ExternalCheck;
use std::io::IsTerminal;
use std::process::ExitCode;

/// `--fail-on`: a severity, or `none`.
pub fn parse_fail_on(s: &str) -> Result<Option<Severity>> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|e: String| anyhow::anyhow!("--fail-on: {e} or none"))
}

pub fn run(args: AuditArgs) -> Result<ExitCode> {
    // the plugin-usage scan (PLG001 / this table) starts while the app loads
    eggsec_app::usage::prescan_while_loading(true);
    // the HTML report's plugin table analyses each app once more, after PLG001
    eggsec_app::usage::keep_prescans(args.format == Format::Html);
    warm_up();
    let started = now();
    let fail_on = parse_fail_on(&args.fail_on)?;
    let min_severity: Option<Severity> = match &args.min_severity {
        Some(s) => Some(
            s.parse()
                .map_err(|e: String| anyhow::anyhow!("--min-severity: {e}"))?,
        ),
        None => None,
    };
    let baseline = match &args.baseline {
        Some(p) => Some(Baseline::load(p).with_context(|| format!("--baseline {}", p.display()))?),
        None => None,
    };
    // One pass per env asked for; `None` means "config/env, else prod".
    let envs: Vec<Option<&str>> = if args.envs.is_empty() {
        vec![None]
    } else {
        args.envs.iter().map(|e| Some(e.as_str())).collect()
    };

    let html = args.format == Format::Html;
    let mut report = Report::default();
    let mut help_uri_base: Option<String> = None;
    // For the HTML page and the history: per app report, its model's root, plugins and history.
    let mut extras = Vec::new();
    let mut roots: Vec<(std::path::PathBuf, String)> = Vec::new();
    let mut known = Vec::new();
    let mut live = Live::default();
    let mut diff_text = String::new();
    // Every app model, kept to the end of the run (see below).
    let mut loaded = Vec::new();
    for env in envs {
        let (models, failed) = super::load_models_and_failures(&args.app, env)?;
        for (root, why) in failed {
            // An app that could not be loaded stays in the report (and the exit code).
            report.apps.push(eggsec_report::AppReport {
                root: display_root(&root, &args.app.path),
                env: env.unwrap_or("prod").to_string(),
                findings: Vec::new(),
                posture: Strategy::ALL
                    .into_iter()
                    .map(eggsec_report::Posture::not_assessed)
                    .collect(),
                diagnostics: vec![format!(
                    "{} {why}; this app was not audited",
                    eggsec_report::report::UNREAD_PREFIX
                )],
            });
        }
        for model in models {
            let mut settings = super::load_settings(&model.root)?;
            if help_uri_base.is_none() {
                help_uri_base = settings.report.help_uri_base.clone();
            }
            settings.baseline = baseline.clone();
            let external = external_checks(&args, &model, &mut live)?;
            let mut app_report = eggsec_js::timing::time("rules", || {
                eggsec_rules::engine::run_with_external(&model, &settings, &external)
            });
            eggsec_fix::add_posture_hints(&mut app_report);
            app_report.root = display_root(&model.root, &args.app.path);
            // an app-wide finding is shown at the app as the user named it (as its other
            // findings' files are), not at this machine's absolute path
            for f in &mut app_report.findings {
                if let eggsec_report::Location::App { root } = &mut f.location {
                    root.clone_from(&app_report.root);
                }
            }
            let mut extra = super::html::no_extras();
            if html {
                extra.plugins = super::html::plugin_rows(&model, &settings);
                known.push((model.root.clone(), super::html::env_config(&model)));
            }
            if html || args.record || args.diff {
                let view = super::html::history_view(&model.root, &app_report, args.record)?;
                if args.diff {
                    diff_text.push_str(&eggsec_report::history::render_diff_text(
                        &app_report.root,
                        &view.file,
                        view.previous.last(),
                        &view.current,
                    ));
                }
                extra.history = Some(view);
            }
            if !roots.iter().any(|(r, _)| r == &model.root) {
                roots.push((model.root.clone(), app_report.root.clone()));
            }
            extras.push(extra);
            report.apps.push(app_report);
            loaded.push(model);
        }
    }
    if let Some(min) = min_severity {
        for app in &mut report.apps {
            app.findings.retain(|f| f.severity >= min);
        }
    }

    let html_page = || {
        let mut doc = super::html::document("Egg.js security posture", command_line(&args));
        doc.apps = extras;
        let audited: Vec<String> = report.apps.iter().map(|a| a.env.clone()).collect();
        let envs = super::html::config_envs(&audited);
        doc.config = roots
            .iter()
            .map(|(root, shown)| {
                let known: Vec<_> = known
                    .iter()
                    .filter(|(r, _)| r == root)
                    .map(|(_, c)| c.clone())
                    .collect();
                super::html::config_table(root, shown, &envs, args.app.embedded_defaults, &known)
            })
            .collect();
        if let Some((root, _)) = roots.first() {
            let deps = eggsec_deps::analyze::cached(root);
            if deps.format.is_some() {
                doc.dependencies = Some(super::html::dependency_section(&deps));
            }
        }
        doc.probe = live.probe.as_ref().map(super::html::probe_section);
        doc.logs = live.logs.as_ref().map(super::html::logs_section);
        let lookup = eggsec_report::read_source;
        eggsec_report::render_html(
            &report,
            &doc,
            &eggsec_report::HtmlOptions {
                code_frames: Some(&lookup),
                fix_command: Some(&super::html::fix_command),
            },
        )
    };
    let render_phase = eggsec_js::timing::phase("render");
    let text = if args.statistics {
        eggsec_report::render_statistics(&report)
    } else if args.format == Format::Html {
        html_page()
    } else {
        render(&args, &report, help_uri_base, started)
    };
    super::emit(&text, args.output.as_deref())?;
    drop(render_phase);
    if args.diff {
        // On stdout unless stdout carries a JSON/SARIF/Markdown/HTML report.
        if args.format == Format::Text || args.output.is_some() {
            println!("\n{}", diff_text.trim_end());
        } else {
            eprint!("{diff_text}");
        }
    }

    if report.is_partial() && !args.allow_partial {
        for app in &report.apps {
            if let Some(notice) = app.partial_notice() {
                eprintln!("eggsec: error: {}: {notice}", app.root);
            }
        }
        eprintln!(
            "eggsec: error: the audit is partial, so it exits 2; fix what could not be read, or pass --allow-partial"
        );
        return Ok(ExitCode::from(2));
    }
    let failed = fail_on.is_some_and(|t| report.max_severity().is_some_and(|s| s >= t));
    // The process ends once this returns: the models (every file's text, AST facts and
    // flows) and the report are left to the operating system instead of being freed one
    // allocation at a time, which took a millisecond or more of every run on a real app.
    std::mem::forget(loaded);
    std::mem::forget(report);
    Ok(if failed && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The report in `--format`.
fn render(
    args: &AuditArgs,
    report: &Report,
    help_uri_base: Option<String>,
    started: i64,
) -> String {
    match args.format {
        Format::Json => render_json(report),
        Format::Sarif => eggsec_report::render_sarif_with(
            report,
            &eggsec_rules::docs::all_descriptors(),
            &eggsec_report::SarifOptions {
                command: "audit".into(),
                help_uri_base: help_uri_base
                    .unwrap_or_else(|| eggsec_report::DEFAULT_HELP_URI_BASE.into()),
                cwd: None,
            },
        ),
        Format::Markdown => render_markdown(report),
        Format::Concise => eggsec_report::render_concise(report, args.quiet),
        Format::Github => eggsec_report::render_github(report),
        Format::Gitlab => eggsec_report::render_gitlab(report, started, now(), &|code| {
            eggsec_rules::catalog::find(code)
                .map(|e| eggsec_rules::taxonomy::tags(e.code, e.strategy))
                .unwrap_or_default()
        }),
        Format::Junit => eggsec_report::render_junit(report),
        // Rendered by `run` (it needs the app models).
        Format::Html => String::new(),
        Format::Text => {
            let choice = if args.no_color {
                crate::cli::ColorChoice::Never
            } else {
                args.color
            };
            let color = choice.resolve(args.output.is_none() && std::io::stdout().is_terminal());
            // The renderer asks for `<app root as shown>/<finding path>`.
            let lookup = eggsec_report::read_source;
            render_text(
                report,
                &TextOptions {
                    color,
                    code_frames: Some(&lookup),
                    verbose: args.verbose,
                    quiet: args.quiet,
                },
            )
        }
    }
}

/// The app root as the user named it (relative when they gave a relative path).
fn display_root(root: &std::path::Path, given: &std::path::Path) -> String {
    let given_abs = std::fs::canonicalize(given).unwrap_or_else(|_| given.to_path_buf());
    let root_abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    match root_abs.strip_prefix(&given_abs) {
        Ok(rel) if rel.as_os_str().is_empty() => given.display().to_string(),
        Ok(rel) => given.join(rel).display().to_string(),
        // Run from inside the app: the root is `..` steps above what the user named.
        Err(_) if given.is_relative() && given_abs.starts_with(&root_abs) => {
            let up = given_abs.components().count() - root_abs.components().count();
            let mut p = given.to_path_buf();
            for _ in 0..up {
                p.push("..");
            }
            let s = p.display().to_string();
            s.strip_prefix("./").unwrap_or(&s).to_string()
        }
        Err(_) => root.display().to_string(),
    }
}

/// Checks made outside the static rules, counted in the posture like rules: a passive probe of
/// `--probe URL` (each Observatory test and each probe finding) and a scan of `--logs DIR`
/// (each log finding; a clean family of detectors counts as a passing control).
/// What `--probe` and `--logs` saw (the last app's), for the HTML report.
#[derive(Default)]
struct Live {
    probe: Option<eggsec_probe::ProbeReport>,
    logs: Option<eggsec_logs::ScanResult>,
}

/// `eggsec audit PATH [--env E]... [--probe URL] [--logs DIR]`, as shown in the HTML header.
fn command_line(args: &AuditArgs) -> String {
    use super::html::shell_word;
    let mut parts = vec![
        "eggsec audit".to_string(),
        shell_word(&args.app.path.display().to_string()),
    ];
    for e in &args.envs {
        parts.push(format!("--env {}", shell_word(e)));
    }
    if let Some(u) = &args.probe {
        parts.push(format!("--probe {}", shell_word(u)));
    }
    if let Some(d) = &args.logs {
        parts.push(format!("--logs {}", shell_word(&d.display().to_string())));
    }
    if args.record {
        parts.push("--record".into());
    }
    parts.push("--format html".into());
    parts.join(" ")
}

fn external_checks(
    args: &AuditArgs,
    model: &eggsec_app::AppModel,
    live: &mut Live,
) -> Result<Vec<ExternalCheck>> {
    let mut out = Vec::new();
    if let Some(url) = &args.probe {
        let opts = eggsec_probe::ProbeOptions {
            hints: super::probe::hints_from_model(model),
            ..Default::default()
        };
        let report = eggsec_probe::probe(url, &opts)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("--probe {url}"))?;
        for e in &report.errors {
            eprintln!("eggsec: warning: probe: {e}");
        }
        out.push(ExternalCheck {
            strategy: Strategy::Headers,
            severity: Severity::Info,
            control: String::new(),
            findings: Vec::new(),
            facts: vec![format!(
                "Live probe of {}: Observatory (v{}) {}",
                report.target,
                report.observatory.algorithm_version,
                report.observatory.summary()
            )],
        });
        for t in report
            .observatory
            .tests
            .iter()
            .filter(|t| t.pass && !t.result.ends_with("not-assessed"))
        {
            out.push(ExternalCheck {
                strategy: Strategy::Headers,
                severity: Severity::Low,
                control: format!(
                    "Live responses pass the Observatory `{}` test ({})",
                    t.name, t.result
                ),
                findings: Vec::new(),
                facts: Vec::new(),
            });
        }
        let findings = eggsec_probe::findings::merge_repeats(report.findings.clone());
        out.extend(findings.into_iter().map(|f| ExternalCheck {
            strategy: f.strategy,
            severity: f.severity,
            control: String::new(),
            findings: vec![f],
            facts: Vec::new(),
        }));
        live.probe = Some(report);
    }
    if let Some(dir) = &args.logs {
        let scan = eggsec_logs::scan::scan_paths(std::slice::from_ref(dir), &Default::default());
        for e in &scan.errors {
            eprintln!("eggsec: warning: logs: {e}");
        }
        use eggsec_logs::rules::Family;
        for (family, control) in [
            (Family::Secret, "No secrets (passwords, tokens, keys) found in the logs scanned"),
            (Family::PersonalData, "No personal data (IDs, phone numbers, cards) found in the logs scanned"),
            (Family::SecurityEvent, "No security events (CSRF/auth failures, brute force, scanning) in the logs scanned"),
        ] {
            let findings: Vec<_> = scan
                .findings
                .iter()
                .filter(|f| f.family == family)
                .map(|f| f.finding.clone())
                .collect();
            out.push(ExternalCheck {
                strategy: Strategy::Logging,
                severity: findings.iter().map(|f| f.severity).max().unwrap_or(Severity::Medium),
                control: format!(
                    "{control} ({} files, {} lines)",
                    scan.files.len(),
                    scan.total_lines
                ),
                findings,
                facts: Vec::new(),
            });
        }
        live.logs = Some(scan);
    }
    Ok(out)
}

/// Builds, on a thread of its own, the embedded data every audit reads — the plugin
/// knowledge, the sink models, the advisory database — while this thread finds the app and
/// starts reading it: the first milliseconds of a run otherwise keep one core busy and the
/// other idle. Each is a `OnceLock`: whichever thread asks first
/// builds it and the other waits for that one value, so the results are the same as without
/// this. (Warming the rules' patterns too was measured slower: their memory is fresh pages.)
/// Started once per process: before the arguments are parsed when the command line looks
/// like an audit (see [`super::prestart`]), else here.
pub(super) fn warm_up() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("eggsec-warm".into())
            .spawn(|| {
                let _ = eggsec_app::defaults::plugin_knowledge();
                let _ = eggsec_js::models::Models::embedded();
                let _ = eggsec_deps::db::installed();
            });
    });
}
