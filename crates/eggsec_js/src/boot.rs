//! Boot hooks, read statically: what an `app.js`/`agent.js` (or egg 4 `app.ts`, a lifecycle
//! class) does to `config.coreMiddleware` / `config.appMiddleware` — `push`, `unshift`,
//! `splice(list.indexOf('x') [+ 1], 0, ...)` — in which lifecycle phase, under which config
//! conditions (`if (app.config.debug)`), plus the routes it registers on `app.router`.
//!
//! egg runs every unit's `configWillLoad` first (unit order), then every `configDidLoad`, a
//! function-style `module.exports = app => {}` being a `configDidLoad`; middleware are loaded
//! right after, so edits in `didLoad`, `willReady`, `app.beforeStart(...)` and later change
//! nothing (they are reported with [`Phase::Later`]).
//!
//! ```
//! use eggsec_js::boot::{boot_facts_from, Phase, ListOp};
//! let f = boot_facts_from(
//!     std::path::Path::new("app.js"),
//!     "module.exports = app => { if (app.config.debug) app.config.coreMiddleware.unshift('less'); };",
//! ).unwrap();
//! assert_eq!(f.edits.len(), 1);
//! assert_eq!(f.edits[0].phase, Phase::ConfigDidLoad);
//! assert_eq!(f.edits[0].op, ListOp::Unshift(vec!["less".into()]));
//! assert_eq!(f.edits[0].when[0].path, "debug");
//! ```

use crate::error::JsError;
use crate::eval::source::{self, LineIndex};
use crate::eval::Limits;
use crate::routes::{member_path, walk_if_under, ConfigCondition};
use crate::uses::{on_large_stack, parse};
use foldhash::{HashMap, HashMapExt};
use oxc::allocator::Allocator;
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use std::path::Path;

/// When an edit runs in egg's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// At require time or in a boot class constructor (before any hook).
    Load,
    /// A class boot hook's `configWillLoad`.
    ConfigWillLoad,
    /// A class boot hook's `configDidLoad`, or a function-style `app.js`.
    ConfigDidLoad,
    /// `didLoad`, `willReady`, `didReady`, `serverDidReady`, `beforeStart`/`ready` callbacks,
    /// event handlers: after middleware and the router are loaded.
    Later,
}

/// What is done to a middleware list.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", content = "names", rename_all = "snake_case")]
pub enum ListOp {
    Push(Vec<String>),
    Unshift(Vec<String>),
    /// `splice(list.indexOf(anchor) + (after ? 1 : 0), 0, ...names)`.
    Insert {
        anchor: String,
        after: bool,
        names: Vec<String>,
    },
    /// `splice(list.indexOf(name), 1)` and the like.
    Remove(Vec<String>),
    /// A change eggsec cannot follow (computed names, an index it cannot read): its source text.
    Unknown(String),
}

/// One edit of `coreMiddleware` or `appMiddleware`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ListEdit {
    /// `coreMiddleware` or `appMiddleware` (the plural aliases are the same arrays).
    pub list: String,
    pub op: ListOp,
    pub phase: Phase,
    pub when: Vec<ConfigCondition>,
    /// Conditions on the list itself (`if (!list.includes('x'))`), checked on the list as it is
    /// when the edit runs.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub if_list: Vec<ListCondition>,
    pub line: u32,
}

/// `list.includes(name)` (or its negation) around an edit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ListCondition {
    pub list: String,
    pub name: String,
    /// The edit runs when the list holds `name` (`false`: when it does not).
    pub present: bool,
}

/// A call of a method of the same class that passes a middleware list (tegg's
/// `this.prepareMiddleware(this.app.config.coreMiddleware)`): the method runs with its
/// parameter bound to that list, in the caller's phase and under the caller's conditions.
#[derive(Clone, Debug)]
struct HelperCall {
    /// (argument index, list).
    lists: Vec<(usize, String)>,
    phase: Phase,
    conditions: Vec<ConfigCondition>,
    list_conditions: Vec<ListCondition>,
}

/// A route a boot file registers on `app.router` (method, path as written).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BootRoute {
    pub method: String,
    pub path: String,
    pub phase: Phase,
    pub when: Vec<ConfigCondition>,
    pub line: u32,
}

/// An assignment to a config key (`this.app.config.static.uploadPath = ...`), value not read.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConfigWrite {
    /// The path below `app.config`.
    pub path: Vec<String>,
    pub phase: Phase,
    pub line: u32,
}

