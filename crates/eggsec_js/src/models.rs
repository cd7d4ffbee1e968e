//! Sinks, sanitisers and clean results as data (`crates/eggsec_js/models/*.toml`, one file per
//! library, embedded at build time; users add their own in `eggsec.toml`). The flow engine
//! resolves every callee to a canonical path (`app.mysql.query`, `child_process.exec`,
//! `mysql.createPool().query`, `local:helper`) and looks it up here — a sink is what a callee
//! *is*, never what its method is called. See `models/README.md` for the format.

use crate::flow::SinkKind;
use serde::Deserialize;
use std::sync::OnceLock;

/// The embedded model files: `(file name, text)`.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("egg-mysql.toml", include_str!("../models/egg-mysql.toml")),
    ("mysql.toml", include_str!("../models/mysql.toml")),
    ("pg.toml", include_str!("../models/pg.toml")),
    ("sequelize.toml", include_str!("../models/sequelize.toml")),
    ("knex.toml", include_str!("../models/knex.toml")),
    ("typeorm.toml", include_str!("../models/typeorm.toml")),
    ("leoric.toml", include_str!("../models/leoric.toml")),
    ("mongoose.toml", include_str!("../models/mongoose.toml")),
    ("redis.toml", include_str!("../models/redis.toml")),
    (
        "child_process.toml",
        include_str!("../models/child_process.toml"),
    ),
    ("code.toml", include_str!("../models/code.toml")),
    ("fs.toml", include_str!("../models/fs.toml")),
    ("http.toml", include_str!("../models/http.toml")),
    ("html.toml", include_str!("../models/html.toml")),
    ("merge.toml", include_str!("../models/merge.toml")),
    (
        "mass-assignment.toml",
        include_str!("../models/mass-assignment.toml"),
    ),
    ("regex.toml", include_str!("../models/regex.toml")),
    ("encode.toml", include_str!("../models/encode.toml")),
    ("hash.toml", include_str!("../models/hash.toml")),
    ("jwt.toml", include_str!("../models/jwt.toml")),
    ("validators.toml", include_str!("../models/validators.toml")),
    (
        "active-record.toml",
        include_str!("../models/active-record.toml"),
    ),
];

/// The same files as JSON (`build.rs` converts them): what a run reads, by serde_json, instead
/// of parsing TOML at every start. `(TOML file name, JSON text)`.
const EMBEDDED_JSON: &[(&str, &str)] = &[
    (
        "egg-mysql.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/egg-mysql.json")),
    ),
    (
        "mysql.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/mysql.json")),
    ),
    (
        "pg.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/pg.json")),
    ),
    (
        "sequelize.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/sequelize.json")),
    ),
    (
        "knex.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/knex.json")),
    ),
    (
        "typeorm.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/typeorm.json")),
    ),
    (
        "leoric.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/leoric.json")),
    ),
    (
        "mongoose.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/mongoose.json")),
    ),
    (
        "redis.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/redis.json")),
    ),
    (
        "child_process.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/child_process.json")),
    ),
    (
        "code.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/code.json")),
    ),
    (
        "fs.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/fs.json")),
    ),
    (
        "http.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/http.json")),
    ),
    (
        "html.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/html.json")),
    ),
    (
        "merge.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/merge.json")),
    ),
    (
        "mass-assignment.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/mass-assignment.json")),
    ),
    (
        "regex.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/regex.json")),
    ),
    (
        "encode.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/encode.json")),
    ),
    (
        "hash.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/hash.json")),
    ),
    (
        "jwt.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/jwt.json")),
    ),
    (
        "validators.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/validators.json")),
    ),
    (
        "active-record.toml",
        include_str!(concat!(env!("OUT_DIR"), "/models/active-record.json")),
    ),
];

/// A call shape condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The call has at least this many arguments (values passed apart from the text).
    ArgsAtLeast(usize),
    /// An object-literal argument sets this key to something other than `false`.
    Option(String),
    /// The sink argument is a function (a callback, not code text).
    ArgIsFunction,
    /// The sink argument is not a function.
    ArgNotFunction,
}

