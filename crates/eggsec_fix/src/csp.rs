//! A Content-Security-Policy derived from what the app's views load: the origins of their
//! `<script src>`, stylesheets, images, fonts and `fetch`/XHR URLs, `'self'` for local paths;
//! `object-src 'none'`, `base-uri 'self'`, `form-action 'self'`, `frame-ancestors 'self'`.
//! Inline `<script>` blocks get egg-security's nonce (`ctx.nonce`, which egg-security adds to
//! `script-src` by itself) through a `nonce` attribute in the view.

use crate::write::{match_line_endings, read};
use crate::{FileChange, FixError};
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The derived policy, directive → sources, in a fixed order.
#[derive(Debug, Default, PartialEq)]
pub struct Derived {
    pub policy: Vec<(String, Vec<String>)>,
    /// Some view has an inline `<script>`.
    pub inline_scripts: bool,
}

static SCRIPT_SRC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']"#).unwrap());
static INLINE_SCRIPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<script\b([^>]*)>"#).unwrap());
static STYLE_HREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<link\b[^>]*\brel\s*=\s*["']?stylesheet["']?[^>]*\bhref\s*=\s*["']([^"']+)["']|<link\b[^>]*\bhref\s*=\s*["']([^"']+)["'][^>]*\brel\s*=\s*["']?stylesheet"#).unwrap()
});
static IMG_SRC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']"#).unwrap());
static FETCH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)(?:fetch|axios\.(?:get|post|put|delete)|\.open)\(\s*(?:["'][A-Z]+["']\s*,\s*)?["'`]((?:https?:)?//[^"'`]+)"#).unwrap()
});
static FONT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)url\(\s*["']?((?:https?:)?//[^"')]+\.(?:woff2?|ttf|otf|eot))"#).unwrap()
});

const VIEW_EXTS: &[&str] = &[
    "html", "htm", "nj", "njk", "tpl", "ejs", "hbs", "pug", "vue",
];

/// Every view file of the app (`app/view/**`), sorted.
fn view_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("app/view")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file()
                && p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| VIEW_EXTS.contains(&x))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `https://cdn.example.com/a.js` → `https://cdn.example.com`; local paths → `'self'`;
/// template expressions → nothing.
fn origin(url: &str) -> Option<String> {
    let url = url.trim();
    if url.contains("{{") || url.contains("<%") || url.contains("${") {
        return None;
    }
    if let Some(rest) = url.strip_prefix("//") {
        let host = rest.split(['/', '?', '#']).next()?;
        return (!host.is_empty()).then(|| format!("https://{host}"));
    }
    for scheme in ["https://", "http://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let host = rest.split(['/', '?', '#']).next()?;
            return (!host.is_empty()).then(|| format!("{scheme}{host}"));
        }
    }
    if url.starts_with("data:") {
        return Some("data:".into());
    }
    Some("'self'".into())
}

