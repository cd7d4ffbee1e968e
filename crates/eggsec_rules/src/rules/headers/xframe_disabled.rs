//! `HDR007` `xframe-disabled`: no working clickjacking protection — egg-security's
//! `X-Frame-Options` is off or `ALLOW-FROM` (which browsers ignore), and the CSP has no
//! `frame-ancestors`.

use crate::egg_security::{
    active_csp, directive, disabled_evidence, is_dev_env, sub_middleware, SubMiddleware,
};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct XframeDisabled;

static META: RuleMeta = RuleMeta {
    code: "HDR007",
    name: "xframe-disabled",
    strategy: Strategy::Headers,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Framing is restricted (X-Frame-Options DENY/SAMEORIGIN or CSP frame-ancestors)",
    docs: RuleDocs {
        what: "Finds `config.security.xframe` turned off, or its `value` set to `ALLOW-FROM ...` \
(or anything but `DENY`/`SAMEORIGIN`), in an env other than `local`/`unittest`, when the \
enforced CSP has no `frame-ancestors` directive either.",
        why: "A page that any site may frame can be overlaid with a decoy (clickjacking): the \
user believes they click the attacker's page and in fact press the app's buttons — confirm a \
transfer, change a setting. Current browsers ignore `ALLOW-FROM`, so such a value protects \
nothing.",
        bad: r#"// config/config.default.js
module.exports = {
  security: {
    xframe: { value: 'ALLOW-FROM https://partner.example.com' },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    xframe: { enable: true, value: 'SAMEORIGIN' },
    // to allow one partner, use CSP instead:
    csp: { enable: true, policy: { 'frame-ancestors': "'self' https://partner.example.com" } },
  },
};"#,
        fix: "Keep `config.security.xframe = { enable: true, value: 'SAMEORIGIN' }` (or \
`'DENY'`). To allow specific framers, add `'frame-ancestors': \"'self' https://partner.example\"` \
to `config.security.csp.policy`; browsers that support it ignore X-Frame-Options.",
    },
};

impl Rule for XframeDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let (value, evidence, why) = match sub_middleware(app, "xframe") {
            SubMiddleware::Disabled(value) => (
                value,
                disabled_evidence(cx, "xframe", value),
                "security.xframe is turned off".to_string(),
            ),
            SubMiddleware::Enabled(options) => {
                let Some(value) = options.get("value") else {
                    cx.fact("X-Frame-Options SAMEORIGIN");
                    return;
                };
                let Some(text) = value.as_str() else {
                    cx.not_applicable();
                    return;
                };
                let trimmed = text.trim();
                if trimmed.is_empty()
                    || trimmed.eq_ignore_ascii_case("DENY")
                    || trimmed.eq_ignore_ascii_case("SAMEORIGIN")
                {
                    cx.fact(format!("X-Frame-Options {}", trimmed.to_ascii_uppercase()));
                    return;
                }
                let why = if trimmed.to_ascii_uppercase().starts_with("ALLOW-FROM") {
                    "browsers ignore X-Frame-Options `ALLOW-FROM`".to_string()
                } else {
                    format!("browsers ignore the X-Frame-Options value {trimmed:?}")
                };
                (value, format!("security.xframe.value = {text:?}"), why)
            }
            _ => {
                cx.not_applicable();
                return;
            }
        };
        let frame_ancestors = active_csp(app).is_some_and(|(_, directives, report_only)| {
            !report_only && directive(&directives, "frame-ancestors").is_some()
        });
        if frame_ancestors {
            cx.fact("Framing restricted by CSP frame-ancestors");
            return;
        }
        cx.report(
            &value.prov,
            format!(
                "Any site can frame the app in {} (clickjacking): {why}, and the CSP sets no \
frame-ancestors",
                app.env
            ),
            vec![evidence],
            "Restrict framing:\n\n```js\nconfig.security = {\n  xframe: { enable: true, value: \
'SAMEORIGIN' },\n  // or, to allow named framers:\n  // csp: { enable: true, policy: { \
'frame-ancestors': \"'self' https://partner.example.com\" } },\n};\n```",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_off_allow_from_or_invalid() {
        for xframe in [
            json!({"enable": {"$at": "config/config.prod.js:3:23", "$value": false}}),
            json!({"enable": true, "value": {"$at": "config/config.prod.js:3:23",
                "$value": "ALLOW-FROM https://partner.example.com"}}),
            json!({"enable": true, "value": {"$at": "config/config.prod.js:3:23", "$value": "ALLOWALL"}}),
        ] {
            let app = test_model(json!({"security": {"xframe": xframe.clone()}}));
            let found = run_rule(&XframeDisabled, &app);
            assert_eq!(found.len(), 1, "{xframe}");
            assert_eq!(found[0].location.to_string(), "config/config.prod.js:3:23");
        }
    }

    #[test]
    fn no_hit_sameorigin_deny_or_frame_ancestors() {
        for config in [
            json!({"security": {"xframe": {"enable": true, "value": "SAMEORIGIN"}}}),
            json!({"security": {"xframe": {"enable": true, "value": "deny"}}}),
            json!({"security": {"xframe": {"enable": true, "value": ""}}}),
            json!({"security": {"xframe": {"enable": false},
                "csp": {"enable": true, "policy": {"frame-ancestors": "'self'"}}}}),
            json!({"security": {"xframe": {"enable": true, "value": {"$unknown": "f()"}}}}),
        ] {
            let app = test_model(config.clone());
            assert!(run_rule(&XframeDisabled, &app).is_empty(), "{config}");
        }
        // A report-only frame-ancestors does not protect.
        let app = test_model(json!({"security": {"xframe": {"enable": false},
            "csp": {"enable": true, "reportOnly": true, "policy": {"frame-ancestors": "'self'"}}}}));
        assert_eq!(run_rule(&XframeDisabled, &app).len(), 1);
    }
}
