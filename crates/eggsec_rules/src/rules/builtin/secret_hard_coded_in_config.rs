//! `BLT003` `secret-hard-coded-in-config`: a password, token, API key, private key or
//! credentialed URL is written in the app's config, where the audited env uses it.

use crate::util::{
    config_snippet, holds_secret, is_dev_env, is_id_key, is_placeholder, value_is_the_key_name,
    value_names_the_field,
};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::secrets::mask;
use eggsec_js::{Object, Value, ValueKind};
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::sync::LazyLock;

pub struct SecretHardCodedInConfig;

static META: RuleMeta = RuleMeta {
    code: "BLT003",
    name: "secret-hard-coded-in-config",
    strategy: Strategy::Builtin,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "Secrets in the config come from the environment or a secret store",
    docs: RuleDocs {
        what: "Walks the effective config of the audited env and finds secrets written as \
literals in the app's config files: values under secret-looking keys (`password`, `passwd`, \
`pwd`, `secret`, `token`, `apiKey`, `accessKeySecret`, `privateKey`, `dsn`, `credentials`…) \
in any plugin section (`mysql.client.password`, `sequelize.password`, `redis.client.password`, \
`jwt.secret`, `oss.client.accessKeySecret`…), and URLs with a password in them \
(`mysql://user:pass@host/db`) under any key. A `process.env.X || 'literal'` fallback counts \
(with lower confidence): it is what runs when the variable is missing. Empty strings and \
obvious placeholders (`xxx`, `<password>`, `${DB_PASSWORD}`) are not reported; weak real \
values such as `changeme` are. Names that hold no secret are skipped: an access key's id \
(`accessKeyId`, reported next to its secret), public keys, identifying keys (`obsPathKey`, \
`cacheKey`, `primaryKey`), names that are not fields (an OAuth scope `write:access_token`, a \
package.json dependency), Sentry's DSN, and a token or secret whose value only repeats its \
name's qualifier (`developerToken: 'developer'`; a password that does, `adminPassword: \
'admin'`, is reported). `config.keys` is left to `keys-weak` / \
`keys-hard-coded-in-prod`, and credentials in `config.local.js` / `config.unittest.js` (dev \
machines only) are not reported.",
        why: "Everything in the repository is readable by every developer, CI job and tool with \
access, and stays in git history after it is removed. egg also writes the whole config to \
`run/application_config.json` at startup, masking only the key names it knows (`password`, \
`keys`, `/secret/i`…) — a `token`, `apiKey` or DSN lands there in clear text. A leaked \
database password or cloud access key is a direct path to the data.",
        bad: r#"// config/config.default.js
module.exports = {
  jwt: { secret: 'shop-api-jwt-secret' },
  mysql: {
    client: { host: 'db.internal', user: 'shop', password: 'shop123' },
  },
};"#,
        good: r#"// config/config.prod.js
module.exports = {
  jwt: { secret: process.env.JWT_SECRET },
  mysql: {
    client: {
      host: process.env.MYSQL_HOST,
      user: process.env.MYSQL_USER,
      password: process.env.MYSQL_PASSWORD,
    },
  },
};"#,
        fix: "Read the secret from the environment (or a secret manager) with no literal \
fallback, then rotate it — the committed value must be treated as leaked:\n\n```js\n\
// config/config.prod.js\nmodule.exports = {\n  jwt: { secret: process.env.JWT_SECRET },\n  \
mysql: { client: { password: process.env.MYSQL_PASSWORD } },\n};\n```\n\nIf a URL carries \
the credentials, build it from env parts or read the whole URL from one variable.",
    },
};

/// `scheme://user:password@host`, the password captured.
static URL_WITH_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^([a-z][a-z0-9+.\-]*://[^/\s:@]*:)([^/\s@]+)(@.*)$").expect("valid regex")
});

/// A config string that is a secret: what is shown (masked) and why it is one.
struct Secret {
    shown: String,
    kind: &'static str,
}

