//! Which enabled plugins the app uses, with the evidence: the app's code (`app/`, `lib/`,
//! `app.js`, `agent.js`, in-repo local plugins), its views and its config are searched for
//! the plugin's [contributions](crate::contributions) — `app.mysql`, `this.app.redis`,
//! `ctx.render`, `ctx.validate`, `ctx.__`, helper calls, files in `app/schedule`, files a
//! static dir would serve, `app.jsonp()` in the router...
//!
//! Precision comes first: a plugin is [`Verdict::Unused`] only when eggsec knows what it
//! contributes, every file could be read, no code reaches `app`/`ctx` through computed names,
//! no enabled plugin requires it, and nothing it contributes is mentioned. Otherwise it is
//! used (with evidence), kept (security-critical or infrastructure), or unknown (with why).
//!
//! ```no_run
//! let app = eggsec_app::load(std::path::Path::new("."), &Default::default()).unwrap();
//! for p in eggsec_app::usage::analyze(&app).plugins {
//!     println!("{}: {}", p.name, p.verdict);
//! }
//! ```

use crate::contributions::{contributions_with, is_code, Contributions};
use crate::model::{AppModel, PluginState};
use crate::vendored::{is_vendored_dir, is_vendored_name, is_vendored_text};
use eggsec_js::uses::{uses_in_file, uses_in_source, MemberUse, UseKind, DYNAMIC};
use eggsec_js::{Value, ValueKind};
use rayon::prelude::*;
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

/// Where a plugin is used (or configured): an app-relative file, a line, what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub file: String,
    /// 1-based; 0 for a whole file or directory.
    pub line: u32,
    pub what: String,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "{}", self.what),
            (false, 0) => write!(f, "{}: {}", self.file, self.what),
            (false, l) => write!(f, "{}:{l}: {}", self.file, self.what),
        }
    }
}

/// Whether an enabled plugin is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Seen in use; the first few places.
    Used(Vec<Evidence>),
    /// Never reported unused, with why (security-critical, infrastructure, dev tool).
    Kept(String),
    /// Nothing it contributes is used; what was searched for.
    Unused { searched: Vec<String> },
    /// Cannot tell, with why.
    Unknown(String),
    /// Not enabled in this env.
    Disabled,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Used(ev) => write!(
                f,
                "used: {}",
                ev.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Verdict::Kept(why) => write!(f, "kept: {why}"),
            Verdict::Unused { searched } => write!(f, "unused (searched: {})", searched.join(", ")),
            Verdict::Unknown(why) => write!(f, "unknown: {why}"),
            Verdict::Disabled => write!(f, "disabled"),
        }
    }
}

impl Verdict {
    /// A short label for tables: `yes`, `kept`, `NO`, `?`, `-`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Used(_) => "yes",
            Verdict::Kept(_) => "kept",
            Verdict::Unused { .. } => "NO",
            Verdict::Unknown(_) => "?",
            Verdict::Disabled => "-",
        }
    }
}

/// One plugin's usage.
#[derive(Clone, Debug)]
pub struct PluginUsage {
    pub name: String,
    pub enabled: bool,
    pub verdict: Verdict,
    pub contributions: Contributions,
    /// Where the app's own config sets the plugin's keys (delete them with the plugin).
    pub configured_at: Vec<Evidence>,
}

/// The usage of every plugin entry of an app in one env.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub plugins: Vec<PluginUsage>,
    /// Code files searched.
    pub files_scanned: usize,
    /// Files that could not be read or parsed (each names the file).
    pub errors: Vec<String>,
}

impl Usage {
    pub fn plugin(&self, name: &str) -> Option<&PluginUsage> {
        self.plugins.iter().find(|p| p.name == name)
    }
    /// Names of the enabled plugins found unused.
    pub fn unused(&self) -> Vec<&str> {
        self.plugins
            .iter()
            .filter(|p| matches!(p.verdict, Verdict::Unused { .. }))
            .map(|p| p.name.as_str())
            .collect()
    }
}

/// Directories never searched for app code.
const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "run",
    "logs",
    "test",
    "tests",
    "__tests__",
    "coverage",
    "typings",
    "dist",
    ".git",
    "config",
    "docs",
    ".egg-home",
];
/// Code files searched at most (a monorepo guard).
const MAX_FILES: usize = 20_000;

struct CodeFacts<'m> {
    /// (app-relative file, uses); the code model's own when it parsed the file.
    uses: Vec<(String, Cow<'m, [MemberUse]>)>,
    /// (app-relative file, text) for word searches.
    texts: Vec<(String, Cow<'m, str>)>,
    errors: Vec<String>,
    /// Of `errors`, the first ones: symbolic links out of the repository (not files searched).
    links_unread: usize,
    /// Files this scan parsed itself (absolute path → index in `uses`), whose uses are what
    /// `uses_in_file` would give (no NUL byte in the text): plugins' contributions reuse them.
    /// (Keyed by the path's bytes: a lookup that misses parses the file again, same answer.)
    parsed_here: foldhash::HashMap<std::ffi::OsString, usize>,
}

/// The code files the scan reads. Symbolic links are followed within the repository as egg
/// follows them; a link out of it that may hold code is named in `unread` ([`crate::links`]).
fn code_files(root: &Path, extra_dirs: &[PathBuf], unread: &mut Vec<String>) -> Vec<PathBuf> {
    let mut refused = crate::links::Refused::default();
    // (path key, path): deduplicated and sorted by the key, as `Path` would compare them
    let mut out: Vec<(Vec<u8>, PathBuf)> = Vec::new();
    let mut seen = foldhash::HashSet::default();
    let mut starts: Vec<PathBuf> = vec![root.join("app"), root.join("lib")];
    for stem in ["app", "agent"] {
        for ext in ["js", "ts", "mjs", "cjs"] {
            let f = root.join(format!("{stem}.{ext}"));
            if eggsec_fs::is_file(&f) {
                let key = path_key(&f);
                seen.insert(key.clone());
                out.push((key, f));
            }
        }
    }
    starts.extend(extra_dirs.iter().cloned());
    // Directories a walk went into, by the path's bytes: a start among them (an in-repo
    // plugin under `lib/`) was walked already with the same filter, and is not walked again.
    // (A start named another way is walked: its files are already seen, the same answer.)
    let mut entered: foldhash::HashSet<std::ffi::OsString> = foldhash::HashSet::default();
    for start in starts.iter().filter(|d| eggsec_fs::is_dir(d)) {
        if !entered.insert(start.as_os_str().to_owned()) {
            continue;
        }
        // every file, as egg loads them; no ignore file is ever opened (a FIFO named
        // .gitignore would block the walk)
        let mut keep = |e: &eggsec_fs::Entry| {
            let name = eggsec_fs::lossy(&e.name);
            let is_dir = e.file_type.is_some_and(|t| t.is_dir());
            !(is_dir
                && (SKIP_DIRS.contains(&name.as_ref())
                    || is_vendored_dir(eggsec_fs::strip_root(&e.path, root).unwrap_or(&e.path))))
        };
        let mut unfollowed = |e: &eggsec_fs::Entry, why: eggsec_fs::Unfollowed| {
            // (a plugin's own directory linked in is one of the starts, walked as such)
            if extra_dirs.iter().any(|d| d == &e.path) {
                return;
            }
            if let Some((level, message)) = refused.say(root, e, why, SKIP_DIRS, &is_code) {
                if level == crate::model::DiagnosticLevel::Unread {
                    unread.push(format!(
                        "{}: {message}",
                        eggsec_fs::rel_string(root, &e.path)
                    ));
                }
            }
        };
        let mut full = false;
        eggsec_fs::walk_following(
            start,
            false,
            root,
            &mut keep,
            &mut |e| {
                let p = &e.path;
                if e.file_type.is_some_and(|t| t.is_dir()) {
                    entered.insert(p.as_os_str().to_owned());
                }
                if e.file_type.is_some_and(|t| t.is_file())
                    && is_code(p)
                    && !is_vendored_name(&eggsec_fs::lossy(&e.name))
                {
                    let key = path_key(p);
                    if seen.insert(key.clone()) {
                        out.push((key, p.to_path_buf()));
                    }
                }
                full = out.len() >= MAX_FILES;
                !full
            },
            &mut unfollowed,
        );
        if full {
            return out.into_iter().map(|(_, p)| p).collect();
        }
    }
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, p)| p).collect()
}

