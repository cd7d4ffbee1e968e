//! `BLT018` `proxy-without-max-ips-count`: `proxy: true` trusts the whole `X-Forwarded-For`
//! header, so `ctx.ip` is whatever the client writes first.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::Value;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct ProxyWithoutMaxIpsCount;

static META: RuleMeta = RuleMeta {
    code: "BLT018",
    name: "proxy-without-max-ips-count",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Client IPs behind a proxy (`proxy`, `maxIpsCount`) cannot be spoofed",
    docs: RuleDocs {
        what: "Finds `config.proxy: true` with `config.maxIpsCount` left at `0` (egg's \
default; the deprecated `maxProxyCount` is also `0`). egg then reads `ctx.ip` and `ctx.ips` \
from the whole `X-Forwarded-For` header (`config.ipHeaders`) and takes its first entry.",
        why: "The first `X-Forwarded-For` entry is written by the client: proxies append to \
the header, they do not replace it. Any IP-based control — rate limits, login throttling, \
IP allow lists, audit logs, geo checks — then trusts an address the attacker chose.",
        bad: r#"// config/config.prod.js
module.exports = {
  proxy: true, // behind one nginx
};"#,
        good: r#"// config/config.prod.js
module.exports = {
  proxy: true,
  maxIpsCount: 1, // the number of proxies in front of the app
};"#,
        fix: "Set `config.maxIpsCount` to the number of proxies in front of the app, so egg \
keeps only the entries they appended:\n\n```js\n// config/config.prod.js\nconfig.proxy = \
true;\nconfig.maxIpsCount = 1;\n```\n\nIf the app is not behind a proxy, remove \
`proxy: true`.",
    },
};

impl Rule for ProxyWithoutMaxIpsCount {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        // Without `proxy: true` egg ignores forwarding headers: there is no proxy to judge.
        let Some(proxy) = app.config_at("proxy") else {
            cx.not_applicable();
            return;
        };
        if proxy.truthy() != Some(true) {
            cx.not_applicable();
            return;
        }
        // Unset counts are egg's default 0; anything not a known number is not judged.
        let count = |key: &str| match app.config_at(key) {
            None => Some(0.0),
            Some(v) => v
                .as_f64()
                .or_else(|| v.truthy().filter(|t| !t).map(|_| 0.0)),
        };
        let (Some(max_ips), Some(max_proxies)) = (count("maxIpsCount"), count("maxProxyCount"))
        else {
            cx.not_applicable();
            return;
        };
        if max_ips > 0.0 || max_proxies > 0.0 {
            let count = |key: &str, n: f64| format!("{key} {}", eggsec_js::number_json(n));
            let counts: Vec<String> = [("maxIpsCount", max_ips), ("maxProxyCount", max_proxies)]
                .into_iter()
                .filter(|(_, n)| *n > 0.0)
                .map(|(key, n)| count(key, n))
                .collect();
            cx.fact(format!("proxy: true with {}", counts.join(" and ")));
            return;
        }
        let header = app
            .config_at("ipHeaders")
            .and_then(Value::as_str)
            .unwrap_or("x-forwarded-for")
            .to_string();
        let prov = proxy.prov.clone();
        cx.report(
            &prov,
            format!(
                "`proxy: true` with `maxIpsCount: 0` in {}: ctx.ip is the first `{header}` \
entry, which the client controls",
                app.env
            ),
            vec!["proxy = true, maxIpsCount = 0".to_string()],
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_proxy_without_count() {
        let app = test_model(json!({
            "proxy": {"$at": "config/config.prod.js:2:10", "$value": true},
            "maxIpsCount": 0,
            "maxProxyCount": 0
        }));
        let findings = run_rule(&ProxyWithoutMaxIpsCount, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:2:10"
        );
        assert!(findings[0].message.contains("x-forwarded-for"));
    }

    #[test]
    fn no_hit_with_count_without_proxy_or_unknown() {
        for config in [
            json!({"proxy": true, "maxIpsCount": 1}),
            json!({"proxy": true, "maxIpsCount": 0, "maxProxyCount": 2}),
            json!({"proxy": false, "maxIpsCount": 0}),
            json!({"proxy": {"$env": "TRUST_PROXY", "default": null}}),
            json!({"proxy": true, "maxIpsCount": {"$env": "MAX_IPS", "default": null}}),
        ] {
            let app = test_model(config.clone());
            assert!(
                run_rule(&ProxyWithoutMaxIpsCount, &app).is_empty(),
                "{config}"
            );
        }
    }
}
