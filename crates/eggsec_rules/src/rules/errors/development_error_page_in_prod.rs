//! `ERR002` `development-error-page-in-prod`: the app would start in `local` or `unittest`
//! when deployed (`config/env`, or `egg-scripts start --env=local`), so egg-onerror serves
//! full stack traces.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Location, Severity, Strategy};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

pub struct DevelopmentErrorPageInProd;

static META: RuleMeta = RuleMeta {
    code: "ERR002",
    name: "development-error-page-in-prod",
    strategy: Strategy::Errors,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "The deployed app starts in a production env (not local/unittest)",
    docs: RuleDocs {
        what: "Finds a `config/env` file containing `local` or `unittest` (not listed in \
`.gitignore`/`.dockerignore`), and package.json scripts that start the app with \
`egg-scripts start --env=local|unittest` or `EGG_SERVER_ENV=local|unittest`. egg reads \
`config/env` before `EGG_SERVER_ENV`, so the file wins on the server too. Reported app-wide \
(neither file can carry an inline suppression; use `eggsec.toml`).",
        why: "In `local` and `unittest` egg-onerror answers errors with the full stack trace, \
the request and the app's environment (the development error page, or `stack` in JSON), \
egg-development and local-only config are loaded, and HSTS is forced off. An app deployed that \
way tells every visitor who triggers an error how it is built.",
        bad: "# config/env (committed)\nlocal",
        good: "# config/env absent (or listed in .gitignore); production starts with\n\
# \"start\": \"egg-scripts start --daemon --title=myapp\"   (egg-scripts sets NODE_ENV=production → prod)",
        fix: "Delete `config/env` from the repository and add it to `.gitignore` (keep it only \
on developer machines), or write `prod` in it; start production with `egg-scripts start` \
without `--env`, or with `--env=prod`.",
    },
};

/// `egg-scripts start ... --env=local`, `EGG_SERVER_ENV=unittest egg-scripts start`.
static DEV_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:--env[= ]|EGG_SERVER_ENV=)['\x22]?(local|unittest)\b").expect("valid regex")
});

impl Rule for DevelopmentErrorPageInProd {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let root = cx.app.root.clone();
        let env_file = root.join("config/env");
        // What tells the env a deploy starts in: a `config/env` file, an egg-scripts start
        // script. Without either, this tree says nothing about it.
        let mut env_decided = false;
        if let Ok(text) = eggsec_report::input::read_text_limited(&env_file, 4096) {
            let env = text.trim();
            env_decided = !env.is_empty();
            if (env == "local" || env == "unittest") && !ignored_by_vcs_or_docker(&root) {
                cx.report_at(
                    app_wide(cx),
                    format!(
                        "config/env says `{env}`: egg prefers it over EGG_SERVER_ENV, so a deploy \
of this tree runs in {env} and egg-onerror sends stack traces to clients"
                    ),
                    vec![format!("config/env = {env:?}")],
                    META.docs.fix,
                );
            }
        }
        let Some(scripts) = cx.app.pkg.get("scripts").and_then(|s| s.as_object()) else {
            if !env_decided {
                cx.not_applicable();
            }
            return;
        };
        for (name, script) in scripts {
            let Some(script) = script.as_str() else {
                continue;
            };
            if !script.contains("egg-scripts") || !script.contains("start") {
                continue;
            }
            env_decided = true;
            let Some(env) = DEV_START.captures(script).map(|c| c[1].to_string()) else {
                continue;
            };
            cx.report_at(
                app_wide(cx),
                format!(
                    "package.json script `{name}` starts the app with egg-scripts in {env}: \
egg-onerror then sends stack traces to clients"
                ),
                vec![format!("scripts.{name} = {script:?}")],
                "Start production in `prod`: drop the `--env` option (egg-scripts sets \
`NODE_ENV=production`, which egg maps to `prod`) or write `--env=prod`.",
            );
        }
        if !env_decided {
            cx.not_applicable();
        }
    }
}

/// The app as a whole: `config/env` and package.json cannot carry an inline suppression, so
/// these findings are app-wide (suppress them in `eggsec.toml`); the message names the file.
fn app_wide(cx: &RuleContext<'_>) -> Location {
    Location::App {
        root: cx.app.root.display().to_string(),
    }
}

/// Whether `.gitignore` or `.dockerignore` at the root lists `config/env`, so the file stays on
/// the developer's machine.
fn ignored_by_vcs_or_docker(root: &Path) -> bool {
    [".gitignore", ".dockerignore"].iter().any(|f| {
        eggsec_report::input::read_text_limited(&root.join(f), 1 << 20).is_ok_and(|text| {
            text.lines()
                .map(str::trim)
                .any(|l| matches!(l, "config/env" | "/config/env" | "**/config/env"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use serde_json::json;

    fn app_with(files: &[(&str, &str)]) -> (tempfile::TempDir, eggsec_app::AppModel) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let mut app = test_model_in(dir.path(), json!({}));
        if let Some((_, text)) = files.iter().find(|(n, _)| *n == "package.json") {
            app.pkg = serde_json::from_str(text).unwrap();
        }
        (dir, app)
    }

    #[test]
    fn hit_config_env_local() {
        let (_dir, app) = app_with(&[("config/env", "local\n")]);
        let found = run_rule(&DevelopmentErrorPageInProd, &app);
        assert_eq!(found.len(), 1);
        assert!(matches!(found[0].location, Location::App { .. }));
        assert_eq!(found[0].evidence, ["config/env = \"local\""]);
    }

    #[test]
    fn hit_start_script_with_dev_env() {
        let pkg = "{\n  \"name\": \"a\",\n  \"scripts\": {\n    \"start\": \"egg-scripts start --daemon --env=local\"\n  }\n}\n";
        let (_dir, app) = app_with(&[("package.json", pkg)]);
        let found = run_rule(&DevelopmentErrorPageInProd, &app);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("script `start`"));
    }

    #[test]
    fn no_hit_prod_ignored_or_dev_scripts() {
        for files in [
            vec![("config/env", "prod")],
            vec![("config/env", "local"), (".gitignore", "node_modules\nconfig/env\n")],
            vec![(
                "package.json",
                "{\"scripts\": {\"dev\": \"egg-bin dev --env=local\", \"start\": \"egg-scripts start --env=prod\"}}",
            )],
        ] {
            let (_dir, app) = app_with(&files);
            assert!(run_rule(&DevelopmentErrorPageInProd, &app).is_empty(), "{files:?}");
        }
    }
}
