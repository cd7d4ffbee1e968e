#!/usr/bin/env node
'use strict';

// The corpus oracle's dump: loads a real, installed Egg.js app (tests/oracle/corpus/install.sh)
// with the egg (or framework) from ITS OWN node_modules, as a non-listening Application: egg's
// loader runs loadPlugin + loadConfig and the whole load() (extends, boot hooks, services,
// middleware, controllers, router), then the app's ready is awaited for a bounded time (a
// database a plugin connects to is not there: that error is recorded, not fatal). No agent is
// started, no port is opened, nothing connects anywhere but 127.0.0.1 defaults of the app.
//
//   node tests/oracle/corpus/dump.js <appBaseDir> <env|auto> [scope]
//
// Prints ONE JSON object on stdout, the same shape as tests/oracle/dump.js (egg_version, env,
// scope, config, plugins, plugin_order, core_middleware, app_middleware, middleware_names,
// routes) plus `framework`, `namespace_routes` (egg-router-plus) and `errors`: every error a
// boot hook or a load step threw, each {step, error}. A failing boot hook does not stop the
// other hooks (each hook's configWillLoad/configDidLoad is guarded), so one plugin that cannot
// create its client (no database, a native module not built) does not hide the middleware the
// others add; the errors say which hooks did not run to their end. A load step that throws
// (loadRouter...) is recorded and the next step
// runs. If loadConfig itself throws, the dump fails (exit 1).

const path = require('path');
const fs = require('fs');
const { toTagged } = require('../lib/tagged');
const { routes, midwayRoutes, plugins, middlewareNames } = require('../lib/loaded');

const READY_WAIT_MS = Number(process.env.EGGSEC_CORPUS_READY_MS || 8000);
const errors = [];

function record(step, err) {
  // globby's readdir probes missing app/ folders through an error that is handled: not an error of the app
  if (/ENOENT: no such file or directory, scandir/.test(String(err && err.message || err))) return;
  const text = String(err && err.stack || err).split('\n').slice(0, 4).join('\n');
  errors.push({ step, error: text });
}

function usage(message) {
  process.stderr.write(`corpus/dump.js: ${message}\nusage: node tests/oracle/corpus/dump.js <appBaseDir> <env|auto> [scope]\n`);
  process.exit(2);
}

function resolveFrom(dir, request) {
  return require.resolve(request, { paths: [ dir ] });
}

/** Wraps every configWillLoad/configDidLoad of the app's boot hooks in a try/catch. */
function guardLifecycle(frameworkDir) {
  let lifecycleFile;
  try {
    lifecycleFile = resolveFrom(path.dirname(resolveFrom(frameworkDir, 'egg-core/package.json')), './lib/lifecycle');
  } catch (_) {
    return; // egg-core 3 (egg 1): no lifecycle; a throwing app.js fails loadCustomApp as a whole
  }
  const Lifecycle = require(lifecycleFile);
  const addFn = Lifecycle.prototype.addFunctionAsBootHook;
  const addClass = Lifecycle.prototype.addBootHook;
  if (addFn) {
    Lifecycle.prototype.addFunctionAsBootHook = function(hook) {
      return addFn.call(this, function guardedHook(app) {
        try {
          return hook(app);
        } catch (err) {
          record('boot hook (function app.js)', err);
        }
      });
    };
  }
  if (addClass) {
    Lifecycle.prototype.addBootHook = function(Hook) {
      class Guarded extends Hook {
        constructor(app) {
          try {
            super(app);
          } catch (err) {
            record(`boot hook ${Hook.name} constructor`, err);
            return {};
          }
        }
      }
      for (const method of [ 'configWillLoad', 'configDidLoad' ]) {
        if (typeof Hook.prototype[method] !== 'function') continue;
        Guarded.prototype[method] = function(...args) {
          try {
            return Hook.prototype[method].apply(this, args);
          } catch (err) {
            record(`boot hook ${Hook.name}.${method}`, err);
          }
        };
      }
      return addClass.call(this, Guarded);
    };
  }
}

/**
 * Tracks every `app.beforeStart(scope)` until its scope settles. When one of them fails (a
 * database that is not there), egg fires ready with that error at once, while the others (egg 1's
 * egg-development registering `/__loader_trace__` after reading its template) are still running:
 * the dump waits for them, bounded, so the routes are those of an app whose clients connect.
 */
