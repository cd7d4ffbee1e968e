//! `MW025` `template-prints-request-data-raw`: a server-side template prints request data
//! without escaping — EJS `<%- x %>`, handlebars `{{{x}}}`, art-template `{{@ x}}`, pug `!=` /
//! `!{x}`, nunjucks `{{ x }}` inside `{% autoescape false %}`, react SSR
//! `dangerouslySetInnerHTML={{ __html: props.x }}` — with `x` fed by
//! `ctx.render(view, { x: <request data> })` or a local object passed by name.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};
use std::path::Path;

pub struct TemplatePrintsRequestDataRaw;

static META: RuleMeta = RuleMeta {
    code: "MW025",
    name: "template-prints-request-data-raw",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Templates escape request data",
    docs: RuleDocs {
        what: r#"Follows `ctx.render('view', { x: <request data> })` (and `ctx.renderView`) to the template under `app/view` and reports each place that prints a fed variable *raw*: EJS `<%- x %>` (also inside `<script>`), handlebars `{{{x}}}`, art-template `{{@ x}}`, pug `div!= x` and `!{x}`, nunjucks `{{ x }}` inside a `{% autoescape false %}` block, a react view (egg-view-react `.jsx`/`.tsx`) that passes a prop to `dangerouslySetInnerHTML={{ __html: props.x }}` (nunjucks `| safe` is reported by `html-built-from-request`). Values converted to numbers or escaped with `ctx.helper.escape` are not fed, nor values that came back in the response of an outbound call. Render data built in a local object literal is followed, with the keys it is created with (`const data = { x: ctx.query.x }; ctx.render(v, data)`) and those assigned before the render (`const data = {}; data.x = ctx.query.x;`, `data['x'] = ...`; a later clean assignment replaces the value)."#,
        why: r#"Raw output puts the attacker's text into the page as HTML: `<script>` runs in the victim's session (stored or reflected XSS), steals tokens, acts as the user. Inside a `<script>` block even a quote breaks out."#,
        bad: r#"// controller
await ctx.render('profile.ejs', { bio: ctx.query.bio });
<!-- app/view/profile.ejs -->
<div><%- bio %></div>"#,
        good: r#"<!-- app/view/profile.ejs: escaped output -->
<div><%= bio %></div>
<!-- in a script block: serialise safely -->
<script>var bio = <%- JSON.stringify(bio).replace(/</g, '\\u003c') %>;</script>"#,
        fix: r#"Print with the escaping tag of the engine (EJS `<%= %>`, handlebars `{{ }}`, art-template `{{ }}`, pug `=`/`#{}`, nunjucks `{{ }}` with autoescape on); when HTML must be kept, sanitise it on the server first (an allow-list HTML sanitiser such as `xss` or `sanitize-html`) or with `ctx.helper.shtml`."#,
    },
};

/// Raw outputs of a template: (line, column, the tag, identifiers it reads).
pub fn raw_outputs(name: &str, text: &str) -> Vec<(u32, u32, String, Vec<String>)> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut out = Vec::new();
    let pairs: &[(&str, &str)] = match ext.as_str() {
        "ejs" => &[("<%-", "%>")],
        "hbs" | "handlebars" => &[("{{{", "}}}")],
        "art" => &[("{{@", "}}"), ("<%-", "%>")],
        "pug" | "jade" => &[("!{", "}")],
        "jsx" | "tsx" | "js" => &[],
        _ => &[("<%-", "%>"), ("{{{", "}}}"), ("{{@", "}}")],
    };
    let mut autoescape_off = false;
    for (i, line) in text.lines().enumerate() {
        let lno = i as u32 + 1;
        for (open, close) in pairs {
            let mut from = 0;
            while let Some(o) = line[from..].find(open).map(|o| o + from) {
                let Some(c) = line[o + open.len()..]
                    .find(close)
                    .map(|c| c + o + open.len())
                else {
                    break;
                };
                let expr = &line[o + open.len()..c];
                out.push((
                    lno,
                    line[..o].chars().count() as u32 + 1,
                    line[o..c + close.len()].to_string(),
                    idents(expr),
                ));
                from = c + close.len();
            }
        }
        if matches!(ext.as_str(), "jsx" | "tsx" | "js") {
            // react SSR (egg-view-react): <div dangerouslySetInnerHTML={{ __html: props.bio }} />
            if let Some(p) = line.find("dangerouslySetInnerHTML") {
                if let Some(h) = line[p..].find("__html").map(|h| h + p + "__html".len()) {
                    let rest = line[h..].trim_start().trim_start_matches(':');
                    let expr = rest.split("}}").next().unwrap_or(rest);
                    // props.bio, this.props.bio, a destructured bio: every name counts
                    let names: Vec<String> = expr
                        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                        .filter(|w| !w.is_empty() && !w.starts_with(|c: char| c.is_ascii_digit()))
                        .map(str::to_string)
                        .collect();
                    out.push((
                        lno,
                        line[..p].chars().count() as u32 + 1,
                        line[p..].trim_end().to_string(),
                        names,
                    ));
                }
            }
            continue;
        }
        if matches!(ext.as_str(), "pug" | "jade") {
            // `div!= x`, `p(class="a")!= x`, `!= x`
            if let Some(p) = line.find("!=") {
                let before = line[..p].trim_end();
                if !before.ends_with(['!', '=', '<', '>']) && !line[p + 2..].starts_with('=') {
                    out.push((
                        lno,
                        p as u32 + 1,
                        line.trim().to_string(),
                        idents(&line[p + 2..]),
                    ));
                }
            }
        }
        // nunjucks: {{ x }} between {% autoescape false %} and {% endautoescape %}
        let compact: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if compact.contains("{% autoescape false %}") || compact.contains("{%- autoescape false") {
            autoescape_off = true;
        }
        if autoescape_off && !matches!(ext.as_str(), "ejs" | "hbs" | "handlebars" | "pug" | "jade")
        {
            let mut from = 0;
            while let Some(o) = line[from..].find("{{").map(|o| o + from) {
                if line[o..].starts_with("{{{") || line[o..].starts_with("{{@") {
                    from = o + 3;
                    continue;
                }
                let Some(c) = line[o + 2..].find("}}").map(|c| c + o + 2) else {
                    break;
                };
                out.push((
                    lno,
                    line[..o].chars().count() as u32 + 1,
                    line[o..c + 2].to_string(),
                    idents(&line[o + 2..c]),
                ));
                from = c + 2;
            }
        }
        if compact.contains("endautoescape") {
            autoescape_off = false;
        }
    }
    out
}

