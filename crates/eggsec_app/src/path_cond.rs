//! Whether a middleware's path-conditioned rejection covers a route.
//!
//! `eggsec_js::auth` records the tests on the request's path each rejection happens under
//! ([`PathCond`]: `if (options.authUrls.includes(ctx.url)) { …reject… }`,
//! `if (whiteList.includes(ctx.path)) return next();`). A route is protected by such a rejection
//! only when *every* request egg's router sends to the route takes it. This module answers that
//! by trying the requests that reach the route: each parameter filled with two values, and the
//! variants egg's router also sends there — a trailing slash (egg's router is not `strict`), a
//! query string for a test that reads `ctx.url` or `ctx.originalUrl` (egg's `ctx.path` has no
//! query, its `ctx.url` does). Egg's router is case-sensitive (`sensitive: true`), so no case
//! variant is tried.
//!
//! A list the code reads from the middleware's options is the global middleware's config
//! (`config.<name>`; egg passes it as the options); from `app.config`, the app's config. A list
//! eggsec cannot read, a RegExp it cannot compile or a route path that is a RegExp leaves the
//! rejection counted, as before.

use crate::routes::MiddlewareScope;
use eggsec_js::auth::{PathAtom, PathCond, PathList, PathOp, Rejection};
use eggsec_js::{Value, ValueKind};

/// How a path test answers over the requests of one route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// True for every request of the route.
    All,
    /// False for every one.
    Never,
    /// True for some: the sample it is false for.
    Some(usize),
    Unknown,
}

/// Where a middleware's options and the app's config are, for the lists a test reads.
pub struct Lists<'a> {
    pub config: &'a Value,
    /// The middleware's name and scope: `Options` lists are `config.<name>` for a global one.
    pub middleware: &'a str,
    pub scope: MiddlewareScope,
}

/// Why a path-conditioned rejection does not cover a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escape {
    /// The test and a request to the route that escapes it.
    pub why: String,
    /// The route is on the middleware's own list of paths it lets through
    /// (`if (whiteList.includes(ctx.path)) return next();`): public on purpose.
    pub listed: bool,
}

/// Whether `rej` happens for every request of the route at `path`: `Ok(())`, or how a request
/// escapes it.
pub fn covers(
    rej: &Rejection,
    path: &str,
    regex_path: bool,
    lists: &Lists<'_>,
) -> Result<(), Escape> {
    if rej.when.is_empty() || regex_path {
        return Ok(());
    }
    for c in &rej.when {
        let samples = samples(path, c.any.iter().any(|a| a.with_query));
        let why = match reach(c, &samples, lists) {
            Reach::All | Reach::Unknown => continue,
            Reach::Never => format!("rejects only when `{}`: never for `{path}`", c.text),
            Reach::Some(i) => format!(
                "rejects only when `{}`: not for a request to `{}`",
                c.text, samples[i]
            ),
        };
        return Err(Escape {
            why,
            listed: c.negated,
        });
    }
    Ok(())
}

fn reach(c: &PathCond, samples: &[String], lists: &Lists<'_>) -> Reach {
    let mut resolved = Vec::with_capacity(c.any.len());
    for a in &c.any {
        match resolve(a, lists) {
            Some(items) => resolved.push((a, items)),
            None => return Reach::Unknown,
        }
    }
    let mut first_false = None;
    let mut any_true = false;
    for (i, s) in samples.iter().enumerate() {
        let mut hit = false;
        for (a, items) in &resolved {
            match test(a, items, s) {
                Some(true) => {
                    hit = true;
                    break;
                }
                Some(false) => {}
                None => return Reach::Unknown,
            }
        }
        let holds = hit != c.negated;
        if holds {
            any_true = true;
        } else if first_false.is_none() {
            first_false = Some(i);
        }
    }
    match (any_true, first_false) {
        (true, None) => Reach::All,
        (false, _) => Reach::Never,
        (true, Some(i)) => Reach::Some(i),
    }
}

/// The strings of a test's list; `None` when eggsec cannot read them.
fn resolve(a: &PathAtom, lists: &Lists<'_>) -> Option<Vec<String>> {
    let value = match &a.list {
        PathList::Literal(items) => return Some(items.clone()),
        PathList::Options(keys) => {
            if lists.scope != MiddlewareScope::Global {
                return None;
            }
            let mut v = lists.config.get(lists.middleware)?;
            for k in keys {
                v = v.get(k)?;
            }
            v
        }
        PathList::Config(keys) => {
            let mut v = lists.config;
            for k in keys {
                v = v.get(k)?;
            }
            v
        }
    };
    let items = match &value.kind {
        ValueKind::String(s) => return Some(vec![s.clone()]),
        _ => value.as_list()?,
    };
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        match &i.kind {
            ValueKind::String(s) => out.push(s.clone()),
            ValueKind::Regex { source, flags } if a.op == PathOp::Regex => {
                out.push(if flags.contains('i') {
                    format!("(?i){source}")
                } else {
                    source.clone()
                })
            }
            // `includes` of a RegExp never equals a string
            ValueKind::Regex { .. } => {}
            _ => return None,
        }
    }
    Some(out)
}

