//! `eggsec logs scan | redact | sigma` end to end, on real egg logs copied from egg 3.34 runs
//! (`tests/fixtures/logs/egg-logs/`) and on generated logs.

use crate::oracle_support::repo_root;
use assert_cmd::Command;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::PathBuf;

fn eggsec() -> Command {
    Command::cargo_bin("eggsec").unwrap()
}

fn logs() -> PathBuf {
    repo_root().join("tests/fixtures/logs/egg-logs")
}

/// Values that really are in the fixture logs and must never be printed in clear.
const CLEAR: &[&str] = &[
    "S3cr3tPass",
    "sk_live_51HqAbCdEfGhIjKlMnOpQrStUv",
    "letmein",
    "correct-horse",
    "11010519491231002X",
    "440308199901010012",
    "13812345678",
    "alice@example.com",
    "abcd1234secret",
    "ya29.a0AfH6SMBx",
    "4111 1111 1111 1111",
    "ghp_1234567890abcdefghijklmnopqrstuvwxyzAB",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

fn scan_json(args: &[&str], paths: &[PathBuf]) -> (Value, i32, String) {
    let out = eggsec()
        .args(["logs", "scan", "--format", "json"])
        .args(args)
        .args(paths)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (
        v,
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn findings_of<'a>(v: &'a Value, file_suffix: &str) -> Vec<(u64, &'a str)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with(file_suffix))
        .map(|f| (f["line"].as_u64().unwrap(), f["detector"].as_str().unwrap()))
        .collect()
}

#[test]
fn scan_json_contract_on_real_egg_logs_exact_findings_masked() {
    let dir = logs().join("run1-prod-default");
    let (v, code, _) = scan_json(&[], std::slice::from_ref(&dir));
    assert_eq!(code, 1, "high findings → exit 1");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 12);
    let kinds: Vec<(&str, &str)> = files
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap();
            (p.rsplit('/').next().unwrap(), f["kind"].as_str().unwrap())
        })
        .collect();
    assert!(kinds.contains(&("egg-schedule.log", "schedule")));
    assert!(kinds.contains(&("egg-schedule.json.log", "schedule-json")));
    assert!(kinds.contains(&("shop-api-web.json.log", "json")));
    assert!(kinds.contains(&("common-error.log", "error")));
    assert!(files.iter().all(|f| f["lines"].as_u64().is_some()));
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(f["strategy"], "logging");
        for key in ["file", "line", "detector", "severity", "evidence"] {
            assert!(!f[key].is_null(), "{key} missing in {f}");
        }
    }
    // Exactly what is really in the app log (checked by hand against the file), nothing else.
    let got = findings_of(&v, "run1-prod-default/shop-api-web.log");
    let want: Vec<(u64, &str)> = vec![
        (9, "password-in-log"),
        (9, "all-requests-from-one-ip"),
        (10, "auth-failures"),
        (11, "password-in-log"),
        (13, "password-in-log"),
        (15, "resident-id-in-log"),
        (15, "mobile-number-in-log"),
        (15, "card-number-in-log"),
        (15, "card-security-code-in-log"),
        (16, "dsn-password-in-log"),
        (32, "injection-payload-in-url"),
        (33, "injection-payload-in-url"),
        (63, "csrf-failures"),
        (93, "password-in-log"),
        (95, "password-in-log"),
        (97, "password-in-log"),
        (98, "jwt-in-log"),
        (99, "resident-id-in-log"),
        (99, "mobile-number-in-log"),
        (99, "email-in-log"),
        (100, "injection-payload-in-url"),
        (101, "token-in-log"),
        (102, "injection-payload-in-url"),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted);
    // The framework logs hold no secrets, PII or forged lines.
    for quiet in [
        "egg-web.log",
        "egg-agent.log",
        "egg-schedule.log",
        "master-stdout.log",
    ] {
        assert!(
            findings_of(&v, &format!("/{quiet}")).is_empty(),
            "{quiet}: {:?}",
            findings_of(&v, quiet)
        );
    }
    let text = v.to_string();
    for clear in CLEAR {
        assert!(!text.contains(clear), "{clear} printed in clear");
    }
    let s = &v["summary"];
    assert_eq!(s["by_detector"]["csrf-failures"], 2);
    assert_eq!(s["top_ips"][0]["ip"], "127.0.0.1");
    assert!(
        s["timeline"]["2026-11-29 01:06"]["password-in-log"]
            .as_u64()
            .unwrap()
            >= 6
    );
}

