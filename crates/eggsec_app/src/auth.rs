//! The auth model: which middleware, decorator or handler check protects each route.
//!
//! A route *requires authentication* when something on its way rejects a request that is not
//! authenticated or not allowed:
//! - a middleware in its chain (global after `match`/`ignore`, `router.use`, namespace, route,
//!   tegg `@Middleware(...)` on the class or the method) whose code rejects — throws 401/403,
//!   sets `ctx.status = 401`, or leaves without `await next()` when the user is missing (see
//!   [`eggsec_js::auth`]). A middleware whose code only loads the user and always calls `next()`
//!   is *pass-through* and protects nothing. A middleware eggsec cannot read (a plugin's
//!   `app.jwt`, passport) counts by its name (`auth`, `jwt`, `passport`, `login`...).
//! - a decorator on the handler whose code rejects (`@checkPermission(...)`), followed through
//!   the import to its file;
//! - a check inside the handler: `ctx.throw(401)`, `if (!ctx.session.user) return ...`,
//!   `await this.userRoleManager.requiredAuthorizedUser(ctx)`,
//!   `if (!await this.requiresPermissions('x')) return;`, a local method that does so.
//!
//! Users name their own protectors in `eggsec.toml` ([`AuthOptions`]): middleware that reject
//! (when eggsec cannot see it), guard functions or decorators, and middleware that only load the
//! user (never protectors, whatever their name).

use crate::routes::{is_auth_name, AuthStatus, CodeFile, CodeModel, MiddlewareScope, Route};
use crate::{AppModel, MiddlewareEntry, PluginState};
use eggsec_js::auth::{AuthFn, ParamRef};
use eggsec_js::SourceFacts;
use eggsec_js::Value;
use foldhash::{HashMap, HashMapExt};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The user's names for their protectors (`eggsec.toml`, options of
/// `state-changing-route-without-auth`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthOptions {
    /// Middleware that reject unauthenticated requests (`adminRequired`, `app.jwt`).
    pub middleware: Vec<String>,
    /// Guard functions, methods or decorators that reject when called in a handler
    /// (`requiredAuthorizedUser`, `userRoleManager.requiredAuthorizedUser`, `checkPermission`).
    pub guards: Vec<String>,
    /// Middleware that only load the user and let anonymous requests through.
    pub pass_through: Vec<String>,
}

/// What protects a route.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Protector {
    /// `middleware`, `decorator`, `guard`, `handler`.
    pub kind: &'static str,
    /// The middleware, decorator or guard name; the handler for a check in it.
    pub name: String,
    /// Where it rejects (app-relative file and line), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// How it rejects (`ctx.throw(401)`), or why it counts (`named in eggsec.toml`).
    pub why: String,
}

impl Protector {
    /// `middleware adminRequired (app/middleware/admin_required.js:5: ctx.throw(403))`.
    pub fn label(&self) -> String {
        match &self.at {
            Some(at) => format!("{} {} ({at}: {})", self.kind, self.name, self.why),
            None => format!("{} {} ({})", self.kind, self.name, self.why),
        }
    }
}

/// The verdict on one route.
#[derive(Clone, Debug, PartialEq)]
pub struct Protection {
    pub auth: AuthStatus,
    pub by: Option<Protector>,
    /// Pass-through middleware seen on the way (they load the user but reject nothing).
    pub pass_through: Vec<String>,
    /// A middleware that rejects other requests lets this route through by its own list of
    /// paths (`if (whiteList.includes(ctx.path)) return next();`): the route is public on
    /// purpose. Why, with the middleware's file and line.
    pub exempt: Option<String>,
}

/// Facts of files outside the code model (plugin middleware), parsed once, with only what
/// the auth model reads ([`eggsec_js::auth_facts`]).
#[derive(Default)]
pub struct FactsCache {
    /// Every path asked for, by its bytes: the code model's file for it, or the facts parsed
    /// for it (`None`: it does not parse). A route's middleware are asked for once per route,
    /// so a lookup hashes bytes, not path components.
    seen: Mutex<HashMap<OsString, Option<Known>>>,
    /// The code model's files by absolute path (built on first use).
    by_path: OnceLock<HashMap<PathBuf, usize>>,
}

#[derive(Clone)]
enum Known {
    Code(usize),
    Parsed(Arc<SourceFacts>),
}

/// A file's facts: the code model's own, or parsed once for the cache (never copied).
enum Facts<'a> {
    Code(&'a SourceFacts),
    Parsed(Arc<SourceFacts>),
}

impl std::ops::Deref for Facts<'_> {
    type Target = SourceFacts;
    fn deref(&self) -> &SourceFacts {
        match self {
            Facts::Code(f) => f,
            Facts::Parsed(f) => f,
        }
    }
}

