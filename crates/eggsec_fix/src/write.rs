//! Writes that lose nothing: a file is read once ([`ReadFile`]), the edit is planned on that
//! text, and [`write`] replaces it only if it still holds exactly what was read — under an
//! exclusive lock, through a temporary file in the same directory renamed over the real file
//! (so a kill leaves the old or the new file, never a mix), with the original's mode and owner,
//! through symbolic links (the link stays, its target is edited), never onto a hard-linked file
//! (a rename would split the links), and with the file's line endings.

use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest file eggsec edits.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{0}: changed since eggsec read it; nothing written (run eggsec fix again)")]
    Changed(PathBuf),
    #[error("{0}: has other hard links; eggsec does not replace it (edit it by hand, or break the link)")]
    HardLinked(PathBuf),
    #[error("{0}: not a regular file; nothing written")]
    NotRegular(PathBuf),
    #[error("{0}: exists now but did not when eggsec planned its creation; nothing written")]
    Appeared(PathBuf),
}

fn io(path: &Path, e: impl std::fmt::Display) -> WriteError {
    WriteError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A file as eggsec read it.
#[derive(Clone, Debug)]
pub struct ReadFile {
    /// The path as given (may be a symbolic link).
    pub path: PathBuf,
    /// The file the edit goes to (links resolved).
    pub real: PathBuf,
    pub text: String,
    digest: [u8; 32],
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Reads `path` for editing: a regular file (or a link to one), at most 4 MiB, UTF-8.
pub fn read(path: &Path) -> Result<ReadFile, WriteError> {
    let real = fs::canonicalize(path).map_err(|e| io(path, e))?;
    let meta = fs::metadata(&real).map_err(|e| io(path, e))?;
    if !meta.is_file() {
        return Err(WriteError::NotRegular(path.to_path_buf()));
    }
    if meta.len() > MAX_BYTES {
        return Err(io(
            path,
            format!("larger than {MAX_BYTES} bytes; not edited"),
        ));
    }
    let mut bytes = Vec::new();
    File::open(&real)
        .and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| io(path, "not UTF-8; not edited"))?;
    Ok(ReadFile {
        path: path.to_path_buf(),
        real,
        digest: digest(text.as_bytes()),
        text,
    })
}

/// `new` with the line endings of `old`: when every line of `old` ends in CRLF, lines the edit
/// added with LF get CRLF too (a file never becomes mixed).
pub fn match_line_endings(old: &str, new: &str) -> String {
    let crlf = old.matches("\r\n").count();
    let lf = old.matches('\n').count();
    if crlf == 0 || crlf != lf {
        return new.to_string();
    }
    new.replace("\r\n", "\n").replace('\n', "\r\n")
}

#[cfg(unix)]
fn hard_links(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}
#[cfg(not(unix))]
fn hard_links(_: &fs::Metadata) -> u64 {
    1
}

/// Replaces the file `read` came from with `new`, if it still holds what was read.
pub fn write(read: &ReadFile, new: &str) -> Result<(), WriteError> {
    let real = &read.real;
    let meta = fs::metadata(real).map_err(|e| io(&read.path, e))?;
    if !meta.is_file() {
        return Err(WriteError::NotRegular(read.path.clone()));
    }
    if hard_links(&meta) > 1 {
        return Err(WriteError::HardLinked(read.path.clone()));
    }
    let locked = File::open(real).map_err(|e| io(&read.path, e))?;
    locked.lock().map_err(|e| io(&read.path, e))?;
    // Under the lock: the path must still hold what was read (by content, not by handle: a
    // concurrent writer renames a new file over it).
    let now = fs::read(real).map_err(|e| io(&read.path, e))?;
    if digest(&now) != read.digest {
        return Err(WriteError::Changed(read.path.clone()));
    }
    let dir = real.parent().unwrap_or(Path::new("."));
    clean_stale_temps(dir);
    let tmp = temp_in(dir, real)?;
    fill(&tmp, new, Some(&meta), &read.path)?;
    tmp.persist(real).map_err(|e| io(&read.path, e.error))?;
    sync_dir(dir);
    drop(locked);
    Ok(())
}

/// Creates `path` with `text`; refuses if it exists by then.
pub fn create(path: &Path, text: &str) -> Result<(), WriteError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    clean_stale_temps(dir);
    let tmp = temp_in(dir, path)?;
    fill(&tmp, text, None, path)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => {
            sync_dir(dir);
            Ok(())
        }
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(WriteError::Appeared(path.to_path_buf()))
        }
        Err(e) => Err(io(path, e.error)),
    }
}

