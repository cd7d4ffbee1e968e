//! Unused plugins: eggsec's verdicts on the `tests/fixtures/plugins-usage-*` apps and
//! `examples/shop-api` must be exactly the expected ones (no used plugin ever reported unused),
//! and the proof: `eggsec fix --plugins --write` applied to a staged copy, the copy booted under
//! real egg (tests/oracle/requests.js and dump.js), every replayed request must answer exactly
//! as before the fix, egg's enabled plugin set must lose exactly the disabled plugins, and the
//! app's own egg-mock tests (`test/**/*.test.js`, run with mocha and `egg-mock/register` from
//! tests/oracle/egg3) must pass before and after the fix.

use crate::oracle_support::{oracle_dir, replay, repo_root, run_dump, stage, EnvSpec, StagedApp};
use assert_cmd::Command;
use eggsec_app::LoadOptions;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `env: names...` lines of a fixture's `expect-unused.txt`.
fn expected_unused(app: &Path) -> Vec<(String, BTreeSet<String>)> {
    let text = std::fs::read_to_string(app.join("expect-unused.txt"))
        .unwrap_or_else(|e| panic!("{}: {e}", app.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (env, names) = l.split_once(':').expect("env: names");
            (
                env.trim().to_string(),
                names.split_whitespace().map(String::from).collect(),
            )
        })
        .collect()
}

fn unused(app: &Path, env: &str, embedded: bool) -> BTreeSet<String> {
    let opts = LoadOptions {
        env: Some(env.into()),
        embedded_defaults_only: embedded,
        ..Default::default()
    };
    let model = eggsec_app::load(app, &opts).unwrap_or_else(|e| panic!("{}: {e}", app.display()));
    let usage = eggsec_app::usage::analyze(&model);
    assert!(usage.errors.is_empty(), "{:?}", usage.errors);
    usage.unused().into_iter().map(String::from).collect()
}

fn fixtures(root: &Path) -> Vec<PathBuf> {
    let mut apps: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("plugins-usage-"))
        })
        .collect();
    apps.sort();
    assert!(apps.len() >= 2, "plugins-usage fixtures are missing");
    apps
}

/// What eggsec must say about examples/shop-api (a JSON API: no views, uploads, static files,
/// JSONP or translations; `watcher` is needed in local only, by egg-development).
const SHOP_API_UNUSED: &[(&str, &str)] = &[
    ("prod", "i18n jsonp multipart static view watcher"),
    ("local", "i18n jsonp multipart static view"),
];

#[test]
fn unused_plugins_are_exactly_the_expected_ones() {
    let root = repo_root();
    let mut cases: Vec<(PathBuf, String, BTreeSet<String>)> = Vec::new();
    for app in fixtures(&root) {
        for (env, names) in expected_unused(&app) {
            cases.push((app.clone(), env, names));
        }
    }
    for (env, names) in SHOP_API_UNUSED {
        cases.push((
            root.join("examples/shop-api"),
            env.to_string(),
            names.split_whitespace().map(String::from).collect(),
        ));
    }
    let mut reported = 0;
    for (app, env, want) in &cases {
        let got = unused(app, env, true);
        assert_eq!(&got, want, "{} ({env})", app.display());
        reported += got.len();
    }
    eprintln!(
        "plugins usage: {} app/env cases, {reported} unused plugins reported, all as expected",
        cases.len()
    );
}

/// With the real plugins installed (contributions read from node_modules), the verdicts agree.
#[test]
fn verdicts_agree_with_installed_plugins() {
    let root = repo_root();
    let oracle = oracle_dir(&root, "egg3").unwrap_or_else(|e| panic!("{e}"));
    let mut apps = fixtures(&root);
    apps.push(root.join("examples/shop-api"));
    for app in apps {
        let staged = stage(&app, &oracle.join("node_modules")).unwrap();
        for env in ["prod", "local"] {
            assert_eq!(
                unused(&staged.root, env, false),
                unused(&app, env, true),
                "{} ({env}) with node_modules",
                app.display()
            );
        }
    }
}

fn eggsec() -> Command {
    Command::cargo_bin("eggsec").unwrap()
}

/// The envs the app's own tests run in: egg-mock's default (`unittest`) and the two envs the
/// fix is computed for.
const TEST_ENVS: &[&str] = &["unittest", "prod", "local"];

