//! `eggsec logs scan`: every file streamed once (files in parallel with rayon), records parsed
//! with the fixed-shape header check, secrets and personal data found per line, security events
//! counted in per-file sliding windows, findings aggregated (one per distinct secret per file,
//! one per event burst) so a 1 GB log gives a readable report.

use crate::detect::LineScanner;
use crate::kind::{self, FileKind, Format, Role};
use crate::reader::{self, LineReader};
use crate::record::{self, Header, Level};
use crate::rules::mask;
use crate::rules::{self, Family, RuleInfo};
use crate::twin::TwinChecker;
use crate::window::{Burst, Windowed};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use eggsec_report::{Confidence, Finding, Location, Strategy};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Thresholds and filters for a scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Ignore records before this time (epoch ms of the logged wall-clock time).
    pub since: Option<i64>,
    /// Extra case-insensitive phrases that mark an authentication failure.
    pub auth_patterns: Vec<String>,
    /// Brute force: `brute_threshold` failures per IP or account within `brute_window_ms`.
    pub brute_window_ms: i64,
    pub brute_threshold: usize,
    /// Scanning: `burst_threshold` 4xx for one IP within `burst_window_ms`.
    pub burst_window_ms: i64,
    pub burst_threshold: usize,
    /// 5xx spike: `spike_threshold` server errors within `spike_window_ms`.
    pub spike_window_ms: i64,
    pub spike_threshold: usize,
    /// CSRF-failure burst (live alerts): `csrf_threshold` rejections within `csrf_window_ms`.
    pub csrf_window_ms: i64,
    pub csrf_threshold: usize,
    /// Share of request records from one IP above which per-IP detection is called blind.
    pub single_ip_share: f64,
    /// Minimum request records before the single-IP check speaks.
    pub single_ip_min_requests: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            since: None,
            auth_patterns: Vec::new(),
            brute_window_ms: 5 * 60_000,
            brute_threshold: 10,
            burst_window_ms: 60_000,
            burst_threshold: 20,
            spike_window_ms: 60_000,
            spike_threshold: 20,
            csrf_window_ms: 60_000,
            csrf_threshold: 10,
            single_ip_share: 0.95,
            single_ip_min_requests: 20,
        }
    }
}

/// One scanned file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    pub path: String,
    pub kind: String,
    pub lines: u64,
    pub bytes: u64,
    pub gzip: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<String>,
}

/// A finding with the log-specific facts the renderers need.
#[derive(Clone, Debug)]
pub struct LogFinding {
    pub finding: Finding,
    pub file: String,
    pub line: u64,
    pub detector: &'static str,
    pub family: Family,
    /// How many occurrences this finding stands for.
    pub count: u64,
    /// Logged time of the first occurrence (epoch ms), when known.
    pub ts: Option<i64>,
    /// Client IP, for event findings about one IP.
    pub ip: Option<String>,
}

/// Everything a scan produced.
#[derive(Clone, Debug, Default)]
pub struct ScanResult {
    pub files: Vec<FileReport>,
    pub findings: Vec<LogFinding>,
    /// Files that could not be read completely, each message naming the file.
    pub errors: Vec<String>,
    /// Occurrences per detector name.
    pub counts: BTreeMap<String, u64>,
    /// Request records per client IP (top first), at most 10.
    pub top_ips: Vec<(String, u64)>,
    /// Occurrences per minute (`YYYY-MM-DD HH:MM`) and detector.
    pub timeline: BTreeMap<String, BTreeMap<String, u64>>,
    pub total_lines: u64,
    pub total_bytes: u64,
}

/// Scans files and directories (walked; each file's kind detected).
pub fn scan_paths(paths: &[PathBuf], opts: &ScanOptions) -> ScanResult {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        kind::walk(p, &mut files, &mut errors);
    }
    files.sort();
    files.dedup();
    let have_access = files.iter().any(|f| {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        kind::role_of(&kind::split_rotation(&name).0) == Role::Access
    });
    let outcomes: Vec<FileOutcome> = files
        .par_iter()
        .map(|f| scan_file(f, opts, have_access))
        .collect();
    let mut result = ScanResult {
        errors,
        ..ScanResult::default()
    };
    let mut ip_counts: HashMap<String, u64> = HashMap::new();
    let mut ip_first: HashMap<String, (String, u64, u64)> = HashMap::new();
    let mut timeline: BTreeMap<i64, BTreeMap<&'static str, u64>> = BTreeMap::new();
    for o in outcomes {
        result.errors.extend(o.errors);
        if let Some(r) = o.report {
            result.total_lines += r.lines;
            result.total_bytes += r.bytes;
            result.files.push(r);
        }
        result.findings.extend(o.findings);
        for (k, v) in o.counts {
            *result.counts.entry(k.to_string()).or_insert(0) += v;
        }
        for (ip, (n, file, line)) in o.ips {
            *ip_counts.entry(ip.clone()).or_insert(0) += n;
            // Point at the file with the most records from this IP.
            match ip_first.get(&ip) {
                Some((_, _, m)) if *m >= n => {}
                _ => {
                    ip_first.insert(ip, (file, line, n));
                }
            }
        }
        for (m, per) in o.timeline {
            let slot = timeline.entry(m).or_default();
            for (k, v) in per {
                *slot.entry(k).or_insert(0) += v;
            }
        }
    }
    let total: u64 = ip_counts.values().sum();
    let mut ips: Vec<(String, u64)> = ip_counts.into_iter().collect();
    ips.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some((ip, n)) = ips.first() {
        if total >= opts.single_ip_min_requests
            && (*n as f64) >= opts.single_ip_share * total as f64
        {
            let (file, line, _) = ip_first.get(ip).cloned().unwrap_or_default();
            let kind = if is_private_ip(ip) {
                "a loopback/private address"
            } else {
                "one address"
            };
            let f = Finding::new(
                rules::SINGLE_IP.code,
                rules::SINGLE_IP.name,
                Strategy::Logging,
                rules::SINGLE_IP.severity,
                format!(
                    "{} of {} request records come from {ip} ({kind}): per-IP brute-force and scanning detection cannot work",
                    n, total
                ),
                Location::Log { path: file.clone(), line },
            )
            .with_evidence(vec![format!("{ip}: {n}/{total} request records")])
            .with_remediation(
                "Behind a reverse proxy set `config.proxy = true` and `config.maxIpsCount` to the number \
                 of proxy hops (e.g. 1), so `ctx.ip` is the client address from X-Forwarded-For and not \
                 the proxy's; never trust the left-most X-Forwarded-For value (maxIpsCount: 0).",
            );
            *result
                .counts
                .entry(rules::SINGLE_IP.name.into())
                .or_insert(0) += 1;
            result.findings.push(LogFinding {
                finding: f,
                file,
                line,
                detector: rules::SINGLE_IP.name,
                family: Family::SecurityEvent,
                count: *n,
                ts: None,
                ip: Some(ip.clone()),
            });
        }
    }
    ips.truncate(10);
    result.top_ips = ips;
    storage_findings(paths, &files, &mut result);
    // Minute buckets; more than 120 minutes are folded into hours.
    let fold = timeline.len() > 120;
    for (m, per) in timeline {
        let label = if fold {
            let mut s = record::format_minute(m * 60_000);
            s.replace_range(14.., "00");
            s
        } else {
            record::format_minute(m * 60_000)
        };
        let slot = result.timeline.entry(label).or_default();
        for (k, v) in per {
            *slot.entry(k.to_string()).or_insert(0) += v;
        }
    }
    result.findings.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then(a.line.cmp(&b.line))
            .then(a.finding.rule.cmp(&b.finding.rule))
    });
    result
}

