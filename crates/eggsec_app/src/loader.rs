//! `load`: the whole static twin of egg's loader for one app and env — env and scope, appInfo,
//! framework chain, plugins, config, middleware (§1-§4, §8).

use crate::config::{load_config, type_names, ConfigContext, LoadUnit};
use crate::defaults::{embedded, Snapshot};
use crate::files::{evaluate, package_json_or_report, probe_file, resolve_package, Resolver};
use crate::middleware;
use crate::model::{
    AppError, AppModel, DefaultsSource, Diagnostic, DiagnosticLevel, Framework, LoadOptions,
    UnitKind,
};
use crate::plugins::{
    extend_plugins, finish, normalize_file, Located, PluginEntry, PluginMap, PluginMeta,
};
use eggsec_js::{AppInfo, EvalOptions, Provenance};
use std::path::{Path, PathBuf};

/// Longest custom-framework chain followed (guards against `egg.framework` cycles).
const MAX_FRAMEWORK_DEPTH: usize = 8;

/// Builds the app model of the Egg.js app at `root` for the env in `opts`.
///
/// Problems with individual files become [`Diagnostic`]s and the load goes on; an error is
/// returned only when `root` is not an app (no package.json and no `config/` directory).
pub fn load(root: &Path, opts: &LoadOptions) -> Result<AppModel, AppError> {
    // on the large-stack pool: every config evaluation and parse below runs in place instead
    // of starting a thread of its own
    eggsec_js::stack::install(|| load_here(root, opts, true))
}

/// [`load`] without the app's code: the config, plugins and middleware of `root` in the env of
/// `opts`, with no code model and no routes (the code is neither parsed nor scanned). For a
/// view of the config alone (the HTML report's config of every env).
pub fn load_config_only(root: &Path, opts: &LoadOptions) -> Result<AppModel, AppError> {
    eggsec_js::stack::install(|| load_here(root, opts, false))
}

