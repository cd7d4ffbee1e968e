//! The app's own source text, for rules that must look at code the config evaluator keeps
//! only as a [`ValueKind::Function`](eggsec_js::ValueKind) with its provenance: the text of
//! such a function (`security.csrf.ignore`, `onerror.all`), and a search of the app's code
//! for a string (a header name set by a hand-written middleware).
//!
//! The scanner is a small JavaScript/TypeScript lexer: it knows strings, template literals
//! (with nested `${}`), comments and regular-expression literals well enough to find where a
//! function ends. When it cannot tell, it gives up (`None`) rather than guess.

use eggsec_app::AppModel;
use eggsec_js::Provenance;
use std::path::{Path, PathBuf};

/// Source files larger than this are not read (a hand-written config or middleware is a few KB).
const MAX_SOURCE_BYTES: u64 = 2 * 1024 * 1024;
/// At most this many files are read by [`find_in_app_code`].
const MAX_SCANNED_FILES: usize = 5000;
/// Extensions of the code files egg loads.
const CODE_EXTENSIONS: &[&str] = &["js", "ts", "mjs", "cjs", "mts", "cts"];

/// The text of the function whose provenance is `prov` (the start of an arrow function, a
/// `function` expression or a method's parameter list), with comments blanked out (replaced
/// by spaces, line breaks kept) so that commented-out code is never matched. `None` when the
/// file cannot be read or the end of the function cannot be found.
///
/// A relative `prov.file` is taken from `root`.
pub fn function_text(root: &Path, prov: &Provenance) -> Option<String> {
    if prov.line == 0 || prov.file.starts_with('<') {
        return None;
    }
    let path = root.join(&*prov.file);
    let text = read_source(&path)?;
    let start = offset_of(&text, prov.line, prov.column)?;
    let end = function_end(text.as_bytes(), start)?;
    Some(blank_comments(&text[start..end]))
}

/// Reads a source file as Node does (invalid bytes as U+FFFD), refusing large or unreadable
/// files.
fn read_source(path: &Path) -> Option<String> {
    eggsec_report::input::read_source_text(path, MAX_SOURCE_BYTES).ok()
}

/// Byte offset of a 1-based line and a 1-based column counted in characters.
fn offset_of(text: &str, line: u32, column: u32) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line_text = &text[line_start..];
    let skip = column.checked_sub(1)? as usize;
    line_text
        .char_indices()
        .nth(skip)
        .map(|(i, _)| line_start + i)
}

/// One lexical token, by byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// A punctuation byte (`(`, `{`, `,`, `=`...).
    Punct(u8),
    /// An identifier, keyword or number.
    Word,
    /// A string, template or regular-expression literal.
    Literal,
    Comment,
}

/// A forgiving JavaScript lexer over bytes (every boundary it reports is an ASCII byte, so
/// slicing the text there is always valid UTF-8).
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    /// Whether a `/` here starts a regular expression (after an operator, `(`, `,`, a keyword
    /// such as `return`...) rather than a division.
    regex_allowed: bool,
}

/// Keywords after which `/` starts a regular expression.
const REGEX_AFTER_WORDS: &[&str] = &[
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "instanceof",
    "yield",
    "await",
];

impl<'a> Lexer<'a> {
    fn new(s: &'a [u8], i: usize) -> Self {
        Lexer {
            s,
            i,
            regex_allowed: true,
        }
    }

    /// The next token and its start, or `None` at the end (or on an unterminated literal).
    fn next(&mut self) -> Option<(Token, usize)> {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        let start = self.i;
        let c = *self.s.get(start)?;
        let next = self.s.get(start + 1).copied();
        let token = match c {
            b'/' if next == Some(b'/') => {
                self.i = self.s[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(self.s.len(), |p| start + p);
                return Some((Token::Comment, start));
            }
            b'/' if next == Some(b'*') => {
                let body = &self.s[start + 2..];
                let end = body.windows(2).position(|w| w == b"*/")?;
                self.i = start + 2 + end + 2;
                return Some((Token::Comment, start));
            }
            b'\'' | b'"' => {
                self.i = self.skip_string(start + 1, c)?;
                Token::Literal
            }
            b'`' => {
                self.i = self.skip_template(start + 1)?;
                Token::Literal
            }
            b'/' if self.regex_allowed => {
                self.i = self.skip_regex(start + 1)?;
                Token::Literal
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                let len = self.s[start..]
                    .iter()
                    .position(|&b| {
                        !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80)
                    })
                    .unwrap_or(self.s.len() - start);
                self.i = start + len;
                let word = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                self.regex_allowed = REGEX_AFTER_WORDS.contains(&word);
                return Some((Token::Word, start));
            }
            c => {
                self.i = start + 1;
                self.regex_allowed = !matches!(c, b')' | b']' | b'}');
                return Some((Token::Punct(c), start));
            }
        };
        self.regex_allowed = false;
        Some((token, start))
    }

