//! The auth model's path-conditioned middleware against real egg:
//! `tests/fixtures/audit-middleware-path-lists` (global middleware that check only some paths:
//! a prefix, a white-list from their options, an allow-list of URLs, the first characters of the
//! raw URL, a RegExp `match` with a lookahead) is booted under egg 2 and 3
//! (tests/oracle/requests.js) and every state-changing route is sent anonymous requests — as
//! written, with a trailing slash, with a query string (egg's router sends all three to the
//! route). A route eggsec calls protected must be refused (401/403) every time; a route it
//! calls open must be served (200) at least once, so the test fails both ways. The one route
//! eggsec calls public on purpose (on a middleware's white-list) is served too.

use crate::oracle_support::{oracle_dir, replay, repo_root, stage};
use assert_cmd::Command;
use std::collections::BTreeMap;

#[test]
fn routes_eggsec_calls_protected_are_refused_by_real_egg() {
    let root = repo_root();
    let fixture = root.join("tests/fixtures/audit-middleware-path-lists");
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args(["routes", "--format", "json"])
        .arg(&fixture)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let routes: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();

    // (method, sample path) → eggsec's auth for the route
    let mut verdict: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut requests = Vec::new();
    let mut public = Vec::new();
    for r in &routes {
        let method = r["method"].as_str().unwrap().to_string();
        if method == "GET" {
            continue;
        }
        let path = r["path"].as_str().unwrap().replace(":id", "1");
        if r.get("public_by").is_some() {
            public.push(path.clone());
        }
        let auth = r["auth"].as_str().unwrap().to_string();
        assert_ne!(auth, "unknown", "{method} {path}");
        for p in [path.clone(), format!("{path}/"), format!("{path}?a=1")] {
            verdict.insert((method.clone(), p.clone()), auth.clone());
            requests.push(serde_json::json!({"method": method, "path": p, "json": {"x": 1}}));
        }
    }
    assert_eq!(
        public,
        ["/api/hook"],
        "routes eggsec calls public on purpose"
    );
    assert_eq!(
        verdict.values().filter(|a| *a == "required").count(),
        12,
        "four protected routes, three requests each: {verdict:?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("requests.json");
    std::fs::write(&list, serde_json::to_vec(&requests).unwrap()).unwrap();

    for egg in ["egg2", "egg3"] {
        let oracle = oracle_dir(&root, egg).unwrap_or_else(|e| panic!("{e}"));
        let app = stage(&fixture, &oracle.join("node_modules")).unwrap();
        let got = replay(&root, &oracle, &app, "prod", &list);
        let responses = got["responses"].as_array().unwrap();
        assert_eq!(responses.len(), requests.len(), "{egg}");
        // route → was any of its requests served
        let mut served: BTreeMap<String, bool> = BTreeMap::new();
        for r in responses {
            let method = r["method"].as_str().unwrap().to_string();
            let path = r["path"].as_str().unwrap().to_string();
            let status = r["status"].as_u64().unwrap();
            let auth = &verdict[&(method.clone(), path.clone())];
            let route = path
                .split('?')
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_string();
            assert!(
                status == 200 || status == 401 || status == 403,
                "{egg} {method} {path}: {r}"
            );
            if auth == "required" {
                assert_ne!(
                    status, 200,
                    "{egg}: {method} {path} — eggsec says a middleware refuses it, egg served it"
                );
            }
            *served.entry(format!("{method} {route}")).or_default() |= status == 200;
        }
        for ((method, path), auth) in &verdict {
            let route = path.split('?').next().unwrap().trim_end_matches('/');
            let was = served[&format!("{method} {route}")];
            assert_eq!(
                was,
                auth != "required",
                "{egg}: {method} {route} — eggsec's auth `{auth}`, served anonymously: {was}"
            );
        }
    }
}
