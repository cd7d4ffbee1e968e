//! Conditions on the request's path that a middleware's rejection depends on.
//!
//! Many egg apps write one global auth middleware and choose inside it which requests it
//! checks: `if (options.authUrls.includes(ctx.url)) { …verify the token… } else { await next() }`
//! (only the listed URLs), `if (whiteList.includes(ctx.path)) return next();` then the check
//! (everything but the listed paths), `if (!/^\/api\//.test(ctx.path)) { await next(); return; }`.
//! Such a middleware protects some routes and not others. The walker records, with each
//! [`super::Rejection`], the path tests it happens under ([`PathCond`]); the app model evaluates
//! them against each route's path, with the middleware's options and the app's config
//! (`eggsec_app::path_cond`).

use super::{ctx_path, string_lit, AuthVisitor};
use crate::routes::member_path_ref;
use oxc::ast::ast::*;
use oxc::span::GetSpan;

/// How a path test compares the request's path with a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathOp {
    /// `list.includes(ctx.path)`, `set.has(ctx.url)`, `ctx.path === '/login'`.
    Equals,
    /// `ctx.path.startsWith('/api')`, `ctx.path.indexOf('/api') === 0`.
    StartsWith,
    /// `ctx.url.includes('/admin')`, `ctx.url.indexOf('/admin') > -1`.
    Contains,
    /// `/^\/api\//.test(ctx.path)`, `ctx.path.match(/re/)`: the list holds RegExp sources
    /// (a leading `(?i)` for the `i` flag).
    Regex,
}

/// Where the list a path test compares with comes from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "value")]
pub enum PathList {
    /// Written in the code: a literal, a `const` array or `new Set([...])` of literals.
    Literal(Vec<String>),
    /// The middleware's options, by key path (`options.authUrls` → `["authUrls"]`): for a
    /// global middleware, `config.<middleware name>`.
    Options(Vec<String>),
    /// The app's config, by key path (`app.config.auth.whiteList` → `["auth", "whiteList"]`).
    Config(Vec<String>),
}

/// One comparison of the request's path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PathAtom {
    pub op: PathOp,
    pub list: PathList,
    /// The path read carries the query string (`ctx.url`, `ctx.originalUrl`), not only the
    /// path (`ctx.path`).
    pub with_query: bool,
}

/// A test on the request's path a rejection happens under: true when any of the comparisons
/// holds, or — `negated` — when none does.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PathCond {
    pub any: Vec<PathAtom>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub negated: bool,
    /// The test as written, shortened, negated for the `else` branch (`authUrls.includes(ctx.url)`,
    /// `!whiteList.includes(ctx.path)`).
    pub text: String,
}

impl PathCond {
    /// The opposite test (the `else` branch, the code after `if (…) return next();`).
    pub fn negate(&self) -> PathCond {
        let t = self.text.as_str();
        let simple = |s: &str| !s.contains("||") && !s.contains("&&") && !s.contains('?');
        let text = match t.strip_prefix('!') {
            Some(rest) if simple(rest) && !rest.starts_with('(') => rest.to_string(),
            Some(rest) if rest.starts_with('(') && rest.ends_with(')') => {
                rest[1..rest.len() - 1].to_string()
            }
            _ if simple(t) => format!("!{t}"),
            _ => format!("!({t})"),
        };
        PathCond {
            any: self.any.clone(),
            negated: !self.negated,
            text,
        }
    }
}

/// What a local holds, for path tests.
#[derive(Clone, Debug)]
pub(super) enum PathLocal {
    /// The request's path (`true`: with the query string).
    Path(bool),
    /// The first `n` characters of the request's path: `ctx.req.url.slice(0, 15)`.
    Prefix(bool, usize),
    List(PathList),
}

