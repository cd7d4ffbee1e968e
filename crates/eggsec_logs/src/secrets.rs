//! The log-specific secret rule pack: values anchored on field names (`password=`,
//! `"password":"…"`, `\"token\":\"…\"`, `Authorization: Bearer …`, `EGG_SESS=`), DSNs with a
//! password, JWTs, private keys and the key shapes that matter to egg users (Alibaba Cloud
//! `LTAI`, AWS, GitHub, Stripe-style, Slack, DingTalk/Feishu webhooks).
//!
//! One ASCII-case-insensitive Aho-Corasick pass over a line finds every anchor; each anchor has
//! a small hand-written extractor, so no regex runs on lines without an anchor. Human passwords
//! are not entropy-gated (`letmein123` must be found): the field name is the evidence.

use crate::rules::{self, RuleInfo};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::OnceLock;

/// Phrases (ASCII case-insensitive) that mark an authentication failure in app logs.
pub const AUTH_PHRASES: &[&str] = &[
    "login failed",
    "login failure",
    "failed login",
    "login fail",
    "authentication failed",
    "authentication failure",
    "auth failed",
    "invalid password",
    "wrong password",
    "incorrect password",
    "bad credentials",
    "invalid credentials",
    "invalid username or password",
    "登录失败",
    "密码错误",
];

/// A found secret or personal datum: the value's byte span in the line and its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub rule: &'static RuleInfo,
}

