//! SARIF 2.1.0 output, shaped for GitHub code scanning (validated in the tests against the
//! official schema and, in the CLI tests, with Microsoft's SARIF multitool and its GitHub rules).
//!
//! - **One run per invocation**: every app and env of an `eggsec audit` goes in the same run;
//!   the app and env of each result are result properties, and `automationDetails.id` is
//!   `eggsec/<command>/` (GitHub's upload category). GitHub accepts at most 20 runs per file.
//! - **Every result has a physical location with a region**. App-wide results (and probe
//!   results, located by URL) point at the file that should carry the fix:
//!   `config/config.default.js` (or `.ts`), `config/plugin.js`, `package.json` or the lockfile.
//! - **URIs are relative to the repository root** (the git top level above the app), with
//!   `originalUriBaseIds.%SRCROOT%` giving it as a `file://` URI; outside a repository they are
//!   relative to the app root as the user typed it.
//! - Rules carry `helpUri` (configurable base), CWE/OWASP `tags`, `precision` (from the rule's
//!   confidence) and `security-severity` from the *effective* severity (the most severe result
//!   of the rule, after `eggsec.toml` overrides); a result may carry its own
//!   `security-severity` (an advisory's CVSS score) in its properties, which then wins for the
//!   rule when higher.
//! - Source → sink steps become `codeFlows`; other places involved become `relatedLocations`.

use crate::finding::{Confidence, Finding, Location, Related, Severity, Strategy};
use crate::report::{AppReport, Report};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// What SARIF says about a rule (`tool.driver.rules[]`). Built from the rule registry.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDescriptor {
    /// Stable code, the SARIF `id`: `CSRF001`.
    pub code: String,
    /// Readable kebab name: `csrf-disabled`.
    pub name: String,
    pub strategy: Strategy,
    pub default_severity: Severity,
    /// How sure the rule is when it reports (SARIF `precision`).
    pub confidence: Confidence,
    /// One sentence: what the rule finds.
    pub short_description: String,
    /// What it finds and why it matters.
    pub full_description: String,
    /// The rule's full documentation as Markdown.
    pub help_markdown: String,
    /// `security`, the strategy, `external/cwe/cwe-N`, `external/owasp/owasp-aNN`.
    pub tags: Vec<String>,
}

/// Where rule docs live when `eggsec.toml` does not say (`[report] help-uri-base`).
pub const DEFAULT_HELP_URI_BASE: &str = "https://github.com/eggsec/eggsec/blob/main/docs/rules/";

/// How to render: the command (upload category) and the docs base URL.
#[derive(Clone, Debug)]
pub struct SarifOptions {
    /// `audit`, `deps`, `probe` or `logs`: the `automationDetails.id` category.
    pub command: String,
    /// `helpUri` = base + rule name + `.md`.
    pub help_uri_base: String,
    /// The directory relative app roots are relative to (default: the current directory).
    pub cwd: Option<PathBuf>,
}