/// `.NAME.eggsec-PID-XXXXXX.tmp` beside the file.
fn temp_in(dir: &Path, file: &Path) -> Result<tempfile::NamedTempFile, WriteError> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}.eggsec-{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io(dir, format!("cannot create a temporary file: {e}")))
}

fn fill(
    tmp: &tempfile::NamedTempFile,
    text: &str,
    like: Option<&fs::Metadata>,
    shown: &Path,
) -> Result<(), WriteError> {
    let mut f = tmp.as_file();
    f.write_all(text.as_bytes()).map_err(|e| io(shown, e))?;
    if let Some(meta) = like {
        f.set_permissions(meta.permissions())
            .map_err(|e| io(shown, e))?;
        keep_owner(f, meta, shown)?;
    }
    f.sync_all().map_err(|e| io(shown, e))?;
    Ok(())
}

#[cfg(unix)]
fn keep_owner(f: &File, meta: &fs::Metadata, shown: &Path) -> Result<(), WriteError> {
    use std::os::unix::fs::MetadataExt;
    let mine = f.metadata().map_err(|e| io(shown, e))?;
    if mine.uid() == meta.uid() && mine.gid() == meta.gid() {
        return Ok(());
    }
    std::os::unix::fs::fchown(f, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
        io(
            shown,
            format!(
                "cannot keep its owner {}:{} ({e}); nothing written",
                meta.uid(),
                meta.gid()
            ),
        )
    })
}
#[cfg(not(unix))]
fn keep_owner(_: &File, _: &fs::Metadata, _: &Path) -> Result<(), WriteError> {
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes temporary files left in `dir` by eggsec processes that no longer run (a kill -9).
pub fn clean_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with('.') && name.ends_with(".tmp")) {
            continue;
        }
        let Some(rest) = name.split(".eggsec-").nth(1) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !alive(pid) {
            let _ = fs::remove_file(e.path());
        }
    }
}

fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return true; // cannot tell: keep it
    }
    proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_file_changed_since_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.js");
        fs::write(&p, "a\n").unwrap();
        let r = read(&p).unwrap();
        fs::write(&p, "a\nsaved meanwhile\n").unwrap();
        assert!(matches!(write(&r, "b\n"), Err(WriteError::Changed(_))));
        assert_eq!(fs::read_to_string(&p).unwrap(), "a\nsaved meanwhile\n");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_links_mode_and_refuses_hard_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.js");
        fs::write(&real, "a\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.js");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let r = read(&link).unwrap();
        write(&r, "b\n").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "b\n");
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let hard = dir.path().join("hard.js");
        fs::hard_link(&real, &hard).unwrap();
        let r = read(&hard).unwrap();
        assert!(matches!(write(&r, "c\n"), Err(WriteError::HardLinked(_))));
        assert_eq!(fs::read_to_string(&real).unwrap(), "b\n");
        // No temporary file left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn line_endings_follow_the_file() {
        assert_eq!(
            match_line_endings("a\r\nb\r\n", "a\r\nx\nb\r\n"),
            "a\r\nx\r\nb\r\n"
        );
        assert_eq!(match_line_endings("a\nb\n", "a\nx\nb\n"), "a\nx\nb\n");
        // Mixed stays as it was.
        assert_eq!(match_line_endings("a\r\nb\n", "a\r\nx\nb\n"), "a\r\nx\nb\n");
    }

    #[test]
    fn create_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config/config.prod.js");
        create(&p, "x\n").unwrap();
        assert!(matches!(create(&p, "y\n"), Err(WriteError::Appeared(_))));
        assert_eq!(fs::read_to_string(&p).unwrap(), "x\n");
    }

    #[test]
    fn stale_temps_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".c.js.eggsec-999999999-abc.tmp");
        fs::write(&stale, "partial").unwrap();
        let mine = dir
            .path()
            .join(format!(".c.js.eggsec-{}-abc.tmp", std::process::id()));
        fs::write(&mine, "mine").unwrap();
        clean_stale_temps(dir.path());
        assert!(!stale.exists());
        assert!(mine.exists());
    }
}
