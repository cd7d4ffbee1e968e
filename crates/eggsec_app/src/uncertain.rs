//! Per-key uncertainty (issue 18, deliverable 4): config keys whose value eggsec knows, but that
//! something eggsec cannot see **may** change.
//!
//! An enabled third-party plugin that is not installed and that eggsec has no embedded
//! knowledge of loads its `config/config.{default,env}.js` in egg's order like any plugin: every
//! key it sets overrides what earlier plugins (egg's built-ins: egg-security, egg-session,
//! egg-multipart...) set, and is overridden by later plugins, the framework and the app. So the
//! keys it may change are exactly the keys whose value comes from a layer *before* it (or that
//! no layer sets), limited here to the security-relevant top-level keys ([`DOUBTED_KEYS`]) and
//! the plugin's own namesake key.
//!
//! The doubt is computed by merging the same layers again with, at each unknown plugin's place
//! in every file-type round, a synthetic layer whose doubted keys are open objects of unknown
//! keys (the same [`UNKNOWN_KEYS`] semantics an unevaluable spread has). A key that is known in
//! the model's config but `Unknown` with the [`MAY_BE_CHANGED`] mark in this shadow is
//! *uncertain*: its value stays (it is what egg uses unless the plugin changes it), its
//! provenance says "unknown: may be changed by plugin X (not installed)", and rules that read
//! it lower their confidence ([`crate::model::uncertain_reads`]).

use crate::config::LoadUnit;
use crate::contributions::camel_case;
use crate::model::{ConfigLayer, PluginState, UnitKind};
use eggsec_js::{Object, Provenance, Value, ValueKind, UNKNOWN_KEYS};

/// Marks the `why` of every uncertain value (and nothing else).
pub const MAY_BE_CHANGED: &str = "may be changed by ";

/// Top-level config keys a plugin eggsec cannot see may change and that decide a security
/// verdict: egg-security, sessions and cookies, body and file limits, error pages, logs,
/// CORS/JSONP, static files, the HTTP client (SSRF), and the proxy/IP trust settings.
pub const DOUBTED_KEYS: &[&str] = &[
    "security",
    "session",
    "cookies",
    "bodyParser",
    "multipart",
    "onerror",
    "logger",
    "customLogger",
    "cors",
    "jsonp",
    "static",
    "siteFile",
    "i18n",
    "httpclient",
    "helper",
    "view",
    "proxy",
    "maxProxyCount",
    "ipHeaders",
    "protocolHeaders",
    "hostHeaders",
];

/// Keys a boot hook (`app.js`/`agent.js`) changes after every config file is merged: the
/// middleware lists (egg-dora-uploadfile's `configWillLoad` pushes `uploadFileRouter` onto
/// `config.middleware`). A source's boot hook may change them whatever the config files say.
pub const BOOT_KEYS: &[&str] = &[
    "middleware",
    "appMiddleware",
    "appMiddlewares",
    "coreMiddleware",
    "coreMiddlewares",
];

/// One thing eggsec cannot see that may change config keys.
#[derive(Clone, Debug, PartialEq)]
pub struct DoubtSource {
    /// The plugin's name in plugin.js, or the framework's package name.
    pub plugin: String,
    pub package: String,
    /// The text every uncertain key it may change carries, after "unknown: ".
    pub why: String,
    /// A custom framework that is not installed (its config may set any key, its plugin.js
    /// may declare any plugin), rather than a plugin.
    pub framework: bool,
}

impl DoubtSource {
    /// `plugin `x` (egg-x)` or `framework `f``.
    pub fn label(&self) -> String {
        if self.framework {
            format!("framework `{}`", self.package)
        } else {
            format!("plugin `{}` ({})", self.plugin, self.package)
        }
    }
}

/// The model's per-key uncertainty (empty when nothing is in doubt).
#[derive(Clone, Debug, Default)]
pub struct Uncertain {
    pub sources: Vec<DoubtSource>,
    /// The config merged with each source's synthetic layer (`None` when there is no source).
    shadow: Option<Value>,
}

