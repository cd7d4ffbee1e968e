//! Google CSP Evaluator's default checks (headers-spec.md §2.3), run on a policy the app
//! really sent. Each check yields a [`CspIssue`] with the evaluator's severity.

/// The CSP Evaluator's severity scale (lower is more severe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CspSeverity {
    High = 10,
    Syntax = 20,
    Medium = 30,
    /// Strict-CSP / backward-compatibility advice (`STRICTCSP_CHECKS`).
    StrictCsp = 45,
    MediumMaybe = 50,
    Info = 60,
}

/// One CSP Evaluator finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspIssue {
    /// The evaluator's finding type, e.g. `SCRIPT_UNSAFE_INLINE`.
    pub kind: &'static str,
    pub severity: CspSeverity,
    pub directive: String,
    pub value: String,
    pub message: String,
}

const DIRECTIVES: [&str; 35] = [
    "child-src",
    "connect-src",
    "default-src",
    "font-src",
    "frame-src",
    "img-src",
    "media-src",
    "object-src",
    "script-src",
    "script-src-attr",
    "script-src-elem",
    "style-src",
    "style-src-attr",
    "style-src-elem",
    "prefetch-src",
    "manifest-src",
    "worker-src",
    "base-uri",
    "plugin-types",
    "sandbox",
    "disown-opener",
    "form-action",
    "frame-ancestors",
    "navigate-to",
    "report-to",
    "report-uri",
    "block-all-mixed-content",
    "upgrade-insecure-requests",
    "reflected-xss",
    "referrer",
    "require-sri-for",
    "trusted-types",
    "require-trusted-types-for",
    "webrtc",
    "fenced-frame-src",
];

const KEYWORDS: [&str; 13] = [
    "'self'",
    "'none'",
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'wasm-eval'",
    "'wasm-unsafe-eval'",
    "'strict-dynamic'",
    "'unsafe-hashed-attributes'",
    "'unsafe-hashes'",
    "'report-sample'",
    "'block'",
    "'allow'",
    "'inline-speculation-rules'",
];

/// A policy as the evaluator parses it: directives in order, the first of a duplicate wins,
/// keywords and bare schemes lowercased (so they compare case-insensitively), every other
/// source expression — nonces, hashes, hosts, paths — kept exactly as the app sent it.
pub fn parse(policy: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for part in policy.split(';') {
        let mut words = part.split_whitespace();
        let Some(name) = words.next() else { continue };
        let name = name.to_ascii_lowercase();
        if out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let mut values: Vec<String> = Vec::new();
        for w in words {
            let lower = w.to_ascii_lowercase();
            let v = if KEYWORDS.contains(&lower.as_str()) || is_url_scheme(&lower) {
                lower
            } else {
                w.to_string()
            };
            if !values.contains(&v) {
                values.push(v);
            }
        }
        out.push((name, values));
    }
    out
}

