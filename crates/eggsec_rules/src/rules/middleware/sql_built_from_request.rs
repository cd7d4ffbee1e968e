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
        what: r#"Finds request data (`ctx.query`, `ctx.request.body`, `ctx.params`, headers, cookies...) that reaches the SQL text of a real SQL client — egg-mysql/ali-rds (`app.mysql.query`, `app.mysql.get('db').query`, a transaction's `query`), mysql/mysql2, pg, Sequelize raw (`ctx.model.query` under egg-sequelize, `sequelize.query`, `literal`, `where`), knex `raw`/`whereRaw`, typeorm, leoric — in the same function, through local helpers, or across files along `ctx.service.a.b.c(x)`, relatively required modules (`require('./general')._item(x)`) and tegg `@Inject()`ed services. Keys of a request object (`for (const key in ctx.request.body)`) are request data too. Callees are resolved, never matched by name: a service's own `query` method, `app.model.Topic.query({ tab })` or a repository taking an object are not SQL. Values passed as parameters (`query(sql, [id])`), numbers (`parseInt`), `ctx.validate`d integer fields, `app.mysql.escape(x)`, `mysql.format(sql, values)`, values a schema returned after validating them (joi `validateAsync`, zod `parse`, class-validator `validateOrReject`; `crates/eggsec_js/models/validators.toml`) and values read back from the database — also through a required module's function that takes the model as a parameter — are safe. Sinks live in `crates/eggsec_js/models/*.toml`; add your own in `eggsec.toml` (`[[models.sinks]]`)."#,
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

/// Reports every request-data flow of `kind` in the app, one finding per sink: the sink's
/// file:line, every source path that reaches it as evidence (N handlers → one finding with N
/// paths). Flows whose sink needs a receiver no enabled plugin provides are dropped
/// (`ctx.model.X.find` is not a mongo query under egg-sequelize). Shared by the flow rules.
pub(crate) fn report_flows(cx: &mut RuleContext<'_>, kind: SinkKind, title: &str, fix: &str) {
    if cx.app.code.files.is_empty() {
        cx.not_applicable();
        return;
    }
    for g in flow_groups(cx.app, kind) {
        report_sink(cx, &g, title, fix);
    }
}

/// The flows of `kind` whose sink's plugin the app provides, grouped by sink (file, line,
/// column). A flow that starts in a service method no code names is dead code, left out.
pub(crate) fn flow_groups(
    app: &eggsec_app::AppModel,
    kind: SinkKind,
) -> Vec<Vec<&eggsec_app::routes::AppFlow>> {
    let mut groups: Vec<Vec<&eggsec_app::routes::AppFlow>> = Vec::new();
    for f in app.code.flows.iter().filter(|f| f.flow.kind == kind) {
        if let Some(p) = &f.flow.plugin {
            if !app.has_sink(p) {
                continue;
            }
        }
        if starts_in_dead_service(app, f) || starts_in_unrouted_controller(app, f) {
            continue;
        }
        let Some(sink) = f.flow.steps.last() else {
            continue;
        };
        let at = (f.file.as_str(), sink.line, sink.column);
        match groups.iter_mut().find(|g| {
            let s = g[0].flow.steps.last().expect("grouped flows have steps");
            (g[0].file.as_str(), s.line, s.column) == at
        }) {
            Some(g) => g.push(f),
            None => groups.push(vec![f]),
        }
    }
    groups
}

/// The flow's source lies in a method of `app/service/**` that no code of the app names.
fn starts_in_dead_service(app: &eggsec_app::AppModel, f: &eggsec_app::routes::AppFlow) -> bool {
    let Some(src) = f.flow.steps.first() else {
        return false;
    };
    let rel = src.file.as_deref().unwrap_or(&f.file);
    if !rel.contains("app/service/") {
        return false;
    }
    let Some(fi) = app.code.files.iter().position(|c| c.rel == rel) else {
        return false;
    };
    app.code
        .service_refs()
        .dead_service_method(&app.code, fi, src.line)
}

