//! `UPD001` `vulnerable-egg-package`: an installed package (egg, a plugin, or a package an egg
//! package pulls in) has a known advisory.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct VulnerableEggPackage;

static META: RuleMeta = RuleMeta {
    code: "UPD001",
    name: "vulnerable-egg-package",
    strategy: Strategy::Updates,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "No installed package has a known advisory (OSV)",
    docs: RuleDocs {
        what:
            "Matches every package in the app's lockfile (package-lock.json, yarn.lock, \
pnpm-lock.yaml, or node_modules) against OSV advisories — eggsec's embedded egg-relevant \
database, or the full export installed by `eggsec advisories update` — and names, for each hit, \
the dependency path from the app's direct dependency and the egg package or plugin that pulls \
it in. The finding takes the advisory's severity (CVSS v3 when present, else the database's label), \
and points at the package's entry in the lockfile; read from a `node_modules` tree (no lockfile), \
at the `package.json` line that declares the direct dependency bringing it in.",
        why: "Most real exposure in Egg.js apps arrives through egg's own packages: dicer through \
egg-multipart, path-to-regexp through the router, cookie through egg-onerror, qs through the \
body parser. A known-vulnerable version is the easiest thing for an attacker to find and exploit.",
        bad: r#"// package-lock.json
"node_modules/egg-scripts": { "version": "2.8.0" }   // GHSA-c9j3-wqph-5xx9: command injection"#,
        good: r#"// package.json
"dependencies": { "egg-scripts": "^2.8.1" }"#,
        fix: "Upgrade the direct dependency named in the finding to the version eggsec suggests \
(`eggsec deps` computes it from registry data), or the vulnerable package to its fixed version \
(`npm update <pkg>`, or an `overrides` / `resolutions` entry for a transitive package), then \
commit the new lockfile.",
    },
};

impl Rule for VulnerableEggPackage {
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
        if report.format.is_none() {
            cx.not_applicable();
            return;
        }
        for v in &report.vulnerabilities {
            let through = match v.via.first() {
                Some(via) => match &via.egg_package {
                    Some(e) if e != &v.package => format!(", pulled in by {e} via {}", via.direct),
                    _ if via.direct != v.package => format!(", via {}", via.direct),
                    _ => String::new(),
                },
                None => String::new(),
            };
            let mut evidence = vec![format!("{} {}@{}", v.id, v.package, v.version)];
            evidence.extend(v.paths.iter().map(|p| p.join(" > ")));
            let fix = match &v.fixed {
                Some(f) => format!(
                    "Upgrade `{}` to {f} or later (run `eggsec deps` for the smallest upgrade of the \
direct dependency that brings it in), then commit the lockfile.",
                    v.package
                ),
                None => format!(
                    "No fixed version of `{}` is known: replace it, remove the dependency that brings \
it in, or mitigate (see {}).",
                    v.package, v.url
                ),
            };
            let direct = v
                .via
                .first()
                .map_or(v.package.as_str(), |via| via.direct.as_str());
            let location = crate::util::dependency_location(&root, &v.lockfile, v.line, direct);
            let dev = if v.dev { " (dev dependency)" } else { "" };
            let finding = cx.report_at(
                location,
                format!(
                    "{} {} has {} ({}){dev}{through}: {}",
                    v.package, v.version, v.id, v.severity, v.summary
                ),
                evidence,
                fix,
            );
            finding.severity = if v.dev {
                v.severity.min(Severity::Low)
            } else {
                v.severity
            };
        }
        if report.vulnerabilities.is_empty() {
            cx.fact(format!(
                "{} packages checked against {}: no known advisory",
                report.packages.len(),
                report.database
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use serde_json::json;

    fn app_with(lock: &str) -> (tempfile::TempDir, eggsec_app::AppModel) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"dependencies":{"egg":"^3.17.0","egg-scripts":"~2.8.0"}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("package-lock.json"), lock).unwrap();
        let app = test_model_in(dir.path(), json!({}));
        (dir, app)
    }

    #[test]
    fn hit_vulnerable_direct_and_transitive() {
        let (_dir, app) = app_with(
            r#"{"lockfileVersion": 3, "packages": {
  "": {"dependencies": {"egg": "^3.17.0", "egg-scripts": "~2.8.0"}},
  "node_modules/egg": {"version": "3.17.0", "dependencies": {"egg-onerror": "^2"}},
  "node_modules/egg-onerror": {"version": "2.2.0", "dependencies": {"cookie": "^0.3.1"}},
  "node_modules/cookie": {"version": "0.3.1"},
  "node_modules/egg-scripts": {"version": "2.8.0"}
}}"#,
        );
        let findings = run_rule(&VulnerableEggPackage, &app);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        let scripts = findings
            .iter()
            .find(|f| f.message.starts_with("egg-scripts"))
            .unwrap();
        assert_eq!(scripts.severity, Severity::Critical);
        assert_eq!(scripts.location.to_string(), "package-lock.json:6");
        let cookie = findings
            .iter()
            .find(|f| f.message.starts_with("cookie"))
            .unwrap();
        assert!(
            cookie.message.contains("pulled in by egg-onerror via egg"),
            "{}",
            cookie.message
        );
        assert_eq!(
            cookie.evidence[1],
            "egg@3.17.0 > egg-onerror@2.2.0 > cookie@0.3.1"
        );
    }

    #[test]
    fn no_hit_when_fixed_or_no_lockfile() {
        let (_dir, app) = app_with(
            r#"{"lockfileVersion": 3, "packages": {
  "": {"dependencies": {"egg-scripts": "~2.8.0"}},
  "node_modules/egg-scripts": {"version": "2.8.1"}
}}"#,
        );
        assert!(run_rule(&VulnerableEggPackage, &app).is_empty());
        let app = crate::testing::test_model(json!({}));
        assert!(run_rule(&VulnerableEggPackage, &app).is_empty());
    }
}
