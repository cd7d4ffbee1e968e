//! `--baseline FILE`: a JSON report from an earlier run; findings already in it (same
//! fingerprint) are not reported again, so CI fails only on new ones.

use eggsec_report::fingerprints_from_json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read the baseline: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the baseline is not JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: the baseline is not an eggsec JSON report (no \"apps\" array); write one with `eggsec audit --format json -o FILE`")]
    NotAReport { path: PathBuf },
}

/// The fingerprints of an earlier report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    fingerprints: HashSet<String>,
}

impl Baseline {
    /// Reads a report written by `eggsec audit --format json`.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        // Regular files only (a FIFO never blocks), size checked before reading.
        let text =
            eggsec_report::input::read_text_limited(path, 256 * 1024 * 1024).map_err(|e| {
                BaselineError::Read {
                    path: path.to_path_buf(),
                    source: match e {
                        eggsec_report::input::InputError::Io(io) => io,
                        other => std::io::Error::other(other.to_string()),
                    },
                }
            })?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| BaselineError::Json {
                path: path.to_path_buf(),
                source,
            })?;
        if !json.get("apps").is_some_and(serde_json::Value::is_array) {
            return Err(BaselineError::NotAReport {
                path: path.to_path_buf(),
            });
        }
        Ok(Baseline {
            fingerprints: fingerprints_from_json(&json).into_iter().collect(),
        })
    }

    /// A baseline of these fingerprints.
    pub fn from_fingerprints(fingerprints: impl IntoIterator<Item = String>) -> Baseline {
        Baseline {
            fingerprints: fingerprints.into_iter().collect(),
        }
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_fingerprints_and_rejects_other_json() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("base.json");
        std::fs::write(
            &good,
            r#"{"apps":[{"findings":[{"fingerprint":"00aa"},{"fingerprint":"11bb"}]}]}"#,
        )
        .unwrap();
        let b = Baseline::load(&good).unwrap();
        assert!(b.contains("00aa") && b.contains("11bb") && !b.contains("22cc"));
        assert_eq!(b.len(), 2);

        let other = dir.path().join("other.json");
        std::fs::write(&other, "[1,2]").unwrap();
        assert!(matches!(
            Baseline::load(&other),
            Err(BaselineError::NotAReport { .. })
        ));
        std::fs::write(&other, "{").unwrap();
        let err = Baseline::load(&other).unwrap_err().to_string();
        assert!(err.contains("other.json"), "{err}");
        assert!(matches!(
            Baseline::load(&dir.path().join("none.json")),
            Err(BaselineError::Read { .. })
        ));
    }
}
