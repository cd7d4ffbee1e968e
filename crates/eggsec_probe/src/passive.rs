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

/// How the graded page was reached (from the landing redirects).
pub struct GradeContext {
    /// The plain-HTTP redirect chain, for the redirection test (`None`: not assessed).
    pub http_chain: Option<Vec<String>>,
    pub redirection_note: Option<String>,
    /// Why there is no page to grade.
    pub not_graded: Option<String>,
}

/// Grades the main response (plus `/robots.txt` cookies and a CORS preflight) and turns
/// failing tests into findings.
pub fn grade_main(
    s: &Session,
    main: &Exchange,
    ctx: &GradeContext,
    notes: &mut Vec<String>,
    findings: &mut Vec<Finding>,
) -> Observatory {
    let alg = s.opts.algorithm;
    if let Some(reason) = &ctx.not_graded {
        notes.push(format!("Observatory grade: not assessed: {reason}"));
        return Observatory::not_assessed(alg, reason);
    }
    let https = s.client.is_https() || s.opts.assume_https;
    // The graded session's jar: its same-origin hops, the page, and /robots.txt.
    let mut cookies: Vec<(String, String)> = Vec::new();
    for hop in main
        .chain
        .iter()
        .filter(|h| h.url.starts_with(s.client.origin()))
    {
        cookies.extend(hop.set_cookies.iter().map(|c| (hop.url.clone(), c.clone())));
    }
    cookies.extend(set_cookies(main).into_iter().map(|c| (main.url.clone(), c)));
    let (robots, preflight) = std::thread::scope(|scope| {
        let r = scope.spawn(|| s.fetch(&RequestSpec::get("/robots.txt")));
        let p = scope.spawn(|| {
            s.fetch(
                &RequestSpec::method("OPTIONS", &main.url)
                    .header("origin", PROBE_ORIGIN)
                    .header("access-control-request-method", "GET"),
            )
            .map(|e| e.headers)
        });
        (r.join().ok().flatten(), p.join().ok().flatten())
    });
    if let Some(robots) = &robots {
        // DELIBERATE: the reference fetches /robots.txt "to gather cookies" without its jar.
        cookies.extend(
            set_cookies(robots)
                .into_iter()
                .map(|c| (robots.url.clone(), c)),
        );
    }
    if ctx.http_chain.is_none() && ctx.redirection_note.is_none() {
        notes.push(if s.opts.assume_https {
            "redirection test not assessed: graded as if behind a TLS proxy (--assume-https)".into()
        } else {
            "redirection test not assessed: the target is https:// and the probe never contacts the http:// origin (origin lock)".into()
        });
    }
    if s.opts.assume_https {
        notes.push("graded as if served over HTTPS behind a TLS proxy (--assume-https; X-Forwarded-Proto: https sent)".into());
    } else if !s.client.is_https() {
        notes.push("plain http:// target that does not redirect to https: graded the http page (HSTS and Secure cookies fail); pass the https:// URL, or --assume-https for a local app behind a TLS proxy".into());
    }
    notes.push("HSTS preload list not bundled: hsts-preloaded is never awarded".into());
    if s.opts.assume_https {
        // Graded as served over https by a TLS proxy: the browser's jar sees https URLs.
        for (u, _) in cookies.iter_mut() {
            if let Some(rest) = u.strip_prefix("http://") {
                *u = format!("https://{rest}");
            }
        }
    }
    let (_, rejected) = observatory::browser_jar(&cookies);
    for r in &rejected {
        notes.push(format!(
            "cookie not graded, a browser rejects it ({}): {}",
            r.reason,
            SetCookie::parse(&r.line)
                .map(|c| mask_cookie(&c))
                .unwrap_or_else(|| "(unparsable line)".into())
        ));
    }
    let input = ObservatoryInput {
        algorithm: alg,
        https,
        url: main.url.clone(),
        status: main.status,
        headers: main.headers.clone(),
        body: main.body_text(),
        cookies: cookies.clone(),
        preflight,
        cors_origin: PROBE_ORIGIN.into(),
        verified: s.client.verified(),
        http_chain: ctx.http_chain.clone(),
        http_chain_verified: s.client.verified(),
        redirection_note: ctx.redirection_note.clone(),
        not_graded: None,
    };
    let grade = observatory::grade(&input);
    if let Some(reason) = &grade.not_graded {
        notes.push(format!("Observatory grade withheld: {reason}"));
    }
    if let Some(v) = main.headers.merged("strict-transport-security") {
        if observatory::hsts_repeated_directive(&v) && https {
            findings.push(at("PRB211", "hsts-directive-repeated", Strategy::Headers, Severity::Medium, &main.url,
                "Strict-Transport-Security repeats a directive: browsers ignore the whole header (RFC 6797 §6.1), although the Observatory grades its last max-age",
                vec![format!("strict-transport-security: {v}")],
                "Send one `max-age` (egg-security: `config.security.hsts.maxAge`); do not add a second HSTS header or directive at the proxy."));
        }
    }
    // The config says a header middleware is on, but egg-security never runs it.
    for (key, why) in &s.opts.hints.not_effective {
        if key == "security.referrerPolicy.enable" && !main.headers.has("referrer-policy") {
            findings.push(at("PRB212", "referrer-policy-enabled-but-not-sent", Strategy::Headers, Severity::Medium, &main.url,
                format!("`{key} = true` in the app's config, yet the live page sends no Referrer-Policy: {why}"),
                vec![format!("{key} = true (config)"), "referrer-policy: (absent on the live page)".into()],
                "Append it to the list (a string, also on egg 4): `config.security.defaultMiddleware = 'csrf,hsts,methodnoallow,noopen,nosniff,csp,xssProtection,xframe,dta,referrerPolicy'`."));
        }
    }
    let lines: Vec<String> = cookies.iter().map(|(_, l)| l.clone()).collect();
    findings.extend(from_observatory(&main.url, &grade.tests, |test| {
        evidence_for(test, &main.headers, &lines)
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

/// Every other passive check, run side by side (the client bounds the requests in flight).
pub fn run(s: &Session, main: &Exchange) -> Vec<Finding> {
    let parts: Vec<Vec<Finding>> = std::thread::scope(|scope| {
        let jobs = vec![
            scope.spawn(|| {
                let mut out = Vec::new();
                header_extras(s, main, &mut out);
                out
            }),
            scope.spawn(|| {
                let mut out = Vec::new();
                let mut all_cookies = set_cookies(main);
                if let Some(nf) = not_found_page(s, main, &mut out) {
                    all_cookies.extend(set_cookies(&nf));
                }
                cookie_checks(&main.url, &all_cookies, &mut out);
                out
            }),
            scope.spawn(|| {
                let mut out = Vec::new();
                trace_track(s, main, &mut out);
                out
            }),
            scope.spawn(|| {
                let mut out = Vec::new();
                traversal(s, &mut out);
                out
            }),
            scope.spawn(|| {
                let mut out = Vec::new();
                cors(s, main, &mut out);
                out
            }),
            scope.spawn(|| {
                let mut out = Vec::new();
                forwarded_trust(s, main, &mut out);
                out
            }),
            scope.spawn(|| {
                let mut out = Vec::new();
                routes(s, main, &mut out);
                out
            }),
        ];
        jobs.into_iter()
            .map(|j| j.join().unwrap_or_default())
            .collect()
    });
    parts.into_iter().flatten().collect()
}

fn csp_severity(sev: CspSeverity) -> Severity {
    match sev {
        CspSeverity::High => Severity::High,
        CspSeverity::Syntax | CspSeverity::Medium => Severity::Medium,
        CspSeverity::MediumMaybe => Severity::Low,
        CspSeverity::StrictCsp | CspSeverity::Info => Severity::Info,
    }
}

/// The first nonce of the CSP as the app sent it (case kept).
fn nonce_of(csp_value: &str) -> Option<String> {
    csp::nonces(csp_value).into_iter().next()
}

/// CSP Evaluator findings (default and strict-CSP checks) for every CSP line of a response.
pub fn csp_findings(url: &str, h: &Headers, out: &mut Vec<Finding>) {
    let csp_fix = "Adjust `config.security.csp.policy` (egg-security) so the policy passes Google's CSP Evaluator: no 'unsafe-inline'/'unsafe-eval', no bare schemes or '*', no hosts that serve JSONP or AngularJS, `object-src 'none'`, `base-uri 'none'`, kebab-case directive names.";
    let strict_fix = "Move to a strict CSP: egg-security appends a per-request `'nonce-…'` to script-src when `config.security.csp.enable` is on, so set `script-src: \"'strict-dynamic' 'unsafe-inline' https:\"` (the last two are fallbacks older browsers use and CSP3 browsers ignore) and `'require-trusted-types-for': \"'script'\"` once the front end uses Trusted Types.";
    for value in h.all("content-security-policy") {
        let default = csp::evaluate(value).into_iter().map(|i| (i, csp_fix));
        let strict = csp::evaluate_strict(value)
            .into_iter()
            .map(|i| (i, strict_fix));
        for (issue, fix) in default.chain(strict) {
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
                fix,
            ));
        }
    }
}

/// Header names that disclose technology, versions or internal hosts, by category
/// (`data/disclosure_headers.txt`, headers-spec.md §3.3).
pub fn disclosure_headers() -> Vec<(&'static str, &'static str)> {
    const TABLE: &str = include_str!("../data/disclosure_headers.txt");
    let mut category = "generic";
    let mut out = Vec::new();
    for line in TABLE.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(c) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            category = c;
            continue;
        }
        out.push((category, line));
    }
    out
}

