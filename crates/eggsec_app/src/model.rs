//! The app model types. CONTRACT shared by the loader task and the rules.

use eggsec_js::{Provenance, Value};
use std::path::PathBuf;

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--env`; `None` → `config/env`, else `prod` (audits assume production).
    pub env: Option<String>,
    /// `EGG_SERVER_SCOPE` equivalent; `None` → `""`.
    pub scope: Option<String>,
    /// Ignore `node_modules` and use embedded defaults (tests, `--offline`-like runs).
    pub embedded_defaults_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultsSource {
    /// Plugin and framework defaults were read from the installed packages.
    NodeModules,
    /// `node_modules` was absent (or incomplete): embedded snapshots for this egg major were used.
    Embedded { egg_major: u32 },
    /// Some from node_modules, some embedded (names the embedded ones).
    Mixed { embedded: Vec<String> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Framework {
    /// `egg`, or the custom framework's package name.
    pub name: String,
    pub version: Option<String>,
    /// The eggPath (config is read from `<path>/config`), when installed.
    pub path: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PluginState {
    pub name: String,
    /// Effective, after env filter and implicit enables.
    pub enabled: bool,
    pub package: Option<String>,
    pub path: Option<PathBuf>,
    /// Installed version (from its package.json), when installed.
    pub version: Option<String>,
    pub env: Vec<String>,
    pub dependencies: Vec<String>,
    pub optional_dependencies: Vec<String>,
    /// The entry (file:line) that decided `enabled` — for an implicit enable, the dependent's entry.
    pub decided_by: Provenance,
    /// Turned on because an enabled plugin requires it.
    pub implicit_enable: bool,
    /// Disabled by its `env` list for the current env.
    pub env_excluded: bool,
    /// Found on disk (package resolved or path exists).
    pub installed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitKind {
    Plugin(String),
    Framework(String),
    App,
}

/// One config file that was loaded, in egg's merge order, with what it exported.
#[derive(Clone, Debug)]
pub struct ConfigLayer {
    pub unit: UnitKind,
    pub file: PathBuf,
    /// `default`, `prod`, `myscope`, `myscope_prod`...
    pub type_name: String,
    pub value: Value,
    /// True when the values came from an embedded snapshot rather than the file on disk.
    pub embedded: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MiddlewareSource {
    /// From `config.coreMiddleware` (framework) or inserted by a plugin at startup.
    Core { inserted_by: Option<String> },
    /// From the app's `config.middleware`.
    App,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MiddlewareEntry {
    pub name: String,
    pub source: MiddlewareSource,
    /// `config[name].enable !== false`.
    pub enabled: bool,
    /// The implementing file (last load unit defining `app/middleware/<name>`), when found.
    pub file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiagnosticLevel {
    Info,
    Warning,
    Error,
    /// An error that left part of the app unread or unevaluated (a file that cannot be read
    /// or parsed, an export or spread that cannot be evaluated): what it covers is `Unknown`,
    /// and the run is partial (`eggsec audit` exits 2 unless `--allow-partial`).
    Unread,
}

impl DiagnosticLevel {
    /// How the level is printed.
    pub fn label(self) -> &'static str {
        match self {
            DiagnosticLevel::Info => "info",
            DiagnosticLevel::Warning => "warning",
            DiagnosticLevel::Error => "error",
            DiagnosticLevel::Unread => "error (not read)",
        }
    }
}

/// A problem met while building the model (unparseable file, unresolvable plugin...).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    pub file: Option<PathBuf>,
    pub line: u32,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic about the app as a whole, not one file.
    pub fn general(level: DiagnosticLevel, message: impl Into<String>) -> Self {
        Self {
            level,
            file: None,
            line: 0,
            message: message.into(),
        }
    }
    /// A diagnostic at a file and line (`0` for the whole file).
    pub fn at(
        level: DiagnosticLevel,
        file: impl Into<PathBuf>,
        line: u32,
        message: impl Into<String>,
    ) -> Self {
        Self {
            level,
            file: Some(file.into()),
            line,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppModel {
    pub root: PathBuf,
    pub name: String,
    pub pkg: serde_json::Value,
    pub env: String,
    pub scope: String,
    /// Major version of egg core in the chain (2, 3, 4), when known.
    pub egg_major: Option<u32>,
    /// eggPaths lowest first: `[egg, customFramework...]`.
    pub frameworks: Vec<Framework>,
    /// Every plugin entry, enabled or not, in egg's `allPlugins` order.
    pub plugins: Vec<PluginState>,
    /// Enabled plugin names in load-unit order (egg's `orderPlugins`).
    pub plugin_order: Vec<String>,
    /// The effective merged config for `env`.
    pub config: Value,
    /// Every config file that contributed, in merge order.
    pub layers: Vec<ConfigLayer>,
    /// Final middleware order: coreMiddleware (with plugin insertions) then app middleware.
    pub middleware: Vec<MiddlewareEntry>,
    pub defaults: DefaultsSource,
    pub diagnostics: Vec<Diagnostic>,
    /// Every route: router file, what it requires, router-plus namespaces, tegg decorators.
    pub routes: Vec<crate::routes::Route>,
    /// The app's source files parsed once: router calls, handlers, request-data flows, code facts.
    pub code: crate::routes::CodeModel,
    /// Config keys whose value is known but that something eggsec cannot see (a plugin that
    /// is not installed and not known) may change: see [`crate::uncertain`].
    pub uncertain: crate::uncertain::Uncertain,
}

impl AppModel {
    /// The routes whose handler is the function `function` of code file `file` (an index into
    /// `code.files`).
    pub fn routes_to<'a>(
        &'a self,
        file: usize,
        function: &'a str,
    ) -> impl Iterator<Item = &'a crate::routes::Route> + 'a {
        self.routes.iter().filter(move |r| {
            r.handler_file == Some(file) && r.handler_function.as_deref() == Some(function)
        })
    }

    pub fn plugin(&self, name: &str) -> Option<&PluginState> {
        self.plugins.iter().find(|p| p.name == name)
    }
    /// Whether plugin `name` is enabled. When something eggsec cannot see may decide otherwise
    /// (an unknown plugin's dependencies, an unknown framework's plugin.js), the read is noted
    /// as uncertain (`plugins.<name>`), and a rule that used it lowers its confidence.
    pub fn plugin_enabled(&self, name: &str) -> bool {
        let plugin = self.plugin(name);
        let enabled = plugin.is_some_and(|p| p.enabled);
        if let Some(why) = self.uncertain.plugin_doubt(name, enabled, plugin.is_some()) {
            note_uncertain_read(&format!("plugins.{name}"), &why);
        }
        enabled
    }
    /// The app-wide middleware chain ([`AppModel::middleware`]). When a plugin or framework
    /// eggsec cannot see may add to it, the read is noted as uncertain (`middleware`), and a
    /// rule that used it lowers its confidence.
    pub fn global_middleware(&self) -> &[MiddlewareEntry] {
        if let Some(why) = self.uncertain.middleware_doubt() {
            note_uncertain_read("middleware", &why);
        }
        &self.middleware
    }
    /// Whether a flow's sink is there in this app ([`eggsec_js::flow::Flow::plugin`]): the
    /// receiver's plugin family is provided ([`Self::provides`]), or, for
    /// [`eggsec_js::flow::NO_SAFE_REDIRECT`], egg-security's redirect is *not* in place (the
    /// security plugin is off or not known to be on, or egg is 1 or not known).
    pub fn has_sink(&self, plugin: &str) -> bool {
        if plugin == eggsec_js::flow::NO_SAFE_REDIRECT {
            let security_on = self.plugin("security").is_some_and(|p| p.enabled);
            return !(security_on && self.egg_major.is_some_and(|m| m >= 2));
        }
        self.provides(plugin)
    }

    /// Does an enabled plugin provide `family` (`sequelize`, `mongoose`, `orm`, `mysql`,
    /// `redis`) — the receiver a flow sink needs (`ctx.model.query` is SQL only when
    /// egg-sequelize makes `ctx.model` a Sequelize instance; `ctx.model.X.find` is a mongo query
    /// only with egg-mongoose)? When no plugin provides any model layer, the package.json
    /// dependencies decide, and with nothing known the sink is kept.
    pub fn provides(&self, family: &str) -> bool {
        let provides = |f: &str| {
            self.plugins.iter().any(|p| {
                p.enabled
                    && (p.name == f
                        || p.package.as_deref().is_some_and(|pkg| {
                            let base = pkg.rsplit('/').next().unwrap_or(pkg);
                            base == f || base == format!("egg-{f}")
                        }))
            })
        };
        if provides(family) {
            return true;
        }
        const MODEL_LAYERS: &[&str] = &["sequelize", "mongoose", "orm", "typeorm", "leoric"];
        if !MODEL_LAYERS.contains(&family) {
            return false;
        }
        if MODEL_LAYERS.iter().any(|f| provides(f)) {
            return false;
        }
        let deps: Vec<&str> = ["dependencies", "devDependencies"]
            .iter()
            .filter_map(|k| self.pkg.get(*k).and_then(|d| d.as_object()))
            .flat_map(|d| d.keys().map(String::as_str))
            .collect();
        let package = match family {
            "orm" => "leoric",
            f => f,
        };
        let any_layer = deps.iter().any(|d| {
            ["sequelize", "mongoose", "leoric", "typeorm"]
                .iter()
                .any(|l| d.ends_with(l))
        });
        !any_layer || deps.iter().any(|d| d.ends_with(package))
    }
    /// Effective config at a dotted path. A path whose value is not statically known answers
    /// an `Unknown`; the engine notes it so that a rule that passes on it counts as "not
    /// assessed" instead of passing (see [`unknown_reads`]).
    pub fn config_at(&self, path: &str) -> Option<&Value> {
        let v = self.config.lookup(path);
        if let Some(Value {
            kind: eggsec_js::ValueKind::Unknown { why },
            ..
        }) = v
        {
            note_unknown_read(path, why);
        } else if let Some(why) = self.uncertain.doubt(&self.config, path) {
            note_uncertain_read(path, &why);
        }
        v
    }
    /// Why the known value at `path` may not be what egg uses (`unknown: may be changed by
    /// plugin X`), when it is uncertain (see [`crate::uncertain`]).
    pub fn doubt_at(&self, path: &str) -> Option<String> {
        self.uncertain.doubt(&self.config, path)
    }
    /// Why the plugin set may hold plugins that are not known (a plugin file, spread or entry
    /// that could not be evaluated): a plugin missing from [`AppModel::plugins`] may then be
    /// declared there.
    pub fn plugins_unknown(&self) -> Option<&Diagnostic> {
        self.unread().find(|d| {
            d.file
                .as_deref()
                .and_then(|f| f.file_name())
                .is_some_and(|n| n.to_string_lossy().starts_with("plugin."))
        })
    }
    /// The parts of the app that could not be read or evaluated (the run is partial).
    pub fn unread(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.level == DiagnosticLevel::Unread)
    }
    /// The app's own config layers (what the user wrote), in merge order.
    pub fn app_layers(&self) -> impl Iterator<Item = &ConfigLayer> {
        self.layers.iter().filter(|l| l.unit == UnitKind::App)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}: no Egg.js app found (no package.json with egg or an egg framework, and no config/ directory)")]
    NotAnApp(PathBuf),
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

