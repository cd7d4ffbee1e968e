#!/usr/bin/env node
'use strict';

// Boots a real Egg.js app in-process (egg's single-process mode, like dump.js) and serves it on
// 127.0.0.1 at a free port, for the probe tests.
//
//   node tests/oracle/serve.js <eggDir> <appBaseDir> <env> [maxSeconds]
//
// Prints ONE line `{"port":N}` on stdout when the server listens. Exits when stdin closes (the
// test harness dropped its handle), on SIGTERM, or after maxSeconds (default 120), so nothing
// is ever left running.

const path = require('path');
const fs = require('fs');
const http = require('http');
const { isTypeScriptApp, registerTypeScript } = require('./lib/typescript');

function usage(message) {
  process.stderr.write(`serve.js: ${message}\nusage: node tests/oracle/serve.js <eggDir> <appBaseDir> <env> [maxSeconds]\n`);
  process.exit(2);
}

async function main() {
  const [ eggDirArg, baseDirArg, env, maxArg ] = process.argv.slice(2);
  if (!eggDirArg || !baseDirArg || !env) usage('missing arguments');
  const maxSeconds = Number(maxArg || 120);
  const eggDir = path.resolve(eggDirArg);
  const baseDir = path.resolve(baseDirArg);
  const eggPkgDir = path.join(eggDir, 'node_modules', 'egg');
  if (!fs.existsSync(path.join(eggPkgDir, 'package.json'))) usage(`${eggPkgDir} is missing: run tests/oracle/install.sh`);
  for (const name of [ 'EGG_SERVER_ENV', 'EGG_SERVER_SCOPE', 'EGG_APP_CONFIG', 'EGG_PLUGINS', 'EGG_TYPESCRIPT' ]) {
    delete process.env[name];
  }
  if (!process.env.EGG_HOME) process.env.EGG_HOME = path.join(baseDir, '.egg-home');

  const stop = code => process.exit(code);
  setTimeout(() => {
    process.stderr.write(`serve.js: stopping after ${maxSeconds}s\n`);
    stop(0);
  }, maxSeconds * 1000).unref();
  process.stdin.on('end', () => stop(0));
  process.stdin.on('close', () => stop(0));
  process.stdin.resume();
  process.on('SIGTERM', () => stop(0));

  if (isTypeScriptApp(baseDir)) registerTypeScript(eggDir, baseDir);
  const egg = require(eggPkgDir);
  const app = await egg.start({ baseDir, env, mode: 'single', ignoreWarning: true });
  const server = http.createServer(app.callback());
  // egg's own listeners (e.g. for `server` events) expect to see the server.
  app.emit('server', server);
  server.listen(0, '127.0.0.1', () => {
    stdoutWrite(JSON.stringify({ port: server.address().port }) + '\n');
  });
}

// Egg logs to the console: keep stdout for the one port line.
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

main().catch(err => {
  process.stderr.write(`serve.js: ${err && err.stack || err}\n`);
  process.exit(1);
});
