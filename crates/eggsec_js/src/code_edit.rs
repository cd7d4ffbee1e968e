//! Code rewrites at a finding's place: the minimal text edits that turn one unsafe call or
//! assignment into its safe form, or the reason it cannot be done mechanically (never a guess).
//!
//! Each rewrite takes the file's text and the 1-based line and column where the flow engine put
//! the sink (the start of the call or assignment), re-parses, finds the node that starts there,
//! and returns edits that keep everything else of the file as written.
//!
//! - [`generic_error_body`]: `ctx.body = { msg: err.message }` in a catch block → the error's
//!   details replaced by `'Internal Server Error'`, the error logged with `ctx.logger.error(err)`.
//! - [`exec_to_exec_file`]: `exec(`convert ${f} out.png`)` → `execFile('convert', [ String(f),
//!   'out.png' ])` (shell quoting understood, shell syntax refused).
//! - [`redirect_to_same_site_path`]: `ctx.redirect(x)` → `ctx.redirect(/^\/(?![\s/\\])/.test(x)
//!   ? x : '/')`.
//! - [`sql_placeholders`]: `app.mysql.query(`… id = ${id}`)` → `app.mysql.query('… id = ?',
//!   [ id ])` (egg-mysql/mysql2: `?` + array; Sequelize: `?` + `{ replacements }`; pg: `$n`).
//! - [`template_without_safe`]: nunjucks `{{ x | safe }}` → `{{ x }}`.
//!
//! ```
//! use eggsec_js::code_edit::generic_error_body;
//! use eggsec_js::edit::apply;
//! let text = "exports.a = async ctx => {\n  try { await x(); } catch (e) {\n    ctx.body = { msg: e.message };\n  }\n};\n";
//! let edits = generic_error_body(std::path::Path::new("a.js"), text, 3, 5).unwrap();
//! assert_eq!(
//!     apply(text, &edits),
//!     "exports.a = async ctx => {\n  try { await x(); } catch (e) {\n    ctx.logger.error(e);\n    ctx.body = { msg: 'Internal Server Error' };\n  }\n};\n"
//! );
//! ```

use crate::edit::TextEdit;
use crate::eval::source::LineIndex;
use crate::uses::{on_large_stack, parse};
use oxc::allocator::Allocator;
use oxc::ast::ast::*;
use oxc::ast::AstKind;
use oxc::ast_visit::{walk, Visit};
use oxc::span::{GetSpan, Span};
use std::path::Path;

/// The message a rewritten catch block sends instead of the error's details.
pub const GENERIC_ERROR: &str = "Internal Server Error";

/// The same-site path check a rewritten redirect applies: a path on this host (`/x`, never
/// `//host`, `/\host` or `/<tab>/host`, which browsers read as another host).
pub const SAME_SITE_PATH_RE: &str = r"/^\/(?![\s/\\])/";

/// The byte offset of a 1-based line and (character) column.
pub fn offset_of(text: &str, line: u32, column: u32) -> Option<usize> {
    let mut start = 0usize;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let line_text = &text[start..];
    let mut chars = line_text.char_indices();
    let mut off = 0;
    for _ in 1..column {
        let (_, c) = chars.next()?;
        if c == '\n' {
            return None;
        }
        off += c.len_utf8();
    }
    Some(start + off)
}

type Rewrite = Result<Vec<TextEdit>, String>;

/// Parses `text` and runs `f` on the program (on a large stack), mapping a parse error to a
/// refusal.
fn with_program(
    path: &Path,
    text: &str,
    f: impl for<'a> FnOnce(&Program<'a>, &'a str) -> Rewrite + Send,
) -> Rewrite {
    let out = on_large_stack(path, || {
        let alloc = Allocator::default();
        let program = parse(&alloc, path, text)?;
        Ok(f(&program, text))
    });
    match out {
        Ok(r) => r,
        Err(e) => Err(format!("cannot parse the file: {e}")),
    }
}

fn slice(text: &str, span: Span) -> &str {
    text.get(span.start as usize..span.end as usize)
        .unwrap_or("")
}

fn edit(span: Span, text: impl Into<String>) -> TextEdit {
    TextEdit {
        start: span.start as usize,
        end: span.end as usize,
        text: text.into(),
    }
}

