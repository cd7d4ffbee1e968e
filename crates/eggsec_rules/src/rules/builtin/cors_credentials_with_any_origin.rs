//! `BLT017` `cors-credentials-with-any-origin`: egg-cors sends
//! `Access-Control-Allow-Credentials: true` to any origin.

use super::multipart_whitelist_accepts_all::{one_line, unconditional_return};
use crate::source_text::function_text;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::ValueKind;
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::sync::LazyLock;

pub struct CorsCredentialsWithAnyOrigin;

static META: RuleMeta = RuleMeta {
    code: "BLT017",
    name: "cors-credentials-with-any-origin",
    strategy: Strategy::Builtin,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "CORS with credentials (egg-cors) is limited to known origins",
    docs: RuleDocs {
        what: "Finds the `cors` plugin (egg-cors) enabled with `config.cors.credentials: true` \
and an origin policy that accepts every site: `origin: '*'` (with credentials, @koa/cors \
answers with the request's own Origin), an `origin` function that returns the request's \
Origin header (`ctx.get('origin')`, `ctx.header.origin`) or `'*'` without checking it, or no \
`origin` at all while the security plugin is disabled (egg-cors then reflects every origin, \
because its default origin check uses egg-security's `ctx.isSafeDomain`).",
        why: "`Access-Control-Allow-Credentials: true` together with the caller's own origin \
lets any web page the user visits send authenticated requests to the app with the user's \
cookies and read the responses: account data, CSRF tokens, anything an API returns. It \
defeats the same-origin policy for the whole app.",
        bad: r#"// config/config.default.js
module.exports = {
  cors: {
    origin: '*',
    credentials: true,
  },
};"#,
        good: r#"// config/config.default.js
const allowed = new Set([ 'https://app.example.com', 'https://admin.example.com' ]);
module.exports = {
  cors: {
    origin: ctx => (allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
    credentials: true,
  },
};"#,
        fix: "List the origins that may call the app with credentials: either an `origin` \
function that checks the request's Origin against a fixed set, or delete `origin` and list \
the sites in `config.security.domainWhiteList` (egg-cors then reflects only those, with the \
security plugin enabled):\n\n```js\nconfig.security = { domainWhiteList: [ \
'https://app.example.com' ] };\nconfig.cors = { credentials: true };\n```\n\nIf no caller \
needs cookies, drop `credentials: true`.",
    },
};

/// A returned expression that is the request's Origin header: `ctx.get('origin')`,
/// `ctx.header.origin`, `ctx.request.headers['origin']`...
static REFLECTS_ORIGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)^[\w$.]*\b(?:get\(\s*['"`]origin['"`]\s*\)|headers?\s*(?:\.\s*origin|\[\s*['"`]origin['"`]\s*\]))$"#,
    )
    .expect("valid regex")
});

impl Rule for CorsCredentialsWithAnyOrigin {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let enabled = app.plugins.iter().any(|p| {
            p.enabled
                && (p.name == "cors"
                    || matches!(p.package.as_deref(), Some("egg-cors" | "@eggjs/cors")))
        });
        if !enabled {
            cx.not_applicable();
            return;
        }
        let Some(cors) = app.config_at("cors") else {
            cx.not_applicable();
            return;
        };
        let credentials = cors.get("credentials").filter(|c| !c.is_undefined());
        match credentials.map(|c| c.as_bool()) {
            Some(Some(true)) => {}
            // egg-cors' default is false: no credentialed cross-origin requests at all.
            None | Some(Some(false)) => {
                cx.fact("CORS (egg-cors) does not allow credentialed requests");
                return;
            }
            Some(None) => {
                cx.not_applicable();
                return;
            }
        }
        let Some(credentials) = credentials else {
            return;
        };
        let origin = cors.get("origin");
        let (prov, message, evidence) = match origin.map(|o| &o.kind) {
            Some(ValueKind::String(s)) if s == "*" => (
                origin.map(|o| o.prov.clone()),
                "`cors.origin: '*'` with `cors.credentials: true`: @koa/cors then echoes the \
caller's Origin, so every site may send credentialed requests and read the responses"
                    .to_string(),
                "cors.origin = '*', cors.credentials = true".to_string(),
            ),
            Some(ValueKind::Function { .. }) => {
                let Some(origin) = origin else { return };
                // What the function returns is only judged when it is unconditional.
                let Some(returned) = function_text(&app.root, &origin.prov).and_then(|source| {
                    unconditional_return(&source).map(|returned| (source, returned))
                }) else {
                    cx.not_applicable();
                    return;
                };
                let (source, returned) = returned;
                let reflects = REFLECTS_ORIGIN.is_match(&returned)
                    || matches!(returned.as_str(), "'*'" | "\"*\"");
                if !reflects {
                    return;
                }
                (
                    Some(origin.prov.clone()),
                    format!(
                        "`cors.origin` returns `{returned}` for every request, with \
`cors.credentials: true`: every site may send credentialed requests and read the responses"
                    ),
                    format!(
                        "cors.origin = {}, cors.credentials = true",
                        one_line(&source, 80)
                    ),
                )
            }
            None | Some(ValueKind::Undefined | ValueKind::Null)
                if !app.plugin_enabled("security") =>
            {
                (
                    Some(credentials.prov.clone()),
                    "`cors.origin` is not set and the security plugin is disabled, so egg-cors \
reflects every Origin; with `cors.credentials: true` every site may send credentialed \
requests and read the responses"
                        .to_string(),
                    "cors.origin unset, plugin security disabled, cors.credentials = true"
                        .to_string(),
                )
            }
            Some(ValueKind::String(s)) if s.is_empty() && !app.plugin_enabled("security") => (
                Some(credentials.prov.clone()),
                "`cors.origin` is empty and the security plugin is disabled, so egg-cors \
reflects every Origin; with `cors.credentials: true` every site may send credentialed \
requests and read the responses"
                    .to_string(),
                "cors.origin = '', plugin security disabled, cors.credentials = true".to_string(),
            ),
            Some(ValueKind::Unknown { .. } | ValueKind::Env { .. }) => {
                cx.not_applicable();
                return;
            }
            _ => return,
        };
        let Some(prov) = prov else { return };
        cx.report(&prov, message, vec![evidence], META.docs.fix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, run_rule_posture, set_plugin, test_model, test_model_in};
    use serde_json::json;

