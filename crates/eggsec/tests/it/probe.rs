//! `eggsec probe` against real Egg.js apps on 127.0.0.1 (tests/fixtures/probe-*, served by
//! tests/oracle/serve.js under real egg 3), and against a raw TCP server that sends garbage.

use crate::oracle_support::{repo_root, serve_fixture as serve};
use assert_cmd::Command;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;

fn probe_json(url: &str, extra: &[&str]) -> (Value, i32) {
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args(["probe", url, "--format", "json"])
        .args(extra)
        .args(if extra.contains(&"--timeout") {
            &[][..]
        } else {
            // A deadline, not a wait: a loaded machine (CI, parallel tests) must not cut the
            // probe short and make a check "not assessed".
            &["--timeout", "90"][..]
        })
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "probe printed no JSON ({e}); exit {code}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, code)
}

fn test_result<'a>(report: &'a Value, name: &str) -> (&'a str, i64) {
    let t = report["observatory"]["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no test {name}"));
    (
        t["result"].as_str().unwrap(),
        t["modifier"].as_i64().unwrap(),
    )
}

fn rules(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(report: &'a Value, rule: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
}

#[test]
fn stock_egg_app_grades_35_d_behind_tls_and_f_over_plain_http() {
    let app = serve("probe-stock", "prod");
    let (r, code) = probe_json(&app.url(), &["--assume-https"]);
    assert_eq!(r["target"], app.url().as_str());
    assert_eq!(r["observatory"]["score"], 35, "{:#}", r["observatory"]);
    assert_eq!(r["observatory"]["grade"], "D");
    assert_eq!(
        test_result(&r, "content-security-policy").0,
        "csp-not-implemented"
    );
    assert_eq!(
        test_result(&r, "cookies").0,
        "cookies-anticsrf-without-samesite-flag"
    );
    assert_eq!(
        test_result(&r, "strict-transport-security").0,
        "hsts-not-implemented"
    );
    assert_eq!(
        test_result(&r, "x-frame-options"),
        ("x-frame-options-sameorigin-or-deny", 5)
    );
    let ids = rules(&r);
    // Failing tests name the egg config that fixes them.
    let hsts = finding(&r, "PRB108").expect("hsts finding");
    assert!(hsts["remediation"]
        .as_str()
        .unwrap()
        .contains("config.security.hsts"));
    assert_eq!(hsts["url"], app.url().as_str());
    assert_eq!(hsts["strategy"], "headers");
    let cookies = finding(&r, "PRB102").unwrap();
    assert_eq!(cookies["strategy"], "csrf");
    // Cookie values are masked in evidence.
    let ev = cookies["evidence"][0].as_str().unwrap();
    assert!(
        ev.starts_with("Set-Cookie: csrfToken=") && ev.contains("****"),
        "{ev}"
    );
    for want in ["PRB101", "PRB205", "PRB206", "PRB301", "PRB303"] {
        assert!(ids.contains(&want.to_string()), "{want} missing: {ids:?}");
    }
    // egg-security's methodnoallow and dta answer 405 / 400: no finding.
    assert!(!ids.contains(&"PRB401".to_string()), "{ids:?}");
    assert!(!ids.contains(&"PRB402".to_string()), "{ids:?}");
    // Stock egg does not trust X-Forwarded-Proto (config.proxy is false): no Secure cookie.
    assert!(!ids.contains(&"PRB405".to_string()));
    assert_eq!(code, 0, "no high finding on a stock app behind TLS");

    // Plain HTTP: no HTTPS, no redirect — what the Observatory says of an http-only site.
    let (r, _) = probe_json(&app.url(), &[]);
    assert_eq!(
        test_result(&r, "strict-transport-security").0,
        "hsts-not-implemented-no-https"
    );
    assert_eq!(test_result(&r, "redirection").0, "redirection-missing");
    assert_eq!(
        test_result(&r, "cookies").0,
        "cookies-anticsrf-without-samesite-flag"
    );
    assert_eq!(r["observatory"]["score"], 15);
    assert_eq!(r["observatory"]["grade"], "F");
}

#[test]
fn hardened_egg_security_reaches_a_plus_and_enforces_csrf() {
    let app = serve("probe-hardened", "prod");
    let fixture = app.app.root.to_string_lossy().into_owned();
    let (r, code) = probe_json(
        &app.url(),
        &["--assume-https", "--active", "--app", &fixture],
    );
    assert_eq!(r["observatory"]["score"], 125, "{:#}", r["observatory"]);
    assert_eq!(r["observatory"]["grade"], "A+");
    assert_eq!(
        test_result(&r, "content-security-policy"),
        ("csp-implemented-with-no-unsafe-default-src-none", 10)
    );
    assert_eq!(test_result(&r, "referrer-policy").1, 5);
    assert_eq!(
        test_result(&r, "cookies").0,
        "cookies-secure-with-httponly-sessions-and-samesite"
    );
    let ids = rules(&r);
    // CSRF: no token and a wrong token get 403, the cookie's token passes.
    for bad in ["PRB501", "PRB502", "PRB503", "PRB504"] {
        assert!(!ids.contains(&bad.to_string()), "{bad} in {ids:?}");
    }
    let pages = r["pages"].as_array().unwrap();
    let posts: Vec<u64> = pages
        .iter()
        .filter(|p| p["method"] == "POST" && p["url"].as_str().unwrap().ends_with("/api/items"))
        .map(|p| {
            p["status"]
                .as_u64()
                .unwrap_or_else(|| panic!("a CSRF test POST got no answer: {p:#}"))
        })
        .collect();
    assert!(posts.contains(&403), "{posts:?}");
    assert!(posts.iter().any(|s| (200..400).contains(s)), "{posts:?}");
    // --app: the parameter-free GET routes were fetched.
    assert!(pages
        .iter()
        .any(|p| p["url"].as_str().unwrap().ends_with("/about")));
    assert!(
        !ids.contains(&"PRB205".to_string()),
        "meta disabled: no x-readtime"
    );
    // prod onerror shows no stack for the failing route.
    assert!(!ids.contains(&"PRB601".to_string()), "{ids:?}");
    assert!(code == 0 || code == 1);
    // Issue 17 item 13: the passing CSRF tests are reported and counted in the posture.
    let enforced = r["csrf_enforced"].as_array().unwrap();
    assert!(
        enforced.iter().any(|e| e == "POST /api/items"),
        "{enforced:?}"
    );
    assert!(r["notes"]
        .to_string()
        .contains(&format!("CSRF enforced on {}", enforced.len())));
    // /boom throws: its error page lacks the headers because egg-security sets them after
    // `await next()`, not because of a match/ignore.
    for f in r["findings"].as_array().unwrap() {
        if f["rule"] == "PRB210" && f["url"].as_str().unwrap().ends_with("/boom") {
            assert_eq!(f["name"], "security-headers-missing-on-error-page", "{f:#}");
        }
    }
    let text = Command::cargo_bin("eggsec")
        .unwrap()
        .args([
            "probe",
            &app.url(),
            "--assume-https",
            "--active",
            "--app",
            &fixture,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("CSRF enforced on"), "{text}");
    let csrf_row = text
        .lines()
        .find(|l| l.trim_start().starts_with("csrf "))
        .unwrap_or_else(|| panic!("no csrf posture row: {text}"));
    assert!(!csrf_row.contains("not-assessed"), "{csrf_row}");
}

#[test]
fn csrf_disabled_app_accepts_posts_without_token() {
    let app = serve("probe-csrf-off", "prod");
    let (r, code) = probe_json(&app.url(), &["--active"]);
    let f = finding(&r, "PRB501").expect("no-token POST accepted");
    assert_eq!(f["strategy"], "csrf");
    assert_eq!(f["severity"], "high");
    assert!(finding(&r, "PRB502").is_some(), "{r:#}");
    // Passive: no csrfToken cookie any more.
    assert_eq!(test_result(&r, "cookies").0, "cookies-not-found");
    assert_eq!(code, 1);
    // Without --active no state-changing request is sent.
    let (r, _) = probe_json(&app.url(), &[]);
    assert!(finding(&r, "PRB501").is_none());
    assert!(r["pages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !["POST", "PUT", "PATCH", "DELETE"].contains(&p["method"].as_str().unwrap())));
}

#[test]
fn development_error_pages_leak_stacks() {
    let app = serve("probe-leaky", "local");
    let fixture = app.app.root.to_string_lossy().into_owned();
    let (r, _) = probe_json(
        &app.url(),
        &["--active", "--app", &fixture, "--env", "local"],
    );
    let stack = finding(&r, "PRB601").unwrap_or_else(|| panic!("{:#}", r["findings"]));
    assert_eq!(stack["strategy"], "errors");
    let ids = rules(&r);
    assert!(
        ids.contains(&"PRB603".to_string()),
        "SQL error text: {ids:?}"
    );
}

/// A server that answers the first request with a valid page and every later one with `bad`.
fn junk_server(bad: &'static [u8]) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(false).unwrap();
    let handle = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut s) = stream else { break };
            let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(500)));
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            if buf.starts_with(b"QUIT") {
                break;
            }
            let reply: &[u8] = if n == 0 {
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
            } else {
                bad
            };
            let _ = s.write_all(reply);
            drop(s);
            if std::time::Instant::now() > deadline {
                break;
            }
        }
    });
    (port, handle)
}

