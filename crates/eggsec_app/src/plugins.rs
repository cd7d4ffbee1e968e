//! Plugin entries: normalisation (§3.2), `_extendPlugins` merging (§3.3), resolution with
//! `eggPlugin` metadata and the env filter (§3.4), and ordering with implicit enables (§3.5).

use crate::model::{Diagnostic, DiagnosticLevel, PluginState};
use crate::sequencify::{sequencify_best_effort, Task};
use eggsec_js::{Provenance, Value, ValueKind};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};

/// One plugin entry as egg holds it after normalisation (`{name, enable, package?, path?,
/// env, dependencies, optionalDependencies, from}`).
#[derive(Clone, Debug, PartialEq)]
pub struct PluginEntry {
    pub name: String,
    pub enable: bool,
    /// The value that set `enable`, or the entry itself when `enable` was implied.
    pub enable_prov: Provenance,
    pub package: Option<String>,
    pub path: Option<PathBuf>,
    pub env: Vec<String>,
    /// Where the `env` list came from (entry or package.json `eggPlugin`).
    pub env_prov: Option<Provenance>,
    pub dependencies: Vec<String>,
    pub optional_dependencies: Vec<String>,
    /// The plugin file the entry was last set in (egg's `from`).
    pub from: String,
    /// `skipMerge: true` (egg 4.1's plugin factories): egg keeps the entry's own `env` and
    /// dependency lists and does not read the package's `eggPlugin` (@eggjs/core's
    /// `loadPlugin`: `if (!plugin.skipMerge) await this.#mergePluginConfig(plugin)`).
    pub skip_merge: bool,
}

/// Entries keyed by plugin name, in egg's insertion order.
pub type PluginMap = IndexMap<String, PluginEntry>;

/// Reads the entries of one evaluated plugin file (egg's raw `loadFile` + `normalizePluginConfig`).
/// Relative `path`s are taken from `base_dir` (egg would use the process cwd) with a warning.
pub fn normalize_file(
    exports: &Value,
    file: &Path,
    base_dir: &Path,
    diags: &mut Vec<Diagnostic>,
) -> PluginMap {
    let from = file.display().to_string();
    let mut out = PluginMap::new();
    let map = match &exports.kind {
        ValueKind::Object(map) => map,
        ValueKind::Function { .. } => {
            diags.push(diag(
                DiagnosticLevel::Warning,
                file,
                &exports.prov,
                "plugin file exports a function; egg does not call it, so it declares no plugins"
                    .into(),
            ));
            return out;
        }
        ValueKind::Undefined | ValueKind::Null => return out,
        ValueKind::Unknown { why } => {
            diags.push(diag(
                DiagnosticLevel::Unread,
                file,
                &exports.prov,
                format!("plugin file could not be evaluated: {why}; the plugins it declares are unknown"),
            ));
            return out;
        }
        _ => {
            diags.push(diag(
                DiagnosticLevel::Warning,
                file,
                &exports.prov,
                "plugin file does not export an object; ignored".into(),
            ));
            return out;
        }
    };
    for (name, value) in map {
        if name == eggsec_js::UNKNOWN_KEYS {
            let why = match &value.kind {
                ValueKind::Unknown { why } => why.as_str(),
                _ => "not known",
            };
            diags.push(diag(
                DiagnosticLevel::Unread,
                file,
                &value.prov,
                format!(
                    "plugin entries that cannot be evaluated ({why}): the plugins they declare are unknown; the other entries are kept"
                ),
            ));
            continue;
        }
        if let Some(entry) = normalize_entry(name, value, file, &from, base_dir, diags) {
            out.insert(name.clone(), entry);
        }
    }
    out
}

