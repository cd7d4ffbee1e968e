//! The parse-once pass over an app's source files: [`source_facts`] reads and parses a file a
//! single time and runs every extractor over the same AST — router calls and handler
//! definitions ([`crate::routes`]), tegg decorator routes, and request-data flows plus the
//! code facts the rules need ([`crate::flow`]). Everything returned is owned data, so the
//! app model can hold it without oxc.

use crate::error::JsError;
use crate::eval::source::{check_size, fold_snippet, nesting_exceeds_in, read_text, LineIndex};
use crate::eval::Limits;
use crate::flow::{CallEdge, CodeFact, Flow, FunctionFacts, ParamSink, RenderFeed};
use crate::routes::{RouterCall, RouterInclude, TeggController};
use oxc::allocator::Allocator;
use oxc::parser::{ParseOptions, Parser};
use oxc::span::SourceType;
use std::path::{Path, PathBuf};

/// Everything eggsec learns from one source file.
#[derive(Clone, Debug, Default)]
pub struct SourceFacts {
    pub path: PathBuf,
    /// `router.get(...)`, `router.resources(...)`, `app.get(...)`, namespace calls...
    pub router_calls: Vec<RouterCall>,
    /// `require('./router/admin')(app)` and imported route modules called with `app`.
    pub router_includes: Vec<RouterInclude>,
    /// Lines of router calls whose verb is computed (`router[opt.httpMethod](opt.url, …)`, a
    /// route table filled by decorators at run time): routes eggsec cannot read.
    pub dynamic_routes: Vec<u32>,
    /// tegg `@HTTPController` classes with their `@HTTPMethod` methods.
    pub tegg: Vec<TeggController>,
    /// Every named function, class method and exported function, with what its body does.
    pub functions: Vec<FunctionFacts>,
    /// Request data reaching a sink inside this file.
    pub flows: Vec<Flow>,
    /// A function parameter reaching a sink (for calls from other functions and files).
    pub param_sinks: Vec<ParamSink>,
    /// Calls that pass request data or parameters on (`ctx.service.a.b(x)`, `this.f(x)`).
    pub calls: Vec<CallEdge>,
    /// Error details in responses, secrets in logs, weak cookie options, session identity.
    pub code: Vec<CodeFact>,
    /// `ctx.render('tpl', { x })` calls feeding request data to template variables.
    pub renders: Vec<RenderFeed>,
    /// Member chains the file uses (`app.mysql.query`), for plugin-usage analysis.
    pub uses: Vec<crate::uses::MemberUse>,
    /// What each function does about authentication (rejects, or only reads the user).
    pub auth: Vec<crate::auth::AuthFn>,
    /// Import and `require` bindings (for following guards and tegg middleware to their file).
    pub imports: Vec<crate::auth::ImportBinding>,
    /// Weak authentication code, modules loaded from request data, `safeCurl` calls, models or
    /// methods picked by request data.
    pub mistakes: Vec<crate::mistakes::Mistake>,
    /// Host-header URLs handed to service methods, and parameters reaching a mail sender or an
    /// outbound request (linked across files by `absolute-url-from-host-header`).
    pub host_calls: Vec<crate::mistakes::HostCall>,
    pub host_param_sinks: Vec<crate::mistakes::HostParamSink>,
    /// Model calls by id with or without an owner condition, and owner fields the request
    /// overrides (issue 12 class 6, IDOR).
    pub ownership: Vec<crate::ownership::RecordAccess>,
    /// Calls that hand an id, a model or a filter to another function (a service method, a
    /// function of this file or of a required module): linked across files by
    /// [`crate::ownership::link`].
    pub ownership_calls: Vec<crate::ownership::OwnCall>,
    /// Model definitions (columns), fields forced before record writes, and record writes
    /// (issue 12 class 2, mass assignment).
    pub records: crate::record_writes::RecordFacts,
}