/// A bare scheme source such as `https:` or `data:` (`csp.ts` `isUrlScheme`).
fn is_url_scheme(v: &str) -> bool {
    let Some(scheme) = v.strip_suffix(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
}

/// The nonce inside `'nonce-…'` as sent (prefix matched case-insensitively), for the
/// evaluator's `^'nonce-(.+)'$`.
pub fn nonce_value(v: &str) -> Option<&str> {
    if v.len() < 8 || !v.is_char_boundary(7) || !v[..7].eq_ignore_ascii_case("'nonce-") {
        return None;
    }
    v[7..].strip_suffix('\'').filter(|n| !n.is_empty())
}

/// Every nonce of a policy, as the app sent it.
pub fn nonces(policy: &str) -> Vec<String> {
    parse(policy)
        .into_iter()
        .flat_map(|(_, values)| values)
        .filter_map(|v| nonce_value(&v).map(str::to_string))
        .collect()
}

/// base64/base64url characters with at most two `=` of padding (`csp.ts` strict `isNonce`).
fn nonce_charset_ok(n: &str) -> bool {
    let body = n.trim_end_matches('=');
    n.len() - body.len() <= 2
        && !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/_-".contains(c))
}

/// CSP Evaluator's bypass data sets (headers-spec.md §2.6), kept as data files under `data/`
/// and matched the way `utils.ts` `matchWildcardUrls` does.
pub mod bypass {
    /// JSONP endpoints (`allowlist_bypasses/jsonp.ts` `URLS`).
    pub const JSONP: &str = include_str!("../data/csp_jsonp_urls.txt");
    /// Hosts whose JSONP bypass needs `'unsafe-eval'` (`jsonp.ts` `NEEDS_EVAL`).
    pub const NEEDS_EVAL: &str = include_str!("../data/csp_jsonp_needs_eval.txt");
    /// AngularJS libraries (`allowlist_bypasses/angular.ts` `URLS`).
    pub const ANGULAR: &str = include_str!("../data/csp_angular_urls.txt");
    /// Flash files (`allowlist_bypasses/flash.ts` `URLS`).
    pub const FLASH: &str = include_str!("../data/csp_flash_urls.txt");

    /// The entries of one data file (comments and blank lines skipped).
    pub fn entries(list: &'static str) -> impl Iterator<Item = &'static str> {
        list.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
    }

    /// Whether a JSONP host only gives a bypass together with `'unsafe-eval'`.
    pub fn needs_eval(host: &str) -> bool {
        entries(NEEDS_EVAL).any(|h| h.eq_ignore_ascii_case(host))
    }

    /// `(host, path)` of a scheme-free URL; the path is `/` when absent.
    fn split(url: &str) -> (String, &str) {
        let (host, path) = match url.find('/') {
            Some(i) => (&url[..i], &url[i..]),
            None => (url, "/"),
        };
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host,
        };
        (host.to_ascii_lowercase(), path)
    }

    /// The source without its scheme (`utils.ts` `getSchemeFreeUrl`).
    fn scheme_free(source: &str) -> &str {
        let s = match source.find("://") {
            Some(i)
                if source[..i]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                    && source[..i]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
            {
                &source[i + 3..]
            }
            _ => source,
        };
        s.trim_start_matches("//")
    }

    /// The host of the first listed URL the CSP source allows: same host (or a subdomain for
    /// `*.host`), and — when the source has a path — the same path, or a path under it when
    /// the source path ends in `/`.
    pub fn match_source(source: &str, list: &'static str) -> Option<String> {
        let (host, path) = split(scheme_free(source));
        let wildcard = host.starts_with("*.");
        let free = if wildcard { &host[1..] } else { host.as_str() };
        let has_path = path != "/";
        entries(list).find_map(|entry| {
            let (domain, listed_path) = split(entry.trim_start_matches("//"));
            if !domain.ends_with(free) || !wildcard && host != domain {
                return None;
            }
            if has_path {
                let ok = if path.ends_with('/') {
                    listed_path.starts_with(path)
                } else {
                    listed_path == path
                };
                if !ok {
                    return None;
                }
            }
            Some(domain)
        })
    }
}

fn is_nonce(v: &str) -> bool {
    v.to_ascii_lowercase().starts_with("'nonce-")
}
fn is_hash(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    ["'sha256-", "'sha384-", "'sha512-"]
        .iter()
        .any(|p| l.starts_with(p))
}

/// Runs the default checks on one policy string.
pub fn evaluate(policy: &str) -> Vec<CspIssue> {
    let parsed = parse(policy);
    let get = |name: &str| -> Option<&Vec<String>> {
        parsed.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    };
    let effective = |name: &str| -> Option<Vec<String>> {
        get(name)
            .or_else(|| {
                if name.starts_with("script-src-") {
                    get("script-src")
                } else {
                    None
                }
            })
            .or_else(|| get("default-src"))
            .cloned()
    };
    let mut issues = Vec::new();
    let mut push = |kind, severity, directive: &str, value: &str, message: String| {
        issues.push(CspIssue {
            kind,
            severity,
            directive: directive.to_string(),
            value: value.to_string(),
            message,
        })
    };

    // Script directives, with CSP3 effective-policy rules.
    for d in ["script-src", "script-src-attr", "script-src-elem"] {
        if d != "script-src" && get(d).is_none() {
            continue;
        }
        let Some(values) = effective(d) else { continue };
        let strict_dynamic = values.iter().any(|v| v == "'strict-dynamic'");
        let nonce_or_hash = values.iter().any(|v| is_nonce(v) || is_hash(v));
        for v in &values {
            if v == "'unsafe-inline'" && !nonce_or_hash && !strict_dynamic {
                push(
                    "SCRIPT_UNSAFE_INLINE",
                    CspSeverity::High,
                    d,
                    v,
                    "'unsafe-inline' allows the execution of unsafe in-page scripts and event handlers".into(),
                );
            }
            if v == "'unsafe-hashes'" {
                push("SCRIPT_UNSAFE_HASHES", CspSeverity::MediumMaybe, d, v,
                    "'unsafe-hashes', while safer than 'unsafe-inline', still allows inline event handlers".into());
            }
            if v == "'unsafe-eval'" {
                push(
                    "SCRIPT_UNSAFE_EVAL",
                    CspSeverity::MediumMaybe,
                    d,
                    v,
                    "'unsafe-eval' allows eval() and similar; avoid it".into(),
                );
            }
        }
    }
    // Plain schemes and wildcards in script, object-src and base-uri.
    for d in [
        "script-src",
        "script-src-attr",
        "script-src-elem",
        "object-src",
        "base-uri",
    ] {
        let values = if d == "base-uri" {
            get(d).cloned()
        } else if d.starts_with("script-src-") && get(d).is_none() {
            None
        } else {
            effective(d)
        };
        let Some(values) = values else { continue };
        let strict_dynamic =
            d.starts_with("script") && values.iter().any(|v| v == "'strict-dynamic'");
        for v in &values {
            let l = v.to_ascii_lowercase();
            if !strict_dynamic && ["data:", "http:", "https:"].contains(&l.as_str()) {
                push(
                    "PLAIN_URL_SCHEMES",
                    CspSeverity::High,
                    d,
                    v,
                    format!("{v} URI in {d} allows the execution of unsafe scripts"),
                );
            }
            let stripped = l
                .split_once("://")
                .map(|(_, r)| r)
                .unwrap_or(l.trim_start_matches("//"));
            if !strict_dynamic && stripped == "*" {
                push(
                    "PLAIN_WILDCARD",
                    CspSeverity::High,
                    d,
                    v,
                    format!("{d} should not allow '*' as source"),
                );
            }
        }
    }
    // Missing directives.
    let has_default = get("default-src").is_some();
    if get("object-src").is_none() && !has_default
        || get("object-src").is_some_and(|v| v.is_empty())
    {
        push(
            "MISSING_DIRECTIVES",
            CspSeverity::High,
            "object-src",
            "",
            "Missing object-src allows the injection of plugins which can execute JavaScript. Set it to 'none'".into(),
        );
    }
    if get("script-src").is_none() && !has_default {
        push(
            "MISSING_DIRECTIVES",
            CspSeverity::High,
            "script-src",
            "",
            "script-src directive is missing".into(),
        );
    }
    let script = effective("script-src").unwrap_or_default();
    let uses_nonce = script.iter().any(|v| is_nonce(v));
    let hash_sd =
        script.iter().any(|v| is_hash(v)) && script.iter().any(|v| v == "'strict-dynamic'");
    if (uses_nonce || hash_sd) && get("base-uri").is_none() {
        push(
            "MISSING_DIRECTIVES",
            CspSeverity::High,
            "base-uri",
            "",
            "Missing base-uri allows the injection of base tags; set it to 'none' or 'self'".into(),
        );
    }
    // Allowlist bypasses ('self' and hosts) unless 'strict-dynamic' neutralises them: hosts
    // known to serve JSONP endpoints or AngularJS (script gadgets) are HIGH.
    for d in ["script-src", "script-src-elem"] {
        if d != "script-src" && get(d).is_none() {
            continue;
        }
        let Some(values) = effective(d) else { continue };
        if values
            .iter()
            .any(|v| v == "'none'" || v == "'strict-dynamic'")
        {
            continue;
        }
        let eval = values.iter().any(|v| v == "'unsafe-eval'");
        // Findings name the directive that really applies (default-src when it falls back).
        let d = if get(d).is_some() { d } else { "default-src" };
        for v in &values {
            if v == "'self'" {
                push(
                    "SCRIPT_ALLOWLIST_BYPASS",
                    CspSeverity::MediumMaybe,
                    d,
                    v,
                    "'self' can be problematic if you host JSONP, AngularJS or user-uploaded files"
                        .into(),
                );
                continue;
            }
            if v.starts_with('\'') || is_url_scheme(v) || !v.contains('.') {
                continue;
            }
            let jsonp = bypass::match_source(v, bypass::JSONP)
                .filter(|host| eval || !bypass::needs_eval(host));
            let angular = bypass::match_source(v, bypass::ANGULAR);
            let what = match (&jsonp, &angular) {
                (Some(_), Some(_)) => "JSONP endpoints and Angular libraries",
                (Some(_), None) => "JSONP endpoints",
                (None, Some(_)) => "Angular libraries",
                (None, None) => {
                    push("SCRIPT_ALLOWLIST_BYPASS", CspSeverity::MediumMaybe, d, v,
                        format!("No bypass found for {v}; make sure it serves no JSONP replies or Angular libraries"));
                    continue;
                }
            };
            let host = angular.or(jsonp).unwrap_or_default();
            push(
                "SCRIPT_ALLOWLIST_BYPASS",
                CspSeverity::High,
                d,
                v,
                format!("{host} is known to host {what} which allow to bypass this CSP"),
            );
        }
    }
    // Flash on allow-listed object hosts (skipped when plugin-types excludes Flash).
    let object_directive = if get("object-src").is_some() {
        "object-src"
    } else {
        "default-src"
    };
    let flash_allowed = get("plugin-types").is_none_or(|types| {
        types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("application/x-shockwave-flash"))
    });
    if let Some(obj) = get(object_directive).filter(|_| flash_allowed) {
        if !obj.iter().any(|v| v == "'none'") {
            for v in obj {
                let flash = (!v.starts_with('\'') && !is_url_scheme(v))
                    .then(|| bypass::match_source(v, bypass::FLASH))
                    .flatten();
                if let Some(host) = flash {
                    push(
                        "OBJECT_ALLOWLIST_BYPASS",
                        CspSeverity::High,
                        object_directive,
                        v,
                        format!(
                            "{host} is known to host Flash files which allow to bypass this CSP"
                        ),
                    );
                } else if object_directive == "object-src" {
                    push(
                        "OBJECT_ALLOWLIST_BYPASS",
                        CspSeverity::MediumMaybe,
                        "object-src",
                        v,
                        "Restrict object-src to 'none' if possible".into(),
                    );
                }
            }
        }
    }
    // Per-value checks over every directive.
    for (d, values) in &parsed {
        for v in values {
            let l = v.to_ascii_lowercase();
            if let Some(n) = nonce_value(v) {
                if n.chars().count() < 8 {
                    push(
                        "NONCE_LENGTH",
                        CspSeverity::Medium,
                        d,
                        v,
                        "Nonces should be at least 8 characters long".into(),
                    );
                }
                if !nonce_charset_ok(n) {
                    push(
                        "NONCE_CHARSET",
                        CspSeverity::Info,
                        d,
                        v,
                        "Nonces should only use the base64 charset".into(),
                    );
                }
            }
            if l.starts_with("http://") {
                let message = if d == "report-uri" {
                    "Use HTTPS to send violation reports securely".to_string()
                } else {
                    format!("Allow only resources downloaded over HTTPS ({v})")
                };
                push("SRC_HTTP", CspSeverity::Medium, d, v, message);
            }
            let host = l
                .split_once("://")
                .map(|(_, r)| r)
                .unwrap_or(&l)
                .split(['/', ':'])
                .next()
                .unwrap_or("");
            if host.parse::<std::net::Ipv4Addr>().is_ok()
                || l.contains("://[")
                || l.starts_with('[')
            {
                push(
                    "IP_SOURCE",
                    CspSeverity::Info,
                    d,
                    v,
                    if host == "127.0.0.1" {
                        format!("{d} directive allows localhost as source; remove it in production")
                    } else {
                        "IP addresses as sources are ignored by browsers in many cases".into()
                    },
                );
            }
            if DIRECTIVES.contains(&l.as_str()) {
                push(
                    "MISSING_SEMICOLON",
                    CspSeverity::Syntax,
                    d,
                    v,
                    format!("Did you forget the semicolon? \"{v}\" is a directive name"),
                );
            }
            let quoted = l.starts_with('\'');
            let keyword_like = KEYWORDS.contains(&format!("'{l}'").as_str())
                || l.starts_with("nonce-")
                || l.starts_with("sha256-")
                || l.starts_with("sha384-")
                || l.starts_with("sha512-");
            let allowed_quoted = KEYWORDS.contains(&l.as_str())
                || is_nonce(&l)
                || is_hash(&l)
                || (d == "trusted-types" && (l == "'allow-duplicates'" || l == "'none'"))
                || (d == "require-trusted-types-for" && l == "'script'");
            if (!quoted && keyword_like && d != "trusted-types") || (quoted && !allowed_quoted) {
                push(
                    "INVALID_KEYWORD",
                    CspSeverity::Syntax,
                    d,
                    v,
                    format!("{v} is not a valid CSP keyword (keywords are single-quoted)"),
                );
            }
        }
        if ["reflected-xss", "referrer", "disown-opener", "prefetch-src"].contains(&d.as_str()) {
            push(
                "DEPRECATED_DIRECTIVE",
                CspSeverity::Info,
                d,
                "",
                format!("{d} is deprecated"),
            );
        }
        if !DIRECTIVES.contains(&d.as_str()) {
            let message = if d.ends_with(':') {
                format!("CSP directives don't end with a colon: {d}")
            } else {
                format!("Directive \"{d}\" is not a known CSP directive (egg emits camelCase keys verbatim)")
            };
            push("UNKNOWN_DIRECTIVE", CspSeverity::Syntax, d, "", message);
        }
    }
    issues
}

