//! The corpus oracle (issue 18, deliverable 5): the real Egg.js apps of `shared/corpus`,
//! installed from the npm registry (`bash tests/oracle/corpus/install.sh`, cached under
//! `target/corpus-oracle`), are loaded by real egg — the egg or framework of each app's own
//! `node_modules` — as a non-listening Application (`tests/oracle/corpus/dump.js`), and eggsec's
//! static model of the same app must agree, **with and without `node_modules`**:
//!
//! - config: every leaf of every top-level key (the same comparison as the fixture oracle,
//!   `oracle.rs`, with its runtime-only allow-list); `{"$unknown"}` counts as declared unknown;
//!   the security-relevant subset (`COMPARED_KEYS`) is counted apart;
//! - plugins: enabled set, load order, package, implicit enable;
//! - middleware: coreMiddleware + appMiddleware order and which are enabled (the order only when
//!   egg's `loadMiddleware` threw: `app.middleware` then holds what was created before the throw);
//! - routes: `app.router.stack` plus every egg-router-plus namespace router's stack (and midway
//!   v1's per-controller routers), as a
//!   (method, path) multiset, against eggsec's routes other than tegg's (tegg controllers are
//!   mounted apart, when their module loads). A difference on an app whose routes eggsec declares
//!   unknown (`routes_unknown`: the `routes` command's UNKNOWN line and exit status) is counted
//!   apart and does not fail the test.
//!
//! Opt-in (`#[ignore]`): the installs take minutes per app, so `.ci/run` does not run it; CI
//! runs the fixtures made from its findings in the regular oracle instead. Run:
//!
//! ```text
//! bash tests/oracle/corpus/install.sh
//! cargo test -p eggsec --test it corpus_oracle -- --ignored --nocapture
//! ```
//!
//! `EGGSEC_CORPUS_ORACLE_DIR` moves the install dir, `EGGSEC_CORPUS_ORACLE_APPS` (comma list)
//! narrows the apps, `EGGSEC_CORPUS_ORACLE_ENVS` the envs (default `prod,local`). The report is
//! printed and written to `<dir>/report.txt`. The test fails on any error, mismatch, middleware
//! or route difference, or app not installed: it states whether issue 18's "Done when" holds.

use crate::declared_unknown::{compare_middleware, compare_plugins, Declared};
use crate::oracle::{compare_key_length, load_rules, Normaliser, Tally, COMPARED_KEYS};
use crate::oracle_support::repo_root;
use crate::routes_oracle::egg_routes;
use eggsec_app::LoadOptions;
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Config keys that hold the process, not the app (egg-core's aliases of the middleware lists,
/// compared as middleware instead).
const SKIPPED_KEYS: &[&str] = &[
    "coreMiddlewares",
    "appMiddlewares",
    "coreMiddleware",
    "appMiddleware",
];

fn corpus_dir(root: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("EGGSEC_CORPUS") {
        return Some(PathBuf::from(dir));
    }
    root.ancestors()
        .map(|a| a.join("shared/corpus"))
        .find(|d| d.join("apps.txt").is_file())
}

fn oracle_out(root: &Path) -> PathBuf {
    std::env::var_os("EGGSEC_CORPUS_ORACLE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/corpus-oracle"))
}

