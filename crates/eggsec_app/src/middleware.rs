//! The final middleware order (§4.2-4.3): `config.coreMiddleware` finished by what the
//! built-in plugins insert at startup, then the app's `config.middleware`.

use crate::model::{Diagnostic, DiagnosticLevel, MiddlewareEntry, MiddlewareSource, PluginState};
use eggsec_js::boot::{boot_facts, BootFacts, ListOp, Phase};
use eggsec_js::{Provenance, Value, ValueKind};
use std::collections::HashMap;
use std::path::PathBuf;

/// What a built-in plugin does to `coreMiddleware` when it boots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Insertion {
    Push(&'static str),
    /// `splice(indexOf('bodyParser'), 0, name)`, or push when bodyParser is absent.
    BeforeBodyParser(&'static str),
    Unshift(&'static str),
}

/// The insertion of a plugin package (`egg-x` for egg 2/3, `@eggjs/x` for egg 4), given egg's
/// major version. Multipart is handled apart (it depends on its config and runs first).
fn insertion(package: &str, egg_major: u32) -> Option<Insertion> {
    let short = package
        .strip_prefix("egg-")
        .or_else(|| package.strip_prefix("@eggjs/"))?;
    Some(match short {
        "session" => Insertion::Push("session"),
        "security" => Insertion::Push("securities"),
        // Verified: egg 4's i18n does not add itself to coreMiddleware.
        "i18n" if egg_major < 4 => Insertion::Push("i18n"),
        "development" => Insertion::Push("eggLoaderTrace"),
        "static" => Insertion::BeforeBodyParser("static"),
        "cors" => Insertion::Unshift("cors"),
        _ => return None,
    })
}

/// A plugin egg ships (its startup insertion is in the verified table above, or it inserts
/// nothing): `egg-<name>` / `@eggjs/<name>` for egg's built-in plugin names.
pub fn is_builtin_package(package: &str) -> bool {
    const BUILTIN: &[&str] = &[
        "onerror",
        "session",
        "i18n",
        "watcher",
        "multipart",
        "security",
        "development",
        "logrotator",
        "schedule",
        "static",
        "jsonp",
        "view",
    ];
    package
        .strip_prefix("egg-")
        .or_else(|| package.strip_prefix("@eggjs/"))
        .is_some_and(|s| BUILTIN.contains(&s))
        || package == "egg-cors"
        || package == "@eggjs/cors"
}

fn is_multipart(package: &str) -> bool {
    matches!(package, "egg-multipart" | "@eggjs/multipart")
}

/// A unit whose `app.js` (boot hook) is read: a plugin not covered by the built-in table, a
/// framework, or the app, in load-unit order.
#[derive(Clone, Debug)]
pub struct BootUnit {
    /// `plugin passport`, `framework yadan`, `app`.
    pub label: String,
    /// The resolved `app.js`/`app.ts` (egg's extension order for this egg major), or for a
    /// plugin that is not installed, a label naming eggsec's embedded knowledge of it.
    pub file: PathBuf,
    /// Already known (embedded plugin knowledge): not read from `file`.
    pub facts: Option<BootFacts>,
}

/// A known plugin's recorded boot changes as boot facts.
pub fn known_boot_facts(known: &crate::defaults::KnownBoot) -> BootFacts {
    let edits = known
        .ops
        .iter()
        .filter_map(|o| {
            let phase = match o.phase.as_str() {
                "load" => Phase::Load,
                "config_will_load" => Phase::ConfigWillLoad,
                "config_did_load" => Phase::ConfigDidLoad,
                _ => Phase::Later,
            };
            let op = match (o.op.as_str(), &o.anchor) {
                ("unshift", _) => ListOp::Unshift(o.names.clone()),
                ("push", _) => ListOp::Push(o.names.clone()),
                ("insert", Some(a)) => ListOp::Insert {
                    anchor: a.clone(),
                    after: true,
                    names: o.names.clone(),
                },
                ("remove", _) => ListOp::Remove(o.names.clone()),
                _ => return None,
            };
            Some(eggsec_js::boot::ListEdit {
                list: o.list.clone(),
                op,
                phase,
                when: Vec::new(),
                if_list: Vec::new(),
                line: 0,
            })
        })
        .collect();
    BootFacts {
        edits,
        routes: Vec::new(),
        config_writes: Vec::new(),
    }
}

/// Computes the middleware chain and writes `coreMiddleware`/`coreMiddlewares` and
/// `appMiddleware`/`appMiddlewares` into `config` the way egg leaves them after boot.
/// `unit_dirs` are the load-unit directories in load order (for implementing files);
/// `boot_units` the `app.js` files read for middleware edits (plugins, frameworks, the app).
#[allow(clippy::too_many_arguments)]
pub fn build(
    config: &mut Value,
    plugins: &[PluginState],
    order: &[String],
    unit_dirs: &[PathBuf],
    boot_units: &[BootUnit],
    egg_major: u32,
    diags: &mut Vec<Diagnostic>,
) -> Vec<MiddlewareEntry> {
    let mut core: Vec<(Value, Option<String>)> =
        names_of(config.get("coreMiddleware"), "coreMiddleware", diags)
            .into_iter()
            .map(|v| (v, None))
            .collect();
    let mut app: Vec<(Value, Option<String>)> =
        names_of(config.get("middleware"), "middleware", diags)
            .into_iter()
            .map(|v| (v, None))
            .collect();
    let enabled_in_order = order
        .iter()
        .filter_map(|n| plugins.iter().find(|p| &p.name == n && p.enabled));
    let boot: Vec<(&BootUnit, BootFacts)> = boot_units
        .iter()
        .filter_map(
            |u| match u.facts.clone().map_or_else(|| boot_facts(&u.file), Ok) {
                Ok(f) => Some((u, f)),
                Err(e) => {
                    diags.push(Diagnostic::at(
                        DiagnosticLevel::Warning,
                        u.file.clone(),
                        0,
                        format!("{e}; its middleware changes are unknown"),
                    ));
                    None
                }
            },
        )
        .collect();

    // the app's own boot hooks assign config keys (beehive's didReady sets
    // static.public_uploads_path): egg then serves with a value eggsec does not evaluate
    for (unit, facts) in boot.iter().filter(|(u, _)| u.label == "app") {
        for w in &facts.config_writes {
            let why = format!(
                "set by {}:{} {} (value not evaluated)",
                unit.file.file_name().unwrap_or_default().to_string_lossy(),
                w.line,
                match w.phase {
                    Phase::Load => "when it is required",
                    Phase::ConfigWillLoad => "in configWillLoad",
                    Phase::ConfigDidLoad => "in configDidLoad",
                    Phase::Later => "after loading (didLoad/willReady/didReady or a callback)",
                }
            );
            set_unknown(
                config,
                &w.path,
                why,
                Provenance::new(unit.file.display().to_string(), w.line, 1),
            );
        }
    }

    if egg_major >= 4 {
        // egg 4's built-in plugins push from class `configWillLoad` hooks (@eggjs/session,
        // @eggjs/security, @eggjs/development...): in plugin order, among the other plugins'
        // `configWillLoad` (egg 4.1's tegg plugins come after them), after every constructor
        for (unit, facts) in &boot {
            apply_edits(
                (config, plugins),
                unit,
                facts,
                &[Phase::Load],
                &mut core,
                &mut app,
                diags,
            );
        }
        let mut done = vec![false; boot.len()];
        for plugin in enabled_in_order {
            if plugin.package.as_deref().is_some_and(is_multipart)
                && multipart_file_mode(config, diags)
            {
                core.push((
                    inserted("multipart", &plugin.name),
                    Some(plugin.name.clone()),
                ));
            }
            table_insert(plugin, egg_major, config, &mut core, diags);
            let label = format!("plugin {}", plugin.name);
            for (i, (unit, facts)) in boot.iter().enumerate() {
                if !done[i] && unit.label == label {
                    done[i] = true;
                    apply_edits(
                        (config, plugins),
                        unit,
                        facts,
                        &[Phase::ConfigWillLoad],
                        &mut core,
                        &mut app,
                        diags,
                    );
                }
            }
        }
        for (i, (unit, facts)) in boot.iter().enumerate() {
            if !done[i] {
                apply_edits(
                    (config, plugins),
                    unit,
                    facts,
                    &[Phase::ConfigWillLoad],
                    &mut core,
                    &mut app,
                    diags,
                );
            }
        }
    } else {
        // configWillLoad (class boot hooks) runs before every function-style app.js: multipart
        // 3+ (a class hook); egg 1/2's egg-multipart is function-style (pushed in plugin order).
        for plugin in enabled_in_order.clone() {
            if egg_major >= 3
                && plugin.package.as_deref().is_some_and(is_multipart)
                && multipart_file_mode(config, diags)
            {
                core.push((
                    inserted("multipart", &plugin.name),
                    Some(plugin.name.clone()),
                ));
            }
        }
        for (unit, facts) in &boot {
            apply_edits(
                (config, plugins),
                unit,
                facts,
                &[Phase::Load, Phase::ConfigWillLoad],
                &mut core,
                &mut app,
                diags,
            );
        }
        for plugin in enabled_in_order {
            table_insert(plugin, egg_major, config, &mut core, diags);
        }
    }
    for (unit, facts) in &boot {
        apply_edits(
            (config, plugins),
            unit,
            facts,
            &[Phase::ConfigDidLoad],
            &mut core,
            &mut app,
            diags,
        );
        for e in facts.edits.iter().filter(|e| e.phase == Phase::Later) {
            diags.push(Diagnostic::at(
                DiagnosticLevel::Info,
                unit.file.clone(),
                e.line,
                format!(
                    "{} changes {} after middleware are loaded (didLoad or later): no effect",
                    unit.label, e.list
                ),
            ));
        }
    }
    let core_by: Vec<Option<String>> = core.iter().map(|(_, b)| b.clone()).collect();
    let _ = core_by;
    let app: Vec<Value> = app.into_iter().map(|(v, _)| v).collect();

    let files = middleware_files(unit_dirs);
    let entry = |v: &Value, source: MiddlewareSource| {
        let name = v.as_str().unwrap_or_default().to_string();
        MiddlewareEntry {
            enabled: config
                .get(&name)
                .and_then(|c| c.get("enable"))
                .and_then(Value::as_bool)
                != Some(false),
            file: files.get(&name).cloned(),
            source,
            name,
        }
    };
    let mut out: Vec<MiddlewareEntry> = core
        .iter()
        .map(|(v, by)| {
            entry(
                v,
                MiddlewareSource::Core {
                    inserted_by: by.clone(),
                },
            )
        })
        .chain(app.iter().map(|v| entry(v, MiddlewareSource::App)))
        .collect();
    let mut seen = Vec::new();
    for m in &out {
        if seen.contains(&m.name) {
            diags.push(Diagnostic {
                level: DiagnosticLevel::Error,
                file: None,
                line: 0,
                message: format!("egg would fail to start: Middleware {} redefined", m.name),
            });
        }
        seen.push(m.name.clone());
    }
    out.retain(|m| !m.name.is_empty());

    if let Some(map) = config.as_object_mut() {
        let core_prov = map
            .get("coreMiddleware")
            .map_or_else(|| Provenance::synthetic("<egg loader>"), |v| v.prov.clone());
        let core_list = Value::new(
            ValueKind::Array(core.into_iter().map(|(v, _)| v).collect()),
            core_prov,
        );
        let app_prov = map
            .get("middleware")
            .map_or_else(|| Provenance::synthetic("<egg loader>"), |v| v.prov.clone());
        let app_list = match map.get("middleware") {
            // a non-array `middleware` (Unknown) stays what it was
            Some(v) if v.truthy() == Some(true) && v.as_list().is_none() => v.clone(),
            _ => Value::new(ValueKind::Array(app.clone()), app_prov),
        };
        // egg 4's loader starts the merged config as `{ middleware: [], coreMiddleware: [] }`
        // (@eggjs/core egg_loader), so `middleware` exists even when no file sets it.
        if (egg_major >= 4 && !map.contains_key("middleware"))
            || map.get("middleware").is_some_and(|m| m.as_list().is_some())
        {
            // `appMiddleware` is the same array as `config.middleware`
            map.insert("middleware".into(), app_list.clone());
        }
        map.insert("coreMiddleware".into(), core_list.clone());
        map.insert("coreMiddlewares".into(), core_list);
        map.insert("appMiddleware".into(), app_list.clone());
        map.insert("appMiddlewares".into(), app_list);
    }
    out
}

/// Whether a boot-hook condition holds: a config path, or `$plugins.<name>` (a plugin's
/// `enable`, `app.plugins.mcpProxy?.enable`), decided by the plugin list.
fn decide(config: &Value, plugins: &[PluginState], path: &str) -> Option<bool> {
    match path.strip_prefix("$plugins.") {
        Some(name) => Some(plugins.iter().any(|p| p.name == name && p.enabled)),
        None => crate::routes::config_truthy(config, path),
    }
}

/// Applies a boot file's edits of the given phases to the lists, in source order. A condition
/// on config eggsec cannot decide applies the edit and says so.
/// The verified built-in insertion of one enabled plugin (the table above), if any.
fn table_insert(
    plugin: &PluginState,
    egg_major: u32,
    config: &Value,
    core: &mut Vec<(Value, Option<String>)>,
    diags: &mut Vec<Diagnostic>,
) {
    let ins = match plugin.package.as_deref() {
        Some(p) if egg_major < 3 && is_multipart(p) => {
            if egg_major == 2 && multipart_file_mode(config, diags) {
                Some(Insertion::Push("multipart"))
            } else {
                None
            }
        }
        // egg-development 1.x and 2.0–2.4.0 push no eggLoaderTrace (plugin_boot.rs)
        Some(p)
            if p.ends_with("development")
                && !crate::plugin_boot::development_pushes_loader_trace(
                    p,
                    plugin.version.as_deref().filter(|_| plugin.installed),
                    egg_major,
                ) =>
        {
            None
        }
        Some(p) => insertion(p, egg_major),
        None => None,
    };
    let Some(ins) = ins else {
        return;
    };
    let by = Some(plugin.name.clone());
    match ins {
        Insertion::Push(name) => core.push((inserted(name, &plugin.name), by)),
        Insertion::Unshift(name) => core.insert(0, (inserted(name, &plugin.name), by)),
        Insertion::BeforeBodyParser(name) => {
            let at = core
                .iter()
                .position(|(v, _)| v.as_str() == Some("bodyParser"))
                .unwrap_or(core.len());
            core.insert(at, (inserted(name, &plugin.name), by));
        }
    }
}

fn apply_edits(
    (config, plugins): (&Value, &[PluginState]),
    unit: &BootUnit,
    facts: &BootFacts,
    phases: &[Phase],
    core: &mut Vec<(Value, Option<String>)>,
    app: &mut Vec<(Value, Option<String>)>,
    diags: &mut Vec<Diagnostic>,
) {
    for e in facts.edits.iter().filter(|e| phases.contains(&e.phase)) {
        let mut undecided = Vec::new();
        let holds = e
            .when
            .iter()
            .all(|c| match decide(config, plugins, &c.path) {
                Some(t) => t != c.negated,
                None => {
                    undecided.push(c.path.clone());
                    true
                }
            });
        // `if (!list.includes('x'))` around the edit, on the lists as they are now
        let list_holds = e.if_list.iter().all(|c| {
            let list = if c.list == "coreMiddleware" {
                &*core
            } else {
                &*app
            };
            list.iter()
                .any(|(v, _)| v.as_str() == Some(c.name.as_str()))
                == c.present
        });
        if !holds || !list_holds {
            continue;
        }
        if !undecided.is_empty() {
            diags.push(Diagnostic::at(
                DiagnosticLevel::Info,
                unit.file.clone(),
                e.line,
                format!(
                    "{} changes {} under config.{} which eggsec cannot decide: applied",
                    unit.label,
                    e.list,
                    undecided.join(", config.")
                ),
            ));
        }
        let list = if e.list == "coreMiddleware" {
            &mut *core
        } else {
            &mut *app
        };
        let by = Some(unit.label.clone());
        let value = |name: &str| {
            Value::new(
                ValueKind::String(name.into()),
                Provenance::new(unit.file.to_string_lossy().into_owned(), e.line, 1),
            )
        };
        match &e.op {
            ListOp::Push(names) => {
                list.extend(names.iter().map(|n| (value(n), by.clone())));
            }
            ListOp::Unshift(names) => {
                for (i, n) in names.iter().enumerate() {
                    list.insert(i, (value(n), by.clone()));
                }
            }
            ListOp::Insert {
                anchor,
                after,
                names,
            } => {
                // indexOf of an absent name is -1: splice(-1, 0, x) inserts before the last
                // element, splice(0, 0, x) (`-1 + 1`) at the start
                let at = match list.iter().position(|(v, _)| v.as_str() == Some(anchor)) {
                    Some(i) => i + usize::from(*after),
                    None if *after => 0,
                    None => list.len().saturating_sub(1),
                };
                for (i, n) in names.iter().enumerate() {
                    list.insert(at + i, (value(n), by.clone()));
                }
            }
            ListOp::Remove(names) => {
                // splice(-1, 1) of an absent name removes the last element
                for n in names {
                    match list.iter().position(|(v, _)| v.as_str() == Some(n)) {
                        Some(i) => {
                            list.remove(i);
                        }
                        None => {
                            list.pop();
                        }
                    }
                }
            }
            ListOp::Unknown(text) => diags.push(Diagnostic::at(
                DiagnosticLevel::Warning,
                unit.file.clone(),
                e.line,
                format!(
                    "{} changes {} in a way eggsec cannot follow (`{text}`): the middleware order may be incomplete",
                    unit.label, e.list
                ),
            )),
        }
    }
}

/// A middleware name inserted at startup, with a provenance saying by whom.
fn inserted(name: &str, plugin: &str) -> Value {
    Value::new(
        ValueKind::String(name.into()),
        Provenance::synthetic(format!("<inserted at startup by plugin {plugin}>")),
    )
}

/// The string elements of a middleware list; anything else is reported.
/// Replaces the value at `path` (creating the objects on the way) by an unknown one; a step
/// through something that is not an object (already unknown, a list) leaves the config as is.
fn set_unknown(config: &mut Value, path: &[String], why: String, prov: Provenance) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = config;
    for key in parents {
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        cur = obj
            .entry(key.clone())
            .or_insert_with(|| Value::object(Default::default(), prov.clone()));
    }
    if let Some(obj) = cur.as_object_mut() {
        obj.insert(last.clone(), Value::unknown(why, prov));
    }
}

fn names_of(list: Option<&Value>, key: &str, diags: &mut Vec<Diagnostic>) -> Vec<Value> {
    let Some(list) = list.filter(|v| !matches!(v.kind, ValueKind::Undefined | ValueKind::Null))
    else {
        return Vec::new();
    };
    let Some(items) = list.as_list() else {
        diags.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            file: Some(PathBuf::from(&*list.prov.file)),
            line: list.prov.line,
            message: format!("`{key}` is not a static array; the middleware order is incomplete"),
        });
        return Vec::new();
    };
    items
        .iter()
        .filter(|v| {
            let ok = v.as_str().is_some();
            if !ok {
                diags.push(Diagnostic {
                    level: DiagnosticLevel::Warning,
                    file: Some(PathBuf::from(&*v.prov.file)),
                    line: v.prov.line,
                    message: format!("an element of `{key}` is not a static string; skipped"),
                });
            }
            ok
        })
        .cloned()
        .collect()
}

