//! `eggsec_logs` — find secrets, personal data and attacks in Egg.js logs, redact them, and
//! hand the detections to a SIEM.
//!
//! - [`reader`]/[`record`]/[`kind`]: egg-logger's text records (multi-line error records,
//!   request prefixes), JSON twins, schedule logs, rotated names and `.gz`, streamed with a
//!   bounded buffer.
//! - [`secrets`]/[`pii`]/[`detect`]: the log-specific secret pack and validated personal data.
//! - [`scan`]: security events (CSRF, auth failures, brute force, 4xx bursts, 5xx spikes,
//!   injection payloads, forged lines, single-IP proxy misconfiguration) and the scan driver.
//! - [`redact`]: streaming, structure-keeping, atomic redaction.
//! - [`watch`]: following live logs across rotation and restarts, alerts to stdout,
//!   webhooks and log shippers.
//! - [`output`], [`sigma`]: JSON, ECS NDJSON, GELF, SARIF, text; Sigma rules.
//!
//! ```
//! let mut scanner = eggsec_logs::detect::LineScanner::new();
//! let hits = scanner.scan(b"login user=admin password=letmein123");
//! assert_eq!(hits[0].rule.name, "password-in-log");
//! assert_eq!(
//!     eggsec_logs::redact::redact_str("phone=13812345678"),
//!     "phone=[REDACTED:mobile]"
//! );
//! ```

pub mod detect;
pub mod ecs;
pub mod gen;
pub mod kind;
pub mod output;
pub mod pii;
pub mod reader;
pub mod record;
pub mod redact;
pub mod rules;
pub mod scan;
pub mod secrets;
pub mod sigma;
pub mod twin;
pub mod watch;
pub mod webhook;
pub mod window;

pub use scan::{scan_paths, FileReport, LogFinding, ScanOptions, ScanResult};

/// Parses `--since`: `2026-11-29`, `2026-11-29 01:00[:00]`, `2026-11-29T01:00:00[Z]`, or a
/// duration back from `now_ms` (`30m`, `2h`, `7d`). Returns epoch ms of the wall-clock time.
pub fn parse_since(s: &str, now_ms: i64) -> Result<i64, String> {
    let s = s.trim();
    if let Some(unit) = s.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        if let Ok(n) = s[..s.len() - 1].parse::<i64>() {
            let ms = match unit {
                's' => 1_000,
                'm' => 60_000,
                'h' => 3_600_000,
                'd' => 86_400_000,
                _ => return Err(format!("--since {s}: unknown unit '{unit}' (s, m, h, d)")),
            };
            return Ok(now_ms - n * ms);
        }
    }
    let b = s.as_bytes();
    let n = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let err = || format!("--since {s}: expected YYYY-MM-DD[ HH:MM[:SS]] or a duration like 2h");
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(err());
    }
    let (y, m, d) = (
        n(0..4).ok_or_else(err)?,
        n(5..7).ok_or_else(err)?,
        n(8..10).ok_or_else(err)?,
    );
    let (mut h, mut mi, mut sec) = (0, 0, 0);
    if b.len() >= 16 {
        h = n(11..13).ok_or_else(err)?;
        mi = n(14..16).ok_or_else(err)?;
        if b.len() >= 19 {
            sec = n(17..19).ok_or_else(err)?;
        }
    }
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(err());
    }
    Ok(record::days_from_civil(y, m, d) * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn since_forms() {
        let day = super::parse_since("2026-11-29", 0).unwrap();
        assert_eq!(
            super::parse_since("2026-11-29 01:00", 0).unwrap(),
            day + 3_600_000
        );
        assert_eq!(
            super::parse_since("2026-11-29T01:00:30Z", 0).unwrap(),
            day + 3_630_000
        );
        assert_eq!(
            super::parse_since("2h", 10_000_000).unwrap(),
            10_000_000 - 7_200_000
        );
        assert!(super::parse_since("yesterday", 0).is_err());
    }
}
