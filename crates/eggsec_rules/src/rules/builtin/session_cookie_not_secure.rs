//! `BLT008` `session-cookie-not-secure`: `session.secure: false` in an app that is served
//! over HTTPS, so the session cookie also travels over plain HTTP.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::AppModel;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SessionCookieNotSecure;

static META: RuleMeta = RuleMeta {
    code: "BLT008",
    name: "session-cookie-not-secure",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "The session cookie is Secure when the app is served over HTTPS",
    docs: RuleDocs {
        what: "Finds `config.session.secure = false` written explicitly while the config shows \
the app is served over HTTPS: `security.hsts.enable = true`, `config.proxy = true` (egg then \
learns the scheme from `X-Forwarded-Proto`), or an `https://` origin for the app itself \
(`cors.origin`, or a top-level `*Url` / `*Origin` / `*Domain` setting). Without such evidence \
nothing is reported: on a plain-HTTP deployment a Secure cookie would not work at all.",
        why: "egg-cookies makes a cookie Secure when `secure` is unset and the request came over \
HTTPS (`ctx.secure`). Writing `secure: false` removes that: the browser also sends the session \
cookie on any plain-HTTP request to the host — a typed `http://` URL, an old link, an injected \
`<img src=http://…>` — where anyone on the network path can copy it and take over the session.",
        bad: r#"// config/config.prod.js
module.exports = {
  proxy: true,
  session: {
    secure: false, // "cookies were not set behind the load balancer"
  },
};"#,
        good: r#"// config/config.prod.js
module.exports = {
  proxy: true, // the load balancer sends X-Forwarded-Proto: https, so ctx.secure is true
  session: {
    secure: true,
  },
};"#,
        fix: "Remove `secure: false` (egg-cookies then follows `ctx.secure`) or set \
`secure: true`. Behind a TLS-terminating proxy, set `proxy: true` so egg reads \
`X-Forwarded-Proto` — that, not turning Secure off, fixes \"Cannot send secure cookie over \
unencrypted connection\":\n\n```js\n// config/config.prod.js\nmodule.exports = {\n  proxy: \
true,\n  session: { secure: true },\n};\n```",
    },
};

/// Evidence in the config that the app is served over HTTPS, as a sentence fragment, or
/// `None` when the config does not say.
pub(crate) fn tls_evidence(app: &AppModel) -> Option<String> {
    let on = |path: &str| app.config_at(path).and_then(|v| v.as_bool()) == Some(true);
    if app.plugin_enabled("security") && on("security.hsts.enable") {
        return Some("HSTS is enabled (security.hsts.enable = true)".into());
    }
    if on("proxy") {
        return Some(
            "the app runs behind a proxy that reports the scheme (config.proxy = true)".into(),
        );
    }
    let https = |v: &eggsec_js::Value| {
        crate::util::string_list(v)
            .and_then(|list| list.into_iter().find(|s| s.starts_with("https://")))
            .map(str::to_string)
    };
    if let Some(origin) = app.config_at("cors.origin").and_then(https) {
        return Some(format!(
            "its front end is served over HTTPS (cors.origin = '{origin}')"
        ));
    }
    let root = app.config.as_object()?;
    root.iter().find_map(|(key, value)| {
        let lower = key.to_ascii_lowercase();
        let names_app_url = ["url", "origin", "domain"]
            .iter()
            .any(|s| lower.ends_with(s));
        if !names_app_url || value.prov.file.starts_with('<') {
            return None;
        }
        https(value).map(|url| format!("its URL is HTTPS (config.{key} = '{url}')"))
    })
}

impl Rule for SessionCookieNotSecure {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("session") {
            cx.not_applicable();
            return;
        }
        let configured = app
            .config_at("session.secure")
            .filter(|v| !v.is_undefined());
        let Some(secure) = configured.filter(|v| v.as_bool() == Some(false)) else {
            if configured.and_then(|v| v.as_bool()) == Some(true) {
                cx.fact("The session cookie is Secure (session.secure = true)");
            } else {
                // Unset (egg-cookies then never sets Secure, HTTPS or not, but whether the app
                // is served over HTTPS is not known) or not statically known (env, computed).
                cx.not_applicable();
            }
            return;
        };
        // secure: false is only wrong when the app is served over HTTPS, which the config does
        // not tell here.
        let Some(tls) = tls_evidence(app) else {
            cx.not_applicable();
            return;
        };
        let file = cx.relative_path(&secure.prov.file);
        cx.report(
            &secure.prov,
            format!(
                "The session cookie is not Secure (session.secure = false) although {tls}: \
browsers also send it over plain HTTP"
            ),
            vec![format!("session.secure = false ({file})"), tls],
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    fn findings(config: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(&SessionCookieNotSecure, &test_model(config))
    }

    #[test]
    fn hit_with_each_kind_of_tls_evidence() {
        let secure_off = json!({"$at": "config/config.prod.js:5:13", "$value": false});
        let found = findings(json!({"proxy": true, "session": {"secure": secure_off}}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].location.to_string(), "config/config.prod.js:5:13");
        assert!(found[0].message.contains("config.proxy = true"));
        for tls in [
            json!({"security": {"hsts": {"enable": true}}}),
            json!({"cors": {"origin": "https://shop.example.com"}}),
            json!({"siteUrl": "https://shop.example.com"}),
        ] {
            let mut config = tls.clone();
            config["session"] = json!({"secure": false});
            assert_eq!(findings(config).len(), 1, "{tls}");
        }
    }

    #[test]
    fn no_hit_without_tls_evidence_or_explicit_false() {
        for config in [
            json!({"session": {"secure": false}}),
            json!({"session": {"secure": false}, "proxy": false, "security": {"hsts": {"enable": false}}}),
            json!({"session": {"secure": false}, "payment": {"apiUrl": "https://api.stripe.com"}}),
            json!({"session": {"secure": false}, "cors": {"origin": "http://localhost:8080"}}),
            json!({"session": {"secure": true}, "proxy": true}),
            json!({"session": {}, "proxy": true}),
            json!({"session": {"secure": {"$env": "SECURE", "default": null}}, "proxy": true}),
        ] {
            assert!(findings(config.clone()).is_empty(), "{config}");
        }
        let mut app = test_model(json!({"session": {"secure": false}, "proxy": true}));
        set_plugin(&mut app, "session", false);
        assert!(run_rule(&SessionCookieNotSecure, &app).is_empty());
    }

    #[test]
    fn posture_claims_secure_only_when_set() {
        let posture =
            |config| crate::testing::run_rule_posture(&SessionCookieNotSecure, &test_model(config));
        // Unset: egg-cookies sends no Secure attribute, so nothing is claimed.
        assert!(!posture(json!({"session": {}})).0);
        assert_eq!(
            posture(json!({"session": {"secure": true}})).1,
            ["The session cookie is Secure (session.secure = true)"]
        );
    }
}
