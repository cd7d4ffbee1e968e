//! Reading an input file safely: every file eggsec reads (package.json, lockfiles, advisories,
//! `eggsec.toml`, baselines, logs) goes through [`read_limited`] or [`open_regular`], so that a
//! FIFO, a device (`/dev/zero`), a socket or a huge (or sparse) file never hangs or exhausts
//! the run: non-regular files are refused before they are opened for reading, and the size is
//! checked on the open handle before anything is read.

use std::fs::File;
use std::path::Path;

/// Why an input file was not read.
#[derive(Debug)]
pub enum InputError {
    NotFound,
    /// A FIFO, a device, a socket or a directory.
    NotRegular(&'static str),
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::NotFound => f.write_str("no such file"),
            InputError::NotRegular(what) => write!(f, "not a regular file ({what}); not read"),
            InputError::TooLarge { size, limit } => {
                write!(
                    f,
                    "too large ({size} bytes; the limit is {limit}); not read"
                )
            }
            InputError::Io(e) => write!(f, "cannot read: {e}"),
        }
    }
}

impl std::error::Error for InputError {}

fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading only if it is a regular file of at most `limit` bytes (symlinks
/// followed). Never blocks on a FIFO.
pub fn open_regular(path: &Path, limit: u64) -> Result<(File, u64), InputError> {
    use eggsec_fs::OpenError;
    let (file, meta) = eggsec_fs::open_regular(path).map_err(|e| match e {
        OpenError::Lookup(e) if e.kind() == std::io::ErrorKind::NotFound => InputError::NotFound,
        OpenError::Lookup(e) | OpenError::Open(e) => InputError::Io(e),
        OpenError::NotRegular(t) => InputError::NotRegular(kind_of(t)),
    })?;
    if meta.len() > limit {
        return Err(InputError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok((file, meta.len()))
}

/// Reads a regular file of at most `limit` bytes (see [`open_regular`]), as big as the open
/// handle said it was ([`eggsec_fs::read_sized`]).
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    // read already in this run (a regular file, whole): its size is checked against this
    // reader's limit as the open handle's would be
    if let Some(bytes) = eggsec_fs::cached_bytes(path) {
        if bytes.len() as u64 > limit {
            return Err(InputError::TooLarge {
                size: bytes.len() as u64,
                limit,
            });
        }
        return Ok(bytes.to_vec());
    }
    let (mut file, len) = open_regular(path, limit)?;
    let buf = eggsec_fs::read_sized(&mut file, len, limit).map_err(InputError::Io)?;
    if buf.len() as u64 > limit {
        return Err(InputError::TooLarge {
            size: buf.len() as u64,
            limit,
        });
    }
    eggsec_fs::remember_bytes(path, &buf);
    Ok(buf)
}

/// Text as npm reads it: a UTF-8 byte-order mark is dropped, and bytes that are not UTF-8
/// (a Latin-1 `é`) become U+FFFD. Returns the text and, when it was not valid UTF-8, the byte
/// offset of the first bad byte.
pub fn decode_like_npm(bytes: &[u8]) -> (String, Option<usize>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => (
            String::from_utf8_lossy(bytes).into_owned(),
            Some(e.valid_up_to()),
        ),
    }
}

/// Reads a source file (JS, TS, a template) as Node reads it: regular, at most `limit` bytes, a
/// BOM dropped, an invalid byte (a GBK or Latin-1 comment) as U+FFFD — the code runs all the
/// same, so it is read, not refused. Never for a file that is then written back.
pub fn read_source_text(path: &Path, limit: u64) -> Result<String, InputError> {
    read_limited(path, limit).map(|bytes| decode_like_npm(&bytes).0)
}

/// Reads a text input (`eggsec.toml`, a baseline, an advisory file): regular, at most `limit`
/// bytes, UTF-8 (a BOM is dropped).
pub fn read_text_limited(path: &Path, limit: u64) -> Result<String, InputError> {
    let bytes = read_limited(path, limit)?;
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .map(<[u8]>::to_vec)
        .unwrap_or(bytes);
    String::from_utf8(bytes).map_err(|e| {
        InputError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 (byte {} is not valid)",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_and_large_files_and_decodes_like_npm() {
        assert!(matches!(
            read_limited(Path::new("/dev/zero"), 1024),
            Err(InputError::NotRegular(_))
        ));
        let dir = std::env::temp_dir().join(format!("eggsec-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        let f = File::create(&big).unwrap();
        f.set_len(1 << 30).unwrap(); // sparse: nothing is read
        assert!(matches!(
            read_limited(&big, 4096),
            Err(InputError::TooLarge { .. })
        ));
        assert_eq!(
            decode_like_npm(b"\xEF\xBB\xBF{\"name\":\"caf\xE9\"}"),
            ("{\"name\":\"caf\u{FFFD}\"}".to_string(), Some(12))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("eggsec-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("package.json");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            assert!(matches!(
                read_limited(&fifo, 4096),
                Err(InputError::NotRegular("a FIFO"))
            ));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Checks that `path` may be replaced by renaming a temporary file over it: it does not exist
/// yet, or it is a regular file (a symlink is followed). A device (`/dev/null`), a FIFO, a
/// socket or a directory is refused: renaming over `/dev/null` would swap the machine's device
/// for a regular file. Every atomic write of eggsec (ledger, advisory database, watch state,
/// redacted logs, fixed config) calls this before its rename.
pub fn check_replaceable(path: &Path) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) => Err(std::io::Error::other(format!(
            "{}: not a regular file ({}); it is never replaced",
            path.display(),
            kind_of(m.file_type())
        ))),
    }
}

#[cfg(test)]
mod replaceable_tests {
    use super::check_replaceable;

    #[test]
    fn devices_fifos_and_directories_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_replaceable(&dir.path().join("new.json")).is_ok());
        let file = dir.path().join("old.json");
        std::fs::write(&file, "{}").unwrap();
        assert!(check_replaceable(&file).is_ok());
        let err = check_replaceable(dir.path()).unwrap_err().to_string();
        assert!(err.contains("a directory"), "{err}");
        #[cfg(unix)]
        {
            let err = check_replaceable(std::path::Path::new("/dev/null"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("/dev/null: not a regular file (a device)"),
                "{err}"
            );
            let fifo = dir.path().join("fifo");
            assert!(std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success());
            let err = check_replaceable(&fifo).unwrap_err().to_string();
            assert!(err.contains("a FIFO"), "{err}");
        }
    }
}
