//! The route table and the code model: every source file under `app/` (and tegg module
//! directories) parsed once, in parallel, by [`eggsec_js::source_facts`]; routes built from
//! `app/router.*` and what it requires (egg's argument rules, `resources` REST mapping,
//! egg-router-plus namespaces) and from tegg decorators; each route resolved to its handler's
//! file:line, its middleware chain (global middleware with `match`/`ignore`, namespace and route
//! middleware), CSRF and auth status; request-data flows linked across files along egg's naming
//! conventions (`ctx.service.a.b.c` → `app/service/a/b.js#c`, `ctx.helper.f` →
//! `app/extend/helper.js#f`).

use crate::middleware::middleware_name;
use crate::model::{Diagnostic, DiagnosticLevel, MiddlewareEntry, PluginState};
use crate::vendored::{is_vendored_dir, is_vendored_name, is_vendored_text};
use eggsec_js::flow::{link, Callee, Flow, RenderFeed, SinkKind, Step};
use eggsec_js::routes::{RouteArg, RouterCall, RouterTarget};
use eggsec_js::{SourceFacts, Value, ValueKind};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// CSRF status of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CsrfStatus {
    /// egg-security's csrf check runs for this route.
    Protected,
    /// It does not: a safe method, csrf off, the path ignored, the security plugin off.
    Exempt,
    /// It depends on something not statically known (a function `ignore`, an Unknown value).
    Unknown,
}

/// Whether a route checks who the user is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthStatus {
    /// A middleware in the chain, a decorator or a check in the handler rejects requests that
    /// are not authenticated or not allowed (see [`crate::auth`]).
    Required,
    /// Nothing on the way rejects anonymous requests (pass-through middleware that only load
    /// the user do not count).
    None,
    /// A protector applies only under a condition eggsec cannot decide, the handler reads the
    /// user without rejecting, or the handler is not found.
    Unknown,
}

/// Where a middleware in a route's chain comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MiddlewareScope {
    /// `coreMiddleware` + `config.middleware`, filtered by `match`/`ignore`.
    Global,
    /// egg-router-plus `router.namespace(prefix, ...mw)`.
    Namespace,
    /// Given in the router call, or tegg `@Middleware`.
    Route,
    /// `router.use([path], ...mw)` before the route, on a path prefix that matches it
    /// (its own layer in `app.router.stack`, not the route's).
    Router,
}

/// One middleware in a route's chain.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RouteMiddleware {
    pub name: String,
    pub scope: MiddlewareScope,
    /// `Some(why)` when it applies only under a condition eggsec cannot decide
    /// (a function `match`, a RegExp on a parameterised path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional: Option<String>,
}

/// One route: a method and path and what handles it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Route {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `ALL` (every method, as `router.all`).
    pub method: String,
    /// The path as registered (a RegExp path as `/source/flags`).
    pub path: String,
    pub regex_path: bool,
    /// The route name (`router.get('user', '/user/:id', ...)`, resources names, tegg names).
    pub name: Option<String>,
    /// `user.show`, `FooController.create`, `redirect → /new`, `<inline function>`.
    pub handler: String,
    /// The handler's definition (or the router call when the handler is not found), app-relative.
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    /// The router call (or tegg class) that registered it, app-relative.
    pub registered_at: (PathBuf, u32),
    pub middleware: Vec<RouteMiddleware>,
    pub csrf: CsrfStatus,
    pub auth: AuthStatus,
    /// What makes the route require authentication (or might, when `auth` is unknown): a
    /// rejecting middleware, a decorator, a guard call or a check in the handler.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected_by: Option<crate::auth::Protector>,
    /// An auth middleware that rejects other requests lets this route through by its own list
    /// of paths (`if (whiteList.includes(ctx.path)) return next();`): which one, where, and the
    /// test ([`crate::auth::Protection::exempt`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_by: Option<String>,
    /// egg-router-plus namespace prefix (such routes are not in `app.router.stack`).
    pub namespace: Option<String>,
    /// From a tegg decorator (mounted apart, not in `app.router.stack`); decorator-router
    /// routes are registered on `app.router` and are not tegg.
    pub tegg: bool,
    /// Index of the handler's file in [`CodeModel::files`], when found.
    #[serde(skip)]
    pub handler_file: Option<usize>,
    /// The handler's function name in that file.
    #[serde(skip)]
    pub handler_function: Option<String>,
}

impl Route {
    /// POST, PUT, PATCH, DELETE, or ALL.
    pub fn is_state_changing(&self) -> bool {
        matches!(
            self.method.as_str(),
            "POST" | "PUT" | "PATCH" | "DELETE" | "ALL"
        )
    }
}

impl CodeFile {
    /// The path inside its load unit (`app/service/a.js` for the app's and a plugin's alike).
    pub fn unit_rel(&self) -> &str {
        unit_rel(&self.rel, self.unit.as_deref())
    }

    /// The named function or method holding `line`: the one that starts last at or before it
    /// (facts keep no end lines; a function nested in a handler is taken for the handler).
    pub fn function_at(&self, line: u32) -> Option<&eggsec_js::flow::FunctionFacts> {
        self.facts
            .functions
            .iter()
            .filter(|g| g.line <= line)
            .max_by_key(|g| g.line)
    }
}

fn unit_rel<'r>(rel: &'r str, unit: Option<&str>) -> &'r str {
    unit.and_then(|u| rel.strip_prefix(u))
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(rel)
}

/// The role of a file of a load unit: an in-repo plugin's router and controllers are not
/// egg's (egg loads `app/router` and `app/controller` of the app alone); what a plugin does
/// with them is code like any other.
fn unit_role(rel: &str, unit: Option<&str>) -> FileRole {
    match (role_of(unit_rel(rel, unit)), unit) {
        (FileRole::Router | FileRole::Controller, Some(_)) => FileRole::Other,
        (role, _) => role,
    }
}

/// What a source file is to egg, by where it lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileRole {
    Router,
    Controller,
    Service,
    Middleware,
    Helper,
    /// tegg module files and anything else under `app/`.
    Other,
}

/// One parsed source file.
#[derive(Clone, Debug)]
pub struct CodeFile {
    /// App-relative path with `/` separators.
    pub rel: String,
    pub abs: PathBuf,
    pub role: FileRole,
    /// The in-repo plugin whose code this is (its directory, app-relative), `None` for the
    /// app's own: egg loads an enabled plugin's services, middleware, extensions and boot
    /// file into the app, and its files have their role by their place in the plugin.
    pub unit: Option<String>,
    pub facts: SourceFacts,
    /// The text that was parsed (`None` when it was read again by the parser's own reader),
    /// so that later passes (plugin usage, rules) never read the file a second time.
    pub text: Option<std::sync::Arc<str>>,
}

/// A request-data flow, in the file of its sink.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AppFlow {
    /// App-relative file of the sink.
    pub file: String,
    pub flow: Flow,
}

/// Every source file's facts and the flows found in and across them.
#[derive(Clone, Debug, Default)]
pub struct CodeModel {
    pub files: Vec<CodeFile>,
    /// Intra-file flows and cross-file flows (steps in other files carry their file), and
    /// request data printed unescaped by a nunjucks template (`{{ x | safe }}`: the flow's file
    /// is the template, its earlier steps carry the controller's file).
    pub flows: Vec<AppFlow>,
    /// `ctx.render('tpl', { x })` calls that feed request data to a template, in the file of
    /// the call (what `autoescape: false` turns into XSS).
    pub renders: Vec<AppRender>,
    /// The service methods the code names, read once on first use ([`CodeModel::service_refs`]).
    pub service_refs: std::sync::OnceLock<crate::reach::ServiceRefs>,
}

/// A render call feeding request data to a template.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AppRender {
    /// App-relative file of the render call.
    pub file: String,
    pub render: RenderFeed,
}

impl CodeModel {
    /// Which service methods some code of the app names (for dead-code checks), computed on
    /// the first call.
    pub fn service_refs(&self) -> &crate::reach::ServiceRefs {
        self.service_refs
            .get_or_init(|| crate::reach::ServiceRefs::of(self))
    }

    /// The file at an app-relative path.
    pub fn file(&self, rel: &str) -> Option<&CodeFile> {
        self.files.iter().find(|f| f.rel == rel)
    }

    /// The parsed file at an absolute path (as the code model spells it).
    pub fn by_abs(&self, abs: &Path) -> Option<&CodeFile> {
        self.files
            .iter()
            .find(|f| f.abs.as_os_str() == abs.as_os_str())
    }

    /// The text of every parsed file, by absolute path, for passes that would otherwise read
    /// the files again.
    pub fn texts(&self) -> HashMap<&Path, &str> {
        self.files
            .iter()
            .filter_map(|f| Some((f.abs.as_path(), f.text.as_deref()?)))
            .collect()
    }

    /// The index in [`Self::files`] of the service egg names `dotted` (`user.mail` for
    /// `ctx.service.user.mail`: `app/service/user/mail.js`).
    pub fn service_file(&self, dotted: &str) -> Option<usize> {
        // the first such file, as [`FileIndex`] keeps it (without building the whole index)
        self.files.iter().position(|f| {
            f.role == FileRole::Service
                && f.unit_rel()
                    .strip_prefix("app/service/")
                    .and_then(dotted_name)
                    .is_some_and(|n| n == dotted)
        })
    }

    /// [`Self::service_file`] of every service at once: the index of the first file of each
    /// dotted name.
    pub fn service_files(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for (i, f) in self.files.iter().enumerate() {
            if f.role != FileRole::Service {
                continue;
            }
            if let Some(n) = f
                .unit_rel()
                .strip_prefix("app/service/")
                .and_then(dotted_name)
            {
                out.entry(n).or_insert(i);
            }
        }
        out
    }

    /// The index in [`Self::files`] of the file defining the class `name` (a tegg `@Inject()`
    /// target).
    pub fn class_file(&self, name: &str) -> Option<usize> {
        self.files.iter().position(|f| {
            f.facts
                .functions
                .iter()
                .any(|func| func.class.as_deref() == Some(name) && !name.is_empty())
        })
    }
}

fn role_of(rel: &str) -> FileRole {
    let stem_is = |dir: &str| rel.starts_with(dir);
    if rel.starts_with("app/router.") || stem_is("app/router/") {
        FileRole::Router
    } else if stem_is("app/controller/") {
        FileRole::Controller
    } else if stem_is("app/service/") {
        FileRole::Service
    } else if stem_is("app/middleware/") {
        FileRole::Middleware
    } else if rel.starts_with("app/extend/helper.") {
        FileRole::Helper
    } else {
        FileRole::Other
    }
}

fn is_source(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".d.ts") {
        return false;
    }
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("js" | "ts" | "mjs" | "cjs" | "mts" | "cts")
    )
}

/// Source directories: `app/` and the tegg module dirs of `config/module.json`.
fn source_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.join("app")];
    if let Ok(text) =
        eggsec_report::input::read_text_limited(&root.join("config/module.json"), 4 * 1024 * 1024)
    {
        if let Ok(serde_json::Value::Array(items)) = serde_json::from_str(&text) {
            for i in items {
                if let Some(p) = i.get("path").and_then(|p| p.as_str()) {
                    let dir = root.join("config").join(p);
                    let dir = dir.canonicalize().unwrap_or(dir);
                    if eggsec_fs::is_dir(&dir) && !dir.starts_with(root.join("app")) {
                        dirs.push(dir);
                    }
                }
            }
        }
    }
    dirs
}

/// Names the code model never walks into under its source dirs (browser code, templates,
/// installed packages); the plugin-usage scan ahead reads what it leaves.
pub(crate) const NOT_SOURCE_DIRS: &[&str] = &["node_modules", "public", "view", "assets"];

