//! `eggsec scaffold NAME`: what egg has no setting for, written into the app in its language
//! (JS, ESM or TS), registered in its config, and never duplicated by a re-run.
//!
//! - `errors`: `app/middleware/error_handler` — a generic message and a request id in prod,
//!   the detail logged through `ctx.logger` with a category, a severity and an error code, the
//!   detail kept in local/unittest — first in `config.middleware`; `onerror.json` generic in prod.
//! - `headers`: `app/middleware/security_headers` — Cross-Origin-Opener-Policy,
//!   Cross-Origin-Resource-Policy and Permissions-Policy (egg-security sets none of them),
//!   registered after the error handler.
//! - `security-logger`: `customLogger.securityLogger` (its own file, one JSON object a line for
//!   ELK/Splunk/Graylog) and `ctx.securityEvent(type, data)` (`app/extend/context`) with
//!   secrets and personal data masked; the error handler reports CSRF failures, authorisation
//!   denials and validation failures through it.
//! - `logrotator`: egg-logrotator retention (`maxDays`) from `[fix] log_retention_days` in
//!   `eggsec.toml` (default 90).

use crate::config_fix::FixOptions;
use crate::write::{match_line_endings, read};
use crate::{FileChange, FixError, Flavor};
use eggsec_app::{AppModel, LoadOptions};
use eggsec_js::config_edit::{empty_config_file, plan_set, SetResult};
use eggsec_js::edit::apply;
use std::path::{Path, PathBuf};

/// A key path and the JS value to set there.
type KeyValue = (Vec<String>, String);

pub const NAMES: &[&str] = &["errors", "headers", "security-logger", "logrotator"];

/// Plans scaffold `name` for the app at `root`.
pub fn plan(root: &Path, name: &str, opts: &FixOptions) -> Result<Vec<FileChange>, FixError> {
    let model = eggsec_app::load(
        root,
        &LoadOptions {
            env: opts.env.clone(),
            scope: None,
            embedded_defaults_only: opts.embedded_defaults,
        },
    )?;
    let flavor = Flavor::of(&model);
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut sets: Vec<(&str, Vec<String>, String)> = Vec::new();
    match name {
        "errors" => {
            files.push((
                model
                    .root
                    .join(format!("app/middleware/error_handler.{}", flavor.ext())),
                error_handler(flavor),
            ));
            if let Some(list) = middleware_with(&model, "errorHandler", true) {
                sets.push(("default", vec!["middleware".into()], list));
            }
            sets.push((
                "prod",
                vec!["onerror".into(), "json".into()],
                "(err, ctx) => {\n    ctx.body = { error: 'An error occurred. Please try again later.' };\n    ctx.status = err.status && err.status < 500 ? err.status : 500;\n  }".into(),
            ));
        }
        "headers" => {
            files.push((
                model
                    .root
                    .join(format!("app/middleware/security_headers.{}", flavor.ext())),
                security_headers(flavor),
            ));
            if let Some(list) = middleware_with(&model, "securityHeaders", false) {
                sets.push(("default", vec!["middleware".into()], list));
            }
        }
        "security-logger" => {
            files.push((
                model
                    .root
                    .join(format!("app/extend/context.{}", flavor.ext())),
                security_event(flavor),
            ));
            sets.push((
                "default",
                vec![
                    "customLogger".into(),
                    "securityLogger".into(),
                    "file".into(),
                ],
                "'security.json.log'".into(),
            ));
            sets.push((
                "default",
                vec![
                    "customLogger".into(),
                    "securityLogger".into(),
                    "formatter".into(),
                ],
                "meta => meta.message".into(),
            ));
        }
        "logrotator" => {
            let days = retention_days(&model.root);
            sets.push((
                "default",
                vec!["logrotator".into(), "maxDays".into()],
                days.to_string(),
            ));
        }
        other => {
            return Err(FixError::Other(format!(
                "unknown scaffold `{other}` (one of: {})",
                NAMES.join(", ")
            )))
        }
    }
    let mut out = Vec::new();
    for (path, text) in files {
        if path.exists() {
            let r = read(&path)?;
            if r.text.contains("eggsec scaffold")
                || r.text.contains("securityEvent") && name == "security-logger"
            {
                continue; // already there: re-running never duplicates
            }
            return Err(FixError::Other(format!(
                "{} exists and is not eggsec's; merge the scaffold by hand (see `eggsec scaffold {name}` on an empty app)",
                eggsec_fs::rel_string(&model.root, &path)
            )));
        }
        out.push(FileChange {
            shown: eggsec_fs::rel_string(&model.root, &path),
            path,
            read: None,
            new: text,
            reasons: vec![format!("scaffold {name}")],
        });
    }
    // Config edits, grouped by file.
    let mut by_file: Vec<(PathBuf, Vec<KeyValue>)> = Vec::new();
    for (which, key, value) in sets {
        let file = config_file(&model, which, flavor);
        match by_file.iter_mut().find(|(p, _)| *p == file) {
            Some((_, l)) => l.push((key, value)),
            None => by_file.push((file, vec![(key, value)])),
        }
    }
    for (file, list) in by_file {
        let (read_file, mut text) = if file.exists() {
            let r = read(&file)?;
            let t = r.text.clone();
            (Some(r), t)
        } else {
            (None, empty_config_file(flavor.module_syntax()))
        };
        let before = text.clone();
        for (key, value) in list {
            match plan_set(&file, &text, &key, &value)? {
                SetResult::Edits(e) => text = apply(&text, &e),
                SetResult::Unchanged => {}
                SetResult::Refused(why) => {
                    return Err(FixError::Other(format!(
                        "{}: `{}`: {why}",
                        eggsec_fs::rel_string(&model.root, &file),
                        key.join(".")
                    )))
                }
            }
        }
        if text == before && read_file.is_some() {
            continue;
        }
        let new = match &read_file {
            Some(r) => match_line_endings(&r.text, &text),
            None => text,
        };
        out.push(FileChange {
            shown: eggsec_fs::rel_string(&model.root, &file),
            path: file,
            read: read_file,
            new,
            reasons: vec![format!("scaffold {name}")],
        });
    }
    Ok(out)
}

