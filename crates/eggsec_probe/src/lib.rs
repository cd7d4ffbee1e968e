//! `eggsec_probe` — checks what a running Egg.js app really sends.
//!
//! Static analysis says what the config should do; the probe shows what the app (and any proxy
//! in front of it) answers: the Mozilla HTTP Observatory grade of its headers and cookies,
//! Google CSP Evaluator findings, egg-specific passive checks (TRACE, `dta`, 404 page, CORS,
//! forwarded-header trust) and, only when asked, active CSRF and error-leak tests.
//!
//! Every request goes to the one origin given; redirects off it are never followed; a request
//! budget, timeouts and bounded concurrency keep the probe polite. Results are
//! `eggsec_report::Finding`s located by URL.
//!
//! ```
//! use eggsec_probe::headers::Headers;
//! use eggsec_probe::observatory::{grade, ObservatoryInput};
//! let input = ObservatoryInput {
//!     https: true,
//!     verified: true,
//!     url: "https://shop.example.com/".into(),
//!     headers: Headers::from_pairs([("x-frame-options", "SAMEORIGIN"), ("x-content-type-options", "nosniff")]),
//!     cookies: vec![("https://shop.example.com/".into(), "csrfToken=abc; path=/; secure".into())],
//!     ..Default::default()
//! };
//! let o = grade(&input);
//! assert_eq!((o.score, o.grade.as_deref()), (Some(35), Some("D"))); // a stock egg app
//! ```

pub mod active;
pub mod csp;
pub mod findings;
pub mod headers;
pub mod html;
pub mod http;
pub mod leak;
pub mod observatory;
pub mod passive;

use crate::http::{Client, ClientOptions, Exchange, HttpError, RequestSpec};
use eggsec_report::Finding;
use observatory::{Algorithm, Observatory};
use serde::Serialize;
use std::time::{Duration, Instant};

/// The `Origin` sent in CORS tests: a host nobody owns.
pub const PROBE_ORIGIN: &str = "https://eggsec-probe.example";

/// What the app's static model tells the probe (all optional; the CLI fills it from `--app`).
#[derive(Debug, Clone)]
pub struct AppHints {
    /// Parameter-free GET routes to fetch besides the target.
    pub get_routes: Vec<String>,
    /// State-changing routes `(METHOD, path)` for the active CSRF and error tests.
    pub state_changing: Vec<(String, String)>,
    /// `config.static.prefix` (egg default `/public/`).
    pub static_prefix: String,
    /// `security.csrf.type`: `ctoken`, `referer`, `all` or `any`.
    pub csrf_type: String,
    pub csrf_cookie_name: String,
    pub csrf_header_name: String,
    /// `bodyParser.jsonLimit` in bytes (egg default 100kb).
    pub json_limit: u64,
    /// Where the hints came from, for the report.
    pub notes: Vec<String>,
    /// `security.<name>.enable` keys that are on in the config but do nothing, with why
    /// (e.g. `referrerPolicy` missing from `security.defaultMiddleware`).
    pub not_effective: Vec<(String, String)>,
}

impl Default for AppHints {
    fn default() -> Self {
        AppHints {
            get_routes: Vec::new(),
            state_changing: Vec::new(),
            static_prefix: "/public/".into(),
            csrf_type: "ctoken".into(),
            csrf_cookie_name: "csrfToken".into(),
            csrf_header_name: "x-csrf-token".into(),
            json_limit: 100 * 1024,
            notes: Vec::new(),
            not_effective: Vec::new(),
        }
    }
}

/// Everything one probe run needs.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub client: ClientOptions,
    /// Parallel requests at most.
    pub concurrency: usize,
    /// Send state-changing requests (CSRF and error triggers).
    pub active: bool,
    /// Grade as if served over HTTPS by a TLS-terminating proxy (`X-Forwarded-Proto: https`
    /// is sent), for probing a local `http://` app the way production serves it.
    pub assume_https: bool,
    /// The Observatory scoring to reproduce (v6, the current one, by default).
    pub algorithm: Algorithm,
    pub hints: AppHints,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            client: ClientOptions::default(),
            concurrency: 8,
            active: false,
            assume_https: false,
            algorithm: Algorithm::default(),
            hints: AppHints::default(),
        }
    }
}

