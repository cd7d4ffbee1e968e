//! The HTML report (`--format html`): one self-contained file a reviewer can send to someone
//! else — no network, no external font or script; inline CSS, JS and SVG only, guarded by a
//! Content-Security-Policy that allows nothing but the inline style and script by hash.
//!
//! Content first: every section is plain semantic HTML that reads (and prints) without
//! JavaScript; the script only adds the findings filter (severity, strategy, rule, file,
//! confidence, text). Colours meet WCAG AA in light and dark mode (`prefers-color-scheme`),
//! and print switches to light colours without the filter controls.
//!
//! What the page shows, per audited app and env: the eight strategies as a bar chart (score,
//! status colour) with the seed document's "Currently implemented" / "Missing implementation"
//! lists, the trend per strategy and what was fixed and is new since the previous
//! `--record`, a "fix these first" list, the findings (code frame, source → sink path,
//! evidence, the egg fix and the `eggsec fix` command when there is one) and the plugin table;
//! then the effective security config per env with file:line provenance, the dependency
//! advisories with the egg package that pulls each in, the probe's Observatory tests and the
//! log scan summary — whichever the command produced, given in [`HtmlDocument`].
//!
//! Secrets: findings, evidence and config values arrive masked (as in every format); code
//! frames are masked here with the same function as the text report's.

use crate::finding::{Finding, Location, Severity, Strategy};
use crate::history::{compare, AuditRecord};
use crate::render::frames::Frames;
use crate::render::text::SourceLookup;
use crate::report::{severity_counts, AppReport, Posture, PostureStatus, Report};
use std::collections::BTreeSet;
use std::fmt::Write as _;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Lines of context above and below the offending line in a code frame.
const FRAME_CONTEXT: usize = 2;
/// Longest source line shown in a code frame (minified files have megabyte lines).
const FRAME_LINE_MAX: usize = 240;
/// How many rules the "Fix these first" list names.
const FIX_FIRST: usize = 5;

/// Everything the page shows besides the findings and posture of the [`Report`]. Every field
/// is optional: a section without data is left out.
#[derive(Clone, Debug, Default)]
pub struct HtmlDocument {
    /// The page's heading, e.g. "Egg.js security posture".
    pub title: String,
    /// The command that made the report (shown in the header).
    pub command: String,
    /// When, RFC 3339.
    pub generated_at: String,
    /// The eggsec version.
    pub version: String,
    /// Per app report, by index into `Report::apps`.
    pub apps: Vec<AppExtras>,
    /// The effective security config per app root, one column per env.
    pub config: Vec<ConfigTable>,
    pub dependencies: Option<DependencySection>,
    pub probe: Option<ProbeSection>,
    pub logs: Option<LogsSection>,
}

/// What belongs to one app report beside its findings.
#[derive(Clone, Debug, Default)]
pub struct AppExtras {
    pub plugins: Vec<PluginRow>,
    pub history: Option<HistoryView>,
}

/// One row of the plugin table.
#[derive(Clone, Debug, Default)]
pub struct PluginRow {
    pub name: String,
    /// `yes`, `yes (implied)`, `no`, `no (env)`.
    pub enabled: String,
    /// Package name or path.
    pub source: String,
    pub version: String,
    /// `yes`, `NO`, `kept`, `?`, `-` (the usage verdict).
    pub used: String,
    /// What the verdict rests on.
    pub evidence: String,
    /// The written justification from `eggsec.toml` (`[plugins.NAME] reason`).
    pub reason: Option<String>,
    /// The plugin.js entry that decided `enabled`, `file:line`.
    pub decided_by: String,
}

/// The app's earlier records (same env, oldest first) and this run's, for the trend and diff.
#[derive(Clone, Debug)]
pub struct HistoryView {
    /// The history file, as shown to the user.
    pub file: String,
    pub previous: Vec<AuditRecord>,
    pub current: AuditRecord,
    /// Whether this run was appended (`--record`).
    pub recorded: bool,
}

/// The effective value of security-relevant keys in several envs of one app.
#[derive(Clone, Debug, Default)]
pub struct ConfigTable {
    pub root: String,
    pub envs: Vec<String>,
    /// Where egg's defaults came from (node_modules or eggsec's embedded snapshot).
    pub defaults: String,
    pub rows: Vec<ConfigRow>,
}

/// One dotted key; one cell per env of its table: `(value, file:line)`, `None` when unset.
#[derive(Clone, Debug, Default)]
pub struct ConfigRow {
    pub key: String,
    pub cells: Vec<Option<(String, String)>>,
}

/// `eggsec deps`: the inventory summary, advisories and versions behind latest.
#[derive(Clone, Debug, Default)]
pub struct DependencySection {
    pub lockfile: String,
    pub database: String,
    pub packages: usize,
    /// `(name, version, role, lockfile:line)` of egg core, framework and plugins.
    pub egg_packages: Vec<(String, String, String, String)>,
    pub advisories: Vec<AdvisoryRow>,
    /// `(name, installed, latest, behind, notes)`.
    pub outdated: Vec<(String, String, String, String, String)>,
    pub problems: Vec<String>,
}

/// One advisory hit.
#[derive(Clone, Debug, Default)]
pub struct AdvisoryRow {
    pub id: String,
    pub severity: Option<Severity>,
    pub package: String,
    pub version: String,
    pub summary: String,
    pub fixed: Option<String>,
    pub dev: bool,
    /// The egg packages (core, framework, plugins) that pull it in.
    pub egg_packages: Vec<String>,
    /// Dependency paths, `a > b > c`.
    pub paths: Vec<String>,
    /// `lockfile:line`.
    pub location: String,
    /// Suggested upgrades of direct dependencies.
    pub upgrades: Vec<String>,
}

/// `eggsec probe`: the Observatory grade and its tests.
#[derive(Clone, Debug, Default)]
pub struct ProbeSection {
    pub target: String,
    pub algorithm_version: u32,
    pub score: i32,
    pub grade: String,
    pub tests: Vec<ObservatoryTest>,
    pub requests: usize,
    pub budget: usize,
    pub elapsed_ms: u64,
    pub notes: Vec<String>,
    pub errors: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ObservatoryTest {
    pub name: String,
    pub pass: bool,
    pub result: String,
    pub modifier: i32,
}

/// `eggsec logs scan`: what was read and what was found, by detector.
#[derive(Clone, Debug, Default)]
pub struct LogsSection {
    /// `(path, kind, lines, bytes)`.
    pub files: Vec<(String, String, u64, u64)>,
    pub total_lines: u64,
    pub total_bytes: u64,
    /// Findings per family (secret, personal data, security event).
    pub families: Vec<(String, usize)>,
    /// Matches per detector.
    pub detectors: Vec<(String, u64)>,
    /// The busiest client IPs.
    pub top_ips: Vec<(String, u64)>,
    pub errors: Vec<String>,
}

/// Gives the `eggsec fix ...` command that fixes a finding of an app report, when one exists.
pub type FixCommand<'a> = &'a dyn Fn(&AppReport, &Finding) -> Option<String>;

/// How the HTML renderer reaches outside the report.
#[derive(Clone, Copy, Default)]
pub struct HtmlOptions<'a> {
    /// Where to read sources for code frames (`<app root as shown>/<finding path>`).
    pub code_frames: Option<SourceLookup<'a>>,
    /// The `eggsec fix ...` command that fixes a finding, when one exists.
    pub fix_command: Option<FixCommand<'a>>,
}

