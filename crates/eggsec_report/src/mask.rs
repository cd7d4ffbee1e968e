//! Secret masking: the one place that decides what a secret is and how it is shown.
//!
//! Every output of eggsec goes through here: config values ([`mask_tagged_json`]), code frames
//! ([`mask_source`]), finding evidence, dependency specs and every line a command prints
//! ([`mask_text`], applied by the CLI to all it writes on stdout and stderr).
//!
//! A secret is found two ways:
//! * by the **name** it is stored under ([`is_secret_key`]: `password`, `pw`, `passphrase`,
//!   `secret`, `token(s)`, `keys`, `masterKey`, `signKey`, `mchKey`, `dsn`, …), which covers
//!   numbers, arrays and whole objects under that name;
//! * by the **shape** of the value ([`secret_spans`]): PEM blocks, well-known token formats
//!   (`sk_live_…`, `ghp_…`, `xoxb-…`, `AKIA…`, `LTAI…`, JWTs, `Bearer …`), passwords and
//!   tokens in URLs (`scheme://user:PW@`, `https://TOKEN@`, `?access_token=…`), and webhook
//!   URLs (Slack, Discord, Feishu/Lark, WeCom).
//!
//! A masked secret shows at most 2 characters (fewer for short secrets; `EGGSEC_MASK_KEEP=0`
//! shows none) and its length: `sk****(32 chars)`.

use regex::Regex;
use std::sync::OnceLock;

/// How many leading characters a mask keeps: `EGGSEC_MASK_KEEP` (0, 1 or 2), default 2.
pub fn keep() -> usize {
    static KEEP: OnceLock<usize> = OnceLock::new();
    *KEEP.get_or_init(|| {
        std::env::var("EGGSEC_MASK_KEEP")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .map_or(2, |n| n.min(2))
    })
}

/// Masks a secret: at most [`keep`] leading characters (none for secrets shorter than 12
/// characters, 1 below 16) and the length: `sk****(32 chars)`.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    let shown = match n {
        0..=11 => 0,
        12..=15 => 1,
        _ => 2,
    }
    .min(keep());
    // Only letters, digits, `_` and `-` are shown: never a quote or a backslash that could
    // change the meaning of the JSON or code around the mask.
    let head: String = s
        .chars()
        .take(shown)
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
        .collect();
    format!("{head}****({n} chars)")
}

/// Whether a key names a secret value: passwords (`password`, `passwd`, `pwd`, `pw`, `pass`,
/// `passphrase`), `secret(s)`, `token(s)`, egg's `keys`, a `dsn`, credentials, and names ending
/// in `Key`, `Secret`, `Token`, `Password` (`accessKey`, `apiKey`, `privateKey`, `masterKey`,
/// `signKey`, `encryptKey`, `appKey`, `mchKey`, `clientSecret`, `authToken`). Names that merely
/// mention one (`tokenName`, `keyPrefix`, `secretName`, `headerName`, `passThrough`, `maxKeys`)
/// are not secrets: the last word of the name decides. A bare `key` is a name (the session
/// cookie's `key: 'EGG_SESS'`).
pub fn is_secret_key(key: &str) -> bool {
    let words = split_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    // `password2`, `token_1`: a number after the name does not change what it holds.
    let last = last
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string();
    let whole = words.concat();
    let whole = whole.trim_end_matches(|c: char| c.is_ascii_digit());
    if matches!(
        whole,
        "keys"
            | "dsn"
            | "pw"
            | "credentials"
            | "credential"
            | "passphrase"
            | "privatekey"
            | "accesskeyid"
            | "salt"
            | "cookiesecret"
    ) {
        return true;
    }
    matches!(
        last.as_str(),
        "password"
            | "passwords"
            | "passwd"
            | "pwd"
            | "pw"
            | "pass"
            | "passphrase"
            | "secret"
            | "secrets"
            | "token"
            | "tokens"
            | "key"
            | "keys"
            | "credential"
            | "credentials"
            | "dsn"
            | "apikey"
            | "secretkey"
            | "accesskey"
            | "privatekey"
    ) && !(words.len() == 1 && last == "key")
        && !(last == "keys" && words.len() > 1 && matches!(words[0].as_str(), "max" | "min"))
}

/// Splits camelCase, snake_case, kebab-case and dotted names into lower-case words.
pub fn split_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// A regex compiled on first use (compiling all of them costs more than searching an output).
macro_rules! lazy_regex {
    ($name:ident, $re:expr) => {
        fn $name() -> &'static Regex {
            static R: OnceLock<Regex> = OnceLock::new();
            R.get_or_init(|| Regex::new($re).expect("valid regex"))
        }
    };
}

