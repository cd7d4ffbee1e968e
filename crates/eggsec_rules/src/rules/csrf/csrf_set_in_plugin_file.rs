//! `CSRF005` `csrf-set-in-plugin-file`: CSRF settings written in `config/plugin.js`, where egg
//! reads only plugin entries, so they have no effect.

use crate::egg_security::{sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::config::type_names;
use eggsec_js::{eval_file, AppInfo, EvalOptions, Value};
use eggsec_report::{Confidence, Severity, Strategy};
use std::path::{Path, PathBuf};

pub struct CsrfSetInPluginFile;

static META: RuleMeta = RuleMeta {
    code: "CSRF005",
    name: "csrf-set-in-plugin-file",
    strategy: Strategy::Csrf,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control:
        "CSRF settings live in config files (`config.security.csrf`), not in `config/plugin.js`",
    docs: RuleDocs {
        what: "Finds CSRF settings in the plugin files egg reads for the audited env \
(`config/plugin.js`, `plugin.default.js`, `plugin.<env>.js`...): an entry named `csrf` \
(`exports.csrf = { enable: false }`) or a `csrf` key inside the `security` entry \
(`exports.security = { enable: true, csrf: {...} }`).",
        why: "egg reads plugin files only for plugin entries (`enable`, `package`, `path`, \
`env`, `dependencies`); egg-security reads its options from `config.security` in \
`config/config.*.js`. So `exports.csrf = {...}` declares a plugin named `csrf` (egg resolves an \
npm package called `csrf`, and fails at startup with `Can not find plugin csrf` if none is \
installed), and a `csrf` key inside the `security` entry is dropped. Either way the CSRF \
configuration the team believes is in force — a stricter `type`, `useSession`, a narrower \
`ignore` — is not: egg-security runs with the values from the config files.",
        bad: r#"// config/plugin.js
exports.security = {
  enable: true,
  csrf: { type: 'all', useSession: true }, // ignored by egg
};"#,
        good: r#"// config/plugin.js
exports.security = true;

// config/config.default.js
module.exports = {
  security: {
    csrf: { type: 'all', useSession: true },
  },
};"#,
        fix: "Move the settings into `config.security.csrf` in `config/config.default.js` (or \
the env's `config/config.<env>.js`), and leave only the plugin switch in `config/plugin.js` \
(`exports.security = true;`).",
    },
};

/// The fields egg reads from a plugin entry (egg-core `normalizePluginConfig`).
const PLUGIN_FIELDS: &[&str] = &[
    "enable",
    "package",
    "path",
    "env",
    "dependencies",
    "dep",
    "optionalDependencies",
    "skipMerge",
];

/// Extensions tried for a plugin file, in egg 2/3 then egg 4 order.
const EXTENSIONS: &[&str] = &["js", "cjs", "mjs", "ts", "mts", "cts", "json"];

impl Rule for CsrfSetInPluginFile {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        // With the CSRF check off, `csrf-disabled` carries the posture (a finding still counts).
        if !matches!(sub_middleware(app, "csrf"), SubMiddleware::Enabled(_)) {
            cx.not_applicable();
        }
        let mut info = AppInfo::new(&app.name, &app.root, &app.env);
        info.scope = app.scope.clone();
        for file in plugin_files(&app.root, &app.env, &app.scope) {
            // Unreadable or unparseable files are the loader's diagnostics, not a finding.
            let Ok(module) = eval_file(&file, &EvalOptions::raw(&info)) else {
                continue;
            };
            let shown = cx.relative_path(&file.to_string_lossy());
            if let Some(entry) = module.exports.get("csrf") {
                let is_real_plugin = entry.get("package").is_some() || entry.get("path").is_some();
                if !is_real_plugin {
                    cx.report(
                        &entry.prov,
                        format!(
                            "{shown} declares a plugin entry named `csrf`; egg-security never reads \
it, so this CSRF setting has no effect"
                        ),
                        vec![format!("{shown}: exports.csrf = {}", compact(entry))],
                        remediation(entry),
                    );
                }
            }
            if let Some(csrf) = module.exports.get("security").and_then(|s| s.get("csrf")) {
                let ignored: Vec<&str> = module
                    .exports
                    .get("security")
                    .and_then(Value::as_object)
                    .map(|o| {
                        o.keys()
                            .map(String::as_str)
                            .filter(|k| !PLUGIN_FIELDS.contains(k))
                            .collect()
                    })
                    .unwrap_or_default();
                cx.report(
                    &csrf.prov,
                    format!(
                        "{shown} sets `csrf` inside the `security` plugin entry; egg reads only \
plugin fields there, so this CSRF setting has no effect"
                    ),
                    vec![
                        format!("{shown}: exports.security.csrf = {}", compact(csrf)),
                        format!("ignored keys in the security entry: {}", ignored.join(", ")),
                    ],
                    remediation(csrf),
                );
            }
        }
    }
}

