//! Uncertainty is said, not hidden (issue 18, deliverable 4): a third-party plugin that is not
//! installed and unknown to eggsec may change security config. Real egg 3 boots
//! `tests/fixtures/uncertain-unknown-plugin` with its plugin (which turns CSRF and the session
//! cookie's httpOnly off); eggsec then reads the same app with the plugin deleted. Every key
//! where eggsec differs from real egg must be declared "unknown: may be changed by plugin
//! `openDoc`", the keys the app sets itself stay certain, the CSRF pass is "not fully assessed"
//! and `eggsec config` shows the doubt. The plugin also requires `jsonp` (which the app
//! disables: egg enables it implicitly) and pushes its own middleware at boot: the plugin list
//! and the middleware chain may differ from egg's only where eggsec declares them unknown, and
//! `eggsec plugins`/`eggsec routes` say so.

use crate::declared_unknown::{compare_middleware, compare_plugins, Declared};
use crate::oracle::{load_rules, Normaliser, Tally, COMPARED_KEYS};
use crate::oracle_support::{oracle_dir, repo_root, run_dump, stage, EnvSpec};
use eggsec_app::LoadOptions;

#[test]
fn unknown_plugin_keys_are_declared_not_stated() {
    let root = repo_root();
    let oracle = oracle_dir(&root, "egg3").unwrap_or_else(|e| panic!("{e}"));
    let app = stage(
        &root.join("tests/fixtures/uncertain-unknown-plugin"),
        &oracle.join("node_modules"),
    )
    .unwrap();
    let dump =
        run_dump(&root, &oracle, &app, &EnvSpec::parse("prod")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        dump["config"]["security"]["csrf"]["enable"], false,
        "the plugin turns CSRF off"
    );
    let opts = LoadOptions {
        env: Some("prod".into()),
        ..Default::default()
    };
    // with the plugin: eggsec states egg's values, nothing is uncertain
    let with = eggsec_app::load(&app.root, &opts).unwrap();
    assert!(with.uncertain.sources.is_empty());
    let rules = load_rules(&root);
    let mut t = Tally::new("uncertain-unknown-plugin", "prod with the plugin", &rules);
    let declared = Declared::of(&dump, &with);
    compare_plugins(&mut t, &dump, &with, &declared);
    compare_middleware(&mut t, &dump, &with, &declared, false);
    assert!(
        t.mismatched == 0 && t.unknown == 0,
        "{:#?} {:#?}",
        t.mismatches,
        t.unknowns
    );
    assert!(with.plugin("jsonp").is_some_and(|p| p.implicit_enable));
    assert_eq!(
        with.config_at("security.csrf.enable")
            .and_then(|v| v.as_bool()),
        Some(false)
    );

    // without it: differences from real egg only where declared unknown
    let away = app.root.join("plugin-not-installed");
    std::fs::rename(app.root.join("lib/plugin"), &away).unwrap();
    let model = eggsec_app::load(&app.root, &opts).unwrap();
    assert_eq!(
        model.uncertain.sources.len(),
        1,
        "{:?}",
        model.uncertain.sources
    );
    let norm = Normaliser::new(&oracle, &app.root, &app.home);
    let egg_config = norm.apply(&dump["config"]);
    let ours = norm.apply(&model.uncertain.declared(&model.config).to_tagged_json());
    let mut t = Tally::new(
        "uncertain-unknown-plugin",
        "prod without the plugin",
        &rules,
    );
    for key in COMPARED_KEYS.iter().copied().chain(["openDoc"]) {
        if key != "keys" {
            t.compare(key, egg_config.get(key), ours.get(key));
        }
    }
    assert_eq!(t.mismatched, 0, "{:#?}", t.mismatches);
    for declared in ["security.csrf.enable", "session.httpOnly", "openDoc.route"] {
        assert!(
            t.unknowns
                .iter()
                .any(|u| u.starts_with(&format!("{declared}:"))),
            "{declared} declared unknown: {:#?}",
            t.unknowns
        );
    }
    // what the app sets itself stays certain (and equal to egg)
    assert_eq!(model.doubt_at("security.xframe.value"), None);
    assert_eq!(model.doubt_at("session.maxAge"), None);
    let why = model.doubt_at("security.csrf.enable").unwrap();
    assert!(
        why.contains("plugin `openDoc`") && why.contains("not installed"),
        "{why}"
    );

    // the audit: the CSRF control is not fully assessed, not a certain pass
    let report = eggsec_rules::engine::run(&model, &eggsec_rules::config::Settings::default());
    let csrf_row = report
        .posture
        .iter()
        .flat_map(|r| r.missing.iter())
        .find(|m| m.starts_with("not fully assessed") && m.contains("security.csrf"));
    assert!(csrf_row.is_some(), "{:#?}", report.posture);

    // `eggsec config` shows the doubt on the key
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eggsec"))
        .args(["config", "--env", "prod"])
        .arg(&app.root)
        .arg("security.csrf")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("security.csrf.enable"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("# UNKNOWN: may be changed by plugin `openDoc`"),
        "{text}"
    );

    // `eggsec plugins` and `eggsec routes` say what is unknown
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_eggsec"))
            .args(args)
            .arg(&app.root)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plugins = run(&["plugins", "--env", "prod", "--allow-partial"]);
    assert!(
        plugins.contains("# UNKNOWN: plugin `openDoc`")
            && plugins.contains("eggPlugin (env, dependencies) is unknown"),
        "{plugins}"
    );
    let routes = run(&["routes", "--env", "prod", "--allow-partial"]);
    assert!(
        routes.contains(
            "# UNKNOWN: the middleware chain may also hold middleware that plugin `openDoc`"
        ),
        "{routes}"
    );

    // the plugin list and the middleware chain: differences only where declared unknown
    // (the plugin itself, the `jsonp` egg enables for it, the `openDocGate` it ships, which
    // the comparison finds where egg loaded it from: the plugin is put back for that)
    std::fs::rename(&away, app.root.join("lib/plugin")).unwrap();
    let mut t = Tally::new(
        "uncertain-unknown-plugin",
        "prod without the plugin",
        &rules,
    );
    let declared = Declared::of(&dump, &model);
    compare_plugins(&mut t, &dump, &model, &declared);
    compare_middleware(&mut t, &dump, &model, &declared, false);
    assert_eq!(t.mismatched, 0, "{:#?}", t.mismatches);
    for what in [
        "enabled plugins",
        "plugin_order",
        "middleware order",
        "enabled middleware",
    ] {
        assert!(
            t.unknowns.iter().any(|u| u.starts_with(what)),
            "{what} declared unknown: {:#?}",
            t.unknowns
        );
    }
    assert!(!model.plugin_enabled("jsonp"));
    let (_, reads) = eggsec_app::model::uncertain_reads(|| model.plugin_enabled("jsonp"));
    assert!(
        reads
            .iter()
            .any(|(k, why)| k == "plugins.jsonp" && why.contains("plugin `openDoc`")),
        "{reads:?}"
    );
}
