//! One run's view of the file system.
//!
//! An audit asks the same questions of the file system many times: the code model, the plugin
//! usage scan, the contribution model and several rules each list `app/`, probe the same
//! `package.json` and `config/config.*` candidates, and read the same files. Each question is a
//! system call or several (a file read is `stat`, `open`, `fstat`, two `read`s and `close`),
//! and on a real app they were a third of the run's CPU time.
//!
//! When the run turns the cache on ([`enable`], done by the read-only commands of the binary,
//! each a single pass over a tree that does not change while it runs), the first answer to
//! each question is kept and every later caller gets it without asking the kernel again:
//!
//! - [`read_dir`]: a directory's entries (path, name and the entry's own type, symlinks not
//!   followed), in the order the file system listed them;
//! - [`is_file`], [`is_dir`], [`exists`]: what `Path::is_file` and friends answer (symlinks
//!   followed), from a listing of the parent already made when there is one;
//! - [`cached_bytes`] / [`remember_bytes`]: the bytes of a regular file its readers already
//!   checked (regular, within their size limit) and read; each reader repeats its own checks
//!   on them.
//!
//! Off (the default, and in every library test), each call asks the file system, as the code
//! did before the cache: commands that write (`fix`, `init`) and long-lived ones (`watch`)
//! never turn it on.

use std::ffi::OsString;
use std::fs::FileType;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

static ON: AtomicBool = AtomicBool::new(false);

/// Bytes of file text kept at most (a run over a huge tree stops caching, never fails).
const MAX_CACHED_BYTES: usize = 256 * 1024 * 1024;
/// Largest single file kept.
const MAX_CACHED_FILE: usize = 16 * 1024 * 1024;

/// Keyed by the path's bytes: hashing them is far cheaper than `Path`'s component-wise hash,
/// and two spellings of one path (`a//b`, `a/b`) only cost a second question.
type Map<V> = LazyLock<RwLock<foldhash::HashMap<Box<[u8]>, V>>>;

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

static DIRS: Map<Result<Arc<[Entry]>, std::io::ErrorKind>> = LazyLock::new(Default::default);
static KINDS: Map<Kind> = LazyLock::new(Default::default);
/// Paths asked about per parent directory not listed yet (a directory asked about often is
/// listed once instead: one listing answers every later question about its entries).
static ASKED: Map<u8> = LazyLock::new(Default::default);
/// Questions about one directory's entries after which it is listed.
const LIST_AFTER: u8 = 2;
static BYTES: Map<Arc<[u8]>> = LazyLock::new(Default::default);
static BYTES_KEPT: AtomicUsize = AtomicUsize::new(0);

/// One entry of a directory listing.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: PathBuf,
    pub name: OsString,
    /// The entry's own type (a symlink is a symlink), from the listing itself where the file
    /// system gives it; `None` when it could not be had.
    pub file_type: Option<FileType>,
}

/// What `std::fs::metadata` (symlinks followed) says of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A FIFO, a device or a socket.
    Other,
    /// `metadata` failed (not found, a dangling symlink, no permission): `Path::exists` is
    /// false; ask the file system for the error when it matters.
    Missing,
    /// The listing of the parent directory has no entry of that name: nothing is there.
    Absent,
}

/// The tree the run reads (as given, absolute, and resolved): file bytes are kept only below
/// it, and never those of eggsec's own state (`.eggsec/`), which a run may write.
static SCOPE: RwLock<Vec<PathBuf>> = RwLock::new(Vec::new());

/// Turns the cache on for the rest of the process, for a run over the tree at `scope` (see
/// the module docs for when).
pub fn enable(scope: &Path) {
    let mut kept = SCOPE.write().unwrap_or_else(|e| e.into_inner());
    kept.push(scope.to_path_buf());
    if let Ok(abs) = std::path::absolute(scope) {
        kept.push(abs);
    }
    // the loader reads an app named through `..` by its resolved path (`/cwd/../app` is
    // `/app`): the same tree
    if let Ok(real) = std::fs::canonicalize(scope) {
        if !kept.contains(&real) {
            kept.push(real);
        }
    }
    ON.store(true, Ordering::Relaxed);
}

/// Whether the bytes of `path` may be kept: below the run's tree, not eggsec's own state.
fn keeps_bytes_of(path: &Path) -> bool {
    let scope = SCOPE.read().unwrap_or_else(|e| e.into_inner());
    scope
        .iter()
        .any(|s| below_by_bytes(path, s) || path.starts_with(s))
        && !(has_bytes(path, b".eggsec") && path.components().any(|c| c.as_os_str() == ".eggsec"))
}

