//! What each plugin contributes to an app: the properties it adds to `app`, `agent`, `ctx`,
//! `ctx.request`, `ctx.response` and `helper`; the middleware it ships and the core middleware
//! it inserts; its config keys; the app directories it gives meaning to.
//!
//! Read from the installed plugin (`app/extend/*.js|ts`, what its `app.js`/`agent.js` assign,
//! `app/middleware/*`, its `config/config.default.*` keys), and from eggsec's built-in
//! knowledge (`data/plugin-contributions.json`: egg's twelve default plugins and the most used
//! community plugins) — both when available, so a source checkout without `node_modules` is
//! still understood.

use crate::model::{AppModel, PluginState, UnitKind};
use eggsec_js::uses::{uses_in_file, MemberUse, UseKind};
use serde::Deserialize;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where a contribution shows up in app code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    App,
    Agent,
    Context,
    Request,
    Response,
    Helper,
}

impl Target {
    /// How app code reaches it (`app.`, `ctx.`, `helper.`...).
    pub fn prefix(self) -> &'static str {
        match self {
            Target::App => "app",
            Target::Agent => "agent",
            Target::Context => "ctx",
            Target::Request => "ctx.request",
            Target::Response => "ctx.response",
            Target::Helper => "helper",
        }
    }

    fn from_extend_file(stem: &str) -> Option<Self> {
        Some(match stem {
            "application" => Target::App,
            "agent" => Target::Agent,
            "context" => Target::Context,
            "request" => Target::Request,
            "response" => Target::Response,
            "helper" => Target::Helper,
            _ => return None,
        })
    }
}

/// Everything one plugin contributes, with where eggsec learned it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contributions {
    /// `(target, property)`: `(Context, "render")` is `ctx.render`.
    pub properties: Vec<(Target, String)>,
    /// `app/middleware/<name>` files it ships (used only when the app names them).
    pub middleware: Vec<String>,
    /// Services its `app/service/**` files add to `ctx.service` (egg loads every load unit's
    /// services): `content` is `ctx.service.content`, `admin/user.js` is `admin.user`.
    pub services: Vec<String>,
    /// Its `app/schedule/**` files (egg-schedule runs every load unit's schedules): the plugin
    /// does work in the app by itself. Absolute paths.
    pub schedules: Vec<PathBuf>,
    /// Config paths whose value, set by the app's own config, is a use (`static.dir`: the app
    /// names the folders egg-static serves).
    pub config_use: Vec<String>,
    /// Names it inserts into `coreMiddleware` (runs on every request).
    pub core_middleware: Vec<String>,
    /// Top-level config keys it reads.
    pub config: Vec<String>,
    /// App directories (relative to the app root) it gives meaning to.
    pub dirs: Vec<String>,
    /// Text in views that means it is used (`__(`).
    pub view_words: Vec<String>,
    /// Text in code that means it is used (a decorator, an import).
    pub code_words: Vec<String>,
    /// Why the plugin is never reported unused (security-critical, infrastructure).
    pub keep: Option<String>,
    /// A development tool (reload, log viewer, API docs).
    pub dev_only: bool,
    /// The app configuring it is its use (it acts on every request through middleware).
    pub config_is_use: bool,
    /// What was read: `built-in knowledge`, the installed files.
    pub sources: Vec<String>,
    /// Installed files that could not be read (the run goes on; the plugin's use becomes unknown).
    pub errors: Vec<String>,
}

impl Contributions {
    /// True when eggsec knows nothing about what the plugin adds.
    pub fn is_unknown(&self) -> bool {
        self.sources.is_empty()
    }

    fn add_property(&mut self, target: Target, name: &str) {
        let item = (target, name.to_string());
        if !name.is_empty() && !self.properties.contains(&item) {
            self.properties.push(item);
        }
    }
}

fn push_unique(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// One entry of `data/plugin-contributions.json`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Known {
    pub name: String,
    pub packages: Vec<String>,
    pub app: Vec<String>,
    pub agent: Vec<String>,
    pub context: Vec<String>,
    pub request: Vec<String>,
    pub response: Vec<String>,
    pub helper: Vec<String>,
    pub middleware: Vec<String>,
    pub core_middleware: Vec<String>,
    /// Middleware it adds that lets every request go on (read from its source): never
    /// authentication, whatever its name (egg-passport's `passportInitialize`).
    pub pass_through: Vec<String>,
    pub config: Vec<String>,
    pub config_use: Vec<String>,
    pub dirs: Vec<String>,
    pub view_words: Vec<String>,
    pub code_words: Vec<String>,
    pub keep: Option<String>,
    pub dev_only: bool,
    pub config_is_use: bool,
}

#[derive(Deserialize)]
struct KnownFile {
    plugins: Vec<Known>,
}