    /// Index after the closing `quote` of a string whose body starts at `i`.
    fn skip_string(&self, mut i: usize, quote: u8) -> Option<usize> {
        while let Some(&b) = self.s.get(i) {
            match b {
                b'\\' => i += 2,
                b'\n' => return None,
                b if b == quote => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    }

    /// Index after the closing backtick of a template whose body starts at `i`; `${...}`
    /// parts are lexed as code (they may hold braces, strings and templates).
    fn skip_template(&mut self, mut i: usize) -> Option<usize> {
        while let Some(&b) = self.s.get(i) {
            match b {
                b'\\' => i += 2,
                b'`' => return Some(i + 1),
                b'$' if self.s.get(i + 1) == Some(&b'{') => {
                    let mut inner = Lexer::new(self.s, i + 2);
                    let mut depth = 1;
                    while depth > 0 {
                        match inner.next()?.0 {
                            Token::Punct(b'{') => depth += 1,
                            Token::Punct(b'}') => depth -= 1,
                            _ => {}
                        }
                    }
                    i = inner.i;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// Index after the closing `/` (and flags) of a regular expression whose body starts at `i`.
    fn skip_regex(&self, mut i: usize) -> Option<usize> {
        let mut in_class = false;
        while let Some(&b) = self.s.get(i) {
            match b {
                b'\\' => i += 2,
                b'\n' => return None,
                b'[' => {
                    in_class = true;
                    i += 1;
                }
                b']' => {
                    in_class = false;
                    i += 1;
                }
                b'/' if !in_class => {
                    i += 1;
                    while self.s.get(i).is_some_and(u8::is_ascii_alphabetic) {
                        i += 1;
                    }
                    return Some(i);
                }
                _ => i += 1,
            }
        }
        None
    }
}

/// Where the function starting at `start` ends (exclusive): after the `}` closing its body,
/// or, for an arrow function with an expression body, before the `,` `;` or closing bracket
/// that ends the expression (or at the end of the text).
fn function_end(s: &[u8], start: usize) -> Option<usize> {
    #[derive(PartialEq)]
    enum Part {
        /// Parameters (and `function`, `async`, a name, a TS return type).
        Head,
        /// Right after `=>`.
        Arrow,
        /// An arrow function's expression body.
        Expression,
        /// A `{ ... }` body.
        Block,
    }
    let mut lexer = Lexer::new(s, start);
    let mut part = Part::Head;
    let mut depth = 0usize;
    while let Some((token, at)) = lexer.next() {
        let Token::Punct(c) = token else {
            if part == Part::Arrow && token != Token::Comment {
                part = Part::Expression;
            }
            continue;
        };
        match c {
            b'=' if part == Part::Head && depth == 0 && s.get(at + 1) == Some(&b'>') => {
                lexer.i = at + 2;
                lexer.regex_allowed = true;
                part = Part::Arrow;
            }
            b'{' if depth == 0 && matches!(part, Part::Head | Part::Arrow) => {
                part = Part::Block;
                depth = 1;
            }
            b'(' | b'[' | b'{' => {
                if part == Part::Arrow {
                    part = Part::Expression;
                }
                depth += 1;
            }
            b')' | b']' | b'}' => {
                if depth == 0 {
                    return (part == Part::Expression).then_some(at);
                }
                depth -= 1;
                if depth == 0 && part == Part::Block {
                    return Some(at + 1);
                }
            }
            b',' | b';' if depth == 0 && part == Part::Expression => return Some(at),
            _ => {
                if part == Part::Arrow {
                    part = Part::Expression;
                }
            }
        }
    }
    (part == Part::Expression).then_some(s.len())
}

/// `text` with every comment replaced by spaces (line breaks kept, so lines still count).
fn blank_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut lexer = Lexer::new(bytes, 0);
    while let Some((token, at)) = lexer.next() {
        if token == Token::Comment {
            for b in &mut out[at..lexer.i] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        }
    }
    // Whole comments (every byte of any character in them) became spaces: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// A place in the app's code where a string was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeMatch {
    pub file: PathBuf,
    /// 1-based.
    pub line: u32,
}

/// Searches the code egg runs for the app — `app/` (without `app/public` and `app/view`),
/// the root `app.js`/`app.ts`, and local plugins (`path` entries outside `node_modules`) —
/// for any of `needles`, case-insensitively. Returns the first match.
pub fn find_in_app_code(app: &AppModel, needles: &[&str]) -> Option<CodeMatch> {
    find_in_lowered(&lowered_app_code(app), needles)
}

/// What the rules of one run read from the app's source files, read (and lower-cased) once
/// for all of them. [`crate::RuleContext::cache`] gives the run's.
#[derive(Debug, Default)]
pub struct RunCache {
    lowered: std::sync::OnceLock<Vec<(PathBuf, String)>>,
    sources: std::sync::OnceLock<
        Vec<crate::rules::builtin::jsonp_without_csrf_or_referrer_check::SourceFile>,
    >,
}

impl RunCache {
    /// [`find_in_app_code`], on the files this cache read for the first caller.
    pub fn find_in_app_code(&self, app: &AppModel, needles: &[&str]) -> Option<CodeMatch> {
        find_in_lowered(self.lowered.get_or_init(|| lowered_app_code(app)), needles)
    }

    /// The app's server-side sources (`app_sources`), read for the first caller.
    pub(crate) fn app_sources(
        &self,
        app: &AppModel,
    ) -> &[crate::rules::builtin::jsonp_without_csrf_or_referrer_check::SourceFile] {
        self.sources.get_or_init(|| {
            crate::rules::builtin::jsonp_without_csrf_or_referrer_check::app_sources(app)
        })
    }
}

/// The first of `files` (in order) holding any of `needles` (case-insensitively), and the line.
fn find_in_lowered(files: &[(PathBuf, String)], needles: &[&str]) -> Option<CodeMatch> {
    // SIMD substring search; the same first byte offset as `str::find`
    let needles: Vec<memchr::memmem::Finder<'static>> = needles
        .iter()
        .map(|n| memchr::memmem::Finder::new(n.to_ascii_lowercase().as_bytes()).into_owned())
        .collect();
    files.iter().find_map(|(file, text)| {
        let at = needles
            .iter()
            .filter_map(|f| f.find(text.as_bytes()))
            .min()?;
        let line = memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count() as u32 + 1;
        Some(CodeMatch {
            file: file.clone(),
            line,
        })
    })
}

/// The code [`find_in_app_code`] searches, lower-cased, in search order (files it skips —
/// too large, unreadable, vendored — left out).
fn lowered_app_code(app: &AppModel) -> Vec<(PathBuf, String)> {
    let mut roots = vec![app.root.clone()];
    roots.extend(
        app.plugins
            .iter()
            .filter(|p| p.enabled)
            .filter_map(|p| p.path.clone())
            .filter(|p| !p.components().any(|c| c.as_os_str() == "node_modules")),
    );
    let mut files = Vec::new();
    for root in &roots {
        for stem in ["app.js", "app.ts", "app.mjs", "app.cjs"] {
            let file = root.join(stem);
            if eggsec_fs::is_file(&file) {
                files.push(file);
            }
        }
        collect_code(&root.join("app"), root, &mut files);
    }
    // files the code model parsed are not read again (it kept their text and left out
    // vendored ones already)
    let parsed = app.code.texts();
    files
        .into_iter()
        .filter_map(|file| {
            let text = match parsed.get(file.as_path()) {
                Some(t) if t.len() as u64 <= MAX_SOURCE_BYTES => {
                    t.strip_prefix('\u{feff}').unwrap_or(t).to_ascii_lowercase()
                }
                Some(_) => return None,
                None => {
                    let text = read_source(&file)?;
                    if eggsec_app::vendored::is_vendored_file(&file, &text) {
                        return None;
                    }
                    text.to_ascii_lowercase()
                }
            };
            Some((file, text))
        })
        .collect()
}

/// Code files under `dir`, depth first in path order, skipping `node_modules`, `public` and
/// `view`; symbolic links followed within the repository, as egg follows them (one it does
/// not follow is said by the code model's walk).
fn collect_code(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
    let mut found = Vec::new();
    eggsec_fs::walk_following(
        dir,
        false,
        root,
        &mut |e| {
            !(e.file_type.is_some_and(|t| t.is_dir())
                && matches!(
                    eggsec_fs::lossy(&e.name).as_ref(),
                    "node_modules" | "public" | "view" | "assets" | "bower_components" | "vendor"
                ))
        },
        &mut |e| {
            let name = eggsec_fs::lossy(&e.name);
            if e.file_type.is_some_and(|t| t.is_file())
                && e.path
                    .extension()
                    .is_some_and(|x| CODE_EXTENSIONS.iter().any(|c| x == *c))
                && !name.ends_with(".d.ts")
            {
                found.push(e.path.clone());
            }
            true
        },
        &mut |_, _| {},
    );
    // (a walk with each directory's entries sorted gives the paths in `Path`'s order)
    found.sort();
    let room = MAX_SCANNED_FILES.saturating_sub(out.len());
    out.extend(found.into_iter().take(room));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The function text starting at the first occurrence of `marker` in `src`.
    fn text_at(src: &str, marker: &str) -> Option<String> {
        let start = src.find(marker).unwrap();
        let end = function_end(src.as_bytes(), start)?;
        Some(blank_comments(&src[start..end]))
    }

    #[test]
    fn arrow_with_expression_body_ends_at_comma_or_bracket() {
        let src = "module.exports = { ignore: ctx => ctx.path.indexOf('/api') !== -1, x: 1 };";
        assert_eq!(
            text_at(src, "ctx =>").as_deref(),
            Some("ctx => ctx.path.indexOf('/api') !== -1")
        );
        let src = "f([ (ctx) => ctx.url.includes(')') ])";
        assert_eq!(
            text_at(src, "(ctx)").as_deref(),
            Some("(ctx) => ctx.url.includes(')') ")
        );
        let src = "x = ctx => /^\\/api\\//.test(ctx.path)\n";
        assert_eq!(
            text_at(src, "ctx").as_deref(),
            Some("ctx => /^\\/api\\//.test(ctx.path)\n")
        );
    }

    #[test]
    fn block_bodies_skip_strings_templates_regexes_and_comments() {
        let src = r#"const c = {
  all(err, ctx) {
    // ctx.body = err.stack }
    const re = /}/g; const t = `a ${ {b: '}'}.b } c`;
    ctx.body = "}" + err.message;
  },
  other: 1,
};"#;
        let text = text_at(src, "(err, ctx)").unwrap();
        assert!(text.starts_with("(err, ctx) {"));
        assert!(text.ends_with("err.message;\n  }"));
        assert!(!text.contains("err.stack"), "comments are blanked: {text}");
        let src = "exports.x = async function handler(err) { if (a) { return b / 2; } } ;";
        assert_eq!(
            text_at(src, "async").as_deref(),
            Some("async function handler(err) { if (a) { return b / 2; } }")
        );
        let src = "x = ({ path }) => { return path.startsWith('/a'); }, y";
        assert_eq!(
            text_at(src, "({").as_deref(),
            Some("({ path }) => { return path.startsWith('/a'); }")
        );
    }

    #[test]
    fn unterminated_code_gives_none() {
        assert_eq!(text_at("f = function (a) { return 'x", "function"), None);
        assert_eq!(text_at("f = (a) => { a(", "(a)"), None);
    }

    #[test]
    fn offsets_count_characters() {
        let text = "é = 1;\n  ab(x) {}";
        assert_eq!(offset_of(text, 2, 3), Some(text.find("ab").unwrap()));
        assert_eq!(offset_of(text, 1, 1), Some(0));
        assert_eq!(offset_of(text, 3, 1), None);
    }

    #[test]
    fn reads_the_function_from_its_provenance() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/config.default.js"),
            "exports.security = {\n  csrf: { ignore: ctx => ctx.url.includes('/api') },\n};\n",
        )
        .unwrap();
        let prov = Provenance::new("config/config.default.js", 2, 19);
        assert_eq!(
            function_text(dir.path(), &prov).as_deref(),
            Some("ctx => ctx.url.includes('/api') ")
        );
        let absolute = dir.path().join("config/config.default.js");
        let prov = Provenance::new(absolute.to_string_lossy().into_owned(), 2, 19);
        assert!(function_text(Path::new("/elsewhere"), &prov).is_some());
        assert_eq!(
            function_text(dir.path(), &Provenance::synthetic("<embedded>")),
            None
        );
    }
}
