//! `eggsec watch`: advisories and releases that are new since the last run (state in
//! `.eggsec/watch.json`), as messages that name the package, the versions and the action,
//! posted to a webhook as generic JSON, Slack, DingTalk or Feishu. A run that finds nothing
//! new sends nothing; state is saved only after a successful delivery, so a failed post is
//! retried next time.

use crate::analyze::DepsReport;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

/// What the last run saw.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// `ID package@version` of every advisory hit reported.
    pub advisories: BTreeSet<String>,
    /// package → the latest release reported.
    pub releases: BTreeMap<String, String>,
}

/// Something new.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Event {
    /// `advisory` or `release`.
    pub kind: String,
    pub package: String,
    pub installed: String,
    /// The advisory id, or the new release.
    pub subject: String,
    pub severity: Option<String>,
    pub message: String,
    pub action: String,
}

/// Webhook payload shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    Json,
    Slack,
    Dingtalk,
    Feishu,
}

/// Reads `.eggsec/watch.json` (empty when absent).
pub fn read_state(root: &Path) -> Result<State, String> {
    let path = crate::ledger::dir(root).join("watch.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map_err(|e| format!("{}: not valid watch state: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes `.eggsec/watch.json`.
pub fn write_state(root: &Path, state: &State) -> Result<(), String> {
    let d = crate::ledger::dir(root);
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    let path = d.join("watch.json");
    let tmp = d.join("watch.json.tmp");
    eggsec_report::input::check_replaceable(&path)
        .and_then(|_| eggsec_report::input::check_replaceable(&tmp))
        .map_err(|e| e.to_string())?;
    std::fs::write(
        &tmp,
        serde_json::to_string_pretty(state).expect("plain data") + "\n",
    )
    .and_then(|_| std::fs::rename(&tmp, &path))
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// The events in `report` that `state` has not seen, and the state after them.
pub fn new_events(report: &DepsReport, state: &State) -> (Vec<Event>, State) {
    let mut next = state.clone();
    let mut events = Vec::new();
    for v in &report.vulnerabilities {
        let key = format!("{} {}@{}", v.id, v.package, v.version);
        if !next.advisories.insert(key) {
            continue;
        }
        let through = v
            .via
            .first()
            .map(|via| match &via.egg_package {
                Some(e) if e != &v.package => format!(" (pulled in by {e} via {})", via.direct),
                _ if via.direct != v.package => format!(" (via {})", via.direct),
                _ => String::new(),
            })
            .unwrap_or_default();
        let action = match (
            &v.fixed,
            v.via
                .first()
                .and_then(|x| x.upgrade.as_ref().map(|u| (x, u))),
        ) {
            (_, Some((via, up))) if via.direct != v.package => {
                format!(
                    "upgrade {} to {up} (removes {} {})",
                    via.direct, v.package, v.version
                )
            }
            (Some(f), _) => format!("upgrade {} to {f} or later", v.package),
            (None, _) => format!("no fixed version of {}: replace it or mitigate", v.package),
        };
        events.push(Event {
            kind: "advisory".into(),
            package: v.package.clone(),
            installed: v.version.clone(),
            subject: v.id.clone(),
            severity: Some(v.severity.as_str().to_string()),
            message: format!(
                "{} ({}) affects {} {}{}: {}",
                v.id, v.severity, v.package, v.version, through, v.summary
            ),
            action,
        });
    }
    for o in &report.outdated {
        if o.behind == "none" {
            continue;
        }
        if next.releases.get(&o.name) == Some(&o.latest) {
            continue;
        }
        next.releases.insert(o.name.clone(), o.latest.clone());
        let engine = o
            .node_engine
            .as_ref()
            .map(|e| format!("; it needs Node.js {e}"))
            .unwrap_or_default();
        events.push(Event {
            kind: "release".into(),
            package: o.name.clone(),
            installed: o.installed.clone(),
            subject: o.latest.clone(),
            severity: None,
            message: format!(
                "{} {} is released (installed: {}, {} behind){engine}",
                o.name, o.latest, o.installed, o.behind
            ),
            action: format!(
                "review the changelog and upgrade {} to {}",
                o.name, o.latest
            ),
        });
    }
    (events, next)
}

/// The plain-text message for chat webhooks.
pub fn text(app: &str, events: &[Event]) -> String {
    let mut s = format!("eggsec watch: {} new for {app}\n", events.len());
    for e in events {
        s.push_str(&format!("- {}\n  action: {}\n", e.message, e.action));
    }
    s
}

/// The webhook body in `format`.
pub fn payload(format: WebhookFormat, app: &str, events: &[Event]) -> serde_json::Value {
    let t = text(app, events);
    match format {
        WebhookFormat::Json => {
            serde_json::json!({"source": "eggsec", "app": app, "events": events, "text": t})
        }
        WebhookFormat::Slack => serde_json::json!({"text": t}),
        WebhookFormat::Dingtalk => serde_json::json!({"msgtype": "text", "text": {"content": t}}),
        WebhookFormat::Feishu => serde_json::json!({"msg_type": "text", "content": {"text": t}}),
    }
}

/// POSTs `body` to `url` (20 s timeout, no redirects); any non-2xx is an error.
pub fn post(url: &str, body: &serde_json::Value) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .max_redirects(0)
        .build()
        .into();
    agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(serde_json::to_vec(body).expect("plain data").as_slice())
        .map_err(|e| format!("webhook {}: {e}", crate::redact_url(url)))
        .and_then(|resp| delivered(resp.status().as_u16(), url))
}

/// Only a 2xx answer means the event was delivered: a redirect (not followed) or anything
/// else keeps the events for the next run.
fn delivered(status: u16, url: &str) -> Result<(), String> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!(
            "webhook {}: HTTP {status} (only 2xx counts as delivered; not followed)",
            crate::redact_url(url)
        ))
    }
}

#[cfg(test)]
mod delivery_tests {
    use super::*;

    #[test]
    fn a_redirect_is_not_a_delivery() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut s, _) = server.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            s.write_all(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        });
        let err = post(&format!("http://{addr}/hook"), &serde_json::json!({})).unwrap_err();
        assert!(err.contains("307"), "{err}");
        t.join().unwrap();
        assert!(delivered(204, "http://x/").is_ok());
    }
}
