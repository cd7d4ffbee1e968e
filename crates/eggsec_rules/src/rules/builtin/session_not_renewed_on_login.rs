//! `BLT101` `session-not-renewed-on-login`: a handler sets the session identity without renewing the session (session fixation).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::CodeFactKind;
use eggsec_js::Provenance;
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
        what: r#"Finds assignments of a user identity to a session field (`ctx.session.user = ...`, `userId`, `uid`...) in a function that neither replaces the session object (`ctx.session = null` / `ctx.session = { ... }`, which makes egg-session issue a new session) nor calls a regenerate/rotate function."#,
        why: r#"If the session survives login unchanged, an attacker who planted or learned the pre-login session (a shared computer, a fixation link, an XSS-stolen cookie from before login) is logged in as the victim once the victim logs in."#,
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
        let app = cx.app;
        if app.code.files.is_empty() {
            cx.not_applicable();
            return;
        }
        for file in &app.code.files {
            for f in file
                .facts
                .code
                .iter()
                .filter(|f| f.kind == CodeFactKind::SessionIdentityWithoutRenewal)
            {
                let prov =
                    Provenance::new(file.abs.to_string_lossy().into_owned(), f.line, f.column);
                cx.report(
                    &prov,
                    format!(
                        "{} is set without renewing the session in {}",
                        f.what, f.function
                    ),
                    vec![format!("{}:{}: {}", file.rel, f.line, f.what)],
                    META.docs.fix,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};

    fn app(src: &str) -> eggsec_app::AppModel {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::write(dir.path().join("app/controller/home.js"), src).unwrap();
        let mut app = test_model_in(dir.path(), serde_json::json!({}));
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        app
    }

    #[test]
    fn hit_and_safe_look_alike() {
        assert_eq!(run_rule(&SessionNotRenewedOnLogin, &app(r#"exports.login = async ctx => { ctx.session.user = await ctx.service.user.check(); };"#)).len(), 1);
        assert!(run_rule(&SessionNotRenewedOnLogin, &app(r#"exports.login = async ctx => { const user = await ctx.service.user.check(); ctx.session = { user }; };"#)).is_empty());
    }
}
