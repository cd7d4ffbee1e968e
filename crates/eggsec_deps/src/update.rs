//! `eggsec advisories update`: fetch OSV's export of every npm advisory, verify it, and
//! install it in the user's cache atomically — a failed, interrupted or suspicious update keeps
//! the previous database.
//!
//! Incremental when the source offers modification data: OSV publishes, beside each
//! ecosystem's `all.zip`, a `modified_id.csv` (`<modified>,<id>` per line, newest first). With a
//! previous database from the same URL, only the records modified since its newest record are
//! fetched (`<id>.json` beside the zip); past [`UpdateOptions::max_incremental`] changed
//! records, or when the CSV is not there, the whole export is downloaded (conditionally:
//! `If-None-Match` / `If-Modified-Since`, so an unchanged export is not downloaded again).

use crate::db::{parse_osv, Database, DbError, DbMeta};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// OSV's public export of npm advisories (overridable with `--url` and `eggsec.toml`).
pub const DEFAULT_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip";

/// The largest export accepted (npm's is tens of MB).
const MAX_EXPORT_BYTES: u64 = 1 << 30;
/// The largest `modified_id.csv` accepted.
const MAX_CSV_BYTES: u64 = 64 << 20;
/// The largest single record accepted.
const MAX_RECORD_BYTES: u64 = 8 << 20;

/// How to update.
#[derive(Clone, Debug)]
pub struct UpdateOptions {
    /// The export: an `all.zip` URL (http or https).
    pub url: String,
    /// Download the whole export even when an incremental update is possible.
    pub full: bool,
    /// Above this many changed records, download the whole export instead.
    pub max_incremental: usize,
    /// Install even when the new database holds less than half the previous one's records.
    pub allow_shrink: bool,
    /// Overall time for one HTTP request (connect + body).
    pub timeout: Duration,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            url: DEFAULT_URL.into(),
            full: false,
            max_incremental: 500,
            allow_shrink: false,
            timeout: Duration::from_secs(600),
        }
    }
}

/// What an update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The source has nothing newer than the installed database.
    UpToDate,
    /// The whole export was downloaded.
    Full { records: usize, skipped: usize },
    /// Only changed records were fetched.
    Incremental {
        fetched: usize,
        added: usize,
        replaced: usize,
    },
}

/// Why an update failed; the installed database is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("{url}: {message}")]
    Http { url: String, message: String },
    #[error("{url}: the download is incomplete ({got} of {want} bytes); the installed database is unchanged")]
    Truncated { url: String, got: u64, want: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{url}: holds no valid npm advisory; the installed database is unchanged")]
    Empty { url: String },
    #[error("{url}: holds {new} advisories, less than half of the installed {old}; refusing to replace it (use --replace if this is intended)")]
    Shrinks { url: String, new: usize, old: usize },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .proxy(ureq::Proxy::try_from_env())
        .build()
        .into()
}

