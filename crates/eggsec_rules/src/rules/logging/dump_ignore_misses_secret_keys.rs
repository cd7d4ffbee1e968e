//! `LOG004` `dump-ignore-misses-secret-keys`: egg writes the effective config to
//! `run/application_config.json` and masks only the keys in `config.dump.ignore`; the app's
//! own secret-looking keys are written in clear.

use crate::util::{holds_secret, is_placeholder, value_names_the_field};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::secrets::mask;
use eggsec_js::{Value, ValueKind};
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::sync::LazyLock;

pub struct DumpIgnoreMissesSecretKeys;

static META: RuleMeta = RuleMeta {
    code: "LOG004",
    name: "dump-ignore-misses-secret-keys",
    strategy: Strategy::Logging,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Secrets are masked in egg's config dumps (`config.dump.ignore`)",
    docs: RuleDocs {
        what: "Walks the effective config for string values under secret-looking keys \
(`token`, `apiKey`, `privateKey`, `clientSecret`, `dsn`...) and for \
connection URLs that carry a password (`mysql://user:pass@host` under `url`, `uri`...), and \
reports each one that `config.dump.ignore` does not mask. egg masks by key name only: an \
exact, case-sensitive string in the set or a RegExp that matches the key. The default set is \
`pass, pwd, passd, passwd, password, keys, masterKey, accessKey` and `/secret/i`, so `token`, \
`apiKey`, `privateKey` and `url` are written in clear. Names that hold no secret are not \
reported, as in `secret-hard-coded-in-config`: an access key's id (`accessKeyId`; its \
`accessKeySecret` is masked), public keys, identifying keys (`obsPathKey`, `cacheKey`), names \
that are not fields (an OAuth scope `write:access_token`, a package.json dependency), Sentry's \
DSN (public by design), and a value that only repeats its name's qualifier \
(`developerToken: 'developer'`). An app that sets \
`dump.ignore` replaces the whole set (egg's merge replaces Sets and arrays). Values read \
from `process.env` are reported too: the dump holds the value at run time. Egg 3.31+ also \
masks whole objects listed by key path in `config.dump.ignoreKeyPaths`, which is honoured.",
        why: "At every start egg writes `run/application_config.json` (and \
`agent_config.json`) with the full effective config. The `run/` folder is routinely copied \
into Docker images, backups, support bundles and CI artifacts, and is readable by anyone on \
the host: every unmasked token, API key and database password in it is leaked there, even \
when the config read it from an environment variable.",
        bad: r#"// config/config.default.js
module.exports = {
  github: { token: process.env.GITHUB_TOKEN },         // written in clear to run/*.json
  sequelize: { url: 'mysql://app:s3cret@db/app' },     // `url` is not a masked key
};"#,
        good: r#"// config/config.default.js
module.exports = {
  dump: {
    ignore: new Set([
      // egg's defaults (setting dump.ignore replaces them)
      'pass', 'pwd', 'passd', 'passwd', 'password', 'keys', 'masterKey', 'accessKey', /secret/i,
      // this app's secrets
      'token', 'url',
    ]),
  },
};"#,
        fix: "Add the app's secret key names to `config.dump.ignore`, keeping egg's defaults \
(setting the option replaces the whole set):\n\n```js\nconfig.dump = {\n  ignore: new Set([\n    \
'pass', 'pwd', 'passd', 'passwd', 'password', 'keys', 'masterKey', 'accessKey', /secret/i,\n    \
'token', /token$/i, /key$/i, 'dsn', 'url',\n  ]),\n};\n```\n\nMasking is by key name only, so a \
connection URL under `url` needs `url` in the list (or split the password into a `password` \
key). On egg 3.31+ `config.dump.ignoreKeyPaths` can mask a whole object by its path instead.",
    },
};

/// `scheme://user:password@host` — a connection URL carrying a password.
static URL_WITH_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:[^/\s@]+@").expect("valid regex")
});

/// One entry of `dump.ignore`.
enum Matcher {
    Name(String),
    Pattern(eggsec_app::js_regex::JsRegex),
}

/// `dump.ignore` as egg reads it (`Array.from(ignore)`); `None` when it is not statically
/// known (an Unknown, an env value, a RegExp Rust cannot compile...).
fn matchers(ignore: Option<&Value>) -> Option<Vec<Matcher>> {
    let Some(ignore) = ignore else {
        return Some(Vec::new());
    };
    let items: Vec<Value> = match &ignore.kind {
        ValueKind::Array(items) | ValueKind::Set(items) => items.clone(),
        // Array.from('abc') is its characters.
        ValueKind::String(s) => {
            return Some(s.chars().map(|c| Matcher::Name(c.to_string())).collect())
        }
        ValueKind::Null | ValueKind::Undefined => Vec::new(),
        _ => return None,
    };
    items
        .iter()
        .filter_map(|item| match &item.kind {
            ValueKind::String(s) => Some(Some(Matcher::Name(s.clone()))),
            ValueKind::Regex { source, flags } => {
                Some(eggsec_app::js_regex::JsRegex::new(source, flags).map(Matcher::Pattern))
            }
            ValueKind::Number(_) | ValueKind::Bool(_) | ValueKind::Null => None,
            _ => Some(None),
        })
        .collect()
}

