//! The eight-strategy posture: for each strategy, from the rules of that strategy that ran, what
//! is in place (controls that passed, facts the rules saw), what is missing (the findings), a
//! 0–100 score and a status.
//!
//! * score = 100 × (weight of passing rules) / (weight of all rules that ran), a rule weighing
//!   by its severity: critical 8, high 5, medium 3, low 1, info 0.5 — a failing rule counts once
//!   per finding, up to three times;
//! * status: `implemented` when the score is ≥ 90 and no finding is high or critical;
//!   `missing` when the score is < 40 or any finding is critical; `partial` otherwise;
//!   `not-assessed` when no rule of this version covers the strategy.

use crate::RuleMeta;
use eggsec_report::{Finding, Posture, PostureStatus, Severity, Strategy};

/// What one rule contributed to its strategy's posture.
pub struct RuleResult<'a> {
    pub meta: &'static RuleMeta,
    /// The rule's severity after `eggsec.toml` overrides.
    pub severity: Severity,
    /// Its findings after suppressions and ignored paths.
    pub findings: &'a [Finding],
    pub facts: &'a [String],
}

/// How much a rule of this severity counts in its strategy's score.
pub fn weight(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 8.0,
        Severity::High => 5.0,
        Severity::Medium => 3.0,
        Severity::Low => 1.0,
        Severity::Info => 0.5,
    }
}

