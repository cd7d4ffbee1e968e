//! Embedded snapshots of egg's own defaults (egg core and its built-in plugins) for egg 2, 3
//! and 4, generated from real egg. Used when `node_modules` is absent, or when evaluating an
//! installed built-in gives values that cannot be known statically.
//!
//! Snapshot format: `{"egg_version", "framework_plugins": {name: {enable, package, version,
//! env, dependencies, optionalDependencies}}, "units": [{kind, name, package, files: {env:
//! {type: <cfg>}}}]}` where `<cfg>` is tagged JSON (`$function`, `$regex`, `$set`, `$buffer`,
//! `$object`, `$undefined`, `$unknown`, `$number`) and strings may hold `{{baseDir}}`-style
//! placeholders filled from `appInfo`.

use crate::plugins::PluginMeta;
use eggsec_js::{AppInfo, Object, Provenance, Value, ValueKind};
use indexmap::IndexMap;
use serde::Deserialize;
use std::sync::OnceLock;

/// One built-in plugin of egg's `config/plugin.js`, with its `eggPlugin` metadata.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotPlugin {
    #[serde(default = "yes")]
    pub enable: bool,
    /// An egg 4.1 plugin factory's entry: egg takes its lists as they are, without the
    /// package's `eggPlugin`.
    #[serde(default)]
    pub skip_merge: bool,
    pub package: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub optional_dependencies: Vec<String>,
}

fn yes() -> bool {
    true
}

/// One load unit's config files, per env they were generated for.
#[derive(Clone, Debug, Deserialize)]
pub struct SnapshotUnit {
    /// `plugin` or `framework`.
    pub kind: String,
    pub name: String,
    pub package: String,
    /// env → type name (`default`, `local`...) → tagged config.
    pub files: IndexMap<String, IndexMap<String, serde_json::Value>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Snapshot {
    pub egg_version: String,
    pub framework_plugins: IndexMap<String, SnapshotPlugin>,
    pub units: Vec<SnapshotUnit>,
    /// Plugin knowledge only: package → what its boot hook does (recorded by running it).
    #[serde(default)]
    pub boot: IndexMap<String, KnownBoot>,
}

/// What a known plugin's `app.js` does at boot, recorded by running it against egg 3's
/// default chain (tests/oracle/gen-plugin-knowledge.js).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct KnownBoot {
    #[serde(default)]
    pub ops: Vec<KnownOp>,
    #[serde(default)]
    pub routes: Vec<KnownRoute>,
    /// Set when the hook could not run under the recording app.
    #[serde(default)]
    pub error: Option<String>,
}

/// One change of a middleware list.
#[derive(Clone, Debug, Deserialize)]
pub struct KnownOp {
    /// `coreMiddleware` or `appMiddleware`.
    pub list: String,
    /// `load`, `config_will_load`, `config_did_load`.
    pub phase: String,
    /// `unshift`, `insert` (after `anchor`), `remove`.
    pub op: String,
    #[serde(default)]
    pub anchor: Option<String>,
    pub names: Vec<String>,
}

/// A route a known plugin registers at boot.
#[derive(Clone, Debug, Deserialize)]
pub struct KnownRoute {
    pub method: String,
    pub path: String,
}

static PLUGINS: OnceLock<Option<Snapshot>> = OnceLock::new();

/// eggsec's embedded knowledge of popular third-party plugins (`defaults/plugins.json`):
/// `eggPlugin` metadata, config files per env and boot-hook changes, for apps that enable one
/// without node_modules installed.
pub fn plugin_knowledge() -> Option<&'static Snapshot> {
    PLUGINS
        .get_or_init(|| Snapshot::parse(include_str!("../defaults/plugins.json")).ok())
        .as_ref()
}

static EGG1: OnceLock<Option<Snapshot>> = OnceLock::new();
static EGG2: OnceLock<Option<Snapshot>> = OnceLock::new();
static EGG3: OnceLock<Option<Snapshot>> = OnceLock::new();
static EGG4: OnceLock<Option<Snapshot>> = OnceLock::new();
static EGG41: OnceLock<Option<Snapshot>> = OnceLock::new();

/// The embedded egg 4.1 snapshot (`defaults/egg41.json`: 4.1's `dist/` config, its plugin
/// factories with `skipMerge`, the zod-built defaults of its built-in plugins and its default
/// tegg plugins, evaluated by node from the real package). Used for an installed egg 4.1.
pub fn embedded_egg41() -> Option<&'static Snapshot> {
    EGG41
        .get_or_init(|| Snapshot::parse(include_str!("../defaults/egg41.json")).ok())
        .as_ref()
}

