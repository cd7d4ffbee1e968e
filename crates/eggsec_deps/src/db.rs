//! The advisory database: OSV records validated and normalised on load ("parse, don't
//! validate"), every range flavour turned into `[introduced, fixed)` / `[introduced,
//! last_affected]` / `[introduced, ∞)` intervals, indexed by package name, and matched with
//! OSV semantics. Sources: the embedded default database (eggsec's compact format, generated
//! from real OSV records), a directory of OSV `*.json` files (the GitHub advisory-database
//! layout), OSV's per-ecosystem `all.zip`, or a compact file written by `advisories update`.

use crate::cvss;
use crate::version::Version;
use eggsec_report::Severity;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The format tag of eggsec's compact advisory file.
pub const COMPACT_FORMAT: &str = "eggsec-advisories/1";

/// Largest OSV record accepted (a real one is a few kB).
const MAX_RECORD_BYTES: u64 = 8 * 1024 * 1024;

/// Why a database could not be loaded at all (single bad records are [`LoadProblem`]s).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a zip archive of OSV records: {message}")]
    Zip { path: String, message: String },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
}

/// A record that was reported and skipped while loading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadProblem {
    /// The file (or `zip!entry`) holding the record.
    pub file: String,
    pub message: String,
}

/// Where an affected range ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// `fixed`: versions from this one on are not affected.
    Fixed(Version),
    /// `last_affected`: this version is the last affected one; no fix is known.
    LastAffected(Version),
    /// No end: every version from `introduced` on is affected.
    Open,
}

/// One normalised affected interval; `introduced: None` means "from the first version".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub introduced: Option<Version>,
    pub end: End,
}

impl Interval {
    /// Whether `v` lies in the interval.
    pub fn contains(&self, v: &Version) -> bool {
        if self.introduced.as_ref().is_some_and(|i| v < i) {
            return false;
        }
        match &self.end {
            End::Fixed(f) => v < f,
            End::LastAffected(l) => v <= l,
            End::Open => true,
        }
    }
}

/// One `affected[]` entry for an npm package.
#[derive(Debug, Clone)]
pub struct Affected {
    pub package: String,
    pub ranges: Vec<Interval>,
    /// Explicitly listed versions: affected whatever the ranges say.
    pub versions: Vec<Version>,
}

/// A validated advisory (only its npm entries are kept).
#[derive(Debug, Clone)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    /// From the CVSS v3 vector when there is one, else the database's label, else medium.
    pub severity: Severity,
    /// The CVSS vector the severity came from, if any.
    pub cvss: Option<String>,
    pub withdrawn: Option<String>,
    pub published: String,
    pub modified: String,
    pub affected: Vec<Affected>,
}

/// An advisory that affects a given package version.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    pub advisory: &'a Advisory,
    /// The lowest version that leaves every interval that matched (`None`: no fix known).
    pub fixed: Option<String>,
}

impl Advisory {
    /// Whether this advisory affects `name@version`, and the fix; withdrawn records never do.
    pub fn affects(&self, name: &str, version: &Version) -> Option<Match<'_>> {
        if self.withdrawn.is_some() {
            return None;
        }
        let mut hit = false;
        let mut fixes: Vec<&Version> = Vec::new();
        let mut unfixed = false;
        for a in self.affected.iter().filter(|a| a.package == name) {
            let mut listed = a.versions.iter().any(|x| x == version);
            for r in &a.ranges {
                if r.contains(version) {
                    listed = true;
                    match &r.end {
                        End::Fixed(f) => fixes.push(f),
                        _ => unfixed = true,
                    }
                }
            }
            if listed {
                hit = true;
                if fixes.is_empty() {
                    // Listed explicitly: the fix is the next `fixed` above it in this entry.
                    if let Some(f) = a
                        .ranges
                        .iter()
                        .filter_map(|r| match &r.end {
                            End::Fixed(f) if f > version => Some(f),
                            _ => None,
                        })
                        .min()
                    {
                        fixes.push(f);
                    }
                }
            }
        }
        if !hit {
            return None;
        }
        let fixed = if unfixed {
            None
        } else {
            fixes.into_iter().max().map(|v| v.to_string())
        };
        Some(Match {
            advisory: self,
            fixed,
        })
    }

    /// A link to read the advisory.
    pub fn url(&self) -> String {
        format!("https://osv.dev/vulnerability/{}", self.id)
    }
}

