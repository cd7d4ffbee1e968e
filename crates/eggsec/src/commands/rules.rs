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
        "{:<8} {:<42} {:<11} {:<9} {:<18} {}\n",
        "CODE", "NAME", "STRATEGY", "SEVERITY", "FIX", "CHECKS"
    );
    let mut rules: Vec<_> = RULES.iter().map(|r| r.meta()).collect();
    rules.sort_by_key(|m| (m.strategy, m.code));
    for m in rules {
        out.push_str(&format!(
            "{:<8} {:<42} {:<11} {:<9} {:<18} {}\n",
            m.code,
            m.name,
            m.strategy.as_str(),
            m.severity.as_str(),
            eggsec_fix::fix_for(m.code).map_or_else(|| "-".to_string(), |f| f.kind.label()),
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
    let mut text = eggsec_rules::docs::render_rule_markdown(rule.meta());
    if let Some(f) = eggsec_fix::fix_for(rule.meta().code) {
        text.push_str(&format!(
            "\n## Automatic fix\n\n`eggsec {}`: {}.\n",
            match f.kind {
                eggsec_fix::FixKind::Scaffold(name) => format!("scaffold {name} --write"),
                _ => format!("fix --rule {} --write", rule.meta().code),
            },
            f.what
        ));
    }
    super::emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}