fn normalize_entry(
    name: &str,
    value: &Value,
    file: &Path,
    from: &str,
    base_dir: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<PluginEntry> {
    let mut entry = PluginEntry {
        name: name.to_string(),
        enable: true,
        enable_prov: value.prov.clone(),
        package: None,
        path: None,
        env: Vec::new(),
        env_prov: None,
        dependencies: Vec::new(),
        optional_dependencies: Vec::new(),
        from: from.to_string(),
        skip_merge: false,
    };
    let map = match &value.kind {
        ValueKind::Bool(b) => {
            entry.enable = *b;
            return Some(entry);
        }
        ValueKind::Object(map) => map,
        other => {
            let (level, why) = match other {
                ValueKind::Unknown { why } => (DiagnosticLevel::Unread, why.clone()),
                _ => (
                    DiagnosticLevel::Warning,
                    "neither a boolean nor an object".into(),
                ),
            };
            diags.push(diag(
                level,
                file,
                &value.prov,
                format!("plugin `{name}`: entry cannot be read ({why}); this entry is unknown, the others are kept"),
            ));
            return None;
        }
    };
    if let Some(enable) = map.get("enable") {
        entry.enable_prov = enable.prov.clone();
        entry.enable = match enable.truthy() {
            Some(b) => b,
            None => {
                let assumed = match &enable.kind {
                    ValueKind::Env {
                        default: Some(d), ..
                    } => d.truthy().unwrap_or(true),
                    _ => true,
                };
                diags.push(diag(
                    DiagnosticLevel::Warning,
                    file,
                    &enable.prov,
                    format!("plugin `{name}`: `enable` is not statically known; assumed {assumed}"),
                ));
                assumed
            }
        };
    }
    entry.skip_merge = map
        .get("skipMerge")
        .and_then(|v| v.truthy())
        .unwrap_or(false);
    if let Some(pkg) = map.get("package").filter(|v| !v.is_undefined()) {
        match pkg.as_str() {
            Some(s) if !s.is_empty() => entry.package = Some(s.to_string()),
            Some(_) => {}
            None => diags.push(diag(
                DiagnosticLevel::Warning,
                file,
                &pkg.prov,
                format!("plugin `{name}`: `package` is not a static string; ignored"),
            )),
        }
    }
    if let Some(p) = map.get("path").filter(|v| !v.is_undefined()) {
        match p.as_str() {
            Some(s) if !s.is_empty() => {
                let path = PathBuf::from(s);
                if path.is_absolute() {
                    entry.path = Some(path);
                } else {
                    let message = format!(
                        "plugin `{name}`: `path` {s:?} is relative; egg requires an absolute path \
                         (use path.join(__dirname, ...)); read from the app root"
                    );
                    diags.push(diag(DiagnosticLevel::Warning, file, &p.prov, message));
                    entry.path = Some(base_dir.join(path));
                }
            }
            Some(_) => {}
            None => diags.push(diag(
                DiagnosticLevel::Warning,
                file,
                &p.prov,
                format!(
                    "plugin `{name}`: `path` is not statically known; the plugin cannot be located"
                ),
            )),
        }
    }
    let list = |key: &str, diags: &mut Vec<Diagnostic>| -> Option<(Vec<String>, Provenance)> {
        let v = map.get(key).filter(|v| !v.is_undefined())?;
        Some((string_list(v, name, key, file, diags), v.prov.clone()))
    };
    if let Some((env, prov)) = list("env", diags) {
        entry.env = env;
        entry.env_prov = Some(prov);
    }
    if let Some((deps, _)) = list("dependencies", diags) {
        entry.dependencies = deps;
    }
    if entry.dependencies.is_empty() {
        // egg's depCompatible: `dep` is the old name of `dependencies`.
        if let Some((deps, _)) = list("dep", diags) {
            entry.dependencies = deps;
        }
    }
    if let Some((deps, _)) = list("optionalDependencies", diags) {
        entry.optional_dependencies = deps;
    }
    Some(entry)
}

fn string_list(
    v: &Value,
    name: &str,
    key: &str,
    file: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let Some(items) = v.as_list() else {
        diags.push(diag(
            DiagnosticLevel::Warning,
            file,
            &v.prov,
            format!("plugin `{name}`: `{key}` is not a static array; ignored"),
        ));
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                diags.push(diag(
                    DiagnosticLevel::Warning,
                    file,
                    &item.prov,
                    format!(
                        "plugin `{name}`: an element of `{key}` is not a static string; ignored"
                    ),
                ));
                None
            }
        })
        .collect()
}