/// One fetched page, as summarised in the report.
#[derive(Debug, Clone, Serialize)]
pub struct PageResult {
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

/// The result of a probe.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub target: String,
    /// The URL whose page was graded (differs from `target` after a same-host upgrade to
    /// https or a same-origin redirect).
    pub graded_url: String,
    pub observatory: Observatory,
    pub findings: Vec<Finding>,
    pub pages: Vec<PageResult>,
    /// Requests that got no usable answer, each a clear one-line message.
    pub errors: Vec<String>,
    /// What was and was not probed, and why.
    pub notes: Vec<String>,
    /// State-changing routes where every CSRF test passed (`--active`).
    pub csrf_enforced: Vec<String>,
    pub requests: usize,
    pub budget: usize,
    pub elapsed_ms: u64,
}

/// Shared state of one run: the client, what was fetched, what went wrong.
pub struct Session {
    pub client: Client,
    pub opts: ProbeOptions,
    pub pages: std::sync::Mutex<Vec<PageResult>>,
    pub errors: std::sync::Mutex<Vec<String>>,
    pub notes: std::sync::Mutex<Vec<String>>,
    /// Requests not sent because the deadline had passed.
    pub skipped: std::sync::atomic::AtomicUsize,
    /// Routes where the CSRF tests all passed.
    pub csrf_enforced: std::sync::Mutex<Vec<String>>,
}

impl Session {
    fn new(client: Client, opts: &ProbeOptions) -> Session {
        Session {
            client,
            opts: opts.clone(),
            pages: Default::default(),
            errors: Default::default(),
            notes: Default::default(),
            skipped: Default::default(),
            csrf_enforced: Default::default(),
        }
    }

    /// Sends a request, recording it; a failure becomes a recorded error and `None`.
    pub fn fetch(&self, spec: &RequestSpec) -> Option<Exchange> {
        let start = Instant::now();
        let result = self.client.send(spec);
        if let Err(HttpError::Deadline(_)) = &result {
            self.skipped
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return None;
        }
        self.record(spec, &result, start);
        result.ok()
    }

    fn record(&self, spec: &RequestSpec, result: &Result<Exchange, HttpError>, start: Instant) {
        let url = match result {
            Ok(ex) => ex.url.clone(),
            Err(_) => self
                .client
                .resolve(&spec.path)
                .map(|u| u.to_string())
                .unwrap_or_else(|_| spec.path.clone()),
        };
        let page = PageResult {
            method: spec.method.clone(),
            url: url.clone(),
            status: result.as_ref().ok().map(|e| e.status),
            error: result
                .as_ref()
                .err()
                .map(|e| e.to_string())
                .or_else(|| result.as_ref().ok().and_then(|e| e.body_error.clone())),
            elapsed_ms: start.elapsed().as_millis() as u64,
        };
        if let Some(err) = &page.error {
            if let Ok(mut errors) = self.errors.lock() {
                // Transport errors already start with the URL.
                let line = if err.starts_with(&url) {
                    format!("{} {err}", spec.method)
                } else {
                    format!("{} {url}: {err}", spec.method)
                };
                if !errors.contains(&line) {
                    errors.push(line);
                }
            }
        }
        if let Ok(mut pages) = self.pages.lock() {
            pages.push(page);
        }
    }

    /// Adds a note to the report.
    pub fn note(&self, n: impl Into<String>) {
        if let Ok(mut notes) = self.notes.lock() {
            notes.push(n.into());
        }
    }
}

/// `next` is the `https://` form of `base`'s host (an upgrade redirect, any port).
fn is_https_upgrade(base: &url::Url, next: &str) -> bool {
    url::Url::parse(next).is_ok_and(|n| {
        base.scheme() == "http"
            && n.scheme() == "https"
            && n.host_str().map(str::to_ascii_lowercase)
                == base.host_str().map(str::to_ascii_lowercase)
    })
}

