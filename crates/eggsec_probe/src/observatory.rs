//! The Mozilla HTTP Observatory grader, ported rule by rule.
//!
//! Two scoring versions:
//! - **v4** — the scanner published on npm (`@mdn/mdn-http-observatory` 1.4.8,
//!   `ALGORITHM_VERSION = 4`, ten tests). `tests/observatory/` installs it and the differential
//!   test (`crates/eggsec_probe/tests/differential.rs`) runs it beside the probe on the same
//!   pages.
//! - **v6** (the default) — the current upstream algorithm (the live site): v4 plus the
//!   COOP/COEP tests (+10 for the strong values), `X-Frame-Options: SAMEORIGIN|DENY` worth +5,
//!   and CSP header values split on commas into separate policies. v6 is not on npm; its rules
//!   are ported from the published scoring tables (`shared/research/headers-spec.md` §1) and
//!   unit-tested against them.
//!
//! Deliberate differences from the reference, where it has a bug and the probe follows the
//! Observatory's documented intent or the RFCs, are listed in `docs/probe.md` and each is marked
//! `DELIBERATE` below.

use crate::headers::{Headers, SetCookie};
use crate::html;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Which Observatory scoring to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Algorithm {
    /// npm `@mdn/mdn-http-observatory` 1.4.8 (ten tests).
    V4,
    /// The current upstream scoring (twelve tests).
    #[default]
    V6,
}

impl Algorithm {
    pub fn version(self) -> u32 {
        match self {
            Algorithm::V4 => 4,
            Algorithm::V6 => 6,
        }
    }
    /// `"4"` or `"6"`.
    pub fn parse(s: &str) -> Result<Algorithm, String> {
        match s.trim().trim_start_matches(['v', 'V']) {
            "4" => Ok(Algorithm::V4),
            "6" => Ok(Algorithm::V6),
            _ => Err(format!(
                "unknown Observatory algorithm '{s}': expected 4 (npm scanner) or 6 (current)"
            )),
        }
    }
}

/// What the grader reads: the graded session's final response, its cookies and the CORS
/// preflight answer.
#[derive(Debug, Clone, Default)]
pub struct ObservatoryInput {
    pub algorithm: Algorithm,
    /// The graded response is (or is graded as if it were) served over HTTPS.
    pub https: bool,
    /// The URL the graded session started at.
    pub url: String,
    /// Status of the graded response (0: unknown, graded anyway).
    pub status: u16,
    /// Headers of the graded response.
    pub headers: Headers,
    /// Body of the graded response (HTML is parsed for meta CSP, meta referrer and scripts).
    pub body: String,
    /// Every `(request URL, Set-Cookie line)` of the graded session: its redirect hops, the
    /// page and `/robots.txt`.
    pub cookies: Vec<(String, String)>,
    /// Headers of the CORS preflight response, if one was answered.
    pub preflight: Option<Headers>,
    /// The `Origin` sent with the preflight.
    pub cors_origin: String,
    /// The TLS certificate chain of the graded HTTPS session was verified.
    pub verified: bool,
    /// The redirect chain of the plain-HTTP session (first the `http://` URL, the final URL
    /// last); `None` when the redirection test cannot be assessed.
    pub http_chain: Option<Vec<String>>,
    /// The HTTPS part of `http_chain` was verified.
    pub http_chain_verified: bool,
    /// Why the redirection test is not assessed (shown with it).
    pub redirection_note: Option<String>,
    /// Why no grade is given at all (e.g. the target redirects off its origin).
    pub not_graded: Option<String>,
}

/// One test's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestOutcome {
    /// The Observatory test id, e.g. `content-security-policy`.
    pub name: String,
    /// The Observatory result id, e.g. `csp-not-implemented`.
    pub result: String,
    pub modifier: i32,
    pub pass: bool,
    /// Why the test was not assessed, or what the probe did differently.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The grade of one response. `score` and `grade` are `null` when the Observatory would not
/// grade the page (`not_graded` says why); the tests are still shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observatory {
    pub algorithm_version: u32,
    pub score: Option<i32>,
    pub grade: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_graded: Option<String>,
    pub tests: Vec<TestOutcome>,
}

/// The test ids of a scoring version, in the reference's order.
pub fn test_names(alg: Algorithm) -> Vec<&'static str> {
    let mut names = vec![
        "content-security-policy",
        "cookies",
        "cross-origin-resource-sharing",
        "redirection",
        "referrer-policy",
        "strict-transport-security",
        "subresource-integrity",
        "x-content-type-options",
        "x-frame-options",
        "cross-origin-resource-policy",
    ];
    if alg == Algorithm::V6 {
        names.insert(2, "cross-origin-embedder-policy");
        names.insert(3, "cross-origin-opener-policy");
    }
    names
}

impl Observatory {
    /// No page to grade (e.g. the target redirects off its origin): every test is
    /// `not-assessed` with the reason, and there is no score.
    pub fn not_assessed(alg: Algorithm, reason: &str) -> Observatory {
        Observatory {
            algorithm_version: alg.version(),
            score: None,
            grade: None,
            not_graded: Some(reason.to_string()),
            tests: test_names(alg)
                .into_iter()
                .map(|n| TestOutcome {
                    name: n.into(),
                    result: "not-assessed".into(),
                    modifier: 0,
                    pass: true,
                    note: Some(reason.to_string()),
                })
                .collect(),
        }
    }