/// A finding for each information-disclosure header a response carries.
pub fn disclosure_findings(url: &str, h: &Headers, out: &mut Vec<Finding>) {
    for (category, name) in disclosure_headers() {
        let Some(v) = h.merged(name) else { continue };
        let versioned = v.chars().any(|c| c.is_ascii_digit());
        let what = match category {
            "version" => "the version of the software behind the site",
            "proxy" => "which proxy, gateway or CDN sits in front of the app (and its internals)",
            "tracing" => "tracing/APM internals (agent, trace and span ids)",
            "framework" => "which framework or platform serves the page",
            _ => "what software runs the site",
        };
        out.push(at("PRB204", "server-software-disclosed", Strategy::Headers,
            if versioned || category == "version" { Severity::Low } else { Severity::Info }, url,
            format!("The `{name}` header tells clients {what}"),
            vec![format!("{}: {v}", name.to_ascii_lowercase())],
            &format!("Remove the header at the proxy (nginx `server_tokens off; proxy_hide_header {name};`) or in a middleware after `await next()` (`ctx.remove('{name}')`).")));
    }
}

/// Whether a response may be stored by a shared cache: no `no-store` and no `private` in
/// Cache-Control (an absent header leaves it to heuristics, which count as cacheable here).
fn shared_cacheable(h: &Headers) -> bool {
    let cc = h.merged("cache-control").unwrap_or_default();
    !cc.split(',').any(|d| {
        let name = d.split('=').next().unwrap_or("").trim();
        name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("private")
    })
}

