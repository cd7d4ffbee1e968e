//! `CSRF003` `csrf-exemption-too-broad`: `security.csrf.ignore` exempts every path, or tests
//! the path with a substring check an attacker can satisfy on any route; or
//! `security.csrf.match` leaves every other path unchecked.

use crate::egg_security::{sub_middleware, SubMiddleware};
use crate::source_text::function_text;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::js_regex::JsRegex;
use eggsec_js::{Value, ValueKind};
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::sync::LazyLock;

pub struct CsrfExemptionTooBroad;

static META: RuleMeta = RuleMeta {
    code: "CSRF003",
    name: "csrf-exemption-too-broad",
    strategy: Strategy::Csrf,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "CSRF exemptions (`security.csrf.ignore`/`match`) are anchored path prefixes",
    docs: RuleDocs {
        what: "Finds `config.security.csrf.ignore` (or its old alias `blackUrls`) values that \
exempt every path (`'/'`, `'*'`, `'(.*)'`, `/^\\//`, `['']`, `ctx => true`), that test the URL \
with a substring check (`ctx.url.indexOf('/api') !== -1`, `ctx.path.includes('/api')`, a \
RegExp without `^`), and `config.security.csrf.match`, which turns the check off for every path \
it does not match. egg-path-matching reads a string as a path prefix (`'/api'` matches `/api` \
and `/api/...`), a RegExp against `ctx.path`, and calls a function with `ctx`.",
        why: "An attacker chooses the URL the victim's browser posts to. `ctx.url` includes the \
query string, so with `ctx.url.indexOf('/api') !== -1` any route is exempt once `?/api` is \
appended. An unanchored test on `ctx.path` exempts every route whose path merely contains the \
text (`/users/api/delete`, `/account/apikeys`). An exemption that covers `/` turns CSRF \
protection off for the whole app while `csrf.enable` still reads `true`.",
        bad: r#"// config/config.default.js
module.exports = {
  security: {
    csrf: {
      ignore: ctx => ctx.url.indexOf('/api') !== -1,
    },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    csrf: {
      // only the webhook endpoints, which authenticate with a signature, not a cookie
      ignore: [ '/webhooks/' ],
    },
  },
};"#,
        fix: "Exempt only the endpoints that do not authenticate with cookies, as anchored path \
prefixes: `ignore: ['/webhooks/']`, `ignore: /^\\/api\\/v1\\/hooks\\//`, or a function that \
tests `ctx.path.startsWith('/webhooks/')`. Never test `ctx.url`/`ctx.originalUrl` (they include \
the query string) and never use `indexOf(...) !== -1` or `includes`. Prefer `ignore` over \
`match`, so new routes are protected by default.",
    },
};

/// Paths a real app has; a pattern matching all of them exempts everything.
const PROBE_PATHS: &[&str] = &[
    "/",
    "/login",
    "/user/profile",
    "/api/v1/orders",
    "/admin/users/1/delete",
    "/eggsec-probe-7f3a",
];

/// String patterns path-to-regexp turns into "every path" (with egg-path-matching's
/// `end: false`): `/`, `*`, `(.*)`, `/:name*`... (checked against egg-path-matching 1.2.0).
static COVERS_ALL_STRING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:/|\*|/\*|\*/|/\*\*|/?\(\.\*\)\??|/?:\w+(?:\(\.\*\))?[*?+]?)$")
        .expect("valid regex")
});

/// A method call on a receiver: `ctx.request.url.indexOf(`.
static STRING_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<recv>[A-Za-z_$][\w$]*(?:\s*\??\.\s*[A-Za-z_$][\w$]*)*)\s*\??\.\s*(?P<method>indexOf|includes|search|match|endsWith)\s*\(",
    )
    .expect("valid regex")
});

/// `/re/flags.test(arg)`.
static REGEX_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/(?P<re>(?:\\.|[^/\\\n])+)/[a-z]*\s*\.\s*test\s*\(\s*(?P<arg>[^)]*)\)")
        .expect("valid regex")
});

/// What is wrong with one pattern.
struct Problem {
    severity: Severity,
    confidence: Confidence,
    what: String,
    /// The pattern matches every path.
    covers_all: bool,
}

