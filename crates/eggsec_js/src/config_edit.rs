//! Config-file edits: set one key path (`security.csrf.enable`) in the object a
//! `config/config.*.js|ts` file really exports, keeping the file's formatting and comments.
//!
//! The exported object is found the way egg reads the file: the *last* `module.exports = X`
//! (`exports.x = ...` lines before it are dead and ignored), `export default X`, `exports.x = ...`
//! statements when nothing reassigns `module.exports`; X may be an object literal, a local
//! `const config = {...}` (with `config.a.b = ...` statements), a function or arrow (`appInfo =>
//! ({...})`, or a body whose last `return` gives an object literal, a local, or `{ ...config,
//! ...userConfig }`), `defineConfig(...)`, with TS `as`/`satisfies`/type annotations.
//!
//! The edit goes where the effective value is written (the last write of the key or of one of
//! its parents); a key written nowhere is added to the exported object (a property, or a
//! `config.key = ...` statement before the `return`). A parent that is computed (`base.csrf`,
//! a call) is refused with a message, never guessed around.
//!
//! ```
//! use eggsec_js::config_edit::{plan_set, SetResult};
//! use eggsec_js::edit::apply;
//! let text = "module.exports = appInfo => {\n  const config = exports = {};\n  // security\n  config.security = {\n    csrf: false, // TODO\n  };\n  return { ...config };\n};\n";
//! let key = ["security".to_string(), "csrf".to_string(), "enable".to_string()];
//! let SetResult::Edits(edits) = plan_set(std::path::Path::new("config/config.default.js"), text, &key, "true").unwrap() else { panic!() };
//! assert_eq!(apply(text, &edits), "module.exports = appInfo => {\n  const config = exports = {};\n  // security\n  config.security = {\n    csrf: {\n      enable: true,\n    }, // TODO\n  };\n  return { ...config };\n};\n");
//! ```

use crate::edit::{indent_of, is_identifier, object_key, with_program, TextEdit};
use crate::error::JsError;
use crate::uses::{chain_of, key_name};
use oxc::ast::ast::*;
use oxc::span::{GetSpan, Span};
use std::path::Path;

/// What setting a key would do to a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetResult {
    /// The edits (apply with [`crate::edit::apply`]).
    Edits(Vec<TextEdit>),
    /// The key already holds exactly this value (as written).
    Unchanged,
    /// The edit cannot be made safely; the message says why and where.
    Refused(String),
}

/// One write of (a prefix of) a key path, in evaluation order.
struct Ev<'a> {
    path: Vec<String>,
    value: &'a Expression<'a>,
}

enum Insert<'a> {
    /// Add a property to this object literal.
    Object(&'a ObjectExpression<'a>),
    /// Add `var.key = ...;` after the statement ending at `after` (starting at `line_at`).
    Statement {
        var: String,
        after: u32,
        line_at: u32,
    },
    None,
}

struct Target<'a> {
    events: Vec<Ev<'a>>,
    insert: Insert<'a>,
}

/// The exported config object's writes and where to add a key, or why it cannot be found.
fn exported<'a>(program: &'a Program<'a>) -> Result<Target<'a>, String> {
    let body = &program.body;
    let mut export: Option<&'a Expression<'a>> = None;
    let mut export_fn: Option<&'a Function<'a>> = None;
    let mut exports_seen = false;
    for stmt in body.iter() {
        match stmt {
            Statement::ExpressionStatement(es) => {
                let Expression::AssignmentExpression(a) = es.expression.get_inner_expression()
                else {
                    continue;
                };
                if assigns_module_exports(a) {
                    export = Some(rightmost(&a.right));
                    export_fn = None;
                } else if let Some(m) = a.left.as_member_expression() {
                    let (root, path) = chain_of(m.object());
                    if root == "exports"
                        || (root == "module" && path.first().is_some_and(|p| p == "exports"))
                    {
                        exports_seen = true;
                    }
                }
            }
            Statement::ExportDefaultDeclaration(ed) => match &ed.declaration {
                ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                    export_fn = Some(&**f);
                    export = None;
                }
                other => {
                    if let Some(e) = other.as_expression() {
                        export = Some(e);
                        export_fn = None;
                    }
                }
            },
            _ => {}
        }
    }
    if let Some(f) = export_fn {
        return function_target(f.body.as_deref(), body)
            .ok_or_else(|| "the exported function returns no object this edit understands".into());
    }
    if let Some(e) = export {
        return resolve(e, body, body, 0)
            .ok_or_else(|| "cannot tell which object this file exports (edit it by hand)".into());
    }
    if exports_seen || body.is_empty() {
        return Ok(var_target("exports", None, body, body));
    }
    Err(
        "this file exports no config object (no `module.exports`, `exports.x` or `export default`)"
            .into(),
    )
}

