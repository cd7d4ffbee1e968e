//! Posture over time: `eggsec audit --record` appends one [`AuditRecord`] per audited app and
//! env to `.eggsec/audit-history.jsonl` (beside the version ledger), and `--diff` / the HTML
//! report compare the current run with the previous record of the same env: the score of each
//! strategy, the findings fixed since, and the findings that are new.
//!
//! The file is JSON Lines, one record a line. Appends take an exclusive lock on the file and
//! never glue a record onto a partial line left by an interrupted writer; a line that does not
//! parse is reported (`file:line: ...`) and skipped when reading.

use crate::finding::{Finding, Severity, Strategy};
use crate::report::{severity_counts, AppReport, PostureStatus};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The history file of an app: `<root>/.eggsec/audit-history.jsonl`.
pub fn history_path(root: &Path) -> PathBuf {
    root.join(".eggsec").join("audit-history.jsonl")
}

/// One strategy's score in a record (`score` is `None` when the strategy was not assessed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyScore {
    pub status: PostureStatus,
    pub score: Option<u8>,
}

/// One finding as recorded: enough to say what was fixed without the next run seeing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFinding {
    pub fingerprint: String,
    pub rule: String,
    pub name: String,
    pub severity: Severity,
    pub strategy: Strategy,
    /// `file:line:col`, the URL, or the log file and line (masked like every output).
    pub location: String,
}

/// One line of `.eggsec/audit-history.jsonl`: one audited app in one env.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC.
    pub at: String,
    /// `git rev-parse HEAD` of the app's repository, when it is in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub env: String,
    /// The eggsec version that made the record.
    #[serde(default)]
    pub eggsec: String,
    /// Per strategy, in the seed document's order.
    pub strategies: BTreeMap<Strategy, StrategyScore>,
    /// Findings by severity: `{"critical": n, "high": n, ...}`.
    pub counts: BTreeMap<Severity, usize>,
    /// Every finding's fingerprint with what it was.
    pub findings: Vec<RecordedFinding>,
}

impl AuditRecord {
    /// The record of one app report.
    pub fn from_app(app: &AppReport, at: &str, commit: Option<String>, eggsec: &str) -> Self {
        let strategies = app
            .posture
            .iter()
            .map(|p| {
                (
                    p.strategy,
                    StrategyScore {
                        status: p.status,
                        score: (p.status != PostureStatus::NotAssessed).then_some(p.score),
                    },
                )
            })
            .collect();
        AuditRecord {
            at: at.to_string(),
            commit,
            env: app.env.clone(),
            eggsec: eggsec.to_string(),
            strategies,
            counts: severity_counts(&app.findings).into_iter().collect(),
            findings: app.findings.iter().map(recorded).collect(),
        }
    }

    /// The score of `strategy`, when it was assessed.
    pub fn score(&self, strategy: Strategy) -> Option<u8> {
        self.strategies.get(&strategy).and_then(|s| s.score)
    }

    /// `2026-12-03T13:00:00Z, commit 1a2b3c4`
    pub fn label(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}, commit {}", self.at, &c[..c.len().min(12)]),
            None => self.at.clone(),
        }
    }
}

fn recorded(f: &Finding) -> RecordedFinding {
    RecordedFinding {
        fingerprint: f.fingerprint.clone(),
        rule: f.rule.clone(),
        name: f.name.clone(),
        severity: f.severity,
        strategy: f.strategy,
        location: f.location.to_string(),
    }
}

/// Appends `record` as one line to the history file at `path` (creating it and its directory).
///
/// Holds an exclusive lock on the file while appending, so concurrent `--record` runs never
/// interleave; when the file does not end with a newline (a writer was interrupted), a newline
/// is written first, so the new record starts on its own line. Refuses to write through a
/// symbolic link.
pub fn append(path: &Path, record: &AuditRecord) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(format!(
                "{}: is a symbolic link; not writing through it",
                path.display()
            ));
        }
        if !meta.is_file() {
            return Err(format!("{}: not a regular file", path.display()));
        }
    }
    let mut line = serde_json::to_string(record).expect("plain data serialises");
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(fail)?;
    file.lock().map_err(fail)?;
    let result = (|| -> std::io::Result<()> {
        let len = file.metadata()?.len();
        if len > 0 {
            file.seek(SeekFrom::Start(len - 1))?;
            let mut last = [0u8; 1];
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                line.insert(0, '\n');
            }
        }
        // One write of the whole line (the file is in append mode: it lands at the end).
        file.write_all(line.as_bytes())?;
        file.sync_data()
    })();
    let unlocked = file.unlock();
    result.map_err(fail)?;
    unlocked.map_err(fail)
}