/// Identifiers an expression reads (not after a `.`, not string contents).
pub(crate) fn idents(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_dot = false;
    let mut quote: Option<char> = None;
    for ch in expr.chars().chain(std::iter::once(' ')) {
        if let Some(q) = quote {
            if ch == q {
                quote = None;
            }
            continue;
        }
        if ch.is_alphanumeric() || ch == '_' || ch == '$' {
            cur.push(ch);
            continue;
        }
        if !cur.is_empty() {
            if !prev_dot && !cur.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
        prev_dot = ch == '.';
        if ch == '\'' || ch == '"' || ch == '`' {
            quote = Some(ch);
        }
    }
    out
}

/// A value that went out in an HTTP call and came back in its response (`ctx.curl(url, { data:
/// { code } })` → `tokenResult.data.error`) is the other server's answer, not request data.
pub(crate) fn through_outbound_response(steps: &[eggsec_js::flow::Step]) -> bool {
    steps.iter().skip(1).any(|s| {
        ["curl(", "axios", "fetch(", "httpclient", ".request("]
            .iter()
            .any(|w| s.what.contains(w))
    })
}

/// egg-view's lookup under `app/view`: the name as written, else with an engine extension.
pub(crate) fn find_template(root: &Path, name: &str) -> Option<(std::path::PathBuf, String)> {
    let name = name.trim_start_matches('/');
    if name.split('/').any(|s| s == "..") {
        return None;
    }
    let mut c = vec![name.to_string()];
    if Path::new(name).extension().is_none() {
        c.extend(
            [
                ".html",
                ".ejs",
                ".hbs",
                ".handlebars",
                ".art",
                ".pug",
                ".jade",
                ".nj",
                ".njk",
                ".tpl",
            ]
            .map(|e| format!("{name}{e}")),
        );
    }
    c.into_iter().find_map(|n| {
        let p = root.join("app/view").join(&n);
        eggsec_fs::is_file(&p).then(|| (p, format!("app/view/{n}")))
    })
}

/// Each render call whose template exists under `app/view`: the call, the template's path, its
/// app-relative name and its text.
pub(crate) fn rendered_templates(
    app: &eggsec_app::AppModel,
) -> Vec<(
    &eggsec_app::routes::AppRender,
    std::path::PathBuf,
    String,
    String,
)> {
    app.code
        .renders
        .iter()
        .filter_map(|r| {
            let (path, rel) = find_template(&app.root, &r.render.template)?;
            let text = eggsec_report::input::read_source_text(&path, 8 << 20).ok()?;
            Some((r, path, rel, text))
        })
        .collect()
}

/// The path of a fed variable from its request source to the template tag that prints it.
pub(crate) fn render_evidence(
    r: &eggsec_app::routes::AppRender,
    var: &eggsec_js::flow::RenderVar,
    rel: &str,
    line: u32,
    tag: &str,
) -> Vec<String> {
    let mut evidence: Vec<String> = var
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let file = s.file.clone().unwrap_or_else(|| r.file.clone());
            let role = if i == 0 { "source" } else { "step" };
            format!("{role} {file}:{}: {}", s.line, s.what)
        })
        .collect();
    evidence.push(format!("sink {rel}:{line}: {tag}"));
    evidence
}

