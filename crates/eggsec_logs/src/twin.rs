//! Forged-record detection: every text record egg writes has a JSON twin (`outputJSON`) with
//! the same date, pid and message, where a newline in user input stays an escaped `\n`. A text
//! record start with no twin was forged by log injection. The JSON file is streamed alongside
//! the text file, a few seconds ahead, so memory stays bounded.

use crate::reader::LineReader;
use crate::record;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::io::Read;

/// How far (ms) the JSON side is read ahead of / kept behind the text side.
const AHEAD_MS: i64 = 10_000;
const BEHIND_MS: i64 = 30_000;

/// How far the two transports' dates of one record may differ (each formats its own date:
/// observed 1 ms apart).
const DATE_SLACK_MS: i64 = 1_000;

/// Key of a record: pid and first message line (unescaped); the date is matched with
/// [`DATE_SLACK_MS`] slack.
pub fn key(pid: u32, first_line: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    pid.hash(&mut h);
    first_line.hash(&mut h);
    h.finish()
}

/// Unescapes a JSON string fragment (enough for keys: `\" \\ \/ \t \r \n \uXXXX`).
pub fn unescape_json(s: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() {
            match s[i + 1] {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'u' if i + 5 < s.len() => {
                    let hex = std::str::from_utf8(&s[i + 2..i + 6]).unwrap_or("");
                    if let Some(c) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    i += 6;
                    continue;
                }
                c => out.push(c),
            }
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
}

/// Streams the JSON twin and answers "does this text record have a twin?".
pub struct TwinChecker<R> {
    json: LineReader<R>,
    eof: bool,
    pending: HashMap<u64, Vec<i64>>,
    order: VecDeque<(i64, u64)>,
    json_ts: i64,
    first_json_ts: Option<i64>,
    buf: Vec<u8>,
    trusted_ts: i64,
    /// Text records checked and not found (for the sanity guard).
    pub checked: u64,
    pub missing: u64,
}

impl<R: Read> TwinChecker<R> {
    pub fn new(json: R) -> Self {
        TwinChecker {
            json: LineReader::new(json),
            eof: false,
            pending: HashMap::new(),
            order: VecDeque::new(),
            json_ts: i64::MIN,
            first_json_ts: None,
            buf: Vec::new(),
            trusted_ts: i64::MIN,
            checked: 0,
            missing: 0,
        }
    }

    fn advance_to(&mut self, target: i64) {
        while !self.eof && self.json_ts <= target {
            match self.json.next_line() {
                Ok(Some(l)) => {
                    if l.continued {
                        continue;
                    }
                    if let Some(h) = record::parse_json_record(l.bytes) {
                        let first = record::json_first_line(h.message);
                        unescape_json(first, &mut self.buf);
                        let k = key(h.pid, &self.buf);
                        self.pending.entry(k).or_default().push(h.ts);
                        self.order.push_back((h.ts, k));
                        self.json_ts = self.json_ts.max(h.ts);
                        self.first_json_ts.get_or_insert(h.ts);
                    }
                }
                _ => self.eof = true,
            }
        }
    }

    /// Whether the text record (ts, pid, first message line) has a JSON twin (always true when
    /// the JSON file is empty).
    pub fn has_twin(&mut self, ts: i64, pid: u32, first_line: &[u8]) -> bool {
        // Read ahead from the last trusted time, not from an attacker-chosen timestamp.
        let base = if self.trusted_ts == i64::MIN {
            ts
        } else {
            ts.min(self.trusted_ts + 60_000)
        };
        self.advance_to(base + AHEAD_MS);
        if self.first_json_ts.is_none() {
            return true;
        }
        let k = key(pid, first_line);
        self.checked += 1;
        let found = match self.pending.get_mut(&k) {
            Some(v) => match v.iter().position(|t| (t - ts).abs() <= DATE_SLACK_MS) {
                Some(i) => {
                    v.swap_remove(i);
                    true
                }
                None => false,
            },
            None => false,
        };
        if found {
            self.trusted_ts = self.trusted_ts.max(ts);
            while let Some((t, k)) = self.order.front().copied() {
                if t < self.trusted_ts - BEHIND_MS {
                    self.order.pop_front();
                    if let Some(v) = self.pending.get_mut(&k) {
                        if let Some(i) = v.iter().position(|x| *x == t) {
                            v.swap_remove(i);
                        }
                        if v.is_empty() {
                            self.pending.remove(&k);
                        }
                    }
                } else {
                    break;
                }
            }
        } else {
            self.missing += 1;
        }
        found
    }
}
