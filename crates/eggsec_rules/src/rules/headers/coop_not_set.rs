//! `HDR013` `coop-not-set`: nothing in the app sets `Cross-Origin-Opener-Policy`
//! (egg-security cannot).

use crate::egg_security::check_header_set_by_app;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

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
        // helmet (koa-helmet, helmet >= 5) sends COOP `same-origin` by default.
        check_header_set_by_app(
            cx,
            "Cross-Origin-Opener-Policy",
            &["cross-origin-opener-policy", "helmet"],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_reported_once_without_app_code, run_rule, test_model_in};
    use serde_json::json;

    #[test]
    fn hit_when_no_code_sets_it() {
        assert_reported_once_without_app_code(&CoopNotSet);
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