/// Reads `path`, refusing files that are too large, binary, not UTF-8 or nested too deeply,
/// parses it once and extracts every fact. A syntax error is a [`JsError::Parse`] naming the
/// file and position.
pub fn source_facts(path: &Path) -> Result<SourceFacts, JsError> {
    source_facts_with(
        path,
        &crate::flow::Summaries::default(),
        crate::models::Models::embedded(),
    )
}

/// [`source_facts`] knowing what other files' helpers and services return (see
/// [`crate::flow::Summaries`]).
pub fn source_facts_with(
    path: &Path,
    summaries: &crate::flow::Summaries,
    models: &crate::models::Models,
) -> Result<SourceFacts, JsError> {
    let limits = Limits::default();
    let text = read_text(path, &limits)?;
    source_facts_from_with(path, &text, summaries, models, Extract::All)
}

/// Reads a source file as [`source_facts`] does (regular file, size limit, no NUL byte,
/// UTF-8), so that a caller can read it once and pass the text to
/// [`source_facts_from_text_with`].
pub fn read_source(path: &Path) -> Result<String, JsError> {
    read_text(path, &Limits::default())
}

/// [`source_facts_with`] on text already read by [`read_source`].
pub fn source_facts_from_text_with(
    path: &Path,
    text: &str,
    summaries: &crate::flow::Summaries,
    models: &crate::models::Models,
) -> Result<SourceFacts, JsError> {
    source_facts_from_with(path, text, summaries, models, Extract::All)
}

/// [`source_facts`] on text already in memory (`path` decides the language and names places).
pub fn source_facts_from(path: &Path, text: &str) -> Result<SourceFacts, JsError> {
    source_facts_from_with(
        path,
        text,
        &crate::flow::Summaries::default(),
        crate::models::Models::embedded(),
        Extract::All,
    )
}

/// [`source_facts`] with only what the auth model reads — the flow pass's `functions`, the
/// auth pass's `auth` and `imports` — for files outside the code model that an auth judgement
/// follows (plugin middleware, guards they import); every other fact is left empty.
pub fn auth_facts(path: &Path) -> Result<SourceFacts, JsError> {
    let text = read_text(path, &Limits::default())?;
    source_facts_from_with(
        path,
        &text,
        &crate::flow::Summaries::default(),
        crate::models::Models::embedded(),
        Extract::Auth,
    )
}

/// Which facts [`parse_and_extract`] extracts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extract {
    All,
    /// See [`auth_facts`].
    Auth,
}

fn source_facts_from_with(
    path: &Path,
    text: &str,
    summaries: &crate::flow::Summaries,
    models: &crate::models::Models,
    what: Extract,
) -> Result<SourceFacts, JsError> {
    let limits = Limits::default();
    check_size(path, text.len() as u64, &limits)?;
    if nesting_exceeds_in(path, text, limits.max_depth) {
        return Err(JsError::TooDeep {
            path: path.to_path_buf(),
            limit: limits.max_depth,
        });
    }
    // oxc's parser is recursive descent: it runs on a large stack
    crate::stack::on_large_stack(path, || {
        parse_and_extract(path, text, summaries, models, what)
    })
}

fn source_type(path: &Path) -> SourceType {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("js");
    match ext {
        "cjs" => SourceType::cjs(),
        "mjs" => SourceType::mjs(),
        "ts" | "mts" | "cts" | "tsx" => SourceType::from_extension(ext)
            .unwrap_or_else(|_| SourceType::ts())
            .with_unambiguous(ext == "ts"),
        "jsx" => SourceType::jsx().with_unambiguous(true),
        _ => SourceType::unambiguous(),
    }
}