/// What the probe graded after following the target's redirects.
struct Landing {
    client: Client,
    main: Exchange,
    /// The plain-HTTP redirect chain (http targets only).
    http_chain: Option<Vec<String>>,
    redirection_note: Option<String>,
    not_graded: Option<String>,
}

/// Fetches the target, following same-origin redirects and one same-host upgrade to https;
/// a redirect anywhere else is not followed and the page is not graded.
fn land(
    target: &str,
    client: Client,
    opts: &ProbeOptions,
) -> Result<(Landing, Vec<String>), String> {
    let mut notes = Vec::new();
    let path = client.base().as_str().to_string();
    let first = client
        .send(&RequestSpec::get(&path))
        .map_err(|e| format!("cannot probe {target}: {e}"))?;
    let is_http = client.base().scheme() == "http" && !opts.assume_https;
    let mut chain: Vec<String> = first.chain.iter().map(|h| h.url.clone()).collect();
    chain.push(first.url.clone());
    let off = |next: &str| {
        format!("the target redirects to {next}, off its origin {}: the probe never follows it (origin lock), so the page is not assessed; probe {next} itself to grade it", client.origin())
    };
    match first.off_origin_redirect.clone() {
        Some(next) if is_http && is_https_upgrade(client.base(), &next) => {
            let https = client.rebase(&next)?;
            match https.send(&RequestSpec::get(&next)) {
                Ok(main) => {
                    chain.extend(main.chain.iter().map(|h| h.url.clone()));
                    chain.push(main.url.clone());
                    notes.push(format!(
                        "{} redirects to {next} (same host, https): graded the https page, as the Observatory does",
                        first.url
                    ));
                    let mut not_graded = None;
                    let mut redirection_note = None;
                    if let Some(off2) = &main.off_origin_redirect {
                        not_graded = Some(format!(
                            "the https page redirects to {off2}, off its origin: not followed (origin lock), so the page is not assessed"
                        ));
                        redirection_note = Some("redirect leaves the origin".into());
                    }
                    let http_chain = redirection_note.is_none().then_some(chain);
                    Ok((
                        Landing {
                            client: https,
                            main,
                            http_chain,
                            redirection_note,
                            not_graded,
                        },
                        notes,
                    ))
                }
                Err(e) => Ok((
                    Landing {
                        not_graded: Some(format!(
                            "{} redirects to {next}, which gave no answer ({e})",
                            first.url
                        )),
                        client,
                        main: first,
                        http_chain: None,
                        redirection_note: Some("the https page gave no answer".into()),
                    },
                    notes,
                )),
            }
        }
        Some(next) => Ok((
            Landing {
                not_graded: Some(off(&next)),
                client,
                main: first,
                http_chain: None,
                redirection_note: Some("redirect leaves the origin".into()),
            },
            notes,
        )),
        None => {
            if !first.chain.is_empty() {
                notes.push(format!(
                    "{target} redirects to {} on the same origin: graded that page",
                    first.url
                ));
            }
            let http_chain = is_http.then_some(chain);
            Ok((
                Landing {
                    client,
                    main: first,
                    http_chain,
                    redirection_note: None,
                    not_graded: None,
                },
                notes,
            ))
        }
    }
}