/// Every record in the history file (none when it does not exist), oldest first, and one
/// problem line (`file:line: why`) per line that is not a record.
pub fn read(path: &Path) -> (Vec<AuditRecord>, Vec<String>) {
    // regular files only: a FIFO or a device in the repository never blocks the run
    let text = match crate::input::read_limited(path, 1 << 30) {
        // (a file an editor saved with a byte order mark, a Windows one: the first record
        // is still a record)
        Ok(bytes) => crate::input::decode_like_npm(&bytes).0,
        Err(crate::input::InputError::NotFound) => return (Vec::new(), Vec::new()),
        Err(e) => return (Vec::new(), vec![format!("{}: {e}", path.display())]),
    };
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<AuditRecord>(line) {
            Ok(r) => records.push(r),
            Err(e) => problems.push(format!(
                "{}:{}: not an audit record, skipped ({e})",
                path.display(),
                n + 1
            )),
        }
    }
    (records, problems)
}

/// What changed between two records of the same app and env.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// `(strategy, before, after)` for every strategy, in the seed document's order.
    pub scores: Vec<(Strategy, Option<u8>, Option<u8>)>,
    /// In the previous record, not in the current run.
    pub fixed: Vec<RecordedFinding>,
    /// In the current run, not in the previous record.
    pub new: Vec<RecordedFinding>,
}

/// Compares the current run with the previous record.
pub fn compare(previous: &AuditRecord, current: &AuditRecord) -> Comparison {
    let before: BTreeSet<&str> = previous
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let now: BTreeSet<&str> = current
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    let fixed = previous
        .findings
        .iter()
        .filter(|f| !now.contains(f.fingerprint.as_str()) && seen.insert(&f.fingerprint))
        .cloned()
        .collect();
    let mut seen = BTreeSet::new();
    let new = current
        .findings
        .iter()
        .filter(|f| !before.contains(f.fingerprint.as_str()) && seen.insert(&f.fingerprint))
        .cloned()
        .collect();
    Comparison {
        scores: Strategy::ALL
            .into_iter()
            .map(|s| (s, previous.score(s), current.score(s)))
            .collect(),
        fixed,
        new,
    }
}

/// The last record of `env` in `records` (the "previous record" of a run in that env).
pub fn previous_of<'a>(records: &'a [AuditRecord], env: &str) -> Option<&'a AuditRecord> {
    records.iter().rev().find(|r| r.env == env)
}