fn parse_and_extract(
    path: &Path,
    text: &str,
    summaries: &crate::flow::Summaries,
    models: &crate::models::Models,
    what: Extract,
) -> Result<SourceFacts, JsError> {
    let alloc = Allocator::default();
    let options = ParseOptions {
        allow_return_outside_function: true,
        ..ParseOptions::default()
    };
    let ret = crate::timing::time("parse", || {
        Parser::new(&alloc, text, source_type(path))
            .with_options(options)
            .parse()
    });
    let lines = LineIndex::new(text);
    if let Some(err) = ret.diagnostics.errors().next() {
        let offset = err.labels.first().map_or(0, |l| l.offset());
        let (line, column) = lines.line_col(text, offset);
        return Err(JsError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: err.message.to_string(),
        });
    }
    if ret.panicked {
        return Err(JsError::Parse {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "cannot parse".into(),
        });
    }
    let program = &ret.program;
    let at = Place {
        text,
        lines: &lines,
    };
    let mut facts = SourceFacts {
        path: path.to_path_buf(),
        ..Default::default()
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    use crate::timing::time;
    if what == Extract::All {
        time("extract.routes", || {
            crate::routes::extract(program, &at, dir, &mut facts)
        });
    }
    let injected = time("flow", || {
        crate::flow::analyze(program, &at, models, summaries, &mut facts)
    });
    time("extract.auth", || {
        crate::auth::extract(program, &at, &mut facts)
    });
    if what == Extract::Auth {
        return Ok(facts);
    }
    time("extract.mistakes", || {
        crate::mistakes::extract(program, &at, summaries, models, &injected, &mut facts)
    });
    time("extract.owner", || {
        crate::ownership::extract(program, &at, &injected, &mut facts)
    });
    time("extract.writes", || {
        crate::record_writes::extract(program, &at, &mut facts)
    });
    facts.uses = time("extract.uses", || {
        crate::uses::collect_with(program, text, &lines)
    });
    Ok(facts)
}

/// Turns spans into lines, columns and short snippets for the extractors.
pub(crate) struct Place<'t> {
    pub(crate) text: &'t str,
    pub(crate) lines: &'t LineIndex,
}

