//! `MW011` `state-changing-route-without-auth`: a POST/PUT/PATCH/DELETE route that no
//! authentication middleware guards and whose handler does not check the user.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::auth::AuthOptions;
use eggsec_app::routes::AuthStatus;
use eggsec_js::Provenance;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct StateChangingRouteWithoutAuth;

static META: RuleMeta = RuleMeta {
    code: "MW011",
    name: "state-changing-route-without-auth",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::Low,
    control: "State-changing routes require authentication",
    docs: RuleDocs {
        what: r#"Lists POST, PUT, PATCH, DELETE (and `router.all`) routes that nothing on their way protects. A route is protected when something rejects a request that is not authenticated or not allowed:

- a middleware in its chain — global after `match`/`ignore`, `router.use`, egg-router-plus namespace, route, tegg `@Middleware(...)` on the class or the method — whose code rejects: `ctx.throw(401|403)`, `ctx.status = 401`, `ctx.body = { code: 401 }`, a redirect to a login page, `throw new UnauthorizedError()`, or an `if` on the user or a token that leaves without `await next()`; a JWT `verify` outside `try` (or in one whose `catch` leaves); a call, outside `try`, to a guard in another file that does so — an imported function, or a method of the receiver's declared type (`const authToken: IAuthToken = ...; await authToken.signToken()`, midway's IoC style); egg-jwt (`app.jwt`, or `jwt.enable: true` with its `match`/`ignore`); a middleware whose code eggsec cannot read counts by its name (`auth`, `jwt`, `passport`, `login`...);
- a decorator on the handler whose code rejects (`@checkPermission(...)`), followed through its import;
- a check in the handler: `if (!ctx.session.user) return ...`, `ctx.throw(401)`, `if (!ctx.isAuthenticated()) ...`, a guard call such as `await this.userRoleManager.requiredAuthorizedUser(ctx)` or `if (!await this.requiresPermissions('x')) return;`, a method of the same controller or an imported function that does so.

A check in the service or function the handler calls before it changes anything counts too, when it sits above that callee's first write (`const uid = await this.getUserIdByToken(token); if (!uid) throw …`, `await this.ctx.service.user.checkLogin(token)`; one call deep; the look-up alone is no check). A middleware that only loads the user (reads the session or verifies a token but lets anonymous requests go on to `next()`) is *pass-through*: it protects nothing, whatever its name, and the finding lists it (egg-passport's `passportInitialize` and `passportSession` are known to be, installed or not). So is one whose denials only a signed-in user can meet (`if (ctx.user && ctx.user.is_block) { ctx.status = 403; return; }`, `if (user && !user.isAdmin) ctx.throw(403)`, a check after `if (!ctx.user) return next()`): eggsec reads each `if` as an anonymous request takes it. Nor does an error handler protect anything: what a middleware sets after the request went on (the `catch` of `try { await next(); } catch (e) { ctx.status = 401; }`, the statements after a plain `await next();`, the file's own function called only from there) answers for the code downstream and stops no request. A middleware that chooses by the request's path which requests it checks protects only the routes every request of which it checks: a rejection under a test of `ctx.path`, `ctx.url`, `ctx.originalUrl`, `ctx.req.url` (or a local bound to one, or to its first characters: `const str = ctx.req.url.slice(0, 15); if (str === '/public/mirror/')` is a prefix test) — `list.includes(…)`, `set.has(…)`, `list.indexOf(…) > -1`, `=== '/x'`, `startsWith`, `indexOf(…) === 0`, `/re/.test(…)`, `list.some(p => path.startsWith(p))`, with `if (…) return next();` before the check — is tried against each route with the requests egg's router sends it: every parameter filled in, with a trailing slash (egg's router is not `strict`) and, for `ctx.url`/`ctx.originalUrl`, with a query string. The list is read where the code reads it: a literal or `const`, the middleware's options (a global middleware's `config.<name>`), `app.config`. So `if (options.authUrls.includes(ctx.url)) { …verify… }` with `authUrls: ['/users']` protects no route but `/users`, and not even that one (`/users/` and `/users?a=1` skip the check — real egg answers them); a route on the middleware's own white-list (`if (whiteList.includes(ctx.path)) return next();`) is public on purpose and is not reported (`eggsec routes`: `listed public by <middleware>`); a list or test eggsec cannot read leaves the rejection counted. A handler that reads the user without rejecting, and a protector whose `match`/`ignore` is a function eggsec cannot evaluate, are left out (`auth: unknown` in `eggsec routes`). `eggsec routes` shows what protects each route (PROTECTED BY). Authentication entry points (login, sign-up, logout, token, OAuth callbacks, verification codes, forgotten-password steps) are not reported: they cannot require the authentication they grant. A sign-up is also known by what it does, whatever it is called (`addUser`, `createByEmail`, `POST /users`): its handler calls something that creates a user (`ctx.service.user.create(...)`, `this.userService.createByEmail(body)`, `ctx.model.User.create(...)`, a method of the app's one class of that name when the import is a path alias), a password is among the fields of the handler or that callee, and neither takes a role, admin or super flag or permission from its input (`{ username, email, password }`; `role: 'normal'` is the server's choice) — but under an admin path (`/admin/users`) an account made without authentication is reported, unless the same handler is also routed outside one (the admin route is then the public sign-up). Nor is a handler that always throws before doing anything (`throw new NotFoundError()`, `ctx.throw(501)`, or only a call to a method or function that does, such as a catch-all `POST /*` whose service answers 404): it changes nothing. Nor is a handler that only reads — a `POST` search or list whose every call only reads (`Model.find(…).lean()`, `findAll`, `count`, `ctx.validate`, `JSON.stringify`, array methods, crypto's hashes and ciphers — `crypto.createHash('md5').update(s)`, a cipher's `update`: `crates/eggsec_js/data/reads.toml`) or goes to the app's own services, methods (a base class's too), helpers (`ctx.helper.success(ctx, data)` → `app/extend/helper.js`), context extensions (`ctx.returnService(p)` → `app/extend/context.js`) and functions that only read — a callee's call of its callback parameter (`if (cb) list = cb(list)`) runs what the caller passes there: nothing, or a function written inline and judged with the caller — or to a package that only computes (co-body's `json(ctx.req)`, `shortid`, `uuid`), followed four calls deep: it is not a state-changing route. Nor is one whose only writes are egg-mysql `update`/`delete` keyed by the caller's own identity — `app.mysql.delete('follow', { id, uid })` with `uid` from the session (`ctx.session.teacherid`), who-the-user-is (`ctx.state.user.id`) or a look-up by the caller's token (`const uid = await getUserIdByToken(token)`), in the handler or passed to the service whose filter it keys (`remove({ uid, id })` → `async remove({ id, uid }) { … delete('follow', { uid, follow_id: id }) }`, `updateInfo(ctx.session.teacherid, body)` → `update(TABLE, data, { where: { id } })`): on an anonymous request the key renders `IS NULL` and reaches no user's row. An insert (`insert('follow', { uid, … })` writes a row whatever the identity), a filter key from the request, a spread or computed key that may replace the identity's, or a service called without the identity stays reported. A write anywhere on the way (`create`, `save`, `update*`, raw `query`, a callback that writes, an assignment to the session or the app), or a call eggsec cannot follow (a `ctx.helper.x()` the app's `app/extend/helper.js` does not define, `ctx.curl`, a service method it cannot find), keeps the route reported."#,
        why: r#"A state-changing endpoint reachable without authentication lets anyone create, change or delete data. Other public endpoints (webhooks, contact forms) are legitimate but should be a deliberate, reviewed list: suppress them with a reason."#,
        bad: r#"// app/router.js
router.post('/api/orders', controller.order.create);"#,
        good: r#"// app/router.js
const auth = app.middleware.auth();
router.post('/api/orders', auth, controller.order.create);"#,
        fix: r#"Add your authentication middleware to the route (`router.post(path, app.middleware.auth(), handler)`), to its namespace, or globally in `config.middleware` with `ignore` for the public paths; make sure it rejects (`ctx.throw(401)`) rather than only loading the user; for a deliberately public endpoint add `// eggsec-ignore state-changing-route-without-auth: <why>` on the route line. When your protector is one eggsec cannot read or recognise, name it in `eggsec.toml` (see Options)."#,
    },
};

