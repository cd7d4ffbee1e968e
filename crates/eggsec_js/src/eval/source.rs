//! Getting source text in safely before anything parses it: size, binary and UTF-8 checks, a
//! cheap bracket-depth pre-scan, the line index used for provenance, and Node-style resolution
//! of local `require`/`import` specifiers.

use crate::{error::JsError, eval::Limits, value::Provenance};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// How a file is evaluated, decided by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Json,
    JavaScript,
    TypeScript,
}

impl Lang {
    /// `.json` is JSON, `.ts .mts .cts .tsx` TypeScript; anything else is read as JavaScript.
    pub(crate) fn of(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Lang::Json,
            Some("ts" | "mts" | "cts" | "tsx") => Lang::TypeScript,
            _ => Lang::JavaScript,
        }
    }
}

/// Reads a file as text, refusing files that are too large, binary, or not UTF-8.
pub(crate) fn read_text(path: &Path, limits: &Limits) -> Result<String, JsError> {
    let cached = eggsec_fs::cached_bytes(path);
    let bytes = match cached {
        // read already in this run (a regular file, whole)
        Some(bytes) => {
            check_size(path, bytes.len() as u64, limits)?;
            bytes.to_vec()
        }
        None => read_regular(path, limits)?,
    };
    if let Some(offset) = memchr::memchr(0, &bytes) {
        return Err(JsError::Binary {
            path: path.to_path_buf(),
            offset,
        });
    }
    String::from_utf8(bytes).map_err(|e| JsError::InvalidUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The bytes of a regular file within the size limit (a FIFO, device or socket is refused
/// before it is opened); kept for the run's later readers.
fn read_regular(path: &Path, limits: &Limits) -> Result<Vec<u8>, JsError> {
    let io = |source| JsError::Io {
        path: path.to_path_buf(),
        source,
    };
    use eggsec_fs::OpenError;
    // A FIFO, a device or a socket is never opened for reading (it could block or never end).
    let (mut file, meta) = eggsec_fs::open_regular(path).map_err(|e| match e {
        OpenError::Lookup(e) | OpenError::Open(e) => io(e),
        OpenError::NotRegular(_) => io(std::io::Error::other(
            "not a regular file (a FIFO, device or socket)",
        )),
    })?;
    check_size(path, meta.len(), limits)?;
    let bytes = eggsec_fs::read_sized(&mut file, meta.len(), limits.max_file_bytes).map_err(io)?;
    check_size(path, bytes.len() as u64, limits)?;
    eggsec_fs::remember_bytes(path, &bytes);
    Ok(bytes)
}

pub(crate) fn check_size(path: &Path, size: u64, limits: &Limits) -> Result<(), JsError> {
    if size > limits.max_file_bytes {
        return Err(JsError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: limits.max_file_bytes,
        });
    }
    Ok(())
}

/// [`nesting_scan`] for JavaScript.
#[cfg(test)]
pub(crate) fn nesting_exceeds(text: &str, limit: usize) -> bool {
    nesting_scan(text, limit, false)
}

/// [`nesting_scan`] for the language of `path`. In TypeScript a `<` right after a name may
/// open type arguments: oxc parses `a<b<c<…` speculatively as nested type arguments at every
/// `<`, then backs off, so a statement with thousands of them costs time and memory quadratic
/// in their number (the fuzzer's 240 KB `c<form<form<…` took 14 s and 24 GB before the arena
/// gave out). There such a `<` counts as a nesting operator of its statement; no real
/// statement has hundreds.
pub(crate) fn nesting_exceeds_in(path: &Path, text: &str, limit: usize) -> bool {
    let ts = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("ts" | "mts" | "cts" | "tsx")
    );
    nesting_scan(text, limit, ts)
}

/// A cheap byte-level pre-scan: could parsing nest deeper than `limit`? It counts what makes
/// oxc's recursive-descent parser recurse: brackets (`( [ {`, template literals and their
/// `${`), and runs of right-nesting operators (`!x`, `-x`, `a = b = c`, `x => y => z`,
/// `a ? b : c ? …`, `**`, `typeof`/`new`/`if`/`else`/…) within one statement or element —
/// a run ends at `;`, `,`, a closing `}`, or a line break after a complete expression.
/// Strings and comments are skipped; regex literals are not recognised (they can only make
/// the count a little off for that line). Input that passes this and still nests deeply is
/// caught by the evaluator's own depth bound.
/// With `ts`, a `<` right after a name counts as a nesting operator ([`nesting_exceeds_in`]).
fn nesting_scan(text: &str, limit: usize, ts: bool) -> bool {
    // `[A-Za-z0-9_$]`, by table: the scan spends most of its bytes in words
    const WORD: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
            b += 1;
        }
        t
    };
    // one `match` (by length, then bytes), not 13 comparisons for every identifier
    fn is_prefix_word(word: &[u8]) -> bool {
        matches!(
            word,
            b"typeof"
                | b"void"
                | b"delete"
                | b"await"
                | b"new"
                | b"yield"
                | b"if"
                | b"else"
                | b"while"
                | b"for"
                | b"do"
                | b"with"
                | b"return"
        )
    }
    let bytes = text.as_bytes();
    // Open constructs: b'(' b'[' b'{' in code, b'`' a template literal, b'$' a `${` inside one;
    // each with its current operator run. The bottom entry is the file itself.
    let mut stack: Vec<(u8, usize)> = vec![(b' ', 0)];
    let mut runs = 0usize;
    // The last significant byte in code, to tell prefix `-x` from `a - x` and to decide
    // whether a line break ends a statement.
    let mut prev: u8 = b';';
    let mut i = 0;
    // the top of the stack is a template literal (kept up to date at every push and pop)
    let mut in_template = false;
    let reset_top = |stack: &mut Vec<(u8, usize)>, runs: &mut usize| {
        if let Some(top) = stack.last_mut() {
            *runs -= top.1;
            top.1 = 0;
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        if in_template {
            // template text: jump to its next `\\`, `` ` `` or `$`
            if !matches!(b, b'\\' | b'`' | b'$') {
                match memchr::memchr3(b'\\', b'`', b'$', &bytes[i..]) {
                    Some(k) => {
                        i += k;
                        continue;
                    }
                    None => break,
                }
            }
            match b {
                b'\\' => i += 1,
                b'`' => {
                    stack.pop();
                    in_template = stack.last().is_some_and(|t| t.0 == b'`');
                    prev = b'`';
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push((b'$', 0));
                    in_template = false;
                    prev = b'{';
                    i += 1;
                    // the depth only grows at a push or a bump: checked there
                    if stack.len() - 1 + runs > limit {
                        return true;
                    }
                }
                _ => {}
            }
            i += 1;
        } else {
            let mut bump = false;
            match b {
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    // to the last byte before the line break (or the end)
                    i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |k| i + k) - 1;
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    // to the `/` of `*/` (or past the end)
                    i = memchr::memmem::find(&bytes[i + 2..], b"*/")
                        .map_or(bytes.len(), |k| i + 2 + k + 1);
                }
                b'\'' | b'"' => {
                    i += 1;
                    // to the closing quote or the line break, over escapes
                    loop {
                        let rest = bytes.get(i..).unwrap_or_default();
                        match memchr::memchr3(b, b'\\', b'\n', rest) {
                            Some(k) if rest[k] == b'\\' => i += k + 2,
                            Some(k) => {
                                i += k;
                                break;
                            }
                            None => {
                                i = i.max(bytes.len());
                                break;
                            }
                        }
                    }
                    prev = b'"';
                }
                b'\n' => {
                    if prev.is_ascii_alphanumeric()
                        || matches!(prev, b'_' | b'$' | b')' | b']' | b'}' | b'"' | b'`')
                    {
                        reset_top(&mut stack, &mut runs);
                    }
                }
                b' ' | b'\t' | b'\r' => {
                    while matches!(bytes.get(i + 1), Some(b' ' | b'\t' | b'\r')) {
                        i += 1;
                    }
                }
                b'(' | b'[' | b'{' | b'`' => {
                    stack.push((b, 0));
                    in_template = b == b'`';
                    prev = b;
                    if stack.len() - 1 + runs > limit {
                        return true;
                    }
                }
                b')' | b']' | b'}' => {
                    if stack.len() > 1 {
                        let (_, run) = stack.pop().unwrap_or_default();
                        runs -= run;
                        in_template = stack.last().is_some_and(|t| t.0 == b'`');
                    }
                    if b == b'}' {
                        reset_top(&mut stack, &mut runs);
                    }
                    prev = b;
                }
                b';' | b',' => {
                    reset_top(&mut stack, &mut runs);
                    prev = b;
                }
                b'!' | b'~' | b'-' | b'+' | b'=' | b'?' | b'*' | b'<' | b'>' | b'&' | b'|'
                | b'^' | b'%' | b':' | b'.' => {
                    let next = bytes.get(i + 1).copied().unwrap_or(0);
                    bump = match b {
                        b'!' | b'~' => next != b'=',
                        b'-' | b'+' => {
                            !(prev.is_ascii_alphanumeric()
                                || matches!(prev, b'_' | b'$' | b')' | b']' | b'}' | b'"' | b'`'))
                        }
                        b'=' => next != b'=' && !matches!(prev, b'=' | b'!' | b'<' | b'>'),
                        b'?' => next != b'.' && next != b'?' && prev != b'?',
                        b'*' => next == b'*',
                        // each link of a member chain nests one level in the AST (`a.b.c`):
                        // a 30,000-link chain is as deep as 30,000 brackets (not `...`)
                        b'.' => prev != b'.' && next != b'.',
                        // TypeScript: `name<` may open type arguments (not `<=`, `<<`)
                        b'<' => ts && prev == b'a' && next != b'=' && next != b'<',
                        _ => false,
                    };
                    if b == b'*' && next == b'*' {
                        i += 1;
                    }
                    prev = b;
                }
                _ if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' => {
                    let start = i;
                    // to the end of the word (a byte that is not `[A-Za-z0-9_$]`, or the end)
                    while i + 1 < bytes.len() && WORD[bytes[i + 1] as usize] {
                        i += 1;
                    }
                    let word = &bytes[start..=i];
                    // A keyword after `.` is a property name (`a.new`).
                    bump = prev != b'.' && is_prefix_word(word);
                    prev = if bump { b'=' } else { b'a' };
                }
                _ => prev = b,
            }
            if bump {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                runs += 1;
                if stack.len() - 1 + runs > limit {
                    return true;
                }
            }
            i += 1;
        }
    }
    false
}

