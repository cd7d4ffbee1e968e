//! What a mass-assignment finding needs beyond the flow (issue 12 class 2): the columns of the
//! app's model definitions, the fields the server forces before a record write, and the record
//! writes scoped to the logged-in user.
//!
//! - **Model definitions**: sequelize `define('name', { attrs })` and `Model.init({ attrs })`,
//!   mongoose `new Schema({ paths })` (also a top-level `const` object passed to it) with
//!   `schema.add({...})` and `mongoose.model('Name', schema)`, leoric/egg-orm classes with
//!   `static attributes = {...}`, typeorm/tegg/typegoose classes with decorated properties
//!   (`@Column()`, `@prop()`...). Only column *names* are kept.
//! - **Forced fields**: `payload.userId = ...` and `delete payload.role` in a function,
//!   `const data = { ...body, userId: me }` (keys written after the last spread win over the
//!   body's), `Object.assign(payload, { userId: me })`.
//! - **Write calls**: for each call that may write a record, the keys its object-literal
//!   argument forces after a spread, the filter keys holding the logged-in user
//!   (`update(body, { where: { id, manager_id: ctx.user.id } })`), and a literal table name
//!   (`app.mysql.insert('users', body)`).

use crate::facts::{Place, SourceFacts};
use crate::routes::{member_path, member_path_ref};
use foldhash::{HashMap, HashMapExt};
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::syntax::scope::ScopeFlags;

/// One model definition.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ModelDef {
    /// Declared names: the sequelize `define` name, the `mongoose.model` name, the class name,
    /// typeorm's `@Entity('name')`.
    pub names: Vec<String>,
    /// Column (attribute, schema path, decorated property) names, in source order.
    pub columns: Vec<String>,
    pub line: u32,
}

/// [`FieldWrite::target`] of keys an object-literal call argument writes after its spread
/// (`f({ ...body, userId: me })`).
pub const ARGUMENT: &str = "(argument)";

/// Fields written (or deleted) on a local or on the request body before a record write.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FieldWrite {
    /// The object written: its root name (`payload`, `body`), the request path
    /// (`ctx.request.body`), or [`ARGUMENT`].
    pub target: String,
    pub fields: Vec<String>,
    pub line: u32,
    /// The enclosing function's first and last line.
    pub function_lines: (u32, u32),
}

/// A call that may write a record.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WriteCall {
    pub line: u32,
    pub column: u32,
    /// Keys an object-literal argument writes after its last spread.
    pub forced: Vec<String>,
    /// Filter keys compared with the logged-in user.
    pub scoped: Vec<String>,
    /// The first argument, when it is a string (`app.mysql.insert('users', row)`).
    pub table: Option<String>,
    /// The model of a record the call writes (`user.update(body)`, `Object.assign(user, body)`
    /// after `const user = await ctx.model.User.findByPk(id)`): `User`.
    pub model: Option<String>,
}

/// The facts of one file.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RecordFacts {
    pub models: Vec<ModelDef>,
    /// Every schema/attribute column of the file, for a model whose definition is not paired
    /// with its name (`mongoose.model('Cat', makeSchema(true))`).
    pub all_columns: Vec<String>,
    pub field_writes: Vec<FieldWrite>,
    pub calls: Vec<WriteCall>,
}

const WRITE_METHODS: &[&str] = &[
    "create",
    "bulkCreate",
    "build",
    "upsert",
    "findOrCreate",
    "update",
    "updateOne",
    "updateMany",
    "findOneAndUpdate",
    "findByIdAndUpdate",
    "replaceOne",
    "insertMany",
    "insert",
    "set",
    "setAttributes",
    "updateAttributes",
    "assign",
];

/// Decorators that declare a persisted property.
const COLUMN_DECORATORS: &[&str] = &[
    "Column",
    "PrimaryColumn",
    "PrimaryGeneratedColumn",
    "CreateDateColumn",
    "UpdateDateColumn",
    "DeleteDateColumn",
    "VersionColumn",
    "ManyToOne",
    "OneToOne",
    "JoinColumn",
    "Attribute",
    "prop",
    "Prop",
    "Field",
    "Property",
];

