//! Authentication facts: for every function of a file, whether it *rejects* a request that is
//! not authenticated or not allowed (and how), or only loads who the user is and lets everyone
//! through. The app model reads these facts to decide which middleware, decorator or handler
//! check protects a route (`eggsec routes`, rule MW011).
//!
//! What counts as a rejection, as Egg.js apps write it:
//! - `ctx.throw(401|403, ...)`, `ctx.assert(x, 401)`, `throw new UnauthorizedError(...)` (an
//!   error named for authentication or permission, or built with 401/403);
//! - `ctx.status = 401|403`, `ctx.body = { code: 401, ... }`;
//! - a redirect to a login page (`ctx.redirect('/login?...')`);
//! - an `if` whose test reads who the user is (`ctx.session.user`, `ctx.state.user`, a token from
//!   a header or cookie, `ctx.isAuthenticated()`, a guard-named call such as
//!   `this.requiresPermissions('x')`) and whose branch leaves (`return`/`throw`) without calling
//!   `next()`;
//! - a guard call that throws on failure (`await this.userRoleManager.requiredAuthorizedUser(ctx)`,
//!   `checkLogin(ctx)`, `ensureAdmin()`);
//! - a JWT `verify` outside `try`, or inside one whose `catch` leaves.
//!
//! A middleware that reads the user (or verifies a token in a `try` and swallows the error) but
//! never rejects is *pass-through*: it does not make a route require authentication.

use crate::facts::{Place, SourceFacts};
use crate::mistakes::{ends_ci, has_ci, starts_ci};
use crate::namer::Namer;
use crate::routes::{member_path, member_path_ref, MemberPath};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::span::{GetSpan, Span};
use oxc::syntax::scope::ScopeFlags;
use std::collections::BTreeSet;

mod path;
use path::PathLocal;
pub use path::{PathAtom, PathCond, PathList, PathOp};
mod scope;
pub use scope::ParamRef;
use scope::{ObjScope, Scope};

/// At most this many calls into the app's own code are kept per function for
/// [`AuthFn::reads_via`]; a function that makes more is taken to change something.
const MAX_READS_VIA: usize = 16;

/// How [`AuthFn::reads_via`] names a call of the function's own parameter: `@arg1` for `cb(list)`
/// in `async queryPage(params, cb)`.
pub const PARAM_CALL: &str = "@arg";

/// The calls that only read (`data/reads.toml`).
struct Reads {
    methods: HashSet<String>,
    chained: HashSet<String>,
    roots: HashSet<String>,
    builders: HashSet<String>,
    packages: HashSet<String>,
    ctx: HashSet<String>,
    ctx_builtin: HashSet<String>,
}

fn reads() -> &'static Reads {
    static READS: std::sync::LazyLock<Reads> = std::sync::LazyLock::new(|| {
        #[derive(serde::Deserialize)]
        struct File {
            methods: Vec<String>,
            chained: Vec<String>,
            roots: Vec<String>,
            builders: Vec<String>,
            packages: Vec<String>,
            ctx: Vec<String>,
            ctx_builtin: Vec<String>,
        }
        // (embedded and checked by a unit test: it always parses)
        let f: File = toml::from_str(include_str!("../data/reads.toml")).unwrap_or(File {
            methods: vec![],
            chained: vec![],
            roots: vec![],
            builders: vec![],
            packages: vec![],
            ctx: vec![],
            ctx_builtin: vec![],
        });
        Reads {
            methods: f.methods.into_iter().collect(),
            chained: f.chained.into_iter().collect(),
            roots: f.roots.into_iter().collect(),
            builders: f.builders.into_iter().collect(),
            packages: f.packages.into_iter().collect(),
            ctx: f.ctx.into_iter().collect(),
            ctx_builtin: f.ctx_builtin.into_iter().collect(),
        }
    });
    &READS
}

/// One reason a function rejects unauthenticated requests.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    pub line: u32,
    /// The code that rejects, shortened (`ctx.throw(401)`, `if (!ctx.session.user) return`).
    pub what: String,
    /// The tests on the request's path it happens under, all of them
    /// (`if (authUrls.includes(ctx.url)) { … }`; see [`path`]). Empty: every request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<PathCond>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What one function does about authentication.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct AuthFn {
    /// Method, function or export name (`<anonymous>` for an unnamed function), named as the
    /// flow facts name it.
    pub name: String,
    pub class: Option<String>,
    /// Position of the function node (the same as [`crate::flow::FunctionFacts`]).
    pub line: u32,
    pub column: u32,
    /// How it rejects; empty when it never does.
    pub rejections: Vec<Rejection>,
    /// It reads who the user is (session/state user, a token) — with or without rejecting.
    pub reads_identity: bool,
    /// It calls a `next` parameter (a middleware that passes the request on).
    pub calls_next: bool,
    /// Last names of everything it calls (`requiredAuthorizedUser`), for user-named guards.
    pub calls: Vec<String>,
    /// Decorators on the method (`checkPermission`, `Middleware`), by the name they call.
    pub decorators: Vec<String>,
    /// Calls made outside any `try` whose callee may live in another file, for the app model
    /// to follow one hop: `checkAuth` (a plain function, maybe imported) and `Receiver.method`,
    /// where `Receiver` is the receiver's declared type when it has one
    /// (`const authToken: IAuthToken = ...; await authToken.signToken()` →
    /// `IAuthToken.signToken`; `@inject() auth: AuthService` … `this.auth.check()` →
    /// `AuthService.check`), else its name (`authUtil.check`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// Every way through the body throws (`throw new NotFoundError(...)`, `ctx.throw(404)`,
    /// `if (x) throw a; throw b;`) before it does anything else: the function never completes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub always_throws: bool,
    /// The body does nothing but call this (`await this.homeService.misc(ctx.path)`), named as
    /// [`AuthFn::via`] names calls (`HomeService.misc`; `this.m` for a method of the same
    /// class; `f` for a plain function): when that always throws, so does this function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throws_via: Option<String>,
    /// Nothing in the body (its closures included) may change state: every call is one that
    /// only reads (`data/reads.toml`: `Post.find(…).lean()`, `ctx.validate`, `list.map`) or
    /// one of [`AuthFn::reads_via`], and no assignment reaches the session, the app or a global.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reads_only: bool,
    /// The line of the first call or assignment that may change state (0: none): a rejection
    /// above it stops the request before anything is written.
    #[serde(skip_serializing_if = "is_zero")]
    pub first_change: u32,
    /// The calls into the app's own code that must only read too for the function to, named as
    /// [`AuthFn::via`] names calls (`this.m`, `Parent.m`, `f`, `HomeService.list`), a service as
    /// `ctx.service.<dotted name>.<method>` (`ctx.service.post.findAll`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reads_via: Vec<String>,
    /// Writes keyed by a parameter (`async remove({ id, uid }) { … mysql.delete('follow', { uid,
    /// follow_id: id }) }`, see [`scope`]), each by the parameters any one of which keys it:
    /// they change nothing an anonymous request could abuse when the caller passes its own
    /// identity there, else they are writes. Not counted against [`AuthFn::reads_only`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scoped_writes: Vec<Vec<ParamRef>>,
    /// For calls of [`AuthFn::reads_via`]: the callee's parameters every such call fills with
    /// the caller's own identity (`remove({ uid, id })` with `uid` from the session or a look-up
    /// by the caller's token → key `uid` of argument 0).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity_args: Vec<(String, Vec<ParamRef>)>,
    /// For calls of [`AuthFn::reads_via`]: the fewest arguments any such call passes (a spread
    /// argument counts as many), and the positions where every such call passes a function
    /// written inline (a bit per position; its body is walked as this function's, so what it
    /// does is already counted here). A callee's call of its own parameter `i` (`if (cb) list =
    /// cb(list)`, named [`PARAM_CALL`]`i` in its `reads_via`) runs what the caller passed
    /// there: nothing when the caller passes fewer than `i + 1` arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via_arity: Vec<(String, u32, u32)>,
    /// What says the function signs a user up (see [`Account`]).
    #[serde(skip_serializing_if = "Account::is_empty")]
    pub account: Account,
}

/// Sign-up evidence: a function that creates a user record from a password it is given, and
/// takes no role or other privilege from its input, lets a visitor open an account — what a
/// sign-up endpoint is for, whatever it is called (`addUser`, `createByEmail`, `POST /users`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// It calls something that creates a user (`ctx.service.user.create(...)`,
    /// `this.userService.createByEmail(body)`, `ctx.model.User.create(...)`, `new this.User(data)`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub creates_user: bool,
    /// Those calls into the app's own code, named as [`AuthFn::reads_via`] names calls, for the
    /// app model to read the password and privilege fields of the callee.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub creates_via: Vec<String>,
    /// It names a password field: a key, a destructured key, a property or a parameter
    /// (`password`, `passwd`, `pwd`, `userPassword`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub password: bool,
    /// It takes a privilege from its input: a destructured key or parameter, or an object key
    /// whose value is not a literal, naming a role, an admin or super flag, a permission
    /// (`{ role }`, `purviewId: purview`; not `role: 'normal'`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub privilege: bool,
}

impl Account {
    pub fn is_empty(&self) -> bool {
        *self == Account::default()
    }
}

// (the name tests below run for every member, key and call: case-insensitive, no copies)

/// A field that holds a password.
fn is_password_name(k: &str) -> bool {
    ["pwd", "passwd", "pass"]
        .iter()
        .any(|w| k.eq_ignore_ascii_case(w))
        || ends_ci(k, "password")
}

/// A field that grants a privilege (`role`, `roleId`, `isAdmin`, `is_super`, `purviewId`,
/// `permissions`).
fn is_privilege_name(k: &str) -> bool {
    [
        "role",
        "admin",
        "super",
        "purview",
        "permission",
        "authorit",
        "privilege",
        "grant",
    ]
    .iter()
    .any(|w| has_ci(k, w))
}

/// A word naming a user record or its service (`user`, `userService`, `Users`, `account`,
/// `member`, `customer`).
fn is_user_word(k: &str) -> bool {
    ["user", "account", "member", "customer"]
        .iter()
        .any(|w| has_ci(k, w))
}

/// A call that creates a user: a creating method (`create*`, `add*`, `insert*`, `register*`,
/// `signup*`) on a user receiver or naming a user (`service.user.create`, `User.create`,
/// `this.userService.createByEmail`, `addUser`).
fn is_user_creation(p: &[&str]) -> bool {
    let Some((m, recv)) = p.split_last() else {
        return false;
    };
    let creating = ["create", "add", "insert", "register", "signup"]
        .iter()
        .any(|w| starts_ci(m, w));
    creating && (is_user_word(m) || recv.iter().any(|r| is_user_word(r)))
}

impl AuthFn {
    pub fn rejects(&self) -> bool {
        !self.rejections.is_empty()
    }
}

/// An import binding of the file: `import x from './a'`, `const { y } = require('../b')`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportBinding {
    pub local: String,
    /// The specifier as written.
    pub specifier: String,
    /// The export it names (`default` for a default import or a whole `require`).
    pub export: String,
}

struct Frame {
    f: AuthFn,
    next_param: Option<String>,
    /// The first parameter's name (a middleware factory's `options`).
    first_param: Option<String>,
    /// Locals bound from who-the-user-is expressions (`const token = ctx.get('authorization')`).
    identity_vars: HashSet<String>,
    calls: BTreeSet<String>,
    /// Locals with a declared type (`const authToken: IAuthToken`), by name.
    local_types: HashMap<String, String>,
    via: BTreeSet<String>,
    /// Something in the body may change state (see [`AuthFn::reads_only`]).
    changes: bool,
    reads_via: BTreeSet<String>,
    /// Locals bound to the caller's own identity (see [`scope`]).
    caller_vars: HashSet<String>,
    /// Locals a parameter binds, as the caller fills it.
    param_refs: HashMap<String, ParamRef>,
    /// Locals bound to an object literal a write may take as its filter.
    obj_locals: HashMap<String, ObjScope>,
    scoped_writes: Vec<Vec<ParamRef>>,
    /// [`AuthFn::identity_args`] so far; a callee called without them maps to an empty list.
    identity_args: std::collections::BTreeMap<String, Vec<ParamRef>>,
    /// Locals bound to an object built in memory (`const cipher = crypto.createCipheriv(…)`).
    memory_locals: HashSet<String>,
    /// [`AuthFn::via_arity`] so far.
    via_arity: std::collections::BTreeMap<String, (u32, u32)>,
}

