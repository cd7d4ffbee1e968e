//! `CSRF001` `csrf-disabled`: CSRF protection is off in the audited env.
//!
//! This file is the template for a rule: the metadata with its five docs sections, `check`,
//! and hit / non-hit tests on hand-built models.

use crate::credentials::{credential_transport, Transport};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::ValueKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CsrfDisabled;

static META: RuleMeta = RuleMeta {
    code: "CSRF001",
    name: "csrf-disabled",
    strategy: Strategy::Csrf,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "CSRF protection (egg-security `csrf`) is enabled",
    docs: RuleDocs {
        what: "Finds configurations in which egg-security's CSRF check does not run: \
`config.security.csrf` set to `false` or `{ enable: false }`, `csrf` left out of \
`config.security.defaultMiddleware`, or the `security` plugin itself disabled. When the app's \
credentials are seen to ride only in a header (the egg-jwt or egg-oauth2-server plugin, code \
reading the `Authorization` header) and nothing in its code reads a session or a cookie (egg-passport, \
`ctx.session`, `ctx.cookies.get`, the `Cookie` header), a cross-site request carries no \
credential: the finding stays, at low confidence, and says so (a framework or plugin eggsec \
cannot see may still keep the user in a cookie). Session or cookie code that the audited env's \
config switches off does not count: code in a branch of `if (app.config.mode === 'jwt')` (or \
after such an `if` that returns) runs only when that test holds, and eggsec decides the test \
with the effective config when its value is statically known. An app that shows no \
authentication at all (its routes all known, none requiring authentication in eggsec's auth \
model, no auth plugin, no session, signed-cookie or `Authorization` read, no middleware parsing \
the Cookie header) gets the same low confidence: there is no user credential to ride, though an \
app trusted for where it runs (an intranet tool) can still be driven by a page its users open.",
        why: "Egg.js relies on egg-security's `csrf` middleware to reject POST, PUT, PATCH and DELETE \
requests that do not carry the user's CSRF token. Without it, any web page the user visits can \
submit forms to the app with the user's cookies and act as the user (change their email or \
password, transfer money, delete data).",
        bad: r#"// config/config.prod.js
module.exports = {
  security: {
    csrf: { enable: false },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    csrf: {
      enable: true,          // egg-security's default
      type: 'ctoken',
      headerName: 'x-csrf-token',
    },
  },
};"#,
        fix: "Remove the line that turns CSRF off so egg-security's default (`enable: true`) \
applies. If some endpoints really are called cross-site without a session (webhooks, \
token-authenticated APIs), exempt only those paths with `security.csrf.ignore` (an exact \
path prefix or a function) instead of turning the check off for the whole app.",
    },
};

