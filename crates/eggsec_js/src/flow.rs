//! Request-data flow: where egg's request APIs (`ctx.query`, `ctx.request.body`, `ctx.params`,
//! headers, cookies, `ctx.get()`, `ctx.href`...) reach dangerous sinks (SQL, shell, eval/vm,
//! HTML bodies, file paths, redirects, outbound HTTP, RegExp, mongo queries, deep merges),
//! and the code facts the rules read (error details in responses, secrets in logs, weak cookie
//! options, session identity set without renewal, auth checks, input validation).
//!
//! How: one walk of the AST per file, in source order, keeping per-function variable frames
//! (closures see their parents'). A value is `Clean`, one of egg's objects (`ctx`,
//! `ctx.request`, `app`, `this`), or tainted with one or more traces — each trace remembers
//! where it came from (a request source, or parameter *i* of the enclosing function), every
//! step it took (file:line) and which sink kinds a sanitiser made it safe for. Taint follows
//! locals, destructuring, concatenation, template literals, object fields, array joins and
//! calls; numeric conversion, comparisons, `ctx.validate` rules, `helper.escape`,
//! `app.mysql.escape`, `path.basename` clean it. A trace that starts at a parameter and hits a
//! sink becomes a [`ParamSink`]; a call that passes taint on becomes a [`CallEdge`]; [`link`]
//! joins them within and across files (`ctx.service.a.b.c(x)` → `app/service/a/b.js#c`).
//!
//! Resolution, not names: variables are oxc semantic symbols (a shadowing inner `let` is its
//! own variable); every callee is resolved to a canonical path — egg's loader objects
//! (`ctx.model.query`, `app.mysql.get().query`, `ctx.service.a.b.c`), an import or `require`
//! with the members used (`child_process.exec`, `mysql.createPool().query`), a local function
//! (`local:name`, followed through [`link_local`]) or a global (`eval`) — and sinks,
//! sanitisers and clean results are looked up in the models (`models/*.toml`, see
//! [`crate::models`]). A value can be a typed object (`V::Obj`: the canonical path it holds),
//! so `const db = app.mysql; db.query(...)` is the egg-mysql sink and `this.query(...)` is a
//! method of the class, not SQL. What a database, a service or a remote API returns is not
//! request data. Safe shapes: a fixed-origin or path-relative prefix for redirects and
//! outbound URLs, allow-list checks (`LIST.includes(x) ? x : '/'`, `if (!LIST.has(x)) return`),
//! guards that reject `..` before a path is used, the multipart temp file and busboy's
//! basename of an upload's file name, a `Referer`/`Origin` header printed into a page (the
//! victim's browser percent-encodes it).
//!
//! Object literals handed to another function keep their fields apart: a call edge names the
//! fields that hold request data (`publish({ name, dist: { content } })` → `name`,
//! `dist.content`) and a parameter sink the member path it reads (`cmd.dist.localFile`), and
//! [`link`] joins them only where one path leads to the other. Bytes (`Buffer.from(...)`) are
//! marked, and a sink under `if (typeof x === 'string')` is reached only by strings.
//!
//! Limits (deliberate): a variable's latest assignment wins, whatever branch it was in; loops
//! run once; a call's result carries its arguments' taint unless the callee is modelled.

use crate::facts::{Place, SourceFacts};
use crate::models::{Models, Shape, SinkModel};
use crate::namer::Namer;
use crate::routes::member_path;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::semantic::{Scoping, SemanticBuilder, SymbolId};
use oxc::span::{GetSpan, Span};
use oxc::syntax::scope::ScopeFlags;

mod writes;

/// The kind of dangerous operation request data reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SinkKind {
    Sql,
    Shell,
    Eval,
    Html,
    Path,
    Redirect,
    UnsafeRedirect,
    Ssrf,
    Regex,
    NosqlOperator,
    PrototypePollution,
    /// A whole request object written into a record (`Model.create(ctx.request.body)`,
    /// `Object.assign(record, body)`): the caller chooses every column (issue 12 class 2).
    MassAssignment,
    /// A request-chosen URL (redirect or outbound call) that also carries a token or secret of
    /// the server (issue 12 class 5). Reported by the flow engine, not by a model file.
    SecretToRequestUrl,
    /// A field of a stored record (read from the database) in a file path or shell command:
    /// a second-order write (issue 12 class 10). The trace starts at the stored field.
    StoredValue,
}

impl SinkKind {
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// One place on a flow's path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// The file, when the step is in another file than the flow's sink (filled by [`link`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
    /// The code at that place, shortened.
    pub what: String,
}

/// Where a trace started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Origin {
    /// A request source (the first step says which).
    Source,
    /// Parameter `i` of the enclosing function.
    Param(usize),
}

/// Request data reaching a sink.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Flow {
    pub kind: SinkKind,
    /// The function holding the sink.
    pub function: String,
    /// The sink call or assignment (`app.mysql.query`, `ctx.body =`).
    pub sink: String,
    /// Source first, sink last.
    pub steps: Vec<Step>,
    /// The egg plugin that must provide the sink's receiver (`sequelize` for `ctx.model.query`,
    /// `mongoose` for `ctx.model.X.find`); the app model checks it against the enabled plugins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
}

/// Parameter `param` of `function` reaches a sink.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ParamSink {
    pub function: String,
    pub param: usize,
    pub kind: SinkKind,
    pub sink: String,
    /// From the parameter to the sink.
    pub steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The members read from the parameter on the way, dotted (`file.filepath` → `filepath`,
    /// `cmd.dist.localFile` → `dist.localFile`): an uploaded file's `filepath` is egg's temp
    /// file, its `filename` a basename; a caller passing an object literal reaches the sink
    /// only through a field on this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The sink runs only when the parameter's part at `member` is a string (it sits under
    /// `if (typeof x === 'string')`): bytes passed there never reach it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub string_only: bool,
}

/// What a call passing taint on calls.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Callee {
    /// A function or method of the same file (`f(x)`, `this.f(x)`).
    Local(String),
    /// `ctx.service.a.b.c(x)`: service file `a/b`, method `c`.
    Service { file: String, method: String },
    /// `ctx.helper.f(x)`: `app/extend/helper` method `f`.
    Helper(String),
    /// `this.fooService.bar(x)` on a tegg `@Inject() fooService: FooService`: method `bar` of
    /// the class `FooService` (found by the app model in any file).
    Class { class: String, method: String },
    /// `general._item(x)` on `require('./general')`: function `function` of the module file
    /// whose [`module_key`] is `module` (`exports` for `module.exports = function`).
    Module { module: String, function: String },
}

/// A call that passes tainted data as argument `arg`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CallEdge {
    pub function: String,
    pub callee: Callee,
    pub arg: usize,
    pub origin: Origin,
    /// The trace up to and including the call.
    pub steps: Vec<Step>,
    /// Sink kinds a sanitiser already made it safe for.
    pub sanitized: u32,
    pub whole: bool,
    /// The data is an uploaded file (egg-multipart stream or file).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub multipart: bool,
    /// For a parameter origin: the members read from the parameter (`filename`,
    /// `dist.localFile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The argument is an object literal and the data sits at these of its fields, dotted
    /// (`publish({ name, dist: { content } })` → `name`, `dist.content`): a callee that reads
    /// another field of its parameter (`cmd.dist.localFile`) does not get it. Empty: the data
    /// may be anywhere in the argument.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// For a parameter origin: the argument is exactly the parameter's part at `member` (or
    /// the parameter), not something computed from it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exact: bool,
    /// The data passed is bytes (`Buffer.from(...)`), never a string.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
}

/// What a named function's body does (for routes and middleware rules).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct FunctionFacts {
    /// Method, function or export name (`<anonymous>` for an unnamed function).
    pub name: String,
    pub class: Option<String>,
    pub params: Vec<String>,
    pub line: u32,
    pub column: u32,
    /// Reads request data (`ctx.query`, body, headers...).
    pub reads_input: bool,
    /// Validates something (`ctx.validate`, a schema `validate` call).
    pub validates: bool,
    /// Request data used as if it had been checked, `(line, column, what)`: stored on the
    /// context for later code (`ctx.tenant = ctx.get('x-tenant')`, `ctx.state.x`,
    /// `ctx.session.x`), echoed into a response header (`ctx.set('Access-Control-Allow-Origin',
    /// origin)`), or a URL that carries its query string matched by substring
    /// (`ctx.originalUrl.indexOf(item) >= 0`, `ctx.url.includes(x)`).
    pub trusts_input: Vec<(u32, u32, String)>,
    /// Checks who the user is (`ctx.session.user`, `ctx.state.user`, jwt `verify`,
    /// `ctx.isAuthenticated()`).
    pub checks_auth: bool,
    /// Parameters (bit i = parameter i) whose data the function returns: a caller's result
    /// carries only those arguments (a service that reads the database and returns rows: none).
    pub returns: u32,
    /// Parameters whose data the function returns only through a method call on another
    /// parameter (`_item(ctx, Model, q) { return Model.findOne(q) }`): dropped at a call site
    /// whose argument is a typed object that call gives a clean result for (a model).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub returns_via: Vec<ReturnVia>,
}

/// Argument `arg`'s data is returned through `<parameter on>.<call>` (`findOne().exec`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReturnVia {
    pub arg: usize,
    pub on: usize,
    pub call: String,
}

/// What a function's result carries (see [`FunctionFacts::returns`] and `returns_via`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Returns {
    pub mask: u32,
    pub via: Vec<ReturnVia>,
}

impl Returns {
    /// Adds a function's facts (every function of that name counts).
    pub fn add(&mut self, f: &FunctionFacts) {
        self.mask |= f.returns;
        for v in &f.returns_via {
            if !self.via.contains(v) {
                self.via.push(v.clone());
            }
        }
    }
}

/// The [`Summaries`] key of a canonical callee path: `ctx.helper.f` → `helper.f`,
/// `ctx.service.a.b.m` → `service.a.b.m`, a relatively required module's `mod:…` as it is.
pub(crate) fn summary_key(path: &str) -> Option<String> {
    if let Some(name) = path.strip_prefix("ctx.helper.") {
        Some(format!("helper.{name}"))
    } else if path.starts_with("mod:") {
        Some(path.to_string())
    } else {
        path.strip_prefix("ctx.service.")
            .map(|rest| format!("service.{rest}"))
    }
}

/// A method called on an instance of a class a module exports (`new TTSProvider(key).synthesize`
/// → `mod:<file>.TTSProvider().synthesize`, also through `const p = new TTSProvider(key)`):
/// the module's head and the method, whose summary the module file keeps under
/// `<module>.<method>`.
fn instance_method(path: &str) -> Option<(&str, &str)> {
    if !path.starts_with("mod:") || !path.contains("().") {
        return None;
    }
    let segs = segments(path);
    let [module, class, method] = segs.as_slice() else {
        return None;
    };
    let name = class.strip_suffix("()")?;
    (module.starts_with("mod:")
        && !module.contains("()")
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && !name.contains("()")
        && !method.contains("()"))
    .then_some((*module, *method))
}

/// Return summaries of other files' functions, by egg name: `helper.<name>` for
/// `ctx.helper.<name>(...)`, `service.<a.b>.<method>` for `ctx.service.a.b.method(...)`,
/// [`module_key`]`.<export>` for a function of a relatively required module, and
/// `class:<Class>.<method>` for a method of a class tegg injects (`@Inject() fooService:
/// FooService` … `this.fooService.bar(x)`).
pub type Summaries = HashMap<String, Returns>;

/// The canonical head of a module file reached by a relative `require`/`import`
/// (`mod:/abs/app/service/general`): the path without its extension, dots spelled `%` so the
/// canonical path's segments stay `.`-separated.
pub fn module_key(path: &std::path::Path) -> String {
    module_key_of_normal(path).unwrap_or_else(|| module_key_normalized(path))
}

/// A dotted path's segments (`ctx.model.User.findOne` → `ctx`, `model`, `User`, `findOne`):
/// what `path.split('.')` gives, in one pass over the bytes.
pub(super) fn segments(path: &str) -> smallvec::SmallVec<[&str; 8]> {
    let mut out = smallvec::SmallVec::new();
    let mut from = 0;
    for dot in memchr::memchr_iter(b'.', path.as_bytes()) {
        out.push(&path[from..dot]);
        from = dot + 1;
    }
    out.push(&path[from..]);
    out
}

/// [`module_key`] of a path that is already normal (UTF-8, no `.` or `..` component, no
/// doubled or trailing `/`): its own text, without building the normal form component by
/// component. `None` for any other path.
fn module_key_of_normal(path: &std::path::Path) -> Option<String> {
    let s = path.to_str()?;
    let b = s.as_bytes();
    if b.is_empty() || b.ends_with(b"/") {
        return None;
    }
    // no `.` or `..` component, no empty one but the root's (`//`): one pass over the `/`s
    let mut from = 0;
    for end in memchr::memchr_iter(b'/', b).chain(std::iter::once(b.len())) {
        let c = &b[from..end];
        if c == b"." || c == b".." || (c.is_empty() && end != 0) {
            return None;
        }
        from = end + 1;
    }
    // `Path::extension`: after the last `.` of the file name, unless the name starts there
    let name_at = s.rfind('/').map_or(0, |i| i + 1);
    let name = &s[name_at..];
    let stem_len = match name.rfind('.') {
        Some(i)
            if i > 0
                && matches!(
                    &name[i + 1..],
                    "js" | "ts" | "cjs" | "mjs" | "cts" | "mts" | "jsx" | "tsx"
                ) =>
        {
            name_at + i
        }
        _ => s.len(),
    };
    // `mod:` and the path up to the extension, each `.` as `%`, built once
    let mut key = String::with_capacity(4 + stem_len);
    key.push_str("mod:");
    let mut from = 0;
    for dot in memchr::memchr_iter(b'.', &b[..stem_len]) {
        key.push_str(&s[from..dot]);
        key.push('%');
        from = dot + 1;
    }
    key.push_str(&s[from..stem_len]);
    Some(key)
}

fn module_key_normalized(path: &std::path::Path) -> String {
    let mut p = normalize(path);
    if matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("js" | "ts" | "cjs" | "mjs" | "cts" | "mts" | "jsx" | "tsx")
    ) {
        p.set_extension("");
    }
    format!("mod:{}", p.to_string_lossy().replace('.', "%"))
}

/// The relative module specifiers a file's text requires or imports (`require('./general')`,
/// `from '../lib/x'`), found without parsing: only used to order the analysis so a module's
/// return summaries exist before the files requiring it are walked.
pub fn relative_specs(text: &str) -> Vec<String> {
    // SIMD substring search (the same offsets as `str::find`), each finder built once
    static FINDERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 3]> =
        std::sync::LazyLock::new(|| {
            ["require(", "from ", "import("].map(memchr::memmem::Finder::new)
        });
    let mut out = Vec::new();
    let b = text.as_bytes();
    for finder in FINDERS.iter() {
        let needle = finder.needle();
        let mut from = 0;
        while let Some(i) = finder.find(&b[from..]) {
            let mut j = from + i + needle.len();
            from = j;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            let Some(&q) = b.get(j) else { break };
            if !matches!(q, b'\'' | b'"' | b'`') || b.get(j + 1) != Some(&b'.') {
                continue;
            }
            let start = j + 1;
            let Some(len) = text[start..].find(q as char) else {
                continue;
            };
            let spec = &text[start..start + len];
            if len < 256 && !spec.contains(['\n', '$']) && !out.iter().any(|s| s == spec) {
                out.push(spec.to_string());
            }
        }
    }
    out
}

/// A relative module specifier resolved against the requiring file's directory.
pub fn resolve_relative(from: &std::path::Path, spec: &str) -> Option<std::path::PathBuf> {
    if !(spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == "..") {
        return None;
    }
    Some(normalize(&from.parent()?.join(spec)))
}

/// `a/./b/../c` → `a/c`, lexically (no file system access).
fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A non-flow fact the code rules report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeFactKind {
    /// A catch block puts the caught error (its message or stack) into the response.
    ErrorInResponse,
    /// A logger or console call gets a password/token/secret or a whole request object.
    SensitiveDataLogged,
    /// `ctx.cookies.set` with `httpOnly: false`, `signed: false` or `sameSite: 'none'` without
    /// `secure`.
    CookieWeakOptions,
    /// `ctx.session.<identity> = ...` in a function that does not renew the session.
    SessionIdentityWithoutRenewal,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CodeFact {
    pub kind: CodeFactKind,
    pub function: String,
    pub line: u32,
    pub column: u32,
    /// What was seen (`err.stack`, `password`, `httpOnly: false`).
    pub what: String,
}

/// `ctx.render('tpl.html', { x: <request data> })`: the template and the variables request
/// data feeds (for the nunjucks `| safe` / `autoescape: false` checks, which read the template
/// and the view config).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RenderFeed {
    /// The function holding the render call.
    pub function: String,
    /// `ctx.render`, `ctx.renderView`.
    pub sink: String,
    /// The template name as written (`user/page.html`).
    pub template: String,
    pub line: u32,
    pub column: u32,
    /// Each fed variable with its trace from the request source to the render call (last step).
    pub vars: Vec<RenderVar>,
}

/// One template variable fed by request data.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RenderVar {
    pub name: String,
    pub steps: Vec<Step>,
    /// The value's scheme or origin was fixed or checked on the way (a `/path` prefix, an
    /// allow-list test): safe as a link or a redirect target.
    pub url_checked: bool,
}

const MAX_STEPS: usize = 16;
const MAX_TRACES: usize = 3;

#[derive(Clone, Debug)]
struct Trace {
    origin: Origin,
    steps: Vec<Step>,
    /// The whole request object (`ctx.request.body`, `ctx.query`), not one field of it.
    whole: bool,
    sanitized: u32,
    /// For a parameter origin: the function whose parameter it is (closures see it too).
    owner: String,
    /// An uploaded file (`ctx.getFileStream()`, `ctx.request.files`): its `filepath` is egg's
    /// own temp file and its `filename` busboy's basename.
    multipart: bool,
    /// For a parameter origin: the members read from it, dotted (`cmd.dist.localFile` →
    /// `dist.localFile`, at most [`MAX_MEMBER_DEPTH`] deep): the data is that part of the
    /// parameter or derived from it.
    member: Option<String>,
    /// The value is still exactly the parameter's part named by `member` (no call, operator
    /// or literal made something else of it), so reading a member of it names a deeper part.
    exact: bool,
    /// The data is bytes (`Buffer.from(...)`), never a string: a sink reached only when its
    /// value is a string (`if (typeof x === 'string') createReadStream(x)`) never gets it.
    binary: bool,
    /// The data reached here only through a method call on parameter `.0` of the function
    /// (`Model.findOne(q).exec()` → `(1, "findOne().exec")`): a caller that passes a model
    /// there gets a clean result.
    via: Option<(usize, String)>,
}

#[derive(Clone, Debug)]
enum V {
    Clean,
    Ctx,
    Req,
    App,
    This,
    /// A typed object, not request data: the canonical path it holds (`app.mysql`,
    /// `mysql.createPool()`, `ctx.model.User.findOne()`).
    Obj(String),
    T(Vec<Trace>),
}

