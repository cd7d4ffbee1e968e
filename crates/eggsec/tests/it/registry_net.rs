//! The registry client reaches the registry the way the machine is set up: a TLS registry on
//! 127.0.0.1 whose certificate comes from a private CA made here (openssl), trusted through
//! NODE_EXTRA_CA_CERTS, npm's cafile or SSL_CERT_FILE, or not verified with strict-ssl=false;
//! an HTTP CONNECT proxy through HTTPS_PROXY or npm's https-proxy, skipped with NO_PROXY; and
//! one clear message when the registry cannot be reached.

use crate::oracle_support::repo_root;
use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex};

struct Servers {
    child: Child,
    _stdin: Option<ChildStdin>,
    registry: u16,
    proxy: u16,
    connects: Arc<Mutex<Vec<String>>>,
    dir: tempfile::TempDir,
}

impl Drop for Servers {
    fn drop(&mut self) {
        self._stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Servers {
    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.registry)
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl on PATH");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A private CA, a server certificate for 127.0.0.1 signed by it, and the servers.
fn start() -> Servers {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=eggsec test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );

    let mut child = std::process::Command::new("node")
        .arg(repo_root().join("tests/tools/tls-registry.js"))
        .arg(d.join("server.key"))
        .arg(d.join("server.pem"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node on PATH");
    let stdin = child.stdin.take();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let ports: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("{line:?}"));
    let connects: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = connects.clone();
    std::thread::spawn(move || {
        for l in reader.lines().map_while(Result::ok) {
            seen.lock().unwrap().push(l);
        }
    });
    Servers {
        child,
        _stdin: stdin,
        registry: ports["registry"].as_u64().unwrap() as u16,
        proxy: ports["proxy"].as_u64().unwrap() as u16,
        connects,
        dir,
    }
}

/// A copy of the package-lock fixture with `npmrc` as its .npmrc.
fn project(npmrc: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_root().join("tests/fixtures/deps-package-lock-v3");
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    std::fs::write(dir.path().join(".npmrc"), npmrc).unwrap();
    dir
}

/// `eggsec deps --format json` with a clean network environment plus `env`.
fn deps(project: &Path, env: &[(&str, String)]) -> (Value, String) {
    let cache = tempfile::tempdir().unwrap();
    let mut c = Command::cargo_bin("eggsec").unwrap();
    c.env("EGGSEC_CACHE_DIR", cache.path())
        .env("HOME", cache.path());
    for k in [
        "npm_config_registry",
        "NPM_CONFIG_REGISTRY",
        "NPM_CONFIG_USERCONFIG",
        "npm_config_userconfig",
        "NPM_CONFIG_GLOBALCONFIG",
        "npm_config_globalconfig",
        "PREFIX",
        "npm_config_prefix",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "NODE_EXTRA_CA_CERTS",
        "SSL_CERT_FILE",
        "npm_config_cafile",
        "npm_config_strict_ssl",
        "npm_config_https_proxy",
        "npm_config_proxy",
        "npm_config_noproxy",
    ] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c
        .args(["deps", "--format", "json"])
        .arg(project)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (doc, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn reached(doc: &Value) -> bool {
    doc["outdated"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["latest"] == "9.9.9")
}

fn unreachable_lines(doc: &Value) -> Vec<String> {
    doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| p.contains("cannot reach the npm registry"))
        .map(str::to_string)
        .collect()
}

#[test]
fn private_ca_proxy_and_no_proxy() {
    assert!(
        std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_ok(),
        "openssl must be on PATH (it makes the test's private CA)"
    );
    let s = start();
    let registry = format!("registry={}\n", s.url());
    let ca = s.ca().display().to_string();
    // An empty system store, so only what the test configures is trusted.
    let empty = s.dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let base = vec![("SSL_CERT_FILE", empty.display().to_string())];

    // Not trusted: one clear line, not one per package.
    let (doc, stderr) = deps(project(&registry).path(), &base);
    assert!(!reached(&doc));
    let lines = unreachable_lines(&doc);
    assert_eq!(lines.len(), 1, "{:?}", doc["problems"]);
    assert!(lines[0].contains(&s.url()), "{}", lines[0]);
    assert_eq!(
        stderr.matches("cannot reach the npm registry").count(),
        1,
        "{stderr}"
    );

    // NODE_EXTRA_CA_CERTS, npm cafile, SSL_CERT_FILE, strict-ssl=false.
    let mut with_extra = base.clone();
    with_extra.push(("NODE_EXTRA_CA_CERTS", ca.clone()));
    let (doc, _) = deps(project(&registry).path(), &with_extra);
    assert!(reached(&doc), "NODE_EXTRA_CA_CERTS: {:?}", doc["problems"]);
    let (doc, _) = deps(project(&format!("{registry}cafile={ca}\n")).path(), &base);
    assert!(reached(&doc), "cafile: {:?}", doc["problems"]);
    let (doc, _) = deps(project(&registry).path(), &[("SSL_CERT_FILE", ca.clone())]);
    assert!(reached(&doc), "SSL_CERT_FILE: {:?}", doc["problems"]);
    let (doc, stderr) = deps(
        project(&format!("{registry}strict-ssl=false\n")).path(),
        &base,
    );
    assert!(reached(&doc), "strict-ssl=false: {:?}", doc["problems"]);
    assert!(stderr.contains("strict-ssl=false"), "{stderr}");

    // HTTPS_PROXY: the request goes through the proxy (CONNECT to the registry).
    let proxy = format!("http://127.0.0.1:{}", s.proxy);
    let target = format!("127.0.0.1:{}", s.registry);
    let mut proxied = with_extra.clone();
    proxied.push(("HTTPS_PROXY", proxy.clone()));
    s.connects.lock().unwrap().clear();
    let (doc, _) = deps(project(&registry).path(), &proxied);
    assert!(reached(&doc), "HTTPS_PROXY: {:?}", doc["problems"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        s.connects
            .lock()
            .unwrap()
            .iter()
            .any(|c| c == &format!("CONNECT {target}")),
        "{:?}",
        s.connects.lock().unwrap()
    );
    // NO_PROXY exempts the registry host.
    proxied.push(("NO_PROXY", "127.0.0.1".into()));
    s.connects.lock().unwrap().clear();
    let (doc, _) = deps(project(&registry).path(), &proxied);
    assert!(reached(&doc));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        s.connects.lock().unwrap().is_empty(),
        "{:?}",
        s.connects.lock().unwrap()
    );
    // npm's https-proxy in .npmrc.
    s.connects.lock().unwrap().clear();
    let (doc, _) = deps(
        project(&format!("{registry}https-proxy={proxy}\n")).path(),
        &with_extra,
    );
    assert!(reached(&doc), "https-proxy: {:?}", doc["problems"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!s.connects.lock().unwrap().is_empty());
    // A proxy that is down: one clear line naming the proxy.
    let mut dead = with_extra.clone();
    dead.push(("HTTPS_PROXY", "http://127.0.0.1:9".into()));
    let (doc, _) = deps(project(&registry).path(), &dead);
    let lines = unreachable_lines(&doc);
    assert_eq!(lines.len(), 1, "{:?}", doc["problems"]);
    assert!(
        lines[0].contains("proxy http://127.0.0.1:9"),
        "{}",
        lines[0]
    );
}