    pub fn test(&self, name: &str) -> Option<&TestOutcome> {
        self.tests.iter().find(|t| t.name == name)
    }
    /// `"35 / D"`, or `"not graded (reason)"`.
    pub fn summary(&self) -> String {
        match (&self.score, &self.grade) {
            (Some(s), Some(g)) => format!("{s} / {g}"),
            _ => format!(
                "not graded ({})",
                self.not_graded.as_deref().unwrap_or("unknown reason")
            ),
        }
    }
}

fn outcome(name: &str, result: &str, modifier: i32, pass: bool) -> TestOutcome {
    TestOutcome {
        name: name.into(),
        result: result.into(),
        modifier,
        pass,
        note: None,
    }
}

/// The modifier of a result id, per scoring version (the published score tables).
pub fn modifier(alg: Algorithm, result: &str) -> i32 {
    match result {
        "csp-implemented-with-no-unsafe-default-src-none" => 10,
        "csp-implemented-with-no-unsafe" => 5,
        "csp-implemented-with-unsafe-inline-in-style-src-only" => 0,
        "csp-implemented-with-insecure-scheme-in-passive-content-only" => -10,
        "csp-implemented-with-unsafe-eval" => -10,
        "csp-implemented-with-unsafe-inline" => -20,
        "csp-implemented-with-insecure-scheme" => -20,
        "csp-header-invalid" | "csp-not-implemented" => -25,
        "csp-not-implemented-but-reporting-enabled" => -25,
        "csp-implemented-but-duplicate-directives" => 0,
        "cookies-secure-with-httponly-sessions-and-samesite" => 5,
        "cookies-secure-with-httponly-sessions" | "cookies-not-found" => 0,
        "cookies-without-secure-flag-but-protected-by-hsts" => -5,
        "cookies-session-without-secure-flag-but-protected-by-hsts" => -10,
        "cookies-without-secure-flag" => -20,
        "cookies-samesite-flag-invalid" => -20,
        "cookies-anticsrf-without-samesite-flag" => -20,
        "cookies-session-without-httponly-flag" => -30,
        "cookies-session-without-secure-flag" => -40,
        "cross-origin-resource-sharing-implemented-with-universal-access" => -50,
        "redirection-off-host-from-http" => -5,
        "redirection-not-to-https-on-initial-redirection" => -10,
        "redirection-not-to-https" | "redirection-missing" | "redirection-invalid-cert" => -20,
        "referrer-policy-private" => 5,
        "referrer-policy-unsafe" | "referrer-policy-header-invalid" => -5,
        "hsts-preloaded" => 5,
        "hsts-implemented-max-age-less-than-six-months" => -10,
        "hsts-not-implemented"
        | "hsts-header-invalid"
        | "hsts-not-implemented-no-https"
        | "hsts-invalid-cert" => -20,
        "sri-implemented-and-all-scripts-loaded-securely"
        | "sri-implemented-and-external-scripts-loaded-securely" => 5,
        "sri-not-implemented-but-external-scripts-loaded-securely" => -5,
        "sri-implemented-but-external-scripts-not-loaded-securely" => -20,
        "sri-not-implemented-and-external-scripts-not-loaded-securely" => -50,
        "html-not-parseable" => -20,
        "x-content-type-options-not-implemented" | "x-content-type-options-header-invalid" => -5,
        "x-frame-options-implemented-via-csp" => 5,
        "x-frame-options-sameorigin-or-deny" => match alg {
            Algorithm::V4 => 0,
            Algorithm::V6 => 5,
        },
        "x-frame-options-not-implemented" | "x-frame-options-header-invalid" => -20,
        "corp-implemented-with-same-origin" | "corp-implemented-with-same-site" => 10,
        "corp-header-invalid" => -5,
        "coop-implemented-with-same-origin"
        | "coop-implemented-with-same-origin-allow-popups"
        | "coop-implemented-with-noopener-allow-popups" => 10,
        "coop-header-invalid" | "coep-header-invalid" => -5,
        "coep-implemented-with-require-corp" | "coep-implemented-with-credentialless" => 10,
        _ => 0,
    }
}

fn scored(alg: Algorithm, name: &str, result: &str, pass: bool) -> TestOutcome {
    outcome(name, result, modifier(alg, result), pass)
}

/// Grades one response.
pub fn grade(input: &ObservatoryInput) -> Observatory {
    let alg = input.algorithm;
    let meta = parse_meta(input);
    let csp = csp_test(input, &meta.csp);
    let hsts = hsts_test(input);
    let mut tests = vec![
        csp.outcome,
        cookies_test(input, hsts.pass),
        cors_test(input),
        redirection_test(input),
        referrer_test(input, meta.referrer.as_deref()),
        hsts,
        sri_test(input),
        xcto_test(input),
        xfo_test(input, csp.data.as_ref()),
        corp_test(input),
    ];
    if alg == Algorithm::V6 {
        tests.insert(
            2,
            coop_coep_test(
                input,
                "cross-origin-embedder-policy",
                "coep",
                &["require-corp", "credentialless"],
            ),
        );
        tests.insert(
            3,
            coop_coep_test(
                input,
                "cross-origin-opener-policy",
                "coop",
                &[
                    "same-origin",
                    "same-origin-allow-popups",
                    "noopener-allow-popups",
                ],
            ),
        );
    }
    let not_graded = input.not_graded.clone().or_else(|| {
        let s = input.status;
        (s != 0 && (s < 200 || (s >= 400 && s != 401 && s != 403))).then(|| {
            format!(
                "the page answered {s}: the Observatory only grades 2xx, 3xx, 401 and 403 answers"
            )
        })
    });
    let (score, grade) = match not_graded {
        Some(_) => (None, None),
        None => {
            let (s, g) = score(&tests);
            (Some(s), Some(g))
        }
    };
    Observatory {
        algorithm_version: alg.version(),
        score,
        grade,
        not_graded,
        tests,
    }
}

