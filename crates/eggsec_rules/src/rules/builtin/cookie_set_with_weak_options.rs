//! `BLT102` `cookie-set-with-weak-options`: `ctx.cookies.set` with `httpOnly: false`, `signed: false` or `sameSite: 'none'` without `secure`.

use crate::util::report_code_facts;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::CodeFactKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CookieSetWithWeakOptions;

static META: RuleMeta = RuleMeta {
    code: "BLT102",
    name: "cookie-set-with-weak-options",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Cookies set in code keep egg's httpOnly, signed and sameSite protections",
    docs: RuleDocs {
        what: r#"Finds `ctx.cookies.set(name, value, options)` calls whose options turn off `httpOnly` or `signed`, or set `sameSite: 'none'` without `secure: true`."#,
        why: r#"`httpOnly: false` lets any injected script read the cookie; `signed: false` lets the client change it undetected; `sameSite: 'none'` sends it on cross-site requests (CSRF) and browsers drop it without `secure`."#,
        bad: r#"ctx.cookies.set('uid', user.id, { httpOnly: false, signed: false });"#,
        good: r#"ctx.cookies.set('uid', user.id, { httpOnly: true, signed: true, sameSite: 'lax' });"#,
        fix: r#"Keep egg's defaults (`httpOnly: true`, `signed: true`) and use `sameSite: 'lax'` or `'strict'`; when a cookie must be cross-site, set `secure: true` with `sameSite: 'none'`."#,
    },
};

impl Rule for CookieSetWithWeakOptions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        report_code_facts(cx, CodeFactKind::CookieWeakOptions, |what, function| {
            format!("A cookie is set with {what} in {function}")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hit_and_safe_look_alike() {
        assert_eq!(run_rule(&CookieSetWithWeakOptions, &model_with_controller(r#"exports.a = async ctx => { ctx.cookies.set('a', '1', { httpOnly: false }); };"#)).len(), 1);
        assert!(run_rule(&CookieSetWithWeakOptions, &model_with_controller(r#"exports.a = async ctx => { ctx.cookies.set('a', '1', { httpOnly: true, sameSite: 'none', secure: true }); };"#)).is_empty());
    }
}