/// Every source file under the source dirs (no `node_modules`, no `app/public`/`app/view`),
/// and the app's own boot file (`app.js`/`app.ts`: routes it registers, code it runs).
/// Symbolic links are followed within the repository as egg follows them
/// ([`crate::links`]); what a link left out is said in `diags`.
fn source_files(root: &Path, units: &[PathBuf], diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut refused = crate::links::Refused::default();
    let mut files = Vec::new();
    let mut dirs = source_dirs(root);
    for unit in std::iter::once(root).chain(units.iter().map(PathBuf::as_path)) {
        if let Some(boot) = ["app.js", "app.ts", "app.mjs", "app.cjs"]
            .iter()
            .map(|n| unit.join(n))
            .find(|p| eggsec_fs::is_file(p))
        {
            files.push(eggsec_js::source_twin(boot));
        }
        if unit != root {
            dirs.push(unit.join("app"));
        }
    }
    for dir in dirs {
        if !eggsec_fs::is_dir(&dir) {
            continue;
        }
        // egg loads every file, ignore files or not (and an ignore file is never opened: a
        // FIFO named .ignore would block the walk)
        let mut keep = |e: &eggsec_fs::Entry| {
            let n = eggsec_fs::lossy(&e.name);
            let rel = eggsec_fs::strip_root(&e.path, root).unwrap_or(&e.path);
            !(NOT_SOURCE_DIRS.contains(&n.as_ref())
                || (e.file_type.is_some_and(|t| t.is_dir()) && is_vendored_dir(rel)))
        };
        let mut unfollowed = |e: &eggsec_fs::Entry, why: eggsec_fs::Unfollowed| {
            if let Some((level, message)) = refused.say(root, e, why, NOT_SOURCE_DIRS, &is_source) {
                diags.push(Diagnostic::at(level, e.path.clone(), 0, message));
            }
        };
        eggsec_fs::walk_following(
            &dir,
            true,
            root,
            &mut keep,
            &mut |e| {
                if e.file_type.is_some_and(|t| t.is_file())
                    && is_source(&e.path)
                    && !is_vendored_name(&eggsec_fs::lossy(&e.name))
                {
                    files.push(e.path.clone());
                }
                true
            },
            &mut unfollowed,
        );
    }
    files.sort();
    // a `.js` that `tsc` wrote beside its `.ts` is the same code, compiled: read once, as
    // source (`eggsec_js::source_twin`), looked up by bytes (comparing paths component by
    // component costs more than the rest of this walk)
    let names: std::collections::HashSet<&[u8]> = files
        .iter()
        .map(|f| f.as_os_str().as_encoded_bytes())
        .collect();
    let twins: Vec<bool> = files
        .iter()
        .map(|f| {
            let bytes = f.as_os_str().as_encoded_bytes();
            bytes.strip_suffix(b".js").is_some_and(|stem| {
                let mut ts = stem.to_vec();
                ts.extend_from_slice(b".ts");
                names.contains(ts.as_slice())
            })
        })
        .collect();
    drop(names);
    let mut twins = twins.into_iter();
    files.retain(|_| !twins.next().unwrap_or(false));
    files
}

/// Parses every source file of the app (in parallel, one parse each) and links the flows.
pub fn code_model(root: &Path, diags: &mut Vec<Diagnostic>) -> CodeModel {
    code_model_with_units(root, &[], diags)
}

/// [`code_model`] with the code egg loads from the app's enabled in-repo plugins (`units`,
/// their directories inside `root`): their `app/` (services, middleware, extensions, and the
/// code these require) and boot file, in one model with the app's, so that a call from the
/// app into a plugin's service (or back into the app's helper) is followed.
pub fn code_model_with_units(
    root: &Path,
    units: &[PathBuf],
    diags: &mut Vec<Diagnostic>,
) -> CodeModel {
    build_code_model(root, units, diags, None).unwrap_or_default()
}

/// [`code_model_with_units`] that stops, with `None`, once `cancel` is set: the loader starts
/// the model of the app's own code before it knows the plugins, and drops it for one with the
/// in-repo plugins' code when there are some (what it found so far is thrown away, diagnostics
/// included).
pub fn code_model_unless(
    root: &Path,
    units: &[PathBuf],
    diags: &mut Vec<Diagnostic>,
    cancel: &std::sync::atomic::AtomicBool,
) -> Option<CodeModel> {
    build_code_model(root, units, diags, Some(cancel))
}

/// A file of the code model and what its analysis gave.
type Analysed = (PathBuf, Result<SourceFacts, eggsec_js::JsError>);

fn build_code_model(
    root: &Path,
    units: &[PathBuf],
    diags: &mut Vec<Diagnostic>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Option<CodeModel> {
    let live = || cancel.is_none_or(|c| !c.load(std::sync::atomic::Ordering::Relaxed));
    let walk_phase = eggsec_js::timing::phase("code.walk+read");
    // (a unit is the app's own directory, or not inside it: not a plugin's code of its own)
    let units: Vec<PathBuf> = units
        .iter()
        .filter(|u| u.as_path() != root && eggsec_fs::strip_root(u, root).is_some())
        .cloned()
        .collect();
    let unit_names: Vec<String> = units
        .iter()
        .map(|u| eggsec_fs::rel_string(root, u))
        .collect();
    // the in-repo plugin a file belongs to (the deepest, for a plugin inside another)
    let unit_of = |rel: &str| -> Option<String> {
        unit_names
            .iter()
            .filter(|u| {
                rel.strip_prefix(u.as_str())
                    .is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|u| u.len())
            .cloned()
    };
    let role_at = |rel: &str| unit_role(rel, unit_of(rel).as_deref());
    let paths = source_files(root, &units, diags);
    // minified and bundled files are browser code, not server code; the others' relative
    // `require`s/imports order the phases below
    // every file is read once: the text read here is the one parsed below
    // (the byte offset of the first invalid byte of a file read as Node reads it)
    type Read = (PathBuf, Result<String, eggsec_js::JsError>, Vec<String>);
    let read: Vec<(Read, Option<usize>)> = paths
        .into_par_iter()
        .filter(|_| live())
        .filter_map(|p| match eggsec_js::read_source(&p) {
            Ok(t) if is_vendored_text(&t) => None,
            Ok(t) => {
                let specs = eggsec_js::relative_specs(&t);
                Some(((p, Ok(t), specs), None))
            }
            // Node reads every source as UTF-8, each invalid byte as U+FFFD (a GBK or Latin-1
            // comment): the code runs, so it is analysed as it runs (and named below)
            Err(eggsec_js::JsError::InvalidUtf8 { offset, .. }) => {
                let text = eggsec_report::input::read_limited(&p, 16 << 20)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())?;
                if is_vendored_text(&text) {
                    return None;
                }
                let specs = eggsec_js::relative_specs(&text);
                Some(((p, Ok(text), specs), Some(offset)))
            }
            // not read as source (too large, binary, unreadable): still browser code when it
            // looks like it, else the parse below names the problem
            Err(e) => {
                let vendored = eggsec_report::input::read_limited(&p, 16 << 20)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .is_some_and(|t| is_vendored_text(&t));
                (!vendored).then_some(((p, Err(e), Vec::new()), None))
            }
        })
        .collect();
    let read: Vec<Read> = read
        .into_iter()
        .map(|(r, invalid)| {
            if let Some(offset) = invalid {
                diags.push(Diagnostic::at(
                    DiagnosticLevel::Warning,
                    r.0.clone(),
                    0,
                    format!(
                        "not valid UTF-8 (byte offset {offset}); analysed as Node runs it, each \
invalid byte read as U+FFFD (columns on such lines may be off)"
                    ),
                ));
            }
            r
        })
        .collect();
    drop(walk_phase);
    let files_phase = eggsec_js::timing::phase("code.files(wall)");
    // A module that calls `ctx.helper` comes after the helpers (a plugin's controllers,
    // required by its middleware, are analysed with the phases of required modules): an
    // edge from it to every helper file, as if it required them.
    let helper_files: Vec<&PathBuf> = read
        .iter()
        .map(|(p, _, _)| p)
        .filter(|p| role_at(&eggsec_fs::rel_string(root, p)) == FileRole::Helper)
        .collect();
    let helper_edges: Vec<(PathBuf, PathBuf)> = read
        .iter()
        .filter(|(p, text, _)| {
            !helper_files.contains(&p) && text.as_ref().is_ok_and(|t| t.contains("helper."))
        })
        .flat_map(|(p, _, _)| helper_files.iter().map(move |h| (p.clone(), (*h).clone())))
        .collect();
    let levels = require_levels(
        &read
            .iter()
            .map(|(p, _, specs)| (p.clone(), specs.clone()))
            .collect::<Vec<_>>(),
        helper_edges,
    );
    // by the path's bytes (every lookup is one of these paths): hashing a `Path` walks its
    // components
    let mut texts: foldhash::HashMap<std::ffi::OsString, Result<String, eggsec_js::JsError>> =
        foldhash::HashMap::default();
    let mut paths: Vec<PathBuf> = Vec::with_capacity(read.len());
    for (p, text, _) in read {
        texts.insert(p.as_os_str().to_owned(), text);
        paths.push(p);
    }
    // Required modules first (the most deeply required first), then helpers, then services,
    // then the rest: each phase knows what the earlier phases' functions return
    // (`ctx.helper.f(x)`, `ctx.service.a.b(x)`, `require('./general')._item(x)` carry only
    // the parameters the callee returns). Every file is still parsed once.
    let max_level = levels.values().copied().max().unwrap_or(0);
    let mut phases: Vec<Vec<PathBuf>> = vec![Vec::new(); max_level];
    let mut others = Vec::new();
    for p in paths {
        match levels.get(&p) {
            Some(&l) if l > 0 => phases[max_level - l].push(p),
            _ => others.push(p),
        }
    }
    let (helpers, rest): (Vec<PathBuf>, Vec<PathBuf>) = others
        .into_iter()
        .partition(|p| role_at(&eggsec_fs::rel_string(root, p)) == FileRole::Helper);
    let (services, rest): (Vec<PathBuf>, Vec<PathBuf>) = rest
        .into_iter()
        .partition(|p| role_at(&eggsec_fs::rel_string(root, p)) == FileRole::Service);
    // read through the safe reader: a FIFO or a device named eggsec.toml is never opened
    let user_models =
        match eggsec_report::input::read_text_limited(&root.join("eggsec.toml"), 4 * 1024 * 1024) {
            Err(eggsec_report::input::InputError::NotFound) => Ok(None),
            Err(e) => Err(format!("cannot read it ({e})")),
            Ok(text) => eggsec_js::models::user_models_from_text(&text),
        };
    let user_models = match user_models {
        Ok(m) => m,
        Err(e) => {
            diags.push(Diagnostic::at(
                DiagnosticLevel::Warning,
                root.join("eggsec.toml"),
                0,
                format!("{e}; the embedded sink models are used"),
            ));
            None
        }
    };
    let models = user_models
        .as_ref()
        .unwrap_or_else(|| eggsec_js::models::Models::embedded());
    let mut summaries = eggsec_js::flow::Summaries::new();
    let mut parsed: Vec<Analysed> = Vec::new();
    phases.extend([helpers, services, rest]);
    for phase in phases {
        if !live() {
            return None;
        }
        let _ph = eggsec_js::timing::phase("code.batch");
        let size = |p: &PathBuf| match texts.get(p.as_os_str()) {
            Some(Ok(t)) => t.len(),
            _ => 0,
        };
        let done: Vec<Analysed> = largest_first(phase, size, |p| {
            if !live() {
                return None;
            }
            Some(match texts.get(p.as_os_str()) {
                Some(Ok(text)) => {
                    eggsec_js::source_facts_from_text_with(p, text, &summaries, models)
                }
                _ => eggsec_js::source_facts_with(p, &summaries, models),
            })
        });
        for (p, r) in &done {
            let Ok(facts) = r else { continue };
            let rel = eggsec_fs::rel_string(root, p);
            // a module required by relative path: `mod:<file>.<function>` (an index file also
            // as its directory; `module.exports = function` as the module itself)
            let module = eggsec_js::flow::module_key(p);
            let mut prefixes = vec![module.clone()];
            if let Some(dir) = module.strip_suffix("/index") {
                prefixes.push(dir.to_string());
            }
            let unit = unit_of(&rel);
            match unit_role(&rel, unit.as_deref()) {
                FileRole::Helper => prefixes.push("helper".to_string()),
                FileRole::Service => {
                    if let Some(n) = unit_rel(&rel, unit.as_deref())
                        .strip_prefix("app/service/")
                        .and_then(dotted_name)
                    {
                        prefixes.push(format!("service.{n}"));
                    }
                }
                _ => {}
            }
            for f in &facts.functions {
                if f.name == "<anonymous>" {
                    continue;
                }
                // a class's method, for the files that get the class injected (tegg)
                if let Some(class) = f.class.as_deref().filter(|c| !c.is_empty()) {
                    summaries
                        .entry(format!("class:{class}.{}", f.name))
                        .or_default()
                        .add(f);
                }
                for prefix in &prefixes {
                    summaries
                        .entry(format!("{prefix}.{}", f.name))
                        .or_default()
                        .add(f);
                    if f.name == "exports" && prefix.starts_with("mod:") {
                        summaries.entry(prefix.clone()).or_default().add(f);
                    }
                }
            }
        }
        parsed.extend(done);
    }
    parsed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut files = Vec::new();
    for (abs, r) in parsed {
        match r {
            Ok(facts) => {
                let rel = eggsec_fs::rel_string(root, &abs);
                let text = match texts.remove(abs.as_os_str()) {
                    Some(Ok(t)) => Some(std::sync::Arc::<str>::from(t)),
                    _ => None,
                };
                let unit = unit_of(&rel);
                files.push(CodeFile {
                    text,
                    role: unit_role(&rel, unit.as_deref()),
                    unit,
                    rel,
                    abs,
                    facts,
                });
            }
            Err(e) => diags.push(Diagnostic::at(
                DiagnosticLevel::Warning,
                e.path().to_path_buf(),
                match &e {
                    eggsec_js::JsError::Parse { line, .. } => *line,
                    _ => 0,
                },
                format!("{}; skipped for routes and code rules", e.reason()),
            )),
        }
    }
    if let Some(why) = plugin_controllers_unrouted(&files) {
        diags.push(Diagnostic::general(DiagnosticLevel::Warning, why));
    }
    // a router that hands `app` to code eggsec cannot read (`Blueprint(app)` of egg-blueprint,
    // a required file that is not there): the routes it registers are unknown — said, never a
    // silent gap in the table the route rules read
    // (in any file: the router call may sit in a module the router calls with `app`)
    for f in &files {
        for line in &f.facts.dynamic_routes {
            diags.push(Diagnostic::at(
                DiagnosticLevel::Warning,
                f.abs.clone(),
                *line,
                "the router registers routes with a verb chosen at run time (`router[method](path, …)`, a route table filled by decorators): eggsec cannot read them, they are not in the route table, and the route rules (MW011, CSRF, the route-scoped checks) do not see them".to_string(),
            ));
        }
    }
    for f in files.iter().filter(|f| f.role == FileRole::Router) {
        for inc in &f.facts.router_includes {
            if inc.resolved.is_none() {
                diags.push(Diagnostic::at(
                    DiagnosticLevel::Warning,
                    f.abs.clone(),
                    inc.line,
                    format!(
                        "the router passes `app` to `{}`, which eggsec cannot read (a package or a missing file): the routes it registers are not in the route table, and the route rules (MW011, CSRF, the route-scoped checks) do not see them",
                        inc.specifier
                    ),
                ));
            }
        }
    }
    let mut flows: Vec<AppFlow> = files
        .iter()
        .flat_map(|f| {
            f.facts.flows.iter().map(|fl| AppFlow {
                file: f.rel.clone(),
                flow: fl.clone(),
            })
        })
        .collect();
    drop(files_phase);
    let _link_phase = eggsec_js::timing::phase("code.link");
    let index = FileIndex::new(&files);
    let facts: Vec<&SourceFacts> = files.iter().map(|f| &f.facts).collect();
    let linked = link(
        &facts,
        |_, callee| index.resolve(callee),
        |i| files[i].rel.clone(),
    );
    for l in linked {
        let file = files[l.sink_file].rel.clone();
        let mut flow = l.flow;
        for st in &mut flow.steps {
            if st.file.as_deref() == Some(file.as_str()) {
                st.file = None;
            }
        }
        flows.push(AppFlow { file, flow });
    }
    let mut renders = Vec::new();
    for f in &files {
        for r in &f.facts.renders {
            flows.extend(template_flows(root, &f.rel, r));
            renders.push(AppRender {
                file: f.rel.clone(),
                render: r.clone(),
            });
        }
    }
    (live()).then_some(CodeModel {
        files,
        flows,
        renders,
        service_refs: Default::default(),
    })
}

/// Runs `work` on every item in parallel, the largest first, and gives the results back in
/// the items' order (`None` results dropped). A file's analysis takes time with its size and a
/// batch ends when its last file does: a large file started last keeps one core busy while the
/// others wait. The order given back is the items', so what the callers merge, and in which
/// order, does not depend on the schedule.
fn largest_first<T: Send, R: Send>(
    items: Vec<T>,
    size: impl Fn(&T) -> usize + Sync,
    work: impl Fn(&T) -> Option<R> + Sync,
) -> Vec<(T, R)> {
    let mut order: Vec<(usize, T)> = items.into_iter().enumerate().collect();
    order.sort_by_key(|(_, t)| std::cmp::Reverse(size(t)));
    let mut done: Vec<(usize, (T, R))> = order
        .into_par_iter()
        .with_max_len(1)
        .filter_map(|(i, t)| work(&t).map(|r| (i, (t, r))))
        .collect();
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, d)| d).collect()
}

