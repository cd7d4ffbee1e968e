//! `eggsec fix` for code: the safe rewrite of each sink a code finding points at, on
//! [`eggsec_js::code_edit`]. The sites come from the app model the audit used (the flows and
//! code facts behind the findings); a file is rewritten bottom-up (a rewrite never moves the
//! places still to do), re-parsed after every rewrite, and refused as a whole when a rewrite
//! does not parse.
//!
//! | rule | rewrite |
//! |---|---|
//! | ERR101 | the caught error's details in `ctx.body` → `'Internal Server Error'`, `ctx.logger.error(err)` before it |
//! | MW001 | SQL text built with values → placeholders, the values passed apart (egg-mysql, Sequelize, pg, knex raw, TypeORM query) |
//! | MW002 | `child_process.exec(cmd)` → `execFile(file, [ args ])`, shelljs `exec` → `spawnSync`, execa `command` → `execa(file, [ args ])` |
//!
//! SQL or a command built in a `const`/`let` used only by the sink is followed there: the SQL
//! variable keeps the text with placeholders and a `<name>Values` array is declared after it; a
//! command variable becomes `<name>Args`, the argument array.
//! | MW004 | nunjucks `{{ x \| safe }}` fed by request data → `{{ x }}` |
//! | MW006 | `ctx.redirect(x)` → `ctx.redirect(/^\/(?![\s/\\])/.test(x) ? x : '/')` |

use crate::write::{match_line_endings, read};
use crate::{FileChange, Plan};
use eggsec_app::AppModel;
use eggsec_js::code_edit::{self, SqlDialect};
use eggsec_js::edit::apply;
use eggsec_js::flow::{CodeFactKind, SinkKind};
use eggsec_report::{Finding, Location};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One place to rewrite.
#[derive(Clone, Debug)]
struct Site {
    rule: String,
    line: u32,
    column: u32,
    how: How,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    ErrorBody,
    Exec,
    ShellJs,
    Execa,
    Redirect,
    Sql(SqlDialect),
    SafeFilter,
}

/// Whether a finding sits in `file` (app-relative) at `line`.
fn at(model: &AppModel, f: &Finding, file: &str, line: u32) -> bool {
    match &f.location {
        Location::File { path, line: l, .. } => {
            *l == line && model.root.join(path) == model.root.join(file)
        }
        _ => false,
    }
}

fn in_file(model: &AppModel, f: &Finding, file: &str) -> bool {
    match &f.location {
        Location::File { path, .. } => model.root.join(path) == model.root.join(file),
        _ => false,
    }
}

/// Adds the code rewrites for the selected code findings to `out`: changes (merged into a
/// change the plan already has for the same file), fixed lines and refusals.
pub(crate) fn plan_code(model: &AppModel, findings: &[&Finding], out: &mut Plan) {
    let mut sites: BTreeMap<String, Vec<Site>> = BTreeMap::new();
    // the app's dependencies: TypeORM's placeholders follow the database driver
    let drivers: Vec<&str> = ["dependencies", "devDependencies"]
        .iter()
        .filter_map(|k| model.pkg.get(*k).and_then(|d| d.as_object()))
        .flat_map(|d| d.keys().map(String::as_str))
        .collect();
    let mut add = |file: &str, site: Site| sites.entry(file.to_string()).or_default().push(site);
    for f in findings {
        match f.rule.as_str() {
            "ERR101" => {
                for file in &model.code.files {
                    if !in_file(model, f, &file.rel) {
                        continue;
                    }
                    for fact in file
                        .facts
                        .code
                        .iter()
                        .filter(|c| c.kind == CodeFactKind::ErrorInResponse)
                    {
                        add(
                            &file.rel,
                            Site {
                                rule: f.rule.clone(),
                                line: fact.line,
                                column: fact.column,
                                how: How::ErrorBody,
                            },
                        );
                    }
                }
            }
            "MW001" | "MW002" | "MW004" | "MW006" => {
                for af in &model.code.flows {
                    let Some(sink) = af.flow.steps.last() else {
                        continue;
                    };
                    if !at(model, f, &af.file, sink.line) {
                        continue;
                    }
                    let how = match (f.rule.as_str(), af.flow.kind) {
                        ("MW001", SinkKind::Sql) => {
                            match SqlDialect::of_sink(&af.flow.sink, &drivers) {
                                Ok(d) => How::Sql(d),
                                Err(why) => {
                                    out.refused.push(format!(
                                        "{} {}:{}: {why}; pass the values apart by hand",
                                        f.rule, af.file, sink.line
                                    ));
                                    continue;
                                }
                            }
                        }
                        ("MW002", SinkKind::Shell) => match af.flow.sink.as_str() {
                            "child_process.exec" | "child_process.execSync" => How::Exec,
                            "shelljs.exec" => How::ShellJs,
                            "execa.command"
                            | "execa.commandSync"
                            | "execa.execaCommand"
                            | "execa.execaCommandSync" => How::Execa,
                            _ => {
                                out.refused.push(format!(
                                    "{} {}:{}: `{}` has no execFile rewrite; pass an argument array by hand",
                                    f.rule, af.file, sink.line, af.flow.sink
                                ));
                                continue;
                            }
                        },
                        ("MW004", SinkKind::Html) if af.file.starts_with("app/view/") => {
                            How::SafeFilter
                        }
                        ("MW004", SinkKind::Html) => {
                            out.refused.push(format!(
                                "{} {}:{}: HTML built in code has no mechanical rewrite; escape with ctx.helper.escape",
                                f.rule, af.file, sink.line
                            ));
                            continue;
                        }
                        ("MW006", SinkKind::Redirect | SinkKind::UnsafeRedirect) => How::Redirect,
                        _ => continue,
                    };
                    add(
                        &af.file,
                        Site {
                            rule: f.rule.clone(),
                            line: sink.line,
                            column: sink.column,
                            how,
                        },
                    );
                }
            }
            _ => {}
        }
    }
    for (rel, mut list) in sites {
        // bottom-up, each place once
        list.sort_by_key(|s| std::cmp::Reverse((s.line, s.column)));
        list.dedup_by(|a, b| (a.line, a.column, a.how) == (b.line, b.column, b.how));
        let path = model.root.join(&rel);
        rewrite_file(model, &path, &rel, &list, out);
    }
}