fn keys_of(o: &ObjectExpression<'_>) -> Vec<String> {
    o.properties
        .iter()
        .filter_map(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) => p.key.static_name().map(|k| k.to_string()),
            ObjectPropertyKind::SpreadProperty(_) => None,
        })
        .collect()
}

/// Keys written after the last spread of an object literal that has a spread.
fn keys_after_spread(o: &ObjectExpression<'_>) -> Option<Vec<String>> {
    let last = o
        .properties
        .iter()
        .rposition(|p| matches!(p, ObjectPropertyKind::SpreadProperty(_)))?;
    Some(
        o.properties[last + 1..]
            .iter()
            .filter_map(|p| match p {
                ObjectPropertyKind::ObjectProperty(p) => p.key.static_name().map(|k| k.to_string()),
                ObjectPropertyKind::SpreadProperty(_) => None,
            })
            .collect(),
    )
}

/// The object an assignment or `delete` targets, as a name: a plain identifier, or a request
/// path (`ctx.request.body`, `this.ctx.request.body`) written as dotted text.
fn target_name(e: &Expression<'_>) -> Option<String> {
    let p = member_path(e)?;
    if p.len() == 1 {
        return (!matches!(
            p[0].as_str(),
            "exports" | "module" | "this" | "window" | "global"
        ))
        .then(|| p[0].clone());
    }
    let s: Vec<&str> = p.iter().map(String::as_str).collect();
    let s: &[&str] = if s.first() == Some(&"this") {
        &s[1..]
    } else {
        &s
    };
    match s {
        ["ctx", "request", "body"] | ["request", "body"] | ["ctx", "query"] => Some(s.join(".")),
        _ => None,
    }
}

/// Who the logged-in user is, as a member path: `ctx.state.user.id`, `ctx.session.userId`,
/// `ctx.user.id`, `ctx.currentRequestData.userInfo.id`, `this.ctx.session.currentUser._id`.
fn identity_path(p: &[String]) -> bool {
    let s: Vec<String> = p.iter().map(|x| x.to_ascii_lowercase()).collect();
    let start = usize::from(s.first().is_some_and(|x| x == "this"));
    if s.get(start).is_none_or(|x| x != "ctx") {
        return false;
    }
    let rest = &s[start + 1..];
    if matches!(
        rest.first().map(String::as_str),
        Some("request" | "query" | "params" | "queries" | "body")
    ) {
        return false;
    }
    rest.iter()
        .any(|w| w.contains("user") || w == "session" || w == "me" || w == "account" || w == "uid")
        && rest.len() >= 2
}

#[derive(Default)]
struct Frame {
    lines: (u32, u32),
    /// Locals holding the logged-in user or its id.
    identity: Vec<String>,
    /// Locals holding a record read through a model (`const user = await ctx.model.User
    /// .findByPk(id)`), with the model.
    records: HashMap<String, String>,
}

/// The model a call reads through: `ctx.model.User.findByPk(...)` → `User`.
fn model_of_call(e: &Expression<'_>) -> Option<String> {
    let mut e = e.get_inner_expression();
    if let Expression::AwaitExpression(a) = e {
        e = a.argument.get_inner_expression();
    }
    let Expression::CallExpression(c) = e else {
        return None;
    };
    let p = member_path(&c.callee)?;
    let i = p.iter().position(|s| s == "model")?;
    (i + 2 < p.len()).then(|| p[i + 1].clone())
}

struct WriteVisitor<'p, 't> {
    at: &'p Place<'t>,
    frames: Vec<Frame>,
    /// Top-level `const x = { ... }` keys (a schema object shared between models).
    object_consts: HashMap<String, Vec<String>>,
    /// `const XSchema = new Schema({...})`: the schema's columns, by local.
    schemas: HashMap<String, Vec<String>>,
    /// `mongoose.model('Name', XSchema)`: the name and the schema local.
    named: Vec<(String, Option<String>, u32)>,
    /// `target.field` pairs an enclosing `if` tests: an assignment to one of them is a default
    /// (`if (!payload.expires) payload.expires = ...`), not a forced value.
    guards: Vec<Vec<Vec<String>>>,
    out: RecordFacts,
}