impl FactsCache {
    fn get<'c>(&self, code: &'c CodeModel, path: &Path) -> Option<Facts<'c>> {
        let cached = self.seen.lock().ok()?.get(path.as_os_str()).cloned();
        let known = match cached {
            Some(known) => known,
            None => {
                // first time for these bytes: the code model's file (paths compared as
                // paths), else parsed here — outside the lock, so that routes judged on other
                // threads go on meanwhile (two threads may parse the same file once each: the
                // first answer is kept, and both answers are the same)
                let by_path = self.by_path.get_or_init(|| {
                    let mut m = HashMap::new();
                    for (i, f) in code.files.iter().enumerate() {
                        m.entry(f.abs.clone()).or_insert(i);
                    }
                    m
                });
                let known = match by_path.get(path) {
                    Some(&i) => Some(Known::Code(i)),
                    None => eggsec_js::auth_facts(path)
                        .ok()
                        .map(|f| Known::Parsed(Arc::new(f))),
                };
                self.seen
                    .lock()
                    .ok()?
                    .entry(path.as_os_str().to_owned())
                    .or_insert(known)
                    .clone()
            }
        };
        Some(match known? {
            Known::Code(i) => Facts::Code(&code.files[i].facts),
            Known::Parsed(f) => Facts::Parsed(f),
        })
    }
}

/// Whether `name` is one of `list`, compared on the whole dotted name or its last part
/// (`userRoleManager.requiredAuthorizedUser` matches `requiredAuthorizedUser`).
fn named_in(list: &[String], name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    list.iter().any(|n| {
        let n_last = n.rsplit('.').next().unwrap_or(n);
        n == name || n_last == last
    })
}

/// The first rejection of the functions in `facts` (the named export first, else any).
fn rejection_in<'f>(facts: &'f SourceFacts, export: Option<&str>) -> Option<&'f AuthFn> {
    if let Some(e) = export.filter(|e| *e != "default" && *e != "*") {
        if let Some(f) = facts.auth.iter().find(|f| f.name == e && f.rejects()) {
            return Some(f);
        }
        if facts.auth.iter().any(|f| f.name == e) {
            // the named export is there and does not reject: a class body's methods may
            if let Some(f) = facts
                .auth
                .iter()
                .find(|f| f.class.as_deref() == Some(e) && f.rejects())
            {
                return Some(f);
            }
            return None;
        }
    }
    facts.auth.iter().find(|f| f.rejects())
}

/// The functions of `facts` that stand for `export` (the export itself and, for a class, its
/// methods); every function when the export is the default one or not found.
fn export_fns<'f>(facts: &'f SourceFacts, export: Option<&str>) -> Vec<&'f AuthFn> {
    if let Some(e) = export.filter(|e| *e != "default" && *e != "*") {
        let named: Vec<&AuthFn> = facts
            .auth
            .iter()
            .filter(|f| f.name == e || f.class.as_deref() == Some(e))
            .collect();
        if !named.is_empty() {
            return named;
        }
    }
    facts.auth.iter().collect()
}

/// One hop into another file: a function of `facts` (the export named, else any) that calls,
/// outside `try`, an imported function or a method of an imported class (by the receiver's
/// declared type: `const authToken: IAuthToken = ...; await authToken.signToken()`) whose code
/// rejects. Returns where it rejects and why.
fn via_rejection(
    root: &Path,
    from: &Path,
    facts: &SourceFacts,
    export: Option<&str>,
    cache: &FactsCache,
    code: &CodeModel,
) -> Option<(String, String)> {
    for f in export_fns(facts, export) {
        if let Some(found) = via_of(root, from, facts, f, cache, code) {
            return Some(found);
        }
    }
    None
}

/// [`via_rejection`] for one function.
fn via_of(
    root: &Path,
    from: &Path,
    facts: &SourceFacts,
    f: &AuthFn,
    cache: &FactsCache,
    code: &CodeModel,
) -> Option<(String, String)> {
    for v in &f.via {
        let (recv, method) = match v.split_once('.') {
            Some((r, m)) => (r, Some(m)),
            None => (v.as_str(), None),
        };
        let Some((imp, path, target)) = imported(root, from, facts, recv, cache, code) else {
            continue;
        };
        let g = match method {
            Some(m) => target.auth.iter().find(|g| g.name == m && g.rejects()),
            None if imp.export != "default" && imp.export != "*" => target
                .auth
                .iter()
                .find(|g| g.name == imp.export && g.rejects()),
            None => rejection_in(&target, None),
        };
        if let Some(g) = g {
            return Some((
                format!(
                    "{}:{}",
                    eggsec_fs::rel_string(root, &path),
                    g.rejections[0].line
                ),
                format!("via {v}(): {}", g.rejections[0].what),
            ));
        }
    }
    None
}

/// What the file at `from` imports as `local`: the binding, the file it resolves to (not
/// `from` itself) and that file's facts.
fn imported<'f, 'c>(
    root: &Path,
    from: &Path,
    facts: &'f SourceFacts,
    local: &str,
    cache: &FactsCache,
    code: &'c CodeModel,
) -> Option<(&'f eggsec_js::auth::ImportBinding, PathBuf, Facts<'c>)> {
    let imp = facts.imports.iter().find(|i| i.local == local)?;
    let path = resolve_import(root, from, &imp.specifier).filter(|p| p != from)?;
    let target = cache.get(code, &path)?;
    Some((imp, path, target))
}