/// What a boot file does.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct BootFacts {
    pub edits: Vec<ListEdit>,
    pub routes: Vec<BootRoute>,
    /// Assignments to config keys other than the middleware lists.
    pub config_writes: Vec<ConfigWrite>,
}

/// Reads and parses a boot file (size, binary, UTF-8 and nesting checks first).
pub fn boot_facts(path: &Path) -> Result<BootFacts, JsError> {
    let limits = Limits::default();
    let text = source::read_text(path, &limits)?;
    boot_facts_from(path, &text)
}

/// [`boot_facts`] on text already in memory.
pub fn boot_facts_from(path: &Path, text: &str) -> Result<BootFacts, JsError> {
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
        let method_conditions = {
            let mut scan = ReturnConditions::default();
            scan.visit_program(&program);
            scan.out
        };
        let visitor = |helpers: HashMap<String, Vec<HelperCall>>| BootVisitor {
            text,
            lines: LineIndex::new(text),
            phase: vec![Phase::Load],
            conditions: Vec::new(),
            list_conditions: Vec::new(),
            lists: HashMap::new(),
            anchors: HashMap::new(),
            config_names: vec![],
            consts: HashMap::new(),
            in_const: false,
            helpers,
            helper_calls: HashMap::new(),
            method_conditions: method_conditions.clone(),
            out: BootFacts::default(),
        };
        // first pass: which class methods are called with a middleware list (they may be
        // defined below their caller); second pass: those methods run as part of their callers
        let mut first = visitor(HashMap::new());
        first.visit_program(&program);
        if first.helper_calls.is_empty() {
            return Ok(first.out);
        }
        let mut v = visitor(std::mem::take(&mut first.helper_calls));
        v.visit_program(&program);
        Ok(v.out)
    })
}

const LIFECYCLE: &[(&str, Phase)] = &[
    ("constructor", Phase::Load),
    ("configWillLoad", Phase::ConfigWillLoad),
    ("configDidLoad", Phase::ConfigDidLoad),
    ("didLoad", Phase::Later),
    ("willReady", Phase::Later),
    ("didReady", Phase::Later),
    ("serverDidReady", Phase::Later),
    ("beforeClose", Phase::Later),
];

/// Calls on the app whose callback runs after loading (`app.beforeStart(fn)`, `app.ready(fn)`,
/// `app.on('x', fn)`, `app.messenger.on(...)`).
const LATER_CALLS: &[&str] = &[
    "beforeStart",
    "ready",
    "on",
    "once",
    "beforeClose",
    "runSchedule",
    "setTimeout",
    "setInterval",
    "setImmediate",
    "nextTick",
    "then",
];

const VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "del", "head", "options", "all",
];

struct BootVisitor<'t> {
    text: &'t str,
    lines: LineIndex,
    phase: Vec<Phase>,
    conditions: Vec<ConfigCondition>,
    /// `list.includes('x')` conditions around the current statement.
    list_conditions: Vec<ListCondition>,
    /// Methods to run with a list parameter (from the first pass), by method name.
    helpers: HashMap<String, Vec<HelperCall>>,
    /// `this.method(list)` calls seen in this pass.
    helper_calls: HashMap<String, Vec<HelperCall>>,
    /// Local names bound to a middleware list (`const core = app.config.coreMiddleware`).
    lists: HashMap<String, String>,
    /// Local names bound to `list.indexOf('x') [+ 1]`: (list, anchor, after).
    anchors: HashMap<String, (String, String, bool)>,
    /// Local names bound to `app.config`.
    config_names: Vec<String>,
    /// `const NAME = 'literal'` bindings (egg-jwt's `MIDDLEWARE_NAME_JWT = 'jwt'`).
    consts: HashMap<String, String>,
    /// Inside a `const` declaration.
    in_const: bool,
    /// Class methods that only return a condition (`mcpEnable() { return
    /// !!this.app.plugins.mcpProxy?.enable }`), by name: `if (this.mcpEnable())` is decided.
    method_conditions: HashMap<String, ConfigCondition>,
    out: BootFacts,
}