/// Classifies a literal string found under `key` (at dotted `path`).
fn classify(path: &str, key: Option<&str>, s: &str) -> Option<Secret> {
    if is_placeholder(s) {
        return None;
    }
    if let Some(caps) = URL_WITH_PASSWORD.captures(s) {
        if is_placeholder(&caps[2]) {
            return None;
        }
        return Some(Secret {
            shown: format!("{}{}{}", &caps[1], mask(&caps[2]), &caps[3]),
            kind: "a URL with a password in it",
        });
    }
    let key = key?;
    if !holds_secret(path, key)
        || looks_like_file_path(s)
        || value_names_the_field(key, s)
        || value_is_the_key_name(path, key, s)
    {
        return None;
    }
    Some(Secret {
        shown: mask(s),
        kind: "a hard-coded secret",
    })
}

/// `privateKey: '/etc/app/key.pem'` names a file holding the secret, not the secret.
fn looks_like_file_path(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    !s.contains(char::is_whitespace)
        && (["/", "./", "../", "~/"].iter().any(|p| s.starts_with(p))
            || [".pem", ".key", ".crt", ".p12", ".pfx"]
                .iter()
                .any(|e| lower.ends_with(e)))
}

/// `config/config.local.js`, `config.unittest.ts`, `config.myscope_local.js`: files egg loads
/// only on developer machines and in tests.
fn is_dev_only_file(file: &str) -> bool {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let Some(type_name) = name
        .strip_prefix("config.")
        .and_then(|rest| rest.rsplit_once('.'))
        .map(|(t, _ext)| t)
    else {
        return false;
    };
    is_dev_env(type_name.rsplit('_').next().unwrap_or(type_name))
}

impl Rule for SecretHardCodedInConfig {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let Some(root) = cx.app.config.as_object() else {
            cx.not_applicable();
            return;
        };
        let mut found = 0;
        for (key, value) in root {
            if key != "keys" {
                walk(cx, key, Some(key), value, root, &mut found);
            }
        }
        if found == 0 && is_dev_env(&cx.app.env) {
            // Literals in config.local.js / config.unittest.js are not judged.
            cx.fact("No hard-coded secrets in the config files deployed envs also load");
        } else if found == 0 {
            cx.fact(format!(
                "No hard-coded secrets in the {} config",
                cx.app.env
            ));
        }
    }
}

/// Visits `value` at dotted `path`; `key` is its own name (none for array items) and
/// `siblings` the object holding it.
fn walk(
    cx: &mut RuleContext<'_>,
    path: &str,
    key: Option<&str>,
    value: &Value,
    siblings: &Object,
    found: &mut usize,
) {
    match &value.kind {
        ValueKind::Object(map) => {
            for (k, v) in map {
                walk(cx, &format!("{path}.{k}"), Some(k), v, map, found);
            }
        }
        ValueKind::Array(items) | ValueKind::Set(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(cx, &format!("{path}[{i}]"), None, v, siblings, found);
            }
        }
        ValueKind::String(s) => {
            if let Some(secret) = classify(path, key, s) {
                *found += usize::from(report(cx, path, value, &secret, None, siblings));
            }
        }
        ValueKind::Env {
            name,
            default: Some(default),
        } => {
            if let Some(secret) = default.as_str().and_then(|s| classify(path, key, s)) {
                *found += usize::from(report(cx, path, value, &secret, Some(name), siblings));
            }
        }
        _ => {}
    }
}

/// Reports the secret at `path` unless it was not written by the app for deployed envs;
/// returns whether it reported.
fn report(
    cx: &mut RuleContext<'_>,
    path: &str,
    value: &Value,
    secret: &Secret,
    env: Option<&str>,
    siblings: &Object,
) -> bool {
    let prov = &value.prov;
    // Defaults nobody in the app wrote (egg's, installed packages') and dev-only files.
    if cx.is_default(prov) || is_dev_only_file(&prov.file) {
        return false;
    }
    let file = cx.relative_path(&prov.file);
    let mut evidence = vec![match env {
        Some(name) => format!(
            "{path} = process.env.{name} || \"{}\" ({file})",
            secret.shown
        ),
        None => format!("{path} = \"{}\" ({file})", secret.shown),
    }];
    let id = siblings
        .iter()
        .find(|(k, v)| is_id_key(k) && v.as_str().is_some_and(|s| !is_placeholder(s)));
    if let Some((id_key, id_value)) = id {
        evidence.push(format!(
            "{id_key} = \"{}\" is hard-coded next to it: the pair is a usable credential",
            mask(id_value.as_str().unwrap_or_default())
        ));
    }
    let message = match env {
        Some(name) => format!(
            "`{path}` falls back to {} when {name} is unset ({file})",
            secret.kind
        ),
        None => format!(
            "`{path}` is {} in {file}, used in {}",
            secret.kind, cx.app.env
        ),
    };
    let remediation = if path.contains('[') {
        META.docs.fix.to_string()
    } else {
        let env_name = env.map_or_else(|| env_var_name(path), str::to_string);
        format!(
            "Read it from the environment with no literal fallback, and rotate the committed \
value — treat it as leaked:\n\n{}",
            config_snippet(
                &format!("config/config.{}.js", cx.app.env),
                path,
                &format!("process.env.{env_name}")
            )
        )
    };
    let finding = cx.report(prov, message, evidence, remediation);
    if env.is_some() {
        finding.confidence = Confidence::Medium;
    }
    true
}