/// A key whose equality and byte order are `Path`'s: component by component, each kind
/// (root, `.`, `..`, a name) in `std::path::Component`'s order, a name by its bytes, a path
/// before the longer paths it begins. Sorting by it gives `Path`'s order without comparing
/// paths component by component at every step of the sort.
fn path_key(p: &Path) -> Vec<u8> {
    use std::path::Component;
    let mut key = Vec::with_capacity(p.as_os_str().len() + 16);
    for c in p.components() {
        // a component starts with a 0 byte, which no name holds: a path sorts before the
        // paths it begins, and a name before the longer names it begins
        key.push(0);
        match c {
            Component::Prefix(x) => {
                key.push(1);
                key.extend_from_slice(x.as_os_str().as_encoded_bytes());
            }
            Component::RootDir => key.push(2),
            Component::CurDir => key.push(3),
            Component::ParentDir => key.push(4),
            Component::Normal(n) => {
                key.push(5);
                key.extend_from_slice(n.as_encoded_bytes());
            }
        }
    }
    key
}

/// The uses and texts of the app's code files (`code_files`): the code model's own for the
/// files it parsed, the loader's scans made ahead ([`prescan`]) for others — taken when `take`
/// (the analysis they were made for), else copied — and a scan of its own for the rest.
fn scan_code<'m>(
    root: &Path,
    extra_dirs: &[PathBuf],
    model: &'m crate::routes::CodeModel,
    take: bool,
) -> CodeFacts<'m> {
    let mut unread = Vec::new();
    let files = code_files(root, extra_dirs, &mut unread);
    // a file the code model parsed already has its uses (same text, same collector)
    // by the path's bytes (both lists come from walks of the same root; a miss scans the
    // file, with the same answer): hashing a `Path` walks its components
    let parsed: foldhash::HashMap<&std::ffi::OsStr, &crate::routes::CodeFile> = model
        .files
        .iter()
        .filter(|f| f.text.as_ref().is_some_and(|t| t.len() <= 8 * 1024 * 1024))
        .map(|f| (f.abs.as_os_str(), f))
        .collect();
    // what the loader scanned already (`prescan`): taken, file by file (copied when it is
    // kept for a later analysis)
    let early: Vec<Option<Option<FileScan>>> = {
        let mut held = PRESCANNED.lock().ok();
        let mut held = held.as_mut().and_then(|m| m.as_mut());
        files
            .iter()
            .map(|f| {
                let held = held.as_mut()?;
                match held.get(f.as_os_str()) {
                    Some(Ahead { scan, keep }) if *keep || !take => return Some(scan.clone()),
                    _ => {}
                }
                let taken = held.remove(f.as_os_str())?.scan;
                PRESCANNED_BYTES.fetch_sub(scan_bytes(&taken), Ordering::Relaxed);
                Some(taken)
            })
            .collect()
    };
    let results: Vec<_> = files
        .par_iter()
        .zip(early)
        .filter_map(|(f, early)| {
            let r = eggsec_fs::rel_string(root, f);
            if let Some(done) = parsed.get(f.as_os_str()) {
                let text = done.text.as_deref().unwrap_or_default();
                let text = text.strip_prefix('\u{feff}').unwrap_or(text);
                return Some((
                    r,
                    Ok(Cow::Borrowed(&done.facts.uses[..])),
                    Cow::Borrowed(text),
                    None,
                ));
            }
            let (uses, text, reusable) = match early {
                Some(scan) => scan?,
                None => scan_file(f)?,
            };
            Some((
                r,
                uses.map(Cow::Owned),
                Cow::Owned(text),
                reusable.then_some(f),
            ))
        })
        .collect();
    let mut facts = CodeFacts {
        uses: Vec::new(),
        texts: Vec::new(),
        links_unread: unread.len(),
        errors: unread,
        parsed_here: foldhash::HashMap::default(),
    };
    for (r, uses, text, abs) in results {
        match uses {
            Ok(u) => {
                if let Some(abs) = abs {
                    facts
                        .parsed_here
                        .insert(abs.as_os_str().to_owned(), facts.uses.len());
                }
                facts.uses.push((r.clone(), u))
            }
            Err(e) => facts.errors.push(e),
        }
        facts.texts.push((r, text));
    }
    facts
}

/// What the scan keeps of one file it parses itself: its uses (or why it could not be
/// parsed), its text for word searches, and whether the uses are what `uses_in_file` would
/// give (no NUL byte in the text: plugins' contributions reuse them). `None`: browser code.
type FileScan = (Result<Vec<MemberUse>, String>, String, bool);

fn scan_file(f: &Path) -> Option<FileScan> {
    // read as Node reads a source: a BOM dropped, an invalid byte (a GBK or Latin-1 comment)
    // as U+FFFD — the code runs, so its uses count
    let read = eggsec_report::input::read_limited(f, 8 * 1024 * 1024)
        .map(|bytes| eggsec_report::input::decode_like_npm(&bytes));
    let (text, lossy) = match read {
        Ok((t, bad_byte)) => (t, bad_byte.is_some()),
        // the evaluator's reader names the problem (too large, not a regular file, unreadable)
        Err(_) => {
            return Some((
                uses_in_file(f).map_err(|e| e.to_string()),
                String::new(),
                false,
            ))
        }
    };
    // Minified and bundled files are browser code: never evidence of plugin use.
    if is_vendored_text(&text) {
        return None;
    }
    let uses = uses_in_source(f, &text).map_err(|e| e.to_string());
    // `uses_in_file` refuses a text with a NUL byte or an invalid one; the scan's reader does
    // not
    let reusable = !lossy && memchr::memchr(0, text.as_bytes()).is_none();
    Some((uses, text, reusable))
}

/// Files scanned ahead of [`analyze`] ([`prescan`]), by absolute path: taken by the next
/// analysis that searches them, or kept for every analysis ([`keep_prescans`]).
/// (By the path's bytes: [`analyze`]'s walk makes the same paths; a miss scans the file again.)
static PRESCANNED: std::sync::Mutex<Option<foldhash::HashMap<std::ffi::OsString, Ahead>>> =
    std::sync::Mutex::new(None);
static PRESCAN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static KEEP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A file scanned ahead, and whether the analyses copy it (`keep`) or take it.
struct Ahead {
    scan: Option<FileScan>,
    keep: bool,
}
/// Text bytes of the files held in [`PRESCANNED`]: a monorepo's apps are all loaded before
/// the first is analysed, so the scans ahead stop (each analysis scans for itself) past this.
static PRESCANNED_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const PRESCAN_MAX_BYTES: usize = 64 << 20;

fn scan_bytes(scan: &Option<FileScan>) -> usize {
    scan.as_ref().map_or(0, |(_, text, _)| text.len())
}

/// Asks the loader to scan, while it builds the model, the code files of an app that the
/// code model does not parse (`lib/`, `agent.js`, in-repo plugins under `lib/`), for the
/// [`analyze`] that follows (`eggsec audit`, `eggsec plugins`): on two cores the loader's
/// threads are often idle while one of them evaluates the config or parses one large file.
pub fn prescan_while_loading(on: bool) {
    PRESCAN.store(on, Ordering::Relaxed);
}

