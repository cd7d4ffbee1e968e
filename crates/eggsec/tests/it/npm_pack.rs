//! The npm distribution: `npm/pack.sh OUT` writes the launcher and this platform's binary
//! package; `npm install --no-save OUT/*.tgz` in an Egg.js app gives a working `npx eggsec`.
//! Also: the GitHub workflows and the action pass actionlint.
//!
//! pack.sh builds the release binary. When target/release/eggsec is not there (CI does not
//! build it: an LTO build costs more than the rest of .ci/run on 2 cores), the test packs the
//! debug binary instead (EGGSEC_BINARY): what it checks is the packaging and the install.

use crate::oracle_support::repo_root;
use crate::ux::copy_dir;
use std::path::PathBuf;
use std::process::Command;

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn npm_tarballs_install_and_run_in_an_egg_app() {
    let root = repo_root();
    assert!(
        Command::new("npm").arg("--version").output().is_ok(),
        "npm (with Node.js) must be on PATH: the README's prerequisites"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("npm-out");
    let mut pack = Command::new("bash");
    pack.arg(root.join("npm/pack.sh")).arg(&out);
    let release = root.join("target/release/eggsec");
    if !release.exists() {
        let debug = PathBuf::from(env!("CARGO_BIN_EXE_eggsec"));
        eprintln!(
            "NOTE: no {}; packing the debug binary (the packaging is what is tested)",
            release.display()
        );
        pack.env("EGGSEC_BINARY", debug);
    }
    let (code, stdout, stderr) = run(&mut pack);
    assert_eq!(code, 0, "pack.sh failed:\n{stdout}\n{stderr}");
    let mut tarballs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    tarballs.sort();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(tarballs.len(), 2, "{tarballs:?}");
    assert!(
        tarballs.contains(&format!("eggsec-{version}.tgz")),
        "{tarballs:?}"
    );
    assert!(
        tarballs
            .iter()
            .any(|t| t.starts_with("eggsec-cli-") && t.ends_with(&format!("-{version}.tgz"))),
        "{tarballs:?}"
    );

    // A real Egg.js app (the example shop API). Its own dependencies are left out of the copy's
    // package.json so the test installs only eggsec (no download of egg itself).
    let app = tmp.path().join("shop-api");
    copy_dir(&root.join("examples/shop-api"), &app);
    let pkg_path = app.join("package.json");
    let mut pkg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&pkg_path).unwrap()).unwrap();
    pkg["dependencies"] = serde_json::json!({});
    pkg["devDependencies"] = serde_json::json!({});
    std::fs::write(&pkg_path, serde_json::to_string_pretty(&pkg).unwrap()).unwrap();

    let mut install = Command::new("npm");
    install
        .current_dir(&app)
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--fetch-retries=1",
        ])
        .args(tarballs.iter().map(|t| out.join(t)));
    let (code, stdout, stderr) = run(&mut install);
    assert_eq!(code, 0, "npm install failed:\n{stdout}\n{stderr}");

    let npx = |args: &[&str]| {
        run(Command::new("npx")
            .current_dir(&app)
            .arg("--no-install")
            .arg("eggsec")
            .args(args)
            .env_remove("EGGSEC_BINARY"))
    };
    let (code, stdout, stderr) = npx(&["--version"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(version), "{stdout}");
    // The launcher passes arguments, output and the exit code through.
    let (code, stdout, stderr) = npx(&["audit", "--embedded-defaults", "--format", "json"]);
    assert_eq!(code, 1, "the example app has high findings: {stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(!v["apps"][0]["findings"].as_array().unwrap().is_empty());
    let (code, _, stderr) = npx(&["audit", "--embedded-defaults", "--fail-on", "none", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = npx(&["audit", "--format", "yaml"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn workflows_and_the_action_pass_actionlint() {
    let root = repo_root();
    let bin = root.join("target/tools/actionlint");
    if !bin.exists() {
        crate::oracle_support::install_script_once("tests/tools/install.sh")
            .unwrap_or_else(|e| panic!("installing actionlint: {e}"));
    }
    assert!(
        bin.exists(),
        "{} is missing after tests/tools/install.sh",
        bin.display()
    );
    let workflows: Vec<PathBuf> = std::fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    assert!(workflows.len() >= 2, "{workflows:?}");
    // actionlint checks action.yml through the workflow that uses it (`uses: ./`).
    let (code, stdout, stderr) = run(Command::new(&bin).current_dir(&root).args(&workflows));
    assert_eq!(code, 0, "actionlint:\n{stdout}{stderr}");
    // A check that cannot fail is a bug: a broken workflow is reported.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yml");
    std::fs::write(&bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n").unwrap();
    let (code, _, _) = run(Command::new(&bin).arg(&bad));
    assert_ne!(code, 0);
}
