//! Config loading in egg's order (§2): the app's preload (`config.default` + `config.{env}`,
//! passed as `appConfig` to plugin and framework config functions), then for each file type
//! (`default`, `{scope}`, `{env}`, `{scope}_{env}`) each load unit (plugins in order,
//! frameworks lowest first, the app) is evaluated and merged with extend2.

use crate::defaults::Snapshot;
use crate::files::{contains_unknown, evaluate, Resolver};
use crate::merge::extend;
use crate::model::{ConfigLayer, Diagnostic, DiagnosticLevel, UnitKind};
use eggsec_js::{AppInfo, EvalOptions, Object, Provenance, Value, ValueKind};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A load unit: a plugin, a framework or the app.
#[derive(Clone, Debug)]
pub struct LoadUnit {
    pub kind: UnitKind,
    /// The unit directory (config is read from `<dir>/config`); `None` when not installed.
    pub dir: Option<PathBuf>,
    /// The package name, for built-in lookups in the embedded snapshot.
    pub package: Option<String>,
}

/// What the config step produced.
pub struct LoadedConfig {
    pub config: Value,
    pub layers: Vec<ConfigLayer>,
    /// Units whose values came from the embedded snapshot.
    pub embedded_units: Vec<String>,
    /// Built-in units (egg and its default plugins) in this load.
    pub builtin_units: usize,
}

/// The inputs shared by every file evaluation.
pub struct ConfigContext<'a> {
    pub info: &'a AppInfo,
    pub resolver: Resolver,
    /// Files of type `default`, `{scope}`, `{env}`, `{scope}_{env}` (egg's `getTypeFiles`).
    pub type_names: Vec<String>,
    pub snapshot: Option<&'a Snapshot>,
}

/// egg's `getTypeFiles`: `default`, then `{scope}`, then `{env}` and `{scope}_{env}` unless the
/// env is `default`.
pub fn type_names(env: &str, scope: &str) -> Vec<String> {
    let mut names = vec!["default".to_string()];
    if !scope.is_empty() {
        names.push(scope.to_string());
    }
    if env == "default" {
        return names;
    }
    names.push(env.to_string());
    if !scope.is_empty() {
        names.push(format!("{scope}_{env}"));
    }
    names
}

