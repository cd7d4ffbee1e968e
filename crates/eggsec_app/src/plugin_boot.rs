//! What plugins do in their own boot code beyond the middleware table, by the plugin's version:
//! routes registered from a `beforeStart` callback or through the plugin's lib (egg-development's
//! `/__loader_trace__` page in 1.4.2 and 2.3.x–2.4.0, egg-swagger-doc's `/swagger-doc`), and
//! whether egg-development serves its loader trace from the `eggLoaderTrace` core middleware
//! (2.4.1 and later) or not at all.
//!
//! The table is data (`defaults/plugin_routes.json`), each entry read from the real packages
//! (`npm pack <pkg>@<version>`) and saying where. The corpus oracle found both: an egg 1 app's
//! egg-development 1.4.2 has no `eggLoaderTrace` but a `/__loader_trace__` route, and an app with
//! egg-swagger-doc gets `GET /swagger-doc` from real egg.

use crate::model::PluginState;
use eggsec_js::Value;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Deserialize)]
struct Table {
    routes: Vec<RouteEntry>,
    unknown_routes: Vec<UnknownEntry>,
}

#[derive(Deserialize)]
struct RouteEntry {
    package: String,
    versions: Vec<(String, Option<String>)>,
    #[serde(default)]
    assumed_version: std::collections::HashMap<String, String>,
    method: String,
    path: String,
    when: Option<String>,
    handler: String,
    source: String,
    line: u32,
}

#[derive(Deserialize)]
struct UnknownEntry {
    package: String,
    versions: Vec<(String, Option<String>)>,
    when: Option<String>,
    why: String,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(include_str!("../defaults/plugin_routes.json"))
            .expect("defaults/plugin_routes.json is valid (checked by a unit test)")
    })
}

/// A route a plugin's boot code registers.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginRoute {
    pub method: String,
    pub path: String,
    pub handler: String,
    /// `node_modules/<package>/<file>` (or `<package>/<file>` when not installed).
    pub file: PathBuf,
    pub line: u32,
}

/// `1.4.2` → (1, 4, 2); a pre-release or build suffix is ignored (`4.1.2-beta.9` → (4, 1, 2)).
fn version_tuple(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.trim().trim_start_matches('v');
    let core = core.split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((
        it.next()??,
        it.next().flatten().unwrap_or(0),
        it.next().flatten().unwrap_or(0),
    ))
}

fn in_ranges(version: &str, ranges: &[(String, Option<String>)]) -> bool {
    let Some(v) = version_tuple(version) else {
        return false;
    };
    ranges.iter().any(|(from, to)| {
        version_tuple(from).is_some_and(|f| v >= f)
            && to
                .as_deref()
                .is_none_or(|t| version_tuple(t).is_some_and(|t| v < t))
    })
}

/// The plugin's version: installed, else the one egg `egg_major` depends on when the table says
/// it, else `None` (the newest is assumed).
fn version_of(
    plugin: &PluginState,
    assumed: &std::collections::HashMap<String, String>,
    egg_major: u32,
) -> Option<String> {
    plugin
        .version
        .clone()
        .filter(|_| plugin.installed)
        .or_else(|| assumed.get(&egg_major.to_string()).cloned())
}

fn matches(
    plugin: &PluginState,
    package: &str,
    ranges: &[(String, Option<String>)],
    assumed: &std::collections::HashMap<String, String>,
    egg_major: u32,
) -> bool {
    if !plugin.enabled || plugin.package.as_deref() != Some(package) {
        return false;
    }
    match version_of(plugin, assumed, egg_major) {
        Some(v) => in_ranges(&v, ranges),
        // not installed, no version assumed: the newest release
        None => ranges.iter().any(|(_, to)| to.is_none()),
    }
}

fn when_holds(config: &Value, when: Option<&str>) -> bool {
    // a value eggsec cannot know keeps the route (as for the app's own config branches)
    when.is_none_or(|w| crate::routes::config_truthy(config, w).is_none_or(|t| t))
}

/// The routes the enabled plugins register from their boot code, in plugin order.
pub fn plugin_routes(plugins: &[PluginState], config: &Value, egg_major: u32) -> Vec<PluginRoute> {
    let mut out = Vec::new();
    for plugin in plugins {
        for e in &table().routes {
            if !matches(
                plugin,
                &e.package,
                &e.versions,
                &e.assumed_version,
                egg_major,
            ) || !when_holds(config, e.when.as_deref())
            {
                continue;
            }
            let base = if plugin.installed {
                PathBuf::from("node_modules").join(&e.package)
            } else {
                PathBuf::from(&e.package)
            };
            out.push(PluginRoute {
                method: e.method.clone(),
                path: e.path.clone(),
                handler: e.handler.clone(),
                file: base.join(&e.source),
                line: e.line,
            });
        }
    }
    out
}

