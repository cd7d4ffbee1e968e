// The reference side of the differential test (crates/eggsec_probe/tests/differential.rs).
//
// One node process: serves every page of pages.json from local servers on 127.0.0.1 with
// exactly the headers the page lists, runs the real scanner of `@mdn/mdn-http-observatory`
// (its unmodified `scan()`: retriever with its two sessions, cookie jar, redirect recording,
// jsdom meta parsing, CORS preflight, all analyzer tests and the grader) against each page,
// prints the results, and keeps serving (for eggsec's probes) until stdin closes.
//
// usage: node driver.mjs <observatory install dir> <pages.json>
// stdout: {"ports":{...}} then {"results":{<id>: {...}}}
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dir, pagesFile] = process.argv.slice(2);
const certs = path.join(dir, "certs");
const spec = JSON.parse(fs.readFileSync(pagesFile, "utf8"));
const pages = new Map(spec.pages.map((p) => [p.id, p]));
const DEFAULT_BODY =
  "<!doctype html><html><head><title>page</title></head><body>ok</body></html>";

function headersOf(page) {
  const own = page.headers ?? [];
  const names = new Set(own.map(([k]) => k.toLowerCase()));
  const drop = new Set((page.drop ?? []).map((k) => k.toLowerCase()));
  const base = page.base === false ? [] : spec.base;
  const out = [];
  for (const [k, v] of base) {
    if (!names.has(k.toLowerCase()) && !drop.has(k.toLowerCase())) out.push([k, v]);
  }
  out.push(...own);
  return out;
}

function send(res, status, pairs, body) {
  res.writeHead(status, pairs.flat());
  res.end(body);
}

function handler(kind, port, tls) {
  return (req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/robots.txt") {
      const h = [["Content-Type", "text/plain"]];
      if (kind === "robots") h.push(["Set-Cookie", "robotsess=1; Path=/"]);
      return send(res, 200, h, "User-agent: *\n");
    }
    const m = url.pathname.match(/^\/p\/([^/]+)(\/.*)?$/);
    const page = m && pages.get(m[1]);
    if (!page) return send(res, 404, [["Content-Type", "text/plain"]], "not found");
    const rest = m[2] ?? "";
    const self = `127.0.0.1:${port}/p/${page.id}`;
    if (req.method === "OPTIONS") {
      const h = [];
      const origin = req.headers.origin;
      if (page.cors === "star") h.push(["Access-Control-Allow-Origin", "*"]);
      if (page.cors === "fixed") h.push(["Access-Control-Allow-Origin", "https://app.example.com"]);
      if (page.cors === "reflect" && origin) {
        h.push(["Access-Control-Allow-Origin", origin], ["Access-Control-Allow-Credentials", "true"]);
      }
      return send(res, 204, h, "");
    }
    if (req.method !== "GET") return send(res, 405, [["Content-Type", "text/plain"]], "no");
    const mode = kind === "http_only" ? "serve" : page.http ?? "upgrade";
    if (!tls && mode !== "serve") {
      if (mode === "upgrade") return send(res, 301, [["Location", `https://${self}`]], "");
      if (mode === "off-host") {
        return send(res, 301, [["Location", `https://localhost:${port}/p/${page.id}`]], "");
      }
      if (mode === "via-http") {
        if (rest === "") return send(res, 301, [["Location", `http://${self}/step`]], "");
        return send(res, 301, [["Location", `https://${self}`]], "");
      }
    }
    if (tls && page.https_hop && rest === "") {
      const h = [["Location", `/p/${page.id}/final`]];
      for (const c of page.hop_cookies ?? []) h.push(["Set-Cookie", c]);
      return send(res, 302, h, "");
    }
    const pad = page.pad_comment ? `<!--${"x".repeat(page.pad_comment)}-->` : "";
    send(res, page.status ?? 200, headersOf(page), pad + (page.body ?? DEFAULT_BODY));
  };
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

async function dual(kind, key, cert) {
  const plain = http.createServer();
  const secure = https.createServer({
    key: fs.readFileSync(path.join(certs, key)),
    cert: fs.readFileSync(path.join(certs, cert)),
  });
  const front = net.createServer((socket) => {
    socket.once("data", (buf) => {
      socket.pause();
      socket.unshift(buf);
      (buf[0] === 22 ? secure : plain).emit("connection", socket);
      process.nextTick(() => socket.resume());
    });
    socket.on("error", () => {});
  });
  const port = await listen(front);
  plain.on("request", handler(kind, port, false));
  secure.on("request", handler(kind, port, true));
  secure.on("tlsClientError", () => {});
  return port;
}

const ports = {
  main: await dual("main", "server.key", "server.pem"),
  untrusted: await dual("untrusted", "untrusted.key", "untrusted.pem"),
  robots: await dual("robots", "server.key", "server.pem"),
};
{
  const s = http.createServer();
  ports.http_only = await listen(s);
  s.on("request", handler("http_only", ports.http_only, false));
}
process.stdout.write(JSON.stringify({ ports }) + "\n");

const { scan } = await import(
  pathToFileURL(path.join(dir, "node_modules/@mdn/mdn-http-observatory/src/scanner/index.js")).href
);
const results = {};
const queue = [...spec.pages];
async function worker() {
  for (let page = queue.shift(); page; page = queue.shift()) {
    const port = ports[page.port ?? "main"];
    try {
      const r = await scan(`127.0.0.1:${port}/p/${page.id}`);
      const tests = {};
      for (const t of Object.values(r.tests)) {
        tests[t.constructor.name] = { result: t.result, modifier: t.scoreModifier, pass: t.pass };
      }
      results[page.id] = { score: r.scan.score, grade: r.scan.grade, version: r.scan.algorithmVersion, tests };
    } catch (e) {
      results[page.id] = { error: String(e?.message ?? e) };
    }
  }
}
await Promise.all(Array.from({ length: 8 }, worker));
process.stdout.write(JSON.stringify({ results }) + "\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
