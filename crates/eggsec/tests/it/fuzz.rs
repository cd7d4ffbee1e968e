//! Fuzzing on the stable toolchain (issue 19): an in-process mutation fuzzer over the parsers
//! that read untrusted bytes — the config evaluator, the code fact extractor (flow, routes,
//! uses), the lockfile parsers (package-lock, yarn, pnpm), the advisory loader (OSV records,
//! zip, compact), the log reader (scan and redact) and the HTTP response analysis (headers,
//! cookies, CSP, HTML, leaks).
//!
//! Each target starts from seeds taken from the repository's fixtures, replays every file
//! of `tests/fuzz/regressions/<target>/` (inputs that once failed: they must never fail
//! again), then mutates for a bounded time: `EGGSEC_FUZZ_SECONDS` per target (default 2;
//! `.ci/run` gives more), from a fixed seed (`EGGSEC_FUZZ_SEED=N` picks another, `=time` a new
//! one each run). A panic is a failure: the
//! input is saved under `target/fuzz-crashes/<target>/` and named in the failure. An input
//! that aborts the process (a stack overflow) is the file `target/fuzz-crashes/<target>/last`,
//! written before each execution. Fix the bug, then move the file into the regressions.
//! Executions and failures per target are printed (`-- --nocapture`).
//!
//! A long run: `EGGSEC_FUZZ_SEED=time EGGSEC_FUZZ_SECONDS=600 cargo test -p eggsec --test it fuzz:: -- --nocapture`.

use crate::oracle_support::repo_root;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: small, fast, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Inputs are kept below this size (the parsers' own limits are tested elsewhere).
const MAX_INPUT: usize = 256 * 1024;

/// Tokens that make parsers take other paths than random bytes do.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "'",
    "`",
    "${",
    ",",
    ":",
    ";",
    "\n",
    "\r\n",
    "\\",
    "\0",
    "\u{feff}",
    "\u{202e}",
    "\u{1b}[2J",
    "…",
    "\u{fffd}",
    "-1",
    "0",
    "1e308",
    "-0",
    "18446744073709551616",
    "NaN",
    "null",
    "true",
    "undefined",
    "...",
    "...require('./a')",
    "require('./config.default')",
    "module.exports = ",
    "exports.",
    "Object.assign({}, ",
    "=>",
    "async ",
    "await ",
    "function ",
    "class ",
    "new ",
    "this.",
    "ctx.query.a",
    "this.ctx.request.body",
    "process.env.X",
    "appInfo.",
    "?.",
    "??",
    "**",
    "<T>",
    " as any",
    "enum E {}",
    "import x from './a';",
    "export default ",
    "/*",
    "*/",
    "//",
    "match: ",
    "ignore: ",
    "password: ",
    "keys: ",
    "csrf: { enable: false }",
    "app.router.get('/a', ",
    "lockfileVersion",
    "\"packages\"",
    "\"dependencies\"",
    "\"version\"",
    "\"resolved\"",
    "integrity",
    "\"node_modules/",
    "resolution:",
    "specifiers:",
    "@npm:",
    "__metadata:",
    "\"affected\"",
    "\"ranges\"",
    "\"events\"",
    "\"introduced\"",
    "\"fixed\"",
    "\"last_affected\"",
    "\"ecosystem\": \"npm\"",
    "\"severity\"",
    "CVSS:3.1/AV:N",
    "\"database_specific\"",
    "HTTP/1.1 200 OK\r\n",
    "Set-Cookie: ",
    "; Secure",
    "; SameSite=",
    "Content-Security-Policy: ",
    "script-src ",
    "'nonce-",
    "'strict-dynamic'",
    "<script",
    "<meta http-equiv=",
    "<!--",
    "-->",
    "<form",
    "password=",
    "token=",
    "Authorization: Bearer ",
    " INFO ",
    " ERROR ",
    "nodejs.ForbiddenError",
    "invalid csrf token",
    "[-/127.0.0.1/-/",
    "GET /?q=<script>",
    "2026-11-28 10:00:00,000",
];

