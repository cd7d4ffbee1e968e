//! egg-logger record grammar: the text header
//! `YYYY-MM-DD HH:mm:ss,SSS LEVEL PID [user/ip/trace/NNms METHOD url] message`
//! (or the ISO `dateISOFormat` form), and the JSON twin `{"paddingMessage"?,"level","date","pid",
//! "hostname","message"}` — parsed without a regex or an allocation.

use memchr::memmem;

/// egg-logger levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn parse(b: &[u8]) -> Option<Level> {
        Some(match b {
            b"DEBUG" => Level::Debug,
            b"INFO" => Level::Info,
            b"WARN" => Level::Warn,
            b"ERROR" => Level::Error,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// The request prefix egg adds to ctx logs: `[userId/ip/traceId/NNms METHOD url]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix<'a> {
    pub user: &'a [u8],
    pub ip: &'a [u8],
    pub trace: &'a [u8],
    pub method: &'a [u8],
    pub url: &'a [u8],
}

/// A parsed record start (the first line of a text record, or a whole JSON record).
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    /// Milliseconds since 1970-01-01 of the logged wall-clock time (the zone is not known:
    /// egg logs local time without an offset, so this is only used for ordering and windows).
    pub ts: i64,
    pub level: Level,
    pub pid: u32,
    pub prefix: Option<Prefix<'a>>,
    /// The message (first line for text records; still JSON-escaped for JSON records).
    pub message: &'a [u8],
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM` (the timeline bucket label).
pub fn format_minute(ts: i64) -> String {
    let days = ts.div_euclid(86_400_000);
    let rem = ts.rem_euclid(86_400_000) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        (rem / 60) % 60
    )
}

/// Formats epoch milliseconds as RFC 3339 UTC (`2026-11-29T01:06:35.292Z`).
pub fn format_rfc3339(ts: i64) -> String {
    let days = ts.div_euclid(86_400_000);
    let ms = ts.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let s = ms / 1000;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
}

fn num(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        // a digit run too long for an i64 (a hostile or garbled line) is not a number
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Some(v)
}

/// Parses `2026-11-29 01:06:35,292` (23 bytes) or `2026-11-29T01:07:46.281Z` (24 bytes) at the
/// start of `b`; returns (epoch ms, bytes used).
pub fn parse_timestamp(b: &[u8]) -> Option<(i64, usize)> {
    if b.len() < 23
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
        || !(b[19] == b',' || b[19] == b'.')
    {
        return None;
    }
    let h = num(&b[11..13])?;
    let mi = num(&b[14..16])?;
    let s = num(&b[17..19])?;
    let ms = num(&b[20..23])?;
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = date_days(b[..10].try_into().expect("10 bytes"))?;
    let used = if b[10] == b'T' && b.get(23) == Some(&b'Z') {
        24
    } else {
        23
    };
    let ts = days * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000 + ms;
    Some((ts, used))
}

/// Days since 1970-01-01 of `YYYY-MM-DD`, remembering the last date seen on this thread
/// (consecutive records nearly always share it).
fn date_days(date: &[u8; 10]) -> Option<i64> {
    thread_local! {
        static LAST: std::cell::Cell<([u8; 10], i64)> = const { std::cell::Cell::new(([0; 10], 0)) };
    }
    let (d0, days0) = LAST.get();
    if d0 == *date {
        return Some(days0);
    }
    let y = num(&date[0..4])?;
    let mo = num(&date[5..7])?;
    let d = num(&date[8..10])?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    LAST.set((*date, days));
    Some(days)
}

/// Parses a text record start; `None` for a continuation line (stack frame, error property,
/// `util.inspect` output, a blank line...).
pub fn parse_text_header(line: &[u8]) -> Option<Header<'_>> {
    let (ts, used) = parse_timestamp(line)?;
    let rest = line.get(used..)?;
    let rest = rest.strip_prefix(b" ")?;
    let sp = memchr::memchr(b' ', rest)?;
    let level = Level::parse(&rest[..sp])?;
    let rest = &rest[sp + 1..];
    let end = rest
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let pid = u32::try_from(num(&rest[..end])?).ok()?;
    let mut message = rest.get(end..).unwrap_or(b"");
    message = message.strip_prefix(b" ").unwrap_or(message);
    let (prefix, message) = match parse_prefix(message) {
        Some((p, used)) => (Some(p), &message[used..]),
        None => (None, message),
    };
    Some(Header {
        ts,
        level,
        pid,
        prefix,
        message,
    })
}

/// Parses `[user/ip/trace/NNms METHOD url] ` at the start of `b`; returns it and the bytes used
/// (including the trailing space). The URL runs to the first space (Node rejects raw spaces in
/// request targets) minus the closing `]`, so a `]` inside the query is kept.
pub fn parse_prefix(b: &[u8]) -> Option<(Prefix<'_>, usize)> {
    let inner = b.strip_prefix(b"[")?;
    let mut parts = [0usize; 3];
    let mut pos = 0;
    for slot in &mut parts {
        let rel = memchr::memchr2(b'/', b']', &inner[pos..])?;
        if inner[pos + rel] != b'/' {
            return None;
        }
        pos += rel;
        *slot = pos;
        pos += 1;
    }
    let user = &inner[..parts[0]];
    let ip = &inner[parts[0] + 1..parts[1]];
    let trace = &inner[parts[1] + 1..parts[2]];
    let rest = &inner[parts[2] + 1..];
    let ms = rest
        .iter()
        .position(|c| !(c.is_ascii_digit() || *c == b'.'))
        .unwrap_or(rest.len());
    if ms == 0 || !rest[ms..].starts_with(b"ms ") {
        return None;
    }
    let rest2 = &rest[ms + 3..];
    let msp = memchr::memchr(b' ', rest2)?;
    let method = &rest2[..msp];
    if method.is_empty() || !method.iter().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let url_start = &rest2[msp + 1..];
    let url_end = memchr::memchr(b' ', url_start).unwrap_or(url_start.len());
    let token = &url_start[..url_end];
    let url = token.strip_suffix(b"]")?;
    let consumed = 1 + (parts[2] + 1) + (ms + 3) + (msp + 1) + url_end;
    let consumed = if b.get(consumed) == Some(&b' ') {
        consumed + 1
    } else {
        consumed
    };
    Some((
        Prefix {
            user,
            ip,
            trace,
            method,
            url,
        },
        consumed,
    ))
}

/// Finds the string value of `"key":"` in a JSON line (egg writes compact JSON); returns the
/// raw (still escaped) bytes between the quotes.
pub fn json_str<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = memmem::find(line, key)?;
    let v = &line[at + key.len()..];
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'\\' => i += 2,
            b'"' => return Some(&v[..i]),
            _ => i += 1,
        }
    }
    None
}