/// egg's `_extendPlugins(targets, plugins)`: per property a later value wins, `undefined` is
/// skipped, an empty array never overwrites, and a new `path` or `package` drops both old ones.
pub fn extend_plugins(targets: &mut PluginMap, plugins: &PluginMap) {
    for (name, p) in plugins {
        let Some(t) = targets.get_mut(name) else {
            targets.insert(name.clone(), p.clone());
            continue;
        };
        if p.path.is_some() || p.package.is_some() {
            t.path = p.path.clone();
            t.package = p.package.clone();
        }
        t.enable = p.enable;
        t.enable_prov = p.enable_prov.clone();
        if !p.env.is_empty() {
            t.env = p.env.clone();
            t.env_prov = p.env_prov.clone();
        }
        if !p.dependencies.is_empty() {
            t.dependencies = p.dependencies.clone();
        }
        if !p.optional_dependencies.is_empty() {
            t.optional_dependencies = p.optional_dependencies.clone();
        }
        // egg copies every defined property: an entry without `skipMerge` keeps the target's
        if p.skip_merge {
            t.skip_merge = true;
        }
        t.from = p.from.clone();
    }
}

/// `eggPlugin` metadata of an installed plugin (or the embedded snapshot's equivalent).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PluginMeta {
    pub version: Option<String>,
    pub env: Vec<String>,
    pub dependencies: Vec<String>,
    pub optional_dependencies: Vec<String>,
    /// Where the metadata came from (package.json path or embedded snapshot name).
    pub source: String,
    /// Whether the package.json had an `eggPlugin` section at all.
    pub has_egg_plugin: bool,
}

impl PluginMeta {
    /// Reads `eggPlugin` (with `dep` as the old name of `dependencies`) from a parsed package.json.
    pub fn from_package_json(pkg: &serde_json::Value, source: String) -> Self {
        let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
            v.and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let ep = pkg.get("eggPlugin");
        let mut dependencies = strings(ep.and_then(|e| e.get("dependencies")));
        if dependencies.is_empty() {
            dependencies = strings(ep.and_then(|e| e.get("dep")));
        }
        PluginMeta {
            version: pkg
                .get("version")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            env: strings(ep.and_then(|e| e.get("env"))),
            dependencies,
            optional_dependencies: strings(ep.and_then(|e| e.get("optionalDependencies"))),
            source,
            has_egg_plugin: ep.is_some(),
        }
    }

    /// egg's `mergePluginConfig`: each list is taken only when the entry's own list is empty.
    pub fn merge_into(&self, entry: &mut PluginEntry) {
        if entry.dependencies.is_empty() {
            entry.dependencies = self.dependencies.clone();
        }
        if entry.optional_dependencies.is_empty() {
            entry.optional_dependencies = self.optional_dependencies.clone();
        }
        if entry.env.is_empty() && !self.env.is_empty() {
            entry.env = self.env.clone();
            entry.env_prov = Some(Provenance::synthetic(self.source.clone()));
        }
    }
}

/// Where a plugin was found, decided by the loader.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Located {
    /// The plugin directory (egg's `plugin.path`, after the egg 4 `exports` rewrite).
    pub path: Option<PathBuf>,
    pub installed: bool,
    pub meta: Option<PluginMeta>,
}

/// The result of egg's `loadPlugin` after resolution and ordering.
#[derive(Clone, Debug, Default)]
pub struct PluginSet {
    pub states: Vec<PluginState>,
    /// Enabled plugin names in load order (`orderPlugins`).
    pub order: Vec<String>,
}

