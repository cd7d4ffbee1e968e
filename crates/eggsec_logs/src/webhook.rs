//! `--webhook URL`: posts the scan summary (masked evidence only) as JSON. Slack, DingTalk and
//! Feishu/Lark robot URLs get their own message shape; anything else gets
//! `{"text", "summary", "findings"}`.

use crate::output::summary_json;
use crate::scan::ScanResult;
use serde_json::{json, Value};
use std::time::Duration;

/// The one-paragraph text of a notification.
pub fn text(r: &ScanResult) -> String {
    let mut s = format!(
        "eggsec logs scan: {} findings in {} files ({} lines)",
        r.findings.len(),
        r.files.len(),
        r.total_lines
    );
    for f in r
        .findings
        .iter()
        .filter(|f| f.finding.severity >= eggsec_report::Severity::High)
        .take(10)
    {
        s.push_str(&format!(
            "\n- [{}] {} {}:{} {}",
            f.finding.severity, f.detector, f.file, f.line, f.finding.message
        ));
    }
    s
}

/// The JSON body for `url`.
pub fn body(url: &str, r: &ScanResult) -> Value {
    let t = text(r);
    if url.contains("oapi.dingtalk.com") {
        json!({"msgtype": "text", "text": {"content": t}})
    } else if url.contains("open.feishu.cn") || url.contains("open.larksuite.com") {
        json!({"msg_type": "text", "content": {"text": t}})
    } else if url.contains("hooks.slack.com") {
        json!({"text": t})
    } else {
        let findings: Vec<Value> = r
            .findings
            .iter()
            .take(100)
            .map(|f| {
                json!({"file": f.file, "line": f.line, "detector": f.detector, "severity": f.finding.severity.as_str(),
                       "message": f.finding.message, "evidence": f.finding.evidence.join("; ")})
            })
            .collect();
        json!({"text": t, "summary": summary_json(r), "findings": findings})
    }
}

/// Posts the notification; returns the HTTP status. 10 s timeout, no retries.
pub fn post(url: &str, r: &ScanResult) -> Result<u16, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let body = body(url, r).to_string();
    let resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body.as_str())
        .map_err(|e| format!("webhook {}: {e}", redact_url(url)))?;
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(format!("webhook {}: HTTP {status}", redact_url(url)))
    }
}

/// The URL with its secrets (robot tokens, webhook paths) redacted, for error messages.
pub fn redact_url(url: &str) -> String {
    crate::redact::redact_str(url)
}