fn load_here(root: &Path, opts: &LoadOptions, with_code: bool) -> Result<AppModel, AppError> {
    let config_phase = eggsec_js::timing::phase("config");
    let pkg_dir = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    // `std::path::absolute` keeps a `..` (`/cwd/../app`), while the paths the config evaluates
    // (`path.join(__dirname, '../lib/plugin/x')`) and the requires the code model resolves come
    // out normalised: with the `..` kept, one file had two spellings that never met (routes
    // split over files lost, in-repo plugins' files read again, the repository looked for
    // among lexical ancestors). Resolved as the file system does: right also where a component
    // before the `..` is a symlink, where a lexical step back is not.
    let pkg_dir = if pkg_dir
        .components()
        .any(|c| c == std::path::Component::ParentDir)
    {
        std::fs::canonicalize(&pkg_dir).unwrap_or(pkg_dir)
    } else {
        pkg_dir
    };
    // midway v1 runs egg with baseDir = src/ (package.json stays at the project root)
    let midway = crate::discover::midway_base_dir(&pkg_dir);
    let root = midway.clone().unwrap_or_else(|| pkg_dir.clone());
    // egg boilerplates ship `_package.json` (npm would otherwise treat the template as a package)
    let pkg_path = crate::discover::package_json_path(&pkg_dir)
        .unwrap_or_else(|| pkg_dir.join("package.json"));
    if !eggsec_fs::is_dir(&root)
        || (!eggsec_fs::exists(&pkg_path) && !eggsec_fs::is_dir(&root.join("config")))
    {
        return Err(AppError::NotAnApp(root));
    }
    // The code model reads the app's files, never its config: it is built on the pool's other
    // threads while the config is evaluated here (one thread), and its diagnostics follow the
    // config's, as when the two ran one after the other. It starts once the plugins are known
    // (the code of the enabled in-repo plugins is part of it), the scan ahead too.
    let mut code = None;
    let mut code_diags = Vec::new();
    // the model of the app's own code, started at once; dropped (cancelled) for `code` when
    // the app has enabled in-repo plugins, whose code is part of it
    let mut early = None;
    let mut early_diags = Vec::new();
    let cancel_early = std::sync::atomic::AtomicBool::new(false);
    let (
        mut diags,
        name,
        pkg,
        env,
        scope,
        egg_major,
        frameworks,
        set,
        loaded,
        middleware,
        defaults,
        uncertain,
    ) = rayon::scope(|s| {
        let code = &mut code;
        let code_diags = &mut code_diags;
        let root_ref = &root;
        let cancel_early = &cancel_early;
        if with_code {
            // The lockfile, read ahead beside the config: the plugin version skew needs it
            // when egg is not installed, and an audit's `updates` rules always do (a large
            // `pnpm-lock.yaml` is otherwise most of the config's time, one core idle). Spawned
            // first, so another thread takes it first; the config, when it needs the lockfile
            // before it is read, runs the code model meanwhile.
            if eggsec_deps::inventory::find_lockfile(&pkg_dir).is_some() {
                let pkg_dir = &pkg_dir;
                s.spawn(move |_| {
                    // (a reading ahead that fails is the next reader's to redo and report; it
                    // never ends a command that would not have read the lockfile)
                    let _ = std::panic::catch_unwind(|| {
                        eggsec_deps::inventory::inventory_shared(pkg_dir);
                    });
                });
            }
            let (early, early_diags) = (&mut early, &mut early_diags);
            s.spawn(move |_| {
                *early = crate::routes::code_model_unless(root_ref, &[], early_diags, cancel_early)
            });
        }
        let plugins_phase = eggsec_js::timing::phase("config.until-plugins");
        let mut diags = Vec::new();
        if midway.is_some() {
            diags.push(Diagnostic::general(
            DiagnosticLevel::Info,
            "midway v1 app: egg's baseDir is src/ (config, app and boot files are read from there)",
        ));
        }
        let pkg = package_json_or_report(&pkg_path, &mut diags).unwrap_or(serde_json::Value::Null);
        let name = match pkg.get("name").and_then(|n| n.as_str()) {
            Some(n) => n.to_string(),
            None => {
                if pkg.is_object() {
                    diags.push(Diagnostic {
                        level: DiagnosticLevel::Error,
                        file: Some(pkg_path.clone()),
                        line: 0,
                        message: "egg would fail to start: `name` is required in package.json"
                            .into(),
                    });
                }
                root.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }
        };
        let env = resolve_env(&root, opts);
        let scope = opts.scope.clone().unwrap_or_default();
        let mut info = AppInfo::new(&name, &root, &env);
        info.scope = scope.clone();
        info.pkg = Some(pkg.clone()).filter(|p| p.is_object());
        if midway.is_some() {
            // midway-web's getAppInfo (dist/loader/webLoader.js): appDir is the project root, and so
            // is root in local/unittest (egg's would be baseDir, i.e. src/)
            if env == "local" || env == "unittest" {
                info.root = pkg_dir.clone();
            }
            info.app_dir = Some(pkg_dir.clone());
        }

        let use_node_modules = !opts.embedded_defaults_only;
        let fw_name = pkg
            .pointer("/egg/framework")
            .and_then(|f| f.as_str())
            .unwrap_or(if midway.is_some() { "midway" } else { "egg" })
            .to_string();
        let mut frameworks = framework_chain(&root, &fw_name, use_node_modules, &mut diags);
        let egg_major = egg_major(&frameworks, &pkg);
        let esm = pkg.get("type").and_then(|t| t.as_str()) == Some("module");
        if egg_major >= 4 {
            for fw in &mut frameworks {
                fw.path = fw.path.take().map(|p| egg4_build_dir(p, esm));
            }
        }
        // egg 4.1 ships config and plugins under dist/: `dist/config/plugin.js` spreads plugin
        // factories (`...securityPlugin()`, each package's `definePluginFactory({ name, path:
        // import.meta.dirname })`), which the evaluator follows; the built-in plugins' and egg's
        // config defaults are zod schemas (`SecurityConfig.parse({})`) it cannot run, so egg's own
        // config and its built-in plugins' come from the embedded egg 4 snapshot, and this is said.
        // Installing node_modules must never make the model worse: when the plugin file gives no
        // plugin, the snapshot's list is used.
        let egg41 = frameworks
            .iter()
            .find(|f| f.name == "egg" && f.path.is_some())
            .and_then(|f| Some((f.version.clone()?, f.path.clone()?)))
            .filter(|(v, _)| is_egg41(v));
        if egg41.is_some() {
            for fw in &mut frameworks {
                if fw.name == "egg" {
                    fw.path = None;
                }
            }
        }
        let resolver = Resolver {
            egg4: egg_major >= 4,
            esm,
        };
        // an installed egg 4.1: the snapshot generated from real egg 4.1 (dist/ config, zod)
        let snapshot = match egg41 {
            Some(_) => crate::defaults::embedded_egg41().or_else(|| embedded(egg_major)),
            None => embedded(egg_major),
        };
        if snapshot.is_none() {
            diags.push(Diagnostic::general(
            DiagnosticLevel::Info,
            format!("no embedded defaults for egg {egg_major}: units that are not installed contribute nothing"),
        ));
        }
        if use_node_modules && !eggsec_fs::is_dir(&root.join("node_modules")) {
            diags.push(Diagnostic::general(
            DiagnosticLevel::Info,
            "node_modules is not installed: egg and built-in plugin defaults come from the embedded snapshot",
        ));
        }

        // Plugins: framework files (every eggPath, lowest first, per type), then the app's.
        let plugin_types = type_names(&env, &scope);
        let mut egg_plugins = PluginMap::new();
        let egg41_plugins = egg41.as_ref().map(|(v, dir)| {
            egg41_plugin_factories(
                v,
                dir,
                &plugin_types,
                resolver,
                &info,
                &root,
                snapshot,
                &mut diags,
            )
        });
        for type_name in &plugin_types {
            for fw in &frameworks {
                match &fw.path {
                    Some(dir) => read_plugin_file(
                        &dir.join("config"),
                        type_name,
                        resolver,
                        &info,
                        &root,
                        &mut egg_plugins,
                        &mut diags,
                    ),
                    None if fw.name == "egg" && type_name == "default" => match &egg41_plugins {
                        Some(Some(read)) => extend_plugins(&mut egg_plugins, read),
                        _ => {
                            if let Some(snap) = snapshot {
                                extend_plugins(&mut egg_plugins, &snapshot_plugins(snap));
                            }
                        }
                    },
                    None => {}
                }
            }
        }
        let mut app_plugins = PluginMap::new();
        for type_name in &plugin_types {
            read_plugin_file(
                &root.join("config"),
                type_name,
                resolver,
                &info,
                &root,
                &mut app_plugins,
                &mut diags,
            );
        }
        let mut all = PluginMap::new();
        extend_plugins(&mut all, &egg_plugins);
        extend_plugins(&mut all, &app_plugins);
        // an egg 4.1 plugin factory's entry has only a `path` (`import.meta.dirname`, the
        // package's `dist/`): the installed package it lies in names it
        for entry in all.values_mut().filter(|e| e.package.is_none()) {
            entry.package = entry.path.as_deref().and_then(installed_package_of);
        }

        // Without node_modules, the lockfile says which version of each package egg would run.
        let locked = locked_for_skew(&frameworks, &pkg_dir);
        let mut lookup_dirs = vec![root.clone()];
        lookup_dirs.extend(frameworks.iter().rev().filter_map(|f| f.path.clone()));
        let mut locate_diags = Vec::new();
        let locate = |entry: &PluginEntry| {
            locate_plugin(
                entry,
                &lookup_dirs,
                use_node_modules,
                (resolver, egg41.is_some()),
                (snapshot, locked.as_ref()),
                &mut locate_diags,
            )
        };
        let set = finish(all, &env, &app_plugins, locate, &mut diags);
        diags.append(&mut locate_diags);
        drop(plugins_phase);
        if with_code {
            let units = crate::usage::in_repo_plugin_dirs(root_ref, &set.states);
            if !units.is_empty() {
                cancel_early.store(true, std::sync::atomic::Ordering::Relaxed);
                let units = units.clone();
                s.spawn(move |_| {
                    *code = Some(crate::routes::code_model_with_units(
                        root_ref, &units, code_diags,
                    ))
                });
            }
            if crate::usage::prescan_wanted() {
                s.spawn(move |_| crate::usage::prescan(root_ref, &units));
            }
        }

        // Load units: ordered enabled plugins, frameworks lowest first, the app.
        let mut units: Vec<LoadUnit> = set
            .order
            .iter()
            .filter_map(|n| set.states.iter().find(|s| &s.name == n))
            .map(|s| LoadUnit {
                kind: UnitKind::Plugin(s.name.clone()),
                // egg 4.1's built-in plugins (dist/ layout, plugin factories: zod defaults): the
                // embedded egg 4.1 snapshot, as for egg; its default tegg plugins are read from
                // their packages (their config and their boot code's middleware)
                dir: s.path.clone().filter(|_| {
                    s.installed
                        && !(egg41.is_some()
                            && snapshot.is_some_and(|snap| {
                                snap.plugin(&s.name, s.package.as_deref())
                                    .is_some_and(|p| p.skip_merge)
                            }))
                }),
                package: s.package.clone(),
            })
            .collect();
        units.extend(frameworks.iter().map(|f| LoadUnit {
            kind: UnitKind::Framework(f.name.clone()),
            dir: f.path.clone(),
            package: Some(f.name.clone()),
        }));
        units.push(LoadUnit {
            kind: UnitKind::App,
            dir: Some(root.clone()),
            package: None,
        });

        let ctx = ConfigContext {
            info: &info,
            resolver,
            type_names: type_names(&env, &scope),
            snapshot,
        };
        let mut loaded = load_config(&ctx, &units, &mut diags);
        // Without node_modules, egg's units come from the snapshot of one version: the lockfile
        // says which versions the app runs (version skew, see `skew`).
        if let (Some(snap), Some(locked), true) = (
            snapshot,
            locked.as_ref(),
            loaded.layers.iter().any(|l| l.embedded),
        ) {
            if crate::skew::apply(&mut loaded.layers, &units, snap, locked, &info, &mut diags) {
                loaded.config = crate::skew::remerge(&loaded.layers);
            }
        }
        let uncertain = crate::uncertain::Uncertain::compute(
            &loaded.config,
            &loaded.layers,
            &units,
            &ctx.type_names,
            crate::uncertain::unknown_frameworks(&frameworks)
                .into_iter()
                .chain(crate::uncertain::unknown_plugins(&set.states, snapshot))
                .collect(),
        );
        let unit_dirs: Vec<PathBuf> = units.iter().filter_map(|u| u.dir.clone()).collect();
        let boot_units = boot_units(&units, snapshot, resolver, &mut diags);
        let middleware = middleware::build(
            &mut loaded.config,
            &set.states,
            &set.order,
            &unit_dirs,
            &boot_units,
            egg_major,
            &mut diags,
        );

        let defaults = if loaded.embedded_units.is_empty() {
            DefaultsSource::NodeModules
        } else if loaded.embedded_units.len() == loaded.builtin_units {
            DefaultsSource::Embedded { egg_major }
        } else {
            DefaultsSource::Mixed {
                embedded: std::mem::take(&mut loaded.embedded_units),
            }
        };
        drop(config_phase);
        (
            diags, name, pkg, env, scope, egg_major, frameworks, set, loaded, middleware, defaults,
            uncertain,
        )
    });
    let (code, mut code_diags) = match code {
        Some(code) => (code, code_diags),
        None => (early.unwrap_or_default(), early_diags),
    };
    diags.append(&mut code_diags);
    // (a config-only model has no code to route)
    let routes = if with_code {
        let routes_phase = eggsec_js::timing::phase("routes");
        let route_inputs = crate::routes::RouteInputs {
            root: &root,
            config: &loaded.config,
            middleware: &middleware,
            plugins: &set.states,
        };
        // a framework whose own loadRouter loads app/router.js of every load unit (jianghu)
        let unit_routers =
            frameworks
                .iter()
                .find_map(|fw| match crate::routes::framework_router_override(fw)? {
                    crate::routes::RouterOverride::EveryUnit { file, reverse } => {
                        let units = router_units(&set, &frameworks);
                        Some(crate::routes::unit_routers(
                            &root, &file, reverse, &units, &mut diags,
                        ))
                    }
                    crate::routes::RouterOverride::NotRead(_) => None,
                });
        let mut routes =
            crate::routes::build_routes_with(&route_inputs, &code, unit_routers.as_ref());
        routes.extend(crate::routes::plugin_boot_routes(
            &route_inputs,
            &code,
            egg_major,
        ));
        for why in crate::plugin_boot::unknown_routes(&set.states, &loaded.config, egg_major) {
            diags.push(Diagnostic::general(DiagnosticLevel::Warning, why));
        }
        if let Some(why) = crate::routes::routes_unknown(&root, &routes, &code, &frameworks) {
            diags.push(Diagnostic::general(DiagnosticLevel::Warning, why));
        }
        drop(routes_phase);
        routes
    } else {
        Vec::new()
    };
    Ok(AppModel {
        routes,
        code,
        root,
        name,
        pkg,
        env,
        scope,
        egg_major: Some(egg_major),
        frameworks,
        plugins: set.states,
        plugin_order: set.order,
        config: loaded.config,
        layers: loaded.layers,
        middleware,
        defaults,
        diagnostics: diags,
        uncertain,
    })
}

