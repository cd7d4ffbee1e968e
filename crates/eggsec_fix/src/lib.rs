//! `eggsec_fix` — remediation: the config edits that close findings (on `eggsec_js`'s
//! editor, see [`eggsec_js::config_edit`]), scaffolds for what egg has no setting for, egg-mock
//! security tests generated from the route table, and writes that lose nothing.
//!
//! ```no_run
//! let plan = eggsec_fix::plan(std::path::Path::new("."), &eggsec_fix::FixOptions::default()).unwrap();
//! for change in &plan.changes {
//!     print!("{}", eggsec_fix::unified_diff(change, &change.shown));
//! }
//! ```

pub mod catalog;
pub mod code_fix;
pub mod config_fix;
pub mod csp;
pub mod scaffold;
pub mod testgen;
pub mod write;

pub use catalog::{fix_for, FixKind, CATALOG};
pub use config_fix::{plan, FixOptions, Plan};

use std::path::PathBuf;
use write::ReadFile;

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("{0}")]
    App(#[from] eggsec_app::AppError),
    #[error(transparent)]
    Js(#[from] eggsec_js::JsError),
    #[error(transparent)]
    Write(#[from] write::WriteError),
    #[error("{0}")]
    Other(String),
}

/// One planned file change.
#[derive(Clone, Debug)]
pub struct FileChange {
    pub path: PathBuf,
    /// The path relative to the app root, with `/` (for diffs and messages).
    pub shown: String,
    /// The file as read; `None` when the file is created.
    pub read: Option<ReadFile>,
    pub new: String,
    /// What the change closes (rule codes, scaffold names).
    pub reasons: Vec<String>,
}

impl FileChange {
    pub fn old(&self) -> &str {
        self.read.as_ref().map_or("", |r| r.text.as_str())
    }
}

/// A `git apply`-able unified diff of one change, paths shown as `a/<shown>` and `b/<shown>`.
pub fn unified_diff(c: &FileChange, shown: &str) -> String {
    let (a, b) = match c.read {
        Some(_) => (format!("a/{shown}"), format!("b/{shown}")),
        None => ("/dev/null".to_string(), format!("b/{shown}")),
    };
    similar::TextDiff::from_lines(c.old(), &c.new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

/// Writes every change (each atomically; a file changed since it was read is refused).
/// Returns the paths written; stops at the first error.
pub fn apply_changes(changes: &[FileChange]) -> Result<Vec<PathBuf>, FixError> {
    let mut written = Vec::new();
    for c in changes {
        match &c.read {
            Some(r) => write::write(r, &c.new)?,
            None => write::create(&c.path, &c.new)?,
        }
        written.push(c.path.clone());
    }
    Ok(written)
}

/// The app's source language and egg major, for generated files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flavor {
    pub ts: bool,
    /// `package.json` `"type": "module"`: ESM `.js`.
    pub esm: bool,
    pub egg_major: u32,
}

impl Flavor {
    pub fn of(model: &eggsec_app::AppModel) -> Flavor {
        let root = &model.root;
        let ts = model.pkg["egg"]["typescript"].as_bool() == Some(true)
            || root.join("config/config.default.ts").is_file()
            || (root.join("tsconfig.json").is_file()
                && !root.join("config/config.default.js").is_file());
        Flavor {
            ts,
            esm: model.pkg["type"] == "module",
            egg_major: model.egg_major.unwrap_or(3),
        }
    }
    pub fn ext(self) -> &'static str {
        if self.ts {
            "ts"
        } else {
            "js"
        }
    }
    /// Generated code is ES module syntax (TS or `"type": "module"`).
    pub fn module_syntax(self) -> bool {
        self.ts || self.esm
    }
}

/// Adds to each strategy's missing items in the posture what `eggsec fix`, `eggsec scaffold`
/// and `eggsec testgen` can close for this app (from its findings), e.g.
/// "eggsec can close: `eggsec fix --strategy csrf --write` (CSRF001); `eggsec testgen --write`
/// (CSRF tested with and without a token)".
pub fn add_posture_hints(report: &mut eggsec_report::AppReport) {
    use eggsec_report::Strategy;
    for posture in &mut report.posture {
        let s = posture.strategy;
        let mut fix = Vec::new();
        let mut scaffolds = Vec::new();
        for f in report.findings.iter().filter(|f| f.strategy == s) {
            match fix_for(&f.rule).map(|i| i.kind) {
                Some(FixKind::Config | FixKind::Code) if !fix.contains(&f.rule) => {
                    fix.push(f.rule.clone())
                }
                Some(FixKind::Scaffold(n)) if !scaffolds.contains(&n) => scaffolds.push(n),
                _ => {}
            }
        }
        let mut parts = Vec::new();
        if !fix.is_empty() {
            parts.push(format!(
                "`eggsec fix --strategy {s} --write` ({})",
                fix.join(", ")
            ));
        }
        for n in scaffolds {
            parts.push(format!("`eggsec scaffold {n} --write`"));
        }
        let tests = match s {
            Strategy::Csrf => Some("CSRF tested with and without a token on every state-changing route"),
            Strategy::Middleware => Some("custom middleware exercised with hostile input; auth-required routes refuse anonymous requests"),
            Strategy::Errors => Some("error responses checked for stacks, SQL and paths in prod"),
            Strategy::Headers => Some("configured security headers asserted"),
            _ => None,
        };
        if let Some(t) = tests {
            if !posture.missing.is_empty() {
                parts.push(format!("`eggsec testgen --write` ({t})"));
            }
        }
        if !parts.is_empty() && !posture.missing.is_empty() {
            posture
                .missing
                .push(format!("eggsec can close: {}", parts.join("; ")));
        }
    }
}