/// Enabled plugins that are not installed and that eggsec knows nothing about: not egg's
/// built-ins (embedded snapshot) and not in the embedded knowledge of popular plugins.
pub fn unknown_plugins(
    states: &[PluginState],
    snapshot: Option<&crate::defaults::Snapshot>,
) -> Vec<DoubtSource> {
    let knowledge = crate::defaults::plugin_knowledge();
    states
        .iter()
        .filter(|s| s.enabled && !s.installed)
        .filter(|s| {
            let package = s.package.as_deref().unwrap_or(&s.name);
            let builtin = snapshot.is_some_and(|snap| snap.plugin(&s.name, Some(package)).is_some());
            let known = s.path.is_none()
                && knowledge.is_some_and(|k| {
                    k.framework_plugins.values().any(|p| p.package == package)
                });
            !builtin && !known
        })
        .map(|s| {
            let package = s.package.clone().unwrap_or_else(|| s.name.clone());
            DoubtSource {
                why: format!(
                    "{MAY_BE_CHANGED}plugin `{}` ({package}), which is not installed and unknown to eggsec",
                    s.name
                ),
                plugin: s.name.clone(),
                package,
                framework: false,
            }
        })
        .collect()
}

/// Custom frameworks (not egg) that are not installed: eggsec cannot read their config,
/// plugin list or boot hooks (jianghu, midway v1 without node_modules).
pub fn unknown_frameworks(frameworks: &[crate::model::Framework]) -> Vec<DoubtSource> {
    frameworks
        .iter()
        .filter(|f| f.name != "egg" && f.path.is_none())
        .map(|f| DoubtSource {
            why: format!(
                "{MAY_BE_CHANGED}framework `{}`, which is not installed (its config, plugins and boot hooks are not read)",
                f.name
            ),
            plugin: f.name.clone(),
            package: f.name.clone(),
            framework: true,
        })
        .collect()
}

impl Uncertain {
    /// Merges `layers` again in egg's order (file type outer, `units` inner) with a synthetic
    /// layer for each source at its plugin's place in the `config.default` round. A plugin's
    /// `config.{env}.js` (rare in third-party plugins) would also override the framework's and
    /// the app's `config.default`: that is not assumed, or nearly every key would be uncertain.
    pub fn compute(
        config: &Value,
        layers: &[ConfigLayer],
        units: &[LoadUnit],
        type_names: &[String],
        sources: Vec<DoubtSource>,
    ) -> Self {
        if sources.is_empty() {
            return Self::default();
        }
        let mut shadow = Value::object(Object::new(), Provenance::synthetic("<merged config>"));
        for type_name in type_names {
            for unit in units {
                if let Some(layer) = layers
                    .iter()
                    .find(|l| &l.type_name == type_name && l.unit == unit.kind)
                {
                    crate::merge::extend(&mut shadow, &layer.value);
                }
                if type_name != "default" {
                    continue;
                }
                if let UnitKind::Framework(name) = &unit.kind {
                    if let Some(source) = sources.iter().find(|s| s.framework && &s.plugin == name)
                    {
                        crate::merge::extend(&mut shadow, &framework_layer(source));
                    }
                }
                let UnitKind::Plugin(name) = &unit.kind else {
                    continue;
                };
                if let Some(source) = sources.iter().find(|s| !s.framework && &s.plugin == name) {
                    crate::merge::extend(&mut shadow, &synthetic_layer(source, config));
                }
            }
        }
        // the middleware lists: changed by boot hooks, after every config file
        if let Some(map) = shadow.as_object_mut() {
            let why = boot_why(&sources);
            let prov = Provenance::synthetic("<boot hooks not read>");
            for key in BOOT_KEYS {
                map.insert(key.to_string(), Value::unknown(why.clone(), prov.clone()));
            }
        }
        Self {
            sources,
            shadow: Some(shadow),
        }
    }

