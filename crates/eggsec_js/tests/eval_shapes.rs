//! Config shapes seen in real Egg.js apps, each evaluated as egg would load it.

use eggsec_js::{
    eval_file, eval_source, AppInfo, EvalOptions, JsError, Limits, Module, Value, ValueKind,
};
use serde_json::json;
use std::path::{Path, PathBuf};

fn info(env: &str) -> AppInfo {
    let mut info = AppInfo::new("myapp", "/srv/myapp", env);
    info.home = PathBuf::from("/home/admin");
    info.root = if env == "local" {
        info.base_dir.clone()
    } else {
        info.home.clone()
    };
    info.pkg = Some(json!({"name": "myapp", "version": "1.0.0"}));
    info
}

fn config_in(env: &str, path: &str, src: &str) -> Module {
    let info = info(env);
    eval_source(Path::new(path), src, &EvalOptions::config(&info)).unwrap_or_else(|e| panic!("{e}"))
}

fn config(path: &str, src: &str) -> Module {
    config_in("prod", path, src)
}

fn json_of(m: &Module) -> serde_json::Value {
    m.exports.to_tagged_json()
}

fn at<'v>(v: &'v Value, path: &str) -> &'v Value {
    v.get_path(path)
        .unwrap_or_else(|| panic!("no `{path}` in {}", v.to_tagged_json()))
}