/// Score and grade from test outcomes: bonuses only count when the penalties total at most 10.
pub fn score(tests: &[TestOutcome]) -> (i32, String) {
    let with_extra: i32 = 100 + tests.iter().map(|t| t.modifier).sum::<i32>();
    let uncurved: i32 = 100 + tests.iter().map(|t| t.modifier.min(0)).sum::<i32>();
    let score = if uncurved >= 90 { with_extra } else { uncurved }.max(0);
    (score, grade_for(score).to_string())
}

/// The letter for a score (floored to a multiple of 5, capped at 100).
pub fn grade_for(score: i32) -> &'static str {
    let s = (score.max(0) / 5 * 5).min(100);
    match s {
        100 => "A+",
        90..=99 => "A",
        85..=89 => "A-",
        80..=84 => "B+",
        70..=79 => "B",
        65..=69 => "B-",
        60..=64 => "C+",
        50..=59 => "C",
        45..=49 => "C-",
        40..=44 => "D+",
        30..=39 => "D",
        25..=29 => "D-",
        _ => "F",
    }
}

// ---------------------------------------------------------------------------------------------
// HTML

/// Whether the graded response is HTML. The reference compares the media type of the first
/// `Content-Type` exactly with `text/html` and `application/xhtml+xml`. DELIBERATE: a response
/// without any `Content-Type` is parsed as HTML when its body starts like markup, as browsers
/// sniff it (the npm reference skips such pages).
pub fn is_html(headers: &Headers, body: &str) -> bool {
    match headers.all("content-type").first() {
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("");
            mime == "text/html" || mime == "application/xhtml+xml"
        }
        None => body.trim_start().starts_with('<'),
    }
}

#[derive(Default)]
struct Meta {
    csp: Vec<String>,
    referrer: Option<String>,
}

fn parse_meta(input: &ObservatoryInput) -> Meta {
    let mut meta = Meta::default();
    if input.body.is_empty() || !is_html(&input.headers, &input.body) {
        return meta;
    }
    for el in html::elements(&input.body, &["meta"]) {
        match (el.attr("http-equiv"), el.attr("content")) {
            (Some(equiv), Some(content)) => {
                if !content.is_empty()
                    && equiv.trim().eq_ignore_ascii_case("content-security-policy")
                {
                    meta.csp.push(content.to_string());
                }
            }
            _ => {
                if el
                    .attr("name")
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case("referrer"))
                {
                    if let Some(c) = el.attr("content").filter(|c| !c.is_empty()) {
                        meta.referrer = Some(c.to_string());
                    }
                }
            }
        }
    }
    meta
}

// ---------------------------------------------------------------------------------------------
// Content-Security-Policy

/// A parsed policy: directive → sources (lowercased).
pub type Policy = BTreeMap<String, BTreeSet<String>>;

const DANGEROUSLY_BROAD: [&str; 8] = [
    "ftp:",
    "http:",
    "https:",
    "*",
    "http://*",
    "http://*.*",
    "https://*",
    "https://*.*",
];
const UNSAFE_INLINE: [&str; 2] = ["'unsafe-inline'", "data:"];

#[derive(Clone)]
struct Src {
    source: String,
    index: usize,
    keep: bool,
}