impl Rule for CsrfExemptionTooBroad {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !matches!(sub_middleware(app, "csrf"), SubMiddleware::Enabled(_)) {
            cx.not_applicable();
            return;
        }
        let Some(csrf) = app.config_at("security.csrf") else {
            cx.not_applicable();
            return;
        };
        let set = |key: &str| csrf.get(key).filter(|v| v.truthy() != Some(false));
        // egg-path-matching: `match` wins over `ignore`; `blackUrls` stands in for `ignore`.
        if let Some(pattern) = set("match") {
            if !covers_everything(cx, pattern) {
                let finding = cx.report(
                    &pattern.prov,
                    format!(
                        "security.csrf.match limits the CSRF check to the paths it matches in {}; \
every other state-changing route is exempt",
                        app.env
                    ),
                    vec![format!("security.csrf.match = {}", describe(cx, pattern))],
                    "Protect every path and exempt only what must be exempt:\n\n```js\n\
config.security = {\n  csrf: {\n    match: undefined,\n    ignore: [ '/webhooks/' ], // anchored \
prefixes of endpoints that take no cookie auth\n  },\n};\n```",
                );
                finding.severity = Severity::Medium;
                finding.confidence = Confidence::Medium;
            } else {
                cx.fact(
                    "security.csrf.match covers every path: no route is exempt from the CSRF check",
                );
            }
            return;
        }
        let Some((key, pattern)) = set("ignore")
            .map(|p| ("ignore", p))
            .or_else(|| set("blackUrls").map(|p| ("blackUrls", p)))
        else {
            cx.fact(
                "No route is exempt from the CSRF check (security.csrf.ignore and match unset)",
            );
            return;
        };
        let items: Vec<&Value> = match pattern.as_list() {
            Some(items) => items.iter().collect(),
            None => vec![pattern],
        };
        let in_array = pattern.as_list().is_some();
        // A pattern that cannot be judged (env, computed, unreadable function, a RegExp Rust
        // cannot compile): the exemptions as a whole are then not known to be anchored.
        let undecided = items.iter().any(|item| match &item.kind {
            ValueKind::String(_) => false,
            ValueKind::Regex { source, flags } => js_regex(source, flags).is_none(),
            ValueKind::Function { .. } => function_text(&cx.app.root, &item.prov).is_none(),
            _ => true,
        });
        for item in items {
            let Some(problem) = problem(cx, item, in_array) else {
                continue;
            };
            let evidence = vec![format!("security.csrf.{key} = {}", describe(cx, item))];
            let finding = cx.report(
                &item.prov,
                format!("security.csrf.{key} {} in {}", problem.what, app.env),
                evidence,
                META.docs.fix,
            );
            finding.severity = problem.severity;
            finding.confidence = problem.confidence;
        }
        if undecided && cx.findings().is_empty() {
            cx.not_applicable();
        }
    }
}

/// Whether a `match`/`ignore` pattern (or array) matches every path.
fn covers_everything(cx: &RuleContext<'_>, pattern: &Value) -> bool {
    let covers = |item: &Value, in_array| problem(cx, item, in_array).is_some_and(|p| p.covers_all);
    match pattern.as_list() {
        Some(items) => items.iter().any(|i| covers(i, true)),
        None => covers(pattern, false),
    }
}

/// What is wrong with one `ignore` pattern, if anything. `in_array`: an empty string is
/// falsy on its own (no exemption at all) but matches every path inside an array.
fn problem(cx: &RuleContext<'_>, item: &Value, in_array: bool) -> Option<Problem> {
    let everything = || Problem {
        severity: Severity::High,
        confidence: Confidence::High,
        what: "exempts every path from the CSRF check".into(),
        covers_all: true,
    };
    match &item.kind {
        ValueKind::String(s) => {
            ((s.is_empty() && in_array) || COVERS_ALL_STRING.is_match(s)).then(everything)
        }
        ValueKind::Regex { source, flags } => {
            let re = js_regex(source, flags)?;
            if PROBE_PATHS.iter().all(|p| re.test(p) == Some(true)) {
                Some(everything())
            } else if !source.starts_with('^') {
                Some(Problem {
                    severity: Severity::Medium,
                    confidence: Confidence::Medium,
                    what: "is a RegExp without `^`: it exempts every path that merely contains \
the pattern"
                        .into(),
                    covers_all: false,
                })
            } else {
                None
            }
        }
        ValueKind::Function { .. } => {
            let text = function_text(&cx.app.root, &item.prov)?;
            function_problem(&text)
        }
        _ => None,
    }
}

/// A JS RegExp as egg-security tests it (lookarounds included).
fn js_regex(source: &str, flags: &str) -> Option<JsRegex> {
    JsRegex::new(source, flags)
}