/// An env variable name for a config path: `oss.client.accessKeySecret` →
/// `OSS_CLIENT_ACCESS_KEY_SECRET`.
fn env_var_name(path: &str) -> String {
    let mut name = String::new();
    let mut prev_lower = false;
    for c in path.chars() {
        if !c.is_ascii_alphanumeric() {
            if !name.ends_with('_') && !name.is_empty() {
                name.push('_');
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            name.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        name.push(c.to_ascii_uppercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    fn findings(config: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(&SecretHardCodedInConfig, &test_model(config))
    }

    #[test]
    fn hit_plugin_passwords_and_jwt_secret() {
        let found = findings(json!({
            "jwt": {"secret": {"$at": "config/config.default.js:44:13", "$value": "shop-api-jwt-secret-change-me"}},
            "mysql": {"client": {"host": "db", "user": "shop", "password": "changeme"}},
            "payment": {"apiToken": "sk_live_51MzShopApiExample9fQxT2bLkWq", "webhookPath": "/hook"},
        }));
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:44:13"
        );
        assert_eq!(
            found[0].evidence,
            ["jwt.secret = \"sh****(29 chars)\" (config/config.default.js)"]
        );
        assert!(found[1]
            .message
            .starts_with("`mysql.client.password` is a hard-coded secret"));
        assert_eq!(
            found[2].evidence[0],
            "payment.apiToken = \"sk****(37 chars)\" (config/config.default.js)"
        );
    }

    /// A value that is only its field's name is a placeholder for a credential the app hands
    /// to another service, but a working secret for one it signs with, and a working password.
    #[test]
    fn a_value_naming_its_field_is_reported_where_it_still_works() {
        for config in [
            json!({"jwt": {"secret": "JWT_SECRET"}}),
            json!({"bizConfig": {"jwt": {"secret": "secret"}}}),
            json!({"session": {"secret": "session_secret"}}),
            json!({"mysql": {"client": {"password": "password"}}}),
            json!({"github": {"client_secret": "client_secret_2"}}),
        ] {
            assert_eq!(findings(config.clone()).len(), 1, "{config}");
        }
    }

    #[test]
    fn remediation_is_the_exact_prod_config() {
        let found = findings(
            json!({"oss": {"client": {"accessKeySecret": "Zx9ExampleAccessKeySecretValue01"}}}),
        );
        assert!(
            found[0].remediation.contains(
                "// config/config.prod.js\nmodule.exports = {\n  oss: {\n    client: {\n      \
accessKeySecret: process.env.OSS_CLIENT_ACCESS_KEY_SECRET,\n"
            ),
            "{}",
            found[0].remediation
        );
        let found = findings(
            json!({"mysql": {"client": {"password": {"$env": "DB_PASS", "default": "shop123"}}}}),
        );
        assert!(found[0]
            .remediation
            .contains("password: process.env.DB_PASS,\n"));
    }

    #[test]
    fn hit_dsn_under_any_key() {
        let found = findings(json!({"sequelize": {"url": "mysql://shop:s3cretpw@db:3306/shop"}}));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].evidence,
            ["sequelize.url = \"mysql://shop:****(8 chars)@db:3306/shop\" (config/config.default.js)"]
        );
        assert_eq!(
            findings(
                json!({"redis": {"clients": [{"url": "redis://:hunter2hunter2@cache:6379"}]}})
            )
            .len(),
            1
        );
    }

    #[test]
    fn hit_env_fallback_with_lower_confidence() {
        let found = findings(
            json!({"mysql": {"client": {"password": {"$env": "MYSQL_PASSWORD", "default": "shop123"}}}}),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].confidence, Confidence::Medium);
        assert!(found[0].message.contains("when MYSQL_PASSWORD is unset"));
        assert_eq!(
            found[0].evidence,
            ["mysql.client.password = process.env.MYSQL_PASSWORD || \"****(7 chars)\" (config/config.default.js)"]
        );
    }

    #[test]
    fn access_key_pair_is_one_finding_at_the_secret() {
        let found = findings(json!({"oss": {"client": {
            "accessKeyId": "LTAI5tExampleKeyId01",
            "accessKeySecret": "Zx9ExampleAccessKeySecretValue01",
            "bucket": "shop"
        }}}));
        assert_eq!(found.len(), 1);
        assert!(found[0].evidence[0].starts_with("oss.client.accessKeySecret"));
        assert!(found[0].evidence[1].starts_with("accessKeyId = \"LT****(20 chars)\""));
    }

    #[test]
    fn no_hit_on_env_placeholders_names_and_dev_files() {
        for config in [
            json!({"mysql": {"client": {"password": {"$env": "MYSQL_PASSWORD", "default": null}}}}),
            json!({"mysql": {"client": {"password": {"$env": "MYSQL_PASSWORD", "default": ""}}}}),
            json!({"redis": {"client": {"password": ""}}}),
            json!({"jwt": {"secret": "<your jwt secret>"}}),
            json!({"jwt": {"secret": "${JWT_SECRET}"}}),
            json!({"oss": {"client": {"accessKeySecret": "xxxxxx", "accessKeyId": "LTAI5tExampleKeyId01"}}}),
            json!({"auth": {"tokenHeader": "authorization", "secretName": "prod/jwt"}}),
            json!({"session": {"key": "EGG_SESS"}, "security": {"csrf": {"headerName": "x-csrf-token"}}}),
            json!({"https": {"privateKey": "/etc/ssl/app.key"}}),
            json!({"stripe": {"publishableKey": "pk_live_51MzExample", "publicKey": "pk_1234567890"}}),
            json!({"keys": "testapp_1513765449016_9015"}),
            json!({"sequelize": {"url": "mysql://db:3306/shop", "password": {"$unknown": "readFile"}}}),
            json!({"mysql": {"client": {"password": {"$at": "config/config.local.js:3:17", "$value": "root"}}}}),
            json!({"jwt": {"secret": {"$at": "<embedded egg@3 egg-jwt>", "$value": "egg-jwt"}}}),
            json!({"github": {"client_secret": "client_secret", "clientSecret": "CLIENT_SECRET"}}),
            json!({"ai": {"openai": {"apiKey": "API_KEY"}}}),
        ] {
            assert!(findings(config.clone()).is_empty(), "{config}");
        }
    }

    #[test]
    fn names_that_hold_no_secret_are_not_reported() {
        // from real apps (egg-beehive, tiny-engine-webservice)
        for config in [
            json!({"swaggerdoc": {"securityDefinitions": {"oauth2": {"scopes": {"write:access_token": "write access_token"}}}}}),
            json!({"deploy": {"obsPathKey": "materials"}, "cache": {"cacheKey": "user:1"}}),
            json!({"dataCenter": {"developerToken": "developer"}}),
            json!({"pkg": {"dependencies": {"@alicloud/credentials": "^2.3.0", "credentials": "^1.0.0"}}}),
        ] {
            assert!(findings(config.clone()).is_empty(), "{config}");
        }
        // look-alikes that are secrets: a weak password that repeats its qualifier, a secret
        // that is its own kind word, a signing key
        for config in [
            json!({"mysql": {"adminPassword": "admin"}}),
            json!({"jwt": {"secret": "secret"}}),
            json!({"deploy": {"signKey": "k7Hq2vP9xL"}}),
            json!({"pkg": {"config": {"apiToken": "k7Hq2vP9xL"}}}),
            // a maps API key and a file-encryption key are keys that grant or decrypt
            json!({"amap": {"mapKey": "3f9c2a7b51e84d06"}}),
            json!({"storage": {"fileKey": "k7Hq2vP9xLm2"}}),
        ] {
            assert_eq!(findings(config.clone()).len(), 1, "{config}");
        }
    }
}