/// `decodeURIComponent`: `Err` on a malformed escape (which makes the reference's parser throw).
fn decode_component(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// Whether source `b` (of a later policy) is covered by `a` path-wise (the reference's
/// `pathPartMatch`).
fn path_part_match(a: &str, b: &str) -> Result<bool, ()> {
    if a.is_empty() || (a == "/" && b.is_empty()) {
        return Ok(true);
    }
    let exact = !a.ends_with('/');
    let mut la: Vec<&str> = a.split('/').collect();
    let lb: Vec<&str> = b.split('/').collect();
    if la.len() > lb.len() || (exact && la.len() != lb.len()) {
        return Ok(false);
    }
    if !exact {
        la.pop();
    }
    for (x, y) in la.iter().zip(lb.iter()) {
        if decode_component(x)? != decode_component(y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A parsed list of policies: the combined policy (every policy enforced: a source survives
/// only if each policy that names the directive allows it) and whether `report-uri`/`report-to`
/// was repeated. `Err` makes the CSP invalid (a repeated directive, a policy under 6 characters).
fn parse_csp(list: &[String]) -> Result<(Policy, bool), ()> {
    let clean: Vec<String> = list
        .iter()
        .map(|p| {
            p.chars()
                .filter(|c| *c != '\r' && *c != '\n')
                .collect::<String>()
                .trim()
                .to_string()
        })
        .collect();
    if clean.is_empty() {
        return Ok((Policy::new(), false));
    }
    if clean.iter().any(|p| p.encode_utf16().count() < 6) {
        return Err(());
    }
    let mut csp: BTreeMap<String, Vec<Src>> = BTreeMap::new();
    let mut dup = false;
    for (pi, policy) in clean.iter().enumerate() {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for entry in policy.split(';') {
            let mut words = entry.split_whitespace();
            let Some(first) = words.next() else { continue };
            let directive = first.to_lowercase();
            if !seen.insert(directive.clone()) {
                if directive == "report-uri" || directive == "report-to" {
                    dup = true;
                } else {
                    return Err(());
                }
            }
            let keep = pi == 0;
            let mut values: Vec<Src> = words
                .map(|w| Src {
                    source: w.to_lowercase(),
                    index: pi,
                    keep,
                })
                .collect();
            if values.is_empty() && directive.ends_with("-src") {
                values.push(Src {
                    source: "'none'".into(),
                    index: pi,
                    keep,
                });
            }
            let mut combined: Vec<Src> = if pi == 0 {
                values
            } else {
                let mut c = csp.get(&directive).cloned().unwrap_or_default();
                c.extend(values);
                c
            };
            combined.sort_by(|a, b| a.source.cmp(&b.source));
            for i in 1..combined.len() {
                let (prev_source, prev_index) =
                    (combined[i - 1].source.clone(), combined[i - 1].index);
                let cur = &mut combined[i];
                if cur.index == prev_index && cur.source.starts_with(&prev_source) {
                    cur.keep = false;
                }
                if cur.index != prev_index && path_part_match(&prev_source, &cur.source)? {
                    cur.keep = true;
                }
            }
            let mut kept: Vec<Src> = combined.into_iter().filter(|s| s.keep).collect();
            if pi == 0 && list.len() > 1 {
                for s in &mut kept {
                    s.keep = false;
                }
            }
            csp.insert(directive, kept);
        }
    }
    let policy = csp
        .into_iter()
        .map(|(k, v)| {
            let set: BTreeSet<String> = if v.is_empty() {
                BTreeSet::from(["'none'".to_string()])
            } else {
                v.into_iter().map(|s| s.source).collect()
            };
            (k, set)
        })
        .collect();
    Ok((policy, dup))
}

fn has_nonce_or_hash(set: &BTreeSet<String>) -> bool {
    set.iter().any(|s| {
        ["'nonce-", "'sha256-", "'sha384-", "'sha512-"]
            .iter()
            .any(|p| s.starts_with(p))
    })
}

struct CspResult {
    outcome: TestOutcome,
    /// The combined policy (header and meta) when the test ran to the end.
    data: Option<Policy>,
}

fn csp_test(input: &ObservatoryInput, meta: &[String]) -> CspResult {
    const NAME: &str = "content-security-policy";
    let alg = input.algorithm;
    let done = |result: &str, pass: bool, data: Option<Policy>| CspResult {
        outcome: scored(alg, NAME, result, pass),
        data,
    };
    // Node joins repeated headers with ", "; v6 splits the value (and meta values) on commas.
    let split = |values: Vec<String>| -> Vec<String> {
        match alg {
            Algorithm::V4 => values,
            Algorithm::V6 => values
                .iter()
                .flat_map(|v| v.split(',').map(|p| p.trim().to_string()))
                .collect(),
        }
    };
    let header = split(
        input
            .headers
            .merged("content-security-policy")
            .into_iter()
            .collect(),
    );
    let metas = split(meta.to_vec());
    let all: Vec<String> = header.iter().chain(metas.iter()).cloned().collect();
    let Ok((csp, dup)) = parse_csp(&all) else {
        return done("csp-header-invalid", false, None);
    };
    let header_size = parse_csp(&header)
        .map(|(p, d)| p.len() + usize::from(d))
        .unwrap_or(0);
    let meta_size = parse_csp(&metas)
        .map(|(mut p, d)| {
            for k in ["frame-ancestors", "report-uri", "sandbox"] {
                p.remove(k);
            }
            p.len() + usize::from(d)
        })
        .unwrap_or(0);
    if header_size + meta_size == 0 {
        let report_only = input
            .headers
            .merged("content-security-policy-report-only")
            .is_some_and(|v| !v.is_empty());
        return if report_only {
            done("csp-not-implemented-but-reporting-enabled", false, None)
        } else {
            done("csp-not-implemented", false, None)
        };
    }

    // The reference reads script-src/style-src/object-src as references into the policy: a
    // directive that falls back to default-src *is* default-src, and removing a source from
    // one removes it from the other. Missing ones are separate `*` sets.
    let mut sets = csp.clone();
    let mut key_for = |name: &str| -> String {
        if sets.contains_key(name) {
            name.to_string()
        } else if sets.contains_key("default-src") {
            "default-src".to_string()
        } else {
            let k = format!("\0{name}");
            sets.insert(k.clone(), BTreeSet::from(["*".to_string()]));
            k
        }
    };
    let object_k = key_for("object-src");
    let script_k = key_for("script-src");
    let style_k = key_for("style-src");
    let mut result: Option<&str> = None;
    for k in [&script_k, &style_k] {
        let set = sets.get_mut(k.as_str()).expect("key");
        if has_nonce_or_hash(set) {
            set.remove("'unsafe-inline'");
        }
    }
    {
        let script = sets.get_mut(script_k.as_str()).expect("key");
        if has_nonce_or_hash(script) && script.contains("'strict-dynamic'") {
            script.retain(|s| {
                !(DANGEROUSLY_BROAD.iter().any(|b| s.starts_with(b))
                    || s == "'self'"
                    || s == "'unsafe-inline'")
            });
        } else if script.contains("'strict-dynamic'") {
            result = Some("csp-header-invalid");
        }
    }
    let real = |k: &String| !k.starts_with('\0');
    let script = sets[&script_k].clone();
    let style = sets[&style_k].clone();
    let object = sets[&object_k].clone();
    let mut active: Vec<&String> = sets
        .iter()
        .filter(|(k, _)| real(k) && !matches!(k.as_str(), "img-src" | "media-src" | "script-src"))
        .flat_map(|(_, v)| v.iter())
        .collect();
    active.extend(script.iter());
    let passive: Vec<&String> = ["img-src", "media-src"]
        .iter()
        .flat_map(|d| {
            sets.get(*d)
                .or_else(|| sets.get("default-src"))
                .into_iter()
                .flat_map(|s| s.iter())
        })
        .collect();
    let insecure = |s: &&String| s.starts_with("http:") || s.starts_with("ftp:");
    let broad_or_inline =
        |s: &String| DANGEROUSLY_BROAD.contains(&s.as_str()) || UNSAFE_INLINE.contains(&s.as_str());
    let mut set_if_none = |r: &'static str| {
        if result.is_none() {
            result = Some(r);
        }
    };
    if script.iter().any(broad_or_inline)
        || object
            .iter()
            .any(|s| DANGEROUSLY_BROAD.contains(&s.as_str()))
    {
        set_if_none("csp-implemented-with-unsafe-inline");
    }
    if input.https && active.iter().any(insecure) {
        set_if_none("csp-implemented-with-insecure-scheme");
    }
    if script.contains("'unsafe-eval'") || style.contains("'unsafe-eval'") {
        set_if_none("csp-implemented-with-unsafe-eval");
    }
    if input.https && passive.iter().any(insecure) {
        set_if_none("csp-implemented-with-insecure-scheme-in-passive-content-only");
    }
    if style.iter().any(broad_or_inline) {
        set_if_none("csp-implemented-with-unsafe-inline-in-style-src-only");
    }
    if sets
        .get("default-src")
        .is_some_and(|d| d.len() == 1 && d.contains("'none'"))
    {
        set_if_none("csp-implemented-with-no-unsafe-default-src-none");
    } else {
        set_if_none("csp-implemented-with-no-unsafe");
    }
    let mut result = result.unwrap_or("csp-implemented-with-no-unsafe");
    let pass = matches!(
        result,
        "csp-implemented-with-no-unsafe"
            | "csp-implemented-with-no-unsafe-default-src-none"
            | "csp-implemented-with-unsafe-inline-in-style-src-only"
            | "csp-implemented-with-insecure-scheme-in-passive-content-only"
    );
    if pass && dup {
        result = "csp-implemented-but-duplicate-directives";
    }
    let data: Policy = sets.into_iter().filter(|(k, _)| real(k)).collect();
    done(result, pass, Some(data))
}

// ---------------------------------------------------------------------------------------------
// Cookies

/// Session cookie by the Observatory's name heuristic.
pub fn is_session_cookie(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("login") || n.contains("sess")
}

/// Anti-CSRF cookie by the Observatory's name heuristic.
pub fn is_anticsrf_cookie(name: &str) -> bool {
    name.to_ascii_lowercase().contains("csrf")
}

/// The registrable domain of a host (public suffix list), `None` for IP addresses and hosts
/// that are themselves a public suffix.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    psl::domain_str(&host).map(str::to_string)
}

/// A cookie the jar kept, with the scope the jar gave it.
#[derive(Debug, Clone)]
pub struct JarCookie {
    pub cookie: SetCookie,
    pub domain: String,
    pub path: String,
    pub host_only: bool,
}

/// A `Set-Cookie` line the jar refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: String,
    pub url: String,
    pub reason: String,
}

fn default_path(path: &str) -> String {
    if !path.starts_with('/') {
        return "/".into();
    }
    match path.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => path[..i].to_string(),
    }
}

/// The cookies a browser keeps after these `(request URL, Set-Cookie)` lines, with the rules of
/// the reference's jar (tough-cookie, RFC 6265bis): unparsable lines, a `Domain` that does not
/// domain-match the host or is a public suffix, and broken `__Secure-`/`__Host-` prefixes are
/// refused; a cookie replaces an earlier one with the same name, domain and path.
/// DELIBERATE: a `Secure` cookie set over plain HTTP is refused too, as browsers refuse it
/// (RFC 6265bis §5.7; the reference's jar keeps it).
pub fn browser_jar(lines: &[(String, String)]) -> (Vec<JarCookie>, Vec<Rejected>) {
    let mut jar: Vec<JarCookie> = Vec::new();
    let mut rejected = Vec::new();
    for (url, line) in lines {
        let reject = |reason: &str| Rejected {
            line: line.clone(),
            url: url.clone(),
            reason: reason.to_string(),
        };
        let Ok(u) = url::Url::parse(url) else {
            rejected.push(reject("request URL does not parse"));
            continue;
        };
        let host = u
            .host_str()
            .unwrap_or("")
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        let Some(c) = SetCookie::parse(line) else {
            rejected.push(reject("the Set-Cookie line does not parse"));
            continue;
        };
        let domain_attr = c
            .domain
            .as_deref()
            .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty());
        let (domain, host_only) = match domain_attr {
            Some(d) => {
                let is_v6 = d.contains(':');
                if registrable_domain(&d).is_none() && !is_v6 {
                    rejected.push(reject(&format!(
                        "Domain={d} is a public suffix or an IP address"
                    )));
                    continue;
                }
                let ip_host = host.parse::<std::net::IpAddr>().is_ok();
                let matches = host == d || (!ip_host && host.ends_with(&format!(".{d}")));
                if !matches {
                    rejected.push(reject(&format!(
                        "Domain={d} does not domain-match the host {host}"
                    )));
                    continue;
                }
                (d, false)
            }
            None => (host.clone(), true),
        };
        let path = match c.path.as_deref() {
            Some(p) if p.starts_with('/') => p.to_string(),
            _ => default_path(u.path()),
        };
        if c.name.starts_with("__Secure-") && !c.secure {
            rejected.push(reject("a __Secure- cookie without Secure"));
            continue;
        }
        if c.name.starts_with("__Host-")
            && !(c.secure && host_only && c.path.as_deref() == Some("/"))
        {
            rejected.push(reject(
                "a __Host- cookie needs Secure, Path=/ and no Domain",
            ));
            continue;
        }
        if c.secure && u.scheme() != "https" {
            rejected.push(reject("a Secure cookie set over plain HTTP"));
            continue;
        }
        jar.retain(|o| !(o.cookie.name == c.name && o.domain == domain && o.path == path));
        jar.push(JarCookie {
            cookie: c,
            domain,
            path,
            host_only,
        });
    }
    (jar, rejected)
}

