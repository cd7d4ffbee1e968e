//! `ERR101` `catch-block-sends-error-details`: a catch block puts the caught error's message or stack into the response.

use crate::util::report_code_facts;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::CodeFactKind;
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
        report_code_facts(cx, CodeFactKind::ErrorInResponse, |what, function| {
            format!("The catch block sends {what} to the client in {function}")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hit_and_safe_look_alike() {
        assert_eq!(run_rule(&CatchBlockSendsErrorDetails, &model_with_controller(r#"exports.index = async ctx => { try { await x(); } catch (e) { ctx.body = { msg: e.message }; } };"#)).len(), 1);
        assert!(run_rule(&CatchBlockSendsErrorDetails, &model_with_controller(r#"exports.index = async ctx => { try { await x(); } catch (e) { ctx.status = e.status || 500; ctx.body = { msg: 'failed' }; } };"#)).is_empty());
        // details only in the development envs (eggsec's errors scaffold does this)
        assert!(run_rule(&CatchBlockSendsErrorDetails, &model_with_controller(r#"exports.index = async ctx => { try { await x(); } catch (e) { if (ctx.app.config.env === 'local' || ctx.app.config.env === 'unittest') { ctx.body = { stack: e.stack }; } else { ctx.body = { msg: 'failed' }; } } };"#)).is_empty());
        assert_eq!(run_rule(&CatchBlockSendsErrorDetails, &model_with_controller(r#"exports.index = async ctx => { try { await x(); } catch (e) { if (ctx.app.config.env !== 'local') { ctx.body = { stack: e.stack }; } } };"#)).len(), 1);
    }

    #[test]
    fn a_pattern_repeated_in_one_file_is_one_finding() {
        let src = (0..5)
            .map(|i| format!("exports.a{i} = async ctx => {{ try {{ await x(); }} catch (e) {{ ctx.body = {{ msg: e.message }}; }} }};\n"))
            .collect::<String>();
        let f = run_rule(&CatchBlockSendsErrorDetails, &model_with_controller(&src));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].evidence.len(), 5, "{:?}", f[0].evidence);
        assert!(f[0].message.contains("4 more times"), "{}", f[0].message);
    }
}
