//! The JSON contract of `--format json` (documented in issue 3, point 4):
//!
//! `{"apps":[{"root","env","findings":[{"rule","name","strategy","severity","confidence",
//! "message","file","line","column","fingerprint","remediation"}],"posture":[{"strategy",
//! "status","score","evidence":[...],"missing":[...]}]}]}`
//!
//! Extra fields: a finding also has `url` (probe findings), `evidence` and `fix`; an app also
//! has `diagnostics`. `file`/`line`/`column` are `null` when the location has none.

use crate::finding::{Confidence, Finding, Fix, Location, Severity, Strategy};
use crate::report::{Posture, Report};
use serde::Serialize;

#[derive(Serialize)]
struct JsonReport<'a> {
    apps: Vec<JsonApp<'a>>,
}

#[derive(Serialize)]
struct JsonApp<'a> {
    root: &'a str,
    env: &'a str,
    findings: Vec<JsonFinding<'a>>,
    posture: &'a [Posture],
    diagnostics: &'a [String],
    /// Set when part of the app could not be read: what it covers is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    partial: Option<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    name: &'a str,
    strategy: Strategy,
    severity: Severity,
    confidence: Confidence,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<u64>,
    column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    fingerprint: &'a str,
    remediation: &'a str,
    evidence: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a Fix>,
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        JsonFinding {
            rule: &f.rule,
            name: &f.name,
            strategy: f.strategy,
            severity: f.severity,
            confidence: f.confidence,
            message: &f.message,
            file: f.location.path(),
            line: f.location.line(),
            column: f.location.column(),
            url: match &f.location {
                Location::Url { url } => Some(url),
                _ => None,
            },
            fingerprint: &f.fingerprint,
            remediation: &f.remediation,
            evidence: &f.evidence,
            fix: f.fix.as_ref(),
        }
    }
}

/// Renders the report as pretty-printed JSON (with a trailing newline).
pub fn render_json(report: &Report) -> String {
    let doc = JsonReport {
        apps: report
            .apps
            .iter()
            .map(|app| JsonApp {
                root: &app.root,
                env: &app.env,
                findings: app.findings.iter().map(JsonFinding::from).collect(),
                posture: &app.posture,
                diagnostics: &app.diagnostics,
                partial: app.partial_notice(),
            })
            .collect(),
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(&doc).expect("report serialises to JSON");
    out.push('\n');
    out
}

/// The fingerprints in a JSON report written by [`render_json`] (for `--baseline`).
pub fn fingerprints_from_json(json: &serde_json::Value) -> Vec<String> {
    json.get("apps")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|app| app.get("findings").and_then(serde_json::Value::as_array))
        .flatten()
        .filter_map(|f| f.get("fingerprint").and_then(serde_json::Value::as_str))
        .map(str::to_string)
        .collect()
}