/// In-repo plugins with controllers of their own: egg loads only the app's `app/controller`
/// and `app/router.js`, so the plugin's code reaches them itself (DoraCMS: a middleware that
/// requires them and dispatches by URL). Their code is analysed, but the URLs they answer are
/// not in the route table the route rules (MW011) read: said, never a silent gap.
fn plugin_controllers_unrouted(files: &[CodeFile]) -> Option<String> {
    let mut units: Vec<(&str, usize)> = Vec::new();
    for f in files {
        let Some(unit) = f.unit.as_deref() else {
            continue;
        };
        if role_of(f.unit_rel()) != FileRole::Controller {
            continue;
        }
        match units.iter_mut().find(|(u, _)| *u == unit) {
            Some((_, n)) => *n += 1,
            None => units.push((unit, 1)),
        }
    }
    let files: usize = units.iter().map(|(_, n)| n).sum();
    let named: Vec<&str> = units.iter().take(3).map(|(u, _)| *u).collect();
    let more = match units.len().saturating_sub(named.len()) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    (!units.is_empty()).then(|| {
        format!(
            "{files} controller file(s) of in-repo plugins ({}{more}) are not egg's controllers (egg loads only the app's app/controller): the plugins' own code routes to them, so their URLs are not in the route table and the route rules do not check them (their code is analysed)",
            named.join(", ")
        )
    })
}

/// How deep each file sits in the app's relative-require graph: 0 for a file nobody requires,
/// else one more than the deepest file requiring it, so a module's summaries exist before its
/// requirers are analysed. Files that require each other (a strongly connected component) share
/// one level: none of them can come first, and every file they require still comes before them
/// all (cnpmcore: three files in a cycle once pushed the levels of every file they import up by
/// one per round, and a service landed in its own repository's phase).
fn require_levels(
    read: &[(PathBuf, Vec<String>)],
    extra_edges: Vec<(PathBuf, PathBuf)>,
) -> HashMap<PathBuf, usize> {
    let known: HashMap<String, usize> = read
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (eggsec_js::flow::module_key(p), i))
        .collect();
    let index_of: HashMap<&Path, usize> = read
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (p.as_path(), i))
        .collect();
    let resolve = |from: &Path, spec: &str| -> Option<usize> {
        let joined = eggsec_js::flow::resolve_relative(from, spec)?;
        let key = eggsec_js::flow::module_key(&joined);
        let index = eggsec_js::flow::module_key(&joined.join("index"));
        known.get(&key).or_else(|| known.get(&index)).copied()
    };
    let mut graph = petgraph::graph::DiGraph::<(), ()>::with_capacity(read.len(), 0);
    let nodes: Vec<_> = read.iter().map(|_| graph.add_node(())).collect();
    for (i, (from, specs)) in read.iter().enumerate() {
        for to in specs.iter().filter_map(|s| resolve(from, s)) {
            if to != i {
                graph.add_edge(nodes[i], nodes[to], ());
            }
        }
    }
    for (from, to) in &extra_edges {
        if let (Some(&f), Some(&t)) = (index_of.get(from.as_path()), index_of.get(to.as_path())) {
            if f != t {
                graph.add_edge(nodes[f], nodes[t], ());
            }
        }
    }
    // petgraph gives the components in reverse topological order (a component before every
    // component that requires it): walk them backwards, requirers first
    let sccs = petgraph::algo::tarjan_scc(&graph);
    let mut component = vec![0usize; read.len()];
    for (c, scc) in sccs.iter().enumerate() {
        for n in scc {
            component[n.index()] = c;
        }
    }
    let mut level = vec![0usize; sccs.len()];
    for (c, scc) in sccs.iter().enumerate().rev() {
        for n in scc {
            for to in graph.neighbors(*n) {
                let d = component[to.index()];
                if d != c {
                    level[d] = level[d].max(level[c] + 1);
                }
            }
        }
    }
    read.iter()
        .enumerate()
        .filter(|(i, _)| level[component[*i]] > 0)
        .map(|(i, (p, _))| (p.clone(), level[component[i]]))
        .collect()
}

/// egg-view's lookup of a template name under `app/view` (the name as written, else with the
/// nunjucks extensions egg-view-nunjucks maps).
fn find_template(root: &Path, name: &str) -> Option<(PathBuf, String)> {
    let name = name.trim_start_matches('/');
    if name.split('/').any(|seg| seg == "..") {
        return None;
    }
    let mut candidates = vec![name.to_string()];
    if Path::new(name).extension().is_none() {
        candidates.extend([".html", ".nj", ".njk", ".tpl"].map(|e| format!("{name}{e}")));
    }
    candidates.into_iter().find_map(|c| {
        let p = root.join("app/view").join(&c);
        eggsec_fs::is_file(&p).then(|| (p, format!("app/view/{c}")))
    })
}

/// `{{ expr | f | safe }}` outputs of a nunjucks template: (line, column, the tag, the root
/// variable of `expr`) for each output whose filters include `safe`.
pub fn unescaped_outputs(text: &str) -> Vec<(u32, u32, String, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(open) = line[from..].find("{{").map(|o| o + from) {
            let Some(close) = line[open + 2..].find("}}").map(|c| c + open + 2) else {
                break;
            };
            let inner = &line[open + 2..close];
            let mut parts = inner.split('|').map(str::trim);
            let expr = parts.next().unwrap_or("");
            if parts.any(|f| f == "safe" || f.starts_with("safe(")) {
                let root: String = expr
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                    .collect();
                if !root.is_empty() {
                    out.push((
                        i as u32 + 1,
                        line[..open].chars().count() as u32 + 1,
                        line[open..close + 2].to_string(),
                        root,
                    ));
                }
            }
            from = close + 2;
        }
    }
    out
}

/// Request data a render call feeds to a template variable that the template prints with
/// `| safe`: one HTML flow per such output, in the template's file.
fn template_flows(root: &Path, call_file: &str, r: &RenderFeed) -> Vec<AppFlow> {
    let Some((path, rel)) = find_template(root, &r.template) else {
        return Vec::new();
    };
    let Ok(text) = eggsec_report::input::read_text_limited(&path, 8 * 1024 * 1024) else {
        return Vec::new();
    };
    let mut flows = Vec::new();
    for (line, column, tag, var) in unescaped_outputs(&text) {
        let Some(fed) = r.vars.iter().find(|v| v.name == var) else {
            continue;
        };
        let mut steps: Vec<Step> = fed
            .steps
            .iter()
            .map(|s| Step {
                file: Some(s.file.clone().unwrap_or_else(|| call_file.to_string())),
                ..s.clone()
            })
            .collect();
        steps.push(Step {
            file: None,
            line,
            column,
            what: tag.clone(),
        });
        flows.push(AppFlow {
            file: rel.clone(),
            flow: Flow {
                kind: SinkKind::Html,
                function: r.function.clone(),
                sink: tag,
                steps,
                plugin: None,
            },
        });
    }
    flows
}

/// Where egg's names point: controllers, services, helpers, middleware by dotted name.
struct FileIndex {
    controllers: HashMap<String, usize>,
    services: HashMap<String, usize>,
    /// The first helper file (`app/extend/helper.*`), the app's before a plugin's.
    helper: Option<usize>,
    /// Helper function name → the helper file defining it: egg merges the helpers of every
    /// load unit into one `ctx.helper`, the app's winning.
    helper_fns: HashMap<String, usize>,
    middleware: HashMap<String, usize>,
    /// Class name → the file defining it (tegg `@Inject()` targets).
    classes: HashMap<String, usize>,
    /// [`eggsec_js::flow::module_key`] → the file (relative `require`/`import` targets).
    modules: HashMap<String, usize>,
}