const pendingStarts = [];
function trackBeforeStart(Application) {
  const original = Application.prototype.beforeStart;
  if (typeof original !== 'function') return;
  Application.prototype.beforeStart = function(scope, ...rest) {
    if (typeof scope !== 'function') return original.call(this, scope, ...rest);
    let settle;
    pendingStarts.push(new Promise(resolve => { settle = resolve; }));
    const generator = scope.constructor && scope.constructor.name === 'GeneratorFunction';
    const wrapped = generator
      ? function* trackedStart(...args) { try { return yield* scope.apply(this, args); } finally { settle(); } }
      : async function trackedStart(...args) { try { return await scope.apply(this, args); } finally { settle(); } };
    Object.defineProperty(wrapped, 'name', { value: scope.name || 'beforeStart' });
    return original.call(this, wrapped, ...rest);
  };
}

/** Wraps the loader's load steps so one throwing step is recorded and the next one runs. */
function guardLoader(Loader) {
  const steps = [ 'loadApplicationExtend', 'loadRequestExtend', 'loadResponseExtend', 'loadContextExtend',
    'loadHelperExtend', 'loadCustomLoader', 'loadCustomApp', 'loadService', 'loadMiddleware',
    'loadController', 'loadRouter' ];
  for (const step of steps) {
    const original = Loader.prototype[step];
    if (typeof original !== 'function') continue;
    Loader.prototype[step] = function(...args) {
      try {
        const out = original.apply(this, args);
        if (out && typeof out.then === 'function') {
          return out.catch(err => record(step, err));
        }
        return out;
      } catch (err) {
        record(step, err);
      }
    };
  }
}

function registerTypeScript(baseDir) {
  let tsNodeFile;
  for (const dir of [ baseDir, path.join(__dirname, '..', 'egg3') ]) {
    try {
      tsNodeFile = resolveFrom(dir, 'ts-node');
      break;
    } catch (_) { /* next */ }
  }
  if (!tsNodeFile) usage('a TypeScript app needs ts-node: run tests/oracle/install.sh (egg3)');
  // The app's tsconfig is not read: old apps carry options today's TypeScript rejects
  // (`charset`, TS5102); transpiling alone needs only these.
  require(tsNodeFile).register({
    transpileOnly: true,
    skipProject: true,
    compilerOptions: {
      module: 'commonjs',
      target: 'es2019',
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
    },
  });
  process.env.EGG_TYPESCRIPT = 'true';
}

/**
 * egg-router-plus keeps each `app.router.namespace(prefix)` in a router of its own, mounted
 * apart from `app.router` (whose stack is the '' namespace): remember every RouterPlus so that
 * their namespaced routes can be dumped too (`namespace_routes`, paths with their prefix).
 */
const routerPlusInstances = [];
function watchRouterPlus(baseDir) {
  let file;
  try {
    file = resolveFrom(path.dirname(resolveFrom(baseDir, 'egg-router-plus/package.json')), './lib/router');
  } catch (_) {
    return;
  }
  const RouterPlus = require(file);
  const namespace = RouterPlus.prototype.namespace;
  RouterPlus.prototype.namespace = function(...args) {
    if (!routerPlusInstances.includes(this)) routerPlusInstances.push(this);
    return namespace.apply(this, args);
  };
}

function namespaceRoutes() {
  const out = [];
  for (const plus of routerPlusInstances) {
    for (const [ prefix, router ] of plus.namespaceRouters || []) {
      if (prefix === '') continue;
      for (const layer of routes({ router })) out.push(Object.assign({ namespace: prefix }, layer));
    }
  }
  return out;
}

/**
 * A midway v1 app (the same test as eggsec's discover::midway_base_dir): `src/config` beside a
 * package.json that depends on `midway` (or `midway-bin`), no `config/` at the root.
 */
function midwayV1(baseDir, pkg) {
  if (fs.existsSync(path.join(baseDir, 'config')) || !fs.existsSync(path.join(baseDir, 'src', 'config'))) return false;
  const deps = Object.assign({}, pkg.devDependencies, pkg.dependencies);
  return 'midway' in deps || 'midway-bin' in deps || (pkg.egg && pkg.egg.framework) === 'midway';
}

