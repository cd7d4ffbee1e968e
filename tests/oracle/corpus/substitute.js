#!/usr/bin/env node
'use strict';
// Applies tests/oracle/corpus/substitutions.json to one corpus app's package.json copy:
//   node substitute.js <app> <substitutions.json> <package.json>   rewrite in place
//   node substitute.js --print <app> <substitutions.json>          print the app's substitutions
// Each substitution: {"app": "<as in apps.txt>" | "*", "package": "<name>", "range": "<new range>"
// | null (drop the dependency), "reason": "..."} (with "field": "dependencies", the dependency is
// moved there, so that a devDependency the app enables as a plugin is installed), or {"app", "file": "<app-relative path>",
// "content": "<text>", "reason"}: a file the corpus dropped (app/public...) that the app reads
// while loading, created empty-ish when missing; or {"app", "overrides": {...}, "reason"}: npm
// overrides merged into the copy's package.json (pinning transitive versions from the app's own
// lockfile when the registry's newest ones cannot be installed). A substitution whose package the app does not
// depend on is an error (it would silently do nothing).
const fs = require('fs');

const args = process.argv.slice(2);
const print = args[0] === '--print';
if (print) args.shift();
const [ app, file, pkgFile ] = args;
const all = JSON.parse(fs.readFileSync(file, 'utf8')).substitutions || [];
const mine = all.filter(s => s.app === app || s.app === '*');
for (const s of mine) {
  if (!s.reason) throw new Error(`${file}: ${s.app} ${s.package}: a substitution needs a reason`);
}
if (print) {
  // files are (re)created on every run: only dependency changes need a new install
  process.stdout.write(JSON.stringify(mine.filter(s => s.package || s.overrides)) + "\n");
  process.exit(0);
}
const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
const path = require('path');
for (const s of mine.filter(s => s.file)) {
  const target = path.join(path.dirname(pkgFile), s.file);
  if (!fs.existsSync(target)) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, s.content || '');
  }
}
for (const s of mine.filter(s => s.overrides)) {
  pkg.overrides = Object.assign({}, pkg.overrides, s.overrides);
  // npm refuses an override that differs from a direct dependency's range: pin those too
  for (const [ name, version ] of Object.entries(s.overrides)) {
    for (const field of [ 'dependencies', 'devDependencies', 'optionalDependencies' ]) {
      if (pkg[field] && pkg[field][name] !== undefined) pkg[field][name] = version;
    }
  }
}
for (const s of mine.filter(s => s.package)) {
  let hit = false;
  for (const field of [ 'dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies' ]) {
    if (pkg[field] && Object.prototype.hasOwnProperty.call(pkg[field], s.package)) {
      hit = true;
      if (s.field) continue;
      if (s.range === null) delete pkg[field][s.package];
      else pkg[field][s.package] = s.range;
    }
  }
  if (s.field) {
    // move (or add) the dependency to `field`, keeping the range unless one is given
    let range = s.range;
    for (const field of [ 'dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies' ]) {
      if (pkg[field] && Object.prototype.hasOwnProperty.call(pkg[field], s.package)) {
        if (range === undefined) range = pkg[field][s.package];
        delete pkg[field][s.package];
      }
    }
    pkg[s.field] = Object.assign({}, pkg[s.field], { [s.package]: range });
  }
  if (!hit && s.app !== '*') {
    process.stderr.write(`substitute.js: ${app} does not depend on ${s.package} (${file})\n`);
    process.exit(1);
  }
}
fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