/// egg's FileLoader property name for a path under a loader dir (`admin/user_info.js` →
/// `admin.userInfo`).
fn dotted_name(rel_under: &str) -> Option<String> {
    let no_ext = rel_under.rsplit_once('.').map_or(rel_under, |(a, _)| a);
    let parts: Option<Vec<String>> = no_ext.split('/').map(middleware_name).collect();
    parts.map(|p| p.join("."))
}

impl FileIndex {
    fn new(files: &[CodeFile]) -> Self {
        let mut idx = FileIndex {
            controllers: HashMap::new(),
            services: HashMap::new(),
            helper: None,
            helper_fns: HashMap::new(),
            middleware: HashMap::new(),
            classes: HashMap::new(),
            modules: HashMap::new(),
        };
        for (i, f) in files.iter().enumerate() {
            let key = eggsec_js::flow::module_key(&f.abs);
            if let Some(dir) = key.strip_suffix("/index") {
                idx.modules.entry(dir.to_string()).or_insert(i);
            }
            idx.modules.entry(key).or_insert(i);
            for func in &f.facts.functions {
                if let Some(c) = func.class.as_ref().filter(|c| !c.is_empty()) {
                    idx.classes.entry(c.clone()).or_insert(i);
                }
            }
            let under = |dir: &str| f.unit_rel().strip_prefix(dir).and_then(dotted_name);
            match f.role {
                FileRole::Controller => {
                    if let Some(n) = under("app/controller/") {
                        idx.controllers.entry(n).or_insert(i);
                    }
                }
                FileRole::Service => {
                    if let Some(n) = under("app/service/") {
                        idx.services.entry(n).or_insert(i);
                    }
                }
                FileRole::Middleware => {
                    if let Some(n) = under("app/middleware/") {
                        idx.middleware.entry(n).or_insert(i);
                    }
                }
                FileRole::Helper => {
                    if idx
                        .helper
                        .is_none_or(|h| files[h].unit.is_some() && f.unit.is_none())
                    {
                        idx.helper = Some(i);
                    }
                    for func in &f.facts.functions {
                        match idx.helper_fns.entry(func.name.clone()) {
                            std::collections::hash_map::Entry::Vacant(v) => {
                                v.insert(i);
                            }
                            std::collections::hash_map::Entry::Occupied(mut o) => {
                                if f.unit.is_none() && files[*o.get()].unit.is_some() {
                                    o.insert(i);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        idx
    }

    fn resolve(&self, callee: &Callee) -> Option<(usize, String)> {
        match callee {
            Callee::Service { file, method } => {
                self.services.get(file).map(|i| (*i, method.clone()))
            }
            Callee::Helper(name) => self
                .helper_fns
                .get(name)
                .copied()
                .or(self.helper)
                .map(|i| (i, name.clone())),
            Callee::Class { class, method } => {
                self.classes.get(class).map(|i| (*i, method.clone()))
            }
            Callee::Module { module, function } => {
                self.modules.get(module).map(|i| (*i, function.clone()))
            }
            Callee::Local(_) => None,
        }
    }

    /// `a.b.c` → (controller file `a/b`, method `c`), or (file `a/b/c`, its function export).
    fn controller(&self, name: &str) -> Option<(usize, Option<String>)> {
        if let Some((file, method)) = name.rsplit_once('.') {
            if let Some(i) = self.controllers.get(file) {
                return Some((*i, Some(method.to_string())));
            }
        }
        self.controllers.get(name).map(|i| (*i, None))
    }
}

/// What the route builder needs from the rest of the model.
pub struct RouteInputs<'a> {
    pub root: &'a Path,
    pub config: &'a Value,
    pub middleware: &'a [MiddlewareEntry],
    pub plugins: &'a [PluginState],
}

const REST_MAP: &[(&str, &[&str], &str, bool, &str)] = &[
    // action, methods, suffix, member (singular name), name prefix
    ("index", &["GET"], "", false, ""),
    ("new", &["GET"], "/new", true, "new_"),
    ("create", &["POST"], "", false, ""),
    ("show", &["GET"], "/:id", true, ""),
    ("edit", &["GET"], "/:id/edit", true, "edit_"),
    ("update", &["PATCH", "PUT"], "/:id", true, ""),
    ("destroy", &["DELETE"], "/:id", true, "destroy_"),
];

fn singularize(name: &str) -> String {
    if let Some(s) = name.strip_suffix("ies") {
        format!("{s}y")
    } else if let Some(s) = name.strip_suffix("sses") {
        format!("{s}ss")
    } else if let Some(s) = name.strip_suffix('s').filter(|s| !s.ends_with('s')) {
        s.to_string()
    } else {
        name.to_string()
    }
}

fn pluralize(name: &str) -> String {
    if name.ends_with('s') {
        name.to_string()
    } else if let Some(s) = name.strip_suffix('y') {
        format!("{s}ies")
    } else {
        format!("{name}s")
    }
}

fn path_text(arg: &RouteArg) -> Option<(String, bool)> {
    match arg {
        RouteArg::Str { value } => Some((value.clone(), false)),
        RouteArg::Regex { source, flags } => Some((format!("/{source}/{flags}"), true)),
        _ => None,
    }
}

fn mw_name(arg: &RouteArg) -> String {
    match arg {
        RouteArg::Middleware { name, .. } => name.clone(),
        RouteArg::Other { text } => text.clone(),
        RouteArg::Controller { name } => format!("controller.{name}"),
        RouteArg::Str { value } => value.clone(),
        _ => "?".into(),
    }
}

/// A route before its chain and statuses are computed.
struct Raw {
    method: String,
    path: String,
    regex: bool,
    name: Option<String>,
    handler: RouteArg,
    route_mw: Vec<String>,
    ns_mw: Vec<String>,
    /// `router.use` middleware that runs before it: (name, condition eggsec cannot decide).
    use_mw: Vec<(String, Option<String>)>,
    namespace: Option<String>,
    at: (usize, u32, u32),
    tegg: Option<(usize, String)>,
    /// A decorator-router route: a class method like tegg's, but registered on `app.router`.
    decorator: bool,
}

fn verb_methods(verb: &str) -> Vec<&'static str> {
    match verb {
        "get" => vec!["GET"],
        "post" => vec!["POST"],
        "put" => vec!["PUT"],
        "patch" => vec!["PATCH"],
        "delete" | "del" => vec!["DELETE"],
        "head" => vec!["HEAD"],
        "options" => vec!["OPTIONS"],
        "all" | "redirect" => vec!["ALL"],
        _ => vec![],
    }
}

/// Expands one router call into raw routes with egg's argument rules.
fn expand(call: &RouterCall, file: usize, idx: &FileIndex, files: &[CodeFile], out: &mut Vec<Raw>) {
    let (prefix, ns_mw, namespace) = match &call.target {
        RouterTarget::Namespace { prefix, middleware } => (
            prefix.clone(),
            middleware.iter().map(mw_name).collect(),
            Some(prefix.clone()),
        ),
        _ => (String::new(), Vec::new(), None),
    };
    let args = &call.args;
    let at = (file, call.line, call.column);
    if call.verb == "resources" {
        let (name, path, rest) = if args.len() >= 3 && args[1].as_str().is_some() {
            (args[0].as_str().map(str::to_string), &args[1], &args[2..])
        } else if args.len() >= 2 {
            (None, &args[0], &args[1..])
        } else {
            return;
        };
        let Some((base, _)) = path_text(path) else {
            return;
        };
        let base = base.trim_end_matches('/').to_string();
        let Some((handler, mws)) = rest.split_last() else {
            return;
        };
        let ctrl = match handler {
            RouteArg::Controller { name } | RouteArg::Str { value: name } => name.clone(),
            _ => return,
        };
        let actions: Vec<String> = match idx.controllers.get(&ctrl) {
            Some(i) => files[*i]
                .facts
                .functions
                .iter()
                .map(|f| f.name.clone())
                .collect(),
            None => REST_MAP.iter().map(|r| r.0.to_string()).collect(),
        };
        for (action, methods, suffix, member, name_prefix) in REST_MAP {
            if !actions.iter().any(|a| a == action) {
                continue;
            }
            let route_name = name.as_ref().map(|n| {
                let n = if *member {
                    singularize(n)
                } else {
                    pluralize(n)
                };
                format!("{name_prefix}{n}")
            });
            for m in *methods {
                out.push(Raw {
                    method: m.to_string(),
                    path: format!("{prefix}{base}{suffix}"),
                    regex: false,
                    name: route_name.clone(),
                    handler: RouteArg::Controller {
                        name: format!("{ctrl}.{action}"),
                    },
                    route_mw: mws.iter().map(mw_name).collect(),
                    ns_mw: ns_mw.clone(),
                    use_mw: vec![],
                    namespace: namespace.clone(),
                    at,
                    tegg: None,
                    decorator: false,
                });
            }
        }
        return;
    }
    if call.verb == "redirect" {
        let (Some(src), Some(dst)) = (args.first(), args.get(1)) else {
            return;
        };
        let Some((p, regex)) = path_text(src) else {
            return;
        };
        out.push(Raw {
            method: "ALL".into(),
            path: format!("{prefix}{p}"),
            regex,
            name: None,
            handler: RouteArg::Other {
                text: format!("redirect → {}", dst.as_str().unwrap_or("?")),
            },
            route_mw: call.redirect_mw.iter().map(mw_name).collect(),
            ns_mw,
            use_mw: vec![],
            namespace,
            at,
            tegg: None,
            decorator: false,
        });
        return;
    }
    if call.verb == "register" {
        // egg's Router#register(path, methods, middlewares, opts): one layer per path, the
        // middleware array's last item is the handler
        let (Some(path), Some(RouteArg::Paths { items: methods }), Some(mws)) =
            (args.first(), args.get(1), args.get(2))
        else {
            return;
        };
        let methods: Vec<String> = methods
            .iter()
            .filter_map(|m| m.as_str().map(str::to_ascii_uppercase))
            .collect();
        let mws: Vec<RouteArg> = match mws {
            RouteArg::Paths { items } => items.clone(),
            one => vec![one.clone()],
        };
        let name = match args.get(3) {
            Some(RouteArg::Options { name }) => name.clone(),
            _ => None,
        };
        let Some((handler, mws)) = mws.split_last() else {
            return;
        };
        let paths: Vec<(String, bool)> = match path {
            RouteArg::Paths { items } => items.iter().filter_map(path_text).collect(),
            p => path_text(p).into_iter().collect(),
        };
        for (p, regex) in paths {
            for m in &methods {
                out.push(Raw {
                    method: m.clone(),
                    path: if regex {
                        p.clone()
                    } else {
                        format!("{prefix}{p}")
                    },
                    regex,
                    name: name.clone(),
                    handler: handler.clone(),
                    route_mw: mws.iter().map(mw_name).collect(),
                    ns_mw: ns_mw.clone(),
                    use_mw: vec![],
                    namespace: namespace.clone(),
                    at,
                    tegg: None,
                    decorator: false,
                });
            }
        }
        return;
    }
    let methods = verb_methods(&call.verb);
    if methods.is_empty() || args.is_empty() {
        return;
    }
    let (name, path, rest) = if args.len() >= 3 && args[1].is_path_like() {
        (args[0].as_str().map(str::to_string), &args[1], &args[2..])
    } else {
        (None, &args[0], &args[1..])
    };
    let paths: Vec<(String, bool)> = match path {
        RouteArg::Paths { items } => items.iter().filter_map(path_text).collect(),
        p => path_text(p).into_iter().collect(),
    };
    let Some((handler, mws)) = rest.split_last() else {
        return;
    };
    for (p, regex) in paths {
        for m in &methods {
            out.push(Raw {
                method: m.to_string(),
                path: if regex {
                    p.clone()
                } else {
                    format!("{prefix}{p}")
                },
                regex,
                name: name.clone(),
                handler: handler.clone(),
                route_mw: mws.iter().map(mw_name).collect(),
                ns_mw: ns_mw.clone(),
                use_mw: vec![],
                namespace: namespace.clone(),
                at,
                tegg: None,
                decorator: false,
            });
        }
    }
}

/// A `router.use` path (path text, is a RegExp), `None` for every path.
type UsePath = Option<(String, bool)>;

/// `router.use([path | paths], ...mw)`: one layer per middleware (per path), matching every
/// path under the prefix (`end: false`), or every path when none is given.
fn router_use(args: &[RouteArg], uses: &mut Vec<(UsePath, String)>) {
    let (paths, mws): (Vec<UsePath>, &[RouteArg]) = match args.first() {
        Some(RouteArg::Paths { items }) if items.first().and_then(RouteArg::as_str).is_some() => (
            items.iter().filter_map(path_text).map(Some).collect(),
            &args[1..],
        ),
        Some(p @ RouteArg::Str { .. }) => (vec![path_text(p)], &args[1..]),
        _ => (vec![None], args),
    };
    for p in &paths {
        for m in mws {
            uses.push((p.clone(), mw_name(m)));
        }
    }
}

/// The prefix of `router.prefix(p)` as the router keeps it: one trailing `/` dropped
/// (`prefix.replace(/\/$/, '')`); a value eggsec cannot read is shown as `${…}`.
fn router_prefix(arg: Option<&RouteArg>) -> String {
    match arg {
        Some(RouteArg::Str { value }) => value.strip_suffix('/').unwrap_or(value).to_string(),
        Some(RouteArg::Other { text }) => format!("${{{text}}}"),
        _ => "${prefix}".to_string(),
    }
}

/// A layer's `setPrefix(prefix)`: `prefix + path` (egg 1's koa-router and `@eggjs/router` 1–4
/// alike, `/` included: `/api` + `/` is `/api/`). A RegExp path is left as it is.
fn prefix_path(prefix: &str, r: &mut Raw) {
    if !r.regex && !r.path.is_empty() {
        r.path.insert_str(0, prefix);
    }
}

/// [`prefix_path`] for a `router.use` layer: a layer on every path (`(.*)`) becomes one on
/// the prefix.
fn prefix_use(prefix: &str, at: &mut UsePath) {
    match at {
        Some((path, _)) => path.insert_str(0, prefix),
        None if !prefix.is_empty() => *at = Some((prefix.to_string(), false)),
        None => {}
    }
}

/// Does a `router.use` layer on `prefix` (`None`: every path) run for the route path?
fn use_applies(
    prefix: Option<&(String, bool)>,
    path: &str,
    regex_path: bool,
) -> Result<bool, String> {
    let Some((prefix, _)) = prefix else {
        return Ok(true);
    };
    if regex_path {
        return Err(format!("router.use('{prefix}') on a RegExp route path"));
    }
    prefix_matches(prefix, path).map_err(|why| format!("router.use('{prefix}'){why}"))
}

/// A path-to-regexp prefix pattern (`/api`, `/users/:id`, case-insensitive, on segment
/// boundaries) against a route path. `Err(" …")` says why it cannot be known statically.
fn prefix_matches(pattern: &str, path: &str) -> Result<bool, String> {
    if pattern.contains(['*', '(']) {
        return Err(" uses a wildcard or group".into());
    }
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if pat.len() > segs.len() {
        return Ok(false);
    }
    let mut unsure = false;
    for (a, b) in pat.iter().zip(&segs) {
        if a.starts_with(':') {
            continue;
        }
        if b.starts_with(':') {
            unsure = true;
            continue;
        }
        if !a.eq_ignore_ascii_case(b) {
            return Ok(false);
        }
    }
    if unsure {
        Err(" against a path parameter".into())
    } else {
        Ok(true)
    }
}

/// Router calls in egg's execution order: the router file's own calls, with each included
/// file's calls at the line that includes it (depth-limited, cycles cut).
fn router_calls(
    file: usize,
    files: &[CodeFile],
    by_path: &HashMap<PathBuf, usize>,
    depth: usize,
    seen: &mut Vec<usize>,
    out: &mut Vec<(usize, RouterCall)>,
) {
    if depth > 8 || seen.contains(&file) {
        return;
    }
    seen.push(file);
    let facts = &files[file].facts;
    let mut items: Vec<(u32, Option<&RouterCall>, Option<usize>)> = facts
        .router_calls
        .iter()
        .map(|c| (c.line, Some(c), None))
        .collect();
    for inc in &facts.router_includes {
        if let Some(i) = inc.resolved.as_ref().and_then(|p| by_path.get(p)) {
            items.push((inc.line, None, Some(*i)));
        }
    }
    items.sort_by_key(|(line, _, _)| *line);
    for (_, call, inc) in items {
        if let Some(c) = call {
            out.push((file, c.clone()));
        }
        if let Some(i) = inc {
            router_calls(i, files, by_path, depth + 1, seen, out);
        }
    }
    seen.pop();
}

/// Builds the route table.
pub fn build_routes(inputs: &RouteInputs<'_>, code: &CodeModel) -> Vec<Route> {
    build_routes_with(inputs, code, None)
}

/// Builds the route table; with `units`, a framework's own `loadRouter()` also loads the router
/// files of the other load units (`units.files`, in its order: after the app's router when it
/// reverses `getLoadUnits()`, else before it). Those files join a copy of the code model, after
/// the app's own files, so that handlers resolve to the app's controllers as before.
pub fn build_routes_with(
    inputs: &RouteInputs<'_>,
    code: &CodeModel,
    units: Option<&UnitRouters>,
) -> Vec<Route> {
    let combined;
    let app_files = code.files.len();
    let code = match units {
        Some(u) if !u.files.is_empty() => {
            combined = CodeModel {
                files: code.files.iter().chain(&u.files).cloned().collect(),
                flows: code.flows.clone(),
                renders: code.renders.clone(),
                service_refs: Default::default(),
            };
            &combined
        }
        _ => code,
    };
    let files = &code.files;
    let idx = FileIndex::new(files);
    let by_path: HashMap<PathBuf, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.abs.clone(), i))
        .collect();
    let mut calls = Vec::new();
    let router_plus = inputs
        .plugins
        .iter()
        .any(|p| p.enabled && p.name == "routerPlus");
    if router_plus {
        // egg-router-plus loads app/router/**/*.js before app/router.js
        for (i, f) in files.iter().enumerate() {
            if f.rel.starts_with("app/router/") {
                router_calls(i, files, &by_path, 0, &mut Vec::new(), &mut calls);
            }
        }
    }
    // the app's function-style app.js runs (configDidLoad) before egg loads the router
    if let Some(boot) = files
        .iter()
        .position(|f| matches!(f.rel.as_str(), "app.js" | "app.ts" | "app.mjs" | "app.cjs"))
    {
        let mut boot_calls = Vec::new();
        router_calls(boot, files, &by_path, 0, &mut Vec::new(), &mut boot_calls);
        calls.splice(0..0, boot_calls);
    }
    let entry = files.iter().position(|f| {
        matches!(
            f.rel.as_str(),
            "app/router.js" | "app/router.ts" | "app/router.mjs" | "app/router.cjs"
        )
    });
    let entry = entry.or_else(|| {
        files
            .iter()
            .position(|f| f.rel.starts_with("app/router/index."))
    });
    let mut unit_calls = Vec::new();
    for i in app_files..files.len() {
        router_calls(i, files, &by_path, 0, &mut Vec::new(), &mut unit_calls);
    }
    let app_first = units.is_none_or(|u| u.app_first);
    if !app_first {
        calls.append(&mut unit_calls);
    }
    if let Some(e) = entry {
        router_calls(e, files, &by_path, 0, &mut Vec::new(), &mut calls);
    }
    calls.append(&mut unit_calls);
    // config values in paths (`${appId}`) as the merged config has them
    let calls: Vec<(usize, RouterCall)> = calls
        .into_iter()
        .map(|(f, c)| (f, fill_call(c, inputs.config)))
        .collect();
    let mut raws: Vec<Raw> = Vec::new();
    // `router.use([path], ...mw)` so far: (path prefix, or every path; middleware name)
    let mut uses: Vec<(UsePath, String)> = Vec::new();
    // `router.prefix(p)` so far (koa-router's `opts.prefix`): every later layer gets it once
    let mut prefix: Option<String> = None;
    for (file, call) in &calls {
        // a branch the config decides the other way is not registered by egg
        if !config_allows(inputs.config, &call.when) {
            continue;
        }
        if call.verb == "prefix" {
            if call.target == RouterTarget::Router {
                let p = router_prefix(call.args.first());
                // every layer already on the stack gets it too (`route.setPrefix(prefix)`)
                for r in raws.iter_mut().filter(|r| r.namespace.is_none()) {
                    prefix_path(&p, r);
                }
                for (at, _) in &mut uses {
                    prefix_use(&p, at);
                }
                prefix = Some(p);
            }
            continue;
        }
        if call.verb == "use" {
            if call.target == RouterTarget::Router {
                let first = uses.len();
                router_use(&call.args, &mut uses);
                if let Some(p) = &prefix {
                    for (at, _) in &mut uses[first..] {
                        prefix_use(p, at);
                    }
                }
            }
            continue;
        }
        let first = raws.len();
        expand(call, *file, &idx, files, &mut raws);
        if !matches!(call.target, RouterTarget::Namespace { .. }) {
            if let Some(p) = &prefix {
                for r in &mut raws[first..] {
                    prefix_path(p, r);
                }
            }
            for r in &mut raws[first..] {
                r.use_mw = uses
                    .iter()
                    .filter_map(
                        |(at, name)| match use_applies(at.as_ref(), &r.path, r.regex) {
                            Ok(true) => Some((name.clone(), None)),
                            Ok(false) => None,
                            Err(why) => Some((name.clone(), Some(why))),
                        },
                    )
                    .collect();
            }
        }
    }
    for (fi, f) in files.iter().enumerate() {
        for c in &f.facts.tegg {
            for m in &c.methods {
                // a decorator router's method paths are already joined the way it joins them
                let joined = if c.decorator_router {
                    m.path.clone()
                } else {
                    join_posix(&c.path, &m.path)
                };
                let joined = fill_config_refs(&joined, inputs.config);
                raws.push(Raw {
                    method: m.method.clone(),
                    path: joined,
                    regex: false,
                    // tegg names its routes; a decorator router registers them unnamed
                    name: (!c.decorator_router)
                        .then(|| format!("{} {}.{}", m.method, c.controller_name, m.name)),
                    handler: RouteArg::Other {
                        text: format!("{}.{}", c.controller_name, m.name),
                    },
                    route_mw: c.middleware.iter().chain(&m.middleware).cloned().collect(),
                    ns_mw: vec![],
                    use_mw: vec![],
                    namespace: None,
                    at: (fi, m.line, m.column),
                    tegg: Some((fi, m.name.clone())),
                    decorator: c.decorator_router,
                });
            }
        }
    }
    let cache = crate::auth::FactsCache::default();
    // each route judged on its own (on the loader's threads; in order)
    raws.into_par_iter()
        .map(|r| finish(r, inputs, code, &idx, &cache, None))
        .collect()
}

/// A router call with the config values its strings read filled in ([`fill_config_refs`]).
fn fill_call(mut call: RouterCall, config: &Value) -> RouterCall {
    fn fill_arg(arg: &mut RouteArg, config: &Value) {
        match arg {
            RouteArg::Str { value } => *value = fill_config_refs(value, config),
            RouteArg::Paths { items } => items.iter_mut().for_each(|a| fill_arg(a, config)),
            _ => {}
        }
    }
    call.args.iter_mut().for_each(|a| fill_arg(a, config));
    if let RouterTarget::Namespace { prefix, .. } = &mut call.target {
        *prefix = fill_config_refs(prefix, config);
    }
    call
}

/// Fills the config values a route string reads (delimited by
/// [`eggsec_js::routes::CONFIG_REF`]: `` `/${appId}/page` `` with `const { appId } = app.config`)
/// from the merged config: a string or a number as JS prints it into the template; any other
/// value (unknown, `process.env`, absent, an object) as `${config.appId}`, so that the path says
/// what it depends on.
pub(crate) fn fill_config_refs(s: &str, config: &Value) -> String {
    use eggsec_js::routes::CONFIG_REF;
    if !s.contains(CONFIG_REF) {
        return s.to_string();
    }
    let mut out = String::new();
    for (i, part) in s.split(CONFIG_REF).enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
            continue;
        }
        let value = part
            .split('.')
            .try_fold(config, |cur, key| cur.get(key))
            .map(|v| &v.kind);
        match value {
            Some(ValueKind::String(v)) => out.push_str(v),
            Some(ValueKind::Number(n)) => out.push_str(&eggsec_js::number_json(*n).to_string()),
            _ => out.push_str(&format!("${{config.{part}}}")),
        }
    }
    out
}

/// The routes enabled plugins register from their own boot code (`plugin_boot.rs`: egg-development's
/// `/__loader_trace__` by version, egg-swagger-doc's `/swagger-doc`), after the app's: egg runs
/// them in `beforeStart`, once the router is loaded. Each gets the global chain, CSRF and auth
/// judged as an app route.
pub fn plugin_boot_routes(
    inputs: &RouteInputs<'_>,
    code: &CodeModel,
    egg_major: u32,
) -> Vec<Route> {
    let idx = FileIndex::new(&code.files);
    let cache = crate::auth::FactsCache::default();
    crate::plugin_boot::plugin_routes(inputs.plugins, inputs.config, egg_major)
        .into_iter()
        .map(|p| {
            let raw = Raw {
                method: p.method,
                path: p.path,
                regex: false,
                name: None,
                handler: RouteArg::Other { text: p.handler },
                route_mw: vec![],
                ns_mw: vec![],
                use_mw: vec![],
                namespace: None,
                at: (usize::MAX, p.line, 1),
                tegg: None,
                decorator: false,
            };
            finish(raw, inputs, code, &idx, &cache, Some(&p.file))
        })
        .collect()
}

/// Do the config conditions around a router call hold? A condition on a value eggsec cannot
/// know (Unknown, `process.env`) keeps the call.
fn config_allows(config: &Value, when: &[eggsec_js::routes::ConfigCondition]) -> bool {
    when.iter()
        .all(|c| config_truthy(config, &c.path).is_none_or(|t| t != c.negated))
}

/// JS truthiness of `config.<path>`: an absent key (every parent known) is `undefined`; a path
/// through an Unknown or `process.env` value is not known.
pub(crate) fn config_truthy(config: &Value, path: &str) -> Option<bool> {
    let mut cur = config;
    for key in path.split('.') {
        if matches!(cur.kind, ValueKind::Unknown { .. } | ValueKind::Env { .. }) {
            return None;
        }
        match cur.get(key) {
            Some(next) => cur = next,
            None => return Some(false),
        }
    }
    cur.truthy()
}

/// Why eggsec cannot know an app's routes, when it has none to show although the app clearly
/// serves some: a router file or controllers that no route it read reaches, or a custom
/// framework that is not installed (its router, or routes kept elsewhere, are unknown). `None`
/// when the table is what egg registers, as far as eggsec can tell (including an app that truly
/// has no routes: no router file, no controllers, no tegg controller).
pub fn routes_unknown(
    root: &Path,
    routes: &[Route],
    code: &CodeModel,
    frameworks: &[crate::model::Framework],
) -> Option<String> {
    // a framework whose loader replaces egg's loadRouter registers routes eggsec does not
    // follow, whatever the app's own router holds
    if let Some(why) = frameworks
        .iter()
        .find_map(|f| match framework_router_override(f)? {
            RouterOverride::NotRead(why) => Some(why),
            RouterOverride::EveryUnit { .. } => None,
        })
    {
        return Some(format!("eggsec cannot know this app's routes: {why}"));
    }
    if !routes.is_empty() {
        return None;
    }
    let router = code
        .files
        .iter()
        .find(|f| f.role == FileRole::Router)
        .map(|f| f.rel.clone());
    let controllers = code
        .files
        .iter()
        .filter(|f| f.role == FileRole::Controller)
        .count();
    let missing_framework = frameworks
        .iter()
        .find(|f| f.name != "egg" && f.path.is_none())
        .map(|f| f.name.clone());
    let mut why = Vec::new();
    if let Some(r) = router {
        why.push(format!(
            "{r} registers no route eggsec can follow (decorators, a loop or a helper function it cannot evaluate)"
        ));
    }
    if controllers > 0 {
        why.push(format!("{controllers} controller file(s) under app/controller are not reached by any route eggsec found"));
    }
    if let Some(fw) = missing_framework {
        why.push(format!(
            "the framework `{fw}` is not installed: routes it registers are unknown"
        ));
    }
    let _ = root;
    (!why.is_empty()).then(|| format!("eggsec cannot know this app's routes: {}", why.join("; ")))
}

/// The router files of the other load units a framework's own `loadRouter()` loads, read
/// (see [`framework_router_override`]).
#[derive(Clone, Debug, Default)]
pub struct UnitRouters {
    /// Parsed router files, in the order the framework loads them (the app's own excluded).
    pub files: Vec<CodeFile>,
    /// The app's router comes first (`getLoadUnits().reverse()`), else last.
    pub app_first: bool,
}

/// What an installed custom framework's own `loadRouter()` does.
#[derive(Clone, Debug, PartialEq)]
pub enum RouterOverride {
    /// @jianghujs/jianghu 5's shape: `loadRouter()` (or a method of the same class it calls)
    /// runs `this.getLoadUnits()[.reverse()].forEach(unit => this.loadFile(path.join(unit.path,
    /// 'app/router.js')))` and not egg's own `super.loadRouter()`.
    EveryUnit {
        /// The file each unit's routes come from, relative to the unit (`app/router.js`).
        file: String,
        /// `getLoadUnits().reverse()`: the app, the frameworks from the app's own down to egg,
        /// the plugins last first; else egg's order (plugins, frameworks, the app).
        reverse: bool,
    },
    /// A `loadRouter()` of another shape: why the routes it loads are not read.
    NotRead(String),
}

/// An installed custom framework whose entry file defines its own `loadRouter()`: egg's
/// one-file router loading is replaced. jianghu's shape is read ([`RouterOverride::EveryUnit`]);
/// any other is reported ([`RouterOverride::NotRead`]). midway's loader, which only *calls*
/// `this.loadRouter()`, does not define one.
pub fn framework_router_override(fw: &crate::model::Framework) -> Option<RouterOverride> {
    if fw.name == "egg" {
        return None;
    }
    let dir = fw.path.as_ref()?;
    let main = crate::files::read_package_json(&dir.join("package.json"))
        .ok()
        .flatten()
        .and_then(|p| p["main"].as_str().map(str::to_string))
        .unwrap_or_else(|| "index.js".to_string());
    let mut file = dir.join(main.trim_start_matches("./"));
    if eggsec_fs::is_dir(&file) {
        file = file.join("index.js");
    } else if file.extension().is_none() {
        file.set_extension("js");
    }
    // a framework's entry file is small; a larger one is not read (no reason given)
    let text = eggsec_report::input::read_text_limited(&file, 1 << 20).ok()?;
    // line comments out (jianghu keeps `// super.loadRouter();` in the override)
    let lines: Vec<&str> = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect();
    let line = method_line(&lines, "loadRouter")?;
    let rel = file.strip_prefix(dir).unwrap_or(&file);
    let at = format!("{}:{}", rel.display(), line + 1);
    let mut body = method_body(&lines, line);
    // one level of `this.method()` calls into methods of the same file
    let called: Vec<String> = this_calls(&body);
    for name in called {
        if let Some(l) = method_line(&lines, &name) {
            body.push('\n');
            body.push_str(&method_body(&lines, l));
        }
    }
    let every_unit = body.contains("getLoadUnits()")
        && body.contains("loadFile(")
        && !body.contains("super.loadRouter(");
    let router_file = ["'app/router.js'", "\"app/router.js\"", "`app/router.js`"]
        .iter()
        .any(|q| body.contains(q));
    if every_unit && router_file {
        return Some(RouterOverride::EveryUnit {
            file: "app/router.js".into(),
            reverse: body.contains(".reverse()"),
        });
    }
    Some(RouterOverride::NotRead(format!(
        "the framework `{}` replaces egg's loadRouter ({at}): the routes it loads are not read",
        fw.name
    )))
}

/// The index of the line defining method `name` (`name(...) {`, `async name(...) {`).
fn method_line(lines: &[&str], name: &str) -> Option<usize> {
    lines.iter().position(|l| {
        let l = l.trim_start();
        let l = l.strip_prefix("async ").unwrap_or(l);
        l.strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with('('))
            && l.trim_end().ends_with('{')
    })
}