/// The flow's source lies in a method of the app's own `app/controller/**` that no route
/// reaches and no code names, while the route table is complete (no router eggsec cannot read,
/// no verb chosen at run time) and other methods of the same controller are routed — so eggsec
/// reads how that controller is routed, and egg serves none of its requests to the method.
fn starts_in_unrouted_controller(
    app: &eggsec_app::AppModel,
    f: &eggsec_app::routes::AppFlow,
) -> bool {
    use eggsec_app::routes::FileRole;
    let Some(src) = f.flow.steps.first() else {
        return false;
    };
    let rel = src.file.as_deref().unwrap_or(&f.file);
    let Some(fi) = app.code.files.iter().position(|c| c.rel == rel) else {
        return false;
    };
    let file = &app.code.files[fi];
    if file.role != FileRole::Controller
        || file.unit.is_some()
        || !rel.starts_with("app/controller/")
    {
        return false;
    }
    let Some(m) = file.function_at(src.line) else {
        return false;
    };
    if m.name.is_empty() || m.name.starts_with('<') || app.routes_to(fi, &m.name).next().is_some() {
        return false;
    }
    if !app.routes.iter().any(|r| r.handler_file == Some(fi)) {
        return false;
    }
    let incomplete = app.code.files.iter().any(|c| {
        !c.facts.dynamic_routes.is_empty()
            || c.facts.router_includes.iter().any(|i| i.resolved.is_none())
    }) || eggsec_app::routes::routes_unknown(
        &app.root,
        &app.routes,
        &app.code,
        &app.frameworks,
    )
    .is_some();
    if incomplete {
        return false;
    }
    !app.code.files.iter().enumerate().any(|(i, c)| {
        let Some(text) = c.text.as_deref() else {
            // a file eggsec did not keep the text of may name it
            return true;
        };
        names_controller_method(text, &m.name, c.role, (i == fi).then_some(m.line))
    })
}

/// Whether `text` may name the controller method `name` anywhere but at its definition (line
/// `def_line` of this file): `this.name`/`super.name`, `controller.x.name`, a string that ends
/// in it (`'home.name'`), or a member of a receiver eggsec cannot tell from a service
/// (`obj.name`); in a router or controller file also the bare name. A call of a service method
/// of the same name (`ctx.service.user.name(…)`) is not the controller's.
fn names_controller_method(
    text: &str,
    name: &str,
    role: eggsec_app::routes::FileRole,
    def_line: Option<u32>,
) -> bool {
    use eggsec_app::routes::FileRole;
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut from = 0;
    while let Some(k) = text[from..].find(name) {
        let at = from + k;
        from = at + name.len();
        if at > 0 && ident(bytes[at - 1]) || bytes.get(from).copied().is_some_and(ident) {
            continue;
        }
        let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count() as u32;
        if def_line == Some(line) {
            continue;
        }
        let before = text[..at].trim_end();
        let prev = before.as_bytes().last().copied();
        match prev {
            Some(b'.') => {
                // the receiver chain before the dot
                let chain: String = before[..before.len() - 1]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.' | '?'))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let segs: Vec<&str> = chain.split(['.', '?']).filter(|s| !s.is_empty()).collect();
                if segs.contains(&"service") && !segs.contains(&"controller") {
                    continue;
                }
                return true;
            }
            Some(b'\'' | b'"' | b'`') => return true,
            _ => {
                if matches!(role, FileRole::Router | FileRole::Controller) {
                    return true;
                }
                // `'home.name'` inside a string
                if before.ends_with('.') {
                    return true;
                }
            }
        }
    }
    false
}

/// Reports one flow at its sink, with the path from the source to the sink as evidence.
pub(crate) fn report_flow(
    cx: &mut RuleContext<'_>,
    f: &eggsec_app::routes::AppFlow,
    title: &str,
    fix: &str,
) {
    report_sink(cx, &[f], title, fix);
}

