//! Every extractor on one small data file per format version (`tests/fixtures/deps-*`): the
//! same app (15 package instances, two of path-to-regexp) must come out of each.

use eggsec_deps::inventory::{self, EggRole, Format, Inventory};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures")).join(name)
}

/// Writes `tree.json` (`{"node_modules/x/package.json": {...}}`) out as a real tree.
fn materialise(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture(name);
    std::fs::copy(src.join("package.json"), dir.path().join("package.json")).unwrap();
    let tree: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(src.join("tree.json")).unwrap()).unwrap();
    for (path, manifest) in tree {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    }
    dir
}

fn check_app(inv: &Inventory, root: &Path, format: Format) {
    assert_eq!(inv.format, Some(format));
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    assert_eq!(inv.packages.len(), 15, "{:#?}", inv.packages);
    let find = |name: &str, version: &str| {
        inv.packages
            .iter()
            .position(|p| p.name == name && p.version == version)
            .unwrap_or_else(|| panic!("{name}@{version} missing from {format:?}"))
    };
    let p = |name: &str, version: &str| &inv.packages[find(name, version)];
    // prod vs dev
    assert!(p("egg-bin", "6.0.0").dev);
    assert!(!p("dicer", "0.2.5").dev);
    assert!(!p("egg", "3.17.0").dev);
    // direct deps resolve to the installed instance
    assert_eq!(inv.direct.len(), 6);
    for d in &inv.direct {
        let i = d
            .resolved
            .unwrap_or_else(|| panic!("{} unresolved in {format:?}", d.name));
        assert_eq!(inv.packages[i].name, d.name);
        assert!(inv.packages[i].direct);
    }
    assert!(!p("cookie", "0.3.1").direct);
    // roles
    assert_eq!(p("egg", "3.17.0").egg_role, Some(EggRole::Core));
    assert_eq!(p("egg-core", "4.26.0").egg_role, Some(EggRole::Core));
    assert_eq!(p("egg-onerror", "2.2.0").egg_role, Some(EggRole::Plugin));
    assert_eq!(p("egg-scripts", "2.8.0").egg_role, Some(EggRole::Tool));
    assert_eq!(p("ejs", "2.7.4").egg_role, None);
    // edges: egg → egg-multipart → co-busboy → busboy → dicer; nested path-to-regexp
    let chain = [
        ("egg", "3.17.0"),
        ("egg-multipart", "2.13.0"),
        ("co-busboy", "1.4.1"),
        ("busboy", "0.2.14"),
        ("dicer", "0.2.5"),
    ];
    for w in chain.windows(2) {
        let (a, b) = (find(w[0].0, w[0].1), find(w[1].0, w[1].1));
        assert!(
            inv.packages[a].deps.contains(&b),
            "{:?} → {:?} in {format:?}",
            w[0],
            w[1]
        );
    }
    let router = find("@eggjs/router", "2.0.1");
    let nested = find("path-to-regexp", "1.8.0");
    assert_eq!(inv.packages[router].deps, vec![nested], "{format:?}");
    // every package's line points at its entry
    let file = root.join(&inv.file);
    if format != Format::NodeModules {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for pkg in &inv.packages {
            assert!(
                pkg.line > 0,
                "{}@{} has no line in {format:?}",
                pkg.name,
                pkg.version
            );
            let l = lines[pkg.line as usize - 1];
            assert!(
                l.contains(&pkg.name),
                "{format:?}: line {} is {l:?}, not {}",
                pkg.line,
                pkg.name
            );
        }
    }
}

#[test]
fn package_lock_v1() {
    let root = fixture("deps-package-lock-v1");
    let inv = inventory::inventory(&root);
    check_app(&inv, &root, Format::PackageLockV1);
    assert_eq!(inv.file, "package-lock.json");
}

#[test]
fn package_lock_v2() {
    let root = fixture("deps-package-lock-v2");
    check_app(&inventory::inventory(&root), &root, Format::PackageLockV2);
}

#[test]
fn package_lock_v3() {
    let root = fixture("deps-package-lock-v3");
    let inv = inventory::inventory(&root);
    check_app(&inv, &root, Format::PackageLockV3);
    let ejs = inv.packages.iter().find(|p| p.name == "ejs").unwrap();
    assert_eq!(ejs.line, 112, "the line of \"node_modules/ejs\"");
}

#[test]
fn yarn_v1() {
    let root = fixture("deps-yarn-v1");
    check_app(&inventory::inventory(&root), &root, Format::YarnV1);
}

#[test]
fn yarn_berry() {
    let root = fixture("deps-yarn-berry");
    check_app(&inventory::inventory(&root), &root, Format::YarnBerry);
}

#[test]
fn pnpm_v5() {
    let root = fixture("deps-pnpm-v5");
    check_app(&inventory::inventory(&root), &root, Format::PnpmV5);
}

#[test]
fn pnpm_v6() {
    let root = fixture("deps-pnpm-v6");
    check_app(&inventory::inventory(&root), &root, Format::PnpmV6);
}

#[test]
fn pnpm_v9() {
    let root = fixture("deps-pnpm-v9");
    check_app(&inventory::inventory(&root), &root, Format::PnpmV9);
}

