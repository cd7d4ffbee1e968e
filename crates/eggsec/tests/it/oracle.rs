//! Egg is the oracle: every fixture app (tests/fixtures/*/oracle.json, examples/*/oracle.json)
//! is booted under real egg in each env its manifest lists (tests/oracle/dump.js), and eggsec's
//! static model of the same app must agree with what egg computed:
//!
//! - every leaf under the security-relevant config keys (plus the manifest's extra keys and each
//!   app middleware's options), `keys` by length only;
//! - the enabled plugin set, `plugin_order`, each enabled plugin's package and implicit enable;
//! - coreMiddleware + appMiddleware order, and which of them are enabled;
//! - the env and egg major.
//!
//! Keys egg changes while booting are listed with a reason in tests/oracle/runtime-only.json.
//! An eggsec value `{"$unknown": ...}` is a documented Unknown: reported, never counted as
//! agreement. Apps that use only egg's built-in plugins are checked a second time with
//! `embedded_defaults_only` (the snapshots in crates/eggsec_app/defaults). Any mismatch fails.
//! Needs Node.js and `tests/oracle/install.sh`; a missing install fails the test, never skips it.

use crate::oracle_support::{fixtures, oracle_dir, repo_root, run_dump, stage, EnvSpec, Fixture};
use eggsec_app::{AppModel, DefaultsSource, LoadOptions};
use serde_json::{Map, Value as J};
use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::Path;

/// Top-level config keys compared for every app.
pub(crate) const COMPARED_KEYS: &[&str] = &[
    "security",
    "session",
    "cookies",
    "bodyParser",
    "multipart",
    "static",
    "jsonp",
    "onerror",
    "logger",
    "logrotator",
    "cors",
    "proxy",
    "maxIpsCount",
    "keys",
    "middleware",
];

/// Keys that mark an object as a tagged value of the JSON contract rather than a config object.
const TAGS: &[&str] = &[
    "$function",
    "$regex",
    "$set",
    "$buffer",
    "$object",
    "$number",
    "$circular",
    "$env",
    "$unknown",
    "$undefined",
    "$secret",
];

#[test]
fn eggsec_agrees_with_real_egg() {
    let root = repo_root();
    let rules = load_rules(&root);
    let apps = fixtures(&root).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        apps.len() >= 12,
        "expected at least 12 oracle apps, found {}",
        apps.len()
    );

    let mut rows: Vec<Tally> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for app in &apps {
        let oracle = oracle_dir(&root, &app.manifest.egg).unwrap_or_else(|e| panic!("{e}"));
        let builtin = builtin_packages(&root, &app.manifest.egg);
        for spec in app.manifest.envs.iter().map(|s| EnvSpec::parse(s)) {
            let staged = stage(&app.dir, &oracle.join("node_modules"))
                .unwrap_or_else(|e| panic!("{}: cannot stage a copy: {e}", app.dir.display()));
            let dump = match run_dump(&root, &oracle, &staged, &spec) {
                Ok(dump) => dump,
                Err(e) => {
                    errors.push(format!("{} {}: {e}", app.name, spec.label));
                    continue;
                }
            };
            let norm = Normaliser::new(&oracle, &staged.root, &staged.home);
            let mut modes = vec![false];
            if app.manifest.embedded || uses_only_builtin_plugins(&dump, &staged.root, &builtin) {
                modes.push(true);
            }
            for embedded in modes {
                let opts = LoadOptions {
                    env: spec.env.clone(),
                    scope: spec.scope.clone(),
                    embedded_defaults_only: embedded,
                };
                let label = if embedded {
                    format!("{} [embedded]", spec.label)
                } else {
                    spec.label.clone()
                };
                match eggsec_app::load(&staged.root, &opts) {
                    Ok(model) => {
                        let mut tally = Tally::new(&app.name, &label, &rules);
                        compare_app(&mut tally, app, &dump, &model, &norm, embedded);
                        rows.push(tally);
                    }
                    Err(e) => errors.push(format!(
                        "{} {label}: eggsec could not load the app: {e}",
                        app.name
                    )),
                }
            }
        }
    }

    let report = render(&rows, &errors);
    println!("{report}");
    let mismatched: usize = rows.iter().map(|r| r.mismatched).sum();
    assert!(
        errors.is_empty() && mismatched == 0,
        "eggsec disagrees with real egg ({mismatched} mismatches, {} errors)\n{report}",
        errors.len()
    );
}

