//! `analyze`: the inventory matched against the advisory database, each vulnerable package
//! attributed to the app's direct dependencies (the dependency paths, the egg package or
//! plugin that pulls it in), and — with registry data — the smallest upgrade of that direct
//! dependency that removes it.

use crate::db::Database;
use crate::inventory::{self, EggRole, Format, Inventory};
use crate::registry::Registry;
use crate::version::Version;
use eggsec_report::Severity;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::VecDeque;
use std::path::Path;

/// Most dependency paths reported per vulnerable package.
pub const MAX_PATHS: usize = 5;

/// One package in the report (instances of the same name@version merged).
#[derive(Debug, Clone, Serialize)]
pub struct PackageOut {
    pub name: String,
    pub version: String,
    pub dev: bool,
    pub direct: bool,
    pub egg_role: Option<EggRole>,
    pub lockfile: String,
    pub line: u32,
}

/// The direct dependency a vulnerable package comes through.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Via {
    /// The app's direct dependency (`egg`).
    pub direct: String,
    pub direct_version: String,
    /// The egg-family package nearest the vulnerable one on the path (`egg-multipart`).
    pub egg_package: Option<String>,
    pub egg_role: Option<EggRole>,
    /// The lowest version of `direct` whose dependency ranges no longer allow an affected
    /// version (from registry data; `None`: unknown or none).
    pub upgrade: Option<String>,
}

/// An advisory that hits an installed package.
#[derive(Debug, Clone, Serialize)]
pub struct Vulnerability {
    pub id: String,
    pub aliases: Vec<String>,
    pub package: String,
    pub version: String,
    pub severity: Severity,
    /// The advisory's CVSS v3 vector, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<String>,
    pub summary: String,
    /// The lowest version of `package` out of every matching range (`None`: no fix).
    pub fixed: Option<String>,
    pub dev: bool,
    pub lockfile: String,
    pub line: u32,
    /// `["egg@3.17.0", "egg-multipart@2.13.0", ..., "dicer@0.2.5"]`: production dependencies'
    /// paths first, then the shortest.
    pub paths: Vec<Vec<String>>,
    pub via: Vec<Via>,
    pub url: String,
    /// Set when an ignore in eggsec.toml named this advisory but expired on that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_expired: Option<String>,
}

/// An advisory the team accepted (eggsec.toml `[[advisories.ignore]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The advisory id or one of its aliases.
    pub id: String,
    pub reason: String,
    /// The last day it holds (`YYYY-MM-DD`); `None`: no end.
    pub until: Option<String>,
}