/// One name of a canonical path and the calls made on it (`find()()`: two).
#[derive(Clone, Copy)]
struct Seg<'s> {
    name: &'s str,
    calls: usize,
}

impl<'s> Seg<'s> {
    fn new(name: &'s str) -> Seg<'s> {
        Seg { name, calls: 0 }
    }

    /// The segment as written is exactly `name` (no calls).
    fn is(&self, name: &str) -> bool {
        self.calls == 0 && self.name == name
    }
}

/// A variable: its semantic symbol, or its name when it has none (a global).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Var {
    Sym(SymbolId),
    Name(String),
}

fn join(a: V, b: V) -> V {
    match (a, b) {
        (V::T(mut x), V::T(y)) => {
            for t in y {
                let same = |o: &Trace| o.origin == t.origin && o.via == t.via;
                if let Some(o) = x.iter_mut().find(|o| same(o) && o.member == t.member) {
                    merge_trace(o, &t);
                    continue;
                }
                let siblings = x.iter().filter(|o| same(o)).count();
                if siblings == 0 {
                    // distinct places the data came from, at most MAX_TRACES of them
                    let mut origins: Vec<(Origin, Option<&(usize, String)>)> = Vec::new();
                    for o in &x {
                        if !origins.contains(&(o.origin, o.via.as_ref())) {
                            origins.push((o.origin, o.via.as_ref()));
                        }
                    }
                    if origins.len() < MAX_TRACES {
                        x.push(t);
                    }
                } else if siblings < 2 {
                    // one parameter's two parts (`cmd.dist.content || cmd.dist.localFile`):
                    // kept apart, the value is one of them
                    x.push(t);
                } else if let Some(o) = x.iter_mut().find(|o| same(o)) {
                    // more parts: the data comes from the part holding them all
                    absorb(o, &t);
                }
            }
            V::T(x)
        }
        (V::T(x), _) | (_, V::T(x)) => V::T(x),
        _ => V::Clean,
    }
}

/// Two traces of one origin, read at different parts, taken as one: the data comes from the
/// part holding both (`dist.content`, `dist.localFile` → `dist`), merged as [`merge_trace`].
fn absorb(o: &mut Trace, t: &Trace) {
    if o.member != t.member {
        o.member = match (&o.member, &t.member) {
            (Some(a), Some(b)) => common_member(a, b),
            _ => None,
        };
        o.exact = false;
    }
    merge_trace(o, t);
}

/// Two traces of one origin taken as one: safe for a sink only when both were, an upload or
/// bytes only when both are, the whole object when either is.
fn merge_trace(o: &mut Trace, t: &Trace) {
    o.sanitized &= t.sanitized;
    o.multipart &= t.multipart;
    o.binary &= t.binary;
    o.whole |= t.whole;
    o.exact &= t.exact;
}

fn map_traces(v: V, f: impl Fn(&mut Trace)) -> V {
    match v {
        V::T(mut ts) => {
            for t in &mut ts {
                f(t);
            }
            V::T(ts)
        }
        other => other,
    }
}

fn with_step(v: V, step: &Step) -> V {
    map_traces(v, |t| {
        if t.steps.len() < MAX_STEPS && t.steps.last() != Some(step) {
            t.steps.push(step.clone());
        }
    })
}

/// `ctx.<key>` that carry request data, and whether they are a whole object.
const CTX_SOURCES: &[(&str, bool)] = &[
    ("query", true),
    ("queries", true),
    // the router's named parameters: keys the route pattern fixes, string values (never an
    // operator object, a `__proto__` key or a column the caller picks)
    ("params", false),
    ("headers", true),
    ("header", true),
    ("href", false),
    ("url", false),
    ("originalUrl", false),
    ("querystring", false),
    ("search", false),
    ("host", false),
    ("hostname", false),
    ("origin", false),
    ("path", false),
];
/// `ctx.request.<key>` that carry request data.
const REQ_SOURCES: &[(&str, bool)] = &[
    ("body", true),
    ("files", true),
    ("query", true),
    ("queries", true),
    ("headers", true),
    ("header", true),
    ("href", false),
    ("url", false),
    ("originalUrl", false),
    ("querystring", false),
    ("search", false),
    ("rawBody", false),
    ("host", false),
    ("path", false),
];
/// tegg parameter decorators that inject request data.
const TEGG_SOURCES: &[&str] = &[
    "HTTPQuery",
    "HTTPQueries",
    "HTTPBody",
    "HTTPParam",
    "HTTPHeaders",
    "Cookies",
];
/// `ctx.validate` rule types that leave only safe values.
const SAFE_RULE_TYPES: &[&str] = &[
    "int", "integer", "number", "id", "boolean", "bool", "enum", "date", "datetime", "dateTime",
    "email",
];

struct Frame {
    name: String,
    class: Option<String>,
    params: Vec<String>,
    line: u32,
    column: u32,
    validated: HashSet<String>,
    reads_input: bool,
    validates: bool,
    checks_auth: bool,
    renews_session: bool,
    identity_sets: Vec<(u32, u32, String)>,
    trusts_input: Vec<(u32, u32, String)>,
    html_type: bool,
    /// Parameters (bit i = parameter i) whose data a `return` hands back.
    returns: u32,
    returns_via: Vec<ReturnVia>,
}

struct FlowVisitor<'p, 't> {
    at: &'p Place<'t>,
    frames: Vec<Frame>,
    scoping: &'p Scoping,
    models: &'p Models,
    /// Every variable's latest value.
    vars: rustc_hash::FxHashMap<Var, V>,
    /// Clean string variables that fix where a URL goes (`let u = \`${proto}//${host}/\``,
    /// `const base = 'https://api.x.com/'`): the sink kinds text appended to them is safe
    /// for (`u += ctx.path`, `base + q`).
    shapes: HashMap<Var, u32>,
    /// tegg `@Inject() name: Type` class properties: name → class.
    injected: HashMap<String, String>,
    /// tegg `@Inject() Binary: typeof BinaryModel`: a model class injected by
    /// `@eggjs/tegg-orm-plugin` (leoric), name → the type's name.
    injected_models: HashMap<String, String>,
    /// The superclass of each class being walked (`class A extends AbstractController`), for
    /// `this.m()` inherited from a class of another file.
    supers: Vec<Option<String>>,
    /// Functions of this file already walked: which parameters their result carries.
    summaries: HashMap<String, Returns>,
    /// The same for helpers and services of other files (see [`Summaries`]).
    external: &'p Summaries,
    /// Names given to function nodes (by span start) by their context, and enclosing classes.
    namer: Namer,
    /// Taint handed to a callback's first parameter (by the callback's span start).
    callback_taint: HashMap<u32, V>,
    /// Names of caught errors being walked (innermost last).
    caught: Vec<String>,
    /// Inside the branch of `if (env === 'local' || env === 'unittest')`: error details shown
    /// to the developer only.
    dev_only: u32,
    /// Parameter parts known to be strings where the walk is (`if (typeof x === 'string')`):
    /// the owner function, the parameter, the member path.
    string_guards: Vec<(String, usize, Option<String>)>,
    /// Object literals bound to names: their keys with a safe `ctx.validate` type.
    rule_objects: HashMap<String, Vec<String>>,
    /// Locals declared with an object literal (`let info = { url, slogan }`): the first
    /// secret-named key or value it holds, also among fields assigned to it later (`info.cvv =
    /// ...`). A log of such a local is judged by what it holds, not by its own name
    /// (`creditCardInfo`); see [`Self::sensitive_in`].
    literal_secrets: HashMap<SymbolId, Option<String>>,
    /// `const ok = validate(x)` with a check model (ajv): `ok`'s variable → `x`'s.
    check_results: HashMap<Var, Var>,
    /// Object literals bound to locals (`const data = { x: ctx.query.x }`): each key's value,
    /// for `ctx.render(view, data)`.
    render_objects: HashMap<Var, Vec<(String, V)>>,
    /// Names of functions declared anywhere in the file (for local calls).
    local_functions: HashSet<String>,
    /// Variables holding a field of a stored record (see [`writes`]).
    stored: HashMap<Var, writes::Stored>,
    /// A controller or `app/extend/context` file: outside a class, `this` is egg's context.
    this_is_ctx: bool,
    out: &'p mut SourceFacts,
}

/// Runs the flow engine and the code-fact extractors over a parsed file. Returns the file's
/// tegg `@Inject()` class properties (name → class), which the other extractors read too.
pub(crate) fn analyze(
    program: &Program<'_>,
    at: &Place<'_>,
    models: &Models,
    external: &Summaries,
    out: &mut SourceFacts,
) -> HashMap<String, String> {
    let semantic = crate::timing::time("semantic", || {
        SemanticBuilder::new().build(program).semantic
    });
    let mut v = FlowVisitor {
        at,
        frames: vec![Frame::new("<module>".into(), None, vec![], 1, 1)],
        scoping: semantic.scoping(),
        models,
        vars: rustc_hash::FxHashMap::default(),
        shapes: HashMap::new(),
        injected: HashMap::new(),
        injected_models: HashMap::new(),
        supers: Vec::new(),
        summaries: HashMap::new(),
        external,
        namer: Namer::default(),
        callback_taint: HashMap::new(),
        caught: Vec::new(),
        dev_only: 0,
        string_guards: Vec::new(),
        rule_objects: HashMap::new(),
        literal_secrets: HashMap::new(),
        check_results: HashMap::new(),
        render_objects: HashMap::new(),
        local_functions: HashSet::new(),
        stored: HashMap::new(),
        this_is_ctx: {
            let p = out.path.to_string_lossy().replace('\\', "/");
            p.contains("/app/controller/")
                || p.starts_with("app/controller/")
                || p.contains("/app/extend/context.")
                || p.starts_with("app/extend/context.")
        },
        out,
    };
    let mut pre = Declared::default();
    pre.visit_program(program);
    v.local_functions = pre.names;
    v.injected = pre.injected;
    v.injected_models = pre.injected_models;
    v.visit_program(program);
    link_local(v.out);
    v.injected
}