fn config_file(model: &AppModel, which: &str, flavor: Flavor) -> PathBuf {
    let env = if which == "prod" {
        model.env.as_str()
    } else {
        which
    };
    let dir = model.root.join("config");
    for ext in ["js", "ts", "cjs", "mjs", "mts", "cts"] {
        let p = dir.join(format!("config.{env}.{ext}"));
        if p.is_file() {
            return p;
        }
    }
    dir.join(format!("config.{env}.{}", flavor.ext()))
}

/// `config.middleware` with `name` added (first, or after `errorHandler`), as JS; `None` when
/// it is already there.
fn middleware_with(model: &AppModel, name: &str, first: bool) -> Option<String> {
    let mut list: Vec<String> = model
        .config_at("middleware")
        .and_then(|v| v.as_list())
        .map(|v| {
            v.iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if list.iter().any(|m| m == name) {
        return None;
    }
    if first {
        list.insert(0, name.into());
    } else {
        let at = list
            .iter()
            .position(|m| m == "errorHandler")
            .map_or(0, |i| i + 1);
        list.insert(at, name.into());
    }
    Some(format!(
        "[ {} ]",
        list.iter()
            .map(|m| format!("'{m}'"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

pub(crate) fn retention_days(root: &Path) -> u32 {
    let Ok(text) = eggsec_report::input::read_text_limited(&root.join("eggsec.toml"), 4 << 20)
    else {
        return 90;
    };
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == "log_retention_days")
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(90)
}

fn module_wrap(flavor: Flavor, imports: &str, body: &str) -> String {
    if flavor.module_syntax() {
        let imports = imports.replace(
            "const crypto = require('crypto');",
            "import * as crypto from 'crypto';",
        );
        let ctx_type = if flavor.ts { ": any" } else { "" };
        format!(
            "// Generated by `eggsec scaffold`; yours to edit.\n{imports}\nexport default {}\n",
            body.replace("(ctx, next)", &format!("(ctx{ctx_type}, next{ctx_type})"))
        )
    } else {
        format!("'use strict';\n\n// Generated by `eggsec scaffold`; yours to edit.\n{imports}\nmodule.exports = {body}\n")
    }
}

fn error_handler(flavor: Flavor) -> String {
    module_wrap(
        flavor,
        "const crypto = require('crypto');\n",
        r#"() => {
  // eggsec scaffold errors: a generic message and a request id in prod; the detail is logged
  // with a category, a severity and an error code, and shown only in local/unittest.
  return async function errorHandler(ctx, next) {
    try {
      await next();
    } catch (err) {
      const status = err.status || err.statusCode || 500;
      // generated here, never taken from the request: a client-chosen id is unvalidated input
      // echoed into the response and the log
      const requestId = crypto.randomUUID();
      const severity = status >= 500 ? 'error' : 'warn';
      const category = status === 401 || status === 403 ? 'access'
        : status === 422 || status === 400 ? 'validation'
          : status >= 500 ? 'server' : 'client';
      const code = err.code || `E${status}`;
      ctx.logger[severity]('[%s] severity=%s code=%s requestId=%s %s', category, severity, code, requestId, err.stack || err);
      if (typeof ctx.securityEvent === 'function' && category !== 'server' && category !== 'client') {
        ctx.securityEvent(category === 'access' ? 'authz.denied' : 'validation.failure', { status, code, requestId });
      }
      const env = ctx.app.config.env;
      ctx.status = status;
      ctx.set('x-request-id', requestId);
      if (env === 'local' || env === 'unittest') {
        ctx.body = { error: err.message, code, requestId, stack: err.stack };
      } else {
        const message = status < 500 && err.expose ? err.message : 'An error occurred. Please try again later.';
        ctx.body = { error: message, requestId };
      }
    }
  };
};"#,
    )
}

fn security_headers(flavor: Flavor) -> String {
    module_wrap(
        flavor,
        "",
        r#"() => {
  // eggsec scaffold headers: what egg-security does not set.
  return async function securityHeaders(ctx, next) {
    try {
      await next();
    } finally {
      ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
      ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
      ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
    }
  };
};"#,
    )
}

fn security_event(flavor: Flavor) -> String {
    let body = r#"{
  // eggsec scaffold security-logger: one JSON object a line in logs/<app>/security.json.log.
  // Call it where it matters: login success/failure, authorisation denials, CSRF failures,
  // validation failures, configuration changes:
  //   ctx.securityEvent('login.failure', { user: name, reason: 'bad password' });
  securityEvent(type, data = {}) {
    const record = {
      time: new Date().toISOString(),
      type,
      severity: data.severity || (/fail|denied|invalid/.test(type) ? 'warn' : 'info'),
      requestId: this.get('x-request-id') || undefined,
      ip: this.ip,
      method: this.method,
      path: this.path,
      data: mask(data),
    };
    this.getLogger('securityLogger').info(JSON.stringify(record));
  },
};

// Secrets and personal data never reach the log: values under such keys, and values that look
// like tokens or e-mail addresses, are replaced.
const SECRET_KEY = /pass(word|wd)?|secret|token|api[-_]?key|authorization|cookie|session|card|cvv|ssn|phone|e-?mail/i;
const SECRET_VALUE = /^(Bearer\s+\S+|eyJ[\w-]+\.[\w-]+\.[\w-]+|sk_(live|test)_\w+|[^@\s]+@[^@\s]+\.\w+)$/;
function mask(value, depth = 0) {
  if (depth > 5) return '[deep]';
  if (Array.isArray(value)) return value.map(v => mask(v, depth + 1));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [ k, v ] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) ? '[masked]' : mask(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'string' && SECRET_VALUE.test(value)) return '[masked]';
  return value;
}"#;
    if flavor.module_syntax() {
        // The object literal ends at the first `};` in column 0 (the ones inside are indented).
        let (obj, rest) = body.split_once("\n};\n").unwrap_or((body, ""));
        let t = if flavor.ts { ": any" } else { "" };
        format!(
            "// Generated by `eggsec scaffold`; yours to edit.\n{}\nexport default {}\n}};\n",
            rest.replace(
                "function mask(value, depth = 0)",
                &format!("function mask(value{t}, depth = 0){t}")
            )
            .replace("const out = {};", &format!("const out{t} = {{}};")),
            if flavor.ts {
                obj.replace(
                    "securityEvent(type, data = {})",
                    "securityEvent(this: any, type: string, data: any = {})",
                )
            } else {
                obj.to_string()
            }
        )
    } else {
        format!(
            "'use strict';\n\n// Generated by `eggsec scaffold`; yours to edit.\nmodule.exports = {body}\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scaffolded file parses in each of the app's languages (the ES module form once cut
    /// the security logger's object at an inner `};`, leaving an unparsable file).
    #[test]
    fn scaffold_files_parse_in_every_flavor() {
        for (ts, esm) in [(false, false), (false, true), (true, false)] {
            let flavor = Flavor {
                ts,
                esm,
                egg_major: 3,
            };
            for (name, text) in [
                ("error_handler", error_handler(flavor)),
                ("security_headers", security_headers(flavor)),
                ("context", security_event(flavor)),
            ] {
                let path = PathBuf::from(format!("app/x/{name}.{}", flavor.ext()));
                if let Err(e) = eggsec_js::code_edit::parses(&path, &text) {
                    panic!("{flavor:?} {name}: {e}\n{text}");
                }
                let export = if flavor.module_syntax() {
                    "export default "
                } else {
                    "module.exports = "
                };
                assert_eq!(
                    text.matches(export).count(),
                    1,
                    "{flavor:?} {name}:\n{text}"
                );
            }
        }
    }
}