/// The text of the method whose definition starts at `line`, to its closing brace (braces in
/// strings are counted too: a framework's loader method has none that matter).
fn method_body(lines: &[&str], line: usize) -> String {
    let mut depth = 0i32;
    let mut out = String::new();
    for l in &lines[line..] {
        out.push_str(l);
        out.push('\n');
        depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
        if depth <= 0 {
            break;
        }
    }
    out
}

/// Names of the `this.name(` calls in a method body.
fn this_calls(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in body.split("this.").skip(1) {
        let name: String = piece
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        if !name.is_empty()
            && piece[name.len()..].starts_with('(')
            && name != "loadRouter"
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

/// The router files a framework's [`RouterOverride::EveryUnit`] loads besides the app's, in its
/// order, parsed: `units` are egg's load units without the app (enabled plugins in plugin order,
/// then the frameworks lowest first, as `getLoadUnits()` lists them). A unit without the file is
/// skipped, as `loadFile` skips a missing file; a file that cannot be parsed is a warning.
pub fn unit_routers(
    root: &Path,
    file: &str,
    reverse: bool,
    units: &[(PathBuf, String)],
    diags: &mut Vec<Diagnostic>,
) -> UnitRouters {
    let mut order: Vec<&(PathBuf, String)> = units.iter().collect();
    if reverse {
        order.reverse();
    }
    let mut seen: Vec<&Path> = Vec::new();
    let mut files = Vec::new();
    for (dir, label) in order {
        if seen.contains(&dir.as_path()) {
            continue;
        }
        seen.push(dir);
        let abs = dir.join(file);
        if !eggsec_fs::is_file(&abs) {
            continue;
        }
        let facts = match eggsec_js::source_facts(&abs) {
            Ok(f) => f,
            Err(e) => {
                diags.push(Diagnostic::at(
                    DiagnosticLevel::Warning,
                    abs.clone(),
                    0,
                    format!("{e}: the routes of {label} are not read"),
                ));
                continue;
            }
        };
        // shown relative to the app when inside it, else as `<unit>/app/router.js`
        let rel = match eggsec_fs::strip_root(&abs, root) {
            Some(_) => eggsec_fs::rel_string(root, &abs),
            None => format!("{label}/{file}"),
        };
        files.push(CodeFile {
            rel,
            abs,
            role: FileRole::Other,
            unit: None,
            facts,
            text: None,
        });
    }
    UnitRouters {
        files,
        app_first: reverse,
    }
}

fn join_posix(a: &str, b: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in a.split('/').chain(b.split('/')) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Does an egg-path-matching pattern match the route path? `Err(why)` when unknowable.
fn pattern_matches(pattern: &Value, path: &str, regex_path: bool) -> Result<bool, String> {
    match &pattern.kind {
        ValueKind::String(p) => {
            if regex_path {
                return Err("a RegExp route path".into());
            }
            prefix_matches(p, path).map_err(|why| format!("pattern `{p}`{why}"))
        }
        ValueKind::Regex { source, flags } => {
            if regex_path {
                return Err("a RegExp route path".into());
            }
            let sample: String = path
                .split('/')
                .map(|s| if s.starts_with(':') { "x" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            match crate::js_regex::JsRegex::new(source, flags).and_then(|re| re.test(&sample)) {
                Some(m) => Ok(m),
                None => Err(format!("RegExp /{source}/")),
            }
        }
        ValueKind::Array(items) => {
            let mut unknown = None;
            for i in items {
                match pattern_matches(i, path, regex_path) {
                    Ok(true) => return Ok(true),
                    Ok(false) => {}
                    Err(e) => unknown = Some(e),
                }
            }
            unknown.map_or(Ok(false), Err)
        }
        ValueKind::Function { .. } => Err("a function".into()),
        _ => Err("a value eggsec cannot read".into()),
    }
}

/// Whether a middleware with options `opts` (`match`/`ignore`) runs for the path:
/// `Ok(bool)` or `Err(why)`.
pub(crate) fn applies(opts: Option<&Value>, path: &str, regex_path: bool) -> Result<bool, String> {
    let Some(opts) = opts else { return Ok(true) };
    if let Some(m) = opts.get("match").filter(|v| !v.is_undefined()) {
        return pattern_matches(m, path, regex_path).map_err(|e| format!("match: {e}"));
    }
    if let Some(i) = opts.get("ignore").filter(|v| !v.is_undefined()) {
        return pattern_matches(i, path, regex_path)
            .map(|b| !b)
            .map_err(|e| format!("ignore: {e}"));
    }
    Ok(true)
}

fn is_safe_method(m: &str) -> bool {
    matches!(m, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// Names that say a middleware authenticates.
pub fn is_auth_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const CORE: &[&str] = &[
        "meta",
        "sitefile",
        "notfound",
        "static",
        "bodyparser",
        "overridemethod",
        "session",
        "securities",
        "i18n",
        "cors",
        "multipart",
        "eggloadertrace",
    ];
    !CORE.contains(&n.as_str())
        && [
            "auth",
            "jwt",
            "login",
            "passport",
            "token",
            "acl",
            "permission",
            "guard",
            "signin",
            "requireuser",
        ]
        .iter()
        .any(|w| n.contains(w))
        && !n.contains("csrf")
}

/// `registered_in`: the file of a route a plugin's boot code registers (not one of the app's
/// code files, `r.at.0` is then no index).
fn finish(
    r: Raw,
    inputs: &RouteInputs<'_>,
    code: &CodeModel,
    idx: &FileIndex,
    cache: &crate::auth::FactsCache,
    registered_in: Option<&Path>,
) -> Route {
    let files = &code.files;
    let mut chain = Vec::new();
    for m in inputs.middleware.iter().filter(|m| m.enabled) {
        match applies(inputs.config.get(&m.name), &r.path, r.regex) {
            Ok(true) => chain.push(RouteMiddleware {
                name: m.name.clone(),
                scope: MiddlewareScope::Global,
                conditional: None,
            }),
            Ok(false) => {}
            Err(why) => chain.push(RouteMiddleware {
                name: m.name.clone(),
                scope: MiddlewareScope::Global,
                conditional: Some(why),
            }),
        }
    }
    for (n, cond) in &r.use_mw {
        chain.push(RouteMiddleware {
            name: n.clone(),
            scope: MiddlewareScope::Router,
            conditional: cond.clone(),
        });
    }
    for n in &r.ns_mw {
        chain.push(RouteMiddleware {
            name: n.clone(),
            scope: MiddlewareScope::Namespace,
            conditional: None,
        });
    }
    for n in &r.route_mw {
        chain.push(RouteMiddleware {
            name: n.clone(),
            scope: MiddlewareScope::Route,
            conditional: None,
        });
    }
    // handler
    let (call_file, call_line, call_col) = r.at;
    let call_rel = match registered_in {
        Some(f) => f.to_string_lossy().into_owned(),
        None => files[call_file].rel.clone(),
    };
    let mut file = call_rel.clone();
    let (mut line, mut column) = (call_line, call_col);
    let mut handler_file = None;
    let mut handler_function = None;
    let handler = match &r.handler {
        RouteArg::Controller { name } | RouteArg::Str { value: name } => {
            if let Some((fi, method)) = idx.controller(name) {
                let funcs = &files[fi].facts.functions;
                let found = match &method {
                    Some(m) => funcs.iter().find(|f| &f.name == m),
                    None => funcs
                        .iter()
                        .find(|f| f.name != "<anonymous>")
                        .or(funcs.first()),
                };
                if let Some(f) = found {
                    file = files[fi].rel.clone();
                    line = f.line;
                    column = f.column;
                    handler_file = Some(fi);
                    handler_function = Some(f.name.clone());
                } else {
                    file = files[fi].rel.clone();
                    line = 1;
                    column = 1;
                    handler_file = Some(fi);
                }
            }
            name.clone()
        }
        RouteArg::Other { text } => {
            if let Some((fi, fname)) = &r.tegg {
                handler_file = Some(*fi);
                handler_function = Some(fname.clone());
            }
            if text.starts_with("redirect") || r.tegg.is_some() || registered_in.is_some() {
                text.clone()
            } else {
                "<inline function>".into()
            }
        }
        RouteArg::Middleware { name, .. } => format!("middleware.{name}"),
        _ => "?".into(),
    };
    // CSRF
    let csrf = csrf_status(&r, inputs, &chain);
    let mut route = Route {
        method: r.method,
        path: r.path,
        regex_path: r.regex,
        name: r.name,
        handler,
        file: PathBuf::from(file),
        line,
        column,
        registered_at: (PathBuf::from(call_rel), call_line),
        middleware: chain,
        csrf,
        auth: AuthStatus::Unknown,
        protected_by: None,
        public_by: None,
        namespace: r.namespace,
        tegg: r.tegg.is_some() && !r.decorator,
        handler_file,
        handler_function,
    };
    let env = crate::auth::AuthEnv {
        root: inputs.root,
        code,
        middleware: inputs.middleware,
        config: inputs.config,
        plugins: inputs.plugins,
    };
    let p = crate::auth::judge(&env, &route, &crate::auth::AuthOptions::default(), cache);
    route.auth = p.auth;
    route.protected_by = p.by;
    route.public_by = p.exempt;
    route
}

fn csrf_status(r: &Raw, inputs: &RouteInputs<'_>, chain: &[RouteMiddleware]) -> CsrfStatus {
    if is_safe_method(&r.method) {
        return CsrfStatus::Exempt;
    }
    let security_on = inputs
        .plugins
        .iter()
        .find(|p| p.name == "security")
        .is_none_or(|p| p.enabled);
    if !security_on {
        return CsrfStatus::Exempt;
    }
    match chain.iter().find(|m| m.name == "securities") {
        None if !inputs.middleware.is_empty() => return CsrfStatus::Exempt,
        Some(m) if m.conditional.is_some() => return CsrfStatus::Unknown,
        _ => {}
    }
    let csrf = inputs.config.get_path("security.csrf");
    if let Some(c) = csrf {
        if c.as_bool() == Some(false) {
            return CsrfStatus::Exempt;
        }
        match c.get("enable") {
            Some(v) if v.as_bool() == Some(false) => return CsrfStatus::Exempt,
            Some(v) if v.as_bool().is_none() && !v.is_undefined() => return CsrfStatus::Unknown,
            _ => {}
        }
        match applies(Some(c), &r.path, r.regex) {
            Ok(true) => {}
            Ok(false) => return CsrfStatus::Exempt,
            Err(_) => return CsrfStatus::Unknown,
        }
    }
    if r.method == "ALL" {
        return CsrfStatus::Protected;
    }
    CsrfStatus::Protected
}

#[cfg(test)]
mod template_and_use_tests {
    use super::*;

    /// Files that require each other share a level, and what they require comes before them
    /// however many rounds a fixed-point walk would take (cnpmcore: a three-file cycle above a
    /// service and its repository put both in one phase, so the service's calls on the
    /// repository had no summaries and a stored package name was request data).
    #[test]
    fn a_require_cycle_does_not_lift_what_it_requires_into_one_phase() {
        let p = |s: &str| PathBuf::from(format!("/app/{s}.ts"));
        let read = vec![
            // a controller requires one file of the cycle
            (p("controller/c"), vec!["../cycle/a".to_string()]),
            (p("cycle/a"), vec!["./b".into()]),
            (p("cycle/b"), vec!["./c".into()]),
            (p("cycle/c"), vec!["./a".into(), "../service/s".into()]),
            (p("service/s"), vec!["../repository/r".into()]),
            (p("repository/r"), vec!["../model/m".into()]),
            (p("model/m"), vec![]),
            (p("helper/h"), vec![]),
        ];
        let levels = require_levels(&read, vec![(p("model/m"), p("helper/h"))]);
        let at = |s: &str| levels.get(&p(s)).copied().unwrap_or(0);
        assert_eq!(at("controller/c"), 0);
        assert_eq!(at("cycle/a"), 1);
        assert_eq!(at("cycle/b"), 1);
        assert_eq!(at("cycle/c"), 1);
        assert_eq!(at("service/s"), 2);
        assert_eq!(at("repository/r"), 3);
        assert_eq!(at("model/m"), 4);
        // an extra edge (a file calling `ctx.helper`) orders like a require
        assert_eq!(at("helper/h"), 5);
        assert!(!levels.contains_key(&p("controller/c")));
    }

    #[test]
    fn a_framework_that_replaces_load_router_makes_the_routes_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, main: &str, body: &str| {
            let d = dir.path().join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("package.json"), format!("{{\"main\": \"{main}\"}}")).unwrap();
            let file = d.join(main.trim_start_matches("./"));
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, body).unwrap();
            crate::model::Framework {
                name: name.into(),
                version: None,
                path: Some(d),
            }
        };
        // a loadRouter of a shape eggsec does not read (its method is not in the file)
        let jianghu = write(
            "jianghu",
            "index.js",
            "class L extends egg.AppWorkerLoader {\n  loadRouter() {\n    this.initRouter();\n  }\n}\n",
        );
        // look-alike (midway's loader): calls egg's loadRouter, does not replace it
        let midway = write(
            "midway",
            "./dist/index.js",
            "class L {\n  load() {\n    this.loadRouter(); // egg's\n  }\n}\n",
        );
        let code = CodeModel::default();
        let why = routes_unknown(dir.path(), &[], &code, std::slice::from_ref(&jianghu)).unwrap();
        assert!(
            why.contains("`jianghu` replaces egg's loadRouter (index.js:2)"),
            "{why}"
        );
        assert_eq!(routes_unknown(dir.path(), &[], &code, &[midway]), None);
        // not installed: the missing-framework reason, not this one
        let bare = crate::model::Framework {
            path: None,
            ..jianghu
        };
        assert!(!routes_unknown(dir.path(), &[], &code, &[bare])
            .unwrap()
            .contains("loadRouter"));
    }

    /// An in-repo plugin's files take their role from their place in the plugin, its router
    /// and controllers are not the app's, and controllers it routes to itself are said.
    #[test]
    fn in_repo_plugin_files_have_unit_roles_and_their_controllers_are_said() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (rel, body) in [
            ("app/controller/home.js", "exports.a = async ctx => {};"),
            ("lib/plugin/ads/app/service/ads.js", "module.exports = class {};"),
            (
                "lib/plugin/ads/app/middleware/adsRouter.js",
                "const c = require('../controller/ads');\nmodule.exports = () => async (ctx, next) => { await c.list(ctx); await next(); };",
            ),
            ("lib/plugin/ads/app/controller/ads.js", "exports.list = async ctx => {};"),
            ("lib/plugin/ads/app/extend/helper.js", "exports.h = x => x;"),
            ("lib/plugin/ads/app.js", "module.exports = app => {};"),
        ] {
            std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
            std::fs::write(root.join(rel), body).unwrap();
        }
        let mut d = Vec::new();
        let code = code_model_with_units(root, &[root.join("lib/plugin/ads")], &mut d);
        let role = |rel: &str| code.files.iter().find(|f| f.rel == rel).map(|f| f.role);
        assert_eq!(role("app/controller/home.js"), Some(FileRole::Controller));
        assert_eq!(
            role("lib/plugin/ads/app/service/ads.js"),
            Some(FileRole::Service)
        );
        assert_eq!(
            role("lib/plugin/ads/app/middleware/adsRouter.js"),
            Some(FileRole::Middleware)
        );
        assert_eq!(
            role("lib/plugin/ads/app/controller/ads.js"),
            Some(FileRole::Other)
        );
        assert_eq!(
            role("lib/plugin/ads/app/extend/helper.js"),
            Some(FileRole::Helper)
        );
        assert_eq!(role("lib/plugin/ads/app.js"), Some(FileRole::Other));
        assert!(
            d.iter().any(|x| x
                .message
                .starts_with("1 controller file(s) of in-repo plugins (lib/plugin/ads)")),
            "{d:?}"
        );
        // the app alone: no plugin file, nothing said
        let mut d = Vec::new();
        let code = code_model(root, &mut d);
        assert!(code.files.iter().all(|f| !f.rel.starts_with("lib/")));
        assert!(d.is_empty(), "{d:?}");
        // the loader's early model of the app alone: the same model, or nothing once cancelled
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let early = code_model_unless(root, &[], &mut Vec::new(), &cancel).expect("not cancelled");
        let rels = |c: &CodeModel| c.files.iter().map(|f| f.rel.clone()).collect::<Vec<_>>();
        assert_eq!(rels(&early), rels(&code));
        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(code_model_unless(root, &[], &mut Vec::new(), &cancel).is_none());
    }

    /// Routes registered with a verb chosen at run time (held-out sf-egg-admin's `initRouter`:
    /// `router[opt.httpMethod](opt.url, ...)` over a table its `@AdminRoute` decorators fill)
    /// are said, at the call; a computed *string* verb (`router['get']`) is read as a route.
    #[test]
    fn routes_registered_with_a_computed_verb_are_said() {
        let warnings = |register: &str| {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            std::fs::create_dir_all(d.join("app/decorator")).unwrap();
            std::fs::write(
                d.join("app/router.ts"),
                "import { initRouter } from './decorator/router_register';\nexport default (app) => { initRouter(app); app.router.get('/', app.controller.home.index); };\n",
            )
            .unwrap();
            std::fs::write(d.join("app/decorator/router_register.ts"), register).unwrap();
            let mut diags = Vec::new();
            code_model(d, &mut diags);
            diags
                .iter()
                .filter(|g| g.message.contains("chosen at run time"))
                .map(|g| (g.file.clone(), g.line))
                .collect::<Vec<_>>()
        };
        let w = warnings("const table: any[] = [];\nexport function initRouter(app) {\n  const { router } = app;\n  for (const opt of table) {\n    router[opt.httpMethod](opt.url, async ctx => { await new opt.ctor(ctx)[opt.name](ctx); });\n  }\n}\n");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].1, 5);
        assert!(warnings("export function initRouter(app) {\n  const { router } = app;\n  router['get']('/b', app.controller.home.index);\n}\n").is_empty());
    }

    /// A router that hands `app` to a package (egg-blueprint's `Blueprint(app)`, which registers
    /// the routes its decorators declare) or to a file that is not there leaves routes eggsec
    /// cannot see: a warning names the place. A local router module read, and a package used
    /// for something else, say nothing.
    #[test]
    fn routes_registered_by_code_eggsec_cannot_read_are_said() {
        let warnings = |router: &str| {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            std::fs::create_dir_all(d.join("app/router")).unwrap();
            std::fs::write(d.join("app/router.js"), router).unwrap();
            std::fs::write(
                d.join("app/router/admin.js"),
                "module.exports = app => { app.router.post('/admin/x', app.controller.home.index); };",
            )
            .unwrap();
            let mut diags = Vec::new();
            code_model(d, &mut diags);
            diags
                .iter()
                .filter(|g| g.message.contains("passes `app`"))
                .map(|g| (g.line, g.message.clone()))
                .collect::<Vec<_>>()
        };
        let w = warnings("const { Blueprint } = require('egg-blueprint');\nmodule.exports = app => {\n  app.router.get('/a', app.controller.home.index);\n  Blueprint(app);\n};\n");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].0, 4);
        assert!(w[0].1.contains("`egg-blueprint`"), "{w:?}");
        let w = warnings("import { Blueprint } from 'egg-blueprint';\nexport default app => { Blueprint(app); };\n");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(
            warnings("module.exports = app => { require('./router/gone')(app); };").len(),
            1
        );
        for quiet in [
            "module.exports = app => { require('./router/admin')(app); };",
            "const Joi = require('joi');\nmodule.exports = app => { app.router.post('/a', app.controller.home.index); Joi.object(); };",
            "import type { Application } from 'egg';\nexport default (app: Application) => { app.router.get('/', app.controller.home.index); };",
        ] {
            assert!(warnings(quiet).is_empty(), "{quiet}");
        }
    }

    /// The code model's batches run the largest files first and merge in the phase's order.
    #[test]
    fn a_batch_runs_the_largest_first_and_gives_results_in_its_order() {
        let items = vec!["b", "cccc", "a", "dd", "skipped"];
        let started = std::sync::Mutex::new(Vec::new());
        // one worker: the schedule is the order the work starts in
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let done = pool.install(|| {
            largest_first(
                items,
                |s| s.len(),
                |s| {
                    started.lock().unwrap().push(*s);
                    (*s != "skipped").then(|| s.to_uppercase())
                },
            )
        });
        assert_eq!(
            started.into_inner().unwrap(),
            ["skipped", "cccc", "dd", "b", "a"]
        );
        // given back in the items' order, whatever the schedule (`None` dropped)
        let want = [("b", "B"), ("cccc", "CCCC"), ("a", "A"), ("dd", "DD")];
        assert_eq!(done, want.map(|(a, b)| (a, b.to_string())).to_vec());
    }

    /// @jianghujs/jianghu 5.0.9's AppWorkerLoader (index.js), and look-alikes.
    #[test]
    fn jianghu_load_router_is_read_and_other_shapes_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let fw = |name: &str, body: &str| {
            let d = dir.path().join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("package.json"), "{}").unwrap();
            std::fs::write(d.join("index.js"), body).unwrap();
            crate::model::Framework {
                name: name.into(),
                version: None,
                path: Some(d),
            }
        };
        let jianghu = "class AppWorkerLoader extends egg.AppWorkerLoader {\n  loadRouter() {\n    // super.loadRouter();\n    this.initJianghuRouter();\n  }\n\n  initJianghuRouter() {\n    this.loadController({\n      directory: this.getLoadUnits().map(unit => path.join(unit.path, 'app/controller')),\n      override: true,\n    });\n    this.getLoadUnits().reverse().forEach(unit =>\n      this.loadFile(path.join(unit.path, 'app/router.js'))\n    );\n  }\n}\n";
        assert_eq!(
            framework_router_override(&fw("jianghu", jianghu)),
            Some(RouterOverride::EveryUnit {
                file: "app/router.js".into(),
                reverse: true
            })
        );
        // egg's order when the units are not reversed
        let forward = jianghu.replace(".reverse()", "");
        assert_eq!(
            framework_router_override(&fw("forward", &forward)),
            Some(RouterOverride::EveryUnit {
                file: "app/router.js".into(),
                reverse: false
            })
        );
        // look-alikes: egg's own loading kept as well, another file, no loop over the units
        for (name, body) in [
            (
                "super",
                jianghu.replace("// super.loadRouter();", "super.loadRouter();"),
            ),
            ("other-file", jianghu.replace("app/router.js", "app/routes.js")),
            (
                "no-units",
                "class L {\n  loadRouter() {\n    this.loadFile(path.join(this.options.baseDir, 'app/router.js'));\n  }\n}\n".into(),
            ),
        ] {
            let got = framework_router_override(&fw(name, &body));
            assert!(
                matches!(&got, Some(RouterOverride::NotRead(why)) if why.contains("index.js:2")),
                "{name}: {got:?}"
            );
        }
        // midway's loader calls egg's loadRouter: no override at all
        assert_eq!(
            framework_router_override(&fw(
                "midway",
                "class L {\n  load() {\n    this.loadRouter();\n  }\n}\n"
            )),
            None
        );
    }

    /// The other units' routers run after the app's (reversed units), their paths filled from
    /// the merged config; a unit without the file is skipped.
    /// `router.prefix(p)` as koa-router (egg 1) and `@eggjs/router` (egg 2–4) apply it: one
    /// trailing `/` dropped, every layer already on the stack prefixed (again, for a second
    /// call), every later layer prefixed once with the last prefix; `router.use` layers too. A
    /// prefix eggsec cannot read is shown in the path. (The real-egg check is the fixture
    /// `audit-middleware-router-prefix`, booted by the routes oracle.)
    #[test]
    fn router_prefix_applies_to_the_stack_and_to_later_layers() {
        let routes = |router: &str| {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            std::fs::create_dir_all(root.join("app/controller")).unwrap();
            std::fs::write(root.join("app/router.js"), router).unwrap();
            std::fs::write(
                root.join("app/controller/home.js"),
                "module.exports = class { async a() {} async b() {} async c() {} };",
            )
            .unwrap();
            let mut d = Vec::new();
            let code = code_model(root, &mut d);
            let config = Value::object(
                Default::default(),
                eggsec_js::Provenance::new("config.js".to_string(), 1, 1),
            );
            let inputs = RouteInputs {
                root,
                config: &config,
                middleware: &[],
                plugins: &[],
            };
            build_routes(&inputs, &code)
                .into_iter()
                .map(|r| {
                    let uses: Vec<String> = r
                        .middleware
                        .iter()
                        .filter(|m| m.name == "gate")
                        .map(|m| m.name.clone())
                        .collect();
                    (r.path, uses.len())
                })
                .collect::<Vec<_>>()
        };
        let got = routes("module.exports = app => {\n  const { router, controller } = app;\n  router.get('/', controller.home.a);\n  router.use('/admin', app.middleware.gate());\n  router.prefix('/v1/');\n  router.post('/admin/x', controller.home.b);\n  router.prefix('/api');\n  router.post('/y', controller.home.c);\n};\n");
        assert_eq!(
            got,
            [
                ("/api/v1/".to_string(), 0),
                ("/api/v1/admin/x".to_string(), 1),
                ("/api/y".to_string(), 0),
            ]
        );
        let got = routes("module.exports = app => { app.router.prefix(app.config.apiPrefix); app.router.post('/x', app.controller.home.a); };");
        assert_eq!(got.len(), 1);
        assert!(
            got[0].0.starts_with("${") && got[0].0.ends_with("}/x"),
            "{got:?}"
        );
    }

    #[test]
    fn unit_routers_join_the_app_routes_in_the_framework_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("app");
        let write = |p: &Path, body: &str| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        write(
            &root.join("app/router.js"),
            "module.exports = app => { app.router.get('/health', app.controller.home.health); };",
        );
        write(
            &root.join("app/controller/home.js"),
            "module.exports = class { async health() {} async index() {} };",
        );
        let fw = dir.path().join("fw");
        write(
            &fw.join("app/router.js"),
            "module.exports = app => {\n  const { router, controller, config } = app;\n  const { appId } = config;\n  router.get(`/${appId}/`, controller.home.index);\n  router.post(`/${appId}/${config.missing}`, controller.resource.run);\n};",
        );
        let plugin = dir.path().join("plugin");
        write(
            &plugin.join("app/router.js"),
            "module.exports = app => { app.router.get('/p', async ctx => {}); };",
        );
        let empty = dir.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let units = vec![
            (plugin.clone(), "node_modules/fw/plugins/p".to_string()),
            (empty, "node_modules/egg".to_string()),
            (fw.clone(), "node_modules/fw".to_string()),
        ];
        let mut diags = Vec::new();
        let u = unit_routers(&root, "app/router.js", true, &units, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let rels: Vec<&str> = u.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            rels,
            [
                "node_modules/fw/app/router.js",
                "node_modules/fw/plugins/p/app/router.js"
            ]
        );
        let mut d = Vec::new();
        let code = code_model(&root, &mut d);
        let info = eggsec_js::AppInfo::new("app", root.display().to_string(), "prod");
        let config = eggsec_js::eval_source(
            Path::new("config.js"),
            "module.exports = { appId: 'demo' };",
            &eggsec_js::EvalOptions::raw(&info),
        )
        .unwrap()
        .exports;
        let inputs = RouteInputs {
            root: &root,
            config: &config,
            middleware: &[],
            plugins: &[],
        };
        let routes = build_routes_with(&inputs, &code, Some(&u));
        let got: Vec<(&str, &str, &str)> = routes
            .iter()
            .map(|r| (r.method.as_str(), r.path.as_str(), r.file.to_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("GET", "/health", "app/controller/home.js"),
                // the app's controller serves the framework's route (override)
                ("GET", "/demo/", "app/controller/home.js"),
                (
                    "POST",
                    "/demo/${config.missing}",
                    "node_modules/fw/app/router.js"
                ),
                ("GET", "/p", "node_modules/fw/plugins/p/app/router.js"),
            ]
        );
        // without the units, the app's router alone
        assert_eq!(build_routes(&inputs, &code).len(), 1);
    }

    #[test]
    fn safe_filter_outputs_name_their_root_variable() {
        let t = "<p>{{ name }}</p>\n<i>{{ user.bio | trim | safe }}</i> {{ x|safe }}\n";
        let got = unescaped_outputs(t);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].0, got[0].3.as_str()), (2, "user"));
        assert_eq!((got[1].0, got[1].3.as_str()), (2, "x"));
    }

    #[test]
    fn router_use_prefixes() {
        let admin = Some(("/admin".to_string(), false));
        assert_eq!(use_applies(None, "/x", false), Ok(true));
        assert_eq!(
            use_applies(admin.as_ref(), "/admin/pages/:id", false),
            Ok(true)
        );
        assert_eq!(use_applies(admin.as_ref(), "/administer", false), Ok(false));
        assert_eq!(use_applies(admin.as_ref(), "/", false), Ok(false));
        assert!(use_applies(admin.as_ref(), "/^\\/a/", true).is_err());
        let mut uses = Vec::new();
        router_use(
            &[
                RouteArg::Paths {
                    items: vec![
                        RouteArg::Str { value: "/a".into() },
                        RouteArg::Str { value: "/b".into() },
                    ],
                },
                RouteArg::Middleware {
                    name: "gate".into(),
                    called: true,
                },
            ],
            &mut uses,
        );
        assert_eq!(uses.len(), 2);
        assert_eq!(
            uses[1],
            (Some(("/b".to_string(), false)), "gate".to_string())
        );
    }
}
