//! `eggsec_rules` — the [`Rule`] trait, the static registry, the engine that runs the rules
//! over an app model, and one file per rule under `rules/<strategy>/<rule_name>.rs`.
//!
//! Adding a rule = adding one file (metadata, docs, `check`, hit and non-hit tests; copy
//! `rules/csrf/csrf_disabled.rs`), one `pub mod` line in `rules/mod.rs`, one line in
//! [`registry::RULES`], and `UPDATE_DOCS=1 cargo test -p eggsec_rules` to write its docs.
//!
//! ```
//! use eggsec_rules::{engine, config::Settings, testing::test_model};
//! let app = test_model(serde_json::json!({"security": {"csrf": {"enable": false}}}));
//! let report = engine::run(&app, &Settings::default());
//! assert_eq!(report.findings[0].name, "csrf-disabled");
//! ```

pub mod baseline;
pub mod catalog;
pub mod config;
pub mod context;
pub(crate) mod credentials;
pub mod docs;
pub mod egg_security;
pub mod engine;
pub mod posture;
pub mod registry;
pub mod rules;
pub mod source_text;
pub mod suppress;
pub mod taxonomy;
#[doc(hidden)]
pub mod testing;
pub mod util;

pub use context::RuleContext;
pub use registry::{find_rule, RULES};

use eggsec_report::{Confidence, Severity, Strategy};

/// The fixed documentation sections every rule must fill (checked by a test).
#[derive(Debug)]
pub struct RuleDocs {
    /// What it finds.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// A bad Egg.js example (code).
    pub bad: &'static str,
    /// A good Egg.js example (code).
    pub good: &'static str,
    /// The fix, as egg config or code.
    pub fix: &'static str,
}

#[derive(Debug)]
pub struct RuleMeta {
    /// Stable short code: `CSRF001`, `HDR003`, `BLT010`...
    pub code: &'static str,
    /// Readable kebab name that says what is wrong: `csrf-ignore-json`.
    pub name: &'static str,
    pub strategy: Strategy,
    pub severity: Severity,
    pub confidence: Confidence,
    /// The control this rule checks, phrased positively, for the posture report when it passes:
    /// "CSRF protection enabled".
    pub control: &'static str,
    pub docs: RuleDocs,
}

/// A check over the app model. Implementations are unit structs listed in [`registry::RULES`].
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// Report findings through `cx`. Must not panic on any model (Unknown values are normal).
    fn check(&self, cx: &mut RuleContext<'_>);
}
