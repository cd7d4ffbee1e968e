//! Reader for egg's runtime dumps (`run/application_config.json` and
//! `application_config_meta.json`, §6), so rules can run on what really ran.
//!
//! The config is serialised with circular-json-for-egg: an object seen before is written as a
//! `"~path~to~it"` reference (`"~"` is the root) and literal `~` in strings is escaped as
//! `\x7e`. Values under masked keys are replaced by markers such as `"<String len: 30>"`;
//! functions by `"<Function name>"`. The meta file gives the file that set each leaf.

use crate::model::{
    AppError, AppModel, DefaultsSource, Diagnostic, DiagnosticLevel, Framework, MiddlewareEntry,
    MiddlewareSource, PluginState,
};
use crate::sequencify::{sequencify_best_effort, Task};
use eggsec_js::{Object, Provenance, Value, ValueKind};
use indexmap::IndexMap;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// Dumps above this size are refused (real ones are tens of KB).
const MAX_DUMP_BYTES: u64 = 64 * 1024 * 1024;
/// Reference chains longer than this are treated as circular.
const MAX_REF_DEPTH: usize = 64;

/// A decoded `application_config.json` with its meta.
#[derive(Clone, Debug)]
pub struct RuntimeDump {
    pub dir: PathBuf,
    /// `app.config` after every runtime mutation; leaves carry the meta file as provenance.
    pub config: Value,
    /// `loader.allPlugins`: every entry, enabled or not, references resolved.
    pub plugins: IndexMap<String, Json>,
    /// `{name, baseDir, env, scope, HOME, pkg, root}`.
    pub app_info: Json,
}

/// Reads `<dir>/application_config.json` and (when present) `application_config_meta.json`.
pub fn read_runtime_dump(dir: &Path) -> Result<RuntimeDump, AppError> {
    let config_path = dir.join("application_config.json");
    let raw = read_json(&config_path)?;
    let meta_path = dir.join("application_config_meta.json");
    let meta = if eggsec_fs::exists(&meta_path) {
        Some(read_json(&meta_path)?)
    } else {
        None
    };
    let resolved = resolve_refs(&raw, &raw, &mut Vec::new(), 0);
    let fallback = Provenance::synthetic(format!("<runtime: {}>", config_path.display()));
    let config = to_value(
        resolved.get("config").unwrap_or(&Json::Null),
        meta.as_ref(),
        &fallback,
    );
    let plugins = resolved
        .get("plugins")
        .and_then(|p| p.as_object())
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(RuntimeDump {
        dir: dir.to_path_buf(),
        config,
        plugins,
        app_info: resolved.get("appInfo").cloned().unwrap_or(Json::Null),
    })
}

