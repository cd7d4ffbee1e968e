//! The inventory: every package an app installs, from one lockfile (or, without one, a walk
//! of `node_modules`), with its lockfile line, prod/dev, its Egg.js role and its resolved
//! dependency edges. One extractor a file format, each with a cheap `applies` check apart from
//! the extraction (osv-scalibr's shape):
//!
//! | file | module |
//! |---|---|
//! | `package-lock.json` / `npm-shrinkwrap.json` v1, v2, v3 | [`package_lock`] |
//! | `yarn.lock` v1 and berry (v2+) | [`yarn`] |
//! | `pnpm-lock.yaml` 5.x, 6.0, 9.0 | [`pnpm`] |
//! | `node_modules/**/package.json` | [`node_modules`] |

pub mod node_modules;
pub mod package_json;
pub mod package_lock;
pub mod pnpm;
pub mod yarn;

use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

pub use package_json::Manifest;

/// What an egg-family package is to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EggRole {
    /// `egg` itself and the libraries it is built from (egg-core, egg-cluster, ...).
    Core,
    /// A framework built on egg (the app's `egg.framework`, or `egg.framework: true`).
    Framework,
    /// A plugin (`eggPlugin` in its package.json, or named `egg-*` / `@eggjs/*`).
    Plugin,
    /// tegg (`@eggjs/tegg*`, decorators).
    Tegg,
    /// Development and process tooling (egg-bin, egg-scripts, egg-mock).
    Tool,
}

impl EggRole {
    pub fn as_str(self) -> &'static str {
        match self {
            EggRole::Core => "core",
            EggRole::Framework => "framework",
            EggRole::Plugin => "plugin",
            EggRole::Tegg => "tegg",
            EggRole::Tool => "tool",
        }
    }
}

const CORE: &[&str] = &[
    "egg",
    "egg-core",
    "egg-cluster",
    "egg-logger",
    "egg-cookies",
    "egg-path-matching",
    "egg-errors",
    "egg-utils",
    "egg-router",
    "@eggjs/core",
    "@eggjs/koa",
    "@eggjs/cluster",
    "@eggjs/logger",
    "@eggjs/cookies",
    "@eggjs/path-matching",
    "@eggjs/errors",
    "@eggjs/utils",
    "@eggjs/router",
];

const TOOLS: &[&str] = &[
    "egg-bin",
    "egg-scripts",
    "egg-mock",
    "egg-ts-helper",
    "@eggjs/bin",
    "@eggjs/scripts",
    "@eggjs/mock",
    "@eggjs/tsconfig",
];

/// The role of `name`, from its package.json when installed (`eggPlugin`, `egg.framework`),
/// the app's `egg.framework`, else its name.
pub fn egg_role(
    name: &str,
    manifest: Option<&serde_json::Value>,
    frameworks: &[String],
) -> Option<EggRole> {
    if frameworks.iter().any(|f| f == name)
        || manifest.is_some_and(|m| m["egg"]["framework"].as_bool() == Some(true))
    {
        return Some(EggRole::Framework);
    }
    if CORE.contains(&name) {
        return Some(EggRole::Core);
    }
    if TOOLS.contains(&name) {
        return Some(EggRole::Tool);
    }
    if name.starts_with("@eggjs/tegg")
        || (name.starts_with("@eggjs/") && name.ends_with("-decorator"))
    {
        return Some(EggRole::Tegg);
    }
    if manifest.is_some_and(|m| m.get("eggPlugin").is_some()) {
        return Some(EggRole::Plugin);
    }
    if name.starts_with("egg-") || name.starts_with("@eggjs/") {
        return Some(EggRole::Plugin);
    }
    None
}