/// Probes `target`. Errors only when the target URL is unusable or its first request gets no
/// HTTP answer at all; everything later is recorded and the probe goes on. The whole probe
/// ends by `opts.client.timeout`.
pub fn probe(target: &str, opts: &ProbeOptions) -> Result<ProbeReport, String> {
    let start = Instant::now();
    let mut client_opts = opts.client.clone();
    client_opts.concurrency = opts.concurrency.max(1);
    if opts.assume_https {
        client_opts
            .headers
            .push(("x-forwarded-proto".into(), "https".into()));
    }
    let client = Client::new(target, client_opts)?;
    let (landing, land_notes) = land(target, client, opts)?;
    let Landing {
        client,
        main,
        http_chain,
        redirection_note,
        not_graded,
    } = landing;
    let session = Session::new(client, opts);
    let mut hops: Vec<&http::Hop> = main.chain.iter().collect();
    hops.retain(|h| h.url.starts_with(session.client.origin()));
    // The landing request and its same-origin hops.
    if let Ok(mut pages) = session.pages.lock() {
        for h in &hops {
            pages.push(PageResult {
                method: "GET".into(),
                url: h.url.clone(),
                status: Some(h.status),
                error: None,
                elapsed_ms: 0,
            });
        }
        pages.push(PageResult {
            method: "GET".into(),
            url: main.url.clone(),
            status: Some(main.status),
            error: main.body_error.clone(),
            elapsed_ms: main.elapsed.as_millis() as u64,
        });
    }
    if let Ok(mut errors) = session.errors.lock() {
        if let Some(e) = &main.body_error {
            errors.push(format!("GET {}: {e}", main.url));
        }
    }
    let mut notes = opts.hints.notes.clone();
    notes.extend(land_notes);
    if main.truncated {
        notes.push(format!(
            "the page body is longer than {} bytes: it was graded up to there (scripts and meta tags after that point are not seen)",
            session.client.max_body()
        ));
    }
    let ctx = passive::GradeContext {
        http_chain,
        redirection_note,
        not_graded,
    };
    // Grading (robots.txt, CORS preflight), the passive and the active checks run side by
    // side: one stalled answer holds one slot, not the others.
    let ((observatory, grade_notes, mut findings), passive_findings, active_findings) =
        std::thread::scope(|scope| {
            let g = scope.spawn(|| {
                let mut n = Vec::new();
                let mut f = Vec::new();
                let o = passive::grade_main(&session, &main, &ctx, &mut n, &mut f);
                (o, n, f)
            });
            let p = scope.spawn(|| passive::run(&session, &main));
            let a = scope.spawn(|| {
                if opts.active {
                    active::run(&session, &main)
                } else {
                    Vec::new()
                }
            });
            let graded = g.join().unwrap_or_else(|_| {
                (
                    Observatory::not_assessed(opts.algorithm, "the grader failed"),
                    Vec::new(),
                    Vec::new(),
                )
            });
            (
                graded,
                p.join().unwrap_or_default(),
                a.join().unwrap_or_default(),
            )
        });
    notes.extend(grade_notes);
    findings.extend(passive_findings);
    findings.extend(active_findings);
    if !opts.active {
        notes.push(
            "active checks (CSRF enforcement, error triggers) not run: pass --active, against staging"
                .into(),
        );
    }
    if let Some(problem) = session.client.tls_problem() {
        notes.push(format!(
            "TLS certificate NOT verified (--insecure): {problem}; graded anyway, as the Observatory does, so HSTS and redirection fail with invalid-cert"
        ));
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.location.to_string().cmp(&b.location.to_string()))
    });
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    let requests = session.client.requests_used();
    let budget = session.client.budget();
    let skipped = session.skipped.load(std::sync::atomic::Ordering::SeqCst);
    let deadline = opts.client.timeout;
    let graded_url = main.url.clone();
    let Session {
        pages,
        errors,
        notes: session_notes,
        csrf_enforced,
        ..
    } = session;
    notes.extend(session_notes.into_inner().unwrap_or_default());
    let mut errors = errors.into_inner().unwrap_or_default();
    if skipped > 0 {
        errors.push(format!(
            "{skipped} requests not sent: the probe's deadline (--timeout {}s) was reached; what they check is not assessed",
            deadline.as_secs_f64()
        ));
    }
    let mut csrf_enforced = csrf_enforced.into_inner().unwrap_or_default();
    csrf_enforced.sort();
    csrf_enforced.dedup();
    Ok(ProbeReport {
        target: target.to_string(),
        graded_url,
        observatory,
        findings,
        pages: pages.into_inner().unwrap_or_default(),
        errors,
        notes,
        csrf_enforced,
        requests,
        budget,
        elapsed_ms: start.elapsed().as_millis() as u64,
    })
}

/// Parses a `--timeout` value in seconds (fractions allowed).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("invalid timeout '{s}': expected seconds, e.g. 10 or 2.5"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(format!(
            "invalid timeout '{s}': must be between 0 and 3600 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}
