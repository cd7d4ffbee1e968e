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
    // line 1's first column is after a byte order mark, as `line_col` counts it
    let mut start = crate::eval::source::bom_len(text);
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
    /// The expression of the statement that starts at the target.
    statement_expr: Option<Span>,
    /// The assignment, the innermost `catch (name)` around it (name, block span), and whether
    /// it is a whole expression statement.
    assignment: Option<(&'a AssignmentExpression<'a>, Option<Caught>, bool)>,
    call: Option<&'a CallExpression<'a>>,
    /// Bindings from `require(M)` / `import ... from M` for the modules a rewrite cares about
    /// (child_process, shelljs, execa).
    bindings: Vec<Binding>,
    /// The `require`/`import` statement being visited (its span, whether it is top-level).
    module_statement: Option<Span>,
    /// Every name bound or referenced in the file (a new name must not clash).
    names: Vec<(String, Span)>,
}

/// A name bound to a module or one of its members.
#[derive(Clone, Debug)]
struct Binding {
    /// The local name.
    local: String,
    /// The member imported, or `*` for the module itself (default or namespace import).
    imported: String,
    /// The span of the binding's property / import specifier.
    prop: Span,
    /// The module specifier without `node:`.
    module: String,
    /// The top-level statement that binds it (a statement is added after it).
    statement: Option<Span>,
}

impl<'a> Finder<'a> {
    /// The bindings of `module`.
    fn of<'s>(&'s self, module: &'static str) -> impl Iterator<Item = &'s Binding> + 's {
        self.bindings.iter().filter(move |b| b.module == module)
    }

    /// Whether `name` is bound or used anywhere in the file.
    fn named(&self, name: &str) -> bool {
        self.names.iter().any(|(n, _)| n == name)
    }

    /// Whether `name` is bound or used inside `scope` (a new variable there would clash with or
    /// shadow it).
    fn named_in(&self, name: &str, scope: Span) -> bool {
        self.names
            .iter()
            .any(|(n, s)| n == name && contains(scope, *s))
    }

    fn bound(&self, module: &'static str, local: &str) -> Option<&Binding> {
        self.of(module).find(|b| b.local == local)
    }

    fn new(target: usize) -> Self {
        Finder {
            target: target as u32,
            catches: Vec::new(),
            statement_start: None,
            statement_expr: None,
            assignment: None,
            call: None,
            bindings: Vec::new(),
            module_statement: None,
            names: Default::default(),
        }
    }
}

fn is_child_process(spec: &str) -> bool {
    matches!(spec, "child_process" | "node:child_process")
}

/// The modules whose bindings a rewrite reads, by their specifier.
fn tracked_module(spec: &str) -> Option<&'static str> {
    match spec {
        "child_process" | "node:child_process" => Some("child_process"),
        "shelljs" => Some("shelljs"),
        "execa" => Some("execa"),
        _ => None,
    }
}

fn require_of(e: &Expression<'_>) -> Option<String> {
    match crate::routes::require_arg(e)?.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.as_str().to_owned()),
        _ => None,
    }
}

