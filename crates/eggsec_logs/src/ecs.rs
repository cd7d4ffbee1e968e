//! `eggsec logs ecs`: egg log records as Elastic Common Schema event documents (NDJSON), with
//! every secret and personal datum redacted, so the Sigma rules from `eggsec logs sigma`
//! (which use ECS field names) run on them in Elasticsearch, Splunk or Loki.
//!
//! A text record (header + stack + `key: value` properties) becomes one document:
//! `message` is the first line, `error.stack_trace` the rest (capped at 64 KiB). egg logs
//! local time without a zone: `@timestamp` is that wall-clock time written as UTC.

use crate::detect::LineScanner;
use crate::kind::{self, Format, Role};
use crate::reader::{self, LineReader};
use crate::record;
use crate::redact::write_redacted;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::Path;

const MAX_STACK: usize = 64 * 1024;

struct Rec {
    ts: i64,
    level: &'static str,
    pid: u32,
    prefix: Option<(String, String, String, String, String)>,
    message: String,
    stack: String,
    status: Option<u16>,
}

fn dataset(role: Role) -> &'static str {
    match role {
        Role::App => "eggjs.app",
        Role::Core => "eggjs.core",
        Role::Agent => "eggjs.agent",
        Role::CommonError => "eggjs.error",
        Role::Schedule => "eggjs.schedule",
        Role::Access => "eggjs.access",
        Role::Master => "eggjs.master",
    }
}

fn doc(r: &Rec, path: &str, role: Role) -> Value {
    let mut d = Map::new();
    d.insert("@timestamp".into(), json!(record::format_rfc3339(r.ts)));
    d.insert("ecs".into(), json!({"version": "8.11.0"}));
    d.insert(
        "event".into(),
        json!({"kind": "event", "module": "eggjs", "dataset": dataset(role)}),
    );
    d.insert(
        "log".into(),
        json!({"level": r.level, "file": {"path": path}}),
    );
    d.insert("process".into(), json!({"pid": r.pid}));
    d.insert("message".into(), json!(r.message));
    let first = r.message.as_bytes();
    let mut status = r.status;
    if let Some((user, ip, trace, method, url)) = &r.prefix {
        d.insert("source".into(), json!({"ip": ip}));
        if user != "-" {
            d.insert("user".into(), json!({"id": user}));
        }
        if trace != "-" {
            d.insert("trace".into(), json!({"id": trace}));
        }
        let (p, q) = url.split_once('?').unwrap_or((url.as_str(), ""));
        let mut u = json!({"original": url, "path": p});
        if !q.is_empty() {
            u["query"] = json!(q);
        }
        d.insert("url".into(), u);
        if status.is_none() {
            status = crate::scan::access_status(first, method.as_bytes());
        }
        let mut http = json!({"request": {"method": method}});
        if status.is_none() {
            if let Some(name) = record::error_name(first) {
                // The error's own status, else egg-onerror's rule: 4xx as WARN, >= 500 as ERROR.
                status = record::status_of_error_name(name).or(Some(if r.level == "ERROR" {
                    500
                } else {
                    400
                }));
            }
        }
        if let Some(s) = status {
            http["response"] = json!({"status_code": s});
        }
        d.insert("http".into(), http);
    }
    if let Some(name) = record::error_name(first) {
        let msg = r.message.split_once(": ").map(|x| x.1).unwrap_or_default();
        let mut e = json!({"type": String::from_utf8_lossy(name), "message": msg});
        if !r.stack.is_empty() {
            e["stack_trace"] = json!(r.stack);
        }
        d.insert("error".into(), e);
    }
    if crate::secrets::AUTH_PHRASES
        .iter()
        .any(|p| r.message.to_ascii_lowercase().contains(p))
    {
        if let Some(a) = crate::scan::account_of(first) {
            d.entry("user")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("object")
                .insert("name".into(), json!(a));
        }
    }
    Value::Object(d)
}

