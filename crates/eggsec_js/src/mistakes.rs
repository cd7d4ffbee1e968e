//! Code shapes that are wrong whatever the data (issue 12 classes 7, 8 and 11): weak
//! authentication code (`jwt.decode` trusted, `algorithms: ['none']`, `Math.random()` tokens,
//! `===` on secrets, hard-coded JWT secrets), modules loaded from request data, `ctx.safeCurl`
//! calls (the app model decides whether `security.ssrf` makes them safe), and models, services
//! or methods picked by a request value (`ctx.model[ctx.query.model]`, `this[action]()`).
//!
//! Request data is followed inside one function only (locals and destructuring from
//! `ctx.query`, `ctx.params`, `ctx.request.body`, headers, `ctx.get()`, tegg `@HTTPQuery()`...
//! parameters); an allow-list test on the value (`ALLOWED.includes(x)`, `map.has(x)`,
//! `x in table`, `x === 'a'`) around the use makes it safe.

use crate::facts::{Place, SourceFacts};
use crate::namer::Namer;
use crate::routes::{member_path, member_path_ref, MemberPath};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::span::{GetSpan, Span};
use oxc::syntax::scope::ScopeFlags;

/// What kind of mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MistakeKind {
    /// `jwt.decode(token)` trusted where `jwt.verify` is needed (no verify in the function).
    JwtDecodeTrusted,
    /// `algorithms: ['none']` / `algorithm: 'none'` in a JWT call.
    JwtAlgorithmNone,
    /// `jwt.sign(payload, 'literal')` / `jwt.verify(token, 'literal')`.
    JwtSecretHardCoded,
    /// `Math.random()` / `Date.now()` used for a token, code, session id, secret or nonce.
    WeakRandomToken,
    /// `===`/`!==` on a secret, token, signature or HMAC (not constant-time).
    SecretComparedNonConstantTime,
    /// `require(x)` / `import(x)` of request data.
    ModuleFromRequest,
    /// `ctx.safeCurl(...)` / `app.safeCurl(...)`: safe only when `security.ssrf` is configured.
    SafeCurlCall,
    /// `ctx.model[x]`, `ctx.service[x]`, `this[x]()` with `x` from the request.
    DynamicDispatchFromRequest,
    /// A single JSON body field used as a value in a mongo query filter
    /// (`findOne({ accessToken: ctx.request.body.token })`): `{"$ne": null}` matches anything.
    NosqlFilterFromBodyField,
    /// A query-string field used as a value in a mongo query filter: reported only when the app
    /// installs a nested query parser ([`MistakeKind::NestedQueryParser`]), since egg's own
    /// `ctx.query` holds strings only.
    NosqlFilterFromQueryField,
    /// The app makes `ctx.query` nested (`require('koa-qs')(app)`, a `query` getter built on
    /// `qs.parse`): `?a[$ne]=1` then gives an object. A fact, not a finding by itself.
    NestedQueryParser,
    /// An absolute URL built from `ctx.host`/`ctx.origin`/the `Host` or `X-Forwarded-Host`
    /// header, sent in an email or to an outbound request (issue 12 class 9).
    HostHeaderUrlSentOut,
    /// `jwt.verify(token, publicKey)` without `algorithms`: an HS256 token signed with the
    /// public key as HMAC secret passes (algorithm confusion).
    JwtVerifyWithoutAlgorithms,
    /// A token re-issued from an expired token (`ignoreExpiration: true`) or from an unsigned
    /// cookie value (`ctx.cookies.get(name, { signed: false })`).
    TokenRefreshFromUnsignedValue,
    /// `ctx.body = <string that starts with request data>` with no `ctx.type`: koa serves a
    /// string starting with `<` as `text/html` (issue 12 class 3).
    BodyStringFromRequest,
}

/// One mistake, where it is.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Mistake {
    pub kind: MistakeKind,
    pub function: String,
    pub line: u32,
    pub column: u32,
    /// The code, shortened.
    pub what: String,
    /// Source → sink steps for request-data kinds (source first), `file:line`-less.
    pub steps: Vec<(u32, String)>,
    /// A decode (`JwtDecodeTrusted`) of the request's bearer token: its argument is read from
    /// the `Authorization` header, in the call or through a local bound from it
    /// (`ctx.request.header.authorization?.slice(7)`). Such a token is the one egg-jwt's
    /// middleware verified when it runs for the route.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bearer: bool,
}

/// A URL built from the Host headers handed to a service method (`ctx.service.notify.reset(user,
/// link)`): the rule follows it to the method's [`HostParamSink`] in the service file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HostCall {
    pub function: String,
    /// The service's dotted name (`notify`, `user.mail` for `app/service/user/mail.js`); empty
    /// for a tegg class.
    pub service: String,
    /// The class of a tegg `@Inject()` property (`this.notifyService.sendReset(link)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    pub method: String,
    /// The argument index holding the host URL.
    pub arg: usize,
    pub line: u32,
    pub column: u32,
    /// The call, shortened.
    pub what: String,
    /// Where the host was read: (line, code).
    pub source: (u32, String),
}

/// A function parameter (through locals) reaching a mail sender or an outbound request.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HostParamSink {
    pub function: String,
    pub param: usize,
    pub line: u32,
    pub column: u32,
    /// The sink call, shortened.
    pub what: String,
}

#[derive(Default)]
struct Frame {
    name: String,
    /// Locals passed to a token verification (`checkToken(auth_token)`, `jwt.verify(t, key)`),
    /// and the locals bound from its result (`const res = …`, `const { email } = res`).
    verified_tokens: HashSet<String>,
    verified_results: HashSet<String>,
    /// Locals derived from the function's parameters: name → the parameter indexes.
    from_params: HashMap<String, Vec<usize>>,
    /// Locals holding request data: name → (line, code) of where it came from.
    tainted: HashMap<String, (u32, String)>,
    /// Locals holding a secret or a MAC (`const expected = hmac.digest('hex')`).
    secrets: HashSet<String>,
    calls_verify: bool,
    decodes: Vec<Mistake>,
    /// Locals bound from the `Authorization` header (the bearer token, or the header itself).
    bearer_locals: HashSet<String>,
    /// Parameter names (values handed in by the caller, e.g. a signature to check).
    params: HashSet<String>,
    /// The function calls `ctx.validate(...)` (egg-validate types the body fields).
    validates: bool,
    /// Locals holding a URL or host built from `ctx.host`/`ctx.origin`/the Host headers.
    host_tainted: HashMap<String, (u32, String)>,
    /// Locals bound to a whole request object (`const q = ctx.query`, `@HTTPBody() body`).
    whole: HashSet<String>,
    /// Locals read from an unsigned cookie (`ctx.cookies.get(n, { signed: false })`).
    unsigned_cookies: HashMap<String, (u32, String)>,
    /// Locals that hold a key that may be public (`publicKey`, a `.pem` file read).
    public_keys: HashSet<String>,
    /// The function sets the response type (`ctx.type = ...`, `ctx.set('Content-Type', ...)`).
    sets_type: bool,
    /// A `jwt.verify(..., { ignoreExpiration: true })` here: (line, code).
    expired_accepted: Option<(u32, String)>,
    /// Request-data locals whose value went through a call (`await service.get(slug)`,
    /// `jwt.decode(token)`): not the request's own text any more.
    derived: HashSet<String>,
    /// `ctx.body = <request string>` seen here, reported when the function leaves unless it
    /// sets a type.
    bodies: Vec<Mistake>,
}

struct MistakeVisitor<'p, 't> {
    at: &'p Place<'t>,
    frames: Vec<Frame>,
    namer: Namer,
    /// Names an enclosing allow-list test checks.
    guarded: Vec<HashSet<String>>,
    /// Per enclosing `if`/`?:` consequent: its test reads the result of a token verification.
    verified_guard: Vec<bool>,
    /// Functions of this file that verify a JWT (`function checkToken(t) { … jwt.verify(t, cert,
    /// …) … }`).
    verify_fns: HashSet<String>,
    /// Function starts of methods decorated with a validator (`@validate(rules)`).
    validated_fns: HashSet<u32>,
    /// Local names bound to a JWT library (`const jwt = require('jsonwebtoken')`).
    jwt_names: HashSet<String>,
    out: Vec<Mistake>,
    host_calls: Vec<HostCall>,
    host_param_sinks: Vec<HostParamSink>,
    /// tegg `@Inject()` properties: name → class.
    injected: &'p HashMap<String, String>,
    /// What other files' helpers and services return (the flow engine's summaries).
    summaries: &'p crate::flow::Summaries,
    /// The clean results of the sink models (what the flow engine treats as server data).
    models: &'p crate::models::Models,
    /// Methods of this file's classes whose result carries none of their arguments (the flow
    /// pass's facts of this file: `byName(n) { return this.ctx.model.User.findOne(…) }`).
    own_clean: HashSet<String>,
}

