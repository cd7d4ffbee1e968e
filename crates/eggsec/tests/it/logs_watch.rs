//! `eggsec logs watch` live: a real egg 3 app (tests/fixtures/logs-watch-app, served by
//! tests/oracle/serve.js) writes real logs while the watcher follows them; the test drives a
//! CSRF burst, a 401 burst and a logged password, rotates the log the way egg-logrotator does
//! (rename + `app.loggers.reload()`), restarts the watcher, and checks that each alert reaches a
//! real webhook receiver on 127.0.0.1 exactly once, within seconds.

use crate::oracle_support::serve_fixture as serve;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A plain HTTP request to the app; returns the status.
fn request(port: u16, method: &str, path: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The webhook receiver: every alert body it got.
fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let g = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0usize;
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                g.lock().unwrap().push(v);
            }
            let mut s = stream;
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (url, got)
}

/// Alert rule names received so far (digests left out).
fn rules(got: &Mutex<Vec<Value>>) -> Vec<String> {
    let mut out = Vec::new();
    for body in got.lock().unwrap().iter() {
        for a in body["alerts"].as_array().into_iter().flatten() {
            if a["kind"] == "alert" {
                out.push(a["rule"].as_str().unwrap_or("").to_string());
            }
        }
    }
    out.sort();
    out
}

fn count(got: &Mutex<Vec<Value>>, rule: &str) -> usize {
    rules(got).iter().filter(|r| *r == rule).count()
}

fn wait_for(got: &Mutex<Vec<Value>>, what: &str, pred: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if pred(&rules(got)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not received within 20 s; got {:?}", rules(got));
}

fn watcher(logs: &std::path::Path, state: &std::path::Path, hook: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_eggsec"))
        .args(["logs", "watch"])
        .arg(logs)
        .arg("--state")
        .arg(state)
        .args([
            "--interval",
            "200",
            "--webhook",
            hook,
            "--webhook-format",
            "json",
            "--csrf-threshold",
            "5",
            "--brute-threshold",
            "5",
            "--rate",
            "100",
            "--for",
            "120",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn sigterm(child: &mut Child) -> Option<i32> {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(st)) = child.try_wait() {
            return st.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

#[test]
fn live_egg_logs_alert_once_across_rotation_and_restart() {
    let app = serve("logs-watch-app", "prod");
    let logs = app.app.root.join("logs");
    // egg creates its log files at boot; wait for the app's web log.
    let web = logs.join("logs-watch-app-web.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !web.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(web.exists(), "egg wrote no {}", web.display());
    let (hook, got) = receiver();
    let state_dir = tempfile::tempdir().unwrap();
    let state = state_dir.path().join("watch.json");
    let mut w = watcher(&logs, &state, &hook);
    std::thread::sleep(Duration::from_millis(800));

    // A CSRF burst (POST without a token) and a 401 burst from one client.
    for _ in 0..6 {
        assert_eq!(request(app.port, "POST", "/api/login"), 403);
    }
    for _ in 0..6 {
        assert_eq!(request(app.port, "GET", "/api/private"), 401);
    }
    // The same password logged twice: one alert.
    for _ in 0..2 {
        assert_eq!(
            request(
                app.port,
                "GET",
                "/api/debug?user=alice&password=Tr0ub4dor-live-1"
            ),
            200
        );
    }
    wait_for(&got, "CSRF burst, brute force, password", |r| {
        r.iter().any(|x| x == "csrf-failures")
            && r.iter().any(|x| x == "brute-force-by-ip")
            && r.iter().any(|x| x == "password-in-log")
    });

    // Rotation: rename, then egg reopens its files (egg-logrotator's way).
    let rotated = logs.join("logs-watch-app-web.log.2026-12-03");
    std::fs::rename(&web, &rotated).unwrap();
    assert_eq!(request(app.port, "GET", "/__reload-logs"), 200);
    assert_eq!(
        request(
            app.port,
            "GET",
            "/api/debug?user=bob&password=Rotated-pass-2"
        ),
        200
    );
    wait_for(&got, "password after rotation", |r| {
        r.iter().filter(|x| *x == "password-in-log").count() >= 2
    });

    // Restart: the saved offsets mean nothing already read alerts again.
    assert_eq!(sigterm(&mut w), Some(0), "SIGTERM ends the watch cleanly");
    let before = rules(&got);
    let mut w = watcher(&logs, &state, &hook);
    assert_eq!(
        request(
            app.port,
            "GET",
            "/api/debug?user=carol&password=After-restart-3"
        ),
        200
    );
    wait_for(&got, "password after restart", |r| {
        r.iter().filter(|x| *x == "password-in-log").count() >= 3
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(sigterm(&mut w), Some(0));

    assert_eq!(count(&got, "csrf-failures"), 1, "{:?}", rules(&got));
    assert_eq!(count(&got, "brute-force-by-ip"), 1, "{:?}", rules(&got));
    assert_eq!(count(&got, "password-in-log"), 3, "{:?}", rules(&got));
    let after: Vec<String> = rules(&got);
    assert_eq!(
        after.len(),
        before.len() + 1,
        "only the new password alerted after the restart: {after:?}"
    );
    // Evidence is masked: no password in clear anywhere.
    let all = serde_json::to_string(&*got.lock().unwrap()).unwrap();
    for p in ["Tr0ub4dor-live-1", "Rotated-pass-2", "After-restart-3"] {
        assert!(!all.contains(p), "{p} in clear in an alert");
    }
}