/// Converts one log file to ECS NDJSON on `out`; returns the number of documents.
pub fn export(path: &Path, out: &mut impl Write) -> Result<u64, String> {
    let display = path.display().to_string();
    let k = kind::classify(path).map_err(|e| format!("{display}: {e}"))?;
    let (input, _) = reader::open(path).map_err(|e| format!("{display}: {e}"))?;
    let mut lr = LineReader::new(input);
    let mut scanner = LineScanner::new();
    let mut red = Vec::new();
    let mut unesc = Vec::new();
    let mut cur: Option<Rec> = None;
    let mut n = 0u64;
    let emit = |r: Rec, out: &mut dyn Write| -> Result<(), String> {
        let line = serde_json::to_string(&doc(&r, &display, k.role)).expect("serialisable");
        writeln!(out, "{line}").map_err(|e| format!("output: {e}"))
    };
    loop {
        let l = match lr.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                if let Some(r) = cur.take() {
                    emit(r, out)?;
                    n += 1;
                }
                return Err(format!(
                    "{display}: read error after line {}: {e}; {n} records exported",
                    lr.line_number()
                ));
            }
        };
        red.clear();
        let mut c = 0;
        write_redacted(&mut scanner, l.bytes, true, &mut red, &mut c).expect("Vec write");
        let header = if l.continued {
            None
        } else {
            match k.format {
                Format::Text => record::parse_text_header(&red),
                Format::Json => record::parse_json_record(&red),
            }
        };
        match header {
            Some(h) => {
                if let Some(r) = cur.take() {
                    emit(r, out)?;
                    n += 1;
                }
                let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                let (message, stack, status) = match k.format {
                    Format::Text => (s(h.message), String::new(), None),
                    Format::Json => {
                        crate::twin::unescape_json(h.message, &mut unesc);
                        let text = s(&unesc);
                        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
                        let status = rest
                            .lines()
                            .find_map(|l| l.strip_prefix("status: "))
                            .and_then(|v| v.trim().parse().ok());
                        (
                            first.to_string(),
                            rest.chars().take(MAX_STACK).collect(),
                            status,
                        )
                    }
                };
                cur = Some(Rec {
                    ts: h.ts,
                    level: h.level.as_str(),
                    pid: h.pid,
                    prefix: h
                        .prefix
                        .map(|p| (s(p.user), s(p.ip), s(p.trace), s(p.method), s(p.url))),
                    message,
                    stack,
                    status,
                });
            }
            None => {
                if let Some(r) = &mut cur {
                    let text = String::from_utf8_lossy(&red);
                    if let Some(v) = text.strip_prefix("status: ") {
                        r.status = v.trim().parse().ok();
                    }
                    if r.stack.len() < MAX_STACK && !(text.is_empty() && r.stack.ends_with('\n')) {
                        r.stack.push_str(&text);
                        r.stack.push('\n');
                    }
                }
            }
        }
    }
    if let Some(r) = cur.take() {
        emit(r, out)?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_error_record_becomes_one_ecs_event() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shop-api-web.log");
        std::fs::write(
            &p,
            "2026-11-29 01:06:35,253 WARN 11716 [-/203.0.113.7/-/15ms POST /api/login?token=abc123456] nodejs.ForbiddenError: missing csrf token\n    at Object.throw (koa/lib/context.js:97:11)\nmessage: \"missing csrf token\"\npid: 11716\nhostname: vm\n\n2026-11-29 01:06:35,292 WARN 11715 [-/203.0.113.7/-/7ms POST /api/login] [auth] login failed for user admin password=hunter22\n",
        )
        .unwrap();
        let mut out = Vec::new();
        assert_eq!(export(&p, &mut out).unwrap(), 2);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("abc123456") && !text.contains("hunter22"));
        let docs: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(docs[0]["error"]["type"], "ForbiddenError");
        assert_eq!(docs[0]["error"]["message"], "missing csrf token");
        assert_eq!(docs[0]["source"]["ip"], "203.0.113.7");
        assert_eq!(docs[0]["http"]["response"]["status_code"], 403);
        assert_eq!(docs[0]["url"]["path"], "/api/login");
        assert!(docs[0]["error"]["stack_trace"]
            .as_str()
            .unwrap()
            .contains("at Object.throw"));
        assert_eq!(docs[1]["user"]["name"], "admin");
        assert_eq!(docs[1]["@timestamp"], "2026-11-29T01:06:35.292Z");
    }
}