/// A tegg `@Inject()` class property (`@Inject() private readonly fooService: FooService;`):
/// its name and the class it holds (its type, else its name capitalised).
fn inject_target(it: &PropertyDefinition<'_>) -> Option<(String, String)> {
    let inject = it.decorators.iter().any(|d| {
        let callee = match &d.expression {
            Expression::CallExpression(c) => &c.callee,
            e => e,
        };
        matches!(callee.get_inner_expression(), Expression::Identifier(i) if i.name == "Inject")
    });
    if !inject {
        return None;
    }
    let name = it.key.static_name()?;
    let class = it
        .type_annotation
        .as_ref()
        .and_then(|t| match &t.type_annotation {
            TSType::TSTypeReference(r) => match &r.type_name {
                TSTypeName::IdentifierReference(i) => Some(i.name.as_str().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_else(|| untyped_injection_class(&name));
    Some((name.into_owned(), class))
}

/// The class tegg injects into an untyped `@Inject()` property: its name capitalised
/// (`fooService` → `FooService`).
fn untyped_injection_class(prop: &str) -> String {
    let mut c = prop.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The model class of a tegg `@Inject()` property typed `typeof X` (`@Inject() private readonly
/// Binary: typeof BinaryModel`): tegg injects a class object itself only for the ORM models of
/// `@eggjs/tegg-orm-plugin`, which are leoric `Bone`s.
fn injected_model(it: &PropertyDefinition<'_>) -> Option<String> {
    match &it.type_annotation.as_ref()?.type_annotation {
        TSType::TSTypeQuery(q) => match &q.expr_name {
            TSTypeQueryExprName::IdentifierReference(i) => Some(i.name.as_str().to_owned()),
            _ => None,
        },
        _ => None,
    }
}

/// Collects the names of functions declared in a file (declarations, `const f = () =>`, class
/// methods), so calls to them can be linked.
#[derive(Default)]
struct Declared {
    names: HashSet<String>,
    injected: HashMap<String, String>,
    injected_models: HashMap<String, String>,
}

impl<'a> Visit<'a> for Declared {
    fn visit_property_definition(&mut self, it: &PropertyDefinition<'a>) {
        if let Some((name, class)) = inject_target(it) {
            if let Some(model) = injected_model(it) {
                self.injected_models.insert(name.clone(), model);
            }
            self.injected.insert(name, class);
        }
        walk::walk_property_definition(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        if let Some(id) = &it.id {
            self.names.insert(id.name.as_str().to_owned());
        }
        walk::walk_function(self, it, flags);
    }
    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&it.id, &it.init) {
            if matches!(
                init.get_inner_expression(),
                Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)
            ) {
                self.names.insert(id.name.as_str().to_owned());
            }
        }
        walk::walk_variable_declarator(self, it);
    }
}

impl Frame {
    fn new(
        name: String,
        class: Option<String>,
        params: Vec<String>,
        line: u32,
        column: u32,
    ) -> Self {
        Frame {
            name,
            class,
            params,
            line,
            column,
            validated: HashSet::new(),
            reads_input: false,
            validates: false,
            checks_auth: false,
            renews_session: false,
            identity_sets: Vec::new(),
            trusts_input: Vec::new(),
            html_type: false,
            returns: 0,
            returns_via: Vec::new(),
        }
    }
}

fn is_identity_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    matches!(
        k.as_str(),
        "user"
            | "userid"
            | "uid"
            | "user_id"
            | "userinfo"
            | "account"
            | "accountid"
            | "login"
            | "currentuser"
            | "username"
            | "passport"
            | "member"
            | "memberid"
            | "admin"
    )
}

fn is_secret_name(name: &str) -> bool {
    // lower-cased without `_`/`-`, on the stack (this runs for every name a log call or an
    // object literal bound to a local holds)
    let mut buf: smallvec::SmallVec<[u8; 64]> = smallvec::SmallVec::new();
    buf.extend(
        name.bytes()
            .filter(|b| !matches!(b, b'_' | b'-'))
            .map(|b| b.to_ascii_lowercase()),
    );
    let Ok(n) = std::str::from_utf8(&buf[..]) else {
        return false;
    };
    SECRET_WORDS
        .iter()
        .any(|w| n == *w || n.ends_with(w) || n.starts_with(w))
        && !NOT_SECRET_ENDINGS.iter().any(|e| n.ends_with(e))
}

/// Words of names that hold a secret (compared lower-cased, without `_`/`-`).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "authorization",
    "privatekey",
    "creditcard",
    "cardnumber",
    "cvv",
    "accesskey",
    "clientsecret",
];

/// Endings of such names that hold no secret: a count, a length, a type, a name; the id of a
/// token or of a key pair names it and does not grant anything (`tokenId`, `secretId`), nor
/// does its expiry.
const NOT_SECRET_ENDINGS: &[&str] = &[
    "count",
    "length",
    "type",
    "name",
    "id",
    "ids",
    "expires",
    "expiresin",
    "expiresat",
    "expiredat",
];

impl<'p, 't> FlowVisitor<'p, 't> {
    fn frame(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("module frame")
    }

    fn step(&self, span: Span) -> Step {
        let (line, column) = self.at.line_col(span.start);
        Step {
            file: None,
            line,
            column,
            what: self.at.snippet(span.start, span.end),
        }
    }

    /// The sink kinds text appended to a clean string expression is safe for: the same URL
    /// prefixes as for `+` and template literals, a variable holding one.
    fn shape(&self, expr: &Expression<'_>) -> u32 {
        match expr.get_inner_expression() {
            Expression::StringLiteral(s) => prefix_bits(&s.value, false, ""),
            Expression::TemplateLiteral(t) => {
                let first = t.quasis.first().map(|q| q.value.raw.as_str()).unwrap_or("");
                let second = t.quasis.get(1).map(|q| q.value.raw.as_str()).unwrap_or("");
                let lead = first.is_empty() && !t.expressions.is_empty();
                let mut bits = prefix_bits(first, lead, second);
                if lead {
                    bits |= t.expressions.first().map_or(0, |e| self.shape_of_ident(e));
                }
                bits
            }
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let mut parts = Vec::new();
                flatten_plus(expr, &mut parts);
                match parts.first().map(|e| e.get_inner_expression()) {
                    Some(Expression::StringLiteral(s)) => prefix_bits(&s.value, false, ""),
                    Some(Expression::TemplateLiteral(_)) => self.shape(parts[0]),
                    Some(e) => {
                        let second = match parts.get(1).map(|e| e.get_inner_expression()) {
                            Some(Expression::StringLiteral(s)) => s.value.as_str().to_owned(),
                            _ => String::new(),
                        };
                        prefix_bits("", true, &second) | self.shape_of_ident(e)
                    }
                    None => 0,
                }
            }
            e => self.shape_of_ident(e),
        }
    }

    fn shape_of_ident(&self, expr: &Expression<'_>) -> u32 {
        match expr.get_inner_expression() {
            Expression::Identifier(id) => {
                self.shapes.get(&self.var_of_ref(id)).copied().unwrap_or(0)
            }
            _ => 0,
        }
    }

    fn set_shape(&mut self, var: Var, bits: u32) {
        if bits == 0 {
            self.shapes.remove(&var);
        } else {
            self.shapes.insert(var, bits);
        }
    }

    /// A module specifier as a canonical head: a package as written, a relative file as its
    /// [`module_key`].
    fn module_head(&self, spec: String) -> String {
        match resolve_relative(&self.out.path, &spec) {
            Some(p) => module_key(&p),
            None => spec,
        }
    }

    /// After `if (<test>) throw …`: the values `test` checks for `..` ([`dotdot_checked`])
    /// cannot climb out of a directory.
    fn dotdot_guard(&mut self, test: &Expression<'_>) {
        let mut dotdot = Vec::new();
        dotdot_checked(test, &mut dotdot);
        for id in dotdot {
            let var = self.var_of_ref(id);
            if let Some(v) = self.vars.get(&var).cloned() {
                let v = map_traces(v, |t| t.sanitized |= SinkKind::Path.bit());
                self.set(var, v);
            }
        }
    }

    fn var_of_ref(&self, id: &IdentifierReference<'_>) -> Var {
        match self.symbol_of_ref(id) {
            Some(s) => Var::Sym(s),
            None => Var::Name(id.name.as_str().to_owned()),
        }
    }

    /// The declared variable an identifier refers to (`None`: a global).
    fn symbol_of_ref(&self, id: &IdentifierReference<'_>) -> Option<SymbolId> {
        id.reference_id
            .get()
            .and_then(|r| self.scoping.get_reference(r).symbol_id())
    }

    fn var_of_binding(&self, id: &BindingIdentifier<'_>) -> Var {
        match id.symbol_id.get() {
            Some(s) => Var::Sym(s),
            None => Var::Name(id.name.as_str().to_owned()),
        }
    }

    /// The value of an identifier: its variable's, else egg's well-known names for globals.
    fn lookup_ref(&self, id: &IdentifierReference<'_>) -> Option<V> {
        let var = self.var_of_ref(id);
        if let Some(v) = self.vars.get(&var) {
            return Some(v.clone());
        }
        match (&var, id.name.as_str()) {
            (Var::Name(_), "ctx" | "context") => Some(V::Ctx),
            (Var::Name(_), "app") => Some(V::App),
            _ => None,
        }
    }

    fn set(&mut self, var: Var, v: V) {
        self.vars.insert(var, v);
    }

    /// The variable at the root of `expr` when `expr` is a plain identifier.
    fn ident_var(&self, expr: &Expression<'_>) -> Option<Var> {
        match expr.get_inner_expression() {
            Expression::Identifier(id) => Some(self.var_of_ref(id)),
            _ => None,
        }
    }

    /// The variable a check call validates (`validate(x)` with an ajv validator, `await`ed or
    /// not), when `e` is one.
    fn check_call(&self, e: &Expression<'_>) -> Option<Var> {
        let mut e = e.get_inner_expression();
        if let Expression::AwaitExpression(a) = e {
            e = a.argument.get_inner_expression();
        }
        let Expression::CallExpression(c) = e else {
            return None;
        };
        let path = self.canon(&c.callee)?;
        let segs = segments(&path);
        let i = self.models.check_arg(&segs)?;
        self.ident_var(c.arguments.get(i)?.as_expression()?)
    }

    fn validated(&self, key: &str) -> bool {
        self.frames.iter().any(|f| f.validated.contains(key))
    }

    fn source(&mut self, what: &str, whole: bool, span: Span) -> V {
        self.frame().reads_input = true;
        let mut step = self.step(span);
        if step.what.is_empty() {
            step.what = what.to_string();
        }
        let multipart = matches!(
            what,
            "files" | "ctx.getFileStream" | "ctx.getFileStreams" | "ctx.multipart"
        );
        V::T(vec![Trace {
            origin: Origin::Source,
            steps: vec![step],
            whole,
            sanitized: 0,
            owner: String::new(),
            multipart,
            member: None,
            exact: false,
            binary: false,
            via: None,
        }])
    }

    fn member(&mut self, obj: V, key: &str, span: Span) -> V {
        match obj {
            // egg 1 controllers (`exports.index = function* () { this.query }`) and
            // app/extend/context.js: `this` is the request context
            V::This if self.this_is_ctx && !self.namer.in_class() && key != "ctx" => {
                self.member(V::Ctx, key, span)
            }
            V::This => match key {
                "ctx" => V::Ctx,
                "app" => V::App,
                "service" | "helper" | "logger" => V::Obj(format!("ctx.{key}")),
                "config" => V::Obj("app.config".into()),
                _ => V::Obj(format!("this.{key}")),
            },
            V::Ctx => {
                if let Some((_, whole)) = CTX_SOURCES.iter().find(|(k, _)| *k == key) {
                    self.source(key, *whole, span)
                } else {
                    match key {
                        "request" | "req" => V::Req,
                        "app" => V::App,
                        _ => {
                            if key == "user" {
                                self.frame().checks_auth = true;
                            }
                            V::Obj(format!("ctx.{key}"))
                        }
                    }
                }
            }
            V::Req => match REQ_SOURCES.iter().find(|(k, _)| *k == key) {
                Some((_, whole)) => self.source(key, *whole, span),
                None => V::Obj(format!("ctx.request.{key}")),
            },
            V::App => V::Obj(format!("app.{key}")),
            V::Obj(p) => V::Obj(format!("{p}.{key}")),
            V::T(ts) => {
                if matches!(key, "length" | "size") || self.validated(key) {
                    return V::Clean;
                }
                // egg-multipart: `filepath` is egg's own temp file; `filename` went through
                // busboy's basename (no directories, never `..`).
                if !ts.is_empty() && ts.iter().all(|t| t.multipart) {
                    match key {
                        "filepath" => return V::Clean,
                        "filename" => {
                            return V::T(
                                ts.into_iter()
                                    .map(|mut t| {
                                        t.whole = false;
                                        t.sanitized |= SinkKind::Path.bit() | SinkKind::Shell.bit();
                                        t
                                    })
                                    .collect(),
                            )
                        }
                        "fields" => {
                            return V::T(
                                ts.into_iter()
                                    .map(|mut t| {
                                        t.multipart = false;
                                        t
                                    })
                                    .collect(),
                            )
                        }
                        _ => {}
                    }
                }
                V::T(
                    ts.into_iter()
                        .map(|mut t| {
                            t.whole = false;
                            if matches!(t.origin, Origin::Param(_)) {
                                read_member(&mut t, key);
                            }
                            t
                        })
                        .collect(),
                )
            }
            V::Clean => V::Clean,
        }
    }

    /// The canonical path of a callee or member chain (see the module docs): egg objects
    /// normalised (`ctx`, `app`, `ctx.request`, `ctx.service`, `ctx.helper`), imports resolved
    /// to module paths, typed variables to what they hold, calls marked `()`, local functions
    /// and untyped variables as `local:<name>`, globals by name.
    /// The [`Summaries`] key of a call on a tegg `@Inject()` property: `this.fooService.bar` →
    /// `class:FooService.bar`.
    fn injected_key(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix("this.")?;
        let Some((prop, method)) = rest.split_once('.') else {
            // `this.m()` inherited from the superclass (`extends AbstractController`), when
            // this file does not define `m`
            if self.local_functions.contains(rest) {
                return None;
            }
            let parent = self.supers.last()?.as_ref()?;
            return Some(format!("class:{parent}.{rest}"));
        };
        if method.contains('.') {
            return None;
        }
        if let Some(class) = self.injected.get(prop) {
            return Some(format!("class:{class}.{method}"));
        }
        // injected in the superclass (`AbstractController`'s `@Inject() packageRepository`):
        // tegg's name for an untyped injection, the property capitalised
        self.supers.last()?.as_ref()?;
        Some(format!("class:{}.{method}", untyped_injection_class(prop)))
    }

    fn canon(&self, expr: &Expression<'_>) -> Option<String> {
        // The links from the outside in, borrowed from the AST (`()` for a call); the head
        // (what the chain starts at) is resolved after the walk. One string is built at the
        // end: this runs for every callee and member chain the flow pass looks at.
        let mut raw: smallvec::SmallVec<[&str; 8]> = smallvec::SmallVec::new();
        let mut cur = expr.get_inner_expression();
        let mut module: Option<String> = None;
        let ident = loop {
            match cur {
                Expression::StaticMemberExpression(m) => {
                    raw.push(m.property.name.as_str());
                    cur = m.object.get_inner_expression();
                }
                Expression::ComputedMemberExpression(m) => {
                    raw.push(match &m.expression {
                        Expression::StringLiteral(s) => s.value.as_str(),
                        _ => "[]",
                    });
                    cur = m.object.get_inner_expression();
                }
                Expression::CallExpression(c) => {
                    if let Some(spec) = require_spec(cur) {
                        module = Some(self.module_head(spec));
                        break None;
                    }
                    raw.push("()");
                    cur = c.callee.get_inner_expression();
                }
                Expression::NewExpression(n) => {
                    raw.push("()");
                    cur = n.callee.get_inner_expression();
                }
                Expression::AwaitExpression(a) => cur = a.argument.get_inner_expression(),
                Expression::ThisExpression(_) => break None,
                Expression::Identifier(id) => break Some(id),
                _ => return None,
            }
        };
        // what the head's names borrow from
        let held: Option<V>;
        let local: String;
        let mut path: smallvec::SmallVec<[Seg<'_>; 8]> = smallvec::SmallVec::new();
        match (ident, &module) {
            (None, Some(m)) => path.push(Seg::new(m)),
            (None, None) => path.push(Seg::new("this")),
            (Some(id), _) => {
                held = self.lookup_ref(id);
                match &held {
                    Some(V::Ctx) => path.push(Seg::new("ctx")),
                    Some(V::App) => path.push(Seg::new("app")),
                    Some(V::Req) => path.extend([Seg::new("ctx"), Seg::new("request")]),
                    Some(V::This) => path.push(Seg::new("this")),
                    Some(V::Obj(p)) => path.extend(p.split('.').map(Seg::new)),
                    Some(V::T(_)) | Some(V::Clean) | None => {
                        if self.symbol_of_ref(id).is_some() {
                            local = format!("local:{}", id.name);
                            path.push(Seg::new(&local));
                        } else {
                            path.push(Seg::new(id.name.as_str()));
                        }
                    }
                }
            }
        }
        for seg in raw.into_iter().rev() {
            if seg == "()" {
                if let Some(last) = path.last_mut() {
                    last.calls += 1;
                }
            } else {
                path.push(Seg::new(seg));
            }
        }
        if path.len() > 1 && path[0].is("this") {
            // (the second name without its calls: `this.ctx().x` is `ctx.x`)
            match path[1].name.trim_end_matches("()") {
                "ctx" | "app" => {
                    path.remove(0);
                }
                "service" | "helper" | "logger" => path[0] = Seg::new("ctx"),
                "config" => path[0] = Seg::new("app"),
                // a tegg-orm model: `this.Binary.findOne()` is `leoric.Binary.findOne()`
                prop if path[1].calls == 0 => {
                    if let Some(model) = self.injected_models.get(prop) {
                        path[0] = Seg::new("leoric");
                        path[1] = Seg::new(model);
                    }
                }
                _ => {}
            }
        }
        if path.len() > 1 && path[0].is("ctx") && path[1].is("app") {
            path.remove(0);
        }
        let mut out =
            String::with_capacity(path.iter().map(|s| s.name.len() + 1 + 2 * s.calls).sum());
        for (i, seg) in path.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(seg.name);
            for _ in 0..seg.calls {
                out.push_str("()");
            }
        }
        Some(out)
    }

    fn eval(&mut self, expr: &Expression<'_>) -> V {
        let span = expr.span();
        match expr {
            Expression::Identifier(id) => self.lookup_ref(id).unwrap_or(V::Clean),
            Expression::ThisExpression(_) => V::This,
            Expression::StaticMemberExpression(m) => {
                let o = self.eval(&m.object);
                let key = m.property.name.as_str();
                let v = self.member(o, key, span);
                if is_browser_url_header(key)
                    && matches!(
                        self.canon(&m.object).as_deref(),
                        Some(
                            "ctx.headers"
                                | "ctx.header"
                                | "ctx.request.headers"
                                | "ctx.request.header"
                        )
                    )
                {
                    return browser_encoded(v, Some(key));
                }
                v
            }
            Expression::ComputedMemberExpression(m) => {
                let o = self.eval(&m.object);
                match &m.expression {
                    Expression::StringLiteral(s) => self.member(o, s.value.as_str(), span),
                    _ => match o {
                        V::T(_) => self.member(o, "[]", span),
                        _ => V::Clean,
                    },
                }
            }
            Expression::TemplateLiteral(t) => {
                let mut v = V::Clean;
                let mut lead_clean = false;
                for (i, e) in t.expressions.iter().enumerate() {
                    let x = self.eval(e);
                    if i == 0 {
                        lead_clean = !matches!(x, V::T(_));
                    }
                    v = join(v, x);
                }
                let first = t.quasis.first().map(|q| q.value.raw.as_str()).unwrap_or("");
                let second = t.quasis.get(1).map(|q| q.value.raw.as_str()).unwrap_or("");
                let mut bits = prefix_bits(first, lead_clean && first.is_empty(), second);
                if first.is_empty() {
                    bits |= t.expressions.first().map_or(0, |e| self.shape_of_ident(e));
                }
                map_traces(strip_whole(v), |t| t.sanitized |= bits)
            }
            Expression::BinaryExpression(b) => {
                if b.operator == BinaryOperator::Addition {
                    // a + b + c: the leading literal (or clean expression then literal) fixes
                    // where a URL goes
                    let mut parts = Vec::new();
                    flatten_plus(expr, &mut parts);
                    let mut v = V::Clean;
                    let mut lead_clean = false;
                    for (i, p) in parts.iter().enumerate() {
                        let x = self.eval(p);
                        if i == 0 {
                            lead_clean = !matches!(x, V::T(_));
                        }
                        v = join(v, x);
                    }
                    let lit =
                        |e: Option<&&Expression<'_>>| match e.map(|e| e.get_inner_expression()) {
                            Some(Expression::StringLiteral(s)) => Some(s.value.as_str().to_owned()),
                            Some(Expression::TemplateLiteral(t)) => {
                                t.quasis.first().map(|q| q.value.raw.to_string())
                            }
                            _ => None,
                        };
                    let bits = match lit(parts.first()) {
                        Some(first) => prefix_bits(&first, false, ""),
                        None => {
                            let second = lit(parts.get(1)).unwrap_or_default();
                            prefix_bits("", lead_clean, &second)
                                | parts.first().map_or(0, |e| self.shape_of_ident(e))
                        }
                    };
                    map_traces(strip_whole(v), |t| t.sanitized |= bits)
                } else {
                    V::Clean
                }
            }
            Expression::LogicalExpression(l) => {
                let a = self.eval(&l.left);
                let b = self.eval(&l.right);
                join(a, b)
            }
            Expression::ConditionalExpression(c) => {
                // LIST.includes(t) ? t : '/' — the checked value is one of the list's
                let checked = allow_checked(&c.test);
                let is_checked = |s: &Self, e: &Expression<'_>| {
                    checked.as_ref().is_some_and(|(var, negated)| {
                        !negated
                            && s.ident_var(e).is_some_and(|v| {
                                v == s.ident_var(var).unwrap_or(Var::Name(String::new()))
                            })
                    })
                };
                let a = if is_checked(self, &c.consequent) {
                    V::Clean
                } else if same_site_path_checked(&c.test).is_some_and(|x| {
                    let text = |e: &Expression<'_>| {
                        let sp = e.get_inner_expression().span();
                        self.at.text.get(sp.start as usize..sp.end as usize)
                    };
                    text(x).is_some() && text(x) == text(&c.consequent)
                }) {
                    // /^\/(?![\s/\\])/.test(t) ? t : '/' — a path on this host
                    map_traces(self.eval(&c.consequent), |t| {
                        t.sanitized |= SinkKind::Redirect.bit() | SinkKind::UnsafeRedirect.bit()
                    })
                } else {
                    self.eval(&c.consequent)
                };
                let b = if checked.as_ref().is_some_and(|(var, negated)| {
                    *negated
                        && self.ident_var(&c.alternate).is_some()
                        && self.ident_var(&c.alternate) == self.ident_var(var)
                }) {
                    V::Clean
                } else {
                    self.eval(&c.alternate)
                };
                join(a, b)
            }
            Expression::ParenthesizedExpression(p) => self.eval(&p.expression),
            Expression::TSAsExpression(e) => self.eval(&e.expression),
            Expression::TSSatisfiesExpression(e) => self.eval(&e.expression),
            Expression::TSNonNullExpression(e) => self.eval(&e.expression),
            Expression::TSTypeAssertion(e) => self.eval(&e.expression),
            Expression::AwaitExpression(a) => self.eval(&a.argument),
            Expression::AssignmentExpression(a) => self.eval(&a.right),
            Expression::SequenceExpression(s) => match s.expressions.last() {
                Some(e) => self.eval(e),
                None => V::Clean,
            },
            Expression::ArrayExpression(a) => {
                let mut v = V::Clean;
                for el in &a.elements {
                    let x = match el {
                        ArrayExpressionElement::SpreadElement(s) => self.eval(&s.argument),
                        other => match other.as_expression() {
                            Some(e) => self.eval(e),
                            None => V::Clean,
                        },
                    };
                    v = join(v, x);
                }
                strip_whole(v)
            }
            Expression::ObjectExpression(o) => {
                let mut v = V::Clean;
                for p in &o.properties {
                    let x = match p {
                        ObjectPropertyKind::SpreadProperty(s) => self.eval(&s.argument),
                        ObjectPropertyKind::ObjectProperty(p) => strip_whole(self.eval(&p.value)),
                    };
                    v = join(v, x);
                }
                v
            }
            Expression::CallExpression(c) => self.eval_call(c),
            Expression::ChainExpression(c) => match &c.expression {
                ChainElement::CallExpression(call) => self.eval_call(call),
                ChainElement::StaticMemberExpression(m) => {
                    let o = self.eval(&m.object);
                    self.member(o, m.property.name.as_str(), span)
                }
                ChainElement::ComputedMemberExpression(m) => {
                    let o = self.eval(&m.object);
                    match o {
                        V::T(_) => self.member(o, "[]", span),
                        _ => V::Clean,
                    }
                }
                _ => V::Clean,
            },
            Expression::NewExpression(n) => {
                let name = self.canon(&n.callee).unwrap_or_default();
                if matches!(name.as_str(), "URL" | "String" | "url.URL") {
                    let mut v = V::Clean;
                    for a in n.arguments.iter().filter_map(|a| a.as_expression()) {
                        let x = self.eval(a);
                        v = join(v, x);
                    }
                    strip_whole(v)
                } else {
                    // `new Ajv()`, `new OSS({...})`: an instance of a required module's class
                    // is typed like a call of it (`ajv().compile`)
                    match self.eval(&n.callee) {
                        V::Obj(p) if !p.starts_with("local:") => V::Obj(format!("{p}()")),
                        _ => V::Clean,
                    }
                }
            }
            _ => V::Clean,
        }
    }

    fn eval_call(&mut self, c: &CallExpression<'_>) -> V {
        let path = self.canon(&c.callee).unwrap_or_default();
        let last = path.rsplit('.').next().unwrap_or("");
        let span = c.span;
        match path.as_str() {
            "ctx.get" | "ctx.cookies.get" | "ctx.request.get" | "ctx.getFileStream"
            | "ctx.multipart" | "ctx.getFileStreams" => {
                let whole = !path.ends_with("get");
                let v = self.source(&path, whole, span);
                let header = match c.arguments.first().and_then(|a| a.as_expression()) {
                    Some(Expression::StringLiteral(h)) if path != "ctx.cookies.get" => {
                        Some(h.value.as_str())
                    }
                    _ => None,
                };
                return browser_encoded(v, header);
            }
            "JSON.parse" => {
                let v = self.args(c).into_iter().fold(V::Clean, join);
                return map_traces(v, |t| t.whole = true);
            }
            // bytes, never a string
            "Buffer.from" | "Buffer.alloc" | "Buffer.allocUnsafe" | "Buffer.concat" => {
                let v = self.args(c).into_iter().fold(V::Clean, join);
                return map_traces(strip_whole(v), |t| t.binary = true);
            }
            // a copy of the whole object: `Object.assign({}, ctx.request.body)` is the body
            "Object.assign" | "lodash.assign" | "lodash.extend" | "underscore.extend" => {
                return self.args(c).into_iter().fold(V::Clean, join);
            }
            _ => {}
        }
        let segs = segments(&path);
        let sanitizes = self.models.sanitizer_bits(&segs);
        if sanitizes == u32::MAX {
            return V::Clean;
        }
        let args = self.args(c);
        if self.models.formatter(&segs) {
            return strip_whole(args.into_iter().next().unwrap_or(V::Clean));
        }
        if sanitizes != 0 {
            let v = args.into_iter().next().unwrap_or(V::Clean);
            return map_traces(strip_whole(v), |t| t.sanitized |= sanitizes);
        }
        // a helper, a service, a required module or a tegg-injected class of another file:
        // its result carries the parameters it returns
        if let Some(r) = summary_key(&path)
            .or_else(|| self.injected_key(&path))
            .and_then(|k| self.external.get(&k))
            .or_else(|| {
                instance_method(&path).and_then(|(module, method)| {
                    self.external.get(format!("{module}.{method}").as_str())
                })
            })
        {
            return self.apply_returns(r, args);
        }
        // what a database, a service or a remote API returns is not request data
        if self.models.clean_result(&segs) {
            return V::Obj(format!("{path}()"));
        }
        // x.replace(/[^\w]/g, '') keeps only safe characters; x.replace(/[.*+?^${}()|[\]\\]/g,
        // '\\$&') escapes a regex
        if last == "replace" || last == "replaceAll" {
            if let Some(Expression::RegExpLiteral(r)) =
                c.arguments.first().and_then(|a| a.as_expression())
            {
                let pat = r.regex.pattern.text.as_str();
                if pat.starts_with("[^") {
                    return V::Clean;
                }
                let escapes = matches!(c.arguments.get(1).and_then(|a| a.as_expression()).map(|e| e.get_inner_expression()),
                    Some(Expression::StringLiteral(s)) if s.value.contains("$&"));
                if escapes && pat.contains("\\\\") {
                    let recv = match c.callee.get_inner_expression() {
                        Expression::StaticMemberExpression(m) => self.eval(&m.object),
                        _ => V::Clean,
                    };
                    return map_traces(strip_whole(recv), |t| t.sanitized |= SinkKind::Regex.bit());
                }
            }
        }
        // a function of this file already walked: its result carries only the parameters it
        // returns (a method that fetches and returns remote or DB data hands back none)
        let local = path
            .strip_prefix("this.")
            .or_else(|| path.strip_prefix("local:"))
            .filter(|n| !n.contains('.'));
        if let Some(r) = local.and_then(|n| self.summaries.get(n)).cloned() {
            return self.apply_returns(&r, args);
        }
        // path.join('/x', ...) / path.join(ctx.path, ...) is path-relative: a safe redirect
        if matches!(
            path.as_str(),
            "path.join" | "path.posix.join" | "path.resolve" | "path.posix.resolve"
        ) {
            let rooted = c
                .arguments
                .first()
                .and_then(|a| a.as_expression())
                .is_some_and(|a| match a.get_inner_expression() {
                    Expression::StringLiteral(s) => s.value.starts_with('/'),
                    e => matches!(
                        self.canon(e).as_deref(),
                        Some("ctx.path" | "ctx.request.path")
                    ),
                });
            if rooted {
                let v = args.into_iter().fold(V::Clean, join);
                return map_traces(strip_whole(v), |t| {
                    t.sanitized |= SinkKind::Redirect.bit() | SinkKind::UnsafeRedirect.bit()
                });
            }
        }
        let receiver = match c.callee.get_inner_expression() {
            Expression::StaticMemberExpression(m) => self.eval(&m.object),
            Expression::ComputedMemberExpression(m) => self.eval(&m.object),
            _ => V::Clean,
        };
        if matches!(
            last,
            "includes"
                | "indexOf"
                | "startsWith"
                | "endsWith"
                | "test"
                | "has"
                | "some"
                | "every"
                | "hasOwnProperty"
                | "lastIndexOf"
                | "localeCompare"
                | "isValid"
                | "validate"
                | "compare"
        ) {
            return V::Clean;
        }
        let receiver = match receiver {
            V::T(_) => receiver,
            _ => V::Clean,
        };
        // a method called on a parameter (`Model.findOne(q)`): what it gives back depends on
        // what the caller passes there — remember the call, the caller decides
        let via = self.param_call(c, &receiver, last);
        // `s.replace(pattern, replacement)`: the result is the receiver's text with the
        // replacement put in; the pattern only chooses where (`stored.replace(ctx.origin,
        // 'app')`). Not when the replacement is empty: deleting a chosen substring can make
        // `..` out of `.x.`.
        let pattern_only = matches!(last, "replace" | "replaceAll")
            && args.len() >= 2
            && !matches!(
                c.arguments.get(1).and_then(|a| a.as_expression()).map(|e| e.get_inner_expression()),
                Some(Expression::StringLiteral(s)) if s.value.is_empty()
            );
        let mut v = strip_whole(receiver);
        for a in args.into_iter().skip(usize::from(pattern_only)) {
            v = join(v, strip_whole(a));
        }
        if let Some(via) = via {
            let name = self
                .frames
                .last()
                .map(|f| f.name.clone())
                .unwrap_or_default();
            v = map_traces(v, |t| {
                if matches!(t.origin, Origin::Param(_)) && t.owner == name {
                    t.via = Some(via.clone());
                }
            });
        }
        // a call on a typed object that got no request data stays typed
        if !matches!(v, V::T(_)) && !path.is_empty() && !path.starts_with("local:") {
            let root = segs[0];
            if matches!(root, "ctx" | "app" | "this") || !root.contains(':') {
                return V::Obj(format!("{path}()"));
            }
        }
        v
    }

    /// `(parameter, call path)` when `c` calls a method on one of the enclosing function's
    /// parameters as it was passed (`Model.findOne(...)`) or on such a call's result
    /// (`.populate(...).exec()`).
    fn param_call(
        &self,
        c: &CallExpression<'_>,
        receiver: &V,
        method: &str,
    ) -> Option<(usize, String)> {
        let V::T(ts) = receiver else { return None };
        if method.is_empty() || method == "()" {
            return None;
        }
        let name = &self.frames.last()?.name;
        let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
            return None;
        };
        if let Expression::Identifier(_) = m.object.get_inner_expression() {
            // the parameter itself, untouched
            let t = ts.first()?;
            if ts.len() == 1 && t.member.is_none() && t.via.is_none() && &t.owner == name {
                if let Origin::Param(i) = t.origin {
                    return Some((i, method.to_string()));
                }
            }
            return None;
        }
        // a call chain on it: every trace already went through the same parameter's call
        let first = ts.first()?.via.clone()?;
        if ts
            .iter()
            .all(|t| t.via.as_ref().map(|v| v.0) == Some(first.0))
        {
            return Some((first.0, format!("{}().{method}", first.1)));
        }
        None
    }

    /// A call's result from the callee's return summary: the arguments it returns, and those
    /// it returns through a method call on an argument unless that argument is a typed object
    /// whose call gives a clean result (a model's `findOne`).
    fn apply_returns(&self, r: &Returns, args: Vec<V>) -> V {
        let mut v = V::Clean;
        for (i, a) in args.iter().enumerate() {
            if i < 32 && r.mask & (1 << i) != 0 {
                v = join(v, strip_whole(a.clone()));
            }
        }
        for via in &r.via {
            let Some(a) = args.get(via.arg) else { continue };
            if let Some(V::Obj(p)) = args.get(via.on) {
                let full = format!("{p}.{}", via.call);
                let segs = segments(&full);
                if self.models.clean_result(&segs) {
                    continue;
                }
            }
            v = join(v, strip_whole(a.clone()));
        }
        v
    }

    fn args(&mut self, c: &CallExpression<'_>) -> Vec<V> {
        c.arguments
            .iter()
            .map(|a| match a {
                Argument::SpreadElement(s) => self.eval(&s.argument),
                other => match other.as_expression() {
                    Some(e) => self.eval(e),
                    None => V::Clean,
                },
            })
            .collect()
    }

    /// Reports every trace of `v` that reaches a sink of `kind` unsanitised.
    fn sink(&mut self, kind: SinkKind, v: V, sink: &str, span: Span, need_whole: bool) {
        self.sink_if(kind, v, sink, span, need_whole, None)
    }

    /// [`Self::sink`] for a sink whose receiver an egg plugin must provide.
    fn sink_if(
        &mut self,
        kind: SinkKind,
        v: V,
        sink: &str,
        span: Span,
        need_whole: bool,
        plugin: Option<&str>,
    ) {
        let V::T(traces) = v else { return };
        let step = self.step(span);
        let function = self.frame().name.clone();
        for t in traces {
            if t.sanitized & kind.bit() != 0 || (need_whole && !t.whole) {
                continue;
            }
            let mut steps = t.steps.clone();
            if steps.last() != Some(&step) {
                steps.push(step.clone());
            }
            match t.origin {
                Origin::Source => {
                    let flow = Flow {
                        kind,
                        function: function.clone(),
                        sink: sink.to_string(),
                        steps,
                        plugin: plugin.map(str::to_string),
                    };
                    if !self.out.flows.contains(&flow) {
                        self.out.flows.push(flow);
                    }
                }
                Origin::Param(param) => self.out.param_sinks.push(ParamSink {
                    function: t.owner.clone(),
                    param,
                    kind,
                    sink: sink.to_string(),
                    steps,
                    plugin: plugin.map(str::to_string),
                    string_only: self
                        .string_guards
                        .iter()
                        .any(|(o, p, m)| *o == t.owner && *p == param && *m == t.member),
                    member: t.member.clone(),
                }),
            }
        }
    }

    /// `const data = { x: <value> }`: keeps each key's value (values without calls only, so
    /// nothing is evaluated twice) for a later `ctx.render(view, data)`. Every local bound to
    /// an object literal is kept, even `{}`: fields assigned later (`data.x = ctx.query.x`)
    /// are added by [`Self::note_render_field`].
    fn note_render_object(&mut self, id: &BindingPattern<'_>, init: &Expression<'_>, step: &Step) {
        let (BindingPattern::BindingIdentifier(b), Expression::ObjectExpression(o)) =
            (id, init.get_inner_expression())
        else {
            return;
        };
        let mut fields = Vec::new();
        for (name, value) in named_fields(o) {
            if crate::mistakes::has_call_or_await(value) {
                continue;
            }
            let v = self.eval(value);
            if matches!(v, V::T(_)) {
                fields.push((name, with_step(v, step)));
            }
        }
        let var = self.var_of_binding(b);
        self.render_objects.insert(var, fields);
    }

    /// `data.x = <value>` / `data['x'] = <value>` on a local bound to an object literal: the
    /// field's latest value for a later `ctx.render(view, data)` (a clean value replaces a
    /// request-fed one).
    fn note_render_field(&mut self, object: &Expression<'_>, name: &str, rhs: &V, step: &Step) {
        let Some(var) = self.ident_var(object) else {
            return;
        };
        let Some(fields) = self.render_objects.get_mut(&var) else {
            return;
        };
        fields.retain(|(n, _)| n != name);
        if matches!(rhs, V::T(_)) {
            fields.push((name.to_string(), with_step(rhs.clone(), step)));
        }
    }

    /// Records the request-fed variables of `ctx.render('tpl', { x })` (request sources only;
    /// values escaped with `helper.escape` are not fed).
    fn render_feed(&mut self, sink: &str, args: &[&Expression<'_>], span: Span) {
        let Some(template) = args.first().and_then(|a| match a.get_inner_expression() {
            Expression::StringLiteral(s) => Some(s.value.as_str().to_owned()),
            _ => None,
        }) else {
            return;
        };
        let fields: Vec<(String, V)> = match args.get(1).map(|a| a.get_inner_expression()) {
            Some(Expression::ObjectExpression(o)) => named_fields(o)
                .into_iter()
                .map(|(name, value)| (name, self.eval(value)))
                .collect(),
            // const data = { x: ctx.query.x }; ctx.render('v', data)
            Some(Expression::Identifier(id)) => {
                let var = self.var_of_ref(id);
                self.render_objects.get(&var).cloned().unwrap_or_default()
            }
            _ => return,
        };
        let step = self.step(span);
        let mut vars = Vec::new();
        for (name, v) in fields {
            let V::T(traces) = v else {
                continue;
            };
            let Some(t) = traces
                .into_iter()
                .find(|t| t.origin == Origin::Source && t.sanitized & SinkKind::Html.bit() == 0)
            else {
                continue;
            };
            let mut steps = t.steps;
            if steps.last() != Some(&step) {
                steps.push(step.clone());
            }
            vars.push(RenderVar {
                name: name.to_string(),
                steps,
                url_checked: t.sanitized & SinkKind::Redirect.bit() != 0,
            });
        }
        if vars.is_empty() {
            return;
        }
        let feed = RenderFeed {
            function: self.frame().name.clone(),
            sink: sink.to_string(),
            template,
            line: step.line,
            column: step.column,
            vars,
        };
        if !self.out.renders.contains(&feed) {
            self.out.renders.push(feed);
        }
    }

    fn edge(&mut self, callee: Callee, arg: usize, v: V, span: Span) {
        self.edge_at(callee, arg, v, span, &[])
    }

    /// [`Self::edge`] for data at `fields` of an object-literal argument.
    fn edge_at(&mut self, callee: Callee, arg: usize, v: V, span: Span, fields: &[String]) {
        let V::T(traces) = v else { return };
        let step = self.step(span);
        let function = self.frame().name.clone();
        for t in traces {
            let mut steps = t.steps;
            if steps.last() != Some(&step) {
                steps.push(step.clone());
            }
            self.out.calls.push(CallEdge {
                function: if t.origin == Origin::Source {
                    function.clone()
                } else {
                    t.owner.clone()
                },
                callee: callee.clone(),
                arg,
                origin: t.origin,
                steps,
                sanitized: t.sanitized,
                whole: t.whole,
                multipart: t.multipart,
                member: t.member.clone(),
                fields: fields.to_vec(),
                exact: t.exact,
                binary: t.binary,
            });
        }
    }

    /// The request data of an object literal by where it sits (`{ name, dist: { content } }`
    /// → `name`, `dist.content`), nested literals followed [`MAX_MEMBER_DEPTH`] deep. None when
    /// a spread or a computed key can put data at any field.
    fn literal_fields(
        &mut self,
        o: &ObjectExpression<'_>,
        prefix: &str,
        out: &mut Vec<(String, V)>,
    ) -> Option<()> {
        for field in static_fields(o) {
            let (key, p) = field?;
            let at = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            match p.value.get_inner_expression() {
                Expression::ObjectExpression(inner) if at.split('.').count() < MAX_MEMBER_DEPTH => {
                    self.literal_fields(inner, &at, out)?
                }
                value => {
                    // a field of a literal is not the whole object (as `eval` has it), and
                    // bytes stay bytes
                    let v = map_traces(self.eval(value), |t| {
                        t.whole = false;
                        t.exact = false;
                    });
                    if matches!(v, V::T(_)) {
                        out.push((at, v));
                    }
                }
            }
        }
        Some(())
    }

    /// Call edges for argument `arg`: an object literal's data with the fields it sits at,
    /// one edge per trace; any other argument as one value.
    fn arg_edges(&mut self, callee: &Callee, arg: usize, e: &Expression<'_>, span: Span) {
        if let Expression::ObjectExpression(o) = e.get_inner_expression() {
            let mut found = Vec::new();
            if self.literal_fields(o, "", &mut found).is_some() {
                // each trace once, with every field that holds it
                let mut by_trace: Vec<(Trace, Vec<String>)> = Vec::new();
                for (at, v) in found {
                    let V::T(ts) = v else { continue };
                    for t in ts {
                        // fields whose data differs in what it is safe for or in being bytes
                        // make separate edges (`{ safe: basename(x), raw: x }`)
                        match by_trace.iter_mut().find(|(o, _)| {
                            o.origin == t.origin
                                && o.via == t.via
                                && o.binary == t.binary
                                && o.sanitized == t.sanitized
                        }) {
                            Some((o, fields)) => {
                                absorb(o, &t);
                                fields.push(at.clone());
                            }
                            None => by_trace.push((t, vec![at.clone()])),
                        }
                    }
                }
                for (t, fields) in by_trace {
                    self.edge_at(callee.clone(), arg, V::T(vec![t]), span, &fields);
                }
                return;
            }
        }
        let v = self.eval(e);
        self.edge(callee.clone(), arg, v, span);
    }

    fn code_fact(&mut self, kind: CodeFactKind, span: Span, what: String) {
        let (line, column) = self.at.line_col(span.start);
        let function = self.frame().name.clone();
        let fact = CodeFact {
            kind,
            function,
            line,
            column,
            what,
        };
        if !self.out.code.contains(&fact) {
            self.out.code.push(fact);
        }
    }

    /// Is `expr` an object literal holding (or itself) a whole request object?
    fn whole_arg(&mut self, expr: &Expression<'_>) -> V {
        match expr.get_inner_expression() {
            Expression::ObjectExpression(o) => {
                let mut v = V::Clean;
                for p in &o.properties {
                    if let ObjectPropertyKind::ObjectProperty(p) = p {
                        let x = self.eval(&p.value);
                        v = join(v, x);
                    }
                }
                v
            }
            e => self.eval(e),
        }
    }

    fn call_sinks(&mut self, c: &CallExpression<'_>) {
        let Some(path) = self.canon(&c.callee) else {
            return;
        };
        let args: Vec<&Expression<'_>> = c
            .arguments
            .iter()
            .filter_map(|a| a.as_expression())
            .collect();
        let segs = segments(&path);
        let last = segs.last().copied().unwrap_or("");
        self.model_sinks(&path, &segs, &args, c.span);
        if matches!(path.as_str(), "ctx.render" | "ctx.renderView") {
            self.render_feed(&path, &args, c.span);
        }
        if path == "ctx.redirect" {
            let v = args.first().map_or(V::Clean, |e| self.eval(e));
            // egg-security's redirect (egg 2+) keeps a target that starts with `/` on the site
            // (`//…` and `/\…` become `/`, koa percent-encodes the rest): only an app without
            // it redirects such a target elsewhere
            let plugin = args
                .first()
                .is_some_and(|e| starts_with_slash(e))
                .then_some(NO_SAFE_REDIRECT);
            self.sink_if(SinkKind::Redirect, v, &path, c.span, false, plugin);
        }
        if path == "ctx.unsafeRedirect" {
            let v = args.first().map_or(V::Clean, |e| self.eval(e));
            self.sink(SinkKind::UnsafeRedirect, v, &path, c.span, false);
        }
        self.record_assign(&path, &args, c.span);
        self.trusted_in_call(&path, &args, c.span);
        self.secret_to_request_url(&path, &args, c.span);
        self.code_calls(c, &path, last, &args);
        // await validateOrReject(dto): dto is valid from here on
        if let Some(i) = self.models.guard_arg(&segs) {
            if let Some(var) = args.get(i).and_then(|e| self.ident_var(e)) {
                self.frame().validates = true;
                if self.vars.contains_key(&var) {
                    self.set(var, V::Clean);
                }
            }
        }
    }

    /// Records a use of request data as if it had been checked ([`FunctionFacts::trusts_input`]).
    fn trusts(&mut self, span: Span, what: String) {
        let (line, column) = self.at.line_col(span.start);
        self.frame().trusts_input.push((line, column, what));
    }

    /// A response header set from request data, or a URL with its query string searched by
    /// `includes` (see [`FunctionFacts::trusts_input`]; `indexOf` is judged by its comparison).
    fn trusted_in_call(&mut self, path: &str, args: &[&Expression<'_>], span: Span) {
        if matches!(
            path,
            "ctx.set" | "ctx.append" | "ctx.response.set" | "ctx.response.append"
        ) && args.len() >= 2
        {
            if let V::T(_) = self.eval(args[1]) {
                let name = match args[0].get_inner_expression() {
                    Expression::StringLiteral(l) => format!("the `{}` response header", l.value),
                    _ => "a response header".to_string(),
                };
                self.trusts(span, format!("echoes request data unchecked into {name}"));
            }
        }
        if let Some(url) = path.strip_suffix(".includes") {
            if URL_WITH_QUERY.contains(&url) && route_needle(args.first().copied()) {
                self.trusts(
                    span,
                    format!(
                        "matches `{url}` by substring, query string included: a URL that carries \
the text anywhere passes"
                    ),
                );
            }
        }
    }

    /// `<url>.indexOf(route) <op> <n>` on a [`URL_WITH_QUERY`] `url`, unless it asks for the
    /// start (`=== 0`, `!== 0`, `== 0`, `!= 0`, either side): the URL's canonical path.
    fn url_substring_check(&mut self, b: &BinaryExpression<'_>) -> Option<String> {
        if !b.operator.is_compare() && !b.operator.is_equality() {
            return None;
        }
        let (call, other) = match (
            b.left.get_inner_expression(),
            b.right.get_inner_expression(),
        ) {
            (Expression::CallExpression(c), o) | (o, Expression::CallExpression(c)) => (c, o),
            _ => return None,
        };
        let Expression::StaticMemberExpression(m) = call.callee.get_inner_expression() else {
            return None;
        };
        if m.property.name != "indexOf" {
            return None;
        }
        let first = call.arguments.first().and_then(|a| a.as_expression());
        if !route_needle(first) {
            return None;
        }
        let url = self.canon(&m.object)?;
        if !URL_WITH_QUERY.contains(&url.as_str()) {
            return None;
        }
        let zero = matches!(other, Expression::NumericLiteral(n) if n.value == 0.0);
        (!(zero && b.operator.is_equality())).then_some(url)
    }

    /// Every modelled sink the canonical callee `path` is, checked against its call shapes.
    fn model_sinks(&mut self, path: &str, segs: &[&str], args: &[&Expression<'_>], span: Span) {
        let all = self.models;
        let models: Vec<&SinkModel> = all.sinks_for(segs).collect();
        for m in models {
            if !m.when.iter().all(|w| shape_holds(w, args, m.arg)) {
                continue;
            }
            if m.safe.iter().any(|w| shape_holds(w, args, m.arg)) {
                continue;
            }
            let idxs: Vec<usize> = if m.all_args {
                (0..args.len()).collect()
            } else {
                vec![m.arg]
            };
            let mut v = V::Clean;
            for i in idxs {
                let Some(e) = args.get(i) else { continue };
                if m.text
                    && matches!(
                        e.get_inner_expression(),
                        Expression::ObjectExpression(_) | Expression::ArrayExpression(_)
                    )
                {
                    continue;
                }
                let x = if m.fields {
                    self.whole_arg(e)
                } else {
                    self.eval(e)
                };
                if matches!(m.kind, SinkKind::Path | SinkKind::Shell) && !matches!(x, V::T(_)) {
                    self.stored_value(m.kind, e, path, span);
                }
                v = join(v, x);
            }
            self.sink_if(m.kind, v, path, span, m.whole, m.plugin.as_deref());
        }
    }

    /// Cross-function calls, validation, auth checks, logging and cookie facts.
    fn code_calls(
        &mut self,
        c: &CallExpression<'_>,
        path: &str,
        last: &str,
        args: &[&Expression<'_>],
    ) {
        let span = c.span;
        // validation
        if path == "ctx.validate" {
            self.frame().validates = true;
            if let Some(rule) = args.first() {
                let keys = match rule.get_inner_expression() {
                    Expression::ObjectExpression(o) => safe_rule_keys(o),
                    Expression::Identifier(id) => self
                        .rule_objects
                        .get(id.name.as_str())
                        .cloned()
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                self.frame().validated.extend(keys);
            }
        } else if matches!(
            last,
            "validate" | "validateAsync" | "parse" | "safeParse" | "assert"
        ) && (path.contains("schema")
            || path.contains("Schema")
            || path.contains("joi")
            || path.contains("validator")
            || path.contains("ajv")
            || path.contains("zod")
            || path.contains("rule"))
        {
            self.frame().validates = true;
        }
        // request data handed to a check (`authToken.checkToken(token)`, `jwt.verify(token)`,
        // `ctx.checkAppMember(appId)`, `isValidId(id)`, `re.test(param)`): the function checks
        // what it reads
        if is_check_name(last) && args.iter().any(|a| matches!(self.eval(a), V::T(_))) {
            self.frame().validates = true;
        }
        // auth checks
        if matches!(
            last,
            "verify" | "isAuthenticated" | "checkLogin" | "requireLogin"
        ) && (path.contains("jwt") || path.starts_with("ctx.") || path.starts_with("this."))
        {
            self.frame().checks_auth = true;
        }
        // session renewal
        if matches!(
            last,
            "regenerate" | "regenerateSession" | "rotateCsrfSecret" | "rotate"
        ) {
            self.frame().renews_session = true;
        }
        // cross-function calls
        let callee = if let Some(rest) = path.strip_prefix("ctx.service.") {
            rest.rsplit_once('.').map(|(file, method)| Callee::Service {
                file: file.to_string(),
                method: method.to_string(),
            })
        } else if let Some(name) = path.strip_prefix("ctx.helper.") {
            (!name.contains('.')).then(|| Callee::Helper(name.to_string()))
        } else if let Some(name) = path.strip_prefix("this.") {
            match name.split_once('.') {
                None => Some(Callee::Local(name.to_string())),
                // tegg: this.fooService.bar(x) on an @Inject() property
                Some((prop, method)) if !method.contains('.') => {
                    self.injected.get(prop).map(|class| Callee::Class {
                        class: class.clone(),
                        method: method.to_string(),
                    })
                }
                _ => None,
            }
        } else if let Some(name) = path.strip_prefix("local:") {
            (!name.contains('.') && self.local_functions.contains(name))
                .then(|| Callee::Local(name.to_string()))
        } else if let Some((module, method)) = instance_method(path) {
            Some(Callee::Module {
                module: module.to_string(),
                function: method.to_string(),
            })
        } else if path.starts_with("mod:") {
            Some(match path.split_once('.') {
                Some((module, function)) => Callee::Module {
                    module: module.to_string(),
                    function: function.to_string(),
                },
                None => Callee::Module {
                    module: path.to_string(),
                    function: "exports".into(),
                },
            })
        } else {
            None
        };
        if let Some(callee) = callee {
            for (i, a) in args.iter().enumerate() {
                self.arg_edges(&callee, i, a, span);
            }
        }
        // logging
        let logger = (matches!(last, "info" | "warn" | "error" | "debug" | "log" | "trace")
            && (path.starts_with("console.")
                || path
                    .split('.')
                    .any(|s| s.ends_with("logger") || s.ends_with("Logger"))))
            && !path.starts_with("ctx.service");
        if logger {
            for a in args {
                if let Some(what) = self.sensitive_in(a) {
                    self.code_fact(CodeFactKind::SensitiveDataLogged, a.span(), what);
                    break;
                }
            }
        }
        // cookies
        if path == "ctx.cookies.set" {
            if let Some(Expression::ObjectExpression(o)) =
                args.get(2).map(|e| e.get_inner_expression())
            {
                let lit = |key: &str| {
                    o.properties.iter().find_map(|p| match p {
                        ObjectPropertyKind::ObjectProperty(p)
                            if p.key.static_name().as_deref() == Some(key) =>
                        {
                            Some(&p.value)
                        }
                        _ => None,
                    })
                };
                let is_false = |e: Option<&Expression<'_>>| matches!(e.map(|e| e.get_inner_expression()), Some(Expression::BooleanLiteral(b)) if !b.value);
                let mut weak = Vec::new();
                if is_false(lit("httpOnly")) {
                    weak.push("httpOnly: false".to_string());
                }
                if is_false(lit("signed")) {
                    weak.push("signed: false".to_string());
                }
                let same_site_none = matches!(lit("sameSite").map(|e| e.get_inner_expression()),
                    Some(Expression::StringLiteral(s)) if s.value.eq_ignore_ascii_case("none"));
                let secure = matches!(lit("secure").map(|e| e.get_inner_expression()),
                    Some(Expression::BooleanLiteral(b)) if b.value);
                if same_site_none && !secure {
                    weak.push("sameSite: 'none' without secure: true".to_string());
                }
                if !weak.is_empty() {
                    self.code_fact(CodeFactKind::CookieWeakOptions, span, weak.join(", "));
                }
            }
        }
    }

    /// A password/token/secret name or a whole request object inside a logger argument.
    fn sensitive_in(&mut self, arg: &Expression<'_>) -> Option<String> {
        // a local declared with an object literal and never reassigned (`let info = { url,
        // slogan }`): what it holds decides — its literal's names and the fields assigned to
        // it later — not its own name (`creditCardInfo`)
        let literal = match arg.get_inner_expression() {
            Expression::Identifier(id) => self.symbol_of_ref(id).and_then(|sym| {
                (!self.scoping.symbol_is_mutated(sym))
                    .then(|| self.literal_secrets.get(&sym).cloned())
                    .flatten()
            }),
            _ => None,
        };
        match literal {
            Some(Some(n)) => return Some(n),
            Some(None) => {}
            None => {
                let mut names = Names::default();
                names.visit_expression(arg);
                if let Some(n) = names.found.into_iter().find(|n| is_secret_name(n)) {
                    return Some(n);
                }
            }
        }
        let v = self.eval(arg);
        if let V::T(ts) = &v {
            if ts.iter().any(|t| t.whole && t.origin == Origin::Source) {
                return Some("a whole request object".into());
            }
        }
        if matches!(v, V::Req) {
            return Some("ctx.request".into());
        }
        None
    }

    fn bind_pattern(&mut self, pattern: &BindingPattern<'_>, v: V, step: &Step) {
        match pattern {
            BindingPattern::BindingIdentifier(id) => {
                let v = with_step(v, step);
                let var = self.var_of_binding(id);
                self.set(var, v);
            }
            BindingPattern::AssignmentPattern(p) => {
                let d = self.eval(&p.right);
                self.bind_pattern(&p.left, join(v, d), step);
            }
            BindingPattern::ObjectPattern(o) => {
                for prop in &o.properties {
                    let key = prop.key.static_name().map(|k| k.to_string());
                    let span = prop.span;
                    let field = match &key {
                        Some(k) => self.member(v.clone(), k, span),
                        None => strip_whole(v.clone()),
                    };
                    self.bind_pattern(&prop.value, field, step);
                }
                if let Some(rest) = &o.rest {
                    self.bind_pattern(&rest.argument, v.clone(), step);
                }
            }
            BindingPattern::ArrayPattern(a) => {
                for el in a.elements.iter().flatten() {
                    self.bind_pattern(el, strip_whole(v.clone()), step);
                }
                if let Some(rest) = &a.rest {
                    self.bind_pattern(&rest.argument, strip_whole(v.clone()), step);
                }
            }
        }
    }

    fn enter_function(&mut self, span: Span, params: &FormalParameters<'_>) {
        let name = self.namer.name_at(span.start);
        let (line, column) = self.at.line_col(span.start);
        let callback = self.callback_taint.remove(&span.start);
        let mut frame = Frame::new(name, self.namer.class(), Vec::new(), line, column);
        let mut bound = Vec::new();
        for (i, p) in params.items.iter().enumerate() {
            let pname = match &p.pattern {
                BindingPattern::BindingIdentifier(id) => id.name.as_str().to_owned(),
                BindingPattern::AssignmentPattern(a) => match &a.left {
                    BindingPattern::BindingIdentifier(id) => id.name.as_str().to_owned(),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            frame.params.push(pname.clone());
            // the parameter's place and code, once (its trace's first step, and the step its
            // bindings are made at below)
            let at = self.step(p.span);
            let tegg = p.decorators.iter().find_map(|d| {
                let Expression::CallExpression(c) = &d.expression else {
                    return None;
                };
                let n = member_path(&c.callee)?.last()?.clone();
                TEGG_SOURCES.contains(&n.as_str()).then_some(n)
            });
            let v = if let Some(dec) = tegg {
                frame.reads_input = true;
                let mut step = at.clone();
                step.what = format!("@{dec}() {pname}");
                V::T(vec![Trace {
                    origin: Origin::Source,
                    steps: vec![step],
                    whole: matches!(dec.as_str(), "HTTPBody" | "HTTPQueries" | "HTTPHeaders"),
                    sanitized: 0,
                    owner: String::new(),
                    multipart: false,
                    member: None,
                    exact: false,
                    binary: false,
                    via: None,
                }])
            } else if matches!(pname.as_str(), "ctx" | "context") {
                V::Ctx
            } else if pname == "app" {
                V::App
            } else if let (0, Some(cb)) = (i, &callback) {
                cb.clone()
            } else {
                V::T(vec![Trace {
                    origin: Origin::Param(i),
                    steps: vec![at.clone()],
                    whole: true,
                    sanitized: 0,
                    owner: frame.name.clone(),
                    multipart: false,
                    member: None,
                    exact: true,
                    binary: false,
                    via: None,
                }])
            };
            bound.push((p, v, at));
        }
        self.frames.push(frame);
        for (p, v, step) in bound {
            let first = match &v {
                V::T(ts) => ts.first().and_then(|t| t.steps.first()).cloned(),
                _ => None,
            };
            // the parameter's own step is already the first: do not repeat it
            let v = match (&v, first) {
                (V::T(_), Some(s)) if s == step => map_traces(v, |t| {
                    t.steps.pop();
                }),
                _ => v,
            };
            self.bind_pattern(&p.pattern, v, &step);
        }
    }

    /// A `return` (or an arrow's expression body): which of the function's parameters it hands
    /// back.
    fn returned(&mut self, v: V) {
        let V::T(ts) = v else { return };
        let name = self.frame().name.clone();
        let mut bits = 0u32;
        let mut via = Vec::new();
        for t in ts {
            if let Origin::Param(i) = t.origin {
                if t.owner == name && i < 32 {
                    match t.via {
                        Some((on, call)) => via.push(ReturnVia { arg: i, on, call }),
                        None => bits |= 1 << i,
                    }
                }
            }
        }
        let f = self.frame();
        f.returns |= bits;
        for r in via {
            if !f.returns_via.contains(&r) {
                f.returns_via.push(r);
            }
        }
    }

    fn leave_function(&mut self) {
        let Some(f) = self.frames.pop() else { return };
        if f.name != "<anonymous>" {
            let r = self.summaries.entry(f.name.clone()).or_default();
            r.mask |= f.returns;
            for v in &f.returns_via {
                if !r.via.contains(v) {
                    r.via.push(v.clone());
                }
            }
        }
        if !f.renews_session {
            for (line, column, what) in &f.identity_sets {
                let fact = CodeFact {
                    kind: CodeFactKind::SessionIdentityWithoutRenewal,
                    function: f.name.clone(),
                    line: *line,
                    column: *column,
                    what: what.clone(),
                };
                self.out.code.push(fact);
            }
        }
        self.out.functions.push(FunctionFacts {
            name: f.name,
            class: f.class,
            params: f.params,
            line: f.line,
            column: f.column,
            reads_input: f.reads_input,
            validates: f.validates,
            trusts_input: f.trusts_input,
            checks_auth: f.checks_auth,
            returns: f.returns,
            returns_via: f.returns_via,
        });
    }

    fn assign(&mut self, a: &AssignmentExpression<'_>) {
        let rhs = self.eval(&a.right);
        let step = self.step(a.span);
        match &a.left {
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                let var = self.var_of_ref(id);
                let v = if a.operator == AssignmentOperator::Assign {
                    let shape = if matches!(rhs, V::T(_)) {
                        0
                    } else {
                        self.shape(&a.right)
                    };
                    self.set_shape(var.clone(), shape);
                    rhs
                } else {
                    let old = self.lookup_ref(id).unwrap_or(V::Clean);
                    // url += ctx.path after a fixed origin: the origin stays
                    let shape = match (a.operator, &old) {
                        (AssignmentOperator::Addition, V::T(_)) => 0,
                        (AssignmentOperator::Addition, _) => {
                            self.shapes.get(&var).copied().unwrap_or(0)
                        }
                        _ => 0,
                    };
                    if shape == 0 {
                        self.shapes.remove(&var);
                    }
                    join(old, map_traces(rhs, |t| t.sanitized |= shape))
                };
                let v = with_step(v, &step);
                self.set(var, v);
            }
            AssignmentTarget::ComputedMemberExpression(m) => {
                // data['x'] = ctx.query.x
                if let Expression::StringLiteral(k) = m.expression.get_inner_expression() {
                    if a.operator == AssignmentOperator::Assign {
                        self.note_render_field(&m.object, &k.value, &rhs, &step);
                    }
                }
                if let Expression::Identifier(id) = m.object.get_inner_expression() {
                    let old = self.lookup_ref(id).unwrap_or(V::Clean);
                    if !matches!(old, V::Ctx | V::App | V::Req | V::This | V::Obj(_)) {
                        let v = with_step(join(old, strip_whole(rhs)), &step);
                        let var = self.var_of_ref(id);
                        self.set(var, v);
                    }
                }
            }
            _ => {}
        }
    }

    fn member_assign(
        &mut self,
        target: &str,
        object: &Expression<'_>,
        right: &Expression<'_>,
        rhs: V,
        span: Span,
        step: &Step,
    ) {
        match target {
            "ctx.body" | "ctx.response.body" => {
                let html = self.frame().html_type || looks_like_html(self.at, right.span());
                if html {
                    self.sink(SinkKind::Html, rhs.clone(), "ctx.body =", span, false);
                }
                if let Some(name) = self.caught.last().cloned().filter(|_| self.dev_only == 0) {
                    let text = self
                        .at
                        .text
                        .get(right.span().start as usize..right.span().end as usize)
                        .unwrap_or("");
                    if let Some(what) = error_detail(text, &name) {
                        self.code_fact(CodeFactKind::ErrorInResponse, span, what);
                    }
                }
            }
            "ctx.type" | "ctx.response.type" => {
                let text = self.at.snippet(right.span().start, right.span().end);
                if text.contains("html") {
                    self.frame().html_type = true;
                }
            }
            "ctx.session" => self.frame().renews_session = true,
            _ => {}
        }
        if matches!(rhs, V::T(_)) && stores_on_context(target) {
            self.trusts(span, format!("stores request data on `{target}` unchecked"));
        }
        if let Some(key) = target.strip_prefix("ctx.session.") {
            let nullish = matches!(right.get_inner_expression(), Expression::NullLiteral(_))
                || matches!(right.get_inner_expression(), Expression::Identifier(i) if i.name == "undefined");
            if is_identity_key(key) && !nullish {
                let (line, column) = self.at.line_col(span.start);
                self.frame()
                    .identity_sets
                    .push((line, column, format!("ctx.session.{key}")));
            }
        }
        if let Some(field) = target.rsplit('.').next() {
            self.note_render_field(object, field, &rhs, step);
        }
        // obj.field = tainted → obj is tainted
        if let Expression::Identifier(id) = object.get_inner_expression() {
            if let V::T(_) = rhs {
                let old = self.lookup_ref(id).unwrap_or(V::Clean);
                if !matches!(old, V::Ctx | V::App | V::Req | V::This | V::Obj(_)) {
                    let v = with_step(join(old, strip_whole(rhs)), step);
                    let var = self.var_of_ref(id);
                    self.set(var, v);
                }
            }
        }
    }
}

/// Request headers a browser fills with a URL it percent-encodes (`Referer`: the page the user
/// came from; `Origin`: a scheme and host), never with a `javascript:` URL.
fn is_browser_url_header(name: &str) -> bool {
    ["referer", "referrer", "origin"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// A `Referer` or `Origin` value printed into a page: in a reflected attack the victim's
/// browser sends it, with quotes and angle brackets percent-encoded and only an http(s) URL of
/// a page the user was on — no markup, no `javascript:` link (a client that sends anything
/// attacks only itself). Still request data for every other sink (a redirect, SQL, a path).
fn browser_encoded(v: V, header: Option<&str>) -> V {
    if !header.is_some_and(is_browser_url_header) {
        return v;
    }
    map_traces(v, |t| t.sanitized |= SinkKind::Html.bit())
}

/// The value derived from `v` (a call's result, a string built from it, a field of a
/// literal): no longer the whole request object, nor exactly the parameter's part it was.
fn strip_whole(v: V) -> V {
    map_traces(v, |t| {
        t.whole = false;
        t.exact = false;
        t.binary = false;
    })
}

/// How deep a parameter's member path is followed (`cmd.dist.localFile`: 2).
const MAX_MEMBER_DEPTH: usize = 3;

/// A parameter trace reads `key`: the first member read names the part of the parameter the
/// data comes from (as before: also after a call, `clone(p).x`), and while the value is still
/// exactly that part each further read names a deeper one. A computed key (`[]`) or the depth
/// limit ends the path where it is.
fn read_member(t: &mut Trace, key: &str) {
    match &mut t.member {
        None => {
            t.member = Some(key.to_string());
            t.exact = key != "[]";
        }
        Some(m) if t.exact && key != "[]" && m.split('.').count() < MAX_MEMBER_DEPTH => {
            m.push('.');
            m.push_str(key);
        }
        Some(_) => t.exact = false,
    }
}

/// The longest common leading segments of two member paths (`dist.content`, `dist.localFile`
/// → `dist`; none when the first segments differ).
fn common_member(a: &str, b: &str) -> Option<String> {
    let common: Vec<&str> = a
        .split('.')
        .zip(b.split('.'))
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    (!common.is_empty()).then(|| common.join("."))
}

/// Whether the data at member path `at` of an argument (an object literal's field) can be
/// what the callee reads at member path `read` of its parameter: one path leads to the other
/// (`dist` and `dist.content`), a computed key (`[]`) matching any name.
fn member_paths_meet(at: &str, read: &str) -> bool {
    at.split('.')
        .zip(read.split('.'))
        .all(|(a, r)| a == r || a == "[]" || r == "[]")
}

fn require_spec(expr: &Expression<'_>) -> Option<String> {
    match crate::routes::require_arg(expr)?.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.trim_start_matches("node:").to_string()),
        _ => None,
    }
}

/// `a && b && c` → `[a, b, c]`.
fn flatten_and<'b>(e: &'b Expression<'b>, out: &mut Vec<&'b Expression<'b>>) {
    match e.get_inner_expression() {
        Expression::LogicalExpression(l) if l.operator == LogicalOperator::And => {
            flatten_and(&l.left, out);
            flatten_and(&l.right, out);
        }
        other => out.push(other),
    }
}

/// `a + b + c` → `[a, b, c]` (left to right).
fn flatten_plus<'b>(e: &'b Expression<'b>, out: &mut Vec<&'b Expression<'b>>) {
    match e.get_inner_expression() {
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            flatten_plus(&b.left, out);
            flatten_plus(&b.right, out);
        }
        other => out.push(other),
    }
}

/// [`Flow::plugin`] of a `ctx.redirect` whose target starts with a literal `/`: a redirect off
/// the site only where egg-security's redirect is not in place (its plugin off, or egg 1,
/// whose koa does not percent-encode the target).
pub const NO_SAFE_REDIRECT: &str = "!safe-redirect";

/// Whether a string built by `e` starts with a literal `/` (`'/' + x`, `` `/${x}/files` ``).
fn starts_with_slash(e: &Expression<'_>) -> bool {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => s.value.starts_with('/'),
        Expression::TemplateLiteral(t) => t
            .quasis
            .first()
            .is_some_and(|q| q.value.raw.starts_with('/')),
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            starts_with_slash(&b.left)
        }
        _ => false,
    }
}