impl BootVisitor<'_> {
    fn line(&self, offset: u32) -> u32 {
        self.lines.line_col(self.text, offset).0
    }

    /// A string argument: a literal, or a name bound to one by `const`.
    fn string_of(&self, expr: &Expression<'_>) -> Option<String> {
        match expr.get_inner_expression() {
            Expression::StringLiteral(s) => Some(s.value.as_str().to_owned()),
            Expression::Identifier(id) => self.consts.get(id.name.as_str()).cloned(),
            _ => None,
        }
    }

    fn strings(&self, args: &[Argument<'_>]) -> Option<Vec<String>> {
        args.iter()
            .map(|a| self.string_of(a.as_expression()?))
            .collect()
    }

    fn phase(&self) -> Phase {
        *self.phase.last().unwrap_or(&Phase::Load)
    }

    /// The config path below `app.config` / `this.app.config` / `this.config` / a config
    /// binding, or `None`.
    fn config_rest(&self, path: &[String]) -> Option<Vec<String>> {
        let strs: Vec<&str> = path.iter().map(String::as_str).collect();
        let rest = match strs.as_slice() {
            ["app" | "agent", "config", rest @ ..]
            | ["this", "app" | "agent", "config", rest @ ..]
            | ["this", "config", rest @ ..] => rest,
            [head, rest @ ..] if self.config_names.iter().any(|c| c == head) => rest,
            _ => return None,
        };
        Some(rest.iter().map(|s| s.to_string()).collect())
    }

    /// `coreMiddleware`/`appMiddleware` for an expression naming one of the lists.
    fn list_of(&self, expr: &Expression<'_>) -> Option<String> {
        let path = member_path(expr)?;
        if let [single] = path.as_slice() {
            return self.lists.get(single).cloned();
        }
        let rest = self.config_rest(&path)?;
        match rest
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["coreMiddleware" | "coreMiddlewares"] => Some("coreMiddleware".into()),
            ["appMiddleware" | "appMiddlewares" | "middleware"] => Some("appMiddleware".into()),
            _ => None,
        }
    }

    /// `list.indexOf('x')` or `list.indexOf('x') + 1`, or a name bound to one.
    fn anchor_of(&self, expr: &Expression<'_>) -> Option<(String, String, bool)> {
        match expr.get_inner_expression() {
            Expression::Identifier(id) => self.anchors.get(id.name.as_str()).cloned(),
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let one = matches!(b.right.get_inner_expression(),
                    Expression::NumericLiteral(n) if n.value == 1.0);
                let (list, anchor, after) = self.anchor_of(&b.left)?;
                (one && !after).then_some((list, anchor, true))
            }
            Expression::CallExpression(c) => {
                let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
                    return None;
                };
                if m.property.name != "indexOf" {
                    return None;
                }
                let list = self.list_of(&m.object)?;
                let name = self.strings(&c.arguments)?.into_iter().next()?;
                Some((list, name, false))
            }
            _ => None,
        }
    }

    fn condition(&self, test: &Expression<'_>) -> Option<ConfigCondition> {
        let test = test.get_inner_expression();
        if let Some(c) = plugin_condition(test) {
            return Some(c);
        }
        // `this.mcpEnable()`: a method that only returns a condition
        if let Expression::CallExpression(c) = test {
            if let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() {
                if c.arguments.is_empty()
                    && matches!(
                        m.object.get_inner_expression(),
                        Expression::ThisExpression(_)
                    )
                {
                    return self
                        .method_conditions
                        .get(m.property.name.as_str())
                        .cloned();
                }
            }
        }
        if let Expression::UnaryExpression(u) = test {
            if u.operator == UnaryOperator::LogicalNot {
                let c = self.condition(&u.argument)?;
                return Some(ConfigCondition {
                    path: c.path,
                    negated: !c.negated,
                });
            }
            return None;
        }
        let rest = self.config_rest(&member_path(test)?)?;
        (!rest.is_empty()).then(|| ConfigCondition {
            path: rest.join("."),
            negated: false,
        })
    }

    fn edit(&mut self, list: String, op: ListOp, offset: u32) {
        let line = self.line(offset);
        self.out.edits.push(ListEdit {
            list,
            op,
            phase: self.phase(),
            when: self.conditions.clone(),
            if_list: self.list_conditions.clone(),
            line,
        });
    }

    /// `list.includes('x')` / `!list.includes('x')` on a middleware list.
    fn list_condition(&self, test: &Expression<'_>) -> Option<ListCondition> {
        match test.get_inner_expression() {
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
                let c = self.list_condition(&u.argument)?;
                Some(ListCondition {
                    present: !c.present,
                    ..c
                })
            }
            Expression::CallExpression(c) => {
                let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
                    return None;
                };
                if m.property.name != "includes" {
                    return None;
                }
                let list = self.list_of(&m.object)?;
                let name = self.strings(&c.arguments)?.into_iter().next()?;
                Some(ListCondition {
                    list,
                    name,
                    present: true,
                })
            }
            _ => None,
        }
    }

    fn is_router(&self, expr: &Expression<'_>) -> bool {
        let Some(path) = member_path(expr) else {
            return false;
        };
        let strs: Vec<&str> = path.iter().map(String::as_str).collect();
        matches!(
            strs.as_slice(),
            ["app", "router"] | ["this", "app", "router"]
        )
    }
}

