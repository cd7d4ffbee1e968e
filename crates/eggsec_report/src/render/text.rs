//! The terminal report: the posture table and a short "fix these first" list, then the
//! findings, most severe (and most certain) first, with code frames, the problems met folded
//! into one line (listed with `verbose`), then a summary line.

use crate::finding::{Finding, Location, Severity};
use crate::render::frames::Frames;
use crate::report::{severity_counts, AppReport, PostureStatus, Report};
use owo_colors::{OwoColorize, Style};
use std::fmt::Write as _;
use std::path::Path;

/// Reads the text of a source file, for code frames. Given the app root joined with the
/// finding's relative path. [`read_source`] reads from disk.
pub type SourceLookup<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// Options of [`render_text`].
#[derive(Clone, Copy, Default)]
pub struct TextOptions<'a> {
    /// ANSI colours (for a terminal).
    pub color: bool,
    /// Where to read sources for code frames; `None` prints no frames.
    pub code_frames: Option<SourceLookup<'a>>,
    /// List every diagnostic instead of one folded line.
    pub verbose: bool,
    /// Findings only: no posture, no "fix these first", no diagnostics, no summary.
    pub quiet: bool,
}

/// How many findings the "Fix these first" list shows.
const FIX_FIRST: usize = 5;

/// A [`SourceLookup`] that reads the file from disk (`None` when it cannot be read).
pub fn read_source(path: &Path) -> Option<String> {
    let bytes = crate::input::read_limited(path, MAX_FRAME_SOURCE_BYTES).ok()?;
    String::from_utf8(bytes).ok()
}

/// Sources above this size get no code frame.
const MAX_FRAME_SOURCE_BYTES: u64 = 8 * 1024 * 1024;

/// Code-frame lines are cut to this many characters around the column.
const FRAME_WIDTH: usize = 160;

/// Lines of context shown above and below the offending line.
const FRAME_CONTEXT: usize = 1;

struct Painter<'a> {
    color: bool,
    /// Each source read and masked once per report (a file with thousands of findings).
    frames: Frames<'a>,
}

impl Painter<'_> {
    fn paint(&self, text: &str, style: Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    }
    fn severity(&self, severity: Severity) -> String {
        let style = match severity {
            Severity::Critical => Style::new().bold().bright_red(),
            Severity::High => Style::new().red(),
            Severity::Medium => Style::new().yellow(),
            Severity::Low => Style::new().cyan(),
            Severity::Info => Style::new().dimmed(),
        };
        self.paint(&format!("{:<8}", severity.as_str()), style)
    }
    fn status(&self, status: PostureStatus) -> String {
        let style = match status {
            PostureStatus::Implemented => Style::new().green(),
            PostureStatus::Partial => Style::new().yellow(),
            PostureStatus::Missing => Style::new().red(),
            PostureStatus::NotAssessed => Style::new().dimmed(),
        };
        self.paint(&format!("{:<13}", status.as_str()), style)
    }
}

/// Renders the whole report for a terminal.
pub fn render_text(report: &Report, options: &TextOptions<'_>) -> String {
    let painter = Painter {
        color: options.color,
        frames: Frames::new(report, options.code_frames, FRAME_CONTEXT),
    };
    let mut out = String::new();
    for (i, app) in report.apps.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_app(&mut out, app, options, &painter);
    }
    if report.apps.is_empty() {
        out.push_str("No app audited.\n");
    }
    out
}