/// Loads and merges the config of every unit. The app unit must be last.
pub fn load_config(
    ctx: &ConfigContext<'_>,
    units: &[LoadUnit],
    diags: &mut Vec<Diagnostic>,
) -> LoadedConfig {
    let app_dir = units
        .iter()
        .find(|u| u.kind == UnitKind::App)
        .and_then(|u| u.dir.clone());
    // App files are evaluated once and reused (egg evaluates them twice, with the same result).
    let mut app_cache: HashMap<String, Option<(PathBuf, Value)>> = HashMap::new();
    let mut app_file = |type_name: &str, diags: &mut Vec<Diagnostic>| -> Option<(PathBuf, Value)> {
        let dir = app_dir.as_ref()?;
        app_cache
            .entry(type_name.to_string())
            .or_insert_with(|| {
                let config_dir = dir.join("config");
                if type_name == "default" {
                    if let Some(why) = unreadable_dir(&config_dir, diags) {
                        // Nothing of the app's config can be known.
                        return Some((
                            config_dir,
                            Value::unknown(
                                why,
                                Provenance::new(dir.join("config").display().to_string(), 0, 0),
                            ),
                        ));
                    }
                }
                let path = resolve_config_file(ctx.resolver, &config_dir, type_name, diags)?;
                let value = match evaluate(
                    &path,
                    &EvalOptions {
                        await_async: ctx.resolver.egg4,
                        ..EvalOptions::config(ctx.info)
                    },
                    diags,
                ) {
                    Some(v) => {
                        report_unknown_parts(&path, &v, diags);
                        v
                    }
                    // Reported as unread: everything the file may set is unknown.
                    None => Value::unknown(
                        // named as the report names files: from the app's root
                        format!("{} could not be read", eggsec_fs::rel_string(dir, &path)),
                        Provenance::new(path.display().to_string(), 0, 0),
                    ),
                };
                Some((path, crate::merge::layer_value(value)))
            })
            .clone()
    };

    // `_preloadAppConfig`: app config.default + config.{env}, no scope files.
    let mut app_config =
        Value::object(Object::new(), Provenance::synthetic("<app config preload>"));
    for type_name in ["default", ctx.info.env.as_str()] {
        if let Some((_, v)) = app_file(type_name, diags) {
            extend(&mut app_config, &v);
        }
    }

    // Per unit, per type file. Built-ins fall back to the snapshot as a whole.
    let mut per_unit: Vec<Vec<ConfigLayer>> = Vec::new();
    let mut embedded_units = Vec::new();
    let mut builtin_units = 0;
    for unit in units {
        if unit.kind == UnitKind::App {
            let layers = ctx
                .type_names
                .iter()
                .filter_map(|t| {
                    let (file, value) = app_file(t, diags)?;
                    Some(ConfigLayer {
                        unit: UnitKind::App,
                        file,
                        type_name: t.clone(),
                        value,
                        embedded: false,
                    })
                })
                .collect();
            per_unit.push(layers);
            continue;
        }
        let snapshot_unit = ctx.snapshot.and_then(|s| {
            let (kind, pkg) = match &unit.kind {
                UnitKind::Plugin(_) => ("plugin", unit.package.as_deref()?),
                UnitKind::Framework(name) => ("framework", unit.package.as_deref().unwrap_or(name)),
                UnitKind::App => return None,
            };
            s.unit(kind, pkg).map(|u| (s, u))
        });
        // A third-party plugin that is not installed: eggsec's embedded knowledge of it
        // (generated from the real package by tests/oracle/gen-plugin-knowledge.js).
        let snapshot_unit = snapshot_unit.or_else(|| {
            if unit.dir.is_some() || !matches!(unit.kind, UnitKind::Plugin(_)) {
                return None;
            }
            let k = crate::defaults::plugin_knowledge()?;
            k.unit("plugin", unit.package.as_deref()?).map(|u| (k, u))
        });
        builtin_units += usize::from(snapshot_unit.is_some());
        let mut unit_diags = Vec::new();
        let evaluated = unit.dir.as_ref().map(|dir| {
            let opts = EvalOptions {
                app_config: Some(&app_config),
                await_async: ctx.resolver.egg4,
                ..EvalOptions::config(ctx.info)
            };
            ctx.type_names
                .iter()
                .filter_map(|t| {
                    let file =
                        resolve_config_file(ctx.resolver, &dir.join("config"), t, &mut unit_diags)?;
                    let value = evaluate(&file, &opts, &mut unit_diags)?;
                    Some(ConfigLayer {
                        unit: unit.kind.clone(),
                        file,
                        type_name: t.clone(),
                        value,
                        embedded: false,
                    })
                })
                .collect::<Vec<_>>()
        });
        // An installed unit whose files evaluate with an Unknown leaf (egg's favicon Buffer,
        // `os.tmpdir()`...) keeps ITS keys and values (the installed version is the truth: the
        // snapshot may be of another version, with other keys), each Unknown leaf taken from
        // the snapshot where it knows that same key. Only a file that cannot be read or
        // evaluated (an Error) falls back to the snapshot as a whole.
        let mut evaluated = evaluated;
        let unreadable = unit_diags.iter().any(|d| d.level >= DiagnosticLevel::Error);
        if let (Some(layers), Some((snap, su)), false) =
            (evaluated.as_mut(), snapshot_unit, unreadable)
        {
            for layer in layers.iter_mut() {
                if contains_unknown(&layer.value) {
                    if let Some(known) = snap.config(su, &layer.type_name, ctx.info) {
                        fill_unknowns(&mut layer.value, &known);
                    }
                }
            }
        }
        let needs_snapshot = match &evaluated {
            None => true,
            Some(_) => snapshot_unit.is_some() && unreadable,
        };
        match (needs_snapshot, snapshot_unit) {
            (true, Some((snap, su))) => {
                embedded_units.push(unit_name(&unit.kind));
                per_unit.push(
                    ctx.type_names
                        .iter()
                        .filter_map(|t| {
                            let value = snap.config(su, t, ctx.info)?;
                            Some(ConfigLayer {
                                unit: unit.kind.clone(),
                                file: PathBuf::from(&*value.prov.file),
                                type_name: t.clone(),
                                value,
                                embedded: true,
                            })
                        })
                        .collect(),
                );
            }
            _ => {
                // A unit that is not installed was already reported when it was located.
                diags.append(&mut unit_diags);
                per_unit.push(evaluated.unwrap_or_default());
            }
        }
    }

    // The double loop: file type outer, unit inner.
    let mut config = Value::object(Object::new(), Provenance::synthetic("<merged config>"));
    let mut layers = Vec::new();
    for type_name in &ctx.type_names {
        for unit_layers in per_unit.iter_mut() {
            let Some(pos) = unit_layers.iter().position(|l| &l.type_name == type_name) else {
                continue;
            };
            let mut layer = unit_layers.remove(pos);
            layer.value = crate::merge::layer_value(layer.value);
            check_reserved_keys(&layer, diags);
            extend(&mut config, &layer.value);
            layers.push(layer);
        }
    }
    LoadedConfig {
        config,
        layers,
        embedded_units,
        builtin_units,
    }
}

