//! Accuracy of the code rules (request-data flows, route auth, error/log/cookie/session facts)
//! on planted-vulnerability apps `tests/fixtures/code-vuln-*` (JS egg 3, TS + tegg, egg 4 ESM).
//!
//! Markers: `// expect: rule-name` — a real vulnerability the rule must report at that line;
//! `// safe` — a look-alike no code rule may report. As a trailing comment a marker is for its
//! line; as a comment line of its own, for the next code line. Recall and precision over all
//! apps are printed and must each be at least 90%; every `// safe` line must be quiet, and
//! every flow finding must show its path (source first, sink last).
//!
//! nunjucks templates under `app/view` (`.html`, `.nj`, `.njk`, `.tpl`) carry the same markers
//! as template comments: `{# expect: rule-name #}` and `{# safe #}`.

use crate::oracle_support::repo_root;
use eggsec_app::LoadOptions;
use eggsec_report::Location;
use eggsec_rules::config::Settings;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The rules this harness measures.
pub(crate) const CODE_RULES: &[&str] = &[
    "sql-built-from-request",
    "shell-command-from-request",
    "code-eval-of-request-data",
    "html-built-from-request",
    "file-path-from-request",
    "open-redirect-from-request",
    "outbound-request-to-request-url",
    "regexp-built-from-request",
    "mongo-query-from-request-object",
    "deep-merge-of-request-body",
    "state-changing-route-without-auth",
    "middleware-input-not-validated",
    "catch-block-sends-error-details",
    "sensitive-data-logged",
    "session-not-renewed-on-login",
    "cookie-set-with-weak-options",
    "authentication-weakened-in-code",
    "module-loaded-from-request",
    "safe-curl-without-ssrf-config",
    "model-or-method-chosen-by-request",
    "nosql-filter-from-body-field",
    "mass-assignment-from-request-body",
    "stored-value-in-path-or-command",
    "token-sent-to-request-url",
    "absolute-url-from-host-header",
    "request-text-served-as-html",
    "template-link-or-location-from-request",
    "record-accessed-without-owner-check",
];

type Key = (String, String, u32);

fn apps(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("code-vuln-"))
        })
        .collect();
    out.sort();
    out
}

/// `(expected findings, safe lines as (file, line))`.
pub(crate) fn markers(app: &Path) -> (BTreeSet<Key>, BTreeSet<(String, u32)>) {
    let mut expected = BTreeSet::new();
    let mut safe = BTreeSet::new();
    for entry in ignore::WalkBuilder::new(app.join("app")).build().flatten() {
        let path = entry.path();
        let template = match path.extension().and_then(|e| e.to_str()) {
            Some("js" | "ts" | "mjs" | "cjs") => false,
            Some("html" | "nj" | "njk" | "tpl") => true,
            _ => continue,
        };
        let (expect_mark, safe_mark, comment) = if template {
            ("{# expect:", "{# safe", "{#")
        } else {
            ("// expect:", "// safe", "//")
        };
        let text = std::fs::read_to_string(path).unwrap();
        let rel = path
            .strip_prefix(app)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(at) = line.find(expect_mark).or_else(|| line.find(safe_mark)) else {
                continue;
            };
            let own_line = line[..at].trim().is_empty();
            let target = if own_line {
                (i + 1..lines.len())
                    .find(|&j| {
                        let t = lines[j].trim();
                        !t.is_empty() && !t.starts_with(comment)
                    })
                    .unwrap_or_else(|| panic!("{rel}:{}: marker with no code after it", i + 1))
            } else {
                i
            } as u32
                + 1;
            let marker = &line[at..];
            if let Some(names) = marker.strip_prefix(expect_mark) {
                let names = names.trim_end().trim_end_matches("#}");
                for n in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    assert!(CODE_RULES.contains(&n), "{rel}:{}: unknown rule {n}", i + 1);
                    expected.insert((n.to_string(), rel.clone(), target));
                }
            } else {
                safe.insert((rel.clone(), target));
            }
        }
    }
    (expected, safe)
}

#[test]
fn planted_vulnerabilities_recall_and_precision() {
    let root = repo_root();
    let apps = apps(&root);
    assert!(
        apps.len() >= 3,
        "expected 3 code-vuln fixtures, found {}",
        apps.len()
    );
    let (mut tp, mut fp, mut fn_, mut n_expected, mut n_safe) = (0usize, 0usize, 0usize, 0, 0);
    let mut report = String::new();
    for app in &apps {
        let (expected, safe) = markers(app);
        n_expected += expected.len();
        n_safe += safe.len();
        let opts = LoadOptions {
            env: Some("prod".into()),
            embedded_defaults_only: true,
            ..Default::default()
        };
        let model = eggsec_app::load(app, &opts).unwrap_or_else(|e| panic!("{e}"));
        // the fixture's own eggsec.toml (rule options) applies, as for a user
        let findings = eggsec_rules::engine::run(&model, &Settings::load(app)).findings;
        let mut got = BTreeSet::new();
        for f in findings
            .iter()
            .filter(|f| CODE_RULES.contains(&f.name.as_str()))
        {
            let Location::File { path, line, .. } = &f.location else {
                panic!("{}: code finding without a file: {f:?}", f.name)
            };
            if f.strategy == eggsec_report::Strategy::Middleware
                && f.name.ends_with("-from-request")
                || f.name.contains("request-")
                || f.name == "code-eval-of-request-data"
            {
                assert!(
                    f.evidence.first().is_some_and(|e| e.starts_with("source "))
                        && f.evidence.last().is_some_and(|e| e.starts_with("sink ")),
                    "{} at {path}:{line}: no source → sink path in {:?}",
                    f.name,
                    f.evidence
                );
            }
            got.insert((f.name.clone(), path.clone(), *line));
        }
        let name = app.file_name().unwrap().to_string_lossy();
        for k in expected.difference(&got) {
            fn_ += 1;
            report.push_str(&format!("  {name}: missed  {} at {}:{}\n", k.0, k.1, k.2));
        }
        for k in got.difference(&expected) {
            fp += 1;
            let on_safe = safe.contains(&(k.1.clone(), k.2));
            report.push_str(&format!(
                "  {name}: extra   {} at {}:{}{}\n",
                k.0,
                k.1,
                k.2,
                if on_safe { " (a `// safe` line)" } else { "" }
            ));
        }
        tp += expected.intersection(&got).count();
    }
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    eprintln!(
        "code rules: {} apps, {n_expected} planted vulnerabilities, {n_safe} safe look-alikes; \
         found {tp}, missed {fn_}, false alarms {fp}; recall {:.1}%, precision {:.1}%\n{report}",
        apps.len(),
        recall * 100.0,
        precision * 100.0
    );
    assert!(
        n_expected >= 40,
        "only {n_expected} planted vulnerabilities"
    );
    assert!(n_safe >= 20, "only {n_safe} safe look-alikes");
    assert!(
        recall >= 0.9 && precision >= 0.9,
        "recall {recall:.3} / precision {precision:.3} below 0.9:\n{report}"
    );
    assert!(
        !report.contains("`// safe` line"),
        "a safe look-alike was reported:\n{report}"
    );
}
