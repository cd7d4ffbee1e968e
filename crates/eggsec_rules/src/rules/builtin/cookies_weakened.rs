//! `BLT009` `cookies-weakened`: `config.cookies` — the defaults of every `ctx.cookies.set` —
//! turns off a cookie protection.

use super::session_cookie_not_secure::tls_evidence;
use super::session_same_site_none_without_secure::same_site_none_without_secure;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::Value;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CookiesWeakened;

static META: RuleMeta = RuleMeta {
    code: "BLT009",
    name: "cookies-weakened",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control:
        "Global cookie defaults (`config.cookies`) keep HttpOnly, signing, Secure and SameSite",
    docs: RuleDocs {
        what: "Finds weakened global cookie defaults in `config.cookies` (egg's default is `{}`, \
so egg-cookies' own safe defaults apply): `httpOnly: false`, `signed: false`, \
`sameSite: 'none'` without `secure: true`, and `secure: false` while the config shows the app \
is served over HTTPS (HSTS on, `proxy: true`, or an `https://` app origin). One finding per \
weakened option.",
        why: "egg passes `config.cookies` as the default options of every `ctx.cookies.set()` in \
the app and its plugins. `httpOnly: false` exposes every cookie set without an explicit \
option to scripts (XSS reads them); `signed: false` lets clients change cookie values the app \
may trust; `secure: false` sends them over plain HTTP; `sameSite: 'none'` sends them on \
cross-site requests (CSRF), and egg-cookies drops it on insecure requests so behaviour \
depends on the deployment.",
        bad: r#"// config/config.default.js
module.exports = {
  cookies: {
    httpOnly: false,
    signed: false,
    sameSite: 'none',
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  cookies: {
    sameSite: 'lax', // httpOnly, signing and Secure keep egg-cookies' defaults
  },
};"#,
        fix: "Remove the weakening options from `config.cookies` so egg-cookies' defaults apply \
(`httpOnly: true`, signed, Secure over HTTPS), and set SameSite:\n\n```js\n\
// config/config.default.js\nmodule.exports = {\n  cookies: { sameSite: 'lax' },\n};\n```\n\n\
If one cookie must be readable from JavaScript, say so on that call only: \
`ctx.cookies.set('theme', value, { httpOnly: false, signed: false })`.",
    },
};

impl Rule for CookiesWeakened {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let Some(cookies) = app.config_at("cookies").filter(|c| c.as_object().is_some()) else {
            // Absent or not statically known: nothing to judge.
            cx.not_applicable();
            return;
        };
        let off = |key: &str| cookies.get(key).filter(|v| v.as_bool() == Some(false));
        let mut weak: Vec<(&Value, String, String)> = Vec::new();
        if let Some(v) = off("httpOnly") {
            weak.push((
                v,
                "cookies.httpOnly = false".into(),
                "every cookie set without an explicit `httpOnly` is readable by scripts".into(),
            ));
        }
        if let Some(v) = off("signed") {
            weak.push((
                v,
                "cookies.signed = false".into(),
                "cookies are set without a signature, so clients can change their values".into(),
            ));
        }
        if let Some(v) = same_site_none_without_secure(cookies) {
            weak.push((
                v,
                "cookies.sameSite = 'none' without cookies.secure = true".into(),
                "cookies are sent on cross-site requests, and egg drops SameSite=None whenever \
ctx.secure is false"
                    .into(),
            ));
        }
        if let Some(v) = off("secure") {
            if let Some(tls) = tls_evidence(app) {
                weak.push((
                    v,
                    "cookies.secure = false".into(),
                    format!("cookies are also sent over plain HTTP although {tls}"),
                ));
            }
        }
        if weak.is_empty() {
            // An option that is not a literal (env, computed) may weaken them: not decidable.
            let undecided = ["httpOnly", "signed", "secure", "sameSite"]
                .iter()
                .any(|key| {
                    cookies.get(key).is_some_and(|v| {
                        !v.is_undefined() && v.as_bool().is_none() && v.as_str().is_none()
                    })
                });
            if undecided {
                cx.not_applicable();
            } else if off("secure").is_some() {
                // secure: false is only a finding when the app is known to be served over HTTPS.
                cx.fact(
                    "Global cookie defaults (config.cookies) keep HttpOnly, signing and SameSite",
                );
            } else {
                cx.fact("Global cookie defaults (config.cookies) are not weakened");
            }
        }
        for (value, setting, effect) in weak {
            let file = cx.relative_path(&value.prov.file);
            cx.report(
                &value.prov,
                format!(
                    "Global cookie default weakened in {}: {setting} — {effect}",
                    app.env
                ),
                vec![format!("{setting} ({file})")],
                META.docs.fix,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, run_rule_posture, test_model};
    use serde_json::json;

    fn findings(config: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(&CookiesWeakened, &test_model(config))
    }

    #[test]
    fn hit_each_weakened_option() {
        let found = findings(json!({"cookies": {
            "httpOnly": {"$at": "config/config.default.js:3:15", "$value": false},
            "signed": {"$at": "config/config.default.js:4:13", "$value": false},
            "sameSite": {"$at": "config/config.default.js:5:15", "$value": "none"},
        }}));
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:3:15"
        );
        assert_eq!(found[2].evidence, ["cookies.sameSite = 'none' without cookies.secure = true (config/config.default.js)"]);
        let secure =
            findings(json!({"cookies": {"secure": false}, "security": {"hsts": {"enable": true}}}));
        assert_eq!(secure.len(), 1);
        assert!(secure[0].message.contains("HSTS is enabled"));
    }

    #[test]
    fn no_hit_on_defaults_or_safe_options() {
        for config in [
            json!({"cookies": {}}),
            json!({"cookies": {"sameSite": "lax", "httpOnly": true}}),
            json!({"cookies": {"sameSite": "none", "secure": true}}),
            // Plain-HTTP deployment as far as the config tells: secure:false is not reported.
            json!({"cookies": {"secure": false}}),
            json!({"cookies": {"httpOnly": {"$env": "HTTP_ONLY", "default": null}}}),
            json!({"cookies": {"$unknown": "spread of require('./cookies')"}}),
            json!({}),
        ] {
            assert!(findings(config.clone()).is_empty(), "{config}");
        }
    }

    #[test]
    fn posture_only_claims_what_the_options_say() {
        let posture = |config| run_rule_posture(&CookiesWeakened, &test_model(config));
        assert!(
            !posture(json!({"cookies": {"httpOnly": {"$env": "HTTP_ONLY", "default": null}}})).0
        );
        assert!(!posture(json!({"cookies": {"$unknown": "spread"}})).0);
        assert_eq!(
            posture(json!({"cookies": {"secure": false}})).1,
            ["Global cookie defaults (config.cookies) keep HttpOnly, signing and SameSite"]
        );
    }
}