/// Renders the report as one self-contained HTML page.
pub fn render_html(report: &Report, doc: &HtmlDocument, options: &HtmlOptions<'_>) -> String {
    let mut body = String::with_capacity(64 * 1024);
    let title = if doc.title.is_empty() {
        "Egg.js security report"
    } else {
        &doc.title
    };
    let subject = report
        .apps
        .first()
        .map(|a| a.root.clone())
        .or_else(|| doc.probe.as_ref().map(|p| p.target.clone()))
        .unwrap_or_default();

    body.push_str("<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
    let _ = write!(
        body,
        "<header class=\"top\"><h1>{}</h1><p class=\"meta\">",
        esc(title)
    );
    if !doc.command.is_empty() {
        let _ = write!(body, "<code>{}</code> ", esc(&doc.command));
    }
    if !doc.generated_at.is_empty() {
        let _ = write!(
            body,
            "· generated <time datetime=\"{0}\">{0}</time> ",
            esc(&doc.generated_at)
        );
    }
    if !doc.version.is_empty() {
        let _ = write!(body, "· eggsec {}", esc(&doc.version));
    }
    body.push_str("</p></header>\n");

    render_nav(&mut body, report, doc);
    body.push_str("<main id=\"main\" tabindex=\"-1\">\n");
    let frames = Frames::new(report, options.code_frames, FRAME_CONTEXT);
    for (i, app) in report.apps.iter().enumerate() {
        render_app(
            &mut body,
            i,
            app,
            doc.apps.get(i),
            report.apps.len() > 1,
            (options, &frames),
        );
    }
    for (n, table) in doc.config.iter().enumerate() {
        render_config(&mut body, n, table);
    }
    if let Some(d) = &doc.dependencies {
        render_dependencies(&mut body, d);
    }
    if let Some(p) = &doc.probe {
        render_probe(&mut body, p);
    }
    if let Some(l) = &doc.logs {
        render_logs(&mut body, l);
    }
    if report.apps.is_empty() && doc.dependencies.is_none() && doc.probe.is_none() {
        body.push_str("<p>Nothing was audited.</p>\n");
    }
    body.push_str("</main>\n<footer><p>Made by eggsec. Secrets are masked; this file loads nothing from the network.</p></footer>\n");

    let css_hash = csp_hash(CSS);
    let js_hash = csp_hash(JS);
    let mut out = String::with_capacity(body.len() + CSS.len() + JS.len() + 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
style-src '{css_hash}'; script-src '{js_hash}'; img-src data:; base-uri 'none'; form-action 'none'\">"
    );
    out.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
    let _ = writeln!(
        out,
        "<meta name=\"generator\" content=\"eggsec {}\">",
        esc(&doc.version)
    );
    let _ = writeln!(
        out,
        "<title>{}{}{}</title>",
        esc(title),
        if subject.is_empty() { "" } else { " — " },
        esc(&subject)
    );
    out.push_str("<link rel=\"icon\" href=\"data:,\">\n<style>");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str(&body);
    out.push_str("<script>");
    out.push_str(JS);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

fn render_nav(out: &mut String, report: &Report, doc: &HtmlDocument) {
    out.push_str("<nav class=\"toc\" aria-label=\"Contents\"><ul>\n");
    for (i, app) in report.apps.iter().enumerate() {
        let name = if report.apps.len() > 1 {
            format!("{} ({})", app.root, app.env)
        } else {
            String::new()
        };
        if !name.is_empty() {
            let _ = writeln!(
                out,
                "<li><a href=\"#a{i}\"><strong>{}</strong></a></li>",
                esc(&name)
            );
        }
        if assessed(app) {
            let _ = writeln!(out, "<li><a href=\"#a{i}-posture\">Posture</a></li>");
            let _ = writeln!(out, "<li><a href=\"#a{i}-first\">Fix these first</a></li>");
            let _ = writeln!(out, "<li><a href=\"#a{i}-strategies\">Strategies</a></li>");
        }
        if doc.apps.get(i).is_some_and(|x| x.history.is_some()) {
            let _ = writeln!(
                out,
                "<li><a href=\"#a{i}-history\">Since last record</a></li>"
            );
        }
        let _ = writeln!(
            out,
            "<li><a href=\"#a{i}-findings\">Findings ({})</a></li>",
            app.findings.len()
        );
        if doc.apps.get(i).is_some_and(|x| !x.plugins.is_empty()) {
            let _ = writeln!(out, "<li><a href=\"#a{i}-plugins\">Plugins</a></li>");
        }
    }
    for (n, _) in doc.config.iter().enumerate() {
        let _ = writeln!(out, "<li><a href=\"#config{n}\">Effective config</a></li>");
    }
    if doc.dependencies.is_some() {
        out.push_str("<li><a href=\"#dependencies\">Dependencies</a></li>\n");
    }
    if doc.probe.is_some() {
        out.push_str("<li><a href=\"#probe\">Live probe</a></li>\n");
    }
    if doc.logs.is_some() {
        out.push_str("<li><a href=\"#logs\">Logs</a></li>\n");
    }
    out.push_str("</ul></nav>\n");
}

/// Whether any strategy of the app was assessed (deps/probe/logs reports have no posture).
fn assessed(app: &AppReport) -> bool {
    app.posture
        .iter()
        .any(|p| p.status != PostureStatus::NotAssessed)
}

fn render_app(
    out: &mut String,
    i: usize,
    app: &AppReport,
    extras: Option<&AppExtras>,
    several: bool,
    (options, frames): (&HtmlOptions<'_>, &Frames<'_>),
) {
    let _ = writeln!(
        out,
        "<section class=\"app\" id=\"a{i}\" aria-labelledby=\"a{i}-h\">"
    );
    let _ = write!(out, "<h2 id=\"a{i}-h\"><code>{}</code>", esc(&app.root));
    if !app.env.is_empty() {
        let _ = write!(out, " <span class=\"env\">env: {}</span>", esc(&app.env));
    }
    out.push_str("</h2>\n");
    if several {
        let _ = writeln!(
            out,
            "<p class=\"note\">One of several reports in this file (one per app and env).</p>"
        );
    }
    render_counts(out, &app.findings);

    let history = extras.and_then(|x| x.history.as_ref());
    if assessed(app) {
        render_posture(out, i, app, history);
        render_fix_first(out, i, app, options);
        render_strategies(out, i, app);
    }
    if let Some(h) = history {
        render_history(out, i, app, h);
    }
    render_findings(out, i, app, options, frames);
    if let Some(x) = extras.filter(|x| !x.plugins.is_empty()) {
        render_plugins(out, i, &x.plugins);
    }
    if !app.diagnostics.is_empty() {
        let _ = writeln!(
            out,
            "<section id=\"a{i}-diagnostics\" aria-labelledby=\"a{i}-diagnostics-h\"><h3 id=\"a{i}-diagnostics-h\">Diagnostics</h3><ul>"
        );
        for d in &app.diagnostics {
            let _ = writeln!(out, "<li>{}</li>", esc(d));
        }
        out.push_str("</ul></section>\n");
    }
    out.push_str("</section>\n");
}

fn render_counts(out: &mut String, findings: &[Finding]) {
    let counts = severity_counts(findings);
    let _ = write!(
        out,
        "<ul class=\"counts\" aria-label=\"Findings by severity\"><li class=\"total\"><span class=\"n\">{}</span> findings</li>",
        findings.len()
    );
    for (s, n) in counts {
        let _ = write!(
            out,
            "<li class=\"sev-{0}\"><span class=\"n\">{n}</span> {0}</li>",
            s.as_str()
        );
    }
    out.push_str("</ul>\n");
}

/// Short labels for the chart (the seed's titles are long).
fn short_label(s: Strategy) -> &'static str {
    match s {
        Strategy::Updates => "Core and plugin updates",
        Strategy::Plugins => "Unnecessary plugins",
        Strategy::Middleware => "Custom middleware",
        Strategy::Builtin => "Built-in middleware config",
        Strategy::Csrf => "CSRF protection",
        Strategy::Headers => "Security headers",
        Strategy::Errors => "Error handling",
        Strategy::Logging => "Logging",
    }
}

fn status_class(s: PostureStatus) -> &'static str {
    match s {
        PostureStatus::Implemented => "st-implemented",
        PostureStatus::Partial => "st-partial",
        PostureStatus::Missing => "st-missing",
        PostureStatus::NotAssessed => "st-not-assessed",
    }
}

