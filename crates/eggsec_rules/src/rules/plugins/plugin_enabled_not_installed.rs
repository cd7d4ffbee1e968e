//! `PLG004` `plugin-enabled-not-installed`: an enabled plugin whose package or path is not
//! there.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct PluginEnabledNotInstalled;

static META: RuleMeta = RuleMeta {
    code: "PLG004",
    name: "plugin-enabled-not-installed",
    strategy: Strategy::Plugins,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Every enabled plugin is installed",
    docs: RuleDocs {
        what: "Finds enabled plugins that cannot be found: a `path` that does not exist, or \
(when the app has a `node_modules` directory) a package that is not installed. Without any \
`node_modules` (a source checkout) packages are not checked.",
        why: "Egg refuses to start when a plugin cannot be found. More dangerous is the \
opposite case in a build: a `package` name that is not in package.json is installed by \
whoever publishes that name first (dependency confusion), and its code then runs inside the \
app with every secret it has.",
        bad: r#"// config/plugin.js — but egg-sentry is not a dependency
exports.sentry = { enable: true, package: 'egg-sentry' };"#,
        good: r#"// package.json
"dependencies": { "egg-sentry": "^1.0.0" }"#,
        fix: "Add the package to package.json `dependencies` (and install it), fix the \
`path`, or remove the entry.",
    },
};

impl Rule for PluginEnabledNotInstalled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let has_node_modules = eggsec_fs::is_dir(&app.root.join("node_modules"));
        for p in app.plugins.iter().filter(|p| p.enabled && !p.installed) {
            let what = match (&p.path, &p.package) {
                (Some(path), _) if !eggsec_fs::is_dir(path) => format!(
                    "path {} does not exist",
                    cx.relative_path(&path.to_string_lossy())
                ),
                (_, pkg) if has_node_modules => format!(
                    "package `{}` is not in node_modules",
                    pkg.as_deref().unwrap_or(&p.name)
                ),
                _ => continue,
            };
            cx.report(
                &p.decided_by,
                format!("Plugin `{}` is enabled but not installed: {what}", p.name),
                vec![what.clone()],
                META.docs.fix,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model, test_model_in};
    use serde_json::json;

    #[test]
    fn hit_missing_package_with_node_modules_and_missing_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("node_modules")).unwrap();
        let mut app = test_model_in(dir.path(), json!({}));
        set_plugin(&mut app, "sentry", true);
        app.plugins.last_mut().unwrap().installed = false;
        assert_eq!(run_rule(&PluginEnabledNotInstalled, &app).len(), 1);

        let mut app = test_model(json!({}));
        set_plugin(&mut app, "audit", true);
        let p = app.plugins.last_mut().unwrap();
        p.installed = false;
        p.path = Some("/app/lib/plugin/nope".into());
        let f = run_rule(&PluginEnabledNotInstalled, &app);
        assert!(
            f[0].message.contains("lib/plugin/nope does not exist"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn no_hit_in_a_source_checkout() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "sentry", true);
        app.plugins.last_mut().unwrap().installed = false;
        assert!(run_rule(&PluginEnabledNotInstalled, &app).is_empty());
    }
}
