//! The Mozilla HTTP Observatory grader (MDN `mdn-http-observatory`, `ALGORITHM_VERSION = 6`),
//! re-implemented from `shared/research/headers-spec.md` §1: twelve tests, their results and
//! modifiers, the extra-credit rule and the floor-to-5 grade table.
//!
//! Differences, all forced by the probe's origin lock or missing data, are named in the
//! results: the redirection test is only assessed when the probed URL is `http://` (the probe
//! never leaves the given origin, so it cannot fetch the other scheme), and the Chromium HSTS
//! preload list is not bundled (nothing is ever "preloaded").

use crate::headers::{cookie_jar, Headers, SetCookie};
use regex::Regex;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// What the grader reads: the "auto" response and the CORS preflight answer.
#[derive(Debug, Clone, Default)]
pub struct ObservatoryInput {
    /// The response is (or is graded as if it were) served over HTTPS.
    pub https: bool,
    /// The probed URL, for registrable-domain comparison in the SRI test.
    pub url: String,
    /// Headers of the final response.
    pub headers: Headers,
    /// Body of the final response (HTML is parsed for meta CSP, meta referrer and scripts).
    pub body: String,
    /// Every `Set-Cookie` line seen in the session (main page and `/robots.txt`).
    pub set_cookies: Vec<String>,
    /// Headers of the CORS preflight response, if one was answered.
    pub preflight: Option<Headers>,
    /// The `Origin` sent with the preflight.
    pub cors_origin: String,
    /// The redirect chain of the plain-HTTP session (first the `http://` URL), with the final
    /// URL last; `None` when the redirection test cannot be assessed.
    pub http_chain: Option<Vec<String>>,
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
}

/// The grade of one response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observatory {
    pub algorithm_version: u32,
    pub score: i32,
    pub grade: String,
    pub tests: Vec<TestOutcome>,
}

impl Observatory {
    pub fn test(&self, name: &str) -> Option<&TestOutcome> {
        self.tests.iter().find(|t| t.name == name)
    }
}

fn outcome(name: &str, result: &str, modifier: i32, pass: bool) -> TestOutcome {
    TestOutcome {
        name: name.into(),
        result: result.into(),
        modifier,
        pass,
    }
}

/// Grades one response.
pub fn grade(input: &ObservatoryInput) -> Observatory {
    let meta = parse_meta(&input.headers, &input.body);
    let (csp, policy) = csp_test(&input.headers, &meta.csp, input.https);
    let hsts = hsts_test(input);
    let tests = vec![
        csp,
        cookies_test(input, hsts.pass),
        coop_coep_test(
            &input.headers,
            "cross-origin-embedder-policy",
            "coep",
            &["require-corp", "credentialless"],
        ),
        coop_coep_test(
            &input.headers,
            "cross-origin-opener-policy",
            "coop",
            &[
                "same-origin",
                "same-origin-allow-popups",
                "noopener-allow-popups",
            ],
        ),
        cors_test(input),
        redirection_test(input),
        referrer_test(&input.headers, meta.referrer.as_deref()),
        hsts,
        sri_test(input),
        xcto_test(&input.headers),
        xfo_test(&input.headers, policy.as_ref()),
        corp_test(&input.headers),
    ];
    let (score, grade) = score(&tests);
    Observatory {
        algorithm_version: 6,
        score,
        grade,
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
// HTML meta tags

#[derive(Default)]
struct Meta {
    csp: Vec<String>,
    referrer: Option<String>,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"(?is)([a-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#).expect("regex")
    });
    re.captures_iter(tag).find_map(|c| {
        c[1].eq_ignore_ascii_case(name).then(|| {
            c.get(2)
                .or(c.get(3))
                .or(c.get(4))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default()
        })
    })
}

fn tags<'a>(body: &'a str, name: &str) -> Vec<&'a str> {
    let re = Regex::new(&format!(r"(?is)<{name}\b[^>]*>")).expect("regex");
    re.find_iter(body).map(|m| m.as_str()).collect()
}