/// A member path that may use optional chaining (`this.app.plugins.mcpProxy?.enable`).
fn chain_member_path(expr: &Expression<'_>) -> Option<Vec<String>> {
    match expr.get_inner_expression() {
        Expression::ChainExpression(c) => match &c.expression {
            ChainElement::StaticMemberExpression(m) => {
                let mut p = chain_member_path(&m.object)?;
                p.push(m.property.name.as_str().to_owned());
                Some(p)
            }
            _ => None,
        },
        Expression::StaticMemberExpression(m) => {
            let mut p = chain_member_path(&m.object)?;
            p.push(m.property.name.as_str().to_owned());
            Some(p)
        }
        other => member_path(other),
    }
}

/// `app.plugins.x` / `this.app.plugins.x?.enable` (and `!`/`!!` of it): whether plugin `x` is
/// enabled, as the condition path `$plugins.x` (decided by the plugin list).
fn plugin_condition(test: &Expression<'_>) -> Option<ConfigCondition> {
    let test = test.get_inner_expression();
    if let Expression::UnaryExpression(u) = test {
        if u.operator == UnaryOperator::LogicalNot {
            let c = plugin_condition(&u.argument)?;
            return Some(ConfigCondition {
                path: c.path,
                negated: !c.negated,
            });
        }
        return None;
    }
    let path = chain_member_path(test)?;
    let strs: Vec<&str> = path.iter().map(String::as_str).collect();
    let name = match strs.as_slice() {
        ["app" | "agent", "plugins", name] | ["app" | "agent", "plugins", name, "enable"] => name,
        ["this", "app" | "agent", "plugins", name]
        | ["this", "app" | "agent", "plugins", name, "enable"] => name,
        _ => return None,
    };
    Some(ConfigCondition {
        path: format!("$plugins.{name}"),
        negated: false,
    })
}

/// Class methods whose body is only `return <plugin condition>`, by name.
#[derive(Default)]
struct ReturnConditions {
    out: HashMap<String, ConfigCondition>,
}

impl<'a> Visit<'a> for ReturnConditions {
    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        let body = it.value.body.as_ref().map(|b| b.statements.as_slice());
        if let (Some(name), Some([Statement::ReturnStatement(r)])) = (it.key.static_name(), body) {
            if let Some(c) = r.argument.as_ref().and_then(plugin_condition) {
                self.out.insert(name.to_string(), c);
            }
        }
        walk::walk_method_definition(self, it);
    }
}

