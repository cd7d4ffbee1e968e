//! Scans response bodies and headers for what an error page must not tell a client: stack
//! traces, server file paths, SQL error text, software versions.

use regex::Regex;
use std::sync::OnceLock;

/// What kind of detail leaked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeakKind {
    StackTrace,
    FilePath,
    SqlError,
    Version,
}

/// One leak, with the matched text (shortened) as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub kind: LeakKind,
    pub excerpt: String,
}

struct Patterns {
    stack: Regex,
    path: Regex,
    sql: Regex,
    version: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        // `    at fn (/srv/app/x.js:1:2)`, `at /x.js:1:2`, `at async X (...)`, also HTML-escaped.
        stack: Regex::new(
            // ... or a frame as egg-onerror's development page lists it (`app/x.js:22:11`).
            r"(?m)\bat (?:async )?(?:[\w$.<>\[\] ]+ )?\(?(?:/|[A-Za-z]:\\|node:|file://)[^\s()]*:\d+:\d+\)?|[\w@.-]+(?:/[\w@.-]+)+\.(?:m?js|cjs|ts):\d+:\d+",
        )
        .expect("regex"),
        path: Regex::new(
            r#"(?:/(?:home|Users|root|srv|opt|var/www|usr/src|app|tmp|private/var)/[^\s"'<>:)]+|[A-Za-z]:\\(?:Users|www|inetpub|app)\\[^\s"'<>:)]+|[^\s"'<>]*node_modules/[^\s"'<>:)]+)"#,
        )
        .expect("regex"),
        sql: Regex::new(
            r"(?i)(?:ER_[A-Z_]{4,}|you have an error in your sql syntax|SQLITE_[A-Z]+|syntax error at or near|unterminated quoted string|ORA-\d{5}|SequelizeDatabaseError|QueryFailedError|PG::[A-Za-z]+Error|mysql_fetch|sqlMessage|Unknown column '[^']*')",
        )
        .expect("regex"),
        version: Regex::new(
            r"(?i)(?:\b(?:egg|koa|express|node(?:\.js)?|nginx|apache|openresty|tengine|php)[/@ ]v?\d+\.\d+(?:\.\d+)?\b)",
        )
        .expect("regex"),
    })
}

fn excerpt(text: &str, start: usize, end: usize) -> String {
    let s = text[start..end].trim();
    let mut out: String = s.chars().take(160).collect();
    if s.chars().count() > 160 {
        out.push('…');
    }
    out
}

/// Decodes the HTML entities error pages use (`&#x2F;`, `&#47;`, `&quot;`, ...), so an
/// escaped stack trace is still seen.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let num = ent.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every kind of leak in `text` (at most one excerpt per kind); HTML entities are decoded first.
pub fn scan(text: &str) -> Vec<Leak> {
    let decoded = decode_entities(text);
    let text = decoded.as_str();
    let p = patterns();
    let mut out = Vec::new();
    for (kind, re) in [
        (LeakKind::StackTrace, &p.stack),
        (LeakKind::FilePath, &p.path),
        (LeakKind::SqlError, &p.sql),
        (LeakKind::Version, &p.version),
    ] {
        if let Some(m) = re.find(text) {
            out.push(Leak {
                kind,
                excerpt: excerpt(text, m.start(), m.end()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_node_stacks_paths_sql_versions() {
        let body = "Error: boom\n    at HomeController.index (/srv/app/app/controller/home.js:7:11)\n    at async /srv/app/node_modules/koa-compose/index.js:42:32";
        let kinds: Vec<LeakKind> = scan(body).into_iter().map(|l| l.kind).collect();
        assert!(kinds.contains(&LeakKind::StackTrace));
        assert!(kinds.contains(&LeakKind::FilePath));
        assert_eq!(
            scan("ER_PARSE_ERROR: You have an error in your SQL syntax")[0].kind,
            LeakKind::SqlError
        );
        assert_eq!(scan("Server: nginx/1.25.3")[0].kind, LeakKind::Version);
        assert!(scan("{\"code\":\"invalid_param\",\"message\":\"Validation Failed\"}").is_empty());
        assert!(scan("<h1>404 Not Found</h1>").is_empty());
        let html = "<td>at HomeController.boom (&#x2F;srv&#x2F;app&#x2F;home.js:22:11)</td>";
        assert_eq!(scan(html)[0].kind, LeakKind::StackTrace);
        let youch = "<div class=\"frame-row-filepath\">app&#x2F;app&#x2F;controller&#x2F;home.js:22:11</div>";
        assert_eq!(scan(youch)[0].kind, LeakKind::StackTrace);
        assert_eq!(
            decode_entities("a &amp; b &#47; &bogus; &"),
            "a & b / &bogus; &"
        );
    }
}
