#!/usr/bin/env node
// Stages the npm packages in a directory, ready for `npm pack` / `npm publish`:
//   <out>/eggsec/                 the launcher, optionalDependencies on every platform package
//   <out>/<platform package>/     package.json + bin/eggsec[.exe], for each binary given
//
//   node npm/stage.js --version 0.1.0 --out DIR --binary target/release/eggsec   (this platform)
//   node npm/stage.js --version 0.1.0 --out DIR --binaries dist/                   (release: dist/<target>/eggsec[.exe])
'use strict';

const fs = require('fs');
const path = require('path');

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const version = arg('version');
const out = arg('out');
if (!version || !out) {
  console.error('usage: stage.js --version X --out DIR (--binary FILE | --binaries DIR)');
  process.exit(2);
}
const here = __dirname;
const { packages } = JSON.parse(fs.readFileSync(path.join(here, 'platforms.json'), 'utf8'));

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = process.report.getReport();
  const header = (typeof report === 'string' ? JSON.parse(report) : report).header;
  return !header.glibcVersionRuntime;
}

/// The platform package for the machine running this script.
function current() {
  const libc = process.platform === 'linux' ? (isMusl() ? 'musl' : 'glibc') : undefined;
  const p = packages.find((p) => p.os === process.platform && p.cpu === process.arch && p.libc === libc);
  if (!p) {
    console.error(`stage.js: no eggsec npm package for ${process.platform}-${process.arch} (see npm/platforms.json)`);
    process.exit(2);
  }
  return p;
}

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

function stagePlatform(p, binary) {
  const dir = path.join(out, p.name.replace('@', '').replace('/', '__'));
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  const manifest = {
    name: p.name,
    version,
    description: `The eggsec binary for ${p.os}-${p.cpu}${p.libc ? `-${p.libc}` : ''} (installed by the eggsec package)`,
    license: 'MIT',
    repository: { type: 'git', url: 'git+https://github.com/eggsec/eggsec.git', directory: 'npm' },
    os: [p.os],
    cpu: [p.cpu],
    files: [`bin/${p.binary}`],
    preferUnplugged: true,
  };
  if (p.libc) manifest.libc = [p.libc];
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const target = path.join(dir, 'bin', p.binary);
  fs.copyFileSync(binary, target);
  fs.chmodSync(target, 0o755);
  return dir;
}

fs.mkdirSync(out, { recursive: true });
const launcher = path.join(out, 'eggsec');
copyDir(path.join(here, 'eggsec'), launcher);
const manifest = JSON.parse(fs.readFileSync(path.join(launcher, 'package.json'), 'utf8'));
manifest.version = version;
manifest.optionalDependencies = Object.fromEntries(packages.map((p) => [p.name, version]));
fs.writeFileSync(path.join(launcher, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
fs.chmodSync(path.join(launcher, 'bin', 'eggsec.js'), 0o755);

const staged = [];
if (arg('binary')) {
  staged.push(stagePlatform(current(), arg('binary')));
} else if (arg('binaries')) {
  for (const p of packages) {
    const bin = path.join(arg('binaries'), p.target, p.binary);
    if (!fs.existsSync(bin)) {
      console.error(`stage.js: missing ${bin}`);
      process.exit(2);
    }
    staged.push(stagePlatform(p, bin));
  }
} else {
  console.error('stage.js: give --binary FILE or --binaries DIR');
  process.exit(2);
}
// Platform packages first (publish order), the launcher last.
for (const d of staged) console.log(d);
console.log(launcher);