fn render_posture(out: &mut String, i: usize, app: &AppReport, history: Option<&HistoryView>) {
    let _ = writeln!(
        out,
        "<section id=\"a{i}-posture\" aria-labelledby=\"a{i}-posture-h\"><h3 id=\"a{i}-posture-h\">Posture by strategy</h3>"
    );
    // The chart: one bar per strategy, 0–100, coloured by status, score and status in words.
    let row_h = 30;
    let top = 24;
    let height = top + row_h * app.posture.len() + 8;
    let (label_w, bar_x, bar_w) = (200, 210, 400);
    let mut desc = Vec::new();
    for p in &app.posture {
        desc.push(format!("{}: {}", short_label(p.strategy), score_words(p)));
    }
    let _ = writeln!(
        out,
        "<figure class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 {height}\" role=\"img\" aria-labelledby=\"a{i}-chart-t a{i}-chart-d\"><title id=\"a{i}-chart-t\">Score per strategy (0–100)</title><desc id=\"a{i}-chart-d\">{}</desc>",
        esc(&desc.join("; "))
    );
    // Scale and the status thresholds (missing < 40 ≤ partial < 90 ≤ implemented).
    for (v, label) in [(0, "0"), (40, "40"), (90, "90"), (100, "100")] {
        let x = bar_x + bar_w * v / 100;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/><text class=\"axis\" x=\"{x}\" y=\"14\" text-anchor=\"middle\">{label}</text>",
            top - 4,
            height - 6
        );
    }
    for (n, p) in app.posture.iter().enumerate() {
        let y = top + row_h * n;
        let w = match p.status {
            PostureStatus::NotAssessed => 0,
            // A sliver even at 0, so the status colour shows.
            _ => (bar_w * usize::from(p.score.min(100)) / 100).max(4),
        };
        let _ = write!(
            out,
            "<g class=\"{cls}\"><text class=\"label\" x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text><rect class=\"track\" x=\"{bar_x}\" y=\"{by}\" width=\"{bar_w}\" height=\"18\" rx=\"3\"/><rect class=\"bar\" x=\"{bar_x}\" y=\"{by}\" width=\"{w}\" height=\"18\" rx=\"3\"/><text class=\"value\" x=\"{vx}\" y=\"{ty}\">{value}</text></g>",
            cls = status_class(p.status),
            lx = label_w,
            ty = y + 14,
            label = esc(&format!("{}. {}", n + 1, short_label(p.strategy))),
            by = y + 1,
            vx = bar_x + bar_w + 8,
            value = esc(&score_words(p)),
        );
    }
    out.push_str("</svg>");
    out.push_str("<figcaption>Status: <span class=\"key st-implemented\">implemented</span> score ≥ 90 and nothing high; <span class=\"key st-partial\">partial</span>; <span class=\"key st-missing\">missing</span> score &lt; 40 or anything critical.</figcaption></figure>\n");

    // The same as a table, with links to each strategy's evidence, and the trend.
    let trend = history.is_some_and(|h| !h.previous.is_empty());
    let _ = write!(
        out,
        "<table class=\"posture\"><caption class=\"sr-only\">Posture by strategy</caption><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Strategy</th><th scope=\"col\">Status</th><th scope=\"col\" class=\"num\">Score</th><th scope=\"col\" class=\"num\">Findings</th>{}</tr></thead><tbody>",
        if trend {
            "<th scope=\"col\">Trend (records → now)</th>"
        } else {
            ""
        }
    );
    for (n, p) in app.posture.iter().enumerate() {
        let count = app
            .findings
            .iter()
            .filter(|f| f.strategy == p.strategy)
            .count();
        let _ = write!(
            out,
            "<tr><td>{}</td><th scope=\"row\"><a href=\"#a{i}-s-{}\">{}</a></th><td><span class=\"status {}\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{count}</td>",
            n + 1,
            p.strategy.as_str(),
            esc(p.strategy.title()),
            status_class(p.status),
            p.status.label(),
            match p.status {
                PostureStatus::NotAssessed => "–".to_string(),
                _ => p.score.to_string(),
            }
        );
        if let (true, Some(h)) = (trend, history) {
            out.push_str("<td>");
            sparkline(out, p.strategy, h);
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn score_words(p: &Posture) -> String {
    match p.status {
        PostureStatus::NotAssessed => "not assessed".into(),
        s => format!("{} · {}", p.score, s.as_str()),
    }
}

/// A small line of the strategy's score across the earlier records and this run.
fn sparkline(out: &mut String, strategy: Strategy, h: &HistoryView) {
    let points: Vec<Option<u8>> = h
        .previous
        .iter()
        .chain(std::iter::once(&h.current))
        .map(|r| r.score(strategy))
        .collect();
    let words: Vec<String> = points
        .iter()
        .map(|p| p.map_or("–".into(), |v| v.to_string()))
        .collect();
    let (w, ht) = (120.0_f64, 24.0_f64);
    let step = if points.len() > 1 {
        w / (points.len() - 1) as f64
    } else {
        0.0
    };
    let coords: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(n, p)| {
            p.map(|v| {
                format!(
                    "{:.1},{:.1}",
                    n as f64 * step + 2.0,
                    2.0 + (ht - 4.0) * (1.0 - f64::from(v) / 100.0)
                )
            })
        })
        .collect();
    if coords.is_empty() {
        out.push_str("<span class=\"muted\">not assessed</span>");
        return;
    }
    let _ = write!(
        out,
        "<span class=\"trend\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 124 24\" width=\"124\" height=\"24\" role=\"img\" aria-label=\"scores: {}\"><polyline points=\"{}\"/>",
        esc(&words.join(", ")),
        coords.join(" ")
    );
    if let Some(last) = coords.last() {
        let (x, y) = last.split_once(',').unwrap_or(("0", "0"));
        let _ = write!(out, "<circle cx=\"{x}\" cy=\"{y}\" r=\"2.5\"/>");
    }
    let _ = write!(
        out,
        "</svg> <span class=\"words\">{}</span></span>",
        esc(&words.join(" → "))
    );
}

/// The rules to fix first: by worst severity, then confidence, then how often they fire.
fn render_fix_first(out: &mut String, i: usize, app: &AppReport, options: &HtmlOptions<'_>) {
    let _ = writeln!(
        out,
        "<section id=\"a{i}-first\" aria-labelledby=\"a{i}-first-h\"><h3 id=\"a{i}-first-h\">Fix these first</h3>"
    );
    // rule → (first finding index, count)
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (j, f) in app.findings.iter().enumerate() {
        if f.severity == Severity::Info {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(k, _)| app.findings[*k].rule == f.rule)
        {
            Some(g) => {
                g.1 += 1;
                let k = g.0;
                let cur = &app.findings[k];
                if (f.severity, f.confidence) > (cur.severity, cur.confidence) {
                    g.0 = j;
                }
            }
            None => groups.push((j, 1)),
        }
    }
    groups.sort_by(|a, b| {
        let (fa, fb) = (&app.findings[a.0], &app.findings[b.0]);
        (fb.severity, fb.confidence, b.1)
            .cmp(&(fa.severity, fa.confidence, a.1))
            .then(a.0.cmp(&b.0))
    });
    if groups.is_empty() {
        out.push_str("<p>Nothing above info level: nothing urgent.</p></section>\n");
        return;
    }
    out.push_str("<ol class=\"first\">");
    for &(j, count) in groups.iter().take(FIX_FIRST) {
        let f = &app.findings[j];
        let _ = write!(
            out,
            "<li><span class=\"sev sev-{}\">{}</span> <a href=\"#a{i}-f{j}\"><code>{}</code> {}</a>",
            f.severity.as_str(),
            f.severity.as_str(),
            esc(&f.rule),
            esc(&f.name)
        );
        if count > 1 {
            let _ = write!(out, " <span class=\"muted\">({count} places)</span>");
        }
        let _ = write!(
            out,
            "<br><span class=\"msg\">{}</span>",
            inline_md(&f.message)
        );
        if let Some(first) = first_paragraph(&f.remediation) {
            // A paragraph that leads into a config block ends with ':' — the block is in the card.
            let first = first.strip_suffix(':').map_or(first.to_string(), |p| {
                format!("{p} (the config is in the finding).")
            });
            let _ = write!(
                out,
                "<br><span class=\"how\">Fix: {}</span>",
                inline_md(&first)
            );
        }
        if let Some(cmd) = options.fix_command.and_then(|c| c(app, f)) {
            let _ = write!(out, "<br><code class=\"cmd\">{}</code>", esc(&cmd));
        }
        out.push_str("</li>");
    }
    out.push_str("</ol>");
    if groups.len() > FIX_FIRST {
        let _ = write!(
            out,
            "<p class=\"muted\">{} more rules fire below; the list above is ordered by severity, confidence and how often each rule fires.</p>",
            groups.len() - FIX_FIRST
        );
    }
    out.push_str("</section>\n");
}

fn render_strategies(out: &mut String, i: usize, app: &AppReport) {
    let _ = writeln!(
        out,
        "<section id=\"a{i}-strategies\" aria-labelledby=\"a{i}-strategies-h\"><h3 id=\"a{i}-strategies-h\">Strategies: currently implemented and missing implementation</h3>"
    );
    for (n, p) in app.posture.iter().enumerate() {
        let s = p.strategy.as_str();
        let _ = write!(
            out,
            "<section class=\"strategy\" id=\"a{i}-s-{s}\" aria-labelledby=\"a{i}-s-{s}-h\"><h4 id=\"a{i}-s-{s}-h\">{}. {} <span class=\"status {}\">{}</span></h4>",
            n + 1,
            esc(p.strategy.title()),
            status_class(p.status),
            esc(&score_words(p))
        );
        if p.status == PostureStatus::NotAssessed {
            out.push_str("<p class=\"muted\">Not assessed by this run.</p></section>\n");
            continue;
        }
        out.push_str("<div class=\"cols\"><div><h5>Currently implemented</h5>");
        list(out, &p.evidence, "Nothing found in place.");
        out.push_str("</div><div><h5>Missing implementation</h5>");
        list(out, &p.missing, "Nothing missing found.");
        out.push_str("</div></div>");
        let count = app
            .findings
            .iter()
            .filter(|f| f.strategy == p.strategy)
            .count();
        if count > 0 {
            let _ = write!(
                out,
                "<p><a href=\"#a{i}-findings\" data-filter-strategy=\"{s}\">{count} finding{} of this strategy</a></p>",
                if count == 1 { "" } else { "s" }
            );
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

fn list(out: &mut String, items: &[String], empty: &str) {
    if items.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p>", esc(empty));
        return;
    }
    out.push_str("<ul>");
    for item in items {
        let _ = write!(out, "<li>{}</li>", inline_md(item));
    }
    out.push_str("</ul>");
}

fn render_history(out: &mut String, i: usize, app: &AppReport, h: &HistoryView) {
    let _ = writeln!(
        out,
        "<section id=\"a{i}-history\" aria-labelledby=\"a{i}-history-h\"><h3 id=\"a{i}-history-h\">Since the previous record</h3>"
    );
    let Some(previous) = h.previous.last() else {
        let _ = writeln!(
            out,
            "<p>No earlier record of env <code>{}</code> in <code>{}</code>.{}</p></section>",
            esc(&h.current.env),
            esc(&h.file),
            if h.recorded {
                " This run is the first; the next <code>eggsec audit --record</code> shows the trend."
            } else {
                " Run <code>eggsec audit --record</code> to start the trend."
            }
        );
        return;
    };
    let c = compare(previous, &h.current);
    let _ = writeln!(
        out,
        "<p>Compared with the record of {} in <code>{}</code> ({} earlier record{}{}).</p>",
        esc(&previous.label()),
        esc(&h.file),
        h.previous.len(),
        if h.previous.len() == 1 { "" } else { "s" },
        if h.recorded {
            "; this run was recorded too"
        } else {
            ""
        }
    );
    out.push_str("<table class=\"delta\"><caption class=\"sr-only\">Score change per strategy</caption><thead><tr><th scope=\"col\">Strategy</th><th scope=\"col\" class=\"num\">Before</th><th scope=\"col\" class=\"num\">Now</th><th scope=\"col\" class=\"num\">Change</th></tr></thead><tbody>");
    for (s, before, now) in &c.scores {
        let show = |v: &Option<u8>| v.map_or("–".to_string(), |n| n.to_string());
        let (cls, change) = match (before, now) {
            (Some(b), Some(a)) if a > b => ("up", format!("+{}", a - b)),
            (Some(b), Some(a)) if a < b => ("down", format!("−{}", b - a)),
            (Some(_), Some(_)) => ("same", "=".to_string()),
            _ => ("same", String::new()),
        };
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num {cls}\">{change}</td></tr>",
            esc(short_label(*s)),
            show(before),
            show(now)
        );
    }
    out.push_str("</tbody></table>\n<div class=\"cols\">");
    let _ = write!(out, "<div><h4>Fixed since ({})</h4>", c.fixed.len());
    if c.fixed.is_empty() {
        out.push_str("<p class=\"muted\">Nothing fixed since.</p>");
    } else {
        out.push_str("<ul class=\"changes\">");
        for f in &c.fixed {
            let _ = write!(
                out,
                "<li><span class=\"sev sev-{0}\">{0}</span> <code>{1}</code> {2} <span class=\"loc\">{3}</span></li>",
                f.severity.as_str(),
                esc(&f.rule),
                esc(&f.name),
                esc(&f.location)
            );
        }
        out.push_str("</ul>");
    }
    let _ = write!(out, "</div><div><h4>New since ({})</h4>", c.new.len());
    if c.new.is_empty() {
        out.push_str("<p class=\"muted\">Nothing new since.</p>");
    } else {
        out.push_str("<ul class=\"changes\">");
        for f in &c.new {
            let j = app
                .findings
                .iter()
                .position(|x| x.fingerprint == f.fingerprint);
            let _ = write!(
                out,
                "<li><span class=\"sev sev-{0}\">{0}</span> ",
                f.severity.as_str()
            );
            match j {
                Some(j) => {
                    let _ = write!(
                        out,
                        "<a href=\"#a{i}-f{j}\"><code>{}</code> {}</a>",
                        esc(&f.rule),
                        esc(&f.name)
                    );
                }
                None => {
                    let _ = write!(out, "<code>{}</code> {}", esc(&f.rule), esc(&f.name));
                }
            }
            let _ = write!(out, " <span class=\"loc\">{}</span></li>", esc(&f.location));
        }
        out.push_str("</ul>");
    }
    out.push_str("</div></div></section>\n");
}

fn render_findings(
    out: &mut String,
    i: usize,
    app: &AppReport,
    options: &HtmlOptions<'_>,
    frames: &Frames<'_>,
) {
    let _ = writeln!(
        out,
        "<section class=\"findings\" id=\"a{i}-findings\" aria-labelledby=\"a{i}-findings-h\"><h3 id=\"a{i}-findings-h\">Findings ({})</h3>",
        app.findings.len()
    );
    if app.findings.is_empty() {
        out.push_str("<p>No findings.</p></section>\n");
        return;
    }
    // The filter (shown by the script; without it, every finding is listed).
    let distinct = |key: &dyn Fn(&Finding) -> String| -> Vec<String> {
        let set: BTreeSet<String> = app.findings.iter().map(key).collect();
        set.into_iter().filter(|s| !s.is_empty()).collect()
    };
    let _ = write!(
        out,
        "<form class=\"filters\" id=\"a{i}-filters\" hidden aria-label=\"Filter findings\"><fieldset class=\"sevs\"><legend>Severity</legend>"
    );
    let present: BTreeSet<Severity> = app.findings.iter().map(|f| f.severity).collect();
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        if !present.contains(&s) {
            continue;
        }
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"sev\" value=\"{0}\" checked> {0}</label>",
            s.as_str()
        );
    }
    out.push_str("</fieldset>");
    let strategies = distinct(&|f| f.strategy.as_str().to_string());
    let rules = distinct(&|f| format!("{} {}", f.rule, f.name));
    let files = distinct(&|f| f.location.path().unwrap_or("").to_string());
    let confidences = distinct(&|f| f.confidence.as_str().to_string());
    select(out, i, "strategy", "Strategy", &strategies, |v| {
        v.to_string()
    });
    select(out, i, "rule", "Rule", &rules, |v| {
        v.split(' ').next().unwrap_or(v).to_string()
    });
    select(out, i, "file", "File", &files, |v| v.to_string());
    select(out, i, "confidence", "Confidence", &confidences, |v| {
        v.to_string()
    });
    let _ = write!(
        out,
        "<label class=\"q\">Text <input type=\"search\" name=\"q\" id=\"a{i}-q\" placeholder=\"message, evidence…\"></label><button type=\"reset\">Show all</button></form>\n<p class=\"shown\" aria-live=\"polite\"></p>\n"
    );

    // The table: one row per finding, linking to its card.
    out.push_str("<table class=\"findings-table\"><caption class=\"sr-only\">Findings</caption><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Rule</th><th scope=\"col\">Strategy</th><th scope=\"col\">Location</th><th scope=\"col\">Message</th><th scope=\"col\">Confidence</th></tr></thead><tbody>\n");
    for (j, f) in app.findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr {attrs}><td><span class=\"sev sev-{sev}\">{sev}</span></td><td><a href=\"#a{i}-f{j}\"><code>{rule}</code></a> {name}</td><td>{strategy}</td><td class=\"loc\">{loc}</td><td>{msg}</td><td>{conf}</td></tr>",
            attrs = data_attrs(i, j, f),
            sev = f.severity.as_str(),
            rule = esc(&f.rule),
            name = esc(&f.name),
            strategy = f.strategy.as_str(),
            loc = esc(&f.location.to_string()),
            msg = inline_md(&f.message),
            conf = f.confidence.as_str(),
        );
    }
    out.push_str("</tbody></table>\n<div class=\"cards\">\n");
    for (j, f) in app.findings.iter().enumerate() {
        render_card(out, (i, j), app, f, options, frames);
    }
    out.push_str("</div></section>\n");
}

