//! Every SARIF eggsec writes (audit, deps, probe, logs) passes Microsoft's SARIF multitool with
//! the SARIF and GitHub rule sets (`validate --rule-kind "Sarif;Gh"`): zero errors. The tool
//! comes from npm (tests/tools/install.sh, called by .ci/run, caches it in target/tools).

use crate::oracle_support::repo_root;
use assert_cmd::Command;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

fn eggsec() -> Command {
    Command::cargo_bin("eggsec").unwrap()
}

/// The multitool, installed on first use by tests/tools/install.sh (npm, cached in
/// target/tools); a failed install fails the test, never skips it.
pub fn multitool() -> PathBuf {
    // The native binary of the platform package (the npm `.bin` wrapper runs it through a
    // shell, which would split `Sarif;Gh`).
    let modules = repo_root().join("target/tools/npm/node_modules/@microsoft");
    let bin = modules.join(format!(
        "sarif-multitool-{}/Sarif.Multitool{}",
        std::env::consts::OS
            .replace("macos", "darwin")
            .replace("windows", "win32"),
        std::env::consts::EXE_SUFFIX
    ));
    if !bin.exists() {
        crate::oracle_support::install_script_once("tests/tools/install.sh")
            .unwrap_or_else(|e| panic!("installing the SARIF multitool: {e}"));
    }
    assert!(
        bin.exists(),
        "{} is missing after tests/tools/install.sh",
        bin.display()
    );
    bin
}

/// Runs the multitool's validation; returns its error results (`level: error`) as text.
fn validate(tool: &Path, sarif: &Path) -> Vec<String> {
    let out = sarif.with_extension("validation.sarif");
    let run = std::process::Command::new(tool)
        .arg("validate")
        .arg(sarif)
        .args(["--rule-kind", "Sarif;Gh", "--output"])
        .arg(&out)
        .args(["--log", "ForceOverwrite"])
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_else(|_| {
        panic!(
            "the multitool wrote no {}: {}{}",
            out.display(),
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        )
    });
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut errors = Vec::new();
    for r in v["runs"][0]["results"].as_array().into_iter().flatten() {
        if r["level"] == "error" {
            errors.push(format!("{}: {}", r["ruleId"], r["message"]));
        }
    }
    // Guard against a tool that checked nothing.
    assert!(
        v["runs"][0]["tool"]["driver"]["name"].is_string(),
        "multitool output: {text}"
    );
    errors
}

fn write_sarif(dir: &Path, name: &str, cmd: &mut Command, ok_codes: &[i32]) -> PathBuf {
    let path = dir.join(format!("{name}.sarif"));
    let out = cmd.arg("-o").arg(&path).output().unwrap();
    assert!(
        ok_codes.contains(&out.status.code().unwrap_or(-1)),
        "{name}: exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// An HTTP server on 127.0.0.1 answering every request like a stock egg app without security
/// headers (a session cookie without Secure; the same page on every path).
fn bare_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            s.set_read_timeout(Some(std::time::Duration::from_secs(2)))
                .ok();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            if req.starts_with("QUIT") {
                break;
            }
            let body = "<html><body>shop</body></html>";
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nSet-Cookie: EGG_SESS=abcdef; path=/; httponly\r\nX-Powered-By: Egg 3.17.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, handle)
}