    /// Why the middleware chain may not be what eggsec shows, when it may not: a framework
    /// that is not installed sets `coreMiddleware` and may add any middleware; a plugin that
    /// is not installed may add its own middleware at boot.
    pub fn middleware_doubt(&self) -> Option<String> {
        if let Some(f) = self.sources.iter().find(|s| s.framework) {
            return Some(format!(
                "the middleware chain is unknown: {} is not installed, and its config sets `coreMiddleware` and its boot hooks may add middleware",
                f.label()
            ));
        }
        if self.sources.is_empty() {
            return None;
        }
        let names: Vec<String> = self.sources.iter().map(DoubtSource::label).collect();
        Some(format!(
            "the middleware chain may also hold middleware that {} add{} at boot (not installed, unknown to eggsec)",
            names.join(", "),
            if names.len() == 1 { "s" } else { "" }
        ))
    }

    /// What the plugin list may lack or hold wrongly, one line per source: an unknown
    /// plugin's `eggPlugin` (env, dependencies) decides whether it loads in this env, which
    /// plugins it enables implicitly and where it and they are in the load order; an unknown
    /// framework's plugin.js may declare, enable or disable any plugin.
    pub fn plugin_doubts(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|s| {
                if s.framework {
                    format!("{} is not installed: the plugins it declares, enables or disables are unknown", s.label())
                } else {
                    format!("{} is not installed and unknown to eggsec: its eggPlugin (env, dependencies) is unknown, so whether it loads in this env, the plugins it requires (enabled implicitly and loaded before it) and its place in the load order are unknown", s.label())
                }
            })
            .collect()
    }

    /// Why whether plugin `name` is enabled (`enabled`, as eggsec has it) is not certain:
    /// it is itself an unknown plugin (its `eggPlugin.env` is unknown), or it is disabled
    /// while an unknown plugin may require it (egg enables a required plugin implicitly) or an
    /// unknown framework may enable it. `declared`: `name` is in the plugin list at all (a
    /// plugin may only require a declared one).
    pub fn plugin_doubt(&self, name: &str, enabled: bool, declared: bool) -> Option<String> {
        if enabled {
            return self
                .sources
                .iter()
                .find(|s| !s.framework && s.plugin == name)
                .map(|s| format!("{MAY_BE_CHANGED}its own eggPlugin.env: {} is not installed and unknown to eggsec", s.label()));
        }
        if let Some(f) = self.sources.iter().find(|s| s.framework) {
            return Some(f.why.clone());
        }
        let requirer = self
            .sources
            .iter()
            .find(|s| !s.framework)
            .filter(|_| declared)?;
        Some(format!(
            "{MAY_BE_CHANGED}the dependencies of {} (not installed, unknown to eggsec), which may enable it",
            requirer.label()
        ))
    }

    /// Why the known value at `path` of `config` may not be what egg uses, when it is
    /// uncertain. `None` for a certain value and for a value that is `Unknown` anyway.
    pub fn doubt(&self, config: &Value, path: &str) -> Option<String> {
        let shadow = self.shadow.as_ref()?;
        if config.lookup(path).is_some_and(Value::is_unknown) {
            return None;
        }
        marked(shadow.lookup(path)?)
    }

    /// Every uncertain leaf of `config` (dotted path, why), in config order.
    pub fn leaves(&self, config: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(shadow) = &self.shadow {
            collect_leaves("", config, Some(shadow), &mut out);
        }
        out
    }

    /// `config` as eggsec can vouch for it: each uncertain leaf replaced by an `Unknown` saying
    /// why, and each object the source may add keys to marked open ([`UNKNOWN_KEYS`]). What
    /// the corpus oracle compares "declared unknown" against, and `eggsec config --format json`'s
    /// `uncertain` view.
    pub fn declared(&self, config: &Value) -> Value {
        match &self.shadow {
            Some(shadow) => declare(config, shadow),
            None => config.clone(),
        }
    }
}

/// The why of the boot keys: every source's boot hook may change them.
fn boot_why(sources: &[DoubtSource]) -> String {
    let names: Vec<String> = sources.iter().map(DoubtSource::label).collect();
    format!(
        "{MAY_BE_CHANGED}the boot hooks of {}, which {} not installed and unknown to eggsec",
        names.join(", "),
        if names.len() == 1 { "is" } else { "are" }
    )
}

