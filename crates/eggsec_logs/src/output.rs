//! Renderers for a scan: text summary, the JSON contract
//! (`{"files":[…],"findings":[…],"summary":{…}}`), Elastic Common Schema NDJSON alerts, Graylog
//! GELF 1.1 NDJSON, and SARIF (through `eggsec_report`). Evidence is masked everywhere.

use crate::scan::{LogFinding, ScanResult};
use eggsec_report::{AppReport, Posture, Report, Strategy};
use serde_json::{json, Value};

fn finding_json(f: &LogFinding) -> Value {
    json!({
        "file": f.file,
        "line": f.line,
        "detector": f.detector,
        "rule": f.finding.rule,
        "strategy": f.finding.strategy.as_str(),
        "severity": f.finding.severity.as_str(),
        "confidence": f.finding.confidence.as_str(),
        "message": f.finding.message,
        "evidence": f.finding.evidence.join("; "),
        "count": f.count,
        "time": f.ts.map(crate::record::format_rfc3339),
        "ip": f.ip,
        "remediation": f.finding.remediation,
        "fingerprint": f.finding.fingerprint,
    })
}

/// The summary object: counts per detector, findings per severity, top IPs, timeline, errors.
pub fn summary_json(r: &ScanResult) -> Value {
    let mut sev = serde_json::Map::new();
    for f in &r.findings {
        let e = sev.entry(f.finding.severity.as_str()).or_insert(json!(0));
        *e = json!(e.as_u64().unwrap_or(0) + 1);
    }
    json!({
        "files": r.files.len(),
        "lines": r.total_lines,
        "bytes": r.total_bytes,
        "findings": r.findings.len(),
        "by_severity": sev,
        "by_detector": r.counts,
        "top_ips": r.top_ips.iter().map(|(ip, n)| json!({"ip": ip, "requests": n})).collect::<Vec<_>>(),
        "timeline": r.timeline,
        "errors": r.errors,
    })
}

/// `--format json`.
pub fn render_json(r: &ScanResult) -> String {
    let doc = json!({
        "files": r.files,
        "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "summary": summary_json(r),
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serialisable");
    s.push('\n');
    s
}

/// `--format text`: findings (file:line, severity, detector, message, evidence), then counts
/// per detector, top IPs and the timeline.
pub fn render_text(r: &ScanResult) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for f in &r.findings {
        let _ = writeln!(
            s,
            "{}:{}: {} {} [{}] {}",
            f.file, f.line, f.finding.severity, f.finding.rule, f.detector, f.finding.message
        );
        for e in &f.finding.evidence {
            let _ = writeln!(s, "    {e}");
        }
    }
    if !r.findings.is_empty() {
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "Scanned {} files, {} lines, {:.1} MB: {} findings",
        r.files.len(),
        r.total_lines,
        r.total_bytes as f64 / 1e6,
        r.findings.len()
    );
    if !r.counts.is_empty() {
        s.push_str("\nOccurrences per detector:\n");
        for (k, v) in &r.counts {
            let _ = writeln!(s, "  {k:<28} {v}");
        }
    }
    if !r.top_ips.is_empty() {
        s.push_str("\nTop client IPs (request records):\n");
        for (ip, n) in &r.top_ips {
            let _ = writeln!(s, "  {ip:<28} {n}");
        }
    }
    if !r.timeline.is_empty() {
        s.push_str("\nTimeline:\n");
        for (t, per) in &r.timeline {
            let parts: Vec<String> = per.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let _ = writeln!(s, "  {t}  {}", parts.join(", "));
        }
    }
    for e in &r.errors {
        let _ = writeln!(s, "warning: {e}");
    }
    s
}

fn threat(detector: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match detector {
        "brute-force-by-ip" | "brute-force-by-account" | "auth-failures" => {
            ("T1110", "Brute Force", "Credential Access")
        }
        "client-error-burst" => ("T1595", "Active Scanning", "Reconnaissance"),
        "injection-payload-in-url" => (
            "T1190",
            "Exploit Public-Facing Application",
            "Initial Access",
        ),
        "forged-log-line" => ("T1070", "Indicator Removal", "Defense Evasion"),
        _ if detector.ends_with("-in-log") => {
            ("T1552", "Unsecured Credentials", "Credential Access")
        }
        _ => return None,
    })
}

