//! Finding Egg.js apps under a path (a monorepo is audited app by app).

use std::path::{Path, PathBuf};

/// How deep below the given path apps are searched for.
const MAX_DEPTH: usize = 8;

/// The Egg.js apps at or under `path`. A path that is itself an app gives just itself;
/// otherwise every directory that is an app, skipping `node_modules`, dot directories and
/// symlinked directories (no loops), and not looking inside an app once found. Sorted.
pub fn discover(path: &Path) -> Vec<PathBuf> {
    if is_app(path) {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    walk(path, 0, &mut out);
    out.sort();
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
        if !ty.is_dir() || name.starts_with('.') || name == "node_modules" {
            continue;
        }
        let child = entry.path();
        if is_app(&child) {
            out.push(child);
        } else {
            walk(&child, depth + 1, out);
        }
    }
}

/// An app has a package.json that depends on `egg` or an `@eggjs/*` package, or declares
/// `egg` metadata, or sits next to `config/config.default.*`. Plugin packages (`eggPlugin`)
/// are not apps.
pub fn is_app(dir: &Path) -> bool {
    let pkg = match crate::files::read_package_json(&dir.join("package.json")) {
        Ok(Some(pkg)) => pkg,
        Ok(None) => return false,
        // A package.json that cannot be read or parsed beside an app layout is still an app:
        // it is audited and the problem is reported, never silently dropped.
        Err(_) => return dir.join("config").is_dir() || dir.join("app").is_dir(),
    };
    if pkg.get("eggPlugin").is_some() {
        return false;
    }
    let depends_on_egg = ["dependencies", "devDependencies"].iter().any(|k| {
        pkg.get(*k)
            .and_then(|d| d.as_object())
            .is_some_and(|d| d.keys().any(|n| n == "egg" || n.starts_with("@eggjs/")))
    });
    depends_on_egg || pkg.get("egg").is_some() || has_default_config(dir)
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
        write(
            &root.join("packages/b/package.json"),
            r#"{"name":"b","egg":{"framework":"yadan"}}"#,
        );
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

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        assert!(discover(dir.path()).is_empty());
    }
}