#[test]
fn every_run_scans_without_false_alarms_in_framework_logs() {
    let (v, _, stderr) = scan_json(&[], &[logs()]);
    assert!(stderr.is_empty(), "{stderr}");
    let all = v["findings"].as_array().unwrap();
    // Forged lines: only the two injected records of the demo (not a text/JSON date skew).
    let forged: Vec<_> = all
        .iter()
        .filter(|f| f["detector"] == "forged-log-line")
        .map(|f| {
            (
                f["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        forged,
        vec![
            ("log-injection-demo.log".to_string(), 2),
            ("log-injection-demo.log".to_string(), 13)
        ]
    );
    // The documented AWS example key is not a credential; the Stripe key in the schedule error is.
    assert!(!all.iter().any(|f| f["detector"] == "aws-access-key-in-log"));
    assert!(findings_of(&v, "run2-prod-proxy-access/egg-schedule.log")
        .contains(&(8, "stripe-key-in-log")));
    // Access log attacks: SQLi and JNDI payloads from the scanner IP.
    let inj: Vec<_> = findings_of(&v, "run2-prod-proxy-access/access.log");
    assert!(
        inj.contains(&(5, "injection-payload-in-url"))
            && inj.contains(&(11, "injection-payload-in-url"))
    );
    // run2 runs with proxy + X-Forwarded-For: no single-IP warning over the whole set.
    assert!(!all
        .iter()
        .any(|f| f["detector"] == "all-requests-from-one-ip"));
}

fn ts(ms: i64) -> String {
    let base = eggsec_logs::record::days_from_civil(2026, 11, 29) * 86_400_000;
    let t = base + ms;
    let s = t.rem_euclid(86_400_000);
    format!(
        "2026-11-29 {:02}:{:02}:{:02},{:03}",
        s / 3_600_000,
        (s / 60_000) % 60,
        (s / 1000) % 60,
        s % 1000
    )
}

#[test]
fn brute_force_bursts_and_spikes_tolerate_out_of_order_workers() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    // 12 failed logins for admin from 198.51.100.9 within 40 s, two workers ~1 s out of order.
    for i in 0..12i64 {
        let t = 3_600_000 + i * 3_000 + if i % 2 == 0 { 900 } else { 0 };
        let pid = if i % 2 == 0 { 101 } else { 102 };
        log.push_str(&format!(
            "{} WARN {pid} [-/198.51.100.9/-/7ms POST /api/login] [auth] login failed for user admin from 198.51.100.9\n",
            ts(t)
        ));
    }
    // 9 failures from another IP: below the threshold of 10.
    for i in 0..9i64 {
        log.push_str(&format!(
            "{} WARN 101 [-/203.0.113.50/-/7ms POST /api/login] login failed user=bob\n",
            ts(3_700_000 + i * 1000)
        ));
    }
    // 25 onerror 404s from a scanner within 10 s.
    for i in 0..25i64 {
        log.push_str(&format!(
            "{} WARN 102 [-/45.155.205.10/-/1ms GET /probe{i}] nodejs.NotFoundError: Not Found\n    at x (y.js:1:1)\nstatus: 404\npid: 102\nhostname: vm\n\n",
            ts(3_800_000 + i * 400)
        ));
    }
    // 30 server errors within 30 s.
    for i in 0..30i64 {
        log.push_str(&format!(
            "{} ERROR 101 [-/203.0.113.{}/-/3ms GET /api/boom] nodejs.Error: upstream down\n    at x (y.js:1:1)\npid: 101\nhostname: vm\n\n",
            ts(3_900_000 + i * 1000),
            i + 1
        ));
    }
    let p = dir.path().join("shop-api-web.log");
    std::fs::write(&p, log).unwrap();
    let (v, code, _) = scan_json(&[], &[p]);
    assert_eq!(code, 1);
    let found: Vec<(&str, Option<&str>)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "low")
        .map(|f| (f["detector"].as_str().unwrap(), f["ip"].as_str()))
        .collect();
    assert!(
        found.contains(&("brute-force-by-ip", Some("198.51.100.9"))),
        "{found:?}"
    );
    assert!(
        found.contains(&("brute-force-by-account", None)),
        "{found:?}"
    );
    assert!(!found
        .iter()
        .any(|f| f.1 == Some("203.0.113.50") && f.0 == "brute-force-by-ip"));
    assert!(
        found.contains(&("client-error-burst", Some("45.155.205.10"))),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f.0 == "server-error-spike"),
        "{found:?}"
    );
}

