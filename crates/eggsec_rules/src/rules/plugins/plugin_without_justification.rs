//! `PLG002` `plugin-without-justification`: a plugin the app enables itself with no written
//! reason in `eggsec.toml`.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct PluginWithoutJustification;

static META: RuleMeta = RuleMeta {
    code: "PLG002",
    name: "plugin-without-justification",
    strategy: Strategy::Plugins,
    severity: Severity::Info,
    confidence: Confidence::High,
    control: "Every plugin the app enables has a written justification",
    docs: RuleDocs {
        what: "Finds plugins that the app's own `config/plugin*.js` enables (not egg's \
defaults the app leaves alone) with no `[plugins.<name>] reason = \"...\"` in `eggsec.toml`. \
The posture report lists every justified plugin with its reason.",
        why: "Least privilege for plugins means each one is there for a reason someone wrote \
down: a reviewer can then challenge it, and a plugin whose reason is gone (the feature was \
removed) is easy to spot and disable.",
        bad: r#"// config/plugin.js, and no eggsec.toml entry
exports.redis = { enable: true, package: 'egg-redis' };"#,
        good: r#"# eggsec.toml
[plugins.redis]
reason = "rate limiting and the session store""#,
        fix: "Add a section per plugin to `eggsec.toml` at the app root:\n\n```toml\n\
[plugins.redis]\nreason = \"rate limiting and the session store\"\n```\n\nor disable the \
plugin if nobody can say why it is there.",
    },
};

impl Rule for PluginWithoutJustification {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let config_dir = app.root.join("config");
        for p in app
            .plugins
            .iter()
            .filter(|p| p.enabled && !p.implicit_enable)
        {
            if let Some(j) = cx.settings.plugins.get(&p.name) {
                cx.fact(format!("plugin `{}`: {}", p.name, j.reason));
                continue;
            }
            let decided_here = std::path::Path::new(&*p.decided_by.file).starts_with(&config_dir);
            if !decided_here {
                continue;
            }
            cx.report(
                &p.decided_by,
                format!(
                    "Plugin `{}` is enabled by the app with no written reason in eggsec.toml",
                    p.name
                ),
                vec![format!(
                    "enabled at {}; no [plugins.{}] in eggsec.toml",
                    cx.location(&p.decided_by),
                    p.name
                )],
                format!(
                    "Write why the app needs it in `eggsec.toml`:\n\n```toml\n[plugins.{}]\n\
                     reason = \"...\"\n```",
                    p.name
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
    fn hit_app_enabled_plugin_without_reason() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "redis", true);
        let f = run_rule(&PluginWithoutJustification, &app);
        assert_eq!(f.len(), 1, "egg's untouched defaults are not reported");
        assert_eq!(f[0].location.to_string(), "config/plugin.js:1:1");
    }

    #[test]
    fn no_hit_with_reason_and_it_becomes_a_fact() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "redis", true);
        set_plugin(&mut app, "mysql", false);
        let settings = crate::config::Settings::parse(
            "[plugins.redis]\nreason = \"sessions\"\n",
            "eggsec.toml",
        );
        let mut cx = RuleContext::new(&app, &settings, PluginWithoutJustification.meta());
        PluginWithoutJustification.check(&mut cx);
        let (findings, facts) = cx.into_parts();
        assert!(findings.is_empty());
        assert_eq!(facts, ["plugin `redis`: sessions"]);
    }
}