fn stop(port: u16, handle: std::thread::JoinHandle<()>) {
    if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
        let _ = s.write_all(b"QUIT");
    }
    let _ = handle.join();
}

#[test]
fn garbage_first_response_is_a_clear_error_not_a_panic() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"\x00\x01garbage that is not HTTP\r\n\r\n");
        }
    });
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args([
            "probe",
            &format!("http://127.0.0.1:{port}/"),
            "--timeout",
            "5",
        ])
        .output()
        .unwrap();
    let _ = handle.join();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot probe") && err.contains("127.0.0.1"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn junk_and_truncated_later_responses_are_reported_and_the_probe_goes_on() {
    for bad in [
        &b"HTTP/1.1 200 OK\r\nBad Header Line Without Colon\r\n\r\n"[..],
        &b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a few bytes"[..],
        &b"SPDY/9 banana\r\n\r\n"[..],
    ] {
        let (port, handle) = junk_server(bad);
        let (r, code) = probe_json(
            &format!("http://127.0.0.1:{port}/"),
            &["--timeout", "3", "--budget", "20"],
        );
        stop(port, handle);
        assert!(code == 0 || code == 1, "exit {code}");
        assert!(r["observatory"]["grade"].is_string());
        let errors = r["errors"].as_array().unwrap();
        assert!(!errors.is_empty(), "junk went unreported: {r:#}");
        assert!(
            errors
                .iter()
                .all(|e| e.as_str().unwrap().contains("127.0.0.1")),
            "{errors:?}"
        );
    }
}

