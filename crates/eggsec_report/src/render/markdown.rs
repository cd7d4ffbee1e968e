//! The posture document a reviewer pastes into a ticket: a summary table, then for each of the
//! eight strategies its "Currently Implemented" / "Missing Implementation" lists (the shape of
//! the seed document), then a findings table.

use super::md_cell;
use crate::finding::Strategy;
use crate::report::{severity_counts, AppReport, PostureStatus, Report};
use std::fmt::Write as _;

/// Renders the report as GitHub-flavoured Markdown.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    for (i, app) in report.apps.iter().enumerate() {
        if i > 0 {
            out.push_str("\n---\n\n");
        }
        render_app(&mut out, app);
    }
    if report.apps.is_empty() {
        out.push_str("# Egg.js security posture\n\nNo app audited.\n");
    }
    out
}

fn render_app(out: &mut String, app: &AppReport) {
    let _ = writeln!(
        out,
        "# Egg.js security posture: `{}` (env: `{}`)\n",
        app.root, app.env
    );
    let counts = severity_counts(&app.findings);
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(
        out,
        "{} findings: {}.\n",
        app.findings.len(),
        parts.join(", ")
    );
    if let Some(notice) = app.partial_notice() {
        let _ = writeln!(out, "> **{}**\n", md_cell(&notice));
    }

    out.push_str("| # | Strategy | Status | Score |\n|---|---|---|---|\n");
    for (n, row) in app.posture.iter().enumerate() {
        let score = match row.status {
            PostureStatus::NotAssessed => "–".to_string(),
            _ => format!("{}/100", row.score),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            n + 1,
            md_cell(row.strategy.title()),
            row.status.label(),
            score
        );
    }

    for (n, row) in app.posture.iter().enumerate() {
        let _ = writeln!(out, "\n## {}. {}\n", n + 1, row.strategy.title());
        match row.status {
            PostureStatus::NotAssessed => {
                let _ = writeln!(out, "**Status:** Not assessed by this version of eggsec.");
                continue;
            }
            status => {
                let _ = writeln!(out, "**Status:** {} ({}/100)", status.label(), row.score);
            }
        }
        out.push_str("\n**Currently Implemented:**\n\n");
        bullet_list(out, &row.evidence, "Nothing found in place.");
        out.push_str("\n**Missing Implementation:**\n\n");
        bullet_list(out, &row.missing, "Nothing missing found.");
    }

    out.push_str("\n## Findings\n\n");
    if app.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        out.push_str(
            "| Severity | Rule | Strategy | Location | Message |\n|---|---|---|---|---|\n",
        );
        for f in &app.findings {
            let _ = writeln!(
                out,
                "| {} | `{}` {} | {} | `{}` | {} |",
                f.severity,
                f.rule,
                md_cell(&f.name),
                f.strategy,
                md_cell(&f.location.to_string()).replace('`', "'"),
                md_cell(&f.message)
            );
        }
        for strategy in Strategy::ALL {
            let with_fix: Vec<_> = app
                .findings
                .iter()
                .filter(|f| f.strategy == strategy && !f.remediation.is_empty())
                .collect();
            if with_fix.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n### How to fix: {}\n", strategy.title());
            for f in with_fix {
                let _ = writeln!(
                    out,
                    "- **`{}` {}** ({}): {}\n",
                    f.rule, f.name, f.location, f.message
                );
                // Remediation is Markdown (prose, code in fences): indent it into the item.
                for line in f.remediation.lines() {
                    if line.is_empty() {
                        out.push('\n');
                    } else {
                        let _ = writeln!(out, "  {line}");
                    }
                }
            }
        }
    }

    if !app.diagnostics.is_empty() {
        out.push_str("\n## Diagnostics\n\n");
        for d in &app.diagnostics {
            let _ = writeln!(out, "- {}", md_cell(d));
        }
    }
}

fn bullet_list(out: &mut String, items: &[String], empty: &str) {
    if items.is_empty() {
        let _ = writeln!(out, "* {empty}");
    }
    for item in items {
        let _ = writeln!(out, "* {}", item.replace(['\r', '\n'], " "));
    }
}