impl Shape {
    fn parse(s: &str) -> Result<Shape, String> {
        if let Some(n) = s.strip_prefix("args>=") {
            return n
                .parse()
                .map(Shape::ArgsAtLeast)
                .map_err(|_| format!("`{s}`: args>= needs a number"));
        }
        if let Some(k) = s.strip_prefix("option:") {
            if k.is_empty() {
                return Err(format!("`{s}`: option: needs a key"));
            }
            return Ok(Shape::Option(k.to_string()));
        }
        match s {
            "arg-is-function" => Ok(Shape::ArgIsFunction),
            "arg-not-function" => Ok(Shape::ArgNotFunction),
            _ => Err(format!(
                "unknown call shape `{s}` (expected args>=N, option:<key>, arg-is-function, arg-not-function)"
            )),
        }
    }
}

/// One sink model.
#[derive(Clone, Debug)]
pub struct SinkModel {
    pub library: String,
    pub callee: Vec<Pattern>,
    pub kind: SinkKind,
    pub arg: usize,
    pub all_args: bool,
    pub fields: bool,
    pub whole: bool,
    pub text: bool,
    /// Only when this egg plugin provides the receiver (checked by the app model).
    pub plugin: Option<String>,
    pub when: Vec<Shape>,
    pub safe: Vec<Shape>,
}

#[derive(Clone, Debug)]
pub struct SanitizerModel {
    pub callee: Vec<Pattern>,
    /// Bits of the sink kinds cleared.
    pub clears: u32,
}

/// Every model, embedded and user-added.
#[derive(Clone, Debug, Default)]
pub struct Models {
    pub sinks: Vec<SinkModel>,
    pub sanitizers: Vec<SanitizerModel>,
    /// The result carries only argument 0's request data (`mysql.format(sql, values)`).
    pub formatters: Vec<Pattern>,
    pub clean_results: Vec<Pattern>,
    /// Calls that throw unless argument `.1` is valid (`validateOrReject(dto)`,
    /// `Joi.assert(value, schema)`): the variable passed there is clean afterwards.
    pub guards: Vec<(Pattern, usize)>,
    /// Calls that return whether argument `.1` is valid (an ajv validator `validate(x)`):
    /// the variable is clean after `if (!validate(x)) return` or `const ok = validate(x);
    /// if (!ok) throw ...`.
    pub checks: Vec<(Pattern, usize)>,
    /// Which entries each table may match, by a call path's first segment (built on first
    /// lookup; every change to the tables goes through `add`, which drops it).
    index: OnceLock<Index>,
}

/// For each table, the entries whose patterns start with a given literal segment, and those
/// that start with a wildcard (checked for every path). A lookup checks only these entries,
/// in table order, so the result is the same as a scan of the whole table.
#[derive(Clone, Debug, Default)]
struct Index {
    sinks: FirstSegment,
    sanitizers: FirstSegment,
    formatters: FirstSegment,
    clean_results: FirstSegment,
    guards: FirstSegment,
    checks: FirstSegment,
}

#[derive(Clone, Debug, Default)]
struct FirstSegment {
    /// (entry, pattern of the entry) by the pattern's first segment, then by its second
    /// segment when that is literal too (most `ctx.*`/`app.*` patterns: `ctx.model`,
    /// `app.mysql`, `ctx.curl`), so a call is tried only against the patterns that can match.
    literal: rustc_hash::FxHashMap<String, BySecond>,
    /// patterns whose first segment is a prefix (`mod:*`: a relatively required module), by
    /// that prefix
    prefixed: Vec<(String, Vec<(usize, usize)>)>,
    wild: Vec<(usize, usize)>,
}

#[derive(Clone, Debug, Default)]
struct BySecond {
    literal: rustc_hash::FxHashMap<String, Vec<(usize, usize)>>,
    /// patterns of one segment, or whose second segment has a wildcard
    any: Vec<(usize, usize)>,
}

/// A pattern segment as indexed: literal (without its `()`), or `None` for a wildcard.
fn literal_segment(seg: Option<&String>) -> Option<&str> {
    seg.filter(|s| !s.contains('*'))
        .map(|s| s.strip_suffix("()").unwrap_or(s))
}

