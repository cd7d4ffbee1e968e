//! Router facts: the calls an Egg.js router file makes (`router.verb(...)`,
//! `router.resources(...)`, `router.redirect(...)`, `router.register(path, methods, mw, opts)`,
//! `router.use([path], ...mw)`, `router.prefix(p)`, egg-router-plus `router.namespace(...)`,
//! egg-router-group `router.group({ name, prefix, middlewares }, router => ...)`,
//! egg 1 style `app.get(...)`), the local route files it requires and calls with `app`, and
//! tegg `@HTTPController` / `@HTTPMethod` decorator routes. Arguments are kept as written
//! (strings, RegExps, `controller.a.b` references, middleware factory calls); the app model
//! applies egg's own argument rules to them.

use crate::eval::source::{is_local_specifier, resolve_local};
use crate::facts::{Place, SourceFacts};
use foldhash::{HashMap, HashMapExt};
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::span::GetSpan;
use std::path::{Path, PathBuf};

/// One argument of a router call, as written.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteArg {
    /// A string literal (a path, a route name, or a `'home.index'` handler).
    Str { value: String },
    /// A RegExp literal path.
    Regex { source: String, flags: String },
    /// `controller.a.b` / `app.controller.a.b`: the dotted name after `controller`.
    Controller { name: String },
    /// `app.middleware.x(opts)`, `middleware.x()`, `app.jsonp()`, or a variable holding one;
    /// `called` is false for an uncalled factory reference.
    Middleware { name: String, called: bool },
    /// An array (of paths, of `register` methods or of `register` middleware).
    Paths { items: Vec<RouteArg> },
    /// An object literal (`register`'s `opts`): its `name` when a string.
    Options { name: Option<String> },
    /// Anything else (an inline function, a variable): its source text.
    Other { text: String },
}

impl RouteArg {
    /// The string value of a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RouteArg::Str { value } => Some(value),
            _ => None,
        }
    }
    /// True for the kinds egg accepts as a route path (string, RegExp, array of them).
    pub fn is_path_like(&self) -> bool {
        matches!(
            self,
            RouteArg::Str { .. } | RouteArg::Regex { .. } | RouteArg::Paths { .. }
        )
    }
}

/// What a router call was made on.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouterTarget {
    /// `app.router` (or a variable bound to it).
    Router,
    /// egg 1 style delegates on the app: `app.get('/', 'home.index')`.
    App,
    /// An egg-router-plus namespace: `router.namespace(prefix, ...middleware)`.
    Namespace {
        prefix: String,
        middleware: Vec<RouteArg>,
    },
}

/// One call that registers routes.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RouterCall {
    pub target: RouterTarget,
    /// `get`, `post`, `del`, `all`, `redirect`, `resources`, `register`, `use`...
    pub verb: String,
    pub args: Vec<RouteArg>,
    pub line: u32,
    pub column: u32,
    /// Config conditions the call sits under (`if (app.config.allowSignUp) {...} else {...}`),
    /// outermost first: the app model keeps the call only when the config decides them so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<ConfigCondition>,
    /// Middleware an egg-router-group group puts before a `redirect`'s handler (egg's
    /// `redirect` registers through `this.all`, which the group's router wraps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirect_mw: Vec<RouteArg>,
}

/// `if (config.a.b)` around a router call: the dotted config path and whether the call is in
/// the `else` branch (or under `!config.a.b`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConfigCondition {
    pub path: String,
    pub negated: bool,
}

/// Walks the branches of `if (config.a.b) … else …` with `cond` on the visitor's condition
/// stack for the consequent and its negation for the alternate (the test is the caller's).
pub(crate) fn walk_if_under<'a, V: Visit<'a>>(
    v: &mut V,
    it: &IfStatement<'a>,
    cond: Option<ConfigCondition>,
    stack: fn(&mut V) -> &mut Vec<ConfigCondition>,
) {
    let Some(cond) = cond else {
        v.visit_statement(&it.consequent);
        if let Some(alt) = &it.alternate {
            v.visit_statement(alt);
        }
        return;
    };
    let negated = ConfigCondition {
        path: cond.path.clone(),
        negated: !cond.negated,
    };
    stack(v).push(cond);
    v.visit_statement(&it.consequent);
    stack(v).pop();
    if let Some(alt) = &it.alternate {
        stack(v).push(negated);
        v.visit_statement(alt);
        stack(v).pop();
    }
}

/// A local module a router file calls with `app` (`require('./router/admin')(app)`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RouterInclude {
    pub specifier: String,
    /// Node's resolution of the specifier from the file's directory.
    pub resolved: Option<PathBuf>,
    pub line: u32,
}

/// A tegg `@HTTPController` class.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TeggController {
    pub class: String,
    /// `@HTTPController({ path })`, `""` when absent.
    pub path: String,
    /// `controllerName`, else the class name.
    pub controller_name: String,
    /// `@Middleware(a, b)` on the class: the argument names.
    pub middleware: Vec<String>,
    pub methods: Vec<TeggMethod>,
    pub line: u32,
    /// Declared by a decorator router (egg-decorator-router `@Route`/`@HttpGet`, midway v1
    /// `@controller`/`@get`, or the home-made `@Prefix`/`@Get` shape whose metadata a loop
    /// registers on `app.router`) rather than tegg; its methods' paths are already full.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub decorator_router: bool,
}

/// A tegg `@HTTPMethod({ method, path })` method.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TeggMethod {
    pub name: String,
    /// `GET`, `POST`... (`HTTPMethodEnum.POST` → `POST`).
    pub method: String,
    pub path: String,
    pub middleware: Vec<String>,
    pub line: u32,
    pub column: u32,
}

/// The router methods `@eggjs/router` (egg-core's router) binds to the instance: a verb taken
/// off the router still registers on it (`resources`, `redirect`, `register` are not bound).
const BOUND_VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "del", "head", "options", "all",
];

const ROUTER_VERBS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "del",
    "head",
    "options",
    "all",
    "redirect",
    "resources",
    "register",
    "use",
    "prefix",
];

/// The verbs egg-router-group's proxy rewrites (egg-router-group 1.1.0 `methods`); any other
/// (`redirect`, `use`, `register`, `prefix`) goes to app.router unchanged.
const GROUP_VERBS: &[&str] = &[
    "head",
    "options",
    "get",
    "put",
    "patch",
    "post",
    "delete",
    "del",
    "all",
    "resources",
];

/// The arguments egg-router-group passes on: with a route name first (three arguments or more
/// and a path second) the name gets the group's name prefix and the path is the second, else
/// the path is the first; the prefix is put before the path and the group's middleware right
/// after it.
fn group_args(args: &mut Vec<RouteArg>, name: &str, prefix: &str, mw: Vec<RouteArg>) {
    let named = args.len() >= 3 && matches!(args[1], RouteArg::Str { .. } | RouteArg::Regex { .. });
    if let (true, Some(RouteArg::Str { value })) = (named, args.first_mut()) {
        value.insert_str(0, name);
    }
    let at = usize::from(named);
    if let Some(RouteArg::Str { value }) = args.get_mut(at) {
        value.insert_str(0, prefix);
    }
    let after = (at + 1).min(args.len());
    args.splice(after..after, mw);
}

