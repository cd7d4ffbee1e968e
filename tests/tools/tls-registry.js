// A TLS "npm registry" on 127.0.0.1 with a certificate from a private CA, and an HTTP CONNECT
// proxy, for the registry client's network tests (crates/eggsec/tests/it/registry_net.rs).
//   node tls-registry.js KEY.pem CERT.pem
// Prints {"registry": PORT, "proxy": PORT} on the first line, then one line per proxied
// CONNECT ("CONNECT host:port"). Every GET /<name> answers a small packument whose latest is
// 9.9.9. Ends when stdin closes.
'use strict';
const fs = require('fs');
const https = require('https');
const http = require('http');
const net = require('net');

const [key, cert] = process.argv.slice(2).map((f) => fs.readFileSync(f));
const registry = https.createServer({ key, cert }, (req, res) => {
  const name = decodeURIComponent(req.url.slice(1));
  const doc = {
    name,
    'dist-tags': { latest: '9.9.9' },
    versions: { '1.0.0': {}, '3.17.0': {}, '9.9.9': {} },
    time: { '1.0.0': '2020-01-01T00:00:00.000Z', '3.17.0': '2023-01-01T00:00:00.000Z', '9.9.9': '2026-01-01T00:00:00.000Z' },
  };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(doc));
});

const proxy = http.createServer((req, res) => {
  res.writeHead(405);
  res.end();
});
proxy.on('connect', (req, socket, head) => {
  process.stdout.write(`CONNECT ${req.url}\n`);
  const [host, port] = req.url.split(':');
  const upstream = net.connect(Number(port), host, () => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head && head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
});

registry.listen(0, '127.0.0.1', () => {
  proxy.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ registry: registry.address().port, proxy: proxy.address().port }) + '\n');
  });
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