/// Log storage: the scanned folders and files must not be readable (secrets, personal data)
/// or writable (forged or deleted evidence) by every user of the machine. One finding per
/// problem, listing up to 10 paths with their mode and owner.
fn storage_findings(roots: &[PathBuf], files: &[PathBuf], result: &mut ScanResult) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mut seen = HashSet::new();
        let mut readable: Vec<(String, u32, u32)> = Vec::new();
        let mut writable: Vec<(String, u32, u32)> = Vec::new();
        let dirs = roots.iter().filter(|r| r.is_dir()).cloned();
        let parents = files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf));
        for p in dirs.chain(parents).chain(files.iter().cloned()) {
            if !seen.insert(p.clone()) {
                continue;
            }
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let mode = m.mode() & 0o7777;
            let is_dir = m.is_dir();
            let entry = (p.display().to_string(), mode, m.uid());
            // A folder others may list and enter, or a file others may read.
            let other_read = if is_dir {
                mode & 0o005 == 0o005
            } else {
                mode & 0o004 != 0
            };
            // A sticky folder (/tmp-like) still stops others deleting files.
            let other_write = mode & 0o002 != 0 && !(is_dir && mode & 0o1000 != 0);
            // Others reach it only through folders they may enter.
            if !(other_write || other_read) || !reachable_by_others(&p) {
                continue;
            }
            if other_write {
                writable.push(entry);
            } else if !is_dir {
                readable.push(entry);
            }
        }
        for (rule, list, fix) in [
            (
                &rules::WRITABLE_BY_OTHERS,
                writable,
                "Remove write access for others (`chmod o-w`), keep the log folder owned by the app's user \
                 and group (`chmod 750`), and treat these logs as possibly tampered with.",
            ),
            (
                &rules::READABLE_BY_OTHERS,
                readable,
                "Make logs readable only by the app's user and an ops group: `chmod 640` for files, `chmod 750` \
                 for the folder, and a umask of 027 for the app (egg-logger creates files with the process umask).",
            ),
        ] {
            if list.is_empty() {
                continue;
            }
            let first = list[0].0.clone();
            let evidence: Vec<String> = list
                .iter()
                .take(10)
                .map(|(p, mode, uid)| format!("{p}: mode {mode:04o}, owner uid {uid}"))
                .collect();
            let f = Finding::new(
                rule.code,
                rule.name,
                Strategy::Logging,
                rule.severity,
                format!("{} ({} paths)", rule.title, list.len()),
                Location::Log {
                    path: first.clone(),
                    line: 0,
                },
            )
            .with_evidence(evidence)
            .with_remediation(fix);
            *result.counts.entry(rule.name.into()).or_insert(0) += list.len() as u64;
            result.findings.push(LogFinding {
                finding: f,
                file: first,
                line: 0,
                detector: rule.name,
                family: Family::Storage,
                count: list.len() as u64,
                ts: None,
                ip: None,
            });
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (roots, files, result);
    }
}

/// Whether every folder above `p` lets other users through (o+x).
#[cfg(unix)]
fn reachable_by_others(p: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    abs.ancestors()
        .skip(1)
        .all(|d| std::fs::metadata(d).is_ok_and(|m| m.mode() & 0o001 != 0))
}

/// Loopback, RFC 1918, link-local and unique-local addresses.
pub fn is_private_ip(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v)) => v.is_loopback() || v.is_private() || v.is_link_local(),
        Ok(std::net::IpAddr::V6(v)) => {
            v.is_loopback()
                || (v.segments()[0] & 0xfe00) == 0xfc00
                || v.to_ipv4_mapped()
                    .is_some_and(|m| m.is_loopback() || m.is_private())
        }
        Err(_) => false,
    }
}

#[derive(Default)]
struct FileOutcome {
    report: Option<FileReport>,
    findings: Vec<LogFinding>,
    errors: Vec<String>,
    counts: BTreeMap<&'static str, u64>,
    ips: HashMap<String, (u64, String, u64)>,
    timeline: BTreeMap<i64, BTreeMap<&'static str, u64>>,
}

/// An automaton for the user's extra auth-failure phrases (the built-in ones are found by the
/// secrets pass).
fn auth_ac(extra: &[String]) -> Option<AhoCorasick> {
    if extra.is_empty() {
        return None;
    }
    let pats: Vec<String> = extra.iter().map(|s| s.to_ascii_lowercase()).collect();
    Some(
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(&pats)
            .expect("literal patterns"),
    )
}