/// `module.exports = X`, `exports = module.exports = X`, `module.exports = exports = X`.
fn assigns_module_exports(a: &AssignmentExpression<'_>) -> bool {
    let is_me = |t: &AssignmentTarget<'_>| {
        t.as_member_expression().is_some_and(|m| {
            matches!(m.object().get_inner_expression(), Expression::Identifier(id) if id.name == "module")
                && m.static_property_name() == Some("exports")
        })
    };
    if is_me(&a.left) {
        return true;
    }
    if let AssignmentTarget::AssignmentTargetIdentifier(id) = &a.left {
        if id.name == "exports" {
            if let Expression::AssignmentExpression(inner) = a.right.get_inner_expression() {
                return assigns_module_exports(inner);
            }
        }
    }
    false
}

/// The value at the end of `a = b = X`.
fn rightmost<'a>(e: &'a Expression<'a>) -> &'a Expression<'a> {
    match e.get_inner_expression() {
        Expression::AssignmentExpression(a) => rightmost(&a.right),
        other => other,
    }
}

fn resolve<'a>(
    e: &'a Expression<'a>,
    scope: &'a [Statement<'a>],
    top: &'a [Statement<'a>],
    depth: u32,
) -> Option<Target<'a>> {
    if depth > 8 {
        return None;
    }
    match e.get_inner_expression() {
        Expression::ObjectExpression(o) => Some(object_target(o, scope)),
        Expression::Identifier(id) => {
            let name = id.name.as_str();
            for s in [scope, top] {
                if let Some(init) = declared(name, s) {
                    return match rightmost(init) {
                        Expression::ObjectExpression(o) => Some(var_target(name, Some(o), s, s)),
                        other => resolve(other, s, top, depth + 1),
                    };
                }
                if let Some(f) = declared_function(name, s) {
                    return function_target(f.body.as_deref(), top);
                }
            }
            None
        }
        Expression::ArrowFunctionExpression(f) => match &f.body {
            ArrowFunctionBody::FunctionBody(b) => function_target(Some(b), top),
            other => resolve(other.as_expression()?, scope, top, depth + 1),
        },
        Expression::FunctionExpression(f) => function_target(f.body.as_deref(), top),
        Expression::CallExpression(c) => {
            let Expression::Identifier(callee) = c.callee.get_inner_expression() else {
                return None;
            };
            if !callee.name.starts_with("defineConfig") {
                return None;
            }
            resolve(c.arguments.first()?.as_expression()?, scope, top, depth + 1)
        }
        _ => None,
    }
}

fn function_target<'a>(
    body: Option<&'a FunctionBody<'a>>,
    top: &'a [Statement<'a>],
) -> Option<Target<'a>> {
    let stmts = &body?.statements;
    let ret = stmts.iter().rev().find_map(|s| match s {
        Statement::ReturnStatement(r) => r.argument.as_ref(),
        _ => None,
    })?;
    resolve(ret, stmts, top, 1)
}

/// `const|let|var name = init` in `stmts`.
fn declared<'a>(name: &str, stmts: &'a [Statement<'a>]) -> Option<&'a Expression<'a>> {
    stmts.iter().find_map(|s| match s {
        Statement::VariableDeclaration(d) => {
            d.declarations.iter().find_map(|decl| match &decl.id {
                BindingPattern::BindingIdentifier(id) if id.name == name => decl.init.as_ref(),
                _ => None,
            })
        }
        _ => None,
    })
}

