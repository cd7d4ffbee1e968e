//! `CSRF006` `csrf-session-token-off-with-session-auth`: the CSRF secret lives in a readable
//! `csrfToken` cookie (`security.csrf.useSession: false`) while logins are kept in the session.

use crate::egg_security::{sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CsrfSessionTokenOffWithSessionAuth;

static META: RuleMeta = RuleMeta {
    code: "CSRF006",
    name: "csrf-session-token-off-with-session-auth",
    strategy: Strategy::Csrf,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "The CSRF secret is bound to the session (`security.csrf.useSession: true`)",
    docs: RuleDocs {
        what: "Finds `config.security.csrf.useSession` off (egg-security's default) in an app \
that keeps logins in the session: the session plugin is enabled and either egg-passport \
(`passport`) is enabled or the app configures `config.session` itself.",
        why: "With `useSession: false`, egg-security keeps the CSRF secret in the `csrfToken` \
cookie, which is not HttpOnly and not signed (it must be readable by scripts). A request passes \
when its token matches that cookie — the double-submit pattern. Anyone who can write a cookie \
for the app's domain (a sibling subdomain, an HTTP page on the same host without HSTS) can plant \
a `csrfToken` of their choosing and then forge requests that carry the matching token. With \
`useSession: true` the secret lives in the signed, encrypted session, tied to the login, \
and cannot be planted.",
        bad: r#"// config/config.default.js — egg-passport login, default CSRF storage
module.exports = {
  session: { key: 'APP_SESS', maxAge: 24 * 3600 * 1000 },
  security: { csrf: { useSession: false } },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  session: { key: 'APP_SESS', maxAge: 24 * 3600 * 1000 },
  security: { csrf: { useSession: true } },
};"#,
        fix: "Set `config.security.csrf.useSession = true` (the session plugin must stay \
enabled). Pages keep using `ctx.csrf`; AJAX clients then cannot read the secret from a cookie, \
so render `ctx.csrf` into the page (a meta tag) and send it in the `x-csrf-token` header. Call \
`ctx.rotateCsrfSecret()` after login.",
    },
};

impl Rule for CsrfSessionTokenOffWithSessionAuth {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !matches!(sub_middleware(app, "csrf"), SubMiddleware::Enabled(_)) {
            cx.not_applicable();
            return;
        }
        // The token is only checked for `ctoken`, `all` and `any`; with `referer` it is unused.
        if app.config_at("security.csrf.type").and_then(|t| t.as_str()) == Some("referer") {
            cx.not_applicable();
            return;
        }
        let Some(value) = app.config_at("security.csrf.useSession") else {
            cx.not_applicable();
            return;
        };
        match value.truthy() {
            Some(false) => {}
            Some(true) => {
                cx.fact("CSRF secret is kept in the session (useSession)");
                return;
            }
            None => {
                cx.not_applicable();
                return;
            }
        }
        if !app.plugin_enabled("session") {
            cx.not_applicable();
            return;
        }
        let mut evidence = vec!["security.csrf.useSession = false".to_string()];
        if app.plugin_enabled("passport") {
            evidence.push("plugin `passport` (egg-passport) is enabled".into());
        }
        if let Some(layer) = app.app_layers().find(|l| l.value.get("session").is_some()) {
            evidence.push(format!(
                "the app configures `session` in {}",
                cx.relative_path(&layer.file.to_string_lossy())
            ));
        }
        if evidence.len() == 1 {
            cx.not_applicable();
            return;
        }
        cx.report(
            &value.prov,
            format!(
                "The CSRF secret is kept in the readable `csrfToken` cookie in {} \
(security.csrf.useSession is off) while logins are kept in the session",
                app.env
            ),
            evidence,
            "Bind the CSRF secret to the session:\n\n```js\n// config/config.default.js\n\
config.security = {\n  csrf: {\n    useSession: true,\n  },\n};\n```\n\nRender `ctx.csrf` into \
pages for AJAX clients, and call `ctx.rotateCsrfSecret()` after login.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_with_passport_or_session_config() {
        let mut app =
            test_model(json!({"security": {"csrf": {"enable": true, "useSession": false}}}));
        set_plugin(&mut app, "passport", true);
        let findings = run_rule(&CsrfSessionTokenOffWithSessionAuth, &app);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].evidence[1].contains("passport"));

        let app = test_model(json!({
            "session": {"key": "APP_SESS"},
            "security": {"csrf": {"enable": true, "useSession": false}},
        }));
        let findings = run_rule(&CsrfSessionTokenOffWithSessionAuth, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].evidence[1],
            "the app configures `session` in config/config.default.js"
        );
    }

    #[test]
    fn no_hit_without_session_auth_or_with_use_session() {
        // Sessions enabled by egg's default, but nothing says the app logs users in with them.
        let app = test_model(json!({"security": {"csrf": {"enable": true, "useSession": false}}}));
        assert!(run_rule(&CsrfSessionTokenOffWithSessionAuth, &app).is_empty());
        let mut app = test_model(json!({
            "session": {"key": "S"},
            "security": {"csrf": {"enable": true, "useSession": true}},
        }));
        set_plugin(&mut app, "passport", true);
        assert!(run_rule(&CsrfSessionTokenOffWithSessionAuth, &app).is_empty());
        let mut app = test_model(json!({
            "session": {"key": "S"},
            "security": {"csrf": {"enable": true, "useSession": false}},
        }));
        set_plugin(&mut app, "session", false);
        assert!(run_rule(&CsrfSessionTokenOffWithSessionAuth, &app).is_empty());
        let app = test_model(json!({
            "session": {"key": "S"},
            "security": {"csrf": {"enable": true, "type": "referer", "useSession": false}},
        }));
        assert!(run_rule(&CsrfSessionTokenOffWithSessionAuth, &app).is_empty());
    }
}
