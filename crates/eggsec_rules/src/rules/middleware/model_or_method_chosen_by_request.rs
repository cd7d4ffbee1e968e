//! `MW024` `model-or-method-chosen-by-request`: `ctx.model[x]`, `ctx.service[x]`, `this[x]()`
//! with `x` from the request.

use crate::util::report_mistakes;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::mistakes::MistakeKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct ModelOrMethodChosenByRequest;

static META: RuleMeta = RuleMeta {
    code: "MW024",
    name: "model-or-method-chosen-by-request",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Models, services and methods are never picked by a request value",
    docs: RuleDocs {
        what: r#"Finds computed member access on egg's loader objects or on the controller itself with a request value as the key: `ctx.model[ctx.query.model]`, `app.model[name]`, `ctx.service[name]`, `this.service[name]`, `this[ctx.params.action]()` (request data followed through locals in the same function and tegg `@HTTPQuery()`/`@HTTPBody()`/`@HTTPParam()` parameters), unless an allow-list test on the value surrounds it (`ALLOWED.includes(name)`, `map.has(name)`, `name in table`, `name === 'a'`)."#,
        why: r#"The request then chooses which table it reads or writes (every model, including users and tokens) or which method runs — private helpers, admin actions, `constructor` — with the arguments the handler passes. It turns one endpoint into access to all of them."#,
        bad: r#"async list() {
  const { ctx } = this;
  ctx.body = await ctx.model[ctx.query.model].findAll();
}"#,
        good: r#"const LISTABLE = { article: 'Article', tag: 'Tag' };
async list() {
  const { ctx } = this;
  const name = LISTABLE[ctx.query.model];
  if (!name) ctx.throw(400, 'unknown model');
  ctx.body = await ctx.model[name].findAll();
}"#,
        fix: r#"Map the request value through a fixed table of allowed models or actions and reject anything else (`ctx.throw(400)`), or check it against an allow-list before the lookup."#,
    },
};

impl Rule for ModelOrMethodChosenByRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        report_mistakes(cx, MistakeKind::DynamicDispatchFromRequest, |m| {
            format!(
                "A request value picks the model, service or method in {} (`{}`)",
                m.function, m.what
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hit_and_look_alikes() {
        let hit = "exports.list = async ctx => { ctx.body = await ctx.model[ctx.query.model].findAll(); };";
        assert_eq!(
            run_rule(&ModelOrMethodChosenByRequest, &model_with_controller(hit)).len(),
            1
        );
        for src in [
            "exports.list = async ctx => { ctx.body = await ctx.model['User'].findAll(); };",
            "const OK = ['User'];\nexports.list = async ctx => { const m = ctx.query.model; if (OK.includes(m)) ctx.body = await ctx.model[m].findAll(); };",
            "exports.list = async ctx => { const rows = [1, 2]; ctx.body = rows[ctx.query.i]; };",
        ] {
            assert!(run_rule(&ModelOrMethodChosenByRequest, &model_with_controller(src)).is_empty(), "{src}");
        }
    }
}