fn data_attrs(i: usize, j: usize, f: &Finding) -> String {
    format!(
        "data-card=\"a{i}-f{j}\" data-sev=\"{}\" data-strategy=\"{}\" data-rule=\"{}\" data-file=\"{}\" data-confidence=\"{}\"",
        f.severity.as_str(),
        f.strategy.as_str(),
        esc(&f.rule),
        esc(f.location.path().unwrap_or("")),
        f.confidence.as_str()
    )
}

fn select(
    out: &mut String,
    i: usize,
    name: &str,
    label: &str,
    values: &[String],
    value_of: impl Fn(&str) -> String,
) {
    let _ = write!(
        out,
        "<label>{label} <select name=\"{name}\" id=\"a{i}-{name}\"><option value=\"\">all ({})</option>",
        values.len()
    );
    for v in values {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            esc(&value_of(v)),
            esc(v)
        );
    }
    out.push_str("</select></label>");
}

fn render_card(
    out: &mut String,
    (i, j): (usize, usize),
    app: &AppReport,
    f: &Finding,
    options: &HtmlOptions<'_>,
    frames: &Frames<'_>,
) {
    let _ = write!(
        out,
        "<article class=\"finding sev-border-{sev}\" id=\"a{i}-f{j}\" aria-labelledby=\"a{i}-f{j}-h\"><h4 id=\"a{i}-f{j}-h\"><span class=\"sev sev-{sev}\">{sev}</span> <code>{rule}</code> {name}</h4><p class=\"msg\">{msg}</p><dl class=\"meta\"><dt>Location</dt><dd class=\"loc\">{loc}</dd><dt>Strategy</dt><dd>{strategy}</dd><dt>Confidence</dt><dd>{conf}</dd><dt>Fingerprint</dt><dd><code>{fp}</code></dd></dl>",
        sev = f.severity.as_str(),
        rule = esc(&f.rule),
        name = esc(&f.name),
        msg = inline_md(&f.message),
        loc = esc(&f.location.to_string()),
        strategy = esc(f.strategy.title()),
        conf = f.confidence.as_str(),
        fp = esc(&f.fingerprint),
    );
    if let Location::File { path, line, column } = &f.location {
        if *line > 0 {
            if let Some(lines) = frames.lines(&app.root, path) {
                code_frame(out, path, &lines, *line as usize, *column as usize);
            }
        }
    }
    // Flow findings carry `source file:line: code`, `step ...`, `sink ...` lines: a path.
    let (steps, rest): (Vec<&String>, Vec<&String>) = f.evidence.iter().partition(|e| {
        ["source ", "step ", "sink "]
            .iter()
            .any(|p| e.starts_with(p))
    });
    if steps.len() >= 2 {
        out.push_str("<h5>Source → sink</h5><ol class=\"path\">");
        for s in &steps {
            let (kind, rest) = s.split_once(' ').unwrap_or(("step", s));
            let (at, code) = split_location(rest);
            let _ = write!(
                out,
                "<li><span class=\"kind kind-{kind}\">{kind}</span> <span class=\"loc\">{}</span> <code>{}</code></li>",
                esc(at),
                esc(code)
            );
        }
        out.push_str("</ol>");
    }
    let evidence: Vec<&String> = if steps.len() >= 2 {
        rest
    } else {
        f.evidence.iter().collect()
    };
    if !evidence.is_empty() {
        out.push_str("<h5>Evidence</h5><ul class=\"evidence\">");
        for e in evidence {
            let _ = write!(out, "<li><code>{}</code></li>", esc(e));
        }
        out.push_str("</ul>");
    }
    if !f.remediation.is_empty() {
        out.push_str("<h5>Fix</h5><div class=\"fix\">");
        out.push_str(&markdown(&f.remediation));
        out.push_str("</div>");
    }
    if let Some(fix) = &f.fix {
        let _ = write!(
            out,
            "<h5>Automatic fix</h5><p>{}</p>",
            inline_md(&fix.description)
        );
        for e in &fix.edits {
            let _ = write!(
                out,
                "<p class=\"muted\">In <code>{}</code>, replace bytes {}–{} with:</p><pre class=\"snippet\"><code>{}</code></pre>",
                esc(&e.path),
                e.start,
                e.end,
                esc(&e.replacement)
            );
        }
    }
    if let Some(cmd) = options.fix_command.and_then(|c| c(app, f)) {
        let _ = write!(
            out,
            "<p class=\"fixcmd\">Apply with eggsec (without <code>--write</code> it shows the diff): <code class=\"cmd\">{}</code></p>",
            esc(&cmd)
        );
    }
    out.push_str("</article>\n");
}

