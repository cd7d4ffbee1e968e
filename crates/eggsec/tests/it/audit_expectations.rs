//! Accuracy of `eggsec audit`: fixture apps carry their expected findings beside the code they
//! concern, and the exact set (no missing, no extra) must come out.
//!
//! - `// expect: rule-name[, other-name]` as a trailing comment marks that line; as a comment
//!   line of its own it marks the next line that is not a comment or blank.
//! - `expect-app.txt` lists app-wide findings (no file:line), one rule name per line.
//! - The audit runs on prod with egg's embedded defaults (fixtures have no node_modules), unless
//!   the fixture has `expect-env` naming another env.
//!
//! Fixtures: every `tests/fixtures/audit-<strategy>-*` app, checked for the rules of that
//! strategy (the fixture exists to exercise them) and for every rule it marks, and
//! `examples/*`, checked for every rule.

use crate::oracle_support::repo_root;
use eggsec_app::LoadOptions;
use eggsec_report::Location;
use eggsec_rules::config::Settings;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (rule name, app-relative file, line); app-wide findings have file "" and line 0.
type Key = (String, String, u32);

fn audited_apps(root: &Path) -> Vec<PathBuf> {
    let mut apps = Vec::new();
    for (dir, prefix) in [("tests/fixtures", "audit-"), ("examples", "")] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().join("package.json").is_file() && name.starts_with(prefix) {
                apps.push(e.path());
            }
        }
    }
    apps.sort();
    apps
}

/// Every `expect:` marker in the app's source, config and view files.
fn expected(app: &Path) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    if let Ok(text) = std::fs::read_to_string(app.join("expect-app.txt")) {
        for name in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            out.insert((name.to_string(), String::new(), 0));
        }
    }
    let walker = ignore::WalkBuilder::new(app).hidden(false).build();
    for entry in walker.flatten() {
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "js" | "ts" | "mjs" | "cjs" | "json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let rel = path
            .strip_prefix(app)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(pos) = line.find("expect:") else {
                continue;
            };
            let before = &line[..pos];
            let Some(comment_at) = before.rfind("//") else {
                continue;
            };
            let names: Vec<String> = line[pos + "expect:".len()..]
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect();
            let code_before = line[..comment_at].trim();
            let target = if code_before.is_empty() {
                // A comment line: the marker is for the next code line.
                (i + 1..lines.len()).find(|&j| {
                    let t = lines[j].trim();
                    !t.is_empty() && !t.starts_with("//")
                })
            } else {
                Some(i)
            };
            let target = target
                .unwrap_or_else(|| panic!("{rel}:{}: expect marker with no code after it", i + 1));
            for n in names {
                out.insert((n, rel.clone(), target as u32 + 1));
            }
        }
    }
    out
}

/// The strategy a fixture is about (`audit-builtin-a-session` → builtin); `None` = all rules.
fn strategy_of(app: &Path) -> Option<eggsec_report::Strategy> {
    let name = app.file_name()?.to_str()?.strip_prefix("audit-")?;
    let word = name.split('-').next()?;
    Some(
        word.parse()
            .unwrap_or_else(|e| panic!("{}: {e}", app.display())),
    )
}

fn actual(app: &Path, marked: &BTreeSet<String>) -> BTreeSet<Key> {
    let env = std::fs::read_to_string(app.join("expect-env"))
        .ok()
        .map(|s| s.trim().to_string());
    let opts = LoadOptions {
        env: Some(env.unwrap_or_else(|| "prod".into())),
        embedded_defaults_only: true,
        ..Default::default()
    };
    let model = eggsec_app::load(app, &opts).unwrap_or_else(|e| panic!("{}: {e}", app.display()));
    let settings = Settings::load(app);
    let report = eggsec_rules::engine::run(&model, &settings);
    let strategy = strategy_of(app);
    report
        .findings
        .iter()
        .filter(|f| strategy.is_none_or(|s| f.strategy == s) || marked.contains(&f.name))
        .map(|f| match &f.location {
            Location::File { path, line, .. } if *line > 0 => (f.name.clone(), path.clone(), *line),
            _ => (f.name.clone(), String::new(), 0),
        })
        .collect()
}

