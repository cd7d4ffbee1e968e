//! The elements of an HTML page the grader reads (`<meta>`, `<script>`), found by a real HTML
//! tokenizer (html5gum, the WHATWG tokenizer state machine): markup inside comments, inside
//! script data (`document.write('<script src=…><\/script>')`), inside `<textarea>`/`<title>`
//! (RCDATA), `<style>`/`<xmp>`/`<iframe>` (raw text) and inside `<template>` contents is not an
//! element, exactly as in a browser's DOM. `<noscript>` content is parsed as markup, the way a
//! parser with scripting disabled (the reference's jsdom) builds it.

use html5gum::{DefaultEmitter, Token, Tokenizer};

/// One start tag: its name and attributes (names lowercased, first occurrence wins, character
/// references decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Element {
    /// The value of attribute `name` (ASCII case-insensitive), `Some("")` for a bare attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Stack for the tokenizer's thread. html5gum 0.9's attribute states call each other directly
/// (`inline_next_state`), so one start tag uses stack in proportion to its attribute count: a
/// hostile page with ~2,000 attributes on one tag overflowed a 2 MiB worker thread (found by
/// fuzzing, `tests/fuzz/regressions/http_response`). The stack is reserved address space; only
/// what a page really needs is touched.
const TOKENIZER_STACK: usize = 64 << 20;

/// More attributes than this on one tag is no page a browser user gets: tokenizing stops at such a
/// tag (what comes before it is read), which bounds the tokenizer's stack (about 3 KiB per
/// attribute in a debug build).
const MAX_ATTRIBUTES: usize = 4096;

/// Every element named in `wanted` (lowercase names), in document order.
pub fn elements(html: &str, wanted: &[&str]) -> Vec<Element> {
    let html = &html[..hostile_tag_start(html).unwrap_or(html.len())];
    let run = || {
        let mut out = Vec::new();
        collect(html, wanted, &mut out, 0);
        out
    };
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("eggsec-html".into())
            .stack_size(TOKENIZER_STACK)
            .spawn_scoped(s, run)
        {
            Ok(h) => h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had (a limit on threads or address space): tokenize here.
            Err(_) => run(),
        }
    })
}

/// Where the first start tag with more than [`MAX_ATTRIBUTES`] attributes begins, if any. A
/// linear scan: `<` + letter opens a tag, quoted values (after `=`) are skipped, `>` closes it.
fn hostile_tag_start(html: &str) -> Option<usize> {
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' || !b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        let start = i;
        let (mut attrs, mut prev_space, mut prev_eq) = (0usize, false, false);
        i += 1;
        while i < b.len() && b[i] != b'>' {
            let c = b[i];
            if (c == b'"' || c == b'\'') && prev_eq {
                i += b[i + 1..]
                    .iter()
                    .position(|&q| q == c)
                    .map_or(b.len(), |p| p + 2);
                prev_eq = false;
                prev_space = false;
                continue;
            }
            if c.is_ascii_whitespace() {
                prev_space = true;
            } else {
                if prev_space && c != b'=' && !prev_eq {
                    attrs += 1;
                    if attrs > MAX_ATTRIBUTES {
                        return Some(start);
                    }
                }
                prev_space = false;
                prev_eq = c == b'=';
            }
            i += 1;
        }
    }
    None
}

