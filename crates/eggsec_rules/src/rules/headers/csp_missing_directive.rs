//! `HDR006` `csp-missing-directive`: the CSP lacks `object-src`, `base-uri`, `form-action` or
//! `frame-ancestors`, which `default-src` does not (fully) cover.

use crate::egg_security::{
    active_csp, app_written_at, directive, is_dev_env, sub_middleware, SubMiddleware,
};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CspMissingDirective;

static META: RuleMeta = RuleMeta {
    code: "HDR006",
    name: "csp-missing-directive",
    strategy: Strategy::Headers,
    severity: Severity::Low,
    confidence: Confidence::High,
    control: "The CSP sets object-src, base-uri, form-action and frame-ancestors",
    docs: RuleDocs {
        what: "Finds an enabled `config.security.csp.policy` without `base-uri`, `form-action` \
or `frame-ancestors` (none of them falls back to `default-src`), or without `object-src` when \
`default-src` is not `'none'`/`'self'`. `frame-ancestors` is not required while egg-security's \
`X-Frame-Options` is on with `DENY` or `SAMEORIGIN`. One finding per policy, listing what is \
missing.",
        why: "`base-uri` stops an injected `<base href>` from re-pointing relative script URLs — \
including the nonce-carrying scripts egg-security's nonce is meant to protect; `object-src` \
stops plugin content; `form-action` stops an injected form from posting the user's data \
elsewhere; `frame-ancestors` is the modern clickjacking control.",
        bad: r#"// config/config.default.js
module.exports = {
  security: {
    csp: { enable: true, policy: { 'script-src': "'self'" } },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    csp: {
      enable: true,
      policy: {
        'script-src': "'self'",
        'object-src': "'none'",
        'base-uri': "'self'",
        'form-action': "'self'",
        'frame-ancestors': "'none'",
      },
    },
  },
};"#,
        fix: "Add the missing directives to `config.security.csp.policy`: `'object-src': \
\"'none'\"`, `'base-uri': \"'self'\"` (or `'none'`), `'form-action': \"'self'\"`, \
`'frame-ancestors': \"'none'\"` (or `'self'` if the app frames itself).",
    },
};

impl Rule for CspMissingDirective {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let Some((options, directives, _)) = active_csp(app) else {
            cx.not_applicable();
            return;
        };
        let Some(policy) = options.get("policy") else {
            cx.not_applicable();
            return;
        };
        let mut missing: Vec<&str> = Vec::new();
        let object_covered = directive(&directives, "default-src")
            .and_then(|d| d.lowercase_sources())
            .is_some_and(|s| !s.is_empty() && s.iter().all(|x| x == "'none'" || x == "'self'"));
        if directive(&directives, "object-src").is_none() && !object_covered {
            missing.push("object-src");
        }
        for name in ["base-uri", "form-action"] {
            if directive(&directives, name).is_none() {
                missing.push(name);
            }
        }
        if directive(&directives, "frame-ancestors").is_none() && !xframe_protects(cx) {
            missing.push("frame-ancestors");
        }
        if missing.is_empty() {
            cx.fact("CSP sets object-src, base-uri, form-action and frame-ancestors");
            return;
        }
        let snippet: Vec<String> = missing
            .iter()
            .map(|m| {
                let value = match *m {
                    "base-uri" | "form-action" => "\"'self'\"",
                    _ => "\"'none'\"",
                };
                format!("      '{m}': {value},")
            })
            .collect();
        let finding = cx.report(
            app_written_at(app, "security.csp.policy", policy),
            format!(
                "The CSP in {} does not set {} (no fallback to default-src)",
                app.env,
                missing.join(", ")
            ),
            vec![format!("security.csp.policy is missing: {}", missing.join(", "))],
            format!(
                "Add to `config.security.csp.policy`:\n\n```js\nconfig.security = {{\n  csp: {{\n    \
policy: {{\n{}\n    }},\n  }},\n}};\n```",
                snippet.join("\n")
            ),
        );
        if missing.contains(&"base-uri") || missing.contains(&"object-src") {
            finding.severity = Severity::Medium;
        }
    }
}

/// Whether egg-security's X-Frame-Options is on with `DENY` or `SAMEORIGIN`.
fn xframe_protects(cx: &RuleContext<'_>) -> bool {
    let SubMiddleware::Enabled(xframe) = sub_middleware(cx.app, "xframe") else {
        return false;
    };
    match xframe.get("value") {
        // An empty value means SAMEORIGIN.
        None => true,
        Some(v) => v.as_str().is_some_and(|s| {
            s.is_empty() || s.eq_ignore_ascii_case("DENY") || s.eq_ignore_ascii_case("SAMEORIGIN")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    fn findings(
        policy: serde_json::Value,
        xframe: serde_json::Value,
    ) -> Vec<eggsec_report::Finding> {
        let app = test_model(json!({"security": {
            "csp": {"enable": true, "policy": {"$at": "config/config.default.js:6:15", "$value": policy}},
            "xframe": xframe,
        }}));
        run_rule(&CspMissingDirective, &app)
    }

    #[test]
    fn hit_lists_every_missing_directive() {
        let found = findings(json!({"script-src": "'self'"}), json!({"enable": false}));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:6:15"
        );
        assert_eq!(
            found[0].evidence,
            ["security.csp.policy is missing: object-src, base-uri, form-action, frame-ancestors"]
        );
        assert_eq!(found[0].severity, Severity::Medium);
        let found = findings(
            json!({"default-src": "'self'", "base-uri": "'none'"}),
            json!({"enable": true, "value": "ALLOW-FROM https://x.example"}),
        );
        assert_eq!(
            found[0].evidence,
            ["security.csp.policy is missing: form-action, frame-ancestors"]
        );
        assert_eq!(found[0].severity, Severity::Low);
    }

    #[test]
    fn no_hit_complete_or_covered() {
        let complete = json!({"default-src": "'none'", "base-uri": "'self'", "form-action": "'self'",
            "frame-ancestors": "'none'"});
        assert!(findings(complete, json!({"enable": false})).is_empty());
        let covered =
            json!({"default-src": "'self'", "base-uri": "'self'", "form-action": "'self'"});
        assert!(findings(covered, json!({"enable": true, "value": "DENY"})).is_empty());
        let app = test_model(json!({"security": {"csp": {"enable": false, "policy": {}}}}));
        assert!(run_rule(&CspMissingDirective, &app).is_empty());
    }
}