/// One row per strategy, in [`Strategy::ALL`] order.
pub fn compute(results: &[RuleResult<'_>]) -> Vec<Posture> {
    compute_with(results, &[])
}

/// A check that ran outside the static rules — a live probe test, a log scan detector — with
/// its findings, counted in its strategy's posture like a rule (`eggsec audit --probe/--logs`).
#[derive(Clone, Debug)]
pub struct ExternalCheck {
    pub strategy: Strategy,
    pub severity: Severity,
    /// What passing means, phrased positively ("Live responses send HSTS").
    pub control: String,
    pub findings: Vec<Finding>,
    pub facts: Vec<String>,
}

/// Like [`compute`], with external checks counted beside the rules.
pub fn compute_with(results: &[RuleResult<'_>], external: &[ExternalCheck]) -> Vec<Posture> {
    let items: Vec<Item<'_>> = results
        .iter()
        .map(|r| Item {
            strategy: r.meta.strategy,
            control: r.meta.control,
            severity: r.severity,
            findings: r.findings,
            facts: r.facts,
        })
        .chain(external.iter().map(|e| Item {
            strategy: e.strategy,
            control: &e.control,
            severity: e.severity,
            findings: &e.findings,
            facts: &e.facts,
        }))
        .collect();
    Strategy::ALL
        .into_iter()
        .map(|strategy| {
            let rules: Vec<&Item<'_>> = items.iter().filter(|r| r.strategy == strategy).collect();
            strategy_posture(strategy, &rules)
        })
        .collect()
}

/// One scored control: a rule's result or an external check.
struct Item<'a> {
    strategy: Strategy,
    control: &'a str,
    severity: Severity,
    findings: &'a [Finding],
    facts: &'a [String],
}

fn strategy_posture(strategy: Strategy, rules: &[&Item<'_>]) -> Posture {
    if rules.is_empty() {
        return Posture::not_assessed(strategy);
    }
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    let (mut passing, mut total) = (0.0, 0.0);
    for rule in rules {
        // A control failed in several places weighs more than one slip (up to three times).
        let failures = rule.findings.len().clamp(1, 3) as f64;
        total += weight(rule.severity) * failures;
        if rule.findings.is_empty() {
            passing += weight(rule.severity);
            // A rule's facts say what it saw ("HSTS max-age is 365 days"): more specific than
            // its generic control, which is shown only when the rule recorded none.
            if rule.facts.is_empty() {
                push_unique(&mut evidence, rule.control);
            }
        }
    }
    for fact in rules.iter().flat_map(|r| r.facts) {
        push_unique(&mut evidence, fact);
    }
    for finding in rules.iter().flat_map(|r| r.findings) {
        push_unique(&mut missing, &finding.message);
    }
    let score = (100.0 * passing / total).round().clamp(0.0, 100.0) as u8;
    let worst = rules
        .iter()
        .flat_map(|r| r.findings)
        .map(|f| f.severity)
        .max();
    let status = if score < 40 || worst == Some(Severity::Critical) {
        PostureStatus::Missing
    } else if score >= 90 && worst.is_none_or(|s| s < Severity::High) {
        PostureStatus::Implemented
    } else {
        PostureStatus::Partial
    };
    Posture {
        strategy,
        status,
        score,
        evidence,
        missing,
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleDocs;
    use eggsec_report::{Confidence, Location};

    const DOCS: RuleDocs = RuleDocs {
        what: "w",
        why: "y",
        bad: "b",
        good: "g",
        fix: "f",
    };
    static HIGH: RuleMeta = RuleMeta {
        code: "T001",
        name: "t-high",
        strategy: Strategy::Csrf,
        severity: Severity::High,
        confidence: Confidence::High,
        control: "high control",
        docs: DOCS,
    };
    static LOW: RuleMeta = RuleMeta {
        code: "T002",
        name: "t-low",
        strategy: Strategy::Csrf,
        severity: Severity::Low,
        confidence: Confidence::High,
        control: "low control",
        docs: DOCS,
    };

    fn finding(meta: &RuleMeta, severity: Severity) -> Finding {
        Finding::new(
            meta.code,
            meta.name,
            meta.strategy,
            severity,
            "msg",
            Location::App { root: "/a".into() },
        )
    }

    /// The high rule and the low rule with these findings, at their own severities.
    fn pair<'a>(
        high: &'a [Finding],
        low: &'a [Finding],
        high_facts: &'a [String],
    ) -> [RuleResult<'a>; 2] {
        let result = |meta: &'static RuleMeta, findings, facts| RuleResult {
            meta,
            severity: meta.severity,
            findings,
            facts,
        };
        [result(&HIGH, high, high_facts), result(&LOW, low, &[])]
    }

    fn csrf(results: &[RuleResult<'_>]) -> Posture {
        compute(results).remove(
            Strategy::ALL
                .iter()
                .position(|s| *s == Strategy::Csrf)
                .unwrap(),
        )
    }

    #[test]
    fn a_rule_failing_in_several_places_weighs_more() {
        let three = vec![
            finding(&LOW, Severity::Low),
            finding(&LOW, Severity::Low),
            finding(&LOW, Severity::Low),
        ];
        let row = csrf(&pair(&[], &three, &[]));
        // 5 passing of 5 + 3 × 1.
        assert_eq!(row.score, 63);
        assert_eq!(row.status, PostureStatus::Partial);
    }

    #[test]
    fn all_passing_is_implemented_and_other_strategies_not_assessed() {
        let facts = vec!["token type ctoken".to_string()];
        let rows = compute(&pair(&[], &[], &facts));
        assert_eq!(rows.len(), 8);
        let row = &rows[4];
        assert_eq!((row.status, row.score), (PostureStatus::Implemented, 100));
        // The high rule recorded a fact, which stands in for its generic control.
        assert_eq!(row.evidence, ["low control", "token type ctoken"]);
        assert_eq!(rows[0].status, PostureStatus::NotAssessed);
    }

    #[test]
    fn weights_and_statuses() {
        let high = [finding(&HIGH, Severity::High)];
        let low = [finding(&LOW, Severity::Low)];
        // High rule fails: 1 / 6 → 17 → missing.
        let row = csrf(&pair(&high, &[], &[]));
        assert_eq!((row.status, row.score), (PostureStatus::Missing, 17));
        assert_eq!(row.missing, ["msg"]);
        // Low rule fails: 5 / 6 → 83 → partial.
        let row = csrf(&pair(&[], &low, &[]));
        assert_eq!((row.status, row.score), (PostureStatus::Partial, 83));
        // A critical finding is always missing.
        let critical = [finding(&LOW, Severity::Critical)];
        let row = csrf(&pair(&[], &critical, &[]));
        assert_eq!(row.status, PostureStatus::Missing);
    }
}