// The body of a PEM block (BEGIN and END lines kept), across lines and JSON escapes.
lazy_regex!(
    pem,
    r"(?s)(-----BEGIN [A-Z0-9 ]{0,40}-----)(.*?)(-----END [A-Z0-9 ]{0,40}-----)"
);
lazy_regex!(pem_open, r"(?s)(-----BEGIN [A-Z0-9 ]{0,40}-----)(.+)$");
lazy_regex!(
    tokens,
    concat!(
        r"\b(?:",
        r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{8,}",
        r"|whsec_[0-9A-Za-z]{16,}",
        r"|gh[pousr]_[0-9A-Za-z]{20,}",
        r"|github_pat_[0-9A-Za-z_]{20,}",
        r"|glpat-[0-9A-Za-z_-]{20,}",
        r"|xox[abposre]-[0-9A-Za-z-]{10,}",
        r"|npm_[0-9A-Za-z]{30,}",
        r"|(?:AKIA|ASIA)[0-9A-Z]{16}",
        r"|LTAI[0-9A-Za-z]{12,}",
        r"|AIza[0-9A-Za-z_-]{35}",
        r"|SG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{16,}",
        r"|eyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}",
        r")"
    )
);
// scheme://user:PASSWORD@ or scheme://TOKEN@ (no colon, long or token-shaped).
lazy_regex!(
    userinfo,
    r"([A-Za-z][A-Za-z0-9+.-]{0,20}://)([^\s/@:'`<>]*)(?::([^\s/@'`<>]+))?@"
);
lazy_regex!(
    query,
    r"(?i)([?&;](?:access_token|accesstoken|token|api_key|apikey|key|secret|client_secret|password|passwd|pwd|pass|auth|sig|signature|sign|private_token|sessionid|session_id|code)=)([^&#\s'`<>\\]+)"
);
lazy_regex!(
    webhook,
    concat!(
        r"(?i)((?:hooks\.slack\.com/(?:services|workflows|triggers)/",
        r"|discord(?:app)?\.com/api/webhooks/",
        r"|open\.(?:feishu\.cn|larksuite\.com)/open-apis/bot/v2/hook/",
        r"|qyapi\.weixin\.qq\.com/cgi-bin/webhook/send\?key=))",
        r"([^\s'`<>\\]+)"
    )
);
lazy_regex!(
    auth_header,
    r"(?i)\b(Bearer|Basic|Token)(\s+)([0-9A-Za-z._~+/=-]{8,})"
);

/// Which of the patterns can match `text` at all: each needs a literal (`-----BEGIN `, a
/// token prefix, `://`, `key=`, a webhook host, `Bearer`...), found with SIMD substring
/// search (nothing to build), so that an output without any (most of them) compiles and
/// runs no regex. A gate is a necessary condition only: the regex decides.
#[derive(Default)]
struct Gates {
    pem: bool,
    tokens: bool,
    userinfo: bool,
    query: bool,
    webhook: bool,
    auth_header: bool,
}

/// Literals `tokens` needs (one starts every credential it knows).
const TOKEN_TRIGGERS: &[&str] = &[
    "k_live_",
    "k_test_",
    "whsec_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "npm_",
    "AKIA",
    "ASIA",
    "LTAI",
    "AIza",
    "SG.",
    "eyJ",
];

/// Literals the case-insensitive (`(?i)`) patterns need, in lower case (compared with the
/// text's ASCII-lower-cased bytes). Every name of `query` ends with one of these, `=` next.
const QUERY_TRIGGERS: &[&str] = &[
    "token=",
    "key=",
    "secret=",
    "password=",
    "passwd=",
    "pwd=",
    "pass=",
    "auth=",
    "sig=",
    "signature=",
    "sign=",
    "sessionid=",
    "session_id=",
    "code=",
];
const WEBHOOK_TRIGGERS: &[&str] = &[
    "hooks.slack.com/",
    "discord.com/api/webhooks/",
    "discordapp.com/api/webhooks/",
    "/open-apis/bot/v2/hook/",
    "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
];
const AUTH_WORDS: &[&str] = &["bearer", "basic", "token"];

/// The only characters outside ASCII that Unicode simple case folding (what `(?i)` uses)
/// maps to an ASCII letter: LATIN SMALL LETTER LONG S (s) and KELVIN SIGN (k). A text with
/// either keeps the case-insensitive gates open (checked by a test over every character).
const NON_ASCII_FOLDS: &[char] = &['\u{17F}', '\u{212A}'];

