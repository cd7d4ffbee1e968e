//! Sigma export of the security-event detections, so the same rules run fleet-wide in a SIEM
//! (pySigma converts them to Elasticsearch Lucene/ES|QL, Splunk SPL, Loki LogQL...).
//!
//! The rules use Elastic Common Schema field names (`log.level`, `error.type`,
//! `error.message`, `source.ip`, `user.name`, `url.original`, `http.response.status_code`) on
//! `logsource: {product: eggjs}`: ship egg's JSON logs through an ingest pipeline that maps
//! `paddingMessage` → `source.ip`/`http.request.method`/`url.original` and the
//! `nodejs.<Name>: <msg>` header → `error.type`/`error.message`. Correlation rules (brute force,
//! bursts, spikes) convert to ES|QL, Splunk and Loki, not to plain Lucene; backends bucket
//! windows (`date_trunc`, `bin`), the in-tool engine slides them.

use std::fmt::Write;

/// One exported rule file.
pub struct SigmaFile {
    /// File name (`eggjs_csrf_failure.yml`).
    pub name: String,
    /// YAML text (one or more documents).
    pub yaml: String,
}

fn uuid(name: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    ("eggsec-sigma-a", name).hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    ("eggsec-sigma-b", name).hash(&mut b);
    let (x, y) = (a.finish(), b.finish());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (x >> 32) as u32,
        (x >> 16) as u16,
        (x as u16) & 0x0fff,
        ((y >> 48) as u16 & 0x3fff) | 0x8000,
        y & 0xffff_ffff_ffff
    )
}

fn header(out: &mut String, name: &str, title: &str, description: &str, tags: &[&str]) {
    let _ = writeln!(out, "title: {title}");
    let _ = writeln!(out, "id: {}", uuid(name));
    let _ = writeln!(out, "name: {name}");
    let _ = writeln!(out, "status: experimental");
    let _ = writeln!(out, "description: {description}");
    let _ = writeln!(out, "author: eggsec");
    let _ = writeln!(out, "date: 2026-11-29");
    let _ = writeln!(out, "references:");
    let _ = writeln!(out, "    - https://eggjs.org/core/security");
    if !tags.is_empty() {
        let _ = writeln!(out, "tags:");
        for t in tags {
            let _ = writeln!(out, "    - {t}");
        }
    }
    let _ = writeln!(out, "logsource:");
    let _ = writeln!(out, "    product: eggjs");
    let _ = writeln!(out, "    service: app");
}

/// An `event_count` correlation: `(name, title, base rule, group-by field, timespan, gte, level)`.
type Correlation<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, u32, &'a str);

fn correlation(out: &mut String, c: Correlation<'_>) {
    let (name, title, rule, group_by, timespan, gte, level) = c;
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "title: {title}");
    let _ = writeln!(out, "id: {}", uuid(name));
    let _ = writeln!(out, "name: {name}");
    let _ = writeln!(out, "status: experimental");
    let _ = writeln!(out, "author: eggsec");
    let _ = writeln!(out, "date: 2026-11-29");
    let _ = writeln!(out, "correlation:");
    let _ = writeln!(out, "    type: event_count");
    let _ = writeln!(out, "    rules:");
    let _ = writeln!(out, "        - {rule}");
    let _ = writeln!(out, "    group-by:");
    let _ = writeln!(out, "        - {group_by}");
    let _ = writeln!(out, "    timespan: {timespan}");
    let _ = writeln!(out, "    condition:");
    let _ = writeln!(out, "        gte: {gte}");
    let _ = writeln!(out, "level: {level}");
}

