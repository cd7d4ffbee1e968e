#!/usr/bin/env node
'use strict';

// Regenerates crates/eggsec_app/defaults/egg{2,3,4,41}.json — eggsec's embedded snapshots of egg
// core's and its default plugins' config — from the REAL packages installed under
// tests/oracle/egg{2,3,4,41}/node_modules (run tests/oracle/install.sh first).
//
//   node tests/oracle/gen-defaults.js [egg2|egg3|egg4|egg41 ...]     (default: all four)
//
// egg 4.1 (egg41.json) ships its config and plugins under dist/: egg's own config is
// dist/config/config.*.js (`defineConfigFactory`), its plugin list dist/config/plugin.js spreads
// plugin factories (`...sessionPlugin()`: `{ name, enable, path: <pkg>/dist, skipMerge: true }`),
// and each built-in plugin's config builds its defaults with zod (`SessionConfig.parse({...})`):
// node evaluates them all, as egg's loader imports them.
//
// Each unit's config/config.<type>.js is evaluated the way egg's loader does (function exports
// are called with appInfo for that env and appConfig {}; egg 4 awaits them), serialised with the
// tagged contract (lib/tagged.js). appInfo-derived strings become placeholders: {{baseDir}},
// {{HOME}}, {{root}}, {{name}}, {{env}} (whole-string only), {{tmpdir}} (os.tmpdir()), and
// {{pkgDir}} for the unit's own package directory (paths computed from __dirname).

const path = require('path');
const fs = require('fs');
const os = require('os');
const nodeModule = require('module');
const { pathToFileURL } = require('url');
const { toTagged } = require('./lib/tagged');

const ENVS = [ 'local', 'unittest', 'prod' ];
const SENTINEL = {
  baseDir: '/__eggsec_basedir__',
  HOME: '/__eggsec_home__',
  root: '/__eggsec_root__',
  name: '__eggsec_name__',
  tmpdir: '/__eggsec_tmpdir__',
};
const OUT_DIR = path.join(__dirname, '..', '..', 'crates', 'eggsec_app', 'defaults');

