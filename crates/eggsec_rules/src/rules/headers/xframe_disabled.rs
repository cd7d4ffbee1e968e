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
enforced CSP has no `frame-ancestors` directive either. When the app shows no \
authentication at all (its routes all known and none requiring authentication, no auth \
plugin, no session, signed-cookie or `Authorization` read — as for CSRF001), the finding is \
kept at low confidence: a framed page then acts as no one.",
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
        // with no user to act as, a framed page can do only what the framing site could
        let no_user = matches!(
            crate::credentials::credential_transport(app),
            crate::credentials::Transport::NoAuthentication
        );
        let mut message = format!(
            "Any site can frame the app in {} (clickjacking): {why}, and the CSP sets no \
frame-ancestors",
            app.env
        );
        if no_user {
            message.push_str(
                "; no route of the app requires authentication and no code reads a session, a \
signed cookie or an Authorization header, so a framed page acts as no one (unless a framework \
or plugin eggsec cannot see authenticates, or the app trusts the network its users reach it \
from)",
            );
        }
        let finding = cx.report(
            &value.prov,
            message,
            vec![evidence],
            "Restrict framing:\n\n```js\nconfig.security = {\n  xframe: { enable: true, value: \
'SAMEORIGIN' },\n  // or, to allow named framers:\n  // csp: { enable: true, policy: { \
'frame-ancestors': \"'self' https://partner.example.com\" } },\n};\n```",
        );
        if no_user {
            finding.confidence = Confidence::Low;
        }
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
    fn an_app_with_no_authentication_lowers_the_confidence() {
        // macaca-datahub: a mock-data server that authenticates no one
        let run = |handler: &str| {
            let (_tmp, app) = crate::testing::load_app(&[
                ("package.json", r#"{"name":"datahub"}"#),
                (
                    "config/config.default.js",
                    "module.exports = { keys: 'k_1234567890', security: { xframe: { enable: false } } };\n",
                ),
                (
                    "app/router.js",
                    "module.exports = app => { app.router.post('/api/data', app.controller.data.update); };\n",
                ),
                ("app/controller/data.js", handler),
            ]);
            let mut found = run_rule(&XframeDisabled, &app);
            assert_eq!(found.len(), 1, "{found:#?}");
            found.remove(0)
        };
        let f = run("exports.update = async ctx => { ctx.body = 1; };\n");
        assert_eq!(f.confidence, Confidence::Low, "{f:#?}");
        assert!(f.message.contains("acts as no one"), "{f:#?}");
        // look-alikes: the handler rejects anonymous users, or reads the session
        for handler in [
            "exports.update = async ctx => { if (!ctx.get('x-user')) ctx.throw(401); ctx.body = 1; };\n",
            "exports.update = async ctx => { ctx.body = ctx.session.user; };\n",
        ] {
            let f = run(handler);
            assert_eq!(f.confidence, Confidence::High, "{handler}: {f:#?}");
            assert!(!f.message.contains("acts as no one"), "{handler}");
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
