#!/usr/bin/env node
'use strict';

// Boots every oracle fixture (tests/fixtures/*/oracle.json, examples/*/oracle.json) under real egg
// in each env its manifest lists, through dump.js, and prints one line per run. A quick check that
// the node side works, without Rust.
//
//   node tests/oracle/check-fixtures.js [--save-runtime-dumps] [fixture-name ...]
//
// --save-runtime-dumps copies egg's own run/ directory of each manifest that names a
// "runtime_dump" env into tests/fixtures/runtime-dumps/<egg>/ (for the runtime-dump reader tests).
// Apps are booted in copies under <tmpdir>/eggsec-oracle/<name>, node_modules symlinked to
// tests/oracle/<egg>/node_modules, with EGG_HOME inside the copy and no other EGG_* variable.

const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');

const REPO = path.join(__dirname, '..', '..');
const DUMPS = path.join(REPO, 'tests', 'fixtures', 'runtime-dumps');

function manifests() {
  const found = [];
  for (const parent of [ path.join(REPO, 'tests', 'fixtures'), path.join(REPO, 'examples') ]) {
    for (const name of fs.readdirSync(parent).sort()) {
      const file = path.join(parent, name, 'oracle.json');
      if (fs.existsSync(file)) found.push({ name, dir: path.join(parent, name), manifest: JSON.parse(fs.readFileSync(file, 'utf8')) });
    }
  }
  return found;
}

/** A fresh copy of the app with node_modules pointing at the oracle's install. */
function stage(fixture) {
  const dir = path.join(os.tmpdir(), 'eggsec-oracle', fixture.name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(fixture.dir, dir, {
    recursive: true,
    filter: src => ![ 'node_modules', 'run', 'logs' ].includes(path.basename(src)),
  });
  fs.symlinkSync(path.join(__dirname, fixture.manifest.egg, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function dump(eggDir, appDir, envSpec) {
  const [ env, scope ] = envSpec.split('@');
  const args = [ path.join(__dirname, 'dump.js'), eggDir, appDir, env ];
  if (scope) args.push(scope);
  const home = path.join(appDir, '.egg-home');
  const res = spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: home, EGG_HOME: home },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 180000,
  });
  if (res.status !== 0) throw new Error(`dump.js ${env} failed (${res.status}):\n${res.stderr.slice(-3000)}`);
  return JSON.parse(res.stdout);
}

function main() {
  const argv = process.argv.slice(2);
  const save = argv.includes('--save-runtime-dumps');
  const only = argv.filter(a => !a.startsWith('--'));
  let failed = 0;
  for (const fixture of manifests()) {
    if (only.length && !only.includes(fixture.name)) continue;
    const { egg, envs, runtime_dump: dumpEnv } = fixture.manifest;
    const eggDir = path.join(__dirname, egg);
    if (!fs.existsSync(path.join(eggDir, 'node_modules', 'egg'))) {
      throw new Error(`${eggDir}/node_modules is missing: run tests/oracle/install.sh`);
    }
    for (const envSpec of envs) {
      const appDir = stage(fixture);
      try {
        const out = dump(eggDir, appDir, envSpec);
        console.log(`ok   ${fixture.name} ${envSpec} -> env=${out.env} egg=${out.egg_version} plugins=[${out.plugin_order.join(',')}] mw=[${out.core_middleware.concat(out.app_middleware).join(',')}]`);
        if (save && dumpEnv === envSpec) {
          const target = path.join(DUMPS, egg);
          fs.rmSync(target, { recursive: true, force: true });
          fs.cpSync(path.join(appDir, 'run'), target, { recursive: true });
          console.log(`     saved run/ to ${path.relative(REPO, target)}`);
        }
      } catch (err) {
        failed++;
        console.log(`FAIL ${fixture.name} ${envSpec}: ${err.message}`);
      }
    }
  }
  if (failed) {
    console.log(`${failed} run(s) failed`);
    process.exit(1);
  }
}

main();
