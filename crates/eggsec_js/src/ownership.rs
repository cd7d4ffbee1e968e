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
use foldhash::{HashMap, HashSet};
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
    /// A model call whose filter is a parameter of the function, or a field of one
    /// (`_item(ctx, Model, { query })` → `Model.findOne(query)`): what the caller passes decides
    /// ([`RecordAccess::filter_param`]). A summary for [`link`], never a finding by itself.
    FilterParam,
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
    /// For [`AccessKind::ById`] from a parameter: the parameter's position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_param: Option<u8>,
    /// For [`AccessKind::Owned`] whose owner value is a parameter (`findAll({ where: { userId
    /// } })` in `mine(userId)`): its position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_param: Option<u8>,
    /// The model is a parameter of the function (`_update(ctx, Model, _id)`): its position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_param: Option<u8>,
    /// For [`AccessKind::FilterParam`]: the parameter's position, and the field of it that is
    /// the filter (`query` of `{ query = {} }`), if a field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_param: Option<(u8, Option<String>)>,
    /// For an access found through calls ([`link`]): the calls from this function to the model
    /// call, outermost first (`service.content.update`, `_update`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

/// What an argument (or a value in a filter object) is, as far as the owner check across
/// calls needs to know.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Val {
    /// Request data (`ctx.params.id`, a body field, a local read from them).
    Request,
    /// The logged-in user, or something read from them.
    Identity,
    /// The function's parameter at this position.
    Param(u8),
    /// A field of the parameter at this position (`query` of `{ query = {} }`, `params.id`).
    ParamField(u8, String),
    /// A model (`this.ctx.model.Content`).
    Model(String),
    /// An object literal (or a local holding one): its keys and what their values are.
    Object(Vec<(String, Val)>),
    /// A local holding an object with an owner field set elsewhere (`where.userId = ...`).
    OwnerObject,
    Other,
}

/// Where a required module is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModuleSpec {
    /// Relative to the requiring file (`./general`, `path.join(__dirname, 'general')`).
    Relative(String),
    /// Relative to the app's root, where egg runs (`path.join(process.cwd(), 'app/service/general')`).
    Root(String),
}

/// The function a call reaches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OwnCallee {
    /// `ctx.service.a.b.m(...)`, `this.service.a.m(...)`, `service.a.m(...)`: service `a.b`,
    /// method `m`.
    Service { file: String, method: String },
    /// `f(...)`, `this.f(...)`: a function of the same file.
    Local(String),
    /// `_update(...)` bound by `const { _update } = require(spec)`, `general._item(...)` on
    /// `const general = require(spec)`.
    Module { spec: ModuleSpec, function: String },
    /// tegg: `this.workService.public(...)` on an `@Inject() workService: WorkService`
    /// property: method `public` of class `WorkService`.
    Injected {
        property: String,
        class: String,
        method: String,
    },
}

impl OwnCallee {
    /// How a message names the call (`service.content.update`, `_update`).
    pub fn display(&self) -> String {
        match self {
            OwnCallee::Service { file, method } => format!("service.{file}.{method}"),
            OwnCallee::Local(f) => f.clone(),
            OwnCallee::Module { function, .. } => function.clone(),
            OwnCallee::Injected {
                property, method, ..
            } => format!("{property}.{method}"),
        }
    }

    /// The name of the function the call reaches in its file.
    pub fn function(&self) -> &str {
        match self {
            OwnCallee::Service { method, .. } | OwnCallee::Injected { method, .. } => method,
            OwnCallee::Local(f) => f,
            OwnCallee::Module { function, .. } => function,
        }
    }
}

/// A call that hands an id, a model, a filter or the logged-in user to another function.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OwnCall {
    pub callee: OwnCallee,
    pub args: Vec<Val>,
    pub function: String,
    pub class: Option<String>,
    pub line: u32,
    pub column: u32,
    /// The code, shortened.
    pub what: String,
    /// As for [`RecordAccess`]: of the calling function.
    pub knows_user: bool,
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

/// Whether a key names the model's own record rather than its owner: `userId` on `User`,
/// `accountId` on `AccountModel`, `tenant_id` on `Tenants` (the id the record is found by).
fn names_the_model(model: &str, key: &str) -> bool {
    let k = norm(key);
    let k = k.as_slice();
    let k = match k {
        b"uid" => b"user".as_slice(),
        _ => k
            .strip_suffix(b"uuid")
            .or_else(|| k.strip_suffix(b"id"))
            .unwrap_or(k),
    };
    let m = norm(model.rsplit('.').next().unwrap_or(model));
    let m = m.as_slice();
    let m = m.strip_suffix(b"model").unwrap_or(m);
    let m = m.strip_suffix(b"s").unwrap_or(m);
    !k.is_empty() && k == m
}

/// [`is_owner_key`] for a filter of `model`: not the key of the model's own record.
fn owner_key_of(model: &str, key: &str) -> bool {
    is_owner_key(key) && !names_the_model(model, key)
}

/// An id key of a filter of `model`, the model's own owner-looking key included (`User`'s
/// `userId`).
fn id_key_of(model: &str, key: &str) -> bool {
    is_id_key(key) || (is_owner_key(key) && names_the_model(model, key))
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
        // a capitalised name is a class or a model (tegg-orm injects `this.User`, the model),
        // not the user
        [first, ..] => {
            !first.as_ref().starts_with(|c: char| c.is_ascii_uppercase())
                && matches!(
                    norm(first.as_ref()).as_slice(),
                    b"user" | b"currentuser" | b"userinfo" | b"loginuser" | b"authuser"
                )
        }
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
    /// The name of each parameter that binds one name (`id`, `query = {}`), by position (`ctx`
    /// too: positions count); `None` for a destructured one.
    positions: Vec<Option<String>>,
    /// Names bound from a field of an object-pattern parameter (`{ query = {} }`): the
    /// parameter's position and the field.
    param_fields: HashMap<String, (u8, String)>,
    /// Locals holding a filter object (`const where = { id }`, `query = _.assign({}, query, {
    /// _id })`): its keys and what their values are.
    filters: HashMap<String, Vec<(String, Val)>>,
    knows_user: bool,
    compares_user: bool,
    out: Vec<RecordAccess>,
    /// (with the call's span: its place and code are computed for the calls kept)
    calls: Vec<(OwnCall, oxc::span::Span)>,
}

