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

/// SQL and commands built in a variable, shelljs and execa command sinks, knex and TypeORM raw
/// SQL: `fix` rewrites each safe shape, refuses the others with the reason, every file still
/// parses (the re-audit reads them), the re-audit reports only the refused sinks, and a second
/// run changes nothing.
#[test]
fn code_sinks_are_rewritten_or_refused_with_why() {
    let tmp = tempfile::tempdir().unwrap();
    let app = staged(tmp.path(), "fix-code-sinks");
    assert_eq!(count(&app, "MW001"), 5, "MW001 before");
    assert_eq!(count(&app, "MW002"), 7, "MW002 before");
    let args = ["--rule", "MW001", "--rule", "MW002"];
    let (code, _, err) = fix(&app, &[&args[..], &["--write"]].concat());
    assert_eq!(code, 0, "{err}");
    let items = std::fs::read_to_string(app.join("app/controller/items.js")).unwrap();
    let tools = std::fs::read_to_string(app.join("app/controller/tools.js")).unwrap();
    let deploy = std::fs::read_to_string(app.join("app/controller/deploy.js")).unwrap();
    for (text, want) in [
        // SQL in a variable: the text keeps its variable, the values get one next to it
        (&items, "    const sql = 'SELECT id, name FROM items WHERE id = ?';\n    const sqlValues = [ ctx.params.id ];\n    ctx.body = await app.mysql.query(sql, sqlValues);\n"),
        // knex raw: `?` bindings
        (&items, "    ctx.body = await knex.raw('SELECT * FROM orders WHERE owner = ?', [ ctx.query.owner ]);\n"),
        // TypeORM with mysql2 (package.json): `?`
        (&items, "    const sql = 'SELECT SUM(total) AS total FROM orders WHERE region = ?';\n    const sqlValues = [ ctx.query.region ];\n    ctx.body = await getConnection().query(sql, sqlValues);\n"),
        // a command in a variable: the variable holds the arguments
        (&tools, "const { exec, execFile, spawnSync } = require('child_process');\n"),
        (&tools, "    const cmdArgs = [ String(ctx.request.body.file), '-resize', '64x64', 'thumb.png' ];\n    await new Promise((resolve, reject) => {\n      execFile('convert', cmdArgs, err => (err ? reject(err) : resolve()));\n"),
        // shelljs: spawnSync, the output still shown
        (&tools, "    spawnSync('npm', [ 'uninstall', String(ctx.request.body.pkg) ], { stdio: 'inherit' });\n"),
        // no child_process binding yet: one require under the shelljs one, used by both calls
        (&deploy, "const shell = require('shelljs');\nconst { spawnSync } = require('child_process');\n"),
        (&deploy, "    spawnSync('git', [ 'checkout', String(branch) ], { stdio: 'inherit' });\n    spawnSync('git', [ 'tag', String(tag) ], { stdio: 'ignore' });\n"),
        // execa's command(): one argument per value
        (&tools, "    const { stdout } = await execa('git', [ 'log', '-n', '5', `--author=${ctx.request.body.who}` ]);\n"),
    ] {
        assert!(text.contains(want), "missing\n{want}\nin\n{text}\n{err}");
    }
    for why in [
        "MW001 app/controller/items.js:24: `sql` is used or changed elsewhere too",
        "MW001 app/controller/items.js:43: `ctx.query.sort` is used where SQL expects a name or keyword",
        "MW002 app/controller/tools.js:29: the result of shell.exec (a ShellString) is used",
        "MW002 app/controller/tools.js:44: the command uses shell syntax (`|`)",
    ] {
        assert!(err.contains(why), "refused with why: `{why}` in:\n{err}");
    }
    assert_eq!(
        count(&app, "MW001"),
        2,
        "MW001 after: the refused ones\n{items}"
    );
    assert_eq!(
        count(&app, "MW002"),
        2,
        "MW002 after: the refused ones\n{tools}"
    );
    let (code, diff, err) = fix(&app, &args);
    assert_eq!(
        (code, diff.as_str()),
        (0, ""),
        "a second run changes nothing: {err}"
    );
}

