#!/usr/bin/env node
'use strict';

// Regenerates crates/eggsec_app/defaults/plugins.json — eggsec's embedded knowledge of popular
// third-party egg plugins, used when an app enables one that is not installed — from the REAL
// packages installed under tests/oracle/plugins/node_modules (`npm ci` there first).
//
//   node tests/oracle/gen-plugin-knowledge.js
//
// For each plugin: its `eggPlugin` metadata (name, env, dependencies), its config files per env
// (evaluated exactly as gen-defaults.js does for egg's built-ins, same tagged contract and
// placeholders), and what its boot hook (`app.js`) does to `config.coreMiddleware` /
// `config.appMiddleware` and `app.router`: the hook is RUN against a recording app (real config
// objects, every other property a no-op) with egg 3's default chain, phase by phase
// (constructor/require, configWillLoad, configDidLoad, function style = configDidLoad), and each
// phase's change is written as unshift / insert-after-anchor / remove operations.

const path = require('path');
const fs = require('fs');
const { unitFiles, pluginUnitDir, readJson } = require('./gen-defaults');

const DIR = path.join(__dirname, 'plugins');
const OUT = path.join(__dirname, '..', '..', 'crates', 'eggsec_app', 'defaults', 'plugins.json');
// egg 3's coreMiddleware after its built-in plugins booted (session, security, i18n, static).
const CORE = [ 'meta', 'siteFile', 'notfound', 'static', 'bodyParser', 'overrideMethod', 'session', 'securities', 'i18n' ];

/** A value that accepts anything: every property is another such value, calls return one. */
function sink() {
  const fn = function() { return sink(); };
  return new Proxy(fn, {
    get(target, key) {
      if (key === 'then') return undefined; // not a thenable
      if (key === Symbol.toPrimitive) return () => '';
      if (key === Symbol.iterator) return function* () {};
      return sink();
    },
    apply() { return sink(); },
    construct() { return sink(); },
  });
}

/** What an egg Application offers a boot hook (no-ops here). */
const EGG_API = [
  'logger', 'coreLogger', 'getLogger', 'loggers', 'messenger', 'loader', 'lifecycle', 'on', 'once',
  'emit', 'beforeStart', 'ready', 'beforeClose', 'addSingleton', 'use', 'curl', 'httpclient',
  'createAnonymousContext', 'toAsyncFunction', 'context', 'request', 'response', 'middleware',
  'middlewares', 'controller', 'service', 'proxy', 'validator', 'view', 'runSchedule', 'cluster',
  'agent', 'deprecate', 'keys', 'options',
];

/** The recording app: real config, a recording router, egg's API as no-ops. */
function recordingApp(config, routes) {
  const router = {};
  for (const verb of [ 'get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'head', 'options', 'redirect' ]) {
    router[verb] = (...args) => {
      const p = args.find(a => typeof a === 'string' && a.startsWith('/'));
      if (p) routes.push({ method: verb === 'del' ? 'delete' : verb, path: p });
      return router;
    };
  }
  router.use = () => router;
  const own = { config, router, baseDir: '/__eggsec_basedir__', name: '__eggsec_name__', type: 'application' };
  return new Proxy(own, {
    get(target, key) {
      if (key in target) return target[key];
      // egg's own API is callable; anything else (app.model, app.io...) is not there yet
      return EGG_API.includes(key) ? sink() : undefined;
    },
    set(target, key, value) { target[key] = value; return true; },
  });
}

/**
 * A path into another package of the generator's install (egg-alinode's `cmddir`, the dir of
 * its dependency `commandx`): where npm puts that package in an app (hoisted or nested) is not
 * known without node_modules, so the value is declared unknown, naming the package; so is a
 * path a package computes by going up from its own dir.
 */
function otherPackagePaths(value, pkg) {
  if (typeof value === 'string' && value.includes(DIR)) {
    const nm = path.join(DIR, 'node_modules') + path.sep;
    const rest = value.includes(nm) ? value.slice(value.indexOf(nm) + nm.length).split(path.sep) : null;
    const other = rest && (rest[0].startsWith('@') ? rest.slice(0, 2).join('/') : rest[0]);
    return { $unknown: other
      ? `a path into package ${other} as npm installs it in the app (not known without node_modules)`
      : `a path computed from where ${pkg} is installed in the app (not known without node_modules)` };
  }
  if (Array.isArray(value)) return value.map(v => otherPackagePaths(v, pkg));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [ k, v ] of Object.entries(value)) out[k] = otherPackagePaths(v, pkg);
    return out;
  }
  return value;
}