impl FirstSegment {
    /// Entries with one pattern each.
    fn new<'p>(entries: impl Iterator<Item = (usize, &'p Pattern)>) -> FirstSegment {
        FirstSegment::of_patterns(entries.map(|(i, p)| (i, 0, p)))
    }

    /// Entries with several patterns (`callee = [...]`): `(entry, pattern index, pattern)`.
    fn of_patterns<'p>(entries: impl Iterator<Item = (usize, usize, &'p Pattern)>) -> FirstSegment {
        let mut out = FirstSegment::default();
        for (i, j, p) in entries {
            let list = match literal_segment(p.0.first()) {
                Some(first) => {
                    let by = out.literal.entry(first.to_string()).or_default();
                    match literal_segment(p.0.get(1)) {
                        Some(second) => by.literal.entry(second.to_string()).or_default(),
                        None => &mut by.any,
                    }
                }
                None => match p.0.first().and_then(|f| f.strip_suffix('*')) {
                    Some(prefix) if !prefix.is_empty() && !prefix.contains('*') => {
                        match out.prefixed.iter().position(|(x, _)| x == prefix) {
                            Some(k) => &mut out.prefixed[k].1,
                            None => {
                                out.prefixed.push((prefix.to_string(), Vec::new()));
                                &mut out.prefixed.last_mut().expect("just pushed").1
                            }
                        }
                    }
                    _ => &mut out.wild,
                },
            };
            list.push((i, j));
        }
        out
    }

    /// Entries that may match `path`, in table order.
    fn candidates(&self, path: &[&str]) -> Vec<usize> {
        let mut out: Vec<usize> = self.patterns(path).into_iter().map(|(i, _)| i).collect();
        out.dedup();
        out
    }

    /// `(entry, pattern)` pairs whose pattern may match `path` (no other pattern can: its
    /// first or second segment differs), in table order.
    fn patterns(&self, path: &[&str]) -> Vec<(usize, usize)> {
        fn strip<'a>(f: &&'a str) -> &'a str {
            f.strip_suffix("()").unwrap_or(f)
        }
        let by = path.first().map(strip).and_then(|f| self.literal.get(f));
        let second = by
            .and_then(|b| path.get(1).map(strip).and_then(|s| b.literal.get(s)))
            .map_or(&[][..], Vec::as_slice);
        let any = by.map_or(&[][..], |b| b.any.as_slice());
        let mut lists: smallvec::SmallVec<[&[(usize, usize)]; 4]> =
            smallvec::smallvec![second, any];
        if let Some(f) = path.first() {
            for (prefix, l) in &self.prefixed {
                if f.starts_with(prefix.as_str()) {
                    lists.push(l);
                }
            }
        }
        lists.push(&self.wild);
        let mut out = Vec::with_capacity(lists.iter().map(|l| l.len()).sum());
        for l in &lists {
            out.extend_from_slice(l);
        }
        if lists.iter().filter(|l| !l.is_empty()).count() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        out
    }
}

/// A canonical-path pattern: `.`-separated segments, `*` one segment, `**` any number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern(Vec<String>);

impl Pattern {
    pub fn parse(s: &str) -> Result<Pattern, String> {
        if s.is_empty() || s.split('.').any(str::is_empty) {
            return Err(format!("bad callee pattern `{s}` (empty segment)"));
        }
        Ok(Pattern(s.split('.').map(str::to_string).collect()))
    }

    pub fn matches(&self, path: &[&str]) -> bool {
        fn go(p: &[String], s: &[&str]) -> bool {
            match p.first() {
                None => s.is_empty(),
                Some(h) if h == "**" => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
                Some(h) => match s.first() {
                    None => false,
                    Some(x) => seg_matches(h, x) && go(&p[1..], &s[1..]),
                },
            }
        }
        go(&self.0, path)
    }
}

/// A pattern segment without `()` matches the segment called or not (`app.knex.**` covers
/// `app.knex('t').where(...)`); with `()` only the call.
fn seg_matches(pattern: &str, seg: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let seg = if pattern.ends_with("()") {
        seg
    } else {
        seg.strip_suffix("()").unwrap_or(seg)
    };
    match pattern.strip_suffix('*') {
        Some(prefix) if !prefix.is_empty() => seg.starts_with(prefix),
        _ => pattern == seg,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDe {
    library: String,
    #[serde(default)]
    sinks: Vec<SinkDe>,
    #[serde(default)]
    sanitizers: Vec<SanitizerDe>,
    #[serde(default)]
    formatters: Vec<CleanDe>,
    #[serde(default)]
    clean_results: Vec<CleanDe>,
    #[serde(default)]
    guards: Vec<GuardDe>,
}

/// The user's models (`[models]` in `eggsec.toml`): the same tables without `library`.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct UserModelsDe {
    #[serde(default)]
    sinks: Vec<SinkDe>,
    #[serde(default)]
    sanitizers: Vec<SanitizerDe>,
    #[serde(default)]
    formatters: Vec<CleanDe>,
    #[serde(default)]
    clean_results: Vec<CleanDe>,
    #[serde(default)]
    guards: Vec<GuardDe>,
}

/// The tables of one model file or of the user's `[models]`.
struct Tables<'a> {
    sinks: &'a [SinkDe],
    sanitizers: &'a [SanitizerDe],
    formatters: &'a [CleanDe],
    clean: &'a [CleanDe],
    guards: &'a [GuardDe],
}