/// Sink kinds a URL prefix makes safe. `first` is the leading literal text; when it is empty
/// and `lead_clean`, a clean (server-side) expression leads and `second` is the literal after
/// it. A path-relative prefix (`/x`, never `//` or `/\`), a same-page prefix (`?`, `#`) or a
/// fixed origin (`https://host/`, `${config.api}/`) decide where the URL goes: request data
/// after it cannot redirect the user or the server elsewhere.
fn prefix_bits(first: &str, lead_clean: bool, second: &str) -> u32 {
    let url = SinkKind::Redirect.bit() | SinkKind::UnsafeRedirect.bit() | SinkKind::Ssrf.bit();
    if first.is_empty() {
        return if lead_clean && (second.starts_with('/') || second.starts_with('?')) {
            url
        } else {
            0
        };
    }
    let b = first.as_bytes();
    if b[0] == b'/' {
        return match b.get(1) {
            Some(b'/') | Some(b'\\') | None => 0,
            Some(_) => url,
        };
    }
    if b[0] == b'?' || b[0] == b'#' {
        return url;
    }
    // scheme://host followed by / ? or #
    if let Some(i) = first.find("://") {
        let scheme = &first[..i];
        let rest = &first[i + 3..];
        let scheme_ok = !scheme.is_empty()
            && scheme
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'));
        if scheme_ok {
            if let Some(end) = rest.find(['/', '?', '#']) {
                let host = &rest[..end];
                if !host.is_empty() && !host.contains(['@', '\\', '$', '{']) {
                    return url;
                }
            }
        }
        return 0;
    }
    // a relative path segment then `/` (`topic/`), no scheme
    if let Some(slash) = first.find('/') {
        let seg = &first[..slash];
        if !seg.is_empty()
            && seg
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
            && seg != ".."
        {
            return SinkKind::Redirect.bit() | SinkKind::UnsafeRedirect.bit();
        }
    }
    0
}

