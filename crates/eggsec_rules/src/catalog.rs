//! Every rule eggsec reports, wherever it runs: the static rules ([`crate::RULES`]), the probe's
//! checks (`PRB…`, `eggsec_probe::catalog`) and the log detectors (`LGS…`,
//! `eggsec_logs::rules`). `eggsec rules`, `eggsec rule X`, the doc pages and the `eggsec.toml`
//! validation all read this one list.

use crate::registry::RULES;
use crate::RuleMeta;
use eggsec_report::{Severity, Strategy};

/// Where a rule runs.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A static rule over the app model (`eggsec audit`).
    Static(&'static RuleMeta),
    /// A check of `eggsec probe` (and `audit --probe`).
    Probe(&'static eggsec_probe::catalog::ProbeRule),
    /// A detector of `eggsec logs scan` (and `audit --logs`).
    Log(&'static eggsec_logs::rules::RuleInfo),
}

/// One rule, whatever kind.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub code: &'static str,
    pub name: &'static str,
    pub strategy: Strategy,
    pub severity: Severity,
    pub kind: Kind,
}

impl Entry {
    /// One sentence: what it finds.
    pub fn summary(&self) -> String {
        match self.kind {
            Kind::Static(m) => crate::docs::first_sentence(m.docs.what),
            Kind::Probe(p) => p.what.to_string(),
            Kind::Log(l) => format!("{}.", l.title.trim_end_matches('.')),
        }
    }

    /// `static`, `probe` or `logs`: the command that reports it.
    pub fn source(&self) -> &'static str {
        match self.kind {
            Kind::Static(_) => "audit",
            Kind::Probe(_) => "probe",
            Kind::Log(_) => "logs",
        }
    }
}

/// Every rule: static rules first (registry order), then probe checks, then log detectors.
pub fn all() -> Vec<Entry> {
    let mut out: Vec<Entry> = RULES
        .iter()
        .map(|r| {
            let m = r.meta();
            Entry {
                code: m.code,
                name: m.name,
                strategy: m.strategy,
                severity: m.severity,
                kind: Kind::Static(m),
            }
        })
        .collect();
    out.extend(eggsec_probe::catalog::ALL.iter().map(|p| Entry {
        code: p.code,
        name: p.name,
        strategy: p.strategy,
        severity: p.severity,
        kind: Kind::Probe(p),
    }));
    out.extend(eggsec_logs::rules::ALL.iter().map(|l| Entry {
        code: l.code,
        name: l.name,
        strategy: Strategy::Logging,
        severity: l.severity,
        kind: Kind::Log(l),
    }));
    out
}

/// The rule with this code (any case) or name.
pub fn find(id: &str) -> Option<Entry> {
    let id = id.trim();
    all()
        .into_iter()
        .find(|e| e.code.eq_ignore_ascii_case(id) || e.name == id)
}

/// Every code and name, for did-you-mean suggestions.
pub fn all_ids() -> Vec<&'static str> {
    all().into_iter().flat_map(|e| [e.code, e.name]).collect()
}

/// The rule name nearest to a mistyped `id`, if one is close.
pub fn suggest(id: &str) -> Option<&'static str> {
    crate::config::nearest(id, all_ids())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_across_kinds() {
        let all = all();
        let mut codes: Vec<_> = all.iter().map(|e| e.code).collect();
        let mut names: Vec<_> = all.iter().map(|e| e.name).collect();
        codes.sort();
        codes.dedup();
        names.sort();
        names.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(names.len(), all.len());
        assert_eq!(find("prb301").unwrap().name, "cookie-without-secure");
        assert_eq!(find("password-in-log").unwrap().code, "LGS101");
        assert_eq!(suggest("csrf-disabeld"), Some("csrf-disabled"));
    }
}