impl Rule for CsrfDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if let Some(plugin) = app.plugin("security") {
            if !plugin.enabled {
                cx.report(
                    &plugin.decided_by,
                    "The security plugin (egg-security) is disabled, so no CSRF check runs",
                    vec![format!("plugin `security` disabled by {}", cx.relative_path(&plugin.decided_by.file))],
                    "Enable the plugin again in `config/plugin.js`:\n\n```js\nexports.security = true;\n```",
                );
                return;
            }
        }

        if let Some(csrf) = app.config_at("security.csrf") {
            let off = if csrf.as_bool() == Some(false) {
                Some((csrf, "security.csrf = false"))
            } else {
                csrf.get("enable")
                    .filter(|v| v.as_bool() == Some(false))
                    .map(|v| (v, "security.csrf.enable = false"))
            };
            if let Some((value, evidence)) = off {
                // (said in the message: the evidence, and so the fingerprint, stay the same
                // whatever carries the credential)
                let carried = credential_transport(app);
                let mut message = format!("CSRF protection is turned off in {}", app.env);
                if let Transport::HeaderOnly { header, dead } = &carried {
                    let reads = match dead {
                        None => "no code of the app reads a session or a cookie".to_string(),
                        Some(d) => format!(
                            "no code of the app that runs in {} reads a session or a cookie \
({d})",
                            app.env
                        ),
                    };
                    message.push_str(&format!(
                        "; credentials ride in {header} and {reads}, so a cross-site request \
carries none (unless a framework or plugin eggsec cannot see keeps the user in a cookie)"
                    ));
                }
                if let Transport::NoAuthentication = carried {
                    message.push_str(
                        "; no route of the app requires authentication and no code reads a \
session, a signed cookie or an Authorization header, so a cross-site request has no user \
credential to ride (unless a framework or plugin eggsec cannot see authenticates, or the app \
trusts the network its users reach it from)",
                    );
                }
                let f = cx.report(
                    &value.prov,
                    message,
                    vec![evidence.to_string()],
                    META.docs.fix,
                );
                if !matches!(carried, Transport::CookieOrUnknown) {
                    f.confidence = Confidence::Low;
                }
                return;
            }
        }

        if let Some(list) = app.config_at("security.defaultMiddleware") {
            // egg-security takes a comma-separated string (egg 3) or an array (egg 4).
            let names: Option<Vec<String>> = match (list.as_str(), list.as_list()) {
                (Some(s), _) => Some(s.split(',').map(|n| n.trim().to_string()).collect()),
                (_, Some(items)) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => None,
            };
            if let Some(names) = names {
                if !names.iter().any(|n| n == "csrf") {
                    cx.report(
                        &list.prov,
                        "`csrf` is missing from security.defaultMiddleware, so the CSRF check never runs",
                        vec![format!("security.defaultMiddleware = {:?}", names.join(","))],
                        "Put `csrf` back into `config.security.defaultMiddleware`, or delete the \
override so egg-security's default list applies.",
                    );
                    return;
                }
            }
        }
        // Unset, egg-security's default (on) applies; an `enable` that is an env variable or
        // computed, or a `defaultMiddleware` that is not statically known, decides nothing.
        let csrf_undecided = app.config_at("security.csrf").is_some_and(|csrf| {
            match (&csrf.kind, csrf.get("enable")) {
                (ValueKind::Object(_), Some(enable)) => enable.truthy().is_none(),
                (ValueKind::Object(_) | ValueKind::Undefined, None) => false,
                _ => true,
            }
        });
        let list_undecided = app
            .config_at("security.defaultMiddleware")
            .is_some_and(|list| {
                list.as_str().is_none()
                    && list
                        .as_list()
                        .is_none_or(|items| items.iter().any(|i| i.as_str().is_none()))
            });
        if csrf_undecided || list_undecided {
            cx.not_applicable();
        } else {
            cx.fact(format!("CSRF check enabled in {}", app.env));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_files, run_rule, set_plugin, test_model};
    use serde_json::json;

    /// CSRF off, with `files` as the app's code and `plugins` (`egg-<name>`) enabled.
    fn off_with(files: &[(&str, &str)], plugins: &[&str]) -> eggsec_report::Finding {
        let mut app = test_model(json!({"security": {"csrf": false}}));
        app.code = model_with_files(files).code;
        for p in plugins {
            set_plugin(&mut app, p, true);
        }
        the_one_finding(&app)
    }

    #[test]
    fn header_only_credentials_lower_the_confidence() {
        // geek-navigation, poster-backend: egg-jwt on the Authorization header, no session
        let jwt = (
            "app/controller/user.js",
            "module.exports = app => class extends app.Controller {\n  async me() { this.ctx.body = this.ctx.state.user; }\n};\n",
        );
        let f = off_with(&[jwt], &["jwt"]);
        assert_eq!(f.confidence, Confidence::Low, "{f:#?}");
        assert!(f.message.contains("egg-jwt"), "{f:#?}");
        let header = (
            "app/middleware/auth.js",
            "module.exports = () => async (ctx, next) => {\n  const token = ctx.headers.authorization;\n  if (!token) ctx.throw(401);\n  await next();\n};\n",
        );
        let f = off_with(&[header], &[]);
        assert_eq!(f.confidence, Confidence::Low, "{f:#?}");
        assert!(f.message.contains("app/middleware/auth.js:2"), "{f:#?}");
        // look-alikes: a cookie or a session carries the user (tiny-engine, egg-commerce,
        // zanePerfor), or nothing says what does
        for cookie in [
            "module.exports = () => async (ctx, next) => { ctx.user = ctx.cookies.get('usertoken'); await next(); };\n",
            "module.exports = () => async (ctx, next) => { if (!ctx.session.currentUser) ctx.throw(401); await next(); };\n",
            "module.exports = () => async (ctx, next) => { const { session } = ctx; await next(); };\n",
        ] {
            let f = off_with(&[header, ("app/middleware/user.js", cookie)], &["jwt"]);
            assert_eq!(f.confidence, Confidence::High, "{cookie}");
            assert_eq!(f.message, "CSRF protection is turned off in prod");
        }
        // restapi-module-tool: egg-oauth2-server's `authenticate()` on the writing routes
        let f = off_with(&[jwt], &["oauth2-server"]);
        assert_eq!(f.confidence, Confidence::Low, "{f:#?}");
        assert!(f.message.contains("egg-oauth2-server"), "{f:#?}");
        let f = off_with(&[jwt], &["jwt", "passport"]);
        assert_eq!(f.confidence, Confidence::High);
        let f = off_with(&[jwt], &[]);
        assert_eq!(f.confidence, Confidence::High);
    }

    #[test]
    fn session_code_the_config_switches_off_is_not_a_cookie_credential() {
        // egg-beehive: `config.verification_mode` picks the Bearer branch; the session code is
        // in the other branch and after an early return of the jwt case
        let handler = (
            "app/middleware/auth.js",
            "module.exports = (o, app) => async (ctx, next) => {\n  if (app.config.verification_mode === 'jwt') {\n    const token = ctx.request.headers.authorization;\n    if (!token) ctx.throw(401);\n  } else if (app.config.verification_mode === 'session') {\n    if (!ctx.session.user) ctx.throw(401);\n  }\n  await next();\n};\n",
        );
        let login = (
            "app/service/users.js",
            "module.exports = app => class extends app.Service {\n  async login(data) {\n    if (this.app.config.verification_mode === 'jwt') {\n      return { token: 1 };\n    }\n    this.ctx.session.currentRequestData = data;\n    return {};\n  }\n};\n",
        );
        let run = |mode: serde_json::Value| {
            let mut app = test_model(json!({
                "security": {"csrf": false},
                "verification_mode": mode,
            }));
            app.code = model_with_files(&[handler, login]).code;
            set_plugin(&mut app, "jwt", true);
            let mut found = run_rule(&CsrfDisabled, &app);
            assert_eq!(found.len(), 1, "{found:#?}");
            found.remove(0)
        };
        let f = run(json!("jwt"));
        assert_eq!(f.confidence, Confidence::Low, "{f:#?}");
        assert!(
            f.message
                .contains("runs only when config.verification_mode is \"session\"; it is \"jwt\"")
                || f.message.contains(
                    "runs only when config.verification_mode is not \"jwt\"; it is \"jwt\""
                ),
            "{f:#?}"
        );
        // look-alikes: the config picks the session, or is not statically known
        for mode in [json!("session"), json!({"$env": "MODE", "default": null})] {
            let f = run(mode.clone());
            assert_eq!(f.confidence, Confidence::High, "{mode}: {f:#?}");
            assert_eq!(f.message, "CSRF protection is turned off in prod");
        }
    }

    /// The single CSRF001 finding on `app`.
    fn the_one_finding(app: &eggsec_app::AppModel) -> eggsec_report::Finding {
        let mut found = run_rule(&CsrfDisabled, app);
        assert_eq!(found.len(), 1, "{found:#?}");
        found.remove(0)
    }

    /// CSRF001 on a real load of a small app (routes and the auth model built as for an
    /// audit): `files` over a package.json and a config that turns CSRF off.
    fn loaded(files: &[(&str, &str)]) -> eggsec_report::Finding {
        let mut all = vec![
            ("package.json", r#"{"name":"datahub"}"#),
            (
                "config/config.default.js",
                "module.exports = { keys: 'k_1234567890', security: { csrf: { enable: false } } };\n",
            ),
        ];
        all.extend_from_slice(files);
        let (_tmp, app) = crate::testing::load_app(&all);
        the_one_finding(&app)
    }

    #[test]
    fn an_app_with_no_authentication_lowers_the_confidence() {
        // macaca-datahub: a mock-data server; it reads a cache tag from the Cookie header in a
        // controller, and nothing authenticates anyone
        let router = (
            "app/router.js",
            "module.exports = app => {\n  app.router.post('/api/data', app.controller.data.update);\n  app.router.post('/api/user', app.controller.data.user);\n};\n",
        );
        let data = |user: &str| {
            format!(
                "const {{ Controller }} = require('egg');\nconst cookie = require('cookie');\nclass Data extends Controller {{\n  async update() {{\n    const {{ ctx }} = this;\n    const pair = cookie.parse(ctx.header.cookie || '');\n    ctx.body = pair && pair.DATAHUB_CACHE_TAG;\n  }}\n  async user() {{\n    {user}\n  }}\n}}\nmodule.exports = Data;\n"
            )
        };
        let open = data("this.ctx.body = 1;");
        let f = loaded(&[router, ("app/controller/data.js", &open)]);
        assert_eq!(f.confidence, Confidence::Low, "{f:#?}");
        assert!(
            f.message
                .contains("no route of the app requires authentication"),
            "{f:#?}"
        );
        // look-alikes: a handler that rejects anonymous users; a middleware that parses the
        // Cookie header (it may load the user from it); a session read
        let guarded =
            data("if (!this.ctx.get('x-user')) this.ctx.throw(401);\n    this.ctx.body = 1;");
        let f = loaded(&[router, ("app/controller/data.js", &guarded)]);
        assert_eq!(f.confidence, Confidence::High, "{f:#?}");
        assert_eq!(f.message, "CSRF protection is turned off in prod");
        let mw = (
            "app/middleware/user.js",
            "module.exports = () => async (ctx, next) => { ctx.user = parse(ctx.headers.cookie); await next(); };\n",
        );
        let f = loaded(&[router, ("app/controller/data.js", &open), mw]);
        assert_eq!(f.confidence, Confidence::High, "{f:#?}");
        let session = data("this.ctx.body = this.ctx.session.user;");
        let f = loaded(&[router, ("app/controller/data.js", &session)]);
        assert_eq!(f.confidence, Confidence::High, "{f:#?}");
        // no route eggsec can see: nothing to conclude from
        let f = loaded(&[("app/controller/data.js", &open)]);
        assert_eq!(f.confidence, Confidence::High, "{f:#?}");
    }

    #[test]
    fn hit_enable_false() {
        let app = test_model(json!({
            "security": {"csrf": {"enable": {"$at": "config/config.prod.js:3:21", "$value": false}}}
        }));
        let findings = run_rule(&CsrfDisabled, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "CSRF001");
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:3:21"
        );
        assert_eq!(findings[0].evidence, ["security.csrf.enable = false"]);
    }

    #[test]
    fn hit_csrf_false() {
        let app = test_model(json!({"security": {"csrf": false}}));
        assert_eq!(run_rule(&CsrfDisabled, &app).len(), 1);
    }

    #[test]
    fn hit_plugin_disabled() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "security", false);
        let findings = run_rule(&CsrfDisabled, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].location.to_string(), "config/plugin.js:1:1");
    }

    #[test]
    fn hit_default_middleware_without_csrf() {
        let app = test_model(json!({
            "security": {"defaultMiddleware": "hsts,nosniff,xframe", "csrf": {"enable": true}}
        }));
        assert_eq!(run_rule(&CsrfDisabled, &app).len(), 1);
    }

    #[test]
    fn no_hit_when_enabled_or_unknown() {
        for config in [
            json!({"security": {"csrf": {"enable": true}, "defaultMiddleware": ["csrf", "hsts"]}}),
            json!({"security": {"csrf": {"enable": {"$env": "CSRF", "default": null}}}}),
            json!({"security": {"csrf": {"enable": {"$unknown": "call to f()"}}}}),
            json!({}),
        ] {
            let app = test_model(config.clone());
            assert!(run_rule(&CsrfDisabled, &app).is_empty(), "{config}");
        }
    }
}