fn injection_ac() -> &'static (AhoCorasick, Vec<&'static str>) {
    static AC: OnceLock<(AhoCorasick, Vec<&'static str>)> = OnceLock::new();
    AC.get_or_init(|| {
        let table: &[(&str, &str)] = &[
            ("union select", "SQL injection"),
            ("union all select", "SQL injection"),
            ("' or ", "SQL injection"),
            ("\" or ", "SQL injection"),
            (" or 1=1", "SQL injection"),
            ("'or'1'='1", "SQL injection"),
            ("sleep(", "SQL injection"),
            ("benchmark(", "SQL injection"),
            ("waitfor delay", "SQL injection"),
            ("information_schema", "SQL injection"),
            ("../", "path traversal"),
            ("..\\", "path traversal"),
            ("/etc/passwd", "path traversal"),
            ("win.ini", "path traversal"),
            ("<script", "XSS"),
            ("javascript:", "XSS"),
            ("onerror=", "XSS"),
            ("onload=", "XSS"),
            ("<svg", "XSS"),
            ("${jndi:", "JNDI/template injection"),
            ("{{", "JNDI/template injection"),
            ("${", "JNDI/template injection"),
            ("<%", "JNDI/template injection"),
            (";cat ", "command injection"),
            ("|cat ", "command injection"),
            (";id", "command injection"),
            ("|id", "command injection"),
            ("$(", "command injection"),
            ("`", "command injection"),
            ("\n", "CRLF/log injection"),
            ("\r", "CRLF/log injection"),
            ("\0", "NUL byte injection"),
        ];
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(table.iter().map(|t| t.0))
            .expect("literal patterns");
        (ac, table.iter().map(|t| t.1).collect())
    })
}

/// Percent-decodes (and `+` → space) a URL into `out`.
pub fn percent_decode(url: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < url.len() {
        match url[i] {
            b'%' => {
                let h = |c: u8| (c as char).to_digit(16);
                match (
                    url.get(i + 1).and_then(|c| h(*c)),
                    url.get(i + 2).and_then(|c| h(*c)),
                ) {
                    (Some(a), Some(b)) => {
                        out.push((a * 16 + b) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Cheap pre-check: only URLs with an encoded byte or a character payloads need are decoded.
fn url_suspicious(url: &[u8]) -> bool {
    const fn table() -> [bool; 256] {
        let mut t = [false; 256];
        let set = b"%'<$;|`{\"\\";
        let mut i = 0;
        while i < set.len() {
            t[set[i] as usize] = true;
            i += 1;
        }
        t
    }
    static SUSPICIOUS: [bool; 256] = table();
    url.iter().any(|c| SUSPICIOUS[*c as usize]) || url.windows(2).any(|w| w == b"..")
}

/// The injection category of a URL, if it carries a payload.
pub fn injection_in_url(url: &[u8], buf: &mut Vec<u8>) -> Option<&'static str> {
    if !url_suspicious(url) {
        return None;
    }
    // Decode twice: double-encoded payloads (`%252e%252e`) are common in scans.
    percent_decode(url, buf);
    if buf.contains(&b'%') {
        let once = std::mem::take(buf);
        percent_decode(&once, buf);
    }
    let (ac, cats) = injection_ac();
    ac.find(&buf[..]).map(|m| cats[m.pattern().as_usize()])
}

struct Pending {
    ts: i64,
    line: u64,
    level: Level,
    ip: String,
    url: String,
    method: String,
    err_name: Option<String>,
    status: Option<u16>,
    csrf: Option<String>,
}

struct Tally {
    count: u64,
    line: u64,
    ts: i64,
    by: BTreeMap<String, u64>,
    ips: BTreeMap<String, u64>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            count: 0,
            line: 0,
            ts: 0,
            by: BTreeMap::new(),
            ips: BTreeMap::new(),
        }
    }
    fn add(&mut self, line: u64, ts: i64, what: &str, ip: &str) {
        if self.count == 0 {
            self.line = line;
            self.ts = ts;
        }
        self.count += 1;
        if self.by.len() < 50 || self.by.contains_key(what) {
            *self.by.entry(what.to_string()).or_insert(0) += 1;
        }
        if !ip.is_empty() && (self.ips.len() < 1000 || self.ips.contains_key(ip)) {
            *self.ips.entry(ip.to_string()).or_insert(0) += 1;
        }
    }
}

struct SecretSeen {
    rule: &'static RuleInfo,
    line: u64,
    ts: Option<i64>,
    evidence: String,
    count: u64,
}

/// Per-file state while streaming.
struct FileScan<'o> {
    opts: std::borrow::Cow<'o, ScanOptions>,
    /// CSRF failures in a sliding window (only `logs watch` raises alerts from it).
    csrf_live: Windowed,
    display: String,
    events: bool,
    access_only: bool,
    role: Role,
    out: FileOutcome,
    scanner: LineScanner,
    secrets: HashMap<(&'static str, u64), usize>,
    seen: Vec<SecretSeen>,
    overflow: u64,
    auth: Option<AhoCorasick>,
    /// An auth-failure phrase is on the current line (from the secrets pass).
    auth_here: bool,
    pending: Option<Pending>,
    cur_ts: Option<i64>,
    skipping: bool,
    csrf: Tally,
    authf: Tally,
    brute_ip: Windowed,
    brute_acct: Windowed,
    burst: Windowed,
    spike: Windowed,
    inj_seen: HashSet<u64>,
    url_buf: Vec<u8>,
    twin: Twin,
    twin_path: String,
    forged: Vec<(u64, i64, String)>,
    forged_count: u64,
    /// Request records and first line per client IP (IPs up to 47 bytes; longer ones, which
    /// are not real addresses, in `long_ips`).
    ips: HashMap<IpKey, (u64, u64), Fnv>,
    long_ips: HashMap<Box<[u8]>, (u64, u64)>,
    listed: HashMap<&'static str, usize>,
    unlisted: BTreeMap<&'static str, u64>,
}

type Twin = Option<TwinChecker<Box<dyn std::io::Read + Send>>>;

impl<'o> FileScan<'o> {
    /// The state at the start of a file: `display` names it in the output, `events` says
    /// whether its lines count as events (not when a text twin counts them), `twin` is the
    /// JSON twin checked for forged lines and its display name.
    fn new(
        opts: std::borrow::Cow<'o, ScanOptions>,
        display: String,
        events: bool,
        access_only: bool,
        role: Role,
        (twin, twin_path): (Twin, String),
    ) -> Self {
        FileScan {
            csrf_live: Windowed::new(opts.csrf_window_ms, opts.csrf_threshold),
            brute_ip: Windowed::new(opts.brute_window_ms, opts.brute_threshold),
            brute_acct: Windowed::new(opts.brute_window_ms, opts.brute_threshold),
            burst: Windowed::new(opts.burst_window_ms, opts.burst_threshold),
            spike: Windowed::new(opts.spike_window_ms, opts.spike_threshold),
            auth: auth_ac(&opts.auth_patterns),
            opts,
            display,
            events,
            access_only,
            role,
            out: FileOutcome::default(),
            scanner: LineScanner::new(),
            secrets: HashMap::new(),
            seen: Vec::new(),
            overflow: 0,
            auth_here: false,
            pending: None,
            cur_ts: None,
            skipping: false,
            csrf: Tally::new(),
            authf: Tally::new(),
            inj_seen: HashSet::new(),
            url_buf: Vec::new(),
            twin,
            twin_path,
            forged: Vec::new(),
            forged_count: 0,
            ips: HashMap::with_hasher(Fnv),
            long_ips: HashMap::new(),
            listed: HashMap::new(),
            unlisted: BTreeMap::new(),
        }
    }
}

/// At most this many findings per detector and file are listed; the rest are counted.
pub const MAX_FINDINGS_PER_DETECTOR: usize = 1000;

/// A fast FNV-like hasher for short keys (IPs) on the per-line path.
#[derive(Clone, Copy, Default)]
struct Fnv;

struct FnvHasher(u64);

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // FNV-style mixing, eight bytes per step (IPs are short: two or three steps).
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0 ^ w).wrapping_mul(0x100_0000_01b3).rotate_left(29);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0 ^ u64::from_le_bytes(w))
                .wrapping_mul(0x100_0000_01b3)
                .rotate_left(29);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x100_0000_01b3).rotate_left(29);
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x100_0000_01b3);
    }
}