/// Every member path in an expression.
fn member_paths(e: &Expression<'_>) -> Vec<Vec<String>> {
    struct P(Vec<Vec<String>>);
    impl<'a> Visit<'a> for P {
        fn visit_expression(&mut self, it: &Expression<'a>) {
            if let Some(p) = member_path(it) {
                self.0.push(p);
            }
            walk::walk_expression(self, it);
        }
    }
    let mut p = P(Vec::new());
    p.visit_expression(e);
    p.0
}

/// Runs the extractor over a parsed file.
pub(crate) fn extract(program: &Program<'_>, at: &Place<'_>, out: &mut SourceFacts) {
    let mut v = WriteVisitor {
        at,
        frames: vec![Frame {
            lines: (1, at.line_col(program.span.end).0),
            ..Frame::default()
        }],
        object_consts: HashMap::new(),
        schemas: HashMap::new(),
        named: Vec::new(),
        guards: Vec::new(),
        out: RecordFacts::default(),
    };
    // top-level object constants first: a schema object may be declared below its use
    for st in &program.body {
        let decl = match st {
            Statement::VariableDeclaration(d) => Some(&**d),
            Statement::ExportDeclaration(e) => match &e.declaration {
                Declaration::VariableDeclaration(d) => Some(&**d),
                _ => None,
            },
            _ => None,
        };
        for d in decl.into_iter().flat_map(|d| d.declarations.iter()) {
            if let (BindingPattern::BindingIdentifier(id), Some(Expression::ObjectExpression(o))) =
                (&d.id, d.init.as_ref().map(|e| e.get_inner_expression()))
            {
                v.object_consts
                    .insert(id.name.as_str().to_owned(), keys_of(o));
            }
        }
    }
    v.visit_program(program);
    let named = std::mem::take(&mut v.named);
    for (name, schema, line) in named {
        let columns = schema
            .and_then(|s| v.schemas.get(&s).cloned())
            .unwrap_or_default();
        v.out.models.push(ModelDef {
            names: vec![name],
            columns,
            line,
        });
    }
    let mut f = v.out;
    f.models.truncate(256);
    f.field_writes.truncate(1024);
    f.calls.truncate(1024);
    f.all_columns.truncate(1024);
    out.records = f;
}

impl WriteVisitor<'_, '_> {
    fn lines(&self) -> (u32, u32) {
        self.frames.last().map_or((0, 0), |f| f.lines)
    }

    fn is_identity(&self, e: &Expression<'_>) -> bool {
        match e.get_inner_expression() {
            Expression::Identifier(i) => self
                .frames
                .last()
                .is_some_and(|f| f.identity.iter().any(|x| x == i.name.as_str())),
            e => member_path(e).is_some_and(|p| identity_path(&p)),
        }
    }

    fn push_columns(&mut self, cols: &[String]) {
        for c in cols {
            if !self.out.all_columns.contains(c) {
                self.out.all_columns.push(c.clone());
            }
        }
    }

    /// Columns of a schema argument: an object literal or a top-level object constant.
    fn schema_columns(&self, e: &Expression<'_>) -> Option<Vec<String>> {
        match e.get_inner_expression() {
            Expression::ObjectExpression(o) => Some(keys_of(o)),
            Expression::Identifier(i) => self.object_consts.get(i.name.as_str()).cloned(),
            _ => None,
        }
    }

    fn field_write(&mut self, target: String, fields: Vec<String>, line: u32) {
        if fields.is_empty() {
            return;
        }
        let function_lines = self.lines();
        self.out.field_writes.push(FieldWrite {
            target,
            fields,
            line,
            function_lines,
        });
    }