/// What a model call's record carries besides its kind (see [`RecordAccess`]).
#[derive(Default)]
struct Links {
    id_param: Option<u8>,
    owner_param: Option<u8>,
    model_param: Option<u8>,
    filter_param: Option<(u8, Option<String>)>,
}

struct OwnVisitor<'p, 't> {
    at: &'p Place<'t>,
    frames: Vec<Frame>,
    namer: Namer,
    out: Vec<RecordAccess>,
    calls: Vec<(OwnCall, oxc::span::Span)>,
    /// The names of the file's functions (what a call of a local function can reach).
    functions: HashSet<String>,
    /// Module-level bindings of required relative modules: the module, and the export bound
    /// (`None` for the whole module).
    imports: HashMap<String, (ModuleSpec, Option<String>)>,
    /// tegg `@Inject()` class properties: name → class.
    injected: &'p HashMap<String, String>,
}

/// Runs the extractor over a parsed file.
pub(crate) fn extract(
    program: &Program<'_>,
    at: &Place<'_>,
    injected: &HashMap<String, String>,
    out: &mut SourceFacts,
) {
    let mut v = OwnVisitor {
        at,
        frames: vec![Frame {
            name: "<module>".into(),
            ..Frame::default()
        }],
        namer: Namer::default(),
        out: Vec::new(),
        calls: Vec::new(),
        functions: HashSet::default(),
        imports: HashMap::default(),
        injected,
    };
    v.visit_program(program);
    while let Some(f) = v.frames.pop() {
        v.out.extend(f.out);
        v.calls.extend(f.calls);
    }
    v.out.truncate(256);
    let functions = &v.functions;
    out.ownership_calls = v
        .calls
        .into_iter()
        .filter(|(c, _)| match &c.callee {
            OwnCallee::Local(n) => functions.contains(n),
            _ => true,
        })
        .take(256)
        .map(|(mut c, span)| {
            (c.line, c.column) = at.line_col(span.start);
            c.what = at.snippet(span.start, span.end);
            c
        })
        .collect();
    out.ownership = v.out;
}