#[derive(Clone, Debug)]
enum Binding {
    Router,
    App,
    Namespace(String, Vec<RouteArg>),
    /// The router an egg-router-group callback receives (`router.group({ name, prefix,
    /// middlewares }, router => {...})`): the group's route-name prefix, path prefix and
    /// middleware so far.
    Group(String, String, Vec<RouteArg>),
    Middleware(String),
    Controller(String),
    /// A local module (`require('./x')` / `import x from './x'`).
    Module(String),
    /// A `const` string (`const PREFIX = '/api'`), for paths and namespace prefixes.
    Str(String),
    /// An object literal of path strings (`let api = { list: '/api/list' }` … `router.get(api.list,
    /// …)`): its keys with a static string value.
    StrObject(Vec<(String, String)>),
    /// `app.config` (`const { config } = app`, `const config = app.config`).
    Config,
    /// A config value (`const { appId } = config`): its dotted path below `app.config`.
    ConfigValue(String),
    /// A verb of the app's router taken off it (`const { get, post, delete: del } = router`):
    /// `@eggjs/router` binds each HTTP verb and `all` to the router (arrow functions set in its
    /// constructor), so the bare call registers a route.
    RouterVerb(String),
}

/// Delimits a config value inside a route string: `` `/${appId}/page` `` with
/// `const { appId } = app.config` is `"/\u{1}appId\u{1}/page"`. The app model fills it from
/// the merged config (`eggsec_app::routes`), or shows `${config.appId}` when the value is not
/// known; it never reaches the output.
pub const CONFIG_REF: char = '\u{1}';

struct RouteVisitor<'p, 't> {
    at: &'p Place<'t>,
    /// Top-level string constants of the file and imported names (for template-literal tegg
    /// paths such as `` `/-/package/:fullname(${FULLNAME_REG_STRING})/blocks` ``).
    consts: PathConsts,
    dir: &'p Path,
    bindings: HashMap<String, Binding>,
    out: &'p mut SourceFacts,
    /// Config conditions of the enclosing `if` statements.
    conditions: Vec<ConfigCondition>,
    /// Inside a `const` declaration.
    in_const: bool,
}

/// Runs the router and tegg extractors over a parsed file.
pub(crate) fn extract(program: &Program<'_>, at: &Place<'_>, dir: &Path, out: &mut SourceFacts) {
    let mut v = RouteVisitor {
        consts: PathConsts::collect(program, dir),
        at,
        dir,
        bindings: HashMap::new(),
        out,
        conditions: Vec::new(),
        in_const: false,
    };
    v.visit_program(program);
}

/// `a.b.c` of a member chain rooted at an identifier or `this` (`None` otherwise).
pub(crate) fn member_path(expr: &Expression<'_>) -> Option<Vec<String>> {
    member_path_ref(expr).map(|p| p.into_iter().map(str::to_string).collect())
}

/// A member chain's names, root first, the first four inline (`ctx.request.body.name`): the
/// extractors ask for ≈ 30,000 chains on a 200-file app, and one allocation each was 1.6 % of
/// an audit's instructions (eight inline cost as much in copies of the larger value).
pub(crate) type MemberPath<'a> = smallvec::SmallVec<[&'a str; 4]>;

/// [`member_path`] borrowed from the source (no string copies).
/// The first argument of a `require(...)` call (`'./general'` of `require('./general')`).
pub(crate) fn require_arg<'b, 'a>(e: &'b Expression<'a>) -> Option<&'b Expression<'a>> {
    let Expression::CallExpression(c) = e.get_inner_expression() else {
        return None;
    };
    let Expression::Identifier(id) = c.callee.get_inner_expression() else {
        return None;
    };
    if id.name != "require" {
        return None;
    }
    c.arguments.first()?.as_expression()
}

pub(crate) fn member_path_ref<'a>(expr: &Expression<'a>) -> Option<MemberPath<'a>> {
    // the links from the outside in; the path is the reverse
    let mut cur = expr.get_inner_expression();
    let mut depth = 1;
    let root: &'a str = loop {
        match cur {
            Expression::Identifier(id) => break id.name.as_str(),
            Expression::ThisExpression(_) => break "this",
            Expression::StaticMemberExpression(m) => cur = m.object.get_inner_expression(),
            Expression::ComputedMemberExpression(m)
                if matches!(m.expression, Expression::StringLiteral(_)) =>
            {
                cur = m.object.get_inner_expression()
            }
            _ => return None,
        }
        depth += 1;
    };
    let mut path: MemberPath<'a> = smallvec::smallvec![root; depth];
    let mut cur = expr.get_inner_expression();
    for slot in path[1..].iter_mut().rev() {
        match cur {
            Expression::StaticMemberExpression(m) => {
                *slot = m.property.name.as_str();
                cur = m.object.get_inner_expression();
            }
            Expression::ComputedMemberExpression(m) => {
                if let Expression::StringLiteral(s) = &m.expression {
                    *slot = s.value.as_str();
                }
                cur = m.object.get_inner_expression();
            }
            _ => return None, // not reached: the walk above saw only links
        }
    }
    Some(path)
}

fn string_value(expr: &Expression<'_>) -> Option<String> {
    match expr.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.as_str().to_owned()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => t
            .quasis
            .first()
            .map(|q| q.value.cooked.as_ref().unwrap_or(&q.value.raw).to_string()),
        _ => None,
    }
}

impl<'p, 't> RouteVisitor<'p, 't> {
    fn target_of(&self, expr: &Expression<'_>) -> Option<RouterTarget> {
        let expr = expr.get_inner_expression();
        if let Expression::CallExpression(c) = expr {
            // router.namespace('/x', ...mw) inline
            if let Some(path) = member_path(&c.callee) {
                if path.last().map(String::as_str) == Some("namespace") {
                    let obj = match c.callee.get_inner_expression() {
                        Expression::StaticMemberExpression(m) => &m.object,
                        _ => return None,
                    };
                    if let Some(RouterTarget::Router) = self.target_of(obj) {
                        return self.namespace_of(c);
                    }
                }
            }
            // `router.get(a, h).post(b, h2)`: each verb of egg's router returns the router
            // (egg-core's `app.get(...)` returns the app), so the next verb registers on it
            if let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() {
                let grouped = matches!(m.object.get_inner_expression(),
                    Expression::Identifier(id) if matches!(self.bindings.get(id.name.as_str()), Some(Binding::Group(..))));
                if BOUND_VERBS.contains(&m.property.name.as_str()) && !grouped {
                    return self.target_of(&m.object);
                }
            }
            return None;
        }
        let path = member_path(expr)?;
        let (head, rest) = path.split_first()?;
        let head_binding = self.binding(head);
        match (head_binding, rest) {
            (Some(Binding::Router), []) => Some(RouterTarget::Router),
            (Some(Binding::Namespace(p, m)), []) => Some(RouterTarget::Namespace {
                prefix: p.clone(),
                middleware: m.clone(),
            }),
            (Some(Binding::App), []) => Some(RouterTarget::App),
            // egg-router-group's proxy hands every verb but its own to app.router
            (Some(Binding::Group(..)), []) => Some(RouterTarget::Router),
            (Some(Binding::App), [r]) if r == "router" => Some(RouterTarget::Router),
            (None, [a, r]) if head == "this" && a == "app" && r == "router" => {
                Some(RouterTarget::Router)
            }
            _ => None,
        }
    }

