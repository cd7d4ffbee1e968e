//! The registry's invariants, the freshness of `docs/rules`, and the engine end to end on
//! hand-built app models. (One integration test binary for the crate.)

use eggsec_app::{Diagnostic, DiagnosticLevel};
use eggsec_report::{render_json, PostureStatus, Report, Severity, Strategy};
use eggsec_rules::baseline::Baseline;
use eggsec_rules::config::Settings;
use eggsec_rules::testing::{test_model, test_model_in};
use eggsec_rules::{docs, engine, find_rule, RULES};
use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- registry

#[test]
fn codes_and_names_are_unique() {
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    for rule in RULES {
        let m = rule.meta();
        assert!(
            codes.insert(m.code.to_ascii_uppercase()),
            "duplicate code {}",
            m.code
        );
        assert!(names.insert(m.name), "duplicate name {}", m.name);
    }
}

#[test]
fn codes_and_names_are_well_formed() {
    for rule in RULES {
        let m = rule.meta();
        let (letters, digits) = m.code.split_at(
            m.code
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(m.code.len()),
        );
        assert!(
            !letters.is_empty()
                && letters.chars().all(|c| c.is_ascii_uppercase())
                && digits.len() == 3
                && digits.chars().all(|c| c.is_ascii_digit()),
            "code {} is not LETTERS + 3 digits",
            m.code
        );
        assert!(
            !m.name.is_empty()
                && m.name.split('-').all(|part| !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "name {} is not kebab-case",
            m.name
        );
        assert!(
            !m.name.starts_with("no-"),
            "name {} starts with no- (say what is wrong)",
            m.name
        );
        assert!(!m.control.trim().is_empty(), "{} has no control", m.name);
    }
}

#[test]
fn every_rule_has_complete_docs() {
    for rule in RULES {
        let m = rule.meta();
        for (section, text) in [
            ("what", m.docs.what),
            ("why", m.docs.why),
            ("bad", m.docs.bad),
            ("good", m.docs.good),
            ("fix", m.docs.fix),
        ] {
            assert!(
                !text.trim().is_empty(),
                "{}: docs section `{section}` is empty",
                m.name
            );
        }
        assert_ne!(
            m.docs.bad.trim(),
            m.docs.good.trim(),
            "{}: bad and good examples are the same",
            m.name
        );
    }
}

#[test]
fn every_rule_file_is_registered() {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut files = Vec::new();
    collect_rs(&rules_dir, &mut files);
    assert!(!files.is_empty());
    for file in &files {
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let strategy = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let rule = RULES
            .iter()
            .find(|r| r.meta().name.replace('-', "_") == stem);
        let rule = rule.unwrap_or_else(|| {
            panic!(
                "{} is not in registry::RULES (or its rule's name is not `{}`)",
                file.display(),
                stem.replace('_', "-")
            )
        });
        assert_eq!(
            rule.meta().strategy.as_str(),
            strategy,
            "{} is under rules/{strategy}/ but its strategy is {}",
            file.display(),
            rule.meta().strategy
        );
    }
    assert_eq!(
        files.len(),
        RULES.len(),
        "RULES lists a rule with no file of its own name"
    );
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().unwrap() != "mod.rs"
        {
            out.push(path);
        }
    }
}

#[test]
fn find_rule_accepts_code_or_name() {
    assert_eq!(find_rule("CSRF001").unwrap().meta().name, "csrf-disabled");
    assert_eq!(find_rule("csrf001").unwrap().meta().name, "csrf-disabled");
    assert_eq!(find_rule("csrf-disabled").unwrap().meta().code, "CSRF001");
    assert!(find_rule("nope").is_none());
}

// ---------------------------------------------------------------- docs

#[test]
fn docs_rules_is_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        docs::write_all(&dir).unwrap();
    }
    let regenerate = "regenerate with `cargo run -p eggsec -- rules --write-docs docs/rules` \
                      or `UPDATE_DOCS=1 cargo test -p eggsec_rules`";
    let files = docs::generated_files();
    for (name, expected) in &files {
        let actual = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            actual == *expected,
            "docs/rules/{name} is stale or missing: {regenerate}"
        );
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            !name.ends_with(".md") || files.iter().any(|(n, _)| *n == name),
            "docs/rules/{name} documents no rule: {regenerate}"
        );
    }
}