/// `x` of a test `typeof x === 'string'` (also `==`, and the operands swapped).
fn typeof_string_test<'b>(test: &'b Expression<'b>) -> Option<&'b Expression<'b>> {
    let Expression::BinaryExpression(b) = test.get_inner_expression() else {
        return None;
    };
    if !matches!(
        b.operator,
        BinaryOperator::StrictEquality | BinaryOperator::Equality
    ) {
        return None;
    }
    let typeof_of = |e: &'b Expression<'b>| match e.get_inner_expression() {
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::Typeof => Some(&u.argument),
        _ => None,
    };
    let is_string = |e: &Expression<'_>| matches!(e.get_inner_expression(), Expression::StringLiteral(s) if s.value == "string");
    match (typeof_of(&b.left), typeof_of(&b.right)) {
        (Some(x), None) if is_string(&b.right) => Some(x),
        (None, Some(x)) if is_string(&b.left) => Some(x),
        _ => None,
    }
}

/// Whether an `if` test holds only in the development envs: `env === 'local'`,
/// `app.config.env === 'unittest'`, `a === 'local' || a === 'unittest'` (never a negation).
fn dev_env_test(test: &str) -> bool {
    let compact: String = test.chars().filter(|c| !c.is_whitespace()).collect();
    let dev = ["'local'", "\"local\"", "'unittest'", "\"unittest\""];
    compact.contains("env")
        && compact.contains("==")
        && !compact.contains("!=")
        && !compact.contains("&&")
        && !compact.starts_with('!')
        && compact
            .split("||")
            .all(|part| dev.iter().any(|d| part.contains(d)))
}