fn unknown_why(v: &Value) -> &str {
    match &v.kind {
        ValueKind::Unknown { why } => why,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

// ---- CommonJS function style -------------------------------------------------------------

#[test]
fn function_export_with_config_exports_alias() {
    let src = r#"'use strict';
// function style: receives (appInfo) for app
module.exports = appInfo => {
  const config = exports = {};
  config.keys = appInfo.name + '_1700000000000_1234';
  config.middleware = [ 'report', 'gzipLike' ];
  config.report = { threshold: 100, match: '/api' };
  config.gzipLike = { enable: true, ignore: [ '/public', /^\/static/ ] };
  config.security = {
    csrf: { enable: true, ignoreJSON: false },
    domainWhiteList: [ '.Example.com' ],
  };
  config.seenAppInfo = { name: appInfo.name, env: appInfo.env, scope: appInfo.scope, root: appInfo.root, HOME: appInfo.HOME, baseDir: appInfo.baseDir, pkgName: appInfo.pkg.name };
  return config;
};
"#;
    let m = config("/srv/myapp/config/config.default.js", src);
    let v = json_of(&m);
    assert_eq!(v["keys"], "myapp_1700000000000_1234");
    assert_eq!(v["middleware"], json!(["report", "gzipLike"]));
    assert_eq!(
        v["gzipLike"]["ignore"],
        json!(["/public", {"$regex": "/^\\/static/"}])
    );
    assert_eq!(
        v["security"]["csrf"],
        json!({"enable": true, "ignoreJSON": false})
    );
    assert_eq!(
        v["seenAppInfo"],
        json!({"name": "myapp", "env": "prod", "scope": "", "root": "/home/admin", "HOME": "/home/admin",
               "baseDir": "/srv/myapp", "pkgName": "myapp"})
    );
    // Provenance: the expression that produced each value.
    let keys = at(&m.exports, "keys");
    assert_eq!((keys.prov.line, keys.prov.column), (5, 17));
    assert_eq!(&*keys.prov.file, "/srv/myapp/config/config.default.js");
    let enable = at(&m.exports, "security.csrf.enable");
    assert_eq!((enable.prov.line, enable.prov.column), (10, 21));
    assert_eq!(
        m.files,
        vec![PathBuf::from("/srv/myapp/config/config.default.js")]
    );
}

#[test]
fn function_expression_export_and_nested_member_assignment() {
    let src = r#"
module.exports = function (appInfo) {
  const config = {};
  config.security = {};
  config.security.csrf = { ignoreJSON: true };
  config.security.csrf.enable = false;
  config.missing.deep = 1;
  return config;
};
"#;
    let m = config("config/config.default.js", src);
    assert_eq!(
        json_of(&m),
        json!({"security": {"csrf": {"ignoreJSON": true, "enable": false}}})
    );
    // `config.missing.deep = 1` would throw in JS: nothing is created, and a note says why.
    assert!(
        m.notes
            .iter()
            .any(|n| n.message.contains("config.missing.deep") && n.line == 7),
        "{:?}",
        m.notes
    );
}

#[test]
fn local_exports_shadows_the_module_one() {
    let src = r#"
module.exports = appInfo => {
  const exports = {};
  exports.keys = 'k';
  exports.view = { defaultViewEngine: 'nunjucks' };
  return exports;
};
"#;
    let m = config("config/config.default.js", src);
    assert_eq!(
        json_of(&m),
        json!({"keys": "k", "view": {"defaultViewEngine": "nunjucks"}})
    );
}

#[test]
fn parenthesised_alias_and_exports_writes_inside_the_function() {
    let src = r#"
module.exports = appInfo => {
  const config = (exports = {});
  config.keys = appInfo.name + '_1570367216778_7082';
  exports.security = {
    csrf: { enable: false },
  };
  config.cors = {
    credentials: true,
    origin: ctx => ctx.get('origin'),
  };
  return config;
};
"#;
    let m = config("config/config.default.js", src);
    let v = json_of(&m);
    assert_eq!(v["security"], json!({"csrf": {"enable": false}}));
    assert_eq!(
        v["cors"]["origin"],
        json!({"$function": "config/config.default.js:10"})
    );
}

#[test]
fn class_exports_are_not_called() {
    let m = config(
        "c.js",
        "module.exports = class Boot { configWillLoad() {} };",
    );
    assert_eq!(
        m.exports.kind,
        ValueKind::Function {
            name: Some("Boot".into())
        }
    );
}

#[test]
fn json_config_files_keep_lines() {
    let src = "{\n  \"security\": {\n    \"csrf\": { \"enable\": false }\n  },\n  \"n\": -1.5\n}\n";
    let m = config("config/config.prod.json", src);
    assert_eq!(
        json_of(&m),
        json!({"security": {"csrf": {"enable": false}}, "n": -1.5})
    );
    let enable = at(&m.exports, "security.csrf.enable");
    assert_eq!((enable.prov.line, enable.prov.column), (3, 25));
}

#[test]
fn number_constants_and_conversions() {
    let src = "module.exports = { max: Number.MAX_SAFE_INTEGER, port: parseInt('7001', 10), \
               n: Number('42'), s: String(1.5), b: Boolean('') };";
    assert_eq!(
        json_of(&config("c.js", src)),
        json!({"max": 9_007_199_254_740_991u64, "port": 7001, "n": 42, "s": "1.5", "b": false})
    );
}

#[test]
fn exports_assignments_at_top_level() {
    let src = "'use strict';\nexports.arrTest = [ 9 ];\nexports.security = { csrf: { enable: false } };\nexports.undefTest = undefined;\nmodule.exports.db = { host: 'local-db' };\n";
    let m = config("config/config.local.js", src);
    assert_eq!(
        json_of(&m),
        json!({"arrTest": [9], "security": {"csrf": {"enable": false}}, "undefTest": {"$undefined": true},
               "db": {"host": "local-db"}})
    );
}

#[test]
fn plain_module_exports_object() {
    let m = config(
        "config/config.prod.js",
        "module.exports = { db: { host: 'prod-db' }, security: { hsts: { enable: true } } };",
    );
    assert_eq!(
        json_of(&m),
        json!({"db": {"host": "prod-db"}, "security": {"hsts": {"enable": true}}})
    );
}

#[test]
fn exports_then_module_exports_loses_the_exports() {
    let m = config(
        "config/config.default.js",
        "exports.a = 1;\nmodule.exports = () => ({ b: 2 });",
    );
    assert_eq!(json_of(&m), json!({"b": 2}));
}

#[test]
fn returned_spreads_and_object_assign() {
    let src = r#"
module.exports = appInfo => {
  const config = exports = {};
  config.keys = 'secret';
  config.security = { csrf: { enable: true } };
  const userConfig = {
    myAppName: 'egg',
    security: { csrf: { enable: false } },
  };
  const extra = Object.assign({}, { a: 1 }, { b: 2 });
  return {
    ...config,
    ...userConfig,
    extra,
  };
};
"#;
    let m = config("config/config.default.js", src);
    assert_eq!(
        json_of(&m),
        json!({"keys": "secret", "security": {"csrf": {"enable": false}}, "myAppName": "egg", "extra": {"a": 1, "b": 2}})
    );
}

#[test]
fn object_assign_into_config() {
    let src = "module.exports = appInfo => {\n  const config = {};\n  Object.assign(config, { a: 1 }, { b: { c: 2 } });\n  return config;\n};";
    assert_eq!(
        json_of(&config("c.js", src)),
        json!({"a": 1, "b": {"c": 2}})
    );
}

#[test]
fn destructured_app_info_parameters() {
    let src = r#"
const path = require('path');
module.exports = ({ name, baseDir, env }) => ({
  keys: `${name}_keys`,
  static: { dir: path.join(baseDir, 'app/public') },
  logger: { dir: path.join(baseDir, 'logs', name) },
  isProd: env === 'prod',
});
"#;
    let v = json_of(&config("config/config.default.js", src));
    assert_eq!(v["keys"], "myapp_keys");
    assert_eq!(v["static"]["dir"], "/srv/myapp/app/public");
    assert_eq!(v["logger"]["dir"], "/srv/myapp/logs/myapp");
    assert_eq!(v["isProd"], true);
}

// ---- TypeScript, ESM, egg 4 --------------------------------------------------------------

#[test]
fn typescript_default_export_with_power_partial() {
    let src = r#"import { EggAppConfig, EggAppInfo, PowerPartial } from 'egg';
import type { Foo } from './types';

export default (appInfo: EggAppInfo) => {
  const config = {} as PowerPartial<EggAppConfig>;

  // override config from framework / plugin
  // use for cookie sign key, should change to your own and keep security
  config.keys = appInfo.name + '_1590000000000_1234';

  // add your egg config in here
  config.middleware = [];
  config.security = { csrf: { enable: false } } satisfies Partial<EggAppConfig['security']>;
  config.cluster!.listen = { port: 7001 };

  // add your special config in here
  const bizConfig = {
    sourceUrl: `https://github.com/eggjs/examples/tree/master/${appInfo.name}`,
  };

  // the return config will combines to EggAppConfig
  return {
    ...config,
    ...bizConfig,
  };
};
"#;
    let m = config("config/config.default.ts", src);
    let v = json_of(&m);
    assert_eq!(v["keys"], "myapp_1590000000000_1234");
    assert_eq!(v["middleware"], json!([]));
    assert_eq!(v["security"]["csrf"]["enable"], false);
    assert_eq!(
        v["sourceUrl"],
        "https://github.com/eggjs/examples/tree/master/myapp"
    );
}

#[test]
fn typescript_compiled_to_commonjs() {
    let src = r#""use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const path_1 = __importDefault(require("path"));
exports.default = (appInfo) => {
    const config = {};
    config.keys = appInfo.name + '_123';
    config.static = { dir: path_1.default.join(appInfo.baseDir, 'public') };
    config.view = { root: (0, path_1.join)(appInfo.baseDir, 'view') };
    return {
        ...config,
    };
};
"#;
    let v = json_of(&config("config/config.default.js", src));
    assert_eq!(
        v,
        json!({"keys": "myapp_123", "static": {"dir": "/srv/myapp/public"}, "view": {"root": "/srv/myapp/view"}})
    );
}

#[test]
fn egg4_esm_default_exports() {
    let v = json_of(&config(
        "config/config.default.js",
        "export default appInfo => ({\n  keys: appInfo.name + '_k',\n  middleware: [ 'report' ],\n  report: { ignore: '/health' },\n});\n",
    ));
    assert_eq!(
        v,
        json!({"keys": "myapp_k", "middleware": ["report"], "report": {"ignore": "/health"}})
    );
    let plugin = json_of(&config(
        "config/plugin.js",
        "export default { jsonp: false, view: { enable: false } };",
    ));
    assert_eq!(plugin, json!({"jsonp": false, "view": {"enable": false}}));
}

#[test]
fn egg4_define_config_helpers_are_identity() {
    let src = "import { defineConfig } from 'egg';\nexport default defineConfig({ security: { csrf: { enable: true } } });\n";
    assert_eq!(
        json_of(&config("config/config.default.ts", src)),
        json!({"security": {"csrf": {"enable": true}}})
    );
    let src = "import { defineConfigFactory } from 'egg';\nexport default defineConfigFactory(appInfo => ({ keys: appInfo.name }));\n";
    assert_eq!(
        json_of(&config("config/config.default.ts", src)),
        json!({"keys": "myapp"})
    );
}

#[test]
fn esm_named_exports_give_the_namespace() {
    let src = "export const keys = 'k';\nexport const security = { csrf: { enable: false } };\nconst view = { cache: true };\nexport { view as viewConfig };\nexport type T = string;\n";
    assert_eq!(
        json_of(&config("config/config.default.ts", src)),
        json!({"keys": "k", "security": {"csrf": {"enable": false}}, "viewConfig": {"cache": true}})
    );
}

#[test]
fn async_config_egg3_drops_and_egg4_awaits() {
    let src = "export default async appInfo => ({ arr: [3], asyncWorked: true, security: { csrf: { enable: false } } });";
    let m = config("config/config.local.js", src);
    assert_eq!(json_of(&m), json!({}));
    assert!(
        m.notes.iter().any(|n| n.message.contains("egg 2/3")),
        "{:?}",
        m.notes
    );

    let info = info("local");
    let opts = EvalOptions {
        await_async: true,
        ..EvalOptions::config(&info)
    };
    let m = eval_source(Path::new("config/config.local.js"), src, &opts).unwrap();
    assert_eq!(
        json_of(&m),
        json!({"arr": [3], "asyncWorked": true, "security": {"csrf": {"enable": false}}})
    );
}

#[test]
fn plugin_files_in_raw_mode_keep_function_exports() {
    let info = info("prod");
    let opts = EvalOptions::raw(&info);
    let src = "'use strict';\nconst path = require('path');\nexports.cors = { enable: true, package: 'egg-cors' };\nexports.audit = { enable: true, path: path.join(__dirname, '../lib/plugin/egg-audit') };\nexports.jsonp = false;\n";
    let m = eval_source(Path::new("/srv/myapp/config/plugin.js"), src, &opts).unwrap();
    assert_eq!(
        json_of(&m),
        json!({"cors": {"enable": true, "package": "egg-cors"}, "audit": {"enable": true, "path": "/srv/myapp/lib/plugin/egg-audit"}, "jsonp": false})
    );
    let m = eval_source(
        Path::new("config/plugin.js"),
        "module.exports = () => ({ a: true });",
        &opts,
    )
    .unwrap();
    assert!(m.exports.is_function());
}

#[test]
fn plugin_config_functions_get_app_config() {
    let src = "'use strict';\nmodule.exports = (appInfo, appConfig) => ({\n  audit: { fromPlugin: true, sawAppKeys: typeof appConfig.keys, sawAppConfigAudit: appConfig.audit },\n  db: { host: 'plugin-db', port: 3306 },\n});\n";
    let info = info("prod");
    let app_config = eval_source(
        Path::new("config/config.default.js"),
        "exports.keys = 'k'; exports.audit = { fromApp: true };",
        &EvalOptions::config(&info),
    )
    .unwrap()
    .exports;
    let opts = EvalOptions {
        app_config: Some(&app_config),
        ..EvalOptions::config(&info)
    };
    let m = eval_source(
        Path::new("lib/plugin/egg-audit/config/config.default.js"),
        src,
        &opts,
    )
    .unwrap();
    assert_eq!(
        json_of(&m)["audit"],
        json!({"fromPlugin": true, "sawAppKeys": "string", "sawAppConfigAudit": {"fromApp": true}})
    );
    // App config files get `undefined` as the second argument.
    let m = config(
        "config/config.default.js",
        "module.exports = (appInfo, appConfig) => ({ seen: typeof appConfig });",
    );
    assert_eq!(json_of(&m), json!({"seen": "undefined"}));
}

#[test]
fn falsy_return_becomes_empty_object() {
    assert_eq!(
        json_of(&config("c.js", "module.exports = () => {};")),
        json!({})
    );
    assert_eq!(
        json_of(&config("c.js", "module.exports = () => null;")),
        json!({})
    );
}

// ---- values ------------------------------------------------------------------------------

#[test]
fn env_references_keep_name_and_default() {
    let src = r#"
module.exports = {
  a: process.env.DB_HOST || 'localhost',
  b: process.env.DB_PORT ?? '3306',
  c: process.env.SECRET,
  d: process.env.A || process.env.B || 'x',
  e: process.env.DEBUG === 'true',
  f: parseInt(process.env.PORT || '7001', 10),
  g: `${process.env.HOST}:80`,
};
"#;
    let m = config("c.js", src);
    let v = json_of(&m);
    assert_eq!(v["a"], json!({"$env": "DB_HOST", "default": "localhost"}));
    assert_eq!(v["b"], json!({"$env": "DB_PORT", "default": "3306"}));
    assert_eq!(v["c"], json!({"$env": "SECRET", "default": null}));
    assert_eq!(
        v["d"],
        json!({"$env": "A", "default": {"$env": "B", "default": "x"}})
    );
    assert!(unknown_why(at(&m.exports, "e")).contains("env DEBUG"));
    assert!(unknown_why(at(&m.exports, "f")).contains("env PORT"));
    assert!(unknown_why(at(&m.exports, "g")).contains("env HOST"));
}

#[test]
fn conditions_on_env_are_decided() {
    let src = r#"
module.exports = appInfo => {
  const config = {};
  const isProd = appInfo.env === 'prod';
  if (appInfo.env === 'local') {
    config.debug = true;
  } else if (isProd) {
    config.debug = false;
  }
  config.logLevel = isProd ? 'WARN' : 'DEBUG';
  config.hsts = isProd && { enable: true };
  config.name = appInfo.env !== 'prod' || 'production';
  switch (appInfo.env) {
    case 'unittest':
      config.db = 'test';
      break;
    case 'prod':
    case 'staging':
      config.db = 'real';
      break;
    default:
      config.db = 'dev';
  }
  return config;
};
"#;
    let prod = json_of(&config_in("prod", "c.js", src));
    assert_eq!(
        prod,
        json!({"debug": false, "logLevel": "WARN", "hsts": {"enable": true}, "name": "production", "db": "real"})
    );
    let local = json_of(&config_in("local", "c.js", src));
    assert_eq!(
        local,
        json!({"debug": true, "logLevel": "DEBUG", "hsts": false, "name": true, "db": "dev"})
    );
}

#[test]
fn undecidable_conditions_make_assignments_unknown() {
    let src = r#"
module.exports = () => {
  const config = { security: { csrf: { enable: true } } };
  if (process.env.DISABLE_CSRF) {
    config.security.csrf.enable = false;
    config.extra = 1;
  }
  config.mode = process.env.MODE ? 'a' : 'b';
  config.after = 'known';
  return config;
};
"#;
    let m = config("c.js", src);
    assert!(
        unknown_why(at(&m.exports, "security.csrf.enable")).contains("process.env.DISABLE_CSRF")
    );
    assert!(at(&m.exports, "extra").is_unknown());
    assert!(unknown_why(at(&m.exports, "mode")).contains("process.env.MODE"));
    assert_eq!(at(&m.exports, "after").as_str(), Some("known"));
}

#[test]
fn unknown_bits_do_not_poison_siblings() {
    let src = r#"
const lib = require('some-lib');
module.exports = () => {
  const config = {};
  config.x = someCall();
  config.y = lib.build();
  config.z = 'ok';
  config.coreMiddleware.push('x');
  return config;
};
"#;
    let m = config("c.js", src);
    assert_eq!(unknown_why(at(&m.exports, "x")), "call to someCall()");
    assert_eq!(unknown_why(at(&m.exports, "y")), "call to lib.build()");
    assert_eq!(at(&m.exports, "z").as_str(), Some("ok"));
    assert!(
        m.notes
            .iter()
            .any(|n| n.message.contains("config.coreMiddleware.push")),
        "{:?}",
        m.notes
    );
}

#[test]
fn literals_arithmetic_regex_set_and_spreads() {
    let src = r#"
const base = ['a', 'b'];
const DAY = 1000 * 60 * 60 * 24;
const key = 'dyn';
module.exports = {
  maxAge: DAY,
  maxAge2: 30 * DAY,
  neg: -1,
  not: !true,
  [key + 'Key']: 'computed',
  ['lit']: 1,
  re: /^\/api/i,
  re2: new RegExp('^/admin', 'i'),
  ignore: new Set(['pass', 'token', 'pass']),
  list: [...base, ...['c'], 'd'],
  nested: { 'quoted-key': 1, 2: 'two' },
  str: 'a' + 1 + 2,
  hex: 0x10,
  tpl: `x${1 + 1}y`,
};
"#;
    let v = json_of(&config("c.js", src));
    assert_eq!(v["maxAge"], 86_400_000);
    assert_eq!(v["maxAge2"], 2_592_000_000u64);
    assert_eq!(v["neg"], -1);
    assert_eq!(v["not"], false);
    assert_eq!(v["dynKey"], "computed");
    assert_eq!(v["lit"], 1);
    assert_eq!(v["re"], json!({"$regex": "/^\\/api/i"}));
    assert_eq!(v["re2"], json!({"$regex": "/^/admin/i"}));
    assert_eq!(v["ignore"], json!({"$set": ["pass", "token"]}));
    assert_eq!(v["list"], json!(["a", "b", "c", "d"]));
    assert_eq!(v["nested"], json!({"quoted-key": 1, "2": "two"}));
    assert_eq!(v["str"], "a12");
    assert_eq!(v["hex"], 16);
    assert_eq!(v["tpl"], "x2y");
}

#[test]
fn function_valued_options_keep_their_span() {
    let src = r#"module.exports = {
  security: {
    csrf: {
      ignore: ctx => ctx.path.startsWith('/api'),
    },
  },
  cors: {
    origin(ctx) { return ctx.get('origin'); },
  },
  onerror: {
    all: function (err, ctx) { ctx.body = 'error'; },
  },
};
"#;
    let m = config("config/config.default.js", src);
    let ignore = at(&m.exports, "security.csrf.ignore");
    assert_eq!(
        ignore.kind,
        ValueKind::Function {
            name: Some("ignore".into())
        }
    );
    assert_eq!((ignore.prov.line, ignore.prov.column), (4, 15));
    let origin = at(&m.exports, "cors.origin");
    assert!(origin.is_function());
    assert_eq!(origin.prov.line, 8);
    assert_eq!(at(&m.exports, "onerror.all").prov.line, 11);
    assert_eq!(
        json_of(&m)["onerror"]["all"],
        json!({"$function": "config/config.default.js:11"})
    );
}

#[test]
fn os_tmpdir_and_packages_are_unknown() {
    let src = "const os = require('os');\nconst fs = require('fs');\nmodule.exports = { tmp: os.tmpdir(), cert: fs.readFileSync('/x'), home: require('node:os').homedir() };";
    let m = config("c.js", src);
    assert!(unknown_why(at(&m.exports, "tmp")).contains("os.tmpdir()"));
    assert!(at(&m.exports, "cert").is_unknown());
    assert!(at(&m.exports, "home").is_unknown());
}

#[test]
fn loops_over_known_lists_run() {
    let src = r#"
module.exports = () => {
  const config = { middleware: [] };
  for (const name of ['a', 'b']) {
    config.middleware.push(name);
    config[name] = { enable: true };
  }
  ['c'].forEach(n => { config.middleware.push(n); });
  let i = 0;
  while (i < 3) { i++; }
  config.count = i;
  return config;
};
"#;
    assert_eq!(
        json_of(&config("c.js", src)),
        json!({"middleware": ["a", "b", "c"], "a": {"enable": true}, "b": {"enable": true}, "count": 3})
    );
}

// ---- local requires and imports -----------------------------------------------------------

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn local_requires_of_js_and_json_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "config/security.js",
        "module.exports = { csrf: { enable: false } };\n",
    );
    write(
        d,
        "config/secrets.json",
        "{\n  \"keys\": \"from-json\",\n  \"db\": { \"port\": 3306 }\n}\n",
    );
    write(d, "config/lib/index.js", "exports.helper = 'idx';\n");
    let main = write(
        d,
        "config/config.default.js",
        "const security = require('./security');\nconst secrets = require('./secrets.json');\nconst { helper } = require('./lib');\nmodule.exports = appInfo => ({ security, keys: secrets.keys, db: secrets.db, helper });\n",
    );
    let info = info("prod");
    let m = eval_file(&main, &EvalOptions::config(&info)).unwrap();
    assert_eq!(
        json_of(&m),
        json!({"security": {"csrf": {"enable": false}}, "keys": "from-json", "db": {"port": 3306}, "helper": "idx"})
    );
    // JSON values keep their lines.
    let keys = at(&m.exports, "keys");
    assert_eq!((keys.prov.line, keys.prov.column), (2, 11));
    assert!(keys.prov.file.ends_with("secrets.json"));
    let mut files = m.files.clone();
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");
}