fn render_app(out: &mut String, app: &AppReport, options: &TextOptions<'_>, p: &Painter<'_>) {
    let bold = Style::new().bold();
    let mut findings: Vec<&Finding> = app.findings.iter().collect();
    // Most severe first, then most certain (stable: file and line order stays within).
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.confidence.cmp(&a.confidence))
    });
    if !options.quiet {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                &format!("eggsec audit: {} (env: {})", app.root, app.env),
                bold
            )
        );
        out.push('\n');
        if let Some(notice) = app.partial_notice() {
            let _ = writeln!(out, "{}\n", p.paint(&notice, Style::new().bold().red()));
        }
        let _ = writeln!(out, "{}", p.paint("Posture", bold));
        out.push_str("  strategy    status        score  title\n");
        for row in &app.posture {
            let score = match row.status {
                PostureStatus::NotAssessed => "-".to_string(),
                _ => row.score.to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<11} {} {:>5}  {}",
                row.strategy.as_str(),
                p.status(row.status),
                score,
                row.strategy.title()
            );
        }
        let first: Vec<&&Finding> = findings
            .iter()
            .filter(|f| f.severity >= Severity::Medium)
            .take(FIX_FIRST)
            .collect();
        if !first.is_empty() {
            out.push('\n');
            let _ = writeln!(out, "{}", p.paint("Fix these first", bold));
            for (i, f) in first.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "  {}. {} {} {}  {}",
                    i + 1,
                    p.severity(f.severity),
                    p.paint(&f.rule, Style::new().bold()),
                    f.name,
                    f.location
                );
            }
        }
    }

    if !findings.is_empty() {
        if !options.quiet {
            out.push('\n');
            let heading = format!("Findings ({})", findings.len());
            let _ = writeln!(out, "{}", p.paint(&heading, bold));
        }
        for f in &findings {
            render_finding(out, f, &app.root, p);
        }
    }
    if options.quiet {
        return;
    }

    if !app.diagnostics.is_empty() {
        out.push('\n');
        if options.verbose {
            let _ = writeln!(out, "{}", p.paint("Diagnostics", bold));
            for d in &app.diagnostics {
                let _ = writeln!(out, "  - {d}");
            }
        } else {
            let n = app.diagnostics.len();
            let errors = app
                .diagnostics
                .iter()
                .filter(|d| d.starts_with("error"))
                .count();
            let _ = writeln!(
                out,
                "{} {n} problem{} met while auditing{} (--verbose lists them)",
                p.paint("Diagnostics:", bold),
                if n == 1 { "" } else { "s" },
                if errors > 0 {
                    format!(", {errors} error{}", if errors == 1 { "" } else { "s" })
                } else {
                    String::new()
                }
            );
        }
    }

    out.push('\n');
    let counts = severity_counts(&app.findings);
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let total = app.findings.len();
    let noun = if total == 1 { "finding" } else { "findings" };
    let _ = writeln!(
        out,
        "{}",
        p.paint(&format!("{total} {noun}: {}", parts.join(", ")), bold)
    );
}

