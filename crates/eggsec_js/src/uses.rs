//! Member uses: every `a.b.c` chain a file reads, calls, assigns or destructures, as owned
//! facts. eggsec uses them to tell which plugin contributions (`app.mysql`, `ctx.render`,
//! `ctx.__`, `helper.foo`) an app touches, and what a plugin's own files add to `app`/`ctx`.
//!
//! ```
//! use eggsec_js::uses::{uses_in_source, UseKind};
//! let uses = uses_in_source(
//!     std::path::Path::new("app/controller/home.js"),
//!     "const { ctx } = this; await ctx.render('home.tpl'); this.app.mysql.query('x');",
//! ).unwrap();
//! assert!(uses.iter().any(|u| u.dotted() == "ctx.render" && u.kind == UseKind::Call));
//! assert!(uses.iter().any(|u| u.dotted() == "this.app.mysql.query"));
//! assert!(uses.iter().any(|u| u.dotted() == "this.ctx" && u.kind == UseKind::Destructure));
//! ```

use crate::error::JsError;
use crate::eval::source::{self, LineIndex};
use crate::eval::Limits;
use oxc::allocator::Allocator;
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::parser::{ParseOptions, Parser};
use oxc::span::{GetSpan, SourceType};
use std::path::Path;

/// A property segment whose name is not statically known (`app[name]`).
pub const DYNAMIC: &str = "[*]";
/// A computed key that is a module constant made by `Symbol(...)`/`Symbol.for(...)` (egg's
/// caching idiom, `this[CLIENT] ??= new Client()`): it never names a property of `app`/`ctx`.
pub const SYMBOL: &str = "[symbol]";

/// Member chain links further than this from their root are not recorded as uses.
const MAX_CHAIN_PATH: usize = 64;

/// What the code does with a member chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UseKind {
    /// Read (`x = app.mysql`, `if (ctx.session)`).
    Read,
    /// Called (`ctx.render(...)`, or a bare `__('hi')`: root only, empty path).
    Call,
    /// Assigned (`app.foo = ...`; keys of `module.exports = {...}` / `export default {...}` /
    /// `export default class {...}` appear as writes to `module.exports.KEY`).
    Write,
    /// A key destructured from a chain (`const { mysql } = app` → `app.mysql`).
    Destructure,
}

/// One member chain use at a place in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberUse {
    /// The base of the chain: an identifier (`app`, `ctx`, `module`, `exports`), `this`, or
    /// `?` when the chain starts at something else (a call result, a literal).
    pub root: String,
    /// Property names after the root, outermost last; [`DYNAMIC`] for a computed key that is
    /// not a literal.
    pub path: Vec<String>,
    pub kind: UseKind,
    /// 1-based line and column (characters) of the chain's start.
    pub line: u32,
    pub column: u32,
    /// For calls: the string-literal arguments, in order (others are skipped).
    pub args: Vec<String>,
}

impl MemberUse {
    /// `root.a.b` as written (dynamic keys as `[*]`).
    pub fn dotted(&self) -> String {
        let mut s = self.root.clone();
        for p in &self.path {
            if p != DYNAMIC && p != SYMBOL {
                s.push('.');
            }
            s.push_str(p);
        }
        s
    }
}

/// Every member use in an already-parsed program, sorted by position. Of nested chains only
/// the outermost is kept (`a.b.c()` gives one `Call` of `a.b.c`, not also `a.b`).
pub fn collect(program: &Program<'_>, source_text: &str) -> Vec<MemberUse> {
    collect_with(program, source_text, &LineIndex::new(source_text))
}

/// [`collect`] with the file's line index already built.
pub(crate) fn collect_with(
    program: &Program<'_>,
    source_text: &str,
    lines: &LineIndex,
) -> Vec<MemberUse> {
    let mut v = Collector {
        out: Vec::new(),
        callee: None,
        symbols: symbol_constants(program),
    };
    v.visit_program(program);
    let mut raw = v.out;
    // Keep, per start offset, the longest chain; on a tie the most specific kind.
    raw.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(b.1.path.len().cmp(&a.1.path.len()))
            .then(b.1.kind.cmp(&a.1.kind))
    });
    let mut out: Vec<MemberUse> = Vec::with_capacity(raw.len());
    let mut last: Option<u32> = None;
    for (start, mut u) in raw {
        if last == Some(start) && u.kind != UseKind::Destructure {
            continue;
        }
        last = Some(start);
        (u.line, u.column) = lines.line_col(source_text, start);
        out.push(u);
    }
    out
}

