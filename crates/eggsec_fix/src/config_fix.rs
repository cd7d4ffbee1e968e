//! `eggsec fix`: the config edits that close the findings of one app in one env.
//!
//! Each fixable finding becomes one or more [`Op`]s — "set this key to this JS value in this
//! file". The file is where the effective value is written (the finding's own config line), or,
//! for settings that belong to the deployed env only (HSTS, Secure cookies, keys from the
//! environment, the prod log level), `config/config.<env>.<ext>` — created when missing. Ops on a
//! file are applied one after another on its text with [`eggsec_js::config_edit::plan_set`],
//! each re-read; the result is checked (the key holds the value) before it is offered.

use crate::catalog::{fix_for, FixKind};
use crate::write::{match_line_endings, read, ReadFile};
use crate::{FileChange, FixError, Flavor};
use eggsec_app::{AppModel, LoadOptions};
use eggsec_js::config_edit::{empty_config_file, plan_set, written_value, SetResult};
use eggsec_js::edit::apply;
use eggsec_js::{Value, ValueKind};
use eggsec_report::{Finding, Location, Strategy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to fix.
#[derive(Clone, Debug, Default)]
pub struct FixOptions {
    /// Env to audit and fix (default: `config/env`, else prod).
    pub env: Option<String>,
    /// Only these rules (code or name); empty = every fixable rule.
    pub rules: Vec<String>,
    /// Only these strategies; empty = all.
    pub strategies: Vec<Strategy>,
    /// Send CSP as `Content-Security-Policy` (enforced) instead of Report-Only.
    pub enforce_csp: bool,
    pub embedded_defaults: bool,
    /// The app's own domains for `security.domainWhiteList` (BLT019), besides the hosts the
    /// code redirects to (`--domain .shop.example`).
    pub domains: Vec<String>,
}

/// What `eggsec fix` would do to one app.
#[derive(Debug, Default)]
pub struct Plan {
    pub env: String,
    pub changes: Vec<FileChange>,
    /// `CODE location: what` for every finding the changes close.
    pub fixed: Vec<String>,
    /// Findings with a fix that cannot be made safely here, with why.
    pub refused: Vec<String>,
}

/// Where an op's edit goes.
#[derive(Clone, Debug)]
enum Where {
    /// The file that writes the effective value of this dotted key (or of its nearest parent),
    /// when it is one of the app's config files; `config.default` otherwise.
    Written(&'static str),
    /// A file found from the finding's location.
    At(PathBuf),
    /// `config/config.<env>.<ext>`.
    Env,
}

#[derive(Clone, Debug)]
struct Op {
    at: Where,
    key: Vec<String>,
    value: String,
}

fn op(at: Where, key: &str, value: impl Into<String>) -> Op {
    Op {
        at,
        key: key.split('.').map(str::to_string).collect(),
        value: value.into(),
    }
}

fn selected(f: &Finding, opts: &FixOptions) -> bool {
    let rule_ok = opts.rules.is_empty()
        || opts
            .rules
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&f.rule) || r == &f.name);
    let strategy_ok = opts.strategies.is_empty() || opts.strategies.contains(&f.strategy);
    rule_ok && strategy_ok
}