fn render_finding(out: &mut String, f: &Finding, root: &str, p: &Painter<'_>) {
    out.push('\n');
    let _ = writeln!(
        out,
        "  {} {} {}  {}",
        p.severity(f.severity),
        p.paint(&f.rule, Style::new().bold()),
        f.name,
        f.message
    );
    let _ = writeln!(
        out,
        "    {} {}  {}",
        p.paint("-->", Style::new().blue()),
        f.location,
        p.paint(
            &format!("({}, confidence {})", f.strategy, f.confidence),
            Style::new().dimmed()
        )
    );
    if let Location::File { path, line, column } = &f.location {
        if *line > 0 {
            if let Some(lines) = p.frames.lines(root, path) {
                code_frame(out, &lines, *line as usize, *column as usize, p);
            }
        }
    }
    for e in &f.evidence {
        let _ = writeln!(
            out,
            "    {} {e}",
            p.paint("evidence:", Style::new().dimmed())
        );
    }
    if !f.remediation.is_empty() {
        let _ = writeln!(out, "    {}", p.paint("fix:", Style::new().green()));
        for line in f.remediation.lines() {
            if line.trim().is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
}

/// Prints the offending line with [`FRAME_CONTEXT`] lines around it, a line-number gutter,
/// and a caret under `column` (1-based, in characters; 0 = no caret). Tabs show as 4 spaces;
/// lines are already masked ([`crate::mask::mask_source`]) and are cut to [`FRAME_WIDTH`]
/// characters around the column.
fn code_frame(out: &mut String, lines: &[String], line: usize, column: usize, p: &Painter<'_>) {
    if line == 0 || line > lines.len() {
        return;
    }
    let first = line.saturating_sub(FRAME_CONTEXT).max(1);
    let last = (line + FRAME_CONTEXT).min(lines.len());
    let width = last.to_string().len();
    let gutter = Style::new().blue();
    // The window of characters shown: FRAME_WIDTH wide, starting a little before the column.
    let start = column.saturating_sub(1).saturating_sub(FRAME_WIDTH / 4);
    let _ = writeln!(out, "    {} {}", " ".repeat(width), p.paint("|", gutter));
    for n in first..=last {
        let raw = &lines[n - 1];
        let text = cut(raw, start, FRAME_WIDTH).replace('\t', "    ");
        let marker = if n == line { ">" } else { " " };
        let number = format!("{marker}{n:>width$} |");
        let _ = writeln!(out, "   {} {}", p.paint(&number, gutter), text.trim_end());
        if n == line && column > 0 {
            let skipped = if start > 0 { 1 } else { 0 }; // the leading `…`
            let prefix: String = raw
                .chars()
                .skip(start)
                .take(column.saturating_sub(1).saturating_sub(start))
                .collect();
            let pad = prefix.replace('\t', "    ").chars().count() + skipped;
            let _ = writeln!(
                out,
                "    {} {}{}",
                " ".repeat(width),
                p.paint("|", gutter),
                p.paint(&format!(" {}^", " ".repeat(pad)), Style::new().bold().red())
            );
        }
    }
}

/// `width` characters of `line` from character `start`, with `…` where it was cut.
fn cut(line: &str, start: usize, width: usize) -> String {
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut chars = line.chars().skip(start);
    out.extend(chars.by_ref().take(width));
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod mask_tests {
    use crate::mask::mask_source_line;

    #[test]
    fn frames_never_show_secrets() {
        assert_eq!(
            mask_source_line("    secret: 'shop-api-jwt-secret-change-me',"),
            "    secret: 'sh****(29 chars)',"
        );
        assert_eq!(
            mask_source_line("  config.keys = appInfo.name + '_1712345678901_8312';"),
            "  config.keys = appInfo.name + '_1****(19 chars)';"
        );
        assert_eq!(
            mask_source_line("  url: 'mysql://root:hunter22@db/shop',"),
            "  url: 'mysql://root:****(8 chars)@db/shop',"
        );
        assert_eq!(
            mask_source_line("  host: '127.0.0.1',"),
            "  host: '127.0.0.1',"
        );
    }

    #[test]
    fn frames_show_the_lines_of_the_whole_masked_file() {
        use super::{code_frame, render_text, Frames, Painter, Path, TextOptions};
        use crate::{AppReport, Finding, Report};
        // a secret context opened above every frame, and a PEM block that ends below one
        let src = "const x = {\n  password: [\n    'first-secret-aaaa',\n    'second-secret-bbbb',\n  ],\n};\nconst cert = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n-----END PRIVATE KEY-----';\nconst a = 1;\nconst b = 2;\n";
        let n = src.lines().count();
        let at = |line: u32, path: &str| crate::render::frames::finding_at(path, line);
        let app = |root: &str, findings: Vec<Finding>| AppReport {
            root: root.into(),
            env: "prod".into(),
            findings,
            posture: Vec::new(),
            diagnostics: Vec::new(),
        };
        // the same file from two apps (`/r` + `a/x.js`, `/r/a` + `x.js`): the first app's
        // frames are near the top, the second's at the end and past it
        let report = Report {
            apps: vec![
                app("/r", vec![at(3, "a/x.js"), at(4, "a/x.js")]),
                app(
                    "/r/a",
                    vec![
                        at(10, "x.js"),
                        at(n as u32, "x.js"),
                        at(n as u32 + 4, "x.js"),
                        at(4, "y.js"),
                    ],
                ),
            ],
        };
        let lookup = |p: &Path| {
            (p == Path::new("/r/a/x.js") || p == Path::new("/r/a/y.js")).then(|| src.to_string())
        };
        let options = TextOptions {
            color: false,
            code_frames: Some(&lookup),
            quiet: true,
            ..Default::default()
        };
        let out = render_text(&report, &options);
        let painter = Painter {
            color: false,
            frames: Frames::new(&Report::default(), None, 0),
        };
        let whole = crate::mask::mask_source(src);
        // the file's own line numbers, below the PEM block too
        assert_eq!(whole.len(), n);
        assert_eq!(whole[n - 2], "const a = 1;");
        for (file, line) in [("x", 3), ("x", 4), ("x", 10), ("x", n), ("y", 4)] {
            let mut frame = format!("{file}.js:{line}:1  (csrf, confidence high)\n");
            code_frame(&mut frame, &whole, line, 1, &painter);
            assert!(
                out.contains(&frame),
                "{file} {line}:\n{frame}\nnot in\n{out}"
            );
        }
        for secret in ["first-secret", "second-secret", "MIIEvQIBADAN"] {
            assert!(!out.contains(secret), "{secret} in\n{out}");
        }
        // five frames; none for the line past the end of the file
        let marked = out.lines().filter(|l| l.trim_start().starts_with('>'));
        assert_eq!(marked.count(), 5, "{out}");
    }

    #[test]
    fn frames_are_cut_to_a_width() {
        let long = "x".repeat(100_000);
        let cut = super::cut(&long, 50_000, super::FRAME_WIDTH);
        assert!(cut.chars().count() <= super::FRAME_WIDTH + 2);
    }
}
