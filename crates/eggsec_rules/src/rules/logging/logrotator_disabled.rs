//! `LOG002` `logrotator-disabled`: egg's log files are never rotated or never cleaned up.

use crate::util::is_dev_env;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct LogrotatorDisabled;

static META: RuleMeta = RuleMeta {
    code: "LOG002",
    name: "logrotator-disabled",
    strategy: Strategy::Logging,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Log files are rotated and old ones removed (egg-logrotator)",
    docs: RuleDocs {
        what: "In an env other than `local` and `unittest`, finds the `logrotator` plugin \
(egg-logrotator) disabled, or `config.logrotator.maxDays` set to `0` (or a negative \
number): egg-logrotator's daily clean-up only runs `if (maxDays && maxDays > 0)`, so rotated \
`*.log.YYYY-MM-DD` files are then kept forever. egg's default is `maxDays: 31`.",
        why: "Without rotation every log file grows without bound until the disk is full, \
which stops the app (and anything sharing the disk); without clean-up the rotated files pile \
up the same way. Logs also hold personal data and security events: keeping them forever \
breaks retention rules, and losing them to a full disk hides incidents.",
        bad: r#"// config/plugin.js
exports.logrotator = false;
// or config/config.prod.js
module.exports = { logrotator: { maxDays: 0 } };"#,
        good: r#"// config/config.prod.js
module.exports = {
  logrotator: {
    maxDays: 31,                 // egg's default
    filesRotateBySize: [],       // optional: rotate big files by size too
    maxFileSize: 50 * 1024 * 1024,
  },
};"#,
        fix: "Keep egg-logrotator enabled and give `config.logrotator.maxDays` a positive \
retention that matches the log policy (egg's default is 31 days). If logs go to stdout and \
the platform rotates them, say so with an eggsec-ignore comment on this finding.",
    },
};

impl Rule for LogrotatorDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        if let Some(plugin) = app.plugin("logrotator") {
            if !plugin.enabled {
                let prov = plugin.decided_by.clone();
                cx.report(
                    &prov,
                    format!(
                        "The logrotator plugin (egg-logrotator) is disabled in {}: log files \
are never rotated and grow until the disk is full",
                        app.env
                    ),
                    vec![format!("plugin logrotator disabled in {}", app.env)],
                    "Enable the plugin again in `config/plugin.js`:\n\n```js\nexports.logrotator = true;\n```",
                );
                return;
            }
        } else {
            cx.not_applicable();
            return;
        }
        let Some(max_days) = app.config_at("logrotator.maxDays") else {
            cx.not_applicable();
            return;
        };
        // `maxDays && maxDays > 0`: 0, null, false and negatives turn the clean-up off.
        let off = match max_days.as_f64() {
            Some(n) => n <= 0.0 || n.is_nan(),
            None => max_days.truthy() == Some(false),
        };
        if !off {
            match max_days.as_f64() {
                Some(n) => cx.fact(format!(
                    "egg-logrotator rotates the log files and keeps them {} days",
                    eggsec_js::number_json(n)
                )),
                // Not statically known (env, computed).
                None => cx.not_applicable(),
            }
        }
        if off {
            let prov = max_days.prov.clone();
            cx.report(
                &prov,
                format!(
                    "`logrotator.maxDays` turns egg-logrotator's clean-up off in {}: rotated log \
files are kept forever",
                    app.env
                ),
                vec![format!(
                    "logrotator.maxDays = {}",
                    max_days.to_tagged_json()
                )],
                "Give rotated logs a retention:\n\n```js\nconfig.logrotator = {\n  maxDays: 31,\n};\n```",
            )
            .severity = Severity::Low;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_plugin_disabled() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "logrotator", false);
        let findings = run_rule(&LogrotatorDisabled, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].location.to_string(), "config/plugin.js:1:1");
    }

    #[test]
    fn hit_max_days_zero() {
        let app = test_model(json!({"logrotator": {
            "maxDays": {"$at": "config/config.prod.js:3:14", "$value": 0}
        }}));
        let findings = run_rule(&LogrotatorDisabled, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Low);
        assert_eq!(findings[0].evidence, ["logrotator.maxDays = 0"]);
    }

    #[test]
    fn no_hit_for_defaults_local_or_unknown() {
        for config in [
            json!({"logrotator": {"maxDays": 31}}),
            json!({"logrotator": {"maxDays": {"$env": "LOG_DAYS", "default": null}}}),
            json!({}),
        ] {
            let app = test_model(config.clone());
            assert!(run_rule(&LogrotatorDisabled, &app).is_empty(), "{config}");
        }
        let mut app = test_model(json!({"logrotator": {"maxDays": 0}}));
        app.env = "local".into();
        assert!(run_rule(&LogrotatorDisabled, &app).is_empty());
    }
}
