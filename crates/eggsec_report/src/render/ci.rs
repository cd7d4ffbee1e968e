//! The formats CI systems and editors read: `concise` (one line per finding,
//! `file:line:col: severity CODE name message`), `github` (workflow commands that become
//! annotations), `gitlab` (a GitLab SAST report), `junit` (one test case per finding), and the
//! `--statistics` table (counts per rule).
//!
//! Paths are the app root as the user typed it joined with the finding's path, so they are
//! relative to the current directory (the repository root in CI). App-wide findings point at the
//! file that should carry the fix (see [`fix_file`]), line 1.

use crate::finding::{Finding, Location, Severity};
use crate::report::Report;
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// Where a finding points, for line-based formats: `(path, line, column)`, 1-based; line and
/// column are 0 when unknown. URL and app-wide locations give the file carrying the fix.
pub fn place(root: &str, f: &Finding) -> (String, u64, u32) {
    let join = |p: &str| -> String {
        if Path::new(p).is_absolute() || root.is_empty() || root == "." {
            p.to_string()
        } else {
            format!("{}/{p}", root.trim_end_matches('/'))
        }
    };
    match &f.location {
        Location::File { path, line, column } => (join(path), u64::from(*line), *column),
        Location::Log { path, line } => (path.clone(), *line, 0),
        Location::Url { .. } | Location::App { .. } => (join(&fix_file(Path::new(root), f)), 1, 0),
    }
}

/// The file an app-wide (or URL-located) finding's fix goes in, relative to the app root:
/// the lockfile or `package.json` for updates, `config/plugin.*` for plugins, else
/// `config/config.default.*` — the first that exists, else `package.json`, else
/// `config/config.default.js`.
pub fn fix_file(app_root: &Path, f: &Finding) -> String {
    let exists = |p: &str| app_root.join(p).is_file();
    let first = |candidates: &[&str]| candidates.iter().find(|c| exists(c)).map(|c| c.to_string());
    const LOCKFILES: [&str; 4] = [
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
    ];
    const CONFIGS: [&str; 5] = [
        "config/config.default.js",
        "config/config.default.ts",
        "src/config/config.default.ts",
        "config/config.default.mjs",
        "config/config.default.cjs",
    ];
    const PLUGINS: [&str; 3] = [
        "config/plugin.js",
        "config/plugin.ts",
        "src/config/plugin.ts",
    ];
    use crate::finding::Strategy;
    let choice = match f.strategy {
        Strategy::Updates if f.name.contains("lockfile") => first(&["package.json"]),
        Strategy::Updates => first(&LOCKFILES).or_else(|| first(&["package.json"])),
        Strategy::Plugins => first(&PLUGINS).or_else(|| first(&CONFIGS)),
        _ => first(&CONFIGS),
    };
    choice
        .or_else(|| first(&["package.json"]))
        .unwrap_or_else(|| "config/config.default.js".to_string())
}

