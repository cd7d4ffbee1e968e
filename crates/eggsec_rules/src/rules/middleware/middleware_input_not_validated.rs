//! `MW012` `middleware-input-not-validated`: custom middleware reads request input and
//! validates none of it (info, for the posture report).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::routes::FileRole;
use eggsec_js::Provenance;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct MiddlewareInputNotValidated;

static META: RuleMeta = RuleMeta {
    code: "MW012",
    name: "middleware-input-not-validated",
    strategy: Strategy::Middleware,
    severity: Severity::Info,
    confidence: Confidence::Low,
    control: "Custom middleware validates the request input it reads",
    docs: RuleDocs {
        what: r#"Lists functions in `app/middleware/` that read request input (query, body, params, headers, cookies) and call no validation (`ctx.validate`, a schema `validate`/`parse`)."#,
        why: r#"Middleware runs before every matched route, so input it trusts unchecked (a tenant header, a locale, a token format) reaches every handler. Validating at the edge is the seed's first recommendation for custom middleware."#,
        bad: r#"module.exports = () => async (ctx, next) => {
  ctx.tenant = ctx.get('x-tenant');
  await next();
};"#,
        good: r#"module.exports = () => async (ctx, next) => {
  ctx.validate({ 'x-tenant': { type: 'string', format: /^[a-z0-9-]{1,32}$/ } }, ctx.headers);
  ctx.tenant = ctx.get('x-tenant');
  await next();
};"#,
        fix: r#"Validate what the middleware reads (egg-validate's `ctx.validate(rule, data)`, or a schema library) before using it."#,
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
            if file.facts.functions.iter().any(|f| f.validates) {
                continue;
            }
            if let Some(f) = file.facts.functions.iter().find(|f| f.reads_input) {
                let prov =
                    Provenance::new(file.abs.to_string_lossy().into_owned(), f.line, f.column);
                cx.report(
                    &prov,
                    format!(
                        "Middleware {} reads request input without validating it",
                        file.rel
                    ),
                    vec![format!(
                        "{}:{}: reads request input, no validation call",
                        file.rel, f.line
                    )],
                    META.docs.fix,
                );
            }
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

    #[test]
    fn hit_and_safe_look_alike() {
        let hit = "module.exports = () => async (ctx, next) => { ctx.tenant = ctx.get('x-tenant'); await next(); };";
        let safe = "module.exports = () => async (ctx, next) => { ctx.validate({ t: 'int' }, ctx.query); ctx.tenant = ctx.query.t; await next(); };";
        assert_eq!(run_rule(&MiddlewareInputNotValidated, &app(hit)).len(), 1);
        assert!(run_rule(&MiddlewareInputNotValidated, &app(safe)).is_empty());
    }
}