fn op_text(e: &Expression<'_>) -> Option<&'static str> {
    match e.get_inner_expression() {
        Expression::UnaryExpression(u)
            if u.operator == UnaryOperator::UnaryNegation
                && matches!(u.argument.get_inner_expression(), Expression::NumericLiteral(n) if n.value == 1.0) =>
        {
            Some("-1")
        }
        Expression::NumericLiteral(n) if n.value == 0.0 => Some("0"),
        _ => None,
    }
}

/// `x.indexOf(y) OP k`: `Some(true)` when it says "found" (`> -1`, `!== -1`, `>= 0`),
/// `Some(false)` when "not found" (`=== -1`, `< 0`); `at_start` for `=== 0`.
fn index_of_test(op: BinaryOperator, k: &str) -> Option<IndexTest> {
    use BinaryOperator::*;
    match (op, k) {
        (GreaterThan | StrictInequality | Inequality, "-1") | (GreaterEqualThan, "0") => {
            Some(IndexTest::Found(true))
        }
        (StrictEquality | Equality, "-1") | (LessThan, "0") => Some(IndexTest::Found(false)),
        (StrictEquality | Equality, "0") => Some(IndexTest::AtStart(true)),
        (StrictInequality | Inequality, "0") => Some(IndexTest::AtStart(false)),
        _ => None,
    }
}

enum IndexTest {
    Found(bool),
    AtStart(bool),
}

fn flip(op: BinaryOperator) -> BinaryOperator {
    use BinaryOperator::*;
    match op {
        LessThan => GreaterThan,
        GreaterThan => LessThan,
        LessEqualThan => GreaterEqualThan,
        GreaterEqualThan => LessEqualThan,
        o => o,
    }
}

fn regex_source(e: &Expression<'_>) -> Option<String> {
    match e.get_inner_expression() {
        Expression::RegExpLiteral(r) => {
            let src = r.regex.pattern.text.as_str();
            let i = r.regex.flags.to_string().contains('i');
            Some(if i {
                format!("(?i){src}")
            } else {
                src.to_string()
            })
        }
        _ => None,
    }
}

impl AuthVisitor<'_, '_> {
    /// A local holding the request's path or a list of paths, innermost first.
    fn path_local(&self, name: &str) -> Option<&PathLocal> {
        self.path_locals
            .iter()
            .rev()
            .find(|(_, n, _)| n == name)
            .map(|(_, _, l)| l)
    }

    /// Whether an expression is the request's path: `Some(true)` with the query string
    /// (`ctx.url`, `ctx.originalUrl`), `Some(false)` without (`ctx.path`,
    /// `url.parse(ctx.url).pathname`, `ctx.url.split('?')[0]`).
    pub(super) fn path_expr(&self, e: &Expression<'_>) -> Option<bool> {
        match e.get_inner_expression() {
            Expression::Identifier(i) => match self.path_local(&i.name)? {
                PathLocal::Path(q) => Some(*q),
                PathLocal::Prefix(..) | PathLocal::List(_) => None,
            },
            Expression::StaticMemberExpression(m) if m.property.name == "pathname" => {
                let arg = match m.object.get_inner_expression() {
                    Expression::CallExpression(c)
                        if matches!(c.callee.get_inner_expression(),
                            Expression::StaticMemberExpression(p) if p.property.name == "parse") =>
                    {
                        c.arguments.first()?.as_expression()?
                    }
                    Expression::NewExpression(n)
                        if matches!(n.callee.get_inner_expression(),
                            Expression::Identifier(i) if i.name == "URL") =>
                    {
                        n.arguments.first()?.as_expression()?
                    }
                    _ => return None,
                };
                self.path_expr(arg).map(|_| false)
            }
            Expression::ComputedMemberExpression(m)
                if matches!(m.expression.get_inner_expression(),
                    Expression::NumericLiteral(n) if n.value == 0.0) =>
            {
                let Expression::CallExpression(c) = m.object.get_inner_expression() else {
                    return None;
                };
                let Expression::StaticMemberExpression(s) = c.callee.get_inner_expression() else {
                    return None;
                };
                let sep = c.arguments.first()?.as_expression().and_then(string_lit)?;
                (s.property.name == "split" && sep == "?" && self.path_expr(&s.object).is_some())
                    .then_some(false)
            }
            e @ Expression::StaticMemberExpression(_) => {
                let p = ctx_path(e)?;
                match p.as_slice() {
                    ["ctx", "path"] | ["ctx", "request", "path"] => Some(false),
                    ["ctx", "url" | "originalUrl"]
                    | ["ctx", "request", "url" | "originalUrl"]
                    | ["ctx", "req", "url"] => Some(true),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The first `n` characters of the request's path, and whether it carries the query:
    /// `ctx.url.slice(0, 8)`, `.substring(0, 8)`, `.substr(0, 8)`, a local bound to one.
    fn prefix_expr(&self, e: &Expression<'_>) -> Option<(bool, usize)> {
        match e.get_inner_expression() {
            Expression::Identifier(i) => match self.path_local(&i.name)? {
                PathLocal::Prefix(q, n) => Some((*q, *n)),
                _ => None,
            },
            Expression::CallExpression(c) => {
                let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
                    return None;
                };
                if !matches!(m.property.name.as_str(), "slice" | "substring" | "substr")
                    || c.arguments.len() != 2
                {
                    return None;
                }
                let num = |i: usize| match c.arguments[i].as_expression()?.get_inner_expression() {
                    Expression::NumericLiteral(n)
                        if n.value >= 0.0 && n.value.fract() == 0.0 && n.value < 4096.0 =>
                    {
                        Some(n.value as usize)
                    }
                    _ => None,
                };
                (num(0)? == 0).then_some(())?;
                Some((self.path_expr(&m.object)?, num(1)?))
            }
            _ => None,
        }
    }

    /// A middleware factory's first parameter, its options (`module.exports = options => …`).
    fn is_options(&self, name: &str) -> bool {
        !matches!(name, "ctx" | "context" | "app" | "this")
            && self
                .frames
                .iter()
                .any(|f| f.first_param.as_deref() == Some(name))
    }

    /// A list of paths: literals, a local bound to one, the middleware's options, the config.
    pub(super) fn list_expr(&self, e: &Expression<'_>) -> Option<PathList> {
        match e.get_inner_expression() {
            Expression::ArrayExpression(a) => {
                let mut out = Vec::with_capacity(a.elements.len());
                for el in &a.elements {
                    out.push(string_lit(el.as_expression()?)?);
                }
                Some(PathList::Literal(out))
            }
            Expression::NewExpression(n)
                if matches!(n.callee.get_inner_expression(),
                    Expression::Identifier(i) if i.name == "Set") =>
            {
                self.list_expr(n.arguments.first()?.as_expression()?)
            }
            Expression::Identifier(i) => match self.path_local(&i.name) {
                Some(PathLocal::List(l)) => Some(l.clone()),
                Some(PathLocal::Path(_) | PathLocal::Prefix(..)) => None,
                // the factory's `options` itself (`const { whiteList } = options`)
                None => self
                    .is_options(&i.name)
                    .then(|| PathList::Options(Vec::new())),
            },
            e @ Expression::StaticMemberExpression(_) => {
                let p = member_path_ref(e)?;
                let keys = |rest: &[&str]| rest.iter().map(|s| s.to_string()).collect::<Vec<_>>();
                match p.as_slice() {
                    ["app" | "ctx", "config", rest @ ..]
                    | ["this", "app" | "ctx", "config", rest @ ..]
                    | ["ctx" | "this", "app", "config", rest @ ..]
                    | ["this", "ctx", "app", "config", rest @ ..]
                        if !rest.is_empty() =>
                    {
                        Some(PathList::Config(keys(rest)))
                    }
                    [root, rest @ ..] if !rest.is_empty() && self.is_options(root) => {
                        Some(PathList::Options(keys(rest)))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// One comparison of the request's path, and whether it is negated.
    fn path_atom(&self, e: &Expression<'_>) -> Option<(PathAtom, bool)> {
        match e.get_inner_expression() {
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
                self.path_atom(&u.argument).map(|(a, n)| (a, !n))
            }
            Expression::CallExpression(c) => {
                let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
                    return None;
                };
                let arg = c.arguments.first()?.as_expression()?;
                let atom = |op, list, with_query| {
                    Some((
                        PathAtom {
                            op,
                            list,
                            with_query,
                        },
                        false,
                    ))
                };
                match m.property.name.as_str() {
                    // `list.includes(ctx.path)` / `ctx.path.includes('/admin')`
                    "includes" | "has" => {
                        if let Some(q) = self.path_expr(arg) {
                            return atom(PathOp::Equals, self.list_expr(&m.object)?, q);
                        }
                        let q = self.path_expr(&m.object)?;
                        atom(
                            PathOp::Contains,
                            PathList::Literal(vec![string_lit(arg)?]),
                            q,
                        )
                    }
                    "startsWith" => {
                        let q = self.path_expr(&m.object)?;
                        atom(
                            PathOp::StartsWith,
                            PathList::Literal(vec![string_lit(arg)?]),
                            q,
                        )
                    }
                    "test" => {
                        let q = self.path_expr(arg)?;
                        atom(
                            PathOp::Regex,
                            PathList::Literal(vec![regex_source(&m.object)?]),
                            q,
                        )
                    }
                    "match" => {
                        let q = self.path_expr(&m.object)?;
                        atom(
                            PathOp::Regex,
                            PathList::Literal(vec![regex_source(arg)?]),
                            q,
                        )
                    }
                    // `list.some(p => ctx.path.startsWith(p))`
                    "some" => {
                        let list = self.list_expr(&m.object)?;
                        let Expression::ArrowFunctionExpression(f) = arg.get_inner_expression()
                        else {
                            return None;
                        };
                        let param = match &f.params.items.first()?.pattern {
                            BindingPattern::BindingIdentifier(id) => id.name.as_str(),
                            _ => return None,
                        };
                        let body = match &f.body {
                            ArrowFunctionBody::FunctionBody(b) => match b.statements.first()? {
                                Statement::ReturnStatement(r) => r.argument.as_ref()?,
                                _ => return None,
                            },
                            e => e.as_expression()?,
                        };
                        let is_param = |e: &Expression<'_>| matches!(e.get_inner_expression(), Expression::Identifier(i) if i.name == param);
                        match body.get_inner_expression() {
                            Expression::CallExpression(c) => {
                                let Expression::StaticMemberExpression(m) =
                                    c.callee.get_inner_expression()
                                else {
                                    return None;
                                };
                                let a = c.arguments.first()?.as_expression()?;
                                let q = self.path_expr(&m.object)?;
                                let op = match m.property.name.as_str() {
                                    "startsWith" => PathOp::StartsWith,
                                    "includes" => PathOp::Contains,
                                    _ => return None,
                                };
                                is_param(a).then_some(())?;
                                atom(op, list, q)
                            }
                            Expression::BinaryExpression(b)
                                if matches!(
                                    b.operator,
                                    BinaryOperator::StrictEquality | BinaryOperator::Equality
                                ) =>
                            {
                                let q = if is_param(&b.left) {
                                    self.path_expr(&b.right)?
                                } else if is_param(&b.right) {
                                    self.path_expr(&b.left)?
                                } else {
                                    return None;
                                };
                                atom(PathOp::Equals, list, q)
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                }
            }
            Expression::BinaryExpression(b) => {
                use BinaryOperator::*;
                // `ctx.path === '/login'`
                if matches!(
                    b.operator,
                    StrictEquality | Equality | StrictInequality | Inequality
                ) {
                    let negated = matches!(b.operator, StrictInequality | Inequality);
                    let (q, lit) = match (self.path_expr(&b.left), self.path_expr(&b.right)) {
                        (Some(q), None) => (q, string_lit(&b.right)),
                        (None, Some(q)) => (q, string_lit(&b.left)),
                        _ => (false, None),
                    };
                    // `ctx.url.slice(0, 8) === '/secure/'`: a prefix test when the literal is as
                    // long as the slice, the whole path when shorter, never when longer
                    let prefix = match (self.prefix_expr(&b.left), self.prefix_expr(&b.right)) {
                        (Some(p), None) => string_lit(&b.right).map(|l| (p, l)),
                        (None, Some(p)) => string_lit(&b.left).map(|l| (p, l)),
                        _ => None,
                    };
                    if let Some(((q, n), lit)) = prefix {
                        let len = lit.encode_utf16().count();
                        let (op, list) = match len.cmp(&n) {
                            std::cmp::Ordering::Equal => (PathOp::StartsWith, vec![lit]),
                            std::cmp::Ordering::Less => (PathOp::Equals, vec![lit]),
                            std::cmp::Ordering::Greater => (PathOp::Equals, Vec::new()),
                        };
                        return Some((
                            PathAtom {
                                op,
                                list: PathList::Literal(list),
                                with_query: q,
                            },
                            negated,
                        ));
                    }
                    if let Some(lit) = lit {
                        return Some((
                            PathAtom {
                                op: PathOp::Equals,
                                list: PathList::Literal(vec![lit]),
                                with_query: q,
                            },
                            negated,
                        ));
                    }
                }
                // `x.indexOf(y) > -1` (either side)
                let (call, k, op) = match (op_text(&b.right), op_text(&b.left)) {
                    (Some(k), _) => (&b.left, k, b.operator),
                    (None, Some(k)) => (&b.right, k, flip(b.operator)),
                    _ => return None,
                };
                let Expression::CallExpression(c) = call.get_inner_expression() else {
                    return None;
                };
                let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
                    return None;
                };
                if m.property.name != "indexOf" {
                    return None;
                }
                let arg = c.arguments.first()?.as_expression()?;
                let test = index_of_test(op, k)?;
                if let Some(q) = self.path_expr(arg) {
                    // `list.indexOf(ctx.path) > -1`
                    let IndexTest::Found(found) = test else {
                        return None;
                    };
                    let list = self.list_expr(&m.object)?;
                    return Some((
                        PathAtom {
                            op: PathOp::Equals,
                            list,
                            with_query: q,
                        },
                        !found,
                    ));
                }
                let q = self.path_expr(&m.object)?;
                let lit = PathList::Literal(vec![string_lit(arg)?]);
                let (op, yes) = match test {
                    IndexTest::Found(f) => (PathOp::Contains, f),
                    IndexTest::AtStart(f) => (PathOp::StartsWith, f),
                };
                Some((
                    PathAtom {
                        op,
                        list: lit,
                        with_query: q,
                    },
                    !yes,
                ))
            }
            _ => None,
        }
    }

    /// A test made only of comparisons of the request's path (`a || b` of them, `!(…)`).
    pub(super) fn path_cond(&self, e: &Expression<'_>) -> Option<PathCond> {
        let (any, negated) = self.path_cond_parts(e)?;
        let span = e.span();
        let text = self.at.snippet(span.start, span.end);
        let text = if text.chars().count() > 80 {
            format!("{}…", text.chars().take(79).collect::<String>())
        } else {
            text
        };
        Some(PathCond { any, negated, text })
    }

    fn path_cond_parts(&self, e: &Expression<'_>) -> Option<(Vec<PathAtom>, bool)> {
        match e.get_inner_expression() {
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
                self.path_cond_parts(&u.argument).map(|(a, n)| (a, !n))
            }
            Expression::LogicalExpression(l) if l.operator != LogicalOperator::Coalesce => {
                let (mut a, na) = self.path_cond_parts(&l.left)?;
                let (b, nb) = self.path_cond_parts(&l.right)?;
                // `a || b` (any holds); `!a && !b` (none holds)
                let ok = match l.operator {
                    LogicalOperator::Or => !na && !nb,
                    _ => na && nb,
                };
                if !ok {
                    return None;
                }
                a.extend(b);
                Some((a, na))
            }
            _ => self.path_atom(e).map(|(a, n)| (vec![a], n)),
        }
    }
}

impl AuthVisitor<'_, '_> {
    /// Binds a local to the request's path or a list of paths: `const url = ctx.url`,
    /// `const { path } = ctx`, `const whiteList = ['/login']`, `const { authUrls } = options`.
    pub(super) fn note_path_local(&mut self, id: &BindingPattern<'_>, init: &Expression<'_>) {
        let depth = self.frames.len();
        match id {
            BindingPattern::BindingIdentifier(id) => {
                let local = match self.path_expr(init) {
                    Some(q) => PathLocal::Path(q),
                    None => match self.prefix_expr(init) {
                        Some((q, n)) => PathLocal::Prefix(q, n),
                        None => match self.list_expr(init) {
                            Some(l) => PathLocal::List(l),
                            None => return,
                        },
                    },
                };
                if self.path_locals.len() < 64 {
                    self.path_locals
                        .push((depth, id.name.as_str().to_owned(), local));
                }
            }
            BindingPattern::ObjectPattern(o) => {
                let from_ctx = ctx_path(init)
                    .is_some_and(|p| matches!(p.as_slice(), ["ctx"] | ["ctx", "request"]));
                let base = if from_ctx { None } else { self.list_expr(init) };
                for prop in &o.properties {
                    let (Some(k), BindingPattern::BindingIdentifier(id)) =
                        (prop.key.static_name(), &prop.value)
                    else {
                        continue;
                    };
                    let local = match (&base, k.as_ref()) {
                        (None, "path") if from_ctx => PathLocal::Path(false),
                        (None, "url" | "originalUrl") if from_ctx => PathLocal::Path(true),
                        (Some(PathList::Options(keys)), k) => {
                            let mut keys = keys.clone();
                            keys.push(k.to_string());
                            PathLocal::List(PathList::Options(keys))
                        }
                        (Some(PathList::Config(keys)), k) => {
                            let mut keys = keys.clone();
                            keys.push(k.to_string());
                            PathLocal::List(PathList::Config(keys))
                        }
                        _ => continue,
                    };
                    if self.path_locals.len() < 64 {
                        self.path_locals
                            .push((depth, id.name.as_str().to_owned(), local));
                    }
                }
            }
            _ => {}
        }
    }
}
