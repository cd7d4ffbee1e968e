//! `MW007` `outbound-request-to-request-url`: Outbound request to a request-controlled URL.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct OutboundRequestToRequestUrl;

static META: RuleMeta = RuleMeta {
    code: "MW007",
    name: "outbound-request-to-request-url",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    // 50% precision on the real-app corpus (1 of 2 medium+ findings): a URL whose origin the
    // server stored and whose path the request appends is still reported
    confidence: Confidence::Low,
    control: "Outbound requests go only to URLs the app chooses",
    docs: RuleDocs {
        what: r#"Finds request data used as the URL of `ctx.curl`, `app.curl`, `app.httpclient.request`, urllib, axios, got or fetch (server-side request forgery) — the HTTP clients of `crates/eggsec_js/models/http.toml`. Safe: `ctx.safeCurl` (egg-security's SSRF guard), a URL with a fixed origin (`https://api.example.com/x?q=` + ..., `${config.api}/path/${id}`, text appended to a variable holding one: `let url = proxy.origin + '/'; url += ctx.path`) or a path-relative one, `encodeURIComponent`. What a remote API returns is not request data."#,
        why: r#"SSRF makes the server fetch internal addresses for the attacker: cloud metadata credentials (169.254.169.254), admin consoles, databases on the private network."#,
        bad: r#"const res = await ctx.curl(ctx.query.url);"#,
        good: r#"// config: security.ssrf.ipBlackList = [ '10.0.0.0/8', '169.254.0.0/16', '127.0.0.0/8' ]
const res = await ctx.safeCurl(ctx.query.url);"#,
        fix: r#"Use `ctx.safeCurl` with `config.security.ssrf.ipBlackList` (or `checkAddress`), or allow-list the hosts the feature needs."#,
    },
};

impl Rule for OutboundRequestToRequestUrl {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Ssrf,
            "Outbound request to a request-controlled URL",
            META.docs.fix,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_rule;

    #[test]
    fn hit_and_safe_look_alike() {
        let (hit, safe) = super::super::sql_built_from_request::tests::sample_apps(
            "outbound-request-to-request-url",
        );
        assert!(
            !run_rule(&OutboundRequestToRequestUrl, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&OutboundRequestToRequestUrl, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }
}
