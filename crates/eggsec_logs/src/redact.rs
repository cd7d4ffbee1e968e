//! Streaming redaction: every secret and personal datum the scanner finds is replaced by
//! `[REDACTED:<label>]` in place, line by line, so the line count, the record structure and the
//! JSON escaping stay intact. `--in-place` writes a temporary file beside the original and
//! renames it over the original only when everything was written and synced.

use crate::detect::LineScanner;
use crate::reader::{self, LineReader, SEGMENT_OVERLAP};
use std::io::{self, Write};
use std::path::Path;

/// What a redaction did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedactStats {
    pub lines: u64,
    pub bytes_in: u64,
    pub redactions: u64,
    /// The process ids that held the file open for writing: the values were masked in the
    /// file itself (same length, `*`), not replaced by `[REDACTED:…]` in a copy.
    pub masked_in_place_for: Vec<u32>,
}

/// Errors naming the file.
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: {what} after line {line}: {source}; nothing was replaced")]
    Input {
        path: String,
        what: &'static str,
        line: u64,
        #[source]
        source: io::Error,
    },
}

/// Writes `line` with its hits replaced.
pub(crate) fn write_redacted(
    scanner: &mut LineScanner,
    line: &[u8],
    maybe_anchor: bool,
    out: &mut impl Write,
    count: &mut u64,
) -> io::Result<()> {
    let hits = scanner.scan_hinted(line, maybe_anchor);
    let mut at = 0;
    for h in hits {
        out.write_all(&line[at..h.start])?;
        out.write_all(b"[REDACTED:")?;
        out.write_all(h.rule.label.as_bytes())?;
        out.write_all(b"]")?;
        at = h.end;
        *count += 1;
    }
    out.write_all(&line[at..])
}

/// Redacts a string (used for evidence such as URLs in reports).
pub fn redact_str(s: &str) -> String {
    let mut scanner = LineScanner::new();
    let mut out = Vec::with_capacity(s.len());
    let mut n = 0;
    // Writing to a Vec cannot fail.
    let _ = write_redacted(&mut scanner, s.as_bytes(), true, &mut out, &mut n);
    String::from_utf8_lossy(&out).into_owned()
}

/// Redacts a stream. Long lines arrive as overlapping segments: each segment is redacted
/// without its overlap prefix (the overlap was part of the previous segment), so a value that
/// crosses a boundary is seen whole in the earlier segment's scan.
pub fn redact_stream<R: io::Read, W: Write>(
    input: R,
    out: &mut W,
) -> Result<RedactStats, (io::Error, u64)> {
    let mut lr = LineReader::with_anchor_prefilter(input);
    let mut scanner = LineScanner::new();
    let mut stats = RedactStats::default();
    let mut carry = 0usize;
    loop {
        let line = match lr.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => return Err((e, lr.line_number())),
        };
        let (bytes, number, continued, more, crlf, newline, maybe_anchor) = (
            line.bytes,
            line.number,
            line.continued,
            line.more,
            line.crlf,
            line.newline,
            line.maybe_anchor,
        );
        stats.lines = number;
        let skip = if continued { carry.min(bytes.len()) } else { 0 };
        if more {
            // Write this segment up to where the next one starts; a hit crossing that point is
            // written whole here and the next segment skips past it.
            let cut = bytes.len() - SEGMENT_OVERLAP;
            let hits: Vec<_> = scanner.scan_hinted(bytes, maybe_anchor).to_vec();
            let mut at = skip;
            let mut end = cut;
            for h in &hits {
                if h.end <= skip {
                    continue;
                }
                if h.start >= cut {
                    break;
                }
                let s = h.start.max(at);
                out.write_all(&bytes[at..s]).map_err(|e| (e, number))?;
                out.write_all(b"[REDACTED:").map_err(|e| (e, number))?;
                out.write_all(h.rule.label.as_bytes())
                    .map_err(|e| (e, number))?;
                out.write_all(b"]").map_err(|e| (e, number))?;
                stats.redactions += 1;
                at = h.end;
                end = end.max(h.end);
            }
            if at < end {
                out.write_all(&bytes[at..end]).map_err(|e| (e, number))?;
            }
            carry = end - cut;
        } else {
            write_redacted(
                &mut scanner,
                &bytes[skip..],
                maybe_anchor,
                out,
                &mut stats.redactions,
            )
            .map_err(|e| (e, number))?;
            carry = 0;
            if newline {
                out.write_all(if crlf { b"\r\n" } else { b"\n" })
                    .map_err(|e| (e, number))?;
            }
        }
    }
    stats.bytes_in = lr.bytes_read;
    Ok(stats)
}