impl Place<'_> {
    /// 1-based line and column of a byte offset.
    pub(crate) fn line_col(&self, offset: u32) -> (u32, u32) {
        self.lines.line_col(self.text, offset)
    }

    /// The source of a span on one line, shortened to 80 characters.
    pub(crate) fn snippet(&self, start: u32, end: u32) -> String {
        let end = self
            .text
            .floor_char_boundary((end as usize).min(start as usize + 400));
        fold_snippet(self.text.get(start as usize..end).unwrap_or("?"), 80)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::SinkKind;
    use crate::routes::{RouteArg, RouterTarget};

    /// The snippet as it was first written: every word joined, then cut to `max` characters
    /// (the first `max - 1` and an ellipsis).
    fn fold_snippet_by_joining(raw: &str, max: usize) -> String {
        let one_line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > max {
            format!("{}…", one_line.chars().take(max - 1).collect::<String>())
        } else {
            one_line
        }
    }

    /// Words of every length around the 79/80/81-character edges, and `extra`.
    fn edge_words(extra: &[&'static str]) -> Vec<&'static str> {
        let mut words = vec!["a", "bc", "ctx.query.name"];
        for (c, n) in [
            ('x', 10),
            ('y', 39),
            ('z', 78),
            ('w', 79),
            ('v', 80),
            ('u', 81),
        ] {
            words.push(c.to_string().repeat(n).leak());
        }
        words.extend_from_slice(extra);
        words
    }

    /// 20,000 texts of up to 11 words, each after a gap (xorshift from `seed`).
    fn word_texts(words: &[&str], gaps: &[&str], seed: &mut u64) -> Vec<String> {
        let mut next = |n: usize| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed % n as u64) as usize
        };
        (0..20_000)
            .map(|_| {
                let mut raw = String::new();
                for _ in 0..next(12) {
                    raw.push_str(gaps[next(gaps.len())]);
                    raw.push_str(words[next(words.len())]);
                }
                raw.push_str(gaps[next(gaps.len())]);
                raw
            })
            .collect()
    }

    #[test]
    fn snippets_fold_as_joining_every_word_would() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        // multi-byte characters in the words, ASCII and non-ASCII white space between them
        let gaps = [" ", "  ", "\n\t ", "\u{a0}", "\u{3000}", "\u{2028} ", ""];
        let mut texts = word_texts(&edge_words(&["é", "日本", "🦀"]), &gaps, &mut seed);
        // ASCII only (the fast path), with every ASCII white space Unicode knows
        let ascii_gaps = [" ", "  ", "\n\t ", "\u{b}", "\u{c}", "\r\n", ""];
        texts.extend(word_texts(&edge_words(&[]), &ascii_gaps, &mut seed));
        // 80 for the code facts' snippets, 60 for the evaluator's
        let mut checked = 0;
        for max in [80, 60] {
            for raw in &texts {
                let (got, want) = (fold_snippet(raw, max), fold_snippet_by_joining(raw, max));
                assert_eq!(got, want, "{raw:?} {max}");
                checked += 1;
            }
            for n in max - 10..max + 10 {
                for gap in gaps {
                    let raw = format!("{gap}{}{gap}{}", "q".repeat(n), "r".repeat(90 - n));
                    let want = fold_snippet_by_joining(&raw, max);
                    assert_eq!(fold_snippet(&raw, max), want, "{raw:?}");
                    let raw = format!("{}{gap}é", "q".repeat(n));
                    let want = fold_snippet_by_joining(&raw, max);
                    assert_eq!(fold_snippet(&raw, max), want, "{raw:?}");
                }
            }
        }
        assert_eq!(checked, 80_000);
        assert_eq!(fold_snippet("  a \n b  ", 80), "a b");
        assert_eq!(
            fold_snippet(&"x".repeat(81), 80),
            format!("{}…", "x".repeat(79))
        );
        assert_eq!(fold_snippet(&"x".repeat(80), 80), "x".repeat(80));
    }

    #[test]
    fn bad_files_are_clear_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.js");
        std::fs::write(&bad, "module.exports = {").unwrap();
        let e = source_facts(&bad).unwrap_err();
        assert!(
            matches!(e, JsError::Parse { .. }) && e.to_string().contains("bad.js"),
            "{e}"
        );
        let bin = dir.path().join("bin.js");
        std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
        assert!(source_facts(&bin)
            .unwrap_err()
            .to_string()
            .contains("bin.js"));
        let deep = dir.path().join("deep.js");
        std::fs::write(&deep, "[".repeat(100_000)).unwrap();
        assert!(matches!(source_facts(&deep), Err(JsError::TooDeep { .. })));
    }

    fn sinks(src: &str) -> Vec<(SinkKind, String)> {
        let f = source_facts_from(Path::new("/app/app/controller/x.js"), src).unwrap();
        f.flows
            .iter()
            .map(|fl| (fl.kind, fl.sink.clone()))
            .chain(f.param_sinks.iter().map(|p| (p.kind, p.sink.clone())))
            .collect()
    }

    #[test]
    fn callees_are_resolved_not_matched_by_name() {
        // a typed variable holding egg-mysql's client is the SQL sink
        let s = sinks("exports.a = async ctx => { const db = ctx.app.mysql; await db.query('x' + ctx.query.q); };");
        assert_eq!(s, vec![(SinkKind::Sql, "app.mysql.query".to_string())]);
        // a class's own `query` method, a model static and a repository taking objects are not SQL
        assert!(sinks("class S { async query(p) { return p; } async f() { return this.query({ url: this.ctx.query.u }); } }").is_empty());
        assert!(
            sinks("exports.a = async ctx => ctx.model.Topic.query({ tab: ctx.query.tab });")
                .is_empty()
        );
        // a local function named exec is not child_process.exec
        assert!(sinks(
            "function exec(x) { return x; }\nexports.a = async ctx => exec('ls ' + ctx.query.d);"
        )
        .is_empty());
        let s = sinks("const { exec } = require('child_process');\nexports.a = async ctx => exec('ls ' + ctx.query.d);");
        assert_eq!(s, vec![(SinkKind::Shell, "child_process.exec".to_string())]);
        // ESM named import and a created pool
        let s = sinks("import mysql from 'mysql2/promise';\nconst pool = mysql.createPool({});\nexport async function a(ctx) { await pool.query(`SELECT ${ctx.query.id}`); }");
        assert_eq!(
            s,
            vec![(
                SinkKind::Sql,
                "mysql2/promise.createPool().query".to_string()
            )]
        );
    }

    #[test]
    fn variables_are_symbols_a_shadowing_binding_is_its_own() {
        let src = "exports.a = async ctx => { const q = ctx.query.q; { const q = 'fixed'; await ctx.app.mysql.query('SELECT ' + q); } await ctx.app.mysql.query('SELECT ' + q); };";
        let f = source_facts_from(Path::new("/app/app/controller/x.js"), src).unwrap();
        assert_eq!(f.flows.len(), 1, "{:?}", f.flows);
        let outer = src.rfind("ctx.app.mysql.query").unwrap() as u32 + 1;
        assert_eq!(f.flows[0].steps.last().unwrap().column, outer);
    }

    #[test]
    fn database_values_are_not_request_data() {
        assert!(sinks("exports.a = async ctx => { const t = await ctx.model.Topic.findOne({ where: { id: ctx.query.id } }); await ctx.app.mysql.query('SELECT ' + t.author_id); };").is_empty());
        assert!(sinks("exports.a = async ctx => { const rows = await ctx.app.mysql.query('SELECT 1', [ ctx.query.id ]); ctx.redirect(rows[0].url); };").is_empty());
    }

    #[test]
    fn appended_text_keeps_a_fixed_origin() {
        // url += request path after a server-built origin: the origin stays
        assert!(sinks("exports.a = async ctx => { const t = new URL(ctx.app.config.proxy); let u = `${t.protocol}//${t.host}${t.pathname}`; u += ctx.path; await ctx.curl(u); };").is_empty());
        assert!(sinks("exports.a = async ctx => { const base = 'https://api.fixed.host/'; await ctx.curl(base + ctx.query.p); let u = base; u += ctx.query.q; await ctx.curl(u); };").is_empty());
        // no origin fixed before the request data: reported
        let s = sinks(
            "exports.a = async ctx => { let u = 'http'; u += ctx.query.rest; await ctx.curl(u); };",
        );
        assert_eq!(s, vec![(SinkKind::Ssrf, "ctx.curl".to_string())]);
        let s = sinks("exports.a = async ctx => { const base = 'https://'; await ctx.curl(base + ctx.query.host); };");
        assert_eq!(s, vec![(SinkKind::Ssrf, "ctx.curl".to_string())]);
        // reassigned from request data: the shape is gone
        let s = sinks("exports.a = async ctx => { let u = 'https://api.fixed.host/'; u = ctx.query.u; u += '/x'; await ctx.curl(u); };");
        assert_eq!(s, vec![(SinkKind::Ssrf, "ctx.curl".to_string())]);
    }

    #[test]
    fn ajv_validators_clean_what_they_accepted() {
        let shell = vec![(SinkKind::Shell, "child_process.execSync".to_string())];
        let app = |setup: &str, body: &str| {
            format!("const Ajv = require('ajv');\nconst ajv = new Ajv();\n{setup}\nexports.a = async ctx => {{ const d = ctx.request.body; {body} require('child_process').execSync('ls ' + d.n); }};")
        };
        let compiled = "const v = ajv.compile({ type: 'object' });";
        // a compiled validator, whatever its name, rejecting before the use
        assert!(sinks(&app(compiled, "if (!v(d)) { ctx.throw(422); }")).is_empty());
        // its result kept first (ajv's documented shape)
        assert!(sinks(&app(compiled, "const ok = v(d); if (!ok) return;")).is_empty());
        // ajv.validate(schema, data) and a schema looked up by id
        assert!(sinks(&app(
            "",
            "if (!ajv.validate({ type: 'object' }, d)) return;"
        ))
        .is_empty());
        assert!(sinks(&app(
            "",
            "const s = ajv.getSchema('user'); if (!s(d)) return;"
        ))
        .is_empty());
        // ESM and ajv 8's 2020 dialect
        let esm = "import Ajv2020 from 'ajv/dist/2020';\nconst ajv = new Ajv2020();\nconst check = ajv.compile({});\nexport const a = async ctx => { const d = ctx.request.body; if (!check(d)) return; require('child_process').execSync('ls ' + d.n); };";
        assert!(sinks(esm).is_empty());
        // look-alikes: the result ignored, the test not rejecting, another value checked
        assert_eq!(sinks(&app(compiled, "v(d);")), shell);
        assert_eq!(sinks(&app(compiled, "if (v(d)) { ctx.body = 1; }")), shell);
        assert_eq!(
            sinks(&app(compiled, "const e = ctx.query; if (!v(e)) return;")),
            shell
        );
        // a function that is not ajv's, named anything
        assert_eq!(
            sinks("const f = require('./f');\nexports.a = async ctx => { const d = ctx.request.body; const g = f.make(); if (!g(d)) return; require('child_process').execSync('ls ' + d.n); };"),
            shell
        );
    }

    #[test]
    fn schema_validated_values_are_the_schemas() {
        assert!(sinks("const Joi = require('joi');\nconst S = Joi.object({ n: Joi.string().alphanum() });\nexports.a = async ctx => { const { n } = await S.validateAsync(ctx.request.body); require('child_process').execSync('ls ' + n); };").is_empty());
        assert!(sinks("const { z } = require('zod');\nconst S = z.object({ n: z.string() });\nexports.a = async ctx => { const { n } = S.parse(ctx.query); require('child_process').execSync('ls ' + n); };").is_empty());
        assert!(sinks("const { validateOrReject } = require('class-validator');\nexports.a = async ctx => { const dto = ctx.request.body; await validateOrReject(dto); require('child_process').execSync('ls ' + dto.n); };").is_empty());
        // an unrelated `parse` is not a schema
        let s = sinks("const qs = require('querystring');\nexports.a = async ctx => { const { n } = qs.parse(ctx.querystring); require('child_process').execSync('ls ' + n); };");
        assert_eq!(
            s,
            vec![(SinkKind::Shell, "child_process.execSync".to_string())]
        );
    }

    #[test]
    fn request_keys_are_request_data() {
        let s = sinks("exports.a = async ctx => { let q = 'UPDATE t SET '; for (const k in ctx.request.body) { q += `${k} = ?`; } await ctx.app.mysql.query(q, []); };");
        assert_eq!(s, vec![(SinkKind::Sql, "app.mysql.query".to_string())]);
        // egg 1 generator controller: `this` is the context
        let s = sinks("exports.a = function* () { let q = 'UPDATE t SET '; for (const k in this.request.body) { q += `${k} = ?`; } yield this.app.mysql.query(q, []); };");
        assert_eq!(s, vec![(SinkKind::Sql, "app.mysql.query".to_string())]);
        assert!(sinks("exports.a = async ctx => { let q = 'UPDATE t SET '; for (const k in ctx.app.config.cols) { q += `${k} = ?`; } await ctx.app.mysql.query(q, [ctx.query.v]); };").is_empty());
    }

    #[test]
    fn a_call_on_a_parameter_is_decided_by_the_caller() {
        let f = source_facts_from(
            Path::new("/app/app/lib/general.js"),
            "exports._item = async (ctx, Model, { query = {} } = {}) => { return await Model.findOne(query).exec(); };\nexports.trimmed = s => s.trim();",
        )
        .unwrap();
        let item = f.functions.iter().find(|x| x.name == "_item").unwrap();
        assert_eq!(item.returns, 0);
        assert_eq!(item.returns_via.len(), 2, "{:?}", item.returns_via);
        assert!(item
            .returns_via
            .iter()
            .all(|v| v.on == 1 && v.call == "findOne().exec"));
        let t = f.functions.iter().find(|x| x.name == "trimmed").unwrap();
        assert_eq!(
            t.returns_via,
            vec![crate::flow::ReturnVia {
                arg: 0,
                on: 0,
                call: "trim".into()
            }]
        );
        // the caller passes a model: its query result is not request data; a string stays one
        let mut summaries = crate::flow::Summaries::default();
        let key = crate::flow::module_key(Path::new("/app/app/lib/general.js"));
        summaries
            .entry(format!("{key}._item"))
            .or_default()
            .add(item);
        summaries
            .entry(format!("{key}.trimmed"))
            .or_default()
            .add(t);
        let src = "const { _item, trimmed } = require('../lib/general');\nexports.a = async ctx => { const p = await _item(ctx, ctx.model.Plugin, { query: { _id: ctx.query.id } }); require('child_process').execSync('npm rm ' + p.pkgName); const n = trimmed(ctx.query.n); require('child_process').execSync('npm rm ' + n); };";
        let f = source_facts_from_with(
            Path::new("/app/app/controller/./x.js"),
            src,
            &summaries,
            crate::models::Models::embedded(),
            Extract::All,
        )
        .unwrap();
        assert_eq!(f.flows.len(), 1, "{:?}", f.flows);
        assert!(
            f.flows[0].steps.iter().any(|s| s.what.contains("trimmed(")),
            "{:?}",
            f.flows[0].steps
        );
    }

    #[test]
    fn allow_list_checks_around_a_block_and_later_methods() {
        // inside `if (x && inArray(LIST, x))` x is one of the list's values; after it, not
        assert!(sinks("exports.a = function* () { const t = this.params.t; const list = yield this.service.t.all(); if (t && this.helper.inarray(list, t)) { yield this.app.mysql.query('SELECT * FROM ' + t); } };").is_empty());
        let s = sinks("exports.a = function* () { const t = this.params.t; if (t && LIST.includes(t)) { } yield this.app.mysql.query('SELECT * FROM ' + t); };");
        assert_eq!(s, vec![(SinkKind::Sql, "app.mysql.query".to_string())]);
        // a method written below its caller: its return summary is known at the call
        assert!(sinks("class S { async f() { const r = await this.g({ p: this.ctx.query.p }); await this.ctx.curl(r.url); } async g({ p }) { const rows = await this.ctx.model.I.findAll({ where: { p } }); for (const x of rows) { return x; } return null; } }").is_empty());
    }

    #[test]
    fn module_functions_written_below_their_caller() {
        // `function f` after `exports.a = … f(x)`: f returns a DB row, not its argument
        let below = "exports.a = async ctx => { const r = await find(ctx, ctx.query.id); ctx.redirect(r.url); };\nasync function find(ctx, id) { const row = await ctx.model.Link.findOne({ where: { id } }); return row; }";
        assert!(sinks(below).is_empty(), "{:?}", sinks(below));
        // the same function handing its argument back is still followed
        let back = "exports.a = async ctx => { const u = pick(ctx.query.u); ctx.redirect(u); };\nfunction pick(x) { return x.trim(); }";
        assert_eq!(
            sinks(back),
            vec![(SinkKind::Redirect, "ctx.redirect".to_string())]
        );
        // and callees of callees, in any order
        let chain = "exports.a = async ctx => ctx.redirect(outer(ctx, ctx.query.u));\nfunction outer(ctx, u) { return inner(ctx, u); }\nfunction inner(ctx, u) { return ctx.app.config.home; }";
        assert!(sinks(chain).is_empty(), "{:?}", sinks(chain));
        // a function reading a module binding set up between the caller and it stays in
        // place, so the binding's type is known inside it (the pool is a SQL client): the
        // handler's flow and the function's parameter sink, as when it is written first
        let setup = "exports.a = async ctx => run(ctx.query.q);\nconst mysql = require('mysql');\nconst pool = mysql.createPool({});\nfunction run(q) { return pool.query('SELECT ' + q); }";
        let first = "const mysql = require('mysql');\nconst pool = mysql.createPool({});\nfunction run(q) { return pool.query('SELECT ' + q); }\nexports.a = async ctx => run(ctx.query.q);";
        let sql = (SinkKind::Sql, "mysql.createPool().query".to_string());
        assert_eq!(sinks(setup), vec![sql.clone(), sql]);
        assert_eq!(sinks(setup), sinks(first));
    }

    #[test]
    fn relative_specs_are_found_without_parsing() {
        let specs = crate::flow::relative_specs("const a = require('./a');\nconst b = require(\"../lib/b\");\nimport c from './c.js';\nconst d = require('lodash');\nconst e = await import('./e');");
        assert_eq!(specs, vec!["./a", "../lib/b", "./c.js", "./e"]);
    }

    #[test]
    fn one_parse_gives_routes_and_flows() {
        let src = "module.exports = app => {\n  const { router, controller } = app;\n  const api = router.namespace('/api', app.middleware.auth());\n  api.post('n', '/x', controller.a.b);\n  router.get(/^\\/r$/, 'home.index');\n  require('./other')(app);\n};\nexports.f = async ctx => { const id = ctx.query.id; await app.mysql.query(`SELECT ${id}`); };\n";
        let f = source_facts_from(Path::new("/app/app/router.js"), src).unwrap();
        assert_eq!(f.router_calls.len(), 2);
        let RouterTarget::Namespace { prefix, middleware } = &f.router_calls[0].target else {
            panic!("{:?}", f.router_calls[0]);
        };
        assert_eq!(prefix, "/api");
        assert_eq!(
            middleware[0],
            RouteArg::Middleware {
                name: "auth".into(),
                called: true
            }
        );
        assert_eq!(
            f.router_calls[0].args[2],
            RouteArg::Controller { name: "a.b".into() }
        );
        assert!(matches!(f.router_calls[1].args[0], RouteArg::Regex { .. }));
        assert_eq!(f.router_includes[0].specifier, "./other");
        assert_eq!(f.flows.len(), 1);
        assert_eq!(f.flows[0].kind, SinkKind::Sql);
        assert_eq!(f.flows[0].steps.len(), 3, "{:?}", f.flows[0].steps);
    }
}

