//! `BLT015` `static-serves-outside-public`: egg-static serves a folder that holds more than
//! public assets — the app root, server source, config, logs, egg's `run/` dumps — or an
//! upload folder with `dynamic: true`.
//!
//! Also home of [`static_dirs`], the folders egg-static serves (used by the log-dir rule).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::AppModel;
use eggsec_js::Value;
use eggsec_report::{Confidence, Severity, Strategy};
use std::path::{Component, Path, PathBuf};

pub struct StaticServesOutsidePublic;

static META: RuleMeta = RuleMeta {
    code: "BLT015",
    name: "static-serves-outside-public",
    strategy: Strategy::Builtin,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "egg-static serves only public asset folders",
    docs: RuleDocs {
        what: "Finds `config.static.dir` / `config.static.dirs` entries that make egg-static \
serve the app root (or a folder above it), server-side code under `app/` outside \
`app/public`, `config/`, `node_modules/`, the log folder (`logger.dir`), egg's run folder \
(`rundir`, where `application_config.json` is written), or an upload folder \
(`multipart.tmpdir`, a folder named `upload(s)`/`tmp`) while `dynamic: true` serves files \
added after start. Folders of built assets such as `dist/` or `public/` are not reported. \
When `multipart.whitelist` is a static list of extensions none of which a browser runs as a \
page (images, archives, office files; not `.html`, `.svg`, `.xml`, `.js`, `.pdf`…), an upload \
folder is still reported, at low confidence, and the message names the list: egg-multipart \
refuses other files, but files may reach the folder by other means.",
        why: "Everything under a served folder is downloadable by anyone: serving the root \
or `config/` publishes `config/*.js` (keys, database passwords), `run/application_config.json` \
(the whole effective config), logs and source code. Serving an upload folder with \
`dynamic: true` makes every uploaded `.html` or `.svg` file a page on the app's origin \
(stored XSS).",
        bad: r#"// config/config.default.js
const path = require('path');
module.exports = appInfo => ({
  static: {
    prefix: '/',
    dir: appInfo.baseDir, // the whole app, config/ and run/ included
  },
});"#,
        good: r#"// config/config.default.js
const path = require('path');
module.exports = appInfo => ({
  static: {
    prefix: '/public/',
    dir: path.join(appInfo.baseDir, 'app/public'),
  },
});"#,
        fix: "Point `config.static.dir` (and every `config.static.dirs` entry) at folders that \
contain only public assets, such as `app/public` (egg's default) or a build output folder. \
Serve user uploads from object storage or a separate domain, or through a controller that \
sets `Content-Disposition: attachment` and a safe `Content-Type`; if an upload folder must \
be static, use `dynamic: false` and a separate origin.",
    },
};

/// One folder egg-static serves.
pub(crate) struct StaticDir<'a> {
    /// The configured `dir` string (its provenance locates findings).
    pub value: &'a Value,
    /// The folder, absolute and lexically normalised.
    pub path: PathBuf,
    /// Whether files added after start are served (`dynamic`, per entry or global).
    pub dynamic: Option<bool>,
}

/// The folders egg-static serves in the audited env: `static.dir` (a string or an array) and
/// `static.dirs` (strings or `{ prefix, dir, dynamic }`), relative ones resolved against the
/// app root. Empty when the static plugin is disabled; entries that are not known strings are
/// skipped.
pub(crate) fn static_dirs(app: &AppModel) -> Vec<StaticDir<'_>> {
    if !app.plugin_enabled("static") {
        return Vec::new();
    }
    let Some(config) = app.config_at("static") else {
        return Vec::new();
    };
    let global_dynamic = config.get("dynamic").and_then(Value::as_bool);
    let mut entries: Vec<&Value> = Vec::new();
    for key in ["dirs", "dir"] {
        match config.get(key) {
            Some(v) if v.as_list().is_some() => entries.extend(v.as_list().unwrap_or_default()),
            Some(v) => entries.push(v),
            None => {}
        }
    }
    entries
        .into_iter()
        .filter_map(|entry| {
            let (value, dynamic) = match entry.get("dir") {
                Some(dir) => (
                    dir,
                    entry
                        .get("dynamic")
                        .and_then(Value::as_bool)
                        .or(global_dynamic),
                ),
                None => (entry, global_dynamic),
            };
            let path = resolve(&app_root(app), value.as_str()?);
            Some(StaticDir {
                value,
                path,
                dynamic,
            })
        })
        .collect()
}