/// An IP (or whatever the request prefix holds there) of up to 47 bytes, inline: no
/// allocation per new address and a fixed-size comparison per record.
#[derive(Clone, Copy, PartialEq, Eq)]
struct IpKey([u64; 6]);

impl IpKey {
    fn new(ip: &[u8]) -> Option<IpKey> {
        if ip.len() > 47 {
            return None;
        }
        let mut b = [0u8; 48];
        b[..ip.len()].copy_from_slice(ip);
        b[47] = ip.len() as u8;
        let mut w = [0u64; 6];
        for (i, c) in b.chunks_exact(8).enumerate() {
            w[i] = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        }
        Some(IpKey(w))
    }
    fn bytes(&self) -> Vec<u8> {
        let b: Vec<u8> = self.0.iter().flat_map(|w| w.to_le_bytes()).collect();
        b[..usize::from(b[47])].to_vec()
    }
}

impl Hash for IpKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let w = &self.0;
        h.write_u64(w[0] ^ w[2].rotate_left(21) ^ w[5]);
        h.write_u64(w[1] ^ w[3].rotate_left(13) ^ w[4].rotate_left(37));
    }
}

fn hash64(b: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scan_file(path: &Path, opts: &ScanOptions, have_access: bool) -> FileOutcome {
    let display = path.display().to_string();
    let kind = match kind::classify(path) {
        Ok(k) => k,
        Err(e) => {
            return FileOutcome {
                errors: vec![format!("{display}: {e}; skipped")],
                ..FileOutcome::default()
            }
        }
    };
    let (input, handle) = match reader::open(path) {
        Ok(x) => x,
        Err(e) => {
            return FileOutcome {
                errors: vec![format!("{display}: {e}; skipped")],
                ..FileOutcome::default()
            }
        }
    };
    // A JSON file with a text twin: events come from the text side (no double counting).
    let events = !(kind.format == Format::Json && kind::text_twin(path).is_some());
    let twin_path = if kind.format == Format::Text && events {
        kind::json_twin(path)
    } else {
        None
    };
    let twin = twin_path
        .as_ref()
        .and_then(|p| reader::open(p).ok())
        .map(|(r, _)| TwinChecker::new(r));
    let twin_path = twin_path
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut st = FileScan::new(
        std::borrow::Cow::Borrowed(opts),
        display.clone(),
        events,
        have_access,
        kind.role,
        (twin, twin_path),
    );
    let mut lr = LineReader::with_anchor_prefilter(input);
    let mut lines = 0;
    loop {
        match lr.next_line() {
            Ok(Some(l)) => {
                lines = l.number;
                st.line(l.bytes, l.number, l.continued, l.maybe_anchor, &kind);
            }
            Ok(None) => break,
            Err(e) => {
                let what = if kind.gzip {
                    "truncated or corrupt gzip stream"
                } else {
                    "read error"
                };
                st.out.errors.push(format!(
                    "{display}: {what} after line {}: {e}; findings up to that line are reported",
                    lr.line_number()
                ));
                break;
            }
        }
    }
    let bytes = lr.bytes_read;
    check_rotated(
        path,
        &handle,
        bytes,
        kind.gzip,
        &display,
        &mut st.out.errors,
    );
    st.finish();
    let mut out = st.out;
    out.report = Some(FileReport {
        path: display,
        kind: kind.label(),
        lines,
        bytes,
        gzip: kind.gzip,
        rotation: kind.rotation.clone(),
    });
    out
}

/// A file renamed or truncated by the rotator while it was read: say so (the old inode was
/// read to its end; the new file needs another run).
fn check_rotated(
    path: &Path,
    handle: &std::fs::File,
    read: u64,
    gz: bool,
    display: &str,
    errors: &mut Vec<String>,
) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (Ok(now), Ok(opened)) = (std::fs::metadata(path), handle.metadata()) else {
            errors.push(format!(
                "{display}: rotated away while being read; the old file was read to its end ({read} bytes)"
            ));
            return;
        };
        if now.ino() != opened.ino() || now.dev() != opened.dev() {
            errors.push(format!(
                "{display}: rotated while being read; the old file was read to its end ({read} bytes) \
                 and the new {display} was not scanned: run again to scan it"
            ));
        } else if !gz && now.len() < read {
            errors.push(format!(
                "{display}: truncated while being read (now {} bytes, {read} were read); findings cover what was read",
                now.len()
            ));
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, handle, read, gz, display, errors);
    }
}

