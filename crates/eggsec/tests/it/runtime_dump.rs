//! `--runtime-dump`: egg's own run/application_config.json (+ _meta) read back into a model.
//! The dumps in tests/fixtures/runtime-dumps were written by real egg 2, 3 and 4 for fixture
//! apps; the model read from each must agree with eggsec's static model of the same app.

use crate::oracle_support::{oracle_dir, repo_root, stage};
use assert_cmd::Command;
use eggsec_app::{AppModel, LoadOptions};

fn static_model(fixture: &str, egg: &str) -> AppModel {
    let root = repo_root();
    let nm = oracle_dir(&root, egg)
        .unwrap_or_else(|e| panic!("{e}"))
        .join("node_modules");
    let staged = stage(&root.join("tests/fixtures").join(fixture), &nm).unwrap();
    let opts = LoadOptions {
        env: Some("prod".into()),
        ..Default::default()
    };
    let m = eggsec_app::load(&staged.root, &opts).unwrap();
    // The staged copy is removed on drop; the model owns what it needs.
    drop(staged);
    m
}

fn names(m: &AppModel) -> Vec<&str> {
    m.middleware.iter().map(|e| e.name.as_str()).collect()
}

#[test]
fn dumps_agree_with_the_static_model() {
    let root = repo_root();
    for (dir, fixture, egg) in [
        ("egg2", "security-headers", "egg2"),
        ("egg3", "plugins-local-path", "egg3"),
        ("egg4", "esm-egg4", "egg4"),
    ] {
        let dump =
            eggsec_app::read_runtime_dump(&root.join("tests/fixtures/runtime-dumps").join(dir))
                .unwrap_or_else(|e| panic!("{dir}: {e}"));
        let from_dump = eggsec_app::model_from_dump(&dump);
        let from_source = static_model(fixture, egg);
        assert_eq!(from_dump.env, "prod", "{dir}");
        assert_eq!(
            from_dump.plugin_order, from_source.plugin_order,
            "{dir}: plugin order"
        );
        assert_eq!(
            names(&from_dump),
            names(&from_source),
            "{dir}: middleware order"
        );
        for key in [
            "security.csrf.enable",
            "security.csrf.ignoreJSON",
            "security.csrf.type",
            "security.hsts.enable",
            "security.hsts.maxAge",
            "security.csp.enable",
            "security.xframe.value",
            "session.httpOnly",
            "session.maxAge",
            "bodyParser.jsonLimit",
            "proxy",
        ] {
            let a = from_dump.config_at(key).map(|v| v.to_tagged_json());
            let b = from_source.config_at(key).map(|v| v.to_tagged_json());
            assert_eq!(a, b, "{dir}: {key}");
        }
    }
}

#[test]
fn audit_runs_on_a_runtime_dump() {
    let dir = repo_root().join("tests/fixtures/runtime-dumps/research-prod-cluster");
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args([
            "audit",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--runtime-dump",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["apps"][0]["env"], "prod");
    // Masked values stay unknown: `keys` is written by egg as "<String len: N>", never reported as weak.
    let findings = j["apps"][0]["findings"].as_array().unwrap();
    assert!(
        !findings.iter().any(|f| f["name"] == "keys-weak"),
        "{findings:?}"
    );
}