/// egg's load units other than the app, as `getLoadUnits()` lists them (enabled plugins in
/// plugin order, then the frameworks lowest first), each with the label a route registered from
/// it shows: `node_modules/<package>[/<dir inside it>]`, or the plugin's name.
fn router_units(
    set: &crate::plugins::PluginSet,
    frameworks: &[Framework],
) -> Vec<(PathBuf, String)> {
    let label = |dir: &Path, fallback: &str| -> String {
        for fw in frameworks {
            if let Some(rest) = fw.path.as_ref().and_then(|p| dir.strip_prefix(p).ok()) {
                let rest = rest.to_string_lossy().replace('\\', "/");
                return if rest.is_empty() {
                    format!("node_modules/{}", fw.name)
                } else {
                    format!("node_modules/{}/{rest}", fw.name)
                };
            }
        }
        fallback.to_string()
    };
    let mut units = Vec::new();
    for name in &set.order {
        let Some(s) = set.states.iter().find(|s| &s.name == name && s.enabled) else {
            continue;
        };
        let Some(dir) = s.path.clone() else {
            continue;
        };
        let fallback = match &s.package {
            Some(p) => format!("node_modules/{p}"),
            None => format!("plugin {}", s.name),
        };
        units.push((dir.clone(), label(&dir, &fallback)));
    }
    for fw in frameworks {
        if let Some(dir) = &fw.path {
            units.push((dir.clone(), format!("node_modules/{}", fw.name)));
        }
    }
    units
}

/// The `app.js` boot files read for middleware edits, in load-unit order: installed plugins
/// that egg does not ship (egg's own built-ins are covered by the verified insertion table),
/// frameworks other than egg, and the app.
fn boot_units(
    units: &[LoadUnit],
    snapshot: Option<&Snapshot>,
    resolver: Resolver,
    diags: &mut Vec<Diagnostic>,
) -> Vec<middleware::BootUnit> {
    units
        .iter()
        .filter_map(|u| {
            let label = match &u.kind {
                UnitKind::Plugin(name) => {
                    // egg 4.1's default tegg plugins (`@eggjs/tegg-plugin`...) are in the 4.1
                    // snapshot but not in the table: their boot code is read
                    let builtin = snapshot.is_some_and(|s| {
                        s.framework_plugins.values().any(|p| {
                            Some(&p.package) == u.package.as_ref()
                                && !p.package.starts_with("@eggjs/")
                        })
                    }) || u
                        .package
                        .as_deref()
                        .is_some_and(middleware::is_builtin_package);
                    if builtin {
                        return None;
                    }
                    format!("plugin {name}")
                }
                UnitKind::Framework(name) if name == "egg" => return None,
                UnitKind::Framework(name) => format!("framework {name}"),
                UnitKind::App => "app".to_string(),
            };
            let Some(dir) = u.dir.as_ref() else {
                // not installed: eggsec's embedded knowledge of the package, when it has some
                let package = u.package.as_deref()?;
                let k = crate::defaults::plugin_knowledge()?;
                let known = k.boot.get(package)?;
                let version = k
                    .framework_plugins
                    .values()
                    .find(|p| p.package == package)
                    .and_then(|p| p.version.clone())
                    .unwrap_or_default();
                return Some(middleware::BootUnit {
                    label,
                    file: PathBuf::from(format!(
                        "<embedded knowledge of {package}@{version} app.js>"
                    )),
                    facts: Some(middleware::known_boot_facts(known)),
                });
            };
            let file = resolver.resolve_source(dir, "app", diags)?;
            Some(middleware::BootUnit {
                label,
                file,
                facts: None,
            })
        })
        .collect()
}

/// The app's lockfile versions, read only when egg is not installed (embedded data then
/// stands in for egg, its built-in plugins and known third-party plugins).
fn locked_for_skew(frameworks: &[Framework], pkg_dir: &Path) -> Option<crate::skew::Locked> {
    let egg_installed = frameworks
        .iter()
        .any(|f| f.name == "egg" && f.path.is_some());
    if egg_installed {
        return None;
    }
    crate::skew::Locked::read(pkg_dir)
}

/// `opts.env`, then the trimmed `config/env` file, else `prod` (audits assume production).
fn resolve_env(root: &Path, opts: &LoadOptions) -> String {
    if let Some(env) = opts.env.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        return env.to_string();
    }
    eggsec_report::input::read_text_limited(&root.join("config/env"), 4096)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.len() < 256)
        .unwrap_or_else(|| "prod".into())
}

