//! `PLG003` `development-plugin-in-prod`: a development-only plugin (egg-development,
//! egg-logview, swagger docs, mock plugins) enabled in a deployed env.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::contributions::known;
use eggsec_app::PluginState;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct DevelopmentPluginInProd;

static META: RuleMeta = RuleMeta {
    code: "PLG003",
    name: "development-plugin-in-prod",
    strategy: Strategy::Plugins,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Development-only plugins are off in deployed envs",
    docs: RuleDocs {
        what: "Finds development tools enabled in an env other than `local` and `unittest`: \
egg-development (worker reload), egg-logview (serves log files over HTTP), swagger/API doc \
plugins (egg-swagger-doc and the like), and plugins named as mocks.",
        why: "These plugins exist to help on a developer's machine: they serve logs and API \
descriptions, watch files and reload code. In production they hand an attacker the app's logs \
(tokens, user data), a map of every endpoint, and extra code paths nobody reviews.",
        bad: r#"// config/plugin.js
exports.logview = { enable: true, package: 'egg-logview' };"#,
        good: r#"// config/plugin.js
exports.logview = { enable: true, package: 'egg-logview', env: [ 'local' ] };"#,
        fix: "Restrict the plugin to development envs with `env: [ 'local' ]` in its entry, or \
move the entry to `config/plugin.local.js`.",
    },
};

fn dev_only(p: &PluginState) -> bool {
    if known(p).is_some_and(|k| k.dev_only) {
        return true;
    }
    let name = format!("{} {}", p.name, p.package.as_deref().unwrap_or("")).to_lowercase();
    [
        "development",
        "logview",
        "swagger",
        "mock",
        "devtool",
        "apidoc",
    ]
    .iter()
    .any(|w| name.contains(w))
}

impl Rule for DevelopmentPluginInProd {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if matches!(app.env.as_str(), "local" | "unittest") {
            cx.not_applicable();
            return;
        }
        for p in app.plugins.iter().filter(|p| p.enabled && dev_only(p)) {
            cx.report(
                &p.decided_by,
                format!("Development plugin `{}` is enabled in {}", p.name, app.env),
                vec![format!(
                    "plugin `{}` ({}) enabled, env list: {}",
                    p.name,
                    p.package.as_deref().unwrap_or("local path"),
                    if p.env.is_empty() {
                        "all envs".to_string()
                    } else {
                        p.env.join(",")
                    }
                )],
                format!(
                    "Limit it to development:\n\n```js\nexports.{} = {{\n  enable: true,\n  \
                     package: '{}',\n  env: [ 'local' ],\n}};\n```",
                    p.name,
                    p.package.as_deref().unwrap_or("...")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_logview_and_development_in_prod() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "logview", true);
        set_plugin(&mut app, "development", true);
        let f = run_rule(&DevelopmentPluginInProd, &app);
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn no_hit_by_default_or_in_local() {
        let mut app = test_model(json!({}));
        assert!(
            run_rule(&DevelopmentPluginInProd, &app).is_empty(),
            "egg's development is local-only"
        );
        set_plugin(&mut app, "logview", true);
        app.env = "local".into();
        assert!(run_rule(&DevelopmentPluginInProd, &app).is_empty());
    }
}
