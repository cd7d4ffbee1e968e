//! `BLT011` `query-string-limits-raised`: the qs limits egg's bodyParser applies to form
//! bodies are raised above egg's defaults.

use super::body_parser_limit_too_large::{body_parser_enabled, body_type_enabled};
use crate::util::config_snippet;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct QueryStringLimitsRaised;

/// Each qs option and egg's default (`bodyParser.queryString`).
const LIMITS: &[(&str, f64)] = &[
    ("depth", 5.0),
    ("arrayLimit", 100.0),
    ("parameterLimit", 1000.0),
];

static META: RuleMeta = RuleMeta {
    code: "BLT011",
    name: "query-string-limits-raised",
    strategy: Strategy::Builtin,
    severity: Severity::Low,
    confidence: Confidence::High,
    control: "bodyParser qs limits (depth, arrayLimit, parameterLimit) stay at egg's defaults",
    docs: RuleDocs {
        what: "Finds `config.bodyParser.queryString.depth` above 5, `arrayLimit` above 100 or \
`parameterLimit` above 1000 (egg's defaults) while form bodies are parsed. These qs options \
govern `application/x-www-form-urlencoded` bodies; egg 3 parses `ctx.query` with Node's \
`querystring`, which has no such options. A raise to ten times the default or more (or \
`Infinity`) is reported as medium.",
        why: "qs builds nested objects and arrays from keys such as `a[b][c][d]=1` and \
`a[999]=1`. egg's bodyParser parses the form body before any route or auth runs, on the one \
event-loop thread. Raising the limits lets one unauthenticated request make qs build deep \
object trees, huge sparse arrays or tens of thousands of keys — CPU and memory the attacker \
chooses — and hands application code structures it does not expect (type confusion when \
`ctx.request.body.x` is an object or array).",
        bad: r#"// config/config.default.js
module.exports = {
  bodyParser: {
    queryString: { depth: 20, arrayLimit: 10000, parameterLimit: 100000 },
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  bodyParser: {
    // egg's defaults: delete the override
    queryString: { depth: 5, arrayLimit: 100, parameterLimit: 1000 },
  },
};"#,
        fix: "Delete the override so egg's defaults apply, or keep each value at or below \
them:\n\n```js\n// config/config.default.js\nmodule.exports = {\n  bodyParser: {\n    \
queryString: { depth: 5, arrayLimit: 100, parameterLimit: 1000 },\n  },\n};\n```\n\nSend \
large or deeply nested data as a JSON body instead of a form.",
    },
};

impl Rule for QueryStringLimitsRaised {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !body_parser_enabled(app) || !body_type_enabled(app, "form") {
            cx.not_applicable();
            return;
        }
        let (mut reported, mut unknown) = (false, false);
        for (key, default) in LIMITS {
            let Some(value) = app
                .config_at(&format!("bodyParser.queryString.{key}"))
                .filter(|v| !v.is_undefined())
            else {
                continue;
            };
            let Some(n) = value.as_f64() else {
                unknown = true;
                continue;
            };
            if n <= *default {
                continue;
            }
            reported = true;
            let file = cx.relative_path(&value.prov.file);
            let shown = if n.is_finite() {
                eggsec_js::number_json(n).to_string()
            } else {
                "Infinity".to_string()
            };
            let finding = cx.report(
                &value.prov,
                format!(
                    "bodyParser.queryString.{key} is raised to {shown} in {} (egg's default \
is {default}): one form request can make qs build that much structure",
                    app.env
                ),
                vec![format!(
                    "bodyParser.queryString.{key} = {shown} ({file}); egg's default is {default}"
                )],
                format!(
                    "Delete the override so egg's default applies, or set it back; send large \
or nested data as JSON instead of a form:\n\n{}",
                    config_snippet(
                        &file,
                        &format!("bodyParser.queryString.{key}"),
                        &default.to_string()
                    )
                ),
            );
            if !n.is_finite() || n >= default * 10.0 {
                finding.severity = Severity::Medium;
            }
        }
        if reported {
            return;
        }
        if unknown {
            // A limit that is not statically known (env, computed).
            cx.not_applicable();
        } else {
            cx.fact("bodyParser qs limits are at egg's defaults or lower");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model};
    use serde_json::json;

    fn findings(body_parser: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(
            &QueryStringLimitsRaised,
            &test_model(json!({ "bodyParser": body_parser })),
        )
    }

    #[test]
    fn hit_each_raised_limit() {
        let found = findings(json!({"queryString": {
            "depth": {"$at": "config/config.default.js:4:12", "$value": 10},
            "arrayLimit": 10_000,
            "parameterLimit": 1001,
        }}));
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:4:12"
        );
        assert_eq!(
            found[0].evidence,
            ["bodyParser.queryString.depth = 10 (config/config.default.js); egg's default is 5"]
        );
        assert_eq!(found[0].severity, Severity::Low);
        assert_eq!(found[1].severity, Severity::Medium);
        assert_eq!(found[2].severity, Severity::Low);
    }

    #[test]
    fn no_hit_on_defaults_lower_unknown_or_no_form_parsing() {
        for config in [
            json!({"queryString": {"depth": 5, "arrayLimit": 100, "parameterLimit": 1000}}),
            json!({"queryString": {"depth": 2, "arrayLimit": 20}}),
            json!({"queryString": {"depth": {"$env": "QS_DEPTH", "default": null}}}),
            json!({"queryString": {"depth": 50}, "enableTypes": ["json"]}),
            json!({"queryString": {"depth": 50}, "enable": false}),
            // Adding body types is not a finding in itself.
            json!({"enableTypes": ["json", "form", "text", "xml"]}),
        ] {
            assert!(findings(config.clone()).is_empty(), "{config}");
        }
    }
}