/// The file format an inventory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "package-lock-v1")]
    PackageLockV1,
    #[serde(rename = "package-lock-v2")]
    PackageLockV2,
    #[serde(rename = "package-lock-v3")]
    PackageLockV3,
    #[serde(rename = "yarn-v1")]
    YarnV1,
    #[serde(rename = "yarn-berry")]
    YarnBerry,
    #[serde(rename = "pnpm-v5")]
    PnpmV5,
    #[serde(rename = "pnpm-v6")]
    PnpmV6,
    #[serde(rename = "pnpm-v9")]
    PnpmV9,
    #[serde(rename = "node-modules")]
    NodeModules,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::PackageLockV1 => "package-lock v1",
            Format::PackageLockV2 => "package-lock v2",
            Format::PackageLockV3 => "package-lock v3",
            Format::YarnV1 => "yarn.lock v1",
            Format::YarnBerry => "yarn.lock berry",
            Format::PnpmV5 => "pnpm-lock v5",
            Format::PnpmV6 => "pnpm-lock v6",
            Format::PnpmV9 => "pnpm-lock v9",
            Format::NodeModules => "node_modules",
        }
    }
}

/// One installed package (one instance: the same name@version can be installed twice).
#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// Only reachable from devDependencies.
    pub dev: bool,
    pub optional: bool,
    /// Declared in the app's package.json.
    pub direct: bool,
    pub egg_role: Option<EggRole>,
    /// The file it was read from, relative to the app root.
    pub lockfile: String,
    /// 1-based line of its entry in that file (0: unknown).
    pub line: u32,
    /// Indices of the packages its dependencies resolved to.
    #[serde(skip)]
    pub deps: Vec<usize>,
}

/// A dependency the app's package.json declares.
#[derive(Debug, Clone, Serialize)]
pub struct DirectDep {
    pub name: String,
    /// The declared range (`^3.0.0`).
    pub range: String,
    pub dev: bool,
    /// The package it resolved to in the inventory.
    #[serde(skip)]
    pub resolved: Option<usize>,
}

/// The packages of one app.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Where it came from (`None`: nothing found).
    pub format: Option<Format>,
    /// The lockfile (or node_modules directory) path, relative to the app root.
    pub file: String,
    pub packages: Vec<Package>,
    pub direct: Vec<DirectDep>,
    /// Problems met (file named in each): a corrupt lockfile, disagreement with package.json.
    pub problems: Vec<String>,
}

/// A raw package node as an extractor produces it; `deps` are node indices.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub name: String,
    pub version: String,
    /// From the file (`None`: the format does not say; computed from the graph).
    pub dev: Option<bool>,
    pub optional: bool,
    pub line: u32,
    pub deps: Vec<usize>,
    /// The installed package.json, when the extractor read one.
    pub manifest: Option<serde_json::Value>,
}

/// What an extractor returns: nodes and the root's own dependency edges by name.
#[derive(Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    /// Root dependency name → node index.
    pub root: HashMap<String, usize>,
    /// Entries skipped, each naming its file.
    pub problems: Vec<String>,
}

/// Why a file could not be read as its format.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ExtractError {
    pub file: String,
    pub message: String,
}

impl ExtractError {
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        ExtractError {
            file: file.to_string(),
            message: message.into(),
        }
    }
}

/// A dependency spec or installed version with its credentials masked (`https://user:PW@…`,
/// `git+https://TOKEN@…`, `?token=…`), by eggsec's one masking function. Applied where specs
/// enter the model (package.json, every lockfile's versions), so no output, ledger file or
/// message can show them.
pub fn without_credentials(spec: &str) -> String {
    if spec.contains('@') || spec.contains('?') || spec.contains('#') {
        eggsec_report::mask::mask_text(spec)
    } else {
        spec.to_string()
    }
}

/// Largest lockfile read (a huge monorepo lockfile is ~50 MB).
pub const MAX_LOCKFILE_BYTES: u64 = 256 * 1024 * 1024;

/// Lockfiles in the order they are preferred.
pub const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "yarn.lock",
];

/// 1-based line numbers of byte offsets: `line_of(offset)`.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }
    pub fn line_of(&self, offset: usize) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }
}