/// eggPaths lowest first. A custom framework's own package.json `egg.framework` names its
/// parent; otherwise its parent is egg.
fn framework_chain(
    root: &Path,
    name: &str,
    use_node_modules: bool,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Framework> {
    let mut chain: Vec<Framework> = Vec::new();
    let mut name = name.to_string();
    let mut from = root.to_path_buf();
    loop {
        let mut dir = if use_node_modules {
            resolve_package(&name, &[from.clone(), root.to_path_buf()])
        } else {
            None
        };
        // a framework package that only re-exports another one (midway v1: `midway` re-exports
        // `midway-web`, whose Application's eggPath holds config/ and plugin.js)
        if let Some((target, target_dir)) = dir.as_deref().and_then(reexported_framework) {
            diags.push(Diagnostic::general(
                DiagnosticLevel::Info,
                format!("framework `{name}` re-exports `{target}`: its eggPath is {target}'s"),
            ));
            name = target;
            dir = Some(target_dir);
        }
        let pkg = dir
            .as_ref()
            .and_then(|d| package_json_or_report(&d.join("package.json"), diags));
        if dir.is_none() && use_node_modules && name != "egg" {
            diags.push(Diagnostic {
                level: DiagnosticLevel::Warning,
                file: None,
                line: 0,
                message: format!(
                    "framework `{name}` is not installed: its config and plugins are unknown"
                ),
            });
        }
        chain.push(Framework {
            name: name.clone(),
            version: pkg
                .as_ref()
                .and_then(|p| p.get("version"))
                .and_then(|v| v.as_str())
                .map(str::to_string),
            path: dir.clone(),
        });
        if name == "egg" {
            break;
        }
        let parent = pkg
            .as_ref()
            .and_then(|p| p.pointer("/egg/framework"))
            .and_then(|f| f.as_str())
            .unwrap_or("egg")
            .to_string();
        if chain.iter().any(|f| f.name == parent) || chain.len() >= MAX_FRAMEWORK_DEPTH {
            diags.push(Diagnostic {
                level: DiagnosticLevel::Error,
                file: None,
                line: 0,
                message: format!(
                    "framework chain loops or is too deep at `{parent}`; egg assumed as the base"
                ),
            });
            if !chain.iter().any(|f| f.name == "egg") {
                chain.push(Framework {
                    name: "egg".into(),
                    version: None,
                    path: None,
                });
            }
            break;
        }
        from = dir.unwrap_or_else(|| root.to_path_buf());
        name = parent;
    }
    chain.reverse();
    chain
}

/// The package a framework re-exports whole, when the framework has no `config/` of its own:
/// its main module is `module.exports = require('x')` or TypeScript's
/// `__exportStar(require("x"), exports)` (midway 1.x's `midway` → `midway-web`, whose
/// Application sets `Symbol.for('egg#eggPath')` to its own dir). Only a target installed with a
/// `config/` dir counts; `egg` itself is never a target (it is the chain's base).
fn reexported_framework(dir: &Path) -> Option<(String, PathBuf)> {
    if eggsec_fs::is_dir(&dir.join("config")) {
        return None;
    }
    let pkg = crate::files::read_package_json(&dir.join("package.json")).ok()??;
    let main = pkg
        .get("main")
        .and_then(|m| m.as_str())
        .unwrap_or("index.js");
    let mut file = dir.join(main);
    if eggsec_fs::is_dir(&file) {
        file = file.join("index.js");
    } else if file.extension().is_none() {
        file.set_extension("js");
    }
    let text = eggsec_report::input::read_text_limited(&file, 256 * 1024).ok()?;
    let target = reexport_target(&text)?;
    if target == "egg" {
        return None;
    }
    let target_dir = resolve_package(&target, &[dir.to_path_buf()])?;
    target_dir
        .join("config")
        .is_dir()
        .then_some((target, target_dir))
}

/// `x` of the first `__exportStar(require("x")` or `module.exports = require('x')` in `text`.
fn reexport_target(text: &str) -> Option<String> {
    for marker in ["__exportStar(require(", "module.exports = require("] {
        if let Some(at) = text.find(marker) {
            let rest = &text[at + marker.len()..];
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let rest = &rest[1..];
            let end = rest.find(quote)?;
            let target = &rest[..end];
            if !target.starts_with('.') && !target.is_empty() {
                return Some(target.to_string());
            }
        }
    }
    None
}

/// egg's major version: the installed egg's version, else the app's dependency range
/// (`egg: "^3"` → 3; an `@eggjs/*` dependency → 4), else 3.
fn egg_major(frameworks: &[Framework], pkg: &serde_json::Value) -> u32 {
    let first_number = |s: &str| -> Option<u32> {
        let digits: String = s
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    };
    if let Some(v) = frameworks
        .iter()
        .find(|f| f.name == "egg")
        .and_then(|f| f.version.as_deref())
        .and_then(first_number)
    {
        return v;
    }
    let deps = ["dependencies", "devDependencies", "peerDependencies"]
        .iter()
        .filter_map(|k| pkg.get(*k).and_then(|d| d.as_object()));
    let mut scoped = false;
    for d in deps {
        if let Some(v) = d.get("egg").and_then(|v| v.as_str()).and_then(first_number) {
            return v;
        }
        // midway 1.x runs on egg 2
        if d.get("midway")
            .and_then(|v| v.as_str())
            .and_then(first_number)
            == Some(1)
        {
            return 2;
        }
        scoped |= d
            .keys()
            .any(|k| k.starts_with("@eggjs/") && !k.starts_with("@eggjs/tegg"));
    }
    if scoped {
        4
    } else {
        3
    }
}

/// egg 4.1 and later (`4.1.2-beta.9`, `4.2.0`).
/// egg 4.1's own plugin list (`dist/config/plugin.js`, plugin factories), or `None` when it
/// gives no plugin (the embedded snapshot's list is used instead). Says where egg 4.1's
/// plugins and defaults come from.
#[allow(clippy::too_many_arguments)]
fn egg41_plugin_factories(
    version: &str,
    egg_dir: &Path,
    plugin_types: &[String],
    resolver: Resolver,
    info: &AppInfo,
    root: &Path,
    snapshot: Option<&Snapshot>,
    diags: &mut Vec<Diagnostic>,
) -> Option<PluginMap> {
    let build = egg_dir.join("dist");
    let config_dir = if eggsec_fs::is_dir(&build.join("config")) {
        build.join("config")
    } else {
        egg_dir.join("config")
    };
    let mut read = PluginMap::new();
    for type_name in plugin_types {
        read_plugin_file(
            &config_dir,
            type_name,
            resolver,
            info,
            root,
            &mut read,
            diags,
        );
    }
    let from_factories = !read.is_empty();
    let snap_name = snapshot.map(|s| format!("the embedded egg {} snapshot", s.egg_version));
    let plugins = match (from_factories, &snap_name) {
        (true, _) => {
            "its plugins are read from dist/config/plugin.js (plugin factories)".to_string()
        }
        (false, Some(snap)) => {
            format!("its plugin factories gave no plugin: egg's built-in plugins come from {snap}")
        }
        (false, None) => "its plugin factories gave no plugin".to_string(),
    };
    let defaults = match &snap_name {
        Some(snap) => format!(
            "egg's and its built-in plugins' config defaults (zod schemas in 4.1) come from {snap}"
        ),
        None => {
            "egg's and its built-in plugins' config defaults (zod schemas in 4.1) are not known"
                .to_string()
        }
    };
    diags.push(Diagnostic::general(
        DiagnosticLevel::Warning,
        format!("egg {version} ships its config and plugins under dist/ (the egg 4.1 layout): {plugins}; {defaults}"),
    ));
    from_factories.then_some(read)
}

fn is_egg41(version: &str) -> bool {
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    matches!((parts.next(), parts.next()), (Some(Some(4)), Some(Some(m))) if m >= 1)
}

/// Egg 4 packages load from their build directory (`dist/esm` or `dist/commonjs`).
fn egg4_build_dir(dir: PathBuf, esm: bool) -> PathBuf {
    let build = dir.join(if esm { "dist/esm" } else { "dist/commonjs" });
    if eggsec_fs::is_dir(&build) {
        build
    } else {
        dir
    }
}

/// Reads `<dir>/plugin.<type>` (with `plugin` as the fallback for `default`) into `target`.
#[allow(clippy::too_many_arguments)]
fn read_plugin_file(
    dir: &Path,
    type_name: &str,
    resolver: Resolver,
    info: &AppInfo,
    root: &Path,
    target: &mut PluginMap,
    diags: &mut Vec<Diagnostic>,
) {
    let file = resolver
        .resolve_source(dir, &format!("plugin.{type_name}"), diags)
        .or_else(|| {
            (type_name == "default")
                .then(|| resolver.resolve_source(dir, "plugin", diags))
                .flatten()
        });
    let Some(file) = file else { return };
    let Some(exports) = evaluate(&file, &EvalOptions::raw(info), diags) else {
        return; // reported as unread: the plugins it declares are unknown
    };
    let entries = normalize_file(&exports, &file, root, diags);
    extend_plugins(target, &entries);
}

/// egg's own plugin list from the embedded snapshot (when egg is not installed).
fn snapshot_plugins(snap: &Snapshot) -> PluginMap {
    let from = format!("<embedded egg@{} config/plugin.js>", snap.egg_version);
    snap.framework_plugins
        .iter()
        .map(|(name, p)| {
            // a plugin factory's entry (egg 4.1) carries its own lists; the others take them
            // from the package's `eggPlugin` (the snapshot's metadata) when located
            let own = |list: &Vec<String>| {
                if p.skip_merge {
                    list.clone()
                } else {
                    Vec::new()
                }
            };
            let entry = PluginEntry {
                name: name.clone(),
                enable: p.enable,
                enable_prov: Provenance::synthetic(from.clone()),
                package: Some(p.package.clone()),
                path: None,
                env: own(&p.env),
                env_prov: (p.skip_merge && !p.env.is_empty())
                    .then(|| Provenance::synthetic(from.clone())),
                dependencies: own(&p.dependencies),
                optional_dependencies: own(&p.optional_dependencies),
                from: from.clone(),
                skip_merge: p.skip_merge,
            };
            (name.clone(), entry)
        })
        .collect()
}

/// Finds a plugin on disk: its `path`, else its package through the lookup dirs; reads its
/// package.json `eggPlugin`. Built-ins that are not installed take the snapshot's metadata.
fn locate_plugin(
    entry: &PluginEntry,
    lookup_dirs: &[PathBuf],
    use_node_modules: bool,
    (resolver, egg41): (Resolver, bool),
    (snapshot, locked): (Option<&Snapshot>, Option<&crate::skew::Locked>),
    diags: &mut Vec<Diagnostic>,
) -> Located {
    let package = entry.package.as_deref().unwrap_or(&entry.name);
    let dir = match &entry.path {
        Some(path) => eggsec_fs::is_dir(path).then(|| path.clone()),
        None if use_node_modules => resolve_package(package, lookup_dirs),
        None => None,
    };
    if let Some(dir) = dir {
        let pkg_path = dir.join("package.json");
        let mut diag_tmp = Vec::new();
        let exists = probe_file(&pkg_path, &mut diag_tmp);
        diags.append(&mut diag_tmp);
        let pkg = if exists {
            package_json_or_report(&pkg_path, diags)
        } else {
            None
        };
        let meta = pkg
            .as_ref()
            .map(|p| PluginMeta::from_package_json(p, pkg_path.display().to_string()));
        // egg 4.1's built-in plugins carry no `eggPlugin` in package.json (plugin factories
        // declare it in code): their env and dependencies come from the embedded snapshot.
        let meta = match (&meta, pkg.as_ref().and_then(|p| p.get("eggPlugin"))) {
            (Some(installed), None) => snapshot
                .and_then(|s| {
                    s.plugin(&entry.name, entry.package.as_deref())
                        .map(|p| s.plugin_meta(p))
                })
                .map(|mut m| {
                    m.version = installed.version.clone();
                    m
                })
                .or(meta),
            _ => meta,
        };
        let path = match pkg.as_ref().and_then(|p| p.pointer("/eggPlugin/exports")) {
            Some(exports) => plugin_build_dir(&dir, exports, resolver.esm),
            // egg 4.1 (@eggjs/core 6.6+): an ES module package without `eggPlugin.exports` is
            // the directory of its `exports["."]` (tegg's plugins: `dist/`)
            None if egg41 => pkg
                .as_ref()
                .and_then(|p| module_export_dir(&dir, p))
                .unwrap_or(dir),
            None => dir,
        };
        return Located {
            path: Some(path),
            installed: true,
            meta,
        };
    }
    let builtin = snapshot.and_then(|s| {
        s.plugin(&entry.name, entry.package.as_deref())
            .map(|p| (s, p))
    });
    // Without any node_modules (a source checkout) a missing package is expected, not an error.
    let installed_tree = use_node_modules
        && lookup_dirs
            .first()
            .is_some_and(|r| eggsec_fs::is_dir(&r.join("node_modules")));
    if let Some((snap, p)) = builtin {
        if installed_tree {
            diags.push(not_found(entry, package, lookup_dirs));
        }
        let meta = embedded_meta(snap, p, locked, diags);
        return Located {
            path: None,
            installed: false,
            meta: Some(meta),
        };
    }
    // A popular third-party plugin that is not installed: embedded knowledge of its package.
    let known = entry.path.is_none().then(|| {
        crate::defaults::plugin_knowledge().and_then(|k| {
            k.framework_plugins
                .values()
                .find(|p| p.package == package)
                .map(|p| (k, p))
        })
    });
    if let Some(Some((k, p))) = known {
        diags.push(if installed_tree {
            not_found(entry, package, lookup_dirs)
        } else {
            Diagnostic::at(
                DiagnosticLevel::Info,
                &entry.from,
                entry.enable_prov.line,
                format!(
                    "plugin `{}` ({package}) is not installed: its env, dependencies, config and boot changes come from eggsec's embedded knowledge of {package}@{}",
                    entry.name,
                    p.version.as_deref().unwrap_or("?")
                ),
            )
        });
        let meta = embedded_meta(k, p, locked, diags);
        return Located {
            path: None,
            installed: false,
            meta: Some(meta),
        };
    }
    let (file, line, name) = (&entry.from, entry.enable_prov.line, &entry.name);
    diags.push(match &entry.path {
        Some(path) => Diagnostic::at(
            DiagnosticLevel::Error,
            file,
            line,
            format!("plugin `{name}`: path {} does not exist (egg would fail to start)", path.display()),
        ),
        None if installed_tree => not_found(entry, package, lookup_dirs),
        // node_modules as a whole is absent (already said once): not a problem of this entry.
        None => Diagnostic::at(
            DiagnosticLevel::Info,
            file,
            line,
            format!("plugin `{name}` ({package}) is not installed and eggsec has no embedded knowledge of it: its defaults, dependencies and boot changes are unknown (it may change security config, such as CSRF or body limits, and the middleware chain)"),
        ),
    });
    Located {
        path: entry.path.clone(),
        installed: false,
        meta: None,
    }
}

/// Embedded `eggPlugin` metadata, as the version the lockfile pins has it.
fn embedded_meta(
    snap: &Snapshot,
    p: &crate::defaults::SnapshotPlugin,
    locked: Option<&crate::skew::Locked>,
    diags: &mut Vec<Diagnostic>,
) -> PluginMeta {
    let mut meta = snap.plugin_meta(p);
    if let (Some(locked), Some(version)) = (locked, p.version.as_deref()) {
        crate::skew::plugin_meta_at(&mut meta, &p.package, version, locked, diags);
    }
    meta
}

fn not_found(entry: &PluginEntry, package: &str, lookup_dirs: &[PathBuf]) -> Diagnostic {
    let dirs: Vec<String> = lookup_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    Diagnostic {
        level: if entry.enable { DiagnosticLevel::Error } else { DiagnosticLevel::Warning },
        file: Some(PathBuf::from(&entry.from)),
        line: entry.enable_prov.line,
        message: format!("Can not find plugin {package} in \"{}\" (egg fails to start even for a disabled plugin)", dirs.join(", ")),
    }
}

/// egg 4's `formatPluginPathFromPackageJSON`: `eggPlugin.exports.import|require`, or the
/// `typescript` source dir when the build is missing.
/// The name of the installed package (`node_modules/<name>` or `node_modules/@scope/<name>`)
/// a plugin `path` without its own package.json lies in, one or two levels down (`dist/`,
/// `dist/esm/`).
fn installed_package_of(path: &Path) -> Option<String> {
    if eggsec_fs::is_file(&path.join("package.json")) {
        return None;
    }
    path.ancestors().skip(1).take(2).find_map(|dir| {
        let parent = dir.parent()?;
        let in_node_modules = parent.file_name()? == "node_modules"
            || (parent.file_name()?.to_str()?.starts_with('@')
                && parent.parent()?.file_name()? == "node_modules");
        if !in_node_modules {
            return None;
        }
        let bytes = std::fs::read(dir.join("package.json")).ok()?;
        let (text, _) = eggsec_report::input::decode_like_npm(&bytes);
        let pkg: serde_json::Value = serde_json::from_str(&text).ok()?;
        pkg["name"].as_str().map(str::to_string)
    })
}

/// egg 4.1's `formatPluginPathFromPackageJSON` for a `"type": "module"` package without
/// `eggPlugin.exports`: the directory of `exports["."]` (a string, `.import`, or
/// `.import.default`).
fn module_export_dir(dir: &Path, pkg: &serde_json::Value) -> Option<PathBuf> {
    if pkg["type"].as_str() != Some("module") {
        return None;
    }
    let dot = &pkg["exports"]["."];
    let file = dot
        .as_str()
        .or_else(|| dot["import"].as_str())
        .or_else(|| dot["import"]["default"].as_str())?;
    Some(
        dir.join(file.trim_start_matches("./"))
            .parent()?
            .to_path_buf(),
    )
}

fn plugin_build_dir(dir: &Path, exports: &serde_json::Value, esm: bool) -> PathBuf {
    let key = if esm { "import" } else { "require" };
    let built = exports
        .get(key)
        .and_then(|v| v.as_str())
        .map(|p| dir.join(p));
    match (built, exports.get("typescript").and_then(|v| v.as_str())) {
        (Some(b), _) if eggsec_fs::exists(&b) => b,
        (_, Some(ts)) if eggsec_fs::exists(&dir.join(ts)) => dir.join(ts),
        (Some(b), _) => b,
        (None, _) => dir.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_config_only_load_has_the_config_of_a_full_load_and_no_code() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop-api");
        for env in ["prod", "local", "unittest"] {
            let opts = LoadOptions {
                env: Some(env.into()),
                ..Default::default()
            };
            let full = load(&root, &opts).unwrap();
            let only = load_config_only(&root, &opts).unwrap();
            assert!(!full.code.files.is_empty() && !full.routes.is_empty());
            assert!(only.code.files.is_empty() && only.routes.is_empty());
            assert_eq!(format!("{:?}", only.config), format!("{:?}", full.config));
            assert_eq!(format!("{:?}", only.layers), format!("{:?}", full.layers));
            assert_eq!(format!("{:?}", only.plugins), format!("{:?}", full.plugins));
            assert_eq!(
                format!("{:?}", only.middleware),
                format!("{:?}", full.middleware)
            );
            assert_eq!(
                format!("{:?}", only.defaults),
                format!("{:?}", full.defaults)
            );
            assert_eq!((&only.env, &only.name), (&full.env, &full.name));
        }
    }

    #[test]
    fn env_comes_from_options_then_config_env_then_prod() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(resolve_env(dir.path(), &LoadOptions::default()), "prod");
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config/env"), "  sit\n").unwrap();
        assert_eq!(resolve_env(dir.path(), &LoadOptions::default()), "sit");
        let opts = LoadOptions {
            env: Some("local".into()),
            ..Default::default()
        };
        assert_eq!(resolve_env(dir.path(), &opts), "local");
    }

    #[test]
    fn known_plugins_that_are_not_installed_come_from_embedded_knowledge() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"name":"k","dependencies":{"egg":"^3.34.0"}}"#,
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/plugin.js"),
            "exports.jwt = { enable: true, package: 'egg-jwt' };
