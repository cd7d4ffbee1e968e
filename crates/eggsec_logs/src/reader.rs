//! Streaming line reader: fixed-size buffer, `.gz` transparently, lines longer than
//! [`MAX_LINE`] delivered in segments (never a whole-file or whole-line allocation).

use flate2::read::MultiGzDecoder;
use memchr::memchr;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The longest piece of one line handed to the detectors at once. A longer line is delivered
/// as consecutive segments (with the same line number) that overlap by [`SEGMENT_OVERLAP`]
/// bytes, so a secret across a segment boundary is still seen whole.
pub const MAX_LINE: usize = 1 << 20;
/// Bytes shared between consecutive segments of a long line.
pub const SEGMENT_OVERLAP: usize = 4096;
const READ_CHUNK: usize = 256 * 1024;

/// One line (or one segment of a long line), without its `\n` / `\r\n`.
#[derive(Debug)]
pub struct Line<'a> {
    /// The bytes (not necessarily UTF-8).
    pub bytes: &'a [u8],
    /// 1-based line number.
    pub number: u64,
    /// This is a later segment of a line longer than [`MAX_LINE`]: its first
    /// [`SEGMENT_OVERLAP`] bytes repeat the end of the previous segment.
    pub continued: bool,
    /// The line goes on in the next segment.
    pub more: bool,
    /// The line ended with `\r\n` (the redactor writes it back the same way).
    pub crlf: bool,
    /// The line ended with a newline (false only for a last line without one).
    pub newline: bool,
    /// False when the reader's block prefilter (see [`LineReader::with_anchor_prefilter`])
    /// proved that no secret anchor occurs in these bytes; always true without it.
    pub maybe_anchor: bool,
    /// Stream offset of `bytes[0]` (in the decompressed stream for gzip).
    pub offset: u64,
}

/// Where secret anchors may be, found once per read block (not once per line): the block is
/// ASCII-lowercased and searched with [`crate::secrets::anchor_prefilter`].
struct BlockPrefilter {
    searcher: &'static aho_corasick::packed::Searcher,
    /// Longest prefilter pattern, in bytes.
    max_len: usize,
    lower: Vec<u8>,
    /// Candidate spans (stream offsets, sorted by start), not yet behind the current line.
    cands: std::collections::VecDeque<(u64, u64)>,
}

impl BlockPrefilter {
    /// Searches `fresh` (stream offset `at`), preceded in the buffer by `before` older bytes
    /// (their last `max_len - 1` are searched again, for a pattern across the block boundary).
    fn add(&mut self, buf: &[u8], fresh_start: usize, fresh_end: usize, at: u64) {
        let back = (self.max_len - 1).min(fresh_start);
        let mut from = fresh_start - back;
        // Never report a span starting before the last one ends: such an occurrence overlaps
        // the last span, so its line is flagged already.
        if let Some(&(_, last_end)) = self.cands.back() {
            let floor = last_end.saturating_sub(at - fresh_start as u64) as usize;
            from = from.max(floor.min(fresh_end));
        }
        let src = &buf[from..fresh_end];
        self.lower.clear();
        self.lower.resize(src.len(), 0);
        for (d, c) in self.lower.iter_mut().zip(src) {
            *d = c.to_ascii_lowercase();
        }
        let base = at - (fresh_start - from) as u64;
        for m in self.searcher.find_iter(&self.lower) {
            self.cands
                .push_back((base + m.start() as u64, base + m.end() as u64));
        }
    }

    /// Whether a candidate span intersects `[s, e)` (stream offsets; calls in increasing `s`).
    fn maybe(&mut self, s: u64, e: u64) -> bool {
        while self.cands.front().is_some_and(|c| c.1 <= s) {
            self.cands.pop_front();
        }
        self.cands.front().is_some_and(|c| c.0 < e)
    }
}