struct AuthVisitor<'p, 't> {
    at: &'p Place<'t>,
    frames: Vec<Frame>,
    namer: Namer,
    decorators: HashMap<u32, Vec<String>>,
    /// Declared types of the properties of the classes being walked (`auth: AuthService`).
    class_prop_types: Vec<HashMap<String, String>>,
    /// Nesting of `try` blocks (a throwing `verify` inside one does not reject by itself).
    try_depth: usize,
    /// A token `verify` was seen in the current `try` block.
    verify_in_try: Vec<bool>,
    out_fns: Vec<AuthFn>,
    imports: Vec<ImportBinding>,
    /// Inside code only a signed-in user reaches (`if (ctx.user && ctx.user.is_block) { … }`,
    /// the rest of a block after `if (!ctx.user) return next();`): a denial there does not stop
    /// an anonymous request.
    known_user: u32,
    /// Inside code that runs after the request went on to `next()` (the `catch` of an error
    /// handler's `try { await next(); }`, the statements after a plain `await next();`): what
    /// it sets answers for the downstream code, it stops no request.
    after_next: u32,
    /// Each class being walked: its superclass and the methods it defines, for `this.m()`
    /// inherited from a class of another file (`this.getPackageEntityAndRequiredMaintainer()`
    /// of cnpmcore's `AbstractController`).
    supers: Vec<(Option<String>, HashSet<String>)>,
    /// Locals holding the request's path or a list of paths, with the depth of the frame that
    /// binds them (see [`path`]).
    path_locals: Vec<(usize, String, PathLocal)>,
    /// The path tests the code being walked runs under.
    path_conds: Vec<PathCond>,
    /// The file's own functions called by name (`getErrRes(err, ctx)`): in code after `next()`
    /// (`true`), elsewhere (`false`).
    local_calls: HashSet<(String, bool)>,
}

/// Runs the authentication extractor over a parsed file.
pub(crate) fn extract(program: &Program<'_>, at: &Place<'_>, out: &mut SourceFacts) {
    let mut v = AuthVisitor {
        at,
        frames: Vec::new(),
        namer: Namer::default(),
        decorators: HashMap::new(),
        class_prop_types: Vec::new(),
        try_depth: 0,
        verify_in_try: Vec::new(),
        out_fns: Vec::new(),
        imports: Vec::new(),
        known_user: 0,
        after_next: 0,
        supers: Vec::new(),
        path_locals: Vec::new(),
        path_conds: Vec::new(),
        local_calls: HashSet::new(),
    };
    v.visit_program(program);
    // a function the file calls only from an error handler (`catch (err) { getErrRes(err, ctx) }`
    // after `try { await next(); }`) answers for requests that already ran: its redirects and
    // throws stop nothing
    for f in &mut v.out_fns {
        if f.class.is_none()
            && !f.rejections.is_empty()
            && v.local_calls.contains(&(f.name.clone(), true))
            && !v.local_calls.contains(&(f.name.clone(), false))
        {
            f.rejections.clear();
        }
    }
    out.auth = v.out_fns;
    out.imports = v.imports;
}

/// `ctx.x.y` / `this.ctx.x.y` / `context.x.y` → `["ctx", "x", "y"]`.
fn ctx_path<'a>(expr: &Expression<'a>) -> Option<MemberPath<'a>> {
    let mut p = member_path_ref(expr)?;
    if p.len() >= 2 && p[0] == "this" && p[1] == "ctx" {
        p.remove(0);
    } else if p[0] == "context" {
        p[0] = "ctx";
    }
    Some(p)
}

/// An aggregation pipeline that may write: a stage `$out` or `$merge`, or one eggsec cannot read
/// (not an array literal of object literals; a spread).
fn pipeline_may_write(it: &CallExpression<'_>) -> bool {
    let Some(Expression::ArrayExpression(a)) = it
        .arguments
        .first()
        .and_then(|a| a.as_expression())
        .map(|e| e.get_inner_expression())
    else {
        return true;
    };
    a.elements.iter().any(
        |el| match el.as_expression().map(|e| e.get_inner_expression()) {
            Some(Expression::ObjectExpression(o)) => o.properties.iter().any(|p| match p {
                ObjectPropertyKind::ObjectProperty(p) => {
                    p.computed
                        || p.key
                            .static_name()
                            .is_none_or(|k| k == "$out" || k == "$merge")
                }
                ObjectPropertyKind::SpreadProperty(_) => true,
            }),
            _ => true,
        },
    )
}

/// The password and privilege names a binding pattern declares (`{ username, password }`,
/// `{ role }`, a parameter `password`), for [`Account`].
fn note_pattern_names(p: &BindingPattern<'_>, account: &mut Account) {
    match p {
        BindingPattern::BindingIdentifier(id) => {
            account.password |= is_password_name(&id.name);
            account.privilege |= is_privilege_name(&id.name);
        }
        BindingPattern::ObjectPattern(o) => {
            for prop in &o.properties {
                if let Some(k) = prop.key.static_name() {
                    account.password |= is_password_name(&k);
                    account.privilege |= is_privilege_name(&k);
                }
            }
        }
        BindingPattern::AssignmentPattern(a) => note_pattern_names(&a.left, account),
        _ => {}
    }
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// A property or key that names who the user is.
fn is_identity_word(key: &str) -> bool {
    let k = lc(key);
    [
        "user",
        "uid",
        "login",
        "account",
        "admin",
        "member",
        "token",
        "auth",
        "passport",
        "jwt",
        "session",
        "identity",
        "principal",
        "operator",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// A local whose name says it holds a credential (`token`, `signature`, `isLogin`), whatever it
/// was read from (`user` alone is not enough: it is as often a record read from the database).
fn is_credential_ident(name: &str) -> bool {
    let n = lc(name);
    [
        "token",
        "signature",
        "jwt",
        "session",
        "islogin",
        "loggedin",
        "authorized",
        "authenticated",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Header/cookie names that carry credentials.
fn is_credential_name(name: &str) -> bool {
    let n = lc(name);
    [
        "token",
        "auth",
        "session",
        "sid",
        "jwt",
        "cookie",
        "ticket",
        "key",
        "signature",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Call names that check the user or a permission (`requiredAuthorizedUser`,
/// `requiresPermissions`, `checkLogin`, `isAdmin`, `hasPermission`). `throwing` asks for the
/// verbs whose failure throws (`require`, `ensure`, `assert`, `check`, `verify`, `must`).
pub fn is_guard_name(name: &str, throwing: bool) -> bool {
    const NOUNS: &[&str] = &[
        "auth",
        "login",
        "logged",
        "signin",
        "permission",
        "privilege",
        "role",
        "admin",
        "access",
        "user",
        "jurisdiction",
        "power",
        "owner",
        "scope",
    ];
    const THROWING: &[&str] = &[
        "require",
        "ensure",
        "assert",
        "check",
        "verify",
        "must",
        "authorize",
        "authenticate",
        "guard",
    ];
    const TESTS: &[&str] = &["is", "has", "can", "allow", "permit"];
    // the lower-cased name's prefixes, without lower-casing it (most names start with no verb)
    let starts = |v: &&str| {
        name.len() >= v.len() && name.as_bytes()[..v.len()].eq_ignore_ascii_case(v.as_bytes())
    };
    let verb_throw = THROWING.iter().any(starts);
    let verb_test = TESTS.iter().any(starts);
    // `authenticate()`, `authorize()` alone also guard
    let alone = ["authenticate", "authorize", "isauthenticated"]
        .iter()
        .any(|w| name.eq_ignore_ascii_case(w));
    // the nouns (14 searches) only for names that start with a verb
    alone
        || ((verb_throw || (!throwing && verb_test)) && {
            let n = lc(name);
            NOUNS.iter().any(|w| n.contains(w))
        })
}

/// An error class named for authentication or permission failures.
fn is_auth_error_name(name: &str) -> bool {
    let n = lc(name);
    [
        "unauthori",
        "forbidden",
        "permission",
        "noauth",
        "notlogin",
        "nologin",
        "authentication",
        "authorization",
        "accessdenied",
        "notallowed",
        "loginrequired",
        "unauthenticated",
    ]
    .iter()
    .any(|w| n.contains(w))
}

fn number_is_denial(expr: &Expression<'_>) -> bool {
    match expr.get_inner_expression() {
        Expression::NumericLiteral(n) => n.value == 401.0 || n.value == 403.0,
        Expression::StringLiteral(s) => s.value == "401" || s.value == "403",
        _ => false,
    }
}

/// `{ code: 401, ... }` / `{ status: 403 }`.
fn object_has_denial_code(expr: &Expression<'_>) -> bool {
    let Expression::ObjectExpression(o) = expr.get_inner_expression() else {
        return false;
    };
    o.properties.iter().any(|p| match p {
        ObjectPropertyKind::ObjectProperty(p) => {
            let k = p.key.static_name().map(|k| lc(&k)).unwrap_or_default();
            matches!(
                k.as_str(),
                "code" | "status" | "errcode" | "errno" | "statuscode" | "ret"
            ) && number_is_denial(&p.value)
        }
        _ => false,
    })
}

/// Whether a statement leaves the function or request (`return`, `throw`, `ctx.throw(...)`),
/// without handing it on to `next()`.
fn exits(stmt: &Statement<'_>, next: Option<&str>) -> bool {
    match stmt {
        Statement::ReturnStatement(r) => !r
            .argument
            .as_ref()
            .is_some_and(|a| calls_next_expr(a, next)),
        Statement::ThrowStatement(_) => true,
        Statement::ExpressionStatement(e) => {
            if let Expression::CallExpression(c) = e.expression.get_inner_expression() {
                if let Some(p) = member_path(&c.callee) {
                    let last = p.last().map(String::as_str).unwrap_or("");
                    return last == "throw" || (last == "redirect" && p.len() >= 2);
                }
            }
            false
        }
        Statement::BlockStatement(b) => {
            !b.body.iter().any(|s| stmt_calls_next(s, next))
                && b.body.iter().any(|s| exits(s, next))
        }
        _ => false,
    }
}

/// How a function body ends, read before it is walked (see [`AuthFn::always_throws`]).
enum Ends {
    /// Every way through throws, and nothing before that changes anything.
    Throws,
    /// It only calls this (by its member path) and returns what it returns.
    Via(Vec<String>),
    No,
}

/// Whether a body always throws before doing anything: it may declare locals from plain reads,
/// and test them (`if (LIST.includes(path)) throw …`), but not await, assign or call anything
/// else on the way. A body that only makes one call (`await this.svc.m(x)`, `return f(x)`)
/// ends as that call does.
fn only_throws(stmts: &[Statement<'_>]) -> Ends {
    for (i, stmt) in stmts.iter().enumerate() {
        if let Some(e) = stmt_throws(stmt) {
            return e;
        }
        let last = i + 1 == stmts.len();
        match stmt {
            Statement::EmptyStatement(_) => {}
            Statement::IfStatement(it)
                if it.alternate.is_none()
                    && !has_effects(&it.test, true)
                    && stmt_throws(&it.consequent).is_some_and(|e| matches!(e, Ends::Throws)) => {}
            Statement::VariableDeclaration(d)
                if d.declarations
                    .iter()
                    .all(|v| v.init.as_ref().is_none_or(|e| !has_effects(e, false))) => {}
            Statement::ExpressionStatement(e) if last => return only_call(&e.expression),
            Statement::ReturnStatement(r) if last => {
                return r.argument.as_ref().map_or(Ends::No, only_call)
            }
            _ => return Ends::No,
        }
    }
    Ends::No
}

/// A statement that always throws ([`Ends::Throws`]), or ends in one call ([`Ends::Via`]);
/// `None` when it may complete.
fn stmt_throws(stmt: &Statement<'_>) -> Option<Ends> {
    match stmt {
        Statement::ThrowStatement(_) => Some(Ends::Throws),
        Statement::ExpressionStatement(e) => match only_call(&e.expression) {
            Ends::Via(p) if is_ctx_throw(&p) => Some(Ends::Throws),
            _ => None,
        },
        Statement::BlockStatement(b) => match only_throws(&b.body) {
            Ends::Throws => Some(Ends::Throws),
            _ => None,
        },
        Statement::IfStatement(it) => {
            let alt = it.alternate.as_ref()?;
            (!has_effects(&it.test, true)
                && matches!(stmt_throws(&it.consequent), Some(Ends::Throws))
                && matches!(stmt_throws(alt), Some(Ends::Throws)))
            .then_some(Ends::Throws)
        }
        _ => None,
    }
}

/// `ctx.throw` / `this.ctx.throw` (egg's, which always throws).
fn is_ctx_throw(p: &[String]) -> bool {
    matches!(p, [c, t] if c == "ctx" && t == "throw")
        || matches!(p, [this, c, t] if this == "this" && c == "ctx" && t == "throw")
}

/// `await a.b.c(x)` / `a.b.c(x)` whose arguments do nothing themselves → `Via([a, b, c])`.
fn only_call(e: &Expression<'_>) -> Ends {
    let e = match e.get_inner_expression() {
        Expression::AwaitExpression(a) => a.argument.get_inner_expression(),
        e => e,
    };
    let Expression::CallExpression(c) = e else {
        return Ends::No;
    };
    if c.arguments
        .iter()
        .any(|a| a.as_expression().is_none_or(|a| has_effects(a, false)))
    {
        return Ends::No;
    }
    match member_path(&c.callee) {
        Some(p) => Ends::Via(p.into_iter().map(|s| s.to_string()).collect()),
        None => Ends::No,
    }
}

/// Whether evaluating `e` may change something: an `await`, an assignment, `++`, a `yield`,
/// `delete`, a `new`, or (unless `calls_ok`, for a test such as `LIST.includes(x)`) a call.
fn has_effects(e: &Expression<'_>, calls_ok: bool) -> bool {
    struct Effects {
        calls_ok: bool,
        found: bool,
    }
    impl<'a> Visit<'a> for Effects {
        fn visit_expression(&mut self, it: &Expression<'a>) {
            if self.found {
                return;
            }
            match it {
                Expression::AwaitExpression(_)
                | Expression::AssignmentExpression(_)
                | Expression::UpdateExpression(_)
                | Expression::YieldExpression(_)
                | Expression::NewExpression(_) => self.found = true,
                Expression::UnaryExpression(u) if u.operator == UnaryOperator::Delete => {
                    self.found = true
                }
                Expression::CallExpression(_) if !self.calls_ok => self.found = true,
                // a function written here runs only when called
                Expression::FunctionExpression(_) | Expression::ArrowFunctionExpression(_) => {}
                _ => walk::walk_expression(self, it),
            }
        }
    }
    let mut v = Effects {
        calls_ok,
        found: false,
    };
    v.visit_expression(e);
    v.found
}

/// A statement (or block) that ends in `return`.
fn returns(stmt: &Statement<'_>) -> bool {
    match stmt {
        Statement::ReturnStatement(_) => true,
        Statement::BlockStatement(b) => b
            .body
            .iter()
            .any(|s| matches!(s, Statement::ReturnStatement(_))),
        _ => false,
    }
}

/// `await next();` / `next();` / `return next();` as a statement of its own.
fn is_next_call(stmt: &Statement<'_>, next: Option<&str>) -> bool {
    let Some(next) = next else { return false };
    let e = match stmt {
        Statement::ExpressionStatement(e) => &e.expression,
        Statement::ReturnStatement(r) => match &r.argument {
            Some(a) => a,
            None => return false,
        },
        _ => return false,
    };
    let e = match e.get_inner_expression() {
        Expression::AwaitExpression(a) => a.argument.get_inner_expression(),
        Expression::YieldExpression(y) => {
            match y.argument.as_ref().map(|a| a.get_inner_expression()) {
                // koa 1: `yield next;`
                Some(Expression::Identifier(i)) => return i.name == next,
                Some(a) => a,
                None => return false,
            }
        }
        e => e,
    };
    matches!(e, Expression::CallExpression(c)
        if matches!(c.callee.get_inner_expression(), Expression::Identifier(i) if i.name == next))
}

fn calls_next_expr(expr: &Expression<'_>, next: Option<&str>) -> bool {
    let Some(next) = next else { return false };
    let mut f = NextFinder { next, found: false };
    f.visit_expression(expr);
    f.found
}

fn stmt_calls_next(stmt: &Statement<'_>, next: Option<&str>) -> bool {
    let Some(next) = next else { return false };
    let mut f = NextFinder { next, found: false };
    f.visit_statement(stmt);
    f.found
}

struct NextFinder<'n> {
    next: &'n str,
    found: bool,
}

impl<'a> Visit<'a> for NextFinder<'_> {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Expression::Identifier(id) = it.callee.get_inner_expression() {
            if id.name == self.next {
                self.found = true;
            }
        }
        walk::walk_call_expression(self, it);
    }
}

/// Collects the names an `if` test (or a guard argument) reads and calls.
#[derive(Default)]
struct TestNames<'a> {
    idents: Vec<&'a str>,
    paths: Vec<MemberPath<'a>>,
    calls: Vec<(MemberPath<'a>, Option<String>)>,
}

impl<'a> Visit<'a> for TestNames<'a> {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.idents.push(it.name.as_str());
    }
    fn visit_expression(&mut self, it: &Expression<'a>) {
        if matches!(
            it.get_inner_expression(),
            Expression::StaticMemberExpression(_) | Expression::ComputedMemberExpression(_)
        ) {
            if let Some(p) = ctx_path(it) {
                self.paths.push(p);
            }
        }
        walk::walk_expression(self, it);
    }
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Some(p) = ctx_path(&it.callee) {
            let first = it
                .arguments
                .first()
                .and_then(|a| a.as_expression())
                .and_then(string_lit);
            self.calls.push((p, first));
        }
        walk::walk_call_expression(self, it);
    }
}

fn string_lit(e: &Expression<'_>) -> Option<String> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.as_str().to_owned()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
            t.quasis.first().map(|q| q.value.raw.to_string())
        }
        _ => None,
    }
}

