//! `HDR012` `permissions-policy-not-set`: nothing in the app sets `Permissions-Policy`
//! (egg-security cannot).

use crate::egg_security::check_header_set_by_app;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct PermissionsPolicyNotSet;

static META: RuleMeta = RuleMeta {
    code: "HDR012",
    name: "permissions-policy-not-set",
    strategy: Strategy::Headers,
    severity: Severity::Info,
    confidence: Confidence::Medium,
    control: "A Permissions-Policy header is set by the app",
    docs: RuleDocs {
        what: "Reports the app (once) when none of its code — `app/` (without `app/public` and \
`app/view`), `app.js`, local plugins — mentions a `Permissions-Policy` header. egg-security has \
no option for it, so only a middleware of the app (or the reverse proxy) can send it. An app without an `app/` directory (no routes) is not \
reported.",
        why: "Permissions-Policy switches off powerful browser features the app does not use \
(camera, microphone, geolocation, payment, USB...) for the app and anything it embeds, so an \
injected script or a compromised third-party frame cannot use them. If the proxy already sets \
the header, suppress this finding with that reason.",
        bad: r#"// app/middleware/ — no middleware sets Permissions-Policy
// config/config.default.js
module.exports = { middleware: [] };"#,
        good: r#"// app/middleware/security_headers.js
module.exports = () => async function securityHeaders(ctx, next) {
  await next();
  ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
};

// config/config.default.js
module.exports = { middleware: [ 'securityHeaders' ] };"#,
        fix: "Add a middleware that sets the header on every response and list it in \
`config.middleware`:\n\n```js\n// app/middleware/security_headers.js\nmodule.exports = () => \
async function securityHeaders(ctx, next) {\n  await next();\n  ctx.set('Permissions-Policy', \
'camera=(), microphone=(), geolocation=(), payment=()');\n};\n\n// config/config.default.js\n\
config.middleware = [ 'securityHeaders' ];\n```",
    },
};

impl Rule for PermissionsPolicyNotSet {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        check_header_set_by_app(cx, "Permissions-Policy", &["permissions-policy"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_reported_once_without_app_code, run_rule, test_model_in};
    use serde_json::json;

    #[test]
    fn hit_when_no_code_sets_it() {
        assert_reported_once_without_app_code(&PermissionsPolicyNotSet);
    }

    #[test]
    fn no_hit_when_a_middleware_sets_it_or_local() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/middleware")).unwrap();
        std::fs::write(
            dir.path().join("app/middleware/headers.js"),
            "module.exports = () => async (ctx, next) => { await next(); ctx.set('permissions-policy', 'camera=()'); };",
        )
        .unwrap();
        let app = test_model_in(dir.path(), json!({}));
        assert!(run_rule(&PermissionsPolicyNotSet, &app).is_empty());
        std::fs::remove_file(dir.path().join("app/middleware/headers.js")).unwrap();
        let mut app = test_model_in(dir.path(), json!({}));
        assert_eq!(run_rule(&PermissionsPolicyNotSet, &app).len(), 1);
        app.env = "local".into();
        assert!(run_rule(&PermissionsPolicyNotSet, &app).is_empty());
    }
}