/// The app root, absolute and normalised (config paths are absolute after evaluation).
pub(crate) fn app_root(app: &AppModel) -> PathBuf {
    let absolute = std::path::absolute(&app.root).unwrap_or_else(|_| app.root.clone());
    resolve(Path::new("/"), &absolute.to_string_lossy())
}

/// `dir` made absolute against `root` and normalised (`.` and `..` removed) without touching
/// the file system.
pub(crate) fn resolve(root: &Path, dir: &str) -> PathBuf {
    let joined = root.join(dir);
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl Rule for StaticServesOutsidePublic {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        let root = app_root(app);
        let config_dir = |key: &str| {
            app.config_at(key)
                .and_then(Value::as_str)
                .map(|d| resolve(&root, d))
        };
        let logs = config_dir("logger.dir");
        let rundir = config_dir("rundir");
        let tmpdir = config_dir("multipart.tmpdir");
        let public = root.join("app/public");
        let dirs = static_dirs(app);
        let inert_uploads = inert_upload_whitelist(app);
        // egg-static off, or no folder that is statically known.
        if dirs.is_empty() {
            cx.not_applicable();
            return;
        }
        for dir in dirs {
            let path = &dir.path;
            let inside = |base: &Path| path.starts_with(base);
            // app/public is egg's own served folder: what is put in it (logs...) is other
            // rules' business.
            if inside(&public) {
                continue;
            }
            let contains = |inner: &Path| inner.starts_with(path);
            let shown = cx.relative_path(&path.to_string_lossy());
            let shown = if shown.is_empty() || *path == root {
                "the app root".to_string()
            } else {
                format!("`{shown}`")
            };
            let why = if contains(&root) {
                Some("it contains the whole app: config/, run/application_config.json, logs and source")
            } else if inside(&root.join("config")) {
                Some("it holds the app's config files")
            } else if rundir.as_deref().is_some_and(|r| contains(r) || inside(r)) {
                Some("it holds egg's run/ dumps (application_config.json is the whole effective config)")
            } else if logs.as_deref().is_some_and(|l| contains(l) || inside(l)) {
                Some("it holds the app's log files")
            } else if inside(&root.join("node_modules")) {
                Some("it serves installed packages")
            } else if inside(&root.join("app")) {
                Some("it holds server-side code or templates")
            } else if contains(&root.join("app")) || contains(&root.join("config")) {
                Some("it contains the app's server-side code and config")
            } else {
                None
            };
            let upload = tmpdir.as_deref().is_some_and(|t| contains(t) || inside(t))
                || path.components().any(|c| {
                    matches!(
                        c.as_os_str()
                            .to_string_lossy()
                            .to_ascii_lowercase()
                            .as_str(),
                        "upload" | "uploads"
                    )
                });
            let message = match (why, upload && dir.dynamic != Some(false)) {
                (Some(why), _) => format!("egg-static serves {shown}, and {why}"),
                (None, true) => format!(
                    "egg-static serves the upload folder {shown} with `dynamic: true`, so every \
uploaded file becomes a page on the app's origin"
                ),
                (None, false) => continue,
            };
            let evidence = vec![format!(
                "static dir = {}{}",
                shown.trim_matches('`'),
                match dir.dynamic {
                    Some(d) => format!(" (dynamic: {d})"),
                    None => String::new(),
                }
            )];
            let prov = dir.value.prov.clone();
            let finding = cx.report(
                &prov,
                message,
                evidence,
                "Serve only public assets:\n\n```js\n// config/config.default.js\nconst path = require('path');\nmodule.exports = appInfo => ({\n  static: {\n    prefix: '/public/',\n    dir: path.join(appInfo.baseDir, 'app/public'),\n  },\n});\n```\n\nServe uploads from object storage or a separate domain, or through a controller that sets `Content-Disposition: attachment`.",
            );
            if why.is_none() {
                finding.severity = Severity::Medium;
                if let Some(list) = &inert_uploads {
                    finding.message.push_str(&format!(
                        " (egg-multipart accepts only {list} here, none of which a browser runs as \
a page)"
                    ));
                    finding.confidence = Confidence::Low;
                }
            }
        }
    }
}

/// Extensions a browser may run as a page or script when served from the app's origin.
const ACTIVE: &[&str] = &[
    "html", "htm", "xhtml", "xht", "shtml", "svg", "svgz", "xml", "xsl", "xslt", "js", "mjs",
    "pdf", "swf", "mht", "mhtml", "hta", "vtt",
];

