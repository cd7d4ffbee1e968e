//! `HDR004` `csp-report-only`: the CSP is sent as `Content-Security-Policy-Report-Only`, so
//! browsers report violations but block nothing.

use crate::egg_security::{active_csp, is_dev_env};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CspReportOnly;

static META: RuleMeta = RuleMeta {
    code: "HDR004",
    name: "csp-report-only",
    strategy: Strategy::Headers,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "The CSP is enforced (not `reportOnly`)",
    docs: RuleDocs {
        what: "Finds `config.security.csp.reportOnly: true` in an env other than \
`local`/`unittest`. egg-security then sends only `Content-Security-Policy-Report-Only`.",
        why: "A report-only policy blocks nothing: an injected script runs exactly as without a \
CSP. It is the right first step to test a policy, but left in production it gives a false \
sense of protection (the Mozilla HTTP Observatory scores it as no CSP at all).",
        bad: r#"// config/config.prod.js
module.exports = {
  security: {
    csp: { enable: true, reportOnly: true, policy: { 'default-src': "'self'" } },
  },
};"#,
        good: r#"// config/config.prod.js
module.exports = {
  security: {
    csp: { enable: true, policy: { 'default-src': "'self'", 'report-uri': '/csp-report' } },
  },
};"#,
        fix: "Once the reports are clean, remove `reportOnly` (or set it to `false`) in the \
deployed env's config. Keep a `report-uri` directive in the policy to go on hearing about \
violations while enforcing.",
    },
};

impl Rule for CspReportOnly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let Some((options, _, report_only)) = active_csp(app) else {
            cx.not_applicable();
            return;
        };
        if !report_only {
            cx.fact(format!("CSP enforced in {}", app.env));
            return;
        }
        let Some(value) = options.get("reportOnly") else {
            cx.not_applicable();
            return;
        };
        cx.report(
            &value.prov,
            format!(
                "The CSP is report-only in {} (security.csp.reportOnly): browsers block nothing",
                app.env
            ),
            vec![format!(
                "security.csp.reportOnly = {}",
                value.to_tagged_json()
            )],
            "Enforce the policy in the deployed env:\n\n```js\n// config/config.prod.js\n\
config.security = {\n  csp: { reportOnly: false },\n};\n```",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_report_only() {
        let app = test_model(json!({"security": {"csp": {"enable": true,
            "reportOnly": {"$at": "config/config.prod.js:6:19", "$value": true},
            "policy": {"default-src": "'self'"}}}}));
        let findings = run_rule(&CspReportOnly, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:6:19"
        );
    }

    #[test]
    fn no_hit_enforced_disabled_or_local() {
        for config in [
            json!({"security": {"csp": {"enable": true, "policy": {}}}}),
            json!({"security": {"csp": {"enable": true, "reportOnly": false, "policy": {}}}}),
            json!({"security": {"csp": {"enable": false, "reportOnly": true, "policy": {}}}}),
            json!({"security": {"csp": {"enable": true, "reportOnly": {"$env": "RO", "default": null}, "policy": {}}}}),
        ] {
            let app = test_model(config.clone());
            assert!(run_rule(&CspReportOnly, &app).is_empty(), "{config}");
        }
        let mut app = test_model(
            json!({"security": {"csp": {"enable": true, "reportOnly": true, "policy": {}}}}),
        );
        app.env = "local".into();
        assert!(run_rule(&CspReportOnly, &app).is_empty());
    }
}
