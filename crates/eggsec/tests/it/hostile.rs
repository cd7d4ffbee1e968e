//! Hostile and broken repositories (issue 19): never a false "clean", never a leaked secret,
//! never a hang or a panic. Each case runs the real binary with a generous timeout that only
//! guards against hangs (no timing is asserted).

use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;

fn eggsec() -> Command {
    let mut c = Command::cargo_bin("eggsec").unwrap();
    c.timeout(Duration::from_secs(120));
    c
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn app(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "package.json",
        r#"{"name":"hostile","dependencies":{"egg":"^3"}}"#,
    );
    for (rel, text) in files {
        write(dir.path(), rel, text);
    }
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], dir: &Path) -> Run {
    let mut cmd = eggsec();
    cmd.args(args).arg(dir);
    if args[0] != "deps" {
        cmd.arg("--embedded-defaults");
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The shapes that used to give exit 0 with the findings gone: each is now a partial audit
/// (exit 2, the file named) unless `--allow-partial`, and what is known is still reported.
#[test]
fn false_clean_shapes_are_partial_and_named() {
    let csrf_off = "security: { csrf: { enable: false } }";
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "export of a package member",
            vec![(
                "config/config.prod.js",
                "module.exports = require('@acme/shared').prod;\n".into(),
            )],
            "config/config.prod.js",
        ),
        (
            "merge() around the export",
            vec![(
                "config/config.default.js",
                format!("const merge = require('lodash.merge');\nmodule.exports = merge(require('./base'), {{ {csrf_off} }});\n"),
            )],
            "config/config.default.js",
        ),
        (
            "Object.assign over an unknown base",
            vec![(
                "config/config.default.js",
                format!("module.exports = Object.assign({{}}, require('@acme/base'), {{ {csrf_off} }});\n"),
            )],
            "config/config.default.js",
        ),
        (
            "env ternary around the export",
            vec![(
                "config/config.default.js",
                format!("module.exports = process.env.LEGACY ? require('@acme/legacy') : {{ {csrf_off} }};\n"),
            )],
            "config/config.default.js",
        ),
        (
            "unknown spread before known keys",
            vec![(
                "config/config.default.js",
                format!("const shared = require('@acme/shared');\nmodule.exports = {{\n  ...shared,\n  {csrf_off},\n}};\n"),
            )],
            "config/config.default.js",
        ),
        (
            "unparseable config file",
            vec![("config/config.prod.js", "module.exports = {".into())],
            "config/config.prod.js",
        ),
    ];
    for (name, files, named) in cases {
        let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
        let dir = app(&files);
        let r = run(&["audit"], dir.path());
        assert_eq!(r.code, 2, "{name}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("PARTIAL AUDIT"), "{name}: {}", r.stdout);
        assert!(r.stdout.contains(named), "{name}: {}", r.stdout);
        let j = run(
            &["audit", "--format", "json", "--allow-partial"],
            dir.path(),
        );
        assert!(j.code == 0 || j.code == 1, "{name}: {}", j.stderr);
        let doc: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
        assert!(
            doc["apps"][0]["partial"].is_string(),
            "{name}: {}",
            j.stdout
        );
        for format in ["sarif", "markdown"] {
            let f = run(&["audit", "--format", format], dir.path());
            assert_eq!(f.code, 2, "{name} {format}");
            assert!(
                f.stdout.contains("PARTIAL AUDIT") || f.stdout.contains("not read"),
                "{name} {format}: {}",
                f.stdout
            );
        }
    }
}

/// Keys written after an unknown spread keep their values: CSRF off is still found.
#[test]
fn keys_after_an_unknown_spread_keep_their_values() {
    let dir = app(&[(
        "config/config.default.js",
        "const shared = require('@acme/shared');\nmodule.exports = {\n  ...shared,\n  security: { csrf: { enable: false } },\n};\n",
    )]);
    let r = run(
        &[
            "audit",
            "--format",
            "json",
            "--allow-partial",
            "--fail-on",
            "critical",
        ],
        dir.path(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"CSRF001\""), "{}", r.stdout);
    // `config` text names the keys the spread may set as `*`, never the internal marker;
    // a known key keeps its own line (look-alike).
    let c = run(&["config", "--allow-partial"], dir.path());
    assert!(
        !c.stdout.contains("unknown_keys") && !c.stdout.contains("unknown-keys"),
        "{}",
        c.stdout
    );
    assert!(
        c.stdout.lines().any(|l| l.starts_with("* = <unknown: ")),
        "{}",
        c.stdout
    );
    assert!(
        c.stdout
            .lines()
            .any(|l| l.starts_with("security.csrf.enable = false")),
        "{}",
        c.stdout
    );
    // Known overrides over an unknown base are kept too.
    let dir = app(&[(
        "config/config.default.js",
        "module.exports = Object.assign({}, require('@acme/base'), { security: { csrf: { enable: false } } });\n",
    )]);
    let r = run(
        &["audit", "--format", "json", "--allow-partial"],
        dir.path(),
    );
    assert!(r.stdout.contains("\"CSRF001\""), "{}", r.stdout);
    // Rules that read what the spread may set are "not assessed", not passed.
    assert!(r.stdout.contains("not assessed:"), "{}", r.stdout);
}

/// One unevaluable plugin entry or spread keeps every other plugin.
#[test]
fn an_unevaluable_plugin_spread_keeps_the_other_entries() {
    let dir = app(&[(
        "config/plugin.js",
        "const tracerPlugin = require('@acme/tracer');\nmodule.exports = {\n  ...tracerPlugin(),\n  static: false,\n  cors: { enable: true, package: 'egg-cors' },\n};\n",
    )]);
    let r = run(&["plugins", "--format", "json"], dir.path());
    assert!(r.stdout.contains("\"cors\""), "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("config/plugin.js"), "{}", r.stderr);
}

/// A monorepo app whose package.json has a Latin-1 byte or is not JSON is never dropped.
#[test]
fn monorepo_apps_with_broken_package_json_are_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "package.json",
        r#"{"name":"mono","private":true}"#,
    );
    write(
        dir.path(),
        "apps/good/package.json",
        r#"{"name":"good","dependencies":{"egg":"^3"}}"#,
    );
    write(
        dir.path(),
        "apps/good/config/config.default.js",
        "module.exports = {};\n",
    );
    let latin1 = dir.path().join("apps/latin/package.json");
    std::fs::create_dir_all(latin1.parent().unwrap()).unwrap();
    std::fs::write(
        &latin1,
        b"{\"name\":\"caf\xe9\",\"dependencies\":{\"egg\":\"^3\"}}".as_slice(),
    )
    .unwrap();
    write(
        dir.path(),
        "apps/latin/config/config.default.js",
        "module.exports = { security: { csrf: false } };\n",
    );
    write(dir.path(), "apps/broken/package.json", "{ not json");
    write(
        dir.path(),
        "apps/broken/config/config.default.js",
        "module.exports = {};\n",
    );
    let r = run(&["audit", "--format", "json"], dir.path());
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let roots: Vec<String> = doc["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["root"].as_str().unwrap().to_string())
        .collect();
    for name in ["good", "latin", "broken"] {
        assert!(
            roots.iter().any(|r| r.ends_with(name)),
            "{name} missing: {roots:?}"
        );
    }
    assert!(r.stdout.contains("CSRF001"), "the Latin-1 app is audited");
    assert!(
        r.stdout.contains("package.json"),
        "the broken package.json is named"
    );
}

/// FIFOs and devices as inputs never hang; exponential values and deep nesting end.
#[cfg(unix)]
#[test]
fn fifos_devices_and_exponential_values_end() {
    let dir = app(&[("config/config.default.js", &{
        let mut s = String::from("const d0 = { k: 'v' };\n");
        for i in 1..=40 {
            s.push_str(&format!(
                "const d{i} = {{ a: d{p}, b: d{p} }};\n",
                p = i - 1
            ));
        }
        s.push_str("let big = 'x';\nfor (let i = 0; i < 64; i++) { big = big + big; }\n");
        s.push_str("module.exports = { dag: d40, big, security: { csrf: { enable: false } } };\n");
        s
    })]);
    let r = run(
        &["audit", "--format", "json", "--allow-partial"],
        dir.path(),
    );
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(r.stdout.contains("CSRF001"));

    let fifo_app = app(&[("config/config.default.js", "module.exports = {};\n")]);
    let fifo = fifo_app.path().join("baseline.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .arg(fifo_app.path().join("eggsec.toml"))
        .status()
        .is_ok_and(|s| s.success());
    if made {
        // A FIFO named eggsec.toml is refused, never opened (it used to hang the run).
        let r = run(&["audit"], fifo_app.path());
        assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("eggsec.toml"), "{}", r.stderr);
        let out = eggsec()
            .args(["audit", "--embedded-defaults", "--baseline"])
            .arg(&fifo)
            .arg(fifo_app.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("baseline"));
    }
    let dev_app = tempfile::tempdir().unwrap();
    write(
        dev_app.path(),
        "config/config.default.js",
        "module.exports = {};\n",
    );
    std::os::unix::fs::symlink("/dev/zero", dev_app.path().join("package.json")).unwrap();
    let r = run(&["audit"], dev_app.path());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.contains("package.json") || r.stderr.contains("package.json"));
}

