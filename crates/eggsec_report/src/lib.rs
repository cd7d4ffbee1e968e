//! `eggsec_report` — the `Finding` every eggsec capability reports through, the eight-strategy
//! posture report, the renderers (text, json, sarif, markdown, html) and the audit history.
//!
//! ```
//! use eggsec_report::*;
//! let finding = Finding::new(
//!     "CSRF001",
//!     "csrf-disabled",
//!     Strategy::Csrf,
//!     Severity::High,
//!     "CSRF protection is turned off",
//!     Location::File { path: "config/config.prod.js".into(), line: 3, column: 5 },
//! )
//! .with_evidence(vec!["security.csrf.enable = false".into()])
//! .with_remediation("Remove `security.csrf.enable = false`.");
//! let report = Report {
//!     apps: vec![AppReport {
//!         root: ".".into(),
//!         env: "prod".into(),
//!         findings: vec![finding],
//!         posture: Strategy::ALL.into_iter().map(Posture::not_assessed).collect(),
//!         diagnostics: vec![],
//!     }],
//! };
//! assert!(render_json(&report).contains("\"rule\": \"CSRF001\""));
//! ```

pub mod finding;
pub mod history;
pub mod input;
pub mod mask;
pub mod render;
pub mod report;

pub use finding::{
    normalise_evidence_key, Confidence, Finding, Fix, Location, Severity, Strategy, TextEdit,
};
pub use render::html::{render_html, HtmlDocument, HtmlOptions};
pub use render::json::{fingerprints_from_json, render_json};
pub use render::markdown::render_markdown;
pub use render::sarif::{render_sarif, RuleDescriptor};
pub use render::text::{read_source, render_text, SourceLookup, TextOptions};
pub use report::{severity_counts, AppReport, Posture, PostureStatus, Report};
