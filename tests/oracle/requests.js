#!/usr/bin/env node
'use strict';

// Boots a real Egg.js app (egg 2/3, single-process mode, like dump.js), serves it on 127.0.0.1
// at a free port, replays a list of requests and prints ONE JSON object on stdout:
// {"plugins": [enabled plugin names], "routes": N, "responses": [{method, path, status, body,
// location (when the response has one)}]}.
// Used by the plugins-usage test to show an app behaves the same after `eggsec fix --plugins`.
//
//   node tests/oracle/requests.js <eggDir> <appBaseDir> <env> <requests.json>
//
// requests.json: [{"method": "GET", "path": "/x"}, {"method": "POST", "path": "/y", "json": {...}}].
// Cookies set by a response are sent with the following requests (one client session).

const path = require('path');
const fs = require('fs');
const http = require('http');

const TIMEOUT_MS = 120000;

function request(port, req, cookies) {
  return new Promise((resolve, reject) => {
    const body = req.json === undefined ? null : Buffer.from(JSON.stringify(req.json));
    const headers = { accept: 'application/json' };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = body.length;
    }
    if (cookies.size) headers.cookie = [ ...cookies.values() ].join('; ');
    const r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => {
        for (const c of res.headers['set-cookie'] || []) {
          const pair = c.split(';')[0];
          cookies.set(pair.split('=')[0], pair);
        }
        const out = { method: req.method, path: req.path, status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') };
        if (res.headers.location !== undefined) out.location = res.headers.location;
        resolve(out);
      });
    });
    r.on('error', reject);
    r.setTimeout(20000, () => r.destroy(new Error(`timeout: ${req.method} ${req.path}`)));
    if (body) r.write(body);
    r.end();
  });
}

async function main() {
  const [ eggDirArg, baseDirArg, env, requestsFile ] = process.argv.slice(2);
  if (!eggDirArg || !baseDirArg || !env || !requestsFile) {
    process.stderr.write('usage: node tests/oracle/requests.js <eggDir> <appBaseDir> <env> <requests.json>\n');
    process.exit(2);
  }
  for (const name of [ 'EGG_SERVER_ENV', 'EGG_SERVER_SCOPE', 'EGG_APP_CONFIG', 'EGG_PLUGINS', 'EGG_TYPESCRIPT' ]) {
    delete process.env[name];
  }
  const baseDir = path.resolve(baseDirArg);
  if (!process.env.EGG_HOME) process.env.EGG_HOME = path.join(baseDir, '.egg-home');
  const requests = JSON.parse(fs.readFileSync(requestsFile, 'utf8'));
  const egg = require(path.join(path.resolve(eggDirArg), 'node_modules', 'egg'));
  const timer = setTimeout(() => {
    process.stderr.write(`requests.js: egg did not get ready within ${TIMEOUT_MS}ms\n`);
    process.exit(1);
  }, TIMEOUT_MS);
  const app = await egg.start({ baseDir, env, mode: 'single', ignoreWarning: true });
  clearTimeout(timer);
  const server = http.createServer(app.callback());
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const cookies = new Map();
  const responses = [];
  for (const req of requests) responses.push(await request(port, req, cookies));
  const result = {
    plugins: app.loader.orderPlugins.map(p => p.name),
    routes: (app.router.stack || []).length,
    responses,
  };
  await new Promise(resolve => server.close(resolve));
  await app.close();
  return result;
}

const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

main().then(result => {
  stdoutWrite(JSON.stringify(result) + '\n', () => process.exit(0));
}, err => {
  process.stderr.write(`requests.js: ${err && err.stack || err}\n`);
  process.exit(1);
});