#[test]
fn write_all_removes_only_stale_generated_files() {
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("old-rule.md");
    std::fs::write(
        &stale,
        format!("{}\n\n# old-rule\n", docs::GENERATED_MARKER),
    )
    .unwrap();
    let mine = dir.path().join("notes.md");
    std::fs::write(&mine, "# my notes\n").unwrap();
    docs::write_all(dir.path()).unwrap();
    assert!(!stale.exists());
    assert!(mine.exists());
    assert!(dir.path().join("csrf-disabled.md").exists());
    assert!(dir.path().join("README.md").exists());
}

#[test]
fn descriptors_cover_every_rule() {
    let d = docs::descriptors();
    assert_eq!(d.len(), RULES.len());
    assert!(d
        .iter()
        .all(|d| !d.short_description.is_empty() && d.help_markdown.contains("## How to fix")));
}

// ---------------------------------------------------------------- engine

fn csrf_off() -> serde_json::Value {
    json!({"security": {"csrf": {"enable": {"$at": "config/config.prod.js:3:21", "$value": false}}}})
}

#[test]
fn runs_rules_computes_posture_and_reports_relative_paths() {
    let report = engine::run(&test_model(csrf_off()), &Settings::default());
    assert_eq!(report.root, "/app");
    assert_eq!(report.env, "prod");
    assert_eq!(report.findings.len(), 1);
    let f = &report.findings[0];
    assert_eq!((f.rule.as_str(), f.severity), ("CSRF001", Severity::High));
    assert_eq!(f.location.path(), Some("config/config.prod.js"));
    assert_eq!(f.fingerprint, f.compute_fingerprint());

    assert_eq!(report.posture.len(), 8);
    let csrf = report
        .posture
        .iter()
        .find(|p| p.strategy == Strategy::Csrf)
        .unwrap();
    assert_eq!((csrf.status, csrf.score), (PostureStatus::Missing, 0));
    assert_eq!(csrf.missing, ["CSRF protection is turned off in prod"]);
    let updates = report
        .posture
        .iter()
        .find(|p| p.strategy == Strategy::Updates)
        .unwrap();
    assert_eq!(updates.status, PostureStatus::NotAssessed);

    let clean = engine::run(&test_model(json!({})), &Settings::default());
    assert!(clean.findings.is_empty());
    let csrf = clean
        .posture
        .iter()
        .find(|p| p.strategy == Strategy::Csrf)
        .unwrap();
    assert_eq!((csrf.status, csrf.score), (PostureStatus::Implemented, 100));
    assert!(
        csrf.evidence
            .contains(&"CSRF check enabled in prod".to_string()),
        "{:?}",
        csrf.evidence
    );
}

#[test]
fn severity_overrides_and_off() {
    let app = test_model(csrf_off());
    let low = engine::run(
        &app,
        &Settings::parse("[rules]\nCSRF001 = \"low\"\n", "eggsec.toml"),
    );
    assert_eq!(low.findings[0].severity, Severity::Low);
    let off = engine::run(
        &app,
        &Settings::parse("[rules]\n\"csrf-disabled\" = \"off\"\n", "eggsec.toml"),
    );
    assert!(off.findings.is_empty());
    let csrf = off
        .posture
        .iter()
        .find(|p| p.strategy == Strategy::Csrf)
        .unwrap();
    assert_eq!(csrf.status, PostureStatus::NotAssessed);
    let unknown = engine::run(
        &app,
        &Settings::parse("[rules]\n\"csrf-typo\" = \"off\"\n", "eggsec.toml"),
    );
    assert!(
        unknown.diagnostics.iter().any(|d| d.contains("csrf-typo")),
        "{:?}",
        unknown.diagnostics
    );
}