fn gates(text: &str) -> Gates {
    use memchr::memmem;
    let any = |hay: &[u8], literals: &[&str]| {
        literals
            .iter()
            .any(|l| memmem::find(hay, l.as_bytes()).is_some())
    };
    let bytes = text.as_bytes();
    let mut g = Gates {
        pem: memmem::find(bytes, b"-----BEGIN ").is_some(),
        tokens: any(bytes, TOKEN_TRIGGERS),
        userinfo: memmem::find(bytes, b"://").is_some() && memchr::memchr(b'@', bytes).is_some(),
        ..Gates::default()
    };
    if text.contains(NON_ASCII_FOLDS) {
        g.query = true;
        g.webhook = true;
        g.auth_header = true;
    } else {
        // same length, same offsets: only ASCII letters change
        let lower = bytes.to_ascii_lowercase();
        g.query = any(&lower, QUERY_TRIGGERS);
        g.webhook = any(&lower, WEBHOOK_TRIGGERS);
        g.auth_header = AUTH_WORDS.iter().any(|w| {
            memmem::find_iter(&lower, w.as_bytes())
                .any(|at| credential_follows(&text[at + w.len()..]))
        });
    }
    g
}

/// What `auth_header` needs after its word: white space, then at least eight characters of
/// the credential's class (`token` in prose — "tokens are", "token`" — opens nothing).
fn credential_follows(rest: &str) -> bool {
    let after_space = rest.trim_start_matches(char::is_whitespace);
    after_space.len() < rest.len()
        && after_space
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || b"._~+/=-".contains(b))
            .nth(7)
            .is_some()
}

/// Byte ranges of `text` that hold a secret found by its shape.
pub fn secret_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    spans_with(text, gates(text))
}

fn spans_with(text: &str, g: Gates) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    if g.pem {
        pem_spans(text, &mut spans);
    }
    if g.tokens {
        spans.extend(tokens().find_iter(text).map(|m| m.range()));
    }
    if g.userinfo {
        for c in userinfo().captures_iter(text) {
            match c.get(3) {
                Some(pw) if !pw.as_str().is_empty() => spans.push(pw.range()),
                _ => {
                    let user = c.get(2).expect("group");
                    let u = user.as_str();
                    if u.len() >= 16 || tokens().is_match(u) {
                        spans.push(user.range());
                    }
                }
            }
        }
    }
    if g.query {
        spans.extend(
            query()
                .captures_iter(text)
                .map(|c| c.get(2).expect("group").range()),
        );
    }
    if g.webhook {
        spans.extend(
            webhook()
                .captures_iter(text)
                .map(|c| c.get(2).expect("group").range()),
        );
    }
    if g.auth_header {
        spans.extend(
            auth_header()
                .captures_iter(text)
                .map(|c| c.get(3).expect("group").range()),
        );
    }
    merge_spans(spans)
}

/// The bodies of PEM blocks, and of an unterminated one at the end.
fn pem_spans(text: &str, spans: &mut Vec<std::ops::Range<usize>>) {
    let mut pem_end = 0;
    for c in pem().captures_iter(text) {
        let body = c.get(2).expect("group");
        if !body.as_str().trim().is_empty() {
            spans.push(body.range());
        }
        pem_end = c.get(0).expect("match").end();
    }
    if let Some(c) = pem_open().captures(&text[pem_end..]) {
        let body = c.get(2).expect("group");
        if !body.as_str().contains("-----END") {
            spans.push(pem_end + body.start()..pem_end + body.end());
        }
    }
}

fn merge_spans(mut spans: Vec<std::ops::Range<usize>>) -> Vec<std::ops::Range<usize>> {
    spans.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// Masks every secret found by its shape in free text (an output line, a dependency spec, a
/// message). Text without one is returned unchanged.
pub fn mask_text(text: &str) -> String {
    mask_spans(text, false)
}

/// `text` with every secret found by its shape masked; with `keep_lines`, the line breaks
/// inside a secret (a PEM block) are kept around its mask, so that the text keeps its lines:
/// the mask on the secret's first line when the secret ends with a line break (the rest of
/// its last line is then empty, as in `text`), else on its last line.
fn mask_spans(text: &str, keep_lines: bool) -> String {
    let spans = secret_spans(text);
    if spans.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in spans {
        out.push_str(&text[at..r.start]);
        let secret = &text[r.clone()];
        let breaks = if keep_lines {
            memchr::memchr_iter(b'\n', secret.as_bytes()).count()
        } else {
            0
        };
        if secret.ends_with('\n') {
            out.push_str(&mask(secret));
            out.extend(std::iter::repeat_n('\n', breaks));
        } else {
            out.extend(std::iter::repeat_n('\n', breaks));
            out.push_str(&mask(secret));
        }
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether a string value is a secret by its shape alone.
pub fn looks_secret(s: &str) -> bool {
    !secret_spans(s).is_empty()
}

/// Masks the secrets of a config tree in eggsec's tagged JSON (see `Value::to_tagged_json`):
/// under a secret name every string and number (in arrays and nested objects too) becomes
/// `{"$secret": "ab****(N chars)", "length": N}`; elsewhere strings are masked by shape.
pub fn mask_tagged_json(key: Option<&str>, v: serde_json::Value) -> serde_json::Value {
    mask_json_in(key.is_some_and(is_secret_key), v)
}

fn mask_json_in(secret: bool, v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::String(s) if secret && !s.is_empty() => secret_json(&s),
        J::String(s) => match mask_text(&s) {
            m if m != s => secret_json(&s),
            _ => J::String(s),
        },
        J::Number(n) if secret => secret_json(&n.to_string()),
        J::Object(map) => {
            // Tagged values keep their tag; env references keep their name, and their default
            // may be a secret.
            if map.contains_key("$env") {
                let mut map = map;
                if let Some(d) = map.remove("default") {
                    map.insert("default".into(), mask_json_in(secret, d));
                }
                return J::Object(map);
            }
            if map.contains_key("$unknown")
                || map.contains_key("$function")
                || map.contains_key("$secret")
            {
                return J::Object(map);
            }
            J::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let child_secret = secret || is_secret_key(&k);
                        let masked = mask_json_in(child_secret, v);
                        (k, masked)
                    })
                    .collect(),
            )
        }
        J::Array(items) => J::Array(items.into_iter().map(|i| mask_json_in(secret, i)).collect()),
        other => other,
    }
}

