//! `HDR002` `hsts-max-age-too-short`: HSTS is on with a `maxAge` under 180 days.

use crate::egg_security::{is_dev_env, set_by, sub_middleware, SubMiddleware};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::ValueKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct HstsMaxAgeTooShort;

static META: RuleMeta = RuleMeta {
    code: "HDR002",
    name: "hsts-max-age-too-short",
    strategy: Strategy::Headers,
    severity: Severity::Low,
    confidence: Confidence::High,
    control: "HSTS max-age is at least 180 days",
    docs: RuleDocs {
        what: "Finds `config.security.hsts.maxAge` under 15552000 seconds (180 days) while HSTS \
is on. egg-security writes the value as is into `Strict-Transport-Security: max-age=<maxAge>`, \
so it is in **seconds** — a common mistake is a value meant as minutes or days, or `0`, which \
tells browsers to forget the policy.",
        why: "A browser forgets a short HSTS policy quickly; a user who has not visited within \
`max-age` is back to trying `http://` first, open to TLS stripping. The Mozilla HTTP \
Observatory fails any max-age under six months, and the HSTS preload list requires at least \
one year.",
        bad: r#"// config/config.prod.js
module.exports = {
  security: {
    hsts: { enable: true, maxAge: 3600 }, // one hour
  },
};"#,
        good: r#"// config/config.prod.js
module.exports = {
  security: {
    hsts: { enable: true, maxAge: 365 * 24 * 3600, includeSubdomains: true },
  },
};"#,
        fix: "Set `config.security.hsts.maxAge` to at least 15552000 (180 days); one year \
(31536000, egg-security's default) is the usual value:\n\n```js\nconfig.security = {\n  hsts: { \
enable: true, maxAge: 31536000, includeSubdomains: true },\n};\n```",
    },
};

/// 180 days in seconds: the Mozilla HTTP Observatory's threshold.
const MIN_MAX_AGE: f64 = 15_552_000.0;

impl Rule for HstsMaxAgeTooShort {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if is_dev_env(&app.env) {
            cx.not_applicable();
            return;
        }
        let SubMiddleware::Enabled(hsts) = sub_middleware(app, "hsts") else {
            cx.not_applicable();
            return;
        };
        let Some(value) = hsts.get("maxAge") else {
            cx.not_applicable();
            return;
        };
        // `process.env.X || 300`: judged on the default, with low confidence.
        let (seconds, from_env) = match &value.kind {
            ValueKind::Env {
                default: Some(default),
                ..
            } => (seconds_of(default), true),
            _ => (seconds_of(value), false),
        };
        let Some(seconds) = seconds else {
            cx.not_applicable();
            return;
        };
        if seconds >= MIN_MAX_AGE {
            cx.fact(format!(
                "HSTS max-age is {} days",
                (seconds / 86_400.0).floor()
            ));
            return;
        }
        let finding = cx.report(
            &value.prov,
            format!(
                "security.hsts.maxAge is {} seconds ({}) in {}: browsers forget the HSTS policy \
after that (at least 180 days = 15552000 is needed)",
                seconds,
                human(seconds),
                app.env
            ),
            vec![format!(
                "security.hsts.maxAge = {} ({})",
                value.to_tagged_json(),
                set_by(cx, value)
            )],
            META.docs.fix,
        );
        if from_env {
            finding.confidence = Confidence::Low;
        }
    }
}

/// The seconds of a `maxAge`: a number, or the leading digits of a string (egg 2/3 concatenate
/// the value, so `'600; preload'` works there).
fn seconds_of(value: &eggsec_js::Value) -> Option<f64> {
    match &value.kind {
        ValueKind::Number(n) => Some(*n),
        ValueKind::String(s) => {
            let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        }
        _ => None,
    }
}

/// A duration in seconds for messages: `5 minutes`, `2 hours`, `30 days`.
fn human(seconds: f64) -> String {
    let (n, unit) = if seconds >= 86_400.0 {
        (seconds / 86_400.0, "days")
    } else if seconds >= 3_600.0 {
        (seconds / 3_600.0, "hours")
    } else if seconds >= 60.0 {
        (seconds / 60.0, "minutes")
    } else {
        (seconds, "seconds")
    };
    let n = (n * 10.0).round() / 10.0;
    if n == 1.0 {
        format!("1 {}", unit.trim_end_matches('s'))
    } else {
        format!("{n} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    #[test]
    fn hit_short_max_age() {
        for max_age in [
            json!(300),
            json!(0),
            json!("600; preload"),
            json!(86400 * 30),
        ] {
            let app = test_model(json!({"security": {"hsts": {"enable": true,
                "maxAge": {"$at": "config/config.prod.js:4:35", "$value": max_age.clone()}}}}));
            let findings = run_rule(&HstsMaxAgeTooShort, &app);
            assert_eq!(findings.len(), 1, "{max_age}");
            assert_eq!(
                findings[0].location.to_string(),
                "config/config.prod.js:4:35"
            );
        }
        let app = test_model(json!({"security": {"hsts": {"enable": true, "maxAge": 300}}}));
        assert!(run_rule(&HstsMaxAgeTooShort, &app)[0]
            .message
            .contains("(5 minutes)"));
        let app = test_model(json!({"security": {"hsts": {"enable": true,
            "maxAge": {"$env": "HSTS_AGE", "default": 600}}}}));
        let findings = run_rule(&HstsMaxAgeTooShort, &app);
        assert_eq!(findings[0].confidence, Confidence::Low);
    }

    #[test]
    fn no_hit_long_enough_off_or_unknown() {
        for config in [
            json!({"security": {"hsts": {"enable": true, "maxAge": 31536000}}}),
            json!({"security": {"hsts": {"enable": true, "maxAge": 15552000}}}),
            json!({"security": {"hsts": {"enable": false, "maxAge": 300}}}),
            json!({"security": {"hsts": {"enable": true, "maxAge": {"$env": "HSTS_AGE", "default": null}}}}),
            json!({"security": {"hsts": {"enable": true, "maxAge": {"$env": "HSTS_AGE", "default": 31536000}}}}),
            json!({"security": {"hsts": {"enable": true}}}),
        ] {
            let app = test_model(config.clone());
            assert!(run_rule(&HstsMaxAgeTooShort, &app).is_empty(), "{config}");
        }
    }
}
