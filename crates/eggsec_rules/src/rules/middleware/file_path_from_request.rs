//! `MW005` `file-path-from-request`: File path built from request data.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct FilePathFromRequest;

static META: RuleMeta = RuleMeta {
    code: "MW005",
    name: "file-path-from-request",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "File paths are never built from request data",
    docs: RuleDocs {
        what: r#"Finds request data reaching `fs`/`fs-extra` read/write/delete calls or koa-send (the sinks of `crates/eggsec_js/models/fs.toml`), resolved by what the callee is, not its name. Safe: `path.basename`/`path.extname` (a server-made stem plus the upload's extension), egg-multipart's temp file (`file.filepath`) and busboy's basename of an upload's `filename`, a name checked first by a guard that rejects `..` (`if (name.includes('..')) ctx.throw(400)`, `name.split('..').length > 1`, or `./`, which every `../` holds; the guard holds after the `if` and in its `else` branch) or by a validator (`if (!isSafeName(name)) return`). `ctx.attachment(name)` only sets a Content-Disposition header and is not a sink."#,
        why: r#"Path traversal (`../../config/config.prod.js`) lets an attacker read secrets and source code, or overwrite and delete files the app can reach."#,
        bad: r#"const file = path.join(this.config.baseDir, 'uploads', ctx.query.name);
ctx.body = fs.createReadStream(file);"#,
        good: r#"const name = path.basename(ctx.query.name);
ctx.body = fs.createReadStream(path.join(this.config.baseDir, 'uploads', name));"#,
        fix: r#"Reduce the value to a file name with `path.basename`, look it up in an allow-list or a database, and check the resolved path stays inside the intended directory."#,
    },
};