/// A vulnerability left out by an ignore that is still in force.
#[derive(Debug, Clone, Serialize)]
pub struct Ignored {
    pub id: String,
    pub package: String,
    pub version: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// Applies ignores as of `today` (`YYYY-MM-DD`): an ignore in force moves the vulnerability
/// to `report.ignored`; an expired one leaves it in place, marked, so it fails the build again.
pub fn apply_ignores(report: &mut DepsReport, ignores: &[Ignore], today: &str) {
    let mut kept = Vec::with_capacity(report.vulnerabilities.len());
    for mut v in std::mem::take(&mut report.vulnerabilities) {
        let hit = ignores
            .iter()
            .find(|i| i.id == v.id || v.aliases.contains(&i.id));
        match hit {
            Some(i) if i.until.as_deref().is_none_or(|u| today <= u) => {
                report.ignored.push(Ignored {
                    id: v.id,
                    package: v.package,
                    version: v.version,
                    reason: i.reason.clone(),
                    until: i.until.clone(),
                })
            }
            Some(i) => {
                v.ignore_expired = i.until.clone();
                kept.push(v);
            }
            None => kept.push(v),
        }
    }
    report.vulnerabilities = kept;
}

/// npm's `--omit dev`: development-only packages and their advisories leave the report.
pub fn omit_dev(report: &mut DepsReport) {
    report.packages.retain(|p| !p.dev);
    report.vulnerabilities.retain(|v| !v.dev);
}

/// How far an installed egg-family (or, with `--all`, direct) package is behind.
#[derive(Debug, Clone, Serialize)]
pub struct Outdated {
    pub name: String,
    pub installed: String,
    pub latest: String,
    /// `major`, `minor`, `patch` or `none`.
    pub behind: String,
    pub majors_behind: u64,
    pub days_since_installed_release: Option<i64>,
    /// The registry's `deprecated` message for the installed version.
    pub deprecated: Option<String>,
    /// Why this major is end-of-life, when it is.
    pub end_of_life: Option<String>,
    /// `engines.node` of the latest version (what the upgrade needs).
    pub node_engine: Option<String>,
    pub egg_role: Option<EggRole>,
}

/// Everything `eggsec deps` reports for one app.
#[derive(Debug, Clone, Serialize)]
pub struct DepsReport {
    pub root: String,
    pub format: Option<Format>,
    pub lockfile: String,
    pub database: String,
    pub packages: Vec<PackageOut>,
    pub vulnerabilities: Vec<Vulnerability>,
    pub outdated: Vec<Outdated>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<Ignored>,
    pub problems: Vec<String>,
    #[serde(skip)]
    pub inventory: Inventory,
}

/// Inventory + advisories + attribution, offline.
pub fn analyze(root: &Path, db: &Database) -> DepsReport {
    let inv = inventory::inventory_shared(root);
    analyze_inventory(root, (*inv).clone(), db)
}

/// [`analyze`] over an inventory already read.
pub fn analyze_inventory(root: &Path, inv: Inventory, db: &Database) -> DepsReport {
    let mut packages: Vec<PackageOut> = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for p in &inv.packages {
        let key = (p.name.clone(), p.version.clone());
        match seen.get(&key) {
            Some(&i) => {
                let out: &mut PackageOut = &mut packages[i];
                out.dev &= p.dev;
                out.direct |= p.direct;
            }
            None => {
                seen.insert(key, packages.len());
                packages.push(PackageOut {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    dev: p.dev,
                    direct: p.direct,
                    egg_role: p.egg_role,
                    lockfile: p.lockfile.clone(),
                    line: p.line,
                });
            }
        }
    }
    let mut vulnerabilities: Vec<Vulnerability> = packages
        .par_iter()
        .filter(|p| db.mentions(&p.name))
        .flat_map_iter(|p| {
            let Some(v) = Version::parse(&p.version) else {
                return Vec::new();
            };
            db.matches(&p.name, &v)
                .into_iter()
                .map(|m| Vulnerability {
                    id: m.advisory.id.clone(),
                    aliases: m.advisory.aliases.clone(),
                    package: p.name.clone(),
                    version: p.version.clone(),
                    severity: m.advisory.severity,
                    cvss: m.advisory.cvss.clone(),
                    summary: m.advisory.summary.clone(),
                    fixed: m.fixed,
                    dev: p.dev,
                    lockfile: p.lockfile.clone(),
                    line: p.line,
                    paths: Vec::new(),
                    via: Vec::new(),
                    url: m.advisory.url(),
                    ignore_expired: None,
                })
                .collect()
        })
        .collect();
    let reverse = reverse_edges(&inv);
    let mut instances: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, p) in inv.packages.iter().enumerate() {
        instances
            .entry((p.name.as_str(), p.version.as_str()))
            .or_default()
            .push(i);
    }
    let mut by_target: HashMap<(String, String), Attribution> = HashMap::new();
    for v in &mut vulnerabilities {
        let key = (v.package.clone(), v.version.clone());
        let (paths, via) = by_target.entry(key).or_insert_with(|| {
            let starts = instances
                .get(&(v.package.as_str(), v.version.as_str()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            attribute(&inv, &reverse, starts)
        });
        v.paths = paths.clone();
        v.via = via.clone();
    }
    vulnerabilities.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut problems = inv.problems.clone();
    problems.extend(
        db.problems
            .iter()
            .map(|p| format!("{}: {} (advisory skipped)", p.file, p.message)),
    );
    DepsReport {
        root: root.display().to_string(),
        format: inv.format,
        lockfile: inv.file.clone(),
        database: format!("{} ({} advisories)", db.source, db.len()),
        packages,
        vulnerabilities,
        outdated: Vec::new(),
        ignored: Vec::new(),
        problems,
        inventory: inv,
    }
}

/// The dependency paths to one vulnerable package and the matching `via` entries.
type Attribution = (Vec<Vec<String>>, Vec<Via>);

fn reverse_edges(inv: &Inventory) -> Vec<Vec<usize>> {
    let mut rev = vec![Vec::new(); inv.packages.len()];
    for (i, p) in inv.packages.iter().enumerate() {
        for &j in &p.deps {
            if j < rev.len() {
                rev[j].push(i);
            }
        }
    }
    rev
}

/// The dependency paths and `via` entries of the package whose instances are `targets`: one breadth-first walk back
/// from its instances gives, for every package, the next step on a shortest path to it;
/// each direct dependency that reaches it then yields one path (production dependencies
/// first, then the shortest).
fn attribute(inv: &Inventory, reverse: &[Vec<usize>], targets: &[usize]) -> Attribution {
    let n = inv.packages.len();
    let mut next: Vec<Option<usize>> = vec![None; n];
    let mut dist: Vec<u32> = vec![u32::MAX; n];
    let mut queue = VecDeque::new();
    for &i in targets {
        dist[i] = 0;
        queue.push_back(i);
    }
    while let Some(i) = queue.pop_front() {
        for &parent in &reverse[i] {
            if dist[parent] == u32::MAX {
                dist[parent] = dist[i] + 1;
                next[parent] = Some(i);
                queue.push_back(parent);
            }
        }
    }
    let mut found: Vec<(u32, &inventory::DirectDep, usize)> = inv
        .direct
        .iter()
        .filter_map(|d| {
            d.resolved
                .filter(|&i| dist[i] != u32::MAX)
                .map(|i| (dist[i], d, i))
        })
        .collect();
    // production dependencies first (a shorter path through a dev tool must not hide that the
    // package ships: poster-backend's ip@2.0.0 is reached from release-it and from egg), then
    // the shortest paths
    found.sort_by(|a, b| (a.1.dev, a.0, &a.1.name).cmp(&(b.1.dev, b.0, &b.1.name)));
    let mut paths = Vec::new();
    let mut vias = Vec::new();
    for (_, d, start) in found.into_iter().take(MAX_PATHS) {
        let mut path = vec![start];
        let mut cur = start;
        while let Some(j) = next[cur] {
            path.push(j);
            cur = j;
        }
        let egg = path
            .iter()
            .rev()
            .map(|&i| &inv.packages[i])
            .find(|p| p.egg_role.is_some());
        vias.push(Via {
            direct: d.name.clone(),
            direct_version: inv.packages[start].version.clone(),
            egg_package: egg.map(|p| p.name.clone()),
            egg_role: egg.and_then(|p| p.egg_role),
            upgrade: None,
        });
        paths.push(
            path.iter()
                .map(|&i| format!("{}@{}", inv.packages[i].name, inv.packages[i].version))
                .collect(),
        );
    }
    (paths, vias)
}

/// Fills each `via.upgrade` from registry data: for each newer version of the direct
/// dependency (lowest first), follows the path down picking the highest version each range
/// allows (what a fresh install picks) and stops at the first whose chain no longer reaches
/// an affected version. Registry failures become problems.
pub fn suggest_upgrades(report: &mut DepsReport, registry: &Registry, db: &Database) {
    let mut problems = Vec::new();
    for v in &mut report.vulnerabilities {
        for (k, via) in v.via.iter_mut().enumerate() {
            let Some(path) = v.paths.get(k) else { continue };
            let chain: Vec<String> = path
                .iter()
                .map(|p| p.rsplit_once('@').map(|(n, _)| n).unwrap_or(p).to_string())
                .collect();
            match upgrade_for(registry, db, &chain, &via.direct_version, &v.id) {
                Ok(up) => via.upgrade = up,
                Err(e) => {
                    if !problems.contains(&e) {
                        problems.push(e)
                    }
                }
            }
        }
    }
    report.problems.extend(problems);
}

fn upgrade_for(
    registry: &Registry,
    db: &Database,
    chain: &[String],
    installed: &str,
    advisory: &str,
) -> Result<Option<String>, String> {
    let direct = registry.packument(&chain[0]).map_err(|e| e.to_string())?;
    let installed = Version::parse(installed);
    let mut candidates: Vec<Version> = direct
        .versions
        .keys()
        .filter_map(|v| Version::parse(v))
        .filter(|v| !v.is_prerelease() && installed.as_ref().is_none_or(|i| v > i))
        .collect();
    candidates.sort();
    'candidate: for cand in candidates {
        let mut current = (chain[0].clone(), cand.to_string());
        for next in &chain[1..] {
            let doc = registry.packument(&current.0).map_err(|e| e.to_string())?;
            let Some(range) = doc
                .versions
                .get(&current.1)
                .and_then(|m| m.dependencies.get(next.as_str()))
            else {
                // The dependency is gone from this version: the path is broken.
                return Ok(Some(cand.to_string()));
            };
            let next_doc = registry.packument(next).map_err(|e| e.to_string())?;
            let Some(picked) = next_doc.max_satisfying(range) else {
                continue 'candidate;
            };
            current = (next.clone(), picked);
        }
        let last = Version::parse(&current.1);
        let still = last.is_some_and(|v| {
            db.matches(&current.0, &v)
                .iter()
                .any(|m| m.advisory.id == advisory)
        });
        if !still {
            return Ok(Some(cand.to_string()));
        }
    }
    Ok(None)
}

/// Egg majors past their end of life, with what to move to.
pub const EGG_END_OF_LIFE: &[(&str, u64, &str)] = &[
    (
        "egg",
        1,
        "egg 1.x is end-of-life: no security fixes; upgrade to egg 3 or 4",
    ),
    (
        "egg",
        2,
        "egg 2.x is end-of-life: no security fixes since egg 3 shipped; upgrade to egg 3 or 4",
    ),
];

/// The end-of-life note for `name@version`, when its major is past support.
pub fn end_of_life(name: &str, version: &str) -> Option<&'static str> {
    let v = Version::parse(version)?;
    EGG_END_OF_LIFE
        .iter()
        .find(|(n, major, _)| *n == name && v.major() == *major)
        .map(|(_, _, why)| *why)
}

