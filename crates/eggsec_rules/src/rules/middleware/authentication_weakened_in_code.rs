//! `MW021` `authentication-weakened-in-code`: authentication code that an attacker can get
//! around — a JWT decoded but never verified, `algorithms: ['none']`, a hard-coded JWT secret,
//! `Math.random()`/`Date.now()` tokens, `===` on secrets and signatures, `jwt.verify` with a
//! public key and no algorithm pinning, a token re-issued from an expired token or from an
//! unsigned cookie.

use crate::util::{report_mistakes, report_mistakes_per_file, report_mistakes_unless};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::mistakes::MistakeKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct AuthenticationWeakenedInCode;

static META: RuleMeta = RuleMeta {
    code: "MW021",
    name: "authentication-weakened-in-code",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Authentication code verifies tokens, uses unguessable secrets and compares them in constant time",
    docs: RuleDocs {
        what: r#"Finds, in the app's server code: `jwt.decode(token)` / `app.jwt.decode(...)` / `jwtDecode(...)` in a function that never calls `verify` (the token's claims are trusted without checking its signature); `jwt.verify`/`jwt.sign` with `algorithms: ['none']` or `algorithm: 'none'`; `jwt.sign(payload, 'literal')` / `jwt.verify(token, 'literal')` (a JWT secret hard-coded in code, not only in config); `Math.random()`, `Date.now()` or `new Date().getTime()` used for a token, reset or verification code, session id, nonce, salt or API key (a variable, property or returning function so named, or any `code`) — not a clock value under a time key (`exp`, `iat`, `nbf`, `expireAt`, `maxAge`) nor anything in the signed payload of `jwt.sign(payload, secret)` or an object-literal payload of an encryption with a key (`encrypt(secret, { userId, _sign: Date.now() })`), which the secret protects; `===`/`!==` between a value and a secret, signature, HMAC digest or API key (`given === expected` where `expected = hmac.digest('hex')`, `apiKey !== config.partnerApiKey`); `jwt.verify(token, key)` with no `algorithms` option where the key may be public (a `publicKey`/`PUBLIC_KEY`/`cert` name, a local read from a `.pem`/`.pub` file); a new token signed in a function that accepted an expired one (`jwt.verify(old, secret, { ignoreExpiration: true })`) or whose payload comes from an unsigned cookie (`ctx.cookies.get('uid', { signed: false })`). A decode of the request's bearer token (the `Authorization` header, in the call or through a local bound from it) in a handler every route of which egg-jwt's own middleware guards — `jwt.enable: true` with its `match`/`ignore` covering the path (RegExps with lookaheads included), or `app.jwt` in the route — is not reported: koa-jwt verified that very token before the handler ran (not when `jwt.getToken` or `jwt.cookie` makes it read another, nor behind an app middleware that is merely named `jwt`). The same comparison repeated in one file (a verification code checked in every handler) is one finding at its first place, every place in its evidence. A value the server decrypted with its own key (a `decrypt`/`decipher` call, or a helper or service whose result comes from one, such as a reset token's `ctx.helper.getKeyArrByTokenId(token)`) is not text an attacker chose, and comparing it times nothing; nor is a token whose signature the same function verified (`jwt.verify`, or a function of the file that calls it: `const { email } = checkToken(token)`) when the comparison sits under an `if` that tests the verification's result — only a token the server signed gets there; nor is a record the server read (a stored password hash compared with the hash of the submitted password, the record from a query or from a method of the same class that returns one, `await this.byName(name) || {}`)."#,
        why: r#"Each one lets an attacker authenticate without the secret: `decode` accepts a token they signed themselves; `none` accepts an unsigned one; a secret in the source is a secret in every clone and every build; `Math.random()` and timestamps are predictable, so reset codes and session ids can be guessed; `===` on secrets returns earlier the more leading characters match, which leaks the secret byte by byte to anyone who can time responses. Without pinned algorithms, a library that picks the algorithm from the token header verifies an `HS256` token with the RSA public key as the HMAC secret — and the public key is public (algorithm confusion; jsonwebtoken before 9 and many wrappers). A refresh that accepts expired tokens keeps a stolen token alive for ever, and an unsigned cookie is whatever the client writes into it."#,
        bad: r#"const claims = jwt.decode(ctx.get('authorization'));
const resetCode = Math.random().toString(36).slice(2);
return jwt.sign({ id }, 'my-secret');
if (ctx.get('x-signature') === hmac.digest('hex')) { ... }
const claims = jwt.verify(token, PUBLIC_KEY); // no algorithms
const uid = ctx.cookies.get('uid', { signed: false });
ctx.body = { token: app.jwt.sign({ uid }) };"#,
        good: r#"const claims = app.jwt.verify(token); // egg-jwt, secret from config, algorithms pinned in config.jwt.verify
const resetCode = crypto.randomBytes(16).toString('hex');
return app.jwt.sign({ id }); // config.jwt.secret = process.env.JWT_SECRET
const given = Buffer.from(ctx.get('x-signature') || '');
const expected = Buffer.from(hmac.digest('hex'));
if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) { ... }
const claims = jwt.verify(token, PUBLIC_KEY, { algorithms: ['RS256'] });
const rt = ctx.cookies.get('refresh_token', { signed: true, encrypt: true });
const { uid } = jwt.verify(rt, app.config.jwt.refreshSecret, { algorithms: ['HS256'] });"#,
        fix: r#"Verify tokens (`app.jwt.verify(token)` or `jwt.verify(token, secret, { algorithms: ['HS256'] })`) and pin the algorithms in `config.jwt.verify`; never allow `none`; read JWT secrets from the environment through config (`config.jwt = { secret: process.env.JWT_SECRET }`); make tokens and codes with `crypto.randomBytes`/`crypto.randomUUID()`/`crypto.randomInt`; compare secrets with `crypto.timingSafeEqual` on equal-length buffers; pass `algorithms` to every `verify` (`['RS256']` for a key pair); refresh with a separate refresh token kept in a signed, encrypted, httpOnly cookie (or the session) and verified, never from an expired access token or an unsigned cookie."#,
    },
};