/// Runs the extractor over a parsed file.
pub(crate) fn extract(
    program: &Program<'_>,
    at: &Place<'_>,
    summaries: &crate::flow::Summaries,
    models: &crate::models::Models,
    injected: &HashMap<String, String>,
    out: &mut SourceFacts,
) {
    let mut own: HashMap<&str, bool> = HashMap::new();
    for f in out.functions.iter().filter(|f| f.class.is_some()) {
        *own.entry(f.name.as_str()).or_insert(true) &= f.returns == 0 && f.returns_via.is_empty();
    }
    let own_clean = own
        .into_iter()
        .filter(|(_, clean)| *clean)
        .map(|(n, _)| n.to_owned())
        .collect();
    let mut v = MistakeVisitor {
        summaries,
        models,
        own_clean,
        at,
        frames: vec![Frame {
            name: "<module>".into(),
            ..Frame::default()
        }],
        namer: Namer::default(),
        guarded: Vec::new(),
        verified_guard: Vec::new(),
        // (a walk of its own: only for a file that names `verify` at all)
        verify_fns: if memchr::memmem::find(at.text.as_bytes(), b".verify(").is_some() {
            verify_fns(program)
        } else {
            HashSet::new()
        },
        validated_fns: HashSet::new(),
        jwt_names: ["jwt", "jsonwebtoken", "JWT", "jwtDecode", "jwt_decode"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        out: Vec::new(),
        host_calls: Vec::new(),
        host_param_sinks: Vec::new(),
        injected,
    };
    v.visit_program(program);
    while let Some(f) = v.frames.pop() {
        if !f.calls_verify {
            v.out.extend(f.decodes);
        }
        if !f.sets_type {
            v.out.extend(f.bodies);
        }
    }
    out.mistakes = v.out;
    out.host_calls = v.host_calls;
    out.host_param_sinks = v.host_param_sinks;
}

/// The functions of a file (declarations, and `const f = (…) => …`) whose body calls a JWT
/// `verify` (`jwt.verify`, `jsonwebtoken.verify`, `app.jwt.verify`).
fn verify_fns(program: &Program<'_>) -> HashSet<String> {
    struct Finder {
        current: Vec<Option<String>>,
        out: HashSet<String>,
    }
    impl<'a> Visit<'a> for Finder {
        fn visit_function(&mut self, it: &Function<'a>, flags: oxc::syntax::scope::ScopeFlags) {
            self.current
                .push(it.id.as_ref().map(|i| i.name.as_str().to_owned()));
            walk::walk_function(self, it, flags);
            self.current.pop();
        }
        fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
            let named = match (&it.id, it.init.as_ref().map(|e| e.get_inner_expression())) {
                (
                    BindingPattern::BindingIdentifier(id),
                    Some(
                        Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_),
                    ),
                ) => Some(id.name.as_str().to_owned()),
                _ => None,
            };
            if let Some(n) = named {
                self.current.push(Some(n));
                walk::walk_variable_declarator(self, it);
                self.current.pop();
            } else {
                walk::walk_variable_declarator(self, it);
            }
        }
        fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
            if let Some(p) = member_path_ref(&it.callee) {
                let s: &[&str] = &p[..];
                if s.len() >= 2
                    && s[s.len() - 1] == "verify"
                    && s[..s.len() - 1]
                        .iter()
                        .any(|x| has_ci(x, "jwt") || *x == "jsonwebtoken")
                {
                    if let Some(Some(n)) = self.current.last() {
                        self.out.insert(n.clone());
                    }
                }
            }
            walk::walk_call_expression(self, it);
        }
    }
    let mut f = Finder {
        current: Vec::new(),
        out: HashSet::new(),
    };
    f.visit_program(program);
    f.out
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

// Case-insensitive tests of names against lower-case ASCII words, without lower-cased copies
// (they run for every declared name and every call).

/// `lc(s).contains(word)` for a lower-case ASCII `word`, without the copy.
pub(crate) fn has_ci(s: &str, word: &str) -> bool {
    s.len() >= word.len()
        && s.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// `lc(s).starts_with(word)` for a lower-case ASCII `word`, without the copy.
pub(crate) fn starts_ci(s: &str, word: &str) -> bool {
    s.as_bytes()
        .get(..word.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(word.as_bytes()))
}

/// `lc(s).ends_with(word)` for a lower-case ASCII `word`, without the copy.
pub(crate) fn ends_ci(s: &str, word: &str) -> bool {
    s.len()
        .checked_sub(word.len())
        .and_then(|i| s.as_bytes().get(i..))
        .is_some_and(|t| t.eq_ignore_ascii_case(word.as_bytes()))
}

/// A member path as `&str`s, with a leading `this.ctx` read as `ctx`.
fn ctx_path<S: AsRef<str>>(p: &[S]) -> Vec<&str> {
    let skip = usize::from(p.len() >= 2 && p[0].as_ref() == "this" && p[1].as_ref() == "ctx");
    p[skip..].iter().map(AsRef::as_ref).collect()
}

/// `ctx.query`, `ctx.params`, `ctx.request.body`, headers, `ctx.href`... (through `this.ctx`).
fn request_source<S: AsRef<str>>(p: &[S]) -> bool {
    matches!(
        ctx_path(p).as_slice(),
        [
            "ctx",
            "query" | "queries" | "params" | "headers" | "header" | "querystring",
            ..
        ] | [
            "ctx",
            "request",
            "body" | "query" | "queries" | "headers" | "header" | "files",
            ..
        ]
    )
}

/// Names for values that must be unguessable (tokens, codes, secrets, session ids).
fn is_secret_name(n: &str) -> bool {
    if ends_ci(n, "count")
        || ends_ci(n, "length")
        || has_ci(n, "expire")
        || n.eq_ignore_ascii_case("code")
    {
        return false;
    }
    // one pass over the name for all the words (it runs for every declared name)
    static WORDS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "token",
                "secret",
                "nonce",
                "salt",
                "otp",
                "captcha",
                "resetcode",
                "verifycode",
                "vericode",
                "smscode",
                "invitecode",
                "sessionid",
                "session_id",
                "sid",
                "apikey",
                "api_key",
                "password",
                "passwd",
                "ticket",
            ])
            .expect("fixed words")
    });
    WORDS.is_match(n)
        || ends_ci(n, "code")
            && ["reset", "verif", "invite", "auth", "sms", "email", "login"]
                .iter()
                .any(|w| has_ci(n, w))
}

/// Names whose value must not be guessable when it comes from `Math.random()`/`Date.now()`:
/// the secret names, and any code (`code`, `verifyCode`: a random number is never an error or
/// status code).
fn is_random_token_name(n: &str) -> bool {
    is_secret_name(n) || ends_ci(n, "code")
}

/// Names for values compared against user input that must be compared in constant time.
fn is_mac_name(n: &str) -> bool {
    [
        "secret",
        "signature",
        "hmac",
        "digest",
        "apikey",
        "api_key",
        "accesskey",
        "webhooktoken",
        "sign",
    ]
    .iter()
    .any(|w| has_ci(n, w))
        || n.eq_ignore_ascii_case("token")
        || ends_ci(n, "token") && !has_ci(n, "type")
}

fn contains_weak_random(e: &Expression<'_>) -> bool {
    let mut f = WeakRandomFinder { found: false };
    f.visit_expression(e);
    f.found
}

struct WeakRandomFinder {
    found: bool,
}

/// Keys whose value is a time, not a secret: a JWT's `exp`/`iat`/`nbf`, an expiry, a stamp.
fn is_time_key(k: &str) -> bool {
    matches!(
        k,
        "exp" | "iat" | "nbf" | "ttl" | "time" | "timestamp" | "ts"
    ) || [
        "expire",
        "expiry",
        "maxage",
        "createdat",
        "updatedat",
        "issuedat",
    ]
    .iter()
    .any(|w| has_ci(k, w))
}

