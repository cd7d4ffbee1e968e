//! The way in and out: `eggsec.toml` validation and discovery, app root found upward, unknown
//! envs, output formats and flags, colours, rule lookups, output file permissions.

use crate::oracle_support::repo_root;
use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn eggsec() -> Command {
    let mut c = Command::cargo_bin("eggsec").unwrap();
    c.env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("TERM");
    c
}

/// A copy of examples/shop-api in `<tmp>/repo/<rel>`, with `<tmp>/repo/.git` marking the
/// repository root (so no `eggsec.toml` above it is looked at).
fn shop_copy(rel: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    let app = repo.join(rel);
    copy_dir(&repo_root().join("examples/shop-api"), &app);
    (tmp, app)
}

/// Copies a directory tree, leaving out `node_modules`.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            if e.file_name() != "node_modules" {
                copy_dir(&e.path(), &target);
            }
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn audit(app: &Path, extra: &[&str]) -> (i32, String, String) {
    run(eggsec()
        .args(["audit", "--embedded-defaults"])
        .args(extra)
        .arg(app))
}

#[test]
fn a_bad_eggsec_toml_exits_2_naming_the_line_with_a_suggestion() {
    let (_tmp, app) = shop_copy("shop");
    for (text, line, wanted) in [
        ("ignore = []\n[rules]\nHDR01 = \"off\"\n", 3, "did you mean"),
        ("\nignored = [\"x\"]\n", 2, "did you mean \"ignore\"?"),
        (
            "[rules]\n\"csrf-disabled\" = \"of\"\n",
            2,
            "did you mean \"off\"?",
        ),
        ("[rules\n", 1, "invalid TOML"),
        ("[report]\nhelp-uri-base = \"docs/\"\n", 2, "http(s) URL"),
    ] {
        std::fs::write(app.join("eggsec.toml"), text).unwrap();
        let (code, stdout, stderr) = audit(&app, &["--format", "json"]);
        assert_eq!(code, 2, "{text:?}: {stderr}");
        assert!(stdout.is_empty(), "no report on a bad config: {stdout}");
        assert!(
            stderr.contains(&format!("eggsec.toml:{line}: ")),
            "{text:?}: {stderr}"
        );
        assert!(stderr.contains(wanted), "{text:?}: {stderr}");
        assert!(!stderr.contains("using defaults"), "{stderr}");
    }
}

