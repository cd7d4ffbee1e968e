//! `eggsec probe URL`: grade and check a running app; findings in the shared report formats.

use crate::cli::{AppArgs, ProbeArgs, ProbeFormat};
use anyhow::{bail, Context, Result};
use eggsec_probe::http::ClientOptions;
use eggsec_probe::{AppHints, ProbeOptions, ProbeReport};
use eggsec_report::{
    render_json, render_sarif, render_text, AppReport, Posture, Report, Severity, Strategy,
    TextOptions,
};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(args: ProbeArgs) -> Result<ExitCode> {
    let fail_on: Severity = args.fail_on.parse().map_err(anyhow::Error::msg)?;
    let opts = options(&args)?;
    let report = eggsec_probe::probe(&args.url, &opts).map_err(anyhow::Error::msg)?;
    for e in &report.errors {
        eprintln!("eggsec: warning: {e}");
    }
    let text = match args.format {
        ProbeFormat::Json => render_probe_json(&report),
        ProbeFormat::Sarif => render_sarif(&as_report(&report), &[]),
        ProbeFormat::Html => {
            let command = format!(
                "eggsec probe {}{} --format html",
                super::html::shell_word(&report.target),
                if args.active { " --active" } else { "" }
            );
            let mut doc = super::html::document("Egg.js live probe", command);
            doc.probe = Some(super::html::probe_section(&report));
            eggsec_report::render_html(&as_report(&report), &doc, &Default::default())
        }
        ProbeFormat::Text => {
            let color = args.output.is_none() && std::io::stdout().is_terminal();
            render_probe_text(&report, color)
        }
    };
    super::emit(&text, args.output.as_deref())?;
    let failed = report.findings.iter().any(|f| f.severity >= fail_on);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn options(args: &ProbeArgs) -> Result<ProbeOptions> {
    if args.budget == 0 {
        bail!("--budget must be at least 1");
    }
    let timeout = eggsec_probe::parse_timeout(&args.timeout).map_err(anyhow::Error::msg)?;
    let mut headers = Vec::new();
    for h in &args.headers {
        let Some((k, v)) = h.split_once(':') else {
            bail!("--header '{h}': expected 'Name: value'");
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_graphic()) {
            bail!("--header '{h}': invalid header name");
        }
        headers.push((k.to_string(), v.trim().to_string()));
    }
    let mut cookies = Vec::new();
    for c in &args.cookies {
        let Some((k, v)) = c.split_once('=') else {
            bail!("--cookie '{c}': expected 'name=value'");
        };
        cookies.push((k.trim().to_string(), v.trim().to_string()));
    }
    let hints = match &args.app {
        Some(path) => hints_from_app(path, args.env.as_deref())?,
        None => AppHints::default(),
    };
    let algorithm = eggsec_probe::observatory::Algorithm::parse(&args.observatory_version)
        .map_err(anyhow::Error::msg)?;
    Ok(ProbeOptions {
        client: ClientOptions {
            budget: args.budget,
            timeout,
            headers,
            cookies,
            cacert: args.cacert.clone(),
            insecure: args.insecure,
            ..ClientOptions::default()
        },
        concurrency: args.concurrency.max(1),
        active: args.active,
        assume_https: args.assume_https,
        algorithm,
        hints,
    })
}

/// What the app's model tells the probe: its parameter-free GET routes, its state-changing
/// routes (params filled with a harmless placeholder), the static prefix, the CSRF settings
/// and the JSON body limit.
fn hints_from_app(path: &std::path::Path, env: Option<&str>) -> Result<AppHints> {
    let app_args = AppArgs {
        path: path.to_path_buf(),
        runtime_dump: None,
        embedded_defaults: false,
    };
    let models = super::load_models(&app_args, env).context("--app")?;
    Ok(hints_from_model(&models[0]))
}

/// [`AppHints`] from an app model (also used by `eggsec audit --probe`).
pub(super) fn hints_from_model(model: &eggsec_app::AppModel) -> AppHints {
    let path = &model.root;
    let mut hints = AppHints::default();
    let str_at = |key: &str| {
        model
            .config_at(key)
            .and_then(|v| v.as_str().map(str::to_string))
    };
    if let Some(p) = str_at("static.prefix") {
        hints.static_prefix = p;
    }
    if let Some(t) = str_at("security.csrf.type") {
        hints.csrf_type = t;
    }
    if let Some(n) = str_at("security.csrf.cookieName") {
        hints.csrf_cookie_name = n;
    }
    if let Some(n) = str_at("security.csrf.headerName") {
        hints.csrf_header_name = n;
    }
    if let Some(limit) = model
        .config_at("bodyParser.jsonLimit")
        .and_then(|v| {
            v.as_str()
                .map(parse_size)
                .or_else(|| v.as_f64().map(|n| Some(n as u64)))
        })
        .flatten()
    {
        hints.json_limit = limit;
    }
    for (key, why) in super::config::not_effective(model) {
        hints.not_effective.push((key, why));
    }
    for r in &model.routes {
        if r.regex_path {
            continue;
        }
        let path = match &r.namespace {
            Some(ns) => format!("{}{}", ns.trim_end_matches('/'), r.path),
            None => r.path.clone(),
        };
        let has_params = path.contains(':') || path.contains('*') || path.contains('(');
        if r.method == "GET" && !has_params {
            if !hints.get_routes.contains(&path) {
                hints.get_routes.push(path);
            }
        } else if r.is_state_changing() {
            let method = if r.method == "ALL" {
                "POST"
            } else {
                r.method.as_str()
            };
            let filled = fill_params(&path);
            let entry = (method.to_string(), filled);
            if !hints.state_changing.contains(&entry) {
                hints.state_changing.push(entry);
            }
        }
    }
    hints.notes.push(format!(
        "--app {}: env {}, {} routes ({} parameter-free GET, {} state-changing)",
        path.display(),
        model.env,
        model.routes.len(),
        hints.get_routes.len(),
        hints.state_changing.len()
    ));
    hints
}

/// `/users/:id/posts/:pid?` → `/users/eggsec-probe/posts/eggsec-probe`: a value no real record has.
fn fill_params(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with(':') || seg.starts_with('*') {
                "eggsec-probe"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `'100kb'`, `'1mb'`, `'512'` → bytes (egg's `bytes` format).
fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    let digits: String = t
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let n: f64 = digits.parse().ok()?;
    let unit = t[digits.len()..].trim();
    let mult = match unit {
        "" | "b" => 1.0,
        "kb" => 1024.0,
        "mb" => 1024.0 * 1024.0,
        "gb" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((n * mult) as u64)
}

/// The probe's findings as a one-app report (root = the URL, env = `probe`). The posture
/// counts what the probe showed: each finding, and CSRF enforcement on the routes where the
/// `--active` tests passed; strategies the probe says nothing about stay not assessed.
fn as_report(report: &ProbeReport) -> Report {
    use eggsec_rules::posture::{compute_with, ExternalCheck};
    let mut checks: Vec<ExternalCheck> = report
        .findings
        .iter()
        .map(|f| ExternalCheck {
            strategy: f.strategy,
            severity: f.severity,
            control: String::new(),
            findings: vec![f.clone()],
            facts: Vec::new(),
        })
        .collect();
    if !report.csrf_enforced.is_empty() {
        checks.push(ExternalCheck {
            strategy: Strategy::Csrf,
            severity: Severity::High,
            control: format!(
                "CSRF enforced on {} routes (live --active test: no token and a wrong token got 403)",
                report.csrf_enforced.len()
            ),
            findings: Vec::new(),
            facts: report
                .csrf_enforced
                .iter()
                .map(|r| format!("CSRF enforced: {r}"))
                .collect(),
        });
    }
    let posture = if checks.is_empty() {
        Strategy::ALL
            .into_iter()
            .map(Posture::not_assessed)
            .collect()
    } else {
        compute_with(&[], &checks)
    };
    Report {
        apps: vec![AppReport {
            root: report.target.clone(),
            env: "probe".into(),
            findings: report.findings.clone(),
            posture,
            diagnostics: report.errors.clone(),
        }],
    }
}

/// `{"target","observatory":{"score","grade","tests":[...]},"findings":[...],...}`; each finding
/// is the same object `eggsec audit --format json` prints (with `url`).
pub fn render_probe_json(report: &ProbeReport) -> String {
    let audit: serde_json::Value =
        serde_json::from_str(&render_json(&as_report(report))).unwrap_or_default();
    let findings = audit["apps"][0]["findings"].clone();
    let doc = serde_json::json!({
        "target": report.target,
        "graded_url": report.graded_url,
        "observatory": report.observatory,
        "csrf_enforced": report.csrf_enforced,
        "findings": findings,
        "pages": report.pages,
        "errors": report.errors,
        "notes": report.notes,
        "requests": report.requests,
        "budget": report.budget,
        "elapsed_ms": report.elapsed_ms,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

fn render_probe_text(report: &ProbeReport, color: bool) -> String {
    use std::fmt::Write;
    let o = &report.observatory;
    let mut out = String::new();
    let _ = writeln!(out, "probe {}", report.target);
    if report.graded_url != report.target {
        let _ = writeln!(out, "graded {}", report.graded_url);
    }
    let _ = writeln!(
        out,
        "Mozilla HTTP Observatory (algorithm v{}): {}",
        o.algorithm_version,
        o.summary()
    );
    for t in &o.tests {
        let _ = writeln!(
            out,
            "  {} {:<32} {:<64} {:+}{}",
            if t.result == "not-assessed" || t.result.ends_with("not-assessed") {
                "  - "
            } else if t.pass {
                "pass"
            } else {
                "FAIL"
            },
            t.name,
            t.result,
            t.modifier,
            t.note
                .as_deref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default()
        );
    }
    if !report.csrf_enforced.is_empty() {
        let _ = writeln!(
            out,
            "CSRF enforced on {} routes: {}",
            report.csrf_enforced.len(),
            report.csrf_enforced.join(", ")
        );
    }
    for n in &report.notes {
        let _ = writeln!(out, "note: {n}");
    }
    for e in &report.errors {
        let _ = writeln!(out, "error: {e}");
    }
    let _ = writeln!(
        out,
        "{} requests (budget {}), {} ms\n",
        report.requests, report.budget, report.elapsed_ms
    );
    out.push_str(&render_text(
        &as_report(report),
        &TextOptions {
            color,
            code_frames: None,
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_params() {
        assert_eq!(parse_size("100kb"), Some(102400));
        assert_eq!(parse_size("1mb"), Some(1048576));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(fill_params("/users/:id/x"), "/users/eggsec-probe/x");
    }
}
