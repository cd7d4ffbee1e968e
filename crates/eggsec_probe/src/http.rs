//! The probe's HTTP client: one origin, a request budget, timeouts, bounded response bodies,
//! and redirects followed by hand only while they stay on that origin.

use crate::headers::Headers;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// Why a request produced no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("request budget of {0} exhausted; raise --budget to probe more")]
    BudgetExhausted(usize),
    #[error("{0} is not on the probed origin {1}; not requested")]
    OffOrigin(String, String),
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{0}: not sent, the probe's --timeout deadline was reached")]
    Deadline(String),
}

/// Limits and extra request data shared by every request.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Total requests allowed (redirect hops count).
    pub budget: usize,
    /// The whole probe's deadline, counted from the client's creation: every request (connect,
    /// send, headers, body) ends by then, and requests not yet sent are not sent.
    pub timeout: Duration,
    /// Requests in flight at most (across every thread using the client).
    pub concurrency: usize,
    /// Response bodies are cut at this many bytes (`truncated` is set).
    pub max_body: usize,
    /// Extra trusted CA certificates (PEM file), beside the system store.
    pub cacert: Option<PathBuf>,
    /// On a certificate the trust store cannot verify, go on without verification (graded
    /// and reported as unverified, as the Observatory does).
    pub insecure: bool,
    /// Headers sent on every request (`--header`).
    pub headers: Vec<(String, String)>,
    /// Cookies sent on every request (`--cookie`), joined into one `Cookie` header.
    pub cookies: Vec<(String, String)>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            budget: 200,
            timeout: Duration::from_secs(30),
            concurrency: 8,
            max_body: 16 * 1024 * 1024,
            cacert: None,
            insecure: false,
            headers: Vec::new(),
            cookies: Vec::new(),
        }
    }
}

/// One request to send. `path` is resolved against the origin; absolute URLs must be on it.
#[derive(Debug, Clone, Default)]
pub struct RequestSpec {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Follow same-origin redirects (never off-origin ones).
    pub follow_redirects: bool,
}

impl RequestSpec {
    pub fn get(path: &str) -> Self {
        RequestSpec {
            method: "GET".into(),
            path: path.into(),
            follow_redirects: true,
            ..Default::default()
        }
    }
    pub fn method(method: &str, path: &str) -> Self {
        RequestSpec {
            method: method.into(),
            path: path.into(),
            ..Default::default()
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Self {
        self.body = Some(b.into());
        self
    }
}

/// One hop of a redirect chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hop {
    pub url: String,
    pub status: u16,
    /// The hop's `Set-Cookie` lines (a browser's jar keeps them).
    #[serde(skip)]
    pub set_cookies: Vec<String>,
}

/// A response and how it was reached.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    /// The URL of the final response.
    pub url: String,
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
    /// The body was longer than the limit and was cut.
    pub truncated: bool,
    /// Reading the body failed part-way (a truncated or malformed body); headers are valid.
    pub body_error: Option<String>,
    /// Every response before the final one (redirects), first request first.
    pub chain: Vec<Hop>,
    /// A redirect to another origin that was not followed (its `Location`).
    pub off_origin_redirect: Option<String>,
    pub elapsed: Duration,
}

impl Exchange {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn is_html(&self) -> bool {
        self.headers
            .merged("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().contains("text/html"))
    }
}

/// Bounds the requests in flight and holds the overall deadline.
struct Gate {
    max: usize,
    in_flight: Mutex<usize>,
    freed: Condvar,
    deadline: Instant,
}

struct GateGuard<'a>(&'a Gate);

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut n) = self.0.in_flight.lock() {
            *n = n.saturating_sub(1);
        }
        self.0.freed.notify_one();
    }
}