/// Why some routes an enabled plugin registers are unknown (egg-swagger-doc's `routerMap`).
pub fn unknown_routes(plugins: &[PluginState], config: &Value, egg_major: u32) -> Vec<String> {
    let none = std::collections::HashMap::new();
    let mut out = Vec::new();
    for plugin in plugins {
        for e in &table().unknown_routes {
            let decided_on = e
                .when
                .as_deref()
                .is_none_or(|w| crate::routes::config_truthy(config, w) != Some(false));
            if matches(plugin, &e.package, &e.versions, &none, egg_major) && decided_on {
                out.push(format!("plugin {}: routes unknown: {}", plugin.name, e.why));
            }
        }
    }
    out
}

/// Does egg-development (`package`, installed `version`) push `eggLoaderTrace` into
/// `coreMiddleware`? 2.4.1 and later do (`app.config.coreMiddlewares.push('eggLoaderTrace')`, app.js:6);
/// 1.x and 2.0.0–2.4.0 do not (1.4.2 and 2.3.x–2.4.0 register a route instead). Not installed:
/// egg 1 ships 1.x, egg 2+ a version that does.
pub fn development_pushes_loader_trace(
    package: &str,
    version: Option<&str>,
    egg_major: u32,
) -> bool {
    if package != "egg-development" {
        return true; // @eggjs/development (egg 4)
    }
    match version.and_then(version_tuple) {
        Some(v) => v >= (2, 4, 1),
        None => egg_major >= 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eggsec_js::Provenance;

    fn plugin(name: &str, package: &str, version: Option<&str>) -> PluginState {
        PluginState {
            name: name.into(),
            enabled: true,
            package: Some(package.into()),
            path: None,
            version: version.map(str::to_string),
            env: vec![],
            dependencies: vec![],
            optional_dependencies: vec![],
            decided_by: Provenance::new("config/plugin.js", 1, 1),
            implicit_enable: false,
            env_excluded: false,
            installed: version.is_some(),
        }
    }

    fn config(json: serde_json::Value) -> Value {
        let info = eggsec_js::AppInfo::new("a", "/srv/a", "prod");
        crate::defaults::from_tagged(
            &json,
            &Provenance::new("config/config.default.js", 1, 1),
            &info,
        )
    }

    #[test]
    fn table_parses() {
        assert!(!table().routes.is_empty());
    }

    #[test]
    fn loader_trace_route_by_egg_development_version() {
        let c = config(serde_json::json!({}));
        let paths = |v: Option<&str>, major| {
            plugin_routes(&[plugin("development", "egg-development", v)], &c, major)
                .into_iter()
                .map(|r| r.path)
                .collect::<Vec<_>>()
        };
        assert_eq!(paths(Some("1.4.2"), 1), ["/__loader_trace__"]);
        assert_eq!(paths(Some("2.3.1"), 2), ["/__loader_trace__"]);
        assert!(paths(Some("1.3.2"), 1).is_empty());
        assert!(paths(Some("2.2.0"), 2).is_empty());
        assert!(paths(Some("2.4.1"), 2).is_empty());
        assert!(paths(Some("3.0.2"), 3).is_empty());
        // not installed: egg 1 ships 1.x, egg 3 a middleware version
        assert_eq!(paths(None, 1), ["/__loader_trace__"]);
        assert!(paths(None, 3).is_empty());
        assert!(development_pushes_loader_trace(
            "egg-development",
            Some("2.7.0"),
            2
        ));
        assert!(!development_pushes_loader_trace(
            "egg-development",
            Some("1.4.2"),
            1
        ));
        assert!(!development_pushes_loader_trace(
            "egg-development",
            Some("2.4.0"),
            2
        ));
        assert!(!development_pushes_loader_trace("egg-development", None, 1));
        assert!(development_pushes_loader_trace(
            "@eggjs/development",
            None,
            4
        ));
    }

    #[test]
    fn swagger_doc_route_follows_its_enable() {
        let p = [plugin("swaggerdoc", "egg-swagger-doc", Some("2.3.2"))];
        let on = config(serde_json::json!({"swaggerdoc": {"enable": true}}));
        let off = config(serde_json::json!({"swaggerdoc": {"enable": false}}));
        let r = plugin_routes(&p, &on, 2);
        assert_eq!(
            (r[0].method.as_str(), r[0].path.as_str()),
            ("GET", "/swagger-doc")
        );
        assert_eq!(
            r[0].file,
            PathBuf::from("node_modules/egg-swagger-doc/lib/router/index.js")
        );
        assert!(plugin_routes(&p, &off, 2).is_empty());
        // a disabled plugin registers nothing
        let mut disabled = p[0].clone();
        disabled.enabled = false;
        assert!(plugin_routes(&[disabled], &on, 2).is_empty());
        let map = config(serde_json::json!({"swaggerdoc": {"enable": true, "routerMap": true}}));
        assert_eq!(unknown_routes(&p, &map, 2).len(), 1);
        assert!(unknown_routes(&p, &on, 2).is_empty());
    }
}
