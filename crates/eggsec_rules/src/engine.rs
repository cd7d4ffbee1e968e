//! `engine::run`: every registered rule over one app model, then the user's settings
//! (severity overrides, ignored paths), inline suppressions, the posture, the baseline, and a
//! stable order.

use crate::config::{RuleSetting, Settings};
use crate::context::{relative_to, RuleContext};
use crate::posture::{self, RuleResult};
use crate::registry::RULES;
use crate::suppress::{Suppressions, Verdict};
use crate::{Rule, RuleMeta};
use eggsec_app::AppModel;
use eggsec_report::{AppReport, Finding, Severity};
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Audits one app model with every registered rule.
pub fn run(app: &AppModel, settings: &Settings) -> AppReport {
    run_rules(app, RULES, settings)
}

/// What one rule produced.
struct Outcome {
    meta: &'static RuleMeta,
    severity: Severity,
    findings: Vec<Finding>,
    facts: Vec<String>,
    /// Counts in the posture (see [`RuleContext::not_applicable`]); a rule with findings
    /// always does.
    applicable: bool,
    /// Why the rule could not assess its control (it read config that is not known).
    not_assessed: Option<String>,
    /// Why the rule's pass is not certain (it read config a plugin eggsec cannot see may
    /// change): the posture says "not fully assessed".
    uncertain: Option<String>,
}

/// Audits one app model with every registered rule, and folds checks made elsewhere (a live
/// probe, a log scan) into the findings and the posture.
pub fn run_with_external(
    app: &AppModel,
    settings: &Settings,
    external: &[posture::ExternalCheck],
) -> AppReport {
    run_rules_with(app, RULES, settings, external)
}

/// Audits one app model with the given rules (tests run a chosen few).
pub fn run_rules(app: &AppModel, rules: &[&dyn Rule], settings: &Settings) -> AppReport {
    run_rules_with(app, rules, settings, &[])
}