/// `path` is `dir` or below it by their bytes alone (`dir`'s bytes, then the end or a `/`):
/// then `path.starts_with(dir)` holds too, without comparing the two component by component.
/// A `false` proves nothing (`a/./b` is below `a/b`): ask `Path::starts_with`.
fn below_by_bytes(path: &Path, dir: &Path) -> bool {
    let (p, d) = (
        path.as_os_str().as_encoded_bytes(),
        dir.as_os_str().as_encoded_bytes(),
    );
    !d.is_empty()
        && p.starts_with(d)
        && (p.len() == d.len() || p[d.len()] == b'/' || d.ends_with(b"/"))
}

/// Whether `path`'s bytes hold `needle` (a path without it has no component named so).
fn has_bytes(path: &Path, needle: &[u8]) -> bool {
    path.as_os_str()
        .as_encoded_bytes()
        .windows(needle.len())
        .any(|w| w == needle)
}

/// True when the cache is on.
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

fn list(dir: &Path) -> std::io::Result<Vec<Entry>> {
    Ok(std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| Entry {
            path: e.path(),
            name: e.file_name(),
            file_type: e.file_type().ok(),
        })
        .collect())
}

/// The entries of `dir` (as `std::fs::read_dir`, entries that could not be read left out), in
/// the file system's order.
pub fn read_dir(dir: &Path) -> std::io::Result<Arc<[Entry]>> {
    if !enabled() {
        return list(dir).map(Arc::from);
    }
    if let Some(hit) = DIRS.read().unwrap_or_else(|e| e.into_inner()).get(key(dir)) {
        return hit.clone().map_err(std::io::Error::from);
    }
    let listed = list(dir).map(Arc::from).map_err(|e| e.kind());
    DIRS.write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key(dir).into())
        .or_insert(listed)
        .clone()
        .map_err(std::io::Error::from)
}

fn kind_of(path: &Path) -> Kind {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Kind::File,
        Ok(m) if m.is_dir() => Kind::Dir,
        Ok(_) => Kind::Other,
        Err(_) => Kind::Missing,
    }
}

/// The kind of `path` from a listing of its parent made already: an entry that is not a
/// symlink has its own type; a name the listing lacks does not exist.
fn kind_from_listing(path: &Path) -> Option<Kind> {
    // `a/b/..` has no file name; `a/b/.` is `a/b`, named `b` in the listing of `a`
    let name = path.file_name()?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty())?;
    let dirs = DIRS.read().unwrap_or_else(|e| e.into_inner());
    let entries = match dirs.get(key(parent))? {
        Ok(entries) => entries,
        // no directory there (or a file): nothing below it either
        Err(std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            return Some(Kind::Absent)
        }
        Err(_) => return None,
    };
    match entries.iter().find(|e| e.name == name) {
        None => Some(Kind::Absent),
        Some(e) => {
            let t = e.file_type?;
            if t.is_symlink() {
                None
            } else if t.is_file() {
                Some(Kind::File)
            } else if t.is_dir() {
                Some(Kind::Dir)
            } else {
                Some(Kind::Other)
            }
        }
    }
}

/// What this run knows of `path` without asking the file system (an earlier answer, or a
/// listing of its parent); `None` when it would have to ask.
pub fn known_kind(path: &Path) -> Option<Kind> {
    if !enabled() {
        return None;
    }
    if let Some(k) = KINDS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(key(path))
    {
        return Some(*k);
    }
    kind_from_listing(path)
}

/// What `std::fs::metadata` says of `path` (see [`Kind`]).
pub fn kind(path: &Path) -> Kind {
    if !enabled() {
        return kind_of(path);
    }
    if let Some(k) = KINDS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(key(path))
    {
        return *k;
    }
    let k = kind_from_listing(path)
        .or_else(|| {
            list_parent_if_asked_often(path);
            kind_from_listing(path)
        })
        .unwrap_or_else(|| kind_of(path));
    KINDS
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key(path).into(), k);
    k
}

fn list_parent_if_asked_often(path: &Path) {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return;
    };
    // a package store can hold thousands of entries: probed one by one
    if parent.file_name().is_some_and(|n| n == "node_modules") {
        return;
    }
    let often = {
        let mut asked = ASKED.write().unwrap_or_else(|e| e.into_inner());
        let n = asked.entry(key(parent).into()).or_insert(0);
        *n = n.saturating_add(1);
        *n == LIST_AFTER
    };
    if often {
        let _ = read_dir(parent);
    }
}

/// `Path::is_file` (symlinks followed).
pub fn is_file(path: &Path) -> bool {
    kind(path) == Kind::File
}

/// `Path::is_dir` (symlinks followed).
pub fn is_dir(path: &Path) -> bool {
    kind(path) == Kind::Dir
}

/// `Path::exists` (symlinks followed).
pub fn exists(path: &Path) -> bool {
    !matches!(kind(path), Kind::Missing | Kind::Absent)
}

