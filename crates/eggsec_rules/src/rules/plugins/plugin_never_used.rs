//! `PLG001` `plugin-never-used`: an enabled plugin whose contributions nothing in the app uses.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::usage::{analyze, Verdict};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct PluginNeverUsed;

static META: RuleMeta = RuleMeta {
    code: "PLG001",
    name: "plugin-never-used",
    strategy: Strategy::Plugins,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "Every enabled plugin is used by the app",
    docs: RuleDocs {
        what: "Finds enabled plugins that nothing in the app uses. eggsec reads what each plugin \
contributes — from the installed plugin (`app/extend/*`, what its `app.js`/`agent.js` add to \
`app`/`ctx`, its middleware, services, schedules and config keys) and from its built-in \
knowledge of egg's twelve default plugins and the most used community plugins — and searches \
the app's code (`app/`, `lib/`, `app.js`, `agent.js`), views and config for it: `app.mysql`, \
`this.app.redis`, `const { ctx: { app: { redis } } } = this`, `ctx.render`, `ctx.validate`, \
`ctx.__`, `ctx.getFileStream`, `ctx.service.<its service>`, helper calls, files in \
`app/schedule` or `app/public`, `config.static.dir` set by the app, `app.jsonp()` in the \
router, and its middleware in the app's middleware list after every boot hook (an in-repo \
plugin's `configWillLoad` that pushes its own router middleware is a use). An in-repo plugin with a \
schedule of its own runs in the app and is never reported. A plugin is reported only when \
eggsec knows what it contributes, every file could be read, the config it is looked for in \
(`config.middleware`, `config.static.dir`) is known, no code reaches `app`/`ctx` by \
computed names, and no enabled plugin requires it; security-critical and infrastructure \
plugins (`security`, `onerror`, `logrotator`, `development`) are never reported, nor are \
plugins with a written reason in `eggsec.toml`.",
        why: "Egg enables twelve plugins by default and every one of them is code that runs \
in the app: `jsonp` adds a callback endpoint shape, `multipart` parses uploads, `static` \
serves files, `view` renders templates, `i18n` reads a locale cookie. A JSON API that uses \
none of them still carries their bugs and their configuration mistakes. Generic \
unused-dependency tools cannot tell, because egg loads plugins by name from `config/plugin.js`.",
        bad: r#"// config/plugin.js — a JSON API that never renders a view, takes an upload,
// serves a static file or answers JSONP, with egg's defaults left on
exports.validate = { enable: true, package: 'egg-validate' };"#,
        good: r#"// config/plugin.js
exports.validate = { enable: true, package: 'egg-validate' };
exports.view = false;
exports.multipart = false;
exports.static = false;
exports.jsonp = false;
exports.i18n = false;"#,
        fix: "Disable the plugin in `config/plugin.js` (`exports.<name> = false;`), or run \
`eggsec fix --plugins` to see the edit as a diff and `eggsec fix --plugins --write` to apply \
it. Delete the plugin's config section too. If the plugin is needed in a way eggsec cannot \
see, write why in `eggsec.toml`:\n\n```toml\n[plugins.view]\nreason = \"admin pages are \
rendered with nunjucks\"\n```",
    },
};