/// The layer of a framework that is not installed: any key may be set (an open object).
fn framework_layer(source: &DoubtSource) -> Value {
    let prov = Provenance::synthetic(format!("<framework {} (not installed)>", source.package));
    let mut layer = Object::new();
    layer.insert(
        UNKNOWN_KEYS.to_string(),
        Value::unknown(source.why.clone(), prov.clone()),
    );
    Value::object(layer, prov)
}

/// The synthetic layer of one source: every doubted key (and the plugin's own key) an open
/// object of unknown keys, or an `Unknown` for a key whose value is not an object.
fn synthetic_layer(source: &DoubtSource, config: &Value) -> Value {
    let prov = Provenance::synthetic(format!("<plugin {} (not installed)>", source.package));
    let unknown = Value::unknown(source.why.clone(), prov.clone());
    let mut layer = Object::new();
    // `egg-foo-bar` as egg's config keys usually spell it (`fooBar`)
    let own = camel_case(&source.plugin);
    for key in DOUBTED_KEYS
        .iter()
        .copied()
        .chain([source.plugin.as_str(), own.as_str()])
    {
        let scalar = config
            .get(key)
            .is_some_and(|v| !matches!(v.kind, ValueKind::Object(_) | ValueKind::Unknown { .. }));
        let value = if scalar {
            unknown.clone()
        } else {
            let mut open = Object::new();
            open.insert(UNKNOWN_KEYS.to_string(), unknown.clone());
            Value::object(open, prov.clone())
        };
        layer.insert(key.to_string(), value);
    }
    Value::object(layer, prov)
}

