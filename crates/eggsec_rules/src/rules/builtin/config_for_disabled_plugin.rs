//! `BLT021` `config-for-disabled-plugin`: the app configures a plugin that is not enabled, so
//! the settings (often protections) do nothing.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::{AppModel, PluginState};
use eggsec_js::{Value, ValueKind};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct ConfigForDisabledPlugin;

static META: RuleMeta = RuleMeta {
    code: "BLT021",
    name: "config-for-disabled-plugin",
    strategy: Strategy::Builtin,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "Every plugin the app configures is enabled",
    docs: RuleDocs {
        what: "Finds top-level sections of the app's own config files that belong to a plugin \
that is not enabled — not declared in any `plugin.js`, or set to `enable: false` — such as \
`config.cors` without egg-cors, `config.mysql` without egg-mysql, `config.jwt` without \
egg-jwt, `config.validate` without egg-validate, or `config.session` with the session \
plugin disabled; and `config.view.defaultViewEngine` / `config.view.mapping` naming a view \
engine whose plugin (egg-view-<engine>) is not enabled. Plugins excluded only in the \
audited env by their `env` list are not reported (they run elsewhere), nor is `security` \
(a disabled security plugin is reported by `csrf-disabled`). A section is not idle when \
something else takes it, and is then not reported (the audit records why as a fact): the \
app's own code reading it (`this.config.jwt.secret` for its own token signing, \
`const { redis } = app.config`, midway's `@config('sequelize')`, in `app/`, `lib/`, the boot \
files or an in-repo plugin), or an app-wide middleware of the same name, which egg calls with \
`config[name]` as its options.",
        why: "Config without its plugin is silently ignored: a CORS policy, a JWT secret, a \
validation setting or an upload limit that the team believes is enforced is not. It also \
often means the plugin was removed or renamed in `plugin.js` while the rest of the app still \
relies on it.",
        bad: r#"// config/config.default.js — but config/plugin.js has no `cors` entry
module.exports = {
  cors: {
    origin: 'https://app.example.com',
    allowMethods: 'GET,POST',
  },
};"#,
        good: r#"// config/plugin.js
exports.cors = {
  enable: true,
  package: 'egg-cors',
};"#,
        fix: "Enable the plugin in `config/plugin.js` (`exports.<name> = { enable: true, \
package: '<package>' }`) if the app needs it, or delete the config section if it does not.",
    },
};

/// Config keys owned by a plugin: `(config key, plugin name, packages that provide it)`.
const OWNERS: &[(&str, &str, &[&str])] = &[
    ("cors", "cors", &["egg-cors", "@eggjs/cors"]),
    ("mysql", "mysql", &["egg-mysql", "@eggjs/mysql"]),
    ("redis", "redis", &["egg-redis", "@eggjs/redis"]),
    ("jwt", "jwt", &["egg-jwt"]),
    ("sequelize", "sequelize", &["egg-sequelize"]),
    ("mongoose", "mongoose", &["egg-mongoose"]),
    ("validate", "validate", &["egg-validate", "@eggjs/validate"]),
    ("passport", "passport", &["egg-passport", "@eggjs/passport"]),
    ("io", "io", &["egg-socket.io"]),
    ("oss", "oss", &["egg-oss"]),
    (
        "nunjucks",
        "nunjucks",
        &["egg-view-nunjucks", "@eggjs/view-nunjucks"],
    ),
    ("ejs", "ejs", &["egg-view-ejs"]),
    ("session", "session", &["egg-session", "@eggjs/session"]),
    (
        "multipart",
        "multipart",
        &["egg-multipart", "@eggjs/multipart"],
    ),
    ("jsonp", "jsonp", &["egg-jsonp", "@eggjs/jsonp"]),
    ("static", "static", &["egg-static", "@eggjs/static"]),
    ("onerror", "onerror", &["egg-onerror", "@eggjs/onerror"]),
    ("i18n", "i18n", &["egg-i18n", "@eggjs/i18n"]),
    (
        "logrotator",
        "logrotator",
        &["egg-logrotator", "@eggjs/logrotator"],
    ),
    ("view", "view", &["egg-view", "@eggjs/view"]),
];

/// How a plugin stands in the audited env.
enum Standing<'a> {
    Enabled,
    /// Excluded in this env by its `env` list only: it runs in other envs.
    OtherEnv,
    Disabled(&'a PluginState),
    Missing,
}

fn standing<'a>(app: &'a AppModel, name: &str, packages: &[&str]) -> Standing<'a> {
    let matching = app.plugins.iter().filter(|p| {
        p.name == name
            || p.package
                .as_deref()
                .is_some_and(|pkg| packages.contains(&pkg))
    });
    let mut found = None;
    for p in matching {
        if p.enabled {
            return Standing::Enabled;
        }
        if p.env_excluded {
            return Standing::OtherEnv;
        }
        found = Some(p);
    }
    found.map_or(Standing::Missing, Standing::Disabled)
}