/// `dump.ignoreKeyPaths` (egg 3.31+): the dotted paths it masks, accepted with or without the
/// dump's leading `config.`. `None` when not statically known.
fn key_paths(value: Option<&Value>) -> Option<Vec<String>> {
    let Some(value) = value else {
        return Some(Vec::new());
    };
    let raw: Vec<String> = match &value.kind {
        ValueKind::Object(o) => o.keys().cloned().collect(),
        ValueKind::String(s) => vec![s.clone()],
        ValueKind::Array(items) | ValueKind::Set(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()?,
        ValueKind::Null | ValueKind::Undefined => Vec::new(),
        _ => return None,
    };
    Some(
        raw.into_iter()
            .map(|p| p.strip_prefix("config.").map(str::to_string).unwrap_or(p))
            .collect(),
    )
}

/// A secret the dump would write in clear.
struct Leak<'a> {
    path: String,
    value: &'a Value,
    shown: String,
    from_env: bool,
}

impl Rule for DumpIgnoreMissesSecretKeys {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        // What is masked is not statically known (env, computed): not decidable.
        let Some(matchers) = matchers(app.config_at("dump.ignore")) else {
            cx.not_applicable();
            return;
        };
        let Some(paths) = key_paths(app.config_at("dump.ignoreKeyPaths")) else {
            cx.not_applicable();
            return;
        };
        let Some(root) = app.config.as_object() else {
            cx.not_applicable();
            return;
        };
        let mut leaks = Vec::new();
        for (key, value) in root {
            if key == "dump" {
                continue;
            }
            walk(key, key, value, &matchers, &paths, &mut leaks);
        }
        // egg's own set, embedded or read from the installed egg, is not the app's
        let defaults_replaced = app
            .config_at("dump.ignore")
            .is_some_and(|v| !cx.is_default(&v.prov));
        for leak in leaks {
            let key = leak
                .path
                .rsplit('.')
                .next()
                .unwrap_or(&leak.path)
                .to_string();
            let source = if leak.from_env {
                " (from the environment)"
            } else {
                ""
            };
            let finding =
                cx.report(
                    &leak.value.prov,
                    format!(
                    "`{}` is written in clear to run/application_config.json: `{key}` is not in \
`config.dump.ignore`{}",
                    leak.path,
                    if defaults_replaced { " (the app's own set)" } else { " (egg's default set)" }
                ),
                    vec![format!("{} = {}{source}", leak.path, leak.shown)],
                    format!(
                        "Mask the key in egg's config dump, keeping egg's defaults (setting \
`dump.ignore` replaces them):\n\n```js\nconfig.dump = {{\n  ignore: new Set([\n    'pass', \
'pwd', 'passd', 'passwd', 'password', 'keys', 'masterKey', 'accessKey', /secret/i,\n    \
'{key}',\n  ]),\n}};\n```\n\nMasking is by key name only; on egg 3.31+ \
`config.dump.ignoreKeyPaths` can mask a whole object by path instead."
                    ),
                );
            if leak.from_env {
                finding.confidence = Confidence::Medium;
            }
        }
    }
}