/// Whether [`prescan_while_loading`] was asked for.
pub fn prescan_wanted() -> bool {
    PRESCAN.load(Ordering::Relaxed)
}

/// Asks that the scans made ahead from now on serve every [`analyze`] of the run instead of
/// the first one only: the HTML report analyses each app twice (PLG001, its plugin table).
pub fn keep_prescans(on: bool) {
    KEEP.store(on, Ordering::Relaxed);
}

/// Scans the code files of `root` that [`analyze`] searches and the code model will not parse
/// (everything but `app/` outside `public`, `view` and `assets`, and the boot file), keeping
/// the results for [`analyze`] (for the next one, or for every one after [`keep_prescans`]);
/// the same results it would compute itself.
/// `units`: the enabled in-repo plugins, whose `app/` and boot file the code model parses
/// ([`in_repo_plugin_dirs`]).
pub fn prescan(root: &Path, units: &[PathBuf]) {
    prescan_as(root, units, KEEP.load(Ordering::Relaxed));
}

fn prescan_as(root: &Path, units: &[PathBuf], keep: bool) {
    let _phase = eggsec_js::timing::phase("prescan");
    if PRESCANNED_BYTES.load(Ordering::Relaxed) > PRESCAN_MAX_BYTES {
        return;
    }
    let files = code_files(root, &[], &mut Vec::new());
    let unit_dirs: Vec<&Path> = std::iter::once(root)
        .chain(units.iter().map(PathBuf::as_path))
        .collect();
    // what `routes::code_model_with_units` parses: each unit's `app/` outside the dirs it
    // never walks into, and its boot file (a file it did not parse after all is scanned by
    // the analysis itself, the same answer)
    let model_parses = |f: &Path| {
        unit_dirs.iter().any(|unit| {
            match eggsec_fs::strip_root(f, unit).and_then(|r| r.strip_prefix("app").ok()) {
                Some(rest) => !rest.components().any(|c| {
                    c.as_os_str()
                        .to_str()
                        .is_some_and(|n| crate::routes::NOT_SOURCE_DIRS.contains(&n))
                }),
                None => f.parent() == Some(unit) && f.file_stem().is_some_and(|s| s == "app"),
            }
        })
    };
    let done: Vec<(PathBuf, Option<FileScan>)> = files
        .into_par_iter()
        .filter(|f| !model_parses(f))
        .map(|f| {
            let scan = scan_file(&f);
            (f, scan)
        })
        .collect();
    let bytes: usize = done.iter().map(|(_, scan)| scan_bytes(scan)).sum();
    if let Ok(mut m) = PRESCANNED.lock() {
        let m = m.get_or_insert_with(Default::default);
        for (f, scan) in done {
            // (a file scanned twice ahead: the later answer, counted once)
            if let Some(old) = m.insert(f.into_os_string(), Ahead { scan, keep }) {
                PRESCANNED_BYTES.fetch_sub(scan_bytes(&old.scan), Ordering::Relaxed);
            }
        }
        PRESCANNED_BYTES.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// Files (app-relative) under `dir`, at most `limit`.
fn files_under(root: &Path, dir: &Path, limit: usize) -> Vec<String> {
    if !eggsec_fs::is_dir(dir) {
        return Vec::new();
    }
    crate::links::files_below(dir, root, limit, &|_| true)
        .iter()
        .map(|f| eggsec_fs::rel_string(root, f))
        .collect()
}

/// Whether a config section is only a switch-off (`false`, `{ enable: false }`).
fn switched_off(value: &Value) -> bool {
    match &value.kind {
        ValueKind::Bool(false) => true,
        ValueKind::Object(o) => o.get("enable").and_then(Value::as_bool) == Some(false),
        _ => false,
    }
}

/// Does a use reach property `name` (anywhere along its chain)? Definitions the app writes on
/// `module.exports` are not uses. ([`Mentions`] indexes exactly these.)
#[cfg(test)]
fn mentions(u: &MemberUse, name: &str) -> bool {
    if u.kind == UseKind::Write && (u.root == "module" || u.root == "exports") {
        return false;
    }
    u.path.iter().any(|p| p == name)
        || (u.kind == UseKind::Call && u.path.is_empty() && u.root == name)
}

/// A computed access on something that may be `app`, `ctx`, a helper, request or response.
fn dynamic_on_egg_object(u: &MemberUse) -> bool {
    const EGG: &[&str] = &[
        "app", "ctx", "agent", "helper", "request", "response", "context", "this",
    ];
    u.path.iter().enumerate().any(|(i, p)| {
        p == DYNAMIC && {
            let before = if i == 0 {
                u.root.as_str()
            } else {
                u.path[i - 1].as_str()
            };
            EGG.contains(&before)
        }
    })
}

/// The uses of the app's code by every name they mention ([`mentions`]), each list in file
/// and use order, so that a plugin's property is looked up instead of matched against every
/// use of every file.
struct Mentions<'c> {
    by_name: foldhash::HashMap<&'c str, Vec<(usize, usize)>>,
}

impl<'c> Mentions<'c> {
    fn new(code: &'c CodeFacts<'_>) -> Mentions<'c> {
        let mut by_name: foldhash::HashMap<&str, Vec<(usize, usize)>> =
            foldhash::HashMap::default();
        for (fi, (_, uses)) in code.uses.iter().enumerate() {
            for (ui, u) in uses.iter().enumerate() {
                if u.kind == UseKind::Write && (u.root == "module" || u.root == "exports") {
                    continue;
                }
                let root = (u.kind == UseKind::Call && u.path.is_empty()).then_some(&u.root);
                for name in u.path.iter().chain(root) {
                    let list = by_name.entry(name.as_str()).or_default();
                    if list.last() != Some(&(fi, ui)) {
                        list.push((fi, ui));
                    }
                }
            }
        }
        Mentions { by_name }
    }

    /// Every use that mentions `name`, as [`mentions`] decides, in file and use order.
    fn of<'a>(
        &'a self,
        code: &'c CodeFacts<'_>,
        name: &str,
    ) -> impl Iterator<Item = (&'c String, &'c MemberUse)> + 'a {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(move |&(fi, ui)| (&code.uses[fi].0, &code.uses[fi].1[ui]))
    }
}

/// A plugin directory inside the app's repository (an in-repo plugin), not an installed
/// package: its place below `root`, whichever way either is spelt (`eggsec audit ../apps/a`
/// loads `/w/apps/a/lib/plugin/x`, the evaluated `path.join(__dirname, …)`, under the root
/// `/w/main/../apps/a`).
fn in_repo_rel(root: &Path, dir: &Path) -> Option<PathBuf> {
    let rel = match dir.strip_prefix(root) {
        Ok(rel)
            if !rel
                .components()
                .any(|c| c == std::path::Component::ParentDir) =>
        {
            rel.to_path_buf()
        }
        _ => eggsec_fs::lexical_normal(dir)
            .strip_prefix(eggsec_fs::lexical_normal(root))
            .ok()?
            .to_path_buf(),
    };
    (!rel.starts_with("node_modules")).then_some(rel)
}

fn in_repo(root: &Path, dir: &Path) -> bool {
    in_repo_rel(root, dir).is_some()
}

/// The directories of the enabled in-repo plugins (`path:` plugins inside the app's
/// repository, not under `node_modules`), spelt below `root`: code egg loads into the app as
/// its own.
pub fn in_repo_plugin_dirs(root: &Path, plugins: &[PluginState]) -> Vec<PathBuf> {
    plugins
        .iter()
        .filter(|p| p.enabled)
        .filter_map(|p| in_repo_rel(root, p.path.as_deref()?))
        .filter(|rel| !rel.as_os_str().is_empty())
        .map(|rel| root.join(rel))
        .collect()
}

