//! Test helpers for rule tests: hand-built [`AppModel`]s from tagged JSON, and running one rule.
//!
//! ```
//! use eggsec_rules::testing::{run_rule, test_model};
//! use serde_json::json;
//! let app = test_model(json!({
//!     "security": {"csrf": {"$at": "config/config.prod.js:3:5", "$value": {"enable": false}}}
//! }));
//! let findings = run_rule(eggsec_rules::find_rule("csrf-disabled").unwrap(), &app);
//! assert_eq!(findings[0].location.to_string(), "config/config.prod.js:3:5");
//! ```

use crate::config::Settings;
use crate::{Rule, RuleContext};
use eggsec_app::{AppModel, ConfigLayer, DefaultsSource, Framework, PluginState, UnitKind};
use eggsec_js::{Object, Provenance, Value, ValueKind};
use eggsec_report::Finding;
use std::path::{Path, PathBuf};

/// The root of every test model.
pub const TEST_ROOT: &str = "/app";

/// The plugins egg 3 enables by default, as `(name, package, enabled in prod)`.
const EGG3_PLUGINS: &[(&str, &str, bool)] = &[
    ("onerror", "egg-onerror", true),
    ("session", "egg-session", true),
    ("i18n", "egg-i18n", true),
    ("watcher", "egg-watcher", true),
    ("multipart", "egg-multipart", true),
    ("security", "egg-security", true),
    ("development", "egg-development", false),
    ("logrotator", "egg-logrotator", true),
    ("schedule", "egg-schedule", true),
    ("static", "egg-static", true),
    ("jsonp", "egg-jsonp", true),
    ("view", "egg-view", true),
];

/// An [`AppModel`] for `/app` in env `prod` on egg 3 with egg's default plugin set (all
/// enabled but `development`) whose effective config — and only app config layer,
/// `config/config.default.js` — is `config`, in the tagged JSON of
/// [`Value::to_tagged_json`] (`{"$function": ..}`, `{"$regex": "/x/i"}`, `{"$env": "NAME",
/// "default": ..}`, `{"$unknown": why}`, `{"$set": [..]}`, `{"$undefined": true}`).
///
/// Provenance: `{"$at": "config/config.prod.js:3:5", "$value": X}` gives `X` (and its children)
/// that position (the path is relative to `/app`); anything else is at
/// `config/config.default.js:1:1`.
#[doc(hidden)]
pub fn test_model(config: serde_json::Value) -> AppModel {
    test_model_in(Path::new(TEST_ROOT), config)
}

/// Checks a rule that reports an app once when none of its code sets a header: one app-level
/// finding for an app whose router registers nothing, none for an app without `app/`.
#[cfg(test)]
pub fn assert_reported_once_without_app_code(rule: &dyn Rule) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
    std::fs::write(
        dir.path().join("app/router.js"),
        "module.exports = app => {};",
    )
    .unwrap();
    let app = test_model_in(dir.path(), serde_json::json!({}));
    let found = run_rule(rule, &app);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(matches!(
        found[0].location,
        eggsec_report::Location::App { .. }
    ));
    // Without app/ (no routes) nothing is reported.
    assert!(run_rule(rule, &test_model(serde_json::json!({}))).is_empty());
}

/// [`test_model`] for an app at `root` (a temporary directory holding real sources, for
/// suppression tests): `$at` paths are relative to it.
#[doc(hidden)]
pub fn test_model_in(root: &Path, config: serde_json::Value) -> AppModel {
    let default_file = root
        .join("config/config.default.js")
        .to_string_lossy()
        .into_owned();
    let value =
        value_from_tagged_json_in(root, &config, &Provenance::new(default_file.as_str(), 1, 1));
    let embedded = Provenance::synthetic("<embedded egg@3 egg/config/plugin.js>");
    let plugins = EGG3_PLUGINS
        .iter()
        .map(|(name, package, enabled)| PluginState {
            name: name.to_string(),
            enabled: *enabled,
            package: Some(package.to_string()),
            path: None,
            version: None,
            env: if *enabled {
                vec![]
            } else {
                vec!["local".into(), "unittest".into()]
            },
            dependencies: vec![],
            optional_dependencies: vec![],
            decided_by: embedded.clone(),
            implicit_enable: false,
            env_excluded: !enabled,
            installed: true,
        })
        .collect::<Vec<_>>();
    AppModel {
        root: root.to_path_buf(),
        name: "testapp".into(),
        pkg: serde_json::json!({"name": "testapp", "dependencies": {"egg": "^3"}}),
        env: "prod".into(),
        scope: String::new(),
        egg_major: Some(3),
        frameworks: vec![Framework {
            name: "egg".into(),
            version: None,
            path: None,
        }],
        plugin_order: plugins
            .iter()
            .filter(|p| p.enabled)
            .map(|p| p.name.clone())
            .collect(),
        plugins,
        layers: vec![ConfigLayer {
            unit: UnitKind::App,
            file: PathBuf::from(default_file),
            type_name: "default".into(),
            value: value.clone(),
            embedded: false,
        }],
        config: value,
        middleware: vec![],
        defaults: DefaultsSource::Embedded { egg_major: 3 },
        diagnostics: vec![],
        routes: vec![],
        code: Default::default(),
        uncertain: Default::default(),
    }
}

