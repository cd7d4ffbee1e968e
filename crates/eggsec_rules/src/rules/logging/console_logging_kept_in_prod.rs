//! `LOG007` `console-logging-kept-in-prod`: the app keeps writing its logs to stdout after it
//! is ready, outside the development envs.

use crate::util::{is_dev_env, layer_of};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct ConsoleLoggingKeptInProd;

static META: RuleMeta = RuleMeta {
    code: "LOG007",
    name: "console-logging-kept-in-prod",
    strategy: Strategy::Logging,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "Outside local/unittest, logs go to the rotated files only",
    docs: RuleDocs {
        what: "In an env other than `local` and `unittest`, finds the app's config setting \
`config.logger.disableConsoleAfterReady: false` while `logger.consoleLevel` still lets \
records through (anything but `NONE`). egg's default is to stop console output once the app \
is ready outside local/unittest (`disableConsoleAfterReady: env !== 'local' && env !== \
'unittest'`, egg's config.default.js).",
        why: "egg-scripts sends stdout to `master-stdout.log`, which egg-logrotator does not \
rotate by default and `eggsec logs redact` users rarely think of: every record, secrets and \
personal data included, lands in a second copy that grows forever (or in the container \
runtime's logs, with their own retention and access).",
        bad: r#"// config/config.prod.js
module.exports = { logger: { disableConsoleAfterReady: false } };"#,
        good: r#"// config/config.prod.js — egg's default behaviour
module.exports = { logger: { consoleLevel: 'NONE' } };"#,
        fix: "Remove the override (egg then stops console output after ready), or set \
`logger.consoleLevel: 'NONE'` (or `'ERROR'`) for the env. In containers that must log to \
stdout, set `outputJSON: true` and make the platform's log retention match the policy; \
then suppress this finding with a reason.",
    },
};

impl Rule for ConsoleLoggingKeptInProd {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let Some(value) = app.config_at("logger.disableConsoleAfterReady") else {
            cx.not_applicable();
            return;
        };
        // Only what the app wrote: egg's own default depends on the env.
        if layer_of(app, &value.prov).is_none() || value.truthy() != Some(false) {
            cx.not_applicable();
            return;
        }
        let level = app
            .config_at("logger.consoleLevel")
            .and_then(|v| v.as_str())
            .unwrap_or("INFO")
            .to_ascii_uppercase();
        if level == "NONE" {
            cx.fact("console output is off (consoleLevel NONE)");
            return;
        }
        let prov = value.prov.clone();
        cx.report(
            &prov,
            format!(
                "`logger.disableConsoleAfterReady` is false in {} with consoleLevel {level}: every \
record also goes to stdout (master-stdout.log under egg-scripts), unrotated",
                app.env
            ),
            vec![format!(
                "logger.disableConsoleAfterReady = false; logger.consoleLevel = {level}"
            )],
            "```js\n// config/config.prod.js\nconfig.logger = {\n  consoleLevel: 'NONE',\n};\n```",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_console_kept_by_the_app() {
        let app = test_model(json!({"logger": {
            "disableConsoleAfterReady": {"$at": "config/config.default.js:4:40", "$value": false},
            "consoleLevel": "INFO"
        }}));
        let f = run_rule(&ConsoleLoggingKeptInProd, &app);
        assert_eq!(f.len(), 1, "{f:#?}");
    }

    #[test]
    fn no_hit_when_none_in_local_or_not_set_by_the_app() {
        let app = test_model(json!({"logger": {
            "disableConsoleAfterReady": {"$at": "config/config.default.js:4:40", "$value": false},
            "consoleLevel": "NONE"
        }}));
        assert!(run_rule(&ConsoleLoggingKeptInProd, &app).is_empty());
        let mut app = test_model(json!({"logger": {
            "disableConsoleAfterReady": {"$at": "config/config.default.js:4:40", "$value": false}
        }}));
        app.env = "local".into();
        assert!(run_rule(&ConsoleLoggingKeptInProd, &app).is_empty());
        let app = test_model(json!({"logger": {"disableConsoleAfterReady": true}}));
        assert!(run_rule(&ConsoleLoggingKeptInProd, &app).is_empty());
    }
}