/// The flow engine alone, for the resolver's cost against the old name-based flow pass
/// (issue 11): each file of `FLOWBENCH_FILES` (one path a line) parsed once, then
/// `flow::analyze` over all of them `FLOWBENCH_PASSES` times (default 20); prints the best
/// pass. A benchmark, not a test: `cargo test --release -p eggsec_js --lib flowbench --
/// --ignored --nocapture`, or one pass under `valgrind --tool=callgrind` for instructions.
#[cfg(test)]
mod flowbench {
    use super::*;

    #[test]
    #[ignore]
    fn flowbench() {
        let Ok(list) = std::env::var("FLOWBENCH_FILES") else {
            eprintln!("flowbench: set FLOWBENCH_FILES to a file of paths");
            return;
        };
        let passes: usize = std::env::var("FLOWBENCH_PASSES")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(20);
        let texts: Vec<(PathBuf, String)> = std::fs::read_to_string(list)
            .unwrap_or_default()
            .lines()
            .filter_map(|p| Some((PathBuf::from(p), std::fs::read_to_string(p).ok()?)))
            .collect();
        let allocs: Vec<Allocator> = texts.iter().map(|_| Allocator::default()).collect();
        let options = ParseOptions {
            allow_return_outside_function: true,
            ..ParseOptions::default()
        };
        let parsed: Vec<_> = texts
            .iter()
            .zip(&allocs)
            .map(|((p, t), a)| {
                let ret = Parser::new(a, t, source_type(p))
                    .with_options(options)
                    .parse();
                (p, t, LineIndex::new(t), ret.program)
            })
            .collect();
        let summaries = crate::flow::Summaries::default();
        let models = crate::models::Models::embedded();
        let mut best = f64::MAX;
        for _ in 0..passes {
            let start = std::time::Instant::now();
            for (path, text, lines, program) in &parsed {
                let at = Place { text, lines };
                let mut facts = SourceFacts {
                    path: path.to_path_buf(),
                    ..Default::default()
                };
                crate::flow::analyze(program, &at, models, &summaries, &mut facts);
                std::hint::black_box(&facts);
            }
            best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "flowbench: {} files, best of {passes} passes {best:.1} ms",
            parsed.len()
        );
    }
}
