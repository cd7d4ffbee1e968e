//! `eggsec logs watch`: follows egg's log files as they grow and raises the detectors' findings
//! as alerts in real time.
//!
//! - **Following.** Every active log under the given directories (`*.log`, not the rotated
//!   `x.log.2026-12-03` copies) is read from where it was left: its device, inode and byte offset
//!   are kept in a state file, written atomically after each round. egg-logrotator renames the
//!   file and egg opens a new one: the old inode is read to its end through the handle still
//!   open (or, after a restart, found again among the rotated siblings), then the new file from
//!   its start. A file that shrinks in place was truncated: it is read again from the start.
//!   Files present when the watch starts without a saved state are read from their end (only
//!   new lines alert); files created later are read whole.
//! - **Detecting.** Each file feeds a [`LiveScan`]: the same per-line state machine as `scan`.
//! - **Alerting.** Per rule, at most [`WatchOptions::per_rule_per_minute`] alerts a minute;
//!   the rest are counted and sent as one digest every [`WatchOptions::digest_every`].
//!
//! Memory stays bounded: a partial line is capped, findings are handed out each round,
//! windows keep only their contents.

use crate::kind;
use crate::scan::{LiveScan, LogFinding, ScanOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The longest partial line kept while waiting for its end; longer ones are fed in pieces.
const MAX_PARTIAL: usize = 1 << 20;
/// At most this much is read from one file per round (the rest comes next round).
const MAX_READ_PER_ROUND: u64 = 16 << 20;

/// How to watch.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    pub scan: ScanOptions,
    /// Where offsets are kept across restarts (`None`: nowhere, every start is fresh).
    pub state: Option<PathBuf>,
    /// Read files found at start (without saved state) from their start, not their end.
    pub from_start: bool,
    /// Alerts per rule per minute before the rest goes to the digest.
    pub per_rule_per_minute: usize,
    /// How often suppressed alerts are summarised.
    pub digest_every: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            scan: ScanOptions::default(),
            state: None,
            from_start: false,
            per_rule_per_minute: 5,
            digest_every: Duration::from_secs(300),
        }
    }
}

