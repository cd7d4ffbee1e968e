//! `CSRF002` `csrf-ignore-json`: `security.csrf.ignoreJSON: true` skips the CSRF check for
//! every request with a JSON content type.

use crate::egg_security::{sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CsrfIgnoreJson;

static META: RuleMeta = RuleMeta {
    code: "CSRF002",
    name: "csrf-ignore-json",
    strategy: Strategy::Csrf,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "CSRF tokens are checked on JSON requests too (`security.csrf.ignoreJSON` is off)",
    docs: RuleDocs {
        what: "Finds `config.security.csrf.ignoreJSON: true` in the audited env. With it, \
egg-security's `csrf` middleware returns before checking the token whenever the request's \
`Content-Type` is a JSON type (`application/json`, `application/*+json`).",
        why: "`ignoreJSON` is deprecated in egg-security because its safety rests on one \
assumption: that a cross-site page cannot make the browser send a JSON content type with the \
user's cookies. That holds only while no CORS policy lets another origin through the preflight \
(egg-cors reflecting origins, a `*` in `security.domainWhiteList`), no sibling or subdomain site \
is compromised, and no browser or plugin bug lets a form or beacon claim `application/json`. \
(A plain HTML form can only send `text/plain`, urlencoded or multipart bodies: those are still \
checked, which is why the JSON endpoints become the weak spot.) When the assumption breaks, \
every JSON API that changes state is open to CSRF.",
        bad: r#"// config/config.default.js
module.exports = {
  security: {
    csrf: { ignoreJSON: true },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    csrf: {
      ignoreJSON: false,         // egg-security's default
      headerName: 'x-csrf-token', // AJAX clients send the csrfToken cookie's value here
    },
  },
};"#,
        fix: "Delete `ignoreJSON: true` (egg-security's default is `false`) and have AJAX \
clients send the token: read the `csrfToken` cookie and send it in the `x-csrf-token` header \
(or `ctx.csrf` rendered into the page). Exempt only endpoints that take no cookie-based \
authentication (webhooks, token-authenticated APIs) with `security.csrf.ignore`.",
    },
};

impl Rule for CsrfIgnoreJson {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        // When the CSRF check does not run at all, `csrf-disabled` says so.
        if !matches!(sub_middleware(app, "csrf"), SubMiddleware::Enabled(_)) {
            cx.not_applicable();
            return;
        }
        let Some(value) = app.config_at("security.csrf.ignoreJSON") else {
            cx.not_applicable();
            return;
        };
        if value.truthy() != Some(true) {
            match value.truthy() {
                Some(false) => cx.fact("CSRF tokens are checked on JSON requests (ignoreJSON off)"),
                _ => cx.not_applicable(),
            }
            return;
        }
        let mut message = format!(
            "security.csrf.ignoreJSON is on in {}: requests with a JSON Content-Type skip the CSRF \
token check",
            app.env
        );
        if app.plugin_enabled("cors") {
            message.push_str(
                " (the cors plugin is enabled: any origin it lets through the preflight can send \
such requests with the user's cookies)",
            );
        }
        cx.report(
            &value.prov,
            message,
            vec!["security.csrf.ignoreJSON = true".into()],
            "Remove `ignoreJSON` so egg-security's default (`false`) applies, and send the token \
from AJAX clients:\n\n```js\n// config/config.default.js\nconfig.security = {\n  csrf: {\n    \
ignoreJSON: false,\n    headerName: 'x-csrf-token',\n  },\n};\n```\n\nClients read the \
`csrfToken` cookie and send its value in the `x-csrf-token` header.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_ignore_json_true() {
        let app = test_model(json!({"security": {"csrf": {
            "enable": true,
            "ignoreJSON": {"$at": "config/config.prod.js:4:19", "$value": true},
        }}}));
        let findings = run_rule(&CsrfIgnoreJson, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:4:19"
        );
        assert_eq!(findings[0].evidence, ["security.csrf.ignoreJSON = true"]);
        assert!(!findings[0].message.contains("cors"));
    }

    #[test]
    fn hit_mentions_cors() {
        let mut app =
            test_model(json!({"security": {"csrf": {"enable": true, "ignoreJSON": true}}}));
        set_plugin(&mut app, "cors", true);
        let findings = run_rule(&CsrfIgnoreJson, &app);
        assert!(findings[0].message.contains("cors plugin"));
    }

    #[test]
    fn no_hit_when_off_unknown_or_csrf_disabled() {
        for config in [
            json!({"security": {"csrf": {"enable": true, "ignoreJSON": false}}}),
            json!({"security": {"csrf": {"enable": true}}}),
            json!({"security": {"csrf": {"enable": true, "ignoreJSON": {"$env": "IJ", "default": null}}}}),
            json!({"security": {"csrf": {"enable": true, "ignoreJSON": {"$unknown": "f()"}}}}),
            // CSRF off entirely: csrf-disabled reports it, not this rule.
            json!({"security": {"csrf": {"enable": false, "ignoreJSON": true}}}),
        ] {
            let app = test_model(config.clone());
            assert!(run_rule(&CsrfIgnoreJson, &app).is_empty(), "{config}");
        }
    }

    #[test]
    fn not_applicable_while_csrf_is_off() {
        let app = test_model(json!({"security": {"csrf": {"enable": false, "ignoreJSON": true}}}));
        let settings = crate::config::Settings::default();
        let mut cx = RuleContext::new(&app, &settings, CsrfIgnoreJson.meta());
        CsrfIgnoreJson.check(&mut cx);
        assert!(!cx.is_applicable());
    }
}
