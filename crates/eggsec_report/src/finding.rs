//! The shared finding type.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The eight mitigation strategies of the seed document, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Updates,
    Plugins,
    Middleware,
    Builtin,
    Csrf,
    Headers,
    Errors,
    Logging,
}

impl Strategy {
    pub const ALL: [Strategy; 8] = [
        Strategy::Updates,
        Strategy::Plugins,
        Strategy::Middleware,
        Strategy::Builtin,
        Strategy::Csrf,
        Strategy::Headers,
        Strategy::Errors,
        Strategy::Logging,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Updates => "updates",
            Strategy::Plugins => "plugins",
            Strategy::Middleware => "middleware",
            Strategy::Builtin => "builtin",
            Strategy::Csrf => "csrf",
            Strategy::Headers => "headers",
            Strategy::Errors => "errors",
            Strategy::Logging => "logging",
        }
    }
    /// The seed document's title for the strategy.
    pub fn title(self) -> &'static str {
        match self {
            Strategy::Updates => "Review Egg.js core and plugin updates",
            Strategy::Plugins => "Disable unnecessary Egg.js plugins",
            Strategy::Middleware => "Secure custom Egg.js middleware development",
            Strategy::Builtin => "Review and secure built-in Egg.js middleware configuration",
            Strategy::Csrf => "Enable and configure Egg.js CSRF protection",
            Strategy::Headers => "Implement security headers middleware in Egg.js",
            Strategy::Errors => "Secure error handling",
            Strategy::Logging => "Secure logging",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Strategy::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown strategy '{s}'"))
    }
}

/// Ordered from least to most severe, so `>=` compares thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => {
                return Err(format!(
                    "unknown severity '{s}' (critical|high|medium|low|info)"
                ))
            }
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding points.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// `line`/`column` are 1-based; 0 means "the whole file".
    File {
        path: String,
        line: u32,
        column: u32,
    },
    Url {
        url: String,
    },
    Log {
        path: String,
        line: u64,
    },
    /// The app as a whole (e.g. "no Permissions-Policy anywhere").
    App {
        root: String,
    },
}

/// One text replacement, byte offsets into the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextEdit {
    pub path: String,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub description: String,
    pub edits: Vec<TextEdit>,
}

/// Another place a finding involves: a step of a source → sink flow, or a related file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub location: Location,
    /// What happens there (`source: ctx.query.id`).
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable short code, e.g. `CSRF002`.
    pub rule: String,
    /// Readable kebab name that says what is wrong, e.g. `csrf-ignore-json`.
    pub name: String,
    pub strategy: Strategy,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message: String,
    pub location: Location,
    /// What was seen (already masked if secret).
    pub evidence: Vec<String>,
    /// What to change, in egg's terms, with the config or code to write.
    pub remediation: String,
    pub fix: Option<Fix>,
    /// Stable across runs and unrelated edits: see [`Finding::compute_fingerprint`].
    pub fingerprint: String,
    /// Source first, sink last, for findings about a data flow (SARIF `codeFlows`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Related>,
    /// Other places involved (SARIF `relatedLocations`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// CVSS base score (0–10) when the finding is an advisory that has one (SARIF
    /// `security-severity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f64>,
    /// What the fingerprint hashes instead of the evidence, for a finding whose evidence also
    /// holds what changes around it (how many files were searched, every path reaching a sink,
    /// a route's middleware chain): see [`Finding::set_identity`]. Not part of any output.
    #[serde(skip)]
    pub identity: Option<String>,
}

impl Location {
    /// The file (or log file) this location is in, as written (relative to the app root).
    pub fn path(&self) -> Option<&str> {
        match self {
            Location::File { path, .. } | Location::Log { path, .. } => Some(path),
            Location::Url { .. } | Location::App { .. } => None,
        }
    }
    /// 1-based line, when the location has one (`None` for "the whole file").
    pub fn line(&self) -> Option<u64> {
        match self {
            Location::File { line, .. } if *line > 0 => Some(u64::from(*line)),
            Location::Log { line, .. } if *line > 0 => Some(*line),
            _ => None,
        }
    }
    /// 1-based column, when the location has one.
    pub fn column(&self) -> Option<u32> {
        match self {
            Location::File { line, column, .. } if *line > 0 && *column > 0 => Some(*column),
            _ => None,
        }
    }
}

impl fmt::Display for Location {
    /// `file:line:col`, `file:line`, `file`, the URL, or `(app)` for the app as a whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, line, column } => match (line, column) {
                (0, _) => f.write_str(path),
                (l, 0) => write!(f, "{path}:{l}"),
                (l, c) => write!(f, "{path}:{l}:{c}"),
            },
            Location::Log { path, line } if *line > 0 => write!(f, "{path}:{line}"),
            Location::Log { path, .. } => f.write_str(path),
            Location::Url { url } => f.write_str(url),
            Location::App { root } => write!(f, "{root} (app-wide)"),
        }
    }
}

impl Finding {
    /// A finding with high confidence, no evidence, no remediation and its fingerprint computed.
    /// Chain the `with_*` helpers to fill the rest; they keep the fingerprint up to date.
    pub fn new(
        rule: impl Into<String>,
        name: impl Into<String>,
        strategy: Strategy,
        severity: Severity,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        let mut finding = Finding {
            rule: rule.into(),
            name: name.into(),
            strategy,
            severity,
            confidence: Confidence::High,
            message: message.into(),
            location,
            evidence: Vec::new(),
            remediation: String::new(),
            fix: None,
            fingerprint: String::new(),
            steps: Vec::new(),
            related: Vec::new(),
            cvss: None,
            identity: None,
        };
        finding.fingerprint = finding.compute_fingerprint();
        finding
    }

