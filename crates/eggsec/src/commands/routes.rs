//! `eggsec routes`: every route with its handler, middleware chain, CSRF and auth status.

use crate::cli::{ModelFormat, RoutesArgs};
use anyhow::Result;
use eggsec_app::routes::{AuthStatus, CsrfStatus, Route};
use serde_json::json;
use std::process::ExitCode;

/// One route as the JSON contract says:
/// `{"method","path","handler","file","line","middleware","csrf","auth"}` (+ name, namespace).
pub fn route_json(r: &Route) -> serde_json::Value {
    let mut v = json!({
        "method": r.method,
        "path": r.path,
        "name": r.name,
        "handler": r.handler,
        "file": r.file.to_string_lossy().replace('\\', "/"),
        "line": r.line,
        "middleware": r.middleware.iter().map(mw_label).collect::<Vec<_>>(),
        "csrf": r.csrf,
        "auth": r.auth,
        "protected_by": r.protected_by,
        "namespace": r.namespace,
    });
    if let (Some(p), Some(o)) = (&r.public_by, v.as_object_mut()) {
        o.insert("public_by".into(), json!(p));
    }
    v
}

fn mw_label(m: &eggsec_app::routes::RouteMiddleware) -> String {
    match &m.conditional {
        Some(_) => format!("{}?", m.name),
        None => m.name.clone(),
    }
}

fn csrf_label(c: CsrfStatus) -> &'static str {
    match c {
        CsrfStatus::Protected => "protected",
        CsrfStatus::Exempt => "exempt",
        CsrfStatus::Unknown => "unknown",
    }
}

fn auth_label(a: AuthStatus) -> &'static str {
    match a {
        AuthStatus::Required => "required",
        AuthStatus::None => "none",
        AuthStatus::Unknown => "unknown",
    }
}

pub fn run(args: RoutesArgs) -> Result<ExitCode> {
    let (mut models, failed) = super::load_models_and_failures(&args.app, args.env.as_deref())?;
    for m in &mut models {
        // the user's own protectors (eggsec.toml) decide the auth column too
        let opts = eggsec_rules::config::Settings::load(&m.root).auth_options();
        if opts != eggsec_app::auth::AuthOptions::default() {
            eggsec_app::auth::apply(m, &opts);
        }
    }
    let mut out = String::new();
    let mut docs = Vec::new();
    let mut unknown = false;
    for m in &models {
        let rows: Vec<_> = m.routes.iter().map(route_json).collect();
        // never an empty table that looks clean (the reason is also a warning on stderr)
        let why = eggsec_app::routes::routes_unknown(&m.root, &m.routes, &m.code, &m.frameworks);
        unknown |= why.is_some();
        match args.format {
            ModelFormat::Json => docs.push((m.root.display().to_string(), rows)),
            ModelFormat::Text => {
                out.push_str(&format!(
                    "# {}  env: {}  routes: {}\n",
                    m.root.display(),
                    m.env,
                    m.routes.len()
                ));
                if let Some(why) = &why {
                    out.push_str(&format!("# UNKNOWN: {why}\n"));
                }
                if let Some(why) = m.uncertain.middleware_doubt() {
                    out.push_str(&format!("# UNKNOWN: {why}\n"));
                }
                out.push_str(&format!(
                    "{:<7} {:<28} {:<26} {:<34} {:<9} {:<8} {:<24} {}\n",
                    "METHOD",
                    "PATH",
                    "HANDLER",
                    "FILE:LINE",
                    "CSRF",
                    "AUTH",
                    "PROTECTED BY",
                    "MIDDLEWARE"
                ));
                for r in &m.routes {
                    // global middleware is the same for most routes: show route-level ones and
                    // conditional/filtered globals compactly
                    let mw: Vec<String> = r.middleware.iter().map(mw_label).collect();
                    out.push_str(&format!(
                        "{:<7} {:<28} {:<26} {:<34} {:<9} {:<8} {:<24} {}\n",
                        r.method,
                        r.path,
                        r.handler,
                        format!("{}:{}", r.file.display(), r.line),
                        csrf_label(r.csrf),
                        auth_label(r.auth),
                        match (&r.protected_by, &r.public_by) {
                            (Some(p), _) => format!("{} {}", p.kind, p.name),
                            // `auth (app/middleware/auth.js:9 lets …)`: the middleware's name
                            (None, Some(p)) =>
                                format!("listed public by {}", p.split(" (").next().unwrap_or(p)),
                            (None, None) => "-".into(),
                        },
                        mw.join(" → ")
                    ));
                }
                if m.routes.iter().any(|r| r.namespace.is_some()) {
                    out.push_str("(routes under an egg-router-plus namespace are mounted separately and are not in app.router.stack)\n");
                }
                if m.routes
                    .iter()
                    .any(|r| r.middleware.iter().any(|x| x.conditional.is_some()))
                {
                    out.push_str("? = applies under a condition eggsec cannot decide (function or RegExp match/ignore)\n");
                }
            }
        }
    }
    let text = match args.format {
        ModelFormat::Json if docs.len() == 1 => serde_json::to_string_pretty(&docs[0].1)?,
        ModelFormat::Json => serde_json::to_string_pretty(
            &docs
                .into_iter()
                .map(|(root, r)| json!({"root": root, "routes": r}))
                .collect::<Vec<_>>(),
        )?,
        ModelFormat::Text => out,
    };
    super::emit(&text, None)?;
    if let Some(code) = super::partial_load_exit("routes", &models, &failed, args.allow_partial) {
        return Ok(code);
    }
    if unknown {
        return Ok(ExitCode::from(ROUTES_UNKNOWN));
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit status of `routes` when eggsec cannot know an app's routes (the table is not the app's).
pub const ROUTES_UNKNOWN: u8 = 3;
