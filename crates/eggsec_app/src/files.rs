//! Finding and evaluating an egg module file: egg's `resolveModule` extension order, package
//! lookup through `node_modules` ancestry, and evaluation that turns every failure into a
//! [`Diagnostic`] naming the file.

use crate::model::{Diagnostic, DiagnosticLevel};
use eggsec_js::{eval_file, EvalOptions, JsError, Value, ValueKind};
use std::path::{Path, PathBuf};

/// package.json files above this size are refused (a real one is a few KB).
const MAX_PACKAGE_JSON_BYTES: u64 = 4 * 1024 * 1024;

/// How module paths are resolved: egg 2/3 `require.resolve`, or egg 4 `importResolve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolver {
    pub egg4: bool,
    /// The app is an ES module (`"type": "module"`), so egg 4 loads the ESM builds.
    pub esm: bool,
}

impl Resolver {
    /// Extensions tried, in order. Egg 2/3: `.js`, `.json`, then `.ts` (only reached when no
    /// `.js` exists: a ts-node/dev app). Egg 4: `.mjs`/`.cjs` first, then `.js`, `.ts`.
    fn extensions(&self) -> &'static [&'static str] {
        match (self.egg4, self.esm) {
            (false, _) => &["js", "json", "ts"],
            (true, true) => &["mjs", "js", "ts"],
            (true, false) => &["cjs", "js", "ts", "json"],
        }
    }

    /// Resolves `<dir>/<stem>` to a file as egg does, reporting unreadable candidates (symlink
    /// loops...).
    pub fn resolve(&self, dir: &Path, stem: &str, diags: &mut Vec<Diagnostic>) -> Option<PathBuf> {
        self.extensions().iter().find_map(|ext| {
            let candidate = dir.join(format!("{stem}.{ext}"));
            probe_file(&candidate, diags).then_some(candidate)
        })
    }

    /// The file egg resolves for `<dir>/<stem>`, read as its source: a `.js` that `tsc` wrote
    /// beside its `.ts` is that `.ts` ([`eggsec_js::source_twin`]).
    pub fn resolve_source(
        &self,
        dir: &Path,
        stem: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<PathBuf> {
        self.resolve(dir, stem, diags).map(eggsec_js::source_twin)
    }
}

/// True when `path` is a readable regular file. A path that exists but cannot be read (a
/// symlink loop, a dangling link, permissions) is reported.
pub fn probe_file(path: &Path, diags: &mut Vec<Diagnostic>) -> bool {
    match eggsec_fs::kind(path) {
        eggsec_fs::Kind::File => return true,
        eggsec_fs::Kind::Dir | eggsec_fs::Kind::Absent => return false,
        // the diagnostic names what the file system says
        eggsec_fs::Kind::Other | eggsec_fs::Kind::Missing => {}
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => true,
        Ok(m) if m.is_dir() => false,
        Ok(_) => {
            diags.push(Diagnostic {
                level: DiagnosticLevel::Unread,
                file: Some(path.to_path_buf()),
                line: 0,
                message: "not a regular file (a FIFO, device or socket); not read".into(),
            });
            false
        }
        Err(err) => {
            if std::fs::symlink_metadata(path).is_ok() {
                diags.push(Diagnostic {
                    level: DiagnosticLevel::Unread,
                    file: Some(path.to_path_buf()),
                    line: 0,
                    message: format!("cannot read: {err}; skipped"),
                });
            }
            false
        }
    }
}

/// Node's `require.resolve('<name>/package.json', {paths})`: each lookup dir's `node_modules`
/// ancestry in turn. Returns the package directory (symlinks resolved, as Node does).
pub fn resolve_package(name: &str, lookup_dirs: &[PathBuf]) -> Option<PathBuf> {
    if name.is_empty() || name.starts_with('.') || name.starts_with('/') || name.contains(':') {
        return None;
    }
    for dir in lookup_dirs {
        for ancestor in dir.ancestors() {
            if ancestor.file_name().is_some_and(|n| n == "node_modules") {
                continue;
            }
            // one look at each `node_modules` (the run keeps the answer) instead of one per
            // package asked for where there is none
            let modules = ancestor.join("node_modules");
            if !eggsec_fs::is_dir(&modules) {
                continue;
            }
            let pkg_dir = modules.join(name);
            if eggsec_fs::is_file(&pkg_dir.join("package.json")) {
                return Some(std::fs::canonicalize(&pkg_dir).unwrap_or(pkg_dir));
            }
        }
    }
    None
}