/// The cookies the Observatory grades: the jar, minus `heroku-session-affinity`.
pub fn graded_cookies(lines: &[(String, String)]) -> Vec<SetCookie> {
    browser_jar(lines)
        .0
        .into_iter()
        .map(|j| j.cookie)
        .filter(|c| c.name != "heroku-session-affinity")
        .collect()
}

/// Cookie results from least to most severe ("worst wins").
const COOKIE_ORDER: [&str; 7] = [
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
];

/// The raw `SameSite` check of the reference: an attribute with no value or an unknown one.
fn raw_samesite_invalid(line: &str) -> bool {
    line.trim().split(';').any(|p| {
        let mut kv = p.trim().split('=');
        let key = kv.next().unwrap_or("");
        let value = kv.next();
        key.trim().eq_ignore_ascii_case("samesite")
            && match value {
                None | Some("") => true,
                Some(v) => {
                    !["lax", "strict", "none"].contains(&v.trim().to_ascii_lowercase().as_str())
                }
            }
    })
}

fn cookies_test(input: &ObservatoryInput, hsts_pass: bool) -> TestOutcome {
    const NAME: &str = "cookies";
    let alg = input.algorithm;
    let mut worst: Option<usize> = None;
    let mut raise = |idx: usize| worst = Some(worst.map_or(idx, |w| w.max(idx)));
    for line in input.headers.all("set-cookie") {
        if raw_samesite_invalid(line) {
            raise(3);
        }
    }
    let jar = graded_cookies(&input.cookies);
    if jar.is_empty() {
        // The reference overwrites any earlier result when the jar is empty.
        return scored(alg, NAME, "cookies-not-found", true);
    }
    let mut missing_samesite = false;
    for c in &jar {
        let same_site = c.same_site_token();
        if same_site == Some("none") && !c.secure {
            raise(3);
        }
        if !c.secure {
            raise(if hsts_pass { 0 } else { 1 });
        }
        if is_anticsrf_cookie(&c.name) && same_site.is_none() {
            raise(4);
        }
        if is_session_cookie(&c.name) {
            if !c.secure {
                raise(if hsts_pass { 2 } else { 6 });
            }
            if !c.http_only {
                raise(5);
            }
        }
        if same_site.is_none() {
            missing_samesite = true;
        }
    }
    match worst {
        Some(i) => scored(alg, NAME, COOKIE_ORDER[i], false),
        None if missing_samesite => {
            scored(alg, NAME, "cookies-secure-with-httponly-sessions", true)
        }
        None => scored(
            alg,
            NAME,
            "cookies-secure-with-httponly-sessions-and-samesite",
            true,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// COOP / COEP / CORP / CORS / redirection / referrer / HSTS / SRI / XCTO / XFO

/// The bare token of an RFC 8941 item (`same-origin; report-to="x"` → `same-origin`).
fn sf_token(value: &str) -> Option<String> {
    let mut parts = value.trim().split(';');
    let token = parts.next()?.trim();
    let mut chars = token.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '*') {
        return None;
    }
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~:/".contains(c);
    if !chars.all(tchar) {
        return None;
    }
    for param in parts {
        let key = param.split('=').next().unwrap_or("").trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.*".contains(c))
        {
            return None;
        }
    }
    Some(token.to_string())
}

fn coop_coep_test(
    input: &ObservatoryInput,
    name: &str,
    prefix: &str,
    strong: &[&str],
) -> TestOutcome {
    let alg = input.algorithm;
    let all = input.headers.all(name);
    if all.is_empty() {
        return scored(alg, name, &format!("{prefix}-not-implemented"), true);
    }
    let token = (all.len() == 1).then(|| sf_token(all[0])).flatten();
    match token.as_deref() {
        Some(t) if strong.contains(&t) => {
            scored(alg, name, &format!("{prefix}-implemented-with-{t}"), true)
        }
        Some("unsafe-none") => scored(
            alg,
            name,
            &format!("{prefix}-implemented-with-unsafe-none"),
            true,
        ),
        _ => scored(alg, name, &format!("{prefix}-header-invalid"), false),
    }
}

/// The first value as the reference's HTTP client sees it (repeats joined by `", "`), `None`
/// when absent or empty.
fn first_header(h: &Headers, name: &str) -> Option<String> {
    h.merged(name).filter(|v| !v.is_empty())
}

fn corp_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "cross-origin-resource-policy";
    let alg = input.algorithm;
    let value = first_header(&input.headers, NAME).map(|v| {
        v.chars()
            .take(256)
            .collect::<String>()
            .trim()
            .to_ascii_lowercase()
    });
    match value.as_deref() {
        None | Some("") => scored(alg, NAME, "corp-not-implemented", true),
        Some("same-origin") => scored(alg, NAME, "corp-implemented-with-same-origin", true),
        Some("same-site") => scored(alg, NAME, "corp-implemented-with-same-site", true),
        Some("cross-origin") => scored(alg, NAME, "corp-implemented-with-cross-origin", true),
        Some(_) => scored(alg, NAME, "corp-header-invalid", false),
    }
}

fn cors_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "cross-origin-resource-sharing";
    let alg = input.algorithm;
    let Some(pre) = &input.preflight else {
        return scored(
            alg,
            NAME,
            "cross-origin-resource-sharing-not-implemented",
            true,
        );
    };
    let Some(acao) = first_header(pre, "access-control-allow-origin") else {
        return scored(
            alg,
            NAME,
            "cross-origin-resource-sharing-not-implemented",
            true,
        );
    };
    let creds = first_header(pre, "access-control-allow-credentials")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let data: String = acao
        .chars()
        .take(256)
        .collect::<String>()
        .trim()
        .to_lowercase();
    if data == "*" {
        scored(
            alg,
            NAME,
            "cross-origin-resource-sharing-implemented-with-public-access",
            true,
        )
    } else if acao == input.cors_origin && creds {
        // DELIBERATE: the reference compares with the Origin of its request object, which its
        // HTTP client does not expose, so it never awards this on a live scan.
        scored(
            alg,
            NAME,
            "cross-origin-resource-sharing-implemented-with-universal-access",
            false,
        )
    } else {
        scored(
            alg,
            NAME,
            "cross-origin-resource-sharing-implemented-with-restricted-access",
            true,
        )
    }
}

