//! `BLT001` `keys-weak`: `config.keys` (egg's cookie signing and encryption keys) is empty,
//! short, or a boilerplate value everyone can look up.

use crate::util::is_dev_env;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::secrets::mask;
use eggsec_app::AppModel;
use eggsec_js::ValueKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct KeysWeak;

/// Keys shorter than this are within reach of an offline HMAC brute force.
const MIN_KEY_LEN: usize = 16;

static META: RuleMeta = RuleMeta {
    code: "BLT001",
    name: "keys-weak",
    strategy: Strategy::Builtin,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "`config.keys` holds long, random, non-boilerplate keys",
    docs: RuleDocs {
        what: "Finds a weak `config.keys`: empty (egg's default `''`), any comma-separated key \
shorter than 16 characters (not counting the app name, which is public: \
`appInfo.name + '_keys_1'` is weak), or a boilerplate value — the egg-init template \
`appInfo.name + '_1513765449016_9015'` (`<appname>_<13-digit timestamp>_<digits>`), an \
uninstantiated `{{keys}}` placeholder, `123456`, `keys` or `secret`. A value read from \
`process.env` is checked through its `||` fallback, with lower confidence. Developer envs \
(`local`, `unittest`) are not checked: audit the deployed env.",
        why:
            "egg signs every signed cookie — the session cookie `EGG_SESS` included — with an HMAC \
keyed by `config.keys`, and egg-session encrypts the session with it. Whoever knows or guesses \
the keys can forge a session cookie for any user (`{\"userId\": 1}`) and read every encrypted \
one. Boilerplate values are public (they come from a template or a timestamp and four random \
digits), and short keys fall to an offline brute force against one captured cookie. With an \
empty `keys`, egg throws `Please set config.keys first` on the first signed cookie, which \
usually ends with a literal pasted into the config.",
        bad: r#"// config/config.default.js
module.exports = appInfo => {
  const config = exports = {};
  config.keys = appInfo.name + '_1513765449016_9015';
  return config;
};"#,
        good: r#"// config/config.prod.js
module.exports = {
  // 32 random bytes, e.g. `openssl rand -hex 32`; list several (comma-separated) to rotate:
  // the first one signs, all of them verify.
  keys: process.env.EGG_KEYS,
};"#,
        fix: "Generate a random key of at least 32 characters (`openssl rand -hex 32`), keep it \
out of the repository, and read it from the environment in the prod config:\n\n```js\n\
// config/config.prod.js\nmodule.exports = {\n  keys: process.env.EGG_KEYS,\n};\n```\n\n\
Changing the keys logs every user out; to rotate without that, put the new key first and \
keep the old one after it for a while (`EGG_KEYS=new,old`).",
    },
};

/// What is wrong with one key of `config.keys`, when something is.
pub(crate) fn key_problem(app: &AppModel, key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    if key.contains("{{") && key.contains("}}") {
        return Some("an uninstantiated boilerplate placeholder (`{{keys}}`)");
    }
    if matches!(lower.as_str(), "123456" | "keys" | "secret") {
        return Some("a well-known boilerplate value");
    }
    if is_egg_init_key(&app.name, key) {
        return Some("the egg-init template `appInfo.name + '_<timestamp>_<digits>'`");
    }
    if key.chars().count() < MIN_KEY_LEN {
        return Some("shorter than 16 characters");
    }
    // `appInfo.name + '_keys_1'`: the app name is public (package.json), only the rest is secret.
    let rest = key
        .strip_prefix(app.name.as_str())
        .filter(|_| !app.name.is_empty());
    if rest.is_some_and(|r| r.chars().count() < MIN_KEY_LEN) {
        return Some("the public app name plus fewer than 16 other characters");
    }
    None
}

/// `<appname>_<digits>[_<digits>]`, or any `<name>_<13-digit ms timestamp>_<digits>`: what
/// egg-init writes (`appInfo.name + '_1513765449016_9015'`).
fn is_egg_init_key(app_name: &str, key: &str) -> bool {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let digit_groups = |s: &str| s.split('_').all(all_digits);
    if let Some(rest) = key.strip_prefix(app_name).and_then(|r| r.strip_prefix('_')) {
        if !app_name.is_empty() && digit_groups(rest) {
            return true;
        }
    }
    let parts: Vec<&str> = key.rsplitn(3, '_').collect();
    matches!(parts.as_slice(), [tail, stamp, name]
        if !name.is_empty() && all_digits(tail) && all_digits(stamp) && stamp.len() == 13)
}

/// The keys egg derives from the string: `split(',')` and `trim()`, as `app.keys` does.
pub(crate) fn split_keys(keys: &str) -> Vec<&str> {
    keys.split(',').map(str::trim).collect()
}