/// Applies metadata, the env filter, `sequencify` and implicit enables (egg's `loadPlugin`
/// after resolution). `locate` finds each entry on disk.
pub fn finish(
    mut all: PluginMap,
    env: &str,
    app_plugins: &PluginMap,
    mut locate: impl FnMut(&PluginEntry) -> Located,
    diags: &mut Vec<Diagnostic>,
) -> PluginSet {
    let mut located: IndexMap<String, Located> = IndexMap::new();
    let mut excluded = Vec::new();
    let mut tasks: IndexMap<String, Task> = IndexMap::new();
    let mut enabled_names = Vec::new();
    for (name, entry) in all.iter_mut() {
        let loc = locate(entry);
        if let Some(meta) = loc.meta.as_ref().filter(|_| !entry.skip_merge) {
            meta.merge_into(entry);
        }
        located.insert(name.clone(), loc);
        if !env.is_empty() && !entry.env.is_empty() && !entry.env.iter().any(|e| e == env) {
            entry.enable = false;
            excluded.push(name.clone());
            continue;
        }
        tasks.insert(
            name.clone(),
            Task {
                dependencies: entry.dependencies.clone(),
                optional_dependencies: entry.optional_dependencies.clone(),
            },
        );
        if entry.enable {
            enabled_names.push(name.clone());
        }
    }

    let result = if enabled_names.is_empty() {
        Default::default()
    } else {
        sequencify_best_effort(&tasks, &enabled_names)
    };
    if !result.missing_tasks.is_empty() || !result.recursive_dependencies.is_empty() {
        let mut message = format!(
            "egg would fail to start (PluginSequencifyError): missing: [{}], recursive: [{}]",
            result.missing_tasks.join(","),
            result
                .recursive_dependencies
                .iter()
                .map(|c| c.join(","))
                .collect::<Vec<_>>()
                .join("; ")
        );
        let mut seen = Vec::new();
        for miss in &result.missing_tasks {
            if seen.contains(miss) {
                continue;
            }
            seen.push(miss.clone());
            let requires: Vec<&str> = all
                .values()
                .filter(|p| p.dependencies.contains(miss))
                .map(|p| p.name.as_str())
                .collect();
            message.push_str(&format!(
                "; plugin [{miss}] is disabled or missing, but is required by [{}]",
                requires.join(",")
            ));
        }
        diags.push(Diagnostic {
            level: DiagnosticLevel::Error,
            file: None,
            line: 0,
            message,
        });
    }

    // Implicit enables: a required dependency that was disabled is turned on; it is decided
    // by the entry of the first plugin that requires it.
    let mut implicit = Vec::new();
    for name in &result.sequence {
        if !all[name].enable {
            let requirer = result
                .sequence
                .iter()
                .find(|n| all[*n].dependencies.contains(name))
                .map(|n| all[n].enable_prov.clone());
            let entry = &mut all[name];
            entry.enable = true;
            if let Some(prov) = requirer {
                entry.enable_prov = prov;
            }
            implicit.push(name.clone());
            if app_plugins.get(name).is_some_and(|p| !p.enable) {
                diags.push(Diagnostic {
                    level: DiagnosticLevel::Warning,
                    file: None,
                    line: 0,
                    message: format!("plugin `{name}` is disabled by the app but enabled implicitly because another plugin requires it"),
                });
            }
        }
    }

    let states = all
        .values()
        .map(|e| {
            let loc = &located[&e.name];
            let env_excluded = excluded.contains(&e.name);
            let decided_by = if env_excluded {
                e.env_prov.clone().unwrap_or_else(|| e.enable_prov.clone())
            } else {
                e.enable_prov.clone()
            };
            PluginState {
                name: e.name.clone(),
                enabled: e.enable,
                package: e.package.clone(),
                path: loc.path.clone(),
                version: if loc.installed {
                    loc.meta.as_ref().and_then(|m| m.version.clone())
                } else {
                    None
                },
                env: e.env.clone(),
                dependencies: e.dependencies.clone(),
                optional_dependencies: e.optional_dependencies.clone(),
                decided_by,
                implicit_enable: implicit.contains(&e.name),
                env_excluded,
                installed: loc.installed,
            }
        })
        .collect();
    PluginSet {
        states,
        order: result.sequence,
    }
}

