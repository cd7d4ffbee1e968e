//! `cargo bench -p eggsec --bench code` — wall-clock numbers (median of N runs) for the
//! parse-once code pass on a generated app of 2,000 source files (router with 1,000 routes,
//! 700 controllers, 700 services, 200 middleware, 399 tegg TypeScript controllers), each file
//! with request-data flows, cross-file service calls and sinks:
//!
//! 1. `code_model`: read + parse every file once, in parallel, run every extractor, link flows;
//! 2. `build_routes` over that model;
//! 3. `eggsec_app::load` (config + plugins + middleware + code + routes) and every rule.
//!
//! Numbers, not assertions.

use eggsec_app::LoadOptions;
use eggsec_rules::config::Settings;
use std::path::Path;
use std::time::{Duration, Instant};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn generate(root: &Path) -> usize {
    write(
        &root.join("package.json"),
        r#"{"name":"big","dependencies":{"egg":"^3"}}"#,
    );
    write(
        &root.join("config/config.default.js"),
        "exports.keys = 'big_1700000000000_1';\nexports.middleware = [ 'mw0' ];\n",
    );
    let mut files = 2;
    let mut router = String::from(
        "module.exports = app => {\n  const { router, controller, middleware } = app;\n",
    );
    for i in 0..700 {
        write(
            &root.join(format!("app/controller/c{i}.js")),
            &format!(
                "const {{ Controller }} = require('egg');\nclass C{i} extends Controller {{\n  async index() {{\n    const {{ ctx }} = this;\n    const {{ id, q }} = ctx.query;\n    const rows = await ctx.service.s{i}.find(id, q);\n    ctx.body = {{ rows }};\n  }}\n  async create() {{\n    const body = this.ctx.request.body;\n    this.ctx.validate({{ n: 'int' }});\n    await this.ctx.service.s{i}.save(body.n, body.name);\n    try {{ await this.ctx.service.s{i}.find(1, 'x'); }} catch (err) {{ this.ctx.body = {{ e: err.message }}; }}\n    this.ctx.body = 'ok';\n  }}\n}}\nmodule.exports = C{i};\n"
            ),
        );
        write(
            &root.join(format!("app/service/s{i}.js")),
            &format!(
                "const {{ Service }} = require('egg');\nclass S{i} extends Service {{\n  async find(id, q) {{\n    const sql = 'SELECT * FROM t{i} WHERE id = ' + id;\n    const rows = await this.app.mysql.query(sql);\n    return rows.filter(r => new RegExp(q).test(r.name));\n  }}\n  async save(n, name) {{\n    return this.app.mysql.query('INSERT INTO t{i} VALUES (?, ?)', [ n, name ]);\n  }}\n}}\nmodule.exports = S{i};\n"
            ),
        );
        if i < 500 {
            router.push_str(&format!("  router.get('/c{i}', controller.c{i}.index);\n  router.post('c{i}', '/c{i}', middleware.mw{m}(), controller.c{i}.create);\n", m = i % 200));
        }
        files += 2;
    }
    for i in 0..200 {
        write(
            &root.join(format!("app/middleware/mw{i}.js")),
            "module.exports = () => async function mw(ctx, next) {\n  if (!ctx.session.user) ctx.throw(401);\n  ctx.tenant = ctx.get('x-tenant');\n  await next();\n};\n",
        );
        files += 1;
    }
    for i in 0..399 {
        write(
            &root.join(format!("app/module/m/src/T{i}.ts")),
            &format!(
                "import {{ HTTPController, HTTPMethod, HTTPMethodEnum, HTTPQuery, Context, EggContext }} from '@eggjs/tegg';\n@HTTPController({{ path: '/t{i}' }})\nexport class T{i} {{\n  @HTTPMethod({{ method: HTTPMethodEnum.GET, path: '/x' }})\n  async x(@Context() ctx: EggContext, @HTTPQuery() url: string) {{\n    return ctx.curl(url);\n  }}\n}}\n"
            ),
        );
        files += 1;
    }
    router.push_str("};\n");
    write(&root.join("app/router.js"), &router);
    files + 1
}

fn bench(name: &str, runs: usize, mut f: impl FnMut()) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{:<58} {:>10.1?} {:>10.1?} {:>6}",
        name,
        times[runs / 2],
        times[0],
        runs
    );
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("big");
    let files = generate(&root);
    let sources = files - 3; // package.json, config, and router are counted apart
    println!(
        "{:<58} {:>10} {:>10} {:>6}",
        "benchmark", "median", "min", "runs"
    );
    let mut model = None;
    bench(
        &format!(
            "code_model: parse once + flows, {} source files",
            sources + 1
        ),
        5,
        || {
            model = Some(eggsec_app::routes::code_model(&root, &mut Vec::new()));
        },
    );
    let code = model.unwrap();
    let app = eggsec_app::load(
        &root,
        &LoadOptions {
            env: Some("prod".into()),
            embedded_defaults_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    bench("build_routes over that model", 5, || {
        let r = eggsec_app::routes::build_routes(
            &eggsec_app::routes::RouteInputs {
                root: &root,
                config: &app.config,
                middleware: &app.middleware,
                plugins: &app.plugins,
            },
            &code,
        );
        assert!(r.len() >= 1000);
    });
    bench("load + audit (every rule), same app", 3, || {
        let m = eggsec_app::load(
            &root,
            &LoadOptions {
                env: Some("prod".into()),
                embedded_defaults_only: true,
                ..Default::default()
            },
        )
        .unwrap();
        let report = eggsec_rules::engine::run(&m, &Settings::default());
        assert!(!report.findings.is_empty());
    });
    println!(
        "facts: {} files, {} routes, {} flows, {} threads",
        code.files.len(),
        app.routes.len(),
        code.flows.len(),
        rayon::current_num_threads()
    );
}
