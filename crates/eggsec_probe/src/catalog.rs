//! Every probe check: its stable code, readable name, strategy, most severe severity and what
//! it finds — the data `eggsec rules`, `eggsec rule PRB…`, the doc pages and `eggsec.toml`
//! validation read. A test checks that every code the probe reports is listed here.

use eggsec_report::{Severity, Strategy};

/// One probe check.
#[derive(Debug, PartialEq, Eq)]
pub struct ProbeRule {
    /// Stable code (`PRB301`).
    pub code: &'static str,
    /// Readable kebab name (`cookie-without-secure`); some checks report a more precise
    /// variant name under the same code.
    pub name: &'static str,
    pub strategy: Strategy,
    /// The most severe severity the check reports (some cases report less).
    pub severity: Severity,
    /// What it finds, one sentence.
    pub what: &'static str,
    /// Whether it needs `--active` (state-changing requests).
    pub active: bool,
}

macro_rules! prb {
    ($code:literal, $name:literal, $strategy:ident, $sev:ident, $what:literal) => {
        ProbeRule {
            code: $code,
            name: $name,
            strategy: Strategy::$strategy,
            severity: Severity::$sev,
            what: $what,
            active: false,
        }
    };
    (active $code:literal, $name:literal, $strategy:ident, $sev:ident, $what:literal) => {
        ProbeRule {
            code: $code,
            name: $name,
            strategy: Strategy::$strategy,
            severity: Severity::$sev,
            what: $what,
            active: true,
        }
    };
}

