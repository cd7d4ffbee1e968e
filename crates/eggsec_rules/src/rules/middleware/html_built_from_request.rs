//! `MW004` `html-built-from-request`: HTML built from request data.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct HtmlBuiltFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW004",
    name: "html-built-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "HTML responses escape request data",
    docs: RuleDocs {
        what: r#"Finds request data written into an HTML `ctx.body` (a template literal or concatenation with markup, or after `ctx.type = 'html'`) or used as the template of `ctx.renderString`, unless `ctx.helper.escape`/`shtml` cleaned it."#,
        why: r#"Reflected cross-site scripting: the attacker's script runs in the victim's session on your origin, reading data and acting as the user."#,
        bad: r#"ctx.body = `<h1>Hello ${ctx.query.name}</h1>`;"#,
        good: r#"ctx.body = `<h1>Hello ${ctx.helper.escape(ctx.query.name)}</h1>`;"#,
        fix: r#"Render through egg-view templates with autoescaping, or escape each value with `ctx.helper.escape` (`shtml` for rich text). Never pass request data as the template of `renderString`."#,
    },
};

impl Rule for HtmlBuiltFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Html,
            "HTML built from request data",
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_rule;

    #[test]
    fn hit_and_safe_look_alike() {
        let (hit, safe) =
            super::super::sql_built_from_request::tests::sample_apps("html-built-from-request");
        assert!(
            !run_rule(&HtmlBuiltFromRequest, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&HtmlBuiltFromRequest, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