/// The bytes of `path` as a reader of this run read them already (see [`remember_bytes`]).
pub fn cached_bytes(path: &Path) -> Option<Arc<[u8]>> {
    if !enabled() {
        return None;
    }
    BYTES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(key(path))
        .cloned()
}

/// Keeps the bytes of the regular file `path`, read whole by a reader that checked it.
pub fn remember_bytes(path: &Path, bytes: &[u8]) {
    if !enabled() || bytes.len() > MAX_CACHED_FILE || !keeps_bytes_of(path) {
        return;
    }
    let mut kept = BYTES.write().unwrap_or_else(|e| e.into_inner());
    if kept.contains_key(key(path))
        || BYTES_KEPT.load(Ordering::Relaxed) + bytes.len() > MAX_CACHED_BYTES
    {
        return;
    }
    BYTES_KEPT.fetch_add(bytes.len(), Ordering::Relaxed);
    kept.insert(key(path).into(), Arc::from(bytes));
}

/// Why [`open_regular`] opened nothing to read.
#[derive(Debug)]
pub enum OpenError {
    /// Looking the path up before any open failed (not found, no permission).
    Lookup(std::io::Error),
    /// The open, or asking the open handle what it is, failed.
    Open(std::io::Error),
    /// Not a regular file (a FIFO, a device, a socket, a directory): never read, as it could
    /// block or never end.
    NotRegular(std::fs::FileType),
}

/// Opens `path` for reading only if it is a regular file (symlinks followed), with the open
/// handle's metadata (its size is what the caller checks against its limit). Never blocks on
/// a FIFO. A path this run's listing already shows as a regular file is not looked up by path
/// first: the open handle is checked all the same (a file swapped for a FIFO meanwhile does
/// not block the open and is refused).
pub fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), OpenError> {
    if known_kind(path) != Some(Kind::File) {
        let meta = std::fs::metadata(path).map_err(OpenError::Lookup)?;
        if !meta.is_file() {
            return Err(OpenError::NotRegular(meta.file_type()));
        }
    }
    let file = open_for_reading(path).map_err(OpenError::Open)?;
    let meta = file.metadata().map_err(OpenError::Open)?;
    if !meta.is_file() {
        return Err(OpenError::NotRegular(meta.file_type()));
    }
    Ok((file, meta))
}

/// Opens `path` for reading, never blocking: `O_NONBLOCK` on Unix, so that a path that is (or
/// was swapped for) a FIFO does not block the open. The caller checks the handle's type
/// before it reads.
fn open_for_reading(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(O_NONBLOCK);
    }
    opts.open(path)
}

/// `O_NONBLOCK`: one value on every Linux architecture eggsec builds for, another on macOS
/// and the BSDs.
#[cfg(target_os = "linux")]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(all(unix, not(target_os = "linux")))]
const O_NONBLOCK: i32 = 4;

/// Reads the rest of `file`, whose size the file system gave as `len`, keeping at most
/// `limit + 1` bytes (a caller that gets more than `limit` refuses the file). The bytes the
/// size promised are read into one buffer of that size, most often in one read, and the read
/// stops there: no second read only to see the end. A file that grows while it is read is
/// read as it was (never past `limit + 1`); one that says it is empty (or shrank) is read to
/// its end.
pub fn read_sized(file: &mut impl std::io::Read, len: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let want = usize::try_from(len.min(limit.saturating_add(1))).unwrap_or(usize::MAX);
    let mut buf = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    if filled < want || want == 0 {
        // shorter than it said (or said nothing): to the end, as a plain read would
        file.take(limit.saturating_add(1) - filled as u64)
            .read_to_end(&mut buf)?;
    }
    Ok(buf)
}

/// Files and directories below `start` as `ignore::WalkBuilder` (no ignore files, symlinks
/// not followed) yields them: depth first, each directory's entries in the file system's
/// order, `start` itself first. `hidden` leaves out names starting with `.`; `keep` is asked
/// about every entry below `start` (a directory it refuses is not entered). Stops once `each`
/// says so (checked after each entry yielded).
pub fn walk(
    start: &Path,
    hidden: bool,
    keep: &mut dyn FnMut(&Entry) -> bool,
    each: &mut dyn FnMut(&Entry) -> bool,
) {
    walk_tree(start, hidden, None, keep, each, &mut |_, _| {});
}

/// Why [`walk_following`] did not follow a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfollowed {
    /// Its target lies outside the tree the walk follows links into (the repository).
    Outside,
    /// Its target is a directory the walk is inside already: following it would never end.
    Loop,
    /// It points at nothing (egg's loader skips such a link too).
    Dangling,
    /// The walk met more entries through links than it follows ([`MAX_LINKED_ENTRIES`]).
    TooMany,
}

