//! Active checks (`--active` only): state-changing requests that test CSRF enforcement and
//! error handling. They may change data: run them against staging.

use crate::findings::at;
use crate::headers::cookie_jar;
use crate::http::{run_parallel, Exchange, RequestSpec};
use crate::passive::leak_findings;
use crate::Session;
use eggsec_report::{Finding, Severity, Strategy};

/// Runs the CSRF tests on every state-changing route (or the target path) and the error
/// triggers on the target.
pub fn run(s: &Session, main: &Exchange) -> Vec<Finding> {
    let mut out = Vec::new();
    let hints = &s.opts.hints;
    let mut targets: Vec<(String, String)> = hints.state_changing.clone();
    if targets.is_empty() {
        s.note("no state-changing routes known (pass --app once the app model lists routes): CSRF tests POST to the target URL, where egg-security's csrf middleware runs before routing");
        targets.push(("POST".into(), main.url.clone()));
    }
    // A token: the secret from the csrf cookie (egg accepts the secret itself as the token).
    let token = cookie_jar(main.headers.all("set-cookie"))
        .into_iter()
        .find(|c| c.name == hints.csrf_cookie_name)
        .map(|c| c.value);
    if token.is_none() {
        s.note(format!(
            "no `{}` cookie on the target response: the right-token test is skipped (csrf off, useSession, or a custom cookie name)",
            hints.csrf_cookie_name
        ));
    }
    let (results, triggers) = std::thread::scope(|scope| {
        let t = scope.spawn(|| {
            let mut o = Vec::new();
            error_triggers(s, main, token.as_deref(), &mut o);
            o
        });
        let r = run_parallel(&targets, s.opts.concurrency, |(method, path)| {
            csrf_route(s, method, path, token.as_deref())
        });
        (r, t.join().unwrap_or_default())
    });
    for r in results {
        out.extend(r);
    }
    out.extend(triggers);
    let enforced = s.csrf_enforced.lock().map(|e| e.len()).unwrap_or(0);
    if enforced > 0 {
        s.note(format!(
            "CSRF enforced on {enforced} of {} state-changing routes (no token and a wrong token got 403{})",
            targets.len(),
            if token.is_some() { ", the cookie's token passed" } else { "" }
        ));
    }
    out
}

fn csrf_route(s: &Session, method: &str, path: &str, token: Option<&str>) -> Vec<Finding> {
    let hints = &s.opts.hints;
    let mut out = Vec::new();
    let cookie_name = &hints.csrf_cookie_name;
    let form = |spec: RequestSpec| {
        spec.header("content-type", "application/x-www-form-urlencoded")
            .body("eggsec=probe")
    };
    let with_cookie = |spec: RequestSpec| match token {
        Some(t) => spec.header("cookie", &format!("{cookie_name}={t}")),
        None => spec,
    };
    let referer_mode = hints.csrf_type == "referer";
    // 1. No token (the secret cookie is sent: only the token is missing).
    let none = s.fetch(&form(with_cookie(RequestSpec::method(method, path))));
    // 2. A wrong token.
    let wrong = s.fetch(&form(with_cookie(
        RequestSpec::method(method, path).header(&hints.csrf_header_name, "eggsec-wrong-token"),
    )));
    // 3. The right token.
    let right = token.and_then(|t| {
        s.fetch(&form(with_cookie(
            RequestSpec::method(method, path)
                .header(&hints.csrf_header_name, t)
                .header("referer", &format!("{}/", s.client.origin())),
        )))
    });
    // 4. JSON without a token (egg's deprecated ignoreJSON).
    let json = s.fetch(
        &with_cookie(RequestSpec::method(method, path))
            .header("content-type", "application/json")
            .body("{\"eggsec\":\"probe\"}"),
    );
    let fix = "Keep `config.security.csrf.enable = true` (the default), remove the route from `security.csrf.ignore`/`match`, and never set `ignoreJSON`.";
    let evidence =
        |label: &str, ex: &Exchange| format!("{label}: {method} {} → {}", ex.url, ex.status);
    if let Some(ex) = &none {
        if ex.status != 403 && !referer_mode {
            out.push(at(
                "PRB501",
                "csrf-not-enforced-without-token",
                Strategy::Csrf,
                Severity::High,
                &ex.url,
                format!(
                    "A {method} without a CSRF token was not rejected (got {}, expected 403)",
                    ex.status
                ),
                vec![evidence("no token", ex)],
                fix,
            ));
        }
    }
    if let Some(ex) = &wrong {
        if ex.status != 403 && !referer_mode {
            out.push(at(
                "PRB502",
                "csrf-wrong-token-accepted",
                Strategy::Csrf,
                Severity::High,
                &ex.url,
                format!(
                    "A {method} with a wrong CSRF token was not rejected (got {}, expected 403)",
                    ex.status
                ),
                vec![evidence("wrong token", ex)],
                fix,
            ));
        }
    }
    if let Some(ex) = &right {
        if ex.status == 403 {
            out.push(at("PRB503", "csrf-valid-token-rejected", Strategy::Csrf, Severity::Info, &ex.url,
                format!("A {method} with the token from the `{cookie_name}` cookie was still rejected (403): check the csrf type and header name"),
                vec![evidence("right token", ex)],
                "Check `security.csrf.type`, `headerName` and `cookieName` against what the front end sends."));
        }
    }
    if let (Some(ex), Some(base)) = (&json, &none) {
        if ex.status != 403 && base.status == 403 {
            out.push(at("PRB504", "csrf-json-without-token-accepted", Strategy::Csrf, Severity::High, &ex.url,
                format!("A JSON {method} without a CSRF token was accepted (got {}) while a form post was rejected: `ignoreJSON` is on", ex.status),
                vec![evidence("json, no token", ex)],
                "Remove `config.security.csrf.ignoreJSON` (deprecated: a form can post JSON-looking bodies)."));
        }
    }
    let rejected = |ex: &Option<Exchange>| ex.as_ref().is_some_and(|e| e.status == 403);
    let right_ok = right.as_ref().is_none_or(|e| e.status != 403);
    if !referer_mode && rejected(&none) && rejected(&wrong) && right_ok {
        if let Ok(mut e) = s.csrf_enforced.lock() {
            e.push(format!("{method} {path}"));
        }
    }
    if referer_mode || hints.csrf_type == "all" {
        let foreign = s.fetch(&form(
            with_cookie(RequestSpec::method(method, path))
                .header("referer", "https://eggsec-probe.example/attack"),
        ));
        if let Some(ex) = foreign {
            if ex.status != 403 {
                out.push(at("PRB505", "csrf-foreign-referer-accepted", Strategy::Csrf, Severity::High, &ex.url,
                    format!("A {method} with a foreign Referer was accepted (got {}) although csrf type is `{}`", ex.status, hints.csrf_type),
                    vec![evidence("foreign referer", &ex)],
                    "Check `security.csrf.refererWhiteList` and `security.domainWhiteList` for over-broad entries."));
            }
        }
    }
    out
}