/// One alert, as every sink receives it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Alert {
    /// `alert`, or `digest` for a summary of suppressed alerts.
    pub kind: String,
    pub code: String,
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub file: String,
    pub line: u64,
    /// The logged time of the first event (RFC 3339, the log's wall clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logged_at: Option<String>,
    /// How many events it stands for.
    pub count: u64,
    /// Masked evidence.
    pub evidence: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl Alert {
    fn from_finding(f: &LogFinding) -> Alert {
        Alert {
            kind: "alert".into(),
            code: f.finding.rule.to_string(),
            rule: f.detector.to_string(),
            severity: f.finding.severity.as_str().to_string(),
            message: f.finding.message.clone(),
            file: f.file.clone(),
            line: f.line,
            logged_at: f.ts.map(crate::record::format_rfc3339),
            count: f.count.max(1),
            evidence: f.finding.evidence.clone(),
            ip: f.ip.clone(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
struct FileState {
    dev: u64,
    ino: u64,
    offset: u64,
    line: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u32,
    files: BTreeMap<String, FileState>,
}

struct Followed {
    handle: File,
    id: (u64, u64),
    /// Bytes consumed (complete lines fed).
    offset: u64,
    line: u64,
    partial: Vec<u8>,
    live: LiveScan,
}

/// The follower of a set of log directories.
pub struct Watcher {
    roots: Vec<PathBuf>,
    opts: WatchOptions,
    files: BTreeMap<PathBuf, Followed>,
    started: bool,
    saved: State,
    limiter: BTreeMap<String, VecDeque<Instant>>,
    suppressed: BTreeMap<String, (u64, String, String)>,
    last_digest: Instant,
    /// Findings from rotated files finished while opening, sent with the next round.
    carry: Vec<LogFinding>,
    /// Problems to report once each (unreadable files, truncations, rotations).
    pub diagnostics: Vec<String>,
}

fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (m.dev(), m.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        (0, 0)
    }
}

/// Whether `name` is a live log (not a rotated copy, not compressed).
fn is_active_log(name: &str) -> bool {
    let (base, rotation, gz) = kind::split_rotation(name);
    base.ends_with(".log") && rotation.is_none() && !gz
}

impl Watcher {
    /// A watcher over `roots` (directories or files); reads the saved state if any.
    pub fn new(roots: Vec<PathBuf>, opts: WatchOptions) -> Result<Watcher, String> {
        for r in &roots {
            if !r.exists() {
                return Err(format!("{}: no such file or directory", r.display()));
            }
        }
        let saved = match &opts.state {
            Some(p) => match std::fs::read(p) {
                Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                    format!(
                        "{}: not an eggsec watch state file ({e}); move it away to start afresh",
                        p.display()
                    )
                })?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
                Err(e) => return Err(format!("{}: {e}", p.display())),
            },
            None => State::default(),
        };
        Ok(Watcher {
            roots,
            opts,
            files: BTreeMap::new(),
            started: false,
            saved,
            limiter: BTreeMap::new(),
            suppressed: BTreeMap::new(),
            last_digest: Instant::now(),
            carry: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn discover(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for r in &self.roots {
            if r.is_file() {
                out.push(r.clone());
                continue;
            }
            let mut stack = vec![r.clone()];
            while let Some(d) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in rd.flatten() {
                    let Ok(t) = e.file_type() else { continue };
                    let p = e.path();
                    if t.is_dir() {
                        stack.push(p);
                    } else if t.is_file() && is_active_log(&e.file_name().to_string_lossy()) {
                        out.push(p);
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// One round: new files picked up, rotations and truncations followed, new lines read.
    /// Returns the alerts to send now (rate-limited, with a digest when due).
    pub fn poll(&mut self) -> Vec<Alert> {
        let paths = self.discover();
        let have_access = paths.iter().any(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            kind::role_of(&kind::split_rotation(&n).0) == kind::Role::Access
        });
        // Files found at the very first start (no state saved yet) are read from their end;
        // files that appear later (or that a saved state does not know) are new: from the start.
        let first = !self.started && self.saved.version == 0;
        self.started = true;
        for p in &paths {
            if !self.files.contains_key(p) {
                self.open(p, first, have_access);
            }
        }
        let mut findings = Vec::new();
        let keys: Vec<PathBuf> = self.files.keys().cloned().collect();
        for p in keys {
            self.follow(&p, &mut findings);
        }
        self.save_state();
        self.limit(findings)
    }

    fn open(&mut self, path: &Path, at_start: bool, have_access: bool) {
        let key = path.display().to_string();
        let handle = match File::open(path) {
            Ok(h) => h,
            Err(e) => {
                self.diagnostics.push(format!("{key}: {e}; not followed"));
                return;
            }
        };
        let Ok(meta) = handle.metadata() else { return };
        let id = file_id(&meta);
        let live = match LiveScan::new(path, &self.opts.scan, have_access) {
            Ok(l) => l,
            Err(e) => {
                self.diagnostics.push(format!("{key}: {e}; not followed"));
                return;
            }
        };
        let mut f = Followed {
            handle,
            id,
            offset: 0,
            line: 0,
            partial: Vec::new(),
            live,
        };
        match self.saved.files.get(&key).cloned() {
            Some(st) if (st.dev, st.ino) == id && st.offset <= meta.len() => {
                f.offset = st.offset;
                f.line = st.line;
            }
            Some(st) => {
                // Rotated while we were away: finish the old file from where we stopped
                // (found by its inode among the rotated siblings), then the new one from
                // its start.
                if let Some(h) = find_inode(path, (st.dev, st.ino)).and_then(|o| File::open(o).ok())
                {
                    let mut old = Followed {
                        handle: h,
                        id: (st.dev, st.ino),
                        offset: st.offset,
                        line: st.line,
                        partial: Vec::new(),
                        live: f.live,
                    };
                    read_new(&mut old, &mut self.carry, true);
                    f.live = old.live;
                }
            }
            None if at_start && !self.opts.from_start => {
                f.offset = meta.len();
                f.line = count_lines(path, meta.len());
            }
            None => {}
        }
        let _ = f.handle.seek(SeekFrom::Start(f.offset));
        self.files.insert(path.to_path_buf(), f);
    }

    fn follow(&mut self, path: &Path, out: &mut Vec<LogFinding>) {
        out.append(&mut self.carry);
        let key = path.display().to_string();
        let now = std::fs::metadata(path);
        let Some(f) = self.files.get_mut(path) else {
            return;
        };
        match now {
            Ok(m) if file_id(&m) != f.id => {
                // Rotated: the old inode to its end, then the new file from its start.
                read_new(f, out, true);
                match File::open(path) {
                    Ok(h) => {
                        f.id = h.metadata().map(|m| file_id(&m)).unwrap_or(f.id);
                        f.handle = h;
                        f.offset = 0;
                        f.line = 0;
                        f.partial.clear();
                    }
                    Err(e) => {
                        self.diagnostics.push(format!(
                            "{key}: rotated, and the new file cannot be opened: {e}"
                        ));
                        return;
                    }
                }
            }
            Ok(m) if m.len() < f.offset => {
                self.diagnostics.push(format!(
                    "{key}: truncated (now {} bytes, {} were read); reading it again from the start",
                    m.len(),
                    f.offset
                ));
                f.offset = 0;
                f.line = 0;
                f.partial.clear();
                let _ = f.handle.seek(SeekFrom::Start(0));
            }
            Ok(_) => {}
            Err(_) => {
                // Renamed away and not (yet) recreated: finish the old inode, keep waiting.
                read_new(f, out, true);
                return;
            }
        }
        read_new(f, out, false);
    }

    fn save_state(&mut self) {
        let Some(path) = self.opts.state.clone() else {
            return;
        };
        let mut st = State {
            version: 1,
            files: BTreeMap::new(),
        };
        for (p, f) in &self.files {
            st.files.insert(
                p.display().to_string(),
                FileState {
                    dev: f.id.0,
                    ino: f.id.1,
                    offset: f.offset,
                    line: f.line,
                },
            );
        }
        if st.files == self.saved.files {
            return;
        }
        match write_atomic(&path, &serde_json::to_vec_pretty(&st).expect("plain data")) {
            Ok(()) => self.saved = st,
            Err(e) => self.diagnostics.push(format!(
                "{}: cannot save the watch state: {e}",
                path.display()
            )),
        }
    }

    /// Rate limit per rule; the digest of what was held back when it is due.
    fn limit(&mut self, findings: Vec<LogFinding>) -> Vec<Alert> {
        let now = Instant::now();
        let mut out = Vec::new();
        for f in &findings {
            let a = Alert::from_finding(f);
            let q = self.limiter.entry(a.code.clone()).or_default();
            while q
                .front()
                .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
            {
                q.pop_front();
            }
            if q.len() < self.opts.per_rule_per_minute {
                q.push_back(now);
                out.push(a);
            } else {
                let e = self.suppressed.entry(a.code.clone()).or_insert((
                    0,
                    a.rule.clone(),
                    a.severity.clone(),
                ));
                e.0 += a.count;
            }
        }
        if !self.suppressed.is_empty()
            && now.duration_since(self.last_digest) >= self.opts.digest_every
        {
            out.push(self.digest());
            self.last_digest = now;
        }
        out
    }

    /// The digest of suppressed alerts (also sent at shutdown).
    pub fn digest(&mut self) -> Alert {
        let held = std::mem::take(&mut self.suppressed);
        let total: u64 = held.values().map(|v| v.0).sum();
        let severity = held
            .values()
            .map(|v| v.2.clone())
            .max_by_key(|s| severity_rank(s))
            .unwrap_or_else(|| "info".into());
        Alert {
            kind: "digest".into(),
            code: "LGS000".into(),
            rule: "alert-digest".into(),
            severity,
            message: format!(
                "{total} more events held back by the rate limit ({} a minute per rule)",
                self.opts.per_rule_per_minute
            ),
            file: String::new(),
            line: 0,
            logged_at: None,
            count: total,
            evidence: held
                .iter()
                .map(|(code, (n, rule, _))| format!("{code} {rule}: {n}"))
                .collect(),
            ip: None,
        }
    }

    /// Whether suppressed alerts wait for a digest.
    pub fn has_suppressed(&self) -> bool {
        !self.suppressed.is_empty()
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// Reads what was appended to `f` since its offset and feeds complete lines; `to_end`: the
/// file will not grow any more (rotated away), so a final partial line counts too.
fn read_new(f: &mut Followed, out: &mut Vec<LogFinding>, to_end: bool) {
    let mut buf = Vec::new();
    let _ = f
        .handle
        .seek(SeekFrom::Start(f.offset + f.partial.len() as u64));
    let limit = if to_end { u64::MAX } else { MAX_READ_PER_ROUND };
    if (&mut f.handle).take(limit).read_to_end(&mut buf).is_err() {
        return;
    }
    let mut data = std::mem::take(&mut f.partial);
    data.extend_from_slice(&buf);
    let mut start = 0;
    while let Some(nl) = memchr::memchr(b'\n', &data[start..]) {
        let line = &data[start..start + nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        f.line += 1;
        f.live.feed(line, f.line, false);
        start += nl + 1;
    }
    f.offset += start as u64;
    let rest = &data[start..];
    if to_end && !rest.is_empty() {
        f.line += 1;
        f.live.feed(rest, f.line, false);
        f.offset += rest.len() as u64;
    } else if rest.len() > MAX_PARTIAL {
        // A line with no end in sight: feed it in pieces.
        f.line += 1;
        f.live.feed(rest, f.line, false);
        f.offset += rest.len() as u64;
    } else {
        f.partial = rest.to_vec();
    }
    let idle = buf.len() < limit as usize;
    out.extend(f.live.take_new(idle));
}

/// Lines in the first `len` bytes (so line numbers stay right when starting at the end).
fn count_lines(path: &Path, len: u64) -> u64 {
    let Ok(f) = File::open(path) else { return 0 };
    let mut r = std::io::BufReader::new(f.take(len));
    let mut buf = [0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => return n,
            Ok(k) => n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64,
        }
    }
}

/// The rotated sibling of `path` that still has inode `id` (egg-logrotator's
/// `x.log.YYYY-MM-DD`, `x.log.1`).
fn find_inode(path: &Path, id: (u64, u64)) -> Option<PathBuf> {
    let dir = path.parent()?;
    let name = path.file_name()?.to_string_lossy().to_string();
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        if n != name && n.starts_with(&name) {
            if let Ok(m) = e.metadata() {
                if file_id(&m) == id {
                    return Some(e.path());
                }
            }
        }
    }
    None
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    eggsec_report::input::check_replaceable(path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".eggsec-watch.")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

// ----- sinks -----------------------------------------------------------------------------

/// Where alerts go.
pub trait Sink {
    /// Delivers alerts; an error keeps them for the next round.
    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), String>;
    fn name(&self) -> String;
}

/// JSON lines on a writer (stdout).
pub struct JsonLines<W: Write>(pub W);

impl<W: Write> Sink for JsonLines<W> {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), String> {
        for a in alerts {
            let line = serde_json::to_string(a).expect("plain data");
            writeln!(self.0, "{line}").map_err(|e| e.to_string())?;
        }
        self.0.flush().map_err(|e| e.to_string())
    }
    fn name(&self) -> String {
        "stdout".into()
    }
}

/// A webhook's message shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookKind {
    Json,
    Slack,
    /// DingTalk robot, with its signing secret (`SEC...`) when the robot has one.
    Dingtalk(Option<String>),
    /// Feishu/Lark robot, with its signing secret when the robot has one.
    Feishu(Option<String>),
}

/// A webhook; only a 2xx answer counts as delivered.
pub struct Webhook {
    pub url: String,
    pub kind: HookKind,
    agent: ureq::Agent,
}

impl Webhook {
    pub fn new(url: String, kind: HookKind) -> Webhook {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Webhook { url, kind, agent }
    }
}

fn alert_text(alerts: &[Alert]) -> String {
    let mut s = String::new();
    for a in alerts {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(&format!(
            "[{}] {} {}: {} ({}:{})",
            a.severity, a.code, a.rule, a.message, a.file, a.line
        ));
        for e in a.evidence.iter().take(3) {
            s.push_str(&format!("\n  {e}"));
        }
    }
    s
}

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(msg);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// DingTalk's signature: HMAC-SHA256 over `"{ms}\n{secret}"` keyed by the secret, Base64,
/// URL-encoded, appended as `timestamp` and `sign` query parameters.
pub fn dingtalk_signed_url(url: &str, secret: &str, now_ms: i64) -> String {
    let sign = hmac_b64(secret.as_bytes(), format!("{now_ms}\n{secret}").as_bytes());
    let sep = if url.contains('?') { '&' } else { '?' };
    let enc: String =
        percent_encoding::utf8_percent_encode(&sign, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    format!("{url}{sep}timestamp={now_ms}&sign={enc}")
}

/// Feishu's signature: HMAC-SHA256 of an empty message keyed by `"{secs}\n{secret}"`, Base64.
pub fn feishu_sign(secret: &str, now_secs: i64) -> String {
    hmac_b64(format!("{now_secs}\n{secret}").as_bytes(), b"")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Webhook {
    /// The request URL and body for `alerts`.
    pub fn request(&self, alerts: &[Alert]) -> (String, Value) {
        let text = format!("eggsec logs watch\n{}", alert_text(alerts));
        match &self.kind {
            HookKind::Json => (
                self.url.clone(),
                json!({"source": "eggsec logs watch", "alerts": alerts}),
            ),
            HookKind::Slack => (self.url.clone(), json!({"text": text})),
            HookKind::Dingtalk(secret) => {
                let url = match secret {
                    Some(s) => dingtalk_signed_url(&self.url, s, now_ms()),
                    None => self.url.clone(),
                };
                (url, json!({"msgtype": "text", "text": {"content": text}}))
            }
            HookKind::Feishu(secret) => {
                let mut body = json!({"msg_type": "text", "content": {"text": text}});
                if let Some(s) = secret {
                    let ts = now_ms() / 1000;
                    body["timestamp"] = json!(ts.to_string());
                    body["sign"] = json!(feishu_sign(s, ts));
                }
                (self.url.clone(), body)
            }
        }
    }
}

impl Sink for Webhook {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), String> {
        if alerts.is_empty() {
            return Ok(());
        }
        let (url, body) = self.request(alerts);
        let resp = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string().as_str())
            .map_err(|e| format!("webhook {}: {e}", crate::redact::redact_str(&self.url)))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!(
                "webhook {}: HTTP {status}; kept for the next round",
                crate::redact::redact_str(&self.url)
            ))
        }
    }
    fn name(&self) -> String {
        format!("webhook {}", crate::redact::redact_str(&self.url))
    }
}

/// The event format for a log shipper's socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketFormat {
    /// Elastic Common Schema JSON, one per line (Logstash/Filebeat `json_lines`).
    Ecs,
    /// GELF 1.1 (Graylog): NUL-terminated over TCP, one datagram over UDP.
    Gelf,
}

/// A TCP or UDP socket of a log shipper (`tcp://host:port`, `udp://host:port`).
pub struct SocketSink {
    pub addr: String,
    pub udp: bool,
    pub format: SocketFormat,
    tcp: Option<std::net::TcpStream>,
}

impl SocketSink {
    /// Parses `tcp://host:port` or `udp://host:port`.
    pub fn parse(spec: &str, format: SocketFormat) -> Result<SocketSink, String> {
        let (udp, addr) = if let Some(a) = spec.strip_prefix("udp://") {
            (true, a)
        } else if let Some(a) = spec.strip_prefix("tcp://") {
            (false, a)
        } else {
            return Err(format!(
                "{spec}: expected tcp://HOST:PORT or udp://HOST:PORT"
            ));
        };
        Ok(SocketSink {
            addr: addr.to_string(),
            udp,
            format,
            tcp: None,
        })
    }
}

/// The ECS event of an alert.
pub fn ecs_event(a: &Alert) -> Value {
    json!({
        "@timestamp": a.logged_at.clone().unwrap_or_else(|| crate::record::format_rfc3339(now_ms())),
        "message": a.message,
        "event": {"kind": "alert", "category": ["intrusion_detection"], "type": ["info"],
                  "code": a.code, "severity": severity_rank(&a.severity), "count": a.count,
                  "provider": "eggsec"},
        "rule": {"id": a.code, "name": a.rule},
        "log": {"file": {"path": a.file}, "level": a.severity},
        "source": a.ip.as_ref().map(|ip| json!({"ip": ip})),
        "labels": {"evidence": a.evidence.join("; ")},
    })
}

/// The GELF 1.1 message of an alert.
pub fn gelf_message(a: &Alert) -> Value {
    let level = match a.severity.as_str() {
        "critical" => 2,
        "high" => 3,
        "medium" => 4,
        "low" => 5,
        _ => 6,
    };
    json!({
        "version": "1.1",
        "host": "eggsec",
        "short_message": format!("{} {}: {}", a.code, a.rule, a.message),
        "full_message": a.evidence.join("\n"),
        "timestamp": now_ms() as f64 / 1000.0,
        "level": level,
        "_rule_id": a.code,
        "_rule_name": a.rule,
        "_file": a.file,
        "_line": a.line,
        "_count": a.count,
        "_kind": a.kind,
    })
}

impl Sink for SocketSink {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), String> {
        for a in alerts {
            let (mut bytes, sep) = match self.format {
                SocketFormat::Ecs => (ecs_event(a).to_string().into_bytes(), b'\n'),
                SocketFormat::Gelf => (gelf_message(a).to_string().into_bytes(), 0u8),
            };
            if self.udp {
                let s = std::net::UdpSocket::bind("0.0.0.0:0").map_err(|e| e.to_string())?;
                s.send_to(&bytes, &self.addr)
                    .map_err(|e| format!("{}: {e}", self.addr))?;
                continue;
            }
            bytes.push(sep);
            if self.tcp.is_none() {
                let s = std::net::TcpStream::connect(&self.addr)
                    .map_err(|e| format!("{}: {e}", self.addr))?;
                self.tcp = Some(s);
            }
            let stream = self.tcp.as_mut().expect("connected above");
            if let Err(e) = stream.write_all(&bytes) {
                self.tcp = None;
                return Err(format!("{}: {e}", self.addr));
            }
        }
        Ok(())
    }
    fn name(&self) -> String {
        format!("{}://{}", if self.udp { "udp" } else { "tcp" }, self.addr)
    }
}

/// Delivers to every sink; what a sink could not take waits in its queue (at most `cap`
/// alerts, the oldest dropped first, counted) for the next round.
pub struct Outbox {
    pub sinks: Vec<(Box<dyn Sink>, VecDeque<Alert>)>,
    pub cap: usize,
    pub dropped: u64,
}

impl Outbox {
    pub fn new(sinks: Vec<Box<dyn Sink>>) -> Outbox {
        Outbox {
            sinks: sinks.into_iter().map(|s| (s, VecDeque::new())).collect(),
            cap: 1000,
            dropped: 0,
        }
    }

    /// Queues `alerts` on every sink and tries each; the errors, one per failing sink.
    pub fn send(&mut self, alerts: &[Alert]) -> Vec<String> {
        let mut errors = Vec::new();
        for (sink, queue) in &mut self.sinks {
            queue.extend(alerts.iter().cloned());
            while queue.len() > self.cap {
                queue.pop_front();
                self.dropped += 1;
            }
            if queue.is_empty() {
                continue;
            }
            let batch: Vec<Alert> = queue.iter().cloned().collect();
            match sink.deliver(&batch) {
                Ok(()) => queue.clear(),
                Err(e) => errors.push(e),
            }
        }
        errors
    }

    /// Alerts still waiting for some sink.
    pub fn pending(&self) -> usize {
        self.sinks.iter().map(|(_, q)| q.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_logs_only() {
        assert!(is_active_log("myapp-web.log"));
        assert!(is_active_log("common-error.log"));
        assert!(!is_active_log("myapp-web.log.2026-12-03"));
        assert!(!is_active_log("myapp-web.log.1"));
        assert!(!is_active_log("myapp-web.log.gz"));
        assert!(!is_active_log("notes.txt"));
    }

    #[test]
    fn dingtalk_and_feishu_signatures_match_their_documented_algorithms() {
        // Values computed with Python's hmac/hashlib/base64 from the documented algorithms.
        let url = dingtalk_signed_url(
            "https://robot.example/send?access_token=t",
            "SECabc",
            1_700_000_000_000,
        );
        assert_eq!(
            url,
            "https://robot.example/send?access_token=t&timestamp=1700000000000&sign=jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D"
        );
        assert_eq!(
            feishu_sign("secret", 1_700_000_000),
            "fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA="
        );
    }
}