exports.swaggerdoc = { enable: true, package: 'egg-swagger-doc' };
exports.logview = { enable: true, package: 'egg-logview' };
exports.passport = { enable: true, package: 'egg-passport' };
exports.mystery = { enable: true, package: 'egg-mystery-plugin' };
",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config/config.default.js"),
            "exports.keys = 'k';
exports.middleware = ['auth'];
",
        )
        .unwrap();
        let m = load(
            dir.path(),
            &LoadOptions {
                env: Some("prod".into()),
                ..Default::default()
            },
        )
        .unwrap();
        // egg-swagger-doc turns CSRF off for the whole app, and that is where it comes from
        let csrf = m.config_at("security.csrf.enable").unwrap();
        assert_eq!(csrf.as_bool(), Some(false));
        assert!(
            csrf.prov
                .file
                .contains("embedded knowledge of egg-swagger-doc@"),
            "{}",
            csrf.prov.file
        );
        // egg-logview's own eggPlugin.env: local only
        assert!(!m.plugin_enabled("logview"));
        // egg-jwt unshifts `jwt` into appMiddleware; egg-passport pushes its two middleware
        let names: Vec<&str> = m.middleware.iter().map(|e| e.name.as_str()).collect();
        let at = |n: &str| {
            names
                .iter()
                .position(|x| *x == n)
                .unwrap_or_else(|| panic!("{n} in {names:?}"))
        };
        assert!(at("jwt") < at("auth"), "{names:?}");
        assert!(at("i18n") < at("passportInitialize"), "{names:?}");
        assert_eq!(at("passportInitialize") + 1, at("passportSession"));
        // a plugin eggsec knows nothing about is said to be unknown
        assert!(m
            .diagnostics
            .iter()
            .any(|d| d.message.contains("egg-mystery-plugin")
                && d.message.contains("no embedded knowledge")));
        // ... and the security keys set before it (egg-security's, egg-swagger-doc's) may be
        // changed by it: known values, uncertain provenance; the app's own keys stay certain
        let why = m
            .doubt_at("security.csrf.enable")
            .expect("csrf.enable uncertain");
        assert!(
            why.starts_with("may be changed by plugin `mystery` (egg-mystery-plugin)"),
            "{why}"
        );
        assert_eq!(
            m.config_at("security.csrf.enable").unwrap().as_bool(),
            Some(false)
        );
        assert!(m.doubt_at("session.httpOnly").is_some());
        assert_eq!(m.doubt_at("keys"), None);
        // the middleware lists: the unknown plugin's boot hook may push onto them whatever
        // the app's config says
        let why = m.doubt_at("middleware").expect("middleware uncertain");
        assert!(why.contains("boot hooks of plugin `mystery`"), "{why}");
        assert!(m
            .uncertain
            .middleware_doubt()
            .is_some_and(|w| w.contains("plugin `mystery` (egg-mystery-plugin)")));
        // whether a disabled plugin is enabled: the unknown plugin may require it
        let (on, reads) = crate::model::uncertain_reads(|| m.plugin_enabled("logview"));
        assert!(!on);
        assert_eq!(reads.len(), 1, "{reads:?}");
        let (on, reads) = crate::model::uncertain_reads(|| m.plugin_enabled("jwt"));
        assert!(on && reads.is_empty(), "{reads:?}");
        let (_, reads) = crate::model::uncertain_reads(|| m.config_at("security.xframe.enable"));
        assert_eq!(reads.len(), 1, "{reads:?}");
        // without the unknown plugin, nothing is uncertain
        std::fs::write(
            dir.path().join("config/plugin.js"),
            "exports.swaggerdoc = { enable: true, package: 'egg-swagger-doc' };\n",
        )
        .unwrap();
        let m = load(dir.path(), &LoadOptions::default()).unwrap();
        assert!(m.uncertain.sources.is_empty());
        assert_eq!(m.doubt_at("security.csrf.enable"), None);
    }

    #[test]
    fn egg41_module_packages_load_from_their_export_dir() {
        let dir = Path::new("/nm/@eggjs/tegg-plugin");
        let pkg = json!({"type": "module", "exports": {".": "./dist/index.js"}});
        assert_eq!(
            module_export_dir(dir, &pkg),
            Some(PathBuf::from("/nm/@eggjs/tegg-plugin/dist"))
        );
        let pkg =
            json!({"type": "module", "exports": {".": {"import": {"default": "./es/index.js"}}}});
        assert_eq!(
            module_export_dir(dir, &pkg).map(|p| p.ends_with("es")),
            Some(true)
        );
        // CommonJS packages stay at their root
        assert_eq!(
            module_export_dir(dir, &json!({"exports": {".": "./dist/index.js"}})),
            None
        );
    }

    #[test]
    fn a_factory_path_inside_an_installed_package_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("node_modules/@eggjs/security");
        std::fs::create_dir_all(pkg.join("dist")).unwrap();
        std::fs::write(pkg.join("package.json"), r#"{"name": "@eggjs/security"}"#).unwrap();
        assert_eq!(
            installed_package_of(&pkg.join("dist")).as_deref(),
            Some("@eggjs/security")
        );
        // a local plugin dir (not inside node_modules) is not named after a package
        let local = dir.path().join("lib/plugin/audit/dist");
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(
            dir.path().join("lib/plugin/audit/package.json"),
            r#"{"name": "audit"}"#,
        )
        .unwrap();
        assert_eq!(installed_package_of(&local), None);
    }

    #[test]
    fn egg41_versions() {
        assert!(is_egg41("4.1.2-beta.9"));
        assert!(is_egg41("4.2.0"));
        assert!(!is_egg41("4.0.10"));
        assert!(!is_egg41("3.34.0"));
        assert!(!is_egg41("4"));
    }

    #[test]
    fn egg_major_from_install_then_ranges() {
        let fw = |v: Option<&str>| {
            vec![Framework {
                name: "egg".into(),
                version: v.map(Into::into),
                path: None,
            }]
        };
        assert_eq!(egg_major(&fw(Some("2.37.0")), &json!({})), 2);
        assert_eq!(
            egg_major(&fw(None), &json!({"dependencies": {"egg": "^3.34.0"}})),
            3
        );
        assert_eq!(
            egg_major(&fw(None), &json!({"dependencies": {"egg": "^4.0.10"}})),
            4
        );
        assert_eq!(
            egg_major(
                &fw(None),
                &json!({"dependencies": {"@eggjs/security": "^4"}})
            ),
            4
        );
        assert_eq!(
            egg_major(&fw(None), &json!({"dependencies": {"@eggjs/tegg": "^3"}})),
            3
        );
        assert_eq!(egg_major(&fw(None), &json!({})), 3);
    }

    #[test]
    fn custom_framework_chain_is_lowest_first() {
        let dir = tempfile::tempdir().unwrap();
        let nm = dir.path().join("node_modules");
        for (name, pkg) in [
            ("egg", json!({"name": "egg", "version": "3.34.0"})),
            (
                "yadan",
                json!({"name": "yadan", "version": "1.0.0", "egg": {"framework": "base-fw"}}),
            ),
            (
                "base-fw",
                json!({"name": "base-fw", "version": "2.0.0", "dependencies": {"egg": "^3"}}),
            ),
        ] {
            std::fs::create_dir_all(nm.join(name)).unwrap();
            std::fs::write(nm.join(name).join("package.json"), pkg.to_string()).unwrap();
        }
        let mut d = Vec::new();
        let chain = framework_chain(dir.path(), "yadan", true, &mut d);
        let names: Vec<_> = chain.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["egg", "base-fw", "yadan"]);
        assert_eq!(chain[0].version.as_deref(), Some("3.34.0"));
        assert!(d.is_empty());
    }

    /// midway 1.x: `midway` only re-exports `midway-web` (`__exportStar(require("midway-web"))`),
    /// whose dir is the eggPath with config/ and plugin.js.
    #[test]
    fn framework_that_reexports_another_uses_its_egg_path() {
        let dir = tempfile::tempdir().unwrap();
        let nm = dir.path().join("node_modules");
        for (name, pkg) in [
            ("egg", json!({"name": "egg", "version": "2.37.0"})),
            (
                "midway",
                json!({"name": "midway", "version": "1.20.3", "main": "dist/index"}),
            ),
            (
                "midway-web",
                json!({"name": "midway-web", "version": "1.20.3"}),
            ),
        ] {
            std::fs::create_dir_all(nm.join(name)).unwrap();
            std::fs::write(nm.join(name).join("package.json"), pkg.to_string()).unwrap();
        }
        std::fs::create_dir_all(nm.join("midway/dist")).unwrap();
        std::fs::write(
            nm.join("midway/dist/index.js"),
            "__exportStar(require(\"midway-web\"), exports);\nconst Master = require('../cluster/master');\n",
        )
        .unwrap();
        std::fs::create_dir_all(nm.join("midway-web/config")).unwrap();
        let mut d = Vec::new();
        let chain = framework_chain(dir.path(), "midway", true, &mut d);
        let names: Vec<_> = chain.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["egg", "midway-web"]);
        assert!(chain[1].path.as_ref().unwrap().ends_with("midway-web"));
        // a framework with its own config/ is never redirected
        std::fs::create_dir_all(nm.join("midway/config")).unwrap();
        let chain = framework_chain(dir.path(), "midway", true, &mut Vec::new());
        assert_eq!(chain[1].name, "midway");
        assert_eq!(
            reexport_target("module.exports = require('egg');"),
            Some("egg".into())
        );
        assert_eq!(reexport_target("module.exports = require('./lib');"), None);
    }

    /// midway v1: egg's baseDir is src/, but midway-web's getAppInfo gives `appInfo.appDir` (the
    /// project root) and, in local, `appInfo.root` = the project root (the corpus oracle found
    /// logger.dir and rundir under src/ otherwise).
    #[test]
    fn midway_v1_app_info_points_at_the_project_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::path::absolute(dir.path()).unwrap();
        std::fs::write(
            root.join("package.json"),
            r#"{"name":"mw","dependencies":{"midway":"^1.20.3"}}"#,
        )
        .unwrap();
        std::fs::create_dir_all(root.join("src/config")).unwrap();
        std::fs::write(
            root.join("src/config/config.default.js"),
            "const path = require('path');\nmodule.exports = appInfo => ({ rundirX: path.join(appInfo.appDir, 'run'), logX: path.join(appInfo.root, 'logs'), baseX: appInfo.baseDir });\n",
        )
        .unwrap();
        let at = |env: &str| {
            let m = load(
                &root,
                &LoadOptions {
                    env: Some(env.into()),
                    ..Default::default()
                },
            )
            .unwrap();
            let c = m.config.to_tagged_json();
            (
                c["rundirX"].as_str().map(str::to_string),
                c["logX"].as_str().map(str::to_string),
                c["baseX"].as_str().map(str::to_string),
            )
        };
        let s = |p: std::path::PathBuf| Some(p.display().to_string());
        assert_eq!(
            at("local"),
            (
                s(root.join("run")),
                s(root.join("logs")),
                s(root.join("src"))
            )
        );
        let (run, log, _) = at("prod");
        assert_eq!(run, s(root.join("run")));
        assert_ne!(log, s(root.join("logs")), "prod's root is HOME, as in egg");
        // an egg app has no appInfo.appDir
        let egg = tempfile::tempdir().unwrap();
        std::fs::write(egg.path().join("package.json"), r#"{"name":"e"}"#).unwrap();
        std::fs::create_dir_all(egg.path().join("config")).unwrap();
        std::fs::write(
            egg.path().join("config/config.default.js"),
            "module.exports = appInfo => ({ dirX: appInfo.appDir === undefined });\n",
        )
        .unwrap();
        let m = load(egg.path(), &LoadOptions::default()).unwrap();
        assert_eq!(m.config.to_tagged_json()["dirX"], serde_json::json!(true));
    }

    /// The app's own boot hook assigns a config key (egg-beehive's didReady sets
    /// `static.public_uploads_path`, found by the corpus oracle): the key is unknown, not absent
    /// nor the config files' value; a plugin's app.js writes are not taken (egg-cors's origin).
    #[test]
    fn config_keys_the_app_boot_hook_assigns_are_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("package.json"), r#"{"name":"bh"}"#).unwrap();
        std::fs::create_dir_all(root.join("config")).unwrap();
        std::fs::write(
            root.join("config/config.default.js"),
            "module.exports = { static: { dir: '/srv/public' }, security: { csrf: { enable: true } } };\n",
        )
        .unwrap();
        std::fs::write(
            root.join("app.js"),
            "class Boot {\n  constructor(app) { this.app = app; }\n  configWillLoad() {\n    this.app.config.security.csrf.enable = process.env.CSRF === '1';\n  }\n  async didReady() {\n    this.app.config.static.public_uploads_path = this.app.config.static.dir + '/uploads';\n  }\n}\nmodule.exports = Boot;\n",
        )
        .unwrap();
        let m = load(root, &LoadOptions::default()).unwrap();
        let c = m.config.to_tagged_json();
        let why = |v: &serde_json::Value| v["$unknown"].as_str().unwrap_or_default().to_string();
        assert!(
            why(&c["static"]["public_uploads_path"]).starts_with("set by app.js:7 after loading"),
            "{c}"
        );
        assert!(
            why(&c["security"]["csrf"]["enable"]).starts_with("set by app.js:4 in configWillLoad")
        );
        assert_eq!(c["static"]["dir"], serde_json::json!("/srv/public"));
    }

    /// No node_modules and no config files: everything comes from the embedded egg 3 snapshot.
    #[test]
    fn bare_app_uses_embedded_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"name":"bare","dependencies":{"egg":"^3.34.0"}}"#,
        )
        .unwrap();
        let opts = |env: &str| LoadOptions {
            env: Some(env.into()),
            ..Default::default()
        };
        let m = load(dir.path(), &opts("prod")).unwrap();
        assert_eq!(m.egg_major, Some(3));
        assert_eq!(m.defaults, DefaultsSource::Embedded { egg_major: 3 });
        assert!(
            m.diagnostics
                .iter()
                .all(|d| d.level == DiagnosticLevel::Info),
            "{:?}",
            m.diagnostics
        );
        assert_eq!(
            m.plugin_order,
            [
                "session",
                "security",
                "jsonp",
                "onerror",
                "i18n",
                "watcher",
                "schedule",
                "multipart",
                "logrotator",
                "static",
                "view"
            ]
        );
        let dev = m.plugin("development").unwrap();
        assert!(dev.env_excluded && !dev.enabled);
        let names: Vec<_> = m.middleware.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
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
        assert_eq!(
            m.config_at("security.csrf.enable")
                .and_then(|v| v.as_bool()),
            Some(true)
        );
        let prov = &m.config_at("security.csrf.enable").unwrap().prov;
        assert_eq!(
            &*prov.file,
            "<embedded egg@3.34.0 egg-security config.default>"
        );
        assert_eq!(
            m.config_at("static.maxAge").and_then(|v| v.as_f64()),
            Some(31536000.0)
        );

        let local = load(dir.path(), &opts("local")).unwrap();
        let names: Vec<_> = local.middleware.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "meta",
                "siteFile",
                "notfound",
                "static",
                "bodyParser",
                "overrideMethod",
                "session",
                "securities",
                "i18n",
                "eggLoaderTrace"
            ]
        );
        assert_eq!(
            local.config_at("logger.dir").and_then(|v| v.as_str()),
            Some(format!("{}/logs/bare", local.root.display()).as_str())
        );
    }

    /// Real files through the evaluator, merged over the embedded egg 3 defaults.
    #[test]
    fn app_files_merge_over_defaults_with_provenance() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |p: &str, text: &str| {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "package.json",
            r#"{"name":"shop","dependencies":{"egg":"^3"}}"#,
        );
        write(
            "config/plugin.js",
            "exports.static = false;\nexports.cors = { package: 'egg-cors', env: ['prod'] };\n",
        );
        write(
            "config/config.default.js",
            "module.exports = appInfo => ({\n  keys: appInfo.name + '_1',\n  security: { csrf: { ignoreJSON: true } },\n  middleware: ['audit'],\n});\n",
        );
        write(
            "config/config.prod.js",
            "exports.security = {\n  csrf: { enable: false },\n};\n",
        );
        write("config/config.broken.js", "module.exports = {");
        write(
            "app/middleware/audit.js",
            "module.exports = () => async (ctx, next) => next();\n",
        );
        let opts = LoadOptions {
            env: Some("prod".into()),
            embedded_defaults_only: true,
            ..Default::default()
        };
        let m = load(root, &opts).unwrap();

        let enable = m.config_at("security.csrf.enable").unwrap();
        assert_eq!(enable.as_bool(), Some(false));
        assert!(
            enable.prov.file.ends_with("config/config.prod.js") && enable.prov.line == 2,
            "{}",
            enable.prov
        );
        assert_eq!(
            m.config_at("security.csrf.ignoreJSON")
                .and_then(|v| v.as_bool()),
            Some(true)
        );
        assert_eq!(
            m.config_at("security.csrf.type").and_then(|v| v.as_str()),
            Some("ctoken")
        );
        assert_eq!(m.config_at("keys").and_then(|v| v.as_str()), Some("shop_1"));
        let kinds: Vec<_> = m
            .layers
            .iter()
            .map(|l| (l.embedded, l.type_name.as_str()))
            .collect();
        assert_eq!(kinds.last(), Some(&(false, "prod")));

        let static_ = m.plugin("static").unwrap();
        assert!(!static_.enabled);
        assert!(
            static_.decided_by.file.ends_with("config/plugin.js") && static_.decided_by.line == 1
        );
        assert_eq!(
            m.plugin("cors").unwrap().package.as_deref(),
            Some("egg-cors")
        );
        let names: Vec<_> = m.middleware.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
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
                "audit"
            ]
        );
        assert_eq!(
            m.middleware.last().unwrap().file,
            Some(root.join("app/middleware/audit.js"))
        );

        // An unparseable file is a diagnostic naming it, and the load goes on; what it could
        // set is unknown (never the values of the files before it, as if it were empty).
        let broken = load(
            root,
            &LoadOptions {
                env: Some("broken".into()),
                ..opts
            },
        )
        .unwrap();
        assert!(broken
            .diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Unread
                && d.file.as_deref() == Some(root.join("config/config.broken.js").as_path())));
        assert!(broken
            .config
            .unknown_at("keys")
            .is_some_and(|why| why.contains("config.broken.js")));
        assert!(broken.unread().count() >= 1);
    }

    #[test]
    fn not_an_app_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path(), &LoadOptions::default()),
            Err(AppError::NotAnApp(_))
        ));
    }
}