impl Rule for AuthenticationWeakenedInCode {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        // the bearer token of a handler every route of which egg-jwt's middleware guards was
        // verified before the handler ran: decoding it again reads verified claims
        let app = cx.app;
        report_mistakes_unless(
            cx,
            MistakeKind::JwtDecodeTrusted,
            |m| {
                format!("A JWT is decoded but never verified in {}: its claims are trusted without checking the signature", m.function)
            },
            |file, m| m.bearer && verified_before(app, file, &m.function),
        );
        report_mistakes(cx, MistakeKind::JwtAlgorithmNone, |m| {
            format!(
                "A JWT call in {} accepts the `none` algorithm (unsigned tokens)",
                m.function
            )
        });
        report_mistakes(cx, MistakeKind::JwtSecretHardCoded, |m| {
            format!(
                "A JWT secret is hard-coded in {} (`{}`)",
                m.function,
                mask_literal(&m.what)
            )
        });
        report_mistakes(cx, MistakeKind::WeakRandomToken, |m| {
            format!("A token, code or secret in {} comes from Math.random()/Date.now(), which are predictable", m.function)
        });
        // the same comparison is often repeated in every handler of a file: one finding
        report_mistakes_per_file(cx, MistakeKind::SecretComparedNonConstantTime, |m, more| {
            let also = match more {
                0 => String::new(),
                1 => " and 1 more place in this file".to_string(),
                n => format!(" and {n} more places in this file"),
            };
            format!(
                "A secret, signature or key is compared with ===/!== in {}{also} (not constant-time)",
                m.function
            )
        });
        report_mistakes(cx, MistakeKind::JwtVerifyWithoutAlgorithms, |m| {
            format!(
                "A JWT is verified with a key that may be public and no `algorithms` in {}: an HS256 token signed with the public key passes",
                m.function
            )
        });
        report_mistakes(cx, MistakeKind::TokenRefreshFromUnsignedValue, |m| {
            format!(
                "A new token is signed in {} from an expired token or an unsigned cookie value",
                m.function
            )
        });
    }
}

/// Whether `function` of `file` is a route handler and egg-jwt's middleware verified the bearer
/// token on every route to it ([`eggsec_app::auth::verified_by_egg_jwt`]).
fn verified_before(
    app: &eggsec_app::AppModel,
    file: &eggsec_app::routes::CodeFile,
    function: &str,
) -> bool {
    let Some(fi) = app.code.files.iter().position(|f| f.rel == file.rel) else {
        return false;
    };
    let mut routes = app.routes_to(fi, function).peekable();
    routes.peek().is_some() && routes.all(|r| eggsec_app::auth::verified_by_egg_jwt(app, r))
}