impl Default for SarifOptions {
    fn default() -> Self {
        SarifOptions {
            command: "audit".into(),
            help_uri_base: DEFAULT_HELP_URI_BASE.into(),
            cwd: None,
        }
    }
}

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub's `security-severity` scale: >= 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, < 4 low.
pub fn security_severity(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 3.0,
        Severity::Info => 0.0,
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn precision(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

/// Renders with the default options (`audit`, the default docs base URL).
pub fn render_sarif(report: &Report, rules: &[RuleDescriptor]) -> String {
    render_sarif_with(report, rules, &SarifOptions::default())
}

/// Renders the report as a SARIF 2.1.0 log (pretty JSON with a trailing newline), one run.
/// `rules` describes the rules that ran; a finding whose rule is not among them gets a
/// descriptor made from the finding itself.
pub fn render_sarif_with(report: &Report, rules: &[RuleDescriptor], opts: &SarifOptions) -> String {
    let cwd = opts
        .cwd
        .clone()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    let mut descriptors: Vec<RuleDescriptor> = rules.to_vec();
    for f in report.findings() {
        if !descriptors.iter().any(|d| d.code == f.rule) {
            descriptors.push(RuleDescriptor {
                code: f.rule.clone(),
                name: f.name.clone(),
                strategy: f.strategy,
                default_severity: f.severity,
                confidence: f.confidence,
                short_description: f.message.clone(),
                full_description: f.message.clone(),
                help_markdown: if f.remediation.is_empty() {
                    f.message.clone()
                } else {
                    f.remediation.clone()
                },
                tags: vec!["security".into(), f.strategy.as_str().into()],
            });
        }
    }
    // The repository root: the git top level above the first app (all apps of one invocation
    // are in one repository, or the URIs fall back to app-relative ones).
    let bases: Vec<UriBase> = report
        .apps
        .iter()
        .map(|a| UriBase::new(&a.root, &cwd))
        .collect();
    let repo_root = bases.iter().find_map(|b| b.repo_root.clone());

    let mut results = Vec::new();
    let mut effective: Vec<Option<f64>> = vec![None; descriptors.len()];
    for (app, base) in report.apps.iter().zip(&bases) {
        for f in &app.findings {
            let index = descriptors
                .iter()
                .position(|d| d.code == f.rule)
                .unwrap_or_default();
            let score = f.cvss.unwrap_or_else(|| security_severity(f.severity));
            effective[index] = Some(effective[index].map_or(score, |s: f64| s.max(score)));
            results.push(result(f, index, app, base, repo_root.as_deref()));
        }
    }
    let notifications: Vec<Value> = report
        .apps
        .iter()
        .flat_map(|a| {
            a.diagnostics
                .iter()
                .map(move |d| {
                    let level = if d.starts_with(crate::report::UNREAD_PREFIX) {
                        "error"
                    } else {
                        "warning"
                    };
                    json!({"level": level, "message": {"text": format!("{}: {d}", a.root)}})
                })
                .chain(a.partial_notice().map(
                    |n| json!({"level": "error", "message": {"text": format!("{}: {n}", a.root)}}),
                ))
        })
        .collect();

    let mut run = Map::new();
    run.insert(
        "tool".into(),
        json!({"driver": {
            "name": "eggsec",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://github.com/eggsec/eggsec",
            "rules": descriptors
                .iter()
                .zip(&effective)
                .map(|(d, e)| rule(d, *e, &opts.help_uri_base))
                .collect::<Vec<_>>(),
        }}),
    );
    let apps: Vec<Value> = report
        .apps
        .iter()
        .map(|a| json!({"root": a.root, "env": a.env}))
        .collect();
    run.insert(
        "automationDetails".into(),
        json!({
            "id": format!("eggsec/{}/", opts.command),
            "description": {"text": format!("eggsec {} of {} app/env pair(s)", opts.command, report.apps.len())},
            "properties": {"apps": apps},
        }),
    );
    if let Some(root) = &repo_root {
        run.insert(
            "originalUriBaseIds".into(),
            json!({"%SRCROOT%": {"uri": file_uri(root, true)}}),
        );
    }
    run.insert(
        "invocations".into(),
        json!([{"executionSuccessful": !report.apps.iter().any(|a| a.is_partial()), "toolExecutionNotifications": notifications}]),
    );
    run.insert("columnKind".into(), json!("unicodeCodePoints"));
    run.insert("results".into(), Value::Array(results));
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [Value::Object(run)],
    });
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serialises to JSON");
    out.push('\n');
    out
}

fn rule(d: &RuleDescriptor, effective: Option<f64>, help_base: &str) -> Value {
    let score = effective.unwrap_or_else(|| security_severity(d.default_severity));
    let mut tags = d.tags.clone();
    if tags.is_empty() {
        tags = vec!["security".into(), d.strategy.as_str().into()];
    }
    json!({
        "id": d.code,
        "name": d.name,
        "shortDescription": {"text": d.short_description},
        "fullDescription": {"text": d.full_description},
        "helpUri": format!("{help_base}{}.md", d.name),
        "help": {"text": d.help_markdown, "markdown": d.help_markdown},
        "defaultConfiguration": {"level": level(d.default_severity)},
        "properties": {
            "security-severity": format!("{score:.1}"),
            "precision": precision(d.confidence),
            "problem.severity": match level(d.default_severity) { "error" => "error", "warning" => "warning", _ => "recommendation" },
            "tags": tags,
        },
    })
}