#[test]
fn every_sarif_eggsec_writes_passes_the_multitool_github_rules() {
    let tool = multitool();
    let root = repo_root();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut files = vec![
        write_sarif(
            dir,
            "audit-shop",
            eggsec().current_dir(&root).args([
                "audit",
                "examples/shop-api",
                "--embedded-defaults",
                "--format",
                "sarif",
            ]),
            &[0, 1],
        ),
        // Several apps and envs in one run; flows (codeFlows), app-wide results.
        write_sarif(
            dir,
            "audit-many",
            eggsec().current_dir(&root).args([
                "audit",
                "tests/fixtures/code-vuln-js",
                "--env",
                "prod",
                "--env",
                "local",
                "--embedded-defaults",
                "--format",
                "sarif",
            ]),
            &[0, 1],
        ),
        write_sarif(
            dir,
            "audit-monorepo",
            eggsec().current_dir(&root).args([
                "audit",
                "tests/fixtures",
                "--embedded-defaults",
                // some fixtures are partial on purpose without their node_modules (egg 4.1
                // plugin factories, hostile shapes): the SARIF of a partial run must pass too
                "--allow-partial",
                "--format",
                "sarif",
            ]),
            &[0, 1],
        ),
        write_sarif(
            dir,
            "deps",
            eggsec().current_dir(&root).args([
                "deps",
                "tests/fixtures/deps-package-lock-v3",
                "--offline",
                "--format",
                "sarif",
            ]),
            &[0, 1],
        ),
        write_sarif(
            dir,
            "logs",
            eggsec().current_dir(&root).args([
                "logs",
                "scan",
                "tests/fixtures/logs",
                "--format",
                "sarif",
            ]),
            &[0, 1],
        ),
    ];
    let (port, server) = bare_server();
    files.push(write_sarif(
        dir,
        "probe",
        eggsec().current_dir(&root).args([
            "probe",
            &format!("http://127.0.0.1:{port}/"),
            "--app",
            "examples/shop-api",
            "--format",
            "sarif",
            "--budget",
            "30",
        ]),
        &[0, 1],
    ));
    if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
        let _ = s.write_all(b"QUIT");
    }
    let _ = server.join();

    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let runs = v["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1, "{}: one run per invocation", file.display());
        let results = runs[0]["results"].as_array().unwrap();
        assert!(
            !results.is_empty(),
            "{}: no results to check",
            file.display()
        );
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"];
            assert!(
                loc["artifactLocation"]["uri"].is_string() && loc["region"]["startLine"].is_u64(),
                "{}: a result without a physical location and region: {r}",
                file.display()
            );
            let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
            assert!(!uri.starts_with("http"), "{uri}");
        }
        let errors = validate(&tool, file);
        assert!(
            errors.is_empty(),
            "{}: the multitool reports {} error(s):\n{}",
            file.display(),
            errors.len(),
            errors.join("\n")
        );
    }

    // The shape GitHub shows well: repository-relative URIs, codeFlows, tags, precision.
    let audit: Value = serde_json::from_str(&std::fs::read_to_string(&files[1]).unwrap()).unwrap();
    let run = &audit["runs"][0];
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("file:///"));
    let results = run["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["codeFlows"].is_array()),
        "flows carry codeFlows"
    );
    assert!(results.iter().any(|r| r["properties"]["env"] == "local"));
    assert!(results.iter().any(|r| r["properties"]["env"] == "prod"));
    assert!(results.iter().all(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("tests/fixtures/code-vuln-js/")
    ));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let sql = rules.iter().find(|r| r["id"] == "MW001").unwrap();
    assert!(sql["helpUri"]
        .as_str()
        .unwrap()
        .ends_with("/sql-built-from-request.md"));
    assert!(sql["properties"]["tags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("external/cwe/cwe-89")));
    assert!(sql["properties"]["precision"].is_string());
    assert_eq!(run["automationDetails"]["id"], "eggsec/audit/");
}

#[test]
fn security_severity_follows_eggsec_toml_and_the_help_uri_base_is_configurable() {
    let root = repo_root();
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("shop");
    std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
    let status = std::process::Command::new("cp")
        .args(["-r"])
        .arg(root.join("examples/shop-api"))
        .arg(&app)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(
        app.join("eggsec.toml"),
        "[rules]\n\"secret-hard-coded-in-config\" = \"low\"\n[report]\nhelp-uri-base = \"https://docs.example.com/eggsec/\"\n",
    )
    .unwrap();
    let out = eggsec()
        .args([
            "audit",
            "--embedded-defaults",
            "--format",
            "sarif",
            "--fail-on",
            "none",
        ])
        .arg(&app)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let blt = rules.iter().find(|r| r["id"] == "BLT003").unwrap();
    assert_eq!(
        blt["properties"]["security-severity"], "3.0",
        "the effective (overridden) severity"
    );
    assert_eq!(
        blt["helpUri"],
        "https://docs.example.com/eggsec/secret-hard-coded-in-config.md"
    );
    // URIs relative to the repository root (the directory holding .git).
    let uri = v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("shop/"), "{uri}");
}