/// Replaces each Unknown leaf of `value` by the known value the embedded snapshot `known` has at
/// the same path (with the snapshot's provenance); keys the snapshot lacks stay as they are.
fn fill_unknowns(value: &mut Value, known: &Value) {
    match (&mut value.kind, &known.kind) {
        (ValueKind::Unknown { .. }, _) if !contains_unknown(known) => {
            *value = known.clone();
        }
        (ValueKind::Object(map), ValueKind::Object(known_map)) => {
            for (key, child) in map.iter_mut() {
                if let Some(k) = known_map.get(key) {
                    fill_unknowns(child, k);
                }
            }
        }
        _ => {}
    }
}

/// A directory of the app that exists but cannot be listed (permissions): reported as unread,
/// with why. `None` when it does not exist or can be read.
pub fn unreadable_dir(dir: &Path, diags: &mut Vec<Diagnostic>) -> Option<String> {
    match std::fs::read_dir(dir) {
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => None,
        Err(e) => {
            let why = format!("cannot read directory {}: {e}", dir.display());
            diags.push(Diagnostic {
                level: DiagnosticLevel::Unread,
                file: Some(dir.to_path_buf()),
                line: 0,
                message: format!("cannot read this directory ({e}); everything in it is unknown"),
            });
            Some(why)
        }
    }
}

/// Reports what of an app config file could not be evaluated: the whole export, or a spread or
/// base whose keys are unknown (each at its file:line). What they cover is `Unknown`.
pub fn report_unknown_parts(file: &Path, v: &Value, diags: &mut Vec<Diagnostic>) {
    fn walk(file: &Path, path: &str, v: &Value, diags: &mut Vec<Diagnostic>, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        match &v.kind {
            eggsec_js::ValueKind::Unknown { why } if path.is_empty() => {
                *budget -= 1;
                diags.push(Diagnostic {
                    level: DiagnosticLevel::Unread,
                    file: Some(PathBuf::from(&*v.prov.file)),
                    line: v.prov.line,
                    message: format!(
                        "the export of {} cannot be evaluated ({why}); every key it may set is unknown",
                        file.display()
                    ),
                });
            }
            eggsec_js::ValueKind::Object(map) => {
                if let Some(rest) = map.get(eggsec_js::UNKNOWN_KEYS) {
                    if let eggsec_js::ValueKind::Unknown { why } = &rest.kind {
                        *budget -= 1;
                        let at = if path.is_empty() {
                            "the export".to_string()
                        } else {
                            format!("`{path}`")
                        };
                        diags.push(Diagnostic {
                            level: DiagnosticLevel::Unread,
                            file: Some(PathBuf::from(&*rest.prov.file)),
                            line: rest.prov.line,
                            message: format!(
                                "{at} may hold keys that cannot be evaluated ({why}); they are unknown, the keys written after keep their values"
                            ),
                        });
                    }
                }
                for (k, child) in map {
                    if k != eggsec_js::UNKNOWN_KEYS {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        walk(file, &p, child, diags, budget);
                    }
                }
            }
            _ => {}
        }
    }
    let mut budget = 20;
    walk(file, "", v, diags, &mut budget);
}