/// Analyses every plugin of `app` (one env).
pub fn analyze(app: &AppModel) -> Usage {
    let root = app.root.as_path();
    let code = scan_code(root, &extra_code_dirs(app), &app.code, true);
    let mentioned = Mentions::new(&code);
    // the views are read only when a plugin has words to look for in them
    let views = Views {
        root,
        read: std::sync::OnceLock::new(),
    };
    let dynamic: Vec<Evidence> = code
        .uses
        .iter()
        .flat_map(|(f, uses)| {
            uses.iter()
                .filter(|u| dynamic_on_egg_object(u))
                .map(move |u| Evidence {
                    file: f.clone(),
                    line: u.line,
                    what: u.dotted(),
                })
        })
        .take(3)
        .collect();
    let files_scanned = code.uses.len() + code.errors.len() - code.links_unread;
    // No app code to read (a runtime dump, a model without sources): nothing can be proven.
    let code_available = root.join("app").is_dir() || files_scanned > 0;
    let seen = Seen {
        code: &code,
        mentioned: &mentioned,
        views: &views,
        dynamic: &dynamic,
    };
    let plugins = app
        .plugins
        .par_iter()
        .map(|p| {
            let mut u = plugin_usage(app, p, &seen);
            if !code_available && matches!(u.verdict, Verdict::Unused { .. }) {
                u.verdict = Verdict::Unknown(format!(
                    "the app's code is not there to search ({} has no app/ directory)",
                    root.display()
                ));
            }
            u
        })
        .collect();
    Usage {
        plugins,
        files_scanned,
        errors: code.errors,
    }
}

/// In-repo local plugins: their code uses other plugins and the app's config too.
fn extra_code_dirs(app: &AppModel) -> Vec<PathBuf> {
    in_repo_plugin_dirs(&app.root, &app.plugins)
}

/// Top-level config keys the app's own code reads (`this.config.jwt.secret`,
/// `const { redis } = app.config`, midway's `@config('sequelize')`), each with the first
/// place, in file order: the code [`analyze`] searches (`app/`, `lib/`, the boot files,
/// in-repo plugins). Leaves the scans made ahead for [`analyze`].
pub fn config_reads(app: &AppModel) -> Vec<(String, Evidence)> {
    let code = scan_code(&app.root, &extra_code_dirs(app), &app.code, false);
    reads_of_config(&code)
}

/// The top-level config key a use reads, if it reads one: `config.<key>` reached from egg's
/// objects (`this.config.jwt`, `ctx.app.config.jwt`, `app.config['jwt']`, a destructured
/// `config`, `const { jwt } = app.config`), or a config-injecting decorator or call
/// (`@config('jwt')` in midway, `@Config('jwt')`). Writes are not reads.
fn config_key_read(u: &MemberUse) -> Option<&str> {
    const EGG: &[&str] = &["this", "app", "ctx", "agent"];
    if u.kind == UseKind::Write {
        return None;
    }
    if u.kind == UseKind::Call
        && u.path.is_empty()
        && matches!(u.root.as_str(), "config" | "Config")
    {
        return u.args.first().map(String::as_str).filter(|k| !k.is_empty());
    }
    let mut chain = std::iter::once(u.root.as_str()).chain(u.path.iter().map(String::as_str));
    // `config` first (destructured), second (`this.config`), third (`ctx.app.config`) or
    // fourth (`this.ctx.app.config`), after egg's objects only
    for i in 0..4 {
        let name = chain.next()?;
        if name == "config" {
            return chain.next().filter(|k| *k != DYNAMIC);
        }
        if i == 3 || !EGG.contains(&name) {
            return None;
        }
    }
    None
}

/// [`config_reads`] of the scanned code.
fn reads_of_config(code: &CodeFacts<'_>) -> Vec<(String, Evidence)> {
    let mut out: Vec<(String, Evidence)> = Vec::new();
    for (file, uses) in &code.uses {
        for u in uses.iter() {
            let Some(key) = config_key_read(u) else {
                continue;
            };
            if out.iter().any(|(k, _)| k == key) {
                continue;
            }
            out.push((
                key.to_string(),
                Evidence {
                    file: file.clone(),
                    line: u.line,
                    what: if u.path.is_empty() {
                        format!("{}('{key}')", u.root)
                    } else {
                        u.dotted()
                    },
                },
            ));
        }
    }
    out
}

/// The app's views (app-relative file, text), read on first use.
struct Views<'r> {
    root: &'r Path,
    read: std::sync::OnceLock<Vec<(String, String)>>,
}

impl Views<'_> {
    fn get(&self) -> &[(String, String)] {
        self.read.get_or_init(|| {
            let root = self.root;
            files_under(root, &root.join("app/view"), 5000)
                .into_iter()
                .filter_map(|f| {
                    eggsec_report::input::read_text_limited(&root.join(&f), 8 * 1024 * 1024)
                        .ok()
                        .map(|t| (f, t))
                })
                .collect()
        })
    }
}

/// What the app's code and views show, shared by every plugin's verdict.
struct Seen<'a> {
    code: &'a CodeFacts<'a>,
    mentioned: &'a Mentions<'a>,
    views: &'a Views<'a>,
    dynamic: &'a [Evidence],
}

fn plugin_usage<'a>(app: &'a AppModel, p: &PluginState, seen: &Seen<'a>) -> PluginUsage {
    let code: &'a CodeFacts<'a> = seen.code;
    // files of in-repo plugins this run parsed already have their uses
    let c = contributions_with(app, p, &|file: &Path| -> Option<&'a [MemberUse]> {
        let i = *code.parsed_here.get(file.as_os_str())?;
        Some(&code.uses[i].1[..])
    });
    let configured_at = configured_at(app, &c);
    let verdict = if !p.enabled {
        Verdict::Disabled
    } else {
        verdict(app, p, &c, seen, &configured_at)
    };
    PluginUsage {
        name: p.name.clone(),
        enabled: p.enabled,
        verdict,
        contributions: c,
        configured_at,
    }
}

fn configured_at(app: &AppModel, c: &Contributions) -> Vec<Evidence> {
    let mut out = Vec::new();
    for layer in app.app_layers().filter(|l| !l.embedded) {
        for key in &c.config {
            if let Some(v) = layer
                .value
                .get(key)
                .filter(|v| !v.is_undefined() && !switched_off(v))
            {
                let file = if v.prov.file.starts_with('<') {
                    eggsec_fs::rel_string(&app.root, &layer.file)
                } else {
                    eggsec_fs::rel_string(&app.root, Path::new(&*v.prov.file))
                };
                out.push(Evidence {
                    file,
                    line: v.prov.line,
                    what: format!("config.{key} is set"),
                });
            }
        }
    }
    out
}

const MAX_EVIDENCE: usize = 3;

/// Adds `uses` as evidence until `ev` holds [`MAX_EVIDENCE`] entries; a use already listed
/// (found again for another property of the same name: i18n adds `__` to app, ctx and helper)
/// is not listed twice.
fn push_uses<'u>(ev: &mut Vec<Evidence>, uses: impl Iterator<Item = (&'u String, &'u MemberUse)>) {
    for (file, u) in uses {
        if ev.len() >= MAX_EVIDENCE {
            break;
        }
        let e = Evidence {
            file: file.clone(),
            line: u.line,
            what: u.dotted(),
        };
        if !ev.contains(&e) {
            ev.push(e);
        }
    }
}