/// egg-multipart adds its middleware only in file mode (`mode: 'file'` or `fileModeMatch`).
fn multipart_file_mode(config: &Value, diags: &mut Vec<Diagnostic>) -> bool {
    let mode = config.get_path("multipart.mode");
    let matcher = config.get_path("multipart.fileModeMatch");
    // Both keys of one unread file are unknown at one place: say it once.
    let mut said: Option<(&str, u32)> = None;
    for v in [mode, matcher].into_iter().flatten() {
        if matches!(v.kind, ValueKind::Unknown { .. } | ValueKind::Env { .. })
            && said.replace((&*v.prov.file, v.prov.line)) != Some((&*v.prov.file, v.prov.line))
        {
            diags.push(Diagnostic::at(
                DiagnosticLevel::Warning,
                &*v.prov.file,
                v.prov.line,
                "multipart mode is not statically known; assumed stream mode (no multipart middleware)",
            ));
        }
    }
    mode.and_then(Value::as_str) == Some("file") || matcher.and_then(Value::truthy) == Some(true)
}

/// Middleware files of every unit, later units overriding (FileLoader `override: true`).
fn middleware_files(unit_dirs: &[PathBuf]) -> HashMap<String, PathBuf> {
    let mut out: HashMap<String, PathBuf> = HashMap::new();
    for dir in unit_dirs {
        let Ok(read) = eggsec_fs::read_dir(&dir.join("app/middleware")) else {
            continue;
        };
        let mut found: Vec<(String, PathBuf)> = read
            .iter()
            .map(|e| e.path.clone())
            .filter(|p| eggsec_fs::is_file(p) && !p.to_string_lossy().ends_with(".d.ts"))
            .filter_map(|p| {
                let ext = p.extension()?.to_str()?;
                matches!(ext, "js" | "ts" | "mjs" | "cjs")
                    .then(|| Some((middleware_name(p.file_stem()?.to_str()?)?, p.clone())))?
            })
            .collect();
        // A compiled `.js` beats its `.ts` source.
        found.sort_by_key(|(_, p)| p.extension().is_some_and(|e| e == "js"));
        for (name, path) in found {
            out.insert(name, path);
        }
    }
    out
}

