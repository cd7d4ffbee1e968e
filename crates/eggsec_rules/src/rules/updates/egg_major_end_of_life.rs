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
end-of-life (egg 1 and 2).",
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
        if !root.join("package.json").is_file() {
            cx.not_applicable();
            return;
        }
        let report = eggsec_deps::analyze::cached(&root);
        let eggs: Vec<_> = report.packages.iter().filter(|p| p.name == "egg").collect();
        if eggs.is_empty() {
            cx.not_applicable();
            return;
        }
        for egg in eggs {
            match eggsec_deps::analyze::end_of_life(&egg.name, &egg.version) {
                Some(why) => {
                    cx.report_at(
                        Location::File {
                            path: egg.lockfile.clone(),
                            line: egg.line,
                            column: 0,
                        },
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

    #[test]
    fn no_hit_egg_3_and_4() {
        assert!(run("3.34.0").is_empty());
        assert!(run("4.0.10").is_empty());
    }
}