/// An evaluator budget that runs out (a DAG of shared objects, a string doubled in a loop)
/// leaves that part unknown and makes the run partial: exit 2 naming the file, never a
/// clean 0; `--allow-partial` still reports what is known. A small shared object (look-alike)
/// stays within the budget and the run is complete.
#[test]
fn evaluator_budgets_that_run_out_make_the_run_partial() {
    let mut dag = String::from("const d0 = { k: 'v' };\n");
    for i in 1..=40 {
        dag.push_str(&format!(
            "const d{i} = {{ a: d{p}, b: d{p} }};\n",
            p = i - 1
        ));
    }
    let cases = [
        format!("{dag}module.exports = {{ dag: d40, security: {{ csrf: {{ enable: false }} }} }};\n"),
        "let big = 'x';\nfor (let i = 0; i < 64; i++) { big = big + big; }\nmodule.exports = { big, security: { csrf: { enable: false } } };\n".to_string(),
    ];
    for config in &cases {
        let dir = app(&[("config/config.default.js", config)]);
        let r = run(&["audit", "--fail-on", "critical"], dir.path());
        assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("PARTIAL AUDIT"), "{}", r.stdout);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains("config.default.js"), "{all}");
        assert!(all.contains("limit"), "{all}");
        let c = run(&["config"], dir.path());
        assert_eq!(c.code, 2, "{}", c.stderr);
        let j = run(
            &["audit", "--format", "json", "--allow-partial"],
            dir.path(),
        );
        assert!(j.code == 0 || j.code == 1, "{}", j.stderr);
        assert!(j.stdout.contains("CSRF001"));
    }
    let mut small = String::from("const d0 = { k: 'v' };\n");
    for i in 1..=3 {
        small.push_str(&format!(
            "const d{i} = {{ a: d{p}, b: d{p} }};\n",
            p = i - 1
        ));
    }
    small.push_str("module.exports = { shared: d3, security: { csrf: { enable: false } } };\n");
    let dir = app(&[("config/config.default.js", &small)]);
    let r = run(&["audit", "--fail-on", "critical"], dir.path());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("PARTIAL AUDIT"), "{}", r.stdout);
}

