//! Record ownership (issue 12 class 6, broken object-level authorisation): which model calls
//! fetch, update or delete a record by an id from the request (or from a parameter, in a
//! service), whether their filter carries an owner or tenant condition (`userId`, `owner`,
//! `orgUuid`, or a value that is the logged-in user), and whether the function knows the
//! logged-in user or compares something with it. The rule compares sibling functions of the
//! same file on the same model: when some filter by the user and one does not, that one is
//! the likely IDOR.
//!
//! Also: a request object spread or assigned *over* a server-set owner field
//! (`{ orgUuid, ...ctx.query }`, `Object.assign(where, ctx.query)` after `where.userId = ...`):
//! the request then chooses the tenant.

use crate::facts::{Place, SourceFacts};
use crate::mistakes::binding_names;
use crate::namer::Namer;
use crate::routes::{member_path, member_path_ref, MemberPath};
use foldhash::HashSet;
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::syntax::scope::ScopeFlags;

/// Where an id comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdSource {
    /// `ctx.params.id`, `ctx.query.id`, a body field, a local read from them.
    Request,
    /// A parameter of the function (a service method called with the request's id).
    Param,
}

/// What kind of ownership fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessKind {
    /// A model call whose filter has an owner or tenant condition.
    Owned,
    /// A model call that selects a record by an id (from the request or a parameter) with no
    /// owner or tenant condition.
    ById(IdSource),
    /// Request data spread or assigned over an object that already has an owner field.
    OwnerOverridden,
}

/// One ownership fact.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RecordAccess {
    pub kind: AccessKind,
    /// The model (`Topic` of `ctx.model.Topic.findOne`, `ShippingModel` of
    /// `this.ShippingModel.destroy`); empty for [`AccessKind::OwnerOverridden`].
    pub model: String,
    /// The model method (`findOne`, `destroy`, `findByIdAndUpdate`).
    pub method: String,
    pub function: String,
    pub class: Option<String>,
    pub line: u32,
    pub column: u32,
    /// The code, shortened.
    pub what: String,
    /// The function reads who the logged-in user is.
    pub knows_user: bool,
    /// The function compares a value with the logged-in user (an ownership check after the
    /// fetch: `if (topic.author_id !== ctx.user.id) ctx.throw(403)`).
    pub compares_user: bool,
}

/// Model methods that read, change or delete records.
const ACCESS_METHODS: &[&str] = &[
    "findOne",
    "findByPk",
    "findById",
    "findAll",
    "find",
    "update",
    "updateOne",
    "updateMany",
    "destroy",
    "remove",
    "deleteOne",
    "deleteMany",
    "findOneAndUpdate",
    "findOneAndDelete",
    "findOneAndRemove",
    "findByIdAndUpdate",
    "findByIdAndDelete",
    "findByIdAndRemove",
];

/// Methods whose first argument is the id itself.
const BY_ID_METHODS: &[&str] = &[
    "findByPk",
    "findById",
    "findByIdAndUpdate",
    "findByIdAndDelete",
    "findByIdAndRemove",
];

/// `key` lower-cased (ASCII) without `_` and `-`, as bytes on the stack: these run for every
/// object key and member the pass reads, and every word they are compared with is ASCII.
fn norm(key: &str) -> smallvec::SmallVec<[u8; 64]> {
    key.bytes()
        .filter(|b| !matches!(b, b'_' | b'-'))
        .map(|b| b.to_ascii_lowercase())
        .collect()
}

