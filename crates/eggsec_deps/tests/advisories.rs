//! The advisory database against real OSV records (`tests/data/osv`, copied unchanged from
//! github/advisory-database) and the expectations in `tests/data/test-versions.json`.

use eggsec_deps::db::Database;
use eggsec_deps::version::Version;
use std::path::Path;

fn data() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"))
}

/// The source label written into the embedded database (as `examples/gen_embedded.rs` writes).
const EMBEDDED_SOURCE: &str =
    "GitHub Advisory Database (CC-BY 4.0): egg-family, egg-relevant and common npm advisories";

fn check_expectations(db: &Database) {
    let text = std::fs::read_to_string(data().join("test-versions.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let pkg = case["package"].as_str().unwrap();
        for (key, want) in [("affected_versions", true), ("unaffected_versions", false)] {
            for v in case[key].as_array().unwrap() {
                let v = v.as_str().unwrap();
                let version = Version::parse(v).unwrap();
                let got = db
                    .matches(pkg, &version)
                    .iter()
                    .any(|m| m.advisory.id == id);
                assert_eq!(got, want, "{id} {pkg}@{v}: expected affected={want}");
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked, 77,
        "every expectation of test-versions.json is checked"
    );
}

#[test]
fn osv_directory_matches_test_versions() {
    let db = Database::load_osv_dir(&data().join("osv"));
    assert!(db.problems.is_empty(), "{:?}", db.problems);
    assert_eq!(db.len(), 30);
    check_expectations(&db);
}

#[test]
fn embedded_database_matches_test_versions_and_is_fresh() {
    let from_osv = Database::load_osv_dir(&data().join("osv"));
    let fresh = from_osv.to_compact(EMBEDDED_SOURCE);
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/advisories.json"));
    if std::env::var_os("UPDATE_DB").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap();
    assert!(
        stored == fresh,
        "data/advisories.json is stale: run `cargo run -p eggsec_deps --example gen_embedded -- crates/eggsec_deps/tests/data/osv crates/eggsec_deps/data/advisories.json`"
    );
    check_expectations(Database::embedded());
}

#[test]
fn fixes_and_severities() {
    let db = Database::embedded();
    let m = |p: &str, v: &str| db.matches(p, &Version::parse(v).unwrap());
    // dicer: last_affected, no fix.
    let dicer = m("dicer", "0.3.1");
    assert_eq!(dicer.len(), 1);
    assert_eq!(dicer[0].fixed, None);
    // path-to-regexp 6.2.2 sits in [4,8) and [6,6.3): leaving both needs 8.0.0.
    let ptr = m("path-to-regexp", "6.2.2");
    assert_eq!(ptr[0].fixed.as_deref(), Some("8.0.0"));
    assert_eq!(
        m("path-to-regexp", "1.8.0")[0].fixed.as_deref(),
        Some("1.9.0")
    );
    // ip 2.0.0 is in the explicit `versions` list and in [2.0.0, 2.0.1).
    let ip: Vec<_> = m("ip", "2.0.0");
    let a = ip
        .iter()
        .find(|x| x.advisory.id == "GHSA-78xj-cgh5-2h22")
        .unwrap();
    assert_eq!(a.fixed.as_deref(), Some("2.0.1"));
    // Severity: CVSS v3 vector first (egg-scripts 9.8 → critical), else the label.
    let egg = m("egg-scripts", "2.8.0");
    assert_eq!(egg[0].advisory.severity.as_str(), "critical");
    let nunjucks = m("nunjucks", "3.2.3");
    assert_eq!(nunjucks[0].advisory.severity.as_str(), "medium");
    assert!(nunjucks[0].advisory.cvss.is_none());
    // The Maven entry of the dicer record is not an npm package.
    assert!(db
        .advisories()
        .iter()
        .all(|a| a.affected.iter().all(|x| !x.package.contains(':'))));
}

#[test]
fn bad_records_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(data().join("osv/GHSA-c9j3-wqph-5xx9.json")).unwrap();
    std::fs::write(dir.path().join("good.json"), &good).unwrap();
    std::fs::write(dir.path().join("truncated.json"), &good[..good.len() / 2]).unwrap();
    std::fs::write(dir.path().join("binary.json"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    std::fs::write(
        dir.path().join("no-introduced.json"),
        r#"{"id":"X-1","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.0.0"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad-version.json"),
        r#"{"id":"X-2","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"one"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pypi.json"),
        r#"{"id":"PYSEC-1","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    let db = Database::load_osv_dir(dir.path());
    assert_eq!(db.len(), 1, "only the good npm record is kept");
    let mut files: Vec<_> = db
        .problems
        .iter()
        .map(|p| {
            Path::new(&p.file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "bad-version.json",
            "binary.json",
            "no-introduced.json",
            "truncated.json"
        ]
    );
    let why: Vec<_> = db.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(why.iter().any(|m| m.contains("no `introduced`")), "{why:?}");
    assert!(
        why.iter().any(|m| m.contains("\"one\" is not a version")),
        "{why:?}"
    );
}

#[test]
fn all_zip_layout_loads() {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut names: Vec<_> = std::fs::read_dir(data().join("osv"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            zip.start_file(p.file_name().unwrap().to_string_lossy(), opts)
                .unwrap();
            zip.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
        zip.start_file("MAL-broken.json", opts).unwrap();
        zip.write_all(b"{\"id\": ").unwrap();
        zip.finish().unwrap();
    }
    let bytes = buf.into_inner();
    let db = Database::load_bytes(&bytes, "all.zip").unwrap();
    assert_eq!(db.len(), 30);
    assert_eq!(db.problems.len(), 1);
    assert!(db.problems[0].file.ends_with("all.zip!MAL-broken.json"));
    check_expectations(&db);
    // A truncated archive is an error naming the file, not a panic.
    let err = Database::load_bytes(&bytes[..bytes.len() / 3], "cut.zip").unwrap_err();
    assert!(err.to_string().starts_with("cut.zip:"), "{err}");
}

#[test]
fn embedded_database_knows_lodash_and_minimist() {
    let db = Database::embedded();
    let ids = |p: &str, v: &str| -> Vec<String> {
        let mut v: Vec<String> = db
            .matches(p, &Version::parse(v).unwrap())
            .iter()
            .map(|m| m.advisory.id.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        ids("lodash", "4.17.4"),
        vec![
            "GHSA-29mw-wpgm-hmr9",
            "GHSA-35jh-r3h4-6jhm",
            "GHSA-4xc9-xhrj-v574",
            "GHSA-fvqr-27wr-82fm",
            "GHSA-jf85-cpcp-j695",
            "GHSA-p6mc-m468-83gw",
            "GHSA-x5rq-j2xg-h7qm"
        ]
    );
    assert!(ids("lodash", "4.17.21").is_empty());
    assert_eq!(ids("minimist", "1.2.5"), vec!["GHSA-xvch-5gv4-984h"]);
    assert_eq!(ids("minimist", "0.2.1"), vec!["GHSA-xvch-5gv4-984h"]);
    assert!(ids("minimist", "1.2.6").is_empty());
}