fn ecs_category(f: &LogFinding) -> (&'static str, &'static str) {
    match f.detector {
        "csrf-failures" => ("web", "denied"),
        "auth-failures" | "brute-force-by-ip" | "brute-force-by-account" => {
            ("authentication", "info")
        }
        "client-error-burst" | "server-error-spike" => ("web", "error"),
        _ => ("intrusion_detection", "indicator"),
    }
}

/// `--format ecs`: one ECS alert document per finding (NDJSON), `event.kind: alert`, with
/// `rule.*`, `log.file.path`, `source.ip` and MITRE ATT&CK `threat.*` where they apply.
pub fn render_ecs(r: &ScanResult) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let (category, typ) = ecs_category(f);
        let mut doc = json!({
            "@timestamp": f.ts.map(crate::record::format_rfc3339),
            "ecs": {"version": "8.11.0"},
            "message": f.finding.message,
            "event": {
                "kind": "alert",
                "category": [category],
                "type": [typ],
                "module": "eggjs",
                "dataset": "eggjs.eggsec",
                "severity": match f.finding.severity {
                    eggsec_report::Severity::Critical => 99,
                    eggsec_report::Severity::High => 73,
                    eggsec_report::Severity::Medium => 47,
                    eggsec_report::Severity::Low => 21,
                    eggsec_report::Severity::Info => 1,
                },
                "count": f.count,
            },
            "rule": {
                "id": f.finding.rule,
                "name": f.detector,
                "ruleset": "eggsec-logs",
                "description": f.finding.message,
            },
            "log": {"file": {"path": f.file}, "level": f.finding.severity.as_str()},
            "labels": {"line": f.line, "fingerprint": f.finding.fingerprint, "evidence": f.finding.evidence.join("; ")},
            "observer": {"product": "eggsec", "vendor": "eggsec", "type": "log-scanner"},
        });
        if doc["@timestamp"].is_null() {
            doc.as_object_mut().expect("object").remove("@timestamp");
        }
        if let Some(ip) = &f.ip {
            doc["source"] = json!({"ip": ip});
        }
        if let Some((id, name, tactic)) = threat(f.detector) {
            doc["threat"] = json!({
                "framework": "MITRE ATT&CK",
                "technique": [{"id": id, "name": name}],
                "tactic": {"name": [tactic]},
            });
        }
        out.push_str(&serde_json::to_string(&doc).expect("serialisable"));
        out.push('\n');
    }
    out
}

/// `--format gelf`: GELF 1.1 messages (one JSON object per line) for Graylog.
pub fn render_gelf(r: &ScanResult) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "eggsec".into());
    let mut out = String::new();
    for f in &r.findings {
        let level = match f.finding.severity {
            eggsec_report::Severity::Critical => 2,
            eggsec_report::Severity::High => 3,
            eggsec_report::Severity::Medium => 4,
            eggsec_report::Severity::Low => 5,
            eggsec_report::Severity::Info => 6,
        };
        let mut doc = json!({
            "version": "1.1",
            "host": host,
            "short_message": f.finding.message,
            "full_message": format!("{}\n{}", f.finding.evidence.join("\n"), f.finding.remediation),
            "level": level,
            "_rule": f.finding.rule,
            "_detector": f.detector,
            "_file": f.file,
            "_line": f.line,
            "_count": f.count,
            "_fingerprint": f.finding.fingerprint,
        });
        if let Some(ts) = f.ts {
            doc["timestamp"] = json!(ts as f64 / 1000.0);
        }
        if let Some(ip) = &f.ip {
            doc["_source_ip"] = json!(ip);
        }
        out.push_str(&serde_json::to_string(&doc).expect("serialisable"));
        out.push('\n');
    }
    out
}

/// The scan as an `eggsec_report::Report` (one pseudo-app named after the scanned paths), for
/// SARIF and for folding log findings into the posture report.
pub fn as_report(r: &ScanResult, root: &str) -> Report {
    Report {
        apps: vec![AppReport {
            root: root.to_string(),
            env: "logs".into(),
            findings: r.findings.iter().map(|f| f.finding.clone()).collect(),
            posture: Strategy::ALL
                .into_iter()
                .map(Posture::not_assessed)
                .collect(),
            diagnostics: r.errors.clone(),
        }],
    }
}

/// `--format sarif`.
pub fn render_sarif(r: &ScanResult, root: &str) -> String {
    eggsec_report::render_sarif(&as_report(r, root), &[])
}
