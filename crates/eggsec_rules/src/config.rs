//! `eggsec.toml`: rule severity overrides, ignored paths, per-plugin justifications and report
//! options. Found upward from the app root to the repository root (the nearest file wins, so a
//! monorepo root file applies to every app below it that has none of its own).
//!
//! ```toml
//! ignore = ["app/legacy/**", "config/config.local.js"]
//!
//! [rules]
//! "csrf-ignore-json" = "off"   # a rule's code or name → off|info|low|medium|high|critical
//! HDR001 = "low"
//!
//! [plugins.view]
//! reason = "server-rendered admin pages"
//!
//! [report]
//! help-uri-base = "https://github.com/acme/eggsec-docs/blob/main/rules/"
//!
//! # rule options, by the rule's name or code (unknown rules, keys and types are errors)
//! [options.state-changing-route-without-auth]
//! auth-middleware = ["adminRequired"]          # middleware that reject anonymous requests
//! auth-guards = ["requiredAuthorizedUser"]     # guard calls or decorators in handlers
//! pass-through-middleware = ["loadUser"]       # middleware that only load the user
//! ```
//!
//! The file is validated: an unknown key, an unknown rule or a bad value is an error naming the
//! file and line, with the nearest valid name (`--> did you mean "ignore"?`). The CLI stops with
//! exit 2 on it ([`Settings::load_checked`]); it never goes on "with the defaults".
//!
//! **Adding a key** = one field in [`RawConfig`] (or in one of its section structs) with a doc
//! comment and `#[serde(default)]`, one field in [`Settings`] to carry it, one line in
//! [`Settings::from_raw`]. Serde rejects unknown keys and wrong types; this module turns its
//! error into `file:line: message (did you mean ...?)`. Add a commented line to
//! [`TEMPLATE`] so `eggsec init` shows it.

use crate::baseline::Baseline;
use crate::RuleMeta;
use eggsec_report::Severity;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name looked for at the app root and above it.
pub const FILE_NAME: &str = "eggsec.toml";

/// What `eggsec.toml` says about one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSetting {
    /// The rule does not run (and does not count in the posture).
    Off,
    /// Findings get this severity.
    Severity(Severity),
}

const RULE_SETTINGS: [&str; 6] = ["off", "info", "low", "medium", "high", "critical"];

impl<'de> Deserialize<'de> for RuleSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.eq_ignore_ascii_case("off") {
            return Ok(RuleSetting::Off);
        }
        s.parse::<Severity>()
            .map(RuleSetting::Severity)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "\"{s}\" is not off|info|low|medium|high|critical{}",
                    did_you_mean(&s, RULE_SETTINGS.iter().copied())
                ))
            })
    }
}

/// The user's written reason for keeping a plugin enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginJustification {
    pub reason: String,
}

/// `[report]`: how reports point at eggsec's docs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReportSettings {
    /// Base URL of the rule doc pages (`<base><rule-name>.md`), the SARIF `helpUri`.
    #[serde(default)]
    pub help_uri_base: Option<String>,
}

/// `[advisories]`: where `eggsec advisories update` downloads from, how old the database may
/// get, and advisories the team has accepted for a while.
///
/// ```toml
/// [advisories]
/// url = "https://mirror.internal/osv/npm/all.zip"
/// max-age-days = 7
///
/// [[advisories.ignore]]
/// id = "GHSA-29mw-wpgm-hmr9"
/// reason = "lodash trim() never sees user input here"
/// until = 2027-01-31
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AdvisoriesSettings {
    /// The OSV export to download (an `all.zip` URL).
    pub url: Option<String>,
    /// `deps` warns when the advisory database is older than this (days).
    pub max_age_days: Option<u32>,
    #[serde(default)]
    pub ignore: Vec<AdvisoryIgnore>,
}

/// One accepted advisory: an id (or alias), why, and until when.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryIgnore {
    pub id: String,
    pub reason: String,
    /// The last day the ignore holds (a TOML date, `2027-01-31`); after it the advisory is a
    /// finding again.
    pub until: Option<toml::value::Datetime>,
}

