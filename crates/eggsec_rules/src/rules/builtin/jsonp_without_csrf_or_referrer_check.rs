//! `BLT016` `jsonp-without-csrf-or-referrer-check`: the app serves JSONP (`app.jsonp()`) while
//! egg-jsonp's CSRF check and referrer white list are both off.
//!
//! Also home of [`app_sources`] and [`find_calls`], a light scan of the app's own source files
//! for calls egg config rules care about (used by the redirect rule too).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::AppModel;
use eggsec_js::{Provenance, Value, ValueKind};
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub struct JsonpWithoutCsrfOrReferrerCheck;

static META: RuleMeta = RuleMeta {
    code: "BLT016",
    name: "jsonp-without-csrf-or-referrer-check",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "JSONP endpoints (egg-jsonp) check the CSRF token or the referrer",
    docs: RuleDocs {
        what: "Finds `app.jsonp()` calls in the app's code (usually in `app/router.js`) while \
the effective `config.jsonp` has neither `csrf: true` (with egg-security's CSRF check on) nor \
a `whiteList` of referrers, and the call does not pass one of them itself. Both are off by \
default — egg-jsonp logs \"SECURITY WARNING!! csrf check and referrer check are both \
closed!\" — so an app that merely has the plugin enabled but serves no JSONP route is not \
reported.",
        why: "A JSONP response is a script any site can include with `<script src>`: the \
browser sends the user's cookies and the including page reads the data (JSON hijacking). \
Without a CSRF token or a referrer check, every JSONP route leaks what it returns for the \
logged-in user to any web page the user visits.",
        bad: r#"// app/router.js
module.exports = app => {
  const jsonp = app.jsonp(); // config.jsonp: csrf false, no whiteList (the defaults)
  app.router.get('/api/profile', jsonp, app.controller.user.profile);
};"#,
        good: r#"// config/config.default.js
module.exports = {
  jsonp: {
    whiteList: [ 'www.example.com', '.example.com' ],
  },
};"#,
        fix: "Set a referrer white list for JSONP (or turn on the CSRF check, which needs \
egg-security's `csrf` enabled):\n\n```js\n// config/config.default.js\nconfig.jsonp = {\n  \
whiteList: [ '.example.com' ],\n  // csrf: true,\n};\n```\n\nOr pass the option on the route: \
`app.jsonp({ whiteList: [ '.example.com' ] })`. Better still, replace JSONP with CORS \
restricted to known origins.",
    },
};

impl Rule for JsonpWithoutCsrfOrReferrerCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("jsonp") {
            cx.not_applicable();
            return;
        }
        // egg-jsonp is on by default; it matters only for routes that use `app.jsonp()`.
        let calls: Vec<Call> = cx
            .cache()
            .app_sources(app)
            .iter()
            .flat_map(|file| find_calls(file, &JSONP_CALL))
            .collect();
        if calls.is_empty() {
            cx.not_applicable();
            return;
        }
        let config = app.config_at("jsonp");
        let csrf_on = match config.and_then(|c| c.get("csrf")).map(Value::truthy) {
            None | Some(Some(false)) => false,
            Some(Some(true)) => {
                // egg-jsonp's csrf option runs egg-security's check.
                let security_csrf = app
                    .config_at("security.csrf.enable")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                app.plugin_enabled("security") && security_csrf
            }
            Some(None) => {
                cx.not_applicable();
                return;
            }
        };
        let white_list = match config.and_then(|c| c.get("whiteList")) {
            None => false,
            Some(v) => match &v.kind {
                ValueKind::Undefined | ValueKind::Null => false,
                ValueKind::String(s) => !s.is_empty(),
                ValueKind::Array(items) | ValueKind::Set(items) => !items.is_empty(),
                ValueKind::Regex { .. } | ValueKind::Function { .. } => true,
                _ => {
                    cx.not_applicable();
                    return;
                }
            },
        };
        if csrf_on || white_list {
            cx.fact(format!(
                "JSONP protected by {}",
                if csrf_on {
                    "the CSRF check"
                } else {
                    "a referrer white list"
                }
            ));
            return;
        }
        for call in &calls {
            if call.args.contains("whiteList") || call.args.contains("csrf") {
                continue;
            }
            cx.report(
                &call.prov,
                "This JSONP route has neither a CSRF check nor a referrer white list: \
`config.jsonp.csrf` is off and `config.jsonp.whiteList` is empty (egg-jsonp's defaults)",
                vec![format!(
                    "{} with jsonp.csrf = false, no jsonp.whiteList",
                    call.text
                )],
                META.docs.fix,
            );
        }
        if cx.findings().is_empty() {
            cx.fact("Every JSONP route passes its own csrf or whiteList option to app.jsonp()");
        }
    }
}

