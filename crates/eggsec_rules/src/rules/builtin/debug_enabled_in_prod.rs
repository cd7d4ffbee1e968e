//! `BLT020` `debug-enabled-in-prod`: development-only switches are on in a deployed env
//! (`config.debug: true`, the `development` plugin, `watcher.type: 'development'`).

use crate::util::is_dev_env;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct DebugEnabledInProd;

static META: RuleMeta = RuleMeta {
    code: "BLT020",
    name: "debug-enabled-in-prod",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Development-only features are off outside local/unittest",
    docs: RuleDocs {
        what: "In an env other than `local` and `unittest`, finds `config.debug` set to \
`true`, the `development` plugin (egg-development: file watching, reload, the \
`/__loader_trace__` page) enabled, or `config.watcher.type: 'development'`. egg turns all of \
them off outside local by default; each finding is something the app switched on.",
        why: "Debug switches are written for a developer's machine: they expose internals \
(egg-development's loader trace page, verbose debug output and error details that app code \
gates on `config.debug`), restart workers when files change, and cost CPU and memory on \
every request. In production they widen what an attacker learns and can trigger.",
        bad: r#"// config/plugin.js
exports.development = {
  enable: true,
  package: 'egg-development',
  env: [ 'local', 'prod' ],
};
// config/config.prod.js
module.exports = { debug: true };"#,
        good: r#"// config/plugin.js — egg's default: only for local and unittest
exports.development = {
  enable: true,
  package: 'egg-development',
  env: [ 'local', 'unittest' ],
};
// config/config.local.js
module.exports = { debug: true };"#,
        fix: "Keep debug switches in `config/config.local.js` and `config/plugin.local.js` (or \
an `env: [ 'local', 'unittest' ]` list), and delete them from `config.default.js`, \
`config.prod.js` and `plugin.js`.",
    },
};

impl Rule for DebugEnabledInProd {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let env = app.env.clone();
        if let Some(debug) = app.config_at("debug").filter(|v| v.as_bool() == Some(true)) {
            let prov = debug.prov.clone();
            cx.report(
                &prov,
                format!("`config.debug` is true in {env}"),
                vec![format!("debug = true (env {env})")],
                "Set `debug: true` only in `config/config.local.js`, and make sure \
`config.default.js` and `config.prod.js` leave it false.",
            );
        }
        if let Some(plugin) = app.plugin("development").filter(|p| p.enabled) {
            let prov = plugin.decided_by.clone();
            cx.report(
                &prov,
                format!(
                    "The development plugin (egg-development) is enabled in {env}: file \
watching, worker reloads and its /__loader_trace__ page run in a deployed app"
                ),
                vec![format!("plugin development enabled in {env}")],
                "Limit the plugin to developer machines in `config/plugin.js`:\n\n```js\n\
exports.development = {\n  enable: true,\n  package: 'egg-development',\n  env: [ 'local', \
'unittest' ],\n};\n```",
            );
        }
        if let Some(watcher) = app
            .config_at("watcher.type")
            .filter(|v| v.as_str() == Some("development"))
        {
            let prov = watcher.prov.clone();
            cx.report(
                &prov,
                format!(
                    "`watcher.type` is 'development' in {env}: egg-watcher polls the \
file system as on a developer machine"
                ),
                vec![format!("watcher.type = 'development' (env {env})")],
                "Remove `watcher.type` from `config.default.js` / `config.prod.js` (egg sets \
'development' itself in `local`), or set `watcher: { type: 'default' }`.",
            )
            .severity = Severity::Low;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_debug_plugin_and_watcher() {
        let mut app = test_model(json!({
            "debug": {"$at": "config/config.prod.js:2:10", "$value": true},
            "watcher": {"type": "development"}
        }));
        set_plugin(&mut app, "development", true);
        let findings = run_rule(&DebugEnabledInProd, &app);
        assert_eq!(findings.len(), 3);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:2:10"
        );
        assert_eq!(findings[1].location.to_string(), "config/plugin.js:1:1");
        assert_eq!(findings[2].severity, Severity::Low);
    }

    #[test]
    fn no_hit_in_local_or_with_defaults() {
        let mut app = test_model(json!({"debug": true, "watcher": {"type": "development"}}));
        app.env = "local".into();
        set_plugin(&mut app, "development", true);
        assert!(run_rule(&DebugEnabledInProd, &app).is_empty());
        for config in [
            json!({"debug": false, "watcher": {"type": "default"}}),
            json!({"debug": {"$env": "DEBUG", "default": null}}),
            json!({}),
        ] {
            let app = test_model(config.clone());
            assert!(run_rule(&DebugEnabledInProd, &app).is_empty(), "{config}");
        }
    }
}