/// A same-site path check in a condition: `RE.test(x)` with a RegExp literal that accepts only
/// a path on this host — `^/` then a negative lookahead that refuses `/` and `\\` (`//host` and
/// `/\\host` are other hosts to a browser). Returns the checked expression.
fn same_site_path_checked<'b>(test: &'b Expression<'b>) -> Option<&'b Expression<'b>> {
    let Expression::CallExpression(c) = test.get_inner_expression() else {
        return None;
    };
    let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
        return None;
    };
    let Expression::RegExpLiteral(re) = m.object.get_inner_expression() else {
        return None;
    };
    if m.property.name != "test" || c.arguments.len() != 1 {
        return None;
    }
    let pattern = re.regex.pattern.text.as_str();
    let look = pattern
        .strip_prefix("^\\/(?![")
        .or_else(|| pattern.strip_prefix("^/(?!["))?;
    let class = &look[..look.find("])")?];
    let refuses_slash = class.contains('/');
    let refuses_backslash = class.contains("\\\\");
    (refuses_slash && refuses_backslash).then(|| c.arguments[0].as_expression())?
}

/// An allow-list check in a condition: `(the checked expression, negated)` for
/// `LIST.includes(x)`, `SET.has(x)`, `LIST.indexOf(x) !== -1`, `x === 'a' || x === 'b'`,
/// and their negations.
fn allow_checked<'b>(test: &'b Expression<'b>) -> Option<(&'b Expression<'b>, bool)> {
    match test.get_inner_expression() {
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
            allow_checked(&u.argument).map(|(e, n)| (e, !n))
        }
        Expression::CallExpression(c) => {
            let name = match c.callee.get_inner_expression() {
                Expression::StaticMemberExpression(m) => m.property.name.as_str(),
                Expression::Identifier(i) => i.name.as_str(),
                _ => return None,
            };
            // LIST.includes(x), SET.has(x); helper forms inArray(LIST, x), _.includes(LIST, x)
            let at = match (name, c.arguments.len()) {
                ("includes" | "has", 1) => 0,
                ("inArray" | "inarray" | "includes" | "contains", 2) => 1,
                _ => return None,
            };
            if at == 0 && matches!(c.callee.get_inner_expression(), Expression::Identifier(_)) {
                return None;
            }
            let arg = c.arguments.get(at)?.as_expression()?;
            if matches!(arg.get_inner_expression(), Expression::Identifier(_)) {
                Some((arg, false))
            } else {
                None
            }
        }
        Expression::BinaryExpression(b) => {
            use BinaryOperator::*;
            let lit = |e: &Expression<'_>| {
                matches!(
                    e.get_inner_expression(),
                    Expression::StringLiteral(_) | Expression::NumericLiteral(_)
                )
            };
            let minus_one = |e: &Expression<'_>| match e.get_inner_expression() {
                Expression::UnaryExpression(u) => {
                    u.operator == UnaryOperator::UnaryNegation
                        && matches!(u.argument.get_inner_expression(), Expression::NumericLiteral(n) if n.value == 1.0)
                }
                _ => false,
            };
            // LIST.indexOf(x) !== -1 / > -1 / >= 0 ; === -1 negated
            if let Expression::CallExpression(c) = b.left.get_inner_expression() {
                if let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() {
                    if m.property.name == "indexOf" {
                        let arg = c.arguments.first()?.as_expression()?;
                        if !matches!(arg.get_inner_expression(), Expression::Identifier(_)) {
                            return None;
                        }
                        return match b.operator {
                            StrictInequality | Inequality | GreaterThan if minus_one(&b.right) => {
                                Some((arg, false))
                            }
                            GreaterEqualThan => Some((arg, false)),
                            StrictEquality | Equality if minus_one(&b.right) => Some((arg, true)),
                            LessThan => Some((arg, true)),
                            _ => None,
                        };
                    }
                }
            }
            let (x, other) = if lit(&b.right) {
                (&b.left, &b.right)
            } else if lit(&b.left) {
                (&b.right, &b.left)
            } else {
                return None;
            };
            let _ = other;
            if !matches!(x.get_inner_expression(), Expression::Identifier(_)) {
                return None;
            }
            match b.operator {
                StrictEquality | Equality => Some((x, false)),
                StrictInequality | Inequality => Some((x, true)),
                _ => None,
            }
        }
        Expression::LogicalExpression(l) => {
            // x === 'a' || x === 'b'  /  x !== 'a' && x !== 'b'
            let a = allow_checked(&l.left)?;
            let b = allow_checked(&l.right)?;
            let same = matches!((a.0.get_inner_expression(), b.0.get_inner_expression()),
                (Expression::Identifier(p), Expression::Identifier(q)) if p.name == q.name);
            match l.operator {
                LogicalOperator::Or if same && !a.1 && !b.1 => Some((a.0, false)),
                LogicalOperator::And if same && a.1 && b.1 => Some((a.0, true)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Identifiers whose value a condition checks for `..` (a traversal guard):
/// `x.includes('..')`, `x.indexOf('..') !== -1`, `/\.\./.test(x)`, `x.startsWith('..')`,
/// `x.split('..').length > 1`; or for `./`, which every `../` holds (`x.split('./').length > 1`,
/// DoraCMS's template editor).
fn dotdot_checked<'b>(test: &'b Expression<'b>, out: &mut Vec<&'b IdentifierReference<'b>>) {
    match test.get_inner_expression() {
        Expression::LogicalExpression(l) => {
            dotdot_checked(&l.left, out);
            dotdot_checked(&l.right, out);
        }
        Expression::BinaryExpression(b) => {
            dotdot_checked(&b.left, out);
        }
        Expression::UnaryExpression(u) => dotdot_checked(&u.argument, out),
        // `x.split('..').length`
        Expression::StaticMemberExpression(m) if m.property.name == "length" => {
            dotdot_checked(&m.object, out)
        }
        Expression::CallExpression(c) => {
            let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() else {
                return;
            };
            let arg0 = c.arguments.first().and_then(|a| a.as_expression());
            match m.property.name.as_str() {
                "includes" | "indexOf" | "startsWith" | "match" | "split" => {
                    let dots = match arg0.map(|a| a.get_inner_expression()) {
                        Some(Expression::StringLiteral(s)) => {
                            s.value.contains("..") || s.value.contains("./")
                        }
                        Some(Expression::RegExpLiteral(r)) => {
                            r.regex.pattern.text.contains("\\.\\.")
                        }
                        _ => false,
                    };
                    if let (true, Expression::Identifier(id)) =
                        (dots, m.object.get_inner_expression())
                    {
                        out.push(id);
                    }
                }
                "test" => {
                    if let (Expression::RegExpLiteral(r), Some(Expression::Identifier(id))) = (
                        m.object.get_inner_expression(),
                        arg0.map(|a| a.get_inner_expression()),
                    ) {
                        if r.regex.pattern.text.contains("\\.\\.") {
                            out.push(id);
                        }
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// The request's URL with its query string: anyone can put any text in it.
const URL_WITH_QUERY: &[&str] = &[
    "ctx.url",
    "ctx.originalUrl",
    "ctx.href",
    "ctx.request.url",
    "ctx.request.originalUrl",
    "ctx.request.href",
    "ctx.req.url",
];

/// Whether assigning to `target` keeps a value on the context for later code: a property of
/// its own (`ctx.tenant`), `ctx.state.*`, `ctx.session.*`, `ctx.locals.*` — not the request
/// itself (`ctx.request.body = ...` is still request data), nor the response.
fn stores_on_context(target: &str) -> bool {
    let Some(rest) = target.strip_prefix("ctx.") else {
        return false;
    };
    let first = rest.split('.').next().unwrap_or(rest);
    !matches!(
        first,
        "body"
            | "status"
            | "type"
            | "message"
            | "length"
            | "etag"
            | "lastModified"
            | "request"
            | "response"
            | "req"
            | "res"
            | "query"
            | "queries"
            | "params"
            | "headers"
            | "header"
            | "cookies"
            | "url"
            | "path"
            | "method"
            | "querystring"
            | "search"
            | "host"
            | "hostname"
            | "ip"
            | "ips"
            | "originalUrl"
            | "href"
            | "protocol"
            | "fresh"
    )
}

/// A function name that says it checks its argument: `check…`, `verify…`, `…valid…`,
/// `assert…`, `sanitiz…`, `is<Upper>…` (`isValidId`, `isAllowed`), or a regex `test`.
fn is_check_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name == "test"
        || lower.starts_with("check")
        || lower.starts_with("verify")
        || lower.starts_with("assert")
        || lower.contains("valid")
        || lower.contains("sanitiz")
        || (name.starts_with("is") && name[2..].starts_with(|c: char| c.is_ascii_uppercase()))
}

/// Whether the text searched for in a URL is a route (an allow-list's entry, or a literal
/// path such as `'/admin/'`), not a syntax test such as `indexOf('?')`.
fn route_needle(arg: Option<&Expression<'_>>) -> bool {
    match arg.map(Expression::get_inner_expression) {
        Some(Expression::StringLiteral(l)) => l.value.starts_with('/') && l.value.len() > 1,
        Some(Expression::NumericLiteral(_) | Expression::BooleanLiteral(_)) | None => false,
        Some(_) => true,
    }
}

/// `!isSafe(x)` / `!(await this.checkPath(x))` with a validator-like name: the identifiers it
/// checks.
fn validator_checked<'b>(test: &'b Expression<'b>) -> Vec<&'b IdentifierReference<'b>> {
    let Expression::UnaryExpression(u) = test.get_inner_expression() else {
        return Vec::new();
    };
    if u.operator != UnaryOperator::LogicalNot {
        return Vec::new();
    }
    let mut inner = u.argument.get_inner_expression();
    if let Expression::AwaitExpression(a) = inner {
        inner = a.argument.get_inner_expression();
    }
    let Expression::CallExpression(c) = inner else {
        return Vec::new();
    };
    let name = match c.callee.get_inner_expression() {
        Expression::Identifier(i) => i.name.as_str().to_owned(),
        Expression::StaticMemberExpression(m) => m.property.name.as_str().to_owned(),
        _ => return Vec::new(),
    };
    let n = name.to_ascii_lowercase();
    let validator = [
        "valid",
        "safe",
        "allow",
        "check",
        "legal",
        "verify",
        "whitelist",
        "permit",
        "sanitiz",
    ]
    .iter()
    .any(|w| n.contains(w))
        || (name.starts_with("is") && name[2..].starts_with(char::is_uppercase));
    if !validator {
        return Vec::new();
    }
    c.arguments
        .iter()
        .filter_map(
            |a| match a.as_expression().map(|e| e.get_inner_expression()) {
                Some(Expression::Identifier(id)) => Some(&**id),
                _ => None,
            },
        )
        .collect()
}

/// Does a statement always leave the function (return, throw, `ctx.throw(...)`)?
pub(crate) fn exits(stmt: &Statement<'_>) -> bool {
    match stmt {
        Statement::ReturnStatement(_) | Statement::ThrowStatement(_) => true,
        Statement::ExpressionStatement(e) => {
            let mut x = e.expression.get_inner_expression();
            if let Expression::AwaitExpression(a) = x {
                x = a.argument.get_inner_expression();
            }
            matches!(x, Expression::CallExpression(c)
                if matches!(c.callee.get_inner_expression(),
                    Expression::StaticMemberExpression(m) if m.property.name == "throw"))
        }
        Statement::BlockStatement(b) => b.body.iter().any(exits),
        _ => false,
    }
}

/// Does a call shape hold for `args` (the sink argument is `arg`)?
fn shape_holds(shape: &Shape, args: &[&Expression<'_>], arg: usize) -> bool {
    let is_fn = |e: Option<&&Expression<'_>>| {
        matches!(
            e.map(|e| e.get_inner_expression()),
            Some(Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_))
        )
    };
    match shape {
        Shape::ArgsAtLeast(n) => {
            args.len() >= *n
                && !is_fn(args.get(n - 1))
                && !matches!(args.get(n.saturating_sub(1)).map(|e| e.get_inner_expression()), Some(Expression::Identifier(i)) if i.name == "undefined")
        }
        Shape::Option(key) => args.iter().any(|a| has_true_prop(a, key)),
        Shape::ArgIsFunction => is_fn(args.get(arg)),
        Shape::ArgNotFunction => !is_fn(args.get(arg)),
    }
}

fn has_true_prop(expr: &Expression<'_>, key: &str) -> bool {
    let Expression::ObjectExpression(o) = expr.get_inner_expression() else {
        return false;
    };
    o.properties.iter().any(|p| match p {
        ObjectPropertyKind::ObjectProperty(p) => {
            p.key.static_name().as_deref() == Some(key)
                && !matches!(p.value.get_inner_expression(), Expression::BooleanLiteral(b) if !b.value)
        }
        _ => false,
    })
}

fn safe_rule_keys(o: &ObjectExpression<'_>) -> Vec<String> {
    let safe_type = |e: &Expression<'_>| match e.get_inner_expression() {
        Expression::StringLiteral(s) => SAFE_RULE_TYPES.contains(&s.value.as_str()),
        Expression::ArrayExpression(_) => true, // enum shorthand
        Expression::ObjectExpression(inner) => inner.properties.iter().any(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) => match p.key.static_name().as_deref() {
                Some("type") => matches!(p.value.get_inner_expression(),
                    Expression::StringLiteral(s) if SAFE_RULE_TYPES.contains(&s.value.as_str())),
                Some("format" | "values") => true,
                _ => false,
            },
            _ => false,
        }),
        _ => false,
    };
    o.properties
        .iter()
        .filter_map(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) if safe_type(&p.value) => {
                p.key.static_name().map(|k| k.to_string())
            }
            _ => None,
        })
        .collect()
}