    fn binding(&self, name: &str) -> Option<&Binding> {
        if let Some(b) = self.bindings.get(name) {
            return Some(b);
        }
        match name {
            "app" => Some(&Binding::App),
            "router" => Some(&Binding::Router),
            _ => None,
        }
    }

    fn namespace_of(&self, c: &CallExpression<'_>) -> Option<RouterTarget> {
        let first = c.arguments.first()?.as_expression()?;
        let prefix = self.str_value(first)?;
        let middleware = c
            .arguments
            .iter()
            .skip(1)
            .filter_map(|a| a.as_expression())
            .map(|e| self.arg(e))
            .collect();
        Some(RouterTarget::Namespace { prefix, middleware })
    }

    /// `app.middleware.x(...)`, `middleware.x()`, `app.middlewares.x()`, `app.jsonp()`.
    fn middleware_ref(&self, expr: &Expression<'_>) -> Option<(String, bool)> {
        let (callee, called) = match expr.get_inner_expression() {
            Expression::CallExpression(c) => (&c.callee, true),
            other => (other, false),
        };
        let path = member_path(callee)?;
        let strs: Vec<&str> = path.iter().map(String::as_str).collect();
        let name = match strs.as_slice() {
            ["app" | "this", "middleware" | "middlewares", name]
            | ["middleware" | "middlewares", name] => name.to_string(),
            ["this", "app", "middleware" | "middlewares", name] => name.to_string(),
            ["app", "jsonp"] if called => "jsonp".into(),
            [single] if !called => match self.bindings.get(*single) {
                Some(Binding::Middleware(n)) => n.clone(),
                _ => return None,
            },
            _ => return None,
        };
        Some((name, called))
    }