/// Whether a config section is only a switch-off (`false`, `{ enable: false }`).
fn switched_off(value: &Value) -> bool {
    match &value.kind {
        ValueKind::Bool(false) => true,
        ValueKind::Object(o) => o.get("enable").and_then(Value::as_bool) == Some(false),
        _ => false,
    }
}

impl Rule for ConfigForDisabledPlugin {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        // read only when a section without its plugin is found
        let mut code_reads: Option<Vec<(String, eggsec_app::usage::Evidence)>> = None;
        for (key, plugin, packages) in OWNERS {
            let written = app.app_layers().filter(|l| !l.embedded).find_map(|l| {
                l.value
                    .get(key)
                    .filter(|v| !v.is_undefined())
                    .map(|v| (l, v))
            });
            let Some((layer, value)) = written else {
                continue;
            };
            if switched_off(value) {
                continue;
            }
            let state = match standing(app, plugin, packages) {
                Standing::Enabled | Standing::OtherEnv => continue,
                Standing::Disabled(p) => format!("is disabled ({})", cx.location(&p.decided_by)),
                // A plugin file that could not be evaluated may declare it: not assessed.
                Standing::Missing if app.plugins_unknown().is_some() => {
                    cx.not_applicable();
                    continue;
                }
                Standing::Missing => "is not in any plugin.js".to_string(),
            };
            let file = cx.relative_path(&layer.file.to_string_lossy());
            // The section is not idle when something else takes it: the app's own code
            // reading `config.<key>` (its own JWT signing, a midway `@config('sequelize')`),
            // or an app-wide middleware of that name (egg calls it with `config[name]`).
            let reads = code_reads.get_or_insert_with(|| eggsec_app::usage::config_reads(app));
            if let Some((_, at)) = reads.iter().find(|(k, _)| k == key) {
                cx.fact(format!(
                    "`config.{key}` is set in {file} without the `{plugin}` plugin, and the \
app's own code reads it ({at})"
                ));
                continue;
            }
            if let Some(mw) = app
                .global_middleware()
                .iter()
                .find(|m| m.enabled && m.name == *key)
            {
                cx.fact(format!(
                    "`config.{key}` is set in {file} without the `{plugin}` plugin: it is the \
options of the app-wide middleware `{}`",
                    mw.name
                ));
                continue;
            }
            let prov = value.prov.clone();
            cx.report(
                &prov,
                format!(
                    "`config.{key}` is set in {file}, but the `{plugin}` plugin ({}) {state}, so \
this config has no effect in {}",
                    packages[0], app.env
                ),
                vec![format!(
                    "config.{key} set in {file}; plugin {plugin} not enabled"
                )],
                format!(
                    "Enable the plugin if the app relies on it:\n\n```js\n// config/plugin.js\n\
exports.{plugin} = {{\n  enable: true,\n  package: '{}',\n}};\n```\n\nor delete \
`config.{key}` from {file}.",
                    packages[0]
                ),
            );
        }
        check_view_engines(cx);
    }
}