fn mutate(rng: &mut Rng, data: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let len = data.len();
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = *[0u8, 0xff, b'"', b'{', b'}', b'\n', b'\\', 0x80, b'`', b'<']
                .get(rng.below(10))
                .unwrap_or(&0);
        }
        2 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(64)).min(len);
            let tail = data.split_off(b);
            data.truncate(a);
            data.extend_from_slice(&tail);
        }
        3 => {
            let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
            let i = rng.below(len + 1);
            insert_at(data, i, t);
        }
        4 if len > 0 => {
            // a copy of a range somewhere else
            let a = rng.below(len);
            let b = (a + 1 + rng.below(256)).min(len);
            let chunk = data[a..b].to_vec();
            let i = rng.below(len + 1);
            insert_at(data, i, &chunk);
        }
        5 if len > 0 => {
            // a short range repeated many times: deep nesting, long chains, doubling values
            let a = rng.below(len);
            let b = (a + 1 + rng.below(16)).min(len);
            let chunk = data[a..b].to_vec();
            let most = if rng.below(4) == 0 { 20_000 } else { 64 };
            let times = 2 + rng.below(most);
            let mut rep = Vec::with_capacity(chunk.len() * times);
            for _ in 0..times {
                rep.extend_from_slice(&chunk);
            }
            insert_at(data, b, &rep);
        }
        6 if !pool.is_empty() => {
            // splice: a prefix of this input and a suffix of another
            let other = &pool[rng.below(pool.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        7 if len > 0 => {
            data.truncate(rng.below(len));
        }
        _ => {
            let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
            let times = 1 + rng.below(8);
            let i = rng.below(len + 1);
            for _ in 0..times {
                insert_at(data, i, t);
            }
        }
    }
    data.truncate(MAX_INPUT);
}

fn insert_at(data: &mut Vec<u8>, i: usize, bytes: &[u8]) {
    let tail = data.split_off(i);
    data.extend_from_slice(bytes);
    data.extend_from_slice(&tail);
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Files under `dir` (recursively) for which `keep` holds, each cut to `max` bytes.
fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool, max: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() && !p.ends_with("node_modules") {
                stack.push(p);
            } else if meta.is_file() && keep(&p) {
                if let Ok(mut bytes) = std::fs::read(&p) {
                    bytes.truncate(max);
                    out.push(bytes);
                }
            }
        }
    }
    out
}

fn ext_in(p: &Path, exts: &[&str]) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.contains(&e))
}

fn under(p: &Path, dir: &str) -> bool {
    p.components().any(|c| c.as_os_str() == dir)
}

struct Outcome {
    executions: u64,
    failures: Vec<PathBuf>,
    slowest: Duration,
}

/// Replays the regressions of `name`, then fuzzes `run` from `seeds` for the budget.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, run: &dyn Fn(&[u8])) -> Outcome {
    let root = repo_root();
    let crashes = root.join("target/fuzz-crashes").join(name);
    std::fs::create_dir_all(&crashes).unwrap();
    let last = crashes.join("last");
    let seconds: f64 = std::env::var("EGGSEC_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    // A fixed seed by default, so the test suite (and CI) replays the same exploration;
    // `EGGSEC_FUZZ_SEED=time` explores anew (a long manual run), any number repeats a run.
    let seed = match std::env::var("EGGSEC_FUZZ_SEED").ok().as_deref() {
        Some("time") => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        Some(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("EGGSEC_FUZZ_SEED={s}: a number or `time`")),
        None => 0x6567_6773_6563,
    };
    let mut rng = Rng((seed ^ fnv(name.as_bytes())) | 1);
    let regressions = files(
        &root.join("tests/fuzz/regressions").join(name),
        &|_| true,
        usize::MAX,
    );
    assert!(!seeds.is_empty(), "{name}: no seeds found in the fixtures");
    let mut out = Outcome {
        executions: 0,
        failures: Vec::new(),
        slowest: Duration::ZERO,
    };
    let exec = |input: &[u8], out: &mut Outcome| {
        if let Ok(mut f) = std::fs::File::create(&last) {
            let _ = f.write_all(input);
        }
        let started = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| run(input)));
        let took = started.elapsed();
        if took > out.slowest {
            // the slowest input so far, kept to profile a slow path
            out.slowest = took;
            let _ = std::fs::write(crashes.join("slowest"), input);
        }
        out.executions += 1;
        if result.is_err() {
            let p = crashes.join(format!("{:016x}", fnv(input)));
            std::fs::write(&p, input).unwrap();
            out.failures.push(p);
        }
    };
    for input in regressions.iter().chain(&seeds) {
        exec(input.as_slice(), &mut out);
    }
    let mut pool = seeds;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    while Instant::now() < deadline && out.failures.len() < 5 {
        let mut input = pool[rng.below(pool.len())].clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut input, &pool);
        }
        exec(input.as_slice(), &mut out);
        // no coverage feedback: keep some mutants, so mutations stack up over the run
        if rng.below(8) == 0 {
            if pool.len() < 4096 {
                pool.push(input);
            } else {
                let i = rng.below(pool.len());
                pool[i] = input;
            }
        }
    }
    let _ = std::fs::remove_file(&last);
    println!(
        "fuzz {name}: {} executions, {} failing, {} regressions replayed, seed {seed}, slowest {:?}",
        out.executions,
        out.failures.len(),
        regressions.len(),
        out.slowest
    );
    out
}

