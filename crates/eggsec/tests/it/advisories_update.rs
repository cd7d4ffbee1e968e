//! `eggsec advisories update` against a real HTTP server on 127.0.0.1 serving an OSV export
//! built in the test from real records (`crates/eggsec_deps/tests/data/osv`): full download,
//! incremental update from `modified_id.csv`, conditional re-download (304), interrupted and
//! corrupt downloads that keep the previous database, the shrink guard, merging imports; and
//! `deps --online` against a registry with (and one without) npm's bulk advisory endpoint,
//! `--omit dev`, and ignores with an expiry.

use crate::oracle_support::repo_root;
use assert_cmd::Command;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One request as the server saw it: method, path, headers (lowercase names), body.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

/// What the server answers: status, extra headers, body, and whether to cut the body in half
/// after announcing its full length (an interrupted download).
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    cut: bool,
}

impl Answer {
    fn ok(body: Vec<u8>) -> Answer {
        Answer {
            status: 200,
            headers: vec![],
            body,
            cut: false,
        }
    }
    fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: vec![],
            body: vec![],
            cut: false,
        }
    }
}

type Route = Box<dyn Fn(&Seen) -> Answer + Send + Sync>;

/// A server whose behaviour the test changes between runs.
struct Server {
    url: String,
    route: Arc<Mutex<Route>>,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let route: Arc<Mutex<Route>> = Arc::new(Mutex::new(Box::new(|_| Answer::status(404))));
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (r, l) = (route.clone(), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, l) = (r.clone(), l.clone());
                std::thread::spawn(move || handle(stream, &r, &l));
            }
        });
        Server { url, route, log }
    }
    fn set(&self, f: impl Fn(&Seen) -> Answer + Send + Sync + 'static) {
        *self.route.lock().unwrap() = Box::new(f);
    }
    fn take_log(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn handle(stream: TcpStream, route: &Mutex<Route>, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let seen = Seen {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let answer = (route.lock().unwrap())(&seen);
    log.lock().unwrap().push(seen);
    let mut stream = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let end = if answer.cut {
        answer.body.len() / 2
    } else {
        answer.body.len()
    };
    let _ = stream.write_all(&answer.body[..end]);
    let _ = stream.flush();
    // Dropping the stream closes the connection (mid-body when cut).
}

fn osv_dir() -> std::path::PathBuf {
    repo_root().join("crates/eggsec_deps/tests/data/osv")
}

/// A zip of OSV records (`<ID>.json` entries), as OSV's all.zip is laid out.
fn zip_of(records: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in records {
            z.start_file(name.as_str(), opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn real_records() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(osv_dir())
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn eggsec(cache: &Path) -> Command {
    let mut c = Command::cargo_bin("eggsec").unwrap();
    c.env("EGGSEC_CACHE_DIR", cache)
        .env("HOME", cache)
        .env_remove("npm_config_registry")
        .env_remove("NPM_CONFIG_REGISTRY")
        .env_remove("NPM_CONFIG_USERCONFIG")
        .env_remove("npm_config_userconfig")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY");
    c
}

fn status_line(cache: &Path) -> String {
    let out = eggsec(cache)
        .args(["advisories", "status"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An app whose lockfile has lodash 4.17.4 (runtime), minimist 1.2.5 (dev only) and ms 0.7.1.
fn lodash_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"name":"lodash-app","version":"1.0.0","dependencies":{"egg":"^3.0.0","lodash":"4.17.4","ms":"0.7.1"},"devDependencies":{"minimist":"1.2.5"}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("package-lock.json"),
        r#"{"name":"lodash-app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
"":{"name":"lodash-app","version":"1.0.0","dependencies":{"egg":"^3.0.0","lodash":"4.17.4","ms":"0.7.1"},"devDependencies":{"minimist":"1.2.5"}},
"node_modules/egg":{"version":"3.17.0","resolved":"https://registry.example/egg/-/egg-3.17.0.tgz"},
"node_modules/lodash":{"version":"4.17.4","resolved":"https://registry.example/lodash/-/lodash-4.17.4.tgz"},
"node_modules/ms":{"version":"0.7.1","resolved":"https://registry.example/ms/-/ms-0.7.1.tgz"},
"node_modules/minimist":{"version":"1.2.5","dev":true,"resolved":"https://registry.example/minimist/-/minimist-1.2.5.tgz"}}}"#,
    )
    .unwrap();
    dir
}

fn deps_json(cache: &Path, app: &Path, extra: &[&str]) -> (Value, String, Option<i32>) {
    let out = eggsec(cache)
        .args(["deps", "--format", "json"])
        .args(extra)
        .arg(app)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn ids_of(doc: &Value, package: &str) -> Vec<String> {
    let mut v: Vec<String> = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["package"] == package)
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn update_full_incremental_conditional_and_failures_keep_the_database() {
    let cache = tempfile::tempdir().unwrap();
    let server = Server::start();
    let zip_url = format!("{}/npm/all.zip", server.url);
    // The export without the two minimist records, as of an earlier day.
    let all = real_records();
    let early: Vec<_> = all
        .iter()
        .filter(|(n, _)| !n.contains("xvch-5gv4-984h") && !n.contains("vh95-rmgr-6w4m"))
        .cloned()
        .collect();
    let early_zip = Arc::new(zip_of(&early));
    {
        let z = early_zip.clone();
        server.set(move |s| match s.path.as_str() {
            "/npm/all.zip" => Answer {
                headers: vec![("ETag".into(), "\"v1\"".into())],
                ..Answer::ok(z.to_vec())
            },
            _ => Answer::status(404),
        });
    }
    let out = run_ok(eggsec(cache.path()).args(["advisories", "update", "--url", &zip_url]));
    assert!(out.contains("installed 28 npm advisories"), "{out}");
    assert!(status_line(cache.path()).contains("(28 advisories"));
    server.take_log();

    // An app with lodash 4.17.4 is reported after the update (a real OSV export format).
    let app = lodash_app();
    let (doc, _, code) = deps_json(cache.path(), app.path(), &["--offline"]);
    assert_eq!(ids_of(&doc, "lodash").len(), 7, "{doc:#}");
    assert_eq!(code, Some(1), "critical lodash advisories fail the run");

    // Unchanged export, no modification data: a conditional GET answered 304.
    server.set(|s| match s.path.as_str() {
        "/npm/all.zip" if s.headers.get("if-none-match").map(String::as_str) == Some("\"v1\"") => {
            Answer::status(304)
        }
        "/npm/all.zip" => Answer::ok(b"should not be downloaded".to_vec()),
        _ => Answer::status(404),
    });
    let out = run_ok(eggsec(cache.path()).args(["advisories", "update", "--url", &zip_url]));
    assert!(out.contains("up to date: 28"), "{out}");
    assert!(server
        .take_log()
        .iter()
        .any(|s| s.headers.contains_key("if-none-match")));

    // Modification data: only the two records changed since are fetched.
    let records: HashMap<String, Vec<u8>> = all.iter().cloned().collect();
    server.set(move |s| {
        let path = s.path.trim_start_matches("/npm/");
        match path {
            "modified_id.csv" => Answer::ok(
                b"2026-12-01T00:00:00Z,GHSA-xvch-5gv4-984h\n2026-11-30T00:00:00Z,GHSA-vh95-rmgr-6w4m\n2023-01-01T00:00:00Z,GHSA-jf85-cpcp-j695\n"
                    .to_vec(),
            ),
            "all.zip" => Answer::ok(b"must not be downloaded again".to_vec()),
            id => match records.get(id) {
                Some(b) => {
                    // The server's copy carries the newer modified time.
                    let mut v: Value = serde_json::from_slice(b).unwrap();
                    v["modified"] = "2026-12-01T00:00:00Z".into();
                    Answer::ok(serde_json::to_vec(&v).unwrap())
                }
                None => Answer::status(404),
            },
        }
    });
    let out = run_ok(eggsec(cache.path()).args(["advisories", "update", "--url", &zip_url]));
    assert!(
        out.contains("fetched 2 changed records: 2 new, 0 updated; 30 npm advisories"),
        "{out}"
    );
    let paths: Vec<String> = server.take_log().into_iter().map(|s| s.path).collect();
    assert!(!paths.iter().any(|p| p.ends_with("all.zip")), "{paths:?}");

    // An interrupted download (length announced, half sent) keeps the database.
    let full_zip = zip_of(&all);
    server.set(move |_| Answer {
        cut: true,
        ..Answer::ok(full_zip.clone())
    });
    let out = eggsec(cache.path())
        .args(["advisories", "update", "--full", "--url", &zip_url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unchanged") || err.contains("incomplete"),
        "{err}"
    );
    assert!(status_line(cache.path()).contains("(30 advisories"));

    // A corrupt export keeps it too.
    server.set(|_| Answer::ok(b"PK\x03\x04 this is not a zip archive at all".to_vec()));
    let out = eggsec(cache.path())
        .args(["advisories", "update", "--full", "--url", &zip_url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(status_line(cache.path()).contains("(30 advisories"));

    // A much smaller export is refused without --replace.
    let one = zip_of(&all[..1]);
    server.set(move |_| Answer::ok(one.clone()));
    let out = eggsec(cache.path())
        .args(["advisories", "update", "--full", "--url", &zip_url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--replace"));
    assert!(status_line(cache.path()).contains("(30 advisories"));
    run_ok(eggsec(cache.path()).args([
        "advisories",
        "update",
        "--full",
        "--replace",
        "--url",
        &zip_url,
    ]));
    assert!(status_line(cache.path()).contains("(1 advisories"));
}

#[test]
fn update_url_from_eggsec_toml_and_imports_merge() {
    let cache = tempfile::tempdir().unwrap();
    let server = Server::start();
    let z = zip_of(&real_records());
    server.set(move |s| {
        if s.path == "/mirror/all.zip" {
            Answer::ok(z.clone())
        } else {
            Answer::status(404)
        }
    });
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("eggsec.toml"),
        format!("[advisories]\nurl = \"{}/mirror/all.zip\"\n", server.url),
    )
    .unwrap();
    let out = run_ok(
        eggsec(cache.path())
            .current_dir(project.path())
            .args(["advisories", "update"]),
    );
    assert!(out.contains("installed 30"), "{out}");
    assert!(server
        .take_log()
        .iter()
        .any(|s| s.path == "/mirror/all.zip"));

    // One valid and twenty invalid records: merged, never a smaller database.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        osv_dir().join("GHSA-jf85-cpcp-j695.json"),
        dir.path().join("GHSA-jf85-cpcp-j695.json"),
    )
    .unwrap();
    for i in 0..20 {
        std::fs::write(dir.path().join(format!("BAD-{i}.json")), "{\"id\": 3}").unwrap();
    }
    let out = eggsec(cache.path())
        .args(["advisories", "update", "--from"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("BAD-"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 new, 0 updated; 30"));
    assert!(status_line(cache.path()).contains("(30 advisories"));
}

#[test]
fn deps_online_bulk_endpoint_omit_dev_and_ignores() {
    let cache = tempfile::tempdir().unwrap();
    let app = lodash_app();
    // A registry with npm's bulk endpoint: it knows the `ms` ReDoS advisory, which the
    // embedded database does not, and lodash's (already known by GHSA id: merged, not doubled).
    let registry = Server::start();
    registry.set(|s| {
        if s.method == "POST" && s.path == "/-/npm/v1/security/advisories/bulk" {
            Answer::ok(br#"{
"ms":[{"id":1094419,"url":"https://github.com/advisories/GHSA-w9mr-4mfr-499f","title":"Vercel ms Inefficient Regular Expression Complexity vulnerability","severity":"moderate","vulnerable_versions":"<2.0.0","cwe":["CWE-1333"],"cvss":{"score":5.3,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}}],
"lodash":[{"id":1106913,"url":"https://github.com/advisories/GHSA-jf85-cpcp-j695","title":"Prototype Pollution in lodash","severity":"critical","vulnerable_versions":"<4.17.12","cwe":["CWE-20","CWE-1321"],"cvss":{"score":9.1,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}}]}"#.to_vec())
        } else {
            Answer::status(404)
        }
    });
    std::fs::write(
        app.path().join(".npmrc"),
        format!("registry={}/\n", registry.url),
    )
    .unwrap();
    let (doc, _, _) = deps_json(cache.path(), app.path(), &["--online"]);
    assert_eq!(ids_of(&doc, "ms"), vec!["GHSA-w9mr-4mfr-499f"], "{doc:#}");
    assert_eq!(
        ids_of(&doc, "lodash").len(),
        7,
        "no duplicate of a known GHSA"
    );
    let ms = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["package"] == "ms")
        .unwrap();
    assert_eq!(ms["fixed"], "2.0.0");
    let posted = registry
        .take_log()
        .into_iter()
        .find(|s| s.method == "POST")
        .expect("the bulk endpoint was asked");
    let body: Value = serde_json::from_str(&posted.body).unwrap();
    assert_eq!(body["lodash"], serde_json::json!(["4.17.4"]));

    // A registry without the endpoint (405, like a mirror): said once, the report stands.
    let mirror = Server::start();
    mirror.set(|_| Answer::status(405));
    std::fs::write(
        app.path().join(".npmrc"),
        format!("registry={}/\n", mirror.url),
    )
    .unwrap();
    let (doc, err, _) = deps_json(cache.path(), app.path(), &["--online"]);
    assert_eq!(
        err.matches("no bulk advisory endpoint (HTTP 405)").count(),
        1,
        "{err}"
    );
    assert_eq!(ids_of(&doc, "lodash").len(), 7);
    std::fs::remove_file(app.path().join(".npmrc")).unwrap();

    // --omit dev drops the dev-only minimist.
    let (doc, _, _) = deps_json(cache.path(), app.path(), &["--offline"]);
    assert_eq!(ids_of(&doc, "minimist"), vec!["GHSA-xvch-5gv4-984h"]);
    let (doc, _, _) = deps_json(cache.path(), app.path(), &["--offline", "--omit", "dev"]);
    assert!(ids_of(&doc, "minimist").is_empty());

    // Ignores: one in force moves the advisory out; an expired one is a finding again.
    std::fs::write(
        app.path().join("eggsec.toml"),
        "[[advisories.ignore]]\nid = \"CVE-2019-10744\"\nreason = \"defaultsDeep is never called with request data\"\nuntil = 2999-01-31\n\n[[advisories.ignore]]\nid = \"GHSA-35jh-r3h4-6jhm\"\nreason = \"templates are ours\"\nuntil = 2020-01-31\n",
    )
    .unwrap();
    let (doc, _, _) = deps_json(cache.path(), app.path(), &["--offline"]);
    let lodash = ids_of(&doc, "lodash");
    assert!(
        !lodash.contains(&"GHSA-jf85-cpcp-j695".to_string()),
        "ignored by its CVE alias"
    );
    assert_eq!(doc["ignored"][0]["id"], "GHSA-jf85-cpcp-j695");
    let expired = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "GHSA-35jh-r3h4-6jhm")
        .expect("an expired ignore leaves the advisory in");
    assert_eq!(expired["ignore_expired"], "2020-01-31");
    // A misspelt key is not silently ignored.
    std::fs::write(
        app.path().join("eggsec.toml"),
        "[advisories]\nmax_age = 3\n",
    )
    .unwrap();
    let (_, err, _) = deps_json(cache.path(), app.path(), &["--offline"]);
    assert!(err.contains("eggsec.toml"), "{err}");
}
