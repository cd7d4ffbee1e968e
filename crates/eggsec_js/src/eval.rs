//! The static evaluator: JS/TS/JSON module → exported [`Value`].
//!
//! CONTRACT (implemented by the evaluator task; see crate docs and tests):
//! - `ExportMode::Config`: egg's `this.loadFile`: if the export is a function (not a class) it is
//!   called with `(appInfo, appConfig)`; its (awaited, for egg 4) return value is the result;
//!   a falsy return becomes `{}`.
//! - `ExportMode::Raw`: egg's raw `utils.loadFile` used for `plugin.js`: the export as is
//!   (a function export is returned as `ValueKind::Function`).
//! - `.json` files are parsed as JSON (with provenance lines).
//! - ESM/TS `export default X` and CJS `exports.default` with `__esModule` unwrap to `X`;
//!   ESM with no default export gives the namespace object of the named exports.
//!
//! How it evaluates: a small JS interpreter over oxc's AST (`eval/interp.rs` statements,
//! `eval/expr.rs` expressions, `eval/builtins.rs` the host: `path`, `os`, `process.env`,
//! `Object.*`, …; `eval/modules.rs` requires/imports/exports). What it cannot know becomes
//! `ValueKind::Unknown { why }` and flows through operators as such; a branch whose condition
//! cannot be decided runs with every assignment replaced by an `Unknown` naming the condition,
//! so no branch is ever guessed. Anything skipped or doubtful is also reported as a [`Note`].
//!
//! Safety: files over `max_file_bytes`, binary or non-UTF-8 files are refused; a byte-level
//! pre-scan refuses nesting deeper than `max_depth` before oxc parses; the evaluator bounds its
//! own recursion by `max_depth`, runs on a thread with a large stack, and has a step budget
//! (endless loops and recursion end as `Unknown`).

mod builtins;
mod expr;
mod heap;
mod interp;
mod modules;
mod ops;
pub(crate) mod source;

use crate::{
    error::JsError,
    value::{Provenance, Value},
};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// egg's `appInfo` for the env being evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct AppInfo {
    pub name: String,
    pub base_dir: PathBuf,
    pub env: String,
    pub scope: String,
    /// `baseDir` in local/unittest, `HOME` otherwise.
    pub root: PathBuf,
    pub home: PathBuf,
    /// The parsed package.json, when available (`appInfo.pkg`).
    pub pkg: Option<serde_json::Value>,
    /// `appInfo.appDir`: midway v1's project root (egg's baseDir is its `src/`); egg itself
    /// has no such key.
    pub app_dir: Option<PathBuf>,
}

impl AppInfo {
    /// `HOME` defaults to `$EGG_HOME`, then `$HOME`, then `/home/admin` (egg's node-homedir chain).
    pub fn new(name: &str, base_dir: impl Into<PathBuf>, env: &str) -> Self {
        let base_dir = base_dir.into();
        let home: PathBuf = std::env::var_os("EGG_HOME")
            .or_else(|| std::env::var_os("HOME"))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/home/admin"));
        let root = if env == "local" || env == "unittest" {
            base_dir.clone()
        } else {
            home.clone()
        };
        Self {
            name: name.into(),
            base_dir,
            env: env.into(),
            scope: String::new(),
            root,
            home,
            pkg: None,
            app_dir: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportMode {
    /// Config files: a function export is called with `(appInfo, appConfig)`.
    Config,
    /// Plugin files and data modules: the export as written.
    Raw,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Files above this size are refused with [`JsError::TooLarge`].
    pub max_file_bytes: u64,
    /// Bracket/AST nesting above this is refused with [`JsError::TooDeep`] (no stack overflow).
    pub max_depth: usize,
    /// Depth of local `require`/`import` chains followed.
    pub max_require_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 4 * 1024 * 1024,
            max_depth: 512,
            max_require_depth: 8,
        }
    }
}

#[derive(Clone, Debug)]
pub struct EvalOptions<'a> {
    pub app_info: &'a AppInfo,
    pub mode: ExportMode,
    /// Second argument for plugin/framework config functions (`_preloadAppConfig`); `None` for
    /// app config files (egg passes `undefined`).
    pub app_config: Option<&'a Value>,
    /// Evaluate as egg 4 (await async config functions). Egg 2/3 merge the Promise → `{}`.
    pub await_async: bool,
    pub limits: Limits,
}