/// `raw`'s words (split at Unicode white space) joined by one space; more than `max`
/// characters: the first `max - 1` and an ellipsis. Stops reading after `max + 1` characters:
/// a long span costs no more than a short one.
pub(crate) fn fold_snippet(raw: &str, max: usize) -> String {
    let mut one_line = String::with_capacity(raw.len().min(max + 16));
    // ASCII (nearly every snippet): bytes are characters, and white space is these six
    if raw.is_ascii() {
        let bytes = raw.as_bytes();
        let white = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        let mut i = 0;
        while i < bytes.len() {
            if white(bytes[i]) {
                i += 1;
                continue;
            }
            let end = bytes[i..]
                .iter()
                .position(|&b| white(b))
                .map_or(bytes.len(), |n| i + n);
            if !one_line.is_empty() {
                one_line.push(' ');
            }
            one_line.push_str(&raw[i..end]);
            if one_line.len() > max {
                one_line.truncate(max - 1);
                one_line.push('…');
                break;
            }
            i = end;
        }
        return one_line;
    }
    let mut chars = 0usize;
    for word in raw.split_whitespace() {
        if chars > 0 {
            one_line.push(' ');
            chars += 1;
        }
        one_line.push_str(word);
        chars += word.chars().count();
        if chars > max {
            if let Some((cut, _)) = one_line.char_indices().nth(max - 1) {
                one_line.truncate(cut);
            }
            one_line.push('…');
            break;
        }
    }
    one_line
}

