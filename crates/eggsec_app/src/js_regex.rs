//! A JavaScript `RegExp` evaluated in Rust: the `match`/`ignore` patterns of egg's middleware
//! options, `ctx.path` tests in middleware, CSRF exemptions.
//!
//! The `regex` crate runs most JS patterns as they are; the ones it refuses are mostly the
//! lookarounds apps write to exempt a few paths from a global middleware
//! (`match: /^\/(?!login|reg).*$/`, egg-jwt's usual shape) and backreferences. Those go to
//! `fancy-regex`, which has them. A pattern neither compiles, or one whose backtracking hits
//! fancy-regex's limit on a given path, stays unknown (`None`): callers then say the route's
//! chain is not statically known rather than guessing.

/// A compiled JS `RegExp` (`source` and `flags` as written between the slashes and after).
#[derive(Debug)]
pub enum JsRegex {
    Plain(regex::Regex),
    Fancy(Box<fancy_regex::Regex>),
}

impl JsRegex {
    /// The flags that change matching (`i`, `m`, `s`) become inline flags; `g`, `y`, `u`, `d`
    /// do not change whether `test` on a fresh RegExp matches.
    pub fn new(source: &str, flags: &str) -> Option<JsRegex> {
        let mut src = String::with_capacity(source.len() + 8);
        for (flag, inline) in [('i', "(?i)"), ('m', "(?m)"), ('s', "(?s)")] {
            if flags.contains(flag) {
                src.push_str(inline);
            }
        }
        src.push_str(source);
        Self::compile(&src)
    }

    /// A pattern already carrying its inline flags (`(?i)^/api`).
    pub fn compile(src: &str) -> Option<JsRegex> {
        match regex::Regex::new(src) {
            Ok(re) => Some(JsRegex::Plain(re)),
            Err(_) => fancy_regex::Regex::new(src)
                .ok()
                .map(|re| JsRegex::Fancy(Box::new(re))),
        }
    }

    /// `RegExp.prototype.test(s)`; `None` when the backtracking limit was hit.
    pub fn test(&self, s: &str) -> Option<bool> {
        match self {
            JsRegex::Plain(re) => Some(re.is_match(s)),
            JsRegex::Fancy(re) => re.is_match(s).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookaheads_that_exempt_paths() {
        // egg-jwt's `match` in real apps: every path but the login and sign-up ones
        let re = JsRegex::new(r"^\/(?!login|reg).*$", "").unwrap();
        assert!(matches!(re, JsRegex::Fancy(_)));
        assert_eq!(re.test("/me"), Some(true));
        assert_eq!(re.test("/user/add"), Some(true));
        assert_eq!(re.test("/login"), Some(false));
        assert_eq!(re.test("/reg"), Some(false));
        // a lookbehind, and a backreference
        let re = JsRegex::new(r"(?<!\/public)\/api", "").unwrap();
        assert_eq!(re.test("/v1/api/x"), Some(true));
        assert_eq!(re.test("/public/api/x"), Some(false));
        let re = JsRegex::new(r"^\/(\w+)\/\1$", "").unwrap();
        assert_eq!(re.test("/a/a"), Some(true));
        assert_eq!(re.test("/a/b"), Some(false));
    }

    #[test]
    fn flags_and_plain_patterns() {
        let re = JsRegex::new(r"^/API", "i").unwrap();
        assert!(matches!(re, JsRegex::Plain(_)));
        assert_eq!(re.test("/api/x"), Some(true));
        assert_eq!(
            JsRegex::new(r"^/API", "g").unwrap().test("/api"),
            Some(false)
        );
        // not a pattern either engine reads
        assert!(JsRegex::new(r"(?<", "").is_none());
    }
}
