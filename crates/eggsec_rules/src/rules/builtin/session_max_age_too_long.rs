//! `BLT006` `session-max-age-too-long`: sessions stay valid for more than 30 days, or never
//! expire on the server (`maxAge: 'session'`).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::ValueKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SessionMaxAgeTooLong;

const DAY_MS: f64 = 24.0 * 3600.0 * 1000.0;
/// Longer than this is reported.
const MAX_DAYS: f64 = 30.0;

static META: RuleMeta = RuleMeta {
    code: "BLT006",
    name: "session-max-age-too-long",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Sessions expire within 30 days (egg-session `maxAge`)",
    docs: RuleDocs {
        what: "Finds `config.session.maxAge` above 30 days (egg-session's default is one day, \
`86400000` ms), and `maxAge: 'session'`, with which koa-session stores no expiry in the \
session at all.",
        why: "egg's cookie session is valid for as long as `maxAge` says: koa-session writes \
`_expire = now + maxAge` into the session and checks it on every request. A stolen cookie \
(XSS, a shared computer, a leaked log or proxy) works for the whole period, and the user has \
no way to end it because cookie sessions cannot be revoked server-side. With `'session'`, the \
browser drops the cookie on close — but the server never expires it, so a copied cookie works \
forever (and browsers that restore sessions keep it too).",
        bad: r#"// config/config.default.js
module.exports = {
  session: {
    maxAge: 365 * 24 * 3600 * 1000, // a year
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  session: {
    maxAge: 24 * 3600 * 1000, // one day (egg-session's default)
    renew: true,              // extend active sessions when half of maxAge is left
  },
};"#,
        fix: "Use a lifetime of days, not months; keep users signed in with `renew: true` \
(koa-session re-issues the cookie when less than half of `maxAge` is left) rather than a huge \
`maxAge`:\n\n```js\n// config/config.default.js\nmodule.exports = {\n  session: { maxAge: 24 * \
3600 * 1000, renew: true },\n};\n```\n\nFor a long \"remember me\", issue a separate, \
revocable token stored server-side.",
    },
};

impl Rule for SessionMaxAgeTooLong {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("session") {
            cx.not_applicable();
            return;
        }
        let Some(max_age) = app.config_at("session.maxAge") else {
            cx.not_applicable();
            return;
        };
        let file = cx.relative_path(&max_age.prov.file);
        match &max_age.kind {
            ValueKind::Number(ms) if *ms > MAX_DAYS * DAY_MS => {
                let days = ms / DAY_MS;
                cx.report(
                    &max_age.prov,
                    format!(
                        "Sessions stay valid for {} days in {} (session.maxAge), longer than 30: \
a stolen session cookie works for all of that time",
                        format_days(days),
                        app.env
                    ),
                    vec![format!(
                        "session.maxAge = {ms} ms = {} days ({file})",
                        format_days(days)
                    )],
                    META.docs.fix,
                );
            }
            ValueKind::Number(ms) => {
                let days = format_days(ms / DAY_MS);
                let unit = if days == "1" { "day" } else { "days" };
                cx.fact(format!("Sessions expire after {days} {unit}"));
            }
            ValueKind::String(s) if s == "session" => {
                cx.report(
                    &max_age.prov,
                    "session.maxAge = 'session': koa-session stores no expiry, so a copied \
session cookie never expires on the server",
                    vec![format!("session.maxAge = 'session' ({file})")],
                    META.docs.fix,
                )
                .severity = Severity::Low;
            }
            // Not statically known (env, computed) or not a duration egg-session knows.
            _ => cx.not_applicable(),
        }
    }
}

/// `365`, `30.5`, `Infinity`.
fn format_days(days: f64) -> String {
    if !days.is_finite() {
        return "Infinity".into();
    }
    let text = format!("{days:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    fn findings(max_age: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(
            &SessionMaxAgeTooLong,
            &test_model(json!({"session": {"maxAge": max_age}})),
        )
    }

    #[test]
    fn hit_a_year() {
        let found =
            findings(json!({"$at": "config/config.default.js:4:13", "$value": 31_536_000_000u64}));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:4:13"
        );
        assert_eq!(
            found[0].evidence,
            ["session.maxAge = 31536000000 ms = 365 days (config/config.default.js)"]
        );
        assert_eq!(findings(json!(31 * 86_400_000u64)).len(), 1);
    }

    #[test]
    fn hit_session_semantics_as_low() {
        let found = findings(json!("session"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Low);
    }

    #[test]
    fn no_hit_up_to_30_days_or_unknown() {
        for max_age in [
            json!(86_400_000u64),
            json!(30 * 86_400_000u64),
            json!({"$env": "SESSION_MAX_AGE", "default": null}),
            json!({"$unknown": "ms('90d')"}),
        ] {
            assert!(findings(max_age.clone()).is_empty(), "{max_age}");
        }
        let mut app = test_model(json!({"session": {"maxAge": 31_536_000_000u64}}));
        set_plugin(&mut app, "session", false);
        assert!(run_rule(&SessionMaxAgeTooLong, &app).is_empty());
    }
}