/// `file:line:col: severity CODE name message`, one line per finding, then a count line
/// (omitted with `quiet`).
pub fn render_concise(report: &Report, quiet: bool) -> String {
    let mut out = String::new();
    let mut total = 0;
    for app in &report.apps {
        for f in &app.findings {
            total += 1;
            let (path, line, col) = place(&app.root, f);
            let _ = writeln!(
                out,
                "{path}:{}:{}: {} {} {} {}",
                line.max(1),
                col.max(1),
                f.severity,
                f.rule,
                f.name,
                one_line(&f.message)
            );
        }
    }
    if !quiet {
        let _ = writeln!(
            out,
            "Found {total} finding{}.",
            if total == 1 { "" } else { "s" }
        );
    }
    out
}

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`.
pub fn render_github(report: &Report) -> String {
    let mut out = String::new();
    for app in &report.apps {
        for f in &app.findings {
            let (path, line, col) = place(&app.root, f);
            let command = match f.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low | Severity::Info => "notice",
            };
            // A whole-file location is shown on its first line.
            let mut props = format!("file={},line={}", gh_property(&path), line.max(1));
            if line > 0 && col > 0 {
                let _ = write!(props, ",col={col}");
            }
            let _ = write!(
                props,
                ",title={}",
                gh_property(&format!("{} {} ({})", f.rule, f.name, f.severity))
            );
            let _ = writeln!(out, "::{command} {props}::{}", gh_data(&f.message));
        }
    }
    out
}

fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A GitLab SAST report (schema 15.x): `{"version","scan":{...},"vulnerabilities":[...]}`.
/// `tags(code)` gives a rule's CWE tags (`external/cwe/cwe-89`) for the identifiers.
pub fn render_gitlab(
    report: &Report,
    started: i64,
    finished: i64,
    tags: &dyn Fn(&str) -> Vec<String>,
) -> String {
    let mut vulns = Vec::new();
    for app in &report.apps {
        for f in &app.findings {
            let (path, line, _) = place(&app.root, f);
            let mut identifiers = vec![json!({
                "type": "eggsec_rule",
                "name": format!("eggsec {} {}", f.rule, f.name),
                "value": f.rule,
            })];
            for t in tags(&f.rule) {
                if let Some(n) = t.strip_prefix("external/cwe/cwe-") {
                    identifiers.push(json!({
                        "type": "cwe",
                        "name": format!("CWE-{n}"),
                        "value": n,
                        "url": format!("https://cwe.mitre.org/data/definitions/{n}.html"),
                    }));
                }
            }
            let mut description = f.message.clone();
            if !f.evidence.is_empty() {
                description.push_str("\n\nEvidence:\n");
                for e in &f.evidence {
                    let _ = writeln!(description, "- {e}");
                }
            }
            let mut location = json!({ "file": path });
            if line > 0 {
                location["start_line"] = json!(line);
            }
            vulns.push(json!({
                "id": format!("{}-{}-{}", f.fingerprint, app.env, vulns.len()),
                "name": format!("{} {}", f.rule, f.name),
                "description": description,
                "severity": match f.severity {
                    Severity::Critical => "Critical",
                    Severity::High => "High",
                    Severity::Medium => "Medium",
                    Severity::Low => "Low",
                    Severity::Info => "Info",
                },
                "solution": f.remediation,
                "identifiers": identifiers,
                "location": location,
            }));
        }
    }
    let tool = json!({
        "id": "eggsec",
        "name": "eggsec",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": {"name": "eggsec"},
    });
    let doc = json!({
        "version": "15.0.7",
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "sast",
            "start_time": gitlab_time(started),
            "end_time": gitlab_time(finished),
            "status": "success",
        },
        "vulnerabilities": vulns,
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("plain JSON");
    out.push('\n');
    out
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC), GitLab's scan time format.
fn gitlab_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// JUnit XML: one `<testsuite>` per app and env, one failing `<testcase>` per finding (a
/// passing one when the app has none, so the suite is never empty).
pub fn render_junit(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total: usize = report.apps.iter().map(|a| a.findings.len()).sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"eggsec\" tests=\"{}\" failures=\"{total}\">",
        report
            .apps
            .iter()
            .map(|a| a.findings.len().max(1))
            .sum::<usize>()
    );
    for app in &report.apps {
        let n = app.findings.len();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{n}\" errors=\"0\" skipped=\"0\">",
            xml(&format!("eggsec {} (env: {})", app.root, app.env)),
            n.max(1)
        );
        if n == 0 {
            let _ = writeln!(
                out,
                "    <testcase classname=\"eggsec\" name=\"no findings\"/>"
            );
        }
        for f in &app.findings {
            let (path, line, col) = place(&app.root, f);
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">",
                xml(&format!("{}.{}", f.strategy, f.rule)),
                xml(&format!("{} {path}:{}:{}", f.name, line.max(1), col.max(1))),
                xml(&path),
                line.max(1)
            );
            let mut body = format!("{}\n", f.message);
            for e in &f.evidence {
                let _ = writeln!(body, "evidence: {e}");
            }
            if !f.remediation.is_empty() {
                let _ = writeln!(body, "fix: {}", f.remediation);
            }
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                f.severity,
                xml(&one_line(&f.message)),
                xml(&body)
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes XML text and attribute values; drops characters XML 1.0 cannot carry.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `--statistics`: one line per rule, most findings first: `count  CODE  name  severity`.
pub fn render_statistics(report: &Report) -> String {
    let mut counts: Vec<(String, String, Severity, usize)> = Vec::new();
    for f in report.findings() {
        match counts.iter_mut().find(|c| c.0 == f.rule) {
            Some(c) => {
                c.3 += 1;
                c.2 = c.2.max(f.severity);
            }
            None => counts.push((f.rule.clone(), f.name.clone(), f.severity, 1)),
        }
    }
    counts.sort_by(|a, b| b.3.cmp(&a.3).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let mut out = String::new();
    for (code, name, severity, n) in &counts {
        let _ = writeln!(out, "{n:>5}  {code:<8} {name:<42} {severity}");
    }
    let total: usize = counts.iter().map(|c| c.3).sum();
    let _ = writeln!(
        out,
        "Found {total} finding{} from {} rule{}.",
        if total == 1 { "" } else { "s" },
        counts.len(),
        if counts.len() == 1 { "" } else { "s" }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Strategy;
    use crate::report::AppReport;

    fn report() -> Report {
        let f = Finding::new(
            "CSRF001",
            "csrf-disabled",
            Strategy::Csrf,
            Severity::High,
            "CSRF is off, 100% sure",
            Location::File {
                path: "config/config.prod.js".into(),
                line: 3,
                column: 5,
            },
        );
        let g = Finding::new(
            "HDR012",
            "permissions-policy-not-set",
            Strategy::Headers,
            Severity::Low,
            "No <Permissions-Policy>",
            Location::App { root: "x".into() },
        );
        Report {
            apps: vec![AppReport {
                root: "apps/web".into(),
                env: "prod".into(),
                findings: vec![f, g],
                posture: Vec::new(),
                diagnostics: Vec::new(),
            }],
        }
    }

    #[test]
    fn concise_lines() {
        let out = render_concise(&report(), false);
        assert_eq!(
            out.lines().next().unwrap(),
            "apps/web/config/config.prod.js:3:5: high CSRF001 csrf-disabled CSRF is off, 100% sure"
        );
        assert!(out.contains("apps/web/config/config.default.js:1:1: low HDR012"));
        assert!(out.ends_with("Found 2 findings.\n"));
        assert!(!render_concise(&report(), true).contains("Found"));
    }

    #[test]
    fn github_commands_escape() {
        let out = render_github(&report());
        assert_eq!(
            out.lines().next().unwrap(),
            "::error file=apps/web/config/config.prod.js,line=3,col=5,title=CSRF001 csrf-disabled (high)::CSRF is off, 100%25 sure"
        );
        assert!(out.contains("::notice file=apps/web/config/config.default.js,line=1,"));
    }

    #[test]
    fn gitlab_report_shape() {
        let out = render_gitlab(&report(), 0, 86_400 + 3_661, &|_| {
            vec!["external/cwe/cwe-352".into()]
        });
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["scan"]["end_time"], "1970-01-02T01:01:01");
        assert_eq!(v["scan"]["type"], "sast");
        let vulns = v["vulnerabilities"].as_array().unwrap();
        assert_eq!(vulns.len(), 2);
        assert_eq!(vulns[0]["severity"], "High");
        assert_eq!(vulns[0]["location"]["start_line"], 3);
        assert_eq!(vulns[0]["identifiers"][1]["value"], "352");
        assert_ne!(vulns[0]["id"], vulns[1]["id"]);
    }

    #[test]
    fn junit_escapes_and_counts() {
        let out = render_junit(&report());
        assert!(out.contains("<testsuites name=\"eggsec\" tests=\"2\" failures=\"2\">"));
        assert!(out.contains("No &lt;Permissions-Policy&gt;"));
        let empty = Report {
            apps: vec![AppReport {
                findings: Vec::new(),
                ..report().apps[0].clone()
            }],
        };
        assert!(render_junit(&empty).contains("name=\"no findings\""));
    }

    #[test]
    fn statistics_count_per_rule() {
        let out = render_statistics(&report());
        assert!(out.starts_with("    1  CSRF001"), "{out}");
        assert!(out.ends_with("Found 2 findings from 2 rules.\n"));
    }
}