#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct GuardDe {
    callee: Vec<String>,
    #[serde(default)]
    arg: usize,
    /// `"valid"`: the call returns whether the argument is valid instead of throwing.
    #[serde(default)]
    returns: Option<String>,
}

#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct SinkDe {
    callee: Vec<String>,
    kind: String,
    #[serde(default)]
    arg: usize,
    #[serde(default)]
    all_args: bool,
    #[serde(default)]
    fields: bool,
    #[serde(default)]
    whole: bool,
    #[serde(default)]
    text: bool,
    #[serde(default)]
    plugin: Option<String>,
    #[serde(default)]
    when: Vec<String>,
    #[serde(default)]
    safe: Vec<String>,
}

#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct SanitizerDe {
    callee: Vec<String>,
    clears: Vec<String>,
}

#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct CleanDe {
    callee: Vec<String>,
}

/// `sql`, `nosql-operator`... → the kind.
pub fn kind_named(s: &str) -> Option<SinkKind> {
    Some(match s {
        "sql" => SinkKind::Sql,
        "shell" => SinkKind::Shell,
        "eval" => SinkKind::Eval,
        "html" => SinkKind::Html,
        "path" => SinkKind::Path,
        "redirect" => SinkKind::Redirect,
        "unsafe-redirect" => SinkKind::UnsafeRedirect,
        "ssrf" => SinkKind::Ssrf,
        "regex" => SinkKind::Regex,
        "nosql-operator" => SinkKind::NosqlOperator,
        "prototype-pollution" => SinkKind::PrototypePollution,
        "mass-assignment" => SinkKind::MassAssignment,
        _ => return None,
    })
}

fn patterns(list: &[String], at: &str) -> Result<Vec<Pattern>, String> {
    if list.is_empty() {
        return Err(format!("{at}: `callee` is empty"));
    }
    list.iter()
        .map(|p| Pattern::parse(p).map_err(|e| format!("{at}: {e}")))
        .collect()
}

impl Models {
    fn add(&mut self, library: &str, t: Tables<'_>, file: &str) -> Result<(), String> {
        self.index = OnceLock::new();
        let Tables {
            sinks,
            sanitizers,
            formatters,
            clean,
            guards,
        } = t;
        for (i, s) in sinks.iter().enumerate() {
            let at = format!("{file}: sinks[{i}]");
            let kind =
                kind_named(&s.kind).ok_or_else(|| format!("{at}: unknown kind `{}`", s.kind))?;
            let shapes = |l: &[String]| -> Result<Vec<Shape>, String> {
                l.iter()
                    .map(|x| Shape::parse(x).map_err(|e| format!("{at}: {e}")))
                    .collect()
            };
            self.sinks.push(SinkModel {
                library: library.to_string(),
                callee: patterns(&s.callee, &at)?,
                kind,
                arg: s.arg,
                all_args: s.all_args,
                fields: s.fields,
                whole: s.whole,
                text: s.text,
                plugin: s.plugin.clone(),
                when: shapes(&s.when)?,
                safe: shapes(&s.safe)?,
            });
        }
        for (i, s) in sanitizers.iter().enumerate() {
            let at = format!("{file}: sanitizers[{i}]");
            let mut clears = 0;
            for k in &s.clears {
                clears |= if k == "all" {
                    u32::MAX
                } else {
                    kind_named(k)
                        .ok_or_else(|| format!("{at}: unknown kind `{k}`"))?
                        .bit()
                };
            }
            if clears == 0 {
                return Err(format!("{at}: `clears` is empty"));
            }
            self.sanitizers.push(SanitizerModel {
                callee: patterns(&s.callee, &at)?,
                clears,
            });
        }
        for (i, c) in formatters.iter().enumerate() {
            let at = format!("{file}: formatters[{i}]");
            self.formatters.extend(patterns(&c.callee, &at)?);
        }
        for (i, c) in clean.iter().enumerate() {
            let at = format!("{file}: clean_results[{i}]");
            self.clean_results.extend(patterns(&c.callee, &at)?);
        }
        for (i, g) in guards.iter().enumerate() {
            let at = format!("{file}: guards[{i}]");
            let table = match g.returns.as_deref() {
                None => &mut self.guards,
                Some("valid") => &mut self.checks,
                Some(other) => {
                    return Err(format!(
                        "{at}: unknown `returns = \"{other}\"` (expected \"valid\")"
                    ))
                }
            };
            for p in patterns(&g.callee, &at)? {
                table.push((p, g.arg));
            }
        }
        Ok(())
    }