// Units compute paths such as multipart.tmpdir from os.tmpdir() when their config runs.
os.tmpdir = () => SENTINEL.tmpdir;
nodeModule.syncBuiltinESMExports();
for (const name of Object.keys(process.env)) {
  if (name.startsWith('EGG_')) delete process.env[name];
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Resolves `config/<name>` in a unit dir with the extensions egg tries for this major. */
function resolveUnitFile(unitDir, name, major) {
  const exts = major >= 4 ? [ '.mjs', '.js', '.cjs', '.json' ] : [ '.js', '.json' ];
  for (const ext of exts) {
    const file = path.join(unitDir, 'config', name + ext);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/** Loads a module as egg does: require (2/3) or import (4), unwrapping `default`/__esModule. */
async function loadModule(file, major) {
  if (file.endsWith('.json')) return readJson(file);
  let mod;
  if (major >= 4) {
    const ns = await import(pathToFileURL(file).href);
    mod = 'default' in ns ? ns.default : ns;
  } else {
    mod = require(file);
  }
  if (mod && mod.__esModule && 'default' in mod) mod = mod.default;
  return mod;
}

function isClass(fn) {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** The directory of the package a path lies in (the nearest package.json with a name). */
function packageDirOf(dir) {
  let cur = dir;
  for (;;) {
    const file = path.join(cur, 'package.json');
    if (fs.existsSync(file) && readJson(file).name) return cur;
    const parent = path.dirname(cur);
    if (parent === cur) throw new Error(`no package.json above ${dir}`);
    cur = parent;
  }
}

/** Evaluates one config file for `env` exactly as egg's config loader would. */
async function evalConfig(file, env, major) {
  let cfg = await loadModule(file, major);
  if (typeof cfg === 'function' && !isClass(cfg)) {
    const appInfo = {
      name: SENTINEL.name,
      baseDir: SENTINEL.baseDir,
      env,
      scope: '',
      HOME: SENTINEL.HOME,
      pkg: { name: SENTINEL.name, version: '1.0.0' },
      root: SENTINEL.root,
    };
    cfg = cfg(appInfo, {});
    if (major >= 4) cfg = await cfg;
  }
  return cfg || {};
}

/** Replaces sentinel values (and the unit's package dir) with placeholders, recursively. */
function placeholders(value, env, pkgDir) {
  if (typeof value === 'string') {
    if (value === env) return '{{env}}';
    let s = value.split(pkgDir).join('{{pkgDir}}');
    for (const [ key, sentinel ] of Object.entries(SENTINEL)) s = s.split(sentinel).join(`{{${key}}}`);
    return s;
  }
  if (Array.isArray(value)) return value.map(v => placeholders(v, env, pkgDir));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [ k, v ] of Object.entries(value)) out[k] = placeholders(v, env, pkgDir);
    return out;
  }
  return value;
}

/**
 * The directory egg loads a plugin from: the package, or its eggPlugin.exports build (egg 4);
 * egg 4.1 (@eggjs/core 6.6+): an ES module package without eggPlugin.exports loads from the
 * directory of its `exports["."]` (tegg's plugins: dist/).
 */
function pluginUnitDir(pkgDir, pkg, major, egg41) {
  const exportsDir = pkg.eggPlugin && pkg.eggPlugin.exports && pkg.eggPlugin.exports.import;
  if (major >= 4 && exportsDir) return path.join(pkgDir, exportsDir);
  const main = pkg.exports && (typeof pkg.exports === 'string' ? pkg.exports : pkg.exports['.']);
  const mainFile = main && (typeof main === 'string' ? main : main.import || main.default);
  if (egg41 && pkg.type === 'module' && typeof mainFile === 'string') return path.dirname(path.join(pkgDir, mainFile));
  return pkgDir;
}

async function unitFiles(unitDir, pkgDir, major) {
  const files = {};
  for (const env of ENVS) {
    const perEnv = {};
    for (const type of [ 'default', env ]) {
      let file = resolveUnitFile(unitDir, `config.${type}`, major);
      if (!file && type === 'default') file = resolveUnitFile(unitDir, 'config', major);
      if (!file) continue;
      const cfg = await evalConfig(file, env, major);
      perEnv[type] = placeholders(toTagged(cfg), env, pkgDir);
    }
    files[env] = perEnv;
  }
  return files;
}

async function generate(oracle) {
  const eggDir = path.join(__dirname, oracle);
  const eggPkgDir = path.join(eggDir, 'node_modules', 'egg');
  if (!fs.existsSync(path.join(eggPkgDir, 'package.json'))) {
    throw new Error(`${eggPkgDir} is missing: run tests/oracle/install.sh`);
  }
  const eggPkg = readJson(path.join(eggPkgDir, 'package.json'));
  const [ major, minor ] = eggPkg.version.split('.').map(Number);
  // egg 4.1: dist/config (the 4.0 packages: dist/esm/config)
  const egg41 = major === 4 && minor >= 1;
  const eggUnitDir = egg41 ? path.join(eggPkgDir, 'dist') : major >= 4 ? path.join(eggPkgDir, 'dist', 'esm') : eggPkgDir;

  const pluginFile = resolveUnitFile(eggUnitDir, 'plugin', major);
  const pluginEntries = await loadModule(pluginFile, major);
  const frameworkPlugins = {};
  const units = [{
    kind: 'framework',
    name: 'egg',
    package: 'egg',
    files: await unitFiles(eggUnitDir, eggPkgDir, major),
  }];

  for (const [ name, raw ] of Object.entries(pluginEntries)) {
    const entry = typeof raw === 'boolean' ? { enable: raw } : raw;
    // a 4.1 plugin factory's entry gives the plugin's `path` (its package's dist/), no package
    const pkgDir = entry.path && !entry.package
      ? packageDirOf(entry.path)
      : path.dirname(require.resolve(`${entry.package || name}/package.json`, { paths: [ eggPkgDir ] }));
    const pkg = readJson(path.join(pkgDir, 'package.json'));
    const packageName = entry.package || pkg.name;
    // egg's loader skips the package.json merge for a `skipMerge` entry (4.1's factories)
    const meta = entry.skipMerge ? {} : pkg.eggPlugin || {};
    const own = key => (key === 'dependencies' ? entry.dependencies || entry.dep : entry[key]) || [];
    const fromMeta = key => (key === 'dependencies' ? meta.dependencies || meta.dep : meta[key]) || [];
    const pick = key => (own(key).length ? own(key) : fromMeta(key));
    frameworkPlugins[name] = {
      enable: entry.enable !== false,
      package: packageName,
      version: pkg.version,
      env: pick('env'),
      dependencies: pick('dependencies'),
      optionalDependencies: pick('optionalDependencies'),
    };
    if (entry.skipMerge) frameworkPlugins[name].skipMerge = true;
    units.push({
      kind: 'plugin',
      name,
      package: packageName,
      files: await unitFiles(entry.path && !entry.package ? entry.path : pluginUnitDir(pkgDir, pkg, major, egg41), pkgDir, major),
    });
  }

  const out = { egg_version: eggPkg.version, framework_plugins: frameworkPlugins, units };
  const text = JSON.stringify(out, null, 1) + '\n';
  for (const leak of [ eggDir, os.homedir() ]) {
    if (text.includes(leak)) throw new Error(`${oracle}: a machine path leaked into the snapshot: ${leak}`);
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const outFile = path.join(OUT_DIR, egg41 ? 'egg41.json' : `egg${major}.json`);
  fs.writeFileSync(outFile, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), outFile)} (egg ${eggPkg.version}, ${units.length} units)\n`);
}

module.exports = { unitFiles, pluginUnitDir, readJson, SENTINEL };

if (require.main === module) (async () => {
  const oracles = process.argv.slice(2);
  for (const oracle of oracles.length ? oracles : [ 'egg2', 'egg3', 'egg4', 'egg41' ]) await generate(oracle);
})().catch(err => {
  process.stderr.write(`gen-defaults.js: ${err && err.stack || err}\n`);
  process.exit(1);
});
