//! `BLT014` `multipart-file-size-too-large`: egg-multipart's upload limits are raised far above
//! what a web form needs (`fileSize` over 100mb or `files` over 100 a request).

use super::multipart_dangerous_extensions::accepts_uploads;
use crate::util::{format_bytes, value_bytes};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct MultipartFileSizeTooLarge;

static META: RuleMeta = RuleMeta {
    code: "BLT014",
    name: "multipart-file-size-too-large",
    strategy: Strategy::Builtin,
    severity: Severity::Low,
    confidence: Confidence::High,
    control: "Upload limits (egg-multipart `fileSize`, `files`) are bounded",
    docs: RuleDocs {
        what: "Finds `config.multipart.fileSize` above 100mb and `config.multipart.files` \
above 100 files a request. egg-multipart's defaults are `fileSize: '10mb'` and `files: 10`.",
        why: "Each upload is streamed to disk (`mode: 'file'`, into `multipart.tmpdir`) or \
through the app's process. Very large limits let a few anonymous requests fill the disk, \
saturate bandwidth and keep workers busy: a cheap denial of service. The limits are the \
only size control egg applies before the app's own code runs.",
        bad: r#"// config/config.default.js
module.exports = {
  multipart: {
    fileSize: '2gb',
    files: 1000,
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  multipart: {
    fileSize: '20mb', // the largest file the feature accepts
    files: 5,
  },
};"#,
        fix: "Set `config.multipart.fileSize` and `config.multipart.files` to what the feature \
needs. If one route really takes large files, raise the limit only there \
(`ctx.getFileStream({ limits: { fileSize } })` or `ctx.multipart({ limits })`) and put it \
behind authentication.",
    },
};

/// Above this `fileSize` (bytes) a finding is reported.
const MAX_FILE_SIZE: u64 = 100 * 1024 * 1024;
/// Above this many files a request a finding is reported.
const MAX_FILES: f64 = 100.0;

impl Rule for MultipartFileSizeTooLarge {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("multipart") {
            cx.not_applicable();
            return;
        }
        let size_bytes = app.config_at("multipart.fileSize").and_then(value_bytes);
        let file_count = app.config_at("multipart.files").and_then(|v| v.as_f64());
        if let Some(size) = app.config_at("multipart.fileSize") {
            if let Some(bytes) = value_bytes(size).filter(|b| *b > MAX_FILE_SIZE) {
                let prov = size.prov.clone();
                cx.report(
                    &prov,
                    format!(
                        "`multipart.fileSize` allows {} a file in {} (egg's default is 10mb)",
                        format_bytes(bytes),
                        app.env
                    ),
                    vec![format!("multipart.fileSize = {}", format_bytes(bytes))],
                    "Lower the limit to what the feature needs, and raise it per route only \
where required:\n\n```js\nconfig.multipart = {\n  fileSize: '20mb',\n};\n```",
                );
            }
        }
        if let Some(files) = app.config_at("multipart.files") {
            if let Some(n) = files.as_f64().filter(|n| *n > MAX_FILES) {
                let prov = files.prov.clone();
                cx.report(
                    &prov,
                    format!(
                        "`multipart.files` allows {n} files a request in {} (egg's default is 10)",
                        app.env
                    ),
                    vec![format!("multipart.files = {n}")],
                    "Lower the count to what one form submits:\n\n```js\nconfig.multipart = {\n  files: 10,\n};\n```",
                );
            }
        }
        if !cx.findings().is_empty() {
            return;
        }
        // Limits on uploads the app never takes are no control of its own.
        if !accepts_uploads(cx) {
            cx.not_applicable();
            return;
        }
        match (size_bytes, file_count) {
            (Some(bytes), Some(n)) => cx.fact(format!(
                "Uploads are limited to {} a file and {n} files a request",
                format_bytes(bytes)
            )),
            // A limit that is not statically known (env, computed).
            _ => cx.not_applicable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn hit_large_size_and_count() {
        let app = test_model(json!({"multipart": {
            "fileSize": {"$at": "config/config.prod.js:3:15", "$value": "2gb"},
            "files": 1000
        }}));
        let findings = run_rule(&MultipartFileSizeTooLarge, &app);
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].location.to_string(),
            "config/config.prod.js:3:15"
        );
        assert_eq!(findings[0].evidence, ["multipart.fileSize = 2gb"]);
        assert_eq!(findings[1].evidence, ["multipart.files = 1000"]);
    }

    #[test]
    fn hit_numeric_size() {
        let app = test_model(json!({"multipart": {"fileSize": 500.0 * 1024.0 * 1024.0}}));
        assert_eq!(run_rule(&MultipartFileSizeTooLarge, &app).len(), 1);
    }

    #[test]
    fn no_hit_for_defaults_moderate_or_unknown_limits() {
        for config in [
            json!({"multipart": {"fileSize": "10mb", "files": 10}}),
            json!({"multipart": {"fileSize": "100mb", "files": 100}}),
            json!({"multipart": {"fileSize": {"$env": "MAX_UPLOAD", "default": null}}}),
            json!({"multipart": {"fileSize": {"$unknown": "call"}}}),
        ] {
            let app = test_model(config.clone());
            assert!(
                run_rule(&MultipartFileSizeTooLarge, &app).is_empty(),
                "{config}"
            );
        }
        let mut app = test_model(json!({"multipart": {"fileSize": "5gb"}}));
        set_plugin(&mut app, "multipart", false);
        assert!(run_rule(&MultipartFileSizeTooLarge, &app).is_empty());
    }
}