impl Rule for TemplatePrintsRequestDataRaw {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if app.code.renders.is_empty() {
            cx.not_applicable();
            return;
        }
        let mut seen = std::collections::HashSet::new();
        for (r, path, rel, text) in rendered_templates(app) {
            for (line, column, tag, ids) in raw_outputs(&rel, &text) {
                let Some(var) = r
                    .render
                    .vars
                    .iter()
                    .find(|v| ids.contains(&v.name) && !through_outbound_response(&v.steps))
                else {
                    continue;
                };
                if !seen.insert((rel.clone(), line, column)) {
                    continue;
                }
                let evidence = render_evidence(r, var, &rel, line, &tag);
                let prov =
                    eggsec_js::Provenance::new(path.to_string_lossy().into_owned(), line, column);
                // the raw output in the template, not the way the data took to it
                cx.report(
                    &prov,
                    format!(
                        "{rel} prints `{}` raw ({tag}); it is request data from {}",
                        var.name, r.render.function
                    ),
                    evidence,
                    META.docs.fix,
                )
                .set_identity(format!("{tag} ({})", var.name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_view, run_rule};

    fn app(view: &str, tpl: &str, controller: &str) -> eggsec_app::AppModel {
        model_with_view(view, tpl, controller)
    }

    #[test]
    fn raw_tags_per_engine() {
        let c = "exports.p = async ctx => { await ctx.render('p.ejs', { bio: ctx.query.bio, title: 'x' }); };";
        let hit = app("p.ejs", "<h1><%= title %></h1>\n<div><%- bio %></div>\n<p><%= bio %></p>\n<script>var t = '<%- title %>';</script>\n", c);
        let f = run_rule(&TemplatePrintsRequestDataRaw, &hit);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].evidence[0].starts_with("source app/controller/home.js:1"),
            "{:?}",
            f[0].evidence
        );
        for (view, tpl) in [
            ("p.hbs", "<div>{{{bio}}}</div>"),
            ("p.art", "<div>{{@ bio }}</div>"),
            ("p.pug", "div!= bio"),
            (
                "p.jsx",
                "export default function P(props) {\n  return <div dangerouslySetInnerHTML={{ __html: props.bio }} />;\n}",
            ),
            (
                "p.html",
                "{% autoescape false %}\n<div>{{ bio }}</div>\n{% endautoescape %}",
            ),
        ] {
            let c = format!("exports.p = async ctx => {{ await ctx.render('{view}', {{ bio: ctx.query.bio }}); }};");
            assert_eq!(
                run_rule(&TemplatePrintsRequestDataRaw, &app(view, tpl, &c)).len(),
                1,
                "{view}"
            );
        }
        // render data assigned after the object is created
        for c in [
            "exports.p = async ctx => { const data = {}; data.bio = ctx.query.bio; await ctx.render('p.ejs', data); };",
            "class H { async p() { const { ctx } = this; const v = { title: 'x' }; v['bio'] = ctx.query.bio; await ctx.render('p.ejs', v); } }\nmodule.exports = H;",
        ] {
            let f = run_rule(&TemplatePrintsRequestDataRaw, &app("p.ejs", "<div><%- bio %></div>\n", c));
            assert_eq!(f.len(), 1, "{c}");
            assert!(f[0].evidence.len() >= 3, "{:?}", f[0].evidence);
        }
        for c in [
            // replaced by a clean value before the render
            "exports.p = async ctx => { const data = {}; data.bio = ctx.query.bio; data.bio = 'none'; await ctx.render('p.ejs', data); };",
            // escaped on the way
            "exports.p = async ctx => { const data = {}; data.bio = ctx.helper.escape(ctx.query.bio); await ctx.render('p.ejs', data); };",
            // another object gets the request data
            "exports.p = async ctx => { const data = {}; const log = {}; log.bio = ctx.query.bio; data.bio = 'x'; await ctx.render('p.ejs', data); };",
        ] {
            assert!(
                run_rule(&TemplatePrintsRequestDataRaw, &app("p.ejs", "<div><%- bio %></div>\n", c)).is_empty(),
                "{c}"
            );
        }
        // look-alikes: escaped tags, numbers, constants
        let c = "exports.p = async ctx => { await ctx.render('p.ejs', { id: Number(ctx.query.id), bio: ctx.query.bio }); };";
        let quiet = app(
            "p.ejs",
            "<div><%= bio %></div>\n<i><%- id %></i>\n<p>{{ bio }}</p>\n",
            c,
        );
        assert!(run_rule(&TemplatePrintsRequestDataRaw, &quiet).is_empty());
    }
}
