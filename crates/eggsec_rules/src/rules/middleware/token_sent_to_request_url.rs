//! `MW037` `token-sent-to-request-url`: a token or secret sent to a URL the request chose —
//! a redirect or an outbound call (issue 12 class 5).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct TokenSentToRequestUrl;

static META: RuleMeta = RuleMeta {
    code: "MW037",
    name: "token-sent-to-request-url",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Tokens and secrets go only to fixed or allow-listed URLs",
    docs: RuleDocs {
        what: r#"Finds a redirect (`ctx.redirect`, `ctx.unsafeRedirect`) or an outbound call (`ctx.curl`, `app.curl`, `ctx.httpclient`, axios, got, fetch...) whose URL comes from the request (`ctx.query.callback`, a body field, a tegg `@HTTPQuery()` parameter, followed through locals and into services) and that also carries a token or secret that is not the requester's own data: a `jwt.sign(...)` result, a local, member or option named like a token, secret, API key, password, session id or `Authorization` header (`?token=${token}`, `{ data: { secret } }`, `{ headers: { Authorization: ... } }`). `ctx.redirect` is not reported when `security.domainWhiteList` is set (egg-security then refuses other hosts). A URL with a fixed origin (`'https://app.example.com/cb?x=' + q`) or checked against an allow list (`ALLOWED.includes(url)`) is safe; a token the request itself sent (`ctx.get('authorization')` forwarded) is not a leak."#,
        why: r#"The attacker names their own server as the callback, webhook or return URL and receives the token: a session or access token lets them log in as the victim (one click on a crafted login link); an app secret or API key lets them sign requests as the app."#,
        bad: r#"const { returnTo } = ctx.query;
const token = app.jwt.sign({ id: user.id }, app.config.jwt.secret);
ctx.redirect(`${returnTo}?access_token=${token}`);

await ctx.curl(ctx.request.body.webhook, { data: { secret: app.config.webhookSecret } });"#,
        good: r#"// config/config.default.js
exports.security = { domainWhiteList: [ '.example.com' ] };

const back = ctx.query.returnTo;
if (!app.config.sso.callbacks.includes(back)) ctx.throw(400, 'unknown callback');
ctx.redirect(`${back}?code=${oneTimeCode}`);    // a short-lived code, exchanged server-side"#,
        fix: r#"Only send tokens to URLs you registered: compare the callback with an allow list (`config.sso.callbacks.includes(url)`) or `security.domainWhiteList`, keep webhooks' URLs in the database set by an admin, and hand out a one-time code to exchange server-side instead of the token itself."#,
    },
};

impl Rule for TokenSentToRequestUrl {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if app.code.files.is_empty() {
            cx.not_applicable();
            return;
        }
        // with a white list, egg-security's ctx.redirect sends foreign hosts to '/'
        let list_set = cx
            .app
            .config_at("security.domainWhiteList")
            .and_then(|v| v.as_list())
            .is_some_and(|l| !l.is_empty());
        for f in app
            .code
            .flows
            .iter()
            .filter(|f| f.flow.kind == SinkKind::SecretToRequestUrl)
            .filter(|f| !(list_set && f.flow.sink == "ctx.redirect"))
        {
            super::sql_built_from_request::report_flow(
                cx,
                f,
                "A token or secret is sent to a URL taken from the request",
                META.docs.fix,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule, test_model_in};

    #[test]
    fn hits() {
        for src in [
            "exports.l = async function (ctx) {\n  const { returnTo } = ctx.query;\n  const token = this.app.jwt.sign({ id: 1 }, this.app.config.jwt.secret);\n  ctx.redirect(`${returnTo}?access_token=${token}`);\n};",
            "exports.n = async function (ctx) {\n  const hook = ctx.request.body.webhook;\n  await ctx.curl(hook, { method: 'POST', data: { secret: this.app.config.webhookSecret } });\n};",
            "exports.p = async ctx => {\n  await ctx.curl(ctx.query.callback, { headers: { Authorization: `Bearer ${ctx.session.token}` } });\n};",
        ] {
            let f = run_rule(&TokenSentToRequestUrl, &model_with_controller(src));
            assert_eq!(f.len(), 1, "{src}");
            assert!(f[0].evidence[0].starts_with("source "), "{:?}", f[0].evidence);
        }
    }

    #[test]
    fn look_alikes_stay_quiet() {
        for src in [
            // allow-listed
            "const OK = [ 'https://a.example.com/cb' ];\nexports.l = async ctx => {\n  const back = ctx.query.back;\n  if (!OK.includes(back)) return;\n  ctx.redirect(back + '?token=' + ctx.session.token);\n};",
            // nothing secret sent
            "exports.p = async ctx => { const res = await ctx.curl(ctx.query.url, { data: { hello: 'world' } }); ctx.body = res.status; };",
            // fixed origin: the request picks only the path
            "exports.g = async ctx => { const token = ctx.session.token; ctx.redirect('https://app.example.com/' + encodeURIComponent(ctx.query.next) + '?token=' + token); };",
            // the requester's own token forwarded
            "exports.f = async ctx => { await ctx.curl(ctx.query.url, { headers: { authorization: ctx.get('authorization') } }); };",
            // a secret sent to a fixed URL
            "exports.h = async function (ctx) { await ctx.curl('https://hooks.example.com/x', { data: { secret: this.app.config.webhookSecret, q: ctx.query.q } }); };",
        ] {
            assert!(
                run_rule(&TokenSentToRequestUrl, &model_with_controller(src)).is_empty(),
                "{src}"
            );
        }
        // ctx.redirect with a domain white list: egg-security refuses other hosts
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::write(
            dir.path().join("app/controller/home.js"),
            "exports.l = async ctx => { ctx.redirect(ctx.query.back + '?token=' + ctx.session.token); };",
        )
        .unwrap();
        let mut app = test_model_in(
            dir.path(),
            serde_json::json!({"security": {"domainWhiteList": [".example.com"]}}),
        );
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        assert!(run_rule(&TokenSentToRequestUrl, &app).is_empty());
    }
}
