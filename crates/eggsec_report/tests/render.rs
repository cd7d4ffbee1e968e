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
    // `%SRCROOT%` is the repository the test runs in (a worktree, a CI clone): not part of
    // the snapshot. Every other byte is.
    let sarif = render_sarif(&report(), &descriptors());
    let srcroot = regex::Regex::new(r#""uri": "file://[^"]*""#).unwrap();
    assert_eq!(
        srcroot.find_iter(&sarif).count(),
        1,
        "one file:// URI, the %SRCROOT%"
    );
    insta::assert_snapshot!(srcroot.replace(&sarif, r#""uri": "file:///[SRCROOT]/""#));
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

/// Every section of the HTML page filled in, with a fixed time (for the snapshot).
fn html_document(report: &Report) -> HtmlDocument {
    use eggsec_report::history::AuditRecord;
    use eggsec_report::render::html::*;
    let current = AuditRecord::from_app(&report.apps[0], "2026-12-03T10:00:00Z", None, "0.0.0");
    let mut previous = current.clone();
    previous.at = "2026-12-01T10:00:00Z".into();
    previous.commit = Some("0123456789abcdef0123456789abcdef01234567".into());
    previous.findings.remove(1); // CSRF001 is new since
    previous
        .findings
        .push(eggsec_report::history::RecordedFinding {
            fingerprint: "00000000000000ff".into(),
            rule: "HDR001".into(),
            name: "hsts-disabled".into(),
            severity: Severity::High,
            strategy: Strategy::Headers,
            location: "config/config.prod.js:9:5".into(),
        });
    previous.strategies.get_mut(&Strategy::Csrf).unwrap().score = Some(80);
    HtmlDocument {
        title: "Egg.js security posture".into(),
        command: "eggsec audit examples/shop --format html".into(),
        generated_at: "2026-12-03T10:00:00Z".into(),
        version: "0.0.0".into(),
        apps: vec![AppExtras {
            plugins: vec![PluginRow {
                name: "mysql".into(),
                enabled: "yes".into(),
                source: "egg-mysql".into(),
                version: "3.0.0".into(),
                used: "NO".into(),
                evidence: "nothing uses it (searched: app.mysql)".into(),
                reason: None,
                decided_by: "config/plugin.js:3".into(),
            }],
            history: Some(HistoryView {
                file: "examples/shop/.eggsec/audit-history.jsonl".into(),
                previous: vec![previous],
                current,
                recorded: true,
            }),
        }],
        config: vec![ConfigTable {
            root: "examples/shop".into(),
            envs: vec!["prod".into(), "local".into()],
            defaults: "node_modules".into(),
            rows: vec![
                ConfigRow {
                    key: "security.csrf.enable".into(),
                    cells: vec![
                        Some(("false".into(), "config/config.prod.js:4:13".into())),
                        Some(("true".into(), "<egg-security config.default>".into())),
                    ],
                },
                ConfigRow {
                    key: "keys".into(),
                    cells: vec![
                        Some((
                            "\"sh****12\" (secret, masked)".into(),
                            "config/config.default.js:7:17".into(),
                        )),
                        None,
                    ],
                },
            ],
        }],
        dependencies: Some(DependencySection {
            lockfile: "package-lock.json".into(),
            database: "embedded".into(),
            packages: 2,
            egg_packages: vec![(
                "egg-multipart".into(),
                "2.4.0".into(),
                "plugin".into(),
                "package-lock.json:20".into(),
            )],
            advisories: vec![AdvisoryRow {
                id: "GHSA-wm7h-9275-46v2".into(),
                severity: Some(Severity::High),
                package: "dicer".into(),
                version: "0.3.0".into(),
                summary: "Crash in HeaderParser".into(),
                fixed: None,
                dev: false,
                egg_packages: vec!["egg-multipart".into()],
                paths: vec!["egg > egg-multipart > co-busboy > dicer".into()],
                location: "package-lock.json:40".into(),
                upgrades: vec![],
            }],
            outdated: vec![],
            problems: vec![],
        }),
        probe: Some(ProbeSection {
            target: "https://staging.example/".into(),
            algorithm_version: 4,
            score: 45,
            grade: "D+".into(),
            tests: vec![ObservatoryTest {
                name: "strict-transport-security".into(),
                pass: false,
                result: "hsts-not-implemented".into(),
                modifier: -20,
            }],
            requests: 12,
            budget: 200,
            elapsed_ms: 340,
            notes: vec![],
            errors: vec![],
        }),
        logs: Some(LogsSection {
            files: vec![(
                "logs/shop/shop-web.log".into(),
                "egg-text".into(),
                1000,
                123_456,
            )],
            total_lines: 1000,
            total_bytes: 123_456,
            families: vec![("secrets".into(), 1)],
            detectors: vec![("jwt".into(), 3)],
            top_ips: vec![("203.0.113.9".into(), 420)],
            errors: vec![],
        }),
    }
}

fn fix_command(_: &AppReport, f: &Finding) -> Option<String> {
    (f.rule == "CSRF001").then(|| "eggsec fix --rule CSRF001 examples/shop".to_string())
}

/// The page with the inline CSS and JS (and their CSP hashes) left out: they are not content.
fn html_body(html: &str) -> String {
    let cut = |s: &str, open: &str, close: &str| -> String {
        let a = s.find(open).expect(open) + open.len();
        let b = a + s[a..].find(close).expect(close);
        format!("{}…{}", &s[..a], &s[b..])
    };
    let page = cut(html, "<style>", "</style>");
    let page = cut(&page, "<script>", "</script>");
    let page = cut(&page, "style-src '", "'");
    cut(&page, "script-src '", "'")
}

fn html_page() -> String {
    let report = report();
    let options = HtmlOptions {
        code_frames: Some(&sources),
        fix_command: Some(&fix_command),
    };
    render_html(&report, &html_document(&report), &options)
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(html_body(&html_page()).replace("><", ">\n<"));
}

#[test]
fn html_is_self_contained_and_its_csp_allows_only_its_own_style_and_script() {
    use sha2::{Digest, Sha256};
    let page = html_page();
    for bad in [
        "<link rel=\"stylesheet\"",
        " src=",
        "@import",
        "url(",
        "href=\"http",
        "<iframe",
        "<img",
    ] {
        assert!(!page.contains(bad), "the page contains {bad}");
    }
    // The only <link> is the empty data: icon (so the browser asks for no favicon).
    assert_eq!(page.matches("<link").count(), 1);
    assert!(page.contains("<link rel=\"icon\" href=\"data:,\">"));
    // The CSP hashes are those of the inline style and script.
    let inner = |open: &str, close: &str| {
        let a = page.find(open).unwrap() + open.len();
        page[a..a + page[a..].find(close).unwrap()].to_string()
    };
    // Decodes standard base64 (independently of the renderer's encoder).
    let decode = |b64: &str| -> Vec<u8> {
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bits = 0u32;
        let mut n = 0;
        let mut out = Vec::new();
        for c in b64.chars().take_while(|c| *c != '=') {
            bits = (bits << 6) | ALPHABET.find(c).expect("base64 digit") as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
            }
        }
        out
    };
    let csp = inner("Content-Security-Policy\" content=\"", "\"");
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    let css_hash = decode(&inner("style-src 'sha256-", "'"));
    let js_hash = decode(&inner("script-src 'sha256-", "'"));
    assert_eq!(
        css_hash,
        Sha256::digest(inner("<style>", "</style>").as_bytes()).to_vec()
    );
    assert_eq!(
        js_hash,
        Sha256::digest(inner("<script>", "</script>").as_bytes()).to_vec()
    );
    // The page names its hashes for its own content: rendering changed CSS would change them.
    let again = html_page();
    assert_eq!(page, again, "rendering is deterministic");
}

#[test]
fn html_escapes_everything_and_masks_code_frames() {
    let mut report = report();
    report.apps[0].root = "examples/shop".into();
    report.apps[0].findings[0].message = "<script>alert(1)</script> \u{1b}[31m".into();
    report.apps[0].findings[0].evidence = vec!["\"><img src=x onerror=alert(1)>".into()];
    let html = render_html(
        &report,
        &HtmlDocument::default(),
        &HtmlOptions {
            code_frames: Some(&|p: &Path| {
                (p == Path::new("examples/shop/config/config.default.js")).then(|| {
                    "module.exports = {\n  sequelize: {\n    password: 'hunter2-hunter2-hunter2',\n  },\n};\n"
                        .repeat(3)
                })
            }),
            fix_command: None,
        },
    );
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains('\u{1b}'));
    assert!(html.contains("\\u{1b}[31m"));
    assert!(
        !html.contains("hunter2-hunter2"),
        "a secret in a code frame"
    );
    // 23 characters: two kept (eggsec_report::mask::mask), and the length.
    assert!(html.contains("hu****(23 chars)"));
}

#[test]
fn html_without_posture_has_no_chart() {
    let mut report = report();
    report.apps[0].posture.clear();
    let html = render_html(&report, &HtmlDocument::default(), &HtmlOptions::default());
    assert!(!html.contains("<figure class=\"chart\""));
    assert!(html.contains("table class=\"findings-table\""));
}