impl Rule for KeysWeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        // Dev machines may use throwaway keys; what prod uses is audited in prod.
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let Some(keys) = app.config_at("keys") else {
            cx.not_applicable();
            return;
        };
        // Keys from the environment without a literal fallback, or computed: their strength
        // is not in the repository (`keys-hard-coded-in-prod` records where they come from).
        let (text, env_name) = match &keys.kind {
            ValueKind::String(s) => (s.as_str(), None),
            ValueKind::Env {
                name,
                default: Some(default),
            } => match default.as_str() {
                Some(d) if !d.trim().is_empty() => (d, Some(name.as_str())),
                _ => {
                    cx.not_applicable();
                    return;
                }
            },
            _ => {
                cx.not_applicable();
                return;
            }
        };
        let when_unset = env_name
            .map(|n| format!(" (the fallback used when {n} is unset)"))
            .unwrap_or_default();

        if text.trim().is_empty() {
            let finding = cx.report(
                &keys.prov,
                format!(
                    "`config.keys` is empty in {}: egg throws `Please set config.keys first` on \
the first signed cookie or session, and nothing protects them",
                    app.env
                ),
                vec!["keys = '' (egg's default)".into()],
                META.docs.fix,
            );
            finding.severity = Severity::Medium;
            return;
        }

        let mut evidence = Vec::new();
        let mut first_problem = None;
        for (i, key) in split_keys(text).into_iter().enumerate() {
            if let Some(problem) = key_problem(app, key) {
                first_problem.get_or_insert(problem);
                evidence.push(format!(
                    "keys[{i}] = \"{}\" ({} chars): {problem}",
                    mask(key),
                    key.chars().count()
                ));
            }
        }
        let Some(problem) = first_problem else {
            cx.fact(match env_name {
                Some(name) => format!(
                    "The fallback of `config.keys` (used when {name} is unset) looks random and \
long enough"
                ),
                None => format!("`config.keys` looks random and long enough in {}", app.env),
            });
            return;
        };
        let finding = cx.report(
            &keys.prov,
            format!(
                "`config.keys`{when_unset} is weak — {problem}: anyone who guesses it can forge \
egg's signed cookies and the session"
            ),
            evidence,
            META.docs.fix,
        );
        if env_name.is_some() {
            finding.confidence = Confidence::Medium;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    fn findings(keys: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(&KeysWeak, &test_model(json!({ "keys": keys })))
    }

    #[test]
    fn hit_egg_init_template() {
        let found = findings(
            json!({"$at": "config/config.default.js:7:17", "$value": "testapp_1513765449016_9015"}),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:7:17"
        );
        assert!(
            found[0].message.contains("egg-init"),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].evidence,
            ["keys[0] = \"te****(26 chars)\" (26 chars): the egg-init template `appInfo.name + '_<timestamp>_<digits>'`"]
        );
        // Copied from another app: still the template shape.
        assert_eq!(findings(json!("otherapp_1712345678901_8312")).len(), 1);
        assert_eq!(findings(json!("testapp_1513765449016")).len(), 1);
    }

    #[test]
    fn hit_placeholders_short_and_empty() {
        assert_eq!(findings(json!("testapp_{{keys}}")).len(), 1);
        assert_eq!(findings(json!("123456")).len(), 1);
        assert_eq!(findings(json!("secret")).len(), 1);
        assert_eq!(findings(json!("shortkey")).len(), 1);
        assert_eq!(findings(json!("testapp_headers_keys_1")).len(), 1);
        // The second key of the list is short, and an empty key verifies an empty HMAC key.
        let found = findings(json!("9f2c4e7a1b3d5f608a9c2e4f6b8d0a1c, x"));
        assert_eq!(found.len(), 1);
        assert!(found[0].evidence[0].starts_with("keys[1]"));
        assert_eq!(
            findings(json!("9f2c4e7a1b3d5f608a9c2e4f6b8d0a1c,")).len(),
            1
        );
        let empty = findings(json!(""));
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].severity, Severity::Medium);
    }

    #[test]
    fn env_fallback_is_checked_with_lower_confidence() {
        let found = findings(json!({"$env": "EGG_KEYS", "default": "testapp_1513765449016_9015"}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].confidence, Confidence::Medium);
        assert!(found[0].message.contains("EGG_KEYS is unset"));
    }

    #[test]
    fn no_hit_on_strong_env_or_unknown_keys() {
        for keys in [
            json!("9f2c4e7a1b3d5f608a9c2e4f6b8d0a1c"),
            json!("9f2c4e7a1b3d5f608a9c2e4f6b8d0a1c, 0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a"),
            // An app name followed by real randomness is not the template.
            json!("testapp_f3a9c1e07b2d4e6a8c0e"),
            json!({"$env": "EGG_KEYS", "default": null}),
            json!({"$env": "EGG_KEYS", "default": ""}),
            json!({"$unknown": "call to readKeys()"}),
        ] {
            assert!(findings(keys.clone()).is_empty(), "{keys}");
        }
        assert!(run_rule(&KeysWeak, &test_model(json!({}))).is_empty());
        let mut local = test_model(json!({"keys": "dev"}));
        local.env = "local".into();
        assert!(run_rule(&KeysWeak, &local).is_empty());
    }
}
