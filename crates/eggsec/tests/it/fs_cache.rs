//! The run's file-system cache (`eggsec_fs`) changes nothing but the number of system calls:
//! `audit`, `routes`, `plugins` and `config` over every fixture app and every real app of
//! `shared/corpus` (when it is beside the clone) print the same stdout and stderr and exit with
//! the same status with the cache on (the default) and off (`EGGSEC_FS_CACHE=0`), including on
//! a hostile tree (a FIFO named like a source file and a config file, a dangling symlink, a
//! directory where a file is expected).

use crate::oracle_support::repo_root;
use assert_cmd::Command;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

fn run(dir: &Path, args: &[&str], cache: bool) -> (Vec<u8>, Vec<u8>, Option<i32>) {
    let mut c = Command::cargo_bin("eggsec").unwrap();
    c.args(&args[..1]).arg(dir).args(&args[1..]);
    if !cache {
        c.env("EGGSEC_FS_CACHE", "0");
    }
    let out = c.output().unwrap();
    (out.stdout, out.stderr, out.status.code())
}

const COMMANDS: [&[&str]; 4] = [
    &[
        "audit",
        "--format",
        "json",
        "--allow-partial",
        "--exit-zero",
    ],
    &["routes", "--allow-partial"],
    &["plugins", "--allow-partial"],
    &["config", "--allow-partial"],
];

fn apps() -> Vec<PathBuf> {
    let root = repo_root();
    let mut apps: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    if let Some(corpus) = root
        .ancestors()
        .map(|a| a.join("shared/corpus"))
        .find(|d| d.join("apps.txt").is_file())
    {
        let list = std::fs::read_to_string(corpus.join("apps.txt")).unwrap();
        apps.extend(list.split_whitespace().map(|a| corpus.join(a)));
    }
    apps.sort();
    apps
}

#[cfg(unix)]
fn hostile_tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    for (f, text) in [
        (
            "package.json",
            r#"{"name":"hostile","dependencies":{"egg":"^3"}}"#,
        ),
        ("config/config.default.js", "exports.keys = 'k';"),
        (
            "app/router.js",
            "module.exports = app => { app.router.get('/', app.controller.home.index); };",
        ),
        (
            "app/controller/home.js",
            "module.exports = class { async index() { this.ctx.body = 'hi'; } };",
        ),
        ("app/service/config.prod.js/x.js", "module.exports = 1;"),
    ] {
        let p = root.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    for fifo in [
        "app/service/blocked.js",
        "config/config.prod.js",
        "config/plugin.js",
    ] {
        let ok = std::process::Command::new("mkfifo")
            .arg(root.join(fifo))
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mkfifo {fifo}");
    }
    std::os::unix::fs::symlink(
        root.join("nowhere.js"),
        root.join("app/service/dangling.js"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("config/config.local.js")).unwrap();
    d
}

#[test]
fn the_cache_changes_no_output() {
    let mut apps = apps();
    #[cfg(unix)]
    let hostile = hostile_tree();
    #[cfg(unix)]
    apps.push(hostile.path().to_path_buf());
    assert!(apps.len() > 50, "fixtures not found");
    let differ: Vec<String> = apps
        .par_iter()
        .flat_map(|app| {
            COMMANDS.par_iter().filter_map(move |cmd| {
                let on = run(app, cmd, true);
                let off = run(app, cmd, false);
                (on != off).then(|| {
                    format!(
                        "{} {}: with the cache:\n{}{}\nwithout:\n{}{}",
                        cmd[0],
                        app.display(),
                        String::from_utf8_lossy(&on.0),
                        String::from_utf8_lossy(&on.1),
                        String::from_utf8_lossy(&off.0),
                        String::from_utf8_lossy(&off.1)
                    )
                })
            })
        })
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}