/// A filter key that names the owner or tenant of a record (`userId`, `user_id`, `owner`,
/// `authorId`, `creator`, `tenantId`, `orgUuid`).
pub fn is_owner_key(key: &str) -> bool {
    let k = norm(key);
    let k = k.as_slice();
    // every word below ends in `d`, `r`, `y` or `t` (this runs for every key the pass reads)
    if !matches!(k.last(), Some(b'd' | b'r' | b'y' | b't')) {
        return false;
    }
    k == b"user"
        || k == b"uid"
        || [
            "userid",
            "useruuid",
            "owner",
            "ownerid",
            "author",
            "authorid",
            "creator",
            "creatorid",
            "createdby",
            "createby",
            "tenant",
            "tenantid",
            "tenantuuid",
            "orgid",
            "orguuid",
            "organizationid",
            "accountid",
            "memberid",
        ]
        .iter()
        .any(|w| k == w.as_bytes() || (k.ends_with(w.as_bytes()) && w.len() >= 5))
}

fn is_id_key(key: &str) -> bool {
    let k = norm(key);
    !is_owner_key(key) && k.ends_with(b"id")
}

/// `ctx.query`, `ctx.params`, `ctx.request.body` (through `this.ctx`).
fn request_path<S: AsRef<str>>(p: &[S]) -> bool {
    let s: Vec<&str> = p.iter().map(AsRef::as_ref).collect();
    let s: &[&str] = if s.len() >= 2 && s[0] == "this" && s[1] == "ctx" {
        &s[1..]
    } else {
        &s
    };
    matches!(
        s,
        ["ctx", "query" | "queries" | "params", ..]
            | ["ctx", "request", "body" | "query" | "queries", ..]
    )
}

/// Who the logged-in user is: `ctx.state.user`, `ctx.session.userId`, `ctx.user`,
/// `this.session.currentUser`, `ctx.state.userId`.
fn identity_path<S: AsRef<str>>(p: &[S]) -> bool {
    let mut s: &[S] = p;
    let rooted = s
        .first()
        .is_some_and(|x| x.as_ref() == "this" || x.as_ref() == "ctx");
    if s.first().is_some_and(|x| x.as_ref() == "this") {
        s = &s[1..];
    }
    if s.first().is_some_and(|x| x.as_ref() == "ctx") {
        s = &s[1..];
    }
    if !rooted {
        return false;
    }
    let user_word = |w: &str| {
        let w = norm(w);
        [
            "user", "uid", "account", "member", "login", "operator", "current",
        ]
        .iter()
        .any(|u| memchr::memmem::find(&w, u.as_bytes()).is_some())
    };
    match s {
        [first, rest @ ..] if matches!(first.as_ref(), "session" | "state" | "locals") => {
            rest.first().is_some_and(|w| user_word(w.as_ref()))
        }
        [first, ..] => matches!(
            norm(first.as_ref()).as_slice(),
            b"user" | b"currentuser" | b"userinfo" | b"loginuser" | b"authuser"
        ),
        [] => false,
    }
}

/// Identifiers and member chains an expression reads (borrowed from the AST).
#[derive(Default)]
struct Refs<'a> {
    idents: Vec<&'a str>,
    paths: Vec<MemberPath<'a>>,
}

impl<'a> Visit<'a> for Refs<'a> {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.idents.push(it.name.as_str());
    }
    fn visit_expression(&mut self, it: &Expression<'a>) {
        if matches!(
            it.get_inner_expression(),
            Expression::StaticMemberExpression(_) | Expression::ComputedMemberExpression(_)
        ) {
            if let Some(p) = member_path_ref(it) {
                self.paths.push(p);
            }
        }
        walk::walk_expression(self, it);
    }
    fn visit_function(&mut self, _: &Function<'a>, _: ScopeFlags) {}
    fn visit_arrow_function_expression(&mut self, _: &ArrowFunctionExpression<'a>) {}
}

fn refs<'a>(e: &Expression<'a>) -> Refs<'a> {
    let mut r = Refs::default();
    r.visit_expression(e);
    r
}

#[derive(Default)]
struct Frame {
    name: String,
    class: Option<String>,
    request: HashSet<String>,
    params: HashSet<String>,
    identity: HashSet<String>,
    /// Locals holding an object with an owner field (`const where = { userId }`).
    owner_objects: HashSet<String>,
    knows_user: bool,
    compares_user: bool,
    out: Vec<RecordAccess>,
}