// ---------------------------------------------------------------------------------------------
// What is compared

fn compare_app(
    t: &mut Tally,
    app: &Fixture,
    dump: &J,
    model: &AppModel,
    norm: &Normaliser,
    embedded: bool,
) {
    // env and egg major
    let egg_env = dump["env"].as_str().unwrap_or_default();
    t.check("env", egg_env == model.env, || {
        format!("egg {egg_env:?}, eggsec {:?}", model.env)
    });
    let egg_major = dump["egg_version"]
        .as_str()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    t.check("egg major", egg_major == model.egg_major, || {
        format!("egg {egg_major:?}, eggsec {:?}", model.egg_major)
    });
    if embedded {
        let ok = matches!(model.defaults, DefaultsSource::Embedded { egg_major: m } if Some(m) == egg_major);
        t.check("defaults source", ok, || {
            format!(
                "expected embedded egg {egg_major:?} defaults, eggsec used {:?}",
                model.defaults
            )
        });
    }

    compare_plugins(t, dump, model);
    compare_middleware(t, dump, model);

    // config
    let egg_config = norm.apply(&dump["config"]);
    let our_config = norm.apply(&model.config.to_tagged_json());
    let mut keys: Vec<String> = COMPARED_KEYS.iter().map(|k| k.to_string()).collect();
    keys.extend(app.manifest.keys.iter().cloned());
    keys.extend(str_list(&dump["app_middleware"]));
    let mut seen = HashSet::new();
    for key in keys.into_iter().filter(|k| seen.insert(k.clone())) {
        let egg = egg_config.get(&key);
        let ours = our_config.get(&key);
        if key == "keys" {
            compare_key_length(t, egg, ours);
        } else {
            t.compare(&key, egg, ours);
        }
    }
}

pub(crate) fn compare_plugins(t: &mut Tally, dump: &J, model: &AppModel) {
    let egg_plugins = dump["plugins"].as_array().cloned().unwrap_or_default();
    let egg_enabled: Vec<&J> = egg_plugins
        .iter()
        .filter(|p| p["enable"] == J::Bool(true))
        .collect();
    let egg_set: BTreeSet<&str> = egg_enabled
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    let our_set: BTreeSet<&str> = model
        .plugins
        .iter()
        .filter(|p| p.enabled)
        .map(|p| p.name.as_str())
        .collect();
    t.check("enabled plugins", egg_set == our_set, || {
        format!(
            "only egg: {:?}, only eggsec: {:?}",
            egg_set.difference(&our_set).collect::<Vec<_>>(),
            our_set.difference(&egg_set).collect::<Vec<_>>()
        )
    });
    let egg_order = str_list(&dump["plugin_order"]);
    t.check("plugin_order", egg_order == model.plugin_order, || {
        format!("egg {egg_order:?}\n      eggsec {:?}", model.plugin_order)
    });
    for p in egg_enabled {
        let name = p["name"].as_str().unwrap_or_default();
        let Some(ours) = model.plugin(name) else {
            continue;
        };
        // an egg 4.1 plugin factory's entry (`skipMerge`) has no `package`, only its `path`
        // (the package's `dist/`): the installed package that path lies in is the plugin's
        let egg_package = match p["package"].as_str() {
            Some(package) => Some(package.to_string()),
            None if p["skipMerge"] == J::Bool(true) => p["path"].as_str().and_then(package_of_path),
            None => None,
        };
        t.check(
            &format!("plugin {name} package"),
            egg_package.as_deref() == ours.package.as_deref(),
            || format!("egg {egg_package:?}, eggsec {:?}", ours.package),
        );
        let egg_implicit = p["implicitEnable"] == J::Bool(true);
        t.check(
            &format!("plugin {name} implicitEnable"),
            egg_implicit == ours.implicit_enable,
            || format!("egg {egg_implicit}, eggsec {}", ours.implicit_enable),
        );
    }
}