fn list_env(var: &str) -> Option<Vec<String>> {
    std::env::var(var).ok().map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// Runs tests/oracle/corpus/dump.js with a clean environment (HOME/EGG_HOME inside the app).
/// `Err((true, ..))`: egg itself could not load the app (dump.js exit 1: the app's own error,
/// such as a syntax error in its config); `Err((false, ..))`: the harness failed.
fn run_dump(root: &Path, app: &Path, env: &str) -> Result<J, (bool, String)> {
    let home = app.join(".egg-home");
    let mut cmd = Command::new("node");
    cmd.arg(root.join("tests/oracle/corpus/dump.js"))
        .arg(app)
        .arg(env)
        .env_clear()
        .env("HOME", &home)
        .env("EGG_HOME", &home)
        .current_dir(app);
    for var in ["PATH", "TMPDIR"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    let out = cmd.output().map_err(|e| {
        (
            false,
            format!("cannot run node (Node.js >= 18 on PATH): {e}"),
        )
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let start = stderr.find("corpus/dump.js:").unwrap_or(0);
        let message: String = stderr[start..]
            .lines()
            .take(6)
            .collect::<Vec<_>>()
            .join("\n  ");
        return Err((out.status.code() == Some(1), message));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| (false, format!("dump.js printed invalid JSON: {e}")))
}

/// A copy of an installed app without `node_modules` (and what egg wrote), for the
/// "without node_modules" run.
fn bare_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if ["node_modules", "run", "logs", ".egg-home"]
            .iter()
            .any(|s| name == *s)
        {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            bare_copy(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

struct Row<'a> {
    app: String,
    env: String,
    mode: &'static str,
    all: Tally<'a>,
    security: Tally<'a>,
    model: Tally<'a>,
    routes_egg: usize,
    routes_ours: usize,
    missing: Vec<String>,
    extra: Vec<String>,
    router_loaded: bool,
    /// eggsec's reason for not knowing the app's routes, when it gives one.
    routes_unknown: Option<String>,
    middleware_loaded: bool,
    booted: bool,
    hook_errors: Vec<String>,
}

#[test]
#[ignore = "opt-in corpus oracle: run `bash tests/oracle/corpus/install.sh` first (minutes of npm installs), then --ignored"]
fn corpus_apps_agree_with_real_egg() {
    let root = repo_root();
    let corpus =
        corpus_dir(&root).expect("no shared/corpus/apps.txt above the repo (set EGGSEC_CORPUS)");
    let out_dir = oracle_out(&root);
    let rules = load_rules(&root);
    let apps: Vec<String> = list_env("EGGSEC_CORPUS_ORACLE_APPS").unwrap_or_else(|| {
        std::fs::read_to_string(corpus.join("apps.txt"))
            .expect("apps.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    });
    let envs = list_env("EGGSEC_CORPUS_ORACLE_ENVS")
        .unwrap_or_else(|| vec!["prod".to_string(), "local".to_string()]);
    let tmp = tempfile::Builder::new()
        .prefix("eggsec-corpus-oracle-")
        .tempdir()
        .unwrap();

    let bare_apps = tmp.path().join("bare");
    let installed_apps = out_dir.join("apps");
    std::fs::create_dir_all(&bare_apps).unwrap();
    let (bare_apps, installed_apps) = (
        bare_apps.canonicalize().unwrap(),
        installed_apps
            .canonicalize()
            .unwrap_or_else(|_| out_dir.join("apps")),
    );
    let mut rows: Vec<Row> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut egg_failed: Vec<String> = Vec::new();
    for app in &apps {
        let installed = out_dir.join("apps").join(app);
        if !installed
            .join("node_modules/.eggsec-corpus-stamp")
            .is_file()
        {
            errors.push(format!(
                "{app}: not installed in {} (run bash tests/oracle/corpus/install.sh {app})",
                out_dir.display()
            ));
            continue;
        }
        let installed = installed.canonicalize().unwrap();
        let bare = tmp.path().join("bare").join(app);
        bare_copy(&installed, &bare).unwrap_or_else(|e| panic!("{app}: {e}"));
        let bare = bare.canonicalize().unwrap();
        for env in &envs {
            let dump = match run_dump(&root, &installed, env) {
                Ok(d) => d,
                Err((true, e)) => {
                    // egg cannot load this app in this env: eggsec must say the run is partial
                    let opts = LoadOptions {
                        env: Some(env.clone()),
                        scope: None,
                        embedded_defaults_only: false,
                    };
                    let said = eggsec_app::load(&installed, &opts).map_or_else(
                        |e| format!("eggsec: error {e}"),
                        |m| {
                            let partial: Vec<String> = m
                                .diagnostics
                                .iter()
                                .filter(|d| d.level >= eggsec_app::DiagnosticLevel::Error)
                                .map(|d| {
                                    format!(
                                        "{}:{} {}",
                                        d.file.as_deref().unwrap_or(Path::new("")).display(),
                                        d.line,
                                        d.message
                                    )
                                })
                                .collect();
                            if partial.is_empty() {
                                "eggsec: NO error diagnostic".to_string()
                            } else {
                                format!("eggsec: {}", partial.join("; "))
                            }
                        },
                    );
                    egg_failed.push(format!("{app} {env}: {e}\n  {said}"));
                    continue;
                }
                Err((false, e)) => {
                    errors.push(format!("{app} {env}: {e}"));
                    continue;
                }
            };
            let dump_errors: Vec<(String, String)> = dump["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    (
                        e["step"].as_str().unwrap_or_default().to_string(),
                        e["error"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let hook_errors: Vec<String> = dump_errors
                .iter()
                .filter(|(step, _)| step.starts_with("boot hook") || step.starts_with("load"))
                .map(|(step, e)| format!("{step}: {}", e.lines().next().unwrap_or_default()))
                .collect();
            let router_loaded = !dump_errors
                .iter()
                .any(|(s, _)| s == "loadRouter" || s == "loadController");
            let booted = hook_errors.is_empty();
            // egg's loadMiddleware threw: app.middleware holds what was created before the
            // throw, so only the configured order is comparable
            let middleware_loaded = !dump_errors.iter().any(|(s, _)| s == "loadMiddleware");
            for (mode, model_root) in [("node_modules", &installed), ("bare", &bare)] {
                let opts = LoadOptions {
                    env: Some(env.clone()),
                    scope: None,
                    embedded_defaults_only: false,
                };
                let model = match eggsec_app::load(model_root, &opts) {
                    Ok(m) => m,
                    Err(e) => {
                        errors.push(format!(
                            "{app} {env} {mode}: eggsec could not load the app: {e}"
                        ));
                        continue;
                    }
                };
                let norm = Normaliser::new(&installed, &installed, &installed.join(".egg-home"))
                    .with(&bare.join("node_modules"), "{{node_modules}}")
                    .with(&bare, "{{root}}")
                    .with(&installed, "{{root}}")
                    .with(&bare_apps, "{{apps}}")
                    .with(&installed_apps, "{{apps}}");
                let egg_config = norm.apply(&dump["config"]);
                // keys a plugin eggsec cannot see may change are declared unknown (uncertain)
                let our_config =
                    norm.apply(&model.uncertain.declared(&model.config).to_tagged_json());
                let label = format!("{env} {mode}");
                let mut all = Tally::new(app, &label, &rules);
                let mut security = Tally::new(app, &label, &rules);
                let mut keys: Vec<String> = egg_config
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                if let Some(ours) = our_config.as_object() {
                    keys.extend(
                        ours.keys()
                            .filter(|k| !keys.contains(k))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                }
                for key in keys
                    .iter()
                    .filter(|k| !SKIPPED_KEYS.contains(&k.as_str()) && *k != "$unknown_keys")
                {
                    // a config that may hold other keys (an unknown framework's) answers its
                    // unknown for a key it lacks, as `Tally::compare` does for nested objects
                    let (e, o) = (
                        egg_config.get(key),
                        our_config
                            .get(key)
                            .or_else(|| our_config.get("$unknown_keys")),
                    );
                    let is_security = COMPARED_KEYS.contains(&key.as_str());
                    if key == "keys" {
                        compare_key_length(&mut all, e, o);
                        compare_key_length(&mut security, e, o);
                    } else {
                        all.compare(key, e, o);
                        if is_security {
                            security.compare(key, e, o);
                        }
                    }
                }
                let mut model_tally = Tally::new(app, &label, &rules);
                // what eggsec declared unknown (plugins/frameworks it cannot see), in egg's terms
                let declared = Declared::of(&dump, &model);
                compare_plugins(&mut model_tally, &dump, &model, &declared);
                compare_middleware(
                    &mut model_tally,
                    &dump,
                    &model,
                    &declared,
                    !middleware_loaded,
                );

                let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
                let namespaced = serde_json::json!({"routes": dump["namespace_routes"]});
                // midway v1: one EggRouter per `@controller(prefix)`, mounted apart
                let framework = serde_json::json!({"routes": dump["framework_routes"]});
                for (m, p, ..) in egg_routes(&dump)
                    .into_iter()
                    .chain(egg_routes(&namespaced))
                    .chain(egg_routes(&framework))
                {
                    *want.entry((m, p)).or_default() += 1;
                }
                let mut got: BTreeMap<(String, String), usize> = BTreeMap::new();
                for r in model.routes.iter().filter(|r| !r.tegg) {
                    *got.entry((r.method.clone(), r.path.clone())).or_default() += 1;
                }
                // what eggsec says it cannot know (the `routes` command's UNKNOWN line and exit status)
                let routes_unknown = eggsec_app::routes::routes_unknown(
                    &model.root,
                    &model.routes,
                    &model.code,
                    &model.frameworks,
                );
                let diff = |a: &BTreeMap<(String, String), usize>,
                            b: &BTreeMap<(String, String), usize>| {
                    a.iter()
                        .filter_map(|(k, n)| {
                            let m = b.get(k).copied().unwrap_or(0);
                            (n > &m).then(|| format!("{} {} (x{})", k.0, k.1, n - m))
                        })
                        .collect::<Vec<_>>()
                };
                rows.push(Row {
                    app: app.clone(),
                    env: env.clone(),
                    mode,
                    all,
                    security,
                    model: model_tally,
                    routes_egg: want.values().sum(),
                    routes_ours: got.values().sum(),
                    missing: diff(&want, &got),
                    extra: diff(&got, &want),
                    router_loaded,
                    routes_unknown,
                    middleware_loaded,
                    booted,
                    hook_errors: hook_errors.clone(),
                });
            }
        }
    }

    let report = render(&rows, &errors, &egg_failed);
    println!("{report}");
    let _ = std::fs::create_dir_all(&out_dir);
    let _ = std::fs::write(out_dir.join("report.txt"), &report);
    let failing = rows.iter().any(|r| {
        r.all.mismatched > 0
            || r.model.mismatched > 0
            || (r.router_loaded
                && r.routes_unknown.is_none()
                && (!r.missing.is_empty() || !r.extra.is_empty()))
    });
    assert!(
        errors.is_empty() && !failing,
        "the corpus oracle found differences (report above and in {})",
        out_dir.join("report.txt").display()
    );
}

/// How a run's plugin list (`what` = "plugin") or middleware chain ("middleware") compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Equal,
    /// Differs only where eggsec declared it unknown (`declared_unknown`).
    Declared,
    Differs,
}

fn state(r: &Row, what: &str) -> State {
    if r.model.mismatches.iter().any(|m| m.contains(what)) {
        State::Differs
    } else if r.model.unknowns.iter().any(|m| m.contains(what)) {
        State::Declared
    } else {
        State::Equal
    }
}

fn pct(agreed: usize, unknown: usize, total: usize) -> String {
    if total == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", 100.0 * (agreed + unknown) as f64 / total as f64)
}

fn render(rows: &[Row], errors: &[String], egg_failed: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<44} {:<5} {:<12} {:>15} {:>13} {:>6} {:>5} {:>16} {:>5}",
        "app",
        "env",
        "mode",
        "keys ok/unk/all",
        "security",
        "model",
        "mw",
        "routes egg/ours",
        "boot"
    );
    for r in rows {
        let mw = state(r, "middleware");
        let _ = writeln!(
            out,
            "{:<44} {:<5} {:<12} {:>15} {:>13} {:>6} {:>5} {:>16} {:>5}",
            r.app,
            r.env,
            r.mode,
            format!("{}/{}/{}", r.all.agreed, r.all.unknown, r.all.total()),
            pct(r.security.agreed, r.security.unknown, r.security.total()),
            format!("{}/{}", r.model.agreed, r.model.total()),
            match mw {
                State::Equal => "=",
                State::Declared => "unk",
                State::Differs => "DIFF",
            },
            format!(
                "{}/{}{}",
                r.routes_egg,
                r.routes_ours,
                if !r.router_loaded {
                    " (no router)"
                } else if r.missing.is_empty() && r.extra.is_empty() {
                    " ="
                } else if r.routes_unknown.is_some() {
                    " unk"
                } else {
                    " DIFF"
                }
            ),
            if r.booted { "ok" } else { "hooks!" },
        );
    }
    for mode in ["node_modules", "bare"] {
        let sel: Vec<&Row> = rows.iter().filter(|r| r.mode == mode).collect();
        let sum = |f: &dyn Fn(&Row) -> usize| sel.iter().map(|r| f(r)).sum::<usize>();
        let (a, u, t) = (
            sum(&|r| r.all.agreed),
            sum(&|r| r.all.unknown),
            sum(&|r| r.all.total()),
        );
        let (sa, su, st) = (
            sum(&|r| r.security.agreed),
            sum(&|r| r.security.unknown),
            sum(&|r| r.security.total()),
        );
        let count = |what: &str, want: State| sel.iter().filter(|r| state(r, what) == want).count();
        let (mw_eq, mw_unk) = (
            count("middleware", State::Equal),
            count("middleware", State::Declared),
        );
        let (plugins_eq, plugins_unk) = (
            count("plugin", State::Equal),
            count("plugin", State::Declared),
        );
        let booted = sel.iter().filter(|r| r.booted).count();
        let mw_eq_booted = sel
            .iter()
            .filter(|r| r.booted && state(r, "middleware") != State::Differs)
            .count();
        let routers: Vec<&&Row> = sel.iter().filter(|r| r.router_loaded).collect();
        let routes_eq = routers
            .iter()
            .filter(|r| r.missing.is_empty() && r.extra.is_empty())
            .count();
        let routes_unk = routers
            .iter()
            .filter(|r| {
                (!r.missing.is_empty() || !r.extra.is_empty()) && r.routes_unknown.is_some()
            })
            .count();
        let no_mw = sel.iter().filter(|r| !r.middleware_loaded).count();
        let _ = writeln!(
            out,
            "\n{mode}: config keys {a} equal + {u} declared unknown of {t} = {} ({} mismatched); \
             security keys {sa}+{su} of {st} = {}; plugins equal on {plugins_eq}/{} (+ {plugins_unk} declared \
             unknown); middleware equal on {mw_eq}/{} runs (+ {mw_unk} declared unknown; \
             {mw_eq_booted}/{booted} equal or declared unknown of the runs whose boot hooks all ran; order only on \
             {no_mw} runs whose loadMiddleware threw); routes equal on {routes_eq}/{} runs whose router \
             loaded (+ {routes_unk} where eggsec declares the routes unknown)",
            pct(a, u, t),
            t - a - u,
            pct(sa, su, st),
            sel.len(),
            sel.len(),
            routers.len(),
        );
    }
    for r in rows {
        let head = format!("{} {} {}", r.app, r.env, r.mode);
        if !r.hook_errors.is_empty() && r.mode == "node_modules" {
            let _ = writeln!(out, "\nboot hook errors in {} {}:", r.app, r.env);
            for e in &r.hook_errors {
                let _ = writeln!(out, "  {e}");
            }
        }
        if !r.model.mismatches.is_empty() {
            let _ = writeln!(out, "\nMODEL MISMATCH in {head}:");
            for m in &r.model.mismatches {
                let _ = writeln!(out, "  {m}");
            }
        }
        if !r.model.unknowns.is_empty() {
            let _ = writeln!(out, "\nMODEL DECLARED UNKNOWN in {head}:");
            for m in &r.model.unknowns {
                let _ = writeln!(out, "  {m}");
            }
        }
        if !r.missing.is_empty() || !r.extra.is_empty() {
            let _ = writeln!(
                out,
                "\nROUTES in {head}: {} missing, {} extra{}",
                r.missing.len(),
                r.extra.len(),
                if r.router_loaded {
                    ""
                } else {
                    " (egg's router did not load)"
                }
            );
            if let Some(why) = &r.routes_unknown {
                let _ = writeln!(out, "  eggsec declares them unknown: {why}");
            }
            for m in r.missing.iter().take(15) {
                let _ = writeln!(out, "  missing {m}");
            }
            for m in r.extra.iter().take(15) {
                let _ = writeln!(out, "  extra   {m}");
            }
        }
        if !r.all.mismatches.is_empty() {
            let _ = writeln!(
                out,
                "\nCONFIG MISMATCH in {head} ({}):",
                r.all.mismatches.len()
            );
            for m in r.all.mismatches.iter().take(40) {
                let _ = writeln!(out, "  {m}");
            }
        }
        if !r.all.unknowns.is_empty() {
            let _ = writeln!(out, "\nunknown in {head} ({}):", r.all.unknowns.len());
            for u in r.all.unknowns.iter().take(10) {
                let _ = writeln!(out, "  {u}");
            }
        }
    }
    for e in egg_failed {
        let _ = writeln!(out, "\nEGG COULD NOT LOAD {e}");
    }
    for e in errors {
        let _ = writeln!(out, "\nERROR {e}");
    }
    out
}