/// A FIFO or `/dev/zero` at every path eggsec reads on its own (settings, lockfiles, env,
/// ignore files, templates, the ledger, CI files) never hangs nor exhausts a command: each
/// ends with 0, 1, 2 or 3 (routes unknown), never a panic.
#[cfg(unix)]
#[test]
fn fifos_and_devices_at_every_input_path_never_hang() {
    let paths = [
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "config/env",
        ".gitignore",
        ".dockerignore",
        ".npmrc",
        ".gitlab-ci.yml",
        "app/view/home.html",
        "app/controller/fifo.js",
        "config/module.json",
        ".eggsec/versions.json",
        ".eggsec/history.jsonl",
        ".eggsec/watch.json",
        ".eggsec/audit-history.jsonl",
        "app/.gitignore",
        "app/.ignore",
        ".git/info/exclude",
    ];
    for device in [false, true] {
        let dir = app(&[
            (
                "config/config.default.js",
                "module.exports = { security: { csrf: { enable: false } } };\n",
            ),
            (
                "app/router.js",
                "module.exports = app => { app.router.get('/', app.controller.home.index); };\n",
            ),
            (
                "app/controller/home.js",
                "module.exports = app => class extends app.Controller { async index() { await this.ctx.render('home.html', { q: this.ctx.query.q }); } };\n",
            ),
        ]);
        for rel in paths {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            if device {
                std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
            } else {
                let ok = std::process::Command::new("mkfifo")
                    .arg(&p)
                    .status()
                    .is_ok_and(|s| s.success());
                if !ok {
                    return;
                }
            }
        }
        for args in [
            &["audit"][..],
            &["audit", "--format", "json"],
            &["audit", "--diff"],
            &["routes"],
            &["plugins"],
            &["config"],
            &["deps", "--offline"],
            &["deps", "--offline", "--record"],
        ] {
            let r = run(args, dir.path());
            assert!(
                (0..=3).contains(&r.code),
                "{args:?} (device: {device}): exit {}\n{}",
                r.code,
                r.stderr
            );
            assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        }
        // audit still reports what it could read
        let r = run(&["audit", "--allow-partial"], dir.path());
        assert!(r.stdout.contains("CSRF001"), "{}", r.stdout);
    }
}

