//! `ERR001` `error-details-sent-to-client`: an egg-onerror handler (`config.onerror.all`,
//! `html`, `json`, `text`, `js`) writes the error's stack or message into the response body.

use crate::egg_security::is_dev_env;
use crate::source_text::function_text;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::sync::LazyLock;

pub struct ErrorDetailsSentToClient;

static META: RuleMeta = RuleMeta {
    code: "ERR001",
    name: "error-details-sent-to-client",
    strategy: Strategy::Errors,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Custom error handlers send generic messages, not stacks or internal messages",
    docs: RuleDocs {
        what: "Reads the source of the egg-onerror handlers the app configures \
(`config.onerror.all`, `html`, `json`, `text`, `js`) and finds assignments to `ctx.body` / \
`this.body` that include the error's `stack`, or its `message` (or the error turned into a \
string) without a guard on `err.expose` or the status. Custom handlers replace egg-onerror's \
own, which hides details outside `local`/`unittest`.",
        why: "Stack traces and internal error messages tell an attacker the file layout, \
library versions, SQL statements and table names, hostnames and sometimes secrets in \
connection strings — the map for the next attack. egg-onerror's built-in handlers send only a \
status text for 5xx errors in production; a custom handler that echoes `err.message` or \
`err.stack` undoes that.",
        bad: r#"// config/config.default.js
module.exports = {
  onerror: {
    all(err, ctx) {
      ctx.body = { error: err.message, stack: err.stack };
      ctx.status = err.status || 500;
    },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  onerror: {
    all(err, ctx) {
      const status = err.status || 500;
      // 4xx messages are meant for the client (ctx.throw(400, 'bad email')); 5xx are not
      ctx.body = { error: status < 500 && err.expose ? err.message : 'Internal Server Error' };
      ctx.status = status;
    },
  },
};"#,
        fix: "Send a generic message for server errors and keep details in the log (egg-onerror \
already logs every error): use `err.message` only when `err.expose` is true (set by \
`ctx.throw(4xx, ...)`), never `err.stack`. Or delete the custom handler so egg-onerror's \
production behaviour applies.",
    },
};

/// egg-onerror's handler hooks that write a response.
const HOOKS: &[&str] = &["all", "html", "json", "text", "js"];

/// `ctx.body =`, `this.body =`, `ctx.response.body =` (the caller skips `==`).
static BODY_ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:ctx|this|context)\s*(?:\.\s*response)?\s*\.\s*body\s*=").expect("valid regex")
});

/// A comparison of a status with a 5xx number: the handler tells server errors apart.
static STATUS_GUARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"status\s*(?:<|>=|>|<=|===|==|!==|!=)\s*5\d\d|5\d\d\s*(?:<|>=|>|<=)\s*\w*status")
        .expect("valid regex")
});

/// `const x = err.message` / `let s = error.stack`.
static ALIAS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*([A-Za-z_$][\w$]*)\s*\.\s*(stack|message)\b")
        .expect("valid regex")
});

impl Rule for ErrorDetailsSentToClient {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) || !app.plugin_enabled("onerror") {
            cx.not_applicable();
            return;
        }
        let Some(onerror) = app.config_at("onerror") else {
            cx.not_applicable();
            return;
        };
        // Custom handlers read; one that cannot be read leaves the control undecided.
        let (mut judged, mut unreadable) = (0, false);
        for hook in HOOKS {
            let Some(handler) = onerror.get(hook).filter(|v| v.is_function()) else {
                continue;
            };
            let Some(text) = function_text(&app.root, &handler.prov) else {
                unreadable = true;
                continue;
            };
            judged += 1;
            let Some(leak) = find_leak(&text) else {
                continue;
            };
            cx.report(
                &handler.prov,
                format!(
                    "config.onerror.{hook} sends the error's {} to the client in {}",
                    leak.what, app.env
                ),
                vec![format!("onerror.{hook}: {}", leak.line)],
                META.docs.fix,
            );
        }
        // No custom `config.onerror` handler: egg-onerror's own pages apply (what they show
        // in prod is other rules' business).
        if cx.findings().is_empty() && (judged == 0 || unreadable) {
            cx.not_applicable();
        }
    }
}

/// A detail written into the body.
struct Leak {
    /// `stack`, `message`.
    what: &'static str,
    /// The assignment, trimmed.
    line: String,
}

/// Finds a body assignment in a handler's text that carries the error's stack or (unguarded)
/// message.
fn find_leak(text: &str) -> Option<Leak> {
    let err = first_param(text).unwrap_or_else(|| "err".into());
    let guarded = text.contains("expose") || STATUS_GUARD.is_match(text);
    // Variables that hold the stack or message.
    let mut stack_vars = Vec::new();
    let mut message_vars = Vec::new();
    for alias in ALIAS.captures_iter(text) {
        if alias[2] == err {
            match &alias[3] {
                "stack" => stack_vars.push(alias[1].to_string()),
                _ => message_vars.push(alias[1].to_string()),
            }
        }
    }
    let e = regex::escape(&err);
    let stack = Regex::new(&format!(r"\b{e}\s*\??\.\s*stack\b")).expect("valid regex");
    let message = Regex::new(&format!(
        r"\b{e}\s*\??\.\s*(?:message\b|toString\s*\()|\bString\s*\(\s*{e}\s*\)|\$\{{\s*{e}\s*\}}"
    ))
    .expect("valid regex");
    let uses_var = |rhs: &str, vars: &[String]| {
        vars.iter().any(|v| {
            Regex::new(&format!(r"\b{}\b", regex::escape(v)))
                .expect("valid regex")
                .is_match(rhs)
        })
    };
    for assign in BODY_ASSIGN.find_iter(text) {
        let after = &text[assign.end()..];
        if after.starts_with('=') {
            continue;
        }
        let rhs = statement_rest(after);
        let line = format!("{}{rhs}", assign.as_str())
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let line: String = line.chars().take(160).collect();
        if stack.is_match(rhs) || uses_var(rhs, &stack_vars) {
            return Some(Leak {
                what: "stack",
                line,
            });
        }
        if !guarded && (message.is_match(rhs) || uses_var(rhs, &message_vars)) {
            return Some(Leak {
                what: "message",
                line,
            });
        }
    }
    None
}