/// Whether a member chain (already through [`ctx_path`]) says who the user is:
/// `ctx.session.user`, `ctx.state.user`, `ctx.user`, `ctx.headers.authorization`,
/// `this.user`, `ctx.request.header.token`.
fn is_identity_path<S: AsRef<str>>(p: &[S]) -> bool {
    let s: Vec<&str> = p.iter().map(AsRef::as_ref).collect();
    match s.as_slice() {
        ["ctx", "session" | "state" | "locals", key, ..] => is_identity_word(key),
        ["ctx", "session" | "state"] => false,
        ["ctx", key, ..] if is_identity_word(key) && !starts_with_verb(key) => true,
        ["ctx", "request", "header" | "headers", key, ..]
        | ["ctx", "header" | "headers", key, ..] => is_credential_name(key),
        ["this", key] => is_identity_word(key) && !starts_with_verb(key),
        _ => false,
    }
}

/// `validateUserInput`, `getUserList`, `userService`: names of actions and services, not of
/// who the user is.
fn starts_with_verb(key: &str) -> bool {
    let k = lc(key);
    k.ends_with("service")
        || k.ends_with("model")
        || k.ends_with("manager")
        || [
            "get", "set", "validate", "check", "find", "query", "create", "update", "delete",
            "load", "fetch", "send", "save", "remove", "list", "add", "build", "parse", "format",
            "handle", "gen", "make", "init",
        ]
        .iter()
        .any(|v| k.starts_with(v))
}

/// A call that reads a credential or the user: `ctx.get('authorization')`,
/// `ctx.cookies.get('token')`, `ctx.isAuthenticated()`, `app.jwt.verify(...)`.
fn is_identity_call<S: AsRef<str>>(p: &[S], first: Option<&str>) -> bool {
    let s: Vec<&str> = p.iter().map(AsRef::as_ref).collect();
    match s.as_slice() {
        ["ctx", "get"] | ["ctx", "cookies", "get"] | ["ctx", "request", "get"] => {
            first.is_some_and(is_credential_name)
        }
        [.., last] => {
            matches!(*last, "isAuthenticated" | "isUnauthenticated")
                || (*last == "verify" && is_token_verifier(&s))
        }
        _ => false,
    }
}

/// A function that looks the user up by a credential: `getUserIdByToken`, `findUserByToken`,
/// `getUidBySession` (what it returns is who the user is, absent for an anonymous request).
fn is_user_lookup_name(name: &str) -> bool {
    let n = lc(name);
    ["get", "find", "load", "fetch", "query"]
        .iter()
        .any(|v| n.starts_with(v))
        && ["user", "uid", "account", "member"]
            .iter()
            .any(|w| n.contains(w))
        && ["bytoken", "bysession", "bycookie", "byticket"]
            .iter()
            .any(|w| n.contains(w))
}

/// `jwt.verify`, `app.jwt.verify`, `jsonwebtoken.verify`, `this.app.jwt.verify`,
/// `tokenService.verify`.
fn is_token_verifier(path: &[&str]) -> bool {
    path.len() >= 2
        && path[..path.len() - 1]
            .iter()
            .any(|s| lc(s).contains("jwt") || lc(s).contains("token") || lc(s).contains("auth"))
}

impl<'p, 't> AuthVisitor<'p, 't> {
    fn frame(&mut self) -> Option<&mut Frame> {
        self.frames.last_mut()
    }

    fn reject(&mut self, span: Span, what: &str) {
        // (the place and code are looked up only when the rejection is kept)
        if self.known_user > 0
            || self.after_next > 0
            || self.frames.last().is_none_or(|f| f.f.rejections.len() >= 8)
        {
            return;
        }
        let (line, _) = self.at.line_col(span.start);
        let what = if what.is_empty() {
            self.at.snippet(span.start, span.end)
        } else {
            what.to_string()
        };
        let when = self.path_conds.clone();
        if let Some(f) = self.frame() {
            f.f.rejections.push(Rejection { line, what, when });
        }
    }

    fn enter(&mut self, span: Span, params: &FormalParameters<'_>, ends: Ends) {
        let name = self.namer.name_at(span.start);
        let (line, column) = self.at.line_col(span.start);
        let param = |i: usize| {
            params.items.get(i).and_then(|p| match &p.pattern {
                BindingPattern::BindingIdentifier(id) => Some(id.name.as_str().to_owned()),
                _ => None,
            })
        };
        let (first_param, next_param) = (param(0), param(1));
        let decorators = self.decorators.remove(&span.start).unwrap_or_default();
        let mut account = Account::default();
        for p in &params.items {
            note_pattern_names(&p.pattern, &mut account);
        }
        let mut refs = Vec::new();
        scope::param_refs(params, &mut refs);
        self.frames.push(Frame {
            f: AuthFn {
                name,
                class: self.namer.class(),
                line,
                column,
                decorators,
                always_throws: matches!(ends, Ends::Throws),
                throws_via: match ends {
                    Ends::Via(p) => self.via_name(&p),
                    _ => None,
                },
                account,
                ..AuthFn::default()
            },
            next_param,
            first_param,
            identity_vars: HashSet::new(),
            calls: BTreeSet::new(),
            local_types: HashMap::new(),
            via: BTreeSet::new(),
            changes: false,
            reads_via: BTreeSet::new(),
            caller_vars: HashSet::new(),
            param_refs: refs.into_iter().collect(),
            obj_locals: HashMap::new(),
            scoped_writes: Vec::new(),
            identity_args: std::collections::BTreeMap::new(),
            memory_locals: HashSet::new(),
            via_arity: std::collections::BTreeMap::new(),
        });
    }