/// Every rule file, with the thresholds of `opts`.
pub fn rules(opts: &crate::ScanOptions) -> Vec<SigmaFile> {
    let mut files = Vec::new();
    let mins = |ms: i64| format!("{}m", (ms / 60_000).max(1));

    let mut y = String::new();
    header(&mut y, "eggjs_csrf_failure", "Egg.js CSRF check failure", "egg-security rejected a state-changing request without a valid CSRF token or referer (logged by egg-onerror as a WARN ForbiddenError).", &["attack.initial-access", "attack.t1190"]);
    y.push_str("detection:\n    selection:\n        log.level: WARN\n        error.type: ForbiddenError\n        error.message|contains: csrf\n    condition: selection\nfields:\n    - source.ip\n    - url.original\nfalsepositives:\n    - Stale pages and clients that do not send the x-csrf-token header\nlevel: low\n");
    files.push(SigmaFile {
        name: "eggjs_csrf_failure.yml".into(),
        yaml: y,
    });

    let mut y = String::new();
    header(
        &mut y,
        "eggjs_auth_failure",
        "Egg.js authentication failure",
        "An application log record reporting a failed login or an HTTP 401 response.",
        &["attack.credential-access", "attack.t1110"],
    );
    y.push_str("detection:\n    selection_message:\n        message|contains:\n            - login failed\n            - login failure\n            - authentication failed\n            - invalid password\n            - wrong password\n            - invalid credentials\n    selection_status:\n        http.response.status_code: 401\n    condition: 1 of selection_*\nfields:\n    - source.ip\n    - user.name\nfalsepositives:\n    - Users mistyping passwords\nlevel: low\n");
    correlation(
        &mut y,
        (
            "eggjs_brute_force_by_ip",
            "Egg.js brute force from one IP",
            "eggjs_auth_failure",
            "source.ip",
            &mins(opts.brute_window_ms),
            opts.brute_threshold as u32,
            "high",
        ),
    );
    correlation(
        &mut y,
        (
            "eggjs_brute_force_by_account",
            "Egg.js brute force against one account",
            "eggjs_auth_failure",
            "user.name",
            &mins(opts.brute_window_ms),
            opts.brute_threshold as u32,
            "high",
        ),
    );
    files.push(SigmaFile {
        name: "eggjs_brute_force.yml".into(),
        yaml: y,
    });

    let mut y = String::new();
    header(
        &mut y,
        "eggjs_client_error",
        "Egg.js client error response",
        "A 4xx response (access log) or a 4xx error logged by egg-onerror.",
        &["attack.reconnaissance", "attack.t1595"],
    );
    y.push_str("detection:\n    selection:\n        http.response.status_code|gte: 400\n    filter:\n        http.response.status_code|gte: 500\n    condition: selection and not filter\nfields:\n    - source.ip\n    - url.original\nlevel: informational\n");
    correlation(
        &mut y,
        (
            "eggjs_client_error_burst",
            "Egg.js burst of client errors from one IP (scanning)",
            "eggjs_client_error",
            "source.ip",
            &mins(opts.burst_window_ms),
            opts.burst_threshold as u32,
            "medium",
        ),
    );
    files.push(SigmaFile {
        name: "eggjs_client_error_burst.yml".into(),
        yaml: y,
    });

    let mut y = String::new();
    header(&mut y, "eggjs_server_error", "Egg.js server error", "An ERROR record with a request prefix (egg-onerror logs every status >= 500) or a 5xx in the access log.", &[]);
    y.push_str("detection:\n    selection:\n        http.response.status_code|gte: 500\n    condition: selection\nfields:\n    - url.original\n    - error.type\nlevel: informational\n");
    correlation(
        &mut y,
        (
            "eggjs_server_error_spike",
            "Egg.js spike of server errors",
            "eggjs_server_error",
            "host.name",
            &mins(opts.spike_window_ms),
            opts.spike_threshold as u32,
            "medium",
        ),
    );
    files.push(SigmaFile {
        name: "eggjs_server_error_spike.yml".into(),
        yaml: y,
    });

    let mut y = String::new();
    header(&mut y, "eggjs_injection_in_url", "Injection or traversal payload in an Egg.js request URL", "The request URL logged in egg's request prefix carries an SQL injection, traversal, XSS, JNDI/template or command injection payload (encoded or not).", &["attack.initial-access", "attack.t1190"]);
    y.push_str("detection:\n    selection:\n        url.original|contains:\n");
    for p in [
        "union%20select",
        "union+select",
        "union select",
        "%27%20or%20",
        "' or ",
        "or%201=1",
        "sleep(",
        "information_schema",
        "../",
        "..%2f",
        "%2e%2e",
        "/etc/passwd",
        "<script",
        "%3cscript",
        "javascript:",
        "${jndi:",
        "%24%7bjndi",
        "{{",
        "%7b%7b",
        "%0a",
        "%0d",
    ] {
        // YAML single quotes escape a quote by doubling it.
        let _ = writeln!(y, "            - '{}'", p.replace('\'', "''"));
    }
    y.push_str("    condition: selection\nfields:\n    - source.ip\n    - url.original\nfalsepositives:\n    - Search boxes that accept SQL-like text\nlevel: high\n");
    files.push(SigmaFile {
        name: "eggjs_injection_in_url.yml".into(),
        yaml: y,
    });
    files
}

/// Writes the rules into `dir` (created if missing); returns the paths written.
pub fn write(
    dir: &std::path::Path,
    opts: &crate::ScanOptions,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for f in rules(opts) {
        let p = dir.join(&f.name);
        std::fs::write(&p, f.yaml)?;
        written.push(p);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_yaml_with_unique_ids() {
        let files = rules(&crate::ScanOptions::default());
        let mut ids = Vec::new();
        for f in &files {
            for doc in f.yaml.split("\n---\n") {
                let id = doc
                    .lines()
                    .find_map(|l| l.strip_prefix("id: "))
                    .expect("id");
                assert_eq!(id.len(), 36);
                ids.push(id.to_string());
                assert!(doc.contains("title: "));
                assert!(doc.contains("detection:") || doc.contains("correlation:"));
            }
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
