//! `cargo bench -p eggsec --bench model` — prints wall-clock numbers (median of N runs) for:
//!
//! 1. the whole app model (plugins + config merge + middleware) of `examples/shop-api`;
//! 2. the model of a generated app with 500+ config/plugin files (240 local plugins, each with
//!    `config.default.js` + `config.prod.js`, plus the app's own files);
//! 3. `eggsec audit` (model + every rule) of the example app;
//! 4. `eggsec audit` of a generated app of 2,000 files (the 500-file app plus 1,500 controllers
//!    and services).
//!
//! Numbers, not assertions: speed is measured here, never in tests.

use eggsec_app::LoadOptions;
use eggsec_rules::config::Settings;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = root.join("examples/shop-api");
    let tmp = tempfile::tempdir().expect("tempdir");
    let big = generate(tmp.path(), 240, 0);
    let huge = generate(&tmp.path().join("huge"), 240, 1500);
    println!(
        "{:<58} {:>10} {:>10} {:>6}",
        "benchmark", "median", "min", "runs"
    );
    bench("model: examples/shop-api (prod)", 30, || model(&example));
    bench(
        &format!(
            "model: generated app, {} config/plugin files",
            count(&big, true)
        ),
        10,
        || model(&big),
    );
    bench("audit: examples/shop-api (prod)", 30, || audit(&example));
    bench(
        &format!("audit: generated app, {} files", count(&huge, false)),
        5,
        || audit(&huge),
    );
}

fn model(app: &Path) -> usize {
    let opts = LoadOptions {
        env: Some("prod".into()),
        ..Default::default()
    };
    let m = eggsec_app::load(app, &opts).expect("model");
    m.plugins.len()
}

fn audit(app: &Path) -> usize {
    let opts = LoadOptions {
        env: Some("prod".into()),
        ..Default::default()
    };
    let m = eggsec_app::load(app, &opts).expect("model");
    eggsec_rules::engine::run(&m, &Settings::load(app))
        .findings
        .len()
}

fn bench(name: &str, runs: usize, mut f: impl FnMut() -> usize) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name:<58} {:>8.2}ms {:>8.2}ms {runs:>6}",
        ms(times[runs / 2]),
        ms(times[0])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn count(dir: &Path, config_only: bool) -> usize {
    ignore::WalkBuilder::new(dir)
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| !config_only || e.path().components().any(|c| c.as_os_str() == "config"))
        .count()
}

/// An egg 3 app with `plugins` local path plugins and `code_files` app files.
fn generate(dir: &Path, plugins: usize, code_files: usize) -> PathBuf {
    let w = |p: PathBuf, s: String| {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, s).unwrap();
    };
    w(
        dir.join("package.json"),
        r#"{"name":"big-app","dependencies":{"egg":"^3.34.0"}}"#.into(),
    );
    let mut plugin_js = String::from("'use strict';\nconst path = require('path');\n");
    for i in 0..plugins {
        let p = dir.join(format!("lib/plugin/p{i}"));
        let deps = if i > 0 {
            format!(r#","dependencies":["p{}"]"#, i - 1)
        } else {
            String::new()
        };
        w(
            p.join("package.json"),
            format!(r#"{{"name":"egg-p{i}","eggPlugin":{{"name":"p{i}"{deps}}}}}"#),
        );
        w(
            p.join("config/config.default.js"),
            format!(
                "'use strict';\nmodule.exports = appInfo => ({{\n  p{i}: {{ enable: true, dir: appInfo.baseDir + '/data/{i}', limit: {i} * 1024, list: ['a', 'b'], nested: {{ deep: {{ value: `v-${{appInfo.env}}` }} }} }},\n}});\n"
            ),
        );
        w(
            p.join("config/config.prod.js"),
            format!("exports.p{i} = {{ limit: 1024 * 1024, prod: true }};\n"),
        );
        plugin_js.push_str(&format!("exports.p{i} = {{ enable: true, path: path.join(__dirname, '../lib/plugin/p{i}') }};\n"));
    }
    w(dir.join("config/plugin.js"), plugin_js);
    w(
        dir.join("config/config.default.js"),
        "'use strict';\nmodule.exports = appInfo => {\n  const config = exports = {};\n  config.keys = appInfo.name + '_1513765449016_9015';\n  config.middleware = [ 'gzip' ];\n  config.security = { csrf: { ignoreJSON: true } };\n  return config;\n};\n".into(),
    );
    w(
        dir.join("config/config.prod.js"),
        "module.exports = { keys: process.env.EGG_KEYS || 'x' };\n".into(),
    );
    w(
        dir.join("app/middleware/gzip.js"),
        "module.exports = () => async (ctx, next) => { await next(); };\n".into(),
    );
    w(
        dir.join("app/router.js"),
        "module.exports = app => { app.router.get('/', app.controller.home.index); };\n".into(),
    );
    for i in 0..code_files {
        let kind = if i % 2 == 0 { "controller" } else { "service" };
        w(
            dir.join(format!("app/{kind}/m{i}.js")),
            format!("'use strict';\nconst {{ Controller }} = require('egg');\nclass M{i} extends Controller {{\n  async index() {{\n    const {{ ctx }} = this;\n    ctx.body = await ctx.service.m{}.find(ctx.query.id);\n  }}\n}}\nmodule.exports = M{i};\n", i + 1),
        );
    }
    dir.to_path_buf()
}
