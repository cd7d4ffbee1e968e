//! `UPD002` `egg-major-end-of-life`: the app runs an egg major that no longer gets fixes.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Location, Severity, Strategy};

pub struct EggMajorEndOfLife;

static META: RuleMeta = RuleMeta {
    code: "UPD002",
    name: "egg-major-end-of-life",
    strategy: Strategy::Updates,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "egg is on a supported major version",
    docs: RuleDocs {
        what:
            "Finds an installed `egg` (from the lockfile or node_modules) whose major version is \
end-of-life (egg 1 and 2), at its lockfile entry (read from a `node_modules` tree without a \
lockfile: at the `package.json` line that declares `egg`).",
        why: "An end-of-life egg major gets no security fixes, and neither do the plugin majors \
that go with it (egg-security, egg-multipart, egg-onerror of that generation): every advisory \
found later in its dependency tree stays open.",
        bad: r#"// package.json
"dependencies": { "egg": "^2.37.0" }"#,
        good: r#"// package.json
"dependencies": { "egg": "^3.34.0" }"#,
        fix: "Upgrade egg to a supported major (egg 3, or egg 4 with the `@eggjs/*` plugins), \
following egg's upgrade guide, and upgrade the plugins to the majors that match it.",
    },
};

impl Rule for EggMajorEndOfLife {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let root = cx.app.root.clone();
        if !eggsec_fs::is_file(&root.join("package.json")) {
            cx.not_applicable();
            return;
        }
        let report = eggsec_deps::analyze::cached(&root);
        let eggs: Vec<_> = report.packages.iter().filter(|p| p.name == "egg").collect();
        if eggs.is_empty() {
            // Nothing installed or locked: the declared range decides the major (`^1.1.0`).
            match declared_egg_major(&root) {
                Some((range, line, major)) => {
                    match eggsec_deps::analyze::end_of_life("egg", &format!("{major}.0.0")) {
                        Some(why) => {
                            cx.report_at(
                                Location::File {
                                    path: "package.json".into(),
                                    line,
                                    column: 0,
                                },
                                format!("egg {range} (declared in package.json) is end-of-life"),
                                vec![
                                    format!("\"egg\": \"{range}\" (no lockfile or node_modules)"),
                                    why.to_string(),
                                ],
                                META.docs.fix,
                            );
                        }
                        None => cx.fact(format!("egg {range} (supported major, declared)")),
                    }
                }
                None => cx.not_applicable(),
            }
            return;
        }
        for egg in eggs {
            match eggsec_deps::analyze::end_of_life(&egg.name, &egg.version) {
                Some(why) => {
                    cx.report_at(
                        crate::util::dependency_location(&root, &egg.lockfile, egg.line, "egg"),
                        format!("egg {} is end-of-life", egg.version),
                        vec![format!("egg@{}", egg.version), why.to_string()],
                        META.docs.fix,
                    );
                }
                None => cx.fact(format!("egg {} (supported major)", egg.version)),
            }
        }
    }
}

/// The `egg` range of package.json's dependencies, its 1-based line, and the major it pins
/// (`^1.1.0`, `~1.21`, `1.x` → 1; `*`, `latest`, a tag or URL → none).
fn declared_egg_major(root: &std::path::Path) -> Option<(String, u32, u64)> {
    let text =
        eggsec_report::input::read_text_limited(&root.join("package.json"), 16 << 20).ok()?;
    let pkg: serde_json::Value = serde_json::from_str(&text).ok()?;
    let range = pkg
        .pointer("/dependencies/egg")?
        .as_str()?
        .trim()
        .to_string();
    let rest = range.trim_start_matches(['^', '~', '=', 'v', ' ']);
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let major: u64 = digits.parse().ok()?;
    let line = text
        .lines()
        .position(|l| l.contains("\"egg\""))
        .map_or(1, |i| i as u32 + 1);
    Some((range, line, major))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use serde_json::json;

    fn run(version: &str) -> Vec<eggsec_report::Finding> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"dependencies":{"egg":"*"}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("package-lock.json"),
            format!(r#"{{"lockfileVersion": 3, "packages": {{"": {{}}, "node_modules/egg": {{"version": "{version}"}}}}}}"#),
        )
        .unwrap();
        run_rule(&EggMajorEndOfLife, &test_model_in(dir.path(), json!({})))
    }

    #[test]
    fn hit_egg_2() {
        let f = run("2.37.0");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location.to_string(), "package-lock.json:1");
    }

    fn run_declared(range: &str) -> Vec<eggsec_report::Finding> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            format!("{{\n  \"name\": \"a\",\n  \"dependencies\": {{\n    \"egg\": \"{range}\"\n  }}\n}}\n"),
        )
        .unwrap();
        run_rule(&EggMajorEndOfLife, &test_model_in(dir.path(), json!({})))
    }

    #[test]
    fn hit_egg_1_declared_without_lockfile() {
        let f = run_declared("^1.1.0");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location.to_string(), "package.json:4");
        assert!(f[0].message.contains("^1.1.0"), "{}", f[0].message);
    }

    #[test]
    fn hit_egg_2_installed_without_lockfile_points_at_package_json() {
        // `.npmrc` `package-lock=false`: the versions come from node_modules, a directory
        // outside the repository's files; the finding goes where egg is declared
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            "{\n  \"name\": \"a\",\n  \"dependencies\": {\n    \"egg\": \"^2.2.1\"\n  }\n}\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("node_modules/egg")).unwrap();
        std::fs::write(
            dir.path().join("node_modules/egg/package.json"),
            r#"{"name":"egg","version":"2.37.0"}"#,
        )
        .unwrap();
        let f = run_rule(&EggMajorEndOfLife, &test_model_in(dir.path(), json!({})));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "egg 2.37.0 is end-of-life");
        assert_eq!(f[0].location.to_string(), "package.json:4");
    }

    #[test]
    fn no_hit_declared_supported_or_unpinned() {
        assert!(run_declared("^3.17.5").is_empty());
        assert!(run_declared("latest").is_empty());
        assert!(run_declared("*").is_empty());
    }

    #[test]
    fn no_hit_egg_3_and_4() {
        assert!(run("3.34.0").is_empty());
        assert!(run("4.0.10").is_empty());
    }
}
