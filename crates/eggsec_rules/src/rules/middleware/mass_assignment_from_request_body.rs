//! `MW030` `mass-assignment-from-request-body`: a whole request object written into a record
//! (issue 12 class 2).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct MassAssignmentFromRequestBody;

static META: RuleMeta = RuleMeta {
    code: "MW030",
    name: "mass-assignment-from-request-body",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::Low,
    control: "Records are written from named, expected fields only",
    docs: RuleDocs {
        what: r#"Finds a whole request object — `ctx.request.body`, `ctx.query`, a tegg `@HTTPBody()` parameter, `{ ...body, userId }`, `Object.assign({}, body)` — written into a database record: sequelize `Model.create(body)` / `Model.update(body, { where })` / `record.update(body)` / `record.set(body)`, mongoose `Model.create(body)` / `new Model(body)` / `findByIdAndUpdate(id, body)` / `updateOne(filter, body)`, leoric `Model.update(where, body)`, egg-mysql `app.mysql.insert(table, body)` / `app.mysql.update(table, body)`, and `Object.assign(record, body)` on a record read from the database. It follows the body through locals and into services (`ctx.service.user.update(ctx.request.body)` → `this.ctx.model.User.update(data, ...)`). Not reported: named fields (`{ title, content }`, `body.title`), `_.pick(body, [...])`, a validator's result. `ctx.validate(rules)` does not make it safe: egg-validate checks the listed fields and lets every other field through. Confidence is low: eggsec cannot see which columns are privileged, so an admin-only configuration table written whole (every column is the form's) is reported too — on real apps about one finding in three was a real privilege or ownership field."#,
        why: r#"The caller chooses every column, not only the ones the form shows: `{"role": "admin"}`, `{"isAdmin": true}`, `{"userId": 1}` (take over another user's record), `{"top": true}`, `{"orgId": ...}` (move into another tenant), `{"balance": 1e9}`. With egg-mysql `update(table, body)` the body's own `id` even picks which row is changed."#,
        bad: r#"async update() {
  const { ctx } = this;
  const user = await ctx.model.User.findByPk(ctx.params.id);
  await user.update(ctx.request.body);          // body may carry role, isAdmin...
}"#,
        good: r#"async update() {
  const { ctx } = this;
  ctx.validate({ nickname: 'string', bio: { type: 'string', required: false } });
  const { nickname, bio } = ctx.request.body;   // only the fields the form edits
  const user = await ctx.model.User.findByPk(ctx.params.id);
  await user.update({ nickname, bio });
}"#,
        fix: r#"Write only named fields: destructure them (`const { title, content } = ctx.request.body`) or pick them (`ctx.helper.pick(body, [ 'title', 'content' ])`, lodash `pick`); set owner and role fields from `ctx.user`/the session, never from the body. For sequelize you can also pass `{ fields: [ 'title', 'content' ] }` to `create`/`update`; for mongoose, mark sensitive paths `immutable` or strip them in a schema validator with `additionalProperties: false`."#,
    },
};

impl Rule for MassAssignmentFromRequestBody {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::MassAssignment,
            "Mass assignment: a whole request object is written into a record (the caller sets every field, role and owner included)",
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};

    fn app(files: &[(&str, &str)], dep: &str) -> eggsec_app::AppModel {
        let dir = tempfile::tempdir().unwrap();
        for (path, src) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, src).unwrap();
        }
        let mut app = test_model_in(dir.path(), serde_json::json!({}));
        app.pkg = serde_json::json!({ "dependencies": { dep: "*" } });
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        app
    }

    fn controller(src: &str, dep: &str) -> Vec<eggsec_report::Finding> {
        run_rule(
            &MassAssignmentFromRequestBody,
            &app(&[("app/controller/home.js", src)], dep),
        )
    }

    #[test]
    fn hits() {
        for (src, dep) in [
            ("exports.u = async ctx => { await ctx.model.User.update(ctx.request.body, { where: { id: ctx.params.id } }); };", "egg-sequelize"),
            ("exports.u = async ctx => { const user = await ctx.model.User.findByPk(ctx.params.id); await user.update(ctx.request.body); };", "egg-sequelize"),
            ("exports.u = async ctx => { const user = await ctx.model.User.findByPk(ctx.params.id); Object.assign(user, ctx.request.body); await user.save(); };", "egg-sequelize"),
            ("exports.c = async ctx => { const body = ctx.request.body; ctx.body = await ctx.model.Post.create({ ...body, author: ctx.user.id }); };", "egg-mongoose"),
            ("exports.c = async ctx => { const data = Object.assign({}, ctx.request.body); await new ctx.model.Post(data).save(); };", "egg-mongoose"),
            ("exports.c = async ctx => { await ctx.model.Post.findByIdAndUpdate(ctx.params.id, ctx.request.body); };", "egg-mongoose"),
            ("exports.c = async ctx => { await ctx.app.mysql.update('users', ctx.request.body); };", "egg-mysql"),
        ] {
            let f = controller(src, dep);
            assert_eq!(f.len(), 1, "{src}");
            assert!(f[0].evidence[0].starts_with("source "), "{:?}", f[0].evidence);
        }
    }

    #[test]
    fn through_a_service() {
        let f = run_rule(
            &MassAssignmentFromRequestBody,
            &app(
                &[
                    ("app/controller/topic.js", "const { Controller } = require('egg');\nclass T extends Controller {\n  async create() {\n    this.ctx.body = await this.ctx.service.topic.add(this.ctx.request.body);\n  }\n}\nmodule.exports = T;\n"),
                    ("app/service/topic.js", "const { Service } = require('egg');\nclass S extends Service {\n  async add(payload) {\n    return this.ctx.model.Topic.create(payload);\n  }\n}\nmodule.exports = S;\n"),
                ],
                "egg-sequelize",
            ),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].evidence
                .iter()
                .any(|e| e.contains("app/controller/topic.js:4")),
            "{:?}",
            f[0].evidence
        );
    }

    #[test]
    fn look_alikes_stay_quiet() {
        for (src, dep) in [
            // named fields
            ("exports.u = async ctx => { const { nickname, bio } = ctx.request.body; await ctx.model.User.update({ nickname, bio }, { where: { id: ctx.user.id } }); };", "egg-sequelize"),
            ("exports.u = async ctx => { const b = ctx.request.body; await ctx.model.Post.create({ title: b.title, content: b.content }); };", "egg-sequelize"),
            // picked
            ("exports.u = async ctx => { const fields = ctx.helper.pick(ctx.request.body, [ 'title' ]); await ctx.model.Post.create(fields); };", "egg-sequelize"),
            // mongoose update: the body is the filter there (the nosql rule's), the update is fixed
            ("exports.u = async ctx => { await ctx.model.Post.updateOne({ _id: ctx.params.id }, { $set: { read: true } }); };", "egg-mongoose"),
            // Object.assign into a plain object that is not saved
            ("exports.u = async ctx => { const opts = Object.assign({ page: 1 }, ctx.query); ctx.body = opts; };", "egg-sequelize"),
            // mongoose: update's first argument is the filter (the nosql rules' business)
            ("exports.u = async ctx => { await ctx.model.User.update(ctx.request.body, { read: true }); };", "egg-mongoose"),
        ] {
            assert!(controller(src, dep).is_empty(), "{src}");
        }
    }
}