// ----- OSV input ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    modified: String,
    #[serde(default)]
    published: String,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    affected: Vec<OsvAffected>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Vec<OsvRange>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct OsvPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<OsvEvent>,
}

#[derive(Deserialize)]
struct OsvEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

fn parse_version(text: &str, what: &str) -> Result<Version, String> {
    Version::parse(text).ok_or_else(|| format!("{what} version {text:?} is not a version"))
}

/// Turns one range's events into intervals (events sorted, `introduced: "0"` first).
fn normalise_events(events: &[OsvEvent], where_: &str) -> Result<Vec<Interval>, String> {
    enum Ev {
        Intro(Option<Version>),
        Fixed(Version),
        Last(Version),
    }
    let mut evs = Vec::with_capacity(events.len());
    let (mut has_intro, mut has_fixed, mut has_last) = (false, false, false);
    for e in events {
        let set = [&e.introduced, &e.fixed, &e.last_affected, &e.limit]
            .iter()
            .filter(|x| x.is_some())
            .count();
        if set != 1 {
            return Err(format!(
                "{where_}: an event must hold exactly one of introduced, fixed, last_affected, limit"
            ));
        }
        if let Some(i) = &e.introduced {
            has_intro = true;
            evs.push(Ev::Intro(if i == "0" {
                None
            } else {
                Some(parse_version(i, "introduced")?)
            }));
        } else if let Some(f) = &e.fixed {
            has_fixed = true;
            evs.push(Ev::Fixed(parse_version(f, "fixed")?));
        } else if let Some(l) = &e.last_affected {
            has_last = true;
            evs.push(Ev::Last(parse_version(l, "last_affected")?));
        }
        // `limit` (only meaningful for GIT ranges) does not narrow npm ranges here.
    }
    if !has_intro {
        return Err(format!("{where_}: the range has no `introduced` event"));
    }
    if has_fixed && has_last {
        return Err(format!(
            "{where_}: `fixed` and `last_affected` in the same range"
        ));
    }
    let key = |e: &Ev| -> Option<Version> {
        match e {
            Ev::Intro(v) => v.clone(),
            Ev::Fixed(v) | Ev::Last(v) => Some(v.clone()),
        }
    };
    evs.sort_by(|a, b| match (key(a), key(b)) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(&y),
    });
    let mut out = Vec::new();
    let mut open: Option<Option<Version>> = None;
    for e in evs {
        match e {
            Ev::Intro(v) => {
                if open.is_none() {
                    open = Some(v);
                }
            }
            Ev::Fixed(v) => {
                if let Some(start) = open.take() {
                    out.push(Interval {
                        introduced: start,
                        end: End::Fixed(v),
                    });
                }
            }
            Ev::Last(v) => {
                if let Some(start) = open.take() {
                    out.push(Interval {
                        introduced: start,
                        end: End::LastAffected(v),
                    });
                }
            }
        }
    }
    if let Some(start) = open {
        out.push(Interval {
            introduced: start,
            end: End::Open,
        });
    }
    Ok(out)
}

