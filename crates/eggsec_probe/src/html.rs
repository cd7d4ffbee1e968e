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

/// Every element named in `wanted` (lowercase names), in document order.
pub fn elements(html: &str, wanted: &[&str]) -> Vec<Element> {
    let mut out = Vec::new();
    collect(html, wanted, &mut out, 0);
    out
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
