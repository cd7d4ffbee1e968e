//! `eggsec rules` and `eggsec rule ID`: every rule (static, probe, log) and one rule's docs,
//! rendered for a terminal.

use crate::cli::{RuleArgs, RulesArgs};
use anyhow::{bail, Context, Result};
use eggsec_rules::catalog;
use std::process::ExitCode;

pub fn list(args: RulesArgs) -> Result<ExitCode> {
    if let Some(dir) = args.write_docs {
        eggsec_rules::docs::write_all(&dir)
            .with_context(|| format!("writing docs to {}", dir.display()))?;
        eprintln!(
            "wrote {} rule docs to {}",
            catalog::all().len(),
            dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{:<8} {:<42} {:<11} {:<9} {:<6} {:<18} {}\n",
        "CODE", "NAME", "STRATEGY", "SEVERITY", "RUN BY", "FIX", "CHECKS"
    );
    let mut rules = catalog::all();
    // Static rules by strategy, then the probe's checks, then the log detectors.
    rules.sort_by_key(|e| (e.source() != "audit", e.source(), e.strategy, e.code));
    for e in rules {
        let checks = match e.kind {
            catalog::Kind::Static(m) => m.control.to_string(),
            _ => e.summary(),
        };
        out.push_str(&format!(
            "{:<8} {:<42} {:<11} {:<9} {:<6} {:<18} {}\n",
            e.code,
            e.name,
            e.strategy.as_str(),
            e.severity.as_str(),
            e.source(),
            eggsec_fix::fix_for(e.code).map_or_else(|| "-".to_string(), |f| f.kind.label()),
            checks
        ));
    }
    super::emit(&out, None)?;
    Ok(ExitCode::SUCCESS)
}

pub fn show(args: RuleArgs) -> Result<ExitCode> {
    let Some(entry) = catalog::find(&args.id) else {
        match catalog::suggest(&args.id) {
            Some(near) => bail!(
                "no rule '{}' — did you mean '{near}'? (`eggsec rules` lists them)",
                args.id
            ),
            None => bail!("no rule '{}' (`eggsec rules` lists them)", args.id),
        }
    };
    let mut markdown = eggsec_rules::docs::render_entry_markdown(&entry);
    if let Some(f) = eggsec_fix::fix_for(entry.code) {
        markdown.push_str(&format!(
            "\n## Automatic fix\n\n`eggsec {}`: {}.\n",
            match f.kind {
                eggsec_fix::FixKind::Scaffold(name) => format!("scaffold {name} --write"),
                _ => format!("fix --rule {} --write", entry.code),
            },
            f.what
        ));
    }
    let text = if args.markdown {
        markdown
    } else {
        terminal(&markdown)
    };
    super::emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

/// Renders the rule Markdown for a terminal: headings as underlined titles, tables as
/// `key: value` lines, code blocks indented, inline backticks dropped.
pub fn terminal(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    let mut table: Vec<Vec<String>> = Vec::new();
    let flush_table = |table: &mut Vec<Vec<String>>, out: &mut String| {
        if table.len() >= 2 {
            let header = table[0].clone();
            for row in &table[1..] {
                for (k, v) in header.iter().zip(row) {
                    out.push_str(&format!("  {k}: {v}\n"));
                }
            }
        }
        table.clear();
    };
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str(&format!("    {line}\n"));
            continue;
        }
        if line.starts_with('|') {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split(" | ")
                .map(|c| inline(c.trim()))
                .collect();
            // The delimiter row (`|---|:--:|`) is no row of the table.
            let delimiter = line.chars().all(|ch| matches!(ch, '|' | '-' | ':' | ' '));
            if !delimiter {
                table.push(cells);
            }
            continue;
        }
        flush_table(&mut table, &mut out);
        if let Some(title) = line.strip_prefix("# ") {
            let title = inline(title);
            out.push_str(&format!("{title}\n{}\n", "=".repeat(title.chars().count())));
        } else if let Some(title) = line.strip_prefix("## ") {
            let title = inline(title);
            out.push_str(&format!("{title}\n{}\n", "-".repeat(title.chars().count())));
        } else {
            out.push_str(&inline(line));
            out.push('\n');
        }
    }
    flush_table(&mut table, &mut out);
    out
}

/// Drops Markdown inline markup: backticks, `**`, and `[text](link)` → `text`.
fn inline(s: &str) -> String {
    let s = s.replace("**", "").replace('`', "");
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find('[') {
        let after = &rest[i + 1..];
        match after
            .find("](")
            .and_then(|j| after[j..].find(')').map(|k| (j, j + k)))
        {
            Some((j, end)) => {
                out.push_str(&rest[..i]);
                out.push_str(&after[..j]);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[..=i]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_terminal_text() {
        let t = terminal("# csrf-disabled (`CSRF001`)\n\n| A | B |\n|---|---|\n| x | y |\n\n## Fix\n\n```js\nconfig.x = 1;\n```\nSee [docs](a.md).\n");
        assert!(t.starts_with("csrf-disabled (CSRF001)\n======"), "{t}");
        assert!(t.contains("  A: x\n  B: y\n"), "{t}");
        assert!(
            !t.contains("--|"),
            "the delimiter row printed as a row: {t}"
        );
        let three = terminal("| A | B | C |\n|---|:---:|---|\n| x | y | z |\n");
        assert_eq!(three, "  A: x\n  B: y\n  C: z\n");
        assert!(t.contains("    config.x = 1;\n"), "{t}");
        assert!(t.contains("See docs."), "{t}");
        assert!(!t.contains('`'));
    }
}