#[test]
fn since_drops_older_records() {
    let p = logs().join("run1-prod-default/shop-api-web.log");
    let (all, _, _) = scan_json(&[], std::slice::from_ref(&p));
    let (later, _, _) = scan_json(&["--since", "2026-11-29 01:07"], &[p]);
    // Records only: where the file lives (its permissions) does not depend on --since.
    let records = |doc: &serde_json::Value| -> usize {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                !f["detector"]
                    .as_str()
                    .unwrap_or("")
                    .contains("by-other-users")
            })
            .count()
    };
    assert!(records(&all) > 0);
    assert_eq!(records(&later), 0, "{later}");
}

#[test]
fn ecs_gelf_and_sarif_outputs() {
    let p = logs().join("run2-prod-proxy-access/access.log");
    let out = eggsec()
        .args(["logs", "scan", "--format", "ecs"])
        .arg(&p)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!docs.is_empty());
    for d in &docs {
        assert_eq!(d["event"]["kind"], "alert");
        assert!(d["rule"]["id"].as_str().unwrap().starts_with("LGS"));
        assert!(d["log"]["file"]["path"]
            .as_str()
            .unwrap()
            .ends_with("access.log"));
    }
    assert!(docs
        .iter()
        .any(|d| d["source"]["ip"] == "45.155.205.10"
            && d["threat"]["technique"][0]["id"] == "T1190"));
    let out = eggsec()
        .args(["logs", "scan", "--format", "gelf"])
        .arg(&p)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for l in text.lines() {
        let d: Value = serde_json::from_str(l).unwrap();
        assert_eq!(d["version"], "1.1");
        assert!(d["short_message"].is_string() && d["_detector"].is_string());
    }
    let out = eggsec()
        .args(["logs", "scan", "--format", "sarif"])
        .arg(&p)
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    for clear in CLEAR {
        assert!(!text.contains(clear));
    }
}

fn line_count(b: &[u8]) -> usize {
    b.iter().filter(|c| **c == b'\n').count()
}

#[test]
fn redact_keeps_structure_and_leaves_nothing_to_find() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "run1-prod-default/shop-api-web.log",
        "run1-prod-default/shop-api-web.json.log",
        "run2-prod-proxy-access/common-error.log",
    ] {
        let input = logs().join(name);
        let out = dir.path().join(name.replace('/', "_"));
        eggsec()
            .args(["logs", "redact"])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let before = std::fs::read(&input).unwrap();
        let after = std::fs::read(&out).unwrap();
        assert_eq!(
            line_count(&before),
            line_count(&after),
            "{name}: line count"
        );
        let a = String::from_utf8(after).unwrap();
        for clear in CLEAR {
            assert!(!a.contains(clear), "{name}: {clear} left");
        }
        if name.ends_with(".json.log") {
            for l in a.lines() {
                serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}"));
            }
        }
        // Headers survive: same record starts on the same lines.
        for (x, y) in String::from_utf8(before).unwrap().lines().zip(a.lines()) {
            assert_eq!(
                x.get(..23).map(|s| s.as_bytes().to_vec()),
                y.get(..23).map(|s| s.as_bytes().to_vec())
            );
        }
        let (v, _, _) = scan_json(&[], std::slice::from_ref(&out));
        let left: Vec<_> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["detector"].as_str().unwrap().ends_with("-in-log"))
            .collect();
        assert!(left.is_empty(), "{name}: {left:?}");
    }
}