/// One test on one request (`None`: a RegExp eggsec cannot compile).
fn test(a: &PathAtom, items: &[String], sample: &str) -> Option<bool> {
    let s = if a.with_query {
        sample
    } else {
        sample.split('?').next().unwrap_or(sample)
    };
    Some(match a.op {
        PathOp::Equals => items.iter().any(|i| i == s),
        PathOp::StartsWith => items.iter().any(|i| s.starts_with(i.as_str())),
        PathOp::Contains => items.iter().any(|i| s.contains(i.as_str())),
        PathOp::Regex => {
            for i in items {
                if crate::js_regex::JsRegex::compile(i)?.test(s)? {
                    return Some(true);
                }
            }
            false
        }
    })
}

/// Requests egg's router sends to a route path: parameters filled with `1` and with `p`
/// (`*` and `(.*)` with `x/y`), each as written, with the trailing slash added (or removed),
/// and with a query string when `with_query`.
fn samples(path: &str, with_query: bool) -> Vec<String> {
    let fill = |v: &str| -> String {
        path.split('/')
            .map(|seg| {
                if let Some(i) = seg.find(':') {
                    format!("{}{v}", &seg[..i])
                } else if seg == "*" || seg == "(.*)" {
                    "x/y".to_string()
                } else {
                    seg.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut bases = vec![fill("1")];
    let other = fill("p");
    if other != bases[0] {
        bases.push(other);
    }
    let mut out = Vec::with_capacity(bases.len() * 3);
    for b in bases {
        let slash = match b.strip_suffix('/') {
            Some(t) if !t.is_empty() => t.to_string(),
            Some(_) => String::new(),
            None => format!("{b}/"),
        };
        let q = format!("{b}?a=1");
        out.push(b);
        if !slash.is_empty() {
            out.push(slash);
        }
        if with_query {
            out.push(q);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use eggsec_js::Provenance;

    fn atom(op: PathOp, list: &[&str], with_query: bool) -> PathAtom {
        PathAtom {
            op,
            list: PathList::Literal(list.iter().map(|s| s.to_string()).collect()),
            with_query,
        }
    }

    fn rej(any: Vec<PathAtom>, negated: bool) -> Rejection {
        Rejection {
            line: 1,
            what: "ctx.throw(401)".into(),
            when: vec![PathCond {
                any,
                negated,
                text: "t".into(),
            }],
        }
    }

    fn on(r: &Rejection, path: &str) -> bool {
        let config = Value::unknown("none", Provenance::synthetic("x"));
        let lists = Lists {
            config: &config,
            middleware: "auth",
            scope: MiddlewareScope::Global,
        };
        covers(r, path, false, &lists).is_ok()
    }

    #[test]
    fn an_allow_list_of_urls_covers_none_of_its_routes_entirely() {
        // `if (authUrls.includes(ctx.url)) { …reject… }`: `/users/` and `/users?a=1` escape
        let r = rej(vec![atom(PathOp::Equals, &["/users"], true)], false);
        assert!(!on(&r, "/users"));
        assert!(!on(&r, "/v1/users"));
        assert!(!on(&r, "/users/:id"));
    }

    #[test]
    fn a_white_list_leaves_every_other_route_covered() {
        // `if (whiteList.includes(ctx.path)) return next();` then the check
        let r = rej(
            vec![atom(PathOp::Equals, &["/login", "/register"], false)],
            true,
        );
        assert!(on(&r, "/api/users"));
        assert!(on(&r, "/users/:id"));
        assert!(!on(&r, "/login"));
    }

    #[test]
    fn a_prefix_covers_the_routes_under_it() {
        let r = rej(vec![atom(PathOp::StartsWith, &["/api/"], false)], false);
        assert!(on(&r, "/api/users/:id"));
        assert!(!on(&r, "/public/x"));
        // `if (!/^\/api\//.test(ctx.path)) return next();`
        let r = rej(vec![atom(PathOp::Regex, &["^\\/api\\/"], false)], false);
        assert!(on(&r, "/api/users"));
        assert!(!on(&r, "/home"));
        // a parameter the prefix depends on: some requests escape
        let r = rej(vec![atom(PathOp::StartsWith, &["/p"], false)], false);
        assert!(!on(&r, "/:page"));
    }

    #[test]
    fn an_unreadable_list_leaves_the_rejection_counted() {
        let r = Rejection {
            line: 1,
            what: "x".into(),
            when: vec![PathCond {
                any: vec![PathAtom {
                    op: PathOp::Equals,
                    list: PathList::Options(vec!["authUrls".into()]),
                    with_query: true,
                }],
                negated: false,
                text: "t".into(),
            }],
        };
        assert!(on(&r, "/users"));
    }

    #[test]
    fn samples_of_a_route() {
        assert_eq!(samples("/", false), vec!["/"]);
        assert_eq!(
            samples("/u/:id", true),
            vec!["/u/1", "/u/1/", "/u/1?a=1", "/u/p", "/u/p/", "/u/p?a=1"]
        );
    }
}