fn run_rules_with(
    app: &AppModel,
    rules: &[&dyn Rule],
    settings: &Settings,
    external: &[posture::ExternalCheck],
) -> AppReport {
    let root = app.root.display().to_string();
    let mut diagnostics: Vec<String> = app
        .diagnostics
        .iter()
        .map(|d| {
            let level = d.level.label();
            match &d.file {
                Some(file) if d.line > 0 => format!(
                    "{level}: {}:{}: {}",
                    relative_to(&app.root, &file.to_string_lossy()),
                    d.line,
                    d.message
                ),
                Some(file) => {
                    format!(
                        "{level}: {}: {}",
                        relative_to(&app.root, &file.to_string_lossy()),
                        d.message
                    )
                }
                None => format!("{level}: {}", d.message),
            }
        })
        .collect();
    diagnostics.extend(settings.diagnostics.iter().cloned());
    for key in settings.rules.keys() {
        if crate::catalog::find(key).is_none() {
            diagnostics.push(format!(
                "eggsec.toml: [rules] names \"{key}\", which is not a rule (see `eggsec rules`)"
            ));
        }
    }

    let ran: Vec<(&dyn Rule, Severity)> = rules
        .iter()
        .filter_map(|r| match settings.rule_setting(r.meta()) {
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::Severity(s)) => Some((*r, s)),
            None => Some((*r, r.meta().severity)),
        })
        .collect();

    // on the large-stack pool: rules that parse code (plugin usage) do it in place
    let cache = crate::source_text::RunCache::default();
    let results: Vec<Result<Outcome, String>> = eggsec_js::stack::install(|| {
        ran.par_iter()
            .map(|(rule, severity)| {
                let meta = rule.meta();
                let mut cx = RuleContext::with_cache(app, settings, meta, &cache);
                let started = eggsec_js::timing::enabled().then(std::time::Instant::now);
                let ((ran, unknown), doubtful) = eggsec_app::model::uncertain_reads(|| {
                    eggsec_app::model::unknown_reads(|| {
                        catch_unwind(AssertUnwindSafe(|| rule.check(&mut cx)))
                    })
                });
                if let Some(t) = started {
                    eggsec_js::timing::add_detail(meta.code, t);
                }
                ran.map_err(|panic| {
                    let why = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    format!(
                    "error: rule {} {} crashed ({why}); its result is missing — please report this",
                    meta.code, meta.name
                )
                })?;
                // A rule that found nothing but read config that is not statically known did not
                // assess its control: it is "not assessed", never a pass.
                let not_assessed = match unknown.first() {
                    Some((path, why)) if cx.findings().is_empty() => Some(format!(
                        "not assessed: {} (`{path}` is not known: {why})",
                        meta.control
                    )),
                    _ => None,
                };
                let applicable =
                    (cx.is_applicable() && not_assessed.is_none()) || !cx.findings().is_empty();
                let (mut findings, facts) = cx.into_parts();
                let uncertain = doubtful
                    .first()
                    .map(|(path, why)| (format!("`{path}` {why}"), findings.is_empty()));
                if let Some((why, _)) = &uncertain {
                    lower_confidence(&mut findings, why);
                }
                let uncertain = uncertain
                    .filter(|(_, pass)| *pass)
                    .map(|(why, _)| format!("not fully assessed: {} ({why})", meta.control));
                Ok(Outcome {
                    meta,
                    severity: *severity,
                    findings,
                    facts,
                    applicable,
                    not_assessed,
                    uncertain,
                })
            })
            .collect()
    });

    let mut suppressions = Suppressions::new(&app.root);
    let mut outcomes = Vec::with_capacity(results.len());
    for result in results {
        let mut outcome = match result {
            Ok(outcome) => outcome,
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                continue;
            }
        };
        let overridden = settings.rule_setting(outcome.meta).is_some();
        outcome.findings.retain_mut(|f| {
            if overridden {
                f.severity = outcome.severity;
            }
            if f.location.path().is_some_and(|p| settings.is_ignored(p)) {
                return false;
            }
            match suppressions.check(f) {
                Verdict::Keep => true,
                Verdict::Suppressed { .. } => false,
                Verdict::MissingReason { line } => {
                    let path = f.location.path().unwrap_or_default();
                    let message = format!(
                        "{path}:{line}: `eggsec-ignore` for {} has no reason, so it does not suppress; \
                         write `// eggsec-ignore {}: <why this is safe>`",
                        f.name, f.name
                    );
                    if !diagnostics.contains(&message) {
                        diagnostics.push(message);
                    }
                    true
                }
            }
        });
        outcomes.push(outcome);
    }

    let posture = posture::compute_with(
        &outcomes
            .iter()
            .filter(|o| o.applicable)
            .map(|o| RuleResult {
                meta: o.meta,
                severity: o.severity,
                findings: &o.findings,
                facts: &o.facts,
            })
            .collect::<Vec<_>>(),
        external,
    );

    let mut posture = posture;
    for o in &outcomes {
        let Some(line) = o.not_assessed.as_ref().or(o.uncertain.as_ref()) else {
            continue;
        };
        if let Some(row) = posture.iter_mut().find(|r| r.strategy == o.meta.strategy) {
            if row.status == eggsec_report::PostureStatus::NotAssessed {
                row.missing
                    .retain(|m| !m.starts_with("not assessed by this version"));
            }
            // A strategy with controls not assessed is never shown as fully implemented.
            if row.status == eggsec_report::PostureStatus::Implemented {
                row.status = eggsec_report::PostureStatus::Partial;
            }
            if !row.missing.contains(line) {
                row.missing.push(line.clone());
            }
        }
    }

    let mut findings: Vec<Finding> = outcomes
        .into_iter()
        .flat_map(|o| o.findings)
        .chain(external.iter().flat_map(|e| e.findings.iter().cloned()))
        .collect();
    // Probe and log findings follow `eggsec.toml` too (they are folded in above unchanged so the
    // posture still sees what the probe saw; what is reported follows the settings).
    let external_count = external.iter().map(|e| e.findings.len()).sum::<usize>();
    let first_external = findings.len() - external_count;
    let mut i = first_external;
    while i < findings.len() {
        if apply_settings(settings, &mut findings[i]) {
            i += 1;
        } else {
            findings.remove(i);
        }
    }
    if let Some(baseline) = &settings.baseline {
        findings.retain(|f| !baseline.contains(&f.fingerprint));
    }
    sort_findings(&mut findings);
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.location == b.location);

    AppReport {
        root,
        env: app.env.clone(),
        findings,
        posture,
        diagnostics,
    }
}

/// A finding that rests on config a plugin eggsec cannot see may change (`why`: "`path` may
/// be changed by plugin ..."): one step less confident, and the message says why. The
/// fingerprint stays (the same finding with or without `node_modules`).
fn lower_confidence(findings: &mut [Finding], why: &str) {
    use eggsec_report::Confidence;
    for f in findings {
        f.confidence = match f.confidence {
            Confidence::High => Confidence::Medium,
            Confidence::Medium | Confidence::Low => Confidence::Low,
        };
        f.message.push_str(&format!(" (confidence lowered: {why})"));
    }
}

/// Most severe first, then by file, line, column, rule.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.path().cmp(&b.location.path()))
            .then_with(|| a.location.line().cmp(&b.location.line()))
            .then_with(|| a.location.column().cmp(&b.location.column()))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// Applies the `eggsec.toml` severity override and `ignore` paths to a finding made outside the
/// static rules (a probe or log finding); false when it is dropped.
pub fn apply_settings(settings: &Settings, f: &mut Finding) -> bool {
    match settings.setting_for(&f.rule, &f.name) {
        Some(RuleSetting::Off) => return false,
        Some(RuleSetting::Severity(s)) => f.severity = s,
        None => {}
    }
    !f.location.path().is_some_and(|p| settings.is_ignored(p))
}