#[test]
fn redact_in_place_is_atomic_and_gz_aware() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("shop-api-web.log.2026-11-28");
    std::fs::copy(logs().join("run1-prod-default/shop-api-web.log"), &p).unwrap();
    eggsec()
        .args(["logs", "redact", "--in-place"])
        .arg(&p)
        .assert()
        .success();
    let s = std::fs::read_to_string(&p).unwrap();
    assert!(s.contains("password=[REDACTED:password]"));
    assert!(!s.contains("S3cr3tPass"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");

    // A gzip log stays gzip; a truncated one fails naming the file and is left untouched.
    let gz = dir.path().join("shop-api-web.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&std::fs::read(logs().join("run1-prod-default/shop-api-web.log")).unwrap())
        .unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes).unwrap();
    eggsec()
        .args(["logs", "redact", "--in-place"])
        .arg(&gz)
        .assert()
        .success();
    let mut dec = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_string(&mut dec)
        .unwrap();
    assert!(dec.contains("[REDACTED:dsn-password]") && !dec.contains("S3cr3tPass"));

    let cut = dir.path().join("cut.log.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = eggsec()
        .args(["logs", "redact", "--in-place"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cut.log.gz") && err.contains("truncated"),
        "{err}"
    );
    assert_eq!(std::fs::read(&cut).unwrap(), &bytes[..bytes.len() / 2]);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".eggsec-redact-")),
        "{names:?}"
    );
}

