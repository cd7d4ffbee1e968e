//! `eggsec.toml` at the app root: rule severity overrides, ignored paths and per-plugin
//! justifications.
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
//! # rule options, by the rule's name or code (checked: unknown rules, keys and types are
//! # reported and ignored)
//! [options.state-changing-route-without-auth]
//! auth-middleware = ["adminRequired"]          # middleware that reject anonymous requests
//! auth-guards = ["requiredAuthorizedUser"]     # guard calls or decorators in handlers
//! pass-through-middleware = ["loadUser"]       # middleware that only load the user
//! ```
//!
//! A file that cannot be read or parsed is reported as a diagnostic naming it, and the run goes
//! on with the defaults.

use crate::baseline::Baseline;
use crate::RuleMeta;
use eggsec_report::Severity;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The file name looked for at the app root.
pub const FILE_NAME: &str = "eggsec.toml";

/// What `eggsec.toml` says about one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSetting {
    /// The rule does not run (and does not count in the posture).
    Off,
    /// Findings get this severity.
    Severity(Severity),
}

/// The user's written reason for keeping a plugin enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginJustification {
    pub reason: String,
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    advisories: AdvisoriesSettings,
    #[serde(default)]
    logs: LogsSettings,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
    #[serde(default)]
    plugins: BTreeMap<String, PluginJustification>,
    #[serde(default)]
    options: BTreeMap<String, toml::Table>,
    /// Sink, sanitiser and clean-result models added to the embedded ones (the flow engine
    /// reads them; see crates/eggsec_js/models/README.md).
    #[serde(default)]
    models: Option<toml::Value>,
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

/// The audit settings: `eggsec.toml` plus what the command line adds (`--baseline`).
#[derive(Debug, Default)]
pub struct Settings {
    /// Rule code or name (as written) → setting.
    pub rules: BTreeMap<String, RuleSetting>,
    /// Glob patterns of app-relative paths whose findings are dropped.
    pub ignore: Vec<String>,
    ignore_set: GlobSet,
    /// Plugin name → justification.
    pub plugins: BTreeMap<String, PluginJustification>,
    /// Rule options (`[options.<rule>]`), by the rule's name: key → list of strings.
    pub options: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Findings whose fingerprint is in the baseline are dropped.
    pub baseline: Option<Baseline>,
    /// `[advisories]`.
    pub advisories: AdvisoriesSettings,
    /// `[logs]`.
    pub logs: LogsSettings,
    /// Problems with the settings, one readable line each.
    pub diagnostics: Vec<String>,
}

impl Settings {
    /// Reads `<root>/eggsec.toml`; defaults when it does not exist.
    pub fn load(root: &Path) -> Settings {
        let path = root.join(FILE_NAME);
        match eggsec_report::input::read_text_limited(&path, 4 * 1024 * 1024) {
            Ok(text) => Settings::parse(&text, FILE_NAME),
            Err(eggsec_report::input::InputError::NotFound) => Settings::default(),
            Err(e) => Settings {
                diagnostics: vec![format!("{FILE_NAME}: cannot read it ({e}); using defaults")],
                ..Settings::default()
            },
        }
    }

