//! `MW012` `middleware-input-not-validated`: custom middleware hands request data on as if it
//! had been checked — stored on the context, echoed into a response header, or a URL with its
//! query string matched by substring — and validates none of it.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::routes::FileRole;
use eggsec_js::Provenance;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct MiddlewareInputNotValidated;

static META: RuleMeta = RuleMeta {
    code: "MW012",
    name: "middleware-input-not-validated",
    strategy: Strategy::Middleware,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "Custom middleware validates the request input it hands on",
    docs: RuleDocs {
        what: r#"Finds functions in `app/middleware/` that use request data as if it had been checked, in a function that validates nothing (`ctx.validate`, a schema `validate`/`parse`, a validator guard): a value stored on the context for the handlers after it (`ctx.tenant = ctx.get('x-tenant')`, `ctx.state.x`, `ctx.session.x`), a value echoed into a response header (`ctx.set('Access-Control-Allow-Origin', ctx.get('origin'))`), or a URL that carries its query string (`ctx.url`, `ctx.originalUrl`, `ctx.href`) matched by substring against a route (`ctx.originalUrl.indexOf(item) >= 0`, `ctx.url.includes('/login')`). Input a middleware only compares, looks up, verifies or logs is not reported; a prefix test (`indexOf(x) === 0`) is not a substring match. One finding per file, every place in its evidence."#,
        why: r#"Middleware runs before every matched route, so what it hands on unchecked (a tenant header, a locale, an origin) reaches every handler, and what it lets through decides for all of them. An Origin reflected into `Access-Control-Allow-Origin` with credentials lets any site read the user's responses; a whitelist matched by substring of the URL lets `/admin/users?x=/login` through as if it were `/login`. Validating at the edge is the seed's first recommendation for custom middleware."#,
        bad: r#"module.exports = () => async (ctx, next) => {
  ctx.tenant = ctx.get('x-tenant');
  if (WHITELIST.some(p => ctx.originalUrl.indexOf(p) >= 0)) return next();
  await next();
};"#,
        good: r#"module.exports = () => async (ctx, next) => {
  ctx.validate({ 'x-tenant': { type: 'string', format: /^[a-z0-9-]{1,32}$/ } }, ctx.headers);
  ctx.tenant = ctx.get('x-tenant');
  if (WHITELIST.includes(ctx.path)) return next();
  await next();
};"#,
        fix: r#"Validate what the middleware hands on (egg-validate's `ctx.validate(rule, data)`, or a schema library) before storing or echoing it; check an origin against an allow-list; compare routes with `ctx.path` (no query string) exactly or by prefix."#,
    },
};

impl Rule for MiddlewareInputNotValidated {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let files: Vec<_> = app
            .code
            .files
            .iter()
            .filter(|f| f.role == FileRole::Middleware)
            .collect();
        if files.is_empty() {
            cx.not_applicable();
            return;
        }
        for file in files {
            let mut places: Vec<&(u32, u32, String)> = file
                .facts
                .functions
                .iter()
                .filter(|f| !f.validates)
                .flat_map(|f| &f.trusts_input)
                .collect();
            places.sort();
            places.dedup();
            let Some(&&(line, column, ref what)) = places.first() else {
                continue;
            };
            let prov = Provenance::new(file.abs.to_string_lossy().into_owned(), line, column);
            let evidence: Vec<String> = places
                .iter()
                .map(|(l, _, w)| format!("{}:{l}: {w}", file.rel))
                .collect();
            // one finding per middleware file: its places are evidence
            cx.report(
                &prov,
                format!("Middleware {} {what}", file.rel),
                evidence,
                META.docs.fix,
            )
            .set_identity("middleware trusts its input");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};

    fn app(src: &str) -> eggsec_app::AppModel {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/middleware")).unwrap();
        std::fs::write(dir.path().join("app/middleware/tenant.js"), src).unwrap();
        let mut app = test_model_in(dir.path(), serde_json::json!({}));
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        app
    }

    fn messages(src: &str) -> Vec<String> {
        run_rule(&MiddlewareInputNotValidated, &app(src))
            .into_iter()
            .map(|f| format!("{} @{}", f.message, f.location))
            .collect()
    }