/// Validates one OSV record. `Ok(None)`: valid but nothing in it concerns npm.
fn advisory_from_osv(rec: OsvRecord) -> Result<Option<Advisory>, String> {
    if rec.id.trim().is_empty() {
        return Err("the record has no `id`".into());
    }
    let mut affected = Vec::new();
    for (i, a) in rec.affected.iter().enumerate() {
        let Some(pkg) = &a.package else { continue };
        if pkg.ecosystem != "npm" {
            continue;
        }
        if pkg.name.is_empty() {
            return Err(format!("affected[{i}]: npm package without a name"));
        }
        let mut ranges = Vec::new();
        for (j, r) in a.ranges.iter().enumerate() {
            if r.kind != "ECOSYSTEM" && r.kind != "SEMVER" {
                continue;
            }
            if r.events.is_empty() {
                continue;
            }
            ranges.extend(normalise_events(
                &r.events,
                &format!("affected[{i}].ranges[{j}]"),
            )?);
        }
        let versions = a
            .versions
            .iter()
            .map(|v| parse_version(v, &format!("affected[{i}].versions:")))
            .collect::<Result<Vec<_>, _>>()?;
        if ranges.is_empty() && versions.is_empty() {
            continue;
        }
        affected.push(Affected {
            package: pkg.name.clone(),
            ranges,
            versions,
        });
    }
    if affected.is_empty() {
        return Ok(None);
    }
    let label = rec
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(cvss::severity_of_label);
    let vector = rec
        .severity
        .iter()
        .find(|s| s.kind == "CVSS_V3" && cvss::base_score_v3(&s.score).is_some())
        .map(|s| s.score.clone());
    let severity = vector
        .as_deref()
        .and_then(cvss::base_score_v3)
        .map(cvss::severity_of_score)
        .or(label)
        .unwrap_or(Severity::Medium);
    let summary = rec
        .summary
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            rec.details
                .as_deref()
                .and_then(|d| d.lines().next())
                .map(|l| l.chars().take(160).collect())
        })
        .unwrap_or_default();
    Ok(Some(Advisory {
        id: rec.id,
        aliases: rec.aliases,
        summary,
        severity,
        cvss: vector,
        withdrawn: rec.withdrawn,
        published: rec.published,
        modified: rec.modified,
        affected,
    }))
}

/// Parses and validates one OSV JSON document.
pub fn parse_osv(bytes: &[u8]) -> Result<Option<Advisory>, String> {
    let rec: OsvRecord =
        serde_json::from_slice(bytes).map_err(|e| format!("not an OSV record: {e}"))?;
    advisory_from_osv(rec)
}

// ----- the compact format ------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct CompactDb {
    format: String,
    source: String,
    #[serde(default, skip_serializing_if = "DbMeta::is_empty")]
    meta: DbMeta,
    advisories: Vec<CompactAdvisory>,
}

/// When and from where a database was fetched (kept in the compact file, so the records and
/// what is known about them are replaced together, atomically).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbMeta {
    /// When the records were fetched or generated (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The URL or path they came from (credentials and query removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The export's `ETag` / `Last-Modified`, for a conditional re-download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl DbMeta {
    fn is_empty(&self) -> bool {
        *self == DbMeta::default()
    }
}

#[derive(Serialize, Deserialize)]
struct CompactAdvisory {
    id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    summary: String,
    severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cvss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    withdrawn: Option<String>,
    #[serde(default)]
    published: String,
    #[serde(default)]
    modified: String,
    affected: Vec<CompactAffected>,
}

#[derive(Serialize, Deserialize)]
struct CompactAffected {
    package: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ranges: Vec<CompactRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    versions: Vec<String>,
}

/// `{"introduced": "0", "fixed": "2.8.1"}`; at most one of `fixed` / `last_affected`.
#[derive(Serialize, Deserialize)]
struct CompactRange {
    introduced: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_affected: Option<String>,
}

fn compact_from(a: &Advisory) -> CompactAdvisory {
    CompactAdvisory {
        id: a.id.clone(),
        aliases: a.aliases.clone(),
        summary: a.summary.clone(),
        severity: a.severity,
        cvss: a.cvss.clone(),
        withdrawn: a.withdrawn.clone(),
        published: a.published.clone(),
        modified: a.modified.clone(),
        affected: a
            .affected
            .iter()
            .map(|x| CompactAffected {
                package: x.package.clone(),
                ranges: x
                    .ranges
                    .iter()
                    .map(|r| CompactRange {
                        introduced: r
                            .introduced
                            .as_ref()
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "0".into()),
                        fixed: match &r.end {
                            End::Fixed(v) => Some(v.to_string()),
                            _ => None,
                        },
                        last_affected: match &r.end {
                            End::LastAffected(v) => Some(v.to_string()),
                            _ => None,
                        },
                    })
                    .collect(),
                versions: x.versions.iter().map(|v| v.to_string()).collect(),
            })
            .collect(),
    }
}