/// Reads and parses a file (size, binary, UTF-8 and nesting checks first) and returns its
/// member uses. The parse runs on a thread with a large stack, so no input overflows the
/// caller's.
pub fn uses_in_file(path: &Path) -> Result<Vec<MemberUse>, JsError> {
    let limits = Limits::default();
    let text = source::read_text(path, &limits)?;
    uses_in_source(path, &text)
}

/// [`uses_in_file`] for text already in memory; `path` decides the language and names errors.
pub fn uses_in_source(path: &Path, text: &str) -> Result<Vec<MemberUse>, JsError> {
    let limits = Limits::default();
    source::check_size(path, text.len() as u64, &limits)?;
    if source::nesting_exceeds_in(path, text, limits.max_depth) {
        return Err(JsError::TooDeep {
            path: path.to_path_buf(),
            limit: limits.max_depth,
        });
    }
    on_large_stack(path, || {
        let alloc = Allocator::default();
        let program = parse(&alloc, path, text)?;
        Ok(collect(&program, text))
    })
}

/// Parses JS/TS (by extension) into a program, or the first syntax error naming the file.
pub(crate) fn parse<'a>(
    alloc: &'a Allocator,
    path: &Path,
    text: &'a str,
) -> Result<Program<'a>, JsError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("js");
    let source_type = match ext {
        "cjs" => SourceType::cjs(),
        "mjs" => SourceType::mjs(),
        "ts" | "mts" | "cts" | "tsx" => SourceType::from_extension(ext)
            .unwrap_or_else(|_| SourceType::ts())
            .with_unambiguous(ext == "ts"),
        "jsx" => SourceType::jsx().with_unambiguous(true),
        _ => SourceType::unambiguous().with_jsx(true),
    };
    let options = ParseOptions {
        allow_return_outside_function: true,
        ..ParseOptions::default()
    };
    let ret = Parser::new(alloc, text, source_type)
        .with_options(options)
        .parse();
    if let Some(err) = ret.diagnostics.errors().next() {
        let offset = err.labels.first().map_or(0, |l| l.offset());
        let (line, column) = LineIndex::new(text).line_col(text, offset);
        return Err(JsError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: err.message.to_string(),
        });
    }
    if ret.panicked {
        return Err(JsError::Parse {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "cannot parse".into(),
        });
    }
    Ok(ret.program)
}

pub(crate) use crate::stack::on_large_stack;

/// The root and property path of a member chain, looking through parentheses, `?.`, `!`
/// and TS `as`/`satisfies`.
pub(crate) fn chain_of(expr: &Expression<'_>) -> (String, Vec<String>) {
    chain_of_in(expr, &[])
}

/// The module's top-level constants made by `Symbol(...)` or `Symbol.for(...)`.
fn symbol_constants(program: &Program<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in &program.body {
        let Statement::VariableDeclaration(d) = stmt else {
            continue;
        };
        if d.kind != VariableDeclarationKind::Const {
            continue;
        }
        for decl in &d.declarations {
            let (BindingPattern::BindingIdentifier(id), Some(init)) = (&decl.id, &decl.init) else {
                continue;
            };
            let Expression::CallExpression(call) = init.get_inner_expression() else {
                continue;
            };
            let is_symbol = match call.callee.get_inner_expression() {
                Expression::Identifier(f) => f.name == "Symbol",
                e => e.as_member_expression().is_some_and(|m| {
                    m.static_property_name() == Some("for")
                        && matches!(m.object(), Expression::Identifier(o) if o.name == "Symbol")
                }),
            };
            if is_symbol {
                out.push(id.name.as_str().to_owned());
            }
        }
    }
    out
}

/// A link's name: its static name, [`SYMBOL`] for a key that is one of `symbols`, else
/// [`DYNAMIC`].
fn link_name<'m>(m: &'m MemberExpression<'_>, symbols: &[String]) -> &'m str {
    if let Some(name) = m.static_property_name() {
        return name;
    }
    match m {
        MemberExpression::ComputedMemberExpression(c)
            if matches!(c.expression.get_inner_expression(),
                Expression::Identifier(k) if symbols.iter().any(|s| s == k.name.as_str())) =>
        {
            SYMBOL
        }
        _ => DYNAMIC,
    }
}