/// One finding for every flow reaching the same sink: each source path in the evidence
/// (`source`/`step` lines, numbered `path i/N` when there are several), the sink last.
/// Returns the finding (`None` without a flow or a step).
pub(crate) fn report_sink<'c>(
    cx: &'c mut RuleContext<'_>,
    flows: &[&eggsec_app::routes::AppFlow],
    title: &str,
    fix: &str,
) -> Option<&'c mut eggsec_report::Finding> {
    let app = cx.app;
    let first = flows.first()?;
    let sink = first.flow.steps.last()?;
    let mut sources: Vec<String> = Vec::new();
    let mut paths: Vec<&eggsec_app::routes::AppFlow> = Vec::new();
    for f in flows {
        // the same path reported twice (the same source and steps) is one path
        if paths
            .iter()
            .any(|p| p.flow.steps == f.flow.steps && p.file == f.file)
        {
            continue;
        }
        paths.push(f);
        let s = f
            .flow
            .steps
            .first()
            .map(|s| s.what.clone())
            .unwrap_or_default();
        if !sources.contains(&s) {
            sources.push(s);
        }
    }
    let prov = Provenance::new(
        app.root.join(&first.file).to_string_lossy().into_owned(),
        sink.line,
        sink.column,
    );
    let n = paths.len();
    let mut evidence = Vec::new();
    for (k, f) in paths.iter().enumerate() {
        let steps = &f.flow.steps;
        for (i, s) in steps
            .iter()
            .enumerate()
            .take(steps.len().saturating_sub(1).max(1))
        {
            let label = if i == 0 { "source" } else { "step" };
            let file = s.file.as_deref().unwrap_or(&f.file);
            let tag = if n > 1 {
                format!(" (path {}/{n})", k + 1)
            } else {
                String::new()
            };
            evidence.push(format!(
                "{label}{tag} {file}:{}: {}",
                s.line,
                mask_literals(&s.what)
            ));
        }
    }
    evidence.push(format!(
        "sink {}:{}: {}",
        first.file,
        sink.line,
        mask_literals(&sink.what)
    ));
    let source = match sources.len() {
        0 | 1 => format!("`{}`", sources.first().cloned().unwrap_or_default()),
        k => format!("`{}` (and {} more sources)", sources[0], k - 1),
    };
    let via = if n > 1 {
        format!(" along {n} paths")
    } else {
        String::new()
    };
    // The first path as SARIF codeFlows steps (source first, sink last).
    let last = first.flow.steps.len();
    let steps = first
        .flow
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| eggsec_report::Related {
            location: eggsec_report::Location::File {
                path: s.file.clone().unwrap_or_else(|| first.file.clone()),
                line: s.line,
                column: s.column,
            },
            message: format!(
                "{}: {}",
                match i {
                    0 => "source",
                    i if i + 1 == last => "sink",
                    _ => "step",
                },
                mask_literals(&s.what)
            ),
        })
        .collect();
    let finding = cx.report(
        &prov,
        format!(
            "{title}: {source} reaches `{}` in {}{via}",
            first.flow.sink, first.flow.function
        ),
        evidence,
        fix,
    );
    // The finding is the sink: one more handler reaching it adds a path to the evidence, and a
    // step renamed on the way changes a line of it, not which finding it is.
    finding.set_identity(format!(
        "sink {} ({}) in {}",
        mask_literals(&sink.what),
        first.flow.sink,
        first.flow.function
    ));
    finding.steps = steps;
    Some(finding)
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

    pub(crate) fn app_with(body: &str) -> AppModel {
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
    fn one_finding_per_sink_with_every_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::create_dir_all(dir.path().join("app/service")).unwrap();
        std::fs::write(
            dir.path().join("app/service/user.js"),
            "const { Service } = require('egg');\nclass UserService extends Service {\n  async find(name) {\n    return this.app.mysql.query(`SELECT * FROM u WHERE n = '${name}'`);\n  }\n}\nmodule.exports = UserService;\n",
        )
        .unwrap();
        let handlers: String = (0..3)
            .map(|i| format!("  async h{i}() {{ return this.ctx.service.user.find(this.ctx.query.n{i}); }}\n"))
            .collect();
        std::fs::write(
            dir.path().join("app/controller/home.js"),
            format!("const {{ Controller }} = require('egg');\nclass Home extends Controller {{\n{handlers}}}\nmodule.exports = Home;\n"),
        )
        .unwrap();
        let mut app = test_model_in(dir.path(), serde_json::json!({}));
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        let f = run_rule(&SqlBuiltFromRequest, &app);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("along 3 paths"), "{}", f[0].message);
        let sources = f[0]
            .evidence
            .iter()
            .filter(|e| e.starts_with("source"))
            .count();
        assert_eq!(sources, 3, "{:?}", f[0].evidence);
        assert!(f[0]
            .evidence
            .last()
            .unwrap()
            .starts_with("sink app/service/user.js:4"));
    }

    /// A flow that starts in a controller method no route reaches and no code names is dead
    /// code (held-out izjing+egg-blogs `home.findUser`, codefamer-org+back-end's `url()` beside
    /// `router.resources`); the same method called by a routed one, named by a string route,
    /// or in an app whose routes eggsec cannot read all, stays reported.
    #[test]
    fn a_controller_method_no_route_reaches() {
        let sql = "await this.app.mysql.query(`SELECT * FROM u WHERE n = '${this.ctx.query.n}'`);";
        let controller = |extra: &str| {
            format!("const {{ Controller }} = require('egg');\nclass Home extends Controller {{\n  async index() {{\n    {sql}\n{extra}  }}\n  async findUser() {{\n    {sql}\n  }}\n}}\nmodule.exports = Home;\n")
        };
        let run = |router: &str, controller: &str| {
            let (_tmp, app) = crate::testing::load_app(&[
                ("package.json", r#"{ "name": "a", "dependencies": { "egg": "^2.0.0", "egg-mysql": "^3.0.0" } }"#),
                ("config/plugin.js", "exports.mysql = { enable: true, package: 'egg-mysql' };\n"),
                ("config/config.default.js", "module.exports = { keys: 'k' };\n"),
                ("app/router.js", router),
                ("app/controller/home.js", controller),
                ("app/service/user.js", "const { Service } = require('egg');\nclass User extends Service {\n  async findUser(n) {\n    return n;\n  }\n}\nmodule.exports = User;\n"),
            ]);
            let mut lines: Vec<u32> = run_rule(&SqlBuiltFromRequest, &app)
                .iter()
                .filter_map(|f| match &f.location {
                    eggsec_report::Location::File { line, .. } => Some(*line),
                    _ => None,
                })
                .collect();
            lines.sort();
            lines
        };
        let one =
            "module.exports = app => {\n  app.router.get('/', app.controller.home.index);\n};\n";
        // only `index` is routed: `findUser` (line 7) is dead
        assert_eq!(run(one, &controller("")), vec![4]);
        // a service method of the same name is not the controller's
        assert_eq!(
            run(
                one,
                &controller("    await this.ctx.service.user.findUser(1);\n")
            ),
            vec![4]
        );
        // called by the routed method, or routed by a string: reported
        assert_eq!(
            run(one, &controller("    await this.findUser();\n")),
            vec![4, 8]
        );
        let both = "module.exports = app => {\n  app.router.get('/', app.controller.home.index);\n  app.router.get('/u', 'home.findUser');\n};\n";
        assert_eq!(run(both, &controller("")), vec![4, 7]);
        // a verb chosen at run time: the table may not be the app's
        let dynamic = "module.exports = app => {\n  app.router.get('/', app.controller.home.index);\n  for (const m of ['get']) app.router[m]('/x', app.controller.home.index);\n};\n";
        assert_eq!(run(dynamic, &controller("")), vec![4, 7]);
        // no route to this controller at all: eggsec does not know how it is routed
        let none =
            "module.exports = app => {\n  app.router.get('/', app.controller.other.index);\n};\n";
        assert_eq!(run(none, &controller("")), vec![4, 7]);
    }

    #[test]
    fn users_add_sinks_in_eggsec_toml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::write(
            dir.path().join("app/controller/home.js"),
            "exports.a = async ctx => { await ctx.app.db.raw('SELECT ' + ctx.query.q); };\n",
        )
        .unwrap();
        let run = |dir: &std::path::Path| {
            let mut app = test_model_in(dir, serde_json::json!({}));
            app.code = eggsec_app::routes::code_model(dir, &mut Vec::new());
            run_rule(&SqlBuiltFromRequest, &app)
        };
        assert!(
            run(dir.path()).is_empty(),
            "app.db is nobody's sink by default"
        );
        std::fs::write(
            dir.path().join("eggsec.toml"),
            "[[models.sinks]]\ncallee = [\"app.db.raw\"]\nkind = \"sql\"\n",
        )
        .unwrap();
        assert_eq!(run(dir.path()).len(), 1);
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

    /// A claim of a verified JSON web token is what the server signed, not request data
    /// (held-out juejin-costBook-server: `const decode = app.jwt.verify(token, secret); …
    /// user_id=${decode.id}`); the same claim only decoded, or the raw header, still is.
    #[test]
    fn verified_token_claims_are_not_request_data() {
        let run = |body: &str| run_rule(&SqlBuiltFromRequest, &app_with(body)).len();
        let sql = "await app.mysql.query(`SELECT * FROM bill WHERE user_id = ${decode.id}`);";
        let token = "const token = ctx.request.header.authorization;";
        assert_eq!(
            run(&format!("{token}\n    const decode = app.jwt.verify(token, app.config.jwt.secret);\n    {sql}")),
            0
        );
        assert_eq!(
            run(&format!("const jwt = require('jsonwebtoken');\n    {token}\n    const decode = jwt.verify(token, 'k');\n    {sql}")),
            0
        );
        assert_eq!(
            run(&format!(
                "{token}\n    const decode = app.jwt.decode(token);\n    {sql}"
            )),
            1
        );
        assert_eq!(
            run(&format!(
                "const decode = {{ id: ctx.get('authorization') }};\n    {sql}"
            )),
            1
        );
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
