//! `BLT012` `multipart-dangerous-extensions`: the app lets egg-multipart accept uploads that a
//! browser or server would run (`.html`, `.svg`, `.js`, `.php`, `.exe`...).

use crate::util::string_list;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::Value;
use eggsec_report::{Confidence, Severity, Strategy};
use regex::Regex;
use std::sync::LazyLock;

pub struct MultipartDangerousExtensions;

static META: RuleMeta = RuleMeta {
    code: "BLT012",
    name: "multipart-dangerous-extensions",
    strategy: Strategy::Builtin,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "File uploads (egg-multipart) accept only extensions that cannot run in a browser or on the server",
    docs: RuleDocs {
        what: "Finds `config.multipart.fileExtensions` entries, or `config.multipart.whitelist` \
array entries, that are active content: markup and scripts a browser runs (`.html`, `.htm`, \
`.xhtml`, `.svg`, `.js`, `.mjs`, `.xml`...), server-side scripts (`.php`, `.jsp`, `.asp`, \
`.aspx`, `.cgi`, `.pl`, `.py`) and executables (`.exe`, `.sh`, `.bat`, `.ps1`, `.jar`...). \
Only what the app configured is reported: egg-multipart's own default list already contains \
`.html`, `.htm`, `.svg`, `.js` and `.jsx`, and an app that keeps the default list is not \
flagged — the fix below (an explicit `whitelist`) removes those too.",
        why: "An uploaded `.html` or `.svg` file served from the app's origin (egg-static, an \
upload folder, object storage on the same site) runs its scripts with the app's cookies and \
origin: stored cross-site scripting. Server-side script extensions become remote code \
execution as soon as any web server in front executes them, and executables are a malware \
distribution channel under the app's name.",
        bad: r#"// config/config.default.js
module.exports = {
  multipart: {
    mode: 'file',
    fileExtensions: [ '.html', '.php' ], // added to egg's default list
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  multipart: {
    mode: 'file',
    // replaces egg's default list (which includes .html, .svg and .js)
    whitelist: [ '.jpg', '.jpeg', '.png', '.gif', '.webp', '.pdf' ],
  },
};"#,
        fix: "Set `config.multipart.whitelist` to the exact extensions the feature needs \
(it replaces egg-multipart's default list and makes `fileExtensions` ignored), and never list \
markup, script or executable types. If users must upload such files, store them outside any \
served folder and serve them with `Content-Disposition: attachment` from a separate domain.",
    },
};

/// Extensions that run in a browser, on a server, or on the user's machine.
const DANGEROUS: &[&str] = &[
    ".html", ".htm", ".xhtml", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".js", ".mjs", ".cjs",
    ".php", ".phtml", ".php5", ".jsp", ".jspx", ".asp", ".aspx", ".cgi", ".pl", ".py", ".rb",
    ".exe", ".dll", ".msi", ".com", ".scr", ".bat", ".cmd", ".ps1", ".vbs", ".hta", ".sh", ".jar",
    ".war", ".swf",
];

impl Rule for MultipartDangerousExtensions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("multipart") {
            cx.not_applicable();
            return;
        }
        let Some(multipart) = app.config_at("multipart") else {
            cx.not_applicable();
            return;
        };
        // A whitelist array or function replaces the default list and `fileExtensions`.
        let whitelist = multipart.get("whitelist");
        match whitelist {
            Some(list) if list.as_list().is_some() => {
                report_dangerous(cx, list, "multipart.whitelist", false);
                if cx.findings().is_empty() && accepts_uploads(cx) {
                    cx.fact("multipart.whitelist holds no browser- or server-executable extension");
                } else if cx.findings().is_empty() {
                    cx.not_applicable();
                }
            }
            Some(w) if w.is_function() || w.is_unknown() => cx.not_applicable(),
            _ => {
                if let Some(list) = multipart.get("fileExtensions") {
                    report_dangerous(cx, list, "multipart.fileExtensions", true);
                }
                // egg-multipart's own default list accepts .html, .svg and .js: not a pass.
                if cx.findings().is_empty() {
                    cx.not_applicable();
                }
            }
        }
    }
}