/// Collects unmasked secrets under `value` (at dotted `path`, key `key`).
fn walk<'a>(
    path: &str,
    key: &str,
    value: &'a Value,
    matchers: &[Matcher],
    key_paths: &[String],
    leaks: &mut Vec<Leak<'a>>,
) {
    if key_paths.iter().any(|p| p == path) {
        return;
    }
    let masked = || {
        matchers.iter().any(|m| match m {
            Matcher::Name(name) => name == key,
            Matcher::Pattern(re) => re.test(key).unwrap_or(false),
        })
    };
    match &value.kind {
        ValueKind::Object(o) => {
            for (k, v) in o {
                walk(&format!("{path}.{k}"), k, v, matchers, key_paths, leaks);
            }
        }
        ValueKind::String(s) => {
            let secret =
                (holds_secret(path, key) && !is_placeholder(s) && !value_names_the_field(key, s))
                    || URL_WITH_PASSWORD.is_match(s);
            if secret && !masked() {
                leaks.push(Leak {
                    path: path.to_string(),
                    value,
                    shown: mask(s),
                    from_env: false,
                });
            }
        }
        ValueKind::Env { name, .. } if holds_secret(path, key) && !masked() => {
            leaks.push(Leak {
                path: path.to_string(),
                value,
                shown: format!("process.env.{name}"),
                from_env: true,
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    fn egg_default_ignore() -> serde_json::Value {
        json!({"$at": "<embedded egg@3 egg/config/config.default.js>", "$value": {"ignore": {"$set": [
            "pass", "pwd", "passd", "passwd", "password", "keys", "masterKey", "accessKey",
            {"$regex": "/secret/i"}
        ]}}})
    }

    #[test]
    fn hit_token_dsn_and_env_token() {
        let app = test_model(json!({
            "dump": egg_default_ignore(),
            "keys": "abcdefghijklmnop",
            "github": {
                "token": {"$at": "config/config.default.js:3:21", "$value": "ghp_1234567890abcdef"},
                "clientSecret": "shh-this-is-masked"
            },
            "sequelize": {"url": "mysql://app:s3cretpw@db:3306/app", "password": "masked-by-name"},
            "jwt": {"privateKey": {"$env": "JWT_KEY", "default": null}}
        }));
        let findings = run_rule(&DumpIgnoreMissesSecretKeys, &app);
        let paths: Vec<&str> = findings
            .iter()
            .map(|f| f.evidence[0].split(" = ").next().unwrap())
            .collect();
        assert_eq!(
            paths,
            ["github.token", "sequelize.url", "jwt.privateKey"],
            "{findings:#?}"
        );
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.default.js:3:21"
        );
        assert_eq!(findings[0].evidence, ["github.token = gh****(20 chars)"]);
        assert_eq!(findings[2].confidence, Confidence::Medium);
    }

    #[test]
    fn app_set_replaces_defaults() {
        // the app's own set drops `password`: now it leaks
        let app = test_model(json!({
            "dump": {"ignore": ["token"]},
            "mysql": {"client": {"password": "hunter2hunter2", "token": "not-shown-1234"}}
        }));
        let findings = run_rule(&DumpIgnoreMissesSecretKeys, &app);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("the app's own set"));
    }

    #[test]
    fn no_hit_when_masked_placeholder_or_key_path() {
        for config in [
            json!({"dump": {"ignore": {"$set": ["token", {"$regex": "/key$/i"}]}},
                   "github": {"token": "ghp_1234567890abcdef", "apiKey": "k_1234567890"}}),
            json!({"dump": egg_default_ignore(), "github": {"token": ""}, "session": {"key": "EGG_SESS"}}),
            json!({"dump": egg_default_ignore(), "security": {"csrf": {"headerName": "x-csrf-token"}}}),
            json!({"dump": {"ignore": [], "ignoreKeyPaths": {"config.github": true}},
                   "github": {"token": "ghp_1234567890abcdef"}}),
            json!({"dump": {"ignore": {"$unknown": "call"}}, "github": {"token": "ghp_1234567890abcdef"}}),
        ] {
            let app = test_model(config.clone());
            assert!(
                run_rule(&DumpIgnoreMissesSecretKeys, &app).is_empty(),
                "{config}"
            );
        }
    }

    #[test]
    fn names_that_hold_no_secret_are_not_leaks() {
        // from real apps: an OAuth scope's description, a package.json dependency, an object
        // path key, Sentry's public DSN, an access key's id, a name-placeholder token
        let quiet = test_model(json!({
            "dump": egg_default_ignore(),
            "swaggerdoc": {"securityDefinitions": {"oauth2": {"scopes": {"write:access_token": "write access_token"}}}},
            "pkg": {"dependencies": {"@alicloud/credentials": "^2.3.0", "credentials": "^1.0.0"}},
            "deploy": {"obsPathKey": "materials"},
            "sentry": {"dsn": {"$env": "SENTRY_DSN", "default": null}},
            "oss": {"client": {"accessKeyId": {"$env": "OSS_ID", "default": null}}},
            "dataCenter": {"developerToken": "developer"}
        }));
        let found = run_rule(&DumpIgnoreMissesSecretKeys, &quiet);
        assert!(found.is_empty(), "{found:#?}");
        // look-alikes that are secrets: an env token, a DSN that is not Sentry's, a key that
        // signs, a token whose value is its kind word
        let app = test_model(json!({
            "dump": egg_default_ignore(),
            "npm": {"authToken": {"$env": "NPM_AUTH_TOKEN", "default": null}},
            "db": {"dsn": {"$env": "DATABASE_DSN", "default": null}},
            "deploy": {"signKey": "k7Hq2vP9xL"},
            "dataCenter": {"developerToken": "token"}
        }));
        let paths: Vec<String> = run_rule(&DumpIgnoreMissesSecretKeys, &app)
            .iter()
            .map(|f| f.evidence[0].split(" = ").next().unwrap().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "npm.authToken",
                "db.dsn",
                "deploy.signKey",
                "dataCenter.developerToken"
            ]
        );
    }
}