/// `multipart.whitelist` when it is a static list of extensions with no [`ACTIVE`] one, as
/// shown in a message (`.jpeg, .png`); egg-multipart then refuses every other upload.
fn inert_upload_whitelist(app: &AppModel) -> Option<String> {
    let list = app.config_at("multipart.whitelist")?.as_list()?;
    let exts: Vec<&str> = list.iter().map(Value::as_str).collect::<Option<_>>()?;
    let active = |e: &str| {
        let e = e.trim().trim_start_matches('.').to_ascii_lowercase();
        e.is_empty() || ACTIVE.contains(&e.as_str())
    };
    (!exts.is_empty() && !exts.iter().any(|e| active(e))).then(|| exts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_root_and_config_dirs() {
        let app = test_model(json!({"static": {
            "dir": {"$at": "config/config.default.js:5:10", "$value": "/app"},
            "dirs": ["/app/config", {"prefix": "/src", "dir": "/app/app/controller"}]
        }}));
        let findings = run_rule(&StaticServesOutsidePublic, &app);
        assert_eq!(findings.len(), 3, "{findings:#?}");
        let at_root = findings
            .iter()
            .find(|f| f.location.to_string() == "config/config.default.js:5:10")
            .expect("root finding");
        assert!(at_root.message.contains("the app root"));
    }

    #[test]
    fn hit_run_and_logs_and_relative_parent() {
        let app = test_model(json!({
            "rundir": "/app/run",
            "logger": {"dir": "/app/logs/testapp"},
            "static": {"dirs": ["/app/run", "/app/logs", "app/public/.."]}
        }));
        assert_eq!(run_rule(&StaticServesOutsidePublic, &app).len(), 3);
    }

    #[test]
    fn hit_dynamic_upload_folder() {
        let app = test_model(json!({
            "multipart": {"tmpdir": "/tmp/egg-multipart-tmp/testapp"},
            "static": {
            "dynamic": true,
            "dirs": [{"prefix": "/files", "dir": "/app/uploads"}, "/tmp/egg-multipart-tmp"]
        }}));
        let findings = run_rule(&StaticServesOutsidePublic, &app);
        assert_eq!(findings.len(), 2);
        assert!(findings.iter().all(|f| f.severity == Severity::Medium));
        assert!(findings.iter().all(|f| f.confidence == Confidence::High));
    }

    #[test]
    fn an_image_only_whitelist_lowers_the_confidence() {
        // poster-backend: uploads limited to images, served from /uploads
        let with = |whitelist: serde_json::Value| {
            let app = test_model(json!({
                "multipart": {"whitelist": whitelist},
                "static": {"dirs": [{"prefix": "/uploads", "dir": "/app/uploads"}]}
            }));
            let mut found = run_rule(&StaticServesOutsidePublic, &app);
            assert_eq!(found.len(), 1, "{found:#?}");
            found.remove(0)
        };
        let f = with(json!([".jpeg", ".png", ".gif", ".webp", ".jpg"]));
        assert_eq!(f.confidence, Confidence::Low);
        assert!(
            f.message
                .contains("accepts only .jpeg, .png, .gif, .webp, .jpg here"),
            "{}",
            f.message
        );
        // look-alikes: a list with a page type, a function, no list at all
        for w in [
            json!([".png", ".SVG"]),
            json!([".png", ".html"]),
            json!({"$function": "whitelist"}),
            json!(null),
        ] {
            let f = with(w.clone());
            assert_eq!(f.confidence, Confidence::High, "{w}");
            assert!(!f.message.contains("accepts only"), "{w}");
        }
    }

    #[test]
    fn no_hit_for_public_dist_static_uploads_or_disabled_plugin() {
        for config in [
            json!({"static": {"dir": "/app/app/public", "dynamic": true}}),
            json!({"static": {"dirs": ["/app/app/public", "/app/dist", "/app/public"]}}),
            json!({"static": {"dir": "/app/uploads", "dynamic": false}}),
            // logs inside app/public are log-dir-public's finding
            json!({"logger": {"dir": "/app/app/public/logs"}, "static": {"dir": "/app/app/public"}}),
            json!({"static": {"dir": {"$env": "STATIC_DIR", "default": null}}}),
            json!({"static": {"dir": {"$unknown": "call"}}}),
        ] {
            let app = test_model(config.clone());
            assert!(
                run_rule(&StaticServesOutsidePublic, &app).is_empty(),
                "{config}"
            );
        }
        let mut app = test_model(json!({"static": {"dir": "/app"}}));
        set_plugin(&mut app, "static", false);
        assert!(run_rule(&StaticServesOutsidePublic, &app).is_empty());
    }
}
