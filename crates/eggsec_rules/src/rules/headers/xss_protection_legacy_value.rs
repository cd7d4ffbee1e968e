//! `HDR011` `xss-protection-legacy-value`: egg-security sends `X-XSS-Protection` with a value
//! that turns the obsolete browser XSS filter on (its default `1; mode=block`).

use crate::egg_security::{is_dev_env, set_by, sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::ValueKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct XssProtectionLegacyValue;

static META: RuleMeta = RuleMeta {
    code: "HDR011",
    name: "xss-protection-legacy-value",
    strategy: Strategy::Headers,
    severity: Severity::Info,
    confidence: Confidence::High,
    control: "X-XSS-Protection is `0` or not sent",
    docs: RuleDocs {
        what: "Finds egg-security's `xssProtection` on with a value other than `'0'` — its \
default is `'1; mode=block'` — in an env other than `local`/`unittest`.",
        why: "The XSS auditors this header controls were removed from Chrome, Edge and Firefox \
because they could be abused to leak data across sites and to disable scripts selectively; the \
remaining old browsers are the only ones that read it. OWASP and MDN advise `0` (or no header) \
and a Content-Security-Policy instead. This is hygiene, not an open hole.",
        bad: r#"// config/config.default.js — egg-security's default applies
module.exports = {
  security: { xssProtection: { enable: true, value: '1; mode=block' } },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: { xssProtection: { enable: true, value: '0' } },
};"#,
        fix: "Set `config.security.xssProtection.value = '0'` (and rely on a CSP):\n\n```js\n\
config.security = {\n  xssProtection: { enable: true, value: '0' },\n};\n```",
    },
};

impl Rule for XssProtectionLegacyValue {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let SubMiddleware::Enabled(options) = sub_middleware(app, "xssProtection") else {
            cx.not_applicable();
            return;
        };
        let Some(value) = options.get("value") else {
            cx.not_applicable();
            return;
        };
        let text = match &value.kind {
            ValueKind::String(s) => s.trim().to_string(),
            ValueKind::Number(n) => n.to_string(),
            // Not statically known (env, computed).
            _ => {
                cx.not_applicable();
                return;
            }
        };
        if text == "0" {
            cx.fact("X-XSS-Protection: 0");
            return;
        }
        let by = set_by(cx, value);
        cx.report(
            &value.prov,
            format!(
                "X-XSS-Protection is sent as {text:?} in {}: it turns on the obsolete browser XSS \
filter (modern advice is `0`)",
                app.env
            ),
            vec![format!("security.xssProtection.value = {text:?} ({by})")],
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_legacy_value() {
        let app = test_model(json!({"security": {"xssProtection": {"enable": true,
            "value": {"$at": "config/config.default.js:3:45", "$value": "1; mode=block"}}}}));
        let found = run_rule(&XssProtectionLegacyValue, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Info);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:3:45"
        );
    }

    #[test]
    fn no_hit_zero_off_or_local() {
        for config in [
            json!({"security": {"xssProtection": {"enable": true, "value": "0"}}}),
            json!({"security": {"xssProtection": {"enable": true, "value": 0}}}),
            json!({"security": {"xssProtection": {"enable": false, "value": "1; mode=block"}}}),
        ] {
            let app = test_model(config.clone());
            assert!(
                run_rule(&XssProtectionLegacyValue, &app).is_empty(),
                "{config}"
            );
        }
        let mut app =
            test_model(json!({"security": {"xssProtection": {"enable": true, "value": "1"}}}));
        app.env = "local".into();
        assert!(run_rule(&XssProtectionLegacyValue, &app).is_empty());
    }
}