/// Reads and parses a package.json. `Ok(None)` when it does not exist; a diagnostic-ready
/// message when it is unreadable, not a regular file, too large or not JSON. Text is decoded as
/// npm does (a BOM is dropped; bytes that are not UTF-8 become U+FFFD).
pub fn read_package_json(path: &Path) -> Result<Option<serde_json::Value>, String> {
    use eggsec_report::input::{decode_like_npm, read_limited, InputError};
    let bytes = match read_limited(path, MAX_PACKAGE_JSON_BYTES) {
        Ok(b) => b,
        Err(InputError::NotFound) => {
            return match std::fs::symlink_metadata(path) {
                Ok(_) => Err("cannot read: a dangling symlink".into()),
                Err(_) => Ok(None),
            }
        }
        Err(InputError::TooLarge { size, .. }) => {
            return Err(format!(
                "too large to be a package.json ({size} bytes); not read"
            ))
        }
        Err(e) => return Err(e.to_string()),
    };
    let (text, _bad_byte) = decode_like_npm(&bytes);
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("not valid JSON: {e}"))
}

/// Reads a package.json, reporting problems as a diagnostic.
pub fn package_json_or_report(
    path: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<serde_json::Value> {
    match read_package_json(path) {
        Ok(v) => v,
        Err(message) => {
            diags.push(Diagnostic {
                level: DiagnosticLevel::Unread,
                file: Some(path.to_path_buf()),
                line: 0,
                message,
            });
            None
        }
    }
}

/// Evaluates a file; a read/parse failure becomes an error diagnostic (the file is skipped)
/// and each evaluator note an info diagnostic, except a note that a limit was hit (work was
/// skipped): that one leaves part of the file unevaluated, so the run is partial.
pub fn evaluate(path: &Path, opts: &EvalOptions<'_>, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    let evaluated = match eval_file(path, opts) {
        // Node reads a config file as UTF-8, each invalid byte (a GBK or Latin-1 comment) as
        // U+FFFD, and egg loads it: so is it evaluated (`eggsec fix` never edits such a file)
        Err(JsError::InvalidUtf8 { offset, path: p }) => {
            match eggsec_report::input::read_source_text(&p, opts.limits.max_file_bytes) {
                Ok(text) => {
                    diags.push(Diagnostic::at(
                        DiagnosticLevel::Warning,
                        path,
                        0,
                        format!(
                            "not valid UTF-8 (byte offset {offset}); evaluated as Node loads it, \
each invalid byte read as U+FFFD"
                        ),
                    ));
                    eggsec_js::eval_source(path, &text, opts)
                }
                Err(_) => Err(JsError::InvalidUtf8 { offset, path: p }),
            }
        }
        other => other,
    };
    match evaluated {
        Ok(module) => {
            diags.extend(module.notes.into_iter().map(|n| Diagnostic {
                level: if n.limit {
                    DiagnosticLevel::Unread
                } else {
                    DiagnosticLevel::Info
                },
                file: Some(n.file),
                line: n.line,
                message: if n.limit {
                    format!(
                        "{}; a limit of the evaluator was hit, so the run is partial",
                        n.message
                    )
                } else {
                    n.message
                },
            }));
            Some(module.exports)
        }
        Err(err) => {
            let line = match &err {
                JsError::Parse { line, .. } => *line,
                _ => 0,
            };
            diags.push(Diagnostic {
                level: DiagnosticLevel::Unread,
                file: Some(err.path().to_path_buf()),
                line,
                message: format!("{}; file skipped, what it sets is unknown", err.reason()),
            });
            None
        }
    }
}