/// The remediation: the same value written where egg-security reads it.
fn remediation(value: &Value) -> String {
    format!(
        "Move the setting to `config/config.default.js` (or `config/config.<env>.js`) and keep only \
the plugin switch in the plugin file:\n\n```js\n// config/config.default.js\nconfig.security = {{\n  \
csrf: {},\n}};\n\n// config/plugin.js\nexports.security = true;\n```",
        compact(value)
    )
}

/// A value as short JSON for evidence and snippets.
fn compact(value: &Value) -> String {
    let text = value.to_tagged_json().to_string();
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

/// The app's plugin files egg reads in `env`: `plugin.default` (or `plugin` when there is no
/// `plugin.default`), then `plugin.<scope>`, `plugin.<env>`, `plugin.<scope>_<env>`.
fn plugin_files(root: &Path, env: &str, scope: &str) -> Vec<PathBuf> {
    let dir = root.join("config");
    let find = |stem: &str| {
        EXTENSIONS
            .iter()
            .map(|ext| dir.join(format!("{stem}.{ext}")))
            .find(|p| eggsec_fs::is_file(p))
    };
    type_names(env, scope)
        .iter()
        .filter_map(|t| {
            if t == "default" {
                find("plugin.default").or_else(|| find("plugin"))
            } else {
                find(&format!("plugin.{t}"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use serde_json::json;

    fn findings_for(files: &[(&str, &str)]) -> Vec<eggsec_report::Finding> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("config").join(name), text).unwrap();
        }
        let app = test_model_in(dir.path(), json!({}));
        run_rule(&CsrfSetInPluginFile, &app)
    }

    #[test]
    fn hit_csrf_entry_and_csrf_inside_security() {
        let findings = findings_for(&[(
            "plugin.js",
            "exports.security = {\n  enable: true,\n  csrf: { type: 'all' },\n};\nexports.csrf = { enable: false };\n",
        )]);
        assert_eq!(findings.len(), 2);
        let at: Vec<String> = findings.iter().map(|f| f.location.to_string()).collect();
        assert!(at.contains(&"config/plugin.js:5:16".to_string()), "{at:?}");
        assert!(at.contains(&"config/plugin.js:3:9".to_string()), "{at:?}");
        assert!(findings.iter().any(
            |f| f.evidence[0] == "config/plugin.js: exports.security.csrf = {\"type\":\"all\"}"
        ));
    }

    #[test]
    fn hit_in_env_plugin_file_only_for_that_env() {
        let findings = findings_for(&[("plugin.prod.js", "exports.csrf = false;\n")]);
        assert_eq!(findings.len(), 1, "the test model's env is prod");
        let findings = findings_for(&[("plugin.local.js", "exports.csrf = false;\n")]);
        assert!(findings.is_empty());
    }

    #[test]
    fn no_hit_plain_plugin_files_or_a_real_csrf_plugin() {
        for text in [
            "exports.security = true;\nexports.session = { enable: true, env: ['prod'] };\n",
            "exports.csrf = { enable: true, package: 'egg-csrf-extra' };\n",
            "module.exports = { security: { enable: true, package: 'egg-security' } };\n",
            "this is not javascript (",
        ] {
            assert!(findings_for(&[("plugin.js", text)]).is_empty(), "{text}");
        }
    }
}