/// eggsec's built-in knowledge of well-known plugins.
pub fn known_plugins() -> &'static [Known] {
    static KNOWN: OnceLock<Vec<Known>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        serde_json::from_str::<KnownFile>(include_str!("../data/plugin-contributions.json"))
            .map(|f| f.plugins)
            .unwrap_or_default()
    })
}

/// The built-in entry for a plugin, by package (preferred) or name.
pub fn known(plugin: &PluginState) -> Option<&'static Known> {
    let all = known_plugins();
    plugin
        .package
        .as_deref()
        .and_then(|pkg| all.iter().find(|k| k.packages.iter().any(|p| p == pkg)))
        .or_else(|| {
            // By name only when nothing says it is something else (a local `path` plugin).
            (plugin.path.is_none() || !plugin.installed)
                .then(|| all.iter().find(|k| k.name == plugin.name))
                .flatten()
        })
}

/// What `plugin` contributes to `app`: built-in knowledge plus what its installed files add.
pub fn contributions(app: &AppModel, plugin: &PluginState) -> Contributions {
    contributions_with(app, plugin, &|_| None)
}

/// [`contributions`], taking a file's uses from `parsed` when that file was parsed already.
pub(crate) fn contributions_with<'u>(
    app: &'u AppModel,
    plugin: &PluginState,
    parsed: &dyn Fn(&Path) -> Option<&'u [MemberUse]>,
) -> Contributions {
    let mut c = Contributions::default();
    if let Some(k) = known(plugin) {
        for (target, names) in [
            (Target::App, &k.app),
            (Target::Agent, &k.agent),
            (Target::Context, &k.context),
            (Target::Request, &k.request),
            (Target::Response, &k.response),
            (Target::Helper, &k.helper),
        ] {
            for n in names {
                c.add_property(target, n);
            }
        }
        push_unique(&mut c.middleware, k.middleware.iter().cloned());
        push_unique(&mut c.core_middleware, k.core_middleware.iter().cloned());
        push_unique(&mut c.config, k.config.iter().cloned());
        push_unique(&mut c.config_use, k.config_use.iter().cloned());
        push_unique(&mut c.dirs, k.dirs.iter().cloned());
        push_unique(&mut c.view_words, k.view_words.iter().cloned());
        push_unique(&mut c.code_words, k.code_words.iter().cloned());
        c.keep = k.keep.clone();
        c.dev_only = k.dev_only;
        c.config_is_use = k.config_is_use;
        c.sources.push("eggsec built-in knowledge".into());
    }
    if let Some(dir) = plugin.path.as_deref().filter(|_| plugin.installed) {
        // files of in-repo plugins the code model parsed already have their uses
        let uses_of = |file: &Path| -> Result<Cow<'u, [MemberUse]>, eggsec_js::JsError> {
            match app.code.by_abs(file) {
                Some(f) => Ok(Cow::Borrowed(&f.facts.uses[..])),
                None => match parsed(file) {
                    Some(uses) => Ok(Cow::Borrowed(uses)),
                    None => uses_in_file(file).map(Cow::Owned),
                },
            }
        };
        read_installed(dir, &mut c, &uses_of);
    }
    // Config keys of the plugin's own config layers, as the app model loaded them.
    for layer in &app.layers {
        if layer.unit == UnitKind::Plugin(plugin.name.clone()) {
            if let Some(map) = layer.value.as_object() {
                push_unique(&mut c.config, map.keys().cloned());
            }
        }
    }
    c
}

/// Files of `dir/sub` with a JS/TS extension (not `.d.ts`), sorted.
fn code_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = eggsec_fs::read_dir(dir)
        .iter()
        .flat_map(|entries| entries.iter())
        .map(|e| e.path.clone())
        .filter(|p| is_code(p) && eggsec_fs::is_file(p))
        .collect();
    out.sort();
    out
}

/// Code files of `dir` and its subdirectories (egg's loader reads them recursively; links
/// followed within the repository of the plugin at `root`), sorted; at most 1,000.
fn code_files_below(dir: &Path, root: &Path) -> Vec<PathBuf> {
    if !eggsec_fs::is_dir(dir) {
        return Vec::new();
    }
    let mut out = crate::links::files_below(dir, root, 1000, &|p| is_code(p));
    out.sort();
    out
}

/// The property path egg's loader gives a file below `dir` (`caseStyle: 'lower'`, as for
/// services; each part named as [`crate::middleware::middleware_name`] names it):
/// `admin/user_info.js` is `admin.userInfo`. `None` for a name egg would refuse.
fn egg_property_path(dir: &Path, file: &Path) -> Option<String> {
    let rel = eggsec_fs::strip_root(file, dir)?;
    let rel = rel.to_str()?.replace('\\', "/");
    let rel = &rel[..rel.rfind('.')?];
    let out = rel
        .split('/')
        .map(crate::middleware::middleware_name)
        .collect::<Option<Vec<String>>>()?;
    Some(out.join("."))
}