fn redirection_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "redirection";
    let alg = input.algorithm;
    let Some(chain) = &input.http_chain else {
        let mut o = outcome(NAME, "redirection-not-assessed", 0, true);
        o.note = Some(input.redirection_note.clone().unwrap_or_else(|| {
            "the probe never contacts the other scheme of the origin (origin lock)".into()
        }));
        return o;
    };
    if chain.is_empty() {
        return scored(alg, NAME, "redirection-not-needed-no-http", true);
    }
    if !input.http_chain_verified {
        return scored(alg, NAME, "redirection-invalid-cert", false);
    }
    let route: Vec<Option<url::Url>> = chain.iter().map(|u| url::Url::parse(u).ok()).collect();
    let scheme = |i: usize| route[i].as_ref().map(|u| u.scheme().to_string());
    if route.len() == 1 {
        return scored(alg, NAME, "redirection-missing", false);
    }
    if scheme(route.len() - 1).as_deref() != Some("https") {
        return scored(alg, NAME, "redirection-not-to-https", false);
    }
    if scheme(1).as_deref() == Some("http") {
        return scored(
            alg,
            NAME,
            "redirection-not-to-https-on-initial-redirection",
            false,
        );
    }
    let host = |i: usize| {
        route[i]
            .as_ref()
            .and_then(|u| u.host_str().map(str::to_string))
    };
    if scheme(0).as_deref() == Some("http")
        && scheme(1).as_deref() == Some("https")
        && host(0) != host(1)
    {
        return scored(alg, NAME, "redirection-off-host-from-http", false);
    }
    scored(alg, NAME, "redirection-to-https", true)
}

