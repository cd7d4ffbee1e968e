//! `BLT007` `session-same-site-none-without-secure`: the session cookie asks for
//! `SameSite=None` without `secure: true`.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SessionSameSiteNoneWithoutSecure;

static META: RuleMeta = RuleMeta {
    code: "BLT007",
    name: "session-same-site-none-without-secure",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "The session cookie does not use `SameSite=None` without `Secure`",
    docs: RuleDocs {
        what: "Finds `config.session.sameSite = 'none'` (any case) while `config.session.secure` \
is not `true`, with egg-session enabled.",
        why: "`SameSite=None` sends the session cookie on every cross-site request, turning off \
the browser's Lax-by-default CSRF defence; browsers only accept it together with `Secure`. \
Without `secure: true`, egg-cookies marks the cookie Secure only when `ctx.secure` is true, \
and silently drops `SameSite=None` when it is not (plain HTTP, or behind a TLS-terminating \
proxy without `config.proxy = true`). The cookie's cross-site behaviour then depends on the \
deployment: it is either rejected by browsers or sent cross-site without anyone having \
checked that every state-changing route is CSRF-protected.",
        bad: r#"// config/config.default.js
module.exports = {
  session: {
    sameSite: 'none',
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  session: {
    sameSite: 'lax', // or 'none' together with secure: true when the app is embedded cross-site
  },
};"#,
        fix: "Use `sameSite: 'lax'` (or `'strict'`) unless the app really runs inside another \
site (an iframe, a cross-site SPA with credentials); in that case require HTTPS with \
`secure: true` and make sure egg-security's CSRF check covers every state-changing route:\n\n\
```js\n// config/config.default.js\nmodule.exports = {\n  session: { sameSite: 'lax' },\n};\n```",
    },
};

/// Whether a cookie options object (`config.session`, `config.cookies`) has
/// `sameSite: 'none'` without a known `secure: true`; returns the `sameSite` value.
pub(crate) fn same_site_none_without_secure(
    options: &eggsec_js::Value,
) -> Option<&eggsec_js::Value> {
    let same_site = options
        .get("sameSite")
        .filter(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("none")))?;
    match options.get("secure") {
        None => Some(same_site),
        Some(secure) if secure.as_bool() == Some(false) || secure.is_undefined() => Some(same_site),
        Some(_) => None,
    }
}

impl Rule for SessionSameSiteNoneWithoutSecure {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("session") {
            cx.not_applicable();
            return;
        }
        let Some(same_site) = app
            .config_at("session")
            .and_then(same_site_none_without_secure)
        else {
            return;
        };
        let file = cx.relative_path(&same_site.prov.file);
        cx.report(
            &same_site.prov,
            format!(
                "The session cookie asks for SameSite=None without secure: true in {}: it is \
sent on cross-site requests, and egg drops the attribute whenever ctx.secure is false",
                app.env
            ),
            vec![format!(
                "session.sameSite = '{}', session.secure not true ({file})",
                same_site.as_str().unwrap_or_default()
            )],
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    fn findings(session: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(
            &SessionSameSiteNoneWithoutSecure,
            &test_model(json!({ "session": session })),
        )
    }

    #[test]
    fn hit_none_without_secure() {
        let found = findings(
            json!({"sameSite": {"$at": "config/config.default.js:3:15", "$value": "none"}}),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:3:15"
        );
        assert_eq!(
            findings(json!({"sameSite": "None", "secure": false})).len(),
            1
        );
    }

    #[test]
    fn no_hit_with_secure_or_other_values() {
        for session in [
            json!({"sameSite": "none", "secure": true}),
            json!({"sameSite": "none", "secure": {"$env": "COOKIE_SECURE", "default": null}}),
            json!({"sameSite": "lax"}),
            json!({"sameSite": "strict", "secure": false}),
            json!({"sameSite": {"$unknown": "pick()"}}),
            json!({}),
        ] {
            assert!(findings(session.clone()).is_empty(), "{session}");
        }
        let mut app = test_model(json!({"session": {"sameSite": "none"}}));
        set_plugin(&mut app, "session", false);
        assert!(run_rule(&SessionSameSiteNoneWithoutSecure, &app).is_empty());
    }
}
