//! `ERR003` `error-handling-strategy-missing`: egg-onerror is disabled and the app has no error
//! middleware of its own.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::MiddlewareSource;
use eggsec_report::{Confidence, Location, Severity, Strategy};

pub struct ErrorHandlingStrategyMissing;

static META: RuleMeta = RuleMeta {
    code: "ERR003",
    name: "error-handling-strategy-missing",
    strategy: Strategy::Errors,
    severity: Severity::Info,
    confidence: Confidence::Medium,
    control: "Errors are handled by egg-onerror or an app error middleware",
    docs: RuleDocs {
        what: "Reports the app (once) when the `onerror` plugin is disabled and there is no \
error-handling middleware of the app's own (a file under `app/middleware/` or a configured \
app middleware whose name contains `error`).",
        why: "Without egg-onerror, errors fall through to Koa's bare default: plain-text \
responses with no content negotiation (JSON clients get text), no `errorPageUrl`, no \
per-format handlers. That is not a leak by itself (Koa hides 5xx messages), but nothing in the \
app decides what clients see when something fails, or makes sure it is logged consistently.",
        bad: r#"// config/plugin.js
exports.onerror = false; // and no app/middleware/error_handler.js"#,
        good: r#"// app/middleware/error_handler.js
module.exports = () => async function errorHandler(ctx, next) {
  try {
    await next();
  } catch (err) {
    ctx.app.emit('error', err, ctx); // egg logs it
    const status = err.status || 500;
    ctx.status = status;
    ctx.body = { error: status < 500 && err.expose ? err.message : 'Internal Server Error' };
  }
};

// config/config.default.js
module.exports = { middleware: [ 'errorHandler' ] };"#,
        fix: "Enable egg-onerror again (`exports.onerror = true;` in `config/plugin.js`, or \
remove the line that disables it), or add an error-handling middleware first in \
`config.middleware` that logs the error and sends a generic body for 5xx.",
    },
};

impl Rule for ErrorHandlingStrategyMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let Some(onerror) = app.plugin("onerror") else {
            cx.not_applicable();
            return;
        };
        if onerror.enabled {
            cx.fact("egg-onerror handles errors");
            return;
        }
        let configured = app.middleware.iter().any(|m| {
            m.source == MiddlewareSource::App
                && m.enabled
                && m.name.to_ascii_lowercase().contains("error")
        });
        let file = std::fs::read_dir(app.root.join("app/middleware"))
            .map(|entries| {
                entries.filter_map(Result::ok).any(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .to_ascii_lowercase()
                        .contains("error")
                })
            })
            .unwrap_or(false);
        if configured || file {
            cx.fact("errors handled by an app error middleware");
            return;
        }
        // a plugin or framework eggsec cannot see may add an error middleware: the finding is
        // then less certain (the read is noted)
        let _ = app.global_middleware();
        cx.report_at(
            Location::App {
                root: app.root.display().to_string(),
            },
            format!(
                "egg-onerror is disabled (by {}) and the app has no error middleware: errors get \
Koa's bare default handling",
                cx.relative_path(&onerror.decided_by.file)
            ),
            vec!["plugin `onerror` disabled; no app/middleware/*error*".into()],
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model, test_model_in};
    use serde_json::json;

    #[test]
    fn hit_onerror_off_and_no_middleware() {
        let mut app = test_model(json!({}));
        set_plugin(&mut app, "onerror", false);
        let found = run_rule(&ErrorHandlingStrategyMissing, &app);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].location.to_string(), "/app (app-wide)");
    }

    #[test]
    fn no_hit_onerror_on_or_error_middleware() {
        assert!(run_rule(&ErrorHandlingStrategyMissing, &test_model(json!({}))).is_empty());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/middleware")).unwrap();
        std::fs::write(
            dir.path().join("app/middleware/error_handler.js"),
            "module.exports = () => async (ctx, next) => next();",
        )
        .unwrap();
        let mut app = test_model_in(dir.path(), json!({}));
        set_plugin(&mut app, "onerror", false);
        assert!(run_rule(&ErrorHandlingStrategyMissing, &app).is_empty());
    }
}
