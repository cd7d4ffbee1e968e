//! `MW005` `file-path-from-request`: File path built from request data.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct FilePathFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW005",
    name: "file-path-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "File paths are never built from request data",
    docs: RuleDocs {
        what: r#"Finds request data reaching `fs`/`fs-extra` read/write/delete calls or koa-send (the sinks of `crates/eggsec_js/models/fs.toml`), resolved by what the callee is, not its name. Safe: `path.basename`/`path.extname` (a server-made stem plus the upload's extension), egg-multipart's temp file (`file.filepath`) and busboy's basename of an upload's `filename`, a name checked first by a guard that rejects `..` (`if (name.includes('..')) ctx.throw(400)`) or by a validator (`if (!isSafeName(name)) return`). `ctx.attachment(name)` only sets a Content-Disposition header and is not a sink."#,
        why: r#"Path traversal (`../../config/config.prod.js`) lets an attacker read secrets and source code, or overwrite and delete files the app can reach."#,
        bad: r#"const file = path.join(this.config.baseDir, 'uploads', ctx.query.name);
ctx.body = fs.createReadStream(file);"#,
        good: r#"const name = path.basename(ctx.query.name);
ctx.body = fs.createReadStream(path.join(this.config.baseDir, 'uploads', name));"#,
        fix: r#"Reduce the value to a file name with `path.basename`, look it up in an allow-list or a database, and check the resolved path stays inside the intended directory."#,
    },
};

impl Rule for FilePathFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Path,
            "File path built from request data",
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
            super::super::sql_built_from_request::tests::sample_apps("file-path-from-request");
        assert!(
            !run_rule(&FilePathFromRequest, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&FilePathFromRequest, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