/// Node-style resolution of an import specifier from a file, plus `app/...` paths from the
/// app root (TypeScript `baseUrl` setups).
fn resolve_import(root: &Path, from: &Path, spec: &str) -> Option<PathBuf> {
    let base = if spec.starts_with('.') {
        from.parent()?.join(spec)
    } else if spec.starts_with("app/") || spec.starts_with("config/") {
        root.join(spec)
    } else {
        return None;
    };
    let candidates = [
        base.clone(),
        base.with_extension("ts"),
        base.with_extension("js"),
        base.join("index.ts"),
        base.join("index.js"),
    ];
    let mut with_ext = Vec::new();
    for ext in ["ts", "js", "mjs", "cjs"] {
        with_ext.push(PathBuf::from(format!("{}.{ext}", base.display())));
    }
    candidates
        .into_iter()
        .chain(with_ext)
        .find(|p| eggsec_fs::is_file(p))
}

/// What the auth model reads from the app model.
pub struct AuthEnv<'a> {
    pub root: &'a Path,
    pub code: &'a CodeModel,
    pub middleware: &'a [MiddlewareEntry],
    pub config: &'a Value,
    pub plugins: &'a [PluginState],
}

impl<'a> AuthEnv<'a> {
    pub fn of(app: &'a AppModel) -> Self {
        AuthEnv {
            root: &app.root,
            code: &app.code,
            middleware: &app.middleware,
            config: &app.config,
            plugins: &app.plugins,
        }
    }
}

/// Judges every route of the app with the user's options and stores the verdict in it.
pub fn apply(app: &mut AppModel, opts: &AuthOptions) {
    let cache = FactsCache::default();
    let mut routes = std::mem::take(&mut app.routes);
    {
        let env = AuthEnv::of(app);
        for r in routes.iter_mut() {
            let p = judge(&env, r, opts, &cache);
            r.auth = p.auth;
            r.protected_by = p.by;
            r.public_by = p.exempt;
        }
    }
    app.routes = routes;
}

/// egg-jwt (the plugin `jwt` from a package of that name) is enabled.
fn egg_jwt_on(plugins: &[PluginState]) -> bool {
    plugins.iter().any(|p| {
        p.enabled && p.name == "jwt" && p.package.as_deref().is_none_or(|pk| pk.contains("jwt"))
    })
}

/// egg-jwt with `jwt.enable: true` puts its `jwt` middleware (koa-jwt: 401 without a valid
/// token) in front of the app middleware, filtered by `jwt.match`/`jwt.ignore`.
fn egg_jwt_global(env: &AuthEnv<'_>, r: &Route) -> Option<Result<bool, String>> {
    let on = egg_jwt_on(env.plugins);
    let cfg = env.config.get("jwt")?;
    if !on || cfg.get("enable").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    if env.middleware.iter().any(|m| m.name == "jwt") {
        return None; // already in the chain
    }
    Some(crate::routes::applies(Some(cfg), &r.path, r.regex_path))
}

/// Whether egg-jwt's own middleware (koa-jwt) verified the request's bearer token before the
/// route's handler runs: egg-jwt is enabled, reads the token from the `Authorization` header (no
/// `jwt.getToken`, no `jwt.cookie`), and what eggsec found protecting the route is that
/// middleware — the global one (`jwt.enable: true`, its `match`/`ignore` covering the path) or
/// `app.jwt` in the route's chain — not an app middleware that happens to be named `jwt`.
pub fn verified_by_egg_jwt(app: &AppModel, r: &Route) -> bool {
    let on = egg_jwt_on(&app.plugins);
    let cfg = app.config.get("jwt");
    let reads_header = cfg.is_none_or(|c| {
        ["getToken", "cookie"]
            .iter()
            .all(|k| c.get(k).is_none_or(|v| v.is_undefined()))
    });
    let Some(p) = r.protected_by.as_ref().filter(|p| p.kind == "middleware") else {
        return false;
    };
    let own_jwt = || {
        app.code.files.iter().any(|f| {
            let stem = f.rel.rsplit_once('.').map_or(f.rel.as_str(), |(s, _)| s);
            stem.ends_with("middleware/jwt")
        })
    };
    on && reads_header
        && r.auth == AuthStatus::Required
        && (p.name == "app.jwt" || (p.name == "jwt" && !own_jwt()))
}