fn advisory_from_compact(c: CompactAdvisory) -> Result<Advisory, String> {
    if c.id.is_empty() {
        return Err("an advisory has no id".into());
    }
    let mut affected = Vec::with_capacity(c.affected.len());
    for a in c.affected {
        let mut ranges = Vec::with_capacity(a.ranges.len());
        for r in a.ranges {
            let introduced = if r.introduced == "0" {
                None
            } else {
                Some(parse_version(&r.introduced, "introduced")?)
            };
            let end = match (r.fixed, r.last_affected) {
                (Some(_), Some(_)) => {
                    return Err(format!("{}: both fixed and last_affected", c.id))
                }
                (Some(f), None) => End::Fixed(parse_version(&f, "fixed")?),
                (None, Some(l)) => End::LastAffected(parse_version(&l, "last_affected")?),
                (None, None) => End::Open,
            };
            ranges.push(Interval { introduced, end });
        }
        let versions = a
            .versions
            .iter()
            .map(|v| parse_version(v, "listed"))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", c.id))?;
        affected.push(Affected {
            package: a.package,
            ranges,
            versions,
        });
    }
    Ok(Advisory {
        id: c.id,
        aliases: c.aliases,
        summary: c.summary,
        severity: c.severity,
        cvss: c.cvss,
        withdrawn: c.withdrawn,
        published: c.published,
        modified: c.modified,
        affected,
    })
}

/// Where `eggsec advisories update` keeps the imported database.
pub fn installed_path() -> PathBuf {
    crate::registry::cache_dir().join("advisories.json")
}

/// The database `eggsec deps` and `eggsec audit` use: the one `advisories update` installed
/// in the user's cache directory, else the embedded one. A broken installed file falls back
/// to the embedded database with a problem recorded.
pub fn installed() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| {
        let path = installed_path();
        if !path.is_file() {
            return Database::from_compact(include_str!("../data/advisories.json"), "embedded")
                .expect("the embedded advisory database is valid (checked by a test)");
        }
        match eggsec_report::input::read_text_limited(&path, 1 << 30)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                Database::from_compact(&t, &path.display().to_string()).map_err(|e| e.to_string())
            }) {
            Ok(db) => db,
            Err(e) => {
                let mut db =
                    Database::from_compact(include_str!("../data/advisories.json"), "embedded")
                        .expect("the embedded advisory database is valid (checked by a test)");
                db.problems.push(LoadProblem {
                    file: path.display().to_string(),
                    message: format!("{e}; using the embedded database"),
                });
                db
            }
        }
    })
}

// ----- the database ------------------------------------------------------------------------

/// Validated advisories indexed by package name.
#[derive(Debug, Default)]
pub struct Database {
    advisories: Vec<Advisory>,
    index: HashMap<String, Vec<u32>>,
    /// What it was loaded from, for reports ("embedded", a path).
    pub source: String,
    /// Records reported and skipped while loading.
    pub problems: Vec<LoadProblem>,
    /// Fetch metadata (empty for a database read from OSV files directly).
    pub meta: DbMeta,
}

