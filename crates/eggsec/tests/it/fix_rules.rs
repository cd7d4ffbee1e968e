//! Each fixable rule on a fixture that has the finding: `eggsec fix --rule R --write` applies the
//! fix, the re-audit no longer reports it (or reports only what the fix refused, with why), and a
//! second run changes nothing. The code rewrites are proven under real egg in `fix_proof.rs`.

use crate::fix_write::copy_tree;
use crate::oracle_support::repo_root;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn staged(tmp: &Path, fixture: &str) -> PathBuf {
    let app = tmp.join(fixture);
    copy_tree(&repo_root().join("tests/fixtures").join(fixture), &app);
    app
}

/// How many findings of `rule` the prod audit reports.
fn count(app: &Path, rule: &str) -> usize {
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args([
            "audit",
            "--env",
            "prod",
            "--embedded-defaults",
            "--format",
            "json",
            "--fail-on",
            "critical",
        ])
        .arg(app)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "audit printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    r["apps"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .count()
}

/// `eggsec fix --env prod --embedded-defaults ARGS APP`: (exit code, stdout, stderr).
fn fix(app: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args(["fix", "--env", "prod", "--embedded-defaults"])
        .args(args)
        .arg(app)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Applies the fix of `rule` (as many runs as `runs`), checks the count falls from `before` to
/// `after` and that one more run plans nothing. Returns the stderr of the first run.
fn applies(
    fixture: &str,
    rule: &str,
    extra: &[&str],
    runs: usize,
    before: usize,
    after: usize,
) -> (PathBuf, String, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let app = staged(tmp.path(), fixture);
    assert_eq!(
        count(&app, rule),
        before,
        "{rule} on {fixture} before the fix"
    );
    let mut args = vec!["--rule", rule];
    args.extend_from_slice(extra);
    let mut first_err = String::new();
    for i in 0..runs {
        let (code, _, err) = fix(&app, &[&args[..], &["--write"][..]].concat());
        assert_eq!(code, 0, "{err}");
        if i == 0 {
            first_err = err;
        }
    }
    assert_eq!(
        count(&app, rule),
        after,
        "{rule} on {fixture} after the fix:\n{first_err}"
    );
    let (code, diff, err) = fix(&app, &args);
    assert_eq!(
        (code, diff.as_str()),
        (0, ""),
        "a second run changes nothing: {err}"
    );
    (app, first_err, tmp)
}

#[test]
fn query_string_limits_go_back_to_egg_defaults() {
    let (app, _, _tmp) = applies(
        "audit-builtin-a-cookies-body-parser",
        "BLT011",
        &[],
        1,
        2,
        0,
    );
    let text = std::fs::read_to_string(app.join("config/config.default.js")).unwrap();
    assert!(
        text.contains("depth: 5, // expect: query-string-limits-raised"),
        "{text}"
    );
    assert!(text.contains("parameterLimit: 1000, // expect"), "{text}");
}

#[test]
fn logrotator_is_enabled_again() {
    let (app, _, _tmp) = applies("audit-logging-rotator-off", "LOG002", &[], 1, 1, 0);
    let plugin = std::fs::read_to_string(app.join("config/plugin.js")).unwrap();
    assert!(plugin.contains("exports.logrotator = true;"), "{plugin}");
}

#[test]
fn unanchored_csrf_exemption_is_anchored_and_a_catch_all_is_refused() {
    let (app, err, _tmp) = applies("audit-csrf-exemptions", "CSRF003", &[], 1, 2, 1);
    let text = std::fs::read_to_string(app.join("config/config.prod.js")).unwrap();
    assert!(text.contains("/^\\/callback/"), "{text}");
    assert!(text.contains("'/webhooks/'"), "{text}");
    assert!(
        err.contains("not fixed") && err.contains("name the endpoints"),
        "the catch-all '/' is refused with why: {err}"
    );
}

#[test]
fn domain_white_list_from_the_code_and_the_named_domains() {
    // without a domain: refused, with the flag to pass
    let tmp = tempfile::tempdir().unwrap();
    let app = staged(tmp.path(), "audit-builtin-b-api");
    let (code, diff, err) = fix(&app, &["--rule", "BLT019"]);
    assert_eq!((code, diff.as_str()), (0, ""), "{err}");
    assert!(err.contains("--domain"), "{err}");
    let (app, _, _tmp) = applies(
        "audit-builtin-b-api",
        "BLT019",
        &["--domain", ".shop.example"],
        1,
        1,
        0,
    );
    let text = std::fs::read_to_string(app.join("config/config.default.js")).unwrap();
    assert!(
        text.contains("domainWhiteList") && text.contains("'.shop.example'"),
        "{text}"
    );
}
