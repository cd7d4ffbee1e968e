//! `BLT101` `session-not-renewed-on-login`: a handler sets the session identity without renewing the session (session fixation).

use crate::util::report_code_facts;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::CodeFactKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SessionNotRenewedOnLogin;

static META: RuleMeta = RuleMeta {
    code: "BLT101",
    name: "session-not-renewed-on-login",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::Low,
    control: "The session is renewed when a user logs in",
    docs: RuleDocs {
        what: r#"Finds assignments of a user identity to a session field (`ctx.session.user = ...`, `userId`, `uid`...) in a function that neither replaces the session object (`ctx.session = null` / `ctx.session = { ... }`, which makes egg-session issue a new session) nor calls a regenerate/rotate function — in apps that keep sessions in an external store (`app.sessionStore` set in the app's code, or a session-store plugin such as egg-session-redis). With egg's default cookie sessions the rule passes: the whole session is the cookie's value, so the session written at login is a new cookie value and no earlier one becomes the user's."#,
        why: r#"With an external store, the cookie holds only the session's key, and egg-session keeps that key when the session's contents change: an attacker who planted or learned the pre-login key (a shared computer, a fixation link, an XSS-stolen cookie from before login) is logged in as the victim once the victim logs in."#,
        bad: r#"async login() {
  const user = await this.service.user.check(this.ctx.request.body);
  this.ctx.session.user = user;
}"#,
        good: r#"async login() {
  const user = await this.service.user.check(this.ctx.request.body);
  this.ctx.session = { user };   // a new session object
  this.ctx.rotateCsrfSecret();
}"#,
        fix: r#"Replace the session object at login (`ctx.session = { user }`, or `ctx.session = null` first) and call `ctx.rotateCsrfSecret()` so the pre-login session and CSRF token stop working."#,
    },
};

impl Rule for SessionNotRenewedOnLogin {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        if !external_session_store(cx) {
            if !cx.app.code.files.is_empty() {
                cx.fact(
                    "Sessions are kept in the cookie (no app.sessionStore, no session-store \
plugin): the session written at login is a new cookie value"
                        .to_string(),
                );
            }
            return;
        }
        report_code_facts(
            cx,
            CodeFactKind::SessionIdentityWithoutRenewal,
            |what, function| format!("{what} is set without renewing the session in {function}"),
        );
    }
}

/// Whether the app keeps sessions in an external store: a session-store plugin is enabled
/// (`egg-session-redis`, `@eggjs/session-redis`, `egg-session-mongo`…), or the app's code
/// (`app/`, `app.js`, local plugins) names `app.sessionStore`.
fn external_session_store(cx: &RuleContext<'_>) -> bool {
    let app = cx.app;
    let store_plugin = app.plugins.iter().any(|p| {
        p.enabled
            && p.package.as_deref().is_some_and(|pkg| {
                let name = pkg.rsplit('/').next().unwrap_or(pkg);
                name.starts_with("egg-session-")
                    || (pkg.starts_with("@eggjs/") && name.starts_with("session-"))
            })
    });
    store_plugin
        || cx
            .cache()
            .find_in_app_code(app, &["sessionStore"])
            .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule, test_model_in};

    /// The model of an app with `login` as `app/controller/home.js` and, when `store`, an
    /// `app.js` that sets `app.sessionStore` (the files stay while the tempdir lives).
    fn app_with(login: &str, store: bool) -> (tempfile::TempDir, eggsec_app::AppModel) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("app/controller")).unwrap();
        std::fs::write(dir.join("app/controller/home.js"), login).unwrap();
        if store {
            std::fs::write(
                dir.join("app.js"),
                "module.exports = app => {\n  app.sessionStore = {\n    async get(key) { return app.redis.get(key); },\n    async set(key, value) { await app.redis.set(key, JSON.stringify(value)); },\n    async destroy(key) { await app.redis.del(key); },\n  };\n};\n",
            )
            .unwrap();
        }
        let mut app = test_model_in(dir, serde_json::json!({}));
        app.code = eggsec_app::routes::code_model(dir, &mut Vec::new());
        (tmp, app)
    }

    const LOGIN: &str =
        r#"exports.login = async ctx => { ctx.session.user = await ctx.service.user.check(); };"#;

    #[test]
    fn hit_and_safe_look_alike() {
        let (_t, app) = app_with(LOGIN, true);
        assert_eq!(run_rule(&SessionNotRenewedOnLogin, &app).len(), 1);
        let (_t, app) = app_with(
            r#"exports.login = async ctx => { const user = await ctx.service.user.check(); ctx.session = { user }; };"#,
            true,
        );
        assert!(run_rule(&SessionNotRenewedOnLogin, &app).is_empty());
    }

    #[test]
    fn cookie_sessions_cannot_be_fixed() {
        // DoraCMS: egg's default cookie sessions; the session set at login is a new cookie
        let (_t, app) = app_with(LOGIN, false);
        assert!(run_rule(&SessionNotRenewedOnLogin, &app).is_empty());
        assert!(run_rule(&SessionNotRenewedOnLogin, &model_with_controller(LOGIN)).is_empty());
        // a session-store plugin is a store too
        let (_t, mut app) = app_with(LOGIN, false);
        crate::testing::set_plugin(&mut app, "session-redis", true);
        assert_eq!(run_rule(&SessionNotRenewedOnLogin, &app).len(), 1);
    }
}