fn diag(level: DiagnosticLevel, file: &Path, prov: &Provenance, message: String) -> Diagnostic {
    Diagnostic {
        level,
        file: Some(file.to_path_buf()),
        line: prov.line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eggsec_js::Object;

    fn p(file: &str, line: u32) -> Provenance {
        Provenance::new(file, line, 1)
    }
    fn b(x: bool, file: &str, line: u32) -> Value {
        Value::new(ValueKind::Bool(x), p(file, line))
    }
    fn s(x: &str, file: &str) -> Value {
        Value::new(ValueKind::String(x.into()), p(file, 1))
    }
    fn arr(xs: &[&str], file: &str) -> Value {
        Value::new(
            ValueKind::Array(xs.iter().map(|x| s(x, file)).collect()),
            p(file, 1),
        )
    }
    fn obj(entries: Vec<(&str, Value)>, file: &str, line: u32) -> Value {
        Value::object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<Object>(),
            p(file, line),
        )
    }
    fn file_map(entries: Vec<(&str, Value)>, file: &str) -> PluginMap {
        let v = obj(entries, file, 1);
        let mut d = Vec::new();
        let m = normalize_file(&v, Path::new(file), Path::new("/app"), &mut d);
        assert!(d.is_empty(), "{d:?}");
        m
    }

    #[test]
    fn boolean_and_object_entries_normalise() {
        let m = file_map(
            vec![
                ("static", b(false, "plugin.js", 3)),
                (
                    "cors",
                    obj(
                        vec![("package", s("egg-cors", "plugin.js"))],
                        "plugin.js",
                        4,
                    ),
                ),
                (
                    "x",
                    obj(
                        vec![
                            ("env", arr(&["prod"], "plugin.js")),
                            ("dep", arr(&["session"], "plugin.js")),
                        ],
                        "plugin.js",
                        5,
                    ),
                ),
            ],
            "plugin.js",
        );
        assert!(!m["static"].enable);
        assert_eq!(m["static"].enable_prov.line, 3);
        assert!(m["cors"].enable, "enable defaults to true when absent");
        assert_eq!(m["cors"].package.as_deref(), Some("egg-cors"));
        assert!(m["x"].enable);
        assert_eq!(m["x"].env, vec!["prod"]);
        assert_eq!(m["x"].dependencies, vec!["session"], "`dep` is an alias");
    }

    #[test]
    fn app_override_keeps_framework_package_and_env() {
        let mut all = PluginMap::new();
        let fw = file_map(
            vec![(
                "session",
                obj(
                    vec![
                        ("enable", b(true, "egg", 1)),
                        ("package", s("egg-session", "egg")),
                        ("env", arr(&["local"], "egg")),
                    ],
                    "egg",
                    1,
                ),
            )],
            "egg",
        );
        extend_plugins(&mut all, &fw);
        let app = file_map(
            vec![("session", obj(vec![("env", arr(&[], "app"))], "app", 7))],
            "app",
        );
        extend_plugins(&mut all, &app);
        let s = &all["session"];
        assert_eq!(
            s.package.as_deref(),
            Some("egg-session"),
            "partial entry inherits package"
        );
        assert_eq!(s.env, vec!["local"], "an empty array never overwrites");
        assert_eq!(s.from, "app");
        assert_eq!(s.enable_prov.line, 7);
    }

    #[test]
    fn new_path_drops_inherited_package() {
        let mut all = file_map(
            vec![(
                "static",
                obj(vec![("package", s("egg-static", "egg"))], "egg", 1),
            )],
            "egg",
        );
        let app = file_map(
            vec![(
                "static",
                obj(vec![("path", s("/app/lib/static", "app"))], "app", 2),
            )],
            "app",
        );
        extend_plugins(&mut all, &app);
        assert_eq!(all["static"].package, None);
        assert_eq!(all["static"].path, Some(PathBuf::from("/app/lib/static")));
    }

    #[test]
    fn false_entry_keeps_package() {
        let mut all = file_map(
            vec![(
                "onerror",
                obj(vec![("package", s("egg-onerror", "egg"))], "egg", 1),
            )],
            "egg",
        );
        extend_plugins(
            &mut all,
            &file_map(vec![("onerror", b(false, "app", 9))], "app"),
        );
        assert_eq!(all["onerror"].package.as_deref(), Some("egg-onerror"));
        assert!(!all["onerror"].enable);
    }

    #[test]
    fn function_export_declares_no_plugins() {
        let f = Value::new(ValueKind::Function { name: None }, p("plugin.js", 1));
        let mut d = Vec::new();
        assert!(normalize_file(&f, Path::new("plugin.js"), Path::new("/app"), &mut d).is_empty());
        assert_eq!(d.len(), 1);
    }

    /// egg 4.1's plugin factories (`skipMerge: true`): egg keeps the entry's own lists and does
    /// not read the package's `eggPlugin`; an app entry without `skipMerge` keeps it. Look-alike:
    /// the same entry without `skipMerge` takes the package's lists.
    #[test]
    fn skip_merge_entries_keep_their_own_lists() {
        let factory = |skip: bool| {
            let mut props = vec![("path", s("/nm/@eggjs/session/dist", "egg"))];
            if skip {
                props.push(("skipMerge", b(true, "egg", 1)));
            }
            file_map(vec![("session", obj(props, "egg", 1))], "egg")
        };
        let locate = |_: &PluginEntry| Located {
            path: Some(PathBuf::from("/nm/@eggjs/session/dist")),
            installed: true,
            meta: Some(meta(&["local"], &["watcher"], &[])),
        };
        for skip in [true, false] {
            let mut all = factory(skip);
            let app = file_map(vec![("session", b(true, "app", 3))], "app");
            extend_plugins(&mut all, &app);
            assert_eq!(all["session"].skip_merge, skip);
            let mut d = Vec::new();
            let set = finish(all, "prod", &app, locate, &mut d);
            let session = set.states.iter().find(|s| s.name == "session").unwrap();
            // merged, the package's `env: ['local']` would turn it off in prod
            assert_eq!(session.enabled, skip, "skipMerge {skip}");
            assert_eq!(session.env.is_empty(), skip, "skipMerge {skip}");
        }
    }

    fn meta(env: &[&str], deps: &[&str], opt: &[&str]) -> PluginMeta {
        PluginMeta {
            version: Some("1.0.0".into()),
            env: env.iter().map(|s| s.to_string()).collect(),
            dependencies: deps.iter().map(|s| s.to_string()).collect(),
            optional_dependencies: opt.iter().map(|s| s.to_string()).collect(),
            source: "pkg".into(),
            has_egg_plugin: true,
        }
    }

    /// The verified run: app disables session, audit requires it → implicit enable; a plugin
    /// that requires an env-excluded one makes egg fail (diagnostic).
    #[test]
    fn implicit_enable_env_filter_and_missing_dependency() {
        let mut all = file_map(
            vec![
                ("session", b(true, "egg", 1)),
                ("development", b(true, "egg", 2)),
                ("watcher", b(true, "egg", 3)),
            ],
            "egg",
        );
        let app = file_map(
            vec![
                ("session", b(false, "app", 4)),
                (
                    "audit",
                    obj(vec![("path", s("/app/lib/audit", "app"))], "app", 5),
                ),
            ],
            "app",
        );
        extend_plugins(&mut all, &app);
        let locate = |e: &PluginEntry| Located {
            path: Some(PathBuf::from(format!("/nm/{}", e.name))),
            installed: true,
            meta: Some(match e.name.as_str() {
                "development" => meta(&["local"], &["watcher"], &[]),
                "audit" => meta(&[], &["session"], &[]),
                _ => meta(&[], &[], &[]),
            }),
        };
        let mut d = Vec::new();
        let set = finish(all.clone(), "local", &app, locate, &mut d);
        assert_eq!(
            set.order,
            vec!["watcher", "development", "session", "audit"]
        );
        let session = set.states.iter().find(|s| s.name == "session").unwrap();
        assert!(session.enabled && session.implicit_enable);
        assert_eq!(session.decided_by.line, 5, "decided by the requiring entry");
        assert_eq!(
            d.len(),
            1,
            "warning: disabled by app but implicitly enabled"
        );

        // prod: development is env-excluded; nothing requires it here, so no error.
        let mut d = Vec::new();
        let set = finish(all.clone(), "prod", &app, locate, &mut d);
        let dev = set.states.iter().find(|s| s.name == "development").unwrap();
        assert!(!dev.enabled && dev.env_excluded);
        assert_eq!(&*dev.decided_by.file, "pkg");
        assert!(!set.order.contains(&"development".to_string()));

        // A plugin requiring the env-excluded one → egg's PluginSequencifyError.
        let mut all2 = all.clone();
        extend_plugins(
            &mut all2,
            &file_map(
                vec![(
                    "x",
                    obj(
                        vec![("dependencies", arr(&["development"], "app"))],
                        "app",
                        8,
                    ),
                )],
                "app",
            ),
        );
        let mut d = Vec::new();
        let locate2 = |e: &PluginEntry| {
            if e.name == "x" {
                Located {
                    installed: true,
                    ..Default::default()
                }
            } else {
                locate(e)
            }
        };
        finish(all2, "prod", &app, locate2, &mut d);
        assert!(
            d.iter().any(|d| d.level == DiagnosticLevel::Error
                && d.message
                    .contains("[development] is disabled or missing, but is required by [x]")),
            "{d:?}"
        );
    }
}