/// Entries [`walk_following`] yields below followed links at most (a tree of links to links
/// that never loops can still double at every level).
pub const MAX_LINKED_ENTRIES: usize = 50_000;

/// The tree whose symbolic links an app's walks follow: the repository holding `root` (its
/// nearest ancestor with a `.git`, a directory or a worktree's file), else `root`; resolved
/// (`fs::canonicalize`), as the links' targets are compared with it.
pub fn link_scope(root: &Path) -> PathBuf {
    let real = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    real.ancestors()
        .find(|d| exists(&d.join(".git")))
        .unwrap_or(&real)
        .to_path_buf()
}

/// [`walk`], with symbolic links followed as egg's loader (globby) and Node's `require` follow
/// them, when the link's target lies inside the repository of `app` ([`link_scope`], worked
/// out at the first link met: a tree without links costs nothing more): the entry keeps the
/// link's path and name and has its target's type, and a linked directory is walked below the
/// link's path (`app/controller/shared/x.js`, the name egg gives the file). A link that is not
/// followed is given to `unfollowed` with why, never to `keep` or `each`.
pub fn walk_following(
    start: &Path,
    hidden: bool,
    app: &Path,
    keep: &mut dyn FnMut(&Entry) -> bool,
    each: &mut dyn FnMut(&Entry) -> bool,
    unfollowed: &mut dyn FnMut(&Entry, Unfollowed),
) {
    walk_tree(start, hidden, Some(app), keep, each, unfollowed);
}

/// [`walk`] (`app` none: a link is an entry of its own type, never entered) or
/// [`walk_following`].
fn walk_tree(
    start: &Path,
    hidden: bool,
    app: Option<&Path>,
    keep: &mut dyn FnMut(&Entry) -> bool,
    each: &mut dyn FnMut(&Entry) -> bool,
    unfollowed: &mut dyn FnMut(&Entry, Unfollowed),
) {
    let Ok(meta) = std::fs::metadata(start) else {
        return;
    };
    let root = Entry {
        path: start.to_path_buf(),
        name: start.file_name().map(OsString::from).unwrap_or_default(),
        file_type: Some(meta.file_type()),
    };
    if !each(&root) || !meta.is_dir() {
        return;
    }
    let mut walk = Following {
        hidden,
        app,
        within: None,
        keep,
        each,
        unfollowed,
        dirs: Vec::new(),
        linked: 0,
    };
    if app.is_some() {
        walk.dirs.push((start.to_path_buf(), None));
    }
    walk.dir(start, false);
}

struct Following<'w> {
    hidden: bool,
    /// Links are followed within this app's repository; none: never followed.
    app: Option<&'w Path>,
    /// `link_scope(app)`, once a link is met.
    within: Option<PathBuf>,
    keep: &'w mut dyn FnMut(&Entry) -> bool,
    each: &'w mut dyn FnMut(&Entry) -> bool,
    unfollowed: &'w mut dyn FnMut(&Entry, Unfollowed),
    /// The directories the walk is inside, outermost first: the walk's path and, once asked
    /// for (or known, for a followed link), the resolved one.
    dirs: Vec<(PathBuf, Option<PathBuf>)>,
    /// Entries yielded below followed links.
    linked: usize,
}

impl Following<'_> {
    /// Walks `dir` (below a followed link when `linked`); `false` once `each` said stop.
    fn dir(&mut self, dir: &Path, linked: bool) -> bool {
        let Ok(entries) = read_dir(dir) else {
            return true;
        };
        for e in entries.iter() {
            if self.hidden && e.name.as_encoded_bytes().first() == Some(&b'.') {
                continue;
            }
            let mut entry = std::borrow::Cow::Borrowed(e);
            let mut target = None;
            if self.app.is_some() && e.file_type.is_some_and(|t| t.is_symlink()) {
                match self.target_of(e) {
                    Ok((real, file_type)) => {
                        entry.to_mut().file_type = Some(file_type);
                        target = Some(real);
                    }
                    Err(why) => {
                        (self.unfollowed)(e, why);
                        continue;
                    }
                }
            }
            let below_link = linked || target.is_some();
            if below_link {
                self.linked += 1;
            }
            if !(self.keep)(&entry) {
                continue;
            }
            if !(self.each)(&entry) {
                return false;
            }
            if entry.file_type.is_some_and(|t| t.is_dir()) {
                // (the directories the walk is inside: only for a loop check of a link)
                let track = self.app.is_some();
                if track {
                    self.dirs.push((entry.path.clone(), target));
                }
                let go_on = self.dir(&entry.path, below_link);
                if track {
                    self.dirs.pop();
                }
                if !go_on {
                    return false;
                }
            }
        }
        true
    }

    /// The resolved target of the link `e` and its type, or why it is not followed.
    fn target_of(&mut self, e: &Entry) -> Result<(PathBuf, FileType), Unfollowed> {
        if self.linked >= MAX_LINKED_ENTRIES {
            return Err(Unfollowed::TooMany);
        }
        // (a chain of links that loops fails here too: the link points at nothing usable)
        let real = std::fs::canonicalize(&e.path).map_err(|_| Unfollowed::Dangling)?;
        let app = self.app.ok_or(Unfollowed::Outside)?;
        let within = self.within.get_or_insert_with(|| link_scope(app));
        if !real.starts_with(within) {
            return Err(Unfollowed::Outside);
        }
        let file_type = std::fs::metadata(&real)
            .map_err(|_| Unfollowed::Dangling)?
            .file_type();
        if file_type.is_dir() {
            for (path, resolved) in &mut self.dirs {
                let resolved = resolved.get_or_insert_with(|| {
                    std::fs::canonicalize(&*path).unwrap_or_else(|_| path.clone())
                });
                if resolved.starts_with(&real) {
                    return Err(Unfollowed::Loop);
                }
            }
        }
        Ok((real, file_type))
    }
}