/// The handler's first parameter name: `err` in `(err, ctx) {`, `function (err) {`, `err =>`.
fn first_param(text: &str) -> Option<String> {
    let ident = |s: &str| -> Option<String> {
        let name: String = s
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        (!name.is_empty()).then_some(name)
    };
    let head = text.split("=>").next().unwrap_or(text);
    match head.find('(') {
        Some(open) if !head[..open].contains('{') => ident(&head[open + 1..]),
        _ => {
            let bare = head.trim_start().strip_prefix("async ").unwrap_or(head);
            ident(bare)
        }
    }
}

/// The rest of a statement: up to a `;`, or a line break, outside brackets and strings.
fn statement_rest(text: &str) -> &str {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => {
                depth -= 1;
                if depth < 0 {
                    return &text[..i];
                }
            }
            (None, ';') if depth == 0 => return &text[..i],
            (None, '\n') if depth == 0 => return &text[..i],
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model, test_model_in};
    use serde_json::json;

    #[test]
    fn leaks_in_handler_texts() {
        for (text, what) in [
            (
                "(err, ctx) {\n  ctx.body = { error: err.message, stack: err.stack };\n}",
                "stack",
            ),
            (
                "(err, ctx) {\n  ctx.body = err.message;\n  ctx.status = 500;\n}",
                "message",
            ),
            (
                "function (error) { this.body = `Oops: ${error}`; }",
                "message",
            ),
            (
                "(e, ctx) => { const s = e.stack; ctx.body = { s }; }",
                "stack",
            ),
            (
                "async json(err, ctx) {\n  ctx.response.body = {\n    msg: String(err),\n  };\n}",
                "message",
            ),
            // The guard covers the message, never the stack.
            (
                "(err, ctx) { ctx.body = err.status < 500 ? err.message : err.stack; }",
                "stack",
            ),
        ] {
            let leak = find_leak(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(leak.what, what, "{text}");
        }
    }

    #[test]
    fn no_leaks_in_safe_handlers() {
        for text in [
            "(err, ctx) { ctx.body = { error: 'Internal Server Error' }; ctx.logger.error(err.stack); }",
            "(err, ctx) { ctx.body = err.expose ? err.message : 'Internal Server Error'; }",
            "(err, ctx) {\n  const status = err.status || 500;\n  ctx.body = status >= 500 ? 'Server Error' : err.message;\n}",
            "(err, ctx) { // ctx.body = err.stack\n  ctx.body = 'error'; }",
            "(err, ctx) { ctx.body = err; }",
            "(err, ctx) { if (ctx.body == err.message) {} }",
        ] {
            // Comments are blanked by function_text; emulate that here for the comment case.
            let text = text.replace("// ctx.body = err.stack", "                       ");
            assert!(find_leak(&text).is_none(), "{text}");
        }
    }

    fn model_with_handler(source: &str, marker: &str) -> (tempfile::TempDir, eggsec_app::AppModel) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config/config.default.js"), source).unwrap();
        let at = source.find(marker).unwrap();
        let line = source[..at].matches('\n').count() + 1;
        let column = at - source[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        let app = test_model_in(
            dir.path(),
            json!({"onerror": {"all": {"$function": format!("config/config.default.js:{line}:{column}")}}}),
        );
        (dir, app)
    }

    #[test]
    fn hit_on_a_config_handler() {
        let source = "module.exports = {\n  onerror: {\n    all(err, ctx) {\n      ctx.body = err.stack;\n    },\n  },\n};\n";
        let (_dir, app) = model_with_handler(source, "(err, ctx)");
        let found = run_rule(&ErrorDetailsSentToClient, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:3:8"
        );
        assert_eq!(found[0].evidence, ["onerror.all: ctx.body = err.stack"]);
    }

    #[test]
    fn no_hit_when_onerror_disabled_local_or_unreadable() {
        let source =
            "module.exports = { onerror: { all: (err, ctx) => { ctx.body = err.stack; } } };\n";
        let (_dir, mut app) = model_with_handler(source, "(err, ctx)");
        set_plugin(&mut app, "onerror", false);
        assert!(run_rule(&ErrorDetailsSentToClient, &app).is_empty());
        let (_dir, mut app) = model_with_handler(source, "(err, ctx)");
        app.env = "local".into();
        assert!(run_rule(&ErrorDetailsSentToClient, &app).is_empty());
        let app = test_model(json!({"onerror": {"all": {"$function": "config/nowhere.js:1:1"}}}));
        assert!(run_rule(&ErrorDetailsSentToClient, &app).is_empty());
    }
}