/// The name of the package a plugin directory lies in (the nearest package.json with a name).
fn package_of_path(path: &str) -> Option<String> {
    let mut dir = Some(Path::new(path));
    while let Some(d) = dir {
        let name = std::fs::read_to_string(d.join("package.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<J>(&t).ok())
            .and_then(|pkg| pkg["name"].as_str().map(str::to_string));
        if name.is_some() {
            return name;
        }
        dir = d.parent();
    }
    None
}

pub(crate) fn compare_middleware(t: &mut Tally, dump: &J, model: &AppModel) {
    let egg_names = compare_middleware_order(t, dump, model);
    // app.middleware holds only the enabled ones (plus the router, which is not in the lists).
    let listed: HashSet<&String> = egg_names.iter().collect();
    let egg_enabled: Vec<String> = str_list(&dump["middleware_names"])
        .into_iter()
        .filter(|n| listed.contains(n))
        .collect();
    let our_enabled: Vec<String> = model
        .middleware
        .iter()
        .filter(|m| m.enabled)
        .map(|m| m.name.clone())
        .collect();
    t.check("enabled middleware", egg_enabled == our_enabled, || {
        format!("egg {egg_enabled:?}\n      eggsec {our_enabled:?}")
    });
}

/// The configured middleware order (coreMiddleware + appMiddleware) alone; returns egg's list.
/// The corpus oracle compares only this when egg's `loadMiddleware` threw: `app.middleware` then
/// holds what was created before the throw, not the enabled set.
pub(crate) fn compare_middleware_order(t: &mut Tally, dump: &J, model: &AppModel) -> Vec<String> {
    let mut egg_names = str_list(&dump["core_middleware"]);
    egg_names.extend(str_list(&dump["app_middleware"]));
    let our_names: Vec<String> = model.middleware.iter().map(|m| m.name.clone()).collect();
    t.check("middleware order", egg_names == our_names, || {
        format!("egg {egg_names:?}\n      eggsec {our_names:?}")
    });
    egg_names
}

pub(crate) fn compare_key_length(t: &mut Tally, egg: Option<&J>, ours: Option<&J>) {
    let ours = ours.and_then(resolve_env);
    if ours.as_ref().is_some_and(contains_unknown) {
        t.unknowns.push("keys: {\"$unknown\": ...}".to_string());
        t.unknown += 1;
        return;
    }
    let egg_len = egg.and_then(J::as_str).map(|s| s.chars().count());
    let our_len = ours.as_ref().and_then(J::as_str).map(|s| s.chars().count());
    t.check("config keys (length)", egg_len == our_len, || {
        format!("egg length {egg_len:?}, eggsec length {our_len:?}")
    });
}

// ---------------------------------------------------------------------------------------------
// The tally of one app × env, and the leaf-by-leaf config comparison

pub(crate) struct Tally<'a> {
    app: String,
    env: String,
    rules: &'a [Rule],
    pub(crate) agreed: usize,
    pub(crate) unknown: usize,
    pub(crate) mismatched: usize,
    pub(crate) mismatches: Vec<String>,
    pub(crate) unknowns: Vec<String>,
}

impl<'a> Tally<'a> {
    pub(crate) fn new(app: &str, env: &str, rules: &'a [Rule]) -> Self {
        Self {
            app: app.to_string(),
            env: env.to_string(),
            rules,
            agreed: 0,
            unknown: 0,
            mismatched: 0,
            mismatches: Vec::new(),
            unknowns: Vec::new(),
        }
    }

    pub(crate) fn total(&self) -> usize {
        self.agreed + self.unknown + self.mismatched
    }

    fn check(&mut self, what: &str, ok: bool, detail: impl FnOnce() -> String) {
        if ok {
            self.agreed += 1;
        } else {
            self.mismatched += 1;
            self.mismatches.push(format!("{what}: {}", detail()));
        }
    }

    fn rule(&self, path: &str) -> Option<RuleKind> {
        let segments: Vec<&str> = path.split('.').collect();
        self.rules
            .iter()
            .find(|r| r.matches(&segments))
            .map(|r| r.kind)
    }

    /// Compares egg's value and eggsec's at `path`, recursing into plain objects; each leaf counts once.
    pub(crate) fn compare(&mut self, path: &str, egg: Option<&J>, ours: Option<&J>) {
        let ours = ours.and_then(resolve_env);
        match self.rule(path) {
            Some(RuleKind::Replaced) => return,
            Some(RuleKind::Added) if ours.is_none() => return,
            Some(RuleKind::Removed) if egg.is_none() => return,
            Some(RuleKind::Bytes) => {
                if let (Some(e), Some(J::String(s))) = (egg, &ours) {
                    let ok = parse_bytes(s).is_some_and(|b| Some(b) == e.as_f64());
                    self.check(path, ok, || {
                        format!("egg {e}, eggsec {s:?} (as bytes {:?})", parse_bytes(s))
                    });
                    return;
                }
            }
            _ => {}
        }
        match (egg, &ours) {
            (None, None) => {}
            (Some(J::Object(e)), Some(J::Object(o))) if !is_tagged(e) && !is_tagged(o) => {
                if e.is_empty() && o.is_empty() {
                    self.agreed += 1;
                    return;
                }
                let mut keys: Vec<&String> = e.keys().collect();
                keys.extend(
                    o.keys()
                        .filter(|k| !e.contains_key(*k) && *k != "$unknown_keys"),
                );
                for key in keys {
                    // an object that may hold other keys answers its unknown for a key it lacks
                    let ours = o.get(key).or_else(|| o.get("$unknown_keys"));
                    self.compare(&format!("{path}.{key}"), e.get(key), ours);
                }
            }
            (_, Some(o)) if contains_unknown(o) => {
                self.unknown += 1;
                self.unknowns
                    .push(format!("{path}: egg {}, eggsec {o}", show(egg)));
            }
            (e, o) => {
                let ok = match (e, o) {
                    (Some(e), Some(o)) => same(e, o),
                    _ => false,
                };
                self.check(path, ok, || {
                    format!("egg {}, eggsec {}", show(e), show(o.as_ref()))
                });
            }
        }
    }
}

fn show(v: Option<&J>) -> String {
    v.map_or_else(|| "(absent)".to_string(), J::to_string)
}

/// Leaf equality under the tagged contract: any two functions agree (egg names them, eggsec
/// gives file:line), numbers compare numerically, containers element by element.
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            if x.contains_key("$function") && y.contains_key("$function") {
                return true;
            }
            if let (Some(p), Some(q)) = (x.get("$number"), y.get("$number")) {
                return js_number_name(p) == js_number_name(q);
            }
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// `Infinity`/`-Infinity`/`NaN` as JS prints them (Rust prints `inf`).
fn js_number_name(v: &J) -> String {
    match v.as_str().unwrap_or_default() {
        "inf" => "Infinity".to_string(),
        "-inf" => "-Infinity".to_string(),
        other => other.to_string(),
    }
}

fn is_tagged(map: &Map<String, J>) -> bool {
    map.keys().any(|k| TAGS.contains(&k.as_str()))
}

fn contains_unknown(v: &J) -> bool {
    match v {
        J::Object(map) => map.contains_key("$unknown") || map.values().any(contains_unknown),
        J::Array(items) => items.iter().any(contains_unknown),
        _ => false,
    }
}

/// eggsec's value as egg would see it with no app variables set: `{"$env", "default"}` becomes
/// its default, `{"$undefined"}` (and an env read without default) becomes absent.
fn resolve_env(v: &J) -> Option<J> {
    match v {
        J::Object(map) if map.contains_key("$undefined") => None,
        J::Object(map) if map.contains_key("$env") => match map.get("default") {
            None | Some(J::Null) => None,
            Some(d) => resolve_env(d),
        },
        J::Object(map) => Some(J::Object(
            map.iter()
                .filter_map(|(k, v)| resolve_env(v).map(|v| (k.clone(), v)))
                .collect(),
        )),
        J::Array(items) => Some(J::Array(
            items
                .iter()
                .map(|v| resolve_env(v).unwrap_or(J::Null))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

/// The `bytes` package's parse, as egg-multipart uses it: `'10mb'` → 10485760.
fn parse_bytes(s: &str) -> Option<f64> {
    let s = s.trim().to_ascii_lowercase();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit.trim() {
        "" | "b" => 1.0,
        "kb" => 1024.0,
        "mb" => 1024f64.powi(2),
        "gb" => 1024f64.powi(3),
        "tb" => 1024f64.powi(4),
        "pb" => 1024f64.powi(5),
        _ => return None,
    };
    Some((n * scale).floor())
}

fn str_list(v: &J) -> Vec<String> {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Inputs: the runtime-only allow-list, path normalisation, embedded eligibility

#[derive(Clone, Copy, Debug, PartialEq)]
enum RuleKind {
    Added,
    Removed,
    Replaced,
    Bytes,
}

/// One entry of tests/oracle/runtime-only.json.
pub(crate) struct Rule {
    pattern: Vec<String>,
    kind: RuleKind,
}

impl Rule {
    fn matches(&self, path: &[&str]) -> bool {
        self.pattern.len() == path.len()
            && self
                .pattern
                .iter()
                .zip(path)
                .all(|(p, s)| p == "*" || p == s)
    }
}

pub(crate) fn load_rules(root: &Path) -> Vec<Rule> {
    let file = root.join("tests/oracle/runtime-only.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let json: J = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let entries = json["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no `entries` list", file.display()));
    entries
        .iter()
        .map(|entry| {
            let path = entry["path"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: entry without path", file.display()));
            assert!(
                entry["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{}: {path} needs a reason",
                file.display()
            );
            let kind = match entry["kind"].as_str() {
                Some("added") => RuleKind::Added,
                Some("removed") => RuleKind::Removed,
                Some("replaced") => RuleKind::Replaced,
                Some("bytes") => RuleKind::Bytes,
                other => panic!("{}: {path}: unknown kind {other:?}", file.display()),
            };
            Rule {
                pattern: path.split('.').map(str::to_string).collect(),
                kind,
            }
        })
        .collect()
}

/// Rewrites machine-specific paths in both trees to placeholders, so that the node process's
/// HOME (inside the staged copy) and eggsec's idea of HOME compare equal, and a package under
/// `node_modules` compares equal whether reached through the symlink or its real path.
pub(crate) struct Normaliser {
    pairs: Vec<(String, &'static str)>,
}

impl Normaliser {
    pub(crate) fn new(oracle: &Path, app_root: &Path, egg_home: &Path) -> Self {
        let mut pairs = vec![
            (
                oracle.join("node_modules").display().to_string(),
                "{{node_modules}}",
            ),
            (
                app_root.join("node_modules").display().to_string(),
                "{{node_modules}}",
            ),
            (egg_home.display().to_string(), "{{HOME}}"),
        ];
        for var in ["EGG_HOME", "HOME"] {
            if let Some(home) = std::env::var(var).ok().filter(|h| h.len() > 1) {
                pairs.push((home, "{{HOME}}"));
            }
        }
        Self { pairs }
    }

    /// Also rewrites `from` to `to` (after the pairs already set).
    pub(crate) fn with(mut self, from: &Path, to: &'static str) -> Self {
        self.pairs.push((from.display().to_string(), to));
        self
    }

    pub(crate) fn apply(&self, v: &J) -> J {
        match v {
            J::String(s) => {
                let mut s = s.clone();
                for (from, to) in &self.pairs {
                    if s.contains(from.as_str()) {
                        s = s.replace(from.as_str(), to);
                    }
                }
                J::String(s)
            }
            J::Array(items) => J::Array(items.iter().map(|x| self.apply(x)).collect()),
            J::Object(map) => J::Object(
                map.iter()
                    .map(|(k, x)| (k.clone(), self.apply(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Packages of egg's built-in plugins, from the embedded snapshot for this egg major.
fn builtin_packages(root: &Path, egg: &str) -> HashSet<String> {
    // `egg226`, `egg41`, `egg2plugins`, `midway1`: the snapshot of the installed egg's major
    let pkg = root
        .join("tests/oracle")
        .join(egg)
        .join("node_modules/egg/package.json");
    let text = std::fs::read_to_string(&pkg).unwrap_or_else(|e| panic!("{}: {e}", pkg.display()));
    let json: J = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", pkg.display()));
    let major = json["version"]
        .as_str()
        .and_then(|v| v.split('.').next())
        .unwrap_or_else(|| panic!("{}: no version", pkg.display()));
    let file = root
        .join("crates/eggsec_app/defaults")
        .join(format!("egg{major}.json"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let json: J = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    json["framework_plugins"]
        .as_object()
        .map(|plugins| {
            plugins
                .values()
                .filter_map(|p| p["package"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether embedded snapshots can describe this app: no custom framework, and every enabled
/// npm plugin is one of egg's built-ins (local `path` plugins are read from the app itself).
fn uses_only_builtin_plugins(dump: &J, app_root: &Path, builtin: &HashSet<String>) -> bool {
    let pkg: J = std::fs::read_to_string(app_root.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(J::Null);
    if pkg["egg"]["framework"].is_string() {
        return false;
    }
    dump["plugins"].as_array().is_some_and(|plugins| {
        plugins
            .iter()
            .filter(|p| p["enable"] == J::Bool(true))
            .filter_map(|p| p["package"].as_str())
            .all(|package| builtin.contains(package))
    })
}

// ---------------------------------------------------------------------------------------------
// Output

fn render(rows: &[Tally], errors: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<32} {:<24} {:>7} {:>7} {:>10} {:>6}",
        "app", "env", "agreed", "unknown", "mismatched", "total"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<32} {:<24} {:>7} {:>7} {:>10} {:>6}",
            r.app,
            r.env,
            r.agreed,
            r.unknown,
            r.mismatched,
            r.total()
        );
    }
    let agreed: usize = rows.iter().map(|r| r.agreed).sum();
    let unknown: usize = rows.iter().map(|r| r.unknown).sum();
    let total: usize = rows.iter().map(Tally::total).sum();
    let rate = if total == 0 {
        0.0
    } else {
        100.0 * agreed as f64 / total as f64
    };
    let _ = writeln!(
        out,
        "overall: {agreed}/{total} agreed ({rate:.1}%), {unknown} documented unknown, {} mismatched, {} runs",
        total - agreed - unknown,
        rows.len()
    );
    for r in rows.iter().filter(|r| !r.unknowns.is_empty()) {
        let _ = writeln!(out, "\nunknown in {} {}:", r.app, r.env);
        for u in &r.unknowns {
            let _ = writeln!(out, "  {u}");
        }
    }
    for r in rows.iter().filter(|r| !r.mismatches.is_empty()) {
        let _ = writeln!(out, "\nMISMATCH in {} {}:", r.app, r.env);
        for m in &r.mismatches {
            let _ = writeln!(out, "  {m}");
        }
    }
    for e in errors {
        let _ = writeln!(out, "\nERROR {e}");
    }
    out
}

#[cfg(test)]
mod helpers {
    use super::*;
    use serde_json::json;

    #[test]
    fn bytes_parse_like_the_bytes_package() {
        assert_eq!(parse_bytes("10mb"), Some(10_485_760.0));
        assert_eq!(parse_bytes("100kb"), Some(102_400.0));
        assert_eq!(parse_bytes("1.5KB"), Some(1536.0));
        assert_eq!(parse_bytes("512"), Some(512.0));
        assert_eq!(parse_bytes("ten"), None);
    }

    #[test]
    fn env_values_resolve_to_their_defaults() {
        assert_eq!(
            resolve_env(&json!({"$env": "X", "default": "d"})),
            Some(json!("d"))
        );
        assert_eq!(resolve_env(&json!({"$env": "X", "default": null})), None);
        assert_eq!(
            resolve_env(&json!({"a": {"$undefined": true}, "b": 1})),
            Some(json!({"b": 1}))
        );
    }

    #[test]
    fn functions_agree_whatever_their_label() {
        assert!(same(
            &json!({"$function": "encode"}),
            &json!({"$function": "config/x.js:3"})
        ));
        assert!(same(&json!(1), &json!(1.0)));
        assert!(!same(&json!([1, 2]), &json!([1])));
        assert!(same(
            &json!({"$number": "Infinity"}),
            &json!({"$number": "inf"})
        ));
    }

    #[test]
    fn runtime_only_rules_match_by_segment() {
        let rule = Rule {
            pattern: vec!["security".into(), "*".into(), "matching".into()],
            kind: RuleKind::Added,
        };
        assert!(rule.matches(&["security", "csrf", "matching"]));
        assert!(!rule.matches(&["security", "csrf", "enable"]));
        assert!(!rule.matches(&["security", "matching"]));
    }
}