fn looks_like_html(at: &Place<'_>, span: Span) -> bool {
    let text = at
        .text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let b = text.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// `err`, `err.message`, `err.stack` (not `err.status`/`code`/`expose`) in a response value.
fn error_detail(text: &str, name: &str) -> Option<String> {
    if text.contains("expose") {
        return None;
    }
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find(name) {
        let start = from + pos;
        let end = start + name.len();
        from = end;
        let before_ok = start == 0
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b'.'
                || bytes[start - 1] == b'$');
        let after_ok = end >= bytes.len()
            || !(bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b'$');
        if !before_ok || !after_ok {
            continue;
        }
        let rest = &text[end..];
        if let Some(prop) = rest.strip_prefix('.') {
            let word: String = prop
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if matches!(
                word.as_str(),
                "status" | "statusCode" | "code" | "expose" | "name" | "errno"
            ) {
                continue;
            }
            return Some(format!("{name}.{word}"));
        }
        return Some(name.to_string());
    }
    None
}

/// The fields of an object literal by their static names; an item is `None` where a spread, a
/// computed key or a key without a static name (which can put data at any field) stops the
/// reading.
fn static_fields<'o, 'a>(
    o: &'o ObjectExpression<'a>,
) -> impl Iterator<Item = Option<(std::borrow::Cow<'o, str>, &'o ObjectProperty<'a>)>> {
    o.properties.iter().map(|p| match p {
        ObjectPropertyKind::ObjectProperty(p) if !p.computed => {
            p.key.static_name().map(|k| (k, &**p))
        }
        _ => None,
    })
}

/// What an object literal holds, for a log of the local bound to it: `Some(Some(name))` for
/// the first secret-named key or value (a name, a member's last name, nested literals `depth`
/// deep), `Some(None)` for none; `None` when it cannot be told cheaply (a spread, a computed
/// key, a value that is more than a name, more than 64 fields): the log is then judged by the
/// names in the call, as any other.
fn literal_secret(o: &ObjectExpression<'_>, depth: u8) -> Option<Option<String>> {
    if o.properties.len() > 64 {
        return None;
    }
    for field in static_fields(o) {
        let (key, p) = field?;
        if is_secret_name(&key) {
            return Some(Some(key.into_owned()));
        }
        let last_name = |e: &Expression<'_>| -> Option<String> {
            match e.get_inner_expression() {
                Expression::Identifier(v) => Some(v.name.as_str().to_owned()),
                Expression::StaticMemberExpression(m) => Some(m.property.name.as_str().to_owned()),
                _ => None,
            }
        };
        let names: smallvec::SmallVec<[String; 2]> = match p.value.get_inner_expression() {
            Expression::ObjectExpression(inner) if depth > 0 => {
                match literal_secret(inner, depth - 1)? {
                    Some(n) => return Some(Some(n)),
                    None => smallvec::SmallVec::new(),
                }
            }
            // a call's result: what it is called (`getToken()`) and the names it is given
            Expression::CallExpression(c) => std::iter::once(&c.callee)
                .chain(c.arguments.iter().filter_map(|a| a.as_expression()))
                .filter_map(&last_name)
                .collect(),
            // a function or class logs as `[Function]`
            Expression::FunctionExpression(_)
            | Expression::ArrowFunctionExpression(_)
            | Expression::ClassExpression(_) => smallvec::SmallVec::new(),
            e if e.is_literal() => smallvec::SmallVec::new(),
            e => match last_name(e) {
                Some(n) => smallvec::smallvec![n],
                None => return None,
            },
        };
        if let Some(v) = names.into_iter().find(|v| is_secret_name(v)) {
            return Some(Some(v));
        }
    }
    Some(None)
}

/// Identifier and property names inside an expression (for secret names in log calls);
/// string contents are not names.
#[derive(Default)]
struct Names {
    found: Vec<String>,
}

impl<'a> Visit<'a> for Names {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.found.push(it.name.as_str().to_owned());
    }
    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        self.found.push(it.property.name.as_str().to_owned());
        walk::walk_static_member_expression(self, it);
    }
    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        // `{ password: x }` logs a password even if x is named otherwise
        if let Some(k) = it.key.static_name() {
            self.found.push(k.to_string());
        }
        walk::walk_object_property(self, it);
    }
}

/// The methods a class element calls on `this` (`this.find(...)`).
#[derive(Default)]
struct ThisCalls {
    found: HashSet<String>,
}

impl<'a> Visit<'a> for ThisCalls {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            if matches!(
                m.object.get_inner_expression(),
                Expression::ThisExpression(_)
            ) {
                self.found.insert(m.property.name.as_str().to_owned());
            }
        }
        walk::walk_call_expression(self, it);
    }
}

/// The plain-identifier calls (`f(x)`) anywhere inside a node.
#[derive(Default)]
struct LocalCalls {
    found: HashSet<String>,
}

impl<'a> Visit<'a> for LocalCalls {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Expression::Identifier(id) = it.callee.get_inner_expression() {
            self.found.insert(id.name.as_str().to_owned());
        }
        walk::walk_call_expression(self, it);
    }
}

/// The name of a module-level function declaration (`function f`, `export function f`).
fn declared_function<'s>(st: &'s Statement<'_>) -> Option<&'s str> {
    let f = match st {
        Statement::FunctionDeclaration(f) => f,
        Statement::ExportDeclaration(e) => match &e.declaration {
            Declaration::FunctionDeclaration(f) => f,
            _ => return None,
        },
        _ => return None,
    };
    f.id.as_ref().map(|id| id.name.as_str())
}

/// Places statement `i` after the not yet placed function declarations it calls (callees
/// first, cycles cut), in `order`. With an `anchor`, only declarations written after it are
/// moved, and only those `movable` before it.
fn place_callees_first(
    i: usize,
    calls: &[Vec<usize>],
    state: &mut [u8],
    order: &mut Vec<usize>,
    depth: usize,
    movable: &dyn Fn(usize) -> bool,
) {
    if state[i] != 0 || depth > 64 {
        return;
    }
    state[i] = 1; // on the stack
    for &c in &calls[i] {
        if movable(c) {
            place_callees_first(c, calls, state, order, depth + 1, movable);
        }
    }
    state[i] = 2; // placed
    order.push(i);
}

/// Names a module-level statement binds or assigns (`const a`, `let { b }`, `import c`,
/// `class D`, `e = ...`), not looking into function bodies.
#[derive(Default)]
struct TopNames {
    found: HashSet<String>,
}

impl<'a> Visit<'a> for TopNames {
    fn visit_binding_identifier(&mut self, it: &BindingIdentifier<'a>) {
        self.found.insert(it.name.as_str().to_owned());
    }
    fn visit_simple_assignment_target(&mut self, it: &SimpleAssignmentTarget<'a>) {
        if let SimpleAssignmentTarget::AssignmentTargetIdentifier(id) = it {
            self.found.insert(id.name.as_str().to_owned());
        }
        walk::walk_simple_assignment_target(self, it);
    }
    fn visit_function(&mut self, it: &Function<'a>, _: ScopeFlags) {
        if let Some(id) = &it.id {
            self.found.insert(id.name.as_str().to_owned());
        }
    }
    fn visit_arrow_function_expression(&mut self, _: &ArrowFunctionExpression<'a>) {}
    fn visit_class_body(&mut self, _: &ClassBody<'a>) {}
}

/// Every identifier a node reads.
#[derive(Default)]
struct Reads {
    found: HashSet<String>,
}

impl<'a> Visit<'a> for Reads {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.found.insert(it.name.as_str().to_owned());
    }
}

impl<'a> Visit<'a> for FlowVisitor<'_, '_> {
    fn visit_program(&mut self, it: &Program<'a>) {
        // module-level `function f` declarations are hoisted: one called by a statement above
        // it (`exports.a = async ctx => f(x)` before `function f`) is walked just before that
        // statement, so `f(x)` knows what `f` returns; everything else keeps source order
        let body: Vec<&Statement<'a>> = it.body.iter().collect();
        let by_name: HashMap<&str, usize> = body
            .iter()
            .enumerate()
            .filter_map(|(i, st)| declared_function(st).map(|n| (n, i)))
            .collect();
        if by_name.is_empty() {
            walk::walk_program(self, it);
            return;
        }
        let calls: Vec<Vec<usize>> = body
            .iter()
            .map(|st| {
                let mut c = LocalCalls::default();
                c.visit_statement(st);
                let mut v: Vec<usize> = c
                    .found
                    .iter()
                    .filter_map(|n| by_name.get(n.as_str()).copied())
                    .collect();
                v.sort_unstable();
                v
            })
            .collect();
        // a declaration moves above statements that set up what it reads (`const pool =
        // mysql.createPool()` between the caller and `function f`) only when it reads none
        let binds: Vec<HashSet<String>> = body
            .iter()
            .map(|st| {
                let mut t = TopNames::default();
                t.visit_statement(st);
                t.found
            })
            .collect();
        let reads: HashMap<usize, HashSet<String>> = by_name
            .values()
            .map(|&j| {
                let mut r = Reads::default();
                r.visit_statement(body[j]);
                (j, r.found)
            })
            .collect();
        let mut order = Vec::with_capacity(body.len());
        let mut state = vec![0u8; body.len()];
        for i in 0..body.len() {
            let movable = |j: usize| {
                j > i
                    && reads.get(&j).is_some_and(|r| {
                        binds[i..j].iter().all(|b| b.iter().all(|n| !r.contains(n)))
                    })
            };
            place_callees_first(i, &calls, &mut state, &mut order, 0, &movable);
        }
        if let Some(hashbang) = &it.hashbang {
            self.visit_hashbang(hashbang);
        }
        self.visit_directives(&it.directives);
        for i in order {
            self.visit_statement(body[i]);
        }
    }

