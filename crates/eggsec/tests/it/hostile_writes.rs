//! Writes that lose nothing (issue 19): the dependency ledger (`deps --record`) and
//! `logs redact --in-place` under kill -9 and under N runs at once, with the real binary.
//! Kills land at varied moments; every outcome is checked for what must always hold (the
//! files are either the old or the new whole state, never a mix; no temp file outlives the
//! next run; a change is recorded once), so no timing is asserted.

use crate::oracle_support::repo_root;
use assert_cmd::cargo::cargo_bin;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `eggsec` with a private cache and no registry from the environment.
fn eggsec(cache: &Path) -> Command {
    let mut c = Command::new(cargo_bin("eggsec"));
    c.env("EGGSEC_CACHE_DIR", cache)
        .env("HOME", cache)
        .env_remove("npm_config_registry")
        .env_remove("NPM_CONFIG_REGISTRY")
        .env_remove("NPM_CONFIG_USERCONFIG")
        .env_remove("npm_config_userconfig")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Waits for `child` (at most two minutes: a guard against hangs, not a timing assertion).
fn wait(mut child: Child) -> (i32, String) {
    for _ in 0..1200 {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            return (status.code().unwrap_or(-1), err);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("eggsec did not end within two minutes");
}

fn lock_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_root().join("tests/fixtures/deps-package-lock-v3");
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

const V280: &str = "\"version\": \"2.8.0\",\n      \"resolved\": \"https://registry.npmjs.org/egg-scripts/-/egg-scripts-2.8.0.tgz\"";
const V281: &str = "\"version\": \"2.8.1\",\n      \"resolved\": \"https://registry.npmjs.org/egg-scripts/-/egg-scripts-2.8.1.tgz\"";

fn set_egg_scripts(app: &Path, from: &str, to: &str) {
    let lock = app.join("package-lock.json");
    let text = std::fs::read_to_string(&lock).unwrap();
    if text.contains(from) {
        std::fs::write(&lock, text.replace(from, to)).unwrap();
    }
    assert!(std::fs::read_to_string(&lock).unwrap().contains(to));
}

fn record(cache: &Path, app: &Path) -> Child {
    eggsec(cache)
        .args(["deps", "--offline", "--record"])
        .arg(app)
        .spawn()
        .unwrap()
}

/// The ledger's version of egg-scripts (the ledger must always parse).
fn ledger_versions(app: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(app.join(".eggsec/versions.json")).unwrap();
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("versions.json is not whole ({e}): {text}"));
    v["packages"]["egg-scripts"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn history(app: &Path) -> Vec<String> {
    std::fs::read_to_string(app.join(".eggsec/history.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn temp_files(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// Eight `deps --record` runs at once over the same upgrade: the upgrade is recorded exactly
/// once, every run ends normally, and the ledger is whole.
#[test]
fn concurrent_ledger_records_write_one_change_once() {
    let cache = tempfile::tempdir().unwrap();
    let app = lock_app();
    let (code, err) = wait(record(cache.path(), app.path()));
    assert!(code == 0 || code == 1, "{err}");
    assert_eq!(history(app.path()).len(), 1);
    set_egg_scripts(app.path(), V280, V281);
    let runs: Vec<Child> = (0..8).map(|_| record(cache.path(), app.path())).collect();
    for child in runs {
        let (code, err) = wait(child);
        assert!(code == 0 || code == 1, "exit {code}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let lines = history(app.path());
    assert_eq!(lines.len(), 2, "the upgrade recorded once: {lines:#?}");
    let last: Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(last["changes"][0]["package"], "egg-scripts");
    assert_eq!(last["changes"][0]["to"], "2.8.1");
    assert_eq!(ledger_versions(app.path()), ["2.8.1"]);
    assert!(temp_files(&app.path().join(".eggsec"), ".versions.json.").is_empty());
}

/// `deps --record` killed with SIGKILL at varied moments while the lockfile flips between two
/// versions: after each kill the ledger is either the old or the new whole file, and a run to
/// the end afterwards records the current state, removes the killed runs' temp files and
/// never glues an entry onto a partial history line.
#[cfg(unix)]
#[test]
fn ledger_survives_kill_9() {
    let cache = tempfile::tempdir().unwrap();
    let app = lock_app();
    let (code, err) = wait(record(cache.path(), app.path()));
    assert!(code == 0 || code == 1, "{err}");
    for i in 0..24u64 {
        if i % 2 == 0 {
            set_egg_scripts(app.path(), V280, V281);
        } else {
            set_egg_scripts(app.path(), V281, V280);
        }
        let mut child = record(cache.path(), app.path());
        std::thread::sleep(Duration::from_millis((i * 7) % 60));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let versions = ledger_versions(app.path());
        assert!(
            versions == ["2.8.0"] || versions == ["2.8.1"],
            "kill {i}: {versions:?}"
        );
    }
    // A partial last line, as a kill in the middle of an append would leave.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(app.path().join(".eggsec/history.jsonl"))
            .unwrap();
        f.write_all(b"{\"at\":\"2026-").unwrap();
    }
    set_egg_scripts(app.path(), V280, V281);
    let before = ledger_versions(app.path());
    let (code, err) = wait(record(cache.path(), app.path()));
    assert!(code == 0 || code == 1, "{err}");
    assert_eq!(ledger_versions(app.path()), ["2.8.1"]);
    assert!(
        temp_files(&app.path().join(".eggsec"), ".versions.json.").is_empty(),
        "temp files of killed runs are removed"
    );
    let lines = history(app.path());
    let partial = lines
        .iter()
        .position(|l| l == "{\"at\":\"2026-")
        .expect("the partial line is kept as it is, on its own line");
    for (n, l) in lines.iter().enumerate() {
        if n != partial {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("history line {}: {e}: {l}", n + 1));
            assert!(v["changes"].is_array());
        }
    }
    if before == ["2.8.0"] {
        let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
        assert_eq!(last["changes"][0]["to"], "2.8.1", "{lines:#?}");
    }
    // The next run names the partial line by its number.
    let (_, err) = wait(record(cache.path(), app.path()));
    assert!(
        err.contains(&format!("history.jsonl:{}", partial + 1)),
        "{err}"
    );
}

/// A log large enough that redacting it takes a while in a debug build.
fn big_log(path: &Path) -> Vec<u8> {
    let mut s = String::with_capacity(24 << 20);
    let mut i = 0u64;
    while s.len() < (24 << 20) {
        s.push_str(&format!(
            "2026-11-28 10:00:{:02},{:03} INFO 4242 [-/127.0.0.1/-/3ms GET /login?n={i}] login password=Hunter2Secret{i} token=abcdef0123456789abcdef{i}\n",
            i % 60,
            i % 1000
        ));
        i += 1;
    }
    std::fs::write(path, &s).unwrap();
    s.into_bytes()
}

fn redact_in_place(cache: &Path, log: &Path) -> Child {
    eggsec(cache)
        .args(["logs", "redact", "--in-place"])
        .arg(log)
        .spawn()
        .unwrap()
}

/// `logs redact --in-place` killed with SIGKILL at varied moments leaves the log either
/// untouched or wholly redacted; the next run finishes the job and removes the temp files;
/// six runs at once end with the log redacted once, nothing lost, no temp file left.
#[cfg(unix)]
#[test]
fn redact_in_place_survives_kill_9_and_parallel_runs() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("shop-web.log");
    let original = big_log(&log);
    // What a run to the end writes (to another file).
    let expected_path = dir.path().join("expected.out");
    let out = eggsec(cache.path())
        .args(["logs", "redact"])
        .arg(&log)
        .arg("-o")
        .arg(&expected_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = std::fs::read(&expected_path).unwrap();
    std::fs::remove_file(&expected_path).unwrap();
    assert!(!String::from_utf8_lossy(&expected).contains("Hunter2Secret"));
    assert_eq!(
        String::from_utf8_lossy(&expected).lines().count(),
        String::from_utf8_lossy(&original).lines().count()
    );

    for i in 0..6u64 {
        std::fs::write(&log, &original).unwrap();
        let mut child = redact_in_place(cache.path(), &log);
        std::thread::sleep(Duration::from_millis(20 + i * 40));
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read(&log).unwrap();
        assert!(
            now == original || now == expected,
            "kill {i}: the log is neither the original nor the redacted one ({} bytes)",
            now.len()
        );
    }
    std::fs::write(&log, &original).unwrap();
    let (code, err) = wait(redact_in_place(cache.path(), &log));
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(&log).unwrap() == expected);
    assert!(
        temp_files(dir.path(), ".eggsec-redact-").is_empty(),
        "temp files of killed runs are removed"
    );

    std::fs::write(&log, &original).unwrap();
    let runs: Vec<Child> = (0..6)
        .map(|_| redact_in_place(cache.path(), &log))
        .collect();
    for child in runs {
        let (code, err) = wait(child);
        assert!(!err.contains("panicked"), "{err}");
        // a run that saw another replace the file refuses, naming it, and writes nothing
        assert!(
            code == 0 || (code == 2 && err.contains("nothing was replaced")),
            "exit {code}: {err}"
        );
    }
    assert!(
        std::fs::read(&log).unwrap() == expected,
        "redacted once, nothing lost"
    );
    assert!(temp_files(dir.path(), ".eggsec-redact-").is_empty());
}
