//! Response headers as the wire carried them, with Node's merge rule for graders, and
//! `Set-Cookie` parsing.

use serde::Serialize;

/// The header lines of one response, in wire order, names lowercased. Repeated headers stay
/// separate lines here; [`Headers::merged`] joins them the way Node's HTTP client does, which
/// is what the Mozilla HTTP Observatory grades.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Headers {
    pub lines: Vec<(String, String)>,
}

impl Headers {
    /// Builds headers from `(name, value)` pairs (names are lowercased).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        Headers {
            lines: pairs
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_ascii_lowercase(), v.into()))
                .collect(),
        }
    }

    /// Every value of `name`, in wire order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// How many lines carry `name`.
    pub fn count(&self, name: &str) -> usize {
        self.all(name).len()
    }

    pub fn has(&self, name: &str) -> bool {
        self.count(name) > 0
    }

    /// The value as Node's HTTP client reports it: repeated lines joined by `", "`
    /// (`SAMEORIGIN, SAMEORIGIN`). `None` when the header is absent.
    pub fn merged(&self, name: &str) -> Option<String> {
        let all = self.all(name);
        (!all.is_empty()).then(|| all.join(", "))
    }

    /// Names (lowercased) that appear on more than one line, except `set-cookie`.
    pub fn duplicated(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut dups: Vec<String> = Vec::new();
        for (k, _) in &self.lines {
            if k == "set-cookie" {
                continue;
            }
            if seen.contains(k) {
                if !dups.contains(k) {
                    dups.push(k.clone());
                }
            } else {
                seen.push(k.clone());
            }
        }
        dups
    }
}

/// One parsed `Set-Cookie` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    pub secure: bool,
    pub http_only: bool,
    /// The raw `SameSite` attribute value (`Some("")` for a bare `SameSite`).
    pub same_site: Option<String>,
    pub domain: Option<String>,
    pub path: Option<String>,
    pub max_age: Option<i64>,
    pub expires: Option<String>,
    /// The raw line, for evidence.
    pub raw: String,
}

impl SetCookie {
    /// Parses one `Set-Cookie` value; `None` when it has no `name=`.
    pub fn parse(raw: &str) -> Option<SetCookie> {
        let mut parts = raw.split(';');
        let first = parts.next()?.trim();
        let (name, value) = first.split_once('=')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let mut c = SetCookie {
            name: name.to_string(),
            value: value.trim().to_string(),
            secure: false,
            http_only: false,
            same_site: None,
            domain: None,
            path: None,
            max_age: None,
            expires: None,
            raw: raw.to_string(),
        };
        for attr in parts {
            let (k, v) = match attr.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (attr.trim(), None),
            };
            match k.to_ascii_lowercase().as_str() {
                "secure" => c.secure = true,
                "httponly" => c.http_only = true,
                "samesite" => c.same_site = Some(v.unwrap_or("").to_string()),
                "domain" => c.domain = v.map(str::to_string),
                "path" => c.path = v.map(str::to_string),
                "max-age" => c.max_age = v.and_then(|v| v.parse().ok()),
                "expires" => c.expires = v.map(str::to_string),
                _ => {}
            }
        }
        Some(c)
    }

    /// The `SameSite` value a browser's jar keeps: `lax`, `strict` or `none`; `None` when the
    /// attribute is absent, empty or unknown.
    pub fn same_site_token(&self) -> Option<&'static str> {
        match self
            .same_site
            .as_deref()
            .map(|v| v.trim().to_ascii_lowercase())
        {
            Some(v) if v == "lax" => Some("lax"),
            Some(v) if v == "strict" => Some("strict"),
            Some(v) if v == "none" => Some("none"),
            _ => None,
        }
    }

    /// `SameSite` is present with a known value (lax, strict, none).
    pub fn same_site_valid(&self) -> bool {
        self.same_site.as_deref().is_some_and(|v| {
            ["lax", "strict", "none"]
                .iter()
                .any(|x| v.eq_ignore_ascii_case(x))
        })
    }

    /// Whether a browser (and tough-cookie with `prefixSecurity: 'silent'`) keeps the cookie
    /// under the `__Secure-` / `__Host-` prefix rules.
    pub fn prefix_ok(&self) -> bool {
        if self.name.starts_with("__Secure-") {
            return self.secure;
        }
        if self.name.starts_with("__Host-") {
            return self.secure && self.domain.is_none() && self.path.as_deref() == Some("/");
        }
        true
    }
}

/// The cookies a jar would hold after these `Set-Cookie` lines: parsed, prefix violators
/// dropped, a later cookie of the same name replacing an earlier one.
pub fn cookie_jar<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<SetCookie> {
    let mut jar: Vec<SetCookie> = Vec::new();
    for line in lines {
        let Some(c) = SetCookie::parse(line) else {
            continue;
        };
        if !c.prefix_ok() {
            continue;
        }
        jar.retain(|o| o.name != c.name);
        jar.push(c);
    }
    jar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_like_node() {
        let h = Headers::from_pairs([
            ("X-Frame-Options", "SAMEORIGIN"),
            ("x-frame-options", "SAMEORIGIN"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ]);
        assert_eq!(
            h.merged("x-frame-options").as_deref(),
            Some("SAMEORIGIN, SAMEORIGIN")
        );
        assert_eq!(h.duplicated(), vec!["x-frame-options".to_string()]);
        assert_eq!(h.merged("nope"), None);
    }

    #[test]
    fn parses_egg_cookies() {
        let c = SetCookie::parse("csrfToken=abc; path=/").unwrap();
        assert!(!c.secure && !c.http_only && c.same_site.is_none());
        let s = SetCookie::parse(
            "EGG_SESS=x; path=/; max-age=86400; expires=Thu, 01 Jan 2026 00:00:00 GMT; samesite=lax; secure; httponly",
        )
        .unwrap();
        assert!(s.secure && s.http_only && s.same_site_valid());
        assert_eq!(s.max_age, Some(86400));
        assert!(SetCookie::parse("garbage").is_none());
        assert!(!SetCookie::parse("a=1; SameSite").unwrap().same_site_valid());
    }

    #[test]
    fn jar_drops_prefix_violators_and_keeps_last() {
        let jar = cookie_jar([
            "__Host-a=1; Path=/; Domain=x.com; Secure",
            "b=1",
            "b=2; Secure",
        ]);
        assert_eq!(jar.len(), 1);
        assert_eq!(jar[0].value, "2");
    }
}
