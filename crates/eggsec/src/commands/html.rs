//! `--format html` for `audit`, `deps`, `probe` and `logs scan`: the page sections built from
//! each crate's data (the renderer itself is `eggsec_report::render::html`), the audit history
//! (`audit --record` / `--diff`), and the `eggsec fix` command a finding can be fixed with.

use crate::output::config_lines;
use eggsec_report::history::{self, AuditRecord};
use eggsec_report::render::html::{
    AdvisoryRow, AppExtras, ConfigRow, ConfigTable, DependencySection, HistoryView, LogsSection,
    ObservatoryTest, PluginRow, ProbeSection,
};
use eggsec_report::{AppReport, Finding, HtmlDocument};
use std::path::Path;

/// The eggsec version written into reports and history records.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Now, RFC 3339 UTC.
pub fn now() -> String {
    eggsec_deps::dates::format_rfc3339(eggsec_deps::dates::now())
}

/// A document with the header fields filled in.
pub fn document(title: &str, command: String) -> HtmlDocument {
    HtmlDocument {
        title: title.to_string(),
        command,
        generated_at: now(),
        version: VERSION.to_string(),
        ..Default::default()
    }
}

/// `git rev-parse HEAD` in `root`, when it is inside a git repository with a commit.
pub fn git_commit(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let sha = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(sha)
}

/// The config subtrees the HTML report shows per env: every key a rule of the eight strategies
/// reads (CSRF, headers, session and cookies, body parsing, uploads, static files, JSONP, CORS,
/// proxy trust, keys, error pages, logging and the config dump).
const SECURITY_KEYS: &[&str] = &[
    "keys",
    "security",
    "session",
    "cors",
    "jsonp",
    "bodyParser",
    "multipart",
    "static",
    "proxy",
    "maxProxyCount",
    "maxIpsCount",
    "ipHeaders",
    "protocolHeaders",
    "hostHeaders",
    "onerror",
    "logger",
    "logrotator",
    "customLogger",
    "dump",
];

/// The envs the config table shows: those audited, then egg's standard local, unittest, prod.
pub fn config_envs(audited: &[String]) -> Vec<String> {
    let mut envs: Vec<String> = Vec::new();
    for e in audited
        .iter()
        .map(String::as_str)
        .chain(["local", "unittest", "prod"])
    {
        if !envs.iter().any(|x| x == e) {
            envs.push(e.to_string());
        }
    }
    envs
}

/// The security keys of one model: `(env, where egg's defaults came from, [(key, value, at)])`.
pub type EnvConfig = (String, String, Vec<(String, String, String)>);

/// The security keys of `model` as config lines (secrets masked), provenance relative to the root.
pub fn env_config(model: &eggsec_app::AppModel) -> EnvConfig {
    let root_prefix = format!("{}/", model.root.display());
    let mut lines = Vec::new();
    for key in SECURITY_KEYS {
        if let Some(v) = model.config_at(key) {
            config_lines(key, v, false, &mut lines);
        }
    }
    for line in &mut lines {
        if let Some(rel) = line.2.strip_prefix(&root_prefix) {
            line.2 = rel.to_string();
        }
    }
    (
        model.env.clone(),
        super::config::defaults_label(model),
        lines,
    )
}