/// FileLoader's name for a file stem (caseStyle `lower`): `gzip_like` → `gzipLike`,
/// `FooBar` → `fooBar`. `None` for names egg refuses.
pub fn middleware_name(stem: &str) -> Option<String> {
    let first = stem.chars().next()?;
    if !first.is_ascii_alphabetic()
        || !stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    // `/[_-][a-z]/ig` → upper-cased letter, then the first letter lower-cased.
    let chars: Vec<char> = stem.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match chars.get(i + 1) {
            Some(next) if (c == '_' || c == '-') && next.is_ascii_alphabetic() => {
                out.push(next.to_ascii_uppercase());
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.replace_range(..1, &first.to_ascii_lowercase().to_string());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eggsec_js::Object;

    fn s(x: &str) -> Value {
        Value::new(
            ValueKind::String(x.into()),
            Provenance::new("egg/config.default.js", 1, 1),
        )
    }
    fn plugin(name: &str, package: &str) -> PluginState {
        PluginState {
            name: name.into(),
            enabled: true,
            package: Some(package.into()),
            path: None,
            version: None,
            env: vec![],
            dependencies: vec![],
            optional_dependencies: vec![],
            decided_by: Provenance::synthetic("x"),
            implicit_enable: false,
            env_excluded: false,
            installed: true,
        }
    }
    fn config(multipart_mode: &str) -> Value {
        let mut map = Object::new();
        let core = [
            "meta",
            "siteFile",
            "notfound",
            "bodyParser",
            "overrideMethod",
        ]
        .map(s)
        .to_vec();
        map.insert(
            "coreMiddleware".into(),
            Value::new(ValueKind::Array(core), Provenance::new("egg", 1, 1)),
        );
        map.insert(
            "middleware".into(),
            Value::new(
                ValueKind::Array(vec![s("report"), s("gzipLike")]),
                Provenance::new("app", 1, 1),
            ),
        );
        let mut mp = Object::new();
        mp.insert("mode".into(), s(multipart_mode));
        map.insert(
            "multipart".into(),
            Value::object(mp, Provenance::new("mp", 1, 1)),
        );
        let mut gz = Object::new();
        gz.insert(
            "enable".into(),
            Value::new(ValueKind::Bool(false), Provenance::new("app", 2, 1)),
        );
        map.insert(
            "gzipLike".into(),
            Value::object(gz, Provenance::new("app", 2, 1)),
        );
        Value::object(map, Provenance::new("m", 1, 1))
    }
    fn names(m: &[MiddlewareEntry]) -> Vec<&str> {
        m.iter().map(|e| e.name.as_str()).collect()
    }

    fn research_plugins() -> (Vec<PluginState>, Vec<String>) {
        let ps = vec![
            plugin("session", "egg-session"),
            plugin("security", "egg-security"),
            plugin("onerror", "egg-onerror"),
            plugin("i18n", "egg-i18n"),
            plugin("multipart", "egg-multipart"),
            plugin("development", "egg-development"),
            plugin("static", "egg-static"),
            plugin("cors", "egg-cors"),
        ];
        let order = ps.iter().map(|p| p.name.clone()).collect();
        (ps, order)
    }

    /// A config file that could not be read leaves both `multipart.mode` and
    /// `multipart.fileModeMatch` unknown at the same place: one warning, not two. Two places,
    /// two warnings.
    #[test]
    fn an_unknown_multipart_mode_is_said_once_per_place() {
        let unread =
            |line| Value::unknown("file skipped", Provenance::new("config.prod.js", line, 1));
        for (matcher_line, said) in [(22, 1), (30, 2)] {
            let mut mp = Object::new();
            mp.insert("mode".into(), unread(22));
            mp.insert("fileModeMatch".into(), unread(matcher_line));
            let mut map = Object::new();
            map.insert(
                "multipart".into(),
                Value::object(mp, Provenance::new("m", 1, 1)),
            );
            let mut d = Vec::new();
            assert!(!multipart_file_mode(
                &Value::object(map, Provenance::new("m", 1, 1)),
                &mut d
            ));
            assert_eq!(d.len(), said, "{d:?}");
            assert!(d
                .iter()
                .all(|d| d.message.starts_with("multipart mode is not")));
        }
    }

    /// The verified local run (static disabled) and prod run (no development).
    #[test]
    fn egg3_core_middleware_matches_the_verified_runs() {
        let (mut ps, order) = research_plugins();
        ps[6].enabled = false;
        let mut cfg = config("stream");
        let mut d = Vec::new();
        let m = build(&mut cfg, &ps, &order, &[], &[], 3, &mut d);
        assert_eq!(
            names(&m),
            [
                "cors",
                "meta",
                "siteFile",
                "notfound",
                "bodyParser",
                "overrideMethod",
                "session",
                "securities",
                "i18n",
                "eggLoaderTrace",
                "report",
                "gzipLike"
            ]
        );
        assert!(!m.last().unwrap().enabled);
        assert_eq!(
            m[0].source,
            MiddlewareSource::Core {
                inserted_by: Some("cors".into())
            }
        );
        assert_eq!(m[10].source, MiddlewareSource::App);
        let core = cfg.get("coreMiddlewares").unwrap().as_list().unwrap();
        assert_eq!(core.len(), 10);
        assert_eq!(
            cfg.get("appMiddleware").unwrap().as_list().unwrap().len(),
            2
        );

        let (mut ps, order) = research_plugins();
        ps[5].enabled = false;
        let m = build(&mut config("stream"), &ps, &order, &[], &[], 3, &mut d);
        assert_eq!(
            &names(&m)[..10],
            [
                "cors",
                "meta",
                "siteFile",
                "notfound",
                "static",
                "bodyParser",
                "overrideMethod",
                "session",
                "securities",
                "i18n"
            ]
        );
        assert!(d.is_empty());
    }

    /// File mode: multipart is pushed in configWillLoad, before session (inspect-mp).
    #[test]
    fn multipart_file_mode_comes_before_session() {
        let (ps, order) = research_plugins();
        let m = build(
            &mut config("file"),
            &ps,
            &order,
            &[],
            &[],
            3,
            &mut Vec::new(),
        );
        let n = names(&m);
        assert_eq!(
            &n[..9],
            [
                "cors",
                "meta",
                "siteFile",
                "notfound",
                "static",
                "bodyParser",
                "overrideMethod",
                "multipart",
                "session"
            ]
        );
    }

    /// egg 4's built-ins push from `configWillLoad` in plugin order, so a later plugin's
    /// `configWillLoad` push (egg 4.1's tegg) comes after `session`/`securities` (real egg 4.1:
    /// `tests/fixtures/egg41-dist-layout`); on egg 3 the built-ins push later (function-style
    /// app.js), so the same push comes first.
    #[test]
    fn egg4_builtins_push_in_plugin_order_among_config_will_load() {
        let ps = vec![
            plugin("session", "@eggjs/session"),
            plugin("security", "@eggjs/security"),
            plugin("tegg", "@eggjs/tegg-plugin"),
        ];
        let order: Vec<_> = ps.iter().map(|p| p.name.clone()).collect();
        let unit = BootUnit {
            label: "plugin tegg".into(),
            file: PathBuf::from("tegg/app.js"),
            facts: Some(BootFacts {
                edits: vec![eggsec_js::boot::ListEdit {
                    list: "coreMiddleware".into(),
                    op: ListOp::Push(vec!["teggCtxLifecycleMiddleware".into()]),
                    phase: Phase::ConfigWillLoad,
                    when: vec![],
                    if_list: vec![],
                    line: 1,
                }],
                routes: vec![],
                config_writes: vec![],
            }),
        };
        let tail = |major: u32| {
            let m = build(
                &mut config("stream"),
                &ps,
                &order,
                &[],
                std::slice::from_ref(&unit),
                major,
                &mut Vec::new(),
            );
            let n = names(&m);
            let core_end = n.iter().position(|x| *x == "report").unwrap();
            n[core_end - 3..core_end]
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            tail(4),
            ["session", "securities", "teggCtxLifecycleMiddleware"]
        );
        assert_eq!(
            tail(3),
            ["teggCtxLifecycleMiddleware", "session", "securities"]
        );
    }

    /// Egg 4 (verified): no i18n in coreMiddleware.
    #[test]
    fn egg4_i18n_is_not_inserted() {
        let ps: Vec<_> = ["session", "security", "i18n", "development", "static"]
            .iter()
            .map(|n| plugin(n, &format!("@eggjs/{n}")))
            .collect();
        let order: Vec<_> = ps.iter().map(|p| p.name.clone()).collect();
        let m = build(
            &mut config("stream"),
            &ps,
            &order,
            &[],
            &[],
            4,
            &mut Vec::new(),
        );
        assert_eq!(
            &names(&m)[..9],
            [
                "meta",
                "siteFile",
                "notfound",
                "static",
                "bodyParser",
                "overrideMethod",
                "session",
                "securities",
                "eggLoaderTrace"
            ]
        );
    }

    #[test]
    fn implementing_files_later_units_win() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for d in [&a, &b] {
            std::fs::create_dir_all(d.path().join("app/middleware")).unwrap();
            std::fs::write(d.path().join("app/middleware/body_parser.js"), "").unwrap();
        }
        let files = middleware_files(&[a.path().to_path_buf(), b.path().to_path_buf()]);
        assert!(files["bodyParser"].starts_with(b.path()));
    }

    #[test]
    fn file_loader_names() {
        assert_eq!(middleware_name("gzip_like").as_deref(), Some("gzipLike"));
        assert_eq!(middleware_name("foo-bar").as_deref(), Some("fooBar"));
        assert_eq!(middleware_name("FooBar").as_deref(), Some("fooBar"));
        assert_eq!(
            middleware_name("egg_loader_trace").as_deref(),
            Some("eggLoaderTrace")
        );
        assert_eq!(middleware_name("1x"), None);
    }
}