fn verdict(
    app: &AppModel,
    p: &PluginState,
    c: &Contributions,
    seen: &Seen<'_>,
    configured: &[Evidence],
) -> Verdict {
    let Seen {
        code,
        mentioned,
        dynamic,
        ..
    } = *seen;
    if let Some(why) = &c.keep {
        return Verdict::Kept(why.clone());
    }
    let root = app.root.as_path();
    let mut ev: Vec<Evidence> = Vec::new();
    let mut searched: Vec<String> = Vec::new();

    // Required by another enabled plugin: disabling it would be undone (implicit enable).
    for other in app.plugins.iter().filter(|o| o.enabled && o.name != p.name) {
        if other.dependencies.contains(&p.name) {
            ev.push(Evidence {
                file: String::new(),
                line: 0,
                what: format!("required by the enabled plugin `{}`", other.name),
            });
        }
    }

    // An in-repo plugin's own files using what it adds are not the app using it.
    let own_dir = p
        .path
        .as_deref()
        .and_then(|d| eggsec_fs::strip_root(d, root))
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| format!("{}/", d.to_string_lossy()));
    let not_own =
        |(file, _): &(&String, &MemberUse)| own_dir.as_deref().is_none_or(|d| !file.starts_with(d));

    // Properties on app / ctx / request / response / helper / agent.
    for (target, name) in &c.properties {
        searched.push(format!("{}.{name}", target.prefix()));
        push_uses(&mut ev, mentioned.of(code, name).filter(not_own));
    }

    // Services its files add to `ctx.service` (`ctx.service.content.find()`, `this.service.
    // content`, `const { service: { content } } = ctx`).
    for name in &c.services {
        searched.push(format!("ctx.service.{name}"));
        let want: Vec<&str> = name.split('.').collect();
        push_uses(
            &mut ev,
            mentioned
                .of(code, want[0])
                .filter(not_own)
                .filter(|(_, u)| {
                    std::iter::once(&u.root)
                        .chain(&u.path)
                        .collect::<Vec<_>>()
                        .windows(want.len() + 1)
                        .any(|w| w[0] == "service" && w[1..].iter().zip(&want).all(|(a, b)| a == b))
                }),
        );
    }

    // Schedules an in-repo plugin ships are the app's own jobs (egg-schedule loads every load
    // unit's); a package's (egg-multipart's tmp-dir cleaning) are its housekeeping.
    let in_repo = p.path.as_deref().is_some_and(|d| in_repo(root, d));
    if let Some(first) = c.schedules.first().filter(|_| in_repo) {
        searched.push("its app/schedule/".into());
        ev.push(Evidence {
            file: eggsec_fs::rel_string(root, first),
            line: 0,
            what: "its schedule runs in the app".into(),
        });
    }

    // Middleware it ships, used only when the app names it: in `config.middleware`, after the
    // boot hooks' edits (an in-repo plugin's `configWillLoad` often pushes its own).
    let configured_middleware = app.config_at("middleware");
    let app_middleware: Vec<String> = configured_middleware
        .and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for mw in &c.middleware {
        searched.push(format!(
            "middleware `{mw}` (config.middleware, app.middleware.{mw})"
        ));
        let in_app_list = app
            .middleware
            .iter()
            .any(|m| m.source == crate::model::MiddlewareSource::App && &m.name == mw);
        if app_middleware.contains(mw) || in_app_list {
            ev.push(Evidence {
                file: String::new(),
                line: 0,
                what: format!("config.middleware lists `{mw}`"),
            });
        }
        push_uses(
            &mut ev,
            mentioned
                .of(code, mw)
                .filter(|(_, u)| u.path.iter().any(|s| s == "middleware")),
        );
    }

    // Config the app sets that is itself a use (`static.dir`: the folders egg-static serves,
    // often filled at run time by uploads).
    // (not listed as searched: the list names what was looked for in the app's files, and it
    // is part of an unused finding's fingerprint)
    let mut config_use_unknown = None;
    for key in &c.config_use {
        for layer in app.app_layers().filter(|l| !l.embedded) {
            if let Some(v) = layer.value.lookup(key).filter(|v| !v.is_undefined()) {
                if v.is_unknown() {
                    // a layer that could not be read or evaluated may set it
                    config_use_unknown.get_or_insert_with(|| {
                        format!(
                            "config.{key} is not statically known ({})",
                            eggsec_fs::rel_string(root, &layer.file)
                        )
                    });
                    continue;
                }
                let file = if v.prov.file.starts_with('<') {
                    eggsec_fs::rel_string(root, &layer.file)
                } else {
                    eggsec_fs::rel_string(root, Path::new(&*v.prov.file))
                };
                ev.push(Evidence {
                    file,
                    line: v.prov.line,
                    what: format!("config.{key} is set"),
                });
                break;
            }
        }
    }

    // Directories it gives meaning to (and the static plugin's configured dirs).
    let mut dirs: Vec<PathBuf> = c.dirs.iter().map(|d| root.join(d)).collect();
    if c.config.iter().any(|k| k == "static") {
        for key in ["static.dir", "static.dirs"] {
            for v in app.config_at(key).into_iter().flat_map(values_of) {
                if let Some(s) = v.as_str().or_else(|| v.get("dir").and_then(Value::as_str)) {
                    let d = PathBuf::from(s);
                    dirs.push(if d.is_absolute() { d } else { root.join(d) });
                }
            }
        }
    }
    for d in &dirs {
        let shown = eggsec_fs::rel_string(root, d);
        if !searched.contains(&format!("files in {shown}/")) {
            searched.push(format!("files in {shown}/"));
        }
        if let Some(first) = files_under(root, d, 1).into_iter().next() {
            ev.push(Evidence {
                file: first,
                line: 0,
                what: format!("a file in {shown}/"),
            });
        }
    }

    // Words in views and code. Evidence past the first MAX_EVIDENCE is dropped: once there
    // is that much, the words are only listed as searched (no view is read for them).
    for w in &c.view_words {
        searched.push(format!("`{w}` in app/view"));
        if ev.len() >= MAX_EVIDENCE {
            continue;
        }
        if let Some((f, _)) = seen
            .views
            .get()
            .iter()
            .find(|(_, t)| t.contains(w.as_str()))
        {
            ev.push(Evidence {
                file: f.clone(),
                line: 0,
                what: format!("`{w}` in a view"),
            });
        }
    }
    for w in &c.code_words {
        searched.push(format!("`{w}` in code"));
        if ev.len() >= MAX_EVIDENCE {
            continue;
        }
        if let Some((f, t)) = code.texts.iter().find(|(_, t)| t.contains(w.as_str())) {
            let line = t
                .find(w.as_str())
                .map_or(0, |i| t[..i].lines().count().max(1) as u32);
            ev.push(Evidence {
                file: f.clone(),
                line,
                what: format!("`{w}`"),
            });
        }
    }

    // Session-backed CSRF tokens use the session plugin.
    if p.name == "session"
        && app
            .config_at("security.csrf.useSession")
            .and_then(Value::as_bool)
            == Some(true)
    {
        ev.push(Evidence {
            file: String::new(),
            line: 0,
            what: "security.csrf.useSession = true".into(),
        });
    }

    if c.config_is_use {
        searched.push(format!(
            "app config for {}",
            c.config
                .iter()
                .map(|k| format!("config.{k}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        ev.extend(configured.iter().cloned());
    }

    if !ev.is_empty() {
        ev.truncate(MAX_EVIDENCE.max(1));
        return Verdict::Used(ev);
    }
    if c.is_unknown() {
        return Verdict::Unknown(
            "eggsec does not know what it contributes (not installed, and not in eggsec's built-in list)".into(),
        );
    }
    if c.config_is_use {
        return Verdict::Unknown(format!(
            "it acts through middleware on every request; the app does not configure it (searched: {})",
            searched.join(", ")
        ));
    }
    if let Some(why) = config_use_unknown {
        return Verdict::Unknown(why);
    }
    if !c.middleware.is_empty() && configured_middleware.is_some_and(Value::is_unknown) {
        return Verdict::Unknown(format!(
            "config.middleware is not statically known: it may list {}",
            c.middleware
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(e) = c.errors.first() {
        return Verdict::Unknown(format!("some of its files could not be read: {e}"));
    }
    if let Some(e) = code.errors.first() {
        return Verdict::Unknown(format!("some app files could not be read: {e}"));
    }
    if !c.properties.is_empty() {
        if let Some(d) = dynamic.first() {
            return Verdict::Unknown(format!(
                "app code reaches app/ctx properties by computed names ({d})"
            ));
        }
    }
    if !c.core_middleware.is_empty() && super::contributions::known(p).is_none() {
        return Verdict::Unknown(format!(
            "it inserts core middleware ({}) that runs on every request",
            c.core_middleware.join(", ")
        ));
    }
    if searched.is_empty() {
        return Verdict::Unknown("it contributes nothing eggsec can search for".into());
    }
    Verdict::Unused { searched }
}

fn values_of(v: &Value) -> Vec<&Value> {
    match v.as_list() {
        Some(items) => items.iter().collect(),
        None => vec![v],
    }
}

/// The app's own plugin files (`config/plugin.js`, `plugin.prod.ts`, ...), sorted.
pub fn app_plugin_files(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = eggsec_fs::read_dir(&root.join("config"))
        .iter()
        .flat_map(|entries| entries.iter())
        .map(|e| e.path.clone())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (name.starts_with("plugin.") || name == "plugin") && is_code(p) && eggsec_fs::is_file(p)
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys_read_from_egg_objects_and_decorators() {
        let text = "class A {\n  @config('sequelize') db;\n  @Config('oss') oss;\n  f() {\n    \
this.config.jwt.secret;\n    this.app.config.redis;\n    ctx.app.config['mysql'].x;\n    \
const { cors } = app.config;\n    const { config } = this.app;\n    config.io.x;\n    \
this.config.cache9.get();\n    this.ctx.app.config.static.dir;\n  }\n}\n";
        let uses = uses_in_source(Path::new("a.ts"), text).unwrap();
        let keys: Vec<&str> = uses.iter().filter_map(config_key_read).collect();
        assert_eq!(
            keys,
            [
                "sequelize",
                "oss",
                "jwt",
                "redis",
                "mysql",
                "cors",
                "io",
                "cache9",
                "static"
            ]
        );
        // look-alikes: a write, `config` deeper in a chain or on another object, a bare
        // `app.config`, a computed key, a call named `config` on something
        let text = "app.config.jwt = { secret: 'x' };\nthis.ctx.service.config.jwt;\n\
opts.config.cors;\nconst c = app.config;\nthis.config[name];\nlib.config('mysql');\n";
        let uses = uses_in_source(Path::new("b.js"), text).unwrap();
        let keys: Vec<&str> = uses.iter().filter_map(config_key_read).collect();
        assert!(keys.is_empty(), "{keys:?}");
    }

    #[test]
    fn a_plugin_dir_the_walk_went_into_is_not_walked_again_and_others_are() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let outside = tempfile::tempdir().unwrap();
        for f in [
            "app/controller/home.js",
            "lib/plugin/a/app/extend/context.js",
            "lib/plugin/a/app.js",
            "lib/plugin/a/test/skip.test.js",
            "lib/test/p/app/extend/helper.js",
            "lib/util.ts",
        ] {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "module.exports = {};").unwrap();
        }
        std::fs::create_dir_all(outside.path().join("app")).unwrap();
        std::fs::write(outside.path().join("app/x.js"), "1").unwrap();
        let linked = root.join("lib/plugin/linked");
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path(), &linked).unwrap();
        let rel = |files: Vec<PathBuf>| -> Vec<String> {
            files
                .iter()
                .map(|f| eggsec_fs::rel_string(root, f))
                .collect()
        };
        let base = rel(code_files(root, &[], &mut Vec::new()));
        assert_eq!(
            base,
            [
                "app/controller/home.js",
                "lib/plugin/a/app/extend/context.js",
                "lib/plugin/a/app.js",
                "lib/util.ts"
            ]
        );
        // walked already: the same list
        let same = code_files(
            root,
            &[root.join("lib/plugin/a"), root.join("app")],
            &mut Vec::new(),
        );
        assert_eq!(rel(same), base);
        // under a directory the walk leaves out (`test`), and a symlink it does not follow:
        // walked, and their files are in the list
        let more = rel(code_files(
            root,
            &[root.join("lib/test/p"), linked.clone()],
            &mut Vec::new(),
        ));
        assert!(
            more.contains(&"lib/test/p/app/extend/helper.js".to_string()),
            "{more:?}"
        );
        #[cfg(unix)]
        assert!(
            more.contains(&"lib/plugin/linked/app/x.js".to_string()),
            "{more:?}"
        );
        assert_eq!(more.len(), base.len() + if cfg!(unix) { 2 } else { 1 });
    }

    #[test]
    fn the_mentions_index_finds_what_a_scan_of_every_use_finds() {
        let src = "module.exports = app => { app.redis.get('k'); exports.x = 1; module.exports.y = 2; };\n\
                   const a = ctx.helper.shtml(x); jsonp(); this.app.mysql.query(q); app.middleware.gzip({});\n\
                   ctx.session.user = 1; app[name].redis; app.redis.set('a');";
        let uses = uses_in_source(Path::new("a.js"), src).unwrap();
        let other = uses_in_source(Path::new("b.js"), "app.redis.get(1); jsonp();").unwrap();
        let code = CodeFacts {
            uses: vec![
                ("a.js".into(), Cow::Owned(uses)),
                ("b.js".into(), Cow::Owned(other)),
            ],
            texts: Vec::new(),
            errors: Vec::new(),
            links_unread: 0,
            parsed_here: Default::default(),
        };
        let index = Mentions::new(&code);
        let names: std::collections::BTreeSet<&str> = code
            .uses
            .iter()
            .flat_map(|(_, u)| u.iter())
            .flat_map(|u| u.path.iter().chain(std::iter::once(&u.root)))
            .map(String::as_str)
            .chain(["exports", "y", "nothing"])
            .collect();
        assert!(names.len() > 10);
        for name in names {
            let scan: Vec<(&String, &MemberUse)> = code
                .uses
                .iter()
                .flat_map(|(f, uses)| uses.iter().map(move |u| (f, u)))
                .filter(|(_, u)| mentions(u, name))
                .collect();
            let found: Vec<(&String, &MemberUse)> = index.of(&code, name).collect();
            assert_eq!(found.len(), scan.len(), "{name}");
            assert!(
                found
                    .iter()
                    .zip(&scan)
                    .all(|(a, b)| a.0 == b.0 && std::ptr::eq(a.1, b.1)),
                "{name}"
            );
        }
    }

    /// The scan made while loading gives the analysis exactly what it would find by itself:
    /// in-repo plugin code, a minified file, a file that does not parse, one with a NUL byte.
    /// A temporary egg 3 app (package.json, `config.default.js` with keys) and a writer of
    /// more files into it.
    fn temp_app() -> (tempfile::TempDir, impl Fn(&str, &[u8])) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let write = move |rel: &str, text: &[u8]| {
            let p = d.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(
            "package.json",
            br#"{"name":"x","dependencies":{"egg":"^3"}}"#,
        );
        write("config/config.default.js", b"exports.keys = 'k';\n");
        (dir, write)
    }

    #[test]
    fn view_words_are_evidence_until_there_is_enough_of_it() {
        // `dependents` in-repo plugins that require i18n (one evidence each), `uses` calls of
        // `ctx.__` (one line each), a view that calls `__(`
        let app_with = |dependents: usize, uses: usize| {
            let (dir, write_bytes) = temp_app();
            let write = |rel: &str, text: &str| write_bytes(rel, text.as_bytes());
            let mut plugins = String::from("const path = require('path');\n");
            for i in 0..dependents {
                plugins.push_str(&format!(
                    "exports.p{i} = {{ enable: true, path: path.join(__dirname, '../lib/plugin/p{i}') }};\n"
                ));
                write(
                    &format!("lib/plugin/p{i}/package.json"),
                    &format!(r#"{{"eggPlugin":{{"name":"p{i}","dependencies":["i18n"]}}}}"#),
                );
            }
            write("config/plugin.js", &plugins);
            let calls = "    this.ctx.__('hi');\n".repeat(uses);
            write(
                "app/controller/home.js",
                &format!(
                    "module.exports = app => class {{\n  async index() {{\n{calls}  }}\n}};\n"
                ),
            );
            write("app/view/home.html", "<p>{{ __('hello') }}</p>\n");
            let app = crate::load(dir.path(), &Default::default()).unwrap();
            let u = analyze(&app).plugin("i18n").unwrap().clone();
            match u.verdict {
                Verdict::Used(ev) => ev.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                v => panic!("{v:?}"),
            }
        };
        let in_view = |e: &String| e.starts_with("app/view/home.html");
        // less than enough before the views: the view is evidence too
        for dependents in 0..MAX_EVIDENCE {
            let ev = app_with(dependents, 0);
            assert_eq!(ev.len(), dependents + 1, "{ev:?}");
            assert!(in_view(&ev[dependents]), "{ev:?}");
        }
        // enough: what was found first, and the words listed as searched all the same
        let ev = app_with(MAX_EVIDENCE, 0);
        assert_eq!(ev.len(), MAX_EVIDENCE, "{ev:?}");
        assert!(!ev.iter().any(in_view), "{ev:?}");
        // a use is listed once, though i18n adds `__` to app, ctx and helper
        let ev = app_with(0, 1);
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert!(ev[0].contains("home.js:3"), "{ev:?}");
        assert!(in_view(&ev[1]), "{ev:?}");
        let ev = app_with(0, MAX_EVIDENCE);
        assert_eq!(ev.len(), MAX_EVIDENCE, "{ev:?}");
        assert!(ev.iter().all(|e| e.contains("home.js")), "{ev:?}");
        assert!(ev[0] != ev[1] && ev[1] != ev[2], "{ev:?}");
    }

    /// The verdict on plugin `name` of a temporary app: `files` (path, text) over the
    /// [`temp_app`] defaults; `config/plugin.js` enables `lib/plugin/local` as `local`.
    fn verdict_in(name: &str, files: &[(&str, &str)]) -> Verdict {
        let (dir, write) = temp_app();
        write(
            "config/plugin.js",
            b"const path = require('path');\nexports.local = { enable: true, path: path.join(__dirname, '../lib/plugin/local') };\n",
        );
        write(
            "lib/plugin/local/package.json",
            br#"{"eggPlugin":{"name":"local"}}"#,
        );
        for (rel, text) in files {
            write(rel, text.as_bytes());
        }
        let app = crate::load(dir.path(), &Default::default()).unwrap();
        analyze(&app).plugin(name).unwrap().verdict.clone()
    }

    fn used_by(v: &Verdict) -> String {
        match v {
            Verdict::Used(ev) => ev
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            v => panic!("not used: {v:?}"),
        }
    }

    #[test]
    fn a_plugin_whose_boot_hook_adds_its_middleware_is_used() {
        // DoraCMS's in-repo plugins: `configWillLoad() { this.app.config.middleware.push(..) }`
        let mw = (
            "lib/plugin/local/app/middleware/content_router.js",
            "module.exports = () => async (ctx, next) => next();\n",
        );
        let hook = (
            "lib/plugin/local/app.js",
            "class Boot {\n  constructor(app) { this.app = app; }\n  configWillLoad() { this.app.config.middleware.push('contentRouter'); }\n}\nmodule.exports = Boot;\n",
        );
        let v = verdict_in("local", &[mw, hook]);
        assert!(used_by(&v).contains("`contentRouter`"), "{v:?}");
        // xprofiler-console's: `const { appMiddleware } = this.app.config; appMiddleware.unshift(..)`
        let hook2 = (
            "lib/plugin/local/app.js",
            "class Boot {\n  constructor(app) { this.app = app; }\n  configDidLoad() {\n    const { appMiddleware } = this.app.config;\n    appMiddleware.unshift('contentRouter');\n  }\n}\nmodule.exports = Boot;\n",
        );
        assert!(matches!(
            verdict_in("local", &[mw, hook2]),
            Verdict::Used(_)
        ));
        // look-alike: the hook pushes another name; the middleware is shipped and never listed
        let other = (
            "lib/plugin/local/app.js",
            "class Boot {\n  constructor(app) { this.app = app; }\n  configWillLoad() { this.app.config.middleware.push('elsewhere'); }\n}\nmodule.exports = Boot;\n",
        );
        let v = verdict_in("local", &[mw, other]);
        assert!(matches!(v, Verdict::Unused { .. }), "{v:?}");
        // the app's middleware list cannot be evaluated: it may list it
        let v = verdict_in(
            "local",
            &[
                mw,
                (
                    "config/config.default.js",
                    "exports.keys = 'k';\nexports.middleware = makeList();\n",
                ),
            ],
        );
        match v {
            Verdict::Unknown(why) => assert!(why.contains("`contentRouter`"), "{why}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn a_plugin_service_the_app_calls_is_used() {
        let service = (
            "lib/plugin/local/app/service/content_item.js",
            "module.exports = app => class extends app.Service { async find() {} };\n",
        );
        for call in [
            "await this.ctx.service.contentItem.find();",
            "await this.service.contentItem.find();",
            "const { service: { contentItem } } = this.ctx; await contentItem.find();",
        ] {
            let controller = (
                "app/controller/home.js",
                &*format!("module.exports = app => class extends app.Controller {{\n  async index() {{ {call} }}\n}};\n"),
            );
            let v = verdict_in("local", &[service, controller]);
            assert!(used_by(&v).contains("service.contentItem"), "{call}: {v:?}");
        }
        // look-alike: the same name, not under `service`
        let controller = (
            "app/controller/home.js",
            "module.exports = app => class extends app.Controller {\n  async index() { this.ctx.contentItem.find(); this.ctx.service.other.contentItem(); }\n};\n",
        );
        match verdict_in("local", &[service, controller]) {
            Verdict::Unused { searched } => {
                assert!(
                    searched.contains(&"ctx.service.contentItem".to_string()),
                    "{searched:?}"
                )
            }
            v => panic!("{v:?}"),
        }
        // look-alike: only the plugin's own files call it
        let own = (
            "lib/plugin/local/app/controller/item.js",
            "module.exports = app => class extends app.Controller {\n  async index() { await this.ctx.service.contentItem.find(); }\n};\n",
        );
        let v = verdict_in(
            "local",
            &[
                service,
                own,
                ("app/controller/home.js", "module.exports = 1;\n"),
            ],
        );
        assert!(matches!(v, Verdict::Unused { .. }), "{v:?}");
        // nested service directories are dotted (`admin/user.js` is `ctx.service.admin.user`)
        let nested = (
            "lib/plugin/local/app/service/admin/user.js",
            "module.exports = app => class extends app.Service {};\n",
        );
        let controller = (
            "app/controller/home.js",
            "module.exports = app => class extends app.Controller {\n  async index() { await this.ctx.service.admin.user.get(); }\n};\n",
        );
        assert!(matches!(
            verdict_in("local", &[nested, controller]),
            Verdict::Used(_)
        ));
        let controller = (
            "app/controller/home.js",
            "module.exports = app => class extends app.Controller {\n  async index() { await this.ctx.service.user.admin(); }\n};\n",
        );
        assert!(matches!(
            verdict_in("local", &[nested, controller]),
            Verdict::Unused { .. }
        ));
    }

    #[test]
    fn a_plugin_schedule_runs_in_the_app() {
        let schedule = (
            "lib/plugin/local/app/schedule/clean.js",
            "module.exports = { schedule: { interval: '1h', type: 'worker' }, async task() {} };\n",
        );
        let v = verdict_in("local", &[schedule]);
        assert!(
            used_by(&v).contains("lib/plugin/local/app/schedule/clean.js"),
            "{v:?}"
        );
        let home = (
            "app/controller/home.js",
            "module.exports = app => class extends app.Controller {};\n",
        );
        // look-alike: a plugin that only extends ctx, with a `schedule` the app never reads
        let extend = (
            "lib/plugin/local/app/extend/context.js",
            "module.exports = { get schedule() { return 1; } };\n",
        );
        let v = verdict_in("local", &[home, extend]);
        assert!(matches!(v, Verdict::Unused { .. }), "{v:?}");
    }

    #[test]
    fn static_dirs_the_app_configures_are_a_use() {
        // poster-backend: uploads written at run time under a folder egg-static serves
        let cfg = (
            "config/config.default.js",
            "const path = require('path');\nexports.keys = 'k';\nexports.static = { dir: [{ prefix: '/uploads', dir: path.join(__dirname, '../uploads') }] };\n",
        );
        let v = verdict_in("static", &[cfg]);
        assert!(used_by(&v).contains("config.static.dir is set"), "{v:?}");
        // look-alike: static options that name no folder, and no app/public
        let cfg = (
            "config/config.default.js",
            "exports.keys = 'k';\nexports.static = { maxAge: 3600 };\n",
        );
        let home = (
            "app/controller/home.js",
            "module.exports = app => class extends app.Controller {};\n",
        );
        let v = verdict_in("static", &[cfg, home]);
        assert!(matches!(v, Verdict::Unused { .. }), "{v:?}");
        // a config file that cannot be read may set it
        let unread = (
            "config/config.prod.js",
            "module.exports = { static: { dir: 'x' },, };\n",
        );
        let (dir, write) = temp_app();
        write(unread.0, unread.1.as_bytes());
        write(home.0, home.1.as_bytes());
        let opts = crate::LoadOptions {
            env: Some("prod".into()),
            ..Default::default()
        };
        let app = crate::load(dir.path(), &opts).unwrap();
        match &analyze(&app).plugin("static").unwrap().verdict {
            Verdict::Unknown(why) => assert!(why.contains("config.prod.js"), "{why}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn a_scan_made_while_loading_changes_nothing() {
        let (dir, write) = temp_app();
        let d = dir.path();
        write(
            "config/plugin.js",
            b"const path = require('path');\nexports.local = { enable: true, path: path.join(__dirname, '../lib/plugin/local') };\n",
        );
        write(
            "app/controller/home.js",
            b"module.exports = app => class { async index() { this.ctx.render('x'); } };\n",
        );
        write(
            "lib/plugin/local/package.json",
            br#"{"eggPlugin":{"name":"local"}}"#,
        );
        write(
            "lib/plugin/local/app/extend/context.js",
            b"module.exports = { get thing() { return this.app.redis; } };\n",
        );
        write("lib/util.js", b"module.exports = app => app.jsonp();\n");
        write("lib/broken.js", b"module.exports = (;\n");
        write("lib/nul.js", b"exports.a = 1;\0\n");
        let long = format!("var a={};\n", "x".repeat(30_000));
        write("lib/vendor.js", long.as_bytes());
        write(
            "agent.js",
            b"module.exports = agent => agent.messenger.on('x', () => {});\n",
        );
        let app = crate::load(d, &Default::default()).unwrap();
        let alone = format!("{:?}", analyze(&app));
        prescan(&app.root, &in_repo_plugin_dirs(&app.root, &app.plugins));
        assert!(PRESCANNED
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|m| m.keys().any(|k| Path::new(k).starts_with(&app.root))));
        let after = format!("{:?}", analyze(&app));
        assert_eq!(alone, after);
        // taken: nothing of this app is left behind
        assert!(!PRESCANNED
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|m| m.keys().any(|k| Path::new(k).starts_with(&app.root))));
        assert!(alone.contains("broken.js"), "{alone}");
        // kept: every analysis after the scan has it, and it stays
        prescan_as(&app.root, &[], true);
        let held = || {
            PRESCANNED.lock().unwrap().as_ref().map_or(0, |m| {
                m.keys()
                    .filter(|k| Path::new(k).starts_with(&app.root))
                    .count()
            })
        };
        let before = held();
        assert!(before > 3, "{before}");
        for _ in 0..2 {
            assert_eq!(format!("{:?}", analyze(&app)), alone);
            assert_eq!(held(), before);
        }
        // once rewritten by a scan that is not kept, the next analysis takes it
        prescan_as(&app.root, &[], false);
        assert_eq!(format!("{:?}", analyze(&app)), alone);
        assert_eq!(held(), 0);
    }

    /// `eggsec audit ../apps/a`: the root keeps its `..`, the plugin's evaluated
    /// `path.join(__dirname, '../lib/plugin/x')` does not; the plugin is still in the repo,
    /// spelt below the root. A package in node_modules and a disabled plugin are not.
    #[test]
    fn in_repo_plugins_are_found_however_the_root_is_spelt() {
        let plugin = |name: &str, path: &str, enabled: bool| PluginState {
            name: name.into(),
            enabled,
            package: None,
            path: Some(PathBuf::from(path)),
            version: None,
            env: Vec::new(),
            dependencies: Vec::new(),
            optional_dependencies: Vec::new(),
            decided_by: eggsec_js::Provenance::synthetic("<test>"),
            implicit_enable: false,
            env_excluded: false,
            installed: true,
        };
        let plugins = [
            plugin("x", "/w/apps/a/lib/plugin/x", true),
            plugin("off", "/w/apps/a/lib/plugin/off", false),
            plugin("pkg", "/w/apps/a/node_modules/egg-pkg", true),
            plugin("out", "/w/apps/b/lib/plugin/y", true),
        ];
        for root in ["/w/apps/a", "/w/main/../apps/a"] {
            assert_eq!(
                in_repo_plugin_dirs(Path::new(root), &plugins),
                vec![Path::new(root).join("lib/plugin/x")],
                "{root}"
            );
        }
    }

    #[test]
    fn path_keys_order_and_equal_as_paths_do() {
        use std::os::unix::ffi::OsStrExt;
        let names: Vec<PathBuf> = [
            "/a",
            "/a/b",
            "/a-b",
            "/a/b/c",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/a/b/",
            "/ab",
            "/a/-x",
            "/a/!x",
            "/a/ x",
            "/a/..x",
            "/a/.x",
            "/a/..",
            "/a/.",
            "a",
            "./a",
            "../a",
            "a/b",
            ".",
            "..",
            "/",
            "/a/b.js",
            "/a/b/index.js",
            "/A",
            "/a/B",
        ]
        .iter()
        .map(PathBuf::from)
        .chain([PathBuf::from(std::ffi::OsStr::from_bytes(b"/a/\xff\xfe"))])
        .collect();
        for x in &names {
            for y in &names {
                assert_eq!(
                    path_key(x).cmp(&path_key(y)),
                    x.as_path().cmp(y.as_path()),
                    "{x:?} {y:?}"
                );
                assert_eq!(path_key(x) == path_key(y), x == y, "{x:?} {y:?}");
            }
        }
    }

    #[test]
    fn vendored_dirs_are_found_by_name_and_under_app() {
        for (rel, vendored) in [
            ("app/public", true),
            ("app/public/js", true),
            ("lib/app/public", true),
            ("public", false),
            ("lib/node_modules/x", true),
            ("lib/vendor", true),
            ("app", false),
            ("app/controller", false),
            ("application/public", false),
            ("x/app/view", true),
        ] {
            assert_eq!(is_vendored_dir(Path::new(rel)), vendored, "{rel}");
        }
    }
}