    /// Keys of the object-literal sources of `Object.assign(target, ...sources)` after the
    /// first non-literal source (those win over the request's).
    fn assign_forced(args: &[&Expression<'_>]) -> Vec<String> {
        let mut out = Vec::new();
        for a in args.iter().skip(1) {
            match a.get_inner_expression() {
                Expression::ObjectExpression(o) => out.extend(keys_of(o)),
                _ => out.clear(),
            }
        }
        out
    }

    /// `start`: where the call starts (its line is looked up only for what is recorded).
    fn definition_call(&mut self, callee: &[&str], args: &[&Expression<'_>], start: u32) {
        let Some(&method) = callee.last() else {
            return;
        };
        let line = |v: &Self| v.at.line_col(start).0;
        match method {
            // sequelize `define('name', { attrs })`
            "define" if args.len() >= 2 => {
                if let Some(cols) = self.schema_columns(args[1]) {
                    let names = match args[0].get_inner_expression() {
                        Expression::StringLiteral(s) => vec![s.value.as_str().to_owned()],
                        _ => Vec::new(),
                    };
                    self.push_columns(&cols);
                    let line = line(self);
                    self.out.models.push(ModelDef {
                        names,
                        columns: cols,
                        line,
                    });
                }
            }
            // sequelize v6 `User.init({ attrs }, { sequelize })`
            "init" if callee.len() == 2 && !args.is_empty() => {
                if let Expression::ObjectExpression(o) = args[0].get_inner_expression() {
                    let cols = keys_of(o);
                    self.push_columns(&cols);
                    let line = line(self);
                    self.out.models.push(ModelDef {
                        names: vec![callee[0].to_owned()],
                        columns: cols,
                        line,
                    });
                }
            }
            // `schema.add({ paths })`
            "add" if callee.len() == 2 && callee[0].to_ascii_lowercase().contains("schema") => {
                if let Some(cols) = args.first().and_then(|a| self.schema_columns(a)) {
                    self.push_columns(&cols);
                    self.schemas
                        .entry(callee[0].to_owned())
                        .or_default()
                        .extend(cols);
                }
            }
            // mongoose `model('Name', schema)`
            "model" if args.len() >= 2 => {
                if let Expression::StringLiteral(s) = args[0].get_inner_expression() {
                    let schema = match args[1].get_inner_expression() {
                        Expression::Identifier(i) => Some(i.name.as_str().to_owned()),
                        _ => None,
                    };
                    let line = line(self);
                    if let Some(cols) = self.schema_columns(args[1]) {
                        // an inline schema object
                        self.push_columns(&cols);
                        self.out.models.push(ModelDef {
                            names: vec![s.value.as_str().to_owned()],
                            columns: cols,
                            line,
                        });
                    } else {
                        self.named.push((s.value.as_str().to_owned(), schema, line));
                    }
                }
            }
            _ => {}
        }
    }
}

fn args_of<'e, 'a>(args: &'e [Argument<'a>]) -> Vec<&'e Expression<'a>> {
    args.iter().filter_map(|a| a.as_expression()).collect()
}

fn decorator_name(d: &Decorator<'_>) -> Option<String> {
    let callee = match &d.expression {
        Expression::CallExpression(c) => &c.callee,
        e => e,
    };
    member_path(callee).and_then(|p| p.last().cloned())
}

impl<'a> Visit<'a> for WriteVisitor<'_, '_> {
    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        let lines = (
            self.at.line_col(it.span.start).0,
            self.at.line_col(it.span.end).0,
        );
        self.frames.push(Frame {
            lines,
            ..Frame::default()
        });
        walk::walk_function(self, it, flags);
        self.frames.pop();
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        let lines = (
            self.at.line_col(it.span.start).0,
            self.at.line_col(it.span.end).0,
        );
        self.frames.push(Frame {
            lines,
            ..Frame::default()
        });
        walk::walk_arrow_function_expression(self, it);
        self.frames.pop();
    }