/// Fills `report.outdated` for the egg-family packages (and with `all`, every direct
/// dependency) from the registry, `workers` requests at a time.
pub fn outdated(report: &mut DepsReport, registry: &Registry, all: bool, workers: usize) {
    let mut wanted: Vec<&PackageOut> = report
        .packages
        .iter()
        .filter(|p| p.egg_role.is_some() || (all && p.direct))
        .collect();
    wanted.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<String> = wanted.iter().map(|p| p.name.clone()).collect();
    registry.prefetch(&names, workers);
    let now = crate::dates::now();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for p in wanted {
        let doc = match registry.packument(&p.name) {
            Ok(d) => d,
            Err(e) => {
                let msg = e.to_string();
                if !problems.contains(&msg) {
                    problems.push(msg);
                }
                continue;
            }
        };
        let Some(latest) = doc.latest.clone() else {
            continue;
        };
        let (Some(inst), Some(lat)) = (Version::parse(&p.version), Version::parse(&latest)) else {
            continue;
        };
        let behind = if lat <= inst {
            "none"
        } else if lat.major() > inst.major() {
            "major"
        } else if lat.minor() > inst.minor() {
            "minor"
        } else {
            "patch"
        };
        out.push(Outdated {
            name: p.name.clone(),
            installed: p.version.clone(),
            latest: latest.clone(),
            behind: behind.to_string(),
            majors_behind: lat.major().saturating_sub(inst.major()),
            days_since_installed_release: doc
                .time
                .get(&p.version)
                .and_then(|t| crate::dates::parse_rfc3339(t))
                .map(|t| (now - t) / 86400),
            deprecated: doc
                .versions
                .get(&p.version)
                .and_then(|m| m.deprecated.clone()),
            end_of_life: end_of_life(&p.name, &p.version).map(str::to_string),
            node_engine: doc
                .versions
                .get(&latest)
                .and_then(|m| m.node_engine.clone()),
            egg_role: p.egg_role,
        });
    }
    report.outdated = out;
    report.problems.extend(problems);
}