struct Fetched {
    status: u16,
    body: Vec<u8>,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// GET `url` with optional validators; the body is read whole (at most `limit` bytes) and
/// checked against `Content-Length`.
fn get(
    agent: &ureq::Agent,
    url: &str,
    validators: Option<&DbMeta>,
    limit: u64,
) -> Result<Fetched, UpdateError> {
    let shown = crate::redact_url(url);
    let http = |message: String| UpdateError::Http {
        url: shown.clone(),
        message,
    };
    let mut req = agent.get(url);
    if let Some(m) = validators {
        if let Some(e) = &m.etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(l) = &m.last_modified {
            req = req.header("If-Modified-Since", l);
        }
    }
    let mut resp = req.call().map_err(|e| http(e.to_string()))?;
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    let want: Option<u64> = header("content-length").and_then(|v| v.trim().parse().ok());
    if status != 200 {
        return Ok(Fetched {
            status,
            body: Vec::new(),
            etag,
            last_modified,
        });
    }
    if want.is_some_and(|w| w > limit) {
        return Err(http(format!(
            "announces {} bytes, more than the {limit} accepted",
            want.unwrap_or_default()
        )));
    }
    let mut body = Vec::with_capacity(want.unwrap_or(0).min(limit) as usize);
    let reader = resp.body_mut().with_config().limit(limit + 1).reader();
    let read = reader.take(limit + 1).read_to_end(&mut body);
    if let Err(e) = read {
        // A connection cut mid-body: say how much arrived.
        return match want {
            Some(w) => Err(UpdateError::Truncated {
                url: shown,
                got: body.len() as u64,
                want: w,
            }),
            None => Err(http(format!("the download broke off: {e}"))),
        };
    }
    if body.len() as u64 > limit {
        return Err(http(format!("larger than the {limit} bytes accepted")));
    }
    if let Some(w) = want {
        if body.len() as u64 != w {
            return Err(UpdateError::Truncated {
                url: shown,
                got: body.len() as u64,
                want: w,
            });
        }
    }
    Ok(Fetched {
        status,
        body,
        etag,
        last_modified,
    })
}

/// The URL of a file beside the export (`modified_id.csv`, `<ID>.json`).
fn beside(url: &str, name: &str) -> Option<String> {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    let (dir, file) = no_query.rsplit_once('/')?;
    (!file.is_empty() && dir.contains("://")).then(|| format!("{dir}/{name}"))
}

/// Ids modified after `since`, from OSV's `modified_id.csv` (`<RFC 3339>,<id>` per line,
/// newest first; read whole, since sorted order is not relied on). `None`: not a CSV of that
/// shape.
pub fn changed_since(csv: &str, since: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for line in csv.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (modified, id) = line.split_once(',')?;
        let (modified, id) = (modified.trim(), id.trim());
        if modified.len() < 10 || !modified.as_bytes()[0].is_ascii_digit() || id.is_empty() {
            return None;
        }
        if modified > since {
            out.push(id.to_string());
        }
    }
    Some(out)
}

fn now_rfc3339() -> String {
    crate::dates::format_rfc3339(crate::dates::now())
}

/// Fetches what changed since `previous` (or everything) and returns the database to
/// install; nothing is written.
pub fn fetch(
    opts: &UpdateOptions,
    previous: Option<&Database>,
) -> Result<(Outcome, Database), UpdateError> {
    let agent = agent(opts.timeout);
    let shown = crate::redact_url(&opts.url);
    let same_source = previous.filter(|p| p.meta.url.as_deref() == Some(shown.as_str()));
    if let (false, Some(prev), Some(csv_url)) =
        (opts.full, same_source, beside(&opts.url, "modified_id.csv"))
    {
        if let Some(since) = prev.newest_modified().map(str::to_string) {
            if let Some(result) = incremental(&agent, opts, prev, &csv_url, &since)? {
                return Ok(result);
            }
        }
    }
    let validators = same_source.map(|p| &p.meta);
    let got = get(&agent, &opts.url, validators, MAX_EXPORT_BYTES)?;
    if got.status == 304 {
        let prev = same_source.expect("validators are only sent with a previous database");
        let mut db = Database::new(prev.advisories().to_vec(), prev.source.clone(), vec![]);
        db.meta = DbMeta {
            updated_at: Some(now_rfc3339()),
            ..prev.meta.clone()
        };
        return Ok((Outcome::UpToDate, db));
    }
    if got.status != 200 {
        return Err(UpdateError::Http {
            url: shown,
            message: format!("HTTP {}", got.status),
        });
    }
    let mut db = Database::load_bytes(&got.body, &shown)?;
    if db.is_empty() {
        return Err(UpdateError::Empty { url: shown });
    }
    if let Some(prev) = previous {
        if !opts.allow_shrink && prev.meta.url.is_some() && db.len() * 2 < prev.len() {
            return Err(UpdateError::Shrinks {
                url: shown,
                new: db.len(),
                old: prev.len(),
            });
        }
    }
    db.meta = DbMeta {
        updated_at: Some(now_rfc3339()),
        url: Some(shown),
        etag: got.etag,
        last_modified: got.last_modified,
    };
    let skipped = db.problems.len();
    Ok((
        Outcome::Full {
            records: db.len(),
            skipped,
        },
        db,
    ))
}

