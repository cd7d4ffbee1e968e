//! Benchmark: a generated 5,000-package package-lock.json (v3) matched against a generated
//! 50,000-record OSV database (as an `all.zip`, and as eggsec's compact file). Prints load and
//! match times.
//!
//! ```sh
//! cargo run --release -p eggsec_deps --example bench
//! ```

use eggsec_deps::analyze;
use eggsec_deps::db::Database;
use std::io::Write;
use std::time::Instant;

const PACKAGES: usize = 5_000;
const RECORDS: usize = 50_000;
/// Advisories name packages from a pool 4× the lockfile, so about a quarter of them apply.
const NAME_POOL: usize = 20_000;

fn record(i: usize) -> String {
    let name = format!("pkg-{}", (i * 7919) % NAME_POOL);
    let (a, b) = (i % 5, i % 13);
    let severity = ["LOW", "MODERATE", "HIGH", "CRITICAL"][i % 4];
    format!(
        r#"{{"schema_version":"1.6.0","id":"GHSA-gen-{i:06}","modified":"2024-01-01T00:00:00Z","published":"2023-01-01T00:00:00Z","aliases":["CVE-2024-{i}"],"summary":"generated advisory {i}","severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:{}/A:N"}}],"affected":[{{"package":{{"ecosystem":"npm","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{a}.{b}"}}]}}]}},{{"package":{{"ecosystem":"npm","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"2.0.0"}},{{"last_affected":"2.{a}.0"}}]}}],"versions":["3.0.0"]}}],"database_specific":{{"severity":"{severity}"}}}}"#,
        if i.is_multiple_of(2) { "H" } else { "L" }
    )
}

fn lockfile() -> String {
    let mut packages = serde_json::Map::new();
    let mut root_deps = serde_json::Map::new();
    for i in 0..100 {
        root_deps.insert(format!("pkg-{i}"), "*".into());
    }
    packages.insert(
        String::new(),
        serde_json::json!({"name": "bench-app", "dependencies": root_deps}),
    );
    for i in 0..PACKAGES {
        let deps: serde_json::Map<String, serde_json::Value> =
            [(i * 3 + 1) % PACKAGES, (i * 5 + 2) % PACKAGES]
                .iter()
                .map(|j| (format!("pkg-{j}"), serde_json::Value::from("*")))
                .collect();
        packages.insert(
            format!("node_modules/pkg-{i}"),
            serde_json::json!({"version": format!("{}.{}.{}", i % 4, i % 10, i % 7), "dependencies": deps}),
        );
    }
    serde_json::to_string_pretty(&serde_json::json!({"lockfileVersion": 3, "packages": packages}))
        .unwrap()
}

fn main() {
    let t = Instant::now();
    let mut zip_bytes = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut zip_bytes);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..RECORDS {
            zip.start_file(format!("GHSA-gen-{i:06}.json"), opts)
                .unwrap();
            zip.write_all(record(i).as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    let zip_bytes = zip_bytes.into_inner();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package-lock.json"), lockfile()).unwrap();
    let mut pkg = serde_json::json!({"name": "bench-app", "dependencies": {}});
    for i in 0..100 {
        pkg["dependencies"][format!("pkg-{i}")] = "*".into();
    }
    std::fs::write(dir.path().join("package.json"), pkg.to_string()).unwrap();
    println!(
        "generated {RECORDS} OSV records ({:.1} MB zip) and a {PACKAGES}-package lockfile in {:.2?}",
        zip_bytes.len() as f64 / 1e6,
        t.elapsed()
    );

    let t = Instant::now();
    let db = Database::load_bytes(&zip_bytes, "all.zip").unwrap();
    let zip_load = t.elapsed();
    assert_eq!(db.len(), RECORDS);
    assert!(db.problems.is_empty());
    let compact = db.to_compact("bench");
    let t = Instant::now();
    let db2 = Database::from_compact(&compact, "compact").unwrap();
    let compact_load = t.elapsed();
    assert_eq!(db2.len(), RECORDS);

    let t = Instant::now();
    let inv = eggsec_deps::inventory::inventory(dir.path());
    let inventory_time = t.elapsed();
    assert_eq!(inv.packages.len(), PACKAGES);

    let t = Instant::now();
    let mut hits = 0;
    for p in &inv.packages {
        if let Some(v) = eggsec_deps::version::Version::parse(&p.version) {
            hits += db.matches(&p.name, &v).len();
        }
    }
    let match_only = t.elapsed();
    println!(
        "match only ({PACKAGES} packages x {RECORDS} records): {match_only:.2?} -> {hits} hits"
    );

    let t = Instant::now();
    let report = analyze::analyze_inventory(dir.path(), inv, &db);
    let match_time = t.elapsed();

    println!("load OSV all.zip ({RECORDS} records, validate + normalise + index): {zip_load:.2?}");
    println!(
        "load compact file ({:.1} MB): {compact_load:.2?}",
        compact.len() as f64 / 1e6
    );
    println!("read + extract package-lock.json ({PACKAGES} packages): {inventory_time:.2?}");
    println!(
        "match + attribute ({PACKAGES} packages x {RECORDS} records): {match_time:.2?} -> {} vulnerabilities",
        report.vulnerabilities.len()
    );
}