/// The evaluator's strict-CSP checks (`STRICTCSP_CHECKS`, headers-spec.md §2.4), run on the
/// policy as sent (not the effective policy, which drops the very fallbacks they look for).
pub fn evaluate_strict(policy: &str) -> Vec<CspIssue> {
    let parsed = parse(policy);
    let get = |name: &str| -> Option<&Vec<String>> {
        parsed.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    };
    let directive = if get("script-src").is_some() {
        "script-src"
    } else {
        "default-src"
    };
    let values: &[String] = get(directive).map(Vec::as_slice).unwrap_or_default();
    let has = |k: &str| values.iter().any(|v| v == k);
    let nonce_or_hash = values
        .iter()
        .any(|v| nonce_value(v).is_some() || is_hash(v));
    let mut issues = Vec::new();
    let mut push = |kind, severity, directive: &str, message: &str| {
        issues.push(CspIssue {
            kind,
            severity,
            directive: directive.to_string(),
            value: String::new(),
            message: message.to_string(),
        })
    };
    if values.iter().any(|v| !v.starts_with('\'')) && !has("'strict-dynamic'") {
        push("STRICT_DYNAMIC", CspSeverity::StrictCsp, directive,
            "Host allowlists can frequently be bypassed. Consider using 'strict-dynamic' in combination with CSP nonces or hashes");
    }
    if has("'strict-dynamic'") && !nonce_or_hash {
        push(
            "STRICT_DYNAMIC_NOT_STANDALONE",
            CspSeverity::Info,
            directive,
            "'strict-dynamic' without a CSP nonce/hash will block all scripts",
        );
    }
    if nonce_or_hash && !has("'unsafe-inline'") {
        push("UNSAFE_INLINE_FALLBACK", CspSeverity::StrictCsp, directive,
            "Consider adding 'unsafe-inline' (ignored by browsers supporting nonces/hashes) to be backward compatible with older browsers");
    }
    if has("'strict-dynamic'")
        && !values
            .iter()
            .any(|v| ["http:", "https:", "*"].contains(&v.as_str()) || v.contains('.'))
    {
        push("ALLOWLIST_FALLBACK", CspSeverity::StrictCsp, directive,
            "Consider adding https: and http: url schemes (ignored by browsers supporting 'strict-dynamic') to be backward compatible with older browsers");
    }
    if !get("require-trusted-types-for")
        .is_some_and(|v| v.iter().any(|t| t.eq_ignore_ascii_case("'script'")))
    {
        push("REQUIRE_TRUSTED_TYPES_FOR_SCRIPTS", CspSeverity::Info, "require-trusted-types-for",
            "Consider requiring Trusted Types for scripts to lock down DOM XSS injection sinks: add require-trusted-types-for 'script'");
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(p: &str) -> Vec<&'static str> {
        evaluate(p).into_iter().map(|i| i.kind).collect()
    }

    #[test]
    fn flags_the_classic_weaknesses() {
        let k = kinds("script-src 'self' 'unsafe-inline' 'unsafe-eval' https: *");
        for want in [
            "SCRIPT_UNSAFE_INLINE",
            "SCRIPT_UNSAFE_EVAL",
            "PLAIN_URL_SCHEMES",
            "PLAIN_WILDCARD",
            "MISSING_DIRECTIVES",
            "SCRIPT_ALLOWLIST_BYPASS",
        ] {
            assert!(k.contains(&want), "{want} missing from {k:?}");
        }
    }

    #[test]
    fn strict_policy_is_clean() {
        let k = kinds("default-src 'none'; script-src 'strict-dynamic' 'nonce-AbCdEf0123456789'; object-src 'none'; base-uri 'none'");
        assert!(k.is_empty(), "{k:?}");
    }

    #[test]
    fn syntax_checks() {
        let k = kinds("default-src 'self' script-src; scriptSrc 'self'; img-src self nonce-abc; report-uri http://r.example");
        assert!(k.contains(&"MISSING_SEMICOLON"));
        assert!(k.contains(&"UNKNOWN_DIRECTIVE"));
        assert!(k.contains(&"INVALID_KEYWORD"));
        assert!(k.contains(&"SRC_HTTP"));
        assert!(kinds("script-src 'nonce-abc'; object-src 'none'").contains(&"NONCE_LENGTH"));
        assert!(kinds("script-src 'nonce-abcdefghij'; object-src 'none'")
            .contains(&"MISSING_DIRECTIVES"));
    }

    fn issue(p: &str, kind: &str) -> Option<CspIssue> {
        evaluate(p).into_iter().find(|i| i.kind == kind)
    }

    // Recorded: egg-security's policy with its per-request nonce, as the hardened fixture sends it.
    const EGG_STRICT: &str = "default-src 'none';script-src 'strict-dynamic' 'nonce-AbCdEfGh12345678';style-src 'self';img-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none'";

    #[test]
    fn source_expressions_keep_their_case_keywords_do_not() {
        let p = parse("Script-Src 'SELF' 'Unsafe-Inline' 'nonce-AbC+/xyZ09' 'sha256-AbCd=' HTTPS: https://CDN.Example.com/Path/");
        assert_eq!(p[0].0, "script-src");
        assert_eq!(
            p[0].1,
            [
                "'self'",
                "'unsafe-inline'",
                "'nonce-AbC+/xyZ09'",
                "'sha256-AbCd='",
                "https:",
                "https://CDN.Example.com/Path/"
            ]
        );
        assert_eq!(nonces(EGG_STRICT), ["AbCdEfGh12345678"]);
        assert_eq!(nonces("script-src 'NONCE-MiXeD123'"), ["MiXeD123"]);
        // Keywords compare case-insensitively: an upper-case 'UNSAFE-INLINE' still counts.
        assert!(kinds("script-src 'UNSAFE-INLINE'; object-src 'none'")
            .contains(&"SCRIPT_UNSAFE_INLINE"));
        // A hash is not a keyword: it is not lowercased, and it is no INVALID_KEYWORD.
        assert!(
            !kinds("script-src 'sha256-AbCdEf='; object-src 'none'").contains(&"INVALID_KEYWORD")
        );
    }

    #[test]
    fn nonce_checks_see_the_nonce_as_sent() {
        let short = issue("script-src 'nonce-AbC'; object-src 'none'", "NONCE_LENGTH").unwrap();
        assert_eq!(short.value, "'nonce-AbC'");
        assert_eq!(short.severity, CspSeverity::Medium);
        let bad = issue(
            "script-src 'nonce-Ab$dEfGh!2'; object-src 'none'",
            "NONCE_CHARSET",
        )
        .unwrap();
        assert_eq!(bad.value, "'nonce-Ab$dEfGh!2'");
        // Padding only at the end, at most two '='.
        assert!(
            kinds("script-src 'nonce-Ab=dEfGh12'; object-src 'none'").contains(&"NONCE_CHARSET")
        );
        assert!(
            kinds("script-src 'nonce-AbCdEfGh123==='; object-src 'none'")
                .contains(&"NONCE_CHARSET")
        );
        // Safe look-alikes: a long base64/base64url nonce, mixed case, padded.
        for ok in [
            "'nonce-AbCdEfGh12345678'",
            "'nonce-Ab+/Cd_-Ef12=='",
            "'NONCE-QUJDREVGR0g='",
        ] {
            let k = kinds(&format!(
                "script-src {ok}; object-src 'none'; base-uri 'none'"
            ));
            assert!(
                !k.contains(&"NONCE_LENGTH") && !k.contains(&"NONCE_CHARSET"),
                "{ok}: {k:?}"
            );
        }
        assert!(kinds(EGG_STRICT).is_empty(), "{:?}", kinds(EGG_STRICT));
    }

    #[test]
    fn bypass_data_sets_are_complete() {
        assert_eq!(bypass::entries(bypass::JSONP).count(), 123);
        assert_eq!(bypass::entries(bypass::NEEDS_EVAL).count(), 6);
        assert_eq!(bypass::entries(bypass::ANGULAR).count(), 32);
        assert_eq!(bypass::entries(bypass::FLASH).count(), 1);
        for list in [bypass::JSONP, bypass::ANGULAR, bypass::FLASH] {
            assert!(bypass::entries(list).all(|u| u.starts_with("//") && u.contains('.')));
        }
    }

    #[test]
    fn jsonp_and_angular_hosts_are_high() {
        for (src, host) in [
            ("https://www.google.com", "www.google.com"),
            ("cdn.jsdelivr.net", "cdn.jsdelivr.net"),
            ("https://cdnjs.cloudflare.com", "cdnjs.cloudflare.com"),
            (
                "https://cdnjs.cloudflare.com/ajax/libs/angular.js/",
                "cdnjs.cloudflare.com",
            ),
            ("*.googleapis.com", "googleapis.com"),
            ("https://accounts.google.com:443", "accounts.google.com"),
            ("https://suggest.taobao.com/sug", "suggest.taobao.com"),
        ] {
            let i = issue(
                &format!("script-src 'self' {src}; object-src 'none'"),
                "SCRIPT_ALLOWLIST_BYPASS",
            )
            .into_iter()
            .chain(evaluate(&format!("script-src {src}; object-src 'none'")))
            .find(|i| i.value == src)
            .unwrap_or_else(|| panic!("no finding for {src}"));
            assert_eq!(i.severity, CspSeverity::High, "{src}: {i:?}");
            assert!(i.message.contains(host), "{src}: {}", i.message);
        }
        let both = issue(
            "script-src ajax.googleapis.com; object-src 'none'",
            "SCRIPT_ALLOWLIST_BYPASS",
        )
        .unwrap();
        assert!(both
            .message
            .contains("JSONP endpoints and Angular libraries"));
        // Falls back to default-src and names it.
        let d = issue(
            "default-src https://cdn.jsdelivr.net",
            "SCRIPT_ALLOWLIST_BYPASS",
        )
        .unwrap();
        assert_eq!(
            (d.directive.as_str(), d.severity),
            ("default-src", CspSeverity::High)
        );
    }

    #[test]
    fn look_alike_hosts_are_only_worth_a_review() {
        for src in [
            "https://cdn.example.com",
            "https://www.google.com.evil.example",
            "https://cdn.jsdelivr.net/npm/my-lib/",
            "https://cdnjs.cloudflare.com/ajax/libs/jquery/",
            "https://suggest.taobao.com/sug/other",
            "googleapis.com",
            "https://www.googletagmanager.com",
        ] {
            let found: Vec<CspIssue> = evaluate(&format!("script-src {src}; object-src 'none'"))
                .into_iter()
                .filter(|i| i.kind == "SCRIPT_ALLOWLIST_BYPASS")
                .collect();
            assert_eq!(found.len(), 1, "{src}: {found:?}");
            assert_eq!(found[0].severity, CspSeverity::MediumMaybe, "{src}");
        }
        // googletagmanager's bypass needs 'unsafe-eval'.
        let gtm = issue(
            "script-src https://www.googletagmanager.com 'unsafe-eval'; object-src 'none'",
            "SCRIPT_ALLOWLIST_BYPASS",
        )
        .unwrap();
        assert_eq!(gtm.severity, CspSeverity::High);
        // 'strict-dynamic' (CSP3) and 'none' neutralise the allowlist.
        for p in [
            "script-src 'nonce-AbCdEfGh12345678' 'strict-dynamic' https://www.google.com; object-src 'none'; base-uri 'none'",
            "script-src 'none' https://www.google.com; object-src 'none'",
        ] {
            assert!(!kinds(p).contains(&"SCRIPT_ALLOWLIST_BYPASS"), "{p}");
        }
    }

    #[test]
    fn flash_hosts_in_object_src() {
        let hit = issue(
            "script-src 'none'; object-src https://ajax.googleapis.com",
            "OBJECT_ALLOWLIST_BYPASS",
        )
        .unwrap();
        assert_eq!(hit.severity, CspSeverity::High);
        let fallback = issue(
            "default-src https://ajax.googleapis.com/ajax/libs/yui/",
            "OBJECT_ALLOWLIST_BYPASS",
        )
        .unwrap();
        assert_eq!(
            (fallback.directive.as_str(), fallback.severity),
            ("default-src", CspSeverity::High)
        );
        // plugin-types without Flash, another host, or a default-src 'self' are no Flash bypass.
        assert!(!kinds("script-src 'none'; object-src https://ajax.googleapis.com; plugin-types application/pdf")
            .contains(&"OBJECT_ALLOWLIST_BYPASS"));
        let other = issue(
            "script-src 'none'; object-src https://cdn.example.com",
            "OBJECT_ALLOWLIST_BYPASS",
        )
        .unwrap();
        assert_eq!(other.severity, CspSeverity::MediumMaybe);
        assert!(!kinds("default-src 'self'").contains(&"OBJECT_ALLOWLIST_BYPASS"));
    }

    fn strict(p: &str) -> Vec<&'static str> {
        evaluate_strict(p).into_iter().map(|i| i.kind).collect()
    }

    #[test]
    fn strict_csp_checks() {
        // egg's hardened policy: strict-dynamic with a nonce, but no fallbacks for old browsers.
        assert_eq!(
            strict(EGG_STRICT),
            [
                "UNSAFE_INLINE_FALLBACK",
                "ALLOWLIST_FALLBACK",
                "REQUIRE_TRUSTED_TYPES_FOR_SCRIPTS"
            ]
        );
        // The recommended strict policy with both fallbacks and Trusted Types: nothing.
        assert!(strict("script-src 'nonce-AbCdEfGh12345678' 'strict-dynamic' 'unsafe-inline' https: http:; object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'").is_empty());
        // A hash works like a nonce.
        assert!(strict("script-src 'sha256-AbCd=' 'strict-dynamic' 'unsafe-inline' https:; require-trusted-types-for 'script'").is_empty());
        // Host allowlist without 'strict-dynamic'.
        let k =
            strict("script-src 'self' https://cdn.example.com; require-trusted-types-for 'script'");
        assert_eq!(k, ["STRICT_DYNAMIC"]);
        let i = &evaluate_strict("default-src https://cdn.example.com")[0];
        assert_eq!(
            (i.kind, i.severity, i.directive.as_str()),
            ("STRICT_DYNAMIC", CspSeverity::StrictCsp, "default-src")
        );
        // 'strict-dynamic' alone blocks every script.
        assert!(
            strict("script-src 'strict-dynamic' https:").contains(&"STRICT_DYNAMIC_NOT_STANDALONE")
        );
        assert!(!strict(EGG_STRICT).contains(&"STRICT_DYNAMIC_NOT_STANDALONE"));
        // Only keywords, no hosts, no nonce: no strict-dynamic advice.
        assert!(!strict("script-src 'self'").contains(&"STRICT_DYNAMIC"));
    }
}
