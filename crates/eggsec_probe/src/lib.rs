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
//!     url: "https://shop.example.com/".into(),
//!     headers: Headers::from_pairs([("x-frame-options", "SAMEORIGIN"), ("x-content-type-options", "nosniff")]),
//!     set_cookies: vec!["csrfToken=abc; path=/; secure".into()],
//!     ..Default::default()
//! };
//! let o = grade(&input);
//! assert_eq!((o.score, o.grade.as_str()), (35, "D")); // a stock egg app
//! ```

pub mod active;
pub mod catalog;
pub mod csp;
pub mod findings;
pub mod headers;
pub mod http;
pub mod leak;
pub mod observatory;
pub mod passive;

use crate::http::{Client, ClientOptions, Exchange, RequestSpec};
use eggsec_report::Finding;
use observatory::Observatory;
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
    pub hints: AppHints,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            client: ClientOptions::default(),
            concurrency: 8,
            active: false,
            assume_https: false,
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
    pub observatory: Observatory,
    pub findings: Vec<Finding>,
    pub pages: Vec<PageResult>,
    /// Requests that got no usable answer, each a clear one-line message.
    pub errors: Vec<String>,
    /// What was and was not probed, and why.
    pub notes: Vec<String>,
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
}

impl Session {
    /// Sends a request, recording it; a failure becomes a recorded error and `None`.
    pub fn fetch(&self, spec: &RequestSpec) -> Option<Exchange> {
        let start = Instant::now();
        let result = self.client.send(spec);
        let url = self
            .client
            .resolve(&spec.path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| spec.path.clone());
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
        result.ok()
    }
}

/// Probes `target`. Errors only when the target URL is unusable or its first request gets no
/// HTTP answer at all; everything later is recorded and the probe goes on.
pub fn probe(target: &str, opts: &ProbeOptions) -> Result<ProbeReport, String> {
    let start = Instant::now();
    let mut client_opts = opts.client.clone();
    if opts.assume_https {
        client_opts
            .headers
            .push(("x-forwarded-proto".into(), "https".into()));
    }
    let client = Client::new(target, client_opts)?;
    let session = Session {
        client,
        opts: opts.clone(),
        pages: Default::default(),
        errors: Default::default(),
    };
    let path = session.client.base().as_str().to_string();
    let main = match session.client.send(&RequestSpec::get(&path)) {
        Ok(ex) => ex,
        Err(e) => return Err(format!("cannot probe {target}: {e}")),
    };
    session
        .pages
        .lock()
        .map_err(|e| e.to_string())?
        .push(PageResult {
            method: "GET".into(),
            url: main.url.clone(),
            status: Some(main.status),
            error: main.body_error.clone(),
            elapsed_ms: main.elapsed.as_millis() as u64,
        });
    if let Some(e) = &main.body_error {
        session
            .errors
            .lock()
            .map_err(|e| e.to_string())?
            .push(format!("GET {}: {e}", main.url));
    }
    let mut notes = opts.hints.notes.clone();
    let mut findings = Vec::new();
    let observatory = passive::grade_main(&session, &main, &mut notes, &mut findings);
    findings.extend(passive::run(&session, &main, &mut notes));
    if opts.active {
        findings.extend(active::run(&session, &main, &mut notes));
    } else {
        notes.push(
            "active checks (CSRF enforcement, error triggers) not run: pass --active, against staging"
                .into(),
        );
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
    let Session { pages, errors, .. } = session;
    Ok(ProbeReport {
        target: target.to_string(),
        observatory,
        findings,
        pages: pages.into_inner().unwrap_or_default(),
        errors: errors.into_inner().unwrap_or_default(),
        notes,
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