fn collect(html: &str, wanted: &[&str], out: &mut Vec<Element>, depth: usize) {
    let mut emitter = DefaultEmitter::default();
    // After <script>, <style>, <textarea>, <title>… the tokenizer switches to the state a tree
    // builder would put it in, so their content is text, not tags.
    emitter.naively_switch_states(true);
    let mut template_depth = 0usize;
    // The raw text of a <noscript> being read (html5gum treats it as raw text, as a browser
    // with scripting on does; the reference parses it as markup, so it is tokenized again).
    let mut noscript: Option<String> = None;
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if name == "template" {
                    template_depth += 1;
                    continue;
                }
                if template_depth > 0 {
                    continue;
                }
                if name == "noscript" && !tag.self_closing {
                    noscript = Some(String::new());
                    continue;
                }
                if wanted.contains(&name.as_str()) {
                    let attrs = tag
                        .attributes
                        .iter()
                        .map(|(k, v)| {
                            (
                                String::from_utf8_lossy(k).to_ascii_lowercase(),
                                String::from_utf8_lossy(&v.value).into_owned(),
                            )
                        })
                        .collect();
                    out.push(Element { name, attrs });
                }
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if name == "template" {
                    template_depth = template_depth.saturating_sub(1);
                } else if name == "noscript" {
                    if let Some(inner) = noscript.take() {
                        if depth < 8 {
                            collect(&inner, wanted, out, depth + 1);
                        }
                    }
                }
            }
            Token::String(s) => {
                if let Some(buf) = noscript.as_mut() {
                    buf.push_str(&String::from_utf8_lossy(&s));
                }
            }
            _ => {}
        }
    }
    if let Some(inner) = noscript {
        if depth < 8 {
            collect(&inner, wanted, out, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_tag_with_huge_attribute_counts_ends_the_read_without_overflowing() {
        let many: String = (0..200_000).map(|i| format!(" a{i}=\"x y>\"")).collect();
        let page = format!("<script src=\"/ok.js\"></script><script{many}></script><script src=\"/after.js\"></script>");
        // On a small thread, as the probe's workers are: no stack overflow.
        let found = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || super::elements(&page, &["script"]))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].attr("src"), Some("/ok.js"));
        // Ordinary tags, quoted values with spaces and `>` included, are read in full.
        let some: String = (0..300).map(|i| format!(" data-{i}=\"a b > c\"")).collect();
        let page = format!("<meta{some} content=\"x\"><script src=\"/after.js\"></script>");
        let found = super::elements(&page, &["meta", "script"]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].attr("content"), Some("x"));
    }
    use super::*;

    fn srcs(html: &str) -> Vec<String> {
        elements(html, &["script"])
            .into_iter()
            .filter_map(|e| e.attr("src").map(str::to_string))
            .collect()
    }

    #[test]
    fn only_real_elements_count() {
        let html = r#"<!doctype html><html><head>
<!-- <script src="https://evil.example/commented.js"></script> -->
<!-- <meta http-equiv="Content-Security-Policy" content="default-src 'none'"> -->
<script>document.write('<script src="https://evil.example/in-string.js"><\/script>');</script>
<title><script src="https://evil.example/title.js"></script></title>
</head><body>
<textarea><script src="https://evil.example/textarea.js"></script></textarea>
<style>/* <script src="https://evil.example/style.js"></script> */</style>
<template><script src="https://evil.example/template.js"></script></template>
<noscript><script src="https://cdn.example/noscript.js"></script></noscript>
<SCRIPT SRC="https://cdn.example/real.js" integrity="sha384-x"></SCRIPT>
</body></html>"#;
        assert_eq!(
            srcs(html),
            [
                "https://cdn.example/noscript.js",
                "https://cdn.example/real.js"
            ]
        );
        let real = elements(html, &["script"]).pop().unwrap();
        assert_eq!(real.attr("integrity"), Some("sha384-x"));
        assert!(elements(html, &["meta"]).is_empty());
    }

    #[test]
    fn attributes_are_decoded_and_first_wins() {
        let e = &elements(
            r#"<meta name=referrer content="no-referrer" content="unsafe-url"><meta http-equiv='Content-Security-Policy' content="default-src &apos;self&apos;">"#,
            &["meta"],
        );
        assert_eq!(e[0].attr("content"), Some("no-referrer"));
        assert_eq!(e[1].attr("content"), Some("default-src 'self'"));
        assert_eq!(e[1].attr("HTTP-EQUIV"), Some("Content-Security-Policy"));
    }
}