fn referrer_test(input: &ObservatoryInput, meta: Option<&str>) -> TestOutcome {
    const NAME: &str = "referrer-policy";
    let alg = input.algorithm;
    const GOOD: [&str; 4] = [
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ];
    const BAD: [&str; 4] = [
        "origin",
        "origin-when-cross-origin",
        "unsafe-url",
        "no-referrer-when-downgrade",
    ];
    let mut values: Vec<String> = input.headers.merged(NAME).into_iter().collect();
    values.extend(meta.map(str::to_string));
    if values.is_empty() {
        return scored(alg, NAME, "referrer-policy-not-implemented", true);
    }
    let joined = values.join(", ");
    let policy = joined
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .rfind(|t| GOOD.contains(&t.as_str()) || BAD.contains(&t.as_str()));
    match policy.as_deref() {
        Some(t) if GOOD.contains(&t) => scored(alg, NAME, "referrer-policy-private", true),
        Some(_) => scored(alg, NAME, "referrer-policy-unsafe", false),
        None => scored(alg, NAME, "referrer-policy-header-invalid", false),
    }
}

/// The HSTS header the way the reference reads it: `None` when invalid (set twice, no
/// `max-age`), else the **last** `max-age` and the flags. DELIBERATE: a `max-age` that is not
/// delta-seconds (RFC 6797: digits, optionally quoted) is invalid; the reference's `parseInt`
/// takes `12abc` as 12 and lets `abc` (NaN) pass as six months.
pub fn hsts_max_age(value: &str) -> Option<u64> {
    let data: String = value.chars().take(1024).collect();
    if data.contains(',') {
        return None;
    }
    let mut max_age: Option<Option<u64>> = None;
    for p in data.split(';').map(|p| p.trim().to_lowercase()) {
        if let Some(v) = p.strip_prefix("max-age=") {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(v);
            let ok = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
            max_age = Some(if ok {
                Some(v.parse().unwrap_or(u64::MAX))
            } else {
                None
            });
        }
    }
    max_age.flatten()
}

/// `true` when a directive of the HSTS value appears twice: RFC 6797 §6.1 makes browsers ignore
/// the whole header (the reference grades the last `max-age`).
pub fn hsts_repeated_directive(value: &str) -> bool {
    let mut seen = BTreeSet::new();
    value
        .split(';')
        .map(|p| {
            p.split('=')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|n| !n.is_empty())
        .any(|n| !seen.insert(n))
}

fn hsts_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "strict-transport-security";
    let alg = input.algorithm;
    if !input.https {
        return scored(alg, NAME, "hsts-not-implemented-no-https", false);
    }
    if !input.verified {
        return scored(alg, NAME, "hsts-invalid-cert", false);
    }
    let Some(value) = input.headers.merged(NAME) else {
        return scored(alg, NAME, "hsts-not-implemented", false);
    };
    match hsts_max_age(&value) {
        None => scored(alg, NAME, "hsts-header-invalid", false),
        Some(age) if age >= 15_552_000 => scored(
            alg,
            NAME,
            "hsts-implemented-max-age-at-least-six-months",
            true,
        ),
        Some(_) => scored(
            alg,
            NAME,
            "hsts-implemented-max-age-less-than-six-months",
            false,
        ),
    }
}