    /// Parses the text of an `eggsec.toml`; `file` names it in diagnostics.
    pub fn parse(text: &str, file: &str) -> Settings {
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let message = e.message().replace('\n', " ");
                let at = e
                    .span()
                    .map(|s| {
                        format!(
                            ":{}",
                            text[..s.start.min(text.len())].lines().count().max(1)
                        )
                    })
                    .unwrap_or_default();
                return Settings {
                    diagnostics: vec![format!(
                        "{file}{at}: invalid eggsec.toml ({message}); using defaults"
                    )],
                    ..Settings::default()
                };
            }
        };
        let mut settings = Settings {
            plugins: raw.plugins,
            advisories: raw.advisories,
            logs: raw.logs,
            ..Settings::default()
        };
        if let Some(models) = raw.models {
            if let Err(e) = eggsec_js::models::parse_user_models(models, file) {
                settings
                    .diagnostics
                    .push(format!("{e}; the embedded sink models are used"));
            }
        }
        let line_of = |needle: &str| {
            text.lines()
                .position(|l| l.contains(needle))
                .map(|i| format!(":{}", i + 1))
                .unwrap_or_default()
        };
        for (rule, table) in raw.options {
            let Some((_, name, keys)) = RULE_OPTIONS
                .iter()
                .find(|(code, name, _)| code.eq_ignore_ascii_case(&rule) || *name == rule)
            else {
                settings.diagnostics.push(format!(
                    "{file}{}: [options.{rule}]: no rule with options has that name (rules with options: {}); ignored",
                    line_of(&rule),
                    RULE_OPTIONS.iter().map(|r| r.1).collect::<Vec<_>>().join(", ")
                ));
                continue;
            };
            for (key, value) in table {
                if !keys.iter().any(|(k, _)| *k == key) {
                    settings.diagnostics.push(format!(
                        "{file}{}: [options.{rule}] {key}: not an option of {name} (options: {}); ignored",
                        line_of(&key),
                        keys.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
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
                    None => settings.diagnostics.push(format!(
                        "{file}{}: [options.{rule}] {key}: expected a list of strings such as [\"adminRequired\"]; ignored",
                        line_of(&key)
                    )),
                }
            }
        }
        for (rule, value) in raw.rules {
            let setting = if value.eq_ignore_ascii_case("off") {
                Some(RuleSetting::Off)
            } else {
                value.parse::<Severity>().ok().map(RuleSetting::Severity)
            };
            match setting {
                Some(setting) => {
                    settings.rules.insert(rule, setting);
                }
                None => settings.diagnostics.push(format!(
                    "{file}: [rules] \"{rule}\" = \"{value}\" is not off|info|low|medium|high|critical; ignored"
                )),
            }
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in raw.ignore {
            let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
            let mut ok = true;
            // `app/legacy` also means everything under it.
            for p in [trimmed.to_string(), format!("{trimmed}/**")] {
                match GlobBuilder::new(&p).literal_separator(true).build() {
                    Ok(glob) => {
                        builder.add(glob);
                    }
                    Err(e) => {
                        settings.diagnostics.push(format!(
                            "{file}: ignore pattern \"{pattern}\": {e}; ignored"
                        ));
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                settings.ignore.push(pattern);
            }
        }
        settings.ignore_set = builder.build().unwrap_or_else(|e| {
            settings
                .diagnostics
                .push(format!("{file}: ignore patterns: {e}; none applied"));
            GlobSet::empty()
        });
        settings
    }

    /// The setting for a rule, looked up by its code (any case) or name.
    pub fn rule_setting(&self, meta: &RuleMeta) -> Option<RuleSetting> {
        self.rules
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(meta.code) || k.as_str() == meta.name)
            .map(|(_, v)| *v)
    }

    /// Whether an app-relative path is covered by `ignore`.
    pub fn is_ignored(&self, path: &str) -> bool {
        self.ignore_set.is_match(path)
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
            "ignore = [\"app/legacy/**\", \"vendor\"]\n[rules]\n\"csrf-disabled\" = \"off\"\nHDR001 = \"LOW\"\n[plugins.view]\nreason = \"admin pages\"\n",
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
    fn bad_toml_names_the_file_and_uses_defaults() {
        let s = Settings::parse("[rules\n", "eggsec.toml");
        assert_eq!(s.diagnostics.len(), 1);
        assert!(
            s.diagnostics[0].starts_with("eggsec.toml:1: invalid eggsec.toml"),
            "{:?}",
            s.diagnostics
        );
        assert!(s.rules.is_empty());
    }

    #[test]
    fn bad_values_are_reported_one_by_one() {
        let s = Settings::parse(
            "ignore = [\"a/[\"]\n[rules]\nX = \"loud\"\nY = \"high\"\n",
            "eggsec.toml",
        );
        assert_eq!(s.diagnostics.len(), 2, "{:?}", s.diagnostics);
        assert_eq!(s.rules.len(), 1);
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
    fn unknown_keys_are_rejected() {
        let s = Settings::parse("ignored = []\n", "eggsec.toml");
        assert!(
            s.diagnostics[0].contains("unknown field"),
            "{:?}",
            s.diagnostics
        );
    }
}
