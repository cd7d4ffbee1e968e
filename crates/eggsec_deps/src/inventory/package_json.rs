//! The app's own `package.json`: declared dependency ranges (prod, dev, optional) and the
//! framework it names (`egg.framework`).

use super::ExtractError;
use std::path::Path;

/// What eggsec reads from the app's package.json.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub name: String,
    pub dependencies: Vec<(String, String)>,
    pub dev_dependencies: Vec<(String, String)>,
    pub optional_dependencies: Vec<(String, String)>,
    /// `egg.framework`, when set.
    pub frameworks: Vec<String>,
    /// The whole document.
    pub raw: serde_json::Value,
}

impl Manifest {
    /// Reads `root/package.json`.
    pub fn read(root: &Path) -> Result<Manifest, ExtractError> {
        let path = root.join("package.json");
        let text = super::read_text(&path, "package.json")?;
        Self::parse(&text)
    }

    /// Parses package.json text.
    pub fn parse(text: &str) -> Result<Manifest, ExtractError> {
        let raw: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ExtractError::new("package.json", format!("not valid JSON: {e}")))?;
        let deps = |key: &str| -> Vec<(String, String)> {
            raw.get(key)
                .and_then(|d| d.as_object())
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            let spec = v.as_str().unwrap_or("");
                            (k.clone(), super::without_credentials(spec))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let frameworks = raw["egg"]["framework"]
            .as_str()
            .map(|f| vec![f.to_string()])
            .unwrap_or_default();
        Ok(Manifest {
            name: raw["name"].as_str().unwrap_or("").to_string(),
            dependencies: deps("dependencies"),
            dev_dependencies: deps("devDependencies"),
            optional_dependencies: deps("optionalDependencies"),
            frameworks,
            raw,
        })
    }

    /// Every declared dependency as (name, range, dev); a name in both lists counts as prod.
    pub fn declared(&self) -> Vec<(String, String, bool)> {
        let mut out: Vec<(String, String, bool)> = self
            .dependencies
            .iter()
            .chain(&self.optional_dependencies)
            .map(|(n, r)| (n.clone(), r.clone(), false))
            .collect();
        for (n, r) in &self.dev_dependencies {
            if !out.iter().any(|(m, _, _)| m == n) {
                out.push((n.clone(), r.clone(), true));
            }
        }
        out
    }
}

/// Whether `version` satisfies the npm range `range`. Specs that are not semver ranges
/// (git URLs, `file:`, `workspace:`, `npm:` aliases, tags) are not judged: `true`.
pub fn range_allows(range: &str, version: &str) -> bool {
    let range = range.trim();
    if range.is_empty()
        || range == "*"
        || range == "latest"
        || range.contains(':')
        || range.contains('/')
    {
        return true;
    }
    let (Ok(r), Ok(v)) = (
        nodejs_semver::Range::parse(range),
        nodejs_semver::Version::parse(version),
    ) else {
        return true;
    };
    v.satisfies(&r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(range_allows("^3.0.0", "3.34.0"));
        assert!(!range_allows("^3.0.0", "2.37.0"));
        assert!(range_allows("~1.2 || ^2", "2.5.0"));
        assert!(range_allows("github:eggjs/egg", "3.0.0"));
        assert!(range_allows("npm:egg@^3", "3.0.0"));
    }

    #[test]
    fn declared_and_framework() {
        let m = Manifest::parse(
            r#"{"name":"a","egg":{"framework":"yadan"},"dependencies":{"egg":"^3","yadan":"^1"},
               "devDependencies":{"egg-bin":"^6","egg":"^3"}}"#,
        )
        .unwrap();
        assert_eq!(m.frameworks, ["yadan"]);
        let d = m.declared();
        assert_eq!(d.len(), 3);
        assert!(d.iter().any(|(n, _, dev)| n == "egg-bin" && *dev));
        assert!(d.iter().any(|(n, _, dev)| n == "egg" && !*dev));
    }

    #[test]
    fn bad_json_names_the_file() {
        let e = Manifest::parse("{\"name\": ").unwrap_err();
        assert!(
            e.to_string().starts_with("package.json: not valid JSON"),
            "{e}"
        );
    }

    #[test]
    fn credentials_in_specs_are_masked_when_read() {
        let m = Manifest::parse(
            r#"{"name":"a","dependencies":{"egg":"^3",
               "private-a":"https://user:PlantedDepPassw0rd@registry.example.com/a.tgz",
               "private-b":"git+https://ghp_PlantedDepGithubToken0123456789ab@github.com/acme/b.git",
               "ssh":"git+ssh://git@github.com/acme/c.git#v1.2.3",
               "alias":"npm:@acme/x@^1.2.0",
               "gh":"github:acme/d#semver:^2",
               "local":"file:../e"}}"#,
        )
        .unwrap();
        let spec = |n: &str| {
            m.declared()
                .into_iter()
                .find(|(name, _, _)| name == n)
                .unwrap()
                .1
        };
        let a = spec("private-a");
        assert!(!a.contains("PlantedDepPassw0rd"), "{a}");
        assert!(
            a.starts_with("https://user:") && a.ends_with("@registry.example.com/a.tgz"),
            "{a}"
        );
        let b = spec("private-b");
        assert!(!b.contains("PlantedDepGithubToken"), "{b}");
        assert!(b.ends_with("@github.com/acme/b.git"), "{b}");
        // Look-alikes keep their spec exactly.
        assert_eq!(spec("egg"), "^3");
        assert_eq!(spec("ssh"), "git+ssh://git@github.com/acme/c.git#v1.2.3");
        assert_eq!(spec("alias"), "npm:@acme/x@^1.2.0");
        assert_eq!(spec("gh"), "github:acme/d#semver:^2");
        assert_eq!(spec("local"), "file:../e");
        // Lockfile versions go through the same function.
        let v = super::super::without_credentials(
            "git+https://ghp_PlantedDepGithubToken0123456789ab@github.com/acme/b.git#abc123",
        );
        assert!(!v.contains("PlantedDep") && v.ends_with("#abc123"), "{v}");
        assert_eq!(super::super::without_credentials("3.2.1"), "3.2.1");
    }
}