/// Problems in the text of an `ignore` function.
fn function_problem(text: &str) -> Option<Problem> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.ends_with("=>true")
        || compact.ends_with("{returntrue;}")
        || compact.ends_with("{returntrue}")
    {
        return Some(Problem {
            severity: Severity::High,
            confidence: Confidence::High,
            what: "is a function that returns `true`: it exempts every path from the CSRF check"
                .into(),
            covers_all: true,
        });
    }
    let mut worst: Option<Problem> = None;
    let mut consider = |subject: &str, anchored: bool| {
        if anchored {
            return;
        }
        let problem = match subject_kind(subject) {
            Some(Subject::Url) => Problem {
                severity: Severity::High,
                confidence: Confidence::Medium,
                what: "is a function that tests the URL with a substring check; `ctx.url` \
includes the query string, so any route is exempt once `?/...` is appended"
                    .into(),
                covers_all: false,
            },
            Some(Subject::Path) => Problem {
                severity: Severity::Medium,
                confidence: Confidence::Medium,
                what: "is a function that tests the path with an unanchored substring check: \
every route whose path merely contains the text is exempt"
                    .into(),
                covers_all: false,
            },
            None => return,
        };
        if worst.as_ref().is_none_or(|w| problem.severity > w.severity) {
            worst = Some(problem);
        }
    };
    for call in STRING_TEST.captures_iter(text) {
        let recv = &call["recv"];
        let method = &call["method"];
        let after_call = &text[call.get(0).map_or(0, |m| m.end())..];
        let anchored = match method {
            "indexOf" => compares_to_zero(after_call),
            "match" => after_call.trim_start().starts_with("/^"),
            _ => false,
        };
        consider(recv, anchored);
    }
    for test in REGEX_TEST.captures_iter(text) {
        consider(&test["arg"], test["re"].starts_with('^'));
    }
    worst
}

/// What a string test is applied to.
enum Subject {
    /// The URL, query string included (`ctx.url`, `ctx.originalUrl`, `ctx.href`).
    Url,
    /// The path (`ctx.path`, `pathname`).
    Path,
}

/// Classifies an expression by its last property name: `ctx.request.url` is a URL,
/// `ctx.path` a path; anything else (an array of allowed paths...) is neither.
fn subject_kind(expr: &str) -> Option<Subject> {
    let last = expr
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .find(|s| !s.is_empty())?
        .to_ascii_lowercase();
    if last.ends_with("url") || matches!(last.as_str(), "href" | "querystring" | "search") {
        Some(Subject::Url)
    } else if last.contains("path") {
        Some(Subject::Path)
    } else {
        None
    }
}

/// Whether the text after `x.indexOf(` closes the call and compares the result with 0
/// (`=== 0`, `== 0`, `!== 0`): a prefix test, not a substring test.
fn compares_to_zero(after_open: &str) -> bool {
    let mut depth = 1;
    let mut quote: Option<char> = None;
    let mut chars = after_open.char_indices();
    let mut close = None;
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return false;
    };
    let rest: String = after_open[close + 1..]
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(5)
        .collect();
    ["===0", "==0", "!==0", "!=0"].iter().any(|op| {
        rest.starts_with(op)
            && !rest[op.len()..].starts_with(|c: char| c.is_ascii_digit() || c == '.')
    })
}

