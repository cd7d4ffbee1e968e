//! `LOG001` `logger-debug-in-prod`: DEBUG (or ALL) logging in a deployed env.

use crate::util::is_dev_env;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::Value;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct LoggerDebugInProd;

static META: RuleMeta = RuleMeta {
    code: "LOG001",
    name: "logger-debug-in-prod",
    strategy: Strategy::Logging,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Logs are written at INFO or above outside local/unittest",
    docs: RuleDocs {
        what: "In an env other than `local` and `unittest`, finds `config.logger.level`, \
`config.logger.coreLogger.level` or a `config.customLogger.<name>.level` set to `DEBUG` or \
`ALL`, and `config.logger.consoleLevel` set so while `disableConsoleAfterReady` is false. \
egg lowers `logger.level: 'DEBUG'` to INFO in `prod` unless `logger.allowDebugAtProd` is \
true, so that case is reported only with `allowDebugAtProd: true` (or in other deployed \
envs such as `test` or `staging`, where egg does not lower it). `allowDebugAtProd: true` \
with a level read from the environment is reported too.",
        why: "Debug logs record what the code handles: request bodies, SQL with parameters, \
tokens, headers and cookies from libraries' debug output. Written in production they put \
personal data and credentials into log files, log shipping and backups, and they grow fast \
enough to fill disks.",
        bad: r#"// config/config.prod.js
module.exports = {
  logger: {
    level: 'DEBUG',
    allowDebugAtProd: true,
  },
};"#,
        good: r#"// config/config.prod.js
module.exports = {
  logger: {
    level: 'INFO',
    consoleLevel: 'NONE',
  },
};"#,
        fix: "Use `INFO` (or `WARN`) in deployed envs and keep `DEBUG` in \
`config/config.local.js`:\n\n```js\n// config/config.prod.js\nconfig.logger = {\n  level: \
'INFO',\n  allowDebugAtProd: false,\n};\n```",
    },
};

/// Whether a level string logs debug output (egg-logger reads levels case-insensitively).
fn is_debug(level: &str) -> bool {
    matches!(level.to_ascii_uppercase().as_str(), "DEBUG" | "ALL")
}

impl Rule for LoggerDebugInProd {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let env = app.env.clone();
        let allow = app.config_at("logger.allowDebugAtProd");
        let allow_debug = allow.and_then(Value::truthy) == Some(true);
        let mut levels: Vec<(String, &Value)> = Vec::new();
        if let Some(level) = app.config_at("logger.level") {
            levels.push(("logger.level".into(), level));
        }
        if let Some(level) = app.config_at("logger.coreLogger.level") {
            levels.push(("logger.coreLogger.level".into(), level));
        }
        if let Some(custom) = app.config_at("customLogger").and_then(Value::as_object) {
            for (name, options) in custom {
                if let Some(level) = options.get("level") {
                    levels.push((format!("customLogger.{name}.level"), level));
                }
            }
        }
        let console_stays = app
            .config_at("logger.disableConsoleAfterReady")
            .and_then(Value::as_bool)
            == Some(false);
        if console_stays {
            if let Some(level) = app.config_at("logger.consoleLevel") {
                levels.push(("logger.consoleLevel".into(), level));
            }
        }
        // A level that is not statically known (env, computed) leaves the control undecided.
        let unknown = levels
            .iter()
            .any(|(_, v)| v.as_str().is_none() && !v.is_undefined());
        for (key, value) in levels {
            let Some(level) = value.as_str().filter(|l| is_debug(l)) else {
                if key == "logger.level"
                    && allow_debug
                    && value.as_str().is_none()
                    && !value.is_unknown()
                {
                    // A level from the environment with the prod guard turned off.
                    let prov = allow
                        .map(|a| a.prov.clone())
                        .unwrap_or_else(|| value.prov.clone());
                    cx.report(
                        &prov,
                        format!("`logger.allowDebugAtProd` is true in {env} and `logger.level` comes from the environment, so DEBUG logging is one variable away"),
                        vec!["logger.allowDebugAtProd = true, logger.level from env".into()],
                        META.docs.fix,
                    )
                    .confidence = Confidence::Medium;
                }
                continue;
            };
            // egg lowers exactly `logger.level === 'DEBUG'` to INFO in prod.
            if key == "logger.level" && env == "prod" && level == "DEBUG" && !allow_debug {
                continue;
            }
            let prov = value.prov.clone();
            let mut evidence = vec![format!("{key} = '{level}' (env {env})")];
            if allow_debug && key == "logger.level" {
                evidence.push("logger.allowDebugAtProd = true".into());
            }
            cx.report(
                &prov,
                format!("`{key}` is '{level}' in {env}: debug output is written in a deployed env"),
                evidence,
                META.docs.fix,
            );
        }
        if unknown && cx.findings().is_empty() {
            cx.not_applicable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_debug_allowed_in_prod_and_all() {
        let app = test_model(json!({"logger": {
            "level": {"$at": "config/config.prod.js:3:12", "$value": "DEBUG"},
            "allowDebugAtProd": true
        }, "customLogger": {"sql": {"level": "ALL"}}}));
        let findings = run_rule(&LoggerDebugInProd, &app);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:3:12"
        );
    }

    #[test]
    fn hit_lowercase_debug_and_other_deployed_env() {
        // egg's guard compares with 'DEBUG' exactly
        let app = test_model(json!({"logger": {"level": "debug"}}));
        assert_eq!(run_rule(&LoggerDebugInProd, &app).len(), 1);
        let mut app = test_model(json!({"logger": {"level": "DEBUG"}}));
        app.env = "staging".into();
        assert_eq!(run_rule(&LoggerDebugInProd, &app).len(), 1);
    }

    #[test]
    fn hit_env_level_with_allow() {
        let app = test_model(json!({"logger": {
            "level": {"$env": "LOG_LEVEL", "default": null},
            "allowDebugAtProd": true
        }}));
        let findings = run_rule(&LoggerDebugInProd, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].confidence, Confidence::Medium);
    }

    #[test]
    fn no_hit_when_egg_lowers_it_or_info_or_local() {
        for config in [
            json!({"logger": {"level": "DEBUG", "allowDebugAtProd": false}}),
            json!({"logger": {"level": "INFO", "allowDebugAtProd": true}}),
            // console is disabled after ready outside local (egg's default)
            json!({"logger": {"consoleLevel": "DEBUG", "disableConsoleAfterReady": true}}),
            json!({"logger": {"level": {"$env": "LOG_LEVEL", "default": null}}}),
        ] {
            let app = test_model(config.clone());
            assert!(run_rule(&LoggerDebugInProd, &app).is_empty(), "{config}");
        }
        let mut app = test_model(json!({"logger": {"level": "ALL"}}));
        app.env = "local".into();
        assert!(run_rule(&LoggerDebugInProd, &app).is_empty());
    }
}