#[test]
fn esm_imports_of_local_ts_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "config/biz.ts",
        "export const bizConfig = { sourceUrl: 'x' };\nexport default { def: true };\n",
    );
    let main = write(
        d,
        "config/config.default.ts",
        "import path from 'node:path';\nimport def, { bizConfig } from './biz';\nimport * as ns from './biz.js';\nexport default () => ({ ...bizConfig, def, both: ns.default, p: path.resolve('/a', 'b') });\n",
    );
    let info = info("prod");
    let m = eval_file(&main, &EvalOptions::config(&info)).unwrap();
    assert_eq!(
        json_of(&m),
        json!({"sourceUrl": "x", "def": {"def": true}, "both": {"def": true}, "p": "/a/b"})
    );
}

#[test]
fn egg41_plugin_factories_of_installed_packages_are_called() {
    // egg 4.1's dist/config/plugin.js spreads `...securityPlugin()`; each plugin package's entry
    // is `export default definePluginFactory({ name, enable, path: import.meta.dirname, ... })`
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "node_modules/@eggjs/security/package.json",
        "{ \"name\": \"@eggjs/security\", \"type\": \"module\", \"exports\": { \".\": \"./dist/index.js\" } }\n",
    );
    write(
        d,
        "node_modules/@eggjs/security/dist/index.js",
        "import { definePluginFactory } from \"egg\";\nvar src_default = definePluginFactory({\n\tname: \"security\",\n\tenable: true,\n\tpath: import.meta.dirname,\n\toptionalDependencies: [\"session\"]\n});\nexport { src_default as default };\n",
    );
    // a library that merely mentions the helper is not evaluated
    write(
        d,
        "node_modules/lib-mention/package.json",
        "{ \"name\": \"lib-mention\", \"main\": \"index.js\" }\n",
    );
    write(
        d,
        "node_modules/lib-mention/index.js",
        "export function definePluginFactory(meta) { return () => ({ evaluated: meta }); }\nexport default definePluginFactory({ name: 'nope', path: '/x' });\n",
    );
    let main = write(
        d,
        "node_modules/egg/dist/config/plugin.js",
        "import securityPlugin from \"@eggjs/security\";\nimport mention from \"lib-mention\";\nconst plugins = {\n\t...securityPlugin(),\n\tsecurityOff: securityPlugin({ enable: false }).security,\n\tmention,\n\tteggConfig: { enable: true, package: \"@eggjs/tegg-config\" }\n};\nexport { plugins as default };\n",
    );
    let info = info("prod");
    let m = eval_file(&main, &EvalOptions::config(&info)).unwrap();
    let dist = d.join("node_modules/@eggjs/security/dist");
    let entry = json!({
        "name": "security",
        "enable": true,
        "path": dist.display().to_string(),
        "optionalDependencies": ["session"],
        "skipMerge": true,
    });
    let got = json_of(&m);
    assert_eq!(got["security"], entry);
    let mut off = entry.clone();
    off["enable"] = json!(false);
    assert_eq!(got["securityOff"], off);
    assert_eq!(
        got["teggConfig"],
        json!({"enable": true, "package": "@eggjs/tegg-config"})
    );
    assert!(
        got["mention"]["$unknown"].is_string(),
        "a library is not evaluated: {}",
        got["mention"]
    );
}