/// Decides what protects one route.
pub fn judge(env: &AuthEnv<'_>, r: &Route, opts: &AuthOptions, cache: &FactsCache) -> Protection {
    let (root, code, middleware) = (env.root, env.code, env.middleware);
    let files = &code.files;
    let handler_file: Option<&CodeFile> = r.handler_file.and_then(|i| files.get(i));
    let mut pass_through = Vec::new();
    let mut exempt: Option<String> = None;
    let mut unknown: Option<Protector> = None;
    match egg_jwt_global(env, r) {
        Some(Ok(true)) if !named_in(&opts.pass_through, "jwt") => return Protection {
            auth: AuthStatus::Required,
            by: Some(Protector {
                kind: "middleware",
                name: "jwt".into(),
                at: None,
                why: "egg-jwt with `jwt.enable: true` (koa-jwt answers 401 without a valid token)"
                    .into(),
            }),
            pass_through,
            exempt,
        },
        Some(Err(why)) => {
            unknown = Some(Protector {
                kind: "middleware",
                name: "jwt".into(),
                at: None,
                why: format!("egg-jwt global middleware; {why}"),
            })
        }
        _ => {}
    }
    for m in &r.middleware {
        let name = m.name.split('(').next().unwrap_or(&m.name).trim();
        if named_in(&opts.pass_through, name) {
            pass_through.push(name.to_string());
            continue;
        }
        let verdict = if named_in(&opts.middleware, name) {
            Some(Protector {
                kind: "middleware",
                name: name.to_string(),
                at: None,
                why: "named in eggsec.toml".into(),
            })
        } else {
            match middleware_facts(
                root,
                r,
                m.scope,
                name,
                code,
                middleware,
                handler_file,
                cache,
            ) {
                Some((path, facts, export)) => match rejection_in(&facts, export.as_deref()) {
                    // a rejection under a test of the request's path covers the route only
                    // when every request to it takes that branch
                    Some(f) => {
                        let lists = crate::path_cond::Lists {
                            config: env.config,
                            middleware: name,
                            scope: m.scope,
                        };
                        let mut escape = None;
                        let covering =
                            f.rejections.iter().find(|rj| {
                                match crate::path_cond::covers(rj, &r.path, r.regex_path, &lists) {
                                    Ok(()) => true,
                                    Err(why) => {
                                        escape.get_or_insert(why);
                                        false
                                    }
                                }
                            });
                        match covering {
                            Some(rj) => Some(Protector {
                                kind: "middleware",
                                name: name.to_string(),
                                at: Some(format!(
                                    "{}:{}",
                                    eggsec_fs::rel_string(root, &path),
                                    rj.line
                                )),
                                why: rj.what.clone(),
                            }),
                            None => {
                                let escape = escape.unwrap_or(crate::path_cond::Escape {
                                    why: String::new(),
                                    listed: false,
                                });
                                let note = format!(
                                    "{name} ({}:{} {})",
                                    eggsec_fs::rel_string(root, &path),
                                    f.rejections[0].line,
                                    escape.why
                                );
                                if escape.listed {
                                    exempt.get_or_insert(note.clone());
                                }
                                pass_through.push(note);
                                None
                            }
                        }
                    }
                    None => {
                        match via_rejection(root, &path, &facts, export.as_deref(), cache, code) {
                            Some((at, why)) => Some(Protector {
                                kind: "middleware",
                                name: name.to_string(),
                                at: Some(at),
                                why,
                            }),
                            None => {
                                pass_through.push(name.to_string());
                                None
                            }
                        }
                    }
                },
                // a known plugin's middleware that lets every request go on (egg-passport's
                // `passportInitialize`, `passportSession`): its name says nothing
                None if is_auth_name(name) && known_pass_through(env, name) => {
                    pass_through.push(name.to_string());
                    None
                }
                None if is_auth_name(name) && !is_core(middleware, name) => Some(Protector {
                    kind: "middleware",
                    name: name.to_string(),
                    at: None,
                    why: "its code is not in the app; counted by its name".into(),
                }),
                None => None,
            }
        };
        if let Some(p) = verdict {
            if m.conditional.is_none() {
                return Protection {
                    auth: AuthStatus::Required,
                    by: Some(p),
                    pass_through,
                    exempt,
                };
            }
            unknown.get_or_insert(p);
        }
    }
    // the handler: its decorators, its own checks, guards it calls, local methods that reject
    let handler_fn = handler_of(code, r);
    if let Some((hf, f)) = handler_fn {
        if let Some(p) = handler_protector(root, hf, f, opts, cache, code)
            .or_else(|| callee_guard(env, hf, f, cache))
        {
            return Protection {
                auth: AuthStatus::Required,
                by: Some(p),
                pass_through,
                exempt,
            };
        }
    }
    if let Some(p) = unknown {
        return Protection {
            auth: AuthStatus::Unknown,
            by: Some(p),
            pass_through,
            exempt,
        };
    }
    match handler_fn {
        Some((_, f)) if f.reads_identity => Protection {
            auth: AuthStatus::Unknown,
            by: None,
            pass_through,
            exempt,
        },
        Some(_) => Protection {
            auth: AuthStatus::None,
            by: None,
            pass_through,
            exempt,
        },
        None if r.handler.starts_with("redirect") => Protection {
            auth: AuthStatus::None,
            by: None,
            pass_through,
            exempt,
        },
        None => Protection {
            auth: AuthStatus::Unknown,
            by: None,
            pass_through,
            exempt,
        },
    }
}