fn is_html(headers: &Headers) -> bool {
    headers
        .merged("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().contains("text/html"))
}

fn parse_meta(headers: &Headers, body: &str) -> Meta {
    let mut meta = Meta::default();
    if !is_html(headers) {
        return meta;
    }
    for tag in tags(body, "meta") {
        let content = attr(tag, "content");
        if attr(tag, "http-equiv")
            .is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy"))
        {
            if let Some(c) = content.clone() {
                meta.csp.push(c);
            }
        }
        if attr(tag, "name").is_some_and(|v| v.eq_ignore_ascii_case("referrer")) {
            meta.referrer = content;
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

struct ParsedPolicy {
    policy: Policy,
    duplicate_reporting: bool,
}

/// Parses one policy the Observatory way; `Err` makes the whole CSP invalid.
fn parse_one_policy(text: &str) -> Result<ParsedPolicy, ()> {
    let text: String = text.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    let text = text.trim();
    if text.len() < 6 {
        return Err(());
    }
    let mut policy = Policy::new();
    let mut duplicate_reporting = false;
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let mut words = entry.split_whitespace();
        let Some(name) = words.next() else { continue };
        let name = name.to_ascii_lowercase();
        let mut values: BTreeSet<String> = words.map(|w| w.to_ascii_lowercase()).collect();
        if policy.contains_key(&name) {
            if name == "report-uri" || name == "report-to" {
                duplicate_reporting = true;
                continue;
            }
            return Err(());
        }
        if values.is_empty() && name.ends_with("-src") {
            values.insert("'none'".into());
        }
        policy.insert(name, values);
    }
    Ok(ParsedPolicy {
        policy,
        duplicate_reporting,
    })
}

/// Combines several policies: a directive in more than one keeps only the sources every one
/// allows (`'none'` when nothing survives).
fn combine(policies: &[Policy]) -> Policy {
    let mut out = Policy::new();
    for p in policies {
        for (k, v) in p {
            match out.get_mut(k) {
                None => {
                    out.insert(k.clone(), v.clone());
                }
                Some(existing) => {
                    let both: BTreeSet<String> = existing.intersection(v).cloned().collect();
                    *existing = if both.is_empty() {
                        BTreeSet::from(["'none'".to_string()])
                    } else {
                        both
                    };
                }
            }
        }
    }
    out
}

fn has_nonce_or_hash(set: &BTreeSet<String>) -> bool {
    set.iter().any(|s| {
        ["'nonce-", "'sha256-", "'sha384-", "'sha512-"]
            .iter()
            .any(|p| s.starts_with(p))
    })
}

fn effective(policy: &Policy, name: &str) -> BTreeSet<String> {
    policy
        .get(name)
        .or_else(|| policy.get("default-src"))
        .cloned()
        .unwrap_or_else(|| BTreeSet::from(["*".to_string()]))
}

fn csp_test(headers: &Headers, meta: &[String], https: bool) -> (TestOutcome, Option<Policy>) {
    const NAME: &str = "content-security-policy";
    let invalid = || (outcome(NAME, "csp-header-invalid", -25, false), None);
    let mut dup_reporting = false;
    let mut header = Vec::new();
    for v in headers.all("content-security-policy") {
        for p in v.split(',') {
            match parse_one_policy(p) {
                Ok(pp) => {
                    dup_reporting |= pp.duplicate_reporting;
                    header.push(pp.policy);
                }
                Err(()) => return invalid(),
            }
        }
    }
    let mut metas = Vec::new();
    for v in meta {
        for p in v.split(',') {
            match parse_one_policy(p) {
                Ok(pp) => {
                    dup_reporting |= pp.duplicate_reporting;
                    metas.push(pp.policy);
                }
                Err(()) => return invalid(),
            }
        }
    }
    let header_any = header.iter().any(|p| !p.is_empty());
    let meta_any = metas.iter().any(|p| {
        p.keys()
            .any(|k| !matches!(k.as_str(), "frame-ancestors" | "report-uri" | "sandbox"))
    });
    if !header_any && !meta_any {
        return if headers.has("content-security-policy-report-only") {
            (
                outcome(
                    NAME,
                    "csp-not-implemented-but-reporting-enabled",
                    -25,
                    false,
                ),
                None,
            )
        } else {
            (outcome(NAME, "csp-not-implemented", -25, false), None)
        };
    }
    let all: Vec<Policy> = header.iter().chain(metas.iter()).cloned().collect();
    let policy = combine(&all);

    let mut script = effective(&policy, "script-src");
    let mut style = effective(&policy, "style-src");
    let object = effective(&policy, "object-src");
    let script_missing = !policy.contains_key("script-src") && !policy.contains_key("default-src");
    let object_missing = !policy.contains_key("object-src") && !policy.contains_key("default-src");

    if has_nonce_or_hash(&script) {
        script.remove("'unsafe-inline'");
    }
    if has_nonce_or_hash(&style) {
        style.remove("'unsafe-inline'");
    }
    if script.contains("'strict-dynamic'") {
        if !has_nonce_or_hash(&script) {
            return invalid();
        }
        script.retain(|s| {
            !(DANGEROUSLY_BROAD.iter().any(|b| s.starts_with(b))
                || s == "'self'"
                || s == "'unsafe-inline'")
        });
    }
    let broad =
        |set: &BTreeSet<String>| set.iter().any(|s| DANGEROUSLY_BROAD.contains(&s.as_str()));
    let inline = |set: &BTreeSet<String>| set.iter().any(|s| UNSAFE_INLINE.contains(&s.as_str()));
    let insecure = |s: &String| s.starts_with("http:") || s.starts_with("ftp:");

    let result: (&str, i32, bool) = if broad(&script)
        || inline(&script)
        || broad(&object)
        || script_missing
        || object_missing
    {
        ("csp-implemented-with-unsafe-inline", -20, false)
    } else if https && {
        let mut active: Vec<&String> = policy
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "img-src" | "media-src" | "script-src"))
            .flat_map(|(_, v)| v.iter())
            .collect();
        active.extend(script.iter());
        active.into_iter().any(insecure)
    } {
        ("csp-implemented-with-insecure-scheme", -20, false)
    } else if script.contains("'unsafe-eval'") || style.contains("'unsafe-eval'") {
        ("csp-implemented-with-unsafe-eval", -10, false)
    } else if https
        && (effective(&policy, "img-src").iter().any(insecure)
            || effective(&policy, "media-src").iter().any(insecure))
    {
        (
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            -10,
            true,
        )
    } else if broad(&style) || inline(&style) {
        (
            "csp-implemented-with-unsafe-inline-in-style-src-only",
            0,
            true,
        )
    } else if policy
        .get("default-src")
        .is_some_and(|d| d.len() == 1 && d.contains("'none'"))
    {
        ("csp-implemented-with-no-unsafe-default-src-none", 10, true)
    } else {
        ("csp-implemented-with-no-unsafe", 5, true)
    };
    let result = if result.2 && dup_reporting {
        ("csp-implemented-but-duplicate-directives", 0, true)
    } else {
        result
    };
    (outcome(NAME, result.0, result.1, result.2), Some(policy))
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

/// Cookie results from least to most severe ("worst wins"), with their modifiers.
const COOKIE_ORDER: [(&str, i32); 7] = [
    ("cookies-without-secure-flag-but-protected-by-hsts", -5),
    ("cookies-without-secure-flag", -20),
    (
        "cookies-session-without-secure-flag-but-protected-by-hsts",
        -10,
    ),
    ("cookies-samesite-flag-invalid", -20),
    ("cookies-anticsrf-without-samesite-flag", -20),
    ("cookies-session-without-httponly-flag", -30),
    ("cookies-session-without-secure-flag", -40),
];

/// The cookies the Observatory grades (its jar, minus `heroku-session-affinity`).
pub fn graded_cookies(set_cookies: &[String]) -> Vec<SetCookie> {
    cookie_jar(set_cookies.iter().map(String::as_str))
        .into_iter()
        .filter(|c| c.name != "heroku-session-affinity")
        .collect()
}

fn cookies_test(input: &ObservatoryInput, hsts_pass: bool) -> TestOutcome {
    const NAME: &str = "cookies";
    let jar = graded_cookies(&input.set_cookies);
    if jar.is_empty() {
        return outcome(NAME, "cookies-not-found", 0, true);
    }
    let mut worst: Option<usize> = None;
    let mut raise = |idx: usize| worst = Some(worst.map_or(idx, |w| w.max(idx)));
    for c in &jar {
        if c.same_site.is_some() && !c.same_site_valid() {
            raise(3);
        }
        if c.same_site
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("none"))
            && !c.secure
        {
            raise(3);
        }
        if !c.secure {
            raise(if hsts_pass { 0 } else { 1 });
        }
        if is_anticsrf_cookie(&c.name) && c.same_site.is_none() {
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
    }
    match worst {
        Some(i) => outcome(NAME, COOKIE_ORDER[i].0, COOKIE_ORDER[i].1, false),
        None if jar.iter().all(|c| c.same_site.is_some()) => outcome(
            NAME,
            "cookies-secure-with-httponly-sessions-and-samesite",
            5,
            true,
        ),
        None => outcome(NAME, "cookies-secure-with-httponly-sessions", 0, true),
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

fn coop_coep_test(headers: &Headers, name: &str, prefix: &str, strong: &[&str]) -> TestOutcome {
    let all = headers.all(name);
    if all.is_empty() {
        return outcome(name, &format!("{prefix}-not-implemented"), 0, true);
    }
    let token = (all.len() == 1).then(|| sf_token(all[0])).flatten();
    match token.as_deref() {
        Some(t) if strong.contains(&t) => {
            outcome(name, &format!("{prefix}-implemented-with-{t}"), 10, true)
        }
        Some("unsafe-none") => outcome(
            name,
            &format!("{prefix}-implemented-with-unsafe-none"),
            0,
            true,
        ),
        _ => outcome(name, &format!("{prefix}-header-invalid"), -5, false),
    }
}

fn corp_test(headers: &Headers) -> TestOutcome {
    const NAME: &str = "cross-origin-resource-policy";
    match headers
        .merged(NAME)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None => outcome(NAME, "corp-not-implemented", 0, true),
        Some("same-origin") => outcome(NAME, "corp-implemented-with-same-origin", 10, true),
        Some("same-site") => outcome(NAME, "corp-implemented-with-same-site", 10, true),
        Some("cross-origin") => outcome(NAME, "corp-implemented-with-cross-origin", 0, true),
        Some(_) => outcome(NAME, "corp-header-invalid", -5, false),
    }
}

fn cors_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "cross-origin-resource-sharing";
    let acao = input
        .preflight
        .as_ref()
        .and_then(|h| h.merged("access-control-allow-origin"));
    let creds = input
        .preflight
        .as_ref()
        .and_then(|h| h.merged("access-control-allow-credentials"))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    match acao.as_deref().map(str::trim) {
        None => outcome(
            NAME,
            "cross-origin-resource-sharing-not-implemented",
            0,
            true,
        ),
        Some("*") => outcome(
            NAME,
            "cross-origin-resource-sharing-implemented-with-public-access",
            0,
            true,
        ),
        Some(o) if o == input.cors_origin && creds => outcome(
            NAME,
            "cross-origin-resource-sharing-implemented-with-universal-access",
            -50,
            false,
        ),
        Some(_) => outcome(
            NAME,
            "cross-origin-resource-sharing-implemented-with-restricted-access",
            0,
            true,
        ),
    }
}

fn redirection_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "redirection";
    let Some(chain) = &input.http_chain else {
        // eggsec: the probe never contacts the other scheme (origin lock).
        return outcome(NAME, "redirection-not-assessed-origin-locked", 0, true);
    };
    let parse = |u: &str| url::Url::parse(u).ok();
    let Some(first) = chain.first().and_then(|u| parse(u)) else {
        return outcome(NAME, "redirection-not-needed-no-http", 0, true);
    };
    if chain.len() <= 1 {
        return outcome(NAME, "redirection-missing", -20, false);
    }
    let last = chain.last().and_then(|u| parse(u));
    if last.as_ref().is_none_or(|u| u.scheme() != "https") {
        return outcome(NAME, "redirection-not-to-https", -20, false);
    }
    let second = chain.get(1).and_then(|u| parse(u));
    match second {
        Some(s) if s.scheme() == "http" => outcome(
            NAME,
            "redirection-not-to-https-on-initial-redirection",
            -10,
            false,
        ),
        Some(s) if s.host_str() != first.host_str() => {
            outcome(NAME, "redirection-off-host-from-http", -5, false)
        }
        _ => outcome(NAME, "redirection-to-https", 0, true),
    }
}

fn referrer_test(headers: &Headers, meta: Option<&str>) -> TestOutcome {
    const NAME: &str = "referrer-policy";
    const VALID: [&str; 8] = [
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "origin",
        "origin-when-cross-origin",
        "unsafe-url",
        "no-referrer-when-downgrade",
    ];
    let mut values: Vec<String> = headers
        .all("referrer-policy")
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(m) = meta {
        values.push(m.to_string());
    }
    if values.is_empty() {
        return outcome(NAME, "referrer-policy-not-implemented", 0, true);
    }
    let joined = values.join(",");
    let last_valid = joined
        .split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .rfind(|t| VALID.contains(&t.as_str()));
    match last_valid.as_deref() {
        None => outcome(NAME, "referrer-policy-header-invalid", -5, false),
        Some(t) if VALID[..4].contains(&t) => outcome(NAME, "referrer-policy-private", 5, true),
        Some(_) => outcome(NAME, "referrer-policy-unsafe", -5, false),
    }
}

fn hsts_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "strict-transport-security";
    if !input.https {
        return outcome(NAME, "hsts-not-implemented-no-https", -20, false);
    }
    let Some(value) = input.headers.merged(NAME) else {
        return outcome(NAME, "hsts-not-implemented", -20, false);
    };
    match hsts_max_age(&value) {
        None => outcome(NAME, "hsts-header-invalid", -20, false),
        Some(age) if age >= 15_552_000 => outcome(
            NAME,
            "hsts-implemented-max-age-at-least-six-months",
            0,
            true,
        ),
        Some(_) => outcome(
            NAME,
            "hsts-implemented-max-age-less-than-six-months",
            -10,
            false,
        ),
    }
}