struct OwnVisitor<'p, 't> {
    at: &'p Place<'t>,
    frames: Vec<Frame>,
    namer: Namer,
    out: Vec<RecordAccess>,
}

/// Runs the extractor over a parsed file.
pub(crate) fn extract(program: &Program<'_>, at: &Place<'_>, out: &mut SourceFacts) {
    let mut v = OwnVisitor {
        at,
        frames: vec![Frame {
            name: "<module>".into(),
            ..Frame::default()
        }],
        namer: Namer::default(),
        out: Vec::new(),
    };
    v.visit_program(program);
    while let Some(f) = v.frames.pop() {
        v.out.extend(f.out);
    }
    v.out.truncate(256);
    out.ownership = v.out;
}

/// A spread whose keys the code writes (`...(title && { title: { $regex: title } })`): the
/// request chooses values, not keys, so it cannot override an owner field.
fn literal_keys(e: &Expression<'_>) -> bool {
    match e.get_inner_expression() {
        Expression::ObjectExpression(o) => o.properties.iter().all(|p| {
            matches!(p, ObjectPropertyKind::ObjectProperty(p) if p.key.static_name().is_some_and(|k| !is_owner_key(&k)))
        }),
        Expression::LogicalExpression(l) => literal_keys(&l.right),
        Expression::ConditionalExpression(c) => {
            literal_keys(&c.consequent) && literal_keys(&c.alternate)
        }
        Expression::NullLiteral(_) | Expression::BooleanLiteral(_) => true,
        Expression::Identifier(i) => i.name == "undefined",
        _ => false,
    }
}

/// The model a call's receiver names: `ctx.model.Topic` → `Topic`, `this.ShippingModel` →
/// `ShippingModel`, `User` → `User`.
fn model_of(receiver: &[&str]) -> Option<String> {
    if let Some(i) = receiver.iter().position(|s| *s == "model") {
        return receiver.get(i + 1).map(|s| (*s).to_owned());
    }
    let last = *receiver.last()?;
    let short = receiver.len() == 1 || (receiver.len() == 2 && receiver[0] == "this");
    let capital = last.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    (short && (last.ends_with("Model") || (capital && last != "Object" && last != "Promise")))
        .then(|| last.to_owned())
}

/// `(key, value)` pairs of a filter object, through `where`, `$and`/`$or` arrays and computed
/// operator keys.
fn filter_pairs<'e, 'a>(e: &'e Expression<'a>, out: &mut Vec<(String, &'e Expression<'a>)>) {
    match e.get_inner_expression() {
        Expression::ObjectExpression(o) => {
            for p in &o.properties {
                let ObjectPropertyKind::ObjectProperty(p) = p else {
                    continue;
                };
                let key = p.key.static_name().map(|k| k.to_string());
                let nested = matches!(
                    p.value.get_inner_expression(),
                    Expression::ObjectExpression(_) | Expression::ArrayExpression(_)
                );
                match key {
                    Some(k) if k == "where" || (k.starts_with('$') && nested) => {
                        filter_pairs(&p.value, out)
                    }
                    Some(k) => out.push((k, &p.value)),
                    None if nested => filter_pairs(&p.value, out),
                    None => {}
                }
            }
        }
        Expression::ArrayExpression(a) => {
            for el in &a.elements {
                if let Some(x) = el.as_expression() {
                    filter_pairs(x, out);
                }
            }
        }
        _ => {}
    }
}

impl OwnVisitor<'_, '_> {
    fn frame(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("module frame")
    }

    fn source_of(&self, e: &Expression<'_>) -> Option<IdSource> {
        let f = self.frames.last()?;
        let r = refs(e);
        if r.paths.iter().any(|p| request_path(p))
            || r.idents.iter().any(|i| f.request.contains(*i))
        {
            return Some(IdSource::Request);
        }
        if r.idents.iter().any(|i| f.params.contains(*i)) {
            return Some(IdSource::Param);
        }
        None
    }