    /// A string known statically: a literal, a `const` string, a template literal or a `+`
    /// concatenation of those.
    fn str_value(&self, expr: &Expression<'_>) -> Option<String> {
        let expr = expr.get_inner_expression();
        if let Some(s) = string_value(expr) {
            return Some(s);
        }
        match expr {
            Expression::Identifier(id) => match self.bindings.get(id.name.as_str()) {
                Some(Binding::Str(s)) => Some(s.clone()),
                Some(Binding::ConfigValue(p)) => Some(format!("{CONFIG_REF}{p}{CONFIG_REF}")),
                // top-level and imported constants (`import { PREFIX } from './constants'`)
                _ => self.consts.value(id.name.as_str()),
            },
            Expression::TemplateLiteral(t) => {
                let mut out = String::new();
                for (i, q) in t.quasis.iter().enumerate() {
                    out.push_str(q.value.cooked.as_ref().unwrap_or(&q.value.raw));
                    if let Some(e) = t.expressions.get(i) {
                        out.push_str(&self.str_value(e)?);
                    }
                }
                Some(out)
            }
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                Some(self.str_value(&b.left)? + &self.str_value(&b.right)?)
            }
            Expression::StaticMemberExpression(m) => match m.object.get_inner_expression() {
                Expression::Identifier(id) => match self.bindings.get(id.name.as_str()) {
                    Some(Binding::StrObject(table)) => table
                        .iter()
                        .find(|(k, _)| k == m.property.name.as_str())
                        .map(|(_, v)| v.clone()),
                    _ => self
                        .config_ref(expr)
                        .map(|path| format!("{CONFIG_REF}{path}{CONFIG_REF}")),
                },
                _ => self
                    .config_ref(expr)
                    .map(|path| format!("{CONFIG_REF}{path}{CONFIG_REF}")),
            },
            _ => self
                .config_ref(expr)
                .map(|path| format!("{CONFIG_REF}{path}{CONFIG_REF}")),
        }
    }

    /// The dotted config path an expression reads: `app.config.a.b`, `this.app.config.a.b`,
    /// `config.a.b` (bound to `app.config`), `appId` (destructured from it) and members of it.
    fn config_ref(&self, expr: &Expression<'_>) -> Option<String> {
        let path = member_path(expr)?;
        let strs: Vec<&str> = path.iter().map(String::as_str).collect();
        let (base, rest): (Option<&str>, &[&str]) = match strs.as_slice() {
            ["app", "config", rest @ ..] | ["this", "app", "config", rest @ ..] => (None, rest),
            [head, rest @ ..] => match self.bindings.get(*head) {
                Some(Binding::Config) => (None, rest),
                Some(Binding::ConfigValue(p)) => (Some(p.as_str()), rest),
                _ => return None,
            },
            _ => return None,
        };
        let joined: Vec<&str> = base.into_iter().chain(rest.iter().copied()).collect();
        (!joined.is_empty()).then(|| joined.join("."))
    }

    /// `app.config` itself (`Some(None)`) or an object below it (`Some(Some("a.b"))`), as the
    /// right side of a destructuring `const { x } = ...`.
    fn config_base(&self, expr: &Expression<'_>) -> Option<Option<String>> {
        let path = member_path(expr)?;
        let strs: Vec<&str> = path.iter().map(String::as_str).collect();
        match strs.as_slice() {
            ["app", "config"] | ["this", "app", "config"] => Some(None),
            [head] if matches!(self.bindings.get(*head), Some(Binding::Config)) => Some(None),
            _ => self.config_ref(expr).map(Some),
        }
    }

    fn arg(&self, expr: &Expression<'_>) -> RouteArg {
        let inner = expr.get_inner_expression();
        if let Some(value) = self.str_value(inner) {
            return RouteArg::Str { value };
        }
        match inner {
            Expression::RegExpLiteral(r) => {
                return RouteArg::Regex {
                    source: r.regex.pattern.text.to_string(),
                    flags: r.regex.flags.to_string(),
                }
            }
            Expression::ObjectExpression(o) => {
                let name = o.properties.iter().find_map(|p| match p {
                    ObjectPropertyKind::ObjectProperty(p)
                        if p.key.static_name().as_deref() == Some("name") =>
                    {
                        string_value(&p.value)
                    }
                    _ => None,
                });
                return RouteArg::Options { name };
            }
            Expression::ArrayExpression(a) => {
                return RouteArg::Paths {
                    items: a
                        .elements
                        .iter()
                        .filter_map(|e| e.as_expression())
                        .map(|e| self.arg(e))
                        .collect(),
                }
            }
            _ => {}
        }
        if let Some((name, called)) = self.middleware_ref(inner) {
            return RouteArg::Middleware { name, called };
        }
        if let Some(path) = member_path(inner) {
            let strs: Vec<&str> = path.iter().map(String::as_str).collect();
            let rest = match strs.as_slice() {
                ["controller", rest @ ..] | ["app" | "this", "controller", rest @ ..] => {
                    Some(rest.join("."))
                }
                [head, rest @ ..] => match self.bindings.get(*head) {
                    Some(Binding::Controller(prefix)) => Some(
                        std::iter::once(prefix.as_str())
                            .chain(rest.iter().copied())
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join("."),
                    ),
                    _ => None,
                },
                _ => None,
            };
            if let Some(name) = rest {
                return RouteArg::Controller { name };
            }
        }
        let span = inner.span();
        RouteArg::Other {
            text: self.at.snippet(span.start, span.end),
        }
    }

    /// Records what a `const x = ...` binds.
    fn bind(&mut self, pattern: &BindingPattern<'_>, init: &Expression<'_>) {
        let init = init.get_inner_expression();
        match pattern {
            BindingPattern::BindingIdentifier(id) => {
                let name = id.name.as_str().to_owned();
                let binding = if let Some(target) = self.target_of(init) {
                    match target {
                        RouterTarget::Router => Some(Binding::Router),
                        RouterTarget::App => Some(Binding::App),
                        RouterTarget::Namespace { prefix, middleware } => {
                            Some(Binding::Namespace(prefix, middleware))
                        }
                    }
                } else if let Some((mw, _)) = self.middleware_ref(init) {
                    Some(Binding::Middleware(mw))
                } else if let Some(spec) = local_require(init) {
                    Some(Binding::Module(spec))
                } else if let Some(path) = self.config_ref(init) {
                    // `const prefix = app.config.apiPrefix` (or an object below the config)
                    Some(Binding::ConfigValue(path))
                } else if let Some(s) = self.str_value(init) {
                    Some(Binding::Str(s))
                } else if let Expression::ObjectExpression(o) = init {
                    let table: Vec<(String, String)> = o
                        .properties
                        .iter()
                        .filter_map(|p| match p {
                            ObjectPropertyKind::ObjectProperty(p) if !p.computed => {
                                Some((p.key.static_name()?.to_string(), self.str_value(&p.value)?))
                            }
                            _ => None,
                        })
                        .collect();
                    (!table.is_empty()).then_some(Binding::StrObject(table))
                } else {
                    match member_path(init).as_deref() {
                        Some([a, c]) if a == "app" && c == "config" => Some(Binding::Config),
                        Some([t, a, c]) if t == "this" && a == "app" && c == "config" => {
                            Some(Binding::Config)
                        }
                        Some([c, rest @ ..]) if c == "controller" => {
                            Some(Binding::Controller(rest.join(".")))
                        }
                        Some([a, c, rest @ ..]) if a == "app" && c == "controller" => {
                            Some(Binding::Controller(rest.join(".")))
                        }
                        _ => None,
                    }
                };
                if let Some(b) = binding {
                    self.bindings.insert(name, b);
                }
            }
            BindingPattern::ObjectPattern(obj) => {
                // const { Blueprint } = require('egg-blueprint'): each name is of the module
                if let Some(spec) = local_require(init) {
                    for prop in &obj.properties {
                        if let BindingPattern::BindingIdentifier(id) = &prop.value {
                            self.bindings
                                .insert(id.name.as_str().to_owned(), Binding::Module(spec.clone()));
                        }
                    }
                    return;
                }
                // const { appId } = config; (or app.config, this.app.config)
                if let Some(base) = self.config_base(init) {
                    for prop in &obj.properties {
                        let (Some(key), BindingPattern::BindingIdentifier(id)) =
                            (prop.key.static_name(), &prop.value)
                        else {
                            continue;
                        };
                        let path = match &base {
                            Some(b) => format!("{b}.{key}"),
                            None => key.to_string(),
                        };
                        self.bindings
                            .insert(id.name.as_str().to_owned(), Binding::ConfigValue(path));
                    }
                    return;
                }
                // const { admin, user } = controller; (or app.controller)
                let controller_base = match init {
                    Expression::Identifier(c) => match self.bindings.get(c.name.as_str()) {
                        Some(Binding::Controller(base)) => Some(base.clone()),
                        _ => None,
                    },
                    Expression::StaticMemberExpression(m)
                        if m.property.name == "controller"
                            && matches!(m.object.get_inner_expression(),
                                Expression::Identifier(a) if a.name == "app") =>
                    {
                        Some(String::new())
                    }
                    _ => None,
                };
                if let Some(base) = controller_base {
                    for prop in &obj.properties {
                        let (Some(key), BindingPattern::BindingIdentifier(id)) =
                            (prop.key.static_name(), &prop.value)
                        else {
                            continue;
                        };
                        let name = if base.is_empty() {
                            key.to_string()
                        } else {
                            format!("{base}.{key}")
                        };
                        self.bindings
                            .insert(id.name.as_str().to_owned(), Binding::Controller(name));
                    }
                    return;
                }
                // const { get, post, delete: del } = router;
                let target = self.target_of(init);
                if matches!(target, Some(RouterTarget::Router)) {
                    for prop in &obj.properties {
                        let (Some(key), BindingPattern::BindingIdentifier(id)) =
                            (prop.key.static_name(), &prop.value)
                        else {
                            continue;
                        };
                        if BOUND_VERBS.contains(&key.as_ref()) {
                            self.bindings.insert(
                                id.name.as_str().to_owned(),
                                Binding::RouterVerb(key.to_string()),
                            );
                        }
                    }
                    return;
                }
                // const { router, controller, middleware } = app;
                let from_app = matches!(target, Some(RouterTarget::App))
                    || matches!(member_path(init).as_deref(), Some([t, a]) if t == "this" && a == "app");
                if !from_app {
                    return;
                }
                for prop in &obj.properties {
                    let Some(key) = prop.key.static_name() else {
                        continue;
                    };
                    let BindingPattern::BindingIdentifier(id) = &prop.value else {
                        continue;
                    };
                    let b = match key.as_ref() {
                        "router" => Binding::Router,
                        "controller" => Binding::Controller(String::new()),
                        "config" => Binding::Config,
                        _ => continue,
                    };
                    self.bindings.insert(id.name.as_str().to_owned(), b);
                }
            }
            _ => {}
        }
    }
}