fn result(
    f: &Finding,
    rule_index: usize,
    app: &AppReport,
    base: &UriBase,
    repo_root: Option<&Path>,
) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(f.rule));
    result.insert("ruleIndex".into(), json!(rule_index));
    result.insert("level".into(), json!(level(f.severity)));
    let mut message = f.message.clone();
    match &f.location {
        Location::App { .. } => message.push_str(" (app-wide)"),
        Location::Url { url } if !message.contains(url.as_str()) => {
            message.push_str(&format!(" (seen at {url})"));
        }
        _ => {}
    }
    result.insert("message".into(), json!({ "text": message }));
    let physical = base.physical(&f.location, f, repo_root);
    result.insert(
        "locations".into(),
        json!([{ "physicalLocation": physical }]),
    );
    if f.steps.len() > 1 {
        let steps: Vec<Value> = f
            .steps
            .iter()
            .map(|s| {
                json!({"location": {
                    "physicalLocation": base.physical(&s.location, f, repo_root),
                    "message": {"text": s.message},
                }})
            })
            .collect();
        result.insert(
            "codeFlows".into(),
            json!([{"threadFlows": [{"locations": steps}]}]),
        );
    }
    let related: Vec<&Related> = f
        .related
        .iter()
        .chain(f.steps.iter().take(f.steps.len().saturating_sub(1)))
        .collect();
    if !related.is_empty() {
        result.insert(
            "relatedLocations".into(),
            Value::Array(
                related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        json!({
                            "id": i + 1,
                            "physicalLocation": base.physical(&r.location, f, repo_root),
                            "message": {"text": r.message},
                        })
                    })
                    .collect(),
            ),
        );
    }
    result.insert(
        "partialFingerprints".into(),
        json!({"eggsecFingerprint/v1": f.fingerprint}),
    );
    let mut props = json!({
        "app": app.root,
        "env": app.env,
        "severity": f.severity,
        "strategy": f.strategy,
        "confidence": f.confidence,
        "evidence": f.evidence,
        "remediation": f.remediation,
    });
    if let Location::Url { url } = &f.location {
        props["url"] = json!(url);
    }
    if let Some(cvss) = f.cvss {
        props["security-severity"] = json!(format!("{cvss:.1}"));
    }
    result.insert("properties".into(), props);
    Value::Object(result)
}

/// How finding paths (relative to the app root) become SARIF artifact URIs.
struct UriBase {
    /// The app root, absolute.
    app_abs: PathBuf,
    /// The git top level above the app, if any.
    repo_root: Option<PathBuf>,
    /// The app root as the user typed it (for URIs outside a repository).
    shown: String,
}

impl UriBase {
    fn new(root: &str, cwd: &Path) -> Self {
        let p = Path::new(root);
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
        let app_abs = std::fs::canonicalize(&joined).unwrap_or(joined);
        let repo_root = app_abs
            .ancestors()
            .find(|a| a.join(".git").exists())
            .map(Path::to_path_buf);
        UriBase {
            app_abs,
            repo_root,
            shown: root.replace('\\', "/"),
        }
    }

    /// The artifact location of an app-relative (or absolute) path.
    fn artifact(&self, path: &str, repo_root: Option<&Path>) -> Value {
        let p = Path::new(path);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.app_abs.join(p)
        };
        if let Some(rel) = repo_root.and_then(|r| abs.strip_prefix(r).ok()) {
            return json!({"uri": encode_path(&rel.to_string_lossy().replace('\\', "/")), "uriBaseId": "%SRCROOT%"});
        }
        if p.is_absolute() || repo_root.is_some() {
            return json!({ "uri": file_uri(&abs, false) });
        }
        let prefix = self
            .shown
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let rel = if prefix.is_empty() || prefix == "." {
            path.replace('\\', "/")
        } else if prefix.starts_with('/') {
            return json!({ "uri": file_uri(&abs, false) });
        } else {
            format!("{prefix}/{}", path.replace('\\', "/"))
        };
        json!({"uri": encode_path(&rel)})
    }

    /// A physical location with a region, for any kind of location: app-wide and URL locations
    /// point at the file that should carry the fix, line 1.
    fn physical(&self, loc: &Location, f: &Finding, repo_root: Option<&Path>) -> Value {
        let (path, line, column) = match loc {
            Location::File { path, line, column } => (path.clone(), u64::from(*line), *column),
            Location::Log { path, line } => (path.clone(), *line, 0),
            Location::Url { .. } | Location::App { .. } => (self.fix_file(f), 1, 0),
        };
        let mut region = json!({ "startLine": line.max(1) });
        if line > 0 && column > 0 {
            region["startColumn"] = json!(column);
        }
        json!({"artifactLocation": self.artifact(&path, repo_root), "region": region})
    }

    /// The file an app-wide finding's fix goes in.
    fn fix_file(&self, f: &Finding) -> String {
        super::ci::fix_file(&self.app_abs, f)
    }
}

/// `file:///abs/path` (with a trailing `/` for a directory).
fn file_uri(path: &Path, dir: bool) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file://");
    if !s.starts_with('/') {
        uri.push('/');
    }
    uri.push_str(&encode_path(s.trim_end_matches('/')));
    if dir {
        uri.push('/');
    }
    uri
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
