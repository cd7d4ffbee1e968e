//! npm's bulk advisory endpoint (`POST <registry>/-/npm/v1/security/advisories/bulk`), the one
//! `npm audit` asks: `{"name": ["1.2.3", ...]}` in, `{"name": [{id, url, title, severity,
//! vulnerable_versions, cvss, cwe}]}` out. Its records become [`Advisory`]s that list exactly
//! the asked versions they affect, so they merge with OSV's (by GHSA id or alias) and go
//! through the same matching and attribution.

use crate::db::{Advisory, Affected, End, Interval};
use crate::registry::Registry;
use crate::version::Version;
use eggsec_report::Severity;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The endpoint's path under the registry URL.
pub const BULK_PATH: &str = "-/npm/v1/security/advisories/bulk";

/// Why the bulk query gave nothing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BulkError {
    /// The registry has no such endpoint (a mirror that answers 404/405): skip it.
    #[error("the registry {registry} has no bulk advisory endpoint (HTTP {status}); only the OSV database was used")]
    Unsupported { registry: String, status: u16 },
    #[error("the registry's bulk advisory endpoint failed: {0}")]
    Failed(String),
}

#[derive(Deserialize)]
struct BulkRecord {
    id: serde_json::Value,
    #[serde(default)]
    url: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    vulnerable_versions: String,
    #[serde(default)]
    cvss: Option<BulkCvss>,
}

#[derive(Deserialize)]
struct BulkCvss {
    #[serde(default, rename = "vectorString")]
    vector: Option<String>,
}

/// Asks the registry about `packages` (name → versions in the lockfile).
pub fn query(
    registry: &Registry,
    packages: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<Advisory>, BulkError> {
    if packages.is_empty() {
        return Ok(Vec::new());
    }
    let body: serde_json::Value = packages
        .iter()
        .map(|(n, vs)| (n.clone(), serde_json::json!(vs)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let (status, bytes) = registry
        .post_json(BULK_PATH, &body, 64 << 20)
        .map_err(|e| BulkError::Failed(e.to_string()))?;
    match status {
        200 => parse(&bytes, packages),
        404 | 405 | 501 => Err(BulkError::Unsupported {
            registry: crate::redact_url(&registry.config.url),
            status,
        }),
        s => Err(BulkError::Failed(format!("HTTP {s}"))),
    }
}

/// Parses a bulk response; each record affects the asked versions its range covers.
pub fn parse(
    bytes: &[u8],
    asked: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<Advisory>, BulkError> {
    let doc: BTreeMap<String, Vec<BulkRecord>> = serde_json::from_slice(bytes)
        .map_err(|e| BulkError::Failed(format!("not a bulk advisory response: {e}")))?;
    let mut out = Vec::new();
    for (name, records) in doc {
        let Some(versions) = asked.get(&name) else {
            continue;
        };
        for r in records {
            let Ok(range) = nodejs_semver::Range::parse(&r.vulnerable_versions) else {
                continue;
            };
            let hit: Vec<Version> = versions
                .iter()
                .filter(|v| {
                    nodejs_semver::Version::parse(v.as_str()).is_ok_and(|sv| sv.satisfies(&range))
                })
                .filter_map(|v| Version::parse(v))
                .collect();
            if hit.is_empty() {
                continue;
            }
            let npm_id = match &r.id {
                serde_json::Value::Number(n) => format!("NPM-{n}"),
                serde_json::Value::String(s) => format!("NPM-{s}"),
                _ => "NPM-unknown".into(),
            };
            let ghsa = r
                .url
                .rsplit('/')
                .find(|s| s.starts_with("GHSA-"))
                .map(str::to_string);
            let (id, aliases) = match ghsa {
                Some(g) => (g, vec![npm_id]),
                None => (npm_id, vec![]),
            };
            let vector = r.cvss.and_then(|c| c.vector).filter(|v| !v.is_empty());
            let severity = vector
                .as_deref()
                .and_then(crate::cvss::base_score_v3)
                .map(crate::cvss::severity_of_score)
                .unwrap_or(match r.severity.as_str() {
                    "critical" => Severity::Critical,
                    "high" => Severity::High,
                    "low" => Severity::Low,
                    _ => Severity::Medium,
                });
            out.push(Advisory {
                id,
                aliases,
                summary: r.title,
                severity,
                cvss: vector,
                withdrawn: None,
                published: String::new(),
                modified: String::new(),
                affected: vec![Affected {
                    package: name.clone(),
                    ranges: simple_intervals(&r.vulnerable_versions),
                    versions: hit,
                }],
            });
        }
    }
    Ok(out)
}

/// The fixed-version intervals of a range made only of `<X` and `>=A <X` alternatives (so the
/// report can name the fix); other shapes give none (the listed versions still match).
fn simple_intervals(range: &str) -> Vec<Interval> {
    let mut out = Vec::new();
    for alt in range.split("||") {
        let parts: Vec<&str> = alt.split_whitespace().collect();
        let (lo, hi) = match parts.as_slice() {
            [hi] => (None, *hi),
            [lo, hi] => (Some(*lo), *hi),
            _ => return Vec::new(),
        };
        let Some(fixed) = hi.strip_prefix('<').filter(|h| !h.starts_with('=')) else {
            return Vec::new();
        };
        let introduced = match lo {
            None => None,
            Some(l) => match l.strip_prefix(">=").and_then(Version::parse) {
                Some(v) => Some(v),
                None => return Vec::new(),
            },
        };
        let Some(fixed) = Version::parse(fixed) else {
            return Vec::new();
        };
        out.push(Interval {
            introduced,
            end: End::Fixed(fixed),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_npm_audit_response() {
        let asked: BTreeMap<String, BTreeSet<String>> =
            [("lodash".to_string(), ["4.17.4".to_string()].into())].into();
        let body = br#"{"lodash":[{"id":1523,"url":"https://github.com/advisories/GHSA-jf85-cpcp-j695","title":"Prototype Pollution in lodash","severity":"critical","vulnerable_versions":"<4.17.12","cwe":["CWE-20"],"cvss":{"score":9.1,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}},{"id":9,"url":"https://github.com/advisories/GHSA-none-none-none","title":"not ours","severity":"low","vulnerable_versions":">=5.0.0","cwe":[],"cvss":null}]}"#;
        let a = parse(body, &asked).unwrap();
        assert_eq!(a.len(), 1, "4.17.4 is not in >=5.0.0");
        assert_eq!(a[0].id, "GHSA-jf85-cpcp-j695");
        assert_eq!(a[0].aliases, vec!["NPM-1523"]);
        assert_eq!(a[0].severity, Severity::Critical);
        let m = a[0]
            .affects("lodash", &Version::parse("4.17.4").unwrap())
            .unwrap();
        assert_eq!(m.fixed.as_deref(), Some("4.17.12"));
    }

    #[test]
    fn complex_ranges_keep_only_listed_versions() {
        assert!(simple_intervals(">=1.0.0 <1.2.6 || <0.2.4").len() == 2);
        assert!(simple_intervals("<=2.0.0").is_empty());
        assert!(simple_intervals(">1.0.0 <2.0.0").is_empty());
    }
}