impl<'a> Visit<'a> for BootVisitor<'_> {
    fn visit_variable_declaration(&mut self, it: &VariableDeclaration<'a>) {
        let outer = self.in_const;
        self.in_const = it.kind == VariableDeclarationKind::Const;
        walk::walk_variable_declaration(self, it);
        self.in_const = outer;
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&it.id, &it.init) {
            let name = id.name.as_str().to_owned();
            if let Expression::StringLiteral(lit) = init.get_inner_expression() {
                if self.in_const {
                    self.consts
                        .insert(name.clone(), lit.value.as_str().to_owned());
                }
            }
            if let Some(list) = self.list_of(init) {
                self.lists.insert(name.clone(), list);
            } else if let Some(a) = self.anchor_of(init) {
                self.anchors.insert(name.clone(), a);
            } else if member_path(init)
                .is_some_and(|p| self.config_rest(&p).is_some_and(|r| r.is_empty()))
            {
                self.config_names.push(name);
            }
        }
        if let (BindingPattern::ObjectPattern(obj), Some(init)) = (&it.id, &it.init) {
            // const { config } = app
            let from_app = member_path(init).is_some_and(|p| {
                matches!(
                    p.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
                    ["app" | "agent"] | ["this", "app" | "agent"]
                )
            });
            if from_app {
                for prop in &obj.properties {
                    if prop.key.static_name().as_deref() == Some("config") {
                        if let BindingPattern::BindingIdentifier(id) = &prop.value {
                            self.config_names.push(id.name.as_str().to_owned());
                        }
                    }
                }
            }
            // const { appMiddleware } = this.app.config
            let from_config = member_path(init)
                .is_some_and(|p| self.config_rest(&p).is_some_and(|r| r.is_empty()));
            if from_config {
                for prop in &obj.properties {
                    let list = match prop.key.static_name().as_deref() {
                        Some("coreMiddleware" | "coreMiddlewares") => "coreMiddleware",
                        Some("appMiddleware" | "appMiddlewares") => "appMiddleware",
                        _ => continue,
                    };
                    if let BindingPattern::BindingIdentifier(id) = &prop.value {
                        self.lists
                            .insert(id.name.as_str().to_owned(), list.to_string());
                    }
                }
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        let name = it.key.static_name();
        let is_lifecycle = LIFECYCLE.iter().any(|(n, _)| name.as_deref() == Some(*n));
        if let Some(calls) = name
            .as_deref()
            .filter(|_| !is_lifecycle)
            .and_then(|n| self.helpers.get(n))
            .cloned()
        {
            let params: Vec<Option<String>> = it
                .value
                .params
                .items
                .iter()
                .map(|p| match &p.pattern {
                    BindingPattern::BindingIdentifier(id) => Some(id.name.as_str().to_owned()),
                    _ => None,
                })
                .collect();
            for call in calls {
                let saved_lists = self.lists.clone();
                for (i, list) in &call.lists {
                    if let Some(Some(param)) = params.get(*i) {
                        self.lists.insert(param.clone(), list.clone());
                    }
                }
                let (conditions, list_conditions) = (
                    std::mem::replace(&mut self.conditions, call.conditions.clone()),
                    std::mem::replace(&mut self.list_conditions, call.list_conditions.clone()),
                );
                self.phase.push(call.phase);
                walk::walk_method_definition(self, it);
                self.phase.pop();
                self.conditions = conditions;
                self.list_conditions = list_conditions;
                self.lists = saved_lists;
            }
            return;
        }
        let phase = LIFECYCLE
            .iter()
            .find(|(n, _)| name.as_deref() == Some(*n))
            .map(|(_, p)| *p)
            .unwrap_or(Phase::Later);
        self.phase.push(phase);
        walk::walk_method_definition(self, it);
        self.phase.pop();
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if let AssignmentTarget::StaticMemberExpression(m) = &it.left {
            let rest = member_path(&m.object).and_then(|mut p| {
                p.push(m.property.name.as_str().to_owned());
                self.config_rest(&p)
            });
            if let Some(rest) = rest.filter(|r| {
                r.first().is_some_and(|k| {
                    !matches!(
                        k.as_str(),
                        "coreMiddleware"
                            | "coreMiddlewares"
                            | "appMiddleware"
                            | "appMiddlewares"
                            | "middleware"
                    )
                })
            }) {
                let line = self.line(it.span.start);
                self.out.config_writes.push(ConfigWrite {
                    path: rest,
                    phase: self.phase(),
                    line,
                });
            }
        }
        // module.exports = app => {...} / exports.default = ...: a function-style boot file
        let is_exports = match &it.left {
            AssignmentTarget::StaticMemberExpression(m) => {
                member_path(&m.object).is_some_and(|p| p == ["module"] || p == ["exports"])
                    || matches!(&m.object, Expression::Identifier(id) if id.name == "module")
            }
            _ => false,
        };
        let is_fn = matches!(
            it.right.get_inner_expression(),
            Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)
        );
        if is_exports && is_fn && self.phase() == Phase::Load {
            self.phase.push(Phase::ConfigDidLoad);
            walk::walk_assignment_expression(self, it);
            self.phase.pop();
        } else {
            walk::walk_assignment_expression(self, it);
        }
    }

    fn visit_export_default_declaration(&mut self, it: &ExportDefaultDeclaration<'a>) {
        let is_fn = matches!(
            &it.declaration,
            ExportDefaultDeclarationKind::ArrowFunctionExpression(_)
                | ExportDefaultDeclarationKind::FunctionDeclaration(_)
        );
        if is_fn {
            self.phase.push(Phase::ConfigDidLoad);
            walk::walk_export_default_declaration(self, it);
            self.phase.pop();
        } else {
            walk::walk_export_default_declaration(self, it);
        }
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        if let Some(lc) = self.list_condition(&it.test) {
            self.list_conditions.push(lc.clone());
            self.visit_statement(&it.consequent);
            self.list_conditions.pop();
            if let Some(alt) = &it.alternate {
                self.list_conditions.push(ListCondition {
                    present: !lc.present,
                    ..lc
                });
                self.visit_statement(alt);
                self.list_conditions.pop();
            }
            return;
        }
        self.visit_expression(&it.test);
        let cond = self.condition(&it.test);
        walk_if_under(self, it, cond, |v| &mut v.conditions);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            let method = m.property.name.as_str();
            if matches!(
                m.object.get_inner_expression(),
                Expression::ThisExpression(_)
            ) {
                let lists: Vec<(usize, String)> = it
                    .arguments
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| Some((i, self.list_of(a.as_expression()?)?)))
                    .collect();
                if !lists.is_empty() {
                    let call = HelperCall {
                        lists,
                        phase: self.phase(),
                        conditions: self.conditions.clone(),
                        list_conditions: self.list_conditions.clone(),
                    };
                    self.helper_calls
                        .entry(method.to_string())
                        .or_default()
                        .push(call);
                }
            }
            if let Some(list) = self.list_of(&m.object) {
                let names = self.strings(&it.arguments);
                let text = self
                    .text
                    .get(it.span.start as usize..it.span.end as usize)
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect::<String>();
                let op = match (method, names) {
                    ("push", Some(n)) => Some(ListOp::Push(n)),
                    ("unshift", Some(n)) => Some(ListOp::Unshift(n)),
                    ("splice", _) => Some(self.splice(it).unwrap_or(ListOp::Unknown(text))),
                    ("push" | "unshift", None) => Some(ListOp::Unknown(text)),
                    _ => None,
                };
                if let Some(op) = op {
                    self.edit(list, op, it.span.start);
                }
            } else if VERBS.contains(&method) && self.is_router(&m.object) {
                let path = it.arguments.iter().find_map(|a| {
                    match a.as_expression()?.get_inner_expression() {
                        Expression::StringLiteral(s) => Some(s.value.as_str().to_owned()),
                        _ => None,
                    }
                });
                if let Some(path) = path {
                    let line = self.line(it.span.start);
                    self.out.routes.push(BootRoute {
                        method: method.to_string(),
                        path,
                        phase: self.phase(),
                        when: self.conditions.clone(),
                        line,
                    });
                }
            }
            if LATER_CALLS.contains(&method) {
                self.visit_expression(&it.callee);
                self.phase.push(Phase::Later);
                for a in &it.arguments {
                    self.visit_argument(a);
                }
                self.phase.pop();
                return;
            }
        }
        walk::walk_call_expression(self, it);
    }
}