#[test]
fn ignored_paths_drop_findings() {
    let app = test_model(csrf_off());
    let report = engine::run(
        &app,
        &Settings::parse("ignore = [\"config/config.prod.js\"]\n", "eggsec.toml"),
    );
    assert!(report.findings.is_empty());
    let report = engine::run(
        &app,
        &Settings::parse("ignore = [\"app/**\"]\n", "eggsec.toml"),
    );
    assert_eq!(report.findings.len(), 1);
}

#[test]
fn bad_eggsec_toml_is_a_diagnostic_for_library_callers() {
    // The CLI refuses it (exit 2, see the CLI tests); `Settings::load` reports it and goes on.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("eggsec.toml"), "[rules\nx = 1").unwrap();
    let settings = Settings::load(dir.path());
    let report = engine::run(&test_model(csrf_off()), &settings);
    assert_eq!(report.findings.len(), 1);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.starts_with("eggsec.toml:1: invalid TOML")),
        "{:?}",
        report.diagnostics
    );
    assert!(Settings::load(&dir.path().join("missing"))
        .diagnostics
        .is_empty());
}

#[test]
fn inline_suppressions_need_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let app = test_model_in(dir.path(), csrf_off());

    std::fs::write(
        config.join("config.prod.js"),
        "module.exports = {\n  security: {\n    csrf: { enable: false }, // eggsec-ignore csrf-disabled: internal tool, VPN only\n  },\n};\n",
    )
    .unwrap();
    let report = engine::run(&app, &Settings::default());
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);

    std::fs::write(
        config.join("config.prod.js"),
        "module.exports = {\n  security: {\n    // eggsec-ignore CSRF001\n    csrf: { enable: false },\n  },\n};\n",
    )
    .unwrap();
    let app = test_model_in(
        dir.path(),
        json!({"security": {"csrf": {"enable": {"$at": "config/config.prod.js:4:21", "$value": false}}}}),
    );
    let report = engine::run(&app, &Settings::default());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(
        report.diagnostics,
        ["config/config.prod.js:3: `eggsec-ignore` for csrf-disabled has no reason, so it does not suppress; \
          write `// eggsec-ignore csrf-disabled: <why this is safe>`"]
    );
}

#[test]
fn baseline_drops_known_findings() {
    let app = test_model(csrf_off());
    let first = engine::run(&app, &Settings::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("baseline.json");
    std::fs::write(
        &file,
        render_json(&Report {
            apps: vec![first.clone()],
        }),
    )
    .unwrap();
    let mut settings = Settings::default();
    settings.baseline = Some(Baseline::load(&file).unwrap());
    let second = engine::run(&app, &settings);
    assert!(second.findings.is_empty());
    // The posture still reflects the app, not only what is new.
    assert_eq!(second.posture, first.posture);
}

#[test]
fn fingerprint_survives_unrelated_edits() {
    let moved = json!({"security": {"csrf": {"enable": {"$at": "config/config.prod.js:30:9", "$value": false}}}});
    let a = engine::run(&test_model(csrf_off()), &Settings::default());
    let b = engine::run(&test_model(moved), &Settings::default());
    assert_eq!(a.findings[0].fingerprint, b.findings[0].fingerprint);
}

#[test]
fn model_diagnostics_are_carried_with_relative_paths() {
    let mut app = test_model(json!({}));
    app.diagnostics.push(Diagnostic {
        level: DiagnosticLevel::Warning,
        file: Some(PathBuf::from("/app/config/config.local.js")),
        line: 3,
        message: "unexpected token".into(),
    });
    let report = engine::run(&app, &Settings::default());
    assert_eq!(
        report.diagnostics,
        ["warning: config/config.local.js:3: unexpected token"]
    );
}

#[test]
fn synthetic_provenance_points_at_the_app_default_config() {
    let app = test_model(
        json!({"security": {"csrf": {"$at": "<embedded egg@3 egg-security/config/config.default.js>", "$value": false}}}),
    );
    let report = engine::run(&app, &Settings::default());
    assert_eq!(
        report.findings[0].location.to_string(),
        "config/config.default.js"
    );
}
