//! A finding's fingerprint is its identity for `--baseline`, suppressions and code scanning's
//! alert tracking: it must not move when nothing about the finding changed. Two ways it did on
//! real apps: (1) an unrelated edit — one more file in the app, every line shifted — changed
//! the fingerprint of every "plugin never used" finding (its evidence counted the files
//! searched); (2) the same app audited with `node_modules` installed (a developer's checkout)
//! and without it (the CI job `eggsec init` writes) reported egg's and egg-security's defaults
//! at files inside `node_modules` — outside the repository, where no fix goes and code scanning
//! cannot show them — with other messages and other fingerprints. And (3) a Windows checkout
//! (CRLF, files saved with a byte order mark) lost its package.json and lockfile ("not valid
//! JSON" where npm reads them: every advisory then "dev", lowered to low) and moved line 1's
//! columns by one.

use crate::oracle_support::{oracle_dir, repo_root};
use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn eggsec() -> Command {
    let mut c = Command::cargo_bin("eggsec").unwrap();
    c.timeout(Duration::from_secs(300));
    c
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The JSON audit of `dir` (every app found below it) with `extra` arguments.
pub(crate) fn audit(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json", "--exit-zero", "--allow-partial"];
    args.extend_from_slice(extra);
    json_of("audit", dir, &args)
}

/// `eggsec <command> <dir> <args>`, which must succeed, and its stdout as JSON.
fn json_of(command: &str, dir: &Path, args: &[&str]) -> Value {
    let out = eggsec().arg(command).arg(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{command} {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn findings(report: &Value) -> Vec<&Value> {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["findings"].as_array().unwrap())
        .collect()
}

/// Every finding of `report` by its fingerprint, described by `describe` (for messages).
fn by_fingerprint(report: &Value, describe: impl Fn(&Value) -> String) -> BTreeMap<String, String> {
    findings(report)
        .into_iter()
        .map(|f| (f["fingerprint"].as_str().unwrap().to_string(), describe(f)))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file below `dir` (not in `node_modules`) whose name `keep` accepts.
fn files_below(dir: &Path, keep: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() && name != "node_modules" {
            files_below(&path, keep, out);
        } else if kind.is_file() && keep(&name) {
            out.push(path);
        }
    }
}

/// Every `.js`/`.ts` source below `dir` (not `node_modules`, not minified).
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    files_below(
        dir,
        &|name| (name.ends_with(".js") || name.ends_with(".ts")) && !name.ends_with(".min.js"),
        out,
    );
}

/// The corpus directory beside the repository and the apps its `apps.txt` lists.
fn corpus_apps() -> (PathBuf, Vec<String>) {
    let corpus = repo_root()
        .ancestors()
        .map(|a| a.join("shared/corpus"))
        .find(|d| d.join("apps.txt").is_file())
        .expect("shared/corpus/apps.txt beside the repo");
    let apps = std::fs::read_to_string(corpus.join("apps.txt")).unwrap();
    let apps = apps
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    (corpus, apps)
}

#[test]
fn fingerprints_survive_unrelated_edits_on_every_corpus_app() {
    let (corpus, apps) = corpus_apps();
    let mut problems = Vec::new();
    let mut compared = 0;
    for app in &apps {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("app");
        copy_tree(&corpus.join(app), &dir);
        let before = audit(&dir, &[]);
        // Unrelated edits: one more controller, and a comment line on top of every source
        // file (every line number moves).
        let mut files = Vec::new();
        sources(&dir, &mut files);
        for file in files {
            let text = std::fs::read(&file).unwrap();
            if text.starts_with(b"#!") {
                continue;
            }
            let mut edited = b"// an unrelated edit\n".to_vec();
            edited.extend_from_slice(&text);
            std::fs::write(&file, edited).unwrap();
        }
        let controller_dirs: Vec<PathBuf> = eggsec_app::discover(&dir)
            .into_iter()
            .map(|r| r.join("app/controller"))
            .collect();
        for d in &controller_dirs {
            write(
                d,
                "zzz_added.js",
                "'use strict';\nmodule.exports = app => class ZzzAdded extends app.Controller {\n  \
                 async index() { this.ctx.body = 'x'; }\n};\n",
            );
        }
        let after = audit(&dir, &[]);
        let describe = |f: &Value| {
            format!(
                "{} {}: {}",
                f["rule"].as_str().unwrap(),
                f["file"].as_str().unwrap_or("(app)"),
                f["message"].as_str().unwrap()
            )
        };
        let (a, b) = (
            by_fingerprint(&before, describe),
            by_fingerprint(&after, describe),
        );
        compared += a.len();
        for (fp, what) in &a {
            if !b.contains_key(fp) {
                problems.push(format!(
                    "{app}: fingerprint {fp} gone after the edits: {what}"
                ));
            }
        }
        for (fp, what) in &b {
            if !a.contains_key(fp) && !what.contains("zzz_added") {
                problems.push(format!(
                    "{app}: new fingerprint {fp} after the edits: {what}"
                ));
            }
        }
    }
    assert!(compared > 300, "only {compared} findings compared");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A JSON API on real egg (`egg` names the oracle project: egg3, egg4) with `node_modules`
/// linked in: nothing about security headers in its config, so egg-security's defaults decide.
#[cfg(unix)]
fn app_on_real_egg(egg: &str, major: &str) -> (tempfile::TempDir, PathBuf) {
    let oracle = oracle_dir(&repo_root(), egg).unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    write(
        &dir,
        "package.json",
        &format!(r#"{{"name":"shop","dependencies":{{"egg":"^{major}"}}}}"#),
    );
    write(
        &dir,
        "config/config.default.js",
        "module.exports = { keys: process.env.EGG_KEYS };\n",
    );
    write(&dir, "config/plugin.js", "module.exports = {};\n");
    write(
        &dir,
        "app/router.js",
        "module.exports = app => {\n  app.router.get('/', app.controller.home.index);\n};\n",
    );
    write(
        &dir,
        "app/controller/home.js",
        "const { Controller } = require('egg');\nclass Home extends Controller {\n  \
         async index() { this.ctx.body = { ok: true }; }\n}\nmodule.exports = Home;\n",
    );
    std::os::unix::fs::symlink(oracle.join("node_modules"), dir.join("node_modules")).unwrap();
    (tmp, dir)
}

/// `rule subject` (the first name in backticks) → (file, line, fingerprint).
fn by_subject(report: &Value, rules: &[&str]) -> BTreeMap<String, (String, u64, String)> {
    findings(report)
        .into_iter()
        .filter(|f| rules.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            let subject = message.split('`').nth(1).unwrap_or_default();
            (
                format!("{} {subject}", f["rule"].as_str().unwrap()),
                (
                    f["file"].as_str().unwrap_or("(app)").to_string(),
                    f["line"].as_u64().unwrap_or(0),
                    f["fingerprint"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn defaults_from_node_modules_are_the_same_findings_as_embedded_defaults() {
    for (egg, major) in [("egg3", "3"), ("egg4", "4")] {
        let (_tmp, dir) = app_on_real_egg(egg, major);
        let installed = audit(&dir, &[]);
        let embedded = audit(&dir, &["--embedded-defaults"]);
        let all = findings(&installed);
        // nothing is reported inside node_modules: not in the repository, and no fix goes there
        for f in &all {
            let file = f["file"].as_str().unwrap_or_default();
            assert!(
                !file.split('/').any(|c| c == "node_modules"),
                "{egg}: reported inside node_modules: {f}"
            );
            for e in f["evidence"].as_array().unwrap() {
                assert!(
                    !e.as_str().unwrap().contains("node_modules/egg-security/")
                        && !e
                            .as_str()
                            .unwrap()
                            .contains("node_modules/@eggjs/security/"),
                    "{egg}: egg-security's default named by its installed file: {f}"
                );
            }
        }
        let rules = ["HDR001", "HDR003", "HDR009", "HDR011", "PLG001"];
        let ours = by_subject(&installed, &rules);
        let theirs = by_subject(&embedded, &rules);
        for key in ["HDR001 ", "HDR003 ", "PLG001 watcher", "PLG001 jsonp"] {
            assert!(
                ours.keys().any(|k| k.starts_with(key)),
                "{egg}: no {key}: {ours:?}"
            );
        }
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{egg}: the same findings, node_modules vs embedded defaults"
        );
        // the same finding, at the same place, with the same identity, installed or not
        for (key, found) in &ours {
            if let Some(other) = theirs.get(key) {
                assert_eq!(
                    found, other,
                    "{egg}: {key}, node_modules vs embedded defaults"
                );
            }
        }
        let messages = |r: &Value| -> BTreeSet<String> {
            findings(r)
                .into_iter()
                .filter(|f| f["rule"].as_str().unwrap().starts_with("HDR"))
                .map(|f| f["message"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            messages(&installed),
            messages(&embedded),
            "{egg}: header messages"
        );
        for m in messages(&installed) {
            assert!(
                !m.contains("is turned off"),
                "{egg}: a default said as if the app turned it off: {m}"
            );
        }

        // SARIF: every location is a file of the repository
        let sarif = json_of(
            "audit",
            &dir,
            &["--format", "sarif", "--exit-zero", "--allow-partial"],
        );
        for result in sarif["runs"][0]["results"].as_array().unwrap() {
            for loc in result["locations"].as_array().unwrap() {
                let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default();
                assert!(!uri.contains("node_modules"), "{egg}: SARIF location {uri}");
            }
        }
    }
}

/// The findings of an app whose code changes around them without changing them: another
/// handler reaching the same SQL sink, another global middleware (that checks nothing) in
/// front of every route, the same catch-block leak and the same secret comparison once more in
/// the file. Each finding keeps its fingerprint (its evidence grows; its identity does not).
#[test]
fn a_findings_identity_survives_edits_around_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    let service = "const { Service } = require('egg');\nclass ItemService extends Service {\n  \
        async find(name) {\n    return this.app.mysql.query(\"select * from items where name = '\" + \
        name + \"'\");\n  }\n}\nmodule.exports = ItemService;\n";
    let controller = |more: &str| {
        format!(
            "const {{ Controller }} = require('egg');\nclass ItemController extends Controller {{\n  \
             async create() {{\n    const {{ ctx }} = this;\n    try {{\n      \
             await ctx.model.Item.create(ctx.request.body);\n    }} catch (err) {{\n      \
             ctx.body = {{ error: err.message }};\n    }}\n  }}\n  async search() {{\n    \
             const {{ ctx }} = this;\n    if (ctx.query.key !== this.config.partnerApiKey) return;\n    \
             try {{\n      ctx.body = await ctx.service.item.find(ctx.query.name);\n    }} \
             catch (err) {{\n      ctx.body = {{ error: err.message }};\n    }}\n  }}\n{more}}}\n\
             module.exports = ItemController;\n"
        )
    };
    write(
        &dir,
        "package.json",
        r#"{"name":"shop","dependencies":{"egg":"^3","egg-mysql":"^4"}}"#,
    );
    write(
        &dir,
        "config/plugin.js",
        "exports.mysql = { enable: true, package: 'egg-mysql' };\n",
    );
    write(
        &dir,
        "config/config.default.js",
        "module.exports = {\n  keys: process.env.EGG_KEYS,\n  middleware: [],\n};\n",
    );
    write(
        &dir,
        "app/router.js",
        "module.exports = app => {\n  const { router, controller } = app;\n  \
         router.post('/items', controller.item.create);\n  \
         router.get('/search', controller.item.search);\n};\n",
    );
    write(&dir, "app/service/item.js", service);
    write(&dir, "app/controller/item.js", &controller(""));
    let before = audit(&dir, &[]);
    let rules: BTreeSet<&str> = findings(&before)
        .into_iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in ["MW001", "MW011", "MW021", "ERR101"] {
        assert!(rules.contains(rule), "the app has no {rule}: {rules:?}");
    }

    // the edits around the findings
    write(
        &dir,
        "config/config.default.js",
        "module.exports = {\n  keys: process.env.EGG_KEYS,\n  middleware: [ 'trace' ],\n};\n",
    );
    write(
        &dir,
        "app/middleware/trace.js",
        "module.exports = () => async function trace(ctx, next) {\n  \
         const started = Date.now();\n  await next();\n  \
         ctx.set('x-response-time', String(Date.now() - started));\n};\n",
    );
    write(
        &dir,
        "app/router.js",
        "module.exports = app => {\n  const { router, controller } = app;\n  \
         router.post('/items', controller.item.create);\n  \
         router.get('/search', controller.item.search);\n  \
         router.get('/lookup', controller.item.lookup);\n};\n",
    );
    write(
        &dir,
        "app/controller/item.js",
        &controller(
            "  async lookup() {\n    const { ctx } = this;\n    \
             if (ctx.get('x-key') !== this.config.partnerApiKey) return;\n    try {\n      \
             ctx.body = await ctx.service.item.find(ctx.params.name || ctx.query.q);\n    } \
             catch (err) {\n      ctx.body = { error: err.message };\n    }\n  }\n",
        ),
    );
    let after = audit(&dir, &[]);
    let describe = |f: &Value| format!("{} {}", f["rule"].as_str().unwrap(), f);
    let (a, b) = (
        by_fingerprint(&before, describe),
        by_fingerprint(&after, describe),
    );
    let gone: Vec<&String> = a
        .iter()
        .filter(|(fp, _)| !b.contains_key(*fp))
        .map(|(_, what)| what)
        .collect();
    assert!(
        gone.is_empty(),
        "fingerprints that moved:\n{}\n\nafter the edits:\n{}",
        gone.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        b.values().cloned().collect::<Vec<_>>().join("\n")
    );
    // the evidence did grow: the second path and the third catch block are there
    let sql = findings(&after)
        .into_iter()
        .find(|f| f["rule"] == "MW001")
        .unwrap();
    assert!(sql["evidence"].to_string().contains("path 2/"), "{sql}");
}

/// The JSON report of `audit` and of `routes` for `dir`.
fn audit_and_routes(dir: &Path) -> (Value, Value) {
    (
        audit(dir, &[]),
        json_of("routes", dir, &["--format", "json"]),
    )
}

/// A TypeScript app audited in a clean checkout and again after its own `npm run tsc` (which
/// writes `x.js` beside every `x.ts`, build output egg's TS boilerplate keeps out of git): the
/// same findings at the same `.ts` places with the same fingerprints, and the same routes with
/// their `.ts` handlers — the `.js` twins are the compiled form of the sources, not more code.
#[test]
fn a_typescript_app_audits_the_same_after_its_build() {
    let fixture = repo_root().join("tests/fixtures/ts-built-twins");
    let tmp = tempfile::tempdir().unwrap();
    let built = tmp.path().join("built");
    copy_tree(&fixture, &built);
    let clean = tmp.path().join("clean");
    copy_tree(&fixture, &clean);
    let mut files = Vec::new();
    sources(&clean, &mut files);
    let mut twins = 0;
    for f in files {
        if f.extension().is_some_and(|e| e == "js") && f.with_extension("ts").is_file() {
            std::fs::remove_file(&f).unwrap();
            twins += 1;
        }
    }
    assert_eq!(twins, 5, "the fixture's compiled twins");
    let (clean_audit, clean_routes) = audit_and_routes(&clean);
    let (built_audit, built_routes) = audit_and_routes(&built);
    let shown = |r: &Value| -> Vec<String> {
        findings(r)
            .into_iter()
            .map(|f| {
                format!(
                    "{} {}:{} {} {}",
                    f["rule"].as_str().unwrap(),
                    f["file"].as_str().unwrap_or("(app)"),
                    f["line"],
                    f["fingerprint"].as_str().unwrap(),
                    f["message"].as_str().unwrap()
                )
            })
            .collect()
    };
    let rules: BTreeSet<&str> = findings(&clean_audit)
        .into_iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in ["MW001", "CSRF002", "BLT001", "BLT018"] {
        assert!(
            rules.contains(rule),
            "the clean app has no {rule}: {rules:?}"
        );
    }
    assert_eq!(
        shown(&built_audit),
        shown(&clean_audit),
        "findings after the build"
    );
    for f in findings(&built_audit) {
        let file = f["file"].as_str().unwrap_or_default();
        assert!(!file.ends_with(".js"), "a finding in build output: {f}");
    }
    let handlers = |r: &Value| -> Vec<String> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|route| {
                format!(
                    "{} {} {} {}",
                    route["method"], route["path"], route["handler"], route["file"]
                )
            })
            .collect()
    };
    assert_eq!(
        handlers(&built_routes),
        handlers(&clean_routes),
        "routes after the build"
    );
    assert!(
        handlers(&built_routes).iter().all(|h| h.contains(".ts")),
        "{:?}",
        handlers(&built_routes)
    );
}

/// Every text file below `dir` (not `node_modules`) with CRLF line ends, and a UTF-8 byte
/// order mark on top of every `.js`/`.ts`/`.json`: the same app as a Windows checkout with
/// `core.autocrlf` gives it, edited in an editor that writes a BOM.
fn as_windows_checkout(dir: &Path) {
    const TEXT: [&str; 11] = [
        "js", "ts", "json", "yaml", "yml", "lock", "toml", "html", "nj", "tpl", "ejs",
    ];
    let ext = |name: &str| name.rsplit_once('.').map(|(_, e)| e.to_string());
    let mut files = Vec::new();
    files_below(
        dir,
        &|name| ext(name).is_some_and(|e| TEXT.contains(&e.as_str())),
        &mut files,
    );
    for path in files {
        let ext = ext(&path.file_name().unwrap().to_string_lossy()).unwrap();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if text.starts_with("#!") {
            continue;
        }
        let mut out = String::with_capacity(text.len() + text.len() / 20 + 3);
        if ["js", "ts", "json"].contains(&ext.as_str()) {
            out.push('\u{feff}');
        }
        for line in text.split_inclusive('\n') {
            match line.strip_suffix('\n') {
                Some(l) => {
                    out.push_str(l.strip_suffix('\r').unwrap_or(l));
                    out.push_str("\r\n");
                }
                None => out.push_str(line),
            }
        }
        std::fs::write(&path, out).unwrap();
    }
}

/// `eggsec routes <dir> --format json` (exit 0, or 3 when an app's routes cannot be known) and
/// its exit code.
fn routes_of(dir: &Path) -> (Option<i32>, Value) {
    let out = eggsec()
        .args(["routes", "--format", "json", "--allow-partial"])
        .arg(dir)
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 3)),
        "routes {}: {out:?}",
        dir.display()
    );
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

/// The same repository checked out on Windows (CRLF line ends, files saved with a byte order
/// mark — npm, Node and egg read both) is the same app: the same findings at the same lines
/// and columns with the same fingerprints, evidence and messages, and the same routes.
#[test]
fn a_windows_checkout_audits_the_same_on_every_corpus_app() {
    let (corpus, apps) = corpus_apps();
    let describe = |f: &Value| {
        format!(
            "{} {}:{}:{} {} {} {}",
            f["rule"].as_str().unwrap(),
            f["file"].as_str().unwrap_or("(app)"),
            f["line"],
            f["column"],
            f["fingerprint"].as_str().unwrap(),
            f["message"].as_str().unwrap(),
            f["evidence"]
        )
    };
    let mut problems = Vec::new();
    let mut compared = 0;
    for app in &apps {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("app");
        copy_tree(&corpus.join(app), &dir);
        let before: BTreeSet<String> = findings(&audit(&dir, &[]))
            .into_iter()
            .map(describe)
            .collect();
        let routes_before = routes_of(&dir);
        as_windows_checkout(&dir);
        let after: BTreeSet<String> = findings(&audit(&dir, &[]))
            .into_iter()
            .map(describe)
            .collect();
        let routes_after = routes_of(&dir);
        compared += before.len();
        for gone in before.difference(&after) {
            problems.push(format!("{app}: only on the LF checkout: {gone}"));
        }
        for new in after.difference(&before) {
            problems.push(format!("{app}: only on the Windows checkout: {new}"));
        }
        if routes_before != routes_after {
            problems.push(format!("{app}: the routes differ"));
        }
    }
    assert!(compared > 300, "only {compared} findings compared");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `eggsec <args> app` run in `dir` (the app named relatively, as in a CI job's checkout): its
/// stdout, whatever the exit code.
fn stdout_in(dir: &Path, args: &[&str]) -> Vec<u8> {
    eggsec()
        .current_dir(dir)
        .args(args)
        .arg("app")
        .output()
        .unwrap()
        .stdout
}

/// A report is the same wherever the repository is checked out (a developer's
/// `/home/alice/src/shop`, CI's `/home/runner/work/shop/shop`): the JSON, SARIF, Markdown and
/// text reports of every corpus app, made in two checkouts at different places, are the same
/// bytes, so no absolute path of the auditing machine is in them (before: an app-wide
/// finding's place in text and Markdown, and a config file that could not be read, in every
/// "not assessed" line of the JSON).
#[test]
fn reports_are_the_same_bytes_wherever_the_repository_is_checked_out() {
    let (corpus, apps) = corpus_apps();
    let mut problems = Vec::new();
    for app in &apps {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let here = one.path().join("src");
        let there = two.path().join("home/runner/work/shop/shop");
        copy_tree(&corpus.join(app), &here.join("app"));
        copy_tree(&corpus.join(app), &there.join("app"));
        for format in ["json", "sarif", "markdown", "text"] {
            let args = [
                "audit",
                "--exit-zero",
                "--allow-partial",
                "--format",
                format,
            ];
            let (a, b) = (stdout_in(&here, &args), stdout_in(&there, &args));
            assert!(!a.is_empty(), "{app} {format}: no output");
            if a != b {
                let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
                let first = a
                    .lines()
                    .zip(b.lines())
                    .find(|(x, y)| x != y)
                    .map(|(x, y)| format!("{x}\n    vs {y}"))
                    .unwrap_or_default();
                problems.push(format!("{app} --format {format}:\n    {first}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
