//! `HDR008` `nosniff-disabled`: egg-security's `X-Content-Type-Options: nosniff` is off.

use crate::egg_security::{disabled_evidence, is_dev_env, sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct NosniffDisabled;

static META: RuleMeta = RuleMeta {
    code: "HDR008",
    name: "nosniff-disabled",
    strategy: Strategy::Headers,
    severity: Severity::Low,
    confidence: Confidence::High,
    control: "X-Content-Type-Options: nosniff is sent",
    docs: RuleDocs {
        what: "Finds `config.security.nosniff` turned off in an env other than \
`local`/`unittest` (egg-security's default is on).",
        why: "Without `nosniff`, browsers may guess a response's type from its content: an \
uploaded file or a JSON/text response that contains markup or script can then be run as HTML \
or JavaScript in the app's origin (content-sniffing XSS).",
        bad: r#"// config/config.default.js
module.exports = {
  security: { nosniff: { enable: false } },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: { nosniff: { enable: true } }, // egg-security's default
};"#,
        fix: "Remove the override so egg-security's default `nosniff: { enable: true }` applies. \
If one route must be sniffed (rare), exempt only it with `security.nosniff.ignore`.",
    },
};

impl Rule for NosniffDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        match sub_middleware(app, "nosniff") {
            SubMiddleware::Disabled(value) => {
                cx.report(
                    &value.prov,
                    format!(
                        "X-Content-Type-Options: nosniff is not sent in {}: security.nosniff is \
turned off",
                        app.env
                    ),
                    vec![disabled_evidence(cx, "nosniff", value)],
                    "Turn it back on:\n\n```js\nconfig.security = {\n  nosniff: { enable: true \
},\n};\n```",
                );
            }
            SubMiddleware::Enabled(_) => cx.fact("X-Content-Type-Options: nosniff sent"),
            _ => cx.not_applicable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_nosniff_off() {
        let app = test_model(json!({"security": {"nosniff": {
            "enable": {"$at": "config/config.default.js:4:24", "$value": false}}}}));
        let found = run_rule(&NosniffDisabled, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:4:24"
        );
        let app = test_model(json!({"security": {"nosniff": false}}));
        assert_eq!(
            run_rule(&NosniffDisabled, &app)[0].evidence,
            ["security.nosniff = false (config/config.default.js)"]
        );
    }

    #[test]
    fn no_hit_on_or_local() {
        let app = test_model(json!({"security": {"nosniff": {"enable": true}}}));
        assert!(run_rule(&NosniffDisabled, &app).is_empty());
        let mut app = test_model(json!({"security": {"nosniff": {"enable": false}}}));
        app.env = "local".into();
        assert!(run_rule(&NosniffDisabled, &app).is_empty());
    }
}