impl RouteVisitor<'_, '_> {
    /// egg-router-group: `router.group({ name, prefix, middlewares }, router => { ... })` on
    /// app.router or on a group's router. Its callback's router adds the group's prefix to every
    /// path and its middleware before the route's own ([`group_args`]); a `redirect` gets the
    /// prefix and middleware too (egg registers it through `this.all`). A group made on a
    /// group's router takes that group's name, prefix and middleware first (egg-router-group
    /// 1.1.0 `groupProxy`). `false` when the call is not of that shape (the callers then walk
    /// it as any call).
    fn router_group<'a>(&mut self, it: &CallExpression<'a>, obj: &Expression<'a>) -> bool {
        let outer = match obj.get_inner_expression() {
            Expression::Identifier(id) => match self.bindings.get(id.name.as_str()) {
                Some(Binding::Group(n, p, m)) => Some((n.clone(), p.clone(), m.clone())),
                _ => None,
            },
            _ => None,
        };
        if outer.is_none() && !matches!(self.target_of(obj), Some(RouterTarget::Router)) {
            return false;
        }
        let mut args = it.arguments.iter().filter_map(|a| a.as_expression());
        let (Some(Expression::ObjectExpression(opts)), Some(cb)) = (
            args.next().map(|e| e.get_inner_expression()),
            args.next().map(|e| e.get_inner_expression()),
        ) else {
            return false;
        };
        let (mut name, mut prefix) = (String::new(), String::new());
        let mut mw = Vec::new();
        for p in &opts.properties {
            let ObjectPropertyKind::ObjectProperty(p) = p else {
                return false; // a spread: the options are not known
            };
            match p.key.static_name().as_deref() {
                Some("prefix") => match self.str_value(&p.value) {
                    Some(v) => prefix = v,
                    None => return false,
                },
                Some("name") => match self.str_value(&p.value) {
                    Some(v) => name = v,
                    None => return false,
                },
                Some("middlewares") => match p.value.get_inner_expression() {
                    Expression::ArrayExpression(a) => {
                        for e in &a.elements {
                            match e.as_expression() {
                                Some(e) => mw.push(self.arg(e)),
                                None => return false,
                            }
                        }
                    }
                    e => mw.push(self.arg(e)),
                },
                _ => {}
            }
        }
        let params = match cb {
            Expression::ArrowFunctionExpression(f) => &f.params,
            Expression::FunctionExpression(f) if f.body.is_some() => &f.params,
            _ => return false,
        };
        let Some(param) = params.items.first() else {
            return false;
        };
        let BindingPattern::BindingIdentifier(param) = &param.pattern else {
            return false;
        };
        let inner = match outer {
            Some((n, p, mut m)) => {
                m.extend(mw);
                Binding::Group(n + &name, p + &prefix, m)
            }
            None => Binding::Group(name, prefix, mw),
        };
        let name = param.name.as_str().to_owned();
        // the callback's body sees its parameter as the group's router
        let before = self.bindings.insert(name.clone(), inner);
        walk::walk_call_expression(self, it);
        match before {
            Some(b) => self.bindings.insert(name, b),
            None => self.bindings.remove(&name),
        };
        true
    }

    /// Records a call that registers on the router (`router.post(...)`, `post(...)`).
    fn router_call(&mut self, it: &CallExpression<'_>, target: RouterTarget, verb: String) {
        let args = it
            .arguments
            .iter()
            .filter_map(|a| a.as_expression())
            .map(|e| self.arg(e))
            .collect();
        // a verb on a line of its own (`router.get(a, h)\n  .post(b, h2)`) is at its name, not
        // at the start of the chain
        let (mut line, mut column) = self.at.line_col(it.span.start);
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            let at = self.at.line_col(m.property.span.start);
            if at.0 != line {
                (line, column) = at;
            }
        }
        self.out.router_calls.push(RouterCall {
            target,
            verb,
            args,
            line,
            column,
            when: self.conditions.clone(),
            redirect_mw: Vec::new(),
        });
    }

    /// egg-passport's `app.passport.mount(strategy, { loginURL, callbackURL })`: two GET routes,
    /// `/passport/<strategy>` and `/passport/<strategy>/callback` unless the options name them.
    fn passport_mount(
        &mut self,
        it: &CallExpression<'_>,
        obj: &Expression<'_>,
        line: u32,
        column: u32,
    ) {
        let on_passport = member_path_ref(obj).is_some_and(|p| {
            let s: &[&str] = &p[..];
            matches!(s, ["app", "passport"] | ["this", "app", "passport"])
                || (s.len() == 2
                    && s[1] == "passport"
                    && matches!(self.binding(s[0]), Some(Binding::App)))
        });
        if !on_passport {
            return;
        }
        let mut args = it.arguments.iter().filter_map(|a| a.as_expression());
        let Some(strategy) = args.next().and_then(|e| self.str_value(e)) else {
            return;
        };
        let opt = |key: &str| -> Option<String> {
            let Some(Expression::ObjectExpression(o)) = it
                .arguments
                .get(1)
                .and_then(|a| a.as_expression())
                .map(|e| e.get_inner_expression())
            else {
                return None;
            };
            o.properties.iter().find_map(|p| match p {
                ObjectPropertyKind::ObjectProperty(p)
                    if p.key.static_name().as_deref() == Some(key) =>
                {
                    self.str_value(&p.value)
                }
                _ => None,
            })
        };
        let login = opt("loginURL").unwrap_or_else(|| format!("/passport/{strategy}"));
        let callback =
            opt("callbackURL").unwrap_or_else(|| format!("/passport/{strategy}/callback"));
        for path in [login, callback] {
            self.out.router_calls.push(RouterCall {
                target: RouterTarget::Router,
                verb: "get".into(),
                args: vec![
                    RouteArg::Str { value: path },
                    RouteArg::Other {
                        text: format!("passport.authenticate('{strategy}')"),
                    },
                ],
                line,
                column,
                when: self.conditions.clone(),
                redirect_mw: Vec::new(),
            });
        }
    }

    /// `app.config.a.b`, `this.app.config.a.b`, `config.a.b` (bound to `app.config`), or `!` of
    /// one of them.
    fn config_condition(&self, test: &Expression<'_>) -> Option<ConfigCondition> {
        let test = test.get_inner_expression();
        if let Expression::UnaryExpression(u) = test {
            if u.operator == UnaryOperator::LogicalNot {
                let c = self.config_condition(&u.argument)?;
                return Some(ConfigCondition {
                    path: c.path,
                    negated: !c.negated,
                });
            }
            return None;
        }
        let path = member_path(test)?;
        let strs: Vec<&str> = path.iter().map(String::as_str).collect();
        let rest = match strs.as_slice() {
            ["app", "config", rest @ ..] | ["this", "app", "config", rest @ ..] => rest,
            [head, rest @ ..] if matches!(self.bindings.get(*head), Some(Binding::Config)) => rest,
            _ => return None,
        };
        (!rest.is_empty()).then(|| ConfigCondition {
            path: rest.join("."),
            negated: false,
        })
    }
}

/// `require('./x')` with a local specifier.
/// The specifier of a `require(...)`: a local module, or a package (a router that calls one
/// with `app` registers routes eggsec cannot read: [`RouterInclude::resolved`] is `None`).
fn local_require(expr: &Expression<'_>) -> Option<String> {
    string_value(require_arg(expr)?)
}

