//! `BLT004` `session-cookie-not-http-only`: the session cookie is readable from JavaScript.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SessionCookieNotHttpOnly;

static META: RuleMeta = RuleMeta {
    code: "BLT004",
    name: "session-cookie-not-http-only",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "The session cookie is HttpOnly (egg-session `httpOnly: true`)",
    docs: RuleDocs {
        what: "Finds `config.session.httpOnly = false` while the session plugin (egg-session) is \
enabled. egg-session's default is `httpOnly: true`, and it logs a warning at startup when it \
is turned off.",
        why: "Without the `HttpOnly` attribute, `document.cookie` exposes the session cookie \
(`EGG_SESS`) to every script on the page. Any XSS — including one in a third-party script — \
can then copy the session and replay it from the attacker's machine, which outlives the page \
and bypasses any in-page defence.",
        bad: r#"// config/config.prod.js
module.exports = {
  session: {
    httpOnly: false, // the front end reads the session cookie
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  session: {
    httpOnly: true, // egg-session's default: remove the override
    sameSite: 'lax',
  },
};"#,
        fix: "Delete the `httpOnly: false` override (egg-session's default is `true`) or set it \
back explicitly:\n\n```js\n// config/config.default.js\nmodule.exports = {\n  session: { \
httpOnly: true },\n};\n```\n\nIf the front end needs data from the session, expose it through \
an API endpoint or a separate non-secret cookie, never the session cookie itself.",
    },
};

impl Rule for SessionCookieNotHttpOnly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("session") {
            cx.not_applicable();
            return;
        }
        let Some(http_only) = app.config_at("session.httpOnly") else {
            cx.not_applicable();
            return;
        };
        match http_only.as_bool() {
            Some(false) => {
                let file = cx.relative_path(&http_only.prov.file);
                cx.report(
                    &http_only.prov,
                    format!(
                        "The session cookie is not HttpOnly in {}: any script on the page can \
read it (session.httpOnly = false)",
                        app.env
                    ),
                    vec![format!("session.httpOnly = false ({file})")],
                    META.docs.fix,
                );
            }
            Some(true) => cx.fact("The session cookie is HttpOnly"),
            // Not statically known (env, computed).
            None => cx.not_applicable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_http_only_false() {
        let app = test_model(json!({
            "session": {"httpOnly": {"$at": "config/config.prod.js:17:15", "$value": false}}
        }));
        let found = run_rule(&SessionCookieNotHttpOnly, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].location.to_string(), "config/config.prod.js:17:15");
        assert_eq!(
            found[0].evidence,
            ["session.httpOnly = false (config/config.prod.js)"]
        );
    }

    #[test]
    fn no_hit_when_http_only_or_unknown_or_plugin_off() {
        for config in [
            json!({"session": {"httpOnly": true}}),
            json!({"session": {"httpOnly": {"$env": "HTTP_ONLY", "default": null}}}),
            json!({"session": {"maxAge": 86400000}}),
            json!({}),
        ] {
            assert!(
                run_rule(&SessionCookieNotHttpOnly, &test_model(config.clone())).is_empty(),
                "{config}"
            );
        }
        // Cookies of a sessionless app (plugin off) are another rule's concern.
        let mut app = test_model(json!({"session": {"httpOnly": false}}));
        set_plugin(&mut app, "session", false);
        assert!(run_rule(&SessionCookieNotHttpOnly, &app).is_empty());
    }
}
