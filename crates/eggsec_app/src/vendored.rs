//! Vendored and browser code: files an Egg.js app serves to browsers or copied in from a
//! library (`app/public/**`, `app/assets/**`, `*.min.js`, webpack/rollup bundles, minified files
//! with very long lines). They are never analysed as server code, and never count as evidence
//! that a plugin is used (`app/public/libs/jquery.js: s.jsonp` says nothing about egg-jsonp).
//!
//! One decision, shared by every walker of the app's code: [`is_vendored_dir`] for a directory
//! (by its path relative to the app root), [`is_vendored_name`] for a file name, and
//! [`is_vendored_text`] for a file's contents.

use std::path::Path;

/// Directory names that hold browser or third-party code wherever they appear below the app.
const VENDOR_DIR_NAMES: &[&str] = &["node_modules", "bower_components", "vendor", "vendors"];

/// Directories directly under `app/` that egg-static serves or that hold front-end sources.
const APP_BROWSER_DIRS: &[&str] = &["public", "assets", "view", "web", "static"];

/// True for a directory (path relative to the app or plugin root, `/` or `\` separated)
/// that holds browser or vendored code: `app/public`, `app/assets`, `app/view`, `app/web`,
/// `app/static`, and `node_modules`, `bower_components`, `vendor`, `vendors` anywhere.
pub fn is_vendored_dir(rel: &Path) -> bool {
    // (a name that is not UTF-8 is none of these ASCII names)
    let mut after_app = false;
    for c in rel.components() {
        let name = c.as_os_str().to_str();
        if name.is_some_and(|n| {
            VENDOR_DIR_NAMES.contains(&n) || (after_app && APP_BROWSER_DIRS.contains(&n))
        }) {
            return true;
        }
        after_app = name == Some("app");
    }
    false
}

/// True for a file name that says it is built or vendored: `*.min.js`, `*.bundle.js`,
/// `*.chunk.js`, `*.umd.js`, `*-bundle.js`, `*.packed.js` (any JS extension).
pub fn is_vendored_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let Some(stem) = [".js", ".mjs", ".cjs"]
        .iter()
        .find_map(|ext| lower.strip_suffix(ext))
    else {
        return false;
    };
    [
        ".min", ".bundle", ".chunk", ".umd", "-bundle", ".packed", ".prod",
    ]
    .iter()
    .any(|s| stem.ends_with(s))
}

/// A line this long is minified or generated code, not something a person wrote.
const LONG_LINE: usize = 2000;
/// A file whose lines average this long is minified.
const LONG_AVERAGE: usize = 300;

/// Bootstraps of webpack and browserify bundles. Both webpack marks hold `webpack`: one SIMD
/// pass for that word (each hit checked for either mark) and one for browserify's prelude,
/// not a pass per mark.
const WEBPACK_MARKS: [&str; 2] = ["webpackBootstrap", "__webpack_require__"];
const BROWSERIFY_MARK: &str = "(function(){function r(e,n,t){function o(i,f)";
static BUNDLE_FINDERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 2]> =
    std::sync::LazyLock::new(|| {
        [
            memchr::memmem::Finder::new("webpack"),
            memchr::memmem::Finder::new(BROWSERIFY_MARK),
        ]
    });

/// Whether `text` holds one of the bundle marks.
fn has_bundle_mark(text: &[u8]) -> bool {
    let [webpack, browserify] = &*BUNDLE_FINDERS;
    webpack.find_iter(text).any(|i| {
        WEBPACK_MARKS.iter().any(|m| {
            let at = m.find("webpack").unwrap_or(0);
            i >= at && text[i - at..].starts_with(m.as_bytes())
        })
    }) || browserify.find(text).is_some()
}

/// True for contents that are a build output or minified: a webpack/rollup/browserify
/// bootstrap, or very long lines (one of at least 2000 characters in a file whose lines
/// average 300 or more, or any line of 20000). Only the first 256 KB are looked at.
pub fn is_vendored_text(text: &str) -> bool {
    const HEAD_CHARS: usize = 256 * 1024;
    // a text of at most that many bytes has at most that many characters
    let head = match (text.len() > HEAD_CHARS)
        .then(|| text.char_indices().nth(HEAD_CHARS))
        .flatten()
    {
        Some((i, _)) => &text[..i],
        None => text,
    };
    if head.starts_with("/******/") || has_bundle_mark(head.as_bytes()) {
        return true;
    }
    if !may_have_long_line(head.as_bytes()) {
        return false;
    }
    let (lines, longest) = line_stats(head);
    if longest >= 10 * LONG_LINE {
        return true;
    }
    lines > 0 && longest >= LONG_LINE && head.len() / lines >= LONG_AVERAGE
}

/// False when no line of `bytes` can reach [`LONG_LINE`]: every whole block of half that many
/// bytes (from the start) holds a line break, and a line of `LONG_LINE` bytes would hold a
/// whole block. One `memchr` per block instead of one per line (most files are short-lined).
fn may_have_long_line(bytes: &[u8]) -> bool {
    bytes
        .chunks_exact(LONG_LINE / 2)
        .any(|block| memchr::memchr(b'\n', block).is_none())
}