impl AdvisoryIgnore {
    /// `until` as `YYYY-MM-DD`, when set.
    pub fn until_day(&self) -> Option<String> {
        let d = self.until.as_ref()?.date?;
        Some(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
    }
}

/// `[logs]`: the retention policy logs are checked against.
///
/// ```toml
/// [logs]
/// max-days = 90        # logrotator maxDays must not exceed it (nor be 0 = keep forever)
/// min-days = 30        # ...nor be below it (evidence for incident response)
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogsSettings {
    pub max_days: Option<u32>,
    pub min_days: Option<u32>,
}

/// The file as written. Every section rejects unknown keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Glob patterns of paths whose findings are dropped.
    #[serde(default)]
    advisories: AdvisoriesSettings,
    #[serde(default)]
    logs: LogsSettings,
    #[serde(default)]
    ignore: Vec<String>,
    /// Rule code or name → off|info|low|medium|high|critical.
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RuleSetting>,
    /// Plugin name → `{ reason = "..." }`.
    #[serde(default)]
    plugins: BTreeMap<String, PluginJustification>,
    #[serde(default)]
    report: ReportSettings,
    /// `[options.<rule>]`: rule options (checked against [`RULE_OPTIONS`]).
    #[serde(default)]
    options: BTreeMap<String, toml::Table>,
    /// Sink, sanitiser and clean-result models added to the embedded ones (the flow engine
    /// reads them; see crates/eggsec_js/models/README.md).
    #[serde(default)]
    models: Option<toml::Value>,
    // (new top-level keys go above this line: a field with `#[serde(default)]`)
}

/// An option's key and what it means.
pub type OptionKeys = &'static [(&'static str, &'static str)];

/// The options each rule takes: (code, name, [(key, what it means)]). Every option is a list
/// of strings. The rule docs list them.
pub const RULE_OPTIONS: &[(&str, &str, OptionKeys)] = &[(
    "MW011",
    "state-changing-route-without-auth",
    &[
        (
            "auth-middleware",
            "middleware that reject unauthenticated requests, for those whose code eggsec cannot read or judge (`[\"adminRequired\", \"app.jwt\"]`)",
        ),
        (
            "auth-guards",
            "functions, methods or decorators that reject when a handler calls them or is decorated with them (`[\"requiredAuthorizedUser\", \"checkPermission\"]`); a dotted name matches on its last part",
        ),
        (
            "pass-through-middleware",
            "middleware that only load the user and let anonymous requests through, never counted as protection whatever their name (`[\"loadUser\"]`)",
        ),
    ],
)];

/// An `eggsec.toml` that cannot be used: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as found (absolute when it was found above the app).
    pub path: PathBuf,
    /// 1-based; 0 when the problem is not at a line (the file cannot be read).
    pub line: usize,
    pub message: String,
}

impl ConfigError {
    /// `shown:line: message` with the file named as `shown`.
    pub fn render(&self, shown: &str) -> String {
        if self.line > 0 {
            format!("{shown}:{}: {}", self.line, self.message)
        } else {
            format!("{shown}: {}", self.message)
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&self.path.display().to_string()))
    }
}

impl std::error::Error for ConfigError {}