#[test]
fn budget_is_respected_and_redirects_stay_on_the_origin() {
    // Every request is redirected to another origin: the probe must not follow.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut served = 0;
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            if buf.starts_with(b"QUIT") {
                break;
            }
            served += 1;
            let _ = s.write_all(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:9/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        served
    });
    let (r, _) = probe_json(
        &format!("http://127.0.0.1:{port}/"),
        &["--budget", "3", "--timeout", "3"],
    );
    if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
        let _ = s.write_all(b"QUIT");
    }
    let served = handle.join().unwrap();
    assert!(served <= 3, "{served} requests with --budget 3");
    assert_eq!(r["requests"], 3);
    assert!(r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.as_str().unwrap().contains("budget")));
    assert!(r["pages"].as_array().unwrap().iter().all(|p| p["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("http://127.0.0.1:{port}"))));
    // Issue 17 item 2: the 302's own headers are not graded; the grade says why.
    assert!(
        r["observatory"]["score"].is_null(),
        "{:#}",
        r["observatory"]
    );
    assert!(r["observatory"]["not_graded"]
        .as_str()
        .unwrap()
        .contains("off its origin"));
    assert_eq!(test_result(&r, "redirection").0, "not-assessed");
    assert_eq!(test_result(&r, "content-security-policy").0, "not-assessed");
}

/// Issue 17 item 12: a server whose bodies never finish: the probe ends by its one deadline
/// and says what it could not do (the bench measures the time; here only the behaviour).
#[test]
fn stalled_bodies_end_at_the_deadline_and_are_reported() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let handle = std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let mut held = Vec::new();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !stop2.load(std::sync::atomic::Ordering::SeqCst) && std::time::Instant::now() < until
        {
            match listener.accept() {
                Ok((mut s, _)) => {
                    let mut buf = [0u8; 4096];
                    let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(200)));
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html>");
                    held.push(s);
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
    });
    let (r, code) = probe_json(
        &format!("http://127.0.0.1:{port}/"),
        &["--timeout", "3", "--concurrency", "8"],
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = handle.join();
    assert!(code == 0 || code == 1, "exit {code}");
    let errors = r["errors"].to_string();
    assert!(
        errors.contains("timed out") || errors.contains("deadline"),
        "{errors}"
    );
}

#[test]
fn unreadable_cacert_is_a_clear_error() {
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args([
            "probe",
            "https://127.0.0.1:9/",
            "--cacert",
            "/nonexistent/ca.pem",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--cacert /nonexistent/ca.pem"), "{err}");
}

/// Issue 17 item 14: `security.referrerPolicy.enable = true` without `referrerPolicy` in
/// `security.defaultMiddleware` sends nothing under real egg-security 3.x; `eggsec config` says
/// it is not effective and the probe connects the config to the missing header.
#[test]
fn referrer_policy_enabled_but_not_listed_is_not_effective() {
    let app = serve("probe-referrer-unlisted", "prod");
    let fixture = app.app.root.to_string_lossy().into_owned();
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args(["config", &fixture, "security.referrerPolicy"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("security.referrerPolicy.enable = true"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("NOT EFFECTIVE"), "{line}");
    assert!(line.contains("defaultMiddleware"), "{line}");
    let (r, _) = probe_json(&app.url(), &["--app", &fixture, "--assume-https"]);
    // Real egg sent no Referrer-Policy: the Observatory result and the connected finding.
    assert_eq!(
        test_result(&r, "referrer-policy").0,
        "referrer-policy-not-implemented"
    );
    let f = finding(&r, "PRB212").unwrap_or_else(|| panic!("{:#}", r["findings"]));
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("security.referrerPolicy.enable"));
    // The look-alike: the hardened fixture lists it, sends it, and gets no PRB212.
    let hardened = serve("probe-hardened", "prod");
    let hfix = hardened.app.root.to_string_lossy().into_owned();
    let (h, _) = probe_json(&hardened.url(), &["--app", &hfix, "--assume-https"]);
    assert!(finding(&h, "PRB212").is_none());
}

/// `eggsec audit --probe URL --logs DIR` folds the live probe and the log scan into the posture:
/// the headers row cites the live grade, probe and log findings join the static ones, and no
/// state-changing request is sent by an audit.
#[test]
fn audit_folds_probe_and_logs_into_the_posture() {
    let served = serve("probe-stock", "prod");
    let logs = repo_root().join("tests/fixtures/logs/egg-logs/run1-prod-default");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eggsec"))
        .args([
            "audit",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--probe",
        ])
        .arg(served.url())
        .arg("--logs")
        .arg(&logs)
        .arg(&served.app.root)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let app = &report["apps"][0];
    let posture = app["posture"].as_array().unwrap();
    let row = |s: &str| posture.iter().find(|p| p["strategy"] == s).unwrap();
    let headers_evidence = row("headers")["evidence"].to_string();
    assert!(
        headers_evidence.contains("Live probe of"),
        "{headers_evidence}"
    );
    let findings = app["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("PRB"))),
        "no probe finding folded in"
    );
    let logging = row("logging");
    assert_ne!(logging["status"], "not-assessed");
    assert!(
        logging["evidence"].to_string().contains("logs scanned")
            || findings
                .iter()
                .any(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("LGS"))),
        "log scan not folded in: {logging}"
    );
}

#[test]
fn probe_and_audit_with_probe_and_logs_write_html() {
    let served = serve("probe-stock", "prod");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eggsec"))
        .args(["probe", "--format", "html", "--fail-on", "critical"])
        .arg(served.url())
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(page.contains("<h2 id=\"probe-h\">Live probe"));
    assert!(page.contains("<table class=\"observatory\">"));
    assert!(page.contains("strict-transport-security") || page.contains("content-security-policy"));

    let logs = repo_root().join("tests/fixtures/logs/egg-logs/run1-prod-default");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("all.html");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eggsec"))
        .args(["audit", "--format", "html", "--fail-on", "critical", "-o"])
        .arg(&html)
        .arg("--probe")
        .arg(served.url())
        .arg("--logs")
        .arg(&logs)
        .arg(&served.app.root)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.len() < 1_000_000);
    for section in [
        "id=\"a0-posture\"",
        "id=\"probe\"",
        "id=\"logs\"",
        "id=\"config0\"",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    assert!(
        page.contains("Live probe of"),
        "the probe is not in the posture evidence"
    );
}