    /// `src` gives exactly one finding, whose message says `says` at line `line`.
    fn assert_one(src: &str, says: &str, line: u32) {
        let m = messages(src);
        assert!(
            m.len() == 1 && m[0].contains(says) && m[0].contains(&format!(":{line}:")),
            "{m:?}"
        );
    }

    #[test]
    fn hit_stored_echoed_and_matched_by_substring() {
        let stored = "module.exports = () => async (ctx, next) => {\n  ctx.tenant = ctx.get('x-tenant');\n  await next();\n};\n";
        assert_one(stored, "stores request data on `ctx.tenant`", 2);
        for target in ["ctx.state.lang", "ctx.session.locale"] {
            let src = format!("module.exports = () => async (ctx, next) => {{ {target} = ctx.query.lang; await next(); }};");
            assert_eq!(messages(&src).len(), 1, "{target}");
        }
        // macaca-datahub: the Origin reflected with credentials
        let cors = "module.exports = () => async function cors(ctx, next) {\n  const origin = ctx.get('origin');\n  if (!origin) return await next();\n  ctx.set('Access-Control-Allow-Origin', origin);\n  ctx.set('Access-Control-Allow-Credentials', 'true');\n  await next();\n};\n";
        assert_one(cors, "`Access-Control-Allow-Origin` response header", 4);
        // DoraCMS: a whitelist matched anywhere in the URL, query string included
        let substring = "const _ = require('lodash');\nconst list = ['/admin/login'];\nmodule.exports = () => async function auth(ctx, next) {\n  const ok = _.filter(list, item => {\n    return ctx.originalUrl.indexOf(item) >= 0;\n  });\n  if (ok.length) return next();\n  ctx.status = 401;\n};\n";
        assert_one(substring, "matches `ctx.originalUrl` by substring", 5);
        let includes = "module.exports = () => async (ctx, next) => { if (ctx.url.includes('/login')) return next(); ctx.throw(401); };";
        assert_eq!(messages(includes).len(), 1);
    }

    #[test]
    fn no_hit_when_checked_compared_logged_or_still_request_data() {
        for safe in [
            // validated, or handed to a check first
            "module.exports = () => async (ctx, next) => { ctx.validate({ t: 'int' }, ctx.query); ctx.tenant = ctx.query.t; await next(); };",
            "module.exports = () => async (ctx, next) => { const origin = ctx.get('origin'); if (!isAllowedOrigin(origin)) return next(); ctx.set('Access-Control-Allow-Origin', origin); await next(); };",
            "module.exports = (o, app) => async (ctx, next) => { const token = ctx.get('authorization'); const decoded = await app.jwt.verify(token, app.config.jwt.secret); ctx.state.user = decoded; await next(); };",
            "module.exports = () => async (ctx, next) => { const t = ctx.query.token; if (await authToken.checkToken(t)) { ctx.session.token = t; } await next(); };",
            // a prefix test, a syntax test, the path without its query string, a fixed origin
            "module.exports = () => async (ctx, next) => { if (ctx.originalUrl.indexOf('/admin/') === 0) return ctx.redirect('/login'); await next(); };",
            "module.exports = () => async (ctx, next) => { if (ctx.url.indexOf('?') > -1) ctx.status = 400; await next(); };",
            "module.exports = () => async (ctx, next) => { if (ctx.path.includes('/public')) return next(); ctx.throw(401); };",
            "module.exports = () => async (ctx, next) => { ctx.set('Access-Control-Allow-Origin', 'https://app.example.com'); await next(); };",
            // only logged or compared; the request's own body re-parsed
            "module.exports = () => async (ctx, next) => { ctx.logger.info('%s %s', ctx.method, ctx.url); await next(); };",
            "module.exports = () => async (ctx, next) => { const ua = ctx.get('user-agent'); if (BOTS.some(re => re.test(ua))) { ctx.status = 403; return; } await next(); };",
            "module.exports = () => async (ctx, next) => { ctx.request.body = JSON.parse(ctx.request.body.body); await next(); };",
        ] {
            assert!(messages(safe).is_empty(), "{safe}: {:?}", messages(safe));
        }
    }
}
