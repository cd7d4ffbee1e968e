//! `MW006` `open-redirect-from-request`: request data decides where the user is redirected.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct OpenRedirectFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW006",
    name: "open-redirect-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Redirect targets are checked against a domain white list",
    docs: RuleDocs {
        what: r#"Finds request data used as the target of `ctx.unsafeRedirect` (always), and of `ctx.redirect` when `config.security.domainWhiteList` is empty — egg-security then lets any absolute URL through. Safe: a target that starts with a path (`'/topic/' + id`, never `//`) — and, for `ctx.redirect` behind egg-security on egg 2 and later, any target that starts with a literal `/` (`'/' + name`: egg-security turns `//…` and `/\…` into `/` and koa percent-encodes the rest; not with the security plugin off or on egg 1) — a fixed origin (`'https://host/search?q=' + q`), `encodeURIComponent(x)`, `path.join(ctx.path, x)`, an allow-list check (`ALLOWED.includes(t) ? t : '/'`, `if (!ALLOWED.has(t)) return`) and values read from the database."#,
        why: r#"An open redirect on your domain makes phishing links look trustworthy (`https://shop.example/login?next=https://evil.example`) and can leak OAuth codes and tokens to the attacker's site."#,
        bad: r#"ctx.redirect(ctx.query.next);      // with security.domainWhiteList = []
ctx.unsafeRedirect(ctx.query.next);"#,
        good: r#"// config/config.default.js
exports.security = { domainWhiteList: [ '.shop.example' ] };
// controller
ctx.redirect(ctx.query.next);      // egg-security sends foreign hosts to '/'"#,
        fix: r#"Set `config.security.domainWhiteList` to your own domains so `ctx.redirect` refuses other hosts, never pass request data to `ctx.unsafeRedirect`, or map a short name to a fixed path."#,
    },
};

impl Rule for OpenRedirectFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let list_empty = match cx.app.config_at("security.domainWhiteList") {
            None => true,
            Some(v) => v.as_list().is_some_and(|l| l.is_empty()),
        };
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::UnsafeRedirect,
            "Open redirect (ctx.unsafeRedirect) to a request-controlled URL",
            META.docs.fix,
        );
        if list_empty {
            super::sql_built_from_request::report_flows(
                cx,
                SinkKind::Redirect,
                "Open redirect: security.domainWhiteList is empty and the target comes from the request",
                META.docs.fix,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};

    fn app(src: &str, white_list: serde_json::Value) -> eggsec_app::AppModel {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::write(dir.path().join("app/controller/home.js"), src).unwrap();
        let mut app = test_model_in(
            dir.path(),
            serde_json::json!({"security": {"domainWhiteList": white_list}}),
        );
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        app
    }

    #[test]
    fn hit_and_safe_look_alike() {
        let redirect = "exports.a = async ctx => { ctx.redirect(ctx.query.next); };";
        let unsafe_redirect = "exports.a = async ctx => { ctx.unsafeRedirect(ctx.query.next); };";
        assert_eq!(
            run_rule(
                &OpenRedirectFromRequest,
                &app(redirect, serde_json::json!([]))
            )
            .len(),
            1
        );
        assert!(run_rule(
            &OpenRedirectFromRequest,
            &app(redirect, serde_json::json!([".a.com"]))
        )
        .is_empty());
        assert_eq!(
            run_rule(
                &OpenRedirectFromRequest,
                &app(unsafe_redirect, serde_json::json!([".a.com"]))
            )
            .len(),
            1
        );
        let fixed = "exports.a = async ctx => { ctx.redirect('/home'); };";
        assert!(run_rule(&OpenRedirectFromRequest, &app(fixed, serde_json::json!([]))).is_empty());
    }

    /// egg-security's redirect (egg 2+) turns `//…` and `/\…` into `/`: a target that starts
    /// with a literal `/` stays on the site (checked against real egg by `redirect_oracle.rs`),
    /// unless the security plugin is off or egg is 1 — and `unsafeRedirect` never checks.
    #[test]
    fn a_leading_slash_is_safe_only_behind_egg_security() {
        let slash = "exports.a = async ctx => { ctx.redirect(`/${ctx.query.name}/files`); };";
        let raw = "exports.a = async ctx => { ctx.unsafeRedirect('/' + ctx.query.name); };";
        let empty = serde_json::json!([]);
        assert!(run_rule(&OpenRedirectFromRequest, &app(slash, empty.clone())).is_empty());
        assert_eq!(
            run_rule(&OpenRedirectFromRequest, &app(raw, empty.clone())).len(),
            1
        );
        let mut off = app(slash, empty.clone());
        for p in off.plugins.iter_mut().filter(|p| p.name == "security") {
            p.enabled = false;
        }
        assert_eq!(run_rule(&OpenRedirectFromRequest, &off).len(), 1);
        let mut egg1 = app(slash, empty);
        egg1.egg_major = Some(1);
        assert_eq!(run_rule(&OpenRedirectFromRequest, &egg1).len(), 1);
    }
}
