//! npm version ordering for advisory matching: SemVer 2.0 precedence with osv-scalibr's
//! tolerance (a leading `v` or `=`, missing components count as 0, numbers of any size,
//! build metadata ignored). npm *range* syntax (`^`, `~`, `||`) is not handled here: OSV events
//! are explicit bounds (ranges from package.json go through `nodejs-semver`).

use std::cmp::Ordering;
use std::fmt;

/// One pre-release identifier: numeric identifiers sort before alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    Num(String),
    Alpha(String),
}

/// A parsed npm version. Equality and order follow SemVer precedence, not the raw text.
#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    /// Numeric core components without leading zeros (`"0"` stays `"0"`).
    core: Vec<String>,
    pre: Vec<Ident>,
}

impl Version {
    /// Parses `1.2.3`, `v1.2`, `2.0.0-alpha8`, `1.0.0+build.5`; `None` for anything else
    /// (empty, non-numeric components, ranges).
    pub fn parse(text: &str) -> Option<Version> {
        let raw = text.trim();
        let body = raw.strip_prefix('=').unwrap_or(raw).trim_start();
        let body = body.strip_prefix(['v', 'V']).unwrap_or(body);
        let body = body.split('+').next().unwrap_or("");
        let (core_text, pre_text) = match body.find('-') {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        if core_text.is_empty() {
            return None;
        }
        let mut core = Vec::with_capacity(3);
        for part in core_text.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            core.push(strip_zeros(part));
        }
        let mut pre = Vec::new();
        if let Some(pre_text) = pre_text {
            if pre_text.is_empty() {
                return None;
            }
            for id in pre_text.split('.') {
                if id.is_empty() {
                    return None;
                }
                if id.bytes().all(|b| b.is_ascii_digit()) {
                    pre.push(Ident::Num(strip_zeros(id)));
                } else {
                    pre.push(Ident::Alpha(id.to_string()));
                }
            }
        }
        Some(Version {
            raw: raw.to_string(),
            core,
            pre,
        })
    }

    /// The text it was parsed from.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The major component (saturating), for "major versions behind".
    pub fn major(&self) -> u64 {
        self.component(0)
    }

    /// The minor component (saturating).
    pub fn minor(&self) -> u64 {
        self.component(1)
    }

    /// The patch component (saturating).
    pub fn patch(&self) -> u64 {
        self.component(2)
    }

    /// Whether this is a pre-release (`1.0.0-beta.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    fn component(&self, i: usize) -> u64 {
        self.core
            .get(i)
            .map(|c| c.parse().unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

fn strip_zeros(digits: &str) -> String {
    let t = digits.trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        t.to_string()
    }
}

/// Compares two digit strings without leading zeros as numbers of any size.
fn cmp_num(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.core.len().max(other.core.len());
        for i in 0..n {
            let a = self.core.get(i).map(String::as_str).unwrap_or("0");
            let b = other.core.get(i).map(String::as_str).unwrap_or("0");
            match cmp_num(a, b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let o = match (a, b) {
                (Ident::Num(x), Ident::Num(y)) => cmp_num(x, y),
                (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
                (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
                (Ident::Alpha(x), Ident::Alpha(y)) => x.cmp(y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    /// `a < b` pairs, as osv-scalibr's version-ordering data files list them.
    const ORDER: &str = "
0 < 0.0.1
0.1.7 < 0.1.10
1.8.0 < 1.9.0
1.0.0-alpha < 1.0.0-alpha.1
1.0.0-alpha.1 < 1.0.0-alpha.beta
1.0.0-alpha.beta < 1.0.0-beta
1.0.0-beta < 1.0.0-beta.2
1.0.0-beta.2 < 1.0.0-beta.11
1.0.0-beta.11 < 1.0.0-rc.1
1.0.0-rc.1 < 1.0.0
2.0.0-alpha7 < 2.0.0-alpha8
2.0.0-alpha8 < 2.0.0-alpha9
2.0.0-alpha9 < 2.0.0
0.9.6 < 2.0.0-alpha7
2.0.0 < 2.0.1
1.2 < 1.2.1
v1.2.3 < 1.2.4
99999999999999999999.0.0 < 100000000000000000000.0.0
";

    #[test]
    fn order_table() {
        for line in ORDER.lines().filter(|l| !l.trim().is_empty()) {
            let (a, b) = line.split_once(" < ").unwrap();
            assert!(v(a) < v(b), "{a} < {b}");
            assert!(v(b) > v(a), "{b} > {a}");
        }
    }

    #[test]
    fn equal_forms() {
        assert_eq!(v("1.2"), v("1.2.0"));
        assert_eq!(v("v1.2.3"), v("1.2.3"));
        assert_eq!(v("1.2.3+build.7"), v("1.2.3"));
        assert_eq!(v("01.2.3"), v("1.2.3"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "^1.2.3",
            "1.x",
            "latest",
            "1..2",
            "1.2.3-",
            "a.b.c",
            "1.2.3-a..b",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }
}