fn declared_function<'a>(name: &str, stmts: &'a [Statement<'a>]) -> Option<&'a Function<'a>> {
    stmts.iter().find_map(|s| match s {
        Statement::FunctionDeclaration(f) if f.id.as_ref().is_some_and(|id| id.name == name) => {
            Some(&**f)
        }
        _ => None,
    })
}

/// An exported object literal; its `...local` spreads contribute their writes in order.
fn object_target<'a>(o: &'a ObjectExpression<'a>, scope: &'a [Statement<'a>]) -> Target<'a> {
    let mut events = Vec::new();
    let mut insert = Insert::Object(o);
    let mut first_var = true;
    for p in &o.properties {
        match p {
            ObjectPropertyKind::SpreadProperty(s) => {
                if let Expression::Identifier(id) = s.argument.get_inner_expression() {
                    if let Some(init) = declared(id.name.as_str(), scope) {
                        if let Expression::ObjectExpression(init) = rightmost(init) {
                            let t = var_target(id.name.as_str(), Some(init), scope, scope);
                            events.extend(t.events);
                            // `return { ...config, ...userConfig }`: new keys go on `config`.
                            if first_var {
                                insert = t.insert;
                                first_var = false;
                            }
                        }
                    }
                }
            }
            ObjectPropertyKind::ObjectProperty(p) => {
                if let Some(k) = key_name(&p.key) {
                    events.push(Ev {
                        path: vec![k],
                        value: &p.value,
                    });
                }
            }
        }
    }
    Target { events, insert }
}

/// The writes to a local object `name` (its initializer, then `name.a.b = v` statements).
fn var_target<'a>(
    name: &str,
    init: Option<&'a ObjectExpression<'a>>,
    stmts: &'a [Statement<'a>],
    _top: &'a [Statement<'a>],
) -> Target<'a> {
    let mut events = Vec::new();
    let mut after: Option<(u32, u32)> = None;
    for s in stmts {
        match s {
            Statement::VariableDeclaration(d) => {
                let mine = d.declarations.iter().any(
                    |decl| matches!(&decl.id, BindingPattern::BindingIdentifier(id) if id.name == name),
                );
                if mine {
                    if let Some(o) = init {
                        for p in &o.properties {
                            if let ObjectPropertyKind::ObjectProperty(p) = p {
                                if let Some(k) = key_name(&p.key) {
                                    events.push(Ev {
                                        path: vec![k],
                                        value: &p.value,
                                    });
                                }
                            }
                        }
                    }
                    after = Some((d.span.end, d.span.start));
                }
            }
            Statement::ExpressionStatement(es) => {
                let Expression::AssignmentExpression(a) = es.expression.get_inner_expression()
                else {
                    continue;
                };
                let Some(m) = a.left.as_member_expression() else {
                    continue;
                };
                let (root, mut path) = chain_of(m.object());
                let Some(prop) = m.static_property_name() else {
                    continue;
                };
                path.push(prop.to_string());
                let path = if root == name {
                    path
                } else if name == "exports"
                    && root == "module"
                    && path.first().is_some_and(|p| p == "exports")
                {
                    path[1..].to_vec()
                } else {
                    continue;
                };
                if path.is_empty() {
                    continue;
                }
                events.push(Ev {
                    path,
                    value: &a.right,
                });
                after = Some((es.span.end, es.span.start));
            }
            _ => {}
        }
    }
    let insert = match after {
        Some((after, line_at)) => Insert::Statement {
            var: name.to_string(),
            after,
            line_at,
        },
        None if name == "exports" => Insert::Statement {
            var: name.to_string(),
            after: u32::MAX,
            line_at: u32::MAX,
        },
        None => Insert::None,
    };
    Target { events, insert }
}

/// Where the new value goes.
enum Action<'a> {
    /// Replace this expression (with the rest of the key nested around the value).
    Replace(&'a Expression<'a>, Vec<String>),
    /// Add `rest` to this object.
    Add(&'a ObjectExpression<'a>, Vec<String>),
    Refuse(String),
}