/// The module a `require(...)` names, when it is a file of the app: a relative specifier,
/// `path.join(__dirname, 'x')` or `path.join(process.cwd(), 'app/service/general')`
/// (`path.resolve` alike).
fn module_spec(e: &Expression<'_>) -> Option<ModuleSpec> {
    match crate::routes::require_arg(e)?.get_inner_expression() {
        Expression::StringLiteral(s) if s.value.starts_with('.') => {
            Some(ModuleSpec::Relative(s.value.to_string()))
        }
        Expression::CallExpression(j) => {
            let p = member_path_ref(&j.callee)?;
            if !matches!(p.as_slice(), ["path", "join" | "resolve"]) {
                return None;
            }
            let mut args = j.arguments.iter();
            let base = args.next()?.as_expression()?;
            let mut rest = Vec::new();
            for a in args {
                let Some(Expression::StringLiteral(s)) =
                    a.as_expression().map(|e| e.get_inner_expression())
                else {
                    return None;
                };
                rest.push(s.value.trim_matches('/'));
            }
            let rest = rest.join("/");
            match base.get_inner_expression() {
                Expression::Identifier(i) if i.name == "__dirname" => {
                    Some(ModuleSpec::Relative(format!("./{rest}")))
                }
                Expression::CallExpression(cwd)
                    if cwd.arguments.is_empty()
                        && member_path_ref(&cwd.callee)
                            .is_some_and(|p| p.as_slice() == ["process", "cwd"]) =>
                {
                    Some(ModuleSpec::Root(rest))
                }
                _ => None,
            }
        }
        _ => None,
    }
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
        self.source_in(&refs(e))
    }

    /// [`Self::source_of`] and [`Self::is_identity`] of one expression, from one walk of it.
    fn source_and_identity(&self, e: &Expression<'_>) -> (Option<IdSource>, bool) {
        let r = refs(e);
        (self.source_in(&r), self.identity_in(&r))
    }

    /// A read of the database (`await Record.findAll({ where })`, `await this.ctx.model.X
    /// .findOne(q).lean()`, `await app.mysql.get('t', { id })`): a call chain with a read
    /// method whose receiver is not request data or a parameter (`body.items.find(…)` returns
    /// what the request sent).
    fn is_db_read(&self, e: &Expression<'_>) -> bool {
        const READS: &[&str] = &[
            "find",
            "findOne",
            "findAll",
            "findById",
            "findByPk",
            "findAndCountAll",
            "findAndCount",
            "findOneBy",
            "findBy",
            "findMany",
            "findFirst",
            "findUnique",
        ];
        let mut e = e.get_inner_expression();
        if let Expression::AwaitExpression(a) = e {
            e = a.argument.get_inner_expression();
        }
        let mut read = false;
        loop {
            match e {
                Expression::CallExpression(c) => e = c.callee.get_inner_expression(),
                Expression::StaticMemberExpression(m) => {
                    let name = m.property.name.as_str();
                    // `get`/`select` of egg-mysql only (`ctx.get(…)`, `ctx.cookies.get(…)` read
                    // the request)
                    read |= READS.contains(&name)
                        || (matches!(name, "get" | "select")
                            && member_path_ref(&m.object)
                                .is_some_and(|p| p.last() == Some(&"mysql")));
                    if !matches!(
                        m.object.get_inner_expression(),
                        Expression::CallExpression(_)
                    ) {
                        return read && self.source_of(&m.object).is_none();
                    }
                    e = m.object.get_inner_expression();
                }
                _ => return false,
            }
        }
    }

    fn source_in(&self, r: &Refs<'_>) -> Option<IdSource> {
        let f = self.frames.last()?;
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

    /// A query whose filter holds the user (`await Subscription.find({ user: userId })
    /// .populate('channel')`): its result is the records the user's id selected, not the user.
    /// The user is only inside object arguments of the calls of a chain whose receiver is not
    /// the user.
    fn query_filtered_by_identity(&self, e: &Expression<'_>) -> bool {
        let mut e = e.get_inner_expression();
        if let Expression::AwaitExpression(a) = e {
            e = a.argument.get_inner_expression();
        }
        let mut in_object = false;
        loop {
            match e {
                Expression::CallExpression(c) => {
                    for a in c.arguments.iter().filter_map(|a| a.as_expression()) {
                        if self.is_identity(a) {
                            if !matches!(a.get_inner_expression(), Expression::ObjectExpression(_))
                            {
                                return false;
                            }
                            in_object = true;
                        }
                    }
                    e = c.callee.get_inner_expression();
                }
                // the receiver: a member path with no call in it is judged whole
                // (`ctx.state.user.get(...)` is the user)
                Expression::StaticMemberExpression(m)
                    if matches!(
                        m.object.get_inner_expression(),
                        Expression::CallExpression(_)
                    ) =>
                {
                    e = m.object.get_inner_expression()
                }
                other => return in_object && !self.is_identity(other),
            }
        }
    }

    fn is_identity(&self, e: &Expression<'_>) -> bool {
        self.identity_in(&refs(e))
    }

    fn identity_in(&self, r: &Refs<'_>) -> bool {
        let Some(f) = self.frames.last() else {
            return false;
        };
        r.paths.iter().any(|p| identity_path(p)) || r.idents.iter().any(|i| f.identity.contains(*i))
    }

    fn record(&mut self, kind: AccessKind, model: String, method: String, span: oxc::span::Span) {
        self.record_linked(kind, model, method, span, Links::default());
    }

    fn record_linked(
        &mut self,
        kind: AccessKind,
        model: String,
        method: String,
        span: oxc::span::Span,
        links: Links,
    ) {
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
                id_param: links.id_param,
                owner_param: links.owner_param,
                model_param: links.model_param,
                filter_param: links.filter_param,
                via: Vec::new(),
            });
        }
    }

    /// [`Self::simple_param`] of an expression that is a name.
    fn param_of(&self, e: &Expression<'_>) -> Option<u8> {
        match e.get_inner_expression() {
            Expression::Identifier(i) => self.simple_param(&i.name),
            _ => None,
        }
    }

    /// The position of the parameter `name` binds alone (`id`, `Model`, `query = {}`).
    fn simple_param(&self, name: &str) -> Option<u8> {
        let f = self.frames.last()?;
        if f.param_fields.contains_key(name) {
            return None;
        }
        let i = f
            .positions
            .iter()
            .position(|p| p.as_deref() == Some(name))?;
        u8::try_from(i).ok()
    }

    /// What `e` is, for the owner check across calls.
    fn val_of(&self, e: &Expression<'_>, depth: u8) -> Val {
        let Some(f) = self.frames.last() else {
            return Val::Other;
        };
        match e.get_inner_expression() {
            Expression::Identifier(i) => {
                let n = i.name.as_str();
                if let Some((p, k)) = f.param_fields.get(n) {
                    return Val::ParamField(*p, k.clone());
                }
                if let Some(p) = self.simple_param(n) {
                    return Val::Param(p);
                }
                if f.identity.contains(n) {
                    Val::Identity
                } else if f.request.contains(n) {
                    Val::Request
                } else if f.owner_objects.contains(n) {
                    // (before its literal: `where.userId = ...` came after it)
                    Val::OwnerObject
                } else if let Some(pairs) = f.filters.get(n) {
                    Val::Object(pairs.clone())
                } else {
                    Val::Other
                }
            }
            Expression::ObjectExpression(o) => {
                if depth >= 3 {
                    return Val::Other;
                }
                let mut pairs = Vec::new();
                for p in &o.properties {
                    match p {
                        ObjectPropertyKind::ObjectProperty(p) => {
                            if let Some(k) = p.key.static_name() {
                                pairs.push((k.to_string(), self.val_of(&p.value, depth + 1)));
                            }
                        }
                        ObjectPropertyKind::SpreadProperty(s) => {
                            if let Val::Object(inner) = self.val_of(&s.argument, depth + 1) {
                                pairs.extend(inner);
                            }
                        }
                    }
                }
                Val::Object(pairs)
            }
            inner @ (Expression::StaticMemberExpression(_)
            | Expression::ComputedMemberExpression(_)) => {
                if let Some(p) = member_path_ref(inner) {
                    if request_path(&p) {
                        return Val::Request;
                    }
                    if identity_path(&p) {
                        return Val::Identity;
                    }
                    // ctx.model.X, this.ctx.model.X, app.model.X
                    if let Some(i) = p.iter().position(|s| *s == "model") {
                        if i + 2 == p.len() && matches!(p[0], "ctx" | "app" | "this") {
                            return Val::Model(p[i + 1].to_owned());
                        }
                    }
                    if let [root, field] = p.as_slice() {
                        if let Some(pos) = self.simple_param(root) {
                            return Val::ParamField(pos, (*field).to_owned());
                        }
                    }
                }
                self.val_by_refs(e)
            }
            // a list is no id and no user (`$or: [..., { tags: { $in: user.watchTags } }]`)
            Expression::ArrayExpression(_)
            | Expression::StringLiteral(_)
            | Expression::NumericLiteral(_)
            | Expression::BooleanLiteral(_)
            | Expression::NullLiteral(_)
            | Expression::FunctionExpression(_)
            | Expression::ArrowFunctionExpression(_) => Val::Other,
            _ => self.val_by_refs(e),
        }
    }

    fn val_by_refs(&self, e: &Expression<'_>) -> Val {
        match self.source_and_identity(e) {
            (Some(IdSource::Request), _) => Val::Request,
            (_, true) => Val::Identity,
            _ => Val::Other,
        }
    }

    /// A filter object `e` builds: an object literal, or `_.assign` / `Object.assign` of them.
    fn filter_of(&self, e: &Expression<'_>) -> Option<Vec<(String, Val)>> {
        let pairs = match e.get_inner_expression() {
            Expression::ObjectExpression(o) => {
                // (most object literals are no filter: look at the keys before the values)
                let keyed = o.properties.iter().any(|p| match p {
                    ObjectPropertyKind::ObjectProperty(p) => p
                        .key
                        .static_name()
                        .is_some_and(|k| is_owner_key(&k) || is_id_key(&k) || k == "where"),
                    ObjectPropertyKind::SpreadProperty(_) => true,
                });
                if !keyed {
                    return None;
                }
                match self.val_of(e, 0) {
                    Val::Object(p) => p,
                    _ => return None,
                }
            }
            Expression::CallExpression(c) => {
                let p = member_path_ref(&c.callee)?;
                if !matches!(
                    p.as_slice(),
                    ["_" | "lodash" | "Object", "assign" | "merge" | "extend"]
                ) {
                    return None;
                }
                let mut pairs = Vec::new();
                for a in c.arguments.iter().filter_map(|a| a.as_expression()) {
                    if let Val::Object(x) = self.val_of(a, 0) {
                        pairs.extend(x);
                    }
                }
                pairs
            }
            _ => return None,
        };
        pairs
            .iter()
            .any(|(k, _)| is_owner_key(k) || is_id_key(k) || k == "where")
            .then_some(pairs)
    }

    /// A call that hands something to another function of the app (see [`OwnCall`]).
    fn own_call(&mut self, it: &CallExpression<'_>, path: Option<&MemberPath<'_>>) {
        if self.frames.len() < 2 || it.arguments.is_empty() {
            return;
        }
        // what the call reaches, borrowed: most calls hand nothing over, and are dropped
        // before anything is allocated for them
        enum To<'x> {
            Module(&'x ModuleSpec, &'x str),
            Local(&'x str),
            Service(&'x [&'x str], &'x str),
            Injected(&'x str, &'x str, &'x str),
        }
        let to = match it.callee.get_inner_expression() {
            Expression::Identifier(i) => {
                let n = i.name.as_str();
                match self.imports.get(n) {
                    Some((spec, Some(export))) => To::Module(spec, export),
                    Some((_, None)) => return,
                    None => To::Local(n),
                }
            }
            _ => {
                let Some(p) = path else {
                    return;
                };
                let s: &[&str] = p.as_slice();
                let s = if s.len() > 2 && s[0] == "this" && s[1] == "ctx" {
                    &s[1..]
                } else {
                    s
                };
                match s {
                    ["ctx" | "this", "service", mid @ .., m] | ["service", mid @ .., m]
                        if !mid.is_empty() =>
                    {
                        To::Service(mid, m)
                    }
                    ["this", m] => To::Local(m),
                    ["this", prop, m] => match self.injected.get(*prop) {
                        Some(class) => To::Injected(prop, class, m),
                        None => return,
                    },
                    [obj, m] => match self.imports.get(*obj) {
                        Some((spec, None)) => To::Module(spec, m),
                        _ => return,
                    },
                    _ => return,
                }
            }
        };
        let args: Vec<Val> = it
            .arguments
            .iter()
            .map(|a| a.as_expression().map_or(Val::Other, |e| self.val_of(e, 0)))
            .collect();
        if args.iter().all(|a| *a == Val::Other) {
            return;
        }
        let callee = match to {
            To::Module(spec, function) => OwnCallee::Module {
                spec: spec.clone(),
                function: function.to_owned(),
            },
            To::Local(n) => OwnCallee::Local(n.to_owned()),
            To::Service(mid, m) => OwnCallee::Service {
                file: mid.join("."),
                method: m.to_owned(),
            },
            To::Injected(prop, class, m) => OwnCallee::Injected {
                property: prop.to_owned(),
                class: class.to_owned(),
                method: m.to_owned(),
            },
        };
        let f = self.frame();
        if f.calls.len() < 64 {
            let (function, class) = (f.name.clone(), f.class.clone());
            f.calls.push((
                OwnCall {
                    callee,
                    args,
                    function,
                    class,
                    line: 0,
                    column: 0,
                    what: String::new(),
                    knows_user: false,
                    compares_user: false,
                },
                it.span,
            ));
        }
    }

    fn enter(&mut self, start: u32, params: &FormalParameters<'_>) {
        let name = self.namer.name_at(start);
        self.functions.insert(name.clone());
        let (mut ps, mut req) = (Vec::new(), Vec::new());
        let mut positions = Vec::with_capacity(params.items.len());
        let mut param_fields = HashMap::default();
        for (i, p) in params.items.iter().enumerate() {
            let pattern = match &p.pattern {
                BindingPattern::AssignmentPattern(a) => &a.left,
                other => other,
            };
            positions.push(match pattern {
                BindingPattern::BindingIdentifier(id) => Some(id.name.as_str().to_owned()),
                _ => None,
            });
            if let (BindingPattern::ObjectPattern(o), Ok(i)) = (pattern, u8::try_from(i)) {
                for prop in &o.properties {
                    let Some(k) = prop.key.static_name() else {
                        continue;
                    };
                    let mut bound = Vec::new();
                    binding_names(&prop.value, &mut bound);
                    if let [n] = bound.as_slice() {
                        param_fields.insert(n.clone(), (i, k.to_string()));
                    }
                }
            }
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
            positions,
            param_fields,
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
        for (c, _) in &mut f.calls {
            c.knows_user = f.knows_user;
            c.compares_user = f.compares_user;
        }
        self.out.extend(f.out);
        self.calls.extend(f.calls);
    }

    fn model_call(&mut self, it: &CallExpression<'_>, callee: Option<&MemberPath<'_>>) {
        // borrowed from the AST: this runs for every call
        let Some(p) = callee else {
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
        // `Model.findOne(...)` in `_item(ctx, Model, ...)`: the caller names the model
        let model_param = match receiver {
            [m] => self.simple_param(m),
            _ => None,
        };
        let args: Vec<&Expression<'_>> = it
            .arguments
            .iter()
            .filter_map(|a| a.as_expression())
            .collect();
        let Some(first) = args.first() else {
            return;
        };
        // a by-id access, with the parameter holding the id when it comes from one
        let by_id = |this: &mut Self, src: IdSource, id: &Expression<'_>, model: String| {
            let links = Links {
                id_param: this.param_of(id).filter(|_| src == IdSource::Param),
                model_param,
                ..Links::default()
            };
            this.record_linked(
                AccessKind::ById(src),
                model,
                method.to_owned(),
                it.span,
                links,
            );
        };
        if BY_ID_METHODS.contains(&method) {
            if let Some(src) = self.source_of(first) {
                by_id(self, src, first, model);
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
        // a local filter object (`query = _.assign({}, query, { _id })`; `{ where }`)
        let held = |e: &Expression<'_>| match e.get_inner_expression() {
            Expression::Identifier(i) => self.frames.last()?.filters.get(i.name.as_str()).cloned(),
            _ => None,
        };
        let tracked = match pairs.as_slice() {
            [] => held(filter),
            [(k, v)] if k == "where" => held(v),
            _ => None,
        };
        if let Some(t) = tracked {
            // an owner column matched with request data (`{ user: ctx.params.userId }`, one
            // user's public list) scopes nothing to the caller
            let owner = t.iter().find(|(k, v)| {
                (owner_key_of(&model, k) && matches!(v, Val::Param(_) | Val::ParamField(..)))
                    || *v == Val::Identity
            });
            if let Some((_, v)) = owner {
                let links = Links {
                    owner_param: match v {
                        Val::Param(i) => Some(*i),
                        _ => None,
                    },
                    model_param,
                    ..Links::default()
                };
                self.record_linked(AccessKind::Owned, model, method.to_owned(), it.span, links);
                return;
            }
            let by_id = t
                .iter()
                .filter(|(k, _)| id_key_of(&model, k))
                .find_map(|(_, v)| match v {
                    Val::Request => Some((IdSource::Request, None)),
                    Val::Param(i) => Some((IdSource::Param, Some(*i))),
                    _ => None,
                });
            if let Some((src, id_param)) = by_id {
                let links = Links {
                    id_param,
                    model_param,
                    ..Links::default()
                };
                self.record_linked(
                    AccessKind::ById(src),
                    model,
                    method.to_owned(),
                    it.span,
                    links,
                );
            }
            return;
        }
        if pairs.is_empty() {
            // the filter is a parameter, or a field of one: the caller's argument decides
            let filter_param = match self.val_of(filter, 0) {
                Val::Param(i) => Some((i, None)),
                Val::ParamField(i, k) => Some((i, Some(k))),
                _ => None,
            };
            if filter_param.is_some() {
                let links = Links {
                    filter_param,
                    model_param,
                    ..Links::default()
                };
                self.record_linked(
                    AccessKind::FilterParam,
                    model,
                    method.to_owned(),
                    it.span,
                    links,
                );
            }
            return;
        }
        let owner = pairs.iter().find(|(k, v)| {
            let (src, identity) = self.source_and_identity(v);
            identity || (owner_key_of(&model, k) && src == Some(IdSource::Param))
        });
        if let Some((_, v)) = owner {
            let links = Links {
                owner_param: self.param_of(v),
                model_param,
                ..Links::default()
            };
            self.record_linked(AccessKind::Owned, model, method.to_owned(), it.span, links);
            return;
        }
        let found = pairs
            .iter()
            .filter(|(k, _)| id_key_of(&model, k))
            .find_map(|(_, v)| self.source_of(v).map(|s| (s, *v)));
        if let Some((src, v)) = found {
            by_id(self, src, v, model);
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
        if let Some(spec) = it.init.as_ref().and_then(module_spec) {
            match &it.id {
                BindingPattern::BindingIdentifier(id) => {
                    self.imports
                        .insert(id.name.as_str().to_owned(), (spec, None));
                }
                BindingPattern::ObjectPattern(o) => {
                    for prop in &o.properties {
                        if let (Some(k), BindingPattern::BindingIdentifier(id)) =
                            (prop.key.static_name(), &prop.value)
                        {
                            self.imports.insert(
                                id.name.as_str().to_owned(),
                                (spec.clone(), Some(k.to_string())),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Some(init), BindingPattern::BindingIdentifier(id), true) =
            (&it.init, &it.id, self.frames.len() > 1)
        {
            if let Some(pairs) = self.filter_of(init) {
                let name = id.name.as_str().to_owned();
                self.frame().filters.insert(name, pairs);
            }
        }
        if let Some(init) = &it.init {
            let mut bound = Vec::new();
            binding_names(&it.id, &mut bound);
            let (source, holds_identity) = self.source_and_identity(init);
            // a record read back from the database is not what the request sent, whatever
            // filter selected it (`const rows = await Record.findAll({ where }); … { id:
            // _.map(rows, 'create_user_id') }`, `rec = await X.find({ where: { user_id: me } });
            // destroy({ where: { id: rec.id } })`)
            let db_read = self.is_db_read(init);
            let request = source == Some(IdSource::Request) && !db_read;
            let param = source == Some(IdSource::Param) && !db_read;
            // (an object or array that holds the user's id is not the user: `{ title, uAuthor:
            // user._id }` compared later is no ownership check)
            let identity = !matches!(
                init.get_inner_expression(),
                Expression::ObjectExpression(_) | Expression::ArrayExpression(_)
            ) && holds_identity
                && !self.query_filtered_by_identity(init);
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
        self.namer.assignment(it);
        // query = _.assign({}, query, { _id })
        if let AssignmentTarget::AssignmentTargetIdentifier(id) = &it.left {
            if self.frames.len() > 1 {
                if let Some(pairs) = self.filter_of(&it.right) {
                    let name = id.name.as_str().to_owned();
                    self.frame().filters.insert(name, pairs);
                }
            }
        }
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

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let spec = it.source.value.as_str();
        if !spec.starts_with('.') {
            return;
        }
        for s in it.specifiers.iter().flatten() {
            let (local, export) = match s {
                ImportDeclarationSpecifier::ImportSpecifier(s) => {
                    (s.local.name.as_str(), Some(s.imported.name().to_string()))
                }
                ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                    (s.local.name.as_str(), None)
                }
                ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                    (s.local.name.as_str(), None)
                }
            };
            self.imports.insert(
                local.to_owned(),
                (ModuleSpec::Relative(spec.to_owned()), export),
            );
        }
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let path = member_path_ref(&it.callee);
        self.model_call(it, path.as_ref());
        self.own_call(it, path.as_ref());
        // `video.user.equals(userId)` (mongoose's ObjectId), `_.isEqual(a, ctx.user.id)`: an
        // equality written as a call compares as `===` does
        let equality = match it.callee.get_inner_expression() {
            Expression::StaticMemberExpression(m) => {
                matches!(m.property.name.as_str(), "equals" | "isEqual").then_some(Some(&m.object))
            }
            Expression::Identifier(i) => (i.name == "isEqual").then_some(None),
            _ => None,
        };
        if let Some(receiver) = equality {
            let is_method = receiver.is_some_and(|r| {
                // `_.isEqual(a, b)` / `lodash.isEqual(a, b)`: the receiver is the library
                !matches!(r.get_inner_expression(), Expression::Identifier(i) if i.name == "_" || i.name == "lodash")
            });
            let mut operands: Vec<&Expression<'_>> = it
                .arguments
                .iter()
                .filter_map(|a| a.as_expression())
                .collect();
            if is_method {
                operands.extend(receiver);
            }
            if operands.len() >= 2 && operands.iter().any(|e| self.is_identity(e)) {
                self.frame().compares_user = true;
            }
        }
        // Object.assign(where, ctx.query) after where.userId = ...
        if path.is_some_and(|p| p.as_slice() == ["Object", "assign"]) {
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

/// The model a summary speaks of: by name, or the caller's argument at a position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ModelRef {
    Named(String),
    Param(u8),
}

/// What a function does with its parameters, for its callers (the model call at the end of
/// `via`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Summary {
    /// Selects a record of `model` by the id in parameter `param`, with no owner condition and
    /// no comparison with the logged-in user.
    ById { param: u8 },
    /// Filters `model` by the owner in parameter `param`.
    Owner { param: u8 },
    /// Uses parameter `param` (or its `field`) as the filter on `model`.
    Filter { param: u8, field: Option<String> },
}

#[derive(Clone, Debug)]
struct Summarised {
    what: Summary,
    model: ModelRef,
    method: String,
    via: Vec<String>,
}

/// A model method that changes or deletes records (`update`, `destroy`,
/// `findOneAndUpdate`), not one that only reads them.
pub fn changes_records(method: &str) -> bool {
    !method.starts_with("find")
        || ["Update", "Delete", "Remove"]
            .iter()
            .any(|w| method.contains(w))
}

/// What a call makes of one summary of its callee.
enum Found {
    /// A record access at the call.
    Access(AccessKind),
    /// A summary of the calling function, for its own callers.
    Summary(Summary),
}

/// One file's facts for [`link`].
pub struct LinkFile<'f> {
    pub accesses: &'f [RecordAccess],
    pub calls: &'f [OwnCall],
    /// Functions that check the permission on the record before they run (a permission
    /// decorator, `@checkPermission('Work')`): a call into one passes nothing on.
    pub guarded: Vec<&'f str>,
}

/// How many calls deep [`link`] follows an id, a model or a filter.
const LINK_DEPTH: usize = 4;

/// Record accesses made through calls, per file (in the order of `files`): a handler that
/// passes the request's id to a service method (or a function of its file, or of a required
/// module) which selects a record by it with no owner condition makes a by-id access at the
/// call; one that passes the logged-in user as the owner, or a filter with an owner field,
/// makes an owned access. Only accesses that change or delete records are reported at the
/// call ([`changes_records`]): a read by id through a data layer is most often of a public
/// record (an article, a comment to reply to), which the handler cannot tell. Followed up
/// to [`LINK_DEPTH`] calls deep (`service.content.update` → `_update(ctx, Model, _id)` →
/// `Model.findOneAndUpdate(query)`), the model named by the caller when the callee takes it
/// as a parameter. A callee that compares the logged-in user with something, or is
/// [`LinkFile::guarded`], checks ownership itself, and passes nothing on.
/// `targets[file][ci]` is the index of the file defining the function that call `ci` of file
/// `file` reaches.
pub fn link(files: &[LinkFile<'_>], targets: &[Vec<Option<usize>>]) -> Vec<Vec<RecordAccess>> {
    let mut out: Vec<Vec<RecordAccess>> = vec![Vec::new(); files.len()];
    if files.iter().all(|f| f.calls.is_empty()) {
        return out;
    }
    // summaries by (file, function name)
    let mut sums: HashMap<(usize, &str), Vec<Summarised>> = HashMap::default();
    for (fi, f) in files.iter().enumerate() {
        for a in f.accesses {
            let what = match (a.kind, a.id_param, a.owner_param, &a.filter_param) {
                (AccessKind::ById(IdSource::Param), Some(p), _, _) if !a.compares_user => {
                    Summary::ById { param: p }
                }
                (AccessKind::Owned, _, Some(p), _) => Summary::Owner { param: p },
                (AccessKind::FilterParam, _, _, Some((p, field))) => Summary::Filter {
                    param: *p,
                    field: field.clone(),
                },
                _ => continue,
            };
            let model = a
                .model_param
                .map_or_else(|| ModelRef::Named(a.model.clone()), ModelRef::Param);
            sums.entry((fi, a.function.as_str()))
                .or_default()
                .push(Summarised {
                    what,
                    model,
                    method: a.method.clone(),
                    via: Vec::new(),
                });
        }
    }
    // per call, how many of its target's summaries it has taken (summaries are only added)
    let mut taken: Vec<Vec<usize>> = files.iter().map(|f| vec![0; f.calls.len()]).collect();
    for round in 0..=LINK_DEPTH {
        let last = round == LINK_DEPTH;
        let mut added: Vec<((usize, &str), Summarised)> = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            // (a file without its row of targets resolves nothing)
            let row = targets.get(fi).map_or(&[][..], Vec::as_slice);
            for (ci, (c, target)) in f.calls.iter().zip(row).enumerate() {
                let Some(tj) = *target else {
                    continue;
                };
                let name = c.callee.function();
                // (a function calling itself, or a method calling its namesake: no news)
                if tj == fi && name == c.function {
                    continue;
                }
                if files.get(tj).is_some_and(|t| t.guarded.contains(&name)) {
                    continue;
                }
                let Some(list) = sums.get(&(tj, name)) else {
                    continue;
                };
                let from = std::mem::replace(&mut taken[fi][ci], list.len());
                for s in &list[from..] {
                    let model = match &s.model {
                        ModelRef::Named(m) => ModelRef::Named(m.clone()),
                        ModelRef::Param(k) => match c.args.get(usize::from(*k)) {
                            Some(Val::Model(m)) => ModelRef::Named(m.clone()),
                            Some(Val::Param(k2)) => ModelRef::Param(*k2),
                            _ => continue,
                        },
                    };
                    let mut via = vec![c.callee.display()];
                    via.extend(s.via.iter().cloned());
                    let arg = |p: u8| c.args.get(usize::from(p));
                    // what the call makes of the summary: an access here, or a summary of the caller
                    let mut found: Vec<Found> = Vec::new();
                    match &s.what {
                        Summary::ById { param } => match arg(*param) {
                            Some(Val::Request) if changes_records(&s.method) => {
                                found.push(Found::Access(AccessKind::ById(IdSource::Request)))
                            }
                            Some(Val::Param(k)) if !c.compares_user => {
                                found.push(Found::Summary(Summary::ById { param: *k }))
                            }
                            _ => {}
                        },
                        Summary::Owner { param } => match arg(*param) {
                            Some(Val::Identity) => found.push(Found::Access(AccessKind::Owned)),
                            Some(Val::Param(k)) => {
                                found.push(Found::Summary(Summary::Owner { param: *k }))
                            }
                            _ => {}
                        },
                        Summary::Filter { param, field } => {
                            let v = match (arg(*param), field) {
                                (Some(v), None) => Some(v.clone()),
                                (Some(Val::Object(p)), Some(f)) => {
                                    p.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone())
                                }
                                (Some(Val::Param(k)), Some(f)) => {
                                    Some(Val::ParamField(*k, f.clone()))
                                }
                                _ => None,
                            };
                            match v {
                                Some(Val::Object(pairs)) => {
                                    let owner = pairs
                                        .iter()
                                        .find(|(k, v)| is_owner_key(k) || *v == Val::Identity);
                                    if let Some((_, v)) = owner {
                                        found.push(Found::Access(AccessKind::Owned));
                                        if let Val::Param(k) = v {
                                            found
                                                .push(Found::Summary(Summary::Owner { param: *k }));
                                        }
                                    } else if let Some((_, v)) = pairs.iter().find(|(k, v)| {
                                        is_id_key(k) && matches!(v, Val::Request | Val::Param(_))
                                    }) {
                                        match v {
                                            Val::Param(k) if !c.compares_user => found
                                                .push(Found::Summary(Summary::ById { param: *k })),
                                            Val::Request if changes_records(&s.method) => found
                                                .push(Found::Access(AccessKind::ById(
                                                    IdSource::Request,
                                                ))),
                                            _ => {}
                                        }
                                    }
                                }
                                Some(Val::OwnerObject) => {
                                    found.push(Found::Access(AccessKind::Owned))
                                }
                                Some(Val::Param(k)) => {
                                    found.push(Found::Summary(Summary::Filter {
                                        param: k,
                                        field: None,
                                    }))
                                }
                                Some(Val::ParamField(k, f)) => {
                                    found.push(Found::Summary(Summary::Filter {
                                        param: k,
                                        field: Some(f),
                                    }))
                                }
                                _ => {}
                            }
                        }
                    }
                    for f in found {
                        let kind = match f {
                            Found::Access(kind) => kind,
                            Found::Summary(what) => {
                                if !last {
                                    added.push((
                                        (fi, c.function.as_str()),
                                        Summarised {
                                            what,
                                            model: model.clone(),
                                            method: s.method.clone(),
                                            via: via.clone(),
                                        },
                                    ));
                                }
                                continue;
                            }
                        };
                        // an access at the call, of a model the code names
                        let ModelRef::Named(m) = &model else {
                            continue;
                        };
                        let dup = out[fi].iter().any(|a| {
                            a.line == c.line
                                && a.column == c.column
                                && a.kind == kind
                                && &a.model == m
                        });
                        if !dup && out[fi].len() < 256 {
                            out[fi].push(RecordAccess {
                                kind,
                                model: m.clone(),
                                method: s.method.clone(),
                                function: c.function.clone(),
                                class: c.class.clone(),
                                line: c.line,
                                column: c.column,
                                what: c.what.clone(),
                                knows_user: c.knows_user,
                                compares_user: c.compares_user,
                                id_param: None,
                                owner_param: None,
                                model_param: None,
                                filter_param: None,
                                via: via.clone(),
                            });
                        }
                    }
                }
            }
        }
        let mut news = false;
        for (key, s) in added {
            let list = sums.entry(key).or_default();
            if !list
                .iter()
                .any(|o| o.what == s.what && o.model == s.model && o.method == s.method)
            {
                list.push(s);
                news = true;
            }
        }
        // (no new summary: this round emitted all there is)
        if !news {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_naming_the_model_itself_is_its_id_not_an_owner() {
        for (model, key) in [
            ("User", "userId"),
            ("User", "user_id"),
            ("User", "uid"),
            ("UserModel", "userUuid"),
            ("ctx.model.Users", "userId"),
            ("Account", "accountId"),
            ("Tenant", "tenantId"),
        ] {
            assert!(!owner_key_of(model, key), "{model} {key}");
            assert!(id_key_of(model, key), "{model} {key}");
        }
        for (model, key) in [
            ("Address", "userId"),
            ("Note", "user_id"),
            ("Tag", "ownerId"),
            ("UserProfile", "userId"),
            ("User", "tenantId"),
        ] {
            assert!(owner_key_of(model, key), "{model} {key}");
        }
    }

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

    /// Records selected by the user's id are not the user: filtering another model by them
    /// (the videos of the channels the user follows) is no owner filter.
    #[test]
    fn a_query_filtered_by_the_user_is_not_the_user() {
        let kinds =
            |src: &str| -> Vec<AccessKind> { facts(src).into_iter().map(|a| a.kind).collect() };
        let feed = kinds(
            "exports.feed = async ctx => { const userId = ctx.user._id; const channels = await ctx.model.Subscription.find({ user: userId }).populate('channel'); ctx.body = await ctx.model.Video.find({ user: { $in: channels.map(c => c.channel._id) } }); };",
        );
        assert_eq!(feed, vec![AccessKind::Owned], "{feed:?}");
        // the user's own record is the user
        let me = kinds(
            "exports.mine = async ctx => { const me = await ctx.model.User.findByPk(ctx.state.user.id); ctx.body = await ctx.model.Video.findAll({ where: { userId: me.id } }); };",
        );
        assert!(
            me.iter().all(|k| *k == AccessKind::Owned) && me.len() == 1,
            "{me:?}"
        );
    }

    #[test]
    fn ownership_checked_after_the_fetch_with_an_equality_method() {
        // mongoose's `ObjectId#equals`, lodash's `isEqual`: a comparison written as a call
        for src in [
            "exports.del = async ctx => { const userId = ctx.user._id; const v = await ctx.model.Video.findById(ctx.params.id); if (!v.user.equals(userId)) ctx.throw(403); await v.remove(); };",
            "exports.del = async ctx => { const v = await ctx.model.Video.findById(ctx.params.id); if (!ctx.user._id.equals(v.user)) ctx.throw(403); await v.remove(); };",
            "exports.del = async ctx => { const v = await ctx.model.Video.findById(ctx.params.id); if (!_.isEqual(v.user, ctx.state.user.id)) ctx.throw(403); await v.remove(); };",
        ] {
            let f = facts(src);
            assert_eq!(f.len(), 1, "{src}");
            assert!(f[0].compares_user && f[0].knows_user, "{src}: {f:?}");
        }
        // `equals` between two values that are not the user is no ownership check
        let f = facts(
            "exports.del = async ctx => { const v = await ctx.model.Video.findById(ctx.params.id); if (!v.kind.equals(ctx.query.kind)) ctx.throw(400); await v.remove(); };",
        );
        assert!(!f[0].compares_user, "{f:?}");
    }

    fn calls(path: &str, src: &str) -> Vec<OwnCall> {
        source_facts_from(Path::new(path), src)
            .unwrap()
            .ownership_calls
    }

    #[test]
    fn summaries_for_callers() {
        // the id, the model and the filter come from the caller
        let f = source_facts_from(
            Path::new("/app/app/service/general.js"),
            "const _ = require('lodash');\nexports._item = async (ctx, Model, { query = {} } = {}) => Model.findOne(query);\nexports._update = async (ctx, Model, _id, data, query = {}) => { if (_id) { query = _.assign({}, query, { _id }); } return Model.findOneAndUpdate(query, { $set: data }); };\nexports._mine = async (ctx, userId) => ctx.model.Note.findAll({ where: { userId } });",
        )
        .unwrap()
        .ownership;
        let got: Vec<_> = f
            .iter()
            .map(|a| {
                (
                    a.function.as_str(),
                    a.kind,
                    a.id_param,
                    a.model_param,
                    a.owner_param,
                    a.filter_param.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "_item",
                    AccessKind::FilterParam,
                    None,
                    Some(1),
                    None,
                    Some((2, Some("query".to_string())))
                ),
                (
                    "_update",
                    AccessKind::ById(IdSource::Param),
                    Some(2),
                    Some(1),
                    None,
                    None
                ),
                ("_mine", AccessKind::Owned, None, None, Some(1), None),
            ],
            "{f:?}"
        );
    }

    #[test]
    fn calls_into_services_and_modules() {
        let c = calls(
            "/app/app/service/content.js",
            "const path = require('path');\nconst { _update } = require(path.join(process.cwd(), 'app/service/general'));\nconst general = require('./general');\nclass S { async update(res, _id, payload) { return _update(res, this.ctx.model.Content, _id, payload); }\n async one(id) { return general._item(this.ctx, this.ctx.model.Content, { query: { _id: id } }); } }",
        );
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(
            c[0].callee,
            OwnCallee::Module {
                spec: ModuleSpec::Root("app/service/general".into()),
                function: "_update".into()
            }
        );
        assert_eq!(
            c[0].args,
            vec![
                Val::Param(0),
                Val::Model("Content".into()),
                Val::Param(1),
                Val::Param(2)
            ]
        );
        assert_eq!(
            c[1].callee,
            OwnCallee::Module {
                spec: ModuleSpec::Relative("./general".into()),
                function: "_item".into()
            }
        );
        let c = calls(
            "/app/app/controller/note.js",
            "exports.update = async ctx => { const me = ctx.state.user; const { id } = ctx.params; await ctx.service.note.item.update(id, { title: ctx.request.body.title, owner: me.id }, [me.id]); };\nexports.other = async ctx => { await this.service.note.remove(ctx.query.id); await helper(ctx.params.id); await external(ctx.params.id); await console.log(ctx.params.id); };\nasync function helper(id) { return id; }",
        );
        let got: Vec<_> = c
            .iter()
            .map(|c| (c.callee.clone(), c.args.clone(), c.knows_user))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    OwnCallee::Service {
                        file: "note.item".into(),
                        method: "update".into()
                    },
                    vec![
                        Val::Request,
                        Val::Object(vec![
                            ("title".into(), Val::Request),
                            ("owner".into(), Val::Identity)
                        ]),
                        Val::Other
                    ],
                    true
                ),
                (
                    OwnCallee::Service {
                        file: "note".into(),
                        method: "remove".into()
                    },
                    vec![Val::Request],
                    false
                ),
                // (a function of the file: `external` is none, and its call is dropped)
                (OwnCallee::Local("helper".into()), vec![Val::Request], false),
            ],
            "{c:?}"
        );
    }

    #[test]
    fn calls_into_injected_properties() {
        // tegg: a method of an `@Inject()` property's class (its type, else its name
        // capitalised); a property that is not injected is nothing known
        let c = calls(
            "/app/app/module/controller/work.ts",
            "export class WorkController {\n  async update(@Context() ctx: EggContext) { await this.workService.update(ctx.params.id, ctx.request.body); await this.cache.del(ctx.params.id); await this.noteService.remove(ctx.query.id); }\n  @Inject()\n  private workService: WorkService;\n  @Inject() noteService;\n  private cache: Cache;\n}",
        );
        let got: Vec<_> = c
            .iter()
            .map(|c| (c.callee.clone(), c.args.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    OwnCallee::Injected {
                        property: "workService".into(),
                        class: "WorkService".into(),
                        method: "update".into()
                    },
                    vec![Val::Request, Val::Request]
                ),
                (
                    OwnCallee::Injected {
                        property: "noteService".into(),
                        class: "NoteService".into(),
                        method: "remove".into()
                    },
                    vec![Val::Request]
                ),
            ],
            "{c:?}"
        );
        assert_eq!(c[0].callee.display(), "workService.update");
    }

    #[test]
    fn an_object_holding_the_user_is_not_the_user() {
        // `checkInfo` is derived from an object that holds the user's id: comparing it is no
        // ownership check
        let f = facts(
            "exports.update = async ctx => { const body = ctx.request.body; const obj = { title: body.title, uAuthor: ctx.session.user._id }; const info = check(obj); if (info.type === '3') obj.video = 1; await ctx.model.Content.findByIdAndUpdate(body.id, obj); };",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].knows_user && !f[0].compares_user, "{f:?}");
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
