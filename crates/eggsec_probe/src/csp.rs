//! Google CSP Evaluator's default checks (headers-spec.md §2.3), run on a policy the app
//! really sent. Each check yields a [`CspIssue`] with the evaluator's severity.

/// The CSP Evaluator's severity scale (lower is more severe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CspSeverity {
    High = 10,
    Syntax = 20,
    Medium = 30,
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
/// keywords and schemes lowercased, other values kept as written.
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
            let v = if lower.starts_with('\'') && !lower.starts_with("'nonce-")
                || lower.ends_with(':') && !lower.contains('/')
            {
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
    // Allowlist bypasses ('self' and hosts) unless 'strict-dynamic' neutralises them.
    if !script
        .iter()
        .any(|v| v == "'none'" || v == "'strict-dynamic'")
    {
        for v in &script {
            if v == "'self'" {
                push(
                    "SCRIPT_ALLOWLIST_BYPASS",
                    CspSeverity::MediumMaybe,
                    "script-src",
                    v,
                    "'self' can be problematic if you host JSONP, AngularJS or user-uploaded files"
                        .into(),
                );
            } else if !v.starts_with('\'') && v.contains('.') {
                push("SCRIPT_ALLOWLIST_BYPASS", CspSeverity::MediumMaybe, "script-src", v,
                    format!("No bypass found for {v}; make sure it serves no JSONP replies or Angular libraries"));
            }
        }
    }
    if let Some(obj) = get("object-src") {
        if !obj.iter().any(|v| v == "'none'") {
            for v in obj {
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
    // Per-value checks over every directive.
    for (d, values) in &parsed {
        for v in values {
            let l = v.to_ascii_lowercase();
            if is_nonce(v) {
                let n = &v[7..v.len().saturating_sub(1)];
                if n.len() < 8 {
                    push(
                        "NONCE_LENGTH",
                        CspSeverity::Medium,
                        d,
                        v,
                        "Nonces should be at least 8 characters long".into(),
                    );
                }
                if !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/_-=".contains(c))
                {
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
}
