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
// For each package below, every `x.y.0` release of the majors egg 2 and 3 ever depended on
// (plus the last release of each major) is fetched with `npm pack` (cached under
// target/version-skew/), and its config files are evaluated per env exactly as gen-defaults.js
// does (same code, `unitFiles`), requires resolved from tests/oracle/egg{2,3}/node_modules.
// Only keys (leaves of config.<type> per env) whose tagged value is not the same in every
// sampled version are written: `{ package: { versions: [...], files: { env: { type: { path:
// [value per version] } } } } }`, `{"$absent": true}` where a version does not set the key.

const path = require('path');
const fs = require('fs');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..');
const CACHE = path.join(ROOT, 'target', 'version-skew');
const OUT = path.join(ROOT, 'crates', 'eggsec_app', 'defaults', 'skew.json');

// package -> majors sampled (the majors egg 2.x and 3.x depend on; see their package.json)
const PACKAGES = {
  egg: [ 2, 3 ],
  'egg-security': [ 2, 3 ],
  'egg-session': [ 3 ],
  'egg-multipart': [ 2, 3 ],
  'egg-onerror': [ 2 ],
  'egg-development': [ 2, 3 ],
  'egg-logrotator': [ 3 ],
  'egg-schedule': [ 3, 4 ],
  'egg-static': [ 2 ],
  'egg-jsonp': [ 2 ],
  'egg-i18n': [ 2 ],
  'egg-watcher': [ 3 ],
  'egg-view': [ 2 ],
};

// The oracle installs hold every dependency these config files require (os, path, ms...).
process.env.NODE_PATH = [ 'egg3', 'egg2' ]
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
function sampledVersions(pkg, majors) {
  const all = JSON.parse(execFileSync('npm', [ 'view', pkg, 'versions', '--json' ], { encoding: 'utf8' }))
    .filter(v => semver(v) && majors.includes(semver(v)[0]))
    .sort(cmp);
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

async function main() {
  const out = {};
  for (const [ pkg, majors ] of Object.entries(PACKAGES)) {
    const versions = sampledVersions(pkg, majors);
    const perVersion = [];
    for (const version of versions) {
      const dir = unpacked(pkg, version);
      const major = semver(version)[0];
      try {
        // egg 2/3 and their plugins are CommonJS (major for unitFiles = the egg major: < 4)
        perVersion.push(await unitFiles(dir, dir, Math.min(major, 3)));
      } catch (err) {
        throw new Error(`${pkg}@${version}: ${err && err.message}`);
      }
      process.stderr.write(`${pkg}@${version}\n`);
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
          ((files[env] = files[env] || {})[type] = files[env][type] || {})[key] = values;
        }
      }
    }
    out[pkg] = { versions, files };
  }
  const text = JSON.stringify(out, null, 1) + '\n';
  for (const leak of [ ROOT, require('os').homedir() ]) {
    if (text.includes(leak)) throw new Error(`a machine path leaked into skew.json: ${leak}`);
  }
  fs.writeFileSync(OUT, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), OUT)}\n`);
}

main().catch(err => {
  process.stderr.write(`gen-version-skew.js: ${err && err.stack || err}\n`);
  process.exit(1);
});