impl Rule for StateChangingRouteWithoutAuth {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if app.routes.is_empty() {
            cx.not_applicable();
            return;
        }
        // The app's middleware list is not known (a config file that cannot be evaluated may
        // set it): which routes a global middleware protects cannot be told — not assessed.
        if app.config_at("middleware").is_some_and(|v| v.is_unknown()) {
            cx.not_applicable();
            return;
        }
        let opts = cx.settings.auth_options();
        let cache = eggsec_app::auth::FactsCache::default();
        let env = eggsec_app::auth::AuthEnv::of(app);
        for r in app
            .routes
            .iter()
            .filter(|r| r.is_state_changing())
            .filter(|r| !is_authentication_entry_point(&r.path, &r.handler))
        {
            if opts == AuthOptions::default() && r.auth != AuthStatus::None {
                continue;
            }
            let p = eggsec_app::auth::judge(&env, r, &opts, &cache);
            if p.auth != AuthStatus::None {
                continue;
            }
            // an auth middleware's own white-list lets it through: public on purpose
            if p.exempt.is_some() {
                continue;
            }
            // a handler that always throws (a catch-all answering 404/501) changes nothing
            if eggsec_app::auth::handler_always_throws(&env, r, &cache) {
                continue;
            }
            // nor does one that only reads (`POST /posts/search` running `Post.find(…)`)
            if eggsec_app::auth::handler_only_reads(&env, r, &cache) {
                continue;
            }
            // a sign-up, whatever its name (`addUser`, `POST /users`), outside an admin area —
            // or in one when the same handler is routed outside it too (the admin route is then
            // the public sign-up under another path)
            let public = !under_admin(&r.path)
                || app.routes.iter().any(|o| {
                    o.handler == r.handler && o.is_state_changing() && !under_admin(&o.path)
                });
            if public && eggsec_app::auth::handler_signs_up(&env, r, &cache) {
                continue;
            }
            // a plugin or framework eggsec cannot see may add an authenticating middleware to
            // every route: the finding is then less certain (the read is noted)
            let _ = app.global_middleware();
            let (file, line) = &r.registered_at;
            let prov =
                Provenance::new(app.root.join(file).to_string_lossy().into_owned(), *line, 1);
            let chain: Vec<&str> = r.middleware.iter().map(|m| m.name.as_str()).collect();
            let mut evidence = vec![
                format!(
                    "route {} {} → {} at {}:{}",
                    r.method,
                    r.path,
                    r.handler,
                    r.file.display(),
                    r.line
                ),
                format!(
                    "middleware: {}",
                    if chain.is_empty() {
                        "(none)".to_string()
                    } else {
                        chain.join(" → ")
                    }
                ),
            ];
            if !p.pass_through.is_empty() {
                evidence.push(format!(
                    "middleware in the chain that do not reject this route's anonymous requests (pass-through, or checking other paths): {}",
                    p.pass_through.join(", ")
                ));
            }
            // The finding is the route: another global middleware (that checks nothing) in
            // its chain changes the evidence, not which route is open.
            cx.report(
                &prov,
                format!(
                    "{} {} ({}) has no authentication middleware or check",
                    r.method, r.path, r.handler
                ),
                evidence,
                META.docs.fix,
            )
            .set_identity(format!("route {} {} → {}", r.method, r.path, r.handler));
        }
    }
}

