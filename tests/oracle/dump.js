#!/usr/bin/env node
'use strict';

// Boots a real Egg.js app in-process (agent + application, egg's single-process mode) and prints
// what egg computed as ONE JSON object on stdout: the effective config (tagged contract, see
// lib/tagged.js), every plugin entry, the plugin load order, the middleware lists and the routes.
//
//   node tests/oracle/dump.js <eggDir> <appBaseDir> <env|auto> [scope]
//
// <eggDir> is tests/oracle/egg2|egg3|egg4 (its node_modules supplies egg). The app must be able to
// resolve egg and its plugins from <appBaseDir>/node_modules (the oracle harness symlinks it to
// <eggDir>/node_modules). `auto` passes no env, so egg reads config/env (else NODE_ENV mapping).
// Everything egg logs goes to stderr. Egg writes its own run/*.json dumps into <appBaseDir>/run.

const path = require('path');
const fs = require('fs');
const { pathToFileURL } = require('url');
const { toTagged } = require('./lib/tagged');
const { routes, midwayRoutes, plugins, middlewareNames } = require('./lib/loaded');
const { registerTypeScript } = require('./lib/typescript');

const BOOT_TIMEOUT_MS = 120000;

function usage(message) {
  process.stderr.write(`dump.js: ${message}\nusage: node tests/oracle/dump.js <eggDir> <appBaseDir> <env|auto> [scope]\n`);
  process.exit(2);
}

/** The ESM entry file of a package (exports['.'].import, else main). */
function esmEntry(pkgDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  let entry = pkg.exports && (pkg.exports['.'] || pkg.exports);
  entry = entry && entry.import !== undefined ? entry.import : pkg.main;
  if (entry && typeof entry === 'object') entry = entry.default;
  return path.join(pkgDir, entry || 'index.js');
}

/** A free local TCP port. */
function freePort() {
  const net = require('net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Egg 1 has no `egg.start` (it came with egg 2): the same steps as egg 2's
 * lib/start.js, with the framework's (else egg's) own Agent and Application classes.
 */
async function startWithoutStart(options) {
  const framework = require(options.framework || path.join(path.resolve(process.argv[2]), 'node_modules', 'egg'));
  // cluster-client's leader (in the agent) listens on `clusterPort`, which egg-cluster picks
  options = Object.assign({ clusterPort: await freePort() }, options);
  // egg-core 3 has no `env` option: the env comes from config/env, then EGG_SERVER_ENV
  if (options.env) process.env.EGG_SERVER_ENV = options.env;
  const agent = new framework.Agent(Object.assign({}, options));
  await agent.ready();
  const application = new framework.Application(Object.assign({}, options));
  application.agent = agent;
  agent.application = application;
  await application.ready();
  application.messenger.broadcast('egg-ready');
  return application;
}

async function main() {
  const [ eggDirArg, baseDirArg, envArg, scope ] = process.argv.slice(2);
  if (!eggDirArg || !baseDirArg || !envArg) usage('missing arguments');
  const eggDir = path.resolve(eggDirArg);
  const baseDir = path.resolve(baseDirArg);
  const eggPkgDir = path.join(eggDir, 'node_modules', 'egg');
  if (!fs.existsSync(path.join(eggPkgDir, 'package.json'))) {
    usage(`${eggPkgDir} is missing: run tests/oracle/install.sh`);
  }
  if (!fs.existsSync(path.join(baseDir, 'package.json'))) usage(`${baseDir}/package.json is missing`);
  const eggVersion = JSON.parse(fs.readFileSync(path.join(eggPkgDir, 'package.json'), 'utf8')).version;
  const eggMajor = Number(eggVersion.split('.')[0]);

  // Inputs other than the arguments must not change what egg computes.
  for (const name of [ 'EGG_SERVER_ENV', 'EGG_SERVER_SCOPE', 'EGG_APP_CONFIG', 'EGG_PLUGINS', 'EGG_TYPESCRIPT' ]) {
    delete process.env[name];
  }
  if (!process.env.EGG_HOME) process.env.EGG_HOME = path.join(baseDir, '.egg-home');

  const options = { baseDir, mode: 'single', ignoreWarning: true };
  if (envArg !== 'auto') options.env = envArg;
  if (scope) options.serverScope = scope;

  let start;
  if (eggMajor >= 4) {
    const egg = await import(pathToFileURL(esmEntry(eggPkgDir)).href);
    start = egg.startEgg || egg.start;
  } else {
    const pkg = JSON.parse(fs.readFileSync(path.join(baseDir, 'package.json'), 'utf8'));
    if (pkg.egg && pkg.egg.typescript) {
      registerTypeScript(eggDir, baseDir);
      // what `egg-bin dev --ts` / `midway-bin dev --ts` pass to the workers (midway v1 then
      // moves the base dir to src/)
      options.typescript = true;
    }
    const egg = require(eggPkgDir);
    start = egg.start || startWithoutStart;
    const framework = pkg.egg && pkg.egg.framework;
    if (framework) {
      options.framework = path.dirname(require.resolve(`${framework}/package.json`, { paths: [ baseDir ] }));
    }
  }

  const timer = setTimeout(() => {
    process.stderr.write(`dump.js: egg did not get ready within ${BOOT_TIMEOUT_MS}ms\n`);
    process.exit(1);
  }, BOOT_TIMEOUT_MS);
  const app = await start(options);
  clearTimeout(timer);

  const config = app.config;
  const result = {
    egg_version: eggVersion,
    env: config.env,
    scope: app.loader.serverScope || '',
    config: toTagged(config),
    plugins: plugins(app.loader),
    plugin_order: app.loader.orderPlugins.map(p => p.name),
    core_middleware: [ ...(config.coreMiddleware || []) ],
    app_middleware: [ ...(config.appMiddleware || []) ],
    middleware_names: middlewareNames(app),
    routes: routes(app),
    // midway v1: one router per `@controller(prefix)`, mounted apart from app.router
    framework_routes: midwayRoutes(app),
  };
  await app.close();
  return result;
}

// Egg and its plugins log to the console: keep stdout for the one JSON result.
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

main().then(result => {
  stdoutWrite(JSON.stringify(result) + '\n', () => process.exit(0));
}, err => {
  process.stderr.write(`dump.js: ${err && err.stack || err}\n`);
  process.exit(1);
});