/// Plans the config fixes for the app at `root`.
pub fn plan(root: &Path, opts: &FixOptions) -> Result<Plan, FixError> {
    let load = LoadOptions {
        env: opts.env.clone(),
        scope: None,
        embedded_defaults_only: opts.embedded_defaults,
    };
    let model = eggsec_app::load(root, &load)?;
    let settings = eggsec_rules::config::Settings::load(&model.root);
    let report = eggsec_rules::engine::run(&model, &settings);
    let mut out = Plan {
        env: model.env.clone(),
        ..Plan::default()
    };
    let flavor = Flavor::of(&model);
    let mut ops: Vec<(String, Op)> = Vec::new();
    let mut env_example: Vec<String> = Vec::new();
    let mut dump_keys: Vec<String> = Vec::new();
    let mut view_nonces = false;
    for f in &report.findings {
        if !selected(f, opts) || fix_for(&f.rule).map(|i| i.kind) != Some(FixKind::Config) {
            continue;
        }
        let label = format!("{} {}", f.rule, f.location);
        match ops_for(
            f,
            &model,
            opts,
            &mut env_example,
            &mut dump_keys,
            &mut view_nonces,
        ) {
            Ok(list) if list.is_empty() => {}
            Ok(list) => {
                out.fixed.push(format!("{label}: {}", f.message));
                ops.extend(list.into_iter().map(|o| (f.rule.clone(), o)));
            }
            Err(why) => out.refused.push(format!("{label}: {why}")),
        }
    }
    if !dump_keys.is_empty() {
        let current: Vec<String> = model
            .config_at("dump.ignore")
            .and_then(Value::as_list)
            .map(|l| l.iter().filter_map(js_literal).collect())
            .unwrap_or_default();
        let mut items = current;
        for k in dump_keys {
            let lit = js_string(&k);
            if !items.contains(&lit) {
                items.push(lit);
            }
        }
        ops.push((
            "LOG004".into(),
            op(
                Where::Written("dump.ignore"),
                "dump.ignore",
                format!("new Set([ {} ])", items.join(", ")),
            ),
        ));
    }
    // Group by file, in first-seen order.
    let mut files: Vec<(PathBuf, Vec<(String, Op)>)> = Vec::new();
    for (rule, o) in ops {
        let file = resolve_file(&model, &o.at, &o.key, flavor);
        match files.iter_mut().find(|(p, _)| *p == file) {
            Some((_, list)) => list.push((rule, o)),
            None => files.push((file, vec![(rule, o)])),
        }
    }
    for (file, list) in files {
        match edit_file(&model.root, &file, &list, flavor) {
            Ok(Some(change)) => out.changes.push(change),
            Ok(None) => {}
            Err(why) => {
                // Every finding routed to this file stays open.
                // (each rule once: one finding may need several edits)
                let mut rules: Vec<&str> = Vec::new();
                for (r, _) in &list {
                    if !rules.contains(&r.as_str()) {
                        rules.push(r);
                    }
                }
                out.refused.push(format!(
                    "{} ({}): {why}",
                    eggsec_fs::rel_string(&model.root, &file),
                    rules.join(", ")
                ));
                out.fixed
                    .retain(|l| !rules.iter().any(|r| l.starts_with(&format!("{r} "))));
            }
        }
    }
    // Files that only the findings point to go first: a run killed after them leaves findings
    // open for the next run, which then writes the config (never config without them).
    let mut first = Vec::new();
    if !env_example.is_empty() {
        if let Some(c) = env_example_change(&model.root, &env_example)? {
            first.push(c);
        }
    }
    if view_nonces {
        first.extend(crate::csp::nonce_view_edits(&model.root)?);
    }
    first.append(&mut out.changes);
    out.changes = first;
    let code: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| selected(f, opts) && fix_for(&f.rule).map(|i| i.kind) == Some(FixKind::Code))
        .collect();
    crate::code_fix::plan_code(&model, &code, &mut out);
    Ok(out)
}

