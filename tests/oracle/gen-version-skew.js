#!/usr/bin/env node
'use strict';

// Regenerates crates/eggsec_app/defaults/skew.json — which config keys of egg and of its
// built-in plugins differ between their versions — from the REAL packages of the npm registry.
//
//   node tests/oracle/gen-version-skew.js        (needs tests/oracle/install.sh for egg2/egg3)
//
// eggsec embeds one snapshot per egg major (gen-defaults.js: egg 2.37.0, 3.34.0...). An app
// locked to another version (egg 2.26.0 with egg-session 3.1.0) has other defaults: without
// node_modules, eggsec reads the locked versions from the app's lockfile and uses this table
// to give each varying key the value of the locked version, or to declare it unknown when the
// locked version lies between two sampled versions that disagree.
//
// For each package below, every `x.y.0` release of egg 1-3 and of every major of its built-in
// plugins (plus the last release of each major) is fetched with `npm pack` (cached under
// target/version-skew/), and its config files are evaluated per env exactly as gen-defaults.js
// does (same code, `unitFiles`), requires resolved from tests/oracle/egg{2,3}/node_modules.
// Only keys (leaves of config.<type> per env) whose tagged value is not the same in every
// sampled version are written: `{ package: { versions: [...], files: { env: { type: { path:
// runs } } } } }`, the runs `[[first version index, value], ...]` (a value holds up to the next
// run's index), `{"$absent": true}` where a version does not set the key.
//
// The popular third-party plugins of eggsec's embedded plugin knowledge (gen-plugin-knowledge.js,
// the packages of tests/oracle/plugins/package.json; `install.sh plugins` first) are sampled the
// same way over all their majors: an app locked to egg-redis 2.4.0 gets 2.4.0's defaults, not
// those of the version the knowledge was generated from. For every package, the `eggPlugin`
// metadata that changes between versions (env, dependencies, optionalDependencies: it decides
// the plugin order and which plugins are implicitly enabled) is written as `meta: { field:
// runs }`.

const path = require('path');
const fs = require('fs');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..');
const CACHE = path.join(ROOT, 'target', 'version-skew');
const OUT = path.join(ROOT, 'crates', 'eggsec_app', 'defaults', 'skew.json');

// package -> majors sampled: egg's majors 1-3 (egg 4 is @eggjs/*), every major of its built-in
// plugins (an app may depend on egg-security 1.x itself, and egg-core loads the app's copy first)
const PACKAGES = {
  egg: [ 1, 2, 3 ],
  'egg-security': null,
  'egg-session': null,
  'egg-multipart': null,
  'egg-onerror': null,
  'egg-development': null,
  'egg-logrotator': null,
  'egg-schedule': null,
  'egg-static': null,
  'egg-jsonp': null,
  'egg-i18n': null,
  'egg-watcher': null,
  'egg-view': null,
};

// Third-party plugins (eggsec's embedded plugin knowledge): every major.
const THIRD_PARTY = Object.keys(JSON.parse(fs.readFileSync(path.join(__dirname, 'plugins', 'package.json'), 'utf8')).dependencies);

// The oracle installs hold every dependency these config files require (os, path, ms...).
process.env.NODE_PATH = [ 'egg3', 'egg2', 'plugins' ]
  .map(o => path.join(__dirname, o, 'node_modules'))
  .join(path.delimiter);
require('module')._initPaths();
const { unitFiles } = require('./gen-defaults');

function semver(v) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m && m.slice(1).map(Number);
}