#[derive(Clone, Copy, Debug)]
enum Anchor {
    /// `key[=:]value` in any quoting; the rule depends on the key.
    Field(&'static RuleInfo),
    /// `Authorization: Bearer|Basic|token <value>`.
    Authorization,
    /// `cookie: a=b; EGG_SESS=...` — every cookie value on the line.
    Cookie,
    Dsn,
    /// A phrase that marks an authentication failure (`login failed`); not a secret, but the
    /// same pass finds it so the scanner reads each line once.
    Auth,
    Jwt,
    PrivateKey,
    Alibaba,
    Aws,
    GitHub,
    GitHubPat,
    Stripe,
    SlackToken,
    SlackWebhook,
    DingTalk,
    Feishu,
}

struct Pack {
    ac: AhoCorasick,
    anchors: Vec<Anchor>,
    /// A line-level prefilter: for every anchor pattern, a substring of it whose first bytes
    /// are rare in logs (`/api/` or `session` must not wake it up). A line without any of them
    /// has no anchor, so the automaton is not run on it.
    /// (`None` without SIMD support: then every line goes to the automaton.)
    rare: Option<aho_corasick::packed::Searcher>,
    rare_max: usize,
}

/// The line-level prefilter over ASCII-lowercased text and its longest pattern's length:
/// text where it finds nothing has no secret anchor (and no auth-failure phrase). `None`
/// without SIMD support.
pub fn anchor_prefilter() -> Option<(&'static aho_corasick::packed::Searcher, usize)> {
    let p = pack();
    p.rare.as_ref().map(|r| (r, p.rare_max))
}

/// Per anchor pattern (lowercase), the substring the prefilter looks for.
fn rare_part(p: &str) -> &str {
    const PARTS: &[&str] = &[
        "ssw",
        "pwd",
        "ssph",
        "ecre",
        "_key",
        "-key",
        "ikey",
        "skey",
        "ekey",
        "oken",
        "g_se",
        "onid",
        "n_id",
        "cvv",
        "cvc",
        "cvn",
        "gin fail",
        "led log",
        "ntication fai",
        "uth fai",
        "dential",
        "登录失败",
        "密码错误",
        "horiz",
        "okie",
        "://",
        "eyj",
        "-begin",
        "ltai",
        "akia",
        "asia",
        "abia",
        "acca",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "b_pat",
        "k_live_",
        "k_test_",
        "xox",
        "ks.sla",
        "ngtalk",
        "feishu",
        "rksuite",
    ];
    PARTS.iter().find(|r| p.contains(*r)).copied().unwrap_or(p)
}

fn pack() -> &'static Pack {
    static PACK: OnceLock<Pack> = OnceLock::new();
    PACK.get_or_init(|| {
        let mut pats: Vec<&'static str> = Vec::new();
        let mut anchors = Vec::new();
        let mut add = |p: &'static str, a: Anchor| {
            pats.push(p);
            anchors.push(a);
        };
        // Compound names (`db_password`, `client_secret`, `accessToken`, `refresh_token`,
        // `x-auth-token`) are found from their last word; see `field`.
        for k in ["password", "passwd", "pwd", "passphrase"] {
            add(k, Anchor::Field(&rules::PASSWORD));
        }
        for k in [
            "secret",
            "apikey",
            "api_key",
            "api-key",
            "accesskey",
            "access_key",
            "private_key",
            "privatekey",
        ] {
            add(k, Anchor::Field(&rules::SECRET));
        }
        add("token", Anchor::Field(&rules::TOKEN));
        for k in ["egg_sess", "sessionid", "session_id"] {
            add(k, Anchor::Field(&rules::SESSION));
        }
        for k in ["cvv", "cvv2", "cvc", "cvn2"] {
            add(k, Anchor::Field(&rules::CARD_CODE));
        }
        for k in AUTH_PHRASES {
            add(k, Anchor::Auth);
        }
        add("authorization", Anchor::Authorization);
        add("cookie", Anchor::Cookie);
        add("://", Anchor::Dsn);
        add("eyj", Anchor::Jwt);
        add("-----begin", Anchor::PrivateKey);
        add("ltai", Anchor::Alibaba);
        for p in ["akia", "asia", "abia", "acca"] {
            add(p, Anchor::Aws);
        }
        for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
            add(p, Anchor::GitHub);
        }
        add("github_pat_", Anchor::GitHubPat);
        for p in ["sk_live_", "rk_live_", "sk_test_", "rk_test_"] {
            add(p, Anchor::Stripe);
        }
        add("xox", Anchor::SlackToken);
        add("hooks.slack.com/services/", Anchor::SlackWebhook);
        add("oapi.dingtalk.com/robot/send", Anchor::DingTalk);
        add("open.feishu.cn/open-apis/bot/", Anchor::Feishu);
        add("open.larksuite.com/open-apis/bot/", Anchor::Feishu);
        // The line is ASCII-lowercased into a scratch buffer and searched case-sensitively:
        // the same matches as an ASCII-case-insensitive search, but the automaton can use its
        // SIMD (Teddy) prefilter, which is not available for case-insensitive searches.
        let lower: Vec<String> = pats.iter().map(|p| p.to_ascii_lowercase()).collect();
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&lower)
            .expect("static patterns");
        let mut rare: Vec<&str> = lower.iter().map(|p| rare_part(p)).collect();
        rare.sort_unstable();
        rare.dedup();
        let rare_max = rare.iter().map(|r| r.len()).max().unwrap_or(1);
        let rare = aho_corasick::packed::Config::new()
            .builder()
            .extend(rare)
            .build();
        Pack {
            ac,
            anchors,
            rare,
            rare_max,
        }
    })
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn take_while(line: &[u8], from: usize, f: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < line.len() && f(line[i]) {
        i += 1;
    }
    i
}

/// Placeholder values that are not secrets.
fn is_stopword(v: &[u8]) -> bool {
    if v.is_empty()
        || v.iter()
            .all(|c| matches!(c, b'*' | b'x' | b'X' | b'.' | b'-'))
    {
        return true;
    }
    // Every placeholder is decided by its first 16 bytes (no copy of a long value).
    let lower: Vec<u8> = v[..v.len().min(16)]
        .iter()
        .map(u8::to_ascii_lowercase)
        .collect();
    matches!(
        lower.as_slice(),
        b"null"
            | b"undefined"
            | b"true"
            | b"false"
            | b"none"
            | b"nil"
            | b"empty"
            | b"redacted"
            | b"hidden"
            | b"masked"
            | b"[object"
            | b"[redacted"
            | b"<redacted>"
            | b"<string"
            | b"%s"
            | b"${"
    ) || lower.starts_with(b"[redacted")
        || lower.starts_with(b"<string len")
        || lower.starts_with(b"${")
        || lower.starts_with(b"{{")
        || lower.starts_with(b"process.env")
}