#[test]
fn require_cycles_terminate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.js", "exports.fromA = 1;\nconst b = require('./b');\nexports.b = b.fromB;\nexports.bSawA = b.sawA;\n");
    write(
        d,
        "b.js",
        "const a = require('./a');\nexports.fromB = 2;\nexports.sawA = a.fromA;\n",
    );
    let info = info("prod");
    let m = eval_file(&d.join("a.js"), &EvalOptions::raw(&info)).unwrap();
    assert_eq!(json_of(&m), json!({"fromA": 1, "b": 2, "bSawA": 1}));
}

#[test]
fn require_depth_is_limited_and_missing_modules_are_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..5 {
        write(
            d,
            &format!("m{i}.js"),
            &format!("module.exports = {{ next: require('./m{}') }};", i + 1),
        );
    }
    write(d, "m5.js", "module.exports = 'end';");
    let info = info("prod");
    let opts = EvalOptions {
        limits: Limits {
            max_require_depth: 2,
            ..Limits::default()
        },
        ..EvalOptions::raw(&info)
    };
    let m = eval_file(&d.join("m0.js"), &opts).unwrap();
    assert!(unknown_why(at(&m.exports, "next.next.next")).contains("require depth limit"));

    let m = eval_source(
        &d.join("x.js"),
        "module.exports = { a: require('./nope') };",
        &opts,
    )
    .unwrap();
    assert!(unknown_why(at(&m.exports, "a")).contains("cannot find module './nope'"));
    // Inside try, a missing module throws as in Node.
    let src = "let local = {};\ntry { local = require('./nope.json'); } catch (e) {}\nmodule.exports = { local };";
    let m = eval_source(&d.join("x.js"), src, &opts).unwrap();
    assert_eq!(json_of(&m), json!({"local": {}}));
}

