//! `MW026` `nosql-filter-from-body-field`: one JSON body field used as a value in a mongo query
//! filter, where `{"$ne": null}` turns an equality test into "anything".

use crate::util::report_mistakes;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::mistakes::MistakeKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct NosqlFilterFromBodyField;

static META: RuleMeta = RuleMeta {
    code: "MW026",
    name: "nosql-filter-from-body-field",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Query filters get typed values, never raw JSON body fields",
    docs: RuleDocs {
        what: r#"In an app with mongoose or mongodb (egg-mongoose enabled, or the package in package.json), finds a mongo query (`find`, `findOne`, `findOneAndUpdate`, `updateOne`, `deleteOne`, `countDocuments`... on `ctx.model.X`, `app.model.X` or a capitalised model) whose filter object takes a value straight from one JSON body field — `ctx.request.body.x`, a local destructured from the body, a tegg `@HTTPBody()` parameter — in a function that does not call `ctx.validate(...)`. A value converted first (`String(x)`, `Number(x)`) or passed through a call (`md5(password)`) is a string and is not reported; query-string values (`ctx.query.x`) are strings in egg and are reported only when the app installs a nested query parser (`require('koa-qs')(app)`, or a `query` getter in `app/extend/request.js` built on `qs.parse`), which turns `?token[$ne]=1` into an object. The whole body as a filter is `mongo-query-from-request-object`."#,
        why: r#"egg's bodyParser turns JSON into objects, so a field can be `{"$ne": null}` or `{"$gt": ""}`: `findOne({ accessToken: token })` then finds the first user whatever the token — a login without credentials; `deleteOne({ _id: id })` deletes a record the request did not name."#,
        bad: r#"const token = ctx.request.body.accesstoken;
const user = await ctx.model.User.findOne({ accessToken: token });"#,
        good: r#"ctx.validate({ accesstoken: 'string' }); // egg-validate rejects objects
const user = await ctx.model.User.findOne({ accessToken: String(ctx.request.body.accesstoken) });
// or, for every query: mongoose.set('sanitizeFilter', true)"#,
        fix: r#"Type the field before it reaches the filter: `ctx.validate({ x: 'string' })`, `String(x)`, or a schema that rejects objects; or turn on mongoose's `sanitizeFilter` (`mongoose.set('sanitizeFilter', true)`, or `config.mongoose.client.options.sanitizeFilter = true`), which wraps operator objects in `$eq`."#,
    },
};

/// The app talks to MongoDB (egg-mongoose on, or mongoose/mongodb in package.json).
fn uses_mongo(app: &eggsec_app::AppModel) -> bool {
    app.plugin_enabled("mongoose")
        || ["dependencies", "devDependencies"].iter().any(|d| {
            app.pkg
                .get(d)
                .and_then(|v| v.as_object())
                .is_some_and(|deps| {
                    deps.keys()
                        .any(|k| k == "mongoose" || k == "mongodb" || k == "egg-mongoose")
                })
        })
}

/// `sanitizeFilter` set anywhere in the app's config makes mongoose wrap operator objects.
fn sanitize_filter_on(app: &eggsec_app::AppModel) -> bool {
    app.config_at("mongoose.client.options.sanitizeFilter")
        .and_then(|v| v.as_bool())
        == Some(true)
}

impl Rule for NosqlFilterFromBodyField {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        if !uses_mongo(cx.app) || sanitize_filter_on(cx.app) {
            cx.not_applicable();
            return;
        }
        report_mistakes(cx, MistakeKind::NosqlFilterFromBodyField, |m| {
            format!(
                "A JSON body field goes into a mongo query filter in {} (`{}`): an operator object such as {{\"$ne\": null}} matches any record",
                m.function, m.what
            )
        });
        // egg's ctx.query holds strings; a nested query parser makes `?x[$ne]=1` an object
        let nested = cx.app.code.files.iter().find_map(|f| {
            f.facts
                .mistakes
                .iter()
                .find(|m| m.kind == MistakeKind::NestedQueryParser)
                .map(|m| format!("{}:{}", f.rel, m.line))
        });
        if let Some(at) = nested {
            report_mistakes(cx, MistakeKind::NosqlFilterFromQueryField, |m| {
                format!(
                    "A query-string field goes into a mongo query filter in {} (`{}`), and the app parses query strings into objects ({at}): `?x[$ne]=1` matches any record",
                    m.function, m.what
                )
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    fn mongo(src: &str) -> eggsec_app::AppModel {
        let mut app = model_with_controller(src);
        app.pkg = serde_json::json!({ "dependencies": { "egg-mongoose": "^3" } });
        app
    }

    #[test]
    fn hit_and_look_alikes() {
        let hit = "exports.t = async ctx => { const token = ctx.request.body.accesstoken; ctx.body = await ctx.model.User.findOne({ accessToken: token }); };";
        let f = run_rule(&NosqlFilterFromBodyField, &mongo(hit));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence[0].starts_with("source "),
            "{:?}",
            f[0].evidence
        );
        // no mongo in the app: not applicable
        assert!(run_rule(&NosqlFilterFromBodyField, &model_with_controller(hit)).is_empty());
        for src in [
            "exports.t = async ctx => { const token = String(ctx.request.body.accesstoken); ctx.body = await ctx.model.User.findOne({ accessToken: token }); };",
            "exports.t = async ctx => { ctx.body = await ctx.model.User.findOne({ name: ctx.query.name }); };",
            "exports.t = async ctx => { ctx.validate({ email: 'email' }); ctx.body = await ctx.model.User.findOne({ email: ctx.request.body.email }); };",
            "exports.t = async ctx => { const { password } = ctx.request.body; ctx.body = await ctx.model.User.findOne({ pass: ctx.helper.md5(password) }); };",
        ] {
            assert!(run_rule(&NosqlFilterFromBodyField, &mongo(src)).is_empty(), "{src}");
        }
    }

    #[test]
    fn query_fields_only_under_a_nested_query_parser() {
        let qs = "const koaQs = require('koa-qs');\n";
        for src in [
            "exports.t = async ctx => { ctx.body = await ctx.model.User.findOne({ email: ctx.query.email }); };",
            "exports.t = async ctx => { const { code } = ctx.query; ctx.body = await ctx.model.Invite.findOne({ code }); };",
        ] {
            let f = run_rule(&NosqlFilterFromBodyField, &mongo(&format!("{qs}{src}")));
            assert_eq!(f.len(), 1, "{src}");
            assert!(f[0].evidence[0].starts_with("source "), "{:?}", f[0].evidence);
            // egg's own query parser gives strings
            assert!(run_rule(&NosqlFilterFromBodyField, &mongo(src)).is_empty(), "{src}");
        }
        for src in [
            "exports.t = async ctx => { ctx.body = await ctx.model.User.find({ name: String(ctx.query.name) }); };",
            "exports.t = async ctx => { ctx.body = await ctx.model.User.findOne({ _id: ctx.query.id }); };",
            "exports.t = async ctx => { ctx.body = await ctx.model.User.findOne({ q: ctx.querystring }); };",
        ] {
            assert!(run_rule(&NosqlFilterFromBodyField, &mongo(&format!("{qs}{src}"))).is_empty(), "{src}");
        }
    }
}
