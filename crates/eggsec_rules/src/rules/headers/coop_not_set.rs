//! `HDR013` `coop-not-set`: nothing in the app sets `Cross-Origin-Opener-Policy`
//! (egg-security cannot).

use crate::egg_security::is_dev_env;
use crate::source_text::find_in_app_code;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Location, Severity, Strategy};

pub struct CoopNotSet;

static META: RuleMeta = RuleMeta {
    code: "HDR013",
    name: "coop-not-set",
    strategy: Strategy::Headers,
    severity: Severity::Low,
    confidence: Confidence::Medium,
    control: "A Cross-Origin-Opener-Policy header is set by the app",
    docs: RuleDocs {
        what: "Reports the app (once) when none of its code — `app/` (without `app/public` and \
`app/view`), `app.js`, local plugins — mentions `Cross-Origin-Opener-Policy` or uses helmet \
(which sets it). egg-security has no option for it, so only a middleware of the app (or the \
reverse proxy) can send it.",
        why: "Without COOP, a page the app opens in a popup — or a site that opens the app — \
keeps a `window` reference across origins. Attackers use it for cross-site leaks (counting \
frames, detecting navigation and login state) and to navigate the app's window elsewhere \
(reverse tabnabbing). `Cross-Origin-Opener-Policy: same-origin` cuts that link. If the proxy \
already sets the header, suppress this finding with that reason.",
        bad: r#"// app/middleware/ — no middleware sets Cross-Origin-Opener-Policy
// config/config.default.js
module.exports = { middleware: [] };"#,
        good: r#"// app/middleware/security_headers.js
module.exports = () => async function securityHeaders(ctx, next) {
  await next();
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
};

// config/config.default.js
module.exports = { middleware: [ 'securityHeaders' ] };"#,
        fix:
            "Add a middleware that sets the header on every response and list it in \
`config.middleware` (use `same-origin-allow-popups` if the app relies on OAuth or payment \
popups):\n\n```js\n// app/middleware/security_headers.js\nmodule.exports = () => async function \
securityHeaders(ctx, next) {\n  await next();\n  ctx.set('Cross-Origin-Opener-Policy', \
'same-origin');\n};\n\n// config/config.default.js\nconfig.middleware = [ 'securityHeaders' ];\n```",
    },
};

impl Rule for CoopNotSet {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        // No `app/` directory: no routes, no responses to protect (and no code to read).
        if is_dev_env(&app.env) || !app.root.join("app").is_dir() {
            cx.not_applicable();
            return;
        }
        // helmet (koa-helmet, helmet >= 5) sends COOP `same-origin` by default.
        if let Some(found) = find_in_app_code(app, &["cross-origin-opener-policy", "helmet"]) {
            cx.fact(format!(
                "Cross-Origin-Opener-Policy set in {}:{}",
                cx.relative_path(&found.file.to_string_lossy()),
                found.line
            ));
            return;
        }
        cx.report_at(
            Location::App {
                root: app.root.display().to_string(),
            },
            "No Cross-Origin-Opener-Policy header is set anywhere in the app (egg-security \
cannot set it)",
            vec!["no `Cross-Origin-Opener-Policy` in app/, app.js or local plugins".into()],
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model, test_model_in};
    use serde_json::json;

    #[test]
    fn hit_when_no_code_sets_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::write(
            dir.path().join("app/router.js"),
            "module.exports = app => {};",
        )
        .unwrap();
        let app = test_model_in(dir.path(), json!({}));
        let found = run_rule(&CoopNotSet, &app);
        assert_eq!(found.len(), 1);
        assert!(matches!(found[0].location, Location::App { .. }));
        // Without app/ (no routes) nothing is reported.
        assert!(run_rule(&CoopNotSet, &test_model(json!({}))).is_empty());
    }

    #[test]
    fn no_hit_when_app_js_sets_it_but_not_from_public_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/public")).unwrap();
        std::fs::write(
            dir.path().join("app/public/docs.js"),
            "// Cross-Origin-Opener-Policy explained",
        )
        .unwrap();
        let app = test_model_in(dir.path(), json!({}));
        assert_eq!(
            run_rule(&CoopNotSet, &app).len(),
            1,
            "app/public is not server code"
        );
        std::fs::write(
            dir.path().join("app.js"),
            "module.exports = app => { app.use(async (ctx, next) => { await next(); ctx.set('Cross-Origin-Opener-Policy', 'same-origin'); }); };",
        )
        .unwrap();
        assert!(run_rule(&CoopNotSet, &app).is_empty());
    }
}
