//! The plugin list and the middleware chain against real egg, where eggsec declared part of
//! them unknown (issue 18, deliverable 4): a plugin or framework that is not installed and that
//! eggsec knows nothing of (`model.uncertain.sources`). A difference counts as declared
//! unknown only when egg's own answer shows that exactly those sources account for it:
//!
//! - plugins: the unknown plugin itself (its `eggPlugin.env` decides whether it loads), the
//!   plugins it requires as egg read them (`dependencies`/`optionalDependencies`,
//!   transitively: enabled implicitly, loaded before it), and for an unknown framework the
//!   plugins egg read from the `plugin.js` of a framework of the chain above egg (`from` under
//!   one of egg's `eggPaths` other than egg's own). The enabled sets may differ
//!   only by those; the load orders must be equal once those are left out of both.
//! - middleware: an unknown framework makes the whole chain unknown (its config sets
//!   `coreMiddleware`); an unknown plugin may add the middleware of its own `app/middleware/`
//!   (as egg found it installed): egg's chain without those must equal eggsec's, in order.
//!
//! Anything else is a mismatch, as in the plain comparison (`oracle::compare_plugins`).

use crate::oracle::Tally;
use eggsec_app::AppModel;
use serde_json::Value as J;
use std::collections::BTreeSet;
use std::path::Path;

/// What eggsec's declared sources account for, in egg's terms.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    /// Plugin names whose state, dependencies or place are unknown.
    pub(crate) plugins: BTreeSet<String>,
    /// Middleware names an unknown plugin ships.
    pub(crate) middleware: BTreeSet<String>,
    /// An unknown framework: the whole chain is unknown.
    pub(crate) whole_chain: bool,
    /// One line per source, for the report.
    pub(crate) why: Vec<String>,
}

fn strings(v: &J) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// egg-core's middleware name for a file of `app/middleware` (`caseStyle: 'lower'`):
/// `upload_file_router.js` → `uploadFileRouter`.
fn middleware_name(file: &str) -> Option<String> {
    let stem = file
        .strip_suffix(".js")
        .or_else(|| file.strip_suffix(".ts"))?;
    let mut out = String::new();
    let mut up = false;
    for c in stem.chars() {
        if c == '_' || c == '-' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    let mut chars = out.chars();
    let first = chars.next()?;
    Some(first.to_lowercase().chain(chars).collect())
}

impl Declared {
    pub(crate) fn of(dump: &J, model: &AppModel) -> Self {
        let mut d = Declared::default();
        let egg_plugins: Vec<&J> = dump["plugins"].as_array().into_iter().flatten().collect();
        let by_name = |name: &str| egg_plugins.iter().find(|p| p["name"] == name).copied();
        let mut todo: Vec<String> = Vec::new();
        for s in &model.uncertain.sources {
            if s.framework {
                d.whole_chain = true;
                // plugins declared by the framework chain above egg (egg's loader eggPaths; a
                // framework may re-export another: midway → midway-web)
                let framework_dirs: Vec<String> = strings(&dump["egg_paths"])
                    .into_iter()
                    .filter(|p| !p.ends_with("/node_modules/egg"))
                    .map(|p| format!("{p}/"))
                    .collect();
                for p in &egg_plugins {
                    let from = p["from"].as_str().unwrap_or_default();
                    if framework_dirs.iter().any(|d| from.starts_with(d.as_str())) {
                        todo.extend(p["name"].as_str().map(str::to_string));
                    }
                }
            } else {
                todo.push(s.plugin.clone());
                // the middleware its package ships, where egg found it installed
                if let Some(dir) = by_name(&s.plugin).and_then(|p| p["path"].as_str()) {
                    let mw = Path::new(dir).join("app/middleware");
                    for e in std::fs::read_dir(mw).into_iter().flatten().flatten() {
                        if let Some(n) = middleware_name(&e.file_name().to_string_lossy()) {
                            d.middleware.insert(n);
                        }
                    }
                }
            }
            d.why.push(s.label());
        }
        // and what they require, transitively, as egg read it
        while let Some(name) = todo.pop() {
            if !d.plugins.insert(name.clone()) {
                continue;
            }
            if let Some(p) = by_name(&name) {
                todo.extend(strings(&p["dependencies"]));
                todo.extend(strings(&p["optionalDependencies"]));
            }
        }
        d
    }
}

/// Counts one comparison: equal, else declared unknown when `declared` holds, else a mismatch.
fn count(t: &mut Tally, what: &str, equal: bool, declared: bool, detail: impl FnOnce() -> String) {
    if equal {
        t.agreed += 1;
    } else if declared {
        t.unknown += 1;
        t.unknowns
            .push(format!("{what} (declared unknown): {}", detail()));
    } else {
        t.mismatched += 1;
        t.mismatches.push(format!("{what}: {}", detail()));
    }
}

/// The plugin comparison of `oracle::compare_plugins`, with differences that `declared`
/// accounts for counted as declared unknown.
pub(crate) fn compare_plugins(t: &mut Tally, dump: &J, model: &AppModel, declared: &Declared) {
    let egg_enabled: Vec<&J> = dump["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["enable"] == J::Bool(true))
        .collect();
    let egg_set: BTreeSet<String> = egg_enabled
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    let our_set: BTreeSet<String> = model
        .plugins
        .iter()
        .filter(|p| p.enabled)
        .map(|p| p.name.clone())
        .collect();
    let differ: BTreeSet<&String> = egg_set.symmetric_difference(&our_set).collect();
    count(
        t,
        "enabled plugins",
        differ.is_empty(),
        differ.iter().all(|n| declared.plugins.contains(*n)),
        || {
            format!(
                "only egg: {:?}, only eggsec: {:?}",
                egg_set.difference(&our_set).collect::<Vec<_>>(),
                our_set.difference(&egg_set).collect::<Vec<_>>()
            )
        },
    );
    let egg_order = strings(&dump["plugin_order"]);
    let known = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|n| !declared.plugins.contains(*n))
            .cloned()
            .collect()
    };
    count(
        t,
        "plugin_order",
        egg_order == model.plugin_order,
        known(&egg_order) == known(&model.plugin_order),
        || format!("egg {egg_order:?}\n      eggsec {:?}", model.plugin_order),
    );
    for p in egg_enabled {
        let name = p["name"].as_str().unwrap_or_default();
        let Some(ours) = model.plugin(name) else {
            continue;
        };
        let unknown = declared.plugins.contains(name);
        let egg_package = p["package"].as_str();
        count(
            t,
            &format!("plugin {name} package"),
            egg_package == ours.package.as_deref(),
            unknown,
            || format!("egg {egg_package:?}, eggsec {:?}", ours.package),
        );
        let egg_implicit = p["implicitEnable"] == J::Bool(true);
        count(
            t,
            &format!("plugin {name} implicitEnable"),
            egg_implicit == ours.implicit_enable,
            unknown,
            || format!("egg {egg_implicit}, eggsec {}", ours.implicit_enable),
        );
    }
}