/// The indentation of the line holding `offset`, and whether only whitespace precedes it there.
fn line_indent(text: &str, offset: usize) -> (usize, String, bool) {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let indent: String = before
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    (line_start, indent, before.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// ERR101: error details in the response

/// Finds the node a rewrite targets: the first call or assignment starting at `target`, with the
/// catch clauses around it and whether it is a whole expression statement.
/// A `catch (name)` clause: the name and the span of its block.
type Caught = (String, Span);

struct Finder<'a> {
    target: u32,
    catches: Vec<Caught>,
    statement_start: Option<u32>,
    /// The assignment, the innermost `catch (name)` around it (name, block span), and whether
    /// it is a whole expression statement.
    assignment: Option<(&'a AssignmentExpression<'a>, Option<Caught>, bool)>,
    call: Option<&'a CallExpression<'a>>,
    /// Top-level bindings from `require('child_process')` / `import ... from 'child_process'`:
    /// (local name, imported member or `*`, the span of the binding's pattern property).
    cp_bindings: Vec<(String, String, Span, Span)>,
}

impl<'a> Finder<'a> {
    fn new(target: usize) -> Self {
        Finder {
            target: target as u32,
            catches: Vec::new(),
            statement_start: None,
            assignment: None,
            call: None,
            cp_bindings: Vec::new(),
        }
    }
}

fn is_child_process(spec: &str) -> bool {
    matches!(spec, "child_process" | "node:child_process")
}

fn require_of(e: &Expression<'_>) -> Option<String> {
    let Expression::CallExpression(c) = e.get_inner_expression() else {
        return None;
    };
    let Expression::Identifier(id) = c.callee.get_inner_expression() else {
        return None;
    };
    if id.name != "require" {
        return None;
    }
    match c.arguments.first()?.as_expression()?.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
        _ => None,
    }
}