impl<'a> Visit<'a> for Finder<'a> {
    fn visit_catch_clause(&mut self, it: &CatchClause<'a>) {
        let name = it.param.as_ref().and_then(|p| match &p.pattern {
            BindingPattern::BindingIdentifier(id) => Some(id.name.as_str().to_owned()),
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
            self.statement_expr = Some(it.expression.span());
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

    fn visit_variable_declaration(&mut self, it: &VariableDeclaration<'a>) {
        let outer = self.module_statement.take();
        self.module_statement = Some(it.span);
        walk::walk_variable_declaration(self, it);
        self.module_statement = outer;
    }

    fn visit_binding_identifier(&mut self, it: &BindingIdentifier<'a>) {
        self.names.push((it.name.as_str().to_owned(), it.span));
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.names.push((it.name.as_str().to_owned(), it.span));
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let Some(module) = it
            .init
            .as_ref()
            .and_then(require_of)
            .and_then(|s| tracked_module(&s))
        {
            let statement = self.module_statement;
            match &it.id {
                BindingPattern::BindingIdentifier(id) => self.bindings.push(Binding {
                    local: id.name.as_str().to_owned(),
                    imported: "*".into(),
                    prop: id.span,
                    module: module.into(),
                    statement,
                }),
                BindingPattern::ObjectPattern(o) => {
                    for p in &o.properties {
                        if let (Some(k), BindingPattern::BindingIdentifier(id)) =
                            (p.key.static_name(), &p.value)
                        {
                            self.bindings.push(Binding {
                                local: id.name.as_str().to_owned(),
                                imported: k.to_string(),
                                prop: p.span,
                                module: module.into(),
                                statement,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        if let (Some(module), Some(specs)) = (tracked_module(&it.source.value), &it.specifiers) {
            for s in specs {
                let (local, imported, span) = match s {
                    ImportDeclarationSpecifier::ImportSpecifier(s) => {
                        (&s.local, s.imported.name().to_string(), s.span)
                    }
                    ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                        (&s.local, "*".to_string(), s.span)
                    }
                    ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                        (&s.local, "*".to_string(), s.span)
                    }
                };
                self.bindings.push(Binding {
                    local: local.name.as_str().to_owned(),
                    imported,
                    prop: span,
                    module: module.into(),
                    statement: Some(it.span),
                });
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
    f: impl for<'a> FnOnce(&Finder<'a>, &Program<'a>, &'a CallExpression<'a>, &'a str) -> Rewrite + Send,
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
        f(&found, program, call, text)
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
#[derive(Clone, Debug)]
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
            out.push(Piece::Lit(s.value.as_str().to_owned()));
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

/// Where a command or SQL text handed to a sink is built: in the call's argument, or in a
/// `const`/`let` variable the call names.
enum Built {
    /// The argument itself (its span).
    Inline(Span),
    /// `const cmd = `…`; … sink(cmd)`.
    Var(BuiltVar),
}

/// A string built in a variable that is used once, by the sink.
struct BuiltVar {
    name: String,
    /// The binding identifier.
    binding: Span,
    /// The type written on the binding (`const sql: string = …`).
    annotation: Option<Span>,
    /// The initialiser.
    init: Span,
    /// The whole declaration statement (`const sql = …;`).
    statement: Span,
    /// The sink's argument naming it.
    reference: Span,
    /// The function it is declared in (the module for a top-level one): a name added next to
    /// it must be new there.
    scope: Span,
}

/// One declaration of the followed name (a parameter, function or class of that name too).
struct Declared {
    /// The innermost function around it (`None`: the module).
    function: Option<Span>,
    binding: Span,
    annotation: Option<Span>,
    init: Option<Span>,
    /// The pieces of the initialiser, when it is text built from pieces.
    pieces: Option<Result<Vec<Piece>, String>>,
    /// The declaration statement, when the declaration is a statement (not a `for` head).
    statement: Option<Span>,
}

/// The declarations and uses of one name, to follow a string built in a variable.
struct VarScan<'n> {
    name: &'n str,
    text: &'n str,
    functions: Vec<Span>,
    statement: Option<Span>,
    statements: Vec<Span>,
    declared: Vec<Declared>,
    references: Vec<Span>,
}

impl<'a> Visit<'a> for VarScan<'_> {
    fn visit_function(&mut self, it: &Function<'a>, flags: oxc::syntax::scope::ScopeFlags) {
        self.functions.push(it.span);
        walk::walk_function(self, it, flags);
        self.functions.pop();
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        self.functions.push(it.span);
        walk::walk_arrow_function_expression(self, it);
        self.functions.pop();
    }

    fn visit_statement(&mut self, it: &Statement<'a>) {
        if let Statement::VariableDeclaration(d) = it {
            self.statements.push(d.span);
        }
        walk::walk_statement(self, it);
    }

    fn visit_variable_declaration(&mut self, it: &VariableDeclaration<'a>) {
        let outer = self.statement.replace(it.span);
        walk::walk_variable_declaration(self, it);
        self.statement = outer;
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let BindingPattern::BindingIdentifier(id) = &it.id {
            if id.name == self.name {
                let pieces = it.init.as_ref().map(|e| {
                    let mut ps = Vec::new();
                    pieces(e, self.text, &mut ps).map(|_| ps)
                });
                self.declared.push(Declared {
                    function: self.functions.last().copied(),
                    binding: id.span,
                    annotation: it
                        .type_annotation
                        .as_ref()
                        .map(|t| t.type_annotation.span()),
                    init: it.init.as_ref().map(|i| i.span()),
                    pieces,
                    statement: self.statement.filter(|s| self.statements.contains(s)),
                });
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_binding_identifier(&mut self, it: &BindingIdentifier<'a>) {
        // a parameter, function or class of the same name: another variable
        if it.name == self.name && !self.declared.iter().any(|d| d.binding == it.span) {
            self.declared.push(Declared {
                function: self.functions.last().copied(),
                binding: it.span,
                annotation: None,
                init: None,
                pieces: None,
                statement: None,
            });
        }
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if it.name == self.name {
            self.references.push(it.span);
        }
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// The string a sink is given by name: the one `const`/`let` declaration of that name in the
/// function around the call, whose only use is the call's argument; with its pieces.
fn built_in_variable(
    program: &Program<'_>,
    text: &str,
    arg: &IdentifierReference<'_>,
) -> Result<(BuiltVar, Vec<Piece>), String> {
    let name = arg.name.as_str();
    let mut scan = VarScan {
        name,
        text,
        functions: Vec::new(),
        statement: None,
        statements: Vec::new(),
        declared: Vec::new(),
        references: Vec::new(),
    };
    scan.visit_program(program);
    let whole = program.span;
    // the innermost declaration before the call in a function around it
    let Some(decl) = scan
        .declared
        .iter()
        .filter(|d| {
            d.binding.end <= arg.span.start && contains(d.function.unwrap_or(whole), arg.span)
        })
        .max_by_key(|d| d.function.unwrap_or(whole).start)
    else {
        return Err(format!(
            "`{name}` is not declared in the function of the call; rewrite it where it is built"
        ));
    };
    let scope = decl.function.unwrap_or(whole);
    if scan
        .declared
        .iter()
        .filter(|d| contains(scope, d.binding))
        .count()
        != 1
    {
        return Err(format!(
            "`{name}` is declared more than once around the call; rewrite it by hand"
        ));
    }
    let uses: Vec<Span> = scan
        .references
        .iter()
        .copied()
        .filter(|s| contains(scope, *s))
        .collect();
    if uses != [arg.span] {
        return Err(format!(
            "`{name}` is used or changed elsewhere too (built in steps?); rewrite it by hand"
        ));
    }
    let (Some(init), Some(pieces)) = (decl.init, &decl.pieces) else {
        return Err(format!(
            "`{name}` is not declared with a value; rewrite it by hand"
        ));
    };
    let Some(statement) = decl.statement else {
        return Err(format!(
            "`{name}` is not declared in a statement of its own"
        ));
    };
    let ps = match pieces {
        Ok(ps) => ps.clone(),
        Err(e) => return Err(e.clone()),
    };
    Ok((
        BuiltVar {
            name: name.to_string(),
            binding: decl.binding,
            annotation: decl.annotation,
            init,
            statement,
            reference: arg.span,
            scope,
        },
        ps,
    ))
}

/// The pieces of the string given to a sink as `arg`, and where it is built. A string built in
/// a variable is followed to its declaration (used once, by this call).
fn built_string<'a>(
    program: &Program<'a>,
    arg: &Expression<'a>,
    text: &str,
) -> Result<(Built, Vec<Piece>), String> {
    let mut ps = Vec::new();
    let built = if let Expression::Identifier(id) = arg.get_inner_expression() {
        let (var, built) = built_in_variable(program, text, id)?;
        ps = built;
        Built::Var(var)
    } else {
        pieces(arg, text, &mut ps)?;
        Built::Inline(arg.span())
    };
    if !ps.iter().any(|p| matches!(p, Piece::Lit(_))) {
        return Err("the string is built elsewhere; rewrite it where it is built".into());
    }
    Ok((built, ps))
}

/// Shell builtins with no program of that name: without a shell they cannot run.
const SHELL_BUILTINS: &[&str] = &[
    "cd", ".", "source", "export", "unset", "set", "alias", "unalias", "eval", "exec", "exit",
    "ulimit", "umask", "shift", "trap", "readonly", "local", "return", "wait", "jobs", "fg", "bg",
    "type", "hash", "command", "builtin", "declare", "typeset", "pushd", "popd", "let",
];

/// The program (a JS string) and its arguments (JS expressions) from the command's words.
fn program_and_args(words: &[Word]) -> Result<(String, Vec<String>), String> {
    let Some((file, args)) = words.split_first() else {
        return Err("an empty command".into());
    };
    let file = match file.0.as_slice() {
        [Piece::Lit(s)] if !s.is_empty() => s.clone(),
        _ => return Err("the program to run is not a fixed name".into()),
    };
    if SHELL_BUILTINS.contains(&file.as_str()) {
        return Err(format!(
            "`{file}` is a shell builtin: it only runs inside a shell"
        ));
    }
    Ok((js_string(&file), args.iter().map(word_code).collect()))
}

fn arg_list(args: &[String]) -> String {
    if args.is_empty() {
        "[]".to_string()
    } else {
        format!("[ {} ]", args.join(", "))
    }
}

/// The edits that give the new call the program and its argument array in place of the command
/// string: in the argument itself, or, built in a variable, in that variable renamed
/// `<name>Args` (its value still computed where it was).
fn command_edits(
    f: &Finder<'_>,
    built: &Built,
    file: &str,
    args: &[String],
    edits: &mut Vec<TextEdit>,
) -> Result<(), String> {
    let list = arg_list(args);
    match built {
        Built::Inline(span) => edits.push(edit(*span, format!("{file}, {list}"))),
        Built::Var(v) => {
            let renamed = format!("{}Args", v.name);
            if f.named_in(&renamed, v.scope) {
                return Err(format!("`{renamed}` is already a name there"));
            }
            edits.push(edit(v.binding, renamed.clone()));
            if let Some(a) = v.annotation {
                edits.push(edit(a, "string[]"));
            }
            edits.push(edit(v.init, list));
            edits.push(edit(v.reference, format!("{file}, {renamed}")));
        }
    }
    Ok(())
}

/// Adds `name` to the destructured `require`/`import` of `module` that binds `sibling`
/// (`{ exec }` → `{ exec, execFile }`), unless it is bound there already; refuses when the name
/// means something else in the file.
fn add_named_binding(
    f: &Finder<'_>,
    module: &'static str,
    sibling: &Binding,
    name: &str,
    edits: &mut Vec<TextEdit>,
) -> Result<(), String> {
    if f.of(module).any(|b| b.local == name && b.imported == name) {
        return Ok(());
    }
    if f.named(name) {
        return Err(format!("`{name}` names something else in this file"));
    }
    edits.push(TextEdit {
        start: sibling.prop.end as usize,
        end: sibling.prop.end as usize,
        text: format!(", {name}"),
    });
    Ok(())
}

/// Rewrites the `exec(cmd)` / `execSync(cmd)` call at `line:column` (from `child_process`) into
/// `execFile(file, [ args ])` / `execFileSync(...)`: no shell, each value one argument. The
/// command must be a template literal or a `+` chain whose literal text is plain words (shell
/// quotes are understood), here or in a variable used only by the call (then renamed
/// `<name>Args` and holding the arguments); the first word must be a literal program, not a
/// shell builtin. A destructured `exec` gets `execFile` added to the same `require`/`import`.
pub fn exec_to_exec_file(path: &Path, text: &str, line: u32, column: u32) -> Rewrite {
    with_call(path, text, line, column, |f, program, call, text| {
        let mut edits = Vec::new();
        let (method, method_span, binding) = match call.callee.get_inner_expression() {
            Expression::Identifier(id) => {
                let Some(b) = f.bound("child_process", id.name.as_str()) else {
                    return Err(format!(
                        "`{}` is not bound to child_process's exec here (a wrapper or promisified exec)",
                        id.name
                    ));
                };
                if b.imported == "*" || !matches!(b.imported.as_str(), "exec" | "execSync") {
                    return Err(format!("`{}` is not child_process.exec", id.name));
                }
                if id.name.as_str() != b.imported.as_str() {
                    return Err(format!("`{}` is a renamed exec", id.name));
                }
                (id.name.as_str().to_owned(), id.span, Some(b))
            }
            Expression::StaticMemberExpression(m) => {
                let is_cp = match m.object.get_inner_expression() {
                    Expression::Identifier(o) => f
                        .bound("child_process", o.name.as_str())
                        .is_some_and(|b| b.imported == "*"),
                    e => require_of(e).is_some_and(|s| is_child_process(&s)),
                };
                if !is_cp {
                    return Err("the receiver is not child_process".into());
                }
                (m.property.name.as_str().to_owned(), m.property.span, None)
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
        let (built, ps) = built_string(program, first, text)?;
        let words = shell_words(&ps)?;
        let (file, args) = program_and_args(&words)?;
        if let Some(b) = binding {
            add_named_binding(f, "child_process", b, new_method, &mut edits)?;
        }
        edits.push(edit(method_span, new_method));
        command_edits(f, &built, &file, &args, &mut edits)?;
        Ok(edits)
    })
}

/// Splits a command the way execa's `command()` does: on spaces, nothing else (no shell, no
/// quotes); a backslash (execa's escape for a space) is refused.
fn space_words(pieces: &[Piece]) -> Result<Vec<Word>, String> {
    let mut words: Vec<Word> = Vec::new();
    let mut cur = Word::default();
    for p in pieces {
        match p {
            Piece::Expr(e) => cur.0.push(Piece::Expr(e.clone())),
            Piece::Lit(s) => {
                for c in s.chars() {
                    match c {
                        ' ' => {
                            if !cur.0.is_empty() {
                                words.push(std::mem::take(&mut cur));
                            }
                        }
                        '\\' => {
                            return Err("a backslash (execa's escaped space) in the command".into())
                        }
                        c => match cur.0.last_mut() {
                            Some(Piece::Lit(l)) => l.push(c),
                            _ => cur.0.push(Piece::Lit(c.to_string())),
                        },
                    }
                }
            }
        }
    }
    if !cur.0.is_empty() {
        words.push(cur);
    }
    Ok(words)
}

/// Rewrites execa's `command(cmd)` at `line:column` (which splits the text on spaces, so a value
/// with spaces becomes several arguments) into `execa(file, [ args ])`: each value one
/// argument. `execa.command` → `execa`, `execa.commandSync` → `execa.sync` (execa 5),
/// `execaCommand` → `execa`, `execaCommandSync` → `execaSync` (execa 6+, added to the import).
pub fn execa_command_to_execa(path: &Path, text: &str, line: u32, column: u32) -> Rewrite {
    with_call(path, text, line, column, |f, program, call, text| {
        let mut edits = Vec::new();
        match call.callee.get_inner_expression() {
            Expression::StaticMemberExpression(m) => {
                let Expression::Identifier(o) = m.object.get_inner_expression() else {
                    return Err("the receiver is not execa".into());
                };
                if f.bound("execa", o.name.as_str())
                    .is_none_or(|b| b.imported != "*")
                {
                    return Err("the receiver is not execa".into());
                }
                let new = match m.property.name.as_str() {
                    "command" => o.name.as_str().to_owned(),
                    "commandSync" => format!("{}.sync", o.name),
                    other => return Err(format!("`execa.{other}` has no argument-array form")),
                };
                edits.push(edit(m.span, new));
            }
            Expression::Identifier(id) => {
                let Some(b) = f.bound("execa", id.name.as_str()) else {
                    return Err(format!("`{}` is not bound to execa here", id.name));
                };
                let new = match b.imported.as_str() {
                    "execaCommand" => "execa",
                    "execaCommandSync" => "execaSync",
                    _ => return Err(format!("`{}` is not execa's command()", id.name)),
                };
                if id.name.as_str() != b.imported.as_str() {
                    return Err(format!("`{}` is a renamed {}", id.name, b.imported));
                }
                add_named_binding(f, "execa", b, new, &mut edits)?;
                edits.push(edit(id.span, new));
            }
            _ => return Err("the callee is not execa's command()".into()),
        }
        let Some(first) = call.arguments.first().and_then(|a| a.as_expression()) else {
            return Err("command() without a command".into());
        };
        let (built, ps) = built_string(program, first, text)?;
        let words = space_words(&ps)?;
        let (file, args) = program_and_args(&words)?;
        command_edits(f, &built, &file, &args, &mut edits)?;
        Ok(edits)
    })
}

/// Rewrites shelljs's `shell.exec(cmd)` at `line:column`, when its result is not used, into
/// child_process `spawnSync(file, [ args ], { stdio: 'inherit' })` (`'ignore'` with
/// `{ silent: true }`): no shell, each value one argument, the output still shown, a failure
/// still not thrown. `spawnSync` is added to a `child_process` binding of the file, or a
/// `require`/`import` of it after the shelljs one. A used result (a ShellString), a callback or
/// other options are refused.
pub fn shelljs_exec_to_spawn_sync(path: &Path, text: &str, line: u32, column: u32) -> Rewrite {
    with_call(path, text, line, column, |f, program, call, text| {
        let mut edits = Vec::new();
        let shell_binding = match call.callee.get_inner_expression() {
            Expression::StaticMemberExpression(m) if m.property.name == "exec" => {
                match m.object.get_inner_expression() {
                    Expression::Identifier(o) => match f.bound("shelljs", o.name.as_str()) {
                        Some(b) if b.imported == "*" => Some(b),
                        _ => return Err("the receiver is not shelljs".into()),
                    },
                    e if require_of(e).as_deref() == Some("shelljs") => None,
                    _ => return Err("the receiver is not shelljs".into()),
                }
            }
            Expression::Identifier(id) => match f.bound("shelljs", id.name.as_str()) {
                Some(b) if b.imported == "exec" && id.name == "exec" => Some(b),
                _ => return Err(format!("`{}` is not shelljs's exec", id.name)),
            },
            _ => return Err("the callee is not shelljs's exec".into()),
        };
        if f.statement_expr != Some(call.span) {
            return Err(
                "the result of shell.exec (a ShellString) is used; child_process.execFileSync/spawnSync return other shapes: rewrite it by hand".into(),
            );
        }
        let mut stdio = "inherit";
        match call.arguments.len() {
            1 => {}
            2 => {
                let Some(Expression::ObjectExpression(o)) = call.arguments[1]
                    .as_expression()
                    .map(|e| e.get_inner_expression())
                else {
                    return Err("shell.exec with a callback or computed options runs asynchronously; rewrite it by hand".into());
                };
                for p in &o.properties {
                    let ObjectPropertyKind::ObjectProperty(p) = p else {
                        return Err("spread options".into());
                    };
                    match (
                        p.key.static_name().as_deref(),
                        p.value.get_inner_expression(),
                    ) {
                        (Some("silent"), Expression::BooleanLiteral(b)) => {
                            if b.value {
                                stdio = "ignore";
                            }
                        }
                        (k, _) => {
                            return Err(format!(
                            "the option `{}` has no spawnSync equivalent here; rewrite it by hand",
                            k.unwrap_or("?")
                        ))
                        }
                    }
                }
            }
            _ => {
                return Err(
                    "shell.exec with a callback runs asynchronously; rewrite it by hand".into(),
                )
            }
        }
        let Some(first) = call.arguments.first().and_then(|a| a.as_expression()) else {
            return Err("exec without a command".into());
        };
        let (built, ps) = built_string(program, first, text)?;
        let words = shell_words(&ps)?;
        let (file, args) = program_and_args(&words)?;
        // spawnSync from child_process: a binding the file has, or a new require/import
        let destructured = f.of("child_process").find(|b| b.imported != "*");
        let namespace = f.of("child_process").find(|b| b.imported == "*");
        let callee = if let Some(b) = f
            .of("child_process")
            .find(|b| b.imported == "spawnSync" && b.local == "spawnSync")
        {
            b.local.clone()
        } else if let Some(b) = destructured {
            add_named_binding(f, "child_process", b, "spawnSync", &mut edits)?;
            "spawnSync".into()
        } else if let Some(b) = namespace {
            format!("{}.spawnSync", b.local)
        } else {
            if f.named("spawnSync") {
                return Err("`spawnSync` names something else in this file".into());
            }
            let Some(after) = shell_binding.and_then(|b| b.statement) else {
                return Err(
                    "shelljs is not required at the top of the file; rewrite it by hand".into(),
                );
            };
            let line = if text[after.start as usize..].starts_with("import") {
                "import { spawnSync } from 'child_process';"
            } else {
                "const { spawnSync } = require('child_process');"
            };
            let (_, indent, _) = line_indent(text, after.start as usize);
            edits.push(TextEdit {
                start: after.end as usize,
                end: after.end as usize,
                text: format!("\n{indent}{line}"),
            });
            "spawnSync".into()
        };
        edits.push(edit(call.callee.span(), callee));
        command_edits(f, &built, &file, &args, &mut edits)?;
        // the options: `{ stdio }` in place of shelljs's
        match call.arguments.get(1) {
            Some(o) => edits.push(edit(o.span(), format!("{{ stdio: '{stdio}' }}"))),
            None => {
                let end = first.span().end as usize;
                edits.push(TextEdit {
                    start: end,
                    end,
                    text: format!(", {{ stdio: '{stdio}' }}"),
                });
            }
        }
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
    with_call(path, text, line, column, |_, _, call, text| {
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
    /// egg-mysql / ali-rds / mysql / mysql2 / knex raw / TypeORM on mysql or sqlite:
    /// `query(sql, [ values ])` with `?`.
    MysqlArray,
    /// Sequelize: `query(sql, { replacements: [ values ] })`.
    SequelizeReplacements,
    /// pg: `query(sql, [ values ])` with `$1`, `$2`.
    PgNumbered,
}

/// knex's raw-SQL methods: each takes `(sql, [ bindings ])` with `?` placeholders whatever the
/// database.
const KNEX_RAW: &[&str] = &[
    "raw",
    "whereRaw",
    "orWhereRaw",
    "andWhereRaw",
    "havingRaw",
    "orHavingRaw",
    "joinRaw",
    "orderByRaw",
    "groupByRaw",
];

impl SqlDialect {
    /// The dialect of a canonical sink (`app.mysql.query`, `ctx.model.query`, `pg.Pool().query`,
    /// `app.knex.raw`, `typeorm.getConnection().query`), or why there is no rewrite.
    /// `drivers` are the app's dependencies: TypeORM passes the values to the database driver,
    /// whose placeholder style decides (`?` for mysql/mysql2/sqlite, `$n` for pg).
    pub fn of_sink(sink: &str, drivers: &[&str]) -> Result<SqlDialect, String> {
        let root = sink.split('.').next().unwrap_or("");
        let method = sink.rsplit('.').next().unwrap_or("");
        if matches!(root, "knex" | "knex()") || sink.starts_with("app.knex") {
            return if KNEX_RAW.contains(&method) {
                Ok(SqlDialect::MysqlArray)
            } else {
                Err(format!("`{sink}` is not one of knex's raw-SQL methods"))
            };
        }
        if root == "typeorm" {
            if method != "query" {
                return Err(format!(
                    "`{sink}` takes named parameters (`:name`, an object): rewrite it by hand"
                ));
            }
            let has = |names: &[&str]| drivers.iter().any(|d| names.contains(d));
            return match (
                has(&["mysql", "mysql2", "sqlite3", "better-sqlite3"]),
                has(&["pg"]),
            ) {
                (true, false) => Ok(SqlDialect::MysqlArray),
                (false, true) => Ok(SqlDialect::PgNumbered),
                _ => Err(
                    "TypeORM's placeholders depend on the database driver, and the app's dependencies name none (or several) of mysql/mysql2/sqlite3/pg"
                        .into(),
                ),
            };
        }
        if method != "query" {
            return Err(format!("`{sink}` has no placeholder rewrite in eggsec"));
        }
        if sink.starts_with("app.mysql.")
            || sink.starts_with("app.rds.")
            || matches!(root, "ali-rds" | "mysql" | "mysql2" | "mysql2/promise")
        {
            Ok(SqlDialect::MysqlArray)
        } else if matches!(
            sink,
            "ctx.model.query"
                | "app.model.query"
                | "ctx.model.sequelize.query"
                | "app.model.sequelize.query"
        ) || root == "sequelize"
        {
            Ok(SqlDialect::SequelizeReplacements)
        } else if root == "pg" {
            Ok(SqlDialect::PgNumbered)
        } else {
            Err(format!("`{sink}` has no placeholder rewrite in eggsec"))
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
    with_call(path, text, line, column, |f, program, call, text| {
        if call.arguments.len() != 1 {
            return Err("the query already has a second argument".into());
        }
        let Some(first) = call.arguments.first().and_then(|a| a.as_expression()) else {
            return Err("a spread argument".into());
        };
        let (built, ps) = built_string(program, first, text)?;
        for p in &ps {
            if let Piece::Lit(l) = p {
                let taken = match dialect {
                    SqlDialect::PgNumbered => l
                        .as_bytes()
                        .windows(2)
                        .any(|w| w[0] == b'$' && w[1].is_ascii_digit()),
                    _ => l.contains('?'),
                };
                if taken {
                    return Err(
                        "the SQL text already holds placeholders (`?`/`$n`): mixing them is not mechanical"
                            .into(),
                    );
                }
            }
        }
        let (sql, values) = placeholders(&ps, dialect)?;
        if values.is_empty() {
            return Err("no value in the SQL text".into());
        }
        let list = format!("[ {} ]", values.join(", "));
        let pass = |values: String| match dialect {
            SqlDialect::SequelizeReplacements => format!("{{ replacements: {values} }}"),
            _ => values,
        };
        match built {
            Built::Inline(span) => Ok(vec![edit(
                span,
                format!("{}, {}", sql_literal(&sql), pass(list)),
            )]),
            Built::Var(v) => {
                // the text keeps its variable, the values get one next to it (computed where
                // they were)
                let values_name = format!("{}Values", v.name);
                if f.named_in(&values_name, v.scope) {
                    return Err(format!("`{values_name}` is already a name there"));
                }
                let statement = slice(text, v.statement);
                let semi = if statement.ends_with(';') { ";" } else { "" };
                let (_, indent, _) = line_indent(text, v.statement.start as usize);
                let end = v.statement.end as usize;
                Ok(vec![
                    edit(v.init, sql_literal(&sql)),
                    TextEdit {
                        start: end,
                        end,
                        text: format!("\n{indent}const {values_name} = {list}{semi}"),
                    },
                    edit(
                        v.reference,
                        format!("{}, {}", v.name, pass(values_name.clone())),
                    ),
                ])
            }
        }
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

    /// The rewrite at the first `needle` of `t`, applied; then the same rewrite again on the
    /// result must plan nothing or be refused (the sink is gone), and the result must parse.
    fn at_needle(
        t: &str,
        needle: &str,
        file: &str,
        f: impl Fn(&Path, &str, u32, u32) -> Rewrite,
    ) -> Result<String, String> {
        let (l, c) = line_col(t, t.find(needle).expect(needle));
        let out = apply(t, &f(Path::new(file), t, l, c)?);
        parses(Path::new(file), &out).unwrap_or_else(|e| panic!("{e}:\n{out}"));
        Ok(out)
    }

    #[test]
    fn sql_built_in_a_variable_keeps_it_and_gets_its_values_next_to_it() {
        let t = "class S {\n  async find(id, q) {\n    const sql = 'SELECT * FROM user WHERE id = ' + id + \" AND name LIKE '%\" + q + \"%'\";\n    const rows = await this.app.mysql.query(sql);\n    return rows;\n  }\n}\n";
        let mysql = |p: &Path, t: &str, l, c| sql_placeholders(p, t, l, c, SqlDialect::MysqlArray);
        let out = at_needle(t, "this.app.mysql.query", "a.js", mysql).unwrap();
        assert_eq!(out, "class S {\n  async find(id, q) {\n    const sql = 'SELECT * FROM user WHERE id = ? AND name LIKE ?';\n    const sqlValues = [ id, `%${q}%` ];\n    const rows = await this.app.mysql.query(sql, sqlValues);\n    return rows;\n  }\n}\n");
        // a second run: the query has its values now
        assert!(at_needle(&out, "this.app.mysql.query", "a.js", mysql).is_err());
        // Sequelize, no semicolons, TS annotation
        let t = "async function f(ctx) {\n  const sql: string = `SELECT * FROM t WHERE a = ${ctx.query.a}`\n  return ctx.model.query(sql)\n}\n";
        let seq = |p: &Path, t: &str, l, c| {
            sql_placeholders(p, t, l, c, SqlDialect::SequelizeReplacements)
        };
        let out = at_needle(t, "ctx.model.query", "a.ts", seq).unwrap();
        assert_eq!(out, "async function f(ctx) {\n  const sql: string = 'SELECT * FROM t WHERE a = ?'\n  const sqlValues = [ ctx.query.a ]\n  return ctx.model.query(sql, { replacements: sqlValues })\n}\n");
        // refused, each with its reason
        for (t, why) in [
            ("async function f(id) {\n  let sql = 'SELECT * FROM t WHERE 1 = 1';\n  sql += ' AND id = ' + id;\n  return app.mysql.query(sql);\n}\n", "used or changed elsewhere"),
            ("async function f(id) {\n  const sql = 'SELECT * FROM t WHERE id = ' + id;\n  log(sql);\n  return app.mysql.query(sql);\n}\n", "used or changed elsewhere"),
            ("async function f(sql) {\n  return app.mysql.query(sql);\n}\n", "not declared"),
            ("async function f(id) {\n  const sql = build(id);\n  return app.mysql.query(sql);\n}\n", "built elsewhere"),
            ("async function f(t) {\n  const sql = `SELECT * FROM ${t}`;\n  return app.mysql.query(sql);\n}\n", "name or keyword"),
            ("async function f(id) {\n  const sql = 'SELECT * FROM t WHERE a = ? AND id = ' + id;\n  return app.mysql.query(sql);\n}\n", "already holds placeholders"),
            ("async function f(id) {\n  const sqlValues = 1;\n  const sql = 'SELECT * FROM t WHERE id = ' + id;\n  return app.mysql.query(sql);\n}\n", "already a name there"),
            ("async function f(id) {\n  for (const sql = 'SELECT 1 WHERE a = ' + id;;) { return app.mysql.query(sql); }\n}\n", "statement of its own"),
        ] {
            let err = at_needle(t, "app.mysql.query", "a.js", mysql).unwrap_err();
            assert!(err.contains(why), "{t}: {err}");
        }
        // another function's `sql` and `sqlValues` do not count
        let t = "async function g() { const sql = 'x', sqlValues = []; return [ sql, sqlValues ]; }\nasync function f(id) {\n  const sql = 'SELECT * FROM t WHERE id = ' + id;\n  return app.mysql.query(sql);\n}\n";
        let out = at_needle(t, "app.mysql.query", "a.js", mysql).unwrap();
        assert!(out.contains("const sql = 'SELECT * FROM t WHERE id = ?';\n  const sqlValues = [ id ];\n  return app.mysql.query(sql, sqlValues);"), "{out}");
    }

    #[test]
    fn knex_and_typeorm_raw_sql_get_placeholders() {
        let t = "const rows = await app.knex.raw(`SELECT * FROM t WHERE id = ${id}`);\nawait app.knex('t').whereRaw('name = ' + name);\n";
        let mysql = |p: &Path, t: &str, l, c| sql_placeholders(p, t, l, c, SqlDialect::MysqlArray);
        let out = at_needle(t, "app.knex.raw", "a.js", mysql).unwrap();
        let out = at_needle(&out, "app.knex('t')", "a.js", mysql).unwrap();
        assert_eq!(out, "const rows = await app.knex.raw('SELECT * FROM t WHERE id = ?', [ id ]);\nawait app.knex('t').whereRaw('name = ?', [ name ]);\n");
        // the dialect from the sink and the app's drivers
        assert_eq!(
            SqlDialect::of_sink("app.knex.raw", &[]),
            Ok(SqlDialect::MysqlArray)
        );
        assert_eq!(
            SqlDialect::of_sink("knex().**.whereRaw", &[]),
            Ok(SqlDialect::MysqlArray)
        );
        assert!(SqlDialect::of_sink("app.knex.select", &[]).is_err());
        assert_eq!(
            SqlDialect::of_sink("typeorm.getConnection().query", &["typeorm", "mysql2"]),
            Ok(SqlDialect::MysqlArray)
        );
        assert_eq!(
            SqlDialect::of_sink("typeorm.getManager().query", &["typeorm", "pg"]),
            Ok(SqlDialect::PgNumbered)
        );
        for (sink, deps) in [
            ("typeorm.getConnection().query", &["typeorm"][..]),
            (
                "typeorm.getConnection().query",
                &["typeorm", "pg", "mysql"][..],
            ),
            (
                "typeorm.getRepository().createQueryBuilder().where",
                &["typeorm", "pg"][..],
            ),
        ] {
            assert!(SqlDialect::of_sink(sink, deps).is_err(), "{sink}");
        }
        let t = "await getConnection().query(`DELETE FROM t WHERE id = ${id} AND o = ${o}`);\n";
        let pg = |p: &Path, t: &str, l, c| sql_placeholders(p, t, l, c, SqlDialect::PgNumbered);
        let out = at_needle(t, "getConnection()", "a.ts", pg).unwrap();
        assert_eq!(
            out,
            "await getConnection().query('DELETE FROM t WHERE id = $1 AND o = $2', [ id, o ]);\n"
        );
        // knex's `??` identifiers are refused
        let t = "app.knex.raw('SELECT ?? FROM t WHERE id = ' + id);\n";
        assert!(at_needle(t, "app.knex.raw", "a.js", mysql)
            .unwrap_err()
            .contains("placeholders"));
    }

    #[test]
    fn a_command_built_in_a_variable_becomes_the_argument_array() {
        let t = "const { exec } = require('child_process');\nexports.a = async ctx => {\n  const cmd = `convert ${ctx.query.file} out.png`;\n  exec(cmd, (err, out) => {});\n};\n";
        let out = at_needle(t, "exec(cmd", "a.js", exec_to_exec_file).unwrap();
        assert_eq!(out, "const { exec, execFile } = require('child_process');\nexports.a = async ctx => {\n  const cmdArgs = [ String(ctx.query.file), 'out.png' ];\n  execFile('convert', cmdArgs, (err, out) => {});\n};\n");
        // TS: the annotation follows
        let t = "import { execSync } from 'child_process';\nexport function a(f: string) {\n  const command: string = 'ls -l ' + f;\n  return execSync(command);\n}\n";
        let out = at_needle(t, "execSync(command", "a.ts", exec_to_exec_file).unwrap();
        assert_eq!(out, "import { execSync, execFileSync } from 'child_process';\nexport function a(f: string) {\n  const commandArgs: string[] = [ '-l', String(f) ];\n  return execFileSync('ls', commandArgs);\n}\n");
        // a shell builtin cannot run without a shell; a second use; shell syntax in the variable
        for (t, why) in [
            ("const { exec } = require('child_process');\nfunction a(d) { exec(`cd ${d}`); }\n", "builtin"),
            ("const { exec } = require('child_process');\nfunction a(d) { const c = `ls ${d}`; log(c); exec(c); }\n", "used or changed"),
            ("const { exec } = require('child_process');\nfunction a(d) { const c = `ls ${d} | wc`; exec(c); }\n", "shell syntax"),
        ] {
            let err = at_needle(t, "exec(", "a.js", exec_to_exec_file).unwrap_err();
            assert!(err.contains(why), "{t}: {err}");
        }
    }

    #[test]
    fn execa_command_becomes_execa_with_an_argument_array() {
        // execa 5 (CommonJS): execa.command / execa.commandSync
        let t = "const execa = require('execa');\nexports.a = async ctx => {\n  await execa.command(`git log --author=${ctx.query.who} -n 5`, { cwd: '/srv' });\n  execa.commandSync('du -sh ' + ctx.query.dir);\n};\n";
        let out = at_needle(t, "execa.commandSync", "a.js", execa_command_to_execa).unwrap();
        let out = at_needle(&out, "execa.command(", "a.js", execa_command_to_execa).unwrap();
        assert_eq!(out, "const execa = require('execa');\nexports.a = async ctx => {\n  await execa('git', [ 'log', `--author=${ctx.query.who}`, '-n', '5' ], { cwd: '/srv' });\n  execa.sync('du', [ '-sh', String(ctx.query.dir) ]);\n};\n");
        // execa 6+ (ES modules): execaCommand → execa, added to the import; a variable
        let t = "import { execaCommand } from 'execa';\nexport async function a(name) {\n  const cmd = `echo ${name}`;\n  return execaCommand(cmd);\n}\n";
        let out = at_needle(t, "execaCommand(cmd", "a.mjs", execa_command_to_execa).unwrap();
        assert_eq!(out, "import { execaCommand, execa } from 'execa';\nexport async function a(name) {\n  const cmdArgs = [ String(name) ];\n  return execa('echo', cmdArgs);\n}\n");
        // execa splits on spaces only: quotes stay in the word, as execa passes them
        let t = "const execa = require('execa');\nexeca.command(\"echo 'a\" + x);\n";
        let out = at_needle(t, "execa.command", "a.js", execa_command_to_execa).unwrap();
        assert_eq!(
            out,
            "const execa = require('execa');\nexeca('echo', [ `'a${x}` ]);\n"
        );
        for (t, needle, why) in [
            (
                "const execa = require('execa');\nexeca.command('ls my\\\\ dir ' + x);\n",
                "execa.command",
                "backslash",
            ),
            (
                "const run = require('./run');\nrun.command(`ls ${x}`);\n",
                "run.command",
                "not execa",
            ),
            (
                "const execa = require('execa');\nexeca.command(`${prog} -x`);\n",
                "execa.command",
                "not a fixed name",
            ),
        ] {
            let err = at_needle(t, needle, "a.js", execa_command_to_execa).unwrap_err();
            assert!(err.contains(why), "{t}: {err}");
        }
    }

    #[test]
    fn shelljs_exec_becomes_spawn_sync_when_its_result_is_unused() {
        let t = "'use strict';\nconst shell = require('shelljs');\nexports.a = async ctx => {\n  shell.exec(`npm uninstall ${ctx.request.body.pkg}`);\n  shell.exec('git pull ' + ctx.query.remote, { silent: true });\n};\n";
        let out = at_needle(t, "shell.exec('git", "a.js", shelljs_exec_to_spawn_sync).unwrap();
        assert_eq!(out, "'use strict';\nconst shell = require('shelljs');\nconst { spawnSync } = require('child_process');\nexports.a = async ctx => {\n  shell.exec(`npm uninstall ${ctx.request.body.pkg}`);\n  spawnSync('git', [ 'pull', String(ctx.query.remote) ], { stdio: 'ignore' });\n};\n");
        let out = at_needle(&out, "shell.exec(", "a.js", shelljs_exec_to_spawn_sync).unwrap();
        assert_eq!(out, "'use strict';\nconst shell = require('shelljs');\nconst { spawnSync } = require('child_process');\nexports.a = async ctx => {\n  spawnSync('npm', [ 'uninstall', String(ctx.request.body.pkg) ], { stdio: 'inherit' });\n  spawnSync('git', [ 'pull', String(ctx.query.remote) ], { stdio: 'ignore' });\n};\n");
        // ESM, a child_process binding already there, a variable
        let t = "import shell from 'shelljs';\nimport { exec } from 'child_process';\nexport function a(v) {\n  const cmd = `git checkout -b ${v}`;\n  shell.exec(cmd);\n}\n";
        let out = at_needle(t, "shell.exec", "a.mjs", shelljs_exec_to_spawn_sync).unwrap();
        assert_eq!(out, "import shell from 'shelljs';\nimport { exec, spawnSync } from 'child_process';\nexport function a(v) {\n  const cmdArgs = [ 'checkout', '-b', String(v) ];\n  spawnSync('git', cmdArgs, { stdio: 'inherit' });\n}\n");
        // a new ES import after the shelljs one
        let t = "import * as shell from 'shelljs';\nexport function a(v) {\n  shell.exec(`ls ${v}`);\n}\n";
        let out = at_needle(t, "shell.exec", "a.ts", shelljs_exec_to_spawn_sync).unwrap();
        assert_eq!(out, "import * as shell from 'shelljs';\nimport { spawnSync } from 'child_process';\nexport function a(v) {\n  spawnSync('ls', [ String(v) ], { stdio: 'inherit' });\n}\n");
        for (t, why) in [
            ("const shell = require('shelljs');\nfunction a(v) { if (shell.exec(`git tag ${v}`).code !== 0) throw 1; }\n", "is used"),
            ("const shell = require('shelljs');\nfunction a(v) { shell.exec(`git tag ${v}`, (code) => {}); }\n", "asynchronously"),
            ("const shell = require('shelljs');\nfunction a(v) { shell.exec(`git tag ${v}`, { async: true }); }\n", "`async`"),
            ("const shell = require('shelljs');\nfunction a(v) { shell.exec(`cd ${v}`); }\n", "builtin"),
            ("const shell = require('shelljs');\nfunction a(v) { shell.exec(`git tag ${v} && git push`); }\n", "shell syntax"),
            ("const shell = require('shelljs');\nconst spawnSync = 1;\nfunction a(v) { shell.exec(`git tag ${v}`); }\n", "names something else"),
        ] {
            let err = at_needle(t, "shell.exec", "a.js", shelljs_exec_to_spawn_sync).unwrap_err();
            assert!(err.contains(why), "{t}: {err}");
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
