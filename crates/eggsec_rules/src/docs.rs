//! Rule documentation: the Markdown of one rule (`eggsec rule ID`, `docs/rules/<name>.md`), the
//! index (`docs/rules/README.md`), and the SARIF rule descriptors — all generated from
//! [`RuleMeta`], so they cannot drift from the code. A test fails when `docs/rules` is stale.

use crate::catalog::{Entry, Kind};
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
    for (title, kind) in [
        (
            "Live probe checks (`eggsec probe`, `audit --probe`)",
            "probe",
        ),
        ("Log detectors (`eggsec logs scan`, `audit --logs`)", "logs"),
    ] {
        let _ = writeln!(out, "## {title}\n");
        out.push_str(
            "| Code | Name | Strategy | Severity | What it finds |\n|---|---|---|---|---|\n",
        );
        for e in crate::catalog::all().iter().filter(|e| e.source() == kind) {
            let _ = writeln!(
                out,
                "| `{}` | [{}]({}.md) | {} | {} | {} |",
                e.code,
                e.name,
                e.name,
                e.strategy,
                e.severity,
                e.summary().replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The Markdown documentation of any rule: a static rule, a probe check or a log detector.
pub fn render_entry_markdown(e: &Entry) -> String {
    match e.kind {
        Kind::Static(meta) => render_rule_markdown(meta),
        Kind::Probe(p) => {
            let mut out = String::new();
            let _ = writeln!(out, "# {} (`{}`)\n", p.name, p.code);
            let _ = writeln!(
                out,
                "| Strategy | Severity (at most) | Reported by |\n|---|---|---|\n| {} ({}) | {} | `eggsec probe URL`{} and `eggsec audit --probe URL` |\n",
                p.strategy.title(),
                p.strategy,
                p.severity,
                if p.active { " --active" } else { "" }
            );
            let _ = writeln!(out, "## What it finds\n\n{}\n", p.what);
            let _ = writeln!(
                out,
                "The probe looks at what the running app (and any proxy in front of it) really answers, \
                 so this finding holds whatever the static config says. The same problem seen on \
                 several URLs is one finding; the evidence lists what was sent back."
            );
            let fix = match eggsec_probe::findings::observatory_fix_for_code(p.code) {
                Some(fix) => fix.to_string(),
                None => "Each finding's remediation names the egg config (or middleware) that fixes it for this app; \
                         fix it there rather than at the proxy, so every environment gets it."
                    .to_string(),
            };
            let _ = writeln!(out, "\n## How to fix\n\n{fix}");
            let _ = writeln!(out, "\n{}", configure_line(p.code, p.name));
            out
        }
        Kind::Log(l) => {
            use eggsec_logs::rules::Family;
            let mut out = String::new();
            let _ = writeln!(out, "# {} (`{}`)\n", l.name, l.code);
            let _ = writeln!(
                out,
                "| Strategy | Severity | Reported by |\n|---|---|---|\n| {} (logging) | {} | `eggsec logs scan DIR` and `eggsec audit --logs DIR` |\n",
                Strategy::Logging.title(),
                l.severity
            );
            let _ = writeln!(
                out,
                "## What it finds\n\n{}.\n",
                l.title.trim_end_matches('.')
            );
            let fix = match l.family {
                Family::Secret | Family::PersonalData => format!(
                    "Stop writing it: log an id instead of the value, or mask it before logging; list the \
                     config keys that hold it in `config.dump.ignore`. Clean the logs already written with \
                     `eggsec logs redact FILE --in-place` (it writes `[REDACTED:{}]`).",
                    if l.label.is_empty() { l.name } else { l.label }
                ),
                Family::Storage => "Fix where and how the logs are kept: the finding names the file or directory and \
                     what is wrong with it (permissions, owner, rotation, retention); change it on the host and in \
                     `config.logger` / `config.logrotator`."
                    .to_string(),
                Family::SecurityEvent => "Investigate the requests the evidence lists (IP, path, time); if they are an attack, \
                     block them at the proxy and check the routes they targeted. Keep the logs: they are the evidence."
                    .to_string(),
            };
            let _ = writeln!(out, "## How to fix\n\n{fix}");
            let _ = writeln!(out, "\n{}", configure_line(l.code, l.name));
            out
        }
    }
}

fn configure_line(code: &str, name: &str) -> String {
    format!(
        "Change its severity or turn it off in `eggsec.toml`: `[rules] \"{name}\" = \"off\"` (or `{code} = \"low\"`)."
    )
}

/// Every generated file as `(file name, contents)`: one per rule (static, probe and log), plus
/// `README.md`.
pub fn generated_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = crate::catalog::all()
        .iter()
        .map(|e| {
            (
                format!("{}.md", e.name),
                format!("{GENERATED_MARKER}\n\n{}", render_entry_markdown(e)),
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
        confidence: meta.confidence,
        tags: crate::taxonomy::tags(meta.code, meta.strategy),
        short_description: first_sentence(meta.docs.what),
        full_description: format!("{} {}", prose(meta.docs.what), prose(meta.docs.why)),
        help_markdown: render_rule_markdown(meta),
    }
}

/// SARIF descriptions of every registered rule.
pub fn descriptors() -> Vec<RuleDescriptor> {
    RULES.iter().map(|r| descriptor(r.meta())).collect()
}

/// SARIF descriptions of every rule: static rules, probe checks and log detectors.
pub fn all_descriptors() -> Vec<RuleDescriptor> {
    crate::catalog::all()
        .iter()
        .map(|e| match e.kind {
            Kind::Static(meta) => descriptor(meta),
            _ => {
                let markdown = render_entry_markdown(e);
                RuleDescriptor {
                    code: e.code.to_string(),
                    name: e.name.to_string(),
                    strategy: e.strategy,
                    default_severity: e.severity,
                    confidence: eggsec_report::Confidence::High,
                    short_description: e.summary(),
                    full_description: e.summary(),
                    help_markdown: markdown,
                    tags: crate::taxonomy::tags(e.code, e.strategy),
                }
            }
        })
        .collect()
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
pub(crate) fn first_sentence(text: &str) -> String {
    let text = prose(text);
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text,
    }
}