static JSONP_CALL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bapp\s*\.\s*jsonp\s*\(").expect("valid regex"));

/// One of the app's own source files.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// A call found by [`find_calls`].
pub(crate) struct Call {
    /// Where the call starts.
    pub prov: Provenance,
    /// The call's text up to its opening parenthesis (`app.jsonp(`), whitespace collapsed.
    pub text: String,
    /// The text between the parentheses (up to 500 bytes; may be cut).
    pub args: String,
}

/// Files larger than this are skipped (generated bundles, not app code).
const MAX_SOURCE_BYTES: u64 = 1024 * 1024;
/// At most this many files are read.
const MAX_SOURCE_FILES: usize = 20_000;

/// The app's server-side JS/TS sources: `app/**` (without `app/public` and `app/view`, which
/// are browser assets and templates) and the root `app.js`/`agent.js`. Unreadable files are
/// skipped.
pub(crate) fn app_sources(app: &AppModel) -> Vec<SourceFile> {
    let mut files = Vec::new();
    for name in ["app.js", "app.ts", "agent.js", "agent.ts"] {
        push_source(&app.root.join(name), &mut files);
    }
    let app_dir = app.root.join("app");
    let skip = [app_dir.join("public"), app_dir.join("view")];
    // symbolic links followed within the repository, as egg follows them (one it does not
    // follow is said by the code model's walk)
    let mut paths = Vec::new();
    eggsec_fs::walk_following(
        &app_dir,
        false,
        &app.root,
        &mut |e| {
            let name = eggsec_fs::lossy(&e.name);
            let vendored_dir = e
                .path
                .strip_prefix(&app.root)
                .is_ok_and(eggsec_app::vendored::is_vendored_dir);
            !(name.starts_with('.')
                || name == "node_modules"
                || skip.contains(&e.path)
                || vendored_dir)
        },
        &mut |e| {
            if e.file_type.is_some_and(|t| t.is_file()) {
                paths.push(e.path.clone());
            }
            true
        },
        &mut |_, _| {},
    );
    paths.sort();
    for path in paths {
        if files.len() >= MAX_SOURCE_FILES {
            break;
        }
        push_source(&path, &mut files);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn push_source(path: &Path, files: &mut Vec<SourceFile>) {
    let is_source = path.extension().is_some_and(|e| {
        matches!(
            e.to_str(),
            Some("js" | "ts" | "mjs" | "cjs" | "mts" | "cts")
        )
    });
    if !is_source || path.to_string_lossy().ends_with(".d.ts") {
        return;
    }
    if let Ok(text) = eggsec_report::input::read_source_text(path, MAX_SOURCE_BYTES) {
        if eggsec_app::vendored::is_vendored_file(path, &text) {
            return;
        }
        files.push(SourceFile {
            path: path.to_path_buf(),
            text,
        });
    }
}

/// Calls matching `pattern` (which must end at the opening parenthesis) in `file`, skipping
/// matches on comment lines and after `//` on the same line.
pub(crate) fn find_calls(file: &SourceFile, pattern: &Regex) -> Vec<Call> {
    let text = &file.text;
    pattern
        .find_iter(text)
        .filter_map(|m| {
            let line_start = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
            let before = &text[line_start..m.start()];
            let trimmed = before.trim_start();
            if before.contains("//") || trimmed.starts_with('*') || trimmed.starts_with("/*") {
                return None;
            }
            let line = text[..m.start()].matches('\n').count() as u32 + 1;
            let column = before.chars().count() as u32 + 1;
            let rest = &text[m.end()..];
            let mut cut = rest.len().min(500);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            Some(Call {
                prov: Provenance::new(file.path.to_string_lossy().into_owned(), line, column),
                text: m.as_str().split_whitespace().collect(),
                args: args_text(&rest[..cut]).to_string(),
            })
        })
        .collect()
}

/// The text up to the parenthesis that closes the call (or all of `rest`).
fn args_text(rest: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                if depth == 0 {
                    return &rest[..i];
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, run_rule_posture, set_plugin, test_model_in};
    use serde_json::json;

    const ROUTER: &str = "module.exports = app => {\n  const { router, controller } = app;\n  \
// app.jsonp() in a comment is ignored\n  router.get('/api/user', app.jsonp(), controller.user.show);\n  \
router.get('/api/safe', app.jsonp({ whiteList: [ '.example.com' ] }), controller.user.show);\n};\n";

    fn app_with_router(config: serde_json::Value) -> (tempfile::TempDir, AppModel) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/public")).unwrap();
        std::fs::write(dir.path().join("app/router.js"), ROUTER).unwrap();
        std::fs::write(dir.path().join("app/public/x.js"), "app.jsonp()").unwrap();
        let app = test_model_in(dir.path(), config);
        (dir, app)
    }

    #[test]
    fn hit_unprotected_jsonp_route() {
        let (_dir, app) = app_with_router(json!({"jsonp": {"csrf": false, "limit": 50}}));
        let findings = run_rule(&JsonpWithoutCsrfOrReferrerCheck, &app);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].location.to_string(), "app/router.js:4:27");
    }

    #[test]
    fn hit_csrf_true_but_security_disabled() {
        let (_dir, mut app) = app_with_router(json!({"jsonp": {"csrf": true}}));
        set_plugin(&mut app, "security", false);
        assert_eq!(run_rule(&JsonpWithoutCsrfOrReferrerCheck, &app).len(), 1);
    }

    #[test]
    fn no_hit_when_protected_unused_or_unknown() {
        for config in [
            json!({"jsonp": {"csrf": true}}),
            json!({"jsonp": {"whiteList": ["www.example.com"]}}),
            json!({"jsonp": {"whiteList": {"$regex": "/^https?:\\/\\/example\\.com/"}}}),
            json!({"jsonp": {"csrf": {"$env": "JSONP_CSRF", "default": null}}}),
            json!({"jsonp": {"whiteList": {"$unknown": "call"}}}),
        ] {
            let (_dir, app) = app_with_router(config.clone());
            assert!(
                run_rule(&JsonpWithoutCsrfOrReferrerCheck, &app).is_empty(),
                "{config}"
            );
        }
        let (_dir, mut app) = app_with_router(json!({}));
        set_plugin(&mut app, "jsonp", false);
        assert!(run_rule(&JsonpWithoutCsrfOrReferrerCheck, &app).is_empty());
        // no app.jsonp() anywhere: the default config alone is not reported
        let dir = tempfile::tempdir().unwrap();
        let app = test_model_in(dir.path(), json!({"jsonp": {"csrf": false}}));
        assert!(run_rule(&JsonpWithoutCsrfOrReferrerCheck, &app).is_empty());
    }

    #[test]
    fn posture_claims_nothing_for_an_app_without_jsonp_routes() {
        // egg-jsonp is enabled by default, but no route uses it.
        let dir = tempfile::tempdir().unwrap();
        let app = test_model_in(dir.path(), json!({"jsonp": {"csrf": true}}));
        assert_eq!(
            run_rule_posture(&JsonpWithoutCsrfOrReferrerCheck, &app),
            (false, vec![])
        );
        let (_dir, app) = app_with_router(json!({"jsonp": {"csrf": true}}));
        assert_eq!(
            run_rule_posture(&JsonpWithoutCsrfOrReferrerCheck, &app),
            (true, vec!["JSONP protected by the CSRF check".to_string()])
        );
    }
}
