//! Inline suppressions: `// eggsec-ignore RULE: reason` on the offending line or the line
//! above it. `RULE` is a rule code or name (several may be given, separated by commas or
//! spaces). The reason is required: a directive without one does not suppress, and says so in
//! a diagnostic.
//!
//! Source files are read lazily from disk, once each.

use eggsec_report::{Finding, Location};
use std::collections::HashMap;
use std::path::PathBuf;

const MARKER: &str = "eggsec-ignore";

/// A file's text and its lines as `str::lines` gives them, kept as ranges of the text rather
/// than a string per line (a finding in a lockfile would otherwise copy its ten thousand lines).
struct Lines {
    text: String,
    lines: Vec<std::ops::Range<usize>>,
}

impl Lines {
    fn new(text: String) -> Lines {
        let base = text.as_ptr() as usize;
        let lines = text
            .lines()
            .map(|l| {
                let start = l.as_ptr() as usize - base;
                start..start + l.len()
            })
            .collect();
        Lines { text, lines }
    }

    /// The line at 0-based index `i`.
    fn get(&self, i: usize) -> Option<&str> {
        self.lines.get(i).map(|r| &self.text[r.clone()])
    }
}

/// One `eggsec-ignore` directive on a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Rule codes or names, as written.
    pub rules: Vec<String>,
    /// The reason after the colon; empty when missing.
    pub reason: String,
}

impl Directive {
    /// Parses the directive in a line of source, if there is one.
    pub fn parse(line: &str) -> Option<Directive> {
        let after = &line[line.find(MARKER)? + MARKER.len()..];
        // `eggsec-ignored` or `eggsec-ignore-foo` is not the marker.
        if after
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != ':')
        {
            return None;
        }
        let (rules, reason) = after.split_once(':').unwrap_or((after, ""));
        let reason = reason
            .trim()
            .trim_end_matches("*/")
            .trim_end_matches("-->")
            .trim()
            .to_string();
        let rules = rules
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect();
        Some(Directive { rules, reason })
    }

    fn names(&self, finding: &Finding) -> bool {
        self.rules
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&finding.rule) || *r == finding.name)
    }
}

/// What the source says about one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No directive names the finding's rule there.
    Keep,
    /// Suppressed, with the reason given.
    Suppressed { reason: String },
    /// A directive names the rule at `line` but gives no reason, so it does not suppress.
    MissingReason { line: usize },
}

/// Looks up directives for findings, reading each file once.
pub struct Suppressions {
    root: PathBuf,
    /// App-relative path → its lines (`None` when unreadable).
    files: HashMap<String, Option<Lines>>,
}

impl Suppressions {
    /// Suppressions for an app whose finding paths are relative to `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Suppressions {
            root: root.into(),
            files: HashMap::new(),
        }
    }

    /// The verdict for a finding. Only findings on a line of a source file can be suppressed
    /// inline (the rest: `eggsec.toml`).
    pub fn check(&mut self, finding: &Finding) -> Verdict {
        let Location::File { path, line, .. } = &finding.location else {
            return Verdict::Keep;
        };
        let line = *line as usize;
        if line == 0 {
            return Verdict::Keep;
        }
        let root = &self.root;
        let lines = self.files.entry(path.clone()).or_insert_with(|| {
            let bytes = eggsec_report::input::read_limited(&root.join(path), 64 << 20).ok()?;
            Some(Lines::new(String::from_utf8_lossy(&bytes).into_owned()))
        });
        let Some(lines) = lines else {
            return Verdict::Keep;
        };
        let mut missing = None;
        for n in [line, line - 1] {
            let Some(text) = n.checked_sub(1).and_then(|i| lines.get(i)) else {
                continue;
            };
            if let Some(d) = Directive::parse(text).filter(|d| d.names(finding)) {
                if d.reason.is_empty() {
                    missing.get_or_insert(n);
                } else {
                    return Verdict::Suppressed { reason: d.reason };
                }
            }
        }
        match missing {
            Some(line) => Verdict::MissingReason { line },
            None => Verdict::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eggsec_report::{Severity, Strategy};

    #[test]
    fn lines_are_the_lines_str_gives() {
        for text in [
            "",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "\n",
            "\n\n",
            "a\n\nb\n",
            "\r\n",
            "a\r",
            "\r",
            "a\rb\n",
            "a\r\r\n",
            "é\nü\r\n",
        ] {
            let lines = Lines::new(text.to_string());
            let ours: Vec<&str> = (0..).map_while(|i| lines.get(i)).collect();
            let std: Vec<&str> = text.lines().collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn parses_directives() {
        assert_eq!(
            Directive::parse("  csrf: false, // eggsec-ignore CSRF001, csrf-ignore-json: VPN only"),
            Some(Directive {
                rules: vec!["CSRF001".into(), "csrf-ignore-json".into()],
                reason: "VPN only".into()
            })
        );
        assert_eq!(
            Directive::parse("/* eggsec-ignore csrf-disabled */").map(|d| d.reason),
            Some(String::new())
        );
        assert_eq!(Directive::parse("// eggsec-ignored x: y"), None);
        assert_eq!(Directive::parse("// nothing"), None);
    }

    fn finding(line: u32) -> Finding {
        Finding::new(
            "CSRF001",
            "csrf-disabled",
            Strategy::Csrf,
            Severity::High,
            "off",
            Location::File {
                path: "config/config.prod.js".into(),
                line,
                column: 1,
            },
        )
    }

    #[test]
    fn same_line_or_line_above_with_reason() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/config.prod.js"),
            "// eggsec-ignore csrf-disabled: internal tool behind the VPN\n\
             a\n\
             b // eggsec-ignore CSRF001\n\
             c // eggsec-ignore OTHER: not this rule\n",
        )
        .unwrap();
        let mut s = Suppressions::new(dir.path());
        assert_eq!(
            s.check(&finding(1)),
            Verdict::Suppressed {
                reason: "internal tool behind the VPN".into()
            }
        );
        assert_eq!(
            s.check(&finding(2)),
            Verdict::Suppressed {
                reason: "internal tool behind the VPN".into()
            }
        );
        assert_eq!(s.check(&finding(3)), Verdict::MissingReason { line: 3 });
        assert_eq!(s.check(&finding(4)), Verdict::MissingReason { line: 3 });
        assert_eq!(s.check(&finding(5)), Verdict::Keep);
        assert_eq!(s.check(&finding(0)), Verdict::Keep);
        let mut missing_file = Suppressions::new(dir.path().join("nope"));
        assert_eq!(missing_file.check(&finding(1)), Verdict::Keep);
    }
}