impl<'a> EvalOptions<'a> {
    pub fn config(app_info: &'a AppInfo) -> Self {
        Self {
            app_info,
            mode: ExportMode::Config,
            app_config: None,
            await_async: false,
            limits: Limits::default(),
        }
    }
    pub fn raw(app_info: &'a AppInfo) -> Self {
        Self {
            mode: ExportMode::Raw,
            ..Self::config(app_info)
        }
    }
}

/// Something the evaluator could not follow, with where (for `--verbose` and diagnostics).
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// A limit of the evaluator was hit (steps, value size, string or array length): work
    /// was skipped, so what the file sets is only partly known and the run is partial.
    pub limit: bool,
}

/// Marks the `why` of every value that is unknown because an evaluation budget ran out.
pub const BUDGET_MARK: &str = "evaluation budget";

/// The first value of `v` that is unknown because a budget ran out (see [`BUDGET_MARK`]).
fn budget_unknown(v: &Value) -> Option<&str> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match &v.kind {
            crate::ValueKind::Unknown { why } if why.contains(BUDGET_MARK) => return Some(why),
            crate::ValueKind::Object(map) => stack.extend(map.values()),
            crate::ValueKind::Array(items) | crate::ValueKind::Set(items) => stack.extend(items),
            crate::ValueKind::Env {
                default: Some(d), ..
            } => stack.push(d),
            _ => {}
        }
    }
    None
}

#[derive(Clone, Debug)]
pub struct Module {
    /// The (unwrapped, and in `Config` mode called) export.
    pub exports: Value,
    /// Every file read to produce it (the file itself plus local requires/imports).
    pub files: Vec<PathBuf>,
    pub notes: Vec<Note>,
}

/// Evaluate a file from disk. See the module docs for the contract.
///
/// Files over `limits.max_file_bytes`, binary files and files that are not UTF-8 are refused
/// before parsing.
pub fn eval_file(path: &Path, opts: &EvalOptions<'_>) -> Result<Module, JsError> {
    let text = source::read_text(path, &opts.limits)?;
    eval_source(path, &text, opts)
}

/// Evaluate source text; `path` decides the language (`.js .cjs .mjs .ts .mts .cts .json`;
/// any other extension is read as JavaScript) and is used for provenance and relative requires.
pub fn eval_source(path: &Path, source: &str, opts: &EvalOptions<'_>) -> Result<Module, JsError> {
    source::check_size(path, source.len() as u64, &opts.limits)?;
    crate::stack::on_large_stack(path, || evaluate(path, source, opts))
}

fn evaluate(path: &Path, source: &str, opts: &EvalOptions<'_>) -> Result<Module, JsError> {
    let alloc = oxc::allocator::Allocator::default();
    let src = Rc::new(source::Src::new(path, ""));
    let mut it = interp::Interp::new(&alloc, opts, src);
    let too_deep = || JsError::TooDeep {
        path: path.to_path_buf(),
        limit: opts.limits.max_depth,
    };
    let result = match it.load_module(path, source) {
        Ok(rec) => {
            let export = it.egg_export(rec);
            match opts.mode {
                ExportMode::Config => it.call_config(export),
                ExportMode::Raw => Ok(export),
            }
        }
        Err(modules::LoadError::File(e)) => return Err(e),
        Err(modules::LoadError::Stop(stop)) => Err(stop),
    };
    let start = Provenance::new(path.display().to_string(), 1, 1);
    let value = match result {
        Ok(v) => {
            let (value, exhausted) = it
                .heap
                .lower_counted(&v, opts.limits.max_depth)
                .map_err(|()| too_deep())?;
            if exhausted {
                it.notes.push(Note {
                    file: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: "the exported value is too large (an object shared many times expands past the evaluation budget); the parts beyond it are unknown".into(),
                    limit: true,
                });
            } else if let Some(why) = budget_unknown(&value) {
                let message = format!("{why}: that part of the export is unknown");
                it.notes.push(Note {
                    file: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message,
                    limit: true,
                });
            }
            value
        }
        Err(interp::Stop::TooDeep) => return Err(too_deep()),
        Err(interp::Stop::ShortCircuit) => Value::new(crate::ValueKind::Undefined, start),
        Err(interp::Stop::Throw(what)) => {
            let why = format!("evaluating the file throws {what}");
            it.notes.push(Note {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
                message: why.clone(),
                limit: false,
            });
            Value::unknown(why, start)
        }
        Err(interp::Stop::Abort(why)) => {
            it.notes.push(Note {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
                message: why.clone(),
                limit: true,
            });
            Value::unknown(why, start)
        }
    };
    Ok(Module {
        exports: value,
        files: it.files,
        notes: it.notes,
    })
}
