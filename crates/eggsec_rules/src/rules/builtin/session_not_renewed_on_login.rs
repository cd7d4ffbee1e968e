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
        report_code_facts(
            cx,
            CodeFactKind::SessionIdentityWithoutRenewal,
            |what, function| format!("{what} is set without renewing the session in {function}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hit_and_safe_look_alike() {
        assert_eq!(run_rule(&SessionNotRenewedOnLogin, &model_with_controller(r#"exports.login = async ctx => { ctx.session.user = await ctx.service.user.check(); };"#)).len(), 1);
        assert!(run_rule(&SessionNotRenewedOnLogin, &model_with_controller(r#"exports.login = async ctx => { const user = await ctx.service.user.check(); ctx.session = { user }; };"#)).is_empty());
    }
}