/// After a field name ending at `i`: optional closing quote of the key (`"`, `\"`, `'`),
/// spaces, `=` or `:`, spaces, optional opening quote. Returns (value start, quote kind).
fn after_key(line: &[u8], mut i: usize) -> Option<(usize, Quote)> {
    let n = line.len();
    if i < n && (line[i] == b'"' || line[i] == b'\'') {
        i += 1;
    } else if i + 1 < n && line[i] == b'\\' && line[i + 1] == b'"' {
        i += 2;
    }
    i = take_while(line, i, |c| c == b' ');
    if i >= n || !(line[i] == b'=' || line[i] == b':') {
        return None;
    }
    i += 1;
    // `==` or `=>` are code, not assignments.
    if i < n && (line[i] == b'=' || line[i] == b'>') {
        return None;
    }
    i = take_while(line, i, |c| c == b' ');
    if i + 1 < n && line[i] == b'\\' && line[i + 1] == b'"' {
        return Some((i + 2, Quote::Escaped));
    }
    if i < n && line[i] == b'"' {
        return Some((i + 1, Quote::Double));
    }
    if i < n && line[i] == b'\'' {
        return Some((i + 1, Quote::Single));
    }
    Some((i, Quote::None))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Double,
    Single,
    Escaped,
}

/// The bytes a run of one kind stops at: the end of a value in each quoting, a cookie value,
/// the body of a Slack token or a Feishu hook.
#[derive(Clone, Copy)]
enum Stop {
    /// `"…"` and `\"…\"`: a quote or a backslash.
    Quoted,
    Single,
    Unquoted,
    Cookie,
    /// Not alphanumeric and not `-`.
    AlnumDash,
}

impl Stop {
    fn at(self, c: u8) -> bool {
        match self {
            Stop::Quoted => c == b'"' || c == b'\\',
            Stop::Single => c == b'\'' || c == b'\\',
            Stop::Unquoted => matches!(
                c,
                b' ' | b'\t'
                    | b'&'
                    | b','
                    | b';'
                    | b'"'
                    | b'\''
                    | b'}'
                    | b']'
                    | b')'
                    | b'\\'
                    | b'<'
                    | b'>'
            ),
            Stop::Cookie => matches!(c, b';' | b'"' | b'\'' | b'\\' | b' ' | b','),
            Stop::AlnumDash => !(c.is_ascii_alphanumeric() || c == b'-'),
        }
    }
}

/// What the anchors of one line have searched forward so far. Many anchors on one long line
/// (`password=password=…`, `xoxb-xoxb-…`, PEM headers without an end) would each search to
/// the line's end: quadratic. A forward search from `s` gives the same answer as an earlier
/// one from `s0 <= s` when `s` is not past that answer, so each kind of search remembers its
/// last one and the line is read a bounded number of times (issue 19: a 32 s fuzz input).
#[derive(Default)]
struct Memo {
    /// Per [`Stop`] kind: (from, the first stop at or after it, or the line's end).
    stops: [Option<(usize, usize)>; 5],
    /// `-----END` at or after `from` (None: not on the line).
    pem_end: Option<(usize, Option<usize>)>,
    /// The `-----` closing the `-----END` found at the given position.
    pem_close: Option<(usize, usize)>,
    /// Feishu's `hook/` at or after `from`.
    hook: Option<(usize, Option<usize>)>,
    /// `;` of a cookie header already walked past (the rest of the walk is the same).
    cookie_semis: std::collections::HashSet<usize>,
}

impl Memo {
    /// The first byte at or after `s` where `stop` holds, or `line.len()`.
    fn stop(&mut self, line: &[u8], s: usize, stop: Stop) -> usize {
        let slot = &mut self.stops[stop as usize];
        if let Some((from, end)) = *slot {
            if from <= s && s <= end {
                return end;
            }
        }
        let end = take_while(line, s, |c| !stop.at(c));
        *slot = Some((s, end));
        end
    }
}

/// The first occurrence of a needle at or after `from`, remembered in `slot`.
fn find_memo(
    slot: &mut Option<(usize, Option<usize>)>,
    from: usize,
    find: impl FnOnce(usize) -> Option<usize>,
) -> Option<usize> {
    if let Some((f, at)) = *slot {
        if f <= from && at.is_none_or(|a| from <= a) {
            return at;
        }
    }
    let at = find(from);
    *slot = Some((from, at));
    at
}