/// Turns oxc span offsets into 1-based line/column (columns count characters). Lines are
/// found by binary search; characters are counted from a checkpoint every [`BLOCK`] bytes, so
/// a minified one-line file costs no more than a short one per lookup.
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<u32>,
    /// `(byte offset, characters before it)` at the first char boundary of each block.
    checkpoints: Vec<(u32, u32)>,
    /// The text is ASCII (most code): a byte is a character, no counting needed.
    ascii: bool,
    /// Else, per line, whether it is ASCII (code with non-ASCII comments or strings has most
    /// of its lines ASCII all the same).
    ascii_lines: Vec<bool>,
}

const BLOCK: usize = 1024;

/// The length of the UTF-8 byte order mark `text` starts with (3), or 0.
pub fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
        // a byte order mark is not a column of line 1 (editors, Node and npm drop it)
        starts.push(bom_len(text) as u32);
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| (i + 1) as u32));
        if text.is_ascii() {
            return Self {
                starts,
                checkpoints: Vec::new(),
                ascii: true,
                ascii_lines: Vec::new(),
            };
        }
        // the first char boundary at or after every BLOCK bytes, with the characters before
        // it (a char is at most 4 bytes, so each block gets its own checkpoint)
        let mut checkpoints = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let (mut prev, mut chars) = (0usize, 0usize);
        let mut at = 0usize;
        while at < bytes.len() {
            let mut i = at;
            while i < bytes.len() && !text.is_char_boundary(i) {
                i += 1;
            }
            if i >= bytes.len() {
                break;
            }
            // both ends are char boundaries
            chars += text.get(prev..i).map_or(0, |s| s.chars().count());
            checkpoints.push((i as u32, chars as u32));
            prev = i;
            at += BLOCK;
        }
        let ascii_lines = starts
            .iter()
            .enumerate()
            .map(|(k, &from)| {
                let to = starts.get(k + 1).map_or(bytes.len(), |&t| t as usize);
                bytes[from as usize..to].is_ascii()
            })
            .collect();
        Self {
            starts,
            checkpoints,
            ascii: false,
            ascii_lines,
        }
    }

    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let k = self
            .checkpoints
            .partition_point(|&(b, _)| b as usize <= offset);
        let (byte, chars) = k.checked_sub(1).map_or((0, 0), |k| self.checkpoints[k]);
        let tail = text
            .get(byte as usize..offset)
            .map_or(0, |s| s.chars().count());
        chars as usize + tail
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, text: &str, offset: u32) -> (u32, u32) {
        let offset = (offset as usize)
            .min(text.len())
            .max(self.starts[0] as usize);
        let line = self
            .starts
            .partition_point(|&s| s as usize <= offset)
            .max(1);
        let start = self.starts[line - 1] as usize;
        if self.ascii || self.ascii_lines.get(line - 1) == Some(&true) {
            return (line as u32, (offset - start) as u32 + 1);
        }
        // a short line is counted directly; a long one (minified code) from the checkpoints
        let column = match text.get(start..offset) {
            Some(s) if s.len() <= BLOCK => s.chars().count(),
            _ => self.chars_before(text, offset) - self.chars_before(text, start),
        };
        (line as u32, column as u32 + 1)
    }
}