/// `max-age` of an HSTS value; `None` when the value is invalid (duplicated, no max-age).
pub fn hsts_max_age(value: &str) -> Option<u64> {
    if value.contains(',') {
        return None;
    }
    value
        .to_ascii_lowercase()
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("max-age="))
        .and_then(|v| v.trim().trim_matches('"').parse().ok())
}

/// The last two labels of a host: an approximation of the registrable domain (no PSL).
fn site_of(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    if host.parse::<std::net::IpAddr>().is_ok() || labels.len() <= 2 {
        return host.to_ascii_lowercase();
    }
    labels[labels.len() - 2..].join(".").to_ascii_lowercase()
}

fn sri_test(input: &ObservatoryInput) -> TestOutcome {
    const NAME: &str = "subresource-integrity";
    if !is_html(&input.headers) {
        return outcome(NAME, "sri-not-implemented-response-not-html", 0, true);
    }
    let site = url::Url::parse(&input.url).ok();
    let site_host = site
        .as_ref()
        .and_then(|u| u.host_str().map(site_of))
        .unwrap_or_default();
    let scripts: Vec<(String, bool)> = tags(&input.body, "script")
        .into_iter()
        .filter_map(|t| attr(t, "src").map(|s| (s, attr(t, "integrity").is_some())))
        .collect();
    if scripts.is_empty() {
        return outcome(NAME, "sri-not-implemented-but-no-scripts-loaded", 0, true);
    }
    // (result, modifier, pass) ranked by modifier: the worst wins.
    let mut worst: Option<(&str, i32, bool)> = None;
    let mut all_same_with_sri = true;
    for (src, integrity) in &scripts {
        let lower = src.to_ascii_lowercase();
        let protocol_relative = lower.starts_with("//");
        let absolute = lower.starts_with("http://") || lower.starts_with("https://");
        let same = if protocol_relative {
            false
        } else if absolute {
            url::Url::parse(src)
                .ok()
                .and_then(|u| u.host_str().map(site_of))
                .is_some_and(|h| h == site_host)
        } else {
            true
        };
        if same {
            all_same_with_sri &= *integrity;
            continue;
        }
        let secure = lower.starts_with("https://");
        let r = match (integrity, secure) {
            (true, true) => (
                "sri-implemented-and-external-scripts-loaded-securely",
                5,
                true,
            ),
            (true, false) => (
                "sri-implemented-but-external-scripts-not-loaded-securely",
                -20,
                false,
            ),
            (false, true) => (
                "sri-not-implemented-but-external-scripts-loaded-securely",
                -5,
                false,
            ),
            (false, false) => (
                "sri-not-implemented-and-external-scripts-not-loaded-securely",
                -50,
                false,
            ),
        };
        if worst.is_none_or(|w| r.1 < w.1) {
            worst = Some(r);
        }
    }
    match worst {
        Some((r, m, p)) => outcome(NAME, r, m, p),
        None if all_same_with_sri => outcome(
            NAME,
            "sri-implemented-and-all-scripts-loaded-securely",
            5,
            true,
        ),
        None => outcome(
            NAME,
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
            0,
            true,
        ),
    }
}

