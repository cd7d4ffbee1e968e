//! `MW022` `module-loaded-from-request`: `require()` or `import()` of a path built from request
//! data.

use crate::util::report_mistakes;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::mistakes::MistakeKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct ModuleLoadedFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW022",
    name: "module-loaded-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Modules are never loaded by a name the request chooses",
    docs: RuleDocs {
        what: r#"Finds `require(x)` and `import(x)` whose argument holds request data (`ctx.query`, `ctx.params`, `ctx.request.body`, headers, tegg `@HTTPQuery()`/`@HTTPBody()` parameters; followed through locals in the same function), unless an allow-list test on the value surrounds the call (`if (PLUGINS.includes(name))`, `map.has(name)`, `name in table`)."#,
        why: r#"`require` runs the module it loads: with `../` a request can load any JavaScript or JSON file on the server (configs with secrets, `package.json`), and with an upload it can run its own code. It is remote code execution or file disclosure."#,
        bad: r#"const handler = require(`./handlers/${ctx.query.type}`);"#,
        good: r#"const HANDLERS = { csv: require('./handlers/csv'), xlsx: require('./handlers/xlsx') };
const handler = HANDLERS[ctx.query.type];
if (!handler) ctx.throw(400, 'unknown type');"#,
        fix: r#"Load every module up front and pick one from a fixed table by the request value (`HANDLERS[type]`, then reject an unknown type), or check the value against an allow-list before the `require`."#,
    },
};

impl Rule for ModuleLoadedFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        report_mistakes(cx, MistakeKind::ModuleFromRequest, |m| {
            format!(
                "A module is loaded by a request-chosen name in {}",
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
    fn hit_and_look_alikes() {
        let hit = "exports.load = async ctx => { const name = ctx.query.name; ctx.body = require(`./p/${name}`); };";
        let hit = run_rule(&ModuleLoadedFromRequest, &model_with_controller(hit));
        assert_eq!(hit.len(), 1);
        assert!(
            hit[0].evidence.iter().any(|e| e.contains("ctx.query")),
            "{:?}",
            hit[0].evidence
        );
        for src in [
            "exports.load = async ctx => { ctx.body = require('./p/base'); };",
            "const OK = ['a', 'b'];\nexports.load = async ctx => { const name = ctx.query.name; if (OK.includes(name)) ctx.body = require(`./p/${name}`); };",
        ] {
            assert!(run_rule(&ModuleLoadedFromRequest, &model_with_controller(src)).is_empty(), "{src}");
        }
    }
}