fn check(name: &str, o: Outcome) {
    assert!(
        o.failures.is_empty(),
        "fuzz {name}: {} inputs panicked; saved as {:?} (replay: copy into tests/fuzz/regressions/{name}/)",
        o.failures.len(),
        o.failures
    );
}

fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

#[test]
fn config_evaluator() {
    let root = repo_root();
    let seeds = files(
        &root.join("tests/fixtures"),
        &|p| under(p, "config") && ext_in(p, &["js", "ts", "json", "mjs", "cjs"]),
        64 * 1024,
    );
    let info = eggsec_js::AppInfo::new("fuzz", "/nonexistent/eggsec-fuzz-app", "prod");
    let o = fuzz("config_evaluator", seeds, &|input| {
        let source = text(input);
        let ts = input.first().is_some_and(|b| b % 2 == 0);
        for mode in [
            eggsec_js::EvalOptions::config(&info),
            eggsec_js::EvalOptions::raw(&info),
        ] {
            let path = if ts {
                "/nonexistent/eggsec-fuzz-app/config/config.default.ts"
            } else {
                "/nonexistent/eggsec-fuzz-app/config/plugin.js"
            };
            match eggsec_js::eval_source(Path::new(path), &source, &mode) {
                Ok(m) => {
                    let _ = m.exports.to_tagged_json();
                }
                // a panic on the evaluator's own thread comes back as an internal error
                Err(e @ eggsec_js::JsError::Internal { .. }) => panic!("{e}"),
                Err(_) => {}
            }
        }
    });
    check("config_evaluator", o);
}

#[test]
fn code_facts() {
    let root = repo_root();
    let seeds = files(
        &root.join("tests/fixtures"),
        &|p| under(p, "app") && ext_in(p, &["js", "ts"]),
        32 * 1024,
    );
    let o = fuzz("code_facts", seeds, &|input| {
        let source = text(input);
        let path = if input.first().is_some_and(|b| b % 2 == 0) {
            "/nonexistent/eggsec-fuzz-app/app/controller/home.ts"
        } else {
            "/nonexistent/eggsec-fuzz-app/app/router.js"
        };
        if let Err(e @ eggsec_js::JsError::Internal { .. }) =
            eggsec_js::facts::source_facts_from(Path::new(path), &source)
        {
            panic!("{e}");
        }
    });
    check("code_facts", o);
}

#[test]
fn lockfiles() {
    let root = repo_root();
    let seeds = files(
        &root.join("tests/fixtures"),
        &|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                matches!(
                    n,
                    "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml"
                )
            })
        },
        128 * 1024,
    );
    let o = fuzz("lockfiles", seeds, &|input| {
        let source = text(input);
        for name in ["package-lock.json", "yarn.lock", "pnpm-lock.yaml"] {
            let _ = eggsec_deps::inventory::extract_text(name, &source, name, "");
        }
    });
    check("lockfiles", o);
}