/// `app/x.js:4: code` → (`app/x.js:4`, `code`).
fn split_location(s: &str) -> (&str, &str) {
    // The location ends at the first `: ` after a `:digits`.
    let mut search = 0;
    while let Some(k) = s[search..].find(": ") {
        let at = search + k;
        let head = &s[..at];
        if head
            .rsplit(':')
            .next()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            return (head, &s[at + 2..]);
        }
        search = at + 2;
    }
    (s, "")
}

/// `lines`: the file masked as a whole (multi-line literals and neighbour lines included),
/// down to the last line shown at least (`Frames`).
fn code_frame(out: &mut String, path: &str, lines: &[String], line: usize, column: usize) {
    if line == 0 || line > lines.len() {
        return;
    }
    let first = line.saturating_sub(FRAME_CONTEXT).max(1);
    let last = (line + FRAME_CONTEXT).min(lines.len());
    let _ = write!(
        out,
        "<pre class=\"frame\" aria-label=\"{} lines {first} to {last}\"><code>",
        esc(path)
    );
    for n in first..=last {
        let raw = lines[n - 1].replace('\t', "    ");
        let shown = shorten(&raw, FRAME_LINE_MAX);
        let shown = shown.trim_end();
        if n != line {
            let _ = write!(
                out,
                "<span class=\"line\"><span class=\"ln\" aria-hidden=\"true\">{n}</span>{}</span>",
                esc(shown)
            );
            continue;
        }
        // The offending line, its token at `column` underlined (masking may shift it a little,
        // as in the text report's caret).
        let pad = lines[n - 1]
            .chars()
            .take(column.saturating_sub(1))
            .collect::<String>()
            .replace('\t', "    ")
            .chars()
            .count();
        let chars: Vec<char> = shown.chars().collect();
        let _ = write!(
            out,
            "<span class=\"line hl\"><span class=\"ln\" aria-hidden=\"true\">{n}</span>"
        );
        if column > 0 && pad < chars.len() {
            let ident = |c: &char| c.is_alphanumeric() || *c == '_' || *c == '$';
            let len = match chars[pad] {
                // A string literal: up to its closing quote.
                q @ ('\'' | '"' | '`') => chars[pad + 1..]
                    .iter()
                    .position(|c| *c == q)
                    .map_or(1, |k| k + 2),
                _ => chars[pad..].iter().take_while(|c| ident(c)).count().max(1),
            };
            let part = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
            let _ = write!(
                out,
                "{}<span class=\"col\">{}</span>{}",
                esc(&part(0, pad)),
                esc(&part(pad, pad + len)),
                esc(&part(pad + len, chars.len()))
            );
        } else {
            out.push_str(&esc(shown));
        }
        out.push_str("</span>");
    }
    out.push_str("</code></pre>");
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn render_plugins(out: &mut String, i: usize, plugins: &[PluginRow]) {
    let _ = writeln!(
        out,
        "<section id=\"a{i}-plugins\" aria-labelledby=\"a{i}-plugins-h\"><h3 id=\"a{i}-plugins-h\">Plugins</h3>"
    );
    out.push_str("<div class=\"scroll\"><table class=\"plugins\"><caption class=\"sr-only\">Plugins: enabled, used, reason</caption><thead><tr><th scope=\"col\">Plugin</th><th scope=\"col\">Enabled</th><th scope=\"col\">Used</th><th scope=\"col\">Evidence</th><th scope=\"col\">Reason (eggsec.toml)</th><th scope=\"col\">Package / version</th><th scope=\"col\">Decided by</th></tr></thead><tbody>");
    for p in plugins {
        let used_cls = match p.used.as_str() {
            "NO" => "bad",
            "yes" => "good",
            _ => "",
        };
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"{used_cls}\">{}</td><td>{}</td><td>{}</td><td>{}{}</td><td class=\"loc\">{}</td></tr>",
            esc(&p.name),
            esc(&p.enabled),
            esc(&p.used),
            esc(&p.evidence),
            p.reason
                .as_deref()
                .map(esc)
                .unwrap_or_else(|| "<span class=\"muted\">none written</span>".into()),
            esc(&p.source),
            if p.version.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"muted\">{}</span>", esc(&p.version))
            },
            esc(&p.decided_by)
        );
    }
    out.push_str("</tbody></table></div>\n<p class=\"muted\">Used: <strong>yes</strong> (evidence found), <strong>NO</strong> (nothing uses it), kept (security or infrastructure), ? (cannot tell).</p></section>\n");
}

