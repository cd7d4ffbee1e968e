//! Which log a file is: rotation suffixes (`.YYYY-MM-DD`, `.YYYY-MM-DD-HH`, `.N`, `.gz`), the
//! writer's role from egg's default names, and the format from the first bytes.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Text or JSON (`outputJSON`) records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Who writes the file (egg's default file names; anything else is an app/custom log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `<app>-web.log` or a custom logger.
    App,
    /// `egg-web.log` (coreLogger).
    Core,
    /// `egg-agent.log`.
    Agent,
    /// `common-error.log`: a duplicate of every ERROR record.
    CommonError,
    /// `egg-schedule.log`.
    Schedule,
    /// A hand-written access log (`access.log`).
    Access,
    /// `master-stdout.log` / `master-stderr.log` (egg-scripts daemon).
    Master,
}

/// What the scanner knows about one file before reading it.
#[derive(Clone, Debug)]
pub struct FileKind {
    pub format: Format,
    pub role: Role,
    pub gzip: bool,
    /// The rotation suffix (`2026-11-28`, `2026-11-28-01`, `3`), if any.
    pub rotation: Option<String>,
    /// The name without rotation and `.gz` suffixes (`shop-api-web.log`).
    pub base: String,
}

impl FileKind {
    /// The `kind` reported per file: `text`, `json`, `schedule`, `schedule-json`,
    /// `access`, `access-json`, `error`, `error-json`.
    pub fn label(&self) -> String {
        let role = match self.role {
            Role::Schedule => Some("schedule"),
            Role::Access => Some("access"),
            Role::CommonError => Some("error"),
            _ => None,
        };
        match (role, self.format) {
            (None, Format::Text) => "text".into(),
            (None, Format::Json) => "json".into(),
            (Some(r), Format::Text) => r.into(),
            (Some(r), Format::Json) => format!("{r}-json"),
        }
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits a rotated name: `x.log.2026-11-28` → (`x.log`, `2026-11-28`), `x.log.3.gz` →
/// (`x.log`, `3`) with gzip flagged.
pub fn split_rotation(name: &str) -> (String, Option<String>, bool) {
    let (name, gz) = match name.strip_suffix(".gz") {
        Some(n) => (n, true),
        None => (name, false),
    };
    if let Some(dot) = name.rfind('.') {
        let suffix = &name[dot + 1..];
        let parts: Vec<&str> = suffix.split('-').collect();
        let dated = (parts.len() == 3 || parts.len() == 4)
            && parts[0].len() == 4
            && parts[1..].iter().all(|p| p.len() == 2)
            && parts.iter().all(|p| all_digits(p));
        if dated || (all_digits(suffix) && suffix.len() <= 4) {
            let base = &name[..dot];
            if base.ends_with(".log") {
                return (base.to_string(), Some(suffix.to_string()), gz);
            }
        }
    }
    (name.to_string(), None, gz)
}

/// Whether a directory walk should pick this file up: `*.log` after removing rotation and
/// `.gz` suffixes.
pub fn is_log_name(name: &str) -> bool {
    let (base, _, _) = split_rotation(name);
    base.ends_with(".log")
}

/// The role from egg's default file names.
pub fn role_of(base: &str) -> Role {
    let b = base.to_ascii_lowercase();
    if b.starts_with("common-error") {
        Role::CommonError
    } else if b.contains("schedule") {
        Role::Schedule
    } else if b.contains("access") {
        Role::Access
    } else if b.starts_with("egg-agent") {
        Role::Agent
    } else if b.starts_with("egg-web") {
        Role::Core
    } else if b.starts_with("master-std") {
        Role::Master
    } else {
        Role::App
    }
}

/// Classifies a file: name for role/rotation, first bytes for format (JSON if the first
/// non-blank byte is `{` and the name or content says so).
pub fn classify(path: &Path) -> std::io::Result<FileKind> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let (base, rotation, gz_name) = split_rotation(&name);
    let (mut reader, _) = crate::reader::open(path)?;
    let mut head = vec![0u8; 4096];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            // A truncated gzip still classifies from what decompressed.
            Err(_) if got > 0 => break,
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    if head.contains(&0) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "binary file (NUL bytes in the first 4 KiB), not a log",
        ));
    }
    let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let format = if first == Some(b'{') || (first.is_none() && base.ends_with(".json.log")) {
        Format::Json
    } else {
        Format::Text
    };
    Ok(FileKind {
        format,
        role: role_of(&base),
        gzip: gz_name || crate::reader::is_gzip(path).unwrap_or(false),
        rotation,
        base,
    })
}

/// The JSON twin of a text log (`x.log` → `x.json.log`, keeping the rotation suffix).
pub fn json_twin(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().to_string();
    let (base, rotation, gz) = split_rotation(&name);
    let stem = base.strip_suffix(".log")?;
    if stem.ends_with(".json") {
        return None;
    }
    let mut twin = format!("{stem}.json.log");
    if let Some(r) = rotation {
        twin.push('.');
        twin.push_str(&r);
    }
    if gz {
        twin.push_str(".gz");
    }
    let p = path.with_file_name(twin);
    p.is_file().then_some(p)
}

/// The text twin of a JSON log (`x.json.log` → `x.log`), if it exists.
pub fn text_twin(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().to_string();
    let (base, rotation, gz) = split_rotation(&name);
    let stem = base.strip_suffix(".json.log")?;
    let mut twin = format!("{stem}.log");
    if let Some(r) = rotation {
        twin.push('.');
        twin.push_str(&r);
    }
    if gz {
        twin.push_str(".gz");
    }
    let p = path.with_file_name(twin);
    p.is_file().then_some(p)
}

/// Walks `root` (not following symlinks) and returns the log files in name order. A file
/// named explicitly is always taken.
pub fn walk(root: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let meta = match std::fs::symlink_metadata(root) {
        Ok(m) => m,
        Err(e) => {
            errors.push(format!("{}: {e}", root.display()));
            return;
        }
    };
    if !meta.is_dir() {
        out.push(root.to_path_buf());
        return;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                errors.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let Ok(ft) = e.file_type() else { continue };
            let p = e.path();
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() && is_log_name(&e.file_name().to_string_lossy()) {
                out.push(p);
            }
        }
    }
    out.sort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_names() {
        assert_eq!(
            split_rotation("shop-api-web.log.2026-11-28"),
            ("shop-api-web.log".into(), Some("2026-11-28".into()), false)
        );
        assert_eq!(
            split_rotation("egg-web.log.2026-11-28-01.gz"),
            ("egg-web.log".into(), Some("2026-11-28-01".into()), true)
        );
        assert_eq!(
            split_rotation("common-error.log.3"),
            ("common-error.log".into(), Some("3".into()), false)
        );
        assert_eq!(
            split_rotation("a.json.log"),
            ("a.json.log".into(), None, false)
        );
        assert!(is_log_name("x.json.log.1.gz"));
        assert!(!is_log_name("notes.txt"));
        assert!(!is_log_name("app.js.2026-11-28"));
        assert_eq!(role_of("common-error.log"), Role::CommonError);
        assert_eq!(role_of("egg-schedule.json.log"), Role::Schedule);
        assert_eq!(role_of("shop-api-web.log"), Role::App);
    }
}