/// Redacts `input` to `output` (a file path; `None` = stdout), or in place (`output ==
/// Some(input)` is refused; use [`redact_in_place`]). A `.gz` input is decompressed.
pub fn redact_to(input: &Path, output: Option<&Path>) -> Result<RedactStats, RedactError> {
    let ip = input.display().to_string();
    let (reader, _) = reader::open(input).map_err(|e| RedactError::Io {
        path: ip.clone(),
        source: e,
    })?;
    match output {
        None => {
            let stdout = io::stdout();
            let mut w = io::BufWriter::with_capacity(1 << 20, stdout.lock());
            let stats = redact_stream(reader, &mut w)
                .map_err(|(e, line)| input_err(&ip, input, e, line))?;
            w.flush().map_err(|e| RedactError::Io {
                path: "stdout".into(),
                source: e,
            })?;
            Ok(stats)
        }
        Some(out) if is_stream(out) => {
            // `-o /dev/stdout`, `-o /dev/null`, a FIFO: written into, never replaced.
            let op = out.display().to_string();
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(out)
                .map_err(|e| RedactError::Io {
                    path: op.clone(),
                    source: e,
                })?;
            let mut w = io::BufWriter::with_capacity(1 << 20, file);
            let stats = redact_stream(reader, &mut w)
                .map_err(|(e, line)| input_err(&ip, input, e, line))?;
            w.flush().map_err(|e| RedactError::Io {
                path: op,
                source: e,
            })?;
            Ok(stats)
        }
        Some(out) => write_atomically(input, out, reader),
    }
}

/// A character device or a FIFO: an output that is written into, not replaced.
fn is_stream(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| {
            let t = m.file_type();
            t.is_char_device() || t.is_fifo()
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Redacts a file in place, atomically: the original is replaced only after the redacted copy
/// is complete and synced; on any error the original is untouched. A `.gz` file stays gzip.
///
/// A live log (lines appended while it is redacted) loses nothing: the copy follows the file
/// to its end until no line has been appended for [`SETTLE`], a line being written is waited
/// for, and what is appended between the last look and the rename is redacted and appended to
/// the new file. A file another process holds open for writing (Linux `/proc`; the running
/// app's own log) cannot be replaced without losing that process's next lines (they would go
/// to the old file): its values are masked in the file itself instead, each overwritten by as
/// many `*` ([`mask_in_place`]), so no byte moves and the writer's appends are never touched.
/// Refused (nothing written): a symlink (the redacted copy would replace the link while the
/// target keeps every secret), a file with several hard links, and a file truncated, rotated
/// or replaced during the run. The owner, group and mode are kept,
/// and so is gzip compression (decided by the content, not the name; a gzip log that changes
/// is refused). Temp files left by a killed run (`.eggsec-redact-<pid>-*` of a process that is
/// gone) are removed.
///
/// With `follow`, a symlink is resolved and its target is redacted in place (the link stays a
/// link, now to the redacted file); the target obeys the same rules.
pub fn redact_in_place(path: &Path, follow: bool) -> Result<RedactStats, RedactError> {
    redact_in_place_with(path, follow, &mut || {})
}

/// How long a live log must stay unchanged before its end is taken as the end.
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(150);
/// How long a last line without its newline is waited for.
const PARTIAL_LINE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The file at its current end, read while it grows: end of input only once no byte has been
/// appended for [`SETTLE`] (and a last line without its newline has had
/// [`PARTIAL_LINE_WAIT`] to end). `at_end` runs each time the end is reached (tests append
/// there). Truncation is an error.
struct LiveTail<'a> {
    file: std::fs::File,
    pos: u64,
    /// The size when the run began: a file that never grows past it ends at once.
    started: u64,
    last_byte: Option<u8>,
    at_end: &'a mut dyn FnMut(),
}

impl io::Read for LiveTail<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::time::Instant;
        let mut quiet_since: Option<Instant> = None;
        loop {
            let n = self.file.read(buf)?;
            if n > 0 {
                self.pos += n as u64;
                self.last_byte = Some(buf[n - 1]);
                return Ok(n);
            }
            (self.at_end)();
            let size = self.file.metadata()?.len();
            if size < self.pos {
                return Err(io::Error::other(format!(
                    "input truncated while it was redacted (from {} to {size} bytes)",
                    self.pos
                )));
            }
            if size > self.pos {
                continue;
            }
            if self.pos == self.started && quiet_since.is_none() {
                // Never grew: not a live log, the end is the end.
                return Ok(0);
            }
            let quiet = *quiet_since.get_or_insert_with(Instant::now);
            let wait = if self.last_byte.is_none_or(|b| b == b'\n') {
                SETTLE
            } else {
                PARTIAL_LINE_WAIT
            };
            if quiet.elapsed() >= wait {
                return Ok(0);
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Processes other than this one that hold `meta`'s file open for writing (Linux `/proc`;
/// processes of other users are not visible without privileges).
fn writers_of(meta: &std::fs::Metadata) -> Vec<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let me = std::process::id();
        let mut out = Vec::new();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return out;
        };
        for p in procs.flatten() {
            let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if pid == me {
                continue;
            }
            let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
                continue;
            };
            for fd in fds.flatten() {
                let Ok(m) = std::fs::metadata(fd.path()) else {
                    continue;
                };
                if m.dev() != meta.dev() || m.ino() != meta.ino() {
                    continue;
                }
                let info = p.path().join("fdinfo").join(fd.file_name());
                let flags = std::fs::read_to_string(info).ok().and_then(|t| {
                    t.lines()
                        .find_map(|l| l.strip_prefix("flags:"))
                        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
                });
                // O_WRONLY = 1, O_RDWR = 2.
                if flags.is_some_and(|f| f & 3 != 0) && !out.contains(&pid) {
                    out.push(pid);
                }
            }
        }
        out
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = meta;
        Vec::new()
    }
}

