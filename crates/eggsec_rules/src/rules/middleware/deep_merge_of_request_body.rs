//! `MW010` `deep-merge-of-request-body`: Request body deep-merged into an object.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct DeepMergeOfRequestBody;

static META: RuleMeta = RuleMeta {
    code: "MW010",
    name: "deep-merge-of-request-body",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Request bodies are not deep-merged into objects",
    docs: RuleDocs {
        what: r#"Finds whole request objects deep-merged with `lodash.merge`/`defaultsDeep`, deepmerge, extend2, `extend(true, ...)` or a local recursive merge, and request data used as the path of `_.set`."#,
        why: r#"Prototype pollution: `{"__proto__": {"isAdmin": true}}` changes every object in the process — privilege escalation, crashes, or code execution through gadgets."#,
        bad: r#"const settings = _.merge({}, defaults, ctx.request.body);"#,
        good: r#"const { theme, language } = ctx.request.body;
const settings = { ...defaults, theme: String(theme), language: String(language) };"#,
        fix: r#"Copy only the expected fields, validate the body, or merge into `Object.create(null)` with a library that refuses `__proto__`/`constructor`."#,
    },
};

impl Rule for DeepMergeOfRequestBody {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::PrototypePollution,
            "Request body deep-merged into an object",
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
            super::super::sql_built_from_request::tests::sample_apps("deep-merge-of-request-body");
        assert!(
            !run_rule(&DeepMergeOfRequestBody, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&DeepMergeOfRequestBody, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
