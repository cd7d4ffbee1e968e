//! `MW008` `regexp-built-from-request`: RegExp built from request data.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct RegexpBuiltFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW008",
    name: "regexp-built-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Regular expressions are not built from request data",
    docs: RuleDocs {
        what: r#"Finds request data passed to `new RegExp(...)` / `RegExp(...)` unescaped."#,
        why: r#"A request-controlled pattern can take exponential time (ReDoS) and block the event loop for every user, or match more than intended."#,
        bad: r#"const re = new RegExp(ctx.query.q);"#,
        good: r#"const re = new RegExp(escapeStringRegexp(ctx.query.q));"#,
        fix: r#"Escape the value (`escape-string-regexp`, `lodash.escapeRegExp`) or use plain string search (`includes`)."#,
    },
};

impl Rule for RegexpBuiltFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Regex,
            "RegExp built from request data",
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
            super::super::sql_built_from_request::tests::sample_apps("regexp-built-from-request");
        assert!(
            !run_rule(&RegexpBuiltFromRequest, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&RegexpBuiltFromRequest, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
