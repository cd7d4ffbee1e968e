//! SARIF 2.1.0 output (what GitHub code scanning and most CI dashboards read), validated in the
//! tests against the official schema.
//!
//! One run per audited app. Paths are relative: when the app root is relative (as typed on the
//! command line, run from the repository root) it prefixes the path so `%SRCROOT%`-relative URIs
//! resolve; when it is absolute, `originalUriBaseIds.APPROOT` carries it as a `file://` URI.

use crate::finding::{Finding, Location, Severity, Strategy};
use crate::report::{AppReport, Report};
use serde_json::{json, Map, Value};

/// What SARIF says about a rule (`tool.driver.rules[]`). Built from the rule registry.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDescriptor {
    /// Stable code, the SARIF `id`: `CSRF001`.
    pub code: String,
    /// Readable kebab name: `csrf-disabled`.
    pub name: String,
    pub strategy: Strategy,
    pub default_severity: Severity,
    /// One sentence: what the rule finds.
    pub short_description: String,
    /// What it finds and why it matters.
    pub full_description: String,
    /// The rule's full documentation as Markdown.
    pub help_markdown: String,
}

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub's `security-severity` scale: >= 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, < 4 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Renders the report as a SARIF 2.1.0 log (pretty JSON with a trailing newline). `rules`
/// describes the rules that ran; a finding whose rule is not among them (a probe or log
/// finding) gets a descriptor made from the finding itself.
pub fn render_sarif(report: &Report, rules: &[RuleDescriptor]) -> String {
    let runs: Vec<Value> = report.apps.iter().map(|app| run(app, rules)).collect();
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": runs,
    });
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serialises to JSON");
    out.push('\n');
    out
}

fn run(app: &AppReport, rules: &[RuleDescriptor]) -> Value {
    let mut descriptors: Vec<RuleDescriptor> = rules.to_vec();
    for f in &app.findings {
        if !descriptors.iter().any(|d| d.code == f.rule) {
            descriptors.push(RuleDescriptor {
                code: f.rule.clone(),
                name: f.name.clone(),
                strategy: f.strategy,
                default_severity: f.severity,
                short_description: f.message.clone(),
                full_description: f.message.clone(),
                help_markdown: if f.remediation.is_empty() {
                    f.message.clone()
                } else {
                    f.remediation.clone()
                },
            });
        }
    }
    let base = UriBase::new(&app.root);
    let results: Vec<Value> = app
        .findings
        .iter()
        .map(|f| {
            let index = descriptors
                .iter()
                .position(|d| d.code == f.rule)
                .unwrap_or_default();
            result(f, index, &base)
        })
        .collect();
    let notifications: Vec<Value> = app
        .diagnostics
        .iter()
        .map(|d| {
            let level = if d.starts_with(crate::report::UNREAD_PREFIX) {
                "error"
            } else {
                "warning"
            };
            json!({"level": level, "message": {"text": d}})
        })
        .chain(
            app.partial_notice()
                .map(|n| json!({"level": "error", "message": {"text": n}})),
        )
        .collect();

    let mut run = Map::new();
    run.insert(
        "tool".into(),
        json!({"driver": {
            "name": "eggsec",
            "version": env!("CARGO_PKG_VERSION"),
            "rules": descriptors.iter().map(rule).collect::<Vec<_>>(),
        }}),
    );
    run.insert(
        "automationDetails".into(),
        json!({"id": format!("eggsec/{}/{}/", base.category(), app.env)}),
    );
    if let Some(root_uri) = &base.absolute_root {
        run.insert(
            "originalUriBaseIds".into(),
            json!({"APPROOT": {"uri": root_uri}}),
        );
    }
    run.insert(
        "invocations".into(),
        json!([{"executionSuccessful": !app.is_partial(), "toolExecutionNotifications": notifications}]),
    );
    run.insert("results".into(), Value::Array(results));
    Value::Object(run)
}

fn rule(d: &RuleDescriptor) -> Value {
    json!({
        "id": d.code,
        "name": d.name,
        "shortDescription": {"text": d.short_description},
        "fullDescription": {"text": d.full_description},
        "help": {"text": d.help_markdown, "markdown": d.help_markdown},
        "defaultConfiguration": {"level": level(d.default_severity)},
        "properties": {
            "security-severity": security_severity(d.default_severity),
            "tags": ["security", d.strategy.as_str()],
        },
    })
}

fn result(f: &Finding, rule_index: usize, base: &UriBase) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(f.rule));
    result.insert("ruleIndex".into(), json!(rule_index));
    result.insert("level".into(), json!(level(f.severity)));
    result.insert("message".into(), json!({"text": f.message}));
    let physical = match &f.location {
        Location::File { path, line, column } => {
            let mut physical = Map::new();
            physical.insert("artifactLocation".into(), base.artifact(path));
            if *line > 0 {
                let mut region = json!({"startLine": line});
                if *column > 0 {
                    region["startColumn"] = json!(column);
                }
                physical.insert("region".into(), region);
            }
            Some(Value::Object(physical))
        }
        Location::Log { path, line } => {
            let mut physical = Map::new();
            physical.insert("artifactLocation".into(), base.artifact(path));
            if *line > 0 {
                physical.insert("region".into(), json!({"startLine": line}));
            }
            Some(Value::Object(physical))
        }
        Location::Url { url } => Some(json!({"artifactLocation": {"uri": url}})),
        Location::App { .. } => None,
    };
    if let Some(physical) = physical {
        result.insert("locations".into(), json!([{"physicalLocation": physical}]));
    }
    result.insert(
        "partialFingerprints".into(),
        json!({"eggsecFingerprint/v1": f.fingerprint}),
    );
    result.insert(
        "properties".into(),
        json!({
            "severity": f.severity,
            "strategy": f.strategy,
            "confidence": f.confidence,
            "evidence": f.evidence,
            "remediation": f.remediation,
        }),
    );
    Value::Object(result)
}

/// How finding paths (relative to the app root) become SARIF artifact URIs.
struct UriBase {
    /// The relative root prefix (`apps/web/`), empty for `.` or an absolute root.
    prefix: String,
    /// `file:///abs/root/` for an absolute root.
    absolute_root: Option<String>,
}

impl UriBase {
    fn new(root: &str) -> Self {
        let root = root.replace('\\', "/");
        if root.starts_with('/') || root.get(1..3) == Some(":/") {
            let mut uri = String::from("file://");
            if !root.starts_with('/') {
                uri.push('/');
            }
            uri.push_str(&encode_path(root.trim_end_matches('/')));
            uri.push('/');
            return UriBase {
                prefix: String::new(),
                absolute_root: Some(uri),
            };
        }
        let trimmed = root.trim_start_matches("./").trim_end_matches('/');
        let prefix = if trimmed.is_empty() || trimmed == "." {
            String::new()
        } else {
            format!("{trimmed}/")
        };
        UriBase {
            prefix,
            absolute_root: None,
        }
    }

    fn artifact(&self, path: &str) -> Value {
        let path = path.replace('\\', "/");
        if self.absolute_root.is_some() {
            json!({"uri": encode_path(&path), "uriBaseId": "APPROOT"})
        } else {
            json!({"uri": encode_path(&format!("{}{path}", self.prefix)), "uriBaseId": "%SRCROOT%"})
        }
    }

    /// A short name of the app for `automationDetails.id` (GitHub's upload category).
    fn category(&self) -> String {
        let source = self.absolute_root.as_deref().unwrap_or(&self.prefix);
        let name = source
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        if name.is_empty() {
            "app".to_string()
        } else {
            encode_path(name)
        }
    }
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