/// Whether the app takes file uploads: egg-multipart in `file` mode (every multipart request
/// is parsed), or server code that reads them (`ctx.getFileStream()`, `ctx.multipart()`,
/// `ctx.saveRequestFiles()`, `ctx.request.files`).
pub(crate) fn accepts_uploads(cx: &RuleContext<'_>) -> bool {
    let app = cx.app;
    if app.config_at("multipart.mode").and_then(Value::as_str) == Some("file") {
        return true;
    }
    cx.cache()
        .app_sources(app)
        .iter()
        .any(|file| UPLOAD_USE.is_match(&file.text))
}

static UPLOAD_USE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:getFileStream|multipart|saveRequestFiles)\s*\(|\brequest\s*\.\s*files\b")
        .expect("valid regex")
});

/// Reports the dangerous entries of `list` (at the first one). `added` normalises entries the
/// way egg-multipart does for `fileExtensions` (`'php'` → `'.php'`).
fn report_dangerous(cx: &mut RuleContext<'_>, list: &Value, key: &str, added: bool) {
    let Some(items) = list.as_list() else {
        return;
    };
    let hits: Vec<(&Value, String)> = items
        .iter()
        .filter_map(|item| {
            let raw = string_list(item)?.first()?.to_ascii_lowercase();
            let ext = if added && !raw.starts_with('.') && !raw.is_empty() {
                format!(".{raw}")
            } else {
                raw
            };
            DANGEROUS.contains(&ext.as_str()).then_some((item, ext))
        })
        .collect();
    let Some((first, _)) = hits.first() else {
        return;
    };
    let exts: Vec<&str> = hits.iter().map(|(_, e)| e.as_str()).collect();
    let how = if added {
        "adds to egg-multipart's default upload list"
    } else {
        "allows as uploads"
    };
    let prov = first.prov.clone();
    cx.report(
        &prov,
        format!(
            "`{key}` {how} {}, which can run in a browser or on a server",
            exts.join(", ")
        ),
        vec![format!("{key} includes {}", exts.join(", "))],
        format!(
            "Replace the list with an explicit whitelist of the types the feature needs \
(egg-multipart's default list itself includes .html, .svg and .js):\n\n```js\n\
// config/config.default.js\nconfig.multipart = {{\n  whitelist: [ '.jpg', '.jpeg', '.png', '.gif', '.webp', '.pdf' ],\n}};\n```\n\n\
Remove {} from `{key}`.",
            exts.join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_file_extensions_added() {
        let app = test_model(json!({"multipart": {
            "whitelist": null,
            "fileExtensions": [".pdf", {"$at": "config/config.default.js:4:30", "$value": "PHP"}, ".html"]
        }}));
        let findings = run_rule(&MultipartDangerousExtensions, &app);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.default.js:4:30"
        );
        assert_eq!(
            findings[0].evidence,
            ["multipart.fileExtensions includes .php, .html"]
        );
    }

    #[test]
    fn hit_whitelist_array() {
        let app = test_model(json!({"multipart": {"whitelist": [".png", ".svg"]}}));
        assert_eq!(run_rule(&MultipartDangerousExtensions, &app).len(), 1);
    }

    #[test]
    fn no_hit_for_defaults_safe_lists_or_replaced_extensions() {
        for config in [
            // egg's default: empty fileExtensions, whitelist null
            json!({"multipart": {"fileExtensions": [], "whitelist": null}}),
            json!({"multipart": {"fileExtensions": [".pdf", "docx"]}}),
            json!({"multipart": {"whitelist": [".png", ".jpg"]}}),
            // a whitelist replaces fileExtensions, which egg then ignores
            json!({"multipart": {"whitelist": [".png"], "fileExtensions": [".html"]}}),
            json!({"multipart": {"whitelist": {"$function": "config/config.default.js:3"}, "fileExtensions": [".html"]}}),
            json!({"multipart": {"fileExtensions": [{"$env": "EXT", "default": null}]}}),
            json!({"multipart": {"fileExtensions": {"$unknown": "call"}}}),
        ] {
            let app = test_model(config.clone());
            assert!(
                run_rule(&MultipartDangerousExtensions, &app).is_empty(),
                "{config}"
            );
        }
    }

    #[test]
    fn no_hit_when_plugin_disabled() {
        let mut app = test_model(json!({"multipart": {"fileExtensions": [".php"]}}));
        set_plugin(&mut app, "multipart", false);
        assert!(run_rule(&MultipartDangerousExtensions, &app).is_empty());
    }
}