/// [`chain_of`], a computed key that is one of `symbols` named [`SYMBOL`].
fn chain_of_in(expr: &Expression<'_>, symbols: &[String]) -> (String, Vec<String>) {
    let mut path = Vec::new();
    let mut cur = expr;
    loop {
        match cur {
            Expression::ParenthesizedExpression(p) => cur = &p.expression,
            Expression::TSAsExpression(e) => cur = &e.expression,
            Expression::TSSatisfiesExpression(e) => cur = &e.expression,
            Expression::TSNonNullExpression(e) => cur = &e.expression,
            Expression::ChainExpression(c) => match c.expression.as_member_expression() {
                Some(m) => {
                    path.push(link_name(m, symbols).to_string());
                    cur = m.object();
                }
                None => break,
            },
            Expression::Identifier(id) => {
                path.reverse();
                return (id.name.as_str().to_owned(), path);
            }
            Expression::ThisExpression(_) => {
                path.reverse();
                return ("this".into(), path);
            }
            _ => match cur.as_member_expression() {
                Some(m) => {
                    path.push(link_name(m, symbols).to_string());
                    cur = m.object();
                }
                None => break,
            },
        }
    }
    path.reverse();
    ("?".into(), path)
}

/// The static name of an object or class key (`a`, `'a'`, `[`a`]`), when it has one.
pub(crate) fn key_name(key: &PropertyKey<'_>) -> Option<String> {
    key.static_name().map(|c| c.to_string())
}

struct Collector {
    /// (start offset, use) before de-duplication.
    out: Vec<(u32, MemberUse)>,
    /// The span of the member chain a call just recorded as its callee: the chain's own
    /// outermost `Read` (same start, same path) would be dropped for the `Call`, so it is not
    /// built.
    callee: Option<oxc::span::Span>,
    /// The module's constants made by `Symbol(...)` ([`symbol_constants`]).
    symbols: Vec<String>,
}

impl Collector {
    /// Every key of a destructuring pattern on the chain `root.base`, nested patterns
    /// followed (`const { ctx: { app: { mysql } } } = this` reads `this.ctx`,
    /// `this.ctx.app` and `this.ctx.app.mysql`; a default, `{ app: { redis } = {} }`, too).
    fn destructured(&mut self, pat: &ObjectPattern<'_>, root: &str, base: &[String]) {
        if base.len() >= MAX_CHAIN_PATH {
            return;
        }
        for p in &pat.properties {
            let key = key_name(&p.key).unwrap_or_else(|| DYNAMIC.to_string());
            let mut path = base.to_vec();
            path.push(key);
            let inner = match &p.value {
                BindingPattern::ObjectPattern(o) => Some(&**o),
                BindingPattern::AssignmentPattern(a) => match &a.left {
                    BindingPattern::ObjectPattern(o) => Some(&**o),
                    _ => None,
                },
                _ => None,
            };
            if let Some(inner) = inner {
                self.destructured(inner, root, &path);
            }
            self.push(p.span.start, root.to_string(), path, UseKind::Destructure);
        }
    }

    fn push(&mut self, start: u32, root: String, path: Vec<String>, kind: UseKind) {
        self.push_args(start, root, path, kind, Vec::new());
    }

    fn push_args(
        &mut self,
        start: u32,
        root: String,
        path: Vec<String>,
        kind: UseKind,
        args: Vec<String>,
    ) {
        // the place is looked up once the duplicates are gone (see `collect_with`)
        self.out.push((
            start,
            MemberUse {
                root,
                path,
                kind,
                line: 0,
                column: 0,
                args,
            },
        ));
    }

    /// `Object.defineProperty(app, 'name', …)` writes `app.name` (recorded at the receiver, as
    /// `app.name = …` would be); `Object.defineProperty(exports, '__esModule', …)` writes
    /// `exports.__esModule`, not a property of `app`.
    fn defined_property(&mut self, call: &CallExpression<'_>) {
        let mut args = call.arguments.iter().filter_map(|a| a.as_expression());
        let (Some(target), Some(key)) = (args.next(), args.next()) else {
            return;
        };
        let name = match key.get_inner_expression() {
            Expression::StringLiteral(s) => s.value.as_str(),
            _ => return,
        };
        let (root, mut path) = chain_of_in(target.get_inner_expression(), &self.symbols);
        if root == "?" || path.len() >= MAX_CHAIN_PATH {
            return;
        }
        path.push(name.to_owned());
        self.push(target.span().start, root, path, UseKind::Write);
    }