    fn leave(&mut self) {
        if let Some(mut fr) = self.frames.pop() {
            let depth = self.frames.len();
            self.path_locals.retain(|(d, _, _)| *d <= depth);
            fr.f.calls = fr.calls.into_iter().take(64).collect();
            fr.f.via = fr.via.into_iter().take(32).collect();
            fr.f.reads_only = !fr.changes;
            fr.f.reads_via = if fr.changes {
                Vec::new()
            } else {
                fr.reads_via.iter().cloned().collect()
            };
            if !fr.changes {
                fr.f.scoped_writes = std::mem::take(&mut fr.scoped_writes);
                fr.f.identity_args = std::mem::take(&mut fr.identity_args)
                    .into_iter()
                    .filter(|(_, r)| !r.is_empty())
                    .collect();
                fr.f.via_arity = fr
                    .via_arity
                    .iter()
                    .map(|(k, (n, m))| (k.clone(), *n, *m))
                    .collect();
            }
            // a closure's rejection (`descriptor.value = async function () { ... }` in a
            // decorator factory, the middleware returned by a factory) also counts for the
            // function that builds it
            if let Some(parent) = self.frames.last_mut() {
                if parent.f.rejections.is_empty() {
                    parent
                        .f
                        .rejections
                        .extend(fr.f.rejections.iter().take(2).cloned());
                }
                parent.f.reads_identity |= fr.f.reads_identity;
                // the middleware a factory returns calls the guard: the factory does too
                if parent.via.len() < 32 {
                    parent.via.extend(fr.f.via.iter().take(8).cloned());
                }
                // a callback's writes are its caller's (`list.map(x => Model.create(x))`)
                if fr.changes && parent.f.first_change == 0 {
                    parent.f.first_change = fr.f.first_change.max(fr.f.line);
                }
                // a closure's writes keyed by its own parameters are writes of the caller's
                parent.changes |= fr.changes || !fr.f.scoped_writes.is_empty();
                // a closure that calls its own parameter runs what it is given (an array's
                // items, a callback): not known here
                parent.changes |= fr.reads_via.iter().any(|v| v.starts_with(PARAM_CALL));
                if !parent.changes {
                    // the closure's calls pass no identity of the parent's
                    for v in &fr.reads_via {
                        parent.identity_args.insert(v.clone(), Vec::new());
                        if let Some(&(n, m)) = fr.via_arity.get(v) {
                            let e = parent.via_arity.entry(v.clone()).or_insert((n, m));
                            *e = (e.0.min(n), e.1 & m);
                        }
                    }
                    parent.reads_via.extend(fr.reads_via);
                    if parent.reads_via.len() > MAX_READS_VIA {
                        parent.changes = true;
                    }
                }
            }
            self.out_fns.push(fr.f);
        }
    }

    /// The name another file may implement a call under, as [`AuthFn::via`] names it:
    /// `this.auth.check` → `AuthService.check` by the property's declared type, `this.m` the
    /// class does not define → `Parent.m`. `this_method` names a method the class defines
    /// (`this.m`, for [`AuthFn::throws_via`]); `None` drops it.
    fn receiver_name<S: AsRef<str>>(&self, p: &[S], this_method: bool) -> Option<String> {
        let prop_type = |k: &str| self.class_prop_types.last().and_then(|m| m.get(k)).cloned();
        match p {
            [this, recv, m] if this.as_ref() == "this" && recv.as_ref() != "ctx" => {
                prop_type(recv.as_ref()).map(|t| format!("{t}.{}", m.as_ref()))
            }
            [this, m] if this.as_ref() == "this" => {
                let m = m.as_ref();
                match self.supers.last() {
                    Some((Some(parent), methods)) if !methods.contains(m) => {
                        Some(format!("{parent}.{m}"))
                    }
                    _ => this_method.then(|| format!("this.{m}")),
                }
            }
            _ => None,
        }
    }

    /// [`AuthFn::throws_via`]'s name for the call a body only makes.
    fn via_name(&self, p: &[String]) -> Option<String> {
        match p {
            [f] => Some(f.clone()),
            _ => self.receiver_name(p, true),
        }
    }

    /// The name another file may implement a call under (see [`AuthFn::via`]): `f`,
    /// `Type.m` / `recv.m`, `this.x.m` by the property's type.
    fn call_name(&self, p: &[&str]) -> Option<String> {
        match *p {
            [f] if f != "require" && f != "next" => Some(f.to_string()),
            ["this", ..] => self.receiver_name(p, false),
            [recv, m] if recv != "ctx" && recv != "app" => {
                let t = self
                    .frames
                    .last()
                    .and_then(|f| f.local_types.get(recv))
                    .cloned();
                Some(format!("{}.{m}", t.unwrap_or_else(|| recv.to_string())))
            }
            _ => None,
        }
    }

    /// Records a call another file may implement (see [`AuthFn::via`]).
    fn note_via(&mut self, p: &[&str]) {
        let entry = self.call_name(p);
        if let (Some(e), Some(f)) = (entry, self.frames.last_mut()) {
            if f.via.len() < 32 {
                f.via.insert(e);
            }
        }
    }

    /// What a call may do to state (see [`AuthFn::reads_only`]): `Some(None)` only reads,
    /// `Some(Some(name))` does what the app's own `name` does, `None` may change something.
    fn call_effect(&self, it: &CallExpression<'_>, p: Option<&[&str]>) -> Option<Option<String>> {
        let r = reads();
        let Some(p) = p else {
            // `Post.find(filter).lean()`: a method of a call's result (the inner call is
            // walked on its own)
            return match it.callee.get_inner_expression() {
                Expression::StaticMemberExpression(m)
                    if r.methods.contains(m.property.name.as_str())
                        || r.chained.contains(m.property.name.as_str())
                        || self.built_in_memory(&m.object) =>
                {
                    Some(None)
                }
                _ => None,
            };
        };
        // the app's own code first, whatever its methods are called: services, the class's
        // methods, typed properties, a module the file requires or imports
        match p {
            ["ctx" | "this" | "app", "service", rest @ .., m] | ["service", rest @ .., m]
                if !rest.is_empty() =>
            {
                return Some(Some(format!("ctx.service.{}.{m}", rest.join("."))));
            }
            // the app's helper (`app/extend/helper.js`): `ctx.helper.success(data)`
            ["ctx", "helper", m] => return Some(Some(format!("ctx.helper.{m}"))),
            // the app's context extension (`app/extend/context.js`): `ctx.returnService(p)`;
            // not egg's, koa's or a plugin's own context methods
            ["ctx", m] if !r.ctx.contains(*m) && !r.ctx_builtin.contains(*m) => {
                return Some(Some(format!("ctx.{m}")))
            }
            ["this", _] | ["this", _, _] => {
                if let Some(name) = self.receiver_name(p, true) {
                    return Some(Some(name));
                }
            }
            [recv, _]
                if self
                    .imports
                    .iter()
                    .any(|i| i.local == *recv && i.specifier.starts_with('.')) =>
            {
                return self.call_name(p).map(Some);
            }
            [f] if r.roots.contains(*f) => return Some(None),
            // anything imported from a package that only computes (`json(ctx.req)` of co-body)
            [local, ..]
                if self
                    .imports
                    .iter()
                    .any(|i| i.local == *local && r.packages.contains(&i.specifier)) =>
            {
                return Some(None)
            }
            // the function's own parameter: what the caller passes there
            [f] => {
                if let Some(ParamRef::Arg(i)) =
                    self.frames.last().and_then(|fr| fr.param_refs.get(*f))
                {
                    return Some(Some(format!("{PARAM_CALL}{i}")));
                }
                return Some(Some(f.to_string()));
            }
            _ => {}
        }
        let last = *p.last()?;
        match p {
            ["ctx", m, ..] if r.ctx.contains(*m) => Some(None),
            ["ctx", "response" | "request", m] if r.ctx.contains(*m) => Some(None),
            [root, ..] if r.roots.contains(*root) || r.builders.contains(*root) => Some(None),
            [local, _]
                if self
                    .frames
                    .last()
                    .is_some_and(|f| f.memory_locals.contains(*local)) =>
            {
                Some(None)
            }
            // `Model.aggregate([{ $lookup }, { $skip }], cb)`: a read unless a stage writes
            _ if last == "aggregate" => (!pipeline_may_write(it)).then_some(None),
            _ if r.methods.contains(last) => Some(None),
            _ => None,
        }
    }

    /// An object built in memory by a call on a builder root (`data/reads.toml`:
    /// `crypto.createHash('md5')`, `crypto.createCipheriv(…).update(s)`), or a local bound to
    /// one (`cipher`): its methods only compute.
    fn built_in_memory(&self, e: &Expression<'_>) -> bool {
        match e.get_inner_expression() {
            Expression::Identifier(i) => self
                .frames
                .last()
                .is_some_and(|f| f.memory_locals.contains(i.name.as_str())),
            Expression::CallExpression(c) => match ctx_path(&c.callee) {
                Some(p) => {
                    reads().builders.contains(p[0])
                        || (p.len() == 2
                            && self
                                .frames
                                .last()
                                .is_some_and(|f| f.memory_locals.contains(p[0])))
                }
                None => match c.callee.get_inner_expression() {
                    Expression::StaticMemberExpression(m) => self.built_in_memory(&m.object),
                    _ => false,
                },
            },
            _ => false,
        }
    }

    fn note_call_effect(&mut self, it: &CallExpression<'_>, p: Option<&[&str]>) {
        if self.frames.last().is_none_or(|f| f.changes) {
            return;
        }
        let effect = self.call_effect(it, p);
        // a write keyed by the caller's identity, here or through a parameter (see [`scope`])
        let scope = match (&effect, p) {
            (None, Some(p)) => self.write_scope(it, p),
            _ => None,
        };
        let given = match &effect {
            Some(Some(_)) => self.identity_args(it),
            _ => Vec::new(),
        };
        if let Some(f) = self.frames.last_mut() {
            match effect {
                Some(None) => {}
                Some(Some(name)) if f.reads_via.len() < MAX_READS_VIA => {
                    let arity = if it
                        .arguments
                        .iter()
                        .any(|a| matches!(a, Argument::SpreadElement(_)))
                    {
                        u32::MAX
                    } else {
                        it.arguments.len() as u32
                    };
                    let inline =
                        it.arguments
                            .iter()
                            .take(32)
                            .enumerate()
                            .fold(0u32, |m, (i, a)| {
                                let f = matches!(
                                    a.as_expression().map(|e| e.get_inner_expression()),
                                    Some(
                                        Expression::ArrowFunctionExpression(_)
                                            | Expression::FunctionExpression(_)
                                    )
                                );
                                if f {
                                    m | (1 << i)
                                } else {
                                    m
                                }
                            });
                    let n = f.via_arity.entry(name.clone()).or_insert((arity, inline));
                    *n = (n.0.min(arity), n.1 & inline);
                    // every call of the callee must pass the identity for it to count
                    let first = !f.reads_via.contains(&name);
                    let e = f.identity_args.entry(name.clone()).or_default();
                    if first {
                        *e = given;
                    } else {
                        e.retain(|r| given.contains(r));
                    }
                    f.reads_via.insert(name);
                }
                _ => {
                    if f.f.first_change == 0 {
                        f.f.first_change = self.at.line_col(it.span.start).0;
                    }
                    match scope {
                        Some(Scope::Caller) => {}
                        Some(Scope::Params(mut refs)) if f.scoped_writes.len() < 8 => {
                            refs.sort();
                            refs.dedup();
                            f.scoped_writes.push(refs);
                        }
                        _ => f.changes = true,
                    }
                }
            }
        }
    }

    fn next_name(&self) -> Option<String> {
        self.frames.iter().rev().find_map(|f| f.next_param.clone())
    }

    /// Whether a test expression asks who the user is, or calls a guard.
    fn test_is_auth(&self, test: &Expression<'_>) -> bool {
        let mut names = TestNames::default();
        names.visit_expression(test);
        names.idents.iter().any(|i| self.identity_local(i))
            || names.paths.iter().any(|p| is_identity_path(p))
            || names
                .calls
                .iter()
                .any(|(p, first)| identity_or_guard_call(p, first.as_deref()))
    }

