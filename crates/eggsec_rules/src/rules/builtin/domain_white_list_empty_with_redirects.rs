//! `BLT019` `domain-white-list-empty-with-redirects`: the app redirects to computed URLs while
//! `security.domainWhiteList` is empty, so egg-security's safe redirect checks nothing.

use super::jsonp_without_csrf_or_referrer_check::find_calls;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::sync::LazyLock;

pub struct DomainWhiteListEmptyWithRedirects;

static META: RuleMeta = RuleMeta {
    code: "BLT019",
    name: "domain-white-list-empty-with-redirects",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Redirects are limited to known domains (`security.domainWhiteList`)",
    docs: RuleDocs {
        what: "Finds `ctx.redirect(...)` calls (also `this.ctx.redirect`, \
`ctx.response.redirect`) whose target is not a string literal, in the app's server code, \
while the effective `config.security.domainWhiteList` is empty (egg-security's default). \
egg-security's safe `ctx.redirect` only checks the target's host when that list is \
non-empty. Literal targets (`ctx.redirect('/login')`) and `ctx.redirect('back')` are not \
reported; the finding points at the first such call and lists the others.",
        why: "A redirect target built from the request (`ctx.query.returnUrl`, a `next` \
parameter) lets an attacker send users from a link on the app's own domain to a phishing \
site (open redirect), and can leak OAuth codes or tokens carried in the URL. \
`domainWhiteList` is egg's built-in guard against it, and it is off until the app lists \
its domains.",
        bad: r#"// app/controller/user.js
async login() {
  const { ctx } = this;
  // ... authenticate ...
  ctx.redirect(ctx.query.returnUrl); // config.security.domainWhiteList is []
}"#,
        good: r#"// config/config.default.js
module.exports = {
  security: {
    domainWhiteList: [ '.example.com' ],
  },
};"#,
        fix: "List the domains the app may redirect to, so egg-security's `ctx.redirect` \
sends any other target to `/`:\n\n```js\n// config/config.default.js\nconfig.security = {\n  \
domainWhiteList: [ '.example.com' ],\n};\n```\n\nUse `ctx.unsafeRedirect` only for targets \
the code builds itself.",
    },
};

/// `ctx.redirect(`, `this.ctx.redirect(`, `ctx.response.redirect(`.
static REDIRECT_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bctx\s*\.\s*(?:response\s*\.\s*)?redirect\s*\(").expect("valid regex")
});

/// At most this many call sites are listed in the evidence.
const MAX_LISTED: usize = 10;

impl Rule for DomainWhiteListEmptyWithRedirects {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("security") {
            cx.not_applicable();
            return;
        }
        let Some(list) = app.config_at("security.domainWhiteList") else {
            cx.not_applicable();
            return;
        };
        match list.as_list() {
            Some([]) => {}
            Some(_) => {
                cx.fact("Redirects checked against security.domainWhiteList");
                return;
            }
            None => {
                cx.not_applicable();
                return;
            }
        }
        let calls: Vec<_> = cx
            .cache()
            .app_sources(app)
            .iter()
            .flat_map(|file| find_calls(file, &REDIRECT_CALL))
            .filter(|call| !is_fixed_host_target(&call.args))
            .collect();
        let Some(first) = calls.first() else {
            // No redirect to a computed URL: the empty list protects nothing, and needs not.
            cx.not_applicable();
            return;
        };
        let mut evidence: Vec<String> = calls
            .iter()
            .take(MAX_LISTED)
            .map(|call| {
                format!(
                    "{}:{}: {}{})",
                    cx.relative_path(&call.prov.file),
                    call.prov.line,
                    call.text,
                    call.args.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            })
            .collect();
        if calls.len() > MAX_LISTED {
            evidence.push(format!("... and {} more", calls.len() - MAX_LISTED));
        }
        evidence.push("security.domainWhiteList = []".into());
        let prov = first.prov.clone();
        let count = calls.len();
        cx.report(
            &prov,
            format!(
                "The app redirects to computed URLs ({count} call{}) while \
`security.domainWhiteList` is empty, so egg-security's safe redirect accepts any host",
                if count == 1 { "" } else { "s" }
            ),
            evidence,
            META.docs.fix,
        );
    }
}