/// A JS/TS source file (not a `.d.ts` declaration).
pub fn is_code(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.ends_with(".d.ts")
        && matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("js" | "ts" | "cjs" | "mjs" | "mts" | "cts" | "jsx" | "tsx")
        )
}

/// A file stem as egg names middleware (`error_handler` → `errorHandler`).
pub fn camel_case(stem: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in stem.chars() {
        if ch == '_' || ch == '-' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// The unit roots of an installed plugin: its dir, and for egg 4 builds `dist/*` or `src`.
fn unit_roots(dir: &Path) -> Vec<PathBuf> {
    let mut roots = vec![dir.to_path_buf()];
    for sub in ["src", "dist/esm", "dist/commonjs", "dist"] {
        let d = dir.join(sub);
        if eggsec_fs::is_dir(&d.join("app"))
            || eggsec_fs::is_file(&d.join("app.js"))
            || eggsec_fs::is_file(&d.join("agent.js"))
        {
            roots.push(d);
        }
    }
    roots
}

/// The uses of a file (parsed, or as the code model already has them).
type UsesOf<'a, 'f> = dyn Fn(&Path) -> Result<Cow<'a, [MemberUse]>, eggsec_js::JsError> + 'f;

fn read_installed(dir: &Path, c: &mut Contributions, uses_in_file: &UsesOf<'_, '_>) {
    let mut read_any = false;
    for root in unit_roots(dir) {
        for file in code_files(&root.join("app/extend")) {
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .split('.')
                .next()
                .unwrap_or("")
                .to_string();
            let Some(target) = Target::from_extend_file(&stem) else {
                continue;
            };
            read_any = true;
            match uses_in_file(&file) {
                Ok(uses) => {
                    for u in uses.iter().filter(|u| u.kind == UseKind::Write) {
                        let key = match (u.root.as_str(), u.path.as_slice()) {
                            ("module", [e, k]) if e == "exports" => k,
                            ("exports", [k]) => k,
                            _ => continue,
                        };
                        c.add_property(target, key);
                    }
                }
                Err(e) => c.errors.push(e.to_string()),
            }
        }
        for file in code_files(&root.join("app/middleware")) {
            read_any = true;
            if let Some(stem) = file.file_stem().and_then(|s| s.to_str()) {
                push_unique(&mut c.middleware, [camel_case(stem)]);
            }
        }
        let services = root.join("app/service");
        for file in code_files_below(&services, &root) {
            read_any = true;
            if let Some(name) = egg_property_path(&services, &file) {
                push_unique(&mut c.services, [name]);
            }
        }
        for file in code_files_below(&root.join("app/schedule"), &root) {
            read_any = true;
            if !c.schedules.contains(&file) {
                c.schedules.push(file);
            }
        }
        let boot_files = code_files(&root);
        for (name, default_target) in [("app", Target::App), ("agent", Target::Agent)] {
            for file in &boot_files {
                if file.file_stem().and_then(|s| s.to_str()) != Some(name) {
                    continue;
                }
                read_any = true;
                match uses_in_file(file) {
                    Ok(uses) => {
                        for u in uses.iter() {
                            read_boot_use(u, default_target, c);
                        }
                    }
                    Err(e) => c.errors.push(e.to_string()),
                }
            }
        }
    }
    if read_any {
        c.sources
            .push(format!("installed files in {}", dir.display()));
    } else if c.sources.is_empty() && eggsec_fs::is_file(&dir.join("package.json")) {
        // Installed, but it adds nothing eggsec can see to app/ctx: it acts through config
        // and middleware, so the app configuring it is its use.
        c.config_is_use = true;
        c.sources.push(format!(
            "installed package {} (no extensions found)",
            dir.display()
        ));
    }
}

/// `app.foo = ...` / `this.app.foo = ...` / `app.context.foo = ...` in a boot file (and
/// `Object.defineProperty(app, 'foo', …)`, a write of `app.foo` for the member uses), and
/// `app.config.coreMiddleware.push('x')`.
fn read_boot_use(u: &eggsec_js::uses::MemberUse, default_target: Target, c: &mut Contributions) {
    let mut path: &[String] = &u.path;
    // `this.app` in a boot class; `app`/`agent` as a parameter.
    if u.root == "this" && path.first().is_some_and(|p| p == "app" || p == "agent") {
        path = &path[1..];
    } else if u.root != "app" && u.root != "agent" {
        return;
    }
    match (u.kind, path) {
        (UseKind::Call, [cfg, core, op])
            if cfg == "config"
                && core == "coreMiddleware"
                && matches!(op.as_str(), "push" | "unshift" | "splice") =>
        {
            push_unique(&mut c.core_middleware, u.args.iter().cloned());
        }
        (UseKind::Write, [ctxkw, name]) if ctxkw == "context" => {
            c.add_property(Target::Context, name)
        }
        (UseKind::Write, [name]) => c.add_property(default_target, name),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_knowledge_loads_and_covers_egg_defaults() {
        let all = known_plugins();
        assert!(all.len() >= 40, "{}", all.len());
        for name in [
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
        ] {
            assert!(all.iter().any(|k| k.name == name), "{name}");
        }
    }

    #[test]
    fn service_files_are_named_as_egg_names_them() {
        let dir = Path::new("/p/app/service");
        for (file, want) in [
            ("content.js", Some("content")),
            ("back_up-data.js", Some("backUpData")),
            ("Admin/User.ts", Some("admin.user")),
            ("a_1.js", Some("a_1")),
            ("9lives.js", None),
            ("a b.js", None),
            ("noext", None),
        ] {
            assert_eq!(
                egg_property_path(dir, &dir.join(file)).as_deref(),
                want,
                "{file}"
            );
        }
    }

    fn read_dir(d: &Path) -> Contributions {
        let mut c = Contributions::default();
        read_installed(d, &mut c, &|f: &Path| uses_in_file(f).map(Cow::Owned));
        c
    }

    #[test]
    fn reads_an_installed_plugin() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("app/extend")).unwrap();
        std::fs::create_dir_all(d.join("app/middleware")).unwrap();
        std::fs::write(
            d.join("package.json"),
            r#"{"name":"egg-thing","eggPlugin":{"name":"thing"}}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("app/extend/context.js"),
            "module.exports = { get thing() { return 1 }, doThing() {} };",
        )
        .unwrap();
        std::fs::write(d.join("app/extend/helper.js"), "exports.fmtThing = x => x;").unwrap();
        std::fs::write(
            d.join("app/middleware/thing_guard.js"),
            "module.exports = () => async (ctx, next) => next();",
        )
        .unwrap();
        std::fs::write(
            d.join("app.js"),
            "module.exports = app => {\n  app.thingClient = {};\n  app.context.thingy = 1;\n  app.config.coreMiddleware.push('thingCore');\n  Object.defineProperty(app, 'lazyThing', { get() {} });\n};",
        )
        .unwrap();
        std::fs::write(d.join("agent.js"), "class Boot { constructor(agent) { this.agent = agent } configDidLoad() { this.agent.thingAgent = 1 } }\nmodule.exports = Boot;").unwrap();
        let c = read_dir(d);
        assert!(
            c.properties
                .contains(&(Target::Agent, "thingAgent".to_string())),
            "{:?}",
            c.properties
        );
        // tsc's output of a boot class (@eggjs/tegg-schedule-plugin 3.5.2's app.js): the
        // module's interop flag is not a property of the app
        std::fs::write(
            d.join("agent.js"),
            "\"use strict\";\nObject.defineProperty(exports, \"__esModule\", { value: true });\n\
class Boot {\n    constructor(agent) { this.agent = agent; this.hook = new Hook(); }\n\
    configWillLoad() { this.agent.lifecycle.registerLifecycle(this.hook); }\n}\n\
exports.default = Boot;\n",
        )
        .unwrap();
        let c = read_dir(d);
        assert!(
            !c.properties.iter().any(|(_, n)| n == "__esModule"),
            "{:?}",
            c.properties
        );
        std::fs::write(d.join("agent.js"), "class Boot { constructor(agent) { this.agent = agent } configDidLoad() { this.agent.thingAgent = 1 } }\nmodule.exports = Boot;").unwrap();
        std::fs::write(d.join("app/extend/request.js"), "module.exports = {").unwrap();
        let mut c = Contributions::default();
        read_installed(d, &mut c, &|f: &Path| uses_in_file(f).map(Cow::Owned));
        for want in [
            (Target::Context, "thing"),
            (Target::Context, "doThing"),
            (Target::Helper, "fmtThing"),
            (Target::App, "thingClient"),
            (Target::Context, "thingy"),
            (Target::App, "lazyThing"),
            (Target::Agent, "thingAgent"),
        ] {
            assert!(
                c.properties.contains(&(want.0, want.1.to_string())),
                "{want:?}: {:?}",
                c.properties
            );
        }
        assert_eq!(c.middleware, ["thingGuard"]);
        assert_eq!(c.core_middleware, ["thingCore"]);
        assert_eq!(
            c.errors.len(),
            1,
            "the broken request.js is reported: {:?}",
            c.errors
        );
        assert!(c.errors[0].contains("request.js"));
    }
}
