//! `HDR009` `referrer-policy-weak`: egg-security sends no `Referrer-Policy` (off by default,
//! or enabled without being in `defaultMiddleware`), or sends a leaky or invalid one.

use crate::egg_security::{is_dev_env, set_by, sub_middleware, SubMiddleware, DEFAULT_MIDDLEWARE};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct ReferrerPolicyWeak;

static META: RuleMeta = RuleMeta {
    code: "HDR009",
    name: "referrer-policy-weak",
    strategy: Strategy::Headers,
    severity: Severity::Low,
    confidence: Confidence::High,
    control: "A strict Referrer-Policy is sent",
    docs: RuleDocs {
        what: "Finds, in envs other than `local`/`unittest`: `config.security.referrerPolicy` \
enabled but `referrerPolicy` missing from `config.security.defaultMiddleware` (egg-security \
runs only the listed middleware and its default list does not include it, so the setting does \
nothing) — low; a `value` of `unsafe-url` (medium) or `no-referrer-when-downgrade` \
(egg-security's default value, low); a value outside the standard list, which makes the \
middleware throw on every request (medium); and the header not sent at all (egg-security's \
default) — info, since current browsers default to `strict-origin-when-cross-origin`.",
        why: "The Referer header carries the full URL of the page the user came from — paths \
and query strings that may hold reset tokens, search terms or ids — to every third-party \
resource and link. `unsafe-url` sends it even to plain-HTTP sites; \
`no-referrer-when-downgrade` sends it to every HTTPS site.",
        bad: r#"// config/config.default.js — enabled, but not in defaultMiddleware: no header
module.exports = {
  security: {
    referrerPolicy: { enable: true, value: 'strict-origin-when-cross-origin' },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    // egg-security's list + referrerPolicy (egg 4: this string form, not an array)
    defaultMiddleware: 'csrf,hsts,methodnoallow,noopen,nosniff,csp,xssProtection,xframe,dta,referrerPolicy',
    referrerPolicy: { enable: true, value: 'strict-origin-when-cross-origin' },
  },
};"#,
        fix: "Enable the middleware, add it to the full default list, and choose a strict \
value:\n\n```js\nconfig.security = {\n  defaultMiddleware: \
'csrf,hsts,methodnoallow,noopen,nosniff,csp,xssProtection,xframe,dta,referrerPolicy',\n  \
referrerPolicy: { enable: true, value: 'strict-origin-when-cross-origin' },\n};\n```\n\n(`no-referrer` \
and `same-origin` are stricter still).",
    },
};

/// The values egg-security's referrerPolicy middleware accepts; anything else throws.
const ALLOWED: &[&str] = &[
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
    "",
];

