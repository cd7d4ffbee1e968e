//! The probe's finding catalogue: which code, strategy, severity and egg fix each result gets.

use crate::observatory::TestOutcome;
use eggsec_report::{Finding, Location, Severity, Strategy};

/// A finding at `url` (all the parts of a probe finding, in the order a reader scans them).
#[allow(clippy::too_many_arguments)]
pub fn at(
    rule: &str,
    name: &str,
    strategy: Strategy,
    severity: Severity,
    url: &str,
    message: impl Into<String>,
    evidence: Vec<String>,
    remediation: &str,
) -> Finding {
    Finding::new(
        rule,
        name,
        strategy,
        severity,
        message,
        Location::Url { url: url.into() },
    )
    .with_evidence(evidence)
    .with_remediation(remediation)
}

/// Code and the egg config that fixes a failing Observatory test.
pub fn observatory_fix(test: &str) -> (&'static str, &'static str) {
    match test {
        "content-security-policy" => (
            "PRB101",
            "Enable egg-security's CSP in config/config.prod.js: `config.security.csp = { enable: true, policy: { 'default-src': \"'none'\", 'script-src': \"'strict-dynamic'\", 'style-src': \"'self'\", 'img-src': \"'self'\", 'connect-src': \"'self'\", 'object-src': \"'none'\", 'base-uri': \"'none'\", 'form-action': \"'self'\", 'frame-ancestors': \"'none'\" } }` (egg appends the nonce to script-src). `reportOnly: true` counts as no CSP; avoid 'unsafe-inline', 'unsafe-eval', data:, http: and wildcards.",
        ),
        "cookies" => (
            "PRB102",
            "Set `config.cookies = { sameSite: 'lax' }`, `config.session = { httpOnly: true, sameSite: 'lax' }` and `config.security.csrf.cookieOptions = { sameSite: 'lax' }` (or `security.csrf.useSession = true`); behind a TLS proxy set `config.proxy = true` so egg marks cookies Secure.",
        ),
        "cross-origin-embedder-policy" => (
            "PRB103",
            "egg-security cannot send COEP: add a middleware (`ctx.set('Cross-Origin-Embedder-Policy', 'require-corp')`) or set it once at the proxy; never twice.",
        ),
        "cross-origin-opener-policy" => (
            "PRB104",
            "egg-security cannot send COOP: add a middleware (`ctx.set('Cross-Origin-Opener-Policy', 'same-origin')`) or set it once at the proxy; never twice.",
        ),
        "cross-origin-resource-sharing" => (
            "PRB105",
            "Configure egg-cors with an explicit allowlist: `config.cors = { origin: ctx => allowed.has(ctx.get('origin')) ? ctx.get('origin') : '', credentials: true }` and keep `security.domainWhiteList` free of `*`.",
        ),
        "redirection" => (
            "PRB106",
            "Redirect http:// to https:// on the same host at the proxy, or with a middleware that checks `ctx.protocol` (needs `config.proxy = true` behind a proxy).",
        ),
        "referrer-policy" => (
            "PRB107",
            "Set `config.security.referrerPolicy = { enable: true, value: 'strict-origin-when-cross-origin' }` AND append it to the middleware list: `config.security.defaultMiddleware = 'csrf,hsts,methodnoallow,noopen,nosniff,csp,xssProtection,xframe,dta,referrerPolicy'` (a string, also on egg 4).",
        ),
        "strict-transport-security" => (
            "PRB108",
            "Set `config.security.hsts = { enable: true, maxAge: 31536000, includeSubdomains: true }` in config/config.prod.js (egg-security forces it off in local) and serve over HTTPS; send it once (not from the proxy too).",
        ),
        "subresource-integrity" => (
            "PRB109",
            "Load third-party scripts over https:// with `integrity` and `crossorigin` attributes in your view templates.",
        ),
        "x-content-type-options" => (
            "PRB110",
            "Keep `config.security.nosniff.enable = true` (the default) and do not add the header again at the proxy.",
        ),
        "x-frame-options" => (
            "PRB111",
            "Set `config.security.xframe = { enable: true, value: 'DENY' }` (or CSP `frame-ancestors 'none'`) and do not add the header again at the proxy.",
        ),
        "cross-origin-resource-policy" => (
            "PRB112",
            "egg-security cannot send CORP: add a middleware (`ctx.set('Cross-Origin-Resource-Policy', 'same-origin')`) or set it once at the proxy.",
        ),
        _ => ("PRB100", "See the Observatory documentation for this test."),
    }
}

/// The egg fix of the Observatory test reported under `code` (`PRB101`...), for the docs.
pub fn observatory_fix_for_code(code: &str) -> Option<&'static str> {
    [
        "content-security-policy",
        "cookies",
        "cross-origin-embedder-policy",
        "cross-origin-opener-policy",
        "cross-origin-resource-sharing",
        "redirection",
        "referrer-policy",
        "strict-transport-security",
        "subresource-integrity",
        "x-content-type-options",
        "x-frame-options",
        "cross-origin-resource-policy",
    ]
    .into_iter()
    .map(observatory_fix)
    .find(|(c, _)| *c == code)
    .map(|(_, fix)| fix)
}

/// Severity of a failing Observatory test by its modifier.
pub fn observatory_severity(modifier: i32) -> Severity {
    match modifier {
        m if m <= -40 => Severity::High,
        m if m <= -20 => Severity::Medium,
        m if m < 0 => Severity::Low,
        _ => Severity::Info,
    }
}

/// A finding for each failing Observatory test.
pub fn from_observatory(
    url: &str,
    tests: &[TestOutcome],
    evidence: impl Fn(&str) -> Vec<String>,
) -> Vec<Finding> {
    tests
        .iter()
        .filter(|t| !t.pass)
        .map(|t| {
            let (code, fix) = observatory_fix(&t.name);
            let strategy = if t.name == "cookies" && t.result.contains("anticsrf") {
                Strategy::Csrf
            } else {
                Strategy::Headers
            };
            at(
                code,
                &t.result,
                strategy,
                observatory_severity(t.modifier),
                url,
                format!(
                    "Observatory test `{}` fails: {} ({:+})",
                    t.name, t.result, t.modifier
                ),
                evidence(&t.name),
                fix,
            )
        })
        .collect()
}

/// The same problem seen on several URLs is one finding: findings with the same rule, name,
/// severity and evidence are merged into the first, which lists the other URLs in its evidence
/// and as related locations.
pub fn merge_repeats(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        let same = out.iter_mut().find(|o| {
            o.rule == f.rule
                && o.name == f.name
                && o.severity == f.severity
                && o.evidence == f.evidence
        });
        match same {
            Some(first) => {
                if let Location::Url { url } = &f.location {
                    if first.location != f.location
                        && !first.related.iter().any(|r| r.location == f.location)
                    {
                        first.related.push(eggsec_report::Related {
                            location: f.location.clone(),
                            message: format!("also seen at {url}"),
                        });
                    }
                }
            }
            None => out.push(f),
        }
    }
    for f in &mut out {
        if !f.related.is_empty() {
            let urls: Vec<String> = f
                .related
                .iter()
                .filter_map(|r| match &r.location {
                    Location::Url { url } => Some(url.clone()),
                    _ => None,
                })
                .collect();
            // The fingerprint stays the first URL's, whatever other URLs showed it too.
            f.evidence
                .push(format!("also seen at: {}", urls.join(", ")));
        }
    }
    out
}