/// Turns a plugin of a [`test_model`] on or off, as if `config/plugin.js` line 1 said so.
#[doc(hidden)]
pub fn set_plugin(app: &mut AppModel, name: &str, enabled: bool) {
    let plugin_file = app
        .root
        .join("config/plugin.js")
        .to_string_lossy()
        .into_owned();
    let decided_by = Provenance::new(plugin_file, 1, 1);
    match app.plugins.iter_mut().find(|p| p.name == name) {
        Some(p) => {
            p.enabled = enabled;
            p.env_excluded = false;
            p.decided_by = decided_by;
        }
        None => app.plugins.push(PluginState {
            name: name.to_string(),
            enabled,
            package: Some(format!("egg-{name}")),
            path: None,
            version: None,
            env: vec![],
            dependencies: vec![],
            optional_dependencies: vec![],
            decided_by,
            implicit_enable: false,
            env_excluded: false,
            installed: true,
        }),
    }
    app.plugin_order = app
        .plugins
        .iter()
        .filter(|p| p.enabled)
        .map(|p| p.name.clone())
        .collect();
}

/// Runs one rule on `app` with default settings and returns its findings.
#[doc(hidden)]
pub fn run_rule(rule: &dyn Rule, app: &AppModel) -> Vec<Finding> {
    let settings = Settings::default();
    let mut cx = RuleContext::new(app, &settings, rule.meta());
    rule.check(&mut cx);
    cx.into_parts().0
}

/// Runs one rule on `app` with default settings and returns whether it applied (see
/// [`RuleContext::not_applicable`]) and the facts it recorded for the posture report.
#[doc(hidden)]
pub fn run_rule_posture(rule: &dyn Rule, app: &AppModel) -> (bool, Vec<String>) {
    let settings = Settings::default();
    let mut cx = RuleContext::new(app, &settings, rule.meta());
    rule.check(&mut cx);
    let applicable = cx.is_applicable();
    (applicable, cx.into_parts().1)
}

/// The inverse of [`Value::to_tagged_json`], with the `$at` provenance extension of
/// [`test_model`] (paths relative to [`TEST_ROOT`]). Every node gets `prov` unless an `$at`
/// says otherwise.
#[doc(hidden)]
pub fn value_from_tagged_json(json: &serde_json::Value, prov: &Provenance) -> Value {
    value_from_tagged_json_in(Path::new(TEST_ROOT), json, prov)
}