impl<'a> Visit<'a> for WeakRandomFinder {
    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        // `{ exp: Math.floor(Date.now() / 1000) + 3600 }`: a clock value where a time belongs
        if it.key.static_name().is_some_and(|k| is_time_key(&k)) {
            return;
        }
        walk::walk_object_property(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        // `jwt.sign(payload, secret)`: the payload is signed, not secret — a clock or random
        // value in it makes the token no more guessable (the secret, the second argument, does)
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            if m.property.name == "sign" && it.arguments.len() >= 2 {
                self.visit_expression(&m.object);
                for a in it.arguments.iter().skip(1) {
                    self.visit_argument(a);
                }
                return;
            }
        }
        // `encrypt(secret, { userId, _sign: Date.now() })`, `aes.encrypt(data, key)`: what an
        // encryption with a key hides is no more guessable for a clock value in it — an object
        // literal payload is skipped, the other arguments (the key) are not
        let name = match it.callee.get_inner_expression() {
            Expression::Identifier(id) => Some(id.name.as_str()),
            Expression::StaticMemberExpression(m) => Some(m.property.name.as_str()),
            _ => None,
        };
        if name.is_some_and(|n| has_ci(n, "encrypt") || has_ci(n, "cipher"))
            && it.arguments.len() >= 2
        {
            self.visit_expression(&it.callee);
            for a in &it.arguments {
                if !matches!(
                    a.as_expression().map(|e| e.get_inner_expression()),
                    Some(Expression::ObjectExpression(_))
                ) {
                    self.visit_argument(a);
                }
            }
            return;
        }
        if let Some(p) = member_path_ref(&it.callee) {
            let s: &[&str] = &p[..];
            if matches!(s, ["Math", "random"] | ["Date", "now"])
                || (s.last() == Some(&"getTime")
                    && matches!(it.callee.get_inner_expression(), Expression::StaticMemberExpression(m) if matches!(m.object.get_inner_expression(), Expression::NewExpression(_))))
            {
                self.found = true;
            }
        }
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            if m.property.name == "getTime"
                && matches!(
                    m.object.get_inner_expression(),
                    Expression::NewExpression(_)
                )
            {
                self.found = true;
            }
        }
        walk::walk_call_expression(self, it);
    }
    // a callback's body is not this value
    fn visit_arrow_function_expression(&mut self, _it: &ArrowFunctionExpression<'a>) {}
    fn visit_function(&mut self, _it: &Function<'a>, _flags: ScopeFlags) {}
}

/// Identifiers and member chains an expression reads (borrowed from the AST).
#[derive(Default)]
struct Reads<'a> {
    idents: Vec<&'a str>,
    paths: Vec<MemberPath<'a>>,
}

impl<'a> Visit<'a> for Reads<'a> {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.idents.push(it.name.as_str());
    }
    fn visit_expression(&mut self, it: &Expression<'a>) {
        if let Expression::StaticMemberExpression(_) = it.get_inner_expression() {
            if let Some(p) = member_path_ref(it) {
                self.paths.push(p);
            }
        }
        if let Expression::CallExpression(c) = it.get_inner_expression() {
            // ctx.get('x') / ctx.cookies.get('x') read the request
            if let Some(p) = member_path_ref(&c.callee) {
                let s: &[&str] = &p[..];
                // (a header or a cookie, not something a link sets)
                if matches!(
                    s,
                    ["ctx" | "this", "cookies", "get"] | ["this", "ctx", "cookies", "get"]
                ) {
                    self.paths
                        .push(smallvec::smallvec!["ctx", "headers", "cookie"]);
                } else if matches!(
                    s,
                    ["ctx", "get"] | ["this", "ctx", "get"] | ["ctx", "request", "get"]
                ) {
                    self.paths
                        .push(smallvec::smallvec!["ctx", "headers", "get"]);
                }
            }
        }
        walk::walk_expression(self, it);
    }
    fn visit_arrow_function_expression(&mut self, _it: &ArrowFunctionExpression<'a>) {}
    fn visit_function(&mut self, _it: &Function<'a>, _flags: ScopeFlags) {}
}

/// Every name a binding pattern binds (`{ a, b: [c], ...d }` → a, c, d).
pub(crate) fn binding_names(p: &BindingPattern<'_>, out: &mut Vec<String>) {
    match p {
        BindingPattern::BindingIdentifier(id) => out.push(id.name.as_str().to_owned()),
        BindingPattern::ObjectPattern(o) => {
            for prop in &o.properties {
                binding_names(&prop.value, out);
            }
            if let Some(r) = &o.rest {
                binding_names(&r.argument, out);
            }
        }
        BindingPattern::ArrayPattern(a) => {
            for e in a.elements.iter().flatten() {
                binding_names(e, out);
            }
        }
        BindingPattern::AssignmentPattern(a) => binding_names(&a.left, out),
    }
}

/// Names an allow-list test checks: `ALLOWED.includes(x)`, `map.has(x)`, `x in table`,
/// `x === 'a'`, `Object.keys(t).includes(x)`, `hasOwnProperty(x)`.
fn allow_listed(test: &Expression<'_>) -> HashSet<String> {
    let mut out = HashSet::new();
    struct F<'o> {
        out: &'o mut HashSet<String>,
    }
    impl<'a> Visit<'a> for F<'_> {
        fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
            let method = match it.callee.get_inner_expression() {
                Expression::StaticMemberExpression(m) => Some(m.property.name.as_str().to_owned()),
                _ => member_path(&it.callee).and_then(|p| p.last().cloned()),
            };
            {
                if matches!(
                    method.as_deref(),
                    Some("includes" | "has" | "hasOwnProperty" | "indexOf" | "hasOwn")
                ) {
                    for a in it.arguments.iter().filter_map(|a| a.as_expression()) {
                        if let Some(ap) = member_path(a) {
                            self.out.insert(ap.join("."));
                            if let Some(l) = ap.last() {
                                self.out.insert(l.clone());
                            }
                        }
                    }
                }
            }
            walk::walk_call_expression(self, it);
        }
        fn visit_binary_expression(&mut self, it: &BinaryExpression<'a>) {
            let lit = |e: &Expression<'_>| {
                matches!(
                    e.get_inner_expression(),
                    Expression::StringLiteral(_) | Expression::NumericLiteral(_)
                )
            };
            if matches!(
                it.operator,
                BinaryOperator::StrictEquality | BinaryOperator::Equality | BinaryOperator::In
            ) {
                for (a, b) in [(&it.left, &it.right), (&it.right, &it.left)] {
                    if lit(b) || it.operator == BinaryOperator::In {
                        if let Some(ap) = member_path(a) {
                            self.out.insert(ap.join("."));
                        }
                    }
                }
            }
            walk::walk_binary_expression(self, it);
        }
    }
    F { out: &mut out }.visit_expression(test);
    out
}

impl<'p, 't> MistakeVisitor<'p, 't> {
    fn frame(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("module frame")
    }

    fn push(&mut self, kind: MistakeKind, span: Span, steps: Vec<(u32, String)>) {
        let (line, column) = self.at.line_col(span.start);
        let what = self.at.snippet(span.start, span.end);
        let function = self
            .frames
            .last()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        if self.out.len() < 500 {
            self.out.push(Mistake {
                kind,
                function,
                line,
                column,
                what,
                steps,
                bearer: false,
            });
        }
    }

    /// Whether an expression reads the `Authorization` header: its text names it (within its
    /// first 400 bytes) or it reads a local bound from it.
    fn bearer_read(&self, e: &Expression<'_>) -> bool {
        let span = e.span();
        let end = self
            .at
            .text
            .floor_char_boundary((span.end as usize).min(span.start as usize + 400));
        if self
            .at
            .text
            .get(span.start as usize..end)
            .is_some_and(|t| has_ci(t, "authorization"))
        {
            return true;
        }
        let Some(f) = self.frames.last().filter(|f| !f.bearer_locals.is_empty()) else {
            return false;
        };
        let mut r = Reads::default();
        r.visit_expression(e);
        r.idents.iter().any(|i| f.bearer_locals.contains(*i))
    }

    /// Whether a decode call's token is the request's bearer token ([`Mistake::bearer`]).
    fn bearer_arg(&self, call: &CallExpression<'_>) -> bool {
        call.arguments
            .first()
            .and_then(|a| a.as_expression())
            .is_some_and(|a| self.bearer_read(a))
    }

    /// The request-data trace of an expression: `Some(steps)` when it reads request data.
    fn taint_of(&self, e: &Expression<'_>) -> Option<Vec<(u32, String)>> {
        let mut r = Reads::default();
        r.visit_expression(e);
        let guarded = |n: &str| self.guarded.iter().any(|g| g.contains(n));
        for p in &r.paths {
            if request_source(p) && !guarded(&p.join(".")) {
                let (line, _) = self.at.line_col(e.span().start);
                return Some(vec![(line, p.join("."))]);
            }
        }
        let frame = self.frames.last()?;
        for i in &r.idents {
            if guarded(i) {
                continue;
            }
            if let Some((line, what)) = frame.tainted.get(*i) {
                return Some(vec![(*line, what.clone())]);
            }
        }
        None
    }