    fn visit_class_body(&mut self, it: &ClassBody<'a>) {
        // a method's callees first, so `this.m(x)` knows what `m` returns wherever `m` is
        // written in the class (otherwise source order)
        let els: Vec<&ClassElement<'a>> = it.body.iter().collect();
        let name_of = |e: &ClassElement<'a>| match e {
            ClassElement::MethodDefinition(m) => m.key.static_name().map(|k| k.to_string()),
            _ => None,
        };
        let by_name: HashMap<String, usize> = els
            .iter()
            .enumerate()
            .filter_map(|(i, e)| name_of(e).map(|n| (n, i)))
            .collect();
        let calls: Vec<Vec<usize>> = els
            .iter()
            .map(|e| {
                let mut c = ThisCalls::default();
                if let ClassElement::MethodDefinition(m) = e {
                    c.visit_function(&m.value, ScopeFlags::empty());
                }
                let mut v: Vec<usize> = c
                    .found
                    .iter()
                    .filter_map(|n| by_name.get(n).copied())
                    .collect();
                v.sort_unstable();
                v
            })
            .collect();
        let mut order = Vec::with_capacity(els.len());
        let mut state = vec![0u8; els.len()];
        for i in 0..els.len() {
            place_callees_first(i, &calls, &mut state, &mut order, 0, &|_| true);
        }
        for i in order {
            self.visit_class_element(els[i]);
        }
    }

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let module = self.module_head(it.source.value.trim_start_matches("node:").to_string());
        for s in it.specifiers.iter().flatten() {
            let (local, path) = match s {
                ImportDeclarationSpecifier::ImportDefaultSpecifier(d) => (&d.local, module.clone()),
                ImportDeclarationSpecifier::ImportNamespaceSpecifier(n) => {
                    (&n.local, module.clone())
                }
                ImportDeclarationSpecifier::ImportSpecifier(s) => {
                    (&s.local, format!("{module}.{}", s.imported.name()))
                }
            };
            let var = self.var_of_binding(local);
            self.set(var, V::Obj(path));
        }
    }

    fn visit_ts_import_equals_declaration(&mut self, it: &TSImportEqualsDeclaration<'a>) {
        // import fs = require('fs')
        if let TSModuleReference::ExternalModuleReference(r) = &it.module_reference {
            let module =
                self.module_head(r.expression.value.trim_start_matches("node:").to_string());
            let var = self.var_of_binding(&it.id);
            self.set(var, V::Obj(module));
        }
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        // if (typeof x === 'string') { ...x... }: inside, the parameter's part x holds is a
        // string (bytes a caller passes never get there)
        if let Some(x) = typeof_string_test(&it.test) {
            let guards: Vec<(String, usize, Option<String>)> = match self.eval(x) {
                V::T(ts) => ts
                    .into_iter()
                    .filter(|t| t.exact)
                    .filter_map(|t| match t.origin {
                        Origin::Param(p) => Some((t.owner, p, t.member)),
                        Origin::Source => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            if !guards.is_empty() {
                self.visit_expression(&it.test);
                let n = guards.len();
                self.string_guards.extend(guards);
                self.visit_statement(&it.consequent);
                self.string_guards.truncate(self.string_guards.len() - n);
                if let Some(alt) = &it.alternate {
                    self.visit_statement(alt);
                }
                return;
            }
        }
        // if (env === 'local' || env === 'unittest') { ... }: details shown to developers only
        let dev = dev_env_test(
            self.at
                .text
                .get(it.test.span().start as usize..it.test.span().end as usize)
                .unwrap_or(""),
        );
        // if (x && LIST.includes(x)) { ...x... }: inside, x is one of the list's values
        let mut conj = Vec::new();
        flatten_and(&it.test, &mut conj);
        let checked: Vec<Var> = conj
            .iter()
            .filter_map(|c| match allow_checked(c) {
                Some((e, false)) => self.ident_var(e),
                _ => None,
            })
            .collect();
        // if (x.includes('..')) throw ...; else { ...x... }: the guard holds in the else branch
        let guard_else = it.alternate.is_some() && exits(&it.consequent);
        if checked.is_empty() && !dev {
            if guard_else {
                self.visit_expression(&it.test);
                self.visit_statement(&it.consequent);
                self.dotdot_guard(&it.test);
                if let Some(alt) = &it.alternate {
                    self.visit_statement(alt);
                }
            } else {
                walk::walk_if_statement(self, it);
            }
        } else {
            self.visit_expression(&it.test);
            let saved: Vec<(Var, Option<V>)> = checked
                .iter()
                .map(|v| (v.clone(), self.vars.get(v).cloned()))
                .collect();
            for v in &checked {
                if self.vars.contains_key(v) {
                    self.set(v.clone(), V::Clean);
                }
            }
            if dev {
                self.dev_only += 1;
            }
            self.visit_statement(&it.consequent);
            if dev {
                self.dev_only -= 1;
            }
            for (var, old) in saved {
                if let Some(old) = old {
                    self.set(var, old);
                }
            }
            if let Some(alt) = &it.alternate {
                if guard_else {
                    self.dotdot_guard(&it.test);
                }
                self.visit_statement(alt);
            }
        }
        if !exits(&it.consequent) {
            return;
        }
        // if (!LIST.includes(x)) return;  →  x is one of the list's values
        if let Some((e, true)) = allow_checked(&it.test) {
            if let Some(var) = self.ident_var(e) {
                self.set(var, V::Clean);
            }
        }
        // if (x.includes('..')) throw ...;  →  x cannot climb out of a directory
        self.dotdot_guard(&it.test);
        // if (!validate(x)) return;  /  const ok = validate(x); if (!ok) throw ...;  →  a
        // check model (an ajv validator) accepted x
        if let Expression::UnaryExpression(u) = it.test.get_inner_expression() {
            if u.operator == UnaryOperator::LogicalNot {
                let arg = u.argument.get_inner_expression();
                let checked = match arg {
                    Expression::Identifier(id) => {
                        self.check_results.get(&self.var_of_ref(id)).cloned()
                    }
                    _ => self.check_call(arg),
                };
                if let Some(var) = checked {
                    self.frame().validates = true;
                    if self.vars.contains_key(&var) {
                        self.set(var, V::Clean);
                    }
                }
            }
        }
        // if (!isSafePath(x)) return;  →  a validator accepted x
        for id in validator_checked(&it.test) {
            let var = self.var_of_ref(id);
            if self.vars.contains_key(&var) {
                self.set(var, V::Clean);
            }
        }
    }

    fn visit_class(&mut self, it: &Class<'a>) {
        self.namer.enter_class(it);
        self.supers.push(crate::namer::superclass(it));
        walk::walk_class(self, it);
        self.supers.pop();
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

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        self.namer.function(it);
        self.enter_function(it.span, &it.params);
        if let Some(body) = &it.body {
            self.visit_function_body(body);
        }
        self.leave_function();
        let _ = flags;
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        self.enter_function(it.span, &it.params);
        self.visit_arrow_function_body(&it.body);
        if let Some(e) = it.body.as_expression() {
            let v = self.eval(e);
            self.returned(v);
        }
        self.leave_function();
    }

    fn visit_return_statement(&mut self, it: &ReturnStatement<'a>) {
        walk::walk_return_statement(self, it);
        if let Some(arg) = &it.argument {
            let v = self.eval(arg);
            self.returned(v);
        }
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        let Some(init) = &it.init else { return };
        self.namer.declarator(it);
        if let BindingPattern::BindingIdentifier(id) = &it.id {
            if let Expression::ObjectExpression(o) = init.get_inner_expression() {
                let keys = safe_rule_keys(o);
                if !keys.is_empty() {
                    self.rule_objects.insert(id.name.as_str().to_owned(), keys);
                }
                if let (Some(sym), Some(secret)) = (id.symbol_id.get(), literal_secret(o, 2)) {
                    self.literal_secrets.insert(sym, secret);
                }
            }
        }
        // imports: const cp = require('child_process'); const { exec } = require('child_process')
        let req = require_spec(init).map(|s| self.module_head(s)).or_else(|| {
            match init.get_inner_expression() {
                Expression::StaticMemberExpression(m) => require_spec(&m.object)
                    .map(|b| format!("{}.{}", self.module_head(b), m.property.name)),
                _ => None,
            }
        });
        if let Some(module) = req {
            let step = self.step(it.span);
            self.bind_pattern(&it.id, V::Obj(module), &step);
            return;
        }
        self.visit_expression(init);
        let v = self.eval(init);
        if let BindingPattern::BindingIdentifier(id) = &it.id {
            let shape = if matches!(v, V::T(_)) {
                0
            } else {
                self.shape(init)
            };
            let var = self.var_of_binding(id);
            self.set_shape(var, shape);
        }
        if let BindingPattern::BindingIdentifier(id) = &it.id {
            if let Some(checked) = self.check_call(init) {
                let var = self.var_of_binding(id);
                self.check_results.insert(var, checked);
            }
        }
        let step = self.step(it.span);
        self.remember_stored(&it.id, init, &v, &step);
        self.bind_pattern(&it.id, v, &step);
        self.note_render_object(&it.id, init, &step);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        // exports.x = function / module.exports.x = function
        self.namer.assignment(it);
        self.visit_expression(&it.right);
        if let AssignmentTarget::ComputedMemberExpression(m) = &it.left {
            self.visit_expression(&m.expression);
        }
        // the canonical target path, built from the parts
        if let AssignmentTarget::StaticMemberExpression(m) = &it.left {
            // `info.cvv = body.cvv`: a secret field of a local, for a log of the local
            if let Expression::Identifier(id) = m.object.get_inner_expression() {
                let secret = Some(m.property.name.as_str())
                    .filter(|n| is_secret_name(n))
                    .or_else(|| match it.right.get_inner_expression() {
                        Expression::Identifier(r) => Some(r.name.as_str()),
                        Expression::StaticMemberExpression(r) => Some(r.property.name.as_str()),
                        _ => None,
                    })
                    .filter(|n| is_secret_name(n));
                if let (Some(sym), Some(n)) = (self.symbol_of_ref(id), secret) {
                    if let Some(entry @ None) = self.literal_secrets.get_mut(&sym) {
                        *entry = Some(n.to_string());
                    }
                }
            }
            let rhs = self.eval(&it.right);
            let step = self.step(it.span);
            let base = self.canon(&m.object).unwrap_or_default();
            let target = format!("{base}.{}", m.property.name);
            self.member_assign(&target, &m.object, &it.right, rhs, it.span, &step);
            return;
        }
        self.assign(it);
    }

    fn visit_binary_expression(&mut self, it: &BinaryExpression<'a>) {
        walk::walk_binary_expression(self, it);
        if let Some(url) = self.url_substring_check(it) {
            self.trusts(
                it.span,
                format!(
                    "matches `{url}` by substring, query string included: a URL that carries \
the text anywhere passes"
                ),
            );
        }
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        // callbacks of tainted receivers see the taint: body.items.forEach(item => ...)
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            let recv = self.eval(&m.object);
            if let V::T(_) = recv {
                for a in &it.arguments {
                    if let Some(e) = a.as_expression() {
                        if matches!(
                            e.get_inner_expression(),
                            Expression::ArrowFunctionExpression(_)
                                | Expression::FunctionExpression(_)
                        ) {
                            self.callback_taint.insert(
                                e.get_inner_expression().span().start,
                                strip_whole(recv.clone()),
                            );
                        }
                    }
                }
            }
        }
        walk::walk_call_expression(self, it);
        self.call_sinks(it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        walk::walk_new_expression(self, it);
        let path = self.canon(&it.callee).unwrap_or_default();
        let args: Vec<&Expression<'_>> = it
            .arguments
            .iter()
            .filter_map(|a| a.as_expression())
            .collect();
        let segs = segments(&path);
        self.model_sinks(&path, &segs, &args, it.span);
    }

    fn visit_for_of_statement(&mut self, it: &ForOfStatement<'a>) {
        self.visit_expression(&it.right);
        let v = strip_whole(self.eval(&it.right));
        let step = self.step(it.left.span());
        if let ForStatementLeft::VariableDeclaration(d) = &it.left {
            for decl in &d.declarations {
                self.bind_pattern(&decl.id, v.clone(), &step);
            }
        }
        self.visit_statement(&it.body);
    }

    fn visit_for_in_statement(&mut self, it: &ForInStatement<'a>) {
        // for (const key in ctx.request.body): the sender chose the keys
        self.visit_expression(&it.right);
        let v = strip_whole(self.eval(&it.right));
        let v = match v {
            V::T(_) => v,
            _ => V::Clean,
        };
        let step = self.step(it.left.span());
        match &it.left {
            ForStatementLeft::VariableDeclaration(d) => {
                for decl in &d.declarations {
                    self.bind_pattern(&decl.id, v.clone(), &step);
                }
            }
            ForStatementLeft::AssignmentTargetIdentifier(id) => {
                let var = self.var_of_ref(id);
                self.set(var, with_step(v, &step));
            }
            _ => {}
        }
        self.visit_statement(&it.body);
    }

    fn visit_catch_clause(&mut self, it: &CatchClause<'a>) {
        let name = it.param.as_ref().and_then(|p| match &p.pattern {
            BindingPattern::BindingIdentifier(id) => Some(id.name.as_str().to_owned()),
            _ => None,
        });
        if let Some(n) = &name {
            self.caught.push(n.clone());
        }
        self.visit_block_statement(&it.body);
        if name.is_some() {
            self.caught.pop();
        }
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        // identity reads: ctx.session.user, ctx.state.user, ctx.user
        if let Some(path) = self.canon(&it.object) {
            let key = it.property.name.as_str();
            if (path == "ctx.session" && is_identity_key(key))
                || (path == "ctx.state" && is_identity_key(key))
                || (path == "ctx" && matches!(key, "user" | "isAuthenticated"))
            {
                self.frame().checks_auth = true;
            }
        }
        walk::walk_static_member_expression(self, it);
    }
}

/// An uploaded file passed on, whose callee only uses its `filepath` (egg's temp file) or its
/// `filename` (busboy's basename) for a path or shell sink.
fn upload_safe(e: &CallEdge, s: &ParamSink) -> bool {
    e.multipart
        && e.member.is_none()
        && match s.member.as_deref().and_then(|m| m.split('.').next()) {
            Some("filepath") => true,
            Some("filename") => matches!(s.kind, SinkKind::Path | SinkKind::Shell),
            _ => false,
        }
}

/// Whether the data an edge passes can reach what the sink reads of its parameter: an
/// object literal's fields against the member path the callee reads (`dist.content` does
/// not reach `cmd.dist.localFile`), and bytes never a sink that only runs for a string.
fn edge_reaches(e: &CallEdge, s: &ParamSink) -> bool {
    if e.binary && s.string_only {
        return false;
    }
    match s.member.as_deref() {
        Some(read) if !e.fields.is_empty() => e.fields.iter().any(|f| member_paths_meet(f, read)),
        _ => true,
    }
}

/// The member path of the caller's parameter that a sink reached through an edge reads: the
/// edge's own (`f(p.a)`), else the sink's below the literal field the parameter was put at
/// (`f({ x: p })` and `o.x.y` read → `y`), else the sink's (`f(p)`).
fn composed_member(e: &CallEdge, s: &ParamSink) -> Option<String> {
    if e.member.is_some() {
        return e.member.clone();
    }
    if e.fields.is_empty() {
        return s.member.clone();
    }
    let read = s.member.as_deref()?;
    let mut below = e
        .fields
        .iter()
        .filter(|f| member_paths_meet(f, read))
        .map(|f| {
            read.strip_prefix(f.as_str())
                .and_then(|r| r.strip_prefix('.'))
                .map(str::to_string)
        });
    let first = below.next()??;
    below
        .all(|b| b.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// Joins call edges to parameter sinks inside one file (`this.f(x)`, `f(x)`), repeatedly.
fn link_local(facts: &mut SourceFacts) {
    for _ in 0..4 {
        let mut new_flows = Vec::new();
        let mut new_sinks = Vec::new();
        for e in &facts.calls {
            let Callee::Local(name) = &e.callee else {
                continue;
            };
            for s in facts
                .param_sinks
                .iter()
                .filter(|s| &s.function == name && s.param == e.arg)
            {
                if e.sanitized & s.kind.bit() != 0 || upload_safe(e, s) || !edge_reaches(e, s) {
                    continue;
                }
                if matches!(
                    s.kind,
                    SinkKind::NosqlOperator | SinkKind::PrototypePollution
                ) && !e.whole
                {
                    continue;
                }
                let mut steps = e.steps.clone();
                steps.extend(s.steps.iter().cloned());
                steps.truncate(MAX_STEPS * 2);
                match e.origin {
                    Origin::Source => new_flows.push(Flow {
                        kind: s.kind,
                        function: s.function.clone(),
                        sink: s.sink.clone(),
                        steps,
                        plugin: s.plugin.clone(),
                    }),
                    Origin::Param(p) => new_sinks.push(ParamSink {
                        function: e.function.clone(),
                        param: p,
                        kind: s.kind,
                        sink: s.sink.clone(),
                        steps,
                        plugin: s.plugin.clone(),
                        member: composed_member(e, s),
                        string_only: s.string_only && e.exact,
                    }),
                }
            }
        }
        let before = facts.flows.len() + facts.param_sinks.len();
        for f in new_flows {
            if !facts.flows.iter().any(|x| {
                x.kind == f.kind
                    && x.steps.first() == f.steps.first()
                    && x.steps.last() == f.steps.last()
            }) {
                facts.flows.push(f);
            }
        }
        for s in new_sinks {
            if !facts.param_sinks.iter().any(|x| {
                x.function == s.function
                    && x.param == s.param
                    && x.kind == s.kind
                    && x.steps.last() == s.steps.last()
            }) {
                facts.param_sinks.push(s);
            }
        }
        if facts.flows.len() + facts.param_sinks.len() == before {
            break;
        }
    }
}

/// A cross-file flow: a request source in one file reaching a sink in another.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LinkedFlow {
    /// Index of the file holding the sink.
    pub sink_file: usize,
    pub flow: Flow,
}

/// Joins call edges to parameter sinks across files. `resolve(caller_file, callee)` names the
/// file that defines the callee (`ctx.service.a.b` → the index of `app/service/a/b.js`) and the
/// function name in it. Steps in another file than the sink get their `file` set from
/// `file_name`.
pub fn link(
    files: &[&SourceFacts],
    resolve: impl Fn(usize, &Callee) -> Option<(usize, String)>,
    file_name: impl Fn(usize) -> String,
) -> Vec<LinkedFlow> {
    // (file, function, param) → sinks, growing as parameters pass through other calls.
    let mut sinks: HashMap<(usize, String, usize), Vec<(usize, ParamSink)>> = HashMap::new();
    for (i, f) in files.iter().enumerate() {
        for s in &f.param_sinks {
            let mut s = s.clone();
            for st in &mut s.steps {
                st.file.get_or_insert_with(|| file_name(i));
            }
            sinks
                .entry((i, s.function.clone(), s.param))
                .or_default()
                .push((i, s));
        }
    }
    let mut out: Vec<LinkedFlow> = Vec::new();
    for _ in 0..6 {
        let mut added = false;
        for (i, f) in files.iter().enumerate() {
            for e in &f.calls {
                if matches!(e.callee, Callee::Local(_)) {
                    continue;
                }
                let Some((target, function)) = resolve(i, &e.callee) else {
                    continue;
                };
                let Some(found) = sinks.get(&(target, function, e.arg)).cloned() else {
                    continue;
                };
                for (sink_file, s) in found {
                    if e.sanitized & s.kind.bit() != 0 || upload_safe(e, &s) || !edge_reaches(e, &s)
                    {
                        continue;
                    }
                    if matches!(
                        s.kind,
                        SinkKind::NosqlOperator
                            | SinkKind::PrototypePollution
                            | SinkKind::MassAssignment
                    ) && !e.whole
                    {
                        continue;
                    }
                    let mut steps: Vec<Step> = e
                        .steps
                        .iter()
                        .cloned()
                        .map(|mut st| {
                            st.file.get_or_insert_with(|| file_name(i));
                            st
                        })
                        .collect();
                    steps.extend(s.steps.iter().cloned());
                    match e.origin {
                        Origin::Source => {
                            let flow = Flow {
                                kind: s.kind,
                                function: s.function.clone(),
                                sink: s.sink.clone(),
                                steps,
                                plugin: s.plugin.clone(),
                            };
                            let dup = out.iter().any(|x| {
                                x.sink_file == sink_file
                                    && x.flow.kind == flow.kind
                                    && x.flow.steps.first() == flow.steps.first()
                                    && x.flow.steps.last() == flow.steps.last()
                            });
                            if !dup {
                                out.push(LinkedFlow { sink_file, flow });
                                added = true;
                            }
                        }
                        Origin::Param(p) => {
                            let key = (i, e.function.clone(), p);
                            let entry = sinks.entry(key).or_default();
                            if !entry.iter().any(|(sf, x)| {
                                *sf == sink_file
                                    && x.kind == s.kind
                                    && x.steps.last() == s.steps.last()
                            }) {
                                entry.push((
                                    sink_file,
                                    ParamSink {
                                        function: e.function.clone(),
                                        param: p,
                                        kind: s.kind,
                                        sink: s.sink.clone(),
                                        steps,
                                        plugin: s.plugin.clone(),
                                        member: composed_member(e, &s),
                                        string_only: s.string_only && e.exact,
                                    },
                                ));
                                added = true;
                            }
                        }
                    }
                }
            }
        }
        if !added {
            break;
        }
    }
    out
}

/// The `key: value` properties of an object literal with a static key.
fn named_fields<'b, 'a>(o: &'b ObjectExpression<'a>) -> Vec<(String, &'b Expression<'a>)> {
    o.properties
        .iter()
        .filter_map(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) => {
                Some((p.key.static_name()?.to_string(), &p.value))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod module_key_tests {
    use super::*;

    /// The stack-buffer `is_secret_name` answers as one that lower-cases into a `String`.
    #[test]
    fn secret_names() {
        let reference = |name: &str| {
            let n = name.to_ascii_lowercase().replace(['_', '-'], "");
            SECRET_WORDS
                .iter()
                .any(|w| n == *w || n.ends_with(w) || n.starts_with(w))
                && !NOT_SECRET_ENDINGS.iter().any(|s| n.ends_with(s))
        };
        for name in [
            "password",
            "PASSWORD",
            "user_password",
            "api-key",
            "apiKey",
            "x_api_key",
            "token",
            "tokenId",
            "secretIds",
            "expiresAt",
            "creditCardInfo",
            "card_number",
            "CVV",
            "accessKeySecret",
            "tokenCount",
            "passwordLength",
            "url",
            "",
            "_",
            "é_token",
            "ÄPI_KEY",
            "a_very_long_name_that_goes_past_the_stack_buffer_of_the_check_token",
        ] {
            assert_eq!(is_secret_name(name), reference(name), "{name}");
        }
    }

    /// A local bound to an object literal is judged by what it holds.
    #[test]
    fn what_an_object_literal_holds() {
        let secret = |src: &str| -> Option<Option<String>> {
            let alloc = oxc::allocator::Allocator::default();
            let ret = oxc::parser::Parser::new(&alloc, src, oxc::span::SourceType::mjs()).parse();
            let Some(Statement::VariableDeclaration(d)) = ret.program.body.first() else {
                panic!("{src}");
            };
            let Some(Expression::ObjectExpression(o)) = &d.declarations[0].init else {
                panic!("{src}");
            };
            literal_secret(o, 2)
        };
        assert_eq!(
            secret("const a = { url, slogan: $('.x').text(), fee: 0, f() {} };"),
            Some(None)
        );
        assert_eq!(
            secret("const a = { holder, cardNumber: body.pan };"),
            Some(Some("cardNumber".into()))
        );
        assert_eq!(
            secret("const a = { user: { pass: x.pwd } };"),
            Some(Some("pwd".into()))
        );
        assert_eq!(
            secret("const a = { t: getToken() };"),
            Some(Some("getToken".into()))
        );
        assert_eq!(secret("const a = { ...other };"), None);
        assert_eq!(secret("const a = { [k]: 1 };"), None);
        assert_eq!(secret("const a = { s: `${token}` };"), None);
    }

    #[test]
    fn segments_are_what_split_gives() {
        for p in [
            "",
            ".",
            "..",
            "a",
            "a.",
            ".a",
            "a..b",
            "ctx.model.User.findOne",
            "é.ü.x",
            "a.b.c.d.e.f.g.h.i.j",
        ] {
            let want: Vec<&str> = p.split('.').collect();
            assert_eq!(super::segments(p).as_slice(), want.as_slice(), "{p:?}");
        }
    }

    #[test]
    fn a_normal_path_keys_as_its_normal_form_does() {
        let parts = [
            "",
            "/",
            "a",
            "b.js",
            ".js",
            "a.b.ts",
            "x.",
            ".",
            "..",
            "index.mjs",
            "c.json",
            "d.tsx",
            "e.cts",
            "%",
            "é.js",
            "a..js",
            "...",
            "f.JS",
        ];
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let mut fast = 0;
        for _ in 0..20_000 {
            let n = 1 + (next() % 6) as usize;
            let mut p = String::new();
            for k in 0..n {
                let part = parts[(next() % parts.len() as u64) as usize];
                if k > 0 || next().is_multiple_of(2) {
                    p.push('/');
                }
                p.push_str(part);
            }
            let path = std::path::Path::new(&p);
            if let Some(key) = module_key_of_normal(path) {
                fast += 1;
                assert_eq!(key, module_key_normalized(path), "{p:?}");
            }
            assert_eq!(module_key(path), module_key_normalized(path), "{p:?}");
        }
        // most generated paths take the fast way, and so do the ones a walk makes
        assert!(fast > 2_000, "{fast}");
        assert_eq!(
            module_key(std::path::Path::new("/app/service/a.b/general.js")),
            "mod:/app/service/a%b/general"
        );
    }
}
