//! `BLT010` `body-parser-limit-too-large`: egg's bodyParser accepts request bodies far larger
//! than an API needs.

use crate::util::{config_snippet, format_bytes, string_list, value_bytes};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::AppModel;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct BodyParserLimitTooLarge;

/// Limits above this are reported (egg's defaults are 1mb).
const MAX_LIMIT: u64 = 10 * 1024 * 1024;

/// Each limit and the body type (koa-bodyparser `enableTypes` entry) it applies to.
const LIMITS: &[(&str, &str)] = &[
    ("jsonLimit", "json"),
    ("formLimit", "form"),
    ("textLimit", "text"),
    ("xmlLimit", "xml"),
];

static META: RuleMeta = RuleMeta {
    code: "BLT010",
    name: "body-parser-limit-too-large",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "bodyParser size limits stay at 10mb or less",
    docs: RuleDocs {
        what: "Finds `config.bodyParser.jsonLimit`, `formLimit`, `textLimit` or `xmlLimit` above \
10mb (egg's defaults are `'1mb'`), read as koa-bodyparser reads them (`'100kb'`, `'20mb'`, \
`'1gb'`, or a number of bytes). A limit is only reported when its body type is enabled \
(`enableTypes`, by default `['json', 'form']`) and the bodyParser is on.",
        why: "egg's bodyParser runs before routing and authentication, on every request: it \
buffers the whole body in memory, then parses it synchronously (`JSON.parse`, qs) on the one \
event-loop thread. With a 100mb limit, a handful of concurrent unauthenticated requests \
exhaust the process memory, and one large JSON body blocks all other requests while it is \
parsed. File uploads belong to egg-multipart (streamed, with its own `fileSize`), not to the \
bodyParser.",
        bad: r#"// config/config.default.js
module.exports = {
  bodyParser: {
    jsonLimit: '100mb',
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  bodyParser: {
    jsonLimit: '1mb', // egg's default; raise it for the few routes that need more
  },
  multipart: { fileSize: '50mb' }, // uploads go through egg-multipart
};"#,
        fix: "Lower the limit to what the largest legitimate body needs (egg's default is \
`'1mb'`):\n\n```js\n// config/config.default.js\nmodule.exports = {\n  bodyParser: { \
jsonLimit: '1mb', formLimit: '1mb' },\n};\n```\n\nFor uploads use egg-multipart \
(`ctx.getFileStream()`); for one route that needs a large JSON body, disable the global \
parser for it with `bodyParser.ignore` and parse it in that route with its own limit.",
    },
};

/// Whether koa-bodyparser parses bodies of `kind`: `enableTypes` (default `['json','form']`)
/// lists it, or cannot be known.
pub(crate) fn body_type_enabled(app: &AppModel, kind: &str) -> bool {
    match app.config_at("bodyParser.enableTypes") {
        None => matches!(kind, "json" | "form"),
        Some(types) => string_list(types).is_none_or(|list| list.contains(&kind)),
    }
}

/// Whether egg's bodyParser middleware runs (`bodyParser.enable !== false`).
pub(crate) fn body_parser_enabled(app: &AppModel) -> bool {
    app.config_at("bodyParser.enable").and_then(|v| v.as_bool()) != Some(false)
}

impl Rule for BodyParserLimitTooLarge {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !body_parser_enabled(app) {
            cx.not_applicable();
            return;
        }
        let mut reported = false;
        // The limits of the enabled body types, and whether one of them is not known.
        let (mut seen, mut unknown) = (Vec::new(), false);
        for (key, kind) in LIMITS {
            let Some(limit) = app.config_at(&format!("bodyParser.{key}")) else {
                continue;
            };
            let Some(bytes) = value_bytes(limit) else {
                unknown |= body_type_enabled(app, kind);
                continue;
            };
            if !body_type_enabled(app, kind) {
                continue;
            }
            if bytes <= MAX_LIMIT {
                seen.push(format!("{kind} {}", format_bytes(bytes)));
                continue;
            }
            reported = true;
            let written = match limit.as_str() {
                Some(s) => format!("'{s}'"),
                None => format!("{bytes}"),
            };
            let file = cx.relative_path(&limit.prov.file);
            cx.report(
                &limit.prov,
                format!(
                    "bodyParser.{key} is {} in {}: every request may make egg buffer and parse \
a {kind} body that large before any route or auth check runs",
                    format_bytes(bytes),
                    app.env
                ),
                vec![format!(
                    "bodyParser.{key} = {written} ({file}); egg's default is '1mb'"
                )],
                format!(
                    "Lower the limit to what the largest legitimate {kind} body needs (egg's \
default is '1mb'); send uploads through egg-multipart instead:\n\n{}",
                    config_snippet(&file, &format!("bodyParser.{key}"), "'1mb'")
                ),
            );
        }
        if reported {
            return;
        }
        if unknown {
            // A limit of an enabled body type is not statically known (env, computed).
            cx.not_applicable();
        } else if !seen.is_empty() {
            cx.fact(format!(
                "bodyParser size limits are at most 10mb ({})",
                seen.join(", ")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, run_rule_posture, test_model};
    use serde_json::json;

    fn findings(body_parser: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(
            &BodyParserLimitTooLarge,
            &test_model(json!({ "bodyParser": body_parser })),
        )
    }

    #[test]
    fn hit_large_json_and_form_limits() {
        let found = findings(json!({
            "jsonLimit": {"$at": "config/config.default.js:3:16", "$value": "100mb"},
            "formLimit": 52_428_800u64,
        }));
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:3:16"
        );
        assert_eq!(
            found[0].evidence,
            ["bodyParser.jsonLimit = '100mb' (config/config.default.js); egg's default is '1mb'"]
        );
        assert!(found[1].message.contains("is 50mb"));
    }

    #[test]
    fn hit_text_limit_only_when_text_is_enabled() {
        let config = json!({"textLimit": "1gb", "enableTypes": ["json", "form", "text"]});
        assert_eq!(findings(config).len(), 1);
        assert!(findings(json!({"textLimit": "1gb"})).is_empty());
    }

    #[test]
    fn no_hit_at_or_under_10mb_unknown_or_disabled() {
        for config in [
            json!({"jsonLimit": "1mb", "formLimit": "1mb", "textLimit": "1mb"}),
            json!({"jsonLimit": "10mb"}),
            json!({"jsonLimit": 10_485_760u64}),
            json!({"jsonLimit": {"$env": "JSON_LIMIT", "default": null}}),
            json!({"jsonLimit": {"$unknown": "limit()"}}),
            json!({"jsonLimit": "100mb", "enable": false}),
            json!({"formLimit": "100mb", "enableTypes": ["json"]}),
        ] {
            assert!(findings(config.clone()).is_empty(), "{config}");
        }
    }

    #[test]
    fn posture_names_known_limits_and_skips_unknown_ones() {
        let posture = |body_parser: serde_json::Value| {
            run_rule_posture(
                &BodyParserLimitTooLarge,
                &test_model(json!({ "bodyParser": body_parser })),
            )
        };
        assert_eq!(
            posture(json!({"jsonLimit": "1mb", "formLimit": "2mb", "textLimit": "1gb"})),
            (
                true,
                vec!["bodyParser size limits are at most 10mb (json 1mb, form 2mb)".to_string()]
            )
        );
        assert!(!posture(json!({"jsonLimit": {"$env": "JSON_LIMIT", "default": null}})).0);
        assert!(!posture(json!({"jsonLimit": "100mb", "enable": false})).0);
    }
}
