//! Differential test: `eggsec probe` beside the real Mozilla HTTP Observatory scanner.
//!
//! `tests/observatory/install.sh` (run by `.ci/run`, or by this test on first use) installs `@mdn/mdn-http-observatory`
//! 1.4.8 from npm and makes test certificates under `target/observatory/`. One node process
//! (`tests/observatory/driver.mjs`) serves every page of `tests/observatory/pages.json` from
//! local servers on 127.0.0.1 (http and https on one port, an http-only port, an untrusted
//! certificate, a robots.txt that sets a cookie) and runs the scanner's own `scan()` on each;
//! this test runs the probe (the library, as `eggsec probe` does) on the same URLs and asserts
//! the same score and the same result for every test, except the differences `pages.json`
//! documents (each also listed in `docs/probe.md`).

use eggsec_probe::http::ClientOptions;
use eggsec_probe::observatory::Algorithm;
use eggsec_probe::{probe, ProbeOptions, ProbeReport};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn observatory_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("EGGSEC_OBSERVATORY_DIR") {
        return d.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("observatory")
}

fn options(alg: Algorithm, certs: &Path, insecure: bool) -> ProbeOptions {
    ProbeOptions {
        client: ClientOptions {
            timeout: Duration::from_secs(30),
            cacert: Some(certs.join("ca.pem")),
            insecure,
            ..ClientOptions::default()
        },
        concurrency: 4,
        algorithm: alg,
        ..ProbeOptions::default()
    }
}

struct Ours {
    v4: Result<ProbeReport, String>,
    v6: Result<ProbeReport, String>,
}

