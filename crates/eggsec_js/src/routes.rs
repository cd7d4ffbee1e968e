//! Router facts: the calls an Egg.js router file makes (`router.verb(...)`,
//! `router.resources(...)`, `router.redirect(...)`, `router.register(path, methods, mw, opts)`,
//! `router.use([path], ...mw)`, egg-router-plus `router.namespace(...)`,
//! egg 1 style `app.get(...)`), the local route files it requires and calls with `app`, and
//! tegg `@HTTPController` / `@HTTPMethod` decorator routes. Arguments are kept as written
//! (strings, RegExps, `controller.a.b` references, middleware factory calls); the app model
//! applies egg's own argument rules to them.

use crate::eval::source::{is_local_specifier, resolve_local};
use crate::facts::{Place, SourceFacts};
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::span::GetSpan;
use std::collections::HashMap;
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
];

#[derive(Clone, Debug)]
enum Binding {
    Router,
    App,
    Namespace(String, Vec<RouteArg>),
    Middleware(String),
    Controller(String),
    /// A local module (`require('./x')` / `import x from './x'`).
    Module(String),
}

struct RouteVisitor<'p, 't> {
    at: &'p Place<'t>,
    /// Top-level string constants of the file and imported names (for template-literal tegg
    /// paths such as `` `/-/package/:fullname(${FULLNAME_REG_STRING})/blocks` ``).
    consts: PathConsts,
    dir: &'p Path,
    bindings: HashMap<String, Binding>,
    out: &'p mut SourceFacts,
}

/// Runs the router and tegg extractors over a parsed file.
pub(crate) fn extract(program: &Program<'_>, at: &Place<'_>, dir: &Path, out: &mut SourceFacts) {
    let mut v = RouteVisitor {
        consts: PathConsts::collect(program, dir),
        at,
        dir,
        bindings: HashMap::new(),
        out,
    };
    v.visit_program(program);
}

/// `a.b.c` of a member chain rooted at an identifier or `this` (`None` otherwise).
pub(crate) fn member_path(expr: &Expression<'_>) -> Option<Vec<String>> {
    match expr.get_inner_expression() {
        Expression::Identifier(id) => Some(vec![id.name.to_string()]),
        Expression::ThisExpression(_) => Some(vec!["this".into()]),
        Expression::StaticMemberExpression(m) => {
            let mut p = member_path(&m.object)?;
            p.push(m.property.name.to_string());
            Some(p)
        }
        Expression::ComputedMemberExpression(m) => match &m.expression {
            Expression::StringLiteral(s) => {
                let mut p = member_path(&m.object)?;
                p.push(s.value.to_string());
                Some(p)
            }
            _ => None,
        },
        _ => None,
    }
}

fn string_value(expr: &Expression<'_>) -> Option<String> {
    match expr.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
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
        let prefix = string_value(first)?;
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

    fn arg(&self, expr: &Expression<'_>) -> RouteArg {
        let inner = expr.get_inner_expression();
        if let Some(value) = string_value(inner) {
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
                let name = id.name.to_string();
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
                } else {
                    match member_path(init).as_deref() {
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
                // const { router, controller, middleware } = app;
                let from_app = matches!(self.target_of(init), Some(RouterTarget::App))
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
                        _ => continue,
                    };
                    self.bindings.insert(id.name.to_string(), b);
                }
            }
            _ => {}
        }
    }
}

/// `require('./x')` with a local specifier.
fn local_require(expr: &Expression<'_>) -> Option<String> {
    let Expression::CallExpression(c) = expr.get_inner_expression() else {
        return None;
    };
    let Expression::Identifier(id) = c.callee.get_inner_expression() else {
        return None;
    };
    if id.name != "require" {
        return None;
    }
    let spec = string_value(c.arguments.first()?.as_expression()?)?;
    is_local_specifier(&spec).then_some(spec)
}

impl<'a> Visit<'a> for RouteVisitor<'_, '_> {
    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let spec = it.source.value.to_string();
        if is_local_specifier(&spec) {
            for s in it.specifiers.iter().flatten() {
                let local = match s {
                    ImportDeclarationSpecifier::ImportDefaultSpecifier(d) => &d.local,
                    ImportDeclarationSpecifier::ImportNamespaceSpecifier(n) => &n.local,
                    ImportDeclarationSpecifier::ImportSpecifier(s) => &s.local,
                };
                self.bindings
                    .insert(local.name.to_string(), Binding::Module(spec.clone()));
            }
        }
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let Some(init) = &it.init {
            self.bind(&it.id, init);
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let (line, column) = self.at.line_col(it.span.start);
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
                self.out.router_includes.push(RouterInclude {
                    specifier: spec,
                    resolved,
                    line,
                });
            }
        }
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            let verb = m.property.name.as_str();
            if ROUTER_VERBS.contains(&verb) {
                if let Some(target) = self.target_of(&m.object) {
                    // `app.use` is koa's global middleware, not the router's
                    let app_ok = !matches!(target, RouterTarget::App)
                        || !matches!(verb, "head" | "options" | "all" | "use");
                    if app_ok {
                        let args = it
                            .arguments
                            .iter()
                            .filter_map(|a| a.as_expression())
                            .map(|e| self.arg(e))
                            .collect();
                        self.out.router_calls.push(RouterCall {
                            target,
                            verb: verb.to_string(),
                            args,
                            line,
                            column,
                        });
                    }
                }
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_class(&mut self, it: &Class<'a>) {
        if let Some(ctrl) = self.tegg_controller(it) {
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
                                        s.local.name.to_string(),
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
                            c.local.insert(id.name.to_string(), v);
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
                                            id.name.to_string(),
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
            .map(|i| i.name.to_string())
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
        })
    }
}
