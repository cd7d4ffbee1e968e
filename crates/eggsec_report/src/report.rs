//! The report: per audited app (and env), its findings, its eight-strategy posture and the
//! problems met on the way.

use crate::finding::{Finding, Severity, Strategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How far a strategy is implemented, as the seed document's "Currently Implemented" notes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostureStatus {
    Implemented,
    Partial,
    Missing,
    /// No rule of this eggsec version assesses the strategy.
    NotAssessed,
}

impl PostureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostureStatus::Implemented => "implemented",
            PostureStatus::Partial => "partial",
            PostureStatus::Missing => "missing",
            PostureStatus::NotAssessed => "not-assessed",
        }
    }
    /// Human wording for reports.
    pub fn label(self) -> &'static str {
        match self {
            PostureStatus::Implemented => "Implemented",
            PostureStatus::Partial => "Partially implemented",
            PostureStatus::Missing => "Missing",
            PostureStatus::NotAssessed => "Not assessed",
        }
    }
}

impl fmt::Display for PostureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One strategy's row of the posture report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Posture {
    pub strategy: Strategy,
    pub status: PostureStatus,
    /// 0–100: the severity-weighted share of this strategy's controls that pass.
    pub score: u8,
    /// "Currently Implemented": the controls found in place and facts about the app.
    pub evidence: Vec<String>,
    /// "Missing Implementation": what the findings say is missing.
    pub missing: Vec<String>,
}

impl Posture {
    /// The row for a strategy that no rule of this version checks.
    pub fn not_assessed(strategy: Strategy) -> Self {
        Posture {
            strategy,
            status: PostureStatus::NotAssessed,
            score: 0,
            evidence: Vec::new(),
            missing: vec!["not assessed by this version of eggsec".to_string()],
        }
    }
}

/// The audit of one app in one env.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppReport {
    /// The app root as shown to the user; finding paths are relative to it.
    pub root: String,
    pub env: String,
    /// Sorted: severity (most severe first), then file, then line.
    pub findings: Vec<Finding>,
    /// One row per strategy, in [`Strategy::ALL`] order.
    pub posture: Vec<Posture>,
    /// Problems met while auditing (unparseable files, bad `eggsec.toml`, reason-less
    /// suppressions...), one readable line each.
    pub diagnostics: Vec<String>,
}

/// How a diagnostic line starts when part of the app could not be read or evaluated.
pub const UNREAD_PREFIX: &str = "error (not read):";

impl AppReport {
    /// The diagnostics about parts of the app that could not be read or evaluated: what they
    /// cover is unknown, and the audit of this app is partial.
    pub fn unread(&self) -> impl Iterator<Item = &String> {
        self.diagnostics
            .iter()
            .filter(|d| d.starts_with(UNREAD_PREFIX))
    }
    /// Whether part of the app could not be read (see [`AppReport::unread`]).
    pub fn is_partial(&self) -> bool {
        self.unread().next().is_some()
    }
    /// The one-line notice every format shows for a partial audit.
    pub fn partial_notice(&self) -> Option<String> {
        let n = self.unread().count();
        // The parts are named here too: a format that folds diagnostics still says which.
        let mut parts: Vec<&str> = self
            .unread()
            .take(3)
            .map(|d| d[UNREAD_PREFIX.len()..].trim())
            .collect();
        if n > 3 {
            parts.push("...");
        }
        (n > 0).then(|| {
            format!(
                "PARTIAL AUDIT: {n} part{} of this app could not be read or evaluated; what {} is unknown and its checks are not assessed: {}",
                if n == 1 { "" } else { "s" },
                if n == 1 { "it covers" } else { "they cover" },
                parts.join("; ")
            )
        })
    }
}

/// Everything one `eggsec audit` run found: one [`AppReport`] per app and env.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub apps: Vec<AppReport>,
}

impl Report {
    /// Every finding of every app.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.apps.iter().flat_map(|a| a.findings.iter())
    }
    /// Whether any app could not be read in full.
    pub fn is_partial(&self) -> bool {
        self.apps.iter().any(AppReport::is_partial)
    }
    /// The most severe finding's severity, if any (for `--fail-on`).
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings().map(|f| f.severity).max()
    }
}

/// Counts by severity, most severe first: `[(Critical, n), (High, n), ...]`.
pub fn severity_counts<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
) -> [(Severity, usize); 5] {
    let mut counts = [
        (Severity::Critical, 0),
        (Severity::High, 0),
        (Severity::Medium, 0),
        (Severity::Low, 0),
        (Severity::Info, 0),
    ];
    for f in findings {
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == f.severity) {
            slot.1 += 1;
        }
    }
    counts
}