/// How many lines `text.lines()` gives and the longest one's length in bytes (a line ends at
/// `\n` or `\r\n`), counted over bytes.
fn line_stats(text: &str) -> (usize, usize) {
    let bytes = text.as_bytes();
    let (mut lines, mut longest, mut start) = (0usize, 0usize, 0usize);
    for i in memchr::memchr_iter(b'\n', bytes) {
        let end = if i > start && bytes[i - 1] == b'\r' {
            i - 1
        } else {
            i
        };
        lines += 1;
        longest = longest.max(end - start);
        start = i + 1;
    }
    if start < bytes.len() {
        lines += 1;
        longest = longest.max(bytes.len() - start);
    }
    (lines, longest)
}

/// [`is_vendored_name`] or [`is_vendored_text`] for a file on disk (read errors: not vendored,
/// the caller reports them).
pub fn is_vendored_file(path: &Path, text: &str) -> bool {
    path.file_name()
        .is_some_and(|n| is_vendored_name(&n.to_string_lossy()))
        || is_vendored_text(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_dirs_under_app_and_vendor_dirs_anywhere() {
        for d in [
            "app/public",
            "app/public/libs",
            "app/assets/js",
            "app/view",
            "lib/plugin/egg-x/app/public",
            "lib/vendor",
            "app/service/node_modules/x",
        ] {
            assert!(is_vendored_dir(Path::new(d)), "{d}");
        }
        for d in [
            "app",
            "app/service/public",
            "app/controller",
            "lib/plugin/egg-x/app",
        ] {
            assert!(!is_vendored_dir(Path::new(d)), "{d}");
        }
    }

    #[test]
    fn built_file_names() {
        for n in [
            "jquery.min.js",
            "app.bundle.js",
            "1.chunk.js",
            "vue.umd.js",
            "X.MIN.JS",
        ] {
            assert!(is_vendored_name(n), "{n}");
        }
        for n in ["minify.js", "bundle.js", "admin.ts", "chunk.js", "min.js"] {
            assert!(!is_vendored_name(n), "{n}");
        }
    }

    #[test]
    fn lines_are_counted_as_str_lines_counts_them() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nbb\r\n",
            "a\rb\n\r",
            "\r\n\r\n",
            "x\n\nyyy\r",
            "\r",
            "é\r\n",
        ] {
            let want = (
                text.lines().count(),
                text.lines().map(str::len).max().unwrap_or(0),
            );
            assert_eq!(line_stats(text), want, "{text:?}");
        }
    }

    #[test]
    fn a_long_line_is_never_missed_by_the_block_check() {
        // lines of every length around the limits, in many orders (xorshift), with `\n` and
        // `\r\n` ends: the block check says "maybe" whenever a line is that long
        let lens = [
            0,
            1,
            30,
            LONG_LINE / 2 - 1,
            LONG_LINE / 2,
            LONG_LINE - 2,
            LONG_LINE - 1,
            LONG_LINE,
            LONG_LINE + 1,
            3 * LONG_LINE,
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut long_seen = 0;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(seed % 7) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(&"x".repeat(lens[(seed % lens.len() as u64) as usize]));
                text.push_str(if seed & 64 == 0 { "\n" } else { "\r\n" });
            }
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            text.push_str(&"y".repeat(lens[(seed % lens.len() as u64) as usize]));
            let (_, longest) = line_stats(&text);
            if longest >= LONG_LINE {
                long_seen += 1;
                assert!(may_have_long_line(text.as_bytes()), "{longest}");
            }
        }
        assert!(long_seen > 500);
    }

    #[test]
    fn minified_and_bundled_text() {
        let minified = format!("!function(e){{{}}}(window);\n", "var a=1;".repeat(400));
        assert!(is_vendored_text(&minified));
        assert!(is_vendored_text(
            "/******/ (function(modules) { // webpackBootstrap\n"
        ));
        // A hand-written file with one long data line among normal lines is server code.
        let mut server = String::from("'use strict';\n");
        for i in 0..200 {
            server.push_str(&format!("exports.f{i} = ctx => ctx.body = {i};\n"));
        }
        server.push_str(&format!("exports.logo = '{}';\n", "A".repeat(3000)));
        assert!(!is_vendored_text(&server));
        assert!(!is_vendored_text(""));
        // every bundle mark, anywhere in the text; a near miss is not one
        for mark in [WEBPACK_MARKS[0], WEBPACK_MARKS[1], BROWSERIFY_MARK] {
            assert!(is_vendored_text(&format!(
                "'use strict';\nconst a = 1; {mark}\n"
            )));
            for near in [&mark[..mark.len() - 1], &mark[1..]] {
                assert!(
                    !is_vendored_text(&format!("'use strict';\n{near}\n")),
                    "{near}"
                );
            }
            // after a near miss on the same line
            assert!(is_vendored_text(&format!("webpack; {}{mark}", &mark[1..])));
        }
        assert!(!is_vendored_text("const x = '/******/';\n"));
    }
}