#[test]
fn probe_grades_like_the_real_observatory() {
    let dir = observatory_dir();
    if !dir
        .join("node_modules/@mdn/mdn-http-observatory/src/scanner/index.js")
        .exists()
    {
        // A fresh machine: install it now (idempotent; .ci/run has done it already in CI).
        let script = repo_root().join("tests/observatory/install.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed: {}{}",
            script.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        dir.join("node_modules/@mdn/mdn-http-observatory/src/scanner/index.js")
            .exists(),
        "the reference scanner is not installed in {}: run `bash tests/observatory/install.sh` (.ci/run does)",
        dir.display()
    );
    let certs = dir.join("certs");
    let pages_file = repo_root().join("tests/observatory/pages.json");
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&pages_file).unwrap()).unwrap();
    let pages = spec["pages"].as_array().unwrap().clone();
    assert!(pages.len() >= 100, "{} pages", pages.len());

    let mut child = Command::new("node")
        .arg(repo_root().join("tests/observatory/driver.mjs"))
        .arg(&dir)
        .arg(&pages_file)
        .env("NODE_EXTRA_CA_CERTS", certs.join("ca.pem"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node (Node.js >= 20) on PATH");
    let stdin = child.stdin.take();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ports: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let ports = ports["ports"].clone();

    // The probe on every page, v4 and v6, while the reference scans them.
    let ours: Vec<Mutex<Option<Ours>>> = pages.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(page) = pages.get(i) else { break };
                let port = &ports[page["port"].as_str().unwrap_or("main")];
                let url = format!("http://127.0.0.1:{port}/p/{}", page["id"].as_str().unwrap());
                let insecure = page["insecure"].as_bool().unwrap_or(false);
                let v4 = probe(&url, &options(Algorithm::V4, &certs, insecure));
                let v6 = probe(&url, &options(Algorithm::V6, &certs, insecure));
                *ours[i].lock().unwrap() = Some(Ours { v4, v6 });
            });
        }
    });
    let results: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    drop(stdin);
    let _ = child.wait();
    let results = &results["results"];

    let mut exact = 0;
    let mut documented = 0;
    let mut failures: Vec<String> = Vec::new();
    let mut v6_checked = 0;
    for (page, ours) in pages.iter().zip(ours) {
        let id = page["id"].as_str().unwrap();
        let ours = ours.into_inner().unwrap().unwrap();
        let reference = &results[id];
        let v4 = match &ours.v4 {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{id}: the probe failed: {e}"));
                continue;
            }
        };
        let o = &v4.observatory;
        assert_eq!(o.algorithm_version, 4);
        let diff = &page["diff"];
        if let (Some(err), Some(why)) = (reference["error"].as_str(), page["ref_refuses"].as_str())
        {
            // Documented: the reference refuses because of a bug of its own.
            if o.score.is_some() {
                documented += 1;
            } else {
                failures.push(format!("{id}: documented ({why}) but not graded: {err}"));
            }
            continue;
        }
        if let Some(err) = reference["error"].as_str() {
            // The reference refuses to grade (status code): the probe withholds the score.
            if o.score.is_none() && o.not_graded.is_some() {
                exact += 1;
            } else {
                failures.push(format!(
                    "{id}: the reference refused ({err}) but the probe graded {:?}",
                    o.score
                ));
            }
            continue;
        }
        if let Some(why) = page["not_graded"].as_str() {
            // Documented: the probe does not leave the origin.
            let ok = o.score.is_none()
                && o.not_graded
                    .as_deref()
                    .is_some_and(|r| r.contains("origin"));
            if ok {
                documented += 1;
            } else {
                failures.push(format!(
                    "{id}: expected not graded ({why}), got {:?}",
                    o.score
                ));
            }
            continue;
        }
        let mut page_exact = reference["score"].as_i64() == o.score.map(i64::from);
        let mut page_ok = true;
        let ref_tests = reference["tests"].as_object().unwrap();
        assert_eq!(ref_tests.len(), 10, "{id}: v4 has ten tests");
        for (name, t) in ref_tests {
            let Some(mine) = o.test(name) else {
                failures.push(format!("{id}: the probe has no test {name}"));
                page_ok = false;
                continue;
            };
            let theirs = t["result"].as_str().unwrap();
            if mine.result != theirs {
                page_exact = false;
            }
            let expected = diff[name][0].as_str().unwrap_or(theirs);
            if mine.result != expected {
                page_ok = false;
                failures.push(format!(
                    "{id}: {name}: probe {} ({:+}), reference {theirs} ({:+}){}",
                    mine.result,
                    mine.modifier,
                    t["modifier"].as_i64().unwrap_or(0),
                    if diff[name].is_null() {
                        String::new()
                    } else {
                        format!(", documented probe result {expected}")
                    }
                ));
            } else if mine.result == theirs
                && i64::from(mine.modifier) != t["modifier"].as_i64().unwrap()
            {
                page_ok = false;
                failures.push(format!(
                    "{id}: {name}: same result {theirs}, modifier {} vs {}",
                    mine.modifier, t["modifier"]
                ));
            }
        }
        if diff.as_object().is_none_or(|d| d.is_empty())
            && reference["score"].as_i64() != o.score.map(i64::from)
        {
            page_ok = false;
            failures.push(format!(
                "{id}: score {:?}, reference {}",
                o.score, reference["score"]
            ));
        }
        if page_exact {
            exact += 1;
        } else if page_ok {
            documented += 1;
        }
        // v6: the ten shared tests give the v4 results except where pages.json says v6
        // differs by design; COOP and COEP are added.
        let v6 = match &ours.v6 {
            Ok(r) => &r.observatory,
            Err(e) => {
                failures.push(format!("{id}: the v6 probe failed: {e}"));
                continue;
            }
        };
        assert_eq!(v6.tests.len(), 12, "{id}");
        for t in &o.tests {
            let six = v6.test(&t.name).unwrap();
            if six.result != t.result && page["v6"][&t.name].is_null() {
                failures.push(format!(
                    "{id}: v6 {} gives {}, v4 {}",
                    t.name, six.result, t.result
                ));
            }
        }
        v6_checked += 1;
    }
    let total = pages.len();
    println!(
        "differential: {total} pages; identical score and results: {exact} ({:.1}%); documented differences: {documented}; unexplained: {}; v6 checked on {v6_checked}",
        100.0 * exact as f64 / total as f64,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} unexplained differences from the real Observatory:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(exact + documented, total);
}