impl Gate {
    /// Waits for a free slot; `None` once the deadline has passed.
    fn enter(&self) -> Option<GateGuard<'_>> {
        let mut n = self.in_flight.lock().ok()?;
        loop {
            let now = Instant::now();
            if now >= self.deadline {
                return None;
            }
            if *n < self.max {
                *n += 1;
                return Some(GateGuard(self));
            }
            n = self.freed.wait_timeout(n, self.deadline - now).ok()?.0;
        }
    }
}

/// TLS trust and what happened to it.
struct Tls {
    verified: ureq::Agent,
    unverified: Option<ureq::Agent>,
    /// The same two without a pool: every request on a new connection (the second sending of
    /// a request whose pooled connection closed before any answer; the pool may hold more
    /// connections the server has closed).
    verified_fresh: ureq::Agent,
    unverified_fresh: Option<ureq::Agent>,
    /// Set once a certificate could not be verified and `--insecure` let the probe go on.
    fell_back: AtomicBool,
    problem: Mutex<Option<String>>,
    /// Where the trusted roots came from, for the report.
    roots: String,
}

/// The locked-origin client. Cheap to share across threads; [`Client::rebase`] makes a client
/// for another origin sharing the budget, the deadline, the concurrency bound and TLS state.
pub struct Client {
    tls: Arc<Tls>,
    base: Url,
    origin: String,
    opts: ClientOptions,
    used: Arc<AtomicUsize>,
    gate: Arc<Gate>,
}

fn agent_config(
    opts: &ClientOptions,
    tls: ureq::tls::TlsConfig,
    pooled: bool,
) -> ureq::config::Config {
    ureq::Agent::config_builder()
        .max_idle_connections(if pooled { 10 } else { 0 })
        .max_idle_connections_per_host(if pooled { 3 } else { 0 })
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .allow_non_standard_methods(true)
        .timeout_global(Some(opts.timeout))
        // Below Node's default `keepAliveTimeout` (5 s): a connection idle that long is not
        // reused, so egg closing it cannot race the next request.
        .max_idle_age(Duration::from_secs(3))
        .user_agent("eggsec-probe")
        .accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .tls_config(tls)
        .build()
}

/// The trusted roots: the system store (`SSL_CERT_FILE`/`SSL_CERT_DIR` when set) plus
/// `--cacert`; Mozilla's bundled roots when the system has none.
fn trust(opts: &ClientOptions) -> Result<(ureq::tls::RootCerts, String), String> {
    use ureq::tls::{Certificate, PemItem, RootCerts};
    let native = rustls_native_certs::load_native_certs();
    let mut certs: Vec<Certificate<'static>> = native
        .certs
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    let mut source = if certs.is_empty() {
        String::new()
    } else if let Ok(f) = std::env::var("SSL_CERT_FILE") {
        format!("SSL_CERT_FILE {f} ({} certificates)", certs.len())
    } else {
        format!("the system trust store ({} certificates)", certs.len())
    };
    if let Some(path) = &opts.cacert {
        let pem = std::fs::read(path)
            .map_err(|e| format!("--cacert {}: cannot read: {e}", path.display()))?;
        let before = certs.len();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(c)) => certs.push(c),
                Ok(_) => {}
                Err(e) => {
                    return Err(format!("--cacert {}: not a PEM file: {e}", path.display()));
                }
            }
        }
        if certs.len() == before {
            return Err(format!(
                "--cacert {}: no certificate in the file",
                path.display()
            ));
        }
        if !source.is_empty() {
            source.push_str(" + ");
        }
        source.push_str(&format!("--cacert {}", path.display()));
    }
    if certs.is_empty() {
        return Ok((
            RootCerts::WebPki,
            "Mozilla's root certificates (bundled)".into(),
        ));
    }
    Ok((RootCerts::new_with_certs(&certs), source))
}