#[test]
fn the_nearest_eggsec_toml_up_to_the_repository_root_applies() {
    let (tmp, app) = shop_copy("apps/shop");
    let repo = tmp.path().join("repo");
    let rules = |dir: &Path| -> Vec<String> {
        let (code, stdout, stderr) = audit(dir, &["--format", "json", "--fail-on", "none"]);
        assert_eq!(code, 0, "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        v["apps"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let before = rules(&app);
    assert!(before.iter().any(|r| r == "BLT003"), "{before:?}");
    // A monorepo root file applies to every app below it.
    std::fs::write(
        repo.join("eggsec.toml"),
        "[rules]\n\"secret-hard-coded-in-config\" = \"off\"\n",
    )
    .unwrap();
    assert!(!rules(&app).iter().any(|r| r == "BLT003"));
    // The app's own file wins over the root's.
    std::fs::write(app.join("eggsec.toml"), "ignore = []\n").unwrap();
    assert!(rules(&app).iter().any(|r| r == "BLT003"));
    // A file above the repository root is not looked at.
    std::fs::remove_file(app.join("eggsec.toml")).unwrap();
    std::fs::remove_file(repo.join("eggsec.toml")).unwrap();
    std::fs::write(tmp.path().join("eggsec.toml"), "[rules\n").unwrap();
    assert!(rules(&app).iter().any(|r| r == "BLT003"));
}

#[test]
fn running_inside_the_app_finds_its_root_upward() {
    let (_tmp, app) = shop_copy("shop");
    let (code, stdout, stderr) = run(eggsec().current_dir(app.join("app/controller")).args([
        "audit",
        "--embedded-defaults",
        "--format",
        "json",
        "--fail-on",
        "none",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["apps"][0]["root"], "../..", "{}", v["apps"][0]["root"]);
    assert!(!v["apps"][0]["findings"].as_array().unwrap().is_empty());
}

#[test]
fn an_unknown_env_is_warned_about_with_the_apps_envs() {
    let (_tmp, app) = shop_copy("shop");
    let (_, _, stderr) = audit(&app, &["--env", "prdo", "--format", "json"]);
    assert!(stderr.contains("warning: --env prdo"), "{stderr}");
    assert!(stderr.contains("did you mean \"prod\"?"), "{stderr}");
    assert!(stderr.contains("the app's envs: "), "{stderr}");
    let (_, _, stderr) = audit(&app, &["--env", "local", "--format", "json"]);
    assert!(!stderr.contains("warning: --env"), "{stderr}");
}

#[test]
fn formats_concise_github_gitlab_junit() {
    let app = repo_root().join("examples/shop-api");
    let (code, concise, _) = audit(&app, &["--format", "concise"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = concise.lines().collect();
    assert!(lines.len() > 3);
    for l in &lines[..lines.len() - 1] {
        assert!(
            concise_line(l),
            "not file:line:col: severity CODE name message: {l}"
        );
        assert!(l.contains("examples/shop-api/"), "{l}");
    }
    assert!(lines.last().unwrap().starts_with("Found "));

    let (_, github, _) = audit(&app, &["--format", "github"]);
    assert!(!github.is_empty());
    for l in github.lines() {
        assert!(
            l.starts_with("::error file=")
                || l.starts_with("::warning file=")
                || l.starts_with("::notice file="),
            "{l}"
        );
        assert!(l.contains(",line="), "{l}");
    }

    let (_, gitlab, _) = audit(&app, &["--format", "gitlab"]);
    let v: serde_json::Value = serde_json::from_str(&gitlab).unwrap();
    assert_eq!(v["scan"]["type"], "sast");
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), lines.len() - 1);
    for x in vulns {
        assert!(
            x["location"]["file"]
                .as_str()
                .unwrap()
                .starts_with("examples/shop-api/")
                || x["location"]["file"].as_str().unwrap().starts_with('/')
        );
        assert!(!x["identifiers"].as_array().unwrap().is_empty());
    }

    let (_, junit, _) = audit(&app, &["--format", "junit"]);
    assert!(junit.starts_with("<?xml"));
    assert_eq!(
        junit.matches("<failure ").count(),
        vulns.len(),
        "one failing test case per finding"
    );
    assert!(junit.trim_end().ends_with("</testsuites>"));
}

/// `file:line:col: severity CODE name message`.
fn concise_line(l: &str) -> bool {
    {
        let mut parts = l.splitn(4, ':');
        let (Some(file), Some(line), Some(col), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let words: Vec<&str> = rest.trim_start().splitn(4, ' ').collect();
        !file.is_empty()
            && line.parse::<u32>().is_ok_and(|n| n > 0)
            && col.parse::<u32>().is_ok_and(|n| n > 0)
            && words.len() == 4
            && ["critical", "high", "medium", "low", "info"].contains(&words[0])
            && words[1]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
            && words[1].chars().last().is_some_and(|c| c.is_ascii_digit())
            && words[2]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }
}

#[test]
fn quiet_min_severity_statistics_exit_zero_fail_on_none() {
    let app = repo_root().join("examples/shop-api");
    let (code, text, _) = audit(&app, &[]);
    assert_eq!(code, 1, "the example has high findings");
    assert!(text.contains("Posture") && text.contains("Fix these first"));
    // The report opens with the posture, then the list, then the findings.
    let (p, f, l) = (
        text.find("Posture").unwrap(),
        text.find("Fix these first").unwrap(),
        text.find("Findings (").unwrap(),
    );
    assert!(p < f && f < l, "{text}");
    assert!(text.contains("confidence "), "confidence is shown");

    let (_, quiet, _) = audit(&app, &["--quiet"]);
    assert!(
        !quiet.contains("Posture") && !quiet.contains("findings:"),
        "{quiet}"
    );
    assert!(quiet.contains("-->"));

    let (code, json, _) = audit(&app, &["--format", "json", "--min-severity", "high"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = v["apps"][0]["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings
        .iter()
        .all(|f| ["high", "critical"].contains(&f["severity"].as_str().unwrap())));

    let (_, stats, _) = audit(&app, &["--statistics"]);
    let last = stats.lines().last().unwrap();
    assert!(
        last.starts_with("Found ") && last.contains(" rule"),
        "{stats}"
    );
    assert!(stats
        .lines()
        .next()
        .unwrap()
        .trim_start()
        .chars()
        .next()
        .unwrap()
        .is_ascii_digit());

    assert_eq!(audit(&app, &["--exit-zero"]).0, 0);
    assert_eq!(audit(&app, &["--fail-on", "none"]).0, 0);
    assert_eq!(audit(&app, &["--fail-on", "nothing"]).0, 2);
    assert_eq!(audit(&app, &["--min-severity", "loud"]).0, 2);
}

#[test]
fn colour_auto_always_never_and_the_environment() {
    let app = repo_root().join("examples/shop-api");
    let ansi = |args: &[&str], env: &[(&str, &str)]| -> bool {
        let mut c = eggsec();
        c.args(["audit", "--embedded-defaults"])
            .args(args)
            .arg(&app);
        for (k, v) in env {
            c.env(k, v);
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).contains("\u{1b}[")
    };
    assert!(!ansi(&[], &[]), "not a terminal: no colour");
    assert!(ansi(&["--color", "always"], &[]));
    assert!(ansi(&[], &[("FORCE_COLOR", "1")]));
    assert!(!ansi(&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
    assert!(!ansi(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(!ansi(&["--no-color"], &[("FORCE_COLOR", "1")]));
}

#[test]
fn diagnostics_fold_into_one_line_and_verbose_lists_them() {
    let (_tmp, app) = shop_copy("shop");
    std::fs::write(app.join("config/config.local.js"), "module.exports = {\n").unwrap();
    let (_, text, _) = audit(&app, &["--env", "local"]);
    let folded: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Diagnostics"))
        .collect();
    assert_eq!(folded.len(), 1, "{text}");
    assert!(folded[0].contains("--verbose"), "{text}");
    // The diagnostics are folded; only the PARTIAL AUDIT banner names the unread file (issue 19:
    // a partial audit says which part in every format).
    assert!(
        !text
            .lines()
            .filter(|l| !l.starts_with("PARTIAL AUDIT"))
            .any(|l| l.contains("config/config.local.js:")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("PARTIAL AUDIT") && l.contains("config/config.local.js")),
        "{text}"
    );
    let (_, verbose, _) = audit(&app, &["--env", "local", "--verbose"]);
    assert!(verbose.contains("config/config.local.js"), "{verbose}");
}

#[test]
fn every_rule_kind_is_listed_documented_and_typos_suggest() {
    let (code, list, _) = run(eggsec().arg("rules"));
    assert_eq!(code, 0);
    for code in ["CSRF001", "PRB301", "PRB501", "LGS101", "LGS303"] {
        assert!(list.contains(code), "{code} in `eggsec rules`");
    }
    for id in ["PRB301", "cookie-without-secure", "LGS101", "csrf-disabled"] {
        let (code, doc, stderr) = run(eggsec().args(["rule", id]));
        assert_eq!(code, 0, "{id}: {stderr}");
        assert!(
            !doc.contains("```") && !doc.contains("\n## ") && !doc.starts_with("# "),
            "terminal rendering, not Markdown: {doc}"
        );
        assert!(doc.contains("eggsec.toml"), "{doc}");
    }
    let (_, md, _) = run(eggsec().args(["rule", "PRB301", "--markdown"]));
    assert!(md.starts_with("# cookie-without-secure (`PRB301`)"), "{md}");
    let (code, _, stderr) = run(eggsec().args(["rule", "csrf-disabeld"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean 'csrf-disabled'?"), "{stderr}");
    // Probe and log rules are configurable like the others.
    let (_tmp, app) = shop_copy("shop");
    std::fs::write(
        app.join("eggsec.toml"),
        "[rules]\nPRB301 = \"off\"\n\"password-in-log\" = \"low\"\n",
    )
    .unwrap();
    assert_ne!(audit(&app, &["--format", "json"]).0, 2);
}

#[test]
fn deps_without_a_lockfile_could_not_check() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("package.json"),
        r#"{"name":"x","dependencies":{"egg":"^3"}}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = run(eggsec().args(["deps", "--offline"]).arg(tmp.path()));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("could not check"), "{stderr}");
    assert!(!stdout.contains("0 vulnerabilities"), "{stdout}");
    let (code, _, stderr) = run(eggsec()
        .args(["deps", "--offline", "--allow-no-lockfile"])
        .arg(tmp.path()));
    assert_eq!(code, 0, "{stderr}");
}

#[cfg(unix)]
#[test]
fn output_files_get_the_umask_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report.sarif");
    // The test runner's umask is the user's; the file must be what `touch` would make.
    let probe = tmp.path().join("touched");
    std::fs::write(&probe, "").unwrap();
    let expected = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
    let (code, _, stderr) = audit(
        &repo_root().join("examples/shop-api"),
        &[
            "--format",
            "sarif",
            "--fail-on",
            "none",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, expected, "{mode:o} vs {expected:o}");
}

#[test]
fn init_writes_a_valid_commented_eggsec_toml_and_the_workflow() {
    let (tmp, app) = shop_copy("apps/shop");
    let (code, _, stderr) = run(eggsec().args(["init", "--embedded-defaults"]).arg(&app));
    assert_eq!(code, 0, "{stderr}");
    let toml = std::fs::read_to_string(app.join("eggsec.toml")).unwrap();
    assert!(toml.starts_with("# eggsec.toml"), "{toml}");
    assert!(
        toml.contains("[plugins."),
        "the app's plugins are listed: {toml}"
    );
    let workflow =
        std::fs::read_to_string(tmp.path().join("repo/.github/workflows/eggsec.yml")).unwrap();
    assert!(workflow.contains("path: apps/shop"), "{workflow}");
    // What init writes is accepted, and a second init leaves the files alone.
    let (code, _, stderr) = audit(&app, &["--format", "json"]);
    assert_ne!(code, 2, "{stderr}");
    std::fs::write(app.join("eggsec.toml"), "# mine\n").unwrap();
    let (code, _, stderr) = run(eggsec().args(["init", "--embedded-defaults"]).arg(&app));
    assert_eq!(code, 0);
    assert!(stderr.contains("left as is"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(app.join("eggsec.toml")).unwrap(),
        "# mine\n"
    );
}