impl Rule for FilePathFromRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        super::sql_built_from_request::report_flows(
            cx,
            SinkKind::Path,
            "File path built from request data",
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
        let (hit, safe) =
            super::super::sql_built_from_request::tests::sample_apps("file-path-from-request");
        assert!(
            !run_rule(&FilePathFromRequest, &hit).is_empty(),
            "no finding on the planted flow"
        );
        assert!(
            run_rule(&FilePathFromRequest, &safe).is_empty(),
            "finding on the safe look-alike"
        );
    }

    /// DoraCMS's template editor: `if (p.split('./').length > 1) throw ...; else { read }`
    /// rejects every `../` before the read in the else branch; splitting on `/` checks nothing.
    #[test]
    fn a_guard_before_an_else_branch_holds_in_it() {
        let src = |sep: &str| {
            format!(
                "const fs = require('fs');\nexports.get = async ctx => {{\n  const p = ctx.query.filePath;\n  if (p && p.split('{sep}').length > 1) {{\n    throw new Error('no power');\n  }} else {{\n    ctx.body = fs.readFileSync('/srv/views/' + p);\n  }}\n}};\n"
            )
        };
        let guarded = crate::testing::model_with_controller(&src("./"));
        assert!(run_rule(&FilePathFromRequest, &guarded).is_empty());
        let dotdot = crate::testing::model_with_controller(&src(".."));
        assert!(run_rule(&FilePathFromRequest, &dotdot).is_empty());
        let unguarded = crate::testing::model_with_controller(&src("/"));
        assert_eq!(run_rule(&FilePathFromRequest, &unguarded).len(), 1);
    }

    /// `s.replace(pattern, replacement)` keeps the receiver's text and puts the replacement in:
    /// a request value used only as the pattern chooses where, not what (held-out
    /// blog_back_egg: `fs.unlinkSync(stored.replace(ctx.query.origin, 'app'))`). The same value
    /// as the receiver or the replacement, or as the pattern with an empty replacement (a
    /// deleted `x` turns `.x.` into `..`), is a hit.
    #[test]
    fn a_request_value_only_as_the_pattern_of_replace() {
        let src = |call: &str| {
            format!("const fs = require('fs');\nexports.rm = async ctx => {{\n  const stored = '/srv/up/' + Date.now() + '.png';\n  const o = ctx.query.origin;\n  fs.unlinkSync({call});\n}};\n")
        };
        for (call, expected) in [
            ("stored.replace(o, 'app')", 0),
            ("stored.replaceAll(o, 'app')", 0),
            ("stored.replace(o, '')", 1),
            ("stored.replace('/srv', o)", 1),
            ("o.replace('x', 'app')", 1),
        ] {
            let app = crate::testing::model_with_controller(&src(call));
            assert_eq!(
                run_rule(&FilePathFromRequest, &app).len(),
                expected,
                "{call}"
            );
        }
    }

    /// A name made by node's own hashing (`crypto.createHash('md5').update(x).digest('hex')`,
    /// directly or through a helper that returns it) is hex text: no `..`, no `/` (held-out
    /// eggjs_nuxt's repository directory). The value without the digest is a hit.
    #[test]
    fn a_digest_of_request_data_is_a_safe_name() {
        let helper = |ret: &str| {
            format!("const crypto = require('crypto');\nmodule.exports = {{\n  name(str) {{\n    return {ret};\n  }},\n}};\n")
        };
        let controller = "const fs = require('fs');\nconst crypto = require('crypto');\nexports.a = async ctx => { ctx.body = fs.readFileSync('/srv/docs/' + ctx.helper.name(ctx.query.repo)); };\nexports.b = async ctx => { const id = crypto.createHmac('sha256', 'k').update(ctx.query.repo).digest('hex'); ctx.body = fs.readFileSync(`/srv/docs/${id}`); };\n";
        for (ret, expected) in [
            ("crypto.createHash('md5').update(str).digest('hex')", 0),
            ("str.trim()", 1),
        ] {
            let h = helper(ret);
            let app = crate::testing::model_with_files(&[
                ("app/extend/helper.js", h.as_str()),
                ("app/controller/home.js", controller),
            ]);
            let found = run_rule(&FilePathFromRequest, &app);
            assert_eq!(found.len(), expected, "{ret}\n{found:#?}");
        }
    }

    /// egg loads an enabled in-repo plugin's services into the app: a request value handed to
    /// one reaches its sink there. A disabled plugin's code is not the app's.
    #[test]
    fn flows_into_an_enabled_in_repo_plugin_are_followed() {
        let files = |enable: bool| {
            vec![
                ("package.json", r#"{"name":"a","dependencies":{"egg":"^3"}}"#.to_string()),
                ("config/config.default.js", "exports.keys = 'k';\n".to_string()),
                (
                    "config/plugin.js",
                    format!("const path = require('path');\nexports.files = {{ enable: {enable}, path: path.join(__dirname, '../lib/plugin/files') }};\n"),
                ),
                ("lib/plugin/files/package.json", r#"{"eggPlugin":{"name":"files"}}"#.to_string()),
                (
                    "lib/plugin/files/app/service/store.js",
                    "const fs = require('fs');\nconst Service = require('egg').Service;\nclass Store extends Service {\n  async read(name) {\n    return fs.readFileSync('/data/' + name);\n  }\n}\nmodule.exports = Store;\n".to_string(),
                ),
                // a plugin's router and controllers are not egg's (only the app's are loaded)
                ("lib/plugin/files/app/router.js", "module.exports = app => { app.router.get('/x', app.controller.x.y); };\n".to_string()),
                ("app/router.js", "module.exports = app => { app.router.get('/f', app.controller.home.f); };\n".to_string()),
                (
                    "app/controller/home.js",
                    "exports.f = async ctx => { ctx.body = await ctx.service.store.read(ctx.query.name); };\n".to_string(),
                ),
            ]
        };
        let on = files(true);
        let on: Vec<(&str, &str)> = on.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let (_tmp, app) = crate::testing::load_app(&on);
        let found = run_rule(&FilePathFromRequest, &app);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            matches!(&found[0].location, eggsec_report::Location::File { path, .. }
                if path.ends_with("lib/plugin/files/app/service/store.js")),
            "{:?}",
            found[0].location
        );
        let router = app
            .code
            .files
            .iter()
            .find(|f| f.rel == "lib/plugin/files/app/router.js")
            .expect("the plugin's code is in the model");
        assert_eq!(router.role, eggsec_app::routes::FileRole::Other);
        assert_eq!(router.unit.as_deref(), Some("lib/plugin/files"));
        assert_eq!(router.unit_rel(), "app/router.js");
        assert_eq!(app.routes.len(), 1, "{:?}", app.routes);
        // no plugin controller: nothing to say about routes the plugin serves itself
        assert!(!app
            .diagnostics
            .iter()
            .any(|d| d.message.contains("in-repo plugins")));
        let off = files(false);
        let off: Vec<(&str, &str)> = off.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let (_tmp, app) = crate::testing::load_app(&off);
        assert!(run_rule(&FilePathFromRequest, &app).is_empty());
        assert!(app.code.files.iter().all(|f| f.unit.is_none()));
    }
}
