//! MW006 against real egg: `tests/fixtures/redirect-egg-security` is booted under egg 2, 3 and 4
//! (tests/oracle/requests.js) and sent hostile redirect targets. Where egg keeps every target on
//! the site (egg-security's `ctx.redirect` of a target that starts with a literal `/`), eggsec
//! must stay quiet; where egg sends the browser elsewhere (an absolute URL with an empty
//! `security.domainWhiteList`, `ctx.unsafeRedirect`), eggsec must report — exactly the lines
//! marked `// expect: open-redirect-from-request` in the fixture.

use crate::oracle_support::{oracle_dir, replay, repo_root, stage};
use std::collections::BTreeSet;

const TARGETS: &[&str] = &[
    "/evil.example",
    "%5Cevil.example",
    "%09/evil.example",
    "%2F%2Fevil.example",
    "https://evil.example/x",
];

/// Whether a browser following `location` (from a page of 127.0.0.1) stays on 127.0.0.1: a
/// path, never `//host` or `/\host` (tabs and newlines, which browsers drop, arrive encoded).
fn stays_on_site(location: &str) -> bool {
    let b = location.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
        && !location.contains(['\t', '\n', '\r'])
}

#[test]
fn redirects_eggsec_calls_safe_stay_on_site_under_real_egg() {
    let root = repo_root();
    let fixture = root.join("tests/fixtures/redirect-egg-security");
    let tmp = tempfile::tempdir().unwrap();
    let requests = tmp.path().join("requests.json");
    let list: Vec<serde_json::Value> = ["slash", "files", "any", "raw"]
        .iter()
        .flat_map(|route| {
            TARGETS.iter().map(
                move |to| serde_json::json!({"method": "GET", "path": format!("/{route}?to={to}")}),
            )
        })
        .collect();
    std::fs::write(&requests, serde_json::to_vec(&list).unwrap()).unwrap();

    // eggsec's verdicts: MW006 on exactly the `// expect` lines
    let report = crate::fingerprints::audit(&fixture, &[]);
    let reported: BTreeSet<u64> = report["apps"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "MW006")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    let source = std::fs::read_to_string(fixture.join("app/controller/home.js")).unwrap();
    let line_of = |route: &str| -> u64 {
        let start = source
            .find(&format!("async {route}()"))
            .unwrap_or_else(|| panic!("no {route}() in the fixture"));
        let after = &source[start..];
        let redirect = after.find("edirect(").unwrap();
        (source[..start + redirect].lines().count()) as u64
    };
    let expected: BTreeSet<u64> = source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("// expect: open-redirect-from-request"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(reported, expected, "MW006 lines on the fixture");
    let (quiet, loud) = (
        [line_of("slash"), line_of("files")],
        [line_of("any"), line_of("raw")],
    );
    assert!(quiet.iter().all(|l| !expected.contains(l)));
    assert!(loud.iter().all(|l| expected.contains(l)));

    for egg in ["egg2", "egg3", "egg4"] {
        let oracle = oracle_dir(&root, egg).unwrap_or_else(|e| panic!("{e}"));
        let app = stage(&fixture, &oracle.join("node_modules")).unwrap();
        let got = replay(&root, &oracle, &app, "prod", &requests);
        let responses = got["responses"].as_array().unwrap();
        assert_eq!(responses.len(), list.len(), "{egg}");
        let mut off_site: BTreeSet<&str> = BTreeSet::new();
        for r in responses {
            let path = r["path"].as_str().unwrap();
            assert_eq!(r["status"], 302, "{egg} {path}: {r}");
            let location = r["location"]
                .as_str()
                .unwrap_or_else(|| panic!("{egg} {path}"));
            let route = path.trim_start_matches('/').split('?').next().unwrap();
            if stays_on_site(location) {
                continue;
            }
            assert!(
                route == "any" || route == "raw",
                "{egg}: {path} → {location}: eggsec calls this redirect safe, egg sends it off the site"
            );
            off_site.insert(route);
        }
        // the look-alikes eggsec reports really leave the site (the test can fail both ways)
        assert_eq!(
            off_site,
            BTreeSet::from(["any", "raw"]),
            "{egg}: routes whose redirect left the site"
        );
    }
}
