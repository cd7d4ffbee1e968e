//! `HDR005` `csp-weak-policy`: the CSP egg-security sends still lets injected scripts run
//! (`'unsafe-inline'` with no nonce or hash, `'unsafe-eval'`, wildcard or scheme-only sources,
//! `data:`), or names a directive in camelCase, which browsers ignore.

use crate::egg_security::{active_csp, directive, is_dev_env, Directive};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CspWeakPolicy;

static META: RuleMeta = RuleMeta {
    code: "HDR005",
    name: "csp-weak-policy",
    strategy: Strategy::Headers,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "The CSP allows scripts only from trusted sources (no unsafe keywords or wildcards)",
    docs: RuleDocs {
        what: "Reads `config.security.csp.policy` as egg-security emits it and finds, in the \
directive that governs scripts (`script-src`, or `default-src` when there is no `script-src`): \
`'unsafe-inline'` without a nonce or hash, `'unsafe-eval'`, wildcard or scheme-only sources \
(`*`, `https:`, `http:`, `https://*`), and `data:`; in `object-src`: wildcard or scheme-only \
sources; and directive keys written in camelCase (`scriptSrc`), which egg-security emits \
verbatim and browsers ignore. One finding per problem. egg-security appends \
`'nonce-<ctx.nonce>'` to `script-src` whenever that key exists, so `'unsafe-inline'` there is \
ignored by CSP2 browsers (it is only a fallback for old ones) and is not reported; with \
`'strict-dynamic'` host and scheme sources are ignored too.",
        why: "Each of these lets an attacker who can inject markup run script anyway: \
`'unsafe-inline'` runs inline `<script>` and `onerror=` handlers, `'unsafe-eval'` turns \
injected strings into code, `https:` or `*` loads script from any site the attacker controls, \
and `data:` runs a script from the URL itself. The policy then costs effort without stopping \
XSS.",
        bad: r#"// config/config.default.js
module.exports = {
  security: {
    csp: {
      enable: true,
      policy: {
        'default-src': [ "'self'", "'unsafe-inline'", "'unsafe-eval'", 'https:' ],
      },
    },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    csp: {
      enable: true,
      policy: {
        'default-src': "'self'",
        'script-src': [ "'self'", "'strict-dynamic'" ], // + egg-security's nonce
        'object-src': "'none'",
      },
    },
  },
};"#,
        fix: "Give scripts their own `script-src` (egg-security adds `'nonce-<ctx.nonce>'` to \
it; put `nonce=\"{{ ctx.nonce }}\"` on inline scripts), drop `'unsafe-eval'` (replace `eval` / \
`new Function` in front-end code), list script hosts by name instead of `*` or `https:`, and \
remove `data:` from script sources. Write directive keys in kebab case (`'script-src'`).",
    },
};

/// Sources that allow script from (nearly) anywhere (the Observatory's "dangerously broad").
const BROAD_SOURCES: &[&str] = &[
    "*",
    "http:",
    "https:",
    "ftp:",
    "http://*",
    "https://*",
    "http://*.*",
    "https://*.*",
    "//*",
];

/// Directives browsers know, for the camelCase check.
const KNOWN_DIRECTIVES: &[&str] = &[
    "default-src",
    "script-src",
    "script-src-elem",
    "script-src-attr",
    "style-src",
    "style-src-elem",
    "style-src-attr",
    "img-src",
    "font-src",
    "connect-src",
    "media-src",
    "object-src",
    "frame-src",
    "child-src",
    "worker-src",
    "manifest-src",
    "base-uri",
    "form-action",
    "frame-ancestors",
    "report-uri",
    "report-to",
    "upgrade-insecure-requests",
    "block-all-mixed-content",
    "require-trusted-types-for",
    "trusted-types",
    "sandbox",
];