fn read_json(path: &Path) -> Result<Json, AppError> {
    let invalid = |message: String| AppError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| invalid(format!("cannot read: {e}")))?
        .len();
    if size > MAX_DUMP_BYTES {
        return Err(invalid(format!("too large for an egg dump ({size} bytes)")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| invalid(format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| invalid(format!("not valid JSON: {e}")))
}

/// Replaces every `"~a~b"` reference with (a resolved copy of) its target, and unescapes the
/// other strings. `path` is where `node` sits; a reference to an ancestor (a real cycle) is
/// kept as a marker instead of being expanded.
fn resolve_refs(node: &Json, root: &Json, path: &mut Vec<String>, depth: usize) -> Json {
    match node {
        Json::String(s) if s.starts_with('~') => {
            let target_path: Vec<String> = if s.len() == 1 {
                Vec::new()
            } else {
                s[1..].split('~').map(|k| k.replace("\\x7e", "~")).collect()
            };
            if depth >= MAX_REF_DEPTH || path.starts_with(&target_path) {
                return Json::String(format!("<Circular {s}>"));
            }
            match lookup(root, &target_path) {
                Some(target) => resolve_refs(target, root, &mut target_path.clone(), depth + 1),
                None => Json::String(unescape(s)),
            }
        }
        Json::String(s) => Json::String(unescape(s)),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    path.push(i.to_string());
                    let r = resolve_refs(item, root, path, depth);
                    path.pop();
                    r
                })
                .collect(),
        ),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    // Keys are written raw; only string values and reference segments are escaped.
                    path.push(k.clone());
                    let r = resolve_refs(v, root, path, depth);
                    path.pop();
                    (k.clone(), r)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Follows a reference path from the root.
fn lookup<'a>(root: &'a Json, path: &[String]) -> Option<&'a Json> {
    path.iter().try_fold(root, |node, key| match node {
        Json::Object(map) => map.get(key),
        Json::Array(items) => items.get(key.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Reverses circular-json's string escape: the first unescaped `\x7e` becomes `~`, then the
/// first `\\x7e` becomes `\x7e`.
pub fn unescape(s: &str) -> String {
    if !s.contains("\\x7e") {
        return s.to_string();
    }
    let mut out = s.to_string();
    let mut from = 0;
    while let Some(pos) = out[from..].find("\\x7e").map(|p| p + from) {
        if pos == 0 || out.as_bytes()[pos - 1] != b'\\' {
            out.replace_range(pos..pos + 4, "~");
            break;
        }
        from = pos + 1;
    }
    out.replacen("\\\\x7e", "\\x7e", 1)
}

/// Converts resolved dump JSON to a [`Value`], decoding egg's markers; each leaf gets the file
/// the meta names for it.
fn to_value(json: &Json, meta: Option<&Json>, fallback: &Provenance) -> Value {
    let prov = match meta {
        Some(Json::String(file)) => Provenance::synthetic(file.as_str()),
        _ => fallback.clone(),
    };
    let kind = match json {
        Json::Null => ValueKind::Null,
        Json::Bool(b) => ValueKind::Bool(*b),
        Json::Number(n) => ValueKind::Number(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => marker(s).unwrap_or_else(|| ValueKind::String(s.clone())),
        Json::Array(items) => {
            ValueKind::Array(items.iter().map(|i| to_value(i, None, &prov)).collect())
        }
        Json::Object(map) => ValueKind::Object(
            map.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        to_value(v, meta.and_then(|m| m.get(k)), fallback),
                    )
                })
                .collect::<Object>(),
        ),
    };
    Value::new(kind, prov)
}

/// egg's dump markers: `<String len: 30>` (masked), `<Function name>`, `<Set>`...
fn marker(s: &str) -> Option<ValueKind> {
    let inner = s.strip_prefix('<')?.strip_suffix('>')?;
    let (head, rest) = inner.split_once(' ').unwrap_or((inner, ""));
    if !head.chars().next()?.is_ascii_uppercase()
        || !head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        return None;
    }
    Some(match head {
        "Function" | "AsyncFunction" | "GeneratorFunction" | "AsyncGeneratorFunction" => {
            ValueKind::Function {
                name: Some(rest.to_string()).filter(|n| !n.is_empty() && n != "anonymous"),
            }
        }
        "String" | "Buffer" if rest.starts_with("len: ") => ValueKind::Unknown {
            why: format!("masked by egg dump: {inner}"),
        },
        "Number" | "Boolean" | "Array" | "Object" if rest.is_empty() => ValueKind::Unknown {
            why: format!("masked by egg dump: {inner}"),
        },
        "Circular" => ValueKind::Unknown {
            why: format!("a circular reference in the egg dump ({rest})"),
        },
        "Class" => ValueKind::Unknown {
            why: format!("a class in the egg dump: {inner}"),
        },
        _ if rest.is_empty() => ValueKind::Unknown {
            why: format!("a {head} object (egg dumps only its type)"),
        },
        _ => return None,
    })
}

