//! `ERR101` `catch-block-sends-error-details`: a catch block puts the caught error's message or stack into the response.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::CodeFactKind;
use eggsec_js::Provenance;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct CatchBlockSendsErrorDetails;

static META: RuleMeta = RuleMeta {
    code: "ERR101",
    name: "catch-block-sends-error-details",
    strategy: Strategy::Errors,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Catch blocks send generic error messages",
    docs: RuleDocs {
        what: r#"Finds `catch (err)` blocks in controllers, services and middleware that assign `err`, `err.message` or `err.stack` (or a value built from them) to `ctx.body`, unless the code checks `err.expose`."#,
        why: r#"Error messages and stacks reveal SQL statements, file paths, library versions and internal hostnames, and sometimes secrets from connection strings: the map for the next attack."#,
        bad: r#"try {
  await this.service.order.create(body);
} catch (err) {
  ctx.status = 500;
  ctx.body = { error: err.message, stack: err.stack };
}"#,
        good: r#"try {
  await this.service.order.create(body);
} catch (err) {
  ctx.logger.error(err);
  ctx.status = 500;
  ctx.body = { error: 'Internal Server Error' };
}"#,
        fix: r#"Log the error (`ctx.logger.error(err)`) and send a generic message; send `err.message` only for errors marked safe to show (`err.expose`, set by `ctx.throw(4xx)`), or rethrow and let egg-onerror answer."#,
    },
};

impl Rule for CatchBlockSendsErrorDetails {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if app.code.files.is_empty() {
            cx.not_applicable();
            return;
        }
        for file in &app.code.files {
            for f in file
                .facts
                .code
                .iter()
                .filter(|f| f.kind == CodeFactKind::ErrorInResponse)
            {
                let prov =
                    Provenance::new(file.abs.to_string_lossy().into_owned(), f.line, f.column);
                cx.report(
                    &prov,
                    format!(
                        "The catch block sends {} to the client in {}",
                        f.what, f.function
                    ),
                    vec![format!("{}:{}: {}", file.rel, f.line, f.what)],
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
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::write(dir.path().join("app/controller/home.js"), src).unwrap();
        let mut app = test_model_in(dir.path(), serde_json::json!({}));
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        app
    }

    #[test]
    fn hit_and_safe_look_alike() {
        assert_eq!(run_rule(&CatchBlockSendsErrorDetails, &app(r#"exports.index = async ctx => { try { await x(); } catch (e) { ctx.body = { msg: e.message }; } };"#)).len(), 1);
        assert!(run_rule(&CatchBlockSendsErrorDetails, &app(r#"exports.index = async ctx => { try { await x(); } catch (e) { ctx.status = e.status || 500; ctx.body = { msg: 'failed' }; } };"#)).is_empty());
    }
}