#[test]
fn bad_input_gets_a_clear_message_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("binary.log"), b"\x7fELF\x00\x00\x01binary").unwrap();
    // Invalid UTF-8 around a secret.
    std::fs::write(
        d.join("latin1.log"),
        b"2026-11-29 01:06:35,292 INFO 1 caf\xe9 password=hunter2 \xff\n",
    )
    .unwrap();
    // A 3 MiB line (longer than the reader's 1 MiB segment) with a token at its very end.
    let mut long = b"2026-11-29 01:06:35,292 INFO 1 ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 3 << 20));
    long.extend_from_slice(b" token=tok_abcdef123456\nnext line\n");
    std::fs::write(d.join("long.log"), &long).unwrap();
    // A truncated gzip with a secret in its first half.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(
            enc,
            "2026-11-29 01:06:35,292 INFO 1 line {i} password=pw{i}xyz"
        )
        .unwrap();
    }
    let gz = enc.finish().unwrap();
    std::fs::write(d.join("old.log.2026-11-28.gz"), &gz[..gz.len() / 2]).unwrap();
    let (v, code, stderr) = scan_json(&[], &[d.to_path_buf()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("binary.log") && stderr.contains("binary file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("old.log.2026-11-28.gz") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert_eq!(findings_of(&v, "latin1.log"), vec![(1, "password-in-log")]);
    assert_eq!(findings_of(&v, "long.log"), vec![(1, "token-in-log")]);
    let gz_found = findings_of(&v, "old.log.2026-11-28.gz");
    assert!(gz_found.len() > 10 && gz_found.iter().all(|f| f.1 == "password-in-log"));
    let files = v["files"].as_array().unwrap();
    let long_file = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("long.log"))
        .unwrap();
    assert_eq!(long_file["lines"], 2);
    // Redacting the long line keeps one line and removes the token.
    let out = d.join("long.redacted");
    eggsec()
        .args(["logs", "redact"])
        .arg(d.join("long.log"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let r = std::fs::read(&out).unwrap();
    assert_eq!(line_count(&r), 2);
    assert!(r.windows(21).any(|w| w == b"token=[REDACTED:token"));
    assert!(!r.windows(16).any(|w| w == b"tok_abcdef123456"));
    assert_eq!(
        r.len(),
        long.len() - "tok_abcdef123456".len() + "[REDACTED:token]".len()
    );
    // A missing path is a usage error.
    eggsec()
        .args(["logs", "scan"])
        .arg(d.join("nope"))
        .assert()
        .code(2);
}

#[test]
fn webhook_receives_a_masked_summary() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = s.read(&mut chunk).unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some(h) = text.find("\r\n\r\n") {
                let len: usize = text[..h]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= h + 4 + len {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .unwrap();
        String::from_utf8(buf).unwrap()
    });
    eggsec()
        .args([
            "logs",
            "scan",
            "--format",
            "json",
            "--webhook",
            &format!("http://127.0.0.1:{port}/hook"),
        ])
        .arg(logs().join("run1-prod-default/shop-api-web.log"))
        .assert()
        .code(1);
    let req = server.join().unwrap();
    assert!(req.starts_with("POST /hook"), "{req}");
    let body: Value = serde_json::from_str(&req[req.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert!(body["text"].as_str().unwrap().contains("findings"));
    assert!(!body["findings"].as_array().unwrap().is_empty());
    for clear in CLEAR {
        assert!(!req.contains(clear), "{clear} sent in clear");
    }
}

fn sigma_cli() -> PathBuf {
    // The test setup installs sigma-cli (and the Elasticsearch/Splunk/Loki backends) from the
    // Python package registry into target/sigma-venv once.
    let venv = repo_root().join("target/sigma-venv");
    let sigma = venv.join("bin/sigma");
    // A venv moved or copied from another checkout keeps that path in its scripts: rebuild it.
    let runs = |p: &std::path::Path| {
        std::process::Command::new(p)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if sigma.exists() && !runs(&sigma) {
        std::fs::remove_dir_all(&venv).unwrap();
    }
    if !sigma.exists() {
        let ok = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap()
            .success();
        assert!(ok, "python3 -m venv failed");
        let ok = std::process::Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "-q",
                "sigma-cli",
                "pysigma-backend-elasticsearch",
                "pysigma-backend-splunk",
                "pysigma-backend-loki",
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "pip install sigma-cli failed");
    }
    sigma
}

#[test]
fn sigma_rules_convert_with_sigma_cli() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rules");
    eggsec()
        .args(["logs", "sigma", "-o"])
        .arg(&out)
        .assert()
        .success();
    let files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 5);
    let sigma = sigma_cli();
    // The ATT&CK/D3FEND tag validators download MITRE data from the internet: excluded.
    let check = std::process::Command::new(&sigma)
        .args([
            "check",
            "--fail-on-issues",
            "-x",
            "attacktag",
            "-x",
            "d3_fendtag",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout).to_string()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "sigma check: {text}");
    assert!(
        text.contains("Found 0 errors, 0 condition errors and 0 issues"),
        "{text}"
    );
    for (target, file, needle) in [
        (
            "lucene",
            "eggjs_csrf_failure.yml",
            "error.type:ForbiddenError",
        ),
        ("esql", "eggjs_brute_force.yml", "source.ip"),
        ("splunk", "eggjs_client_error_burst.yml", "source.ip"),
        ("loki", "eggjs_injection_in_url.yml", "url_original"),
    ] {
        let conv = std::process::Command::new(&sigma)
            .args(["convert", "-t", target, "--without-pipeline"])
            .arg(out.join(file))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&conv.stdout).to_string()
            + &String::from_utf8_lossy(&conv.stderr);
        assert!(conv.status.success(), "{target} {file}: {text}");
        assert!(text.contains(needle), "{target} {file}: {text}");
    }
}

#[test]
fn ecs_events_carry_the_fields_the_sigma_rules_use() {
    let out = eggsec()
        .args(["logs", "ecs"])
        .arg(logs().join("run2-prod-proxy-access"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for clear in CLEAR {
        assert!(!text.contains(clear), "{clear} exported in clear");
    }
    let docs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // One document per record: the multi-line error records are not split.
    let csrf: Vec<&Value> = docs
        .iter()
        .filter(|d| d["error"]["type"] == "ForbiddenError")
        .collect();
    assert!(!csrf.is_empty());
    for d in &csrf {
        assert_eq!(d["log"]["level"], "WARN");
        assert!(d["error"]["message"].as_str().unwrap().contains("csrf"));
        assert_eq!(d["http"]["response"]["status_code"], 403);
        assert!(d["source"]["ip"].is_string());
        assert!(d["error"]["stack_trace"]
            .as_str()
            .unwrap()
            .contains("    at "));
    }
    let access: Vec<&Value> = docs
        .iter()
        .filter(|d| d["event"]["dataset"] == "eggjs.access")
        .collect();
    assert!(access
        .iter()
        .any(|d| d["http"]["response"]["status_code"] == 404
            && d["source"]["ip"] == "45.155.205.10"
            && d["url"]["original"] == "/.env"));
    let lines: u64 = ["access.log", "shop-api-web.log"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(logs().join("run2-prod-proxy-access").join(f))
                .unwrap()
                .lines()
                .filter(|l| eggsec_logs::record::parse_text_header(l.as_bytes()).is_some())
                .count() as u64
        })
        .sum();
    let from_these = docs
        .iter()
        .filter(|d| {
            let p = d["log"]["file"]["path"].as_str().unwrap();
            p.ends_with("/access.log") || p.ends_with("/shop-api-web.log")
        })
        .count() as u64;
    assert_eq!(from_these, lines);
}