/// The middleware comparison of `oracle::compare_middleware` (`order_only`: the configured
/// order alone, when egg's loadMiddleware threw), with differences that `declared` accounts
/// for counted as declared unknown.
pub(crate) fn compare_middleware(
    t: &mut Tally,
    dump: &J,
    model: &AppModel,
    declared: &Declared,
    order_only: bool,
) {
    let mut egg_names = strings(&dump["core_middleware"]);
    egg_names.extend(strings(&dump["app_middleware"]));
    let our_names: Vec<String> = model.middleware.iter().map(|m| m.name.clone()).collect();
    let accounted = |egg: &[String], ours: &[String]| {
        declared.whole_chain
            || egg
                .iter()
                .filter(|n| !declared.middleware.contains(*n) || ours.contains(n))
                .eq(ours.iter())
    };
    count(
        t,
        "middleware order",
        egg_names == our_names,
        accounted(&egg_names, &our_names),
        || format!("egg {egg_names:?}\n      eggsec {our_names:?}"),
    );
    if order_only {
        return;
    }
    let listed: BTreeSet<&String> = egg_names.iter().collect();
    let egg_enabled: Vec<String> = strings(&dump["middleware_names"])
        .into_iter()
        .filter(|n| listed.contains(n))
        .collect();
    let our_enabled: Vec<String> = model
        .middleware
        .iter()
        .filter(|m| m.enabled)
        .map(|m| m.name.clone())
        .collect();
    count(
        t,
        "enabled middleware",
        egg_enabled == our_enabled,
        accounted(&egg_enabled, &our_enabled),
        || format!("egg {egg_enabled:?}\n      eggsec {our_enabled:?}"),
    );
}

#[cfg(test)]
mod tests {
    use super::middleware_name;

    #[test]
    fn middleware_file_names_as_egg_core_names_them() {
        assert_eq!(
            middleware_name("upload_file_router.js").as_deref(),
            Some("uploadFileRouter")
        );
        assert_eq!(
            middleware_name("uploadFileRouter.js").as_deref(),
            Some("uploadFileRouter")
        );
        assert_eq!(middleware_name("Auth.ts").as_deref(), Some("auth"));
        assert_eq!(middleware_name("README.md"), None);
    }
}
