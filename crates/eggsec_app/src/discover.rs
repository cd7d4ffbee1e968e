//! Finding Egg.js apps under a path (a monorepo is audited app by app).

use std::path::{Path, PathBuf};

/// How deep below the given path apps are searched for.
const MAX_DEPTH: usize = 8;

/// Directories never searched for apps: dependencies, build output, and test fixtures (an egg
/// plugin's `test/fixtures/apps/*` are not the project's apps).
const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "test",
    "tests",
    "__tests__",
    "fixtures",
    "coverage",
    "run",
    "logs",
];

/// The Egg.js apps at or under `path`. A path that is itself an app gives just itself;
/// otherwise every directory that is an app, skipping `node_modules`, test fixtures, dot
/// directories and symlinked directories (no loops), and not looking inside an app once found.
/// Sorted.
///
/// A directory that looks like an app by its package.json but has neither `config/` nor
/// `app/` (nor midway v1's `src/config`) is a repo root: the apps below it are searched for.
/// So is a root that lists egg only as a devDependency (an egg plugin or library repo whose
/// runnable apps live under `example/*`) when apps exist below it. When nothing is found below,
/// the path itself is returned (the loader then says what is missing).
pub fn discover(path: &Path) -> Vec<PathBuf> {
    if is_app(path) && has_app_dirs(path) && !egg_only_in_dev_dependencies(path) {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    walk(path, 0, &mut out);
    out.sort();
    if out.is_empty() && is_app(path) {
        out.push(path.to_path_buf());
    }
    out
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(ty) = entry.file_type() else { continue };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !ty.is_dir() || name.starts_with('.') || SKIP_DIRS.contains(&name.as_ref()) {
            continue;
        }
        let child = entry.path();
        if is_app(&child) && has_app_dirs(&child) {
            out.push(child);
        } else {
            walk(&child, depth + 1, out);
        }
    }
}

/// The package.json of a directory: `package.json`, else `_package.json` (egg boilerplates
/// ship it under that name so that npm does not treat the template as a package).
pub fn package_json_path(dir: &Path) -> Option<PathBuf> {
    ["package.json", "_package.json"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| eggsec_fs::is_file(p))
}