impl Rule for ReferrerPolicyWeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let list_snippet = format!(
            "```js\nconfig.security = {{\n  defaultMiddleware: '{},referrerPolicy',\n  \
referrerPolicy: {{ enable: true, value: 'strict-origin-when-cross-origin' }},\n}};\n```",
            DEFAULT_MIDDLEWARE.join(",")
        );
        match sub_middleware(app, "referrerPolicy") {
            SubMiddleware::NotListed(list) => {
                let Some(options) = app.config_at("security.referrerPolicy") else {
                    cx.not_applicable();
                    return;
                };
                let enable = options.get("enable");
                match enable.and_then(|e| e.truthy()) {
                    Some(true) => {
                        let enable = enable.expect("checked above");
                        let listed = list
                            .map(|l| format!("security.defaultMiddleware = {}", l.to_tagged_json()))
                            .unwrap_or_else(|| {
                                "security.defaultMiddleware is egg-security's default, without \
referrerPolicy"
                                    .into()
                            });
                        cx.report(
                            &enable.prov,
                            format!(
                                "security.referrerPolicy is enabled in {} but `referrerPolicy` is \
not in security.defaultMiddleware, so no Referrer-Policy header is sent",
                                app.env
                            ),
                            vec!["security.referrerPolicy.enable = true".into(), listed],
                            format!(
                                "Add `referrerPolicy` to the full list (keep every other name; \
in egg 4 use this string form):\n\n{list_snippet}"
                            ),
                        );
                    }
                    Some(false) => self.not_sent(cx, enable.unwrap_or(options), &list_snippet),
                    None => cx.not_applicable(),
                }
            }
            SubMiddleware::Disabled(value) => self.not_sent(cx, value, &list_snippet),
            SubMiddleware::Enabled(options) => {
                // Not in the model, or not statically known (env, computed).
                let Some(policy) = options.get("value").and_then(|v| v.as_str()) else {
                    cx.not_applicable();
                    return;
                };
                let value = options.get("value").expect("checked above");
                let (severity, what) = match policy {
                    "unsafe-url" => (
                        Severity::Medium,
                        "`unsafe-url` sends the full URL, query string included, to every site, \
even over plain HTTP",
                    ),
                    "no-referrer-when-downgrade" => (
                        Severity::Low,
                        "`no-referrer-when-downgrade` (egg-security's default value) sends the \
full URL to every HTTPS site",
                    ),
                    p if !ALLOWED.contains(&p) => (
                        Severity::Medium,
                        "the value is not a Referrer-Policy egg-security accepts: its middleware \
throws on every request",
                    ),
                    p => {
                        cx.fact(format!("Referrer-Policy {p:?}"));
                        return;
                    }
                };
                let finding = cx.report(
                    &value.prov,
                    format!("Referrer-Policy in {}: {what}", app.env),
                    vec![format!(
                        "security.referrerPolicy.value = {policy:?} ({})",
                        set_by(cx, value)
                    )],
                    "Use a strict value:\n\n```js\nconfig.security = {\n  referrerPolicy: { \
enable: true, value: 'strict-origin-when-cross-origin' },\n};\n```",
                );
                finding.severity = severity;
            }
            _ => cx.not_applicable(),
        }
    }
}

impl ReferrerPolicyWeak {
    /// Info: no header at all (browsers then use `strict-origin-when-cross-origin`).
    fn not_sent(&self, cx: &mut RuleContext<'_>, value: &eggsec_js::Value, snippet: &str) {
        let env = cx.app.env.clone();
        let by = set_by(cx, value);
        let finding = cx.report(
            &value.prov,
            format!(
                "No Referrer-Policy header is sent in {env}: security.referrerPolicy is off ({by}); \
browsers fall back to their own default"
            ),
            vec![format!("security.referrerPolicy.enable = false ({by})")],
            format!("Send an explicit policy:\n\n{snippet}"),
        );
        finding.severity = Severity::Info;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_enabled_but_not_listed() {
        let app = test_model(json!({"security": {"referrerPolicy": {
            "enable": {"$at": "config/config.default.js:5:29", "$value": true},
            "value": "no-referrer"}}}));
        let found = run_rule(&ReferrerPolicyWeak, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Low);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:5:29"
        );
        assert!(found[0]
            .message
            .contains("not in security.defaultMiddleware"));
    }

    #[test]
    fn hit_values() {
        for (value, severity) in [
            ("unsafe-url", Severity::Medium),
            ("no-referrer-when-downgrade", Severity::Low),
            ("strict", Severity::Medium),
        ] {
            let app = test_model(json!({"security": {
                "defaultMiddleware": "csrf,referrerPolicy",
                "referrerPolicy": {"enable": true, "value": value}}}));
            let found = run_rule(&ReferrerPolicyWeak, &app);
            assert_eq!(found.len(), 1, "{value}");
            assert_eq!(found[0].severity, severity, "{value}");
        }
    }

    #[test]
    fn info_when_off() {
        let app = test_model(json!({"security": {"referrerPolicy": {"enable": false}}}));
        let found = run_rule(&ReferrerPolicyWeak, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Info);
    }

    #[test]
    fn no_hit_strict_policy_or_local() {
        let app = test_model(json!({"security": {
            "defaultMiddleware": "csrf,hsts,referrerPolicy",
            "referrerPolicy": {"enable": true, "value": "strict-origin-when-cross-origin"}}}));
        assert!(run_rule(&ReferrerPolicyWeak, &app).is_empty());
        let mut app = test_model(json!({"security": {"referrerPolicy": {"enable": false}}}));
        app.env = "local".into();
        assert!(run_rule(&ReferrerPolicyWeak, &app).is_empty());
    }
}