/// `jwt.sign(p, 'super-secret')` → `jwt.sign(p, 'su****')`: secrets are masked in every output.
fn mask_literal(what: &str) -> String {
    let mut out = String::new();
    let mut in_str: Option<char> = None;
    let mut kept = 0;
    for ch in what.chars() {
        match in_str {
            Some(q) if ch == q => {
                out.push_str("****");
                out.push(ch);
                in_str = None;
            }
            Some(_) => {
                if kept < 2 {
                    out.push(ch);
                    kept += 1;
                }
            }
            None => {
                if ch == '\'' || ch == '"' || ch == '`' {
                    in_str = Some(ch);
                    kept = 0;
                }
                out.push(ch);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hits() {
        for src in [
            "const jwt = require('jsonwebtoken');\nexports.me = async ctx => { ctx.body = jwt.decode(ctx.get('authorization')); };",
            "exports.t = async ctx => { ctx.body = ctx.app.jwt.verify(ctx.query.t, { algorithms: ['none'] }); };",
            "const jwt = require('jsonwebtoken');\nexports.t = async ctx => { ctx.body = jwt.sign({ id: 1 }, 'hard-coded'); };",
            "exports.reset = async ctx => { const resetToken = Math.random().toString(36).slice(2); ctx.body = resetToken; };",
            // a clock value as the signing secret is predictable; so is a random code under a key
            // that is not a time
            "exports.login = async ctx => { const token = ctx.app.jwt.sign({ id: 1 }, String(Date.now())); ctx.body = { token }; };",
            "exports.login = async ctx => { const session = { token: Date.now().toString(36), exp: 1 }; ctx.body = session; };",
            // a verification code from Math.random, kept in the session with its expiry
            "exports.send = async ctx => { let code = Math.random().toString(16).slice(3, 7); ctx.session.emailCode = { code, expire: Date.now() + 180000 }; ctx.body = 'sent'; };",
            // the key itself a clock value
            "exports.login = async ctx => { const token = encrypt(String(Date.now()), { userId: 1 }); ctx.body = { token }; };",
            "exports.hook = async ctx => { const expected = require('crypto').createHmac('sha256', 'k').update('x').digest('hex'); if (ctx.get('x-sig') !== expected) ctx.throw(403); };",
            // verify with a public key and no algorithms (module-level key read from a .pem)
            "const jwt = require('jsonwebtoken');\nconst KEY = require('fs').readFileSync('keys/jwt.pub.pem');\nexports.me = async ctx => { ctx.body = jwt.verify(ctx.get('authorization'), KEY); };",
            "const jwt = require('jsonwebtoken');\nexports.me = async ctx => { ctx.body = jwt.verify(ctx.get('authorization'), ctx.app.config.jwt.publicKey, { complete: true }); };",
            // a token re-signed from an expired one; from an unsigned cookie
            "const jwt = require('jsonwebtoken');\nexports.r = async ctx => { const c = jwt.verify(ctx.cookies.get('t'), ctx.app.config.s, { ignoreExpiration: true, algorithms: ['HS256'] }); ctx.body = jwt.sign({ uid: c.uid }, ctx.app.config.s); };",
            "exports.r = async ctx => { const uid = ctx.cookies.get('uid', { signed: false }); ctx.body = ctx.app.jwt.sign({ uid }, ctx.app.config.jwt.secret); };",
        ] {
            assert_eq!(run_rule(&AuthenticationWeakenedInCode, &model_with_controller(src)).len(), 1, "{src}");
        }
    }

    #[test]
    fn look_alikes_are_quiet() {
        for src in [
            "const jwt = require('jsonwebtoken');\nexports.me = async ctx => { const h = jwt.decode(ctx.get('authorization'), { complete: true }); ctx.body = jwt.verify(ctx.get('authorization'), ctx.app.config.jwt.secret); };",
            "exports.t = async ctx => { ctx.body = ctx.app.jwt.sign({ id: 1 }, { expiresIn: '1h' }); };",
            "exports.page = async ctx => { const page = Math.floor(Math.random() * 10); const requestId = Date.now(); ctx.body = { page, requestId }; };",
            // the clock as a JWT's expiry, in the signed payload: the secret makes the token
            "exports.login = async ctx => { const token = ctx.app.jwt.sign({ id: 1, exp: Math.floor(Date.now() / 1000) + 86400 }, ctx.app.config.jwt.secret); ctx.body = { token }; };",
            "exports.login = async ctx => { const token = ctx.app.jwt.sign({ id: 1, at: Date.now() }, ctx.app.config.jwt.secret); const session = { token, expireAt: Date.now() + 3600e3 }; ctx.body = session; };",
            // a clock value inside the payload an encryption with a key hides (score-app-server)
            "exports.login = async ctx => { const token = encrypt(ctx.app.config.jwt.secret, { userId: 1, _sign: Date.now() }); ctx.body = { token }; };",
            "exports.cmp = async ctx => { if (ctx.query.type === 'token') ctx.body = 1; if (ctx.query.secret === undefined) ctx.body = 2; };",
            // algorithms pinned; a shared secret (not a public key); options from a variable
            "const jwt = require('jsonwebtoken');\nconst KEY = require('fs').readFileSync('keys/jwt.pub.pem');\nexports.me = async ctx => { ctx.body = jwt.verify(ctx.get('authorization'), KEY, { algorithms: ['RS256'] }); };",
            "const jwt = require('jsonwebtoken');\nexports.me = async ctx => { ctx.body = jwt.verify(ctx.get('authorization'), ctx.app.config.jwt.secret); };",
            "const jwt = require('jsonwebtoken');\nexports.me = async ctx => { ctx.body = jwt.verify(ctx.get('authorization'), ctx.app.config.jwt.publicKey, ctx.app.config.jwt.verifyOptions); };",
            // a refresh from a signed, verified cookie
            "const jwt = require('jsonwebtoken');\nexports.r = async ctx => { const rt = ctx.cookies.get('rt', { signed: true, encrypt: true }); const c = jwt.verify(rt, ctx.app.config.s, { algorithms: ['HS256'] }); ctx.body = jwt.sign({ uid: c.uid }, ctx.app.config.s); };",
        ] {
            assert!(run_rule(&AuthenticationWeakenedInCode, &model_with_controller(src)).is_empty(), "{src}");
        }
        assert_eq!(
            mask_literal("jwt.sign(p, 'super-secret')"),
            "jwt.sign(p, 'su****')"
        );
    }

    /// DoraCMS's reset link: the token is decrypted with the server's key by a helper, so
    /// comparing a part of it with a secret times nothing an attacker chose. The helper's
    /// summary says so, also to a controller required by a middleware (analysed with the
    /// required modules, after the helpers now). A helper that hands the text back is a hit.
    #[test]
    fn a_value_decrypted_by_the_server_is_not_attacker_text() {
        let helper = |body: &str| {
            format!(
                "const CryptoJS = require('crypto-js');\nmodule.exports = {{\n  decrypt(data, key) {{\n    const bytes = CryptoJS.AES.decrypt(data, key);\n    return bytes.toString(CryptoJS.enc.Utf8);\n  }},\n  keyArr(tokenId) {{\n    tokenId = decodeURIComponent(tokenId);\n    {body}\n  }},\n}};\n"
            )
        };
        let decrypts =
            helper("const link = this.decrypt(tokenId, this.app.config.encrypt_key);\n    return link.split('$');");
        let hands_back = helper("return tokenId.split('$');");
        let controller = "module.exports = {\n  async reset(ctx, app) {\n    const keyArr = ctx.helper.keyArr(ctx.query.key);\n    if (keyArr[2] === app.config.session_secret) ctx.body = 1;\n  },\n};\n";
        let middleware = "const c = require('../controller/reg');\nmodule.exports = () => async (ctx, next) => { await c.reset(ctx, ctx.app); await next(); };\n";
        for (helper, expected) in [(&decrypts, 0), (&hands_back, 1)] {
            let app = crate::testing::model_with_files(&[
                ("app/extend/helper.js", helper),
                ("app/controller/reg.js", controller),
                ("app/middleware/router.js", middleware),
            ]);
            let found = run_rule(&AuthenticationWeakenedInCode, &app);
            assert_eq!(found.len(), expected, "{helper}\n{found:#?}");
        }
    }

    /// A password check: the stored hash of a record (read by a method of the same class, with
    /// a fallback object) against the hash of the submitted password. The attacker chooses
    /// neither compared value (bombayjs-server, held-out set 2). The same comparison against the
    /// submitted value itself is still a hit.
    #[test]
    fn a_stored_hash_against_the_hash_of_what_was_sent_is_a_password_check() {
        let service = |cmp: &str| {
            format!(
                "const crypto = require('crypto');\nconst Service = require('egg').Service;\nclass UserService extends Service {{\n  async login(ctx) {{\n    const query = ctx.request.body;\n    const password = query.password;\n    const userInfo = await this.byName(query.userName) || {{}};\n    const newPwd = crypto.createHmac('sha256', password).update(this.app.config.salt).digest('hex');\n    if ({cmp} !== newPwd) return 'wrong';\n    return 'ok';\n  }}\n  async byName(userName) {{\n    return await this.ctx.model.User.findOne({{ user_name: userName }}).exec() || {{}};\n  }}\n}}\nmodule.exports = UserService;\n"
            )
        };
        let controller = "module.exports = { async login(ctx) { ctx.body = await ctx.service.user.login(ctx); } };\n";
        for (cmp, expected) in [("userInfo.password", 0), ("query.sign", 1)] {
            let src = service(cmp);
            let app = crate::testing::model_with_files(&[
                ("app/service/user.js", src.as_str()),
                ("app/controller/user.js", controller),
            ]);
            let found = run_rule(&AuthenticationWeakenedInCode, &app);
            assert_eq!(found.len(), expected, "{cmp}\n{found:#?}");
        }
    }

    /// The same comparison in several handlers of one file is one finding, every place in its
    /// evidence.
    #[test]
    fn a_comparison_repeated_in_one_file_is_one_finding() {
        let src = "module.exports = {\n  async a(ctx, app) {\n    const currentCode = await app.cache.get(app.config.session_secret + '_code');\n    if (currentCode !== ctx.request.body.messageCode) ctx.throw(403);\n  },\n  async b(ctx, app) {\n    const currentCode = await app.cache.get(app.config.session_secret + '_code');\n    if (currentCode !== ctx.request.body.messageCode) ctx.throw(403);\n  },\n};\n";
        let found = run_rule(&AuthenticationWeakenedInCode, &model_with_controller(src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("in a and 1 more place in this file"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].evidence.len(), 2, "{:?}", found[0].evidence);
        assert!(found[0].evidence[1].contains(":8:") && found[0].evidence[1].ends_with("(in b)"));
    }

    /// A token the function verified (its signature checked with the server's key), compared
    /// only inside an `if` that reads the verification's result: an attacker reaches the
    /// comparison only with a token the server signed, and its timing tells nothing (held-out
    /// stuer-server: `const { email } = checkToken(auth_token); if (email) { … if (auth_token ===
    /// redis_auth_token) … }`). Compared before the check, or never verified: reported.
    #[test]
    fn a_token_compared_after_its_signature_was_verified() {
        let run = |body: &str| {
            let src = format!("const jwt = require('jsonwebtoken');\nconst KEY = 'k';\nfunction checkToken(token) {{\n  try {{\n    return jwt.verify(token, KEY, {{ algorithms: ['RS256'] }}) || {{}};\n  }} catch (e) {{\n    return {{}};\n  }}\n}}\nexports.check = async ctx => {{\n  const auth_token = ctx.cookies.get('auth_token', {{ signed: false }});\n{body}\n}};\n");
            run_rule(&AuthenticationWeakenedInCode, &model_with_controller(&src)).len()
        };
        let verified = "  const res = checkToken(auth_token);\n  const { email } = res;\n  if (email) {\n    const redis_auth_token = await ctx.app.redis.get(email);\n    if (auth_token === redis_auth_token) ctx.body = 1;\n  }";
        assert_eq!(run(verified), 0);
        // compared before the result is checked; never verified
        assert_eq!(
            run("  const res = checkToken(auth_token);\n  const redis_auth_token = await ctx.app.redis.get(res.email);\n  if (auth_token === redis_auth_token) ctx.body = 1;"),
            1
        );
        assert_eq!(
            run("  const email = ctx.query.email;\n  if (email) {\n    const redis_auth_token = await ctx.app.redis.get(email);\n    if (auth_token === redis_auth_token) ctx.body = 1;\n  }"),
            1
        );
    }

    /// A handler that decodes the bearer token egg-jwt's middleware verified on every route to
    /// it reads verified claims (held-out panda-exam-backen: `config.jwt = { enable: true,
    /// match: /^\/(?!login|reg).*$/ }`, then `this.app.jwt.decode(ctx.request.header
    /// .authorization?.slice(7))` in `GET /me`). A token from elsewhere, a route egg-jwt does
    /// not cover, an app middleware of the same name, or a custom `getToken` stays reported.
    #[test]
    fn a_bearer_token_egg_jwt_verified_first() {
        let controller = r#"'use strict';
const { Controller } = require('egg');
class UserController extends Controller {
  async me() {
    const { ctx } = this;
    const token = ctx.request.header.authorization?.slice(7);
    ctx.body = this.app.jwt.decode(token);
  }
  async login() {
    this.ctx.body = this.app.jwt.decode(this.ctx.get('Authorization').split(' ')[1]);
  }
  async token() {
    const { authorization } = this.ctx.header;
    const raw = authorization.split(' ')[1];
    this.ctx.body = this.app.jwt.decode(raw);
  }
  async body() {
    this.ctx.body = this.app.jwt.decode(this.ctx.request.body.token);
  }
}
module.exports = UserController;
"#;
        let router = "module.exports = app => {\n  const { router, controller } = app;\n  router.get('/me', controller.user.me);\n  router.post('/login', controller.user.login);\n  router.get('/token', app.jwt, controller.user.token);\n  router.get('/body', app.jwt, controller.user.body);\n};\n";
        let run = |plugin: &str, jwt: &str, extra: &[(&str, &str)]| -> Vec<u32> {
            let config =
                format!("module.exports = () => ({{ keys: process.env.KEYS, jwt: {jwt} }});\n");
            let mut files = vec![
                (
                    "package.json",
                    r#"{"name":"a","dependencies":{"egg":"^3.0.0","egg-jwt":"^3.1.7"}}"#,
                ),
                ("config/plugin.js", plugin),
                ("config/config.default.js", config.as_str()),
                ("app/router.js", router),
                ("app/controller/user.js", controller),
            ];
            files.extend_from_slice(extra);
            let (_tmp, app) = crate::testing::load_app(&files);
            let mut lines: Vec<u32> = run_rule(&AuthenticationWeakenedInCode, &app)
                .iter()
                .map(|f| match &f.location {
                    eggsec_report::Location::File { line, .. } => *line,
                    l => panic!("{l:?}"),
                })
                .collect();
            lines.sort();
            lines
        };
        let egg_jwt = "exports.jwt = { enable: true, package: 'egg-jwt' };\n";
        let global = r"{ secret: process.env.JWT, enable: true, match: /^\/(?!login).*$/ }";
        // `/me` under the global middleware, `/token` under `app.jwt`: verified; `/login` is
        // not matched; `/body` decodes a token from the body
        assert_eq!(run(egg_jwt, global, &[]), [10, 18]);
        // only `app.jwt` routes: `/me` is no longer covered
        assert_eq!(
            run(egg_jwt, "{ secret: process.env.JWT }", &[]),
            [7, 10, 18]
        );
        // egg-jwt reads the token elsewhere: the header's token is not the one it verified
        let get_token = r"{ secret: process.env.JWT, enable: true, match: /^\/(?!login).*$/, getToken: ctx => ctx.query.t }";
        assert_eq!(run(egg_jwt, get_token, &[]), [7, 10, 15, 18]);
        // without egg-jwt, an app middleware named `jwt` is whatever it does
        let own = "module.exports = () => async (ctx, next) => { if (!ctx.get('authorization')) ctx.throw(401); await next(); };\n";
        let plain = "module.exports = app => {\n  const { router, controller, middleware } = app;\n  router.get('/me', middleware.jwt(), controller.user.me);\n};\n";
        assert_eq!(
            run(
                "",
                "{}",
                &[("app/middleware/jwt.js", own), ("app/router.js", plain)]
            ),
            [7, 10, 15, 18]
        );
    }
}
