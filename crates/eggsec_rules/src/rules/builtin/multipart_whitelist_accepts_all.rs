//! `BLT013` `multipart-whitelist-accepts-all`: `config.multipart.whitelist` is a function that
//! returns `true` for every file name, so egg-multipart accepts any upload.
//!
//! Also home of [`unconditional_return`], what a config function returns on its first
//! statement (used by the cors rule too).

use super::multipart_dangerous_extensions::accepts_uploads;
use crate::source_text::function_text;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct MultipartWhitelistAcceptsAll;

static META: RuleMeta = RuleMeta {
    code: "BLT013",
    name: "multipart-whitelist-accepts-all",
    strategy: Strategy::Builtin,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "File uploads (egg-multipart) are checked against an extension whitelist",
    docs: RuleDocs {
        what: "Finds a `config.multipart.whitelist` function whose body returns `true` without \
looking at the file name (`whitelist: () => true`, `whitelist(name) { return true; }`). \
egg-multipart calls the function for every uploaded file and accepts the file when it \
returns a truthy value, so such a function turns the extension check off.",
        why: "Without the extension check any file is accepted: `.html` and `.svg` files \
that run scripts in the app's origin when served back (stored XSS), server-side scripts, and \
executables. egg-multipart's whitelist is the only type control most Egg.js upload handlers \
have.",
        bad: r#"// config/config.default.js
module.exports = {
  multipart: {
    mode: 'file',
    whitelist: () => true,
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  multipart: {
    mode: 'file',
    whitelist: [ '.jpg', '.jpeg', '.png', '.pdf' ],
  },
};"#,
        fix: "Give `config.multipart.whitelist` the list of extensions the upload feature \
needs (an array), or a function that really checks the name against such a list:\n\n\
```js\nconst allowed = new Set([ '.jpg', '.jpeg', '.png', '.pdf' ]);\nconfig.multipart = {\n  \
whitelist: filename => allowed.has(require('path').extname(filename).toLowerCase()),\n};\n```",
    },
};

impl Rule for MultipartWhitelistAcceptsAll {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("multipart") {
            cx.not_applicable();
            return;
        }
        let Some(whitelist) = app.config_at("multipart.whitelist") else {
            cx.not_applicable();
            return;
        };
        if whitelist.is_unknown() {
            cx.not_applicable();
            return;
        }
        if whitelist.is_function() {
            let Some(source) = function_text(&app.root, &whitelist.prov) else {
                cx.not_applicable();
                return;
            };
            // A function whose first statement is not a `return` decides per file: a check.
            let returned = unconditional_return(&source);
            if returned
                .as_deref()
                .is_some_and(|r| matches!(r, "true" | "!0" | "1" | "!!1"))
            {
                let prov = whitelist.prov.clone();
                cx.report(
                    &prov,
                    "`multipart.whitelist` is a function that returns true for every file, so \
egg-multipart accepts uploads of any type",
                    vec![format!("multipart.whitelist = {}", one_line(&source, 80))],
                    META.docs.fix,
                );
                return;
            }
        }
        // A list, egg-multipart's default list or a checking function: a pass, for an app that
        // takes uploads at all.
        if !accepts_uploads(cx) {
            cx.not_applicable();
        } else if whitelist.is_function() {
            cx.fact("multipart.whitelist is a function that decides per file");
        } else if whitelist.as_list().is_some() {
            cx.fact("egg-multipart checks uploads against multipart.whitelist");
        } else {
            cx.fact("egg-multipart checks uploads against its default extension whitelist");
        }
    }
}

