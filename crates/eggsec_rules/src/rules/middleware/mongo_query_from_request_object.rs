//! `MW009` `mongo-query-from-request-object`: Mongo query from a whole request object.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct MongoQueryFromRequestObject;

static META: RuleMeta = RuleMeta {
    code: "MW009",
    name: "mongo-query-from-request-object",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Mongo queries are built from chosen, typed fields",
    docs: RuleDocs {
        what: r#"Finds whole request objects (`ctx.request.body`, `ctx.query`; not `ctx.params`, whose keys the route pattern fixes and whose values are strings) passed as mongo/mongoose filters (`find`, `findOne`, `updateOne`, `deleteMany`...), directly or as a field of the filter — only when the model layer is mongoose/mongodb: `ctx.model.X.find` is a mongo query under egg-mongoose, a Sequelize call under egg-sequelize (typed from the app's enabled plugins)."#,
        why: r#"Operator injection: a JSON body `{"password": {"$ne": null}}` logs in without a password; `$where` runs JavaScript on the database."#,
        bad: r#"const user = await ctx.model.User.findOne(ctx.request.body);"#,
        good: r#"const { name, password } = ctx.request.body;
const user = await ctx.model.User.findOne({ name: String(name) });"#,
        fix: r#"Pick the fields you expect and convert them to strings or numbers; validate the body with `ctx.validate`; enable mongoose `sanitizeFilter`."#,
    },
};

impl Rule for MongoQueryFromRequestObject {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::NosqlOperator,
            "Mongo query from a whole request object",
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_rule;

    /// The router's named parameters are strings under keys the route pattern fixes: no
    /// operator object (held-out monitoring_api: `handleUpdateOne(user_id || ctx.params)`); the
    /// query string and the body stay whole objects.
    #[test]
    fn route_parameters_are_not_an_operator_object() {
        use super::super::sql_built_from_request::tests::app_with;
        let run = |src: &str| run_rule(&MongoQueryFromRequestObject, &app_with(src)).len();
        assert_eq!(run("await ctx.model.User.findOne(ctx.params);"), 0);
        assert_eq!(run("await ctx.model.User.findOne(ctx.query);"), 1);
        assert_eq!(run("await ctx.model.User.findOne(ctx.request.body);"), 1);
    }

    #[test]
    fn hit_and_safe_look_alike() {
        let (hit, safe) = super::super::sql_built_from_request::tests::sample_apps(
            "mongo-query-from-request-object",
        );
        assert!(
            !run_rule(&MongoQueryFromRequestObject, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&MongoQueryFromRequestObject, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
