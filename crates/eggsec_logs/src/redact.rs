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
/// Refused (nothing written): a symlink (the redacted copy would replace the link while the
/// target keeps every secret), a file with several hard links, and a file that grows while it
/// is redacted (a live log: the lines appended meanwhile would be lost). The owner, group and
/// mode are kept, and so is gzip compression (decided by the content, not the name). Temp
/// files left by a killed run (`.eggsec-redact-<pid>-*` of a process that is gone) are removed.
pub fn redact_in_place(path: &Path) -> Result<RedactStats, RedactError> {
    let p = path.display().to_string();
    let refuse = |why: String| RedactError::Io {
        path: p.clone(),
        source: io::Error::other(format!("{why}; nothing was replaced")),
    };
    let link = std::fs::symlink_metadata(path).map_err(|e| RedactError::Io {
        path: p.clone(),
        source: e,
    })?;
    if link.file_type().is_symlink() {
        return Err(refuse(
            "is a symlink: redact its target instead (the link itself would be replaced)".into(),
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
    let before = link.len();
    let (reader, _) = reader::open(path).map_err(|e| RedactError::Io {
        path: p.clone(),
        source: e,
    })?;
    let gzip = reader::is_gzip(path).unwrap_or(false);
    write_atomically_checked(path, path, reader, Some(gzip), Some((before, &link)))
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
    reader: Box<dyn io::Read + Send>,
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
        let now = std::fs::metadata(input).map(|m| m.len()).unwrap_or(before);
        if now != before {
            return Err(RedactError::Io {
                path: ip,
                source: io::Error::other(format!(
                    "changed while it was redacted ({before} → {now} bytes: a process is still writing it); nothing was replaced — stop or rotate the writer first"
                )),
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
        assert!(redact_in_place(&link)
            .unwrap_err()
            .to_string()
            .contains("symlink"));
        let hard = dir.path().join("hard.log");
        std::fs::hard_link(&real, &hard).unwrap();
        assert!(redact_in_place(&real)
            .unwrap_err()
            .to_string()
            .contains("hard links"));
        std::fs::remove_file(&hard).unwrap();
        // gzip content under a plain name stays gzip.
        let gz = dir.path().join("rotated.log.1");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"token=abcdefabcdefabcdef\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        redact_in_place(&gz).unwrap();
        assert_eq!(&std::fs::read(&gz).unwrap()[..2], b"\x1f\x8b");
        // A stale temp file of a dead process is removed.
        let stale = dir.path().join(".eggsec-redact-999999999-abc");
        std::fs::write(&stale, "x").unwrap();
        redact_in_place(&real).unwrap();
        assert!(!stale.exists());
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
