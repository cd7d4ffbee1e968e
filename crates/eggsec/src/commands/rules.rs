//! `eggsec rules` and `eggsec rule ID`: the rule list and one rule's docs in the terminal.

use crate::cli::{RuleArgs, RulesArgs};
use anyhow::{bail, Context, Result};
use eggsec_rules::RULES;
use std::process::ExitCode;

pub fn list(args: RulesArgs) -> Result<ExitCode> {
    if let Some(dir) = args.write_docs {
        eggsec_rules::docs::write_all(&dir)
            .with_context(|| format!("writing docs to {}", dir.display()))?;
        eprintln!("wrote {} rule docs to {}", RULES.len(), dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{:<8} {:<42} {:<11} {:<9} {}\n",
        "CODE", "NAME", "STRATEGY", "SEVERITY", "CHECKS"
    );
    let mut rules: Vec<_> = RULES.iter().map(|r| r.meta()).collect();
    rules.sort_by_key(|m| (m.strategy, m.code));
    for m in rules {
        out.push_str(&format!(
            "{:<8} {:<42} {:<11} {:<9} {}\n",
            m.code,
            m.name,
            m.strategy.as_str(),
            m.severity.as_str(),
            m.control
        ));
    }
    super::emit(&out, None)?;
    Ok(ExitCode::SUCCESS)
}

pub fn show(args: RuleArgs) -> Result<ExitCode> {
    let Some(rule) = eggsec_rules::find_rule(&args.id) else {
        bail!("no rule '{}' (see `eggsec rules`)", args.id);
    };
    super::emit(&eggsec_rules::docs::render_rule_markdown(rule.meta()), None)?;
    Ok(ExitCode::SUCCESS)
}