fn rewrite_file(model: &AppModel, path: &Path, rel: &str, sites: &[Site], out: &mut Plan) {
    // a change the plan already has for this file (CSP nonces on a view) goes first
    let existing = out.changes.iter().position(|c| c.path == path);
    let (read_file, mut text) = match existing {
        Some(i) => (out.changes[i].read.clone(), out.changes[i].new.clone()),
        None => match read(path) {
            Ok(r) => {
                let t = r.text.clone();
                (Some(r), t)
            }
            Err(e) => {
                out.refused.push(format!("{rel}: {e}"));
                return;
            }
        },
    };
    let before = text.clone();
    let mut reasons: Vec<String> = Vec::new();
    let mut fixed: Vec<String> = Vec::new();
    // where each site is in the text as rewritten so far: a rewrite that adds a line above
    // (a `require`) moves the sites still to do
    let mut offsets: Vec<Option<usize>> = sites
        .iter()
        .map(|s| code_edit::offset_of(&text, s.line, s.column))
        .collect();
    for (i, s) in sites.iter().enumerate() {
        let (line, column) = match offsets[i] {
            Some(o) => code_edit::line_col(&text, o),
            None => (s.line, s.column),
        };
        let r = match s.how {
            How::ErrorBody => code_edit::generic_error_body(path, &text, line, column),
            How::Exec => code_edit::exec_to_exec_file(path, &text, line, column),
            How::ShellJs => code_edit::shelljs_exec_to_spawn_sync(path, &text, line, column),
            How::Execa => code_edit::execa_command_to_execa(path, &text, line, column),
            How::Redirect => code_edit::redirect_to_same_site_path(path, &text, line, column),
            How::Sql(d) => code_edit::sql_placeholders(path, &text, line, column, d),
            How::SafeFilter => code_edit::template_without_safe(&text, line, column),
        };
        match r {
            Ok(edits) if edits.is_empty() => {}
            Ok(edits) => {
                let new = apply(&text, &edits);
                if s.how != How::SafeFilter {
                    if let Err(e) = code_edit::parses(path, &new) {
                        out.refused.push(format!(
                            "{} {rel}:{}: the rewrite does not parse ({e}); a bug in eggsec, nothing written",
                            s.rule, s.line
                        ));
                        continue;
                    }
                }
                text = new;
                for later in offsets.iter_mut().skip(i + 1).flatten() {
                    let moved: isize = edits
                        .iter()
                        .filter(|e| e.end <= *later)
                        .map(|e| e.text.len() as isize - (e.end - e.start) as isize)
                        .sum();
                    *later = (*later as isize + moved) as usize;
                }
                if !reasons.contains(&s.rule) {
                    reasons.push(s.rule.clone());
                }
                fixed.push(format!("{} {rel}:{}: {}", s.rule, s.line, what(s.how)));
            }
            Err(why) => out
                .refused
                .push(format!("{} {rel}:{}: {why}", s.rule, s.line)),
        }
    }
    if text == before {
        return;
    }
    out.fixed.extend(fixed);
    let text = match &read_file {
        Some(r) => match_line_endings(&r.text, &text),
        None => text,
    };
    match existing {
        Some(i) => {
            out.changes[i].new = text;
            out.changes[i].reasons.extend(reasons);
        }
        None => out.changes.push(FileChange {
            path: PathBuf::from(path),
            shown: eggsec_fs::rel_string(&model.root, path),
            read: read_file,
            new: text,
            reasons,
        }),
    }
}

fn what(how: How) -> &'static str {
    match how {
        How::ErrorBody => "the error's details replaced by a generic message, the error logged",
        How::Exec => "exec → execFile with an argument array (no shell)",
        How::ShellJs => "shell.exec → spawnSync with an argument array (no shell)",
        How::Execa => "execa command() → execa(file, [ args ]) (one argument per value)",
        How::Redirect => "the redirect target limited to a path on this host",
        How::Sql(_) => "SQL values passed as placeholders",
        How::SafeFilter => "`| safe` removed (the value is escaped)",
    }
}