/** What happened to `before` to make `after`: ops in order (remove, unshift, insert after). */
function diff(before, after) {
  const ops = [];
  for (const name of before) if (!after.includes(name)) ops.push({ op: 'remove', names: [ name ] });
  let anchor = null;
  after.forEach((name, i) => {
    if (!before.includes(name)) {
      // new names at the end were pushed; others are placed after the name before them
      const pushed = after.slice(i).every(n => !before.includes(n));
      if (pushed) ops.push({ op: 'push', names: [ name ] });
      else if (anchor === null) ops.push({ op: 'unshift', names: [ name ] });
      else ops.push({ op: 'insert', anchor, after: true, names: [ name ] });
    }
    anchor = name;
  });
  return ops;
}

async function bootOps(pkgDir, pluginName, config) {
  const file = [ 'app.js', 'app/index.js' ].map(f => path.join(pkgDir, f)).find(f => fs.existsSync(f));
  if (!file) return { ops: [], routes: [] };
  const cfg = JSON.parse(JSON.stringify(config));
  cfg.coreMiddleware = cfg.coreMiddlewares = [ ...CORE ];
  // a stand-in for the app's own middleware, so that unshift and push differ
  cfg.appMiddleware = cfg.appMiddlewares = cfg.middleware = [ '__eggsec_app_middleware__' ];
  const routes = [];
  const app = recordingApp(cfg, routes);
  const ops = [];
  const snapshot = () => [ [ ...cfg.coreMiddleware ], [ ...cfg.appMiddleware ] ];
  const record = (phase, [ core0, app0 ]) => {
    for (const o of diff(core0, cfg.coreMiddleware)) ops.push({ list: 'coreMiddleware', phase, ...o });
    for (const o of diff(app0, cfg.appMiddleware)) ops.push({ list: 'appMiddleware', phase, ...o });
  };
  let s = snapshot();
  let mod;
  let isClass = false;
  try {
    mod = require(file);
    if (mod && mod.__esModule && 'default' in mod) mod = mod.default;
    isClass = typeof mod === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(mod));
    if (isClass) {
      const hook = new mod(app);
      record('load', s);
      for (const phase of [ 'configWillLoad', 'configDidLoad' ]) {
        s = snapshot();
        if (typeof hook[phase] === 'function') await hook[phase]();
        record(phase === 'configWillLoad' ? 'config_will_load' : 'config_did_load', s);
      }
    } else if (typeof mod === 'function') {
      mod(app);
      record('config_did_load', s);
    }
  } catch (err) {
    const message = String(err.message).split('\n')[0].split(DIR).join('<plugins>');
    process.stderr.write(`gen-plugin-knowledge: ${pluginName}: boot hook threw under the recording app (${message}); its middleware changes are left out\n`);
    return { ops: [], routes: [], error: message };
  }
  return { ops, routes };
}

(async () => {
  const pkg = readJson(path.join(DIR, 'package.json'));
  const names = Object.keys(pkg.dependencies || {}).sort();
  const plugins = {};
  const units = [];
  const boot = {};
  for (const packageName of names) {
    const pkgDir = path.join(DIR, 'node_modules', packageName);
    const ppkg = readJson(path.join(pkgDir, 'package.json'));
    const meta = ppkg.eggPlugin;
    if (!meta) {
      process.stderr.write(`gen-plugin-knowledge: ${packageName} has no eggPlugin; skipped\n`);
      continue;
    }
    const name = meta.name;
    plugins[name] = {
      enable: true,
      package: packageName,
      version: ppkg.version,
      env: meta.env || [],
      dependencies: meta.dependencies || meta.dep || [],
      optionalDependencies: meta.optionalDependencies || [],
    };
    const files = otherPackagePaths(await unitFiles(pluginUnitDir(pkgDir, ppkg, 3), pkgDir, 3), packageName);
    units.push({ kind: 'plugin', name, package: packageName, files });
    const prodDefault = (files.prod && files.prod.default) || {};
    boot[packageName] = await bootOps(pkgDir, name, prodDefault);
  }
  const out = { egg_version: 'plugins', framework_plugins: plugins, units, boot };
  const text = JSON.stringify(out, null, 1) + '\n';
  if (text.includes(DIR)) {
    const at = text.indexOf(DIR);
    throw new Error(`a machine path leaked into plugins.json: ${text.slice(Math.max(0, at - 200), at + 100)}`);
  }
  fs.writeFileSync(OUT, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), OUT)} (${units.length} plugins)\n`);
})().catch(err => {
  process.stderr.write(`gen-plugin-knowledge.js: ${err && err.stack || err}\n`);
  process.exit(1);
});