/// A path with a segment that names an admin area (`/admin/users`, `/manage/user/add`): an
/// account made there is an administrator's act, not a visitor's sign-up.
fn under_admin(path: &str) -> bool {
    path.split('/')
        .any(super::mass_assignment_from_request_body::admin_segment)
}

/// Words that name the endpoints through which a user becomes (or stops being) authenticated.
const AUTH_ENTRY_WORDS: &[&str] = &[
    "login",
    "logon",
    "signin",
    "signup",
    "register",
    "reg",
    "logout",
    "signout",
    "token",
    "oauth",
    "callback",
    "authorize",
];

/// Starts of names of login and sign-up variants (`loginByEmail`, `signInWithPhone`,
/// `registry`, `registration`, `registUser`).
const AUTH_ENTRY_PREFIXES: &[&str] = &["login", "signin", "signup", "regist", "logout"];

/// Parts of names of the pre-login steps: verification codes and captchas, and the
/// forgotten-password flow (`genVeriCode`, `sendSmsCode`, `forgetRestPassword`,
/// `validateCodeInPwd`).
const AUTH_ENTRY_PARTS: &[&str] = &[
    "captcha",
    "vericode",
    "verifycode",
    "verificationcode",
    "validatecode",
    "checkcode",
    "smscode",
    "sendcode",
    "forget",
    "forgot",
];