/// A response that sets the session cookie (`EGG_SESS` or another session-like name) but may
/// be stored by a shared cache: the cache can hand the Set-Cookie, and so the session, to
/// the next visitor. Deleting a session (empty value or `Max-Age=0`) is not flagged.
pub fn session_cache_findings(url: &str, h: &Headers, out: &mut Vec<Finding>) {
    let sessions: Vec<SetCookie> = h
        .all("set-cookie")
        .into_iter()
        .filter_map(SetCookie::parse)
        .filter(|c| is_session_cookie(&c.name) || c.name == "EGG_SESS")
        .filter(|c| !c.value.is_empty() && c.max_age.is_none_or(|a| a > 0))
        .collect();
    if sessions.is_empty() || !shared_cacheable(h) {
        return;
    }
    let cc = h.merged("cache-control");
    let explicit = cc.as_deref().is_some_and(|v| {
        v.split(',').any(|d| {
            let (name, value) = d.split_once('=').unwrap_or((d, ""));
            let name = name.trim().to_ascii_lowercase();
            name == "public"
                || name == "s-maxage"
                || name == "max-age"
                    && value
                        .trim()
                        .trim_matches('"')
                        .parse::<u64>()
                        .is_ok_and(|n| n > 0)
        })
    });
    let mut evidence: Vec<String> = sessions
        .iter()
        .map(|c| format!("Set-Cookie: {}", mask_cookie(c)))
        .collect();
    evidence.push(format!(
        "cache-control: {}",
        cc.as_deref().unwrap_or("(absent)")
    ));
    let names: Vec<&str> = sessions.iter().map(|c| c.name.as_str()).collect();
    out.push(at("PRB308", "session-cookie-response-cacheable", Strategy::Headers,
        if explicit { Severity::Medium } else { Severity::Low }, url,
        format!("A response that sets the session cookie `{}` {}: a shared cache (CDN, proxy) may store it and replay the Set-Cookie to other users",
            names.join("`, `"),
            if explicit { "is explicitly cacheable" } else { "is not marked `no-store` or `private`" }),
        evidence,
        "Send `Cache-Control: no-store` (or at least `private`) on every response that sets the session: a middleware that runs `await next(); if (ctx.response.get('set-cookie')) ctx.set('Cache-Control', 'no-store');` (egg-session writes EGG_SESS after the handler, so check after `next()`), and never cache Set-Cookie responses at the proxy (nginx `proxy_no_cache $upstream_http_set_cookie;`)."));
}