/// Reads lines from any byte source with a bounded buffer.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    number: u64,
    in_long: bool,
    /// Bytes consumed from the (decompressed) stream so far.
    pub bytes_read: u64,
    prefilter: Option<BlockPrefilter>,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: vec![0; MAX_LINE + READ_CHUNK],
            start: 0,
            end: 0,
            eof: false,
            number: 0,
            in_long: false,
            bytes_read: 0,
            prefilter: None,
        }
    }

    /// Also finds, per read block, where secret anchors may occur, so each [`Line`] says
    /// whether the secret pass can skip it ([`Line::maybe_anchor`]).
    pub fn with_anchor_prefilter(inner: R) -> Self {
        let mut r = Self::new(inner);
        r.prefilter =
            crate::secrets::anchor_prefilter().map(|(searcher, max_len)| BlockPrefilter {
                searcher,
                max_len,
                lower: Vec::with_capacity(READ_CHUNK + 64),
                cands: std::collections::VecDeque::new(),
            });
        r
    }

    /// Stream offset of `buf[i]`.
    fn offset(&self, i: usize) -> u64 {
        self.bytes_read - (self.end - i) as u64
    }

    fn maybe_anchor(&mut self, s: usize, e: usize) -> bool {
        let (so, eo) = (self.offset(s), self.offset(e));
        self.prefilter.as_mut().is_none_or(|p| p.maybe(so, eo))
    }

    /// The number of the last line returned (0 before the first).
    pub fn line_number(&self) -> u64 {
        self.number
    }

    /// The next line or segment; `Ok(None)` at the end. A read error (e.g. a truncated gzip
    /// stream) is returned once; what was read before it has been delivered.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            if let Some(pos) = memchr(b'\n', &self.buf[self.start..self.end]) {
                let s = self.start;
                let mut e = s + pos;
                self.start = e + 1;
                let crlf = e > s && self.buf[e - 1] == b'\r';
                if crlf {
                    e -= 1;
                }
                let continued = self.in_long;
                if !continued {
                    self.number += 1;
                }
                self.in_long = false;
                let maybe_anchor = self.maybe_anchor(s, e);
                let offset = self.offset(s);
                return Ok(Some(Line {
                    bytes: &self.buf[s..e],
                    number: self.number,
                    continued,
                    more: false,
                    crlf,
                    newline: true,
                    maybe_anchor,
                    offset,
                }));
            }
            if self.eof {
                if self.start < self.end {
                    let (s, e) = (self.start, self.end);
                    self.start = self.end;
                    let continued = self.in_long;
                    if !continued {
                        self.number += 1;
                    }
                    self.in_long = false;
                    let maybe_anchor = self.maybe_anchor(s, e);
                    let offset = self.offset(s);
                    return Ok(Some(Line {
                        bytes: &self.buf[s..e],
                        number: self.number,
                        continued,
                        more: false,
                        crlf: false,
                        newline: false,
                        maybe_anchor,
                        offset,
                    }));
                }
                return Ok(None);
            }
            if self.end - self.start >= MAX_LINE {
                // A long line: hand out MAX_LINE bytes, keep the overlap for the next segment.
                let s = self.start;
                let e = s + MAX_LINE;
                let continued = self.in_long;
                if !continued {
                    self.number += 1;
                }
                self.in_long = true;
                self.start = e - SEGMENT_OVERLAP;
                let maybe_anchor = self.maybe_anchor(s, e);
                let offset = self.offset(s);
                return Ok(Some(Line {
                    bytes: &self.buf[s..e],
                    number: self.number,
                    continued,
                    more: true,
                    crlf: false,
                    newline: false,
                    maybe_anchor,
                    offset,
                }));
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let room = (self.buf.len() - self.end).min(READ_CHUNK);
            let n = loop {
                match self.inner.read(&mut self.buf[self.end..self.end + room]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        // Deliver what is buffered first; report the error after it.
                        self.eof = true;
                        return Err(e);
                    }
                }
            };
            if n == 0 {
                self.eof = true;
            }
            let fresh = self.end;
            self.end += n;
            self.bytes_read += n as u64;
            if n > 0 {
                let at = self.bytes_read - n as u64;
                if let Some(p) = &mut self.prefilter {
                    p.add(&self.buf, fresh, self.end, at);
                }
            }
        }
    }
}

/// Whether the file starts with the gzip magic bytes.
pub fn is_gzip(path: &Path) -> io::Result<bool> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match f.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got == 2 && magic == [0x1f, 0x8b])
}