const SRI_ORDER: [&str; 6] = [
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
];

fn sri_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "subresource-integrity";
    let alg = input.algorithm;
    if !is_html(&input.headers, &input.body) {
        return scored(alg, NAME, "sri-not-implemented-response-not-html", true);
    }
    let site_domain = url::Url::parse(&input.url)
        .ok()
        .and_then(|u| u.host_str().and_then(registrable_domain));
    let scripts = html::elements(&input.body, &["script"]);
    let mut result: Option<&str> = None;
    let worse = |new: &'static str, old: Option<&'static str>| -> Option<&'static str> {
        match old {
            None => Some(new),
            Some(o) => {
                let idx = |r: &str| SRI_ORDER.iter().position(|x| *x == r);
                if idx(new) > idx(o) {
                    Some(new)
                } else {
                    Some(o)
                }
            }
        }
    };
    let mut foreign = false;
    for s in &scripts {
        let Some(raw) = s.attr("src") else { continue };
        // The DOM's `script.src`: the absolute URL serialised, else the attribute as written.
        let src = match url::Url::parse(raw.trim_matches(|c: char| c.is_ascii_whitespace())) {
            Ok(u) => u.to_string(),
            Err(_) => raw.to_string(),
        };
        if src.is_empty() {
            continue;
        }
        // integrity="" is no integrity.
        let integrity = s.attr("integrity").is_some_and(|v| !v.is_empty());
        let lower = src.to_ascii_lowercase();
        let relative_protocol =
            src.len() > 2 && src.starts_with("//") && !src[2..].starts_with('/');
        let full = lower.starts_with("http://") || lower.starts_with("https://");
        let relative_origin = !relative_protocol && !full;
        let same_sld = if relative_protocol || relative_origin {
            true
        } else {
            url::Url::parse(&src)
                .ok()
                .and_then(|u| u.host_str().and_then(registrable_domain))
                == site_domain
        };
        let secure_origin = relative_origin || (same_sld && !relative_protocol);
        if !secure_origin {
            foreign = true;
        }
        let secure_scheme =
            (full && lower.starts_with("https://")) || (relative_origin && input.https);
        if !secure_origin {
            if integrity && !secure_scheme {
                result = worse(
                    "sri-implemented-but-external-scripts-not-loaded-securely",
                    result,
                );
            } else if !integrity && secure_scheme {
                result = worse(
                    "sri-not-implemented-but-external-scripts-loaded-securely",
                    result,
                );
            } else if !integrity && !secure_scheme {
                result = worse(
                    "sri-not-implemented-and-external-scripts-not-loaded-securely",
                    result,
                );
            }
        } else if integrity && secure_scheme && result.is_none() {
            result = Some("sri-implemented-and-all-scripts-loaded-securely");
        }
    }
    let result = if scripts.is_empty() {
        "sri-not-implemented-but-no-scripts-loaded"
    } else {
        result.unwrap_or(if foreign {
            "sri-implemented-and-external-scripts-loaded-securely"
        } else {
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        })
    };
    let pass = matches!(
        result,
        "sri-implemented-and-all-scripts-loaded-securely"
            | "sri-implemented-and-external-scripts-loaded-securely"
            | "sri-not-implemented-response-not-html"
            | "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
            | "sri-not-implemented-but-no-scripts-loaded"
    );
    scored(alg, NAME, result, pass)
}

fn xcto_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "x-content-type-options";
    let alg = input.algorithm;
    match first_header(&input.headers, NAME) {
        None => scored(alg, NAME, "x-content-type-options-not-implemented", false),
        Some(v)
            if v.chars()
                .take(256)
                .collect::<String>()
                .trim()
                .eq_ignore_ascii_case("nosniff") =>
        {
            scored(alg, NAME, "x-content-type-options-nosniff", true)
        }
        Some(_) => scored(alg, NAME, "x-content-type-options-header-invalid", false),
    }
}

fn xfo_test(input: &ObservatoryInput, policy: Option<&Policy>) -> TestOutcome {
    const NAME: &str = "x-frame-options";
    let alg = input.algorithm;
    let mut result = match first_header(&input.headers, NAME).map(|v| {
        v.chars()
            .take(1024)
            .collect::<String>()
            .trim()
            .to_lowercase()
    }) {
        None => "x-frame-options-not-implemented",
        Some(v) if v == "deny" || v == "sameorigin" => "x-frame-options-sameorigin-or-deny",
        Some(v) if v.starts_with("allow-from") => "x-frame-options-allow-from-origin",
        Some(_) => "x-frame-options-header-invalid",
    };
    if policy.is_some_and(|p| p.contains_key("frame-ancestors")) {
        result = "x-frame-options-implemented-via-csp";
    }
    let pass = matches!(
        result,
        "x-frame-options-allow-from-origin"
            | "x-frame-options-sameorigin-or-deny"
            | "x-frame-options-implemented-via-csp"
    );
    scored(alg, NAME, result, pass)
}

#[cfg(test)]
mod tests;
