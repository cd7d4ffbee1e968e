//! `PLG006` `security-plugin-disabled`: `security` or `onerror` switched off. (CSRF itself is
//! `csrf-disabled`; this rule reports what else goes with the plugin.)

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SecurityPluginDisabled;

static META: RuleMeta = RuleMeta {
    code: "PLG006",
    name: "security-plugin-disabled",
    strategy: Strategy::Plugins,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "Security-critical plugins (security, onerror) are enabled",
    docs: RuleDocs {
        what: "Finds the security-critical built-in plugins disabled in the audited env: \
`security` (egg-security) and `onerror` (egg-onerror). The loss of CSRF protection that comes \
with a disabled `security` plugin is reported by `csrf-disabled`; this rule reports the rest: \
the security headers, the redirect domain check and the XSS/SSRF helpers for `security`, and \
safe error responses for `onerror`.",
        why: "egg-security does far more than CSRF: it sets HSTS, X-Frame-Options, \
X-Content-Type-Options and X-XSS-Protection, checks `ctx.redirect` targets against \
`domainWhiteList`, and provides `helper.escape`/`shtml`/`surl` and `ctx.safeCurl`. \
egg-onerror turns uncaught errors into responses without stack traces in production. \
Disabling either removes protections the rest of the app (and its reviewers) assume.",
        bad: r#"// config/plugin.js
exports.security = false;
exports.onerror = false;"#,
        good: r#"// config/plugin.js — keep the plugins and configure them instead
exports.security = true;"#,
        fix: "Remove the entry that disables the plugin (egg enables both by default), and turn \
off only the individual protection that is really in the way, in `config.security.<name>` or \
`config.onerror`.",
    },
};

impl Rule for SecurityPluginDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let mut any = false;
        if let Some(p) = app.plugin("security").filter(|p| !p.enabled) {
            any = true;
            cx.report(
                &p.decided_by,
                format!(
                    "The security plugin is disabled in {}: besides CSRF (see csrf-disabled), no security headers, no redirect domain check, no XSS/SSRF helpers",
                    app.env
                ),
                vec![format!("plugin `security` disabled at {}", cx.location(&p.decided_by))],
                "Enable it again (`exports.security = true;` in `config/plugin.js`, or delete the \
entry) and switch off only the single protection in the way, e.g. \
`config.security.xframe = { enable: false }`.",
            );
        }
        if let Some(p) = app.plugin("onerror").filter(|p| !p.enabled) {
            any = true;
            cx.report(
                &p.decided_by,
                format!(
                    "The onerror plugin is disabled in {}: uncaught errors are no longer turned into safe responses",
                    app.env
                ),
                vec![format!("plugin `onerror` disabled at {}", cx.location(&p.decided_by))],
                "Enable it again (`exports.onerror = true;` or delete the entry) and customise \
responses with `config.onerror` (`all`, `html`, `json`, `errorPageUrl`).",
            )
            .severity = Severity::Medium;
        }
        if !any {
            cx.fact(format!(
                "security and onerror plugins enabled in {}",
                app.env
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_security_and_onerror_off() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "security", false);
        set_plugin(&mut app, "onerror", false);
        let f = run_rule(&SecurityPluginDisabled, &app);
        assert_eq!(f.len(), 2);
        assert!(f[0].message.contains("see csrf-disabled"));
        assert_eq!(f[1].severity, Severity::Medium);
    }

    #[test]
    fn no_hit_by_default() {
        assert!(run_rule(&SecurityPluginDisabled, &test_model(json!({}))).is_empty());
    }
}