    pub fn with_confidence(mut self, confidence: Confidence) -> Self {
        self.confidence = confidence;
        self
    }

    /// Sets the evidence (already masked if secret) and recomputes the fingerprint.
    pub fn with_evidence(mut self, evidence: Vec<String>) -> Self {
        self.evidence = evidence;
        self.fingerprint = self.compute_fingerprint();
        self
    }

    /// Makes `identity` (what the finding is about: `plugin watcher`, a sink, a route) the
    /// fingerprint's key instead of the evidence, and recomputes the fingerprint. For evidence
    /// that describes more than the finding ("searched 53 code files for: …", "path 2/3", the
    /// middleware in front of a route), which changes when an unrelated file is added, another
    /// handler reaches the same sink, or another middleware is configured.
    pub fn set_identity(&mut self, identity: impl Into<String>) {
        self.identity = Some(identity.into());
        self.fingerprint = self.compute_fingerprint();
    }

    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = remediation.into();
        self
    }

    /// The source → sink steps of a data flow (source first).
    pub fn with_steps(mut self, steps: Vec<Related>) -> Self {
        self.steps = steps;
        self
    }

    /// Other places the finding involves.
    pub fn with_related(mut self, related: Vec<Related>) -> Self {
        self.related = related;
        self
    }

    /// The advisory's CVSS base score.
    pub fn with_cvss(mut self, score: Option<f64>) -> Self {
        self.cvss = score;
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// The stable fingerprint: the first 16 hex digits of
    /// `sha256(rule code \0 path \0 normalised evidence key)`.
    ///
    /// The path is the location's file (relative to the app root), the URL, or empty for
    /// app-wide findings. The evidence key is the finding's identity when it has one
    /// ([`Finding::set_identity`]), else the evidence lines (the message when there is no
    /// evidence), put through [`normalise_evidence_key`], so line numbers and whitespace — which
    /// change with unrelated edits — do not change the fingerprint.
    pub fn compute_fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let path = match &self.location {
            Location::File { path, .. } | Location::Log { path, .. } => path.as_str(),
            Location::Url { url } => url.as_str(),
            Location::App { .. } => "",
        };
        let key = if let Some(identity) = &self.identity {
            normalise_evidence_key(identity)
        } else if self.evidence.is_empty() {
            normalise_evidence_key(&self.message)
        } else {
            normalise_evidence_key(&self.evidence.join("\n"))
        };
        let mut hasher = Sha256::new();
        hasher.update(self.rule.as_bytes());
        hasher.update([0]);
        hasher.update(path.replace('\\', "/").as_bytes());
        hasher.update([0]);
        hasher.update(key.as_bytes());
        let digest = hasher.finalize();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Normalises text used as a fingerprint key: drops `:line` / `:line:col` references
/// (`config/config.prod.js:12:5` → `config/config.prod.js`), and collapses whitespace runs
/// to one space (trimmed).
pub fn normalise_evidence_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek().is_some_and(char::is_ascii_digit) {
            // Skip `:digits` and an optional second `:digits`.
            for _ in 0..2 {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                let mut look = chars.clone();
                if look.next() == Some(':') && look.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                } else {
                    break;
                }
            }
            continue;
        }
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(line: u32, evidence: &str) -> Finding {
        Finding::new(
            "CSRF001",
            "csrf-disabled",
            Strategy::Csrf,
            Severity::High,
            "CSRF protection is disabled",
            Location::File {
                path: "config/config.prod.js".into(),
                line,
                column: 5,
            },
        )
        .with_evidence(vec![evidence.into()])
    }

    #[test]
    fn fingerprint_ignores_line_numbers_and_whitespace() {
        let a = finding(
            3,
            "security.csrf.enable = false  (config/config.prod.js:3:5)",
        );
        let b = finding(
            40,
            "security.csrf.enable =\tfalse (config/config.prod.js:40:7)",
        );
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(a.fingerprint.len(), 16);
        assert!(a.fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn fingerprint_depends_on_rule_path_and_evidence() {
        let a = finding(3, "security.csrf.enable = false");
        let mut other_rule = a.clone();
        other_rule.rule = "CSRF002".into();
        assert_ne!(a.fingerprint, other_rule.compute_fingerprint());
        let mut other_path = a.clone();
        other_path.location = Location::File {
            path: "config/config.default.js".into(),
            line: 3,
            column: 5,
        };
        assert_ne!(a.fingerprint, other_path.compute_fingerprint());
        assert_ne!(
            a.fingerprint,
            finding(3, "security.csrf.enable = 0").fingerprint
        );
    }

    #[test]
    fn an_identity_replaces_the_evidence_in_the_fingerprint() {
        let mut a = finding(3, "searched 53 code files for: app.watcher");
        let mut b = finding(3, "searched 54 code files for: app.watcher, agent.watcher");
        assert_ne!(a.fingerprint, b.fingerprint);
        a.set_identity("plugin watcher");
        b.set_identity("plugin watcher");
        assert_eq!(a.fingerprint, b.fingerprint);
        // kept when the evidence is set again, and still tells findings apart
        let a = a.with_evidence(vec!["searched 1 code files".into()]);
        assert_eq!(a.fingerprint, b.fingerprint);
        let mut c = finding(3, "searched 53 code files for: app.watcher");
        c.set_identity("plugin jsonp");
        assert_ne!(a.fingerprint, c.fingerprint);
        assert!(!serde_json::to_string(&a)
            .unwrap()
            .contains("plugin watcher"));
    }

    #[test]
    fn normalise_drops_positions_and_extra_whitespace() {
        assert_eq!(normalise_evidence_key("  a.js:1:2  b  "), "a.js b");
        assert_eq!(normalise_evidence_key("x.js:12 y"), "x.js y");
        assert_eq!(normalise_evidence_key("value: 10"), "value: 10");
    }
}