/// The policy for the app at `root`.
pub fn derive(root: &Path) -> Derived {
    let mut script = BTreeSet::new();
    let mut style = BTreeSet::new();
    let mut img = BTreeSet::new();
    let mut connect = BTreeSet::new();
    let mut font = BTreeSet::new();
    let mut inline = false;
    let mut texts: Vec<String> = view_files(root)
        .iter()
        .filter_map(|p| eggsec_report::input::read_text_limited(p, 8 << 20).ok())
        .collect();
    for dir in ["app/public", "app/assets"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p
                    .extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| x == "js" || x == "css")
                {
                    if let Ok(t) = eggsec_report::input::read_text_limited(&p, 8 << 20) {
                        texts.push(t);
                    }
                }
            }
        }
    }
    for t in &texts {
        for c in SCRIPT_SRC.captures_iter(t) {
            script.extend(origin(&c[1]));
        }
        for c in INLINE_SCRIPT.captures_iter(t) {
            if !c[1].to_ascii_lowercase().contains("src") {
                inline = true;
            }
        }
        for c in STYLE_HREF.captures_iter(t) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                style.extend(origin(m.as_str()));
            }
        }
        for c in IMG_SRC.captures_iter(t) {
            img.extend(origin(&c[1]));
        }
        for c in FETCH.captures_iter(t) {
            connect.extend(origin(&c[1]));
        }
        for c in FONT.captures_iter(t) {
            font.extend(origin(&c[1]));
        }
    }
    let with_self = |set: BTreeSet<String>| -> Vec<String> {
        let mut v = vec!["'self'".to_string()];
        v.extend(set.into_iter().filter(|s| s != "'self'"));
        v
    };
    Derived {
        policy: vec![
            ("default-src".into(), vec!["'self'".into()]),
            ("script-src".into(), with_self(script)),
            ("style-src".into(), with_self(style)),
            ("img-src".into(), with_self(img)),
            ("connect-src".into(), with_self(connect)),
            ("font-src".into(), with_self(font)),
            ("object-src".into(), vec!["'none'".into()]),
            ("base-uri".into(), vec!["'self'".into()]),
            ("form-action".into(), vec!["'self'".into()]),
            ("frame-ancestors".into(), vec!["'self'".into()]),
        ],
        inline_scripts: inline,
    }
}

/// Adds `nonce="{{ ctx.nonce }}"` (`<%= ctx.nonce %>` in EJS) to inline `<script>` tags of
/// the views that have none.
pub fn nonce_view_edits(root: &Path) -> Result<Vec<FileChange>, FixError> {
    let mut out = Vec::new();
    for p in view_files(root) {
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        let attr = match ext {
            "ejs" => "nonce=\"<%= ctx.nonce %>\"",
            "html" | "htm" | "nj" | "njk" | "tpl" => "nonce=\"{{ ctx.nonce }}\"",
            _ => continue,
        };
        let r = read(&p)?;
        let new = INLINE_SCRIPT.replace_all(&r.text, |c: &regex::Captures<'_>| {
            let attrs = &c[1];
            let lower = attrs.to_ascii_lowercase();
            if lower.contains("src")
                || lower.contains("nonce")
                || lower.contains("application/json")
            {
                c[0].to_string()
            } else {
                format!("<script {attr}{attrs}>")
            }
        });
        if new != r.text {
            out.push(FileChange {
                path: p.clone(),
                shown: eggsec_fs::rel_string(root, &p),
                new: match_line_endings(&r.text, &new),
                read: Some(r),
                reasons: vec!["HDR003".into()],
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_from_views() {
        let dir = tempfile::tempdir().unwrap();
        let view = dir.path().join("app/view");
        std::fs::create_dir_all(&view).unwrap();
        std::fs::write(
            view.join("home.nj"),
            "<link rel=\"stylesheet\" href=\"https://cdn.example.com/a.css\">\n<script src=\"/public/app.js\"></script>\n<script src=\"//js.example.org/x.js\"></script>\n<img src=\"https://img.example.net/a.png\">\n<script>\n  fetch('https://api.example.com/v1');\n</script>\n",
        )
        .unwrap();
        let d = derive(dir.path());
        let get = |k: &str| d.policy.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("script-src"), ["'self'", "https://js.example.org"]);
        assert_eq!(get("style-src"), ["'self'", "https://cdn.example.com"]);
        assert_eq!(get("img-src"), ["'self'", "https://img.example.net"]);
        assert_eq!(get("connect-src"), ["'self'", "https://api.example.com"]);
        assert!(d.inline_scripts);
        let edits = nonce_view_edits(dir.path()).unwrap();
        assert_eq!(edits.len(), 1);
        assert!(edits[0]
            .new
            .contains("<script nonce=\"{{ ctx.nonce }}\">\n  fetch"));
        assert!(edits[0].new.contains("<script src=\"/public/app.js\">"));
    }
}