/// `Ok(None)`: incremental is not possible (no CSV, or too many changes): download it all.
fn incremental(
    agent: &ureq::Agent,
    opts: &UpdateOptions,
    prev: &Database,
    csv_url: &str,
    since: &str,
) -> Result<Option<(Outcome, Database)>, UpdateError> {
    let csv = match get(agent, csv_url, None, MAX_CSV_BYTES) {
        Ok(f) if f.status == 200 => f.body,
        // No modification data (a plain mirror of all.zip): fall back to the full download.
        Ok(_) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(ids) = changed_since(&String::from_utf8_lossy(&csv), since) else {
        return Ok(None);
    };
    if ids.len() > opts.max_incremental {
        return Ok(None);
    }
    let mut fresh = Vec::with_capacity(ids.len());
    let mut problems = Vec::new();
    for id in &ids {
        let Some(url) = beside(&opts.url, &format!("{id}.json")) else {
            return Ok(None);
        };
        let got = get(agent, &url, None, MAX_RECORD_BYTES)?;
        if got.status != 200 {
            return Err(UpdateError::Http {
                url: crate::redact_url(&url),
                message: format!("HTTP {} for a record listed in modified_id.csv", got.status),
            });
        }
        match parse_osv(&got.body) {
            Ok(Some(a)) => fresh.push(a),
            Ok(None) => {}
            Err(message) => problems.push(crate::db::LoadProblem {
                file: format!("{id}.json"),
                message,
            }),
        }
    }
    let fetched = ids.len();
    let base = Database::new(prev.advisories().to_vec(), prev.source.clone(), vec![]);
    let mut base = base;
    base.meta = prev.meta.clone();
    let (mut db, added, replaced) =
        base.merged_with(Database::new(fresh, prev.source.clone(), problems));
    db.meta.updated_at = Some(now_rfc3339());
    Ok(Some((
        Outcome::Incremental {
            fetched,
            added,
            replaced,
        },
        db,
    )))
}

/// Writes `db` to `target` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over the old one (readers see the old or the new file, never a part).
pub fn install(db: &Database, target: &Path) -> Result<(), UpdateError> {
    let io = |source| UpdateError::Io {
        path: target.display().to_string(),
        source,
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    eggsec_report::input::check_replaceable(target).map_err(io)?;
    let source = db.meta.url.clone().unwrap_or_else(|| db.source.clone());
    let text = db.to_compact(&format!("OSV export from {source}"));
    let mut tmp = tempfile::Builder::new()
        .prefix(".advisories.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(text.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(target).map_err(|e| io(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Age of a database in whole days (`now` in Unix seconds): from when it was fetched, else
/// (the embedded database, an imported directory) from its newest record — a lower bound.
pub fn age_days(db: &Database, now: i64) -> Option<i64> {
    let stamp = db.meta.updated_at.as_deref().or(db.newest_modified())?;
    let at = crate::dates::parse_rfc3339(stamp)?;
    Some((now - at).max(0) / 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_since_reads_osv_csv() {
        let csv = "2026-11-30T10:00:00Z,GHSA-aaaa\n2026-11-01T00:00:00Z,GHSA-bbbb\n2025-01-01T00:00:00Z,GHSA-cccc\n";
        assert_eq!(
            changed_since(csv, "2026-11-15T00:00:00Z").unwrap(),
            vec!["GHSA-aaaa"]
        );
        assert_eq!(changed_since(csv, "2027-01-01T00:00:00Z").unwrap().len(), 0);
        assert!(changed_since("<html>not found</html>", "2026").is_none());
    }

    #[test]
    fn beside_replaces_the_file_name() {
        assert_eq!(
            beside("https://h.example/npm/all.zip", "modified_id.csv").as_deref(),
            Some("https://h.example/npm/modified_id.csv")
        );
        assert_eq!(beside("all.zip", "x"), None);
    }
}