    /// A call whose result the server made, whatever the arguments, as the flow engine sees
    /// it: a helper or service of another file that returns none of its arguments (its
    /// summary: `ctx.helper.getKeyArrByTokenId(token)` returns what it decrypted), else a clean
    /// result of the models (`models/*.toml`: a decryption with the server's key, a database
    /// read, a service).
    fn server_result(&self, e: &Expression<'_>) -> bool {
        let mut e = e.get_inner_expression();
        // `await this.byName(n) || {}`: the result, or an empty default
        if let Expression::LogicalExpression(l) = e {
            let fallback = matches!(
                l.right.get_inner_expression(),
                Expression::ObjectExpression(_)
                    | Expression::ArrayExpression(_)
                    | Expression::NullLiteral(_)
                    | Expression::StringLiteral(_)
                    | Expression::NumericLiteral(_)
                    | Expression::BooleanLiteral(_)
            );
            return fallback && l.operator != LogicalOperator::And && self.server_result(&l.left);
        }
        if let Expression::AwaitExpression(a) = e {
            e = a.argument.get_inner_expression();
        }
        let Expression::CallExpression(c) = e else {
            return false;
        };
        let Some(path) = member_path(&c.callee) else {
            return false;
        };
        // a method of this file's class that returns none of its arguments
        if let [this, m] = path.as_slice() {
            if this == "this" && self.own_clean.contains(m) {
                return true;
            }
        }
        // egg's objects as the flow engine spells them: `this.ctx.x`, `this.service.x`
        let mut segs: Vec<&str> = path.iter().map(String::as_str).collect();
        match segs.as_slice() {
            ["this", "ctx" | "app", ..] => {
                segs.remove(0);
            }
            ["this" | "ctx", "service" | "helper", ..] | ["service" | "helper", ..] => {
                let at = segs.iter().position(|s| matches!(*s, "service" | "helper"));
                segs.splice(..at.unwrap_or(0), ["ctx"]);
            }
            _ => {}
        }
        if let Some(r) =
            crate::flow::summary_key(&segs.join(".")).and_then(|k| self.summaries.get(&k))
        {
            return r.mask == 0 && r.via.is_empty();
        }
        self.models.clean_result(&segs)
    }

    /// Records a token verification bound to `names` (`const res = checkToken(token)`, `const
    /// payload = jwt.verify(token, key)`), or a local bound from a verification's result
    /// (`const { email } = res`).
    fn note_verification(&mut self, init: &Expression<'_>, names: &[String]) {
        let mut e = init.get_inner_expression();
        if let Expression::AwaitExpression(a) = e {
            e = a.argument.get_inner_expression();
        }
        let from_result = match e {
            Expression::Identifier(i) => self
                .frames
                .last()
                .is_some_and(|f| f.verified_results.contains(i.name.as_str())),
            Expression::StaticMemberExpression(m) => matches!(m.object.get_inner_expression(),
                Expression::Identifier(i) if self.frames.last().is_some_and(|f| f.verified_results.contains(i.name.as_str()))),
            _ => false,
        };
        let token = match e {
            Expression::CallExpression(c) => {
                let verifies = match member_path_ref(&c.callee) {
                    Some(p) => {
                        let s: &[&str] = &p[..];
                        (s.len() == 1 && self.verify_fns.contains(s[0]))
                            || (s.len() >= 2 && s[s.len() - 1] == "verify" && self.is_jwt_callee(s))
                    }
                    None => false,
                };
                match c.arguments.first().and_then(|a| a.as_expression()) {
                    Some(Expression::Identifier(t)) if verifies => Some(t.name.as_str().to_owned()),
                    _ => None,
                }
            }
            _ => None,
        };
        if token.is_none() && !from_result {
            return;
        }
        let f = self.frame();
        if let Some(t) = token {
            f.verified_tokens.insert(t);
        }
        f.verified_results.extend(names.iter().cloned());
    }

    /// Whether a test reads a local bound from a token verification's result.
    fn reads_verified(&self, test: &Expression<'_>) -> bool {
        let Some(f) = self
            .frames
            .last()
            .filter(|f| !f.verified_results.is_empty())
        else {
            return false;
        };
        let mut r = Reads::default();
        r.visit_expression(test);
        r.idents.iter().any(|i| f.verified_results.contains(*i))
    }

    fn is_jwt_callee(&self, p: &[&str]) -> bool {
        p.len() >= 2
            && p[..p.len() - 1]
                .iter()
                .any(|s| self.jwt_names.contains(*s) || has_ci(s, "jwt"))
    }

