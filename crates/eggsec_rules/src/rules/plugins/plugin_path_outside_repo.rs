//! `PLG007` `plugin-path-outside-repo`: a `path` plugin loaded from outside the app's
//! repository.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::usage::app_plugin_files;
use eggsec_js::edit::{read_plugin_entries, EntryShape};
use eggsec_report::{Confidence, Severity, Strategy};
use std::path::{Path, PathBuf};

pub struct PluginPathOutsideRepo;

static META: RuleMeta = RuleMeta {
    code: "PLG007",
    name: "plugin-path-outside-repo",
    strategy: Strategy::Plugins,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Local plugins are loaded from inside the repository",
    docs: RuleDocs {
        what: "Finds enabled plugin entries with a `path` that points outside the app's \
repository (the nearest directory above the app holding `.git`, else the app root): \
`/opt/shared/egg-audit`, `../../other-project/plugin`.",
        why: "Code loaded from outside the repository is not reviewed, versioned or deployed \
with the app: what runs in production depends on what happens to be on that machine, and \
whoever can write there can run code inside the app.",
        bad: r#"// config/plugin.js
exports.audit = { enable: true, path: '/opt/shared/egg-audit' };"#,
        good: r#"// config/plugin.js
const path = require('path');
exports.audit = { enable: true, path: path.join(__dirname, '../lib/plugin/egg-audit') };"#,
        fix: "Move the plugin into the repository (`lib/plugin/<name>`) or publish it as a \
package and use `package` with a pinned version.",
    },
};

/// The repository root: the nearest ancestor of `root` holding `.git`, else `root`.
fn repo_root(root: &Path) -> PathBuf {
    root.ancestors()
        .find(|d| eggsec_fs::exists(&d.join(".git")))
        .unwrap_or(root)
        .to_path_buf()
}

impl Rule for PluginPathOutsideRepo {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        // Entries whose app plugin file says `path` (not packages found in node_modules).
        let mut with_path: Vec<String> = Vec::new();
        for file in app_plugin_files(&app.root) {
            if let Ok((_, syntax)) = read_plugin_entries(&file) {
                for e in &syntax.entries {
                    if let EntryShape::Object(keys) = &e.shape {
                        if keys.iter().any(|k| k.name == "path") {
                            with_path.push(e.name.clone());
                        }
                    }
                }
            }
        }
        let repo = repo_root(&app.root);
        let repo = repo.canonicalize().unwrap_or(repo);
        for p in app
            .plugins
            .iter()
            .filter(|p| p.enabled && with_path.contains(&p.name))
        {
            let Some(path) = &p.path else { continue };
            // inside the app as written: no need to resolve links
            if path.starts_with(&app.root) {
                continue;
            }
            let resolved = path.canonicalize().unwrap_or_else(|_| path.clone());
            if resolved.starts_with(&repo) {
                continue;
            }
            cx.report(
                &p.decided_by,
                format!(
                    "Plugin `{}` is loaded from {}, outside the repository",
                    p.name,
                    path.display()
                ),
                vec![format!(
                    "path {} is not under {}",
                    path.display(),
                    repo.display()
                )],
                META.docs.fix,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model_in};
    use serde_json::json;

    fn app_with(plugin_js: &str, path: &Path) -> (tempfile::TempDir, Vec<eggsec_report::Finding>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config/plugin.js"), plugin_js).unwrap();
        let mut app = test_model_in(dir.path(), json!({}));
        set_plugin(&mut app, "audit", true);
        let p = app.plugins.last_mut().unwrap();
        p.package = None;
        p.path = Some(if path.is_absolute() {
            path.to_path_buf()
        } else {
            dir.path().join(path)
        });
        let f = run_rule(&PluginPathOutsideRepo, &app);
        (dir, f)
    }

    #[test]
    fn hit_absolute_path_elsewhere() {
        let (_d, f) = app_with(
            "exports.audit = { enable: true, path: '/opt/shared/egg-audit' };",
            Path::new("/opt/shared/egg-audit"),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("/opt/shared/egg-audit"));
    }

    #[test]
    fn no_hit_inside_or_for_packages() {
        let (_d, f) = app_with("exports.audit = { enable: true, path: require('path').join(__dirname, '../lib/plugin/audit') };", Path::new("lib/plugin/audit"));
        assert!(f.is_empty());
        let (_d, f) = app_with(
            "exports.audit = { enable: true, package: 'egg-audit' };",
            Path::new("/elsewhere/node_modules/egg-audit"),
        );
        assert!(
            f.is_empty(),
            "a package found in node_modules is not a `path` entry"
        );
    }
}