/// One source file being evaluated: its text and how to name places in it.
#[derive(Debug)]
pub(super) struct Src<'a> {
    pub(super) path: PathBuf,
    pub(super) file: Arc<str>,
    pub(super) text: &'a str,
    lines: LineIndex,
}

impl<'a> Src<'a> {
    pub(super) fn new(path: &Path, text: &'a str) -> Self {
        Self {
            path: path.to_path_buf(),
            file: Arc::from(path.display().to_string()),
            text,
            lines: LineIndex::new(text),
        }
    }

    pub(super) fn prov_at(&self, offset: u32) -> Provenance {
        let (line, column) = self.lines.line_col(self.text, offset);
        Provenance {
            file: self.file.clone(),
            line,
            column,
        }
    }

    /// The source text of a span on one line, shortened for messages.
    pub(super) fn snippet(&self, start: u32, end: u32) -> String {
        // Only the head matters; this keeps `a()()()…` from costing the span length per call.
        let end = self
            .text
            .floor_char_boundary((end as usize).min(start as usize + 240));
        fold_snippet(self.text.get(start as usize..end).unwrap_or("?"), 60)
    }

    /// The directory of this file, for `__dirname` and relative requires.
    pub(super) fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// Is this a local (relative or absolute) module specifier rather than a package name?
pub(crate) fn is_local_specifier(spec: &str) -> bool {
    spec.starts_with("./")
        || spec.starts_with("../")
        || spec == "."
        || spec == ".."
        || spec.starts_with('/')
}

/// Node's resolution of a local specifier: the exact file, then `.js .json .ts` (ts-node adds
/// `.ts` after the built-in extensions), `x.js` written for `x.ts` (TypeScript ESM style), then
/// a directory's `index.*`.
/// The file to read for `path`: the `.ts` beside a `.js` of the same name, outside
/// `node_modules` — `tsc` (an egg TS app's `npm run tsc`, run by its `ci` and `deploy` scripts)
/// writes `x.js` next to every `x.ts`, and egg's TS boilerplate keeps those out of git. egg
/// resolves the `.js` first and, once built, runs the code compiled from the `.ts`: reading the
/// source audits the same code, gives the same report before and after a build, and points
/// findings at the file the fix goes in. Anything else is `path` itself.
pub fn source_twin(path: PathBuf) -> PathBuf {
    if path.extension().is_none_or(|e| e != "js")
        || path.components().any(|c| c.as_os_str() == "node_modules")
    {
        return path;
    }
    let ts = path.with_extension("ts");
    if eggsec_fs::is_file(&ts) {
        ts
    } else {
        path
    }
}

pub(crate) fn resolve_local(from_dir: &Path, spec: &str) -> Option<PathBuf> {
    resolve_local_as_written(from_dir, spec).map(source_twin)
}

fn resolve_local_as_written(from_dir: &Path, spec: &str) -> Option<PathBuf> {
    let base = normalize(&from_dir.join(spec));
    if eggsec_fs::is_file(&base) {
        return Some(base);
    }
    const EXTS: [&str; 3] = ["js", "json", "ts"];
    let with_ext = |p: &Path, ext: &str| {
        let mut s = p.as_os_str().to_owned();
        s.push(".");
        s.push(ext);
        PathBuf::from(s)
    };
    if let Some(found) = EXTS
        .iter()
        .map(|e| with_ext(&base, e))
        .find(|p| eggsec_fs::is_file(p))
    {
        return Some(found);
    }
    if base.extension().is_some_and(|e| e == "js") {
        let ts = base.with_extension("ts");
        if eggsec_fs::is_file(&ts) {
            return Some(ts);
        }
    }
    EXTS.iter()
        .map(|e| base.join(format!("index.{e}")))
        .find(|p| eggsec_fs::is_file(p))
}

/// `@scope/name/sub/path` → (`@scope/name`, `sub/path`); `name` → (`name`, ``).
fn split_package(spec: &str) -> Option<(&str, &str)> {
    if spec.is_empty() || spec.contains('\\') || spec.contains(':') {
        return None;
    }
    let mut cut = spec.match_indices('/').map(|(i, _)| i);
    let end = if spec.starts_with('@') {
        cut.nth(1)
    } else {
        cut.next()
    };
    match end {
        Some(i) => Some((&spec[..i], &spec[i + 1..])),
        None => Some((spec, "")),
    }
}

/// The directory of package `name` in the nearest `node_modules` above `from_dir`, as Node
/// looks it up.
fn package_dir(from_dir: &Path, name: &str) -> Option<PathBuf> {
    if name
        .split('/')
        .any(|p| p == ".." || p == "." || p.is_empty())
    {
        return None;
    }
    from_dir
        .ancestors()
        .filter(|a| a.file_name().is_none_or(|n| n != "node_modules"))
        .map(|a| a.join("node_modules"))
        // one look at each `node_modules` (the run keeps the answer), not one per package
        .filter(|m| eggsec_fs::is_dir(m))
        .map(|m| m.join(name))
        .find(|d| eggsec_fs::is_file(&d.join("package.json")))
}

/// A file inside an installed package, `pkg/sub/path` (not the package's main): resolved with
/// [`resolve_local`] from the package's directory, never outside it.
pub(crate) fn resolve_package_subpath(from_dir: &Path, spec: &str) -> Option<PathBuf> {
    let (name, sub) = split_package(spec)?;
    if sub.is_empty() || sub.split('/').any(|p| p == "..") {
        return None;
    }
    let dir = package_dir(from_dir, name)?;
    resolve_local(&dir, &format!("./{sub}")).filter(|f| f.starts_with(&dir))
}

/// An installed package's main file (`main` of its package.json, else `index.js`).
pub(crate) fn resolve_package_main(from_dir: &Path, spec: &str) -> Option<PathBuf> {
    let (name, sub) = split_package(spec)?;
    if !sub.is_empty() {
        return None;
    }
    let dir = package_dir(from_dir, name)?;
    let pkg = std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t[bom_len(&t)..]).ok())
        .unwrap_or_default();
    // `main`, else the `exports` of `.` (a string, or its `import`/`default`/`require` target)
    let dot = match &pkg["exports"] {
        serde_json::Value::String(s) => Some(s.as_str()),
        e => [
            &e["."],
            &e["."]["import"],
            &e["."]["default"],
            &e["."]["require"],
        ]
        .into_iter()
        .find_map(|v| v.as_str()),
    };
    let main = pkg["main"]
        .as_str()
        .or(dot)
        .unwrap_or("index.js")
        .to_string();
    resolve_local(&dir, &format!("./{main}"))
        .or_else(|| resolve_local(&dir, "./index"))
        .filter(|f| f.starts_with(&dir))
}