impl Rule for PluginNeverUsed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let usage = analyze(app);
        for u in &usage.plugins {
            let Some(state) = app.plugin(&u.name) else {
                continue;
            };
            match &u.verdict {
                Verdict::Used(ev) => {
                    if let Some(first) = ev.first() {
                        cx.fact(format!("plugin `{}` used ({first})", u.name));
                    }
                }
                Verdict::Unused { searched } => {
                    if cx.settings.plugins.contains_key(&u.name) {
                        continue;
                    }
                    let package = state
                        .package
                        .as_deref()
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default();
                    let mut evidence = vec![format!(
                        "searched {} code files{} for: {}",
                        usage.files_scanned,
                        if eggsec_fs::is_dir(&app.root.join("app/view")) {
                            " and app/view"
                        } else {
                            ""
                        },
                        searched.join(", ")
                    )];
                    for c in &u.configured_at {
                        evidence.push(format!("{c} (delete it with the plugin)"));
                    }
                    let remediation = format!(
                        "Disable it in `config/plugin.js`:\n\n```js\nexports.{} = false;\n```\n\n\
                         `eggsec fix --plugins` shows this edit as a diff; `--write` applies it. \
                         If the app needs it in a way eggsec cannot see, write why in \
                         `eggsec.toml`:\n\n```toml\n[plugins.{}]\nreason = \"...\"\n```",
                        u.name, u.name
                    );
                    // The evidence says how the search went (how many files, which names:
                    // one more file in the app, or the plugin's code installed, changes it);
                    // the finding is the plugin.
                    cx.report(
                        &state.decided_by,
                        format!(
                            "Plugin `{}`{package} is enabled in {} but nothing in the app uses it",
                            u.name, app.env
                        ),
                        evidence,
                        remediation,
                    )
                    .set_identity(format!("plugin {}", u.name));
                }
                Verdict::Kept(_) | Verdict::Unknown(_) | Verdict::Disabled => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use serde_json::json;

    fn write(root: &std::path::Path, file: &str, text: &str) {
        let p = root.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn unused_names(root: &std::path::Path) -> Vec<String> {
        let app = test_model_in(root, json!({}));
        let mut names: Vec<String> = run_rule(&PluginNeverUsed, &app)
            .iter()
            .map(|f| f.message.split('`').nth(1).unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// An app whose one controller answers JSON.
    fn json_api() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "app/controller/home.js",
            "module.exports = class { async index() { this.ctx.body = { ok: true }; } };",
        );
        dir
    }

    #[test]
    fn hit_json_api_reports_the_defaults_it_does_not_use() {
        let dir = json_api();
        let root = dir.path();
        assert_eq!(
            unused_names(root),
            [
                "i18n",
                "jsonp",
                "multipart",
                "schedule",
                "session",
                "static",
                "view",
                "watcher"
            ]
        );
        let app = test_model_in(root, json!({}));
        let f = &run_rule(&PluginNeverUsed, &app)[0];
        assert!(
            f.evidence[0].starts_with("searched 1 code files for: "),
            "{:?}",
            f.evidence
        );
    }

    #[test]
    fn one_more_file_in_the_app_keeps_each_findings_fingerprint() {
        let dir = json_api();
        let root = dir.path();
        let fingerprints = |root: &std::path::Path| -> Vec<(String, String, String)> {
            let app = test_model_in(root, json!({}));
            run_rule(&PluginNeverUsed, &app)
                .into_iter()
                .map(|f| (f.message, f.evidence[0].clone(), f.fingerprint))
                .collect()
        };
        let before = fingerprints(root);
        write(
            root,
            "app/controller/user.js",
            "module.exports = class { async show() { this.ctx.body = { id: 1 }; } };",
        );
        let after = fingerprints(root);
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b.0, a.0);
            // the evidence still says how far the search went ...
            assert!(b.1.starts_with("searched 1 code files"), "{}", b.1);
            assert!(a.1.starts_with("searched 2 code files"), "{}", a.1);
            // ... and the finding keeps its identity
            assert_eq!(b.2, a.2, "{}", b.0);
        }
        let distinct: std::collections::BTreeSet<&String> = after.iter().map(|f| &f.2).collect();
        assert_eq!(distinct.len(), after.len(), "one fingerprint per plugin");
    }

    #[test]
    fn no_hit_for_what_the_app_uses() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "app/controller/home.js",
            "class H { async index() {\n  const { ctx } = this;\n  ctx.session.n = 1;\n  await ctx.render('home.tpl', { t: ctx.__('hi') });\n  const stream = await ctx.getFileStream();\n} }\nmodule.exports = H;",
        );
        write(root, "app/router.js", "module.exports = app => { app.router.get('/j', app.jsonp(), app.controller.home.index); };");
        write(
            root,
            "app/schedule/cleanup.js",
            "module.exports = { schedule: { interval: '1m' }, async task() {} };",
        );
        write(root, "app/public/logo.svg", "<svg/>");
        write(
            root,
            "agent.js",
            "module.exports = agent => agent.watcher.watch('/tmp', () => {});",
        );
        assert!(unused_names(root).is_empty(), "{:?}", unused_names(root));
    }

    #[test]
    fn unknown_is_never_unused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // A file that does not parse: nothing can be proven unused.
        write(root, "app/controller/broken.js", "module.exports = {");
        assert!(unused_names(root).is_empty());
        // Computed access on ctx: property plugins cannot be proven unused.
        std::fs::remove_file(root.join("app/controller/broken.js")).unwrap();
        write(
            root,
            "app/controller/dyn.js",
            "module.exports = (ctx, name) => ctx[name]();",
        );
        assert_eq!(
            unused_names(root),
            ["static"],
            "only a directory plugin is still decidable"
        );
    }

    #[test]
    fn justification_silences_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "app/controller/home.js", "module.exports = {};");
        let app = test_model_in(root, json!({}));
        let settings = crate::config::Settings::parse(
            "[plugins.view]\nreason = \"admin pages\"\n",
            "eggsec.toml",
        );
        let mut cx = RuleContext::new(&app, &settings, PluginNeverUsed.meta());
        PluginNeverUsed.check(&mut cx);
        assert!(!cx.findings().iter().any(|f| f.message.contains("`view`")));
        assert!(cx.findings().iter().any(|f| f.message.contains("`jsonp`")));
    }
}