function cmp(a, b) {
  const x = semver(a);
  const y = semver(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** Every x.y.0 of the wanted majors, and each major's last release (stable versions only). */
function sampledVersions(pkg, wanted) {
  let all = JSON.parse(execFileSync('npm', [ 'view', pkg, 'versions', '--json' ], { encoding: 'utf8' }));
  if (!Array.isArray(all)) all = [ all ];
  all = all.filter(v => semver(v)).sort(cmp);
  const majors = wanted || [ ...new Set(all.map(v => semver(v)[0])) ];
  all = all.filter(v => majors.includes(semver(v)[0]));
  const picked = new Set();
  for (const v of all) if (semver(v)[2] === 0) picked.add(v);
  for (const major of majors) {
    const last = all.filter(v => semver(v)[0] === major).pop();
    if (last) picked.add(last);
  }
  return [ ...picked ].sort(cmp);
}

/** The unpacked package dir of pkg@version (npm pack, cached). */
function unpacked(pkg, version) {
  const dir = path.join(CACHE, `${pkg}@${version}`);
  const pkgDir = path.join(dir, 'package');
  if (fs.existsSync(path.join(pkgDir, 'package.json'))) return pkgDir;
  fs.mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', [ 'pack', `${pkg}@${version}`, '--pack-destination', dir, '--json' ], { encoding: 'utf8' });
  const tarball = path.join(dir, JSON.parse(out)[0].filename);
  execFileSync('tar', [ 'xzf', tarball, '-C', dir ]);
  fs.unlinkSync(tarball);
  return pkgDir;
}

function isTagged(o) {
  return Object.keys(o).some(k => k.startsWith('$'));
}

/** Leaves of a tagged config tree: dotted path -> value (objects recursed unless tagged/empty). */
function leaves(value, prefix, out) {
  if (value && typeof value === 'object' && !Array.isArray(value) && !isTagged(value) && Object.keys(value).length) {
    for (const [ k, v ] of Object.entries(value)) {
      // eggsec splits the paths on '.': keys holding a dot (siteFile's '/favicon.ico', a
      // Buffer eggsec cannot know anyway) are left out
      if (k.includes('.')) continue;
      leaves(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

const ABSENT = { $absent: true };

/**
 * A path into another package of the generator's installs (egg-alinode's `cmddir`, the dir of
 * its dependency `commandx`): where npm puts that package in an app is not known without
 * node_modules, so the value is declared unknown, naming the package (as gen-plugin-knowledge.js);
 * so is a path a package computes by going up from its own dir (`__dirname + '/../../..'`).
 */
function otherPackagePaths(value, pkg) {
  if (typeof value === 'string' && value.includes(ROOT)) {
    const nm = `${path.sep}node_modules${path.sep}`;
    const rest = value.includes(nm) ? value.split(nm).pop().split(path.sep) : null;
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

/** A package's `eggPlugin` as egg reads it (`dep` is the old name of `dependencies`). */
function pluginMeta(dir) {
  let meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).eggPlugin;
  if (!meta || typeof meta !== 'object') meta = {};
  return {
    env: meta.env || [],
    dependencies: meta.dependencies || meta.dep || [],
    optionalDependencies: meta.optionalDependencies || [],
  };
}

async function main() {
  const out = {};
  const packages = Object.entries(PACKAGES).concat(THIRD_PARTY.map(pkg => [ pkg, null ]));
  for (const [ pkg, majors ] of packages) {
    const versions = sampledVersions(pkg, majors);
    const perVersion = [];
    const metas = [];
    for (const version of versions) {
      const dir = unpacked(pkg, version);
      const major = semver(version)[0];
      try {
        // egg 2/3 and their plugins are CommonJS (major for unitFiles = the egg major: < 4)
        perVersion.push(otherPackagePaths(await unitFiles(dir, dir, Math.min(major, 3)), pkg));
      } catch (err) {
        throw new Error(`${pkg}@${version}: ${err && err.message}`);
      }
      metas.push(pluginMeta(dir));
      process.stderr.write(`${pkg}@${version}\n`);
    }
    const meta = {};
    for (const field of [ 'env', 'dependencies', 'optionalDependencies' ]) {
      const values = metas.map(m => m[field]);
      if (values.some(v => JSON.stringify(v) !== JSON.stringify(values[0]))) meta[field] = runs(values);
    }
    const files = {};
    for (const env of [ 'local', 'unittest', 'prod' ]) {
      for (const type of [ 'default', env ]) {
        const flat = perVersion.map(f => leaves((f[env] || {})[type] || {}, '', {}));
        const keys = new Set(flat.flatMap(f => Object.keys(f)));
        for (const key of [ ...keys ].sort()) {
          const values = flat.map(f => (key in f ? f[key] : ABSENT));
          const first = JSON.stringify(values[0]);
          if (values.every(v => JSON.stringify(v) === first)) continue;
          ((files[env] = files[env] || {})[type] = files[env][type] || {})[key] = runs(values);
        }
      }
    }
    out[pkg] = Object.keys(meta).length ? { versions, files, meta } : { versions, files };
  }
  const text = JSON.stringify(out, null, 1) + '\n';
  for (const leak of [ ROOT, require('os').homedir() ]) {
    if (text.includes(leak)) { const at = text.indexOf(leak); throw new Error(`a machine path leaked into skew.json: ${text.slice(Math.max(0, at - 300), at + 200)}`); }
  }
  fs.writeFileSync(OUT, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), OUT)}\n`);
}

// Values per sampled version as runs, `[[first version index, value], ...]`: a key changes a
// handful of times over a hundred versions, and eggsec parses a fifteenth of the values
// (`eggsec_app::skew::Runs`).
function runs(values) {
  const out = [];
  values.forEach((v, i) => {
    if (i === 0 || JSON.stringify(v) !== JSON.stringify(values[i - 1])) out.push([ i, v ]);
  });
  return out;
}

main().catch(err => {
  process.stderr.write(`gen-version-skew.js: ${err && err.stack || err}\n`);
  process.exit(1);
});

