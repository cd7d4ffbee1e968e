//! `MW011` `state-changing-route-without-auth`: a POST/PUT/PATCH/DELETE route that no
//! authentication middleware guards and whose handler does not check the user.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::routes::AuthStatus;
use eggsec_js::Provenance;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct StateChangingRouteWithoutAuth;

static META: RuleMeta = RuleMeta {
    code: "MW011",
    name: "state-changing-route-without-auth",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::Low,
    control: "State-changing routes require authentication",
    docs: RuleDocs {
        what: r#"Lists POST, PUT, PATCH, DELETE (and `router.all`) routes whose middleware chain (global middleware after `match`/`ignore`, namespace and route middleware) holds no authentication middleware — by name (`auth`, `jwt`, `login`, `passport`...) or because its code checks `ctx.session.user`/`ctx.state.user`/a JWT — and whose handler does not check the user itself. Authentication entry points (a last path segment or handler method named login, signin, signup, register, logout, token, oauth, callback, authorize) are not reported: they cannot require the authentication they grant."#,
        why: r#"A state-changing endpoint reachable without authentication lets anyone create, change or delete data. Other public endpoints (webhooks, contact forms) are legitimate but should be a deliberate, reviewed list: suppress them with a reason."#,
        bad: r#"// app/router.js
router.post('/api/orders', controller.order.create);"#,
        good: r#"// app/router.js
const auth = app.middleware.auth();
router.post('/api/orders', auth, controller.order.create);"#,
        fix: r#"Add your authentication middleware to the route (`router.post(path, app.middleware.auth(), handler)`), to its namespace, or globally in `config.middleware` with `ignore` for the public paths; for a deliberately public endpoint add `// eggsec-ignore state-changing-route-without-auth: <why>` on the route line."#,
    },
};

impl Rule for StateChangingRouteWithoutAuth {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if app.routes.is_empty() {
            cx.not_applicable();
            return;
        }
        for r in app
            .routes
            .iter()
            .filter(|r| r.is_state_changing() && r.auth == AuthStatus::None)
            .filter(|r| !is_authentication_entry_point(&r.path, &r.handler))
        {
            let (file, line) = &r.registered_at;
            let prov =
                Provenance::new(app.root.join(file).to_string_lossy().into_owned(), *line, 1);
            let chain: Vec<&str> = r.middleware.iter().map(|m| m.name.as_str()).collect();
            cx.report(
                &prov,
                format!(
                    "{} {} ({}) has no authentication middleware or check",
                    r.method, r.path, r.handler
                ),
                vec![
                    format!(
                        "route {} {} → {} at {}:{}",
                        r.method,
                        r.path,
                        r.handler,
                        r.file.display(),
                        r.line
                    ),
                    format!(
                        "middleware: {}",
                        if chain.is_empty() {
                            "(none)".to_string()
                        } else {
                            chain.join(" → ")
                        }
                    ),
                ],
                META.docs.fix,
            );
        }
    }
}

/// Words that name the endpoints through which a user becomes (or stops being) authenticated.
const AUTH_ENTRY_WORDS: &[&str] = &[
    "login",
    "logon",
    "signin",
    "signup",
    "register",
    "logout",
    "signout",
    "token",
    "oauth",
    "callback",
    "authorize",
];

/// Login, sign-up, logout and token endpoints cannot require the authentication they grant:
/// reporting them would be noise. Decided on the last literal path segment and on the handler's
/// method name (`user.login`, `/api/sign-in`, `/oauth/:provider/callback`).
fn is_authentication_entry_point(path: &str, handler: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_'], "");
    let segment = path
        .split('/')
        .rev()
        .find(|s| !s.is_empty() && !s.starts_with(':') && !s.starts_with('('))
        .map(norm)
        .unwrap_or_default();
    let method = norm(handler.rsplit(['.', '#']).next().unwrap_or(handler));
    AUTH_ENTRY_WORDS
        .iter()
        .any(|w| segment == *w || method == *w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};

    fn app(router: &str) -> eggsec_app::AppModel {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("app/controller")).unwrap();
        std::fs::create_dir_all(d.join("app/middleware")).unwrap();
        std::fs::write(d.join("app/router.js"), router).unwrap();
        std::fs::write(d.join("app/controller/order.js"), "exports.create = async ctx => { ctx.body = 1; };\nexports.mine = async ctx => { if (!ctx.session.user) ctx.throw(401); };\n").unwrap();
        std::fs::write(d.join("app/middleware/gate.js"), "module.exports = () => async (ctx, next) => { if (!ctx.state.user) ctx.throw(401); await next(); };\n").unwrap();
        let mut app = test_model_in(d, serde_json::json!({}));
        let mut diags = Vec::new();
        app.code = eggsec_app::routes::code_model(d, &mut diags);
        app.routes = eggsec_app::routes::build_routes(
            &eggsec_app::routes::RouteInputs {
                root: d,
                config: &app.config,
                middleware: &app.middleware,
                plugins: &app.plugins,
            },
            &app.code,
        );
        app
    }

    #[test]
    fn hit_and_safe_look_alikes() {
        let hit = app(
            "module.exports = app => { app.router.post('/orders', app.controller.order.create); };",
        );
        assert_eq!(run_rule(&StateChangingRouteWithoutAuth, &hit).len(), 1);
        for safe in [
            "module.exports = app => { app.router.post('/orders', app.middleware.gate(), app.controller.order.create); };",
            "module.exports = app => { app.router.post('/orders', app.controller.order.mine); };",
            "module.exports = app => { app.router.get('/orders', app.controller.order.create); };",
            // Authentication entry points cannot require authentication.
            "module.exports = app => { app.router.post('/api/login', app.controller.order.create); };",
            "module.exports = app => { app.router.post('/auth/sign-up', app.controller.order.create); };",
        ] {
            assert!(run_rule(&StateChangingRouteWithoutAuth, &app(safe)).is_empty(), "{safe}");
        }
    }
}