// ---- robustness ------------------------------------------------------------------------------

#[test]
fn syntax_error_reports_line_and_column() {
    let info = info("prod");
    let err = eval_source(
        Path::new("config/bad.js"),
        "module.exports = {\n  a: 1,\n  b: ,\n};\n",
        &EvalOptions::config(&info),
    )
    .unwrap_err();
    match &err {
        JsError::Parse { line, column, .. } => assert_eq!((*line, *column), (3, 6)),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("config/bad.js:3:6: syntax error"),
        "{err}"
    );
}

#[test]
fn bad_files_are_refused_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let info = info("prod");
    let opts = EvalOptions::config(&info);
    let utf8 = d.join("latin1.js");
    std::fs::write(&utf8, b"module.exports = { a: '\xe9' };").unwrap();
    assert!(matches!(
        eval_file(&utf8, &opts),
        Err(JsError::InvalidUtf8 { offset: 23, .. })
    ));

    let bin = d.join("image.js");
    std::fs::write(&bin, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let err = eval_file(&bin, &opts).unwrap_err();
    assert!(matches!(err, JsError::Binary { offset: 8, .. }), "{err}");
    assert!(err.to_string().contains("image.js"));

    let big = d.join("big.js");
    std::fs::write(&big, "// padding\n".repeat(200)).unwrap();
    let small = EvalOptions {
        limits: Limits {
            max_file_bytes: 1000,
            ..Limits::default()
        },
        ..EvalOptions::config(&info)
    };
    assert!(matches!(
        eval_file(&big, &small),
        Err(JsError::TooLarge {
            size: 2200,
            limit: 1000,
            ..
        })
    ));
    assert!(matches!(
        eval_source(&big, &"x".repeat(2000), &small),
        Err(JsError::TooLarge { .. })
    ));

    let json = d.join("bad.json");
    std::fs::write(&json, "{ a: 1 }").unwrap();
    assert!(matches!(eval_file(&json, &opts), Err(JsError::Json { .. })));
    assert!(matches!(
        eval_file(&d.join("missing.js"), &opts),
        Err(JsError::Io { .. })
    ));
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let info = info("prod");
    let opts = EvalOptions::config(&info);
    let arrays = format!(
        "module.exports = {}1{};",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(matches!(
        eval_source(Path::new("deep.js"), &arrays, &opts),
        Err(JsError::TooDeep { .. })
    ));
    let objects = format!(
        "module.exports = {}1{};",
        "{a:".repeat(10_000),
        "}".repeat(10_000)
    );
    assert!(matches!(
        eval_source(Path::new("deep.js"), &objects, &opts),
        Err(JsError::TooDeep { .. })
    ));
    let json = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(
        eval_source(Path::new("deep.json"), &json, &opts),
        Err(JsError::TooDeep { .. })
    ));
    // Nesting without brackets is bounded by the evaluator.
    let nots = format!("module.exports = {{ a: {}true }};", "!".repeat(10_000));
    assert!(matches!(
        eval_source(Path::new("deep.js"), &nots, &opts),
        Err(JsError::TooDeep { .. })
    ));
    let sums = format!("module.exports = {{ a: 1{} }};", " + 1".repeat(10_000));
    assert!(matches!(
        eval_source(Path::new("deep.js"), &sums, &opts),
        Err(JsError::TooDeep { .. })
    ));
}

#[test]
fn runaway_code_terminates() {
    let info = info("prod");
    let opts = EvalOptions::config(&info);
    let m = eval_source(
        Path::new("loop.js"),
        "const c = { n: 0 };\nwhile (true) { c.n++; }\nmodule.exports = c;",
        &opts,
    )
    .unwrap();
    assert!(at(&m.exports, "n").is_unknown());
    let m = eval_source(
        Path::new("rec.js"),
        "function f(x) { return f(x); }\nmodule.exports = { a: f(1), b: 2 };",
        &opts,
    )
    .unwrap();
    assert!(at(&m.exports, "a").is_unknown());
    assert_eq!(json_of(&m)["b"], 2);
    let m = eval_source(Path::new("throw.js"), "throw new Error('boom');", &opts).unwrap();
    assert!(m.exports.is_unknown());
}