/// The end of a value starting at `s`.
fn value_end(line: &[u8], s: usize, q: Quote, memo: &mut Memo) -> usize {
    let stop = match q {
        // Inside JSON-in-JSON (`Escaped`): up to the next backslash (`\"` ends it; any other
        // escape also stops the value, which keeps the JSON escaping intact when redacting).
        Quote::Double | Quote::Escaped => Stop::Quoted,
        Quote::Single => Stop::Single,
        Quote::None => Stop::Unquoted,
    };
    memo.stop(line, s, stop)
}

/// Finds every secret in `line`, appending to `out` (spans may overlap; see
/// [`crate::rules::resolve`]). Returns the offset of an authentication-failure phrase, if any.
pub fn scan_line(line: &[u8], out: &mut Vec<Hit>) -> Option<usize> {
    scan_line_from(line, 0, out)
}

/// [`scan_line`] from byte `from` on (the record's timestamp, level and pid hold no secrets);
/// offsets stay relative to `line`.
pub fn scan_line_from(line: &[u8], from: usize, out: &mut Vec<Hit>) -> Option<usize> {
    thread_local! {
        static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    LOWER.with(|buf| scan_line_buffered(line, from, &mut buf.borrow_mut(), out))
}

/// [`scan_line_from`] with a caller-owned scratch buffer (for the line's lowercased copy).
pub fn scan_line_buffered(
    line: &[u8],
    from: usize,
    buf: &mut Vec<u8>,
    out: &mut Vec<Hit>,
) -> Option<usize> {
    let from = from.min(line.len());
    let src = &line[from..];
    buf.clear();
    buf.resize(src.len(), 0);
    for (d, s) in buf.iter_mut().zip(src) {
        *d = s.to_ascii_lowercase();
    }
    scan_lowered(line, from, buf, out)
}

/// The anchors of `line[from..]`, found in its ASCII-lowercased copy `lower`.
fn scan_lowered(line: &[u8], from: usize, lower: &[u8], out: &mut Vec<Hit>) -> Option<usize> {
    let p = pack();
    let mut auth = None;
    if p.rare.as_ref().is_some_and(|r| r.find(lower).is_none()) {
        return None;
    }
    let mut memo = Memo::default();
    let memo = &mut memo;
    for m in p.ac.find_iter(lower) {
        let (s, e) = (m.start() + from, m.end() + from);
        let hit = match p.anchors[m.pattern().as_usize()] {
            Anchor::Auth => {
                auth.get_or_insert(s);
                // `wrong password: x` — the phrase hides the `password` anchor.
                if line[s..e].to_ascii_lowercase().ends_with(b"password") {
                    field(line, e - 8, e, &rules::PASSWORD, memo)
                } else {
                    None
                }
            }
            Anchor::Field(rule) => field(line, s, e, rule, memo),
            Anchor::Authorization => authorization(line, s, e, memo),
            Anchor::Cookie => {
                cookie(line, e, out, memo);
                None
            }
            Anchor::Dsn => dsn(line, s),
            Anchor::Jwt => jwt(line, s),
            Anchor::PrivateKey => private_key(line, s, memo),
            Anchor::Alibaba => shaped(line, s, b"LTAI", 12, 24, |c| c.is_ascii_alphanumeric())
                .map(|(a, b)| (a, b, &rules::ALIBABA_KEY)),
            Anchor::Aws => aws(line, s),
            Anchor::GitHub => github(line, s),
            Anchor::GitHubPat => shaped(line, s, b"github_pat_", 82, 82, is_word)
                .map(|(a, b)| (a, b, &rules::GITHUB_TOKEN)),
            Anchor::Stripe => stripe(line, s),
            Anchor::SlackToken => {
                let kind = line.get(e).copied().unwrap_or(0);
                if &line[s..e] != b"xox"
                    || !matches!(kind, b'a' | b'b' | b'p' | b'r' | b's')
                    || line.get(e + 1) != Some(&b'-')
                    || (s > 0 && is_word(line[s - 1]))
                {
                    None
                } else {
                    let vs = e + 2;
                    let end = memo.stop(line, vs, Stop::AlnumDash);
                    (end - vs >= 10).then_some((s, end, &rules::SLACK_TOKEN))
                }
            }
            Anchor::SlackWebhook => {
                let end = take_while(line, e, |c| c.is_ascii_alphanumeric() || c == b'/');
                (end - e >= 20).then_some((e, end, &rules::CHAT_WEBHOOK))
            }
            Anchor::DingTalk => {
                let rest = &line[e..];
                rest.strip_prefix(b"?access_token=").and_then(|_| {
                    let vs = e + 14;
                    let end = take_while(line, vs, |c| c.is_ascii_hexdigit());
                    (end - vs >= 32).then_some((vs, end, &rules::CHAT_WEBHOOK))
                })
            }
            Anchor::Feishu => {
                let rest_start = find_memo(&mut memo.hook, e, |e| {
                    memchr::memmem::find(&line[e..], b"hook/").map(|i| e + i)
                })
                .map(|i| i + 5);
                rest_start.and_then(|vs| {
                    let end = memo.stop(line, vs, Stop::AlnumDash);
                    (end - vs >= 16).then_some((vs, end, &rules::CHAT_WEBHOOK))
                })
            }
        };
        if let Some((a, b, rule)) = hit {
            out.push(Hit {
                start: a,
                end: b,
                rule,
            });
        }
    }
    auth
}

type Span = (usize, usize, &'static RuleInfo);

fn field(
    line: &[u8],
    s: usize,
    e: usize,
    rule: &'static RuleInfo,
    memo: &mut Memo,
) -> Option<Span> {
    // The key must end here (`tokenName=` is not a token) and not start mid-word unless
    // joined by `_`/`-`/`.` (`db_password`, `x-api-key`, `config.secret`) or camelCase.
    if e < line.len() && is_word(line[e]) {
        return None;
    }
    if s > 0 {
        let c = line[s - 1];
        let camel = c.is_ascii_lowercase() && line[s].is_ascii_uppercase();
        if c.is_ascii_alphanumeric() && !camel {
            // e.g. `bypassword`; allow lowercase joins only for well-known compounds
            // (`dbpassword`, `accesstoken`, `refreshtoken`, egg's `ctoken`, `appsecret`).
            let prev = line[s.saturating_sub(7)..s].to_ascii_lowercase();
            let ok = [
                &b"db"[..],
                b"user",
                b"my",
                b"access",
                b"refresh",
                b"auth",
                b"id",
                b"csrf",
                b"api",
                b"app",
                b"client",
                b"session",
                b"keysecret",
                b"c",
            ]
            .iter()
            .any(|p| {
                prev.ends_with(p)
                    && (prev.len() == p.len()
                        || !prev[prev.len() - p.len() - 1].is_ascii_alphanumeric())
            });
            if !ok {
                return None;
            }
        }
    }
    let (vs, q) = after_key(line, e)?;
    let ve = value_end(line, vs, q, memo);
    let v = &line[vs..ve];
    if is_stopword(v) {
        return None;
    }
    if std::ptr::eq(rule, &rules::CARD_CODE)
        && !((3..=4).contains(&v.len()) && v.iter().all(u8::is_ascii_digit))
    {
        return None;
    }
    Some((vs, ve, rule))
}

fn authorization(line: &[u8], s: usize, e: usize, memo: &mut Memo) -> Option<Span> {
    if s > 0 && line[s - 1].is_ascii_alphanumeric() {
        return None;
    }
    let (mut vs, q) = after_key(line, e)?;
    for scheme in [&b"bearer "[..], b"basic ", b"token ", b"digest "] {
        if line.len() >= vs + scheme.len()
            && line[vs..vs + scheme.len()].eq_ignore_ascii_case(scheme)
        {
            vs += scheme.len();
            break;
        }
    }
    let ve = value_end(line, vs, q, memo);
    let v = &line[vs..ve];
    (!is_stopword(v) && v.len() >= 4).then_some((vs, ve, &rules::TOKEN))
}

/// `cookie: a=1; EGG_SESS=...`: every cookie value (to the end of the header value).
fn cookie(line: &[u8], e: usize, out: &mut Vec<Hit>, memo: &mut Memo) {
    if e < line.len() && is_word(line[e]) {
        return;
    }
    let Some((mut i, _)) = after_key(line, e) else {
        return;
    };
    let n = line.len();
    loop {
        let name_end = take_while(line, i, |c| {
            c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
        });
        if name_end == i || name_end >= n || line[name_end] != b'=' {
            return;
        }
        let vs = name_end + 1;
        let ve = memo.stop(line, vs, Stop::Cookie);
        let name = line[i..name_end].to_ascii_lowercase();
        let sessionish = [&b"sess"[..], b"sid", b"token", b"auth", b"jwt", b"csrf"]
            .iter()
            .any(|k| memchr::memmem::find(&name, k).is_some());
        if sessionish && !is_stopword(&line[vs..ve]) {
            out.push(Hit {
                start: vs,
                end: ve,
                rule: &rules::SESSION,
            });
        }
        // A `;` an earlier walk went on from: the rest of this walk is the same.
        if ve < n && line[ve] == b';' && memo.cookie_semis.insert(ve) {
            i = take_while(line, ve + 1, |c| c == b' ');
        } else {
            return;
        }
    }
}

/// `scheme://user:password@host` — the password.
fn dsn(line: &[u8], s: usize) -> Option<Span> {
    let mut a = s;
    while a > 0
        && (line[a - 1].is_ascii_alphanumeric() || matches!(line[a - 1], b'+' | b'.' | b'-'))
    {
        a -= 1;
    }
    if a == s || !line[a].is_ascii_alphabetic() {
        return None;
    }
    let us = s + 3;
    let mut i = us;
    let mut colon = None;
    while i < line.len() {
        match line[i] {
            b'@' => break,
            b':' if colon.is_none() => colon = Some(i),
            b'/' | b' ' | b'?' | b'#' | b'"' | b'\\' | b'\'' | b'<' | b'>' | b'[' | b']' => {
                return None
            }
            _ => {}
        }
        i += 1;
    }
    if i >= line.len() {
        return None;
    }
    let c = colon?;
    let (ps, pe) = (c + 1, i);
    let v = &line[ps..pe];
    // The host must follow the `@`.
    let host_ok = line
        .get(i + 1)
        .is_some_and(|h| h.is_ascii_alphanumeric() || *h == b'[');
    (host_ok && !is_stopword(v)).then_some((ps, pe, &rules::DSN_PASSWORD))
}

fn b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn jwt(line: &[u8], s: usize) -> Option<Span> {
    if &line[s..s + 3] != b"eyJ" || (s > 0 && b64url(line[s - 1])) {
        return None;
    }
    let e1 = take_while(line, s, b64url);
    if e1 - s < 10 || line.get(e1) != Some(&b'.') {
        return None;
    }
    let e2 = take_while(line, e1 + 1, b64url);
    if e2 - e1 - 1 < 10 || line.get(e2) != Some(&b'.') {
        return None;
    }
    let e3 = take_while(line, e2 + 1, b64url);
    Some((s, e3, &rules::JWT))
}

fn private_key(line: &[u8], s: usize, memo: &mut Memo) -> Option<Span> {
    let rest = &line[s..];
    let head_end = memchr::memmem::find(&rest[10..rest.len().min(80)], b"-----")? + 10;
    let head = &rest[..head_end];
    memchr::memmem::find(head, b"PRIVATE KEY")?;
    let end = find_memo(&mut memo.pem_end, s + head_end, |from| {
        memchr::memmem::find(&line[from..], b"-----END").map(|i| from + i)
    })
    .map(|at| match memo.pem_close {
        Some((end_at, close)) if end_at == at => close,
        _ => {
            let after = at + 8;
            let close = memchr::memmem::find(&line[after..], b"-----")
                .map(|j| after + j + 5)
                .unwrap_or(line.len());
            memo.pem_close = Some((at, close));
            close
        }
    })
    .unwrap_or(line.len());
    Some((s, end, &rules::PRIVATE_KEY))
}

/// `PREFIX` + `min..=max` body bytes with word boundaries, case-sensitive prefix.
fn shaped(
    line: &[u8],
    s: usize,
    prefix: &[u8],
    min: usize,
    max: usize,
    body: impl Fn(u8) -> bool,
) -> Option<(usize, usize)> {
    if !line[s..].starts_with(prefix) || (s > 0 && is_word(line[s - 1])) {
        return None;
    }
    let b = s + prefix.len();
    let e = take_while(line, b, body);
    let len = e - b;
    (len >= min && len <= max && !(e < line.len() && is_word(line[e]))).then_some((s, e))
}

fn aws(line: &[u8], s: usize) -> Option<Span> {
    let pre = &line[s..s + 4];
    if !(pre == b"AKIA" || pre == b"ASIA" || pre == b"ABIA" || pre == b"ACCA") {
        return None;
    }
    let (a, b) = shaped(line, s, pre, 16, 16, |c| {
        c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)
    })?;
    // AWS's documentation example keys (`AKIAIOSFODNN7EXAMPLE`) are not credentials.
    if line[a..b].ends_with(b"EXAMPLE") {
        return None;
    }
    Some((a, b, &rules::AWS_KEY))
}

fn github(line: &[u8], s: usize) -> Option<Span> {
    let pre = &line[s..s + 4];
    if !pre.starts_with(b"gh") {
        return None;
    }
    shaped(line, s, pre, 36, 36, |c| c.is_ascii_alphanumeric())
        .map(|(a, b)| (a, b, &rules::GITHUB_TOKEN))
}

fn stripe(line: &[u8], s: usize) -> Option<Span> {
    let pre = &line[s..s + 8];
    if !(pre == b"sk_live_" || pre == b"rk_live_" || pre == b"sk_test_" || pre == b"rk_test_") {
        return None;
    }
    let (a, b) = shaped(line, s, pre, 16, 128, |c| c.is_ascii_alphanumeric())?;
    let rule = if pre.ends_with(b"live_") {
        &rules::STRIPE_KEY
    } else {
        &rules::STRIPE_TEST_KEY
    };
    Some((a, b, rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: &str) -> Vec<(String, &'static str)> {
        let mut v = Vec::new();
        scan_line(line.as_bytes(), &mut v);
        crate::rules::resolve(&mut v);
        v.iter()
            .map(|h| (line[h.start..h.end].to_string(), h.rule.name))
            .collect()
    }

    #[test]
    fn field_anchored_values_in_every_quoting() {
        assert_eq!(
            found(
                r#"login attempt user=admin password=123456 body={"username":"admin","password":"123456"}"#
            ),
            vec![
                ("123456".into(), "password-in-log"),
                ("123456".into(), "password-in-log")
            ]
        );
        assert_eq!(
            found(r#""message":"create {\"password\":\"letmein\"}""#),
            vec![("letmein".into(), "password-in-log")]
        );
        assert_eq!(
            found("GET /api/user/7?token=abcd1234secret&access_token=ya29.a0AfH6SMBx]"),
            vec![
                ("abcd1234secret".into(), "token-in-log"),
                ("ya29.a0AfH6SMBx".into(), "token-in-log")
            ]
        );
        assert_eq!(
            found("  password: 'hunter2',"),
            vec![("hunter2".into(), "password-in-log")]
        );
    }

    #[test]
    fn non_assignments_and_placeholders_are_not_secrets() {
        assert!(found("nodejs.ForbiddenError: missing csrf token").is_empty());
        assert!(found(r#"message: "invalid csrf token""#).is_empty());
        assert!(found("tokenName=abc passwordHint=x").is_empty());
        assert!(found(r#""password":"<String len: 12>" "secret":"***" token=null"#).is_empty());
        assert!(found("if (password == x)").is_empty());
    }

    #[test]
    fn shapes() {
        let l = "Authorization: Bearer ghp_1234567890abcdefghijklmnopqrstuvwxyzAB aws=AKIAIOSFODNN7EXAMPLE";
        assert_eq!(
            found(l),
            vec![(
                "ghp_1234567890abcdefghijklmnopqrstuvwxyzAB".into(),
                "token-in-log"
            )]
        );
        assert_eq!(
            found(
                "connect ECONNREFUSED 10.0.0.5:3306 (mysql://root:S3cr3tPass@10.0.0.5:3306/shop)"
            ),
            vec![("S3cr3tPass".into(), "dsn-password-in-log")]
        );
        assert_eq!(
            found("Error: sync upstream failed: key sk_live_51HqAbCdEfGhIjKlMnOpQrStUv"),
            vec![(
                "sk_live_51HqAbCdEfGhIjKlMnOpQrStUv".into(),
                "stripe-key-in-log"
            )]
        );
        let jwt =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fw";
        assert_eq!(
            found(&format!("token={jwt} x")),
            vec![(jwt.into(), "jwt-in-log")]
        );
        assert_eq!(
            found("ak=LTAI5tQ8rN3xYz7wK2mP9vB1 done"),
            vec![(
                "LTAI5tQ8rN3xYz7wK2mP9vB1".into(),
                "alibaba-access-key-in-log"
            )]
        );
        assert_eq!(
            found("aws AKIA2OGYBAH6STMMNXNN."),
            vec![("AKIA2OGYBAH6STMMNXNN".into(), "aws-access-key-in-log")]
        );
        assert_eq!(
            found("hook https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            vec![("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(), "chat-webhook-in-log")]
        );
        assert_eq!(
            found("https://open.feishu.cn/open-apis/bot/v2/hook/2f6c1a3e-9b7d-4c1e-8a2b-1f0e3d4c5b6a ok"),
            vec![("2f6c1a3e-9b7d-4c1e-8a2b-1f0e3d4c5b6a".into(), "chat-webhook-in-log")]
        );
        assert_eq!(
            found("cookie: lang=zh; EGG_SESS=abcDEF123_-x; other=1"),
            vec![("abcDEF123_-x".into(), "session-cookie-in-log")]
        );
        assert_eq!(
            found(
                r#"key "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----" x"#
            ),
            vec![(
                r"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----".into(),
                "private-key-in-log"
            )]
        );
        assert!(found("see https://eggjs.org/zh-cn/core/security.html").is_empty());
    }

    #[test]
    fn many_anchors_on_one_line_share_their_searches_and_each_gets_its_value() {
        // Values of consecutive anchors that end at the same place (the memo's case).
        assert_eq!(
            found("token=ya29.s_token=ya29.s_token=x"),
            vec![("ya29.s_token=ya29.s_token=x".into(), "token-in-log")]
        );
        assert_eq!(
            found(r#"password=a1b2c3 token=xyz123abc "password":"q1w2e3" 'token':'zz9988'"#),
            vec![
                ("a1b2c3".into(), "password-in-log"),
                ("xyz123abc".into(), "token-in-log"),
                ("q1w2e3".into(), "password-in-log"),
                ("zz9988".into(), "token-in-log"),
            ]
        );
        // Two private keys on one line: each ends at its own END marker.
        let k1 = "-----BEGIN RSA PRIVATE KEY-----AAA-----END RSA PRIVATE KEY-----";
        let k2 = "-----BEGIN EC PRIVATE KEY-----BBB-----END EC PRIVATE KEY-----";
        assert_eq!(
            found(&format!("{k1} x {k2} y")),
            vec![
                (k1.into(), "private-key-in-log"),
                (k2.into(), "private-key-in-log")
            ]
        );
        // Two cookie headers: every session-like value of both, a walk shared or not.
        assert_eq!(
            found("cookie: a=1; EGG_SESS=s3cr3tv4lue; csrfToken=abcdef123; lang=zh cookie: sid=qwerty12345"),
            vec![
                ("s3cr3tv4lue".into(), "session-cookie-in-log"),
                ("abcdef123".into(), "session-cookie-in-log"),
                ("qwerty12345".into(), "session-cookie-in-log"),
            ]
        );
        assert_eq!(
            found("a xoxb-1234567890-abc b xoxp-0987654321-def"),
            vec![
                ("xoxb-1234567890-abc".into(), "slack-token-in-log"),
                ("xoxp-0987654321-def".into(), "slack-token-in-log"),
            ]
        );
        let h1 = "2f6c1a3e-9b7d-4c1e-8a2b-1f0e3d4c5b6a";
        let h2 = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
        assert_eq!(
            found(&format!("https://open.feishu.cn/open-apis/bot/v2/hook/{h1} and https://open.feishu.cn/open-apis/bot/v2/hook/{h2}")),
            vec![(h1.into(), "chat-webhook-in-log"), (h2.into(), "chat-webhook-in-log")]
        );
    }

    #[test]
    fn long_lines_of_repeated_anchors_are_one_value_not_many() {
        // Look-alikes of the slow fuzz input: no value is lost, none is made up.
        let line = "password=".repeat(20_000);
        let got = found(&line);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.len(), line.len() - 9);
        let line = "xoxb-".repeat(20_000);
        let got = found(&line);
        assert_eq!(got.len(), 1, "one token run");
        assert!(found(&"-----BEGIN CERTIFICATE-----".repeat(5_000)).is_empty());
        let line = "-----BEGIN RSA PRIVATE KEY-----".repeat(5_000);
        assert_eq!(found(&line), vec![(line.clone(), "private-key-in-log")]);
        assert!(found(&"cookie: lang=zh;".repeat(10_000)).is_empty());
    }
}