fn render_config(out: &mut String, n: usize, t: &ConfigTable) {
    let _ = writeln!(
        out,
        "<section id=\"config{n}\" aria-labelledby=\"config{n}-h\"><h2 id=\"config{n}-h\">Effective security config: <code>{}</code></h2>",
        esc(&t.root)
    );
    let _ = writeln!(
        out,
        "<p>The value of each security-relevant key after egg merges every config file, per env, with the file:line that set it (egg defaults: {}; their values are shown muted). Rows whose value differs between envs are marked ≠. Secrets are masked.</p>",
        esc(&t.defaults)
    );
    out.push_str("<div class=\"scroll\"><table class=\"config\"><caption class=\"sr-only\">Effective config per env</caption><thead><tr><th scope=\"col\">Key</th>");
    for e in &t.envs {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(e));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        let values: BTreeSet<Option<&str>> = row
            .cells
            .iter()
            .map(|c| c.as_ref().map(|(v, _)| v.as_str()))
            .collect();
        let differs = values.len() > 1;
        let _ = write!(
            out,
            "<tr{}><th scope=\"row\"><code>{}</code>{}</th>",
            if differs { " class=\"differs\"" } else { "" },
            esc(&row.key),
            if differs {
                " <span class=\"ne\" title=\"differs between envs\">≠</span>"
            } else {
                ""
            }
        );
        for c in &row.cells {
            match c {
                Some((v, at)) => {
                    // Values egg's defaults set are muted: the app's own settings stand out.
                    let _ = write!(
                        out,
                        "<td{}><code>{}</code><br><span class=\"prov\">{}</span></td>",
                        if at.starts_with('<') {
                            " class=\"default\""
                        } else {
                            ""
                        },
                        esc(&shorten(v, 300)),
                        esc(at)
                    );
                }
                None => out.push_str("<td class=\"muted\">unset</td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></section>\n");
}

fn render_dependencies(out: &mut String, d: &DependencySection) {
    out.push_str("<section id=\"dependencies\" aria-labelledby=\"dependencies-h\"><h2 id=\"dependencies-h\">Dependencies</h2>\n");
    let _ = writeln!(
        out,
        "<p>{} packages from <code>{}</code>; advisories: {}.</p>",
        d.packages,
        esc(if d.lockfile.is_empty() {
            "no lockfile"
        } else {
            &d.lockfile
        }),
        esc(&d.database)
    );
    let _ = write!(out, "<h3>Advisories ({})</h3>", d.advisories.len());
    if d.advisories.is_empty() {
        out.push_str("<p>No installed package has a known advisory.</p>");
    } else {
        out.push_str("<div class=\"scroll\"><table class=\"advisories\"><caption class=\"sr-only\">Advisories with the egg package that pulls each in</caption><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Advisory</th><th scope=\"col\">Package</th><th scope=\"col\">Pulled in by (egg)</th><th scope=\"col\">Paths</th><th scope=\"col\">Fixed in</th></tr></thead><tbody>");
        for a in &d.advisories {
            let sev = a.severity.map(|s| s.as_str()).unwrap_or("unknown");
            let _ = write!(
                out,
                "<tr><td><span class=\"sev sev-{sev}\">{sev}</span></td><td><code>{}</code><br>{}</td><td><code>{}@{}</code>{}<br><span class=\"prov\">{}</span></td><td>{}</td><td><ul class=\"paths\">",
                esc(&a.id),
                esc(&a.summary),
                esc(&a.package),
                esc(&a.version),
                if a.dev { " <span class=\"muted\">(dev)</span>" } else { "" },
                esc(&a.location),
                if a.egg_packages.is_empty() {
                    "<span class=\"muted\">none (not through egg)</span>".to_string()
                } else {
                    a.egg_packages
                        .iter()
                        .map(|e| format!("<code>{}</code>", esc(e)))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            for p in &a.paths {
                let _ = write!(out, "<li>{}</li>", esc(p));
            }
            out.push_str("</ul></td><td>");
            match &a.fixed {
                Some(f) => {
                    let _ = write!(out, "<code>{}</code>", esc(f));
                }
                None => out.push_str("<span class=\"muted\">no fix known</span>"),
            }
            for u in &a.upgrades {
                let _ = write!(out, "<br>{}", esc(u));
            }
            out.push_str("</td></tr>");
        }
        out.push_str("</tbody></table></div>");
    }
    if !d.egg_packages.is_empty() {
        let _ = write!(
            out,
            "<h3>Egg packages ({})</h3><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Package</th><th scope=\"col\">Version</th><th scope=\"col\">Role</th><th scope=\"col\">Where</th></tr></thead><tbody>",
            d.egg_packages.len()
        );
        for (name, version, role, at) in &d.egg_packages {
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td><td class=\"prov\">{}</td></tr>",
                esc(name),
                esc(version),
                esc(role),
                esc(at)
            );
        }
        out.push_str("</tbody></table></div>");
    }
    if !d.outdated.is_empty() {
        let _ = write!(
            out,
            "<h3>Behind latest ({})</h3><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Package</th><th scope=\"col\">Installed</th><th scope=\"col\">Latest</th><th scope=\"col\">Behind</th><th scope=\"col\">Notes</th></tr></thead><tbody>",
            d.outdated.len()
        );
        for (name, installed, latest, behind, notes) in &d.outdated {
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(name),
                esc(installed),
                esc(latest),
                esc(behind),
                esc(notes)
            );
        }
        out.push_str("</tbody></table></div>");
    }
    problems(out, &d.problems);
    out.push_str("</section>\n");
}

fn problems(out: &mut String, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str("<h3>Problems</h3><ul>");
    for p in items {
        let _ = write!(out, "<li>{}</li>", esc(p));
    }
    out.push_str("</ul>");
}

fn grade_class(grade: &str) -> &'static str {
    match grade.chars().next() {
        Some('A') => "st-implemented",
        Some('B') | Some('C') => "st-partial",
        _ => "st-missing",
    }
}

fn render_probe(out: &mut String, p: &ProbeSection) {
    let _ = writeln!(
        out,
        "<section id=\"probe\" aria-labelledby=\"probe-h\"><h2 id=\"probe-h\">Live probe: <code>{}</code></h2>",
        esc(&p.target)
    );
    let _ = writeln!(
        out,
        "<p class=\"grade\"><span class=\"status big {}\">{}</span> Mozilla HTTP Observatory score <strong>{}</strong> (algorithm v{}); {} requests of a budget of {}, {} ms.</p>",
        grade_class(&p.grade),
        esc(&p.grade),
        p.score,
        p.algorithm_version,
        p.requests,
        p.budget,
        p.elapsed_ms
    );
    out.push_str("<div class=\"scroll\"><table class=\"observatory\"><caption class=\"sr-only\">Observatory tests</caption><thead><tr><th scope=\"col\">Test</th><th scope=\"col\">Result</th><th scope=\"col\">Outcome</th><th scope=\"col\" class=\"num\">Score modifier</th></tr></thead><tbody>");
    for t in &p.tests {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"{}\">{}</td><td><code>{}</code></td><td class=\"num\">{:+}</td></tr>",
            esc(&t.name),
            if t.pass { "good" } else { "bad" },
            if t.pass { "pass" } else { "FAIL" },
            esc(&t.result),
            t.modifier
        );
    }
    out.push_str("</tbody></table></div>");
    if !p.notes.is_empty() {
        out.push_str("<h3>Notes</h3><ul>");
        for n in &p.notes {
            let _ = write!(out, "<li>{}</li>", esc(n));
        }
        out.push_str("</ul>");
    }
    problems(out, &p.errors);
    out.push_str("</section>\n");
}

