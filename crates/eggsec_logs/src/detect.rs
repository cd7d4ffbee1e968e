//! Secrets + personal data on one line, with the little state that spans lines (the body of a
//! private key printed over several lines). Shared by `scan` and `redact`, so what the scanner
//! reports is exactly what the redactor removes.

use crate::record;
use crate::rules::{self, resolve};
use crate::secrets::{self, Hit};

/// Finds secrets and personal data line by line.
pub struct LineScanner {
    year: i64,
    in_private_key: bool,
    /// Reused per line.
    pub hits: Vec<Hit>,
    /// Offset of an authentication-failure phrase in the last line scanned.
    pub auth_phrase: Option<usize>,
    /// Scratch space for the secret pass (the line, lowercased).
    lower: Vec<u8>,
    maybe_anchor: bool,
}

impl Default for LineScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl LineScanner {
    pub fn new() -> Self {
        LineScanner {
            year: crate::pii::current_year(),
            in_private_key: false,
            hits: Vec::with_capacity(8),
            auth_phrase: None,
            lower: Vec::new(),
            maybe_anchor: true,
        }
    }

    /// Scans one line (or long-line segment); the hits are in `self.hits`, sorted, without
    /// overlaps.
    pub fn scan(&mut self, line: &[u8]) -> &[Hit] {
        self.scan_hinted(line, true)
    }

    /// [`LineScanner::scan`], told whether a secret anchor may occur in `line`
    /// ([`crate::reader::Line::maybe_anchor`]); when not, only personal data is looked for.
    pub fn scan_hinted(&mut self, line: &[u8], maybe_anchor: bool) -> &[Hit] {
        self.maybe_anchor = maybe_anchor;
        self.hits.clear();
        self.auth_phrase = None;
        if self.in_private_key {
            match memchr::memmem::find(line, b"-----END") {
                Some(i) => {
                    let end = memchr::memmem::find(&line[i + 8..], b"-----")
                        .map(|j| i + 8 + j + 5)
                        .unwrap_or(line.len());
                    self.hits.push(Hit {
                        start: 0,
                        end,
                        rule: &rules::PRIVATE_KEY,
                    });
                    self.in_private_key = false;
                    let mut rest = Vec::new();
                    self.scan_fresh(&line[end..], &mut rest);
                    self.hits.extend(rest.into_iter().map(|h| Hit {
                        start: h.start + end,
                        end: h.end + end,
                        rule: h.rule,
                    }));
                }
                None => self.hits.push(Hit {
                    start: 0,
                    end: line.len(),
                    rule: &rules::PRIVATE_KEY,
                }),
            }
            return &self.hits;
        }
        let mut hits = std::mem::take(&mut self.hits);
        self.scan_fresh(line, &mut hits);
        self.hits = hits;
        &self.hits
    }

    fn scan_fresh(&mut self, line: &[u8], out: &mut Vec<Hit>) {
        // Skip the timestamp, level and pid of a text record (never a secret, digit-dense).
        let from = header_len(line);
        if self.maybe_anchor {
            self.auth_phrase = secrets::scan_line_buffered(line, from, &mut self.lower, out);
        }
        crate::pii::scan_line(line, from, self.year, out);
        resolve(out);
        if let Some(last) = out.last() {
            if std::ptr::eq(last.rule, &rules::PRIVATE_KEY)
                && last.end == line.len()
                && memchr::memmem::find(&line[last.start..], b"-----END").is_none()
            {
                self.in_private_key = true;
            }
        }
    }
}

/// Bytes of `YYYY-MM-DD HH:mm:ss,SSS LEVEL PID ` at the start of a text record, else 0.
pub fn header_len(line: &[u8]) -> usize {
    let Some((_, used)) = record::parse_timestamp(line) else {
        return 0;
    };
    let mut i = used + 1;
    while i < line.len() && line[i].is_ascii_uppercase() {
        i += 1;
    }
    i += 1;
    while i < line.len() && line[i].is_ascii_digit() {
        i += 1;
    }
    i.min(line.len())
}