impl BootVisitor<'_> {
    /// `splice(anchor, 0, ...names)` → Insert; `splice(anchor, 1)` → Remove.
    fn splice(&self, it: &CallExpression<'_>) -> Option<ListOp> {
        let mut args = it.arguments.iter();
        let (_, anchor, after) = self.anchor_of(args.next()?.as_expression()?)?;
        let count = match args.next()?.as_expression()?.get_inner_expression() {
            Expression::NumericLiteral(n) => n.value,
            _ => return None,
        };
        let rest: Vec<Argument<'_>> = Vec::new();
        let _ = rest;
        let names: Option<Vec<String>> = args.map(|a| self.string_of(a.as_expression()?)).collect();
        let names = names?;
        match (count as u32, names.is_empty()) {
            (0, false) => Some(ListOp::Insert {
                anchor,
                after,
                names,
            }),
            (1, true) if !after => Some(ListOp::Remove(vec![anchor])),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(src: &str) -> BootFacts {
        boot_facts_from(Path::new("app.js"), src).unwrap()
    }

    #[test]
    fn function_style_edits_run_at_config_did_load() {
        let f = facts(
            "module.exports = app => {\n  const index = app.config.coreMiddleware.indexOf('bodyParser');\n  app.config.coreMiddleware.splice(index, 0, 'rateLimit');\n  app.config.appMiddleware.unshift('jwt');\n  const core = app.config.coreMiddleware;\n  core.splice(core.indexOf('cors') + 1, 0, 'passportInitialize', 'passportSession');\n};",
        );
        assert_eq!(f.edits.len(), 3, "{f:?}");
        assert!(f.edits.iter().all(|e| e.phase == Phase::ConfigDidLoad));
        assert_eq!(
            f.edits[0].op,
            ListOp::Insert {
                anchor: "bodyParser".into(),
                after: false,
                names: vec!["rateLimit".into()]
            }
        );
        assert_eq!(f.edits[1].list, "appMiddleware");
        assert_eq!(
            f.edits[2].op,
            ListOp::Insert {
                anchor: "cors".into(),
                after: true,
                names: vec!["passportInitialize".into(), "passportSession".into()]
            }
        );
    }

    #[test]
    fn class_hooks_conditions_and_later_phases() {
        let f = facts(
            "class Boot {\n  constructor(app) { this.app = app; }\n  configWillLoad() {\n    if (!this.app.config.teggOff) this.app.config.coreMiddleware.unshift('teggCtxLifecycleMiddleware');\n  }\n  async didLoad() { this.app.config.coreMiddleware.push('tooLate'); }\n}\nmodule.exports = Boot;",
        );
        assert_eq!(f.edits.len(), 2);
        assert_eq!(f.edits[0].phase, Phase::ConfigWillLoad);
        assert_eq!(f.edits[0].when[0].path, "teggOff");
        assert!(f.edits[0].when[0].negated);
        assert_eq!(f.edits[1].phase, Phase::Later);
    }

    #[test]
    fn plugin_conditions_and_methods_returning_them_are_kept() {
        // @eggjs/controller-plugin 4.x's app.js (egg 4.1's default tegg plugins)
        let f = facts(
            "class ControllerAppBootHook {\n  configWillLoad() {\n    if (this.mcpEnable()) {\n      this.app.config.coreMiddleware.unshift(\"mcpBodyMiddleware\");\n    }\n    if (!app.plugins.cors) this.app.config.coreMiddleware.push('x');\n  }\n  mcpEnable() {\n    return !!this.app.plugins.mcpProxy?.enable;\n  }\n}\nexport { ControllerAppBootHook as default };",
        );
        assert_eq!(f.edits.len(), 2, "{f:?}");
        assert_eq!(f.edits[0].when[0].path, "$plugins.mcpProxy");
        assert!(!f.edits[0].when[0].negated);
        assert_eq!(f.edits[1].when[0].path, "$plugins.cors");
        assert!(f.edits[1].when[0].negated);
        // a method doing more than returning a condition is not followed
        let f = facts(
            "class B {\n  configWillLoad() { if (this.on()) this.app.config.coreMiddleware.push('y'); }\n  on() { log(); return this.app.plugins.p; }\n}\nmodule.exports = B;",
        );
        assert!(f.edits[0].when.is_empty(), "{f:?}");
    }

    #[test]
    fn callbacks_are_later_and_routes_are_collected() {
        let f = facts(
            "module.exports = app => {\n  app.router.get('/health', ctx => { ctx.body = 'ok'; });\n  app.beforeStart(async () => { app.config.coreMiddleware.push('x'); });\n  app.config.coreMiddleware.push(name);\n};",
        );
        assert_eq!(f.routes.len(), 1);
        assert_eq!(f.routes[0].path, "/health");
        assert_eq!(f.edits[0].phase, Phase::Later);
        assert!(matches!(f.edits[1].op, ListOp::Unknown(_)));
    }

    #[test]
    fn names_bound_by_const_are_followed() {
        // egg-jwt 3.1.7's app.js, as installed (found by the corpus oracle)
        let f = facts(
            "const MIDDLEWARE_NAME_JWT = 'jwt';\nmodule.exports = app => {\n  const { config } = app;\n  const index = config.appMiddleware.indexOf(MIDDLEWARE_NAME_JWT);\n  config.appMiddleware.unshift(MIDDLEWARE_NAME_JWT);\n};",
        );
        assert_eq!(f.edits.len(), 1, "{f:?}");
        assert_eq!(f.edits[0].op, ListOp::Unshift(vec!["jwt".into()]));
        // a `let` may be reassigned, and an unbound name is not known: both stay unknown
        let f = facts(
            "let NAME = 'a';\nmodule.exports = app => { NAME = 'b'; app.config.appMiddleware.unshift(NAME); app.config.appMiddleware.push(OTHER); };",
        );
        assert_eq!(f.edits.len(), 2, "{f:?}");
        assert!(
            f.edits.iter().all(|e| matches!(e.op, ListOp::Unknown(_))),
            "{f:?}"
        );
        // egg-xprofiler-auth's (a local plugin of the corpus) configDidLoad
        let f = facts(
            "class AppBootHook {\n  constructor(app) { this.app = app; }\n  configDidLoad() {\n    const { appMiddleware } = this.app.config;\n    appMiddleware.unshift('basicAuth');\n  }\n}\nmodule.exports = AppBootHook;",
        );
        assert_eq!(f.edits.len(), 1, "{f:?}");
        assert_eq!(f.edits[0].list, "appMiddleware");
        assert_eq!(f.edits[0].phase, Phase::ConfigDidLoad);
        assert_eq!(f.edits[0].op, ListOp::Unshift(vec!["basicAuth".into()]));
    }

    #[test]
    fn class_methods_called_with_a_list_run_in_the_callers_phase() {
        // @eggjs/tegg-controller-plugin 3.5.2 app.js (found by the corpus oracle: teggRootProto
        // was missing from poster-backend's chain)
        let f = facts(
            "class ControllerAppBootHook {\n  constructor(app) { this.app = app; }\n  configWillLoad() {\n    this.prepareMiddleware(this.app.config.coreMiddleware);\n  }\n  prepareMiddleware(middlewareNames) {\n    if (!middlewareNames.includes('teggCtxLifecycleMiddleware')) {\n      middlewareNames.unshift('teggCtxLifecycleMiddleware');\n    }\n    const index = middlewareNames.indexOf('teggCtxLifecycleMiddleware');\n    middlewareNames.splice(index, 0, 'teggRootProto');\n    return middlewareNames;\n  }\n}\nmodule.exports = ControllerAppBootHook;",
        );
        assert_eq!(f.edits.len(), 2, "{f:?}");
        assert!(f.edits.iter().all(|e| e.phase == Phase::ConfigWillLoad));
        assert_eq!(
            f.edits[0].op,
            ListOp::Unshift(vec!["teggCtxLifecycleMiddleware".into()])
        );
        assert_eq!(
            f.edits[0].if_list,
            [ListCondition {
                list: "coreMiddleware".into(),
                name: "teggCtxLifecycleMiddleware".into(),
                present: false
            }]
        );
        assert_eq!(
            f.edits[1].op,
            ListOp::Insert {
                anchor: "teggCtxLifecycleMiddleware".into(),
                after: false,
                names: vec!["teggRootProto".into()]
            }
        );
        assert!(f.edits[1].if_list.is_empty());
        // a method never called with a list is only a later-phase method; an array that is not
        // a middleware list passed to a method is nothing
        let f = facts(
            "class B {\n  configWillLoad() { this.other([]); }\n  other(list) { list.push('x'); }\n  didLoad() { this.app.config.coreMiddleware.push('late'); }\n}\nmodule.exports = B;",
        );
        assert_eq!(f.edits.len(), 1, "{f:?}");
        assert_eq!(f.edits[0].phase, Phase::Later);
    }

    #[test]
    fn config_writes_are_recorded_with_their_phase() {
        let f = facts(
            "class B {\n  constructor(app) { this.app = app; }\n  async didReady() {\n    const { dir } = this.app.config.static;\n    this.app.config.static.uploads = dir + '/u';\n    this.app.config.coreMiddleware = [];\n    this.app.other.x = 1;\n  }\n}\nmodule.exports = B;",
        );
        assert_eq!(
            f.config_writes,
            [ConfigWrite {
                path: vec!["static".into(), "uploads".into()],
                phase: Phase::Later,
                line: 5,
            }]
        );
        let f = facts("module.exports = app => { app.config.security.csrf.enable = false; };");
        assert_eq!(f.config_writes[0].phase, Phase::ConfigDidLoad);
        assert_eq!(f.config_writes[0].path, ["security", "csrf", "enable"]);
    }

    #[test]
    fn look_alikes_are_not_edits() {
        let f = facts(
            "module.exports = app => { const list = []; list.push('x'); app.config.security.domainWhiteList.push('a.com'); other.router.get('/x'); };",
        );
        assert!(f.edits.is_empty(), "{f:?}");
        assert!(f.routes.is_empty());
    }
}