#[test]
fn node_modules_walk() {
    let dir = materialise("deps-node-modules");
    let inv = inventory::inventory(dir.path());
    check_app(&inv, dir.path(), Format::NodeModules);
    let ejs = inv.packages.iter().find(|p| p.name == "ejs").unwrap();
    assert_eq!(ejs.lockfile, "node_modules");
}

#[test]
fn corrupt_lockfiles_are_reported_by_name() {
    for (name, text) in [
        (
            "package-lock.json",
            "{\"lockfileVersion\": 3, \"packages\": {",
        ),
        (
            "package-lock.json",
            "{\"lockfileVersion\": 99, \"packages\": {}}",
        ),
        (
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\npackages:\n  - [unclosed\n",
        ),
        ("pnpm-lock.yaml", "lockfileVersion: '4.0'\n"),
        (
            "yarn.lock",
            "# yarn lockfile v1\n\nfoo@^1:\n  version\n  %%%\n",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"dependencies":{"foo":"^1"}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join(name), text).unwrap();
        let inv = inventory::inventory(dir.path());
        assert!(inv.packages.is_empty());
        assert!(
            inv.problems
                .iter()
                .any(|p| p.starts_with(&format!("{name}:"))),
            "{name}: {:?}",
            inv.problems
        );
    }
    // Not UTF-8.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package-lock.json"), [0x7b, 0xff, 0xfe]).unwrap();
    let inv = inventory::inventory(dir.path());
    assert!(
        inv.problems.iter().any(|p| p.contains("not UTF-8")),
        "{:?}",
        inv.problems
    );
}

#[test]
fn lockfile_that_disagrees_with_package_json() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("deps-package-lock-v3");
    std::fs::copy(
        src.join("package-lock.json"),
        dir.path().join("package-lock.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"dependencies":{"egg":"^4.0.0","egg-security":"^3.0.0"}}"#,
    )
    .unwrap();
    let inv = inventory::inventory(dir.path());
    assert_eq!(inv.packages.len(), 15);
    let text = inv.problems.join("\n");
    assert!(
        text.contains("egg@3.17.0 does not satisfy \"^4.0.0\""),
        "{text}"
    );
    assert!(
        text.contains("declares egg-security \"^3.0.0\" but the lockfile has no entry"),
        "{text}"
    );
}

#[test]
fn the_shared_inventory_is_read_once_and_again_when_the_lockfile_changes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"dependencies":{"foo":"^1"}}"#,
    )
    .unwrap();
    let lock = |version: &str| {
        format!(
            r#"{{"lockfileVersion": 3, "packages": {{"": {{"dependencies": {{"foo": "^1"}}}}, "node_modules/foo": {{"version": "{version}"}}}}}}"#
        )
    };
    std::fs::write(dir.path().join("package-lock.json"), lock("1.0.0")).unwrap();
    let first = inventory::inventory_shared(dir.path());
    let again = inventory::inventory_shared(dir.path());
    assert!(std::sync::Arc::ptr_eq(&first, &again), "read twice");
    let foo = |inv: &inventory::Inventory| {
        inv.packages
            .iter()
            .find(|p| p.name == "foo")
            .map(|p| p.version.clone())
    };
    assert_eq!(foo(&first).as_deref(), Some("1.0.0"));
    // a changed lockfile (another size) is read again, never served stale
    std::fs::write(dir.path().join("package-lock.json"), lock("1.10.0")).unwrap();
    let changed = inventory::inventory_shared(dir.path());
    assert!(!std::sync::Arc::ptr_eq(&first, &changed));
    assert_eq!(foo(&changed).as_deref(), Some("1.10.0"));
}

#[test]
fn readers_of_one_lockfile_at_once_share_one_reading_in_and_out_of_the_pool() {
    // the app model reads the lockfile ahead on one thread of the pool while the config asks
    // for it on another (which runs other work meanwhile), and a thread outside the pool waits
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"dependencies":{"foo":"^1"}}"#,
    )
    .unwrap();
    let mut lock = String::from("lockfileVersion: '6.0'\n\ndependencies:\n  foo:\n    specifier: ^1\n    version: 1.0.0\n\npackages:\n\n");
    for i in 0..3000 {
        lock.push_str(&format!("  /p{i}@1.0.0:\n    dev: false\n\n"));
    }
    lock.push_str("  /foo@1.0.0:\n    dev: false\n");
    std::fs::write(dir.path().join("pnpm-lock.yaml"), lock).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let root = dir.path();
    let (outside, (a, (b, other))) = std::thread::scope(|s| {
        let outside = s.spawn(|| inventory::inventory_shared(root));
        let inside = pool.install(|| {
            rayon::join(
                || inventory::inventory_shared(root),
                || {
                    rayon::join(
                        || inventory::inventory_shared(root),
                        || (0..1000u64).sum::<u64>(),
                    )
                },
            )
        });
        (outside.join().unwrap(), inside)
    });
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert!(std::sync::Arc::ptr_eq(&a, &outside));
    assert_eq!(other, 499_500);
    assert_eq!(a.packages.len(), 3001);
    assert!(a
        .packages
        .iter()
        .any(|p| p.name == "foo" && p.version == "1.0.0"));
}
