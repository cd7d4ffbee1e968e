//! `BLT002` `keys-hard-coded-in-prod`: the `config.keys` egg uses in a deployed env is a
//! literal committed to the repository.

use super::keys_weak::{key_problem, split_keys};
use crate::util::{is_dev_env, layer_of};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::secrets::mask;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct KeysHardCodedInProd;

static META: RuleMeta = RuleMeta {
    code: "BLT002",
    name: "keys-hard-coded-in-prod",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "`config.keys` for deployed envs comes from the environment, not the repository",
    docs: RuleDocs {
        what: "Finds a `config.keys` that, in the audited deployed env (`prod` by default; not \
`local` or `unittest`), is a string literal written in a config file — typically \
`config.default.js` with no `config.prod.js` (or scope file) override reading \
`process.env`. Keys that are weak or boilerplate are reported by `keys-weak` instead.",
        why: "`config.keys` signs and encrypts egg's cookies and the session. A literal in the \
repository is known to everyone who can read it — every developer, CI system, fork, leaked \
backup or dependency with repo access — and to every past one, since it stays in git history. \
Any of them can forge a session for any user of production. It also means every environment \
(staging, prod) shares one key, so a staging leak is a prod leak.",
        bad: r#"// config/config.default.js (no config.prod.js override)
module.exports = {
  keys: '9f2c4e7a1b3d5f608a9c2e4f6b8d0a1c',
};"#,
        good: r#"// config/config.default.js: a development key only
module.exports = { keys: 'dev-only-key-not-used-in-prod' };

// config/config.prod.js
module.exports = { keys: process.env.EGG_KEYS };"#,
        fix: "Read the production keys from the environment (or your secret store) in \
`config/config.prod.js`, and generate a new key: the committed one must be treated as \
known.\n\n```js\n// config/config.prod.js\nmodule.exports = {\n  keys: process.env.EGG_KEYS,\n};\n```",
    },
};

impl Rule for KeysHardCodedInProd {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let Some(keys) = app.config_at("keys") else {
            cx.not_applicable();
            return;
        };
        let Some(text) = keys.as_str() else {
            if matches!(keys.kind, eggsec_js::ValueKind::Env { .. }) {
                cx.fact(format!(
                    "`config.keys` is read from the environment in {}",
                    app.env
                ));
            } else {
                cx.not_applicable();
            }
            return;
        };
        // egg's own default ('') and pseudo-files (dumps) are not literals anyone committed.
        if keys.prov.file.starts_with('<') || text.trim().is_empty() {
            cx.not_applicable();
            return;
        }
        let parts = split_keys(text);
        // Weak keys are `keys-weak`'s finding (one report per problem); whether a strong literal
        // would be committed is then moot, so this control is neither passed nor failed.
        if parts.iter().any(|k| key_problem(app, k).is_some()) {
            cx.not_applicable();
            return;
        }
        let file = cx.relative_path(&keys.prov.file);
        let set_by = match layer_of(app, &keys.prov).map(|l| l.type_name.as_str()) {
            Some("default") => format!(
                "set in {file} and not overridden for {} (no config.{}.js or scope file reads it \
from process.env)",
                app.env, app.env
            ),
            _ => format!("set in {file}"),
        };
        let masked: Vec<String> = parts.iter().map(|k| mask(k)).collect();
        cx.report(
            &keys.prov,
            format!(
                "`config.keys` used in {} is a literal committed to the repository, {set_by}",
                app.env
            ),
            vec![format!("keys = \"{}\" ({file})", masked.join(","))],
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    const STRONG: &str = "9f2c4e7a1b3d5f608a9c2e4f6b8d0a1c";

    #[test]
    fn hit_literal_in_default_config() {
        let app =
            test_model(json!({"keys": {"$at": "config/config.default.js:4:9", "$value": STRONG}}));
        let found = run_rule(&KeysHardCodedInProd, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:4:9"
        );
        assert!(
            found[0].message.contains("not overridden for prod"),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].evidence,
            ["keys = \"9f****(32 chars)\" (config/config.default.js)"]
        );
    }

    #[test]
    fn hit_literal_in_prod_config() {
        let app =
            test_model(json!({"keys": {"$at": "config/config.prod.js:2:9", "$value": STRONG}}));
        let found = run_rule(&KeysHardCodedInProd, &app);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.ends_with("set in config/config.prod.js"));
    }

    #[test]
    fn no_hit_on_env_weak_default_or_dev_env() {
        for keys in [
            json!({"$env": "EGG_KEYS", "default": null}),
            json!({"$env": "EGG_KEYS", "default": STRONG}),
            json!({"$unknown": "readFileSync"}),
            json!("testapp_1513765449016_9015"),
            json!("short"),
            json!({"$at": "<embedded egg@3 egg config.default>", "$value": ""}),
        ] {
            let app = test_model(json!({ "keys": keys }));
            assert!(run_rule(&KeysHardCodedInProd, &app).is_empty(), "{keys}");
        }
        let mut app = test_model(json!({ "keys": STRONG }));
        app.env = "local".into();
        assert!(run_rule(&KeysHardCodedInProd, &app).is_empty());
    }
}