/// The audit settings: `eggsec.toml` plus what the command line adds (`--baseline`).
#[derive(Debug, Default)]
pub struct Settings {
    /// Rule code or name (as written) → setting.
    pub rules: BTreeMap<String, RuleSetting>,
    /// Glob patterns of app-relative paths whose findings are dropped.
    pub ignore: Vec<String>,
    ignore_set: GlobSet,
    /// The app root relative to the directory of the `eggsec.toml` in use (`apps/web/`), so
    /// a monorepo root file can name paths from its own directory; empty at the app root.
    ignore_prefix: String,
    /// Plugin name → justification.
    pub plugins: BTreeMap<String, PluginJustification>,
    /// `[report]` options.
    pub report: ReportSettings,
    /// Rule options (`[options.<rule>]`), by the rule's name: key → list of strings.
    pub options: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Problems with `[options]` entries, `(line, message)`: the entry is skipped by
    /// [`Settings::parse`] (a diagnostic), and the whole file refused by the CLI.
    option_problems: Vec<(usize, String)>,
    /// The `eggsec.toml` in use, if any.
    pub file: Option<PathBuf>,
    /// Findings whose fingerprint is in the baseline are dropped.
    pub baseline: Option<Baseline>,
    /// `[advisories]`.
    pub advisories: AdvisoriesSettings,
    /// `[logs]`.
    pub logs: LogsSettings,
    /// Problems with the settings, one readable line each.
    pub diagnostics: Vec<String>,
}

/// The `eggsec.toml` that applies to the app at `root`: the nearest one walking up from the
/// app root to the repository root (the first directory holding `.git`). Outside a
/// repository only the app root itself is looked at.
pub fn find_config(root: &Path) -> Option<PathBuf> {
    // Anything under the name counts (a FIFO, a directory, a dangling link): reading it then
    // fails loudly, naming it, instead of the defaults applying in silence.
    let present = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    let here = root.join(FILE_NAME);
    if present(&here) {
        return Some(here);
    }
    let abs = std::fs::canonicalize(root).ok()?;
    if eggsec_fs::exists(&abs.join(".git"))
        || !abs.ancestors().any(|a| eggsec_fs::exists(&a.join(".git")))
    {
        return None;
    }
    for dir in abs.ancestors().skip(1) {
        let candidate = dir.join(FILE_NAME);
        if present(&candidate) {
            return Some(candidate);
        }
        if eggsec_fs::exists(&dir.join(".git")) {
            break;
        }
    }
    None
}

impl Settings {
    /// Reads the `eggsec.toml` that applies to the app at `root` (see [`find_config`]);
    /// defaults when there is none. A file that cannot be used becomes a diagnostic and the
    /// defaults apply — for library callers; the CLI uses [`Settings::load_checked`].
    pub fn load(root: &Path) -> Settings {
        Settings::load_checked(root).unwrap_or_else(|e| {
            let shown = shown_path(root, &e.path);
            Settings {
                diagnostics: vec![e.render(&shown)],
                ..Settings::default()
            }
        })
    }