    fn enter(&mut self, span: Span, params: &FormalParameters<'_>) {
        let name = self.namer.name_at(span.start);
        let mut f = Frame {
            name,
            validates: self.validated_fns.contains(&span.start),
            ..Frame::default()
        };
        for (i, p) in params.items.iter().enumerate() {
            let mut names = Vec::new();
            binding_names(&p.pattern, &mut names);
            if let BindingPattern::BindingIdentifier(b) = &p.pattern {
                if !matches!(b.name.as_str(), "ctx" | "app" | "next" | "req" | "res") {
                    f.from_params.insert(b.name.as_str().to_owned(), vec![i]);
                }
            }
            f.params.extend(names);
        }
        // tegg request parameters: @HTTPQuery() q, @HTTPBody() body, @HTTPParam() id
        for p in &params.items {
            let injected = p.decorators.iter().any(|d| {
                let callee = match &d.expression {
                    Expression::CallExpression(c) => &c.callee,
                    e => e,
                };
                member_path(callee)
                    .and_then(|p| p.last().cloned())
                    .is_some_and(|n| {
                        matches!(
                            n.as_str(),
                            "HTTPQuery" | "HTTPQueries" | "HTTPBody" | "HTTPParam" | "HTTPHeaders"
                        )
                    })
            });
            if injected {
                let mut names = Vec::new();
                binding_names(&p.pattern, &mut names);
                let (line, _) = self.at.line_col(p.span.start);
                let dec = p
                    .decorators
                    .iter()
                    .find_map(|d| match &d.expression {
                        Expression::CallExpression(c) => {
                            member_path(&c.callee).and_then(|p| p.last().cloned())
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                for n in names {
                    f.tainted.insert(n.clone(), (line, format!("@{dec}() {n}")));
                    if matches!(dec.as_str(), "HTTPBody" | "HTTPQueries" | "HTTPHeaders") {
                        f.whole.insert(n.clone());
                    }
                }
            }
        }
        self.frames.push(f);
    }

    fn leave(&mut self) {
        if let Some(f) = self.frames.pop() {
            if !f.calls_verify {
                self.out.extend(f.decodes);
            }
            if !f.sets_type {
                self.out.extend(f.bodies);
            }
        }
    }
}

/// `ctx.host`, `ctx.hostname`, `ctx.origin`, `ctx.href`, `ctx.headers.host`,
/// `ctx.headers['x-forwarded-host']` (through `this.ctx` and `ctx.request`).
fn host_source<S: AsRef<str>>(p: &[S]) -> bool {
    match ctx_path(p).as_slice() {
        ["ctx", "host" | "hostname" | "origin" | "href"]
        | ["ctx", "request", "host" | "hostname" | "origin" | "href"] => true,
        ["ctx", "headers" | "header", h] | ["ctx", "request", "headers" | "header", h] => {
            host_header(h)
        }
        _ => false,
    }
}

fn host_header(h: &str) -> bool {
    matches!(
        lc(h).as_str(),
        "host" | "x-forwarded-host" | "origin" | "x-forwarded-server" | "forwarded"
    )
}

/// Finds what an expression reads from the Host headers (not inside nested functions).
struct HostFinder<'f> {
    tainted: &'f HashMap<String, (u32, String)>,
    found: Option<String>,
    line: Option<u32>,
}

impl<'a> Visit<'a> for HostFinder<'_> {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if self.found.is_none() {
            if let Some((line, what)) = self.tainted.get(it.name.as_str()) {
                self.found = Some(what.clone());
                self.line = Some(*line);
            }
        }
    }
    fn visit_expression(&mut self, it: &Expression<'a>) {
        if self.found.is_some() {
            return;
        }
        if let Some(p) = member_path_ref(it) {
            if host_source(&p) {
                self.found = Some(p.join("."));
                return;
            }
        }
        if let Expression::CallExpression(c) = it.get_inner_expression() {
            // ctx.get('host'), ctx.get('X-Forwarded-Host'), ctx.request.get('origin')
            if let Some(p) = member_path_ref(&c.callee) {
                let s: &[&str] = &p[..];
                let getter = matches!(
                    s,
                    ["ctx", "get"] | ["this", "ctx", "get"] | ["ctx", "request", "get"]
                );
                if getter {
                    if let Some(Expression::StringLiteral(h)) = c
                        .arguments
                        .first()
                        .and_then(|a| a.as_expression())
                        .map(|e| e.get_inner_expression())
                    {
                        if host_header(&h.value) {
                            self.found = Some(format!("ctx.get('{}')", h.value));
                            return;
                        }
                    }
                }
            }
        }
        walk::walk_expression(self, it);
    }
    fn visit_arrow_function_expression(&mut self, _it: &ArrowFunctionExpression<'a>) {}
    fn visit_function(&mut self, _it: &Function<'a>, _flags: ScopeFlags) {}
}

/// `ctx.query`, `ctx.request.body`, `ctx.params`, `ctx.headers`: a whole request object.
fn whole_request(p: &[String]) -> bool {
    matches!(
        ctx_path(p).as_slice(),
        [
            "ctx",
            "query" | "queries" | "params" | "headers" | "header" | "request"
        ] | [
            "ctx",
            "request",
            "body" | "query" | "queries" | "headers" | "header"
        ]
    )
}

/// `ctx.cookies.get(name, { signed: false })` somewhere in `e` (not in nested functions).
fn unsigned_cookie_read(e: &Expression<'_>) -> bool {
    struct F {
        found: bool,
    }
    impl<'a> Visit<'a> for F {
        fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
            let cookie_get = member_path(&it.callee).is_some_and(|p| {
                p.len() >= 2 && p[p.len() - 1] == "get" && p[p.len() - 2] == "cookies"
            });
            if cookie_get {
                if let Some(Expression::ObjectExpression(o)) = it
                    .arguments
                    .get(1)
                    .and_then(|a| a.as_expression())
                    .map(|e| e.get_inner_expression())
                {
                    self.found |= o.properties.iter().any(|p| match p {
                        ObjectPropertyKind::ObjectProperty(p) => {
                            p.key.static_name().is_some_and(|k| k == "signed")
                                && matches!(p.value.get_inner_expression(), Expression::BooleanLiteral(b) if !b.value)
                        }
                        _ => false,
                    });
                }
            }
            walk::walk_call_expression(self, it);
        }
        fn visit_arrow_function_expression(&mut self, _it: &ArrowFunctionExpression<'a>) {}
        fn visit_function(&mut self, _it: &Function<'a>, _flags: ScopeFlags) {}
    }
    let mut f = F { found: false };
    f.visit_expression(e);
    f.found
}

/// A key name that may hold a public key (`publicKey`, `PUBLIC_KEY`, `pubKey`, `cert`, `pem`).
fn public_key_name(n: &str) -> bool {
    let n = lc(n);
    n.contains("public")
        || n.contains("pubkey")
        || n.contains("pub_key")
        || n.ends_with("pem")
        || n.contains("cert")
}

/// The key names of an object literal (`None` when it is not one, e.g. a variable).
fn object_keys(e: &Expression<'_>) -> Option<Vec<String>> {
    let Expression::ObjectExpression(o) = e.get_inner_expression() else {
        return None;
    };
    let mut keys = Vec::new();
    for p in &o.properties {
        match p {
            ObjectPropertyKind::ObjectProperty(p) => keys.push(
                p.key
                    .static_name()
                    .map(|k| k.to_string())
                    .unwrap_or_default(),
            ),
            // `{ ...opts }`: unknown keys
            ObjectPropertyKind::SpreadProperty(_) => return None,
        }
    }
    Some(keys)
}

/// `{ ignoreExpiration: true }` among the arguments.
fn ignores_expiration(args: &[Argument<'_>]) -> bool {
    args.iter().filter_map(|a| a.as_expression()).any(|a| {
        let Expression::ObjectExpression(o) = a.get_inner_expression() else {
            return false;
        };
        o.properties.iter().any(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) => {
                p.key.static_name().is_some_and(|k| k == "ignoreExpiration")
                    && matches!(p.value.get_inner_expression(), Expression::BooleanLiteral(b) if b.value)
            }
            _ => false,
        })
    })
}

/// Does `e` call something (a call, `new`, `await`; outside nested functions)? Member reads
/// and operators do not.
pub(crate) fn has_call_or_await(e: &Expression<'_>) -> bool {
    struct F {
        found: bool,
    }
    impl<'a> Visit<'a> for F {
        fn visit_call_expression(&mut self, _it: &CallExpression<'a>) {
            self.found = true;
        }
        fn visit_new_expression(&mut self, _it: &NewExpression<'a>) {
            self.found = true;
        }
        fn visit_await_expression(&mut self, _it: &AwaitExpression<'a>) {
            self.found = true;
        }
        fn visit_arrow_function_expression(&mut self, _it: &ArrowFunctionExpression<'a>) {}
        fn visit_function(&mut self, _it: &Function<'a>, _flags: ScopeFlags) {}
    }
    let mut f = F { found: false };
    f.visit_expression(e);
    f.found
}

/// The leftmost operand of a `+` chain.
fn leftmost<'b, 'a>(e: &'b Expression<'a>) -> &'b Expression<'a> {
    match e.get_inner_expression() {
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            leftmost(&b.left)
        }
        other => other,
    }
}

impl MistakeVisitor<'_, '_> {
    /// Where `e` reads the Host headers: `(line, what)`.
    fn host_taint_of(&self, e: &Expression<'_>) -> Option<(u32, String)> {
        let empty = HashMap::new();
        let tainted = self.frames.last().map_or(&empty, |f| &f.host_tainted);
        let mut f = HostFinder {
            tainted,
            found: None,
            line: None,
        };
        f.visit_expression(e);
        let what = f.found?;
        let line = f.line.unwrap_or_else(|| self.at.line_col(e.span().start).0);
        Some((line, what))
    }

    /// Notes what a local is bound to: Host-header URLs, whole request objects, unsigned
    /// cookie values, keys that may be public.
    fn note_binding(
        &mut self,
        id: &BindingPattern<'_>,
        init: &Expression<'_>,
        names: &[String],
        span: Span,
    ) {
        let inner = init.get_inner_expression();
        if let BindingPattern::BindingIdentifier(b) = id {
            if member_path(inner).is_some_and(|p| whole_request(&p)) {
                self.frame().whole.insert(b.name.as_str().to_owned());
            }
            let key_file = || {
                // the snippet is the source's first 400 bytes, folded: no `readFileSync` in
                // them (any case), none in the snippet
                let start = init.span().start as usize;
                let end = (init.span().end as usize).min(start + 400);
                let raw = self.at.text.as_bytes().get(start..end).unwrap_or_default();
                let word = b"readfilesync";
                let found = memchr::memchr2_iter(b'r', b'R', raw).any(|i| {
                    raw.get(i..i + word.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(word))
                });
                if !found {
                    return false;
                }
                let text = lc(&self.at.snippet(init.span().start, init.span().end));
                text.contains("readfilesync")
                    && [".pem", ".pub", "public", ".crt", "cert"]
                        .iter()
                        .any(|w| text.contains(w))
            };
            if public_key_name(&b.name) || key_file() {
                self.frame().public_keys.insert(b.name.as_str().to_owned());
            }
        }
        // const { host, origin } = ctx
        if let BindingPattern::ObjectPattern(o) = id {
            let from_ctx = member_path_ref(inner).is_some_and(|p| {
                let s: &[&str] = &p[..];
                matches!(
                    s,
                    ["ctx"] | ["this", "ctx"] | ["ctx", "request"] | ["this", "ctx", "request"]
                )
            });
            if from_ctx {
                for prop in &o.properties {
                    let key = prop.key.static_name().unwrap_or_default();
                    if matches!(key.as_ref(), "host" | "hostname" | "origin" | "href") {
                        let mut ns = Vec::new();
                        binding_names(&prop.value, &mut ns);
                        let (line, _) = self.at.line_col(span.start);
                        for n in ns {
                            self.frame()
                                .host_tainted
                                .insert(n, (line, format!("ctx.{key}")));
                        }
                    }
                }
            }
        }
        if let Some((l, w)) = self.host_taint_of(init) {
            for n in names {
                self.frame().host_tainted.insert(n.clone(), (l, w.clone()));
            }
        }
        {
            let mut r = Reads::default();
            r.visit_expression(init);
            let through_call = has_call_or_await(init)
                || r.idents
                    .iter()
                    .any(|i| self.frames.last().is_some_and(|f| f.derived.contains(*i)));
            for n in names {
                if through_call {
                    self.frame().derived.insert(n.clone());
                } else {
                    self.frame().derived.remove(n);
                }
            }
        }
        if unsigned_cookie_read(init) {
            let (line, _) = self.at.line_col(span.start);
            let what = self.at.snippet(span.start, span.end);
            for n in names {
                self.frame()
                    .unsigned_cookies
                    .insert(n.clone(), (line, what.clone()));
            }
        }
    }

    /// A URL built from the Host headers handed to a mail sender or an outbound request.
    fn host_sink(&mut self, p: &[&str], it: &CallExpression<'_>) {
        // (case-insensitive, without lower-cased copies: this runs for every call)
        let (Some(&last), Some(&first)) = (p.last(), p.first()) else {
            return;
        };
        let is = |s: &str, words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
        let mail = p.iter().any(|s| has_ci(s, "mail"))
            && (starts_ci(last, "send") || has_ci(last, "mail") || is(last, &["deliver"]));
        let outbound = is(last, &["curl", "safecurl", "fetch"])
            || is(first, &["axios", "got", "superagent", "needle"])
            || (p.iter().any(|s| is(s, &["httpclient", "urllib"]))
                && is(last, &["request", "curl", "get", "post", "put"]));
        if !mail && !outbound {
            return;
        }
        // parameters reaching the sink, for callers in other files
        let mut seen_params = Vec::new();
        for a in it.arguments.iter().filter_map(|a| a.as_expression()) {
            for param in self.params_read(a) {
                if seen_params.contains(&param) || self.host_param_sinks.len() >= 500 {
                    continue;
                }
                seen_params.push(param);
                let (line, column) = self.at.line_col(it.span.start);
                let function = self.frame().name.clone();
                self.host_param_sinks.push(HostParamSink {
                    function,
                    param,
                    line,
                    column,
                    what: self.at.snippet(it.span.start, it.span.end),
                });
            }
        }
        for a in it.arguments.iter().filter_map(|a| a.as_expression()) {
            if let Some((line, what)) = self.host_taint_of(a) {
                self.push(
                    MistakeKind::HostHeaderUrlSentOut,
                    it.span,
                    vec![(line, what)],
                );
                return;
            }
        }
    }

    /// The parameters of the current function `e` reads (directly or through locals).
    fn params_read(&self, e: &Expression<'_>) -> Vec<usize> {
        let Some(f) = self.frames.last() else {
            return Vec::new();
        };
        if f.from_params.is_empty() {
            return Vec::new();
        }
        let mut r = Reads::default();
        r.visit_expression(e);
        let mut out: Vec<usize> = Vec::new();
        for i in &r.idents {
            for p in f.from_params.get(*i).into_iter().flatten() {
                if !out.contains(p) {
                    out.push(*p);
                }
            }
        }
        out
    }

    /// Locals bound from parameters keep the parameters they carry (`const html = \`...${link}\``).
    fn note_param_locals(&mut self, names: &[String], init: &Expression<'_>, replace: bool) {
        let params = self.params_read(init);
        let f = self.frame();
        for n in names {
            if params.is_empty() {
                if replace {
                    f.from_params.remove(n);
                }
                continue;
            }
            let e = f.from_params.entry(n.clone()).or_default();
            if replace {
                e.clear();
            }
            for p in &params {
                if !e.contains(p) {
                    e.push(*p);
                }
            }
        }
    }

    /// `ctx.service.notify.reset(user, link)` (or a tegg `@Inject()`ed service's method) with
    /// `link` built from the Host headers.
    fn host_service_call(&mut self, p: &[&str], it: &CallExpression<'_>) {
        let s = ctx_path(p);
        let (class, service, method) = match s.as_slice() {
            ["ctx" | "this", "service", rest @ ..] if rest.len() >= 2 => {
                let (method, file) = rest.split_last().expect("two parts");
                (None, file.join("."), method.to_string())
            }
            // tegg: this.notifyService.sendReset(link) on an @Inject() property
            ["this", prop, method] => match self.injected.get(*prop) {
                Some(class) => (Some(class.clone()), String::new(), method.to_string()),
                None => return,
            },
            _ => return,
        };
        for (i, a) in it.arguments.iter().enumerate() {
            let Some(a) = a.as_expression() else { continue };
            let Some(source) = self.host_taint_of(a) else {
                continue;
            };
            if self.host_calls.len() >= 500 {
                return;
            }
            let (line, column) = self.at.line_col(it.span.start);
            let function = self.frame().name.clone();
            self.host_calls.push(HostCall {
                function,
                service: service.clone(),
                class: class.clone(),
                method: method.clone(),
                arg: i,
                line,
                column,
                what: self.at.snippet(it.span.start, it.span.end),
                source,
            });
        }
    }

    /// Is `e` a key that may be public (a `publicKey` name, a local read from a `.pem` file)?
    fn public_key(&self, e: &Expression<'_>) -> bool {
        match member_path(e) {
            Some(p) if p.len() == 1 => {
                public_key_name(&p[0]) || self.frames.iter().any(|f| f.public_keys.contains(&p[0]))
            }
            Some(p) => p.last().is_some_and(|l| public_key_name(l)),
            None => false,
        }
    }

    /// `ctx.body = <string that starts with query or route-parameter data>`.
    fn body_string(&mut self, it: &AssignmentExpression<'_>) {
        let AssignmentTarget::StaticMemberExpression(m) = &it.left else {
            return;
        };
        let Some(mut p) = member_path(&m.object) else {
            return;
        };
        p.push(m.property.name.as_str().to_owned());
        let s = ctx_path(&p);
        let s = s.as_slice();
        if matches!(
            s,
            ["ctx", "type"] | ["ctx", "response", "type"] | ["this", "type"]
        ) {
            self.frame().sets_type = true;
            return;
        }
        if !matches!(
            s,
            ["ctx", "body"] | ["ctx", "response", "body"] | ["this", "body"]
        ) {
            return;
        }
        let lead: &Expression<'_> = match it.right.get_inner_expression() {
            Expression::TemplateLiteral(t) => {
                let first_blank = t
                    .quasis
                    .first()
                    .is_some_and(|q| q.value.raw.trim().is_empty());
                match t.expressions.first() {
                    Some(e) if first_blank => e,
                    _ => return,
                }
            }
            e @ Expression::BinaryExpression(_) => leftmost(e),
            // ctx.query.text || ''
            Expression::LogicalExpression(l) => leftmost(&l.left),
            e => e,
        };
        let lead = lead.get_inner_expression();
        // a plain reference: a call (escape(x), JSON.stringify(x), Number(x)) is another shape
        if !matches!(
            lead,
            Expression::Identifier(_)
                | Expression::StaticMemberExpression(_)
                | Expression::ComputedMemberExpression(_)
        ) {
            return;
        }
        let whole = match member_path(lead) {
            Some(p) if p.len() == 1 => self.frames.last().is_some_and(|f| f.whole.contains(&p[0])),
            Some(p) => whole_request(&p),
            None => false,
        };
        // `res.data` where `res = await service.find(q)`: a stored value, not the request's text
        let derived = member_path(lead)
            .and_then(|p| p.first().cloned())
            .is_some_and(|r| self.frames.last().is_some_and(|f| f.derived.contains(&r)));
        if derived {
            return;
        }
        if whole {
            return;
        }
        let Some(steps) = self.taint_of(lead) else {
            return;
        };
        // query strings and route parameters arrive decoded from a link a victim can be sent;
        // the raw querystring stays percent-encoded, a JSON body needs the victim to post it
        let from_link = steps.first().is_some_and(|(_, w)| {
            !w.contains("querystring")
                && (w.contains("query")
                    || w.contains("params")
                    || w.starts_with("@HTTPQuery")
                    || w.starts_with("@HTTPParam"))
        });
        if !from_link {
            return;
        }
        let (line, column) = self.at.line_col(it.span.start);
        let what = self.at.snippet(it.span.start, it.span.end);
        let function = self.frame().name.clone();
        self.frame().bodies.push(Mistake {
            kind: MistakeKind::BodyStringFromRequest,
            function,
            line,
            column,
            what,
            steps,
            bearer: false,
        });
    }
}

impl MistakeVisitor<'_, '_> {
    /// `Model.findOne({ key: <one JSON body field> })` on a mongoose-style model.
    fn nosql_filter(&mut self, p: &[&str], it: &CallExpression<'_>) {
        const QUERIES: &[&str] = &[
            "find",
            "findOne",
            "findOneAndUpdate",
            "findOneAndDelete",
            "findOneAndRemove",
            "updateOne",
            "updateMany",
            "deleteOne",
            "deleteMany",
            "countDocuments",
            "count",
            "exists",
            "replaceOne",
        ];
        let Some(last) = p.last() else { return };
        if !QUERIES.contains(last) || p.len() < 2 {
            return;
        }
        let model = p[p.len() - 2];
        let on_model = p.iter().any(|s| *s == "model" || *s == "models")
            || model.chars().next().is_some_and(|c| c.is_ascii_uppercase());
        if !on_model || self.frames.last().is_some_and(|f| f.validates) {
            return;
        }
        let Some(Expression::ObjectExpression(o)) = it
            .arguments
            .first()
            .and_then(|a| a.as_expression())
            .map(|e| e.get_inner_expression())
        else {
            return;
        };
        for prop in &o.properties {
            let ObjectPropertyKind::ObjectProperty(prop) = prop else {
                continue;
            };
            let key = prop.key.static_name().unwrap_or_default();
            if key.starts_with('$') {
                continue;
            }
            // a single-record operation by id: an operator object only picks some record the
            // caller could have named anyway
            let single = !matches!(
                *last,
                "find" | "updateMany" | "deleteMany" | "count" | "countDocuments"
            );
            if single && matches!(key.as_ref(), "_id" | "id") {
                continue;
            }
            let v = prop.value.get_inner_expression();
            // a plain reference: a call (md5(x), String(x)) gives a string
            if !matches!(
                v,
                Expression::Identifier(_) | Expression::StaticMemberExpression(_)
            ) {
                continue;
            }
            let Some(steps) = self.taint_of(v) else {
                continue;
            };
            let from_body = steps
                .first()
                .is_some_and(|(_, w)| w.contains("request.body") || w.starts_with("@HTTPBody"));
            // a whole body object is the other rule's (mongo-query-from-request-object)
            let whole = steps
                .first()
                .is_some_and(|(_, w)| w.ends_with("request.body"))
                && matches!(v, Expression::StaticMemberExpression(_));
            if from_body && !whole {
                self.push(MistakeKind::NosqlFilterFromBodyField, prop.span, steps);
                continue;
            }
            // a query-string field: an object only under a nested query parser (the rule
            // decides with the app's NestedQueryParser facts)
            let from_query = steps.first().is_some_and(|(_, w)| {
                !w.contains("querystring")
                    && (w.contains("ctx.query")
                        || w.contains("request.query")
                        || w.starts_with("@HTTPQuery"))
                    && !w.contains("queries")
            });
            let whole_query = match member_path(v) {
                Some(p) if p.len() == 1 => {
                    self.frames.last().is_some_and(|f| f.whole.contains(&p[0]))
                }
                Some(p) => whole_request(&p),
                None => false,
            };
            if from_query && !whole_query {
                self.push(MistakeKind::NosqlFilterFromQueryField, prop.span, steps);
            }
        }
    }
}

impl<'a> Visit<'a> for MistakeVisitor<'_, '_> {
    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        self.namer.method(it);
        let validated = it.decorators.iter().any(|d| {
            let callee = match &d.expression {
                Expression::CallExpression(c) => &c.callee,
                e => e,
            };
            member_path(callee)
                .and_then(|p| p.last().cloned())
                .is_some_and(|n| lc(&n).contains("validat"))
        });
        if validated {
            self.validated_fns.insert(it.value.span.start);
        }
        walk::walk_method_definition(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        self.namer.property(it);
        if let Some(k) = it.key.static_name() {
            // { token: Math.random() }
            if is_random_token_name(&k) && contains_weak_random(&it.value) {
                self.push(MistakeKind::WeakRandomToken, it.span, vec![]);
            }
        }
        walk::walk_object_property(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        self.namer.function(it);
        self.enter(it.span, &it.params);
        if let Some(body) = &it.body {
            self.visit_function_body(body);
        }
        self.leave();
        let _ = flags;
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        self.enter(it.span, &it.params);
        // inherit the parent's request locals (closures see them)
        let parent: Vec<(String, (u32, String))> = self
            .frames
            .iter()
            .rev()
            .nth(1)
            .map(|f| {
                f.tainted
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        self.frame().tainted.extend(parent);
        self.visit_arrow_function_body(&it.body);
        self.leave();
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        self.namer.declarator(it);
        if let Some(init) = &it.init {
            let inner = init.get_inner_expression();
            let mut names = Vec::new();
            binding_names(&it.id, &mut names);
            // const token = ctx.get('Authorization').split(' ')[1]; const { authorization } = ctx.header
            if !matches!(
                inner,
                Expression::FunctionExpression(_)
                    | Expression::ArrowFunctionExpression(_)
                    | Expression::ClassExpression(_)
            ) && (self.bearer_read(init)
                || names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case("authorization")))
            {
                let f = self.frame();
                f.bearer_locals.extend(names.iter().cloned());
            }
            if let BindingPattern::BindingIdentifier(id) = &it.id {
                // const jwt = require('jsonwebtoken')
                if let Expression::CallExpression(c) = inner {
                    let is_req = matches!(c.callee.get_inner_expression(), Expression::Identifier(r) if r.name == "require");
                    let spec = c
                        .arguments
                        .first()
                        .and_then(|a| a.as_expression())
                        .and_then(|a| match a.get_inner_expression() {
                            Expression::StringLiteral(s) => Some(s.value.as_str().to_owned()),
                            _ => None,
                        });
                    if is_req
                        && spec
                            .as_deref()
                            .is_some_and(|s| s.contains("jsonwebtoken") || s.contains("jwt"))
                    {
                        self.jwt_names.insert(id.name.as_str().to_owned());
                    }
                }
                if is_random_token_name(&id.name) && contains_weak_random(init) {
                    self.push(MistakeKind::WeakRandomToken, it.span, vec![]);
                }
            }
            let converted = matches!(inner, Expression::CallExpression(c)
                if matches!(c.callee.get_inner_expression(), Expression::Identifier(f)
                    if matches!(f.name.as_str(), "String" | "Number" | "parseInt" | "parseFloat" | "Boolean")))
                || self.server_result(inner);
            if let Some(steps) = self.taint_of(init).filter(|_| !converted) {
                // each name keeps the first step (where the request data came from); this
                // declaration is that step only when nothing came before it
                let first = match steps.into_iter().next() {
                    Some(first) => first,
                    None => (
                        self.at.line_col(it.span.start).0,
                        self.at.snippet(it.span.start, it.span.end),
                    ),
                };
                for n in &names {
                    self.frame().tainted.insert(n.clone(), first.clone());
                }
            }
            self.note_binding(&it.id, init, &names, it.span);
            self.note_param_locals(&names, init, true);
            self.note_verification(inner, &names);
            // const expected = crypto.createHmac(...).digest('hex'); const { secret } = this.config
            let mut r = Reads::default();
            r.visit_expression(init);
            // the snippet (whitespace folded, 80 characters) holds `.digest(` or `createHmac(`
            // only when the source does hold `digest` or `createHmac`: no snippet otherwise
            let raw = self
                .at
                .text
                .get(init.span().start as usize..init.span().end as usize)
                .unwrap_or_default();
            let named = raw.contains("digest") || raw.contains("createHmac");
            let text = if named {
                self.at.snippet(init.span().start, init.span().end)
            } else {
                String::new()
            };
            let mac_src = text.contains(".digest(")
                || text.contains("createHmac(")
                || r.paths.iter().any(|p| {
                    p.last()
                        .is_some_and(|l| matches!(*l, "digest" | "createHmac"))
                        || (p.contains(&"config") && p.last().is_some_and(|l| is_mac_name(l)))
                });
            if mac_src {
                for n in &names {
                    self.frame().secrets.insert(n.clone());
                }
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        self.body_string(it);
        // url = ctx.origin + '/x'; url += ctx.host
        if let AssignmentTarget::AssignmentTargetIdentifier(id) = &it.left {
            if let Some(src) = self.host_taint_of(&it.right) {
                self.frame()
                    .host_tainted
                    .insert(id.name.as_str().to_owned(), src);
            }
            let replace = it.operator == AssignmentOperator::Assign;
            self.note_param_locals(&[id.name.as_str().to_owned()], &it.right, replace);
        }
        self.namer.assignment(it);
        if let AssignmentTarget::StaticMemberExpression(m) = &it.left {
            if is_random_token_name(&m.property.name) && contains_weak_random(&it.right) {
                self.push(MistakeKind::WeakRandomToken, it.span, vec![]);
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_return_statement(&mut self, it: &ReturnStatement<'a>) {
        // (a weak random value is rare in a return: looked for first)
        if it
            .argument
            .as_ref()
            .is_some_and(|a| contains_weak_random(a))
        {
            let fname = self
                .frames
                .last()
                .map(|f| f.name.clone())
                .unwrap_or_default();
            let token_fn = {
                let n = lc(&fname);
                is_secret_name(&fname)
                    || [
                        "reset",
                        "invite",
                        "nonce",
                        "otp",
                        "randomcode",
                        "gencode",
                        "createcode",
                        "issue",
                    ]
                    .iter()
                    .any(|w| n.contains(w))
            };
            if token_fn {
                self.push(MistakeKind::WeakRandomToken, it.span, vec![]);
            }
        }
        walk::walk_return_statement(self, it);
    }

    fn visit_binary_expression(&mut self, it: &BinaryExpression<'a>) {
        if matches!(
            it.operator,
            BinaryOperator::StrictEquality
                | BinaryOperator::StrictInequality
                | BinaryOperator::Equality
                | BinaryOperator::Inequality
        ) {
            let trivial = |e: &Expression<'_>| match e.get_inner_expression() {
                Expression::StringLiteral(_)
                | Expression::NumericLiteral(_)
                | Expression::NullLiteral(_)
                | Expression::BooleanLiteral(_)
                | Expression::UnaryExpression(_) => true,
                Expression::Identifier(i) => i.name == "undefined",
                Expression::StaticMemberExpression(m) => {
                    matches!(m.property.name.as_str(), "length" | "size")
                }
                _ => false,
            };
            let secrets = self
                .frames
                .last()
                .map(|f| f.secrets.clone())
                .unwrap_or_default();
            let is_secret_side = |e: &Expression<'_>| match member_path(e) {
                Some(p) if p.len() == 1 => secrets.contains(&p[0]) || is_mac_name(&p[0]),
                Some(p) => {
                    (p.iter().any(|s| s == "config" || s == "env")
                        && p.last().is_some_and(|l| is_mac_name(l)))
                        || p.last().is_some_and(|l| {
                            let n = lc(l);
                            n.contains("signature")
                                || n.contains("hmac")
                                || n.contains("apikey")
                                || n.contains("secret")
                        })
                }
                None => false,
            };
            // the other side must be what an attacker sends (request data, or a value handed to
            // this function to check): comparing two server-side values leaks nothing to time
            let params = self
                .frames
                .last()
                .map(|f| f.params.clone())
                .unwrap_or_default();
            let attacker_side = |e: &Expression<'_>| {
                self.taint_of(e).is_some()
                    || matches!(e.get_inner_expression(), Expression::Identifier(i) if params.contains(i.name.as_str()))
            };
            // a token whose signature the function verified, compared only where the test of an
            // enclosing `if` reads the verification's result: an attacker reaches the comparison
            // only with a token the server signed (stuer-server: `const { email } =
            // checkToken(auth_token); if (email) { … if (auth_token === stored) … }`)
            let verified_first = |e: &Expression<'_>| {
                self.verified_guard.iter().any(|g| *g)
                    && matches!(e.get_inner_expression(), Expression::Identifier(i)
                        if self.frames.last().is_some_and(|f| f.verified_tokens.contains(i.name.as_str())))
            };
            let hit = ((is_secret_side(&it.left) && attacker_side(&it.right))
                || (is_secret_side(&it.right) && attacker_side(&it.left)))
                && !verified_first(&it.left)
                && !verified_first(&it.right);
            if !trivial(&it.left) && !trivial(&it.right) && hit {
                self.push(MistakeKind::SecretComparedNonConstantTime, it.span, vec![]);
            }
        }
        walk::walk_binary_expression(self, it);
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        self.visit_expression(&it.test);
        self.guarded.push(allow_listed(&it.test));
        let verified = self.reads_verified(&it.test);
        self.verified_guard.push(verified);
        self.visit_statement(&it.consequent);
        self.verified_guard.pop();
        self.guarded.pop();
        if let Some(a) = &it.alternate {
            self.visit_statement(a);
        }
    }

    fn visit_conditional_expression(&mut self, it: &ConditionalExpression<'a>) {
        self.visit_expression(&it.test);
        self.guarded.push(allow_listed(&it.test));
        self.visit_expression(&it.consequent);
        self.guarded.pop();
        self.visit_expression(&it.alternate);
    }

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        if it.source.value == "koa-qs" {
            self.push(MistakeKind::NestedQueryParser, it.span, vec![]);
        }
        walk::walk_import_declaration(self, it);
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        if let Some(steps) = self.taint_of(&it.source) {
            self.push(MistakeKind::ModuleFromRequest, it.span, steps);
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_computed_member_expression(&mut self, it: &ComputedMemberExpression<'a>) {
        // ctx.model[x], app.model[x], ctx.service[x], this[x], service[x]
        if let Some(obj) = member_path(&it.object) {
            let s: Vec<&str> = obj.iter().map(String::as_str).collect();
            let dispatch = matches!(
                s.as_slice(),
                ["this"]
                    | ["ctx" | "app", "model" | "service" | "controller"]
                    | ["this", "ctx" | "app", "model" | "service" | "controller"]
                    | ["this", "service" | "model"]
                    | ["service" | "model" | "services" | "models"]
            );
            let literal = matches!(
                it.expression.get_inner_expression(),
                Expression::StringLiteral(_) | Expression::NumericLiteral(_)
            );
            if dispatch && !literal {
                if let Some(steps) = self.taint_of(&it.expression) {
                    self.push(MistakeKind::DynamicDispatchFromRequest, it.span, steps);
                }
            }
        }
        walk::walk_computed_member_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Expression::Identifier(id) = it.callee.get_inner_expression() {
            if id.name == "require" {
                if let Some(Expression::StringLiteral(spec)) = it
                    .arguments
                    .first()
                    .and_then(|a| a.as_expression())
                    .map(|a| a.get_inner_expression())
                {
                    if spec.value == "koa-qs" {
                        self.push(MistakeKind::NestedQueryParser, it.span, vec![]);
                    }
                }
                if let Some(a) = it.arguments.first().and_then(|a| a.as_expression()) {
                    if let Some(steps) = self.taint_of(a) {
                        self.push(MistakeKind::ModuleFromRequest, it.span, steps);
                    }
                }
            }
            if matches!(id.name.as_str(), "jwtDecode" | "jwt_decode") {
                let (line, column) = self.at.line_col(it.span.start);
                let what = self.at.snippet(it.span.start, it.span.end);
                let function = self.frame().name.clone();
                let bearer = self.bearer_arg(it);
                self.frame().decodes.push(Mistake {
                    kind: MistakeKind::JwtDecodeTrusted,
                    function,
                    line,
                    column,
                    what,
                    steps: vec![],
                    bearer,
                });
            }
        }
        // borrowed from the AST: this runs for every call
        if let Some(p) = member_path_ref(&it.callee) {
            let last = p.last().copied().unwrap_or("");
            if last == "validate" && p.len() >= 2 {
                self.frame().validates = true;
            }
            self.nosql_filter(&p, it);
            self.host_sink(&p, it);
            self.host_service_call(&p, it);
            // get query() { return qs.parse(this.querystring) } in app/extend/request.js
            if p.len() == 2 && p[0] == "qs" && last == "parse" && self.frame().name == "query" {
                self.push(MistakeKind::NestedQueryParser, it.span, vec![]);
            }
            // ctx.set('Content-Type', ...), ctx.set({ 'Content-Type': ... }), ctx.attachment()
            if matches!(last, "set" | "attachment" | "setHeader") {
                let text = lc(&self.at.snippet(it.span.start, it.span.end));
                if last == "attachment" || text.contains("content-type") {
                    self.frame().sets_type = true;
                }
            }
            if last == "safeCurl" {
                self.push(MistakeKind::SafeCurlCall, it.span, vec![]);
            }
            if self.is_jwt_callee(&p) {
                match last {
                    "verify" => {
                        self.frame().calls_verify = true;
                        // no `algorithms` with a key that may be public: algorithm confusion
                        let key_public = it
                            .arguments
                            .get(1)
                            .and_then(|a| a.as_expression())
                            .is_some_and(|k| self.public_key(k));
                        let pinned = match it.arguments.get(2).and_then(|a| a.as_expression()) {
                            None => false,
                            Some(o) => match o.get_inner_expression() {
                                Expression::ArrowFunctionExpression(_)
                                | Expression::FunctionExpression(_) => false,
                                e => object_keys(e).is_none_or(|k| {
                                    k.iter().any(|k| k == "algorithms" || k == "algorithm")
                                }),
                            },
                        };
                        if key_public && !pinned {
                            self.push(MistakeKind::JwtVerifyWithoutAlgorithms, it.span, vec![]);
                        }
                        if ignores_expiration(&it.arguments) {
                            let (line, _) = self.at.line_col(it.span.start);
                            let what = self.at.snippet(it.span.start, it.span.end);
                            self.frame().expired_accepted = Some((line, what));
                        }
                    }
                    "sign" => {
                        // a new token from an expired one, or from an unsigned cookie value
                        let from_cookie = it
                            .arguments
                            .first()
                            .and_then(|a| a.as_expression())
                            .and_then(|a| {
                                let mut r = Reads::default();
                                r.visit_expression(a);
                                let f = self.frames.last()?;
                                r.idents
                                    .iter()
                                    .find_map(|i| f.unsigned_cookies.get(*i).cloned())
                            });
                        let expired = self.frames.last().and_then(|f| f.expired_accepted.clone());
                        if let Some(src) = from_cookie.or(expired) {
                            self.push(
                                MistakeKind::TokenRefreshFromUnsignedValue,
                                it.span,
                                vec![src],
                            );
                        }
                    }
                    "decode" => {
                        let (line, column) = self.at.line_col(it.span.start);
                        let what = self.at.snippet(it.span.start, it.span.end);
                        let function = self.frame().name.clone();
                        let bearer = self.bearer_arg(it);
                        self.frame().decodes.push(Mistake {
                            kind: MistakeKind::JwtDecodeTrusted,
                            function,
                            line,
                            column,
                            what,
                            steps: vec![],
                            bearer,
                        });
                    }
                    _ => {}
                }
                if matches!(last, "sign" | "verify") {
                    if let Some(Expression::StringLiteral(s)) = it
                        .arguments
                        .get(1)
                        .and_then(|a| a.as_expression())
                        .map(|e| e.get_inner_expression())
                    {
                        if !s.value.is_empty() {
                            self.push(MistakeKind::JwtSecretHardCoded, it.span, vec![]);
                        }
                    }
                    let none = it
                        .arguments
                        .iter()
                        .filter_map(|a| a.as_expression())
                        .any(|a| {
                            let Expression::ObjectExpression(o) = a.get_inner_expression() else {
                                return false;
                            };
                            o.properties.iter().any(|p| match p {
                                ObjectPropertyKind::ObjectProperty(p) => {
                                    let k = p.key.static_name().unwrap_or_default();
                                    (k == "algorithms" || k == "algorithm") && {
                                        let text = self
                                            .at
                                            .snippet(p.value.span().start, p.value.span().end);
                                        lc(&text).contains("'none'")
                                            || lc(&text).contains("\"none\"")
                                    }
                                }
                                _ => false,
                            })
                        });
                    if none {
                        self.push(MistakeKind::JwtAlgorithmNone, it.span, vec![]);
                    }
                }
            }
        }
        walk::walk_call_expression(self, it);
    }
}
