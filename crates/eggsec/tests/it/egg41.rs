//! egg 4.1 (config and plugins under `dist/`, plugin factories): with node_modules installed,
//! eggsec's model must never be worse than without. The fixture is booted under real egg 4.1
//! (tests/oracle/egg41) and eggsec must list exactly the plugins egg enables — egg's own
//! `dist/config/plugin.js` (`...securityPlugin()` factories and 4.1's default tegg plugins) and
//! the app's `...jsonpPlugin({ enable: false })` — with each plugin's path, agree on
//! `security.csrf.enable`, keep egg's own core middleware in egg's order, and order the plugins
//! as egg does (the factories' `skipMerge` entries keep their own lists). Its config defaults
//! come from the embedded egg 4.1 snapshot (`defaults/egg41.json`, generated from this real egg
//! 4.1); the key-by-key comparison is `oracle::eggsec_agrees_with_real_egg` (the fixture's
//! `oracle.json`). Without node_modules (the embedded egg 4.0 snapshot) it lists the same plugins
//! except 4.1's tegg plugins, and says so.

use crate::oracle_support::{oracle_dir, repo_root, run_dump, stage, EnvSpec};
use eggsec_app::LoadOptions;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn egg41_dist_layout_is_never_worse_than_no_node_modules() {
    let root = repo_root();
    let oracle = oracle_dir(&root, "egg41").unwrap_or_else(|e| panic!("{e}"));
    let app = stage(
        &root.join("tests/fixtures/egg41-dist-layout"),
        &oracle.join("node_modules"),
    )
    .unwrap();
    let spec = EnvSpec::parse("prod");
    let dump = run_dump(&root, &oracle, &app, &spec).unwrap_or_else(|e| panic!("{e}"));
    assert!(dump["egg_version"].as_str().unwrap().starts_with("4.1"));
    let egg_plugins: BTreeSet<String> = dump["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["enable"].as_bool() == Some(true))
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!egg_plugins.contains("jsonp"), "the app disables jsonp");
    assert!(egg_plugins.contains("tegg"), "{egg_plugins:?}");

    let opts = LoadOptions {
        env: Some("prod".into()),
        ..Default::default()
    };
    let model = eggsec_app::load(&app.root, &opts).unwrap();
    let ours: BTreeSet<String> = model
        .plugins
        .iter()
        .filter(|p| p.enabled)
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(ours, egg_plugins, "enabled plugins");
    let egg_order: Vec<String> = dump["plugin_order"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    assert_eq!(model.plugin_order, egg_order, "plugin order");
    // each plugin where egg found it (the factories' `path: import.meta.dirname`)
    let egg_paths: BTreeMap<String, String> = dump["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["enable"].as_bool() == Some(true))
        .map(|p| {
            let path = p["path"].as_str().unwrap_or_default();
            (p["name"].as_str().unwrap().to_string(), canon(path))
        })
        .collect();
    let our_paths: BTreeMap<String, String> = model
        .plugins
        .iter()
        .filter(|p| p.enabled)
        .map(|p| {
            let path = p.path.as_ref().map(|p| p.display().to_string());
            (p.name.clone(), canon(&path.unwrap_or_default()))
        })
        .collect();
    assert_eq!(our_paths, egg_paths, "plugin paths");
    assert!(
        model
            .diagnostics
            .iter()
            .any(|d| d.message.contains("egg 4.1 layout")
                && d.message.contains("read from dist/config/plugin.js")
                && d.message
                    .contains("from the embedded egg 4.1.2-beta.9 snapshot")),
        "{:?}",
        model.diagnostics
    );
    assert_eq!(
        model
            .config_at("security.csrf.enable")
            .and_then(|v| v.as_bool()),
        dump["config"]["security"]["csrf"]["enable"].as_bool()
    );
    // egg's own core middleware, in egg's order (4.1's tegg middleware, added by tegg's boot
    // code, aside)
    let egg_core: Vec<String> = dump["core_middleware"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.as_str())
        .filter(|m| !m.starts_with("tegg"))
        .map(str::to_string)
        .collect();
    let our_core: Vec<String> = model
        .middleware
        .iter()
        .filter(|m| matches!(m.source, eggsec_app::MiddlewareSource::Core { .. }))
        .map(|m| m.name.clone())
        .filter(|m| !m.starts_with("tegg"))
        .collect();
    assert_eq!(our_core, egg_core);

    // without node_modules: the same plugins but 4.1's default tegg plugins (the embedded
    // snapshot is egg 4.0's), and that is said
    let bare = eggsec_app::load(
        &app.root,
        &LoadOptions {
            env: Some("prod".into()),
            embedded_defaults_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    let bare_plugins: BTreeSet<String> = bare
        .plugins
        .iter()
        .filter(|p| p.enabled)
        .map(|p| p.name.clone())
        .collect();
    let missing: Vec<&String> = ours.difference(&bare_plugins).collect();
    assert!(
        missing.iter().all(|n| n.starts_with("tegg")),
        "without node_modules only tegg plugins may be missing: {missing:?}"
    );
    assert!(bare_plugins.is_subset(&ours), "{bare_plugins:?} ⊄ {ours:?}");
}

/// A path as the file system has it (the staged app's node_modules is a symlink).
fn canon(path: &str) -> String {
    std::fs::canonicalize(path).map_or_else(|_| path.to_string(), |p| p.display().to_string())
}