/// The embedded snapshot for an egg major version (1, 2, 3 or 4).
pub fn embedded(major: u32) -> Option<&'static Snapshot> {
    let (cell, text) = match major {
        1 => (&EGG1, include_str!("../defaults/egg1.json")),
        2 => (&EGG2, include_str!("../defaults/egg2.json")),
        3 => (&EGG3, include_str!("../defaults/egg3.json")),
        4 => (&EGG4, include_str!("../defaults/egg4.json")),
        _ => return None,
    };
    cell.get_or_init(|| Snapshot::parse(text).ok()).as_ref()
}

impl Snapshot {
    pub fn parse(text: &str) -> Result<Snapshot, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// How values from this snapshot are labelled: `<embedded egg@3.34.0 egg-security
    /// config.default>`, or for plugin knowledge `<embedded knowledge of egg-jwt@3.1.7
    /// config.default>`.
    fn label(&self, package: &str, what: &str) -> String {
        if self.egg_version == "plugins" {
            let version = self
                .framework_plugins
                .values()
                .find(|p| p.package == package)
                .and_then(|p| p.version.as_deref())
                .unwrap_or("?");
            format!("<embedded knowledge of {package}@{version} {what}>")
        } else {
            format!("<embedded egg@{} {package} {what}>", self.egg_version)
        }
    }

    /// The built-in plugin entry whose package is `package` (or named `name` when the entry
    /// has no package).
    pub fn plugin(&self, name: &str, package: Option<&str>) -> Option<&SnapshotPlugin> {
        match package {
            Some(pkg) => self.framework_plugins.values().find(|p| p.package == pkg),
            None => self.framework_plugins.get(name),
        }
    }

    /// The `eggPlugin` metadata of a built-in plugin, as if read from its package.json.
    pub fn plugin_meta(&self, plugin: &SnapshotPlugin) -> PluginMeta {
        PluginMeta {
            version: plugin.version.clone(),
            env: plugin.env.clone(),
            dependencies: plugin.dependencies.clone(),
            optional_dependencies: plugin.optional_dependencies.clone(),
            source: self.label(&plugin.package, "package.json"),
            has_egg_plugin: true,
        }
    }

    /// The unit for a framework (`egg`) or a plugin package.
    pub fn unit(&self, kind: &str, package: &str) -> Option<&SnapshotUnit> {
        self.units
            .iter()
            .find(|u| u.kind == kind && u.package == package)
    }

    /// The config a unit's `config.<type_name>` file gives for `info.env`. Envs other than
    /// `local`/`unittest`/`prod` use the `prod` snapshot's `default` file only.
    pub fn config(&self, unit: &SnapshotUnit, type_name: &str, info: &AppInfo) -> Option<Value> {
        let (env_files, type_name) = match unit.files.get(&info.env) {
            Some(files) => (files, type_name),
            None if type_name == "default" => (unit.files.get("prod")?, "default"),
            None => return None,
        };
        let json = env_files.get(type_name)?;
        let prov = Provenance::synthetic(self.label(&unit.package, &format!("config.{type_name}")));
        let mut value = from_tagged(json, &prov, info);
        // Paths a unit computes from its own directory: where the package would be installed.
        let pkg_dir = node_modules_dir(info).join(&unit.package);
        fill_pkg_dir(&mut value, &pkg_dir.display().to_string());
        // `config.pkg = appInfo.pkg`: the app's own package.json, not the generator's stand-in
        if let (Some(pkg), Some(map)) = (info.pkg.as_ref(), value.as_object_mut()) {
            if let Some(old) = map.get("pkg") {
                let prov = old.prov.clone();
                map.insert("pkg".into(), from_tagged(pkg, &prov, info));
            }
        }
        Some(value)
    }
}

/// Where the app's packages would be installed: `node_modules` beside its package.json (the
/// project root of a midway v1 app, whose egg baseDir is `src/`).
pub(crate) fn node_modules_dir(info: &AppInfo) -> std::path::PathBuf {
    info.app_dir
        .as_deref()
        .unwrap_or(&info.base_dir)
        .join("node_modules")
}

/// Replaces the `{{pkgDir}}` placeholder (a unit's own package directory) in every string.
pub(crate) fn fill_pkg_dir(value: &mut Value, pkg_dir: &str) {
    match &mut value.kind {
        ValueKind::String(s) if s.contains("{{pkgDir}}") => *s = s.replace("{{pkgDir}}", pkg_dir),
        ValueKind::Array(items) | ValueKind::Set(items) => {
            items.iter_mut().for_each(|v| fill_pkg_dir(v, pkg_dir))
        }
        ValueKind::Object(map) => map.values_mut().for_each(|v| fill_pkg_dir(v, pkg_dir)),
        _ => {}
    }
}