/// One analysis per app root per process, shared by the `updates` rules of `eggsec audit`
/// (offline: the installed or embedded advisory database, no registry).
pub fn cached(root: &Path) -> std::sync::Arc<DepsReport> {
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<std::path::PathBuf, Arc<DepsReport>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(root.to_path_buf())
        .or_insert_with(|| Arc::new(analyze(root, crate::db::installed())))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_production_path_is_named_before_a_shorter_dev_one() {
        // poster-backend: ip@2.0.0 is reached from release-it (a dev tool, shorter) and from
        // egg; the finding must not read as a dev-only problem
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("package.json"),
            r#"{"name":"app","dependencies":{"web":"1.0.0"},"devDependencies":{"devtool":"1.0.0"}}"#,
        )
        .unwrap();
        std::fs::write(
            tmp.path().join("package-lock.json"),
            r#"{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "app", "dependencies": {"web": "1.0.0"}, "devDependencies": {"devtool": "1.0.0"}},
    "node_modules/devtool": {"version": "1.0.0", "dev": true, "dependencies": {"minimist": "1.2.0"}},
    "node_modules/web": {"version": "1.0.0", "dependencies": {"parser": "1.0.0"}},
    "node_modules/parser": {"version": "1.0.0", "dependencies": {"minimist": "1.2.0"}},
    "node_modules/minimist": {"version": "1.2.0"}
  }
}
"#,
        )
        .unwrap();
        let report = analyze(tmp.path(), crate::db::Database::embedded());
        let v = report
            .vulnerabilities
            .iter()
            .find(|v| v.package == "minimist")
            .expect("minimist 1.2.0 has advisories");
        assert!(!v.dev);
        assert_eq!(v.via[0].direct, "web", "{:?}", v.via);
        assert_eq!(
            v.paths[0],
            ["web@1.0.0", "parser@1.0.0", "minimist@1.2.0"],
            "{:?}",
            v.paths
        );
        assert_eq!(v.paths[1], ["devtool@1.0.0", "minimist@1.2.0"]);
    }
}