/// Parses one egg JSON log record (fast path for egg's fixed key order; any JSON object with
/// `level`, `date` and `message` works).
pub fn parse_json_record(line: &[u8]) -> Option<Header<'_>> {
    if line.first() != Some(&b'{') {
        return None;
    }
    let level = Level::parse(json_str(line, b"\"level\":\"")?)?;
    let (ts, _) = parse_timestamp(json_str(line, b"\"date\":\"")?)?;
    let pid = memmem::find(line, b"\"pid\":")
        .and_then(|at| {
            let v = &line[at + 6..];
            let end = v
                .iter()
                .position(|c| !c.is_ascii_digit())
                .unwrap_or(v.len());
            num(&v[..end])
        })
        .and_then(|p| u32::try_from(p).ok())
        .unwrap_or(0);
    // `paddingMessage` has no trailing space; the URL token then ends at the closing `]`.
    let prefix =
        json_str(line, b"\"paddingMessage\":\"").and_then(|p| parse_prefix(p).map(|(p, _)| p));
    let message = json_str(line, b"\"message\":\"").unwrap_or(b"");
    Some(Header {
        ts,
        level,
        pid,
        prefix,
        message,
    })
}

/// The first line of a JSON-escaped message (up to the first `\n` escape).
pub fn json_first_line(msg: &[u8]) -> &[u8] {
    match memmem::find(msg, b"\\n") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

/// The error name of an error record's message: `nodejs.ForbiddenError: ...` → `ForbiddenError`
/// (also `framework.X`).
pub fn error_name(message: &[u8]) -> Option<&[u8]> {
    let rest = message
        .strip_prefix(b"nodejs.")
        .or_else(|| message.strip_prefix(b"framework."))?;
    let end = memchr::memchr(b':', rest)?;
    let name = &rest[..end];
    (!name.is_empty() && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_'))
        .then_some(name)
}

/// The HTTP status of an http-errors error name (`ForbiddenError` → 403), as thrown by
/// `ctx.throw(status)` and egg-security.
pub fn status_of_error_name(name: &[u8]) -> Option<u16> {
    Some(match name {
        b"BadRequestError" => 400,
        b"UnauthorizedError" => 401,
        b"PaymentRequiredError" => 402,
        b"ForbiddenError" => 403,
        b"NotFoundError" => 404,
        b"MethodNotAllowedError" => 405,
        b"NotAcceptableError" => 406,
        b"RequestTimeoutError" => 408,
        b"ConflictError" => 409,
        b"PayloadTooLargeError" => 413,
        b"UnsupportedMediaTypeError" => 415,
        b"UnprocessableEntityError" => 422,
        b"TooManyRequestsError" => 429,
        b"InternalServerError" => 500,
        b"NotImplementedError" => 501,
        b"BadGatewayError" => 502,
        b"ServiceUnavailableError" => 503,
        b"GatewayTimeoutError" => 504,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_request_header() {
        let l = b"2026-11-29 01:06:35,253 WARN 11716 [-/127.0.0.1/-/15ms POST /api/login] nodejs.ForbiddenError: missing csrf token";
        let h = parse_text_header(l).unwrap();
        assert_eq!(h.level, Level::Warn);
        assert_eq!(h.pid, 11716);
        let p = h.prefix.unwrap();
        assert_eq!(p.ip, b"127.0.0.1");
        assert_eq!(p.method, b"POST");
        assert_eq!(p.url, b"/api/login");
        assert_eq!(error_name(h.message), Some(&b"ForbiddenError"[..]));
        assert_eq!(format_minute(h.ts), "2026-11-29 01:06");
        assert_eq!(format_rfc3339(h.ts), "2026-11-29T01:06:35.253Z");
    }

    #[test]
    fn parses_iso_header_perf_timer_and_bracket_in_query() {
        let l =
            b"2026-11-29T01:07:46.281Z INFO 28540 [u1/203.0.113.7/abc/0.531ms GET /a?x=[1]] hello";
        let h = parse_text_header(l).unwrap();
        assert_eq!(h.prefix.unwrap().url, b"/a?x=[1]");
        assert_eq!(h.message, b"hello");
    }

    #[test]
    fn tags_are_message_not_prefix() {
        let l = b"2026-11-29 01:06:17,554 INFO 11604 [master] egg start";
        let h = parse_text_header(l).unwrap();
        assert!(h.prefix.is_none());
        assert_eq!(h.message, b"[master] egg start");
        assert!(parse_text_header(b"    at Object.throw (x.js:1:2)").is_none());
        assert!(parse_text_header(b"pid: 11716").is_none());
    }

    #[test]
    fn parses_json_record() {
        let l = br#"{"paddingMessage":"[-/127.0.0.1/-/7ms POST /api/login]","level":"WARN","date":"2026-11-29 01:06:35,292","pid":11715,"hostname":"vm","message":"[auth] login \"failed\"\nx"}"#;
        let h = parse_json_record(l).unwrap();
        assert_eq!(h.pid, 11715);
        assert_eq!(h.prefix.unwrap().url, b"/api/login");
        assert_eq!(json_first_line(h.message), br#"[auth] login \"failed\""#);
    }

    #[test]
    fn civil_round_trip() {
        for d in [-1000, 0, 1, 20000, 20786] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