/// Whether a route's handler always throws (`POST /*` answering 404 or 501 through a service
/// that only throws): it changes nothing, whatever protects it. Followed through what the
/// handler only calls — a method of its class, a function of its file, an imported function or
/// class (`this.homeService.misc(path)` with `homeService: HomeService`) — three calls deep.
pub fn handler_always_throws(env: &AuthEnv<'_>, r: &Route, cache: &FactsCache) -> bool {
    handler_of(env.code, r)
        .is_some_and(|(hf, f)| ends_in_throw(env, &hf.abs, &hf.facts, f, cache, 3))
}

/// A route's handler: its file and its authentication facts (the function at the flow facts'
/// position for the handler's name, else the first of that name).
fn handler_of<'c>(code: &'c CodeModel, r: &Route) -> Option<(&'c CodeFile, &'c AuthFn)> {
    let hf = r.handler_file.and_then(|i| code.files.get(i))?;
    let name = r.handler_function.as_deref()?;
    let flow_fn = hf.facts.functions.iter().find(|f| f.name == name);
    flow_fn
        .and_then(|ff| {
            hf.facts
                .auth
                .iter()
                .find(|a| a.line == ff.line && a.column == ff.column)
        })
        .or_else(|| hf.facts.auth.iter().find(|a| a.name == name))
        .map(|a| (hf, a))
}

/// [`handler_always_throws`] for one function of the file at `from`.
fn ends_in_throw(
    env: &AuthEnv<'_>,
    from: &Path,
    facts: &SourceFacts,
    f: &AuthFn,
    cache: &FactsCache,
    depth: u8,
) -> bool {
    if f.always_throws {
        return true;
    }
    let (Some(v), Some(depth)) = (f.throws_via.as_deref(), depth.checked_sub(1)) else {
        return false;
    };
    with_callee(
        env,
        from,
        facts,
        f.class.as_deref(),
        v,
        cache,
        &mut |p, t, g| ends_in_throw(env, p, t, g, cache, depth),
    )
}

/// Whether a route's handler only reads (`POST /post/getPosts` that runs `Post.find(…)`
/// through a service): it changes nothing, so it is not a state-changing route. Followed through
/// the services, methods and functions it calls, four calls deep; a callee that cannot be found
/// may change anything.
pub fn handler_only_reads(env: &AuthEnv<'_>, r: &Route, cache: &FactsCache) -> bool {
    handler_of(env.code, r).is_some_and(|(hf, f)| {
        let mut seen = Vec::new();
        only_reads(env, &hf.abs, &hf.facts, f, &[], None, cache, 4, &mut seen)
    })
}

/// Whether a route's handler signs a visitor up: it calls something that creates a user
/// ([`eggsec_js::auth::Account`]), a password is among its or that callee's fields, and
/// neither takes a role or other privilege from its input (`{ username, email, password }`
/// into `ctx.service.user.create`; not `Users.create({ account, password, purviewId: purview })`).
pub fn handler_signs_up(env: &AuthEnv<'_>, r: &Route, cache: &FactsCache) -> bool {
    handler_of(env.code, r).is_some_and(|(hf, f)| {
        let a = &f.account;
        if !a.creates_user {
            return false;
        }
        let (mut password, mut privilege) = (a.password, a.privilege);
        for v in &a.creates_via {
            handler_callee(env, hf, f, v, cache, &mut |_, _, g| {
                password |= g.account.password;
                privilege |= g.account.privilege;
                true
            });
        }
        password && !privilege
    })
}