    /// Keys of an object literal or class body exported as a module's value.
    fn exported_keys(&mut self, expr: &Expression<'_>) {
        match expr.get_inner_expression() {
            Expression::ObjectExpression(o) => self.object_keys(o),
            Expression::ClassExpression(c) => self.class_keys(c),
            _ => {}
        }
    }

    fn object_keys(&mut self, o: &ObjectExpression<'_>) {
        for p in &o.properties {
            if let ObjectPropertyKind::ObjectProperty(p) = p {
                if let Some(k) = key_name(&p.key) {
                    self.push(
                        p.span.start,
                        "module".into(),
                        vec!["exports".into(), k],
                        UseKind::Write,
                    );
                }
            }
        }
    }

    fn class_keys(&mut self, c: &Class<'_>) {
        for el in &c.body.body {
            let (key, span, is_static) = match el {
                ClassElement::MethodDefinition(m) => (&m.key, m.span, m.r#static),
                ClassElement::PropertyDefinition(p) => (&p.key, p.span, p.r#static),
                ClassElement::AccessorProperty(p) => (&p.key, p.span, p.r#static),
                _ => continue,
            };
            if is_static {
                continue;
            }
            if let Some(k) = key_name(key).filter(|k| k != "constructor") {
                self.push(
                    span.start,
                    "module".into(),
                    vec!["exports".into(), k],
                    UseKind::Write,
                );
            }
        }
    }
}

impl<'a> Visit<'a> for Collector {
    /// The whole chain at once, iteratively: each link is one use (its path from the root,
    /// outermost first, as a recursive walk would give them), and only what is not a link (a
    /// computed key, a root that is not a name) is walked. A 10,000-link chain is linear work
    /// and no deep recursion; links more than [`MAX_CHAIN_PATH`] from the root (never written
    /// by hand) are not recorded.
    fn visit_member_expression(&mut self, it: &MemberExpression<'a>) {
        // (inline: a chain of more than eight links is rare, and this runs for every chain)
        let mut links: smallvec::SmallVec<[&MemberExpression<'a>; 8]> = smallvec::smallvec![it];
        let mut cur: &Expression<'a> = it.object();
        loop {
            let next = match cur {
                Expression::ParenthesizedExpression(p) => {
                    cur = &p.expression;
                    continue;
                }
                Expression::TSAsExpression(e) => {
                    cur = &e.expression;
                    continue;
                }
                Expression::TSSatisfiesExpression(e) => {
                    cur = &e.expression;
                    continue;
                }
                Expression::TSNonNullExpression(e) => {
                    cur = &e.expression;
                    continue;
                }
                Expression::ChainExpression(c) => c.expression.as_member_expression(),
                _ => cur.as_member_expression(),
            };
            match next {
                Some(m) => {
                    links.push(m);
                    cur = m.object();
                }
                None => break,
            }
        }
        let root = match cur {
            Expression::Identifier(id) => id.name.as_str().to_owned(),
            Expression::ThisExpression(_) => "this".to_string(),
            _ => "?".to_string(),
        };
        // names from the root outwards, as far as they are recorded (borrowed: only the
        // recorded uses own theirs)
        let names: smallvec::SmallVec<[&str; 8]> = links
            .iter()
            .rev()
            .take(MAX_CHAIN_PATH)
            .map(|m| link_name(m, &self.symbols))
            .collect();
        // a link starting where a longer recorded one starts is dropped by `collect` (which
        // keeps the longest chain per start): it is not built at all; nor is a call's callee
        // (its `Call` has the same start and path and wins)
        let mut last_start = None;
        if self.callee.take() == Some(it.span()) && links.len() <= MAX_CHAIN_PATH {
            last_start = Some(it.span().start);
        }
        for (i, m) in links.iter().enumerate() {
            let depth = links.len() - i;
            let start = m.span().start;
            if depth <= MAX_CHAIN_PATH && last_start != Some(start) {
                last_start = Some(start);
                self.push(
                    m.span().start,
                    root.clone(),
                    names[..depth].iter().map(|n| n.to_string()).collect(),
                    UseKind::Read,
                );
            }
        }
        if !matches!(
            cur,
            Expression::Identifier(_) | Expression::ThisExpression(_)
        ) {
            self.visit_expression(cur);
        }
        for m in links.iter().rev() {
            if let MemberExpression::ComputedMemberExpression(c) = m {
                self.visit_expression(&c.expression);
            }
        }
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let callee = it.callee.get_inner_expression();
        let is_chain = matches!(callee, Expression::Identifier(_))
            || callee.as_member_expression().is_some()
            || matches!(callee, Expression::ChainExpression(_));
        if is_chain {
            let args: Vec<String> = it
                .arguments
                .iter()
                .filter_map(|a| match a.as_expression()?.get_inner_expression() {
                    Expression::StringLiteral(s) => Some(s.value.as_str().to_owned()),
                    Expression::TemplateLiteral(t) if t.quasis.len() == 1 => {
                        t.quasis[0].value.cooked.map(|c| c.to_string())
                    }
                    _ => None,
                })
                .collect();
            let (root, path) = chain_of_in(callee, &self.symbols);
            let defines = root == "Object" || root == "Reflect";
            let defines = defines && path.len() == 1 && path[0] == "defineProperty";
            self.push_args(callee.span().start, root, path, UseKind::Call, args);
            if defines {
                self.defined_property(it);
            }
            if let Some(m) = callee.as_member_expression() {
                self.callee = Some(m.span());
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if let Some(m) = it.left.as_member_expression() {
            let (root, mut path) = chain_of_in(m.object(), &self.symbols);
            path.push(link_name(m, &self.symbols).to_string());
            let is_module_exports =
                (root == "module" && path == ["exports"]) || (root == "exports" && path.is_empty());
            self.push(m.span().start, root, path, UseKind::Write);
            if is_module_exports {
                self.exported_keys(&it.right);
            }
        } else if let AssignmentTarget::AssignmentTargetIdentifier(id) = &it.left {
            if id.name == "exports" {
                self.exported_keys(&it.right);
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let (BindingPattern::ObjectPattern(pat), Some(init)) = (&it.id, &it.init) {
            let (root, base) = chain_of(init.get_inner_expression());
            let is_chain = root != "?" || !base.is_empty();
            if is_chain {
                self.destructured(pat, &root, &base);
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_export_default_declaration(&mut self, it: &ExportDefaultDeclaration<'a>) {
        match &it.declaration {
            ExportDefaultDeclarationKind::ClassDeclaration(c) => self.class_keys(c),
            other => {
                if let Some(e) = other.as_expression() {
                    self.exported_keys(e);
                }
            }
        }
        walk::walk_export_default_declaration(self, it);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(text: &str) -> Vec<MemberUse> {
        uses_in_source(Path::new("x.js"), text).unwrap()
    }
    fn dotted(text: &str) -> Vec<(String, UseKind)> {
        uses(text)
            .into_iter()
            .map(|u| (u.dotted(), u.kind))
            .collect()
    }

    #[test]
    fn outermost_chains_only() {
        let d = dotted("this.app.mysql.query('select 1');\nconst x = ctx.session.user;");
        assert_eq!(
            d,
            vec![
                ("this.app.mysql.query".to_string(), UseKind::Call),
                ("ctx.session.user".to_string(), UseKind::Read),
            ]
        );
        let u = uses("this.app.mysql.query('select 1');");
        assert_eq!(u[0].args, ["select 1"]);
        assert_eq!((u[0].line, u[0].column), (1, 1));
    }

    #[test]
    fn destructuring_optional_chains_and_dynamic_keys() {
        let d = dotted("const { ctx, app: a } = this;\nctx?.helper?.fmt(1);\napp[name].x;");
        assert!(
            d.contains(&("this.ctx".into(), UseKind::Destructure)),
            "{d:?}"
        );
        assert!(
            d.contains(&("this.app".into(), UseKind::Destructure)),
            "{d:?}"
        );
        assert!(
            d.contains(&("ctx.helper.fmt".into(), UseKind::Call)),
            "{d:?}"
        );
        assert!(d.contains(&("app[*].x".into(), UseKind::Read)), "{d:?}");
        let d = dotted("ctx['__']('hello'); __('x');");
        assert!(d.contains(&("ctx.__".into(), UseKind::Call)), "{d:?}");
        assert!(d.contains(&("__".into(), UseKind::Call)), "{d:?}");
    }

    #[test]
    fn nested_destructuring_reads_every_level() {
        // xprofiler-console: `const { ctx: { app: { mysql } } } = this;`
        let d = dotted(
            "const { ctx: { app: { mysql }, service: { user } = {} } } = this;\nconst { a: b } = x;",
        );
        for want in [
            "this.ctx",
            "this.ctx.app",
            "this.ctx.app.mysql",
            "this.ctx.service",
            "this.ctx.service.user",
            "x.a",
        ] {
            assert!(
                d.contains(&(want.into(), UseKind::Destructure)),
                "{want}: {d:?}"
            );
        }
        // a renamed key is not followed into its new name
        assert!(!d.iter().any(|(u, _)| u == "x.a.b" || u == "x.b"), "{d:?}");
    }

    #[test]
    fn exports_become_writes_to_module_exports() {
        let d = dotted(
            "module.exports = { get mysql() { return 1 }, query() {}, [`x`]: 1 };\nexports.y = 2;",
        );
        for want in [
            "module.exports.mysql",
            "module.exports.query",
            "module.exports.x",
            "exports.y",
        ] {
            assert!(d.contains(&(want.into(), UseKind::Write)), "{want}: {d:?}");
        }
        let d = dotted(
            "export default class extends Context { get model() { return 1 } static s() {} }",
        );
        assert_eq!(
            d,
            vec![("module.exports.model".to_string(), UseKind::Write)]
        );
        let u = uses_in_source(
            Path::new("a.ts"),
            "export default { foo: 1 } as any;\n(app as any).bar = 1;",
        )
        .unwrap();
        let d: Vec<String> = u.iter().map(MemberUse::dotted).collect();
        assert_eq!(d, ["module.exports.foo", "app.bar"]);
    }

    #[test]
    fn define_property_writes_the_property_of_its_receiver() {
        let src = "Object.defineProperty(exports, '__esModule', { value: true });\n\
Object.defineProperty(app, 'lazy', { get() {} });\n\
Reflect.defineProperty(this.app.context, 'thing', { value: 1 });\n\
Object.defineProperty(make(), 'lost', {});\nObject.defineProperty(app, key, {});\n";
        let u = uses_in_source(Path::new("app.js"), src).unwrap();
        let writes: Vec<String> = u
            .iter()
            .filter(|u| u.kind == UseKind::Write)
            .map(MemberUse::dotted)
            .collect();
        assert_eq!(
            writes,
            ["exports.__esModule", "app.lazy", "this.app.context.thing"]
        );
    }

    #[test]
    fn a_symbol_constant_key_is_not_a_computed_name() {
        // egg's caching idiom in an extend file: the Symbol key names no property of `this`
        let src = "const CLIENT = Symbol('app#client');\nconst K = Symbol.for('k');\n\
let other = 'x';\nmodule.exports = {\n  get client() {\n    if (!this[CLIENT]) this[CLIENT] = 1;\n\
    this[K].close();\n    return this[other] || this[CLIENT];\n  },\n};\n";
        let u = uses_in_source(Path::new("application.js"), src).unwrap();
        let d: Vec<String> = u.iter().map(MemberUse::dotted).collect();
        let symbol = format!("this{SYMBOL}");
        assert_eq!(d.iter().filter(|x| **x == symbol).count(), 3, "{d:?}");
        assert!(d.contains(&format!("this{SYMBOL}.close")), "{d:?}");
        // a computed key that is not a Symbol constant stays unknown
        assert!(d.contains(&format!("this{DYNAMIC}")), "{d:?}");
    }

    #[test]
    fn bad_input_is_an_error_naming_the_file() {
        let e = uses_in_source(Path::new("bad.js"), "ctx.render(").unwrap_err();
        assert!(e.to_string().starts_with("bad.js:1:"), "{e}");
        let e = uses_in_source(Path::new("deep.js"), &"[".repeat(5000)).unwrap_err();
        assert!(matches!(e, JsError::TooDeep { .. }), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bin.js");
        std::fs::write(&f, b"a\0b").unwrap();
        assert!(matches!(uses_in_file(&f), Err(JsError::Binary { .. })));
        std::fs::write(&f, b"a = '\xff';").unwrap();
        assert!(matches!(uses_in_file(&f), Err(JsError::InvalidUtf8 { .. })));
    }
}