fn secret_json(s: &str) -> serde_json::Value {
    serde_json::json!({"$secret": mask(s), "length": s.chars().count()})
}

/// Words that make a source line secret-bearing when they appear anywhere in it (a coarse net
/// under the key test of [`mask_source`]).
const SECRET_WORDS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "pass:",
    "pass =",
    "token",
    "keys",
    "apikey",
    "api_key",
    "accesskey",
    "access_key",
    "privatekey",
    "private_key",
    "credential",
    "dsn",
];

/// Masks a source file for display in code frames, line by line with state across lines:
/// secrets found by shape anywhere (PEM blocks spanning lines included); on a line whose key
/// (`name:` / `name =`) names a secret, or that mentions a secret word, every string, template
/// and number literal; and every line of a literal, array or object opened on such a line and
/// continued on the next ones. Returns the masked lines, one per line of the source (a PEM
/// block's lines: its mask, then empty lines), so a frame shows the file's line numbers.
pub fn mask_source(source: &str) -> Vec<String> {
    mask_source_to(source, usize::MAX)
}

/// The first `last` lines of [`mask_source`] (all of them when the source has fewer): each
/// line's mask depends only on the lines above it, so a code frame's lines cost no more than
/// the part of the file down to them. (The shapes are found in the whole source, as for
/// [`mask_source`]: a PEM block that goes on below `last` is masked all the same.)
pub fn mask_source_to(source: &str, last: usize) -> Vec<String> {
    // line n of the masked source is line n of the file, after a PEM block too
    let shaped = mask_spans(source, true);
    let mut out = Vec::new();
    // Bracket depth of an open secret context (0: none), and whether a template literal is open.
    let mut secret_depth: usize = 0;
    let mut in_template = false;
    for line in shaped.lines().take(last) {
        let starts_inside = secret_depth > 0;
        let secret_line = starts_inside || line_is_secret(line);
        let (masked, depth_change, template_open) = mask_line(line, secret_line, in_template);
        in_template = template_open;
        if secret_line {
            let d = secret_depth as isize + depth_change;
            secret_depth = if d > 0 { d as usize } else { 0 };
            if in_template && secret_depth == 0 {
                secret_depth = 1;
            }
        }
        out.push(masked);
    }
    out
}

/// Masks one line on its own (no state across lines).
pub fn mask_source_line(line: &str) -> String {
    let shaped = mask_text(line);
    let secret = line_is_secret(&shaped);
    mask_line(&shaped, secret, false).0
}

fn line_is_secret(line: &str) -> bool {
    if has_secret_word(line) {
        return true;
    }
    // The key of `key: value` / `a.b.key = value` / `const key = value`.
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b'\'' | b'"' | b'`') {
            break;
        }
        let is_assign = c == b'='
            && bytes.get(i + 1) != Some(&b'=')
            && bytes.get(i + 1) != Some(&b'>')
            && i > 0
            && !matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>');
        if c == b':' || is_assign {
            let before = line[..i].trim_end();
            let key: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '-'))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let key = key.trim_matches(|c| c == '\'' || c == '"');
            if is_secret_key(key) {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// Whether `line` holds one of [`SECRET_WORDS`], ASCII letters in any case: one pass over the
/// line for all the words, without a lower-cased copy of it (a code frame's file is checked
/// line by line).
fn has_secret_word(line: &str) -> bool {
    static WORDS: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    match WORDS.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(SECRET_WORDS)
            .ok()
    }) {
        Some(words) => words.is_match(line),
        None => {
            let lower = line.to_ascii_lowercase();
            SECRET_WORDS.iter().any(|w| lower.contains(w))
        }
    }
}