/// The ops that fix one finding.
fn ops_for(
    f: &Finding,
    model: &AppModel,
    opts: &FixOptions,
    env_example: &mut Vec<String>,
    dump_keys: &mut Vec<String>,
    view_nonces: &mut bool,
) -> Result<Vec<Op>, String> {
    use Where::*;
    let evidence = f.evidence.join("\n");
    let at_finding = || file_of(model, &f.location);
    Ok(match f.rule.as_str() {
        "CSRF001" => {
            if evidence.contains("defaultMiddleware") {
                vec![middleware_with(model, "csrf")?]
            } else if evidence.contains("plugin") {
                return Err("the security plugin is disabled: enable it in config/plugin.js (`exports.security = true;`)".into());
            } else {
                vec![op(Written("security.csrf"), "security.csrf.enable", "true")]
            }
        }
        "CSRF002" => vec![op(
            Written("security.csrf.ignoreJSON"),
            "security.csrf.ignoreJSON",
            "false",
        )],
        "HDR001" => vec![
            op(Env, "security.hsts.enable", "true"),
            op(Env, "security.hsts.maxAge", "31536000"),
        ],
        "HDR002" => vec![op(
            Written("security.hsts.maxAge"),
            "security.hsts.maxAge",
            "31536000",
        )],
        "HDR003" => {
            let mut list = vec![
                op(Written("security.csp"), "security.csp.enable", "true"),
                op(
                    Written("security.csp"),
                    "security.csp.reportOnly",
                    if opts.enforce_csp { "false" } else { "true" },
                ),
            ];
            let has_policy = model
                .config_at("security.csp.policy")
                .and_then(Value::as_object)
                .is_some_and(|o| !o.is_empty());
            if !has_policy {
                let derived = crate::csp::derive(&model.root);
                *view_nonces = derived.inline_scripts;
                for (directive, sources) in derived.policy {
                    list.push(Op {
                        at: Written("security.csp"),
                        key: vec!["security".into(), "csp".into(), "policy".into(), directive],
                        value: format!(
                            "[ {} ]",
                            sources
                                .iter()
                                .map(|s| js_string(s))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
            }
            list
        }
        "HDR004" if opts.enforce_csp => {
            vec![op(
                Written("security.csp.reportOnly"),
                "security.csp.reportOnly",
                "false",
            )]
        }
        "HDR004" => {
            return Err(
                "CSP stays Report-Only until you pass --enforce-csp (check the reports first)"
                    .into(),
            )
        }
        "HDR007" => {
            if evidence.contains("defaultMiddleware") {
                vec![middleware_with(model, "xframe")?]
            } else {
                vec![op(
                    Written("security.xframe"),
                    "security.xframe.enable",
                    "true",
                )]
            }
        }
        "HDR008" => {
            if evidence.contains("defaultMiddleware") {
                vec![middleware_with(model, "nosniff")?]
            } else {
                vec![op(
                    Written("security.nosniff"),
                    "security.nosniff.enable",
                    "true",
                )]
            }
        }
        "HDR009" => {
            let mut list = vec![
                op(
                    Written("security.referrerPolicy"),
                    "security.referrerPolicy.enable",
                    "true",
                ),
                op(
                    Written("security.referrerPolicy"),
                    "security.referrerPolicy.value",
                    "'strict-origin-when-cross-origin'",
                ),
            ];
            if !middleware_list(model).is_some_and(|l| l.iter().any(|m| m == "referrerPolicy")) {
                list.push(middleware_with(model, "referrerPolicy")?);
            }
            list
        }
        "HDR011" => vec![op(
            Written("security.xssProtection"),
            "security.xssProtection.value",
            "'0'",
        )],
        "BLT001" | "BLT002" => {
            env_example.push("EGG_SERVER_KEYS".into());
            // `|| ''`, not a bare read: egg's config merge skips `undefined`, so with the
            // variable unset a bare `process.env.X` keeps the boilerplate keys of
            // config.default. An empty `keys` makes egg refuse to sign cookies instead.
            vec![op(Env, "keys", "process.env.EGG_SERVER_KEYS || ''")]
        }
        "BLT003" => {
            let key = key_at(model, &f.location)
                .ok_or("cannot tell which config key holds the secret")?;
            // a fallback after a variable the app already reads (`process.env.DB_PASS ||
            // 'x'`): keep that variable, the deployment sets it
            let name = f
                .message
                .split_once("falls back to a hard-coded secret when ")
                .and_then(|(_, r)| r.split_once(" is unset"))
                .map(|(v, _)| v.to_string())
                .filter(|v| {
                    !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .unwrap_or_else(|| env_name(&key));
            env_example.push(name.clone());
            // `|| ''` as for `keys`: egg's config merge skips `undefined`, so with the variable
            // unset a bare read keeps what a lower layer sets (a plugin's default secret, the
            // value config.default still holds); an empty value fails closed instead
            vec![Op {
                at: at_finding().map_or(Written("keys"), At),
                key,
                value: format!("process.env.{name} || ''"),
            }]
        }
        "BLT004" => vec![op(Written("session.httpOnly"), "session.httpOnly", "true")],
        "BLT005" => vec![
            op(Written("session"), "session.encrypt", "true"),
            op(Written("session"), "session.signed", "true"),
        ],
        "BLT006" => vec![op(
            Written("session.maxAge"),
            "session.maxAge",
            "24 * 3600 * 1000",
        )],
        "BLT007" => vec![op(Written("session.sameSite"), "session.sameSite", "'lax'")],
        "BLT008" => vec![op(Env, "session.secure", "true")],
        "BLT010" => {
            let key = key_at(model, &f.location)
                .filter(|k| k.first().is_some_and(|s| s == "bodyParser"))
                .ok_or("cannot tell which bodyParser limit is raised")?;
            vec![Op {
                at: at_finding().map_or(Written("bodyParser"), At),
                key,
                value: "'1mb'".into(),
            }]
        }
        "BLT012" | "BLT013" => vec![op(
            Written("multipart"),
            "multipart.whitelist",
            "[ '.jpg', '.jpeg', '.png', '.gif', '.webp', '.pdf' ]",
        )],
        // the finding names the key: `fileSize` back to 10mb, `files` back to 10 (egg's defaults)
        "BLT014" if f.message.starts_with("`multipart.files`") => {
            vec![op(Written("multipart.files"), "multipart.files", "10")]
        }
        "BLT014" => vec![op(
            Written("multipart.fileSize"),
            "multipart.fileSize",
            "'10mb'",
        )],
        "BLT018" => vec![op(Written("proxy"), "maxIpsCount", "1")],
        "LOG001" => {
            if evidence.contains("allowDebugAtProd") {
                vec![op(Env, "logger.allowDebugAtProd", "false")]
            } else {
                let key = if evidence.contains("consoleLevel") {
                    "logger.consoleLevel"
                } else {
                    "logger.level"
                };
                vec![op(Env, key, "'INFO'")]
            }
        }
        "CSRF003" => {
            let key = if f.message.starts_with("security.csrf.blackUrls") {
                "blackUrls"
            } else if f.message.starts_with("security.csrf.ignore") {
                "ignore"
            } else {
                return Err("security.csrf.match limits the check: remove it and name the endpoints that must be exempt in security.csrf.ignore (eggsec cannot know them)".into());
            };
            if !f.message.contains("RegExp without") {
                return Err(format!(
                    "the exemption {}: name the endpoints that must be exempt instead (eggsec cannot know them)",
                    f.message
                        .split_once(&format!("security.csrf.{key} "))
                        .map_or("is too broad", |(_, r)| r.rsplit_once(" in ").map_or(r, |(a, _)| a))
                ));
            }
            let full = format!("security.csrf.{key}");
            let pattern = model
                .config_at(&full)
                .ok_or("the exemption is not statically known")?;
            let anchor = |v: &Value| -> Result<String, String> {
                match &v.kind {
                    ValueKind::Regex { source, flags } if !source.starts_with('^') => {
                        if source.starts_with("\\/") {
                            Ok(format!("/^{source}/{flags}"))
                        } else {
                            Err(format!("`/{source}/` does not start with a path (`\\/`): anchor it by hand"))
                        }
                    }
                    _ => js_literal(v).ok_or_else(|| {
                        "an exemption that is not a string or RegExp literal".to_string()
                    }),
                }
            };
            let value = match pattern.as_list() {
                Some(items) => format!(
                    "[ {} ]",
                    items
                        .iter()
                        .map(anchor)
                        .collect::<Result<Vec<_>, _>>()?
                        .join(", ")
                ),
                None => anchor(pattern)?,
            };
            vec![Op {
                at: Written("security.csrf"),
                key: vec!["security".into(), "csrf".into(), key.into()],
                value,
            }]
        }
        "BLT011" => {
            let key = key_at(model, &f.location)
                .filter(|k| k.len() == 3 && k[0] == "bodyParser" && k[1] == "queryString")
                .ok_or("cannot tell which queryString limit is raised")?;
            let default = match key[2].as_str() {
                "depth" => "5",
                "arrayLimit" => "100",
                "parameterLimit" => "1000",
                other => return Err(format!("no egg default known for `{other}`")),
            };
            vec![Op {
                at: at_finding().map_or(Written("bodyParser"), At),
                key,
                value: default.into(),
            }]
        }
        "BLT019" => {
            let mut hosts = redirect_hosts(model);
            for d in &opts.domains {
                if !hosts.contains(d) {
                    hosts.push(d.clone());
                }
            }
            if hosts.is_empty() {
                return Err("name the app's own domains with `--domain .shop.example` (eggsec cannot know them; the code redirects to no fixed host)".into());
            }
            vec![op(
                Written("security.domainWhiteList"),
                "security.domainWhiteList",
                format!(
                    "[ {} ]",
                    hosts
                        .iter()
                        .map(|h| js_string(h))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )]
        }
        "LOG002" => {
            if f.message.contains("maxDays") {
                vec![op(
                    Written("logrotator.maxDays"),
                    "logrotator.maxDays",
                    crate::scaffold::retention_days(&model.root).to_string(),
                )]
            } else {
                let plugin = model
                    .plugin("logrotator")
                    .ok_or("the logrotator plugin is not known")?;
                let file = PathBuf::from(&*plugin.decided_by.file);
                let in_app = file.starts_with(model.root.join("config"))
                    && file
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("plugin."))
                    && file.is_file();
                if !in_app {
                    return Err(format!(
                        "logrotator is disabled outside the app's config/ ({}): enable it there",
                        eggsec_fs::rel_string(&model.root, &file)
                    ));
                }
                let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
                let entries =
                    eggsec_js::edit::plugin_entries(&file, &text).map_err(|e| e.to_string())?;
                let key = match entries.entry("logrotator").map(|e| &e.shape) {
                    Some(eggsec_js::edit::EntryShape::Bool(_)) | None => "logrotator",
                    Some(_) => "logrotator.enable",
                };
                vec![op(At(file), key, "true")]
            }
        }
        "LOG004" => {
            let key = f
                .message
                .split("is not in")
                .next()
                .and_then(|s| s.rsplit(": `").next())
                .and_then(|s| s.split('`').next())
                .filter(|k| !k.is_empty() && !k.contains(' '))
                .ok_or("cannot tell which key dump.ignore misses")?;
            dump_keys.push(key.to_string());
            Vec::new()
        }
        _ => return Err("no config fix".into()),
    })
}

/// `security.defaultMiddleware` with `name` added, as the string egg 2/3/4 all accept.
fn middleware_with(model: &AppModel, name: &str) -> Result<Op, String> {
    let list =
        middleware_list(model).ok_or("security.defaultMiddleware is not statically known")?;
    let mut list = list;
    if !list.iter().any(|m| m == name) {
        list.push(name.to_string());
    }
    // The comma-separated string form: egg 2/3 take only it, and egg 4's schema accepts any
    // string but only its own enum in the array form (no `referrerPolicy` there).
    let value = js_string(&list.join(","));
    Ok(op(
        Where::Written("security.defaultMiddleware"),
        "security.defaultMiddleware",
        value,
    ))
}

fn middleware_list(model: &AppModel) -> Option<Vec<String>> {
    let v = model.config_at("security.defaultMiddleware")?;
    if let Some(s) = v.as_str() {
        return Some(
            s.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        );
    }
    v.as_list()?
        .iter()
        .map(|i| i.as_str().map(str::to_string))
        .collect()
}

/// A JS string literal: single-quoted, or double-quoted when it holds a `'` (CSP keywords).
fn js_string(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') && !s.contains('\\') {
        return format!("\"{s}\"");
    }
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A JS literal for a simple value (strings and regexes), for rebuilding lists.
fn js_literal(v: &Value) -> Option<String> {
    match &v.kind {
        ValueKind::String(s) => Some(js_string(s)),
        ValueKind::Regex { source, flags } => Some(format!("/{source}/{flags}")),
        ValueKind::Number(n) => Some(eggsec_js::number_json(*n).to_string()),
        _ => None,
    }
}

/// The hosts the app's code redirects to with a fixed absolute URL
/// (`ctx.redirect('https://sso.example/login?...')`), in first-seen order.
fn redirect_hosts(model: &AppModel) -> Vec<String> {
    let re = regex::Regex::new(
        r#"\.(?:redirect|unsafeRedirect)\(\s*['"`]https?://([A-Za-z0-9.-]+)(?::[0-9]+)?[/'"`?#]"#,
    )
    .expect("a valid regex");
    let mut out: Vec<String> = Vec::new();
    for file in &model.code.files {
        let Ok(text) = eggsec_report::input::read_text_limited(&file.abs, 8 * 1024 * 1024) else {
            continue;
        };
        for c in re.captures_iter(&text) {
            let host = c[1].to_ascii_lowercase();
            if !out.contains(&host) {
                out.push(host);
            }
        }
    }
    out
}

/// `mysql.client.password` → `MYSQL_CLIENT_PASSWORD`.
fn env_name(key: &[String]) -> String {
    let mut out = String::new();
    for (i, part) in key.iter().enumerate() {
        if i > 0 {
            out.push('_');
        }
        let mut prev_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && prev_lower {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            });
        }
    }
    out
}

/// The app config file a finding points into.
fn file_of(model: &AppModel, loc: &Location) -> Option<PathBuf> {
    let Location::File { path, .. } = loc else {
        return None;
    };
    let p = model.root.join(path);
    is_app_config(model, &p).then_some(p)
}

fn is_app_config(model: &AppModel, p: &Path) -> bool {
    p.starts_with(model.root.join("config"))
        && p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("config.") && !n.ends_with(".d.ts"))
        && p.is_file()
}

/// The config key whose value was written at the finding's location.
fn key_at(model: &AppModel, loc: &Location) -> Option<Vec<String>> {
    let Location::File { path, line, column } = loc else {
        return None;
    };
    let want = model.root.join(path);
    fn walk(
        v: &Value,
        want: &Path,
        line: u32,
        col: u32,
        path: &mut Vec<String>,
        best: &mut Option<Vec<String>>,
    ) {
        if let Some(o) = v.as_object() {
            for (k, child) in o {
                path.push(k.clone());
                if child.prov.line == line
                    && (col == 0 || child.prov.column == col)
                    && Path::new(&*child.prov.file) == want
                    && best.as_ref().is_none_or(|b| b.len() < path.len())
                {
                    *best = Some(path.clone());
                }
                walk(child, want, line, col, path, best);
                path.pop();
            }
        }
    }
    let mut best = None;
    walk(
        &model.config,
        &want,
        *line,
        *column,
        &mut Vec::new(),
        &mut best,
    );
    best
}

/// The config file of the app in the app's language.
fn config_file(model: &AppModel, name: &str, flavor: Flavor) -> PathBuf {
    let dir = model.root.join("config");
    for ext in ["js", "ts", "cjs", "mjs", "mts", "cts"] {
        let p = dir.join(format!("config.{name}.{ext}"));
        if p.is_file() {
            return p;
        }
    }
    dir.join(format!("config.{name}.{}", flavor.ext()))
}

fn resolve_file(model: &AppModel, at: &Where, op_key: &[String], flavor: Flavor) -> PathBuf {
    match at {
        Where::At(p) => p.clone(),
        Where::Env => config_file(model, &model.env, flavor),
        Where::Written(hint) => {
            // The key itself first (where its effective value is written), then its parents.
            let full = op_key.join(".");
            let mut k = if full.starts_with(hint) && model.config_at(&full).is_some() {
                full.as_str()
            } else {
                hint
            };
            loop {
                if let Some(v) = model.config_at(k) {
                    let p = PathBuf::from(&*v.prov.file);
                    if v.prov.line > 0 && is_app_config(model, &p) {
                        return p;
                    }
                }
                match k.rfind('.') {
                    Some(i) => k = &k[..i],
                    None => break,
                }
            }
            config_file(model, "default", flavor)
        }
    }
}

/// Applies the ops on one file, one after another; checks each lands.
fn edit_file(
    root: &Path,
    file: &Path,
    ops: &[(String, Op)],
    flavor: Flavor,
) -> Result<Option<FileChange>, String> {
    let (read_file, mut text): (Option<ReadFile>, String) = if file.exists() {
        let r = read(file).map_err(|e| e.to_string())?;
        let t = r.text.clone();
        (Some(r), t)
    } else {
        let module = flavor.module_syntax()
            || matches!(
                file.extension().and_then(|e| e.to_str()),
                Some("ts" | "mts" | "mjs")
            );
        (None, empty_config_file(module))
    };
    let mut reasons: Vec<String> = Vec::new();
    for (rule, o) in ops {
        match plan_set(file, &text, &o.key, &o.value).map_err(|e| e.to_string())? {
            SetResult::Edits(edits) => {
                text = apply(&text, &edits);
                if !reasons.contains(rule) {
                    reasons.push(rule.clone());
                }
            }
            SetResult::Unchanged => {}
            SetResult::Refused(why) => return Err(format!("`{}`: {why}", o.key.join("."))),
        }
        let now = written_value(file, &text, &o.key).map_err(|e| {
            format!("the edit does not parse ({e}); a bug in eggsec, nothing written")
        })?;
        if now.as_deref() != Some(o.value.as_str()) {
            return Err(format!(
                "after the edit `{}` does not read back as `{}`; a bug in eggsec, nothing written",
                o.key.join("."),
                o.value
            ));
        }
    }
    let old = read_file.as_ref().map(|r| r.text.as_str());
    let text = match old {
        Some(old) => match_line_endings(old, &text),
        None => text,
    };
    if old == Some(text.as_str()) || reasons.is_empty() {
        return Ok(None);
    }
    Ok(Some(FileChange {
        path: file.to_path_buf(),
        shown: eggsec_fs::rel_string(root, file),
        read: read_file,
        new: text,
        reasons,
    }))
}

/// `.env.example` with a `NAME=` line for every variable the fixes read.
fn env_example_change(root: &Path, names: &[String]) -> Result<Option<FileChange>, FixError> {
    let path = root.join(".env.example");
    let read_file = if path.exists() {
        Some(read(&path)?)
    } else {
        None
    };
    let old = read_file
        .as_ref()
        .map_or("", |r| r.text.as_str())
        .to_string();
    let mut new = old.clone();
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for n in names {
        if seen.insert(n, ()).is_some() {
            continue;
        }
        let present = old.lines().any(|l| {
            l.trim_start()
                .strip_prefix(n.as_str())
                .is_some_and(|r| r.starts_with('='))
        });
        if !present {
            if !new.is_empty() && !new.ends_with('\n') {
                new.push('\n');
            }
            new.push_str(&format!(
                "# set in the deployed env (eggsec fix moved it out of the config)\n{n}=\n"
            ));
        }
    }
    if new == old {
        return Ok(None);
    }
    Ok(Some(FileChange {
        path: path.clone(),
        shown: ".env.example".into(),
        new: match_line_endings(&old, &new),
        read: read_file,
        reasons: vec!["env".into()],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        let k = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            env_name(&k("mysql.client.password")),
            "MYSQL_CLIENT_PASSWORD"
        );
        assert_eq!(env_name(&k("alipay.appKey")), "ALIPAY_APP_KEY");
        assert_eq!(env_name(&k("oss.access-key")), "OSS_ACCESS_KEY");
    }
}