/// Whether a redirect's target cannot leave the app's host: a whole string literal (a
/// template literal only without `${}`), including `'back'`, or any expression that starts
/// with a literal path on the same host (`'/users/' + id`, `` `/u/${id}` ``).
fn is_fixed_host_target(args: &str) -> bool {
    let args = args.trim_start();
    // `eggsec fix`'s rewrite: `/^\/(?![\s/\\])/.test(x) ? x : '/'` is a path on this host
    if let Some(rest) = args.strip_prefix(r"/^\/(?![\s/\\])/.test(") {
        if let Some((x, tail)) = rest.split_once(") ? ") {
            return tail
                .strip_prefix(x)
                .is_some_and(|t| t.trim_start().starts_with(": '/'"));
        }
    }
    let Some(quote) = args
        .chars()
        .next()
        .filter(|c| matches!(c, '\'' | '"' | '`'))
    else {
        return false;
    };
    let body = &args[1..];
    let same_host_path = body.starts_with('/') && !body[1..].starts_with(['/', '\\']);
    if same_host_path {
        return true;
    }
    match body.find(quote) {
        Some(end) => {
            let whole = body[end + 1..].trim_start();
            (whole.is_empty() || whole.starts_with(','))
                && (quote != '`' || !body[..end].contains("${"))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model_in};
    use serde_json::json;

    const CONTROLLER: &str = "'use strict';\nconst { Controller } = require('egg');\n\
class UserController extends Controller {\n  async login() {\n    this.ctx.redirect('/home');\n    \
this.ctx.redirect(`/u/${this.ctx.params.id}`);\n  }\n  async back() {\n    \
const { ctx } = this;\n    ctx.redirect(ctx.query.returnUrl);\n  }\n}\nmodule.exports = UserController;\n";

    fn app_with_controller(
        source: &str,
        config: serde_json::Value,
    ) -> (tempfile::TempDir, eggsec_app::AppModel) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/controller")).unwrap();
        std::fs::write(dir.path().join("app/controller/user.js"), source).unwrap();
        let app = test_model_in(dir.path(), config);
        (dir, app)
    }

    #[test]
    fn hit_computed_redirects_with_empty_list() {
        let (_dir, app) =
            app_with_controller(CONTROLLER, json!({"security": {"domainWhiteList": []}}));
        let findings = run_rule(&DomainWhiteListEmptyWithRedirects, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "app/controller/user.js:10:5"
        );
        assert_eq!(findings[0].evidence.len(), 2, "{:?}", findings[0].evidence);
        assert_eq!(
            findings[0].evidence[0],
            "app/controller/user.js:10: ctx.redirect(ctx.query.returnUrl)"
        );
    }

    #[test]
    fn fixed_host_targets() {
        for yes in [
            "'/home'",
            " \"back\"",
            "`/static`",
            "`/u/${id}`",
            "'/a?next=' + next",
            "'https://a.example.com', 'x'",
            r"/^\/(?![\s/\\])/.test(ctx.query.next) ? ctx.query.next : '/'",
        ] {
            assert!(is_fixed_host_target(yes), "{yes}");
        }
        for no in [
            "url",
            "`${base}/x`",
            "'//' + host",
            "'https://' + host",
            "ctx.query.next || '/'",
            "`https://${host}`",
            r"/^\/(?![\s/\\])/.test(ctx.query.a) ? ctx.query.b : '/'",
        ] {
            assert!(!is_fixed_host_target(no), "{no}");
        }
    }

    #[test]
    fn no_hit_with_list_literal_redirects_or_security_off() {
        let (_dir, app) = app_with_controller(
            CONTROLLER,
            json!({"security": {"domainWhiteList": [".example.com"]}}),
        );
        assert!(run_rule(&DomainWhiteListEmptyWithRedirects, &app).is_empty());
        let (_dir, app) = app_with_controller(
            "class C { async a() { this.ctx.redirect('/x'); this.ctx.unsafeRedirect(next); } }\n",
            json!({"security": {"domainWhiteList": []}}),
        );
        assert!(run_rule(&DomainWhiteListEmptyWithRedirects, &app).is_empty());
        let (_dir, app) = app_with_controller(
            CONTROLLER,
            json!({"security": {"domainWhiteList": {"$unknown": "call"}}}),
        );
        assert!(run_rule(&DomainWhiteListEmptyWithRedirects, &app).is_empty());
        let (_dir, mut app) =
            app_with_controller(CONTROLLER, json!({"security": {"domainWhiteList": []}}));
        set_plugin(&mut app, "security", false);
        assert!(run_rule(&DomainWhiteListEmptyWithRedirects, &app).is_empty());
    }
}