/// `path` with its `.` components dropped and each `..` taking the name before it away, by
/// text alone (as Node's `path.resolve` and `path.join` do): `/w/main/../corpus/a` is
/// `/w/corpus/a`. (Symbolic links are not followed: a path and the same path spelt with `..`
/// compare equal, as they do in the code eggsec evaluates.)
pub fn lexical_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// `path` relative to `root`, as `path.strip_prefix(root)` gives it, without walking both
/// paths' components when `path` is `root`, a `/` and a relative rest that neither starts with
/// `.`-or-`/` separators nor ends with them (every path a walk of `root` makes): the bytes of
/// the rest are then the answer, at a fraction of the cost. Anything else is left to
/// `strip_prefix`.
pub fn strip_root<'p>(path: &'p Path, root: &Path) -> Option<&'p Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (p, r) = (path.as_os_str().as_bytes(), root.as_os_str().as_bytes());
        if !r.is_empty() && p.len() > r.len() + 1 && p.starts_with(r) && p[r.len()] == b'/' {
            let rest = &p[r.len() + 1..];
            let clean = rest[0] != b'/'
                && rest != b"."
                && !rest.starts_with(b"./")
                && !rest.ends_with(b"/")
                && !rest.ends_with(b"/.");
            if clean {
                return Some(Path::new(std::ffi::OsStr::from_bytes(rest)));
            }
        }
        // Two plain paths (no `.` component, no doubled or trailing `/`) compare by their
        // components as by their bytes: not a prefix as bytes, not one at all.
        let plain = |b: &[u8]| {
            !b.is_empty()
                && b != b"."
                && !b.starts_with(b"./")
                && !b.ends_with(b"/")
                // no `//`, `/./` or `/.` at the end
                && memchr::memchr_iter(b'/', b).all(|i| match b.get(i + 1) {
                    Some(b'/') => false,
                    Some(b'.') => !matches!(b.get(i + 2), None | Some(b'/')),
                    _ => true,
                })
        };
        if !(p.starts_with(r) && (p.len() == r.len() || p[r.len()] == b'/')) && plain(p) && plain(r)
        {
            return None;
        }
    }
    path.strip_prefix(root).ok()
}

