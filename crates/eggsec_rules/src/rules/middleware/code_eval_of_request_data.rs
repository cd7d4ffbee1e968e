//! `MW003` `code-eval-of-request-data`: Request data evaluated as code.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CodeEvalOfRequestData;

static META: RuleMeta = RuleMeta {
    code: "MW003",
    name: "code-eval-of-request-data",
    strategy: Strategy::Middleware,
    severity: Severity::Critical,
    confidence: Confidence::High,
    control: "Request data is never evaluated as code",
    docs: RuleDocs {
        what: r#"Finds request data reaching `eval`, `new Function`, `vm.runInNewContext`/`runInThisContext`/`runInContext`, `new vm.Script` or string `setTimeout`."#,
        why: r#"Evaluating request data runs the attacker's JavaScript inside the app process: remote code execution. `vm` is not a security sandbox."#,
        bad: r#"const result = eval(ctx.query.expr);"#,
        good: r#"const result = evaluate(parseExpression(ctx.query.expr)); // a parser for the small language you need"#,
        fix: r#"Parse the input with a real parser for the small language you need (JSON.parse for data), or map names to functions from an allow-list."#,
    },
};

impl Rule for CodeEvalOfRequestData {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Eval,
            "Request data evaluated as code",
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
            super::super::sql_built_from_request::tests::sample_apps("code-eval-of-request-data");
        assert!(
            !run_rule(&CodeEvalOfRequestData, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&CodeEvalOfRequestData, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
