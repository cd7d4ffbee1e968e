//! What carries an app's user credential, as far as its own code and plugins show: a session
//! or cookie (what a cross-site request or a framed page carries), only a header token, or no
//! authentication at all. CSRF001 and HDR007 weigh their findings by it.

use eggsec_js::ValueKind;

/// What carries the user's credential, as far as the app's own code and plugins show.
pub(crate) enum Transport {
    /// A session or a cookie (what a cross-site request carries), or nothing seen either way.
    CookieOrUnknown,
    /// Only a header token (egg-jwt, `Authorization`): a cross-site request carries none.
    /// `dead`: session or cookie code the effective config switches off, said in the message.
    HeaderOnly {
        header: String,
        dead: Option<String>,
    },
    /// No credential at all: no auth plugin, no session or signed-cookie read, no
    /// `Authorization` read, and no route that requires authentication.
    NoAuthentication,
}

/// Whether the app's credentials ride only in a header: a header token is seen (the egg-jwt
/// plugin, code reading the `Authorization` header) and no session or cookie is (egg-passport,
/// `ctx.session`, `ctx.cookies.get`, the `Cookie` header).
pub(crate) fn credential_transport(app: &eggsec_app::AppModel) -> Transport {
    let enabled = |pkg: &str| {
        app.plugins.iter().any(|p| {
            p.enabled
                && p.package
                    .as_deref()
                    .is_some_and(|x| x == pkg || x.ends_with(&format!("/{pkg}")))
        })
    };
    if enabled("egg-passport") || enabled("passport") {
        return Transport::CookieOrUnknown;
    }
    let mut header = if enabled("egg-jwt") {
        Some("egg-jwt (the Authorization header)".to_string())
    } else if enabled("egg-oauth2-server") {
        Some("egg-oauth2-server's bearer token".to_string())
    } else {
        None
    };
    let mut dead = None;
    let mut raw_cookie_read = false;
    for file in &app.code.files {
        for u in &file.facts.uses {
            let chain: Vec<&str> = std::iter::once(u.root.as_str())
                .chain(u.path.iter().map(String::as_str))
                .collect();
            let pair = |a: &str, b: &str| chain.windows(2).any(|w| w[0] == a && w[1] == b);
            let session = pair("ctx", "session")
                || (u.root == "this" && chain.get(1) == Some(&"session"))
                || pair("cookies", "get");
            // `ctx.header.cookie`, `ctx.headers.cookie`, `ctx.get('Cookie')`
            let reads_header = |name: &str| {
                pair("header", name)
                    || pair("headers", name)
                    || (chain.last() == Some(&"get")
                        && u.args.first().is_some_and(|a| a.eq_ignore_ascii_case(name)))
            };
            let raw_cookie = reads_header("cookie");
            if session || raw_cookie {
                if let Some(why) = switched_off_by_config(app, file, u) {
                    dead.get_or_insert(why);
                    continue;
                }
                // a middleware that parses the Cookie header may load the user from it
                if session || file.role == eggsec_app::routes::FileRole::Middleware {
                    return Transport::CookieOrUnknown;
                }
                raw_cookie_read = true;
                continue;
            }
            let authorization = reads_header("authorization");
            if authorization && header.is_none() {
                header = Some(format!(
                    "the Authorization header ({}:{})",
                    file.rel, u.line
                ));
            }
        }
    }
    match header {
        Some(_) if raw_cookie_read => Transport::CookieOrUnknown,
        Some(header) => Transport::HeaderOnly { header, dead },
        None if no_route_requires_auth(app) => Transport::NoAuthentication,
        None => Transport::CookieOrUnknown,
    }
}

/// eggsec's auth model finds no authentication at all: the app's routes are all known, there
/// is at least one, and on none does a middleware, decorator, guard or check reject anonymous
/// requests (or might).
fn no_route_requires_auth(app: &eggsec_app::AppModel) -> bool {
    !app.routes.is_empty()
        && app
            .routes
            .iter()
            .all(|r| r.auth == eggsec_app::routes::AuthStatus::None && r.protected_by.is_none())
        && eggsec_app::routes::routes_unknown(&app.root, &app.routes, &app.code, &app.frameworks)
            .is_none()
}

/// Whether a use runs only under a config test the effective config makes false (egg-beehive:
/// `if (app.config.verification_mode === 'jwt') { … } else { ctx.session … }` with the mode
/// `'jwt'`), and which. Tests of config that is not statically known decide nothing.
fn switched_off_by_config(
    app: &eggsec_app::AppModel,
    file: &eggsec_app::routes::CodeFile,
    u: &eggsec_js::uses::MemberUse,
) -> Option<String> {
    let text = file.text.as_deref()?;
    let guards = eggsec_js::config_guard::guards_at(&file.abs, text, u.line, u.column).ok()?;
    guards.iter().find_map(|g| {
        let v = app.config_at(&g.key)?;
        let actual = match &v.kind {
            ValueKind::String(s) => s.clone(),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Number(n) => n.to_string(),
            _ => return None,
        };
        ((actual == g.literal) != g.equal).then(|| {
            format!(
                "{}:{} runs only when config.{} {} {:?}; it is {:?}",
                file.rel,
                u.line,
                g.key,
                if g.equal { "is" } else { "is not" },
                g.literal,
                actual
            )
        })
    })
}