/// `path` relative to `root` (or whole when outside it) with `/` separators: how files are
/// named in findings and evidence.
pub fn rel_string(root: &Path, path: &Path) -> String {
    let text = lossy(strip_root(path, root).unwrap_or(path).as_os_str());
    if text.contains('\\') {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// `OsStr::to_string_lossy`, the same text: a name that is UTF-8 (nearly all) is borrowed
/// after std's word-at-a-time UTF-8 check, where `to_string_lossy` walks it chunk by chunk.
pub fn lossy(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    match s.to_str() {
        Some(text) => std::borrow::Cow::Borrowed(text),
        None => s.to_string_lossy(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lexical_normal_resolves_dots_by_text() {
        for (given, want) in [
            ("/w/main/../corpus/a", "/w/corpus/a"),
            ("/w/./a/b/..", "/w/a"),
            ("/..", "/"),
            ("a/../../b", "../b"),
            ("/w/a", "/w/a"),
        ] {
            assert_eq!(
                super::lexical_normal(Path::new(given)),
                Path::new(want),
                "{given}"
            );
        }
    }

    use super::*;

    #[test]
    fn below_by_bytes_only_where_path_starts_with_says_so() {
        let parts = [
            "", "/", "a", "b", "ab", ".", "..", "a/", "/a", "a/b", "a//b", "./a", "a/.",
        ];
        let mut checked = 0;
        for d1 in parts {
            for d2 in parts {
                let dir = format!("{d1}{d2}");
                for p1 in parts {
                    for p2 in parts {
                        let path = format!("{dir}{p1}{p2}");
                        let (path, dir) = (Path::new(&path), Path::new(&dir));
                        if below_by_bytes(path, dir) {
                            checked += 1;
                            assert!(path.starts_with(dir), "{path:?} below {dir:?}");
                        }
                    }
                }
            }
        }
        assert!(checked > 1_000, "{checked}");
        // the common case, and what it leaves to `Path::starts_with`
        assert!(below_by_bytes(
            Path::new("/w/app/x.js"),
            Path::new("/w/app")
        ));
        assert!(below_by_bytes(Path::new("/w/app"), Path::new("/w/app")));
        assert!(!below_by_bytes(
            Path::new("/w/apps/x.js"),
            Path::new("/w/app")
        ));
        assert!(!below_by_bytes(
            Path::new("/w/./app/x.js"),
            Path::new("/w/app")
        ));
        assert!(has_bytes(Path::new("/w/.eggsec/h.json"), b".eggsec"));
        assert!(!has_bytes(Path::new("/w/eggsec/h.json"), b".eggsec"));
    }

    #[cfg(unix)]
    #[test]
    fn lossy_is_to_string_lossy() {
        use std::os::unix::ffi::OsStrExt;
        for bytes in [
            &b""[..],
            b"index.js",
            b"caf\xc3\xa9.min.js",
            b"bad\xff.min.js",
            b"\xc3",
            b"\xe2\x82",
            b"a\x80b",
        ] {
            let s = std::ffi::OsStr::from_bytes(bytes);
            assert_eq!(lossy(s), s.to_string_lossy(), "{bytes:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn opening_a_fifo_for_reading_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.js");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            return;
        }
        // without O_NONBLOCK this open would wait for a writer forever
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let file = open_for_reading(&path);
            let _ = tx.send(file.map(|f| f.metadata().map(|m| m.is_file())));
        });
        let opened = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("open_for_reading blocked on a FIFO");
        assert!(!opened.unwrap().unwrap(), "a FIFO is not a regular file");
        // and open_regular refuses it, by the lookup or by the handle
        for listed in [false, true] {
            if listed {
                let _ = read_dir(dir.path());
            }
            assert!(matches!(open_regular(&fifo), Err(OpenError::NotRegular(_))));
        }
        assert!(matches!(
            open_regular(&dir.path().join("missing.js")),
            Err(OpenError::Lookup(e)) if e.kind() == std::io::ErrorKind::NotFound
        ));
        // a regular file opens and reads as usual
        let file = dir.path().join("y.js");
        std::fs::write(&file, "ok").unwrap();
        let (mut f, meta) = open_regular(&file).unwrap();
        assert!(meta.is_file() && meta.len() == 2);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut f, &mut text).unwrap();
        assert_eq!(text, "ok");
    }

    #[test]
    fn strip_root_is_strip_prefix() {
        let names = [
            "", "a", "b", "ab", ".", "..", "/", "//", "a/", "/a", "a/b", "a//b", "a/./b", "./a",
            "a/.", "a/..", "../a", "a/b/", "é", "a b", ".a", "a.",
        ];
        let mut n = 0;
        for root in names
            .iter()
            .chain(["/r", "/r/", "/r/s", "r/./s", "/"].iter())
        {
            for rest in names {
                for sep in ["", "/", "//"] {
                    let path = format!("{root}{sep}{rest}");
                    let (path, root) = (Path::new(&path), Path::new(root));
                    // (as bytes: `Path`'s own equality ignores a trailing slash)
                    assert_eq!(
                        strip_root(path, root).map(Path::as_os_str),
                        path.strip_prefix(root).ok().map(Path::as_os_str),
                        "{path:?} from {root:?}"
                    );
                    n += 1;
                }
            }
        }
        assert!(n > 1000);
        // and paths that are not below the root, nor built from it
        let many: Vec<String> = names
            .iter()
            .flat_map(|a| names.iter().map(move |b| format!("{a}/{b}")))
            .chain(names.iter().map(|a| a.to_string()))
            .chain(names.iter().map(|a| format!("/{a}")))
            .collect();
        for path in &many {
            for root in &many {
                let (path, root) = (Path::new(path), Path::new(root));
                assert_eq!(
                    strip_root(path, root).map(Path::as_os_str),
                    path.strip_prefix(root).ok().map(Path::as_os_str),
                    "{path:?} from {root:?}"
                );
            }
        }
        assert_eq!(
            rel_string(Path::new("/r"), Path::new("/r/app/a.js")),
            "app/a.js"
        );
        assert_eq!(rel_string(Path::new("/r"), Path::new("/s/a.js")), "/s/a.js");
        assert_eq!(rel_string(Path::new("/r"), Path::new("/r/a\\b")), "a/b");
    }

    #[test]
    fn read_sized_reads_what_the_size_promised_and_never_past_the_limit() {
        let ten = b"0123456789";
        let read = |len: u64, limit: u64| {
            // a reader that hands out 3 bytes at a time: short reads are not the end
            struct Slow<'a>(&'a [u8]);
            impl std::io::Read for Slow<'_> {
                fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                    let n = buf.len().min(3).min(self.0.len());
                    buf[..n].copy_from_slice(&self.0[..n]);
                    self.0 = &self.0[n..];
                    Ok(n)
                }
            }
            read_sized(&mut Slow(ten), len, limit).unwrap()
        };
        assert_eq!(read(10, 100), ten);
        // grew after its size was taken: read as it was
        assert_eq!(read(4, 100), b"0123");
        // said empty (a pseudo-file), or shrank: to the end
        assert_eq!(read(0, 100), ten);
        assert_eq!(read(20, 100), ten);
        // never more than limit + 1 bytes, whatever the size said
        assert_eq!(read(10, 5), b"012345");
        assert_eq!(read(0, 5), b"012345");
        assert_eq!(read(20, 5), b"012345");
    }

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in [
            "a/b/c.js",
            "a/b/.hidden/x.js",
            "a/.dot.js",
            "a/node_modules/m/i.js",
            "z.ts",
            "y/q.js",
            "y/r/s/t.js",
        ] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, f).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.path().join("y"), d.path().join("a/link")).unwrap();
        d
    }

    fn ours(start: &Path, hidden: bool) -> Vec<(PathBuf, bool, bool)> {
        let mut out = Vec::new();
        walk(start, hidden, &mut |e| e.name != "node_modules", &mut |e| {
            let t = e.file_type.unwrap();
            out.push((e.path.clone(), t.is_file(), t.is_dir()));
            true
        });
        out
    }

    fn theirs(start: &Path, hidden: bool) -> Vec<(PathBuf, bool, bool)> {
        ignore::WalkBuilder::new(start)
            .hidden(hidden)
            .git_ignore(false)
            .ignore(false)
            .git_exclude(false)
            .git_global(false)
            .parents(false)
            .filter_entry(|e| e.file_name() != "node_modules")
            .build()
            .flatten()
            .map(|e| {
                let t = e.file_type().unwrap();
                (e.path().to_path_buf(), t.is_file(), t.is_dir())
            })
            .collect()
    }

    #[test]
    fn the_walk_is_the_ignore_crates_walk() {
        let d = tree();
        for hidden in [false, true] {
            for start in [
                d.path().to_path_buf(),
                d.path().join("a"),
                d.path().join("z.ts"),
            ] {
                assert_eq!(ours(&start, hidden), theirs(&start, hidden), "{start:?}");
            }
        }
        // and with the cache on, twice (the second from the cache)
        enable(d.path());
        for _ in 0..2 {
            assert_eq!(ours(d.path(), true), theirs(d.path(), true));
        }
    }

    /// (path relative to the start, is a file) of every entry `walk_following` yields, and
    /// (relative path, why) of every link it does not follow; links are followed within `app`'s
    /// repository.
    #[cfg(unix)]
    type Followed = (Vec<(String, bool)>, Vec<(String, Unfollowed)>);

    #[cfg(unix)]
    fn following(start: &Path, app: &Path) -> Followed {
        let (mut seen, mut refused) = (Vec::new(), Vec::new());
        let rel = |p: &Path| {
            p.strip_prefix(start)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        walk_following(
            start,
            true,
            app,
            &mut |_| true,
            &mut |e| {
                seen.push((rel(&e.path), e.file_type.unwrap().is_file()));
                true
            },
            &mut |e, why| refused.push((rel(&e.path), why)),
        );
        seen.sort();
        refused.sort_by(|a, b| a.0.cmp(&b.0));
        (seen, refused)
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_the_scope_are_followed_under_their_own_names() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().unwrap();
        let repo = d.path().join("repo");
        for f in ["shared/svc/a.js", "shared/one.js", "app/controller/home.js"] {
            let p = repo.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, f).unwrap();
        }
        std::fs::write(d.path().join("secret.js"), "outside").unwrap();
        let app = repo.join("app");
        symlink("../shared/svc", app.join("service")).unwrap();
        symlink("../../shared/one.js", app.join("controller/one.js")).unwrap();
        symlink("../../../secret.js", app.join("controller/out.js")).unwrap();
        symlink("nothing.js", app.join("controller/gone.js")).unwrap();
        symlink("..", app.join("controller/up")).unwrap();
        symlink(".", app.join("controller/here")).unwrap();
        // two directories linking to each other
        std::fs::create_dir_all(repo.join("b")).unwrap();
        symlink("../../b", repo.join("shared/svc/to_b")).unwrap();
        symlink("../shared/svc", repo.join("b/to_svc")).unwrap();
        // (the listings are made once: another test may have turned the cache on)
        let within = std::fs::canonicalize(&repo).unwrap();
        let (seen, refused) = following(&app, &within);
        assert_eq!(
            seen,
            [
                ("".to_string(), false),
                ("controller".into(), false),
                ("controller/home.js".into(), true),
                ("controller/one.js".into(), true),
                ("service".into(), false),
                ("service/a.js".into(), true),
                ("service/to_b".into(), false),
            ]
        );
        assert_eq!(
            refused,
            [
                ("controller/gone.js".to_string(), Unfollowed::Dangling),
                ("controller/here".into(), Unfollowed::Loop),
                ("controller/out.js".into(), Unfollowed::Outside),
                ("controller/up".into(), Unfollowed::Loop),
                ("service/to_b/to_svc".into(), Unfollowed::Loop),
            ]
        );
        // the repository is the scope: a link into it from an app below it is followed (a
        // fresh tree: the walk above asked about `repo/.git` already, and another test may
        // have turned the cache on)
        let other = tempfile::tempdir().unwrap();
        let repo = std::fs::canonicalize(other.path()).unwrap().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("apps/shop/app")).unwrap();
        assert_eq!(link_scope(&repo.join("apps/shop")), repo);
        assert_eq!(link_scope(&repo.join("apps/shop/app")), repo);
    }

    #[cfg(unix)]
    #[test]
    fn a_tree_of_links_that_doubles_at_every_level_ends() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        // l0/{a,b} -> l1, l1/{a,b} -> l2, ...: 2^30 paths without a loop
        for i in 0..30 {
            let dir = root.join(format!("l{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("f.js"), "").unwrap();
            for n in ["a", "b"] {
                symlink(format!("../l{}", i + 1), dir.join(n)).unwrap();
            }
        }
        std::fs::create_dir_all(root.join("l30")).unwrap();
        let (seen, refused) = following(&root.join("l0"), &root);
        // (a directory entered before the budget ran out still yields its own files)
        assert!(seen.len() < 2 * MAX_LINKED_ENTRIES, "{}", seen.len());
        assert!(refused.iter().any(|(_, why)| *why == Unfollowed::TooMany));
    }

    #[test]
    fn a_tree_named_through_dotdot_keeps_the_bytes_of_its_resolved_paths() {
        // the loader reads an app named `x/../app` as `app`, resolved: the same tree
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("x")).unwrap();
        std::fs::create_dir_all(d.path().join("app")).unwrap();
        enable(&d.path().join("x/../app"));
        let f = std::fs::canonicalize(d.path()).unwrap().join("app/a.js");
        remember_bytes(&f, b"a.js");
        assert_eq!(cached_bytes(&f).as_deref(), Some(&b"a.js"[..]));
        // its sibling is not the tree
        let g = std::fs::canonicalize(d.path()).unwrap().join("x/b.js");
        remember_bytes(&g, b"b.js");
        assert!(cached_bytes(&g).is_none());
    }

    #[test]
    fn kinds_from_a_listing_are_what_the_file_system_says() {
        let d = tree();
        enable(d.path());
        let _ = read_dir(d.path());
        let _ = read_dir(&d.path().join("gone"));
        let _ = read_dir(&d.path().join("z.ts"));
        let _ = read_dir(&d.path().join("a"));
        for rel in [
            "z.ts",
            "y",
            "nope",
            "a/link",
            "a/link/q.js",
            "a/.dot.js",
            "a/b",
            "a/b/..",
            "a/.",
            "a/missing/x",
            "gone/x",
            "z.ts/x",
        ] {
            let p = d.path().join(rel);
            assert_eq!(is_file(&p), p.is_file(), "{rel}");
            assert_eq!(is_dir(&p), p.is_dir(), "{rel}");
            assert_eq!(exists(&p), p.exists(), "{rel}");
        }
        let f = d.path().join("z.ts");
        remember_bytes(&f, b"z.ts");
        assert_eq!(cached_bytes(&f).as_deref(), Some(&b"z.ts"[..]));
        // never outside the run's tree, never eggsec's own state
        let state = d.path().join(".eggsec/history.jsonl");
        remember_bytes(&state, b"{}");
        assert!(cached_bytes(&state).is_none());
        let outside = std::env::temp_dir().join("eggsec-fs-outside");
        remember_bytes(&outside, b"x");
        assert!(cached_bytes(&outside).is_none());
    }
}