impl Client {
    /// A client for `target`'s origin. Errors on a URL that is not absolute http(s) or an
    /// unreadable `--cacert`.
    pub fn new(target: &str, opts: ClientOptions) -> Result<Client, String> {
        let base = Url::parse(target).map_err(|e| format!("{target}: not a URL: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(format!(
                "{target}: only http:// and https:// URLs can be probed"
            ));
        }
        let (roots, source) = trust(&opts)?;
        let verified_tls = ureq::tls::TlsConfig::builder().root_certs(roots).build();
        let unverified_tls = ureq::tls::TlsConfig::builder()
            .disable_verification(true)
            .build();
        let agent = |tls: &ureq::tls::TlsConfig, pooled: bool| {
            ureq::Agent::new_with_config(agent_config(&opts, tls.clone(), pooled))
        };
        let (verified, verified_fresh) = (agent(&verified_tls, true), agent(&verified_tls, false));
        let unverified = opts.insecure.then(|| agent(&unverified_tls, true));
        let unverified_fresh = opts.insecure.then(|| agent(&unverified_tls, false));
        let gate = Gate {
            max: opts.concurrency.clamp(1, 256),
            in_flight: Mutex::new(0),
            freed: Condvar::new(),
            deadline: Instant::now() + opts.timeout,
        };
        Ok(Client {
            tls: Arc::new(Tls {
                verified,
                unverified,
                verified_fresh,
                unverified_fresh,
                fell_back: AtomicBool::new(false),
                problem: Mutex::new(None),
                roots: source,
            }),
            origin: base.origin().ascii_serialization(),
            base,
            opts,
            used: Arc::new(AtomicUsize::new(0)),
            gate: Arc::new(gate),
        })
    }

    /// A client for another origin (`http://host` → `https://host` after a same-host upgrade
    /// redirect), sharing budget, deadline, concurrency and TLS state.
    pub fn rebase(&self, target: &str) -> Result<Client, String> {
        let base = Url::parse(target).map_err(|e| format!("{target}: not a URL: {e}"))?;
        Ok(Client {
            tls: self.tls.clone(),
            origin: base.origin().ascii_serialization(),
            base,
            opts: self.opts.clone(),
            used: self.used.clone(),
            gate: self.gate.clone(),
        })
    }

    /// Whether every HTTPS answer so far came over a verified certificate chain.
    pub fn verified(&self) -> bool {
        !self.tls.fell_back.load(Ordering::SeqCst)
    }
    /// The certificate problem `--insecure` went past, if any.
    pub fn tls_problem(&self) -> Option<String> {
        self.tls.problem.lock().ok().and_then(|p| p.clone())
    }
    /// Where the trusted roots came from.
    pub fn trust_source(&self) -> &str {
        &self.tls.roots
    }
    /// The overall deadline has passed.
    pub fn past_deadline(&self) -> bool {
        Instant::now() >= self.gate.deadline
    }

    /// `scheme://host[:port]` of the probed origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }
    pub fn base(&self) -> &Url {
        &self.base
    }
    pub fn is_https(&self) -> bool {
        self.base.scheme() == "https"
    }
    /// Requests sent so far (including refused-for-budget attempts are not counted).
    pub fn requests_used(&self) -> usize {
        self.used.load(Ordering::SeqCst).min(self.opts.budget)
    }
    pub fn max_body(&self) -> usize {
        self.opts.max_body
    }
    pub fn budget(&self) -> usize {
        self.opts.budget
    }

    /// Resolves `path` against the target URL and checks it is on the origin.
    pub fn resolve(&self, path: &str) -> Result<Url, HttpError> {
        let url = self.base.join(path).map_err(|e| HttpError::Transport {
            url: path.to_string(),
            message: format!("bad URL: {e}"),
        })?;
        if url.origin().ascii_serialization() != self.origin {
            return Err(HttpError::OffOrigin(url.to_string(), self.origin.clone()));
        }
        Ok(url)
    }

    fn take_budget(&self) -> Result<(), HttpError> {
        let n = self.used.fetch_add(1, Ordering::SeqCst);
        if n >= self.opts.budget {
            return Err(HttpError::BudgetExhausted(self.opts.budget));
        }
        Ok(())
    }

    /// Sends `spec`, following same-origin redirects (at most 10) when asked.
    pub fn send(&self, spec: &RequestSpec) -> Result<Exchange, HttpError> {
        let start = Instant::now();
        let mut url = self.resolve(&spec.path)?;
        let mut chain = Vec::new();
        loop {
            let mut ex = self.send_once(spec, &url)?;
            let location = ex.headers.merged("location");
            let redirect = matches!(ex.status, 301 | 302 | 303 | 307 | 308);
            if !(spec.follow_redirects && redirect) || chain.len() >= 10 {
                ex.chain = chain;
                ex.elapsed = start.elapsed();
                return Ok(ex);
            }
            let Some(next) = location.and_then(|l| url.join(l.trim()).ok()) else {
                ex.chain = chain;
                ex.elapsed = start.elapsed();
                return Ok(ex);
            };
            if next.origin().ascii_serialization() != self.origin {
                ex.off_origin_redirect = Some(next.to_string());
                ex.chain = chain;
                ex.elapsed = start.elapsed();
                return Ok(ex);
            }
            chain.push(Hop {
                url: url.to_string(),
                status: ex.status,
                set_cookies: ex
                    .headers
                    .all("set-cookie")
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            });
            url = next;
        }
    }

    fn send_once(&self, spec: &RequestSpec, url: &Url) -> Result<Exchange, HttpError> {
        let Some(_slot) = self.gate.enter() else {
            return Err(HttpError::Deadline(format!("{} {url}", spec.method)));
        };
        self.take_budget()?;
        let started = Instant::now();
        let mut result = self.run_request(spec, url, false);
        // A pooled keep-alive connection the server had already closed (Node closes it after
        // a parse error, e.g. an unknown method): retry safe methods once on a fresh one. Any
        // method is sent once more when the connection closed before any answer (Node's
        // `keepAliveTimeout` firing on a busy server as a POST went out; CI lost a CSRF test
        // POST so), as browsers do; a server that closes every connection fails twice and
        // that failure is reported.
        let safe = matches!(spec.method.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE");
        if matches!(&result, Err(HttpError::Transport { message, .. })
            if message.starts_with(CLOSED_BEFORE_ANSWER)
                || safe && message.starts_with("connection error"))
        {
            self.take_budget()?;
            result = self.run_request(spec, url, true);
        }
        let mut resp = result?;
        let status = resp.status().as_u16();
        let headers = Headers::from_pairs(resp.headers().iter().map(|(k, v)| {
            (
                k.as_str(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        }));
        let mut body = Vec::new();
        let mut body_error = None;
        let limit = self.opts.max_body as u64;
        let reader = resp.body_mut().with_config().limit(u64::MAX).reader();
        if let Err(e) = reader.take(limit + 1).read_to_end(&mut body) {
            body_error = Some(format!("response body could not be read: {e}"));
        }
        let truncated = body.len() as u64 > limit;
        if truncated {
            body.truncate(self.opts.max_body);
        }
        Ok(Exchange {
            method: spec.method.clone(),
            url: url.to_string(),
            status,
            headers,
            body,
            truncated,
            body_error,
            chain: Vec::new(),
            off_origin_redirect: None,
            elapsed: started.elapsed(),
        })
    }

    /// Builds and sends one request (no redirect handling, no budget), over a verified
    /// connection unless `--insecure` already had to fall back.
    /// Sends a request, on a pooled connection or (`fresh`) on a new one.
    fn run_request(
        &self,
        spec: &RequestSpec,
        url: &Url,
        fresh: bool,
    ) -> Result<ureq::http::Response<ureq::Body>, HttpError> {
        let tls = &*self.tls;
        let (verified, unverified) = if fresh {
            (&tls.verified_fresh, &tls.unverified_fresh)
        } else {
            (&tls.verified, &tls.unverified)
        };
        let fell_back = tls.fell_back.load(Ordering::SeqCst);
        let agent = match (unverified, fell_back) {
            (Some(u), true) => u,
            _ => verified,
        };
        match self.run_with(agent, spec, url) {
            Err(RunError::Cert(message)) => match unverified {
                Some(u) if url.scheme() == "https" => {
                    if let Ok(mut p) = self.tls.problem.lock() {
                        p.get_or_insert_with(|| format!("{url}: {message}"));
                    }
                    self.tls.fell_back.store(true, Ordering::SeqCst);
                    self.run_with(u, spec, url).map_err(|e| e.into_http(url))
                }
                _ => Err(HttpError::Transport {
                    url: url.to_string(),
                    message: format!(
                        "the TLS certificate is not trusted ({message}): pass --cacert FILE (or set SSL_CERT_FILE) for a private CA, or --insecure to grade it anyway as unverified"
                    ),
                }),
            },
            other => other.map_err(|e| e.into_http(url)),
        }
    }

    fn run_with(
        &self,
        agent: &ureq::Agent,
        spec: &RequestSpec,
        url: &Url,
    ) -> Result<ureq::http::Response<ureq::Body>, RunError> {
        let remaining = self
            .gate
            .deadline
            .saturating_duration_since(Instant::now())
            .min(self.opts.timeout);
        if remaining.is_zero() {
            return Err(RunError::Other("timed out (the probe's deadline)".into()));
        }
        let mut builder = ureq::http::Request::builder()
            .method(spec.method.as_str())
            .uri(url.as_str());
        for (k, v) in self.opts.headers.iter().chain(spec.headers.iter()) {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let has_cookie_header = spec
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("cookie"));
        if !self.opts.cookies.is_empty() && !has_cookie_header {
            let jar: Vec<String> = self
                .opts
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            builder = builder.header("cookie", jar.join("; "));
        }
        let built = |e: ureq::http::Error| RunError::Other(format!("cannot build request: {e}"));
        let result = match &spec.body {
            Some(b) => {
                let req = builder.body(b.clone()).map_err(built)?;
                let req = agent
                    .configure_request(req)
                    .timeout_global(Some(remaining))
                    .build();
                agent.run(req)
            }
            None => {
                let req = builder.body(()).map_err(built)?;
                let req = agent
                    .configure_request(req)
                    .timeout_global(Some(remaining))
                    .build();
                agent.run(req)
            }
        };
        result.map_err(|e| {
            // rustls reports an untrusted chain during the handshake, sometimes wrapped in an
            // I/O error: "invalid peer certificate: UnknownIssuer".
            let text = e.to_string();
            if text.contains("invalid peer certificate")
                || matches!(e, ureq::Error::Rustls(_)) && text.contains("certificate")
            {
                RunError::Cert(text.trim_start_matches("rustls: ").to_string())
            } else if closed_before_answer(&e) {
                RunError::Other(format!("{CLOSED_BEFORE_ANSWER} ({})", describe(&e)))
            } else {
                RunError::Other(describe(&e))
            }
        })
    }
}

const CLOSED_BEFORE_ANSWER: &str = "connection closed before any answer";

/// The connection closed or reset before any part of an answer arrived.
fn closed_before_answer(e: &ureq::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e, ureq::Error::Io(io) if matches!(io.kind(), UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe))
}

enum RunError {
    Cert(String),
    Other(String),
}

impl RunError {
    fn into_http(self, url: &Url) -> HttpError {
        let message = match self {
            RunError::Cert(m) => format!("TLS certificate error: {m}"),
            RunError::Other(m) => m,
        };
        HttpError::Transport {
            url: url.to_string(),
            message,
        }
    }
}

/// A one-line, human explanation of a transport error.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::Protocol(p) => format!("invalid HTTP response: {p}"),
        ureq::Error::Io(io) => format!("connection error: {io}"),
        other => other.to_string(),
    }
}