/// `eggsec audit --diff`: the comparison as text, headed by the app, env and the record it
/// compares with.
pub fn render_diff_text(
    root: &str,
    file: &str,
    previous: Option<&AuditRecord>,
    current: &AuditRecord,
) -> String {
    let mut out = String::new();
    let Some(previous) = previous else {
        let _ = writeln!(
            out,
            "Since the previous record: {root} (env: {}): no earlier record in {file} \
(run `eggsec audit --record` to start one)",
            current.env
        );
        return out;
    };
    let c = compare(previous, current);
    let _ = writeln!(
        out,
        "Since the previous record: {root} (env: {}), recorded {}",
        current.env,
        previous.label()
    );
    out.push_str("  strategy    before  now  change\n");
    for (s, before, after) in &c.scores {
        let show = |v: &Option<u8>| v.map_or("-".to_string(), |n| n.to_string());
        let change = match (before, after) {
            (Some(b), Some(a)) if a > b => format!("+{}", a - b),
            (Some(b), Some(a)) if a < b => format!("-{}", b - a),
            (Some(_), Some(_)) => "=".into(),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:<11} {:>6} {:>4}  {change}",
            s.as_str(),
            show(before),
            show(after)
        );
    }
    for (title, list) in [("Fixed", &c.fixed), ("New", &c.new)] {
        let _ = writeln!(out, "  {title} ({}):", list.len());
        for f in list {
            let _ = writeln!(
                out,
                "    {:<8} {} {}  {}",
                f.severity.as_str(),
                f.rule,
                f.name,
                f.location
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;
    use crate::report::Posture;

    fn app(findings: Vec<Finding>, csrf_score: u8) -> AppReport {
        AppReport {
            root: "app".into(),
            env: "prod".into(),
            findings,
            posture: Strategy::ALL
                .into_iter()
                .map(|s| {
                    if s == Strategy::Csrf {
                        Posture {
                            strategy: s,
                            status: PostureStatus::Partial,
                            score: csrf_score,
                            evidence: vec![],
                            missing: vec![],
                        }
                    } else {
                        Posture::not_assessed(s)
                    }
                })
                .collect(),
            diagnostics: vec![],
        }
    }

    fn finding(rule: &str, evidence: &str) -> Finding {
        Finding::new(
            rule,
            "csrf-disabled",
            Strategy::Csrf,
            Severity::High,
            "m",
            Location::File {
                path: "config/config.prod.js".into(),
                line: 3,
                column: 1,
            },
        )
        .with_evidence(vec![evidence.into()])
    }

    #[test]
    fn append_read_and_compare() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path());
        let first = AuditRecord::from_app(
            &app(vec![finding("CSRF001", "a"), finding("CSRF002", "b")], 40),
            "2026-12-01T00:00:00Z",
            Some("abc".into()),
            "0.1.0",
        );
        let second = AuditRecord::from_app(
            &app(vec![finding("CSRF002", "b"), finding("CSRF003", "c")], 70),
            "2026-12-02T00:00:00Z",
            None,
            "0.1.0",
        );
        append(&path, &first).unwrap();
        append(&path, &second).unwrap();
        let (records, problems) = read(&path);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(records, vec![first.clone(), second.clone()]);
        let c = compare(&first, &second);
        assert_eq!(c.fixed.len(), 1);
        assert_eq!(c.fixed[0].rule, "CSRF001");
        assert_eq!(c.new.len(), 1);
        assert_eq!(c.new[0].rule, "CSRF003");
        assert!(c.scores.contains(&(Strategy::Csrf, Some(40), Some(70))));
        assert!(c.scores.contains(&(Strategy::Updates, None, None)));
        let text = render_diff_text("app", "h", Some(&first), &second);
        assert!(text.contains("csrf            40   70  +30"), "{text}");
        assert!(text.contains("Fixed (1):\n    high     CSRF001"), "{text}");
    }

    /// A history committed from a Windows checkout (CRLF, and an editor's byte order mark):
    /// every record is read, the first one too (it was "not an audit record", and `--diff`
    /// found no earlier record), and the next append keeps them.
    #[test]
    fn a_history_saved_on_windows_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path());
        let rec = |at: &str| {
            AuditRecord::from_app(&app(vec![finding("CSRF001", "a")], 40), at, None, "x")
        };
        append(&path, &rec("2026-12-01T00:00:00Z")).unwrap();
        append(&path, &rec("2026-12-02T00:00:00Z")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("\u{feff}{}", text.replace('\n', "\r\n"))).unwrap();
        let (records, problems) = read(&path);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            records,
            [rec("2026-12-01T00:00:00Z"), rec("2026-12-02T00:00:00Z")]
        );
        append(&path, &rec("2026-12-03T00:00:00Z")).unwrap();
        let (records, problems) = read(&path);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(records.len(), 3);
    }

    #[test]
    fn never_glues_onto_a_partial_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"at\":\"2026-12-01T00:00:00Z\",\"env\":\"pr").unwrap();
        let rec = AuditRecord::from_app(&app(vec![], 90), "2026-12-02T00:00:00Z", None, "x");
        append(&path, &rec).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with('\n'));
        assert_eq!(text.lines().count(), 2);
        let (records, problems) = read(&path);
        assert_eq!(records, vec![rec]);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("audit-history.jsonl:1:"),
            "{problems:?}"
        );
    }

    #[test]
    fn concurrent_appends_stay_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path());
        let rec = AuditRecord::from_app(
            &app(
                (0..50)
                    .map(|i| finding("CSRF001", &i.to_string()))
                    .collect(),
                50,
            ),
            "2026-12-02T00:00:00Z",
            None,
            "x",
        );
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..10 {
                        append(&path, &rec).unwrap();
                    }
                });
            }
        });
        let (records, problems) = read(&path);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(records.len(), 80);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let rec = AuditRecord::from_app(&app(vec![], 90), "t", None, "x");
        let err = append(&path, &rec).unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    }

    #[test]
    fn previous_is_the_last_of_the_same_env() {
        let mut a = AuditRecord::from_app(&app(vec![], 1), "1", None, "x");
        let mut b = a.clone();
        b.at = "2".into();
        a.env = "local".into();
        let c = AuditRecord {
            at: "3".into(),
            env: "local".into(),
            ..b.clone()
        };
        let records = vec![b.clone(), a, c];
        assert_eq!(previous_of(&records, "prod").unwrap().at, "2");
        assert_eq!(previous_of(&records, "local").unwrap().at, "3");
        assert!(previous_of(&records, "sit").is_none());
    }
}
