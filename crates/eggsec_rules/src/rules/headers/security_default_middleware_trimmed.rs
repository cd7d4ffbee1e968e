//! `HDR010` `security-default-middleware-trimmed`: `security.defaultMiddleware` leaves out
//! egg-security protections (or the security plugin is off), so they silently stop running.

use crate::egg_security::{
    default_middleware, is_dev_env, sub_middleware, SubMiddleware, DEFAULT_MIDDLEWARE,
};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SecurityDefaultMiddlewareTrimmed;

static META: RuleMeta = RuleMeta {
    code: "HDR010",
    name: "security-default-middleware-trimmed",
    strategy: Strategy::Headers,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "egg-security runs its full middleware list",
    docs: RuleDocs {
        what: "Finds a `config.security.defaultMiddleware` that leaves out any of egg-security's \
protections `hsts`, `methodnoallow`, `nosniff`, `csp`, `xframe` or `dta` (missing `csrf` is \
reported by `csrf-disabled`; dropping the obsolete `noopen` and `xssProtection` alone is not \
reported), and the `security` plugin disabled, which drops them all. egg-security runs only the \
names in this list: an option such as `xframe: { enable: true }` has no effect once `xframe` is \
not listed.",
        why: "Replacing the list is the usual way to *add* `referrerPolicy` — and writing only \
`defaultMiddleware: 'referrerPolicy'` (as egg-security's own test fixtures do) silently turns \
off clickjacking protection, nosniff, HSTS, CSP, TRACE blocking and the path-traversal guard, \
while every individual option still reads `enable: true`.",
        bad: r#"// config/config.default.js
module.exports = {
  security: {
    defaultMiddleware: 'csrf,referrerPolicy',
    referrerPolicy: { enable: true, value: 'no-referrer' },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    defaultMiddleware: 'csrf,hsts,methodnoallow,noopen,nosniff,csp,xssProtection,xframe,dta,referrerPolicy',
    referrerPolicy: { enable: true, value: 'no-referrer' },
  },
};"#,
        fix: "List every egg-security middleware and append what you add (turn one off with \
its own `enable: false` instead of removing it from the list):\n\n```js\nconfig.security = {\n  \
defaultMiddleware: 'csrf,hsts,methodnoallow,noopen,nosniff,csp,xssProtection,xframe,dta',\n};\n```",
    },
};

/// The protections whose loss is reported (`csrf` belongs to `csrf-disabled`; `noopen` and
/// `xssProtection` only matter to obsolete browsers).
const PROTECTIONS: &[&str] = &["hsts", "methodnoallow", "nosniff", "csp", "xframe", "dta"];

impl Rule for SecurityDefaultMiddlewareTrimmed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        if let SubMiddleware::PluginDisabled(plugin) = sub_middleware(app, "xframe") {
            cx.report(
                &plugin.decided_by,
                format!(
                    "The security plugin (egg-security) is disabled in {}: no security headers, \
no TRACE blocking and no path-traversal guard",
                    app.env
                ),
                vec![format!(
                    "plugin `security` disabled by {}",
                    cx.relative_path(&plugin.decided_by.file)
                )],
                "Enable the plugin again in `config/plugin.js`:\n\n```js\nexports.security = \
true;\n```",
            );
            return;
        }
        // Not set: egg-security's full default list applies.
        let Some(value) = app.config_at("security.defaultMiddleware") else {
            cx.fact("egg-security runs its full middleware list");
            return;
        };
        let Some(list) = default_middleware(app) else {
            cx.not_applicable();
            return;
        };
        let dropped: Vec<&str> = DEFAULT_MIDDLEWARE
            .iter()
            .copied()
            .filter(|n| *n != "csrf" && !list.iter().any(|l| l == n))
            .collect();
        if !dropped.iter().any(|n| PROTECTIONS.contains(n)) {
            if dropped.is_empty() {
                cx.fact("egg-security runs its full middleware list");
            } else {
                cx.fact(format!(
                    "egg-security runs all its protective middleware (security.defaultMiddleware \
leaves out only {})",
                    dropped.join(", ")
                ));
            }
            return;
        }
        let mut evidence = vec![format!(
            "security.defaultMiddleware = {}",
            value.to_tagged_json()
        )];
        evidence.push(format!("dropped: {}", dropped.join(", ")));
        let added = list
            .iter()
            .filter(|n| !n.is_empty() && !DEFAULT_MIDDLEWARE.contains(&n.as_str()));
        let fixed: Vec<&str> = DEFAULT_MIDDLEWARE
            .iter()
            .copied()
            .chain(added.map(String::as_str))
            .collect();
        cx.report(
            &value.prov,
            format!(
                "security.defaultMiddleware leaves out {} in {}: egg-security never runs them, \
whatever their own `enable` says",
                dropped.join(", "),
                app.env
            ),
            evidence,
            format!(
                "Keep egg-security's full list and append what you add:\n\n```js\n\
config.security = {{\n  defaultMiddleware: '{}',\n}};\n```",
                fixed.join(",")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_trimmed_list() {
        let app = test_model(json!({"security": {"defaultMiddleware":
            {"$at": "config/config.default.js:4:24", "$value": "csrf,referrerPolicy"}}}));
        let found = run_rule(&SecurityDefaultMiddlewareTrimmed, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:4:24"
        );
        assert_eq!(
            found[0].evidence[1],
            "dropped: hsts, methodnoallow, noopen, nosniff, csp, xssProtection, xframe, dta"
        );
        assert!(found[0].remediation.contains(
            "'csrf,hsts,methodnoallow,noopen,nosniff,csp,xssProtection,xframe,dta,referrerPolicy'"
        ));
        let app =
            test_model(json!({"security": {"defaultMiddleware": ["csrf", "hsts", "xframe"]}}));
        assert_eq!(run_rule(&SecurityDefaultMiddlewareTrimmed, &app).len(), 1);
    }

    #[test]
    fn hit_plugin_disabled() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "security", false);
        let found = run_rule(&SecurityDefaultMiddlewareTrimmed, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].location.to_string(), "config/plugin.js:1:1");
    }

    #[test]
    fn no_hit_full_list_obsolete_only_or_default() {
        for config in [
            json!({"security": {"defaultMiddleware":
                "csrf,hsts,methodnoallow,noopen,nosniff,csp,xssProtection,xframe,dta,referrerPolicy"}}),
            json!({"security": {"defaultMiddleware": "csrf,hsts,methodnoallow,nosniff,csp,xframe,dta"}}),
            json!({"security": {"defaultMiddleware": "hsts,methodnoallow,nosniff,csp,xframe,dta"}}),
            json!({"security": {"defaultMiddleware": {"$unknown": "f()"}}}),
            json!({}),
        ] {
            let app = test_model(config.clone());
            assert!(
                run_rule(&SecurityDefaultMiddlewareTrimmed, &app).is_empty(),
                "{config}"
            );
        }
    }
}