    fn is_identity(&self, e: &Expression<'_>) -> bool {
        let Some(f) = self.frames.last() else {
            return false;
        };
        let r = refs(e);
        r.paths.iter().any(|p| identity_path(p)) || r.idents.iter().any(|i| f.identity.contains(*i))
    }

    fn record(&mut self, kind: AccessKind, model: String, method: String, span: oxc::span::Span) {
        let (line, column) = self.at.line_col(span.start);
        let what = self.at.snippet(span.start, span.end);
        let f = self.frame();
        if f.out.len() < 64 {
            let (function, class) = (f.name.clone(), f.class.clone());
            f.out.push(RecordAccess {
                kind,
                model,
                method,
                function,
                class,
                line,
                column,
                what,
                knows_user: false,
                compares_user: false,
            });
        }
    }

    fn enter(&mut self, start: u32, params: &FormalParameters<'_>) {
        let name = self.namer.name_at(start);
        let (mut ps, mut req) = (Vec::new(), Vec::new());
        for p in &params.items {
            // tegg `@HTTPParam() id`, `@HTTPQuery() q`, `@HTTPBody() body`: request data
            let from_request = p.decorators.iter().any(|d| {
                let callee = match &d.expression {
                    Expression::CallExpression(c) => &c.callee,
                    e => e,
                };
                member_path(callee)
                    .and_then(|p| p.last().cloned())
                    .is_some_and(|n| n.starts_with("HTTP") && n != "HTTPController")
            });
            binding_names(&p.pattern, if from_request { &mut req } else { &mut ps });
        }
        // egg's `async show(ctx)` style handlers get `ctx`, not data
        ps.retain(|p| p != "ctx" && p != "next" && p != "app");
        self.frames.push(Frame {
            name,
            class: self.namer.class(),
            params: ps.into_iter().collect(),
            request: req.into_iter().collect(),
            ..Frame::default()
        });
    }

    fn leave(&mut self) {
        let Some(mut f) = self.frames.pop() else {
            return;
        };
        for a in &mut f.out {
            a.knows_user = f.knows_user;
            a.compares_user = f.compares_user;
        }
        self.out.extend(f.out);
    }

    fn model_call(&mut self, it: &CallExpression<'_>) {
        // borrowed from the AST: this runs for every call
        let Some(p) = member_path_ref(&it.callee) else {
            return;
        };
        let [receiver @ .., method] = p.as_slice() else {
            return;
        };
        let method = *method;
        if !ACCESS_METHODS.contains(&method) {
            return;
        }
        let Some(model) = model_of(receiver) else {
            return;
        };
        let args: Vec<&Expression<'_>> = it
            .arguments
            .iter()
            .filter_map(|a| a.as_expression())
            .collect();
        let Some(first) = args.first() else {
            return;
        };
        if BY_ID_METHODS.contains(&method) {
            if let Some(src) = self.source_of(first) {
                self.record(AccessKind::ById(src), model, method.to_owned(), it.span);
            }
            return;
        }
        // sequelize `update(values, { where })`: the filter is the second argument
        let filter = if method == "update" && args.len() >= 2 {
            args[1]
        } else {
            *first
        };
        let mut pairs = Vec::new();
        filter_pairs(filter, &mut pairs);
        if pairs.is_empty() {
            return;
        }
        let owned = pairs
            .iter()
            .any(|(k, v)| is_owner_key(k) || self.is_identity(v));
        if owned {
            self.record(AccessKind::Owned, model, method.to_owned(), it.span);
            return;
        }
        let by_id = pairs
            .iter()
            .filter(|(k, _)| is_id_key(k))
            .find_map(|(_, v)| self.source_of(v));
        if let Some(src) = by_id {
            self.record(AccessKind::ById(src), model, method.to_owned(), it.span);
        }
    }