impl Database {
    /// Builds the index over `advisories` (when an id repeats, the latest `modified` wins).
    pub fn new(
        mut advisories: Vec<Advisory>,
        source: impl Into<String>,
        problems: Vec<LoadProblem>,
    ) -> Database {
        advisories.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| b.modified.cmp(&a.modified)));
        advisories.dedup_by(|later, first| later.id == first.id);
        let mut index: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, a) in advisories.iter().enumerate() {
            let mut names: Vec<&str> = a.affected.iter().map(|x| x.package.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            for n in names {
                index.entry(n.to_string()).or_default().push(i as u32);
            }
        }
        Database {
            advisories,
            index,
            source: source.into(),
            problems,
            meta: DbMeta::default(),
        }
    }

    /// The newest `modified` time of any record (RFC 3339 strings compare in time order).
    pub fn newest_modified(&self) -> Option<&str> {
        self.advisories
            .iter()
            .map(|a| a.modified.as_str())
            .filter(|m| !m.is_empty())
            .max()
    }

    /// This database with `newer`'s records added: a record whose id is in both is replaced
    /// by the one with the later `modified` time (a withdrawn record replaces the live one and
    /// stops matching). Returns (added, replaced).
    pub fn merged_with(self, newer: Database) -> (Database, usize, usize) {
        let mut by_id: HashMap<String, Advisory> = self
            .advisories
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        let (mut added, mut replaced) = (0, 0);
        for a in newer.advisories {
            match by_id.get(&a.id) {
                Some(old) if old.modified >= a.modified => {}
                Some(_) => {
                    replaced += 1;
                    by_id.insert(a.id.clone(), a);
                }
                None => {
                    added += 1;
                    by_id.insert(a.id.clone(), a);
                }
            }
        }
        let mut problems = self.problems;
        problems.extend(newer.problems);
        let mut db = Database::new(by_id.into_values().collect(), self.source, problems);
        db.meta = self.meta;
        (db, added, replaced)
    }

    /// Adds advisories that are not in the database yet, by id or alias (e.g. records from the
    /// registry's bulk endpoint, which OSV may know under a GHSA id). Returns how many were new.
    pub fn add_missing(&mut self, extra: Vec<Advisory>) -> usize {
        let known: std::collections::HashSet<String> = self
            .advisories
            .iter()
            .flat_map(|a| std::iter::once(a.id.clone()).chain(a.aliases.iter().cloned()))
            .collect();
        let fresh: Vec<Advisory> = extra
            .into_iter()
            .filter(|a| !known.contains(&a.id) && !a.aliases.iter().any(|x| known.contains(x)))
            .collect();
        let n = fresh.len();
        if n > 0 {
            let mut all = std::mem::take(&mut self.advisories);
            all.extend(fresh);
            let meta = std::mem::take(&mut self.meta);
            let problems = std::mem::take(&mut self.problems);
            *self = Database::new(all, std::mem::take(&mut self.source), problems);
            self.meta = meta;
        }
        n
    }

    /// The embedded default database (egg-family and egg-relevant advisories).
    pub fn embedded() -> &'static Database {
        static DB: OnceLock<Database> = OnceLock::new();
        DB.get_or_init(|| {
            Database::from_compact(include_str!("../data/advisories.json"), "embedded")
                .expect("the embedded advisory database is valid (checked by a test)")
        })
    }

    /// Every advisory, sorted by id.
    pub fn advisories(&self) -> &[Advisory] {
        &self.advisories
    }

    /// Number of advisories.
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    /// Whether there are no advisories.
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// The advisories (not withdrawn) that affect `name@version`.
    pub fn matches(&self, name: &str, version: &Version) -> Vec<Match<'_>> {
        let Some(ids) = self.index.get(name) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|&i| self.advisories[i as usize].affects(name, version))
            .collect()
    }

    /// Whether any advisory names `name` (cheap pre-check).
    pub fn mentions(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Reads eggsec's compact format.
    pub fn from_compact(text: &str, source: &str) -> Result<Database, DbError> {
        let db: CompactDb = serde_json::from_str(text).map_err(|e| DbError::Format {
            path: source.into(),
            message: format!("not an eggsec advisory file: {e}"),
        })?;
        if db.format != COMPACT_FORMAT {
            return Err(DbError::Format {
                path: source.into(),
                message: format!("format {:?}, expected {COMPACT_FORMAT:?}", db.format),
            });
        }
        let mut problems = Vec::new();
        let mut advisories = Vec::with_capacity(db.advisories.len());
        for c in db.advisories {
            let id = c.id.clone();
            match advisory_from_compact(c) {
                Ok(a) => advisories.push(a),
                Err(message) => problems.push(LoadProblem {
                    file: format!("{source}#{id}"),
                    message,
                }),
            }
        }
        let label = if source == "embedded" {
            format!("embedded ({})", db.source)
        } else {
            source.to_string()
        };
        let mut out = Database::new(advisories, label, problems);
        out.meta = db.meta;
        Ok(out)
    }

    /// Writes eggsec's compact format (`source` says where the records came from).
    pub fn to_compact(&self, source: &str) -> String {
        let db = CompactDb {
            format: COMPACT_FORMAT.into(),
            source: source.into(),
            meta: self.meta.clone(),
            advisories: self.advisories.iter().map(compact_from).collect(),
        };
        let mut text = serde_json::to_string_pretty(&db).expect("plain data serialises");
        text.push('\n');
        text
    }

    /// Loads a directory of OSV `*.json` files (searched recursively), an OSV `all.zip`, a
    /// single OSV record, or a compact file.
    pub fn load_path(path: &Path) -> Result<Database, DbError> {
        let io = |source| DbError::Io {
            path: path.display().to_string(),
            source,
        };
        if path.is_dir() {
            return Ok(Self::load_osv_dir(path));
        }
        let bytes = eggsec_report::input::read_limited(path, 1 << 30).map_err(|e| match e {
            eggsec_report::input::InputError::Io(e) => io(e),
            eggsec_report::input::InputError::NotFound => io(std::io::ErrorKind::NotFound.into()),
            e => io(std::io::Error::other(e.to_string())),
        })?;
        Self::load_bytes(&bytes, &path.display().to_string())
    }

    /// [`Database::load_path`] over bytes already read (a zip, a compact file or one record).
    pub fn load_bytes(bytes: &[u8], name: &str) -> Result<Database, DbError> {
        if bytes.starts_with(b"PK") {
            return Self::load_osv_zip(bytes, name);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| DbError::Format {
            path: name.into(),
            message: "not UTF-8 text, and not a zip archive".into(),
        })?;
        if text.contains(COMPACT_FORMAT) && text.trim_start().starts_with('{') {
            if let Ok(db) = Self::from_compact(text, name) {
                return Ok(db);
            }
        }
        match parse_osv(bytes) {
            Ok(a) => Ok(Database::new(a.into_iter().collect(), name, vec![])),
            Err(message) => Err(DbError::Format {
                path: name.into(),
                message,
            }),
        }
    }

    /// Loads every `*.json` under `dir`; bad records become [`LoadProblem`]s.
    pub fn load_osv_dir(dir: &Path) -> Database {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        collect_json(dir, &mut files, &mut problems);
        files.sort();
        let results: Vec<(String, Result<Option<Advisory>, String>)> = files
            .par_iter()
            .map(|f| {
                let name = f.display().to_string();
                // a FIFO or a device in the directory is refused, never opened
                let result = match eggsec_report::input::read_limited(f, MAX_RECORD_BYTES) {
                    Err(eggsec_report::input::InputError::TooLarge { .. }) => {
                        Err(format!("larger than {MAX_RECORD_BYTES} bytes"))
                    }
                    Err(e) => Err(e.to_string()),
                    Ok(b) => parse_osv(&b),
                };
                (name, result)
            })
            .collect();
        collect(results, problems, &dir.display().to_string())
    }

    /// Loads OSV's `all.zip` layout (one `<ID>.json` per entry).
    pub fn load_osv_zip(bytes: &[u8], name: &str) -> Result<Database, DbError> {
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| DbError::Zip {
                path: name.into(),
                message: e.to_string(),
            })?;
        let mut entries = Vec::with_capacity(archive.len());
        let mut problems = Vec::new();
        for i in 0..archive.len() {
            let mut file = match archive.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(LoadProblem {
                        file: format!("{name}#{i}"),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let entry = format!("{name}!{}", file.name());
            if file.is_dir() || !file.name().ends_with(".json") {
                continue;
            }
            let mut buf = Vec::with_capacity(file.size().min(MAX_RECORD_BYTES) as usize);
            match (&mut file).take(MAX_RECORD_BYTES + 1).read_to_end(&mut buf) {
                Ok(n) if n as u64 > MAX_RECORD_BYTES => problems.push(LoadProblem {
                    file: entry,
                    message: format!("larger than {MAX_RECORD_BYTES} bytes"),
                }),
                Ok(_) => entries.push((entry, buf)),
                Err(e) => problems.push(LoadProblem {
                    file: entry,
                    message: format!("cannot be read: {e}"),
                }),
            }
        }
        let results = entries
            .par_iter()
            .map(|(entry, buf)| (entry.clone(), parse_osv(buf)))
            .collect();
        Ok(collect(results, problems, name))
    }
}

fn collect(
    results: Vec<(String, Result<Option<Advisory>, String>)>,
    mut problems: Vec<LoadProblem>,
    source: &str,
) -> Database {
    let mut advisories = Vec::with_capacity(results.len());
    for (file, r) in results {
        match r {
            Ok(Some(a)) => advisories.push(a),
            Ok(None) => {}
            Err(message) => problems.push(LoadProblem { file, message }),
        }
    }
    Database::new(advisories, source, problems)
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<LoadProblem>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(LoadProblem {
                file: dir.display().to_string(),
                message: e.to_string(),
            });
            return;
        }
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            collect_json(&p, out, problems);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}
