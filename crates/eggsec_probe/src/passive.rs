//! Passive checks: GET/HEAD/OPTIONS/TRACE requests that change nothing on the server.

use crate::csp::{self, CspSeverity};
use crate::findings::{at, from_observatory};
use crate::headers::{cookie_jar, Headers, SetCookie};
use crate::http::{run_parallel, Exchange, RequestSpec};
use crate::leak::{self, LeakKind};
use crate::observatory::{self, is_session_cookie, Observatory, ObservatoryInput};
use crate::{Session, PROBE_ORIGIN};
use eggsec_report::{Finding, Severity, Strategy};

fn set_cookies(ex: &Exchange) -> Vec<String> {
    ex.headers
        .all("set-cookie")
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Grades the main response (plus `/robots.txt` cookies and a CORS preflight) and turns
/// failing tests into findings.
pub fn grade_main(
    s: &Session,
    main: &Exchange,
    notes: &mut Vec<String>,
    findings: &mut Vec<Finding>,
) -> Observatory {
    let https = s.client.is_https() || s.opts.assume_https;
    let mut cookies = set_cookies(main);
    if let Some(robots) = s.fetch(&RequestSpec::get("/robots.txt")) {
        cookies.extend(set_cookies(&robots));
    }
    let preflight = s
        .fetch(
            &RequestSpec::method("OPTIONS", &main.url)
                .header("origin", PROBE_ORIGIN)
                .header("access-control-request-method", "GET"),
        )
        .map(|e| e.headers);
    let http_chain = if s.client.is_https() || s.opts.assume_https {
        notes.push("redirection test not assessed: the probe never contacts the other scheme of the origin (origin lock)".into());
        None
    } else {
        let mut chain: Vec<String> = main.chain.iter().map(|h| h.url.clone()).collect();
        chain.push(main.url.clone());
        if let Some(off) = &main.off_origin_redirect {
            chain.push(off.clone());
        }
        Some(chain)
    };
    if s.opts.assume_https {
        notes.push("graded as if served over HTTPS behind a TLS proxy (--assume-https; X-Forwarded-Proto: https sent)".into());
    } else if !s.client.is_https() {
        notes.push("plain http:// target: HSTS and Secure-cookie results reflect this setup; pass --assume-https to grade a local app the way a TLS proxy serves it".into());
    }
    if !matches!(main.status, 200..=399 | 401 | 403) {
        notes.push(format!(
            "the target answered {}: the Observatory itself would refuse to grade it",
            main.status
        ));
    }
    notes.push("HSTS preload list not bundled: hsts-preloaded is never awarded".into());
    let input = ObservatoryInput {
        https,
        url: main.url.clone(),
        headers: main.headers.clone(),
        body: main.body_text(),
        set_cookies: cookies.clone(),
        preflight,
        cors_origin: PROBE_ORIGIN.into(),
        http_chain,
    };
    let grade = observatory::grade(&input);
    findings.extend(from_observatory(&main.url, &grade.tests, |test| {
        evidence_for(test, &main.headers, &cookies)
    }));
    grade
}

fn evidence_for(test: &str, headers: &Headers, cookies: &[String]) -> Vec<String> {
    let names: &[&str] = match test {
        "content-security-policy" => &[
            "content-security-policy",
            "content-security-policy-report-only",
        ],
        "cookies" => {
            return cookies
                .iter()
                .filter_map(|c| SetCookie::parse(c))
                .map(|c| format!("Set-Cookie: {}", mask_cookie(&c)))
                .collect();
        }
        "cross-origin-resource-sharing" => &[],
        "redirection" => &["location"],
        other => &[other][..],
    };
    let mut out = Vec::new();
    for n in names {
        let all = headers.all(n);
        if all.is_empty() {
            out.push(format!("{n}: (absent)"));
        }
        for v in all {
            out.push(format!("{n}: {v}"));
        }
    }
    out
}

/// Every other passive check.
pub fn run(s: &Session, main: &Exchange, notes: &mut Vec<String>) -> Vec<Finding> {
    let mut out = Vec::new();
    header_extras(s, main, &mut out);
    let mut all_cookies = set_cookies(main);
    let not_found = not_found_page(s, &mut out);
    if let Some(nf) = &not_found {
        all_cookies.extend(set_cookies(nf));
    }
    cookie_checks(&main.url, &all_cookies, &mut out);
    trace_track(s, main, &mut out);
    traversal(s, &mut out);
    cors(s, main, &mut out);
    forwarded_trust(s, main, &mut out);
    routes(s, main, notes, &mut out);
    out
}

fn csp_severity(sev: CspSeverity) -> Severity {
    match sev {
        CspSeverity::High => Severity::High,
        CspSeverity::Syntax | CspSeverity::Medium => Severity::Medium,
        CspSeverity::MediumMaybe => Severity::Low,
        CspSeverity::Info => Severity::Info,
    }
}

fn nonce_of(csp_value: &str) -> Option<String> {
    csp_value
        .split_whitespace()
        .find_map(|w| w.strip_prefix("'nonce-"))
        .map(|n| n.trim_end_matches(['\'', ';']).to_string())
}

fn header_extras(s: &Session, main: &Exchange, out: &mut Vec<Finding>) {
    let url = &main.url;
    let h = &main.headers;
    let csp_fix = "Adjust `config.security.csp.policy` (egg-security) so the policy passes Google's CSP Evaluator: no 'unsafe-inline'/'unsafe-eval', no bare schemes or '*', `object-src 'none'`, `base-uri 'none'`, kebab-case directive names.";
    for value in h.all("content-security-policy") {
        for issue in csp::evaluate(value) {
            out.push(at(
                "PRB201",
                &format!(
                    "csp-evaluator-{}",
                    issue.kind.to_ascii_lowercase().replace('_', "-")
                ),
                Strategy::Headers,
                csp_severity(issue.severity),
                url,
                format!("CSP Evaluator: {}", issue.message),
                vec![format!("{} {}", issue.directive, issue.value)
                    .trim()
                    .to_string()],
                csp_fix,
            ));
        }
    }
    // Nonce reuse across responses.
    if let Some(n1) = h
        .merged("content-security-policy")
        .and_then(|v| nonce_of(&v))
    {
        if let Some(again) = s.fetch(&RequestSpec::get(url)) {
            let n2 = again
                .headers
                .merged("content-security-policy")
                .and_then(|v| nonce_of(&v));
            if n2.as_deref() == Some(n1.as_str()) {
                out.push(at("PRB208", "csp-nonce-reused", Strategy::Headers, Severity::High, url,
                    "Two responses carried the same CSP nonce: an attacker who sees one page can inject scripts into the next",
                    vec![format!("nonce-{n1} on two responses")],
                    "Do not cache pages with a CSP nonce (a CDN or a page cache replays it); egg-security makes a fresh `ctx.nonce` per request."));
            }
        }
    }
    if let Some(n) = h.merged("x-csp-nonce") {
        out.push(at("PRB207", "csp-nonce-exposed-in-header", Strategy::Headers, Severity::Info, url,
            "egg-security leaks the CSP nonce in the X-CSP-Nonce response header (and makes it with nanoid/non-secure)",
            vec![format!("x-csp-nonce: {n}")],
            "Strip `X-CSP-Nonce` at the proxy (egg-security always sends it with the CSP), and never reflect it into pages."));
    }
    if !h.has("permissions-policy") {
        out.push(at("PRB202", "permissions-policy-missing", Strategy::Headers, Severity::Low, url,
            "No Permissions-Policy header: every powerful browser feature stays available to injected or framed content",
            vec!["permissions-policy: (absent)".into()],
            "egg-security cannot send it: add a middleware, e.g. `ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()')`, or set it at the proxy."));
    }
    let missing: Vec<&str> = [
        "cross-origin-opener-policy",
        "cross-origin-embedder-policy",
        "cross-origin-resource-policy",
    ]
    .into_iter()
    .filter(|n| !h.has(n))
    .collect();
    if !missing.is_empty() {
        out.push(at("PRB203", "cross-origin-isolation-headers-missing", Strategy::Headers, Severity::Info, url,
            "No cross-origin isolation headers (worth +10 each on the Observatory)",
            missing.iter().map(|n| format!("{n}: (absent)")).collect(),
            "Add a middleware that sets `Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Resource-Policy: same-origin` and, if every subresource allows it, `Cross-Origin-Embedder-Policy: require-corp`."));
    }
    const DISCLOSURE: [&str; 14] = [
        "server",
        "x-powered-by",
        "powered-by",
        "x-aspnet-version",
        "x-aspnetmvc-version",
        "x-php-version",
        "x-generator",
        "x-generated-by",
        "x-framework",
        "x-varnish-backend",
        "x-varnish-server",
        "x-envoy-upstream-service-time",
        "x-kong-upstream-latency",
        "x-sourcemap",
    ];
    for name in DISCLOSURE {
        if let Some(v) = h.merged(name) {
            let versioned = v.chars().any(|c| c.is_ascii_digit());
            out.push(at("PRB204", "server-software-disclosed", Strategy::Headers,
                if versioned { Severity::Low } else { Severity::Info }, url,
                format!("The `{name}` header tells clients what software runs the site"),
                vec![format!("{name}: {v}")],
                "Remove the header at the proxy (nginx `server_tokens off; proxy_hide_header X-Powered-By;`) or in a middleware (`ctx.remove('X-Powered-By')`)."));
        }
    }
    if let Some(v) = h.merged("x-readtime") {
        out.push(at("PRB205", "egg-readtime-header-sent", Strategy::Headers, Severity::Low, url,
            "egg's `meta` middleware sends x-readtime on every response: it identifies egg and leaks server timing",
            vec![format!("x-readtime: {v}")],
            "Set `config.meta = { enable: false }` (or at least in config/config.prod.js)."));
    }
    if let Some(v) = h.merged("x-xss-protection") {
        if v.trim() != "0" {
            out.push(at("PRB206", "x-xss-protection-enabled", Strategy::Headers, Severity::Low, url,
                "X-XSS-Protection turns on the legacy XSS auditor, which OWASP and MDN advise against",
                vec![format!("x-xss-protection: {v}")],
                "Set `config.security.xssProtection = { enable: true, value: '0' }` (or `enable: false`) and rely on CSP."));
        }
    }
    for name in h.duplicated() {
        out.push(at("PRB209", "security-header-sent-twice", Strategy::Headers, Severity::Medium, url,
            format!("`{name}` is sent {} times: clients merge it to `a, a`, which browsers and the Observatory treat as invalid", h.count(&name)),
            h.all(&name).iter().map(|v| format!("{name}: {v}")).collect(),
            "Set each security header in one place: either egg-security (`config.security.*`) or the reverse proxy, not both."));
    }
}

/// Cookie checks beyond the Observatory: per cookie, with the egg config that fixes it.
pub fn cookie_checks(url: &str, lines: &[String], out: &mut Vec<Finding>) {
    let mut seen: Vec<String> = Vec::new();
    for raw in lines {
        let Some(c) = SetCookie::parse(raw) else {
            continue;
        };
        if seen.contains(&c.name) {
            continue;
        }
        seen.push(c.name.clone());
        let (strategy, fix_key) = cookie_owner(&c.name);
        let ev = vec![format!("Set-Cookie: {}", mask_cookie(&c))];
        let session_like = is_session_cookie(&c.name) || c.name == "EGG_SESS";
        if !c.secure {
            out.push(at("PRB301", "cookie-without-secure", strategy,
                if session_like { Severity::High } else { Severity::Medium }, url,
                format!("Cookie `{}` is sent without Secure", c.name), ev.clone(),
                &format!("Serve over HTTPS; behind a TLS proxy set `config.proxy = true` so egg sees `ctx.secure` and marks {fix_key} Secure.")));
        }
        if session_like && !c.http_only {
            out.push(at(
                "PRB302",
                "session-cookie-without-httponly",
                strategy,
                Severity::High,
                url,
                format!(
                    "Session cookie `{}` is readable by JavaScript (no HttpOnly)",
                    c.name
                ),
                ev.clone(),
                &format!("Set `httpOnly: true` on {fix_key}."),
            ));
        }
        match c.same_site.as_deref() {
            None => out.push(at("PRB303", "cookie-without-samesite", strategy,
                if c.name.to_ascii_lowercase().contains("csrf") { Severity::Medium } else { Severity::Low }, url,
                format!("Cookie `{}` has no SameSite attribute", c.name), ev.clone(),
                &format!("Set `sameSite: 'lax'` on {fix_key} (or globally: `config.cookies = {{ sameSite: 'lax' }}`)."))),
            Some(v) if v.eq_ignore_ascii_case("none") && !c.secure => out.push(at("PRB304", "cookie-samesite-none-without-secure", strategy, Severity::High, url,
                format!("Cookie `{}` has SameSite=None without Secure: browsers reject it", c.name), ev.clone(),
                &format!("Use `sameSite: 'lax'` on {fix_key}, or serve it Secure."))),
            Some(_) if !c.same_site_valid() => out.push(at("PRB304", "cookie-samesite-invalid", strategy, Severity::Medium, url,
                format!("Cookie `{}` has an invalid SameSite value", c.name), ev.clone(),
                &format!("Use `sameSite: 'lax'` or `'strict'` on {fix_key}."))),
            _ => {}
        }
        if !c.prefix_ok() {
            out.push(at(
                "PRB305",
                "cookie-prefix-rules-broken",
                strategy,
                Severity::High,
                url,
                format!(
                    "Cookie `{}` breaks its __Secure-/__Host- prefix rules: browsers drop it",
                    c.name
                ),
                ev.clone(),
                "__Secure- needs Secure; __Host- needs Secure, Path=/ and no Domain.",
            ));
        }
        if let Some(d) = &c.domain {
            out.push(at("PRB307", "cookie-domain-scope-broad", strategy, Severity::Low, url,
                format!("Cookie `{}` is scoped to Domain={d}: every subdomain receives it", c.name), ev.clone(),
                &format!("Drop the `domain` option on {fix_key} (e.g. `security.csrf.cookieDomain`) unless subdomains must share it.")));
        }
        if session_like && !c.name.starts_with("__Host-") {
            out.push(at("PRB306", "session-cookie-without-host-prefix", strategy, Severity::Info, url,
                format!("Session cookie `{}` does not use the __Host- prefix", c.name), ev.clone(),
                "Hardening: `config.session.key = '__Host-EGG_SESS'` (needs Secure, Path=/, no Domain)."));
        }
    }
}

fn cookie_owner(name: &str) -> (Strategy, String) {
    if name.to_ascii_lowercase().contains("csrf") {
        (
            Strategy::Csrf,
            "the CSRF cookie (`config.security.csrf.cookieOptions`)".into(),
        )
    } else if name == "EGG_SESS" || name.to_ascii_lowercase().contains("sess") {
        (
            Strategy::Builtin,
            "the session cookie (`config.session`)".into(),
        )
    } else {
        (
            Strategy::Builtin,
            format!("cookie `{name}` (`ctx.cookies.set` options or `config.cookies`)"),
        )
    }
}

/// The cookie line with its value masked.
fn mask_cookie(c: &SetCookie) -> String {
    let masked = if c.value.len() > 8 {
        format!("{}****", &c.value[..4.min(c.value.len())])
    } else {
        "****".into()
    };
    match c.raw.split_once(';') {
        Some((_, attrs)) => format!("{}={};{}", c.name, masked, attrs),
        None => format!("{}={}", c.name, masked),
    }
}

fn trace_track(s: &Session, main: &Exchange, out: &mut Vec<Finding>) {
    for method in ["TRACE", "TRACK"] {
        let Some(ex) = s.fetch(&RequestSpec::method(method, &main.url)) else {
            continue;
        };
        if ex.status < 400 {
            out.push(at("PRB401", "trace-method-answered", Strategy::Builtin, Severity::Medium, &main.url,
                format!("{method} is answered with {}: cross-site tracing can echo cookies and auth headers", ex.status),
                vec![format!("{method} {} → {}", main.url, ex.status)],
                "Keep egg-security's `methodnoallow` on: `config.security.methodnoallow = { enable: true }` and `methodnoallow` in `security.defaultMiddleware`; block TRACE/TRACK at the proxy too."));
        }
    }
}

fn traversal(s: &Session, out: &mut Vec<Finding>) {
    let prefix = format!("/{}/", s.opts.hints.static_prefix.trim_matches('/'));
    let prefix = if prefix == "//" {
        "/".to_string()
    } else {
        prefix
    };
    let path = format!("{prefix}..%2f..%2f..%2f..%2fpackage.json");
    let Some(ex) = s.fetch(&RequestSpec::method("GET", &path)) else {
        return;
    };
    let body = ex.body_text();
    if ex.status == 200 && (body.contains("\"dependencies\"") || body.contains("\"name\"")) {
        out.push(at("PRB402", "path-traversal-under-static-prefix", Strategy::Builtin, Severity::Critical, &ex.url,
            "A `..%2f` path under the static prefix served a file from outside the public directory",
            vec![format!("GET {path} → 200 ({} bytes)", ex.body.len())],
            "Turn egg-security's `dta` back on (`config.security.dta = { enable: true }`, `dta` in `security.defaultMiddleware`) and keep `config.static.dir` inside the app."));
    } else if ex.status != 400 {
        out.push(at("PRB402", "directory-traversal-guard-off", Strategy::Builtin, Severity::Low, &ex.url,
            format!("A `..%2f` path under the static prefix got {} instead of egg-security's 400: the `dta` middleware is not running there", ex.status),
            vec![format!("GET {path} → {}", ex.status)],
            "Keep `config.security.dta.enable = true` and `dta` in `security.defaultMiddleware`; check `security.dta.match/ignore`."));
    }
}

fn not_found_page(s: &Session, out: &mut Vec<Finding>) -> Option<Exchange> {
    let path = "/eggsec-probe-does-not-exist-4f1c";
    let ex = s.fetch(&RequestSpec::method("GET", path))?;
    if ex.status == 200 {
        out.push(at("PRB404", "not-found-answers-200", Strategy::Errors, Severity::Info, &ex.url,
            "A path that cannot exist answered 200: scanners and monitors cannot tell missing pages apart",
            vec![format!("GET {path} → 200")],
            "Answer unknown routes with 404 (egg's `notfound` middleware, `config.notfound.pageUrl` only for HTML)."));
    }
    leak_findings(&ex, "the 404 page", out);
    Some(ex)
}

/// Findings for stack traces, paths, SQL errors and versions in a response body.
pub fn leak_findings(ex: &Exchange, what: &str, out: &mut Vec<Finding>) {
    let text = ex.body_text();
    for l in leak::scan(&text) {
        let (code, name, sev, label) = match l.kind {
            LeakKind::StackTrace => (
                "PRB601",
                "error-response-leaks-stack-trace",
                Severity::High,
                "a stack trace",
            ),
            LeakKind::FilePath => (
                "PRB602",
                "error-response-leaks-file-path",
                Severity::Medium,
                "a server file path",
            ),
            LeakKind::SqlError => (
                "PRB603",
                "error-response-leaks-sql-error",
                Severity::High,
                "SQL error text",
            ),
            LeakKind::Version => (
                "PRB604",
                "error-response-leaks-version",
                Severity::Low,
                "a software version",
            ),
        };
        out.push(at(code, name, Strategy::Errors, sev, &ex.url,
            format!("{what} ({} {}) shows {label}", ex.method, ex.status),
            vec![l.excerpt],
            "Run with `EGG_SERVER_ENV=prod` (egg-onerror shows stacks outside prod) and keep `config.onerror` handlers generic: log the error, send `{ message: 'Internal Server Error' }`."));
    }
}

fn cors(s: &Session, main: &Exchange, out: &mut Vec<Finding>) {
    let Some(ex) = s.fetch(&RequestSpec::get(&main.url).header("origin", PROBE_ORIGIN)) else {
        return;
    };
    let acao = ex.headers.merged("access-control-allow-origin");
    let creds = ex
        .headers
        .merged("access-control-allow-credentials")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if acao.as_deref().map(str::trim) == Some(PROBE_ORIGIN) {
        out.push(at("PRB403", if creds { "cors-origin-reflected-with-credentials" } else { "cors-origin-reflected" },
            Strategy::Builtin, if creds { Severity::High } else { Severity::Medium }, &ex.url,
            if creds { "Any Origin is echoed in Access-Control-Allow-Origin with credentials: every site can read authenticated responses" }
            else { "Any Origin is echoed in Access-Control-Allow-Origin" },
            vec![format!("Origin: {PROBE_ORIGIN} → access-control-allow-origin: {}{}", acao.unwrap_or_default(),
                if creds { ", access-control-allow-credentials: true" } else { "" })],
            "Give egg-cors an explicit allowlist (`config.cors.origin` as a function checking a Set) and remove `*` from `config.security.domainWhiteList`."));
    }
}

fn forwarded_trust(s: &Session, main: &Exchange, out: &mut Vec<Finding>) {
    if s.client.is_https() || s.opts.assume_https {
        return;
    }
    // Without a secret cookie the difference is invisible: ask for a fresh one.
    let Some(ex) = s.fetch(
        &RequestSpec::get(&main.url)
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-for", "203.0.113.7")
            .header("cookie", "eggsec=1"),
    ) else {
        return;
    };
    let plain: Vec<SetCookie> = cookie_jar(main.headers.all("set-cookie"));
    let forwarded: Vec<SetCookie> = cookie_jar(ex.headers.all("set-cookie"));
    let secure_now = forwarded
        .iter()
        .any(|c| c.secure && plain.iter().any(|p| p.name == c.name && !p.secure));
    if secure_now {
        out.push(at("PRB405", "forwarded-headers-trusted", Strategy::Builtin, Severity::Low, &ex.url,
            "The app trusts X-Forwarded-* headers from the client (egg `config.proxy = true`): anyone who reaches it directly can spoof ctx.ip, ctx.protocol and ctx.host",
            vec!["X-Forwarded-Proto: https over plain HTTP made egg mark cookies Secure".into()],
            "Keep `config.proxy = true` only when the app is reachable solely through your proxy; set `config.maxProxyCount` / `config.ipHeaders` to what the proxy sends."));
    }
}

fn routes(s: &Session, main: &Exchange, notes: &mut Vec<String>, out: &mut Vec<Finding>) {
    let routes = &s.opts.hints.get_routes;
    if routes.is_empty() {
        return;
    }
    let specs: Vec<RequestSpec> = routes.iter().map(|r| RequestSpec::get(r)).collect();
    let results = run_parallel(&specs, s.opts.concurrency, |spec| s.fetch(spec));
    let tracked = [
        "x-frame-options",
        "x-content-type-options",
        "content-security-policy",
        "strict-transport-security",
        "referrer-policy",
    ];
    let mut fetched = 0;
    for ex in results.into_iter().flatten() {
        fetched += 1;
        let missing: Vec<&str> = tracked
            .iter()
            .copied()
            .filter(|n| main.headers.has(n) && !ex.headers.has(n))
            .filter(|n| !(*n == "x-content-type-options" && (300..400).contains(&ex.status)))
            .collect();
        if !missing.is_empty() {
            out.push(at("PRB210", "security-header-missing-on-route", Strategy::Headers, Severity::Medium, &ex.url,
                format!("{} lacks headers the main page sends: a `match`/`ignore` or `ctx.securityOptions` turns them off here", ex.url),
                missing.iter().map(|n| format!("{n}: (absent; present on {})", main.url)).collect(),
                "Check `config.security.<name>.match/ignore` and `ctx.securityOptions` in app/ code for this path."));
        }
        if ex.status >= 500 {
            leak_findings(&ex, "a GET route", out);
        }
    }
    notes.push(format!(
        "{fetched} of {} GET routes from the app fetched",
        routes.len()
    ));
}
