//! `LOG101` `sensitive-data-logged`: a logger or console call is given a password, token, secret or a whole request object.

use crate::util::report_code_facts;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::CodeFactKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SensitiveDataLogged;

static META: RuleMeta = RuleMeta {
    code: "LOG101",
    name: "sensitive-data-logged",
    strategy: Strategy::Logging,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Loggers never receive passwords, tokens or whole request bodies",
    docs: RuleDocs {
        what: r#"Finds `ctx.logger`/`app.logger`/`this.logger`/`console` calls whose arguments name a password, token, secret, API key or authorization value (a variable, property or object key), or pass a whole request object (`ctx.request.body`, `ctx.headers`)."#,
        why: r#"Log files are kept for months, copied to log platforms and read by many people; a password or token in them is a credential leak, and whole bodies carry passwords and personal data."#,
        bad: r#"ctx.logger.info('login %j', ctx.request.body);
app.logger.debug('token=%s', token);"#,
        good: r#"ctx.logger.info('login attempt for user %s', ctx.request.body.username);"#,
        fix: r#"Log identifiers (user id, request id), never credentials or whole bodies; if a structure must be logged, pick its fields or redact the sensitive ones first."#,
    },
};

impl Rule for SensitiveDataLogged {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        report_code_facts(cx, CodeFactKind::SensitiveDataLogged, |what, function| {
            format!("A log call receives {what} in {function}")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hit_and_safe_look_alike() {
        assert_eq!(run_rule(&SensitiveDataLogged, &model_with_controller(r#"exports.login = async ctx => { const { password } = ctx.request.body; ctx.logger.info('pw %s', password); };"#)).len(), 1);
        assert!(run_rule(&SensitiveDataLogged, &model_with_controller(r#"exports.login = async ctx => { ctx.logger.info('wrong password for %s', ctx.request.body.username); };"#)).is_empty());
    }
}