impl<'a> Visit<'a> for Finder<'a> {
    fn visit_catch_clause(&mut self, it: &CatchClause<'a>) {
        let name = it.param.as_ref().and_then(|p| match &p.pattern {
            BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
            _ => None,
        });
        let pushed = name.is_some();
        if let Some(n) = name {
            self.catches.push((n, it.body.span));
        }
        walk::walk_catch_clause(self, it);
        if pushed {
            self.catches.pop();
        }
    }

    fn visit_expression_statement(&mut self, it: &ExpressionStatement<'a>) {
        if it.span.start == self.target {
            self.statement_start = Some(it.expression.span().start);
        }
        walk::walk_expression_statement(self, it);
    }

    fn enter_node(&mut self, kind: AstKind<'a>) {
        match kind {
            AstKind::AssignmentExpression(it)
                if it.span.start == self.target && self.assignment.is_none() =>
            {
                let whole = self.statement_start == Some(it.span.start);
                self.assignment = Some((it, self.catches.last().cloned(), whole));
            }
            AstKind::CallExpression(it) if it.span.start == self.target && self.call.is_none() => {
                self.call = Some(it);
            }
            _ => {}
        }
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let Some(spec) = it.init.as_ref().and_then(require_of) {
            if is_child_process(&spec) {
                match &it.id {
                    BindingPattern::BindingIdentifier(id) => self.cp_bindings.push((
                        id.name.to_string(),
                        "*".into(),
                        id.span,
                        it.id.span(),
                    )),
                    BindingPattern::ObjectPattern(o) => {
                        for p in &o.properties {
                            if let (Some(k), BindingPattern::BindingIdentifier(id)) =
                                (p.key.static_name(), &p.value)
                            {
                                self.cp_bindings.push((
                                    id.name.to_string(),
                                    k.to_string(),
                                    p.span,
                                    o.span,
                                ));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        if is_child_process(&it.source.value) {
            if let Some(specs) = &it.specifiers {
                for s in specs {
                    match s {
                        ImportDeclarationSpecifier::ImportSpecifier(s) => self.cp_bindings.push((
                            s.local.name.to_string(),
                            s.imported.name().to_string(),
                            s.span,
                            it.span,
                        )),
                        ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => self
                            .cp_bindings
                            .push((s.local.name.to_string(), "*".into(), s.span, it.span)),
                        ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => self
                            .cp_bindings
                            .push((s.local.name.to_string(), "*".into(), s.span, it.span)),
                    }
                }
            }
        }
        walk::walk_import_declaration(self, it);
    }
}

fn find<'a>(program: &Program<'a>, target: usize) -> Finder<'a> {
    let mut f = Finder::new(target);
    f.visit_program(program);
    f
}

/// Runs `f` on the call that starts at `line:column` (with what the finder saw), or refuses.
fn with_call(
    path: &Path,
    text: &str,
    line: u32,
    column: u32,
    f: impl for<'a> FnOnce(&Finder<'a>, &'a CallExpression<'a>, &'a str) -> Rewrite + Send,
) -> Rewrite {
    let target =
        offset_of(text, line, column).ok_or_else(|| format!("no line {line} in the file"))?;
    with_program(path, text, |program, text| {
        let found = find(program, target);
        let Some(call) = found.call else {
            return Err(format!(
                "no call at line {line}; the file changed since the audit?"
            ));
        };
        f(&found, call, text)
    })
}

/// Replaces the caught error's details (`err`, `err.message`, `err.stack`, `err.sqlMessage`,
/// anything but `status`/`code`/`name`/`expose`) in the `ctx.body = ...` assignment at
/// `line:column` with a generic message, and logs the error before it when the catch block
/// does not log it yet.
pub fn generic_error_body(path: &Path, text: &str, line: u32, column: u32) -> Rewrite {
    let target =
        offset_of(text, line, column).ok_or_else(|| format!("no line {line} in the file"))?;
    with_program(path, text, |program, text| {
        let f = find(program, target);
        let Some((a, catch, whole)) = f.assignment else {
            return Err(format!(
                "no assignment to the response at line {line}; the file changed since the audit?"
            ));
        };
        let Some((name, body_span)) = catch else {
            return Err("the assignment is not in a `catch (err)` block".into());
        };
        let left = slice(text, a.left.span());
        let ctx = left
            .strip_suffix(".body")
            .map(|c| c.strip_suffix(".response").unwrap_or(c))
            .ok_or_else(|| format!("`{left}` is not the response body"))?
            .to_string();
        let mut details = Details {
            name: &name,
            text,
            out: Vec::new(),
        };
        details.visit_expression(&a.right);
        if details.out.is_empty() {
            return Err(format!("no `{name}` detail in the response"));
        }
        let mut edits: Vec<TextEdit> = details.out;
        let body = slice(text, body_span);
        let logs = body.contains("logger.error(") || body.contains("logger.warn(");
        if !logs && whole {
            let start = a.span.start as usize;
            let (_, indent, alone) = line_indent(text, start);
            let log = format!("{ctx}.logger.error({name});");
            edits.push(TextEdit {
                start,
                end: start,
                text: if alone {
                    format!("{log}\n{indent}")
                } else {
                    format!("{log} ")
                },
            });
        }
        Ok(edits)
    })
}

struct Details<'n, 't> {
    name: &'n str,
    text: &'t str,
    out: Vec<TextEdit>,
}

const HARMLESS_PROPS: &[&str] = &["status", "statusCode", "code", "expose", "name", "errno"];

impl<'a> Visit<'a> for Details<'_, '_> {
    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if let Expression::Identifier(id) = it.object.get_inner_expression() {
            if id.name == self.name {
                if !HARMLESS_PROPS.contains(&it.property.name.as_str()) {
                    self.out.push(edit(it.span, format!("'{GENERIC_ERROR}'")));
                }
                return;
            }
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_computed_member_expression(&mut self, it: &ComputedMemberExpression<'a>) {
        if let Expression::Identifier(id) = it.object.get_inner_expression() {
            if id.name == self.name {
                self.out.push(edit(it.span, format!("'{GENERIC_ERROR}'")));
                return;
            }
        }
        walk::walk_computed_member_expression(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        if it.shorthand {
            if let Expression::Identifier(id) = it.value.get_inner_expression() {
                if id.name == self.name {
                    self.out.push(edit(
                        it.span,
                        format!("{}: '{GENERIC_ERROR}'", slice(self.text, it.key.span())),
                    ));
                    return;
                }
            }
        }
        walk::walk_object_property(self, it);
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if it.name == self.name {
            self.out.push(edit(it.span, format!("'{GENERIC_ERROR}'")));
        }
    }

    fn visit_function_body(&mut self, _: &FunctionBody<'a>) {}
}

// ---------------------------------------------------------------------------------------------
// MW002: exec → execFile

/// A piece of a string built from literals and expressions.
#[derive(Debug)]
enum Piece {
    Lit(String),
    Expr(String),
}

/// The literal and expression pieces of a template literal or a `+` chain of strings and
/// expressions, or `None` for anything else.
fn pieces(e: &Expression<'_>, text: &str, out: &mut Vec<Piece>) -> Result<(), String> {
    match e.get_inner_expression() {
        Expression::TemplateLiteral(t) => {
            for (i, q) in t.quasis.iter().enumerate() {
                let cooked = q
                    .value
                    .cooked
                    .as_ref()
                    .ok_or("a template literal with an invalid escape")?;
                out.push(Piece::Lit(cooked.to_string()));
                if let Some(x) = t.expressions.get(i) {
                    out.push(Piece::Expr(slice(text, x.span()).to_string()));
                }
            }
            Ok(())
        }
        Expression::StringLiteral(s) => {
            out.push(Piece::Lit(s.value.to_string()));
            Ok(())
        }
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            pieces(&b.left, text, out)?;
            pieces(&b.right, text, out)
        }
        other => {
            out.push(Piece::Expr(slice(text, other.span()).to_string()));
            Ok(())
        }
    }
}

/// One word of a shell command: its literal and expression parts.
#[derive(Debug, Default)]
struct Word(Vec<Piece>);

/// Splits a command built from pieces into words the way `sh` would, refusing anything that
/// is more than words (operators, substitutions, globs, comments, redirections).
fn shell_words(pieces: &[Piece]) -> Result<Vec<Word>, String> {
    let mut words: Vec<Word> = Vec::new();
    let mut cur = Word::default();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let push_lit = |w: &mut Word, c: char| match w.0.last_mut() {
        Some(Piece::Lit(s)) => s.push(c),
        _ => w.0.push(Piece::Lit(c.to_string())),
    };
    for p in pieces {
        match p {
            Piece::Expr(e) => {
                if quote == Some('\'') {
                    return Err("a value inside single quotes".into());
                }
                cur.0.push(Piece::Expr(e.clone()));
                in_word = true;
            }
            Piece::Lit(s) => {
                for c in s.chars() {
                    match quote {
                        Some(q) if c == q => quote = None,
                        Some('"') if matches!(c, '$' | '`' | '\\' | '!') => {
                            return Err(format!("`{c}` inside double quotes"))
                        }
                        Some(_) => push_lit(&mut cur, c),
                        None => match c {
                            ' ' | '\t' => {
                                if in_word {
                                    words.push(std::mem::take(&mut cur));
                                    in_word = false;
                                }
                            }
                            '\'' | '"' => {
                                quote = Some(c);
                                in_word = true;
                                if cur.0.is_empty() {
                                    cur.0.push(Piece::Lit(String::new()));
                                }
                            }
                            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' | '\\' | '*'
                            | '?' | '[' | ']' | '#' | '~' | '{' | '}' | '!' | '\n' | '\r' => {
                                return Err(format!(
                                    "the command uses shell syntax (`{}`)",
                                    c.escape_default()
                                ))
                            }
                            _ => {
                                push_lit(&mut cur, c);
                                in_word = true;
                            }
                        },
                    }
                }
            }
        }
    }
    if quote.is_some() {
        return Err("an unclosed quote".into());
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// A JS string literal (single quotes).
pub fn js_string(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A word as one JS string expression.
fn word_code(w: &Word) -> String {
    match w.0.as_slice() {
        [Piece::Lit(s)] => js_string(s),
        [Piece::Expr(e)] => format!("String({e})"),
        parts => {
            let mut t = String::from("`");
            for p in parts {
                match p {
                    Piece::Lit(s) => {
                        for c in s.chars() {
                            if matches!(c, '`' | '\\' | '$') {
                                t.push('\\');
                            }
                            t.push(c);
                        }
                    }
                    Piece::Expr(e) => {
                        t.push_str("${");
                        t.push_str(e);
                        t.push('}');
                    }
                }
            }
            t.push('`');
            t
        }
    }
}

/// Rewrites the `exec(cmd)` / `execSync(cmd)` call at `line:column` (from `child_process`) into
/// `execFile(file, [ args ])` / `execFileSync(...)`: no shell, each value one argument. The
/// command must be a template literal or a `+` chain whose literal text is plain words (shell
/// quotes are understood); the first word must be literal. A destructured `exec` gets
/// `execFile` added to the same `require`/`import`.
pub fn exec_to_exec_file(path: &Path, text: &str, line: u32, column: u32) -> Rewrite {
    with_call(path, text, line, column, |f, call, text| {
        let mut edits = Vec::new();
        let (method, method_span) = match call.callee.get_inner_expression() {
            Expression::Identifier(id) => {
                let Some((_, imported, prop_span, _)) =
                    f.cp_bindings.iter().find(|b| b.0 == id.name.as_str())
                else {
                    return Err(format!(
                        "`{}` is not bound to child_process's exec here (a wrapper or promisified exec)",
                        id.name
                    ));
                };
                let new_name = match imported.as_str() {
                    "exec" => "execFile",
                    "execSync" => "execFileSync",
                    _ => return Err(format!("`{}` is not child_process.exec", id.name)),
                };
                if id.name.as_str() != imported.as_str() {
                    return Err(format!("`{}` is a renamed exec", id.name));
                }
                if !f.cp_bindings.iter().any(|b| b.1 == new_name) {
                    // `{ exec }` → `{ exec, execFile }` in the same pattern / import
                    edits.push(TextEdit {
                        start: prop_span.end as usize,
                        end: prop_span.end as usize,
                        text: format!(", {new_name}"),
                    });
                } else if f
                    .cp_bindings
                    .iter()
                    .any(|b| b.0 == new_name && b.1 != new_name)
                {
                    return Err(format!("`{new_name}` names something else in this file"));
                }
                (id.name.to_string(), id.span)
            }
            Expression::StaticMemberExpression(m) => {
                let is_cp = match m.object.get_inner_expression() {
                    Expression::Identifier(o) => f
                        .cp_bindings
                        .iter()
                        .any(|b| b.0 == o.name.as_str() && b.1 == "*"),
                    e => require_of(e).is_some_and(|s| is_child_process(&s)),
                };
                if !is_cp {
                    return Err("the receiver is not child_process".into());
                }
                (m.property.name.to_string(), m.property.span)
            }
            _ => return Err("the callee is not child_process.exec".into()),
        };
        let new_method = match method.as_str() {
            "exec" => "execFile",
            "execSync" => "execFileSync",
            other => return Err(format!("`{other}` has no execFile form")),
        };
        let Some(first) = call.arguments.first().and_then(|a| a.as_expression()) else {
            return Err("exec without a command".into());
        };
        let mut ps = Vec::new();
        pieces(first, text, &mut ps)?;
        if !ps.iter().any(|p| matches!(p, Piece::Lit(_))) {
            return Err(
                "the command is built elsewhere (a variable); rewrite it where it is built".into(),
            );
        }
        let words = shell_words(&ps)?;
        let Some((file, args)) = words.split_first() else {
            return Err("an empty command".into());
        };
        let file = match file.0.as_slice() {
            [Piece::Lit(s)] if !s.is_empty() => js_string(s),
            _ => return Err("the program to run is not a fixed name".into()),
        };
        let args: Vec<String> = args.iter().map(word_code).collect();
        let args = if args.is_empty() {
            "[]".to_string()
        } else {
            format!("[ {} ]", args.join(", "))
        };
        edits.push(edit(method_span, new_method));
        edits.push(edit(first.span(), format!("{file}, {args}")));
        Ok(edits)
    })
}

// ---------------------------------------------------------------------------------------------
// MW006: redirect → a same-site path

/// Whether an expression can be evaluated twice without a difference (a name or a member
/// chain of names).
fn repeatable(e: &Expression<'_>) -> bool {
    match e.get_inner_expression() {
        Expression::Identifier(_) | Expression::ThisExpression(_) => true,
        Expression::StaticMemberExpression(m) => repeatable(&m.object),
        Expression::ComputedMemberExpression(m) => {
            repeatable(&m.object)
                && matches!(
                    m.expression.get_inner_expression(),
                    Expression::StringLiteral(_) | Expression::NumericLiteral(_)
                )
        }
        _ => false,
    }
}

/// Wraps the target of the `ctx.redirect(x)` / `ctx.unsafeRedirect(x)` call at `line:column` in
/// a same-site path check: `ctx.redirect(/^\/(?![\s/\\])/.test(x) ? x : '/')`. The target must
/// be a name or a member chain (it is read twice).
pub fn redirect_to_same_site_path(path: &Path, text: &str, line: u32, column: u32) -> Rewrite {
    with_call(path, text, line, column, |_, call, text| {
        let Some(arg) = call.arguments.first().and_then(|a| a.as_expression()) else {
            return Err("redirect without a target".into());
        };
        if slice(text, arg.span()).starts_with(&SAME_SITE_PATH_RE[..4]) {
            return Ok(Vec::new());
        }
        if !repeatable(arg) {
            return Err("the target is computed in the call; put it in a variable first".into());
        }
        let x = slice(text, arg.span());
        Ok(vec![edit(
            arg.span(),
            format!("{SAME_SITE_PATH_RE}.test({x}) ? {x} : '/'"),
        )])
    })
}

// ---------------------------------------------------------------------------------------------
// MW001: SQL placeholders

/// The placeholder style of a SQL client, from the flow's canonical sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlDialect {
    /// egg-mysql / ali-rds / mysql / mysql2: `query(sql, [ values ])`.
    MysqlArray,
    /// Sequelize: `query(sql, { replacements: [ values ] })`.
    SequelizeReplacements,
    /// pg: `query(sql, [ values ])` with `$1`, `$2`.
    PgNumbered,
}

impl SqlDialect {
    /// The dialect of a canonical sink (`app.mysql.query`, `ctx.model.query`, `pg.Pool().query`).
    pub fn of_sink(sink: &str) -> Option<SqlDialect> {
        if !sink.ends_with(".query") {
            return None;
        }
        let root = sink.split('.').next().unwrap_or("");
        if sink.starts_with("app.mysql.")
            || sink.starts_with("app.rds.")
            || matches!(root, "ali-rds" | "mysql" | "mysql2" | "mysql2/promise")
        {
            Some(SqlDialect::MysqlArray)
        } else if matches!(
            sink,
            "ctx.model.query"
                | "app.model.query"
                | "ctx.model.sequelize.query"
                | "app.model.sequelize.query"
        ) || root == "sequelize"
        {
            Some(SqlDialect::SequelizeReplacements)
        } else if root == "pg" {
            Some(SqlDialect::PgNumbered)
        } else {
            None
        }
    }
}

/// Rewrites the SQL string built with request data in the `query` call at `line:column` into a
/// statement with placeholders and the values passed apart. Each value must sit where SQL takes
/// a value (after `=`, `<`, `>`, `LIKE`, `LIMIT`, `OFFSET`, inside `IN (...)`/`VALUES (...)`,
/// or inside quotes); a value used as a name or keyword is refused.
pub fn sql_placeholders(
    path: &Path,
    text: &str,
    line: u32,
    column: u32,
    dialect: SqlDialect,
) -> Rewrite {
    with_call(path, text, line, column, |_, call, text| {
        if call.arguments.len() != 1 {
            return Err("the query already has a second argument".into());
        }
        let Some(first) = call.arguments.first().and_then(|a| a.as_expression()) else {
            return Err("a spread argument".into());
        };
        let mut ps = Vec::new();
        pieces(first, text, &mut ps)?;
        if !ps.iter().any(|p| matches!(p, Piece::Lit(_))) {
            return Err(
                "the SQL is built elsewhere (a variable); rewrite it where it is built".into(),
            );
        }
        let (sql, values) = placeholders(&ps, dialect)?;
        if values.is_empty() {
            return Err("no value in the SQL text".into());
        }
        let list = format!("[ {} ]", values.join(", "));
        let second = match dialect {
            SqlDialect::SequelizeReplacements => format!("{{ replacements: {list} }}"),
            _ => list,
        };
        Ok(vec![edit(
            first.span(),
            format!("{}, {second}", sql_literal(&sql)),
        )])
    })
}

/// The SQL text as a JS literal: single-quoted on one line, a template literal (without
/// substitutions) when it spans lines.
fn sql_literal(sql: &str) -> String {
    if sql.contains('\n') {
        let mut t = String::from("`");
        for c in sql.chars() {
            if matches!(c, '`' | '\\' | '$') {
                t.push('\\');
            }
            t.push(c);
        }
        t.push('`');
        t
    } else {
        js_string(sql)
    }
}

fn placeholders(ps: &[Piece], dialect: SqlDialect) -> Result<(String, Vec<String>), String> {
    let mut sql = String::new();
    let mut values: Vec<String> = Vec::new();
    // a value inside quotes: (the quote char, the text after the quote, the value code)
    let mut pending: Option<(char, String, String)> = None;
    let mut i = 0;
    while i < ps.len() {
        match &ps[i] {
            Piece::Lit(s) => {
                let mut rest = s.as_str();
                if let Some((q, prefix, code)) = pending.take() {
                    let Some(end) = rest.find(q) else {
                        return Err("a quoted SQL value built from several parts".into());
                    };
                    let suffix = &rest[..end];
                    rest = &rest[end + q.len_utf8()..];
                    let value = if prefix.is_empty() && suffix.is_empty() {
                        code
                    } else {
                        let w = Word(vec![
                            Piece::Lit(prefix),
                            Piece::Expr(code),
                            Piece::Lit(suffix.to_string()),
                        ]);
                        word_code(&w)
                    };
                    values.push(value);
                    sql.push_str(&placeholder(dialect, values.len()));
                }
                sql.push_str(rest);
            }
            Piece::Expr(code) => {
                if pending.is_some() {
                    return Err("a quoted SQL value built from several parts".into());
                }
                // inside quotes? an odd number of quote characters so far
                let open = ['\'', '"']
                    .into_iter()
                    .find(|q| sql.chars().filter(|c| c == q).count() % 2 == 1);
                if let Some(q) = open {
                    let at = sql.rfind(q).expect("an open quote");
                    let prefix = sql[at + 1..].to_string();
                    if prefix.contains(['\\']) {
                        return Err("an escaped quote in a SQL value".into());
                    }
                    sql.truncate(at);
                    pending = Some((q, prefix, code.clone()));
                } else {
                    let value = value_position(&sql).ok_or_else(|| {
                        format!(
                            "`{code}` is used where SQL expects a name or keyword, not a value: \
check it against an allow-list instead"
                        )
                    })?;
                    let next_ok = match ps.get(i + 1) {
                        Some(Piece::Lit(n)) => n
                            .chars()
                            .next()
                            .is_none_or(|c| c.is_whitespace() || matches!(c, ')' | ',' | ';')),
                        Some(Piece::Expr(_)) => false,
                        None => true,
                    };
                    if !next_ok {
                        return Err(format!("`{code}` is part of a larger SQL token"));
                    }
                    values.push(match value {
                        ValuePos::Number => format!("Number({code})"),
                        ValuePos::Any => code.clone(),
                    });
                    sql.push_str(&placeholder(dialect, values.len()));
                }
            }
        }
        i += 1;
    }
    if pending.is_some() {
        return Err("an unclosed quote in the SQL".into());
    }
    Ok((sql, values))
}

fn placeholder(dialect: SqlDialect, n: usize) -> String {
    match dialect {
        SqlDialect::PgNumbered => format!("${n}"),
        _ => "?".into(),
    }
}

enum ValuePos {
    Any,
    Number,
}

/// Whether the SQL text before a value ends where SQL takes a value.
fn value_position(before: &str) -> Option<ValuePos> {
    let t = before.trim_end();
    if t.ends_with(['=', '<', '>']) {
        return Some(ValuePos::Any);
    }
    let upper = t.to_ascii_uppercase();
    let last_word: String = upper
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    match last_word.as_str() {
        "LIKE" => return Some(ValuePos::Any),
        "LIMIT" | "OFFSET" => return Some(ValuePos::Number),
        _ => {}
    }
    if t.ends_with('(') || t.ends_with(',') {
        // the innermost open parenthesis belongs to IN (...) or VALUES (...)
        let mut depth = 0i32;
        for (i, c) in t.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' if depth == 0 => {
                    let head = upper[..i].trim_end();
                    return (head.ends_with(" IN") || head.ends_with("VALUES"))
                        .then_some(ValuePos::Any);
                }
                '(' => depth -= 1,
                _ => {}
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// MW004: nunjucks `| safe`

/// Removes the `safe` filter from the nunjucks output tag at `line:column` of a template
/// (`{{ x | safe }}` → `{{ x }}`; other filters stay).
pub fn template_without_safe(text: &str, line: u32, column: u32) -> Rewrite {
    let at = offset_of(text, line, column).ok_or_else(|| format!("no line {line}"))?;
    if !text[at..].starts_with("{{") {
        return Err(format!(
            "no `{{{{` output tag at line {line}; the file changed since the audit?"
        ));
    }
    let close = text[at..]
        .find("}}")
        .map(|c| c + at)
        .ok_or("an unclosed output tag")?;
    let inner = &text[at + 2..close];
    if inner.contains('\n') {
        return Err("an output tag over several lines".into());
    }
    // each `|` segment; drop those that are `safe`
    let mut out = String::new();
    let mut removed = false;
    for (i, seg) in inner.split('|').enumerate() {
        if i > 0 && (seg.trim() == "safe" || seg.trim().starts_with("safe(")) {
            removed = true;
            continue;
        }
        if i > 0 {
            out.push('|');
        }
        out.push_str(seg);
    }
    if !removed {
        return Ok(Vec::new());
    }
    // keep the spacing before `}}` as written
    let trailing: String = inner.chars().rev().take_while(|c| *c == ' ').collect();
    let body = format!("{}{trailing}", out.trim_end());
    Ok(vec![TextEdit {
        start: at + 2,
        end: close,
        text: body,
    }])
}

/// Whether `text` parses as the JS/TS file `path` (the check after every rewrite).
pub fn parses(path: &Path, text: &str) -> Result<(), String> {
    on_large_stack(path, || {
        let alloc = Allocator::default();
        parse(&alloc, path, text).map(|_| ())
    })
    .map_err(|e| e.to_string())
}

/// Line and column (1-based) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    LineIndex::new(text).line_col(text, offset as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;

    fn run(r: Rewrite, text: &str) -> String {
        apply(text, &r.unwrap())
    }

    #[test]
    fn offsets_are_one_based_chars() {
        let t = "ab\n€xy\n";
        assert_eq!(offset_of(t, 1, 1), Some(0));
        assert_eq!(offset_of(t, 2, 2), Some(6));
        assert_eq!(offset_of(t, 9, 1), None);
    }

    #[test]
    fn error_details_become_generic_and_are_logged() {
        let t = "class A { async x() { const { ctx } = this;\n    try { await y(); } catch (err) {\n      ctx.status = err.status || 500;\n      ctx.body = { ok: false, err, msg: err.message, stack: err['stack'], code: err.code };\n    }\n  }\n}\n";
        let out = run(generic_error_body(Path::new("a.js"), t, 4, 7), t);
        assert!(out.contains("      ctx.logger.error(err);\n      ctx.body = { ok: false, err: 'Internal Server Error', msg: 'Internal Server Error', stack: 'Internal Server Error', code: err.code };"), "{out}");
        assert!(out.contains("ctx.status = err.status || 500;"), "{out}");
        // already logged: no second log line; this.ctx kept
        let t = "exports.a = async function () { try { a(); } catch (e) { this.ctx.logger.error(e); this.ctx.body = e.stack; } };\n";
        let at = t.find("this.ctx.body").unwrap();
        let (l, c) = line_col(t, at);
        let out = run(generic_error_body(Path::new("a.js"), t, l, c), t);
        assert_eq!(out, "exports.a = async function () { try { a(); } catch (e) { this.ctx.logger.error(e); this.ctx.body = 'Internal Server Error'; } };\n");
        // not in a catch block: refused
        let t = "exports.a = async ctx => { ctx.body = 1; };\n";
        assert!(generic_error_body(Path::new("a.js"), t, 1, 28).is_err());
    }

    #[test]
    fn exec_becomes_exec_file_with_an_argument_array() {
        let t = "const { exec } = require('child_process');\nexports.a = async ctx => {\n  exec(`convert ${ctx.query.file} -resize '50 %' out.png`, (err, out) => {});\n};\n";
        let out = run(exec_to_exec_file(Path::new("a.js"), t, 3, 3), t);
        assert_eq!(out, "const { exec, execFile } = require('child_process');\nexports.a = async ctx => {\n  execFile('convert', [ String(ctx.query.file), '-resize', '50 %', 'out.png' ], (err, out) => {});\n};\n");
        // member form, concatenation, mixed word
        let t = "const cp = require('child_process');\ncp.execSync('git log --author=' + name + ' -n 5', { cwd });\n";
        let out = run(exec_to_exec_file(Path::new("a.js"), t, 2, 1), t);
        assert_eq!(out, "const cp = require('child_process');\ncp.execFileSync('git', [ 'log', `--author=${name}`, '-n', '5' ], { cwd });\n");
        // ESM import with execFile already there
        let t = "import { exec, execFile } from 'node:child_process';\nexec(`ls ${d}`);\n";
        let out = run(exec_to_exec_file(Path::new("a.mjs"), t, 2, 1), t);
        assert_eq!(out, "import { exec, execFile } from 'node:child_process';\nexecFile('ls', [ String(d) ]);\n");
        // shell syntax, a variable command, a non-child_process exec: refused
        for (t, l) in [
            ("const { exec } = require('child_process');\nexec(`ls ${d} | wc -l`);\n", 2),
            ("const { exec } = require('child_process');\nexec(cmd);\n", 2),
            ("const exec = require('util').promisify(require('child_process').exec);\nexec(`ls ${d}`);\n", 2),
            ("const { exec } = require('child_process');\nexec(`${prog} -x`);\n", 2),
        ] {
            assert!(exec_to_exec_file(Path::new("a.js"), t, l, 1).is_err(), "{t}");
        }
    }

    #[test]
    fn redirect_gets_a_same_site_path_check() {
        let t = "exports.a = async ctx => {\n  ctx.redirect(ctx.query.next);\n};\n";
        let out = run(redirect_to_same_site_path(Path::new("a.js"), t, 2, 3), t);
        assert_eq!(out, "exports.a = async ctx => {\n  ctx.redirect(/^\\/(?![\\s/\\\\])/.test(ctx.query.next) ? ctx.query.next : '/');\n};\n");
        // idempotent
        assert!(redirect_to_same_site_path(Path::new("a.js"), &out, 2, 3)
            .unwrap()
            .is_empty());
        // a computed target is refused
        let t = "ctx.redirect(decodeURIComponent(ctx.query.next));\n";
        assert!(redirect_to_same_site_path(Path::new("a.js"), t, 1, 1).is_err());
    }

    #[test]
    fn sql_values_become_placeholders() {
        let t = "app.mysql.query(`SELECT * FROM user WHERE id = ${id} AND name LIKE '%${q}%' LIMIT ${n}`);\n";
        let out = run(
            sql_placeholders(Path::new("a.js"), t, 1, 1, SqlDialect::MysqlArray),
            t,
        );
        assert_eq!(out, "app.mysql.query('SELECT * FROM user WHERE id = ? AND name LIKE ? LIMIT ?', [ id, `%${q}%`, Number(n) ]);\n");
        let t = "ctx.model.query('SELECT * FROM t WHERE a IN (' + a + ', ' + b + \") AND c = '\" + c + \"'\");\n";
        let out = run(
            sql_placeholders(
                Path::new("a.js"),
                t,
                1,
                1,
                SqlDialect::SequelizeReplacements,
            ),
            t,
        );
        assert_eq!(out, "ctx.model.query('SELECT * FROM t WHERE a IN (?, ?) AND c = ?', { replacements: [ a, b, c ] });\n");
        let t = "pool.query(`UPDATE t SET a = ${a} WHERE id = ${id}`);\n";
        let out = run(
            sql_placeholders(Path::new("a.js"), t, 1, 1, SqlDialect::PgNumbered),
            t,
        );
        assert_eq!(
            out,
            "pool.query('UPDATE t SET a = $1 WHERE id = $2', [ a, id ]);\n"
        );
        // a name position is refused
        for t in [
            "app.mysql.query(`SELECT * FROM ${table}`);\n",
            "app.mysql.query(`SELECT * FROM t ORDER BY ${col}`);\n",
            "app.mysql.query(`SELECT * FROM t WHERE id = ${id}`, []);\n",
        ] {
            assert!(
                sql_placeholders(Path::new("a.js"), t, 1, 1, SqlDialect::MysqlArray).is_err(),
                "{t}"
            );
        }
    }

    #[test]
    fn safe_filter_is_removed() {
        let t = "<p>{{ name }}</p>\n<i>{{ user.bio | trim | safe }}</i> {{ x|safe }}\n";
        let out = run(template_without_safe(t, 2, 4), t);
        assert_eq!(
            out,
            "<p>{{ name }}</p>\n<i>{{ user.bio | trim }}</i> {{ x|safe }}\n"
        );
        let col = out.lines().nth(1).unwrap().find("{{ x").unwrap() as u32 + 1;
        let out2 = run(template_without_safe(&out, 2, col), &out);
        assert_eq!(
            out2,
            "<p>{{ name }}</p>\n<i>{{ user.bio | trim }}</i> {{ x }}\n"
        );
        assert!(template_without_safe(&out2, 2, col).unwrap().is_empty());
    }
}