    /// A local that holds who the user is or a credential: bound from one in this function
    /// (`const token = ctx.get('authorization')`), or named for one (`token`, `isLogin`).
    fn identity_local(&self, name: &str) -> bool {
        is_credential_ident(name)
            || self
                .frames
                .last()
                .is_some_and(|f| f.identity_vars.contains(name))
    }

    /// Whether an expression *is* who the user is or a credential (for binding identity
    /// locals): `ctx.session.user`, `ctx.get('authorization')`, `await checkLogin()`,
    /// `a || b` of those — not any expression that merely passes one along as an argument.
    /// A call that looks the user up by a credential ([`is_user_lookup_name`]).
    fn user_lookup(&self, e: &Expression<'_>) -> bool {
        match e.get_inner_expression() {
            Expression::AwaitExpression(a) => self.user_lookup(&a.argument),
            Expression::CallExpression(c) => member_path_ref(&c.callee)
                .and_then(|p| p.last().copied())
                .is_some_and(is_user_lookup_name),
            _ => false,
        }
    }

    fn expr_is_identity(&self, e: &Expression<'_>) -> bool {
        match e.get_inner_expression() {
            Expression::AwaitExpression(a) => self.expr_is_identity(&a.argument),
            Expression::YieldExpression(y) => y
                .argument
                .as_ref()
                .is_some_and(|a| self.expr_is_identity(a)),
            Expression::LogicalExpression(l) => {
                self.expr_is_identity(&l.left) || self.expr_is_identity(&l.right)
            }
            Expression::Identifier(i) => self.identity_local(&i.name),
            Expression::CallExpression(c) => {
                let Some(p) = ctx_path(&c.callee) else {
                    return false;
                };
                let first = c
                    .arguments
                    .first()
                    .and_then(|a| a.as_expression())
                    .and_then(string_lit);
                identity_or_guard_call(&p, first.as_deref())
            }
            e @ (Expression::StaticMemberExpression(_)
            | Expression::ComputedMemberExpression(_)) => {
                ctx_path(e).is_some_and(|p| is_identity_path(&p))
            }
            _ => false,
        }
    }

    /// A block that leaves, where the only ways on to `next()` are branches a known user or a
    /// credential takes: `if (!user) { if (token) { const u = await findByToken(token); if (u) {
    /// ctx.login(u); return next(); } } ctx.status = 401; return; }` (a token login inside the
    /// not-signed-in branch): an anonymous request leaves.
    fn exits_unless_known(&self, stmt: &Statement<'_>, next: Option<&str>) -> bool {
        let Statement::BlockStatement(b) = stmt else {
            return false;
        };
        for s in &b.body {
            if !stmt_calls_next(s, next) {
                if exits(s, next) {
                    return true;
                }
                continue;
            }
            let known_only = match s {
                Statement::IfStatement(i) => {
                    self.anonymous(&i.test) == Some(false)
                        && i.alternate
                            .as_ref()
                            .is_none_or(|a| !stmt_calls_next(a, next))
                }
                _ => false,
            };
            if !known_only {
                return false;
            }
        }
        false
    }