fn xcto_test(headers: &Headers) -> TestOutcome {
    const NAME: &str = "x-content-type-options";
    match headers.merged(NAME) {
        None => outcome(NAME, "x-content-type-options-not-implemented", -5, false),
        Some(v) if v.trim().eq_ignore_ascii_case("nosniff") => {
            outcome(NAME, "x-content-type-options-nosniff", 0, true)
        }
        Some(_) => outcome(NAME, "x-content-type-options-header-invalid", -5, false),
    }
}

fn xfo_test(headers: &Headers, policy: Option<&Policy>) -> TestOutcome {
    const NAME: &str = "x-frame-options";
    if policy.is_some_and(|p| p.contains_key("frame-ancestors")) {
        return outcome(NAME, "x-frame-options-implemented-via-csp", 5, true);
    }
    match headers.merged(NAME).map(|v| v.trim().to_ascii_lowercase()) {
        None => outcome(NAME, "x-frame-options-not-implemented", -20, false),
        Some(v) if v == "deny" || v == "sameorigin" => {
            outcome(NAME, "x-frame-options-sameorigin-or-deny", 5, true)
        }
        Some(v) if v.starts_with("allow-from") => {
            outcome(NAME, "x-frame-options-allow-from-origin", 0, true)
        }
        Some(_) => outcome(NAME, "x-frame-options-header-invalid", -20, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(https: bool, headers: &[(&str, &str)]) -> ObservatoryInput {
        let h = Headers::from_pairs(headers.iter().map(|(k, v)| (*k, v.to_string())));
        ObservatoryInput {
            https,
            url: "https://shop.example.com/".into(),
            set_cookies: h
                .all("set-cookie")
                .into_iter()
                .map(str::to_string)
                .collect(),
            headers: h,
            cors_origin: "https://eggsec-probe.example".into(),
            ..Default::default()
        }
    }

    fn result(o: &Observatory, name: &str) -> (String, i32) {
        let t = o.test(name).unwrap();
        (t.result.clone(), t.modifier)
    }

    /// The headers a stock egg 3 app sends (egg-security defaults).
    const STOCK: [(&str, &str); 6] = [
        ("x-frame-options", "SAMEORIGIN"),
        ("x-xss-protection", "1; mode=block"),
        ("x-download-options", "noopen"),
        ("x-content-type-options", "nosniff"),
        ("set-cookie", "csrfToken=abc; path=/; secure"),
        ("content-type", "text/html; charset=utf-8"),
    ];

    #[test]
    fn stock_egg_over_https_scores_35_d() {
        // headers-spec §1.7: CSP −25, cookies −20 (anti-CSRF), HSTS −20, XFO +5 discarded.
        let o = grade(&input(true, &STOCK));
        assert_eq!(o.score, 35);
        assert_eq!(o.grade, "D");
        assert_eq!(
            result(&o, "cookies").0,
            "cookies-anticsrf-without-samesite-flag"
        );
        assert_eq!(result(&o, "x-frame-options").1, 5);
        assert_eq!(o.tests.len(), 12);
    }

    #[test]
    fn stock_egg_behind_tls_proxy_without_config_proxy_scores_15_f() {
        // §1.7: csrfToken and EGG_SESS lack Secure → session-without-secure (−40).
        let mut h: Vec<(&str, &str)> = STOCK[..4].to_vec();
        h.push(("set-cookie", "csrfToken=abc; path=/"));
        h.push(("set-cookie", "EGG_SESS=x; path=/; httponly"));
        let o = grade(&input(true, &h));
        assert_eq!(
            result(&o, "cookies"),
            ("cookies-session-without-secure-flag".into(), -40)
        );
        assert_eq!((o.score, o.grade.as_str()), (15, "F"));
    }

    #[test]
    fn hardened_egg_security_reaches_125_a_plus() {
        // §5.5: CSP default-src 'none' +10, cookies +5, referrer +5, XFO +5, HSTS 0.
        let h = [
            ("strict-transport-security", "max-age=31536000; includeSubdomains"),
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            (
                "content-security-policy",
                "default-src 'none';script-src 'strict-dynamic' 'nonce-AbCdEfGh12345678';style-src 'self';img-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none'",
            ),
            ("set-cookie", "csrfToken=abc; path=/; samesite=lax; secure"),
            ("content-type", "application/json"),
        ];
        let o = grade(&input(true, &h));
        assert_eq!(
            result(&o, "content-security-policy"),
            ("csp-implemented-with-no-unsafe-default-src-none".into(), 10)
        );
        assert_eq!(
            result(&o, "x-frame-options").0,
            "x-frame-options-implemented-via-csp"
        );
        assert_eq!((o.score, o.grade.as_str()), (125, "A+"));
    }

    #[test]
    fn duplicated_headers_are_invalid_like_node_merges_them() {
        let h = [
            ("x-frame-options", "SAMEORIGIN"),
            ("x-frame-options", "SAMEORIGIN"),
            ("x-content-type-options", "nosniff"),
            ("x-content-type-options", "nosniff"),
            ("strict-transport-security", "max-age=31536000"),
            ("strict-transport-security", "max-age=31536000"),
            ("cross-origin-resource-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-opener-policy", "same-origin"),
        ];
        let o = grade(&input(true, &h));
        assert_eq!(
            result(&o, "x-frame-options"),
            ("x-frame-options-header-invalid".into(), -20)
        );
        assert_eq!(result(&o, "x-content-type-options").1, -5);
        assert_eq!(
            result(&o, "strict-transport-security"),
            ("hsts-header-invalid".into(), -20)
        );
        assert_eq!(result(&o, "cross-origin-resource-policy").1, -5);
        assert_eq!(result(&o, "cross-origin-opener-policy").1, -5);
    }

    #[test]
    fn report_only_csp_and_csp_rules() {
        let o = grade(&input(
            true,
            &[("content-security-policy-report-only", "default-src 'self'")],
        ));
        assert_eq!(
            result(&o, "content-security-policy"),
            ("csp-not-implemented-but-reporting-enabled".into(), -25)
        );
        let cases: [(&str, &str, i32); 10] = [
            ("default-src 'self'", "csp-implemented-with-no-unsafe", 5),
            (
                "default-src 'self' 'unsafe-inline'",
                "csp-implemented-with-unsafe-inline",
                -20,
            ),
            (
                "default-src 'self' 'nonce-abcdefgh1' 'unsafe-inline'",
                "csp-implemented-with-no-unsafe",
                5,
            ),
            (
                "default-src 'self'; script-src 'strict-dynamic'",
                "csp-header-invalid",
                -25,
            ),
            (
                "default-src 'self'; script-src 'self' 'unsafe-eval'",
                "csp-implemented-with-unsafe-eval",
                -10,
            ),
            (
                "default-src 'self'; style-src 'unsafe-inline'",
                "csp-implemented-with-unsafe-inline-in-style-src-only",
                0,
            ),
            (
                "default-src 'self'; img-src http://cdn.example",
                "csp-implemented-with-insecure-scheme-in-passive-content-only",
                -10,
            ),
            (
                "default-src 'self'; report-uri http://r.example",
                "csp-implemented-with-insecure-scheme",
                -20,
            ),
            (
                "default-src 'self'; default-src 'none'",
                "csp-header-invalid",
                -25,
            ),
            (
                "default-src 'none'; report-uri /a; report-uri /b",
                "csp-implemented-but-duplicate-directives",
                0,
            ),
        ];
        for (csp, want, m) in cases {
            let o = grade(&input(true, &[("content-security-policy", csp)]));
            assert_eq!(
                result(&o, "content-security-policy"),
                (want.to_string(), m),
                "{csp}"
            );
        }
        // script-src without object-src and no default-src → object falls back to *.
        let o = grade(&input(
            true,
            &[("content-security-policy", "script-src 'self'")],
        ));
        assert_eq!(result(&o, "content-security-policy").1, -20);
        // Two comma-joined policies: the intersection.
        let o = grade(&input(
            true,
            &[(
                "content-security-policy",
                "default-src 'self' 'unsafe-inline', default-src 'self'",
            )],
        ));
        assert_eq!(result(&o, "content-security-policy").1, 5);
    }

    #[test]
    fn meta_csp_and_referrer_count() {
        let mut i = input(true, &[("content-type", "text/html")]);
        i.body = r#"<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'"><meta name="referrer" content="no-referrer"><script src="/app.js"></script></head></html>"#.into();
        let o = grade(&i);
        assert_eq!(result(&o, "content-security-policy").1, 5);
        assert_eq!(
            result(&o, "referrer-policy"),
            ("referrer-policy-private".into(), 5)
        );
        assert_eq!(
            result(&o, "subresource-integrity").0,
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        );
        // A meta CSP of only frame-ancestors is no CSP.
        i.body = r#"<meta http-equiv="content-security-policy" content="frame-ancestors 'none'">"#
            .into();
        assert_eq!(
            result(&grade(&i), "content-security-policy").0,
            "csp-not-implemented"
        );
    }

    #[test]
    fn bonus_rule_and_grade_table() {
        assert_eq!(grade_for(125), "A+");
        assert_eq!(grade_for(99), "A");
        assert_eq!(grade_for(85), "A-");
        assert_eq!(grade_for(84), "B+");
        assert_eq!(grade_for(64), "C+");
        assert_eq!(grade_for(44), "D+");
        assert_eq!(grade_for(29), "D-");
        assert_eq!(grade_for(24), "F");
        let t = |m| outcome("x", "x", m, m >= 0);
        // −10 penalties keep bonuses; −15 drops them.
        assert_eq!(score(&[t(-10), t(5), t(5)]).0, 100);
        assert_eq!(score(&[t(-15), t(5), t(5)]).0, 85);
        assert_eq!(score(&[t(-100), t(-50)]).0, 0);
    }

    #[test]
    fn referrer_cookies_cors_hsts_coop_details() {
        let o = grade(&input(
            true,
            &[("referrer-policy", "no-referrer-when-downgrade")],
        ));
        assert_eq!(
            result(&o, "referrer-policy"),
            ("referrer-policy-unsafe".into(), -5)
        );
        let o = grade(&input(
            true,
            &[("referrer-policy", "unsafe-url, no-referrer, bogus")],
        ));
        assert_eq!(result(&o, "referrer-policy").1, 5);
        let o = grade(&input(true, &[("referrer-policy", "bogus")]));
        assert_eq!(
            result(&o, "referrer-policy").0,
            "referrer-policy-header-invalid"
        );

        let o = grade(&input(true, &[("set-cookie", "a=1; Secure; SameSite=Lax")]));
        assert_eq!(result(&o, "cookies").1, 5);
        let o = grade(&input(true, &[("set-cookie", "a=1; Secure")]));
        assert_eq!(
            result(&o, "cookies"),
            ("cookies-secure-with-httponly-sessions".into(), 0)
        );
        let o = grade(&input(true, &[("set-cookie", "a=1; SameSite=None")]));
        assert_eq!(result(&o, "cookies").0, "cookies-samesite-flag-invalid");
        let o = grade(&input(
            true,
            &[("set-cookie", "sessid=1; Secure; SameSite=Lax")],
        ));
        assert_eq!(result(&o, "cookies").1, -30);
        let o = grade(&input(
            true,
            &[
                ("strict-transport-security", "max-age=31536000"),
                ("set-cookie", "sessid=1; HttpOnly; SameSite=Lax"),
            ],
        ));
        assert_eq!(
            result(&o, "cookies").0,
            "cookies-session-without-secure-flag-but-protected-by-hsts"
        );

        let mut i = input(true, &[]);
        i.preflight = Some(Headers::from_pairs([
            (
                "access-control-allow-origin",
                "https://eggsec-probe.example",
            ),
            ("access-control-allow-credentials", "true"),
        ]));
        assert_eq!(result(&grade(&i), "cross-origin-resource-sharing").1, -50);

        let o = grade(&input(
            true,
            &[("strict-transport-security", "max-age=86400")],
        ));
        assert_eq!(result(&o, "strict-transport-security").1, -10);
        let o = grade(&input(
            false,
            &[("strict-transport-security", "max-age=31536000")],
        ));
        assert_eq!(
            result(&o, "strict-transport-security").0,
            "hsts-not-implemented-no-https"
        );

        let o = grade(&input(
            true,
            &[
                ("cross-origin-opener-policy", "same-origin; report-to=\"r\""),
                ("cross-origin-embedder-policy", "require-corp"),
                ("cross-origin-resource-policy", "same-site"),
            ],
        ));
        assert_eq!(o.test("cross-origin-opener-policy").unwrap().modifier, 10);
        assert_eq!(o.test("cross-origin-embedder-policy").unwrap().modifier, 10);
        assert_eq!(o.test("cross-origin-resource-policy").unwrap().modifier, 10);
    }

    #[test]
    fn redirection_chain() {
        let mut i = input(false, &[]);
        i.http_chain = Some(vec!["http://a.example/".into()]);
        assert_eq!(result(&grade(&i), "redirection").0, "redirection-missing");
        i.http_chain = Some(vec![
            "http://a.example/".into(),
            "https://a.example/".into(),
        ]);
        assert_eq!(result(&grade(&i), "redirection").0, "redirection-to-https");
        i.http_chain = Some(vec![
            "http://a.example/".into(),
            "https://b.example/".into(),
        ]);
        assert_eq!(result(&grade(&i), "redirection").1, -5);
        i.http_chain = Some(vec![
            "http://a.example/".into(),
            "http://a.example/x".into(),
            "https://a.example/".into(),
        ]);
        assert_eq!(result(&grade(&i), "redirection").1, -10);
    }

    #[test]
    fn sri_external_scripts() {
        let mut i = input(true, &[("content-type", "text/html")]);
        i.body = r#"<script src="https://cdn.other.example/x.js"></script><script src="http://cdn.other.example/y.js"></script>"#.into();
        assert_eq!(result(&grade(&i), "subresource-integrity").1, -50);
        i.body = r#"<script src="https://cdn.other.example/x.js" integrity="sha384-x" crossorigin></script>"#.into();
        assert_eq!(result(&grade(&i), "subresource-integrity").1, 5);
        i.body = r#"<script src="https://static.example.com/x.js"></script>"#.into();
        assert_eq!(result(&grade(&i), "subresource-integrity").1, 0);
    }
}
