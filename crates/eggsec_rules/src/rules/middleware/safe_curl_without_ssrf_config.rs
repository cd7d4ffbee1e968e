//! `MW023` `safe-curl-without-ssrf-config`: `ctx.safeCurl()` called while `security.ssrf` has
//! no `ipBlackList`, `ipExceptionList` or `checkAddress`.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::mistakes::MistakeKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SafeCurlWithoutSsrfConfig;

static META: RuleMeta = RuleMeta {
    code: "MW023",
    name: "safe-curl-without-ssrf-config",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "ctx.safeCurl is backed by an SSRF configuration",
    docs: RuleDocs {
        what: r#"Finds `ctx.safeCurl(...)`, `app.safeCurl(...)` and `agent.safeCurl(...)` calls in an app whose effective config (for the audited env) sets none of `security.ssrf.ipBlackList`, `security.ssrf.ipExceptionList` or `security.ssrf.checkAddress`."#,
        why: r#"egg-security's `safeCurl` only protects when `security.ssrf` is configured: without it, it logs a warning ("please configure `config.security.ssrf` first") and calls plain `curl` — the name promises SSRF protection the app does not have, so internal addresses (cloud metadata, admin ports) stay reachable."#,
        bad: r#"// config/config.default.js: no security.ssrf
const res = await ctx.safeCurl(ctx.query.url);"#,
        good: r#"// config/config.default.js
config.security = {
  ssrf: {
    ipBlackList: [ '10.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '0.0.0.0/32' ],
  },
};"#,
        fix: r#"Configure `config.security.ssrf` (`ipBlackList` with the private, loopback and link-local ranges, or `checkAddress(ip, family, hostname)`), in `config.default.js` so every env gets it."#,
    },
};

/// Whether the effective config makes `safeCurl` check addresses.
fn ssrf_configured(app: &eggsec_app::AppModel) -> bool {
    let Some(ssrf) = app.config_at("security.ssrf") else {
        return false;
    };
    ["ipBlackList", "ipExceptionList", "checkAddress"]
        .iter()
        .any(|k| match ssrf.get(k) {
            None => false,
            Some(v) if v.is_undefined() => false,
            Some(v) => match &v.kind {
                eggsec_js::ValueKind::Null => false,
                eggsec_js::ValueKind::Array(items) => !items.is_empty(),
                _ => true,
            },
        })
}

impl Rule for SafeCurlWithoutSsrfConfig {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        if ssrf_configured(cx.app) {
            return;
        }
        crate::util::report_mistakes(cx, MistakeKind::SafeCurlCall, |m| {
            format!(
                "safeCurl in {} runs without `security.ssrf` configured: egg-security then calls plain curl",
                m.function
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hit_and_configured_look_alike() {
        let src =
            "exports.f = async ctx => { ctx.body = (await ctx.safeCurl(ctx.query.url)).data; };";
        let mut app = model_with_controller(src);
        assert_eq!(run_rule(&SafeCurlWithoutSsrfConfig, &app).len(), 1);
        let cfg = crate::testing::test_model_in(
            std::path::Path::new("/nonexistent"),
            serde_json::json!({ "security": { "ssrf": { "ipBlackList": ["10.0.0.0/8"] } } }),
        );
        app.config = cfg.config;
        assert!(run_rule(&SafeCurlWithoutSsrfConfig, &app).is_empty());
        let plain = model_with_controller("exports.f = async ctx => { ctx.body = (await ctx.curl('https://a.example/x')).data; };");
        assert!(run_rule(&SafeCurlWithoutSsrfConfig, &plain).is_empty());
    }
}
