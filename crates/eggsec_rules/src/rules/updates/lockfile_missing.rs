//! `UPD003` `lockfile-missing`: the app has no lockfile, so what it installs is not pinned
//! and cannot be reviewed.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Location, Severity, Strategy};

pub struct LockfileMissing;

static META: RuleMeta = RuleMeta {
    code: "UPD003",
    name: "lockfile-missing",
    strategy: Strategy::Updates,
    severity: Severity::Low,
    confidence: Confidence::High,
    control: "Dependencies are pinned by a committed lockfile",
    docs: RuleDocs {
        what: "Finds apps with a package.json but no package-lock.json, npm-shrinkwrap.json, \
yarn.lock or pnpm-lock.yaml in the app or the workspace above it.",
        why: "(Low: a freshly generated app has none until its first install.) Without a lockfile every install resolves the ranges again: production can run \
versions nobody reviewed (including a compromised release), updates leave no trace to review, \
and advisories cannot be checked against what really runs.",
        bad: "$ ls\napp  config  package.json",
        good: "$ ls\napp  config  package.json  package-lock.json",
        fix: "Run `npm install` (or `yarn` / `pnpm install`) and commit the lockfile it writes; \
install in CI and production with `npm ci` so the lockfile is what runs. Then record the \
versions with `eggsec deps --record`.",
    },
};

impl Rule for LockfileMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let root = cx.app.root.clone();
        if !eggsec_fs::is_file(&root.join("package.json")) {
            cx.not_applicable();
            return;
        }
        match eggsec_deps::inventory::find_lockfile(&root) {
            Some((_, shown)) => {
                cx.fact(format!("lockfile {shown} pins the installed versions"));
                if eggsec_fs::is_file(&root.join(".eggsec/versions.json")) {
                    cx.fact("version ledger .eggsec/versions.json records updates (eggsec deps --record)");
                }
                if let Some(ci) = watch_in_ci(&root) {
                    cx.fact(format!("{ci} runs eggsec watch / deps"));
                }
            }
            None => {
                cx.report_at(
                    Location::App {
                        root: root.display().to_string(),
                    },
                    "No lockfile: installed dependency versions are not pinned or reviewable",
                    vec![
                        "no package-lock.json, npm-shrinkwrap.json, yarn.lock or pnpm-lock.yaml"
                            .into(),
                    ],
                    META.docs.fix,
                );
            }
        }
    }
}

/// A CI file that runs `eggsec watch` or `eggsec deps`, if any.
fn watch_in_ci(root: &std::path::Path) -> Option<String> {
    let dir = root.join(".github/workflows");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.push(root.join(".gitlab-ci.yml"));
    files.sort();
    files.into_iter().find_map(|f| {
        let text = eggsec_report::input::read_text_limited(&f, 4 << 20).ok()?;
        (text.contains("eggsec watch") || text.contains("eggsec deps"))
            .then(|| f.strip_prefix(root).unwrap_or(&f).display().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use serde_json::json;

    #[test]
    fn hit_without_lockfile() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        let f = run_rule(&LockfileMissing, &test_model_in(dir.path(), json!({})));
        assert_eq!(f.len(), 1);
        assert!(matches!(f[0].location, Location::App { .. }));
    }

    #[test]
    fn no_hit_with_yarn_lock() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        std::fs::write(dir.path().join("yarn.lock"), "# yarn lockfile v1\n").unwrap();
        assert!(run_rule(&LockfileMissing, &test_model_in(dir.path(), json!({}))).is_empty());
    }
}