/// Runs `f` over `items` on at most `concurrency` threads, keeping the input order.
pub fn run_parallel<T: Sync, R: Send>(
    items: &[T],
    concurrency: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let workers = concurrency.clamp(1, 64).min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|m| m.into_inner().ok().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    /// A real server on 127.0.0.1 that reads the request of its first `drops` connections and
    /// closes them with no answer, then answers 200; it returns the requests it read.
    fn dropping_server(drops: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut s) = stream else { break };
                let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 8192];
                let got = s.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..got]).into_owned();
                if head.starts_with("QUIT") {
                    break;
                }
                seen.push(head.lines().next().unwrap_or_default().to_string());
                if n >= drops {
                    let _ = s.write_all(
                        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                }
            }
            seen
        });
        (url, handle)
    }

    fn stop(url: &str, handle: std::thread::JoinHandle<Vec<String>>) -> Vec<String> {
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            let _ = s.write_all(b"QUIT");
        }
        handle.join().unwrap()
    }

    fn post() -> RequestSpec {
        RequestSpec::method("POST", "/api/items")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("eggsec=probe")
    }

    #[test]
    fn a_post_whose_connection_closed_before_any_answer_is_sent_once_more() {
        let (url, handle) = dropping_server(1);
        let client = Client::new(&url, ClientOptions::default()).unwrap();
        let ex = client.send(&post());
        let seen = stop(&url, handle);
        assert_eq!(ex.map(|e| e.status).ok(), Some(201));
        assert_eq!(
            seen,
            ["POST /api/items HTTP/1.1", "POST /api/items HTTP/1.1"]
        );
        assert_eq!(
            client.requests_used(),
            2,
            "the second sending counts in the budget"
        );
    }

    /// A real server on 127.0.0.1 that answers the first request of each connection after
    /// 150 ms and keeps the connection open, then closes it at its next request with no
    /// answer (Node's `keepAliveTimeout` firing as a request goes out): every connection the
    /// client pools goes stale. Returns the request lines it answered or dropped.
    fn stale_pool_server() -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { break };
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                    let mut buf = [0u8; 8192];
                    for first in [true, false] {
                        let got = s.read(&mut buf).unwrap_or(0);
                        if got == 0 {
                            return;
                        }
                        let head = String::from_utf8_lossy(&buf[..got]).into_owned();
                        if let Ok(mut l) = log.lock() {
                            l.push(head.lines().next().unwrap_or_default().to_string());
                        }
                        if first {
                            std::thread::sleep(Duration::from_millis(150));
                            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                        }
                    }
                });
            }
        });
        (url, seen)
    }

    #[test]
    fn the_second_sending_goes_over_a_new_connection_not_another_pooled_one() {
        let (url, seen) = stale_pool_server();
        let client = Client::new(&url, ClientOptions::default()).unwrap();
        // two requests at once: two connections, both pooled once answered
        std::thread::scope(|s| {
            let a = s.spawn(|| client.send(&RequestSpec::get("/a")).map(|e| e.status).ok());
            let b = s.spawn(|| client.send(&RequestSpec::get("/b")).map(|e| e.status).ok());
            assert_eq!(a.join().unwrap(), Some(200));
            assert_eq!(b.join().unwrap(), Some(200));
        });
        // the POST meets a stale pooled connection; a second pooled one is stale too
        let ex = client.send(&post());
        let lines = seen.lock().unwrap().clone();
        assert_eq!(ex.map(|e| e.status).ok(), Some(200), "{lines:?}");
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("POST /api/items"))
                .count(),
            2,
            "{lines:?}"
        );
        assert_eq!(client.requests_used(), 4);
    }

    #[test]
    fn a_server_that_closes_every_connection_is_an_error_after_one_more_try() {
        let (url, handle) = dropping_server(usize::MAX);
        let client = Client::new(&url, ClientOptions::default()).unwrap();
        let err = client.send(&post()).err().map(|e| e.to_string());
        let seen = stop(&url, handle);
        assert_eq!(seen.len(), 2, "{seen:?}");
        let err = err.unwrap_or_default();
        assert!(err.contains(CLOSED_BEFORE_ANSWER), "{err}");
    }
}
