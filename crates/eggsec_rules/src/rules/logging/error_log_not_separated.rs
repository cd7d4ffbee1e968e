//! `LOG006` `error-log-not-separated`: errors are not written to their own log file.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct ErrorLogNotSeparated;

static META: RuleMeta = RuleMeta {
    code: "LOG006",
    name: "error-log-not-separated",
    strategy: Strategy::Logging,
    severity: Severity::Low,
    confidence: Confidence::High,
    control: "Errors go to their own log file (common-error.log)",
    docs: RuleDocs {
        what: "Finds `config.logger.errorLogName` emptied, or set to the same file as \
`appLogName`, `coreLogName` or `agentLogName`. egg writes every ERROR-level record of every \
logger a second time to `errorLogName` (`common-error.log` by default).",
        why: "The separate error log is what alerting and incident response read first: one \
small file with every failure. Merged into the app log, errors drown among request logs, \
and monitoring on the error file sees nothing.",
        bad: r#"// config/config.default.js
module.exports = { logger: { errorLogName: '' } };"#,
        good: r#"// config/config.default.js — egg's default
module.exports = { logger: { errorLogName: 'common-error.log' } };"#,
        fix: "Remove the override (egg's default is `common-error.log`) or give it a file \
name of its own, and point error alerting (`eggsec logs watch`, a SIEM) at it.",
    },
};

impl Rule for ErrorLogNotSeparated {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let Some(value) = app.config_at("logger.errorLogName") else {
            cx.not_applicable();
            return;
        };
        let name = match (value.as_str(), value.truthy()) {
            (Some(s), _) => s.to_string(),
            (None, Some(false)) => String::new(),
            _ => {
                cx.not_applicable();
                return;
            }
        };
        let shared = ["appLogName", "coreLogName", "agentLogName"]
            .into_iter()
            .find(|k| {
                !name.is_empty()
                    && app
                        .config_at(&format!("logger.{k}"))
                        .and_then(|v| v.as_str())
                        .is_some_and(|other| other == name)
            });
        let prov = value.prov.clone();
        if name.trim().is_empty() {
            cx.report(
                &prov,
                "`logger.errorLogName` is empty: errors are not written to a log file of their own",
                vec!["logger.errorLogName = \"\"".into()],
                "```js\nconfig.logger = {\n  errorLogName: 'common-error.log',\n};\n```",
            );
        } else if let Some(k) = shared {
            cx.report(
                &prov,
                format!("`logger.errorLogName` is the same file as `logger.{k}` ({name}): errors are mixed into it"),
                vec![format!("logger.errorLogName = logger.{k} = {name}")],
                "```js\nconfig.logger = {\n  errorLogName: 'common-error.log',\n};\n```",
            );
        } else {
            cx.fact(format!("errors are written to {name}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_empty_or_shared() {
        let app = test_model(json!({"logger": {
            "errorLogName": {"$at": "config/config.default.js:3:30", "$value": ""},
            "appLogName": "testapp-web.log"
        }}));
        assert_eq!(run_rule(&ErrorLogNotSeparated, &app).len(), 1);
        let app = test_model(json!({"logger": {
            "errorLogName": "testapp-web.log", "appLogName": "testapp-web.log"
        }}));
        let f = run_rule(&ErrorLogNotSeparated, &app);
        assert!(f[0].message.contains("appLogName"));
    }

    #[test]
    fn no_hit_for_the_default() {
        let app = test_model(json!({"logger": {
            "errorLogName": "common-error.log", "appLogName": "testapp-web.log"
        }}));
        assert!(run_rule(&ErrorLogNotSeparated, &app).is_empty());
        assert!(run_rule(&ErrorLogNotSeparated, &test_model(json!({}))).is_empty());
    }
}