    /// Reads and validates the `eggsec.toml` that applies to the app at `root`.
    pub fn load_checked(root: &Path) -> Result<Settings, ConfigError> {
        let Some(path) = find_config(root) else {
            return Ok(Settings::default());
        };
        let text =
            eggsec_report::input::read_text_limited(&path, 4 * 1024 * 1024).map_err(|e| {
                ConfigError {
                    path: path.clone(),
                    line: 0,
                    message: format!("cannot read it ({e})"),
                }
            })?;
        let mut settings =
            Settings::parse_checked(&text).map_err(|(line, message)| ConfigError {
                path: path.clone(),
                line,
                message,
            })?;
        // A file above the app names paths from its own directory too.
        if let (Ok(app), Some(dir)) = (
            std::fs::canonicalize(root),
            path.parent().and_then(|d| std::fs::canonicalize(d).ok()),
        ) {
            if let Ok(rel) = app.strip_prefix(&dir) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if !rel.is_empty() {
                    settings.ignore_prefix = format!("{rel}/");
                }
            }
        }
        settings.file = Some(path);
        Ok(settings)
    }

    /// Parses the text of an `eggsec.toml`; `file` names it in diagnostics. A problem becomes
    /// a diagnostic and the defaults apply (tests and library callers; the CLI refuses it).
    pub fn parse(text: &str, file: &str) -> Settings {
        let render = |line: usize, message: String| {
            ConfigError {
                path: file.into(),
                line,
                message,
            }
            .render(file)
        };
        match Settings::parse_lenient_options(text) {
            Ok(mut settings) => {
                settings.diagnostics = settings
                    .option_problems
                    .iter()
                    .map(|(line, message)| render(*line, format!("{message}; ignored")))
                    .collect();
                settings
            }
            Err((line, message)) => Settings {
                diagnostics: vec![render(line, message)],
                ..Settings::default()
            },
        }
    }

    /// Parses and validates; the error is `(line, message)`.
    pub fn parse_checked(text: &str) -> Result<Settings, (usize, String)> {
        let settings = Settings::parse_lenient_options(text)?;
        match settings.option_problems.first() {
            Some(p) => Err(p.clone()),
            None => Ok(settings),
        }
    }

    /// Like [`Settings::parse_checked`], but problems in `[options]` only skip their entry.
    fn parse_lenient_options(text: &str) -> Result<Settings, (usize, String)> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or_default();
            (line, explain(e.message()))
        })?;
        Settings::from_raw(raw, text)
    }

    fn from_raw(raw: RawConfig, text: &str) -> Result<Settings, (usize, String)> {
        let mut settings = Settings {
            plugins: raw.plugins,
            report: raw.report,
            advisories: raw.advisories,
            logs: raw.logs,
            ..Settings::default()
        };
        if let Some(base) = &settings.report.help_uri_base {
            if !(base.starts_with("https://") || base.starts_with("http://")) {
                return Err((
                    find_line(text, "help-uri-base"),
                    format!("[report] help-uri-base = \"{base}\" is not an http(s) URL"),
                ));
            }
        }
        if let Some(models) = raw.models {
            if let Err(e) = eggsec_js::models::parse_user_models(models, FILE_NAME) {
                settings
                    .option_problems
                    .push((find_line(text, "models"), e.to_string()));
            }
        }
        for (rule, table) in raw.options {
            let Some((_, name, keys)) = RULE_OPTIONS
                .iter()
                .find(|(code, name, _)| code.eq_ignore_ascii_case(&rule) || *name == rule)
            else {
                settings.option_problems.push((
                    find_line(text, &rule),
                    format!(
                        "[options.{rule}]: no rule with options has that name{} (rules with options: {})",
                        did_you_mean(&rule, RULE_OPTIONS.iter().map(|r| r.1)),
                        RULE_OPTIONS.iter().map(|r| r.1).collect::<Vec<_>>().join(", ")
                    ),
                ));
                continue;
            };
            for (key, value) in table {
                if !keys.iter().any(|(k, _)| *k == key) {
                    settings.option_problems.push((
                        find_line(text, &key),
                        format!(
                            "[options.{rule}] {key}: not an option of {name}{} (options: {})",
                            did_you_mean(&key, keys.iter().map(|k| k.0)),
                            keys.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                    continue;
                }
                let list: Option<Vec<String>> = value
                    .as_array()
                    .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect());
                match list {
                    Some(list) => {
                        settings
                            .options
                            .entry(name.to_string())
                            .or_default()
                            .insert(key, list);
                    }
                    None => settings.option_problems.push((
                        find_line(text, &key),
                        format!(
                            "[options.{rule}] {key}: expected a list of strings such as [\"adminRequired\"]"
                        ),
                    )),
                }
            }
        }
        for (rule, setting) in raw.rules {
            let name = rule.get_ref();
            if crate::catalog::find(name).is_none() {
                return Err((
                    line_of(text, rule.span().start),
                    format!(
                        "[rules] \"{name}\" is not a rule{} (`eggsec rules` lists them)",
                        did_you_mean(name, crate::catalog::all_ids())
                    ),
                ));
            }
            settings.rules.insert(rule.into_inner(), setting);
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in raw.ignore {
            let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
            // `app/legacy` also means everything under it.
            for p in [trimmed.to_string(), format!("{trimmed}/**")] {
                let glob = GlobBuilder::new(&p)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| {
                        (
                            find_line(text, &pattern),
                            format!("ignore pattern \"{pattern}\": {}", e.kind()),
                        )
                    })?;
                builder.add(glob);
            }
            settings.ignore.push(pattern);
        }
        settings.ignore_set = builder
            .build()
            .map_err(|e| (find_line(text, "ignore"), format!("ignore patterns: {e}")))?;
        Ok(settings)
    }

    /// The setting for a rule, looked up by its code (any case) or name.
    pub fn rule_setting(&self, meta: &RuleMeta) -> Option<RuleSetting> {
        self.setting_for(meta.code, meta.name)
    }

    /// The setting for any rule (static, probe or log), by its code or name.
    pub fn setting_for(&self, code: &str, name: &str) -> Option<RuleSetting> {
        self.rules
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(code) || k.as_str() == name)
            .map(|(_, v)| *v)
    }

    /// Whether an app-relative path is covered by `ignore` (patterns are relative to the app
    /// root, or to the directory of an `eggsec.toml` found above it).
    pub fn is_ignored(&self, path: &str) -> bool {
        self.ignore_set.is_match(path)
            || (!self.ignore_prefix.is_empty()
                && self
                    .ignore_set
                    .is_match(format!("{}{path}", self.ignore_prefix)))
    }

    /// A rule option (a list of strings), empty when not set.
    pub fn option(&self, rule: &str, key: &str) -> &[String] {
        self.options
            .get(rule)
            .and_then(|o| o.get(key))
            .map_or(&[], Vec::as_slice)
    }

    /// The auth model's user-named protectors (`[options.state-changing-route-without-auth]`).
    pub fn auth_options(&self) -> eggsec_app::auth::AuthOptions {
        const RULE: &str = "state-changing-route-without-auth";
        eggsec_app::auth::AuthOptions {
            middleware: self.option(RULE, "auth-middleware").to_vec(),
            guards: self.option(RULE, "auth-guards").to_vec(),
            pass_through: self.option(RULE, "pass-through-middleware").to_vec(),
        }
    }

    /// The written justification for keeping a plugin, if any.
    pub fn plugin_reason(&self, plugin: &str) -> Option<&str> {
        self.plugins
            .get(plugin)
            .map(|j| j.reason.as_str())
            .filter(|r| !r.trim().is_empty())
    }
}