/// Converts the tagged JSON contract back into a [`Value`], filling placeholders.
pub fn from_tagged(json: &serde_json::Value, prov: &Provenance, info: &AppInfo) -> Value {
    use serde_json::Value as J;
    let kind = match json {
        J::Null => ValueKind::Null,
        J::Bool(b) => ValueKind::Bool(*b),
        J::Number(n) => ValueKind::Number(n.as_f64().unwrap_or(f64::NAN)),
        J::String(s) => ValueKind::String(fill_placeholders(s, info)),
        J::Array(items) => {
            ValueKind::Array(items.iter().map(|i| from_tagged(i, prov, info)).collect())
        }
        J::Object(map) => match tagged(map) {
            Some(kind) => kind(map, prov, info),
            None => ValueKind::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), from_tagged(v, prov, info)))
                    .collect::<Object>(),
            ),
        },
    };
    Value::new(kind, prov.clone())
}

type TagFn = fn(&serde_json::Map<String, serde_json::Value>, &Provenance, &AppInfo) -> ValueKind;

/// The decoder for a single-key tagged object (`{"$regex": ...}`), if it is one.
fn tagged(map: &serde_json::Map<String, serde_json::Value>) -> Option<TagFn> {
    let key = map.keys().next()?;
    if map.len() != 1 && key != "$env" {
        return None;
    }
    Some(match key.as_str() {
        "$function" => |m, _, _| ValueKind::Function {
            name: m["$function"]
                .as_str()
                .filter(|s| is_identifier(s))
                .map(str::to_string),
        },
        "$regex" => |m, _, _| {
            let text = m["$regex"].as_str().unwrap_or("//");
            let body = text.strip_prefix('/').unwrap_or(text);
            let (source, flags) = body.rsplit_once('/').unwrap_or((body, ""));
            ValueKind::Regex {
                source: source.into(),
                flags: flags.into(),
            }
        },
        "$set" => |m, p, i| {
            let items = m["$set"]
                .as_array()
                .map(|a| a.iter().map(|x| from_tagged(x, p, i)).collect());
            ValueKind::Set(items.unwrap_or_default())
        },
        "$buffer" => |m, _, _| ValueKind::Unknown {
            why: format!("a Buffer of {} bytes", m["$buffer"]),
        },
        "$object" => |m, _, _| ValueKind::Unknown {
            why: format!(
                "an instance of {}",
                m["$object"].as_str().unwrap_or("an unknown class")
            ),
        },
        "$undefined" => |_, _, _| ValueKind::Undefined,
        "$unknown" => |m, _, _| ValueKind::Unknown {
            why: m["$unknown"].as_str().unwrap_or("unknown").into(),
        },
        "$number" => |m, _, _| {
            ValueKind::Number(
                m["$number"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(f64::NAN),
            )
        },
        "$env" => |m, p, i| ValueKind::Env {
            name: m["$env"].as_str().unwrap_or_default().into(),
            default: m
                .get("default")
                .filter(|d| !d.is_null())
                .map(|d| Box::new(from_tagged(d, p, i))),
        },
        _ => return None,
    })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Fills `{{baseDir}} {{HOME}} {{root}} {{name}} {{env}} {{tmpdir}}`.
fn fill_placeholders(s: &str, info: &AppInfo) -> String {
    if !s.contains("{{") {
        return s.to_string();
    }
    s.replace("{{baseDir}}", &info.base_dir.display().to_string())
        .replace("{{HOME}}", &info.home.display().to_string())
        .replace("{{root}}", &info.root.display().to_string())
        .replace("{{name}}", &info.name)
        .replace("{{env}}", &info.env)
        .replace(
            "{{tmpdir}}",
            std::env::temp_dir()
                .display()
                .to_string()
                .trim_end_matches('/'),
        )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small hand-made snapshot in the generated format (two units, two envs).
    pub(crate) const SAMPLE: &str = r#"{
      "egg_version": "3.34.0",
      "framework_plugins": {
        "session": {"enable": true, "package": "egg-session", "version": "3.3.0", "env": [], "dependencies": [], "optionalDependencies": []},
        "security": {"enable": true, "package": "egg-security", "version": "3.8.1", "env": [], "dependencies": [], "optionalDependencies": ["session"]},
        "development": {"enable": true, "package": "egg-development", "version": "3.0.2", "env": ["local"], "dependencies": ["watcher"], "optionalDependencies": []},
        "watcher": {"enable": true, "package": "egg-watcher", "version": "3.1.1", "env": [], "dependencies": [], "optionalDependencies": []}
      },
      "units": [
        {"kind": "plugin", "name": "security", "package": "egg-security", "files": {
          "local": {"default": {"security": {"csrf": {"enable": true, "ignore": {"$function": "ignore"}}, "hsts": {"enable": false}}}, "local": {"security": {"hsts": {"enable": false}}}},
          "prod": {"default": {"security": {"csrf": {"enable": true, "supportedRequests": [{"path": {"$regex": "/^\\//"}, "methods": ["POST"]}]}, "hsts": {"enable": false}}}}
        }},
        {"kind": "framework", "name": "egg", "package": "egg", "files": {
          "prod": {"default": {"keys": "", "coreMiddleware": ["meta", "siteFile", "notfound", "bodyParser", "overrideMethod"],
                               "logger": {"dir": "{{root}}/logs/{{name}}"}, "dump": {"ignore": {"$set": ["pass", {"$regex": "/secret/i"}]}},
                               "siteFile": {"/favicon.ico": {"$buffer": 6463}}}},
          "local": {"default": {"keys": "", "coreMiddleware": ["meta", "siteFile", "notfound", "bodyParser", "overrideMethod"], "logger": {"dir": "{{root}}/logs/{{name}}"}}}
        }}
      ]
    }"#;

    #[test]
    fn embedded_snapshots_parse() {
        for major in [1, 2, 3, 4] {
            let snap = embedded(major).unwrap_or_else(|| panic!("egg{major}.json does not parse"));
            assert_eq!(snap.framework_plugins.len(), 12, "egg {major}");
            assert!(snap.unit("framework", "egg").is_some());
        }
        assert!(embedded(5).is_none());
        // egg 4.1: the 12 built-in plugins (plugin factories) and the 9 default tegg plugins
        let snap = embedded_egg41().expect("egg41.json parses");
        assert!(snap.egg_version.starts_with("4.1"));
        assert_eq!(snap.framework_plugins.len(), 21);
        assert!(snap.framework_plugins["session"].skip_merge);
        assert!(!snap.framework_plugins["tegg"].skip_merge);
        // `pkg` is the app's package.json
        let snap = embedded(3).unwrap();
        let mut info = AppInfo::new("a", "/srv/a", "prod");
        info.pkg = Some(serde_json::json!({"name": "a", "version": "2.4.0"}));
        let cfg = snap
            .config(snap.unit("framework", "egg").unwrap(), "default", &info)
            .unwrap();
        assert_eq!(
            cfg.get_path("pkg.version").and_then(|v| v.as_str()),
            Some("2.4.0")
        );
        // egg 1's own defaults, not egg 3's: bodyParser limits were 100kb
        let egg1 = embedded(1).unwrap();
        let info = AppInfo::new("a", "/srv/a", "prod");
        let cfg = egg1
            .config(egg1.unit("framework", "egg").unwrap(), "default", &info)
            .unwrap();
        assert_eq!(
            cfg.get_path("bodyParser.jsonLimit")
                .and_then(|v| v.as_str()),
            Some("100kb")
        );
    }

    #[test]
    fn sample_parses_and_decodes_tags_and_placeholders() {
        let snap = Snapshot::parse(SAMPLE).unwrap();
        let mut info = AppInfo::new("shop", "/srv/shop", "prod");
        info.home = "/home/u".into();
        info.root = "/home/u".into();
        let egg = snap.unit("framework", "egg").unwrap();
        let cfg = snap.config(egg, "default", &info).unwrap();
        assert_eq!(
            cfg.get_path("logger.dir").unwrap().as_str(),
            Some("/home/u/logs/shop")
        );
        let ignore = cfg.get_path("dump.ignore").unwrap();
        assert!(matches!(&ignore.kind, ValueKind::Set(items) if items.len() == 2));
        assert_eq!(
            ignore.as_list().unwrap()[1].kind,
            ValueKind::Regex {
                source: "secret".into(),
                flags: "i".into()
            }
        );
        assert!(cfg
            .get("siteFile")
            .unwrap()
            .get("/favicon.ico")
            .unwrap()
            .is_unknown());
        assert_eq!(&*cfg.prov.file, "<embedded egg@3.34.0 egg config.default>");
        // Another env falls back to prod's default, and has no env file.
        let sit = AppInfo::new("shop", "/srv/shop", "sit");
        assert!(snap.config(egg, "default", &sit).is_some());
        assert!(snap.config(egg, "sit", &sit).is_none());
        let sec = snap.unit("plugin", "egg-security").unwrap();
        let local = AppInfo::new("shop", "/srv/shop", "local");
        let c = snap.config(sec, "default", &local).unwrap();
        assert_eq!(
            c.get_path("security.csrf.ignore").unwrap().kind,
            ValueKind::Function {
                name: Some("ignore".into())
            }
        );
        let p = snap.config(sec, "default", &info).unwrap();
        let path = &p
            .get_path("security.csrf.supportedRequests")
            .unwrap()
            .as_list()
            .unwrap()[0];
        assert_eq!(
            path.get("path").unwrap().kind,
            ValueKind::Regex {
                source: "^\\/".into(),
                flags: String::new()
            }
        );
        assert!(snap.plugin("x", Some("egg-security")).is_some());
    }
}
