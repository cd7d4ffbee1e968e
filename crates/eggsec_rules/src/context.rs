//! [`RuleContext`]: what a rule sees (the app model, its own metadata, the user's settings) and
//! how it reports (findings located from value provenance, facts for the posture report).

use crate::config::Settings;
use crate::RuleMeta;
use eggsec_app::AppModel;
use eggsec_js::Provenance;
use eggsec_report::{Finding, Location};
use std::path::Path;

/// Handed to [`crate::Rule::check`]; collects what the rule reports.
pub struct RuleContext<'a> {
    /// The app being audited (one env).
    pub app: &'a AppModel,
    /// The user's `eggsec.toml` (e.g. per-plugin justifications).
    pub settings: &'a Settings,
    meta: &'static RuleMeta,
    findings: Vec<Finding>,
    facts: Vec<String>,
    applicable: bool,
    /// What the rules of one run read from the app's files, read once (the engine's, shared by
    /// every rule; else this context's own).
    shared: Option<&'a crate::source_text::RunCache>,
    own: crate::source_text::RunCache,
}

impl<'a> RuleContext<'a> {
    pub fn new(app: &'a AppModel, settings: &'a Settings, meta: &'static RuleMeta) -> Self {
        RuleContext {
            app,
            settings,
            meta,
            findings: Vec::new(),
            facts: Vec::new(),
            applicable: true,
            shared: None,
            own: Default::default(),
        }
    }

    /// [`RuleContext::new`] sharing `cache` with the other rules of the run (the app's source
    /// files are read once per run, not once per rule).
    pub fn with_cache(
        app: &'a AppModel,
        settings: &'a Settings,
        meta: &'static RuleMeta,
        cache: &'a crate::source_text::RunCache,
    ) -> Self {
        RuleContext {
            shared: Some(cache),
            ..RuleContext::new(app, settings, meta)
        }
    }

    /// The run's cache of the app's source files.
    pub fn cache(&self) -> &crate::source_text::RunCache {
        self.shared.unwrap_or(&self.own)
    }

    /// The metadata of the rule being run.
    pub fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    /// Reports a finding at `prov` with the rule's severity and confidence, and returns it so
    /// the rule can adjust `severity` or `confidence` for this case (change `evidence` only
    /// through [`Finding::with_evidence`], which keeps the fingerprint right).
    ///
    /// `evidence` says what was seen (mask secrets first); `remediation` says what to change,
    /// as Markdown with the egg config or code in fences.
    pub fn report(
        &mut self,
        prov: &Provenance,
        message: impl Into<String>,
        evidence: Vec<String>,
        remediation: impl Into<String>,
    ) -> &mut Finding {
        let location = self.location(prov);
        self.report_at(location, message, evidence, remediation)
    }

    /// Like [`RuleContext::report`], at an explicit location (a URL, a log line, the app).
    pub fn report_at(
        &mut self,
        location: Location,
        message: impl Into<String>,
        evidence: Vec<String>,
        remediation: impl Into<String>,
    ) -> &mut Finding {
        let meta = self.meta;
        let finding = Finding::new(
            meta.code,
            meta.name,
            meta.strategy,
            meta.severity,
            message,
            location,
        )
        .with_confidence(meta.confidence)
        .with_evidence(evidence)
        .with_remediation(remediation);
        self.findings.push(finding);
        self.findings.last_mut().expect("just pushed")
    }

    /// Marks that what this rule checks is not in effect for this app and env (CSRF options
    /// while CSRF is off, header values in `local`, a value that is not statically known): the
    /// rule then counts neither for nor against its strategy's posture score, instead of
    /// passing vacuously. A rule that reports findings always counts.
    pub fn not_applicable(&mut self) {
        self.applicable = false;
    }

    /// Whether the rule applied (see [`RuleContext::not_applicable`]).
    pub fn is_applicable(&self) -> bool {
        self.applicable
    }

    /// Records a fact for the posture report's "Currently Implemented" list of this rule's
    /// strategy ("HSTS max-age is 365 days").
    pub fn fact(&mut self, fact: impl Into<String>) {
        self.facts.push(fact.into());
    }

    /// Where a value's provenance points, for a finding:
    /// a real source span → `File { path relative to the app root, line, column }`;
    /// a real file without a span → the whole file;
    /// a default nobody in the app wrote — a pseudo-file (`<embedded ...>`, `<runtime-dump>`)
    /// or a file of an installed package (egg's, a plugin's or a framework's own config in
    /// `node_modules`: outside the repository, and the fix does not go there) → the app's own
    /// `config/config.default.*` (where the fix goes), or the app as a whole. So a default is
    /// reported at the same place, with the same fingerprint, whether or not `node_modules` is
    /// installed.
    pub fn location(&self, prov: &Provenance) -> Location {
        if self.is_default(prov) {
            let default_config = self
                .app
                .app_layers()
                .find(|l| l.type_name == "default" && !l.embedded)
                .map(|l| self.relative_path(&l.file.to_string_lossy()));
            return match default_config {
                Some(path) => Location::File {
                    path,
                    line: 0,
                    column: 0,
                },
                None => Location::App {
                    root: self.app.root.display().to_string(),
                },
            };
        }
        Location::File {
            path: self.relative_path(&prov.file),
            line: prov.line,
            column: if prov.line == 0 { 0 } else { prov.column },
        }
    }

    /// Whether `prov` is a default nobody in the app wrote: a pseudo-file (embedded defaults, a
    /// runtime dump) or a file of an installed package ([`crate::util::installed_package`]).
    pub fn is_default(&self, prov: &Provenance) -> bool {
        prov.file.starts_with('<')
            || prov.file.is_empty()
            || crate::util::installed_package(&self.relative_path(&prov.file)).is_some()
    }

    /// `file` relative to the app root with `/` separators (unchanged when outside the root).
    pub fn relative_path(&self, file: &str) -> String {
        relative_to(&self.app.root, file)
    }

    /// What was reported so far.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The findings and facts collected (for the engine).
    pub fn into_parts(self) -> (Vec<Finding>, Vec<String>) {
        (self.findings, self.facts)
    }
}

/// `file` relative to `root` with `/` separators (unchanged, separators normalised, when it is
/// not under `root`).
pub fn relative_to(root: &Path, file: &str) -> String {
    let path = Path::new(file);
    let text = eggsec_fs::rel_string(root, path);
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}