fn descend<'a>(value: &'a Expression<'a>, rest: &[String], text: &str) -> Action<'a> {
    if rest.is_empty() {
        return Action::Replace(value, Vec::new());
    }
    match value.get_inner_expression() {
        Expression::ObjectExpression(o) => {
            let found = o.properties.iter().rev().find_map(|p| match p {
                ObjectPropertyKind::ObjectProperty(p)
                    if key_name(&p.key).as_deref() == Some(rest[0].as_str()) =>
                {
                    Some(p)
                }
                _ => None,
            });
            match found {
                Some(p) if p.shorthand => Action::Refuse(format!(
                    "`{}` is a shorthand property (its value is a variable); set `{}` by hand",
                    rest[0],
                    rest.join(".")
                )),
                Some(p) => descend(&p.value, &rest[1..], text),
                None => Action::Add(o, rest.to_vec()),
            }
        }
        Expression::BooleanLiteral(_)
        | Expression::NullLiteral(_)
        | Expression::NumericLiteral(_)
        | Expression::StringLiteral(_) => Action::Replace(value, rest.to_vec()),
        Expression::Identifier(id) if id.name == "undefined" => {
            Action::Replace(value, rest.to_vec())
        }
        other => {
            let span = other.span();
            let src = text
                .get(span.start as usize..span.end as usize)
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("");
            Action::Refuse(format!(
                "the value holding `{}` is computed (`{}`); set it by hand",
                rest.join("."),
                truncate(src, 60)
            ))
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// The indentation unit of a file (a tab, or the smallest run of leading spaces; 2 by default).
fn indent_unit(text: &str) -> String {
    let mut best: Option<usize> = None;
    for line in text.lines() {
        let body = line.trim_start();
        if body.starts_with('*') || body.starts_with("//") || body.starts_with("/*") {
            continue;
        }
        if line.starts_with('\t') {
            return "\t".into();
        }
        let n = line.len() - line.trim_start_matches(' ').len();
        if n > 0 && n < line.len() && best.is_none_or(|b| n < b) {
            best = Some(n);
        }
    }
    " ".repeat(best.unwrap_or(2).clamp(1, 8))
}

/// `keys` nested around `value`: `{\n  k: v,\n}` (multi-line, at `indent`) or `{ k: v }`.
fn render(keys: &[String], value: &str, indent: &str, unit: &str, multiline: bool) -> String {
    let Some((k, rest)) = keys.split_first() else {
        return value.to_string();
    };
    if multiline {
        let inner = format!("{indent}{unit}");
        format!(
            "{{\n{inner}{}: {},\n{indent}}}",
            object_key(k),
            render(rest, value, &inner, unit, true)
        )
    } else {
        format!(
            "{{ {}: {} }}",
            object_key(k),
            render(rest, value, "", unit, false)
        )
    }
}

fn semicolons(text: &str) -> bool {
    let (mut with, mut without) = (0, 0);
    for line in text.lines() {
        let l = line.trim_end();
        if l.is_empty() || l.starts_with("//") || l.starts_with('*') || l.starts_with("/*") {
            continue;
        }
        if l.ends_with(';') {
            with += 1;
        } else if l.ends_with(')') || l.ends_with('\'') || l.ends_with('"') {
            without += 1;
        }
    }
    with >= without
}

/// Plans setting `key` to `value` (JS source, e.g. `true`, `'DENY'`, `process.env.EGG_KEYS`)
/// in the object the file exports.
pub fn plan_set(
    path: &Path,
    text: &str,
    key: &[String],
    value: &str,
) -> Result<SetResult, JsError> {
    let key = key.to_vec();
    let value = value.to_string();
    with_program(path, text, move |program, text| {
        plan_in(program, text, &key, &value)
    })
}

fn plan_in(program: &Program<'_>, text: &str, key: &[String], value: &str) -> SetResult {
    if key.is_empty() {
        return SetResult::Refused("empty key".into());
    }
    let target = match exported(program) {
        Ok(t) => t,
        Err(why) => return SetResult::Refused(why),
    };
    let unit = indent_unit(text);
    let last = target
        .events
        .iter()
        .rev()
        .find(|e| e.path.len() <= key.len() && key.starts_with(&e.path));
    let action = match last {
        Some(e) => descend(e.value, &key[e.path.len()..], text),
        None => match &target.insert {
            Insert::Object(o) => Action::Add(o, key.to_vec()),
            Insert::Statement {
                var,
                after,
                line_at,
            } => {
                let (after, line_at) = if *after == u32::MAX {
                    (text.trim_end().len(), text.trim_end().len())
                } else {
                    (*after as usize, *line_at as usize)
                };
                let indent = indent_of(text, line_at);
                let semi = if semicolons(text) { ";" } else { "" };
                let lhs = if is_identifier(&key[0]) {
                    format!("{var}.{}", key[0])
                } else {
                    format!("{var}[{}]", object_key(&key[0]))
                };
                let sep = if after == 0 { "" } else { "\n" };
                let rhs = render(&key[1..], value, &indent, &unit, true);
                let mut insert = format!("{sep}{indent}{lhs} = {rhs}{semi}");
                if after == 0 || (after == text.len() && !text.is_empty()) {
                    insert.push('\n');
                }
                return SetResult::Edits(vec![TextEdit {
                    start: after,
                    end: after,
                    text: insert,
                }]);
            }
            Insert::None => {
                return SetResult::Refused(
                    "cannot tell where to add a key to the exported object".into(),
                )
            }
        },
    };
    match action {
        Action::Refuse(why) => SetResult::Refused(why),
        Action::Replace(expr, rest) => {
            let span = expr.span();
            let old = text
                .get(span.start as usize..span.end as usize)
                .unwrap_or("");
            if rest.is_empty() && old == value {
                return SetResult::Unchanged;
            }
            let indent = indent_of(text, span.start as usize);
            SetResult::Edits(vec![TextEdit {
                start: span.start as usize,
                end: span.end as usize,
                text: render(&rest, value, &indent, &unit, true),
            }])
        }
        Action::Add(o, rest) => SetResult::Edits(add_property(o, text, &rest, value, &unit)),
    }
}

fn add_property(
    o: &ObjectExpression<'_>,
    text: &str,
    keys: &[String],
    value: &str,
    unit: &str,
) -> Vec<TextEdit> {
    let (k, rest) = keys.split_first().expect("non-empty key");
    let Some(last) = o.properties.last() else {
        let indent = indent_of(text, o.span.start as usize);
        let inner = format!("{indent}{unit}");
        return vec![TextEdit {
            start: o.span.start as usize,
            end: o.span.end as usize,
            text: format!(
                "{{\n{inner}{}: {},\n{indent}}}",
                object_key(k),
                render(rest, value, &inner, unit, true)
            ),
        }];
    };
    let last_end = last.span().end as usize;
    let close = o.span.end as usize - 1;
    let after = text.get(last_end..close).unwrap_or("");
    let comma_at = after
        .char_indices()
        .find(|(_, c)| !c.is_whitespace())
        .filter(|(_, c)| *c == ',')
        .map(|(i, _)| last_end + i);
    let open_to_first = text
        .get(o.span.start as usize..o.properties[0].span().start as usize)
        .unwrap_or("");
    let multiline = after.contains('\n') || open_to_first.contains('\n');
    if !multiline {
        let prop = format!(
            "{}: {}",
            object_key(k),
            render(rest, value, "", unit, false)
        );
        let (at, text) = match comma_at {
            Some(c) => (c + 1, format!(" {prop},")),
            None => (last_end, format!(", {prop}")),
        };
        return vec![TextEdit {
            start: at,
            end: at,
            text,
        }];
    }
    let indent = indent_of(text, last.span().start as usize);
    let mut edits = Vec::new();
    let trailing = comma_at.is_some();
    if !trailing {
        edits.push(TextEdit {
            start: last_end,
            end: last_end,
            text: ",".into(),
        });
    }
    let from = comma_at.map_or(last_end, |c| c + 1);
    let eol = text[from..close].find('\n').map_or(close, |i| from + i);
    let comma = if trailing { "," } else { "" };
    edits.push(TextEdit {
        start: eol,
        end: eol,
        text: format!(
            "\n{indent}{}: {}{comma}",
            object_key(k),
            render(rest, value, &indent, unit, true)
        ),
    });
    edits
}

/// The source text of the value the file's exported object holds at `key`, when it is written
/// as such (not computed).
pub fn written_value(path: &Path, text: &str, key: &[String]) -> Result<Option<String>, JsError> {
    let key = key.to_vec();
    with_program(path, text, move |program, text| {
        let target = exported(program).ok()?;
        let e = target
            .events
            .iter()
            .rev()
            .find(|e| e.path.len() <= key.len() && key.starts_with(&e.path))?;
        match descend(e.value, &key[e.path.len()..], text) {
            Action::Replace(expr, rest) if rest.is_empty() => {
                let span: Span = expr.span();
                text.get(span.start as usize..span.end as usize)
                    .map(str::to_string)
            }
            _ => None,
        }
    })
}

/// Whether the file exports its object through a function (`module.exports = () => ({...})`,
/// `export default (appInfo) => {...}`, `defineConfig(...)`): `exports.x = ...` lines are then
/// dead, and edits must go through [`plan_set`].
pub fn exports_through_function(path: &Path, text: &str) -> Result<bool, JsError> {
    with_program(path, text, |program, _| {
        let mut last: Option<bool> = None;
        for stmt in &program.body {
            match stmt {
                Statement::ExpressionStatement(es) => {
                    if let Expression::AssignmentExpression(a) =
                        es.expression.get_inner_expression()
                    {
                        if assigns_module_exports(a) {
                            last = Some(is_function_like(rightmost(&a.right)));
                        }
                    }
                }
                Statement::ExportDefaultDeclaration(ed) => {
                    last = Some(match &ed.declaration {
                        ExportDefaultDeclarationKind::FunctionDeclaration(_) => true,
                        other => other.as_expression().is_some_and(is_function_like),
                    });
                }
                _ => {}
            }
        }
        last.unwrap_or(false)
    })
}

fn is_function_like(e: &Expression<'_>) -> bool {
    matches!(
        e.get_inner_expression(),
        Expression::ArrowFunctionExpression(_)
            | Expression::FunctionExpression(_)
            | Expression::CallExpression(_)
    )
}

/// The text of a new config file for `config/config.<env>.<ext>`: an empty exported object the
/// edits then fill (`module.exports = {};`, or `export default {};` for TS/ESM).
pub fn empty_config_file(ts_or_esm: bool) -> String {
    if ts_or_esm {
        "export default {};\n".into()
    } else {
        "'use strict';\n\nmodule.exports = {};\n".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;

    fn set(file: &str, text: &str, key: &str, value: &str) -> String {
        let key: Vec<String> = key.split('.').map(str::to_string).collect();
        match plan_set(Path::new(file), text, &key, value).unwrap() {
            SetResult::Edits(e) => apply(text, &e),
            SetResult::Unchanged => text.to_string(),
            SetResult::Refused(why) => panic!("refused: {why}"),
        }
    }

    fn k(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn object_literal_export() {
        let text = "'use strict';\n\nmodule.exports = {\n  keys: 'x', // keys\n  security: {\n    csrf: { enable: false },\n  },\n};\n";
        let out = set("c.js", text, "security.csrf.enable", "true");
        assert_eq!(out, text.replace("enable: false", "enable: true"));
        let out = set("c.js", &out, "security.hsts.enable", "true");
        assert_eq!(
            out,
            "'use strict';\n\nmodule.exports = {\n  keys: 'x', // keys\n  security: {\n    csrf: { enable: true },\n    hsts: {\n      enable: true,\n    },\n  },\n};\n"
        );
        let out2 = set("c.js", &out, "logger.level", "'INFO'");
        assert!(
            out2.ends_with("  },\n  logger: {\n    level: 'INFO',\n  },\n};\n"),
            "{out2}"
        );
        // Idempotent.
        assert_eq!(
            plan_set(Path::new("c.js"), &out2, &k("logger.level"), "'INFO'").unwrap(),
            SetResult::Unchanged
        );
    }

    #[test]
    fn function_forms() {
        let arrow = "module.exports = () => ({\n  keys: 'k',\n});\n";
        assert_eq!(
            set("c.js", arrow, "security.xframe.enable", "true"),
            "module.exports = () => ({\n  keys: 'k',\n  security: {\n    xframe: {\n      enable: true,\n    },\n  },\n});\n"
        );
        let boiler = "module.exports = appInfo => {\n  const config = exports = {};\n  config.keys = appInfo.name + '_1';\n  const userConfig = {\n    // myAppName: 'egg',\n  };\n  return {\n    ...config,\n    ...userConfig,\n  };\n};\n";
        assert_eq!(
            set("c.js", boiler, "security.csrf.ignoreJSON", "false"),
            "module.exports = appInfo => {\n  const config = exports = {};\n  config.keys = appInfo.name + '_1';\n  config.security = {\n    csrf: {\n      ignoreJSON: false,\n    },\n  };\n  const userConfig = {\n    // myAppName: 'egg',\n  };\n  return {\n    ...config,\n    ...userConfig,\n  };\n};\n"
        );
        let ts = "import { EggAppConfig, PowerPartial } from 'egg';\n\nexport default (appInfo: any) => {\n  const config = {} as PowerPartial<EggAppConfig>;\n  config.keys = appInfo.name;\n  const bizConfig = {\n    security: { csrf: { enable: false } },\n  };\n  return { ...config, ...bizConfig };\n};\n";
        assert_eq!(
            set("c.ts", ts, "security.csrf.enable", "true"),
            ts.replace("enable: false", "enable: true")
        );
        let func = "module.exports = function (appInfo) {\n  return { keys: 'k' };\n};\n";
        assert_eq!(
            set("c.js", func, "logger.level", "'INFO'"),
            "module.exports = function (appInfo) {\n  return { keys: 'k', logger: { level: 'INFO' } };\n};\n"
        );
    }

    #[test]
    fn dead_exports_lines_are_not_edited() {
        // `exports.x` before `module.exports = ...` is dead: egg reads the function.
        let text = "exports.security = { csrf: { enable: false } };\nmodule.exports = () => ({\n  security: { csrf: { enable: false } },\n});\n";
        let out = set("c.js", text, "security.csrf.enable", "true");
        assert_eq!(
            out,
            "exports.security = { csrf: { enable: false } };\nmodule.exports = () => ({\n  security: { csrf: { enable: true } },\n});\n"
        );
    }

    #[test]
    fn exports_dot_statements_and_empty_files() {
        let text =
            "'use strict';\n\nexports.keys = 'k';\n\nexports.security = {\n  csrf: false,\n};\n";
        assert_eq!(
            set("c.js", text, "security.csrf.enable", "true"),
            "'use strict';\n\nexports.keys = 'k';\n\nexports.security = {\n  csrf: {\n    enable: true,\n  },\n};\n"
        );
        assert_eq!(
            set("c.js", "exports.keys = 'k';\n", "proxy", "true"),
            "exports.keys = 'k';\nexports.proxy = true;\n"
        );
        assert_eq!(
            set("c.js", &empty_config_file(false), "security.hsts.maxAge", "31536000"),
            "'use strict';\n\nmodule.exports = {\n  security: {\n    hsts: {\n      maxAge: 31536000,\n    },\n  },\n};\n"
        );
        assert_eq!(
            set("c.ts", &empty_config_file(true), "security.csp.policy.script-src", "[ \"'self'\" ]"),
            "export default {\n  security: {\n    csp: {\n      policy: {\n        'script-src': [ \"'self'\" ],\n      },\n    },\n  },\n};\n"
        );
    }

    #[test]
    fn computed_values_are_refused() {
        let text =
            "const base = require('./base');\nmodule.exports = { security: base.security };\n";
        let r = plan_set(Path::new("c.js"), text, &k("security.csrf.enable"), "true").unwrap();
        assert!(
            matches!(r, SetResult::Refused(ref m) if m.contains("base.security")),
            "{r:?}"
        );
        let r = plan_set(
            Path::new("c.js"),
            "module.exports = require('./x');\n",
            &k("a"),
            "1",
        )
        .unwrap();
        assert!(matches!(r, SetResult::Refused(_)), "{r:?}");
    }

    #[test]
    fn written_values_are_read_back() {
        let text = "module.exports = { dump: { ignore: new Set([ 'pass' ]) } };\n";
        assert_eq!(
            written_value(Path::new("c.js"), text, &k("dump.ignore"))
                .unwrap()
                .as_deref(),
            Some("new Set([ 'pass' ])")
        );
        assert_eq!(
            written_value(Path::new("c.js"), text, &k("dump.x")).unwrap(),
            None
        );
    }
}