thread_local! {
    static UNKNOWN_READS: std::cell::RefCell<Option<Vec<(String, String)>>> =
        const { std::cell::RefCell::new(None) };
}

fn note_unknown_read(path: &str, why: &str) {
    UNKNOWN_READS.with(|r| {
        if let Some(list) = r.borrow_mut().as_mut() {
            if !list.iter().any(|(p, _)| p == path) {
                list.push((path.to_string(), why.to_string()));
            }
        }
    });
}

/// Runs `f` and returns what it returned with every config path it read through
/// [`AppModel::config_at`] whose value was not statically known, with why (on this thread).
pub fn unknown_reads<T>(f: impl FnOnce() -> T) -> (T, Vec<(String, String)>) {
    let outer = UNKNOWN_READS.with(|r| r.borrow_mut().replace(Vec::new()));
    let out = f();
    let reads = UNKNOWN_READS.with(|r| std::mem::replace(&mut *r.borrow_mut(), outer));
    (out, reads.unwrap_or_default())
}

thread_local! {
    static UNCERTAIN_READS: std::cell::RefCell<Option<Vec<(String, String)>>> =
        const { std::cell::RefCell::new(None) };
}

fn note_uncertain_read(path: &str, why: &str) {
    UNCERTAIN_READS.with(|r| {
        if let Some(list) = r.borrow_mut().as_mut() {
            if !list.iter().any(|(p, _)| p == path) {
                list.push((path.to_string(), why.to_string()));
            }
        }
    });
}

/// Runs `f` and returns what it returned with every config path it read through
/// [`AppModel::config_at`] whose value is known but uncertain (it may be changed by a plugin
/// eggsec cannot see), with why (on this thread). A rule that read one lowers the confidence
/// of its findings; one that found nothing did not fully assess its control.
pub fn uncertain_reads<T>(f: impl FnOnce() -> T) -> (T, Vec<(String, String)>) {
    let outer = UNCERTAIN_READS.with(|r| r.borrow_mut().replace(Vec::new()));
    let out = f();
    let reads = UNCERTAIN_READS.with(|r| std::mem::replace(&mut *r.borrow_mut(), outer));
    (out, reads.unwrap_or_default())
}
