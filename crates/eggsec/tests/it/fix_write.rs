//! `eggsec fix --write` loses nothing: concurrent runs never apply an edit twice or overwrite
//! each other, a kill -9 at any moment leaves every file either as it was or fully fixed (and
//! the next run cleans the temporary files and finishes the job), CRLF files stay CRLF.

use crate::oracle_support::repo_root;
use assert_cmd::cargo::CommandCargoExt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn fresh_app(tmp: &Path, name: &str) -> PathBuf {
    let app = tmp.join(name);
    copy_tree(&repo_root().join("tests/fixtures/fix-weak-egg3"), &app);
    app
}

fn fix_cmd(app: &Path) -> Command {
    let mut c = Command::cargo_bin("eggsec").unwrap();
    c.args(["fix", "--env", "prod", "--embedded-defaults", "--write"])
        .arg(app)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Every file of the app (relative path → text), temporary files included.
fn snapshot(app: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![app.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(app).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn concurrent_runs_apply_each_edit_once() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = fresh_app(tmp.path(), "reference");
    assert!(fix_cmd(&reference).status().unwrap().success());
    let fixed = snapshot(&reference);
    let app = fresh_app(tmp.path(), "app");
    let children: Vec<_> = (0..6).map(|_| fix_cmd(&app).spawn().unwrap()).collect();
    let codes: Vec<i32> = children
        .into_iter()
        .map(|mut c| c.wait().unwrap().code().unwrap_or(-1))
        .collect();
    assert!(codes.iter().all(|c| *c == 0 || *c == 2), "{codes:?}");
    // Whatever interleaving happened, one more run finishes the job and the result is exactly
    // the single-run result: no edit applied twice, no line lost, no temporary file left.
    let _ = fix_cmd(&app).status().unwrap();
    assert_eq!(snapshot(&app), fixed);
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args(["fix", "--env", "prod", "--embedded-defaults"])
        .arg(&app)
        .output()
        .unwrap();
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn kill_9_leaves_old_or_new_files_and_the_next_run_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = fresh_app(tmp.path(), "reference");
    let original = snapshot(&reference);
    assert!(fix_cmd(&reference).status().unwrap().success());
    let fixed = snapshot(&reference);
    for i in 0..12u64 {
        let app = fresh_app(tmp.path(), &format!("app{i}"));
        let mut child = fix_cmd(&app).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(5 + i * 9));
        let _ = child.kill(); // SIGKILL on unix
        let _ = child.wait();
        for (path, text) in snapshot(&app) {
            if path.contains(".eggsec-") {
                continue; // a temporary file of the killed run
            }
            let was = original.get(&path);
            let now = fixed.get(&path);
            assert!(
                was == Some(&text) || now == Some(&text),
                "run {i}: {path} is neither the original nor the fixed file:\n{text}"
            );
        }
        let _ = fix_cmd(&app).status().unwrap();
        assert_eq!(
            snapshot(&app),
            fixed,
            "run {i}: the next run did not finish the job"
        );
    }
}

#[test]
fn crlf_files_stay_crlf_and_a_file_saved_meanwhile_is_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let app = fresh_app(tmp.path(), "app");
    let prod = app.join("config/config.prod.js");
    let crlf = std::fs::read_to_string(&prod)
        .unwrap()
        .replace('\n', "\r\n");
    std::fs::write(&prod, &crlf).unwrap();
    assert!(fix_cmd(&app).status().unwrap().success());
    let text = std::fs::read_to_string(&prod).unwrap();
    assert_ne!(text, crlf);
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "{text:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Mode and the symlink are kept.
        let app = fresh_app(tmp.path(), "linked");
        let real = tmp.path().join("shared-config.default.js");
        std::fs::rename(app.join("config/config.default.js"), &real).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink(&real, app.join("config/config.default.js")).unwrap();
        assert!(fix_cmd(&app).status().unwrap().success());
        let link = std::fs::symlink_metadata(app.join("config/config.default.js")).unwrap();
        assert!(link.file_type().is_symlink());
        assert!(std::fs::read_to_string(&real)
            .unwrap()
            .contains("httpOnly: true"));
        assert_eq!(
            std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
}