    fn visit_class(&mut self, it: &Class<'a>) {
        let name = it.id.as_ref().map(|i| i.name.as_str().to_owned());
        let mut names: Vec<String> = name.into_iter().collect();
        // typeorm `@Entity('users')`
        for d in &it.decorators {
            if let Expression::CallExpression(c) = &d.expression {
                if decorator_name(d).as_deref() == Some("Entity") {
                    if let Some(Expression::StringLiteral(s)) =
                        c.arguments.first().and_then(|a| a.as_expression())
                    {
                        names.push(s.value.as_str().to_owned());
                    }
                }
            }
        }
        let mut cols = Vec::new();
        for el in &it.body.body {
            let ClassElement::PropertyDefinition(p) = el else {
                continue;
            };
            let Some(key) = p.key.static_name() else {
                continue;
            };
            // leoric `static attributes = { ... }`
            if p.r#static && (key == "attributes" || key == "schema") {
                if let Some(Expression::ObjectExpression(o)) =
                    p.value.as_ref().map(|v| v.get_inner_expression())
                {
                    cols.extend(keys_of(o));
                }
                continue;
            }
            if !p.r#static
                && p.decorators.iter().any(|d| {
                    decorator_name(d).is_some_and(|n| COLUMN_DECORATORS.contains(&n.as_str()))
                })
            {
                cols.push(key.to_string());
            }
        }
        if !cols.is_empty() {
            let line = self.at.line_col(it.span.start).0;
            self.push_columns(&cols);
            self.out.models.push(ModelDef {
                names,
                columns: cols,
                line,
            });
        }
        walk::walk_class(self, it);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&it.id, &it.init) {
            let name = id.name.as_str().to_owned();
            let line = self.at.line_col(it.span.start).0;
            match init.get_inner_expression() {
                // `const data = { ...body, userId: me }`
                Expression::ObjectExpression(o) => {
                    if let Some(keys) = keys_after_spread(o) {
                        self.field_write(name, keys, line);
                    }
                }
                // `const XSchema = new Schema({...})`
                Expression::NewExpression(n) => {
                    let is_schema = member_path(&n.callee)
                        .is_some_and(|p| p.last().is_some_and(|l| l == "Schema"));
                    if is_schema {
                        let args = args_of(&n.arguments);
                        if let Some(cols) = args.first().and_then(|a| self.schema_columns(a)) {
                            self.schemas.insert(name.clone(), cols);
                        }
                    }
                }
                // `const data = Object.assign({}, body, { userId: me })`
                Expression::CallExpression(c) => {
                    let callee = member_path(&c.callee).unwrap_or_default();
                    let args = args_of(&c.arguments);
                    if callee
                        .last()
                        .is_some_and(|m| m == "assign" || m == "extend")
                        && args.len() >= 2
                    {
                        let forced = Self::assign_forced(&args);
                        self.field_write(name.clone(), forced, line);
                    }
                    if callee.last().is_some_and(|l| l == "Schema") {
                        if let Some(cols) = args.first().and_then(|a| self.schema_columns(a)) {
                            self.schemas.insert(name.clone(), cols);
                        }
                    }
                }
                e if model_of_call(e).is_some() => {
                    if let (Some(m), Some(f)) = (model_of_call(e), self.frames.last_mut()) {
                        f.records.insert(name, m);
                    }
                }
                e if self.is_identity(e) => {
                    if let Some(f) = self.frames.last_mut() {
                        f.identity.push(name);
                    }
                }
                _ => {}
            }
        }
        // `const { id, status, ...data } = body`: `data` is the body without the keys taken
        // out before the rest
        if let (BindingPattern::ObjectPattern(o), Some(_)) = (&it.id, &it.init) {
            if let Some(BindingPattern::BindingIdentifier(rest)) =
                o.rest.as_ref().map(|r| &r.argument)
            {
                let removed: Vec<String> = o
                    .properties
                    .iter()
                    .filter_map(|p| p.key.static_name().map(|k| k.to_string()))
                    .collect();
                let line = self.at.line_col(it.span.start).0;
                self.field_write(rest.name.as_str().to_owned(), removed, line);
            }
        }
        // `const { id: userId } = ctx.state.user`
        if let (BindingPattern::ObjectPattern(_), Some(init)) = (&it.id, &it.init) {
            if self.is_identity(init) {
                let mut bound = Vec::new();
                crate::mistakes::binding_names(&it.id, &mut bound);
                if let Some(f) = self.frames.last_mut() {
                    f.identity.extend(bound);
                }
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        self.visit_expression(&it.test);
        self.guards.push(member_paths(&it.test));
        self.visit_statement(&it.consequent);
        if let Some(alt) = &it.alternate {
            self.visit_statement(alt);
        }
        self.guards.pop();
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if it.operator == AssignmentOperator::Assign {
            if let AssignmentTarget::StaticMemberExpression(m) = &it.left {
                // (the record first: the value is searched only for a write to one)
                if let Some(t) = target_name(&m.object) {
                    let own = member_path(&m.object).map(|mut p| {
                        p.push(m.property.name.as_str().to_owned());
                        p
                    });
                    // a default for a missing value, or the value itself reworked
                    let default = own.as_ref().is_some_and(|own| {
                        self.guards.iter().flatten().any(|g| g == own)
                            || member_paths(&it.right).iter().any(|g| g == own)
                    });
                    if !default {
                        let line = self.at.line_col(it.span.start).0;
                        self.field_write(t, vec![m.property.name.as_str().to_owned()], line);
                    }
                }
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_unary_expression(&mut self, it: &UnaryExpression<'a>) {
        if it.operator == UnaryOperator::Delete {
            if let Expression::StaticMemberExpression(m) = it.argument.get_inner_expression() {
                if let Some(t) = target_name(&m.object) {
                    let line = self.at.line_col(it.span.start).0;
                    self.field_write(t, vec![m.property.name.as_str().to_owned()], line);
                }
            }
        }
        walk::walk_unary_expression(self, it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        let callee = member_path(&it.callee).unwrap_or_default();
        let args = args_of(&it.arguments);
        if callee.last().is_some_and(|l| l == "Schema") {
            if let Some(cols) = args.first().and_then(|a| self.schema_columns(a)) {
                self.push_columns(&cols);
            }
        } else if let Some(first) = args.first() {
            // `new ctx.model.Post({ ...body, author: me })`
            let (line, column) = self.at.line_col(it.span.start);
            let forced = match first.get_inner_expression() {
                Expression::ObjectExpression(o) => keys_after_spread(o).unwrap_or_default(),
                _ => Vec::new(),
            };
            if !callee.is_empty() {
                self.out.calls.push(WriteCall {
                    line,
                    column,
                    forced,
                    scoped: Vec::new(),
                    table: None,
                    model: None,
                });
            }
        }
        walk::walk_new_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        // borrowed from the AST: this runs for every call of every file
        let callee = member_path_ref(&it.callee);
        let args = args_of(&it.arguments);
        // the call's line, looked up only for what is recorded
        let start = it.span.start;
        if let Some(callee) = &callee {
            self.definition_call(callee, &args, start);
            if callee.last().is_some_and(|l| *l == "Schema") {
                if let Some(cols) = args.first().and_then(|a| self.schema_columns(a)) {
                    self.push_columns(&cols);
                }
            }
            // `Object.assign(payload, { userId: me })`
            if callee.len() == 2
                && callee[1] == "assign"
                && (callee[0] == "Object" || callee[0] == "_")
                && args.len() >= 2
            {
                if let Some(t) = target_name(args[0]) {
                    let forced = Self::assign_forced(&args);
                    if !forced.is_empty() {
                        let line = self.at.line_col(start).0;
                        self.field_write(t, forced, line);
                    }
                }
            }
        }
        // `ctx.service.note.add({ ...body, userId: me })`: keys after the spread of an argument
        // are forced for whatever the callee writes
        for a in &args {
            if let Expression::ObjectExpression(o) = a.get_inner_expression() {
                if let Some(keys) = keys_after_spread(o).filter(|k| !k.is_empty()) {
                    let line = self.at.line_col(start).0;
                    self.field_write(ARGUMENT.to_string(), keys, line);
                }
            }
        }
        let method = match it.callee.get_inner_expression() {
            Expression::StaticMemberExpression(m) => Some(m.property.name.as_str()),
            _ => None,
        };
        if method.is_some_and(|m| WRITE_METHODS.contains(&m)) {
            let (line, column) = self.at.line_col(start);
            let mut forced = Vec::new();
            let mut scoped = Vec::new();
            let filter_first = matches!(
                method,
                Some("update" | "updateOne" | "updateMany" | "findOneAndUpdate" | "replaceOne")
            ) && args.len() >= 2;
            for (i, a) in args.iter().enumerate() {
                let Expression::ObjectExpression(o) = a.get_inner_expression() else {
                    continue;
                };
                let spread = keys_after_spread(o);
                // the filter: mongoose's first argument of an update (not a data object with
                // a spread), or a `{ where }` anywhere
                let is_filter = i == 0 && filter_first && spread.is_none();
                if let Some(k) = spread {
                    forced.extend(k);
                }
                let mut stack = vec![(o, is_filter)];
                while let Some((o, filter)) = stack.pop() {
                    for p in &o.properties {
                        let ObjectPropertyKind::ObjectProperty(p) = p else {
                            continue;
                        };
                        let Some(k) = p.key.static_name() else {
                            continue;
                        };
                        match p.value.get_inner_expression() {
                            Expression::ObjectExpression(inner) if k == "where" => {
                                stack.push((inner, true))
                            }
                            v if filter && self.is_identity(v) => scoped.push(k.to_string()),
                            _ => {}
                        }
                    }
                }
            }
            let table = match args.first().map(|a| a.get_inner_expression()) {
                Some(Expression::StringLiteral(s)) => Some(s.value.as_str().to_owned()),
                _ => None,
            };
            // the record written: the receiver (`user.update`), or `Object.assign`'s target
            let record: Option<Vec<String>> = match callee.as_deref() {
                Some([o, m]) if (*o == "Object" || *o == "_") && *m == "assign" => {
                    args.first().and_then(|a| member_path(a))
                }
                Some([init @ .., _]) => Some(init.iter().map(|s| (*s).to_owned()).collect()),
                _ => None,
            };
            let model = record.and_then(|r| {
                let f = self.frames.last()?;
                match r.as_slice() {
                    [x] => f.records.get(x).cloned(),
                    [t, x] if t == "this" => f.records.get(x).cloned(),
                    _ => None,
                }
            });
            self.out.calls.push(WriteCall {
                line,
                column,
                forced,
                scoped,
                table,
                model,
            });
        }
        walk::walk_call_expression(self, it);
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::source_facts_from;
    use std::path::Path;

    fn facts(path: &str, src: &str) -> super::RecordFacts {
        source_facts_from(Path::new(path), src).unwrap().records
    }

    #[test]
    fn sequelize_mongoose_leoric_typeorm_columns() {
        let f = facts(
            "/a/app/model/user.js",
            "module.exports = app => { const { STRING } = app.Sequelize; return app.model.define('user', { name: STRING, is_admin: STRING }); };",
        );
        assert_eq!(f.models[0].names, ["user"]);
        assert_eq!(f.models[0].columns, ["name", "is_admin"]);
        let f = facts(
            "/a/app/model/post.js",
            "module.exports = app => { const mongoose = app.mongoose; const PostSchema = new mongoose.Schema({ title: String, author: { type: String } }); PostSchema.add({ top: Boolean }); return mongoose.model('Post', PostSchema); };",
        );
        assert_eq!(f.models[0].names, ["Post"]);
        assert_eq!(f.models[0].columns, ["title", "author", "top"]);
        // a shared schema object
        let f = facts(
            "/a/app/model/image.ts",
            "import { Schema } from 'mongoose';\nexport const base = { title: { type: String }, show: Boolean };\nexport default (t) => new Schema(base, { timestamps: t });",
        );
        assert_eq!(f.all_columns, ["title", "show"]);
        let f = facts(
            "/a/app/model/post.js",
            "module.exports = app => { const { Bone } = app.model; class Post extends Bone { static attributes = { title: 1, authorId: 2 } } return Post; };",
        );
        assert_eq!(f.models[0].names, ["Post"]);
        assert_eq!(f.models[0].columns, ["title", "authorId"]);
        let f = facts(
            "/a/app/entity/user.ts",
            "@Entity('users') export class User { @PrimaryGeneratedColumn() id: number; @Column() role: string; helper = 1; }",
        );
        assert_eq!(f.models[0].names, ["User", "users"]);
        assert_eq!(f.models[0].columns, ["id", "role"]);
    }

    #[test]
    fn forced_fields_and_scoped_writes() {
        let f = facts(
            "/a/app/service/x.js",
            "class S { async create(payload) {\n payload.user_id = this.ctx.state.user.id;\n delete payload.role;\n const d = { ...payload, owner: 1 };\n const e = { owner: 1, ...payload };\n Object.assign(payload, { org: 2 });\n return this.ctx.model.Post.create({ ...payload, creator: 3 });\n }\n async update(p) { return this.ctx.model.Post.update(p, { where: { id: p.id, manager_id: this.ctx.user.id } }); } }",
        );
        let w: Vec<(&str, Vec<&str>, u32)> = f
            .field_writes
            .iter()
            .map(|w| {
                (
                    w.target.as_str(),
                    w.fields.iter().map(String::as_str).collect(),
                    w.line,
                )
            })
            .collect();
        assert_eq!(
            w,
            [
                ("payload", vec!["user_id"], 2),
                ("payload", vec!["role"], 3),
                ("d", vec!["owner"], 4),
                ("e", vec![], 5),
                ("payload", vec!["org"], 6),
                (super::ARGUMENT, vec!["creator"], 7),
            ]
            .into_iter()
            .filter(|x| !x.1.is_empty())
            .collect::<Vec<_>>()
        );
        assert_eq!(f.field_writes[0].function_lines, (1, 8));
        // defaults are not forced values
        let g = facts(
            "/a/app/service/x.js",
            "async function c(p) { if (!p.expires) { p.expires = 1; } p.top = p.top || false; p.uid = 2; }",
        );
        let w: Vec<&str> = g
            .field_writes
            .iter()
            .flat_map(|w| w.fields.iter().map(String::as_str))
            .collect();
        assert_eq!(w, ["uid"]);
        // keys taken out before a rest (jseer's `const { id, status, ...data } = user`)
        let h = facts(
            "/a/app/service/x.js",
            "async function u(user) { const { id, status, needCheck, ...data } = user; const { title } = user; return this.ctx.model.Api.update(data, { where: { id } }); }",
        );
        let w: Vec<(&str, Vec<&str>)> = h
            .field_writes
            .iter()
            .map(|w| {
                (
                    w.target.as_str(),
                    w.fields.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(w, [("data", vec!["id", "status", "needCheck"])]);
        let create = f.calls.iter().find(|c| c.line == 7).unwrap();
        assert_eq!(create.forced, ["creator"]);
        let update = f.calls.iter().find(|c| c.line == 9).unwrap();
        assert_eq!(update.scoped, ["manager_id"]);
        // the data of a create is not a filter
        let g = facts(
            "/a/app/service/x.js",
            "async function c(ctx) { await ctx.model.Note.create({ userId: ctx.user.id, ...ctx.request.body }); await ctx.model.Note.updateOne({ _id: 1, userId: ctx.user.id }, ctx.request.body); }",
        );
        let scoped: Vec<usize> = g.calls.iter().map(|c| c.scoped.len()).collect();
        assert_eq!(scoped, [0, 1]);
        let f = facts(
            "/a/app/controller/x.js",
            "exports.a = async ctx => { ctx.request.body.status = 1; await ctx.app.mysql.insert('users', ctx.request.body); };",
        );
        assert_eq!(f.field_writes[0].target, "ctx.request.body");
        assert_eq!(f.calls[0].table.as_deref(), Some("users"));
        let f = facts(
            "/a/app/controller/x.js",
            "exports.a = async ctx => {\n const u = await ctx.model.User.findByPk(1);\n await u.update(ctx.request.body);\n Object.assign(u, ctx.request.body);\n};",
        );
        let models: Vec<(u32, Option<&str>)> = f
            .calls
            .iter()
            .map(|c| (c.line, c.model.as_deref()))
            .collect();
        assert_eq!(models, [(3, Some("User")), (4, Some("User"))]);
    }
}