    fn with_cors(config: serde_json::Value) -> eggsec_app::AppModel {
        let mut app = test_model(config);
        set_plugin(&mut app, "cors", true);
        app
    }

    #[test]
    fn hit_star_with_credentials() {
        let app = with_cors(json!({"cors": {
            "origin": {"$at": "config/config.default.js:4:13", "$value": "*"},
            "credentials": true
        }}));
        let findings = run_rule(&CorsCredentialsWithAnyOrigin, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.default.js:4:13"
        );
    }

    #[test]
    fn hit_reflecting_function() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/config.default.js"),
            "exports.cors = {\n  origin(ctx) {\n    return ctx.get('origin');\n  },\n  credentials: true,\n};\n",
        )
        .unwrap();
        let mut app = test_model_in(
            dir.path(),
            json!({"cors": {"origin": {"$function": "config/config.default.js:2:9"}, "credentials": true}}),
        );
        set_plugin(&mut app, "cors", true);
        let findings = run_rule(&CorsCredentialsWithAnyOrigin, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.default.js:2:9"
        );
    }

    #[test]
    fn hit_no_origin_with_security_disabled() {
        let mut app = with_cors(json!({"cors": {"credentials": true}}));
        set_plugin(&mut app, "security", false);
        assert_eq!(run_rule(&CorsCredentialsWithAnyOrigin, &app).len(), 1);
    }

    #[test]
    fn reflects_origin_patterns() {
        for yes in [
            "ctx.get('origin')",
            "ctx.get(\"Origin\")",
            "ctx.header.origin",
            "ctx.request.headers['origin']",
            "this.ctx.headers.origin",
        ] {
            assert!(REFLECTS_ORIGIN.is_match(yes), "{yes}");
        }
        for no in [
            "allowed(ctx.get('origin'))",
            "ctx.get('origin') === x ? y : ''",
            "'https://a.example'",
        ] {
            assert!(!REFLECTS_ORIGIN.is_match(no), "{no}");
        }
    }

    #[test]
    fn no_hit_without_credentials_or_with_checked_origin() {
        for config in [
            json!({"cors": {"origin": "*"}}),
            json!({"cors": {"origin": "*", "credentials": false}}),
            json!({"cors": {"origin": "https://app.example.com", "credentials": true}}),
            // no origin with the security plugin on: egg-cors checks domainWhiteList
            json!({"cors": {"credentials": true}}),
            json!({"cors": {"origin": "*", "credentials": {"$env": "CORS_CRED", "default": null}}}),
            json!({"cors": {"origin": {"$unknown": "call"}, "credentials": true}}),
        ] {
            let app = with_cors(config.clone());
            assert!(
                run_rule(&CorsCredentialsWithAnyOrigin, &app).is_empty(),
                "{config}"
            );
        }
        // cors config without the plugin: another rule's business
        let app = test_model(json!({"cors": {"origin": "*", "credentials": true}}));
        assert!(run_rule(&CorsCredentialsWithAnyOrigin, &app).is_empty());
    }

    #[test]
    fn posture_without_cors_credentials_or_unknown_origin() {
        let posture =
            |app: &eggsec_app::AppModel| run_rule_posture(&CorsCredentialsWithAnyOrigin, app);
        // egg-cors not enabled: nothing to claim.
        assert!(!posture(&test_model(json!({"cors": {"origin": "*"}}))).0);
        assert_eq!(
            posture(&with_cors(json!({"cors": {"origin": "*"}}))),
            (
                true,
                vec!["CORS (egg-cors) does not allow credentialed requests".to_string()]
            )
        );
        let unknown =
            with_cors(json!({"cors": {"origin": {"$unknown": "f()"}, "credentials": true}}));
        assert!(!posture(&unknown).0);
    }
}
