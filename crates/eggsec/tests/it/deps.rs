//! `eggsec deps`, `eggsec watch` and `eggsec advisories` end to end, against a real HTTP
//! registry on 127.0.0.1 serving documents recorded from the npm registry
//! (`tests/fixtures/deps-registry`), and a real HTTP server receiving webhooks.

use crate::oracle_support::repo_root;
use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What a test server received: (method, path, body).
type Log = Arc<Mutex<Vec<(String, String, String)>>>;

/// A tiny HTTP/1.1 server on 127.0.0.1: `respond(method, path, body)` gives (status, body).
fn serve(
    respond: impl Fn(&str, &str, &str) -> (u16, Vec<u8>) + Send + Sync + 'static,
) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = log.clone();
    let respond = Arc::new(respond);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = seen.clone();
            let respond = respond.clone();
            std::thread::spawn(move || handle(stream, &seen, &*respond));
        }
    });
    (url, log)
}

/// Answers a request `(method, path, body)` with `(status, body)`.
type Responder = dyn Fn(&str, &str, &str) -> (u16, Vec<u8>) + Send + Sync;

fn handle(stream: TcpStream, log: &Log, respond: &Responder) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    let (status, out) = respond(&method, &path, &body);
    log.lock().unwrap().push((method, path, body));
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        out.len()
    );
    let _ = stream.write_all(&out);
}

/// The registry: `GET /<name>` (scoped names as `@scope%2Fname`) → the recorded document.
fn registry() -> (String, Log) {
    let dir = repo_root().join("tests/fixtures/deps-registry");
    serve(move |_, path, _| {
        let name = path
            .trim_start_matches('/')
            .replace("%2F", "__")
            .replace("%2f", "__");
        match std::fs::read(dir.join(format!("{name}.json"))) {
            Ok(b) => (200, b),
            Err(_) => (404, br#"{"error":"Not found"}"#.to_vec()),
        }
    })
}

/// A copy of a `tests/fixtures/deps-*` app in a temp dir, with `.npmrc` naming `registry`.
fn app(fixture: &str, registry: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_root().join("tests/fixtures").join(fixture);
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    if let Some(url) = registry {
        std::fs::write(dir.path().join(".npmrc"), format!("registry={url}\n")).unwrap();
    }
    dir
}

/// `eggsec` with a private cache and no registry from the environment.
fn eggsec(cache: &Path) -> Command {
    let mut c = Command::cargo_bin("eggsec").unwrap();
    c.env("EGGSEC_CACHE_DIR", cache)
        .env("HOME", cache)
        .env_remove("npm_config_registry")
        .env_remove("NPM_CONFIG_REGISTRY")
        .env_remove("NPM_CONFIG_USERCONFIG")
        .env_remove("npm_config_userconfig")
        .env_remove("NPM_CONFIG_GLOBALCONFIG")
        .env_remove("npm_config_globalconfig")
        .env_remove("PREFIX")
        .env_remove("npm_config_prefix");
    c
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn vuln<'a>(doc: &'a Value, id: &str, package: &str) -> &'a Value {
    doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id && v["package"] == package)
        .unwrap_or_else(|| panic!("{id} {package} missing: {doc:#}"))
}

