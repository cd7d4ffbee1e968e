//! `CSRF004` `csrf-type-weaker-than-needed`: `security.csrf.type` is `referer` or `any`, so a
//! request passes on its Referer/Origin header alone, in an app that keeps users logged in
//! with cookies.

use crate::egg_security::{sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CsrfTypeWeakerThanNeeded;

static META: RuleMeta = RuleMeta {
    code: "CSRF004",
    name: "csrf-type-weaker-than-needed",
    strategy: Strategy::Csrf,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "CSRF requests are verified with a token (`security.csrf.type` is `ctoken` or `all`)",
    docs: RuleDocs {
        what: "Finds `config.security.csrf.type` set to `referer` or `any` while the app keeps \
users logged in with cookies (the session plugin or egg-passport is enabled). egg-security's \
types: `ctoken` checks the token (the default), `referer` checks only that the Referer (or \
Origin) host is the app's host or in `csrf.refererWhiteList`, `all` requires both, and `any` \
accepts a request that passes either — so `any` is no stronger than `referer`.",
        why: "A Referer/Origin check stops plain cross-site forms, but it trusts every page on \
the app's own host and every host in `refererWhiteList` (a `.example.com` entry trusts all \
subdomains, including user-content or forgotten ones). One XSS or open upload on any trusted \
host, or a subdomain takeover, is enough to forge requests; a per-user token is not forgeable \
that way.",
        bad: r#"// config/config.default.js
module.exports = {
  security: {
    csrf: { type: 'any', refererWhiteList: [ '.example.com' ] },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    csrf: { type: 'ctoken' }, // or 'all': token and Referer/Origin must both pass
  },
};"#,
        fix: "Set `config.security.csrf.type` to `'ctoken'` (egg-security's default) or `'all'`, \
and send the token from pages (`ctx.csrf` in forms as `_csrf`) and AJAX clients (the \
`csrfToken` cookie's value in the `x-csrf-token` header).",
    },
};

impl Rule for CsrfTypeWeakerThanNeeded {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !matches!(sub_middleware(app, "csrf"), SubMiddleware::Enabled(_)) {
            cx.not_applicable();
            return;
        }
        let Some(value) = app.config_at("security.csrf.type") else {
            cx.not_applicable();
            return;
        };
        let Some(kind) = value.as_str() else {
            cx.not_applicable();
            return;
        };
        let how = match kind {
            "referer" => "checks only the Referer/Origin host",
            "any" => "accepts a request whose Referer/Origin host passes even without a token",
            "ctoken" | "all" => {
                cx.fact(format!("CSRF check type `{kind}` verifies a token"));
                return;
            }
            _ => {
                cx.not_applicable();
                return;
            }
        };
        let cookie_auth: Vec<&str> = ["session", "passport"]
            .into_iter()
            .filter(|p| app.plugin_enabled(p))
            .collect();
        if cookie_auth.is_empty() {
            cx.not_applicable();
            return;
        }
        let mut evidence = vec![format!("security.csrf.type = '{kind}'")];
        evidence.push(format!(
            "enabled cookie-auth plugins: {}",
            cookie_auth.join(", ")
        ));
        if let Some(list) = app.config_at("security.csrf.refererWhiteList") {
            if let Some(items) = crate::util::string_list(list) {
                if !items.is_empty() {
                    evidence.push(format!("security.csrf.refererWhiteList = {items:?}"));
                }
            }
        }
        cx.report(
            &value.prov,
            format!(
                "security.csrf.type is '{kind}' in {}: the CSRF check {how}, in an app that keeps \
users logged in with cookies",
                app.env
            ),
            evidence,
            "Verify a token on every state-changing request:\n\n```js\n\
// config/config.default.js\nconfig.security = {\n  csrf: {\n    type: 'ctoken', // or 'all'\n  \
},\n};\n```",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_referer_and_any() {
        for kind in ["referer", "any"] {
            let app = test_model(json!({"security": {"csrf": {
                "enable": true,
                "type": {"$at": "config/config.prod.js:3:11", "$value": kind},
                "refererWhiteList": [".example.com"],
            }}}));
            let findings = run_rule(&CsrfTypeWeakerThanNeeded, &app);
            assert_eq!(findings.len(), 1, "{kind}");
            assert_eq!(
                findings[0].location.to_string(),
                "config/config.prod.js:3:11"
            );
            assert_eq!(
                findings[0].evidence[0],
                format!("security.csrf.type = '{kind}'")
            );
            assert!(findings[0].evidence[2].contains(".example.com"));
        }
    }

    #[test]
    fn no_hit_token_types_or_no_cookie_auth() {
        for kind in ["ctoken", "all"] {
            let app = test_model(json!({"security": {"csrf": {"enable": true, "type": kind}}}));
            assert!(
                run_rule(&CsrfTypeWeakerThanNeeded, &app).is_empty(),
                "{kind}"
            );
        }
        let mut app =
            test_model(json!({"security": {"csrf": {"enable": true, "type": "referer"}}}));
        set_plugin(&mut app, "session", false);
        assert!(run_rule(&CsrfTypeWeakerThanNeeded, &app).is_empty());
        let app = test_model(json!({"security": {"csrf": {"enable": false, "type": "referer"}}}));
        assert!(run_rule(&CsrfTypeWeakerThanNeeded, &app).is_empty());
        let app =
            test_model(json!({"security": {"csrf": {"enable": true, "type": {"$unknown": "x"}}}}));
        assert!(run_rule(&CsrfTypeWeakerThanNeeded, &app).is_empty());
    }
}
