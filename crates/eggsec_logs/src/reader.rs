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
        }
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
                return Ok(Some(Line {
                    bytes: &self.buf[s..e],
                    number: self.number,
                    continued,
                    more: false,
                    crlf,
                    newline: true,
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
                    return Ok(Some(Line {
                        bytes: &self.buf[s..e],
                        number: self.number,
                        continued,
                        more: false,
                        crlf: false,
                        newline: false,
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
                return Ok(Some(Line {
                    bytes: &self.buf[s..e],
                    number: self.number,
                    continued,
                    more: true,
                    crlf: false,
                    newline: false,
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
            self.end += n;
            self.bytes_read += n as u64;
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