/// The why of the first marked `Unknown` in `v` (itself, a child, an open object's rest).
fn marked(v: &Value) -> Option<String> {
    match &v.kind {
        ValueKind::Unknown { why } => why.find(MAY_BE_CHANGED).map(|at| why[at..].to_string()),
        ValueKind::Object(o) => o.values().find_map(marked),
        _ => None,
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The shadow's counterpart of `key` in `shadow`: its own child, else the open object's rest.
fn shadow_child<'a>(shadow: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    let s = shadow?;
    if s.is_unknown() {
        return Some(s);
    }
    let o = s.as_object()?;
    o.get(key).or_else(|| o.get(UNKNOWN_KEYS))
}

fn collect_leaves(
    prefix: &str,
    v: &Value,
    shadow: Option<&Value>,
    out: &mut Vec<(String, String)>,
) {
    match &v.kind {
        ValueKind::Unknown { .. } => {}
        ValueKind::Object(o) => {
            for (key, child) in o {
                if key == UNKNOWN_KEYS {
                    continue;
                }
                collect_leaves(&join(prefix, key), child, shadow_child(shadow, key), out);
            }
        }
        _ => {
            if let Some(why) = shadow.and_then(marked) {
                out.push((prefix.to_string(), why));
            }
        }
    }
}

fn declare(v: &Value, shadow: &Value) -> Value {
    match (&v.kind, &shadow.kind) {
        (ValueKind::Unknown { .. }, _) => v.clone(),
        // a known object the source may change: each leaf declared, and other keys possible
        (ValueKind::Object(o), ValueKind::Unknown { .. }) if marked(shadow).is_some() => {
            let why = marked(shadow).unwrap_or_default();
            let mut out: Object = o
                .iter()
                .filter(|(key, _)| *key != UNKNOWN_KEYS)
                .map(|(key, child)| (key.clone(), declare(child, shadow)))
                .collect();
            out.insert(
                UNKNOWN_KEYS.to_string(),
                Value::unknown(why, shadow.prov.clone()),
            );
            Value::object(out, v.prov.clone())
        }
        (_, ValueKind::Unknown { .. }) => match marked(shadow) {
            Some(why) => Value::unknown(why, shadow.prov.clone()),
            None => v.clone(),
        },
        (ValueKind::Object(o), ValueKind::Object(so)) => {
            let mut out = Object::new();
            for (key, child) in o {
                match shadow_child(Some(shadow), key) {
                    Some(s) if key != UNKNOWN_KEYS => {
                        out.insert(key.clone(), declare(child, s));
                    }
                    _ => {
                        out.insert(key.clone(), child.clone());
                    }
                }
            }
            for (key, s) in so {
                if !out.contains_key(key) && marked(s).is_some() {
                    out.insert(key.clone(), s.clone());
                }
            }
            Value::object(out, v.prov.clone())
        }
        _ => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LoadUnit;
    use std::path::PathBuf;

    fn layer(unit: UnitKind, type_name: &str, json: serde_json::Value) -> ConfigLayer {
        let info = eggsec_js::AppInfo::new("t", std::path::Path::new("/t"), "prod");
        let value = crate::defaults::from_tagged(&json, &Provenance::synthetic("f"), &info);
        ConfigLayer {
            unit,
            file: PathBuf::from("f"),
            type_name: type_name.into(),
            value,
            embedded: false,
        }
    }

    fn unit(kind: UnitKind) -> LoadUnit {
        LoadUnit {
            kind,
            dir: None,
            package: None,
        }
    }

    fn source(name: &str) -> DoubtSource {
        DoubtSource {
            plugin: name.into(),
            package: format!("egg-{name}"),
            why: format!("{MAY_BE_CHANGED}plugin `{name}` (egg-{name}), which is not installed and unknown to eggsec"),
            framework: false,
        }
    }

    #[test]
    fn keys_set_before_the_plugin_are_uncertain_and_later_ones_are_not() {
        let sec = UnitKind::Plugin("security".into());
        let x = UnitKind::Plugin("x".into());
        let egg = UnitKind::Framework("egg".into());
        let layers = vec![
            layer(
                sec.clone(),
                "default",
                serde_json::json!({"security": {"csrf": {"enable": true, "ignoreJSON": false}}}),
            ),
            layer(
                egg.clone(),
                "default",
                serde_json::json!({"bodyParser": {"jsonLimit": "1mb"}}),
            ),
            layer(
                UnitKind::App,
                "prod",
                serde_json::json!({"security": {"csrf": {"enable": true}}, "proxy": true}),
            ),
        ];
        let mut config = Value::object(Object::new(), Provenance::synthetic("c"));
        for l in &layers {
            crate::merge::extend(&mut config, &l.value);
        }
        let units = [unit(sec), unit(x), unit(egg), unit(UnitKind::App)];
        let types = ["default".to_string(), "prod".to_string()];
        let u = Uncertain::compute(&config, &layers, &units, &types, vec![source("x")]);
        // egg-security's default, loaded before x: x may change it
        let why = u.doubt(&config, "security.csrf.ignoreJSON").unwrap();
        assert!(
            why.starts_with("may be changed by plugin `x` (egg-x)"),
            "{why}"
        );
        // the app sets it (even in config.default): certain
        assert_eq!(u.doubt(&config, "security.csrf.enable"), None);
        // the framework's config.default loads after x's: certain
        assert_eq!(u.doubt(&config, "bodyParser.jsonLimit"), None);
        assert_eq!(u.doubt(&config, "proxy"), None);
        // a key outside the doubted ones is certain
        assert_eq!(u.doubt(&config, "keys"), None);
        let leaves: Vec<String> = u.leaves(&config).into_iter().map(|(k, _)| k).collect();
        assert_eq!(leaves, ["security.csrf.ignoreJSON"]);
        let declared = u.declared(&config).to_tagged_json();
        assert!(declared["security"]["csrf"]["ignoreJSON"]["$unknown"].is_string());
        assert_eq!(declared["security"]["csrf"]["enable"], true);
        // keys x may add are declared too (its own namesake key, cors)
        assert!(
            declared["x"]["$unknown_keys"].is_object()
                || declared["x"]["$unknown_keys"]["$unknown"].is_string()
        );
        assert!(declared["cors"].is_object());
    }

    #[test]
    fn nothing_is_uncertain_without_a_source() {
        let config = Value::object(Object::new(), Provenance::synthetic("c"));
        let u = Uncertain::compute(&config, &[], &[], &[], Vec::new());
        assert_eq!(u.doubt(&config, "security"), None);
        assert!(u.leaves(&config).is_empty());
    }

    #[test]
    fn plugin_names_become_config_keys() {
        assert_eq!(camel_case("egg-healthy"), "eggHealthy");
        assert_eq!(camel_case("remote_config"), "remoteConfig");
    }
}
