//! `HDR003` `csp-disabled`: egg-security sends no `Content-Security-Policy` in a deployed env
//! (it is off by default).

use crate::egg_security::{disabled_evidence, is_dev_env, set_by, sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CspDisabled;

static META: RuleMeta = RuleMeta {
    code: "HDR003",
    name: "csp-disabled",
    strategy: Strategy::Headers,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "A Content-Security-Policy is sent (`security.csp.enable: true`)",
    docs: RuleDocs {
        what: "Finds `config.security.csp` off in an env other than `local`/`unittest`. \
egg-security's default is `{ enable: false, policy: {} }`, so an app that never configures \
`csp` sends no `Content-Security-Policy` header.",
        why: "A CSP is the second line of defence against cross-site scripting: when an \
injection slips through escaping, a policy without `'unsafe-inline'` stops the injected script \
from running, and `frame-ancestors`, `base-uri`, `form-action` and `object-src` close other \
injection and clickjacking paths. egg-security adds a per-request nonce to `script-src` \
(`ctx.nonce`), so a strict policy is within reach. For a pure JSON API that never serves HTML \
the risk is lower; suppress with that reason.",
        bad: r#"// config/config.default.js — csp never mentioned: off
module.exports = {
  security: { xframe: { value: 'DENY' } },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    csp: {
      enable: true,
      policy: {
        'default-src': "'self'",
        'script-src': "'self'",   // egg-security appends 'nonce-<ctx.nonce>'
        'object-src': "'none'",
        'base-uri': "'self'",
        'form-action': "'self'",
        'frame-ancestors': "'none'",
      },
    },
  },
};"#,
        fix: "Enable a CSP with an explicit policy (directive → string or array of sources):\n\n\
```js\nconfig.security = {\n  csp: {\n    enable: true,\n    policy: {\n      'default-src': \
\"'self'\",\n      'script-src': \"'self'\",\n      'object-src': \"'none'\",\n      'base-uri': \
\"'self'\",\n      'form-action': \"'self'\",\n      'frame-ancestors': \"'none'\",\n    },\n  \
},\n};\n```\n\nUse `nonce=\"{{ ctx.nonce }}\"` on inline scripts in templates.",
    },
};

impl Rule for CspDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        match sub_middleware(app, "csp") {
            SubMiddleware::Disabled(value) => {
                let why = if set_by(cx, value) == "egg-security's default" {
                    "egg-security's default `csp.enable: false` applies"
                } else {
                    "security.csp is turned off"
                };
                cx.report(
                    &value.prov,
                    format!("No Content-Security-Policy is sent in {}: {why}", app.env),
                    vec![disabled_evidence(cx, "csp", value)],
                    META.docs.fix,
                );
            }
            SubMiddleware::Enabled(_) => cx.fact(format!("CSP enabled in {}", app.env)),
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
    fn hit_csp_off() {
        let app = test_model(json!({"security": {"csp": {
            "enable": {"$at": "config/config.prod.js:5:15", "$value": false}, "policy": {}}}}));
        let findings = run_rule(&CspDisabled, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:5:15"
        );
        assert_eq!(
            findings[0].evidence,
            ["security.csp.enable = false (config/config.prod.js)"]
        );
    }

    #[test]
    fn no_hit_when_on_in_dev_or_trimmed() {
        let app = test_model(json!({"security": {"csp": {"enable": true, "policy": {}}}}));
        assert!(run_rule(&CspDisabled, &app).is_empty());
        let mut app = test_model(json!({"security": {"csp": {"enable": false}}}));
        app.env = "unittest".into();
        assert!(run_rule(&CspDisabled, &app).is_empty());
        let app = test_model(
            json!({"security": {"defaultMiddleware": "csrf", "csp": {"enable": false}}}),
        );
        assert!(run_rule(&CspDisabled, &app).is_empty());
    }
}