/// `config/config.<type>`, with the old `config/config.js` name as the fallback for `default`.
fn resolve_config_file(
    resolver: Resolver,
    dir: &Path,
    type_name: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<PathBuf> {
    resolver
        .resolve_source(dir, &format!("config.{type_name}"), diags)
        .or_else(|| {
            (type_name == "default")
                .then(|| resolver.resolve_source(dir, "config", diags))
                .flatten()
        })
}

/// egg's asserts: only a framework may set `coreMiddleware`, only the app may set `middleware`.
fn check_reserved_keys(layer: &ConfigLayer, diags: &mut Vec<Diagnostic>) {
    let defined = |key: &str| layer.value.get(key).filter(|v| !v.is_undefined());
    let (key, message) = match layer.unit {
        UnitKind::App | UnitKind::Plugin(_) if defined("coreMiddleware").is_some() => (
            "coreMiddleware",
            "Can not define coreMiddleware in app or plugin",
        ),
        UnitKind::Plugin(_) | UnitKind::Framework(_) if defined("middleware").is_some() => (
            "middleware",
            "Can not define middleware in plugin or framework",
        ),
        _ => return,
    };
    let line = defined(key).map_or(0, |v| v.prov.line);
    diags.push(Diagnostic {
        level: DiagnosticLevel::Error,
        file: Some(layer.file.clone()),
        line,
        message: format!("egg would fail to start: {message}"),
    });
}

fn unit_name(kind: &UnitKind) -> String {
    match kind {
        UnitKind::Plugin(n) | UnitKind::Framework(n) => n.clone(),
        UnitKind::App => "app".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_files_follow_get_type_files() {
        assert_eq!(type_names("prod", ""), vec!["default", "prod"]);
        assert_eq!(
            type_names("local", "myscope"),
            vec!["default", "myscope", "local", "myscope_local"]
        );
        assert_eq!(type_names("default", "s"), vec!["default", "s"]);
    }

    #[test]
    fn embedded_units_merge_in_type_major_order() {
        let snap = Snapshot::parse(crate::defaults::tests::SAMPLE).unwrap();
        let info = AppInfo::new("shop", "/nonexistent/shop", "local");
        let ctx = ConfigContext {
            info: &info,
            resolver: Resolver {
                egg4: false,
                esm: false,
            },
            type_names: type_names("local", ""),
            snapshot: Some(&snap),
        };
        let units = [
            LoadUnit {
                kind: UnitKind::Plugin("security".into()),
                dir: None,
                package: Some("egg-security".into()),
            },
            LoadUnit {
                kind: UnitKind::Framework("egg".into()),
                dir: None,
                package: Some("egg".into()),
            },
            LoadUnit {
                kind: UnitKind::App,
                dir: None,
                package: None,
            },
        ];
        let mut d = Vec::new();
        let out = load_config(&ctx, &units, &mut d);
        assert!(d.is_empty(), "{d:?}");
        let order: Vec<_> = out
            .layers
            .iter()
            .map(|l| (unit_name(&l.unit), l.type_name.as_str()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("security".into(), "default"),
                ("egg".into(), "default"),
                ("security".into(), "local")
            ]
        );
        assert_eq!(out.embedded_units, vec!["security", "egg"]);
        assert_eq!(out.builtin_units, 2);
        let hsts = out.config.get_path("security.hsts.enable").unwrap();
        assert_eq!(
            &*hsts.prov.file,
            "<embedded egg@3.34.0 egg-security config.local>"
        );
        assert_eq!(
            out.config.get_path("logger.dir").unwrap().as_str(),
            Some("/nonexistent/shop/logs/shop")
        );
    }

    #[test]
    fn plugin_defining_middleware_is_reported() {
        let v = Value::object(
            [(
                "middleware".to_string(),
                Value::new(
                    eggsec_js::ValueKind::Array(vec![]),
                    Provenance::new("p.js", 4, 1),
                ),
            )]
            .into_iter()
            .collect(),
            Provenance::new("p.js", 1, 1),
        );
        let layer = ConfigLayer {
            unit: UnitKind::Plugin("x".into()),
            file: "p.js".into(),
            type_name: "default".into(),
            value: v,
            embedded: false,
        };
        let mut d = Vec::new();
        check_reserved_keys(&layer, &mut d);
        assert_eq!(d[0].line, 4);
    }
}