/// The effective value of the security keys of the app at `root` in each of `envs`, with the
/// file:line that set it, secrets masked as `eggsec config` masks them. `known` holds the envs
/// the audit already built; the others are loaded (in parallel). An env whose model cannot be
/// built is left out.
pub fn config_table(
    root: &Path,
    shown_root: &str,
    envs: &[String],
    embedded_defaults: bool,
    known: &[EnvConfig],
) -> ConfigTable {
    use rayon::prelude::*;
    let mut table = ConfigTable {
        root: shown_root.to_string(),
        ..Default::default()
    };
    let loaded: Vec<EnvConfig> = envs
        .par_iter()
        .filter_map(|env| {
            if let Some(k) = known.iter().find(|k| &k.0 == env) {
                return Some(k.clone());
            }
            let opts = eggsec_app::LoadOptions {
                env: Some(env.clone()),
                scope: None,
                embedded_defaults_only: embedded_defaults,
            };
            // the config alone: the code is the same in every env, and not shown here
            let model = eggsec_app::load_config_only(root, &opts).ok()?;
            Some(env_config(&model))
        })
        .collect();
    let mut per_env: Vec<Vec<(String, String, String)>> = Vec::new();
    for (env, defaults, lines) in loaded {
        if table.defaults.is_empty() {
            table.defaults = defaults;
        }
        table.envs.push(env);
        per_env.push(lines);
    }
    let mut keys: Vec<&str> = Vec::new();
    for lines in &per_env {
        for (k, _, _) in lines {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
    }
    table.rows = keys
        .iter()
        .map(|k| ConfigRow {
            key: k.to_string(),
            cells: per_env
                .iter()
                .map(|lines| {
                    lines
                        .iter()
                        .find(|(key, _, _)| key == k)
                        .map(|(_, v, at)| (v.clone(), at.clone()))
                })
                .collect(),
        })
        .collect();
    table
}

/// The plugin table: enabled, used (with the evidence), the written reason, who decided it.
pub fn plugin_rows(
    model: &eggsec_app::AppModel,
    settings: &eggsec_rules::config::Settings,
) -> Vec<PluginRow> {
    use eggsec_app::usage::Verdict;
    let usage = eggsec_app::usage::analyze(model);
    let root_prefix = format!("{}/", model.root.display());
    model
        .plugins
        .iter()
        .map(|p| {
            let verdict = usage.plugin(&p.name).map(|u| &u.verdict);
            let evidence = match verdict {
                Some(Verdict::Used(ev)) => ev.first().map(|e| e.to_string()).unwrap_or_default(),
                Some(Verdict::Unused { searched }) => {
                    format!("nothing uses it (searched: {})", searched.join(", "))
                }
                Some(Verdict::Kept(why)) | Some(Verdict::Unknown(why)) => why.clone(),
                Some(Verdict::Disabled) | None => String::new(),
            };
            let decided = p.decided_by.to_string();
            PluginRow {
                name: p.name.clone(),
                enabled: match (p.enabled, p.implicit_enable, p.env_excluded) {
                    (true, true, _) => "yes (implied by a dependent plugin)",
                    (true, false, _) => "yes",
                    (false, _, true) => "no (not in this env)",
                    (false, _, false) => "no",
                }
                .to_string(),
                source: p
                    .package
                    .clone()
                    .or_else(|| p.path.as_ref().map(|x| x.display().to_string()))
                    .map(|s| {
                        s.strip_prefix(&root_prefix)
                            .map(str::to_string)
                            .unwrap_or(s)
                    })
                    .unwrap_or_default(),
                version: p.version.clone().unwrap_or_default(),
                used: verdict.map_or("-", Verdict::label).to_string(),
                evidence,
                reason: settings.plugin_reason(&p.name).map(str::to_string),
                decided_by: decided
                    .strip_prefix(&root_prefix)
                    .map(str::to_string)
                    .unwrap_or(decided),
            }
        })
        .collect()
}

/// The history of one app report: the earlier records of its env (read before this run is
/// appended), this run's record, and whether it was appended. Problems reading the file go
/// to stderr, naming the file and line.
pub fn history_view(root: &Path, app: &AppReport, record: bool) -> anyhow::Result<HistoryView> {
    let path = history::history_path(root);
    let (records, problems) = history::read(&path);
    for p in problems {
        eprintln!("eggsec: warning: {p}");
    }
    let current = AuditRecord::from_app(app, &now(), git_commit(root), VERSION);
    if record {
        history::append(&path, &current).map_err(anyhow::Error::msg)?;
    }
    let shown = Path::new(&app.root)
        .join(".eggsec")
        .join("audit-history.jsonl");
    Ok(HistoryView {
        file: shown.display().to_string(),
        previous: records.into_iter().filter(|r| r.env == app.env).collect(),
        current,
        recorded: record,
    })
}

/// The `eggsec fix` / `eggsec scaffold` command that fixes `finding`, when eggsec has one
/// (from eggsec_fix's catalog; unused plugins: `fix --plugins`). Code rewrites are left to the
/// finding's own fix text.
pub fn fix_command(app: &AppReport, finding: &Finding) -> Option<String> {
    let root = shell_word(&app.root);
    let env = if app.env.is_empty() {
        String::new()
    } else {
        format!(" --env {}", shell_word(&app.env))
    };
    if finding.name == "plugin-never-used" {
        return Some(format!("eggsec fix {root} --plugins{env} --write"));
    }
    match eggsec_fix::fix_for(&finding.rule)?.kind {
        eggsec_fix::FixKind::Config => Some(format!(
            "eggsec fix {root} --rule {}{env} --write",
            shell_word(&finding.rule)
        )),
        eggsec_fix::FixKind::Scaffold(name) => {
            Some(format!("eggsec scaffold {name} --path {root}{env} --write"))
        }
        eggsec_fix::FixKind::Code => None,
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The dependency section from `eggsec deps`' analysis.
pub fn dependency_section(r: &eggsec_deps::analyze::DepsReport) -> DependencySection {
    DependencySection {
        lockfile: r.lockfile.clone(),
        database: r.database.clone(),
        packages: r.packages.len(),
        egg_packages: r
            .packages
            .iter()
            .filter_map(|p| {
                p.egg_role.map(|role| {
                    (
                        p.name.clone(),
                        p.version.clone(),
                        format!("{}{}", role.as_str(), if p.dev { " (dev)" } else { "" }),
                        format!("{}:{}", p.lockfile, p.line),
                    )
                })
            })
            .collect(),
        advisories: r
            .vulnerabilities
            .iter()
            .map(|v| {
                let mut egg: Vec<String> = Vec::new();
                let mut upgrades = Vec::new();
                for via in &v.via {
                    if let Some(e) = &via.egg_package {
                        if !egg.contains(e) {
                            egg.push(e.clone());
                        }
                    }
                    if let Some(u) = &via.upgrade {
                        let line = format!("upgrade {} to {u}", via.direct);
                        if !upgrades.contains(&line) {
                            upgrades.push(line);
                        }
                    }
                }
                AdvisoryRow {
                    id: v.id.clone(),
                    severity: Some(v.severity),
                    package: v.package.clone(),
                    version: v.version.clone(),
                    summary: v.summary.clone(),
                    fixed: v.fixed.clone(),
                    dev: v.dev,
                    egg_packages: egg,
                    paths: v.paths.iter().map(|p| p.join(" > ")).collect(),
                    location: format!("{}:{}", v.lockfile, v.line),
                    upgrades,
                }
            })
            .collect(),
        outdated: r
            .outdated
            .iter()
            .map(|o| {
                let mut notes = Vec::new();
                if let Some(d) = o.days_since_installed_release {
                    notes.push(format!("installed release {d} days old"));
                }
                if let Some(n) = &o.node_engine {
                    notes.push(format!("latest needs node {n}"));
                }
                if let Some(d) = &o.deprecated {
                    notes.push(format!("deprecated: {d}"));
                }
                if let Some(e) = &o.end_of_life {
                    notes.push(format!("end of life: {e}"));
                }
                (
                    o.name.clone(),
                    o.installed.clone(),
                    o.latest.clone(),
                    o.behind.clone(),
                    notes.join("; "),
                )
            })
            .collect(),
        problems: r.problems.clone(),
    }
}

/// The probe section: the Observatory grade and each of its tests.
pub fn probe_section(r: &eggsec_probe::ProbeReport) -> ProbeSection {
    let o = &r.observatory;
    ProbeSection {
        target: r.target.clone(),
        algorithm_version: o.algorithm_version,
        // A page the Observatory would not grade (error status, redirect off the origin) has
        // no score; the reason is in the notes.
        score: o.score.unwrap_or(0),
        grade: o.grade.clone().unwrap_or_else(|| "not graded".into()),
        tests: o
            .tests
            .iter()
            .map(|t| ObservatoryTest {
                name: t.name.clone(),
                pass: t.pass,
                result: t.result.clone(),
                modifier: t.modifier,
            })
            .collect(),
        requests: r.requests,
        budget: r.budget,
        elapsed_ms: r.elapsed_ms,
        notes: r.notes.clone(),
        errors: r.errors.clone(),
    }
}

/// The log scan summary: files, totals, findings per family, matches per detector, busiest IPs.
pub fn logs_section(r: &eggsec_logs::ScanResult) -> LogsSection {
    use eggsec_logs::rules::Family;
    let family_count = |family: Family| r.findings.iter().filter(|f| f.family == family).count();
    LogsSection {
        files: r
            .files
            .iter()
            .map(|f| (f.path.clone(), f.kind.clone(), f.lines, f.bytes))
            .collect(),
        total_lines: r.total_lines,
        total_bytes: r.total_bytes,
        families: vec![
            ("secrets".into(), family_count(Family::Secret)),
            ("personal data".into(), family_count(Family::PersonalData)),
            (
                "security events".into(),
                family_count(Family::SecurityEvent),
            ),
        ],
        detectors: r.counts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        top_ips: r.top_ips.clone(),
        errors: r.errors.clone(),
    }
}

/// An empty extras slot for an app report (keeps `HtmlDocument::apps` aligned with the report).
pub fn no_extras() -> AppExtras {
    AppExtras::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("examples/shop-api"), "examples/shop-api");
        assert_eq!(shell_word("my app"), "'my app'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }

    #[test]
    fn config_envs_keep_audited_first() {
        assert_eq!(
            config_envs(&["sit".into(), "prod".into()]),
            vec!["sit", "prod", "local", "unittest"]
        );
    }
}
