//! The version ledger: `.eggsec/versions.json` (what is installed and since when) and
//! `.eggsec/history.jsonl` (one line per `eggsec deps --record` that saw a change) — the
//! written record of the app's update process.

use crate::analyze::PackageOut;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `.eggsec/versions.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Ledger {
    pub recorded_at: String,
    pub lockfile: String,
    /// `name` → installed versions, each with the time it was first recorded.
    pub packages: BTreeMap<String, BTreeMap<String, Entry>>,
}

/// One installed version in the ledger.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub since: String,
    pub dev: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egg_role: Option<String>,
}

/// One change between two records.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Change {
    pub package: String,
    /// `added`, `removed`, `upgraded`, `downgraded`.
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egg_role: Option<String>,
}

/// One line of `history.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryLine {
    pub at: String,
    pub lockfile: String,
    pub changes: Vec<Change>,
}

/// The `.eggsec` directory of an app.
pub fn dir(root: &Path) -> PathBuf {
    root.join(".eggsec")
}

/// Reads `.eggsec/versions.json` (`Ok(None)`: never recorded).
pub fn read(root: &Path) -> Result<Option<Ledger>, String> {
    let path = dir(root).join("versions.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| format!("{}: not a valid ledger: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn versions_of(
    packages: &[PackageOut],
) -> BTreeMap<String, BTreeMap<String, (bool, Option<String>)>> {
    let mut out: BTreeMap<String, BTreeMap<String, (bool, Option<String>)>> = BTreeMap::new();
    for p in packages {
        out.entry(p.name.clone()).or_default().insert(
            p.version.clone(),
            (p.dev, p.egg_role.map(|r| r.as_str().to_string())),
        );
    }
    out
}

/// What changed from the ledger to `packages` (sorted by package).
pub fn diff(old: Option<&Ledger>, packages: &[PackageOut]) -> Vec<Change> {
    let now = versions_of(packages);
    let empty = BTreeMap::new();
    let before = old.map(|l| &l.packages).unwrap_or(&empty);
    let mut changes = Vec::new();
    let mut names: Vec<&String> = now.keys().chain(before.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let new_versions: Vec<&String> = now
            .get(name)
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        let old_versions: Vec<&String> = before
            .get(name)
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        if new_versions == old_versions {
            continue;
        }
        let role = now
            .get(name)
            .and_then(|m| m.values().find_map(|(_, r)| r.clone()))
            .or_else(|| {
                before
                    .get(name)
                    .and_then(|m| m.values().find_map(|e| e.egg_role.clone()))
            });
        let kind_of = |from: Option<&String>, to: Option<&String>| -> &'static str {
            match (from, to) {
                (None, _) => "added",
                (_, None) => "removed",
                (Some(a), Some(b)) => {
                    match (
                        crate::version::Version::parse(a),
                        crate::version::Version::parse(b),
                    ) {
                        (Some(x), Some(y)) if y < x => "downgraded",
                        _ => "upgraded",
                    }
                }
            }
        };
        let from = old_versions
            .iter()
            .max_by_key(|v| crate::version::Version::parse(v))
            .copied();
        let to = new_versions
            .iter()
            .max_by_key(|v| crate::version::Version::parse(v))
            .copied();
        changes.push(Change {
            package: name.clone(),
            kind: kind_of(from, to).to_string(),
            from: if old_versions.is_empty() {
                None
            } else {
                Some(join(&old_versions))
            },
            to: if new_versions.is_empty() {
                None
            } else {
                Some(join(&new_versions))
            },
            egg_role: role,
        });
    }
    changes
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// Writes `versions.json` and appends the changes to `history.jsonl` (nothing appended when
/// nothing changed). Returns the changes.
pub fn record(
    root: &Path,
    lockfile: &str,
    packages: &[PackageOut],
    now: &str,
) -> Result<Vec<Change>, String> {
    // One writer at a time: an exclusive lock on `.eggsec/ledger.lock` for the whole
    // read-diff-write, so concurrent runs never record the same change twice.
    let d = dir(root);
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    let lock_path = d.join("ledger.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("{}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("{}: cannot lock: {e}", lock_path.display()))?;
    let old = read(root)?;
    let changes = diff(old.as_ref(), packages);
    let mut ledger = Ledger {
        recorded_at: now.to_string(),
        lockfile: lockfile.to_string(),
        packages: BTreeMap::new(),
    };
    for (name, versions) in versions_of(packages) {
        let entry = ledger.packages.entry(name.clone()).or_default();
        for (version, (dev, role)) in versions {
            let since = old
                .as_ref()
                .and_then(|l| l.packages.get(&name))
                .and_then(|m| m.get(&version))
                .map(|e| e.since.clone())
                .unwrap_or_else(|| now.to_string());
            entry.insert(
                version,
                Entry {
                    since,
                    dev,
                    egg_role: role,
                },
            );
        }
    }
    let path = d.join("versions.json");
    let text = serde_json::to_string_pretty(&ledger).expect("plain data") + "\n";
    // A unique temp file in the same directory, synced, then renamed over the old ledger.
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        eggsec_report::input::check_replaceable(&path)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".versions.json.")
            .tempfile_in(&d)?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| format!("{}: {e}", path.display()))?;
    if !changes.is_empty() {
        use std::io::Write;
        let line = HistoryLine {
            at: now.to_string(),
            lockfile: lockfile.to_string(),
            changes: changes.clone(),
        };
        let hist = d.join("history.jsonl");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&hist)
            .map_err(|e| format!("{}: {e}", hist.display()))?;
        // A partial last line (a killed run, a full disk) is kept as it is, on its own line:
        // the new entry is never glued onto it.
        let mut entry = String::new();
        if !ends_with_newline(&mut f).map_err(|e| format!("{}: {e}", hist.display()))? {
            entry.push('\n');
        }
        entry.push_str(&serde_json::to_string(&line).expect("plain data"));
        entry.push('\n');
        f.write_all(entry.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("{}: {e}", hist.display()))?;
    }
    drop(lock);
    Ok(changes)
}

fn ends_with_newline(f: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Lines of `.eggsec/history.jsonl` that are not valid history entries, by line number (they
/// are kept in the file as they are).
pub fn history_problems(root: &Path) -> Vec<String> {
    let hist = dir(root).join("history.jsonl");
    let Ok(text) = std::fs::read_to_string(&hist) else {
        return Vec::new();
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter(|(_, l)| serde_json::from_str::<HistoryLine>(l).is_err())
        .map(|(i, _)| {
            format!(
                "{}:{}: not a valid history entry (kept as it is)",
                hist.display(),
                i + 1
            )
        })
        .collect()
}
