//! Rule documentation: the Markdown of one rule (`eggsec rule ID`, `docs/rules/<name>.md`), the
//! index (`docs/rules/README.md`), and the SARIF rule descriptors — all generated from
//! [`RuleMeta`], so they cannot drift from the code. A test fails when `docs/rules` is stale.

use crate::registry::RULES;
use crate::RuleMeta;
use eggsec_report::{RuleDescriptor, Strategy};
use std::fmt::Write as _;
use std::path::Path;

/// First line of every generated file; [`write_all`] only deletes files that carry it.
pub const GENERATED_MARKER: &str =
    "<!-- Generated from the rule sources by `eggsec rules --write-docs docs/rules`. Do not edit. -->";

/// The Markdown documentation of one rule.
pub fn render_rule_markdown(meta: &RuleMeta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} (`{}`)\n", meta.name, meta.code);
    let _ = writeln!(
        out,
        "| Strategy | Default severity | Confidence |\n|---|---|---|\n| {} ({}) | {} | {} |\n",
        meta.strategy.title(),
        meta.strategy,
        meta.severity,
        meta.confidence
    );
    let _ = writeln!(
        out,
        "Control checked: {}.\n",
        meta.control.trim_end_matches('.')
    );
    let _ = writeln!(out, "## What it finds\n\n{}\n", block(meta.docs.what));
    let _ = writeln!(out, "## Why it matters\n\n{}\n", block(meta.docs.why));
    let _ = writeln!(
        out,
        "## Example\n\nBad:\n\n```js\n{}\n```\n",
        block(meta.docs.bad)
    );
    let _ = writeln!(out, "Good:\n\n```js\n{}\n```\n", block(meta.docs.good));
    let _ = writeln!(out, "## How to fix\n\n{}", block(meta.docs.fix));
    if let Some((_, name, keys)) = crate::config::RULE_OPTIONS
        .iter()
        .find(|(code, _, _)| *code == meta.code)
    {
        let _ = writeln!(
            out,
            "\n## Options\n\nIn `eggsec.toml` (each a list of strings; unknown keys are reported):\n\n```toml\n[options.{name}]\n{}\n```\n",
            keys.iter()
                .map(|(k, _)| format!("{k} = []"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        for (k, help) in *keys {
            let _ = writeln!(out, "- `{k}`: {help}.");
        }
    }
    let _ = writeln!(
        out,
        "\nSuppress one occurrence with `// eggsec-ignore {}: <reason>` on the line or the line above; \
         change its severity or turn it off in `eggsec.toml` (`[rules] \"{}\" = \"off\"`).",
        meta.name, meta.name
    );
    out
}

/// `docs/rules/README.md`: every rule, grouped by strategy.
pub fn render_index() -> String {
    let mut out = format!("{GENERATED_MARKER}\n\n# eggsec rules\n\n");
    let _ = writeln!(
        out,
        "Rules: {}. `eggsec rules` lists them, `eggsec rule <CODE|name>` prints one.\n",
        RULES.len()
    );
    for strategy in Strategy::ALL {
        let _ = writeln!(out, "## {} (`{}`)\n", strategy.title(), strategy);
        let metas: Vec<&RuleMeta> = RULES
            .iter()
            .map(|r| r.meta())
            .filter(|m| m.strategy == strategy)
            .collect();
        if metas.is_empty() {
            out.push_str("Not assessed by this version of eggsec.\n\n");
            continue;
        }
        out.push_str("| Code | Name | Severity | What it finds |\n|---|---|---|---|\n");
        for m in metas {
            let _ = writeln!(
                out,
                "| `{}` | [{}]({}.md) | {} | {} |",
                m.code,
                m.name,
                m.name,
                m.severity,
                first_sentence(m.docs.what).replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Every generated file as `(file name, contents)`: one per rule, plus `README.md`.
pub fn generated_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = RULES
        .iter()
        .map(|r| {
            let meta = r.meta();
            (
                format!("{}.md", meta.name),
                format!("{GENERATED_MARKER}\n\n{}", render_rule_markdown(meta)),
            )
        })
        .collect();
    files.push(("README.md".to_string(), render_index()));
    files
}

/// Writes every generated file into `dir` (created if needed) and deletes generated files of
/// rules that no longer exist.
pub fn write_all(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let files = generated_files();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let ours = path.extension().is_some_and(|e| e == "md")
            && std::fs::read_to_string(&path).is_ok_and(|t| t.starts_with(GENERATED_MARKER));
        if ours && !files.iter().any(|(n, _)| *n == name) {
            std::fs::remove_file(&path)?;
        }
    }
    for (name, contents) in files {
        std::fs::write(dir.join(name), contents)?;
    }
    Ok(())
}

/// The SARIF description of a rule.
pub fn descriptor(meta: &RuleMeta) -> RuleDescriptor {
    RuleDescriptor {
        code: meta.code.to_string(),
        name: meta.name.to_string(),
        strategy: meta.strategy,
        default_severity: meta.severity,
        short_description: first_sentence(meta.docs.what),
        full_description: format!("{} {}", prose(meta.docs.what), prose(meta.docs.why)),
        help_markdown: render_rule_markdown(meta),
    }
}

/// SARIF descriptions of every registered rule.
pub fn descriptors() -> Vec<RuleDescriptor> {
    RULES.iter().map(|r| descriptor(r.meta())).collect()
}

/// A docs section as one line of plain text (for SARIF descriptions).
fn prose(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A docs section (Markdown, or a code example) without surrounding blank lines, trailing
/// spaces and common indentation.
fn block(text: &str) -> String {
    let lines: Vec<&str> = text.trim_matches('\n').lines().collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first sentence of a docs paragraph (up to the first `. `).
fn first_sentence(text: &str) -> String {
    let text = prose(text);
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text,
    }
}
