//! `eggsec deps`: the inventory, advisories with dependency paths and upgrades, versions
//! behind latest (registry from the user's npm configuration), and the version ledger.

use crate::cli::{DepsArgs, DepsFormat};
use anyhow::{bail, Context, Result};
use eggsec_deps::analyze::{self, DepsReport};
use eggsec_deps::db::Database;
use eggsec_deps::registry::{self, Registry};
use eggsec_report::{AppReport, Finding, Location, Report, Severity};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: DepsArgs) -> Result<ExitCode> {
    let fail_on: Severity = args.fail_on.parse().map_err(anyhow::Error::msg)?;
    if !args.path.join("package.json").is_file() {
        bail!("{}: no package.json here", args.path.display());
    }
    let db = database(args.advisories.as_deref())?;
    let settings = eggsec_rules::config::Settings::load(&args.path);
    for d in &settings.diagnostics {
        eprintln!("eggsec: warning: {d}");
    }
    let mut report = if args.online {
        with_bulk_advisories(&args.path, db)
    } else {
        analyze::analyze(&args.path, db)
    };
    if args.omit.contains(&crate::cli::OmitArg::Dev) {
        analyze::omit_dev(&mut report);
    }
    let ignores: Vec<analyze::Ignore> = settings
        .advisories
        .ignore
        .iter()
        .map(|i| analyze::Ignore {
            id: i.id.clone(),
            reason: i.reason.clone(),
            until: i.until_day(),
        })
        .collect();
    let today = eggsec_deps::dates::format_rfc3339(eggsec_deps::dates::now())[..10].to_string();
    analyze::apply_ignores(&mut report, &ignores, &today);
    let max_age = args
        .max_db_age
        .or(settings.advisories.max_age_days)
        .unwrap_or(7);
    if let Some(days) = eggsec_deps::update::age_days(db, eggsec_deps::dates::now()) {
        report.database = format!("{}, updated {days} days ago", report.database);
        if days > i64::from(max_age) {
            report.problems.push(format!(
                "the advisory database is {days} days old (more than {max_age}): run `eggsec advisories update`"
            ));
        }
    }
    let nothing_to_read = [
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "node_modules",
    ]
    .iter()
    .all(|f| !args.path.join(f).exists());
    if report.format.is_none() && nothing_to_read && !args.allow_no_lockfile {
        for p in &report.problems {
            eprintln!("eggsec: warning: {p}");
        }
        bail!(
            "{}: could not check dependencies: no lockfile (package-lock.json, npm-shrinkwrap.json, \
             yarn.lock, pnpm-lock.yaml) and no node_modules. Run `npm install` (or your package \
             manager) and commit the lockfile, or pass --allow-no-lockfile to report nothing checked",
            args.path.display()
        );
    }
    online(
        &mut report,
        &args.path,
        db,
        args.offline,
        args.all,
        args.jobs,
    );

    let mut notes = String::new();
    if args.diff || args.record {
        let old = eggsec_deps::ledger::read(&args.path).map_err(anyhow::Error::msg)?;
        if args.record && (report.format.is_none() || report.packages.is_empty()) {
            for p in &report.problems {
                eprintln!("eggsec: error: {p}");
            }
            anyhow::bail!(
                "nothing recorded: the installed versions could not be read (see above), and an empty record would say every package was removed"
            );
        }
        for p in eggsec_deps::ledger::history_problems(&args.path) {
            eprintln!("eggsec: warning: {p}");
        }
        let changes = if args.record {
            let now = eggsec_deps::dates::format_rfc3339(eggsec_deps::dates::now());
            eggsec_deps::ledger::record(&args.path, &report.lockfile, &report.packages, &now)
                .map_err(anyhow::Error::msg)?
        } else {
            eggsec_deps::ledger::diff(old.as_ref(), &report.packages)
        };
        let since = old
            .as_ref()
            .map(|l| format!("since {}", l.recorded_at))
            .unwrap_or_else(|| "no earlier record".into());
        let _ = writeln!(notes, "\nChanges ({since}):");
        if changes.is_empty() {
            let _ = writeln!(notes, "  none");
        }
        for c in &changes {
            let role = c
                .egg_role
                .as_deref()
                .map(|r| format!(" [{r}]"))
                .unwrap_or_default();
            let _ = writeln!(
                notes,
                "  {:<10} {}{role}: {} -> {}",
                c.kind,
                c.package,
                c.from.as_deref().unwrap_or("-"),
                c.to.as_deref().unwrap_or("-")
            );
        }
        if args.record {
            let _ = writeln!(
                notes,
                "Recorded .eggsec/versions.json and .eggsec/history.jsonl"
            );
        }
    }

    let text = match args.format {
        DepsFormat::Json => {
            let mut v = serde_json::to_value(&report).expect("plain data");
            if let Some(o) = v.as_object_mut() {
                o.remove("root");
            }
            serde_json::to_string_pretty(&v)? + "\n"
        }
        DepsFormat::Sarif => sarif(&report, &args.path)?,
        DepsFormat::Html => {
            let command = format!(
                "eggsec deps {}{} --format html",
                super::html::shell_word(&args.path.display().to_string()),
                if args.offline { " --offline" } else { "" }
            );
            let mut doc = super::html::document("Egg.js dependencies", command);
            doc.dependencies = Some(super::html::dependency_section(&report));
            eggsec_report::render_html(&as_report(&report, &args.path), &doc, &Default::default())
        }
        DepsFormat::Text => render_text(&report) + &notes,
    };
    for p in &report.problems {
        eprintln!("eggsec: warning: {p}");
    }
    super::emit(&text, args.output.as_deref())?;
    let failed = report
        .vulnerabilities
        .iter()
        .any(|v| !v.dev && v.severity >= fail_on);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `deps --online`: the lockfile's packages are also sent to the registry's bulk advisory
/// endpoint; its records that the OSV database does not have (by id or alias) are added
/// before matching, so they get the same dependency paths and upgrades.
fn with_bulk_advisories(root: &Path, db: &Database) -> DepsReport {
    let inv = eggsec_deps::inventory::inventory(root);
    let mut problems = Vec::new();
    let mut combined = Database::new(db.advisories().to_vec(), db.source.clone(), Vec::new());
    combined.meta = db.meta.clone();
    match registry::resolve_config(root) {
        Err(e) => problems.push(format!("--online: {e}")),
        Ok(config) => {
            let reg = Registry::new(config, None, false);
            let mut asked: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
                Default::default();
            for p in &inv.packages {
                asked
                    .entry(p.name.clone())
                    .or_default()
                    .insert(p.version.clone());
            }
            match eggsec_deps::bulk::query(&reg, &asked) {
                Ok(extra) => {
                    let n = combined.add_missing(extra);
                    combined.source =
                        format!("{} + {n} from the registry's bulk endpoint", db.source);
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    let combined: &'static Database = Box::leak(Box::new(combined));
    let mut report = analyze::analyze_inventory(root, inv, combined);
    report.problems.extend(problems);
    report
}

/// The advisory database: `--advisories PATH`, else the installed or embedded one.
pub fn database(path: Option<&Path>) -> Result<&'static Database> {
    match path {
        Some(p) => {
            let db =
                Database::load_path(p).with_context(|| format!("--advisories {}", p.display()))?;
            Ok(Box::leak(Box::new(db)))
        }
        None => Ok(eggsec_deps::db::installed()),
    }
}

/// Registry work: upgrades for vulnerable paths and versions behind latest. An unreachable
/// or unconfigured registry becomes a problem line; the rest of the report stands.
pub fn online(
    report: &mut DepsReport,
    root: &Path,
    db: &Database,
    offline: bool,
    all: bool,
    jobs: usize,
) {
    let config = match registry::resolve_config(root) {
        Ok(c) => c,
        Err(e) => {
            if !offline {
                report.problems.push(e.to_string());
            }
            return;
        }
    };
    let reg = Registry::new(
        config,
        Some(registry::cache_dir().join("registry")),
        offline,
    );
    let registry_url = reg.config.url.clone();
    let net = reg.config.net.clone();
    let before = report.problems.len();
    analyze::suggest_upgrades(report, &reg, db);
    analyze::outdated(report, &reg, all, jobs);
    fold_unreachable(report, before, &registry_url, &net);
    if offline {
        // Cache misses are expected offline: say it once.
        let before = report.problems.len();
        report.problems.retain(|p| !p.contains("--offline forbids"));
        if report.problems.len() != before {
            report
                .problems
                .push("--offline: registry data only where cached".into());
        }
    }
}

/// When the registry cannot be reached (connection, DNS, TLS or proxy failure), says it once,
/// with the settings in use, instead of once per package.
fn fold_unreachable(
    report: &mut DepsReport,
    from: usize,
    url: &str,
    net: &eggsec_deps::net::NetConfig,
) {
    let unreachable = |p: &str| {
        let l = p.to_ascii_lowercase();
        p.contains(url.trim_end_matches('/'))
            && [
                "connect",
                "refused",
                "timed out",
                "timeout",
                "dns",
                "resolve",
                "certificate",
                "tls",
                "proxy",
                "io:",
                "unreachable",
                "reset",
            ]
            .iter()
            .any(|w| l.contains(w))
    };
    let failed: Vec<String> = report.problems[from..]
        .iter()
        .filter(|p| unreachable(p))
        .cloned()
        .collect();
    if failed.is_empty() {
        return;
    }
    let mut kept: Vec<String> = report.problems[..from].to_vec();
    kept.extend(
        report.problems[from..]
            .iter()
            .filter(|p| !unreachable(p))
            .cloned(),
    );
    let first = &failed[0];
    let reason = first
        .split_once(url.trim_end_matches('/'))
        .map(|(_, rest)| rest.split_once(": ").map_or(rest, |(_, r)| r))
        .unwrap_or(first);
    let proxy = match &net.proxy {
        Some((p, source)) => format!("proxy {} (from {source})", eggsec_deps::net::redact_url(p)),
        None => "no proxy".to_string(),
    };
    let trust = if net.strict_ssl {
        let mut t = match &net.system_store {
            Some(s) => format!("system CAs {}", s.display()),
            None => "built-in CAs".to_string(),
        };
        for f in &net.ca_files {
            t.push_str(&format!(" + {}", f.display()));
        }
        if !net.ca_inline.is_empty() {
            t.push_str(" + npm `ca`");
        }
        t
    } else {
        "strict-ssl=false".to_string()
    };
    kept.push(format!(
        "cannot reach the npm registry {url}: {reason} ({} request{} failed; {proxy}; {trust}). \
         Upgrades and versions behind latest were not checked; advisories come from the local \
         database. Set HTTPS_PROXY/NO_PROXY or npm's proxy, https-proxy, cafile, ca, or \
         NODE_EXTRA_CA_CERTS — or pass --offline.",
        failed.len(),
        if failed.len() == 1 { "" } else { "s" }
    ));
    report.problems = kept;
}

fn render_text(r: &DepsReport) -> String {
    let mut s = String::new();
    let format = r.format.map(|f| f.as_str()).unwrap_or("none");
    let _ = writeln!(
        s,
        "{} packages from {} ({format}); advisories: {}",
        r.packages.len(),
        if r.lockfile.is_empty() {
            "-"
        } else {
            &r.lockfile
        },
        r.database
    );
    let eggs: Vec<_> = r.packages.iter().filter(|p| p.egg_role.is_some()).collect();
    if !eggs.is_empty() {
        let _ = writeln!(s, "\nEgg packages:");
        for p in eggs {
            let _ = writeln!(
                s,
                "  {:<28} {:<12} {:<9} {}{}:{}",
                p.name,
                p.version,
                p.egg_role.map(|r| r.as_str()).unwrap_or(""),
                if p.dev { "dev " } else { "" },
                p.lockfile,
                p.line
            );
        }
    }
    let _ = writeln!(s, "\nVulnerabilities: {}", r.vulnerabilities.len());
    if !r.ignored.is_empty() {
        let _ = writeln!(s, "  ({} ignored in eggsec.toml:", r.ignored.len());
        for i in &r.ignored {
            let until = i
                .until
                .as_deref()
                .map(|u| format!(" until {u}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "    {} {}@{}{until}: {})",
                i.id, i.package, i.version, i.reason
            );
        }
    }
    for v in &r.vulnerabilities {
        let dev = if v.dev { " (dev)" } else { "" };
        let _ = writeln!(
            s,
            "  {} {} {}@{}{dev}  {}:{}\n    {}",
            v.severity.as_str().to_uppercase(),
            v.id,
            v.package,
            v.version,
            v.lockfile,
            v.line,
            v.summary
        );
        let _ = writeln!(
            s,
            "    fixed in: {}",
            v.fixed.as_deref().unwrap_or("no fixed version")
        );
        if let Some(day) = &v.ignore_expired {
            let _ = writeln!(
                s,
                "    an ignore in eggsec.toml expired on {day}: fix it, or renew the ignore with a reason"
            );
        }
        for (path, via) in v.paths.iter().zip(&v.via) {
            let egg = via
                .egg_package
                .as_ref()
                .map(|e| format!(" [egg package: {e}]"))
                .unwrap_or_default();
            let up = via
                .upgrade
                .as_ref()
                .map(|u| format!("; upgrade {} to {u}", via.direct))
                .unwrap_or_default();
            let _ = writeln!(s, "    path: {}{egg}{up}", path.join(" > "));
        }
    }
    if !r.outdated.is_empty() {
        let _ = writeln!(s, "\nBehind latest:");
        for o in &r.outdated {
            let mut notes = Vec::new();
            if let Some(d) = o.days_since_installed_release {
                notes.push(format!("installed release {d} days old"));
            }
            if let Some(n) = &o.node_engine {
                notes.push(format!("latest needs node {n}"));
            }
            if let Some(d) = &o.deprecated {
                notes.push(format!("DEPRECATED: {d}"));
            }
            if let Some(e) = &o.end_of_life {
                notes.push(format!("END OF LIFE: {e}"));
            }
            let _ = writeln!(
                s,
                "  {:<28} {:<12} -> {:<12} {:<6} {}",
                o.name,
                o.installed,
                o.latest,
                o.behind,
                notes.join("; ")
            );
        }
    }
    if !r.problems.is_empty() {
        let _ = writeln!(s, "\nProblems:");
        for p in &r.problems {
            let _ = writeln!(s, "  {p}");
        }
    }
    s
}

/// One SARIF rule per advisory (its id, e.g. `GHSA-…`), so GitHub ranks each by its own CVSS
/// score (`security-severity`); the rule's docs are `vulnerable-egg-package`'s.
fn sarif(r: &DepsReport, root: &Path) -> Result<String> {
    let meta = eggsec_rules::find_rule("vulnerable-egg-package")
        .expect("registered")
        .meta();
    let base = eggsec_rules::docs::descriptor(meta);
    let mut rules: Vec<eggsec_report::RuleDescriptor> = Vec::new();
    let findings: Vec<Finding> = r
        .vulnerabilities
        .iter()
        .map(|v| {
            if !rules.iter().any(|d| d.code == v.id) {
                rules.push(eggsec_report::RuleDescriptor {
                    code: v.id.clone(),
                    default_severity: v.severity,
                    short_description: format!("{}: {}", v.id, v.summary),
                    full_description: format!(
                        "{} ({}) affects {}. {}",
                        v.id, v.url, v.package, base.full_description
                    ),
                    ..base.clone()
                });
            }
            vuln_finding(v, v.id.as_str(), meta)
                .with_cvss(v.cvss.as_deref().and_then(eggsec_deps::cvss::base_score_v3))
        })
        .collect();
    let report = one_app(r, root, findings);
    let opts = super::sarif_options("deps", root)?;
    Ok(eggsec_report::render_sarif_with(&report, &rules, &opts))
}

/// The vulnerabilities as `vulnerable-egg-package` findings of a one-app report.
fn as_report(r: &DepsReport, root: &Path) -> Report {
    let meta = eggsec_rules::find_rule("vulnerable-egg-package")
        .expect("registered")
        .meta();
    let findings = (r.vulnerabilities.iter())
        .map(|v| vuln_finding(v, meta.code, meta))
        .collect();
    one_app(r, root, findings)
}

/// One vulnerability as a finding under `code` (the rule's, or the advisory's id in SARIF).
fn vuln_finding(v: &analyze::Vulnerability, code: &str, meta: &eggsec_rules::RuleMeta) -> Finding {
    let mut evidence = vec![format!("{} {}@{}", v.id, v.package, v.version)];
    evidence.extend(v.paths.iter().map(|p| p.join(" > ")));
    Finding::new(
        code,
        meta.name,
        meta.strategy,
        v.severity,
        format!("{} {} has {}: {}", v.package, v.version, v.id, v.summary),
        Location::File {
            path: v.lockfile.clone(),
            line: v.line,
            column: 0,
        },
    )
    .with_evidence(evidence)
    .with_remediation(match &v.fixed {
        Some(f) => format!("Upgrade `{}` to {f} or later.", v.package),
        None => format!("No fixed version of `{}` is known.", v.package),
    })
}

/// A report of one app (the deps root) holding `findings` and the run's problems.
fn one_app(r: &DepsReport, root: &Path, findings: Vec<Finding>) -> Report {
    Report {
        apps: vec![AppReport {
            root: root.display().to_string(),
            env: String::new(),
            findings,
            posture: Vec::new(),
            diagnostics: r.problems.clone(),
        }],
    }
}