/// The config file as the user should see it from the app root.
fn shown_path(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The first line mentioning `needle` (for errors serde gives no span for).
fn find_line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(0, |i| i + 1)
}

/// Serde's message, one line, with a did-you-mean for unknown keys.
fn explain(message: &str) -> String {
    let message = message.trim().replace('\n', " ");
    if is_syntax_error(&message) {
        return format!("invalid TOML: {message}");
    }
    // "unknown field `ignored`, expected one of `ignore`, `rules`" (serde's wording).
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
        if let Some((bad, expected)) = names.split_first() {
            return format!(
                "unknown key \"{bad}\"{} (valid here: {})",
                did_you_mean(bad, expected.iter().copied()),
                expected.join(", ")
            );
        }
    }
    message
}

/// Whether toml's message is about the syntax (not a value or key serde rejected).
fn is_syntax_error(message: &str) -> bool {
    !(message.starts_with("unknown field")
        || message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("missing field")
        || message.starts_with('"'))
}

/// ` (did you mean "x"?)` when a candidate is close to `wanted`, else nothing.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(wanted, candidates)
        .map(|c| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default()
}

/// The candidate nearest to `wanted` (case-insensitive edit distance), if it is close enough
/// to be a typo: at most a third of the length, and at least 1 edit allowed.
pub fn nearest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = wanted.to_ascii_lowercase();
    let limit = (w.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&w, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The commented `eggsec.toml` that `eggsec init` writes (`{plugins}` is replaced by one
/// `[plugins.<name>]` block per enabled plugin).
pub const TEMPLATE: &str = r#"# eggsec.toml — settings for `eggsec audit` (https://github.com/eggsec/eggsec#eggsectoml).
# Found upward from the app to the repository root: the nearest file wins, so one file at a
# monorepo root applies to every app below it. Unknown keys and rules are errors (exit 2).

# Findings in these paths are dropped (globs, relative to this file's directory).
ignore = [
  # "app/legacy/**",
]

# A rule's code or name → "off" or a severity (info, low, medium, high, critical).
# `eggsec rules` lists every rule, `eggsec rule <name>` explains one.
[rules]
# "csrf-ignore-json" = "off"
# HDR011 = "info"

# Why each enabled plugin is needed (PLG002 reports plugins without a reason).
{plugins}
# Where reports link a rule's documentation (the SARIF helpUri).
[report]
# help-uri-base = "https://github.com/eggsec/eggsec/blob/main/docs/rules/"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_advisories_and_logs() {
        let s = Settings::parse(
            "[advisories]\nurl = \"http://127.0.0.1:9/all.zip\"\nmax-age-days = 3\n[[advisories.ignore]]\nid = \"GHSA-x\"\nreason = \"r\"\nuntil = 2027-01-31\n[logs]\nmax-days = 90\n",
            "eggsec.toml",
        );
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        assert_eq!(s.advisories.max_age_days, Some(3));
        assert_eq!(
            s.advisories.ignore[0].until_day().as_deref(),
            Some("2027-01-31")
        );
        assert_eq!(s.logs.max_days, Some(90));
        let bad = Settings::parse("[advisories]\nmax_age = 3\n", "eggsec.toml");
        assert!(!bad.diagnostics.is_empty());
    }

    #[test]
    fn parses_all_sections() {
        let s = Settings::parse(
            "ignore = [\"app/legacy/**\", \"vendor\"]\n[rules]\n\"csrf-disabled\" = \"off\"\nHDR001 = \"LOW\"\n[plugins.view]\nreason = \"admin pages\"\n[report]\nhelp-uri-base = \"https://example.com/r/\"\n",
            "eggsec.toml",
        );
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        assert_eq!(s.rules["csrf-disabled"], RuleSetting::Off);
        assert_eq!(s.rules["HDR001"], RuleSetting::Severity(Severity::Low));
        assert!(s.is_ignored("app/legacy/a/b.js"));
        assert!(s.is_ignored("vendor/x.js"));
        assert!(!s.is_ignored("app/controller/home.js"));
        assert_eq!(s.plugin_reason("view"), Some("admin pages"));
        assert_eq!(s.plugin_reason("cors"), None);
        assert_eq!(
            s.report.help_uri_base.as_deref(),
            Some("https://example.com/r/")
        );
    }

    #[test]
    fn user_sink_models_are_validated() {
        let s = Settings::parse(
            "[[models.sinks]]\ncallee = [\"app.db.raw\"]\nkind = \"sql\"\n",
            "eggsec.toml",
        );
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        let s = Settings::parse(
            "[[models.sinks]]\ncallee = [\"app.db.raw\"]\nkind = \"sqll\"\n",
            "eggsec.toml",
        );
        assert!(
            s.diagnostics[0].contains("eggsec.toml: sinks[0]: unknown kind `sqll`"),
            "{:?}",
            s.diagnostics
        );
    }

    #[test]
    fn bad_toml_names_the_file_and_line() {
        let s = Settings::parse("[rules\n", "eggsec.toml");
        assert_eq!(s.diagnostics.len(), 1);
        assert!(
            s.diagnostics[0].starts_with("eggsec.toml:1: "),
            "{:?}",
            s.diagnostics
        );
        assert!(s.rules.is_empty());
    }

    #[test]
    fn bad_values_name_their_line() {
        let (line, message) =
            Settings::parse_checked("ignore = []\n[rules]\nHDR001 = \"hihg\"\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(message.contains("did you mean \"high\"?"), "{message}");
        let (line, message) = Settings::parse_checked("ignore = [\"a/[\"]\n").unwrap_err();
        assert_eq!(line, 1);
        assert!(message.contains("ignore pattern"), "{message}");
        let (line, message) = Settings::parse_checked("\n\nignore = \"app\"\n").unwrap_err();
        assert_eq!(line, 3, "{message}");
    }

    #[test]
    fn unknown_keys_and_rules_suggest_the_nearest_name() {
        let (line, message) = Settings::parse_checked("\nignored = []\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(message.contains("unknown key \"ignored\""), "{message}");
        assert!(message.contains("did you mean \"ignore\"?"), "{message}");
        let (line, message) = Settings::parse_checked("[rules]\nok = \"off\"\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(message.contains("is not a rule"), "{message}");
        let (_, message) =
            Settings::parse_checked("[rules]\n\"csrf-disabeld\" = \"off\"\n").unwrap_err();
        assert!(
            message.contains("did you mean \"csrf-disabled\"?"),
            "{message}"
        );
        let (line, message) =
            Settings::parse_checked("[plugins.view]\nreasons = \"x\"\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(message.contains("did you mean \"reason\"?"), "{message}");
    }

    #[test]
    fn probe_and_log_rules_can_be_configured() {
        let s =
            Settings::parse_checked("[rules]\nLGS101 = \"off\"\n\"password-in-log\" = \"low\"\n")
                .unwrap();
        assert_eq!(s.rules.len(), 2);
        assert_eq!(
            s.setting_for("LGS101", "password-in-log"),
            Some(RuleSetting::Off)
        );
    }

    #[test]
    fn rule_options_are_checked() {
        let s = Settings::parse(
            "[options.state-changing-route-without-auth]\nauth-middleware = [\"adminRequired\"]\nauth-guards = [\"requiredAuthorizedUser\"]\n[options.MW011]\npass-through-middleware = \"loadUser\"\nauth-gards = []\n[options.csrf-disabled]\nx = []\n",
            "eggsec.toml",
        );
        assert_eq!(s.diagnostics.len(), 3, "{:?}", s.diagnostics);
        assert!(
            s.diagnostics[0].starts_with("eggsec.toml:6: [options.MW011] auth-gards"),
            "{:?}",
            s.diagnostics
        );
        assert!(
            s.diagnostics[1].contains("expected a list of strings"),
            "{:?}",
            s.diagnostics
        );
        assert!(
            s.diagnostics[2].contains("[options.csrf-disabled]"),
            "{:?}",
            s.diagnostics
        );
        let a = s.auth_options();
        assert_eq!(a.middleware, vec!["adminRequired".to_string()]);
        assert_eq!(a.guards, vec!["requiredAuthorizedUser".to_string()]);
        assert!(a.pass_through.is_empty());
    }

    #[test]
    fn rule_options_problems_stop_the_cli() {
        let (line, message) =
            Settings::parse_checked("[options.MW011]\nauth-gards = []\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(
            message.contains("did you mean \"auth-guards\"?"),
            "{message}"
        );
    }

    #[test]
    fn nearest_is_a_typo_distance() {
        assert_eq!(nearest("hihg", ["high", "low"]), Some("high"));
        assert_eq!(nearest("zzzzzz", ["high", "low"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn found_upward_to_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        std::fs::create_dir(repo.join(".git")).unwrap();
        let app = repo.join("apps/web");
        std::fs::create_dir_all(&app).unwrap();
        assert_eq!(find_config(&app), None);
        std::fs::write(repo.join(FILE_NAME), "ignore = [\"apps/web/legacy\"]\n").unwrap();
        let found = find_config(&app).unwrap();
        assert_eq!(
            std::fs::canonicalize(found).unwrap(),
            std::fs::canonicalize(repo.join(FILE_NAME)).unwrap()
        );
        let s = Settings::load_checked(&app).unwrap();
        assert!(
            s.is_ignored("legacy/a.js"),
            "root file names paths from its directory"
        );
        // The nearest file wins.
        std::fs::write(app.join(FILE_NAME), "[rules\n").unwrap();
        let err = Settings::load_checked(&app).unwrap_err();
        assert_eq!(err.line, 1);
        assert_eq!(err.path, app.join(FILE_NAME));
        // Above the repository root nothing is looked at.
        let outside = tempfile::tempdir().unwrap();
        assert_eq!(find_config(outside.path()), None);
    }
}