/// A pattern as evidence: the string, `/re/flags`, or the function's first line.
fn describe(cx: &RuleContext<'_>, value: &Value) -> String {
    match &value.kind {
        ValueKind::String(s) => format!("{s:?}"),
        ValueKind::Regex { source, flags } => format!("/{source}/{flags}"),
        ValueKind::Function { .. } => function_text(&cx.app.root, &value.prov)
            .map(|t| {
                let line = t.lines().next().unwrap_or("").trim().to_string();
                let mut short: String = line.chars().take(120).collect();
                if short.len() < line.len() || t.lines().nth(1).is_some() {
                    short.push_str(" …");
                }
                short
            })
            .unwrap_or_else(|| "a function".into()),
        ValueKind::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| describe(cx, i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "a value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model, test_model_in};
    use serde_json::json;

    fn csrf(extra: serde_json::Value) -> serde_json::Value {
        let mut csrf = json!({"enable": true});
        csrf.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"security": {"csrf": csrf}})
    }

    #[test]
    fn hit_patterns_that_cover_everything() {
        for ignore in [
            json!("/"),
            json!("*"),
            json!("(.*)"),
            json!("/:path*"),
            json!([""]),
            json!(["/webhooks", "/"]),
            json!({"$regex": "/^\\//"}),
            json!({"$regex": "/.*/"}),
            json!({"$regex": "/\\//"}),
        ] {
            let app = test_model(csrf(json!({"ignore": ignore.clone()})));
            let findings = run_rule(&CsrfExemptionTooBroad, &app);
            assert_eq!(findings.len(), 1, "{ignore}");
            assert_eq!(findings[0].severity, Severity::High, "{ignore}");
            assert!(findings[0].message.contains("every path"), "{ignore}");
        }
    }

    #[test]
    fn hit_unanchored_regex() {
        let app = test_model(csrf(json!({"blackUrls": {"$regex": "/\\/api\\//"}})));
        let findings = run_rule(&CsrfExemptionTooBroad, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(
            findings[0].evidence,
            ["security.csrf.blackUrls = /\\/api\\//"]
        );
    }

    #[test]
    fn no_hit_anchored_prefixes() {
        for config in [
            csrf(json!({"ignore": "/api"})),
            csrf(json!({"ignore": ["/webhooks/", {"$regex": "/^\\/hooks\\//i"}]})),
            csrf(json!({"ignore": ""})),
            csrf(json!({"ignore": {"$unknown": "f()"}})),
            csrf(json!({"ignore": {"$function": "config/missing.js:1:1"}})),
            csrf(json!({})),
            // CSRF off: csrf-disabled reports it.
            json!({"security": {"csrf": {"enable": false, "ignore": "/"}}}),
        ] {
            let app = test_model(config.clone());
            assert!(
                run_rule(&CsrfExemptionTooBroad, &app).is_empty(),
                "{config}"
            );
        }
    }

    #[test]
    fn match_exempts_the_rest_unless_it_covers_everything() {
        let app = test_model(csrf(json!({"match": "/admin", "ignore": "/"})));
        let findings = run_rule(&CsrfExemptionTooBroad, &app);
        assert_eq!(findings.len(), 1, "match wins over ignore");
        assert!(findings[0].message.contains("csrf.match"));
        assert_eq!(findings[0].severity, Severity::Medium);
        let app = test_model(csrf(json!({"match": {"$regex": "/^\\//"}})));
        assert!(run_rule(&CsrfExemptionTooBroad, &app).is_empty());
    }

    /// Writes `config/config.default.js` holding `source` and returns the findings for an
    /// `ignore` function starting at the first `marker` in it.
    fn function_findings(source: &str, marker: &str) -> Vec<eggsec_report::Finding> {
        let at = source.find(marker).unwrap();
        let line = source[..at].matches('\n').count() + 1;
        let column = at - source[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config/config.default.js"), source).unwrap();
        let app = test_model_in(
            dir.path(),
            csrf(
                json!({"ignore": {"$function": format!("config/config.default.js:{line}:{column}")}}),
            ),
        );
        run_rule(&CsrfExemptionTooBroad, &app)
    }

    #[test]
    fn hit_substring_tests_in_functions() {
        let url = function_findings(
            "config.security = {\n  csrf: {\n    ignore: ctx => ctx.url.indexOf('/api') !== -1,\n  },\n};\n",
            "ctx =>",
        );
        assert_eq!(url.len(), 1);
        assert_eq!(url[0].severity, Severity::High);
        assert!(url[0].message.contains("query string"));
        assert_eq!(
            url[0].evidence,
            ["security.csrf.ignore = ctx => ctx.url.indexOf('/api') !== -1"]
        );
        assert_eq!(url[0].location.to_string(), "config/config.default.js:3:13");

        let path = function_findings(
            "exports.security = { csrf: { ignore(ctx) {\n  // ctx.url.indexOf('/x')\n  return ctx.path.includes('/api');\n} } };\n",
            "(ctx) {",
        );
        assert_eq!(path.len(), 1);
        assert_eq!(path[0].severity, Severity::Medium);

        let regex = function_findings(
            "x = { ignore: ctx => /\\/hooks/.test(ctx.request.path) };",
            "ctx",
        );
        assert_eq!(regex.len(), 1);

        let all = function_findings("x = { ignore: () => true };", "()");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].severity, Severity::High);
    }

    #[test]
    fn no_hit_anchored_or_exact_tests_in_functions() {
        for source in [
            "x = { ignore: ctx => ctx.path.startsWith('/webhooks/') };",
            "x = { ignore: ctx => ctx.path.indexOf('/webhooks/') === 0 };",
            "x = { ignore: ctx => ['/a', '/b'].includes(ctx.path) };",
            "x = { ignore: ctx => /^\\/hooks\\//.test(ctx.path) };",
            "x = { ignore: ctx => ctx.url.startsWith('/webhooks/') };",
            "x = { ignore: ctx => ctx.path.match(/^\\/hooks/) };",
            "x = { ignore: ctx => ctx.get('x-signature') !== undefined };",
        ] {
            assert!(function_findings(source, "ctx").is_empty(), "{source}");
        }
    }
}