/// [`handler_only_reads`] for one function of the file at `from`, called with the caller's
/// identity in the parameters `given` (its writes keyed by one of them change nothing an
/// anonymous request could abuse: [`AuthFn::scoped_writes`]); `seen` holds the functions on the
/// way (a recursive call is judged by the rest of its caller). `passed`: how many arguments
/// every call that led here passes (`None` for the handler egg calls): a call of a parameter
/// past them runs nothing ([`AuthFn::via_arity`]).
#[allow(clippy::too_many_arguments)]
fn only_reads(
    env: &AuthEnv<'_>,
    from: &Path,
    facts: &SourceFacts,
    f: &AuthFn,
    given: &[ParamRef],
    passed: Option<(u32, u32)>,
    cache: &FactsCache,
    depth: u8,
    seen: &mut Vec<(PathBuf, u32, u32)>,
) -> bool {
    if !f.reads_only {
        return false;
    }
    if !f
        .scoped_writes
        .iter()
        .all(|w| w.iter().any(|r| given.contains(r)))
    {
        return false;
    }
    if f.reads_via.is_empty() {
        return true;
    }
    let Some(depth) = depth.checked_sub(1) else {
        return false;
    };
    f.reads_via.iter().all(|v| {
        if let Some(i) = v.strip_prefix(eggsec_js::auth::PARAM_CALL) {
            // the caller's callback: nothing when the caller passes none there; a function the
            // caller wrote inline was judged with the caller
            return i.parse::<u32>().is_ok_and(|i| {
                passed.is_some_and(|(n, inline)| i >= n || (i < 32 && inline & (1 << i) != 0))
            });
        }
        let arity = f
            .via_arity
            .iter()
            .find(|(n, _, _)| n == v)
            .map(|(_, a, m)| (*a, *m));
        let given = f
            .identity_args
            .iter()
            .find(|(n, _)| n == v)
            .map_or(&[][..], |(_, r)| r.as_slice());
        with_callee(
            env,
            from,
            facts,
            f.class.as_deref(),
            v,
            cache,
            &mut |p, t, g| {
                let key = (p.to_path_buf(), g.line, g.column);
                if seen.contains(&key) {
                    return true;
                }
                seen.push(key);
                let ok = only_reads(env, p, t, g, given, arity, cache, depth, seen);
                seen.pop();
                ok
            },
        )
    })
}

/// [`with_callee`] for a call `v` made by the handler `f` of file `hf`.
fn handler_callee(
    env: &AuthEnv<'_>,
    hf: &CodeFile,
    f: &AuthFn,
    v: &str,
    cache: &FactsCache,
    k: &mut dyn FnMut(&Path, &SourceFacts, &AuthFn) -> bool,
) -> bool {
    with_callee(env, &hf.abs, &hf.facts, f.class.as_deref(), v, cache, k)
}

/// Finds the function a call lands in, named as [`AuthFn::via`] names calls — `this.m` (a
/// method of `class`), `Type.m` (a method of an imported class), `f` (a function of the file or
/// an imported one), `ctx.service.<dotted>.<m>` (a method of an egg service) — and gives it to
/// `k` with its file and that file's facts; `false` when it is not found.
fn with_callee(
    env: &AuthEnv<'_>,
    from: &Path,
    facts: &SourceFacts,
    class: Option<&str>,
    v: &str,
    cache: &FactsCache,
    k: &mut dyn FnMut(&Path, &SourceFacts, &AuthFn) -> bool,
) -> bool {
    let local = |name: &str, class: Option<&str>| {
        facts
            .auth
            .iter()
            .find(|g| g.name == name && g.class.as_deref() == class)
    };
    if let Some(rest) = v.strip_prefix("ctx.service.") {
        let Some((dotted, m)) = rest.rsplit_once('.') else {
            return false;
        };
        let Some(sf) = env
            .code
            .service_file(dotted)
            .and_then(|i| env.code.files.get(i))
        else {
            return false;
        };
        let g = sf
            .facts
            .auth
            .iter()
            .find(|g| g.name == m && g.class.is_some())
            .or_else(|| sf.facts.auth.iter().find(|g| g.name == m));
        return g.is_some_and(|g| k(&sf.abs, &sf.facts, g));
    }
    // a method of the app's helper (`ctx.helper.success` → `app/extend/helper.js`) or of its
    // context extension (`ctx.returnService` → `app/extend/context.js`)
    let extension = match v.strip_prefix("ctx.") {
        Some(rest) => match rest.strip_prefix("helper.") {
            Some(m) => Some(("helper", m)),
            None => (!rest.contains('.')).then_some(("context", rest)),
        },
        None => None,
    };
    if let Some((unit, m)) = extension {
        let (js, ts) = (
            format!("app/extend/{unit}.js"),
            format!("app/extend/{unit}.ts"),
        );
        let Some(ef) = env.code.files.iter().find(|f| f.rel == js || f.rel == ts) else {
            return false;
        };
        return ef
            .facts
            .auth
            .iter()
            .find(|g| g.name == m)
            .is_some_and(|g| k(&ef.abs, &ef.facts, g));
    }
    let (recv, method) = match v.split_once('.') {
        Some(("this", m)) => return local(m, class).is_some_and(|g| k(from, facts, g)),
        Some((r, m)) => (r, Some(m)),
        None => {
            if let Some(g) = local(v, None) {
                return k(from, facts, g);
            }
            (v, None)
        }
    };
    let Some((imp, path, target)) = imported(env.root, from, facts, recv, cache, env.code) else {
        // a class the import does not lead to (a TypeScript path alias, `@/module/foo`, or a
        // module's index re-exporting it): the app's one class of that name, as tegg's
        // container finds an `@Inject()` target
        let (Some(m), true) = (method, recv.starts_with(|c: char| c.is_ascii_uppercase())) else {
            return false;
        };
        let Some(cf) = env
            .code
            .class_file(recv)
            .and_then(|i| env.code.files.get(i))
        else {
            return false;
        };
        return cf
            .facts
            .auth
            .iter()
            .find(|g| g.name == m && g.class.as_deref() == Some(recv))
            .is_some_and(|g| k(&cf.abs, &cf.facts, g));
    };
    let wanted = match method {
        Some(m) => m,
        None if imp.export != "default" && imp.export != "*" => imp.export.as_str(),
        None => return false,
    };
    // a method of the imported class (by its name in that file, else of any class there), or
    // a plain function
    let found = match method {
        Some(_) => target
            .auth
            .iter()
            .find(|g| g.name == wanted && g.class.as_deref() == Some(recv))
            .or_else(|| {
                target
                    .auth
                    .iter()
                    .find(|g| g.name == wanted && g.class.is_some())
            }),
        None => target
            .auth
            .iter()
            .find(|g| g.name == wanted && g.class.is_none()),
    };
    found.is_some_and(|g| k(&path, &target, g))
}