/// Every probe check, in code order.
#[rustfmt::skip]
pub static ALL: &[ProbeRule] = &[
    prb!("PRB100", "observatory-test-failed", Headers, Medium, "A Mozilla HTTP Observatory test fails on the live responses."),
    prb!("PRB101", "observatory-content-security-policy", Headers, High, "The live responses fail the Observatory Content-Security-Policy test (no CSP, report-only, or an unsafe policy)."),
    prb!("PRB102", "observatory-cookies", Headers, Medium, "The live cookies fail the Observatory cookies test (no Secure, HttpOnly or SameSite)."),
    prb!("PRB103", "observatory-cross-origin-embedder-policy", Headers, Low, "The live responses fail the Observatory Cross-Origin-Embedder-Policy test."),
    prb!("PRB104", "observatory-cross-origin-opener-policy", Headers, Low, "The live responses fail the Observatory Cross-Origin-Opener-Policy test."),
    prb!("PRB105", "observatory-cross-origin-resource-sharing", Headers, High, "The live responses fail the Observatory CORS test (any origin allowed, with credentials)."),
    prb!("PRB106", "observatory-redirection", Headers, Medium, "http:// does not redirect to https:// on the same host."),
    prb!("PRB107", "observatory-referrer-policy", Headers, Low, "The live responses fail the Observatory Referrer-Policy test."),
    prb!("PRB108", "observatory-strict-transport-security", Headers, Medium, "The live responses fail the Observatory Strict-Transport-Security test."),
    prb!("PRB109", "observatory-subresource-integrity", Headers, Medium, "Third-party scripts load without Subresource Integrity or over http://."),
    prb!("PRB110", "observatory-x-content-type-options", Headers, Low, "The live responses fail the Observatory X-Content-Type-Options test."),
    prb!("PRB111", "observatory-x-frame-options", Headers, Medium, "The live responses fail the Observatory X-Frame-Options test."),
    prb!("PRB112", "observatory-cross-origin-resource-policy", Headers, Low, "The live responses fail the Observatory Cross-Origin-Resource-Policy test."),
    prb!("PRB201", "csp-evaluator", Headers, High, "Google's CSP Evaluator finds a weakness in the live Content-Security-Policy."),
    prb!("PRB202", "permissions-policy-missing", Headers, Low, "The live responses send no Permissions-Policy."),
    prb!("PRB203", "cross-origin-isolation-headers-missing", Headers, Info, "The live responses send neither COOP nor COEP."),
    prb!("PRB204", "server-software-disclosed", Headers, Low, "A response header names the server software (with its version)."),
    prb!("PRB205", "egg-readtime-header-sent", Headers, Low, "egg's `x-readtime` response-time header is sent to clients."),
    prb!("PRB206", "x-xss-protection-enabled", Headers, Low, "X-XSS-Protection is enabled (it adds XS-leaks in old browsers; modern ones ignore it)."),
    prb!("PRB207", "csp-nonce-exposed-in-header", Headers, Info, "The CSP nonce is sent in a response header other than the CSP."),
    prb!("PRB208", "csp-nonce-reused", Headers, High, "Two responses carry the same CSP nonce."),
    prb!("PRB209", "security-header-sent-twice", Headers, Medium, "A security header is sent twice (egg and the proxy), which browsers may treat as invalid."),
    prb!("PRB210", "security-header-missing-on-route", Headers, Medium, "A security header sent on the main page is missing on another route."),
    prb!("PRB211", "hsts-directive-repeated", Headers, Medium, "Strict-Transport-Security repeats a directive, so browsers ignore the whole header (RFC 6797 §6.1)."),
    prb!("PRB212", "referrer-policy-enabled-but-not-sent", Headers, Medium, "`security.referrerPolicy.enable` is true but egg-security never runs it (not in `defaultMiddleware`): no Referrer-Policy is sent."),
    prb!("PRB301", "cookie-without-secure", Builtin, High, "A cookie is set without `Secure` over HTTPS."),
    prb!("PRB302", "session-cookie-without-httponly", Builtin, High, "The session cookie is readable by scripts (no `HttpOnly`)."),
    prb!("PRB303", "cookie-without-samesite", Builtin, Medium, "A cookie is set without `SameSite`."),
    prb!("PRB304", "cookie-samesite-none-without-secure", Builtin, High, "A cookie has `SameSite=None` without `Secure`, or an invalid SameSite value."),
    prb!("PRB305", "cookie-prefix-rules-broken", Builtin, High, "A `__Host-`/`__Secure-` cookie breaks its prefix's rules, so browsers drop it."),
    prb!("PRB306", "session-cookie-without-host-prefix", Builtin, Info, "The session cookie could use the `__Host-` prefix."),
    prb!("PRB307", "cookie-domain-scope-broad", Builtin, Low, "A cookie is scoped to a parent domain, so sibling hosts receive it."),
    prb!("PRB308", "session-cookie-response-cacheable", Headers, Medium, "A response setting the session cookie may be cached by a shared cache."),
    prb!("PRB401", "trace-method-answered", Builtin, Medium, "The app answers TRACE (egg-security's methodnoallow is off)."),
    prb!("PRB402", "path-traversal-under-static-prefix", Builtin, Critical, "A `../` request under the static prefix is answered (path traversal), or the dta guard is off."),
    prb!("PRB403", "cors-origin-reflected-with-credentials", Builtin, High, "CORS reflects any Origin (with credentials)."),
    prb!("PRB404", "not-found-answers-200", Errors, Info, "An unknown path answers 200 instead of 404."),
    prb!("PRB405", "forwarded-headers-trusted", Builtin, Low, "The app trusts X-Forwarded-* from any client."),
    prb!(active "PRB501", "csrf-not-enforced-without-token", Csrf, High, "A state-changing request without a CSRF token is accepted."),
    prb!(active "PRB502", "csrf-wrong-token-accepted", Csrf, High, "A state-changing request with a wrong CSRF token is accepted."),
    prb!(active "PRB503", "csrf-valid-token-rejected", Csrf, Info, "A state-changing request with the right CSRF token is rejected (the test could not pass)."),
    prb!(active "PRB504", "csrf-json-without-token-accepted", Csrf, High, "A JSON request without a CSRF token is accepted."),
    prb!(active "PRB505", "csrf-foreign-referer-accepted", Csrf, High, "A request with a foreign Referer is accepted by a referer-checking CSRF setup."),
    prb!("PRB601", "error-response-leaks-stack-trace", Errors, High, "An error response shows a stack trace."),
    prb!("PRB602", "error-response-leaks-file-path", Errors, Medium, "An error response shows a server file path."),
    prb!("PRB603", "error-response-leaks-sql-error", Errors, High, "An error response shows a database error."),
    prb!("PRB604", "error-response-leaks-version", Errors, Low, "An error response shows software versions."),
    prb!(active "PRB605", "server-error-on-bad-input", Errors, Low, "Malformed input makes the app answer 500."),
    prb!(active "PRB606", "oversized-body-accepted", Errors, Medium, "A body larger than the configured limit is accepted."),
];

/// The check with this code (any case) or name.
pub fn find(id: &str) -> Option<&'static ProbeRule> {
    let id = id.trim();
    ALL.iter()
        .find(|r| r.code.eq_ignore_ascii_case(id) || r.name == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reported_code_is_listed_once() {
        let mut codes: Vec<_> = ALL.iter().map(|r| r.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len(), "codes are unique and sorted");
        let re = regex::Regex::new(r#""(PRB\d{3})""#).unwrap();
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for c in re.captures_iter(&text) {
                assert!(
                    find(&c[1]).is_some(),
                    "{} reports {} which is not in catalog::ALL",
                    path.display(),
                    &c[1]
                );
            }
        }
    }
}
