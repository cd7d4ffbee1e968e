//! `LOG005` `log-retention-outside-policy`: egg-logrotator keeps logs longer (or shorter) than
//! the retention the team set in `eggsec.toml`.

use crate::util::is_dev_env;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct LogRetentionOutsidePolicy;

static META: RuleMeta = RuleMeta {
    code: "LOG005",
    name: "log-retention-outside-policy",
    strategy: Strategy::Logging,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Log retention (egg-logrotator maxDays) matches the written policy",
    docs: RuleDocs {
        what: "With a retention policy in `eggsec.toml` (`[logs] max-days` and/or `min-days`), \
finds an env other than `local`/`unittest` whose effective `config.logrotator.maxDays` \
(egg-logrotator's default is 31) keeps rotated logs longer than `max-days`, forever \
(`maxDays: 0`), or shorter than `min-days`. Without a policy the rule does not run.",
        why: "Logs hold personal data and security events. Kept past the policy they break \
data-protection rules and widen what a breach exposes; dropped before it, the evidence an \
incident response needs is gone.",
        bad: r#"# eggsec.toml
[logs]
max-days = 30

// config/config.prod.js
module.exports = { logrotator: { maxDays: 0 } };   // kept forever"#,
        good: r#"// config/config.prod.js
module.exports = { logrotator: { maxDays: 30 } };"#,
        fix: "Set `config.logrotator.maxDays` in the env's config file to a value inside the \
policy (and keep the plugin enabled).\n\nOptions (`eggsec.toml`):\n\n```toml\n[logs]\n\
max-days = 90   # longest retention allowed\nmin-days = 30   # shortest retention allowed\n```",
    },
};

impl Rule for LogRetentionOutsidePolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let policy = cx.settings.logs.clone();
        if (policy.max_days.is_none() && policy.min_days.is_none()) || is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        if !app.plugin("logrotator").is_some_and(|p| p.enabled) {
            // logrotator-disabled says it.
            cx.not_applicable();
            return;
        }
        let Some(value) = app.config_at("logrotator.maxDays") else {
            cx.not_applicable();
            return;
        };
        let Some(days) = value.as_f64() else {
            cx.not_applicable();
            return;
        };
        let kept = if days <= 0.0 {
            "forever (maxDays 0 turns the clean-up off)".to_string()
        } else {
            format!("{days} days")
        };
        let too_long = policy
            .max_days
            .filter(|m| days <= 0.0 || days > f64::from(*m));
        let too_short = policy
            .min_days
            .filter(|m| days > 0.0 && days < f64::from(*m));
        let prov = value.prov.clone();
        if let Some(max) = too_long {
            cx.report(
                &prov,
                format!(
                    "egg-logrotator keeps logs {kept} in {}, longer than the policy's {max} days",
                    app.env
                ),
                vec![format!(
                    "logrotator.maxDays = {days}; eggsec.toml [logs] max-days = {max}"
                )],
                format!("```js\nconfig.logrotator = {{\n  maxDays: {max},\n}};\n```"),
            );
        } else if let Some(min) = too_short {
            cx.report(
                &prov,
                format!(
                    "egg-logrotator keeps logs {kept} in {}, shorter than the policy's {min} days",
                    app.env
                ),
                vec![format!(
                    "logrotator.maxDays = {days}; eggsec.toml [logs] min-days = {min}"
                )],
                format!("```js\nconfig.logrotator = {{\n  maxDays: {min},\n}};\n```"),
            );
        } else {
            cx.fact(format!("log retention {kept} is inside the policy"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LogsSettings, Settings};
    use crate::testing::{set_plugin, test_model};
    use serde_json::json;

    fn run(app: &eggsec_app::AppModel, logs: LogsSettings) -> Vec<eggsec_report::Finding> {
        let mut settings = Settings::default();
        settings.logs = logs;
        let mut cx = RuleContext::new(app, &settings, LogRetentionOutsidePolicy.meta());
        LogRetentionOutsidePolicy.check(&mut cx);
        cx.into_parts().0
    }

    fn policy(max: Option<u32>, min: Option<u32>) -> LogsSettings {
        LogsSettings {
            max_days: max,
            min_days: min,
        }
    }

    #[test]
    fn hit_forever_longer_and_shorter() {
        let mut app = test_model(json!({"logrotator": {
            "maxDays": {"$at": "config/config.prod.js:2:30", "$value": 0}
        }}));
        set_plugin(&mut app, "logrotator", true);
        let f = run(&app, policy(Some(90), None));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("forever"));
        assert_eq!(f[0].location.to_string(), "config/config.prod.js:2:30");

        let mut app = test_model(json!({"logrotator": {"maxDays": 365}}));
        set_plugin(&mut app, "logrotator", true);
        assert_eq!(run(&app, policy(Some(90), None)).len(), 1);
        let mut app = test_model(json!({"logrotator": {"maxDays": 7}}));
        set_plugin(&mut app, "logrotator", true);
        assert!(run(&app, policy(Some(90), Some(30)))[0]
            .message
            .contains("shorter"));
    }

    #[test]
    fn no_hit_inside_policy_without_policy_or_in_local() {
        let mut app = test_model(json!({"logrotator": {"maxDays": 31}}));
        set_plugin(&mut app, "logrotator", true);
        assert!(run(&app, policy(Some(90), Some(30))).is_empty());
        let mut app = test_model(json!({"logrotator": {"maxDays": 0}}));
        set_plugin(&mut app, "logrotator", true);
        assert!(run(&app, policy(None, None)).is_empty());
        app.env = "local".into();
        assert!(run(&app, policy(Some(30), None)).is_empty());
    }
}