fn redact_in_place_with(
    path: &Path,
    follow: bool,
    at_end: &mut dyn FnMut(),
) -> Result<RedactStats, RedactError> {
    let p = path.display().to_string();
    let io_at = |e| RedactError::Io {
        path: p.clone(),
        source: e,
    };
    let mut link = std::fs::symlink_metadata(path).map_err(io_at)?;
    let resolved;
    let path = if follow && link.file_type().is_symlink() {
        resolved = std::fs::canonicalize(path).map_err(io_at)?;
        link = std::fs::symlink_metadata(&resolved).map_err(io_at)?;
        resolved.as_path()
    } else {
        path
    };
    let p = path.display().to_string();
    let refuse = |why: String| RedactError::Io {
        path: p.clone(),
        source: io::Error::other(format!("{why}; nothing was replaced")),
    };
    if link.file_type().is_symlink() {
        return Err(refuse(
            "is a symlink: pass --follow to redact its target (the link itself would be replaced)"
                .into(),
        ));
    }
    if !link.is_file() {
        return Err(refuse("is not a regular file".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if link.nlink() > 1 {
            return Err(refuse(format!(
                "has {} hard links: the other names would keep the secrets",
                link.nlink()
            )));
        }
    }
    clean_stale_temp_files(
        path.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    );
    let writers = writers_of(&link);
    if !writers.is_empty() && !reader::is_gzip(path).unwrap_or(false) {
        let mut stats = mask_in_place(path, &link, at_end).map_err(io_at_path(&p))?;
        stats.masked_in_place_for = writers;
        return Ok(stats);
    }
    let before = link.len();
    let (reader, _) = reader::open(path).map_err(|e| RedactError::Io {
        path: p.clone(),
        source: e,
    })?;
    let gzip = reader::is_gzip(path).unwrap_or(false);
    if gzip {
        return write_atomically_checked(path, path, reader, Some(true), Some((before, &link)));
    }
    drop(reader);
    let file = std::fs::File::open(path).map_err(io_at_path(&p))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata().map_err(io_at_path(&p))?;
        if m.dev() != link.dev() || m.ino() != link.ino() {
            return Err(refuse("was replaced as it was opened".into()));
        }
    }
    let old = file.try_clone().map_err(io_at_path(&p))?;
    let tail = LiveTail {
        file,
        pos: 0,
        started: before,
        last_byte: None,
        at_end,
    };
    let stats = write_atomically_checked(path, path, tail, Some(false), Some((before, &link)))?;
    // Lines appended between the copy's last look and the rename went to the old file: they
    // are redacted and appended to the new one.
    drain_old_tail(&old, stats.bytes_in, path).map_err(io_at_path(&p))?;
    Ok(stats)
}

/// Redacts a log another process is writing, in the file itself: every value found is
/// overwritten by as many `*` (a placeholder the scanner never reports again), at its own
/// offset, so the file keeps its inode, size and every byte around the values, and appends
/// made meanwhile are never overwritten. Followed to its end like the copy ([`LiveTail`]). Not
/// atomic, but never lossy: a run killed midway leaves some values masked, and the next run
/// masks the rest.
pub fn mask_in_place(
    path: &Path,
    expected: &std::fs::Metadata,
    at_end: &mut dyn FnMut(),
) -> io::Result<RedactStats> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let meta = file.metadata()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.dev() != expected.dev() || meta.ino() != expected.ino() {
            return Err(io::Error::other(
                "was replaced as it was opened; nothing was changed",
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = expected;
    let tail = LiveTail {
        file: file.try_clone()?,
        pos: 0,
        started: meta.len(),
        last_byte: None,
        at_end,
    };
    let mut lr = LineReader::with_anchor_prefilter(tail);
    let mut scanner = LineScanner::new();
    let mut stats = RedactStats::default();
    let mut stars = Vec::new();
    while let Some(line) = lr.next_line()? {
        stats.lines = line.number;
        for h in scanner.scan_hinted(line.bytes, line.maybe_anchor) {
            let value = &line.bytes[h.start..h.end];
            if value.iter().all(|&b| b == b'*') {
                continue;
            }
            stars.clear();
            stars.resize(value.len(), b'*');
            write_at(&file, &stars, line.offset + h.start as u64)?;
            stats.redactions += 1;
        }
    }
    stats.bytes_in = lr.bytes_read;
    file.sync_all()?;
    Ok(stats)
}

#[cfg(unix)]
fn write_at(file: &std::fs::File, bytes: &[u8], at: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, at)
}

#[cfg(not(unix))]
fn write_at(file: &std::fs::File, bytes: &[u8], at: u64) -> io::Result<()> {
    use io::{Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(at))?;
    f.write_all(bytes)
}

fn io_at_path(p: &str) -> impl Fn(io::Error) -> RedactError + '_ {
    move |e| RedactError::Io {
        path: p.to_string(),
        source: e,
    }
}

/// Appends the redaction of `old[from..]` (the replaced file, still open) to `path`.
fn drain_old_tail(old: &std::fs::File, from: u64, path: &Path) -> io::Result<()> {
    use io::{Seek, SeekFrom};
    let mut old = old;
    if old.metadata()?.len() <= from {
        return Ok(());
    }
    old.seek(SeekFrom::Start(from))?;
    let out = std::fs::OpenOptions::new().append(true).open(path)?;
    let mut w = io::BufWriter::new(out);
    redact_stream(old, &mut w).map_err(|(e, _)| e)?;
    w.flush()?;
    w.get_ref().sync_all()
}

/// Removes `.eggsec-redact-<pid>-*` temp files in `dir` whose process is gone (a killed run).
pub fn clean_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Some(rest) = name.strip_prefix(".eggsec-redact-") else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn input_err(ip: &str, input: &Path, e: io::Error, line: u64) -> RedactError {
    let gz = reader::is_gzip(input).unwrap_or(false);
    if e.kind() == io::ErrorKind::Other && e.to_string().starts_with("output") {
        return RedactError::Io {
            path: ip.into(),
            source: e,
        };
    }
    RedactError::Input {
        path: ip.into(),
        what: if gz {
            "truncated or corrupt gzip stream"
        } else {
            "read error"
        },
        line,
        source: e,
    }
}

fn write_atomically(
    input: &Path,
    out: &Path,
    reader: Box<dyn io::Read + Send>,
) -> Result<RedactStats, RedactError> {
    write_atomically_checked(input, out, reader, None, None)
}

fn write_atomically_checked(
    input: &Path,
    out: &Path,
    reader: impl io::Read,
    gzip: Option<bool>,
    in_place: Option<(u64, &std::fs::Metadata)>,
) -> Result<RedactStats, RedactError> {
    let op = out.display().to_string();
    let ip = input.display().to_string();
    eggsec_report::input::check_replaceable(out).map_err(|e| RedactError::Io {
        path: op.clone(),
        source: e,
    })?;
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".eggsec-redact-{}-", std::process::id()))
        .tempfile_in(dir)
        .map_err(|e| RedactError::Io {
            path: op.clone(),
            source: e,
        })?;
    let gzip_out = gzip.unwrap_or_else(|| out.extension().is_some_and(|e| e == "gz"));
    let file = tmp.as_file().try_clone().map_err(|e| RedactError::Io {
        path: op.clone(),
        source: e,
    })?;
    let io_err = |e| RedactError::Io {
        path: op.clone(),
        source: e,
    };
    let stats = if gzip_out {
        let mut enc = flate2::write::GzEncoder::new(
            io::BufWriter::with_capacity(1 << 20, file),
            flate2::Compression::default(),
        );
        let stats =
            redact_stream(reader, &mut enc).map_err(|(e, line)| input_err(&ip, input, e, line))?;
        let mut w = enc.finish().map_err(io_err)?;
        w.flush().map_err(io_err)?;
        stats
    } else {
        let mut w = io::BufWriter::with_capacity(1 << 20, file);
        let stats =
            redact_stream(reader, &mut w).map_err(|(e, line)| input_err(&ip, input, e, line))?;
        w.flush().map_err(io_err)?;
        stats
    };
    tmp.as_file().sync_all().map_err(io_err)?;
    if let Ok(meta) = std::fs::metadata(input) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    if let Some((before, original)) = in_place {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // Keep the owner and group (a root run must not hand the log to root).
            let _ = std::os::unix::fs::fchown(
                tmp.as_file(),
                Some(original.uid()),
                Some(original.gid()),
            );
        }
        // The name must still be the file that was read (not rotated, nor replaced by
        // another run); a gzip log must not have changed at all.
        let now = std::fs::metadata(input);
        #[cfg(unix)]
        let same = {
            use std::os::unix::fs::MetadataExt;
            now.as_ref()
                .is_ok_and(|m| m.dev() == original.dev() && m.ino() == original.ino())
        };
        #[cfg(not(unix))]
        let same = now.is_ok();
        let grew_gzip = gzip == Some(true) && now.as_ref().is_ok_and(|m| m.len() != before);
        if !same || grew_gzip {
            return Err(RedactError::Io {
                path: ip,
                source: io::Error::other(
                    "was replaced, rotated or changed while it was redacted; nothing was replaced",
                ),
            });
        }
    }
    tmp.persist(out).map_err(|e| RedactError::Io {
        path: op,
        source: e.error,
    })?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_device_output_is_written_into_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("web.log");
        std::fs::write(&input, "password=hunter2hunter2\n").unwrap();
        let stats = redact_to(&input, Some(Path::new("/dev/null"))).unwrap();
        assert_eq!(stats.lines, 1);
        let t = std::fs::metadata("/dev/null").unwrap().file_type();
        assert!(t.is_char_device(), "/dev/null is still a device");
        // The atomic path refuses a device outright, should anything route one there.
        let err = write_atomically(
            &input,
            Path::new("/dev/null"),
            Box::new(std::io::Cursor::new(b"x\n".to_vec())),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a regular file"), "{err}");
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
    }

    #[cfg(unix)]
    #[test]
    fn in_place_refuses_links_and_keeps_gzip_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("app-web.log");
        std::fs::write(&real, "password=hunter2hunter2\n").unwrap();
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(redact_in_place(&link, false)
            .unwrap_err()
            .to_string()
            .contains("symlink"));
        // --follow: the target is redacted, the link stays a link to it.
        redact_in_place(&link, true).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let text = std::fs::read_to_string(&real).unwrap();
        assert!(!text.contains("hunter2hunter2"), "{text}");
        let hard = dir.path().join("hard.log");
        std::fs::hard_link(&real, &hard).unwrap();
        assert!(redact_in_place(&real, false)
            .unwrap_err()
            .to_string()
            .contains("hard links"));
        std::fs::remove_file(&hard).unwrap();
        // gzip content under a plain name stays gzip.
        let gz = dir.path().join("rotated.log.1");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"token=abcdefabcdefabcdef\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        redact_in_place(&gz, false).unwrap();
        assert_eq!(&std::fs::read(&gz).unwrap()[..2], b"\x1f\x8b");
        // A stale temp file of a dead process is removed.
        let stale = dir.path().join(".eggsec-redact-999999999-abc");
        std::fs::write(&stale, "x").unwrap();
        redact_in_place(&real, false).unwrap();
        assert!(!stale.exists());
    }

    #[test]
    fn live_log_lines_appended_during_the_run_are_redacted_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app-web.log");
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!("INFO {i} login password=hunter2hunter2 ok\n"));
        }
        std::fs::write(&log, &text).unwrap();
        let append = |s: &str| {
            let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
            f.write_all(s.as_bytes()).unwrap();
        };
        // Appended at the moments the copy reaches the end: whole lines, then a line in two
        // writes (its secret split across them).
        let mut calls = 0;
        let mut hook = || {
            calls += 1;
            match calls {
                1 => {
                    for j in 0..50 {
                        append(&format!("INFO live {j} token=abcdefabcdef123 k\n"));
                    }
                }
                2 => append("INFO last password=par"),
                3 => append("tial99 tail\n"),
                _ => {}
            }
        };
        let stats = redact_in_place_with(&log, false, &mut hook).unwrap();
        let got = std::fs::read_to_string(&log).unwrap();
        assert_eq!(got.lines().count(), 2051, "nothing lost");
        assert_eq!(stats.lines, 2051);
        for secret in ["hunter2hunter2", "abcdefabcdef123", "partial99", "tial99"] {
            assert!(!got.contains(secret), "{secret} left in the log");
        }
        assert!(
            got.ends_with("INFO last password=[REDACTED:password] tail\n"),
            "{}",
            &got[got.len() - 80..]
        );
        assert!(got.contains("INFO live 49 token=[REDACTED:token] k\n"));
        // Look-alike: a file nobody appends to ends at once and is redacted the same way.
        let quiet = dir.path().join("quiet.log");
        std::fs::write(&quiet, "password=hunter2hunter2\n").unwrap();
        redact_in_place(&quiet, false).unwrap();
        assert_eq!(
            std::fs::read_to_string(&quiet).unwrap(),
            "password=[REDACTED:password]\n"
        );
    }

    #[test]
    fn a_log_truncated_during_the_run_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app-web.log");
        std::fs::write(&log, "password=hunter2hunter2\n".repeat(100)).unwrap();
        let mut calls = 0;
        let mut hook = || {
            calls += 1;
            if calls == 1 {
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&log)
                    .unwrap()
                    .write_all(b"x\n")
                    .unwrap();
            } else if calls == 2 {
                std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&log)
                    .unwrap();
            }
        };
        let err = redact_in_place_with(&log, false, &mut hook)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("truncated") && err.contains("nothing was replaced"),
            "{err}"
        );
    }

    /// A process that holds the log open for writing (the running app) would write its next
    /// lines into a replaced file: its values are masked in the file itself, same length, so
    /// its appends land where they belong and nothing is lost. A process that only reads it is
    /// no reason (look-alike): that log is replaced by its redacted copy as usual.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_log_held_open_for_writing_is_masked_in_place_and_its_appends_kept() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app-web.log");
        let text = "INFO login password=hunter2hunter2 phone 13800138000 ok\n".repeat(3000);
        std::fs::write(&log, &text).unwrap();
        let hold = |redir: &str| {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("exec 3{redir}\"$0\"; exec sleep 60"))
                .arg(&log)
                .spawn()
                .unwrap()
        };
        let wait_for = |pid: u32| {
            for _ in 0..500 {
                if std::fs::read_dir(format!("/proc/{pid}/fd"))
                    .map(|d| d.flatten().any(|e| e.file_name() == "3"))
                    .unwrap_or(false)
                {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            panic!("the holder never opened the log");
        };
        let mut writer = hold(">>");
        wait_for(writer.id());
        let ino = std::fs::metadata(&log).unwrap().ino();
        // The writer's own fd appends while the run reads (at its end-of-file moments).
        let mut w = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let mut calls = 0;
        let mut appended = 0;
        let mut hook = || {
            calls += 1;
            if calls <= 3 {
                for j in 0..20 {
                    let line = format!("INFO live {calls}.{j} token=abcdefabcdef123 k\n");
                    w.write_all(line.as_bytes()).unwrap();
                    appended += line.len();
                }
            }
        };
        let stats = redact_in_place_with(&log, false, &mut hook).unwrap();
        let _ = writer.kill();
        let _ = writer.wait();
        assert_eq!(stats.masked_in_place_for, vec![writer.id()]);
        let got = std::fs::read_to_string(&log).unwrap();
        assert_eq!(std::fs::metadata(&log).unwrap().ino(), ino, "same file");
        assert_eq!(got.lines().count(), 3060, "nothing lost");
        assert_eq!(got.len(), text.len() + appended, "no byte moved");
        for secret in ["hunter2hunter2", "13800138000", "abcdefabcdef123"] {
            assert!(!got.contains(secret), "{secret} left");
        }
        let masked = format!(
            "INFO login password={} phone {} ok\n",
            "*".repeat(14),
            "*".repeat(11)
        );
        assert!(got.starts_with(&masked), "{}", &got[..80]);
        assert!(got.ends_with(&format!("INFO live 3.19 token={} k\n", "*".repeat(15))));
        // A second run finds nothing left to mask.
        let mut writer = hold(">>");
        wait_for(writer.id());
        let again = redact_in_place(&log, false).unwrap();
        let _ = writer.kill();
        let _ = writer.wait();
        assert_eq!(again.redactions, 0);
        // Look-alike: a reader only → the usual atomic copy with [REDACTED:…] labels.
        let mut reader = hold("<");
        wait_for(reader.id());
        std::fs::write(&log, "password=hunter2hunter2\n").unwrap();
        let stats = redact_in_place(&log, false).unwrap();
        let _ = reader.kill();
        let _ = reader.wait();
        assert!(stats.masked_in_place_for.is_empty());
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "password=[REDACTED:password]\n"
        );
    }

    fn redact(input: &str) -> String {
        let mut out = Vec::new();
        redact_stream(input.as_bytes(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn keeps_structure_and_json_escaping() {
        let text = "2026-11-29 01:06:35,292 INFO 11715 [-/127.0.0.1/-/6ms POST /api/login] login attempt user=admin password=123456\n    at x (y.js:1:2)\r\nlast";
        let got = redact(text);
        assert_eq!(
            got,
            "2026-11-29 01:06:35,292 INFO 11715 [-/127.0.0.1/-/6ms POST /api/login] login attempt user=admin password=[REDACTED:password]\n    at x (y.js:1:2)\r\nlast"
        );
        let json = r#"{"level":"INFO","date":"2026-11-29 01:06:35,340","pid":1,"hostname":"vm","message":"create order {\"card\":\"4111 1111 1111 1111\",\"phone\":\"+86 139-1234-5678\",\"password\":\"a\\\"b\"}"}"#;
        let got = redact(json);
        let v: serde_json::Value = serde_json::from_str(&got).expect("still JSON");
        let msg = v["message"].as_str().unwrap();
        assert!(msg.contains(r#""card":"[REDACTED:card]""#), "{msg}");
        assert!(msg.contains(r#""phone":"+86 [REDACTED:mobile]""#), "{msg}");
        assert!(!msg.contains("4111"));
    }

    #[test]
    fn multi_line_private_key_is_redacted_line_by_line() {
        let got = redact("key -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nabc\n-----END PRIVATE KEY----- done\nok\n");
        assert_eq!(
            got,
            "key [REDACTED:private-key]\n[REDACTED:private-key]\n[REDACTED:private-key]\n[REDACTED:private-key] done\nok\n"
        );
    }
}