/// The config fixes with no test of their own above: (fixture, rule, extra flags, findings
/// before, findings after).
const CONFIG_FIXES: &[(&str, &str, &[&str], usize, usize)] = &[
    ("audit-csrf-weak", "CSRF002", &[], 1, 0),
    ("audit-headers-weak", "HDR002", &[], 1, 0),
    ("audit-headers-weak", "HDR004", &["--enforce-csp"], 1, 0),
    ("audit-builtin-a-clean", "HDR011", &[], 1, 0),
    ("audit-builtin-a-keys-hard-coded", "BLT002", &[], 1, 0),
    ("audit-builtin-a-secrets", "BLT003", &[], 5, 0),
    ("audit-builtin-a-session", "BLT005", &[], 1, 0),
    ("audit-builtin-a-session", "BLT006", &[], 1, 0),
    ("audit-builtin-a-session", "BLT007", &[], 1, 0),
    ("audit-builtin-a-session", "BLT008", &[], 1, 0),
    ("audit-builtin-a-cookies-body-parser", "BLT010", &[], 2, 0),
    ("audit-builtin-b-uploads", "BLT012", &[], 1, 0),
    ("audit-builtin-b-api", "BLT013", &[], 1, 0),
    ("audit-builtin-b-uploads", "BLT014", &[], 2, 0),
    ("audit-builtin-b-api", "BLT018", &[], 1, 0),
    ("audit-logging-verbose", "LOG004", &[], 1, 0),
];

/// The rules the tests above and `fix_proof.rs` apply and re-audit by hand.
const PROVEN_ELSEWHERE: &[&str] = &["BLT011", "LOG002", "CSRF003", "BLT019", "ERR003"];

#[test]
fn every_config_fix_applies_and_the_re_audit_drops_it() {
    for (fixture, rule, extra, before, after) in CONFIG_FIXES {
        applies(fixture, rule, extra, 1, *before, *after);
    }
    // the secrets: a variable the app already reads stays; none falls back to a lower layer
    let (app, _, _tmp) = applies("audit-builtin-a-secrets", "BLT003", &[], 1, 5, 0);
    let text = std::fs::read_to_string(app.join("config/config.default.js")).unwrap();
    assert!(
        text.contains("password: process.env.MYSQL_PASSWORD || '', // expect")
            && text.contains("secret: process.env.JWT_SECRET || '', // expect"),
        "{text}"
    );
    // both upload limits, each back to egg's default
    let (app, _, _tmp) = applies("audit-builtin-b-uploads", "BLT014", &[], 1, 2, 0);
    let text = std::fs::read_to_string(app.join("config/config.default.js")).unwrap();
    assert!(
        text.contains("fileSize: '10mb',") && text.contains("files: 10,"),
        "{text}"
    );
}

/// ERR003 (no error handling strategy) is closed by a scaffold, not a config edit.
#[test]
fn the_errors_scaffold_closes_err003() {
    let tmp = tempfile::tempdir().unwrap();
    let app = staged(tmp.path(), "audit-errors-no-handler");
    assert_eq!(count(&app, "ERR003"), 1);
    let scaffold = |write: bool| {
        let mut c = Command::cargo_bin("eggsec").unwrap();
        c.args(["scaffold", "errors", "--embedded-defaults", "--path"])
            .arg(&app);
        if write {
            c.arg("--write");
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    scaffold(true);
    assert_eq!(count(&app, "ERR003"), 0, "ERR003 after the scaffold");
    assert_eq!(scaffold(false), "", "a second run changes nothing");
}

/// "Every fixable rule has a fix with a test that applies it and re-audits": each rule
/// `eggsec rules` marks fixable is in one of the tables above or in `fix_proof.rs`.
#[test]
fn every_fixable_rule_has_a_test_that_applies_it_and_re_audits() {
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .arg("rules")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let covered: std::collections::BTreeSet<&str> = CONFIG_FIXES
        .iter()
        .map(|r| r.1)
        .chain(PROVEN_ELSEWHERE.iter().copied())
        .chain(crate::fix_proof::FIXED.iter().copied())
        .chain(crate::fix_proof::REWRITTEN.iter().copied())
        .collect();
    let mut fixable = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if let [code, _, _, _, _, fix, ..] = cols.as_slice() {
            if *fix != "-" {
                fixable.push(*code);
            }
        }
    }
    assert!(fixable.len() >= 37, "{text}");
    let missing: Vec<_> = fixable.iter().filter(|c| !covered.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "fixable rules without a test: {missing:?}"
    );
}