/// Installed packages' middleware (egg-jwt wraps koa-jwt, egg-passport...) count by their name:
/// their rejection lives in code eggsec does not follow.
fn in_node_modules(p: &Path) -> bool {
    // (built once: a finder is built per `memmem::find` call, and this runs per route and
    // middleware)
    static NODE_MODULES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("node_modules"));
    // no `node_modules` in its bytes: no such component (the common case, without a walk)
    NODE_MODULES
        .find(p.as_os_str().as_encoded_bytes())
        .is_some()
        && p.components().any(|c| c.as_os_str() == "node_modules")
}

/// A middleware an enabled plugin adds that eggsec knows lets every request go on
/// (`pass_through` in `data/plugin-contributions.json`).
fn known_pass_through(env: &AuthEnv<'_>, name: &str) -> bool {
    env.plugins
        .iter()
        .filter(|p| p.enabled)
        .filter_map(crate::contributions::known)
        .any(|k| k.pass_through.iter().any(|n| n == name))
}

fn is_core(middleware: &[MiddlewareEntry], name: &str) -> bool {
    middleware
        .iter()
        .any(|m| m.name == name && matches!(m.source, crate::model::MiddlewareSource::Core { .. }))
        && !is_auth_name(name)
}

/// The file that implements a middleware of a route's chain, its facts, and the export named.
#[allow(clippy::too_many_arguments)]
fn middleware_facts<'c>(
    root: &Path,
    r: &Route,
    scope: MiddlewareScope,
    name: &str,
    code: &'c CodeModel,
    middleware: &[MiddlewareEntry],
    handler_file: Option<&'c CodeFile>,
    cache: &FactsCache,
) -> Option<(PathBuf, Facts<'c>, Option<String>)> {
    let _ = r;
    if scope == MiddlewareScope::Global {
        let entry = middleware.iter().find(|m| m.name == name)?;
        let file = entry.file.as_ref().filter(|f| !in_node_modules(f))?;
        return cache.get(code, file).map(|f| (file.clone(), f, None));
    }
    // tegg `@Middleware(AdminAccess)`: the binding imported by the controller's file
    if let Some(hf) = handler_file {
        if let Some(imp) = hf.facts.imports.iter().find(|i| i.local == name) {
            let path = resolve_import(root, &hf.abs, &imp.specifier)?;
            return cache
                .get(code, &path)
                .map(|f| (path, f, Some(imp.export.clone())));
        }
        // a middleware function declared in the controller file itself
        if hf.facts.auth.iter().any(|f| f.name == name) {
            return Some((
                hf.abs.clone(),
                Facts::Code(&hf.facts),
                Some(name.to_string()),
            ));
        }
    }
    // `app.middleware.x()` / `middleware.x` / a name: app/middleware/<x>.js
    let key = name
        .strip_prefix("app.middleware.")
        .or_else(|| name.strip_prefix("middleware."))
        .unwrap_or(name);
    let want = crate::middleware::middleware_name(key).unwrap_or_else(|| key.to_string());
    if let Some(f) = code.files.iter().find(|f| {
        f.rel
            .strip_prefix("app/middleware/")
            .and_then(|rest| rest.rsplit_once('.').map(|(a, _)| a))
            .and_then(crate::middleware::middleware_name)
            .is_some_and(|n| n == want)
    }) {
        return Some((f.abs.clone(), Facts::Code(&f.facts), None));
    }
    // `const { userRequired } = app.middlewares.auth({}, app)`: a function of that name in a
    // middleware file
    if let Some(f) = code.files.iter().find(|f| {
        f.rel.starts_with("app/middleware/") && f.facts.auth.iter().any(|a| a.name == key)
    }) {
        return Some((f.abs.clone(), Facts::Code(&f.facts), Some(key.to_string())));
    }
    // a plugin's middleware of the same name
    let entry = middleware.iter().find(|m| m.name == key)?;
    let file = entry.file.as_ref().filter(|f| !in_node_modules(f))?;
    cache.get(code, file).map(|f| (file.clone(), f, None))
}

