//! `LOG003` `log-dir-public`: egg writes its logs into a folder egg-static serves.

use crate::rules::builtin::static_serves_outside_public::{app_root, resolve, static_dirs};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::Value;
use eggsec_report::{Confidence, Severity, Strategy};
use std::path::Path;

pub struct LogDirPublic;

static META: RuleMeta = RuleMeta {
    code: "LOG003",
    name: "log-dir-public",
    strategy: Strategy::Logging,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "Log files are written outside every served folder",
    docs: RuleDocs {
        what: "Finds `config.logger.dir`, or a `config.customLogger.<name>.file` path, inside a \
folder egg-static serves (`config.static.dir` / `config.static.dirs`, `app/public` by \
default) while the static plugin is enabled.",
        why: "Anything in a served folder is downloadable: `/public/logs/<app>-web.log` hands \
out request URLs, user ids, error stacks, SQL and whatever secrets or personal data the app \
logs, to anyone who guesses the path.",
        bad: r#"// config/config.default.js
const path = require('path');
module.exports = appInfo => ({
  logger: {
    dir: path.join(appInfo.baseDir, 'app/public/logs'),
  },
});"#,
        good: r#"// config/config.default.js
const path = require('path');
module.exports = appInfo => ({
  logger: {
    dir: path.join(appInfo.root, 'logs', appInfo.name), // egg's default
  },
});"#,
        fix: "Write logs outside every served folder — egg's default `logger.dir` is \
`<root>/logs/<appName>` — and delete any log files already under `app/public`.",
    },
};

impl Rule for LogDirPublic {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let served = static_dirs(app);
        // egg-static off: no folder is served.
        if served.is_empty() {
            cx.not_applicable();
            return;
        }
        let root = app_root(app);
        let log_dir = app.config_at("logger.dir");
        let mut targets: Vec<(String, &Value)> = Vec::new();
        if let Some(dir) = log_dir {
            targets.push(("logger.dir".into(), dir));
        }
        if let Some(custom) = app.config_at("customLogger").and_then(Value::as_object) {
            for (name, options) in custom {
                // A relative file follows `logger.dir`, which is checked itself.
                if let Some(file) = options
                    .get("file")
                    .filter(|f| f.as_str().is_some_and(|p| Path::new(p).is_absolute()))
                {
                    targets.push((format!("customLogger.{name}.file"), file));
                }
            }
        }
        // A log folder that is not statically known leaves the control undecided.
        let mut unknown = targets.is_empty();
        for (key, value) in targets {
            let Some(text) = value.as_str() else {
                unknown = true;
                continue;
            };
            let path = resolve(&root, text);
            let Some(dir) = served.iter().find(|d| path.starts_with(&d.path)) else {
                continue;
            };
            let shown = cx.relative_path(&path.to_string_lossy());
            let served_shown = cx.relative_path(&dir.path.to_string_lossy());
            let prov = value.prov.clone();
            cx.report(
                &prov,
                format!(
                    "`{key}` writes logs into {shown}, inside the folder egg-static serves \
({served_shown}): anyone can download them"
                ),
                vec![format!("{key} = {shown}; static dir {served_shown}")],
                "Write logs outside served folders (egg's default):\n\n```js\nconst path = \
require('path');\nmodule.exports = appInfo => ({\n  logger: {\n    dir: path.join(appInfo.root, \
'logs', appInfo.name),\n  },\n});\n```",
            );
        }
        if unknown && cx.findings().is_empty() {
            cx.not_applicable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_log_dir_in_public() {
        let app = test_model(json!({
            "static": {"dir": "/app/app/public"},
            "logger": {"dir": {"$at": "config/config.default.js:6:10", "$value": "/app/app/public/logs"}},
            "customLogger": {"audit": {"file": "/app/app/public/audit.log"}}
        }));
        let findings = run_rule(&LogDirPublic, &app);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.default.js:6:10"
        );
    }

    #[test]
    fn no_hit_for_default_dir_or_static_off() {
        let app = test_model(json!({
            "static": {"dir": "/app/app/public"},
            "logger": {"dir": "/app/logs/testapp"},
            "customLogger": {"scheduleLogger": {"file": "egg-schedule.log"}}
        }));
        assert!(run_rule(&LogDirPublic, &app).is_empty());
        // a relative customLogger file follows logger.dir, reported once there
        let app = test_model(json!({
            "static": {"dir": "/app/app/public"},
            "logger": {"dir": "/app/app/public/logs"},
            "customLogger": {"scheduleLogger": {"file": "egg-schedule.log"}}
        }));
        assert_eq!(run_rule(&LogDirPublic, &app).len(), 1);
        let mut app = test_model(json!({
            "static": {"dir": "/app/app/public"},
            "logger": {"dir": "/app/app/public/logs"}
        }));
        set_plugin(&mut app, "static", false);
        assert!(run_rule(&LogDirPublic, &app).is_empty());
    }
}