impl<'a> Visit<'a> for RouteVisitor<'_, '_> {
    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let spec = it.source.value.as_str().to_owned();
        // (a package's import too: see `local_require`; type-only imports bind nothing)
        if it.import_kind.is_value() {
            for s in it.specifiers.iter().flatten() {
                let local = match s {
                    ImportDeclarationSpecifier::ImportDefaultSpecifier(d) => &d.local,
                    ImportDeclarationSpecifier::ImportNamespaceSpecifier(n) => &n.local,
                    ImportDeclarationSpecifier::ImportSpecifier(s) => &s.local,
                };
                self.bindings.insert(
                    local.name.as_str().to_owned(),
                    Binding::Module(spec.clone()),
                );
            }
        }
    }

    fn visit_variable_declaration(&mut self, it: &VariableDeclaration<'a>) {
        let outer = self.in_const;
        self.in_const = it.kind == VariableDeclarationKind::Const;
        walk::walk_variable_declaration(self, it);
        self.in_const = outer;
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let Some(init) = &it.init {
            // a `let`/`var` string may be reassigned: only `const` strings are followed
            let reassignable = !self.in_const;
            if !(reassignable && self.str_value(init).is_some()) {
                self.bind(&it.id, init);
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        // the call's place, looked up only for what is recorded (this runs for every call)
        let place = |v: &Self| v.at.line_col(it.span.start);
        // require('./router/x')(app) / imported(app)
        let include = match it.callee.get_inner_expression() {
            Expression::CallExpression(_) => local_require(&it.callee),
            Expression::Identifier(id) => match self.bindings.get(id.name.as_str()) {
                Some(Binding::Module(spec)) => Some(spec.clone()),
                _ => None,
            },
            _ => None,
        };
        if let Some(spec) = include {
            let passes_app = it.arguments.iter().any(|a| {
                a.as_expression()
                    .is_some_and(|e| matches!(self.target_of(e), Some(RouterTarget::App)))
            });
            if passes_app {
                let resolved = resolve_local(self.dir, &spec);
                let line = place(self).0;
                self.out.router_includes.push(RouterInclude {
                    specifier: spec,
                    resolved,
                    line,
                });
            }
        }
        // `post('/x', controller.a.b)` with `const { post } = router`
        if let Expression::Identifier(id) = it.callee.get_inner_expression() {
            if let Some(Binding::RouterVerb(verb)) = self.bindings.get(id.name.as_str()) {
                let verb = verb.clone();
                self.router_call(it, RouterTarget::Router, verb);
            }
        }
        // `router[opt.httpMethod](opt.url, ...mw, handler)`: a verb chosen at run time
        if let Expression::ComputedMemberExpression(m) = it.callee.get_inner_expression() {
            if !matches!(m.expression, Expression::StringLiteral(_))
                && self.out.dynamic_routes.len() < 16
                && self.target_of(&m.object).is_some()
            {
                let line = place(self).0;
                self.out.dynamic_routes.push(line);
            }
        }
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            let verb = m.property.name.as_str();
            if verb == "group" && self.router_group(it, &m.object) {
                return;
            }
            // a verb egg-router-group rewrites: the group's prefix and middleware added
            if let Expression::Identifier(id) = m.object.get_inner_expression() {
                if let Some(Binding::Group(name, prefix, mw)) = self.bindings.get(id.name.as_str())
                {
                    if GROUP_VERBS.contains(&verb) || verb == "redirect" {
                        let (name, prefix, mw) = (name.clone(), prefix.clone(), mw.clone());
                        self.router_call(it, RouterTarget::Router, verb.to_string());
                        if let Some(call) = self.out.router_calls.last_mut() {
                            if verb == "redirect" {
                                // `this.all(source, fn)` through the group's router
                                if let Some(RouteArg::Str { value }) = call.args.first_mut() {
                                    value.insert_str(0, &prefix);
                                }
                                call.redirect_mw = mw;
                            } else {
                                group_args(&mut call.args, &name, &prefix, mw);
                            }
                        }
                        walk::walk_call_expression(self, it);
                        return;
                    }
                }
            }
            if verb == "mount" {
                let (line, column) = place(self);
                self.passport_mount(it, &m.object, line, column);
            }
            if ROUTER_VERBS.contains(&verb) {
                if let Some(target) = self.target_of(&m.object) {
                    // `app.use` is koa's global middleware, not the router's; egg-core
                    // delegates every other verb, `all` included, to app.router
                    // (`utils.methods.concat(['all', 'resources', 'register', 'redirect'])`)
                    let app_ok = !matches!(target, RouterTarget::App) || verb != "use";
                    // a chain registers in source order: the calls before this verb first
                    let chained = matches!(m.object.get_inner_expression(),
                        Expression::CallExpression(c) if matches!(c.callee.get_inner_expression(),
                            Expression::StaticMemberExpression(p) if BOUND_VERBS.contains(&p.property.name.as_str())));
                    if chained {
                        self.visit_expression(&m.object);
                    }
                    if app_ok {
                        self.router_call(it, target, verb.to_string());
                    }
                    if chained {
                        for a in &it.arguments {
                            self.visit_argument(a);
                        }
                        return;
                    }
                }
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        self.visit_expression(&it.test);
        let cond = self.config_condition(&it.test);
        walk_if_under(self, it, cond, |v| &mut v.conditions);
    }

    fn visit_class(&mut self, it: &Class<'a>) {
        if let Some(ctrl) = self.tegg_controller(it) {
            self.out.tegg.push(ctrl);
        } else if let Some(ctrl) = self.decorator_controller(it) {
            self.out.tegg.push(ctrl);
        }
        walk::walk_class(self, it);
    }
}

/// The name a decorator calls: `@HTTPController({...})` → `HTTPController`.
fn decorator_call<'b, 'a>(d: &'b Decorator<'a>) -> Option<(String, &'b CallExpression<'a>)> {
    let Expression::CallExpression(c) = &d.expression else {
        return None;
    };
    let path = member_path(&c.callee)?;
    Some((path.last()?.clone(), c))
}

/// String constants a route path may use: `const X = '...'` at the top of the file, and
/// `import { X } from './constants'` / `const { X } = require('./constants')` followed to the
/// module's exports (evaluated statically; what cannot be known stays as `${X}`).
#[derive(Default)]
struct PathConsts {
    local: HashMap<String, String>,
    imported: HashMap<String, (PathBuf, String)>,
}

impl PathConsts {
    fn collect(program: &Program<'_>, dir: &Path) -> Self {
        let mut c = PathConsts::default();
        for stmt in &program.body {
            let decl = match stmt {
                Statement::VariableDeclaration(d) => Some(&**d),
                Statement::ExportDeclaration(e) => match &e.declaration {
                    Declaration::VariableDeclaration(d) => Some(&**d),
                    _ => None,
                },
                Statement::ImportDeclaration(i) => {
                    let spec = i.source.value.as_str();
                    if is_local_specifier(spec) {
                        if let (Some(path), Some(specs)) = (resolve_local(dir, spec), &i.specifiers)
                        {
                            for s in specs {
                                if let ImportDeclarationSpecifier::ImportSpecifier(s) = s {
                                    c.imported.insert(
                                        s.local.name.as_str().to_owned(),
                                        (path.clone(), s.imported.name().to_string()),
                                    );
                                }
                            }
                        }
                    }
                    None
                }
                _ => None,
            };
            let Some(decl) = decl else { continue };
            for d in &decl.declarations {
                let Some(init) = &d.init else { continue };
                match &d.id {
                    BindingPattern::BindingIdentifier(id) => {
                        if let Some(v) = string_value(init) {
                            c.local.insert(id.name.as_str().to_owned(), v);
                        }
                    }
                    BindingPattern::ObjectPattern(o) => {
                        let Expression::CallExpression(call) = init.get_inner_expression() else {
                            continue;
                        };
                        let is_require = matches!(call.callee.get_inner_expression(),
                            Expression::Identifier(r) if r.name == "require");
                        let spec = call
                            .arguments
                            .first()
                            .and_then(|a| a.as_expression())
                            .and_then(string_value);
                        if let (true, Some(spec)) = (is_require, spec) {
                            if let Some(path) = resolve_local(dir, &spec) {
                                for p in &o.properties {
                                    if let (Some(k), BindingPattern::BindingIdentifier(id)) =
                                        (p.key.static_name(), &p.value)
                                    {
                                        c.imported.insert(
                                            id.name.as_str().to_owned(),
                                            (path.clone(), k.to_string()),
                                        );
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        c
    }

    fn value(&self, name: &str) -> Option<String> {
        if let Some(v) = self.local.get(name) {
            return Some(v.clone());
        }
        let (path, export) = self.imported.get(name)?;
        let dir = path.parent()?.to_string_lossy().into_owned();
        let info = crate::AppInfo::new("app", &dir, "prod");
        let module = crate::eval_file(path, &crate::EvalOptions::raw(&info)).ok()?;
        match &module.exports.get(export)?.kind {
            crate::ValueKind::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A path argument: a string, or a template literal with its constants filled in.
    fn path_text(&self, expr: &Expression<'_>) -> Option<String> {
        if let Some(s) = string_value(expr) {
            return Some(s);
        }
        match expr.get_inner_expression() {
            Expression::TemplateLiteral(t) => {
                let mut out = String::new();
                for (i, q) in t.quasis.iter().enumerate() {
                    out.push_str(q.value.cooked.as_ref().unwrap_or(&q.value.raw));
                    if let Some(e) = t.expressions.get(i) {
                        let resolved = match e.get_inner_expression() {
                            Expression::Identifier(id) => self.value(id.name.as_str()),
                            _ => None,
                        };
                        match resolved {
                            Some(v) => out.push_str(&v),
                            None => {
                                let text = member_path(e)
                                    .map(|p| p.join("."))
                                    .unwrap_or_else(|| "…".into());
                                out.push_str(&format!("${{{text}}}"));
                            }
                        }
                    }
                }
                Some(out)
            }
            Expression::Identifier(id) => self.value(id.name.as_str()),
            _ => None,
        }
    }
}

impl RouteVisitor<'_, '_> {
    /// `{ path: ... }` of a tegg decorator, constants followed.
    fn path_string(&self, c: &CallExpression<'_>) -> Option<String> {
        let Expression::ObjectExpression(o) = c.arguments.first()?.as_expression()? else {
            return None;
        };
        o.properties.iter().find_map(|p| match p {
            ObjectPropertyKind::ObjectProperty(p)
                if p.key.static_name().as_deref() == Some("path") =>
            {
                self.consts.path_text(&p.value)
            }
            _ => None,
        })
    }
}

fn object_string(c: &CallExpression<'_>, key: &str) -> Option<String> {
    let Expression::ObjectExpression(o) = c.arguments.first()?.as_expression()? else {
        return None;
    };
    o.properties.iter().find_map(|p| match p {
        ObjectPropertyKind::ObjectProperty(p) if p.key.static_name().as_deref() == Some(key) => {
            match &p.value {
                v if string_value(v).is_some() => string_value(v),
                v => member_path(v).and_then(|m| m.last().cloned()),
            }
        }
        _ => None,
    })
}

fn decorator_args(c: &CallExpression<'_>) -> Vec<String> {
    c.arguments
        .iter()
        .filter_map(|a| a.as_expression())
        .filter_map(|e| member_path(e).map(|p| p.join(".")))
        .collect()
}

impl RouteVisitor<'_, '_> {
    fn tegg_controller(&self, class: &Class<'_>) -> Option<TeggController> {
        let mut found = None;
        let mut class_mw = Vec::new();
        for d in &class.decorators {
            match decorator_call(d) {
                Some((name, c)) if name == "HTTPController" => found = Some(c),
                Some((name, c)) if name == "Middleware" => class_mw.extend(decorator_args(c)),
                _ => {}
            }
        }
        let c = found?;
        let class_name = class
            .id
            .as_ref()
            .map(|i| i.name.as_str().to_owned())
            .unwrap_or_default();
        let path = self.path_string(c).unwrap_or_default();
        let controller_name =
            object_string(c, "controllerName").unwrap_or_else(|| class_name.clone());
        let mut methods = Vec::new();
        for el in &class.body.body {
            let ClassElement::MethodDefinition(m) = el else {
                continue;
            };
            let Some(name) = m.key.static_name() else {
                continue;
            };
            let mut http = None;
            let mut mw = Vec::new();
            for d in &m.decorators {
                match decorator_call(d) {
                    Some((n, c)) if n == "HTTPMethod" => http = Some(c),
                    Some((n, c)) if n == "Middleware" => mw.extend(decorator_args(c)),
                    _ => {}
                }
            }
            let Some(h) = http else { continue };
            let (line, column) = self.at.line_col(m.span.start);
            methods.push(TeggMethod {
                name: name.to_string(),
                method: object_string(h, "method")
                    .unwrap_or_else(|| "GET".into())
                    .to_uppercase(),
                path: self.path_string(h).unwrap_or_default(),
                middleware: mw,
                line,
                column,
            });
        }
        let (line, _) = self.at.line_col(class.span.start);
        Some(TeggController {
            class: class_name,
            path,
            controller_name,
            middleware: class_mw,
            methods,
            line,
            decorator_router: false,
        })
    }

    /// A decorator-router class: a class decorator naming the prefix (`@Route('/api')`,
    /// `@Prefix('/api')`, `@Controller('/api')`, `@router.prefix('/api')`) and method decorators
    /// naming a verb and a path (`@HttpGet('/x')`, `@Get('/x')`, `@router.post('/x')`). Methods
    /// only count when the path is a string known statically; a class with no such method is not
    /// a controller.
    fn decorator_controller(&self, class: &Class<'_>) -> Option<TeggController> {
        let mut prefix: Option<String> = None;
        let mut koa_prefix = false;
        let mut class_mw = Vec::new();
        for d in &class.decorators {
            match decorator_call(d) {
                Some((name, c)) if CLASS_PREFIX_DECORATORS.contains(&name.as_str()) => {
                    // midway's `@controller(prefix)` mounts a koa-router with that prefix
                    koa_prefix = matches!(name.as_str(), "controller" | "Controller");
                    prefix = Some(
                        c.arguments
                            .first()
                            .and_then(|a| a.as_expression())
                            .and_then(|e| self.str_value(e))
                            .unwrap_or_default(),
                    );
                }
                Some((name, c)) if name == "Middleware" => class_mw.extend(decorator_args(c)),
                _ => {}
            }
        }
        let prefix = prefix?;
        let class_name = class
            .id
            .as_ref()
            .map(|i| i.name.as_str().to_owned())
            .unwrap_or_default();
        let mut methods = Vec::new();
        for el in &class.body.body {
            let ClassElement::MethodDefinition(m) = el else {
                continue;
            };
            let Some(name) = m.key.static_name() else {
                continue;
            };
            let (line, column) = self.at.line_col(m.span.start);
            let mut mw = Vec::new();
            let mut verbs = Vec::new();
            for d in &m.decorators {
                let Some((dname, c)) = decorator_call(d) else {
                    continue;
                };
                if dname == "Middleware" {
                    mw.extend(decorator_args(c));
                    continue;
                }
                let Some(method) = decorator_verb(&dname) else {
                    continue;
                };
                let path = match c.arguments.first() {
                    // egg-decorator-router's `@HttpGet()`: `path || `/${key}`` (lib/router.js)
                    None if dname.starts_with("Http") => Some(format!("/{name}")),
                    first => first
                        .and_then(|a| a.as_expression())
                        .and_then(|e| self.str_value(e)),
                };
                let Some(path) = path else {
                    continue;
                };
                verbs.push((method, path));
            }
            for (method, path) in verbs {
                methods.push(TeggMethod {
                    name: name.to_string(),
                    method: method.to_string(),
                    path: decorator_path(&prefix, &path, koa_prefix),
                    middleware: mw.clone(),
                    line,
                    column,
                });
            }
        }
        if methods.is_empty() {
            return None;
        }
        let (line, _) = self.at.line_col(class.span.start);
        Some(TeggController {
            controller_name: class_name.clone(),
            class: class_name,
            path: prefix,
            middleware: class_mw,
            methods,
            line,
            decorator_router: true,
        })
    }
}

/// The full path of a decorator route. midway v1's `@controller(prefix)` mounts an
/// `@eggjs/router` 2 EggRouter with `router.prefix(prefix)`: the prefix loses one trailing `/`
/// and every layer's path becomes prefix + path, even `/` (`@controller('/api/user')` +
/// `@get('/')` is `/api/user/`; `@controller('/')` + `@get('/web/*')` is `/web/*`), as the corpus
/// oracle saw real midway 1.20 register. A home-made loop or egg-decorator-router: prefix and path
/// concatenated as written.
fn decorator_path(prefix: &str, path: &str, koa_prefix: bool) -> String {
    if !koa_prefix {
        return format!("{prefix}{path}");
    }
    let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
    format!("{prefix}{path}")
}

/// Class decorators that give a decorator router's path prefix.
const CLASS_PREFIX_DECORATORS: &[&str] = &[
    "Route",
    "Prefix",
    "prefix",
    "Controller",
    "controller",
    "RoutePrefix",
    "RestController",
];

/// The HTTP method a method decorator registers: `HttpGet`/`Get`/`get` → `GET`, `HttpAll`/`All`
/// → `ALL`, `Del`/`HttpDelete` → `DELETE`.
fn decorator_verb(name: &str) -> Option<&'static str> {
    let bare = name.strip_prefix("Http").unwrap_or(name);
    Some(match bare.to_ascii_lowercase().as_str() {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "patch" => "PATCH",
        "delete" | "del" => "DELETE",
        "head" => "HEAD",
        "options" => "OPTIONS",
        "all" => "ALL",
        _ => return None,
    })
}

#[cfg(test)]
mod decorator_path_tests {
    use super::decorator_path;

    #[test]
    fn eggjs_router_prefix_keeps_the_routes_own_slash() {
        assert_eq!(decorator_path("/api/app-user", "/", true), "/api/app-user/");
        assert_eq!(
            decorator_path("/api/app-user/", "/:id", true),
            "/api/app-user/:id"
        );
        assert_eq!(decorator_path("/", "/web/*", true), "/web/*");
        assert_eq!(decorator_path("/api/", "/x", false), "/api//x");
    }
}

#[cfg(test)]
mod config_path_tests {
    use super::{RouteArg, CONFIG_REF};
    use crate::facts::source_facts_from;
    use std::path::Path;

    fn paths(src: &str) -> Vec<Option<String>> {
        let f = source_facts_from(Path::new("/app/app/router.js"), src).unwrap();
        let mut out: Vec<Option<String>> = f
            .router_calls
            .iter()
            .map(|c| {
                c.args
                    .first()
                    .and_then(RouteArg::as_str)
                    .map(str::to_string)
            })
            .collect();
        for c in &f.tegg {
            out.extend(c.methods.iter().map(|m| Some(m.path.clone())));
        }
        out
    }

    /// Held-out 24wings+market-api-node: `let api = { list: '/rest/:model/list' }` and
    /// `app.router.get(api.list, h).post(api.update, h2)` — every verb of the chain registers,
    /// in source order, at its own line; an unknown receiver's chain does not.
    #[test]
    fn chained_verbs_and_path_tables() {
        let src = "module.exports = app => {\n  let api = { list: '/l', update: '/u' };\n  app.router\n    .get(api.list, app.controller.a.b)\n    .post(api.update, app.controller.a.c)\n    .put('/p', app.controller.a.d);\n  other.get('/x', h).post('/y', h);\n  app.router.get(api.missing, h);\n};\n";
        assert_eq!(
            paths(src),
            vec![
                Some("/l".into()),
                Some("/u".into()),
                Some("/p".into()),
                None
            ]
        );
        let f = source_facts_from(Path::new("/app/app/router.js"), src).unwrap();
        let lines: Vec<(String, u32)> = f
            .router_calls
            .iter()
            .map(|c| (c.verb.clone(), c.line))
            .collect();
        assert_eq!(
            lines,
            vec![
                ("get".into(), 4),
                ("post".into(), 5),
                ("put".into(), 6),
                ("get".into(), 8)
            ]
        );
    }

    fn r(path: &str) -> String {
        format!("{CONFIG_REF}{path}{CONFIG_REF}")
    }

    /// @jianghujs/jianghu 5.0.9's app/router.js: `const { appId } = config` in template paths.
    #[test]
    fn config_values_in_paths_are_marked() {
        let got = paths(
            "module.exports = app => {\n  const { router, controller, config } = app;\n  const { appId } = config;\n  router.get(`/${appId}/page/:pageName`, controller.page.page);\n  router.get('/' + app.config.api.prefix + '/x', controller.a.b);\n  const { api } = app.config;\n  router.get(`${api.prefix}/y`, controller.a.c);\n  const base = this.app.config.base;\n  router.get(base + '/z', controller.a.d);\n};",
        );
        assert_eq!(
            got,
            vec![
                Some(format!("/{}/page/:pageName", r("appId"))),
                Some(format!("/{}/x", r("api.prefix"))),
                Some(format!("{}/y", r("api.prefix"))),
                Some(format!("{}/z", r("base"))),
            ]
        );
    }

    /// Look-alikes: a destructured local object or a function's result is not the config.
    #[test]
    fn other_values_in_paths_are_not_config() {
        let got = paths(
            "module.exports = app => {\n  const { router, controller } = app;\n  const { appId } = settings;\n  router.get(`/${appId}/a`, controller.a.a);\n  router.get(`/${app.name}/b`, controller.a.b);\n};",
        );
        assert_eq!(got, vec![None, None]);
    }

    /// egg-decorator-router 1.0.7: `@HttpGet()` without a path registers `/<method name>`; a
    /// home-made `@Get()` without one is not followed.
    #[test]
    fn decorator_router_methods_without_a_path_use_their_name() {
        let got = paths(
            "@Route('/api/user')\nclass UserController extends Controller {\n  @HttpGet()\n  async list() {}\n  @HttpPost('/')\n  async create() {}\n}\n@Prefix('/b')\nclass B {\n  @Get()\n  async list() {}\n  @Get('/x')\n  async x() {}\n}",
        );
        assert_eq!(
            got,
            vec![
                Some("/api/user/list".to_string()),
                Some("/api/user/".to_string()),
                Some("/b/x".to_string()),
            ]
        );
    }
}