/// The entry file of an installed package that defines an egg 4.1 plugin factory
/// (`export default definePluginFactory({ name, path: import.meta.dirname, ... })`, as
/// `@eggjs/security` does): such a package's default import is evaluated (egg's
/// `dist/config/plugin.js` spreads `...securityPlugin()`); any other package is not (a library).
pub(crate) fn plugin_factory_entry(from_dir: &Path, spec: &str) -> Option<PathBuf> {
    const MAX_ENTRY_BYTES: u64 = 64 * 1024;
    let file = resolve_package_main(from_dir, spec)?;
    if std::fs::metadata(&file).ok()?.len() > MAX_ENTRY_BYTES {
        return None;
    }
    let text = std::fs::read_to_string(&file).ok()?;
    // a call, not egg's own index re-exporting (or defining) the helper
    let calls =
        text.contains("definePluginFactory(") && !text.contains("function definePluginFactory(");
    calls.then_some(file)
}

/// Lexical path normalisation (`a/./b/../c` → `a/c`), as Node's `path.normalize` does for
/// the parts it can see; it never touches the file system.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts built from the bytes the pre-scan reacts to (a fixed xorshift sequence), each
    /// whole and cut at a third and at half.
    fn generated_texts() -> Vec<String> {
        let pieces: &[&str] = &[
            "(", ")", "[", "]", "{", "}", "`", "${", "$", "\\", "'", "\"", "//", "/*", "*/", "\n",
            " ", "\t", "\r", ";", ",", "!", "~", "-", "+", "=", "==", "?", "?.", "??", "*", "**",
            "<", ">", "&", "|", "^", "%", ":", ".", "...", "a", "x1", "_$", "typeof", "new",
            "return", "a.new", "if", "else", "é", "=>",
        ];
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut texts = Vec::new();
        for _ in 0..20_000 {
            let n = (next() % 40) as usize;
            let t: String = (0..n)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            for k in [3, 2] {
                let mut at = t.len() / k;
                while !t.is_char_boundary(at) {
                    at += 1;
                }
                texts.push(t[..at].to_string());
                texts.push(t[at..].to_string());
            }
            texts.push(t);
        }
        texts
    }

    /// FNV-1a over the pre-scan's answers for every generated text and limit.
    fn answers_digest(scan: impl Fn(&str, usize) -> bool) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for t in generated_texts() {
            for limit in [0, 1, 2, 3, 5, 8, 13, 40, 512] {
                h ^= u64::from(scan(&t, limit));
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h
    }

    /// TypeScript's speculative type arguments: thousands of `name<` in one statement are
    /// refused before parsing (the fuzzer's `c<form<form<…`); the same text is plain
    /// comparisons in JavaScript, and real generics stay far below the limit.
    #[test]
    fn type_argument_runs_in_typescript() {
        let ts = Path::new("app/controller/home.ts");
        let js = Path::new("app/controller/home.js");
        let hostile = format!("c{}", "<form".repeat(600));
        assert!(nesting_exceeds_in(ts, &hostile, 512));
        assert!(!nesting_exceeds_in(js, &hostile, 512));
        // across lines: a `<` leaves the expression open, the run goes on
        assert!(nesting_exceeds_in(
            ts,
            &format!("c{}", "<\nform".repeat(600)),
            512
        ));
        // one statement per line, or the `<` inside strings, templates and comments
        for text in [
            "if (a<b) x = 1;\n".repeat(600),
            format!("const s = '{}';", "a<b".repeat(600)),
            format!("const s = `{}`;", "a<b".repeat(600)),
            format!("// {}", "a<b".repeat(600)),
            "let m: Map<string, Array<Promise<Record<string, number>>>> = new Map();\n".repeat(200),
            format!("x = a{};", " <= b || a << 1 || a".repeat(600)),
        ] {
            assert!(!nesting_exceeds_in(ts, &text, 512), "{}", &text[..60]);
        }
    }

    #[test]
    fn nesting_prescan_answers_are_unchanged() {
        // The answers of the scan as it was before ade054c (reading the stack's top at every
        // byte), for 100,000 generated texts and 9 limits (188,254 of them true). ade054c was
        // checked against that scan on these texts and on every fixture and example file,
        // whole and cut; any answer that changes changes the digest.
        assert_eq!(
            answers_digest(nesting_exceeds),
            0x60ab_69af_bd10_a697,
            "the nesting pre-scan answers differently than before: if that is intended, \
             review why and update the digest"
        );
    }

    #[test]
    fn package_files_resolve_inside_the_installed_package() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("node_modules/@jianghujs/jianghu");
        std::fs::create_dir_all(pkg.join("config")).unwrap();
        std::fs::write(
            pkg.join("package.json"),
            r#"{"name":"@jianghujs/jianghu","main":"index.js"}"#,
        )
        .unwrap();
        std::fs::write(pkg.join("index.js"), "").unwrap();
        std::fs::write(pkg.join("config/middlewareConfig.js"), "").unwrap();
        let app = dir.path().join("config");
        std::fs::create_dir_all(&app).unwrap();
        assert_eq!(
            resolve_package_subpath(&app, "@jianghujs/jianghu/config/middlewareConfig"),
            Some(pkg.join("config/middlewareConfig.js"))
        );
        assert_eq!(resolve_package_subpath(&app, "@jianghujs/jianghu"), None);
        assert_eq!(
            resolve_package_subpath(&app, "@jianghujs/jianghu/../../x"),
            None
        );
        assert_eq!(resolve_package_subpath(&app, "lodash/merge"), None);
        assert_eq!(
            resolve_package_main(&app, "@jianghujs/jianghu"),
            Some(pkg.join("index.js"))
        );
        assert_eq!(split_package("egg/config/x"), Some(("egg", "config/x")));
    }

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let text = "ab\n€x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 1), (1, 2));
        assert_eq!(idx.line_col(text, 3), (2, 1));
        assert_eq!(idx.line_col(text, 6), (2, 2)); // after the 3-byte '€'
    }

    #[test]
    fn line_index_matches_a_char_by_char_count() {
        for text in [
            String::new(),
            "a".repeat(1024),
            "a".repeat(1025),
            format!("{}\n{}", "x = 1;\n".repeat(300), "y".repeat(3000)),
            format!("{}€{}", "a".repeat(1023), "b\n".repeat(900)),
            format!("{}\r\n{}", "中文".repeat(700), "é€😀x".repeat(500)),
        ] {
            let idx = LineIndex::new(&text);
            let mut starts = vec![0];
            let mut checkpoints = Vec::new();
            for (chars, (i, c)) in text.char_indices().enumerate() {
                if i >= checkpoints.len() * BLOCK {
                    checkpoints.push((i as u32, chars as u32));
                }
                if c == '\n' {
                    starts.push(i as u32 + 1);
                }
            }
            assert_eq!(idx.starts, starts);
            // ASCII text needs no checkpoints: a byte is a character
            if text.is_ascii() {
                checkpoints.clear();
            }
            assert_eq!(idx.checkpoints, checkpoints);
            // and every offset's line and column are the char-by-char count's
            let (mut line, mut col) = (1u32, 1u32);
            for (i, c) in text.char_indices() {
                assert_eq!(idx.line_col(&text, i as u32), (line, col), "offset {i}");
                if c == '\n' {
                    (line, col) = (line + 1, 1);
                } else {
                    col += 1;
                }
            }
            assert_eq!(idx.line_col(&text, text.len() as u32), (line, col));
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        // as an editor shows the file (and Node reads it): line 1 begins after the BOM
        for (text, x) in [
            ("\u{feff}ab\nc", 4u32),
            ("\u{feff}é\nc", 5),
            (&*format!("\u{feff}{}\nc", "é".repeat(2000)), 5),
        ] {
            let idx = LineIndex::new(text);
            assert_eq!(idx.line_col(text, 0), (1, 1), "{text:?}");
            assert_eq!(idx.line_col(text, 3), (1, 1));
            assert_eq!(idx.line_col(text, x), (1, 2));
            let c = text.len() as u32 - 1;
            assert_eq!(idx.line_col(text, c), (2, 1));
            assert_eq!(crate::code_edit::offset_of(text, 1, 1), Some(3));
            assert_eq!(crate::code_edit::offset_of(text, 2, 1), Some(c as usize));
        }
        assert_eq!(bom_len("\u{feff}x"), 3);
        assert_eq!(bom_len("x\u{feff}"), 0);
    }

    #[test]
    fn line_col_on_long_lines_uses_checkpoints() {
        let text = format!("{}\n{}x", "é".repeat(3000), "€".repeat(2000));
        let idx = LineIndex::new(&text);
        assert_eq!(idx.line_col(&text, 6000), (1, 3001));
        let x = text.len() as u32 - 1;
        assert_eq!(idx.line_col(&text, x), (2, 2001));
    }

    #[test]
    fn a_snippet_is_its_words_on_one_line_cut_at_the_limit() {
        // the words joined by one space; past `max` characters, `max - 1` of them and `…`
        fn by_words(raw: &str, max: usize) -> String {
            let joined = raw.split_whitespace().collect::<Vec<_>>().join(" ");
            if joined.chars().count() > max {
                joined.chars().take(max - 1).chain(['…']).collect()
            } else {
                joined
            }
        }
        let pieces = [
            "a", "bc", " ", "  ", "\t", "\n", "\r\n", "\u{b}", "\u{c}", "é", "(x)",
        ];
        let mut n = 0;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for d in pieces {
                        let raw = format!("{a}{b}{c}{d}{a}");
                        for max in 1..8 {
                            assert_eq!(
                                fold_snippet(&raw, max),
                                by_words(&raw, max),
                                "{raw:?} {max}"
                            );
                            n += 1;
                        }
                    }
                }
            }
        }
        assert!(n > 50_000);
        assert_eq!(
            fold_snippet("ctx.redirect(\n    url)", 60),
            "ctx.redirect( url)"
        );
        // a byte past ASCII before the cut, or after it; Unicode white space
        for raw in [
            format!("{} é", "a ".repeat(40)),
            format!("é {}", "a ".repeat(40)),
            format!("{}\u{a0}b\u{2028}c", "a".repeat(30)),
            format!("{}\u{a0}b", "a".repeat(70)),
        ] {
            assert_eq!(fold_snippet(&raw, 60), by_words(&raw, 60), "{raw:?}");
        }
    }

    #[test]
    fn prescan_counts_brackets_but_not_strings_or_comments() {
        assert!(nesting_exceeds(&"[".repeat(600), 512));
        assert!(!nesting_exceeds(&format!("'{}'", "[".repeat(600)), 512));
        assert!(!nesting_exceeds(&format!("// {}", "{".repeat(600)), 512));
        assert!(!nesting_exceeds(&format!("/* {} */", "(".repeat(600)), 512));
        assert!(!nesting_exceeds("a = `${ {a: [1]} }` + \"]]]\"", 5));
        assert!(nesting_exceeds("`${`${`${ 1 }`}`}`", 5));
        // comments, strings and template text that run to the end of the text (skipped by
        // memchr: no byte after them to step on)
        assert!(!nesting_exceeds("((( // ((((", 3));
        assert!(!nesting_exceeds("((( /* (((( *", 3));
        assert!(nesting_exceeds("(((( '\\", 3));
        assert!(!nesting_exceeds("'\\", 0));
        assert!(!nesting_exceeds("( 'a\\'(((' \"((((\\\"\"", 1));
        assert!(!nesting_exceeds("` ((((( \\` [[[[ $ {{{{ ", 1));
        assert!(nesting_exceeds("` ${ ((", 2));
        assert!(!nesting_exceeds(&"[]".repeat(10_000), 1));
    }

    #[test]
    fn prescan_counts_right_nesting_operator_runs() {
        assert!(nesting_exceeds(
            &format!("x = {}true", "!".repeat(600)),
            512
        ));
        assert!(nesting_exceeds(&format!("x = {}1", "- ".repeat(600)), 512));
        assert!(nesting_exceeds(&format!("{}1", "a = ".repeat(600)), 512));
        assert!(nesting_exceeds(&format!("{}1", "x => ".repeat(600)), 512));
        assert!(nesting_exceeds(
            &format!("1{}", " ? 1 : 1".repeat(600)),
            512
        ));
        assert!(nesting_exceeds(&format!("{}x", "typeof ".repeat(600)), 512));
        assert!(nesting_exceeds(
            &format!("{}x;", "if (a) ".repeat(600)),
            512
        ));
        assert!(nesting_exceeds(&format!("{}x", "!\n".repeat(600)), 512));
        // Ordinary code resets its runs at statement and element ends.
        let statements = "const a = 1;\nlet b = !a;\nif (b) { c = -1 }\n".repeat(1000);
        assert!(!nesting_exceeds(&statements, 512));
        let no_semicolons = "const a = 1\nb = a - 1\nc = a ? b : -a\n".repeat(1000);
        assert!(!nesting_exceeds(&no_semicolons, 512));
        let object = format!(
            "x = {{ {} }}",
            "a: !b, c: d === e, f: g => g, ".repeat(1000)
        );
        assert!(!nesting_exceeds(&object, 512));
        let class = format!(
            "class A {{ {} }}",
            "m(a: string): void { return; } ".repeat(1000)
        );
        assert!(!nesting_exceeds(&class, 512));
        assert!(!nesting_exceeds(
            &"a = b == c != d <= e >= f === g;\n".repeat(1000),
            512
        ));
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            normalize(Path::new("config/../lib/x")),
            PathBuf::from("lib/x")
        );
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
    }

    #[test]
    fn resolves_node_style() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.js"), "").unwrap();
        std::fs::write(d.join("b.json"), "{}").unwrap();
        std::fs::write(d.join("c.ts"), "").unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/index.js"), "").unwrap();
        assert_eq!(resolve_local(d, "./a"), Some(d.join("a.js")));
        assert_eq!(resolve_local(d, "./b"), Some(d.join("b.json")));
        assert_eq!(resolve_local(d, "./c"), Some(d.join("c.ts")));
        assert_eq!(resolve_local(d, "./c.js"), Some(d.join("c.ts")));
        assert_eq!(resolve_local(d, "./sub"), Some(d.join("sub/index.js")));
        assert_eq!(resolve_local(d, "./nope"), None);
        assert!(is_local_specifier("../x") && !is_local_specifier("egg"));
    }

    #[test]
    fn a_js_compiled_beside_its_ts_reads_as_the_ts() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "item.ts",
            "item.js",
            "plain.js",
            "node_modules/pkg/x.ts",
            "node_modules/pkg/x.js",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        assert_eq!(source_twin(d.join("item.js")), d.join("item.ts"));
        assert_eq!(source_twin(d.join("item.ts")), d.join("item.ts"));
        assert_eq!(source_twin(d.join("plain.js")), d.join("plain.js"));
        // a package's own files are what Node loads, twins or not
        let pkg = d.join("node_modules/pkg/x.js");
        assert_eq!(source_twin(pkg.clone()), pkg);
        // `require('./item')` and `require('./item.js')` read the source
        assert_eq!(resolve_local(d, "./item"), Some(d.join("item.ts")));
        assert_eq!(resolve_local(d, "./item.js"), Some(d.join("item.ts")));
        assert_eq!(resolve_local(d, "./plain"), Some(d.join("plain.js")));
    }
}