fn render_logs(out: &mut String, l: &LogsSection) {
    out.push_str(
        "<section id=\"logs\" aria-labelledby=\"logs-h\"><h2 id=\"logs-h\">Log scan</h2>\n",
    );
    let _ = writeln!(
        out,
        "<p>{} files, {} lines, {} scanned.</p>",
        l.files.len(),
        l.total_lines,
        human_bytes(l.total_bytes)
    );
    if !l.families.is_empty() {
        out.push_str("<ul class=\"counts\" aria-label=\"Findings by family\">");
        for (family, n) in &l.families {
            let _ = write!(out, "<li><span class=\"n\">{n}</span> {}</li>", esc(family));
        }
        out.push_str("</ul>");
    }
    if !l.detectors.is_empty() {
        out.push_str("<h3>Matches per detector</h3><table class=\"compact\"><thead><tr><th scope=\"col\">Detector</th><th scope=\"col\" class=\"num\">Matches</th></tr></thead><tbody>");
        for (d, n) in &l.detectors {
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><code>{}</code></th><td class=\"num\">{n}</td></tr>",
                esc(d)
            );
        }
        out.push_str("</tbody></table>");
    }
    if !l.top_ips.is_empty() {
        out.push_str("<h3>Busiest client IPs</h3><table class=\"compact\"><thead><tr><th scope=\"col\">IP</th><th scope=\"col\" class=\"num\">Requests</th></tr></thead><tbody>");
        for (ip, n) in &l.top_ips {
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><code>{}</code></th><td class=\"num\">{n}</td></tr>",
                esc(ip)
            );
        }
        out.push_str("</tbody></table>");
    }
    if !l.files.is_empty() {
        out.push_str("<h3>Files</h3><div class=\"scroll\"><table class=\"compact\"><thead><tr><th scope=\"col\">File</th><th scope=\"col\">Kind</th><th scope=\"col\" class=\"num\">Lines</th><th scope=\"col\" class=\"num\">Size</th></tr></thead><tbody>");
        for (path, kind, lines, bytes) in &l.files {
            let _ = write!(
                out,
                "<tr><th scope=\"row\" class=\"loc\">{}</th><td>{}</td><td class=\"num\">{lines}</td><td class=\"num\">{}</td></tr>",
                esc(path),
                esc(kind),
                human_bytes(*bytes)
            );
        }
        out.push_str("</tbody></table></div>");
    }
    problems(out, &l.errors);
    out.push_str("</section>\n");
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Escapes text for HTML element content and attribute values. Control characters (which
/// HTML forbids and terminals interpret) are shown as `\u{..}` escapes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The first paragraph of a remediation, when it is prose (not a code block).
fn first_paragraph(text: &str) -> Option<&str> {
    let para = text.split("\n\n").next()?.trim();
    (!para.is_empty() && !para.starts_with("```")).then_some(para)
}

/// Inline Markdown: `code`, **bold**; everything else escaped.
fn inline_md(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let tick = rest.find('`');
        let bold = rest.find("**");
        match (tick, bold) {
            (Some(t), b) if b.is_none_or(|b| t < b) => {
                if let Some(end) = rest[t + 1..].find('`') {
                    out.push_str(&esc(&rest[..t]));
                    let _ = write!(out, "<code>{}</code>", esc(&rest[t + 1..t + 1 + end]));
                    rest = &rest[t + 2 + end..];
                } else {
                    out.push_str(&esc(rest));
                    break;
                }
            }
            (_, Some(b)) => {
                if let Some(end) = rest[b + 2..].find("**") {
                    out.push_str(&esc(&rest[..b]));
                    let _ = write!(
                        out,
                        "<strong>{}</strong>",
                        inline_md(&rest[b + 2..b + 2 + end])
                    );
                    rest = &rest[b + 4 + end..];
                } else {
                    out.push_str(&esc(rest));
                    break;
                }
            }
            _ => {
                out.push_str(&esc(rest));
                break;
            }
        }
    }
    out
}