#[test]
fn fixture_findings_match_expect_markers() {
    let root = repo_root();
    let apps = audited_apps(&root);
    assert!(
        apps.len() >= 2,
        "no audit fixtures found under {}",
        root.display()
    );
    let mut failures = String::new();
    let mut total = 0;
    for app in &apps {
        let want = expected(app);
        let marked = want.iter().map(|(r, _, _)| r.clone()).collect();
        let got = actual(app, &marked);
        total += want.len();
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        if !missing.is_empty() || !extra.is_empty() {
            let name = app.strip_prefix(&root).unwrap_or(app).display();
            failures.push_str(&format!("\n{name}:\n"));
            for (r, f, l) in missing {
                failures.push_str(&format!("  missing  {r} at {f}:{l}\n"));
            }
            for (r, f, l) in extra {
                failures.push_str(&format!("  extra    {r} at {f}:{l}\n"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "findings differ from the expect markers:{failures}"
    );
    eprintln!(
        "audit expectations: {} apps, {total} expected findings, all matched",
        apps.len()
    );
}

/// Instantiates an egg boilerplate (installed from the npm registry into tests/oracle/egg3 by the
/// test setup) the way egg-init does: `_package.json` → `package.json`, `{{name}}` and
/// `{{keys}}` filled in.
fn instantiate_boilerplate(root: &Path, package: &str, into: &Path) -> PathBuf {
    let src = crate::oracle_support::oracle_dir(root, "egg3")
        .unwrap_or_else(|e| panic!("{e}"))
        .join("node_modules")
        .join(package)
        .join("boilerplate");
    assert!(src.is_dir(), "{} is missing", src.display());
    let app = into.join(package);
    for entry in ignore::WalkBuilder::new(&src)
        .hidden(false)
        .ignore(false)
        .git_ignore(false)
        .build()
        .flatten()
    {
        let rel = entry.path().strip_prefix(&src).unwrap();
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dest_name = name.strip_prefix('_').unwrap_or(&name).to_string();
        let dest = app.join(rel).with_file_name(dest_name);
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            std::fs::create_dir_all(app.join(rel)).unwrap();
        } else if let Ok(text) = std::fs::read_to_string(entry.path()) {
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            let text = text
                .replace("{{name}}", "example")
                .replace("{{description}}", "an example app")
                .replace("{{author}}", "eggsec")
                .replace("{{keys}}", "1700000000000_4242");
            std::fs::write(dest, text).unwrap();
        }
    }
    app
}

/// egg's own boilerplates are what teams start from: nothing above `low` may come out of them,
/// except the keys left as egg-init wrote them (`<name>_<timestamp>_<random>`, committed).
#[test]
fn boilerplates_are_quiet() {
    let root = repo_root();
    let tmp = tempfile::tempdir().unwrap();
    for package in ["egg-boilerplate-simple", "egg-boilerplate-ts"] {
        let app = instantiate_boilerplate(&root, package, tmp.path());
        for env in ["prod", "local"] {
            let opts = LoadOptions {
                env: Some(env.into()),
                embedded_defaults_only: true,
                ..Default::default()
            };
            let model = eggsec_app::load(&app, &opts).unwrap_or_else(|e| panic!("{package}: {e}"));
            let report = eggsec_rules::engine::run(&model, &Settings::default());
            let loud: Vec<String> = report
                .findings
                .iter()
                .filter(|f| {
                    f.severity > eggsec_report::Severity::Low && !f.name.starts_with("keys-")
                })
                .map(|f| format!("{} {} {}: {}", f.severity, f.name, f.location, f.message))
                .collect();
            assert!(
                loud.is_empty(),
                "{package} ({env}) gives findings above low:\n{}",
                loud.join("\n")
            );
            let keys = report
                .findings
                .iter()
                .filter(|f| f.name.starts_with("keys-"))
                .count();
            // keys-weak is a deployment concern: reported in prod, not on a developer's machine.
            assert_eq!(
                keys >= 1,
                env == "prod",
                "{package} ({env}): {keys} keys findings"
            );
        }
    }
}