fn read_pkg(dir: &Path) -> Option<serde_json::Value> {
    let bytes = eggsec_report::input::read_limited(&package_json_path(dir)?, 16 << 20).ok()?;
    let (text, _) = eggsec_report::input::decode_like_npm(&bytes);
    Some(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

/// Packages whose presence in dependencies makes a directory an egg app.
fn is_egg_package(name: &str) -> bool {
    name == "egg" || name == "midway" || name.starts_with("@eggjs/")
}

/// An app has a package.json (or `_package.json`) that depends on `egg`, an `@eggjs/*`
/// package or midway v1, or declares `egg` metadata, or sits next to
/// `config/config.default.*`. Plugin packages (`eggPlugin`) are not apps.
pub fn is_app(dir: &Path) -> bool {
    let path = package_json_path(dir).unwrap_or_else(|| dir.join("package.json"));
    let pkg = match crate::files::read_package_json(&path) {
        Ok(Some(pkg)) => pkg,
        Ok(None) => return false,
        // A package.json that cannot be read or parsed beside an app layout is still an app:
        // it is audited and the problem is reported, never silently dropped.
        Err(_) => {
            return eggsec_fs::is_dir(&dir.join("config")) || eggsec_fs::is_dir(&dir.join("app"))
        }
    };
    if pkg.get("eggPlugin").is_some() {
        return false;
    }
    let depends_on_egg = ["dependencies", "devDependencies"].iter().any(|k| {
        pkg.get(*k)
            .and_then(|d| d.as_object())
            .is_some_and(|d| d.keys().any(|n| is_egg_package(n)))
    });
    depends_on_egg
        || pkg.get("egg").is_some()
        || has_default_config(dir)
        || has_default_config(&dir.join("src"))
}

/// Has the directories egg loads from: `config/` or `app/`, or midway v1's `src/config`.
pub fn has_app_dirs(dir: &Path) -> bool {
    eggsec_fs::is_dir(&dir.join("config"))
        || eggsec_fs::is_dir(&dir.join("app"))
        || midway_base_dir(dir).is_some()
}

/// midway v1 runs egg with `baseDir = src`: `src/config` beside a package.json that depends on
/// `midway` (and no `config/` at the root).
pub fn midway_base_dir(dir: &Path) -> Option<PathBuf> {
    if eggsec_fs::is_dir(&dir.join("config")) {
        return None;
    }
    let src = dir.join("src");
    if !eggsec_fs::is_dir(&src.join("config")) {
        return None;
    }
    let pkg = read_pkg(dir)?;
    let midway = ["dependencies", "devDependencies"].iter().any(|k| {
        pkg.get(*k)
            .and_then(|d| d.as_object())
            .is_some_and(|d| d.contains_key("midway") || d.contains_key("midway-bin"))
    }) || pkg.pointer("/egg/framework").and_then(|f| f.as_str()) == Some("midway");
    midway.then_some(src)
}

/// The package.json lists `egg` (or `@eggjs/*`) in devDependencies only.
fn egg_only_in_dev_dependencies(dir: &Path) -> bool {
    let Some(pkg) = read_pkg(dir) else {
        return false;
    };
    let has = |k: &str| {
        pkg.get(k)
            .and_then(|d| d.as_object())
            .is_some_and(|d| d.keys().any(|n| is_egg_package(n)))
    };
    has("devDependencies")
        && !has("dependencies")
        && !has("peerDependencies")
        && pkg.get("egg").is_none()
        && {
            let mut below = Vec::new();
            walk(dir, 0, &mut below);
            !below.is_empty()
        }
}

fn has_default_config(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir.join("config")) else {
        return false;
    };
    entries.flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("config.default.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn finds_apps_in_a_monorepo() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join("package.json"),
            r#"{"name":"mono","private":true}"#,
        );
        write(
            &root.join("packages/a/package.json"),
            r#"{"name":"a","dependencies":{"egg":"^3"}}"#,
        );
        write(&root.join("packages/a/app/router.js"), "");
        write(
            &root.join("packages/b/package.json"),
            r#"{"name":"b","egg":{"framework":"yadan"}}"#,
        );
        write(&root.join("packages/b/config/plugin.js"), "");
        write(&root.join("packages/c/package.json"), r#"{"name":"c"}"#);
        write(&root.join("packages/c/config/config.default.ts"), "");
        write(
            &root.join("packages/d/package.json"),
            r#"{"name":"d","dependencies":{"lodash":"1"}}"#,
        );
        write(
            &root.join("packages/a/lib/plugin/p/package.json"),
            r#"{"eggPlugin":{"name":"p"}}"#,
        );
        write(
            &root.join("node_modules/x/package.json"),
            r#"{"dependencies":{"egg":"^3"}}"#,
        );
        write(
            &root.join(".cache/y/package.json"),
            r#"{"dependencies":{"egg":"^3"}}"#,
        );
        let apps = discover(root);
        let names: Vec<_> = apps
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            discover(&root.join("packages/a")),
            vec![root.join("packages/a")]
        );
    }

    #[test]
    fn repo_roots_without_app_dirs_are_searched_below() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // an egg plugin/library repo: egg only as a devDependency, apps under example/*
        write(
            &root.join("package.json"),
            r#"{"name":"lib","devDependencies":{"egg":"^3"}}"#,
        );
        write(&root.join("config/config.default.js"), "");
        write(&root.join("app/extend/context.js"), "");
        write(
            &root.join("example/a/package.json"),
            r#"{"name":"a","dependencies":{"egg":"^3"}}"#,
        );
        write(&root.join("example/a/app/router.js"), "");
        write(
            &root.join("test/fixtures/apps/x/package.json"),
            r#"{"name":"x","dependencies":{"egg":"^3"}}"#,
        );
        write(
            &root.join("test/fixtures/apps/x/config/config.default.js"),
            "",
        );
        assert_eq!(discover(root), vec![root.join("example/a")]);

        // a root that depends on egg but has no config/ or app/: the app is below
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join("package.json"),
            r#"{"name":"mono","dependencies":{"egg":"^2"}}"#,
        );
        write(
            &root.join("server/package.json"),
            r#"{"name":"s","dependencies":{"egg":"^2"}}"#,
        );
        write(&root.join("server/config/config.default.js"), "");
        assert_eq!(discover(root), vec![root.join("server")]);

        // nothing below: the root itself (the loader explains what is missing)
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("package.json"),
            r#"{"name":"bare","dependencies":{"egg":"^2"}}"#,
        );
        assert_eq!(discover(dir.path()), vec![dir.path().to_path_buf()]);
    }

    #[test]
    fn boilerplate_package_json_and_midway_v1() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join("boiler/_package.json"),
            r#"{"name":"{{name}}","dependencies":{"egg":"^3"}}"#,
        );
        write(&root.join("boiler/app/router.js"), "");
        write(
            &root.join("mw/package.json"),
            r#"{"name":"mw","dependencies":{"midway":"^1.20.3"}}"#,
        );
        write(&root.join("mw/src/config/config.default.ts"), "");
        let apps = discover(root);
        assert_eq!(apps, vec![root.join("boiler"), root.join("mw")]);
        assert_eq!(midway_base_dir(&root.join("mw")), Some(root.join("mw/src")));
        assert_eq!(midway_base_dir(&root.join("boiler")), None);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        assert!(discover(dir.path()).is_empty());
    }
}