/// A check in the code the handler calls before it changes anything: `ctx.service.user.
/// updateUserInfo(body)` whose service starts `const uid = await this.getUserIdByToken(token);
/// if (!uid) throw new MyError('login expired')`, or calls `checkLogin(token)`, before its
/// first write. One call deep, and only a rejection above the callee's first change.
fn callee_guard(
    env: &AuthEnv<'_>,
    hf: &CodeFile,
    f: &AuthFn,
    cache: &FactsCache,
) -> Option<Protector> {
    let mut found = None;
    // (a helper answers for the response — `ctx.helper.fail(403)` in an error branch — not
    // for who may call the route)
    for v in f.reads_via.iter().filter(|v| !v.starts_with("ctx.helper.")) {
        handler_callee(env, hf, f, v, cache, &mut |p, _, g| {
            let before = |line: u32| {
                (g.reads_only && g.scoped_writes.is_empty())
                    || (g.first_change > 0 && line < g.first_change)
            };
            if let Some(rj) = g
                .rejections
                .iter()
                .find(|rj| rj.when.is_empty() && before(rj.line))
            {
                found = Some(Protector {
                    kind: "guard",
                    name: v.clone(),
                    at: Some(format!(
                        "{}:{}",
                        eggsec_fs::rel_string(env.root, p),
                        rj.line
                    )),
                    why: format!("via {v}(): {}", rj.what),
                });
            }
            true
        });
        if found.is_some() {
            break;
        }
    }
    found
}

fn handler_protector(
    root: &Path,
    hf: &CodeFile,
    f: &AuthFn,
    opts: &AuthOptions,
    cache: &FactsCache,
    code: &CodeModel,
) -> Option<Protector> {
    let handler = format!(
        "{}{}",
        f.class
            .as_deref()
            .map(|c| format!("{c}."))
            .unwrap_or_default(),
        f.name
    );
    // decorators named in eggsec.toml, or whose code rejects
    for d in &f.decorators {
        if named_in(&opts.guards, d) {
            return Some(Protector {
                kind: "decorator",
                name: d.clone(),
                at: None,
                why: "named in eggsec.toml".into(),
            });
        }
        if let Some(imp) = hf.facts.imports.iter().find(|i| &i.local == d) {
            if let Some(path) = resolve_import(root, &hf.abs, &imp.specifier) {
                if let Some(facts) = cache.get(code, &path) {
                    if let Some(g) = rejection_in(&facts, Some(imp.export.as_str())) {
                        return Some(Protector {
                            kind: "decorator",
                            name: d.clone(),
                            at: Some(format!(
                                "{}:{}",
                                eggsec_fs::rel_string(root, &path),
                                g.rejections[0].line
                            )),
                            why: g.rejections[0].what.clone(),
                        });
                    }
                }
            }
        }
    }
    if let Some(rj) = f.rejections.first() {
        return Some(Protector {
            kind: "handler",
            name: handler,
            at: Some(format!("{}:{}", hf.rel, rj.line)),
            why: rj.what.clone(),
        });
    }
    for c in &f.calls {
        if named_in(&opts.guards, c) {
            return Some(Protector {
                kind: "guard",
                name: c.clone(),
                at: Some(format!("{}:{}", hf.rel, f.line)),
                why: "named in eggsec.toml".into(),
            });
        }
    }
    // `this.ensureOwner()` / `assertLogin(ctx)`: a function of the same file that rejects, or
    // a method of it behind a rejecting decorator (`@checkPermission(...) async public()`)
    for c in &f.calls {
        if c == &f.name {
            continue;
        }
        if let Some(g) = hf.facts.auth.iter().find(|g| {
            &g.name == c && !g.decorators.is_empty() && g.class == f.class && !g.rejects()
        }) {
            if let Some(mut p) = handler_protector(
                root,
                hf,
                &AuthFn {
                    calls: Vec::new(),
                    ..g.clone()
                },
                opts,
                cache,
                code,
            ) {
                p.why = format!("via {}(): {}", c, p.why);
                return Some(p);
            }
        }
        if let Some(g) = hf
            .facts
            .auth
            .iter()
            .find(|g| &g.name == c && g.rejects() && (g.class.is_none() || g.class == f.class))
        {
            return Some(Protector {
                kind: "guard",
                name: c.clone(),
                at: Some(format!("{}:{}", hf.rel, g.rejections[0].line)),
                why: g.rejections[0].what.clone(),
            });
        }
    }
    // an imported guard (`await checkAuth(ctx)`, `this.authService.mustLogin()` with
    // `authService: AuthService` imported)
    if let Some((at, why)) = via_of(root, &hf.abs, &hf.facts, f, cache, code) {
        let name = why
            .strip_prefix("via ")
            .and_then(|w| w.split_once("()"))
            .map(|(n, _)| n.to_string())
            .unwrap_or_else(|| handler.clone());
        return Some(Protector {
            kind: "guard",
            name,
            at: Some(at),
            why,
        });
    }
    None
}