/// Index just past the string literal starting at `start` (quotes and template literals;
/// `${}` inside templates is skipped as text).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            c if c == quote => return i + 1,
            b'\n' if quote != b'`' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The expression a function returns on its first statement (the function's text as
/// [`function_text`] gives it, comments blanked), when that statement is a `return` (or the function is an arrow with an expression body), with comments removed and
/// whitespace collapsed: `ctx => ctx.get('origin')` → `ctx.get('origin')`. `None` when the
/// body starts with anything else (a condition, a declaration...).
pub(crate) fn unconditional_return(source: &str) -> Option<String> {
    let code = source;
    let body = match code.find("=>") {
        Some(arrow) if !code[..arrow].contains('{') => code[arrow + 2..].trim(),
        _ => code[code.find('{')?..].trim_end(),
    };
    let expr = match body.strip_prefix('{') {
        Some(block) => {
            let block = block.strip_suffix('}')?.trim();
            let rest = block.strip_prefix("return")?;
            if !rest.starts_with(|c: char| c.is_whitespace() || c == '(' || c == '!') {
                return None;
            }
            // The first statement only: up to the first `;` or line end at depth 0.
            let rest = rest.trim_start();
            let end = statement_end(rest);
            &rest[..end]
        }
        None => body,
    };
    let collapsed = expr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(';')
        .trim()
        .to_string();
    let collapsed = strip_parens(&collapsed).to_string();
    (!collapsed.is_empty()).then_some(collapsed)
}

/// `(x)` → `x` when the parentheses wrap the whole expression.
fn strip_parens(s: &str) -> &str {
    let mut s = s.trim();
    while s.starts_with('(') && s.ends_with(')') && statement_end(&s[1..]) >= s.len() - 2 {
        s = s[1..s.len() - 1].trim();
    }
    s
}

/// Byte index of the end of the first statement (`;` or newline at bracket depth 0).
fn statement_end(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return i;
                }
            }
            b';' | b'\n' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// `text` on one line, cut to `max` characters.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > max {
        format!("{}…", joined.chars().take(max).collect::<String>())
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use serde_json::json;

    fn app_with_config_source(src: &str, at: &str) -> (tempfile::TempDir, eggsec_app::AppModel) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config/config.default.js"), src).unwrap();
        let app = test_model_in(
            dir.path(),
            json!({"multipart": {"whitelist": {"$function": at}}}),
        );
        (dir, app)
    }

    #[test]
    fn returned_expressions() {
        for (src, ret) in [
            ("() => true", Some("true")),
            ("filename => true", Some("true")),
            ("(name) { return true; }", Some("true")),
            (
                "function (name) {\n           \n  return true;\n}",
                Some("true"),
            ),
            ("ctx => ctx.get('origin')", Some("ctx.get('origin')")),
            (
                "(ctx) {\n return ctx.header.origin;\n }",
                Some("ctx.header.origin"),
            ),
            ("(name) { if (x) return true; return false; }", None),
            ("(name) { const ok = check(name); return ok; }", None),
            ("name => (true)", Some("true")),
        ] {
            assert_eq!(unconditional_return(src).as_deref(), ret, "{src}");
        }
    }

    #[test]
    fn hit_arrow_returning_true() {
        let (_dir, app) = app_with_config_source(
            "module.exports = {\n  multipart: {\n    whitelist: () => true,\n  },\n};\n",
            "config/config.default.js:3:16",
        );
        let findings = run_rule(&MultipartWhitelistAcceptsAll, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.default.js:3:16"
        );
        assert_eq!(findings[0].evidence, ["multipart.whitelist = () => true"]);
    }

    #[test]
    fn hit_method_returning_true() {
        let (_dir, app) = app_with_config_source(
            "exports.multipart = {\n  whitelist(filename) {\n    return true; // all\n  },\n};\n",
            "config/config.default.js:2:12",
        );
        assert_eq!(run_rule(&MultipartWhitelistAcceptsAll, &app).len(), 1);
    }

    #[test]
    fn no_hit_for_checking_functions_arrays_or_unreadable_sources() {
        let (_dir, app) = app_with_config_source(
            "exports.multipart = {\n  whitelist: name => allowed.has(path.extname(name)),\n};\n",
            "config/config.default.js:2:14",
        );
        assert!(run_rule(&MultipartWhitelistAcceptsAll, &app).is_empty());
        let (_dir, app) = app_with_config_source(
            "exports.multipart = {\n  whitelist(name) {\n    if (name.endsWith('.png')) return true;\n    return false;\n  },\n};\n",
            "config/config.default.js:2:12",
        );
        assert!(run_rule(&MultipartWhitelistAcceptsAll, &app).is_empty());
        // the file does not exist: nothing to read, nothing reported
        let app = crate::testing::test_model(
            json!({"multipart": {"whitelist": {"$function": "config/config.default.js:3"}}}),
        );
        assert!(run_rule(&MultipartWhitelistAcceptsAll, &app).is_empty());
        let app = crate::testing::test_model(json!({"multipart": {"whitelist": [".png"]}}));
        assert!(run_rule(&MultipartWhitelistAcceptsAll, &app).is_empty());
    }
}