/// Deep shapes that oxc parses without recursion limits, in code files: a 50,000-deep TS
/// generic and array type (in a `.ts` file of a JS app), a 10,000-link member chain, a
/// 20,000-term `+` chain and a long promise chain. Every command that walks the code ends
/// (no stack overflow, which would abort) with a usable result; the rest of the app is
/// still audited.
#[test]
fn deep_code_shapes_end_without_a_stack_overflow() {
    let generic = format!(
        "export type Deep = {}string{};\n",
        "Array<".repeat(50_000),
        ">".repeat(50_000)
    );
    let arrays = format!("export type Grid = string{};\n", "[]".repeat(50_000));
    let chain = format!(
        "module.exports = app => class extends app.Controller {{\n  async index() {{\n    const v = this.ctx.query{};\n    this.ctx.body = v;\n  }}\n}};\n",
        ".next".repeat(10_000)
    );
    let sum = format!(
        "module.exports = app => class extends app.Controller {{\n  async index() {{\n    this.ctx.body = this.ctx.query.a{};\n  }}\n}};\n",
        " + this.ctx.query.a".repeat(20_000)
    );
    let promises = format!(
        "module.exports = app => class extends app.Controller {{\n  async index() {{\n    await Promise.resolve(this.ctx.query.q){};\n  }}\n}};\n",
        ".then(x => x)".repeat(5_000)
    );
    let dir = app(&[
        (
            "config/config.default.js",
            "module.exports = { security: { csrf: { enable: false } } };\n",
        ),
        (
            "app/router.js",
            "module.exports = app => {\n  app.router.get('/c', app.controller.chain.index);\n  app.router.get('/s', app.controller.sum.index);\n  app.router.get('/p', app.controller.promises.index);\n};\n",
        ),
        ("app/types/deep.ts", &generic),
        ("app/types/grid.ts", &arrays),
        ("app/controller/chain.js", &chain),
        ("app/controller/sum.js", &sum),
        ("app/controller/promises.js", &promises),
    ]);
    for args in [
        &["audit", "--format", "json", "--allow-partial"][..],
        &["routes", "--allow-partial"],
        &["plugins", "--allow-partial"],
    ] {
        let r = run(args, dir.path());
        assert!(
            (0..=3).contains(&r.code),
            "{args:?}: exit {} (an abort is -1)\n{}",
            r.code,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        if args[0] == "audit" {
            assert!(r.stdout.contains("CSRF001"), "{}", r.stdout);
        }
    }
}

/// `--max-memory` and `--timeout` end any command with exit 2 and a message: an app whose
/// evaluation needs more heap than the cap, and a `logs watch` that would follow for two
/// minutes. Without the guards the same runs work as usual.
#[test]
fn max_memory_and_timeout_end_the_run_with_exit_2() {
    let mut big = String::from("module.exports = {\n");
    for i in 0..20_000 {
        big.push_str(&format!(
            "  key{i}: {{ value: 'v{i}', list: [{i}, {i}, {i}] }},\n"
        ));
    }
    big.push_str("  security: { csrf: { enable: false } },\n};\n");
    let dir = app(&[("config/config.default.js", &big)]);
    let capped = eggsec()
        .args(["--max-memory", "8", "audit", "--embedded-defaults"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(capped.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&capped.stderr).contains("--max-memory"));
    let r = eggsec()
        .args(["--max-memory", "4096", "audit", "--embedded-defaults"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        matches!(r.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stdout).contains("CSRF001"));

    let logs = tempfile::tempdir().unwrap();
    write(
        logs.path(),
        "shop-web.log",
        "2026-11-28 10:00:00,000 INFO 1 [-/127.0.0.1/-/1ms GET /] ok\n",
    );
    let out = eggsec()
        .args(["--timeout", "1", "logs", "watch"])
        .arg(logs.path())
        .arg("--state")
        .arg(logs.path().join("state.json"))
        .args(["--interval", "100", "--for", "120"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"));
}

/// A closed pipe or a full disk ends the run with exit 2 and a message, never a panic.
#[cfg(unix)]
#[test]
fn output_errors_exit_2_without_a_panic() {
    let bin = assert_cmd::cargo::cargo_bin("eggsec");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    if let Ok(full) = full {
        let out = std::process::Command::new(&bin)
            .arg("rules")
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no space left"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // the reader is gone before the child writes (a reader dropped after the spawn races
    // the child, which may have written all its output into the pipe's buffer by then)
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(&bin)
        .arg("rules")
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

/// Escape sequences from scanned files never reach the terminal raw.
#[test]
fn control_characters_from_sources_are_escaped() {
    let dir = app(&[
        (
            "app/router.js",
            "module.exports = app => {\n  app.router.post('/x\u{1b}]0;pwned\u{7}\u{1b}[2J', app.controller.home.index);\n};\n",
        ),
        (
            "app/controller/home.js",
            "module.exports = app => class extends app.Controller { async index() { this.ctx.body = 'ok'; } };\n",
        ),
        (
            "config/config.default.js",
            "module.exports = { security: { csrf: { enable: false } }, notes: '\u{1b}]0;title\u{7}' };\n",
        ),
    ]);
    for args in [
        vec!["routes"],
        vec!["audit", "--allow-partial"],
        vec!["config"],
    ] {
        let r = run(&args, dir.path());
        assert!(
            !r.stdout.contains('\u{1b}'),
            "{args:?}: raw ESC in {}",
            r.stdout
        );
        assert!(!r.stdout.contains('\u{7}'), "{args:?}: raw BEL");
        assert!(!r.stderr.contains('\u{1b}'), "{args:?}: raw ESC on stderr");
    }
}

/// 100 distinctive secrets of every shape, planted in config, code and dependency specs:
/// none appears in any command's output, in any format, on stdout or stderr.
#[test]
fn planted_secrets_never_appear_in_any_output() {
    let mut secrets: Vec<String> = Vec::new();
    let mut config = String::from("module.exports = {\n");
    let mut code = String::from("'use strict';\n");
    let names = [
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "token",
        "apiKey",
        "accessKey",
        "privateKey",
        "clientSecret",
        "masterKey",
        "passphrase",
        "encryptKey",
        "signKey",
        "appKey",
        "mchKey",
        "authToken",
        "appSecret",
        "secretKey",
        "dsnPassword",
    ];
    for (i, n) in names.iter().enumerate() {
        let s = format!("Zq{i:02}PlantedSecretValue{i:02}x");
        config.push_str(&format!("  {n}: '{s}',\n"));
        secrets.push(s);
        let s2 = format!("Cq{i:02}CodeSecretValue{i:02}x");
        code.push_str(&format!("const {n} = '{s2}';\n"));
        secrets.push(s2);
    }
    for i in 0..10 {
        let n = 900_000_000u64 + i * 7_777_777;
        config.push_str(&format!("  numPassword{i}: {n},\n"));
        secrets.push(n.to_string());
    }
    for i in 0..20 {
        let s = format!("Sv{i:02}ServiceTokenValue{i:02}yy");
        config.push_str(&format!("  service{i}Token: '{s}',\n"));
        secrets.push(s);
    }
    config.push_str("  tokens: [\n");
    for i in 0..10 {
        let s = format!("Tk{i:02}ArrayTokenValue{i:02}zz");
        config.push_str(&format!("    '{s}',\n"));
        secrets.push(s);
    }
    config.push_str("  ],\n  keys: {\n");
    for i in 0..5 {
        let s = format!("Nk{i:02}NestedSecretValue{i:02}q");
        config.push_str(&format!("    k{i}: '{s}',\n"));
        secrets.push(s);
    }
    config.push_str("  },\n");
    let shapes = [
        ("stripe", "sk_live_51PlantedStripeKey0123456789abcdef".to_string()),
        ("gh", "ghp_PlantedGithubToken0123456789abcdefXY".to_string()),
        ("slack", "xoxb-123456789012-PlantedSlackBotToken".to_string()),
        ("aws", "AKIAPLANTEDAWSKEY123".to_string()),
        ("ali", "LTAI5tPlantedAliyunKey99".to_string()),
        ("jwtlike", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.PlantedSignature123".to_string()),
        ("bearer", "Bearer PlantedBearerToken0123456789".to_string()),
        ("hook", "https://hooks.slack.com/services/T0PLANT/B0PLANT/PlantedWebhookPath99".to_string()),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/PlantedFeishuHook0123".to_string()),
        ("db", "mysql://root:PlantedDbPassw0rd99@db.internal:3306/shop".to_string()),
        ("cb", "https://api.example.com/cb?access_token=PlantedQueryToken0123&x=1".to_string()),
        ("pem", "-----BEGIN PRIVATE KEY-----\\nMIIPlantedPemBodyLine0123456789\\n-----END PRIVATE KEY-----".to_string()),
    ];
    for (n, v) in &shapes {
        config.push_str(&format!("  {n}: '{v}',\n"));
    }
    for needle in [
        "51PlantedStripeKey0123456789abcdef",
        "PlantedGithubToken0123456789abcdefXY",
        "PlantedSlackBotToken",
        "PLANTEDAWSKEY123",
        "PlantedAliyunKey99",
        "PlantedSignature123",
        "PlantedBearerToken0123456789",
        "PlantedWebhookPath99",
        "PlantedFeishuHook0123",
        "PlantedDbPassw0rd99",
        "PlantedQueryToken0123",
        "MIIPlantedPemBodyLine0123456789",
    ] {
        secrets.push(needle.to_string());
    }
    config.push_str("  security: { csrf: { enable: false } },\n};\n");
    code.push_str("module.exports = app => class extends app.Controller {\n  async index() {\n    const { ctx } = this;\n    ctx.body = ctx.query.html;\n    await ctx.app.mysql.query('select * from t where id = ' + ctx.query.id);\n  }\n};\n");
    let pem_code = "const cert = `-----BEGIN RSA PRIVATE KEY-----\nMIIPlantedTemplatePemBody0123\nMIIPlantedTemplatePemBody4567\n-----END RSA PRIVATE KEY-----`;\nmodule.exports = { cert };\n";
    secrets.push("MIIPlantedTemplatePemBody0123".into());
    secrets.push("MIIPlantedTemplatePemBody4567".into());
    let pkg = r#"{"name":"planted","dependencies":{"egg":"^3","private-a":"https://user:PlantedDepPassw0rd@registry.example.com/a.tgz","private-b":"git+https://ghp_PlantedDepGithubToken0123456789ab@github.com/acme/b.git"}}"#;
    secrets.push("PlantedDepPassw0rd".into());
    secrets.push("ghp_PlantedDepGithubToken0123456789ab".into());
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "package.json", pkg);
    write(dir.path(), "config/config.default.js", &config);
    write(dir.path(), "app/controller/home.js", &code);
    write(dir.path(), "app/extend/cert.js", pem_code);
    write(
        dir.path(),
        "app/router.js",
        "module.exports = app => { app.router.post('/', app.controller.home.index); };\n",
    );
    assert!(secrets.len() >= 100, "{} secrets", secrets.len());

    let runs: Vec<Vec<&str>> = vec![
        vec!["audit", "--allow-partial"],
        vec!["audit", "--allow-partial", "--format", "json"],
        vec!["audit", "--allow-partial", "--format", "sarif"],
        vec!["audit", "--allow-partial", "--format", "markdown"],
        vec!["config"],
        vec!["config", "--format", "json"],
        vec!["plugins"],
        vec!["plugins", "--format", "json"],
        vec!["routes"],
        vec!["routes", "--format", "json"],
        vec!["deps", "--offline"],
        vec!["deps", "--offline", "--format", "json"],
    ];
    for args in runs {
        let r = run(&args, dir.path());
        for s in &secrets {
            assert!(
                !r.stdout.contains(s.as_str()) && !r.stderr.contains(s.as_str()),
                "{args:?} leaks {s}:\n{}\n{}",
                r.stdout,
                r.stderr
            );
        }
    }
}

/// An app named through `..` (`eggsec audit ../../apps/shop` from inside another repository)
/// is the same app as named plainly: its in-repo plugins stay in its repository (the `..` is
/// the file system's, not a lexical step back into the repository the command ran from), its
/// files are named from its root, and every finding keeps its fingerprint.
#[test]
fn an_app_named_through_dotdot_is_the_app_named_plainly() {
    let top = tempfile::tempdir().unwrap();
    // the directory the command runs from, inside a git repository of its own
    let cwd = top.path().join("tools/bin");
    std::fs::create_dir_all(top.path().join("tools/.git")).unwrap();
    std::fs::create_dir_all(&cwd).unwrap();
    let root = top.path().join("apps/shop");
    for (rel, text) in [
        ("package.json", r#"{"name":"shop","dependencies":{"egg":"^3"}}"#),
        (
            "config/plugin.js",
            "const path = require('path');\n\
             exports.audit = { enable: true, path: path.join(__dirname, '../lib/plugin/egg-audit') };\n",
        ),
        (
            "config/config.prod.js",
            "exports.keys = 'shop_1600000000000_1234';\nexports.jwt = { secret: 'hard-coded-jwt-secret-123' };\n",
        ),
        ("lib/plugin/egg-audit/package.json", r#"{"eggPlugin":{"name":"audit"}}"#),
        (
            "lib/plugin/egg-audit/app/extend/context.js",
            "module.exports = { get auditUser() { return this.session && this.session.user; } };\n",
        ),
        // routes split over files, as most apps have them
        (
            "app/router.js",
            "module.exports = app => { require('./router/home')(app); };\n",
        ),
        (
            "app/router/home.js",
            "module.exports = app => { app.router.get('/', app.controller.home.index); };\n",
        ),
        (
            "app/controller/home.js",
            "const { Controller } = require('egg');\nclass Home extends Controller {\n  async index() { this.ctx.body = this.ctx.auditUser; }\n}\nmodule.exports = Home;\n",
        ),
    ] {
        write(&root, rel, text);
    }
    let run = |args: &[&str]| -> serde_json::Value {
        let out = eggsec()
            .current_dir(&cwd)
            .args(args)
            .args(["--format", "json", "--embedded-defaults"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let audit = |app: &str| run(&["audit", app, "--allow-partial", "--exit-zero"]);
    let plain = audit(root.to_str().unwrap());
    let dotted = audit("../../apps/shop");
    // each finding as rule, file, line, fingerprint and message
    let findings = |v: &serde_json::Value| -> Vec<String> {
        v["apps"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}:{} {} {}",
                    f["rule"], f["file"], f["line"], f["fingerprint"], f["message"]
                )
            })
            .collect()
    };
    let rules: Vec<&str> = plain["apps"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    // the app's in-repo plugin is in its repository, and the app has findings to compare
    assert!(!rules.contains(&"PLG007"), "{rules:?}");
    assert!(!rules.is_empty());
    assert_eq!(findings(&dotted), findings(&plain));
    assert_eq!(dotted["apps"][0]["root"], "../../apps/shop");
    // the route registered by a required router file is found either way
    let routes = run(&["routes", root.to_str().unwrap()]);
    assert_eq!(routes.as_array().map(Vec::len), Some(1), "{routes}");
    assert_eq!(run(&["routes", "../../apps/shop"]), routes);
}

/// Code that is not valid UTF-8 — a GBK or Latin-1 comment, common in older apps — runs under
/// Node, which reads every source as UTF-8 with each invalid byte as U+FFFD: its request data
/// reaches its sinks all the same. Such a file is analysed as Node runs it (the same findings
/// at the same lines as the file without the bytes) and named in a warning; it was skipped
/// ("not valid UTF-8; skipped for routes and code rules"), its findings gone, with exit 0 —
/// and a config file so was not read at all (a partial audit, exit 2).
#[test]
fn code_that_is_not_utf8_is_analysed_as_node_runs_it() {
    let fixture = crate::oracle_support::repo_root().join("tests/fixtures/code-vuln-js");
    let tmp = tempfile::tempdir().unwrap();
    let (plain, latin) = (tmp.path().join("plain"), tmp.path().join("latin"));
    for dir in [&plain, &latin] {
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(&fixture)
            .arg(dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
    // a GBK comment (注释) and a Latin-1 one (été) at the end of the sources and the config
    let mut edited = Vec::new();
    for rel in [
        "app/service/user.js",
        "app/controller/tools.js",
        "app/controller/user.js",
        "config/config.default.js",
    ] {
        let path = latin.join(rel);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"\n// \xd7\xa2\xca\xcd \xe9t\xe9\n");
        std::fs::write(&path, bytes).unwrap();
        edited.push(rel);
    }
    let findings = |dir: &Path| -> (i32, Vec<String>, String) {
        let r = run(&["audit", "--format", "json"], dir);
        let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let mut f: Vec<String> = j["apps"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}:{} {}", f["rule"], f["file"], f["line"], f["message"]))
            .collect();
        f.sort();
        (r.code, f, r.stderr)
    };
    let (plain_code, plain_findings, _) = findings(&plain);
    let (code, found, stderr) = findings(&latin);
    assert_eq!(code, plain_code, "{stderr}");
    assert!(
        plain_findings
            .iter()
            .any(|f| f.contains("MW001") && f.contains("app/service/user.js")),
        "{plain_findings:?}"
    );
    assert_eq!(found, plain_findings, "{stderr}");
    for rel in edited {
        assert!(
            stderr.contains(&format!("{rel}: not valid UTF-8")),
            "{rel} not named: {stderr}"
        );
    }
    // `eggsec fix` never writes text read that way: the config keeps its bytes, and the
    // refusal names each rule once
    let config = latin.join("config/config.default.js");
    let before = std::fs::read(&config).unwrap();
    let fix = run(&["fix", "--write"], &latin);
    assert_eq!(std::fs::read(&config).unwrap(), before, "{}", fix.stderr);
    let refused = fix
        .stderr
        .lines()
        .find(|l| l.contains("not fixed: config/config.default.js"))
        .unwrap_or_else(|| panic!("{}", fix.stderr));
    assert!(refused.contains("not UTF-8; not edited"), "{refused}");
    let rules = refused.split(['(', ')']).nth(1).unwrap();
    let listed: Vec<&str> = rules.split(", ").collect();
    let mut once = listed.clone();
    once.dedup();
    assert_eq!(listed, once, "{refused}");
}

/// egg follows symbolic links in `app/`, and eggsec follows them within the repository; a link
/// out of it is never read (a hostile repository must not make an audit read the machine's
/// files) and never a false clean: egg would load what it links to, so the run is partial
/// and names the link, and no plugin is called unused on the code that is left. A loop of
/// links ends with a warning; a link to a file that is not code is nothing egg loads.
#[cfg(unix)]
#[test]
fn links_out_of_the_repository_are_never_read_nor_a_false_clean() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let secret = "ghp_PlantedLinkedSecret0123456789abcdefXY";
    write(
        outside.path(),
        "shared.js",
        &format!(
            "const token = '{secret}';\nconst {{ Controller }} = require('egg');\n\
module.exports = class extends Controller {{\n  async index() {{ this.ctx.body = eval(this.ctx.query.x + token); }}\n}};\n"
        ),
    );
    write(outside.path(), "logo.png", "not code");
    let files = [
        ("config/config.default.js", "exports.keys = 'k';\n"),
        (
            "app/router.js",
            "module.exports = app => {\n  app.router.get('/', app.controller.home.index);\n  app.router.get('/x', app.controller.shared.index);\n};\n",
        ),
        (
            "app/controller/home.js",
            "const { Controller } = require('egg');\nmodule.exports = class extends Controller {\n  async index() { this.ctx.body = 'hi'; }\n};\n",
        ),
    ];
    let with_links = |outside_code: bool| {
        let dir = app(&files);
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        symlink("..", dir.path().join("app/controller/loop")).unwrap();
        std::fs::create_dir_all(dir.path().join("app/public")).unwrap();
        symlink(
            outside.path().join("logo.png"),
            dir.path().join("app/logo.png"),
        )
        .unwrap();
        symlink(outside.path(), dir.path().join("app/public/outside")).unwrap();
        if outside_code {
            symlink(
                outside.path().join("shared.js"),
                dir.path().join("app/controller/shared.js"),
            )
            .unwrap();
        }
        dir
    };

    // without the link out: a loop and links that hold no code change nothing
    let clean = with_links(false);
    let r = run(&["audit", "--format", "json"], clean.path());
    assert_ne!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("app/controller/loop"), "{}", r.stderr);
    assert!(r.stderr.contains("a loop"), "{}", r.stderr);
    assert!(!r.stderr.contains("logo.png"), "{}", r.stderr);
    assert!(!r.stderr.contains("outside the repository"), "{}", r.stderr);
    let unused = run(&["plugins", "--unused"], clean.path());
    assert_eq!(unused.code, 0, "{}", unused.stderr);
    assert!(
        !unused.stdout.lines().any(|l| l.trim() == "none"),
        "an app that uses no plugin leaves some unused: {}",
        unused.stdout
    );

    let dir = with_links(true);
    for format in ["json", "sarif", "text", "markdown"] {
        let r = run(&["audit", "--format", format], dir.path());
        assert_eq!(r.code, 2, "a partial audit: {}", r.stderr);
        for out in [&r.stdout, &r.stderr] {
            assert!(!out.contains(secret), "{format}: the linked file was read");
            assert!(!out.contains("PlantedLinked"), "{format}");
        }
        assert!(
            r.stderr.contains("app/controller/shared.js")
                && r.stderr.contains("outside the repository"),
            "{}",
            r.stderr
        );
    }
    let r = run(
        &["audit", "--format", "json", "--allow-partial"],
        dir.path(),
    );
    assert!(
        r.stdout.contains("app/controller/shared.js"),
        "{}",
        r.stdout
    );
    let unused = run(&["plugins", "--unused"], dir.path());
    assert_eq!(unused.code, 2, "{}", unused.stderr);
    assert!(
        unused.stdout.lines().any(|l| l.trim() == "none"),
        "no plugin is unused on the code left: {}",
        unused.stdout
    );
}
