//! `MW001` `sql-built-from-request`: SQL built from request data.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_js::Provenance;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SqlBuiltFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW001",
    name: "sql-built-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "SQL queries are parameterised, never built from request data",
    docs: RuleDocs {
        what: r#"Finds request data (`ctx.query`, `ctx.request.body`, `ctx.params`, headers, cookies...) that reaches the SQL text of egg-mysql `query`/`literal`, sequelize `query`/`literal`, knex `raw` or typeorm `query`, in the same function, through local helpers, or across files along `ctx.service.a.b.c(x)`. Values passed as parameters (`query(sql, [id])`), numbers (`parseInt`), `ctx.validate`d integer fields and `app.mysql.escape(x)` are safe."#,
        why: r#"SQL injection lets an attacker read or change every table the app's database user can reach: dump the users table, bypass a login, drop data."#,
        bad: r#"// app/service/user.js
async find(name) {
  return this.app.mysql.query(`SELECT * FROM users WHERE name = '${name}'`);
}"#,
        good: r#"// app/service/user.js
async find(name) {
  return this.app.mysql.query('SELECT * FROM users WHERE name = ?', [ name ]);
}"#,
        fix: r#"Pass request values as query parameters (`?` placeholders with a values array, sequelize `replacements`/`bind`, knex bindings), or use egg-mysql's `get`/`select` with a `where` object. Never concatenate them into SQL text."#,
    },
};

/// Reports every request-data flow of `kind` in the app, at its sink, with the path from the
/// source to the sink (file:line of each step) as evidence. Shared by the flow rules.
pub(crate) fn report_flows(cx: &mut RuleContext<'_>, kind: SinkKind, title: &str, fix: &str) {
    let app = cx.app;
    if app.code.files.is_empty() {
        cx.not_applicable();
        return;
    }
    for f in app.code.flows.iter().filter(|f| f.flow.kind == kind) {
        report_flow(cx, f, title, fix);
    }
}

/// Reports one flow at its sink, with the path from the source to the sink as evidence.
pub(crate) fn report_flow(
    cx: &mut RuleContext<'_>,
    f: &eggsec_app::routes::AppFlow,
    title: &str,
    fix: &str,
) {
    let app = cx.app;
    let Some(sink) = f.flow.steps.last() else {
        return;
    };
    let source = f
        .flow
        .steps
        .first()
        .map(|s| s.what.clone())
        .unwrap_or_default();
    let prov = Provenance::new(
        app.root.join(&f.file).to_string_lossy().into_owned(),
        sink.line,
        sink.column,
    );
    let evidence = f
        .flow
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let label = if i == 0 {
                "source"
            } else if i + 1 == f.flow.steps.len() {
                "sink"
            } else {
                "step"
            };
            let file = s.file.as_deref().unwrap_or(&f.file);
            format!("{label} {file}:{}: {}", s.line, mask_literals(&s.what))
        })
        .collect();
    let n = f.flow.steps.len();
    let steps = f
        .flow
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| eggsec_report::Related {
            location: eggsec_report::Location::File {
                path: s.file.clone().unwrap_or_else(|| f.file.clone()),
                line: s.line,
                column: s.column,
            },
            message: format!(
                "{}: {}",
                match i {
                    0 => "source",
                    i if i + 1 == n => "sink",
                    _ => "step",
                },
                mask_literals(&s.what)
            ),
        })
        .collect();
    cx.report(
        &prov,
        format!(
            "{title}: `{source}` reaches `{}` in {}",
            f.flow.sink, f.flow.function
        ),
        evidence,
        fix,
    )
    .steps = steps;
}

/// Masks long space-free string literals in a code snippet (they may be keys or tokens).
pub(crate) fn mask_literals(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(i) = rest.find(['\'', '"']) {
        let quote = rest[i..].chars().next().unwrap_or('\'');
        out.push_str(&rest[..=i]);
        let after = &rest[i + 1..];
        match after.find(quote) {
            Some(j) => {
                let lit = &after[..j];
                if lit.len() >= 16 && !lit.contains(' ') {
                    out.push_str(&eggsec_app::secrets::mask(lit));
                } else {
                    out.push_str(lit);
                }
                out.push(quote);
                rest = &after[j + 1..];
            }
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Rule for SqlBuiltFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Sql,
            "SQL built from request data",
            META.docs.fix,
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use eggsec_app::AppModel;

    /// A planted flow and its safe look-alike for each flow rule, as controller source.
    fn sample(name: &str) -> (&'static str, &'static str) {
        match name {
            "sql-built-from-request" => (
                "const id = ctx.query.id; await app.mysql.query('SELECT * FROM t WHERE id = ' + id);",
                "const id = ctx.query.id; await app.mysql.query('SELECT * FROM t WHERE id = ?', [ id ]);",
            ),
            "shell-command-from-request" => (
                "require('child_process').exec('ls ' + ctx.query.dir);",
                "require('child_process').execFile('ls', [ ctx.query.dir ]);",
            ),
            "code-eval-of-request-data" => ("eval(ctx.request.body.code);", "JSON.parse(ctx.request.body.code);"),
            "html-built-from-request" => (
                "ctx.body = `<p>${ctx.query.q}</p>`;",
                "ctx.body = `<p>${ctx.helper.escape(ctx.query.q)}</p>`;",
            ),
            "file-path-from-request" => (
                "require('fs').readFileSync('/data/' + ctx.params.name);",
                "require('fs').readFileSync('/data/' + require('path').basename(ctx.params.name));",
            ),
            "outbound-request-to-request-url" => ("await ctx.curl(ctx.query.url);", "await ctx.safeCurl(ctx.query.url);"),
            "regexp-built-from-request" => ("new RegExp(ctx.query.q);", "new RegExp('^' + Number(ctx.query.q));"),
            "mongo-query-from-request-object" => (
                "await ctx.model.User.findOne(ctx.request.body);",
                "await ctx.model.User.findOne({ name: String(ctx.request.body.name) });",
            ),
            "deep-merge-of-request-body" => (
                "require('lodash').merge({}, ctx.request.body);",
                "require('lodash').merge({}, { name: String(ctx.request.body.name) });",
            ),
            other => panic!("no sample for {other}"),
        }
    }

    fn app_with(body: &str) -> AppModel {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::write(
            dir.path().join("app/controller/home.js"),
            format!("module.exports = app => class extends app.Controller {{\n  async index() {{\n    const {{ ctx }} = this;\n    {body}\n  }}\n}};\n"),
        )
        .unwrap();
        let mut app = test_model_in(dir.path(), serde_json::json!({}));
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        app
    }

    /// `(app with the planted flow, app with the safe look-alike)` for a flow rule.
    pub(crate) fn sample_apps(name: &str) -> (AppModel, AppModel) {
        let (hit, safe) = sample(name);
        (app_with(hit), app_with(safe))
    }

    #[test]
    fn evidence_shows_the_path() {
        let (hit, _) = sample_apps("sql-built-from-request");
        let f = run_rule(&SqlBuiltFromRequest, &hit);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence[0].starts_with("source app/controller/home.js:4"),
            "{:?}",
            f[0].evidence
        );
        assert!(f[0]
            .evidence
            .last()
            .unwrap()
            .starts_with("sink app/controller/home.js:4"));
    }

    #[test]
    fn hit_and_safe_look_alike() {
        let (hit, safe) =
            super::super::sql_built_from_request::tests::sample_apps("sql-built-from-request");
        assert!(
            !run_rule(&SqlBuiltFromRequest, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&SqlBuiltFromRequest, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