    /// An object literal with an owner field, or a local holding one.
    fn owner_object(&self, e: &Expression<'_>) -> bool {
        match e.get_inner_expression() {
            Expression::ObjectExpression(o) => o.properties.iter().any(|p| {
                matches!(p, ObjectPropertyKind::ObjectProperty(p)
                    if p.key.static_name().is_some_and(|k| is_owner_key(&k)))
            }),
            Expression::Identifier(i) => self
                .frames
                .last()
                .is_some_and(|f| f.owner_objects.contains(i.name.as_str())),
            _ => false,
        }
    }
}

impl<'a> Visit<'a> for OwnVisitor<'_, '_> {
    fn visit_class(&mut self, it: &Class<'a>) {
        self.namer.enter_class(it);
        walk::walk_class(self, it);
        self.namer.leave_class();
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        self.namer.method(it);
        walk::walk_method_definition(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        self.namer.property(it);
        walk::walk_object_property(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, _flags: ScopeFlags) {
        self.namer.function(it);
        self.enter(it.span.start, &it.params);
        if let Some(body) = &it.body {
            self.visit_function_body(body);
        }
        self.leave();
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        self.enter(it.span.start, &it.params);
        self.visit_arrow_function_body(&it.body);
        self.leave();
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        self.namer.declarator(it);
        if let Some(init) = &it.init {
            let mut bound = Vec::new();
            binding_names(&it.id, &mut bound);
            let request = self.source_of(init) == Some(IdSource::Request);
            let param = self.source_of(init) == Some(IdSource::Param);
            let identity = self.is_identity(init);
            let owner_obj = self.owner_object(init);
            let f = self.frame();
            if identity {
                f.knows_user = true;
                f.identity.extend(bound.iter().cloned());
            } else if request {
                f.request.extend(bound.iter().cloned());
            } else if param {
                f.params.extend(bound.iter().cloned());
            }
            if owner_obj {
                if let BindingPattern::BindingIdentifier(id) = &it.id {
                    f.owner_objects.insert(id.name.as_str().to_owned());
                }
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        // where.userId = ctx.state.user.id
        if let AssignmentTarget::StaticMemberExpression(m) = &it.left {
            if is_owner_key(&m.property.name) {
                if let Expression::Identifier(obj) = m.object.get_inner_expression() {
                    let name = obj.name.as_str().to_owned();
                    self.frame().owner_objects.insert(name);
                }
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_expression(&mut self, it: &Expression<'a>) {
        if matches!(
            it.get_inner_expression(),
            Expression::StaticMemberExpression(_) | Expression::ComputedMemberExpression(_)
        ) && member_path_ref(it).is_some_and(|p| identity_path(&p))
        {
            self.frame().knows_user = true;
        }
        walk::walk_expression(self, it);
    }

    fn visit_binary_expression(&mut self, it: &BinaryExpression<'a>) {
        if matches!(
            it.operator,
            BinaryOperator::StrictEquality
                | BinaryOperator::StrictInequality
                | BinaryOperator::Equality
                | BinaryOperator::Inequality
        ) && (self.is_identity(&it.left) || self.is_identity(&it.right))
        {
            self.frame().compares_user = true;
        }
        walk::walk_binary_expression(self, it);
    }

    fn visit_object_expression(&mut self, it: &ObjectExpression<'a>) {
        // { orgUuid, ...ctx.query }: the request's fields win over the owner field
        let mut owner_seen = false;
        for p in &it.properties {
            match p {
                ObjectPropertyKind::ObjectProperty(p) => {
                    if p.key.static_name().is_some_and(|k| is_owner_key(&k)) {
                        owner_seen = true;
                    }
                }
                ObjectPropertyKind::SpreadProperty(s) => {
                    if owner_seen
                        && !literal_keys(&s.argument)
                        && self.source_of(&s.argument) == Some(IdSource::Request)
                    {
                        self.record(
                            AccessKind::OwnerOverridden,
                            String::new(),
                            "spread".into(),
                            it.span,
                        );
                        break;
                    }
                }
            }
        }
        walk::walk_object_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        self.model_call(it);
        // Object.assign(where, ctx.query) after where.userId = ...
        if member_path_ref(&it.callee).is_some_and(|p| p.as_slice() == ["Object", "assign"]) {
            let args: Vec<&Expression<'_>> = it
                .arguments
                .iter()
                .filter_map(|a| a.as_expression())
                .collect();
            if let Some((target, rest)) = args.split_first() {
                let mut owner = self.owner_object(target);
                for a in rest {
                    if owner && self.source_of(a) == Some(IdSource::Request) {
                        self.record(
                            AccessKind::OwnerOverridden,
                            String::new(),
                            "Object.assign".into(),
                            it.span,
                        );
                        break;
                    }
                    owner |= self.owner_object(a);
                }
            }
        }
        walk::walk_call_expression(self, it);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::source_facts_from;
    use std::path::Path;

    fn facts(src: &str) -> Vec<RecordAccess> {
        source_facts_from(Path::new("/app/app/service/x.js"), src)
            .unwrap()
            .ownership
    }

    #[test]
    fn owned_and_by_id_accesses() {
        let f = facts(
            "class S { async mine(id) { const { id: userId } = this.ctx.session.currentUser; return this.ctx.model.Address.findOne({ where: { id, userId } }); }\n async any(id) { const user = this.ctx.state.user; return this.ctx.model.Address.destroy({ where: { id } }); }\n async show() { return this.ctx.model.Address.findByPk(this.ctx.params.id); } }",
        );
        let kinds: Vec<(AccessKind, &str, bool)> = f
            .iter()
            .map(|a| (a.kind, a.function.as_str(), a.knows_user))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (AccessKind::Owned, "mine", true),
                (AccessKind::ById(IdSource::Param), "any", true),
                (AccessKind::ById(IdSource::Request), "show", false),
            ],
            "{f:?}"
        );
        assert!(f.iter().all(|a| a.model == "Address"));
    }

    #[test]
    fn ownership_checked_after_the_fetch() {
        let f = facts(
            "exports.del = async ctx => { const topic = await ctx.model.Topic.findById(ctx.params.id); if (topic.author_id !== ctx.state.user.id) ctx.throw(403); await topic.remove(); };",
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].compares_user && f[0].knows_user, "{f:?}");
    }

    #[test]
    fn owner_field_overridden_by_request() {
        for src in [
            "exports.list = async ctx => { const orgUuid = ctx.state.user.orgUuid; return ctx.model.App.findAll({ where: { orgUuid, ...ctx.query } }); };",
            "exports.list = async ctx => { const where = {}; where.userId = ctx.state.user.id; Object.assign(where, ctx.query); return ctx.model.App.findAll({ where }); };",
        ] {
            assert!(
                facts(src)
                    .iter()
                    .any(|a| a.kind == AccessKind::OwnerOverridden),
                "{src}"
            );
        }
        for src in [
            "exports.list = async ctx => { const orgUuid = ctx.state.user.orgUuid; return ctx.model.App.findAll({ where: { ...ctx.query, orgUuid } }); };",
            "exports.list = async ctx => { const where = Object.assign({}, ctx.query, { userId: ctx.state.user.id }); return ctx.model.App.findAll({ where }); };",
            // the code writes the keys; the request only picks values
            "exports.list = async ctx => { const { title } = ctx.query; return ctx.model.Work.find({ user: ctx.state.user._id, ...(title && { title: { $regex: title } }) }); };",
        ] {
            assert!(
                !facts(src)
                    .iter()
                    .any(|a| a.kind == AccessKind::OwnerOverridden),
                "{src}"
            );
        }
    }
}