#[test]
fn deps_json_contract_with_attribution_and_outdated() {
    let (url, log) = registry();
    let dir = app("deps-package-lock-v3", Some(&url));
    let cache = tempfile::tempdir().unwrap();
    let out = eggsec(cache.path())
        .args(["deps", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "critical egg-scripts advisory → exit 1"
    );
    let doc = json_of(&out);
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 15);
    let scripts = packages
        .iter()
        .find(|p| p["name"] == "egg-scripts")
        .unwrap();
    for key in ["name", "version", "dev", "egg_role", "lockfile", "line"] {
        assert!(scripts.get(key).is_some(), "packages[] lacks {key}");
    }
    assert_eq!(scripts["egg_role"], "tool");
    assert_eq!(scripts["lockfile"], "package-lock.json");
    let egg_bin = packages.iter().find(|p| p["name"] == "egg-bin").unwrap();
    assert_eq!(egg_bin["dev"], true);

    let v = vuln(&doc, "GHSA-c9j3-wqph-5xx9", "egg-scripts");
    for key in [
        "id", "aliases", "package", "version", "severity", "fixed", "paths", "via",
    ] {
        assert!(v.get(key).is_some(), "vulnerabilities[] lacks {key}");
    }
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["fixed"], "2.8.1");
    assert_eq!(v["aliases"][0], "CVE-2018-3786");

    // cookie 0.3.1 comes through egg-onerror; egg-onerror 2.4.0 is the first to need cookie ^0.7.2.
    let cookie = vuln(&doc, "GHSA-pxg6-pf52-xh8x", "cookie");
    assert_eq!(
        cookie["paths"][0],
        serde_json::json!(["egg-onerror@2.2.0", "cookie@0.3.1"])
    );
    assert_eq!(cookie["via"][0]["egg_package"], "egg-onerror");
    assert_eq!(cookie["via"][0]["upgrade"], "2.4.0");
    // ejs 2.7.4 through egg-view-ejs: only its 3.0.0 (ejs ^3 → 3.1.10) leaves both ejs advisories.
    for id in ["GHSA-phwq-j96m-2c2q", "GHSA-ghr5-ch3p-vcr6"] {
        assert_eq!(vuln(&doc, id, "ejs")["via"][0]["upgrade"], "3.0.0", "{id}");
    }
    // dicer through egg → egg-multipart → co-busboy → busboy; no fixed dicer exists.
    let dicer = vuln(&doc, "GHSA-wm7h-9275-46v2", "dicer");
    assert_eq!(dicer["fixed"], Value::Null);
    assert_eq!(
        dicer["paths"][0],
        serde_json::json!([
            "egg@3.17.0",
            "egg-multipart@2.13.0",
            "co-busboy@1.4.1",
            "busboy@0.2.14",
            "dicer@0.2.5"
        ])
    );
    assert_eq!(dicer["via"][0]["egg_package"], "egg-multipart");
    // Both installed path-to-regexp versions, the nested one via the router.
    let nested = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["package"] == "path-to-regexp" && v["version"] == "1.8.0")
        .unwrap();
    assert_eq!(nested["via"][0]["egg_package"], "@eggjs/router");
    assert_eq!(nested["fixed"], "1.9.0");

    // Behind latest, from the recorded registry documents.
    let egg = doc["outdated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "egg")
        .unwrap_or_else(|| panic!("egg not in outdated: {doc:#}"));
    assert_eq!(egg["latest"], "4.0.10");
    assert_eq!(egg["behind"], "major");
    assert_eq!(egg["node_engine"], ">= 18.19.0");
    // The recorded egg document (the registry as served here) lacks 3.17.0's publish time.
    assert_eq!(egg["days_since_installed_release"], Value::Null);
    let scripts = doc["outdated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "egg-scripts")
        .unwrap();
    assert_eq!(
        (scripts["latest"].as_str(), scripts["behind"].as_str()),
        (Some("3.1.0"), Some("major"))
    );
    assert!(scripts["days_since_installed_release"].as_i64().unwrap() > 300);
    let requests = log.lock().unwrap().len();
    assert!(requests > 5, "the registry was asked ({requests} requests)");

    // Cached: a second run (even --offline) asks nothing.
    let before = log.lock().unwrap().len();
    let out = eggsec(cache.path())
        .args(["deps", "--format", "json", "--offline"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(log.lock().unwrap().len(), before, "--offline made requests");
    assert_eq!(
        json_of(&out)["outdated"].as_array().unwrap().len(),
        doc["outdated"].as_array().unwrap().len()
    );
}

#[test]
fn every_lockfile_format_gives_the_same_vulnerabilities() {
    let cache = tempfile::tempdir().unwrap();
    let mut expected: Option<Vec<(String, String, String)>> = None;
    for fixture in [
        "deps-package-lock-v1",
        "deps-package-lock-v2",
        "deps-package-lock-v3",
        "deps-yarn-v1",
        "deps-yarn-berry",
        "deps-pnpm-v5",
        "deps-pnpm-v6",
        "deps-pnpm-v9",
    ] {
        let dir = app(fixture, None);
        let out = eggsec(cache.path())
            .args(["deps", "--format", "json", "--offline"])
            .arg(dir.path())
            .output()
            .unwrap();
        let doc = json_of(&out);
        let mut got: Vec<(String, String, String)> = doc["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["id"].as_str().unwrap().into(),
                    v["package"].as_str().unwrap().into(),
                    v["version"].as_str().unwrap().into(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got.len(), 7, "{fixture}: {got:?}");
        assert!(
            doc["vulnerabilities"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v["line"].as_u64().unwrap() > 0),
            "{fixture}"
        );
        match &expected {
            None => expected = Some(got),
            Some(e) => assert_eq!(&got, e, "{fixture}"),
        }
    }
}

/// An app in a workspace (pnpm, npm and yarn workspaces, lockfiles written by pnpm 9, npm 10
/// and yarn 1): the lockfile is at the workspace's root and the app's dependencies are its own
/// importer's (`importers["packages/api"]`, `packages["packages/api"]`). They were read as the
/// root's: with pnpm every package of the app was "dev" and `--omit dev` dropped its critical
/// advisory (exit 0, a false clean); with npm the app's nested `lodash@4.17.15` was taken for
/// the hoisted `4.17.21` of the other workspace ("does not satisfy", lockfile out of date).
#[test]
fn an_app_in_a_workspace_is_checked_with_its_own_dependencies() {
    let cache = tempfile::tempdir().unwrap();
    let root = repo_root().join("tests/fixtures/deps-workspaces");
    for pm in ["pnpm", "npm", "yarn"] {
        let out = eggsec(cache.path())
            .args(["deps", "--format", "json", "--offline", "--omit", "dev"])
            .args(["--fail-on", "high", "--allow-no-lockfile"])
            .arg(root.join(pm).join("packages/api"))
            .output()
            .unwrap();
        let doc = json_of(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{pm}: {stderr}");
        let minimist = vuln(&doc, "GHSA-xvch-5gv4-984h", "minimist");
        assert_eq!(minimist["version"], "1.2.5", "{pm}");
        assert_eq!(minimist["severity"], "critical", "{pm}: {minimist:#}");
        assert_eq!(
            vuln(&doc, "GHSA-p6mc-m468-83gw", "lodash")["version"],
            "4.17.15"
        );
        // the dev dependency (qs 6.5.2, with an advisory of its own) is left out
        assert!(
            !doc["vulnerabilities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["package"] == "qs"),
            "{pm}: {doc:#}"
        );
        for wrong in ["has no entry", "does not satisfy"] {
            assert!(!stderr.contains(wrong), "{pm}: {stderr}");
        }
    }
}

#[test]
fn text_and_sarif_outputs() {
    let cache = tempfile::tempdir().unwrap();
    let dir = app("deps-pnpm-v9", None);
    let out = eggsec(cache.path())
        .args(["deps", "--offline"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("15 packages from pnpm-lock.yaml (pnpm-lock v9)"),
        "{text}"
    );
    assert!(
        text.contains("CRITICAL GHSA-c9j3-wqph-5xx9 egg-scripts@2.8.0"),
        "{text}"
    );
    assert!(text.contains("path: egg@3.17.0 > egg-multipart@2.13.0 > co-busboy@1.4.1 > busboy@0.2.14 > dicer@0.2.5 [egg package: egg-multipart]"), "{text}");
    let out = eggsec(cache.path())
        .args(["deps", "--offline", "--format", "sarif"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif = json_of(&out);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    // One SARIF rule per advisory (so GitHub ranks each by its CVSS), documented as UPD001.
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        assert!(id.starts_with("GHSA-") || id.contains('-'), "{id}");
        let rule = rules.iter().find(|d| d["id"] == id).unwrap();
        assert_eq!(rule["name"], "vulnerable-egg-package");
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("vulnerable-egg-package.md"));
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
    }
}

#[test]
fn unreachable_and_garbage_registries_are_reported_and_the_report_still_comes() {
    // A port nobody listens on.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    let (garbage, _) = serve(|_, _, _| (200, b"<html>not json".to_vec()));
    for (url, says) in [
        (closed.as_str(), "127.0.0.1"),
        (garbage.as_str(), "not a registry document"),
    ] {
        let dir = app("deps-package-lock-v3", Some(url));
        let cache = tempfile::tempdir().unwrap();
        let out = eggsec(cache.path())
            .args(["deps", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap();
        let doc = json_of(&out);
        assert_eq!(doc["vulnerabilities"].as_array().unwrap().len(), 7);
        let problems = doc["problems"].as_array().unwrap();
        assert!(
            problems.iter().any(|p| p.as_str().unwrap().contains(says)),
            "{problems:?}"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("eggsec: warning:"));
    }
}

#[test]
fn corrupt_lockfile_and_bad_advisory_file() {
    let cache = tempfile::tempdir().unwrap();
    let dir = app("deps-package-lock-v3", None);
    std::fs::write(
        dir.path().join("package-lock.json"),
        "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": ",
    )
    .unwrap();
    let out = eggsec(cache.path())
        .args(["deps", "--offline"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("package-lock.json: not valid JSON"));
    // A malformed advisory directory: the bad record is named, the good ones are used.
    let adv = tempfile::tempdir().unwrap();
    let osv = repo_root().join("crates/eggsec_deps/tests/data/osv/GHSA-c9j3-wqph-5xx9.json");
    std::fs::copy(osv, adv.path().join("GHSA-c9j3-wqph-5xx9.json")).unwrap();
    std::fs::write(
        adv.path().join("BROKEN-1.json"),
        "{\"id\": \"BROKEN-1\", \"affected\": [",
    )
    .unwrap();
    let dir = app("deps-package-lock-v3", None);
    let out = eggsec(cache.path())
        .args(["deps", "--offline", "--format", "json", "--advisories"])
        .arg(adv.path())
        .arg(dir.path())
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["vulnerabilities"].as_array().unwrap().len(), 1);
    assert!(doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p.as_str().unwrap().contains("BROKEN-1.json")));
}

#[test]
fn ledger_record_and_diff() {
    let cache = tempfile::tempdir().unwrap();
    let dir = app("deps-package-lock-v3", None);
    eggsec(cache.path())
        .args(["deps", "--offline", "--record"])
        .arg(dir.path())
        .output()
        .unwrap();
    let ledger: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(".eggsec/versions.json")).unwrap(),
    )
    .unwrap();
    assert!(ledger["packages"]["egg-scripts"]["2.8.0"]["since"].is_string());
    // Upgrade egg-scripts in the lockfile.
    let lock = dir.path().join("package-lock.json");
    let text = std::fs::read_to_string(&lock).unwrap().replace(
        "\"version\": \"2.8.0\",\n      \"resolved\": \"https://registry.npmjs.org/egg-scripts/-/egg-scripts-2.8.0.tgz\"",
        "\"version\": \"2.8.1\",\n      \"resolved\": \"https://registry.npmjs.org/egg-scripts/-/egg-scripts-2.8.1.tgz\"",
    );
    assert!(text.contains("2.8.1"));
    std::fs::write(&lock, text).unwrap();
    let out = eggsec(cache.path())
        .args(["deps", "--offline", "--diff"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("upgraded   egg-scripts [tool]: 2.8.0 -> 2.8.1"),
        "{stdout}"
    );
    let history = dir.path().join(".eggsec/history.jsonl");
    assert_eq!(
        std::fs::read_to_string(&history).unwrap().lines().count(),
        1,
        "--diff writes nothing"
    );
    eggsec(cache.path())
        .args(["deps", "--offline", "--record"])
        .arg(dir.path())
        .output()
        .unwrap();
    let history = std::fs::read_to_string(dir.path().join(".eggsec/history.jsonl")).unwrap();
    let lines: Vec<Value> = history
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "initial record + one change");
    assert_eq!(
        lines[1]["changes"],
        serde_json::json!([{"package": "egg-scripts", "kind": "upgraded", "from": "2.8.0", "to": "2.8.1", "egg_role": "tool"}])
    );
    // Recording again with no change appends nothing.
    eggsec(cache.path())
        .args(["deps", "--offline", "--record"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".eggsec/history.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );
}

#[test]
fn watch_posts_new_events_once_per_format() {
    let (reg, _) = registry();
    for (format, check) in [
        ("json", "/events/0/package"),
        ("slack", "/text"),
        ("dingtalk", "/text/content"),
        ("feishu", "/content/text"),
    ] {
        let (hook, received) = serve(|_, _, _| (200, b"{}".to_vec()));
        let dir = app("deps-package-lock-v3", Some(&reg));
        let cache = tempfile::tempdir().unwrap();
        let url = format!("{hook}hook?token=SECRET123");
        let out = eggsec(cache.path())
            .args(["watch", "--webhook", &url, "--webhook-format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("SECRET123"), "token leaked: {stdout}");
        {
            let got = received.lock().unwrap();
            assert_eq!(got.len(), 1, "{format}");
            assert_eq!(got[0].0, "POST");
            let body: Value = serde_json::from_str(&got[0].2).unwrap();
            assert!(body.pointer(check).is_some(), "{format}: {body:#}");
            let text = got[0].2.clone();
            assert!(text.contains("GHSA-c9j3-wqph-5xx9"), "{format}: {text}");
            assert!(text.contains("egg-scripts 2.8.0"), "{format}: {text}");
            assert!(
                text.contains("upgrade egg-scripts to 2.8.1"),
                "{format}: {text}"
            );
            assert!(
                text.contains("upgrade egg-onerror to 2.4.0"),
                "{format}: {text}"
            );
            assert!(
                text.contains("egg 4.0.10 is released (installed: 3.17.0, major behind)"),
                "{format}: {text}"
            );
        }
        // Idempotent: nothing new, nothing sent.
        let out = eggsec(cache.path())
            .args(["watch", "--webhook", &url, "--webhook-format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("nothing new"));
        assert_eq!(
            received.lock().unwrap().len(),
            1,
            "{format}: second run posted again"
        );
    }
}

#[test]
fn watch_keeps_state_when_the_webhook_fails() {
    let (hook, received) = serve(|_, _, _| (500, b"down".to_vec()));
    let dir = app("deps-package-lock-v3", None);
    let cache = tempfile::tempdir().unwrap();
    let url = format!("{hook}hook");
    for _ in 0..2 {
        let out = eggsec(cache.path())
            .args(["watch", "--offline", "--webhook", &url])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("webhook http://127.0.0.1"));
    }
    assert_eq!(
        received.lock().unwrap().len(),
        2,
        "the failed delivery is retried"
    );
}

#[test]
fn advisories_update_from_osv_directory_replaces_embedded() {
    let cache = tempfile::tempdir().unwrap();
    let adv = tempfile::tempdir().unwrap();
    let osv = repo_root().join("crates/eggsec_deps/tests/data/osv/GHSA-wm7h-9275-46v2.json");
    std::fs::copy(osv, adv.path().join("GHSA-wm7h-9275-46v2.json")).unwrap();
    let out = eggsec(cache.path())
        .args(["advisories", "update", "--from"])
        .arg(adv.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = eggsec(cache.path())
        .args(["advisories", "status"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("(1 advisories"));
    let dir = app("deps-package-lock-v3", None);
    let doc = json_of(
        &eggsec(cache.path())
            .args(["deps", "--offline", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    let ids: Vec<&str> = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["GHSA-wm7h-9275-46v2"]);
}

#[test]
fn audit_reports_updates_findings() {
    let cache = tempfile::tempdir().unwrap();
    let dir = app("deps-package-lock-v3", None);
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/config.default.js"),
        "module.exports = { keys: 'x' };\n",
    )
    .unwrap();
    let out = eggsec(cache.path())
        .args(["audit", "--format", "json", "--embedded-defaults"])
        .arg(dir.path())
        .output()
        .unwrap();
    let doc = json_of(&out);
    let app = &doc["apps"][0];
    let upd: Vec<&Value> = app["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["strategy"] == "updates")
        .collect();
    assert_eq!(
        upd.iter()
            .filter(|f| f["name"] == "vulnerable-egg-package")
            .count(),
        7,
        "{upd:#?}"
    );
    let posture = app["posture"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["strategy"] == "updates")
        .unwrap();
    assert_eq!(posture["status"], "missing", "a critical advisory");
}