    /// Parses and validates one model file.
    pub fn add_file(&mut self, name: &str, text: &str) -> Result<(), String> {
        let f: FileDe = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        self.add_de(name, &f)
    }

    /// [`Models::add_file`] for a model file converted to JSON by `build.rs`.
    fn add_json(&mut self, name: &str, json: &str) -> Result<(), String> {
        let f: FileDe = serde_json::from_str(json).map_err(|e| format!("{name}: {e}"))?;
        self.add_de(name, &f)
    }

    fn add_de(&mut self, name: &str, f: &FileDe) -> Result<(), String> {
        self.add(
            &f.library,
            Tables {
                sinks: &f.sinks,
                sanitizers: &f.sanitizers,
                formatters: &f.formatters,
                clean: &f.clean_results,
                guards: &f.guards,
            },
            name,
        )
    }

    /// Adds the user's models (`[models]` of `eggsec.toml`, already deserialised).
    pub fn add_user(&mut self, user: &UserModelsDe, file: &str) -> Result<(), String> {
        self.add(
            "eggsec.toml",
            Tables {
                sinks: &user.sinks,
                sanitizers: &user.sanitizers,
                formatters: &user.formatters,
                clean: &user.clean_results,
                guards: &user.guards,
            },
            file,
        )
    }

    /// The embedded models (validated by a unit test: a bad file never ships).
    pub fn embedded() -> &'static Models {
        static M: OnceLock<Models> = OnceLock::new();
        M.get_or_init(|| {
            let mut m = Models::default();
            for (name, json) in EMBEDDED_JSON {
                if let Err(e) = m.add_json(name, json) {
                    // unreachable in a released build: `embedded_models_are_valid` checks them
                    eprintln!("eggsec: error: embedded model {e}");
                }
            }
            m
        })
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| Index {
            sinks: FirstSegment::of_patterns(
                self.sinks
                    .iter()
                    .enumerate()
                    .flat_map(|(i, s)| s.callee.iter().enumerate().map(move |(j, c)| (i, j, c))),
            ),
            sanitizers: FirstSegment::of_patterns(
                self.sanitizers
                    .iter()
                    .enumerate()
                    .flat_map(|(i, s)| s.callee.iter().enumerate().map(move |(j, c)| (i, j, c))),
            ),
            formatters: FirstSegment::new(self.formatters.iter().enumerate()),
            clean_results: FirstSegment::new(self.clean_results.iter().enumerate()),
            guards: FirstSegment::new(self.guards.iter().enumerate().map(|(i, (c, _))| (i, c))),
            checks: FirstSegment::new(self.checks.iter().enumerate().map(|(i, (c, _))| (i, c))),
        })
    }

    pub fn sinks_for<'a>(&'a self, path: &[&str]) -> impl Iterator<Item = &'a SinkModel> + 'a {
        // only the patterns that may match are tried (an entry matches when one of them does)
        let mut found: Vec<&SinkModel> = Vec::new();
        let mut last = None;
        for (i, j) in self.index().sinks.patterns(path) {
            if last != Some(i) && self.sinks[i].callee[j].matches(path) {
                last = Some(i);
                found.push(&self.sinks[i]);
            }
        }
        found.into_iter()
    }

    pub fn sanitizer_bits(&self, path: &[&str]) -> u32 {
        self.index()
            .sanitizers
            .patterns(path)
            .into_iter()
            .filter(|&(i, j)| self.sanitizers[i].callee[j].matches(path))
            .fold(0, |a, (i, _)| a | self.sanitizers[i].clears)
    }

    pub fn formatter(&self, path: &[&str]) -> bool {
        self.index()
            .formatters
            .candidates(path)
            .into_iter()
            .any(|i| self.formatters[i].matches(path))
    }

    pub fn clean_result(&self, path: &[&str]) -> bool {
        self.index()
            .clean_results
            .candidates(path)
            .into_iter()
            .any(|i| self.clean_results[i].matches(path))
    }

    /// The argument a guard call validates, when `path` is one.
    pub fn guard_arg(&self, path: &[&str]) -> Option<usize> {
        self.index()
            .guards
            .candidates(path)
            .into_iter()
            .map(|i| &self.guards[i])
            .find(|(c, _)| c.matches(path))
            .map(|(_, a)| *a)
    }

    /// The argument a check call (returning whether it is valid) validates, when `path` is one.
    pub fn check_arg(&self, path: &[&str]) -> Option<usize> {
        self.index()
            .checks
            .candidates(path)
            .into_iter()
            .map(|i| &self.checks[i])
            .find(|(c, _)| c.matches(path))
            .map(|(_, a)| *a)
    }
}