/// Builds an [`AppModel`] from a runtime dump: the config and plugins egg really used.
/// `layers` is empty (a dump does not say which file held what beyond the meta provenance).
pub fn model_from_dump(dump: &RuntimeDump) -> AppModel {
    let info = &dump.app_info;
    let text = |v: &Json, k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let env = text(info, "env");
    let pkg = info.get("pkg").cloned().unwrap_or(Json::Null);
    let strings = |v: Option<&Json>| -> Vec<String> {
        v.and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };

    let mut tasks = IndexMap::new();
    let mut enabled_names = Vec::new();
    let plugins: Vec<PluginState> = dump
        .plugins
        .iter()
        .map(|(name, p)| {
            let env_list = strings(p.get("env"));
            let env_excluded = !env.is_empty() && !env_list.is_empty() && !env_list.contains(&env);
            let state = PluginState {
                name: name.clone(),
                enabled: p.get("enable").and_then(|e| e.as_bool()).unwrap_or(false),
                package: p
                    .get("package")
                    .and_then(|x| x.as_str())
                    .map(str::to_string),
                path: p.get("path").and_then(|x| x.as_str()).map(PathBuf::from),
                version: p
                    .get("version")
                    .and_then(|x| x.as_str())
                    .map(str::to_string),
                env: env_list,
                dependencies: strings(p.get("dependencies")),
                optional_dependencies: strings(p.get("optionalDependencies")),
                decided_by: Provenance::synthetic(
                    p.get("from")
                        .and_then(|x| x.as_str())
                        .unwrap_or("<runtime dump>"),
                ),
                implicit_enable: p
                    .get("implicitEnable")
                    .and_then(|x| x.as_bool())
                    .unwrap_or(false),
                env_excluded,
                installed: p.get("path").is_some(),
            };
            if !env_excluded {
                tasks.insert(
                    name.clone(),
                    Task {
                        dependencies: state.dependencies.clone(),
                        optional_dependencies: state.optional_dependencies.clone(),
                    },
                );
                if state.enabled && !state.implicit_enable {
                    enabled_names.push(name.clone());
                }
            }
            state
        })
        .collect();
    let plugin_order = sequencify_best_effort(&tasks, &enabled_names).sequence;

    let names = |key: &str| -> Vec<String> {
        dump.config
            .get(key)
            .and_then(Value::as_list)
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let entry = |name: String, source: MiddlewareSource| MiddlewareEntry {
        enabled: dump
            .config
            .get(&name)
            .and_then(|c| c.get("enable"))
            .and_then(Value::as_bool)
            != Some(false),
        file: None,
        source,
        name,
    };
    let middleware = names("coreMiddleware")
        .into_iter()
        .map(|n| entry(n, MiddlewareSource::Core { inserted_by: None }))
        .chain(
            names("appMiddleware")
                .into_iter()
                .map(|n| entry(n, MiddlewareSource::App)),
        )
        .collect();

    let egg4 = plugins.iter().any(|p| {
        p.package
            .as_deref()
            .is_some_and(|k| k.starts_with("@eggjs/"))
            || p.path
                .as_ref()
                .is_some_and(|x| x.ends_with("dist/esm") || x.ends_with("dist/commonjs"))
    });
    let framework = pkg
        .pointer("/egg/framework")
        .and_then(|f| f.as_str())
        .unwrap_or("egg")
        .to_string();
    let mut frameworks = vec![Framework {
        name: "egg".into(),
        version: None,
        path: None,
    }];
    if framework != "egg" {
        frameworks.push(Framework {
            name: framework,
            version: None,
            path: None,
        });
    }
    AppModel {
        root: PathBuf::from(text(info, "baseDir")),
        name: text(info, "name"),
        pkg,
        env,
        scope: text(info, "scope"),
        egg_major: egg4.then_some(4),
        frameworks,
        plugins,
        plugin_order,
        config: dump.config.clone(),
        layers: Vec::new(),
        middleware,
        routes: Vec::new(),
        code: Default::default(),
        uncertain: Default::default(),
        defaults: DefaultsSource::NodeModules,
        diagnostics: vec![Diagnostic {
            level: DiagnosticLevel::Info,
            file: Some(dump.dir.join("application_config.json")),
            line: 0,
            message: "model built from egg's runtime dump: values under masked keys are unknown, and RegExps inside arrays were lost by egg's serialiser".into(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real dumps recorded from egg 3 and 4 (see tests/fixtures/runtime-dumps/README.md).
    fn research(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/runtime-dumps")
            .join(format!("research-{name}"))
    }

    #[test]
    fn unescape_reverses_both_rules() {
        // "~/foo" was written as "\x7e/foo"; "\x7e~" as "\\x7e\x7e".
        assert_eq!(unescape("\\x7e/foo"), "~/foo");
        assert_eq!(unescape("\\\\x7e\\x7e"), "\\x7e~");
        assert_eq!(unescape("a\\x7eb\\x7ec"), "a~b\\x7ec");
        assert_eq!(unescape("plain"), "plain");
    }

    #[test]
    fn references_resolve_from_the_root() {
        let raw: Json = serde_json::json!({"config": {"coreMiddleware": ["a"], "coreMiddlewares": "~config~coreMiddleware", "self": "~", "k~y": 1, "r": "~config~k\\x7ey"}});
        let r = resolve_refs(&raw, &raw, &mut Vec::new(), 0);
        assert_eq!(r["config"]["coreMiddlewares"], serde_json::json!(["a"]));
        assert_eq!(r["config"]["r"], serde_json::json!(1));
        assert_eq!(
            r["config"]["self"],
            serde_json::json!("<Circular ~>"),
            "a cycle stays a marker"
        );
    }

    #[test]
    fn markers_decode() {
        assert_eq!(
            marker("<Function v4>"),
            Some(ValueKind::Function {
                name: Some("v4".into())
            })
        );
        assert_eq!(
            marker("<Function anonymous>"),
            Some(ValueKind::Function { name: None })
        );
        assert_eq!(
            marker("<String len: 30>"),
            Some(ValueKind::Unknown {
                why: "masked by egg dump: String len: 30".into()
            })
        );
        assert!(matches!(marker("<Set>"), Some(ValueKind::Unknown { .. })));
        assert_eq!(marker("<not a marker>"), None);
        assert_eq!(marker("/secret/i"), None);
    }

    #[test]
    fn real_local_dump() {
        let dir = research("local");
        let dump = read_runtime_dump(&dir).unwrap();
        let m = model_from_dump(&dump);
        assert_eq!(m.env, "local");
        assert_eq!(m.name, "eggrun-demo");
        let names: Vec<_> = m.middleware.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cors",
                "meta",
                "siteFile",
                "notfound",
                "bodyParser",
                "overrideMethod",
                "session",
                "securities",
                "i18n",
                "eggLoaderTrace",
                "report",
                "gzipLike"
            ]
        );
        assert!(m.config_at("keys").unwrap().is_unknown());
        let csrf = m.config_at("security.csrf.enable").unwrap();
        assert_eq!(csrf.as_bool(), Some(false));
        assert_eq!(
            &*csrf.prov.file,
            "/home/admin/egg3-app/config/config.local.js"
        );
        assert!(m.config_at("session.genid").unwrap().is_function());
        assert_eq!(
            m.config_at("coreMiddlewares")
                .unwrap()
                .as_list()
                .unwrap()
                .len(),
            10
        );
        let only_prod = m.plugin("onlyProd").unwrap();
        assert_eq!(
            only_prod.dependencies,
            ["session"],
            "shared array reference resolved"
        );
        assert!(only_prod.env_excluded && !only_prod.enabled);
        assert_eq!(
            m.plugin_order,
            [
                "session",
                "security",
                "onerror",
                "i18n",
                "watcher",
                "schedule",
                "multipart",
                "development",
                "logrotator",
                "cors",
                "routerPlus",
                "audit"
            ]
        );
        assert!(!m.plugin_enabled("static"));
    }

    #[test]
    fn real_prod_and_egg4_dumps() {
        let prod = research("prod-cluster");
        {
            let m = model_from_dump(&read_runtime_dump(&prod).unwrap());
            assert_eq!(m.env, "prod");
            let names: Vec<_> = m.middleware.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(
                &names[..10],
                [
                    "cors",
                    "meta",
                    "siteFile",
                    "notfound",
                    "static",
                    "bodyParser",
                    "overrideMethod",
                    "session",
                    "securities",
                    "i18n"
                ]
            );
            assert!(m.plugin_enabled("onlyProd"));
        }
        let egg4 = research("egg4");
        {
            let m = model_from_dump(&read_runtime_dump(&egg4).unwrap());
            assert_eq!(m.egg_major, Some(4));
            let names: Vec<_> = m.middleware.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(
                names,
                [
                    "meta",
                    "siteFile",
                    "notfound",
                    "static",
                    "bodyParser",
                    "overrideMethod",
                    "session",
                    "securities",
                    "eggLoaderTrace",
                    "report"
                ]
            );
            assert!(m
                .config_at("security.defaultMiddleware")
                .unwrap()
                .as_list()
                .is_some());
        }
    }

    #[test]
    fn missing_or_bad_dump_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_runtime_dump(dir.path()).unwrap_err().to_string();
        assert!(err.contains("application_config.json"));
        std::fs::write(dir.path().join("application_config.json"), "{oops").unwrap();
        assert!(read_runtime_dump(dir.path())
            .unwrap_err()
            .to_string()
            .contains("not valid JSON"));
    }
}
