//! `MW004` `html-built-from-request`: HTML built from request data.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct HtmlBuiltFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW004",
    name: "html-built-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "HTML responses escape request data",
    docs: RuleDocs {
        what: r#"Finds request data written into an HTML `ctx.body` (a template literal or concatenation with markup, or after `ctx.type = 'html'`) or used as the template of `ctx.renderString`, unless `ctx.helper.escape`/`shtml` cleaned it; and request data fed to a nunjucks template by `ctx.render('tpl.html', { x })` that the template prints unescaped — `{{ x | safe }}` (reported at that template line) or anything when `nunjucks.autoescape` / `view.nunjucks.autoescape` is `false` (reported at the render call)."#,
        why: r#"Reflected cross-site scripting: the attacker's script runs in the victim's session on your origin, reading data and acting as the user."#,
        bad: r#"ctx.body = `<h1>Hello ${ctx.query.name}</h1>`;"#,
        good: r#"ctx.body = `<h1>Hello ${ctx.helper.escape(ctx.query.name)}</h1>`;"#,
        fix: r#"Render through egg-view templates with autoescaping (keep nunjucks `autoescape: true`, and drop `| safe` from values that come from the request), or escape each value with `ctx.helper.escape` (`shtml` for rich text). Never pass request data as the template of `renderString`."#,
    },
};

impl Rule for HtmlBuiltFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Html,
            "HTML built from request data",
            META.docs.fix,
        );
        if autoescape_off(cx) {
            let app = cx.app;
            for r in &app.code.renders {
                for var in &r.render.vars {
                    let flow = eggsec_app::routes::AppFlow {
                        file: r.file.clone(),
                        flow: eggsec_js::flow::Flow {
                            kind: SinkKind::Html,
                            function: r.render.function.clone(),
                            sink: format!(
                                "{} (nunjucks autoescape: false) variable `{}`",
                                r.render.sink, var.name
                            ),
                            steps: var.steps.clone(),
                            plugin: None,
                        },
                    };
                    super::sql_built_from_request::report_flow(
                        cx,
                        &flow,
                        "HTML built from request data (template autoescaping is off)",
                        META.docs.fix,
                    );
                }
            }
        }
    }
}

/// `config.nunjucks.autoescape` (egg-view-nunjucks) or `config.view.nunjucks.autoescape` is
/// `false`.
fn autoescape_off(cx: &RuleContext<'_>) -> bool {
    ["nunjucks.autoescape", "view.nunjucks.autoescape"]
        .iter()
        .any(|k| cx.app.config_at(k).and_then(|v| v.as_bool()) == Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_rule;

    #[test]
    fn hit_and_safe_look_alike() {
        let (hit, safe) =
            super::super::sql_built_from_request::tests::sample_apps("html-built-from-request");
        assert!(
            !run_rule(&HtmlBuiltFromRequest, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&HtmlBuiltFromRequest, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }

    fn view_app(config: serde_json::Value) -> (tempfile::TempDir, eggsec_app::AppModel) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("app/controller")).unwrap();
        std::fs::create_dir_all(d.join("app/view")).unwrap();
        std::fs::write(
            d.join("app/controller/home.js"),
            "module.exports = app => class extends app.Controller {\n  async index() {\n    const { ctx } = this;\n    await ctx.render('page.html', { name: ctx.query.name, title: 'Hi', note: ctx.helper.escape(ctx.query.note) });\n  }\n};\n",
        )
        .unwrap();
        std::fs::write(
            d.join("app/view/page.html"),
            "<h1>{{ title | safe }}</h1>\n<p>{{ name }}</p>\n<p>{{ name | safe }}</p>\n<p>{{ note | safe }}</p>\n",
        )
        .unwrap();
        let mut app = crate::testing::test_model_in(d, config);
        app.code = eggsec_app::routes::code_model(d, &mut Vec::new());
        (dir, app)
    }

    #[test]
    fn nunjucks_safe_filter_and_autoescape_off() {
        let (_d, app) = view_app(serde_json::json!({}));
        let f = run_rule(&HtmlBuiltFromRequest, &app);
        assert_eq!(f.len(), 1, "{f:#?}");
        let eggsec_report::Location::File { path, line, .. } = &f[0].location else {
            panic!("{f:?}")
        };
        assert!(
            path.ends_with("app/view/page.html") && *line == 3,
            "{path}:{line}"
        );
        assert!(f[0].evidence[0].starts_with("source app/controller/home.js:4"));
        assert!(f[0]
            .evidence
            .last()
            .unwrap()
            .starts_with("sink app/view/page.html:3"));
        let (_d, app) = view_app(serde_json::json!({ "nunjucks": { "autoescape": false } }));
        let f = run_rule(&HtmlBuiltFromRequest, &app);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f.iter().any(|x| matches!(&x.location,
            eggsec_report::Location::File { path, line: 4, .. } if path.ends_with("app/controller/home.js"))));
    }
}