/// Opens a log file for streaming, decompressing gzip (by magic bytes, not by name).
pub fn open(path: &Path) -> io::Result<(Box<dyn Read + Send>, File)> {
    let gz = is_gzip(path)?;
    let file = File::open(path)?;
    let handle = file.try_clone()?;
    let reader: Box<dyn Read + Send> = if gz {
        Box::new(MultiGzDecoder::new(io::BufReader::with_capacity(
            READ_CHUNK, file,
        )))
    } else {
        Box::new(file)
    };
    Ok((reader, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(u64, Vec<u8>, bool, bool)> {
        let mut r = LineReader::new(input);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((l.number, l.bytes.to_vec(), l.continued, l.more));
        }
        out
    }

    #[test]
    fn splits_lines_and_keeps_last_without_newline() {
        let got = lines(b"a\r\nbb\n\nccc");
        let texts: Vec<_> = got.iter().map(|l| l.1.clone()).collect();
        assert_eq!(
            texts,
            vec![b"a".to_vec(), b"bb".to_vec(), b"".to_vec(), b"ccc".to_vec()]
        );
        assert_eq!(
            got.iter().map(|l| l.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
    }

    /// Hands out a few bytes per read, so anchors straddle read blocks.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn block_prefilter_never_hides_a_secret_or_auth_phrase() {
        let samples = [
            "login user=admin PassWord=hunter2",
            "GET /a?TOKEN=abcd1234secret&x=1",
            "Authorization: Bearer abcdefgh12345",
            "cookie: EGG_SESS=abcDEF123_-x",
            "mysql://root:S3cr3tPass@10.0.0.5:3306/shop",
            "[auth] Login Failed for user bob",
            "aws AKIA2OGYBAH6STMMNXNN.",
            "登录失败 user=alice",
            "plain line with /api/ and session words",
        ];
        let mut input = Vec::new();
        for i in 0..400 {
            input.extend_from_slice(&b"x".repeat(i % 37));
            input.extend_from_slice(samples[i % samples.len()].as_bytes());
            input.extend_from_slice(if i % 5 == 0 { b"\r\n" } else { b"\n" });
        }
        let short = input.len();
        let mut long = vec![b'y'; MAX_LINE + 100];
        long[MAX_LINE - 2..MAX_LINE + 20].copy_from_slice(b"password=hunter2222222");
        input.extend_from_slice(&long);
        input.push(b'\n');
        // Tiny reads on the short lines; the long line (one segment boundary) with big ones.
        for (chunk, len) in [
            (1, short),
            (7, short),
            (4096, input.len()),
            (READ_CHUNK, input.len()),
        ] {
            let input = &input[..len];
            let mut r = LineReader::with_anchor_prefilter(Trickle(input, chunk));
            let mut plain = crate::detect::LineScanner::new();
            let mut hinted = crate::detect::LineScanner::new();
            let mut skipped = 0;
            while let Some(l) = r.next_line().unwrap() {
                let want = plain.scan(l.bytes).to_vec();
                let want_auth = plain.auth_phrase;
                skipped += usize::from(!l.maybe_anchor);
                assert_eq!(hinted.scan_hinted(l.bytes, l.maybe_anchor), &want[..]);
                assert_eq!(hinted.auth_phrase, want_auth, "line {}", l.number);
            }
            assert!(skipped >= 40, "{skipped}");
        }
    }

    #[test]
    fn long_line_comes_in_overlapping_segments_with_one_number() {
        let mut input = vec![b'x'; MAX_LINE * 2 + 10];
        input.extend_from_slice(b"\nnext\n");
        let got = lines(&input);
        assert_eq!(got.len(), 4);
        assert!(got[..3].iter().all(|l| l.0 == 1));
        assert!(got[0].3 && got[1].2 && got[1].3 && got[2].2 && !got[2].3);
        let total: usize = got[..3].iter().map(|l| l.1.len()).sum();
        assert_eq!(total, MAX_LINE * 2 + 10 + 2 * SEGMENT_OVERLAP);
        assert_eq!(got[3], (2, b"next".to_vec(), false, false));
    }
}