/// Login, sign-up, logout and token endpoints cannot require the authentication they grant:
/// reporting them would be noise. Decided on the last literal path segment and on the handler's
/// method name (`user.login`, `/api/sign-in`, `/oauth/:provider/callback`).
fn is_authentication_entry_point(path: &str, handler: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_'], "");
    let segment = path
        .split('/')
        .rev()
        .find(|s| !s.is_empty() && !s.starts_with(':') && !s.starts_with('('))
        .map(norm)
        .unwrap_or_default();
    let method = norm(handler.rsplit(['.', '#']).next().unwrap_or(handler));
    AUTH_ENTRY_WORDS
        .iter()
        .any(|w| segment == *w || method == *w)
        || AUTH_ENTRY_PREFIXES
            .iter()
            .any(|w| segment.starts_with(w) || method.starts_with(w))
        || AUTH_ENTRY_PARTS
            .iter()
            .any(|w| segment.contains(w) || method.contains(w))
        || segment.ends_with("callback")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};

    fn app(router: &str) -> eggsec_app::AppModel {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("app/controller")).unwrap();
        std::fs::create_dir_all(d.join("app/middleware")).unwrap();
        std::fs::write(d.join("app/router.js"), router).unwrap();
        std::fs::write(d.join("app/controller/order.js"), "exports.create = async ctx => { ctx.body = await ctx.model.Order.create({ n: 1 }); };\nexports.mine = async ctx => { if (!ctx.session.user) ctx.throw(401); };\nexports.search = async ctx => { ctx.body = await ctx.model.Order.findAll({ limit: 10 }); };\n").unwrap();
        std::fs::write(d.join("app/middleware/gate.js"), "module.exports = () => async (ctx, next) => { if (!ctx.state.user) ctx.throw(401); await next(); };\n").unwrap();
        routed(d)
    }

    /// The model of the app written in `d`: its code and its route table.
    fn routed(d: &std::path::Path) -> eggsec_app::AppModel {
        let mut app = test_model_in(d, serde_json::json!({}));
        let mut diags = Vec::new();
        app.code = eggsec_app::routes::code_model(d, &mut diags);
        app.routes = eggsec_app::routes::build_routes(
            &eggsec_app::routes::RouteInputs {
                root: d,
                config: &app.config,
                middleware: &app.middleware,
                plugins: &app.plugins,
            },
            &app.code,
        );
        app
    }

    /// Writes `files` (app-relative path, text) into a fresh app and runs the rule over it.
    fn run_on(files: &[(&str, &str)]) -> usize {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        run_rule(&StateChangingRouteWithoutAuth, &routed(dir.path())).len()
    }

    /// A sign-up is known by what it does, not by its name: it creates a user from a password
    /// it is given and takes no role from its input. Under an admin path, with a role from the
    /// input, or when it only changes a password, the route is reported — under an admin path
    /// unless the same handler is also routed outside one (then the admin route is the public
    /// sign-up).
    #[test]
    fn a_sign_up_by_its_effect() {
        let run = |routes: &[&str], controller: &str, service: &str| {
            let router = format!(
                "module.exports = app => {{ {} }};",
                routes
                    .iter()
                    .map(|r| format!("app.router.post('{r}', app.controller.user.make);"))
                    .collect::<String>()
            );
            run_on(&[
                ("app/router.js", router.as_str()),
                ("app/controller/user.js", controller),
                ("app/service/user.js", service),
            ])
        };
        let literal = "exports.make = async ctx => { const { username, email, password } = ctx.request.body; ctx.body = await ctx.service.user.create({ username, email, password }); };";
        let whole = "exports.make = async ctx => { ctx.body = await ctx.service.user.addUser(ctx.request.body); };";
        let service = |params: &str| {
            format!("const {{ Service }} = require('egg');\nclass UserService extends Service {{\n  async create(data) {{ return this.ctx.model.User.create(data); }}\n  async addUser({params}) {{ return this.ctx.model.User.create({{ username, password: await hash(password), role: 'normal' }}); }}\n}}\nmodule.exports = UserService;\n")
        };
        let plain = service("{ username, password }");
        let with_role = service("{ username, password, role }");
        // sign-ups: the password in the handler's literal, or in the service it calls
        assert_eq!(run(&["/users"], literal, &plain), 0);
        assert_eq!(run(&["/user/addUser"], whole, &plain), 0);
        // the input picks a role; an admin area; no password (not an account)
        assert_eq!(run(&["/user/addUser"], whole, &with_role), 1);
        assert_eq!(run(&["/admin/users"], literal, &plain), 1);
        // the same sign-up routed under an admin path too: the admin route is the public one
        assert_eq!(
            run(&["/user/addUser", "/admin/user/addUser"], whole, &plain),
            0
        );
        assert_eq!(
            run(&["/user/addUser", "/admin/user/addUser"], whole, &with_role),
            2
        );
        let no_password = "exports.make = async ctx => { const { username, email } = ctx.request.body; ctx.body = await ctx.service.user.create({ username, email }); };";
        assert_eq!(run(&["/users"], no_password, &plain), 1);
        // a password change creates no user
        let change = "exports.make = async ctx => { const { id, password } = ctx.request.body; ctx.body = await ctx.model.User.update({ password }, { where: { id } }); };";
        assert_eq!(run(&["/users/password"], change, &plain), 1);
    }

    /// A check in the service the handler calls, above the service's first write, protects the
    /// route (held-out xz-egg: `const uid = await this.getUserIdByToken(token); if (!uid) throw
    /// …`, `await this.ctx.service.user.checkLogin(token)`); a look-up with no check, or a check
    /// after the write, does not.
    #[test]
    fn a_check_in_the_service_before_its_write() {
        let run = |body: &str| {
            let service = format!("const {{ Service }} = require('egg');\nclass S extends Service {{\n  async add({{ token, id }}) {{\n{body}\n  }}\n  async getUserIdByToken(token) {{ return this.app.redis.get(token); }}\n}}\nmodule.exports = S;\n");
            run_on(&[
                (
                    "app/router.js",
                    "module.exports = app => { app.router.post('/follow', app.controller.follow.add); };",
                ),
                (
                    "app/controller/follow.js",
                    "const { Controller } = require('egg');\nclass C extends Controller {\n  async add() {\n    const { token } = this.ctx.query;\n    this.ctx.body = await this.ctx.service.follow.add({ token, id: this.ctx.request.body.id });\n  }\n}\nmodule.exports = C;\n",
                ),
                ("app/service/follow.js", service.as_str()),
            ])
        };
        let lookup = "    const uid = await this.getUserIdByToken(token);";
        let write = "    return this.app.mysql.insert('follow', { uid, id });";
        let check = "    if (!uid) { throw new Error('login expired'); }";
        assert_eq!(run(&format!("{lookup}\n{check}\n{write}")), 0);
        assert_eq!(
            run(&format!(
                "    await this.ctx.service.user.checkLogin(token);\n{lookup}\n{write}"
            )),
            0
        );
        // look-alikes: the look-up alone, the check after the write
        assert_eq!(run(&format!("{lookup}\n{write}")), 1);
        assert_eq!(
            run(&format!("{lookup}\n    const r = await this.app.mysql.insert('follow', {{ uid, id }});\n{check}\n    return r;")),
            1
        );
    }

    /// A write egg-mysql keys by the caller's own identity changes nothing for an anonymous
    /// request: `app.mysql.delete('follow', { id, uid })` with `uid` from the session or from a
    /// look-up by the caller's token renders `uid IS NULL` when there is none (real
    /// `@eggjs/rds`: `identity_keyed_writes_match_no_row_for_an_anonymous_request`), so it
    /// reaches no user's row (held-out xz-egg, outbreak). The identity may be passed to the
    /// service as an argument or a key of one. An insert, a filter from the request, a spread
    /// that may replace the key, or an identity the handler does not pass stays reported.
    #[test]
    fn a_write_keyed_by_the_callers_identity() {
        let run = |handler: &str, service: &str| {
            let controller = format!("const {{ Controller }} = require('egg');\nclass C extends Controller {{\n  async remove() {{\n    const {{ ctx }} = this;\n{handler}\n  }}\n}}\nmodule.exports = C;\n");
            let service = format!("const {{ Service }} = require('egg');\nclass S extends Service {{\n{service}\n  async getUserIdByToken(token) {{ return this.app.redis.get(token); }}\n}}\nmodule.exports = S;\n");
            run_on(&[
                (
                    "app/router.js",
                    "module.exports = app => { app.router.delete('/follow/:id', app.controller.follow.remove); };",
                ),
                ("app/controller/follow.js", controller.as_str()),
                ("app/service/follow.js", service.as_str()),
            ])
        };
        let by_key = "  async remove({ id, uid }) {\n    return this.app.mysql.delete('follow', { uid: uid, follow_id: id });\n  }";
        let by_arg = "  async update(uid, data) {\n    const options = { where: { id: uid } };\n    return this.app.mysql.update('teacher', data, options);\n  }";
        let token_uid =
            "    const uid = await ctx.service.follow.getUserIdByToken(ctx.query.token);";
        // the caller's identity, passed as a key or an argument, or used in the handler itself
        assert_eq!(
            run(
                &format!("{token_uid}\n    ctx.body = await ctx.service.follow.remove({{ uid, id: ctx.params.id }});"),
                by_key
            ),
            0
        );
        assert_eq!(
            run(
                "    ctx.body = await ctx.service.follow.update(ctx.session.teacherid, ctx.request.body);",
                by_arg
            ),
            0
        );
        assert_eq!(
            run(
                "    const uid = parseInt(ctx.session.userid);\n    await this.app.mysql.delete('follow', { id: ctx.params.id, uid });",
                by_key
            ),
            0
        );
        assert_eq!(
            run(
                "    await this.app.mysql.update('user', { id: ctx.state.user.id, nickname: ctx.request.body.nickname });",
                by_key
            ),
            0
        );
        assert_eq!(
            run(
                "    const { id } = this.app.jwt.verify(ctx.get('authorization'), 'k');\n    await this.app.mysql.delete('follow', { id: ctx.params.id, uid: id });",
                by_key
            ),
            0
        );
        // look-alikes: the key from the request, an identity passed under another key, an insert,
        // a spread after the key, a filter without it, a update keyed by the row's id from the body
        assert_eq!(
            run(
                "    const { uid } = ctx.request.body;\n    ctx.body = await ctx.service.follow.remove({ uid, id: ctx.params.id });",
                by_key
            ),
            1
        );
        assert_eq!(
            run(
                &format!("{token_uid}\n    ctx.body = await ctx.service.follow.remove({{ id: uid, uid: ctx.query.uid }});"),
                "  async remove({ id, uid }) {\n    return this.app.mysql.delete('follow', { uid });\n  }"
            ),
            1
        );
        assert_eq!(
            run(
                "    await this.app.mysql.insert('follow', { uid: ctx.session.userid, id: ctx.params.id });",
                by_key
            ),
            1
        );
        assert_eq!(
            run(
                "    await this.app.mysql.delete('follow', { uid: ctx.session.userid, ...ctx.request.body });",
                by_key
            ),
            1
        );
        assert_eq!(
            run(
                &format!("{token_uid}\n    await this.app.mysql.delete('follow', {{ id: ctx.params.id }});"),
                by_key
            ),
            1
        );
        assert_eq!(
            run(
                "    await this.app.mysql.update('user', ctx.request.body);",
                by_key
            ),
            1
        );
        // an identity with a fallback on the request is the request's
        assert_eq!(
            run(
                "    await this.app.mysql.delete('follow', { id: ctx.params.id, uid: ctx.session.uid || ctx.request.body.uid });",
                by_key
            ),
            1
        );
        assert_eq!(
            run(
                "    ctx.body = await ctx.service.follow.remove({ uid: ctx.request.body.uid, id: ctx.params.id });",
                "  async remove({ id, uid }) {\n    const owner = this.ctx.session.uid || uid;\n    return this.app.mysql.delete('follow', { uid: owner, follow_id: id });\n  }"
            ),
            1
        );
        assert_eq!(
            run(
                "    ctx.body = await ctx.service.follow.update(ctx.params.id, { uid: ctx.session.teacherid });",
                by_arg
            ),
            1
        );
    }

    /// The app's helper (`app/extend/helper.js`) is followed like a service: a `POST` whose
    /// handler only parses the body (`json(ctx.req)` of co-body), logs and answers through
    /// `ctx.helper.success(ctx, {})` changes nothing (held-out whisky-app); a helper that writes
    /// keeps the route, and a helper that answers 403 in an error branch protects nothing.
    #[test]
    fn the_apps_helper_is_followed() {
        let run = |handler: &str, helper: &str| {
            let controller = format!("import {{ json }} from 'co-body';\nexport default class C {{\n  async create(ctx) {{\n{handler}\n  }}\n}}\n");
            run_on(&[
                (
                    "app/router.js",
                    "module.exports = app => { app.router.post('/api/event', app.controller.event.create); };",
                ),
                ("app/controller/event.js", controller.as_str()),
                ("app/extend/helper.js", helper),
                (
                    "app/service/event.js",
                    "const { Service } = require('egg');\nclass S extends Service {\n  async add(e) { return this.app.mysql.insert('event', e); }\n}\nmodule.exports = S;\n",
                ),
            ])
        };
        let answer = "exports.success = (ctx, data) => { ctx.body = { code: 0, data }; ctx.status = 200; };\nexports.fail = ctx => { ctx.body = { code: 403 }; ctx.status = 403; };\nexports.record = (ctx, e) => ctx.app.mysql.insert('event', e);\n";
        let parse = "    const e = await json(ctx.req);\n    console.log(e);";
        assert_eq!(
            run(
                &format!("{parse}\n    ctx.helper.success(ctx, {{}});"),
                answer
            ),
            0
        );
        // look-alikes: the helper writes; a 403 answered only in an error branch
        assert_eq!(
            run(
                &format!(
                    "{parse}\n    ctx.helper.record(ctx, e);\n    ctx.helper.success(ctx, {{}});"
                ),
                answer
            ),
            1
        );
        assert_eq!(
            run(&format!("{parse}\n    if (!e.name) {{ ctx.helper.fail(ctx); return; }}\n    await ctx.service.event.add(e);\n    ctx.helper.success(ctx, {{}});"), answer),
            1
        );
        // a helper eggsec cannot find (a plugin's) keeps the route
        assert_eq!(
            run(
                &format!("{parse}\n    ctx.helper.success(ctx, {{}});"),
                "exports.other = () => 1;\n"
            ),
            1
        );
    }

    /// A `POST` list whose service reads through a base class's page method and answers through
    /// the app's context extension changes nothing (held-out rakugo-back-end: `await
    /// ctx.returnService(ctx.service.blog.queryBlogPage())` → `this.multitableQueryPage(params,
    /// lookup, arr => …)` → `if (cb) list = cb(list)`): the base method's call of its callback
    /// parameter runs what the caller passes there — nothing, or a function written inline and
    /// judged with the caller. Look-alikes: the inline callback writes; the callback passed is a
    /// function eggsec does not see; the context method writes; it is not in the extension.
    #[test]
    fn a_callback_parameter_and_the_context_extension() {
        let run = |call: &str, context: &str| {
            let service = format!("const BaseService = require('./base');\nclass Blog extends BaseService {{\n  async page() {{\n    const params = {{ ...this.ctx.request.body }};\n    return {call};\n  }}\n}}\nmodule.exports = Blog;\n");
            run_on(&[
                (
                    "app/router.js",
                    "module.exports = app => { app.router.post('/blog/page', 'blog.list'); };",
                ),
                ("app/controller/blog.js", "const { Controller } = require('egg');\nclass C extends Controller {\n  async list() {\n    const { ctx } = this;\n    await ctx.returnService(ctx.service.blog.page());\n  }\n}\nmodule.exports = C;\n"),
                ("app/service/base.js", "const { Service } = require('egg');\nclass Base extends Service {\n  get document() {\n    return this.ctx.model.Blog;\n  }\n  async queryPage(params = {}, cb) {\n    let list = await this.document.find(params.dto).sort({ createdDate: -1 });\n    const total = await this.document.find(params.dto).count();\n    if (cb) {\n      list = cb(list);\n    }\n    return { list, total };\n  }\n}\nmodule.exports = Base;\n"),
                ("app/service/blog.js", service.as_str()),
                ("app/extend/context.js", context),
            ])
        };
        let answer = "module.exports = {\n  async returnService(p) {\n    const data = await p;\n    this.body = { status: 200, data };\n    return this.body;\n  },\n  async record(p) {\n    await this.model.Log.create({ p });\n  },\n};\n";
        assert_eq!(run("this.queryPage(params)", answer), 0);
        assert_eq!(
            run(
                "this.queryPage(params, list => list.map(x => x.title))",
                answer
            ),
            0
        );
        // look-alikes
        assert_eq!(
            run(
                "this.queryPage(params, list => this.ctx.model.Log.create({ list }))",
                answer
            ),
            1
        );
        assert_eq!(run("this.queryPage(params, this.app.saveAll)", answer), 1);
        assert_eq!(
            run(
                "this.queryPage(params)",
                &answer.replace(
                    "const data = await p;",
                    "const data = await p;\n    await this.record(data);"
                )
            ),
            1
        );
        assert_eq!(
            run(
                "this.queryPage(params)",
                "module.exports = { other() {} };\n"
            ),
            1
        );
    }

    /// egg-passport's `passportInitialize` and `passportSession` (in the chain of every route,
    /// its code not installed) let every request go on: their names protect nothing (held-out
    /// egg-ts-server). A middleware of the app that rejects still does.
    #[test]
    fn egg_passport_middleware_is_pass_through() {
        let run = |route_mw: &str| {
            let router = format!(
                "module.exports = app => {{ app.router.post('/v1/users', {route_mw}app.controller.user.create); }};\n"
            );
            let files = [
                ("package.json", r#"{"name":"a","dependencies":{"egg":"^3","egg-passport":"^2"}}"#),
                ("config/config.default.js", "exports.keys = 'k';\n"),
                ("config/plugin.js", "exports.passport = { enable: true, package: 'egg-passport' };\n"),
                ("app/router.js", router.as_str()),
                (
                    "app/controller/user.js",
                    "exports.create = async ctx => { ctx.body = await ctx.service.user.create(ctx.request.body); };\n",
                ),
                (
                    "app/middleware/gate.js",
                    "module.exports = () => async (ctx, next) => { if (!ctx.isAuthenticated()) ctx.throw(401); await next(); };\n",
                ),
            ];
            let (_tmp, app) = crate::testing::load_app(&files);
            run_rule(&StateChangingRouteWithoutAuth, &app)
        };
        let open = run("");
        assert_eq!(open.len(), 1, "{open:#?}");
        assert!(
            open[0]
                .evidence
                .iter()
                .any(|e| e.contains("pass-through") && e.contains("passportInitialize")),
            "{:?}",
            open[0].evidence
        );
        assert!(run("app.middleware.gate(), ").is_empty());
    }

    #[test]
    fn hit_and_safe_look_alikes() {
        let hit = app(
            "module.exports = app => { app.router.post('/orders', app.controller.order.create); };",
        );
        assert_eq!(run_rule(&StateChangingRouteWithoutAuth, &hit).len(), 1);
        for safe in [
            "module.exports = app => { app.router.post('/orders', app.middleware.gate(), app.controller.order.create); };",
            "module.exports = app => { app.router.post('/orders', app.controller.order.mine); };",
            "module.exports = app => { app.router.get('/orders', app.controller.order.create); };",
            // Authentication entry points cannot require authentication.
            "module.exports = app => { app.router.post('/api/login', app.controller.order.create); };",
            "module.exports = app => { app.router.post('/auth/sign-up', app.controller.order.create); };",
            // a sign-up named `reg` / `registry` (panda-exam-backen: `POST /reg` →
            // `admin.registry`), `registration`, `registUser`
            "module.exports = app => { app.router.post('/reg', app.controller.order.create); };",
            "module.exports = app => { app.router.post('/x', app.controller.order.registry); };",
            "module.exports = app => { app.router.post('/user/registration', app.controller.order.create); };",
            "module.exports = app => { app.router.post('/user/registUser', app.controller.order.create); };",
            // the code check of a forgotten-password flow (stuer-server `validateCodeInPwd`)
            "module.exports = app => { app.router.post('/api/validateCodeInPwd', app.controller.order.create); };",
            "module.exports = app => { app.router.post('/sms/check-code', app.controller.order.create); };",
            // A handler that only reads changes nothing.
            "module.exports = app => { app.router.post('/orders/search', app.controller.order.search); };",
        ] {
            assert!(run_rule(&StateChangingRouteWithoutAuth, &app(safe)).is_empty(), "{safe}");
        }
        // words that only start like them are no entry points
        for hit in [
            "module.exports = app => { app.router.post('/regions', app.controller.order.create); };",
            "module.exports = app => { app.router.post('/regex/add', app.controller.order.create); };",
            "module.exports = app => { app.router.post('/code/check', app.controller.order.create); };",
        ] {
            assert_eq!(run_rule(&StateChangingRouteWithoutAuth, &app(hit)).len(), 1, "{hit}");
        }
    }
}