/// `view.defaultViewEngine` / `view.mapping` naming an engine without an enabled plugin.
fn check_view_engines(cx: &mut RuleContext<'_>) {
    let app = cx.app;
    let mut engines: Vec<&Value> = Vec::new();
    for layer in app.app_layers().filter(|l| !l.embedded) {
        if let Some(default) = layer.value.get_path("view.defaultViewEngine") {
            engines.push(default);
        }
        if let Some(mapping) = layer
            .value
            .get_path("view.mapping")
            .and_then(Value::as_object)
        {
            engines.extend(mapping.values());
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for value in engines {
        let Some(engine) = value.as_str().filter(|e| !e.is_empty()) else {
            continue;
        };
        if seen.iter().any(|s| s == engine) {
            continue;
        }
        seen.push(engine.to_string());
        let packages = [
            format!("egg-view-{engine}"),
            format!("@eggjs/view-{engine}"),
        ];
        let packages: Vec<&str> = packages.iter().map(String::as_str).collect();
        let state = match standing(app, engine, &packages) {
            Standing::Enabled | Standing::OtherEnv => continue,
            Standing::Disabled(_) => "is disabled",
            Standing::Missing => "is not in any plugin.js",
        };
        let prov = value.prov.clone();
        cx.report(
            &prov,
            format!(
                "The view engine `{engine}` is configured in `config.view`, but its plugin \
(egg-view-{engine}) {state}, so rendering with it fails in {}",
                app.env
            ),
            vec![format!("view engine '{engine}' without an enabled plugin")],
            format!(
                "Enable the view engine plugin:\n\n```js\n// config/plugin.js\nexports.{engine} = \
{{\n  enable: true,\n  package: 'egg-view-{engine}',\n}};\n```\n\nor remove it from \
`config.view`."
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_cors_and_mysql_without_plugins() {
        let app = test_model(json!({
            "cors": {"$at": "config/config.default.js:4:15", "$value": {"origin": "https://a.example.com"}},
            "mysql": {"client": {"host": "db"}}
        }));
        let findings = run_rule(&ConfigForDisabledPlugin, &app);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.default.js:4:15"
        );
        assert!(findings[0].message.contains("egg-cors"));
    }

    #[test]
    fn hit_disabled_builtin_and_view_engine() {
        let mut app = test_model(json!({
            "session": {"maxAge": 3600000},
            "view": {"defaultViewEngine": "nunjucks", "mapping": {".tpl": "nunjucks"}}
        }));
        set_plugin(&mut app, "session", false);
        let findings = run_rule(&ConfigForDisabledPlugin, &app);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert!(findings[1].message.contains("nunjucks"));
    }

    #[test]
    fn no_hit_with_plugins_enabled_switched_off_or_other_env() {
        let mut app = test_model(json!({
            "cors": {"origin": "https://a.example.com"},
            "view": {"defaultViewEngine": "nunjucks"},
            "mysql": {"enable": false},
            "session": {"maxAge": 1000},
            "security": {"csrf": {"enable": true}},
            "development": {"watchDirs": ["lib"]}
        }));
        set_plugin(&mut app, "cors", true);
        set_plugin(&mut app, "nunjucks", true);
        set_plugin(&mut app, "security", false);
        assert!(run_rule(&ConfigForDisabledPlugin, &app).is_empty());
        // a plugin found by package under another name
        let mut app = test_model(json!({"redis": {"client": {}}}));
        set_plugin(&mut app, "myRedis", true);
        app.plugins.last_mut().unwrap().package = Some("egg-redis".into());
        assert!(run_rule(&ConfigForDisabledPlugin, &app).is_empty());
    }

    const PKG: (&str, &str) = (
        "package.json",
        r#"{"name":"a","dependencies":{"egg":"^3.0.0"}}"#,
    );

    /// An app with `config.jwt` and `config.cors` and no plugin.js, plus `files`.
    fn jwt_app(files: &[(&'static str, &'static str)]) -> (tempfile::TempDir, AppModel) {
        let mut all = vec![
            PKG,
            (
                "config/config.default.js",
                "module.exports = { keys: 'k', jwt: { secret: 's3cr3t-value' }, cors: { origin: '*' } };\n",
            ),
        ];
        all.extend_from_slice(files);
        crate::testing::load_app(&all)
    }

    fn reported_keys(app: &AppModel) -> Vec<String> {
        run_rule(&ConfigForDisabledPlugin, app)
            .iter()
            .map(|f| f.message.split('`').nth(1).unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn hit_config_no_code_reads() {
        // the app signs nothing itself; a look-alike `config.jwt` on another object is no read
        let (_tmp, app) = jwt_app(&[(
            "app/service/user.js",
            "module.exports = app => class extends app.Service {\n  f(opts) { return opts.settings.config.jwt; }\n};\n",
        )]);
        assert_eq!(reported_keys(&app), ["config.cors", "config.jwt"]);
    }

    #[test]
    fn no_hit_when_the_apps_own_code_reads_the_section() {
        // blog-server: its login service signs tokens with jsonwebtoken and `config.jwt.secret`
        let (_tmp, app) = jwt_app(&[(
            "app/service/login.js",
            "const JWT = require('jsonwebtoken');\nmodule.exports = app => class extends app.Service {\n  sign(id) { return JWT.sign({ id }, this.config.jwt.secret); }\n};\n",
        )]);
        let settings = Default::default();
        let mut cx = crate::RuleContext::new(&app, &settings, ConfigForDisabledPlugin.meta());
        ConfigForDisabledPlugin.check(&mut cx);
        let (findings, facts) = cx.into_parts();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("config.cors"));
        assert!(
            facts.iter().any(|f| f.contains("app/service/login.js:3")),
            "{facts:?}"
        );
        // destructured from `app.config`, and midway's `@config('jwt')` in lib/
        for (file, text) in [
            ("app.js", "module.exports = app => { const { jwt } = app.config; app.jwtSecret = jwt.secret; };\n"),
            ("lib/models/db.ts", "export class Db {\n  @config('jwt')\n  cfg: any;\n}\n"),
        ] {
            let (_tmp, app) = jwt_app(&[(file, text)]);
            assert_eq!(reported_keys(&app), ["config.cors"], "{file}");
        }
    }

    #[test]
    fn no_hit_when_an_app_middleware_takes_the_section_as_options() {
        // egg calls every app-wide middleware with `config[name]`
        let (_tmp, app) = jwt_app(&[
            ("config/config.prod.js", "exports.middleware = ['jwt'];\n"),
            (
                "app/middleware/jwt.js",
                "module.exports = options => async (ctx, next) => { if (!options.secret) ctx.throw(500); await next(); };\n",
            ),
        ]);
        assert_eq!(reported_keys(&app), ["config.cors"]);
    }
}