fn value_from_tagged_json_in(root: &Path, json: &serde_json::Value, prov: &Provenance) -> Value {
    use serde_json::Value as J;
    let kind = match json {
        J::Null => ValueKind::Null,
        J::Bool(b) => ValueKind::Bool(*b),
        J::Number(n) => ValueKind::Number(n.as_f64().unwrap_or(f64::NAN)),
        J::String(s) => ValueKind::String(s.clone()),
        J::Array(items) => ValueKind::Array(
            items
                .iter()
                .map(|v| value_from_tagged_json_in(root, v, prov))
                .collect(),
        ),
        J::Object(map) => {
            if let (Some(J::String(at)), Some(inner)) = (map.get("$at"), map.get("$value")) {
                return value_from_tagged_json_in(root, inner, &parse_at(root, at));
            }
            if let Some(J::String(at)) = map.get("$function") {
                return Value::new(ValueKind::Function { name: None }, parse_at(root, at));
            }
            if let Some(J::String(re)) = map.get("$regex") {
                let body = re.strip_prefix('/').unwrap_or(re);
                let (source, flags) = body.rsplit_once('/').unwrap_or((body, ""));
                ValueKind::Regex {
                    source: source.into(),
                    flags: flags.into(),
                }
            } else if let Some(J::String(name)) = map.get("$env") {
                let default = map
                    .get("default")
                    .filter(|d| !d.is_null())
                    .map(|d| Box::new(value_from_tagged_json_in(root, d, prov)));
                ValueKind::Env {
                    name: name.clone(),
                    default,
                }
            } else if let Some(J::String(why)) = map.get("$unknown") {
                ValueKind::Unknown { why: why.clone() }
            } else if let Some(J::Array(items)) = map.get("$set") {
                ValueKind::Set(
                    items
                        .iter()
                        .map(|v| value_from_tagged_json_in(root, v, prov))
                        .collect(),
                )
            } else if map.contains_key("$undefined") {
                ValueKind::Undefined
            } else {
                let object: Object = map
                    .iter()
                    .map(|(k, v)| (k.clone(), value_from_tagged_json_in(root, v, prov)))
                    .collect();
                ValueKind::Object(object)
            }
        }
    };
    Value::new(kind, prov.clone())
}

/// `config/x.js:3:5` or `config/x.js:3` (relative to `root`, or absolute, or `<pseudo>`) →
/// provenance.
fn parse_at(root: &Path, at: &str) -> Provenance {
    let mut file = at;
    let mut numbers = Vec::new();
    while numbers.len() < 2 {
        match file.rsplit_once(':') {
            Some((rest, n)) if n.parse::<u32>().is_ok() => {
                numbers.insert(0, n.parse::<u32>().unwrap_or_default());
                file = rest;
            }
            _ => break,
        }
    }
    let line = numbers.first().copied().unwrap_or(0);
    let column = numbers.get(1).copied().unwrap_or(0);
    let file = if file.starts_with('/') || file.starts_with('<') {
        file.to_string()
    } else {
        root.join(file).to_string_lossy().into_owned()
    };
    Provenance::new(file, line, column)
}

/// An app with one template `app/view/<view>` and the controller `app/controller/home.js`
/// (for the template rules, which follow `ctx.render` into the view).
#[cfg(test)]
pub fn model_with_view(view: &str, tpl: &str, controller: &str) -> AppModel {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    std::fs::create_dir_all(dir.join("app/controller")).expect("mkdir");
    std::fs::create_dir_all(dir.join("app/view")).expect("mkdir");
    std::fs::write(dir.join("app/view").join(view), tpl).expect("write");
    std::fs::write(dir.join("app/controller/home.js"), controller).expect("write");
    let mut app = test_model_in(&dir, serde_json::json!({}));
    app.code = eggsec_app::routes::code_model(&dir, &mut Vec::new());
    app
}

/// The prod model of an app made of `files` (`(app-relative path, text)`, a package.json
/// among them), loaded as an audit loads it (config, routes, auth model) with egg's embedded
/// defaults. The files stay while the returned directory lives.
#[cfg(test)]
pub fn load_app(files: &[(&str, &str)]) -> (tempfile::TempDir, AppModel) {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (rel, src) in files {
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, src).expect("write");
    }
    let opts = eggsec_app::LoadOptions {
        env: Some("prod".into()),
        scope: None,
        embedded_defaults_only: true,
    };
    let app = eggsec_app::load(tmp.path(), &opts).expect("an app");
    (tmp, app)
}

/// A model of an app with the given source files (`(app-relative path, text)`), with the code
/// pass run over them (for rules that link facts across files).
#[cfg(test)]
pub fn model_with_files(files: &[(&str, &str)]) -> AppModel {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    for (rel, src) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, src).expect("write");
    }
    let mut app = test_model_in(dir, serde_json::json!({}));
    app.code = eggsec_app::routes::code_model(dir, &mut Vec::new());
    app
}

/// A model of an app whose only source is `app/controller/home.js` = `src`, with the code pass
/// run over it (for the rules on code facts; the facts are owned, so the files may go).
#[cfg(test)]
pub fn model_with_controller(src: &str) -> AppModel {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("app/controller")).expect("mkdir");
    std::fs::write(dir.join("app/controller/home.js"), src).expect("write");
    let mut app = test_model_in(dir, serde_json::json!({}));
    app.code = eggsec_app::routes::code_model(dir, &mut Vec::new());
    app
}