/// Runs the staged app's own egg-mock tests (`test/**/*.test.js`) the way `egg-bin test` does
/// (mocha, `--require egg-mock/register`, NODE_ENV=test) in `env`, with a clean environment;
/// panics unless they all pass, and returns how many passed.
fn run_app_tests(oracle: &Path, app: &StagedApp, env: &str) -> usize {
    let mocha = oracle.join("node_modules/mocha/bin/mocha.js");
    let mut cmd = std::process::Command::new("node");
    cmd.arg(&mocha)
        .args([
            "--require",
            "egg-mock/register",
            "--exit",
            "--timeout",
            "60000",
            "--reporter",
            "spec",
            "--no-color",
            "test/**/*.test.js",
        ])
        .current_dir(&app.root)
        .env_clear()
        .env("HOME", &app.home)
        .env("EGG_HOME", &app.home)
        .env("NODE_ENV", "test")
        .env("EGG_SERVER_ENV", env);
    for var in ["PATH", "TMPDIR"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    let out = crate::oracle_support::output_past_egg_mock_port_race(&mut cmd);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tail = |s: &str| -> String {
        let chars: Vec<char> = s.chars().collect();
        chars[chars.len().saturating_sub(4000)..].iter().collect()
    };
    assert!(
        out.status.success(),
        "the app's own tests failed on {} ({env}):\n{}\n{}",
        app.root.display(),
        tail(&stdout),
        tail(&String::from_utf8_lossy(&out.stderr))
    );
    let passing = stdout
        .lines()
        .find_map(|l| l.trim().strip_suffix(')')?.split_once(" passing ("))
        .and_then(|(n, _)| n.trim().parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no `N passing` line from mocha:\n{stdout}"));
    assert!(
        passing > 0 && !stdout.contains(" failing") && !stdout.contains(" pending"),
        "{} ({env}):\n{stdout}",
        app.root.display()
    );
    passing
}

fn names(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fix_keeps_the_app_working_under_real_egg() {
    let root = repo_root();
    let oracle = oracle_dir(&root, "egg3").unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap();
    let shop_requests = tmp.path().join("shop-requests.json");
    std::fs::write(
        &shop_requests,
        r#"[{"method":"GET","path":"/health"},{"method":"GET","path":"/api/products"},
            {"method":"GET","path":"/api/products/1"},
            {"method":"POST","path":"/api/login","json":{"username":"a","password":"demo"}},
            {"method":"GET","path":"/api/orders"},{"method":"GET","path":"/missing"}]"#,
    )
    .unwrap();
    let mut apps: Vec<(PathBuf, PathBuf)> = fixtures(&root)
        .into_iter()
        .map(|a| {
            let r = a.join("requests.json");
            (a, r)
        })
        .collect();
    apps.push((root.join("examples/shop-api"), shop_requests));
    let mut disabled_total = BTreeSet::new();
    let mut own_tests_passed = 0;
    for (app, requests) in &apps {
        let staged = stage(app, &oracle.join("node_modules")).unwrap();
        let before: Vec<_> = ["prod", "local"]
            .iter()
            .map(|env| replay(&root, &oracle, &staged, env, requests))
            .collect();
        let own_before: Vec<usize> = TEST_ENVS
            .iter()
            .map(|env| run_app_tests(&oracle, &staged, env))
            .collect();
        let unused_everywhere: BTreeSet<String> = unused(&staged.root, "prod", false)
            .intersection(&unused(&staged.root, "local", false))
            .cloned()
            .collect();
        let plugin_js = staged.root.join("config/plugin.js");
        let original = std::fs::read_to_string(&plugin_js).ok();

        // Without --write: a diff, and nothing written.
        let out = eggsec()
            .args(["fix", "--plugins"])
            .arg(&staged.root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let diff = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            std::fs::read_to_string(&plugin_js).ok(),
            original,
            "written without --write"
        );
        for name in &unused_everywhere {
            assert!(
                diff.contains(&format!("+exports.{name} = false;")),
                "{name} missing in\n{diff}"
            );
        }
        assert_eq!(diff.is_empty(), unused_everywhere.is_empty(), "{diff}");

        // --write, then a second run has nothing left to do.
        let out = eggsec()
            .args(["fix", "--plugins", "--write"])
            .arg(&staged.root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let again = eggsec()
            .args(["fix", "--plugins"])
            .arg(&staged.root)
            .output()
            .unwrap();
        assert!(
            again.stdout.is_empty(),
            "not idempotent: {}",
            String::from_utf8_lossy(&again.stdout)
        );
        if let Some(original) = &original {
            let now = std::fs::read_to_string(&plugin_js).unwrap();
            assert!(
                now.starts_with(original.trim_end()),
                "the original text was not kept:\n{now}"
            );
        }

        for (i, env) in ["prod", "local"].iter().enumerate() {
            let after = replay(&root, &oracle, &staged, env, requests);
            assert_eq!(
                after["responses"],
                before[i]["responses"],
                "{} ({env}): responses changed after the fix",
                app.display()
            );
            assert_eq!(after["routes"], before[i]["routes"]);
            let lost: BTreeSet<String> = names(&before[i]["plugins"])
                .difference(&names(&after["plugins"]))
                .cloned()
                .collect();
            assert_eq!(
                lost,
                unused_everywhere,
                "{} ({env}): egg's enabled plugins",
                app.display()
            );
            // egg's own dump of the fixed app agrees with eggsec's model of it.
            let dump = run_dump(&root, &oracle, &staged, &EnvSpec::parse(env)).unwrap();
            let egg_enabled: BTreeSet<String> = names(&dump["plugin_order"]);
            let model = eggsec_app::load(
                &staged.root,
                &LoadOptions {
                    env: Some(env.to_string()),
                    ..Default::default()
                },
            )
            .unwrap();
            let ours: BTreeSet<String> = model.plugin_order.iter().cloned().collect();
            assert_eq!(ours, egg_enabled, "{} ({env})", app.display());
        }
        // The app's own tests still pass after the fix, all of them.
        for (i, env) in TEST_ENVS.iter().enumerate() {
            let after = run_app_tests(&oracle, &staged, env);
            assert_eq!(
                after,
                own_before[i],
                "{} ({env}): the app's own tests",
                app.display()
            );
            own_tests_passed += 2 * after;
        }
        disabled_total.extend(
            unused_everywhere
                .iter()
                .map(|n| format!("{}:{n}", app.file_name().unwrap().to_string_lossy())),
        );
    }
    eprintln!(
        "plugins fix proof: {} apps booted under egg 3 before and after the fix, {} plugins disabled, all responses unchanged, the apps' own egg-mock tests passed in {} envs before and after ({own_tests_passed} test passes)",
        apps.len(),
        disabled_total.len(),
        TEST_ENVS.len()
    );
}

#[test]
fn fix_for_one_env_writes_plugin_env_file_and_plugins_shows_used() {
    let root = repo_root();
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("shop-api");
    let src = root.join("examples/shop-api");
    for entry in ignore::WalkBuilder::new(&src)
        .hidden(false)
        .build()
        .flatten()
    {
        let rel = entry.path().strip_prefix(&src).unwrap();
        let dest = app.join(rel);
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
    let out = eggsec()
        .args(["fix", "--plugins", "--env", "prod", "--embedded-defaults"])
        .arg(&app)
        .output()
        .unwrap();
    assert!(out.status.success());
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.starts_with("--- /dev/null\n+++ b/config/plugin.prod.js\n"),
        "{diff}"
    );
    assert!(diff.contains("+exports.watcher = false;"), "{diff}");
    assert!(!app.join("config/plugin.prod.js").exists());
    let out = eggsec()
        .args([
            "fix",
            "--plugins",
            "--env",
            "prod",
            "--embedded-defaults",
            "--write",
        ])
        .arg(&app)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(std::fs::read_to_string(app.join("config/plugin.prod.js"))
        .unwrap()
        .contains("exports.view = false;"));

    // A justification keeps a plugin.
    std::fs::write(
        app.join("eggsec.toml"),
        "[plugins.i18n]\nreason = \"translated errors soon\"\n",
    )
    .unwrap();
    let out = eggsec()
        .args(["fix", "--plugins", "--embedded-defaults"])
        .arg(&app)
        .output()
        .unwrap();
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        !diff.contains("i18n") && diff.contains("+exports.jsonp = false;"),
        "{diff}"
    );

    let out = eggsec()
        .args(["plugins", "--format", "json", "--embedded-defaults"])
        .arg(root.join("examples/shop-api"))
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let session = j
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "session")
        .unwrap();
    assert_eq!(session["used"]["verdict"], "yes");
    assert!(session["used"]["evidence"][0]
        .as_str()
        .unwrap()
        .contains("ctx.session"));
    let out = eggsec()
        .args(["plugins", "--unused", "--embedded-defaults"])
        .arg(root.join("examples/shop-api"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\njsonp\n  searched: app.jsonp"), "{text}");

    // A broken plugin file is a clear error naming it, not a panic.
    std::fs::write(app.join("config/plugin.js"), "exports.view = {").unwrap();
    let out = eggsec()
        .args(["fix", "--plugins", "--embedded-defaults"])
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plugin.js"));
}