/// The embedded models plus the `[models]` table of an `eggsec.toml` whose text is `text`
/// (the caller reads the file through its safe reader: a FIFO or a device named
/// `eggsec.toml` is never opened here); `Ok(None)` when there is no such table (use
/// [`Models::embedded`]). A bad table is an error naming the file and the entry.
pub fn user_models_from_text(text: &str) -> Result<Option<Models>, String> {
    // a file that does not parse is reported by the settings loader
    let Ok(mut table) = text.parse::<toml::Table>() else {
        return Ok(None);
    };
    match table.remove("models") {
        None => Ok(None),
        Some(v) => parse_user_models(v, "eggsec.toml").map(Some),
    }
}

/// Parses the `[models]` table of an `eggsec.toml` (for validation and use).
pub fn parse_user_models(value: toml::Value, file: &str) -> Result<Models, String> {
    let de: UserModelsDe = value
        .try_into()
        .map_err(|e: toml::de::Error| format!("{file}: [models]: {e}"))?;
    let mut m = Models::embedded().clone();
    m.add_user(&de, file)?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_models_are_valid() {
        let mut m = Models::default();
        for (name, text) in EMBEDDED {
            m.add_file(name, text).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(m.sinks.len() > 20);
        // every model file in the folder is embedded
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if n.ends_with(".toml") {
                assert!(EMBEDDED.iter().any(|(x, _)| *x == n), "{n} is not embedded");
            }
        }
    }

    /// What a run reads (the JSON `build.rs` makes) is exactly the TOML files: every file, in
    /// the same order, giving the same models.
    #[test]
    fn the_embedded_json_models_are_the_toml_models() {
        fn names(list: &[(&'static str, &str)]) -> Vec<&'static str> {
            list.iter().map(|(n, _)| *n).collect()
        }
        assert_eq!(names(EMBEDDED), names(EMBEDDED_JSON));
        let mut from_toml = Models::default();
        for (name, text) in EMBEDDED {
            from_toml.add_file(name, text).unwrap();
        }
        let mut from_json = Models::default();
        for (name, json) in EMBEDDED_JSON {
            from_json.add_json(name, json).unwrap();
        }
        assert_eq!(format!("{from_toml:?}"), format!("{from_json:?}"));
        // (the lookup index is built on first use: left out of the comparison)
        let mut embedded = Models::embedded().clone();
        embedded.index = OnceLock::new();
        assert_eq!(format!("{embedded:?}"), format!("{from_toml:?}"));
    }

    #[test]
    fn bad_models_name_the_problem() {
        let mut m = Models::default();
        let e = m
            .add_file(
                "x.toml",
                "library = 'x'\n[[sinks]]\ncallee = ['a.b']\nkind = 'sqll'\n",
            )
            .unwrap_err();
        assert!(e.contains("x.toml: sinks[0]: unknown kind `sqll`"), "{e}");
        let e = m
            .add_file(
                "x.toml",
                "library = 'x'\n[[sinks]]\ncallee = ['a..b']\nkind = 'sql'\n",
            )
            .unwrap_err();
        assert!(e.contains("empty segment"), "{e}");
        let e = m
            .add_file(
                "x.toml",
                "library = 'x'\n[[sinks]]\ncallee = ['a']\nkind = 'sql'\nsafe = ['maybe']\n",
            )
            .unwrap_err();
        assert!(e.contains("unknown call shape `maybe`"), "{e}");
    }

    #[test]
    fn user_models_add_to_the_embedded_ones() {
        let v: toml::Value = toml::from_str(
            "[[sinks]]\ncallee = ['app.db.raw']\nkind = 'sql'\n[[sanitizers]]\ncallee = ['ctx.helper.safeSql']\nclears = ['sql']\n",
        )
        .unwrap();
        let m = parse_user_models(v, "eggsec.toml").unwrap();
        assert!(m.sinks_for(&["app", "db", "raw"]).next().is_some());
        assert!(m.sinks_for(&["app", "mysql", "query"]).next().is_some());
        assert_eq!(
            m.sanitizer_bits(&["ctx", "helper", "safeSql"]),
            SinkKind::Sql.bit()
        );
        let bad: toml::Value =
            toml::from_str("[[sinks]]\ncallee = ['x']\nkind = 'sqll'\n").unwrap();
        let e = parse_user_models(bad, "eggsec.toml").unwrap_err();
        assert!(
            e.contains("eggsec.toml: sinks[0]: unknown kind `sqll`"),
            "{e}"
        );
    }

    #[test]
    fn the_index_finds_what_a_scan_of_every_table_finds() {
        let m = Models::embedded();
        // every pattern's own segments (wildcards filled in), called and not, plus misses
        let mut paths: Vec<Vec<String>> = vec![vec![], vec!["x".into()], vec!["()".into()]];
        let all = m
            .sinks
            .iter()
            .flat_map(|s| s.callee.iter())
            .chain(m.sanitizers.iter().flat_map(|s| s.callee.iter()))
            .chain(m.formatters.iter())
            .chain(m.clean_results.iter())
            .chain(m.guards.iter().map(|(c, _)| c))
            .chain(m.checks.iter().map(|(c, _)| c));
        for p in all {
            let plain: Vec<String> = p.0.iter().map(|s| s.replace('*', "x")).collect();
            let called: Vec<String> = plain.iter().map(|s| format!("{s}()")).collect();
            let mut longer = plain.clone();
            longer.push("query".into());
            // the index keys the second segment too: a look-alike that differs only there
            let mut other_second = plain.clone();
            if let Some(s) = other_second.get_mut(1) {
                *s = "other".into();
            }
            paths.extend([plain, called, longer, other_second]);
        }
        for path in &paths {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            let scan: Vec<&SinkModel> = m
                .sinks
                .iter()
                .filter(|s| s.callee.iter().any(|c| c.matches(&path)))
                .collect();
            let found: Vec<&SinkModel> = m.sinks_for(&path).collect();
            assert_eq!(found.len(), scan.len(), "{path:?}");
            assert!(found.iter().zip(&scan).all(|(a, b)| std::ptr::eq(*a, *b)));
            let bits = m
                .sanitizers
                .iter()
                .filter(|s| s.callee.iter().any(|c| c.matches(&path)))
                .fold(0, |a, s| a | s.clears);
            assert_eq!(m.sanitizer_bits(&path), bits, "{path:?}");
            assert_eq!(
                m.formatter(&path),
                m.formatters.iter().any(|c| c.matches(&path))
            );
            assert_eq!(
                m.clean_result(&path),
                m.clean_results.iter().any(|c| c.matches(&path))
            );
            assert_eq!(
                m.guard_arg(&path),
                m.guards.iter().find(|(c, _)| c.matches(&path)).map(|g| g.1)
            );
            assert_eq!(
                m.check_arg(&path),
                m.checks.iter().find(|(c, _)| c.matches(&path)).map(|g| g.1)
            );
        }
    }

    #[test]
    fn patterns_match_segments() {
        let p = Pattern::parse("app.mysql.**.query").unwrap();
        assert!(p.matches(&["app", "mysql", "query"]));
        assert!(p.matches(&["app", "mysql", "get()", "query"]));
        assert!(!p.matches(&["app", "model", "query"]));
        let p = Pattern::parse("ctx.model.*.find").unwrap();
        assert!(p.matches(&["ctx", "model", "User", "find"]));
        assert!(!p.matches(&["ctx", "model", "find"]));
        let p = Pattern::parse("validator.is*").unwrap();
        assert!(p.matches(&["validator", "isEmail"]));
        assert!(!p.matches(&["validator", "escape"]));
        let p = Pattern::parse("app.knex.**").unwrap();
        assert!(p.matches(&["app", "knex()", "where()", "select"]));
        let p = Pattern::parse("knex().raw").unwrap();
        assert!(p.matches(&["knex()", "raw"]));
        assert!(!p.matches(&["knex", "raw"]));
    }
}
