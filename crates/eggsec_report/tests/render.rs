//! Snapshot tests of every renderer on one fixed, hand-built report, and validation of the
//! SARIF output against the official SARIF 2.1.0 schema.

use eggsec_report::*;
use std::path::Path;

const PROD_CONFIG: &str = "\
'use strict';
module.exports = {
  security: {
    csrf: { enable: false },
\tcsp: { enable: true, policy: { 'script-src': \"'self' 'unsafe-inline'\" } },
  },
};
";

fn sources(path: &Path) -> Option<String> {
    (path == Path::new("examples/shop/config/config.prod.js")).then(|| PROD_CONFIG.to_string())
}

fn file(path: &str, line: u32, column: u32) -> Location {
    Location::File {
        path: path.into(),
        line,
        column,
    }
}

fn report() -> Report {
    let findings = vec![
        Finding::new(
            "BLT002",
            "hardcoded-secret-in-config",
            Strategy::Builtin,
            Severity::Critical,
            "A database password is hard-coded in config",
            file("config/config.default.js", 12, 7),
        )
        .with_evidence(vec!["sequelize.password = 'sk_l****abcd'".into()])
        .with_remediation(
            "Read it from the environment:\n\n```js\npassword: process.env.DB_PASSWORD,\n```",
        ),
        Finding::new(
            "CSRF001",
            "csrf-disabled",
            Strategy::Csrf,
            Severity::High,
            "CSRF protection is turned off in prod",
            file("config/config.prod.js", 4, 5),
        )
        .with_evidence(vec![
            "security.csrf.enable = false (config/config.prod.js:4:5)".into(),
        ])
        .with_remediation("Delete `csrf: { enable: false }` so egg-security's default applies."),
        Finding::new(
            "HDR002",
            "csp-unsafe-inline",
            Strategy::Headers,
            Severity::Medium,
            "CSP allows 'unsafe-inline' scripts without a nonce | hash",
            file("config/config.prod.js", 5, 37),
        )
        .with_confidence(Confidence::Medium)
        .with_evidence(vec![
            "security.csp.policy['script-src'] = \"'self' 'unsafe-inline'\"".into(),
        ]),
        Finding::new(
            "HDR010",
            "permissions-policy-missing",
            Strategy::Headers,
            Severity::Low,
            "No Permissions-Policy header is set anywhere",
            Location::App {
                root: "examples/shop".into(),
            },
        )
        .with_remediation("Add a middleware that sets `Permissions-Policy`."),
        Finding::new(
            "LOG001",
            "secret-in-log",
            Strategy::Logging,
            Severity::Info,
            "A token was written to a log",
            Location::Log {
                path: "logs/shop/shop-web.log".into(),
                line: 42,
            },
        ),
        Finding::new(
            "PRB001",
            "error-page-leaks-stack",
            Strategy::Errors,
            Severity::Medium,
            "The 500 page shows a stack trace",
            Location::Url {
                url: "https://staging.example/api/boom".into(),
            },
        ),
    ];
    let posture = vec![
        Posture::not_assessed(Strategy::Updates),
        Posture::not_assessed(Strategy::Plugins),
        Posture::not_assessed(Strategy::Middleware),
        Posture {
            strategy: Strategy::Builtin,
            status: PostureStatus::Missing,
            score: 35,
            evidence: vec!["Session cookie is httpOnly".into()],
            missing: vec!["A database password is hard-coded in config".into()],
        },
        Posture {
            strategy: Strategy::Csrf,
            status: PostureStatus::Partial,
            score: 62,
            evidence: vec!["CSRF token type is ctoken".into()],
            missing: vec!["CSRF protection is turned off in prod".into()],
        },
        Posture {
            strategy: Strategy::Headers,
            status: PostureStatus::Partial,
            score: 71,
            evidence: vec![
                "X-Frame-Options set to SAMEORIGIN".into(),
                "HSTS enabled".into(),
            ],
            missing: vec![
                "CSP allows 'unsafe-inline' scripts without a nonce | hash".into(),
                "No Permissions-Policy header is set anywhere".into(),
            ],
        },
        Posture {
            strategy: Strategy::Errors,
            status: PostureStatus::Implemented,
            score: 100,
            evidence: vec!["egg-onerror enabled with default production pages".into()],
            missing: vec![],
        },
        Posture {
            strategy: Strategy::Logging,
            status: PostureStatus::Implemented,
            score: 95,
            evidence: vec![],
            missing: vec!["A token was written to a log".into()],
        },
    ];
    Report {
        apps: vec![AppReport {
            root: "examples/shop".into(),
            env: "prod".into(),
            findings,
            posture,
            diagnostics: vec!["config/config.local.js:3: parse error: unexpected token".into()],
        }],
    }
}

fn descriptors() -> Vec<RuleDescriptor> {
    vec![RuleDescriptor {
        code: "CSRF001".into(),
        name: "csrf-disabled".into(),
        strategy: Strategy::Csrf,
        default_severity: Severity::High,
        short_description: "CSRF protection is turned off.".into(),
        full_description:
            "Finds `security.csrf.enable = false`. Without it any site can post as the user.".into(),
        help_markdown: "## csrf-disabled\n\nKeep egg-security's CSRF check on.".into(),
        confidence: Confidence::High,
        tags: vec![
            "security".into(),
            "csrf".into(),
            "external/cwe/cwe-352".into(),
        ],
    }]
}

#[test]
fn text_plain_with_code_frames() {
    let options = TextOptions {
        color: false,
        code_frames: Some(&sources),
        ..Default::default()
    };
    insta::assert_snapshot!(render_text(&report(), &options));
}

#[test]
fn text_colour_only_adds_ansi_codes() {
    let plain = render_text(
        &report(),
        &TextOptions {
            color: false,
            code_frames: Some(&sources),
            ..Default::default()
        },
    );
    let colour = render_text(
        &report(),
        &TextOptions {
            color: true,
            code_frames: Some(&sources),
            ..Default::default()
        },
    );
    assert!(colour.contains("\u{1b}["));
    let stripped = strip_ansi(&colour);
    assert_eq!(stripped, plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn json_contract() {
    let json = render_json(&report());
    insta::assert_snapshot!(json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let app = &v["apps"][0];
    for key in ["root", "env", "findings", "posture"] {
        assert!(app.get(key).is_some(), "app.{key}");
    }
    for f in app["findings"].as_array().unwrap() {
        for key in [
            "rule",
            "name",
            "strategy",
            "severity",
            "confidence",
            "message",
            "file",
            "line",
            "column",
            "fingerprint",
            "remediation",
        ] {
            assert!(f.get(key).is_some(), "finding.{key} in {f}");
        }
    }
    for p in app["posture"].as_array().unwrap() {
        for key in ["strategy", "status", "score", "evidence", "missing"] {
            assert!(p.get(key).is_some(), "posture.{key}");
        }
    }
    let fingerprints = fingerprints_from_json(&v);
    assert_eq!(fingerprints.len(), 6);
    assert_eq!(fingerprints[1], report().apps[0].findings[1].fingerprint);
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(render_sarif(&report(), &descriptors()));
}

fn assert_valid_sarif(sarif: &str) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let instance: serde_json::Value = serde_json::from_str(sarif).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not match the 2.1.0 schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    assert_valid_sarif(&render_sarif(&report(), &descriptors()));
    // An absolute root, and an empty report.
    let mut absolute = report();
    absolute.apps[0].root = "/srv/my shop".into();
    let sarif = render_sarif(&absolute, &[]);
    assert!(sarif.contains("file:///srv/my%20shop/"));
    assert_valid_sarif(&sarif);
    assert_valid_sarif(&render_sarif(&Report::default(), &[]));
}

#[test]
fn sarif_schema_rejects_broken_logs() {
    // Guards against a validator that accepts anything.
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(!validator.is_valid(&broken));
}

#[test]
fn markdown_posture_document() {
    insta::assert_snapshot!(render_markdown(&report()));
}