impl Rule for CspWeakPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let Some((_, directives, _)) = active_csp(app) else {
            cx.not_applicable();
            return;
        };
        let mut problems: Vec<(&Directive<'_>, String)> = Vec::new();

        for d in &directives {
            let kebab = kebab_case(d.name);
            if kebab != d.name && KNOWN_DIRECTIVES.contains(&kebab.as_str()) {
                problems.push((
                    d,
                    format!(
                        "the key `{}` is emitted verbatim and browsers ignore it; write `'{kebab}'`",
                        d.name
                    ),
                ));
            }
        }

        let script_src = directive(&directives, "script-src");
        let governing = script_src.or_else(|| directive(&directives, "default-src"));
        // No script-src/default-src (or one not statically known): the CSP does not restrict
        // scripts as far as the config tells, which this rule does not judge.
        let judged = governing.is_some_and(|d| d.lowercase_sources().is_some());
        if let Some(d) = governing {
            if let Some(sources) = d.lowercase_sources() {
                let fallback = if script_src.is_none() {
                    " (there is no `script-src`, so scripts fall back to `default-src`, which gets \
no egg-security nonce)"
                } else {
                    ""
                };
                // egg-security appends a nonce to `script-src` when it has none.
                let nonce_or_hash = script_src.is_some()
                    || sources.iter().any(|s| {
                        ["'nonce-", "'sha256-", "'sha384-", "'sha512-"]
                            .iter()
                            .any(|p| s.starts_with(p))
                    });
                let strict_dynamic =
                    nonce_or_hash && sources.iter().any(|s| s == "'strict-dynamic'");
                let has = |s: &str| sources.iter().any(|x| x == s);
                if has("'unsafe-inline'") && !nonce_or_hash {
                    problems.push((
                        d,
                        format!("`'unsafe-inline'` lets inline and injected scripts run{fallback}"),
                    ));
                }
                if has("'unsafe-eval'") {
                    problems.push((
                        d,
                        format!("`'unsafe-eval'` lets strings be run as code (eval, new Function){fallback}"),
                    ));
                }
                if !strict_dynamic {
                    let broad: Vec<&str> = sources
                        .iter()
                        .filter(|s| BROAD_SOURCES.contains(&s.as_str()))
                        .map(String::as_str)
                        .collect();
                    if !broad.is_empty() {
                        problems.push((
                            d,
                            format!(
                                "`{}` allows scripts from any host{fallback}",
                                broad.join(" ")
                            ),
                        ));
                    }
                    if has("data:") {
                        problems.push((
                            d,
                            format!("`data:` lets a script run from a data: URL{fallback}"),
                        ));
                    }
                }
            }
        }

        if let Some(d) = directive(&directives, "object-src") {
            if let Some(sources) = d.lowercase_sources() {
                let broad: Vec<&str> = sources
                    .iter()
                    .filter(|s| BROAD_SOURCES.contains(&s.as_str()) || *s == "data:")
                    .map(String::as_str)
                    .collect();
                if !broad.is_empty() {
                    problems.push((
                        d,
                        format!(
                            "`{}` lets plugins and embeds load from any host",
                            broad.join(" ")
                        ),
                    ));
                }
            }
        }

        if problems.is_empty() && !judged {
            cx.not_applicable();
        }
        for (d, problem) in problems {
            cx.report(
                &d.value.prov,
                format!("Weak CSP in {}: {problem}", app.env),
                vec![format!("security.csp.policy: {}", d.display())],
                META.docs.fix,
            );
        }
    }
}

/// `scriptSrc` → `script-src`.
fn kebab_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    fn findings(policy: serde_json::Value) -> Vec<eggsec_report::Finding> {
        let app = test_model(json!({"security": {"csp": {"enable": true, "policy": policy}}}));
        run_rule(&CspWeakPolicy, &app)
    }

    #[test]
    fn hit_one_finding_per_problem_in_default_src_fallback() {
        let found = findings(json!({
            "default-src": {"$at": "config/config.default.js:7:24",
                "$value": ["'self'", "'unsafe-inline'", "'unsafe-eval'", "https:", "data:"]},
        }));
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found
            .iter()
            .all(|f| f.location.to_string() == "config/config.default.js:7:24"));
        assert!(found
            .iter()
            .all(|f| f.message.contains("fall back to `default-src`")));
        assert_eq!(
            found[0].evidence,
            ["security.csp.policy: default-src 'self' 'unsafe-inline' 'unsafe-eval' https: data:"]
        );
    }

    #[test]
    fn unsafe_inline_in_script_src_is_neutralised_by_egg_nonce() {
        let found = findings(json!({"script-src": "'self' 'unsafe-inline'"}));
        assert!(found.is_empty(), "{found:#?}");
        let found = findings(json!({"script-src": "'self' 'unsafe-inline' 'unsafe-eval' *"}));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn strict_dynamic_ignores_hosts_and_schemes() {
        let found =
            findings(json!({"script-src": ["'strict-dynamic'", "https:", "'unsafe-inline'"]}));
        assert!(found.is_empty(), "{found:#?}");
        // In default-src there is no nonce, so 'strict-dynamic' does not apply.
        let found = findings(json!({"default-src": "'strict-dynamic' https:"}));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn hit_object_src_and_camel_case() {
        let found =
            findings(json!({"default-src": "'self'", "object-src": "*", "scriptSrc": "'self'"}));
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().any(|f| f.message.contains("`scriptSrc`")));
    }

    #[test]
    fn no_hit_strict_policy_disabled_or_unknown() {
        assert!(findings(json!({
            "default-src": "'none'", "script-src": "'self' cdn.example.com", "object-src": "'none'",
            "style-src": "'self' 'unsafe-inline'", "img-src": "* data:",
        }))
        .is_empty());
        assert!(findings(json!({"default-src": {"$unknown": "f()"}})).is_empty());
        let app = test_model(
            json!({"security": {"csp": {"enable": false, "policy": {"default-src": "*"}}}}),
        );
        assert!(run_rule(&CspWeakPolicy, &app).is_empty());
    }
}