async function main() {
  const [ baseDirArg, envArg, scope ] = process.argv.slice(2);
  if (!baseDirArg || !envArg) usage('missing arguments');
  const baseDir = path.resolve(baseDirArg);
  const pkgFile = path.join(baseDir, 'package.json');
  if (!fs.existsSync(pkgFile)) usage(`${pkgFile} is missing`);
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  const midway = midwayV1(baseDir, pkg);
  const frameworkName = pkg.egg && pkg.egg.framework || (midway ? 'midway' : 'egg');
  let frameworkDir;
  try {
    frameworkDir = path.dirname(resolveFrom(baseDir, `${frameworkName}/package.json`));
  } catch (err) {
    usage(`${frameworkName} is not installed in ${baseDir}: run tests/oracle/corpus/install.sh`);
  }
  const eggDir = path.dirname(resolveFrom(frameworkDir, 'egg/package.json'));
  const eggVersion = JSON.parse(fs.readFileSync(path.join(eggDir, 'package.json'), 'utf8')).version;

  for (const name of [ 'EGG_SERVER_ENV', 'EGG_SERVER_SCOPE', 'EGG_APP_CONFIG', 'EGG_PLUGINS', 'EGG_TYPESCRIPT', 'NODE_ENV' ]) {
    delete process.env[name];
  }
  if (!process.env.EGG_HOME) process.env.EGG_HOME = path.join(baseDir, '.egg-home');
  // midway v1 (`egg-scripts start --framework=midway --ts`): midway's loader moves baseDir to
  // `src/` when `.ts` files can be required (TS_SRC_DIR), as eggsec reads it
  if (pkg.egg && pkg.egg.typescript || midway) registerTypeScript(baseDir);

  process.on('uncaughtException', err => record('uncaught', err));
  process.on('unhandledRejection', err => record('unhandled rejection', err));

  guardLifecycle(frameworkDir);
  watchRouterPlus(baseDir);
  const framework = require(frameworkDir);
  const Application = framework.Application;
  if (typeof Application !== 'function') usage(`${frameworkName} exports no Application`);
  const Loader = Application.prototype[Symbol.for('egg#loader')];
  if (typeof Loader === 'function') guardLoader(Loader);
  trackBeforeStart(Application);

  const options = { baseDir, type: 'application' };
  if (envArg !== 'auto') options.env = envArg;
  // egg 1 (egg-core 3) takes the env from EGG_SERVER_ENV only
  if (envArg !== 'auto' && Number(eggVersion.split('.')[0]) < 2) process.env.EGG_SERVER_ENV = envArg;
  if (scope) options.serverScope = scope;
  // `--ts` of egg-scripts: midway's loader (isTsMode) then runs from src/
  if (midway) options.typescript = true;
  const app = new Application(options);
  app.on('error', err => record('app error', err));

  // Boot hooks' didLoad/willReady run after the loader; wait for ready, bounded.
  await new Promise(resolve => {
    const timer = setTimeout(() => {
      record('ready', `not ready within ${READY_WAIT_MS} ms (a client waiting for its server?)`);
      resolve();
    }, READY_WAIT_MS);
    try {
      app.ready(err => {
        clearTimeout(timer);
        if (!err) return resolve();
        record('ready', err);
        // the other beforeStart callbacks go on after a failed one: wait for them, bounded
        const rest = setTimeout(resolve, READY_WAIT_MS);
        Promise.all(pendingStarts).then(() => { clearTimeout(rest); resolve(); });
      });
    } catch (err) {
      clearTimeout(timer);
      record('ready', err);
      resolve();
    }
  });

  const config = app.config;
  return {
    egg_version: eggVersion,
    framework: frameworkName,
    env: config.env,
    scope: app.loader.serverScope || '',
    config: toTagged(config),
    plugins: plugins(app.loader),
    plugin_order: (app.loader.orderPlugins || []).map(p => p.name),
    // the framework chain's directories, egg first (a plugin's `from` tells which declared it)
    egg_paths: [ ...(app.loader.eggPaths || []) ],
    core_middleware: [ ...(config.coreMiddleware || []) ],
    app_middleware: [ ...(config.appMiddleware || []) ],
    middleware_names: middlewareNames(app),
    routes: routes(app),
    namespace_routes: namespaceRoutes(),
    framework_routes: midwayRoutes(app),
    errors,
  };
}

const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

main().then(result => {
  stdoutWrite(JSON.stringify(result) + '\n', () => process.exit(0));
}, err => {
  process.stderr.write(`corpus/dump.js: ${err && err.stack || err}\n`);
  process.exit(1);
});
