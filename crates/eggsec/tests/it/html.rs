//! `--format html` for audit, deps and logs scan (probe and `audit --probe --logs`: in
//! probe.rs, beside the egg app they probe); `audit --record` / `--diff` across two runs of a
//! changing app; and the report in real headless Chromium (tests/browser/check.cjs).

use crate::oracle_support::repo_root;
use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn eggsec() -> Command {
    Command::cargo_bin("eggsec").unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> bool {
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "eggsec test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "eggsec test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The example app in a git repository of its own, recorded once; then changed (HSTS turned
/// back on: `hsts-disabled` fixed; X-Frame-Options turned off: `xframe-disabled` new) and
/// committed. Returns the temp dir, the app root and whether git was there to commit.
fn changing_app() -> (tempfile::TempDir, PathBuf, bool) {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("shop-api");
    copy_dir(&repo_root().join("examples/shop-api"), &app);
    let has_git = git(&app, &["init", "-q"])
        && git(&app, &["add", "-A"])
        && git(&app, &["commit", "-q", "-m", "first"]);
    let out = eggsec()
        .args(["audit", "--record", "--format", "json"])
        .arg(&app)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prod = app.join("config/config.prod.js");
    let text = std::fs::read_to_string(&prod).unwrap();
    let changed = text.replace(
        "      enable: false, // expect: hsts-disabled\n    },",
        "      enable: true,\n    },\n    xframe: { enable: false },",
    );
    assert_ne!(text, changed, "the fixture changed under the test");
    std::fs::write(&prod, changed).unwrap();
    if has_git {
        assert!(git(&app, &["commit", "-q", "-am", "second"]));
    }
    (dir, app, has_git)
}

fn history_lines(app: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(app.join(".eggsec/audit-history.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn record_and_diff_across_two_runs_of_a_changing_app() {
    let (_dir, app, has_git) = changing_app();
    let first = history_lines(&app);
    assert_eq!(first.len(), 1);
    let rec = &first[0];
    assert_eq!(rec["env"], "prod");
    assert!(rec["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(rec["strategies"]["headers"]["status"], "partial");
    assert!(rec["strategies"]["headers"]["score"].is_u64());
    assert!(rec["counts"]["high"].as_u64().unwrap() > 0);
    let fingerprints: Vec<&str> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert!(fingerprints.iter().all(|f| f.len() == 16));
    if has_git {
        assert_eq!(rec["commit"].as_str().map(str::len), Some(40), "{rec}");
    }

    // --diff: what changed since, nothing written.
    let out = eggsec()
        .args(["audit", "--diff", "--no-color"])
        .arg(&app)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let diff = &text[text.find("Since the previous record").expect(&text)..];
    let fixed = &diff[diff.find("Fixed (1):\n").expect(diff)..diff.find("New (").unwrap()];
    assert!(
        fixed.contains(" HDR001 hsts-disabled  config/config.prod.js:11:"),
        "{diff}"
    );
    let new = &diff[diff.find("New (1):\n").expect(diff)..];
    assert!(
        new.contains(" xframe-disabled  config/config.prod.js:13:"),
        "{diff}"
    );
    // The headers score moved; the others did not.
    let headers = diff.lines().find(|l| l.starts_with("  headers ")).unwrap();
    assert!(
        headers.ends_with(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']),
        "{headers}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with("  csrf ") && l.ends_with('=')),
        "{diff}"
    );
    assert_eq!(history_lines(&app).len(), 1, "--diff wrote a record");

    // A second --record appends; the HTML page shows the trend and the change.
    let html = app.join("report.html");
    let out = eggsec()
        .args(["audit", "--record", "--format", "html", "-o"])
        .arg(&html)
        .arg(&app)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)));
    assert_eq!(history_lines(&app).len(), 2);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Fixed since (1)"), "no fixed list");
    assert!(page.contains("New since (1)"), "no new list");
    assert!(page.contains("<span class=\"trend\">"), "no trend");
    assert!(page.contains("this run was recorded too"));

    // A third run with --diff compares with the second record: nothing changed.
    let out = eggsec()
        .args(["audit", "--diff", "--format", "json"])
        .arg(&app)
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&out.stderr);
    assert!(
        diff.contains("Fixed (0):") && diff.contains("New (0):"),
        "{diff}"
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("stdout stays JSON");
}

#[test]
fn record_survives_a_torn_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("shop-api");
    copy_dir(&repo_root().join("examples/shop-api"), &app);
    std::fs::create_dir_all(app.join(".eggsec")).unwrap();
    std::fs::write(
        app.join(".eggsec/audit-history.jsonl"),
        "{\"at\":\"2026-12-01T00:00:00Z\",\"env\":\"pr",
    )
    .unwrap();
    let out = eggsec()
        .args(["audit", "--record", "--diff", "--format", "json"])
        .arg(&app)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("audit-history.jsonl:1: not an audit record"),
        "{stderr}"
    );
    assert!(stderr.contains("no earlier record"), "{stderr}");
    let text = std::fs::read_to_string(app.join(".eggsec/audit-history.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 2);
    serde_json::from_str::<serde_json::Value>(text.lines().nth(1).unwrap()).unwrap();
}

/// The self-contained page checks every command's HTML passes.
fn assert_self_contained(page: &str) {
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.len() < 1_000_000, "{} bytes", page.len());
    for bad in [
        " src=",
        "@import",
        "url(",
        "href=\"http",
        "<link rel=\"stylesheet\"",
    ] {
        assert!(!page.contains(bad), "the page contains {bad}");
    }
    assert!(page.contains("Content-Security-Policy\" content=\"default-src 'none';"));
}

#[test]
fn audit_html_of_the_example_app() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("report.html");
    let out = eggsec()
        .args(["audit", "examples/shop-api", "--format", "html", "-o"])
        .arg(&out_file)
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&out_file).unwrap();
    assert_self_contained(&page);
    for strategy in [
        "updates",
        "plugins",
        "middleware",
        "builtin",
        "csrf",
        "headers",
        "errors",
        "logging",
    ] {
        assert!(
            page.contains(&format!("id=\"a0-s-{strategy}\"")),
            "{strategy}"
        );
    }
    assert!(page.contains("<h5>Currently implemented</h5>"));
    assert!(page.contains("<h5>Missing implementation</h5>"));
    assert!(page.contains("Fix these first"));
    // Code frames, a source → sink path, the config table with provenance, plugins with reasons.
    assert!(page.contains("<pre class=\"frame\""));
    assert!(page.contains("<h5>Source → sink</h5>"));
    assert!(page.contains("<span class=\"kind kind-source\">source</span>"));
    assert!(page.contains("<code>security.csrf.ignoreJSON</code>"));
    assert!(page.contains("config/config.default.js:23:19"));
    assert!(page.contains("<th scope=\"col\">local</th>"));
    assert!(page.contains("<table class=\"plugins\">"));
    assert!(page.contains("eggsec fix examples/shop-api --plugins --env prod --write"));
    // A config fix from the fix catalog, and a scaffold.
    assert!(page.contains("eggsec fix examples/shop-api --rule CSRF002 --env prod --write"));
    assert!(page.contains("eggsec scaffold headers --path examples/shop-api --env prod --write"));
    // Secrets masked as everywhere else: the jwt secret and the keys.
    let config =
        std::fs::read_to_string(repo_root().join("examples/shop-api/config/config.default.js"))
            .unwrap();
    assert!(config.contains("shop-api-jwt-secret-change-me"));
    assert!(!page.contains("shop-api-jwt-secret-change-me"));
    assert!(page.contains("sh****(29 chars)"));
    assert!(!page.contains("_1712345678901_8312"));
}

#[test]
fn deps_and_logs_html() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    copy_dir(&repo_root().join("tests/fixtures/deps-pnpm-v9"), &app);
    let cache = dir.path().join("cache");
    let out = eggsec()
        .env("EGGSEC_CACHE_DIR", &cache)
        .env("HOME", &cache)
        .env_remove("npm_config_registry")
        .args(["deps", "--offline", "--format", "html"])
        .arg(&app)
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert_self_contained(&page);
    assert!(page.contains("<h3>Advisories (7)</h3>"), "{page}");
    assert!(page.contains("GHSA-c9j3-wqph-5xx9"));
    // The egg package that pulls dicer in.
    let dicer = page.find("<code>dicer@0.2.5</code>").expect("dicer row");
    let row = &page[dicer..dicer + page[dicer..].find("</tr>").unwrap()];
    assert!(row.contains("<code>egg-multipart</code>"), "{row}");
    assert!(
        !page.contains("<figure class=\"chart\""),
        "deps has no posture chart"
    );

    let logs = repo_root().join("tests/fixtures/logs/egg-logs/run1-prod-default");
    let out = eggsec()
        .args(["logs", "scan", "--format", "html"])
        .arg(&logs)
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert_self_contained(&page);
    assert!(page.contains("<h2 id=\"logs-h\">Log scan</h2>"));
    assert!(page.contains("<h3>Files</h3>"));
}

/// Where Cargo builds (the browser driver is cached under it).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// The report of a changing app (two records: trend, fixed and new) in real headless Chromium
/// with the network off: no console error, no request, the chart, the findings table, the
/// filter, keyboard, contrast in light and dark mode, no-JS and print. Needs Chromium
/// (`tests/browser/install.sh`, run by .ci/run, installs it from Debian's packages); the
/// driver (playwright-core) is installed on demand into target/browser-test.
#[test]
fn report_in_headless_chromium() {
    let root = repo_root();
    let install = std::process::Command::new("bash")
        .arg(root.join("tests/browser/install.sh"))
        .env("EGGSEC_BROWSER_NO_APT", "1")
        .output()
        .expect("bash");
    assert!(
        install.status.success(),
        "tests/browser/install.sh failed (run it once as root to install Chromium):\n{}{}",
        String::from_utf8_lossy(&install.stdout),
        String::from_utf8_lossy(&install.stderr)
    );
    let (_dir, app, _) = changing_app();
    let report = app.join("report.html");
    let out = eggsec()
        .args(["audit", "--record", "--format", "html", "-o"])
        .arg(&report)
        .arg(&app)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let shots = target_dir().join("browser-test/shots");
    let started = std::time::Instant::now();
    let check = std::process::Command::new("node")
        .arg(root.join("tests/browser/check.cjs"))
        .arg(&report)
        .arg(&shots)
        .env(
            "EGGSEC_BROWSER_MODULES",
            target_dir().join("browser-test/node_modules"),
        )
        .output()
        .expect("node on PATH");
    let stdout = String::from_utf8_lossy(&check.stdout);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{stdout}\n{stderr}");
    eprintln!(
        "browser check: {} ({:.1} s); screenshots in {}",
        stdout.trim(),
        started.elapsed().as_secs_f64(),
        shots.display()
    );
    let facts: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(facts["bars"], 8);
    assert!(facts["trend"].as_u64().unwrap() >= 8, "{facts}");
    assert!(shots.join("report-light.png").is_file());
    assert!(shots.join("report-dark.png").is_file());
    assert!(shots.join("report.pdf").is_file());
}