fn error_triggers(s: &Session, main: &Exchange, token: Option<&str>, out: &mut Vec<Finding>) {
    let hints = &s.opts.hints;
    let path = main.url.clone();
    let authed = |spec: RequestSpec| match token {
        Some(t) => spec
            .header("cookie", &format!("{}={t}", hints.csrf_cookie_name))
            .header(&hints.csrf_header_name, t),
        None => spec,
    };
    let json = |body: Vec<u8>| {
        authed(RequestSpec::method("POST", &path))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body)
    };
    let over = (hints.json_limit as usize + 1024).min(4 * 1024 * 1024);
    let mut big = b"{\"a\":\"".to_vec();
    big.resize(over, b'x');
    big.extend_from_slice(b"\"}");
    let triggers: Vec<(&str, RequestSpec)> = vec![
        ("malformed JSON", json(b"{\"eggsec\": ".to_vec())),
        (
            "malformed JSON (HTML accepted)",
            authed(RequestSpec::method("POST", &path))
                .header("content-type", "application/json")
                .header("accept", "text/html")
                .body(b"{\"eggsec\": ".to_vec()),
        ),
        ("oversized body", json(big)),
        (
            "wrong parameter types",
            json(
                b"{\"id\":{\"$gt\":\"\"},\"page\":[1,2],\"limit\":\"x\",\"name\":{\"a\":1}}"
                    .to_vec(),
            ),
        ),
        (
            "wrong query types",
            RequestSpec::get(&format!(
                "{path}{}id[$ne]=1&page[]=a&limit=-1",
                if path.contains('?') { "&" } else { "?" }
            )),
        ),
        ("unknown method", RequestSpec::method("EGGSEC", &path)),
    ];
    let results = run_parallel(&triggers, s.opts.concurrency, |(label, spec)| {
        (label.to_string(), s.fetch(spec))
    });
    for (label, ex) in results {
        let Some(ex) = ex else { continue };
        leak_findings(&ex, &format!("the response to {label}"), out);
        if label == "oversized body" && (200..300).contains(&ex.status) {
            out.push(at("PRB606", "oversized-body-accepted", Strategy::Errors, Severity::Medium, &ex.url,
                format!("A {} byte JSON body over the configured limit was accepted ({})", over, ex.status),
                vec![format!("POST {} ({over} bytes) → {}", ex.url, ex.status)],
                "Keep `config.bodyParser.jsonLimit` small (egg default '100kb') and do not raise it app-wide."));
        }
        if ex.status >= 500 {
            out.push(at("PRB605", "server-error-on-bad-input", Strategy::Errors, Severity::Low, &ex.url,
                format!("Bad input ({label}) made the app answer {}: input errors should be 4xx", ex.status),
                vec![format!("{label}: {} {} → {}", ex.method, ex.url, ex.status)],
                "Validate input (egg-validate, `ctx.validate`) and map validation errors to 400/422 in `config.onerror`."));
        }
    }
}