/// Masks the literals of one line when `secret`; returns the line, the change in bracket depth
/// and whether a template literal is still open at its end.
///
/// A line that is not secret comes back as it is (only a secret line's literals and numbers
/// are masked), and its bracket depth is never read; its template state can only change at a
/// backtick: such a line without one, outside a template, is returned without a walk.
fn mask_line(line: &str, secret: bool, in_template: bool) -> (String, isize, bool) {
    if !secret && !in_template && memchr::memchr(b'`', line.as_bytes()).is_none() {
        return (line.to_string(), 0, false);
    }
    mask_line_walk(line, secret, in_template)
}

/// [`mask_line`] character by character.
fn mask_line_walk(line: &str, secret: bool, mut in_template: bool) -> (String, isize, bool) {
    let mut out = String::with_capacity(line.len());
    let mut depth: isize = 0;
    let mut chars = line.chars().peekable();
    if in_template {
        // Inside a template literal continued from an earlier line.
        let mut body = String::new();
        let mut closed = false;
        while let Some(d) = chars.next() {
            if d == '\\' {
                body.push(d);
                if let Some(e) = chars.next() {
                    body.push(e);
                }
                continue;
            }
            if d == '`' {
                closed = true;
                break;
            }
            body.push(d);
        }
        out.push_str(&if secret { mask_literal(&body) } else { body });
        if !closed {
            return (out, 0, true);
        }
        out.push('`');
        in_template = false;
    }
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                let mut body = String::new();
                let mut closed = false;
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        body.push(d);
                        if let Some(e) = chars.next() {
                            body.push(e);
                        }
                        continue;
                    }
                    if d == c {
                        closed = true;
                        break;
                    }
                    body.push(d);
                }
                let keep = !secret || (closed && c != '`' && is_name_argument(&out, &body));
                out.push(c);
                out.push_str(&if keep { body } else { mask_literal(&body) });
                if closed {
                    out.push(c);
                } else if c == '`' {
                    in_template = true;
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                out.push(c);
                out.extend(chars.by_ref());
            }
            '0'..='9' if secret => {
                let mut num = String::from(c);
                while let Some(&d) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '_' || d == '.' {
                        num.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if num.len() >= 4 {
                    out.push_str(&mask(&num));
                } else {
                    out.push_str(&num);
                }
            }
            'A'..='Z' | 'a'..='z' | '_' | '$' => {
                // Identifiers pass whole (so digits inside them are not numbers).
                out.push(c);
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '$' {
                        out.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            '[' | '{' | '(' => {
                depth += 1;
                out.push(c);
            }
            ']' | '}' | ')' => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    (out, depth, in_template)
}

/// Whether a string literal whose text is `body`, after the line's text `before`, is the name
/// a header, cookie or map accessor takes first (`ctx.get('authorization')`,
/// `ctx.set('Access-Control-Allow-Credentials', …)`, `cookies.get('token')`): a name, not a
/// value, shown even on a secret line — one word of letters, digits, `-` and `_`. The value
/// that follows it is masked as before.
fn is_name_argument(before: &str, body: &str) -> bool {
    const NAME_TAKERS: &[&str] = &[
        ".get(",
        ".set(",
        ".has(",
        ".append(",
        ".remove(",
        ".getHeader(",
        ".setHeader(",
        ".hasHeader(",
        ".removeHeader(",
    ];
    let before = before.trim_end();
    NAME_TAKERS.iter().any(|t| before.ends_with(t))
        && (1..=64).contains(&body.len())
        && body.starts_with(|c: char| c.is_ascii_alphabetic())
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn mask_literal(s: &str) -> String {
    if s.is_empty() || s.contains("****(") {
        return s.to_string();
    }
    mask(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of the repository's own JS/TS (the example app, every fixture) and every line of
    /// three fragments from a list of quotes, backticks, escapes, brackets, secret words in
    /// mixed case, keys, numbers and non-ASCII letters.
    fn sample_lines() -> Vec<String> {
        let mut lines = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for dir in ["examples", "tests"] {
            eggsec_fs::walk(
                &root.join(dir),
                false,
                &mut |e| e.name != "target",
                &mut |e| {
                    let name = e.name.to_string_lossy();
                    if (name.ends_with(".js") || name.ends_with(".ts")) && lines.len() < 200_000 {
                        if let Ok(text) = std::fs::read_to_string(&e.path) {
                            lines.extend(text.lines().map(str::to_string));
                        }
                    }
                    true
                },
            );
        }
        assert!(
            lines.len() > 5_000,
            "{} lines of JS in the repository",
            lines.len()
        );
        const PARTS: &[&str] = &[
            "`",
            "'",
            "\"",
            "\\",
            "${",
            "}",
            "{",
            "[",
            ")",
            "password",
            "PassWord",
            "pass:",
            "PASS =",
            "tOkEn",
            "dsn",
            "Keys",
            "x",
            ":",
            " = ",
            "==",
            "=>",
            "// ",
            "1234",
            "\u{e9}",
            "\u{130}",
            "\u{212a}eys",
            "sk_live_ab12",
            "\t",
            "apiKey:",
            " ",
        ];
        for a in PARTS {
            for b in PARTS {
                for c in PARTS {
                    lines.push(format!("{a}{b}{c}"));
                }
            }
        }
        lines
    }

    #[test]
    fn the_secret_word_search_finds_what_a_lower_cased_copy_finds() {
        let mut hits = 0;
        for line in sample_lines() {
            let lower = line.to_ascii_lowercase();
            let expected = SECRET_WORDS.iter().any(|w| lower.contains(w));
            assert_eq!(has_secret_word(&line), expected, "{line:?}");
            hits += usize::from(expected);
        }
        assert!(hits > 1_000, "{hits} lines with a secret word");
    }

    #[test]
    fn a_line_passed_over_is_what_the_walk_gives() {
        let mut fast = 0;
        for line in sample_lines() {
            for secret in [false, true] {
                for in_template in [false, true] {
                    let walked = mask_line_walk(&line, secret, in_template);
                    let got = mask_line(&line, secret, in_template);
                    assert_eq!(
                        got.0, walked.0,
                        "{line:?} secret={secret} template={in_template}"
                    );
                    assert_eq!(
                        got.2, walked.2,
                        "{line:?} secret={secret} template={in_template}"
                    );
                    // a secret line's depth is read; a line that is not secret: never
                    if secret {
                        assert_eq!(got.1, walked.1, "{line:?}");
                    } else if !in_template && !line.contains('`') {
                        fast += 1;
                    }
                }
            }
        }
        assert!(fast > 10_000, "{fast} lines passed over");
    }

    #[test]
    fn masks_show_at_most_two_characters_and_the_length() {
        assert_eq!(mask("sk_live_1234abcdEFGH"), "sk****(20 chars)");
        assert_eq!(mask("abcdefghijkl"), "a****(12 chars)");
        assert_eq!(mask("short"), "****(5 chars)");
        assert_eq!(mask(""), "****(0 chars)");
        assert_eq!(mask("abcdefghyz"), "****(10 chars)");
        assert_eq!(mask("sk_live_1234abcd"), "sk****(16 chars)");
        assert_eq!(mask("éééééééééééééééé"), "éé****(16 chars)");
    }

    #[test]
    fn secret_key_names() {
        for k in [
            "password",
            "passwd",
            "pwd",
            "pw",
            "pass",
            "passphrase",
            "secret",
            "token",
            "tokens",
            "keys",
            "accessKey",
            "apiKey",
            "privateKey",
            "api_key",
            "clientSecret",
            "authToken",
            "dsn",
            "credentials",
            "DB_PASSWORD",
            "appSecret",
            "accessKeyId",
            "secretKey",
            "refresh-token",
            "masterKey",
            "encryptKey",
            "signKey",
            "appKey",
            "mchKey",
        ] {
            assert!(is_secret_key(k), "{k} should be secret");
        }
        for k in [
            "tokenName",
            "keyPrefix",
            "secretName",
            "headerName",
            "passThrough",
            "key",
            "maxKeys",
            "cookieName",
            "sessionName",
            "keyGenerator",
            "tokenExpiry",
            "keepAlive",
            "user",
            "host",
            "csrf",
        ] {
            assert!(!is_secret_key(k), "{k} should not be secret");
        }
    }

    #[test]
    fn shapes_are_masked_in_free_text() {
        for (text, secret) in [
            (
                "key sk_live_51HqLyjWDarjtT1zdp7dc",
                "sk_live_51HqLyjWDarjtT1zdp7dc",
            ),
            ("mysql://root:hunter2hunter2@db/shop", "hunter2hunter2"),
            (
                "git+https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/a/b.git",
                "ghp_abcdefghijklmnopqrstuvwxyz0123",
            ),
            (
                "https://u:PW-pass-1234@registry.example/x.tgz",
                "PW-pass-1234",
            ),
            (
                "https://api.example/x?access_token=abcdef123456&x=1",
                "abcdef123456",
            ),
            (
                "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
                "T000/B000/XXXXXXXXXXXXXXXX",
            ),
            (
                "Authorization: Bearer abcdef.ghijkl.mnopqr",
                "abcdef.ghijkl.mnopqr",
            ),
            ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ] {
            let m = mask_text(text);
            assert!(!m.contains(secret), "{text} → {m}");
        }
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----";
        let m = mask_text(pem);
        assert!(!m.contains("MIIEpAIBAAKCAQEA7"), "{m}");
        assert!(m.contains("-----END RSA PRIVATE KEY-----"));
        assert_eq!(
            mask_text("nothing to see at https://example.com/a?b=c"),
            "nothing to see at https://example.com/a?b=c"
        );
    }

    #[test]
    fn only_two_characters_outside_ascii_fold_to_ascii_letters() {
        // what the case-insensitive gates assume about `(?i)` (regex's simple case folding)
        let letter = Regex::new("(?i)^[a-z]$").expect("valid regex");
        let folding: Vec<char> = (0x80..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| letter.is_match(c.encode_utf8(&mut [0; 4])))
            .collect();
        assert_eq!(folding, NON_ASCII_FOLDS);
    }

    /// Every pattern run, whatever the gates say.
    fn all_open(text: &str) -> Vec<std::ops::Range<usize>> {
        let g = Gates {
            pem: true,
            tokens: true,
            userinfo: true,
            query: true,
            webhook: true,
            auth_header: true,
        };
        spans_with(text, g)
    }

    #[test]
    fn gates_never_hide_a_match() {
        let samples = [
            "key sk_live_51HqLyjWDarjtT1zdp7dc and rk_test_abcdefgh1",
            "mysql://root:hunter2hunter2@db/shop",
            "git+https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/a/b.git",
            "https://aaaaaaaaaaaaaaaaaaaaaa@host/x",
            "https://api.example/x?ACCESS_TOKEN=abcdef123456&Sig=zz;code=1&Session_Id=9",
            "https://HOOKS.SLACK.COM/services/T000/B000/XXXXXXXXXXXXXXXX",
            "https://discordapp.com/api/webhooks/1/abc https://open.larksuite.com/open-apis/bot/v2/hook/x",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
            "Authorization: BEARER abcdef.ghijkl.mnopqr / basic\u{3000}QWxhZGRpbjpvcGVu / token\tabcdefgh",
            "AKIAIOSFODNN7EXAMPLE ASIAIOSFODNN7EXAMPLE LTAIabcdefghijkl AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
            "xoxb-1234567890-abc glpat-abcdefghijklmnopqrstu github_pat_abcdefghijklmnopqrstuv npm_abcdefghijklmnopqrstuvwxyz0123",
            "whsec_abcdefghijklmnop1234 SG.abcdefghijklmnop.abcdefghijklmnopq eyJhbGciOiJ.eyJzdWIiOiIx.abcdefghij",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY----- and -----BEGIN X-----open",
            // the two non-ASCII letters `(?i)` folds to ASCII
            "x?\u{212A}ey=secretvalue&pa\u{17F}\u{17F}=hunter2 \u{212A}ey=1",
            "hoo\u{212A}\u{17F}.slack.com/services/T0/B0/XXXX To\u{212A}en abcdefgh12",
            "nothing to see at https://example.com/a?b=c",
            "",
            "token",
            "a token` verifies a token, tokens are checked; token  abcdefg",
            "token abcdefgh; TOKEN\u{a0}abc.def/gh; basic\n\n~~~~====",
            "Bearer\u{2003}x-y_z+1/2=",
            "中sk_live_51HqLyjWDarjtT1zdp7dc 中Token abcdefgh12",
        ];
        let mut texts: Vec<String> = samples.iter().map(|s| s.to_string()).collect();
        for s in samples {
            texts.push(s.to_uppercase());
            texts.push(s.to_lowercase());
            // every cut of the text, so a trigger split anywhere is tried too
            for (i, _) in s.char_indices() {
                texts.push(s[..i].to_string());
                texts.push(s[i..].to_string());
            }
        }
        for t in &texts {
            assert_eq!(secret_spans(t), all_open(t), "{t:?}");
        }
    }

    #[test]
    fn prose_about_tokens_and_keys_opens_no_gate() {
        // what eggsec's own reports say: no regex needs to run over them
        let g = gates(
            "CSRF tokens are checked; `ctx.csrf` token` verifies a token. Set keys in config \
             (see https://eggjs.org/security). Basic auth, Bearer tokens, session key=",
        );
        assert!(!(g.pem || g.tokens || g.userinfo || g.webhook || g.auth_header));
        assert!(g.query, "`key=` is a query gate");
        let g = gates("Authorization: Bearer abcdefgh");
        assert!(g.auth_header);
    }

    #[test]
    fn header_and_cookie_names_stay_readable_on_a_secret_line() {
        // macaca-datahub's CORS middleware: "credential" makes the line secret-bearing
        assert_eq!(
            mask_source_line("    ctx.set('Access-Control-Allow-Credentials', 'true');"),
            "    ctx.set('Access-Control-Allow-Credentials', '****(4 chars)');"
        );
        assert_eq!(
            mask_source_line(
                "const token = ctx.get('authorization') || ctx.cookies.get( \"token\");"
            ),
            "const token = ctx.get('authorization') || ctx.cookies.get( \"token\");"
        );
        // values, and names that are not one word, are masked as before
        for (line, hidden) in [
            ("const password = 'hunter2';", "hunter2"),
            (
                "redis.set('session', 'p4ss-word-secret');",
                "p4ss-word-secret",
            ),
            ("const secret = ctx.get('x y z');", "x y z"),
            ("const token = store.get(`tok-${id}`);", "tok-"),
            ("const token = store.fetch('abc-def');", "abc-def"),
        ] {
            let masked = mask_source_line(line);
            assert!(!masked.contains(hidden), "{line} -> {masked}");
        }
        // a name argument on a line that is not secret is unchanged too
        assert_eq!(
            mask_source_line("ctx.get('x-tenant');"),
            "ctx.get('x-tenant');"
        );
    }

    #[test]
    fn source_lines_mask_by_key_across_lines() {
        let src = "const pw = 'DbPassw0rdXYZ';\nconfig.pass = 'abc123';\nconst x = {\n  tokens: [\n    'tok-one-aaaa',\n    'tok-two-bbbb',\n  ],\n  password: 12345678,\n  name: 'shop',\n};\nconst key = `\nMIIsecretbody\n`;\n";
        let out = mask_source(src).join("\n");
        for s in [
            "DbPassw0rdXYZ",
            "abc123",
            "tok-one-aaaa",
            "tok-two-bbbb",
            "12345678",
        ] {
            assert!(!out.contains(s), "{s} in\n{out}");
        }
        assert!(out.contains("'shop'"), "{out}");
    }

    #[test]
    fn a_masked_source_has_the_lines_of_the_file() {
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ";
        for src in [
            format!("a\nk = '-----BEGIN PRIVATE KEY-----\n{body}\n{body}\n-----END PRIVATE KEY-----';\nb\n"),
            format!("a\n-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"),
            format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"),
            format!("x = `-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n`\nlast"),
            // a block that is never closed is a secret to the end of the text
            format!("a\nk = '-----BEGIN PRIVATE KEY-----\n{body}\n{body}"),
            format!("a\nk = '-----BEGIN PRIVATE KEY-----\n{body}\n{body}\n"),
        ] {
            assert!(mask_text(&src).lines().count() < src.lines().count(), "{src}");
            let masked = mask_source(&src);
            assert_eq!(masked.len(), src.lines().count(), "{src:?} -> {masked:?}");
            assert!(!masked.concat().contains("MIIEvQ"), "{masked:?}");
            // the mask where the secret begins, unless its last line goes on after it
            let begin = src.lines().position(|l| l.contains("-----BEGIN")).unwrap_or(0);
            let at = masked.iter().position(|l| l.contains("****(")).unwrap_or(0);
            let open_end = !src.contains("-----END") && !src.ends_with('\n');
            assert_eq!(at, if open_end { masked.len() - 1 } else { begin }, "{masked:?}");
            // lines away from the secret are the file's
            for (i, line) in src.lines().enumerate() {
                if !line.contains("MIIE") && !line.contains("-----") {
                    assert_eq!(masked[i], line, "{src:?} line {}", i + 1);
                }
            }
        }
    }

    #[test]
    fn the_lines_down_to_a_frame_are_those_of_the_whole_file() {
        // secret contexts, a template and a PEM block that run past any cut
        let src = "const pw = 'DbPassw0rdXYZ';\nconst x = {\n  tokens: [\n    'tok-one-aaaa',\n  ],\n  name: 'shop',\n};\nconst key = `\nMIIsecretbody\n`;\nconst cert = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n-----END PRIVATE KEY-----';\nconst y = `a\nb`;\n";
        let all = mask_source(src);
        assert!(all.len() > 12);
        assert!(!all.join("\n").contains("MIIEvQIBADAN"), "{all:?}");
        for last in 0..all.len() + 3 {
            let top = mask_source_to(src, last);
            assert_eq!(top[..], all[..last.min(all.len())], "last = {last}");
        }
    }

    #[test]
    fn tagged_json_masks_numbers_arrays_children_and_shapes() {
        let v = serde_json::json!({
            "redis": {"password": 123456789},
            "tokens": ["aaaaaaaaaaaa"],
            "secret": {"prod": "pppppppppppp"},
            "cert": "-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----",
            "notify": "https://hooks.slack.com/services/T1/B2/C3C3C3C3C3",
            "name": "shop"
        });
        let m = mask_tagged_json(None, v).to_string();
        for s in [
            "123456789",
            "aaaaaaaaaaaa",
            "pppppppppppp",
            "MIIsecret",
            "C3C3C3C3C3",
        ] {
            assert!(!m.contains(s), "{s} in {m}");
        }
        assert!(m.contains("\"shop\""));
    }
}