/// `text.split_inclusive('\n')`, by `memchr`: each line with its line break.
pub(crate) fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> + '_ {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', text.as_bytes());
    std::iter::from_fn(move || {
        let end = match ends.next() {
            Some(i) => i + 1,
            None if start < text.len() => text.len(),
            None => return None,
        };
        let line = &text[start..end];
        start = end;
        Some(line)
    })
}

/// Reads a lockfile with a size cap, as text.
pub fn read_text(path: &Path, shown: &str) -> Result<String, ExtractError> {
    // regular files only (a FIFO or /dev/zero named package-lock.json never blocks), the
    // size checked on the open handle before anything is read
    let bytes =
        eggsec_report::input::read_limited(path, MAX_LOCKFILE_BYTES).map_err(|e| match e {
            eggsec_report::input::InputError::TooLarge { size, .. } => ExtractError::new(
                shown,
                format!("{size} bytes, more than the {MAX_LOCKFILE_BYTES} read"),
            ),
            eggsec_report::input::InputError::NotFound => {
                ExtractError::new(shown, "No such file or directory")
            }
            e => ExtractError::new(shown, e.to_string()),
        })?;
    // npm, yarn and pnpm read a file saved with a UTF-8 byte order mark (a Windows editor's)
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        ExtractError::new(
            shown,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Extracts a lockfile's text by its file name and contents; the root edges are those of
/// `importer`, the app's directory relative to the lockfile's with `/` separators (`""`: the
/// lockfile's own directory; `packages/api` for an app in a workspace whose lockfile is at the
/// workspace's root).
pub fn extract_text(
    file_name: &str,
    text: &str,
    shown: &str,
    importer: &str,
) -> Result<(Format, Graph), ExtractError> {
    if file_name.ends_with(".json") {
        package_lock::extract(text, shown, importer)
    } else if file_name.ends_with(".yaml") || file_name.ends_with(".yml") {
        pnpm::extract(text, shown, importer)
    } else {
        yarn::extract(text, shown)
    }
}

/// The inventory of the app at `root`: its lockfile (in the root, else the nearest ancestor
/// holding one, for workspaces), else its `node_modules`. Never fails: problems are recorded.
pub fn inventory(root: &Path) -> Inventory {
    let mut problems = Vec::new();
    let manifest = match Manifest::read(root) {
        Ok(m) => m,
        Err(e) => {
            problems.push(e.to_string());
            Manifest::default()
        }
    };
    let mut inv = Inventory::default();
    let mut graph = None;
    if let Some((path, shown)) = find_lockfile(root) {
        inv.file = shown.clone();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        // the app's place in a workspace whose lockfile is at the workspace's root
        let importer = path
            .parent()
            .and_then(|dir| root.strip_prefix(dir).ok())
            .map(|rel| {
                rel.components()
                    .map(|c| eggsec_fs::lossy(c.as_os_str()).into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        match read_text(&path, &shown).and_then(|t| extract_text(&name, &t, &shown, &importer)) {
            Ok((format, mut g)) => {
                if matches!(format, Format::YarnV1 | Format::YarnBerry) {
                    yarn::resolve_root(&mut g, &manifest.declared());
                }
                inv.format = Some(format);
                graph = Some(g);
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    if graph.is_none() && eggsec_fs::is_dir(&root.join("node_modules")) {
        match node_modules::extract(root) {
            Ok(g) => {
                if inv.file.is_empty() {
                    inv.file = "node_modules".into();
                } else {
                    problems.push(format!(
                        "{}: read node_modules instead of the unreadable lockfile",
                        inv.file
                    ));
                }
                inv.format = Some(Format::NodeModules);
                graph = Some(g);
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    if graph.is_none() && problems.is_empty() {
        problems.push(
            "no lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock) and no \
node_modules: the installed versions are unknown; run the package manager's install and commit \
the lockfile"
                .into(),
        );
    }
    let mut graph = graph.unwrap_or_default();
    problems.append(&mut graph.problems);
    build(&mut inv, graph, &manifest);
    inv.problems.splice(0..0, problems);
    inv
}

/// [`inventory`] once per app per process: the app model (plugin version skew) and the
/// `updates` rules of one `eggsec audit` read the same lockfile (a large `pnpm-lock.yaml` is
/// most of an audit's time when parsed twice). Keyed by the root and the size and mtime of
/// its package.json and lockfile, so a file changed during the process is read again. A
/// caller that comes while another thread reads the same key waits for that reading (the app
/// model starts one ahead, beside the config, see `eggsec_app::loader`) instead of reading
/// it again.
pub fn inventory_shared(root: &Path) -> std::sync::Arc<Inventory> {
    use std::sync::{Arc, Mutex, OnceLock};
    type Stamp = Option<(u64, Option<std::time::SystemTime>)>;
    type Key = (PathBuf, Option<PathBuf>, Stamp, Stamp);
    /// The reading, and whether a thread has started it.
    type Cell = Arc<(OnceLock<Arc<Inventory>>, std::sync::atomic::AtomicBool)>;
    static CACHE: OnceLock<Mutex<HashMap<Key, Cell>>> = OnceLock::new();
    let stamp = |p: &Path| -> Stamp {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    let lock = find_lockfile(root).map(|(p, _)| p);
    let key = (
        root.to_path_buf(),
        lock.clone(),
        lock.as_deref().and_then(stamp),
        stamp(&root.join("package.json")),
    );
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let cell: Cell = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_default()
        .clone();
    // read outside the map's lock: readings of other apps never wait for this one
    read_once(&cell, || Arc::new(inventory(root))).clone()
}

/// The value of `cell`, made by `make` unless a thread has made or is making it. A thread
/// that comes while another makes it runs the pool's pending work meanwhile (as rayon's own
/// `join` does while it waits), so no core idles, and otherwise sleeps a little at a time. A
/// maker that panics gives its turn back: the next caller makes it (and panics as it would
/// have alone); none waits forever.
fn read_once<T>(
    cell: &(std::sync::OnceLock<T>, std::sync::atomic::AtomicBool),
    make: impl FnOnce() -> T,
) -> &T {
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Gives the turn back when the maker unwinds.
    struct GiveBack<'a>(&'a AtomicBool);
    impl Drop for GiveBack<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.store(false, Ordering::Release);
            }
        }
    }
    let (value, started) = cell;
    let mut make = Some(make);
    loop {
        if let Some(v) = value.get() {
            return v;
        }
        if !started.swap(true, Ordering::AcqRel) {
            let _turn = GiveBack(started);
            if let Some(make) = make.take() {
                return value.get_or_init(make);
            }
        }
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => {}
            _ => std::thread::sleep(std::time::Duration::from_micros(100)),
        }
    }
}

/// The lockfile for `root`: in it, else in the nearest ancestor (up to 4 levels, a workspace).
pub fn find_lockfile(root: &Path) -> Option<(PathBuf, String)> {
    let mut dir = Some(root);
    for depth in 0..5 {
        let d = dir?;
        for name in LOCKFILES {
            let p = d.join(name);
            if eggsec_fs::is_file(&p) {
                let shown = if depth == 0 {
                    name.to_string()
                } else {
                    format!("{}{name}", "../".repeat(depth))
                };
                return Some((p, shown));
            }
        }
        dir = d.parent();
    }
    None
}

/// Turns an extractor graph into the inventory: roles, direct deps, prod/dev, checks against
/// package.json.
pub fn build(inv: &mut Inventory, graph: Graph, manifest: &Manifest) {
    let Graph { nodes, root, .. } = graph;
    let mut direct = Vec::new();
    for (name, range, dev) in manifest.declared() {
        let resolved = root.get(&name).copied();
        direct.push(DirectDep {
            name,
            range,
            dev,
            resolved,
        });
    }
    // prod/dev from the graph: reachable from a prod root → prod.
    let mut prod = vec![false; nodes.len()];
    let mut queue: VecDeque<usize> = direct
        .iter()
        .filter(|d| !d.dev)
        .filter_map(|d| d.resolved)
        .collect();
    if direct.is_empty() {
        // No package.json (or none that parses): every root edge counts as prod, and so does
        // every package the roots are not known for (yarn.lock does not record them): a
        // package is dev only when the app says so, as calling it dev lowers its findings.
        queue.extend(root.values().copied());
        if root.is_empty() {
            prod.fill(true);
        }
    }
    while let Some(i) = queue.pop_front() {
        if i >= nodes.len() || prod[i] {
            continue;
        }
        prod[i] = true;
        queue.extend(nodes[i].deps.iter().copied());
    }
    let direct_set: std::collections::HashSet<usize> =
        direct.iter().filter_map(|d| d.resolved).collect();
    inv.packages = nodes
        .into_iter()
        .enumerate()
        .map(|(i, n)| Package {
            egg_role: egg_role(&n.name, n.manifest.as_ref(), &manifest.frameworks),
            dev: n.dev.unwrap_or(!prod[i]),
            optional: n.optional,
            direct: direct_set.contains(&i),
            lockfile: inv.file.clone(),
            line: n.line,
            deps: n.deps,
            name: n.name,
            version: without_credentials(&n.version),
        })
        .collect();
    if inv.format.is_some() {
        for d in &direct {
            match d.resolved {
                None => inv.problems.push(format!(
                    "{}: package.json declares {} {:?} but the {} has no entry for it (out of date? run the package manager's install)",
                    inv.file,
                    d.name,
                    d.range,
                    if inv.format == Some(Format::NodeModules) { "node_modules tree" } else { "lockfile" }
                )),
                Some(i) => {
                    let p = &inv.packages[i];
                    if !package_json::range_allows(&d.range, &p.version) {
                        inv.problems.push(format!(
                            "{}:{}: {}@{} does not satisfy {:?} declared in package.json (lockfile out of date)",
                            inv.file, p.line, p.name, p.version, d.range
                        ));
                    }
                }
            }
        }
    }
    inv.direct = direct;
}

/// node's resolution over path keys (`node_modules/a/node_modules/b`): the package `name`
/// seen from the package at `from` (`""`: the root).
pub fn resolve_path(keys: &HashMap<String, usize>, from: &str, name: &str) -> Option<usize> {
    let mut base = from;
    // one buffer for every candidate key
    let mut candidate = String::with_capacity(from.len() + name.len() + 14);
    loop {
        candidate.clear();
        if !base.is_empty() {
            candidate.push_str(base);
            candidate.push('/');
        }
        candidate.push_str("node_modules/");
        candidate.push_str(name);
        if let Some(&i) = keys.get(candidate.as_str()) {
            return Some(i);
        }
        if base.is_empty() {
            return None;
        }
        base = match base.rfind("node_modules/") {
            Some(0) | None => "",
            Some(i) => base[..i].trim_end_matches('/'),
        };
    }
}

/// The package name at the end of a path key (`node_modules/@a/b` → `@a/b`).
pub fn name_from_path(key: &str) -> &str {
    match key.rfind("node_modules/") {
        Some(i) => &key[i + "node_modules/".len()..],
        None => key,
    }
}

#[cfg(test)]
mod line_tests {
    #[test]
    fn lines_inclusive_is_split_inclusive() {
        for text in [
            "",
            "a",
            "\n",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "\n\n",
            "é\nü",
            "a\n\nb\n",
        ] {
            let ours: Vec<&str> = super::lines_inclusive(text).collect();
            let std: Vec<&str> = text.split_inclusive('\n').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }
}

#[cfg(test)]
mod resolve_tests {
    use super::*;

    /// The allocating reading `resolve_path` replaced: the oracle.
    fn resolve_path_by_strings(
        keys: &HashMap<String, usize>,
        from: &str,
        name: &str,
    ) -> Option<usize> {
        let mut base = from.to_string();
        loop {
            let candidate = if base.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{base}/node_modules/{name}")
            };
            if let Some(&i) = keys.get(&candidate) {
                return Some(i);
            }
            if base.is_empty() {
                return None;
            }
            base = match base.rfind("node_modules/") {
                Some(0) => String::new(),
                Some(i) => base[..i].trim_end_matches('/').to_string(),
                None => String::new(),
            };
        }
    }

    #[test]
    fn resolve_path_walks_up_as_node_does() {
        let paths = [
            "node_modules/a",
            "node_modules/b",
            "node_modules/a/node_modules/b",
            "node_modules/a/node_modules/@s/c",
            "node_modules/@s/c",
            "packages/x/node_modules/b",
            "node_modules/a/node_modules/b/node_modules/a",
        ];
        let keys: HashMap<String, usize> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_string(), i))
            .collect();
        let froms = [
            "",
            "node_modules/a",
            "node_modules/a/node_modules/b",
            "node_modules/a/node_modules/b/node_modules/a",
            "packages/x",
            "packages/x/node_modules/b",
            "node_modules/@s/c",
            "weird",
            "node_modules/",
        ];
        for from in froms {
            for name in ["a", "b", "@s/c", "d"] {
                assert_eq!(
                    resolve_path(&keys, from, name),
                    resolve_path_by_strings(&keys, from, name),
                    "{from} {name}"
                );
            }
        }
        // the nearest copy first, then up
        assert_eq!(
            resolve_path(&keys, "node_modules/a/node_modules/b", "a"),
            Some(6)
        );
        assert_eq!(resolve_path(&keys, "node_modules/a", "b"), Some(2));
        assert_eq!(resolve_path(&keys, "packages/x", "a"), Some(0));
    }
}

#[cfg(test)]
mod read_once_tests {
    use super::read_once;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::OnceLock;

    #[test]
    fn one_maker_for_all_and_a_panicking_maker_gives_its_turn_back() {
        let cell = (OnceLock::new(), AtomicBool::new(false));
        let made = AtomicUsize::new(0);
        // the first maker panics while others wait; one of them makes it, once
        let got: Vec<usize> = std::thread::scope(|s| {
            let first = s.spawn(|| {
                read_once(&cell, || {
                    std::thread::sleep(std::time::Duration::from_millis(30));
                    panic!("the first reading fails")
                })
            });
            std::thread::sleep(std::time::Duration::from_millis(5));
            let others: Vec<_> = (0..3)
                .map(|_| {
                    s.spawn(|| {
                        *read_once(&cell, || {
                            made.fetch_add(1, Ordering::SeqCst);
                            7usize
                        })
                    })
                })
                .collect();
            assert!(first.join().is_err());
            others.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(got, [7, 7, 7]);
        assert_eq!(made.load(Ordering::SeqCst), 1);
        // in the pool too
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let cell = (OnceLock::new(), AtomicBool::new(false));
        let (a, b) = pool
            .install(|| rayon::join(|| *read_once(&cell, || 1u8), || *read_once(&cell, || 2u8)));
        assert_eq!(a, b);
    }
}

#[cfg(test)]
mod windows_tests {
    use super::*;

    /// The yarn v1 fixture's lockfile and package.json.
    fn yarn_fixture() -> (String, String) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/deps-yarn-v1");
        let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
        (read("package.json"), read("yarn.lock"))
    }

    fn app(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    /// An app in a workspace (`tests/fixtures/deps-workspaces`, lockfiles written by pnpm 9,
    /// npm 10 and yarn 1 at the workspace's root): its direct dependencies are its own
    /// importer's, at the versions installed for it, prod or dev as it declares them; the
    /// workspace's root keeps its own.
    #[test]
    fn an_app_in_a_workspace_has_its_importers_dependencies() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/deps-workspaces");
        for pm in ["pnpm", "npm", "yarn"] {
            let inv = inventory(&dir.join(pm).join("packages/api"));
            assert!(inv.problems.is_empty(), "{pm}: {:?}", inv.problems);
            let direct: Vec<(String, Option<String>, bool)> = inv
                .direct
                .iter()
                .map(|d| {
                    let p = d.resolved.map(|i| &inv.packages[i]);
                    (
                        d.name.clone(),
                        p.map(|p| p.version.clone()),
                        p.is_some_and(|p| p.dev),
                    )
                })
                .collect();
            let mut direct = direct;
            direct.sort();
            assert_eq!(
                direct,
                [
                    ("lodash".to_string(), Some("4.17.15".to_string()), false),
                    ("minimist".into(), Some("1.2.5".into()), false),
                    ("qs".into(), Some("6.5.2".into()), true),
                ],
                "{pm}"
            );
            let root = inventory(&dir.join(pm));
            assert!(
                root.direct
                    .iter()
                    .any(|d| d.name == "ms" && d.dev && d.resolved.is_some()),
                "{pm}: {:?}",
                root.direct
            );
        }
    }

    /// npm, yarn and pnpm read a package.json and a lockfile saved with a UTF-8 byte order
    /// mark, CRLF line ends too: the same inventory at the same lines.
    #[test]
    fn files_saved_with_a_byte_order_mark_are_read_as_npm_reads_them() {
        let (pkg, yarn) = yarn_fixture();
        let plain = inventory(app(&[("package.json", &pkg), ("yarn.lock", &yarn)]).path());
        let crlf = yarn.replace('\n', "\r\n");
        let windows = inventory(
            app(&[
                (
                    "package.json",
                    &format!("\u{feff}{}", pkg.replace('\n', "\r\n")),
                ),
                ("yarn.lock", &format!("\u{feff}{crlf}")),
            ])
            .path(),
        );
        assert!(windows.problems.is_empty(), "{:?}", windows.problems);
        let view = |inv: &Inventory| -> Vec<(String, String, u32, bool, bool)> {
            inv.packages
                .iter()
                .map(|p| (p.name.clone(), p.version.clone(), p.line, p.dev, p.direct))
                .collect()
        };
        assert_eq!(view(&plain), view(&windows));
        assert!(view(&windows).len() > 5);
        assert!(windows.packages.iter().any(|p| !p.dev));

        let lock = r#"{"name":"a","lockfileVersion":3,"packages":{"":{"dependencies":{"egg":"^3.0.0"}},"node_modules/egg":{"version":"3.17.5"}}}"#;
        let windows = inventory(
            app(&[
                (
                    "package.json",
                    "\u{feff}{\"name\":\"a\",\"dependencies\":{\"egg\":\"^3.0.0\"}}",
                ),
                ("package-lock.json", &format!("\u{feff}{lock}")),
            ])
            .path(),
        );
        assert!(windows.problems.is_empty(), "{:?}", windows.problems);
        assert_eq!(windows.packages.len(), 1);
    }

    /// A package.json that cannot be read says so, and does not make every package of a
    /// yarn.lock "dev" (which would lower every advisory finding to low).
    #[test]
    fn an_unreadable_package_json_makes_no_package_dev() {
        let (_, yarn) = yarn_fixture();
        let inv = inventory(app(&[("package.json", "{oops"), ("yarn.lock", &yarn)]).path());
        assert!(
            inv.problems.iter().any(|p| p.contains("package.json")),
            "{:?}",
            inv.problems
        );
        assert!(inv.packages.len() > 5);
        assert!(inv.packages.iter().all(|p| !p.dev), "{:?}", inv.packages);
    }
}