/// The Markdown of remediations: paragraphs, `-`/`*` lists, fenced code, inline code and bold.
fn markdown(text: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut items: Vec<String> = Vec::new();
    let mut code: Option<String> = None;
    fn flush(out: &mut String, para: &mut Vec<&str>, items: &mut Vec<String>) {
        if !para.is_empty() {
            let _ = write!(out, "<p>{}</p>", inline_md(&para.join(" ")));
            para.clear();
        }
        if !items.is_empty() {
            out.push_str("<ul>");
            for i in items.drain(..) {
                let _ = write!(out, "<li>{i}</li>");
            }
            out.push_str("</ul>");
        }
    }
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            match code.take() {
                Some(body) => {
                    let _ = write!(
                        out,
                        "<pre class=\"snippet\"><code>{}</code></pre>",
                        esc(body.trim_end_matches('\n'))
                    );
                }
                None => {
                    flush(&mut out, &mut para, &mut items);
                    code = Some(String::new());
                }
            }
            continue;
        }
        if let Some(body) = code.as_mut() {
            body.push_str(line);
            body.push('\n');
            continue;
        }
        let t = line.trim();
        if t.is_empty() {
            flush(&mut out, &mut para, &mut items);
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            if !para.is_empty() {
                let _ = write!(out, "<p>{}</p>", inline_md(&para.join(" ")));
                para.clear();
            }
            items.push(inline_md(item));
        } else if !items.is_empty() && line.starts_with(' ') {
            if let Some(last) = items.last_mut() {
                last.push(' ');
                last.push_str(&inline_md(t));
            }
        } else {
            if !items.is_empty() {
                flush(&mut out, &mut Vec::new(), &mut items);
            }
            para.push(t);
        }
    }
    if let Some(body) = code {
        let _ = write!(
            out,
            "<pre class=\"snippet\"><code>{}</code></pre>",
            esc(body.trim_end_matches('\n'))
        );
    }
    flush(&mut out, &mut para, &mut items);
    out
}

/// `sha256-<base64>` of an inline script or style, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_shows_the_lines_of_the_whole_masked_file() {
        // a secret context opened above the frames; a line past the end has none
        let src = "const x = {\n  password: [\n    'first-secret-aaaa',\n    'second-secret-bbbb',\n  ],\n};\nconst a = 1;\nconst b = 2;\n";
        let whole = crate::mask::mask_source(src);
        let n = whole.len();
        // the lines `Frames` gives a report whose only finding in the file is at `line`
        let frame_lines = |line: usize| {
            let report = Report {
                apps: vec![AppReport {
                    root: "/r".into(),
                    env: "prod".into(),
                    findings: vec![crate::render::frames::finding_at("x.js", line as u32)],
                    posture: Vec::new(),
                    diagnostics: Vec::new(),
                }],
            };
            let lookup = |_: &std::path::Path| Some(src.to_string());
            let frames = Frames::new(&report, Some(&lookup), FRAME_CONTEXT);
            frames.lines("/r", "x.js").unwrap().to_vec()
        };
        for line in [1, 3, 4, 6, n - 1, n] {
            let mut out = String::new();
            code_frame(&mut out, "x.js", &frame_lines(line), line, 0);
            let first = line.saturating_sub(FRAME_CONTEXT).max(1);
            let last = (line + FRAME_CONTEXT).min(n);
            for k in first..=last {
                let shown = esc(whole[k - 1].trim_end());
                assert!(
                    out.contains(&format!("{k}</span>{shown}")),
                    "{k} of {line}: {out}"
                );
            }
            assert!(!out.contains(&format!(">{}</span>", last + 1)), "{out}");
            assert!(
                !out.contains("first-secret") && !out.contains("second-secret"),
                "{out}"
            );
        }
        let mut past = String::new();
        code_frame(&mut past, "x.js", &frame_lines(n + 1), n + 1, 0);
        assert!(past.is_empty(), "{past}");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            esc("<script>\"a\" & 'b'\u{1b}[31m"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;\\u{1b}[31m"
        );
    }

    #[test]
    fn markdown_of_remediations() {
        let html = markdown(
            "Set `security.csrf.enable` to **true**:\n\n```js\nconfig.security = { csrf: { enable: true } };\n```\n\n- one\n- two <b>\n",
        );
        assert_eq!(
            html,
            "<p>Set <code>security.csrf.enable</code> to <strong>true</strong>:</p><pre class=\"snippet\"><code>config.security = { csrf: { enable: true } };</code></pre><ul><li>one</li><li>two &lt;b&gt;</li></ul>"
        );
        assert_eq!(inline_md("a `b"), "a `b");
    }

    #[test]
    fn flow_steps_split_at_the_location() {
        assert_eq!(
            split_location("app/controller/home.js:4: ctx.query.q"),
            ("app/controller/home.js:4", "ctx.query.q")
        );
        assert_eq!(split_location("a.js:4: x ? y: z"), ("a.js:4", "x ? y: z"));
        assert_eq!(split_location("no location"), ("no location", ""));
    }
}