#[test]
fn advisories() {
    let root = repo_root();
    let mut seeds = files(
        &root.join("crates/eggsec_deps/tests/data/osv"),
        &|p| ext_in(p, &["json"]),
        64 * 1024,
    );
    seeds.extend(files(
        &root.join("crates/eggsec_deps/data"),
        &|p| ext_in(p, &["json"]),
        64 * 1024,
    ));
    // an all.zip of two records, as OSV serves it
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, record) in seeds.iter().take(2).enumerate() {
        zip.start_file(
            format!("R-{i}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(record).unwrap();
    }
    seeds.push(zip.finish().unwrap().into_inner());
    let o = fuzz("advisories", seeds, &|input| {
        let _ = eggsec_deps::db::Database::load_bytes(input, "fuzz.json");
    });
    check("advisories", o);
}

#[test]
fn log_reader() {
    let root = repo_root();
    let mut seeds = files(&root.join("tests/fixtures/logs"), &|_| true, 16 * 1024);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&seeds[0]).unwrap();
    seeds.push(gz.finish().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let names = ["shop-web.log", "common-error.log", "egg-agent.json.log"];
    let opts = eggsec_logs::scan::ScanOptions::default();
    let o = fuzz("log_reader", seeds, &|input| {
        let mut redacted = Vec::new();
        let _ = eggsec_logs::redact::redact_stream(input, &mut redacted);
        let p = dir.path().join(names[input.len() % names.len()]);
        std::fs::write(&p, input).unwrap();
        let _ = eggsec_logs::scan::scan_paths(&[p], &opts);
    });
    check("log_reader", o);
}

#[test]
fn http_response() {
    let seeds: Vec<Vec<u8>> = [
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Security-Policy: default-src 'self'; script-src 'self' 'nonce-abc123' 'strict-dynamic' https: 'unsafe-inline'; object-src 'none'; base-uri 'none'\r\nSet-Cookie: EGG_SESS=abc; path=/; httponly; SameSite=Lax\r\nSet-Cookie: csrfToken=xyz; path=/\r\nX-Powered-By: Egg\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains\r\n\r\n<!doctype html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"script-src *\"><script nonce=\"abc123\" src=\"/a.js\"></script></head><body><form method=\"post\" action=\"/login\"><input name=\"_csrf\" value=\"t\"></form><!-- password=hunter2 --></body></html>",
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\n\r\n<pre>Error: ER_ACCESS_DENIED_ERROR\n    at Object.<anonymous> (/home/admin/app/controller/home.js:10:5)\n    mysql://root:S3cret@10.0.0.5:3306/db</pre>",
        "HTTP/1.1 302 Found\r\nLocation: //evil.example/\r\nSet-Cookie: __Host-id=1; Secure; Path=/; SameSite=None\r\nCache-Control: public, max-age=600\r\nServer: nginx/1.18.0\r\n\r\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    // On the test thread's own 2 MiB stack, as small as the probe's worker threads.
    let o = fuzz("http_response", seeds, &|input| {
        use eggsec_probe::{csp, headers, html, leak, passive};
        let raw = text(input);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let pairs: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let h = headers::Headers::from_pairs(pairs);
        let url = "https://app.example/";
        let mut out = Vec::new();
        passive::csp_findings(url, &h, &mut out);
        passive::disclosure_findings(url, &h, &mut out);
        passive::session_cache_findings(url, &h, &mut out);
        let cookies: Vec<String> = h.all("set-cookie").into_iter().map(String::from).collect();
        passive::cookie_checks(url, &cookies, &mut out);
        let _ = headers::cookie_jar(cookies.iter().map(String::as_str));
        for value in h.all("content-security-policy") {
            let _ = csp::parse(value);
            let _ = csp::nonces(value);
        }
        let _ = h.duplicated();
        for e in html::elements(
            body,
            &["script", "meta", "form", "input", "a", "iframe", "link"],
        ) {
            if let Some(c) = e.attr("content") {
                let _ = csp::evaluate(c);
                let _ = csp::evaluate_strict(c);
            }
        }
        let _ = leak::scan(&leak::decode_entities(body));
    });
    check("http_response", o);
}