/// True when any node of the tree is `Unknown`.
pub fn contains_unknown(v: &Value) -> bool {
    match &v.kind {
        ValueKind::Unknown { .. } => true,
        ValueKind::Object(map) => map.values().any(contains_unknown),
        ValueKind::Array(items) | ValueKind::Set(items) => items.iter().any(contains_unknown),
        ValueKind::Env {
            default: Some(d), ..
        } => contains_unknown(d),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compiled_twin_resolves_as_egg_does_and_reads_as_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let r = Resolver {
            egg4: false,
            esm: false,
        };
        let mut d = Vec::new();
        std::fs::write(dir.path().join("config.default.ts"), "").unwrap();
        std::fs::write(dir.path().join("config.default.js"), "").unwrap();
        let at = |p: Option<PathBuf>| p.unwrap().file_name().unwrap().to_owned();
        assert_eq!(
            at(r.resolve(dir.path(), "config.default", &mut d)),
            "config.default.js"
        );
        assert_eq!(
            at(r.resolve_source(dir.path(), "config.default", &mut d)),
            "config.default.ts"
        );
        std::fs::write(dir.path().join("plugin.js"), "").unwrap();
        assert_eq!(
            at(r.resolve_source(dir.path(), "plugin", &mut d)),
            "plugin.js"
        );
    }

    #[test]
    fn egg3_prefers_js_then_json_then_ts() {
        let dir = tempfile::tempdir().unwrap();
        let r = Resolver {
            egg4: false,
            esm: false,
        };
        let mut d = Vec::new();
        std::fs::write(dir.path().join("config.default.ts"), "").unwrap();
        assert_eq!(
            r.resolve(dir.path(), "config.default", &mut d)
                .unwrap()
                .extension()
                .unwrap(),
            "ts"
        );
        std::fs::write(dir.path().join("config.default.json"), "{}").unwrap();
        assert_eq!(
            r.resolve(dir.path(), "config.default", &mut d)
                .unwrap()
                .extension()
                .unwrap(),
            "json"
        );
        std::fs::write(dir.path().join("config.default.js"), "").unwrap();
        assert_eq!(
            r.resolve(dir.path(), "config.default", &mut d)
                .unwrap()
                .extension()
                .unwrap(),
            "js"
        );
        let esm = Resolver {
            egg4: true,
            esm: true,
        };
        std::fs::write(dir.path().join("config.default.mjs"), "").unwrap();
        assert_eq!(
            esm.resolve(dir.path(), "config.default", &mut d)
                .unwrap()
                .extension()
                .unwrap(),
            "mjs"
        );
        assert!(d.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_reported_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("config.default.js");
        std::os::unix::fs::symlink(&a, &a).unwrap();
        let mut d = Vec::new();
        assert!(Resolver {
            egg4: false,
            esm: false
        }
        .resolve(dir.path(), "config.default", &mut d)
        .is_none());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].file.as_deref(), Some(a.as_path()));
    }

    #[test]
    fn packages_resolve_through_node_modules_ancestry() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("node_modules/@eggjs/security");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("package.json"), "{}").unwrap();
        let nested = dir.path().join("node_modules/egg");
        std::fs::create_dir_all(&nested).unwrap();
        let found = resolve_package("@eggjs/security", &[nested]).unwrap();
        assert_eq!(found, std::fs::canonicalize(&pkg).unwrap());
        assert!(resolve_package("../evil", &[dir.path().to_path_buf()]).is_none());
    }

    #[test]
    fn packages_resolve_through_symlinked_node_modules_and_past_a_file_named_so() {
        // a `node_modules` symlinked to a store (pnpm, a monorepo's shared install) is a
        // directory to Node; one that is a file, or missing, is passed over for the next
        // ancestor's
        let store = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(store.path().join("egg-redis")).unwrap();
        std::fs::write(store.path().join("egg-redis/package.json"), "{}").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        let inner = app.join("packages/a");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(inner.join("node_modules"), "not a directory").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(store.path(), app.join("node_modules")).unwrap();
            let found = resolve_package("egg-redis", std::slice::from_ref(&inner)).unwrap();
            assert_eq!(
                found,
                std::fs::canonicalize(store.path().join("egg-redis")).unwrap()
            );
        }
        assert!(resolve_package("egg-mysql", &[inner]).is_none());
    }

    #[test]
    fn bad_package_json_is_an_error_message() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("package.json");
        assert_eq!(read_package_json(&p).unwrap(), None);
        std::fs::write(&p, "{ not json").unwrap();
        assert!(read_package_json(&p)
            .unwrap_err()
            .contains("not valid JSON"));
    }
}