    /// What a test is for a request that carries no user and no credential: `Some(false)` for
    /// `ctx.user && …`, `token && …`, `ctx.isAuthenticated()`; `Some(true)` for `!ctx.user`,
    /// `!token || …`; `None` when it depends on anything else (`ctx.method !== 'GET'`, a
    /// property of the user, which an anonymous request cannot even read).
    fn anonymous(&self, e: &Expression<'_>) -> Option<bool> {
        match e.get_inner_expression() {
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
                self.anonymous(&u.argument).map(|b| !b)
            }
            Expression::AwaitExpression(a) => self.anonymous(&a.argument),
            Expression::LogicalExpression(l) => {
                let (left, right) = (self.anonymous(&l.left), self.anonymous(&l.right));
                match l.operator {
                    LogicalOperator::And => match left {
                        Some(true) => right,
                        _ if left == Some(false) || right == Some(false) => Some(false),
                        _ => None,
                    },
                    LogicalOperator::Or => match left {
                        Some(false) => right,
                        _ if left == Some(true) || right == Some(true) => Some(true),
                        _ => None,
                    },
                    LogicalOperator::Coalesce => None,
                }
            }
            Expression::Identifier(i) => self.identity_local(&i.name).then_some(false),
            e @ (Expression::StaticMemberExpression(_)
            | Expression::ComputedMemberExpression(_)) => ctx_path(e)
                .is_some_and(|p| names_the_user(&p))
                .then_some(false),
            Expression::CallExpression(c) => {
                let p = ctx_path(&c.callee)?;
                let last = *p.last()?;
                let first = c
                    .arguments
                    .first()
                    .and_then(|a| a.as_expression())
                    .and_then(string_lit);
                if last == "isUnauthenticated" {
                    Some(true)
                } else if last != "verify" && identity_or_guard_call(&p, first.as_deref()) {
                    Some(false)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// A call that reads who the user is or a credential ([`is_identity_call`]), or checks the user
/// or a permission by its name ([`is_guard_name`]: `isAdmin(ctx)`, `checkLogin()`).
fn identity_or_guard_call(p: &[&str], first: Option<&str>) -> bool {
    is_identity_call(p, first) || p.last().is_some_and(|l| is_guard_name(l, false))
}

/// A member chain (through [`ctx_path`]) that *is* who the user is or a credential — absent on
/// an anonymous request — not a property of it: `ctx.user`, `ctx.session.userId`,
/// `ctx.state.user`, `ctx.headers.authorization`, `this.user` (not `ctx.user.is_block`).
fn names_the_user(p: &[&str]) -> bool {
    match p {
        ["ctx" | "this", key] => is_identity_word(key) && !starts_with_verb(key),
        ["ctx", "session" | "state" | "locals", key] => is_identity_word(key),
        ["ctx", "request", "header" | "headers", key] | ["ctx", "header" | "headers", key] => {
            is_credential_name(key)
        }
        _ => false,
    }
}

impl<'a> Visit<'a> for AuthVisitor<'_, '_> {
    fn visit_class(&mut self, it: &Class<'a>) {
        self.namer.enter_class(it);
        let mut props = HashMap::new();
        for el in &it.body.body {
            if let ClassElement::PropertyDefinition(pd) = el {
                if let (Some(k), Some(t)) = (
                    pd.key.static_name(),
                    pd.type_annotation
                        .as_ref()
                        .and_then(|t| type_ref_name(&t.type_annotation)),
                ) {
                    props.insert(k.to_string(), t);
                }
            }
        }
        self.class_prop_types.push(props);
        let parent = crate::namer::superclass(it);
        let methods = it
            .body
            .body
            .iter()
            .filter_map(|el| match el {
                ClassElement::MethodDefinition(m) => m.key.static_name().map(|k| k.into_owned()),
                ClassElement::PropertyDefinition(p) => p.key.static_name().map(|k| k.into_owned()),
                _ => None,
            })
            .collect();
        self.supers.push((parent, methods));
        walk::walk_class(self, it);
        self.supers.pop();
        self.class_prop_types.pop();
        self.namer.leave_class();
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        self.namer.method(it);
        let decos: Vec<String> = it
            .decorators
            .iter()
            .filter_map(|d| {
                let callee = match &d.expression {
                    Expression::CallExpression(c) => &c.callee,
                    e => e,
                };
                member_path(callee).and_then(|p| p.last().cloned())
            })
            .collect();
        if !decos.is_empty() {
            self.decorators.insert(it.value.span.start, decos);
        }
        walk::walk_method_definition(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        self.namer.property(it);
        if let (Some(k), Some(f)) = (it.key.static_name(), self.frames.last_mut()) {
            if is_password_name(&k) {
                f.f.account.password = true;
            }
            // `role: 'normal'` is the server's choice; `purviewId: purview` is the input's
            if is_privilege_name(&k)
                && !matches!(
                    it.value.get_inner_expression(),
                    Expression::StringLiteral(_)
                        | Expression::NumericLiteral(_)
                        | Expression::BooleanLiteral(_)
                        | Expression::NullLiteral(_)
                )
            {
                f.f.account.privilege = true;
            }
        }
        walk::walk_object_property(self, it);
    }

    fn visit_binding_pattern(&mut self, it: &BindingPattern<'a>) {
        if let Some(f) = self.frames.last_mut() {
            note_pattern_names(it, &mut f.f.account);
        }
        walk::walk_binding_pattern(self, it);
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if is_password_name(&it.property.name) {
            if let Some(f) = self.frames.last_mut() {
                f.f.account.password = true;
            }
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        // `new this.User(data)`, `new ctx.model.Users({...})`: a user document to be saved
        if member_path_ref(&it.callee)
            .and_then(|p| p.last().copied())
            .is_some_and(|last| {
                last.starts_with(|c: char| c.is_ascii_uppercase()) && is_user_word(last)
            })
        {
            if let Some(f) = self.frames.last_mut() {
                f.f.account.creates_user = true;
            }
        }
        walk::walk_new_expression(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        self.namer.function(it);
        let ends = it
            .body
            .as_ref()
            .map_or(Ends::No, |b| only_throws(&b.statements));
        self.enter(it.span, &it.params, ends);
        if let Some(body) = &it.body {
            self.visit_function_body(body);
        }
        self.leave();
        let _ = flags;
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        let ends = match &it.body {
            ArrowFunctionBody::FunctionBody(b) => only_throws(&b.statements),
            e => match e.as_expression().map(only_call) {
                Some(Ends::Via(p)) if is_ctx_throw(&p) => Ends::Throws,
                Some(ends) => ends,
                None => Ends::No,
            },
        };
        self.enter(it.span, &it.params, ends);
        self.visit_arrow_function_body(&it.body);
        self.leave();
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        self.namer.declarator(it);
        if let Some(init) = &it.init {
            self.note_path_local(&it.id, init);
            self.note_scope_local(&it.id, init);
            if let BindingPattern::BindingIdentifier(id) = &it.id {
                if matches!(init.get_inner_expression(), Expression::CallExpression(_))
                    && self.built_in_memory(init)
                {
                    if let Some(f) = self.frames.last_mut() {
                        f.memory_locals.insert(id.name.to_string());
                    }
                }
            }
            if let (BindingPattern::BindingIdentifier(id), Some(t)) = (
                &it.id,
                it.type_annotation
                    .as_ref()
                    .and_then(|t| type_ref_name(&t.type_annotation)),
            ) {
                if let Some(f) = self.frames.last_mut() {
                    f.local_types.insert(id.name.as_str().to_owned(), t);
                }
            }
            // imports: const x = require('./a'); const { y } = require('./b')
            if let Some(spec) = require_spec(init) {
                match &it.id {
                    BindingPattern::BindingIdentifier(id) => self.imports.push(ImportBinding {
                        local: id.name.as_str().to_owned(),
                        specifier: spec,
                        export: "default".into(),
                    }),
                    BindingPattern::ObjectPattern(o) => {
                        for p in &o.properties {
                            if let (Some(k), BindingPattern::BindingIdentifier(id)) =
                                (p.key.static_name(), &p.value)
                            {
                                self.imports.push(ImportBinding {
                                    local: id.name.as_str().to_owned(),
                                    specifier: spec.clone(),
                                    export: k.to_string(),
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
            // identity locals: const token = ctx.get('authorization'); const { user } = ctx.session
            let identity = self.expr_is_identity(init)
                || ctx_path(init)
                    .is_some_and(|p| matches!(p.as_slice(), ["ctx", "session" | "state"]));
            // const { user } = ctx: the keys that name who the user is
            if !identity && ctx_path(init).is_some_and(|p| p.as_slice() == ["ctx"]) {
                if let BindingPattern::ObjectPattern(o) = &it.id {
                    for prop in &o.properties {
                        if let (Some(k), BindingPattern::BindingIdentifier(id)) =
                            (prop.key.static_name(), &prop.value)
                        {
                            if names_the_user(&["ctx", &k]) {
                                if let Some(f) = self.frames.last_mut() {
                                    f.f.reads_identity = true;
                                    f.identity_vars.insert(id.name.as_str().to_owned());
                                }
                            }
                        }
                    }
                }
            }
            // `const uid = await this.getUserIdByToken(token)`: a test of it asks who the user
            // is (`if (!uid) throw …` rejects), but the look-up alone is no check
            if !identity && self.user_lookup(init) {
                let mut bound = Vec::new();
                collect_binding_names(&it.id, &mut bound);
                if let Some(f) = self.frames.last_mut() {
                    f.identity_vars.extend(bound);
                }
            }
            if identity {
                let mut bound = Vec::new();
                collect_binding_names(&it.id, &mut bound);
                if let Some(f) = self.frames.last_mut() {
                    f.f.reads_identity = true;
                    f.identity_vars.extend(bound);
                }
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let spec = it.source.value.as_str().to_owned();
        if let Some(specs) = &it.specifiers {
            for s in specs {
                let (local, export) = match s {
                    ImportDeclarationSpecifier::ImportSpecifier(s) => (
                        s.local.name.as_str().to_owned(),
                        s.imported.name().to_string(),
                    ),
                    ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                        (s.local.name.as_str().to_owned(), "default".into())
                    }
                    ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                        (s.local.name.as_str().to_owned(), "*".into())
                    }
                };
                self.imports.push(ImportBinding {
                    local,
                    specifier: spec.clone(),
                    export,
                });
            }
        }
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        self.namer.assignment(it);
        // `uid = body.uid`, `where.uid = x`: the local no longer says what it was bound to
        let assigned = match &it.left {
            AssignmentTarget::AssignmentTargetIdentifier(i) => Some(i.name.as_str()),
            t => t
                .as_simple_assignment_target()
                .and_then(|t| t.as_member_expression())
                .and_then(|m| match m.object().get_inner_expression() {
                    Expression::Identifier(i) => Some(i.name.as_str()),
                    _ => None,
                }),
        };
        if let Some(name) = assigned {
            self.forget_local(name);
        }
        // state outside the request: the session, the app, a global
        if let Some(t) = it
            .left
            .as_simple_assignment_target()
            .and_then(|t| t.as_member_expression().and_then(|m| ctx_path(m.object())))
        {
            let outside = matches!(
                t.as_slice(),
                ["ctx", "session", ..]
                    | ["app" | "global" | "globalThis" | "process", ..]
                    | ["this", "app", ..]
                    | ["ctx", "app", ..]
            ) || (t.as_slice() == ["ctx"]
                && it.left.as_simple_assignment_target().is_some_and(|x| {
                    x.as_member_expression()
                        .and_then(|m| m.static_property_name())
                        == Some("session")
                }));
            if outside {
                let line = self.at.line_col(it.span.start).0;
                if let Some(f) = self.frames.last_mut() {
                    f.changes = true;
                    if f.f.first_change == 0 {
                        f.f.first_change = line;
                    }
                }
            }
        }
        if let AssignmentTarget::StaticMemberExpression(m) = &it.left {
            // ctx.status = 401 / ctx.response.status = 403 / ctx.body = { code: 401 }
            let target = member_path(&m.object).map(|mut p| {
                if p.len() >= 2 && p[0] == "this" && p[1] == "ctx" {
                    p.remove(0);
                }
                p
            });
            if let Some(t) = target {
                let key = m.property.name.as_str();
                let on_ctx = matches!(t.as_slice(), [c] if c == "ctx" || c == "context")
                    || matches!(t.as_slice(), [c, r] if (c == "ctx" || c == "context") && r == "response");
                if on_ctx && key == "status" && number_is_denial(&it.right) {
                    self.reject(it.span, "");
                }
                if on_ctx && key == "body" && object_has_denial_code(&it.right) {
                    self.reject(it.span, "");
                }
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let path = ctx_path(&it.callee);
        self.note_call_effect(it, path.as_deref());
        // `Object.assign(where, body)`: a filter passed first to a call may be changed by it
        if let Some(Expression::Identifier(i)) = it
            .arguments
            .first()
            .and_then(|a| a.as_expression())
            .map(|e| e.get_inner_expression())
        {
            self.forget_object(i.name.as_str());
        }
        if let Some(p) = path.as_deref().filter(|p| is_user_creation(p)) {
            let name = match self.call_effect(it, Some(p)) {
                Some(Some(name)) => Some(name),
                _ => None,
            };
            if let Some(f) = self.frames.last_mut() {
                f.f.account.creates_user = true;
                if let Some(name) = name {
                    if f.f.account.creates_via.len() < 4 && !f.f.account.creates_via.contains(&name)
                    {
                        f.f.account.creates_via.push(name);
                    }
                }
            }
        }
        if let Some(p) = path {
            let last = p.last().copied().unwrap_or_default();
            if p.len() == 1 && self.local_calls.len() < 256 {
                self.local_calls
                    .insert((last.to_string(), self.after_next > 0));
            }
            if let Some(f) = self.frames.last_mut() {
                if f.calls.len() < 64 {
                    f.calls.insert(last.to_string());
                }
            }
            let first = it.arguments.first().and_then(|a| a.as_expression());
            let args_deny = it.arguments.iter().filter_map(|a| a.as_expression()).any(|a| {
                number_is_denial(a)
                    || matches!(a.get_inner_expression(), Expression::NewExpression(n)
                        if member_path(&n.callee).and_then(|p| p.last().cloned()).is_some_and(|n| is_auth_error_name(&n)))
            });
            // ctx.throw(401), ctx.assert(user, 403), ctx.authFailed(401, ...), ctx.helper.fail(403)
            if p.len() >= 2 && p[0] == "ctx" && args_deny {
                self.reject(it.span, "");
            }
            if (last == "redirect" || last == "unsafeRedirect")
                && p.len() >= 2
                && first
                    .and_then(string_lit)
                    .is_some_and(|s| lc(&s).contains("login") || lc(&s).contains("signin"))
            {
                self.reject(it.span, "");
            }
            if is_guard_name(last, true) {
                self.reject(it.span, "");
            }
            let first_str = first.and_then(string_lit);
            if is_identity_call(&p, first_str.as_deref()) {
                if let Some(f) = self.frames.last_mut() {
                    f.f.reads_identity = true;
                }
                if last == "verify" {
                    if self.try_depth == 0 {
                        self.reject(it.span, "");
                    } else if let Some(v) = self.verify_in_try.last_mut() {
                        *v = true;
                    }
                }
            }
            if self.try_depth == 0 {
                self.note_via(&p);
            }
            if let Some(next) = self.next_name() {
                if p.len() == 1 && p[0] == next {
                    if let Some(f) = self.frames.last_mut() {
                        f.f.calls_next = true;
                    }
                }
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_throw_statement(&mut self, it: &ThrowStatement<'a>) {
        let named = match it.argument.get_inner_expression() {
            Expression::NewExpression(n) => {
                member_path(&n.callee)
                    .and_then(|p| p.last().cloned())
                    .is_some_and(|n| is_auth_error_name(&n))
                    || n.arguments
                        .iter()
                        .filter_map(|a| a.as_expression())
                        .any(number_is_denial)
            }
            Expression::CallExpression(c) => member_path(&c.callee)
                .and_then(|p| p.last().cloned())
                .is_some_and(|n| is_auth_error_name(&n)),
            _ => false,
        };
        if named {
            self.reject(it.span, "");
        }
        walk::walk_throw_statement(self, it);
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        // a test on the request's path: what the branches reject, they reject only for the
        // paths that take them
        if let Some(c) = self.path_cond(&it.test) {
            self.visit_expression(&it.test);
            let negated = c.negate();
            self.path_conds.push(c);
            self.visit_statement(&it.consequent);
            self.path_conds.pop();
            if let Some(alternate) = &it.alternate {
                self.path_conds.push(negated);
                self.visit_statement(alternate);
                self.path_conds.pop();
            }
            return;
        }
        let next = self.next_name();
        let anonymous = self.anonymous(&it.test);
        if self.test_is_auth(&it.test) {
            if let Some(f) = self.frames.last_mut() {
                f.f.reads_identity = true;
            }
            let cons_exits = exits(&it.consequent, next.as_deref())
                || self.exits_unless_known(&it.consequent, next.as_deref());
            let alt_exits = it
                .alternate
                .as_ref()
                .is_some_and(|a| exits(a, next.as_deref()));
            let branch_passes = |s: &Statement<'_>| stmt_calls_next(s, next.as_deref());
            let one_branch_passes = match &it.alternate {
                Some(a) => branch_passes(&it.consequent) != branch_passes(a),
                None => false,
            };
            // `if (ctx.user) { return await next(); }` then the denial: only the known user passes
            let negated = matches!(it.test.get_inner_expression(), Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot);
            let passes_and_returns = it.alternate.is_none()
                && !negated
                && branch_passes(&it.consequent)
                && returns(&it.consequent);
            // the branch an anonymous request takes, when the test says which
            let stops_anonymous = match anonymous {
                Some(true) => cons_exits || (one_branch_passes && !branch_passes(&it.consequent)),
                Some(false) => {
                    alt_exits
                        || passes_and_returns
                        || (one_branch_passes
                            && it.alternate.as_ref().is_some_and(|a| !branch_passes(a)))
                }
                None => cons_exits || alt_exits || one_branch_passes || passes_and_returns,
            };
            if stops_anonymous {
                let end = it.test.span().end + 1;
                let what = format!(
                    "if ({}) … leaves",
                    self.at
                        .snippet(it.test.span().start, end.min(it.test.span().end))
                );
                self.reject(it.span, &what);
            }
        }
        // a branch only a signed-in user takes: its denials do not stop an anonymous request
        self.visit_expression(&it.test);
        let known = |b: bool| u32::from(anonymous == Some(b));
        self.known_user += known(false);
        self.visit_statement(&it.consequent);
        self.known_user -= known(false);
        if let Some(alternate) = &it.alternate {
            self.known_user += known(true);
            self.visit_statement(alternate);
            self.known_user -= known(true);
        }
    }

    fn visit_statements(&mut self, it: &oxc::allocator::Vec<'a, Statement<'a>>) {
        // after `if (!ctx.user) return next();` the rest of the block is for signed-in users
        let mut raised = 0;
        let conds = self.path_conds.len();
        let after_next = self.after_next;
        let next = self.next_name();
        for stmt in it {
            self.visit_statement(stmt);
            // `await next(); if (ctx.status === 404) ctx.throw(404);`: after the request went on
            if self.after_next == after_next && is_next_call(stmt, next.as_deref()) {
                self.after_next += 1;
            }
            if let Statement::IfStatement(i) = stmt {
                // after `if (whiteList.includes(ctx.path)) return next();` the rest of the
                // block runs only for the other paths
                if i.alternate.is_none() && (returns(&i.consequent) || exits(&i.consequent, None)) {
                    if let Some(c) = self.path_cond(&i.test) {
                        self.path_conds.push(c.negate());
                        continue;
                    }
                }
                if i.alternate.is_none()
                    && (returns(&i.consequent) || exits(&i.consequent, None))
                    && self.anonymous(&i.test) == Some(true)
                {
                    self.known_user += 1;
                    raised += 1;
                }
            }
        }
        self.known_user -= raised;
        self.path_conds.truncate(conds);
        self.after_next = after_next;
    }

    fn visit_try_statement(&mut self, it: &TryStatement<'a>) {
        self.try_depth += 1;
        self.verify_in_try.push(false);
        self.visit_block_statement(&it.block);
        self.try_depth -= 1;
        let verified = self.verify_in_try.pop().unwrap_or(false);
        if let Some(h) = &it.handler {
            let next = self.next_name();
            if verified && h.body.body.iter().any(|s| exits(s, next.as_deref())) {
                self.reject(h.span, "token verification fails → the catch block leaves");
            }
            // an error handler: `try { await next(); } catch (e) { ctx.status = e.status }`
            let handles_errors = it
                .block
                .body
                .first()
                .is_some_and(|s| is_next_call(s, next.as_deref()));
            self.after_next += u32::from(handles_errors);
            self.visit_catch_clause(h);
            self.after_next -= u32::from(handles_errors);
        }
        if let Some(f) = &it.finalizer {
            self.visit_block_statement(f);
        }
    }
}

fn collect_binding_names(p: &BindingPattern<'_>, out: &mut Vec<String>) {
    match p {
        BindingPattern::BindingIdentifier(id) => out.push(id.name.as_str().to_owned()),
        BindingPattern::ObjectPattern(o) => {
            for prop in &o.properties {
                collect_binding_names(&prop.value, out);
            }
        }
        BindingPattern::ArrayPattern(a) => {
            for e in a.elements.iter().flatten() {
                collect_binding_names(e, out);
            }
        }
        BindingPattern::AssignmentPattern(a) => collect_binding_names(&a.left, out),
    }
}

/// `IAuthToken` of a type annotation `IAuthToken` (or `ns.IAuthToken` → `ns`).
fn type_ref_name(t: &TSType<'_>) -> Option<String> {
    let TSType::TSTypeReference(r) = t else {
        return None;
    };
    match &r.type_name {
        TSTypeName::IdentifierReference(id) => Some(id.name.as_str().to_owned()),
        TSTypeName::QualifiedName(q) => {
            let mut left = &q.left;
            while let TSTypeName::QualifiedName(inner) = left {
                left = &inner.left;
            }
            match left {
                TSTypeName::IdentifierReference(id) => Some(id.name.as_str().to_owned()),
                _ => None,
            }
        }
        TSTypeName::ThisExpression(_) => None,
    }
}

fn require_spec(expr: &Expression<'_>) -> Option<String> {
    crate::routes::require_arg(expr).and_then(string_lit)
}

#[cfg(test)]
mod tests {

    #[test]
    fn guard_names_by_verb_and_noun_in_any_ascii_case() {
        let cases: &[(&str, bool, bool)] = &[
            // (name, as a throwing guard, as a test)
            ("requiredAuthorizedUser", true, true),
            ("requiresPermissions", true, true),
            ("REQUIRE_LOGIN", true, true),
            ("checkLogin", true, true),
            ("verifyAdminRole", true, true),
            ("isAdmin", false, true),
            ("HasPermission", false, true),
            ("canAccess", false, true),
            ("authenticate", true, true),
            ("AUTHORIZE", true, true),
            ("isAuthenticated", true, true),
            ("getUser", false, false),
            ("checkout", false, false),
            ("verifyToken", false, false),
            ("ensure", false, false),
            ("is", false, false),
            ("", false, false),
            ("\u{130}sAdmin", false, false),
            ("checkUs\u{e9}rAuth", true, true),
        ];
        for &(name, throwing, test) in cases {
            assert_eq!(
                super::is_guard_name(name, true),
                throwing,
                "{name} (throwing)"
            );
            assert_eq!(super::is_guard_name(name, false), test, "{name}");
        }
    }
    use crate::facts::source_facts_from;
    use std::path::Path;

    fn fns(src: &str) -> Vec<super::AuthFn> {
        source_facts_from(Path::new("/app/app/middleware/x.js"), src)
            .unwrap()
            .auth
    }

    fn rejects(src: &str, name: &str) -> bool {
        fns(src).iter().any(|f| f.name == name && f.rejects())
    }

    #[test]
    fn rejecting_middleware_shapes() {
        for src in [
            "module.exports = () => async function gate(ctx, next) { if (!ctx.session.user) ctx.throw(401); await next(); };",
            "module.exports = () => async function gate(ctx, next) { if (!ctx.state.user) { ctx.status = 403; return; } await next(); };",
            "module.exports = () => async function gate(ctx, next) { if (ctx.user) { return await next(); } ctx.authFailed(401, 'login'); };",
            "module.exports = () => async function gate(ctx, next) { const token = ctx.get('authorization'); if (!token) { ctx.body = { msg: 'no token' }; return; } await next(); };",
            "module.exports = () => async function gate(ctx, next) { ctx.state.user = ctx.app.jwt.verify(ctx.get('authorization')); await next(); };",
            "module.exports = () => async function gate(ctx, next) { try { jwt.verify(ctx.get('token'), 's'); } catch (e) { ctx.body = 'bad'; return; } await next(); };",
            "module.exports = () => async function gate(ctx, next) { if (!ctx.isAuthenticated()) return ctx.redirect('/login'); await next(); };",
            "module.exports = () => async function gate(ctx, next) { try { jwt.verify(ctx.get('token'), 's'); await next(); } catch (e) { ctx.status = 401; } };",
            // a token login inside the not-signed-in branch (held-out tomato-work-server)
            "module.exports = () => async function gate(ctx, next) { const { user } = ctx; const token = ctx.headers.token || ctx.request.body.token; if (!user || !user.uid) { if (token) { const u = await ctx.service.user.findUserByToken(token); if (u) { ctx.login(u); return await next(); } } ctx.print = { errorCode: 401, msg: 'login' }; return; } await next(); };",
        ] {
            assert!(rejects(src, "gate"), "{src}");
        }
        // look-alike: the not-signed-in branch lets a request flag through
        let src = "module.exports = () => async function gate(ctx, next) { const { user } = ctx; if (!user || !user.uid) { if (ctx.query.preview) { return await next(); } ctx.print = { msg: 'login' }; return; } await next(); };";
        assert!(!rejects(src, "gate"), "{src}");
    }

    /// The path tests each rejection of `gate` happens under, as `(text, atoms)`.
    type Atoms = Vec<(super::PathOp, super::PathList, bool)>;

    fn conds(src: &str) -> Vec<Vec<(String, Atoms)>> {
        fns(src)
            .into_iter()
            .filter(|f| f.name == "gate")
            .flat_map(|f| f.rejections)
            .map(|r| {
                r.when
                    .into_iter()
                    .map(|c| {
                        let atoms = c
                            .any
                            .into_iter()
                            .map(|a| (a.op, a.list, a.with_query))
                            .collect();
                        (c.text, atoms)
                    })
                    .collect()
            })
            .fold(Vec::new(), |mut v: Vec<_>, c| {
                // one entry per distinct condition (a check may reject in two ways)
                if !v.contains(&c) {
                    v.push(c);
                }
                v
            })
    }

    #[test]
    fn rejections_under_a_test_of_the_path() {
        use super::{PathList as L, PathOp as O};
        let lit = |s: &[&str]| L::Literal(s.iter().map(|x| x.to_string()).collect());
        let opt = |s: &[&str]| L::Options(s.iter().map(|x| x.to_string()).collect());
        // an allow-list of URLs from the options (egg-ts-server)
        let src = "module.exports = (options, app) => async function gate(ctx, next) { const authUrls = options.authUrls; if (authUrls.includes(ctx.url)) { const token = ctx.cookies.get('token'); if (!token) { ctx.throw(401); } } await next(); };";
        assert_eq!(
            conds(src),
            [[(
                "authUrls.includes(ctx.url)".to_string(),
                vec![(O::Equals, opt(&["authUrls"]), true)]
            )]]
        );
        // a white-list, then the check (yuujin-server, react-ant-admin-api)
        let src = "const PUBLIC = ['/login', '/register']; module.exports = () => async function gate(ctx, next) { const { path } = ctx; if (PUBLIC.some(p => path.startsWith(p))) { await next(); return; } if (!ctx.get('authorization')) { ctx.status = 401; return; } await next(); };";
        assert_eq!(
            conds(src),
            [[(
                "!PUBLIC.some(p => path.startsWith(p))".to_string(),
                vec![(O::StartsWith, lit(&["/login", "/register"]), false)]
            )]]
        );
        let src = "module.exports = options => async function gate(ctx, next) { if ((options.url).has(ctx.url)) { await next(); } else { if (!ctx.header.token) { return ctx.throw(401); } await next(); } };";
        assert_eq!(
            conds(src),
            [[(
                "!(options.url).has(ctx.url)".to_string(),
                vec![(O::Equals, opt(&["url"]), true)]
            )]]
        );
        // two paths compared in turn, inside the anonymous branch (AI-teaching-platform)
        let src = "module.exports = () => async function gate(ctx, next) { const token = ctx.cookies.get('t'); if (token === undefined) { if (ctx.path === '/a' || ctx.path === '/b') { await next(); } else { ctx.throw(401); } } else { await next(); } };";
        assert_eq!(
            conds(src)[0][0].1,
            vec![
                (O::Equals, lit(&["/a"]), false),
                (O::Equals, lit(&["/b"]), false)
            ]
        );
        // a RegExp prefix from the request URL (egg-beehive), a config list
        let src = "module.exports = (option, app) => async function gate(ctx, next) { if (!/^\\/api\\//.test(ctx.request.url)) { await next(); return; } if (app.config.skip.indexOf(ctx.path) > -1) return next(); if (!ctx.session.user) ctx.throw(401); await next(); };";
        let c = conds(src);
        assert_eq!(c[0].len(), 2, "{c:?}");
        assert_eq!(c[0][0].1[0].0, O::Regex);
        assert_eq!(c[0][1].1[0].1, L::Config(vec!["skip".into()]));
        // the first characters of the raw URL (outbreak's `mirror`): as long as the literal, a
        // prefix; longer, the whole path; shorter, never
        let src = "module.exports = () => async function gate(ctx, next) { const str = ctx.req.url.slice(0, 15); if (str === '/public/mirror/' || str === '/api/v1/mirror/') { if (ctx.session.userid) { await next(); } else { ctx.redirect('/'); } } else { await next(); } };";
        assert_eq!(
            conds(src)[0][0].1,
            vec![
                (O::StartsWith, lit(&["/public/mirror/"]), true),
                (O::StartsWith, lit(&["/api/v1/mirror/"]), true)
            ]
        );
        let src = "module.exports = () => async function gate(ctx, next) { if (ctx.path.substring(0, 8) !== '/x') { await next(); return; } if (ctx.path.substr(0, 2) === '/admin') return next(); if (!ctx.session.user) ctx.throw(401); await next(); };";
        let c = conds(src);
        assert_eq!(c[0][0].1, vec![(O::Equals, lit(&["/x"]), false)], "{c:?}");
        assert_eq!(c[0][1].1, vec![(O::Equals, lit(&[]), false)], "{c:?}");
        // not a test of the path: the rejection is unconditional
        let src = "module.exports = () => async function gate(ctx, next) { if (ctx.method === 'GET') return next(); if (!ctx.session.user) ctx.throw(401); await next(); };";
        assert_eq!(conds(src), [Vec::<(String, Vec<_>)>::new()]);
    }

    #[test]
    fn pass_through_middleware_shapes() {
        for src in [
            // an error handler maps what the downstream code threw (chaben-serve)
            "module.exports = () => async function gate(ctx, next) { try { await next(); } catch (error) { if (error.status === 401) { ctx.status = 401; ctx.body = { message: error.message }; } else { ctx.status = error.status || 501; } } };",
            "module.exports = () => function* gate(next) { try { yield next; } catch (e) { this.status = 401; } };",
            "module.exports = () => async function gate(ctx, next) { await next(); if (ctx.status === 404 && !ctx.body) { ctx.throw(403, 'nothing here'); } };",
            "module.exports = () => async function gate(ctx, next) { const token = ctx.get('authorization'); if (token) { ctx.state.user = await ctx.service.user.byToken(token); } await next(); };",
            "module.exports = () => async function gate(ctx, next) { try { ctx.state.user = jwt.verify(ctx.get('token'), 's'); } catch (e) { ctx.logger.warn(e); } await next(); };",
            "module.exports = () => async function gate(ctx, next) { if (!ctx.session.user) { return next(); } ctx.state.user = ctx.session.user; await next(); };",
            "module.exports = () => async function gate(ctx, next) { const item = await ctx.model.Item.findOne({ tag: ctx.cookies.get('tag') }); if (!item) { ctx.body = { code: 404 }; return; } await next(); };",
        ] {
            assert!(!rejects(src, "gate"), "{src}");
        }
    }

    /// The file's own function called only from an error handler answers for a request that
    /// already ran (outbreak's `sqlerr`); called before `next()` too, it stops requests.
    #[test]
    fn a_function_called_only_from_an_error_handler_rejects_nothing() {
        let tail =
            "function toLogin(err, ctx) { if (err.code === 'E') { ctx.redirect('/login'); } }";
        let src = format!("module.exports = () => async function gate(ctx, next) {{ try {{ await next(); }} catch (err) {{ toLogin(err, ctx); }} }};\n{tail}");
        assert!(!fns(&src).iter().any(|f| f.rejects()), "{src}");
        let src = format!("module.exports = () => async function gate(ctx, next) {{ toLogin(ctx.state.err, ctx); try {{ await next(); }} catch (err) {{ toLogin(err, ctx); }} }};\n{tail}");
        assert!(rejects(&src, "toLogin"), "{src}");
    }

    /// A check that only a signed-in user can fail does not make a route require signing in:
    /// the anonymous request passes it (egg-cnode's `blockUser`, an admin check written
    /// `user && !user.is_admin`, a check after `if (!ctx.user) return next()`).
    #[test]
    fn checks_only_a_signed_in_user_can_fail_let_anonymous_requests_through() {
        for src in [
            "module.exports = () => async function gate(ctx, next) { if (ctx.path === '/signout') { await next(); return; } if (ctx.user && ctx.user.is_block && ctx.method !== 'GET') { ctx.status = 403; ctx.body = 'blocked'; return; } await next(); };",
            "module.exports = () => async function gate(ctx, next) { const { user } = ctx; if (user && !user.is_admin) ctx.throw(403); await next(); };",
            "module.exports = () => async function gate(ctx, next) { if (!ctx.user) { return await next(); } if (ctx.user.is_block) { ctx.status = 403; return; } await next(); };",
            "module.exports = () => async function gate(ctx, next) { const token = ctx.get('authorization'); if (token && !isValid(token)) { ctx.status = 401; return; } await next(); };",
            "module.exports = () => async function gate(ctx, next) { if (ctx.session.user) { if (ctx.session.user.banned) ctx.throw(403); } await next(); };",
        ] {
            assert!(!rejects(src, "gate"), "{src}");
        }
        // look-alikes: the anonymous request is the one that is stopped
        for src in [
            "module.exports = () => async function gate(ctx, next) { if (!ctx.user || ctx.user.is_block) { ctx.status = 403; return; } await next(); };",
            "module.exports = () => async function gate(ctx, next) { if (ctx.user && ctx.user.is_admin) { return await next(); } ctx.throw(403); };",
            "module.exports = () => async function gate(ctx, next) { if (ctx.user) { if (ctx.user.banned) ctx.throw(403); } else { ctx.throw(401); } await next(); };",
            "module.exports = () => async function gate(ctx, next) { const { is_admin } = ctx.state.user; if (!is_admin) ctx.throw(403); await next(); };",
            "module.exports = () => async function gate(ctx, next) { if (ctx.user) { return await next(); } ctx.status = 401; };",
            "module.exports = () => async function gate(ctx, next) { const token = ctx.get('authorization'); if (token && isValid(token)) { return next(); } ctx.throw(401); };",
        ] {
            assert!(rejects(src, "gate"), "{src}");
        }
    }

    /// `this.m()` that the class does not define is its superclass's (`extends
    /// AbstractController`, another file): the app model follows it as `Base.m`.
    #[test]
    fn an_inherited_method_is_followed_through_the_superclass() {
        let src = "import { Base } from './Base';\nclass C extends Base { async a(ctx) { const p = await this.loadAndCheckOwner(ctx, 'x'); return p; }\n async b() { return this.own(); }\n own() { return 1; } }";
        let f = fns(src);
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
        assert_eq!(get("a").via, vec!["Base.loadAndCheckOwner".to_string()]);
        assert!(get("b").via.is_empty(), "{:?}", get("b"));
    }

    /// A function that always throws before doing anything, by itself or by only calling
    /// something (which the app model follows), against ones that act first or may complete.
    #[test]
    fn functions_that_always_throw() {
        let src = "class C {\n @Inject() svc: HomeService;\n async a(path) { if (LIST.includes(path)) { throw new NotImplementedError(path); } throw new NotFoundError(path); }\n b() { this.ctx.throw(404); }\n async c(ctx) { await this.svc.misc(ctx.path); }\n d() { return this.a('x'); }\n async e(path) { await this.svc.save(path); throw new Error('x'); }\n async f(path) { if (path === 'x') throw new Error(path); return 1; }\n async g(ctx) { await this.svc.misc(await ctx.getBody()); }\n async h(path) { const n = path.length; if (n > 3) throw new Error('long'); else throw new Error('short'); }\n async i(path) { this.count++; throw new Error(path); }\n}\nconst k = (ctx) => ctx.throw(501);";
        let f = source_facts_from(Path::new("/app/app/controller/x.ts"), src)
            .unwrap()
            .auth;
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
        for n in ["a", "b", "h", "k"] {
            assert!(get(n).always_throws, "{n}: {:?}", get(n));
        }
        for n in ["c", "d", "e", "f", "g", "i"] {
            assert!(!get(n).always_throws, "{n}: {:?}", get(n));
        }
        assert_eq!(get("c").throws_via.as_deref(), Some("HomeService.misc"));
        assert_eq!(get("d").throws_via.as_deref(), Some("this.a"));
        for n in ["e", "f", "g", "i"] {
            assert_eq!(get(n).throws_via, None, "{n}");
        }
    }

    /// The list of calls that only read is embedded data: it parses, and names no write.
    #[test]
    fn the_read_list_parses_and_names_no_write() {
        let r = super::reads();
        assert!(
            r.methods.contains("findAll") && r.roots.contains("JSON") && r.ctx.contains("validate")
        );
        for w in [
            "create",
            "save",
            "update",
            "updateOne",
            "insert",
            "remove",
            "destroy",
            "delete",
            "set",
            "increment",
            "query",
            "upsert",
        ] {
            assert!(!r.methods.contains(w), "{w}");
        }
    }

    /// A function that only reads (itself, or through what the app model follows) against ones
    /// that write, write in a callback, touch the session or the app, or call what eggsec
    /// cannot tell.
    #[test]
    fn functions_that_only_read() {
        let src = "const util = require('./util');\nclass C {\n @Inject() repo: PostRepo;\n async a() { const { ctx, service } = this; ctx.validate({}, ctx.request.body); ctx.body = await service.post.findAll(ctx.request.body); }\n async b() { const { Post } = this.ctx.model; const rows = await Post.find({}).sort({ t: -1 }).lean(); this.ctx.body = rows.map(r => JSON.stringify(r)); }\n async c() { return this.repo.list(); }\n async d() { this.ctx.body = await util.load(this.ctx.query.id); }\n async e() { await this.ctx.model.Post.create({}); }\n async f() { const rows = await this.ctx.model.Post.findAll(); await Promise.all(rows.map(r => r.save())); }\n async g() { this.ctx.session.seen = Date.now(); }\n async h() { this.app.cache = {}; }\n async i() { await this.ctx.curl('http://x'); }\n async j() { this.ctx.body = await this.ctx.helper.load(); }\n async k() { const filter = {}; filter.published = true; this.ctx.body = await this.ctx.model.Post.count(filter); }\n async l() { this.ctx.body = await this.ctx.model.Post.find({}).exec(); }\n async m() { this.ctx.body = cp.exec('ls'); }\n}";
        let f = source_facts_from(Path::new("/app/app/controller/x.ts"), src)
            .unwrap()
            .auth;
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
        for n in ["a", "b", "c", "d", "k", "l"] {
            assert!(get(n).reads_only, "{n}: {:?}", get(n));
        }
        for n in ["e", "f", "g", "h", "i", "m"] {
            assert!(!get(n).reads_only, "{n}: {:?}", get(n));
            assert!(get(n).reads_via.is_empty(), "{n}");
        }
        assert_eq!(
            get("a").reads_via,
            vec!["ctx.service.post.findAll".to_string()]
        );
        assert!(get("b").reads_via.is_empty() && get("k").reads_via.is_empty());
        assert_eq!(get("c").reads_via, vec!["PostRepo.list".to_string()]);
        assert_eq!(get("d").reads_via, vec!["util.load".to_string()]);
        // the app's helper is followed by the app model (`app/extend/helper.js`)
        assert_eq!(get("j").reads_via, vec!["ctx.helper.load".to_string()]);
    }

    /// crypto's objects live in memory: a hash's or a cipher's `update` writes nothing
    /// (held-out outbreak: `const cipher = crypto.createCipheriv(…); sign += cipher.update(str,
    /// 'utf8', 'hex')`); a database's `update` on a local still does.
    #[test]
    fn crypto_objects_only_compute() {
        let src = "const crypto = require('crypto');\nfunction a(s) { return crypto.createHash('md5').update(s).digest('hex'); }\nfunction b(s) { const c = crypto.createCipheriv('aes-128-cbc', Buffer.from(K), Buffer.from(IV)); let x = c.update(s, 'utf8', 'hex'); x += c.final('hex'); return x; }\nfunction c(s) { const m = app.model.User; return m.update({ s }); }\nfunction d(s) { let c = crypto.createHash('md5'); c = app.mysql; return c.update('t', { s }); }\n";
        let f = fns(src);
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
        assert!(get("a").reads_only && get("b").reads_only, "{f:?}");
        assert!(!get("c").reads_only && !get("d").reads_only, "{f:?}");
    }

    /// Calls of what a package that only computes exports (`data/reads.toml` `packages`:
    /// co-body's `json(ctx.req)`, `shortid.generate()`) change nothing; a helper is followed by
    /// its name (`ctx.helper.success`); other packages' calls may write.
    #[test]
    fn computing_packages_and_helpers() {
        let src = "import { json } from 'co-body';\nconst shortid = require('shortid');\nconst fse = require('fs-extra');\nasync function a(ctx) { const e = await json(ctx.req); return shortid.generate() + e; }\nasync function b(ctx) { return fse.writeFile('/tmp/x', 'y'); }\nasync function c(ctx) { ctx.helper.success(ctx, {}); }\n";
        let f = fns(src);
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
        assert!(
            get("a").reads_only && get("a").reads_via.is_empty(),
            "{f:?}"
        );
        assert!(!get("b").reads_only, "{f:?}");
        assert_eq!(get("c").reads_via, vec!["ctx.helper.success".to_string()]);
    }

    /// An aggregation only reads unless a stage writes (held-out egg-blogs: `About.aggregate([{
    /// $lookup }, { $project }, { $skip }], function (err, docs) { console.log(docs) })`).
    #[test]
    fn aggregations_read_unless_a_stage_writes() {
        let src = "function a(m) { return m.aggregate([{ $lookup: { from: 'u' } }, { $skip: 1 }], function (err, docs) { console.log(docs); }); }\nfunction b(m) { return m.aggregate([{ $match: {} }, { $out: 'copy' }]); }\nfunction c(m, p) { return m.aggregate(p); }\nfunction d(m, s) { return m.aggregate([{ $match: {} }, s]); }\n";
        let f = fns(src);
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
        assert!(get("a").reads_only, "{f:?}");
        for n in ["b", "c", "d"] {
            assert!(!get(n).reads_only, "{n}: {f:?}");
        }
    }

    #[test]
    fn handler_guards_and_decorators() {
        let src = "class C { async a() { await this.userRoleManager.requiredAuthorizedUser(this.ctx); }\n async b() { if (!await this.requiresPermissions('x')) return; }\n @checkPermission('w') async c() { const errors = this.validateUserInput(); if (errors) return; } }";
        let f = fns(src);
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
        assert!(get("a").rejects() && get("b").rejects());
        assert!(!get("c").rejects(), "{:?}", get("c"));
        assert_eq!(get("c").decorators, vec!["checkPermission".to_string()]);
    }
}