impl FileScan<'_> {
    fn minute(&mut self, detector: &'static str, ts: Option<i64>) {
        *self.out.counts.entry(detector).or_insert(0) += 1;
        if let Some(ts) = ts {
            *self
                .out
                .timeline
                .entry(ts.div_euclid(60_000))
                .or_default()
                .entry(detector)
                .or_insert(0) += 1;
        }
    }

    fn line(
        &mut self,
        bytes: &[u8],
        number: u64,
        continued: bool,
        maybe_anchor: bool,
        kind: &FileKind,
    ) {
        // One pass finds secrets, personal data and auth-failure phrases.
        let hits: Vec<_> = self.scanner.scan_hinted(bytes, maybe_anchor).to_vec();
        self.auth_here = self.scanner.auth_phrase.is_some();
        if !continued {
            let header = match kind.format {
                Format::Text => record::parse_text_header(bytes),
                Format::Json => record::parse_json_record(bytes),
            };
            match header {
                Some(h) => {
                    self.finish_pending();
                    self.cur_ts = Some(h.ts);
                    self.skipping = self.opts.since.is_some_and(|s| h.ts < s);
                    if !self.skipping {
                        self.header(&h, number, kind.format);
                    }
                }
                None => {
                    if !self.skipping {
                        if let Some(p) = &mut self.pending {
                            if let Some(rest) = bytes.strip_prefix(b"status: ") {
                                p.status = std::str::from_utf8(rest)
                                    .ok()
                                    .and_then(|s| s.trim().parse().ok());
                            }
                        }
                    }
                }
            }
        }
        self.auth_here = false;
        if self.skipping {
            return;
        }
        let ts = self.cur_ts;
        for h in hits {
            let value = &bytes[h.start..h.end];
            self.minute(h.rule.name, ts);
            let key = (h.rule.code, hash64(value));
            match self.secrets.get(&key) {
                Some(&i) => self.seen[i].count += 1,
                None if self.seen.len() < 10_000 => {
                    self.secrets.insert(key, self.seen.len());
                    let shown = if std::ptr::eq(h.rule, &rules::PRIVATE_KEY) {
                        let head_end = memchr::memmem::find(&value[5.min(value.len())..], b"-----")
                            .map(|i| i + 10)
                            .unwrap_or(value.len())
                            .min(value.len());
                        format!("{}****", lossy(&value[..head_end]))
                    } else {
                        mask(&lossy(value))
                    };
                    self.seen.push(SecretSeen {
                        rule: h.rule,
                        line: number,
                        ts,
                        evidence: format!("{}: {shown}", h.rule.label),
                        count: 1,
                    });
                }
                None => self.overflow += 1,
            }
        }
    }

    fn header(&mut self, h: &Header<'_>, number: u64, format: Format) {
        if let Some(tw) = &mut self.twin {
            let first = h.message;
            if !tw.has_twin(h.ts, h.pid, first) {
                self.forged_count += 1;
                if self.forged.len() < 50 {
                    let mut text = lossy(&first[..first.len().min(120)]);
                    text = crate::redact::redact_str(&text);
                    self.forged.push((number, h.ts, text));
                }
                self.minute(rules::FORGED_LINE.name, Some(h.ts));
            }
        }
        if !self.events {
            return;
        }
        let msg = match format {
            Format::Text => h.message,
            Format::Json => record::json_first_line(h.message),
        };
        let Some(p) = h.prefix else {
            if self.is_auth_failure(msg) {
                self.auth_failure(h.ts, number, "", msg);
            }
            return;
        };
        if p.method == b"SCHEDULE" {
            return;
        }
        let n_ips = self.ips.len() + self.long_ips.len();
        match IpKey::new(p.ip) {
            Some(k) => match self.ips.get_mut(&k) {
                Some(c) => c.0 += 1,
                None if n_ips < 100_000 => {
                    self.ips.insert(k, (1, number));
                }
                None => {}
            },
            None => match self.long_ips.get_mut(p.ip) {
                Some(c) => c.0 += 1,
                None if n_ips < 100_000 => {
                    self.long_ips.insert(p.ip.into(), (1, number));
                }
                None => {}
            },
        }
        // Injection payloads in the URL (once per distinct URL per file).
        let uh = if url_suspicious(p.url) {
            hash64(p.url)
        } else {
            0
        };
        if uh != 0 && self.inj_seen.len() < 200_000 && !self.inj_seen.contains(&uh) {
            self.inj_seen.insert(uh);
            if let Some(cat) = injection_in_url(p.url, &mut self.url_buf) {
                self.minute(rules::INJECTION.name, Some(h.ts));
                let url = crate::redact::redact_str(&lossy(p.url));
                let f = Finding::new(
                    rules::INJECTION.code,
                    rules::INJECTION.name,
                    Strategy::Logging,
                    rules::INJECTION.severity,
                    format!("{cat} payload in {} {url} from {}", lossy(p.method), lossy(p.ip)),
                    Location::Log { path: self.display.clone(), line: number },
                )
                .with_confidence(Confidence::Medium)
                .with_evidence(vec![format!("{} {url}", lossy(p.method))])
                .with_remediation(
                    "Check whether the request succeeded (status, response size) and block the source; \
                     the app must use parameterised queries and validate input (egg-validate / \
                     @eggjs/typebox-validate).",
                );
                self.push_event(
                    &rules::INJECTION,
                    f,
                    number,
                    1,
                    Some(h.ts),
                    Some(lossy(p.ip)),
                );
            }
        }
        if self.is_auth_failure(msg) {
            self.auth_failure(h.ts, number, &lossy(p.ip), msg);
        }
        // Access-log line: `GET /path 404 1ms "-" "UA"`.
        let access_status = access_status(msg, p.method);
        let err_name = record::error_name(msg).map(lossy);
        if access_status.is_none() && err_name.is_none() {
            return;
        }
        let csrf = (err_name.as_deref() == Some("ForbiddenError")
            && memchr::memmem::find(&msg.to_ascii_lowercase(), b"csrf").is_some())
        .then(|| {
            let m = memchr::memchr(b':', msg)
                .map(|i| &msg[i + 1..])
                .unwrap_or(msg);
            lossy(m).trim().trim_end_matches("\\n").to_string()
        });
        let status = access_status.or_else(|| match format {
            Format::Json => memchr::memmem::find(h.message, b"\\nstatus: ").and_then(|i| {
                let v = &h.message[i + 10..];
                let e = v
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .unwrap_or(v.len());
                std::str::from_utf8(&v[..e]).ok()?.parse().ok()
            }),
            Format::Text => None,
        });
        self.pending = Some(Pending {
            ts: h.ts,
            line: number,
            level: h.level,
            ip: lossy(p.ip),
            url: lossy(p.url),
            method: lossy(p.method),
            err_name: if access_status.is_some() {
                None
            } else {
                err_name
            },
            status,
            csrf,
        });
    }

    fn is_auth_failure(&self, msg: &[u8]) -> bool {
        self.auth_here || self.auth.as_ref().is_some_and(|a| a.is_match(msg))
    }

    fn auth_failure(&mut self, ts: i64, line: u64, ip: &str, msg: &[u8]) {
        self.minute(rules::AUTH_FAILURES.name, Some(ts));
        let account = account_of(msg);
        let m = lossy(&msg[..msg.len().min(80)]);
        let m = crate::redact::redact_str(&m);
        self.authf.add(line, ts, &m, ip);
        if !ip.is_empty() {
            self.brute_ip
                .push(ts, line, ip, account.as_deref().unwrap_or(""));
        }
        if let Some(a) = account {
            self.brute_acct.push(ts, line, &a, ip);
        }
    }

    fn finish_pending(&mut self) {
        let Some(p) = self.pending.take() else { return };
        if let Some(what) = &p.csrf {
            self.minute(rules::CSRF_FAILURES.name, Some(p.ts));
            self.csrf.add(p.line, p.ts, what, &p.ip);
            self.csrf_live.push(p.ts, p.line, "all", &p.ip);
        }
        let from_access = p.err_name.is_none();
        // One source for status counts: access logs when the scan has any, else onerror's
        // records in app logs (common-error.log duplicates them).
        let source_ok = if self.access_only {
            self.role == Role::Access
        } else {
            !from_access && matches!(self.role, Role::App | Role::Core)
        };
        if !source_ok {
            return;
        }
        let named = p
            .err_name
            .as_deref()
            .and_then(|n| record::status_of_error_name(n.as_bytes()));
        let status = p.status.or(named).unwrap_or(match (from_access, p.level) {
            (false, Level::Error) => 500,
            (false, Level::Warn) => 400,
            _ => 0,
        });
        if status < 400 {
            return;
        }
        let sample = format!(
            "{} {} {status}",
            p.method,
            crate::redact::redact_str(&p.url)
        );
        if (400..500).contains(&status) {
            self.burst.push(p.ts, p.line, &p.ip, &sample);
            if status == 401 {
                self.auth_failure(p.ts, p.line, &p.ip.clone(), b"HTTP 401");
            }
        } else if status >= 500 {
            self.spike.push(p.ts, p.line, "all", &sample);
        }
    }

    fn push_event(
        &mut self,
        rule: &'static RuleInfo,
        f: Finding,
        line: u64,
        count: u64,
        ts: Option<i64>,
        ip: Option<String>,
    ) {
        // Findings are kept in memory until the report: cap them per detector and file so
        // memory stays flat on huge inputs (the counts per detector stay exact).
        let listed = self.listed.entry(rule.name).or_insert(0);
        if *listed >= MAX_FINDINGS_PER_DETECTOR {
            *self.unlisted.entry(rule.name).or_insert(0) += 1;
            return;
        }
        *listed += 1;
        self.out.findings.push(LogFinding {
            finding: f,
            file: self.display.clone(),
            line,
            detector: rule.name,
            family: rule.family,
            count,
            ts,
            ip,
        });
    }

    fn finish(&mut self) {
        self.finish_pending();
        let path = self.display.clone();
        let loc = |line| Location::Log {
            path: path.clone(),
            line,
        };
        // Secrets and personal data: one finding per distinct value.
        for seen in std::mem::take(&mut self.seen) {
            let f = secret_finding(&seen, loc(seen.line));
            self.push_event(seen.rule, f, seen.line, seen.count, seen.ts, None);
        }
        if self.overflow > 0 {
            self.out.errors.push(format!(
                "{path}: more than 10000 distinct secrets/personal data values; {} further occurrences counted but not listed",
                self.overflow
            ));
        }
        if self.csrf.count > 0 {
            let c = std::mem::replace(&mut self.csrf, Tally::new());
            let ev = tally_evidence(&c);
            let f = Finding::new(
                rules::CSRF_FAILURES.code,
                rules::CSRF_FAILURES.name,
                Strategy::Logging,
                rules::CSRF_FAILURES.severity,
                format!("{} requests rejected by the CSRF check from {} IPs", c.count, c.ips.len()),
                loc(c.line),
            )
            .with_evidence(ev)
            .with_remediation(
                "Expected now and then (stale pages, bots). Many from one IP, or right after a deploy, mean an \
                 attack or a client that does not send the `x-csrf-token` header / `_csrf` field: check the client \
                 before loosening `config.security.csrf`.",
            );
            self.push_event(&rules::CSRF_FAILURES, f, c.line, c.count, Some(c.ts), None);
        }
        if self.authf.count > 0 {
            let c = std::mem::replace(&mut self.authf, Tally::new());
            let ev = tally_evidence(&c);
            let f = Finding::new(
                rules::AUTH_FAILURES.code,
                rules::AUTH_FAILURES.name,
                Strategy::Logging,
                rules::AUTH_FAILURES.severity,
                format!("{} authentication failures from {} IPs", c.count, c.ips.len()),
                loc(c.line),
            )
            .with_evidence(ev)
            .with_remediation("Rate-limit logins per IP and per account, and alert on bursts (see the Sigma rules from `eggsec logs sigma`).");
            self.push_event(&rules::AUTH_FAILURES, f, c.line, c.count, Some(c.ts), None);
        }
        let windows = [
            (
                &rules::BRUTE_FORCE_IP,
                std::mem::replace(&mut self.brute_ip, Windowed::new(1, 1)),
                self.opts.brute_window_ms,
                "IP",
            ),
            (
                &rules::BRUTE_FORCE_ACCOUNT,
                std::mem::replace(&mut self.brute_acct, Windowed::new(1, 1)),
                self.opts.brute_window_ms,
                "account",
            ),
            (
                &rules::SCAN_BURST,
                std::mem::replace(&mut self.burst, Windowed::new(1, 1)),
                self.opts.burst_window_ms,
                "IP",
            ),
            (
                &rules::SERVER_ERROR_SPIKE,
                std::mem::replace(&mut self.spike, Windowed::new(1, 1)),
                self.opts.spike_window_ms,
                "",
            ),
        ];
        for (rule, w, window, what) in windows {
            for b in w.finish() {
                self.burst_finding(rule, &b, window, what);
            }
        }
        if self.forged_count > 0 {
            let (checked, missing) = self
                .twin
                .as_ref()
                .map(|t| (t.checked, t.missing))
                .unwrap_or((0, 0));
            if checked >= 20 && missing * 2 > checked {
                self.out.errors.push(format!(
                    "{path}: {missing} of {checked} records have no twin in {}: the two files do not match \
                     (rotated or truncated separately?); forged-line detection skipped",
                    self.twin_path
                ));
                self.out.counts.remove(rules::FORGED_LINE.name);
            } else {
                for (line, ts, text) in std::mem::take(&mut self.forged) {
                    let f = Finding::new(
                        rules::FORGED_LINE.code,
                        rules::FORGED_LINE.name,
                        Strategy::Logging,
                        rules::FORGED_LINE.severity,
                        format!("This record has no twin in {}: it was forged by a newline in logged user input", self.twin_path),
                        loc(line),
                    )
                    .with_evidence(vec![format!("{} {text}", record::format_rfc3339(ts))])
                    .with_remediation(
                        "Find the log call that formats user input with `%s` (the JSON twin shows the real record, \
                         with `\\n` escaped) and strip CR/LF before logging; keep `outputJSON: true` and ship the \
                         JSON logs, which cannot be forged this way.",
                    );
                    self.push_event(&rules::FORGED_LINE, f, line, 1, Some(ts), None);
                }
            }
        }
        for (name, n) in std::mem::take(&mut self.unlisted) {
            self.out.errors.push(format!(
                "{path}: {n} more {name} findings not listed (at most {MAX_FINDINGS_PER_DETECTOR} per detector and file)"
            ));
        }
        for (ip, (n, line)) in std::mem::take(&mut self.ips) {
            self.out
                .ips
                .insert(lossy(&ip.bytes()), (n, self.display.clone(), line));
        }
        for (ip, (n, line)) in std::mem::take(&mut self.long_ips) {
            self.out
                .ips
                .insert(lossy(&ip), (n, self.display.clone(), line));
        }
    }

    fn burst_finding(&mut self, rule: &'static RuleInfo, b: &Burst, window: i64, what: &str) {
        let secs = window / 1000;
        let message = match rule.name {
            "server-error-spike" => format!("{} server errors within {secs}s", b.peak),
            "client-error-burst" => format!(
                "{} client errors (4xx) for {} within {secs}s: scanning",
                b.peak, b.key
            ),
            _ => format!(
                "{} authentication failures for {what} {} within {secs}s",
                b.peak, b.key
            ),
        };
        self.minute(rule.name, Some(b.start_ts));
        let mut ev = vec![format!(
            "from {} (line {})",
            record::format_rfc3339(b.start_ts),
            b.line
        )];
        ev.extend(
            b.samples
                .iter()
                .map(|s| format!("{what}{}{s}", if what.is_empty() { "" } else { ": " })),
        );
        let f = Finding::new(rule.code, rule.name, Strategy::Logging, rule.severity, message, Location::Log { path: self.display.clone(), line: b.line })
            .with_evidence(ev)
            .with_remediation(match rule.name {
                "server-error-spike" => "Look at common-error.log for the cause; a spike right after requests from one client can be an attack on an unhandled path.",
                "client-error-burst" => "Block or rate-limit the client; check whether any of its requests got a 2xx.",
                _ => "Lock or rate-limit the account/IP (e.g. egg-ratelimiter), require a CAPTCHA after a few failures, and check for a later success from the same source.",
            });
        let ip = (what == "IP").then(|| b.key.clone());
        self.push_event(rule, f, b.line, b.peak as u64, Some(b.start_ts), ip);
    }
}