fn header_extras(s: &Session, main: &Exchange, out: &mut Vec<Finding>) {
    let url = &main.url;
    let h = &main.headers;
    csp_findings(url, h, out);
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
    disclosure_findings(url, h, out);
    session_cache_findings(url, h, out);
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
        // By characters: a cookie value is whatever bytes the server sent (UTF-8 included).
        format!("{}****", c.value.chars().take(4).collect::<String>())
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
    } else if ex.status == 400 {
        // egg-security's dta threw 400.
    } else if ex.status >= 400 && ex.status != 404 && ex.status != 405 {
        // dta throws 400; an error handler (egg-onerror's `config.onerror`, a custom error
        // middleware) may render that with another status: the guard did run.
        s.note(format!(
            "directory traversal under the static prefix was rejected with {} (egg-security's dta throws 400; an error handler changed the status)",
            ex.status
        ));
    } else {
        out.push(at("PRB402", "directory-traversal-guard-off", Strategy::Builtin, Severity::Low, &ex.url,
            format!("A `..%2f` path under the static prefix got {} instead of egg-security's 400: the `dta` middleware did not reject it (off, ignored for this path, or not in `security.defaultMiddleware`)", ex.status),
            vec![format!("GET {path} → {}", ex.status)],
            "Keep `config.security.dta.enable = true` and `dta` in `security.defaultMiddleware`; check `security.dta.match/ignore`."));
    }
}

