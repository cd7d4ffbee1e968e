//! `HDR001` `hsts-disabled`: egg-security sends no `Strict-Transport-Security` header in a
//! deployed env (it is off by default).

use crate::egg_security::{disabled_evidence, is_dev_env, set_by, sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct HstsDisabled;

static META: RuleMeta = RuleMeta {
    code: "HDR001",
    name: "hsts-disabled",
    strategy: Strategy::Headers,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "HSTS is sent (`security.hsts.enable: true`)",
    docs: RuleDocs {
        what: "Finds `config.security.hsts` off in an env other than `local`/`unittest`. \
egg-security's default is `{ enable: false }` (egg 2, 3 and 4), so an app that never mentions \
`hsts` sends no `Strict-Transport-Security` header.",
        why: "Without HSTS a browser will still try `http://` for the app (typed URLs, old \
links, a downgrade by someone on the network) and an attacker on the path can strip TLS, read \
and change the traffic, and steal session cookies that are not marked `Secure`. HSTS tells the \
browser to use HTTPS only. If TLS is terminated by a proxy that already adds the header, this \
finding can be suppressed with that reason.",
        bad: r#"// config/config.prod.js — nothing about hsts: egg-security's default is off
module.exports = {
  security: { csrf: { enable: true } },
};"#,
        good: r#"// config/config.prod.js
module.exports = {
  security: {
    hsts: { enable: true, maxAge: 365 * 24 * 3600, includeSubdomains: true },
  },
};"#,
        fix: "Turn HSTS on for the deployed envs (egg-security's `maxAge` is in seconds):\n\n\
```js\n// config/config.prod.js\nconfig.security = {\n  hsts: { enable: true, maxAge: 31536000, \
includeSubdomains: true },\n};\n```\n\n(or add the header at the TLS-terminating proxy).",
    },
};

impl Rule for HstsDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        // Plugin disabled or `hsts` dropped from defaultMiddleware: security-default-middleware-trimmed.
        match sub_middleware(app, "hsts") {
            SubMiddleware::Disabled(value) => {
                let written = if set_by(cx, value) == "egg-security's default" {
                    "egg-security's default `hsts.enable: false` applies"
                } else {
                    "security.hsts is turned off"
                };
                cx.report(
                    &value.prov,
                    format!(
                        "No Strict-Transport-Security header is sent in {}: {written}",
                        app.env
                    ),
                    vec![disabled_evidence(cx, "hsts", value)],
                    META.docs.fix,
                );
            }
            SubMiddleware::Enabled(_) => cx.fact(format!("HSTS sent in {}", app.env)),
            _ => cx.not_applicable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_off_by_default_or_explicitly() {
        let app = test_model(json!({"security": {"hsts": {
            "enable": {"$at": "config/config.prod.js:3:21", "$value": false}, "maxAge": 31536000}}}));
        let findings = run_rule(&HstsDisabled, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:3:21"
        );
        assert!(findings[0].message.contains("turned off"));
        let app = test_model(json!({"security": {"hsts": false}}));
        assert_eq!(run_rule(&HstsDisabled, &app).len(), 1);
    }

    #[test]
    fn no_hit_when_on_local_or_owned_elsewhere() {
        let app = test_model(json!({"security": {"hsts": {"enable": true, "maxAge": 31536000}}}));
        assert!(run_rule(&HstsDisabled, &app).is_empty());
        let mut app = test_model(json!({"security": {"hsts": {"enable": false}}}));
        app.env = "local".into();
        assert!(run_rule(&HstsDisabled, &app).is_empty());
        let mut app = test_model(json!({"security": {"hsts": {"enable": false}}}));
        set_plugin(&mut app, "security", false);
        assert!(run_rule(&HstsDisabled, &app).is_empty());
        let app = test_model(json!({"security": {
            "defaultMiddleware": "csrf,xframe", "hsts": {"enable": false}}}));
        assert!(run_rule(&HstsDisabled, &app).is_empty());
        let app = test_model(
            json!({"security": {"hsts": {"enable": {"$env": "HSTS", "default": false}}}}),
        );
        assert!(run_rule(&HstsDisabled, &app).is_empty());
    }
}