/// The finding for one distinct secret or personal-data value.
fn secret_finding(s: &SecretSeen, location: Location) -> Finding {
    let remediation = match s.rule.family {
        Family::PersonalData => "Do not log personal data: log an internal user id instead, or mask the value \
            before logging (keep the last 4 digits); run `eggsec logs redact --in-place` on existing logs \
            and shorten their retention (logrotator maxDays).",
        _ => "Rotate the credential now (it is in every copy of this log), stop logging it (log the key \
            name, not the value; never log request bodies or headers verbatim), and run \
            `eggsec logs redact --in-place` on existing logs.",
    };
    let msg = if s.count > 1 {
        format!("{} ({} occurrences in this file)", s.rule.title, s.count)
    } else {
        s.rule.title.to_string()
    };
    Finding::new(
        s.rule.code,
        s.rule.name,
        Strategy::Logging,
        s.rule.severity,
        msg,
        location,
    )
    .with_evidence(vec![s.evidence.clone()])
    .with_remediation(remediation)
}

fn tally_evidence(t: &Tally) -> Vec<String> {
    let mut ev: Vec<String> =
        t.by.iter()
            .take(5)
            .map(|(k, v)| format!("{v}× {k}"))
            .collect();
    let mut ips: Vec<_> = t.ips.iter().collect();
    ips.sort_by(|a, b| b.1.cmp(a.1));
    if !ips.is_empty() {
        ev.push(format!(
            "top IPs: {}",
            ips.iter()
                .take(5)
                .map(|(ip, n)| format!("{ip} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    ev
}

/// `METHOD /url STATUS ...` written by an access middleware; the status.
pub(crate) fn access_status(msg: &[u8], method: &[u8]) -> Option<u16> {
    let rest = msg.strip_prefix(method)?.strip_prefix(b" ")?;
    let sp = memchr::memchr(b' ', rest)?;
    let st = rest.get(sp + 1..sp + 4)?;
    if rest.get(sp + 4).is_some_and(|c| *c != b' ') {
        return None;
    }
    std::str::from_utf8(st)
        .ok()?
        .parse()
        .ok()
        .filter(|s| (100..600).contains(s))
}

/// The account named in an auth-failure message (`user=alice`, `for user alice`, `"username":"alice"`).
pub(crate) fn account_of(msg: &[u8]) -> Option<String> {
    let lower = msg.to_ascii_lowercase();
    for key in [
        &b"username="[..],
        b"user=",
        b"account=",
        b"login=",
        b"\"username\":\"",
        b"for user ",
        b"user ",
    ] {
        if let Some(i) = memchr::memmem::find(&lower, key) {
            let v = &msg[i + key.len()..];
            let e = v
                .iter()
                .position(|c| matches!(c, b' ' | b'&' | b'"' | b',' | b';' | b'\\' | b']' | b')'))
                .unwrap_or(v.len());
            if e > 0 && e <= 64 {
                return Some(lossy(&v[..e]));
            }
        }
    }
    None
}

/// One log file followed live (`eggsec logs watch`): the same per-line state machine as
/// `scan`, fed as lines arrive, with what is new since the last [`LiveScan::take_new`]
/// returned as findings — a distinct secret or personal-data value the first time it is seen,
/// an injection payload, and each burst (CSRF failures, brute force per IP or account,
/// scanning, server-error spike) when its window reaches the threshold. A rotation continues
/// the same state (the logical log goes on).
pub struct LiveScan {
    st: FileScan<'static>,
    kind: FileKind,
    seen_done: usize,
    bursts_done: [usize; 5],
}

impl LiveScan {
    /// A follower of `path` (its kind is taken from its name and first bytes).
    pub fn new(path: &Path, opts: &ScanOptions, have_access: bool) -> std::io::Result<LiveScan> {
        let kind = kind::classify(path)?;
        let events = !(kind.format == Format::Json && kind::text_twin(path).is_some());
        let st = FileScan::new(
            std::borrow::Cow::Owned(opts.clone()),
            path.display().to_string(),
            events,
            have_access,
            kind.role,
            (None, String::new()),
        );
        Ok(LiveScan {
            st,
            kind,
            seen_done: 0,
            bursts_done: [0; 5],
        })
    }

    /// One line (`continued`: a segment of a line longer than the reader's buffer).
    pub fn feed(&mut self, bytes: &[u8], number: u64, continued: bool) {
        let kind = self.kind.clone();
        self.st.line(bytes, number, continued, true, &kind);
    }

    /// What is new since the last call. `idle`: no more input is waiting, so the last record
    /// is complete and events held for reordering can be counted.
    pub fn take_new(&mut self, idle: bool) -> Vec<LogFinding> {
        if idle {
            self.st.finish_pending();
            for w in [
                &mut self.st.csrf_live,
                &mut self.st.brute_ip,
                &mut self.st.brute_acct,
                &mut self.st.burst,
                &mut self.st.spike,
            ] {
                w.flush();
            }
        }
        let mut out: Vec<LogFinding> = Vec::new();
        let path = self.st.display.clone();
        for s in &self.st.seen[self.seen_done..] {
            let f = secret_finding(
                s,
                Location::Log {
                    path: path.clone(),
                    line: s.line,
                },
            );
            out.push(LogFinding {
                finding: f,
                file: path.clone(),
                line: s.line,
                detector: s.rule.name,
                family: s.rule.family,
                count: 1,
                ts: s.ts,
                ip: None,
            });
        }
        self.seen_done = self.st.seen.len();
        let windows: [(&'static RuleInfo, i64, &str); 5] = [
            (&rules::CSRF_FAILURES, self.st.opts.csrf_window_ms, ""),
            (&rules::BRUTE_FORCE_IP, self.st.opts.brute_window_ms, "IP"),
            (
                &rules::BRUTE_FORCE_ACCOUNT,
                self.st.opts.brute_window_ms,
                "account",
            ),
            (&rules::SCAN_BURST, self.st.opts.burst_window_ms, "IP"),
            (&rules::SERVER_ERROR_SPIKE, self.st.opts.spike_window_ms, ""),
        ];
        for (i, (rule, window, what)) in windows.into_iter().enumerate() {
            let new: Vec<Burst> = {
                let w = match i {
                    0 => &self.st.csrf_live,
                    1 => &self.st.brute_ip,
                    2 => &self.st.brute_acct,
                    3 => &self.st.burst,
                    _ => &self.st.spike,
                };
                w.bursts[self.bursts_done[i]..].to_vec()
            };
            self.bursts_done[i] += new.len();
            for b in new {
                if i == 0 {
                    let f = Finding::new(
                        rule.code,
                        rule.name,
                        Strategy::Logging,
                        rule.severity,
                        format!(
                            "{} requests rejected by the CSRF check within {}s",
                            b.peak,
                            window / 1000
                        ),
                        Location::Log {
                            path: path.clone(),
                            line: b.line,
                        },
                    )
                    .with_evidence(
                        std::iter::once(format!("from {} (line {})", record::format_rfc3339(b.start_ts), b.line))
                            .chain(b.samples.iter().map(|ip| format!("IP: {ip}")))
                            .collect(),
                    )
                    .with_remediation(
                        "A burst of CSRF rejections is an attack or a broken client: check the source IPs and \
                         whether the client sends the `x-csrf-token` header / `_csrf` field.",
                    );
                    self.st
                        .push_event(rule, f, b.line, b.peak as u64, Some(b.start_ts), None);
                } else {
                    self.st.burst_finding(rule, &b, window, what);
                }
            }
        }
        // Injection payloads (pushed as lines came) and the bursts just built.
        out.append(&mut self.st.out.findings);
        // Memory stays flat over days: what was handed out is dropped; counters restart.
        self.st.out.timeline.clear();
        self.st.out.counts.clear();
        self.st.listed.clear();
        out
    }
}

#[cfg(test)]
mod tests {

    #[cfg(unix)]
    #[test]
    fn storage_permissions_are_checked_through_reachable_folders() {
        use std::os::unix::fs::PermissionsExt;
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        let tmp = tempfile::tempdir().unwrap();
        set(tmp.path(), 0o755);
        let logs = tmp.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        set(&logs, 0o755);
        let web = logs.join("app-web.log");
        std::fs::write(
            &web,
            "2026-12-03 10:00:00,000 INFO 1 [-/1.2.3.4/-/1ms GET /] ok\n",
        )
        .unwrap();
        set(&web, 0o644);
        let err = logs.join("common-error.log");
        std::fs::write(&err, "").unwrap();
        set(&err, 0o666);
        let r = scan_paths(std::slice::from_ref(&logs), &ScanOptions::default());
        let names: Vec<&str> = r.findings.iter().map(|f| f.detector).collect();
        assert!(names.contains(&"log-readable-by-other-users"), "{names:?}");
        assert!(names.contains(&"log-writable-by-other-users"), "{names:?}");
        // Behind a folder others cannot enter, the same files are not exposed.
        set(&logs, 0o750);
        set(&err, 0o640);
        let r = scan_paths(std::slice::from_ref(&logs), &ScanOptions::default());
        assert!(
            r.findings.iter().all(|f| f.family != Family::Storage),
            "{:?}",
            r.findings.iter().map(|f| f.detector).collect::<Vec<_>>()
        );
    }

    use super::*;

    #[test]
    fn rotation_and_truncation_during_a_read_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shop-api-web.log");
        std::fs::write(&p, "2026-11-29 01:06:35,292 INFO 1 hello\n").unwrap();
        let handle = std::fs::File::open(&p).unwrap();
        let mut errors = Vec::new();
        check_rotated(&p, &handle, 37, false, "x.log", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        // The rotator renames the file and egg reopens a new one under the old name.
        std::fs::rename(&p, dir.path().join("shop-api-web.log.2026-11-28")).unwrap();
        std::fs::write(&p, "").unwrap();
        check_rotated(&p, &handle, 37, false, "x.log", &mut errors);
        assert!(errors[0].contains("rotated while being read"), "{errors:?}");
        // copytruncate: same file, now shorter than what was read.
        let mut errors = Vec::new();
        let h2 = std::fs::File::open(&p).unwrap();
        check_rotated(&p, &h2, 37, false, "x.log", &mut errors);
        assert!(
            errors[0].contains("truncated while being read"),
            "{errors:?}"
        );
    }

    #[test]
    fn injection_payloads_decoded_once_or_twice() {
        let mut b = Vec::new();
        assert_eq!(
            injection_in_url(b"/a?q=1%20UNION%20SELECT%201", &mut b),
            Some("SQL injection")
        );
        assert_eq!(
            injection_in_url(b"/%252e%252e%252fetc%252fpasswd", &mut b),
            Some("path traversal")
        );
        assert_eq!(
            injection_in_url(b"/q?x=%0d%0aSet-Cookie:a", &mut b),
            Some("CRLF/log injection")
        );
        assert_eq!(
            injection_in_url(b"/api/products?page=2&sort=name.asc", &mut b),
            None
        );
        assert_eq!(injection_in_url(b"/public/app.min.js", &mut b), None);
    }
}