fn not_found_page(s: &Session, _main: &Exchange, out: &mut Vec<Finding>) -> Option<Exchange> {
    let path = "/eggsec-probe-does-not-exist-4f1c";
    let ex = s.fetch(&RequestSpec::method("GET", path))?;
    if ex.status == 200 {
        out.push(at("PRB404", "not-found-answers-200", Strategy::Errors, Severity::Info, &ex.url,
            "A path that cannot exist answered 200: scanners and monitors cannot tell missing pages apart",
            vec![format!("GET {path} → 200")],
            "Answer unknown routes with 404 (egg's `notfound` middleware, `config.notfound.pageUrl` only for HTML)."));
    }
    leak_findings(&ex, "the 404 page", out);
    session_cache_findings(&ex.url, &ex.headers, out);
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

fn routes(s: &Session, main: &Exchange, out: &mut Vec<Finding>) {
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
            let evidence = missing
                .iter()
                .map(|n| format!("{n}: (absent; present on {})", main.url))
                .collect();
            if ex.status >= 400 {
                // egg-security sets its headers after `await next()`: a request that throws
                // (onerror renders the page) never gets them, whatever match/ignore say.
                out.push(at("PRB210", "security-headers-missing-on-error-page", Strategy::Headers, Severity::Low, &ex.url,
                    format!("{} answered {} without headers the main page sends: egg-security sets them after `await next()`, so an error page rendered by onerror never has them", ex.url, ex.status),
                    evidence,
                    "Set the security headers at the reverse proxy too (for every status), or add a first middleware that sets them before `await next()`; and fix the error on this route."));
            } else {
                out.push(at("PRB210", "security-header-missing-on-route", Strategy::Headers, Severity::Medium, &ex.url,
                    format!("{} lacks headers the main page sends: a `match`/`ignore` or `ctx.securityOptions` turns them off here", ex.url),
                    evidence,
                    "Check `config.security.<name>.match/ignore` and `ctx.securityOptions` in app/ code for this path."));
            }
        }
        if ex.url != main.url {
            session_cache_findings(&ex.url, &ex.headers, out);
        }
        if ex.status >= 500 {
            leak_findings(&ex, "a GET route", out);
        }
    }
    s.note(format!(
        "{fetched} of {} GET routes from the app fetched",
        routes.len()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://app.example/";

    fn rules(f: &[Finding]) -> Vec<(String, Severity)> {
        f.iter().map(|f| (f.rule.clone(), f.severity)).collect()
    }

    #[test]
    fn disclosure_table_is_the_spec_list() {
        let table = disclosure_headers();
        assert_eq!(table.len(), 87);
        let mut names: Vec<String> = table.iter().map(|(_, n)| n.to_ascii_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 87, "duplicate names in the table");
        for cat in ["generic", "version", "proxy", "tracing", "framework"] {
            assert!(table.iter().any(|(c, _)| *c == cat), "{cat}");
        }
        for old in [
            "server",
            "x-powered-by",
            "x-aspnet-version",
            "x-envoy-upstream-service-time",
            "x-kong-upstream-latency",
            "x-sourcemap",
            "x-datadog-trace-id",
            "x-nextjs-cache",
            "$wsep",
        ] {
            assert!(names.contains(&old.to_string()), "{old}");
        }
    }

    #[test]
    fn disclosure_headers_on_a_recorded_gateway_response() {
        // Recorded: an egg app behind Kong + Envoy with Datadog tracing.
        let h = Headers::from_pairs([
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-Kong-Upstream-Latency", "3"),
            ("X-Kong-Proxy-Latency", "1"),
            ("x-envoy-upstream-service-time", "4"),
            ("X-Datadog-Trace-Id", "1234567890"),
            ("X-Powered-By", "Egg"),
            ("x-readtime", "2"),
            ("X-Request-Id", "abc"),
            ("Server-Timing", "db;dur=3"),
            ("X-Kong-Foo", "1"),
        ]);
        let mut out = Vec::new();
        disclosure_findings(URL, &h, &mut out);
        let ev: Vec<&str> = out.iter().map(|f| f.evidence[0].as_str()).collect();
        assert_eq!(
            ev,
            [
                "x-powered-by: Egg",
                "x-envoy-upstream-service-time: 4",
                "x-kong-proxy-latency: 1",
                "x-kong-upstream-latency: 3",
                "x-datadog-trace-id: 1234567890"
            ]
        );
        assert!(out.iter().all(|f| f.rule == "PRB204"));
        assert_eq!(out[0].severity, Severity::Info, "no version in `Egg`");
        assert_eq!(out[1].severity, Severity::Low);
        assert!(out[4].message.contains("tracing"));
        // Look-alikes only (x-readtime is PRB205's, request ids and Server-Timing are not listed).
        let safe = Headers::from_pairs([
            ("x-readtime", "2"),
            ("X-Request-Id", "abc"),
            ("X-Kong-Foo", "1"),
            ("X-Served-By", "cache-1"),
        ]);
        let mut out = Vec::new();
        disclosure_findings(URL, &safe, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    fn cache_findings(pairs: &[(&str, &str)]) -> Vec<(String, Severity)> {
        let mut out = Vec::new();
        session_cache_findings(URL, &Headers::from_pairs(pairs.iter().copied()), &mut out);
        rules(&out)
    }

    const SESS: &str = "EGG_SESS=abcdefghijklmnop; path=/; max-age=86400; expires=Thu, 01 Jan 2026 00:00:00 GMT; httponly";

    #[test]
    fn cacheable_responses_setting_the_session_cookie() {
        // Recorded egg login response: egg-session writes EGG_SESS, nothing sets Cache-Control.
        assert_eq!(
            cache_findings(&[("set-cookie", SESS), ("content-type", "text/html")]),
            [("PRB308".to_string(), Severity::Low)]
        );
        // A page cache in front sets it cacheable for everybody.
        for cc in [
            "public, max-age=600",
            "max-age=60",
            "s-maxage=300",
            "no-cache",
        ] {
            let sev = if cc == "no-cache" {
                Severity::Low
            } else {
                Severity::Medium
            };
            assert_eq!(
                cache_findings(&[("set-cookie", SESS), ("cache-control", cc)]),
                [("PRB308".to_string(), sev)],
                "{cc}"
            );
        }
        // The evidence masks the session value and shows the cache header.
        let mut out = Vec::new();
        session_cache_findings(
            URL,
            &Headers::from_pairs([("set-cookie", SESS), ("cache-control", "public")]),
            &mut out,
        );
        assert!(out[0].evidence[0].starts_with("Set-Cookie: EGG_SESS=abcd****;"));
        assert_eq!(out[0].evidence[1], "cache-control: public");
        assert!(out[0].message.contains("EGG_SESS"));
    }

    #[test]
    fn safe_look_alikes_of_session_caching() {
        for pairs in [
            // no-store or private keep shared caches out (any case, any position).
            &[("set-cookie", SESS), ("cache-control", "no-store")][..],
            &[
                ("set-cookie", SESS),
                ("Cache-Control", "max-age=0, Private"),
            ],
            &[
                ("set-cookie", SESS),
                ("cache-control", "no-cache"),
                ("cache-control", "no-store"),
            ],
            // Only the CSRF cookie: cached, but no session in it.
            &[
                ("set-cookie", "csrfToken=abc; path=/"),
                ("cache-control", "public, max-age=600"),
            ],
            // Logout: the session is being deleted.
            &[
                (
                    "set-cookie",
                    "EGG_SESS=; path=/; max-age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT",
                ),
                ("cache-control", "public"),
            ],
            // No Set-Cookie at all.
            &[("cache-control", "public, max-age=600")],
        ] {
            assert!(cache_findings(pairs).is_empty(), "{pairs:?}");
        }
    }

    #[test]
    fn csp_findings_cover_default_and_strict_checks() {
        let mut out = Vec::new();
        let h = Headers::from_pairs([(
            "content-security-policy",
            "default-src 'self'; script-src 'self' https://www.google.com; object-src 'none'",
        )]);
        csp_findings(URL, &h, &mut out);
        let jsonp = out
            .iter()
            .find(|f| f.evidence == ["script-src https://www.google.com"])
            .unwrap();
        assert_eq!(jsonp.severity, Severity::High);
        assert!(out
            .iter()
            .any(|f| f.name == "csp-evaluator-strict-dynamic" && f.severity == Severity::Info));
        // egg's hardened policy: strict-CSP advice only, nothing above Info.
        let mut out = Vec::new();
        let h = Headers::from_pairs([("content-security-policy", "default-src 'none';script-src 'strict-dynamic' 'nonce-AbCdEfGh12345678';style-src 'self';img-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none'")]);
        csp_findings(URL, &h, &mut out);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(out.iter().all(|f| f.severity == Severity::Info));
        assert!(out[0].remediation.contains("strict-dynamic"));
        assert_eq!(
            nonce_of("script-src 'NONCE-AbC123xyZ'").as_deref(),
            Some("AbC123xyZ")
        );
    }
}
